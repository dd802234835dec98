"""libvirt end to end: what ci/libvirt-e2e.sh (make e2e-virsh) recorded.

A private virtqemud of our libvirt 9.0 build, driven with virsh as an admin
would: define the emulated PowerVM domain of e2e/nestedv2-l1.xml (TCG
pseries, POWER10, <nested-papr state='on'/>), start it, let the L1 kernel run
its checks and power off, undefine.  One test per recorded result:

  virsh-e2e-ref   Debian's 6.12 L1 (upstream nestedv2)
  virsh-e2e-ours  Debian's 6.1 + our series
  virsh-e2e       bad input through the daemon (malformed XML, an invalid
                  attribute, a domain whose kernel does not exist) and the
                  cleanup: no daemon, QEMU process or domain state left
"""
import os
import re

import pytest

from nv2test import RESULTS, check_result, facts, tap_params

TARGET = "e2e-virsh"


@pytest.mark.parametrize("r", tap_params("virsh-e2e-ref", TARGET))
def test_virsh_e2e_ref(r):
    check_result(r)


@pytest.mark.parametrize("r", tap_params("virsh-e2e-ours", TARGET))
def test_virsh_e2e_ours(r):
    check_result(r)


@pytest.mark.parametrize("r", tap_params("virsh-e2e", TARGET))
def test_virsh_e2e_bad_input_and_cleanup(r):
    check_result(r)


def _cmdline(kernel):
    path = os.path.join(RESULTS, f"virsh-e2e-{kernel}.qemu-cmdline")
    if not os.path.exists(path):
        pytest.fail(f"{path} was not produced: run 'make {TARGET}'")
    return open(path, encoding="utf-8", errors="replace").read()


def test_ref_qemu_cmdline_from_libvirt():
    """The QEMU command line libvirt generated (from the domain log): our
    feature as cap-nested-papr=on on the pseries machine, TCG, POWER10, and
    the x-vof=on of <qemu:commandline> as a second -machine option."""
    text = _cmdline("ref")
    assert re.search(r"^-machine pseries-[0-9.]+,(\S+,)?cap-nested-papr=on\b", text, re.M), text
    assert re.search(r"^-machine x-vof=on\b", text, re.M), text
    assert re.search(r"^-accel tcg\b", text, re.M), text
    assert re.search(r"^-cpu POWER10\b", text, re.M), text
    assert "nv2.run=info" in text, text


def test_ref_creates_vm_and_runs_l2():
    """The L1 (6.12) booted by libvirt created a VM through the nested PAPR
    API and ran its L2."""
    f = facts("virsh-e2e-ref")
    assert f.get("kvm_create_vm") == "ok", f
    assert int(f.get("l2_hcall_roundtrips", 0)) == 200, f
    assert f.get("shutoff_reason") == "shutdown", f


def test_ours_creates_vm_and_runs_l2():
    """The same with our L1 (Debian's 6.1 + our nestedv2 series)."""
    f = facts("virsh-e2e-ours")
    assert f.get("kvm_create_vm") == "ok", f
    assert int(f.get("l2_hcall_roundtrips", 0)) == 200, f
    assert f.get("shutoff_reason") == "shutdown", f


def test_invalid_kernel_start_error_is_clear():
    """virsh start of a domain whose kernel does not exist: virsh's error
    names the domain and QEMU's reason (the missing file)."""
    path = os.path.join(RESULTS, "virsh-e2e.invalid-start.err")
    if not os.path.exists(path):
        pytest.fail(f"{path} was not produced: run 'make {TARGET}' (see virsh-e2e.tap)")
    text = open(path, encoding="utf-8").read()
    assert "error: Failed to start domain 'nv2-e2e-invalid'" in text, text
    assert "no-such-kernel/vmlinux: No such file or directory" in text, text


def test_e2e_fits_check_budget():
    """make check runs e2e-virsh on every check: daemon start to cleanup
    stays well under a minute per kernel."""
    f = facts("virsh-e2e")
    n = sum(os.path.exists(os.path.join(RESULTS, f"virsh-e2e-{k}.console"))
            for k in ("ref", "ours"))
    assert float(f["total_seconds"]) < 60 * max(n, 1), f
