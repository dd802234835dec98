# The modular L1 (issue 12): our 6.1 + series with KVM, the in-kernel
# interrupt controllers, the TCE code and vpa_pmu set the way Debian's
# powerpc64le kernel sets them (ci/configs/l1-modular.config), booted in
# the emulated PowerVM with its modules in the initramfs.  docs/ci.md
# "The modular L1".

.PHONY: kernel-modular initramfs-modular kvm-modular

MODULAR_INITRAMFS := $(BUILD)/initramfs/modular.cpio.gz
KVM_CYCLES ?= 10

## kernel-modular  our 6.1 + series, KVM as modules (modpost clean) -> build/kernels/modular/{vmlinux,modroot}
kernel-modular:
	nice -n 10 ci/kernel.sh modular

## initramfs-modular the L1 initramfs + the modular kernel's /lib/modules -> build/initramfs/modular.cpio.gz
initramfs-modular: l2-progs tools kernel-modular
	ci/initramfs.sh modular $(KERNELS)/modular/modroot

## kvm-modular    modprobe kvm_hv, the L2 suite, 10x rmmod/modprobe with a VM each time, L0 guest count -> build/results/kvm-modular.tap
# One boot: run items kvm-modular (load), l2suite, kvm-modular-cycle; the
# harness answers the L1's L0QUERY lines with the L0's `info nested-papr`
# (QEMU patch 0020).  tests/kernel/test_modular.py reads the results.
kvm-modular: initramfs-modular $(L0_BIN)
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/kvm-modular.* && touch $(RESULTS)/kvm-modular.started
	$(HARNESS) boot kvm-modular --qemu $(L0_BIN) --kernel $(KERNELS)/modular/vmlinux \
		--initrd $(MODULAR_INITRAMFS) --run kvm-modular,l2suite,kvm-modular-cycle \
		--smp $(L2_SMP) --timeout 1500 --l0-monitor \
		--append "nv2.kvmcycles=$(KVM_CYCLES)"; rc=$$?; [ $$rc -le 1 ]

CHECK_PREP += kernel-modular kvm-modular

.PHONY: kernel-deb

## kernel-deb     linux-image (+ headers) .deb of our 6.1 with Debian's own config, installed with apt into a Debian 12 ppc64el system -> build/deb/, build/results/kernel-deb.txt
# In make check through the package cache: warm, seconds; cold, Debian's
# full config takes ~3 h on 2 cores (docs/ci.md), and a changed patch
# rebuilds what it touches in ~/.cache/nestedv2/kbuild/.
# KERNEL_DEB_CONFIG=reduced|modular: the CI reduction of Debian's config, or
# the modular L1 (docs/packaging.md "A kernel .deb").
kernel-deb:
	ci/kernel-deb.sh all

.PHONY: bench-modular fault-sweep-modular

## bench-modular  make bench's workloads in the modular L1 (kvm_hv loaded first), table against the 6.12 reference -> build/results/bench-modular.md
# Not part of make check (make bench is not either); the ref column is
# make bench's last bench-ref run.  docs/performance.md "Hypercall cost".
bench-modular: initramfs-modular $(L0_BIN)
	-@mkdir -p $(RESULTS) && $(HARNESS) boot bench-modular --qemu $(L0_BIN) \
		--kernel $(KERNELS)/modular/vmlinux --initrd $(MODULAR_INITRAMFS) \
		--run kvm-modular,l2bench --smp $(L2_SMP) --timeout $(L2_TIMEOUT)
	$(PYTHON) ci/bench.py --results $(RESULTS) --ours modular --markdown $(RESULTS)/bench-modular.md

## fault-sweep-modular  make fault-sweep on the modular L1 (modprobe kvm_hv, then kvm-smoke) -> build/results/fault-modular-*
fault-sweep-modular: initramfs-modular $(L0_BIN)
	L0_BIN=$(L0_BIN) ci/fault-sweep.sh modular
