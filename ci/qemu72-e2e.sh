#!/usr/bin/env bash
# QEMU 7.2 end to end inside the L1 (make e2e-qemu72, docs/qemu-7.2.md
# "End to end"): our QEMU 7.2 boots a Linux L2 under KVM in an L1 that
# runs in the emulated PowerVM, and migrates the DEXCR check VM.
#
#   ci/qemu72-e2e.sh payload        build/payload/l2-linux (L2 kernel +
#                                   initrd, nv2-hcount)
#   ci/qemu72-e2e.sh initramfs      build/initramfs/l1-qemu72.cpio.gz, and
#                                   l1-qemu72-modular.cpio.gz (+ the modular
#                                   kernel's /lib/modules) when it is built
#   ci/qemu72-e2e.sh boot KERNEL... boot each L1 kernel flavour (ours, ref,
#                                   modular, ref-inkernel)
#                                   -> build/results/qemu72-e2e-KERNEL.*
#   ci/qemu72-e2e.sh boot-compat    the ours L1 in POWER9 compatibility mode
#                                   -> build/results/qemu72-e2e-compat.*
#   ci/qemu72-e2e.sh boot-power11   the ours L1 on a POWER11 (L0 -cpu power11)
#                                   -> build/results/qemu72-e2e-power11.*
#   ci/qemu72-e2e.sh stock          build/payload/qemu-7.2-stock: Debian's
#                                   stock 7.2 (apt-get download, dpkg -x)
#   ci/qemu72-e2e.sh all            all of it (stock too) for ours, ref and
#                                   modular, the compat-mode and POWER11 boots
#
# The modular L1 (issue 12: Debian's values for KVM, the in-kernel XICS and
# TCE, kvm-hv a module) first loads kvm_hv (run item kvm-modular), then
# runs the same items.  ref-inkernel (the 6.12 reference with the same
# in-kernel options, make kernel-ref-inkernel) runs the L2 boot only: it is
# the reference column of docs/performance.md "In-kernel XICS and TCE".
#
# Needs build/payload/qemu-7.2 and -migcheck (make qemu72), the L1 kernels
# (make kernel-ours kernel-ref) and the L0 ($L0_BIN, else
# qemu-system-ppc64 from PATH).  Overlays added when present:
# build/payload/qemu-7.2-stock (Debian's unpacked stock 7.2, see the doc).
# Boot status 1 (a result failed) is left for the tests to report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CC=${CROSS_COMPILE:-powerpc64le-linux-gnu-}gcc
command -v ccache >/dev/null && CC="ccache $CC"
OBJ=$BUILD/obj/qemu72e2e
PAYLOAD=$BUILD/payload/l2-linux
L2_KERNEL=${L2_KERNEL:-$BUILD/kernels/ours/vmlinux}
INITRD=$BUILD/initramfs/l1-qemu72.cpio.gz
RESULTS=${RESULTS:-$BUILD/results}
L0_BIN=${L0_BIN:-qemu-system-ppc64}
TIMEOUT=${E2E_TIMEOUT:-900}

payload() {
	[ -f "$L2_KERNEL" ] || die "no L2 kernel $L2_KERNEL (make kernel-ours)"
	mkdir -p "$OBJ/l2root/dev"
	rm -rf "$PAYLOAD"
	mkdir -p "$PAYLOAD/usr/share/nestedv2/l2" "$PAYLOAD/usr/bin"
	# shellcheck disable=SC2086  # CC may be "ccache gcc"
	$CC -O2 -Wall -Wextra -Werror -static -o "$OBJ/l2root/init" \
		"$TOP/tests/qemu72e2e/l2init.c"
	# shellcheck disable=SC2086
	$CC -O2 -Wall -Wextra -Werror -std=gnu11 -static -o "$PAYLOAD/usr/bin/nv2-hcount" \
		"$TOP/tests/qemu72e2e/hcount.c" "$TOP/tests/l2/kvmt.c" "$TOP/tests/l2/onereg.c"
	/usr/bin/python3 "$TOP/ci/mkcpio.py" "$OBJ/l2root" \
		"$PAYLOAD/usr/share/nestedv2/l2/initrd.cpio.gz" --node dev/console:c:5:1:600
	cp "$L2_KERNEL" "$PAYLOAD/usr/share/nestedv2/l2/vmlinux"
	say "l2-linux: $(du -sh "$PAYLOAD" | cut -f1) $PAYLOAD"
}

initramfs() {
	local o overlays=()
	for o in qemu-7.2 qemu-7.2-migcheck l2-linux; do
		[ -d "$BUILD/payload/$o" ] || die "no overlay build/payload/$o (make qemu72; $0 payload)"
		overlays+=("$BUILD/payload/$o")
	done
	[ -d "$BUILD/payload/qemu-7.2-stock" ] && overlays+=("$BUILD/payload/qemu-7.2-stock")
	"$TOP/ci/initramfs.sh" l1-qemu72 "${overlays[@]}"
	if [ -d "$BUILD/kernels/modular/modroot" ]; then
		"$TOP/ci/initramfs.sh" l1-qemu72-modular "${overlays[@]}" "$BUILD/kernels/modular/modroot"
	else
		rm -f "$BUILD/initramfs/l1-qemu72-modular.cpio.gz"
	fi
}

boot() {
	local k rc append initrd runs
	mkdir -p "$RESULTS"
	for k in "$@"; do
		if [ ! -f "$BUILD/kernels/$k/vmlinux" ]; then
			say "no $BUILD/kernels/$k/vmlinux (make kernel-$k): skipping $k"
			rm -f "$RESULTS/qemu72-e2e-$k".{tap,facts}
			continue
		fi
		append=
		rc=0
		initrd=$INITRD
		runs=qemu72-l2boot,qemu72-migcheck
		case $k in
		modular)
			initrd=$BUILD/initramfs/l1-qemu72-modular.cpio.gz
			[ -f "$initrd" ] || die "no $initrd ($0 initramfs after make kernel-modular)"
			runs=kvm-modular,$runs
			;;
		ref-inkernel) runs=qemu72-l2boot ;;
		esac
		# 3G: the writing L2's migration stream (up to ~830 MB when QEMU
		# needs many dirty syncs) and the 256 MB RAM dumps live in the
		# L1's /tmp, a tmpfs of half its memory; with 2G a slow run filled
		# it (pmemsave: "An IO error has occurred").
		/usr/bin/python3 "$TOP/ci/harness.py" boot "qemu72-e2e-$k" --qemu "$L0_BIN" \
			--kernel "$BUILD/kernels/$k/vmlinux" --initrd "$initrd" \
			--run "$runs" --mem 3G --timeout "$TIMEOUT" \
			--append "$append" --outdir "$RESULTS" || rc=$?
		[ "$rc" -le 1 ] || die "harness could not boot $k (status $rc)"
	done
}

# boot_l1_variant NAME ITEM CPU [MACHINE_OPTS]: the ours L1 once more on
# another processor (L0 -cpu CPU) or in another mode (L0 machine options),
# run item ITEM -> build/results/qemu72-e2e-NAME.*
boot_l1_variant() {
	local rc=0
	mkdir -p "$RESULTS"
	[ -f "$BUILD/kernels/ours/vmlinux" ] || die "no $BUILD/kernels/ours/vmlinux (make kernel-ours)"
	/usr/bin/python3 "$TOP/ci/harness.py" boot "qemu72-e2e-$1" --qemu "$L0_BIN" \
		--kernel "$BUILD/kernels/ours/vmlinux" --initrd "$INITRD" \
		--cpu "$3" --machine-opts "${4:-}" --run "$2" --mem 2G \
		--timeout "$TIMEOUT" --outdir "$RESULTS" || rc=$?
	[ "$rc" -le 1 ] || die "harness could not boot the $1 L1 (status $rc)"
}

# POWER9 compatibility mode: a POWER10 LPAR in POWER9 mode (run item
# qemu72-compat); POWER11: the L1 on a POWER11, where Linux 6.1 runs in
# POWER10 mode (run item qemu72-power11)
boot_compat() { boot_l1_variant compat qemu72-compat power10 max-cpu-compat=power9; }
boot_power11() { boot_l1_variant power11 qemu72-power11 power11; }

# Debian's stock qemu-system-ppc 7.2 (ppc64el) and the libraries it needs,
# unpacked under /opt/debian-qemu-7.2 of an overlay: the negative control
# of the migration check.  Its firmware (vof.bin) is the one our payload
# carries in /usr/share/qemu (same 7.2 VOF; the run item passes -L).
STOCK_PKGS="qemu-system-ppc libc6 libaio1 libbpf1 libelf1 libcapstone4 libfdt1
libfuse3-3 libgcc-s1 libglib2.0-0 libffi8 libmount1 libblkid1 libselinux1
libpcre2-8-0 libgmp10 libgnutls30 libp11-kit0 libidn2-0 libunistring2
libtasn1-6 libhogweed6 libnettle8 libibverbs1 libnl-3-200 libnl-route-3-200
libjpeg62-turbo libnuma1 libpixman-1-0 libpng16-16 librdmacm1 libsasl2-2
libsasl2-modules-db libdb5.3 libseccomp2 libslirp0 libudev1 liburing2
libvdeplug2 libzstd1 zlib1g libcap2 libstdc++6 liblzma5 libbz2-1.0"
stock() {
	local dest=$BUILD/payload/qemu-7.2-stock root pkg deb miss
	root=$dest/opt/debian-qemu-7.2
	rm -rf "$dest"
	mkdir -p "$root" "$CACHE/debs"
	for pkg in $STOCK_PKGS; do
		# QEMU at its pinned version (ci/versions.sh), its libraries as locked
		if [ "$pkg" = qemu-system-ppc ]; then
			deb=$(deb_get "$pkg" ppc64el "$STOCK_QEMU_VERSION" "$STOCK_QEMU_DEB_SHA256" qemu-7.2)
		else
			deb=$(locked_deb "$pkg" ppc64el)
		fi
		dpkg -x "$deb" "$root"
		echo "${deb##*/}" >>"$dest/../qemu-7.2-stock.manifest.tmp"
	done
	mv "$dest/../qemu-7.2-stock.manifest.tmp" "$dest/../qemu-7.2-stock.manifest"
	# Only the ppc64 system emulator; no docs
	find "$root/usr/bin" -type f ! -name qemu-system-ppc64 -delete
	rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" \
		"$root/usr/share/locale" "$root/usr/lib/powerpc64le-linux-gnu/gconv" \
		"$root/usr/lib/powerpc64le-linux-gnu/vdeplug"
	# Every library the binary and its libraries need must be in the tree
	miss=$(find "$root/usr/bin" "$root/lib" "$root/usr/lib" -type f \( -name 'qemu-*' -o -name '*.so*' \) \
		-exec powerpc64le-linux-gnu-readelf -d {} + 2>/dev/null |
		sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u | while read -r so; do
			[ -e "$root/lib/powerpc64le-linux-gnu/$so" ] ||
				[ -e "$root/usr/lib/powerpc64le-linux-gnu/$so" ] || echo "$so"
		done)
	[ -z "$miss" ] || die "stock QEMU 7.2: libraries missing from STOCK_PKGS: $miss"
	say "qemu-7.2-stock: $(du -sh "$dest" | cut -f1) $dest"
}

case ${1:-all} in
stock) stock ;;
payload) payload ;;
initramfs) initramfs ;;
boot) shift; boot "$@" ;;
boot-compat) boot_compat ;;
boot-power11) boot_power11 ;;
all) payload; stock; initramfs; boot ours ref modular; boot_compat; boot_power11 ;;
*) die "usage: $0 payload|stock|initramfs|boot KERNEL...|boot-compat|boot-power11|all" ;;
esac
