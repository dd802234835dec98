# The L2 behaviour suite (tests/l2/l2-suite inside the L1) and the hcall
# cost bench (tests/l2/l2-bench, make bench).  docs/l2-suite.md,
# docs/performance.md ("Hypercall cost").

.PHONY: l2-suite-ref l2-suite-ours l2-suite-long bench l2-faults-ref l2-faults-ours

# 4 L1 CPUs: the smp4 case runs its vCPU threads on real L1 CPUs.
L2_SMP ?= 4
# dirtylog-smp waits for the vCPUs to exit at each harvest: ~45 s of the
# ~260 s a loaded 2-core host needs for the whole suite.
L2_TIMEOUT ?= 420
# Extra arguments for l2-suite ('+' for spaces), e.g. L2_ARGS=mmio+dec
L2_ARGS ?=

# A kernel is built only when missing: make check builds both earlier in
# CHECK_PREP, and `make kernel-ref`/`kernel-ours` rebuild on purpose.
l2_kernel = $(if $(wildcard $(KERNELS)/$(1)/vmlinux),,kernel-$(1))

# Boot one kernel with one run item (one shell command).  Exit status 1
# (some result failed) is not an error here: the results are in $(RESULTS)
# for pytest.  Status 2 (no kernel, no initramfs) is.
# $(1) result name, $(2) kernel flavour, $(3) run item, $(4) extra append
l2_boot = mkdir -p $(RESULTS) && $(HARNESS) boot $(1) --qemu $(L0_BIN) \
	--kernel $(KERNELS)/$(2)/vmlinux --initrd $(INITRAMFS) --run $(3) \
	--smp $(L2_SMP) --timeout $(L2_TIMEOUT) --append "$(strip $(4))"; \
	rc=$$?; [ $$rc -le 1 ]

## l2-suite-ref   L2 behaviour suite on the 6.12 reference -> build/results/l2-ref.tap
l2-suite-ref: initramfs $(call l2_kernel,ref)
	$(call l2_boot,l2-ref,ref,l2suite,$(if $(L2_ARGS),nv2.l2suite=$(L2_ARGS)))

## l2-suite-ours  L2 behaviour suite on our 6.1 + series -> build/results/l2-ours.tap
l2-suite-ours: initramfs $(call l2_kernel,ours)
	$(call l2_boot,l2-ours,ours,l2suite,$(if $(L2_ARGS),nv2.l2suite=$(L2_ARGS)))

# The cases that need the L0 to misbehave (only when named in l2-suite),
# one boot each with our L0's fault knob (x-nested-papr-fault, QEMU patches
# 0014 and 0030): NAME/MACHINE-OPTION/CASE.  getstate-fail: the
# H_GUEST_GET_STATE its KVM_GET_ONE_REG makes fails once (call 2 of the
# boot: call 1 reads the run output buffer size at vCPU creation; the case
# prints the number for the kernel it runs on).  runout-*: the output of
# the first hypercall exit of the boot gets an unknown element / a wrong
# length.  fac-hfscr: no facility unavailable exit of the boot reports
# HFSCR (its cause), so the L1 has to fetch it.
#
# The hostile L0 (issue 15, QEMU patches 0033-0034): runout-truncated,
# -count, -garbage: the last element past the buffer's end, a count larger
# than any buffer, garbage values.  busy-*: one hcall answered H_BUSY or a
# long busy code TIMES times in a row (the 4th field), then behaving; the
# case makes a whole VM through it.  busy-long-*: one 100 s long busy answer
# during KVM_CREATE_VM.  create-fail-*: H_GUEST_CREATE works, then the
# page tables (SET_STATE), the vCPU (CREATE_VCPU) or the vCPU's first
# GET_STATE fails.  getregs-fail: the L0 fails the H_GUEST_GET_STATE of a
# KVM_GET_REGS (call 2 of the boot for ours: 1 at vCPU creation; the case
# prints the counts).  The L1 makes 1 H_GUEST_CREATE and 1 H_GUEST_SET_STATE
# for l2-suite's probe VM before any case, so :2 is the case's first.
L2_FAULTS ?= getstate/x-nested-papr-fault=get-state:2:H_HARDWARE/getstate-fail \
	runout-unknown/x-nested-papr-fault=run-vcpu:1:out-unknown/runout-unknown \
	runout-bad-size/x-nested-papr-fault=run-vcpu:1:out-bad-size/runout-bad-size \
	fac-hfscr/x-nested-papr-fault=run-vcpu:1:out-no-hfscr/fac-hfscr \
	$(L2_FAULTS_HOSTILE)
L2_FAULTS_HOSTILE ?= \
	runout-truncated/x-nested-papr-fault=run-vcpu:1:out-truncated/runout-truncated \
	runout-count/x-nested-papr-fault=run-vcpu:1:out-count/runout-count \
	runout-garbage/x-nested-papr-fault=run-vcpu:1:out-garbage/runout-garbage \
	timer-lost/x-nested-papr-fault=run-vcpu:1:out-dec-lost/timer-lost \
	busy-create/x-nested-papr-fault=create:2:H_BUSY:100/busy \
	busy-vcpu/x-nested-papr-fault=create-vcpu:1:H_LONG_BUSY_ORDER_10_MSEC:10/busy \
	busy-getstate/x-nested-papr-fault=get-state:1:H_LONG_BUSY_ORDER_1_MSEC:20/busy \
	busy-setstate/x-nested-papr-fault=set-state:2:H_BUSY:100/busy \
	busy-run/x-nested-papr-fault=run-vcpu:1:H_BUSY:100/busy \
	busy-long-create/x-nested-papr-fault=create:2:H_LONG_BUSY_ORDER_100_SEC/busy-long \
	busy-long-setstate/x-nested-papr-fault=set-state:2:H_LONG_BUSY_ORDER_100_SEC/busy-long \
	create-fail-setstate/x-nested-papr-fault=set-state:2:H_HARDWARE/create-fail \
	create-fail-vcpu/x-nested-papr-fault=create-vcpu:1:H_HARDWARE/create-fail \
	create-fail-getstate/x-nested-papr-fault=get-state:1:H_HARDWARE/create-fail \
	getregs-fail/x-nested-papr-fault=get-state:2:H_HARDWARE/getregs-fail
# $(1) kernel flavour: results build/results/l2-faults-$(1)-NAME.*
l2_fault_boots = mkdir -p $(RESULTS) && rc=0; for f in $(L2_FAULTS); do \
	set -- $$(echo "$$f" | tr / ' '); \
	$(HARNESS) boot l2-faults-$(1)-$$1 --qemu $(L0_BIN) \
		--kernel $(KERNELS)/$(1)/vmlinux --initrd $(INITRAMFS) --run l2suite \
		--smp $(L2_SMP) --timeout $(L2_TIMEOUT) --machine-opts $$2 --l0-monitor \
		--append "nv2.l2suite=$$3"; r=$$?; [ $$r -le 1 ] || rc=$$r; \
	done; [ $$rc -le 1 ]

## l2-faults-ref  L2 suite cases with a misbehaving L0 (getstate-fail, runout-*, fac-hfscr, busy*, create-fail), 6.12 reference -> build/results/l2-faults-ref-*.tap
l2-faults-ref: initramfs $(L0_BIN) $(call l2_kernel,ref)
	$(call l2_fault_boots,ref)

## l2-faults-ours L2 suite cases with a misbehaving L0 (getstate-fail, runout-*, fac-hfscr, busy*, create-fail), our 6.1 -> build/results/l2-faults-ours-*.tap
l2-faults-ours: initramfs $(L0_BIN) $(call l2_kernel,ours)
	$(call l2_fault_boots,ours)

# The long run: 1M round trips, 1000 VM lifecycles (minutes, not in check).
L2_LONG_KERNEL ?= ref
## l2-suite-long  1M round trips + 1000 lifecycles (L2_LONG_KERNEL=ref|ours)
l2-suite-long: initramfs $(call l2_kernel,$(L2_LONG_KERNEL))
	$(call l2_boot,l2-long-$(L2_LONG_KERNEL),$(L2_LONG_KERNEL),l2suite,\
		nv2.l2suite=--trips=1000000+--cycles=1000+roundtrips+lifecycle+smp4+twovm)

# Bench: both kernels in one run, then the table (ci/bench.py).  A kernel
# that is missing or cannot run VMs gets n/a rows, not a failure.
## bench          L1->L0 hcalls per L2 workload, ours vs reference -> docs/performance.md
bench: initramfs $(call l2_kernel,ref)
	-$(call l2_boot,bench-ref,ref,l2bench,)
	-@if [ -e $(KERNELS)/ours/vmlinux ]; then \
		$(call l2_boot,bench-ours,ours,l2bench,); \
	else \
		echo "bench: no $(KERNELS)/ours/vmlinux (make kernel-ours): its column is n/a"; \
		rm -f $(RESULTS)/bench-ours.facts $(RESULTS)/bench-ours.tap; \
	fi
	$(PYTHON) ci/bench.py --results $(RESULTS) --markdown $(RESULTS)/bench.md \
		--update-doc docs/performance.md

CHECK_PREP += l2-suite-ref l2-suite-ours l2-faults-ours
PYTEST_DIRS += tests/l2suite
