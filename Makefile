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

CHECK_PREP :=
PYTEST_DIRS :=

.PHONY: all help deps demo check check-prep pytest clean distclean
all: help

help:
	@sed -n '2,/^$$/p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Targets:"; grep -hE '^## ' Makefile ci/mk/*.mk | sed 's/^## /  /'

## deps           install build dependencies (bookworm + bookworm-backports only)
deps:
	ci/deps.sh

include $(sort $(wildcard ci/mk/*.mk))

## check          build, boot and test everything; ends with "N passed, N failed"
check:
	@mkdir -p $(RESULTS)
	-@$(MAKE) -k --no-print-directory check-prep
	@$(MAKE) --no-print-directory pytest

# Things every later step uses go first: the L0 that all boots run on, and
# the tools the L1 initramfs carries.  make -k builds prerequisites in order.
CHECK_PREP_FIRST := qemu-l0 tools
check-prep: $(filter $(CHECK_PREP_FIRST),$(CHECK_PREP)) \
	$(filter-out $(CHECK_PREP_FIRST),$(CHECK_PREP))

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
