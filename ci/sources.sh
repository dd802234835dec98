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

# The base trees as git repositories, kept across checkouts: unpacking a
# kernel tarball and committing its ~80k files took ~90 s (6.1) and ~45 s
# (6.12) of every new clone's make check; a clone of the packed repository
# and its checkout give the same commit, tree and files in a fraction.
GITCACHE=$CACHE/src-git

unpack() { # 61|612 tarball-sha256 dest (tarball: ci/lib.sh linux_tarball)
	local tarball=$1 sum=$2 dest=$3 tmp repo
	if [ -f "$dest/.nestedv2-base" ] && [ "$(cat "$dest/.nestedv2-base")" = "$sum" ]; then
		return 0
	fi
	tarball=$(linux_tarball "$tarball")
	repo=$GITCACHE/$(basename "$tarball" .tar.xz)-${sum:0:16}.git
	rm -rf "$dest" "$dest.tmp"
	tmp=$dest.tmp
	if [ -f "$repo/nestedv2-complete" ]; then
		say "checking out $(basename "$tarball") from $repo into $dest"
		git clone -q -b debian "$repo" "$tmp"
		git -C "$tmp" remote remove origin
		git -C "$tmp" config core.autocrlf false
		git -C "$tmp" config gc.auto 0
		printf '%s\n' /.nestedv2-base /.nestedv2-series >>"$tmp/.git/info/exclude"
	else
		say "unpacking $tarball into $dest"
		mkdir -p "$tmp"
		tar -C "$tmp" --strip-components=1 -xf "$tarball"
		git_base_tree "$tmp" "base: $(basename "$tarball") $sum"
		mkdir -p "$GITCACHE"
		rm -rf "$repo.new"
		git clone -q --bare "$tmp" "$repo.new"
		git -C "$repo.new" repack -adq
		touch "$repo.new/nestedv2-complete"
		rm -rf "$repo"
		mv "$repo.new" "$repo"
	fi
	echo "$sum" >"$tmp/.nestedv2-base"
	mv "$tmp" "$dest"
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
	unpack 61 "$LINUX61_SHA256" "$SRC/linux-6.1-base"
	;;
ours)
	unpack 61 "$LINUX61_SHA256" "$SRC/linux-6.1-base"
	want=$(series_sum)
	dest=$SRC/linux-6.1
	if [ -f "$dest/.nestedv2-series" ] && [ "$(cat "$dest/.nestedv2-series")" = "$want" ]; then
		exit 0
	fi
	if [ -d "$dest/.git" ] && git -C "$dest" rev-parse -q --verify refs/tags/base >/dev/null; then
		# Keep the tree (and its mtimes) where possible: reset to base.
		git -C "$dest" am --abort >/dev/null 2>&1 || true
		git -C "$dest" checkout -q -f -B work refs/tags/base
		git -C "$dest" clean -qfdx -e .nestedv2-base
	else
		clone_base "$dest"
		git -C "$dest" checkout -q -b work refs/tags/base
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
	# The packager's path: quilt on a pristine tree.  Only the files the
	# series touches are needed (quilt never reads others), which keeps
	# this check to seconds on a 78k-file tree.
	"$0" ours
	dest=$SRC/linux-6.1-quilt
	rm -rf "$dest"
	mkdir -p "$dest/debian"
	mapfile -t files < <(cd "$SERIES_DIR" && series_patches | xargs -r sed -n \
		-e 's|^--- a/\([^[:space:]]*\).*|\1|p' -e 's|^+++ b/\([^[:space:]]*\).*|\1|p' | sort -u)
	existing=()
	for f in "${files[@]}"; do
		git -C "$SRC/linux-6.1-base" cat-file -e "refs/tags/base:$f" 2>/dev/null && existing+=("$f")
	done
	[ ${#existing[@]} -eq 0 ] ||
		git -C "$SRC/linux-6.1-base" archive refs/tags/base -- "${existing[@]}" | tar -C "$dest" -x
	ln -s "$SERIES_DIR" "$dest/debian/patches"
	if [ -n "$(series_patches)" ]; then
		(cd "$dest" && QUILT_PATCHES=debian/patches QUILT_PC=.pc \
			quilt push -a -q --fuzz=0 >"$dest.log" 2>&1) ||
			die "quilt push failed: $(tail -n 3 "$dest.log")"
	fi
	# quilt and git am must give the same content for every touched file.
	for f in "${files[@]}"; do
		a=$dest/$f b=$SRC/linux-6.1/$f
		if [ -e "$a" ] || [ -e "$b" ]; then
			cmp -s "$a" "$b" || die "quilt and git am differ in $f"
		fi
	done
	rm -rf "$dest" "$dest.log"
	say "quilt: series pushes with --fuzz=0 and matches git am (${#files[@]} files)"
	;;
ref)
	unpack 612 "$LINUX612_SHA256" "$SRC/linux-6.12"
	;;
*)
	die "usage: $0 base|ours|quilt|ref"
	;;
esac
