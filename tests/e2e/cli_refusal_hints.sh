#!/usr/bin/env bash
# cli_refusal_hints.sh - the refusals the core leaves to the edges to
# follow with a hint of their own (core/error.h): dosectl names its option
# or command, in exactly these words.
. "$(dirname "$0")/lib.sh"

# expect_error_line TEXT NAME: stderr is exactly the line "dosectl: TEXT".
expect_error_line() {
  printf 'dosectl: %s\n' "$1" >"$E2E_TMP/want-err"
  cmp -s "$E2E_TMP/want-err" "$E2E_ERR"
  report $? "$2" "expected stderr to be exactly: dosectl: $1"
}

at_time 2026-11-23T12:00:00Z
check_ok "enrol a daily patient" enrol d1 --name "Dee" --protocol b12-neuro \
  --start 2026-11-23 --tz UTC
check_ok "enrol a monthly patient" enrol m1 --name "Em" --protocol b12-standard \
  --start 2026-11-01 --tz UTC
check_ok "log d1's first dose" log d1 --at 2026-11-23T09:00:00Z

# SPEC 2.6: a second dose the same day, and one too soon.
check_refused 1 "already logged" "a second dose the same day" log d1 --at 2026-11-23T10:00:00Z
expect_error_line "a dose was already logged on 2026-11-23; use --force if this second dose is intended" \
  "a second dose the same day: dosectl names --force"
for day in 01 03 05 08 10 12; do
  check_ok "m1's loading dose on 2026-11-$day" log m1 --at "2026-11-${day}T09:00:00Z"
done
at_time 2026-11-23T12:00:00Z
check_refused 1 "too soon" "a maintenance dose too soon" log m1 --at 2026-11-20T09:00:00Z
expect_error_line "too soon: the last dose was on 2026-11-12 and the next is due on 2027-01-12; use --force to log this one anyway" \
  "a dose too soon: dosectl names --force"

# Unknown patients and doses: dosectl points at its own commands.
check_refused 1 "unknown patient" "show an unknown patient" show nobody
expect_error_line "unknown patient 'nobody'; see 'dosectl patients'" \
  "an unknown patient: dosectl points at dosectl patients"
check_refused 1 "unknown patient" "a feed for an unknown patient" feed nobody
expect_error_line "unknown patient 'nobody'; see 'dosectl patients'" \
  "a feed for an unknown patient: dosectl points at dosectl patients"
check_refused 1 "unknown dose" "void an unknown dose" void 999 --reason "typo"
expect_error_line "unknown dose 999; 'dosectl show PATIENT' lists the dose ids" \
  "an unknown dose: dosectl points at dosectl show"
