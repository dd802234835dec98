"""KVM on PowerVM observability end to end: `make obs-check` boots our L1
(6.1 + series, CONFIG_VPA_PMU) under our QEMU 10.0 L0, runs an L2 VM with
4 vCPUs (l2-suite smp4) and the run item ci/initramfs/run/obs-check, which
uses the tracepoint through nvlat, the debugfs totals, vpa_pmu through
Debian's perf and nvlat --pmu, and times L2 round trips with the
tracepoint off and on.  make check runs it; outside make check these
tests skip until it has been run.
"""
import hashlib
import os
import re
import statistics
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "ci"))
import harness  # noqa: E402
import nv2test  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
RESULTS = os.environ.get("RESULTS", os.path.join(BUILD, "results"))
NAME = os.environ.get("OBS_RESULT", "obs-check")
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
COMPONENTS = ("l1_to_l2", "l2_to_l1", "l2_runtime")
PMU_EVENTS = ("l1_to_l2_lat", "l2_to_l1_lat", "l2_runtime_agg")


@pytest.fixture(scope="module")
def boot():
    return nv2test.boot(NAME, "obs-check")


def l2_counters(boot, tag):
    """{vcpuN: {key: int}} from the debugfs dump lines of a stage."""
    out = {}
    for line in boot.data(tag):
        words = line.split()
        out[words[0]] = {k: int(v) for k, v in zip(words[1::2], words[2::2])}
    return out


def test_run_is_clean(boot):
    """Every result ok (perf parts may skip without the perf overlay), the
    run item finished, the console clean."""
    boot.check_clean(skips_ok=True)


def test_the_l0_keeps_the_counters(boot):
    assert "/obj/qemu-10.0/" in boot.cmd.split()[0], \
        "the L0 was not our QEMU 10.0 build (Debian's does not keep the VPA L2 counters)"


def format_abi(text):
    """The parts of a tracefs format file that are ABI: event fields and print fmt."""
    keep = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("field:") and "common_" not in line:
            keep.append(line)
        elif line.startswith("print fmt:") or line.startswith("name:"):
            keep.append(line)
    return keep


def test_same_nvlat_binary_as_on_6_12(boot):
    """The reporter runs unchanged on both kernels: the nvlat in this L1 is
    the build's, and the one make tools-l1 ran on the 6.12 reference."""
    sha = boot.facts.get("obs.nvlat_sha256")
    assert sha and len(sha) == 64, boot.facts
    built = os.path.join(BUILD, "tools", "ppc64el", "nvlat")
    with open(built, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha, built
    ref = os.path.join(RESULTS, "tools-l1.facts")
    if not os.path.exists(ref):
        nv2test.skip_manual("tools-l1", "nvlat on 6.12 has not been run")
    facts = harness.read_facts(ref)
    assert facts.get("nvlat.sha256") == sha, "tools-l1 ran another nvlat binary"


def test_tracepoint_format_is_upstreams(boot):
    got = format_abi("\n".join(boot.data("format")))
    want = format_abi(open(os.path.join(GOLDEN, "kvmppc_vcpu_stats.format")).read())
    assert got == want


def test_pmu_sysfs_is_upstreams(boot):
    got = dict(l.split("=", 1) for l in boot.data("pmu"))
    assert got == {
        "events/l1_to_l2_lat": "event=0x01",
        "events/l2_to_l1_lat": "event=0x02",
        "events/l2_runtime_agg": "event=0x03",
        "format/event": "config:0-31",
    }


def test_nvlat_reports_every_vcpu(boot):
    r = boot.json("nvlat-json")
    assert r["source"] == "live" and r["lost"] == 0 and r["bad_records"] == 0
    vms = [v for v in r["vms"] if v["vm"] == "l2-suite"]
    assert len(vms) == 1, f"VMs: {[v['vm'] for v in r['vms']]}"
    vm = vms[0]
    vcpus = sorted(v["vcpu"] for v in r["vcpus"] if v["pid"] == vm["pid"])
    assert vm["vcpus"] == 4 and vcpus == [0, 1, 2, 3]
    for v in r["vcpus"]:
        # vCPU threads named like QEMU's (l2-suite does): nvlat reads them
        assert v["thread"] == f"CPU {v['vcpu']}/KVM", v
        for comp in COMPONENTS:
            s = v[comp]
            assert s["count"] == v["events"] > 0, (v["vcpu"], comp)
            assert 0 < s["min"] <= s["mean"] <= s["max"], (v["vcpu"], comp, s)
        assert 0 < v["switch_pct"] < 100


def test_switch_time_by_exit_reason(boot):
    """nvlat --by-exit in our L1: every event of the 4 vCPUs is in one exit
    row; l2-suite's vCPUs make hcall round trips, so its hcall is the main
    row; the table is in docs/reporter.md."""
    r = boot.json("byexit-json")
    assert r["bad_records"] == 0 and r["lost"] == 0, r
    bx = r["by_exit"]
    assert bx["paired"] > 0 and bx["exit_events_seen"] > 0, bx
    vm = next(v for v in r["vms"] if v["vm"] == "l2-suite")
    rows = [x for x in bx["vms"] if x["pid"] == vm["pid"]]
    assert sum(x["count"] for x in rows) == vm["events"]
    assert sum(x["switch_sum"] for x in rows) == \
        vm["l1_to_l2"]["sum"] + vm["l2_to_l1"]["sum"]
    # nearly all events have their exit (seen: 82 of 7688, cause not
    # known; a SYSCALL without its hcall event: 0 since the live path
    # orders events across poll rounds, 213 before)
    noexit = sum(x["count"] for x in rows if x["reason"] == "(no exit event)")
    assert noexit <= vm["events"] // 50, rows
    syscall = sum(x["count"] for x in rows if x["reason"] == "SYSCALL")
    assert syscall <= vm["events"] // 100, rows
    # l2-suite's vCPUs loop on its test hcall (tests/l2 KVMT_H_TEST 0xf100,
    # not in the kernel's name table): most runs end with it
    test_hcall = [x for x in rows if x["hcall"] == 0xf100]
    assert test_hcall and test_hcall[0]["reason"] == "hcall 0xf100"
    assert test_hcall[0]["count"] > vm["events"] // 2, rows
    vcpus = sorted({x["vcpu"] for x in bx["vcpus"] if x["pid"] == vm["pid"]})
    assert vcpus == [0, 1, 2, 3]
    assert "switch time by exit reason" in "\n".join(boot.data("byexit-table"))


def test_debugfs_totals_per_vcpu(boot):
    before = l2_counters(boot, "l2c-before")
    after = l2_counters(boot, "l2c-after-nvlat")
    assert sorted(after) == ["vcpu0", "vcpu1", "vcpu2", "vcpu3"]
    r = boot.json("nvlat-json")
    seen = {f"vcpu{v['vcpu']}": v for v in r["vcpus"] if v["vm"] == "l2-suite"}
    for vcpu, a in after.items():
        b = before.get(vcpu, {"runs": 0, "l1_to_l2_ns": 0, "l2_to_l1_ns": 0,
                              "l2_runtime_ns": 0})
        runs = a["runs"] - b["runs"]
        assert runs >= seen[vcpu]["events"] > 0, vcpu
        for comp in COMPONENTS:
            grew = a[comp + "_ns"] - b[comp + "_ns"]
            assert grew >= seen[vcpu][comp]["sum"] > 0, (vcpu, comp)


def test_counting_is_on_while_used(boot):
    during = l2_counters(boot, "l2c-during-nvlat")
    assert during and all(v["counting"] == 1 for v in during.values()), during


def test_perf_script_of_the_tracepoint(boot):
    """perf's own text for our events, parsed by nvlat --perf-script."""
    if "obs.perf" not in boot.facts:
        nv2test.skip_manual("obs-check", "no perf in the initramfs (make perf-payload)")
    head = boot.data("perf-script")
    assert head and all(re.search(r"kvm_hv:kvmppc_vcpu_stats: VCPU \d: l1_to_l2_cs_time=\d+ ns "
                                  r"l2_to_l1_cs_time=\d+ ns l2_runtime=\d+ ns", l)
                        for l in head), head
    r = boot.json("nvlat-perf-script")
    assert r["source"] == "perf-script" and r["bad_records"] == 0 and r["events"] > 0
    vcpus = sorted(v["vcpu"] for v in r["vcpus"])
    assert vcpus == [0, 1, 2, 3], vcpus


def test_counting_stops_with_the_last_user(boot):
    before = l2_counters(boot, "l2c-before")
    end = l2_counters(boot, "l2c-end")
    assert end and all(v["counting"] == 0 for v in end.values()), end
    assert before and all(v["counting"] == 0 for v in before.values()), before


def test_pmu_per_cpu_and_per_task(boot):
    cpu = boot.json("nvlat-pmu-cpu")
    assert all(cpu["total"][e] > 0 for e in PMU_EVENTS), cpu["total"]
    task = boot.json("nvlat-pmu-task")
    assert all(task["total"][e] > 0 for e in PMU_EVENTS), task["total"]
    busy = [t for t in task["targets"] if t["l2_runtime_agg"] > 0]
    assert len(busy) >= 4, "fewer than the 4 vCPU threads counted L2 time"
    idle = [t for t in task["targets"] if t["l1_to_l2_lat"] == 0]
    assert idle, "the main thread of the VMM runs no L2 and must count 0"


def perf_csv(lines):
    """perf stat -x, lines -> {event: count}; other lines ignored."""
    out = {}
    for l in lines:
        f = l.split(",")
        if len(f) > 2 and f[2].startswith("vpa_pmu/"):
            out[f[2]] = int(f[0]) if f[0].isdigit() else f[0]
    return out


def test_perf_stat(boot):
    if "obs.perf" not in boot.facts:
        nv2test.skip_manual("obs-check", "no perf in the initramfs (make perf-payload)")
    for tag in ("perf-a", "perf-p"):
        counts = perf_csv(boot.data(tag))
        assert sorted(counts) == sorted(f"vpa_pmu/{e}/" for e in PMU_EVENTS), counts
        assert all(isinstance(v, int) and v > 0 for v in counts.values()), (tag, counts)


def debugfs_delta(boot, stage):
    """What the L0 accounted to all vCPUs between l2c-pre-STAGE and l2c-post-STAGE."""
    pre, post = l2_counters(boot, "l2c-pre-" + stage), l2_counters(boot, "l2c-post-" + stage)
    assert sorted(pre) == sorted(post) == ["vcpu0", "vcpu1", "vcpu2", "vcpu3"], stage
    return {e: sum(post[v][c + "_ns"] - pre[v][c + "_ns"] for v in post)
            for e, c in zip(PMU_EVENTS, COMPONENTS)}


def check_agrees(pmu, kvm, what, low):
    """A PMU count against the per-vCPU totals over a window that contains it.

    Both are differences of the same VPA counters converted to ns, so the
    PMU can never count more: that bound is exact.  It misses the runs
    between the window edges and the events' enable/disable (nvlat opens
    its events one by one, while 4 busy vCPU threads share the 2 CPUs
    with it), and under a loaded TCG host single runs can take
    milliseconds (the host preempts the vCPU thread inside them), so a
    few missed runs can be a large share: the lower bound is only
    "counted a good part".  The exact check of the PMU is
    test_pmu_per_task_inherited_equals_system_wide."""
    for e in PMU_EVENTS:
        assert kvm[e] > 0, (what, e, kvm)
        assert low * kvm[e] <= pmu[e] <= kvm[e], (what, e, pmu[e], kvm[e])


def perf_counts(lines):
    return {k[len("vpa_pmu/"):-1]: v for k, v in perf_csv(lines).items()}


def test_pmu_agrees_with_the_vcpu_totals(boot):
    check_agrees(boot.json("nvlat-pmu-cpu")["total"], debugfs_delta(boot, "pmu-cpu"),
                 "nvlat --pmu (per CPU)", 0.1)
    check_agrees(boot.json("nvlat-pmu-task")["total"], debugfs_delta(boot, "pmu-task"),
                 "nvlat --pmu -p (per task)", 0.1)
    if "obs.perf" in boot.facts:
        check_agrees(perf_counts(boot.data("perf-a")), debugfs_delta(boot, "perf-a"),
                     "perf stat -a", 0.3)
        check_agrees(perf_counts(boot.data("perf-p")), debugfs_delta(boot, "perf-p"),
                     "perf stat -p", 0.1)


def test_pmu_per_task_inherited_equals_system_wide(boot):
    """perf stat -a -- perf stat -- l2-suite smp4: the only L2s are the inner
    workload's, and its inherited per-task events see all of their runs."""
    if "obs.perf" not in boot.facts:
        nv2test.skip_manual("obs-check", "no perf in the initramfs (make perf-payload)")
    outer, inner = perf_counts(boot.data("perf-outer")), perf_counts(boot.data("perf-inner"))
    for e in PMU_EVENTS:
        assert outer[e] > 0, (e, outer)
        assert 0.98 * outer[e] <= inner[e] <= outer[e], (e, inner[e], outer[e])


def test_bad_requests_are_refused(boot):
    if "obs.perf" not in boot.facts:
        nv2test.skip_manual("obs-check", "no perf in the initramfs (make perf-payload)")
    text = "\n".join(boot.data("perf-record"))
    assert "doesn't support sampling" in text, text      # EOPNOTSUPP
    bad = boot.data("perf-bad")
    assert len([l for l in bad if "failed, error -22" in l]) == 2, bad


def overhead(boot):
    s = {"on": [], "off": [], "perf": [], "inkernel": []}
    for line in boot.data("overhead"):
        mode, us = line.split()[:2]
        s[mode].append(float(us))
    return s


def overhead_ratio(s, mode="on"):
    """Median of the MODE/off ratios of consecutive samples (drift cancels)."""
    return statistics.median(on / off for on, off in zip(s[mode], s["off"]))


def test_tracepoint_overhead_measured(boot):
    s = overhead(boot)
    assert len(s["on"]) == len(s["off"]) == 5, s
    ratio = overhead_ratio(s)
    # Tracing one event per L2 exit must not double the round trip
    assert 0.5 < ratio < 2.0, (ratio, s)
    # nvlat's two live paths, same run (figures in docs/performance.md)
    assert len(s["perf"]) == len(s["inkernel"]) == 5, s
    assert 0.5 < overhead_ratio(s, "perf") < 3.0, s
    assert 0.5 < overhead_ratio(s, "inkernel") < 3.0, s


def test_in_kernel_aggregation(boot):
    """nvlat --in-kernel (hist triggers, CONFIG_HIST_TRIGGERS in the lean
    config) sees the 4 vCPUs, with exact sums and log2-bucket maxima."""
    r = boot.json("inkernel-json")
    assert r["source"] == "in-kernel" and r["events"] > 0 and r["lost"] == 0, r
    vm = next(v for v in r["vms"] if v["vm"] == "l2-suite")
    vcpus = sorted(v["vcpu"] for v in r["vcpus"] if v["pid"] == vm["pid"])
    assert vcpus == [0, 1, 2, 3]
    for v in r["vcpus"]:
        for comp in COMPONENTS:
            s = v[comp]
            assert s["count"] > 0 and s["sum"] > 0
            assert s["max"] & (s["max"] - 1) == 0, s      # a power of two
            assert s["mean"] <= s["max"], s
