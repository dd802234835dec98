#!/usr/bin/env bash
# Every pinned base (ci/versions.sh) and locked .deb (ci/debs.lock) is still
# served by the archive, according to apt's lists.  Nothing is compared with
# what the host has installed: the build steps fetch each base by exact
# version into ~/.cache/nestedv2 and check its SHA-256 there.
#
# A pin the archive dropped (Debian published a new point release) stops here
# with one error per base that names the newest version and the command that
# moves the pin: make rebase BASE=NAME TO=latest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bad=0
served() { # base pkg arch|all|source version
	if ! apt_knows "$2" "$3" "$4"; then
		say "error: $1: $2=$4 ($3) is not served by the archive any more" \
			"(newest available: $(newest_version "$2" "$3" "$4")); move the pin with: make rebase BASE=$1 TO=latest"
		bad=1
	fi
}
served linux-6.1 "linux-source-$LINUX61_VERSION_MAJOR" all "$LINUX61_DEB_VERSION"
served linux-6.1 linux source "$LINUX61_DEB_VERSION"
served linux-6.1 "$LINUX61_IMAGE_PKG" ppc64el "$LINUX61_DEB_VERSION"
served linux-6.1 linux source "$LINUX61_SRC_FALLBACK_VERSION"
served linux-6.12-ref "linux-source-$LINUX612_VERSION_MAJOR" all "$LINUX612_DEB_VERSION"
served qemu-10.0 qemu source "$QEMU_L0_SRC_VERSION"
served qemu-10.0 qemu-system-data all "$QEMU_L0_DEB_VERSION"
served qemu-7.2 qemu source "$QEMU72_SRC_VERSION"
served qemu-7.2 qemu-system-ppc ppc64el "$STOCK_QEMU_VERSION"
served libvirt-9.0 libvirt source "$LIBVIRT_SRC_VERSION"
"$TOP/ci/debs-lock.sh" check >/dev/null || bad=1
[ $bad = 0 ] || die "pinned versions are not served (see above); 'make rebase' moves a pin"
say "every pinned base and locked .deb is served"
