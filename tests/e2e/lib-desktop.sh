# tests/e2e/lib-desktop.sh - what the reminder tests share: a real desktop
# (dunst under Xvfb on a private D-Bus session bus, every message to and
# from the notification server seen as it happens with busctl monitor) and
# dosed on it, on the real clock.
#
# Sourced by daemon_reminders*.sh after lib.sh and lib-daemon.sh (dosed,
# its config and log, the TAP helpers).  desktop_start makes the desktop;
# then:
#   on_bus COMMAND...        COMMAND on the private bus: `on_bus start_dosed`
#   dunst_restart            the notification server stops, a new one starts
#                            (its ids start again); dunst_stop, dunst_start
#   await_message MS FILTER  the next bus message the jq FILTER holds true of
#   await_notify MS SINCE_US SUMMARY_ERE   a Notify call from dosed and its id
#   invoke_action ID KEY     choose an action as a user would (dunst's menu)
#   write_reminders_config PORT AT [LINES], start_on_bus AT, hms EPOCH,
#   no_library_warnings LOG...
# Every process started here is stopped by its id at exit (lib.sh).

# tests/run runs every tests/e2e/*.sh but lib*.sh; alone this has nothing to do.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	exit 0
fi

if ! declare -F start_dosed >/dev/null; then
	echo "not ok - lib-desktop.sh is sourced after lib.sh and lib-daemon.sh"
	exit 1
fi

# The real components, not stand-ins: missing ones fail (scripts/debian-packages).
missing=
for tool in Xvfb dbus-daemon dunst dunstctl busctl gdbus jq curl; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	not_ok "the notification test tools are installed (missing:$missing; make deps)"
	exit 1
fi

# Seconds as `read -t` takes them, from milliseconds.
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# ---- the clock -------------------------------------------------------

# Patients start "today" and `at` is a time of day: a run must not cross
# midnight (UTC here).  A script takes about a minute.
left=$((86400 - $(date +%s) % 86400))
if [ "$left" -lt 120 ]; then
	echo "# waiting ${left} s for midnight to pass"
	sleep $((left + 1))
fi
# shellcheck disable=SC2034 # for the scripts
today=$(date -u +%F)

# ---- the desktop: Xvfb, a private session bus, dunst ------------------

on_bus() { DBUS_SESSION_BUS_ADDRESS=$address "$@"; }

# dunst on the bus, once it owns org.freedesktop.Notifications.
# Not through on_bus: $! must be dunst's own id, not a subshell's.
dunst_start() {
	DISPLAY=:$display DBUS_SESSION_BUS_ADDRESS=$address \
		dunst -config "$E2E_TMP/dunstrc" >>"$E2E_TMP/dunst.log" 2>&1 &
	dunst=$!
	E2E_PIDS+=("$dunst")
	if ! on_bus timeout 10 gdbus wait --session --timeout 10 org.freedesktop.Notifications; then
		not_ok "dunst serves org.freedesktop.Notifications"
		diag <"$E2E_TMP/dunst.log"
		exit 1
	fi
}

# The notification server goes away and another takes its place, as when
# a user restarts dunst: the notifications on screen go with the old one,
# and the new one numbers its own from the start again.
# dunst is gone when the bus says the name has no owner: only then can the
# next one take it.
name_has_owner() {
	on_bus gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
		--method org.freedesktop.DBus.NameHasOwner org.freedesktop.Notifications |
		grep -q true
}
dunst_stop() {
	local i
	e2e_stop "$dunst"
	dunst=
	for ((i = 0; i < 200; i++)); do
		name_has_owner || break
		sleep 0.05
	done
}
dunst_restart() {
	dunst_stop
	dunst_start
}

desktop_start() {
	local line
	mkfifo "$E2E_TMP/display.fifo" "$E2E_TMP/bus.fifo"
	Xvfb -displayfd 3 -nolisten tcp 3>"$E2E_TMP/display.fifo" >"$E2E_TMP/xvfb.log" 2>&1 &
	E2E_PIDS+=($!)
	read -r -t 10 display <"$E2E_TMP/display.fifo"
	if [ -z "${display:-}" ]; then
		not_ok "Xvfb starts"
		diag <"$E2E_TMP/xvfb.log"
		exit 1
	fi

	# A bus config that lists no service directories: with the stock
	# session.conf, D-Bus activation would start another dunst with the
	# machine's own dunstrc (TESTING-NOTES).  busctl monitor needs eavesdrop.
	cat >"$E2E_TMP/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$E2E_TMP</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
	dbus-daemon --nofork --config-file="$E2E_TMP/bus.conf" --print-address=3 \
		3>"$E2E_TMP/bus.fifo" >"$E2E_TMP/bus.log" 2>&1 &
	E2E_PIDS+=($!)
	read -r -t 10 address <"$E2E_TMP/bus.fifo"
	if [ -z "${address:-}" ]; then
		not_ok "a private session bus starts"
		diag <"$E2E_TMP/bus.log"
		exit 1
	fi

	# dunst: its context menu runs `dmenu`, which gets one line per action,
	# "#Label (Summary) [ID,KEY]", and prints the one to invoke: here the
	# line holding the text in $E2E_TMP/choice.  Notifications never expire on
	# their own, so nothing in the test moves unless the test moves it.
	cat >"$E2E_TMP/dmenu.sh" <<EOF
#!/bin/sh
cat >"$E2E_TMP/dmenu.in"
grep -F -- "\$(cat "$E2E_TMP/choice")" "$E2E_TMP/dmenu.in" | head -n 1
EOF
	chmod +x "$E2E_TMP/dmenu.sh"
	cat >"$E2E_TMP/dunstrc" <<EOF
[global]
    dmenu = $E2E_TMP/dmenu.sh
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
EOF
	dunst_start

	# Every message to and from the notification server, one JSON line
	# each, read as it comes from fd $mon (and kept in bus.log for
	# diagnosis).  The monitor follows the name to the next server when
	# dunst restarts.
	exec {mon}< <(DBUS_SESSION_BUS_ADDRESS=$address exec busctl --user monitor --json=short \
		org.freedesktop.Notifications 2>&1)
	E2E_PIDS+=($!)
	# busctl says "Monitoring bus message stream." once it listens.
	IFS= read -r -t 10 -u "$mon" line
	if [[ ${line:-} != Monitoring* ]]; then
		not_ok "busctl monitors the notification server"
		echo "${line:-(nothing)}" | diag
		exit 1
	fi
}

MSG=
# await_message MS FILTER: read messages until one makes the jq FILTER
# true (it is then in $MSG), for at most MS milliseconds.  1 on timeout.
await_message() {
	local deadline=$(($(now_ms) + $1)) rest line
	while :; do
		rest=$((deadline - $(now_ms)))
		[ "$rest" -gt 0 ] || return 1
		IFS= read -r -t "$(ms_to_s "$rest")" -u "$mon" line || return 1
		printf '%s\n' "$line" >>"$E2E_TMP/bus.log"
		if jq -e "$2" >/dev/null 2>&1 <<<"$line"; then
			MSG=$line
			return 0
		fi
	done
}
msg() { jq -r "$1" <<<"$MSG"; }

# A Notify call from dosed whose summary (and body) match the EREs, made
# after the real time SINCE_US: the call in $MSG, the server's answer (the
# id) in $NID.
NID=
await_notify() { # MS SINCE_US SUMMARY_ERE [BODY_ERE]
	local cookie sender
	NID=
	await_message "$1" ".type == \"method_call\" and .member == \"Notify\"
		and .\"timestamp-realtime\" >= $2
		and (.payload.data[3] | test(\"$3\"))
		and (.payload.data[4] | test(\"${4:-}\"))" || return 1
	local notify=$MSG
	cookie=$(msg .cookie)
	sender=$(msg .sender)
	if await_message 2000 ".type == \"method_return\" and .reply_cookie == $cookie
		and .destination == \"$sender\""; then
		NID=$(msg '.payload.data[0]')
	fi
	MSG=$notify
	[ -n "$NID" ]
}

# Choose the action KEY of notification ID in dunst's context menu, as a
# user would: dunst then sends ActionInvoked(ID, KEY) to its client.
invoke_action() { # ID KEY
	echo "[$1,$2]" >"$E2E_TMP/choice"
	on_bus dunstctl context
}

# ---- dosed -----------------------------------------------------------

# dosed is up once it has computed its reminders too (its "reminders" line).
DOSED_READY+=('^dosed: (debug: )?reminders')

# write_reminders_config PORT AT [LINES]: reminders at AT (HH:MM:SS), $BEFORE
# ahead of the day, snoozed for 2 s; LINES more of [reminders].
BEFORE=0
write_reminders_config() {
	write_daemon_config "$1" "[reminders]" "at = $2" "before = $BEFORE" "snooze = 2 s" \
		${3:+"$3"} "[rotation]" "sites = $E2E_SITES"
}
hms() { date -u -d "@$1" +%H:%M:%S; }

# start_on_bus AT: dosed on the private bus on a free port ($port), with
# reminders at AT; the script ends when none is found.
start_on_bus() {
	on_bus start_on_free_port write_reminders_config "$1" ||
		dosed_failed "dosed starts on a free port"
}

# no_library_warnings LOG...: dosed wrote no warning to its log that is not
# its own (a GLib warning from libnotify, a sanitizer report).  dosed's log
# gives GLib's messages its own format, "dosed: warning: DOMAIN: ..." (log.c).
no_library_warnings() {
	! grep -E 'WARNING \*\*|CRITICAL \*\*|ERROR: (Address|Leak)Sanitizer|^dosed: (warning|critical|error): (GLib|GLib-[A-Za-z]+|libnotify|GdkPixbuf|Json): ' \
		"$@" >/dev/null
}
