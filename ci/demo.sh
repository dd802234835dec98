#!/usr/bin/env bash
# The main job: boot our L1 kernel (Debian 6.1 + the nestedv2 series) in the
# emulated PowerVM and report what KVM sees inside it: which nested API is in
# use, whether a VM can be created, L2 round trips, and what nesting costs
# per vCPU (tools/nvlat on an L2 VM with 4 vCPUs).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${RESULTS:-$BUILD/results}
L0=${L0_BIN:-qemu-system-ppc64}
kernel=${1:-$BUILD/kernels/ours/vmlinux}
name=${2:-demo}

echo "== nestedv2 demo: L0 = $(command -v "$L0") ($($L0 --version | head -n 1))"
echo "== L1 kernel: $kernel ($(cat "$(dirname "$kernel")/source" 2>/dev/null || echo '?'))"
rc=0
/usr/bin/python3 "$TOP/ci/harness.py" boot "$name" --qemu "$L0" --kernel "$kernel" \
	--initrd "$BUILD/initramfs/l1.cpio.gz" --run info,demo-nvlat --smp 2 \
	--outdir "$OUT" || rc=$?
echo "== What the L1 said about KVM:"
grep -aE 'NV2: (# dmesg|FACT)' "$OUT/$name.console" | grep -v 'FACT nvlat_' | sed -e 's/.*NV2: # dmesg: /  dmesg: /' \
	-e 's/.*NV2: FACT /  /' || true
if grep -aq 'NV2: # nvlat: ' "$OUT/$name.console"; then
	echo "== What nesting costs (nvlat inside the L1; an L2 VM with 4 vCPUs doing hcall round trips):"
	grep -a 'NV2: # nvlat: ' "$OUT/$name.console" | sed 's/.*NV2: # nvlat: /  /'
fi
echo "== Results:"
grep -E '^(ok|not ok)' "$OUT/$name.tap" | sed 's/^/  /'
echo "== L1 boot + checks: $(grep '^wall_seconds=' "$OUT/$name.facts" | cut -d= -f2) s wall;" \
	"console: $OUT/$name.console"
exit $rc
