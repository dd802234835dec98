# shellcheck shell=sh
# Shared by the run items (ci/initramfs/run/*, tools/nvlat/nvlat-l1.sh):
# `. /nv2/lib.sh` (ci/initramfs.sh puts it there).
#
# TAP results numbered in order (an item ends with `echo "NV2: 1..$n"`),
# data lines for the host-side tests, and the L2 load several items share.

n=0
ok() { n=$((n + 1)); echo "NV2: ok $n - $*"; }
notok() { n=$((n + 1)); echo "NV2: not ok $n - $*"; }
skip() { n=$((n + 1)); echo "NV2: ok $n - $1 # SKIP $2"; }

# tagged TAG FILE...: the files' lines as "NV2: # TAG: ..." (what
# tests read back with Boot.data(TAG)); missing files give nothing.
tagged() {
	_tag=$1
	shift
	cat "$@" 2>/dev/null | sed "s|^|NV2: # $_tag: |"
}

# l2_load OUT [SECS]: start `l2-suite smp4` in the background (one L2 VM
# whose 4 vCPU threads do hcall round trips until killed; output to OUT),
# $load = its pid, and wait up to SECS (default 60) for its 4 vCPUs to
# exist (KVM's debugfs directories).  Returns 1 if they did not appear.
l2_load() {
	l2-suite --smp-trips=1000000000 smp4 >"$1" 2>&1 &
	# shellcheck disable=SC2034 # for the caller
	load=$!
	_i=0
	until [ -d "$(echo /sys/kernel/debug/kvm/*/vcpu3)" ]; do
		[ "$_i" -lt "${2:-60}" ] || return 1
		sleep 1
		_i=$((_i + 1))
	done
}
