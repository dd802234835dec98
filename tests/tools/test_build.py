"""The builds: warning-free, the ppc64el binary static and working, the C
unit tests, and one replay under valgrind."""
import json
import re
import shutil
import subprocess

import pytest

from nvlat_paths import PPC_BIN, RESULTS, TOP, UNIT_BIN, _need
from nv2test import skip_manual


def test_build_log_has_no_warnings():
    log = RESULTS / "tools-build.log"
    if not log.exists():
        skip_manual("tools", "no build log (the build was not run through `make tools`)")
    text = log.read_text()
    assert not re.search(r"warning:|error:", text), text[-2000:]


def test_unit_tests():
    p = subprocess.run([str(_need(UNIT_BIN))], capture_output=True, text=True, timeout=60)
    failed = [line for line in p.stdout.splitlines() if line.startswith("not ok")]
    assert not failed and p.returncode == 0, "\n".join(failed) or p.stdout[-2000:]
    assert re.search(r"^1\.\.(\d+)$", p.stdout, re.M)


def _elf_header(path):
    return path.read_bytes()[:64]


def test_ppc64el_binary_is_static_ppc64le():
    b = _need(PPC_BIN)
    hdr = _elf_header(b)
    assert hdr[:4] == b"\x7fELF" and hdr[4] == 2 and hdr[5] == 1     # 64-bit LE
    assert int.from_bytes(hdr[18:20], "little") == 21                 # EM_PPC64
    out = subprocess.run(["powerpc64le-linux-gnu-readelf", "-lW", str(b)],
                         capture_output=True, text=True).stdout \
        if shutil.which("powerpc64le-linux-gnu-readelf") else ""
    if out:
        assert "INTERP" not in out and "DYNAMIC" not in out


def test_ppc64el_binary_replays_like_the_host(run, sample_nvl):
    qemu = shutil.which("qemu-ppc64le-static") or shutil.which("qemu-ppc64le")
    if not qemu:
        pytest.skip("qemu-ppc64le-static is not installed (ci/deps.d/tools.list)")
    ppc = [qemu, str(_need(PPC_BIN))]
    for args in (["--json", "--hist"], ["-i", "1", "--csv"]):
        a = run("-r", sample_nvl, *args)
        b = run("-r", sample_nvl, *args, binary=ppc)
        assert b.returncode == 0, b.stderr
        assert a.stdout == b.stdout
    v = run("--version", binary=ppc)
    assert v.stdout.startswith("nvlat ")


def test_replay_under_valgrind(nvlat, tmp_path, sample_nvl, sample_txt):
    vg = shutil.which("valgrind")
    if "/asan/" in str(nvlat):
        pytest.skip("NVLAT_BIN is the ASan build, which valgrind cannot run")
    if not vg:
        pytest.skip("valgrind is not installed (ci/deps.d/tools.list)")
    bad = bytearray(sample_nvl.read_bytes())
    bad[3000] ^= 0xff
    bad = bytes(bad[:-7])
    f = tmp_path / "bad.nvl"
    f.write_bytes(bad)
    base = [vg, "-q", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect", str(nvlat)]
    for args, rc in ((["-r", str(sample_nvl), "--hist", "-i", "1"], 0),
                     (["--perf-script", str(sample_txt), "--json", "--vm", "4001"], 0),
                     (["-r", str(f), "--csv", "--hist"], 3),
                     (["record", "-o", str(tmp_path / "o.nvl"), "-r", str(sample_nvl)], 0)):
        p = subprocess.run(base + args, capture_output=True, text=True, timeout=120)
        assert p.returncode == rc, p.stderr[-3000:]
        assert "==" not in p.stderr, p.stderr[-3000:]


def test_help_and_version(run):
    h = run("--help")
    assert h.returncode == 0
    for opt in ("--replay", "--perf-script", "--pmu", "--pid", "--interval", "--duration",
                "--json", "--csv", "--hist", "--vm", "--vcpu", "record -o", "--mmap-pages",
                "--verbose", "--tracepoint", "--fields", "--version", "--output",
                "Exit status"):
        assert opt in h.stdout, opt
    v = run("--version")
    assert re.fullmatch(r"nvlat \d+\.\d+\.\d+\n", v.stdout)


def test_man_page_documents_every_option(run):
    man = (TOP / "tools" / "nvlat.1").read_text()
    longopts = set(re.findall(r"--[a-z][a-z-]+", run("--help").stdout))
    for opt in longopts:
        assert opt.replace("-", r"\-") in man, f"{opt} missing from nvlat.1"
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(TOP / "tools" / "nvlat.1")],
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stderr == "", p.stderr


def test_docs_name_every_output_column(run, sample_nvl):
    doc = (TOP / "docs" / "reporter.md").read_text()
    header = run("-r", sample_nvl, "--csv").stdout.splitlines()[0]
    for col in header.split(","):
        assert f"`{col}`" in doc, f"CSV column {col} not documented"
    r = json.loads(run("-r", sample_nvl, "--json").stdout)
    for key in r:
        assert f"`{key}`" in doc, f"JSON key {key} not documented"
