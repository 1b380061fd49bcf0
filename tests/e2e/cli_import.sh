#!/usr/bin/env bash
# cli_import.sh - dosectl import FILE.csv (issue 7): a clinic's list enrolled
# all or nothing, every bad row named by its line, the database untouched
# when anything is wrong.
. "$(dirname "$0")/lib.sh"

at_time 2026-11-20T12:00:00Z
CSV=$E2E_TMP/patients.csv

# A spreadsheet's export: a header, a name with a comma and doubled quotes,
# one with a line break inside its quotes (so later records start on later
# lines), non-ASCII, CRLF line ends, empty start/tz/days.
printf '%s\r\n' 'id,name,protocol,start,tz,days' \
  'mrn-1,"O'"'"'Brien, Jo ""Jr""",b12-standard,2026-11-23,Europe/London,' \
  'mrn-2,"First line' \
  'second line",b12-standard,2026-11-23,Europe/London,"tue,thu,sat"' \
  'mrn-3,Ünal 日本,b12-bariatric,,,' >"$CSV"
run_dosectl import "$CSV"
expect_status 0 "import: exit 0"
expect_no_stderr "import: nothing on stderr"
expect_stdout_contains "Imported 3 patients." "import: says how many were imported"
[ -f "$DB" ]
report $? "import: creates the database"

run_dosectl show mrn-1 --json
expect_json_text '.patient.name' "O'Brien, Jo \"Jr\"" "import: quotes and a comma kept exactly"
expect_json '.patient.tz == "Europe/London" and .protocol.id == "b12-standard"
  and .next.due == "2026-11-23"' "import: mrn-1 on b12-standard from Monday 2026-11-23"
run_dosectl show mrn-2 --json
expect_json_text '.patient.name' $'First line\nsecond line' \
  "import: a line break inside quotes kept (CRLF ends trimmed)"
expect_json '.next.due == "2026-11-24"' "import: days tue,thu,sat make the first dose Tuesday 2026-11-24"
run_dosectl show mrn-3 --json
expect_json_text '.patient.name' "Ünal 日本" "import: non-ASCII name kept"
expect_json '.patient.tz == "UTC" and .next.due == "2026-11-20"' \
  "import: empty tz is the machine's zone, empty start is today"
run_dosectl schedule mrn-2 --count 4 --json
expect_json '[.[].due] == ["2026-11-24", "2026-11-26", "2026-11-28", "2026-12-01"]' \
  "import: the regimen keeps the days of its row, 3 per week as prescribed"

# --json, and a file without a header.
printf 'j-1,Jay,b12-bariatric,2026-11-21,Europe/Paris,\nj-2,Kay,b12-neuro,2026-11-21,Europe/Paris,\n' \
  >"$E2E_TMP/nohead.csv"
run_dosectl import --json "$E2E_TMP/nohead.csv"
expect_status 0 "import --json: exit 0"
expect_json '. == {"imported": 2}' "import --json: {\"imported\": 2}"
run_dosectl patients --json
expect_json 'length == 5' "import: five patients enrolled in all"

# Three bad rows among good ones: each named with the line it starts on,
# then one summary; exit 1, nothing imported.
BAD=$E2E_TMP/bad.csv
cat >"$BAD" <<'EOF'
id,name,protocol,start,tz,days
g-1,Good One,b12-standard,2026-11-23,Europe/London,
g-2,"Good
Two",b12-standard,2026-11-23,Europe/London,
b-1,Bad Date,b12-standard,2026-02-30,Europe/London,
g-3,Good Three,b12-bariatric,,,
b-2,Bad Protocol,b12-nope,2026-11-23,Europe/London,
b-3,Bad Zone,b12-bariatric,2026-11-23,Mars/Olympus,
EOF
db_dump "$DB" "$E2E_TMP/before"
run_dosectl import "$BAD"
expect_status 1 "bad rows: exit 1"
grep -qE "^dosectl: $BAD:5: .*2026-02-30.*not a date" "$E2E_ERR"
report $? "bad rows: line 5, the impossible date (after a record of two lines)"
grep -qE "^dosectl: $BAD:7: unknown protocol 'b12-nope'" "$E2E_ERR"
report $? "bad rows: line 7, the unknown protocol"
grep -qE "^dosectl: $BAD:8: unknown time zone \"Mars/Olympus\"" "$E2E_ERR"
report $? "bad rows: line 8, the unknown zone"
[ "$(wc -l <"$E2E_ERR")" -eq 4 ] && grep -qE "^dosectl: $BAD: 3 rows are wrong; nothing was imported" "$E2E_ERR"
report $? "bad rows: three row lines and one summary, nothing else"
expect_db_unchanged "$E2E_TMP/before" "bad rows: database unchanged"
run_dosectl show g-1
expect_status 1 "bad rows: the good rows were not imported either"

# The same id twice in the file.
printf 'd-1,Dee,b12-bariatric,,,\nd-2,Dan,b12-bariatric,,,\nd-1,Dee again,b12-bariatric,,,\n' \
  >"$E2E_TMP/dup.csv"
db_dump "$DB" "$E2E_TMP/before"
run_dosectl import "$E2E_TMP/dup.csv"
expect_status 1 "duplicate id: exit 1"
grep -qE "^dosectl: $E2E_TMP/dup.csv:3: patient 'd-1' is also on line 1" "$E2E_ERR"
report $? "duplicate id: line 3 names line 1"
expect_db_unchanged "$E2E_TMP/before" "duplicate id: database unchanged"

# An id already enrolled (by an earlier import), among new ones.
printf 'n-1,New,b12-bariatric,,,\nmrn-2,Again,b12-bariatric,,,\n' >"$E2E_TMP/again.csv"
db_dump "$DB" "$E2E_TMP/before"
run_dosectl import "$E2E_TMP/again.csv"
expect_status 1 "already enrolled: exit 1"
grep -qE "^dosectl: $E2E_TMP/again.csv:2: patient 'mrn-2' is already enrolled" "$E2E_ERR"
report $? "already enrolled: line 2 says so"
expect_db_unchanged "$E2E_TMP/before" "already enrolled: database unchanged"

# A returning patient (their regimen stopped) is enrolled again with the
# name and zone on record; another name is refused by its line.
run_dosectl stop j-1
expect_status 0 "returning: j-1 stopped"
printf 'r-1,Ray,b12-standard,,,\nj-1,Jay Other,b12-standard,2026-11-23,Europe/Paris,\n' \
  >"$E2E_TMP/renamed.csv"
db_dump "$DB" "$E2E_TMP/before"
run_dosectl import "$E2E_TMP/renamed.csv"
expect_status 1 "returning under another name: exit 1"
grep -qE "^dosectl: $E2E_TMP/renamed.csv:2: patient 'j-1' is on record as 'Jay' in Europe/Paris" \
  "$E2E_ERR"
report $? "returning under another name: line 2 says so"
expect_db_unchanged "$E2E_TMP/before" "returning under another name: database unchanged"
printf 'r-1,Ray,b12-standard,,,\nj-1,Jay,b12-standard,2026-11-23,Europe/Paris,\n' \
  >"$E2E_TMP/return.csv"
run_dosectl import "$E2E_TMP/return.csv"
expect_status 0 "returning: exit 0"
run_dosectl show j-1 --json
expect_json '.patient.name == "Jay" and .patient.tz == "Europe/Paris"
  and .protocol.id == "b12-standard" and .next.due == "2026-11-23"' \
  "returning: j-1 on a new regimen, as on record"
run_dosectl patients --json
expect_json 'length == 6' "returning: one patient more, none twice"

# Wrong column counts, bad ids and names, --days on a protocol without an
# N-per-week phase, and a start years ahead: every one reported.
cat >"$E2E_TMP/cols.csv" <<'EOF'
c-1,Short,b12-bariatric
c-2,Long,b12-bariatric,,,,extra
has space,Name,b12-bariatric,,,
c-3,,b12-bariatric,,,
c-4,Days,b12-bariatric,,,"mon,wed"
c-5,Later,b12-bariatric,2031-01-01,,
c-6,Two Days,b12-standard,2026-11-23,Europe/London,"mon,wed"
c-7,Twice Monday,b12-standard,2026-11-23,Europe/London,"mon,mon,wed"
c-8,Every Day,b12-standard,2026-11-23,Europe/London,"mon,tue,wed,thu,fri,sat,sun"
EOF
db_dump "$DB" "$E2E_TMP/before"
run_dosectl import "$E2E_TMP/cols.csv"
expect_status 1 "columns: exit 1"
grep -qE "cols.csv:1: 3 columns, expected 6" "$E2E_ERR" &&
  grep -qE "cols.csv:2: 7 columns, expected 6" "$E2E_ERR"
report $? "columns: 3 and 7 columns are refused with their lines"
grep -qE "cols.csv:3: 'has space' is not a patient id" "$E2E_ERR" &&
  grep -qE "cols.csv:4: the name is empty" "$E2E_ERR"
report $? "columns: a bad id and an empty name, as enrol refuses them"
grep -qiE "cols.csv:5: .*per week" "$E2E_ERR" && grep -qE "cols.csv:6: start 2031-01-01 is more than a year ahead" "$E2E_ERR"
report $? "columns: days on a protocol without weekdays, a start years ahead"
# Issue 12: a row's days made b12-standard 2 or 7 per week; refused, as
# enrol --days is, with the number the protocol prescribes.
grep -qE "cols.csv:7: 'mon,wed' is 2 days a week, but phase 'loading' of 'b12-standard' is 3 per week \(mon,wed,fri\): list 3 weekdays" "$E2E_ERR" &&
  grep -qE "cols.csv:8: 'mon' is listed twice in 'mon,mon,wed'" "$E2E_ERR" &&
  grep -qE "cols.csv:9: '[a-z,]+' is 7 days a week.*list 3 weekdays" "$E2E_ERR"
report $? "columns: days of another number than the protocol's 3 per week, a day twice"
expect_db_unchanged "$E2E_TMP/before" "columns: database unchanged"

# Broken CSV: a quote inside an unquoted field.
printf 'q-1,Jo "Jr",b12-bariatric,,,\n' >"$E2E_TMP/quote.csv"
run_dosectl import "$E2E_TMP/quote.csv"
expect_status 1 "broken CSV: exit 1"
grep -qE "quote.csv:1: not valid CSV" "$E2E_ERR"
report $? "broken CSV: named with its line"

# An empty file, a header alone: nothing to import is refused, and makes
# no database.
: >"$E2E_TMP/empty.csv"
DB=$E2E_TMP/fresh.db
check_refused 1 "empty.csv holds no patients" "empty file" import "$E2E_TMP/empty.csv"
printf 'id,name,protocol,start,tz,days\n' >"$E2E_TMP/header.csv"
check_refused 1 "holds no patients" "header alone" import "$E2E_TMP/header.csv"
# Bad rows into a database that is not there: none is made.
run_dosectl import "$BAD"
[ "$STATUS" = 1 ] && [ ! -e "$DB" ]
report $? "bad rows and no database: exit 1, no database created"

# A missing file: one line, exit 1.
DB=$E2E_TMP/dosed.db
check_refused 1 "no-such\\.csv.*No such file" "missing file" import "$E2E_TMP/no-such.csv"

# Usage.
run_dosectl import
expect_status 2 "no FILE: usage error"
