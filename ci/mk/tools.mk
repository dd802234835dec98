# tools/: the nvlat latency reporter (docs/reporter.md).

.PHONY: tools tools-host tools-ppc64el bench-reporter

## tools          build nvlat: build/tools/host/nvlat and static build/tools/ppc64el/nvlat
# In `make check` a failed build must not stop the other areas: the log goes
# to $(RESULTS)/tools-build.log and tests/tools reports the failure.
tools:
	@mkdir -p $(RESULTS)
	@set -o pipefail; nice -n 10 $(MAKE) --no-print-directory -C tools all unit 2>&1 \
		| tee $(RESULTS)/tools-build.log

tools-host:
	nice -n 10 $(MAKE) --no-print-directory -C tools host

tools-ppc64el:
	nice -n 10 $(MAKE) --no-print-directory -C tools ppc64el

## bench-reporter time nvlat replay of 1M events vs perf script; writes docs/performance.md (not in check)
bench-reporter: tools
	ci/bench-reporter.sh

CHECK_PREP += tools
PYTEST_DIRS += tests/tools
