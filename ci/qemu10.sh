#!/usr/bin/env bash
# The emulated PowerVM (L0): Debian's QEMU 10.0 plus qemu-patches/qemu-10.0.
#
#   ci/qemu10.sh fetch   download the pinned source package into
#                        ~/.cache/nestedv2/sources and verify it
#   ci/qemu10.sh src     build/src/qemu-10.0-base: the pristine base as a git
#                        tree (tag "base"); build/src/qemu-10.0: the same
#                        base with the series applied by `git am`
#   ci/qemu10.sh firmware  print the directory of Debian's firmware for it
#                        (qemu-system-data, fetched by exact version)
#   ci/qemu10.sh quilt   push the series with quilt on a pristine copy and
#                        check that it gives the same tree as `git am`
#   ci/qemu10.sh build   configure (once) and build only qemu-system-ppc64
#                        into build/obj/qemu-10.0 (ccache)
#   ci/qemu10.sh all     all of the above (the default; what `make qemu-l0` runs)
#   ci/qemu10.sh bisect  build after each patch of the series (each must build)
#
# Every step is skipped when its inputs did not change.  A summary of the
# run (times, binary size, result of each step) goes to
# build/results/qemu10/, where tests/qemu10 reads it.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

SERIES_DIR=$TOP/qemu-patches/qemu-10.0
SRC=$BUILD/src
BASE=$SRC/qemu-10.0-base
TREE=$SRC/qemu-10.0
OBJ=$BUILD/obj/qemu-10.0
RES=${RESULTS:-$BUILD/results}/qemu10
SRCCACHE=$CACHE/sources
# Debian's firmware (qemu-system-data of the same version, fetched by exact
# version) for the blobs Debian strips from +ds; QEMU_L0_FIRMWARE_DIR
# overrides it.
FIRMWARE_DIR=${QEMU_L0_FIRMWARE_DIR:-}
mkdir -p "$SRC" "$RES" "$SRCCACHE"

upstream_version() { # 1:10.0.2+ds-2+deb13u1~bpo12+1 -> 10.0.2+ds
	local v=${QEMU_L0_SRC_VERSION#*:}
	echo "${v%-*}"
}
UPV=$(upstream_version)
NOEPOCH=${QEMU_L0_SRC_VERSION#*:}
DSC=$SRCCACHE/qemu_$NOEPOCH.dsc
ORIG=$SRCCACHE/qemu_$UPV.orig.tar.xz

note() { # key value: one line in results/qemu10/summary
	mkdir -p "$RES"
	touch "$RES/summary"
	sed -i "/^$1=/d" "$RES/summary"
	echo "$1=$2" >>"$RES/summary"
}

# ---------------------------------------------------------------- fetch
fetch() {
	if [ -f "$DSC" ] && [ -f "$ORIG" ]; then
		check_sha256 "$DSC" "$QEMU_L0_DSC_SHA256"
		note source dsc
		return 0
	fi
	say "fetching qemu=$QEMU_L0_SRC_VERSION into $SRCCACHE"
	(cd "$SRCCACHE" && apt-get source --download-only -q -o APT::Sandbox::User=root \
		"qemu=$QEMU_L0_SRC_VERSION") >"$RES/fetch.log" 2>&1 ||
		say "apt-get source failed, see $RES/fetch.log"
	if [ -f "$DSC" ]; then
		check_sha256 "$DSC" "$QEMU_L0_DSC_SHA256"
		note source dsc
		return 0
	fi
	# The mirror may serve the .orig tarball but not the backports .dsc and
	# .debian.tar.xz (seen: 404 for every file name with "~bpo").  Build
	# from the verified upstream tarball then; Debian's own patches for this
	# version touch nothing we build on (docs/qemu-10.0.md).
	[ -f "$ORIG" ] || unavailable "source package" qemu source "$QEMU_L0_SRC_VERSION" qemu-10.0 "$RES/fetch.log"
	[ -n "${QEMU_L0_ORIG_SHA256:-}" ] || die "no QEMU_L0_ORIG_SHA256 pin to verify $ORIG"
	check_sha256 "$ORIG" "$QEMU_L0_ORIG_SHA256"
	say "warning: $(basename "$DSC") not available from the mirror; using the verified orig tarball only"
	note source orig
}

# ---------------------------------------------------------------- src
series_sum() {
	# shellcheck disable=SC2046  # one word per patch file name
	(cd "$SERIES_DIR" && cat series $(series_patches)) | sha256sum | cut -d' ' -f1
}

base_id() { # what the base tree is made of
	if [ -f "$DSC" ]; then
		echo "dsc:$QEMU_L0_DSC_SHA256"
	else
		echo "orig:$QEMU_L0_ORIG_SHA256"
	fi
}

unpack_base() {
	local id tmp
	id=$(base_id)
	if [ -f "$BASE/.nestedv2-base" ] && [ "$(cat "$BASE/.nestedv2-base")" = "$id" ]; then
		return 0
	fi
	tmp=$BASE.tmp
	rm -rf "$BASE" "$tmp"
	if [ -f "$DSC" ]; then
		say "dpkg-source -x $(basename "$DSC")"
		dpkg-source -q -x "$DSC" "$tmp" >"$RES/unpack.log" 2>&1 ||
			die "dpkg-source -x failed, see $RES/unpack.log"
		# Debian's patches are applied by dpkg-source; drop its quilt state.
		rm -rf "$tmp/.pc"
	else
		say "unpacking $(basename "$ORIG")"
		mkdir -p "$tmp"
		tar -C "$tmp" --strip-components=1 -xf "$ORIG"
	fi
	git_base_tree "$tmp" "base: qemu $QEMU_L0_SRC_VERSION ($id)"
	echo "$id" >"$tmp/.nestedv2-base"
	mv "$tmp" "$BASE"
}

apply_series() {
	local want n p
	want=$(base_id)/$(series_sum)
	if [ -f "$TREE/.nestedv2-series" ] && [ "$(cat "$TREE/.nestedv2-series")" = "$want" ]; then
		return 0
	fi
	if [ -d "$TREE/.git" ] && [ "$(cat "$TREE/.nestedv2-base" 2>/dev/null)" = "$(base_id)" ]; then
		# Keep the tree and its mtimes: reset to base, so that only the
		# files the series touches are rebuilt.
		git -C "$TREE" am --abort >/dev/null 2>&1 || true
		git -C "$TREE" checkout -q -f -B work base
		git -C "$TREE" clean -qfdx -e .nestedv2-base
	else
		rm -rf "$TREE"
		git clone -q --shared "$BASE" "$TREE"
		git -C "$TREE" config gc.auto 0
		git -C "$TREE" checkout -q -b work base
		cp "$BASE/.nestedv2-base" "$TREE/"
		printf '/.nestedv2-base\n/.nestedv2-series\n' >>"$TREE/.git/info/exclude"
	fi
	rm -f "$TREE/.nestedv2-series"
	n=0
	for p in $(series_patches); do
		git -C "$TREE" am -q --keep-cr "$SERIES_DIR/$p" >>"$RES/am.log" 2>&1 ||
			die "git am failed on $p (tree left in $TREE, see $RES/am.log)"
		n=$((n + 1))
	done
	say "applied $n patches with git am in $TREE"
	echo "$want" >"$TREE/.nestedv2-series"
}

# ---------------------------------------------------------------- quilt
quilt_check() {
	local dest=$SRC/qemu-10.0-quilt a b
	rm -rf "$dest"
	git clone -q --shared "$BASE" "$dest"
	git -C "$dest" checkout -q -B quilt base
	mkdir -p "$dest/debian-nestedv2"
	ln -s "$SERIES_DIR" "$dest/debian-nestedv2/patches"
	(
		cd "$dest"
		export QUILT_PATCHES=debian-nestedv2/patches QUILT_PC=.pc-nestedv2
		if [ -n "$(series_patches)" ]; then
			quilt push -a -q --fuzz=0 >"$RES/quilt.log" 2>&1 ||
				die "quilt push failed at $(quilt top 2>/dev/null || echo first patch), see $RES/quilt.log"
		fi
		rm -rf .pc-nestedv2 debian-nestedv2
		git add -A -f .
	)
	a=$(git -C "$dest" write-tree)
	b=$(git -C "$TREE" rev-parse 'HEAD^{tree}')
	rm -rf "$dest"
	[ "$a" = "$b" ] || die "quilt and git am trees differ ($a vs $b)"
	say "quilt: series applies and matches git am ($a)"
	note quilt ok
	note quilt_series "$(base_id)/$(series_sum)"
}

# ---------------------------------------------------------------- build
# Only what `-M pseries` needs with our harness: the spapr-vty console,
# VOF, XICS/XIVE, the PHB (pseries selects it).  No graphics, audio, USB,
# network backends or tools.
write_devices() {
	mkdir -p "$OBJ"
	cat >"$OBJ/nestedv2-devices.mak.new" <<'EOF'
# Generated by ci/qemu10.sh: devices for the nestedv2 L0 (pseries only).
CONFIG_PSERIES=y
EOF
	if ! cmp -s "$OBJ/nestedv2-devices.mak.new" "$OBJ/nestedv2-devices.mak"; then
		mv "$OBJ/nestedv2-devices.mak.new" "$OBJ/nestedv2-devices.mak"
	else
		rm -f "$OBJ/nestedv2-devices.mak.new"
	fi
}

CONFIGURE_ARGS=(
	--target-list=ppc64-softmmu
	--without-default-features
	--without-default-devices
	# A name relative to configs/devices/ppc64-softmmu (meson wants that).
	"--with-devices-ppc64=$(realpath -m --relative-to="$TREE/configs/devices/ppc64-softmmu" "$OBJ/nestedv2-devices")"
	--enable-tcg
	--enable-fdt=system
	--disable-docs
	--disable-tools
	--disable-guest-agent
	--disable-install-blobs
	--disable-werror
	--disable-debug-info
	--python=/usr/bin/python3
	--prefix=/usr
	--firmwarepath=/usr/share/qemu
	"--cc=ccache gcc"
	"--host-cc=ccache gcc"
)

configure_args_sum() {
	printf '%s\n' "${CONFIGURE_ARGS[@]}" "$(base_id)" | sha256sum | cut -d' ' -f1
}

build() {
	local t0 t1 want
	write_devices
	want=$(configure_args_sum)
	if [ ! -f "$OBJ/build.ninja" ] || [ "$(cat "$OBJ/.nestedv2-configure" 2>/dev/null)" != "$want" ]; then
		say "configuring in $OBJ"
		t0=$(date +%s)
		(cd "$OBJ" && nice -n 10 "$TREE/configure" "${CONFIGURE_ARGS[@]}") \
			>"$RES/configure.log" 2>&1 || die "configure failed, see $RES/configure.log"
		t1=$(date +%s)
		note configure_seconds $((t1 - t0))
		echo "$want" >"$OBJ/.nestedv2-configure"
	fi
	say "building qemu-system-ppc64 (log: $RES/build.log)"
	t0=$(date +%s)
	if ! nice -n 10 ninja -C "$OBJ" -j "$JOBS" qemu-system-ppc64 >"$RES/build.log" 2>&1; then
		note build failed
		tail -20 "$RES/build.log" >&2
		die "build failed, see $RES/build.log"
	fi
	t1=$(date +%s)
	note build_seconds $((t1 - t0))
	link_firmware
	note build ok
	note build_series "$(cat "$TREE/.nestedv2-series")"
	note binary "$OBJ/qemu-system-ppc64"
	note binary_bytes "$(stat -c %s "$OBJ/qemu-system-ppc64")"
	say "built $OBJ/qemu-system-ppc64 ($(du -h "$OBJ/qemu-system-ppc64" | cut -f1)) in $((t1 - t0))s"
}

# A binary run from its build tree looks for data files under
# qemu-bundle/<datadir>.  Debian's +ds tarball has no prebuilt firmware
# (vof.bin, slof.bin, ...), so point at Debian's qemu-system-data of the
# same version: `x-vof=on` then works without -L.
firmware_dir() {
	local deb dir=$CACHE/bases/qemu-system-data_${QEMU_L0_DEB_VERSION/:/%3a}
	if [ -n "$FIRMWARE_DIR" ]; then
		echo "$FIRMWARE_DIR"
		return 0
	fi
	if [ ! -f "$dir/.unpacked" ]; then
		deb=$(deb_get qemu-system-data all "$QEMU_L0_DEB_VERSION" "$QEMU_L0_DATA_DEB_SHA256" qemu-10.0)
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg -x "$deb" "$dir"
		touch "$dir/.unpacked"
	fi
	echo "$dir/usr/share/qemu"
}

link_firmware() {
	local d=$OBJ/qemu-bundle/usr/share/qemu f
	FIRMWARE_DIR=$(firmware_dir)
	mkdir -p "$d"
	for f in vof.bin vof-nvram.bin slof.bin; do
		if [ -e "$FIRMWARE_DIR/$f" ]; then
			ln -sf "$FIRMWARE_DIR/$f" "$d/$f"
		fi
	done
	[ -e "$d/vof.bin" ] || die "vof.bin not found in $FIRMWARE_DIR (qemu-system-data $QEMU_L0_DEB_VERSION)"
}

# Each patch must build on its own: build the tree at every patch of the
# series (incremental, ccache), then at the top again.  Not part of `all`
# (make qemu-l0-bisect): about 2 minutes with a warm ccache.
bisect() {
	local n i c
	build
	n=$(git -C "$TREE" rev-list --count base..HEAD)
	rm -f "$RES/bisect.log"
	for i in $(seq 1 "$n"); do
		c=$(git -C "$TREE" rev-list --reverse base..work | sed -n "${i}p")
		git -C "$TREE" checkout -q "$c"
		say "bisect: building patch $i/$n: $(git -C "$TREE" log -1 --format=%s)"
		if ! nice -n 10 ninja -C "$OBJ" -j "$JOBS" qemu-system-ppc64 >>"$RES/bisect.log" 2>&1; then
			git -C "$TREE" checkout -q work
			note bisect "failed at patch $i"
			die "patch $i does not build, see $RES/bisect.log"
		fi
	done
	git -C "$TREE" checkout -q work
	build
	note bisect ok
	note bisect_series "$(cat "$TREE/.nestedv2-series")"
}

step() { # name function: run and time one step, note its result
	local t0 t1
	t0=$(date +%s)
	note "$1" running
	"$2"
	t1=$(date +%s)
	note "${1}_total_seconds" $((t1 - t0))
	[ "$(grep "^$1=" "$RES/summary" | cut -d= -f2)" != running ] || note "$1" ok
}

src() { unpack_base; apply_series; }

case ${1:-all} in
fetch) step fetch fetch ;;
firmware) firmware_dir ;;
src) step fetch fetch; step src src ;;
quilt) step fetch fetch; step src src; step quilt quilt_check ;;
build) step fetch fetch; step src src; step build build ;;
bisect) step fetch fetch; step src src; step bisect bisect ;;
all)
	t0=$(date +%s)
	step fetch fetch
	step src src
	step quilt quilt_check
	step build build
	note total_seconds $(($(date +%s) - t0))
	;;
*) die "usage: $0 [fetch|firmware|src|quilt|build|bisect|all]" ;;
esac
