# QEMU 7.2 (the VMM inside the L1 LPAR): qemu-patches/qemu-7.2 on Debian's
# source, cross-built for ppc64el (KVM only), plus the initramfs overlay.
# See docs/qemu-7.2.md.

.PHONY: qemu72 qemu72-source qemu72-quilt qemu72-payload

## qemu72         QEMU 7.2 + series: git am, quilt check, ppc64el KVM-only cross build, payload overlay
qemu72:
	@mkdir -p $(RESULTS)/qemu72
	@ci/qemu72.sh all 2>&1 | tee $(RESULTS)/qemu72/qemu72.log; \
	rc=$${PIPESTATUS[0]}; echo $$rc >$(RESULTS)/qemu72/qemu72.rc; exit $$rc

## qemu72-source  QEMU 7.2: fetch the pinned source and apply the series (build/src/qemu-7.2)
qemu72-source:
	ci/qemu72.sh source

## qemu72-quilt   QEMU 7.2: check the series with quilt on a pristine copy
qemu72-quilt:
	ci/qemu72.sh quilt

## qemu72-payload QEMU 7.2: (re)make build/payload/qemu-7.2 from the last build
qemu72-payload:
	ci/qemu72.sh payload

CHECK_PREP += qemu72
PYTEST_DIRS += tests/qemu72

# Not in CHECK_PREP (CI minutes, see docs/qemu-7.2.md): TCG semantics.
.PHONY: qemu72-tcg
## qemu72-tcg     QEMU 7.2: x86-host TCG build + sprcheck of DEXCR/HDEXCR semantics (not in check)
qemu72-tcg:
	@mkdir -p $(RESULTS)/qemu72
	ci/qemu72.sh tcg

.PHONY: qemu72-each
## qemu72-each    QEMU 7.2: cross-build at every patch of the series in turn (not in check)
qemu72-each:
	@mkdir -p $(RESULTS)/qemu72
	ci/qemu72.sh each
