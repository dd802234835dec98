# The emulated PowerVM (L0): QEMU 10.0 from Debian + qemu-patches/qemu-10.0.
# See docs/qemu-10.0.md.

QEMU10_OBJ := $(BUILD)/obj/qemu-10.0
# Every boot uses this L0: $(L0_QEMU) (the top Makefile) is
# $(QEMU10_OBJ)/qemu-system-ppc64.

.PHONY: qemu-l0 qemu-l0-build qemu-l0-src qemu-l0-quilt qemu-l0-bisect qemu-l0-clean

## qemu-l0        fetch + patch + build our L0 qemu-system-ppc64 -> build/obj/qemu-10.0/
qemu-l0:
	ci/qemu10.sh all

# make demo's step: the same L0 without the quilt check (make check does it).
qemu-l0-build:
	ci/qemu10.sh build

## qemu-l0-src    only unpack Debian's QEMU 10.0 and apply the series (git am)
qemu-l0-src:
	ci/qemu10.sh src

## qemu-l0-quilt  check that the QEMU 10.0 series pushes with quilt to the same tree
qemu-l0-quilt:
	ci/qemu10.sh quilt

## qemu-l0-bisect build the L0 after each QEMU 10.0 patch (each must build; ~2 min warm)
qemu-l0-bisect:
	ci/qemu10.sh bisect

## qemu-l0-clean  remove the QEMU 10.0 trees and objects (ccache is kept)
qemu-l0-clean:
	rm -rf $(BUILD)/src/qemu-10.0 $(BUILD)/src/qemu-10.0-base $(QEMU10_OBJ)

# Boots depend on the binary: built when missing (make check and make demo
# run qemu-l0 first, which also rebuilds it when the series changed).
$(L0_QEMU):
	ci/qemu10.sh all

CHECK_PREP += qemu-l0
PYTEST_DIRS += tests/qemu10
