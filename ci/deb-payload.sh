#!/usr/bin/env bash
# A Debian ppc64el program as an L1 initramfs overlay:
#
#   ci/deb-payload.sh NAME BINARY PACKAGE [LIBPACKAGE...]
#
#   build/payload/NAME/BINARY               BINARY (e.g. usr/bin/perf) from
#                                           PACKAGE
#   build/payload/NAME/lib64/ld64.so.2      and every shared library it needs,
#   build/payload/NAME/lib/powerpc64le-linux-gnu/...   found by following
#                                           DT_NEEDED from the binary
#
# Used by ci/perf-payload.sh (make perf-payload, for obs-check) and
# ci/bpftrace-payload.sh (make bpftrace-l1).  Nothing is installed on the
# host: the .debs, at the exact versions of ci/debs.lock, are fetched with
# apt-get download (cached in ~/.cache/nestedv2/debs, checked against the
# lock's SHA-256) and unpacked with dpkg -x into build/target/NAME-root.
# The LIBPACKAGEs are the program's Depends and what those need in turn; the
# versions used are written to build/payload/NAME.manifest.  A library that none of the
# packages provides is an error, not a broken payload.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: $0 NAME BINARY PACKAGE [LIBPACKAGE...]"
NAME=$1
BIN=${2#/}
MAIN=$3
shift 3
ROOT=$BUILD/target/$NAME-root
OUT=$BUILD/payload/$NAME
LIBDIRS=(lib/powerpc64le-linux-gnu usr/lib/powerpc64le-linux-gnu lib64)

# The .deb of each package at its locked version, downloaded once.
specs=() debs=()
for p in "$MAIN" "$@"; do
	l=$(lock_get "$p" ppc64el)
	specs+=("$p=${l% *}")
	debs+=("$(locked_deb "$p" ppc64el)")
done

# Unpack all into one tree (only when the set changed).
want=$(printf '%s\n' "${debs[@]##*/}" | sha256sum | cut -c1-16)
if [ "$(cat "$ROOT/.debs" 2>/dev/null)" != "$want" ]; then
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	for d in "${debs[@]}"; do
		dpkg -x "$d" "$ROOT"
	done
	echo "$want" >"$ROOT/.debs"
fi
[ -x "$ROOT/$BIN" ] || die "$MAIN has no $BIN"

needed() { # ELF file: its DT_NEEDED sonames
	readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}
find_lib() { # soname: its path relative to ROOT
	local d
	for d in "${LIBDIRS[@]}"; do
		if [ -e "$ROOT/$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

rm -rf "$OUT.new"
mkdir -p "$(dirname "$OUT.new/$BIN")"
cp "$ROOT/$BIN" "$OUT.new/$BIN"
interp=$(readelf -lW "$ROOT/$BIN" | sed -n 's/.*interpreter: \(.*\)\]$/\1/p')
[ -n "$interp" ] || die "$BIN has no ELF interpreter"
declare -A done_libs=(["${interp##*/}"]=1)
queue=("$ROOT/$BIN")
resolve() { # path relative to ROOT: the file it names, symlinks followed inside ROOT
	local rel=$1 t _
	for _ in 1 2 3 4 5 6 7 8; do
		[ -L "$ROOT/$rel" ] || break
		t=$(readlink "$ROOT/$rel")
		case $t in
		/*) rel=${t#/} ;;
		*) rel=$(dirname "$rel")/$t ;;
		esac
	done
	[ -f "$ROOT/$rel" ] && [ ! -L "$ROOT/$rel" ] || return 1
	realpath -m "$ROOT/$rel"
}
copy_lib() { # path relative to ROOT (may be a symlink): copy the file it names
	local rel=$1 real
	real=$(resolve "$rel") || die "$rel: dangling or looping symlink in the unpacked packages"
	mkdir -p "$(dirname "$OUT.new/$rel")"
	cp "$real" "$OUT.new/$rel"
	echo "/$rel" >>"$OUT.new.libs"
	queue+=("$real")
}
: >"$OUT.new.libs"
copy_lib "${interp#/}"
while [ ${#queue[@]} -gt 0 ]; do
	f=${queue[0]}
	queue=("${queue[@]:1}")
	for so in $(needed "$f"); do
		[ -z "${done_libs[$so]:-}" ] || continue
		done_libs[$so]=1
		rel=$(find_lib "$so") || die "$so (needed by ${f#"$ROOT"/}) is in none of the packages: add its package to the LIBPACKAGEs of $NAME"
		copy_lib "$rel"
	done
done

rm -rf "$OUT" "$OUT.manifest"
mv "$OUT.new" "$OUT"
{
	echo "# build/payload/$NAME: $(du -sh "$OUT" | cut -f1)"
	printf '%s\n' "${specs[@]}"
	echo "# files"
	echo "/$BIN"
	sort -u "$OUT.new.libs"
} >"$OUT.manifest"
rm -f "$OUT.new.libs"
say "$MAIN + $(($(grep -c '^/' "$OUT.manifest") - 1)) libraries: $(du -sh "$OUT" | cut -f1) in $OUT"
