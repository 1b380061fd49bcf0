#!/usr/bin/env bash
# daemon_notify.sh - the units are Type=notify (systemd/): dosed tells the
# service manager READY=1 once its feeds are served, RELOADING=1 and
# READY=1 around a SIGHUP, STOPPING=1 on SIGTERM.  A datagram socket stands
# in for systemd's NOTIFY_SOCKET.
set -u
unset DBUS_SESSION_BUS_ADDRESS
: "${DOSED:?}" "${DOSED_TOP:?}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dosed-notify.XXXXXX")
pid= listener=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"
	[ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener"
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; }
verdict() { if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1"; fi; }

# Each datagram on its own line of $tmp/messages, newlines as '|'.
/usr/bin/python3 - "$tmp/notify.sock" "$tmp/messages" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        try:
            data = s.recv(4096).decode()
        except socket.timeout:
            break
        out.write(data.replace("\n", "|") + "\n")
PY
listener=$!
for i in $(seq 1 100); do [ -S "$tmp/notify.sock" ] && break; sleep 0.02; done
: >"$tmp/messages"

# Wait (bounded) until PATTERN is on line FROM or later of the messages.
await() { # PATTERN FROM
	local i
	for ((i = 0; i < 200; i++)); do
		tail -n +"$2" "$tmp/messages" | grep -q -- "$1" && return 0
		# A daemon that exited (its port was taken) sends nothing more.
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

for attempt in $(seq 1 5); do
	port=$((20000 + RANDOM % 40000))
	cat >"$tmp/dosed.conf" <<CONF
[store]
path = $tmp/dosed.db
[feed]
listen = 127.0.0.1:$port
[protocols]
paths = $DOSED_TOP/conf/protocols.ini
CONF
	NOTIFY_SOCKET=$tmp/notify.sock "$DOSED" -c "$tmp/dosed.conf" 2>>"$tmp/log" &
	pid=$!
	if await "READY=1" 1; then
		break
	fi
	wait "$pid"
	pid=
done
[ -n "$pid" ]
verdict "READY=1 once the feeds are served" $?
grep -q "STATUS=serving feeds on 127.0.0.1:$port" "$tmp/messages"
verdict "STATUS= says where the feeds are served" $?

lines=$(wc -l <"$tmp/messages")
kill -HUP "$pid"
await "RELOADING=1" "$((lines + 1))" && await "READY=1" "$((lines + 2))"
verdict "SIGHUP: RELOADING=1 then READY=1" $?

lines=$(wc -l <"$tmp/messages")
kill -TERM "$pid"
await "STOPPING=1" "$((lines + 1))"
verdict "SIGTERM: STOPPING=1" $?
wait "$pid"
verdict "SIGTERM: exit status 0" $?
pid=
