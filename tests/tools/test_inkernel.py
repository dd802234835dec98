"""nvlat --in-kernel on a fake tracefs: the hist triggers it writes, the hist
file it reads (the kernel's format, kernel/trace/trace_events_hist.c), the
difference between two readings as the report, and the triggers taken out
again.  The real kernel: make obs-check (our 6.1 L1, CONFIG_HIST_TRIGGERS)."""
import json
import os
import subprocess
import time

from test_errors import fake_tracefs

SPECS = [   # at most 3 values per trigger, the hit count included
    "hist:keys=common_pid,vcpu_id:vals=hitcount,l1_to_l2_cs,l2_to_l1_cs:size=4096",
    "hist:keys=common_pid,vcpu_id:vals=hitcount,l2_runtime:size=4096",
    "hist:keys=common_pid,vcpu_id,l1_to_l2_cs.log2:vals=hitcount:size=16384",
    "hist:keys=common_pid,vcpu_id,l2_to_l1_cs.log2:vals=hitcount:size=16384",
    "hist:keys=common_pid,vcpu_id,l2_runtime.log2:vals=hitcount:size=16384",
]


def hist_text(per):
    """per: {(tid, vcpu): [(l1l2, l2l1, run), ...]} -> the hist file."""
    out = []
    for n, spec in enumerate(SPECS):
        out += ["# event histogram", "#", f"# trigger info: {spec} [active]", "#", ""]
        hits = 0
        for (tid, vcpu), evs in per.items():
            s = [sum(e[c] for e in evs) for c in range(3)]
            if n == 0:
                out.append(f"{{ common_pid: {tid:>10}, vcpu_id: {vcpu:>10} }} hitcount: "
                           f"{len(evs):>10}  l1_to_l2_cs: {s[0]:>10}  l2_to_l1_cs: "
                           f"{s[1]:>10}")
            elif n == 1:
                out.append(f"{{ common_pid: {tid:>10}, vcpu_id: {vcpu:>10} }} hitcount: "
                           f"{len(evs):>10}  l2_runtime: {s[2]:>10}")
            else:
                name = ["l1_to_l2_cs", "l2_to_l1_cs", "l2_runtime"][n - 2]
                b = {}
                for e in evs:
                    k = (e[n - 2] - 1).bit_length()     # order_base_2
                    b[k] = b.get(k, 0) + 1
                for k, c in sorted(b.items()):
                    out.append(f"{{ common_pid: {tid:>10}, vcpu_id: {vcpu:>10}, {name}: ~ 2^{k:<2} }}"
                               f" hitcount: {c:>10}")
            hits += len(evs)
        out += ["", "Totals:", f"    Hits: {hits}", f"    Entries: {len(per)}",
                "    Dropped: 0", ""]
    return "\n".join(out) + "\n"


def test_in_kernel_report_is_the_difference_of_two_readings(nvlat, tmp_path):
    root = fake_tracefs(tmp_path)
    ev = root / "events" / "kvm_hv" / "kvmppc_vcpu_stats"
    (ev / "trigger").write_text("")
    me = os.getpid()
    base = {(me, 0): [(1000, 2000, 30000)] * 3, (4000001, 1): [(5000, 5000, 5000)]}
    (ev / "hist").write_text(hist_text(base))
    env = dict(os.environ, NVLAT_TRACEFS=str(root))
    p = subprocess.Popen([str(nvlat), "--in-kernel", "-d", "1.5", "--json"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)         # after the baseline reading (0.2 s)
    later = {(me, 0): base[(me, 0)] + [(1500, 2500, 40000), (3000, 1000, 50000)],
             (4000001, 1): base[(4000001, 1)] + [(900, 1100, 100)]}
    (ev / "hist").write_text(hist_text(later))
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    r = json.loads(out)
    assert r["source"] == "in-kernel" and r["events"] == 3
    v = {x["tid"]: x for x in r["vcpus"]}
    assert v[me]["vcpu"] == 0 and v[me]["pid"] == me
    assert v[me]["l1_to_l2"]["count"] == 2 and v[me]["l1_to_l2"]["sum"] == 4500
    assert v[me]["l2_runtime"]["sum"] == 90000
    # percentiles, max: the upper bound of the log2 bucket (2^12 for 3000)
    # (within nvlat's own 0.4 % buckets)
    assert v[me]["l1_to_l2"]["max"] == 4096 and 2048 <= v[me]["l1_to_l2"]["p50"] <= 2063
    assert v[4000001]["pid"] == 0 and v[4000001]["l2_to_l1"]["sum"] == 1100
    trig = (ev / "trigger").read_text()
    assert trig == "".join(SPECS) + "".join("!" + s for s in reversed(SPECS))


def test_in_kernel_needs_hist_triggers(run, tmp_path):
    root = fake_tracefs(tmp_path)
    # no trigger file: no event triggers in this kernel
    p = run("--in-kernel", "-d", "1", env={"NVLAT_TRACEFS": str(root)})
    assert p.returncode == 4 and "trigger" in p.stderr


def test_in_kernel_usage(run, sample_nvl):
    p = run("--in-kernel", "-r", sample_nvl)
    assert p.returncode == 2 and "--in-kernel" in p.stderr
