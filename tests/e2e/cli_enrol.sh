#!/usr/bin/env bash
# cli_enrol.sh - dosectl enrol: its --json, the defaults of --start and --tz,
# --days, names kept exactly, the database file, and the regimen's own copy
# of the protocol (SPEC 1, 3, 5).
. "$(dirname "$0")/lib.sh"

# The configured store path is used when there is no --db, and the file is
# created 0600 (SPEC 5, personal use).
at_time 2026-11-20T12:00:00Z
run_dosectl_bare --config "$E2E_CONF" enrol mrn-1 --name "Ada Lovelace" --protocol b12-standard \
  --start 2026-11-23 --tz Europe/London --json
expect_status 0 "enrol: exit 0"
expect_no_stderr "enrol: nothing on stderr"
[ -f "$E2E_TMP/dosed.db" ]
report $? "enrol: the database is created at [store] path"
mode=$(stat -c %a "$E2E_TMP/dosed.db" 2>/dev/null)
[ "$mode" = 600 ]
report $? "enrol: the database file is created 0600" "mode is ${mode:-missing}"
expect_json '.patient == {"id": "mrn-1", "name": "Ada Lovelace", "tz": "Europe/London"}' \
  "enrol --json: patient id, name, tz"
expect_json '.protocol.id == "b12-standard" and .start == "2026-11-23"' \
  "enrol --json: protocol and start"
expect_json '.next == (.next + {"ordinal": 1, "due": "2026-11-23", "latest": "2026-11-23",
  "status": "upcoming"})' "enrol --json: first dose #1 due on the start date, upcoming"

run_dosectl patients --json
expect_json 'length == 1 and .[0].id == "mrn-1" and .[0].name == "Ada Lovelace"
  and .[0].protocol == "b12-standard" and .[0].next_due == "2026-11-23"
  and .[0].status == "upcoming"' "patients --json: the enrolled patient"

# A Saturday start on a mon,wed,fri phase: the first dose is the next Monday
# (SPEC 2.1), shown in words too.
run_dosectl enrol mrn-2 --name "Bob" --protocol b12-standard --start 2026-11-21 --tz Europe/London
expect_status 0 "enrol (text): exit 0"
run_dosectl show mrn-2
expect_stdout_matches '^ *Next dose: #1 due 2026-11-23' \
  "show: a Saturday start on mon,wed,fri is first due on Monday 2026-11-23"

# --start defaults to today in the patient's zone: 03:00 UTC on 2 Dec is
# still 1 Dec in New York.
at_time 2026-12-02T03:00:00Z
run_dosectl enrol ny-1 --name "Nia" --protocol b12-bariatric --tz America/New_York --json
expect_status 0 "enrol without --start: exit 0"
expect_json '.start == "2026-12-01" and .next.due == "2026-12-01"' \
  "enrol without --start: today in America/New_York (2026-12-01)"
run_dosectl enrol ldn-1 --name "Lee" --protocol b12-bariatric --tz Europe/London --json
expect_json '.start == "2026-12-02"' "enrol without --start: today in Europe/London (2026-12-02)"

# --tz defaults to the machine's zone.
TZ=America/New_York run_dosectl enrol tz-1 --name "Tess" --protocol b12-bariatric --json
expect_status 0 "enrol without --tz: exit 0"
expect_json '.patient.tz == "America/New_York" and .start == "2026-12-01"' \
  "enrol without --tz: the machine's zone (TZ=America/New_York)"

# --days replaces the weekdays of the N-per-week phase, never their number:
# b12-standard's loading stays 3 per week for 6 doses (SPEC 1, issue 12).
at_time 2026-11-20T12:00:00Z
run_dosectl enrol days-1 --name "Dee" --protocol b12-standard --start 2026-11-23 \
  --tz Europe/London --days tue,thu,sat --json
expect_status 0 "enrol --days tue,thu,sat: exit 0"
expect_json '.next.due == "2026-11-24"' "enrol --days tue,thu,sat: first dose Tuesday 2026-11-24"
run_dosectl schedule days-1 --count 7 --json
expect_json '[.[].due] == ["2026-11-24", "2026-11-26", "2026-11-28", "2026-12-01",
  "2026-12-03", "2026-12-05", "2027-02-05"]' \
  "enrol --days tue,thu,sat: six loading doses in two weeks, then maintenance from 2027-02-05"
run_dosectl show days-1
expect_stdout_contains "3 per week (Tue, Thu, Sat) for 6 doses" \
  "enrol --days tue,thu,sat: show says 3 per week on the days given"
run_dosectl enrol days-2 --name "Di" --protocol b12-standard --start 2026-11-23 \
  --tz Europe/London --days "Monday, TUE,fri"
expect_status 0 "enrol --days 'Monday, TUE,fri': exit 0"
run_dosectl schedule days-2 --count 6 --json
expect_json '[.[].due] == ["2026-11-23", "2026-11-24", "2026-11-27", "2026-11-30",
  "2026-12-01", "2026-12-04"]' "enrol --days 'Monday, TUE,fri': 3 per week, 6 loading doses"

# Issue 12: "--days mon" made loading 1 per week (six weeks instead of two),
# all seven days 7 per week.  A list of another length is refused, naming
# the number the protocol prescribes; so is a day listed twice.
check_refused 2 "'mon' is 1 day a week, but phase 'loading' of 'b12-standard' is 3 per week" \
  "enrol --days mon on a 3-per-week protocol" \
  enrol days-3 --name "Dot" --protocol b12-standard --start 2026-11-23 --tz Europe/London --days mon
check_refused 2 "is 7 days a week.*list 3 weekdays" "enrol --days with all seven days" \
  enrol days-3 --name "Dot" --protocol b12-standard --start 2026-11-23 --tz Europe/London \
  --days mon,tue,wed,thu,fri,sat,sun
check_refused 2 "'mon,wed' is 2 days a week.*3 per week" "enrol --days mon,wed" \
  enrol days-3 --name "Dot" --protocol b12-standard --start 2026-11-23 --tz Europe/London \
  --days mon,wed
check_refused 2 "'mon' is listed twice" "enrol --days mon,mon,wed (three names, two days)" \
  enrol days-3 --name "Dot" --protocol b12-standard --start 2026-11-23 --tz Europe/London \
  --days mon,mon,wed
# A clinic protocol with two weekday phases of different numbers: one
# list cannot fit both.
cat >"$E2E_TMP/two-weekly.ini" <<'EOF'
[two-weekly]
title = Two weekday phases
drug = hydroxocobalamin
dose = 1 mg
route = IM
source = test protocol
phase = loading: 3 per week (mon,wed,fri) for 6 doses
phase = tail: 2 per week (tue,fri) for 4 doses
phase = maintenance: every 2 months for life
EOF
write_config "$E2E_TMP/two.conf" "$E2E_TMP/two-weekly.ini"
E2E_CONF=$E2E_TMP/two.conf check_refused 2 "phases of 3 and of 2 per week" \
  "enrol --days on a protocol with 3- and 2-per-week phases" \
  enrol days-3 --name "Dot" --protocol two-weekly --start 2026-11-23 --tz Europe/London \
  --days tue,thu,sat
run_dosectl patients --json
expect_json '[.[].id] | index("days-3") == null' "refused --days: the patient is not enrolled"
run_dosectl protocols b12-standard --json
expect_json '.phases[0].description | test("mon"; "i") and test("wed"; "i")' \
  "enrol --days: the catalogue's protocol is unchanged"

# Names are stored and shown exactly (SPEC 3, issue 2): quotes, semicolons,
# a backslash, non-ASCII letters, a newline.
name1='O'"'"'Brien, Jo; "Jr" \ Ünal'
name2=$'First line\nsecond line: \t tab; \'quote\' ½ 日本'
run_dosectl enrol name-1 --name "$name1" --protocol b12-standard --start 2026-11-23 --tz Europe/London --json
expect_status 0 "enrol a name with quotes, a semicolon, a backslash, Ü: exit 0"
expect_json_text .patient.name "$name1" "enrol --json: the name exactly as given"
run_dosectl show name-1 --json
expect_json_text .patient.name "$name1" "show --json: O'Brien, Jo; \"Jr\" \\ Ünal exactly"
run_dosectl show name-1
expect_stdout_contains "$name1" "show: the name exactly as given"
run_dosectl enrol name-2 --name "$name2" --protocol b12-standard --start 2026-11-23 --tz Europe/London
expect_status 0 "enrol a name with a newline, a tab and CJK: exit 0"
run_dosectl show name-2 --json
expect_json_text .patient.name "$name2" "show --json: a name with a newline exactly"
run_dosectl patients --json
expect_json_text '.[] | select(.id == "name-2") | .name' "$name2" \
  "patients --json: a name with a newline exactly"
run_dosectl due --within 30 --json
expect_json_text '.[] | select(.patient == "name-1") | .name' "$name1" "due --json: the name exactly"
# The C locale (a cron job, a system service) changes nothing.
LC_ALL=C run_dosectl enrol name-3 --name "$name1" --protocol b12-standard --start 2026-11-23 \
  --tz Europe/London
expect_status 0 "enrol under LC_ALL=C with a non-ASCII name: exit 0"
LC_ALL=C run_dosectl show name-3 --json
expect_json_text .patient.name "$name1" "show --json under LC_ALL=C: the name exactly"

# The regimen keeps its own copy of the protocol: editing the clinic's file
# later changes new enrolments, never an enrolled patient's plan (SPEC 1).
write_config "$E2E_TMP/v1.conf" "$E2E_DATA/clinic-v1.ini"
write_config "$E2E_TMP/v2.conf" "$E2E_DATA/clinic-v2.ini"
E2E_CONF=$E2E_TMP/v1.conf run_dosectl enrol copy-1 --name "Cy" --protocol clinic-weekly \
  --start 2026-11-23 --tz Europe/London
expect_status 0 "enrol on a clinic protocol: exit 0"
at_time 2026-11-23T12:00:00Z
E2E_CONF=$E2E_TMP/v1.conf run_dosectl log copy-1 --at "2026-11-23 09:00"
expect_status 0 "log a dose on the clinic protocol: exit 0"
E2E_CONF=$E2E_TMP/v2.conf run_dosectl show copy-1 --json
expect_json '.next.due == "2026-11-30" and .next.latest == "2026-12-02" and .phase.name == "weekly"' \
  "after the protocol file changed: the enrolled patient stays weekly (due 2026-11-30)"
E2E_CONF=$E2E_TMP/v2.conf run_dosectl schedule copy-1 --count 3 --json
expect_json '[.[].due] == ["2026-11-30", "2026-12-07", "2026-12-14"]' \
  "after the protocol file changed: the enrolled patient's schedule is unchanged"
E2E_CONF=$E2E_TMP/v2.conf run_dosectl enrol copy-2 --name "Cass" --protocol clinic-weekly \
  --start 2026-11-23 --tz Europe/London
E2E_CONF=$E2E_TMP/v2.conf run_dosectl schedule copy-2 --count 2 --json
expect_json '[.[].due] == ["2026-11-23", "2026-12-07"]' \
  "after the protocol file changed: a new patient gets the new protocol"

# A stopped patient may be enrolled again: a new regimen, the old one kept.
run_dosectl stop copy-1
expect_status 0 "stop before enrolling again: exit 0"
run_dosectl enrol copy-1 --name "Cy" --protocol b12-bariatric --start 2026-12-01 --tz Europe/London --json
expect_status 0 "enrol a stopped patient again: exit 0"
expect_json '.protocol.id == "b12-bariatric" and .next.ordinal == 1 and .next.due == "2026-12-01"' \
  "enrol a stopped patient again: a new regimen from dose #1"

# Enrolled again without --tz: the zone on record, not this machine's.
run_dosectl enrol zoned --name "Zed" --protocol b12-bariatric --start 2026-11-23 \
  --tz America/Los_Angeles
run_dosectl stop zoned
TZ=Europe/London run_dosectl enrol zoned --name "Zed" --protocol b12-neuro --json
expect_status 0 "enrol again without --tz: exit 0"
expect_json '.patient.tz == "America/Los_Angeles"' "enrol again without --tz: the zone on record"
