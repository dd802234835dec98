#!/usr/bin/env bash
# nvlat as its own small Debian package for ppc64el (issue 13): the binary
# built by `make -C tools deb` (linked against Debian's libc, hardened as
# dpkg-buildflags would), its man page, copyright and changelog.  The LPAR
# image installs it with apt (ci/lpar-image.sh).
#
#   ci/nvlat-deb.sh build   -> build/deb/nvlat/nvlat_<version>_ppc64el.deb and
#                              build/results/nvlat-deb.txt (dpkg-deb -I,
#                              contents, lintian: no error allowed)
#   ci/nvlat-deb.sh path    the .deb's path
#
# The version is NVLAT_VERSION of tools/nvlat/nvlat.h (a native package:
# the tool is ours).  Reproducible: file dates are the last commit of
# tools/ (SOURCE_DATE_EPOCH).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKG=nvlat
OUT=$BUILD/deb/nvlat
RES=$BUILD/results
BIN=$BUILD/tools/ppc64el-deb/nvlat
STAGE=$BUILD/tmp/nvlat-deb
CROSS=powerpc64le-linux-gnu-
MAINT='nestedv2 maintainers <maintainers@users.noreply.h-seed-112b9b78.example>'
VERSION=$(sed -n 's/^#define NVLAT_VERSION "\(.*\)"$/\1/p' "$TOP/tools/nvlat/nvlat.h")
[ -n "$VERSION" ] || die "no NVLAT_VERSION in tools/nvlat/nvlat.h"

deb_path() { echo "$OUT/${PKG}_${VERSION}_ppc64el.deb"; }

# libc_depends: "libc6 (>= X.Y)", X.Y the newest GLIBC_ symbol version the
# binary uses (it links libc only: checked)
libc_depends() {
	local needed v
	needed=$("${CROSS}readelf" -d "$BIN" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p')
	[ "$needed" = libc.so.6 ] || die "$BIN links more than libc.so.6: $needed"
	v=$("${CROSS}objdump" -T "$BIN" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
	[ -n "$v" ] || die "no GLIBC symbol versions in $BIN"
	echo "libc6 (>= $v)"
}

build() {
	make -s -C "$TOP/tools" deb >/dev/null || die "make -C tools deb failed"
	local sde root=$STAGE/root doc
	sde=$(git -C "$TOP" log -1 --format=%ct -- tools ci/nvlat-deb.sh 2>/dev/null || true)
	[ -n "$sde" ] || sde=$(stat -c %Y "$TOP/tools/nvlat/nvlat.h")
	export SOURCE_DATE_EPOCH=$sde
	rm -rf "$STAGE"
	doc=$root/usr/share/doc/$PKG
	mkdir -p "$root/DEBIAN" "$root/usr/bin" "$doc" "$root/usr/share/man/man1"
	"${CROSS}strip" --remove-section=.comment --remove-section=.note -o "$root/usr/bin/nvlat" "$BIN"
	chmod 0755 "$root/usr/bin/nvlat"
	gzip -9n <"$TOP/tools/nvlat.1" >"$root/usr/share/man/man1/nvlat.1.gz"
	cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: nvlat
Upstream-Contact: $MAINT
Source: the nestedv2 repository, tools/nvlat

Files: *
Copyright: 2026 nestedv2 maintainers
License: GPL-2+
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation; either version 2 of the License, or
 (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU General Public License
 version 2 can be found in /usr/share/common-licenses/GPL-2.
EOF
	{
		printf '%s (%s) bookworm; urgency=medium\n\n' "$PKG" "$VERSION"
		printf '  * nvlat %s from the nestedv2 repository (tools/nvlat): L1<->L2\n' "$VERSION"
		printf '    switch latency and L2 run time per vCPU and per VM, from the\n'
		printf '    kvm_hv:kvmppc_vcpu_stats tracepoint, for KVM in a PowerVM LPAR.\n'
		printf '\n -- %s  %s\n' "$MAINT" "$(date -u -R -d "@$sde")"
	} | gzip -9n >"$doc/changelog.gz"
	find "$root" -type f -o -type l | xargs touch -h -d "@$sde"
	cat >"$root/DEBIAN/control" <<EOF
Package: $PKG
Version: $VERSION
Architecture: ppc64el
Maintainer: $MAINT
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $(libc_depends)
Recommends: libvirt-daemon-driver-qemu
Section: admin
Priority: optional
Description: L1<->L2 switch latency reporter for KVM in a PowerVM LPAR
 nvlat reports, per vCPU and per virtual machine, how long a Linux LPAR
 running KVM guests through PowerVM's nested API (nestedv2) spends
 switching to its guests and back, and how long the guests' vCPUs run,
 from the counters the kernel emits in the kvm_hv:kvmppc_vcpu_stats
 tracepoint.  It names each VM by its QEMU -name (libvirt's domain name),
 records captures, replays them and perf script text, and prints text,
 JSON or CSV reports, histograms, a live view and SVG heatmaps.
EOF
	deb_build "$root" "$(deb_path)" "$sde"
	report
	rm -rf "$STAGE"
}

# report: what the package is, and lintian's verdict (no errors allowed).
report() {
	deb_report "$(deb_path)" "$RES/nvlat-deb.txt" "$VERSION"
}

case ${1:-} in
build) build ;;
path) deb_path ;;
*) die "usage: $0 build|path" ;;
esac
