"""nvlat script: every event of a capture or text as a line (text, CSV),
with absolute timestamps, so outliers can be listed and lined up with perf
or trace-cmd; a capture turned back into text."""
import csv
import io

import nvcap


def test_script_csv_is_every_event(run, sample_nvl):
    p = run("script", "-r", sample_nvl, "--csv")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    evs = [r for r in rows if not r["note"].startswith("lost")]
    want = nvcap.boot_events() + nvcap.sample_events()
    assert len(evs) == len(want) == 244
    for r, (t, pid, tid, cpu, vcpu, a, b, c) in zip(evs, want):
        assert (int(r["time_ns"]), int(r["pid"]), int(r["tid"]), int(r["cpu"]), int(r["vcpu"]),
                int(r["l1_to_l2_ns"]), int(r["l2_to_l1_ns"]), int(r["l2_runtime_ns"])) == \
            (t, pid, tid, cpu, vcpu, a, b, c)
        assert r["time_s"] == f"{t // 10**9}.{t % 10**9:09d}"
    assert [r["note"] for r in evs[:5]] == ["first"] * 4 + [""]
    assert [r["note"] for r in rows if r["note"].startswith("lost")] == ["lost 5"]
    assert {r["vm"] for r in evs} == {"guest1", "guest2", ""}
    assert evs[1]["thread"] == "CPU 1/KVM"


def test_script_text_and_outliers(run, sample_nvl, sample_txt):
    p = run("script", "-r", sample_nvl, "--over", "1590", "--vm", "guest1")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["TIME_S", "VM", "PID", "TID", "THREAD", "CPU", "VCPU",
                                "L1_TO_L2", "L2_TO_L1", "L2_RUNTIME", "NOTE"]
    want = [e for e in nvcap.boot_events() + nvcap.sample_events()
            if e[1] == 4001 and (e[5] >= 1590 or e[6] >= 1590)]
    body = [l for l in lines[1:] if " lost " not in l]
    assert len(body) == len(want) > 0
    assert body[0].split()[:2] == ["1000.000000000", "guest1"]
    assert body[0].endswith(" first")
    # the text of perf script gives the same events (no VM names there)
    q = run("script", "--perf-script", sample_txt, "--over", "1590", "--vm", "4001")
    assert [l.split()[2:] for l in q.stdout.splitlines()[1:]] == \
        [l.split()[2:] for l in body]


def test_script_usage(run):
    for args in (["script", "-r", "x", "--json"], ["script", "-r", "x", "-i", "1"],
                 ["-r", "x", "--over", "5"], ["script", "-r", "x", "--top", "2"]):
        p = run(*args)
        assert p.returncode == 2, args


def test_reports_carry_the_input_clock(run, sample_nvl):
    """Reports give their time range in the input's clock too, so they line
    up with nvlat script, perf script and trace-cmd timestamps."""
    import json
    reps = [json.loads(l) for l in run("-r", sample_nvl, "--json", "-i", "1").stdout.splitlines()]
    assert [(r["start_clock_s"], r["end_clock_s"]) for r in reps] == \
        [(1000.0 + k, 1001.0 + k) for k in range(3)]
    one = json.loads(run("-r", sample_nvl, "--json").stdout)
    last = nvcap.sample_events()[-1][0]
    assert one["start_clock_s"] == 1000.0 and one["end_clock_s"] == last / 1e9
