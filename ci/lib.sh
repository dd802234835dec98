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
