#!/usr/bin/env bash
# cli_bad_db.sh - databases dosectl must refuse without changing a byte:
# not a dosed database, read-only, locked by another writer for longer than
# the busy timeout (SPEC 3, 5; issue 2 "Bad input").
# shellcheck disable=SC2016 # jq's and sh -c's own $variables
. "$(dirname "$0")/lib.sh"

at_time 2026-11-23T12:00:00Z

# A text file.
DB=$E2E_TMP/notes.txt
printf 'Shopping list\nmilk\neggs\n' >"$DB"
check_refused 1 "database" "a text file: patients" patients
check_refused 1 "database" "a text file: enrol" enrol p1 --name "Pat" --protocol b12-standard --tz Europe/London

# An SQLite database of another program, with and without a schema version.
DB=$E2E_TMP/invoices.db
sqlite3 "$DB" "CREATE TABLE invoices(id INTEGER PRIMARY KEY, amount INTEGER);
  INSERT INTO invoices(amount) VALUES (42);"
check_refused 1 "database" "another program's SQLite database: patients" patients
check_refused 1 "database" "another program's SQLite database: enrol" enrol p1 --name "Pat" \
  --protocol b12-standard --tz Europe/London
DB=$E2E_TMP/versioned.db
sqlite3 "$DB" "CREATE TABLE patients(name TEXT); INSERT INTO patients VALUES ('not ours');
  PRAGMA user_version = 1;"
check_refused 1 "database" "another program's database with user_version 1: patients" patients
check_refused 1 "database" "another program's database with user_version 1: show" show p1

# A dosed database to make read-only and to lock.
DB=$E2E_TMP/dosed.db
at_time 2026-11-20T12:00:00Z
check_ok "enrol p1" enrol p1 --name "Pat One" --protocol b12-standard --start 2026-11-23 --tz Europe/London
at_time 2026-11-23T12:00:00Z
check_ok "log p1 #1" log p1 --at "2026-11-23 09:00"
at_time 2026-11-25T12:00:00Z

# --- read-only ----------------------------------------------------------
# Permissions do not stop root, so as root the check runs as user 65534 on
# a copy that user owns, mode 0444, in a directory of its own.
ro=$E2E_TMP/ro
mkdir -p "$ro/data"
cp "$DB" "$ro/data/dosed.db"
[ -e "$DB-wal" ] && cp "$DB-wal" "$ro/data/dosed.db-wal"
chmod 0444 "$ro/data/dosed.db"
run_as_user=()
ready=yes
if [ "$(id -u)" = 0 ]; then
  if command -v setpriv >/dev/null; then
    chmod 0711 "$E2E_TMP"
    chmod 0755 "$ro"
    chown -R 65534:65534 "$ro/data"
    # The user must be able to run the binary and read the protocols and
    # the sanitizers' suppressions, wherever the tree lives: copies.
    cp "$DOSECTL" "$ro/dosectl"
    cp "$DOSED_TOP/conf/protocols.ini" "$ro/protocols.ini"
    chmod 0755 "$ro/dosectl"
    chmod 0644 "$ro/protocols.ini"
    lsan=${LSAN_OPTIONS-}
    if [[ $lsan =~ suppressions=([^:]*) ]] && [ -f "${BASH_REMATCH[1]}" ]; then
      cp "${BASH_REMATCH[1]}" "$ro/lsan.supp"
      chmod 0644 "$ro/lsan.supp"
      lsan=${lsan/"suppressions=${BASH_REMATCH[1]}"/suppressions=$ro/lsan.supp}
    fi
    run_as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups
      env HOME="$ro" LSAN_OPTIONS="$lsan" "$ro/dosectl")
  else
    echo "ok - read-only database # SKIP setpriv is missing: root ignores file permissions"
    ready=no
  fi
else
  cp "$DOSED_TOP/conf/protocols.ini" "$ro/protocols.ini"
  run_as_user=("$DOSECTL")
fi
if [ "$ready" = yes ]; then
  cat >"$ro/dosed.conf" <<EOF
[store]
path = $ro/data/dosed.db
busy_timeout = 300 ms
[rotation]
sites = $E2E_SITES
[protocols]
paths = $ro/protocols.ini
EOF
  chmod 0644 "$ro/dosed.conf"
  run_read_only() {
    LAST_CMD="DOSED_NOW=$DOSED_NOW ${run_as_user[*]} $(printf '%q ' "$@")"
    "${run_as_user[@]}" --config "$ro/dosed.conf" "$@" >"$E2E_OUT" 2>"$E2E_ERR" </dev/null
    STATUS=$?
  }
  as_user=()
  [ "${#run_as_user[@]}" -gt 1 ] && as_user=("${run_as_user[@]:0:5}")
  "${as_user[@]}" sh -c 'test -r "$1" && ! test -w "$1" && test -x "$2"' sh \
    "$ro/data/dosed.db" "${run_as_user[-1]}"
  report $? "read-only setup: the user can read the database but not write it"

  DB=$ro/data/dosed.db
  check_read_only() { # NAME ARGS...
    local name="a read-only database: $1"
    shift
    db_dump "$DB" "$E2E_TMP/before"
    run_read_only "$@"
    expect_status 1 "$name: exit status 1"
    expect_one_error_line "$name: one error line" "read-?only|permission|write"
    expect_db_unchanged "$E2E_TMP/before" "$name: database unchanged"
  }
  check_read_only "log" log p1 --at "2026-11-25 09:00"
  check_read_only "enrol" enrol p2 --name "Pat Two" --protocol b12-standard --tz Europe/London
  DB=$E2E_TMP/dosed.db
fi

# --- locked by another writer -------------------------------------------
# The sqlite3 shell takes the write lock and prints a marker; reading the
# marker through a fifo tells, without sleeping, that the lock is held.
mkfifo "$E2E_TMP/lock.in" "$E2E_TMP/lock.out"
sqlite3 "$DB" <"$E2E_TMP/lock.in" >"$E2E_TMP/lock.out" 2>&1 &
holder=$!
E2E_PIDS+=("$holder")
exec {lock_in}>"$E2E_TMP/lock.in" {lock_out}<"$E2E_TMP/lock.out"
db_dump "$DB" "$E2E_TMP/before-lock"
printf '%s\n' "BEGIN IMMEDIATE;" "SELECT 'lock held';" >&"$lock_in"
marker=
read -r -t 20 marker <&"$lock_out"
[ "$marker" = "lock held" ]
report $? "another writer holds the lock" "sqlite3 said: $marker"

started=$EPOCHREALTIME
run_dosectl log p1 --at "2026-11-25 09:00"
ended=$EPOCHREALTIME
waited_ms=$(( (10#${ended/./} - 10#${started/./}) / 1000 ))
expect_status 1 "a locked database: exit status 1"
expect_one_error_line "a locked database: one error line" "lock|busy"
# It waited for the configured busy_timeout (300 ms), not less, and not the
# 5 s default.
[ "$waited_ms" -ge 250 ] && [ "$waited_ms" -lt 4000 ]
report $? "a locked database: refused after the busy timeout of 300 ms" "waited $waited_ms ms"

# SPEC 5, WAL: readers are not blocked by a writer.
run_dosectl show p1 --json
expect_status 0 "a locked database: show still reads it"
expect_json '.next.ordinal == 2' "a locked database: show reads the doses"

printf '%s\n' "ROLLBACK;" >&"$lock_in"
exec {lock_in}>&-
wait "$holder"
report $? "the other writer released the lock" "sqlite3 exited with status $?"
exec {lock_out}<&-
E2E_PIDS=()
expect_db_unchanged "$E2E_TMP/before-lock" "a locked database: database unchanged"

run_dosectl log p1 --at "2026-11-25 09:00" --json
expect_status 0 "the lock released: the same dose is logged"
expect_json '.dose.ordinal == 2' "the lock released: dose #2"
