#!/usr/bin/env bash
# Verify that the installed bases are the pinned ones (ci/versions.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bad=0
pin() { # package pinned-version
	local have
	have=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)
	if [ "$have" != "$2" ]; then
		say "$1: installed '${have:-none}', pinned '$2' (ci/versions.sh)"
		bad=1
	fi
}
pin "linux-source-$LINUX61_VERSION_MAJOR" "$LINUX61_DEB_VERSION"
pin "linux-source-$LINUX612_VERSION_MAJOR" "$LINUX612_DEB_VERSION"
pin qemu-system-ppc "$QEMU_L0_DEB_VERSION"
[ $bad = 0 ] || die "installed versions differ from the pins: install the pinned ones or bump ci/versions.sh"
check_sha256 "$LINUX61_TARBALL" "$LINUX61_SHA256"
check_sha256 "$LINUX612_TARBALL" "$LINUX612_SHA256"
