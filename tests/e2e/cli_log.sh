#!/usr/bin/env bash
# cli_log.sh - dosectl log: the one-patient shortcut, --at in the patient's
# zone, site rotation, notes kept exactly, and the doses it refuses
# (SPEC 2.6, 3).
. "$(dirname "$0")/lib.sh"

# No database yet: a read is refused rather than made to look like an
# empty clinic, and leaves no file behind.
at_time 2026-11-23T12:00:00Z
check_refused 1 "no database at" "log before any database exists" log
[ ! -e "$DB" ]
report $? "log before any database exists: no file made" "found $DB"
check_refused 1 "no database at" "patients before any database exists" patients

# An empty database (an empty file is one): no patient to log to.
: >"$DB"
check_ok "patients on an empty database" patients --json
expect_json '. == []' "patients --json on an empty database: []"
check_refused 1 "no patients enrolled" "log with no patient enrolled" log

# One patient: PATIENT may be left out (SPEC 3).
at_time 2026-11-20T12:00:00Z
check_ok "enrol the only patient" enrol solo --name "Sol" --protocol b12-neuro \
  --start 2026-11-23 --tz Europe/London
run_dosectl show --json
expect_status 0 "show without PATIENT, one patient: exit 0"
expect_json '.patient.id == "solo"' "show without PATIENT: the only patient"
# SPEC 2 "Injection sites rotate": the first configured site comes first.
expect_json '.next.site == "left deltoid"' "show --json: the first suggested site is the first configured"
run_dosectl schedule --count 3 --json
expect_json '[.[].due] == ["2026-11-23", "2026-11-25", "2026-11-27"]' \
  "schedule without PATIENT: the only patient's alternate days"

at_time 2026-11-23T12:00:00Z
run_dosectl log --at "2026-11-23 09:00" --site "left deltoid" --json
expect_status 0 "log without PATIENT, one patient: exit 0"
expect_json '.dose.ordinal == 1 and .dose.site == "left deltoid" and .dose.note == null
  and .dose.forced == false and (.dose.id | type == "number")' "log --json: dose #1 at the left deltoid"
expect_json '.next.ordinal == 2 and .next.due == "2026-11-25" and .next.site == "right deltoid"' \
  "log --json: next #2 due 2026-11-25 at the right deltoid"
run_dosectl show solo --json
expect_json '(.doses | length) == 1 and .doses[0].site == "left deltoid"
  and .doses[0].given_at == "2026-11-23T09:00:00+00:00"' "show --json: the dose logged to the only patient"

# Sites: case-insensitive, stored as configured; the suggestion follows the
# last site used, whichever it was, and wraps.
at_time 2026-11-25T12:00:00Z
run_dosectl log solo --at "2026-11-25 09:00" --site "RIGHT Deltoid" --json
expect_status 0 "log --site 'RIGHT Deltoid': exit 0"
expect_json '.dose.site == "right deltoid"' "log --site 'RIGHT Deltoid': stored as 'right deltoid'"
expect_json '.next.site == "left thigh"' "log --site right deltoid: next suggested the left thigh"
at_time 2026-11-27T12:00:00Z
run_dosectl log solo --at "2026-11-27 09:00" --site "right thigh" --json
expect_json '.next.site == "left deltoid"' "log --site right thigh (the last): the suggestion wraps to the left deltoid"
run_dosectl show solo --json
expect_json '[.doses[].site] == ["left deltoid", "right deltoid", "right thigh"] and .next.site == "left deltoid"' \
  "show --json: the sites recorded, and the next suggested"
run_dosectl show solo
expect_stdout_contains "left deltoid" "show: names the suggested site"
check_refused 2 "left ear" "log --site not in [rotation] sites" log solo --at "2026-11-27 10:00" \
  --site "left ear" --force

# --at as RFC 3339, and notes kept exactly.
note=$'Bruise from last time; "mild" \\ Ünal\nsecond line'
at_time 2026-11-29T12:00:00Z
run_dosectl log solo --at 2026-11-29T09:30:00Z --note "$note" --json
expect_status 0 "log --at RFC 3339 --note: exit 0"
expect_json '.dose.given_at == "2026-11-29T09:30:00+00:00" and .dose.ordinal == 4' \
  "log --at 2026-11-29T09:30:00Z: given_at in the patient's zone"
expect_json_text .dose.note "$note" "log --json: the note exactly"
run_dosectl show solo --json
expect_json_text '.doses[-1].note' "$note" "show --json: the note exactly"

# A second dose the same day: refused without --force, recorded with it.
at_time 2026-11-29T20:00:00Z
check_refused 1 "same day|soon|force" "a second dose the same day" log solo --at "2026-11-29 18:00"
run_dosectl log solo --at "2026-11-29 18:00" --force --json
expect_status 0 "a second dose the same day with --force: exit 0"
expect_json '.dose.forced == true and .dose.ordinal == 5' "a second dose the same day with --force: recorded, forced"
run_dosectl show solo --json
expect_json '(.doses | length) == 5 and .doses[-1].forced == true and .doses[0].forced == false' \
  "show --json: the forced dose marked forced"

# Doses the rules refuse.
at_time 2026-11-30T12:00:00Z
check_refused 1 "future" "a dose in the future (an hour from now)" log solo --at "2026-11-30 13:00" --force
check_refused 1 "future" "a dose in the future (tomorrow)" log solo --at "2026-12-01 09:00"
check_refused 1 "before|earlier|after" "a dose before the last one logged" log solo --at "2026-11-28 09:00" --force

# A dose before the start date, on a patient with no dose yet.
at_time 2026-11-20T12:00:00Z
check_ok "enrol a second patient" enrol later --name "Lat" --protocol b12-standard \
  --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T12:00:00Z
check_refused 1 "start" "a dose before the start date" log later --at "2026-11-22 09:00"
check_refused 1 "start" "a dose before the start date, with --force" log later --at "2026-11-22 09:00" --force

# Two patients: PATIENT must be named.
check_refused 2 "2 patients enrolled.*name one" "log without PATIENT, two patients" log --at "2026-11-23 09:00"
check_refused 2 "2 patients enrolled" "show without PATIENT, two patients" show
check_refused 1 "nobody" "log for an unknown patient" log nobody
check_refused 2 "yesterday" "log --at yesterday" log later --at yesterday
check_refused 2 "2026-02-30" "log --at an impossible date" log later --at "2026-02-30 09:00"

# --at is read in the patient's zone, and "now" is today in that zone.
at_time 2026-11-20T12:00:00Z
check_ok "enrol a patient in New York" enrol ny --name "Nye" --protocol b12-neuro \
  --start 2026-11-23 --tz America/New_York
at_time 2026-11-23T20:00:00Z
run_dosectl log ny --at "2026-11-23 09:00" --json
expect_status 0 "log --at '2026-11-23 09:00' in New York: exit 0"
expect_json '.dose.given_at == "2026-11-23T09:00:00-05:00"' \
  "log --at '2026-11-23 09:00' in New York: given_at 2026-11-23T09:00:00-05:00"
# 02:00 UTC on the 26th is still the 25th in New York: #2 is due today.
at_time 2026-11-26T02:00:00Z
run_dosectl show ny --json
expect_json '.next.due == "2026-11-25" and .next.status == "due"' \
  "show at 21:00 in New York on the 25th: #2 due today"
run_dosectl log ny --json
expect_status 0 "log without --at: exit 0"
expect_json '.dose.given_at == "2026-11-25T21:00:00-05:00" and .dose.ordinal == 2' \
  "log without --at: given now (21:00 in New York)"
