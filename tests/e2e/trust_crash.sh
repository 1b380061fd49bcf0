#!/usr/bin/env bash
# trust_crash.sh - crash safety (issue 6, point 3; SPEC 5: "a crash at any
# moment loses nothing that was reported as done and leaves nothing half
# written").
#
# `dosectl log` and `dosectl enrol` are killed with SIGKILL at random
# moments, hundreds of times each, and the daemon a few dozen times while
# it serves feeds and saves their event states.  Afterwards the database
# passes PRAGMA integrity_check, every command that reported success (exit
# 0 and its whole JSON document read) is there, nothing is half written
# (every dose has its audit row, every patient a regimen, every regimen its
# enrolment, ordinals 1..n without gaps or twins), dosectl still opens it,
# and the daemon still serves it.
#
# TRUST_CRASH_KILLS (default 300) sets the kills of each dosectl command,
# TRUST_CRASH_DAEMON_KILLS (default 30) the daemon's; TRUST_CRASH_SEED
# replays a run (the seed is printed).
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

kills=${TRUST_CRASH_KILLS:-300}
daemon_kills=${TRUST_CRASH_DAEMON_KILLS:-30}
seed=${TRUST_CRASH_SEED:-$(($(date +%s%N) % 32768))}
RANDOM=$seed
echo "# random seed $seed (TRUST_CRASH_SEED=$seed replays this run)"

# A random number in [0, N) from two draws of $RANDOM (30 bits).
random_below() { echo $(((RANDOM << 15 | RANDOM) % $1)); }

at_time 2026-11-23T10:00:00Z
DB=$E2E_TMP/crash.db
# The default busy timeout (5 s): a killed writer's lock goes with it.
write_daemon_config "$(random_port)" "[reminders]" "enabled = false"
sql() { sqlite3 -batch -noheader "$DB" "$@"; }

# ---- dosectl, killed ------------------------------------------------------

# Ten patients to log doses for; the enrolments killed below are new ones.
for n in $(seq 1 10); do
	ctl --json enrol "L$n" --name "Log Target $n" --protocol b12-neuro --start 2026-01-01 \
		>/dev/null || { verdict 1 "setup: enrol L$n"; exit 1; }
done

# How long one command takes here (sanitizer builds are slower): the kill
# delays spread over 0 .. 1.5 times that, so that they land before the
# transaction, inside it, after the commit and after the exit alike.
minute=0
# What dosectl reported done: each successful command's whole JSON
# document, one after the other (jq reads them all at the end, and fails on
# a document cut short).
reported=$E2E_TMP/reported.json
: >"$reported"
next_at() { # the next --at: one minute later each time, all in the past of DOSED_NOW
	minute=$((minute + 1))
	printf -v at '2026-01-02 %02d:%02d' $((minute / 60)) $((minute % 60))
}
# run_log PATIENT [timeout -s KILL DELAY] and run_enrol PATIENT [...]: one
# command, its document kept on success.  The braces take bash's own
# "Killed" notice away from the test's output.
run_log() {
	local patient=$1 status
	shift
	next_at
	{ "$@" "$DOSECTL" --config "$conf" --json log "$patient" --force --at "$at" \
		>"$E2E_TMP/out" 2>"$E2E_TMP/err"; } 2>/dev/null
	status=$?
	[ $status -eq 0 ] && cat "$E2E_TMP/out" >>"$reported"
	return $status
}
run_enrol() {
	local patient=$1 status
	shift
	{ "$@" "$DOSECTL" --config "$conf" --json enrol "$patient" --name "Enrolled $patient" \
		--protocol b12-standard --start 2026-11-23 >"$E2E_TMP/out" 2>"$E2E_TMP/err"; } \
		2>/dev/null
	status=$?
	[ $status -eq 0 ] && cat "$E2E_TMP/out" >>"$reported"
	return $status
}

samples=()
for n in 1 2 3 4 5; do
	start=$(now_us)
	run_log "L$n" || { verdict 1 "setup: a dosectl log runs" "$(cat "$E2E_TMP/err")"; exit 1; }
	samples+=($(($(now_us) - start)))
done
typical_us=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)
span_us=$((typical_us * 3 / 2))
echo "# one dosectl log takes about $((typical_us / 1000)) ms here; kill delays 0-$((span_us / 1000)) ms"

killed_log=0 killed_enrol=0 done_log=0 done_enrol=0 other=0 other_text=
enrol_n=0
started=$(now_us)
for ((i = 0; i < 2 * kills; i++)); do
	delay_us=$(random_below "$span_us")
	delay=$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))
	# timeout refuses a duration of 0 as "no timeout".
	[ "$delay_us" -eq 0 ] && delay=0.000001
	if ((i % 2 == 0)); then
		run_log "L$((RANDOM % 10 + 1))" timeout -s KILL "$delay"
		status=$?
		kind=log
	else
		enrol_n=$((enrol_n + 1))
		run_enrol "E$enrol_n" timeout -s KILL "$delay"
		status=$?
		kind=enrol
	fi
	case $status:$kind in
		0:log) done_log=$((done_log + 1)) ;;
		0:enrol) done_enrol=$((done_enrol + 1)) ;;
		137:log) killed_log=$((killed_log + 1)) ;;
		137:enrol) killed_enrol=$((killed_enrol + 1)) ;;
		*)
			other=$((other + 1))
			other_text+="$kind (delay $delay s) exited $status: $(head -c 300 "$E2E_TMP/err")"$'\n'
			;;
	esac
done
elapsed_ms=$((($(now_us) - started) / 1000))
echo "# $((2 * kills)) commands in $elapsed_ms ms: log killed $killed_log, completed $done_log;" \
	"enrol killed $killed_enrol, completed $done_enrol"
[ "$killed_log" -ge $((kills / 10)) ] && [ "$killed_enrol" -ge $((kills / 10)) ] &&
	[ "$done_log" -ge 1 ] && [ "$done_enrol" -ge 1 ]
verdict $? "kills landed at many moments: $killed_log of $kills logs and $killed_enrol of $kills enrols killed" \
	"delays of 0-$span_us us should kill some and let others finish"
[ "$other" -eq 0 ]
verdict $? "no command failed other than by the kill (nothing refused after a crash)" "$other_text"

# The database still opens with dosectl, first of all (it recovers the WAL
# a killed writer left).
ctl --json patients >"$E2E_TMP/patients.json" 2>"$E2E_TMP/err"
status=$?
listed=$(jq length <"$E2E_TMP/patients.json" 2>/dev/null)
[ $status -eq 0 ] && [ "$listed" = "$(sql 'SELECT count(*) FROM patient')" ]
verdict $? "after the kills dosectl opens the database and lists every patient ($listed)" \
	"status $status: $(cat "$E2E_TMP/err")"

check=$(sql 'PRAGMA integrity_check' 2>&1)
[ "$check" = ok ]
verdict $? "PRAGMA integrity_check is ok" "$check"
check=$(sql 'PRAGMA foreign_key_check' 2>&1)
[ -z "$check" ]
verdict $? "PRAGMA foreign_key_check finds nothing" "$check"

# Every success reported is there, exactly as reported.
ledger=$E2E_TMP/ledger
jq -r 'if .dose then "log \(.dose.id) \(.patient) \(.dose.ordinal)"
	else "enrol \(.patient.id)" end' <"$reported" >"$ledger"
verdict $? "every success printed one whole JSON document" "$(jq . <"$reported" 2>&1 | tail -n 2)"
missing=()
while read -r kind a b c; do
	case $kind in
		log) found=$(sql "SELECT p.id || ' ' || d.ordinal FROM dose d
			JOIN regimen r ON r.id = d.regimen_id JOIN patient p ON p.id = r.patient_id
			WHERE d.id = $a AND d.voided_at IS NULL") ;
			[ "$found" = "$b $c" ] || missing+=("log $a $b #$c: found '${found}'") ;;
		enrol) found=$(sql "SELECT count(*) FROM regimen WHERE patient_id = '$a'
			AND stopped_at IS NULL") ;
			[ "$found" = 1 ] || missing+=("enrol $a: $found active regimens") ;;
	esac
done <"$ledger"
[ ${#missing[@]} -eq 0 ]
verdict $? "every command that reported success is there: $(wc -l <"$ledger") reported, ${#missing[@]} missing" \
	"${missing[@]:0:10}"

# Nothing half written.
half=$(sql "
SELECT 'dose ' || d.id || ' has ' || count(a.id) || ' log audit rows'
	FROM dose d LEFT JOIN audit a ON a.dose_id = d.id AND a.action = 'log'
	GROUP BY d.id HAVING count(a.id) <> 1;
SELECT 'patient ' || p.id || ' has no regimen' FROM patient p
	WHERE NOT EXISTS (SELECT 1 FROM regimen r WHERE r.patient_id = p.id);
SELECT 'regimen ' || r.id || ' has ' || count(a.id) || ' enrol audit rows'
	FROM regimen r LEFT JOIN audit a ON a.regimen_id = r.id AND a.action = 'enrol'
	GROUP BY r.id HAVING count(a.id) <> 1;
SELECT 'regimen ' || regimen_id || ': ordinals ' || group_concat(ordinal)
	FROM (SELECT regimen_id, ordinal FROM dose WHERE voided_at IS NULL
	      ORDER BY regimen_id, ordinal)
	GROUP BY regimen_id
	HAVING count(*) <> max(ordinal) OR count(DISTINCT ordinal) <> count(*);
" 2>&1)
[ -z "$half" ]
verdict $? "nothing half written: every dose has its audit row, every patient a regimen, ordinals 1..n" \
	"$(echo "$half" | head -n 10)"

# A killed command either happened whole or not at all: the database holds
# the successes plus at most the killed ones.
doses=$(sql "SELECT count(*) FROM dose")
enrolled=$(sql "SELECT count(*) FROM patient WHERE id GLOB 'E*'")
logged_ok=$(grep -c '^log ' "$ledger")
enrol_ok=$(grep -c '^enrol ' "$ledger")
[ "$doses" -ge "$logged_ok" ] && [ "$doses" -le $((logged_ok + killed_log)) ] &&
	[ "$enrolled" -ge "$enrol_ok" ] && [ "$enrolled" -le $((enrol_ok + killed_enrol)) ]
verdict $? "killed commands left all or nothing: $((doses - logged_ok)) killed logs and $((enrolled - enrol_ok)) killed enrols had committed" \
	"doses $doses, reported $logged_ok, killed $killed_log;" \
	"enrolled $enrolled, reported $enrol_ok, killed $killed_enrol"

# Each patient's regimen still reads whole through the engine.
bad=()
for n in $(seq 1 10); do
	ctl --json show "L$n" >"$E2E_TMP/show.json" 2>"$E2E_TMP/err" || {
		bad+=("show L$n: $(cat "$E2E_TMP/err")")
		continue
	}
	want=$(sql "SELECT count(*) FROM dose d JOIN regimen r ON r.id = d.regimen_id
		WHERE r.patient_id = 'L$n' AND d.voided_at IS NULL")
	got=$(jq '[.doses[] | select(.void | not)] | length' <"$E2E_TMP/show.json")
	next=$(jq '.next.ordinal' <"$E2E_TMP/show.json")
	[ "$got" = "$want" ] && [ "$next" = $((want + 1)) ] ||
		bad+=("show L$n: $got doses (database $want), next #$next")
done
[ ${#bad[@]} -eq 0 ]
verdict $? "dosectl show agrees with the database for every patient, next ordinal n+1" \
	"${bad[@]:0:10}"

# A dosectl killed while it waits for the write lock (here: held by
# sqlite3) changes nothing and leaves nothing behind once the lock goes.
mkfifo "$E2E_TMP/lock.in" "$E2E_TMP/lock.out"
sqlite3 "$DB" <"$E2E_TMP/lock.in" >"$E2E_TMP/lock.out" 2>&1 &
holder=$!
E2E_PIDS+=("$holder")
exec {lock_in}>"$E2E_TMP/lock.in" {lock_out}<"$E2E_TMP/lock.out"
printf '%s\n' "BEGIN IMMEDIATE;" "SELECT 'lock held';" >&"$lock_in"
read -r -t 10 line <&"$lock_out"
before=$(sql "SELECT count(*) FROM dose")
next_at
{ timeout -s KILL 0.5 "$DOSECTL" --config "$conf" log L1 --force --at "$at" \
	>/dev/null 2>&1; } 2>/dev/null
status=$?
printf '%s\n' "ROLLBACK;" ".quit" >&"$lock_in"
exec {lock_in}>&- {lock_out}<&-
wait "$holder"
after=$(sql "SELECT count(*) FROM dose")
[ "$line" = "lock held" ] && [ $status -eq 137 ] && [ "$before" = "$after" ] &&
	[ "$(sql 'PRAGMA integrity_check')" = ok ]
verdict $? "a dosectl killed while waiting for the lock changes nothing" \
	"lock: '$line', status $status, doses $before -> $after"

# ---- the daemon, killed -------------------------------------------------

# The body of a GET of D1's feed in $E2E_TMP/body; its status printed.
fetch_feed() { fetch "http://127.0.0.1:$port$feed_path" 2>/dev/null; }

ctl --json enrol D1 --name "Daemon Patient" --protocol b12-neuro --start 2026-01-01 >/dev/null
feed_path=$(ctl feed D1 | grep -o '/feeds/[0-9a-f]*\.ics' | head -n 1)
daemon_done=0 daemon_failed=0 daemon_text=
for ((k = 0; k < daemon_kills; k++)); do
	if ! start_again write_daemon_config "[reminders]" "enabled = false"; then
		daemon_failed=$((daemon_failed + 1))
		daemon_text+="start $k: $(tail -n 3 "$log")"$'\n'
		continue
	fi
	# A change, then fetches that render the feed and save its event
	# states, and the kill somewhere among them.
	next_at
	"$DOSECTL" --config "$conf" log D1 --force --at "$at" >/dev/null 2>&1
	(for _ in 1 2 3 4 5 6 7 8; do fetch_feed >/dev/null; done) &
	fetcher=$!
	delay_us=$(random_below 60000)
	sleep "$(printf '0.%06d' "$delay_us")"
	stop_dosed KILL
	wait "$fetcher"
	daemon_done=$((daemon_done + 1))
done
echo "# dosed killed $daemon_done times while serving and saving feed states"
[ "$daemon_done" -eq "$daemon_kills" ] && [ "$daemon_failed" -eq 0 ]
verdict $? "dosed started again after each of $daemon_done kills" "$daemon_text"

check=$(sql 'PRAGMA integrity_check' 2>&1)
[ "$check" = ok ]
verdict $? "after the daemon's kills PRAGMA integrity_check is ok" "$check"

if start_again write_daemon_config "[reminders]" "enabled = false"; then
	code=$(fetch_feed)
	regimen=$(sql "SELECT id FROM regimen WHERE patient_id = 'D1'")
	want=$(sql "SELECT group_concat(ordinal, ' ') FROM (SELECT ordinal FROM dose
		WHERE regimen_id = $regimen AND voided_at IS NULL ORDER BY ordinal)")
	lost=()
	for ordinal in $want; do
		grep -q "^UID:D1-dose-$regimen-$ordinal@dosed" "$E2E_TMP/body" ||
			lost+=("$ordinal")
	done
	[ "$code" = 200 ] && [ -n "$want" ] && [ ${#lost[@]} -eq 0 ]
	verdict $? "after the kills the feed is served and lists every logged dose ($(wc -w <<<"$want"))" \
		"status $code; missing ordinals: ${lost[*]}"
	cp "$E2E_TMP/body" "$E2E_TMP/feed-1"
	code=$(fetch_feed)
	[ "$code" = 200 ] && cmp -s "$E2E_TMP/feed-1" "$E2E_TMP/body"
	verdict $? "... and the feed is stable: the event states saved survived the kills"
	stop_dosed
	verdict $? "dosed stops cleanly at the end"
else
	verdict 1 "dosed starts after the kills" "$(tail -n 40 "$log")"
fi
ctl --json patients >/dev/null 2>&1
verdict $? "dosectl still opens the database at the end"
echo "# kills: $killed_log dosectl log, $killed_enrol dosectl enrol, $daemon_done dosed; database intact"
