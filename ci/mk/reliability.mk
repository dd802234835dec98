# The L1 user space -> KVM border and long running load (issue 15 items 3
# and 5, docs/reliability.md): the KVM ioctl fuzzer (tests/l2/ioctl-fuzz)
# and the soak (tests/l2/l2-soak), each booted in our L1 in the emulated
# PowerVM with the L0's monitor (--l0-monitor: nested guests left behind).
# make check runs the short versions on the lean L1; the long runs default
# to the debug L1 (ci/configs/l1-debug.config: soft-lockup and hung-task
# detectors, lockdep, KASAN).

.PHONY: kernel-debug kernel-leak ioctl-fuzz ioctl-fuzz-check soak soak-check leak-hunt

## kernel-debug   our 6.1 + series, lean + KUnit + lockdep, KASAN, lockup detectors -> build/kernels/debug/vmlinux
kernel-debug:
	nice -n 10 ci/kernel-debug.sh debug

## kernel-leak    our 6.1 + series, lean + KUnit + kmemleak, page_owner -> build/kernels/leak/vmlinux
kernel-leak:
	nice -n 10 ci/kernel-debug.sh leak

IOCTL_FUZZ_OPS ?= 100000
# empty: the program picks a seed and prints it (FACT ioctlfuzz.seed)
IOCTL_FUZZ_SEED ?=
IOCTL_FUZZ_KERNEL ?= debug
SOAK_SECONDS ?= 600
SOAK_KERNEL ?= debug

# A kernel flavour is built only when missing (kernel-ours is made by
# make check's earlier steps; kernel-debug when asked for).
rel_kernel = $(if $(wildcard $(KERNELS)/$(1)/vmlinux),,kernel-$(1))

# $(1) result name, $(2) kernel flavour, $(3) run item, $(4) append, $(5) timeout s
rel_boot = mkdir -p $(RESULTS) && rm -f $(RESULTS)/$(1).* && touch $(RESULTS)/$(1).started && \
	$(HARNESS) boot $(1) --qemu $(L0_BIN) --kernel $(KERNELS)/$(2)/vmlinux \
		--initrd $(INITRAMFS) --run $(3) --smp 4 --timeout $(5) --l0-monitor \
		--append "$(strip $(4))"; rc=$$?; [ $$rc -le 1 ]

## ioctl-fuzz     KVM ioctl fuzzer in the L1, IOCTL_FUZZ_OPS (100000) ops, IOCTL_FUZZ_SEED, IOCTL_FUZZ_KERNEL=debug|ours -> build/results/ioctl-fuzz.*
ioctl-fuzz: initramfs $(L0_BIN) $(call rel_kernel,$(IOCTL_FUZZ_KERNEL))
	$(call rel_boot,ioctl-fuzz,$(IOCTL_FUZZ_KERNEL),ioctlfuzz,\
		nv2.ioctlfuzz=$(IOCTL_FUZZ_OPS)$(if $(IOCTL_FUZZ_SEED),:$(IOCTL_FUZZ_SEED)),36000)

# make check: 10,000 operations from two threads on the lean L1, fixed seed
# (tests/fuzz/test_ioctl_fuzz.py).  It ran one thread until 2026-12-06: one
# two-thread run in 21 had hung after kernel 0047 (the fuzzer's one-shot run
# timer, periodic since: 34 of 34 two-thread runs clean after it) and
# SUnreclaim scattered past 2 MiB, which is slab pages, not objects: the
# test judges live slab objects now (docs/reliability.md, "The second hang").
IOCTL_FUZZ_CHECK ?= 10000:606527575
ioctl-fuzz-check: initramfs $(L0_BIN) $(call rel_kernel,ours)
	$(call rel_boot,ioctl-fuzz-check,ours,ioctlfuzz,nv2.ioctlfuzz=$(IOCTL_FUZZ_CHECK),900)

## soak           4 VMs x 4 vCPUs of mixed L2 load for SOAK_SECONDS (600), SOAK_KERNEL=debug|ours -> build/results/soak.*
soak: initramfs $(L0_BIN) $(call rel_kernel,$(SOAK_KERNEL))
	$(call rel_boot,soak,$(SOAK_KERNEL),soak,nv2.soak=$(SOAK_SECONDS),$(shell echo $$(($(SOAK_SECONDS) * 2 + 300))))

# make check: 60 s on the lean L1 (tests/fuzz/test_soak.py)
soak-check: initramfs $(L0_BIN) $(call rel_kernel,ours)
	$(call rel_boot,soak-check,ours,soak,nv2.soak=60,480)

# What the fuzzer leaves allocated, by kmemleak and page_owner (not in make
# check: its kernel is one more build; tests/fuzz/test_leak_hunt.py).
LEAK_HUNT ?= 10000:606527575
## leak-hunt      kmemleak + page_owner around LEAK_HUNT (10000:606527575) ioctl-fuzz ops in the leak L1 -> build/results/leak-hunt.*
leak-hunt: initramfs $(L0_BIN) kernel-leak
	$(call rel_boot,leak-hunt,leak,leakhunt,page_owner=on nv2.leakhunt=$(LEAK_HUNT),1800)

CHECK_PREP += ioctl-fuzz-check soak-check
PYTEST_DIRS += tests/fuzz
