# tests/e2e/lib.sh - what the end-to-end tests share.
#
# Each tests/e2e/*.sh sources this file (the daemon's tests lib-daemon.sh
# after it, the reminder tests lib-desktop.sh after that).  tests/run gives them $DOSECTL (the
# built binary) and $DOSED_TOP (the source tree); a script prints one TAP
# line per check, "ok - NAME" or "not ok - NAME" followed by indented
# diagnostics, and exits 0 unless something outside the checks broke.
#
# The helpers:
#   verdict STATUS NAME [DIAGNOSTIC...]   one TAP line for a check (0 passes);
#                            ok NAME, not_ok NAME [DIAGNOSTIC...]
#   check NAME COMMAND...    verdict on COMMAND, which may leave lines in $DIAG
#   diag [LINE...]           TAP comment lines (stdin when no LINE)
#   diag_if_failed LINE...   held for the next check, shown only if it fails
#                            (so is what is written to $E2E_DIAG)
#   e2e_stop PID [SIGNAL]    stop a process this script started; its status
#   run_dosectl ARGS...      dosectl --config $E2E_CONF --db $DB ARGS...; sets
#                            STATUS and leaves stdout/stderr in $E2E_OUT/$E2E_ERR
#   run_dosectl_bare ARGS... the same without --config and --db
#   at_time RFC3339          pin the clock (DOSED_NOW) for what follows
#   expect_status N NAME     expect_stdout_contains TEXT NAME
#   expect_json FILTER NAME [JQ ARGS...]   (jq -e on one JSON document)
#   expect_json_text FILTER TEXT NAME      (jq -j output equals TEXT byte for byte)
#   expect_one_error_line NAME [ERE]       (exactly one stderr line "dosectl: ...")
#   db_dump DB FILE          the database's .dump and the file's sha256
#   check_refused STATUS ERE NAME ARGS...  run, expect STATUS, one error line
#                            matching ERE, and $DB byte-for-byte unchanged

# tests/run runs every tests/e2e/*.sh, this one too: alone it has nothing to do.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  exit 0
fi

set -u

DOSED_TOP=${DOSED_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DOSECTL=${DOSECTL:-$DOSED_TOP/build/dosectl}
# shellcheck disable=SC2034 # used by the scripts that source this file
E2E_DATA=$DOSED_TOP/tests/data/e2e
E2E_SITES="left deltoid, right deltoid, left thigh, right thigh"

if [ ! -x "$DOSECTL" ]; then
  echo "not ok - dosectl is built"
  echo "  # no executable at $DOSECTL"
  exit 1
fi

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dosed-e2e.XXXXXX") || exit 1
E2E_OUT=$E2E_TMP/stdout
E2E_ERR=$E2E_TMP/stderr
E2E_DIAG=$E2E_TMP/diag
: >"$E2E_DIAG"
# The processes this script started and has not stopped yet, by their ids.
E2E_PIDS=()

e2e_cleanup() {
  local i
  # The last started first: a daemon before the bus it talks to.
  for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
    kill "${E2E_PIDS[i]}" 2>/dev/null
    wait "${E2E_PIDS[i]}" 2>/dev/null
  done
  rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP

# e2e_forget PID: PID has ended and was waited for; the cleanup leaves the
# id alone (the system may give it to another process).
e2e_forget() {
  local i kept=()
  for i in "${E2E_PIDS[@]}"; do
    [ "$i" = "$1" ] || kept+=("$i")
  done
  E2E_PIDS=("${kept[@]}")
}

# e2e_stop PID [SIGNAL]: SIGNAL (TERM) to a process this script started,
# and its exit status once it ended.
e2e_stop() {
  local status
  kill -"${2:-TERM}" "$1" 2>/dev/null
  # (Without bash's own notice of a process killed.)
  wait "$1" 2>/dev/null
  status=$?
  e2e_forget "$1"
  return $status
}

# ---- TAP ---------------------------------------------------------------

# diag [LINE...]: the LINEs, or stdin when there are none, as TAP comments.
diag() {
  if [ $# -gt 0 ]; then
    printf '%s\n' "$@"
  else
    cat
  fi | sed 's/^/  # /'
}

# diag_if_failed LINE...: shown under the next check if it fails, dropped
# when it passes.  A command's stderr can go the same way: 2>"$E2E_DIAG".
diag_if_failed() {
  printf '%s\n' "$@" >>"$E2E_DIAG"
}

# verdict STATUS NAME [DIAGNOSTIC...]: "ok - NAME" when STATUS is 0, else
# "not ok - NAME" and the DIAGNOSTICs (and what diag_if_failed held) as
# comments; returns STATUS's truth.  The status comes first, so that
#   [ "$got" = "$want" ]
#   verdict $? "the feed has $(wc -l <list) events"
# reports the test's status: bash expands the words left to right, and a
# $(...) in the name, expanded before a $? after it, would set that $?.
verdict() {
  local status=$1 name=${2-} line
  case $status in
    '' | *[!0-9]*)
      # The arguments the other way round, as verdict once took them.
      echo "not ok - $status"
      diag "verdict: '$status' is no exit status (verdict STATUS NAME [DIAGNOSTIC...])"
      : >"$E2E_DIAG"
      return 1
      ;;
  esac
  shift 2
  if [ "$status" -eq 0 ]; then
    echo "ok - $name"
  else
    echo "not ok - $name"
    for line in "$@"; do
      diag "$line"
    done
    [ -s "$E2E_DIAG" ] && head -n 40 "$E2E_DIAG" | diag
  fi
  : >"$E2E_DIAG"
  [ "$status" -eq 0 ]
}
ok() { verdict 0 "$@"; }
not_ok() { verdict 1 "$@"; }

# check NAME COMMAND...: verdict on COMMAND's status, with what COMMAND
# (a function of the test) left in $DIAG shown under a failure.
DIAG=
check() {
  local name=$1
  shift
  DIAG=
  "$@"
  verdict $? "$name" ${DIAG:+"$DIAG"}
  return 0
}

# Nothing from the machine or the caller's account leaks in: no config is
# found by accident, and the defaults that depend on the environment are
# fixed (the machine's zone is UTC unless a check says otherwise).
export HOME=$E2E_TMP/home
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
export LC_ALL=C.UTF-8
export TZ=UTC
unset DOSED_NOW

# write_config FILE [PROTOCOL FILES...]: the test configuration.  The store
# path is $E2E_TMP/dosed.db (run_dosectl overrides it with --db $DB); a
# short busy timeout keeps the lock check quick.
write_config() {
  local file=$1 paths=$DOSED_TOP/conf/protocols.ini extra
  shift
  for extra in "$@"; do
    paths="$paths, $extra"
  done
  cat >"$file" <<EOF
[store]
path = $E2E_TMP/dosed.db
busy_timeout = 300 ms
[rotation]
sites = $E2E_SITES
[protocols]
paths = $paths
EOF
}

E2E_CONF=$E2E_TMP/dosed.conf
write_config "$E2E_CONF"
DB=$E2E_TMP/dosed.db

at_time() {
  export DOSED_NOW=$1
}

LAST_CMD=
STATUS=

run_dosectl_bare() {
  LAST_CMD="DOSED_NOW=${DOSED_NOW-} dosectl $(printf '%q ' "$@")"
  "$DOSECTL" "$@" >"$E2E_OUT" 2>"$E2E_ERR" </dev/null
  STATUS=$?
}

run_dosectl() {
  run_dosectl_bare --config "$E2E_CONF" --db "$DB" "$@"
}

# The last command, its status and output, as TAP diagnostics.
e2e_diagnose_run() {
  printf '  #   command: %s\n' "$LAST_CMD"
  printf '  #   status: %s\n' "$STATUS"
  printf '  #   stdout: %s\n' "$(head -c 1500 "$E2E_OUT")" | sed '2,$s/^/  #     /'
  printf '  #   stderr: %s\n' "$(head -c 800 "$E2E_ERR")" | sed '2,$s/^/  #     /'
}

# report STATUS NAME [DIAGNOSTIC LINES...]: verdict, and on failure the
# last dosectl command run and what it printed.
report() {
  verdict "$@" && return 0
  e2e_diagnose_run
  return 1
}

expect_status() {
  local want=$1 name=$2
  [ "$STATUS" = "$want" ]
  report $? "$name" "expected exit status $want"
}

expect_stdout_contains() {
  grep -qF -- "$1" "$E2E_OUT"
  report $? "$2" "expected stdout to contain: $1"
}

# expect_stdout_matches ERE NAME (extended regex, one line of stdout)
expect_stdout_matches() {
  grep -qE -- "$1" "$E2E_OUT"
  report $? "$2" "expected a stdout line matching: $1"
}

expect_no_stderr() {
  [ ! -s "$E2E_ERR" ]
  report $? "$1" "expected nothing on stderr"
}

# Exactly one JSON document on stdout, and FILTER true of it.
expect_json() {
  local filter=$1 name=$2 docs
  shift 2
  docs=$(jq -s length <"$E2E_OUT" 2>/dev/null)
  if [ "$docs" != 1 ]; then
    report 1 "$name" "expected one JSON document on stdout, found ${docs:-invalid JSON}"
    return 1
  fi
  jq -e "$@" "$filter" <"$E2E_OUT" >/dev/null 2>&1
  report $? "$name" "expected jq to find true: $filter"
}

# The string FILTER selects is TEXT, byte for byte (jq -j adds no newline).
expect_json_text() {
  local filter=$1 text=$2 name=$3
  printf '%s' "$text" >"$E2E_TMP/want"
  jq -j "$filter" <"$E2E_OUT" >"$E2E_TMP/got" 2>/dev/null &&
    cmp -s "$E2E_TMP/want" "$E2E_TMP/got"
  report $? "$name" "expected $filter to be exactly $(printf '%q' "$text")" \
    "got $(printf '%q' "$(cat "$E2E_TMP/got")")"
}

# json_value FILTER: print one value of the last stdout (jq -r), for later use.
json_value() {
  jq -r "$1" <"$E2E_OUT" 2>/dev/null
}

# SPEC 3: an error is exactly one line on stderr, "dosectl: " then what is
# wrong and what to do; ERE (case-insensitive) names the words it must hold.
expect_one_error_line() {
  local name=$1 ere=${2-} lines first
  lines=$(wc -l <"$E2E_ERR")
  first=$(head -n 1 "$E2E_ERR")
  # One newline, and it ends the output.
  if [ "$lines" -ne 1 ] || [ -n "$(tail -c 1 "$E2E_ERR")" ]; then
    report 1 "$name" "expected exactly one line on stderr, found $lines"
    return 1
  fi
  case $first in
    "dosectl: "?*) ;;
    *)
      report 1 "$name" "expected the stderr line to start with 'dosectl: '"
      return 1
      ;;
  esac
  if [ -n "$ere" ] && ! grep -qiE -- "$ere" "$E2E_ERR"; then
    report 1 "$name" "expected the error to match (case-insensitive): $ere"
    return 1
  fi
  report 0 "$name"
}

# db_dump DB FILE: the database's content (sqlite3 .dump) and its bytes
# (sha256 of the file and of a non-empty -wal beside it).  The dump reads a copy, so
# that sqlite3 leaves no -wal or -shm files of its own beside DB.
db_dump() {
  local db=$1 file=$2 copy=$E2E_TMP/dump-copy
  rm -rf "$copy"
  mkdir "$copy"
  {
    if [ -e "$db" ]; then
      cp "$db" "$copy/db"
      [ -e "$db-wal" ] && cp "$db-wal" "$copy/db-wal"
      sqlite3 -readonly "$copy/db" .dump 2>&1
      echo "sha256 $(sha256sum <"$db")"
      # An empty -wal is no content: SQLite creates one on opening.
      [ -s "$db-wal" ] && echo "wal sha256 $(sha256sum <"$db-wal")"
    else
      echo "no file $db"
    fi
  } >"$file"
  rm -rf "$copy"
}

# expect_db_unchanged BEFORE NAME: $DB is as BEFORE (a db_dump) recorded it.
expect_db_unchanged() {
  local before=$1 name=$2
  db_dump "$DB" "$E2E_TMP/after"
  cmp -s "$before" "$E2E_TMP/after"
  report $? "$name" "the database changed:" \
    "$(diff "$before" "$E2E_TMP/after" | head -n 12)"
}

# check_refused STATUS ERE NAME ARGS...: dosectl ARGS exits STATUS with one
# error line matching ERE, and leaves $DB byte-for-byte as it was (SPEC 3:
# "a refused command changes nothing").  Three TAP lines.
check_refused() {
  local want=$1 ere=$2 name=$3
  shift 3
  db_dump "$DB" "$E2E_TMP/before"
  run_dosectl "$@"
  expect_status "$want" "$name: exit status $want"
  expect_one_error_line "$name: one error line" "$ere"
  expect_db_unchanged "$E2E_TMP/before" "$name: database unchanged"
}

# check_ok NAME ARGS...: the command succeeds, with nothing on stderr.
check_ok() {
  local name=$1
  shift
  run_dosectl "$@"
  [ "$STATUS" = 0 ] && [ ! -s "$E2E_ERR" ]
  report $? "$name" "expected exit status 0 and an empty stderr"
}
