#!/usr/bin/env bash
# make libvirt-deb: our libvirt 9.0 (Debian's 9.0.0-4+deb12u2 source with
# Debian's patches and libvirt-patches/libvirt-9.0) as installable ppc64el
# packages for the LPAR, apt preferring them over Debian's (issue 13).
#
#   ci/libvirt-deb.sh sysroot  build/sysroot/libvirt-ppc64el: the ppc64el
#                              libraries and headers Debian's build links
#                              (ci/debs.lock; dpkg -x, never installed)
#   ci/libvirt-deb.sh build    cross build with Debian's configure options
#                              (debian/rules) and meson install into a stage
#   ci/libvirt-deb.sh debs     the five packages -> build/deb/libvirt/*.deb,
#                              build/results/libvirt-deb.txt (dpkg-deb -I,
#                              what came from where, lintian)
#   ci/libvirt-deb.sh install  apt installs them over Debian's in the LPAR
#                              image's packages (chroot, qemu-user) ->
#                              build/results/libvirt-deb-install.txt
#   ci/libvirt-deb.sh paths    print the .debs' paths (after debs)
#   ci/libvirt-deb.sh all      sysroot, build, debs, install; or, when
#                              nothing that makes them changed, the packages
#                              and their reports from the package cache
#                              (~/.cache/nestedv2/debs-built/libvirt-KEY;
#                              LIBVIRT_DEB_CACHE=0 builds anyway)
#
# An honest subset, not a dpkg-buildpackage run (docs/packaging.md, "libvirt
# 9.0 for the LPAR", says why).  Debian's libvirt-daemon, -system and
# -clients depend on libvirt0 and libvirt-daemon-driver-qemu at exactly
# their own version, so the packages that carry code (libvirt0,
# libvirt-clients, libvirt-daemon, libvirt-daemon-driver-qemu) and
# libvirt-daemon-system, which ties them together, are rebuilt as one set:
#   - every file Debian's package holds that our build installs comes from
#     our build (all the ELF files: a Debian ELF file that our build does
#     not make is an error, so no Debian binary is mixed with ours);
#   - the rest (Debian's own files: maintainer scripts, debian/*.install
#     extras, man pages, docs, changelog) comes from Debian's package; a
#     file our series changes must come from our build (checked);
#   - the control fields are Debian's, with our version and the "= version"
#     dependencies inside the set moved to it.
# Debian's architecture-independent libvirt packages (config-network,
# config-nwfilter, system-systemd) are unchanged by the series and stay
# Debian's: libvirt-daemon-system's "= version" on them keeps Debian's
# version.
#
# Version: <Debian version>+nestedv2.<LIBVIRT_DEB_REV>; timestamps from
# SOURCE_DATE_EPOCH (the date of the series' last commit).  Not reproducible
# across checkout paths: libvirt's meson build compiles its source and build
# directories into libvirt.so (abs_top_builddir, the schema directory, for
# running from the build tree), so two clones give different bytes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LIBVIRT_DEB_REV=${LIBVIRT_DEB_REV:-1}
DEBVER=$LIBVIRT_SRC_VERSION
VERSION=$DEBVER+nestedv2.$LIBVIRT_DEB_REV
TRIPLET=powerpc64le-linux-gnu
CROSS=${CROSS_COMPILE:-$TRIPLET-}
SRC=$BUILD/src/libvirt-9.0
OBJ=$BUILD/obj/libvirt-9.0-ppc64el
SYSROOT=$BUILD/sysroot/libvirt-ppc64el
INST=$BUILD/tmp/libvirt-deb/inst
STAGE=$BUILD/tmp/libvirt-deb/stage
SERIES_DIR=$TOP/libvirt-patches/libvirt-9.0
OUT=$BUILD/deb/libvirt
RES=$BUILD/results
LOGDIR=$RES/libvirt-deb
MAINT='nestedv2 maintainers <maintainers@users.noreply.h-seed-112b9b78.example>'

# The binary packages of ours, and Debian's architecture-independent ones
# that stay Debian's.
PKGS=(libvirt0 libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system)

# What Debian's build links (debian/control Build-Depends, for the options
# below) and what their pkg-config files and links need, ppc64el.
SYSROOT_PKGS=(
	libc6 libc6-dev linux-libc-dev libgcc-s1 libcrypt1 libcrypt-dev
	libglib2.0-0 libglib2.0-dev libglib2.0-dev-bin libffi8 libffi-dev
	libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libpcre2-dev
	libmount1 libmount-dev libblkid1 libblkid-dev libuuid1 uuid-dev
	libselinux1 libselinux1-dev libsepol2 libsepol-dev
	zlib1g zlib1g-dev liblzma5 libzstd1 liblz4-1
	libxml2 libxml2-dev libicu72 libicu-dev
	libgnutls30 libgnutls28-dev libgmp10 libgmp-dev libgmpxx4ldbl
	libnettle8 libhogweed6 nettle-dev libtasn1-6 libtasn1-6-dev
	libidn2-0 libidn2-dev libunistring2 libp11-kit0 libp11-kit-dev
	libtirpc3 libtirpc-dev libnsl2 libnsl-dev libgssapi-krb5-2 libkrb5-3
	libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1
	libyajl2 libyajl-dev
	libacl1 libacl1-dev libattr1 libattr1-dev
	libaudit1 libaudit-dev libcap-ng0 libcap-ng-dev libcap2
	libnl-3-200 libnl-3-dev libnl-route-3-200 libnl-route-3-dev
	libnuma1 libnuma-dev
	libapparmor1 libapparmor-dev
	libssh2-1 libssh2-1-dev libssh-4 libssh-dev libssl3 libssl-dev
	libsasl2-2 libsasl2-dev
	libcurl3-gnutls libcurl4-gnutls-dev
	libudev1 libudev-dev libsystemd0 libdbus-1-3 libdbus-1-dev
	libpciaccess0 libpciaccess-dev
	libpcap0.8 libpcap0.8-dev
	libparted2 libparted-fs-resize0 libparted-dev
	libdevmapper1.02.1 libdevmapper-event1.02.1 libdevmapper-dev
	libreadline8 libreadline-dev libncurses6 libncursesw6 libtinfo6 libncurses-dev
	libgcrypt20 libgpg-error0 libstdc++6
	libbrotli1 libldap-2.5-0 libnghttp2-14 libpsl5 librtmp1
	systemtap-sdt-dev
)

# debian/rules' configure options for Linux (DEB_CONFIGURE_EXTRA_ARGS and
# the WITH_* of its linux branch), with these differences, each a package
# that is not ours (its module would not be installed) or a build-only
# output: docs (libvirt-doc; the man pages stay Debian's, and the series
# changes none: checked), tests (run by make libvirt on the build host),
# driver_lxc (libvirt-daemon-driver-lxc), login_shell (libvirt-login-shell),
# wireshark_dissector (wireshark-plugin-libvirt), sanlock (libvirt-sanlock),
# storage_rbd/gluster/iscsi_direct/zfs (libvirt-daemon-driver-storage-*), nss
# (libnss-libvirt).
MESON_OPTS=(
	--prefix=/usr --sysconfdir=/etc --localstatedir=/var
	--libdir="lib/$TRIPLET" --libexecdir=/usr/lib/libvirt
	--buildtype=plain --wrap-mode=nodownload -Dgit_werror=enabled
	-Drunstatedir=/run
	-Dpackager=Debian -Dpackager_version="$DEBVER"
	-Ddriver_qemu=enabled -Ddriver_libvirtd=enabled -Ddriver_remote=enabled
	-Dremote_default_mode=legacy -Ddriver_test=enabled -Ddriver_ch=disabled
	-Dqemu_user=libvirt-qemu -Dqemu_group=libvirt-qemu
	-Dqemu_moddir="/usr/lib/$TRIPLET/qemu" -Dqemu_datadir=/usr/share/qemu
	-Ddocs=disabled -Dtests=disabled
	-Ddriver_openvz=enabled -Dsasl=enabled -Dyajl=enabled
	-Dlibssh2=enabled -Dlibssh=enabled -Dpolkit=enabled -Dsanlock=disabled
	-Dudev=enabled -Dstorage_fs=enabled -Dstorage_dir=enabled
	-Dstorage_lvm=enabled -Dstorage_iscsi=enabled -Dstorage_iscsi_direct=disabled
	-Dstorage_disk=enabled -Dstorage_rbd=disabled -Dstorage_gluster=disabled
	-Dstorage_vstorage=disabled -Dstorage_zfs=disabled -Dstorage_mpath=enabled
	-Dstorage_scsi=enabled
	-Dinit_script=systemd -Dnumactl=enabled -Dnumad=enabled
	-Dselinux=enabled -Dsecdriver_selinux=enabled -Dselinux_mount=/sys/fs/selinux
	-Dapparmor=enabled -Dsecdriver_apparmor=enabled -Dapparmor_profiles=enabled
	-Ddriver_esx=enabled -Dcapng=enabled -Dlibnl=enabled -Ddriver_network=enabled
	-Dnetcf=disabled -Ddriver_libxl=disabled -Ddriver_vbox=disabled
	-Ddriver_lxc=disabled -Dlogin_shell=disabled -Ddtrace=enabled -Daudit=enabled
	-Dfirewalld=enabled -Dattr=enabled -Dnss=disabled -Dwireshark_dissector=disabled
)

# The programs libvirt's configure looks for, at the paths Debian's ppc64el
# build found them (read off its binaries' strings): the cross file's
# [binaries], so the build host needs none of them installed.
HOST_PROGRAMS=(
	mount=/bin/mount umount=/bin/umount mkfs=/sbin/mkfs showmount=/sbin/showmount
	udevadm=/bin/udevadm modprobe=/sbin/modprobe rmmod=/sbin/rmmod
	pvcreate=/sbin/pvcreate vgcreate=/sbin/vgcreate lvcreate=/sbin/lvcreate
	pvremove=/sbin/pvremove vgremove=/sbin/vgremove lvremove=/sbin/lvremove
	lvchange=/sbin/lvchange vgchange=/sbin/vgchange vgscan=/sbin/vgscan
	pvs=/sbin/pvs vgs=/sbin/vgs lvs=/sbin/lvs
	iscsiadm=/usr/bin/iscsiadm numad=/usr/bin/numad
	ebtables=/usr/sbin/ebtables iptables=/usr/sbin/iptables ip6tables=/usr/sbin/ip6tables
	dbus-daemon=/usr/bin/dbus-daemon qemu-pr-helper=/usr/bin/qemu-pr-helper
	qemu-bridge-helper=/usr/lib/qemu/qemu-bridge-helper
	vzctl=/usr/sbin/vzctl vzlist=/usr/sbin/vzlist vzmigrate=/usr/sbin/vzmigrate
	pkcheck=/usr/bin/pkcheck
)

do_sysroot() {
	build_sysroot "$SYSROOT" "$LOGDIR" "${SYSROOT_PKGS[@]}"
}

# dpkg-buildflags for ppc64el as debian/rules asks (bindnow, no
# -Bsymbolic-functions)
buildflag() { # CFLAGS|CPPFLAGS|LDFLAGS
	DEB_HOST_ARCH=ppc64el DEB_BUILD_MAINT_OPTIONS=hardening=+bindnow \
		DEB_LDFLAGS_MAINT_STRIP=-Wl,-Bsymbolic-functions dpkg-buildflags --get "$1"
}

cross_file() {
	local kv
	cat <<-EOF
		[binaries]
		c = ['ccache', '${CROSS}gcc']
		ar = '${CROSS}ar'
		strip = '${CROSS}strip'
		pkg-config = 'pkg-config'
	EOF
	for kv in "${HOST_PROGRAMS[@]}"; do
		printf "%s = '%s'\n" "${kv%%=*}" "${kv#*=}"
	done
	cat <<-EOF
		[properties]
		sys_root = '$SYSROOT'
		[host_machine]
		system = 'linux'
		cpu_family = 'ppc64'
		cpu = 'ppc64le'
		endian = 'little'
	EOF
}

pkgconfig_env() {
	export PKG_CONFIG=pkg-config
	export PKG_CONFIG_LIBDIR=$SYSROOT/usr/lib/$TRIPLET/pkgconfig:$SYSROOT/usr/share/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
	unset PKG_CONFIG_PATH
}

do_build() {
	local want log=$LOGDIR/build.log t0 cflags cppflags ldflags
	"$TOP/ci/libvirt.sh" prepare
	do_sysroot
	command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc missing: run 'make deps'"
	command -v dtrace >/dev/null || die "dtrace missing (systemtap-sdt-dev): run 'make deps'"
	mkdir -p "$LOGDIR"
	pkgconfig_env
	cross_file >"$LOGDIR/cross.ini"
	cppflags=$(buildflag CPPFLAGS)
	cflags="--sysroot=$SYSROOT $(buildflag CFLAGS) $cppflags"
	ldflags="--sysroot=$SYSROOT $(buildflag LDFLAGS)"
	want=$(printf '%s\n' "${MESON_OPTS[@]}" "$cflags" "$ldflags" "$(cat "$LOGDIR/cross.ini")" \
		"$(cat "$SYSROOT/.nestedv2-stamp")" | sha256sum | cut -d' ' -f1)
	t0=$(date +%s)
	if ! stamp_ok "$OBJ/.nestedv2-configure" "$want" || [ ! -f "$OBJ/build.ninja" ]; then
		say "configuring $OBJ (log: $LOGDIR/configure.log)"
		rm -rf "$OBJ"
		mkdir -p "$(dirname "$OBJ")"
		CFLAGS=$cflags LDFLAGS=$ldflags nice -n 10 meson setup "$OBJ" "$SRC" \
			--cross-file "$LOGDIR/cross.ini" "${MESON_OPTS[@]}" >"$LOGDIR/configure.log" 2>&1 ||
			{ tail -20 "$LOGDIR/configure.log" >&2; die "meson setup failed (log: $LOGDIR/configure.log)"; }
		echo "$want" >"$OBJ/.nestedv2-configure"
	fi
	say "building $OBJ (log: $log)"
	# dtrace -G compiles its probe objects with meson's compiler and $CFLAGS
	CFLAGS="--sysroot=$SYSROOT" nice -n 10 ninja -C "$OBJ" -j "$JOBS" >"$log" 2>&1 ||
		{ tail -30 "$log" >&2; die "ninja failed (log: $log)"; }
	rm -rf "$INST"
	DESTDIR=$INST meson install -C "$OBJ" --no-rebuild >"$LOGDIR/install.log" 2>&1 ||
		{ tail -20 "$LOGDIR/install.log" >&2; die "meson install failed (log: $LOGDIR/install.log)"; }
	say "built and installed into $INST in $(($(date +%s) - t0))s"
}

# Files the series adds that Debian's packages cannot list: PACKAGE PATH.
ADDED=(
	"libvirt0 usr/share/libvirt/cpu_map/ppc64_POWER11.xml"
)

deb_path() { echo "$OUT/${1}_${VERSION}_$(dpkg-deb -f "$(debian_deb "$1")" Architecture).deb"; }
debian_deb() { locked_deb "$1" ppc64el; }
needed() { "${CROSS}readelf" -d "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]/\1/p' | sort; }
is_elf() { [ ! -L "$1" ] && [ "$(head -c4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# ours PATH: our build's file for Debian's PATH (dh installs units under
# /lib, meson under /usr/lib), or nothing
ours() {
	local f=$1
	if [ -e "$INST/$f" ] || [ -L "$INST/$f" ]; then
		echo "$INST/$f"
	elif [ "${f#lib/}" != "$f" ] && { [ -e "$INST/usr/$f" ] || [ -L "$INST/usr/$f" ]; }; then
		echo "$INST/usr/$f"
	fi
}

# stage PKG: Debian's package unpacked, its files replaced by ours
stage() {
	local pkg=$1 root=$STAGE/$1 f o n_ours=0 n_deb=0 a
	rm -rf "$root"
	dpkg-deb -R "$(debian_deb "$pkg")" "$root"
	while IFS= read -r -d '' f; do
		f=${f#"$root"/}
		o=$(ours "$f")
		if [ -n "$o" ]; then
			# Debian's mode (dh_fixperms: libraries 0644)
			local mode
			mode=$(stat -c %a "$root/$f")
			rm -f "$root/$f"
			cp -P "$o" "$root/$f"
			[ -L "$root/$f" ] || chmod "$mode" "$root/$f"
			if is_elf "$root/$f"; then
				case $f in
				*.so | *.so.*) "${CROSS}strip" --remove-section=.comment --remove-section=.note --strip-unneeded "$root/$f" ;;
				*) "${CROSS}strip" --remove-section=.comment --remove-section=.note "$root/$f" ;;
				esac
				local dn on
				dn=$(dpkg-deb --fsys-tarfile "$(debian_deb "$pkg")" | tar -xO "./$f" 2>/dev/null >"$STAGE/elf.tmp" && needed "$STAGE/elf.tmp")
				on=$(needed "$root/$f")
				[ -z "$(comm -13 <(echo "$dn") <(echo "$on"))" ] ||
					die "$f of ours links $(comm -13 <(echo "$dn") <(echo "$on") | paste -sd' '), which Debian's does not (Depends would not cover it)"
			fi
			echo "ours   $pkg /$f"
			n_ours=$((n_ours + 1))
		else
			is_elf "$root/$f" && die "Debian's $pkg has /$f, which our build does not make (a configure option differs from debian/rules?)"
			echo "debian $pkg /$f"
			n_deb=$((n_deb + 1))
		fi
	done < <(find "$root" -path "$root/DEBIAN" -prune -o \( -type f -o -type l \) -print0 | sort -z) >>"$STAGE/origin.txt"
	for a in "${ADDED[@]}"; do
		[ "${a%% *}" = "$pkg" ] || continue
		f=${a#* }
		[ -f "$INST/$f" ] || die "our build did not install $f"
		cp -P "$INST/$f" "$root/$f"
		echo "added  $pkg /$f" >>"$STAGE/origin.txt"
		n_ours=$((n_ours + 1))
	done
	say "$pkg: $n_ours files from our build, $n_deb of Debian's kept"
}

# control PKG SDE: Debian's control with our version, maintainer and
# in-set dependencies; md5sums; the changelog entry
control() {
	local pkg=$1 sde=$2 root=$STAGE/$1 c=$STAGE/$1/DEBIAN/control p doc
	doc=$root/usr/share/doc/$pkg
	if [ -f "$doc/changelog.Debian.gz" ] && [ ! -L "$doc" ]; then
		{
			printf '%s (%s) bookworm; urgency=medium\n\n' libvirt "$VERSION"
			printf '  * nestedv2: KVM guests in a PowerVM LPAR (KVM on PowerVM).  The patches\n'
			printf '    of libvirt-patches/libvirt-9.0 on top of Debian'"'"'s, in this order:\n'
			series_patches_of "$SERIES_DIR" | while read -r p; do
				printf '    - %s\n' "$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\?//p' "$SERIES_DIR/$p" | head -n1)"
			done | fold -s -w 74 | sed 's/^\([^ ]\)/      \1/'
			printf '  * Rebuilt as a set: libvirt0, libvirt-clients, libvirt-daemon,\n'
			printf '    libvirt-daemon-driver-qemu, libvirt-daemon-system.\n'
			printf '\n -- %s  %s\n\n' "$MAINT" "$(date -u -R -d "@$sde")"
			gzip -dc "$doc/changelog.Debian.gz"
		} | gzip -9n >"$doc/changelog.Debian.gz.new"
		mv "$doc/changelog.Debian.gz.new" "$doc/changelog.Debian.gz"
	fi
	sed -i -e "s/^Version: .*/Version: $VERSION/" \
		-e "s/^Maintainer: .*/Maintainer: $MAINT/" \
		-e "s/^Installed-Size: .*/Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)/" "$c"
	for p in "${PKGS[@]}"; do
		sed -i "/^\(Pre-\)\?Depends:/s/\b$p (= $DEBVER)/$p (= $VERSION)/g" "$c"
	done
	(
		cd "$root"
		find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
			grep -vxF -f <(sed 's|^/||' DEBIAN/conffiles 2>/dev/null || true) | xargs -r md5sum
	) >"$root/DEBIAN/md5sums"
	find "$root" -path "$root/DEBIAN" -prune -o \( -type f -o -type l \) -print0 | xargs -0 touch -h -d "@$sde"
	touch -d "@$sde" "$root/DEBIAN"/*
}

series_patches_of() { grep -v '^#' "$1/series" | sed '/^$/d'; }

do_debs() {
	local sde p deb
	[ -f "$INST/usr/lib/$TRIPLET/libvirt.so.0" ] || die "$INST missing: run '$0 build' first"
	for f in $(git -C "$SRC" diff --name-only base HEAD -- docs/manpages); do
		die "the series changes $f: the man pages would have to come from our build (-Ddocs)"
	done
	sde=$(git -C "$TOP" log -1 --format=%ct -- libvirt-patches/libvirt-9.0 ci/libvirt-deb.sh 2>/dev/null || true)
	[ -n "$sde" ] || sde=$(stat -c %Y "$SERIES_DIR/series")
	export SOURCE_DATE_EPOCH=$sde
	rm -rf "$STAGE" "$OUT"
	mkdir -p "$STAGE" "$OUT" "$LOGDIR"
	: >"$STAGE/origin.txt"
	for p in "${PKGS[@]}"; do
		stage "$p"
		control "$p" "$sde"
		deb=$(deb_path "$p")
		dpkg-deb --root-owner-group -Zxz --build "$STAGE/$p" "$deb" >/dev/null ||
			die "dpkg-deb --build of $(basename "$deb") failed"
		dpkg --compare-versions "$VERSION" gt "$DEBVER" || die "$VERSION does not sort above $DEBVER"
	done
	cp "$STAGE/origin.txt" "$LOGDIR/origin.txt"
	symbols_report >"$LOGDIR/symbols.txt"
	report
	rm -rf "$STAGE"
}

# Our libraries export what Debian's do, and what the series adds.
symbols_report() {
	local l a b
	for l in libvirt.so.0 libvirt-qemu.so.0 libvirt-admin.so.0 libvirt-lxc.so.0; do
		# the file the soname link points to (tar -xO of a link gives nothing)
		l=$(basename "$(readlink -f "$STAGE/libvirt0/usr/lib/$TRIPLET/$l")")
		a=$(dpkg-deb --fsys-tarfile "$(debian_deb libvirt0)" | tar -xO "./usr/lib/$TRIPLET/$l" >"$STAGE/a.so" &&
			"${CROSS}nm" -D --defined-only "$STAGE/a.so" | awk '{ print $3 }' | sort -u)
		b=$("${CROSS}nm" -D --defined-only "$STAGE/libvirt0/usr/lib/$TRIPLET/$l" | awk '{ print $3 }' | sort -u)
		printf '%s: Debian %d symbols, ours %d, missing %d, added %d %s\n' "$l" \
			"$(wc -l <<<"$a")" "$(wc -l <<<"$b")" "$(comm -23 <(echo "$a") <(echo "$b") | grep -c . || true)" \
			"$(comm -13 <(echo "$a") <(echo "$b") | grep -c . || true)" "$(comm -13 <(echo "$a") <(echo "$b") | paste -sd' ')"
		[ -z "$(comm -23 <(echo "$a") <(echo "$b"))" ] ||
			die "our $l lacks Debian's $(comm -23 <(echo "$a") <(echo "$b") | head -5 | paste -sd' ')"
	done
}

report() {
	local p
	: >"$RES/libvirt-deb.txt"
	for p in "${PKGS[@]}"; do
		deb_report "$(deb_path "$p")" "$LOGDIR/$p.txt" "$VERSION > $DEBVER (Debian's)"
		cat "$LOGDIR/$p.txt" >>"$RES/libvirt-deb.txt"
	done
	{
		echo "== files: from our build / Debian's kept / added by the series"
		awk '{ n[$2 " " $1]++ } END { for (k in n) print k, n[k] }' "$LOGDIR/origin.txt" | sort
		echo "== Debian's files kept (not built with -Ddocs=disabled, or Debian's own)"
		awk '$1 == "debian" { print $2, $3 }' "$LOGDIR/origin.txt"
		echo "== exported symbols"
		cat "$LOGDIR/symbols.txt"
	} >>"$RES/libvirt-deb.txt"
}

# install: apt installs the five packages over Debian's in the LPAR image's
# package layer (a bookworm ppc64el root with Debian's libvirt 9.0; chroot
# through qemu-user-static) -> build/results/libvirt-deb-install.txt
do_install() {
	local base root=$BUILD/tmp/libvirt-deb/root res=$RES/libvirt-deb-install.txt p rc=0
	base=$("$TOP/ci/lpar-image.sh" base)
	"$TOP/ci/binfmt-ppc64le.sh" >/dev/null
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xf "$base"
	mkdir -p "$root/tmp/debs"
	for p in "${PKGS[@]}"; do cp "$(deb_path "$p")" "$root/tmp/debs/"; done
	mount --bind /proc "$root/proc"
	{
		# shellcheck disable=SC2016 # dpkg-query formats
		echo "== before: $(chroot "$root" dpkg-query -W -f '${Package} ${Version}, ' "${PKGS[@]}")"
		echo "== apt-get install /tmp/debs/*.deb (in $(basename "$base"))"
		chroot "$root" sh -c 'apt-get install -y /tmp/debs/*.deb' 2>&1 || rc=$?
		echo "== after"
		chroot "$root" dpkg-query -W -f '${Package} ${Version} ${Status}\n' "${PKGS[@]}" \
			libvirt-daemon-config-network libvirt-daemon-config-nwfilter libvirt-daemon-system-systemd
		echo "== virsh --version: $(chroot "$root" virsh --version)"
		echo "== libvirtd --version: $(chroot "$root" libvirtd --version)"
		echo "== apt-get check"
		chroot "$root" apt-get check 2>&1 || rc=$?
	} >"$res" 2>&1 || rc=$?
	umount "$root/proc"
	rm -rf "$root"
	[ "$rc" = 0 ] || { tail -20 "$res" >&2; die "apt could not install our libvirt packages (see $res)"; }
	say "installed with apt over Debian's libvirt ($res)"
}

# The package cache.  The key is everything that decides the packages and
# their reports: this script and what it sources or runs to build, the
# series, the source and locked package versions (the sysroot, Debian's
# packages), the compiler, meson, dpkg-buildflags, lintian and the LPAR
# package layer the install check uses.  A hit copies the five .debs and
# the reports into place: a warm make check does not rebuild what it built
# before (~90 s).  One entry is kept.
PCACHE=$CACHE/debs-built
pkg_key() {
	{
		echo "$VERSION"
		cat "$0" "$TOP/ci/lib.sh" "$TOP/ci/libvirt.sh" "$TOP/ci/debs.lock" "$TOP/ci/versions.sh"
		(cd "$SERIES_DIR" && find . -type f | LC_ALL=C sort | xargs sha256sum)
		"${CROSS}gcc" --version | head -n1
		meson --version
		# (dpkg-buildflags maps the working directory, the checkout, to
		# "."; the key must not change with the clone's path)
		{ buildflag CFLAGS; buildflag CPPFLAGS; buildflag LDFLAGS; } | sed "s|=$PWD=|=CHECKOUT=|g"
		dpkg-query -W -f '${Version}\n' lintian
		basename "$("$TOP/ci/lpar-image.sh" base)"
	} | sha256sum | cut -c1-16
}

do_all() {
	local ck p
	ck=$PCACHE/libvirt-$(pkg_key)
	if [ "${LIBVIRT_DEB_CACHE:-1}" != 0 ] && [ -f "$ck/done" ]; then
		rm -rf "$OUT" "$LOGDIR"
		mkdir -p "$OUT" "$LOGDIR"
		cp "$ck"/debs/*.deb "$OUT"/
		cp "$ck"/reports/* "$LOGDIR"/
		cp "$ck/libvirt-deb.txt" "$ck/libvirt-deb-install.txt" "$RES"/
		for p in "${PKGS[@]}"; do [ -f "$(deb_path "$p")" ] || die "$ck lacks $p"; done
		say "from the package cache ($ck, built $(date -r "$ck/done" '+%F %T'))"
		return
	fi
	do_build
	do_debs
	do_install
	[ "${LIBVIRT_DEB_CACHE:-1}" != 0 ] || return 0
	mkdir -p "$PCACHE"
	rm -rf "$ck.new" "$PCACHE"/libvirt-*
	mkdir -p "$ck.new/debs" "$ck.new/reports"
	cp "$OUT"/*.deb "$ck.new/debs/"
	cp "$LOGDIR"/*.txt "$ck.new/reports/"
	cp "$RES/libvirt-deb.txt" "$RES/libvirt-deb-install.txt" "$ck.new/"
	touch "$ck.new/done"
	mv "$ck.new" "$ck"
}

case ${1:-} in
install) do_install ;;
sysroot) do_sysroot ;;
build) do_build ;;
debs) do_debs ;;
paths) for p in "${PKGS[@]}"; do f=$(deb_path "$p"); [ -f "$f" ] || die "$f missing: run make libvirt-deb"; echo "$f"; done ;;
all) do_all ;;
*) die "usage: $0 sysroot|build|debs|paths|all" ;;
esac
