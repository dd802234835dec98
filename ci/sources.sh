#!/usr/bin/env bash
# Prepare kernel source trees in build/src.
#
#   ci/sources.sh base   build/src/linux-6.1-base: Debian's 6.1 as a git tree,
#                        one commit "base", no patches (a pristine reference).
#   ci/sources.sh ours   build/src/linux-6.1: the same base with
#                        kernel-patches/linux-6.1/series applied by `git am`.
#   ci/sources.sh quilt  build/src/linux-6.1-quilt: a pristine copy with the
#                        series pushed by quilt (the packager's path).
#   ci/sources.sh ref    build/src/linux-6.12: Debian's 6.12, no patches.
#
# Each tree is rebuilt only when its inputs (tarball, series) change.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERIES_DIR=$TOP/kernel-patches/linux-6.1
SRC=$BUILD/src
mkdir -p "$SRC"

unpack() { # tarball sha256 dest
	local tarball=$1 sum=$2 dest=$3 tmp
	[ -f "$tarball" ] || die "$tarball missing: run 'make deps'"
	if [ -f "$dest/.nestedv2-base" ] && [ "$(cat "$dest/.nestedv2-base")" = "$sum" ]; then
		return 0
	fi
	check_sha256 "$tarball" "$sum"
	say "unpacking $tarball into $dest"
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp"
	tar -C "$dest.tmp" --strip-components=1 -xf "$tarball"
	tmp=$dest.tmp
	(
		cd "$tmp"
		git init -q -b base
		git config core.autocrlf false
		git config gc.auto 0
		git add -A -f .
		git commit -q -m "base: $(basename "$tarball") $sum"
		git tag base
	)
	echo "$sum" >"$tmp/.nestedv2-base"
	echo /.nestedv2-base >>"$tmp/.git/info/exclude"
	mv "$tmp" "$dest"
}

series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$SERIES_DIR/series" | awk '{print $1}'
}

series_sum() {
	(cd "$SERIES_DIR" && cat series $(series_patches)) | sha256sum | cut -d' ' -f1
}

# A working copy sharing objects with the base tree (cheap).
clone_base() { # dest
	local dest=$1
	rm -rf "$dest"
	git clone -q --shared "$SRC/linux-6.1-base" "$dest"
	git -C "$dest" config gc.auto 0
	cp "$SRC/linux-6.1-base/.nestedv2-base" "$dest/"
	echo /.nestedv2-base >>"$dest/.git/info/exclude"
}

case ${1:-ours} in
base)
	unpack "$LINUX61_TARBALL" "$LINUX61_SHA256" "$SRC/linux-6.1-base"
	;;
ours)
	unpack "$LINUX61_TARBALL" "$LINUX61_SHA256" "$SRC/linux-6.1-base"
	want=$(series_sum)
	dest=$SRC/linux-6.1
	if [ -f "$dest/.nestedv2-series" ] && [ "$(cat "$dest/.nestedv2-series")" = "$want" ]; then
		exit 0
	fi
	if [ -d "$dest/.git" ] && git -C "$dest" rev-parse -q --verify base >/dev/null; then
		# Keep the tree (and its mtimes) where possible: reset to base.
		git -C "$dest" am --abort >/dev/null 2>&1 || true
		git -C "$dest" checkout -q -f -B work base
		git -C "$dest" clean -qfdx -e .nestedv2-base
	else
		clone_base "$dest"
		git -C "$dest" checkout -q -b work base
	fi
	rm -f "$dest/.nestedv2-series"
	n=0
	for p in $(series_patches); do
		git -C "$dest" am -q --keep-cr "$SERIES_DIR/$p" ||
			die "git am failed on $p (tree left in $dest)"
		n=$((n + 1))
	done
	say "applied $n patches with git am in $dest"
	echo "$want" >"$dest/.nestedv2-series"
	echo /.nestedv2-series >>"$dest/.git/info/exclude"
	;;
quilt)
	unpack "$LINUX61_TARBALL" "$LINUX61_SHA256" "$SRC/linux-6.1-base"
	dest=$SRC/linux-6.1-quilt
	rm -rf "$dest"
	mkdir -p "$dest"
	git -C "$SRC/linux-6.1-base" archive base | tar -C "$dest" -x
	mkdir -p "$dest/debian"
	ln -s "$SERIES_DIR" "$dest/debian/patches"
	(
		cd "$dest"
		export QUILT_PATCHES=debian/patches QUILT_PC=.pc
		if [ -n "$(series_patches)" ]; then
			quilt push -a -q --fuzz=0 >/dev/null || die "quilt push failed: $(quilt top 2>/dev/null)"
		fi
	)
	# quilt and git am must produce the same tree.
	git -C "$SRC/linux-6.1" diff --quiet base HEAD -- 2>/dev/null || true
	(cd "$dest" && rm -rf .pc debian && git init -q && git add -A -f . &&
		git -c user.name=q -c user.email=q@q commit -q -m quilt)
	a=$(git -C "$dest" rev-parse HEAD^{tree})
	b=$(git -C "$SRC/linux-6.1" rev-parse HEAD^{tree})
	[ "$a" = "$b" ] || die "quilt and git am trees differ ($a vs $b)"
	rm -rf "$dest"
	say "quilt: series applies and matches git am"
	;;
ref)
	unpack "$LINUX612_TARBALL" "$LINUX612_SHA256" "$SRC/linux-6.12"
	;;
*)
	die "usage: $0 base|ours|quilt|ref"
	;;
esac
