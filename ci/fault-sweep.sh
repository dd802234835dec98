#!/usr/bin/env bash
# Fault injection sweep: fail each H_GUEST_* hcall in turn (the Nth call of
# it, with RC) in our patched L0 (x-nested-papr-fault) while our L1 runs
# kvm-smoke.  The L1 must give the VMM an error (or, where the VMM has no
# call that could fail, log it) and never oops.
#
#   ci/fault-sweep.sh [KERNEL_FLAVOUR [N [RC]]]    default: ours 1 H_HARDWARE
#
# Results: build/results/fault-<hcall>.{tap,facts,console}, and a table on
# stdout.  KERNEL_FLAVOUR modular (make fault-sweep-modular: kvm-hv a
# module, Debian's KVM options) boots build/initramfs/modular.cpio.gz and
# loads kvm_hv (run item modprobe-kvm) before kvm-smoke, so the failing
# hcall may be one modprobe makes; results fault-modular-<hcall>.*.  Exit status 1 when any boot's console is not clean or a boot did
# not run to the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-ours} n=${2:-1} rc=${3:-H_HARDWARE}
OUT=${RESULTS:-$BUILD/results}
L0=${L0_BIN:-$BUILD/obj/qemu-10.0/qemu-system-ppc64}
[ -x "$L0" ] || die "$L0 missing: the fault knob needs our patched L0 (make qemu-l0)"
kernel=$BUILD/kernels/$flavour/vmlinux
[ -f "$kernel" ] || die "$kernel missing (make kernel-$flavour)"
initrd=$BUILD/initramfs/l1.cpio.gz run=info prefix=fault
if [ "$flavour" = modular ]; then
	initrd=$BUILD/initramfs/modular.cpio.gz run=modprobe-kvm,info prefix=fault-modular
fi
[ -f "$initrd" ] || die "$initrd missing (make initramfs / initramfs-modular)"

bad=0
printf '%-18s %-34s %-10s %-7s %s\n' "failed hcall" "what the VMM saw (kvm-smoke)" "roundtrips" "clean" "what the L1 logged"
for h in get-capabilities set-capabilities create create-vcpu get-state set-state run-vcpu delete; do
	name=$prefix-$h
	/usr/bin/python3 "$TOP/ci/harness.py" boot "$name" --qemu "$L0" --kernel "$kernel" \
		--initrd "$initrd" --run "$run" --outdir "$OUT" \
		--machine-opts "x-nested-papr-fault=$h:$n:$rc" >/dev/null 2>&1 || true
	facts=$OUT/$name.facts tap=$OUT/$name.tap
	vm=$(sed -n 's/^kvm_create_vm=//p' "$facts" 2>/dev/null || true)
	trips=$(sed -n 's/^l2_hcall_roundtrips=//p' "$facts" 2>/dev/null || true)
	# What kvm-smoke reported when it got that far: its first failing line.
	seen=$(grep -a 'NV2: # round trip\|NV2: not ok' "$OUT/$name.console" | head -n 1 |
		sed 's/.*NV2: //' | cut -c1-60 || true)
	[ -n "$seen" ] || seen="create_vm: ${vm:-?}"
	clean=no
	grep -q '^ok [0-9]* - console is clean' "$tap" && clean=yes
	grep -q '^ok [0-9]* - ran to the end' "$tap" || clean="$clean,no-end"
	[ "$clean" = yes ] || bad=1
	log=$(grep -aE 'kvm-hv|nestedv2|KVM' "$OUT/$name.console" | grep -v '^NV2' |
		grep -iE 'fail|rc=|error|nested API' | head -n 2 | tr '\n' ' ' | cut -c1-150 || true)
	printf '%-18s %-34s %-10s %-7s %s\n' "$h" "$seen" "${trips:--}" "$clean" "$log"
done
exit $bad
