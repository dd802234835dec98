"""The output contract of tests/l2/l2-suite and l2-bench, checked on the
x86 box under qemu-ppc64le-static, where KVM_CREATE_VM cannot work: the
path our 6.1 takes until the nestedv2 core lands.

Every planned result must be printed (as a SKIP naming the reason), with
the same names `l2-suite --list` gives, and bad arguments must be refused.
"""
import os
import shutil
import subprocess

import pytest

from nv2test import BUILD, TOP

import bench  # noqa: E402  (ci/ is on sys.path via conftest)
import harness  # noqa: E402

PROGS = os.path.join(BUILD, "l2", "ppc64el")
QEMU_USER = shutil.which("qemu-ppc64le-static")


def prog(name, *args):
    path = os.path.join(PROGS, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} missing: run 'make l2-progs'")
    if not QEMU_USER:
        pytest.fail("qemu-ppc64le-static missing: run 'make deps' (ci/deps.d/l2.list)")
    return subprocess.run([QEMU_USER, path, *args], capture_output=True, text=True,
                          timeout=120)


ON_REQUEST = " (only when named)"


def listed_names(on_request=False):
    """The result names of the cases a plain run runs (or, with
    on_request, of the cases that run only when named)."""
    p = prog("l2-suite", "--list")
    assert p.returncode == 0, p.stderr
    names, case, named_only = [], None, False
    for line in p.stdout.splitlines():
        if line.startswith("    "):
            if named_only == on_request:
                names.append(f"{case}: {line.strip()}")
        else:
            named_only = line.endswith(ON_REQUEST)
            case = line.strip().removesuffix(ON_REQUEST)
    return names


def test_no_vm_every_result_is_a_skip_with_the_reason():
    p = prog("l2-suite")
    assert p.returncode == 0, p.stderr
    results, facts, _, _ = harness.parse_nv2("NV2: RUN l2suite\n" + p.stdout)
    assert facts["kvm_create_vm"].startswith("error "), facts
    assert results, p.stdout
    assert all(r.skip and "cannot create a VM (KVM_CREATE_VM:" in r.diag for r in results)
    # the plan matched (no l2suite/plan failure) and the names are --list's
    assert [r.name for r in results] == [f"l2suite/{n}" for n in listed_names()]


def test_on_request_case_runs_when_named():
    named = listed_names(on_request=True)
    cases = ["getstate-fail", "runout-unknown", "runout-bad-size", "fac-hfscr",
             # the hostile L0 (issue 15)
             "runout-truncated", "runout-count", "runout-garbage", "busy", "busy-long",
             "create-fail", "getregs-fail", "timer-lost"]
    assert named and all(n.split(": ", 1)[0] in cases for n in named)
    p = prog("l2-suite", *cases)
    results, _, _, _ = harness.parse_nv2("NV2: RUN l2suite\n" + p.stdout)
    assert [r.name for r in results] == [f"l2suite/{n}" for n in named]


def test_selected_cases_only():
    p = prog("l2-suite", "mmio", "dec")
    results, _, _, _ = harness.parse_nv2("NV2: RUN l2suite\n" + p.stdout)
    assert {r.name.split(":")[0] for r in results} == {"l2suite/mmio", "l2suite/dec"}
    assert len(results) == 10


def test_onereg_lists_every_uapi_id_group():
    names = [n for n in listed_names() if n.startswith("onereg: ")]
    for reg in ("HIOR", "DSCR", "LPCR_64", "DEC_EXPIRY", "DEXCR", "HASHPKEYR",
                "FPR0-31", "VR0-31", "VSR0-31", "Book E-only ids",
                "transactional memory ids", "KVM_SET_REGS"):
        assert any(n.startswith(f"onereg: {reg}") for n in names), reg


@pytest.mark.parametrize("args", [["nosuch"], ["--trips=abc"], ["--trips=0"], ["--bogus"]])
def test_bad_arguments_are_refused(args):
    p = prog("l2-suite", *args)
    assert p.returncode == 2
    assert "l2-suite" in p.stderr


def test_bench_without_counting_gives_na_rows(tmp_path):
    p = prog("l2-bench")
    assert p.returncode == 1
    _, facts, _, _ = harness.parse_nv2("NV2: RUN l2bench\n" + p.stdout)
    assert facts["bench.counting"].startswith("n/a"), facts
    with open(tmp_path / "bench-ref.facts", "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in facts.items()))
    table, _ = bench.load(str(tmp_path))
    assert all(not r.ok and "hcall_entry" in r.reason for r in table["ref"].values())


def test_kvm_smoke_contract_without_vm():
    p = prog("kvm-smoke")
    assert p.returncode == 0
    _, facts, _, _ = harness.parse_nv2(p.stdout)
    assert facts["kvm_create_vm"].startswith("error "), facts


def test_kvm_caps_contract_without_vm():
    """kvm-caps where KVM cannot answer: exit 1 and an error fact, never
    capability values that look like answers."""
    p = prog("kvm-caps")
    assert p.returncode == 1, p.stdout
    _, facts, _, _ = harness.parse_nv2(p.stdout)
    assert facts, p.stdout
    assert all(k.startswith("caps.") for k in facts), facts
    assert all(v.startswith("error ") for v in facts.values()), facts


def test_sources_are_ours():
    """No third-party source in tests/l2: every file carries our SPDX line."""
    d = os.path.join(TOP, "tests", "l2")
    for name in os.listdir(d):
        if name.endswith((".c", ".h")):
            with open(os.path.join(d, name)) as f:
                assert "SPDX-License-Identifier: GPL-2.0-only" in f.readline(), name
