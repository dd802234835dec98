#!/bin/sh
# nvlat-l1: a run item for the L1 initramfs (nv2.run=nvlat-l1, make tools-l1).
#
# Runs nvlat against a live L2 workload inside an L1 of the emulated
# PowerVM: tests/l2's `l2-suite smp4` keeps the 4 vCPUs of one L2 VM doing
# hcall round trips while `nvlat -d SECS --json` reads
# kvm_hv:kvmppc_vcpu_stats; then a capture is recorded and replayed in the
# L1, and --pmu is tried.
#   nv2.nvlat=SECS   sampling time (default 4)
# Prints NV2: TAP lines, FACTs and the JSON reports (as NV2: # lines) for
# tests/tools/test_l1.py.
secs=4
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	nv2.nvlat=*) secs=${arg#nv2.nvlat=} ;;
	esac
done

first() { # KEY FILE: the first "KEY":number in FILE
	grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2
}

echo "NV2: FACT nvlat.version=$(nvlat --version)"
echo "NV2: FACT nvlat.sha256=$(sha256sum "$(command -v nvlat)" | cut -d" " -f1)"
if ! command -v l2-suite >/dev/null 2>&1; then
	echo "NV2: not ok - nvlat: l2-suite (the L2 workload) is not in this initramfs"
	exit 1
fi
# The L2 load and its wait: /nv2/lib.sh of the harness initramfs
# shellcheck source=../../ci/initramfs/lib.sh
. /nv2/lib.sh
l2_load /tmp/l2-suite.out || true
sleep 1

nvlat -d "$secs" --json >/tmp/nvlat.json 2>/tmp/nvlat.err
rc=$?
nvlat record -o /tmp/nvlat.nvl -d 2 2>/tmp/record.err
rrc=$?
kill "$load" 2>/dev/null
wait "$load" 2>/dev/null

tagged nvlat /tmp/nvlat.err
tagged nvlat-json /tmp/nvlat.json
events=$(first events /tmp/nvlat.json)
echo "NV2: FACT nvlat.rc=$rc"
echo "NV2: FACT nvlat.events=${events:-0}"
if [ "$rc" = 0 ] && [ "${events:-0}" -gt 0 ]; then
	echo "NV2: ok - nvlat: live report from kvm_hv:kvmppc_vcpu_stats ($events events in ${secs}s)"
else
	echo "NV2: not ok - nvlat: live report (exit $rc, ${events:-0} events): $(head -n 1 /tmp/nvlat.err)"
fi

nvlat -r /tmp/nvlat.nvl --json >/tmp/replay.json 2>/tmp/replay.err
prc=$?
tagged nvlat-replay-json /tmp/replay.json
revents=$(first events /tmp/replay.json)
if [ "$rrc" = 0 ] && [ "$prc" = 0 ] && [ "${revents:-0}" -gt 0 ]; then
	echo "NV2: ok - nvlat: record and replay in the L1 ($revents events)"
else
	echo "NV2: not ok - nvlat: record (exit $rrc) / replay (exit $prc, ${revents:-0} events): $(cat /tmp/record.err /tmp/replay.err | head -n 1)"
fi

nvlat --pmu -d 1 --json >/tmp/pmu.json 2>/tmp/pmu.err
pmurc=$?
echo "NV2: FACT nvlat.pmu_rc=$pmurc"
tagged nvlat-pmu /tmp/pmu.err /tmp/pmu.json
case $pmurc in
0) echo "NV2: ok - nvlat --pmu: vpa_pmu counted" ;;
4) echo "NV2: ok - nvlat --pmu: no vpa_pmu in this kernel # SKIP $(head -n 1 /tmp/pmu.err)" ;;
*) echo "NV2: not ok - nvlat --pmu: exit $pmurc: $(head -n 1 /tmp/pmu.err)" ;;
esac
echo "NV2: 1..3"
