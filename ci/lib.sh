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
# ccache hashes the working directory of every -g compile (QEMU 7.2 and
# libvirt build with debug info), so a clone in another directory missed
# every object: keep the directory out of the hash.  Debug info may then
# name the directory of the first build; nothing here debugs those objects.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
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

# "package version" lines of the PACKAGEs as locked (ppc64el, ci/debs.lock).
sysroot_versions() {
	local p l
	for p in "$@"; do
		l=$(lock_get "$p" ppc64el)
		echo "$p ${l% *}"
	done
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
# the PACKAGEs at their locked versions (ci/debs.lock; fetched into
# ~/.cache/nestedv2/debs and checked, dpkg -x, never installed); redone only
# when the set of versions changed.  The versions are written to
# SYSROOT/.packages and LOGDIR/sysroot.log.
build_sysroot() {
	local sysroot=$1 logdir=$2 list want p v debs=()
	shift 2
	mkdir -p "$logdir"
	list=$(sysroot_versions "$@")
	# The layout version changes when the way the sysroot is made changes.
	want=$(printf 'layout 2\n%s\n' "$list" | sha256sum | cut -d' ' -f1)
	if stamp_ok "$sysroot/.nestedv2-stamp" "$want"; then
		return 0
	fi
	for p in "$@"; do
		debs+=("$(locked_deb "$p" ppc64el)")
	done
	say "building $sysroot from $# ppc64el packages"
	rm -rf "$sysroot" "$sysroot.tmp"
	mkdir -p "$sysroot.tmp"
	for p in "${debs[@]}"; do
		dpkg -x "$p" "$sysroot.tmp"
	done
	relativize_links "$sysroot.tmp"
	printf '%s\n' "$list" >"$sysroot.tmp/.packages"
	{ echo "sysroot packages (ppc64el, ci/debs.lock):"; printf '%s\n' "$list"; } >"$logdir/sysroot.log"
	echo "$want" >"$sysroot.tmp/.nestedv2-stamp"
	mv "$sysroot.tmp" "$sysroot"
}

# --- bases by exact version (ci/versions.sh, ci/debs.lock) -------------------
#
# Every .deb and source package the pipeline uses is fetched by exact version
# into ~/.cache/nestedv2, checked against its pinned SHA-256, and used from
# there: nothing depends on what apt has installed on the host.

# apt_knows PKG ARCH|all|source VERSION: apt's lists have that exact version.
apt_knows() {
	local out
	case $2 in
	source) out=$(apt-cache showsrc "$1" 2>/dev/null || true)
		grep -Fxq "Version: $3" <<<"$out" ;;
	all) out=$(apt-cache show "$1=$3" 2>/dev/null || true)
		grep -q '^Package:' <<<"$out" ;;
	*) out=$(apt-cache show "$1:$2=$3" 2>/dev/null || true)
		grep -q '^Package:' <<<"$out" ;;
	esac
}

# newest_version PKG ARCH|all|source [LIKE]: the newest version apt's lists
# know; with LIKE (a version), only those of the same upstream series (the
# same epoch and first two numbers: 6.1.x for 6.1.192-3, 7.2 for
# 1:7.2+dfsg-7+deb12u18).
newest_version() {
	local v series=
	case $2 in
	source) v=$(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' || true) ;;
	all) v=$(apt-cache madison "$1" 2>/dev/null | awk -F'|' '{ print $2 }' || true) ;;
	*) v=$(apt-cache madison "$1:$2" 2>/dev/null | awk -F'|' '{ print $2 }' || true) ;;
	esac
	[ -z "${3:-}" ] || series=$(sed -E 's/^(([0-9]+:)?[0-9]+\.[0-9]+).*/\1/' <<<"$3")
	printf '%s\n' "$v" | tr -d ' ' | sed '/^$/d' |
		awk -v s="$series" 's == "" || index($0, s) == 1 && substr($0, length(s) + 1) !~ /^[0-9]/' |
		sort -uV | tail -n 1
}

# unavailable WHAT PKG ARCH|all|source VERSION BASE LOG: the one clear error
# for a pinned version that cannot be fetched.
unavailable() {
	local what=$1 pkg=$2 arch=$3 ver=$4 base=$5 log=$6 newest
	newest=$(newest_version "$pkg" "$arch" "$ver")
	[ -n "$newest" ] || newest="none known; run 'make deps' to refresh apt's lists"
	if apt_knows "$pkg" "$arch" "$ver"; then
		die "$what $pkg=$ver ($arch) is in apt's lists but the download failed" \
			"(network or mirror trouble? see $log; then run the same command again)"
	fi
	die "$what $pkg=$ver ($arch) is not served by the archive any more" \
		"(newest available: $newest)." \
		"Move the pin with: make rebase BASE=$base TO=latest"
}

# deb_get PKG ARCH VERSION SHA256 BASE: print the path of the verified .deb,
# downloaded once into ~/.cache/nestedv2/debs.  A file that fails its
# checksum is moved aside (*.bad), never used.
deb_get() {
	local pkg=$1 arch=$2 ver=$3 sum=$4 base=$5 dir=$CACHE/debs f got
	f=$dir/${pkg}_${ver/:/%3a}_$arch.deb
	mkdir -p "$dir"
	if [ ! -f "$f" ]; then
		local spec=$pkg:$arch=$ver
		[ "$arch" != all ] || spec=$pkg=$ver
		(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root \
			"$spec" >"$dir/.download.log" 2>&1) ||
			unavailable "binary package" "$pkg" "$arch" "$ver" "$base" "$dir/.download.log"
		[ -f "$f" ] || die "apt-get download $pkg:$arch=$ver did not write $f"
	fi
	got=$(sha256sum "$f" | cut -d' ' -f1)
	if [ "$got" != "$sum" ]; then
		mv -f "$f" "$f.bad"
		die "$f: sha256 $got, pinned $sum (moved to $f.bad)"
	fi
	echo "$f"
}

# src_get PKG VERSION DSC_SHA256 BASE: print the path of the verified .dsc
# (apt-get source --download-only into ~/.cache/nestedv2/sources; dpkg-source
# verifies the tarballs against the .dsc when it unpacks).
src_get() {
	local pkg=$1 ver=$2 sum=$3 base=$4 dir=$CACHE/sources dsc
	dsc=$dir/${pkg}_${ver#*:}.dsc
	mkdir -p "$dir"
	if [ ! -f "$dsc" ]; then
		(cd "$dir" && apt-get source --download-only -q -o APT::Sandbox::User=root \
			"$pkg=$ver" >"$dir/.source.log" 2>&1) ||
			unavailable "source package" "$pkg" source "$ver" "$base" "$dir/.source.log"
	fi
	check_sha256 "$dsc" "$sum"
	echo "$dsc"
}

# linux_tarball 61|612: the verified linux-source tarball of the pinned
# version, taken out of its .deb into ~/.cache/nestedv2/bases (once).
linux_tarball() {
	local major ver debsum sum base deb out
	case $1 in
	61) major=$LINUX61_VERSION_MAJOR ver=$LINUX61_DEB_VERSION debsum=$LINUX61_DEB_SHA256
		sum=$LINUX61_SHA256 base=linux-6.1 ;;
	612) major=$LINUX612_VERSION_MAJOR ver=$LINUX612_DEB_VERSION debsum=$LINUX612_DEB_SHA256
		sum=$LINUX612_SHA256 base=linux-6.12-ref ;;
	*) die "linux_tarball: unknown base $1" ;;
	esac
	out=$CACHE/bases/linux-source-${major}_$ver.tar.xz
	if [ -f "$out" ] && [ "$(cat "$out.sha256" 2>/dev/null)" = "$sum" ]; then
		echo "$out"
		return 0
	fi
	deb=$(deb_get "linux-source-$major" all "$ver" "$debsum" "$base")
	mkdir -p "$CACHE/bases"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$major.tar.xz" >"$out.tmp" ||
		die "$deb has no usr/src/linux-source-$major.tar.xz"
	check_sha256 "$out.tmp" "$sum"
	mv "$out.tmp" "$out"
	echo "$sum" >"$out.sha256"
	echo "$out"
}

# lock_get PKG ARCH: "VERSION SHA256" of PKG:ARCH from ci/debs.lock (the
# exact .debs of the ppc64el sysroots and payloads; `make rebase
# BASE=debs TO=latest` moves them).
DEBS_LOCK=$TOP/ci/debs.lock
lock_get() {
	local line
	line=$(awk -v p="$1" -v a="$2" '$1 == p && $2 == a { print $3, $4; exit }' "$DEBS_LOCK")
	[ -n "$line" ] || die "$1:$2 is not in ci/debs.lock: add it with 'ci/debs-lock.sh add $1:$2'"
	echo "$line"
}

# locked_deb PKG ARCH: the verified .deb of PKG:ARCH as locked.
locked_deb() {
	local l
	l=$(lock_get "$1" "$2")
	deb_get "$1" "$2" "${l% *}" "${l#* }" debs
}

# linux61_companions VERSION: "DSC_SHA256 IMAGE_PACKAGE IMAGE_DEB_SHA256" of
# Debian's linux source package of that version and of its powerpc64le
# image (the pins next to linux-source-6.1's in ci/versions.sh), from apt's
# signed indexes: nothing is downloaded.
linux61_companions() {
	local ver=$1 stanza dsc img sha
	stanza=$(apt-cache showsrc linux 2>/dev/null | awk -v v="$ver" '
		done { next } /^Package: / { keep = 0; buf = "" } { buf = buf $0 "\n" }
		/^Version: / { keep = ($2 == v) } /^$/ { if (keep) { printf "%s", buf; done = 1 } }')
	[ -n "$stanza" ] || die "apt's lists have no linux source package $ver (run 'make deps')"
	dsc=$(awk -v f="linux_${ver#*:}.dsc" '/^Checksums-Sha256:/ { c = 1; next } /^[^ ]/ { c = 0 }
		c && $3 == f { print $1; exit }' <<<"$stanza")
	img=$(awk '/^Package-List:/ { p = 1; next } /^[^ ]/ { p = 0 }
		p && $1 ~ /^linux-image-[0-9.]+-[0-9]+-powerpc64le$/ { print $1; exit }' <<<"$stanza")
	[ -n "$dsc" ] && [ -n "$img" ] || die "linux $ver: no .dsc checksum or powerpc64le image in apt's lists"
	sha=$(apt-cache show "$img:ppc64el=$ver" 2>/dev/null | awk '/^SHA256: / && !s { s = $2 } END { print s }')
	[ -n "$sha" ] || die "$img:ppc64el=$ver is not in apt's lists"
	echo "$dsc $img $sha"
}

# deb_report DEB RESULT VERSION_LINE: what a .deb of ours is (dpkg-deb -I
# and -c) and lintian's verdict, written to RESULT; a lintian error fails
deb_report() {
	local deb=$1 res=$2 vline=$3 lint rc=0
	command -v lintian >/dev/null || die "lintian missing: run 'make deps'"
	lint=$(lintian --no-cfg --fail-on error "$deb" 2>&1) || rc=$?
	lint=$(grep -v "^running with root privileges" <<<"$lint" || true)
	mkdir -p "$(dirname "$res")"
	{
		echo "== $(basename "$deb") ($(stat -c %s "$deb") bytes, sha256 $(sha256sum "$deb" | cut -c1-16))"
		echo "== version: $vline"
		echo "== dpkg-deb -I"
		dpkg-deb -I "$deb"
		echo "== dpkg-deb -c"
		dpkg-deb -c "$deb" | awk '{ print $1, $3, $6, $7, $8 }'
		echo "== lintian (exit $rc)"
		printf '%s\n' "${lint:-(no tags)}"
		echo "lintian errors: $(grep -c '^E: ' <<<"$lint" || true)"
		echo "lintian warnings: $(grep -c '^W: ' <<<"$lint" || true)"
	} >"$res"
	[ "$rc" = 0 ] || { printf '%s\n' "$lint" >&2; die "lintian reports errors for $(basename "$deb")"; }
	say "built $(basename "$deb"): $(grep -c '^E: ' <<<"$lint" || true) lintian errors, $(grep -c '^W: ' <<<"$lint" || true) warnings ($res)"
}

# deb_build ROOT DEB SDE: md5sums, the control files dated SDE, then
# dpkg-deb --build of ROOT (owned by root, xz) as DEB, replacing the .debs
# of DEB's directory
deb_build() {
	local root=$1 deb=$2 sde=$3
	(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
	touch -d "@$sde" "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
	mkdir -p "$(dirname "$deb")"
	rm -f "$(dirname "$deb")"/*.deb
	dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null ||
		die "dpkg-deb --build of $(basename "$deb") failed"
}
