#!/usr/bin/env bash
# make kernel-deb: our 6.1 + series as Debian packages for ppc64el, and the
# proof that apt installs them into a Debian 12 ppc64el root.
#
#   ci/kernel-deb.sh build     bindeb-pkg of our 6.1 + series with Debian's own
#                              powerpc64le config (KERNEL_DEB_CONFIG=reduced, the
#                              default: the CI reduction of build/configs/; =full:
#                              Debian's config + our symbols, nothing dropped;
#                              =modular: the lean modular L1 of make kvm-modular)
#                              -> build/deb/linux-image-<release>_<version>_ppc64el.deb,
#                              the build's wall/CPU times in
#                              build/results/kernel-deb-build.txt
#   ci/kernel-deb.sh install   apt-get install the image .deb into a copy of
#                              a bookworm ppc64el root (`root`: the LPAR
#                              image's pinned packages, ci/lpar-image.sh base)
#                              -> build/results/kernel-deb.txt
#   ci/kernel-deb.sh path      the linux-image .deb's path (fails if none)
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
KERNEL_DEB_CONFIG=${KERNEL_DEB_CONFIG:-reduced}
case $KERNEL_DEB_CONFIG in
modular) OBJ=$BUILD/obj/linux-6.1-modular ;;
reduced | full) OBJ=$BUILD/obj/linux-6.1-debian-$KERNEL_DEB_CONFIG ;;
*) die "KERNEL_DEB_CONFIG=$KERNEL_DEB_CONFIG: reduced, full or modular" ;;
esac
KMAKE=(make -C "$BUILD/src/linux-6.1" O="$OBJ" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" KBUILD_BUILD_VERSION=1)
OUT=$BUILD/deb
RES=$BUILD/results
BTIMES=$RES/kernel-deb-build.txt
PKGVERSION=$LINUX61_DEB_VERSION+nestedv2.$KERNEL_DEB_REV

# Set and empty: the release is exactly <upstream>-nestedv2 (no "+").
export LOCALVERSION=

# timed WHAT CMD...: run CMD, append "WHAT: <wall> s wall, <user> s user,
# <sys> s system CPU, load <1-min load before>" to kernel-deb-build.txt.
timed() {
	local what=$1 t
	shift
	t=$(mktemp)
	echo "$what: started $(date -u '+%F %T') UTC, load $(cut -d' ' -f1 /proc/loadavg), $(nproc) CPUs" >>"$BTIMES"
	/usr/bin/time -o "$t" -f '%e %U %S' "$@" || { rm -f "$t"; return 1; }
	read -r wall user sys <"$t"
	rm -f "$t"
	printf '%s: %.0f s wall (%dm%02ds), %.0f s user + %.0f s system CPU\n' "$what" "$wall" \
		"$((${wall%.*} / 60))" "$((${wall%.*} % 60))" "$user" "$sys" >>"$BTIMES"
	tail -n 1 "$BTIMES" >&2
}

# debian_tree: configure OBJ with Debian's config (build/configs/, made by
# `make kernel-debian-config`) under our release name, and build it: the
# first build in an empty OBJ is the cold figure, a second one the warm.
# No ccache: its 5 GB would hold little of ~6,000 objects with debug info,
# and evict what the CI kernels need.
debian_tree() {
	local cfg=$BUILD/configs/debian.config phase=cold
	[ "$KERNEL_DEB_CONFIG" = full ] || cfg=$BUILD/configs/debian-reduced.config
	nice -n 10 "$TOP/ci/debian-kernel.sh" config
	mkdir -p "$OBJ"
	[ -f "$OBJ/vmlinux" ] && phase=warm
	if ! cmp -s "$cfg" "$OBJ/debian-input.config"; then
		cp "$cfg" "$OBJ/.config"
		# Our release, never Debian's ABI name (6.1.0-<abi>-powerpc64le).
		"$BUILD/src/linux-6.1/scripts/config" --file "$OBJ/.config" \
			--set-str LOCALVERSION -nestedv2 --disable LOCALVERSION_AUTO
		"${KMAKE[@]}" -s olddefconfig >"$OBJ/olddefconfig.log" 2>&1 ||
			die "olddefconfig failed (log: $OBJ/olddefconfig.log)"
		cp "$cfg" "$OBJ/debian-input.config"
	fi
	mkdir -p "$RES"
	say "$phase build of Debian's $KERNEL_DEB_CONFIG config: $(grep -c '=m$' "$OBJ/.config") modules," \
		"-j$JOBS (log: $OBJ/build.log; expected ~2-3 h cold on 2 cores, see docs/ci.md)"
	timed "$phase build, Debian $KERNEL_DEB_CONFIG config, -j$JOBS" \
		nice -n 10 "${KMAKE[@]}" -j"$JOBS" all >"$OBJ/build.log" 2>&1 || {
		tail -n 30 "$OBJ/build.log" >&2
		die "kernel build failed (log: $OBJ/build.log)"
	}
}

build() {
	if [ "$KERNEL_DEB_CONFIG" = modular ]; then
		KERNEL_CACHE=0 "$TOP/ci/kernel.sh" modular
	else
		"$TOP/ci/sources.sh" ours
		debian_tree
	fi
	local rel
	# The release as this environment makes it (an object tree built
	# without LOCALVERSION says -nestedv2+ until bindeb-pkg relinks it).
	rel=$(make -s -C "$OBJ" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" kernelrelease)
	case $rel in *-nestedv2) ;; *) die "kernel release $rel does not end in -nestedv2" ;; esac
	rm -f "$BUILD"/obj/*.deb "$BUILD"/obj/*.buildinfo "$BUILD"/obj/*.changes
	say "bindeb-pkg $rel $PKGVERSION (log: $OBJ/bindeb-pkg.log)"
	# -d: the build dependencies are the cross toolchain, which
	# dpkg-checkbuilddeps cannot see as ppc64el packages.
	local cc=()
	[ "$KERNEL_DEB_CONFIG" != modular ] || cc=(CC="ccache ${CROSS_COMPILE}gcc")
	timed "bindeb-pkg, $KERNEL_DEB_CONFIG config" \
		nice -n 10 "${KMAKE[@]}" "${cc[@]}" -j"$JOBS" KDEB_PKGVERSION="$PKGVERSION" \
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

# base_root: a Debian 12 ppc64el system to install into: the LPAR image's
# packages (ci/lpar-image.sh base: bookworm, pinned, made once with
# mmdebstrap through qemu-user-static and cached) -> build/deb/root-base.
base_root() {
	local tar
	tar=$("$TOP/ci/lpar-image.sh" base) || die "no bookworm ppc64el root (ci/lpar-image.sh base failed)"
	[ -f "$OUT/root-base/.nestedv2-complete" ] && [ "$(cat "$OUT/root-base/.nestedv2-complete")" = "$tar" ] && return 0
	rm -rf "$OUT/root-base"
	mkdir -p "$OUT/root-base"
	tar -C "$OUT/root-base" --numeric-owner -xpf "$tar"
	echo "$tar" >"$OUT/root-base/.nestedv2-complete"
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
		echo "== apt-get install /tmp/$(basename "$deb") in a bookworm ppc64el root (the LPAR image's packages)"
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
path) image_deb ;;
build) build ;;
install) install ;;
*) die "usage: $0 build|install|root|path" ;;
esac
