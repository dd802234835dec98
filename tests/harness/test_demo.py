"""The main job, `make demo` (ci/demo.sh): our L1 in the emulated PowerVM
says which nested API it uses, creates a VM, runs L2 round trips, and
tools/nvlat reports what nesting costs for each vCPU of a 4-vCPU L2 VM.
make check runs it (CHECK_PREP), so the README's first command keeps
working; these tests read build/results/demo.*.
"""
import re

import pytest

import nv2test
from nv2test import check_result, tap_params

# "l2-suite   57  0  60  CPU 0/KVM  l1_to_l2  20721  3007.3  2295 ..." (per vCPU)
VCPU_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(CPU \d+/KVM)\s+l1_to_l2\s+(\d+)\s+([\d.]+)")


@pytest.mark.parametrize("r", tap_params("demo", "demo"))
def test_demo_result(r):
    check_result(r)


@pytest.fixture(scope="module")
def demo():
    return nv2test.boot("demo", "demo")


def test_demo_runs_on_our_l0(demo):
    """The main job shows what we ship: our QEMU 10.0 L0 (Debian's does not
    maintain the L2 counters nvlat reports)."""
    assert demo.cmd, "no demo.cmd (the L0 command line)"
    assert demo.cmd.split()[0].endswith("/obj/qemu-10.0/qemu-system-ppc64"), demo.cmd.split()[0]


def test_demo_uses_nestedv2(demo):
    assert "kvm-hv: nested API: PAPR nestedv2 (H_GUEST_*)" in demo.console
    assert demo.facts.get("kvm_create_vm") == "ok", demo.facts
    assert demo.facts.get("l2_hcall_roundtrips") == "200", demo.facts


def test_demo_reports_the_cost_of_every_vcpu(demo):
    report = demo.data("nvlat")
    assert report and re.match(r"nvlat \S+: live, .* (\d+) events, 0 lost, 0 bad records",
                               report[0]), report[:1]
    rows = [m.groups() for m in map(VCPU_ROW.match, report) if m]
    assert sorted(int(r[2]) for r in rows) == [0, 1, 2, 3], report
    assert {r[0] for r in rows} == {"l2-suite"}
    for vm, pid, vcpu, tid, thread, count, mean in rows:
        assert thread == f"CPU {vcpu}/KVM"
        assert int(count) > 0 and float(mean) > 0, (vcpu, count, mean)
    assert int(demo.facts["nvlat_events"]) == sum(int(r[5]) for r in rows)
