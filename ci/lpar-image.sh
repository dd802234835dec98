#!/usr/bin/env bash
# The LPAR image (issue 13): a Debian 12 (bookworm) ppc64el root filesystem
# made by mmdebstrap, the maintainer scripts run through qemu-user-static
# (ci/binfmt-ppc64le.sh), with systemd, libvirt, QEMU, the observability
# tools and the interim LPAR kernel's modules (ci/lpar-kernel.sh); our QEMU
# 7.2 package (ci/qemu72-deb.sh) installed by apt over Debian's; an L2 disk
# (busybox, ci/lpar/l2).  Output: an ext4 disk image (raw, sparse).
#
#   ci/lpar-image.sh build   -> ~/.cache/nestedv2/lpar/VARIANT-KEY.img, linked
#                               from build/lpar/lpar.img (boots use it with
#                               snapshot=on or a copy: ci/lpar.sh).
#                               LPAR_IMAGE=kernels: the image with Debian's
#                               6.12 and our kernel package installed
#                               (build/lpar-kernels/{lpar.img,boot})
#   ci/lpar-image.sh lock    resolve ci/lpar/packages.list afresh (newest
#                            bookworm versions), write ci/lpar/packages.lock
#                            and keep that root as the base of the new lock
#   ci/lpar-image.sh check-lock
#                            apt resolves the locked versions from the
#                            archive (mmdebstrap --simulate, ~20 s): the lock
#                            is still served, without building anything
#   ci/lpar-image.sh key     print the image's cache key
#   ci/lpar-image.sh base    print the packages' tarball (made if missing):
#                            a pinned Debian 12 ppc64el system
#   ci/lpar-image.sh ref     print the first kernel layer's tarball (made if
#                            missing): base + Debian's 6.12 and its initramfs
#   ci/lpar-image.sh kern    the same for the second: + our kernel package
#
# Deterministic: `build` installs exactly the versions in
# ci/lpar/packages.lock (apt pins NAME=VERSION) and fails, naming the
# differences and `make lpar-lock`, when what got installed is not the lock.
# Cache levels (see bkey/kkey/key below): the packages (base-BKEY.tar), the
# packaged kernels (kern-KKEY.tar) and the image (VARIANT-KEY.img); a second
# build with the same inputs does nothing, and a kernel or overlay change
# reuses the packages.
#
# Package URIs: the machine's own apt sources (ci/apt-sources.sh --uri); the
# repository names no mirror.  Suites: bookworm, -updates, -security only.
# Downloaded .debs are kept in ~/.cache/nestedv2/lpar-debs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LPAR=$TOP/ci/lpar
LIST=$LPAR/packages.list
LOCK=$LPAR/packages.lock
KDIR=$BUILD/kernels/lpar
# the scenario's DEXCR/HASHKEYR save/restore payload (ci/qemu72.sh baremetal)
MIGCHECK=$BUILD/obj/qemu72-baremetal/migcheck.elf
# LPAR_IMAGE: check (make lpar-image: the interim kernel boots it, make
# check's scenario) or kernels (make lpar-image-kernels: the same plus the
# packaged kernels, Debian's 6.12 and ours, in /boot; make lpar-bench).
VARIANT=${LPAR_IMAGE:-check}
case $VARIANT in
check) OUT=$BUILD/lpar ;;
kernels) OUT=$BUILD/lpar-kernels ;;
*) die "LPAR_IMAGE=$VARIANT: check or kernels" ;;
esac
IMGCACHE=$CACHE/lpar
DEBCACHE=$CACHE/lpar-debs
T0=$SECONDS
step=0 nsteps=4
progress() { step=$((step + 1)); printf '[%d/%d] %s (%ds elapsed)\n' "$step" "$nsteps" "$*" "$((SECONDS - T0))" >&2; }

list_pkgs() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$LIST"; }

# Three levels, so a kernel or overlay change never reruns mmdebstrap:
#   base-BKEY.tar   the packages (mmdebstrap); BKEY: the lock, the list and
#                   BASE_REV (bump it when rootfs() or base_customize() change)
#   ref-RKEY.tar    LPAR_IMAGE=kernels only: base + initramfs-tools and
#                   Debian's 6.12 (ref_debs) installed by apt, its initramfs
#                   made under qemu-user (~12 min); RKEY: BKEY, those .debs,
#                   KERN_REV
#   kern-KKEY.tar   ref + our kernel package (our_kernel_deb) and its
#                   initramfs (~12 min): a new kernel of ours redoes only
#                   this layer; KKEY: RKEY, our .deb.  kern-KKEY.boot/: the
#                   two kernels' /boot files
#   VARIANT-KEY.img base or kern + modules + L2 kernel + ci/lpar/rootfs;
#                   KEY: BKEY or KKEY, those files and this script
BASE_REV=1 KERN_REV=1
bkey() { { echo "$BASE_REV"; sha256sum "$LOCK" "$LIST" | cut -d' ' -f1; } | sha256sum | cut -c1-16; }
rkey() {
	{
		bkey
		echo "$KERN_REV"
		ref_debs | xargs -r sha256sum | cut -d' ' -f1
	} | sha256sum | cut -c1-16
}
kkey() {
	{
		rkey
		our_kernel_deb | xargs -r sha256sum | cut -d' ' -f1
	} | sha256sum | cut -c1-16
}
key() {
	[ -f "$KDIR/modules.tar" ] || die "$KDIR/modules.tar missing: run ci/lpar-kernel.sh (make lpar-kernel) first"
	[ -f "$MIGCHECK" ] || die "$MIGCHECK missing: run ci/qemu72.sh baremetal first"
	{
		echo "$VARIANT"
		if [ "$VARIANT" = kernels ]; then kkey; else bkey; fi
		sha256sum "$0" "$KDIR/modules.tar" "$KDIR/vmlinux" "$MIGCHECK" | cut -d' ' -f1
		our_debs | xargs -r sha256sum | cut -d' ' -f1
		lock_get busybox-static ppc64el
		(cd "$LPAR/rootfs" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
		(cd "$LPAR/rootfs" && find . -printf '%p %m\n' | sort)
		(cd "$LPAR/l2" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -c1-16
}

sources() { # the mmdebstrap source lines, from the machine's apt sources
	local main sec
	main=$("$TOP/ci/apt-sources.sh" --uri bookworm)
	sec=$("$TOP/ci/apt-sources.sh" --uri bookworm-security 2>/dev/null) || sec=
	SRCS=("deb $main bookworm main" "deb $main bookworm-updates main")
	[ -z "$sec" ] || SRCS+=("deb $sec bookworm-security main")
}

pins() { grep -v '^#' "$LOCK" | awk '{print $1 "=" $2}' | paste -sd,; }

# rootfs INCLUDES TAR: the packages' root filesystem as a tarball, plus
# TAR.installed ("package version" of everything installed, sorted).
rootfs() {
	local include=$1 tar=$2
	sources
	mkdir -p "$DEBCACHE"
	rm -f "$tar" "$tar.installed"
	local rc=0 try
	# A mirror in the middle of a sync serves index files that do not
	# match the Release file: that is transient, so try again (3 times).
	for try in 1 2 3; do
		rc=0
		nice -n 10 mmdebstrap --mode=root --architectures=ppc64el --variant=essential \
			--include="$include" \
			--aptopt='APT::Install-Recommends "false"' \
			--skip=essential/unlink --skip=download/empty \
			--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
			--setup-hook="sync-in $DEBCACHE /var/cache/apt/archives/" \
			--customize-hook="sync-out /var/cache/apt/archives $DEBCACHE" \
			--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
			--customize-hook="$TOP/ci/lpar-image.sh base-customize \"\$1\"" \
			--customize-hook="chroot \"\$1\" dpkg-query -W -f='\${Package} \${Version}\n' >$tar.installed.tmp" \
			bookworm "$tar" "${SRCS[@]}" >"$tar.log" 2>&1 || rc=$?
		[ $rc != 0 ] && [ $try -lt 3 ] &&
			grep -qE 'Mirror sync in progress|Hash Sum mismatch|unexpected size' "$tar.log" || break
		say "mirror sync in progress (attempt $try, $tar.log); again in $((try * 60)) s"
		sleep $((try * 60))
	done
	if [ $rc != 0 ]; then
		grep -E '^(E|W):|rror' "$tar.log" | cut -c1-200 | tail -n 20 >&2
		die "mmdebstrap failed (log: $tar.log)"
	fi
	sort "$tar.installed.tmp" >"$tar.installed"
	rm -f "$tar.installed.tmp"
}

# base-customize ROOT (an mmdebstrap hook): what makes the packages an LPAR
# and does not depend on our files: fstab on the spapr-vscsi disk, a
# hostname, root without password on the console (an emulated LPAR on the
# developer's box; docs/admin.md says so), timers that would only burn TCG
# time masked, no machine-id (systemd makes one at first boot).
base_customize() {
	local r=$1 t
	printf '/dev/sda / ext4 rw,relatime 0 1\n' >"$r/etc/fstab"
	echo lpar >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 lpar\n::1 localhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
	chroot "$r" passwd -d root >/dev/null
	for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer \
		fstrim.timer dpkg-db-backup.timer e2scrub_reap.service; do
		ln -sfn /dev/null "$r/etc/systemd/system/$t"
	done
	: >"$r/etc/machine-id"
	rm -f "$r/var/lib/dbus/machine-id"
}

# The kernels an LPAR boots from its own disk, the Debian way (a kernel
# package, its initramfs made by initramfs-tools; ci/lpar.sh takes /boot's
# vmlinux and initrd from build/lpar-kernels/boot), in the image of
# LPAR_IMAGE=kernels (make lpar-bench): Debian's 6.12, the reference, and
# what it needs, pinned in ci/debs.lock (apt's closure of the two over the
# locked packages, `apt-get -s install` against the base's dpkg status),
# and ours, make kernel-deb's linux-image .deb.
BOOT_DEBS="linux-base:all libklibc:ppc64el klibc-utils:ppc64el cpio:ppc64el
	initramfs-tools-core:all initramfs-tools:all $LINUX612_IMAGE_PKG:ppc64el"
# ref_debs: Debian's, the first kernel layer; our_kernel_deb: ours, the second.
ref_debs() {
	local d
	for d in $BOOT_DEBS; do locked_deb "${d%:*}" "${d#*:}"; done
}
our_kernel_deb() {
	"$TOP/ci/kernel-deb.sh" path || die "no kernel .deb of ours: run make kernel-deb"
}
kernel_debs() {
	ref_debs
	our_kernel_deb
}

# our_debs: the .debs of ours that the image installs over Debian's.
# LPAR_LIBVIRT=ours (the default): our libvirt packages too (make
# libvirt-deb) over Debian's libvirt; =debian keeps Debian's (to compare).
our_debs() {
	local d
	for d in "$("$TOP/ci/qemu72-deb.sh" path)" "$("$TOP/ci/nvlat-deb.sh" path)"; do
		[ -f "$d" ] || die "$d missing: run make qemu72-deb nvlat-deb"
		echo "$d"
	done
	case ${LPAR_LIBVIRT:-ours} in
	debian) ;;
	ours) "$TOP/ci/libvirt-deb.sh" paths ;;
	*) die "LPAR_LIBVIRT=$LPAR_LIBVIRT: debian or ours" ;;
	esac
}

# install_debs ROOT LOG DEB...: apt installs the .debs in the root (the
# maintainer scripts run through qemu-user-static), offline: every
# dependency is already there; apt's output is appended to LOG.  Each must
# then be installed at its version; "package version" of each is appended
# to LOG.installed.
install_debs() {
	local r=$1 log=$2 d names=() p v rc=0
	shift 2
	mkdir -p "$r/tmp/nv2-debs"
	for d; do
		cp "$d" "$r/tmp/nv2-debs/"
		names+=("/tmp/nv2-debs/${d##*/}")
	done
	mount -t proc proc "$r/proc"
	chroot "$r" apt-get install -y --no-install-recommends \
		-o Dpkg::Use-Pty=0 "${names[@]}" >>"$log" 2>&1 || rc=$?
	umount "$r/proc"
	[ $rc = 0 ] || { tail -n 20 "$log" >&2; die "apt-get install of ${#names[@]} .debs failed in the image (log: $log)"; }
	for d; do
		p=$(dpkg-deb -f "$d" Package) v=$(dpkg-deb -f "$d" Version)
		[ "$(chroot "$r" dpkg-query -W -f='${Version}' "$p")" = "$v" ] ||
			die "$p is not at $v in the image after apt-get install (log: $log)"
		echo "$p $v" >>"$log.installed"
	done
	rm -rf "$r/tmp/nv2-debs"
}

# l2_disk FILE: the L2 guests' disk, a 64 MiB ext4 filesystem with Debian's
# busybox-static as the whole userland: busybox init runs ci/lpar/l2 (rcS:
# a console marker, DHCP on the NAT network, a boot log kept on the disk,
# a heartbeat) and, on the pseries power button, its shutdown actions.
l2_disk() {
	local f=$1 d=$OUT/l2root a
	rm -rf "$d"
	mkdir -p "$d"/{bin,sbin,etc/init.d,proc,sys,dev,tmp,run,var/lib/nv2,etc/udhcpc}
	dpkg-deb --fsys-tarfile "$(locked_deb busybox-static ppc64el)" | tar -C "$d" -x ./bin/busybox
	ln -s busybox "$d/bin/sh"
	for a in init poweroff reboot halt; do ln -s ../bin/busybox "$d/sbin/$a"; done
	install -m 0644 "$LPAR/l2/inittab" "$d/etc/inittab"
	install -m 0755 "$LPAR/l2/rcS" "$d/etc/init.d/rcS"
	install -m 0755 "$LPAR/l2/rcK" "$d/etc/init.d/rcK"
	install -m 0755 "$LPAR/l2/heartbeat" "$d/etc/init.d/heartbeat"
	install -m 0755 "$LPAR/l2/udhcpc.script" "$d/etc/udhcpc/default.script"
	echo nv2-l2 >"$d/etc/hostname"
	rm -f "$f"
	mke2fs -q -t ext4 -L nv2-l2 -E root_owner=0:0 -d "$d" "$f" 64M || die "mke2fs failed for $f"
	rm -rf "$d"
}

# boot_files ROOT DIR: each packaged kernel's /boot/vmlinux-R and its
# initrd.img-R, copied to DIR (next to the image in the cache); DIR/RELEASES
# names them, one a line.  A kernel without its initramfs is an error.
boot_files() {
	local r=$1 dir=$2 k rel
	rm -rf "$dir"
	mkdir -p "$dir"
	for k in "$r"/boot/vmlinux-*; do
		[ -f "$k" ] || continue
		rel=${k##*/vmlinux-}
		[ -f "$r/boot/initrd.img-$rel" ] || die "no /boot/initrd.img-$rel in the image (log: $OUT/kernel-debs.log)"
		cp "$k" "$r/boot/initrd.img-$rel" "$dir/"
		echo "$rel" >>"$dir/RELEASES"
	done
	[ -s "$dir/RELEASES" ] || die "no packaged kernel in the image's /boot"
	say "kernels in /boot: $(paste -sd' ' "$dir/RELEASES")"
}

# kern_layer BASETAR KTAR DEB...: BASETAR with the packaged kernels DEB...
# installed by apt (their postinst makes each initramfs) as KTAR, the /boot
# files of every kernel in it in KTAR.boot.
kern_layer() {
	local base=$1 ktar=$2 dir=$OUT/kroot d pre=() imgs=()
	shift 2
	rm -rf "$dir" "$OUT/kernel-debs.log.installed"
	mkdir -p "$dir"
	tar -C "$dir" --numeric-owner -xpf "$base"
	# initramfs-tools first, the kernels after: a kernel set up before
	# initramfs-tools is configured gets no initramfs (its hook is not
	# there yet, and the trigger that follows only updates the newest
	# kernel's).  Debian's images order this with their Depends; the
	# packages of the kernel's bindeb-pkg declare none (docs/packaging.md).
	for d; do
		case $(dpkg-deb -f "$d" Package) in
		linux-image-*) imgs+=("$d") ;;
		*) pre+=("$d") ;;
		esac
	done
	[ "${#pre[@]}" = 0 ] || install_debs "$dir" "$OUT/kernel-debs.log" "${pre[@]}"
	install_debs "$dir" "$OUT/kernel-debs.log" "${imgs[@]}"
	boot_files "$dir" "$ktar.boot.new"
	{
		[ ! -f "$base.boot/INSTALLED" ] || cat "$base.boot/INSTALLED"
		cat "$OUT/kernel-debs.log.installed"
	} >"$ktar.boot.new/INSTALLED"
	rm -f "$OUT/kernel-debs.log.installed"
	tar -C "$dir" --numeric-owner -cf "$ktar.new" .
	rm -rf "$dir" "$ktar.boot"
	mv "$ktar.boot.new" "$ktar.boot"
	mv "$ktar.new" "$ktar"
}

# assemble BASETAR IMG: base (or kern) + the interim kernel's modules + the
# L2 kernel and disk + our .debs + the overlay (ci/lpar/rootfs, its units
# enabled) as an ext4 filesystem, sized to the content plus room for L2
# disks and logs.
assemble() {
	local base=$1 img=$2 dir=$OUT/root mib u
	rm -rf "$dir" "$OUT/our-debs.log.installed"
	mkdir -p "$dir"
	tar -C "$dir" --numeric-owner -xpf "$base"
	# /lib is usrmerge's symlink to usr/lib: keep it (a plain extract would
	# replace it by a directory holding only the modules)
	tar -C "$dir" --numeric-owner --keep-directory-symlink -xpf "$KDIR/modules.tar"
	install -D -m 0644 "$KDIR/vmlinux" "$dir/usr/local/share/nv2/l2-vmlinux"
	install -m 0644 "$MIGCHECK" "$dir/usr/local/share/nv2/migcheck.elf"
	l2_disk "$dir/usr/local/share/nv2/l2-disk.img"
	# shellcheck disable=SC2046 # one .deb a word
	install_debs "$dir" "$OUT/our-debs.log" $(our_debs)
	mv "$OUT/our-debs.log.installed" "$OUT/our-debs.installed"
	[ "$VARIANT" != kernels ] || grep -e '-nestedv2 ' "$base.boot/INSTALLED" >>"$OUT/our-debs.installed"
	chroot "$dir" dpkg-query -W -f='${Package} ${Version}\n' | sort >"$OUT/lpar.installed"
	cp -a --no-preserve=ownership "$LPAR/rootfs/." "$dir/"
	for u in "$LPAR"/rootfs/etc/systemd/system/*.service; do
		[ -e "$u" ] || continue
		mkdir -p "$dir/etc/systemd/system/multi-user.target.wants"
		ln -sfn "/etc/systemd/system/${u##*/}" "$dir/etc/systemd/system/multi-user.target.wants/${u##*/}"
	done
	mib=$(du -sm "$dir" | cut -f1)
	mib=$((mib * 5 / 4 + 1024))
	rm -f "$img.new"
	mke2fs -q -t ext4 -L lpar-root -E root_owner=0:0 -d "$dir" "$img.new" "${mib}M" ||
		die "mke2fs failed for $img"
	mv "$img.new" "$img"
	rm -rf "$dir"
}

# base_tar TAR: the packages' tarball of the lock (made if missing).
base_tar() {
	local base=$1
	progress "binfmt: ppc64el through qemu-user-static"
	"$TOP/ci/binfmt-ppc64le.sh"
	if [ -f "$base" ]; then
		progress "packages: cached $base"
		return 0
	fi
	progress "mmdebstrap bookworm ppc64el: $(grep -vc '^#' "$LOCK") pinned packages (log: $OUT/base.tar.log)"
	rootfs "$(pins)" "$OUT/base.tar"
	if ! diff -u <(grep -v '^#' "$LOCK") "$OUT/base.tar.installed" >"$OUT/lock.diff"; then
		cat "$OUT/lock.diff" >&2
		die "installed packages differ from $LOCK (above); if the archive moved on, run make lpar-lock and commit the lock"
	fi
	find "$IMGCACHE" -name 'base-*.tar' -delete
	mv "$OUT/base.tar" "$base"
}

# ref_layer BASETAR: the first kernel layer's tarball (made if missing).
ref_layer() {
	local rt
	rt=$IMGCACHE/ref-$(rkey).tar
	if [ -f "$rt" ] && [ -s "$rt.boot/RELEASES" ]; then
		say "Debian's 6.12: cached $rt"
	else
		say "Debian's 6.12: apt-get install of $(ref_debs | wc -l) .debs, its initramfs by initramfs-tools under qemu-user (~12 min; log: $OUT/kernel-debs.log)"
		# shellcheck disable=SC2046 # one .deb a word
		kern_layer "$1" "$rt" $(ref_debs) >&2
		find "$IMGCACHE" -maxdepth 1 -name 'ref-*.tar*' ! -name "${rt##*/}*" -exec rm -rf {} +
	fi
	echo "$rt"
}

# kern_tar BASETAR: the second kernel layer's tarball (made if missing).
kern_tar() {
	local kt rt
	kt=$IMGCACHE/kern-$(kkey).tar
	if [ -f "$kt" ] && [ -s "$kt.boot/RELEASES" ]; then
		progress "kernels: cached $kt"
	else
		rm -f "$OUT/kernel-debs.log"
		rt=$(ref_layer "$1")
		progress "kernels: apt-get install of ours ($(basename "$(our_kernel_deb)")), its initramfs under qemu-user (~10 min; log: $OUT/kernel-debs.log)"
		kern_layer "$rt" "$kt" "$(our_kernel_deb)" >&2
		find "$IMGCACHE" -maxdepth 1 -name 'kern-*.tar*' ! -name "${kt##*/}*" -exec rm -rf {} +
	fi
	echo "$kt"
}

case ${1:-} in
base-customize)
	base_customize "$2"
	;;
key)
	key
	;;
base)
	mkdir -p "$OUT" "$IMGCACHE"
	base_tar "$IMGCACHE/base-$(bkey).tar" >&2
	echo "$IMGCACHE/base-$(bkey).tar"
	;;
ref)
	mkdir -p "$OUT" "$IMGCACHE"
	b=$(bkey)
	base_tar "$IMGCACHE/base-$b.tar" >&2
	ref_layer "$IMGCACHE/base-$b.tar"
	;;
kern)
	mkdir -p "$OUT" "$IMGCACHE"
	b=$(bkey)
	base_tar "$IMGCACHE/base-$b.tar" >&2
	kern_tar "$IMGCACHE/base-$b.tar"
	;;
check-lock)
	[ -f "$LOCK" ] || die "$LOCK missing: run make lpar-lock"
	sources
	mkdir -p "$OUT"
	if ! mmdebstrap --simulate --mode=root --architectures=ppc64el --variant=essential \
		--include="$(pins)" --aptopt='APT::Install-Recommends "false"' \
		bookworm /dev/null "${SRCS[@]}" >"$OUT/check-lock.log" 2>&1; then
		grep -E '^E: (Version|Unable|Package|Couldn)' "$OUT/check-lock.log" | cut -c1-200 | head -n 10 >&2
		die "the archive no longer serves $LOCK as locked (log: $OUT/check-lock.log); run make lpar-lock and commit the lock"
	fi
	say "ok: the archive serves all $(grep -vc '^#' "$LOCK") locked versions, $((SECONDS - T0))s"
	;;
lock)
	"$TOP/ci/binfmt-ppc64le.sh"
	mkdir -p "$OUT" "$IMGCACHE"
	work=$OUT/lock-base.tar
	say "resolving $(list_pkgs | wc -l) packages (and their dependencies) afresh (log: $work.log)"
	rootfs "$(list_pkgs | paste -sd,)" "$work"
	{
		echo "# The LPAR image's packages (ppc64el), exactly: ci/lpar-image.sh build"
		echo "# installs these versions and fails on any difference.  Generated by"
		echo "# \`make lpar-lock\` (ci/lpar-image.sh lock) from ci/lpar/packages.list."
		cat "$work.installed"
	} >"$LOCK.new"
	mv "$LOCK.new" "$LOCK"
	# That root is exactly the lock: it is the base of the new lock's key.
	mv "$work" "$IMGCACHE/base-$(bkey).tar"
	say "wrote $LOCK ($(grep -vc '^#' "$LOCK") packages), base $IMGCACHE/base-$(bkey).tar, $((SECONDS - T0))s"
	;;
build)
	[ -f "$LOCK" ] || die "$LOCK missing: run make lpar-lock"
	mkdir -p "$OUT" "$IMGCACHE"
	our_debs >/dev/null
	[ "$VARIANT" != kernels ] || { kernel_debs >/dev/null && nsteps=5; }
	progress "inputs: lock, kernel modules, our .debs, L2 disk, overlay"
	k=$(key) b=$(bkey)
	img=$IMGCACHE/$VARIANT-$k.img base=$IMGCACHE/base-$b.tar
	# (the kernels' image boots from the /boot files of its kern layer:
	# without them the image is made again, with them)
	kboot=
	[ "$VARIANT" != kernels ] || kboot=$IMGCACHE/kern-$(kkey).tar.boot
	if [ -f "$img" ] && { [ -z "$kboot" ] || [ -s "$kboot/RELEASES" ]; }; then
		ln -sfn "$img" "$OUT/lpar.img"
		[ -z "$kboot" ] || ln -sfn "$kboot" "$OUT/boot"
		say "cached: $img ($(du -h --apparent-size "$img" | cut -f1) apparent, $(du -h "$img" | cut -f1) used), $((SECONDS - T0))s"
		exit 0
	fi
	base_tar "$base"
	if [ "$VARIANT" = kernels ]; then
		kt=$(kern_tar "$base")
		step=$((step + 1)) # (its progress line was a subshell's)
		base=$kt
		ln -sfn "$kt.boot" "$OUT/boot"
	fi
	progress "ext4 image: ${base##*/} + modules $(cat "$KDIR/release" 2>/dev/null) + our .debs + L2 disk + ci/lpar/rootfs"
	assemble "$base" "$img"
	# One image a variant: older keys are dropped.
	find "$IMGCACHE" -maxdepth 1 -name "$VARIANT-*.img" ! -name "${img##*/}" -delete
	# (and the images of the scripts before the variants, lpar-KEY.img)
	find "$IMGCACHE" -maxdepth 1 -name 'lpar-*.img*' -exec rm -rf {} +
	ln -sfn "$img" "$OUT/lpar.img"
	say "done: $img ($(du -h --apparent-size "$img" | cut -f1) apparent, $(du -h "$img" | cut -f1) used), $((SECONDS - T0))s"
	;;
*)
	die "usage: $0 build|lock|check-lock|key|base|ref|kern"
	;;
esac
