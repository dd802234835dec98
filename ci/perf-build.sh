#!/usr/bin/env bash
# perf from our patched 6.1 tree (build/src/linux-6.1: Debian's 6.1 + the
# series, so with the perf kvm stat names of patches 0101/0102), cross-built
# for ppc64el as an L1 initramfs overlay (make perf-ours-payload):
#
#   build/sysroot/ppc64el-perf     libc6-dev, libelf-dev, zlib1g-dev for
#                                  ppc64el (apt-get download + dpkg -x, never
#                                  installed; build_sysroot in ci/lib.sh)
#   build/obj/perf-ppc64el         the out-of-tree build (make -C tools/perf
#                                  O=...), static, without the optional
#                                  libraries (python, perl, slang, gtk,
#                                  unwind, numa, bpf, crypto, dwarf, ...)
#   build/payload/perf-ours/usr/bin/perf   stripped; build/payload/
#                                  perf-ours.manifest says what it is
#
# The tree itself is left alone (no commit, no branch change): it comes from
# ci/sources.sh ours, which the Makefile target runs first.  Logs:
# build/results/perf-build/*.log; build.log ends with the build time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SRC=$BUILD/src/linux-6.1
SYSROOT=$BUILD/sysroot/ppc64el-perf
OBJ=$BUILD/obj/perf-ppc64el
OUT=$BUILD/payload/perf-ours
LOGDIR=${RESULTS:-$BUILD/results}/perf-build
TRIPLET=powerpc64le-linux-gnu
CROSS=${CROSS_COMPILE:-$TRIPLET-}

SYSROOT_PKGS=(libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1 libcrypt-dev
	libelf1 libelf-dev zlib1g zlib1g-dev)

# Everything optional off: a small static perf that can record and report
# tracepoints (perf kvm stat) and count PMU events.
PERF_OPTS=(NO_LIBPYTHON=1 NO_LIBPERL=1 NO_SLANG=1 NO_GTK2=1 NO_LIBUNWIND=1
	NO_LIBDW_DWARF_UNWIND=1 NO_DWARF=1 NO_LIBNUMA=1 NO_LIBBPF=1 NO_JVMTI=1
	NO_LIBCRYPTO=1 NO_LIBCAP=1 NO_LIBZSTD=1 NO_LZMA=1 NO_LIBBABELTRACE=1
	NO_DEMANGLE=1 NO_LIBLLVM=1 NO_AUXTRACE=1 NO_LIBPFM4=1 NO_SDT=1
	NO_CSTRACE=1 NO_LIBDEBUGINFOD=1)

[ -f "$SRC/tools/perf/Makefile.perf" ] || die "$SRC: no tools/perf (run 'ci/sources.sh ours')"
command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc missing: run 'make deps'"
mkdir -p "$LOGDIR" "$OBJ"
build_sysroot "$SYSROOT" "$LOGDIR" "${SYSROOT_PKGS[@]}"

cc=${CROSS}gcc
command -v ccache >/dev/null && cc="ccache ${CROSS}gcc"
log=$LOGDIR/build.log
say "building perf ($(git -C "$SRC" describe --always --tags 2>/dev/null)) in $OBJ, log $log"
t0=$(date +%s)
# No host pkg-config answers for the target: features come from the sysroot.
env PKG_CONFIG=false nice -n 10 make -C "$SRC/tools/perf" O="$OBJ" -j"$JOBS" \
	ARCH=powerpc CROSS_COMPILE="$CROSS" CC="$cc" \
	EXTRA_CFLAGS="--sysroot=$SYSROOT" LDFLAGS="--sysroot=$SYSROOT -static" \
	WERROR=0 "${PERF_OPTS[@]}" perf >"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "perf build failed, see $log"; }
t1=$(date +%s)
echo "build time: $((t1 - t0)) s" >>"$log"

file "$OBJ/perf" | grep -q 'statically linked' || die "$OBJ/perf is not static: $(file -b "$OBJ/perf")"
rm -rf "$OUT.new"
mkdir -p "$OUT.new/usr/bin"
"${CROSS}strip" -o "$OUT.new/usr/bin/perf" "$OBJ/perf"
rm -rf "$OUT"
mv "$OUT.new" "$OUT"
{
	echo "# build/payload/perf-ours: $(du -sh "$OUT" | cut -f1)"
	echo "# perf from $SRC ($(git -C "$SRC" rev-parse --short HEAD)), static, stripped"
	echo "# build time: $((t1 - t0)) s (${JOBS} jobs, ccache: $(command -v ccache >/dev/null && echo yes || echo no))"
	echo "# sysroot packages:"
	sed 's/^/#   /' "$SYSROOT/.packages"
	echo "/usr/bin/perf $(stat -c %s "$OUT/usr/bin/perf")"
} >"$OUT.manifest"
say "perf: $(du -sh "$OUT" | cut -f1) in $OUT, built in $((t1 - t0)) s"
