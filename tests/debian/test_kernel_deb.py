"""make kernel-deb (ci/kernel-deb.sh all, in make check): our 6.1 + series
with Debian's own config as a linux-image .deb, installed with apt into a
bookworm ppc64el root.  Reads build/results/kernel-deb.txt, and
kernel-deb-headers.txt for the headers package (ci/kernel-deb.sh
fix-headers); under make check a missing result fails.  docs/packaging.md
"A kernel .deb"."""
import os
import re

from nv2test import RESULTS, skip_manual

LOG = os.path.join(RESULTS, "kernel-deb.txt")
HEADERS_LOG = os.path.join(RESULTS, "kernel-deb-headers.txt")


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


def headers_log():
    if not os.path.exists(HEADERS_LOG):
        skip_manual("kernel-deb", f"{HEADERS_LOG} absent (ci/kernel-deb.sh fix-headers)")
    with open(HEADERS_LOG, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_headers_elf_files_are_all_ppc64el():
    """6.1's builddeb ships the build host's x86-64 programs in the headers
    package; fix-headers rebuilt them for ppc64el: every ELF file in the
    package is PowerPC 64-bit LSB, none x86-64, fixdep and modpost among
    them."""
    text = headers_log()
    m = re.search(r"^ELF files: (\d+) \((\d+) executables\), PowerPC 64-bit LSB: (\d+), "
                  r"x86-64: (\d+), other: (\d+)$", text, re.M)
    assert m, f"no 'ELF files:' line in {HEADERS_LOG}: {text[:600]}"
    n, _, ppc, x86, other = map(int, m.groups())
    assert n > 0 and ppc == n and x86 == 0 and other == 0, m.group(0)
    listed = re.findall(r"^  usr/src/linux-headers-[^/]+/(\S+): (.*)$", text, re.M)
    assert len(listed) == n, listed
    for path, desc in listed:
        assert "64-bit PowerPC" in desc and "x86-64" not in desc, (path, desc)
    assert {"scripts/basic/fixdep", "scripts/mod/modpost"} <= {p for p, _ in listed}


def test_headers_programs_run_under_qemu_user():
    """They execute (qemu-user), and an out-of-tree module builds against
    the package's tree with them."""
    text = headers_log()
    assert re.search(r"^ran under qemu-user: scripts/basic/fixdep \(no arguments\) -> exit 1: "
                     r"Usage: fixdep ", text, re.M), text[-1500:]
    assert re.search(r"^out-of-tree module: .* nv2hello\.ko ELF 64-bit LSB relocatable, 64-bit PowerPC"
                     r".*; vermagic 6\.1\.\d+-nestedv2 .*; nv2_hello_value CRC 0x[0-9a-f]{8}$",
                     text, re.M), text[-1500:]


def test_make_checks_package_is_debians_whole_config():
    """make check packages Debian's whole powerpc64le config (2958 modules;
    KERNEL_DEB_CONFIG=full, the default), with KVM as modules beside the
    in-kernel interrupt controllers and TCE code, as Debian builds it."""
    text = log()
    m = re.search(r"^modules \(=m\): (\d+)$", text, re.M)
    assert m, f"no installed config in {LOG}"
    assert int(m.group(1)) >= 2900, m.group(0)
    for sym, val in (("KVM_BOOK3S_64", "m"), ("KVM_BOOK3S_64_HV", "m"), ("KVM_XICS", "y"),
                     ("KVM_XIVE", "y"), ("SPAPR_TCE_IOMMU", "y"), ("VFIO_IOMMU_SPAPR_TCE", "m"),
                     ("VHOST_NET", "m"), ("PPC_RADIX_MMU_DEFAULT", "y")):
        assert re.search(rf"^CONFIG_{sym}={val}$", text, re.M), sym
