#!/usr/bin/env bash
# Boot the LPAR image (ci/lpar-image.sh) in the emulated PowerVM: our QEMU
# 10.0 L0 (-M pseries,cap-nested-papr=on, TCG), 4 L1 CPUs, 4 GiB, the root
# disk on spapr-vscsi as PowerVM gives it; the kernel loaded by the L0
# (x-vof=on, no SLOF) is LPAR_KERNEL's:
#
#   ours      our 6.1 + series with Debian's config, make kernel-deb's
#             package, /boot/vmlinux-* and its initrd.img as apt installed
#             them (the default; make check's scenario)
#   ref       Debian's 6.12 (upstream nestedv2), from /boot the same way
#   interim   build/kernels/lpar/vmlinux (lean, modules), no initramfs
#
# ref and ours boot the image with the packaged kernels (make
# lpar-image-kernels: build/lpar-kernels/{lpar.img,boot}); interim boots
# make lpar-image's (build/lpar/lpar.img).
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
#   ci/lpar.sh bench K [xics]
#                         make lpar-bench's measurement (nv2-lpar-bench) with
#                         LPAR_KERNEL=K: build/results/lpar-bench-K.*; with
#                         xics the L2 gets ic-mode=xics (make
#                         lpar-bench-xics): build/results/lpar-bench-K-xics.*
#   ci/lpar.sh cmd        print the QEMU command of `console`
set -euo pipefail
. "$(dirname "$0")/lib.sh"

L0=${L0_QEMU:-$BUILD/obj/qemu-10.0/qemu-system-ppc64}
IMG=$BUILD/lpar/lpar.img
RW=$BUILD/lpar/lpar-rw.img
APPEND="console=hvc0 disable_radix=0 root=/dev/sda rw"
[ "${1:-}" != bench ] || LPAR_KERNEL=${2:-}

# KARGS: QEMU's -kernel (and -initrd) of LPAR_KERNEL; HARGS: the harness's.
case ${LPAR_KERNEL:=ours} in
interim)
	KERNEL=$BUILD/kernels/lpar/vmlinux INITRD= ;;
ref | ours)
	# The image with the packaged kernels (LPAR_IMAGE=kernels).
	D=$BUILD/lpar-kernels IMG=$BUILD/lpar-kernels/lpar.img RW=$BUILD/lpar-kernels/lpar-rw.img
	[ "$LPAR_KERNEL" = ref ] && pat="^${LINUX612_IMAGE_PKG#linux-image-}\$" || pat='-nestedv2$'
	rel=$(grep -m1 -e "$pat" "$D/boot/RELEASES" 2>/dev/null) ||
		die "no $LPAR_KERNEL kernel in the image's /boot ($D/boot/RELEASES): run make lpar-image-kernels (it needs make kernel-deb)"
	KERNEL=$D/boot/vmlinux-$rel INITRD=$D/boot/initrd.img-$rel ;;
*) die "LPAR_KERNEL=$LPAR_KERNEL: interim, ref or ours" ;;
esac
for f in "$L0" "$KERNEL" "$IMG" ${INITRD:+"$INITRD"}; do
	[ -e "$f" ] || die "$f missing: run make $([ "$LPAR_KERNEL" = interim ] && echo lpar-image || echo lpar-image-kernels) (and make qemu-l0)"
done
KARGS=(-kernel "$KERNEL") HARGS=(--kernel "$KERNEL")
[ -z "$INITRD" ] || KARGS+=(-initrd "$INITRD") HARGS+=(--initrd "$INITRD")

# boot NAME APPEND-EXTRA: the scripted boots, through ci/harness.py, the
# image read-only (snapshot=on): build/results/NAME.{tap,facts,console}
boot() {
	disk "$(readlink -f "$IMG")" snap
	exec "${PYTHON:-python3}" "$TOP/ci/harness.py" boot "$1" --qemu "$L0" \
		"${HARGS[@]}" --smp 4 --mem 4G --timeout "${LPAR_TIMEOUT:-1500}" --expect-end --l0-monitor \
		--qemu-args "$(printf '%q ' "${DISK[@]}")" \
		--append "root=/dev/sda rw $2 systemd.mask=serial-getty@hvc0.service"
}

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
		-nographic -nodefaults -serial mon:stdio -no-reboot "${KARGS[@]}"
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
	boot lpar-scenario nv2.lpar=scenario
	;;
bench)
	case ${3:-} in
	'') boot "lpar-bench-$LPAR_KERNEL" "nv2.lpar=bench nv2.rounds=${LPAR_BENCH_ROUNDS:-3}" ;;
	xics) boot "lpar-bench-$LPAR_KERNEL-xics" "nv2.lpar=bench nv2.rounds=${LPAR_BENCH_ROUNDS:-3} nv2.icmode=xics" ;;
	*) die "usage: $0 bench ours|ref [xics]" ;;
	esac
	;;
*)
	die "usage: $0 console|scenario|bench ours|ref|interim|cmd"
	;;
esac
