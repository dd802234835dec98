# shellcheck shell=bash
# Common helpers for ci/*.sh.  Source after setting -euo pipefail.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
CACHE=${NESTEDV2_CACHE:-$HOME/.cache/nestedv2}
# shellcheck source=ci/versions.sh
. "$TOP/ci/versions.sh"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths under the checkout are hashed relative to it, so a fresh clone in
# another directory (CI) still hits the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
export KBUILD_BUILD_USER=nestedv2 KBUILD_BUILD_HOST=ci
export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
JOBS=${JOBS:-$(nproc)}
# Fixed identity for the generated git trees, so base commits are reproducible.
export GIT_AUTHOR_NAME="nestedv2 pipeline" GIT_AUTHOR_EMAIL="pipeline@nestedv2.invalid"
export GIT_COMMITTER_NAME="nestedv2 pipeline" GIT_COMMITTER_EMAIL="pipeline@nestedv2.invalid"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

check_sha256() { # file expected
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] || die "$1: sha256 $got, pinned $2 (ci/versions.sh)"
}

# git_base_tree DIR MESSAGE: make an unpacked Debian source tree a git tree
# with one commit, tagged "base" (the branch is "debian", so "base" is never
# ambiguous), and keep our stamp files out of it.  Debian's quilt state
# (.pc) is bookkeeping, not source.
git_base_tree() {
	(
		cd "$1"
		rm -rf .pc
		git init -q -b debian
		git config core.autocrlf false
		git config gc.auto 0
		git add -A -f .
		git commit -q -m "$2"
		git tag base
		printf '%s\n' /.nestedv2-base /.nestedv2-series >>.git/info/exclude
	)
}

# series_patches: the patch files listed in $SERIES_DIR/series, in order
# (comments and blank lines dropped; nothing when there is no series yet).
series_patches() {
	[ -f "$SERIES_DIR/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$SERIES_DIR/series" | awk '{print $1}'
}

# --- ppc64el sysroots (ci/qemu72.sh sysroot, ci/perf-build.sh) --------------

stamp_ok() { # file expected
	[ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

# "package version" lines: apt's ppc64el candidates, in one apt-cache call.
sysroot_candidates() {
	local p args=()
	for p in "$@"; do args+=("$p:ppc64el"); done
	apt-cache policy "${args[@]}" 2>/dev/null | awk '
		/^[^ ].*:ppc64el:$/ { sub(/:ppc64el:$/, ""); pkg = $0 }
		/^  Candidate:/ { print pkg, $2 }'
}

deb_path() { # package version
	echo "$CACHE/debs/${1}_${2/:/%3a}_ppc64el.deb"
}

# dpkg -x leaves absolute symlinks (libz.so -> /lib/...); inside a sysroot
# they must point into the sysroot, so make them relative.
relativize_links() { # root
	local root=$1 l t dir
	while IFS= read -r -d '' l; do
		t=$(readlink "$l")
		case $t in /*) ;; *) continue ;; esac
		dir=$(dirname "${l#"$root"}")
		# -s: resolve lexically; the host's own links (merged /usr) must
		# not leak into the sysroot's layout.
		ln -sfn "$(realpath -m -s --relative-to="$dir" "$t")" "$l"
	done < <(find "$root" -type l -print0)
}

# build_sysroot SYSROOT LOGDIR PACKAGE...: SYSROOT from the ppc64el .debs of
# the PACKAGEs (apt-get download into ~/.cache/nestedv2/debs, dpkg -x, never
# installed); redone only when the set of versions changed.  The versions
# are written to SYSROOT/.packages and LOGDIR/sysroot.log.
build_sysroot() {
	local sysroot=$1 logdir=$2 list want p v missing=()
	shift 2
	mkdir -p "$logdir" "$CACHE/debs"
	list=$(sysroot_candidates "$@")
	# The layout version changes when the way the sysroot is made changes.
	want=$(printf 'layout 2\n%s\n' "$list" | sha256sum | cut -d' ' -f1)
	if stamp_ok "$sysroot/.nestedv2-stamp" "$want"; then
		return 0
	fi
	[ "$(echo "$list" | grep -vc ' (none)$')" -eq $# ] ||
		die "no ppc64el candidate for some of $* (run 'make deps': ppc64el architecture and fresh lists)"
	while read -r p v; do
		[ -f "$(deb_path "$p" "$v")" ] || missing+=("$p:ppc64el=$v")
	done <<<"$list"
	if [ ${#missing[@]} -gt 0 ]; then
		say "downloading ${#missing[@]} ppc64el packages"
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root \
			"${missing[@]}" >"$logdir/apt-download.log" 2>&1) ||
			die "apt-get download failed, see $logdir/apt-download.log"
	fi
	say "building $sysroot from $# ppc64el packages"
	rm -rf "$sysroot" "$sysroot.tmp"
	mkdir -p "$sysroot.tmp"
	while read -r p v; do
		dpkg -x "$(deb_path "$p" "$v")" "$sysroot.tmp"
	done <<<"$list"
	relativize_links "$sysroot.tmp"
	printf '%s\n' "$list" >"$sysroot.tmp/.packages"
	{ echo "sysroot packages (ppc64el, apt candidates):"; printf '%s\n' "$list"; } >"$logdir/sysroot.log"
	echo "$want" >"$sysroot.tmp/.nestedv2-stamp"
	mv "$sysroot.tmp" "$sysroot"
}
