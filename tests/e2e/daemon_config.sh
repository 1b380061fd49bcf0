#!/usr/bin/env bash
# daemon_config.sh - the addresses dosed and dosectl agree on, and what dosed
# prints (issue 12, items 5 and 6):
#   - the default [feed] base_url is the listen address, so dosectl feed
#     prints a URL the daemon answers; dosed --check-config warns of a
#     base_url on another port of the same machine, and of a wildcard listen
#     with no base_url, where dosectl feed issues no URL at all;
#   - every line dosed prints carries its "dosed: " prefix, the "Address
#     already in use" one included;
#   - `make run` (scripts/dev-run) keeps its configuration, takes PORT=N,
#     and says how when its port is taken.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"
export DOSED_NOW=2026-11-23T10:00:00Z

# Every line of FILE starts with "dosed: " (and there is at least one).
all_prefixed() { # FILE
  [ -s "$1" ] && ! grep -qv '^dosed: ' "$1"
}

# The daemon's configuration without base_url, its database apart from
# the dosectl checks' $DB.
DAEMON_BASE_URL=
DB=$E2E_TMP/daemon.db
start_on_free_port write_daemon_config || dosed_failed "dosed starts on a free port"
first=$dosed

# ---- item 5: base_url follows listen ------------------------------------

"$DOSECTL" --config "$conf" enrol P1 --name "Jo" --protocol b12-standard --start 2026-11-23 \
  --tz Europe/London >/dev/null
run_dosectl_bare --config "$conf" --json feed P1
url=$(json_value .url)
[[ $url == "http://127.0.0.1:$port/feeds/"*.ics ]]
report $? "feed: with listen = 127.0.0.1:$port and no base_url, the URL is on port $port" \
  "url: $url"
code=$(curl -s -o "$E2E_TMP/feed.ics" -w '%{http_code}' --max-time 10 "$url")
[ "$code" = 200 ] && grep -q '^BEGIN:VCALENDAR' "$E2E_TMP/feed.ics"
report $? "feed: the daemon serves the URL dosectl printed (status $code)"

# --check-config: the verdict on stdout, warnings on stderr, all prefixed.
check_config() { # CONF: $out, $err, $status
  "$DOSED" -c "$1" --check-config >"$E2E_TMP/check.out" 2>"$E2E_TMP/check.err"
  status=$?
}
check_config "$conf"
[ "$status" = 0 ] && [ "$(cat "$E2E_TMP/check.out")" = "dosed: configuration OK: $conf" ] &&
  [ ! -s "$E2E_TMP/check.err" ]
report $? "--check-config: a config whose base_url follows listen is OK, with no warning" \
  "status $status; stdout: $(cat "$E2E_TMP/check.out"); stderr: $(cat "$E2E_TMP/check.err")"

write_daemon_config "$port" "[feed]" "base_url = http://localhost:8645"
check_config "$conf"
[ "$status" = 0 ] && all_prefixed "$E2E_TMP/check.err" &&
  grep -q "^dosed: warning: $conf: \[feed\] base_url = http://localhost:8645 names port 8645 of this machine, but dosed listens on 127.0.0.1:$port" \
    "$E2E_TMP/check.err" &&
  [ "$(cat "$E2E_TMP/check.out")" = "dosed: configuration OK: $conf" ]
report $? "--check-config: warns that base_url names port 8645 while dosed listens on $port" \
  "status $status; stderr: $(cat "$E2E_TMP/check.err")"

write_daemon_config "$port" "[feed]" "base_url = https://dosed.example.org"
check_config "$conf"
[ "$status" = 0 ] && [ ! -s "$E2E_TMP/check.err" ]
report $? "--check-config: a proxy's base_url on another host is no warning" \
  "stderr: $(cat "$E2E_TMP/check.err")"

# A wildcard listen names no address a phone could use.
wild=$E2E_TMP/wild.conf
printf '[store]\npath = %s\n[feed]\nlisten = 0.0.0.0:%s\n[protocols]\npaths = %s\n' \
  "$E2E_TMP/daemon.db" "$port" "$DOSED_TOP/conf/protocols.ini" >"$wild"
check_config "$wild"
[ "$status" = 0 ] && all_prefixed "$E2E_TMP/check.err" &&
  grep -q "^dosed: warning: .*listen = 0.0.0.0:$port takes every address.*set \[feed\] base_url" \
    "$E2E_TMP/check.err"
report $? "--check-config: warns that a wildcard listen needs base_url" \
  "stderr: $(cat "$E2E_TMP/check.err")"
db_dump "$DB" "$E2E_TMP/before"
run_dosectl_bare --config "$wild" feed P1 --rotate
[ "$STATUS" = 1 ]
report $? "feed with a wildcard listen and no base_url: refused (1)"
expect_one_error_line "feed with a wildcard listen and no base_url: one line saying what to set" \
  "listen = 0\\.0\\.0\\.0:$port.*set \\[feed\\] base_url in .*wild\\.conf"
expect_db_unchanged "$E2E_TMP/before" "feed with a wildcard listen: no URL issued, nothing changed"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url")
[ "$code" = 200 ]
report $? "feed with a wildcard listen: the URL issued before still works (status $code)"

# An empty FILE is a usage error, as in dosectl (issue 12.15).  With
# --check-config, so that a dosed that took it would not stay running.
for args in "--config= --check-config" "-c '' --check-config" "--db= --check-config" "--check-config --db ''"; do
  eval "\"\$DOSED\" $args" >"$E2E_TMP/empty.out" 2>"$E2E_TMP/empty.err" </dev/null
  status=$?
  [ "$status" = 2 ] && [ "$(wc -l <"$E2E_TMP/empty.err")" = 1 ] &&
    grep -q "^dosed: --\(config\|db\) is empty" "$E2E_TMP/empty.err"
  report $? "dosed $args: a usage error (2), one line" \
    "status $status; stderr: $(cat "$E2E_TMP/empty.err")"
done

# ---- item 6: the prefix on every line, "Address already in use" too ----

write_daemon_config "$port"
timeout 30 "$DOSED" -c "$conf" >"$E2E_TMP/second.out" 2>"$E2E_TMP/second.err"
status=$?
[ "$status" = 1 ] && grep -q "in use" "$E2E_TMP/second.err" && all_prefixed "$E2E_TMP/second.err" &&
  [ ! -s "$E2E_TMP/second.out" ]
report $? "a second dosed on a taken port: exit 1, every line 'dosed: ', saying the address is in use" \
  "status $status; stderr: $(cat "$E2E_TMP/second.err")"

stop_dosed
status=$?
[ "$status" = 0 ] && all_prefixed "$log" && grep -q '^dosed: stopped$' "$log"
report $? "every line the daemon logged, start to stop, is 'dosed: ...' (status $status)" \
  "$(grep -v '^dosed: ' "$log" | head -n 5)"

# ---- item 6: make run ----------------------------------------------------

# scripts/dev-run BUILDDIR [PORT], as `make run` calls it, on a build
# directory of its own holding this build's programs.
build=$E2E_TMP/build
mkdir -p "$build"
absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
ln -s "$(absolute "$DOSED")" "$build/dosed"
ln -s "$(absolute "$DOSECTL")" "$build/dosectl"
dev_conf=$build/dosed-dev.conf

# make run passes PORT on.
make -n -s -C "$DOSED_TOP" BUILDDIR="$build" run PORT=12345 2>/dev/null |
  grep -qx "scripts/dev-run $build 12345"
report $? "make run PORT=N runs scripts/dev-run BUILDDIR N"

# The port taken (by a dosed of another configuration): make run says how.
write_daemon_config "$port"
start_dosed
report $? "dosed serves on $port again, to take the port"
"$DOSED_TOP/scripts/dev-run" "$build" "$port" >"$E2E_TMP/run.out" 2>"$E2E_TMP/run.err"
status=$?
[ "$status" -ne 0 ] && grep -q "^make run: port $port is taken .*make run PORT=N" "$E2E_TMP/run.err" &&
  grep -q '^dosed: .*in use' "$E2E_TMP/run.err"
report $? "make run PORT=$port where the port is taken: fails, saying 'make run PORT=N'" \
  "status $status; stdout: $(cat "$E2E_TMP/run.out"); stderr: $(cat "$E2E_TMP/run.err")"
stop_dosed

# A free port: dosed serves there, and the kept configuration says so.
rm -f "$E2E_TMP/run.out" "$E2E_TMP/run.err"
"$DOSED_TOP/scripts/dev-run" "$build" "$port" >"$E2E_TMP/run.out" 2>"$E2E_TMP/run.err" &
runner=$!
E2E_PIDS+=("$runner")
wait_for_line "$E2E_TMP/run.err" "serving feeds on 127.0.0.1:$port" 0 "$runner" &&
  grep -qx "listen = 127.0.0.1:$port" "$dev_conf"
report $? "make run PORT=$port: dosed serves on $port, kept in dosed-dev.conf" \
  "stdout: $(cat "$E2E_TMP/run.out")" "stderr: $(cat "$E2E_TMP/run.err")"
run_dosectl_bare --config "$dev_conf" enrol D1 --name "Dev" --protocol b12-standard \
  --start 2026-11-23 --tz UTC
run_dosectl_bare --config "$dev_conf" --json feed D1
url=$(json_value .url)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url")
[[ $url == "http://127.0.0.1:$port/"* ]] && [ "$code" = 200 ]
report $? "make run: dosectl --config dosed-dev.conf feed prints a URL it serves" "url $url, status $code"
e2e_stop "$runner"
status=$?
[ "$status" = 0 ]
report $? "make run: SIGTERM reaches dosed, which stops cleanly (status $status)"

# The configuration is kept: an edit stays, and without PORT the port too.
printf '[reminders]\nenabled = false\n' >>"$dev_conf"
cp "$dev_conf" "$E2E_TMP/dev-before.conf"
rm -f "$E2E_TMP/run.out" "$E2E_TMP/run.err"
"$DOSED_TOP/scripts/dev-run" "$build" >"$E2E_TMP/run.out" 2>"$E2E_TMP/run.err" &
runner=$!
E2E_PIDS+=("$runner")
wait_for_line "$E2E_TMP/run.err" "serving feeds on" 0 "$runner"
cmp -s "$dev_conf" "$E2E_TMP/dev-before.conf" &&
  grep -q "serving feeds on 127.0.0.1:$port" "$E2E_TMP/run.err" &&
  grep -q "reminders are off" "$E2E_TMP/run.err"
report $? "make run again: dosed-dev.conf is kept as edited, port and all" \
  "$(diff "$E2E_TMP/dev-before.conf" "$dev_conf")" "running: $(kill -0 "$runner" 2>&1 && echo yes)" \
  "stdout: $(cat "$E2E_TMP/run.out")" "stderr: $(cat "$E2E_TMP/run.err")"
e2e_stop "$runner"
