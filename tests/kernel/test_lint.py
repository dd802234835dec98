"""The kernel series as a maintainer checks it (results of ci/lint.sh):
applies with git am and quilt to the same tree, checkpatch --strict clean,
and builds after every patch."""
import os

import pytest

from nv2test import RESULTS, TOP


def series():
    path = os.path.join(TOP, "kernel-patches", "linux-6.1", "series")
    out = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line.split()[0])
    return out


def rows():
    path = os.path.join(RESULTS, "lint.tsv")
    if not os.path.exists(path):
        return None
    out = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 4:
            out[(parts[0], parts[1])] = (parts[2], parts[3])
    return out


ROWS = rows()
EXPECTED = [("apply", "git-am"), ("apply", "quilt"), ("build", "base")] + \
    [(k, p) for p in series() for k in ("checkpatch", "build")]


@pytest.mark.parametrize("key", EXPECTED, ids=[f"{k}:{s}" for k, s in EXPECTED])
def test_lint(key):
    if ROWS is None:
        pytest.fail(f"{RESULTS}/lint.tsv missing: run 'make lint'")
    assert key in ROWS, f"no result for {key}: did 'make lint' stop early? see {RESULTS}/lint/"
    status, detail = ROWS[key]
    assert status == "ok", detail


def test_every_patch_is_in_series():
    d = os.path.join(TOP, "kernel-patches", "linux-6.1")
    listed = set(series())
    on_disk = {f for f in os.listdir(d) if f.endswith(".patch")}
    assert on_disk == listed


def test_patches_are_format_patch_with_signoff():
    d = os.path.join(TOP, "kernel-patches", "linux-6.1")
    for p in series():
        text = open(os.path.join(d, p), encoding="utf-8").read()
        assert text.startswith("From "), f"{p}: not git format-patch output"
        assert "\nSubject: " in text, p
        assert "\nSigned-off-by: " in text, p
