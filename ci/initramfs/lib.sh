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

# QEMU 7.2 in a compat-mode or POWER11 L1 (run items qemu72-compat,
# qemu72-power11): QEMU7=our 7.2, QEMU7_L2=the L2 kernel and initrd,
# QEMU7_STOCK=Debian's stock 7.2 tree (in the initramfs when built).
QEMU7=/usr/bin/qemu-system-ppc64
QEMU7_L2=/usr/share/nestedv2/l2
QEMU7_STOCK=/opt/debian-qemu-7.2

# qemu7_ready ITEM: /dev/kvm, our 7.2 and the L2 are there, else one
# failed result and the item's plan line; returns 1 then.
qemu7_ready() {
	_miss=
	[ -c /dev/kvm ] || _miss="$_miss /dev/kvm"
	for _f in "$QEMU7" "$QEMU7_L2/vmlinux" "$QEMU7_L2/initrd.cpio.gz"; do
		[ -e "$_f" ] || _miss="$_miss $_f"
	done
	[ -z "$_miss" ] && return 0
	notok "$1: missing:$_miss"
	echo "NV2: 1..$n"
	return 1
}

# qemu7_l1_cpu PREFIX: facts PREFIX.cpuinfo (the L1's cpu line) and
# PREFIX.cpu_version (the logical PVR of its mode, 0xnone without one);
# $l1_cpu, $l1_cv = the cpu line and the cpu-version digits.
qemu7_l1_cpu() {
	l1_cpu=$(sed -n 's/^cpu[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	l1_cv=$(for _d in /proc/device-tree/cpus/*/; do
		[ -r "$_d/cpu-version" ] && od -An -tx1 "$_d/cpu-version" | tr -d ' \n' && break
	done)
	echo "NV2: FACT $1.cpuinfo=$l1_cpu"
	echo "NV2: FACT $1.cpu_version=0x${l1_cv:-none}"
}

# qemu7_boot PREFIX TAG QEMU MACHINE [CPU [APPEND]]: one L2 boot under KVM
# (-cpu CPU, default host); facts PREFIX.TAG.{rc,marker,stderr_lines},
# QEMU's stderr tagged "TAG stderr", the console tail as data; $rc = exit
# status.  Succeeds when QEMU exited 0 after the L2's marker.
qemu7_boot() {
	_o=/tmp/$1-$2
	timeout 120 "$3" -accel kvm -M "$4" -cpu "${5:-host}" -m 512M -smp 1 \
		-nographic -nodefaults -serial stdio \
		-kernel "$QEMU7_L2/vmlinux" -initrd "$QEMU7_L2/initrd.cpio.gz" \
		-append "console=hvc0 quiet${6:+ $6}" </dev/null >"$_o.out" 2>"$_o.err"
	rc=$?
	_marker=0
	grep -q 'L2: HELLO' "$_o.out" && _marker=1
	echo "NV2: FACT $1.$2.rc=$rc"
	echo "NV2: FACT $1.$2.marker=$_marker"
	echo "NV2: FACT $1.$2.stderr_lines=$(grep -c '' "$_o.err")"
	tagged "$2 stderr" "$_o.err"
	tail -n 5 "$_o.out" | sed "s|^|NV2: # $2 console: |"
	[ "$rc" = 0 ] && [ "$_marker" = 1 ]
}

# qemu7_stock: /tmp/qemu-stock runs Debian's stock 7.2 through its own
# loader with our overlay's firmware; returns 1 when it is not in the
# initramfs.  M_STOCK: the cap-* levels it needs spelled out here.
# shellcheck disable=SC2034 # for the run items
M_STOCK=pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off
qemu7_stock() {
	[ -x "$QEMU7_STOCK/usr/bin/qemu-system-ppc64" ] || return 1
	_lp=$QEMU7_STOCK/lib/powerpc64le-linux-gnu:$QEMU7_STOCK/usr/lib/powerpc64le-linux-gnu
	cat >/tmp/qemu-stock <<EOS
#!/bin/sh
exec $QEMU7_STOCK/lib/powerpc64le-linux-gnu/ld64.so.2 --library-path $_lp $QEMU7_STOCK/usr/bin/qemu-system-ppc64 -L /usr/share/qemu "\$@"
EOS
	chmod +x /tmp/qemu-stock
}

# l0query TAG: the harness asks the L0 how many nested guests and vCPUs it
# holds (QEMU's "info nested-papr"; facts l0.TAG.guests, l0.TAG.vcpus)
l0query() {
	echo "NV2: L0QUERY $1"
	sleep 3
}

# L1 memory before and after a long run (run items ioctlfuzz, soak; judged
# by tests/nv2test.py assert_mem_stable).  Free memory sits in two places
# /proc/meminfo's MemAvailable leaves out, and both swing by megabytes
# from one reading to the next on a 4-CPU L1 with 64 KiB pages: the
# per-CPU free lists (4.3-5.8 MiB measured) and the empty and per-CPU
# partial slabs SLUB keeps.  A leak hunt with kmemleak and page_owner
# (make leak-hunt, docs/reliability.md) found no page held by KVM after
# 10,000 fuzzer operations while MemAvailable alone had fallen 2.5 MiB.

# settle: write back, drop the page cache and the reclaimable slabs, give
# RCU-deferred frees (a closed VM's objects) time to reach their slabs,
# then shrink every slab cache (SLUB then frees its empty slabs).
settle() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then echo 3 >/proc/sys/vm/drop_caches; fi
	sleep 2
	for _s in /sys/kernel/slab/*/shrink; do
		[ -w "$_s" ] && echo 1 >"$_s"
	done 2>/dev/null
	sleep 1
}

# pcp_kb: KiB of free pages in the per-CPU lists (every zone's pagesets'
# "count:" in /proc/zoneinfo)
pcp_kb() {
	awk -v k="$(($(getconf PAGESIZE 2>/dev/null || echo 65536) / 1024))" \
		'$1 == "count:" { t += $2 } END { print t * k }' /proc/zoneinfo
}

# slab_reclaimable: the names of the reclaimable slab caches (those whose
# /sys/kernel/slab/NAME/reclaim_account is 1: dentries, inodes) into
# /tmp/slab-reclaimable, after a first line "-" so that the list is never
# empty for awk's FNR == NR
slab_reclaimable() {
	{
		echo "-"
		for _c in /sys/kernel/slab/*/reclaim_account; do
			[ "$(cat "$_c" 2>/dev/null)" = 1 ] && echo "${_c%/reclaim_account}"
		done
	} | sed 's|.*/||' >/tmp/slab-reclaimable
}

# slab_live_kb SLABINFO: KiB in live objects of the unreclaimable slab
# caches in a copy of /proc/slabinfo (active objects x object size; the
# caches of slab_reclaimable are left out as SUnreclaim leaves them out).
# Unlike SUnreclaim it does not count the slab pages that a few live
# objects keep from being freed: a 64 KiB page that one 192-byte object
# holds is 64 KiB of SUnreclaim, 192 bytes here.
slab_live_kb() {
	awk 'FNR == NR { r[$1] = 1; next }
		FNR > 2 && !($1 in r) { t += $2 * $4 }
		END { printf "%d\n", t / 1024 }' /tmp/slab-reclaimable "$1"
}

# memfacts PREFIX WHEN: of 3 readings 1 s apart, the one with the most
# free memory (MemAvailable + per-CPU lists), as facts
# PREFIX.memavail_WHEN_kb, PREFIX.pcp_WHEN_kb, PREFIX.sunreclaim_WHEN_kb and
# PREFIX.slablive_WHEN_kb; /tmp/slabinfo.PREFIX.WHEN keeps that reading's
# /proc/slabinfo, and the "after" call adds PREFIX.slab_grew: the 5 caches
# whose objects' room grew most (name:KiB of room:KiB of live objects).
memfacts() {
	_best=-1
	_slab=0
	[ -r /proc/slabinfo ] && _slab=1 && slab_reclaimable
	for _r in 1 2 3; do
		_a=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
		_p=$(pcp_kb)
		_u=$(awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo)
		_l=-1
		if [ "$_slab" = 1 ]; then
			cat /proc/slabinfo >/tmp/slabinfo.now
			_l=$(slab_live_kb /tmp/slabinfo.now)
		fi
		if [ $((_a + _p)) -gt "$_best" ]; then
			_best=$((_a + _p)) _ba=$_a _bp=$_p _bu=$_u _bl=$_l
			[ "$_slab" = 0 ] || mv /tmp/slabinfo.now "/tmp/slabinfo.$1.$2"
		fi
		[ "$_r" = 3 ] || sleep 1
	done
	echo "NV2: FACT $1.memavail_$2_kb=$_ba"
	echo "NV2: FACT $1.pcp_$2_kb=$_bp"
	echo "NV2: FACT $1.sunreclaim_$2_kb=$_bu"
	echo "NV2: FACT $1.slablive_$2_kb=$_bl"
	[ "$2" = after ] && [ -s "/tmp/slabinfo.$1.before" ] || return 0
	# columns: name active_objs num_objs objsize objperslab pagesperslab
	echo "NV2: FACT $1.slab_grew=$(awk '
		FNR <= 2 { next }
		FNR == NR { held[$1] = $3 * $4; live[$1] = $2 * $4; next }
		{ dh = ($3 * $4 - held[$1]) / 1024; dl = ($2 * $4 - live[$1]) / 1024
		  if (dh > 0) printf "%d %s:%+d:%+d\n", dh, $1, dh, dl }' \
		"/tmp/slabinfo.$1.before" "/tmp/slabinfo.$1.after" | sort -rn | head -n 5 | cut -d' ' -f2 | tr '\n' ' ')"
}
