"""Fault injection (make fault-sweep, ci/fault-sweep.sh): each H_GUEST_*
hcall fails once in our L0 while our L1 runs kvm-smoke.  The VMM gets an
error (DELETE has no VMM call to fail: the L1 logs it), and the L1 never
oopses."""
import os

import pytest

from nv2test import RESULTS, facts, harness

HCALLS = ["get-capabilities", "set-capabilities", "create", "create-vcpu",
          "get-state", "set-state", "run-vcpu", "delete"]


def results(h):
    path = os.path.join(RESULTS, f"fault-{h}.tap")
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: run 'make fault-sweep'")
    return {r.name: r for r in harness.read_tap(path)}


@pytest.mark.parametrize("h", HCALLS)
def test_l1_survives(h):
    r = results(h)
    for name in ("reached /init", "ran to the end", "console is clean"):
        assert name in r and r[name].ok, f"H_GUEST_{h} failing: {name}: {r.get(name) and r[name].diag}"


@pytest.mark.parametrize("h", [h for h in HCALLS if h != "delete"])
def test_vmm_gets_an_error(h):
    f = facts(f"fault-{h}")
    trips = int(f.get("l2_hcall_roundtrips", "0") or 0)
    assert f.get("kvm_create_vm", "").startswith("error") or trips != 200, \
        f"H_GUEST_{h} failed in the L0 but the VMM saw no error: {f}"


def test_failed_delete_is_logged_not_fatal():
    f = facts("fault-delete")
    assert f.get("kvm_create_vm") == "ok" and f.get("l2_hcall_roundtrips") == "200", f
    console = open(os.path.join(RESULTS, "fault-delete.console"), errors="replace").read()
    assert "H_GUEST_DELETE of guest" in console
