#!/usr/bin/env bash
# completion.sh - bash completion for dosectl (completion/dosectl, issue 5):
# what a user pressing Tab gets, from the function bash would call, with
# the dosectl under test answering for patient and protocol ids; and that
# it knows every command and option dosectl --help lists.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# shellcheck source=completion/dosectl
. "$DOSED_TOP/completion/dosectl"

# complete WORD...: the candidates, one a line, sorted, for the command line
# WORD... with the cursor at the end of the last word (give "" for a new
# word).  The first word is the dosectl under test, as if typed as a path.
complete_line() {
  COMP_WORDS=("$DOSECTL" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _dosectl 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}

# offers EXPECTED WORD...: the candidates are exactly EXPECTED (words
# separated by blanks).
offers() {
  local want=$1 got
  shift
  got=$(complete_line "$@" | tr '\n' ' ')
  # shellcheck disable=SC2086 # the words of EXPECTED, one a line
  want=$(printf '%s\n' $want | LC_ALL=C sort | tr '\n' ' ')
  [ "$got" = "$want" ] && return 0
  DIAG="dosectl $* <Tab>: expected [$want], got [$got]"
  return 1
}

check "the commands, at the start" offers \
  "advance due enrol export feed help import log patients protocols schedule show stop void" ""
check "a command from its first letters" offers "enrol export" e
check "global options" offers "--config --db --help --json --version" --
check "log's options" offers "--at --config --db --force --help --json --note --site" log --
check "feed's options" offers "--clinic --config --db --help --json --rotate" feed MRN1 --
check "nothing offered for a free-text value" offers "" enrol MRN1 --name ""
check "weekdays for --days, after those typed" offers "mon,wed,sat mon,wed,sun" \
  enrol MRN1 --days mon,wed,s

# The ids come from dosectl itself, with the --config and --db typed.
run_dosectl enrol MRN1 --name "Jo" --protocol b12-standard --start 2026-11-23 --tz UTC
run_dosectl enrol MRN22 --name "Al" --protocol b12-neuro --start 2026-11-23 --tz UTC
check "patient ids from the database named by --db" offers "MRN1 MRN22" \
  --config "$E2E_CONF" --db "$DB" show ""
check "patient ids, with --config=FILE split at '=' as bash does" offers "MRN22" \
  --config = "$E2E_CONF" --db = "$DB" log MRN2
check "only the first argument is a patient" offers "" --db "$DB" show MRN1 ""
check "protocol ids for --protocol" offers "b12-bariatric b12-cyano-label b12-ileal-resection b12-neuro b12-standard" \
  --config "$E2E_CONF" enrol MRN3 --protocol b12-
check "protocol ids for protocols" offers "b12-neuro" --config "$E2E_CONF" protocols b12-n
check "no database, no patient ids (and no error)" offers "" \
  --config "$E2E_CONF" --db "$E2E_TMP/none.db" show ""
# Which zones there are depends on tzdata: London is one, and each is one.
zones_offered() {
  local got
  got=$(complete_line enrol MRN3 --tz Europe/Lo)
  grep -qx Europe/London <<<"$got" && ! grep -qv '^Europe/Lo' <<<"$got" && return 0
  DIAG="dosectl enrol MRN3 --tz Europe/Lo <Tab>: got [$(tr '\n' ' ' <<<"$got")]"
  return 1
}
check "time zones for --tz" zones_offered

# Nothing dosectl has is missing: its commands, and each command's options.
knows_everything() {
  local commands command option missing=
  commands=$("$DOSECTL" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF { print $1 }' |
    grep -v '^Commands:')
  [ -n "$commands" ] || { DIAG="no commands in dosectl --help"; return 1; }
  for command in $commands; do
    complete_line "$command" | grep -qx "$command" || missing="$missing command:$command"
    for option in $("$DOSECTL" "$command" --help | head -n 1 | grep -oE -- '--[a-z-]+'); do
      complete_line "$command" "${option:0:3}" | grep -qx -- "$option" ||
        missing="$missing $command:$option"
    done
  done
  [ -z "$missing" ] && return 0
  DIAG="the completion lacks:$missing"
  return 1
}
check "every command and option of dosectl --help completes" knows_everything
