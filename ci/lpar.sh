#!/usr/bin/env bash
# Boot the LPAR image (ci/lpar-image.sh) in the emulated PowerVM: our QEMU
# 10.0 L0 (-M pseries,cap-nested-papr=on, TCG), 4 L1 CPUs, 4 GiB, the root
# disk on spapr-vscsi as PowerVM gives it, the interim kernel
# (build/kernels/lpar/vmlinux) loaded by the L0 (x-vof=on, no SLOF).
#
#   ci/lpar.sh console    interactive: the serial console (hvc0) on this
#                         terminal, root login without password.  Boots a
#                         writable copy, build/lpar/lpar-rw.img, made from the
#                         image when missing or older (RESET=1 makes it anew).
#                         Ctrl-a x quits QEMU.
#   ci/lpar.sh scenario   the scripted scenario (ci/lpar/rootfs/usr/local/
#                         sbin/nv2-lpar-scenario) through ci/harness.py, the
#                         image read-only (snapshot=on): build/results/
#                         lpar-scenario.{tap,facts,console}
#   ci/lpar.sh cmd        print the QEMU command of `console`
set -euo pipefail
. "$(dirname "$0")/lib.sh"

L0=${L0_QEMU:-$BUILD/obj/qemu-10.0/qemu-system-ppc64}
KERNEL=$BUILD/kernels/lpar/vmlinux
IMG=$BUILD/lpar/lpar.img
RW=$BUILD/lpar/lpar-rw.img
APPEND="console=hvc0 disable_radix=0 root=/dev/sda rw"

for f in "$L0" "$KERNEL" "$IMG"; do
	[ -e "$f" ] || die "$f missing: run make lpar-image (and make qemu-l0)"
done

disk() { # file [snap]: sets DISK, the QEMU arguments of the root disk
	local snap=
	[ -z "${2:-}" ] || snap=,snapshot=on
	DISK=(-device "spapr-vscsi,id=vscsi0"
		-drive "file=$1,if=none,id=root,format=raw$snap"
		-device "scsi-hd,drive=root,bus=vscsi0.0,channel=0,scsi-id=0,lun=0")
}

case ${1:-} in
console | cmd)
	disk "$RW"
	cmd=("$L0" -M "pseries,cap-nested-papr=on,x-vof=on" -cpu power10 -smp 4 -m 4G -accel tcg
		-nographic -nodefaults -serial mon:stdio -no-reboot -kernel "$KERNEL"
		"${DISK[@]}" -append "$APPEND")
	if [ "$1" = cmd ]; then
		for a in "${cmd[@]}"; do
			case $a in *' '*) printf '"%s" ' "$a" ;; *) printf '%s ' "$a" ;; esac
		done
		echo
		exit 0
	fi
	if [ "${RESET:-0}" = 1 ] || [ ! -f "$RW" ] || [ "$(readlink -f "$IMG")" -nt "$RW" ]; then
		say "copying $(readlink -f "$IMG") to $RW (your changes live there; RESET=1 starts over)"
		cp --sparse=always "$(readlink -f "$IMG")" "$RW.new"
		mv "$RW.new" "$RW"
	fi
	say "booting the LPAR (4 CPUs, 4 GiB, TCG: ~2-4 min to the login prompt); log in as root, no password; Ctrl-a x quits"
	exec "${cmd[@]}"
	;;
scenario)
	disk "$(readlink -f "$IMG")" snap
	exec "${PYTHON:-python3}" "$TOP/ci/harness.py" boot lpar-scenario --qemu "$L0" \
		--kernel "$KERNEL" --smp 4 --mem 4G --timeout "${LPAR_TIMEOUT:-1500}" --expect-end --l0-monitor \
		--qemu-args "$(printf '%q ' "${DISK[@]}")" \
		--append "root=/dev/sda rw nv2.lpar=scenario systemd.mask=serial-getty@hvc0.service"
	;;
*)
	die "usage: $0 console|scenario|cmd"
	;;
esac
