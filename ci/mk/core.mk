# Core pipeline: kernel sources, L1 kernels, initramfs, harness boots, lint.

HARNESS := $(PYTHON) ci/harness.py
KERNELS := $(BUILD)/kernels
INITRAMFS := $(BUILD)/initramfs/l1.cpio.gz
# The L0: our patched QEMU 10.0 when it has been built (ci/mk/qemu10.mk sets
# L0_QEMU), else Debian's bookworm-backports binary.
L0_QEMU ?=
L0_BIN = $(if $(and $(L0_QEMU),$(wildcard $(L0_QEMU))),$(L0_QEMU),qemu-system-ppc64)

.PHONY: sources kernel kernel-ours kernel-ref l2-progs initramfs kunit lint \
	boot-base boot-ref boot-ours demo harness-prep

## sources        unpack Debian's 6.1 (git tree, series applied with git am) and 6.12
sources:
	ci/sources.sh ours
	ci/sources.sh ref

## kernel         build our L1 kernel (6.1 + series)     -> build/kernels/ours/vmlinux
kernel: kernel-ours
kernel-ours:
	ci/kernel.sh ours

## kernel-ref     build the 6.12 reference L1 kernel    -> build/kernels/ref/vmlinux
kernel-ref:
	ci/kernel.sh ref

## l2-progs       static ppc64el programs that drive /dev/kvm inside the L1
l2-progs:
	$(MAKE) -C tests/l2 OUT=$(BUILD)/l2/ppc64el

## initramfs      the L1 initramfs (busybox + our programs)
initramfs: l2-progs $(if $(filter tools,$(CHECK_PREP)),tools)
	ci/initramfs.sh l1 $(INITRAMFS_OVERLAYS)

## lint           checkpatch --strict on every patch, quilt check, build after each patch
lint:
	ci/lint.sh

## kunit          boot our kernel with KUnit and parse KTAP -> build/results/kunit.tap
# KUnit is built in but disabled by default (allnoconfig leaves
# KUNIT_DEFAULT_ENABLED off): only this boot turns it on.
kunit: kernel-ours initramfs
	$(HARNESS) boot kunit --ktap --qemu $(L0_BIN) --kernel $(KERNELS)/ours/vmlinux \
		--initrd $(INITRAMFS) --run true \
		--append "kunit.enable=1 kunit.filter_glob=$(KUNIT_GLOB)" --timeout 300
KUNIT_GLOB ?= *

# Harness boots.  The stock 6.1 kernel comes out of `make lint` (its first
# bisect step) as build/kernels/base/vmlinux.
boot-base: initramfs
	$(HARNESS) boot base-smoke --qemu $(L0_BIN) --kernel $(KERNELS)/base/vmlinux \
		--initrd $(INITRAMFS) --run info
boot-ref: kernel-ref initramfs
	$(HARNESS) boot ref-smoke --qemu $(L0_BIN) --kernel $(KERNELS)/ref/vmlinux \
		--initrd $(INITRAMFS) --run info
boot-ours: kernel-ours initramfs
	$(HARNESS) boot ours-smoke --qemu $(L0_BIN) --kernel $(KERNELS)/ours/vmlinux \
		--initrd $(INITRAMFS) --run info

## demo           boot our L1 in the emulated PowerVM and report what KVM sees and what nesting costs
# In make check too (tests/harness/test_demo.py reads build/results/demo.*):
# the main job must keep working.
demo: kernel-ours initramfs
	L0_BIN=$(L0_BIN) ci/demo.sh

# Order matters on 2 cores: lint leaves the 6.1 tree at the tip, so
# kernel-ours is then a no-op.
CHECK_PREP += lint kunit kernel-ref initramfs boot-base boot-ref boot-ours demo fault-sweep
PYTEST_DIRS += tests/harness tests/kernel

## fault-sweep    fail each H_GUEST_* hcall in turn in the L0; the L1 must not oops
fault-sweep: kernel-ours initramfs
	L0_BIN=$(L0_BIN) ci/fault-sweep.sh ours
