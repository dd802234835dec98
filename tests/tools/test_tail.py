"""Issue 14, "the tail": p99.9 by default, --percentiles LIST, --sort
COLUMN, --top N, and long names shown whole or visibly cut."""
import csv
import io
import json
import math

import pytest

import nvcap

S = 1_000_000_000


def nearest_rank(vals, pct):
    s = sorted(vals)
    return s[max(1, math.ceil(pct / 100 * len(s))) - 1]


def _capture(tmp_path, events, tasks=()):
    data = bytearray(nvcap.header())
    for t in tasks:
        data += nvcap.task(*t)
    for e in events:
        data += nvcap.event(*e)
    f = tmp_path / "c.nvl"
    f.write_bytes(data)
    return f


def _tail_events():
    # 10000 values below 256 ns (exact buckets): 9980 of 0..199 and a
    # tail of 20 at 200..219 that p99.9 sees and p99 does not
    vals = [(i * 7919) % 200 for i in range(9980)] + [200 + i for i in range(20)]
    return vals, [(S + i, 10, 11, 0xFFFFFFFF, 0, v, v, 10 * v) for i, v in enumerate(vals)]


def test_p99_9_by_default(run, tmp_path):
    vals, evs = _tail_events()
    f = _capture(tmp_path, evs)
    r = json.loads(run("-r", f, "--json").stdout)["vcpus"][0]["l1_to_l2"]
    assert [k for k in r if k.startswith("p")] == ["p50", "p90", "p99", "p99.9"]
    for p in (50, 90, 99, 99.9):
        assert r[f"p{p}"] == nearest_rank(vals, p), p
    t = run("-r", f).stdout
    assert " P99.9 " in t and t.count("P99.9") == 2
    hdr = run("-r", f, "--csv").stdout.splitlines()[0].split(",")
    assert hdr[14:18] == ["p50_ns", "p90_ns", "p99_ns", "p99.9_ns"]


def test_percentiles_list(run, tmp_path):
    vals, evs = _tail_events()
    f = _capture(tmp_path, evs)
    r = json.loads(run("-r", f, "--json", "--percentiles", "99.99,25,99.9,25").stdout)
    s = r["vcpus"][0]["l2_to_l1"]
    assert [k for k in s if k.startswith("p")] == ["p25", "p99.9", "p99.99"]
    for p in (25, 99.9, 99.99):
        assert s[f"p{p}"] == nearest_rank(vals, p)
    rows = list(csv.DictReader(io.StringIO(
        run("-r", f, "--csv", "--percentiles", "10,99.999").stdout)))
    assert rows[0]["p10_ns"] == str(nearest_rank(vals, 10))
    assert rows[0]["p99.999_ns"] == str(nearest_rank(vals, 99.999))
    t = run("-r", f, "--percentiles", "75").stdout
    assert " P75 " in t and "P50" not in t


@pytest.mark.parametrize("bad", ["0", "101", "x", "50,,", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"])
def test_percentiles_bad(run, bad):
    p = run("-r", "x", "--percentiles", bad)
    assert p.returncode == 2 and "bad percentile list" in p.stderr


def _vms(n=5):
    evs, tasks = [], []
    for k in range(n):
        pid = 100 + k
        tasks.append((pid, pid * 10, f"CPU 0/KVM", f"vm{k}"))
        for i in range(10 + k):
            # vm k: l1_to_l2 = 1000 * (5 - k) + i, l2_runtime grows with k
            evs.append((S + i * 1000 + k, pid, pid * 10, 0xFFFFFFFF, 0,
                        1000 * (n - k) + i, 500, 1000 * (k + 1)))
    return evs, tasks


@pytest.mark.parametrize("key,order", [
    ("pid", [100, 101, 102, 103, 104]),
    ("count", [104, 103, 102, 101, 100]),
    ("mean", [100, 101, 102, 103, 104]),
    ("p99", [100, 101, 102, 103, 104]),
    ("p99.9", [100, 101, 102, 103, 104]),
    ("l2_runtime.max", [104, 103, 102, 101, 100]),
    ("switch", [100, 101, 102, 103, 104]),
    ("vm", [100, 101, 102, 103, 104]),
])
def test_sort(run, tmp_path, key, order):
    evs, tasks = _vms()
    f = _capture(tmp_path, evs, tasks)
    r = json.loads(run("-r", f, "--json", "--sort", key).stdout)
    assert [v["pid"] for v in r["vms"]] == order
    assert [v["pid"] for v in r["vcpus"]] == order


def test_sort_by_percentile_not_listed_adds_it(run, tmp_path):
    evs, tasks = _vms()
    f = _capture(tmp_path, evs, tasks)
    r = json.loads(run("-r", f, "--json", "--sort", "count", "--sort", "p75",
                       "--percentiles", "50").stdout)
    assert "p75" in r["vms"][0]["l1_to_l2"]


def test_top(run, tmp_path):
    evs, tasks = _vms()
    f = _capture(tmp_path, evs, tasks)
    r = json.loads(run("-r", f, "--json", "--sort", "count", "--top", "2").stdout)
    assert [v["pid"] for v in r["vms"]] == [104, 103]
    assert r["vms_total"] == 5 and r["vcpus_total"] == 5
    assert r["events"] == sum(10 + k for k in range(5))     # totals are of everything
    t = run("-r", f, "--sort", "count", "--top", "2").stdout
    assert "per VM (times in ns), top 2 of 5" in t and "vm2" not in t
    p = run("-r", f, "--top", "0")
    assert p.returncode == 2


@pytest.mark.parametrize("args", [["--sort", "nope"], ["--sort", "l3.p99"], ["--top", "x"]])
def test_sort_top_bad(run, args):
    p = run("-r", "x", *args)
    assert p.returncode == 2


def test_long_names_are_not_cut_silently(run, tmp_path):
    mid = "vm-" + "m" * 37                       # 40: the column widens
    long = "vm-" + "x" * 97                      # 100: cut, visibly
    thr = "worker thread with a long name"
    evs = [(S, 1, 10, 0xFFFFFFFF, 0, 1, 1, 1), (S + 1, 2, 20, 0xFFFFFFFF, 0, 1, 1, 1)]
    f = _capture(tmp_path, evs, [(1, 10, thr, mid), (2, 20, "CPU 0/KVM", long)])
    t = run("-r", f).stdout
    # was: both cut to 16 characters, nothing to say so
    assert mid in t and thr in t
    cut = long[:61] + "..."
    assert cut in t and long not in t
    rows = [l for l in t.splitlines() if l.startswith("vm-")]
    # the columns still line up
    assert len({l.index(" l1_to_l2 ") for l in rows}) == 2   # one per table
    r = json.loads(run("-r", f, "--json").stdout)
    assert {v["vm"] for v in r["vms"]} == {mid, long}        # JSON: whole
    assert long in run("-r", f, "--csv").stdout               # CSV: whole


def _bucket(v):
    """nvlat's log-linear bucket of v, from the documented rule: 1 ns wide
    below 256, then each power of two [2^k, 2^(k+1)) in 128 equal parts."""
    if v < 256:
        return (v, v)
    k = v.bit_length() - 1
    w = 1 << (k - 7)
    lo = v - (v - (1 << k)) % w
    return (lo, lo + w - 1)


def test_fine_histogram_is_exact_and_mergeable(run, sample_nvl):
    import collections
    r = json.loads(run("-r", sample_nvl, "--json", "--hist=fine").stdout)
    evs = nvcap.sample_events()
    for v in r["vcpus"]:
        mine = [e for e in evs if e[1] == v["pid"] and e[4] == v["vcpu"]]
        for i, comp in enumerate(("l1_to_l2", "l2_to_l1", "l2_runtime")):
            want = collections.Counter(_bucket(e[5 + i]) for e in mine)
            got = {(lo, hi): n for lo, hi, n in v[comp]["hist"]}
            assert got == want, (v["vcpu"], comp)
            # fine enough for 1-2 us switches: 8 ns buckets there
            for lo, hi, _ in v[comp]["hist"]:
                if 1024 <= lo < 2048:
                    assert hi - lo + 1 == 8
    # the per-second reports' histograms add up to the whole run's
    reps = [json.loads(l) for l in
            run("-r", sample_nvl, "--json", "--hist=fine", "-i", "1").stdout.splitlines()]
    for whole in r["vcpus"]:
        merged = collections.Counter()
        for rep in reps:
            for v in rep["vcpus"]:
                if (v["pid"], v["vcpu"]) == (whole["pid"], whole["vcpu"]):
                    merged.update({(lo, hi): n for lo, hi, n in v["l2_runtime"]["hist"]})
        assert merged == {(lo, hi): n for lo, hi, n in whole["l2_runtime"]["hist"]}


def test_fine_histogram_csv_and_table(run, sample_nvl):
    rows = list(csv.DictReader(io.StringIO(run("-r", sample_nvl, "--csv", "--hist=fine").stdout)))
    assert "hist" in rows[0] and "log2_hist" not in rows[0]
    for row in rows:
        assert int(row["count"]) == sum(int(x.split(":")[1]) for x in row["hist"].split(";"))
    t = run("-r", sample_nvl, "--hist=fine", "--vcpu", "1").stdout
    assert "  [1096, 1103]" in t or "  [1128, 1135]" in t
    p = run("-r", sample_nvl, "--hist=coarse")
    assert p.returncode == 2 and "bad --hist kind" in p.stderr


def test_top_in_csv(run, tmp_path):
    """CSV with --top says, on every row, how many VMs and vCPUs there were."""
    evs, tasks = _vms()
    f = _capture(tmp_path, evs, tasks)
    p = run("-r", f, "--csv", "--sort", "count", "--top", "2")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert {r["pid"] for r in rows} == {"104", "103"}
    assert all(r["vms_total"] == "5" and r["vcpus_total"] == "5" for r in rows)
    # without --top the columns are not there (the header stays as it was)
    assert "vms_total" not in run("-r", f, "--csv").stdout.splitlines()[0]
