# Core pipeline: kernel sources, L1 kernels, initramfs, harness boots, lint.

HARNESS := $(PYTHON) ci/harness.py
KERNELS := $(BUILD)/kernels
INITRAMFS := $(BUILD)/initramfs/l1.cpio.gz
# The L0 of every boot: our patched QEMU 10.0 (ci/mk/qemu10.mk sets L0_QEMU
# and builds it when it is missing).  Never Debian's binary: it does not
# maintain the L2 counters, so what it shows is not what we ship.
L0_BIN = $(L0_QEMU)

.PHONY: sources sources-ours kernel kernel-ours kernel-ref l2-progs initramfs kunit lint gsc-lint \
	boot-base boot-ref boot-ours demo harness-prep

## sources        unpack Debian's 6.1 (git tree, series applied with git am) and 6.12
sources: sources-ours
	ci/sources.sh ref
sources-ours:
	ci/sources.sh ours

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

## initramfs      the L1 initramfs (busybox + our programs: the L2 programs and nvlat)
initramfs: l2-progs tools
	ci/initramfs.sh l1 $(INITRAMFS_OVERLAYS)

## lint           checkpatch --strict on every patch, quilt check, build after each patch
lint:
	ci/lint.sh

## gsc-lint       nestedv2 state accesses outside the state cache (ci/gsc-lint.py; also a make lint step)
gsc-lint: sources-ours
	$(PYTHON) ci/gsc-lint.py $(BUILD)/src/linux-6.1

## kunit          boot our kernel with KUnit and parse KTAP -> build/results/kunit.tap
# KUnit is built in but disabled by default (allnoconfig leaves
# KUNIT_DEFAULT_ENABLED off): only this boot turns it on.
kunit: kernel-ours initramfs $(L0_BIN)
	$(HARNESS) boot kunit --ktap --qemu $(L0_BIN) --kernel $(KERNELS)/ours/vmlinux \
		--initrd $(INITRAMFS) --run true \
		--append "kunit.enable=1 kunit.filter_glob=$(KUNIT_GLOB)" --timeout 300
KUNIT_GLOB ?= *

# Harness boots.  The stock 6.1 kernel comes out of `make lint` (its first
# bisect step) as build/kernels/base/vmlinux.
boot-base: initramfs $(L0_BIN)
	$(HARNESS) boot base-smoke --qemu $(L0_BIN) --kernel $(KERNELS)/base/vmlinux \
		--initrd $(INITRAMFS) --run info
boot-ref: kernel-ref initramfs $(L0_BIN)
	$(HARNESS) boot ref-smoke --qemu $(L0_BIN) --kernel $(KERNELS)/ref/vmlinux \
		--initrd $(INITRAMFS) --run info
boot-ours: kernel-ours initramfs $(L0_BIN)
	$(HARNESS) boot ours-smoke --qemu $(L0_BIN) --kernel $(KERNELS)/ours/vmlinux \
		--initrd $(INITRAMFS) --run info

## demo           build what it needs (numbered steps), boot our L1 in the emulated PowerVM, show what KVM sees and what nesting costs
# In make check too (tests/harness/test_demo.py reads build/results/demo.*):
# the main job must keep working.  Its steps (ci/steps.py DEMO_STEPS) build
# our L0, our kernel, nvlat and the L2 programs; a second run finds them
# cached and takes seconds.
demo:
	@$(PYTHON) ci/steps.py demo
	@L0_BIN=$(L0_BIN) ci/demo.sh

# Order matters on 2 cores: lint leaves the 6.1 tree at the tip, so
# kernel-ours is then a no-op.
CHECK_PREP += lint kunit kernel-ref initramfs boot-base boot-ref boot-ours demo fault-sweep
PYTEST_DIRS += tests/harness tests/kernel

## fault-sweep    fail each H_GUEST_* hcall in turn in the L0; the L1 must not oops
fault-sweep: kernel-ours initramfs $(L0_BIN)
	L0_BIN=$(L0_BIN) ci/fault-sweep.sh ours

## rebase         move a base: make rebase BASE=linux-6.1|linux-6.12-ref|qemu-7.2|qemu-10.0|libvirt-9.0|debs TO=latest|VERSION [DRY=1]
.PHONY: rebase
rebase:
	@[ -n "$(BASE)" ] || { echo "usage: make rebase BASE=NAME TO=latest|VERSION [DRY=1]" >&2; exit 2; }
	DRY=$(DRY) ci/rebase.sh $(BASE) $(or $(TO),latest)
