#!/usr/bin/env bash
# Move a base to another Debian version and see what that does to our series
# (the packager's tool):
#
#   make rebase BASE=NAME TO=latest|VERSION [DRY=1] [REBASE_BUILD=each|tip|none]
#   (REBASE_BUILD: a kernel build after each patch (default), only at the
#   tip, or none)
#   ci/rebase.sh NAME latest|VERSION
#
#   NAME            base                       series
#   linux-6.1       linux-source-6.1 (.deb)    kernel-patches/linux-6.1
#   linux-6.12-ref  linux-source-6.12 (.deb)   (none: the reference)
#   qemu-7.2        qemu source (+ stock .deb) qemu-patches/qemu-7.2
#   qemu-10.0       qemu source + firmware     qemu-patches/qemu-10.0
#   libvirt-9.0     libvirt source             libvirt-patches/libvirt-9.0
#   debs            ci/debs.lock               (none)
#
# "latest" is the newest version apt's lists have in the same upstream
# series (6.1.x for linux-6.1).  The new base is fetched by exact version
# (its SHA-256 computed and, on success, pinned), made a git tree, and the
# series is applied patch by patch with `git am -3`.  A table shows for
# each patch: how it applies (clean / offsets / 3-way / conflict, with file
# and hunk), checkpatch (kernel and QEMU: --strict for the kernel) and
# whether the tree builds after it (kernel: lean config, like make lint).
#
# A patch with "Applied-Upstream: X.Y.Z, ..." in its header is dropped
# (file and series line) when the new base's upstream version is X.Y.Z or
# later.  When every patch applies, passes checkpatch and builds, and DRY is
# not set, the patch files are refreshed from the rebased tree (diffstat, index
# lines, context and line numbers; the From/Date/Subject headers and the
# messages are kept byte for byte) and ci/versions.sh gets the new version
# and checksums.  The table is also in build/rebase/NAME.work/report.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NAME=${1:-}
TO=${2:-latest}
DRY=${DRY:-}
BUILDMODE=${REBASE_BUILD:-each}
WORK=$BUILD/rebase/$NAME.work
VERSIONS=$TOP/ci/versions.sh

usage() { die "usage: make rebase BASE=linux-6.1|linux-6.12-ref|qemu-7.2|qemu-10.0|libvirt-9.0|debs TO=latest|VERSION [DRY=1]"; }

case $NAME in
linux-6.1) kind=deb pkg=linux-source-$LINUX61_VERSION_MAJOR cur=$LINUX61_DEB_VERSION
	series=$TOP/kernel-patches/linux-6.1 var=LINUX61 ;;
linux-6.12-ref) kind=deb pkg=linux-source-$LINUX612_VERSION_MAJOR cur=$LINUX612_DEB_VERSION
	series= var=LINUX612 ;;
qemu-7.2) kind=src pkg=qemu cur=$QEMU72_SRC_VERSION series=$TOP/qemu-patches/qemu-7.2 var=QEMU72 ;;
qemu-10.0) kind=src pkg=qemu cur=$QEMU_L0_SRC_VERSION series=$TOP/qemu-patches/qemu-10.0 var=QEMU_L0 ;;
libvirt-9.0) kind=src pkg=libvirt cur=$LIBVIRT_SRC_VERSION series=$TOP/libvirt-patches/libvirt-9.0
	var=LIBVIRT ;;
debs)
	"$TOP/ci/debs-lock.sh" update
	echo "next: make check"
	exit 0
	;;
*) usage ;;
esac

# --- the new version ---------------------------------------------------------
if [ "$TO" = latest ]; then
	arch=all
	[ $kind = deb ] || arch=source
	ver=$(newest_version "$pkg" "$arch" "$cur")
	[ -n "$ver" ] || die "apt's lists know no $pkg in the series of $cur (run 'make deps')"
else
	ver=$TO
fi
say "$NAME: $cur -> $ver"
rm -rf "$WORK"
mkdir -p "$WORK"

setvar() { # NAME VALUE: replace NAME=... in ci/versions.sh
	grep -q "^$1=" "$VERSIONS" || die "$1 is not in ci/versions.sh"
	sed -i "s|^$1=.*|$1=$2|" "$VERSIONS"
}

# --- fetch it (checksums are computed here, pinned on success) ---------------
# The tree and objects sit at the same depth as make lint's
# (build/src/linux-6.1, build/obj/linux-6.1), so the compiler sees the same
# relative paths and ccache serves every file the new base did not change.
srcname=$NAME
case $NAME in linux-6.12-ref) srcname=linux-6.12 ;; esac
TREE=$BUILD/rebase/src/$srcname
rm -rf "$TREE"
declare -A newpins=()
case $kind in
deb)
	dir=$CACHE/debs
	mkdir -p "$dir" "$CACHE/bases"
	deb=$dir/${pkg}_${ver/:/%3a}_all.deb
	if [ ! -f "$deb" ]; then
		(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" \
			>"$WORK/fetch.log" 2>&1) ||
			unavailable "binary package" "$pkg" all "$ver" "$NAME" "$WORK/fetch.log"
	fi
	major=${pkg#linux-source-}
	tarball=$CACHE/bases/${pkg}_$ver.tar.xz
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" >"$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
	newpins[${var}_DEB_VERSION]=$ver
	newpins[${var}_DEB_SHA256]=$(sha256sum "$deb" | cut -d' ' -f1)
	newpins[${var}_SHA256]=$(sha256sum "$tarball" | cut -d' ' -f1)
	if [ "$NAME" = linux-6.1 ]; then
		# Debian's source package and powerpc64le image of the same
		# version (ci/debian-kernel.sh: the drop-in check, Debian's config).
		read -r c_dsc c_img c_sha < <(linux61_companions "$ver")
		newpins[LINUX61_DSC_SHA256]=$c_dsc
		newpins[LINUX61_IMAGE_PKG]=$c_img
		newpins[LINUX61_IMAGE_DEB_SHA256]=$c_sha
	fi
	echo "${newpins[${var}_SHA256]}" >"$tarball.sha256"
	say "unpacking $pkg $ver"
	mkdir -p "$TREE"
	tar -C "$TREE" --strip-components=1 -xf "$tarball"
	: "$major"
	;;
src)
	dir=$CACHE/sources
	mkdir -p "$dir"
	dsc=$dir/${pkg}_${ver#*:}.dsc
	(cd "$dir" && apt-get source --download-only -q -o APT::Sandbox::User=root "$pkg=$ver" \
		>"$WORK/fetch.log" 2>&1) || true
	newpins[${var}_SRC_VERSION]=$ver
	if [ -f "$dsc" ]; then
		newpins[${var}_DSC_SHA256]=$(sha256sum "$dsc" | cut -d' ' -f1)
		dpkg-source -q -x "$dsc" "$TREE" >"$WORK/unpack.log" 2>&1 ||
			die "dpkg-source -x $dsc failed: $(tail -n 3 "$WORK/unpack.log")"
	elif [ "$NAME" = qemu-10.0 ]; then
		# The backports .dsc may be missing from the mirror (ci/qemu10.sh).
		up=${ver#*:}
		up=${up%-*}
		orig=$dir/${pkg}_$up.orig.tar.xz
		[ -f "$orig" ] || unavailable "source package" "$pkg" source "$ver" "$NAME" "$WORK/fetch.log"
		newpins[${var}_ORIG_SHA256]=$(sha256sum "$orig" | cut -d' ' -f1)
		mkdir -p "$TREE"
		tar -C "$TREE" --strip-components=1 -xf "$orig"
	else
		unavailable "source package" "$pkg" source "$ver" "$NAME" "$WORK/fetch.log"
	fi
	if [ "$NAME" = qemu-10.0 ]; then
		# Debian's firmware of the same version goes with it.
		ddir=$CACHE/debs
		ddeb=$ddir/qemu-system-data_${ver/:/%3a}_all.deb
		[ -f "$ddeb" ] || (cd "$ddir" && apt-get download -q -o APT::Sandbox::User=root \
			"qemu-system-data=$ver" >>"$WORK/fetch.log" 2>&1) ||
			unavailable "binary package" qemu-system-data all "$ver" "$NAME" "$WORK/fetch.log"
		newpins[QEMU_L0_DEB_VERSION]=$ver
		newpins[QEMU_L0_DATA_DEB_SHA256]=$(sha256sum "$ddeb" | cut -d' ' -f1)
	fi
	;;
esac
git_base_tree "$TREE" "base: $pkg $ver"

# --- apply the series patch by patch -------------------------------------------
TSV=$WORK/report.tsv
: >"$TSV"
patches=()
if [ -n "$series" ]; then
	SERIES_DIR=$series
	mapfile -t patches < <(series_patches)
fi
KFRAGS=("$TOP/ci/configs/l1-lean.config" "$TOP/ci/configs/kunit.config")
OBJ=$BUILD/rebase/obj/$srcname
allok=1
build_tree() { # label: build the tree as it is now; prints ok/FAIL detail
	local log=$WORK/build-$1.log t0=$SECONDS
	case $NAME in
	linux-*)
		if "$TOP/ci/kernel.sh" build "$TREE" "$OBJ" "${KFRAGS[@]}" >"$log" 2>&1; then
			echo "ok ($((SECONDS - t0))s)"
		else
			echo "FAIL (see ${log#"$TOP"/})"
		fi
		;;
	*) echo "- (make check builds it)" ;;
	esac
}
check_patch() { # file: checkpatch of the patch as refreshed from the tree
	local f=$1 log
	log=$WORK/checkpatch-$(basename "$f" .patch).log
	case $NAME in
	linux-*)
		if (cd "$TREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict -q "$f") \
			>"$log" 2>&1 && ! grep -qE "^(ERROR|WARNING|CHECK):|Traceback" "$log"; then
			echo ok
		else
			echo "FAIL ($(grep -cE '^(ERROR|WARNING|CHECK):' "$log") findings)"
		fi
		;;
	qemu-*)
		if [ -x "$TREE/scripts/checkpatch.pl" ] &&
			(cd "$TREE" && ./scripts/checkpatch.pl -q "$f") >"$log" 2>&1; then
			echo ok
		else
			echo "FAIL (see ${log#"$TOP"/})"
		fi
		;;
	*) echo "-" ;;
	esac
}

if [ "$BUILDMODE" = each ] && [ ${#patches[@]} -gt 0 ]; then
	printf 'base\t-\t-\t%s\n' "$(build_tree base)" >>"$TSV"
fi
# A patch whose header says "Applied-Upstream: X.Y.Z, commit:..." is a fix
# upstream has from X.Y.Z on: from that version on it is dropped from the
# series (patch file and series line), not applied.
newup=${ver#*:}
newup=${newup%%[+~-]*}
applied_upstream() { # patch file -> the X.Y.Z of its Applied-Upstream, or nothing
	sed -n '/^---$/q; s/^Applied-Upstream: \([0-9][0-9.]*\),.*/\1/p' "$1" | head -1
}
dropped=()
n=0
stopped=
for p in "${patches[@]}"; do
	n=$((n + 1))
	if [ -n "$stopped" ]; then
		printf '%s\tnot tried (after a conflict)\t-\t-\n' "$p" >>"$TSV"
		continue
	fi
	up=$(applied_upstream "$series/$p")
	if [ -n "$up" ] && dpkg --compare-versions "$newup" ge "$up"; then
		printf '%s\tdropped: upstream has it since %s (Applied-Upstream)\t-\t-\n' \
			"$p" "$up" >>"$TSV"
		dropped+=("$p")
		continue
	fi
	dry=$(patch -d "$TREE" -p1 -F0 --dry-run <"$series/$p" 2>&1 || true)
	if grep -q 'FAILED' <<<"$dry"; then
		how="needs 3-way: $(grep -E '^checking file|FAILED' <<<"$dry" |
			awk '/^checking file/ { f = $3 } /FAILED/ { printf "%s hunk %s; ", f, $2 }' | sed 's/; $//')"
	elif grep -q 'offset' <<<"$dry"; then
		how="applies with offsets ($(grep -c 'offset' <<<"$dry") hunks)"
	else
		how="applies"
	fi
	if ! git -C "$TREE" am -q -3 --keep-cr "$series/$p" >"$WORK/am-$n.log" 2>&1; then
		conflicts=$(git -C "$TREE" diff --name-only --diff-filter=U | tr '\n' ' ')
		git -C "$TREE" am --abort >/dev/null 2>&1 || true
		printf '%s\tCONFLICT: %s%s\t-\t-\n' "$p" "${conflicts:-see am-$n.log} " \
			"($(grep -E 'FAILED' <<<"$dry" | head -3 | tr '\n' ' '))" >>"$TSV"
		allok=0
		stopped=1
		continue
	fi
	# The patch as it now applies: original headers and message, new diff.
	git -C "$TREE" format-patch -q -1 --stdout HEAD >"$WORK/new-$p"
	refreshed=$WORK/refreshed/$p
	mkdir -p "$WORK/refreshed"
	awk -v new="$WORK/new-$p" '
		BEGIN { while ((getline l < new) > 0) { if (!cut && l == "---") cut = 1; if (cut) tailbuf = tailbuf l "\n" } }
		!done && $0 == "---" { printf "%s", tailbuf; done = 1; exit }
		{ print }
	' "$series/$p" >"$refreshed"
	# keep the original signature trailer (from "-- " to the end, as is)
	awk '/^-- $/ { exit } { print }' "$refreshed" >"$refreshed.t"
	{ cat "$refreshed.t"; awk '/^-- $/ { s = 1 } s' "$series/$p"; } >"$refreshed"
	rm -f "$refreshed.t"
	cp_res=$(check_patch "$refreshed")
	b="-"
	[ "$BUILDMODE" != each ] || b=$(build_tree "$(basename "$p" .patch)")
	[ "$BUILDMODE" != tip ] || [ "$n" -ne ${#patches[@]} ] || b=$(build_tree tip)
	case "$cp_res $b" in *FAIL*) allok=0 ;; esac
	printf '%s\t%s\t%s\t%s\n' "$p" "$how" "$cp_res" "$b" >>"$TSV"
done
[ ${#patches[@]} -gt 0 ] || [ "$BUILDMODE" = none ] ||
	printf '(no series)\t-\t-\t%s\n' "$(build_tree base)" >>"$TSV"

# --- the table ----------------------------------------------------------------
{
	echo "### make rebase BASE=$NAME TO=$TO ($cur -> $ver)"
	echo
	echo "| patch | applies | checkpatch | builds |"
	echo "|---|---|---|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$TSV"
} >"$WORK/report.md"
cat "$WORK/report.md"
echo

if [ $allok = 0 ]; then
	echo "rebase $NAME to $ver: NOT clean (see above; logs in ${WORK#"$TOP"/}, the tree in ${TREE#"$TOP"/})."
	echo "Nothing was changed in the repository."
	exit 1
fi
if [ -n "$DRY" ]; then
	echo "rebase $NAME to $ver: clean (DRY=1: nothing was changed in the repository)"
	exit 0
fi
changed=0
for p in "${dropped[@]}"; do
	rm -f "$series/$p"
	sed -i "/^$(printf '%s' "$p" | sed 's/[.[\*^$/]/\\&/g')\$/d" "$series/series"
	echo "dropped $p from the series: upstream $newup has it (Applied-Upstream)"
done
for p in "${patches[@]}"; do
	[ -f "$WORK/refreshed/$p" ] || continue	# dropped
	if ! cmp -s "$WORK/refreshed/$p" "$series/$p"; then
		cp "$WORK/refreshed/$p" "$series/$p"
		changed=$((changed + 1))
	fi
done
for k in "${!newpins[@]}"; do
	setvar "$k" "${newpins[$k]}"
done
echo "rebase $NAME to $ver: clean; $changed patch files refreshed; ci/versions.sh pins $ver"
echo "next: make check"
