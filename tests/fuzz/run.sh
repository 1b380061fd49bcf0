#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [TARGET ...] - build the libFuzzer targets and
# run each one for SECONDS (all of them when none is named), starting from
# its seed corpus in tests/fuzz/corpus/TARGET/; then run every kept crash
# input of tests/fuzz/regressions/TARGET/ once.
#
# Prints, per target, a line with the executions libFuzzer counted
# (stat::number_of_executed_units) and a TAP line, "ok - fuzz TARGET: N
# executions, no crash" or "not ok - ..."; the last line is "N passed,
# N failed", and the exit status is non-zero when anything failed.  What a
# run finds stays in build-fuzz/run/TARGET/: corpus/ (inputs that reached
# new code, reused by the next run) and artifacts/ (crashing inputs).
# FUZZ_BUILDDIR overrides build-fuzz.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2

all_targets="protocol config timeutil route feed"
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
	echo "usage: tests/fuzz/run.sh SECONDS [TARGET ...]  (targets: $all_targets)" >&2
	exit 2
fi
seconds=$1
shift
targets=${*:-$all_targets}
for target in $targets; do
	case " $all_targets " in
	*" $target "*) ;;
	*) echo "run.sh: unknown target '$target' (targets: $all_targets)" >&2; exit 2 ;;
	esac
done

builddir=${FUZZ_BUILDDIR:-build-fuzz}
case $builddir in /*) ;; *) builddir="$top/$builddir" ;; esac
passed=0 failed=0

ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

mkdir -p "$builddir"
if ! make -s -f tests/fuzz/fuzz.mk -j"$(nproc)" FUZZ_BUILDDIR="$builddir" \
	>"$builddir/make.log" 2>&1; then
	sed 's/^/    /' "$builddir/make.log" | tail -n 30
	not_ok "fuzz build (make -f tests/fuzz/fuzz.mk)"
	echo "$passed passed, $failed failed"
	exit 1
fi

# A sanitizer report or a failed property aborts; GLib's criticals (a
# g_return_if_fail() in a library) count as crashes too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp:print_suppressions=0}
export G_DEBUG=fatal-criticals

# -max_len: a protocol or config file of 8 KiB is already far longer than
# any real one.  -timeout: one input taking seconds is a finding too.
fuzz_flags=(-max_len=8192 -timeout=20 -print_final_stats=1)

for target in $targets; do
	binary="$builddir/fuzz_$target"
	work="$builddir/run/$target"
	seeds="tests/fuzz/corpus/$target"
	log="$work/fuzz.log"
	mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
	# The feed target's store lives in $TMPDIR: a crash leaves it here.
	export TMPDIR="$work/tmp"

	# The first corpus folder receives new inputs: the work folder, so
	# that the seed corpus in the tree stays as written.
	dict=()
	[ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")
	"$binary" "${fuzz_flags[@]}" "${dict[@]}" -max_total_time="$seconds" \
		-artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	corpus=$(find "$work/corpus" -type f | wc -l)
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		echo "# fuzz $target: $runs executions in $seconds s, $corpus inputs in its corpus"
		ok "fuzz $target: $runs executions, no crash"
	else
		echo "# fuzz $target: crashed after ${runs:-?} executions"
		grep -E '^(fuzz:|==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix)' \
			"$log" | head -n 20 | sed 's/^/    /'
		not_ok "fuzz $target: crashed after ${runs:-?} executions (exit $rc; log $log)"
	fi

	# Every kept crash input, once: each is a bug that must stay fixed.
	for input in "tests/fuzz/regressions/$target"/*; do
		[ -f "$input" ] || continue
		name=$(basename "$input")
		[ "$name" != README.md ] || continue
		if "$binary" "$input" >"$work/regression.log" 2>&1; then
			ok "fuzz $target regression $name"
		else
			grep -E '^(fuzz:|==[0-9]+==ERROR|SUMMARY|.*runtime error)' \
				"$work/regression.log" | head -n 5 | sed 's/^/    /'
			not_ok "fuzz $target regression $name"
		fi
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
