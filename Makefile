# nestedv2: KVM guests inside PowerVM LPARs on Debian 12.
#
# The two commands a fresh Debian 12 box needs (see README.md):
#   make deps demo     run the main job
#   make deps check    run every test (what .ci/run calls)
#
# Areas plug in through ci/mk/*.mk.  Each may add:
#   CHECK_PREP += target   built/run before pytest; failures are tolerated
#                          there and reported by the pytest tests that read
#                          the results (so one summary shows everything)
#   PYTEST_DIRS += tests/x  pytest directories run by `make check`
# Everything generated goes to build/ (ignored by git).

SHELL := /bin/bash
# Debian's interpreter (python3-pytest is installed for it), not whatever
# python3 comes first in PATH.
PYTHON := /usr/bin/python3
export PYTHON
TOP := $(CURDIR)
BUILD := $(TOP)/build
RESULTS := $(BUILD)/results
export BUILD RESULTS
# ccache: hash paths relative to the checkout (hits survive a fresh clone).
export CCACHE_BASEDIR := $(TOP)
# ... and keep the directory out of the hash of -g compiles (ci/lib.sh).
export CCACHE_NOHASHDIR := 1

CHECK_PREP :=
PYTEST_DIRS :=
# The L0 of every boot: our QEMU 10.0 (ci/mk/qemu10.mk builds it).
export L0_QEMU := $(BUILD)/obj/qemu-10.0/qemu-system-ppc64

.PHONY: all help deps demo check check-prep pytest clean distclean bases bases-demo \
	print-check-steps
all: help

help:
	@sed -n '2,/^$$/p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Targets:"; grep -hE '^## ' Makefile ci/mk/*.mk | sed 's/^## /  /'

## deps           install build dependencies (bookworm + bookworm-backports only)
deps:
	ci/deps.sh

include $(sort $(wildcard ci/mk/*.mk))

## check          build, boot and test everything; ends with "N passed, N failed"
# Each step of CHECK_STEPS runs once, in order, as a numbered step with its
# own log (ci/steps.py; build/results/steps/).  A failed step does not stop
# the run: tests/harness/test_steps.py fails it with its log tail, and with
# NV2_STRICT=1 no test may skip for lack of a result (tests/conftest.py).
check:
	@mkdir -p $(RESULTS)
	-@$(PYTHON) ci/steps.py check $(CHECK_STEPS)
	@NV2_STRICT=1 NV2_CHECK_STEPS="$(CHECK_STEPS)" $(MAKE) --no-print-directory pytest

# Things every later step uses go first: the bases, the L0 that all boots
# run on, and the tools the L1 initramfs carries; then what many steps share
# (our kernel, which lint leaves built, the L2 programs, the initramfs), so
# it is built once.
CHECK_PREP_FIRST := qemu-l0 tools
CHECK_SHARED := lint kernel-ours l2-progs initramfs
CHECK_STEPS = bases $(filter $(CHECK_PREP_FIRST),$(CHECK_PREP)) $(CHECK_SHARED) \
	$(filter-out $(CHECK_PREP_FIRST) $(CHECK_SHARED),$(CHECK_PREP))
check-prep:
	$(PYTHON) ci/steps.py check $(CHECK_STEPS)

## bases          fetch + verify every base by exact version into ~/.cache/nestedv2
bases:
	ci/fetch-bases.sh all
bases-demo:
	ci/fetch-bases.sh demo

## print-check-steps  the steps of make check, in order
print-check-steps:
	@echo $(CHECK_STEPS)

pytest:
	@mkdir -p $(RESULTS)
	@$(PYTHON) -m pytest -p no:cacheprovider -q -rfE $(PYTEST_ARGS) \
		--basetemp=$(BUILD)/tmp/pytest \
		--junitxml=$(RESULTS)/junit.xml $(PYTEST_DIRS); rc=$$?; \
	$(PYTHON) ci/summary.py $(RESULTS)/junit.xml; exit $$rc

clean:
	rm -rf $(BUILD)/obj $(BUILD)/results $(BUILD)/initramfs

distclean:
	rm -rf $(BUILD)
