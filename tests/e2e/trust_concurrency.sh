#!/usr/bin/env bash
# trust_concurrency.sh - concurrency (issue 6, point 4; SPEC 5).
#
# dosed runs and serves feeds (saving their event states, a writer too)
# while four dosectl processes log doses and enrol patients in parallel
# for a while, on patients of their own and on four they all share.  With
# the default busy timeout (5 s): no command fails ("database is locked"
# or anything else), no dose is lost or doubled (what each process says it
# did is exactly what the database holds, ordinals 1..n per patient), and
# every patient's feed lists the ordinals of the doses logged.
#
# TRUST_CONCURRENCY_SECONDS (default 20) sets how long the workers run.
#
# Gets $DOSED, $DOSECTL and $DOSED_TOP from tests/run; prints TAP lines.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/lib-daemon.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-daemon.sh"

seconds=${TRUST_CONCURRENCY_SECONDS:-20}
workers=4


at_time 2026-11-23T10:00:00Z
DB=$E2E_TMP/concurrency.db
# No busy_timeout: the default, 5 s, is what is promised.
write_daemon_config "$(random_port)" "[reminders]" "enabled = false"
sql() { sqlite3 -batch -noheader -separator " " "$DB" "$@"; }

# The shared patients, and a feed for one of them and for the clinic, so
# that the daemon renders (and saves event states) throughout.
for n in 1 2 3 4; do
	ctl enrol "S$n" --name "Shared $n" --protocol b12-neuro \
		--start 2026-01-01 >/dev/null || { verdict 1 "setup: enrol S$n"; exit 1; }
done
s1_path=$(ctl feed S1 | grep -o '/feeds/[0-9a-f]*\.ics' | head -n 1)
clinic_path=$(ctl feed --clinic | grep -o '/clinic/[0-9a-f]*\.ics' |
	head -n 1)

start_on_free_port write_daemon_config "[reminders]" "enabled = false" ||
	dosed_failed "dosed starts on a free port"

# ---- the run -------------------------------------------------------------

# worker W: until the deadline, every fifth command enrols a new patient of
# its own, the others log a dose (--force: many a day) for one of the
# shared patients or of its own.  Each success's JSON document goes to
# w$W.json, each failure to w$W.fail; the slowest command's time to
# w$W.slowest.
worker() {
	local w=$1 n=0 i=0 patient status start took slowest=0 out=$E2E_TMP/w$1
	local own=()
	RANDOM=$((w * 7919 + $$))
	: >"$out.json"
	: >"$out.fail"
	while (($(now_us) < deadline_us)); do
		i=$((i + 1))
		start=$(now_us)
		if ((i % 5 == 1)); then
			n=$((n + 1))
			patient=W$w-$n
			ctl --json enrol "$patient" --name "Worker $w's $n" \
				--protocol b12-standard --start 2026-11-01 >"$out.out" 2>"$out.err"
			status=$?
			[ $status -eq 0 ] && own+=("$patient")
		else
			if ((${#own[@]} == 0 || RANDOM % 2 == 0)); then
				patient=S$((RANDOM % 4 + 1))
			else
				patient=${own[RANDOM % ${#own[@]}]}
			fi
			ctl --json log "$patient" --force \
				>"$out.out" 2>"$out.err"
			status=$?
		fi
		took=$(($(now_us) - start))
		((took > slowest)) && slowest=$took
		if [ $status -eq 0 ]; then
			cat "$out.out" >>"$out.json"
		else
			echo "status $status after $((took / 1000)) ms: $(cat "$out.err")" >>"$out.fail"
		fi
	done
	echo "$slowest" >"$out.slowest"
}

# A subscriber polling its feed and the clinic's meanwhile.
subscriber() {
	local codes=$E2E_TMP/subscriber
	: >"$codes"
	while (($(now_us) < deadline_us)); do
		curl -s -o /dev/null --max-time 10 -w '%{http_code}\n' "$base$s1_path" >>"$codes"
		curl -s -o /dev/null --max-time 10 -w '%{http_code}\n' "$base$clinic_path" >>"$codes"
	done
}

deadline_us=$(($(now_us) + seconds * 1000000))
pids=()
for w in $(seq 1 $workers); do
	worker "$w" &
	pids+=($!)
done
subscriber &
pids+=($!)
wait "${pids[@]}"

failures=$(cat "$E2E_TMP"/w*.fail)
commands=$(cat "$E2E_TMP"/w*.json | jq -s length)
slowest_ms=$(($(sort -n "$E2E_TMP"/w*.slowest | tail -n 1) / 1000))
echo "# $workers workers ran $commands commands in $seconds s with dosed serving; the slowest took $slowest_ms ms"
! grep -qi "locked" <<<"$failures"
verdict $? "no command failed with \"locked\" within the 5 s busy timeout" "$(head -n 5 <<<"$failures")"
[ -z "$failures" ]
verdict $? "no command failed at all" "$(head -n 5 <<<"$failures")"
[ "$commands" -ge $((workers * 10)) ]
verdict $? "the workers got real work done ($commands commands)"
codes=$(sort "$E2E_TMP/subscriber" | uniq -c | tr -s ' ' | tr '\n' ',')
! grep -qv '^200$' "$E2E_TMP/subscriber" && [ -s "$E2E_TMP/subscriber" ]
verdict $? "the subscriber's every fetch meanwhile was 200 ($codes)"

# ---- what they said against what the database holds ----------------------

cat "$E2E_TMP"/w*.json | jq -r 'select(.dose) | "\(.patient) \(.dose.ordinal) \(.dose.id)"' |
	sort >"$E2E_TMP/said-doses"
cat "$E2E_TMP"/w*.json | jq -r 'select(.dose | not) | .patient.id' | sort >"$E2E_TMP/said-enrols"
sql "SELECT p.id || ' ' || d.ordinal || ' ' || d.id FROM dose d
	JOIN regimen r ON r.id = d.regimen_id JOIN patient p ON p.id = r.patient_id
	WHERE d.voided_at IS NULL" | sort >"$E2E_TMP/db-doses"
sql "SELECT id FROM patient WHERE id GLOB 'W*'" | sort >"$E2E_TMP/db-enrols"
logged=$(wc -l <"$E2E_TMP/said-doses")
cmp -s "$E2E_TMP/said-doses" "$E2E_TMP/db-doses"
verdict $? "no dose lost or doubled: the $logged doses the workers reported are exactly those in the database" \
	"$(diff "$E2E_TMP/said-doses" "$E2E_TMP/db-doses" | head -n 10)"
cmp -s "$E2E_TMP/said-enrols" "$E2E_TMP/db-enrols"
verdict $? "every enrolment reported is in the database, and no other ($(wc -l <"$E2E_TMP/said-enrols"))" \
	"$(diff "$E2E_TMP/said-enrols" "$E2E_TMP/db-enrols" | head -n 10)"
gaps=$(sql "SELECT r.patient_id || ': ' || group_concat(ordinal)
	FROM (SELECT regimen_id, ordinal FROM dose WHERE voided_at IS NULL
	      ORDER BY regimen_id, ordinal) d JOIN regimen r ON r.id = d.regimen_id
	GROUP BY d.regimen_id
	HAVING count(*) <> max(ordinal) OR count(DISTINCT ordinal) <> count(*)")
[ -z "$gaps" ]
verdict $? "each patient's ordinals are 1..n, none twice, none skipped" "$gaps"
shared=$(grep -c '^S' "$E2E_TMP/said-doses")
[ "$shared" -gt 0 ]
verdict $? "the workers did log for the same patients at once ($shared doses on S1-S4)"
check=$(sql 'PRAGMA integrity_check')
[ "$check" = ok ]
verdict $? "PRAGMA integrity_check is ok" "$check"

# ---- the feeds against the database --------------------------------------

# Every patient with doses: their feed must list each dose's ordinal (the
# UID PATIENT-dose-REGIMEN-ORDINAL@dosed, feed.c).  SPEC 4: within a second
# of the change; here everything ended before, so a stale feed is a bug.
wrong=()
checked=0
while read -r patient regimen; do
	path=$(ctl feed "$patient" 2>/dev/null |
		grep -o '/feeds/[0-9a-f]*\.ics' | head -n 1)
	if [ -z "$path" ]; then
		# A token issued before (S1) is not shown again: rotate for a
		# URL; the old one dies, which is no matter here.
		path=$(ctl feed "$patient" --rotate 2>/dev/null |
			grep -o '/feeds/[0-9a-f]*\.ics' | head -n 1)
	fi
	want=$(sql "SELECT ordinal FROM dose WHERE regimen_id = $regimen AND voided_at IS NULL
		ORDER BY ordinal")
	pass=no missing='' code=''
	start=$(now_us)
	# A new token reaches the daemon through the same change watch:
	# allow it the second SPEC 4 gives.
	while (($(now_us) - start < 1000000)); do
		code=$(curl -s -o "$E2E_TMP/feed" --max-time 10 -w '%{http_code}' "$base$path")
		if [ "$code" = 200 ]; then
			got=$(grep -o "^UID:$patient-dose-$regimen-[0-9]*@dosed" "$E2E_TMP/feed" |
				sed 's/.*-\([0-9]*\)@dosed/\1/' | sort -n)
			# The feed lists the logged doses and the projected ones
			# after them: every logged ordinal must be among them.
			missing=$(comm -23 <(sort <<<"$want") <(sort <<<"$got"))
			[ -z "$missing" ] && { pass=yes; break; }
		fi
		sleep 0.05
	done
	checked=$((checked + 1))
	[ $pass = yes ] || wrong+=("$patient: status $code, missing ordinals $(tr '\n' ' ' <<<"$missing")")
done < <(sql "SELECT r.patient_id, r.id FROM regimen r
	WHERE EXISTS (SELECT 1 FROM dose d WHERE d.regimen_id = r.id)")
[ ${#wrong[@]} -eq 0 ] && [ "$checked" -gt 0 ]
verdict $? "each of the $checked patients' feeds lists every logged dose's ordinal" "${wrong[@]:0:10}"

stop_dosed
verdict $? "dosed stops cleanly after the run"
