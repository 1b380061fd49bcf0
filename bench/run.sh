#!/bin/bash
# run.sh - the benchmark of issue 7: dosed at clinic scale, each figure
# beside the fastest reference for the same work on this machine, in one
# table with its target.  make bench runs it after building:
#
#   bench/run.sh BUILDDIR
#
# BUILDDIR holds dosectl, dosed and bench-render.  Everything else lives in
# a temporary folder, removed at the end; every process started here is
# stopped by its PID; servers listen on loopback only.
#
# Environment (defaults in brackets):
#   BENCH_PATIENTS [100000]  patients imported
#   BENCH_RUNS     [3]       runs per figure (the median is shown)
#   BENCH_LOGS     [1000]    doses logged with dosectl log, for realism
#   BENCH_WRK_SECONDS [10]   each wrk run
#   BENCH_IDLE_SECONDS [20]  how long the idle daemon is watched
#   BENCH_ENROL=1            no dosectl import yet: enrol one by one (slow;
#                            only to try the harness with few patients)
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: bench/run.sh BUILDDIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
patients=${BENCH_PATIENTS:-100000}
runs=${BENCH_RUNS:-3}
logs=${BENCH_LOGS:-1000}
wrk_seconds=${BENCH_WRK_SECONDS:-10}
idle_seconds=${BENCH_IDLE_SECONDS:-20}

for tool in wrk nginx sqlite3 curl jq; do
	command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v "$tool" >/dev/null 2>&1 || {
		echo "bench: $tool is missing: run make deps (Debian package $tool)" >&2
		exit 1
	}
done
for program in dosectl dosed bench-render; do
	[ -x "$build/$program" ] || { echo "bench: $build/$program is missing: run make bench" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dosed-bench.XXXXXX")
# nginx's workers run as nobody and must reach the document root below.
chmod 755 "$tmp"
dosed_pid=
nginx_pid=

stop_pid() { # PID: stop a process this script started, and reap it
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cleanup() {
	stop_pid "$dosed_pid"
	stop_pid "$nginx_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf 'bench: %s\n' "$*" >&2; }
now_ns() { date +%s%N; }
ms_since() { echo $(( ($(now_ns) - $1) / 1000 )) | awk '{ printf "%.1f", $1 / 1000 }'; }
median() { # numbers on stdin -> their median
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# A free loopback port: nothing answers a connection to it.
free_port() {
	local port
	for port in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	say "no free loopback port found"
	return 1
}

dosed_port=$(free_port)
nginx_port=$(free_port)
while [ "$nginx_port" = "$dosed_port" ]; do nginx_port=$(free_port); done

# ---- the database ----------------------------------------------------
mkdir -p "$tmp/etc" "$tmp/db" "$tmp/plain"
chmod 700 "$tmp/etc" "$tmp/db" "$tmp/plain"
conf=$tmp/etc/dosed.conf
cat >"$conf" <<EOF
[store]
path = $tmp/db/dosed.db
[feed]
listen = 127.0.0.1:$dosed_port
base_url = http://127.0.0.1:$dosed_port
[protocols]
paths = $repo/conf/protocols.ini
EOF
dosectl() { "$build/dosectl" --config "$conf" "$@"; }

csv=$tmp/patients.csv
awk -v n="$patients" -v today="$(date +%F)" -f "$repo/bench/gen-patients.awk" >"$csv"
first_patient=$(sed -n 2p "$csv" | cut -d, -f1)

# What SQLite itself needs for dosed's job: the sqlite3 shell reading the
# same rows into a temporary table and writing dosed's rows from it into
# a database of dosed's schema (made by dosectl, with one patient in it),
# with dosed's settings: the same tables, indexes, foreign keys, triggers
# and audit rows, in one transaction, synced.  It mirrors what
# store_enrol_many() writes (core/store_enrol.c); keep the two alike.
mkdir -p "$tmp/floor"
chmod 700 "$tmp/floor"
floor_conf=$tmp/etc/floor.conf
sed "s|^path = .*|path = $tmp/floor/dosed.db|" "$conf" >"$floor_conf"
floor_sql() { # CSV
	cat <<EOF
PRAGMA foreign_keys = ON;
PRAGMA synchronous = FULL;
PRAGMA temp_store = MEMORY;
PRAGMA cache_spill = OFF;
.mode csv
.import --schema temp '$1' rows
BEGIN IMMEDIATE;
SELECT count(*) FROM temp.rows s JOIN patient p ON p.id = s.id
  LEFT JOIN regimen r ON r.patient_id = p.id AND r.stopped_at IS NULL;
INSERT OR IGNORE INTO protocol_copy (text)
  SELECT DISTINCT 'bench copy of ' || protocol FROM temp.rows;
CREATE TEMP TABLE copies AS SELECT substr(text, 15) AS protocol, id FROM protocol_copy
  WHERE text LIKE 'bench copy of %';
INSERT INTO patient (id, name, tz, created_at, created_by)
  SELECT id, name, tz, 1795428000, 'bench' FROM temp.rows ORDER BY rowid;
INSERT INTO regimen (id, patient_id, protocol_id, protocol_copy_id, start_date,
                     enrolled_at, enrolled_by)
  SELECT 1 + s.rowid, s.id, s.protocol, c.id, s.start, 1795428000, 'bench'
  FROM temp.rows s JOIN temp.copies c ON c.protocol = s.protocol ORDER BY s.rowid;
INSERT INTO audit (at, actor, action, patient_id, regimen_id, detail)
  SELECT 1795428000, 'bench', 'enrol', id, 1 + rowid,
         json_object('protocol', protocol, 'start', start, 'name', name, 'tz', tz)
  FROM temp.rows ORDER BY rowid;
COMMIT;
EOF
}

import_rates=() sqlite_rates=() import_ratios=() floor_rates=() floor_ratios=()
if [ "${BENCH_ENROL:-}" = 1 ]; then
	say "BENCH_ENROL=1: enrolling $patients patients one by one (no import figure)"
	tail -n +2 "$csv" | while IFS=, read -r id name protocol start tz days; do
		days=${days//\"/}
		dosectl enrol "$id" --name "$name" --protocol "$protocol" --start "$start" \
			--tz "$tz" ${days:+--days "$days"} >/dev/null
	done
else
	for ((run = 1; run <= runs; run++)); do
		say "import run $run/$runs: $patients patients"
		rm -f "$tmp"/db/dosed.db* "$tmp"/plain/plain.db*
		start=$(now_ns)
		dosectl import "$csv" >/dev/null
		dosed_ms=$(ms_since "$start")
		# The reference: the sqlite3 shell reading the same rows into a
		# plain table (the header names its columns).
		start=$(now_ns)
		sqlite3 "$tmp/plain/plain.db" ".mode csv" ".import '$csv' patients"
		sqlite_ms=$(ms_since "$start")
		rows=$(sqlite3 "$tmp/plain/plain.db" "select count(*) from patients")
		[ "$rows" = "$patients" ] || { say "sqlite3 imported $rows rows, not $patients"; exit 1; }
		# The floor, on a database of dosed's schema made afresh.
		rm -f "$tmp"/floor/dosed.db*
		"$build/dosectl" --config "$floor_conf" enrol BENCH-FLOOR --name Floor \
			--protocol b12-standard --start "$(date +%F)" --tz UTC >/dev/null
		start=$(now_ns)
		floor_sql "$csv" | sqlite3 -batch "$tmp/floor/dosed.db" >/dev/null
		floor_ms=$(ms_since "$start")
		rows=$(sqlite3 "$tmp/floor/dosed.db" "select count(*) from regimen")
		[ "$rows" = "$((patients + 1))" ] || { say "the floor wrote $rows regimens, not $((patients + 1))"; exit 1; }
		import_rates+=("$(awk -v n="$patients" -v ms="$dosed_ms" 'BEGIN { printf "%.0f", n / ms * 1000 }')")
		floor_rates+=("$(awk -v n="$patients" -v ms="$floor_ms" 'BEGIN { printf "%.0f", n / ms * 1000 }')")
		floor_ratios+=("$(awk -v a="$floor_ms" -v b="$dosed_ms" 'BEGIN { printf "%.3f", a / b }')")
		sqlite_rates+=("$(awk -v n="$patients" -v ms="$sqlite_ms" 'BEGIN { printf "%.0f", n / ms * 1000 }')")
		import_ratios+=("$(awk -v a="$sqlite_ms" -v b="$dosed_ms" 'BEGIN { printf "%.3f", a / b }')")
	done
fi
count=$(dosectl --json patients | jq length)
[ "$count" = "$patients" ] || { say "the database holds $count patients, not $patients"; exit 1; }

# Some doses, for realism: patients spread over the file, logged now.  A
# dose not yet due is refused (exit 1) and is simply not counted.
logged=0
if [ "$logs" -gt 0 ]; then
	say "logging up to $logs doses with dosectl log"
	step=$(( patients / logs > 0 ? patients / logs : 1 ))
	for id in $(tail -n +2 "$csv" | cut -d, -f1 | awk -v s="$step" 'NR % s == 1' | head -n "$logs"); do
		if dosectl log "$id" >/dev/null 2>&1; then
			logged=$((logged + 1))
		fi
	done
fi

# ---- dosectl due and patients ----------------------------------------
time_command() { # RUNS COMMAND...: median wall time in ms
	local n=$1 run start
	shift
	for ((run = 0; run < n; run++)); do
		start=$(now_ns)
		"$@" >/dev/null
		ms_since "$start"
		echo
	done | median
}
say "timing dosectl due --within 7 and dosectl patients"
due_count=$(dosectl --json due --within 7 | jq length)
# Eleven runs each: a fifth of a second of work, which a busy neighbour on
# a shared machine can stretch by a third in any one run.
due_ms=$(time_command 11 dosectl due --within 7)
patients_ms=$(time_command 11 dosectl patients)

# ---- rendering alone -------------------------------------------------
say "timing feed rendering (bench-render)"
render=$("$build/bench-render" "$conf" "$first_patient" 2000 "$((runs > 5 ? runs : 5))")
render_patient_us=$(awk '$1 == "patient_us" { print $2 }' <<<"$render")
render_clinic_ms=$(awk '$1 == "clinic_ms" { print $2 }' <<<"$render")
clinic_bytes=$(awk '$1 == "clinic_bytes" { print $2 }' <<<"$render")

# ---- the daemon: start-up, memory, idle ------------------------------
url=$(dosectl --json feed "$first_patient" | jq -r .url)
# Issued before the daemon starts: a token issued later is a change in the
# database, which empties the daemon's feed cache (the clinic feed with it)
# when the daemon sees it, perhaps only after the feed is served.
clinic_url=$(dosectl --json feed --clinic | jq -r .url)
# No notifications reach this machine's desktop: no session bus (the daemon
# logs that once and serves feeds); no service manager either.
start_dosed() {
	DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/no-bus" NOTIFY_SOCKET= \
		"$build/dosed" --config "$conf" 2>>"$tmp/dosed.log" &
	dosed_pid=$!
}
# Wait (up to 60 s) for the feed to be served; prints the ms since $1.
wait_feed() {
	local deadline=$(( $(date +%s) + 60 ))
	until curl -sf -o "$tmp/feed.ics" "$url"; do
		kill -0 "$dosed_pid" 2>/dev/null || { say "dosed exited; its log:"; cat "$tmp/dosed.log" >&2; exit 1; }
		[ "$(date +%s)" -lt "$deadline" ] || { say "dosed served no feed within 60 s"; exit 1; }
		sleep 0.005
	done
	ms_since "$1"
}
rss_kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
startup=() rss=()
for ((run = 1; run <= runs; run++)); do
	say "daemon start-up run $run/$runs"
	start=$(now_ns)
	start_dosed
	startup+=("$(wait_feed "$start")")
	rss+=("$(rss_kib "$dosed_pid" VmRSS)")
	if [ "$run" -lt "$runs" ]; then
		stop_pid "$dosed_pid"
		dosed_pid=
	fi
done
startup_ms=$(printf '%s\n' "${startup[@]}" | median)
rss_mib=$(printf '%s\n' "${rss[@]}" | median | awk '{ printf "%.1f", $1 / 1024 }')

# Context switches of every thread: each one is a wake-up (or a
# preemption, which an idle thread does not suffer).
switches() {
	cat /proc/"$dosed_pid"/task/*/status 2>/dev/null |
		awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}
# Idle means after the start-up work: wait (up to 30 s) until the daemon's
# CPU time (utime + stime, in ticks) stops growing for half a second.
settle() {
	local last=-1 cur i
	for ((i = 0; i < 60; i++)); do
		cur=$(awk '{ print $14 + $15 }' "/proc/$dosed_pid/stat")
		[ "$cur" = "$last" ] && return 0
		last=$cur
		sleep 0.5
	done
	say "dosed was still busy after 30 s; watching it anyway"
}
settle
# From the last start: the start-up work done after the first feed (the
# reminders' catch-up over every patient) shows here.
settled_ms=$(ms_since "$start")
# Memory once the start-up work is done, and the most it took on the way.
idle_rss_mib=$(rss_kib "$dosed_pid" VmRSS | awk '{ printf "%.1f", $1 / 1024 }')
startup_hwm_mib=$(rss_kib "$dosed_pid" VmHWM | awk '{ printf "%.1f", $1 / 1024 }')
say "watching the idle daemon for $idle_seconds s"
before=$(switches)
# A daemon that has served a feed has switched at least once: 0 would mean
# its threads could not be read, and an idle figure of 0 would be a lie.
[ "$before" -gt 0 ] || { say "cannot read the context switches of dosed ($dosed_pid)"; exit 1; }
sleep "$idle_seconds"
after=$(switches)
wakeups=$(awk -v d=$((after - before)) -v s="$idle_seconds" 'BEGIN { printf "%.0f", d * 60 / s }')

# ---- HTTP: dosed against nginx with the same bytes ---------------------
mkdir -p "$tmp/www" "$tmp/nginx"
cp "$tmp/feed.ics" "$tmp/www/feed.ics"
chmod 755 "$tmp/www"
chmod 644 "$tmp/www/feed.ics"
feed_bytes=$(wc -c <"$tmp/feed.ics")
cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/client_body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	types { text/calendar ics; }
	sendfile on;
	server {
		listen 127.0.0.1:$nginx_port;
		root $tmp/www;
	}
}
EOF
nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
nginx_url=http://127.0.0.1:$nginx_port/feed.ics
deadline=$(( $(date +%s) + 10 ))
until curl -sf -o "$tmp/nginx.ics" "$nginx_url"; do
	kill -0 "$nginx_pid" 2>/dev/null || { say "nginx exited:"; cat "$tmp/nginx/error.log" >&2; exit 1; }
	[ "$(date +%s)" -lt "$deadline" ] || { say "nginx did not answer within 10 s"; exit 1; }
	sleep 0.05
done
cmp -s "$tmp/nginx.ics" "$tmp/feed.ics" || { say "nginx serves other bytes than dosed"; exit 1; }

# wrk's "Requests/sec:" and its 99% latency in ms.
wrk_run() {
	wrk -t2 -c50 -d"${wrk_seconds}s" --latency "$1" >"$tmp/wrk.out"
	if grep -q 'Non-2xx' "$tmp/wrk.out"; then
		say "wrk saw error answers from $1:"; cat "$tmp/wrk.out" >&2; exit 1
	fi
	# Timeouts and resets count against the server but do not end the run.
	if grep -q 'Socket errors' "$tmp/wrk.out"; then
		say "$1: $(grep 'Socket errors' "$tmp/wrk.out")"
	fi
	awk '$1 == "Requests/sec:" { rps = $2 }
	     $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
	                   ms = (u == "us") ? v / 1000 : (u == "ms") ? v : (u == "s") ? v * 1000 : v * 60000 }
	     END { printf "%.0f %s\n", rps, ms }' "$tmp/wrk.out"
}
dosed_rps=() nginx_rps=() rps_ratios=() dosed_p99=() nginx_p99=() p99_ratios=()
for ((run = 1; run <= runs; run++)); do
	say "HTTP run $run/$runs: wrk ${wrk_seconds} s on dosed, then on nginx"
	wrk_run "$url" >"$tmp/wrk.dosed"
	wrk_run "$nginx_url" >"$tmp/wrk.nginx"
	read -r d_rps d_p99 <"$tmp/wrk.dosed"
	read -r n_rps n_p99 <"$tmp/wrk.nginx"
	dosed_rps+=("$d_rps") nginx_rps+=("$n_rps") dosed_p99+=("$d_p99") nginx_p99+=("$n_p99")
	rps_ratios+=("$(awk -v a="$d_rps" -v b="$n_rps" 'BEGIN { printf "%.3f", a / b }')")
	p99_ratios+=("$(awk -v a="$d_p99" -v b="$n_p99" 'BEGIN { printf "%.3f", a / b }')")
done
hwm_mib=$(rss_kib "$dosed_pid" VmHWM | awk '{ printf "%.1f", $1 / 1024 }')

# ---- the clinic feed through the daemon --------------------------------
# Its size is the week's events of every patient: the daemon holds it
# while it is current, so it shows in the memory.
say "fetching the clinic feed from dosed"
start=$(now_ns)
curl -sf -o "$tmp/clinic.ics" "$clinic_url" || { say "dosed did not serve the clinic feed"; exit 1; }
clinic_served_ms=$(ms_since "$start")
clinic_rss_mib=$(rss_kib "$dosed_pid" VmRSS | awk '{ printf "%.1f", $1 / 1024 }')
clinic_hwm_mib=$(rss_kib "$dosed_pid" VmHWM | awk '{ printf "%.1f", $1 / 1024 }')
stop_pid "$nginx_pid"
nginx_pid=
stop_pid "$dosed_pid"
dosed_pid=

# ---- the table -------------------------------------------------------
med() { printf '%s\n' "$@" | median; }
# verdict VALUE OP LIMIT: PASS or MISS
verdict() {
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "nan" || v == "") { print "n/a"; exit }
		ok = (op == "<") ? v < l : (op == "<=") ? v <= l : (op == ">=") ? v >= l : v == l
		print ok ? "PASS" : "MISS" }'
}
row() { printf '%-36s %12s %16s %8s %10s  %s\n' "$@"; }

if [ "${BENCH_ENROL:-}" = 1 ]; then
	imp_rate=n/a sql_rate=n/a imp_ratio=nan floor_rate=n/a floor_ratio=nan
else
	imp_rate=$(med "${import_rates[@]}") sql_rate=$(med "${sqlite_rates[@]}")
	imp_ratio=$(med "${import_ratios[@]}")
	floor_rate=$(med "${floor_rates[@]}") floor_ratio=$(med "${floor_ratios[@]}")
fi
rps_d=$(med "${dosed_rps[@]}") rps_n=$(med "${nginx_rps[@]}") rps_ratio=$(med "${rps_ratios[@]}")
p99_d=$(med "${dosed_p99[@]}") p99_n=$(med "${nginx_p99[@]}") p99_ratio=$(med "${p99_ratios[@]}")
x() { awk -v v="$1" 'BEGIN { if (v == "nan") print "-"; else printf "%.2fx", v }'; }

echo
zones=$(tail -n +2 "$csv" | cut -d, -f5 | sort -u | wc -l)
protocols=$(tail -n +2 "$csv" | cut -d, -f3 | sort -u | wc -l)
echo "dosed bench: $patients patients ($protocols protocols, $zones zones), $logged doses logged, $due_count due within 7 days"
echo "median of $runs runs (11 for dosectl, $((runs > 5 ? runs : 5)) for the clinic render; 2000 patient renders); $(nproc) CPUs; feed $feed_bytes bytes, clinic feed $clinic_bytes bytes"
row "figure" "dosed" "reference" "ratio" "target" "result"
row "import (rows/s)" "$imp_rate" "sqlite3 $sql_rate" "$(x "$imp_ratio")" ">= 0.5x" "$(verdict "$imp_ratio" '>=' 0.5)"
row "import vs the same writes (rows/s)" "$imp_rate" "sqlite3 $floor_rate" "$(x "$floor_ratio")" "-" "-"
row "dosectl due --within 7 (ms)" "$due_ms" "" "" "< 200 ms" "$(verdict "$due_ms" '<' 200)"
row "dosectl patients (ms)" "$patients_ms" "" "" "-" "-"
row "start-up to first served feed (ms)" "$startup_ms" "" "" "< 1000 ms" "$(verdict "$startup_ms" '<' 1000)"
row "start-up until idle (ms)" "$settled_ms" "" "" "-" "-"
row "resident memory, first feed (MiB)" "$rss_mib" "" "" "< 64 MiB" "$(verdict "$rss_mib" '<' 64)"
row "resident memory, idle (MiB)" "$idle_rss_mib" "" "" "< 64 MiB" "$(verdict "$idle_rss_mib" '<' 64)"
row "peak memory to idle, VmHWM (MiB)" "$startup_hwm_mib" "" "" "< 64 MiB" "$(verdict "$startup_hwm_mib" '<' 64)"
row "peak memory after wrk, VmHWM (MiB)" "$hwm_mib" "" "" "-" "-"
row "clinic feed served, first (ms)" "$clinic_served_ms" "" "" "-" "-"
row "memory with clinic feed, VmRSS (MiB)" "$clinic_rss_mib" "" "" "-" "-"
row "peak with clinic feed, VmHWM (MiB)" "$clinic_hwm_mib" "" "" "-" "-"
row "render one patient's feed (us)" "$render_patient_us" "" "" "-" "-"
row "render 7-day clinic feed (ms)" "$render_clinic_ms" "" "" "-" "-"
row "HTTP feed, wrk -c50 -t2 (req/s)" "$rps_d" "nginx $rps_n" "$(x "$rps_ratio")" ">= 0.8x" "$(verdict "$rps_ratio" '>=' 0.8)"
row "HTTP feed p99 latency (ms)" "$p99_d" "nginx $p99_n" "$(x "$p99_ratio")" "<= 2x" "$(verdict "$p99_ratio" '<=' 2)"
row "idle wake-ups per minute" "$wakeups" "" "" "0" "$(verdict "$wakeups" '<=' 0)"
