#!/usr/bin/env bash
# QEMU 7.2 (Debian 12) with qemu-patches/qemu-7.2, cross-built for ppc64el:
# the VMM that runs inside the L1 LPAR (KVM on PowerVM, nestedv2).
#
#   ci/qemu72.sh source    fetch the pinned source package (checked .dsc),
#                          dpkg-source -x into build/src/qemu-7.2 (git tree,
#                          tag "base"), git am the series (branch "work")
#   ci/qemu72.sh quilt     push the series with quilt on a pristine copy (of
#                          the files it touches) and check that it gives the
#                          same tree as git am
#   ci/qemu72.sh sysroot   build/sysroot/ppc64el-bookworm from ppc64el .debs
#                          (apt-get download + dpkg -x, never installed)
#   ci/qemu72.sh build     cross-configure and build ppc64-softmmu (KVM only)
#                          with ccache in build/obj/qemu-7.2-ppc64el
#   ci/qemu72.sh payload   build/payload/qemu-7.2: stripped binary, its
#                          DT_NEEDED closure, the loader and vof.bin
#   ci/qemu72.sh baremetal the bare-metal L2 test payloads (tests/qemu72/
#                          baremetal) in build/obj/qemu72-baremetal, and
#                          build/payload/qemu-7.2-migcheck: the DEXCR/HASHKEYR
#                          migration check (ELF + script) for the L1 harness
#   ci/qemu72.sh all       all of the above, in that order (the default)
#   ci/qemu72.sh each      not part of all: build the cross tree at every
#                          patch of the series in turn (each patch builds on
#                          its own), then return to the full series
#   ci/qemu72.sh tcg       not part of all: an x86-host TCG build of the same
#                          tree (ppc64-softmmu) in build/obj/qemu-7.2-x86-tcg
#                          and the sprcheck run of the DEXCR/HDEXCR semantics
#   ci/qemu72.sh lint      check the series without touching any tree: every
#                          listed patch exists, is a git format-patch mail
#                          with the project's headers, and applies on base
#                          (in a scratch index); runs before every git am
#
# Every step is incremental: it redoes work only when its inputs changed.
# Logs go to build/results/qemu72/*.log; downloads are cached in
# ~/.cache/nestedv2/{sources,debs}.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERIES_DIR=${QEMU72_SERIES_DIR:-$TOP/qemu-patches/qemu-7.2}
SRC=$BUILD/src/qemu-7.2
QUILT_TREE=$BUILD/src/qemu-7.2-quilt
SYSROOT=$BUILD/sysroot/ppc64el-bookworm
OBJ=$BUILD/obj/qemu-7.2-ppc64el
PAYLOAD=$BUILD/payload/qemu-7.2
LOGDIR=${RESULTS:-$BUILD/results}/qemu72
TRIPLET=powerpc64le-linux-gnu
CROSS=${CROSS_COMPILE:-$TRIPLET-}
mkdir -p "$LOGDIR" "$CACHE/sources" "$CACHE/debs"

# The ppc64el packages the cross build links against (-dev) and the runtime
# libraries they pull in.  Versions are apt's candidates at run time; they
# are recorded in $SYSROOT/.packages and in the log.
SYSROOT_PKGS=(
	libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1 libcrypt-dev
	libglib2.0-0 libglib2.0-dev libglib2.0-dev-bin
	libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libpcre2-dev
	libffi8 libffi-dev
	libmount1 libmount-dev libblkid1 libblkid-dev
	libselinux1 libselinux1-dev libsepol-dev
	libpixman-1-0 libpixman-1-dev
	zlib1g zlib1g-dev
	libfdt1 libfdt-dev
)

series_sum() {
	(cd "$SERIES_DIR" && cat series $(series_patches)) 2>/dev/null | sha256sum | cut -d' ' -f1
}

# --- source ----------------------------------------------------------------

fetch_source() {
	src_get qemu "$QEMU72_SRC_VERSION" "$QEMU72_DSC_SHA256" qemu-7.2
}

unpack_base() {
	local dsc tmp
	dsc=$(fetch_source)
	if stamp_ok "$SRC/.nestedv2-base" "$QEMU72_DSC_SHA256"; then
		return 0
	fi
	say "unpacking $(basename "$dsc") into $SRC"
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$(dirname "$SRC")"
	tmp=$SRC.tmp
	# dpkg-source verifies the orig/debian tarballs against the .dsc and
	# applies Debian's own patches (3.0 (quilt)).
	dpkg-source --no-copy -x "$dsc" "$tmp" >"$LOGDIR/dpkg-source.log" 2>&1 ||
		die "dpkg-source -x failed, see $LOGDIR/dpkg-source.log"
	git_base_tree "$tmp" "base: qemu $QEMU72_SRC_VERSION (Debian source, Debian patches applied)"
	echo "$QEMU72_DSC_SHA256" >"$tmp/.nestedv2-base"
	mv "$tmp" "$SRC"
}

SIGNOFF='Signed-off-by: nestedv2 maintainers <maintainers@users.noreply.h-seed-112b9b78.example>'

# Validate the series against the base commit in a scratch index: the
# working tree, its branch and its build stay as they are when it fails.
do_lint() {
	local p f idx n=0 err
	[ -f "$SERIES_DIR/series" ] || die "$SERIES_DIR/series: missing"
	mkdir -p "$BUILD/tmp"
	idx=$BUILD/tmp/qemu72-lint.$$.index
	rm -f "$BUILD"/tmp/qemu72-lint.*.index
	GIT_INDEX_FILE=$idx git -C "$SRC" read-tree base
	for p in $(series_patches); do
		f=$SERIES_DIR/$p
		[ -f "$f" ] || die "series lists '$p' but $f does not exist"
		head -1 "$f" | grep -q '^From [0-9a-f]\{40\} ' ||
			die "$p: not a git format-patch file (no 'From <sha>' first line)"
		grep -q '^Subject: ' "$f" || die "$p: no Subject: header"
		grep -qxF "$SIGNOFF" "$f" || die "$p: no '$SIGNOFF' line"
		grep -q '^Forwarded: ' "$f" || die "$p: no DEP-3 'Forwarded:' line"
		grep -q '^diff --git ' "$f" || die "$p: contains no diff"
		err=$(cd "$SRC" && GIT_INDEX_FILE=$idx git apply --cached "$f" 2>&1) ||
			die "$p does not apply on top of the patches before it: $(echo "$err" | head -3 | tr '\n' ' ')"
		n=$((n + 1))
	done
	for f in "$SERIES_DIR"/*.patch; do
		[ -e "$f" ] || continue
		series_patches | grep -qxF "$(basename "$f")" ||
			die "$(basename "$f") is in $SERIES_DIR but not listed in series"
	done
	rm -f "$idx"
	say "lint: $n patches well-formed and applying on base"
}

apply_series() {
	local want n=0 p
	want=$(series_sum)
	if stamp_ok "$SRC/.nestedv2-series" "$want"; then
		return 0
	fi
	do_lint
	# Keep unchanged files (and their mtimes) so the rebuild stays small.
	git -C "$SRC" am --abort >/dev/null 2>&1 || true
	git -C "$SRC" checkout -q -f -B work base
	git -C "$SRC" clean -qfdx -e .nestedv2-base
	rm -f "$SRC/.nestedv2-series"
	for p in $(series_patches); do
		git -C "$SRC" am -q --keep-cr "$SERIES_DIR/$p" ||
			die "git am failed on $p (tree left in $SRC)"
		n=$((n + 1))
	done
	say "applied $n patches with git am in $SRC"
	echo "$want" >"$SRC/.nestedv2-series"
}

do_source() {
	unpack_base
	apply_series
}

# --- quilt -------------------------------------------------------------------

# Paths the series touches, from the patches themselves.
series_files() {
	local p
	for p in $(series_patches); do
		sed -n -e 's|^--- a/||p' -e 's|^+++ b/||p' "$SERIES_DIR/$p"
	done | sed 's/\t.*//' | sort -u
}

# quilt needs only the files the series touches: export those from base,
# push the series, and put the results over base in a scratch index; the
# tree that gives must be the git am tree.
do_quilt() {
	local a b f files idx mode blob
	do_source
	rm -rf "$QUILT_TREE"
	mkdir -p "$QUILT_TREE" "$BUILD/tmp"
	mapfile -t files < <(series_files)
	if [ ${#files[@]} -gt 0 ]; then
		git -C "$SRC" archive base -- $(git -C "$SRC" ls-tree -r --name-only base -- "${files[@]}") |
			tar -C "$QUILT_TREE" -x
	fi
	(
		cd "$QUILT_TREE"
		export QUILT_PATCHES=$SERIES_DIR QUILT_PC=.pc-nestedv2 QUILT_SERIES=series
		if [ -n "$(series_patches)" ]; then
			quilt push -a -q --fuzz=0 >"$LOGDIR/quilt.log" 2>&1 ||
				die "quilt push failed at $(quilt top 2>/dev/null), see $LOGDIR/quilt.log"
		fi
	)
	idx=$BUILD/tmp/qemu72-quilt.index
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git -C "$SRC" read-tree base
	for f in "${files[@]}"; do
		if [ -f "$QUILT_TREE/$f" ]; then
			mode=100644
			[ -x "$QUILT_TREE/$f" ] && mode=100755
			blob=$(git -C "$SRC" hash-object -w "$QUILT_TREE/$f")
			GIT_INDEX_FILE=$idx git -C "$SRC" update-index --add --cacheinfo "$mode,$blob,$f"
		else
			GIT_INDEX_FILE=$idx git -C "$SRC" update-index --force-remove "$f"
		fi
	done
	a=$(GIT_INDEX_FILE=$idx git -C "$SRC" write-tree)
	b=$(git -C "$SRC" rev-parse 'HEAD^{tree}')
	rm -f "$idx"
	[ "$a" = "$b" ] || die "quilt and git am trees differ ($a vs $b; quilt files kept in $QUILT_TREE)"
	rm -rf "$QUILT_TREE"
	echo "quilt tree $a == git am tree $b" >"$LOGDIR/quilt.result"
	say "quilt: $(series_patches | wc -l) patches apply with --fuzz=0 and match git am"
}

# --- sysroot -----------------------------------------------------------------

do_sysroot() {
	build_sysroot "$SYSROOT" "$LOGDIR" "${SYSROOT_PKGS[@]}"
}

# --- build -------------------------------------------------------------------

# vhost-net: libvirt 9.0 opens /dev/vhost-net for every virtio NIC of a KVM
# domain and passes it to QEMU, which fails to start without vhost support
# (the LPAR's package, ci/qemu72-deb.sh, is this build).
# Paths as Debian's debian/rules sets them, so the package finds Debian's
# firmware (SLOF and vof in /usr/share/qemu, the NICs' option ROMs of
# ipxe-qemu in /usr/lib/ipxe/qemu: virtio-net-pci wants efi-virtio.rom).
CONFIGURE_ARGS=(
	--cross-prefix="$CROSS"
	--target-list=ppc64-softmmu
	--enable-kvm --disable-tcg
	--without-default-features
	--enable-vhost-kernel --enable-vhost-net
	--prefix=/usr --sysconfdir=/etc --localstatedir=/var
	--libdir=/usr/lib/$TRIPLET --libexecdir=/usr/lib/qemu
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
	--enable-fdt=system
	--disable-docs --disable-werror
)

do_build() {
	local want log=$LOGDIR/build.log t0 t1
	do_source
	do_sysroot
	command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc missing: run 'make deps'"
	command -v meson >/dev/null || die "meson missing: run 'make deps'"
	export PKG_CONFIG=pkg-config
	export PKG_CONFIG_LIBDIR=$SYSROOT/usr/lib/$TRIPLET/pkgconfig:$SYSROOT/usr/share/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
	unset PKG_CONFIG_PATH
	want=$(printf '%s\n' "${CONFIGURE_ARGS[@]}" "$SYSROOT" "$(cat "$SYSROOT/.nestedv2-stamp")" |
		sha256sum | cut -d' ' -f1)
	: >"$log"
	t0=$(date +%s)
	if ! stamp_ok "$OBJ/.nestedv2-configure" "$want" || [ ! -f "$OBJ/build.ninja" ]; then
		say "configuring in $OBJ"
		rm -rf "$OBJ"
		mkdir -p "$OBJ"
		(cd "$OBJ" && CC="ccache ${CROSS}gcc" nice -n 10 "$SRC/configure" "${CONFIGURE_ARGS[@]}" \
			--extra-cflags="--sysroot=$SYSROOT" \
			--extra-ldflags="--sysroot=$SYSROOT" >>"$log" 2>&1) ||
			die "configure failed, see $log"
		echo "$want" >"$OBJ/.nestedv2-configure"
	fi
	t1=$(date +%s)
	echo "configure: $((t1 - t0)) s" >"$LOGDIR/timing.txt"
	say "building qemu-system-ppc64 (log: $log)"
	nice -n 10 ninja -C "$OBJ" -j "$JOBS" qemu-system-ppc64 >>"$log" 2>&1 ||
		die "build failed, see $log"
	echo "build: $(($(date +%s) - t1)) s" >>"$LOGDIR/timing.txt"
	grep -c 'warning:' "$log" >"$LOGDIR/warnings.count" || true
	cat "$LOGDIR/timing.txt" >&2
}

# --- payload -----------------------------------------------------------------

# Find a library by soname the way ld.so would on the target.
find_lib() { # root soname
	local d
	for d in lib/$TRIPLET usr/lib/$TRIPLET lib64 lib usr/lib; do
		if [ -e "$1/$d/$2" ]; then
			echo "$d/$2"
			return 0
		fi
	done
	return 1
}

# Copy a path from the sysroot into the payload, following symlinks
# (each link is recreated, and the file it names is copied too).
copy_from_sysroot() { # relpath
	local rel=$1 t dir
	while :; do
		dir=$(dirname "$rel")
		mkdir -p "$PAYLOAD/$dir"
		if [ -L "$SYSROOT/$rel" ]; then
			t=$(readlink "$SYSROOT/$rel")
			ln -sfn "$t" "$PAYLOAD/$rel"
			rel=$(realpath -m -s --relative-to=/ "/$dir/$t")
		else
			cp -f "$SYSROOT/$rel" "$PAYLOAD/$rel"
			return 0
		fi
	done
}

needed() { # elf
	"${CROSS}readelf" -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'
}

interp() { # elf
	"${CROSS}readelf" -l "$1" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p'
}

do_payload() {
	local bin=$OBJ/qemu-system-ppc64 queue=() seen=" " so rel i vofdeb ver
	[ -x "$bin" ] || die "$bin missing: run '$0 build'"
	rm -rf "$PAYLOAD"
	mkdir -p "$PAYLOAD/usr/bin" "$PAYLOAD/usr/share/qemu"
	"${CROSS}strip" -o "$PAYLOAD/usr/bin/qemu-system-ppc64" "$bin"
	# The loader, at the path the binary asks for.
	rel=$(interp "$bin")
	[ -n "$rel" ] || die "no PT_INTERP in $bin"
	copy_from_sysroot "${rel#/}"
	# DT_NEEDED closure, breadth first.
	mapfile -t queue < <(needed "$bin")
	i=0
	: >"$LOGDIR/payload-libs.txt"
	while [ $i -lt ${#queue[@]} ]; do
		so=${queue[$i]}
		i=$((i + 1))
		case $seen in *" $so "*) continue ;; esac
		seen+="$so "
		rel=$(find_lib "$SYSROOT" "$so") || die "$so (needed by the closure) not found in $SYSROOT"
		copy_from_sysroot "$rel"
		echo "/$rel" >>"$LOGDIR/payload-libs.txt"
		mapfile -t -O ${#queue[@]} queue < <(needed "$(realpath "$SYSROOT/$rel")")
	done
	# vof.bin: Debian's qemu-system-data of the same version (ci/debs.lock).
	ver=$(lock_get qemu-system-data all)
	ver=${ver% *}
	vofdeb=$(locked_deb qemu-system-data all)
	rm -rf "$BUILD/tmp/qemu72-data"
	mkdir -p "$BUILD/tmp/qemu72-data"
	dpkg-deb --fsys-tarfile "$vofdeb" | tar -C "$BUILD/tmp/qemu72-data" -x ./usr/share/qemu/vof.bin
	cp "$BUILD/tmp/qemu72-data/usr/share/qemu/vof.bin" "$PAYLOAD/usr/share/qemu/vof.bin"
	rm -rf "$BUILD/tmp/qemu72-data"
	{
		echo "binary: /usr/bin/qemu-system-ppc64 $(stat -c %s "$PAYLOAD/usr/bin/qemu-system-ppc64") bytes (stripped)"
		echo "loader: $(interp "$bin")"
		echo "libraries:"; sed 's/^/  /' "$LOGDIR/payload-libs.txt"
		echo "data: /usr/share/qemu/vof.bin (qemu-system-data $ver)"
	} >"$LOGDIR/payload.txt"
	cat "$LOGDIR/payload.txt" >&2
}

# --- migration check payload ---------------------------------------------

BAREMETAL_CFLAGS=(
	-mcpu=power10 -O2 -ffreestanding -fno-stack-protector
	-fpie -fvisibility=hidden -mcmodel=medium -mno-pcrel
	-nostdlib -static -no-pie -Wall -Wextra -Werror
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments
)

# The bare-metal L2 payloads: migcheck (migration check, for the L1
# harness) and sprcheck (TCG semantics, for the qemu72-tcg target).
do_baremetal() {
	local src=$TOP/tests/qemu72/baremetal out=$BUILD/obj/qemu72-baremetal p
	local dest=$BUILD/payload/qemu-7.2-migcheck
	mkdir -p "$out"
	for p in migcheck sprcheck; do
		"${CROSS}gcc" "${BAREMETAL_CFLAGS[@]}" -Wl,-T,"$src/baremetal.lds" \
			-o "$out/$p.elf" "$src/start.S" "$src/$p.c" ||
			die "building $p.elf failed"
	done
	rm -rf "$dest"
	mkdir -p "$dest/usr/share/nestedv2/migcheck"
	cp "$out/migcheck.elf" "$src/migcheck.sh" "$dest/usr/share/nestedv2/migcheck/"
	say "migcheck: $dest/usr/share/nestedv2/migcheck/{migcheck.elf,migcheck.sh}"
}

# --- optional: every patch builds ---------------------------------------------

do_each() {
	local c n=0 log=$LOGDIR/each.log subj
	do_build
	: >"$log"
	for c in $(git -C "$SRC" rev-list --reverse base..work); do
		n=$((n + 1))
		subj=$(git -C "$SRC" log -1 --format=%s "$c")
		git -C "$SRC" checkout -q --detach "$c"
		if nice -n 10 ninja -C "$OBJ" -j "$JOBS" qemu-system-ppc64 >>"$log" 2>&1; then
			echo "patch $n builds: $subj" | tee -a "$LOGDIR/each.result" >&2
		else
			git -C "$SRC" checkout -q work
			die "patch $n does not build on its own: $subj (see $log)"
		fi
	done
	git -C "$SRC" checkout -q work
	nice -n 10 ninja -C "$OBJ" -j "$JOBS" qemu-system-ppc64 >>"$log" 2>&1 ||
		die "full series does not build again (see $log)"
	say "each: all $n patches build on their own"
}

# --- optional: x86 host TCG build + SPR semantics --------------------------

TCG_OBJ=$BUILD/obj/qemu-7.2-x86-tcg
TCG_CONFIGURE_ARGS=(
	--target-list=ppc64-softmmu --enable-tcg
	--without-default-features --enable-fdt=system
	--disable-docs --disable-werror
)

do_tcg() {
	local want log=$LOGDIR/tcg-build.log t0
	do_source
	[ -x "$PAYLOAD/usr/share/qemu/vof.bin" ] || [ -f "$PAYLOAD/usr/share/qemu/vof.bin" ] ||
		do_payload
	do_baremetal
	want=$(printf '%s\n' "${TCG_CONFIGURE_ARGS[@]}" | sha256sum | cut -d' ' -f1)
	: >"$log"
	t0=$(date +%s)
	if ! stamp_ok "$TCG_OBJ/.nestedv2-configure" "$want" || [ ! -f "$TCG_OBJ/build.ninja" ]; then
		rm -rf "$TCG_OBJ"
		mkdir -p "$TCG_OBJ"
		(cd "$TCG_OBJ" && CC="ccache gcc" nice -n 10 "$SRC/configure" \
			"${TCG_CONFIGURE_ARGS[@]}" >>"$log" 2>&1) ||
			die "TCG configure failed, see $log (host -dev packages: make deps)"
		echo "$want" >"$TCG_OBJ/.nestedv2-configure"
	fi
	nice -n 10 ninja -C "$TCG_OBJ" -j "$JOBS" qemu-system-ppc64 >>"$log" 2>&1 ||
		die "TCG build failed, see $log"
	echo "tcg build: $(($(date +%s) - t0)) s" >"$LOGDIR/tcg-timing.txt"
	fetch_stock72
	sprcheck "$TCG_OBJ/qemu-system-ppc64" >"$LOGDIR/sprcheck.log" 2>&1 || true
	cat "$LOGDIR/sprcheck.log" >&2
	grep -q '^sprcheck: PASS$' "$LOGDIR/sprcheck.log" || die "sprcheck failed"
}

# Debian's own (unpatched) 7.2 qemu-system-ppc for the host, to migrate
# to and from: build/obj/qemu-7.2-stock-x86/usr/bin/qemu-system-ppc64.
fetch_stock72() {
	local deb dest=$BUILD/obj/qemu-7.2-stock-x86
	# The binary package carries a binNMU suffix (+bN): locked in ci/debs.lock.
	deb=$(locked_deb qemu-system-ppc amd64)
	if ! stamp_ok "$dest/.deb" "$(basename "$deb")"; then
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg -x "$deb" "$dest"
		basename "$deb" >"$dest/.deb"
	fi
}

# sprcheck QEMU: run the sprcheck payload under TCG until its verdict.
sprcheck() {
	local out=$BUILD/tmp/sprcheck.out pid i
	mkdir -p "$BUILD/tmp"
	"$1" -accel tcg -L "$PAYLOAD/usr/share/qemu" \
		-M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off \
		-cpu power10 -m 512M -smp 1 -nodefaults -display none \
		-serial stdio -monitor none \
		-kernel "$BUILD/obj/qemu72-baremetal/sprcheck.elf" </dev/null >"$out" 2>&1 &
	pid=$!
	for i in $(seq 600); do
		grep -q '^sprcheck: \(PASS\|FAIL\)$' "$out" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	cat "$out"
}

case ${1:-all} in
source) do_source ;;
lint) unpack_base; do_lint ;;
quilt) do_quilt ;;
sysroot) do_sysroot ;;
build) do_build ;;
payload) do_payload ;;
baremetal) do_baremetal ;;
tcg) do_tcg ;;
each) rm -f "$LOGDIR/each.result"; do_each ;;
all)
	do_source
	do_quilt
	do_build
	do_payload
	do_baremetal
	;;
*) die "usage: $0 [source|quilt|sysroot|build|payload|all]" ;;
esac
