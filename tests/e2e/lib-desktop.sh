# tests/e2e/lib-desktop.sh - what the reminder tests share: a real desktop
# (dunst under Xvfb on a private D-Bus session bus, every message to and
# from the notification server seen as it happens with busctl monitor) and
# dosed on it, on the real clock.
#
# Sourced by daemon_reminders*.sh after `set -u`; they get $DOSED, $DOSECTL
# and $DOSED_TOP from tests/run and print TAP lines.  desktop_start makes
# the desktop; then:
#   dunst_restart            the notification server stops, a new one starts
#                            (its ids start again); dunst_stop, dunst_start
#   await_message MS FILTER  the next bus message the jq FILTER holds true of
#   await_notify MS SINCE_US SUMMARY_ERE   a Notify call from dosed and its id
#   invoke_action ID KEY     choose an action as a user would (dunst's menu)
#   write_config PORT AT [LINES], start_dosed, stop_dosed, find_port, ctl
# Every process started here is stopped by its id at exit.

# tests/run runs every tests/e2e/*.sh but lib*.sh; alone this has nothing to do.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	exit 0
fi

: "${DOSED:?}" "${DOSECTL:?}" "${DOSED_TOP:?}"

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
verdict() { # DESCRIPTION STATUS
	if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1"; fi
}
diag() { sed 's/^/  # /'; }

# The real components, not stand-ins: missing ones fail (scripts/debian-packages).
missing=
for tool in Xvfb dbus-daemon dunst dunstctl busctl gdbus jq curl; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	not_ok "the notification test tools are installed (missing:$missing; make deps)"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dosed-e2e-reminders.XXXXXX")
conf=$tmp/dosed.conf
log=$tmp/dosed.log
db=$tmp/db/dosed.db
mkdir -p "$tmp/db" "$tmp/home" "$tmp/run"
chmod 700 "$tmp/run"

# Nothing of the caller's session leaks in: no bus, no display, no config.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_DATA_HOME=$tmp/home/.local/share
export XDG_RUNTIME_DIR=$tmp/run
export TZ=UTC LC_ALL=C.UTF-8
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY DOSED_NOW

# Every process this script starts, stopped by its id at the end (a bare
# `wait` would hang on Xvfb and dunst).  $dosed is the running dosed;
# $more_pids, others a test started (a second dosed).
dosed= more_pids=
xvfb= bus= dunst= monitor= mon=
desktop_cleanup() {
	local pid
	for pid in $dosed $more_pids; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for pid in $monitor $dunst $bus $xvfb; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "$mon" ] && exec {mon}<&-
	rm -rf "$tmp"
}
trap desktop_cleanup EXIT
trap 'exit 1' INT TERM HUP

now_ms() { echo $(($(date +%s%N) / 1000000)); }
now_us() { echo $(($(date +%s%N) / 1000)); }
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
today=$(date -u +%F)

# ---- the desktop: Xvfb, a private session bus, dunst ------------------

on_bus() { DBUS_SESSION_BUS_ADDRESS=$address "$@"; }

# dunst on the bus, once it owns org.freedesktop.Notifications.
# Not through on_bus: $! must be dunst's own id, not a subshell's.
dunst_start() {
	DISPLAY=:$display DBUS_SESSION_BUS_ADDRESS=$address \
		dunst -config "$tmp/dunstrc" >>"$tmp/dunst.log" 2>&1 &
	dunst=$!
	if ! on_bus timeout 10 gdbus wait --session --timeout 10 org.freedesktop.Notifications; then
		not_ok "dunst serves org.freedesktop.Notifications"
		diag <"$tmp/dunst.log"
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
	kill -TERM "$dunst"
	wait "$dunst"
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
	mkfifo "$tmp/display.fifo" "$tmp/bus.fifo"
	Xvfb -displayfd 3 -nolisten tcp 3>"$tmp/display.fifo" >"$tmp/xvfb.log" 2>&1 &
	xvfb=$!
	read -r -t 10 display <"$tmp/display.fifo"
	if [ -z "${display:-}" ]; then
		not_ok "Xvfb starts"
		diag <"$tmp/xvfb.log"
		exit 1
	fi

	# A bus config that lists no service directories: with the stock
	# session.conf, D-Bus activation would start another dunst with the
	# machine's own dunstrc (TESTING-NOTES).  busctl monitor needs eavesdrop.
	cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
	dbus-daemon --nofork --config-file="$tmp/bus.conf" --print-address=3 \
		3>"$tmp/bus.fifo" >"$tmp/bus.log" 2>&1 &
	bus=$!
	read -r -t 10 address <"$tmp/bus.fifo"
	if [ -z "${address:-}" ]; then
		not_ok "a private session bus starts"
		diag <"$tmp/bus.log"
		exit 1
	fi

	# dunst: its context menu runs `dmenu`, which gets one line per action,
	# "#Label (Summary) [ID,KEY]", and prints the one to invoke: here the
	# line holding the text in $tmp/choice.  Notifications never expire on
	# their own, so nothing in the test moves unless the test moves it.
	cat >"$tmp/dmenu.sh" <<EOF
#!/bin/sh
cat >"$tmp/dmenu.in"
grep -F -- "\$(cat "$tmp/choice")" "$tmp/dmenu.in" | head -n 1
EOF
	chmod +x "$tmp/dmenu.sh"
	cat >"$tmp/dunstrc" <<EOF
[global]
    dmenu = $tmp/dmenu.sh
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
	monitor=$!
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
		printf '%s\n' "$line" >>"$tmp/bus.log"
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
	echo "[$1,$2]" >"$tmp/choice"
	on_bus dunstctl context
}

# ---- dosed -----------------------------------------------------------

BEFORE=0
write_config() { # PORT AT [EXTRA [reminders] LINES]
	cat >"$conf" <<EOF
[store]
path = $db
[feed]
listen = 127.0.0.1:$1
base_url = http://127.0.0.1:$1
[reminders]
at = $2
before = $BEFORE
snooze = 2 s
${3:-}
[rotation]
sites = left deltoid, right deltoid, left thigh, right thigh
[protocols]
paths = $DOSED_TOP/conf/protocols.ini
EOF
}
ctl() { "$DOSECTL" --config "$conf" "$@"; }
hms() { date -u -d "@$1" +%H:%M:%S; }

wait_for_log() { # PATTERN [FROM LINE]
	local i
	for ((i = 0; i < 200; i++)); do
		tail -n +"${2:-1}" "$log" | grep -q -- "$1" && return 0
		[ -n "$dosed" ] && ! kill -0 "$dosed" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}
log_lines() { wc -l <"$log"; }

# Lines of the log matching the ERE after line FROM.
count_log() { # ERE FROM
	tail -n +"$2" "$log" | grep -cE -- "$1"
}
# Wait until COUNT lines after FROM match the ERE.
wait_for_count() { # ERE COUNT FROM
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(count_log "$1" "$3")" -ge "$2" ] && return 0
		[ -n "$dosed" ] && ! kill -0 "$dosed" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

# start_dosed [nobus]: dosed on the private bus (or on none), logging at
# debug level; 0 once it serves and has computed its reminders (its
# "reminders" line).
START_US=
start_dosed() {
	local from
	from=$(($(log_lines) + 1))
	START_US=$(now_us)
	if [ "${1:-}" = nobus ]; then
		"$DOSED" -c "$conf" -v 2>>"$log" &
	else
		DBUS_SESSION_BUS_ADDRESS=$address "$DOSED" -c "$conf" -v 2>>"$log" &
	fi
	dosed=$!
	wait_for_log "serving feeds on" "$from" && wait_for_log "^dosed: \(debug: \)\?reminders" "$from"
}
# stop_dosed: SIGTERM, and its exit status (under the sanitizers a leak
# makes it non-zero).
stop_dosed() {
	local status
	kill -TERM "$dosed"
	wait "$dosed"
	status=$?
	dosed=
	return $status
}
: >"$log"

# find_port AT: a free port in $port, found by trying (dosed exits when its
# port is taken), with dosed started and left running there; exits the
# script when none is found.
port=
find_port() {
	local attempt try
	for attempt in $(seq 1 20); do
		try=$((20000 + RANDOM % 40000))
		write_config "$try" "$1"
		if start_dosed; then
			port=$try
			return 0
		fi
		[ -n "$dosed" ] && kill -0 "$dosed" 2>/dev/null && kill -TERM "$dosed"
		[ -n "$dosed" ] && wait "$dosed"
		dosed=
	done
	not_ok "dosed starts on a free port"
	diag <"$log"
	exit 1
}
