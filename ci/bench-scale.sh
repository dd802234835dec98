#!/usr/bin/env bash
# Scale figures of nvlat replay (issue 14): peak RSS (GNU time -v) and CPU
# time (best of 3) of each nvlat binary given, on
#   - a 5M-event capture (2 VMs x 4 vCPUs, 300 MB),
#   - 200k one-vCPU VMs (1M events; ~20k VMs live in any second), one report
#     and per-second reports,
#   - a crafted damaged capture (1 MiB of fake record markers) that the
#     resync has to scan.
# Usage: ci/bench-scale.sh [NVLAT_BINARY...]  (default build/tools/host/nvlat)
# Prints a Markdown table; inputs are generated once under build/bench/scale.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
D=$TOP/build/bench/scale
mkdir -p "$D"
[ -s "$D/5m.nvl" ] || python3 "$TOP/tests/tools/nvcap.py" --bench-capture 5000000 "$D/5m.nvl"
[ -s "$D/200k.nvl" ] || python3 "$TOP/tests/tools/nvcap.py" --bench-pids 200000 "$D/200k.nvl"
python3 - "$D" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
hdr = b"NVLATCAP" + struct.pack("<HHI", 1, 16, 0)
# every 8 bytes a marker claiming a 64 KiB event record (never valid)
open(f"{d}/crafted-64k.nvl", "wb").write(hdr + struct.pack("<HHI", 0x766E, 1, 65536) * (1 << 17))
# the worst case now: a task record claiming the largest length resync tries
open(f"{d}/crafted-532.nvl", "wb").write(hdr + struct.pack("<HHI", 0x766E, 2, 532) * (1 << 17))
PY
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("$TOP/build/tools/host/nvlat")
echo "| nvlat | input | options | CPU s | wall s | peak RSS MB | events per CPU s | exit |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
run() { # BIN FILE EVENTS OPTS...: best of 3 by CPU time
	local bin=$1 file=$2 ev=$3
	shift 3
	local t rc=0
	t=$(mktemp)
	for _ in 1 2 3; do
		set +e
		/usr/bin/time -v "$bin" -r "$D/$file" "$@" >/dev/null 2>>"$t"
		rc=$?
		set -e
	done
	python3 - "$t" "$("$bin" --version)" "$file" "$ev" "$rc" "$*" <<'PY'
import re, sys
t, ver, f, ev, rc, opts = sys.argv[1:]
s = open(t).read()
runs = []
for part in s.split("Command being timed")[1:]:
    g = lambda k: re.search(k + r": (\S+)", part).group(1)
    cpu = float(g("User time \(seconds\)")) + float(g("System time \(seconds\)"))
    w = g(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\)").split(":")
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
    rss = int(g(r"Maximum resident set size \(kbytes\)")) / 1024
    runs.append((cpu, wall, rss))
cpu, wall, _ = min(runs)
rss = max(r[2] for r in runs)
eps = f"{int(ev) / cpu:,.0f}" if int(ev) and cpu > 0 else "-"
print(f"| {ver} | {f} | {opts or '(table)'} | {cpu:.2f} | {wall:.2f} | {rss:,.0f} | {eps} | {rc} |")
PY
	rm -f "$t"
}
for b in "${bins[@]}"; do
	run "$b" 5m.nvl 5000000
	run "$b" 5m.nvl 5000000 --json --hist -i 0.1
	run "$b" 200k.nvl 1000000 --json
	run "$b" 200k.nvl 1000000 --json -i 1
	run "$b" crafted-64k.nvl 0 --json
	run "$b" crafted-532.nvl 0 --json
done
