#!/usr/bin/env bash
# cli_worked_example.sh - SPEC section 2's worked example, to the day,
# through dosectl schedule, show and log with the clock pinned.
#
# b12-standard, start Monday 2026-11-23 (Europe/London), every dose on time:
# loading 23, 25, 27, 30 Nov, 2 and 4 Dec 2026; the first maintenance dose
# due from 2027-02-04, overdue after 2027-03-04.  If the second dose is given
# on Thu 26 Nov instead, the third is due Fri 27 Nov.
# shellcheck disable=SC2016 # jq's own $variables
. "$(dirname "$0")/lib.sh"

loading=(2026-11-23 2026-11-25 2026-11-27 2026-11-30 2026-12-02 2026-12-04)

at_time 2026-11-20T12:00:00Z
check_ok "enrol on b12-standard from 2026-11-23" enrol mrn1 --name "Ada Example" \
  --protocol b12-standard --start 2026-11-23 --tz Europe/London

run_dosectl schedule mrn1 --count 8 --json
expect_status 0 "schedule --json: exit 0"
expect_json '[.[].ordinal] == [1, 2, 3, 4, 5, 6, 7, 8]' "schedule --json: ordinals 1 to 8"
expect_json '[.[].due] == ["2026-11-23", "2026-11-25", "2026-11-27", "2026-11-30", "2026-12-02",
  "2026-12-04", "2027-02-04", "2027-04-04"]' \
  "schedule --json: loading 23, 25, 27, 30 Nov, 2, 4 Dec; maintenance from 2027-02-04"
# SPEC 2.3: no grace on a weekly pattern; the 2-3 month window is overdue after +3.
expect_json '[.[].latest] == ["2026-11-23", "2026-11-25", "2026-11-27", "2026-11-30", "2026-12-02",
  "2026-12-04", "2027-03-04", "2027-05-04"]' \
  "schedule --json: loading overdue after its day; maintenance overdue after 2027-03-04"
expect_json '[.[].phase] == ["loading", "loading", "loading", "loading", "loading", "loading",
  "maintenance", "maintenance"]' "schedule --json: six loading doses, then maintenance"

run_dosectl schedule mrn1 --count 7
expect_status 0 "schedule: exit 0"
for i in 0 1 2 3 4 5; do
  expect_stdout_matches "^#$((i + 1))[^0-9].*${loading[$i]}" \
    "schedule: #$((i + 1)) on ${loading[$i]}"
done
expect_stdout_matches '^#7[^0-9].*2027-02-04.*2027-03-04' \
  "schedule: #7 due 2027-02-04, overdue after 2027-03-04"
lines=$(grep -c '^#' "$E2E_OUT")
[ "$lines" = 7 ]
report $? "schedule --count 7: seven doses" "found $lines lines starting '#'"

run_dosectl schedule mrn1 --json
expect_json 'length == 10' "schedule: ten doses by default"

run_dosectl show mrn1
expect_stdout_matches '^ *Next dose: #1 due 2026-11-23' "show before the start: next dose #1 due 2026-11-23"
expect_stdout_matches '^ *Overdue after: 2026-11-23' "show before the start: overdue after 2026-11-23"
grep -qw upcoming "$E2E_OUT"
report $? "show before the start: status upcoming"

# The fields of SPEC 3 and the contract, before any dose is logged.
has_all='def has_all($ks): . as $o | all($ks[]; . as $k | $o | has($k));'
run_dosectl show mrn1 --json
expect_json "$has_all"' (.patient | has_all(["id", "name", "tz"]))
  and (.protocol | has_all(["id", "title", "drug", "dose", "route", "source", "phases"]))
  and (.regimen | has_all(["start", "state", "enrolled_at", "stopped_at"]))
  and (.phase | has_all(["name", "index", "dose_in_phase", "description"]))
  and (.next | has_all(["ordinal", "due", "latest", "status", "site", "phase", "dose"]))
  and (.adherence | has_all(["counted", "on_time", "late", "on_time_percent"]))' \
  "show --json: every field of the contract"
expect_json '.doses == [] and .adherence.counted == 0 and .adherence.on_time_percent == null
  and .phase.index == 0 and .phase.name == "loading" and .phase.dose_in_phase == 1
  and .next.dose == "1 mg" and .regimen.enrolled_at != null' \
  "show --json before any dose: no doses, no adherence yet, loading dose 1 of 1 mg"

# Each loading dose on its day: show before, log, show after.
for i in 0 1 2 3 4 5; do
  day=${loading[$i]} ordinal=$((i + 1))
  at_time "${day}T12:00:00Z"
  run_dosectl show mrn1 --json
  expect_json ".next.ordinal == $ordinal and .next.due == \"$day\" and .next.latest == \"$day\"
    and .next.status == \"due\" and .next.phase == \"loading\"" \
    "show on $day: dose #$ordinal due today"
  run_dosectl log mrn1 --at "$day 09:00" --json
  expect_status 0 "log #$ordinal at $day 09:00: exit 0"
  expect_json "$has_all"' (.dose | has_all(["id", "ordinal", "phase", "given_at", "site", "note", "forced"]))
    and has("next")' "log #$ordinal --json: every field of the contract"
  expect_json ".dose.ordinal == $ordinal and .dose.phase == \"loading\"
    and .dose.given_at == \"${day}T09:00:00+00:00\" and .dose.forced == false" \
    "log #$ordinal: ordinal $ordinal, given ${day}T09:00:00+00:00"
  if [ "$ordinal" -lt 6 ]; then
    next=${loading[$ordinal]}
    expect_json ".next.ordinal == $((ordinal + 1)) and .next.due == \"$next\" and .next.status == \"upcoming\"" \
      "log #$ordinal --json: next is #$((ordinal + 1)) due $next"
    run_dosectl show mrn1
    expect_stdout_matches "^ *Next dose: #$((ordinal + 1)) due $next" \
      "show after #$ordinal: next dose #$((ordinal + 1)) due $next"
    expect_stdout_matches "^ *Overdue after: $next" "show after #$ordinal: overdue after $next"
  fi
done

expect_json '.next.ordinal == 7 and .next.phase == "maintenance" and .next.due == "2027-02-04"
  and .next.latest == "2027-03-04" and .next.status == "upcoming"' \
  "log #6 --json: next is #7, maintenance, due 2027-02-04, overdue after 2027-03-04"
run_dosectl show mrn1
expect_stdout_matches '^ *Next dose: #7 due 2027-02-04' "show after loading: next dose #7 due 2027-02-04"
expect_stdout_matches '^ *Overdue after: 2027-03-04' "show after loading: overdue after 2027-03-04"
run_dosectl show mrn1 --json
expect_json '.phase.name == "maintenance" and .phase.index == 1 and .phase.dose_in_phase == 1' \
  "show --json after loading: in maintenance (phase 1), its dose 1"
expect_json "$has_all"' all(.doses[]; has_all(["id", "ordinal", "phase", "given_at", "site", "note",
  "forced", "void", "void_reason", "due", "latest", "days_late"]))' "show --json: every field of each dose"
expect_json '[.doses[].ordinal] == [1, 2, 3, 4, 5, 6] and all(.doses[]; .void == false and .days_late == 0)' \
  "show --json: the six doses, none void, none late"
expect_json '.adherence.counted == 6 and .adherence.on_time == 6 and .adherence.late == 0
  and .adherence.on_time_percent == 100' "show --json: adherence 6 of 6 on time"
expect_json '.regimen.start == "2026-11-23" and .regimen.state == "active" and .regimen.stopped_at == null
  and .protocol.id == "b12-standard"' "show --json: regimen active since 2026-11-23"

run_dosectl schedule mrn1 --count 2 --json
expect_json '[.[].due] == ["2027-02-04", "2027-04-04"] and [.[].latest] == ["2027-03-04", "2027-05-04"]' \
  "schedule after loading: maintenance 2027-02-04 (latest 2027-03-04), then 2027-04-04"

# The maintenance window: due from 2027-02-04, overdue after 2027-03-04.
for when in "2027-02-03 upcoming" "2027-02-04 due" "2027-03-04 due" "2027-03-05 overdue"; do
  read -r day status <<<"$when"
  at_time "${day}T12:00:00Z"
  run_dosectl show mrn1 --json
  expect_json ".next.ordinal == 7 and .next.status == \"$status\"" "show on $day: #7 $status"
done
run_dosectl patients --json
expect_json '.[0].status == "overdue" and .[0].next_due == "2027-02-04" and .[0].phase == "maintenance"' \
  "patients --json on 2027-03-05: overdue since 2027-02-04, in maintenance"

# The late second dose: given Thu 26 Nov, the third is due Fri 27 Nov.
DB=$E2E_TMP/late.db
at_time 2026-11-20T12:00:00Z
check_ok "enrol the late patient" enrol mrn2 --name "Bea Late" --protocol b12-standard \
  --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T12:00:00Z
check_ok "log #1 on 2026-11-23" log mrn2 --at "2026-11-23 09:00"
at_time 2026-11-26T08:00:00Z
run_dosectl show mrn2 --json
expect_json '.next.ordinal == 2 and .next.due == "2026-11-25" and .next.status == "overdue"' \
  "show on Thu 26 Nov: #2 still the next dose, due 2026-11-25, overdue"
run_dosectl show mrn2
grep -qw overdue "$E2E_OUT"
report $? "show on Thu 26 Nov: says overdue"
run_dosectl due --json
expect_json 'length == 1 and .[0].patient == "mrn2" and .[0].ordinal == 2 and .[0].status == "overdue"' \
  "due on Thu 26 Nov: #2 overdue"
run_dosectl log mrn2 --at "2026-11-26 07:30" --json
expect_status 0 "log #2 late on 2026-11-26: exit 0"
expect_json '.dose.ordinal == 2 and .next.ordinal == 3 and .next.due == "2026-11-27"' \
  "log #2 late: the third dose moves to Fri 2026-11-27"
run_dosectl schedule mrn2 --count 5 --json
expect_json '[.[].due] == ["2026-11-27", "2026-11-30", "2026-12-02", "2026-12-04", "2027-02-04"]' \
  "schedule after the late dose: 27, 30 Nov, 2, 4 Dec, then 2027-02-04"
run_dosectl show mrn2
expect_stdout_matches '^ *Next dose: #3 due 2026-11-27' "show after the late dose: next dose #3 due 2026-11-27"
run_dosectl show mrn2 --json
expect_json '.doses[1].due == "2026-11-25" and .doses[1].latest == "2026-11-25" and .doses[1].days_late == 1
  and .doses[0].days_late == 0' "show --json: the second dose one day late"
expect_json '.adherence.counted == 2 and .adherence.on_time == 1 and .adherence.late == 1
  and .adherence.on_time_percent == 50' "show --json: adherence 1 of 2 on time"
