"""ci/lpar-bench.py (make lpar-bench): ours vs the 6.12 reference in the LPAR,
on made-up complete input, on broken input, and on the last real run.

The real runs (build/results/lpar-bench-{ref,ours}[-xics].*) are make
lpar-bench's and make lpar-bench-xics's, which make check does not run
(they need make kernel-deb): without them those tests are skipped as
manual.
"""
import os
import subprocess
import sys

import pytest

import nv2test
from nv2test import RESULTS, TOP

SCRIPT = os.path.join(TOP, "ci", "lpar-bench.py")


def round_facts(r, boot_runs, boot_hcalls, dd_runs, dd_hcalls):
    """One round: idle 5 s at 100 exits/s and 300 hcalls/s, dd 20 s."""
    f = {
        f"bench.r{r}.boot.s": "30.00", f"bench.r{r}.boot.exits": 10 * boot_runs,
        f"bench.r{r}.boot.l2hc": 1000, f"bench.r{r}.boot.hcalls": boot_hcalls,
        f"bench.r{r}.boot.runvcpu": boot_runs,
        f"bench.r{r}.idle.s": "5.00", f"bench.r{r}.idle.exits": 500,
        f"bench.r{r}.idle.l2hc": 100, f"bench.r{r}.idle.hcalls": 1500,
        f"bench.r{r}.idle.runvcpu": 500,
        f"bench.r{r}.dd.s": "20.00", f"bench.r{r}.dd.exits": dd_runs,
        f"bench.r{r}.dd.l2hc": 400, f"bench.r{r}.dd.hcalls": dd_hcalls,
        f"bench.r{r}.dd.runvcpu": dd_runs,
        f"bench.r{r}.dd.l2": "rc=0 start=1.0 end=21.0 67108864 bytes (64.0MB) copied",
        f"bench.r{r}.qemu.tce64_failed": 1,
    }
    for ph, uexits in (("boot", boot_runs // 2), ("idle", 50), ("dd", dd_runs // 2)):
        f[f"bench.r{r}.{ph}.uexits"] = uexits
        f[f"bench.r{r}.{ph}.uhc"] = uexits // 2
        f[f"bench.r{r}.{ph}.tce"] = uexits // 4
        f[f"bench.r{r}.{ph}.xics"] = 0
    f[f"bench.r{r}.qemu.msgs"] = 1
    return {k: str(v) for k, v in f.items()}


def write(d, kernel, rounds, icmode="default"):
    facts = {"kernel": kernel, "rounds": str(len(rounds)), "icmode": icmode}
    for r, args in enumerate(rounds, 1):
        facts.update(round_facts(r, *args))
        if icmode == "xics":
            facts[f"bench.r{r}.boot.xics"] = str(300 + r)
    suffix = "" if icmode == "default" else f"-{icmode}"
    (d / f"lpar-bench-{'ref' if '6.12' in kernel else 'ours'}{suffix}.facts").write_text(
        "".join(f"{k}={v}\n" for k, v in sorted(facts.items())))


def run(d, *extra):
    return subprocess.run([sys.executable, SCRIPT, "--results", str(d), *extra],
                          capture_output=True, text=True)


@pytest.fixture
def results(tmp_path):
    # dd: 2000 exits over the idle rate (100/s x 20 s) -> 16384 + 2000
    write(tmp_path, "6.12.117+deb12-powerpc64le",
          [(4000, 12000, 18384, 6000 + 3 * 16384)] * 3)
    write(tmp_path, "6.1.192-nestedv2",
          [(3000, 6000, 18384, 6000 + 2 * 16384), (3100, 6100, 18384, 6000 + 2 * 16384),
           (2900, 5900, 18384, 6000 + 2 * 16384)])
    return tmp_path


def rows(out):
    return {line.split("|")[1].strip() + "/" + line.split("|")[2].strip():
            [c.strip() for c in line.split("|")[3:6]]
            for line in out.splitlines() if line.startswith("| ") and "---" not in line}


def test_table_medians_and_ratios(results, tmp_path):
    md = tmp_path / "out.md"
    p = run(results, "--markdown", str(md))
    assert p.returncode == 0, p.stderr
    t = rows(p.stdout)
    assert t["L1->L0 hypercalls/per L2 boot"] == ["12000", "6000 (5900-6100)", "0.50"]
    assert t["L2 exits (H_GUEST_RUN_VCPU)/per L2 boot"][2] == "0.75"
    # 12000 / 4000 and 6000 / 3000 (the median of 5900/2900, 6000/3000, 6100/3100)
    assert t["L1->L0 hypercalls/per L2 exit (boot)"][0] == "3.00"
    assert t["L1->L0 hypercalls/per L2 exit (boot)"][2] == "0.67"
    # per request: (18384 - 100/s x 20 s) / 16384 = 1.0
    assert t["L2 exits (H_GUEST_RUN_VCPU)/per 4 KiB O_DIRECT read"] == ["1.00", "1.00", "1.00"]
    # (6000 + 3 x 16384 - 300/s x 20 s) / 16384 = 3
    assert t["L1->L0 hypercalls/per 4 KiB O_DIRECT read"] == ["3.00", "2.00", "0.67"]
    assert md.read_text() == p.stdout


def test_update_doc_replaces_only_its_section(results, tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text("# Performance\n\n## Hypercall cost\n\nkept\n\n"
                   "## The LPAR: ours vs 6.12 under virsh\n\nold\n\n## Later\n\nkept too\n")
    p = run(results, "--update-doc", str(doc))
    assert p.returncode == 0, p.stderr
    text = doc.read_text()
    assert "kept\n" in text and "kept too" in text and "\nold\n" not in text
    assert text.count("## The LPAR: ours vs 6.12 under virsh") == 1
    assert "| ours/ref |" in text


@pytest.mark.parametrize("breakage,message", [
    (lambda f: f.replace("bench.r2.dd.hcalls=", "x.r2.dd.hcalls="), "bench.r2.dd.hcalls missing"),
    (lambda f: f.replace("bench.r1.idle.exits=500", "bench.r1.idle.exits=<not counted>"),
     "is not a count"),
    (lambda f: f.replace("bench.r3.dd.l2=rc=0", "bench.r3.dd.l2=rc=1"), "did not succeed"),
    (lambda f: f.replace("rounds=3", "rounds="), "is not a number"),
    (lambda f: f.replace("rounds=3", "rounds=0"), "no complete round"),
    (lambda f: f.replace("bench.r1.idle.s=5.00", "bench.r1.idle.s=0.00"), "is 0"),
    (lambda f: f + "not a fact line\n", "not a key=value line"),
    (lambda f: f.replace("bench.r2.boot.runvcpu=3100", "bench.r2.boot.runvcpu=0"),
     "no H_GUEST_RUN_VCPU"),
])
def test_broken_input_is_an_error_and_writes_nothing(results, tmp_path, breakage, message):
    f = results / "lpar-bench-ours.facts"
    f.write_text(breakage(f.read_text()))
    md, doc = tmp_path / "out.md", tmp_path / "perf.md"
    doc.write_text("# Performance\n")
    p = run(results, "--markdown", str(md), "--update-doc", str(doc))
    assert p.returncode == 2
    assert message in p.stderr and "nothing written" in p.stderr
    assert p.stdout == "" and not md.exists() and doc.read_text() == "# Performance\n"


def test_a_kernel_not_run_is_an_error(results):
    (results / "lpar-bench-ref.facts").unlink()
    p = run(results)
    assert p.returncode == 2 and "ci/lpar.sh bench ref" in p.stderr


def test_another_variants_run_is_an_error(results):
    """A default run is not an XICS run, and facts without icmode (benches
    from before it was recorded) are neither."""
    p = run(results, "--variant", "xics")
    assert p.returncode == 2 and "ci/lpar.sh bench ref xics" in p.stderr
    for k in ("ref", "ours"):
        (results / f"lpar-bench-{k}.facts").rename(results / f"lpar-bench-{k}-xics.facts")
    p = run(results, "--variant", "xics")
    assert p.returncode == 2 and "icmode='default', expected 'xics'" in p.stderr
    for k in ("ref", "ours"):
        f = results / f"lpar-bench-{k}-xics.facts"
        f.write_text(f.read_text().replace("icmode=default\n", ""))
    p = run(results, "--variant", "xics")
    assert p.returncode == 2 and "icmode=None" in p.stderr


@pytest.fixture
def xics_results(tmp_path):
    for kernel in ("6.12.117+deb12-powerpc64le", "6.1.192-nestedv2"):
        write(tmp_path, kernel, [(4000, 12000, 18384, 6000 + 3 * 16384)] * 3, icmode="xics")
    return tmp_path


def test_xics_variant_table_and_section(xics_results, tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text("# Performance\n\n## The LPAR: ours vs 6.12 under virsh\n\nkept\n")
    p = run(xics_results, "--variant", "xics", "--update-doc", str(doc))
    assert p.returncode == 0, p.stderr
    t = rows(p.stdout)
    assert t["L2 XICS hypercalls (H_EOI, H_CPPR, H_IPI, H_IPOLL, H_XIRR, H_XIRR_X)/per L2 boot"] \
        == ["302 (301-303)", "302 (301-303)", "1.00"]
    # l2hc 1000 - uhc (4000 // 2 // 2 = 1000): 0 answered in the kernel
    assert t["L2 hypercalls the L1 kernel answers (seen less QEMU's)/per L2 boot"][0] == "0.00"
    text = doc.read_text()
    assert "kept" in text and "## The LPAR with XICS: ours vs 6.12 under virsh" in text
    assert "ic-mode=xics" in text


def test_xics_run_without_xics_hypercalls_is_an_error(xics_results):
    f = xics_results / "lpar-bench-ref-xics.facts"
    f.write_text(f.read_text().replace("bench.r2.boot.xics=302", "bench.r2.boot.xics=0"))
    p = run(xics_results, "--variant", "xics")
    assert p.returncode == 2 and "bench.r2.boot.xics is 0" in p.stderr


@pytest.mark.parametrize("variant", ["default", "xics"])
def test_last_real_run(variant):
    """make lpar-bench's (-xics's) last run: both kernels, every round ok,
    and the table computes (the figures themselves are docs/performance.md's)."""
    suffix, target = ("", "lpar-bench") if variant == "default" else ("-xics", "lpar-bench-xics")
    for k in ("ref", "ours"):
        if not os.path.exists(os.path.join(RESULTS, f"lpar-bench-{k}{suffix}.tap")):
            nv2test.skip_manual(target, f"no lpar-bench-{k}{suffix} results")
    for k in ("ref", "ours"):
        boot = nv2test.Boot(f"lpar-bench-{k}{suffix}")
        assert boot.tap and not boot.bad_results(), boot.bad_results()
    p = run(RESULTS, "--variant", variant)
    assert p.returncode == 0, p.stderr
