"""The L0 binary: built from this series, the pseries knobs, firmware."""
import os
import subprocess

import pytest

from qemu10lib import (L0_PATH, NestedL1, H_GUEST_CREATE, H_NO_MEM, H_PARAMETER,
                       H_SUCCESS, summary)
import qemu10lib
from test_series import series_id


def run(*args, timeout=60):
    return subprocess.run([L0_PATH] + list(args), capture_output=True, text=True,
                          timeout=timeout)


def test_binary_exists_and_is_this_series():
    s = summary()
    assert s.get("build") == "ok", f"make qemu-l0 did not build: {s}"
    assert os.access(L0_PATH, os.X_OK), L0_PATH
    assert s.get("build_series") == series_id(), \
        "binary built from another series: run make qemu-l0"


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert "10.0.2" in r.stdout


def test_machine_help_lists_nested_papr_and_fault_knob():
    r = run("-M", "pseries,help")
    assert r.returncode == 0, r.stderr
    assert "cap-nested-papr=" in r.stdout
    assert "x-nested-papr-fault=" in r.stdout


@pytest.mark.parametrize("spec, msg", [
    ("create", "expected HCALL:N:RC"),
    ("create:1", "expected HCALL:N:RC"),
    ("create:1:2:3:4", "expected HCALL:N:RC"),
    ("create:1:H_BUSY:0", "TIMES must be a number >= 1, not '0'"),
    ("create:1:H_BUSY:x", "TIMES must be a number >= 1, not 'x'"),
    ("run-vcpu:1:out-garbage:2", "'out-garbage' happens once, TIMES must be 1"),
    ("create:1:out-truncated", "'out-truncated' is for H_GUEST_RUN_VCPU"),
    ("bogus:1:-4", "unknown hcall 'bogus'"),
    ("0x999:1:-4", "unknown hcall '0x999'"),
    ("create:0:-4", "N must be a number >= 1"),
    ("create:x:-4", "N must be a number >= 1"),
    ("create:1:H_NONSENSE", "bad return code 'H_NONSENSE'"),
])
def test_fault_knob_rejects_bad_values(spec, msg):
    r = run("-M", f"pseries,cap-nested-papr=on,x-nested-papr-fault={spec}",
            "-accel", "tcg", "-nodefaults", "-display", "none", "-S")
    assert r.returncode != 0
    assert msg in r.stderr, r.stderr
    assert "x-nested-papr-fault" in r.stderr


def test_fault_knob_fires_once_and_logs():
    l0 = qemu10lib.L0(",x-nested-papr-fault=create:2:H_NO_MEM")
    try:
        l1 = NestedL1(l0)
        assert l1.set_caps() == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_NO_MEM
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
        err = l0.stderr()
        assert "x-nested-papr-fault=create:2:H_NO_MEM: failing " \
               "H_GUEST_CREATE call 2 with rc -9" in err, err
        assert err.count("x-nested-papr-fault") == 1
    finally:
        l0.close()


def test_fault_knob_any_hcall_numeric():
    # any:3 counts every H_GUEST_* hcall: set caps (1), create (2), create (3)
    l0 = qemu10lib.L0(",x-nested-papr-fault=any:3:-4")
    try:
        l1 = NestedL1(l0)
        assert l1.set_caps() == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_PARAMETER
        assert "failing H_GUEST_CREATE call 3 with rc -4" in l0.stderr()
    finally:
        l0.close()


@pytest.mark.parametrize("code, rc", [
    ("H_BUSY", 1),
    ("H_LONG_BUSY_ORDER_1_MSEC", 9900),
    ("H_LONG_BUSY_ORDER_100_SEC", 9905),
])
def test_fault_knob_stays_busy_times_then_behaves(code, rc):
    """HCALL:N:RC:TIMES (QEMU patch 0034): calls N to N+TIMES-1 fail with
    RC (the long busy codes by their PAPR names), then calls go through;
    one log line for the run."""
    l0 = qemu10lib.L0(f",x-nested-papr-fault=create:2:{code}:5")
    try:
        l1 = NestedL1(l0)
        assert l1.set_caps() == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
        token = -1
        for _ in range(5):
            r = l0.hcall(H_GUEST_CREATE, 0, token)
            assert r[0] == rc
            # a busy create hands out a continuation token (R4) ...
            assert r[1][0] not in (0, 2**64 - 1), r
            token = r[1][0]
        # ... which the next attempt passes instead of -1
        assert l0.hcall(H_GUEST_CREATE, 0, token)[0] == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
        err = l0.stderr()
        assert f"x-nested-papr-fault=create:2:{code}:5: failing H_GUEST_CREATE " \
               f"calls 2 to 6 with rc {rc}" in err, err
        assert err.count("x-nested-papr-fault") == 1
    finally:
        l0.close()


def test_fault_knob_run_output_modes_accepted():
    """out-truncated, out-count and out-garbage (QEMU patch 0033) are
    run-vcpu modes; the L2 suite's runout-* cases use them (an
    H_GUEST_RUN_VCPU cannot be made from qtest)."""
    for mode in ("out-truncated", "out-count", "out-garbage"):
        l0 = qemu10lib.L0(f",x-nested-papr-fault=run-vcpu:1:{mode}")
        try:
            l1 = NestedL1(l0)
            assert l1.set_caps() == H_SUCCESS, mode
            assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS, mode
        finally:
            l0.close()


def test_firmware_for_x_vof_is_found():
    """Debian's +ds source has no vof.bin: ci/qemu10.sh links Debian's
    (qemu-system-data) into the build tree's qemu-bundle."""
    vof = os.path.join(os.path.dirname(L0_PATH), "qemu-bundle", "usr", "share",
                       "qemu", "vof.bin")
    assert os.path.exists(vof), vof


def test_fault_knob_set_at_run_time():
    """qom-set arms the knob on a running machine and restarts the count;
    a bad value is refused there too, and "" disarms it."""
    l0 = qemu10lib.L0()
    try:
        l1 = NestedL1(l0)
        assert l1.set_caps() == H_SUCCESS
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
        l0.qmp_cmd("qom-set", path="/machine",
                   property="x-nested-papr-fault", value="create:1:H_STATE")
        assert l0.qmp_cmd("qom-get", path="/machine",
                          property="x-nested-papr-fault") == "create:1:H_STATE"
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == -75
        with pytest.raises(AssertionError, match="expected HCALL:N:RC"):
            l0.qmp_cmd("qom-set", path="/machine",
                       property="x-nested-papr-fault", value="nope")
        l0.qmp_cmd("qom-set", path="/machine",
                   property="x-nested-papr-fault", value="any:1:-4")
        l0.qmp_cmd("qom-set", path="/machine",
                   property="x-nested-papr-fault", value="")
        assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_SUCCESS
    finally:
        l0.close()
