# tools/bpftrace/*.bt on the live tracepoint kvm_hv:kvmppc_vcpu_stats:
# Debian 12's bpftrace 0.17 inside our 6.1 L1, under our QEMU 10.0 L0,
# with a 4-vCPU L2 running.  A manual target, not part of make check: it
# needs its own kernel variant (BPF_EVENTS) and a ~230 MB payload (LLVM).
# tests/tools/test_bpftrace_l1.py reads its results (skips without them).
# See docs/observability.md.

.PHONY: bpftrace-l1 bpftrace-kernel bpftrace-payload

# Our 6.1 + series with the lean config, kunit.config (as kernel-ours)
# and ci/configs/bpftrace.config, in its own object directory.
BPF_OBJ := $(BUILD)/obj/linux-6.1-bpf
BPF_FRAGS := $(TOP)/ci/configs/l1-lean.config $(TOP)/ci/configs/kunit.config \
	$(TOP)/ci/configs/bpftrace.config
# L1 memory: the initramfs unpacks to ~260 MB, bpftrace and LLVM need more.
BPFTRACE_MEM ?= 3G
BPFTRACE_SMP ?= 2
BPFTRACE_TIMEOUT ?= 1800
# Extra kernel command line, e.g. BPFTRACE_APPEND="nv2.bt=10 nv2.bt_period=2"
BPFTRACE_APPEND ?=

## bpftrace-kernel  our 6.1 + series, lean + BPF_EVENTS     -> build/kernels/bpf/vmlinux
bpftrace-kernel:
	ci/sources.sh ours
	ci/kernel.sh build $(BUILD)/src/linux-6.1 $(BPF_OBJ) $(BPF_FRAGS)
	ci/kernel.sh install $(BPF_OBJ) bpf $(BUILD)/src/linux-6.1

## bpftrace-payload Debian's ppc64el bpftrace + its libraries -> build/payload/bpftrace (initramfs overlay)
bpftrace-payload:
	ci/bpftrace-payload.sh

## bpftrace-l1    L1 with a 4-vCPU L2: tools/bpftrace/*.bt live   -> build/results/bpftrace-l1.*
bpftrace-l1: l2-progs tools bpftrace-payload bpftrace-kernel
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/bpftrace-l1.*
	rm -rf $(BUILD)/payload/bt-scripts
	mkdir -p $(BUILD)/payload/bt-scripts/usr/share/nv2/bpftrace
	cp tools/bpftrace/*.bt $(BUILD)/payload/bt-scripts/usr/share/nv2/bpftrace/
	ci/initramfs.sh bpftrace $(BUILD)/payload/bpftrace $(BUILD)/payload/bt-scripts
	$(HARNESS) boot bpftrace-l1 --qemu $(L0_BIN) --kernel $(KERNELS)/bpf/vmlinux \
		--initrd $(BUILD)/initramfs/bpftrace.cpio.gz --run bpftrace-l1 \
		--smp $(BPFTRACE_SMP) --mem $(BPFTRACE_MEM) --timeout $(BPFTRACE_TIMEOUT) \
		--append "$(strip $(BPFTRACE_APPEND))"
