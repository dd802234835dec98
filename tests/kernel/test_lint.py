"""The kernel series as a maintainer checks it (results of ci/lint.sh):
applies with git am and quilt to the same tree, checkpatch --strict clean,
and builds after every patch."""
import os
import shutil
import subprocess
import sys

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
EXPECTED = [("apply", "git-am"), ("apply", "quilt"), ("gsc-lint", "tip"), ("build", "base")] + \
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


# ci/gsc-lint.py, the state cache check of make lint (issue 11): it passes
# on the series and fails on a bare read of a field the table maps.
GSC_LINT = os.path.join(TOP, "ci", "gsc-lint.py")
TREE = os.path.join(TOP, "build", "src", "linux-6.1")
TABLE = "arch/powerpc/include/asm/kvm_guest_state_ids.h"
KVM = "arch/powerpc/kvm"


def gsc_lint(tree, *extra):
    return subprocess.run([sys.executable, GSC_LINT, *extra, str(tree)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree_copy(tmp_path):
    """The table and arch/powerpc/kvm of the series tree, to modify."""
    if not os.path.exists(os.path.join(TREE, TABLE)):
        pytest.fail(f"{TREE} has no series applied: run 'make sources'")
    dst = tmp_path / "linux"
    (dst / os.path.dirname(TABLE)).mkdir(parents=True)
    shutil.copy(os.path.join(TREE, TABLE), dst / TABLE)
    shutil.copytree(os.path.join(TREE, KVM), dst / KVM,
                    ignore=shutil.ignore_patterns("*.o", "*.S", "Makefile", "Kconfig"))
    return dst


def test_gsc_lint_passes_on_the_series(tree_copy):
    p = gsc_lint(tree_copy)
    assert p.returncode == 0, p.stdout + p.stderr


def test_gsc_lint_fails_on_a_bare_pid_read(tree_copy):
    src = tree_copy / KVM / "book3s_hv.c"
    text = src.read_text()
    # a new function reading PIDR straight from the vCPU, as bug 1 did
    src.write_text(text + "\nstatic u32 lint_probe_pid(struct kvm_vcpu *vcpu)\n{\n"
                   "\treturn vcpu->arch.pid;\n}\n")
    p = gsc_lint(tree_copy)
    assert p.returncode == 1, p.stdout + p.stderr
    line = text.count("\n") + 4
    assert p.stdout.splitlines() == [
        f"{KVM}/book3s_hv.c:{line}: lint_probe_pid: vcpu->arch.pid"], p.stdout
    assert "outside the state cache" in p.stderr


def test_gsc_lint_fails_on_a_new_field_in_an_allowed_function(tree_copy):
    src = tree_copy / KVM / "book3s_hv.c"
    text = src.read_text()
    # kvmppc_h_set_mode may touch the watchpoints, not PIDR
    anchor = "\tcase H_SET_MODE_RESOURCE_SET_CIABR:\n"
    assert anchor in text
    src.write_text(text.replace(anchor, anchor + "\t\tvcpu->arch.pid = 0;\n", 1))
    p = gsc_lint(tree_copy)
    assert p.returncode == 1 and "kvmppc_h_set_mode: vcpu->arch.pid" in p.stdout, p.stdout


def test_gsc_lint_stale_allow_entry_fails(tree_copy, tmp_path):
    allow = tmp_path / "allow"
    text = open(os.path.join(TOP, "ci", "gsc-lint.allow")).read()
    allow.write_text(text + "book3s_hv.c no_such_function pid  # gone\n")
    p = gsc_lint(tree_copy, "--allow", str(allow))
    assert p.returncode == 1 and "no such access any more" in p.stdout, p.stdout


@pytest.mark.parametrize("entry,msg", [
    ("book3s_hv.c f pid extra  # x", "expected 'FILE' or 'FILE FUNCTION FIELD'"),
    ("book3s_hv.c f pid", "needs a '# reason'"),
])
def test_gsc_lint_bad_allow_file_is_an_error(tree_copy, tmp_path, entry, msg):
    allow = tmp_path / "allow"
    allow.write_text(entry + "\n")
    p = gsc_lint(tree_copy, "--allow", str(allow))
    assert p.returncode == 2 and msg in p.stderr, p.stderr


def test_gsc_lint_without_a_table_is_an_error(tmp_path):
    p = gsc_lint(tmp_path)
    assert p.returncode == 2 and "kvm_guest_state_ids.h" in p.stderr, p.stderr


# The owner column (issue 11's design change): a field that only KVM
# changes (L1-owned, exit information, ...) may be read directly, but a
# write must go through the cache; an L0-owned one needs it for both.
def _probe(tree_copy, body):
    src = tree_copy / KVM / "book3s_hv.c"
    text = src.read_text()
    src.write_text(text + "\nstatic void lint_probe(struct kvm_vcpu *vcpu, u64 *p)\n{\n"
                   + body + "}\n")
    return text.count("\n") + 4


def test_gsc_lint_reading_an_l1_owned_field_is_fine(tree_copy):
    _probe(tree_copy, "\t*p = vcpu->arch.dawr0 + vcpu->arch.fault_dar;\n")
    p = gsc_lint(tree_copy)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("stmt,field", [
    ("\tvcpu->arch.dawr0 = *p;\n", "dawr0"),            # L1-owned
    ("\tvcpu->arch.ciabr |= 1;\n", "ciabr"),
    ("\tvcpu->arch.fault_dar++;\n", "fault_dar"),       # exit information
    ("\tp = &vcpu->arch.ppr;\n", "ppr"),                 # write-only: address taken
    ("\t*p = vcpu->arch.hfscr;\n", "hfscr"),            # L0-owned: a read
])
def test_gsc_lint_owner_column_decides(tree_copy, stmt, field):
    line = _probe(tree_copy, stmt)
    p = gsc_lint(tree_copy)
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout.splitlines() == [f"{KVM}/book3s_hv.c:{line}: lint_probe: vcpu->arch.{field}"], \
        p.stdout
