"""What the series does to the kernel ABI under Debian's config (make
debian-abi-report, not part of make check): the exported symbols whose
CRCs change, and the ones it adds."""
import os

import pytest

from nv2test import BUILD, skip_manual

PATH = os.path.join(BUILD, "abi", "abi-changes.txt")


@pytest.fixture(scope="module")
def changes():
    if not os.path.exists(PATH):
        skip_manual("debian-abi-report", "build/abi/abi-changes.txt has not been made")
    out = {}
    for line in open(PATH):
        kind, sym, path = line.split()
        out[sym] = (kind, path)
    return out


def test_paca_ptrs_crc_changes(changes):
    """struct lppaca's renamed reserved bytes reach paca_ptrs' CRC."""
    assert changes.get("paca_ptrs", ("",))[0] == "changed"


def test_new_exports_are_added(changes):
    for sym in ("plpar_guest_busy_sleep", "kvmppc_gs_put", "kvmppc_gsid_size"):
        assert changes.get(sym, ("",))[0] == "added", sym


def test_nothing_removed(changes):
    removed = sorted(s for s, (k, _) in changes.items() if k == "removed")
    assert not removed, removed
