#!/usr/bin/env bash
# daemon_notify.sh - the units are Type=notify (systemd/): dosed tells the
# service manager READY=1 once its feeds are served, RELOADING=1 and
# READY=1 around a SIGHUP, STOPPING=1 on SIGTERM.  A datagram socket stands
# in for systemd's NOTIFY_SOCKET.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

# Each datagram on its own line of $messages, newlines as '|'.
socket=$E2E_TMP/notify.sock messages=$E2E_TMP/messages
/usr/bin/python3 - "$socket" "$messages" <<'PY' &
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
E2E_PIDS+=($!)
for i in $(seq 1 100); do [ -S "$socket" ] && break; sleep 0.02; done
: >"$messages"

# As the units run it: no base_url, which follows listen.
DAEMON_BASE_URL=
NOTIFY_SOCKET=$socket start_on_free_port write_daemon_config
wait_for_line "$messages" "READY=1" 0 "$dosed"
verdict $? "READY=1 once the feeds are served"
grep -q "STATUS=serving feeds on 127.0.0.1:$port" "$messages"
verdict $? "STATUS= says where the feeds are served"

mark=$(wc -l <"$messages")
kill -HUP "$dosed"
wait_for_line "$messages" "RELOADING=1" "$mark" "$dosed" &&
	wait_for_line "$messages" "READY=1" "$((mark + 1))" "$dosed"
verdict $? "SIGHUP: RELOADING=1 then READY=1"

mark=$(wc -l <"$messages")
kill -TERM "$dosed"
wait_for_line "$messages" "STOPPING=1" "$mark" "$dosed"
verdict $? "SIGTERM: STOPPING=1"
wait "$dosed"
verdict $? "SIGTERM: exit status 0"
e2e_forget "$dosed"
dosed=
