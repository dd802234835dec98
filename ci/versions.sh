# shellcheck shell=sh
# The one place where the bases are pinned.  Sourced by ci/*.sh and read by
# the Makefile.  Bump a base here (version + checksum) and nowhere else.
#
# Nothing here is installed on the host: ci/lib.sh fetches each base by
# exact version (apt-get download PKG=VER, apt-get source PKG=VER) into
# ~/.cache/nestedv2 and checks it against the SHA-256 below.  A version the
# archive no longer serves stops the run with one error that names the
# newest one; `make rebase BASE=... TO=latest|VERSION` moves a pin (and
# refreshes the series against it).
#
# Checksums are SHA-256: of the .deb (*_DEB_SHA256), of the tarball the
# linux-source .deb carries under /usr/src (*_SHA256: Debian's patched
# source, what the trees are made from), and of the .dsc for `apt-get
# source` packages (it carries the checksums of the orig and debian tarballs,
# which dpkg-source verifies).  The ppc64el .debs of sysroots and payloads
# are locked in ci/debs.lock.

# Linux 6.1 (Debian 12): the base of kernel-patches/linux-6.1.
LINUX61_VERSION_MAJOR=6.1
LINUX61_DEB_VERSION=6.1.192-3
LINUX61_DEB_SHA256=5259c57ca92092da39bd2ea803046da0e3c28f2b6a11ea20f6297468188ceb67
LINUX61_SHA256=cacdc3830989309d042083be3307969e55600ed7f908cf00df544c5ff50759a1
# Debian's `linux` source package of the same version (.dsc, from the signed
# Sources index): the packager's drop-in is checked on it
# (ci/debian-kernel.sh check).  Its debian/ patch queue and config are not in
# linux-source-6.1.
LINUX61_DSC_SHA256=935ea63f59b054c1b1f686f2ed5812c240ee7455959627157c872df57bd9c122
# When the archive's pool does not serve that source package (some mirrors
# serve bookworm-security's binaries but not its sources), the check uses
# bookworm's own 6.1 source package instead, says so in its results, and
# still applies our series to the pinned version's tree (ci/sources.sh quilt).
LINUX61_SRC_FALLBACK_VERSION=6.1.176-1
LINUX61_SRC_FALLBACK_DSC_SHA256=640124b35c5d7e32af9a9d536c47cfebf723fbb86bfbb25d0f2729b798bca35e
# Debian's powerpc64le kernel of the same version: its /boot/config is the
# base of the Debian-config L1 (ci/debian-kernel.sh config).  The package
# name carries Debian's ABI name, so it moves with the version.
LINUX61_IMAGE_PKG=linux-image-6.1.0-57-powerpc64le
LINUX61_IMAGE_DEB_SHA256=a7f6b388b01e2cb2f6969443b24c91919d31d62bde36af2a3f0dcd9379778023

# Linux 6.12 (Debian 12 security/backports): upstream nestedv2, the reference.
LINUX612_VERSION_MAJOR=6.12
LINUX612_DEB_VERSION=6.12.117-1~deb12u1
LINUX612_DEB_SHA256=e849faf31ca3555757f3a8877cb01af92122f744f75d1f3102734651c4e14703
LINUX612_SHA256=585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f
# Debian's own powerpc64le build of that version: the reference kernel of
# the LPAR image (make lpar-bench); its .deb is pinned in ci/debs.lock.
LINUX612_IMAGE_PKG=linux-image-6.12.117+deb12-powerpc64le

# QEMU 10.0 (bookworm-backports): the emulated PowerVM (L0), built from
# source; Debian's firmware for it (vof.bin: the +ds source strips blobs)
# from qemu-system-data of the same version.  Debian's own qemu-system-ppc
# binary of that version is installed on the host only for libvirt's virsh
# tests (tests/libvirt), never booted as the L0.
QEMU_L0_DEB_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
QEMU_L0_DATA_DEB_SHA256=2d831088187087013b3fcbd19bdfb955b182a2d5a08f6dafa0ad1c6d2007fb4e
QEMU_L0_SRC_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
QEMU_L0_DSC_SHA256=a9eec32b6ddeda8f7e3472b3e9662358a0a764fb2ba9551a8c158c012072bc96
# The .orig tarball (as listed in the signed Sources index): used alone when
# the mirror does not serve the backports .dsc/.debian.tar.xz (ci/qemu10.sh).
QEMU_L0_ORIG_SHA256=0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1

# QEMU 7.2 (Debian 12): the VMM inside the LPAR.
QEMU72_SRC_VERSION=1:7.2+dfsg-7+deb12u18
QEMU72_DSC_SHA256=6b6bd27b947ec89e40a1d6b26d9c9f3c698ca691da13163e0483f6061bbb20b3

# Debian's stock QEMU 7.2 ppc64el binary (the binNMU bookworm carries), the
# "unpatched" side of the migration check inside the L1 (ci/qemu72-e2e.sh).
STOCK_QEMU_VERSION=1:7.2+dfsg-7+deb12u18+b3
STOCK_QEMU_DEB_SHA256=b64cbd8b51ed4276ff8b8ca485843a92a0c2cf1c1fe87366932f7d9d46de2f56

# libvirt 9.0 (Debian 12).
LIBVIRT_SRC_VERSION=9.0.0-4+deb12u2
LIBVIRT_DSC_SHA256=4c6794d4af567cb984d1996a7c9f6b66102f5ccb81faffe2dcef8a95656a16f0


CROSS_COMPILE=powerpc64le-linux-gnu-

# The ppc64el runtime of the L1 initramfs (busybox-static), Debian's perf
# and bpftrace for its overlays, the libraries they need and the sysroots of
# the cross builds: exact versions and checksums in ci/debs.lock.
