# tests/e2e/lib-daemon.sh - what the tests of the daemon share: the real
# dosed on a free loopback port, with a configuration and a log of its own.
#
# Sourced after lib.sh (its TAP helpers, $E2E_TMP, $DB and the cleanup);
# tests/run gives $DOSED.  The helpers:
#   write_daemon_config PORT [LINE...]   $conf: dosed on 127.0.0.1:PORT
#   start_dosed              dosed -c $conf -v; 0 once it serves
#   start_on_free_port WRITER [ARG...]   on random ports until one is free
#   start_again WRITER [ARG...]          on $port again, or on a free one
#   stop_dosed [SIGNAL]      SIGTERM (or SIGNAL); dosed's exit status
#   dosed_failed NAME        "not ok - NAME", the log's end, exit 1
#   random_port              a port to try (start_on_free_port tries them)
#   log_mark, wait_for_log ERE [MARK], log_has ERE [MARK],
#   count_log ERE [MARK], wait_for_count ERE COUNT [MARK],
#   wait_for_line FILE ERE MARK [PID]
#   ctl ARGS...              dosectl --config $conf ARGS
#   fetch URL [CURL OPTIONS...], header NAME
#   now_ms, now_us, context_switches PID
# and the variables: $conf, $log (dosed's stderr, kept across restarts),
# $dosed (the running dosed's id, empty when none), $port and $base (where
# it serves), START_MARK and START_US (the log's mark and the time when the
# running dosed was started).
#
# A log that goes on across several starts is read from a mark, never
# whole: `mark=$(log_mark)` before the act, then `wait_for_log ERE "$mark"`
# sees only what was written after it.  Without a MARK the waits read what
# the running dosed wrote (from START_MARK), which start_dosed takes
# before dosed runs: a line of an earlier run is never taken for this one's.

# tests/run runs every tests/e2e/*.sh but lib*.sh; alone this has nothing to do.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  exit 0
fi

if ! declare -F verdict >/dev/null; then
  echo "not ok - lib-daemon.sh is sourced after lib.sh"
  exit 1
fi

DOSED=${DOSED:-$(dirname "$DOSECTL")/dosed}
if [ ! -x "$DOSED" ]; then
  not_ok "dosed is built" "no executable at $DOSED"
  exit 1
fi

# No reminder reaches the desktop of whoever runs the tests: no session bus,
# no display to start one from, and a runtime folder of our own with no
# bus in it (lib-desktop.sh makes a private one for the reminder tests).
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
export XDG_RUNTIME_DIR=$E2E_TMP/run
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# How long a wait for the daemon may take: a loaded machine (the sanitizer
# build, two test runs at once) starts dosed slowly.
E2E_WAIT_SECONDS=${E2E_WAIT_SECONDS:-30}

conf=$E2E_TMP/daemon.conf
log=$E2E_TMP/dosed.log
: >>"$log"
dosed=
port=
base=
START_MARK=0
START_US=0
# The log lines start_dosed awaits, in turn, before it says dosed is up.
DOSED_READY=('serving feeds on')

now_us() {
  local t=${EPOCHREALTIME/./}
  echo $((10#$t))
}
now_ms() { echo $(($(now_us) / 1000)); }

ctl() { "$DOSECTL" --config "$conf" "$@"; }

# write_daemon_config PORT [LINE...]: $conf for dosed on 127.0.0.1:PORT,
# its database $DB (no [store] path, the default one, when $DB is empty)
# and the catalogue in conf/; each LINE follows on a line of its own (whole
# sections: "[reminders]" "enabled = false").  [feed] base_url is
# $DAEMON_BASE_URL: http://127.0.0.1:PORT when that is unset, none when it
# is empty.
write_daemon_config() {
  local line
  {
    [ -n "$DB" ] && printf '[store]\npath = %s\n' "$DB"
    printf '[feed]\nlisten = 127.0.0.1:%s\n' "$1"
    [ -n "${DAEMON_BASE_URL-x}" ] &&
      printf 'base_url = %s\n' "${DAEMON_BASE_URL-http://127.0.0.1:$1}"
    printf '[protocols]\npaths = %s\n' "$DOSED_TOP/conf/protocols.ini"
    shift
    for line in "$@"; do
      printf '%s\n' "$line"
    done
  } >"$conf"
}

# ---- the log -----------------------------------------------------------

# log_mark: the lines the log holds now; what comes after is new.
log_mark() {
  if [ -e "$log" ]; then wc -l <"$log"; else echo 0; fi
}

# wait_for_line FILE ERE MARK [PID]: 0 once a line of FILE after line MARK
# matches ERE; 1 when PID ended without one, or after $E2E_WAIT_SECONDS.
wait_for_line() {
  local file=$1 ere=$2 from=$(($3 + 1)) pid=${4-} end=$((SECONDS + E2E_WAIT_SECONDS))
  while :; do
    tail -n +"$from" "$file" 2>/dev/null | grep -qE -- "$ere" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      # It may have written the line as it ended.
      tail -n +"$from" "$file" 2>/dev/null | grep -qE -- "$ere"
      return
    fi
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.05
  done
}

# wait_for_log ERE [MARK]: the same in dosed's log, while dosed runs.
wait_for_log() {
  wait_for_line "$log" "$1" "${2:-$START_MARK}" "$dosed"
}

# log_has ERE [MARK]: 0 when a line of the log after MARK matches.
log_has() {
  tail -n +"$((${2:-$START_MARK} + 1))" "$log" | grep -qE -- "$1"
}
# count_log ERE [MARK]: how many lines of the log after MARK match.
count_log() {
  tail -n +"$((${2:-$START_MARK} + 1))" "$log" | grep -cE -- "$1"
}

# wait_for_count ERE COUNT [MARK]: 0 once COUNT lines after MARK match.
wait_for_count() {
  local end=$((SECONDS + E2E_WAIT_SECONDS))
  until [ "$(count_log "$1" "${3:-$START_MARK}")" -ge "$2" ]; do
    [ -z "$dosed" ] || kill -0 "$dosed" 2>/dev/null || return 1
    [ "$SECONDS" -lt "$end" ] || return 1
    sleep 0.05
  done
}

# ---- starting and stopping ---------------------------------------------

# start_dosed: dosed -c $conf -v in the background, its stderr added to
# $log, its id in $dosed; 0 once each line of DOSED_READY came, with $port
# and $base where $conf has it listen.  1 when it ended first (its port
# taken, a bad config) or did not get there in time; it is not running then.
# shellcheck disable=SC2034 # START_US and $base: for the scripts
start_dosed() {
  local ready
  START_MARK=$(log_mark)
  START_US=$(now_us)
  "$DOSED" -c "$conf" -v 2>>"$log" &
  dosed=$!
  E2E_PIDS+=("$dosed")
  for ready in "${DOSED_READY[@]}"; do
    wait_for_log "$ready" && continue
    e2e_stop "$dosed"
    dosed=
    return 1
  done
  port=$(sed -n 's/^listen = 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$conf" | tail -n 1)
  base=http://127.0.0.1:$port
}

# random_port: a port to try; dosed says when it is taken.
random_port() { echo $((20000 + RANDOM % 40000)); }

# start_on_free_port WRITER [ARG...]: WRITER PORT ARG... writes the config
# for a random port, and start_dosed; another port when that one was
# taken (dosed exits then), at most 20.  0 with dosed serving on $port,
# at $base; 1 at once when dosed failed for another reason.
start_on_free_port() {
  for _ in $(seq 1 20); do
    "$1" "$(random_port)" "${@:2}"
    start_dosed && return 0
    log_has 'in use' || return 1
  done
  return 1
}

# start_again WRITER [ARG...]: dosed on $conf as it is, on the port it
# served on before (the URLs it issued stay the same), or else as
# start_on_free_port WRITER ARG... starts it.
start_again() {
  start_dosed || start_on_free_port "$@"
}

# stop_dosed [SIGNAL]: SIGTERM (or SIGNAL) to the running dosed, and its
# exit status (a leak found by the sanitizers makes it non-zero).
# shellcheck disable=SC2120 # SIGNAL is optional
stop_dosed() {
  local status
  e2e_stop "$dosed" "${1:-TERM}"
  status=$?
  dosed=
  return $status
}

# dosed_failed NAME: the check failed and the script cannot go on.
dosed_failed() {
  not_ok "$1" "the end of dosed's log:" "$(tail -n 40 "$log")"
  exit 1
}

# ---- HTTP and the process ----------------------------------------------

# fetch URL [CURL OPTIONS...]: prints the status code (000 when nothing
# answered); the headers in $E2E_TMP/headers, the body in $E2E_TMP/body.
fetch() {
  local url=$1
  shift
  # curl leaves the file alone when there is no body.
  rm -f "$E2E_TMP/headers" "$E2E_TMP/body"
  curl -s --max-time 10 --path-as-is -D "$E2E_TMP/headers" -o "$E2E_TMP/body" \
    -w '%{http_code}' "$@" "$url"
}
# header NAME: its value in the last answer.
header() {
  tr -d '\r' <"$E2E_TMP/headers" 2>/dev/null | sed -n "s/^$1: //Ip" | tail -n 1
}

# context_switches PID: of every thread of PID so far (SPEC 4: an idle
# daemon does not wake up).
context_switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { n += $2 } END { print n }'
}
