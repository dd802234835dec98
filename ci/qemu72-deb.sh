#!/usr/bin/env bash
# make qemu72-deb: our QEMU 7.2 (Debian's 1:7.2+dfsg-7+deb12u18 source with
# Debian's patches and qemu-patches/qemu-7.2) as an installable ppc64el
# qemu-system-ppc package for the LPAR, apt preferring it over Debian's.
#
#   ci/qemu72-deb.sh build    -> build/deb/qemu/qemu-system-ppc_<ver>_ppc64el.deb
#                                and build/results/qemu72-deb.txt (dpkg-deb -I,
#                                contents, lintian)
#   ci/qemu72-deb.sh path     print the .deb's path (after build)
#
# An honest subset, not a dpkg-buildpackage run (docs/packaging.md, "QEMU
# 7.2 for the LPAR", says why): the package holds what Debian's
# qemu-system-ppc holds that a KVM host in an LPAR runs -- qemu-system-ppc64
# (the ci/qemu72.sh cross build: ppc64-softmmu, KVM, no TCG, vhost-net),
# the qemu-system-ppc64le and kvm links, the man pages, Debian's copyright
# and changelog with our entry on top -- and not the 32-bit qemu-system-ppc
# binary, which is TCG only.  Its control fields follow Debian's package
# (ci/debs.lock locks it; the Depends of each library the binary links
# come from there), with one difference: qemu-system-common is accepted at
# any revision of the same Debian upload (Debian's binary says "= its own
# version"; ours loads no modules from it, so Debian's common fits).
#
# Version: <Debian source version>+nestedv2.<QEMU72_DEB_REV>, above Debian's
# binNMU (+b<n>) of the same upload; reproducible (SOURCE_DATE_EPOCH is
# the date of the last commit of the series).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QEMU72_DEB_REV=${QEMU72_DEB_REV:-1}
PKG=qemu-system-ppc
VERSION=$QEMU72_SRC_VERSION+nestedv2.$QEMU72_DEB_REV
TRIPLET=powerpc64le-linux-gnu
CROSS=${CROSS_COMPILE:-$TRIPLET-}
SRC=$BUILD/src/qemu-7.2
BIN=$BUILD/obj/qemu-7.2-ppc64el/qemu-system-ppc64
SYSROOT=$BUILD/sysroot/ppc64el-bookworm
SERIES=$TOP/qemu-patches/qemu-7.2
OUT=$BUILD/deb/qemu
RES=$BUILD/results
STAGE=$BUILD/tmp/qemu72-deb
MAINT='nestedv2 maintainers <maintainers@users.noreply.h-seed-112b9b78.example>'

deb_path() { echo "$OUT/${PKG}_${VERSION#*:}_ppc64el.deb"; }

# The Debian package we replace (its control fields are the model).
debian_field() { # field
	dpkg-deb -f "$(locked_deb "$PKG" ppc64el)" "$1"
}

# depends_for SONAME: the Depends entry of the package that ships SONAME
# in the sysroot, with Debian's own constraint for it when Debian's
# qemu-system-ppc has one, else ">= the version we linked against".
depends_for() {
	local so=$1 p deps entry
	p=$(awk -v so="$so" '$1 == so { print $2; exit }' "$STAGE/sonames")
	[ -n "$p" ] || die "no sysroot package ships $so (needed by $BIN)"
	deps=$(debian_field Depends | tr ',' '\n' | sed 's/^ *//')
	entry=$(grep -E "^$p( |\$)" <<<"$deps" | head -n1) ||
		entry="$p (>= $(awk -v p="$p" '$1 == p { v = $2; sub(/-[^-]*$/, "", v); print v }' "$SYSROOT/.packages"))"
	echo "$entry"
}

# sonames: "soname package" of every shared library in the sysroot's
# packages -> $STAGE/sonames
sonames() {
	local p ver
	while read -r p ver; do
		dpkg-deb -c "$(locked_deb "$p" ppc64el)" | awk -v p="$p" '
			{ f = $6; sub(/.*\//, "", f) } f ~ /\.so\.[0-9]/ { print f, p }'
	done <"$SYSROOT/.packages" >"$STAGE/sonames"
}

needed() { "${CROSS}readelf" -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p'; }

build() {
	[ -x "$BIN" ] || die "$BIN missing: run 'ci/qemu72.sh build' (make qemu72) first"
	[ -f "$SRC/debian/changelog" ] || die "$SRC/debian missing: run 'ci/qemu72.sh source'"
	local sde deps=() so d root=$STAGE/root doc
	sde=$(git -C "$TOP" log -1 --format=%ct -- qemu-patches/qemu-7.2 ci/qemu72-deb.sh 2>/dev/null || true)
	[ -n "$sde" ] || sde=$(stat -c %Y "$SERIES/series")
	export SOURCE_DATE_EPOCH=$sde
	rm -rf "$STAGE"
	doc=$root/usr/share/doc/$PKG
	mkdir -p "$root/DEBIAN" "$root/usr/bin" "$doc" "$root/usr/share/man/man1" \
		"$root/usr/share/lintian/overrides"

	# Files, as Debian's package lays them out.
	"${CROSS}strip" --remove-section=.comment --remove-section=.note \
		-o "$root/usr/bin/qemu-system-ppc64" "$BIN"
	chmod 0755 "$root/usr/bin/qemu-system-ppc64"
	ln -s qemu-system-ppc64 "$root/usr/bin/qemu-system-ppc64le"
	ln -s qemu-system-ppc64 "$root/usr/bin/kvm"
	echo ".so man1/qemu-system.1" | gzip -9n >"$root/usr/share/man/man1/qemu-system-ppc64.1.gz"
	ln -s qemu-system-ppc64.1.gz "$root/usr/share/man/man1/qemu-system-ppc64le.1.gz"
	# kvm(1) as Debian's rules make it, with what differs in this build.
	{
		sed 's/@ARCH@/ppc64/g' "$SRC/debian/kvm.1"
		printf '.SH NOTES\nThis build (%s, nestedv2) runs KVM guests only: it has no TCG, so\n' "$VERSION"
		printf 'without\n.I /dev/kvm\nit does not start.  It runs KVM guests in a PowerVM LPAR through the\n'
		printf 'nestedv2 API of the hypervisor when the LPAR kernel has it.\n'
	} | gzip -9n >"$root/usr/share/man/man1/kvm.1.gz"
	cp "$SRC/debian/copyright" "$doc/copyright"
	ln -s ../qemu-system-common "$doc/common"
	{
		printf '%s (%s) bookworm; urgency=medium\n\n' qemu "$VERSION"
		printf '  * nestedv2: KVM guests in a PowerVM LPAR (KVM on PowerVM).  The patches\n'
		printf '    of qemu-patches/qemu-7.2 on top of Debian'"'"'s, in this order:\n'
		grep -v '^#' "$SERIES/series" | sed '/^$/d' | while read -r p; do
			printf '    - %s\n' "$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\?//p' "$SERIES/$p" | head -n1)"
		done | fold -s -w 74 | sed 's/^\([^ ]\)/      \1/'
		printf '  * Subset build: qemu-system-ppc64 only (ppc64-softmmu), KVM without TCG,\n'
		printf '    vhost-net; no modules (Debian'"'"'s qemu-system-common of this upload fits).\n'
		printf '\n -- %s  %s\n\n' "$MAINT" "$(date -u -R -d "@$sde")"
		cat "$SRC/debian/changelog"
	} | gzip -9n >"$doc/changelog.Debian.gz"
	cp "$SRC/debian/qemu-system-ppc.lintian-overrides" "$root/usr/share/lintian/overrides/$PKG"
	cat >"$doc/README.nestedv2" <<EOF
qemu-system-ppc $VERSION (nestedv2)
====================================

Debian's QEMU 7.2 ($QEMU72_SRC_VERSION) with the nestedv2 patches for running
KVM guests inside a PowerVM LPAR.  Only qemu-system-ppc64 is built, for KVM:
no TCG, no 32-bit qemu-system-ppc.  The patches, in order:

$(grep -v '^#' "$SERIES/series" | sed '/^$/d; s/^/  /')

Reinstall Debian's package with
  apt-get install --allow-downgrades qemu-system-ppc=$(debian_field Version)
EOF

	# Control: Debian's fields, our version and maintainer, Depends from
	# what the binary links.
	sonames
	for so in $(needed "$BIN"); do
		deps+=("$(depends_for "$so")")
	done
	local common_ver=${QEMU72_SRC_VERSION}
	deps+=("qemu-system-common (>= $common_ver)" "qemu-system-common (<< ${common_ver}.~)")
	deps+=("$(debian_field Depends | tr ',' '\n' | sed 's/^ *//' | grep '^qemu-system-data')")
	local depends
	depends=$(printf '%s\n' "${deps[@]}" | sort -u | paste -sd, | sed 's/,/, /g')
	find "$root" -type f -o -type l | xargs touch -h -d "@$sde"
	cat >"$root/DEBIAN/control" <<EOF
Package: $PKG
Source: qemu ($VERSION)
Version: $VERSION
Architecture: ppc64el
Maintainer: $MAINT
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: ipxe-qemu, qemu-utils
Breaks: $(debian_field Breaks)
Replaces: $(debian_field Replaces)
Provides: $(debian_field Provides)
Section: otherosfs
Priority: optional
Multi-Arch: foreign
Homepage: $(debian_field Homepage)
Description: QEMU full system emulation binaries (ppc64, KVM, nestedv2)
 QEMU is a fast processor emulator.  This build of Debian's QEMU 7.2
 carries the nestedv2 patches so that KVM guests run inside an IBM
 PowerVM LPAR (KVM on PowerVM): processor compatibility modes, POWER11,
 DEXCR/HASHKEYR/HASHPKEYR migration and mitigation defaults an LPAR's
 hypervisor can give.
 .
 Subset: qemu-system-ppc64 for KVM only (no TCG, no 32-bit qemu-system-ppc).
EOF
	deb_build "$root" "$(deb_path)" "$sde"
	dpkg --compare-versions "$VERSION" gt "$(debian_field Version)" ||
		die "$VERSION does not sort above Debian's $(debian_field Version)"
	report
	rm -rf "$STAGE"
}

# report: what the package is, and lintian's verdict (no errors allowed).
report() {
	deb_report "$(deb_path)" "$RES/qemu72-deb.txt" "$VERSION > $(debian_field Version) (Debian's)"
}

case ${1:-} in
build) build ;;
path) p=$(deb_path); [ -f "$p" ] || die "$p missing: run make qemu72-deb"; echo "$p" ;;
*) die "usage: $0 build|path" ;;
esac
