"""One test per step of `make check` (ci/steps.py, build/results/steps/):
a step that failed, or ended without leaving the files it exists to make,
fails here with the tail of its log.  Outside make check (plain pytest)
these tests skip: there is no check run to read."""
import os

import pytest

from nv2test import CHECK_STEPS, RESULTS, STRICT, skip_manual

INDEX = os.path.join(RESULTS, "steps", "index.tsv")


def read_index():
    rows = {}
    if not os.path.exists(INDEX):
        return rows
    with open(INDEX) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            t, rc, secs, status = line.rstrip("\n").split("\t")[:4]
            rows[t] = (int(rc), float(secs), status)
    return rows


ROWS = read_index()
TARGETS = sorted(CHECK_STEPS) if CHECK_STEPS else sorted(ROWS)


def tail(target, n=25):
    path = os.path.join(RESULTS, "steps", f"{target}.log")
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return f"(no log {path})"


@pytest.mark.parametrize("target", TARGETS or ["(none)"])
def test_step(target):
    if target == "(none)":
        skip_manual("check", "no make check run to read (build/results/steps/index.tsv)")
    if target not in ROWS:
        if STRICT:
            pytest.fail(f"make check did not run step {target} (not in {INDEX})")
        skip_manual("check", f"step {target} not in {INDEX}")
    rc, secs, status = ROWS[target]
    assert status not in ("failed", "nothing") and rc == 0, (
        f"step {target}: {status}, exit {rc}, {secs:.0f}s; last lines of "
        f"build/results/steps/{target}.log:\n{tail(target)}")
