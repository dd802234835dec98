# QEMU 7.2 end to end inside the L1 (issue #6 item 4): our QEMU 7.2 boots
# a Linux L2 under KVM and runs the DEXCR/HASHKEYR migration check, on
# the lean L1 kernels (ours, ref) and the modular L1 (issue 12: Debian's
# values for KVM, in-kernel XICS and TCE).  docs/qemu-7.2.md "End to end".
#
# In CHECK_PREP (~35 s with the .debs cached on a quiet box, plus the
# modular L1's boot, about as long as the ours boot: 163-190 s ours,
# 179-374 s modular at load ~23 on 2026-12-03; the first run downloads
# Debian's stock 7.2 closure once, ~1 min): its own initramfs carries two
# QEMUs (~30 MB compressed), the default l1 initramfs stays small.

.PHONY: e2e-qemu72 e2e-qemu72-boot

# What is missing is built first (kernels, our QEMU 7.2 payload).
# kvm-caps (l2-progs) tells the L2 boot what the L1's KVM offers.
E2E_QEMU72_DEPS = l2-progs $(call l2_kernel,ours) $(call l2_kernel,ref) \
	$(if $(wildcard $(KERNELS)/modular/modroot),,kernel-modular) \
	$(if $(wildcard $(BUILD)/payload/qemu-7.2/usr/bin/qemu-system-ppc64),,qemu72)

## e2e-qemu72     QEMU 7.2 L2 boot + migration check in the ours, ref and modular L1s, L2 boot in a compat-mode and a POWER11 L1 -> build/results/qemu72-e2e-*
e2e-qemu72: $(E2E_QEMU72_DEPS)
	@mkdir -p $(RESULTS)
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh all

## e2e-qemu72-boot  the same boots only (payloads and initramfs as last built)
e2e-qemu72-boot:
	@mkdir -p $(RESULTS)
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh boot ours ref modular
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh boot-compat
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh boot-power11

.PHONY: kernel-ref-inkernel e2e-qemu72-inkernel

## kernel-ref-inkernel  the 6.12 reference, lean + in-kernel XICS and TCE (l1-inkernel.config) -> build/kernels/ref-inkernel/vmlinux
# Not part of make check: a third 6.12 build (~5 min from ccache on 2
# busy cores); built in build/obj/linux-6.12-inkernel, incremental.
kernel-ref-inkernel:
	ci/sources.sh ref
	nice -n 10 ci/kernel.sh build $(BUILD)/src/linux-6.12 $(BUILD)/obj/linux-6.12-inkernel \
		ci/configs/l1-lean.config ci/configs/l1-inkernel.config
	ci/kernel.sh install $(BUILD)/obj/linux-6.12-inkernel ref-inkernel $(BUILD)/src/linux-6.12

## e2e-qemu72-inkernel  the L2 Linux boot in the 6.12 reference with in-kernel XICS/TCE -> build/results/qemu72-e2e-ref-inkernel.* (docs/performance.md)
# Not part of make check (it needs kernel-ref-inkernel); run after
# e2e-qemu72, whose payloads and initramfs it boots.
e2e-qemu72-inkernel: kernel-ref-inkernel
	@mkdir -p $(RESULTS)
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh boot ref-inkernel

CHECK_PREP += e2e-qemu72
PYTEST_DIRS += tests/qemu72e2e
