#!/usr/bin/env bash
# cli_bad_input.sh - each bad input of issue 2: exit status 2 (usage) or 1
# (refused), exactly one stderr line "dosectl: ...", and the database
# byte-for-byte as it was.
. "$(dirname "$0")/lib.sh"

at_time 2026-11-20T12:00:00Z
check_ok "enrol p1" enrol p1 --name "Pat One" --protocol b12-standard --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T12:00:00Z
check_ok "log p1 #1" log p1 --at "2026-11-23 09:00"

# Unknown patient, protocol, command, option.
for command in show schedule log advance stop; do
  check_refused 1 "nobody" "$command an unknown patient" "$command" nobody
done
check_refused 1 "b12-nonesuch" "enrol on an unknown protocol" enrol p2 --name "Pat Two" \
  --protocol b12-nonesuch --start 2026-11-23 --tz Europe/London
check_refused 2 "frobnicate" "an unknown command" frobnicate p1
check_refused 2 "--colour" "an unknown option" log p1 --colour blue
check_refused 2 "--within" "an option of another command" show p1 --within 3

# A patient enrolled twice.
check_refused 1 "p1" "enrol a patient twice" enrol p1 --name "Pat One" --protocol b12-standard \
  --start 2026-11-23 --tz Europe/London
check_refused 1 "p1" "enrol a patient twice, on another protocol" enrol p1 --name "Someone Else" \
  --protocol b12-bariatric

# Impossible dates, unknown zones, weekdays that are not weekdays.
p2=(enrol p2 --name "Pat Two" --protocol b12-standard)
check_refused 2 "2026-02-30" "enrol --start 2026-02-30" "${p2[@]}" --start 2026-02-30 --tz Europe/London
check_refused 2 "2026-13-01" "enrol --start 2026-13-01" "${p2[@]}" --start 2026-13-01 --tz Europe/London
check_refused 2 "23/11/2026" "enrol --start 23/11/2026" "${p2[@]}" --start 23/11/2026 --tz Europe/London
check_refused 2 "2026-11-23x" "enrol --start with trailing text" "${p2[@]}" --start 2026-11-23x --tz Europe/London
check_refused 2 "Mars/Olympus" "enrol --tz Mars/Olympus" "${p2[@]}" --start 2026-11-23 --tz Mars/Olympus
check_refused 2 "funday" "enrol --days funday" "${p2[@]}" --start 2026-11-23 --tz Europe/London --days funday
check_refused 2 "funday" "enrol --days mon,funday" "${p2[@]}" --start 2026-11-23 --tz Europe/London \
  --days mon,funday
check_refused 2 "per week" "enrol --days on a protocol without an N-per-week phase" enrol p2 --name "Pat Two" \
  --protocol b12-bariatric --start 2026-11-23 --tz Europe/London --days mon,thu
check_refused 2 "9999-12-31" "enrol --start years ahead" "${p2[@]}" --start 9999-12-31 --tz Europe/London
check_refused 2 "1899-12-31" "enrol --start before 1900" "${p2[@]}" --start 1899-12-31 --tz Europe/London

# Control characters other than line breaks and tabs: a name must not
# repaint a terminal or fake a worklist row.
check_refused 2 "U\+001B" "enrol a name with an escape sequence" enrol p3 \
  --name $'Evil\e[31mRED' --protocol b12-standard --start 2026-11-23 --tz Europe/London
check_refused 2 "U\+0007" "log a note with a bell" log p1 --at "2026-11-23 10:00" --force \
  --note $'ding\a'

# Missing, empty, malformed arguments.
check_refused 2 "--name" "enrol without --name" enrol p2 --protocol b12-standard
check_refused 2 "--protocol" "enrol without --protocol" enrol p2 --name "Pat Two"
check_refused 2 "PATIENT|patient" "enrol without PATIENT" enrol --name "Pat Two" --protocol b12-standard
check_refused 2 "empty" "enrol with an empty name" enrol p2 --name "" --protocol b12-standard
check_refused 2 "UTF-8" "enrol with a name that is not UTF-8" enrol p2 --name $'Caf\xe9' --protocol b12-standard
check_refused 2 "a b" "enrol a patient id with a space" enrol "a b" --name "Pat Two" --protocol b12-standard
long_id=$(printf 'x%.0s' {1..65})
check_refused 2 "patient id" "enrol a 65-byte patient id" enrol "$long_id" --name "Pat Two" --protocol b12-standard
check_refused 2 "UTF-8" "log a note that is not UTF-8" log p1 --at "2026-11-23 10:00" --force --note $'\xff\xfe'
check_refused 2 "--help" "show with an extra argument" show p1 p2
for count in 0 1001 ten -3; do
  check_refused 2 "$count" "schedule --count $count" schedule p1 --count "$count"
done
run_dosectl schedule p1 --count 1000 --json
expect_status 0 "schedule --count 1000: exit 0"
expect_json 'length == 1000' "schedule --count 1000: a thousand doses"

# Doses the rules refuse; the same day is accepted with --force.
at_time 2026-11-25T12:00:00Z
check_refused 1 "future" "log a dose in the future" log p1 --at "2026-11-26 09:00"
check_refused 1 "future" "log a dose in the future (RFC 3339)" log p1 --at 2026-11-25T12:00:01Z
at_time 2026-11-23T18:00:00Z
check_refused 1 "same day|soon|force" "log a second dose the same day" log p1 --at "2026-11-23 17:00"
at_time 2026-11-20T12:00:00Z
check_ok "enrol p3" enrol p3 --name "Pat Three" --protocol b12-bariatric --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T12:00:00Z
check_refused 1 "start" "log a dose before the start date" log p3 --at "2026-11-22 23:59"
check_refused 1 "start" "log a dose before the start date, RFC 3339" log p3 --at 2026-11-22T23:59:59Z
check_ok "log p3 on its start date" log p3 --at "2026-11-23 00:00"
# Too soon: the next dose of every 3 months is due 2027-02-23; a month is
# less than half the interval (SPEC 2.6).
at_time 2026-12-23T12:00:00Z
check_refused 1 "soon|force" "log a dose before half the interval has passed" log p3 --at "2026-12-23 09:00"
run_dosectl log p3 --at "2026-12-23 09:00" --force --json
expect_status 0 "log a dose too soon with --force: exit 0"
expect_json '.dose.forced == true and .dose.ordinal == 2' "log a dose too soon with --force: recorded as forced"
at_time 2026-11-23T18:00:00Z
run_dosectl log p1 --at "2026-11-23 17:00" --force --json
expect_status 0 "log a second dose the same day with --force: exit 0"
expect_json '.dose.forced == true and .dose.ordinal == 2' "log a second dose the same day with --force: forced, #2"

# A malformed configuration: exit 1, naming file, line and key (SPEC 6).
E2E_CONF=$E2E_DATA/bad-key.conf check_refused 1 "bad-key\\.conf:4.*colour" \
  "a configuration with an unknown key" patients
write_config "$E2E_TMP/bad-protocol.conf" "$E2E_DATA/bad-protocol.ini"
E2E_CONF=$E2E_TMP/bad-protocol.conf check_refused 1 "bad-protocol\\.ini:8" \
  "a protocol file with a malformed phase" enrol p4 --name "Pat Four" --protocol b12-standard
E2E_CONF=$E2E_TMP/no-such.conf check_refused 1 "no-such\\.conf" \
  "a configuration file that does not exist" patients

# Issue 12: numbers are decimal.  GLib's own integer options read "010" as 8
# and "0x10" as 16 (base 0); every other spelling is a usage error.
at_time 2026-11-23T18:00:00Z
for count in 0x10 0X10 +5 " 5" "5 " 1e3 ５ 99999999999999999999; do
  check_refused 2 "--count.*decimal" "schedule --count '$count'" schedule p1 --count "$count"
done
run_dosectl schedule p1 --count 010 --json
expect_status 0 "schedule --count 010: exit 0"
expect_json 'length == 10' "schedule --count 010: ten doses, not eight"
run_dosectl schedule p1 -n 012 --json
expect_json 'length == 12' "schedule -n 012: twelve doses, not ten"
for within in 0x1 -1 +1 1.5 ten; do
  check_refused 2 "--within.*decimal" "due --within '$within'" due --within "$within"
done
check_refused 2 "--within.*3661" "due --within 3661" due --within 3661
for id in 0x1 +1 -1 " 1"; do
  check_refused 2 "dose id|Unknown option" "void '$id'" void "$id" --reason "typo"
done
# A dose due in exactly 10 days: in "--within 010", and not in 8.
DB=$E2E_TMP/within.db
at_time 2026-11-23T12:00:00Z
check_ok "enrol w1, first dose due in 10 days" enrol w1 --name "Wyn" --protocol b12-bariatric \
  --start 2026-12-03 --tz UTC
run_dosectl due --within 010 --json
expect_json '[.[].patient] == ["w1"]' "due --within 010: ten days, the dose due in ten"
run_dosectl due -w 8 --json
expect_json 'length == 0' "due --within 8: not the dose due in ten"
DB=$E2E_TMP/dosed.db

# An empty value is a usage error for every option of every command, in
# both spellings (--opt '' and --opt=): an unset shell variable is a slip,
# never "the default" (enrol --tz '' used the machine's zone).  The options
# are read from each command's --help, so a new one is checked too.
at_time 2026-11-23T18:00:00Z
checked=
for command in $("$DOSECTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && !/^Commands:/ { print $1 }'); do
  for option in $("$DOSECTL" "$command" --help | sed -n 1p |
    grep -oE -- '--[a-z-]+ [A-Z][A-Z_]*' | cut -d ' ' -f 1 | sort -u); do
    check_refused 2 "$option is empty" "$command $option ''" "$command" "$option" ""
    check_refused 2 "$option is empty" "$command $option=" "$command" "$option="
    checked="$checked $command$option"
  done
done
# Every option with a value of SPEC 3 was found (the loop above is not empty).
missing=
for want in enrol--name enrol--protocol enrol--start enrol--tz enrol--days schedule--count \
  log--at log--site log--note void--reason due--within; do
  [[ " $checked " == *" $want "* ]] || missing="$missing $want"
done
[ -z "$missing" ]
report $? "every option with a value was checked with an empty one" "not checked:$missing"
check_refused 2 "--tz is empty" "enrol --tz '' with everything else right" enrol p5 \
  --name "Pat Five" --protocol b12-standard --start 2026-11-23 --tz ""
check_refused 2 "--config" "--config ''" --config "" patients
check_refused 2 "--db" "--db=" --db= patients
check_refused 2 "--config is empty" "--config '' after the command" patients --config ""
check_refused 2 "--db is empty" "--db '' after the command" patients --db ""
for command in show protocols import export; do
  check_refused 2 "empty" "$command ''" "$command" ""
done
check_refused 2 "empty" "void ''" void "" --reason "typo"
