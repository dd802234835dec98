#!/usr/bin/env bash
# make fuzz-tools: run each nvlat libFuzzer target (build/tools/fuzz/fuzz_*,
# tests/tools/fuzz) for FUZZ_SECONDS (default 60), starting from its seed
# corpus in tests/tools/fuzz/corpus/TARGET (copied: the committed seeds stay
# as they are; what the fuzzer finds stays in build/fuzz/corpus/TARGET).
# Results: build/results/fuzz-tools.tsv (target, seconds, executions,
# crashes, corpus size), the fuzzer logs next to it, crash inputs as
# build/results/fuzz/TARGET-crash-*; exit 1 if any target crashed.  FUZZ_JOBS
# (default 2) targets run at a time.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
RESULTS=${RESULTS:-$BUILD/results}
SECS=${FUZZ_SECONDS:-60}
BIN=$BUILD/tools/fuzz
SEEDS=$TOP/tests/tools/fuzz/corpus
mkdir -p "$RESULTS/fuzz"
TSV=$RESULTS/fuzz-tools.tsv
# FUZZ_JOBS targets at a time (default 2: each libFuzzer run is one thread,
# and make check's box has 2 cores; 6 targets x 30 s take 90 s, not 180).
JOBS=${FUZZ_JOBS:-2}
ROWS=$(mktemp -d)
trap 'rm -rf "$ROWS"' EXIT

# fuzz_one TARGET: run it; its TSV row in $ROWS/TARGET, its line on stdout
fuzz_one() {
	local t=$1 work log rc execs crashes files
	[ -x "$BIN/$t" ] || { echo "fuzz-tools: $BIN/$t is missing (make -C tools fuzz)" >&2; return 1; }
	work=$BUILD/fuzz/corpus/$t
	mkdir -p "$work"
	cp -n "$SEEDS/$t"/* "$work"/ 2>/dev/null || true
	log=$RESULTS/fuzz/$t.log
	rm -f "$RESULTS/fuzz/$t"-crash-* "$RESULTS/fuzz/$t"-leak-* "$RESULTS/fuzz/$t"-timeout-* \
		"$RESULTS/fuzz/$t"-oom-*
	set +e
	nice -n 19 "$BIN/$t" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -max_len=8192 -artifact_prefix="$RESULTS/fuzz/$t-" \
		"$work" >"$log" 2>&1
	rc=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(find "$RESULTS/fuzz" -maxdepth 1 -name "$t-*" -type f ! -name '*.log' | wc -l)
	[ "$rc" = 0 ] || [ "$crashes" -gt 0 ] || crashes=1    # died without an artifact
	files=$(find "$work" -type f | wc -l)
	printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$SECS" "${execs:-0}" "$crashes" "$files" >"$ROWS/$t"
	printf 'fuzz-tools: %-13s %4ss %12s executions, %s crashes, corpus %s\n' \
		"$t" "$SECS" "${execs:-0}" "$crashes" "$files"
	[ "$crashes" = 0 ] || { tail -n 30 "$log" >&2; return 1; }
}

targets=()
for src in "$TOP"/tests/tools/fuzz/fuzz_*.c; do
	targets+=("$(basename "$src" .c)")
done
failed=0
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
# the table in the targets' order; a target that left no row did not run
printf 'target\tseconds\texecutions\tcrashes\tcorpus\n' >"$TSV"
for t in "${targets[@]}"; do
	if [ -f "$ROWS/$t" ]; then cat "$ROWS/$t"; else failed=1; fi
done >>"$TSV"
exit $failed
