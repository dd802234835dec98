"""Fault injection (make fault-sweep, ci/fault-sweep.sh): each H_GUEST_*
hcall fails once in our L0 while our L1 runs kvm-smoke.  The VMM gets an
error (DELETE has no VMM call to fail: the L1 logs it), and the L1 never
oopses.  The same on the modular L1 (make fault-sweep-modular, not in
make check: results fault-modular-*, skipped when absent)."""
import os

import pytest

from nv2test import RESULTS, facts, harness, skip_manual

HCALLS = ["get-capabilities", "set-capabilities", "create", "create-vcpu",
          "get-state", "set-state", "run-vcpu", "delete"]
# results prefix -> the make target that writes it
SWEEPS = {"fault": "fault-sweep", "fault-modular": "fault-sweep-modular"}


def results(h, prefix="fault"):
    path = os.path.join(RESULTS, f"{prefix}-{h}.tap")
    if not os.path.exists(path):
        if prefix != "fault":
            skip_manual(SWEEPS[prefix], f"{path} absent")
        pytest.fail(f"{path} missing: run 'make fault-sweep'")
    return {r.name: r for r in harness.read_tap(path)}


@pytest.mark.parametrize("prefix", SWEEPS)
@pytest.mark.parametrize("h", HCALLS)
def test_l1_survives(h, prefix):
    r = results(h, prefix)
    for name in ("reached /init", "ran to the end", "console is clean"):
        assert name in r and r[name].ok, f"H_GUEST_{h} failing: {name}: {r.get(name) and r[name].diag}"


# The negotiation at kvm_hv's init.  In the modular L1 busybox's modprobe
# loads a module with finit_module and, when that fails for any reason,
# once more with init_module: the init that failed on the L0's one bad
# answer runs again and succeeds, so the VMM sees a working KVM (Debian's
# kmod makes one attempt; its modprobe would fail).  What is checked there
# instead: the failure was logged, nothing it left stopped the second init.
NEGOTIATION = ("get-capabilities", "set-capabilities")
NEGOTIATION_FAILED = {"get-capabilities": "Parent hypervisor does not support nesting",
                      "set-capabilities": "H_GUEST_SET_CAPABILITIES("}


@pytest.mark.parametrize("prefix", SWEEPS)
@pytest.mark.parametrize("h", [h for h in HCALLS if h != "delete"])
def test_vmm_gets_an_error(h, prefix):
    results(h, prefix)
    f = facts(f"{prefix}-{h}")
    if prefix == "fault-modular" and h in NEGOTIATION:
        console = open(os.path.join(RESULTS, f"{prefix}-{h}.console"),
                       errors="replace").read()
        failed = console.find(NEGOTIATION_FAILED[h])
        works = console.find("kvm-hv: nested API: PAPR nestedv2", max(failed, 0))
        assert failed >= 0 and works > failed, \
            f"H_GUEST_{h} failing once: no failed then successful kvm_hv init in the log"
        assert f.get("kvm_create_vm") == "ok" and f.get("l2_hcall_roundtrips") == "200", f
        return
    trips = int(f.get("l2_hcall_roundtrips", "0") or 0)
    assert f.get("kvm_create_vm", "").startswith("error") or trips != 200, \
        f"H_GUEST_{h} failed in the L0 but the VMM saw no error: {f}"


@pytest.mark.parametrize("prefix", SWEEPS)
def test_failed_delete_is_logged_not_fatal(prefix):
    results("delete", prefix)
    f = facts(f"{prefix}-delete")
    assert f.get("kvm_create_vm") == "ok" and f.get("l2_hcall_roundtrips") == "200", f
    console = open(os.path.join(RESULTS, f"{prefix}-delete.console"), errors="replace").read()
    assert "H_GUEST_DELETE of guest" in console
