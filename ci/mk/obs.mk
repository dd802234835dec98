# Observability of KVM on PowerVM in the 6.1 series (patches 0101-0106):
# the VPA L2 counters, kvm_hv:kvmppc_vcpu_stats, vpa_pmu, perf kvm names.
# See docs/observability.md.
#
# make check runs tests/obs: the perf kvm tables against the kernel's own
# names (needs build/src/linux-6.1, from lint/sources) and, when
# `make obs-check` has been run, its results.  obs-check itself boots an
# L1 (about 2 minutes with the TCG L0) and is not part of make check.

.PHONY: obs-check obs-kernel perf-payload

# The obs kernel: our 6.1 + series with the lean config and CONFIG_VPA_PMU
# (ci/configs/obs.config), in its own object directory.
OBS_OBJ := $(BUILD)/obj/linux-6.1-obs
OBS_FRAGS := $(TOP)/ci/configs/l1-lean.config $(TOP)/ci/configs/kunit.config \
	$(TOP)/ci/configs/obs.config
# OBS_KERNEL=ours|ref|obs: the L1 kernel obs-check boots (obs: built here)
OBS_KERNEL ?= obs
OBS_SMP ?= 2
OBS_TIMEOUT ?= 900
# Extra kernel command line, e.g. OBS_APPEND=nv2.obs=10
OBS_APPEND ?=

## obs-kernel     our 6.1 + series with CONFIG_VPA_PMU=y   -> build/kernels/obs/vmlinux
obs-kernel:
	ci/sources.sh ours
	ci/kernel.sh build $(BUILD)/src/linux-6.1 $(OBS_OBJ) $(OBS_FRAGS)
	ci/kernel.sh install $(OBS_OBJ) obs $(BUILD)/src/linux-6.1

## perf-payload   Debian's ppc64el perf + its libraries    -> build/payload/perf (initramfs overlay)
perf-payload:
	ci/perf-payload.sh

## obs-check      L1 with a 4-vCPU L2: nvlat, debugfs, vpa_pmu, perf stat, overhead -> build/results/obs-check.*
# Exit status 1 of the harness (a result failed) is left to tests/obs.
obs-check: l2-progs tools perf-payload $(if $(filter obs,$(OBS_KERNEL)),obs-kernel)
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/obs-check.*
	ci/initramfs.sh obs $(BUILD)/payload/perf
	$(HARNESS) boot obs-check --qemu $(L0_BIN) --kernel $(KERNELS)/$(OBS_KERNEL)/vmlinux \
		--initrd $(BUILD)/initramfs/obs.cpio.gz --run obs-check --smp $(OBS_SMP) \
		--timeout $(OBS_TIMEOUT) \
		--append "$(strip $(OBS_APPEND))"; \
		rc=$$?; [ $$rc -le 1 ]

PYTEST_DIRS += tests/obs
