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
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

# The sanitizer build cannot run under valgrind; the plain build is the one.
if ! command -v valgrind >/dev/null; then
	not_ok "valgrind is installed (scripts/debian-packages lists it)"
	exit 0
fi
if nm -an "$DOSED" 2>/dev/null | grep -q __asan_init; then
	ok "valgrind run # SKIP the AddressSanitizer build cannot run under valgrind"
	exit 0
fi

export DOSED_NOW=2026-11-23T10:00:00Z

# dosed, as lib-daemon.sh starts it, is valgrind running dosed (in the
# same process: $dosed is valgrind's id).
cat >"$E2E_TMP/dosed-under-valgrind" <<SH
#!/bin/sh
exec valgrind --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
	--suppressions="$DOSED_TOP/tests/valgrind.supp" --log-file="$E2E_TMP/valgrind.log" \\
	"$DOSED" "\$@"
SH
chmod +x "$E2E_TMP/dosed-under-valgrind"
DOSED=$E2E_TMP/dosed-under-valgrind

start_on_free_port write_daemon_config
ctl enrol P1 --name "Jo O'Brien" --protocol b12-standard --start 2026-11-23 \
	--tz Europe/London >/dev/null
url=$(ctl --json feed P1 | jq -r .url)
# Served once the daemon has read the new token (bounded).
code=
for ((i = 0; i < 200; i++)); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url")
	[ "$code" = 200 ] && break
	sleep 0.05
done
[ "$code" = 200 ]
verdict $? "dosed under valgrind serves the feed"

before=$(curl -s --max-time 10 "$url" | grep -c '^UID:')
ctl log P1 --at "2026-11-23 09:00" >/dev/null
changed=1
for ((i = 0; i < 200; i++)); do
	curl -s --max-time 10 "$url" | grep -q 'given' && { changed=0; break; }
	sleep 0.05
done
verdict $changed "under valgrind a logged dose reaches the feed ($before events before)"

mark=$(log_mark)
kill -HUP "$dosed"
wait_for_log "configuration reloaded" "$mark"
verdict $? "under valgrind SIGHUP reloads"

stop_dosed
status=$?
[ "$status" -eq 0 ]
verdict $? "under valgrind SIGTERM exits 0 (no error, no definite or indirect leak; status $status)"
if [ "$status" -ne 0 ]; then
	grep -v '^==[0-9]*== *$' "$E2E_TMP/valgrind.log" | grep -A12 -E 'lost in loss record|Invalid|uninitialised' |
		sed 's/^/  # /' | head -n 60
fi

# The summary: "ERROR SUMMARY: 0 errors", and "definitely lost: 0 bytes"
# and "indirectly lost: 0 bytes" (or, with nothing allocated left at all,
# "All heap blocks were freed").  A log without them is a failure too.
summary_clean() {
	local log=$E2E_TMP/valgrind.log lost kind
	grep -qE 'ERROR SUMMARY: 0 errors' "$log" || return 1
	grep -q 'All heap blocks were freed' "$log" && return 0
	for kind in definitely indirectly; do
		lost=$(sed -n "s/.*$kind lost: \([0-9,]*\) bytes.*/\1/p" "$log" | tail -n 1)
		[ "$lost" = 0 ] || return 1
	done
}
summary_clean
verdict $? "valgrind's summary: 0 errors, definitely and indirectly lost 0 bytes"
[ "${status:-1}" -eq 0 ] || grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' \
	"$E2E_TMP/valgrind.log" | sed 's/^/  # /'
