"""The packager's drop-in (make debian-kernel-drop-in) and its check on
Debian's linux source package (make debian-drop-in-check, in make check)."""
import os
import re
import subprocess

import pytest

from nv2test import RESULTS, TOP, skip_manual

SERIES_DIR = os.path.join(TOP, "kernel-patches", "linux-6.1")
FRAGMENT = os.path.join(TOP, "ci", "configs", "debian-nestedv2.config")


def series():
    out = []
    for line in open(os.path.join(SERIES_DIR, "series")):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line.split()[0])
    return out


def fragment():
    """symbol -> value (n for "is not set") of the Debian config fragment."""
    vals = {}
    for line in open(FRAGMENT):
        m = re.match(r"^CONFIG_(\w+)=(\S+)$", line)
        if m:
            vals[m.group(1)] = m.group(2)
        m = re.match(r"^# CONFIG_(\w+) is not set$", line)
        if m:
            vals[m.group(1)] = "n"
    return vals


def series_symbols():
    syms = set()
    for p in series():
        kconfig = False
        for line in open(os.path.join(SERIES_DIR, p), encoding="utf-8"):
            if line.startswith("diff --git "):
                kconfig = "Kconfig" in line.split()[2]
            m = re.match(r"^\+(?:menu)?config (\w+)", line)
            if kconfig and m:
                syms.add(m.group(1))
    return syms


def test_fragment_decides_every_new_symbol():
    missing = series_symbols() - set(fragment())
    assert not missing, f"ci/configs/debian-nestedv2.config does not decide {sorted(missing)}"


def test_fragment_values():
    """VPA_PMU and the KUnit suite as modules; the built-in nestedv2 suite
    (needs KUNIT=y) off."""
    f = fragment()
    assert f.get("VPA_PMU") == "m"
    assert f.get("GUEST_STATE_BUFFER_TEST") == "m"
    assert f.get("KUNIT") == "m"
    assert f.get("KVM_BOOK3S_HV_NESTEDV2_TEST") == "n"


def test_drop_in_layout(tmp_path):
    """The drop-in carries every patch byte for byte under Debian's
    features/powerpc/nestedv2, the series lines in order, and the fragment."""
    env = dict(os.environ, BUILD=str(tmp_path))
    r = subprocess.run([os.path.join(TOP, "ci", "debian-kernel.sh"), "drop-in"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "debian-kernel-drop-in"
    pdir = out / "debian" / "patches" / "features" / "powerpc" / "nestedv2"
    assert sorted(os.listdir(pdir)) == sorted(series())
    for p in series():
        assert (pdir / p).read_bytes() == open(os.path.join(SERIES_DIR, p), "rb").read(), p
    lines = [l for l in (out / "series").read_text().splitlines() if l and not l.startswith("#")]
    assert lines == [f"features/powerpc/nestedv2/{p}" for p in series()]
    frag = out / "debian" / "config" / "kernelarch-powerpc" / "config-arch-64.nestedv2"
    assert frag.read_text() == open(FRAGMENT).read()


def test_drop_in_refuses_undecided_symbol(tmp_path):
    """A series symbol the fragment does not decide stops the drop-in."""
    frag = tmp_path / "frag.config"
    frag.write_text("CONFIG_KUNIT=m\n")
    script = (open(os.path.join(TOP, "ci", "debian-kernel.sh")).read()
              .replace('FRAGMENT=$TOP/ci/configs/debian-nestedv2.config', f'FRAGMENT={frag}'))
    s = tmp_path / "debian-kernel.sh"
    s.write_text(script.replace('. "$(dirname "$0")/lib.sh"', f'. "{TOP}/ci/lib.sh"'))
    env = dict(os.environ, BUILD=str(tmp_path))
    r = subprocess.run(["bash", str(s), "drop-in"], env=env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "VPA_PMU" in r.stderr
    assert not (tmp_path / "debian-kernel-drop-in").exists()


def rows():
    path = os.path.join(RESULTS, "debian-drop-in.tsv")
    if not os.path.exists(path):
        return None
    out = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3:
            out[parts[0]] = (parts[1], parts[2])
    return out


ROWS = rows()
EXPECTED = ["source", "quilt", "quilt-ours", "gencontrol", "olddefconfig", "pinned-quilt"] + \
    [f"{k}:{s}" for s in sorted(fragment()) for k in ("kconfig.py", "olddefconfig")]


@pytest.mark.parametrize("key", EXPECTED)
def test_check(key):
    if ROWS is None:
        skip_manual("debian-drop-in-check", "no build/results/debian-drop-in.tsv")
    assert key in ROWS, f"no result for {key}: see build/debian-kernel/*.log"
    status, detail = ROWS[key]
    assert status == "ok", detail


def test_check_pushed_all_of_ours():
    if ROWS is None:
        skip_manual("debian-drop-in-check", "no build/results/debian-drop-in.tsv")
    m = re.search(r"(\d+) patches \((\d+) Debian \+ (\d+) nestedv2\)", ROWS["quilt"][1])
    assert m, ROWS["quilt"][1]
    total, deb, ours = map(int, m.groups())
    assert ours == len(series())
    assert deb > 100 and total == deb + ours


def pins():
    out = {}
    for line in open(os.path.join(TOP, "ci", "versions.sh")):
        m = re.match(r"^(LINUX61_\w+)=(\S+)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_companion_pins_match_apt():
    """The source package's .dsc and the powerpc64le image pinned next to
    linux-source-6.1 are the ones apt's signed indexes give for that
    version (what make rebase BASE=linux-6.1 writes)."""
    p = pins()
    r = subprocess.run(["bash", "-c", f'set -euo pipefail; . "{TOP}/ci/lib.sh"; '
                        f'linux61_companions "{p["LINUX61_DEB_VERSION"]}"'],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [p["LINUX61_DSC_SHA256"], p["LINUX61_IMAGE_PKG"],
                                p["LINUX61_IMAGE_DEB_SHA256"]]
