#!/usr/bin/env bash
# make kernel-deb: our 6.1 + series as Debian packages for ppc64el, and the
# proof that apt installs them into a Debian 12 ppc64el root.
#
#   ci/kernel-deb.sh all       build and install, or both from the package
#                              cache (~/.cache/nestedv2/debs-built/kernel-
#                              CONFIG-KEY, pkg_key below; KERNEL_DEB_CACHE=0
#                              builds anyway): make kernel-deb, make check
#   ci/kernel-deb.sh key       print the package cache entry's name (after
#                              ci/sources.sh ours and make kernel-debian-config)
#   ci/kernel-deb.sh build     bindeb-pkg of our 6.1 + series with Debian's own
#                              powerpc64le config (KERNEL_DEB_CONFIG=full, the
#                              default: Debian's config + our symbols, nothing
#                              dropped; =reduced: the CI reduction of
#                              build/configs/; =modular: the lean modular L1
#                              of make kvm-modular), built in
#                              ~/.cache/nestedv2/kbuild/ (KTREE below)
#                              -> build/deb/linux-image-<release>_<version>_ppc64el.deb,
#                              the build's wall/CPU times in
#                              build/results/kernel-deb-build.txt; then
#                              fix-headers (below)
#   ci/kernel-deb.sh fix-headers  the linux-headers .deb in build/deb, its host
#                              programs (scripts/basic/fixdep, scripts/mod/modpost,
#                              ...) rebuilt for ppc64el: 6.1's builddeb ships
#                              the build host's x86-64 ones -> the same .deb,
#                              build/results/kernel-deb-headers.txt
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
KERNEL_DEB_CONFIG=${KERNEL_DEB_CONFIG:-full}
# The Debian-config trees (full, reduced) are built in the cache, at paths
# that do not change with the checkout: KTREE/src, a copy of the checkout's
# build/src/linux-6.1 synced by content (sync_src), and KTREE/obj.  A clone
# whose patches changed rebuilds only what they touch (Kbuild's .cmd files
# hold absolute paths: a tree per clone would rebuild all ~11,000 objects,
# ~3 h on 2 cores).  The modular tree is the clone's own (ccache serves it).
case $KERNEL_DEB_CONFIG in
modular) KSRC=$BUILD/src/linux-6.1 OBJ=$BUILD/obj/linux-6.1-modular KTREE= ;;
reduced | full)
	KTREE=$CACHE/kbuild/linux-6.1-debian-$KERNEL_DEB_CONFIG
	KSRC=$KTREE/src OBJ=$KTREE/obj ;;
*) die "KERNEL_DEB_CONFIG=$KERNEL_DEB_CONFIG: full, reduced or modular" ;;
esac
KMAKE=(make -C "$KSRC" O="$OBJ" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" KBUILD_BUILD_VERSION=1)
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
# (input_config: the config file debian_tree starts from.)
input_config() {
	if [ "$KERNEL_DEB_CONFIG" = full ]; then
		echo "$BUILD/configs/debian.config"
	else
		echo "$BUILD/configs/debian-reduced.config"
	fi
}

# sync_src: KSRC made equal to the checkout's source tree (its .git left
# out) by content, without copying times: a file whose bytes did not change
# keeps its old mtime, so the objects built from it stay up to date; a
# changed or new file gets the time of the copy and Kbuild rebuilds what
# depends on it.  Prints how many files changed.
sync_src() {
	local src=$BUILD/src/linux-6.1 n
	[ -f "$src/.nestedv2-series" ] || die "$src has no series applied (ci/sources.sh ours)"
	mkdir -p "$KSRC"
	n=$(rsync -rlp --checksum --delete --exclude=/.git --itemize-changes "$src/" "$KSRC/" | grep -c '^[<>ch*]') || true
	say "source tree $KSRC: $n files changed since the last build"
}

debian_tree() {
	local cfg phase=cold
	cfg=$(input_config)
	[ -n "${CONFIG_MADE:-}" ] || nice -n 10 "$TOP/ci/debian-kernel.sh" config
	sync_src
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
		"-j$JOBS (log: $OBJ/build.log; cold: ~7,800 s of CPU, 65-75 min on 2 idle cores; warm: ~1 min; see docs/ci.md)"
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
		# One build at a time in the shared tree (two clones' CI runs).
		exec 9>"$KTREE.lock"
		flock -n 9 || { say "waiting for another build in $KTREE"; flock 9; }
		debian_tree
	fi
	local rel
	# The release as this environment makes it (an object tree built
	# without LOCALVERSION says -nestedv2+ until bindeb-pkg relinks it).
	rel=$(make -s -C "$OBJ" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" kernelrelease)
	case $rel in *-nestedv2) ;; *) die "kernel release $rel does not end in -nestedv2" ;; esac
	# (bindeb-pkg writes the packages next to the object tree)
	local pkgdir
	pkgdir=$(dirname "$OBJ")
	rm -f "$pkgdir"/*.deb "$pkgdir"/*.buildinfo "$pkgdir"/*.changes
	say "bindeb-pkg $rel $PKGVERSION (log: $OBJ/bindeb-pkg.log)"
	# -d: the build dependencies are the cross toolchain, which
	# dpkg-checkbuilddeps cannot see as ppc64el packages.
	local cc=()
	[ "$KERNEL_DEB_CONFIG" != modular ] || cc=(CC="ccache ${CROSS_COMPILE}gcc")
	# gzip, not dpkg-deb's default xz: most of bindeb-pkg's CPU went to
	# xz for the -dbg package (2.5 GB of debug info; 2698 s user CPU for
	# the reduced config's packages).  KDEB_COMPRESS=xz gives Debian's.
	timed "bindeb-pkg, $KERNEL_DEB_CONFIG config" \
		nice -n 10 "${KMAKE[@]}" "${cc[@]}" -j"$JOBS" KDEB_PKGVERSION="$PKGVERSION" \
		KDEB_COMPRESS="${KDEB_COMPRESS:-gzip}" \
		KDEB_SOURCENAME=linux-nestedv2 DPKG_FLAGS=-d bindeb-pkg \
		>"$OBJ/bindeb-pkg.log" 2>&1 || {
		tail -n 30 "$OBJ/bindeb-pkg.log" >&2
		die "bindeb-pkg failed (log: $OBJ/bindeb-pkg.log)"
	}
	[ "$(cat "$OBJ/include/config/kernel.release")" = "$rel" ] ||
		die "bindeb-pkg built $(cat "$OBJ/include/config/kernel.release"), not $rel"
	mkdir -p "$OUT"
	rm -f "$OUT"/*.deb
	mv "$pkgdir"/*.deb "$OUT/"
	rm -f "$pkgdir"/*.buildinfo "$pkgdir"/*.changes
	fix_headers
	ls -l "$OUT"/*.deb >&2
}

# --- the headers package, made usable on ppc64el ----------------------------
#
# 6.1's builddeb copies the object tree's scripts/ into linux-headers-<rel>,
# host programs included, and ours are cross-built on x86-64: fixdep,
# modpost, genksyms, recordmcount, sign-file ... could not run on the LPAR,
# so no out-of-tree module (DKMS) could be built there.  fix_headers rebuilds
# them inside the package's own tree with the cross compiler as the host
# compiler (an external-module build of scripts/, as later kernels' packaging
# does), drops what cannot work there (GCC plugins; the .o and .cmd files of
# both builds) and checks that every ELF file left is ppc64el.
HDR_WORK=$BUILD/obj/kernel-deb-headers
HDR_RES=$RES/kernel-deb-headers.txt
TRIPLET=${CROSS_COMPILE%-}
# What the host programs link against, for ppc64el (sign-file: libcrypto):
# bookworm's .debs as locked in ci/debs.lock, unpacked, never installed (a
# libssl-dev:ppc64el next to the host's libssl-dev would have to be the same
# version, i.e. an upgrade of the host's).
HDR_SYSROOT=$BUILD/sysroot/ppc64el-headers
HDR_SYSROOT_PKGS=(libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1 libcrypt-dev libssl3 libssl-dev)

headers_deb() {
	local d found=()
	for d in "$OUT"/linux-headers-*-nestedv2_*_ppc64el.deb; do
		[ -f "$d" ] && found+=("$d")
	done
	[ "${#found[@]}" = 1 ] ||
		die "want one linux-headers .deb in $OUT, found ${#found[@]} (ci/kernel-deb.sh build)"
	echo "${found[0]}"
}

# elf_files DIR: "PATH<TAB>ARCH<TAB>file(1)'s description" of every ELF file
# under DIR (PATH relative to DIR; ARCH ppc64el, x86-64 or other).
elf_files() {
	(cd "$1" && find . -type f -exec file -N -F $'\t' {} +) | awk -F'\t' '
		{ sub(/^ +/, "", $2) }
		$2 !~ /^ELF / { next }
		{
			a = "other"
			if ($2 ~ /^ELF 64-bit LSB .*, 64-bit PowerPC/) a = "ppc64el"
			else if ($2 ~ /x86-64/) a = "x86-64"
			sub(/^\.\//, "", $1)
			print $1 "\t" a "\t" $2
		}' | LC_ALL=C sort
}

# count_arch ARCH: how many lines of elf_files' output (stdin) have ARCH.
count_arch() {
	awk -F'\t' -v a="$1" '$2 == a { n++ } END { print n + 0 }'
}

# the_hdr PKGDIR: the one usr/src/linux-headers-<rel> of an unpacked package.
the_hdr() {
	local h
	h=$(find "$1/usr/src" -mindepth 1 -maxdepth 1 -type d -name 'linux-headers-*')
	if [ -z "$h" ] || [ "$(wc -l <<<"$h")" != 1 ] || [ ! -f "$h/Makefile" ] || [ ! -f "$h/.config" ]; then
		die "$1: not one usr/src/linux-headers-<rel> with a Makefile and a .config"
	fi
	echo "$h"
}

# hdr_env CMD...: CMD with the ppc64el sysroot as qemu-user's library root
# (its /lib64/ld64.so.2, libc, libcrypto) and as pkg-config's.
hdr_env() {
	env QEMU_LD_PREFIX="$HDR_SYSROOT" PKG_CONFIG_PATH= \
		PKG_CONFIG_LIBDIR="$HDR_SYSROOT/usr/lib/$TRIPLET/pkgconfig:$HDR_SYSROOT/usr/share/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$HDR_SYSROOT" "$@"
}

# pkg_files PKGDIR: the unpacked package's files (not DEBIAN/), sorted.
pkg_files() { (cd "$1" && find . ! -type d ! -path './DEBIAN/*' | LC_ALL=C sort); }

# rebuild_headers PKGDIR: rebuild the host programs of the unpacked headers
# package PKGDIR for ppc64el; print what was done (for the results file).
# Not in $(...): set -e would not hold there.
rebuild_headers() {
	local pkg=$1 hdr base src=$BUILD/src/linux-6.1 log=$HDR_WORK/rebuild.log d f t0
	local plugins nobj ncmd added
	hdr=$(the_hdr "$pkg")
	# The base of the external-module build is a copy of the package's tree
	# as shipped: its x86-64 fixdep runs here while the package's own is
	# being replaced.  Two host programs include sources builddeb does not
	# ship (sorttable: tools/include; selinux's genheaders and mdp:
	# security/selinux/include): they come from our 6.1 tree, into the base
	# only.
	for d in tools/include/tools security/selinux/include; do
		[ -d "$src/$d" ] || die "$src/$d missing (ci/sources.sh ours)"
	done
	base=$HDR_WORK/base
	rm -rf "$base"
	cp -a "$hdr" "$base"
	for d in tools/include/tools security/selinux/include; do
		mkdir -p "$base/$(dirname "$d")"
		cp -a "$src/$d" "$base/$d"
	done
	pkg_files "$pkg" >"$HDR_WORK/files.before"
	# Kbuild files (removed below) make scripts/ an external module:
	# scripts/Makefile descends into genksyms and selinux only, the top
	# Makefile builds basic, dtc, kconfig and mod; kconfig's conf is built
	# on demand only.
	for f in Kbuild scripts/Kbuild scripts/kconfig/Kbuild; do
		[ ! -e "$hdr/$f" ] || die "$hdr/$f exists already: not the 6.1 tree this step knows"
	done
	# shellcheck disable=SC2016 # $(kbuild-dir) is make's
	{
		printf '%s\n' 'subdir-y := scripts' >"$hdr/Kbuild"
		printf '%s\n' 'include $(kbuild-dir)/Makefile' 'subdir-y += basic dtc kconfig mod' >"$hdr/scripts/Kbuild"
		printf '%s\n' 'include $(kbuild-dir)/Makefile' 'hostprogs-always-y += conf' >"$hdr/scripts/kconfig/Kbuild"
	}
	build_sysroot "$HDR_SYSROOT" "$HDR_WORK" "${HDR_SYSROOT_PKGS[@]}"
	# scripts/mod runs its new mk_elfconfig (ppc64el) to make elfconfig.h.
	"$TOP/ci/binfmt-ppc64le.sh"
	say "rebuilding the host programs of $(basename "$hdr") with ${CROSS_COMPILE}gcc (log: $log)"
	t0=$(date +%s)
	# M relative to the base: 6.1's Makefiles spell "$(srctree)/$(src)".
	hdr_env nice -n 10 make -C "$base" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" \
		HOSTCC="${CROSS_COMPILE}gcc --sysroot=$HDR_SYSROOT" \
		M="$(realpath --relative-to="$base" "$hdr")" -j"$JOBS" scripts/ >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "rebuilding the headers' host programs failed (log: $log)"
	}
	echo "rebuilt: make M=<package tree> scripts/ with HOSTCC=${CROSS_COMPILE}gcc" \
		"--sysroot=<bookworm ppc64el: $(awk '$1 == "libc6" || $1 == "libssl-dev"' "$HDR_SYSROOT/.packages" |
			paste -sd, | sed 's/,/, /g')> in $(($(date +%s) - t0)) s"
	rm -f "$hdr/Kbuild" "$hdr/scripts/Kbuild" "$hdr/scripts/kconfig/Kbuild"
	rm -rf "$base"
	# GCC plugins are loaded by the compiler that builds the kernel; no
	# rebuild makes x86-64 ones work on the LPAR, and our configs have
	# CONFIG_GCC_PLUGINS off (no plugin headers for the cross compiler).
	plugins=$(find "$hdr" -path '*/gcc-plugins/*' -name '*.so' -printf '%P\n')
	if [ -n "$plugins" ]; then
		say "warning: dropping the GCC plugins from the headers package: $(echo "$plugins" | paste -sd' ')"
		find "$hdr" -path '*/gcc-plugins/*' -name '*.so' -delete
		echo "dropped GCC plugins: $(echo "$plugins" | paste -sd' ')"
	else
		echo "GCC plugins: none in the package ($(grep -q '^CONFIG_GCC_PLUGINS=y' "$hdr/.config" &&
			echo 'CONFIG_GCC_PLUGINS=y, but no .so' || echo 'CONFIG_GCC_PLUGINS is off'))"
	fi
	# The objects and .cmd files of both builds (bindeb-pkg shipped its
	# own): nothing builds with them on the installed system.
	nobj=$(find "$hdr" -name '*.o' | wc -l)
	ncmd=$(find "$hdr" -name '.*.cmd' | wc -l)
	find "$hdr" \( -name '*.o' -o -name '.*.cmd' -o -name '.*.d' \) -delete
	echo "removed: $nobj .o and $ncmd .cmd files (the x86-64 build's and the rebuild's)"
	added=$(pkg_files "$pkg" | comm -13 "$HDR_WORK/files.before" -)
	[ -z "$added" ] || die "the rebuild left files the package did not have: $(echo "$added" | paste -sd' ')"
}

# pack_headers PKGDIR DEB: DEB from PKGDIR, with the original control file
# (only Installed-Size follows the new contents) and new md5sums.
pack_headers() {
	local pkg=$1 deb=$2 size
	(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z |
		xargs -0r md5sum) >"$pkg/DEBIAN/md5sums"
	# As dpkg-gencontrol counts: KiB per file, rounded up; 1 per other entry.
	size=$(cd "$pkg" && find . -mindepth 1 ! -path './DEBIAN' ! -path './DEBIAN/*' -printf '%y %s\n' |
		awk '{ n += ($1 == "f") ? int(($2 + 1023) / 1024) : 1 } END { print n }')
	sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$pkg/DEBIAN/control"
	chmod -R go-w,a+rX "$pkg"
	nice -n 10 dpkg-deb --root-owner-group -b "$pkg" "$deb" >/dev/null
}

# check_headers DEB: every ELF file in DEB is ppc64el (dies naming the others);
# a few of them run under qemu-user, and an out-of-tree module builds with
# them.  Prints the results file's lines (not in $(...) either).
check_headers() {
	local deb=$1 chk=$HDR_WORK/check hdr elf n ppc x86 other prog out rc=0
	rm -rf "$chk"
	dpkg-deb -R "$deb" "$chk"
	hdr=$(the_hdr "$chk")
	elf=$(elf_files "$chk")
	n=$(grep -c . <<<"$elf" || true)
	ppc=$(count_arch ppc64el <<<"$elf")
	x86=$(count_arch x86-64 <<<"$elf")
	other=$(count_arch other <<<"$elf")
	echo "ELF files: $n ($(grep -c 'executable' <<<"$elf" || true) executables), PowerPC 64-bit LSB: $ppc, x86-64: $x86, other: $other"
	awk -F'\t' '{ sub(/, BuildID.*/, "", $3); print "  " $1 ": " $3 }' <<<"$elf"
	[ "$n" -gt 0 ] || die "$deb: no ELF file at all (not a 6.1 headers package?)"
	[ "$ppc" = "$n" ] || die "$deb: ELF files that are not ppc64el:" \
		"$(awk -F'\t' '$2 != "ppc64el" { printf " %s (%s)", $1, $2 }' <<<"$elf")"
	# On this x86-64 host they can only run through binfmt's qemu-ppc64le.
	"$TOP/ci/binfmt-ppc64le.sh"
	for prog in scripts/basic/fixdep scripts/sign-file scripts/recordmcount; do
		rc=0
		out=$(cd "$hdr" && hdr_env timeout 120 "./$prog" </dev/null 2>&1) || rc=$?
		[ "$rc" != 124 ] || die "$prog under qemu-user: timed out"
		grep -qi '^usage:' <<<"$out" || die "$prog under qemu-user: exit $rc, no usage: $out"
		echo "ran under qemu-user: $prog (no arguments) -> exit $rc: $(head -n 1 <<<"$out")"
	done
	extmod_check "$hdr"
}

# extmod_check HDR: an out-of-tree module built against the unpacked tree the
# way DKMS does (make -C <headers> M=<dir> modules), here with the cross
# compiler, so that the tree's own fixdep, genksyms, recordmcount and modpost
# run (under qemu-user).
extmod_check() {
	local hdr=$1 m=$HDR_WORK/extmod log ko crc vermagic
	rm -rf "$m"
	mkdir -p "$m"
	cat >"$m/nv2hello.c" <<-'EOF'
		// SPDX-License-Identifier: GPL-2.0
		#include <linux/module.h>
		int nv2_hello_value(void) { return 42; }
		EXPORT_SYMBOL_GPL(nv2_hello_value);
		static int __init nv2_hello_init(void) { return 0; }
		static void __exit nv2_hello_exit(void) { }
		module_init(nv2_hello_init);
		module_exit(nv2_hello_exit);
		MODULE_LICENSE("GPL");
	EOF
	echo 'obj-m := nv2hello.o' >"$m/Kbuild"
	log=$m/build.log
	hdr_env nice -n 10 make -C "$hdr" ARCH=powerpc CROSS_COMPILE="$CROSS_COMPILE" M="$m" V=1 modules \
		>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "out-of-tree module build against the headers failed (log: $log)"; }
	ko=$(file -b "$m/nv2hello.ko")
	case $ko in "ELF 64-bit LSB relocatable, 64-bit PowerPC"*) ;; *) die "nv2hello.ko: $ko" ;; esac
	# fixdep wrote the dependencies, genksyms the CRC, modpost the
	# kernel's CRCs into nv2hello.mod.c; recordmcount is in the log.
	grep -q '^deps_' "$m/.nv2hello.o.cmd" || die "no fixdep output in $m/.nv2hello.o.cmd"
	crc=$(awk '$2 == "nv2_hello_value" { print $1 }' "$m/Module.symvers")
	case $crc in "" | 0x00000000) die "no genksyms CRC for nv2_hello_value ($m/Module.symvers)" ;; esac
	grep -q '"module_layout"' "$m/nv2hello.mod.c" || die "modpost wrote no module_layout CRC ($m/nv2hello.mod.c)"
	grep -q 'scripts/recordmcount' "$log" || die "recordmcount did not run ($log)"
	vermagic=$(modinfo -F vermagic "$m/nv2hello.ko" | sed 's/ *$//')
	echo "out-of-tree module: make -C <headers> M=<dir> modules (x86-64 host, ${CROSS_COMPILE}gcc;" \
		"the package's fixdep, genksyms, recordmcount, modpost under qemu-user): nv2hello.ko" \
		"${ko%%, BuildID*}; vermagic $vermagic; nv2_hello_value CRC $crc"
}

# fix_headers: the headers .deb in $OUT with ppc64el host programs, checked;
# build/results/kernel-deb-headers.txt.  A package whose ELF files are all
# ppc64el already (a second run) is only checked.
fix_headers() {
	local deb pkg elf t0 ver name new=
	deb=$(headers_deb)
	t0=$(date +%s)
	ver=$(dpkg-deb -f "$deb" Version)
	name=$(dpkg-deb -f "$deb" Package)
	rm -rf "$HDR_WORK"
	mkdir -p "$HDR_WORK" "$RES"
	pkg=$HDR_WORK/pkg
	dpkg-deb -R "$deb" "$pkg"
	elf=$(elf_files "$pkg")
	{
		echo "== fix-headers: $(basename "$deb") ($name $ver)"
		echo "before: $(grep -c . <<<"$elf" || true) ELF files: x86-64 $(count_arch x86-64 <<<"$elf")," \
			"PowerPC 64-bit LSB $(count_arch ppc64el <<<"$elf"), other $(count_arch other <<<"$elf");" \
			"$(grep -c '\.o'$'\t' <<<"$elf" || true) of them .o files"
	} >"$HDR_RES"
	if [ -n "$elf" ] && [ "$(count_arch ppc64el <<<"$elf")" = "$(grep -c . <<<"$elf")" ]; then
		say "$(basename "$deb"): every ELF file is ppc64el already; checking only"
		echo "rebuilt: not needed, every ELF file is ppc64el already (an earlier fix-headers)" >>"$HDR_RES"
	else
		rebuild_headers "$pkg" >>"$HDR_RES"
		# Checked before it replaces the package in $OUT.
		new=$HDR_WORK/$(basename "$deb")
		pack_headers "$pkg" "$new"
		[ "$(dpkg-deb -f "$new" Package) $(dpkg-deb -f "$new" Version)" = "$name $ver" ] ||
			die "$new: repacked as $(dpkg-deb -f "$new" Package) $(dpkg-deb -f "$new" Version), not $name $ver"
	fi
	check_headers "${new:-$deb}" >>"$HDR_RES"
	[ -z "$new" ] || mv "$new" "$deb"
	echo "time: $(($(date +%s) - t0)) s (unpack, rebuild, repack, check)" >>"$HDR_RES"
	rm -rf "$pkg" "$HDR_WORK/check"
	cat "$HDR_RES" >&2
	say "$(basename "$deb"): every ELF file is ppc64el ($HDR_RES)"
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
			chroot "$root" sh -c 'ls -l /boot; ls -l /lib/modules/*/kernel/arch/powerpc/kvm' 2>&1 &&
			echo "== the installed config" &&
			chroot "$root" sh -c 'c=$(ls /boot/config-*); echo "modules (=m): $(grep -c "=m\$" "$c")";
				grep -E "^CONFIG_(KVM_BOOK3S_64|KVM_BOOK3S_64_HV|KVM_XICS|KVM_XIVE|SPAPR_TCE_IOMMU|VFIO_IOMMU_SPAPR_TCE|VHOST_NET|PPC_RADIX_MMU_DEFAULT|VPA_PMU)=" "$c"' 2>&1
	} >>"$log" || rc=$?
	umount "$root/proc"
	[ "$rc" = 0 ] || { tail -n 30 "$log" >&2; die "apt-get install failed in the ppc64el root ($log)"; }
	rm -rf "$root"
	say "installed $pkg $ver with apt into a ppc64el root ($log)"
}

# The package cache (make kernel-deb, make check).  The key is what decides
# the packages and their reports: the source tree (git tree id of the
# series applied), the input config, the package version, this script and
# what it runs, the locked .debs the headers fix links against, the cross
# compiler, dpkg and the root the install check uses.  A hit links the
# image, headers and libc-dev packages and the two reports into place (the
# -dbg package, ~0.6 GB, is not kept).  One entry a config is kept.
PCACHE=$CACHE/debs-built
pkg_key() {
	{
		echo "$KERNEL_DEB_CONFIG $PKGVERSION"
		git -C "$BUILD/src/linux-6.1" rev-parse 'HEAD^{tree}'
		cat "$(input_config)" "$0" "$TOP/ci/lib.sh" "$TOP/ci/versions.sh" \
			"$TOP/ci/debian-kernel.sh" "$TOP/ci/debs.lock"
		"${CROSS_COMPILE}gcc" --version | head -n1
		dpkg-query -W -f '${Version}\n' dpkg
		basename "$("$TOP/ci/lpar-image.sh" base)"
	} | sha256sum | cut -c1-16
}

# all: build + install, or both from the package cache.
all() {
	local ck d
	if [ "$KERNEL_DEB_CONFIG" = modular ] || [ "${KERNEL_DEB_CACHE:-1}" = 0 ]; then
		build
		install
		return
	fi
	"$TOP/ci/sources.sh" ours
	nice -n 10 "$TOP/ci/debian-kernel.sh" config
	CONFIG_MADE=1
	ck=$PCACHE/kernel-$KERNEL_DEB_CONFIG-$(pkg_key)
	if [ -f "$ck/done" ]; then
		mkdir -p "$OUT" "$RES"
		rm -f "$OUT"/linux-*.deb
		for d in "$ck"/debs/*.deb; do
			ln -f "$d" "$OUT/" 2>/dev/null || cp "$d" "$OUT/"
		done
		cp "$ck/kernel-deb.txt" "$ck/kernel-deb-headers.txt" "$RES/"
		image_deb >/dev/null
		say "from the package cache ($ck, built $(date -r "$ck/done" '+%F %T'))"
		return
	fi
	build
	install
	mkdir -p "$PCACHE"
	rm -rf "$ck.new" "$PCACHE/kernel-$KERNEL_DEB_CONFIG"-*
	mkdir -p "$ck.new/debs"
	for d in "$OUT"/linux-*.deb; do
		case $d in *-dbg_*) continue ;; esac
		ln -f "$d" "$ck.new/debs/" 2>/dev/null || cp "$d" "$ck.new/debs/"
	done
	cp "$RES/kernel-deb.txt" "$RES/kernel-deb-headers.txt" "$ck.new/"
	touch "$ck.new/done"
	mv "$ck.new" "$ck"
}

case ${1:-} in
root) base_root ;;
path) image_deb ;;
all) all ;;
key) echo "kernel-$KERNEL_DEB_CONFIG-$(pkg_key)" ;;
build) build ;;
fix-headers) fix_headers ;;
install) install ;;
*) die "usage: $0 all|key|build|fix-headers|install|root|path" ;;
esac
