#!/usr/bin/env bash
# Install everything the nestedv2 pipeline needs on a Debian 12 (bookworm) x86_64 box.
#
# Idempotent: a second run installs nothing and finishes in seconds.
# Only bookworm and bookworm-backports are used; backports packages are
# installed explicitly with -t bookworm-backports.  The ppc64el architecture
# is added for `apt-get download` of target runtime files (busybox-static,
# ...), never for installing ppc64el packages on the host.  The bases
# (kernel and QEMU/libvirt sources, ppc64el .debs) are not installed here:
# the build steps fetch them by exact version into ~/.cache/nestedv2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=ci/versions.sh
. "$here/versions.sh"

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf 'deps: %s\n' "$*"; }

apt_update() {
	local i log=/tmp/nestedv2-apt-update.log
	for i in 1 2 3 4 5; do
		if $SUDO apt-get update -q -o Acquire::Retries=3 >"$log" 2>&1; then
			return 0
		fi
		# Only ppc64el indexes failing (seen: the security suite's ppc64el
		# index mid-sync) does not matter: the target files we download come
		# from bookworm main, which fetch-target.sh checks.
		if ! grep -E '^(E|Err):' "$log" | grep -vE 'ppc64el|Some index files failed' | grep -q .; then
			[ "$i" -lt 3 ] || { log "warning: only ppc64el indexes failed; continuing"; return 0; }
		fi
		log "apt-get update failed (try $i), retrying in $((i * 5))s"
		grep -E '^(E|Err):' "$log" | head -3 >&2
		sleep $((i * 5))
	done
	log "apt-get update kept failing; see $log"
	return 1
}

need_update=0

# 1. bookworm-backports (binary + source) and bookworm deb-src, on the
#    archives this machine already uses (ci/apt-sources.sh names no mirror).
bp=/etc/apt/sources.list.d/nestedv2-bookworm.sources
want=$("$here/apt-sources.sh")
if [ "$(cat "$bp" 2>/dev/null)" != "$want" ]; then
	log "writing $bp (bookworm-backports, deb-src) from this machine's apt sources"
	printf '%s\n' "$want" | $SUDO tee "$bp" >/dev/null
	need_update=1
fi

# 2. ppc64el as a foreign architecture (for apt-get download only).
if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then
	log "adding foreign architecture ppc64el"
	$SUDO dpkg --add-architecture ppc64el
	need_update=1
fi

# Refresh the lists when they are missing or older than a day.  NESTEDV2_APT_UPDATE=1
# forces it (after `make rebase`, or when a pin "is not served").
stamp=/var/lib/apt/periodic/nestedv2-update-stamp
if [ $need_update = 1 ] || [ "${NESTEDV2_APT_UPDATE:-0}" = 1 ] || [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
	apt_update
	$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi

# 3. Host packages: every area lists its own in ci/deps.d/*.list.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
main_pkgs=() bpo_pkgs=()
while read -r line; do
	line=${line%%#*}
	line=$(echo $line)
	[ -n "$line" ] || continue
	case $line in
	bpo:*) p=$(echo ${line#bpo:}); installed "$p" || bpo_pkgs+=("$p") ;;
	*) installed "$line" || main_pkgs+=("$line") ;;
	esac
done < <(cat "$here"/deps.d/*.list)
if [ ${#main_pkgs[@]} -gt 0 ]; then
	log "installing from bookworm: ${main_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${main_pkgs[@]}"
fi
# 4. From bookworm-backports, explicitly (meson, ...).
if [ ${#bpo_pkgs[@]} -gt 0 ]; then
	log "installing from bookworm-backports: ${bpo_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		-t bookworm-backports "${bpo_pkgs[@]}"
fi
# Debian's qemu-system-ppc of the pinned L0 version, only as a tool for
# libvirt's virsh tests (tests/libvirt); the L0 we boot is built from source.
# Installed at exactly that version when absent; another installed version is
# left alone (never upgraded or downgraded) and the tests say so.
if ! installed qemu-system-ppc; then
	log "installing qemu-system-ppc=$QEMU_L0_DEB_VERSION (bookworm-backports)"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		-t bookworm-backports "qemu-system-ppc=$QEMU_L0_DEB_VERSION" \
		"qemu-system-common=$QEMU_L0_DEB_VERSION" "qemu-system-data=$QEMU_L0_DEB_VERSION"
fi

# 5. Every pinned base and locked .deb is still served (one clear error
#    naming the newest version and `make rebase` otherwise).  Nothing is
#    compared with what the host has installed.
"$here/check-versions.sh"

# 6. Target (ppc64el) runtime files, unpacked with dpkg -x, never installed.
"$here/fetch-target.sh"

# 7. tracefs, for nvlat's live tests on this host (tests/tools/test_live.py):
#    a freshly booted box may not have it mounted.
if [ -d /sys/kernel/tracing ] && [ ! -d /sys/kernel/tracing/events ]; then
	if $SUDO mount -t tracefs nodev /sys/kernel/tracing; then
		log "mounted tracefs on /sys/kernel/tracing"
	else
		log "warning: tracefs is not mounted and mounting it failed; nvlat's live tests will fail"
	fi
fi

log "ok"
