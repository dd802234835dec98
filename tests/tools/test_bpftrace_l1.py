"""tools/bpftrace/*.bt on the live tracepoint, read back from `make bpftrace-l1`.

make bpftrace-l1 (ci/mk/bpftrace.mk, not part of make check) boots our 6.1
L1 with BPF_EVENTS under our QEMU 10.0 L0, runs an L2 VM with 4 vCPUs
(l2-suite smp4) and, in the run item ci/initramfs/run/bpftrace-l1,
Debian 12's bpftrace 0.17 with nvlat-hist.bt and nvlat-summary.bt for a few
seconds each, stopped with SIGINT.  These tests skip until it has run.
test_bpftrace.py only compiles the scripts; this checks what they print
when kvm_hv:kvmppc_vcpu_stats really fires.
"""
import collections
import re

import pytest

import nv2test

NAME = "bpftrace-l1"
VCPUS = {0, 1, 2, 3}
HIST_MAPS = ("l1_to_l2_ns", "l2_to_l1_ns", "l2_runtime_ns")
STATS_MAPS = ("l1_to_l2", "l2_to_l1", "l2_runtime")
# "@l1_to_l2_ns[412, 3]:" (nvlat-hist.bt: [pid, vcpu_id])
HIST_KEY = re.compile(r"^@(\w+)\[(\d+), (\d+)\]:\s*$")
# "[1K, 2K)    17 |@@@@   |" or "[0]   2 |@  |"
HIST_ROW = re.compile(r"^\[[^\]]*[\])]\s+(\d+) \|")
# "@l1_to_l2[412, l2-suite, 3]: count 9, average 5120, total 46080"
STATS = re.compile(r"^@(\w+)\[(\d+), (.*), (\d+)\]: count (\d+), average (\d+), total (\d+)$")
# "@l1_to_l2_max[412, l2-suite, 3]: 18432"
MAX = re.compile(r"^@(\w+)_max\[(\d+), (.*), (\d+)\]: (\d+)$")
TOTAL = re.compile(r"^@(switch_ns_total|all_ns_total): (\d+)$")


@pytest.fixture(scope="module")
def run():
    return nv2test.boot(NAME, "bpftrace-l1")


def by_pid(pairs):
    """{pid: set of vcpu_ids} from (pid, vcpu_id) pairs."""
    out = collections.defaultdict(set)
    for pid, vcpu in pairs:
        out[pid].add(vcpu)
    return out


def one_vm(pairs, what):
    """The pid whose 4 vCPUs all appear in pairs."""
    pids = [p for p, v in by_pid(pairs).items() if VCPUS <= v]
    assert pids, f"{what}: no pid with vCPUs 0-3: {dict(by_pid(pairs))}"
    return pids[0]


def test_run_is_clean(run):
    """Every result ok, the run item finished, the console clean."""
    run.check_clean()


def test_bpftrace_said_no_error(run):
    for tag in ("bt-hist-err", "bt-summary-err"):
        errors = [l for l in run.data(tag) if ("ERROR" in l and "RLIMIT_MEMLOCK" not in l)
                  or "still running" in l]
        assert not errors, "\n".join(errors)
    assert run.facts.get("bt.bt-hist.rc") == "0"
    assert run.facts.get("bt.bt-summary.rc") == "0"


def test_hist_all_vcpus_nonzero(run):
    lines = run.data("bt-hist")
    assert any(l.startswith("Tracing kvm_hv:kvmppc_vcpu_stats") for l in lines), lines[:3]
    # {map: [(pid, vcpu)]} of the histograms with at least one non-zero row
    seen = collections.defaultdict(list)
    key = None
    for l in lines:
        m = HIST_KEY.match(l)
        if m:
            key = (m.group(1), int(m.group(2)), int(m.group(3)))
            continue
        r = HIST_ROW.match(l)
        if r and key and int(r.group(1)) > 0:
            seen[key[0]].append(key[1:])
    pids = {one_vm(seen[m], f"nvlat-hist.bt @{m}") for m in HIST_MAPS}
    assert len(pids) == 1, f"the maps name different VMs: {pids}"
    assert pids == {int(run.facts["bt.load_pid"])}
    # one print per period: a run of a few seconds prints several
    assert sum(1 for l in lines if l.startswith("@l1_to_l2_ns[")) >= 8


def test_summary_all_vcpus_nonzero(run):
    lines = run.data("bt-summary")
    assert any(l.startswith("Tracing kvm_hv:kvmppc_vcpu_stats") for l in lines), lines[:3]
    stats = collections.defaultdict(list)
    maxes = collections.defaultdict(list)
    totals = collections.defaultdict(list)
    for l in lines:
        m = STATS.match(l)
        if m and int(m.group(5)) > 0 and int(m.group(6)) > 0 and int(m.group(7)) > 0:
            stats[m.group(1)].append((int(m.group(2)), int(m.group(4))))
        m = MAX.match(l)
        if m and int(m.group(5)) > 0:
            maxes[m.group(1)].append((int(m.group(2)), int(m.group(4))))
        m = TOTAL.match(l)
        if m:
            totals[m.group(1)].append(int(m.group(2)))
    pids = {one_vm(stats[m], f"nvlat-summary.bt @{m}") for m in STATS_MAPS}
    pids |= {one_vm(maxes[m], f"nvlat-summary.bt @{m}_max") for m in STATS_MAPS}
    assert pids == {int(run.facts["bt.load_pid"])}
    # the switch share: switch time is a non-zero part of all the time
    pairs = list(zip(totals["switch_ns_total"], totals["all_ns_total"]))
    assert pairs and all(0 < s < a for s, a in pairs), pairs
