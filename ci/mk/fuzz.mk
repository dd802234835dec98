# Fuzzing the borders of the product: the L1 kernel's guest state buffer
# library (what the L0 returns) and our QEMU 10.0 L0's nested PAPR hcalls
# (what the L1 sends).  See docs/reliability.md.

.PHONY: fuzz fuzz-build fuzz-gsb fuzz-l0 fuzz-check

## fuzz-build     build the GSB libFuzzer target from the patched 6.1 tree -> build/fuzz/gsb/fuzz_gsb
fuzz-build: sources-ours
	@mkdir -p $(RESULTS)
	@set -o pipefail; nice -n 10 $(MAKE) --no-print-directory -C tests/fuzz gsb 2>&1 \
		| tee $(RESULTS)/fuzz-build.log

## fuzz           fuzz the GSB library and the L0's hcalls FUZZ_SECONDS each (default 60) -> build/results/fuzz.tsv
FUZZ_SECONDS ?= 60
fuzz: fuzz-build $(L0_BIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) ci/fuzz.sh gsb l0
fuzz-gsb: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) ci/fuzz.sh gsb
fuzz-l0: $(L0_BIN)
	FUZZ_SECONDS=$(FUZZ_SECONDS) ci/fuzz.sh l0

# make check: 30 s per target; tests/fuzz/test_fuzz_borders.py reads
# build/results/fuzz-check.tsv (a failure here is reported there).
fuzz-check: fuzz-build $(L0_BIN)
	FUZZ_SECONDS=30 FUZZ_NAME=fuzz-check ci/fuzz.sh gsb l0

CHECK_PREP += fuzz-check
PYTEST_DIRS += tests/fuzz
