# QEMU 7.2 end to end inside the L1 (issue #6 item 4): our QEMU 7.2 boots
# a Linux L2 under KVM and runs the DEXCR/HASHKEYR migration check, on
# both L1 kernels.  docs/qemu-7.2.md "End to end".
#
# In CHECK_PREP (~35 s with the .debs cached; the first run downloads
# Debian's stock 7.2 closure once, ~1 min): its own initramfs carries two
# QEMUs (~30 MB compressed), the default l1 initramfs stays small.

.PHONY: e2e-qemu72 e2e-qemu72-boot

# What is missing is built first (kernels, our QEMU 7.2 payload).
E2E_QEMU72_DEPS = $(call l2_kernel,ours) $(call l2_kernel,ref) \
	$(if $(wildcard $(BUILD)/payload/qemu-7.2/usr/bin/qemu-system-ppc64),,qemu72)

## e2e-qemu72     QEMU 7.2 L2 boot + migration check in the ours and ref L1s, L2 boot in a compat-mode L1 -> build/results/qemu72-e2e-*
e2e-qemu72: $(E2E_QEMU72_DEPS)
	@mkdir -p $(RESULTS)
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh all

## e2e-qemu72-boot  the same boots only (payloads and initramfs as last built)
e2e-qemu72-boot:
	@mkdir -p $(RESULTS)
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh boot ours ref
	L0_BIN=$(L0_BIN) ci/qemu72-e2e.sh boot-compat

CHECK_PREP += e2e-qemu72
PYTEST_DIRS += tests/qemu72e2e
