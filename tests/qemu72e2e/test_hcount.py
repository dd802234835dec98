"""nv2-hcount and the e2e scripts, checked on the build host (runs in
`make check`; no L1 needed).

nv2-hcount is built here with the cross compiler and run under
qemu-ppc64le-static: its argument and setup errors must be clear, exit 2
and leave nothing half-written.  (The L2 /init is only compiled: it
calls reboot(), which qemu-user would pass to the host.)
"""
import os
import shutil
import subprocess

import pytest

from nv2test import TOP

CC = "powerpc64le-linux-gnu-gcc"
SRC = os.path.join(TOP, "tests", "qemu72e2e")
L2 = os.path.join(TOP, "tests", "l2")
SCRIPTS = [os.path.join(TOP, "ci", "qemu72-e2e.sh"),
           os.path.join(TOP, "ci", "initramfs", "run", "qemu72-l2boot"),
           os.path.join(TOP, "ci", "initramfs", "run", "qemu72-migcheck"),
           os.path.join(TOP, "ci", "initramfs", "run", "qemu72-compat")]


def need(tool, deps):
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed (ci/deps.d/{deps})")
    return path


@pytest.fixture(scope="module")
def hcount(tmp_path_factory):
    need(CC, "qemu72-e2e.list")
    out = str(tmp_path_factory.mktemp("hcount") / "nv2-hcount")
    subprocess.run([CC, "-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11", "-static",
                    "-o", out, os.path.join(SRC, "hcount.c"),
                    os.path.join(L2, "kvmt.c"), os.path.join(L2, "onereg.c")],
                   check=True, capture_output=True, text=True)
    return out


def run(hcount, *args):
    qemu = need("qemu-ppc64le-static", "qemu72-e2e.list")
    return subprocess.run([qemu, hcount, *args], capture_output=True, text=True,
                          timeout=60)


def test_l2init_compiles(tmp_path):
    need(CC, "qemu72-e2e.list")
    subprocess.run([CC, "-O2", "-Wall", "-Wextra", "-Werror", "-static", "-o",
                    str(tmp_path / "init"), os.path.join(SRC, "l2init.c")],
                   check=True, capture_output=True, text=True)


@pytest.mark.parametrize("args", [[], ["-p", "x"], ["-q", "--", "true"], ["--", "true"]],
                         ids=["nothing", "no-command", "bad-option", "no-prefix"])
def test_bad_arguments_are_refused(hcount, args):
    p = run(hcount, *args)
    assert p.returncode == 2, p
    assert "usage: nv2-hcount -p PREFIX" in p.stderr
    assert "NV2: FACT" not in p.stdout


@pytest.mark.parametrize("spec", ["x", "=kvm:kvm_userspace_exit", "a b=kvm:x", "n=kvm",
                                  "n=:ev", "n=kvm:", "n=kvm:ev:", "n=kvm::f"],
                         ids=["no-equals", "no-name", "bad-name", "no-event", "no-system",
                              "empty-event", "empty-filter", "empty-event-filter"])
def test_bad_event_counter_is_refused(hcount, spec, tmp_path):
    marker = tmp_path / "ran"
    p = run(hcount, "-p", "x", "-e", spec, "--", "/bin/touch", str(marker))
    assert p.returncode == 2, p
    assert f"nv2-hcount: -e {spec}: want NAME=SYS:EVENT[:FILTER]" in p.stderr, p.stderr
    assert "NV2: FACT" not in p.stdout
    assert not marker.exists()


def test_unwritable_log_is_refused(hcount, tmp_path):
    p = run(hcount, "-p", "x", "-o", str(tmp_path / "no" / "such" / "log"), "--", "true")
    assert p.returncode == 2 and "No such file or directory" in p.stderr, p
    assert "NV2: FACT" not in p.stdout


def test_no_tracepoint_is_a_clear_error(hcount, tmp_path):
    # qemu-user has no ppc tracefs: the counters cannot open; the command
    # must not be run half-counted, and the log file stays empty.
    marker = tmp_path / "ran"
    log = tmp_path / "log"
    p = run(hcount, "-p", "x", "-o", str(log), "--", "/bin/touch", str(marker))
    assert p.returncode == 2, p
    assert p.stderr.startswith("nv2-hcount: hcall counters:"), p.stderr
    assert not marker.exists()
    assert log.read_text() == ""


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_scripts_are_clean(script):
    need("shellcheck", "qemu72-e2e.list")
    p = subprocess.run(["shellcheck", "-x", "-S", "warning", script],
                       capture_output=True, text=True, cwd=os.path.dirname(script))
    assert p.returncode == 0, p.stdout
