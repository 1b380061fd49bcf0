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

# --- advance in the second of a log (issue 12) ---------------------------
# The README's clinic sequence, `dosectl log P && dosectl advance P`, within
# one second: DOSED_NOW pins both to the same instant.  The dose was logged
# as loading dose 2, and stays one: maintenance counts from it.
DB=$E2E_TMP/tie.db
at_time 2026-11-20T12:00:00Z
check_ok "enrol t3 on b12-neuro" enrol t3 --name "Tie" --protocol b12-neuro --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T09:00:00Z
check_ok "log t3 #1" log t3
at_time 2026-11-25T09:00:00Z
run_dosectl log t3 --site "right thigh" --json
expect_json '.dose.ordinal == 2 and .dose.phase == $p and .dose.dose_in_phase == 2' \
  "same second: log says #2, loading dose 2" --arg p "$first"
run_dosectl advance t3 --json
expect_status 0 "same second: advance right after log, exit 0"
expect_json '.next.ordinal == 3 and .next.due == "2027-01-25"' \
  "same second: advance --json: #3 due 2027-01-25, two months after dose 2"
run_dosectl show t3 --json
expect_json '[.doses[].phase] == [$p, $p] and .phase.name == $q' \
  "same second: show lists dose 2 in loading, the patient in maintenance" \
  --arg p "$first" --arg q "$second"
expect_json '.next.ordinal == 3 and .next.dose_in_phase == 1 and .next.due == "2027-01-25"' \
  "same second: show: #3 is maintenance dose 1, due 2027-01-25"
run_dosectl show t3
expect_stdout_matches "#2 +2026-11-25 09:00 GMT +$first " "same second: show (text) lists #2 in $first"
at_time 2027-01-25T09:00:00Z
run_dosectl log t3 --json
expect_json '.dose.ordinal == 3 and .dose.phase == $q and .dose.dose_in_phase == 1' \
  "same second: the next dose logged is #3, maintenance dose 1" --arg q "$second"
run_dosectl show t3 --json
expect_json '[.doses[] | [.ordinal, .phase]] == [[1, $p], [2, $p], [3, $q]]' \
  "same second: every dose keeps the number and phase it was logged with" \
  --arg p "$first" --arg q "$second"

# --- a void never undoes an advance (issue 12) ----------------------------
# Three initial doses end the initial phase; the clinician advances the
# alternate-days phase before its first dose; then the third dose is voided
# (logged at the wrong time).  The patient stays in maintenance, counting
# from the last dose that counts, and the void says the advance stands;
# logged again at its true time, before the advance, the dose is the third
# initial dose again.
cat >"$E2E_TMP/clinic.ini" <<'INI'
[clinic-initial-alternate]
title = Cyanocobalamin, initial then alternate days until advanced
drug = cyanocobalamin
dose = 100 mcg
route = IM
source = test protocol
phase = initial: daily for 3 doses
phase = alternate: alternate days until advanced
phase = maintenance: every 1 month for life
INI
write_config "$E2E_TMP/clinic.conf" "$E2E_TMP/clinic.ini"
E2E_CONF=$E2E_TMP/clinic.conf
DB=$E2E_TMP/void-advance.db
at_time 2026-11-20T12:00:00Z
check_ok "enrol va on initial/alternate/maintenance" enrol va --name "Val" \
  --protocol clinic-initial-alternate --start 2026-11-23 --tz Europe/London
for day in 2026-11-23 2026-11-24 2026-11-25; do
  at_time "${day}T09:00:00Z"
  check_ok "log va on $day" log va
done
at_time 2026-11-25T10:00:00Z
run_dosectl advance va --json
expect_json '.phase == "maintenance" and .next.ordinal == 4 and .next.due == "2026-12-25"' \
  "advance before the first alternate dose: maintenance, #4 due 2026-12-25"
at_time 2026-11-25T11:00:00Z
run_dosectl show va --json
third=$(json_value '.doses[] | select(.ordinal == 3) | .id')
run_dosectl void "$third" --reason "logged at the wrong time"
expect_status 0 "void the third dose after the advance: exit 0"
expect_stdout_contains "The advance that ended alternate on 2026-11-25 stands: a void never undoes an advance." \
  "void: says the advance stands"
expect_stdout_contains "Next dose: #3 due 2026-12-24 (maintenance" \
  "void: the next dose is maintenance, one month after the second dose"
run_dosectl show va --json
expect_json '.phase.name == "maintenance" and .next.ordinal == 3 and .next.phase == "maintenance"
  and .next.due == "2026-12-24"' "show after the void: still in maintenance, #3 due 2026-12-24"
run_dosectl schedule va --count 3 --json
expect_json 'all(.[]; .phase == "maintenance")' \
  "schedule after the void: maintenance only, no initial or until-advanced dose"
check_refused 1 "maintenance.*until advanced" "advance after the void: nothing to advance" advance va

# Logged again at its true time, before the advance: the third initial dose.
run_dosectl log va --at "2026-11-25 08:45" --json
expect_json '.dose.ordinal == 3 and .dose.phase == "initial" and .dose.dose_in_phase == 3
  and .next.ordinal == 4 and .next.phase == "maintenance" and .next.due == "2026-12-25"' \
  "log the dose again at its true time: initial dose 3, then maintenance from 2026-12-25"
run_dosectl void "$(json_value .dose.id)" --reason "again" --json
expect_json '.advances_kept == [{"phase": "alternate", "advanced_at": "2026-11-25T10:00:00+00:00"}]
  and .next.phase == "maintenance"' "void --json: the advance kept, named"
