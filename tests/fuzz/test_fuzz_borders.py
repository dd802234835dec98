"""make check's short fuzzing runs (ci/mk/fuzz.mk fuzz-check: 30 s per
target, docs/reliability.md): the kernel's guest state buffer library under
libFuzzer + ASan + UBSan, and our QEMU 10.0 L0's nested hcalls from a
hostile fake L1.  Reads build/results/fuzz-check.tsv; fails on any crash,
hang or wrong return code, and on a target that ran nothing.

Outside make check (no fuzz-check.tsv), NV2_FUZZ=1 runs the step itself
(make fuzz-check, ~1.5 min); otherwise the results are reported missing
only under make check (NV2_STRICT=1)."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TOP = HERE.parent.parent
BUILD = Path(os.environ.get("BUILD", TOP / "build"))
RESULTS = Path(os.environ.get("RESULTS", BUILD / "results"))
TSV = RESULTS / "fuzz-check.tsv"
TARGETS = ["gsb", "l0"]
sys.path.insert(0, str(TOP / "tests"))
from nv2test import STRICT, skip_manual  # noqa: E402


def test_seed_corpus_is_small():
    seeds = list((HERE / "gsb" / "corpus").iterdir())
    assert len(seeds) >= 8
    assert all(s.stat().st_size <= 4096 for s in seeds)
    assert sum(s.stat().st_size for s in seeds) < 16384


def test_no_kernel_source_copied():
    """The GSB target is built from the patched tree, not from a copy."""
    names = {p.name for p in (HERE / "gsb").rglob("*")}
    assert not names & {"guest-state-buffer.c", "kvm_guest_state.h",
                        "kvm_guest_state_ids.h"}


@pytest.fixture(scope="module")
def rows():
    if not TSV.exists():
        if os.environ.get("NV2_FUZZ") == "1":
            subprocess.run(["make", "--no-print-directory", "fuzz-check"], cwd=TOP,
                           timeout=900)
        elif not STRICT:
            skip_manual("fuzz-check", "the 30 s fuzzing runs belong to make check "
                        "(make fuzz-check, or NV2_FUZZ=1)")
    if not TSV.exists():
        pytest.fail(f"{TSV} is missing: the fuzz-check step did not run "
                    f"(log {RESULTS / 'steps'}; make fuzz-check)")
    with open(TSV) as f:
        return {r["target"]: r for r in csv.DictReader(f, delimiter="\t")}


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target(rows, target):
    r = rows.get(target)
    assert r, f"{target} did not run (rows: {sorted(rows)}); see {RESULTS / 'fuzz'}"
    log = RESULTS / "fuzz" / f"fuzz-check-{target}.log"
    assert int(r["executions"]) > 0, f"{target} ran nothing: {log}"
    assert int(r["crashes"]) == 0, f"{target}: {r['crashes']} crashes, see {log}"
    assert int(r["hangs"]) == 0, f"{target}: {r['hangs']} hangs, see {log}"
    assert int(r["seconds"]) >= 30, r


def test_gsb_seeds_replay():
    """Every seed (and kept reproducer) runs once through the GSB target
    without a finding: a fast regression check of the library."""
    binary = BUILD / "fuzz" / "gsb" / "fuzz_gsb"
    if not binary.exists():
        if not STRICT:
            skip_manual("fuzz-build", "the GSB fuzz target is built by make fuzz-build")
        pytest.fail(f"{binary} is missing (make fuzz-build; log {RESULTS / 'fuzz-build.log'})")
    seeds = sorted(str(p) for p in (HERE / "gsb" / "corpus").iterdir())
    p = subprocess.run([str(binary)] + seeds, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    assert f"Executed {seeds[-1]}" in p.stderr


@pytest.mark.parametrize("args,msg", [
    (["--qemu", "/nonexistent/qemu"], "is not an executable"),
    (["--qemu", sys.executable, "--seconds", "0"], "--seconds must be positive"),
])
def test_l0_driver_refuses_bad_arguments(args, msg):
    p = subprocess.run([sys.executable, str(HERE / "l0" / "fuzz_l0.py")] + args,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and msg in p.stderr, (p.returncode, p.stderr)
