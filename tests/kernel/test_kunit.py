"""KUnit suites of our 6.1 series, booted in the emulated PowerVM (make kunit)."""
import pytest

from nv2test import check_result, tap_params

PARAMS = tap_params("kunit", "kunit")


@pytest.mark.parametrize("r", PARAMS)
def test_kunit(r):
    check_result(r)


def test_gsb_suite_size():
    """The Guest State Buffer suite: at least 25 cases, 10 of them negative."""
    cases = [p.values[0] for p in PARAMS if hasattr(p.values[0], "name")]
    gsb = [c for c in cases if c.name.split("/")[0].startswith(("guest_state", "kvmppc_gs", "gsb"))]
    if not gsb:
        pytest.fail("no Guest State Buffer KUnit cases in build/results/kunit.tap")
    neg = [c for c in gsb if any(w in c.name for w in ("reject", "invalid", "bad", "malformed",
                                                       "overflow", "truncat", "unknown"))]
    assert len(gsb) >= 25, len(gsb)
    assert len(neg) >= 10, [c.name for c in neg]
