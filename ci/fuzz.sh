#!/usr/bin/env bash
# make fuzz / make fuzz-check: fuzz the parsers at the borders of the
# product (docs/reliability.md) for FUZZ_SECONDS each (default 60).
#
#   ci/fuzz.sh [gsb] [l0]     default: both
#
#   gsb  build/fuzz/gsb/fuzz_gsb (tests/fuzz/Makefile): the L1 kernel's
#        guest state buffer library, libFuzzer + ASan + UBSan, from the seed
#        corpus tests/fuzz/gsb/corpus (copied to build/fuzz/corpus/gsb, where
#        what the fuzzer finds stays);
#   l0   tests/fuzz/l0/fuzz_l0.py: random H_GUEST_* calls and buffers from a
#        fake L1 into our QEMU 10.0 L0 through the qtest hcall command,
#        seeded (FUZZ_SEED, default: from the clock; printed).  Its crashes
#        column also counts return codes that are not H_* codes and a
#        known-good call sequence that stopped working.
#
# The targets run side by side (one core each on a 2-core box: make
# check's 30 s each take 30 s, not 60).
#
# Results: $RESULTS/${FUZZ_NAME:-fuzz}.tsv (target, seconds, executions,
# crashes, hangs, corpus, seed), logs and crash inputs in $RESULTS/fuzz/;
# exit 1 if a target crashed, hung or ran nothing.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
RESULTS=${RESULTS:-$BUILD/results}
PYTHON=${PYTHON:-/usr/bin/python3}
SECS=${FUZZ_SECONDS:-60}
NAME=${FUZZ_NAME:-fuzz}
SEED=${FUZZ_SEED:-$(date +%s)}
L0=${L0_QEMU:-$BUILD/obj/qemu-10.0/qemu-system-ppc64}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(gsb l0)
mkdir -p "$RESULTS/fuzz"
TSV=$RESULTS/$NAME.tsv
printf 'target\tseconds\texecutions\tcrashes\thangs\tcorpus\tseed\n' >"$TSV"
failed=0

# A target's row goes to its own file; the rows are reported in order
# once every target is done.
row() { # target execs crashes hangs corpus seed
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$SECS" "$2" "$3" "$4" "$5" "$6" \
		>"$RESULTS/fuzz/$NAME-$1.row"
}

run_target() {
	local t=$1 log=$RESULTS/fuzz/$NAME-$1.log
	case $t in
	gsb)
		bin=$BUILD/fuzz/gsb/fuzz_gsb
		[ -x "$bin" ] || { echo "fuzz: $bin is missing (make fuzz-build)" >&2; exit 1; }
		work=$BUILD/fuzz/corpus/gsb
		mkdir -p "$work"
		cp -n "$TOP"/tests/fuzz/gsb/corpus/* "$work"/
		rm -f "$RESULTS/fuzz/gsb-"{crash,leak,timeout,oom}-*
		set +e
		nice -n 10 "$bin" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 \
			-rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$RESULTS/fuzz/gsb-" \
			"$work" >"$log" 2>&1
		rc=$?
		set -e
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		crashes=$(find "$RESULTS/fuzz" -maxdepth 1 -type f \( -name 'gsb-crash-*' \
			-o -name 'gsb-leak-*' -o -name 'gsb-oom-*' \) | wc -l)
		hangs=$(find "$RESULTS/fuzz" -maxdepth 1 -type f -name 'gsb-timeout-*' | wc -l)
		[ "$rc" = 0 ] || [ $((crashes + hangs)) -gt 0 ] || crashes=1   # died without an artifact
		row gsb "${execs:-0}" "$crashes" "$hangs" "$(find "$work" -type f | wc -l)" ""
		[ "$rc" = 0 ] || tail -n 30 "$log" >&2
		;;
	l0)
		[ -x "$L0" ] || { echo "fuzz: $L0 is missing (make qemu-l0)" >&2; exit 1; }
		json=$RESULTS/fuzz/$NAME-l0.json
		set +e
		nice -n 10 "$PYTHON" "$TOP/tests/fuzz/l0/fuzz_l0.py" --qemu "$L0" --seconds "$SECS" \
			--seed "$SEED" --json "$json" --crash-dir "$RESULTS/fuzz" >"$log" 2>&1
		rc=$?
		set -e
		if [ -s "$json" ]; then
			read -r execs crashes hangs < <("$PYTHON" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(d["executions"], d["crashes"] + d["bad_rc"] + d["broken"], d["hangs"])' "$json")
		else
			execs=0 crashes=1 hangs=0
		fi
		[ "$rc" = 0 ] || [ $((crashes + hangs)) -gt 0 ] || crashes=1
		row l0 "$execs" "$crashes" "$hangs" "-" "$SEED"
		[ "$rc" = 0 ] || tail -n 30 "$log" >&2
		;;
	esac
}

for t in "${targets[@]}"; do
	case $t in
	gsb | l0) rm -f "$RESULTS/fuzz/$NAME-$t.row" ;;
	*)
		echo "fuzz: unknown target '$t' (gsb, l0)" >&2
		exit 2
		;;
	esac
done
pids=()
for t in "${targets[@]}"; do
	run_target "$t" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || failed=1
done
for t in "${targets[@]}"; do
	f=$RESULTS/fuzz/$NAME-$t.row
	if [ ! -s "$f" ]; then
		echo "fuzz: $t: no result (see $RESULTS/fuzz/$NAME-$t.log)" >&2
		failed=1
		continue
	fi
	cat "$f" >>"$TSV"
	IFS=$'\t' read -r _ secs execs crashes hangs corpus seed <"$f"
	printf 'fuzz: %-4s %5ss %12s executions, %s crashes, %s hangs, corpus %s%s\n' \
		"$t" "$secs" "$execs" "$crashes" "$hangs" "$corpus" "${seed:+, seed $seed}"
	if [ "$crashes" != 0 ] || [ "$hangs" != 0 ] || [ "${execs:-0}" = 0 ]; then failed=1; fi
done
exit $failed
