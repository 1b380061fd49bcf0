#!/usr/bin/env bash
# daemon_reminders_server.sh - an action on a reminder acts on exactly the
# notification it was chosen on, whatever the notification server did
# before (issue 12, item 1).  A notification's id means something only to
# the server instance that gave it: a restarted dunst numbers its
# notifications from the start again, and an id dosed kept from the old
# one then names another patient's notification on the new one.
#
# On a real dunst under Xvfb on a private bus (lib-desktop.sh), restarted
# between reminders, with `[reminders] at = 00:00` so that a patient
# enrolled today is owed a reminder at once:
#   1. the issue's sequence: a reminder for P3, dunst restarts, reminders
#      for P4 and P5, "Log dose" on P5's: one dose, P5's, and the
#      confirmation names P5; P3's reminder, lost with the old server, is
#      shown again on the new one; one owed while no server was there is
#      shown when one is back; a restart of dosed repeats nothing;
#   2. two patients due at the same moment (one import), before and after
#      a restart: each "Log dose" logs exactly its own patient;
#   3. closing: a dose logged with dosectl closes that patient's reminder
#      and no other, though the server restarted in between;
#   4. two dosed on one bus: one never closes the other's reminders.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"
# shellcheck source=tests/e2e/lib-desktop.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-desktop.sh"
desktop_start

# The doses in the database, one line per dose: "PATIENT|ORDINAL".
doses() { # [DB]
	sqlite3 -readonly "${1:-$DB}" "SELECT r.patient_id, d.ordinal FROM dose d
		JOIN regimen r ON r.id = d.regimen_id WHERE d.voided_at IS NULL
		ORDER BY r.patient_id, d.ordinal"
}
enrol() { # ID NAME
	ctl enrol "$1" --name "$2" --protocol b12-neuro --start "$today" --tz UTC >/dev/null
}
# A Notify from dosed for the patient whose name starts its body, after
# SINCE_US: its id in $NID (and in $MSG the call).
await_reminder() { # MS SINCE_US NAME
	await_notify "$1" "$2" 'due today' "^$3\n"
}
# Part N starts afresh: a new database and a new dunst (ids from the start).
fresh() { # NAME
	if [ -n "$dosed" ]; then
		stop_dosed
		verdict $? "dosed stops with status 0 (before '$1')"
	fi
	DB=$E2E_TMP/db/$1.db
	write_reminders_config "$port" 00:00:00
	dunst_restart
	on_bus start_dosed || dosed_failed "$1: dosed starts"
}
# Another program's notification, as on any desktop.
foreign_notification() {
	on_bus gdbus call --session --dest org.freedesktop.Notifications \
		--object-path /org/freedesktop/Notifications \
		--method org.freedesktop.Notifications.Notify \
		other-app 0 "" "Something else" "" '[]' '{}' 0 >/dev/null
}
# dunst restarts; the reminders open before for the patients named are
# awaited on the new server, in any order: their ids in AGAIN[NAME].
declare -A AGAIN
restart_and_await_again() { # NAME...
	local restart_us i name
	restart_us=$(now_us)
	dunst_restart
	AGAIN=()
	for i in "$@"; do
		await_notify 3000 "$restart_us" 'due today' || break
		for name in "$@"; do
			[[ $(msg '.payload.data[4]') == "$name"$'\n'* ]] && AGAIN[$name]=$NID
		done
	done
}
# No NotificationClosed for ID within MS milliseconds.
stays_open() { # ID MS
	! await_message "$2" ".type == \"signal\" and .member == \"NotificationClosed\"
		and .payload.data[0] == $1"
}

start_on_bus 00:00:00

# ---- 1. the issue's sequence --------------------------------------------

fresh issue
# dunst numbers from 2: with another program's notification first, P3's
# id on this server is the one P5 is given after the restart, unless
# dosed shows something there first.
foreign_notification
since=$(now_us)
enrol P3 "Al Three"
await_reminder 5000 "$since" "Al Three"
verdict $? "P3's reminder is shown"
p3_nid=$NID

# P3's reminder went with the old server; it is still owed: shown again.
restart_and_await_again "Al Three"
p3_again=${AGAIN["Al Three"]:-}
[ -n "$p3_again" ]
verdict $? "after the server restarts, P3's open reminder is shown on the new one"
[ -z "$(doses)" ]
verdict $? "... and showing it again logged nothing"

since=$(now_us)
enrol P4 "Di Four"
await_reminder 5000 "$since" "Di Four"
p4_ok=$?
p4_nid=$NID
enrol P5 "Pat Five"
await_reminder 5000 "$since" "Pat Five"
p5_ok=$?
[ $p4_ok -eq 0 ] && [ $p5_ok -eq 0 ]
verdict $? "P4's and P5's reminders are shown on the new server"
p5_nid=$NID
dosed_name=$(msg .sender)
echo "# ids: P3 $p3_nid on the first server; on the second P3 ${p3_again:-none}," \
	"P4 $p4_nid, P5 $p5_nid"

# Any client can emit the server's signals, to everyone or to dosed; only
# the server instance that showed a reminder is heard about it.
since=$(now_us)
for dest in "" "$dosed_name"; do
	on_bus gdbus emit --session ${dest:+--dest "$dest"} \
		--object-path /org/freedesktop/Notifications \
		--signal org.freedesktop.Notifications.ActionInvoked "uint32 $p4_nid" "'log'"
done
! await_notify 1000 "$since" '^(Logged|Dose not logged)' && [ -z "$(doses)" ]
verdict $? "ActionInvoked for P4's id from another client than the server: nothing is done"

since=$(now_us)
invoke_action "$p5_nid" log
if await_notify 3000 "$since" '^Logged: '; then
	[ "$(msg '.payload.data[1]')" = "$p5_nid" ] &&
		[ "$(msg '.payload.data[4]')" = "Pat Five (P5)" ]
	verdict $? "Log dose on P5's reminder: the confirmation replaces it and names P5"
else
	not_ok "Log dose on P5's reminder: the confirmation replaces it and names P5"
fi
# Nothing else was logged, nor confirmed.
! await_notify 1000 "$since" '^Logged: '
verdict $? "... one confirmation, no other"
[ "$(doses)" = "P5|1" ]
verdict $? "... one dose in the database, P5's (doses: $(doses | tr '\n' ' '))"
[ "$(ctl show P3 --json | jq '.doses | length')" = 0 ] &&
	[ "$(ctl show P4 --json | jq '.doses | length')" = 0 ] &&
	[ "$(ctl show P5 --json | jq '.doses | length')" = 1 ]
verdict $? "... dosectl show: P3 and P4 have no dose, P5 one"
# P3's and P4's reminders are still there to act on.
since=$(now_us)
invoke_action "${p3_again:-0}" log
await_notify 3000 "$since" '^Logged: ' && [ "$(msg '.payload.data[4]')" = "Al Three (P3)" ] &&
	[ "$(doses | tr '\n' ' ')" = "P3|1 P5|1 " ]
verdict $? "Log dose on P3's reminder shown again: P3's dose, and only it"

# No server at all for a while: P15's reminder, owed meanwhile, cannot be
# shown; it is as soon as a server is back, though nothing else happens.
dunst_stop
mark=$(log_mark)
enrol P15 "Mo Fifteen"
wait_for_log "cannot show desktop notifications" "$mark"
verdict $? "with no notification server, P15's reminder cannot be shown (logged)"
since=$(now_us)
dunst_start
await_reminder 3000 "$since" "Mo Fifteen"
verdict $? "... and it is shown when a server is back"

# SPEC 4: dosed's own restart repeats no reminder, shown again or not.
stop_dosed
verdict $? "dosed stops with status 0"
if on_bus start_dosed; then
	! await_notify 1000 "$START_US" '.'
	verdict $? "a restart of dosed shows nothing again"
else
	not_ok "dosed restarts"
fi

# ---- 2. two patients due at the same moment -----------------------------

# Two patients enrolled at once (one import, one transaction), so owed
# at the same moment: their reminders' ids in $NID1 and $NID2.
import_two() { # ID1 NAME1 ID2 NAME2
	local since
	printf 'id,name,protocol,start,tz,days\n%s,%s,b12-neuro,%s,UTC,\n%s,%s,b12-neuro,%s,UTC,\n' \
		"$1" "$2" "$today" "$3" "$4" "$today" >"$E2E_TMP/two.csv"
	NID1= NID2=
	since=$(now_us)
	ctl import "$E2E_TMP/two.csv" >/dev/null &&
		await_reminder 5000 "$since" "$2" && NID1=$NID &&
		await_reminder 5000 "$since" "$4" && NID2=$NID
}

fresh same-moment
import_two P6 "Bo Six" P7 "Cy Seven"
verdict $? "two patients imported at once: a reminder each"

restart_and_await_again "Bo Six" "Cy Seven"
p6_nid=${AGAIN["Bo Six"]:-} p7_nid=${AGAIN["Cy Seven"]:-}
[ -n "$p6_nid" ] && [ -n "$p7_nid" ]
verdict $? "after the server restarts, both are shown again"

import_two P8 "Ed Eight" P9 "Flo Nine"
verdict $? "two more imported at once on the new server: a reminder each"
p8_nid=$NID1 p9_nid=$NID2
echo "# ids on the second server: P6 ${p6_nid:-none}, P7 ${p7_nid:-none}," \
	"P8 ${p8_nid:-none}, P9 ${p9_nid:-none}"

# Each "Log dose" logs its own patient: the database after each.
step() { # NID NAME ID EXPECTED_DOSES
	local since
	since=$(now_us)
	invoke_action "${1:-0}" log
	await_notify 3000 "$since" '^Logged: ' && [ "$(msg '.payload.data[4]')" = "$2 ($3)" ] &&
		! await_notify 500 "$since" '^Logged: ' && [ "$(doses | tr '\n' ' ')" = "$4" ]
	verdict $? "Log dose on $3's reminder logs $3's dose only (doses: $(doses | tr '\n' ' '))"
}
step "${p8_nid:-}" "Ed Eight" P8 "P8|1 "
step "${p7_nid:-}" "Cy Seven" P7 "P7|1 P8|1 "
step "${p9_nid:-}" "Flo Nine" P9 "P7|1 P8|1 P9|1 "
step "${p6_nid:-}" "Bo Six" P6 "P6|1 P7|1 P8|1 P9|1 "

# ---- 3. closing the right one -------------------------------------------

fresh closing
since=$(now_us)
enrol P10 "Gus Ten"
await_reminder 5000 "$since" "Gus Ten"
p10_nid=$NID
enrol P14 "Kay Fourteen"
await_reminder 5000 "$since" "Kay Fourteen"
p14_nid=$NID
restart_and_await_again "Gus Ten" "Kay Fourteen"
p10_again=${AGAIN["Gus Ten"]:-} p14_again=${AGAIN["Kay Fourteen"]:-}
since=$(now_us)
enrol P11 "Hal Eleven"
await_reminder 5000 "$since" "Hal Eleven"
p11_nid=$NID
enrol P13 "Lu Thirteen"
await_reminder 5000 "$since" "Lu Thirteen"
p13_nid=$NID
echo "# ids: P10 $p10_nid, P14 $p14_nid on the first server; on the second" \
	"P10 ${p10_again:-none}, P14 ${p14_again:-none}, P11 $p11_nid, P13 $p13_nid"

# P10's dose, logged with dosectl, settles P10's reminder: P10's closes,
# P11's stays.
ctl log P10 >/dev/null
if [ -n "$p10_again" ]; then
	await_message 3000 ".type == \"signal\" and .member == \"NotificationClosed\"
		and .payload.data[0] == $p10_again"
	verdict $? "a dose logged with dosectl closes that patient's reminder shown again"
else
	not_ok "a dose logged with dosectl closes that patient's reminder shown again"
fi
stays_open "$p11_nid" 1500
verdict $? "... and not another patient's that has the id it had on the old server"

# P13's is closed on the server (as when the user dismisses it): dosed
# forgets P13's reminder, and not P14's, though P14's had that id on the
# old server.
mark=$(log_mark)
on_bus gdbus call --session --dest org.freedesktop.Notifications \
	--object-path /org/freedesktop/Notifications \
	--method org.freedesktop.Notifications.CloseNotification "$p13_nid" >/dev/null
wait_for_log "the reminder for P13 was closed" "$mark"
verdict $? "a reminder closed on the server is forgotten"
# No second one within half a second (it would come in the same turn).
more=0
for ((i = 0; i < 10; i++)); do
	[ "$(count_log 'the reminder for .* was closed' "$mark")" -gt 1 ] && more=1 && break
	sleep 0.05
done
verdict $more "... that one only"
# P14's reminder is still open to dosed: P14's dose closes it.
ctl log P14 >/dev/null
await_message 3000 ".type == \"signal\" and .member == \"NotificationClosed\"
	and .payload.data[0] == ${p14_again:-0}"
verdict $? "P14's reminder is still known: a dose logged with dosectl closes it"

# ---- 4. two dosed on one bus --------------------------------------------

fresh two-daemons
# dosed B: a second daemon, its own database, config, log and port, on
# the same bus, started with lib-daemon.sh's variables set for it; then
# set back to dosed A's.
db_a=$DB conf_a=$conf log_a=$log dosed_a=$dosed port_a=$port
DB=$E2E_TMP/db/b.db conf=$E2E_TMP/dosed-b.conf log=$E2E_TMP/dosed-b.log dosed=''
on_bus start_on_free_port write_reminders_config 00:00:00
verdict $? "a second dosed starts on the same bus"
conf_b=$conf log_b=$log dosed_b=$dosed
DB=$db_a conf=$conf_a log=$log_a dosed=$dosed_a port=$port_a
ctl_b() { "$DOSECTL" --config "$conf_b" "$@"; }

since=$(now_us)
ctl_b enrol Q1 --name "Ida One" --protocol b12-neuro --start "$today" --tz UTC >/dev/null
await_reminder 5000 "$since" "Ida One"
q1_nid=$NID
restart_and_await_again "Ida One"
q1_again=${AGAIN["Ida One"]:-}
since=$(now_us)
enrol P12 "Jon Twelve"
await_reminder 5000 "$since" "Jon Twelve"
p12_nid=$NID
echo "# ids: Q1 (dosed B) $q1_nid on the first server; on the second Q1 ${q1_again:-none}," \
	"P12 (dosed A) $p12_nid"

ctl_b log Q1 >/dev/null
stays_open "$p12_nid" 1500
verdict $? "dosed B's patient's dose closes nothing of dosed A's"
since=$(now_us)
invoke_action "$p12_nid" log
await_notify 3000 "$since" '^Logged: ' && [ "$(msg '.payload.data[4]')" = "Jon Twelve (P12)" ] &&
	[ "$(doses | tr '\n' ' ')" = "P12|1 " ] && [ "$(doses "$E2E_TMP/db/b.db" | tr '\n' ' ')" = "Q1|1 " ]
verdict $? "Log dose on dosed A's reminder: A logs its patient's dose; B logs nothing"

e2e_stop "$dosed_b"
verdict $? "dosed B stops with status 0"
stop_dosed
verdict $? "dosed stops with status 0"

no_library_warnings "$log" "$log_b"
verdict $? "no library warnings or sanitizer reports in the logs"
