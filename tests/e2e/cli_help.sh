#!/usr/bin/env bash
# cli_help.sh - dosectl --help, COMMAND --help, help [COMMAND], --version,
# where the global options may stand, and the one-line hint of a usage error.
. "$(dirname "$0")/lib.sh"

# Every command: SPEC 3's, import (issue 7) and help.
commands="protocols enrol import patients show schedule log void advance stop due feed export help"

# Help needs no database and must not create one.
DB=$E2E_TMP/help/dosed.db

for form in --help -h help; do
  run_dosectl "$form"
  expect_status 0 "dosectl $form: exit 0"
  expect_stdout_matches '^usage: dosectl' "dosectl $form: usage on stdout"
  expect_no_stderr "dosectl $form: nothing on stderr"
  listed=$(sed -n '/^Commands:/,/^$/p' "$E2E_OUT" | awk 'NF && !/^Commands:/ { print $1 }' |
    sort -u | tr '\n' ' ')
  expected=$(printf '%s\n' $commands | sort -u | tr '\n' ' ')
  [ "$listed" = "$expected" ]
  report $? "dosectl $form: lists every command, and no other" "listed:   $listed" \
    "expected: $expected"
done

run_dosectl --help
expect_stdout_contains "--json" "dosectl --help: names the global option --json"
expect_stdout_contains "DOSED_NOW" "dosectl --help: names DOSED_NOW"

# The arguments and options each command's synopsis names (SPEC 3's),
# exactly: none missing, none more ("patients" takes none, and must say
# so by naming none).
declare -A synopsis=(
  [protocols]="ID"
  [enrol]="PATIENT --name NAME --protocol ID --start DATE --tz ZONE --days DAYS"
  [import]="FILE"
  [patients]=""
  [show]="PATIENT"
  [schedule]="PATIENT --count N"
  [log]="PATIENT --at TIME --site SITE --note TEXT --force"
  [void]="DOSE_ID --reason TEXT"
  [advance]="PATIENT"
  [stop]="PATIENT"
  [due]="--within DAYS"
  [feed]="PATIENT --rotate --clinic"
  [export]="PATIENT"
  [help]="COMMAND"
)
# The words of a usage line: its options and its UPPER-CASE arguments.
synopsis_words() {
  sed -n '1s/^usage: dosectl [a-z]*//p' "$1" | grep -oE -- '--[a-z-]+|\<[A-Z][A-Z_]*\>' | sort -u |
    tr '\n' ' '
}
for command in $commands; do
  run_dosectl "$command" --help
  expect_status 0 "$command --help: exit 0"
  expect_stdout_matches "^usage: dosectl $command( |\$)" "$command --help: its synopsis on stdout"
  expect_no_stderr "$command --help: nothing on stderr"
  got=$(synopsis_words "$E2E_OUT")
  want=$(printf '%s\n' ${synopsis[$command]} | sed '/^$/d' | sort -u | tr '\n' ' ')
  [ "$got" = "$want" ]
  report $? "$command --help: names its arguments and options, and no others" \
    "named:    $got" "expected: $want"
  cp "$E2E_OUT" "$E2E_TMP/command-help"

  run_dosectl help "$command"
  expect_status 0 "help $command: exit 0"
  cmp -s "$E2E_OUT" "$E2E_TMP/command-help"
  report $? "help $command: the same text as $command --help"
done

[ ! -e "$DB" ]
report $? "help creates no database" "found $DB"

version=$(sed -n 's/^VERSION *= *//p' "$DOSED_TOP/config.mk")
run_dosectl --version
expect_status 0 "--version: exit 0"
expect_stdout_matches "^dosectl $version\$" "--version: prints 'dosectl $version'"

# Usage errors: exit 2 and one line that ends with where to look.
DB=$E2E_TMP/dosed.db
at_time 2026-11-20T12:00:00Z
check_ok "a database to refuse against" enrol p1 --name "Pat One" --protocol b12-standard \
  --start 2026-11-23 --tz Europe/London

check_refused 2 "frobnicate.*--help" "unknown command" frobnicate
check_refused 2 "--colour.*--help" "unknown option of a command" show p1 --colour
check_refused 2 "--colour.*--help" "unknown global option" --colour patients
check_refused 2 "help" "no command"
check_refused 2 "frobnicate" "help for an unknown command" help frobnicate
check_refused 2 "extra.*--help" "an extra argument" patients extra
check_refused 2 "--help" "an option missing its value" schedule p1 --count

# Global options may follow the command; values as --opt=VALUE too.
run_dosectl --json patients
cp "$E2E_OUT" "$E2E_TMP/patients-before"
run_dosectl patients --json
expect_status 0 "patients --json: --json after the command"
expect_json '.[0].id == "p1"' "patients --json: JSON when --json follows the command"
cmp -s "$E2E_OUT" "$E2E_TMP/patients-before"
report $? "patients --json: the same document as --json patients"

run_dosectl_bare patients "--config=$E2E_CONF" "--db=$DB" --json
expect_status 0 "--config=FILE --db=FILE after the command: exit 0"
expect_json 'length == 1 and .[0].id == "p1"' "--config=FILE --db=FILE after the command: that database"

run_dosectl schedule p1 --count=2 --json
expect_status 0 "--count=2: exit 0"
expect_json '[.[].due] == ["2026-11-23", "2026-11-25"]' "--count=2: two doses"
