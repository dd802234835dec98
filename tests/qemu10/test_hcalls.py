"""Nested PAPR hcalls made directly through qtest: the L0 bug fixes and the
handling of malformed input from the L1.  Each test starts its own L0 and
checks at the end that it is still alive and still answers."""
import struct

import pytest

from qemu10lib import *  # noqa: F403 (constants and helpers)

BUF = 0x1000000


@pytest.fixture
def l1(l0):
    n = NestedL1(l0)
    assert n.set_caps() == H_SUCCESS
    return n


def still_works(l1):
    """After a rejected call the L0 still creates guests."""
    guest = l1.create_guest()
    assert l1.create_vcpu(guest, 0) == H_SUCCESS
    return guest


# ---------------------------------------------------------------- qtest hcall
@pytest.mark.parametrize("opcode,name", [(H_GUEST_RUN_VCPU, "H_GUEST_RUN_VCPU"),
                                         (0xF804, "H_ENTER_NESTED")])
def test_qtest_refuses_to_enter_an_l2(l1, opcode, name):
    """Entering an L2 from the qtest command would leave the vCPU in L2
    context with nothing running it: refused with a clear error, and
    nothing changed (the guest still runs from guest code, test_l2_runs)."""
    guest = still_works(l1)
    with pytest.raises(AssertionError) as e:
        l1.l0.hcall(opcode, 0, guest, 0)
    msg = str(e.value)
    assert "FAIL" in msg and name in msg and "guest code" in msg, msg
    # the vCPU is still the L1's: other hcalls work
    assert l1.create_vcpu(guest, 1) == H_SUCCESS


# ---------------------------------------------------------------- capabilities
def test_get_capabilities_offers_p10(l0):
    rc, out = l0.hcall(H_GUEST_GET_CAPABILITIES, 0)
    assert rc == H_SUCCESS
    assert out[0] & CAP_P10


def test_set_capabilities_again(l0):
    l1 = NestedL1(l0)
    assert l1.set_caps(CAP_P10) == H_SUCCESS
    # kvm_hv reloaded in the L1: negotiates again (was H_STATE)
    assert l1.set_caps(CAP_P10) == H_SUCCESS
    assert l1.set_caps(CAP_P9) == H_SUCCESS
    guest = l1.create_guest()
    # the same capabilities with live guests: fine; other modes: H_STATE
    assert l1.set_caps(CAP_P9) == H_SUCCESS
    assert l1.set_caps(CAP_P10) == H_STATE
    assert l0.hcall(H_GUEST_DELETE, 0, guest)[0] == H_SUCCESS
    assert l1.set_caps(CAP_P10) == H_SUCCESS


def test_create_needs_capabilities(l0):
    assert l0.hcall(H_GUEST_CREATE, 0, -1)[0] == H_STATE


# ---------------------------------------------------------------- vCPU ids
def test_create_vcpu_any_order(l1):
    guest = l1.create_guest()
    assert l1.create_vcpu(guest, 3) == H_SUCCESS   # asserted before
    assert l1.create_vcpu(guest, 0) == H_SUCCESS
    assert l1.create_vcpu(guest, 3) == H_IN_USE
    assert l1.create_vcpu(guest, 2048) == H_P3
    assert l1.create_vcpu(guest, -1) == H_P3
    assert l1.create_vcpu(guest, 2047) == H_SUCCESS
    # vCPU 1 was never created: thread-wide state for it is refused
    assert l1.set_state(guest, 1, gsb(element(GSID_GPR3, u64(1)))) == H_P3
    assert l1.set_state(guest, 3, gsb(element(GSID_GPR3, u64(7)))) == H_SUCCESS
    rc, vals = l1.get_state(guest, 3, [(GSID_GPR3, 8)])
    assert rc == H_SUCCESS and vals[GSID_GPR3] == u64(7)


def test_new_vcpu_sees_guest_wide_tb_offset(l1):
    guest = l1.create_guest()
    assert l1.set_state(guest, 0, gsb(element(GSID_TB_OFFSET, u64(0x1000))),
                        flags=GUEST_WIDE) == H_SUCCESS
    rc, vals = l1.get_state(guest, 0, [(GSID_TB_OFFSET, 8)], flags=GUEST_WIDE)
    assert rc == H_SUCCESS and vals[GSID_TB_OFFSET] == u64(0x1000)
    assert l1.create_vcpu(guest, 5) == H_SUCCESS


# ---------------------------------------------------------------- delete
def test_delete_all_then_create(l1):
    g1 = l1.create_guest()
    l1.create_guest()
    assert l1.l0.hcall(H_GUEST_DELETE, DELETE_ALL, 0)[0] == H_SUCCESS
    assert l1.l0.hcall(H_GUEST_DELETE, 0, g1)[0] == H_P2
    # the table used to be freed and then used
    for _ in range(3):
        guest = still_works(l1)
    assert guest == 3
    assert l1.l0.hcall(H_GUEST_DELETE, DELETE_ALL, 0)[0] == H_SUCCESS


def test_delete_before_any_guest(l0):
    assert l0.hcall(H_GUEST_DELETE, 0, 1)[0] == H_P2
    assert l0.hcall(H_GUEST_DELETE, DELETE_ALL, 0)[0] == H_SUCCESS
    assert l0.hcall(H_GUEST_DELETE, 1, 0)[0] == -256   # H_UNSUPPORTED_FLAG


# ---------------------------------------------------------------- info nested-papr
def nested_papr(l0):
    """The L0's `info nested-papr` (patch 0020) -> (text, {guests, vcpus})."""
    import harness
    text = l0.qmp_cmd("human-monitor-command", **{"command-line": "info nested-papr"})
    return text, harness.parse_nested_papr(text)


def test_info_nested_papr_counts_guests_and_vcpus(l0):
    text, n = nested_papr(l0)
    assert n == {"guests": 0, "vcpus": 0}, text
    l1 = NestedL1(l0)
    assert l1.set_caps() == H_SUCCESS
    g1 = l1.create_guest()
    g2 = l1.create_guest()
    for v in (0, 1, 3):
        assert l1.create_vcpu(g1, v) == H_SUCCESS
    assert l1.create_vcpu(g2, 0) == H_SUCCESS
    text, n = nested_papr(l0)
    # vCPU 2 of g1 was never created: 3 + 1 enabled vCPUs
    assert n == {"guests": 2, "vcpus": 4}, text
    assert "api: papr" in text
    assert f"guest {g1}: vcpus 3" in text and f"guest {g2}: vcpus 1" in text, text
    assert l0.hcall(H_GUEST_DELETE, 0, g1)[0] == H_SUCCESS
    assert nested_papr(l0)[1] == {"guests": 1, "vcpus": 1}
    assert l0.hcall(H_GUEST_DELETE, DELETE_ALL, 0)[0] == H_SUCCESS
    assert nested_papr(l0)[1] == {"guests": 0, "vcpus": 0}


# ---------------------------------------------------------------- malformed
@pytest.mark.parametrize("length", [0, 2, 3, 1024 * 1024 + 1, 2**63])
def test_bad_buffer_length(l1, length):
    guest = still_works(l1)
    buf = gsb(element(GSID_GPR3, u64(1)))
    assert l1.set_state(guest, 0, buf, length=length) == H_P5
    l1.l0.write(BUF, buf)
    assert l1.l0.hcall(H_GUEST_GET_STATE, 0, guest, 0, BUF, length)[0] == H_P5
    still_works(l1)


@pytest.mark.parametrize("name, buf", [
    # more elements than the buffer holds
    ("count past the end", gsb(element(GSID_GPR3, u64(1)), count=5)),
    ("count huge", gsb(count=0xFFFFFFFF)),
    # a value running past the end of the buffer
    ("value past the end", gsb(element(GSID_GPR3, u64(1)))[:-3]),
    ("header cut", gsb(element(GSID_GPR3, u64(1)))[:6]),
    ("size field lies", struct.pack(">IHH", 1, GSID_GPR3, 0xFFFF) + u64(1)),
    ("unknown element", gsb(element(0x0BFF, u64(1)))),
    ("wrong size", gsb(element(GSID_GPR3, u32(1)))),
    ("guest wide in thread request", gsb(element(GSID_TB_OFFSET, u64(1)))),
    ("read only element", gsb(element(GSID_RUN_OUTPUT_MIN_SIZE, u64(1)))),
])
def test_malformed_buffer_is_h_p3(l1, name, buf):
    guest = still_works(l1)
    assert l1.set_state(guest, 0, gsb(element(GSID_GPR3, u64(0x1234)))) \
        == H_SUCCESS
    # pad with garbage after the declared length: must not be read
    l1.l0.write(BUF + len(buf), b"\x10\x03\x00\x08" * 8)
    assert l1.set_state(guest, 0, buf) == H_P3, name
    rc, vals = l1.get_state(guest, 0, [(GSID_GPR3, 8)])
    assert rc == H_SUCCESS and vals[GSID_GPR3] == u64(0x1234), \
        "a rejected buffer changed the state"
    still_works(l1)


def test_get_state_of_missing_vcpu(l1):
    guest = l1.create_guest()
    rc, _ = l1.get_state(guest, 9, [(GSID_GPR3, 8)])
    assert rc == H_P3
    rc, _ = l1.get_state(99, 0, [(GSID_GPR3, 8)])
    assert rc == H_P2


def test_guest_wide_out_min_size_without_vcpu(l1):
    guest = l1.create_guest()        # no vCPU at all
    rc, vals = l1.get_state(guest, 12345, [(GSID_RUN_OUTPUT_MIN_SIZE, 8)],
                            flags=GUEST_WIDE)
    assert rc == H_SUCCESS and vals[GSID_RUN_OUTPUT_MIN_SIZE] == u64(0x80)


@pytest.mark.parametrize("opcode", [H_GUEST_SET_STATE, H_GUEST_GET_STATE])
@pytest.mark.parametrize("addr", [0x7FFF00000000, 2**64 - 8, 0x1FFFFFF8])
def test_buffer_outside_ram(l1, opcode, addr):
    # 0x1FFFFFF8: starts in the 512 MiB of RAM, ends beyond it
    guest = still_works(l1)
    assert l1.l0.hcall(opcode, 0, guest, 0, addr, 16)[0] == H_P4
    still_works(l1)


PT_OK = u64(0x2000000) + u64(52) + u64(1 << 16)
PROC_OK = u64(0x2100000) + u64(1 << 12)


@pytest.mark.parametrize("gsid, value", [
    (GSID_PARTITION_TABLE, u64(0x2000000) + u64(40) + u64(1 << 16)),
    (GSID_PARTITION_TABLE, u64(0x2000000) + u64(52) + u64(12345)),
    (GSID_PARTITION_TABLE, u64(0x2000000) + u64(52) + u64(0)),
    (GSID_PARTITION_TABLE, u64(0x2000100) + u64(52) + u64(1 << 16)),
    (GSID_PARTITION_TABLE, u64(1 << 63) + u64(52) + u64(1 << 16)),
    (GSID_PROCESS_TABLE, u64(0x2100000) + u64(12345)),
    (GSID_PROCESS_TABLE, u64(0x2100000) + u64(1 << 40)),
    (GSID_PROCESS_TABLE, u64(0x2100800) + u64(1 << 12)),
])
def test_bad_table_values(l1, gsid, value):
    guest = still_works(l1)
    good = gsb(element(GSID_PARTITION_TABLE, PT_OK),
               element(GSID_PROCESS_TABLE, PROC_OK))
    assert l1.set_state(guest, 0, good, flags=GUEST_WIDE) == H_SUCCESS
    assert l1.set_state(guest, 0, gsb(element(gsid, value)),
                        flags=GUEST_WIDE) == H_INVALID_ELEMENT_VALUE
    # unchanged, and readable (get asserted before)
    rc, vals = l1.get_state(guest, 0, [(GSID_PARTITION_TABLE, 24),
                                       (GSID_PROCESS_TABLE, 16)],
                            flags=GUEST_WIDE)
    assert rc == H_SUCCESS
    assert vals[GSID_PARTITION_TABLE] == PT_OK
    assert vals[GSID_PROCESS_TABLE] == PROC_OK


@pytest.mark.parametrize("gsid, value", [
    (GSID_RUN_INPUT, u64(0) + u64(0x1000)),
    (GSID_RUN_INPUT, u64(0x3000000) + u64(0x10)),
    (GSID_RUN_OUTPUT, u64(0x3000000) + u64(16385)),
    (GSID_VPA, u64(0x3000010)),              # not cache line aligned
    (GSID_VPA, u64(0x3000F80)),              # crosses a 4K page
])
def test_bad_vcpu_values(l1, gsid, value):
    guest = still_works(l1)
    # the good first element must not be applied either
    buf = gsb(element(GSID_GPR3, u64(0x55)), element(gsid, value))
    assert l1.set_state(guest, 0, buf) == H_INVALID_ELEMENT_VALUE
    rc, vals = l1.get_state(guest, 0, [(GSID_GPR3, 8)])
    assert rc == H_SUCCESS and vals[GSID_GPR3] == u64(0)


def test_run_buffers_read_back(l1):
    guest = still_works(l1)
    buf = gsb(element(GSID_RUN_INPUT, u64(0x3000000) + u64(0x1000)),
              element(GSID_RUN_OUTPUT, u64(0x3001000) + u64(0x80)))
    assert l1.set_state(guest, 0, buf) == H_SUCCESS
    rc, vals = l1.get_state(guest, 0, [(GSID_RUN_INPUT, 16),
                                       (GSID_RUN_OUTPUT, 16)])
    assert rc == H_SUCCESS
    assert vals[GSID_RUN_INPUT] == u64(0x3000000) + u64(0x1000)
    assert vals[GSID_RUN_OUTPUT] == u64(0x3001000) + u64(0x80)


@pytest.mark.parametrize("gsid,size", [(0x103E, 8), (0x1041, 8), (0x1042, 8), (0x200D, 4)],
                         ids=["MMCR3", "SIER2", "SIER3", "WORT"])
def test_pmu_registers_read_back(l1, gsid, size):
    """Patch 0022: these were NOP elements, SET dropped the value and GET
    gave 0 (found by the round trip check of tests/fuzz/l0/fuzz_l0.py)."""
    guest = still_works(l1)
    value = bytes(range(0xA1, 0xA1 + size))
    assert l1.set_state(guest, 0, gsb(element(gsid, value))) == H_SUCCESS
    rc, vals = l1.get_state(guest, 0, [(gsid, size)])
    assert rc == H_SUCCESS
    assert vals[gsid] == value


# ---------------------------------------------------------------- L2 VPA
def test_l2_vpa_element(l1):
    guest = still_works(l1)
    # was: H_P3, "couldn't register the L2 VPA (rc=-56)" in the L1
    assert l1.set_state(guest, 0, gsb(element(GSID_VPA, u64(0x3000400)))) \
        == H_SUCCESS
    rc, vals = l1.get_state(guest, 0, [(GSID_VPA, 8)])
    assert rc == H_SUCCESS and vals[GSID_VPA] == u64(0x3000400)
    # deregistration as Linux does it
    assert l1.set_state(guest, 0, gsb(element(GSID_VPA, u64(2**64 - 1)))) \
        == H_SUCCESS
    rc, vals = l1.get_state(guest, 0, [(GSID_VPA, 8)])
    assert vals[GSID_VPA] == u64(2**64 - 1)
    # thread wide only
    assert l1.set_state(guest, 0, gsb(element(GSID_VPA, u64(0x3000400))),
                        flags=GUEST_WIDE) == H_P3
