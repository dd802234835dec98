# perf kvm stat from our patched 6.1 tree (patches 0101/0102 name exits and
# hcalls), cross-built for ppc64el and run inside an L1 of the emulated
# PowerVM with L2s running, next to Debian's stock perf on the same data.
# A manual target, not part of make check (tests/obs/test_perf_names.py
# checks the tables statically there); tests/obs/test_perf_kvm_l1.py reads
# its results and skips without them.  See docs/observability.md.

.PHONY: perf-kvm-l1 perf-ours-payload

PERFKVM_SMP ?= 2
PERFKVM_MEM ?= 3G
PERFKVM_TIMEOUT ?= 1200
# Extra kernel command line, e.g. PERFKVM_APPEND=nv2.pk=5
PERFKVM_APPEND ?=
# The Linux L2 of the mix (QEMU 7.2 + L2 kernel) when those payloads exist
# (make e2e-qemu72 builds them); without them the run item skips it.
PERFKVM_L2LINUX := $(foreach o,qemu-7.2 l2-linux,$(wildcard $(BUILD)/payload/$(o)))

## perf-ours-payload perf cross-built from our 6.1 tree, static -> build/payload/perf-ours (initramfs overlay)
perf-ours-payload:
	ci/sources.sh ours
	ci/perf-build.sh

## perf-kvm-l1    L1 with L2s: our perf kvm stat record/report vs Debian's -> build/results/perf-kvm-l1.*
# Debian's perf goes in as /usr/bin/perf-debian (its libraries from
# build/payload/perf); ours is /usr/bin/perf.
perf-kvm-l1: l2-progs perf-payload perf-ours-payload $(call l2_kernel,ours)
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/perf-kvm-l1.*
	rm -rf $(BUILD)/payload/perf-debian-renamed
	mkdir -p $(BUILD)/payload/perf-debian-renamed/usr/bin
	cp $(BUILD)/payload/perf/usr/bin/perf $(BUILD)/payload/perf-debian-renamed/usr/bin/perf-debian
	ci/initramfs.sh perfkvm $(BUILD)/payload/perf $(PERFKVM_L2LINUX) \
		$(BUILD)/payload/perf-ours $(BUILD)/payload/perf-debian-renamed
	$(HARNESS) boot perf-kvm-l1 --qemu $(L0_BIN) --kernel $(KERNELS)/ours/vmlinux \
		--initrd $(BUILD)/initramfs/perfkvm.cpio.gz --run perf-kvm-l1 \
		--smp $(PERFKVM_SMP) --mem $(PERFKVM_MEM) --timeout $(PERFKVM_TIMEOUT) \
		--append "$(strip $(PERFKVM_APPEND))"
