#!/usr/bin/env bash
# Fetch and verify the bases by exact version (ci/versions.sh, ci/debs.lock)
# into ~/.cache/nestedv2, before any build needs them:
#
#   ci/fetch-bases.sh demo   what `make demo` needs: Linux 6.1, QEMU 10.0
#                            (source + firmware), the L1's busybox
#   ci/fetch-bases.sh all    also Linux 6.12, QEMU 7.2 and libvirt 9.0 sources
#
# Each is downloaded once and checked against its SHA-256 every time.
# build/bases-SET.list lists what was verified (rewritten only when it
# changes, so an unchanged list means nothing was fetched).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

set_=${1:-all}
case $set_ in demo | all) ;; *) die "usage: $0 demo|all" ;; esac
list=()
t=$(linux_tarball 61)
list+=("linux-6.1 $LINUX61_DEB_VERSION $t")
"$TOP/ci/qemu10.sh" fetch >/dev/null
list+=("qemu-10.0 $QEMU_L0_SRC_VERSION source")
"$TOP/ci/qemu10.sh" firmware >/dev/null
list+=("qemu-10.0 $QEMU_L0_DEB_VERSION qemu-system-data")
"$TOP/ci/fetch-target.sh"
list+=("busybox-static $(lock_get busybox-static ppc64el)")
if [ "$set_" = all ]; then
	t=$(linux_tarball 612)
	list+=("linux-6.12-ref $LINUX612_DEB_VERSION $t")
	d=$(src_get qemu "$QEMU72_SRC_VERSION" "$QEMU72_DSC_SHA256" qemu-7.2)
	list+=("qemu-7.2 $QEMU72_SRC_VERSION $d")
	d=$(src_get libvirt "$LIBVIRT_SRC_VERSION" "$LIBVIRT_DSC_SHA256" libvirt-9.0)
	list+=("libvirt-9.0 $LIBVIRT_SRC_VERSION $d")
fi
out=$BUILD/bases-$set_.list
mkdir -p "$BUILD"
if [ "$(cat "$out" 2>/dev/null)" != "$(printf '%s\n' "${list[@]}")" ]; then
	printf '%s\n' "${list[@]}" >"$out"
fi
say "${#list[@]} bases verified (${out#"$TOP"/})"
