#!/usr/bin/env bash
# Download ppc64el runtime packages for the L1 initramfs and unpack them with
# dpkg -x into build/target/<pkg>.  Nothing is installed on the host.
# The .debs (exact versions from ci/debs.lock, checked) are cached in
# ~/.cache/nestedv2/debs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fetch() { # package: its locked ppc64el .deb unpacked into build/target/PACKAGE
	local pkg=$1 deb dest=$BUILD/target/$1
	deb=$(locked_deb "$pkg" ppc64el)
	if [ ! -f "$dest/.deb" ] || [ "$(cat "$dest/.deb")" != "$(basename "$deb")" ]; then
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg -x "$deb" "$dest"
		basename "$deb" >"$dest/.deb"
	fi
}
fetch busybox-static
