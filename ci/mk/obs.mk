# Observability of KVM on PowerVM in the 6.1 series (patches 0101-0106):
# the VPA L2 counters, kvm_hv:kvmppc_vcpu_stats, vpa_pmu, perf kvm names.
# See docs/observability.md.
#
# make check runs obs-check (one L1 boot, about 35 s with the TCG L0) and
# tests/obs: its results, and the perf kvm tables against the kernel's own
# names (needs build/src/linux-6.1, from lint/sources).

.PHONY: obs-check perf-payload

# OBS_KERNEL=ours|ref: the L1 kernel obs-check boots.  ours (6.1 + series,
# whose lean config has CONFIG_VPA_PMU=y) is the one the tests expect; ref
# (6.12) has the tracepoint but neither vpa_pmu nor the debugfs totals.
OBS_KERNEL ?= ours
OBS_SMP ?= 2
OBS_TIMEOUT ?= 900
# Extra kernel command line, e.g. OBS_APPEND=nv2.obs=10
OBS_APPEND ?=

## perf-payload   Debian's ppc64el perf + its libraries    -> build/payload/perf (initramfs overlay)
perf-payload:
	ci/perf-payload.sh

## obs-check      L1 with a 4-vCPU L2: nvlat, debugfs, vpa_pmu, perf stat, overhead -> build/results/obs-check.*
# Exit status 1 of the harness (a result failed) is left to tests/obs; a
# step that fails before the boot leaves obs-check.started alone, which
# tests/obs reports as a failure rather than a skip.
obs-check: l2-progs tools perf-payload kernel-$(OBS_KERNEL)
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/obs-check.* && touch $(RESULTS)/obs-check.started
	ci/initramfs.sh obs $(BUILD)/payload/perf
	$(HARNESS) boot obs-check --qemu $(L0_BIN) --kernel $(KERNELS)/$(OBS_KERNEL)/vmlinux \
		--initrd $(BUILD)/initramfs/obs.cpio.gz --run obs-check --smp $(OBS_SMP) \
		--timeout $(OBS_TIMEOUT) \
		--append "$(strip $(OBS_APPEND))"; \
		rc=$$?; [ $$rc -le 1 ]

CHECK_PREP += obs-check
PYTEST_DIRS += tests/obs
