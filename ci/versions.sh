# shellcheck shell=sh
# The one place where the bases are pinned.  Sourced by ci/*.sh and read by
# the Makefile.  Bump a base here (version + checksum) and nowhere else.
#
# Checksums are SHA-256.  For linux-source-* the checksum is of the tarball the
# binary package installs under /usr/src (Debian's patched source).  For
# `apt-get source` packages it is of the .dsc, which itself carries the
# checksums of the orig and debian tarballs that dpkg-source verifies.

# Linux 6.1 (Debian 12): the base of kernel-patches/linux-6.1.
LINUX61_VERSION_MAJOR=6.1
LINUX61_DEB_VERSION=6.1.192-2
LINUX61_TARBALL=/usr/src/linux-source-6.1.tar.xz
LINUX61_SHA256=4d415b3d364834fd818270e88813e90323bbfce4f519a0e6bd4940ddcd7df693

# Linux 6.12 (Debian 12 security/backports): upstream nestedv2, the reference.
LINUX612_VERSION_MAJOR=6.12
LINUX612_DEB_VERSION=6.12.117-1~deb12u1
LINUX612_TARBALL=/usr/src/linux-source-6.12.tar.xz
LINUX612_SHA256=585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f

# QEMU 10.0 (bookworm-backports): the emulated PowerVM (L0).
QEMU_L0_DEB_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
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

# ppc64el runtime for the L1 initramfs (apt-get download + dpkg -x).
BUSYBOX_PPC64EL_VERSION=1:1.35.0-4+deb12u1+b1

CROSS_COMPILE=powerpc64le-linux-gnu-

# ppc64el perf (Debian 12's linux-perf) for the obs-check initramfs overlay
# (ci/perf-payload.sh; its libraries are bookworm's current ones).
PERF_PPC64EL_VERSION=6.1.176-1
# ppc64el bpftrace (Debian 12's 0.17) for the bpftrace-l1 initramfs overlay
# (ci/bpftrace-payload.sh; its libraries are bookworm's current ones).
BPFTRACE_PPC64EL_VERSION=0.17.0-1
