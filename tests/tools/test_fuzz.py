"""The libFuzzer targets of nvlat (tests/tools/fuzz, make fuzz-tools): each
runs 30 s from its seed corpus under ASan+UBSan without a crash.

Three minutes of CPU, ~95 s on 2 cores (two targets at a time, FUZZ_JOBS in
ci/fuzz-tools.sh), started at nice 19 when collection is over so that it
runs beside the other tests (tests/conftest.py): it runs under `make check`
(NV2_STRICT=1) or with NVLAT_FUZZ=1, and is skipped otherwise; `make
fuzz-tools FUZZ_SECONDS=N` runs the same for any time."""
import csv
import os
import subprocess
import types

import pytest

from nvlat_paths import BUILD, HERE, RESULTS, TOP
from nv2test import STRICT, skip_manual

TARGETS = sorted(p.stem for p in (HERE / "fuzz").glob("fuzz_*.c"))
SECONDS = int(os.environ.get("NVLAT_FUZZ_SECONDS", "30"))


def test_every_target_has_seeds():
    assert TARGETS == ["fuzz_capture", "fuzz_ftrace", "fuzz_hist", "fuzz_pscript",
                       "fuzz_qemu_name", "fuzz_tpfmt"]
    for t in TARGETS:
        seeds = list((HERE / "fuzz" / "corpus" / t).iterdir())
        assert seeds and all(s.stat().st_size <= 4096 for s in seeds), t


def enabled():
    return STRICT or os.environ.get("NVLAT_FUZZ") == "1"


def missing_targets():
    return [t for t in TARGETS if not (BUILD / "tools" / "fuzz" / t).exists()]


# The run, started by tests/conftest.py as soon as collection is over (the
# fuzzers at nice 19 beside the other tests: ~90 s of pytest's wall time
# less), or by the fixture when nothing started it.
_RUN = {}


def start():
    if _RUN or not enabled() or missing_targets():
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, FUZZ_SECONDS=str(SECONDS))
    out = open(RESULTS / "fuzz-tools.out", "w")
    err = open(RESULTS / "fuzz-tools.err", "w")
    _RUN["proc"] = subprocess.Popen([str(TOP / "ci" / "fuzz-tools.sh")], env=env,
                                    stdout=out, stderr=err)
    out.close()
    err.close()


def stop():
    """The session ends: a run nobody waited for (tests deselected or
    interrupted) is not left behind."""
    p = _RUN.get("proc")
    if p and p.poll() is None:
        p.terminate()
        p.wait()


@pytest.fixture(scope="module")
def fuzz_results():
    if not enabled():
        skip_manual("fuzz-tools", f"{len(TARGETS)} x {SECONDS} s of fuzzing runs under "
                    "make check or with NVLAT_FUZZ=1")
    missing = missing_targets()
    if missing:
        pytest.fail(f"fuzz targets not built: {missing} (make tools with clang-14 and "
                    f"libclang-rt-14-dev; log {RESULTS / 'tools-build.log'})")
    start()
    p = _RUN["proc"]
    try:
        rc = p.wait(timeout=len(TARGETS) * (SECONDS + 120))
    except subprocess.TimeoutExpired:
        stop()
        raise
    stderr = (RESULTS / "fuzz-tools.err").read_text(errors="replace")
    with open(RESULTS / "fuzz-tools.tsv") as f:
        rows = {r["target"]: r for r in csv.DictReader(f, delimiter="\t")}
    return types.SimpleNamespace(returncode=rc, stderr=stderr), rows


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target(fuzz_results, target):
    p, rows = fuzz_results
    r = rows.get(target)
    assert r, f"{target} did not run: {p.stderr[-2000:]}"
    assert int(r["crashes"]) == 0, \
        f"{target} crashed: see {RESULTS}/fuzz/{target}.log\n{p.stderr[-3000:]}"
    assert int(r["executions"]) > 1000, r
    assert int(r["seconds"]) >= SECONDS
