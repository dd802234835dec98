#!/usr/bin/env bash
# Download ppc64el runtime packages for the L1 initramfs and unpack them with
# dpkg -x into build/target/<pkg>.  Nothing is installed on the host.
# The .debs are cached in ~/.cache/nestedv2/debs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fetch() { # package version
	local pkg=$1 ver=$2 deb dest=$BUILD/target/$1
	mkdir -p "$CACHE/debs"
	# apt-get download writes the epoch's colon as %3a.
	deb=$CACHE/debs/${pkg}_${ver/:/%3a}_ppc64el.deb
	if [ ! -f "$deb" ]; then
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root \
			"$pkg:ppc64el=$ver" >/dev/null) ||
			die "apt-get download $pkg:ppc64el=$ver failed (is ppc64el added and the list fresh? run 'make deps')"
	fi
	if [ ! -f "$dest/.deb" ] || [ "$(cat "$dest/.deb")" != "$(basename "$deb")" ]; then
		rm -rf "$dest"
		mkdir -p "$dest"
		dpkg -x "$deb" "$dest"
		basename "$deb" >"$dest/.deb"
	fi
}
fetch busybox-static "$BUSYBOX_PPC64EL_VERSION"
