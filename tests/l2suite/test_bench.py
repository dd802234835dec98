"""ci/bench.py: the hypercall cost table, on recorded and on broken input.

The golden table (golden/bench-table.md) is what bench.py prints for
golden/bench-ref.facts (a real reference run) with no results for ours.
"""
import os
import shutil
import subprocess
import sys

import pytest

from nv2test import TOP

sys.path.insert(0, os.path.join(TOP, "ci"))
import bench  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")


def run(results, *extra):
    return subprocess.run([sys.executable, os.path.join(TOP, "ci", "bench.py"),
                           "--results", str(results), *extra],
                          capture_output=True, text=True)


@pytest.fixture
def results(tmp_path):
    d = tmp_path / "results"
    d.mkdir()
    shutil.copy(os.path.join(GOLDEN, "bench-ref.facts"), d / "bench-ref.facts")
    return d


def test_golden_table(results):
    p = run(results)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(GOLDEN, "bench-table.md"), encoding="utf-8") as f:
        assert p.stdout == f.read()


def test_reference_figures(results):
    table, _ = bench.load(str(results))
    ref = table["ref"]
    assert ref["plain"].value == pytest.approx(1.0, abs=0.05)
    assert ref["state"].value == pytest.approx(53, abs=1)
    assert ref["lifecycle"].value == pytest.approx(10)


def test_ours_missing_is_na_not_a_crash(results):
    table, kernels = bench.load(str(results))
    assert kernels["ours"] == "not run"
    for r in table["ours"].values():
        assert not r.ok and "missing" in r.reason
    assert all(row[6] in ("n/a", "—") for row in bench.rows(table))


def test_ours_cannot_create_vms(results):
    (results / "bench-ours.facts").write_text(
        "bench.counting=perf powerpc:hcall_entry, 17 opcodes + total\n"
        "kvm_create_vm=error Invalid argument\n"
        + "".join(f"bench.{w.key}=n/a: this L1 cannot create a VM (KVM_CREATE_VM: "
                  "Invalid argument)\n" for w in bench.WORKLOADS))
    p = run(results)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("n/a (this L1 cannot create a VM") == len(bench.WORKLOADS)


def test_ours_met_and_ratio(results):
    ref = bench.parse_facts(str(results / "bench-ref.facts"))
    # ours: no state reloads at all (every register came with the run output)
    ours = dict(ref)
    gets = int(ours.pop("bench.state.hc.H_GUEST_GET_STATE"))
    ours["bench.state.hc.total"] = str(int(ref["bench.state.hc.total"]) - gets)
    (results / "bench-ours.facts").write_text("".join(f"{k}={v}\n" for k, v in ours.items()))
    table, _ = bench.load(str(results))
    rows = {row[0].key: row for row in bench.rows(table)}
    assert rows["plain"][6] == "yes"
    assert rows["state"][6] == "yes" and rows["state"][4] == "0.02"  # 1/53
    assert rows["lifecycle"][6] == "no"


@pytest.mark.parametrize("line,msg", [
    ("bench.plain.units", "not a key=value line"),
    ("bench.plain.hc.total=12x", "is not a count"),
    ("bench.plain.hc.total=-3", "is not a count"),
    ("bench.plain.units=0", "units=0"),
    ("bench.plain=42", "expected 'n/a: reason'"),
    ("bench.plain.hc.H_GUEST_RUN_VCPU=999999", "more than the total"),
    ("bench.plain.us=fast", "is not a number"),
    ("bench.plain.units=2000", "given twice"),
])
def test_garbled_facts_error_and_nothing_written(results, tmp_path, line, msg):
    path = results / "bench-ref.facts"
    text = path.read_text()
    if "=" in line and line.split("=")[0] + "=" in text and "twice" not in msg:
        key = line.split("=")[0] + "="
        text = "".join(l if not l.startswith(key) else line + "\n"
                       for l in text.splitlines(True))
    else:
        text += line + "\n"
    path.write_text(text)
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Other\n\nkept\n")
    md = tmp_path / "bench.md"
    p = run(results, "--update-doc", str(doc), "--markdown", str(md))
    assert p.returncode == 2
    assert msg in p.stderr and "bench-ref.facts" in p.stderr, p.stderr
    assert "nothing written" in p.stderr
    assert doc.read_text() == "# Performance\n\n## Other\n\nkept\n"
    assert not md.exists()


def test_binary_garbage_is_an_error(results):
    (results / "bench-ref.facts").write_bytes(b"\xff\xfe\x00garbage\n")
    p = run(results)
    assert p.returncode == 2 and "not UTF-8" in p.stderr


def test_update_doc_keeps_other_sections(results, tmp_path):
    doc = tmp_path / "performance.md"
    before = ("# Performance\n\nintro\n\n## Reporter\n\nreporter text\n\n"
              "## Hypercall cost\n\nold table\n\n## Later\n\nlater text\n")
    doc.write_text(before)
    assert run(results, "--update-doc", str(doc)).returncode == 0
    after = doc.read_text()
    assert "old table" not in after and "| plain |" in after
    assert after.startswith("# Performance\n\nintro\n\n## Reporter\n\nreporter text\n\n")
    assert after.endswith("## Later\n\nlater text\n")
    # idempotent
    assert run(results, "--update-doc", str(doc)).returncode == 0
    assert doc.read_text() == after


def test_update_doc_appends_when_missing(results, tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Reporter\n\nx\n")
    assert run(results, "--update-doc", str(doc)).returncode == 0
    text = doc.read_text()
    assert text.startswith("# Performance\n\n## Reporter\n\nx\n\n## Hypercall cost\n")


def test_ours_column_from_another_results_name(results):
    """--ours modular (make bench-modular): the ours column comes from
    bench-modular.facts; bench-ours.facts is not read."""
    (results / "bench-modular.facts").write_text(
        (results / "bench-ref.facts").read_text())
    (results / "bench-ours.facts").write_text("garbage\n")
    p = run(results, "--ours", "modular")
    assert p.returncode == 0, p.stderr
    plain = next(ln for ln in p.stdout.splitlines() if ln.startswith("| plain |"))
    assert "| 1.00 |" in plain and "n/a" not in plain, plain
    table, kernels = bench.load(str(results), "modular")
    assert kernels["ours"] != "not run" and table["ours"]["plain"].ok


@pytest.mark.parametrize("name", ["", "../ref", "Mod ular"])
def test_bad_ours_name_is_refused(results, tmp_path, name):
    md = tmp_path / "bench.md"
    p = run(results, "--ours", name, "--markdown", str(md))
    assert p.returncode == 2 and "--ours" in p.stderr and "nothing written" in p.stderr
    assert not md.exists()
