"""perf kvm stat on powerpc names the exits and hcalls of KVM-HV the way
the kernel does (kernel-patches/linux-6.1 0101, 0102).

The tables are read from the patched tree (build/src/linux-6.1, made by
`make sources` or `make lint`): a host program includes the two headers
exactly as perf does and prints them; the kernel's names come from its
own headers (asm/kvm_asm.h BOOK3S_INTERRUPT_*, asm/hvcall.h).  perf's
powerpc kvm-stat.c is also compiled with the ppc64el cross compiler
against the tree's tools/ headers, warnings as errors.
"""
import os
import re
import shutil
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
TREE = os.environ.get("OBS_LINUX_TREE", os.path.join(BUILD, "src", "linux-6.1"))
OUT = os.path.join(BUILD, "obs")
UTIL = "tools/perf/arch/powerpc/util"
HERE = os.path.dirname(os.path.abspath(__file__))

# The exits perf used to report as UNKNOWN on POWER9/10 and in nestedv2 L1s
NEW_EXITS = [0xa00, 0xe60, 0xe80, 0xea0, 0xf60, 0xf80, 0x1500, 0x1980]


def _tree():
    if not os.path.exists(os.path.join(TREE, UTIL, "book3s_hcalls.h")):
        pytest.fail(f"{TREE} has no {UTIL}: run 'make sources' (the series applied)")
    return TREE


def parse_table(text):
    """'exit|hcall CODE NAME' lines -> {kind: [(code, name)]}; bad lines raise."""
    out = {"exit": [], "hcall": []}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.fullmatch(r"(exit|hcall) 0x([0-9a-f]+) (\w+)", line)
        if not m:
            raise ValueError(f"line {n}: not 'exit|hcall 0xCODE NAME': {line!r}")
        out[m.group(1)].append((int(m.group(2), 16), m.group(3)))
    return out


@pytest.fixture(scope="module")
def tables():
    tree = _tree()
    os.makedirs(OUT, exist_ok=True)
    exe = os.path.join(OUT, "perf_tables")
    subprocess.run(["gcc", "-Wall", "-Werror", "-I", os.path.join(tree, UTIL),
                    "-o", exe, os.path.join(HERE, "perf_tables.c")], check=True)
    return parse_table(subprocess.run([exe], check=True, capture_output=True,
                                      text=True).stdout)


def kernel_defines(path, start=None, end=None):
    """#define NAME NUMBER lines of a header (between two markers) -> {name: value}."""
    text = open(path).read()
    if start:
        text = text[text.index(start):]
    if end:
        text = text[:text.index(end)]
    return {m.group(1): int(m.group(2), 0) for m in re.finditer(
        r"^#define\s+(\w+)\s+(0[xX][0-9a-fA-F]+|\d+)\b", text, re.M)}


def kernel_exits():
    d = kernel_defines(os.path.join(_tree(), "arch/powerpc/include/asm/kvm_asm.h"))
    return {k[len("BOOK3S_INTERRUPT_"):]: v for k, v in d.items()
            if k.startswith("BOOK3S_INTERRUPT_")}


def kernel_hcalls():
    hv = os.path.join(_tree(), "arch/powerpc/include/asm/hvcall.h")
    d = kernel_defines(hv, "#define H_REMOVE", "#define MAX_HCALL_OPCODE")
    d.update(kernel_defines(hv, "/* Platform specific hcalls, used by KVM */",
                            "/* Values for 2nd argument to H_SET_MODE */"))
    d.pop("H_PAGE_IN_SHARED", None)         # a flag of H_SVM_PAGE_IN
    return d


def test_no_code_twice(tables):
    for kind, rows in tables.items():
        codes = [c for c, _ in rows]
        dup = sorted({hex(c) for c in codes if codes.count(c) > 1})
        assert not dup, f"{kind}: codes listed twice: {dup}"


def test_new_exits_are_named(tables):
    named = dict(tables["exit"])
    missing = [hex(c) for c in NEW_EXITS if c not in named]
    assert not missing, f"perf kvm stat would say UNKNOWN for {missing}"


def test_exit_names_are_the_kernels(tables):
    k = kernel_exits()
    for code, name in tables["exit"]:
        if name == "RETURN_TO_HOST":        # perf's own name for 0
            assert code == 0
            continue
        assert k.get(name) == code, \
            f"{name}: perf says {code:#x}, asm/kvm_asm.h BOOK3S_INTERRUPT_{name} = {k.get(name)}"


def test_every_kernel_hcall_is_named(tables):
    named = dict(tables["hcall"])
    k = kernel_hcalls()
    for name in ("H_GUEST_GET_CAPABILITIES", "H_GUEST_RUN_VCPU", "H_GUEST_DELETE",
                 "H_RPT_INVALIDATE", "H_INT_ESB", "H_INT_GET_SOURCE_INFO",
                 "H_ENTER_NESTED", "H_GET_CPU_CHARACTERISTICS"):
        assert name in k, f"{name} is not in the tree's asm/hvcall.h"
    missing = sorted((hex(v), n) for n, v in k.items() if v not in named)
    assert not missing, f"hcalls perf kvm stat would call UNKNOWN: {missing}"
    wrong = sorted((hex(v), n, named[v]) for n, v in k.items()
                   if v in named and named[v] != n and k.get(named[v]) != v)
    assert not wrong, f"named differently from asm/hvcall.h: {wrong}"


def test_hcall_names_are_the_kernels(tables):
    k = kernel_hcalls()
    bad = [(hex(c), n) for c, n in tables["hcall"] if k.get(n) != c]
    assert not bad, f"not asm/hvcall.h's name for the code: {bad}"


def test_table_parser_rejects_garbage():
    with pytest.raises(ValueError, match="line 2"):
        parse_table("exit 0x0 RETURN_TO_HOST\nexit 0xzz BAD\n")


def test_kvm_stat_compiles_for_powerpc():
    """perf's powerpc kvm-stat.c (which includes both tables) compiles."""
    tree = _tree()
    cc = shutil.which("powerpc64le-linux-gnu-gcc")
    if not cc:
        pytest.fail("powerpc64le-linux-gnu-gcc missing: make deps")
    t = os.path.join(tree, "tools")
    inc = ["perf", "perf/util", "include", "arch/powerpc/include", "lib/perf/include",
           "lib", "arch/powerpc/include/uapi", "include/uapi"]
    cmd = [cc, "-fsyntax-only", "-Wall", "-Werror", "-D__powerpc64__",
           "-DHAVE_KVM_STAT_SUPPORT"]
    cmd += ["-I" + os.path.join(t, i) for i in inc]
    cmd.append(os.path.join(tree, UTIL, "kvm-stat.c"))
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
