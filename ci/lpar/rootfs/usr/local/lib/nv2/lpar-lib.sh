# shellcheck shell=bash
# Shared by the LPAR's scripted runs (nv2-lpar-scenario, nv2-lpar-bench):
# the harness's NV2 protocol on the console (ci/harness.py parse_nv2), the
# L2's serial log, and the plain L2 domain an admin writes.  Sourced.

say() { echo "NV2: $*"; }
n=0
ok() { n=$((n + 1)); say "ok $n - $1"; }
nok() { n=$((n + 1)); say "not ok $n - $1${2:+ # $2}"; }
check() { # description command...: ok when the command succeeds
	local d=$1
	shift
	if out=$("$@" 2>&1); then ok "$d"; else
		nok "$d"
		printf '%s\n' "$out" | tail -n 8 | sed 's/^/NV2: LOG /'
	fi
}
up() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(up) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# shellcheck disable=SC2034 # for the scripts that source this
V="virsh -c qemu:///system"

# The L2's serial log is $CON.  con_at: lines in it so far; wait_con REGEX
# SECONDS FROM: the first line after line FROM that matches, within SECONDS
# of wall time (by the clock: under TCG a look at the log takes a while),
# looking every POLL_DS tenths of a second (default 5).
con_at() { if [ -f "$CON" ]; then wc -l <"$CON"; else echo 0; fi; }
wait_con() {
	local l end
	end=$(($(cut -d. -f1 /proc/uptime) + $2))
	while :; do
		if l=$(tail -n +$(($3 + 1)) "$CON" 2>/dev/null | tr -d '\r' | grep -a -m1 -E "$1"); then
			printf '%s\n' "$l"
			return 0
		fi
		[ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] || return 1
		sleep "0.${POLL_DS:-5}"
	done
}

# l2_xml NAME DISK CONSOLE-LOG [NIC] [CMDLINE-EXTRA] [MACHINE-OPTS]: the
# plain L2 domain as an admin writes it: pseries, KVM, 2 vCPUs, 1 GiB,
# virtio disk, (NIC=net: virtio-net on the default network), serial console
# logged to a file; no spapr capability overrides.  MACHINE-OPTS (e.g.
# ic-mode=xics, which libvirt 9.0's XML cannot say) go to QEMU as a second
# -machine option in <qemu:commandline>; QEMU merges -machine options.  Its kernel is the LPAR's L2 kernel (a pseries
# kernel with virtio), its disk a copy of the image's busybox disk
# (ci/lpar/l2: it prints "NV2-L2: ..." lines).
l2_xml() {
	local nic='' ns='' qemu=''
	[ "${4:-}" != net ] || nic="
    <interface type='network'>
      <source network='default'/>
      <model type='virtio'/>
    </interface>"
	[ -z "${6:-}" ] || {
		ns=" xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
		qemu="
  <qemu:commandline>
    <qemu:arg value='-machine'/>
    <qemu:arg value='$6'/>
  </qemu:commandline>"
	}
	cat <<XML
<domain type='kvm'$ns>
  <name>$1</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='ppc64le' machine='pseries'>hvm</type>
    <kernel>/usr/local/share/nv2/l2-vmlinux</kernel>
    <cmdline>console=hvc0 root=/dev/vda rw${5:+ $5}</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$2'/>
      <target dev='vda' bus='virtio'/>
    </disk>$nic
    <serial type='pty'>
      <log file='$3' append='on'/>
    </serial>
    <console type='pty'/>
  </devices>$qemu
</domain>
XML
}
