# The LPAR image (issue 13): a Debian 12 ppc64el system booted in the
# emulated PowerVM, where virsh manages L2 guests (docs/admin.md).

.PHONY: lpar-kernel lpar-lock lpar-image lpar lpar-scenario qemu72-deb nvlat-deb \
	lpar-image-kernels lpar-bench lpar-bench-xics

## lpar-kernel    the interim LPAR kernel: 6.1 + series, lean + ci/configs/lpar-interim.config, with modules
lpar-kernel:
	ci/lpar-kernel.sh

## lpar-lock      resolve ci/lpar/packages.list afresh and rewrite ci/lpar/packages.lock (commit it)
lpar-lock:
	ci/lpar-image.sh lock

## qemu72-deb     our QEMU 7.2 as a ppc64el qemu-system-ppc .deb (+nestedv2.N, lintian clean) -> build/deb/qemu/, build/results/qemu72-deb.txt
qemu72-deb:
	ci/qemu72.sh build
	ci/qemu72-deb.sh build

## nvlat-deb      nvlat as its own ppc64el .deb (man page; lintian clean) -> build/deb/nvlat/, build/results/nvlat-deb.txt
nvlat-deb:
	ci/nvlat-deb.sh build

# The scenario's DEXCR/HASHKEYR payload (tests/qemu72/baremetal), in both images.
.PHONY: lpar-migcheck
lpar-migcheck:
	ci/qemu72.sh baremetal

## lpar-image     the bookworm ppc64el LPAR disk image (mmdebstrap; our .debs over Debian's; cached by its inputs) -> build/lpar/lpar.img
lpar-image: lpar-kernel qemu72-deb nvlat-deb libvirt-deb lpar-migcheck
	ci/lpar-image.sh build

## lpar-image-kernels  lpar-image plus the packaged kernels in /boot: Debian's 6.12 and ours (make kernel-deb) -> build/lpar-kernels/
# In make check: the LPAR of the scenario boots our kernel package from
# this image.  Installing the two kernels makes their initramfs under
# qemu-user (~12 min each, cached: a new kernel of ours redoes its own).
lpar-image-kernels: lpar-kernel qemu72-deb nvlat-deb libvirt-deb lpar-migcheck kernel-deb
	LPAR_IMAGE=kernels ci/lpar-image.sh build

# lpar_bench VARIANT ('' or xics): both kernels, each whatever the other
# did (a missing run is then an error of lpar-bench.py, naming it), then the
# table.
define lpar_bench
-ci/lpar.sh bench ref $(1)
-ci/lpar.sh bench ours $(1)
ci/lpar-bench.py $(if $(1),--variant $(1) )--markdown $(RESULTS)/lpar-bench$(if $(1),-$(1)).md
endef

## lpar-bench     ours vs Debian's 6.12 in the same LPAR image: L2 boot, exits and L1->L0 hcalls per boot and per 4 KiB O_DIRECT read -> build/results/lpar-bench.md
# Not part of make check (two more LPAR boots, ~10 min); LPAR_BENCH_ROUNDS=3.
# docs/performance.md "The LPAR: ours vs 6.12 under virsh".
lpar-bench: lpar-image-kernels $(L0_BIN)
	$(call lpar_bench,)

## lpar-bench-xics the same with the L2 on XICS (ic-mode=xics): the in-kernel XICS of both kernels -> build/results/lpar-bench-xics.md
lpar-bench-xics: lpar-image-kernels $(L0_BIN)
	$(call lpar_bench,xics)

# LPAR_KERNEL: the L1 kernel of make lpar and make lpar-scenario: ours (make
# kernel-deb's package of Debian's config, from the image's /boot), ref
# (Debian's 6.12, upstream nestedv2) or interim (the lean kernel with
# modules of make lpar-kernel, loaded by the L0; the image without the
# packaged kernels).
LPAR_KERNEL ?= ours
LPAR_IMAGE_OF = $(if $(filter interim,$(LPAR_KERNEL)),lpar-image,lpar-image-kernels)

## lpar           boot the LPAR image in the emulated PowerVM with a console login (root, no password) to try virsh
lpar: $(LPAR_IMAGE_OF) $(L0_BIN)
	LPAR_KERNEL=$(LPAR_KERNEL) ci/lpar.sh console

## lpar-scenario  boot the LPAR image and run the scripted virsh scenario (TAP) -> build/results/lpar-scenario.tap
lpar-scenario: $(LPAR_IMAGE_OF) $(L0_BIN)
	LPAR_KERNEL=$(LPAR_KERNEL) ci/lpar.sh scenario

# In make check: warm, kernel-deb and lpar-image-kernels take seconds and
# the scenario ~5 min (20 s of it the L2 lifecycle, 3 min the 20 cycles);
# cold, Debian's full config takes ~3 h to build and the image's packages
# took 39 min of mmdebstrap on the loaded 2-core box (docs/ci.md).
CHECK_PREP += qemu72-deb nvlat-deb libvirt-deb kernel-deb lpar-image-kernels lpar-scenario
PYTEST_DIRS += tests/lpar


## lpar-lock-check  the archive still serves every version in ci/lpar/packages.lock (mmdebstrap --simulate, ~20 s)
.PHONY: lpar-lock-check
lpar-lock-check:
	ci/lpar-image.sh check-lock

# libvirt 9.0 for the LPAR: the image installs these over Debian's libvirt
# (LPAR_LIBVIRT=ours, ci/lpar-image.sh), so the scenario's virsh talks to
# our libvirt (docs/packaging.md "libvirt 9.0 for the LPAR").
.PHONY: libvirt-deb
## libvirt-deb    our libvirt 9.0 as ppc64el .debs: libvirt0, -clients, -daemon, -daemon-driver-qemu, -daemon-system (+nestedv2.N, cross-built with Debian's configure options, lintian clean, apt-installed in a ppc64el root) -> build/deb/libvirt/
libvirt-deb:
	ci/libvirt-deb.sh all
