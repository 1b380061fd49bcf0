#!/usr/bin/env bash
# cli_void_advance_stop.sh - dosectl void (the dose kept, marked, its ordinal
# back), advance (b12-neuro's "until advanced" phase) and stop (history kept,
# then logging refused).  SPEC 2.4, 3, 5.
# shellcheck disable=SC2016 # jq's and sh -c's own $variables
. "$(dirname "$0")/lib.sh"

# --- void ---------------------------------------------------------------
at_time 2026-11-20T12:00:00Z
check_ok "enrol for void" enrol v1 --name "Vic" --protocol b12-standard --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T12:00:00Z
check_ok "log #1" log v1 --at "2026-11-23 09:00" --site "right thigh"
at_time 2026-11-25T12:00:00Z
run_dosectl log v1 --at "2026-11-25 09:00" --site "left thigh" --json
expect_status 0 "log #2: exit 0"
dose_id=$(json_value .dose.id)
[[ $dose_id =~ ^[0-9]+$ ]]
report $? "log --json: a numeric dose id" "got '$dose_id'"

check_refused 2 "--help" "void without --reason" void "$dose_id"
check_refused 2 "empty" "void with an empty reason" void "$dose_id" --reason ""
check_refused 2 "abc" "void a dose id that is not a number" void abc --reason "typo"
check_refused 1 "999999" "void an unknown dose id" void 999999 --reason "typo"

reason='Logged for the wrong patient; "v2" \ Ünal'
run_dosectl void "$dose_id" --reason "$reason" --json
expect_status 0 "void: exit 0"
expect_json '.dose.id == ($id | tonumber) and .dose.ordinal == 2 and .dose.void == true' \
  "void --json: the dose, #2, void" --arg id "$dose_id"
expect_json_text .dose.void_reason "$reason" "void --json: the reason exactly"
expect_json '.dose.voided_by == $me and .dose.voided_at == "2026-11-25T12:00:00+00:00"' \
  "void --json: who voided it, and when" --arg me "$(id -un)"
expect_json '(.patient | if type == "object" then .id else . end) == "v1"' "void --json: its patient"

run_dosectl show v1 --json
expect_json '(.doses | length) == 2' "show after void: the voided dose is kept"
expect_json '.doses[] | select(.id == ($id | tonumber)) | .void == true and .ordinal == 2
  and .site == "left thigh" and .given_at == "2026-11-25T09:00:00+00:00"' \
  "show after void: the dose marked void, as it was logged" --arg id "$dose_id"
expect_json_text ".doses[] | select(.id == $dose_id) | .void_reason" "$reason" \
  "show after void: the void reason exactly"
expect_json '.doses[0].void == false and .doses[0].void_reason == null' "show after void: the other dose untouched"
expect_json '.next.ordinal == 2 and .next.due == "2026-11-25" and .next.status == "due"' \
  "show after void: #2 is the next dose again, due 2026-11-25"
expect_json '.adherence.counted == 1' "show after void: the voided dose no longer counts"
expect_json '.next.site == "left deltoid"' "show after void: the suggestion follows the last valid dose (right thigh), not the void one"
run_dosectl show v1
grep -qi void "$E2E_OUT"
report $? "show after void: marks the dose void"
# Issue 12: who voided it, beside when (SPEC 5: marked with who and when).
me=$(id -un)
grep -qF "VOID by $me at 2026-11-25 12:00 GMT: " "$E2E_OUT"
report $? "show after void: says who voided the dose, and when"
run_dosectl show v1 --json
expect_json '.doses[] | select(.id == ($id | tonumber)) | .voided_by == $me
  and .voided_at == "2026-11-25T12:00:00+00:00"' \
  "show --json after void: voided_by and voided_at" --arg id "$dose_id" --arg me "$me"
expect_json '.doses[0].voided_by == null' "show --json after void: no voided_by on a dose not void"

check_refused 1 "already void" "void a dose already void" void "$dose_id" --reason "again"

run_dosectl log v1 --at "2026-11-25 10:00" --json
expect_status 0 "log after void, the same day as the voided dose: exit 0"
expect_json '.dose.ordinal == 2 and .next.due == "2026-11-27"' "log after void: the dose takes ordinal 2 again"

# --- advance ------------------------------------------------------------
DB=$E2E_TMP/advance.db
run_dosectl protocols b12-neuro --json
first=$(json_value '.phases[0].name')
second=$(json_value '.phases[1].name')
at_time 2026-11-20T12:00:00Z
check_ok "enrol on b12-neuro" enrol n1 --name "Neu" --protocol b12-neuro --start 2026-11-23 --tz Europe/London
check_ok "enrol on b12-standard" enrol s1 --name "Sta" --protocol b12-standard --start 2026-11-23 --tz Europe/London
for day in 2026-11-23 2026-11-25; do
  at_time "${day}T12:00:00Z"
  check_ok "log n1 on $day" log n1 --at "$day 09:00"
done
at_time 2026-11-26T12:00:00Z
run_dosectl show n1 --json
expect_json '.phase.index == 0 and .phase.name == $p and .next.due == "2026-11-27"' \
  "show before advance: alternate days, next 2026-11-27" --arg p "$first"
run_dosectl schedule n1 --count 20 --json
expect_json 'length == 20 and all(.[]; .phase == $p)' \
  "schedule before advance: an until-advanced phase goes on" --arg p "$first"

check_refused 1 "until advanced" "advance a phase that is not until advanced" advance s1

run_dosectl advance n1 --json
expect_status 0 "advance: exit 0"
expect_json '(.phase | if type == "object" then .name else . end) == $p' \
  "advance --json: the new phase" --arg p "$second"
# SPEC 2.4: the next phase's first dose is one of its intervals after the
# last dose (25 Nov + 2 months); monthly patterns have 7 days' grace.
expect_json '.next.due == "2027-01-25" and .next.latest == "2027-02-01" and .next.ordinal == 3' \
  "advance --json: #3 due 2027-01-25, overdue after 2027-02-01"
run_dosectl show n1 --json
expect_json '.phase.index == 1 and .phase.name == $p and .next.phase == $p' \
  "show after advance: in the second phase" --arg p "$second"
run_dosectl schedule n1 --count 3 --json
expect_json '[.[].due] == ["2027-01-25", "2027-03-25", "2027-05-25"]' \
  "schedule after advance: every 2 months from 2027-01-25"
check_refused 1 "until advanced" "advance twice (the last phase is for life)" advance n1

# --- stop ---------------------------------------------------------------
check_ok "log s1 #1" log s1 --at "2026-11-23 09:00"
run_dosectl stop s1 --json
expect_status 0 "stop: exit 0"
expect_json '.state == "stopped" and .next == null' "stop --json: stopped, no next dose"
run_dosectl show s1 --json
expect_status 0 "show after stop: exit 0"
expect_json '.regimen.state == "stopped" and .regimen.stopped_at != null and .next == null' \
  "show after stop: the regimen stopped, no next dose"
expect_json '(.doses | length) == 1 and .doses[0].given_at == "2026-11-23T09:00:00+00:00"' \
  "show after stop: the history kept"
run_dosectl patients --json
expect_json '.[] | select(.id == "s1") | .status == "stopped" and .next_due == null' \
  "patients --json after stop: stopped, no next due"
run_dosectl due --within 365 --json
expect_json '[.[].patient] == ["n1"]' "due after stop: the stopped patient is not on the worklist"
at_time 2026-11-27T12:00:00Z
check_refused 1 "stopped" "log after stop" log s1 --at "2026-11-27 09:00"
check_refused 1 "stopped" "log after stop, with --force" log s1 --at "2026-11-27 09:00" --force
check_refused 1 "stopped" "stop twice" stop s1
check_refused 1 "stopped" "advance after stop" advance s1
check_refused 1 "nobody" "stop an unknown patient" stop nobody
check_refused 1 "nobody" "advance an unknown patient" advance nobody
