# tools/: the nvlat latency reporter (docs/reporter.md).

.PHONY: tools tools-host tools-ppc64el tools-l1 bench-reporter fuzz-tools tools-fuzz-build

## tools          build nvlat: build/tools/host/nvlat and static build/tools/ppc64el/nvlat
# In `make check` a failed build must not stop the other areas: the log goes
# to $(RESULTS)/tools-build.log and tests/tools reports the failure.
# With clang 14 there (ci/deps.d/tools.list), the libFuzzer targets too.
tools:
	@mkdir -p $(RESULTS)
	@set -o pipefail; nice -n 10 $(MAKE) --no-print-directory -C tools all unit \
		$(if $(shell command -v clang-14 2>/dev/null),fuzz) 2>&1 \
		| tee $(RESULTS)/tools-build.log

tools-host:
	nice -n 10 $(MAKE) --no-print-directory -C tools host

tools-ppc64el:
	nice -n 10 $(MAKE) --no-print-directory -C tools ppc64el

## tools-l1       run nvlat in the 6.12 reference L1 against a live L2 -> build/results/tools-l1.*
# The ppc64el nvlat and its run item (nvlat-l1) in an initramfs of their own
# (build/initramfs/tools-l1.cpio.gz, so the shared l1 one is not rebuilt
# under other boots), booted once in the emulated PowerVM (~15 s).  Exit
# status 1 (a result failed) is left to tests/tools/test_l1.py.
# TOOLS_L1_KERNEL=ours runs it on our 6.1 + series instead (once the series
# has the tracepoint); the results keep the name tools-l1.
TOOLS_L1_KERNEL ?= ref
tools-l1: tools l2-progs $(if $(wildcard $(KERNELS)/$(TOOLS_L1_KERNEL)/vmlinux),,kernel-$(TOOLS_L1_KERNEL))
	@mkdir -p $(RESULTS) && rm -f $(RESULTS)/tools-l1.* && touch $(RESULTS)/tools-l1.started
	ci/initramfs.sh tools-l1
	$(HARNESS) boot tools-l1 --qemu $(L0_BIN) --kernel $(KERNELS)/$(TOOLS_L1_KERNEL)/vmlinux \
		--initrd $(BUILD)/initramfs/tools-l1.cpio.gz --run nvlat-l1 --smp 2 \
		--timeout 600; \
		rc=$$?; [ $$rc -le 1 ]

## fuzz-tools     run nvlat's libFuzzer targets FUZZ_SECONDS each (default 60) -> build/results/fuzz-tools.tsv
# clang 14 with libFuzzer, ASan and UBSan (Debian 12: clang-14,
# libclang-rt-14-dev); tests/tools/fuzz has the targets and seed corpora.
FUZZ_SECONDS ?= 60
tools-fuzz-build:
	@mkdir -p $(RESULTS)
	@set -o pipefail; nice -n 10 $(MAKE) --no-print-directory -C tools fuzz 2>&1 \
		| tee $(RESULTS)/tools-fuzz-build.log

fuzz-tools: tools-fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) ci/fuzz-tools.sh

## bench-reporter time nvlat replay of 1M events vs perf script; writes docs/performance.md (not in check)
bench-reporter: tools
	ci/bench-reporter.sh

CHECK_PREP += tools tools-l1
PYTEST_DIRS += tests/tools
