"""nvlat inside a real L1: the 6.12 reference kernel in the emulated
PowerVM (QEMU 10.0 L0 with the L2 VPA counters), the 4 vCPUs of an L2 VM
busy with hcall round trips (tests/l2's l2-suite smp4), the static ppc64el
nvlat (the binary tests/obs runs on our 6.1) reading
kvm_hv:kvmppc_vcpu_stats live, recording and replaying; `make tools-l1`
boots it (part of make check) and tools/nvlat/nvlat-l1.sh is the run item."""
import json

import pytest

from nvlat_paths import RESULTS
from nv2test import skip_manual

NAME = "tools-l1"


@pytest.fixture(scope="module")
def boot():
    tap = RESULTS / f"{NAME}.tap"
    if not tap.exists():
        if (RESULTS / f"{NAME}.started").exists():
            pytest.fail(f"make tools-l1 started but left no {tap}: see the make output")
        skip_manual("tools-l1", "it has not been run")
    console = (RESULTS / f"{NAME}.console").read_text(errors="replace")
    facts = dict(l.split("=", 1) for l in (RESULTS / f"{NAME}.facts").read_text().splitlines()
                 if "=" in l)
    cmd = (RESULTS / f"{NAME}.cmd").read_text()
    # Every boot runs on our L0 (no fallback to Debian's QEMU 10.0, which does
    # not maintain the VPA L2 counters and so gives no events to report).
    assert "/obj/qemu-10.0/" in cmd.split()[0], f"tools-l1 booted on {cmd.split()[0]}"
    return tap.read_text(), console, facts


def _json(console, tag):
    for line in console.splitlines():
        if f"NV2: # {tag}: " in line:
            return json.loads(line.split(f"NV2: # {tag}: ", 1)[1].strip())
    pytest.fail(f"no {tag} line in the console")


def test_all_results_ok(boot):
    tap, _, _ = boot
    bad = [l for l in tap.splitlines() if l.startswith("not ok")]
    assert not bad, "\n".join(bad)
    assert "live report from kvm_hv:kvmppc_vcpu_stats" in tap


def test_live_report_is_plausible(boot):
    _, console, facts = boot
    r = _json(console, "nvlat-json")
    assert facts["nvlat.rc"] == "0" and int(facts["nvlat.events"]) == r["events"] > 0
    assert r["source"] == "live" and r["lost"] == 0 and r["bad_records"] == 0
    (vm,) = [v for v in r["vms"] if v["vm"] == "l2-suite"]
    vcpus = [v for v in r["vcpus"] if v["pid"] == vm["pid"]]
    assert len(vcpus) == vm["vcpus"] == 4
    assert sorted(v["vcpu"] for v in vcpus) == [0, 1, 2, 3]
    assert sum(v["events"] for v in vcpus) == vm["events"]
    for e in [vm] + vcpus:
        assert 0 < e["switch_pct"] < 100
        for comp in ("l1_to_l2", "l2_to_l1", "l2_runtime"):
            s = e[comp]
            assert s["count"] == e["events"]
            assert 0 < s["min"] <= s["p50"] <= s["p90"] <= s["p99"] <= s["max"]
            assert s["min"] <= s["mean"] <= s["max"]


def test_record_and_replay_in_the_l1(boot):
    _, console, _ = boot
    r = _json(console, "nvlat-replay-json")
    assert r["source"] == "replay" and r["events"] > 0 and r["bad_records"] == 0
    assert [v["vm"] for v in r["vms"]] == ["l2-suite"]


def test_pmu_absent_on_6_12_is_named(boot):
    _, console, facts = boot
    if facts.get("nvlat.pmu_rc") == "0":
        return                     # a kernel with vpa_pmu: counted
    assert facts.get("nvlat.pmu_rc") == "4"
    assert "vpa_pmu PMU is not available" in console
