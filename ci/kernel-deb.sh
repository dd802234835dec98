#!/usr/bin/env bash
# make kernel-deb: our 6.1 + series as Debian packages for ppc64el, and the
# proof that apt installs them into a Debian 12 ppc64el root.
#
#   ci/kernel-deb.sh build     bindeb-pkg of the modular L1 (l1-modular.config)
#                              -> build/deb/linux-image-<release>_<version>_ppc64el.deb
#   ci/kernel-deb.sh install   apt-get install the image .deb into a copy of
#                              a minimal bookworm ppc64el root (made once by
#                              `root`: mmdebstrap through qemu-user-static)
#                              -> build/results/kernel-deb.txt
#
# Names and versions (docs/packaging.md "A kernel .deb"): the release is
# <upstream>-nestedv2 (CONFIG_LOCALVERSION; LOCALVERSION is set, empty, in
# the environment, or scripts/setlocalversion would add a "+" for the
# untagged git tree the series is applied in), so the package is
# linux-image-6.1.<n>-nestedv2, never Debian's ABI name
# (linux-image-6.1.0-<abi>-powerpc64le); its version is Debian's
# <LINUX61_DEB_VERSION>+nestedv2.<KERNEL_DEB_REV>, which sorts above the
# Debian kernel it is built from.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KERNEL_DEB_REV=${KERNEL_DEB_REV:-1}
OBJ=$BUILD/obj/linux-6.1-modular
OUT=$BUILD/deb
RES=$BUILD/results
PKGVERSION=$LINUX61_DEB_VERSION+nestedv2.$KERNEL_DEB_REV

# Set and empty: the release is exactly <upstream>-nestedv2 (no "+").
export LOCALVERSION=

build() {
	KERNEL_CACHE=0 "$TOP/ci/kernel.sh" modular
	local rel
	# The release as this environment makes it (an object tree built
	# without LOCALVERSION says -nestedv2+ until bindeb-pkg relinks it).
	rel=$(make -s -C "$OBJ" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" kernelrelease)
	case $rel in *-nestedv2) ;; *) die "kernel release $rel does not end in -nestedv2" ;; esac
	rm -f "$BUILD"/obj/*.deb "$BUILD"/obj/*.buildinfo "$BUILD"/obj/*.changes
	say "bindeb-pkg $rel $PKGVERSION (log: $OBJ/bindeb-pkg.log)"
	# -d: the build dependencies are the cross toolchain, which
	# dpkg-checkbuilddeps cannot see as ppc64el packages.
	nice -n 10 make -C "$OBJ" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" -j"$JOBS" KDEB_PKGVERSION="$PKGVERSION" \
		KDEB_SOURCENAME=linux-nestedv2 DPKG_FLAGS=-d bindeb-pkg \
		>"$OBJ/bindeb-pkg.log" 2>&1 || {
		tail -n 30 "$OBJ/bindeb-pkg.log" >&2
		die "bindeb-pkg failed (log: $OBJ/bindeb-pkg.log)"
	}
	[ "$(cat "$OBJ/include/config/kernel.release")" = "$rel" ] ||
		die "bindeb-pkg built $(cat "$OBJ/include/config/kernel.release"), not $rel"
	mkdir -p "$OUT"
	rm -f "$OUT"/*.deb
	mv "$BUILD"/obj/*.deb "$OUT/"
	rm -f "$BUILD"/obj/*.buildinfo "$BUILD"/obj/*.changes
	ls -l "$OUT"/*.deb >&2
}

image_deb() {
	local d
	for d in "$OUT"/linux-image-*-nestedv2*_*_ppc64el.deb; do
		case $d in *-dbg_*) continue ;; esac
		[ -f "$d" ] && { echo "$d"; return 0; }
	done
	die "no linux-image .deb in $OUT (ci/kernel-deb.sh build)"
}

# base_root: a minimal bookworm ppc64el root, made once with mmdebstrap
# through qemu-user-static's binfmt entry -> build/deb/root-base.
base_root() {
	[ -f "$OUT/root-base/.nestedv2-complete" ] && return 0
	[ -e /proc/sys/fs/binfmt_misc/qemu-ppc64le ] || {
		mountpoint -q /proc/sys/fs/binfmt_misc ||
			mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
		update-binfmts --enable qemu-ppc64le
	}
	# The host's own apt sources (what ci/deps.sh uses: bookworm and
	# bookworm-backports).
	local srcs=() f
	[ -s /etc/apt/sources.list ] && srcs+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
		[ -s "$f" ] && srcs+=("$f")
	done
	[ ${#srcs[@]} -gt 0 ] || die "no apt sources on this host"
	mkdir -p "$OUT" "$RES"
	rm -rf "$OUT/root-base"
	say "mmdebstrap bookworm ppc64el into $OUT/root-base (log: $RES/kernel-deb.mmdebstrap)"
	nice -n 10 mmdebstrap --variant=apt --architectures=ppc64el bookworm \
		"$OUT/root-base" "${srcs[@]}" >"$RES/kernel-deb.mmdebstrap" 2>&1 || {
		tail -n 30 "$RES/kernel-deb.mmdebstrap" >&2
		die "mmdebstrap failed (log: $RES/kernel-deb.mmdebstrap)"
	}
	touch "$OUT/root-base/.nestedv2-complete"
}

install() {
	local deb pkg ver root log=$RES/kernel-deb.txt
	deb=$(image_deb)
	pkg=$(dpkg-deb -f "$deb" Package)
	ver=$(dpkg-deb -f "$deb" Version)
	mkdir -p "$RES"
	{
		echo "== dpkg-deb -I $(basename "$deb")"
		dpkg-deb -I "$deb"
	} >"$log"
	# Never Debian's ABI name, and sorts above Debian's version.
	case $pkg in
	"$LINUX61_IMAGE_PKG" | linux-image-6.1.0-*) die "$pkg collides with Debian's ABI name" ;;
	esac
	dpkg --compare-versions "$ver" gt "$LINUX61_DEB_VERSION" ||
		die "$ver does not sort above Debian's $LINUX61_DEB_VERSION"
	echo "version: $ver > $LINUX61_DEB_VERSION (Debian's $LINUX61_IMAGE_PKG)" >>"$log"
	base_root
	root=$OUT/root
	rm -rf "$root"
	cp -a "$OUT/root-base" "$root"
	cp "$deb" "$root/tmp/"
	say "apt-get install $pkg in a bookworm ppc64el root ($root)"
	mount -t proc proc "$root/proc"
	local rc=0
	{
		echo "== apt-get install /tmp/$(basename "$deb") in a bookworm ppc64el root (mmdebstrap --variant=apt)"
		chroot "$root" apt-get install -y "/tmp/$(basename "$deb")" 2>&1 &&
			echo "== dpkg -s $pkg" && chroot "$root" dpkg -s "$pkg" 2>&1 &&
			echo "== /boot and the KVM modules in the root" &&
			chroot "$root" sh -c 'ls -l /boot; ls -l /lib/modules/*/kernel/arch/powerpc/kvm' 2>&1
	} >>"$log" || rc=$?
	umount "$root/proc"
	[ "$rc" = 0 ] || { tail -n 30 "$log" >&2; die "apt-get install failed in the ppc64el root ($log)"; }
	rm -rf "$root"
	say "installed $pkg $ver with apt into a ppc64el root ($log)"
}

case ${1:-} in
root) base_root ;;
build) build ;;
install) install ;;
*) die "usage: $0 build|install|root" ;;
esac
