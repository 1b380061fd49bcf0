#!/usr/bin/env bash
# daemon_valgrind.sh - the daemon's end-to-end run under valgrind: serve a
# feed, see a change, reload, stop.  Definitely and indirectly lost must be
# 0 bytes and no memory error may be reported; tests/valgrind.supp holds
# only the libraries' own one-time allocations, each explained there.
#
# Two checks, each able to fail alone (issue 12: the grep of a log written
# with --quiet, which never holds the summary, could not): valgrind's exit
# status, which --error-exitcode makes 99 on any error or definite or
# indirect leak, and the summary valgrind writes at exit, read for its
# numbers.  A deliberate 100-byte leak in daemon_on_reload() fails both.
set -u
unset DBUS_SESSION_BUS_ADDRESS
: "${DOSED:?}" "${DOSECTL:?}" "${DOSED_TOP:?}"

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; }
verdict() { if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1"; fi; }

# The sanitizer build cannot run under valgrind; the plain build is the one.
if ! command -v valgrind >/dev/null; then
	not_ok "valgrind is installed (scripts/debian-packages lists it)"
	exit 0
fi
if nm -an "$DOSED" 2>/dev/null | grep -q __asan_init; then
	ok "valgrind run # SKIP the AddressSanitizer build cannot run under valgrind"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dosed-valgrind.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
export DOSED_NOW=2026-11-23T10:00:00Z
conf=$tmp/dosed.conf
ctl() { "$DOSECTL" --config "$conf" "$@"; }

for attempt in $(seq 1 5); do
	port=$((20000 + RANDOM % 40000))
	cat >"$conf" <<CONF
[store]
path = $tmp/dosed.db
[feed]
listen = 127.0.0.1:$port
base_url = http://127.0.0.1:$port
[protocols]
paths = $DOSED_TOP/conf/protocols.ini
CONF
	ctl enrol P1 --name "Jo O'Brien" --protocol b12-standard --start 2026-11-23 \
		--tz Europe/London >/dev/null 2>&1
	url=$(ctl --json feed P1 2>/dev/null | jq -r .url)
	[ -n "$url" ] && [ "$url" != null ] || url=$(ctl --json feed P1 --rotate | jq -r .url)
	valgrind --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--suppressions="$DOSED_TOP/tests/valgrind.supp" --log-file="$tmp/valgrind.log" \
		"$DOSED" -c "$conf" -v 2>"$tmp/dosed.log" &
	pid=$!
	# Up when the port answers: valgrind makes the start slow (bounded).
	for ((i = 0; i < 600; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url" || true)
		[ "$code" = 200 ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ "$code" = 200 ] && break
	wait "$pid"
	pid=
done
[ "${code:-}" = 200 ]
verdict "dosed under valgrind serves the feed" $?

before=$(curl -s --max-time 10 "$url" | grep -c '^UID:')
ctl log P1 --at "2026-11-23 09:00" >/dev/null
changed=1
for ((i = 0; i < 200; i++)); do
	curl -s --max-time 10 "$url" | grep -q 'given' && { changed=0; break; }
	sleep 0.05
done
verdict "under valgrind a logged dose reaches the feed ($before events before)" $changed

kill -HUP "$pid"
for ((i = 0; i < 400; i++)); do
	grep -q "configuration reloaded" "$tmp/dosed.log" && break
	sleep 0.05
done
grep -q "configuration reloaded" "$tmp/dosed.log"
verdict "under valgrind SIGHUP reloads" $?

kill -TERM "$pid"
wait "$pid"
status=$?
pid=
[ "$status" -eq 0 ]
verdict "under valgrind SIGTERM exits 0 (no error, no definite or indirect leak; status $status)" $?
if [ "$status" -ne 0 ]; then
	grep -v '^==[0-9]*== *$' "$tmp/valgrind.log" | grep -A12 -E 'lost in loss record|Invalid|uninitialised' |
		sed 's/^/  # /' | head -n 60
fi

# The summary: "ERROR SUMMARY: 0 errors", and "definitely lost: 0 bytes"
# and "indirectly lost: 0 bytes" (or, with nothing allocated left at all,
# "All heap blocks were freed").  A log without them is a failure too.
summary_clean() {
	local log=$tmp/valgrind.log lost kind
	grep -qE 'ERROR SUMMARY: 0 errors' "$log" || return 1
	grep -q 'All heap blocks were freed' "$log" && return 0
	for kind in definitely indirectly; do
		lost=$(sed -n "s/.*$kind lost: \([0-9,]*\) bytes.*/\1/p" "$log" | tail -n 1)
		[ "$lost" = 0 ] || return 1
	done
}
summary_clean
verdict "valgrind's summary: 0 errors, definitely and indirectly lost 0 bytes" $?
[ "${status:-1}" -eq 0 ] || grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' \
	"$tmp/valgrind.log" | sed 's/^/  # /'
