#!/usr/bin/env bash
# cli_due.sh - dosectl due [--within DAYS] (the worklist, soonest first) and
# dosectl patients (everyone, by id, with phase, next due and status).
. "$(dirname "$0")/lib.sh"

: >"$DB"
check_ok "due on an empty database" due --json
expect_json '. == []' "due --json on an empty database: []"

# Today is Tuesday 2026-12-01.  Enrolled out of id order on purpose.
at_time 2026-11-20T12:00:00Z
enrol() { # ID PROTOCOL START NAME
  check_ok "enrol $1 on $2 from $3" enrol "$1" --name "$4" --protocol "$2" --start "$3" --tz Europe/London
}
enrol d-later b12-ileal-resection 2026-12-20 "Dan Later"
enrol b-tomorrow b12-standard 2026-12-01 "Bea Tomorrow"
enrol e-today b12-neuro 2026-12-01 "Eve Today"
enrol a-over b12-standard 2026-11-23 "Abe Overdue"
enrol c-soon b12-bariatric 2026-12-05 "Cy Soon"
enrol f-stopped b12-standard 2026-11-23 "Fay Stopped"
check_ok "stop f-stopped" stop f-stopped
at_time 2026-12-01T12:00:00Z

run_dosectl patients --json
expect_status 0 "patients --json: exit 0"
expect_json '[.[].id] == ["a-over", "b-tomorrow", "c-soon", "d-later", "e-today", "f-stopped"]' \
  "patients --json: everyone, sorted by id"
expect_json '[.[].status] == ["overdue", "upcoming", "upcoming", "upcoming", "due", "stopped"]' \
  "patients --json: overdue, upcoming, due and stopped"
expect_json '[.[].next_due] == ["2026-11-23", "2026-12-02", "2026-12-05", "2026-12-20", "2026-12-01", null]' \
  "patients --json: next due (a weekday start moves to Wednesday; none when stopped)"
expect_json '[.[].protocol] == ["b12-standard", "b12-standard", "b12-bariatric", "b12-ileal-resection",
  "b12-neuro", "b12-standard"] and .[0].name == "Abe Overdue" and .[0].phase == "loading"' \
  "patients --json: protocol, name, phase"

run_dosectl patients
expect_status 0 "patients: exit 0"
order=$(grep -oE '\b[a-f]-(over|tomorrow|soon|later|today|stopped)\b' "$E2E_OUT" | tr '\n' ' ')
[ "$order" = "a-over b-tomorrow c-soon d-later e-today f-stopped " ]
report $? "patients: one line each, by id" "order: $order"
expect_stdout_contains "Abe Overdue" "patients: names"
grep -E '\ba-over\b' "$E2E_OUT" | grep -qw overdue
report $? "patients: a-over marked overdue"

run_dosectl due --json
expect_status 0 "due --json: exit 0"
expect_json '[.[].patient] == ["a-over", "e-today"]' "due --json: due today or overdue, soonest due first"
expect_json '.[0] | {patient, name, ordinal, due, latest, status} == {"patient": "a-over", "name": "Abe Overdue", "ordinal": 1, "due": "2026-11-23",
  "latest": "2026-11-23", "status": "overdue"}' "due --json: the overdue dose in full"
expect_json '.[1].status == "due" and .[1].due == "2026-12-01" and .[1].ordinal == 1' "due --json: the dose due today"

run_dosectl due
expect_status 0 "due: exit 0"
order=$(grep -oE '\b[a-f]-(over|tomorrow|soon|later|today|stopped)\b' "$E2E_OUT" | tr '\n' ' ')
[ "$order" = "a-over e-today " ]
report $? "due: the overdue dose, then the one due today" "order: $order"
expect_stdout_contains "2026-11-23" "due: the due date"

run_dosectl due --within 7 --json
expect_json '[.[].patient] == ["a-over", "e-today", "b-tomorrow", "c-soon"]' \
  "due --within 7: adds the doses due by 2026-12-08, soonest first"
expect_json '.[2].status == "upcoming" and .[2].due == "2026-12-02"' "due --within 7: upcoming doses marked upcoming"
run_dosectl due --within=30 --json
expect_json '[.[].patient] == ["a-over", "e-today", "b-tomorrow", "c-soon", "d-later"]' \
  "due --within=30: everyone active"

# Logging the overdue dose takes it off the worklist.
check_ok "log a-over's overdue dose" log a-over --at "2026-12-01 09:00"
run_dosectl due --json
expect_json '[.[].patient] == ["e-today"]' "due after logging: only the dose due today"

check_refused 2 "-1" "due --within -1" due --within -1
check_refused 2 "soon" "due --within soon" due --within soon
check_refused 2 "--help" "due with an argument" due a-over

# Columns line up whatever the names are made of: they are padded to
# terminal columns, not bytes (a combining accent takes none, a CJK
# character two), and a line break in a name stays inside its row.
at_time 2026-11-20T12:00:00Z
enrol g-accent b12-standard 2026-12-01 "Zoe"$'\xcc\x88'" Mu"$'\xcc\x88'"ller"
enrol h-wide b12-standard 2026-12-01 "李小龍"
enrol i-break b12-standard 2026-12-01 $'Ann\nBreak'
at_time 2026-12-01T12:00:00Z
run_dosectl due --within 7
expect_status 0 "due with accented, wide and two-line names: exit 0"
grep -qF "g-accent     Zoe"$'\xcc\x88'" Mu"$'\xcc\x88'"ller               #1    " "$E2E_OUT"
report $? "due: an accented name padded to 24 columns" "$(grep g-accent "$E2E_OUT")"
grep -qF "h-wide       李小龍                   #1    " "$E2E_OUT"
report $? "due: a name of wide characters padded to 24 columns" "$(grep h-wide "$E2E_OUT")"
grep -qF "i-break      Ann Break                #1    " "$E2E_OUT"
report $? "due: a line break in a name shown as a space" "$(grep -A1 i-break "$E2E_OUT")"
run_dosectl patients
grep -qF "h-wide       李小龍                   b12-standard         loading        " "$E2E_OUT"
report $? "patients: a name of wide characters padded to 24 columns" "$(grep h-wide "$E2E_OUT")"

# The table and the JSON list are one worklist: the same patients in the
# same order, soonest first and a day's patients by id, whatever order
# they were enrolled in (the table is made a day at a time).
run_dosectl due --within 30 --json
json_order=$(jq -r '[.[] | .patient + "@" + .due] | join(" ")' "$E2E_OUT")
run_dosectl due --within 30
text_order=$(awk 'NR > 1 && match($0, /[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/) {
  printf "%s%s@%s", (NR > 2 ? " " : ""), $1, substr($0, RSTART, RLENGTH) }' "$E2E_OUT")
[ "$text_order" = "$json_order" ]
report $? "due: the table in the JSON list's order" "table: $text_order; JSON: $json_order"
# a-over was enrolled after b-tomorrow, and its next dose falls on the
# same day.
[ "$json_order" = "e-today@2026-12-01 a-over@2026-12-02 b-tomorrow@2026-12-02 g-accent@2026-12-02 h-wide@2026-12-02 i-break@2026-12-02 c-soon@2026-12-05 d-later@2026-12-20" ]
report $? "due: a day's patients by id, not by enrolment" "JSON: $json_order"
