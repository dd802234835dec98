"""The QEMU 10.0 series: form, git am == quilt, checkpatch, bisectability."""
import hashlib
import os
import re
import subprocess

import pytest

from qemu10lib import BASE, SERIES_DIR, TOP, TREE, summary
from nv2test import skip_manual

SOB = ("Signed-off-by: nestedv2 maintainers "
       "<maintainers@users.noreply.h-seed-112b9b78.example>")


def series_patches():
    out = []
    with open(os.path.join(SERIES_DIR, "series")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line.split()[0])
    return out


def series_id():
    """Same as ci/qemu10.sh: base id / sha256 of series + patches."""
    h = hashlib.sha256()
    for name in ["series"] + series_patches():
        with open(os.path.join(SERIES_DIR, name), "rb") as f:
            h.update(f.read())
    with open(os.path.join(BASE, ".nestedv2-base")) as f:
        base = f.read().strip()
    return f"{base}/{h.hexdigest()}"


def test_series_lists_every_patch_once():
    listed = series_patches()
    assert listed, "empty series"
    assert len(listed) == len(set(listed)), "a patch is listed twice"
    present = sorted(p for p in os.listdir(SERIES_DIR) if p.endswith(".patch"))
    assert sorted(listed) == present


def test_series_is_commented():
    with open(os.path.join(SERIES_DIR, "series")) as f:
        text = f.read()
    assert "Forwarded" in text or "forwarded" in text
    assert text.count("#") >= 4


@pytest.mark.parametrize("patch", series_patches())
def test_patch_form(patch):
    with open(os.path.join(SERIES_DIR, patch)) as f:
        text = f.read()
    head, _, diff = text.partition("\n---\n")
    assert re.search(r"^From: nestedv2 maintainers <", head, re.M)
    assert re.search(r"^Subject: \[PATCH\] \S", head, re.M)
    assert SOB in head
    # a fix upstream has too says where (make rebase drops it from that
    # version on); the others are not forwarded yet
    up = re.search(r"^Applied-Upstream: (\d+\.\d+\.\d+), commit:([0-9a-f]{10,40})$",
                   head, re.M)
    if up:
        assert re.search(r"^Forwarded: not-needed$", head, re.M)
        assert up.group(2) in head.split("\n\n", 1)[1], "the message names the commit"
    else:
        assert re.search(r"^Forwarded: no$", head, re.M)
    assert re.search(r"^Origin: vendor, nestedv2$", head, re.M)
    body = head.split("\n\n", 1)[1]
    # a real message: several lines saying why, not only what
    assert len([ln for ln in body.splitlines() if ln.strip()]) >= 6
    assert "diff --git" in diff


def test_series_applies_with_git_am_and_quilt():
    """ci/qemu10.sh applies the series with git am, pushes it with quilt on
    a pristine copy and compares the trees; redo it if the series changed
    since make qemu-l0 did."""
    assert os.path.isdir(BASE), "no base tree: run make qemu-l0"
    s = summary()
    if s.get("quilt") == "ok" and s.get("quilt_series") == series_id():
        return
    r = subprocess.run([os.path.join(TOP, "ci", "qemu10.sh"), "quilt"],
                       capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "matches git am" in r.stderr


@pytest.mark.parametrize("patch", series_patches())
def test_checkpatch(patch):
    checkpatch = os.path.join(TREE, "scripts", "checkpatch.pl")
    assert os.path.exists(checkpatch), "no QEMU tree: run make qemu-l0"
    r = subprocess.run(["perl", checkpatch, os.path.join(SERIES_DIR, patch)],
                       cwd=TREE, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "total: 0 errors, 0 warnings" in r.stdout, r.stdout[-3000:]


def test_each_patch_builds():
    """make qemu-l0-bisect (not in make check: ~1 min a patch) builds the
    L0 after every patch; this checks its last result is for this series."""
    s = summary()
    if "bisect" not in s:
        skip_manual("qemu-l0-bisect", "it was not run here")
    assert s["bisect"] == "ok"
    if s.get("bisect_series") != series_id():
        skip_manual("qemu-l0-bisect", "the series changed since it ran")


def test_upstream_backports_are_marked():
    """0001 does what upstream commit 46d03bb23d (QEMU 10.0.4) does."""
    with open(os.path.join(SERIES_DIR, series_patches()[0])) as f:
        head = f.read().partition("\n---\n")[0]
    assert "Applied-Upstream: 10.0.4, commit:46d03bb23d" in head
