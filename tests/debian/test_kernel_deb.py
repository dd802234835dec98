"""make kernel-deb (ci/kernel-deb.sh, not in make check): the modular L1
as a linux-image .deb, installed with apt into a bookworm ppc64el root.
Reads build/results/kernel-deb.txt; skips when make kernel-deb has not
run.  docs/packaging.md "A kernel .deb"."""
import os
import re

from nv2test import RESULTS, skip_manual

LOG = os.path.join(RESULTS, "kernel-deb.txt")


def log():
    if not os.path.exists(LOG):
        skip_manual("kernel-deb", f"{LOG} absent")
    with open(LOG, encoding="utf-8", errors="replace") as f:
        return f.read()


def field(text, name):
    m = re.search(rf"^ ?{name}: (\S+)$", text, re.M)
    assert m, f"no {name} in {LOG}"
    return m.group(1)


def test_release_is_exactly_nestedv2():
    """LOCALVERSION set and empty: no '+' from setlocalversion for the git
    tree, and never Debian's ABI name."""
    pkg = field(log(), "Package")
    assert re.fullmatch(r"linux-image-6\.1\.\d+-nestedv2", pkg), pkg


def test_version_sorts_above_debians():
    text = log()
    assert re.search(r"^version: \S+\+nestedv2\.\d+ > \S+ \(Debian's linux-image-6\.1\.0-\d+-"
                     r"powerpc64le\)$", text, re.M), text[:400]


def test_installed_with_apt_with_its_kvm_modules():
    text = log()
    pkg = field(text, "Package")
    assert f"Setting up {pkg} (" in text
    assert "Status: install ok installed" in text
    rel = pkg[len("linux-image-"):]
    assert f"vmlinux-{rel}" in text and "kvm-hv.ko" in text and "kvm.ko" in text
