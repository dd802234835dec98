"""What the harness recorded when it booted L1 kernels in the emulated PowerVM.

base:  Debian's unpatched 6.1 — boots, but KVM cannot create a VM (baseline).
ref:   Debian's 6.12 (upstream nestedv2) — boots and runs L2 code (sanity).
ours:  Debian's 6.1 + our series — boots clean (more in tests/l2 later).
"""
import pytest

from nv2test import check_result, facts, tap_params


@pytest.mark.parametrize("r", tap_params("base-smoke", "boot-base"))
def test_base_boot(r):
    check_result(r)


@pytest.mark.parametrize("r", tap_params("ref-smoke", "boot-ref"))
def test_ref_boot(r):
    check_result(r)


@pytest.mark.parametrize("r", tap_params("ours-smoke", "boot-ours"))
def test_ours_boot(r):
    check_result(r)


def test_base_cannot_create_vm():
    f = facts("base-smoke")
    assert f.get("kvm_create_vm", "").startswith("error"), \
        f"stock 6.1 was expected to refuse KVM_CREATE_VM in a nestedv2 LPAR, got {f}"


def test_ref_creates_vm_and_runs_l2():
    f = facts("ref-smoke")
    assert f.get("kvm_create_vm") == "ok", f
    assert int(f.get("l2_hcall_roundtrips", 0)) == 200, f
