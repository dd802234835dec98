"""Percentiles on known data and interval behaviour in replay."""
import json
import math

import pytest

import nvcap

S = 1_000_000_000


def boot(events):
    """The first event of each L1 CPU (a delta since the counters started),
    which nvlat leaves out, in front of the events like the kernel's."""
    cpus = sorted({e[3] for e in events if e[3] != 0xFFFFFFFF})
    return [(events[0][0], 1, 1, c, 0, 10**10, 10**10, 10**10) for c in cpus]


def capture(tmp_path, events, name="c.nvl", tasks=()):
    data = bytearray(nvcap.header())
    for t in tasks:
        data += nvcap.task(*t)
    for e in boot(events) + list(events):
        data += nvcap.event(*e)
    f = tmp_path / name
    f.write_bytes(data)
    return f


def reports(run, f, *args):
    p = run("-r", f, "--json", *args)
    assert p.returncode == 0, p.stderr
    return [json.loads(x) for x in p.stdout.splitlines()]


def nearest_rank(vals, pct):
    s = sorted(vals)
    return s[max(1, math.ceil(pct / 100 * len(s))) - 1]


def test_exact_percentiles_below_256(run, tmp_path):
    vals = list(range(1, 201))
    evs = [(S + i * 1000, 10, 11, 0, 0, v, 250 - v, 2 * v) for i, v in enumerate(reversed(vals))]
    r = reports(run, capture(tmp_path, evs))[0]["vcpus"][0]
    assert (r["l1_to_l2"]["p50"], r["l1_to_l2"]["p90"], r["l1_to_l2"]["p99"]) == (100, 180, 198)
    assert r["l1_to_l2"]["mean"] == 100.5 and r["l1_to_l2"]["max"] == 200
    assert r["l2_to_l1"]["p50"] == nearest_rank([250 - v for v in vals], 50)
    assert r["l2_runtime"]["p99"] == nearest_rank([2 * v for v in vals], 99)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_within_bound(run, tmp_path, seed):
    import random
    rnd = random.Random(seed)
    vals = [int(rnd.lognormvariate(8, 1.2)) + 1 for _ in range(5000)]
    evs = [(S + i * 1000, 10, 11, 0, 0, v, v, v) for i, v in enumerate(vals)]
    r = reports(run, capture(tmp_path, evs))[0]["vcpus"][0]["l1_to_l2"]
    for p in (50, 90, 99):
        exact = nearest_rank(vals, p)
        assert abs(r[f"p{p}"] - exact) <= max(0, exact / 256), (p, r[f"p{p}"], exact)
    assert r["min"] == min(vals) and r["max"] == max(vals) and r["sum"] == sum(vals)


def test_huge_values_do_not_overflow(run, tmp_path):
    big = 2**62
    evs = [(S, 10, 11, 0, 0, big, 1, big), (S + 1, 10, 11, 0, 0, 1, 1, 1)]
    r = reports(run, capture(tmp_path, evs))[0]["vcpus"][0]
    assert r["l1_to_l2"]["max"] == big and r["l1_to_l2"]["p99"] == big
    assert r["switch_pct"] == pytest.approx(50.0, abs=0.01)


def test_switch_share(run, tmp_path):
    # 1000 + 3000 switching vs 36000 in L2: 10 %
    evs = [(S + i, 10, 11, 0, 0, 1000, 3000, 36000) for i in range(10)]
    r = reports(run, capture(tmp_path, evs))[0]
    assert r["vcpus"][0]["switch_pct"] == 10.0 and r["vms"][0]["switch_pct"] == 10.0


def test_intervals_follow_timestamps(run, tmp_path):
    # events at 0.0, 0.1, ... 4.9 s: 10 per second
    evs = [(S + i * S // 10, 10, 11, 0, 0, 100 + i, 1, 1) for i in range(50)]
    reps = reports(run, capture(tmp_path, evs), "-i", "1")
    assert [r["interval"] for r in reps] == [0, 1, 2, 3, 4]
    assert [r["events"] for r in reps] == [10] * 5
    assert [(r["start_s"], r["end_s"]) for r in reps] == [(k, k + 1) for k in range(5)]
    # each interval starts over
    assert [r["vcpus"][0]["l1_to_l2"]["min"] for r in reps] == [100, 110, 120, 130, 140]


def test_interval_gap_is_not_printed(run, tmp_path):
    evs = [(S, 10, 11, 0, 0, 1, 1, 1), (S + S // 2, 10, 11, 0, 0, 1, 1, 1),
           (S + 7 * S + 1, 10, 11, 0, 0, 2, 2, 2)]
    reps = reports(run, capture(tmp_path, evs), "-i", "2")
    assert [(r["interval"], r["events"]) for r in reps] == [(0, 2), (3, 1)]
    assert (reps[1]["start_s"], reps[1]["end_s"]) == (6, 8)


def test_duration_cuts_replay(run, tmp_path):
    evs = [(S + i * S // 10, 10, 11, 0, 0, 1, 1, 1) for i in range(50)]
    reps = reports(run, capture(tmp_path, evs), "-d", "2.05")
    assert reps[0]["events"] == 21
    reps = reports(run, capture(tmp_path, evs), "-d", "2", "-i", "1")
    assert [r["events"] for r in reps] == [10, 10]


def test_late_event_counts_in_current_interval(run, tmp_path):
    evs = [(S, 10, 11, 0, 0, 1, 1, 1), (S + 1500 * 10**6, 10, 11, 0, 0, 1, 1, 1),
           (S + 900 * 10**6, 10, 11, 0, 0, 1, 1, 1)]   # late, from another CPU
    reps = reports(run, capture(tmp_path, evs), "-i", "1")
    assert [r["events"] for r in reps] == [1, 2]


def test_lost_events_in_the_right_interval(run, tmp_path):
    data = bytearray(nvcap.header())
    data += nvcap.event(*boot([(S, 10, 11, 0)])[0])
    data += nvcap.event(S, 10, 11, 0, 0, 1, 1, 1)
    data += nvcap.lost(S + 1200 * 10**6, 7)
    data += nvcap.event(S + 1300 * 10**6, 10, 11, 0, 0, 1, 1, 1)
    data += nvcap.lost(S + 2500 * 10**6, 3)
    f = tmp_path / "lost.nvl"
    f.write_bytes(data)
    reps = reports(run, f, "-i", "1")
    assert [(r["interval"], r["lost"]) for r in reps] == [(0, 0), (1, 7), (2, 3)]
    p = run("-r", f)
    assert "2 events, 10 lost" in p.stdout


def test_empty_capture_prints_empty_report(run, tmp_path):
    f = capture(tmp_path, [])
    for args in ([], ["-i", "1"]):
        r = reports(run, f, *args)
        assert len(r) == 1 and r[0]["events"] == 0 and r[0]["vcpus"] == []
    p = run("-r", f, "--csv")
    assert p.stdout.splitlines()[1].startswith("0,0.000000,0.000000,none,")


def test_vm_and_thread_names_in_table(run, tmp_path):
    evs = [(S, 10, 11, 0, 3, 1, 1, 1)]
    f = capture(tmp_path, evs, tasks=[(10, 11, "CPU 3/KVM", "my,vm \"x\"")])
    p = run("-r", f, "--csv")
    assert '"my,vm ""x""",10,3,11,CPU 3/KVM,' in p.stdout
    r = reports(run, f)[0]
    assert r["vms"][0]["vm"] == 'my,vm "x"' and r["vcpus"][0]["thread"] == "CPU 3/KVM"
