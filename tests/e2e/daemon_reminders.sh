#!/usr/bin/env bash
# daemon_reminders.sh - desktop reminders against a real notification server
# (SPEC 4, Reminders; issue 4): dunst under Xvfb on a private D-Bus session
# bus, every Notify call seen as it happens with busctl monitor.
#
# On the real clock (the reminder alarm is a wall-clock timer): patients
# start today and `[reminders] at` is set a few seconds ahead.  Checks: the
# notification's summary, body, urgency, actions and the delay from `at`
# over ten restarts; no repeat after a restart; reminders owed while dosed
# was stopped arrive once each at start; "Log dose" records the dose;
# "Snooze" brings the reminder back; a dose logged with dosectl closes its
# notification; no wake-ups while idle; enabled = false; no session bus.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"
# shellcheck source=tests/e2e/lib-desktop.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-desktop.sh"
desktop_start

start_on_bus "$(hms $(($(date +%s) + 3600)))"
stop_dosed
verdict $? "dosed starts and stops cleanly with nobody enrolled"

ctl enrol P1 --name "Jo Patient" --protocol b12-neuro --start "$today" --tz UTC >/dev/null
verdict $? "enrol P1 on b12-neuro from today ($today)"

# ---- at -> Notify, ten times ------------------------------------------

# Each round: `at` 2-3 s ahead (whole seconds), a fresh start; the first
# Notify for P1 must come at or after `at` (a restart that repeated the
# previous round's reminder would come at once) and within 2 s of it.
delays=()
early=0 late=0 bad_stops=0
for round in $(seq 1 10); do
	at=$(($(date +%s) + (round == 1 ? 3 : 2)))
	write_reminders_config "$port" "$(hms "$at")"
	on_bus start_dosed || dosed_failed "round $round: dosed starts"
	if await_notify $(((at + 4) * 1000 - $(now_ms))) "$START_US" 'due today'; then
		ts=$(msg '."timestamp-realtime"')
		delay=$(((ts - at * 1000000) / 1000))
		delays+=("$delay")
		[ "$ts" -ge $((at * 1000000)) ] || early=$((early + 1))
		[ "$delay" -lt 2000 ] || late=$((late + 1))
	else
		delays+=("none")
		late=$((late + 1))
	fi
	if [ "$round" -eq 1 ]; then
		first=$MSG
		first_nid=$NID
	fi
	if ! stop_dosed; then
		bad_stops=$((bad_stops + 1))
		tail -n 40 "$log" | diag
	fi
done
sorted=$(printf '%s\n' "${delays[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | sed -n 5p)
echo "# at-to-notify ms: ${delays[*]} (median $median)"
[ "$early" -eq 0 ]
verdict $? "no reminder before its moment, and none repeated by a restart (10 rounds)"
[ "$late" -eq 0 ]
verdict $? "each of 10 reminders reached the server within 2 s of at"
[ "$bad_stops" -eq 0 ]
verdict $? "dosed stopped with status 0 after each round ($bad_stops did not)"

MSG=$first
[ -n "$first_nid" ] && [ "$(msg '.payload.data[0]')" = dosed ]
verdict $? "the notification's app name is dosed"
[ "$(msg '.payload.data[3]')" = "Hydroxocobalamin 1 mg due today" ]
verdict $? "summary: Hydroxocobalamin 1 mg due today"
[ "$(msg '.payload.data[4]')" = $'Jo Patient\nDose 1 of the loading phase\nSuggested site: left deltoid' ]
verdict $? "body: the patient, dose 1 of the loading phase, the suggested site"
[ "$(msg '.payload.data[6].urgency.data')" = 1 ]
verdict $? "urgency normal for a dose due today"
jq -e '.payload.data[5] as $a | ($a | index("log")) != null and ($a | index("Log dose")) != null
	and ($a | index("snooze")) != null and ($a | index("Snooze")) != null' <<<"$first" >/dev/null
verdict $? "actions log (Log dose) and snooze (Snooze), dunst having the actions capability"
[ "$(msg '.payload.data[6].category.data')" = "x-dosed.dose.reminder" ] &&
	[ "$(msg '.payload.data[2]')" = "appointment-soon" ] && [ "$(msg '.payload.data[7]')" = 0 ]
verdict $? "a category, an icon, and no expiry"
[ "$(jq '[.doses[]] | length' <<<"$(ctl show P1 --json)")" = 0 ]
verdict $? "showing reminders logs no dose"

# ---- a restart does not repeat -----------------------------------------

if on_bus start_dosed; then
	! await_notify 700 "$START_US" '.'
	verdict $? "a restart after the last round shows nothing (delivered reminders are recorded)"
else
	not_ok "dosed restarts"
fi
stop_dosed

# ---- owed while stopped: once each at start --------------------------

# P3 started three days ago on a daily phase: overdue since the day after
# its first dose, with an overdue moment on each day since.  P1's new `at`
# passes while dosed is stopped.  At start: one notification each, the
# newest state, not a backlog.
ctl enrol P3 --name "Al Late" --protocol b12-cyano-label --start "$(date -u -d "$today - 3 days" +%F)" \
	--tz UTC >/dev/null
# P1's feed, issued while dosed is stopped (no change for it to see later).
p1_url=$(ctl feed P1 | grep -o 'https\?://[^ ]*\.ics' | head -n 1)
at=$(($(date +%s) + 1))
write_reminders_config "$port" "$(hms "$at")"
# The clock has to pass `at` with dosed stopped: here waiting is the test.
sleep $((at + 1 - $(date +%s)))
if on_bus start_dosed; then
	p1=0 p3=0
	while await_notify 1500 "$START_US" '.'; do
		case $(msg '.payload.data[4]') in
		"Jo Patient"*) p1=$((p1 + 1)) p1_nid=$NID ;;
		"Al Late"*) p3=$((p3 + 1)) p3_nid=$NID p3_msg=$MSG ;;
		esac
	done
	[ "$p1" = 1 ] && [ "$p3" = 1 ]
	verdict $? "reminders owed while dosed was stopped arrive once each at start (P1: $p1, P3: $p3)"
	MSG=${p3_msg:-'{}'}
	[[ $(msg '.payload.data[3]') == "Cyanocobalamin 100 mcg overdue since "* ]] &&
		[ "$(msg '.payload.data[6].urgency.data')" = 2 ] &&
		[ "$(msg '.payload.data[2]')" = "appointment-missed" ]
	verdict $? "an overdue dose: 'overdue since', urgency critical"
else
	dosed_failed "dosed starts with reminders owed"
fi

# ---- the actions, through dunst's context menu -------------------------

# "Log dose" on P1's reminder: dunst sends ActionInvoked to dosed, which
# records the dose and replaces the reminder with a confirmation.  P1's
# feed is served (and cached) before: the dose must reach it, though it
# is dosed's own write, which its change watch does not see.
code=$(curl -s --max-time 10 -o "$E2E_TMP/p1-before.ics" -w '%{http_code}' "$p1_url")
[ "$code" = 200 ] && ! grep -q ' given' "$E2E_TMP/p1-before.ics"
verdict $? "P1's feed is served before the dose, with no dose given"
since=$(now_us)
invoke_action "${p1_nid:-0}" log
if await_notify 3000 "$since" '^Logged: '; then
	[ "$(msg '.payload.data[3]')" = "Logged: Hydroxocobalamin 1 mg, dose #1, left deltoid" ] &&
		[ "$(msg '.payload.data[1]')" = "$p1_nid" ]
	verdict $? "Log dose: a confirmation replaces the reminder"
else
	not_ok "Log dose: a confirmation replaces the reminder"
	grep -F "[$p1_nid," "$E2E_TMP/dmenu.in" 2>/dev/null | diag
fi
shown=$(ctl show P1 --json)
jq -e '(.doses | length) == 1 and .doses[0].ordinal == 1 and .doses[0].site == "left deltoid"
	and .doses[0].note == "logged from the desktop notification" and .doses[0].void == false' \
	>/dev/null <<<"$shown"
verdict $? "Log dose: dosectl show lists the dose, at the suggested site"
code=$(curl -s --max-time 10 -o "$E2E_TMP/p1-after.ics" -w '%{http_code}' "$p1_url")
[ "$code" = 200 ] && grep -q '^SUMMARY:.* given' "$E2E_TMP/p1-after.ics"
verdict $? "Log dose: P1's feed shows the dose given at once"

# "Snooze" on P3's reminder: closed now, back after `snooze` (2 s).
since=$(now_us)
invoke_action "${p3_nid:-0}" snooze
await_message 3000 ".type == \"method_call\" and .member == \"CloseNotification\"
	and .payload.data[0] == ${p3_nid:-0}"
verdict $? "Snooze: the reminder is closed"
if await_notify 5000 "$since" 'overdue since'; then
	back=$((($(msg '."timestamp-realtime"') - since) / 1000))
	echo "# snoozed reminder back after $back ms"
	p3_nid=$NID
	[ "$back" -ge 2000 ] && [ "$back" -lt 3500 ] && [[ $(msg '.payload.data[4]') == "Al Late"* ]]
	verdict $? "Snooze: the reminder comes back after 2 s"
else
	not_ok "Snooze: the reminder comes back after 2 s"
fi

# A dose logged with dosectl closes its open notification (the change
# watch sees the commit; SPEC 4: within a second).
since_ms=$(now_ms)
ctl log P3 >/dev/null
if await_message 2000 ".type == \"method_call\" and .member == \"CloseNotification\"
	and .payload.data[0] == ${p3_nid:-0}"; then
	echo "# closed $(($(msg '."timestamp-realtime"') / 1000 - since_ms)) ms after dosectl log began"
	ok "a dose logged with dosectl closes its notification"
else
	not_ok "a dose logged with dosectl closes its notification"
fi
await_message 1000 '.type == "signal" and .member == "NotificationClosed"' >/dev/null

# A refusal: SIGHUP turns on lead reminders with `at` just ahead, so P3,
# whose dose was logged just now, gets "due tomorrow"; "Log dose" on it
# would be a second dose the same day, which the schedule refuses
# (SPEC 2.6): the notification then says why, and nothing is logged.
BEFORE="1 day"
at=$(($(date +%s) + 2))
write_reminders_config "$port" "$(hms "$at")"
since=$(now_us)
kill -HUP "$dosed"
if await_notify $(((at + 3) * 1000 - $(now_ms))) "$since" 'due tomorrow'; then
	[[ $(msg '.payload.data[4]') == "Al Late"* ]] && [ "$(msg '.payload.data[6].urgency.data')" = 1 ] &&
		[ "$(msg '."timestamp-realtime"')" -ge $((at * 1000000)) ]
	verdict $? "after SIGHUP, a lead reminder at the new time: due tomorrow"
	lead_nid=$NID
	since=$(now_us)
	invoke_action "$lead_nid" log
	if await_notify 3000 "$since" '^Dose not logged$'; then
		[ "$(msg '.payload.data[1]')" = "$lead_nid" ] &&
			[ "$(msg '.payload.data[6].category.data')" = x-dosed.dose.refused ] &&
			grep -qiE 'same day|soon|force' <<<"$(msg '.payload.data[4]')"
		verdict $? "Log dose refused (a second dose the same day): the notification says why"
	else
		not_ok "Log dose refused (a second dose the same day): the notification says why"
	fi
	[ "$(jq '.doses | length' <<<"$(ctl show P3 --json)")" = 1 ]
	verdict $? "... and nothing was logged"
else
	not_ok "after SIGHUP, a lead reminder at the new time: due tomorrow"
fi
BEFORE=0

# ---- idle --------------------------------------------------------------

# Nothing due before tomorrow: the alarm waits for it, and nothing wakes
# the daemon.  The context switches of every thread, over 5 s.
sleep 0.3
before=$(context_switches "$dosed")
sleep 5
after=$(context_switches "$dosed")
[ -n "$before" ] && [ $((after - before)) -le 2 ]
verdict $? "an idle daemon with reminders armed does not wake up (context switches over 5 s: $before -> $after)"

stop_dosed
verdict $? "dosed stops with status 0 after notifications and actions"

# ---- enabled = false ---------------------------------------------------

ctl enrol P4 --name "Di Off" --protocol b12-neuro --start "$today" --tz UTC >/dev/null
# `at` at midnight: P4's reminder is owed from the start.
write_reminders_config "$port" 00:00:00 "enabled = false"
if on_bus start_dosed && wait_for_log "reminders are off"; then
	! await_notify 1000 "$START_US" '.'
	verdict $? "[reminders] enabled = false: nothing is shown"
else
	not_ok "dosed starts with reminders off"
fi
stop_dosed

# ---- no session bus ----------------------------------------------------

# A clinic server: no bus at all (no address, no $XDG_RUNTIME_DIR/bus, no
# X display to autolaunch one).  P4's reminder is owed.
write_reminders_config "$port" 00:00:00
if start_dosed; then
	wait_for_log "cannot show desktop notifications"
	verdict $? "without a session bus: a warning in the log"
	# Two more computations, each trying the owed reminders again: a
	# reload, and a patient enrolled with dosectl.
	computed=$(count_log '^dosed: debug: reminders: ')
	kill -HUP "$dosed"
	wait_for_count '^dosed: debug: reminders: ' $((computed + 1))
	ctl enrol P5 --name "Ed New" --protocol b12-neuro --start "$today" --tz UTC >/dev/null
	wait_for_count '^dosed: debug: reminders: ' $((computed + 2))
	retried=$?
	count=$(count_log "cannot show desktop notifications")
	[ $retried -eq 0 ] && [ "$count" = 1 ]
	verdict $? "... once, though the reminders were tried again ($count warning lines)"
	url=$(ctl feed P4 | grep -o 'https\?://[^ ]*\.ics' | head -n 1)
	code=$(curl -s --max-time 10 -o "$E2E_TMP/feed.ics" -w '%{http_code}' "$url")
	[ "$code" = 200 ] && grep -q '^BEGIN:VCALENDAR' "$E2E_TMP/feed.ics"
	verdict $? "... and the feed is served"
	stop_dosed
	verdict $? "... and dosed stops with status 0"
else
	not_ok "dosed starts without a session bus" "$(tail -n 40 "$log")"
fi

no_library_warnings "$log"
verdict $? "no library warnings or sanitizer reports in dosed's log"
