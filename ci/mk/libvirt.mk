# libvirt 9.0 (Debian 12) + libvirt-patches/libvirt-9.0: see docs/libvirt.md.
# Sources: build/src/libvirt-9.0 (git, tag "base"), objects:
# build/obj/libvirt-9.0, results: build/results/libvirt.
.PHONY: libvirt libvirt-prepare libvirt-quilt libvirt-build libvirt-test

## libvirt        libvirt 9.0: apply the series (git am + quilt check), build, run libvirt's suites
libvirt:
	ci/libvirt.sh all

## libvirt-prepare  libvirt 9.0 source tree with the series applied (build/src/libvirt-9.0)
libvirt-prepare:
	ci/libvirt.sh prepare

## libvirt-quilt  check the libvirt series applies with quilt and matches git am
libvirt-quilt:
	ci/libvirt.sh quilt

## libvirt-build  minimal meson build of libvirt 9.0 (tests, virsh, QEMU driver)
libvirt-build:
	ci/libvirt.sh build

## libvirt-test   run the libvirt suites + syntax-check into build/results/libvirt
libvirt-test:
	ci/libvirt.sh test

CHECK_PREP += libvirt
PYTEST_DIRS += tests/libvirt

## libvirt-each   build + test every prefix of the libvirt series (slow; not in check)
.PHONY: libvirt-each
libvirt-each:
	ci/libvirt.sh each

## libvirt-stock-hazard  what Debian's stock libvirt 9.0 does with <nested-papr/> (root; downloads its .debs; not in check)
.PHONY: libvirt-stock-hazard
libvirt-stock-hazard:
	ci/libvirt-stock-hazard.sh

# End to end: a private virtqemud from the build above, driven by virsh
# (define, start, wait for the L1 to power off, undefine) with the emulated
# PowerVM domain of tests/libvirt/e2e/.  ~7 s per kernel on this box; needs
# the libvirt build, the L1 kernels and the initramfs (make check builds them
# first: this comes after them in CHECK_PREP).  See docs/libvirt.md.
E2E_KERNELS ?= ref ours
.PHONY: e2e-virsh
## e2e-virsh      virsh define/start/undefine of an emulated PowerVM with our libvirt (E2E_KERNELS="ref ours")
e2e-virsh:
	ci/libvirt-e2e.sh $(E2E_KERNELS)

CHECK_PREP += e2e-virsh
