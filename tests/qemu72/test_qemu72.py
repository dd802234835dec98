"""QEMU 7.2 (the VMM inside the L1): series, build and payload checks.

`make qemu72` (ci/qemu72.sh all) prepares what these tests read:
build/src/qemu-7.2 (base + series by git am), build/obj/qemu-7.2-ppc64el
(the ppc64el KVM-only build) and build/payload/qemu-7.2 (the overlay).
Tests that need a missing artefact fail and say which step to run.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from nv2test import skip_manual

TOP = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", TOP / "build"))
RESULTS = Path(os.environ.get("RESULTS", BUILD / "results"))
SERIES_DIR = TOP / "qemu-patches" / "qemu-7.2"
SRC = BUILD / "src" / "qemu-7.2"
OBJ = BUILD / "obj" / "qemu-7.2-ppc64el"
PAYLOAD = BUILD / "payload" / "qemu-7.2"
SCRIPT = TOP / "ci" / "qemu72.sh"
CROSS = "powerpc64le-linux-gnu-"
SIGNOFF = ("Signed-off-by: nestedv2 maintainers "
           "<maintainers@users.noreply.h-seed-112b9b78.example>")
LIB_DIRS = ["lib/powerpc64le-linux-gnu", "usr/lib/powerpc64le-linux-gnu",
            "lib64", "lib", "usr/lib"]


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def series():
    names = []
    for line in (SERIES_DIR / "series").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split()[0])
    return names


PATCHES = series()


def need(path, step):
    if not Path(path).exists():
        pytest.fail(f"{path} missing: run `make qemu72` ({step})")


def git(*args, cwd=SRC):
    r = run(["git", "-C", str(cwd), *args])
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


# --- the series --------------------------------------------------------------

def test_series_lists_exactly_the_patch_files():
    on_disk = sorted(p.name for p in SERIES_DIR.glob("*.patch"))
    assert PATCHES, "empty series"
    assert sorted(PATCHES) == on_disk
    assert len(set(PATCHES)) == len(PATCHES)


def test_series_is_commented():
    text = (SERIES_DIR / "series").read_text()
    comments = [l for l in text.splitlines() if l.startswith("#")]
    assert len(comments) >= len(PATCHES)
    assert "Forwarded" in text or "forwarded" in text


@pytest.mark.parametrize("name", PATCHES)
def test_patch_headers(name):
    text = (SERIES_DIR / name).read_text()
    head, _, _ = text.partition("\n---\n")
    assert re.match(r"From [0-9a-f]{40} ", text), "not git format-patch output"
    assert re.search(r"^From: .+ <.+>$", head, re.M)
    assert re.search(r"^Subject: \[PATCH", head, re.M)
    fwd = re.search(r"^Forwarded: (no|not-needed)$", head, re.M)
    assert fwd, "DEP-3 Forwarded: line"
    if fwd.group(1) == "not-needed":
        # only for what upstream already has: make rebase drops it there
        assert re.search(r"^Applied-Upstream: \d+\.\d+\.\d+, commit:[0-9a-f]{10,}",
                         head, re.M), "Forwarded: not-needed without Applied-Upstream"
    assert SIGNOFF in head.splitlines()
    body = head.split("\n\n", 1)[1]
    words = len(body.split())
    assert words >= 60, f"commit message too thin ({words} words): say why"


@pytest.mark.parametrize("name", PATCHES)
def test_checkpatch(name):
    need(SRC / "scripts" / "checkpatch.pl", "source")
    r = run(["perl", "scripts/checkpatch.pl", str(SERIES_DIR / name)],
            cwd=SRC)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "total: 0 errors, 0 warnings" in r.stdout, r.stdout


def test_git_am_applied_the_whole_series():
    need(SRC / ".nestedv2-series", "source")
    subjects = git("log", "--reverse", "--format=%s", "base..HEAD").splitlines()
    assert len(subjects) == len(PATCHES)
    for subj, name in zip(subjects, PATCHES):
        text = (SERIES_DIR / name).read_text()
        m = re.search(r"^Subject: \[PATCH[^\]]*\] (.*(?:\n .*)*)", text, re.M)
        want = " ".join(m.group(1).split())
        assert subj == want
    assert git("status", "--porcelain", "--untracked-files=no") == ""


def series_files():
    files = set()
    for name in PATCHES:
        for line in (SERIES_DIR / name).read_text().splitlines():
            for prefix in ("--- a/", "+++ b/"):
                if line.startswith(prefix):
                    files.add(line[len(prefix):].split("\t")[0])
    return sorted(files)


def test_quilt_gives_the_same_tree_as_git_am(tmp_path):
    """Push the series with quilt on a pristine export (of the files it
    touches) of base, lay the results over base in a scratch index and
    compare the tree with the git am result."""
    need(SRC / ".nestedv2-series", "source")
    tree = tmp_path / "quilt"
    tree.mkdir()
    files = series_files()
    in_base = git("ls-tree", "-r", "--name-only", "base", "--",
                  *files).splitlines()
    archive = run(["git", "-C", str(SRC), "archive", "base", "--", *in_base],
                  capture_output=True, text=False)
    assert archive.returncode == 0
    r = subprocess.run(["tar", "-C", str(tree), "-x"], input=archive.stdout)
    assert r.returncode == 0
    env = dict(os.environ, QUILT_PATCHES=str(SERIES_DIR), QUILT_PC=".pc-q",
               QUILT_SERIES="series")
    r = run(["quilt", "push", "-a", "-q", "--fuzz=0"], cwd=tree, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    env = dict(os.environ, GIT_INDEX_FILE=str(tmp_path / "index"))
    assert run(["git", "-C", str(SRC), "read-tree", "base"],
               env=env).returncode == 0
    for f in files:
        path = tree / f
        if path.exists():
            blob = git("hash-object", "-w", str(path))
            mode = "100755" if os.access(path, os.X_OK) else "100644"
            r = run(["git", "-C", str(SRC), "update-index", "--add",
                     "--cacheinfo", f"{mode},{blob},{f}"], env=env)
        else:
            r = run(["git", "-C", str(SRC), "update-index", "--force-remove",
                     f], env=env)
        assert r.returncode == 0, r.stderr
    r = run(["git", "-C", str(SRC), "write-tree"], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == git("rev-parse", "HEAD^{tree}")


def test_patches_change_what_they_claim():
    need(SRC / ".nestedv2-series", "source")
    cpu_h = (SRC / "target/ppc/cpu.h").read_text()
    for spr, num in [("SPR_DEXCR", "0x33C"), ("SPR_UDEXCR", "0x32C"),
                     ("SPR_HDEXCR", "0x1D7"), ("SPR_UHDEXCR", "0x1C7"),
                     ("SPR_HASHKEYR", "0x1D4"), ("SPR_HASHPKEYR", "0x1D5")]:
        assert re.search(rf"#define {spr}\s+\({num}\)", cpu_h), spr
    kvm_h = (SRC / "linux-headers/asm-powerpc/kvm.h").read_text()
    for reg, nr in [("DEXCR", "0xc6"), ("HASHKEYR", "0xc7"),
                    ("HASHPKEYR", "0xc8")]:
        assert re.search(rf"#define KVM_REG_PPC_{reg}\s+\(KVM_REG_PPC \| "
                         rf"KVM_REG_SIZE_U64 \| {nr}\)", kvm_h), reg
    init = (SRC / "target/ppc/cpu_init.c").read_text()
    for reg in ["DEXCR", "HASHKEYR", "HASHPKEYR"]:
        assert f"KVM_REG_PPC_{reg}," in init, reg


def test_one_reg_ids_match_the_kernel_uapi():
    """The ids are ABI: they must equal upstream Linux's (6.12 here)."""
    uapi = BUILD / "src/linux-6.12/arch/powerpc/include/uapi/asm/kvm.h"
    if not uapi.exists():
        skip_manual("kernel-ref", "build/src/linux-6.12 not unpacked (ci/sources.sh ref)")
    ours = (SRC / "linux-headers/asm-powerpc/kvm.h").read_text()
    theirs = uapi.read_text()
    for reg in ["DEXCR", "HASHKEYR", "HASHPKEYR"]:
        pat = rf"^#define KVM_REG_PPC_{reg}\s.*$"
        assert re.search(pat, ours, re.M).group(0) == \
            re.search(pat, theirs, re.M).group(0)


# --- bad input: the series lint ----------------------------------------------

def lint(series_dir):
    env = dict(os.environ, QEMU72_SERIES_DIR=str(series_dir))
    return run(["bash", str(SCRIPT), "lint"], env=env)


def tree_state():
    return (git("rev-parse", "HEAD"), git("status", "--porcelain"),
            (SRC / ".nestedv2-series").read_text())


def copy_series(tmp_path):
    d = tmp_path / "series"
    shutil.copytree(SERIES_DIR, d)
    return d


def test_lint_accepts_the_real_series():
    need(SRC / ".nestedv2-series", "source")
    r = lint(SERIES_DIR)
    assert r.returncode == 0, r.stderr
    assert f"lint: {len(PATCHES)} patches" in r.stderr


def test_lint_rejects_missing_patch_and_keeps_the_tree(tmp_path):
    need(SRC / ".nestedv2-series", "source")
    before = tree_state()
    d = copy_series(tmp_path)
    (d / PATCHES[-1]).unlink()
    r = lint(d)
    assert r.returncode != 0
    assert f"series lists '{PATCHES[-1]}'" in r.stderr
    assert tree_state() == before


def test_lint_rejects_garbled_patch_and_keeps_the_tree(tmp_path):
    need(SRC / ".nestedv2-series", "source")
    before = tree_state()
    d = copy_series(tmp_path)
    victim = d / PATCHES[0]
    data = victim.read_text()
    # Corrupt the context of the first hunk: it no longer applies.
    i = data.index("\n@@ ")
    j = data.index("\n ", i + 1)
    victim.write_text(data[:j] + "\n garbage that is not in the file" +
                      data[j:])
    r = lint(d)
    assert r.returncode != 0
    assert f"{PATCHES[0]} does not apply" in r.stderr, r.stderr
    assert tree_state() == before


def test_lint_rejects_non_patch_and_unlisted_files(tmp_path):
    need(SRC / ".nestedv2-series", "source")
    d = copy_series(tmp_path)
    (d / PATCHES[1]).write_bytes(os.urandom(512))
    r = lint(d)
    assert r.returncode != 0
    assert f"{PATCHES[1]}: not a git format-patch file" in r.stderr
    d2 = copy_series(tmp_path / "b")
    (d2 / "9999-stray.patch").write_text("stray\n")
    r = lint(d2)
    assert r.returncode != 0
    assert "9999-stray.patch is in" in r.stderr


def test_lint_rejects_missing_signoff(tmp_path):
    need(SRC / ".nestedv2-series", "source")
    d = copy_series(tmp_path)
    p = d / PATCHES[2]
    p.write_text(p.read_text().replace(SIGNOFF, "Signed-off-by: x <x@y>"))
    r = lint(d)
    assert r.returncode != 0
    assert f"{PATCHES[2]}: no 'Signed-off-by:" in r.stderr


# --- the ppc64el build -------------------------------------------------------

def readelf(*args):
    r = run([CROSS + "readelf", *args])
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_cross_binary_is_ppc64el():
    need(OBJ / "qemu-system-ppc64", "build")
    h = readelf("-h", str(OBJ / "qemu-system-ppc64"))
    assert re.search(r"Class:\s+ELF64", h)
    assert re.search(r"Data:\s+2's complement, little endian", h)
    assert re.search(r"Machine:\s+PowerPC64", h)
    assert re.search(r"Type:\s+(DYN|EXEC)", h)


def test_cross_build_is_kvm_only():
    need(OBJ / "qemu-system-ppc64", "build")
    conf = (OBJ / "ppc64-softmmu-config-target.h").read_text()
    assert re.search(r"^#define CONFIG_KVM 1$", conf, re.M)
    # (CONFIG_TCG_BUILTIN only says accelerators are not modules.)
    assert not re.search(r"^#define CONFIG_TCG( |$)", conf, re.M)
    host = (OBJ / "config-host.h").read_text()
    assert not re.search(r"^#define CONFIG_TCG( |$)", host, re.M)
    # No TCG translator built; the TCG stubs are.
    objs = OBJ / "libqemu-ppc64-softmmu.fa.p"
    assert not list(objs.glob("target_ppc_translate.c.o"))
    assert (objs / "target_ppc_tcg-stub.c.o").exists()


def test_binary_carries_the_patches():
    need(OBJ / "qemu-system-ppc64", "build")
    data = (OBJ / "qemu-system-ppc64").read_bytes()
    assert b"KVM has no one-reg interface for %s" in data
    assert b"HASHPKEYR" in data and b"UHDEXCR" in data
    assert b"cap-rpt-invalidate=off" in data
    # 0006-0008 (issue 16 items 8, 9, 4)
    assert b"KVM on this host does not offer cap-%s=%s: using cap-%s=%s" in data
    assert b"interrupts are emulated in user space on this host" in data
    assert b"kernel_irqchip allowed but unavailable" not in data
    assert b"the host runs in %s compatibility mode" in data
    # 0009 (issue 16 item 5): the POWER11 model, its pseries core and mode
    assert b"power11_v2.0-spapr-cpu-core" in data and b"PowerPC,POWER11" in data
    assert b"power11\0" in data


def test_build_log_has_no_warnings():
    log = RESULTS / "qemu72" / "build.log"
    need(log, "build")
    warnings = [l for l in log.read_text().splitlines() if "warning:" in l]
    assert warnings == []


# --- the payload overlay -----------------------------------------------------

def elf_files(root):
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            with open(p, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    yield p


def resolve(root, soname):
    root = root.resolve()
    for d in LIB_DIRS:
        p = root / d / soname
        if os.path.lexists(p):
            real = Path(os.path.realpath(p))
            assert root in real.parents, f"{p} leaves the overlay ({real})"
            assert real.is_file(), f"{p} dangles"
            return real
    return None


def needed(path):
    return re.findall(r"\(NEEDED\).*\[(.+)\]", readelf("-d", str(path)))


def test_payload_layout():
    need(PAYLOAD, "payload")
    binary = PAYLOAD / "usr/bin/qemu-system-ppc64"
    assert binary.is_file() and os.access(binary, os.X_OK)
    assert "no symbols" in run([CROSS + "nm", str(binary)]).stderr
    vof = PAYLOAD / "usr/share/qemu/vof.bin"
    assert vof.is_file() and 1000 < vof.stat().st_size < 1 << 20
    interp = re.search(r"interpreter: (.+)\]",
                       readelf("-l", str(binary))).group(1)
    loader = PAYLOAD / interp.lstrip("/")
    assert os.path.lexists(loader)
    assert Path(os.path.realpath(loader)).is_file()
    assert PAYLOAD.resolve() in Path(os.path.realpath(loader)).parents


def test_payload_closure_is_complete_and_exact():
    """Every DT_NEEDED of every ELF in the overlay resolves inside it, and
    every library in it is needed by something."""
    need(PAYLOAD, "payload")
    binary = PAYLOAD / "usr/bin/qemu-system-ppc64"
    seen, todo = set(), [binary]
    while todo:
        elf = todo.pop()
        for so in needed(elf):
            real = resolve(PAYLOAD, so)
            assert real is not None, f"{so} (needed by {elf.name}) not in overlay"
            if real not in seen:
                seen.add(real)
                todo.append(real)
    interp = re.search(r"interpreter: (.+)\]",
                       readelf("-l", str(binary))).group(1)
    seen.add(Path(os.path.realpath(PAYLOAD / interp.lstrip("/"))))
    libs = {p.resolve() for p in elf_files(PAYLOAD) if p != binary}
    assert libs == seen, f"unneeded: {libs - seen}"


def test_payload_runtime_closure_is_the_known_small_set():
    """The KVM-only feature set needs exactly these libraries."""
    need(PAYLOAD, "payload")
    sonames = set()
    for p in elf_files(PAYLOAD):
        m = re.search(r"\(SONAME\).*\[(.+)\]", readelf("-d", str(p)))
        if m:
            sonames.add(m.group(1))
    assert sonames == {"libfdt.so.1", "libpixman-1.so.0", "libz.so.1",
                       "libm.so.6", "libglib-2.0.so.0", "libpcre2-8.so.0",
                       "libc.so.6", "ld64.so.2"}


# --- the migration check payload (dry run with the host's QEMU, TCG) ---------

MIGCHECK = PAYLOAD.parent / "qemu-7.2-migcheck" / "usr/share/nestedv2/migcheck"
HOST_QEMU = shutil.which("qemu-system-ppc64")
TCG_ARGS = ["-accel", "tcg",
            "-M", "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,"
                  "cap-ibs=broken,cap-ccf-assist=off",
            "-cpu", "power10", "-m", "512M", "-smp", "1", "-nodefaults"]


def test_migcheck_payload_is_built():
    need(MIGCHECK / "migcheck.elf", "migcheck")
    h = readelf("-h", str(MIGCHECK / "migcheck.elf"))
    assert re.search(r"Machine:\s+PowerPC64", h)
    assert re.search(r"little endian", h)
    assert os.access(MIGCHECK / "migcheck.sh", os.X_OK)


def test_migcheck_payload_is_reproducible():
    """migcheck.elf is in the LPAR image's cache key (ci/lpar-image.sh):
    a file symbol named after a gcc temporary (ccXXXXXX.o, from an
    assembler source without .file) makes every build other bytes, and the
    image is reassembled in every run and clone."""
    need(MIGCHECK / "migcheck.elf", "migcheck")
    syms = readelf("-sW", str(MIGCHECK / "migcheck.elf"))
    files = re.findall(r"\bFILE\s+\w+\s+\w+\s+\w+\s+(\S+)$", syms, re.M)
    assert "start.S" in files, syms
    temps = [f for f in files if re.fullmatch(r"cc\w{6}\.o", f)]
    assert not temps, syms


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """Run the whole migration check with the host's QEMU (the L0's 10.0,
    TCG, which implements DEXCR/HASHKEYR): proves the payload and the
    script; under the L1 harness the same script runs our 7.2 with KVM."""
    if HOST_QEMU is None:
        pytest.skip("no host qemu-system-ppc64 (make deps installs it)")
    need(MIGCHECK / "migcheck.elf", "migcheck")
    work = tmp_path_factory.mktemp("migcheck")
    r = run(["sh", str(MIGCHECK / "migcheck.sh"), HOST_QEMU,
             str(MIGCHECK / "migcheck.elf"), str(work), *TCG_ARGS],
            env=dict(os.environ, MIGCHECK_TIMEOUT="60"), timeout=300)
    return r, work


def test_migcheck_dry_run_passes(migrated):
    r, work = migrated
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "migcheck: ready dexcr=0x0600000014000000 " \
           "hashkeyr=0x0123456789abcdef" in out
    assert "migcheck: after dexcr=0x0600000014000000 " \
           "hashkeyr=0x0123456789abcdef" in out
    assert "migcheck: PASS" in out
    assert (work / "state").stat().st_size > 1 << 20


def test_garbled_migration_stream_is_refused_and_kept(migrated, tmp_path):
    """A corrupted stream makes the destination QEMU stop with an error;
    the stream file it was given is left as it was."""
    r, work = migrated
    assert r.returncode == 0
    state = (work / "state").read_bytes()
    bad = bytearray(state)
    mid = len(bad) // 2
    bad[64:4096] = os.urandom(4096 - 64)   # device state headers
    bad[mid:mid + 4096] = os.urandom(4096)
    path = tmp_path / "bad-state"
    path.write_bytes(bytes(bad))
    before = path.read_bytes()
    r = run([HOST_QEMU, *TCG_ARGS, "-display", "none", "-serial", "null",
             "-monitor", "none", "-kernel", str(MIGCHECK / "migcheck.elf"),
             "-incoming", f"exec:cat {path}"], timeout=120)
    assert r.returncode != 0
    assert re.search(r"load of migration failed|error while loading state|"
                     r"Unknown savevm section|invalid|failed", r.stderr,
                     re.I), r.stderr
    assert path.read_bytes() == before
    assert (work / "state").read_bytes() == state


# --- TCG semantics of DEXCR/HDEXCR (optional: make qemu72-tcg) ---------------

TCG_QEMU = BUILD / "obj" / "qemu-7.2-x86-tcg" / "qemu-system-ppc64"
SPRCHECK = BUILD / "obj" / "qemu72-baremetal" / "sprcheck.elf"


def sprcheck(qemu):
    p = subprocess.Popen(
        [str(qemu), *TCG_ARGS, "-L", str(PAYLOAD / "usr/share/qemu"),
         "-display", "none", "-serial", "stdio", "-monitor", "none",
         "-kernel", str(SPRCHECK)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in p.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(("sprcheck: PASS", "sprcheck: FAIL\n")) or \
                    line.rstrip() == "sprcheck: FAIL":
                break
    finally:
        p.kill()
        p.wait()
    return lines


def test_sprcheck_tcg_semantics_of_patched_72():
    """DEXCR write mask, UDEXCR/UHDEXCR views in supervisor and problem
    state, traps on writes and privileged reads: our 7.2 under TCG."""
    if not TCG_QEMU.exists():
        skip_manual("qemu72-tcg", "no TCG build")
    need(SPRCHECK, "baremetal")
    lines = sprcheck(TCG_QEMU)
    assert "sprcheck: PASS" in lines, "\n".join(lines)
    assert not [l for l in lines if l.startswith("sprcheck: FAIL")]
    assert len([l for l in lines if l.startswith("sprcheck: ok ")]) >= 20


def test_sprcheck_detects_other_semantics():
    """Negative control: the host's QEMU 10 lets every DEXCR bit be set,
    and sprcheck says so (it is not a test that always passes)."""
    if HOST_QEMU is None:
        pytest.skip("no host qemu-system-ppc64")
    need(SPRCHECK, "baremetal")
    lines = sprcheck(HOST_QEMU)
    assert "sprcheck: FAIL" in lines, "\n".join(lines)
    assert any(l.startswith("sprcheck: FAIL dexcr-write-mask got="
                            "0xffffffffffffffff") for l in lines), lines
    assert "sprcheck: ok mtspr-udexcr-problem-traps" in lines


# --- migration with our 7.2 under TCG, and to/from Debian's unpatched 7.2 -----

STOCK_QEMU = BUILD / "obj" / "qemu-7.2-stock-x86" / "usr/bin/qemu-system-ppc64"


def migcheck(src, work, dst=None, ready=None, load_only=False):
    env = dict(os.environ, MIGCHECK_TIMEOUT="60")
    if dst:
        env["MIGCHECK_DST_QEMU"] = str(dst)
    if ready:
        env["MIGCHECK_READY"] = ready
    if load_only:
        env["MIGCHECK_LOAD_ONLY"] = "1"
    return run(["sh", str(MIGCHECK / "migcheck.sh"), str(src),
                str(MIGCHECK / "migcheck.elf"), str(work), *TCG_ARGS,
                "-L", str(PAYLOAD / "usr/share/qemu")],
               env=env, timeout=300)


def need_tcg(stock=False):
    if not TCG_QEMU.exists():
        skip_manual("qemu72-tcg", "no TCG build")
    if stock and not STOCK_QEMU.exists():
        skip_manual("qemu72-tcg", "no Debian 7.2 host binary")
    need(MIGCHECK / "migcheck.elf", "baremetal")


def test_migcheck_our_72_tcg(tmp_path):
    """DEXCR and HASHKEYR travel in env.spr[] with our 7.2."""
    need_tcg()
    r = migcheck(TCG_QEMU, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "migcheck: after dexcr=0x0600000014000000 " \
           "hashkeyr=0x0123456789abcdef" in r.stdout
    assert "migcheck: PASS" in r.stdout


def test_migration_to_unpatched_72_is_accepted(tmp_path):
    """Patch 1 adds no vmstate section: Debian's 7.2 loads a stream from
    our 7.2 taken while DEXCR is non-zero."""
    need_tcg(stock=True)
    r = migcheck(TCG_QEMU, tmp_path, dst=STOCK_QEMU, load_only=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "migcheck: ready dexcr=0x0600000014000000" in r.stdout
    assert "migcheck: destination running" in r.stdout


def test_migration_from_unpatched_72_is_accepted(tmp_path):
    need_tcg(stock=True)
    # Debian's 7.2 has no DEXCR: the payload stops at its first mtspr,
    # which does not matter for loading the stream.
    r = migcheck(STOCK_QEMU, tmp_path, dst=TCG_QEMU, ready="migcheck: start",
                 load_only=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "migcheck: destination running" in r.stdout


def test_series_adds_no_vmstate():
    """The migration format is unchanged: no patch touches a vmstate
    description (the SPR values ride in the existing env.spr[] array)."""
    need(SRC / ".nestedv2-series", "source")
    diff = git("diff", "base..HEAD")
    added = [l for l in diff.splitlines() if l.startswith("+")]
    assert not [l for l in added if "VMSTATE_" in l or
                "VMStateDescription" in l]
    assert "target/ppc/machine.c" not in git("diff", "--stat", "base..HEAD")
