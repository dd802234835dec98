"""L2 entries and exits, without an L1 kernel: the L2 counters of the L1's
VPA, interrupts the L1 asks the L0 to deliver (DPDES, LPCR[MER]), the
exit path.  qtest plays the L1 (registers its VPA, creates an L2, sets its
state, makes H_GUEST_RUN_VCPU), QMP lets the vCPU run until the L2 exits
(its HDEC expiry is in the past, so it exits at once, unless a test says
otherwise) and the L1 resumes, where it spins on `b .`; then the VPA and
the L2 state are read back."""
import struct
import time


from qemu10lib import *  # noqa: F403

VPA = 0x2000000        # the L1's own VPA (1 KiB)
ROOT = 0x2010000       # L2 partition-scoped radix root, 64 KiB, all invalid
PROCTBL = 0x2020000
RUN_IN = 0x2030000
RUN_OUT = 0x2031000
L1_NIP = 0x100         # where the stopped vCPU resumes as the L1
B_DOT = bytes.fromhex("48000000")


def counters(l0):
    return [l0.read_u64(VPA + off) for off in
            (VPA_L1_TO_L2_CS_TB, VPA_L2_TO_L1_CS_TB, VPA_L2_RUNTIME_TB)]


def setup_l2(l0, enable=1, l2_state=()):
    l1 = NestedL1(l0)
    # the L1 spins where it resumes after each L2 exit
    l0.write(L1_NIP, B_DOT)
    # its VPA: size at 0x4, counters enabled at 0xBC
    l0.write(VPA, bytes(1024))
    l0.write(VPA + 4, struct.pack(">H", 1024))
    l0.write(VPA + VPA_L2_COUNTERS_ENABLE, bytes([enable]))
    assert l0.hcall(H_REGISTER_VPA, VPA_REGISTER, 0, VPA)[0] == H_SUCCESS
    assert l1.set_caps() == H_SUCCESS
    guest = l1.create_guest()
    assert l1.create_vcpu(guest, 0) == H_SUCCESS
    assert l1.set_state(guest, 0, gsb(
        element(GSID_PARTITION_TABLE, u64(ROOT) + u64(52) + u64(1 << 16)),
        element(GSID_PROCESS_TABLE, u64(PROCTBL) + u64(1 << 12))),
        flags=GUEST_WIDE) == H_SUCCESS
    assert l1.set_state(guest, 0, gsb(
        element(GSID_RUN_INPUT, u64(RUN_IN) + u64(0x1000)),
        element(GSID_RUN_OUTPUT, u64(RUN_OUT) + u64(0x1000)),
        element(GSID_VPA, u64(0x2040000)),
        element(GSID_NIA, u64(0)),
        element(GSID_MSR, u64(0x8000000000000000)),
        element(GSID_HDEC_EXPIRY_TB, u64(1)),
        *l2_state)) == H_SUCCESS
    l0.write(RUN_IN, u32(0))          # empty input buffer
    return l1, guest


def run_l2(l0, guest):
    """H_GUEST_RUN_VCPU, then let the vCPU run until the L1 is back."""
    l0.hcall(H_GUEST_RUN_VCPU, 0, guest, 0)
    l0.qmp_cmd("cont")
    # the L2 exits at once; give a loaded machine time to get there
    deadline = time.monotonic() + 30
    while True:
        time.sleep(0.05)
        regs = l0.registers()
        if regs.get("nip") == L1_NIP or time.monotonic() > deadline:
            break
    time.sleep(0.05)
    l0.qmp_cmd("stop")
    regs = l0.registers()
    assert regs.get("nip") == L1_NIP, regs
    assert regs.get("r3") == H_SUCCESS, regs
    return regs.get("r4")            # the exit reason


def test_counters_count_and_accumulate(l0):
    l1, guest = setup_l2(l0)
    assert counters(l0) == [0, 0, 0]
    reason = run_l2(l0, guest)
    assert reason in (0x980, 0xE00, 0xE20), hex(reason)
    first = counters(l0)
    assert all(c > 0 for c in first), first
    # switch costs are plausible: below 10 ms of 512 MHz timebase each
    assert first[0] < 5_120_000 and first[1] < 5_120_000, first
    run_l2(l0, guest)
    second = counters(l0)
    assert all(b > a for a, b in zip(first, second)), (first, second)
    # the L2's own VPA is not the L1's: nothing written there
    assert l0.read(0x2040000 + 0x1A0, 24) == bytes(24)


def test_counters_untouched_when_disabled(l0):
    l1, guest = setup_l2(l0, enable=0)
    run_l2(l0, guest)
    assert counters(l0) == [0, 0, 0]


def test_output_buffer_and_spurr_survive_a_run(l0):
    l1, guest = setup_l2(l0, l2_state=(element(GSID_PURR, u64(0x1111)),
                                       element(GSID_SPURR, u64(0x5555))))
    reason = run_l2(l0, guest)
    # the output buffer holds the elements of the exit reason
    n = struct.unpack(">I", l0.read(RUN_OUT, 4))[0]
    assert n in (0, 3, 4, 5), n
    rc, vals = l1.get_state(guest, 0, [(GSID_SPURR, 8), (GSID_PURR, 8),
                                       (GSID_NIA, 8)])
    assert rc == H_SUCCESS
    # SPURR was restored from PURR before the fix
    assert vals[GSID_SPURR] != u64(0x1111), vals
    assert struct.unpack(">Q", vals[GSID_SPURR])[0] >= 0x5555
    assert reason is not None


# The L2 below runs in real mode with MSR[EE]=1, its DEC and HDEC far
# ahead, and no partition-scoped mapping: the first instruction fetch exits
# to the L1 (HISI, 0xE20) with NIA where the L2 was: 0 if nothing was
# delivered, or the vector of the interrupt it took first.
GSID_SRR1 = 0x1028
GSID_LPCR = 0x102C
GSID_DEC_EXPIRY_TB = 0x102A
GSID_DPDES = 0x1053
MSR_SF_EE = 0x8000000000008000
LPCR_MER = 0x800


def run_ee_l2(l0, *state):
    l1, guest = setup_l2(l0, l2_state=(
        element(GSID_MSR, u64(MSR_SF_EE)),
        element(GSID_HDEC_EXPIRY_TB, u64(0x40000000)),
        element(GSID_DEC_EXPIRY_TB, u64(0x40000000))) + state)
    assert run_l2(l0, guest) == 0xE20
    rc, vals = l1.get_state(guest, 0, [(GSID_NIA, 8), (GSID_SRR1, 8),
                                       (GSID_DPDES, 8)])
    assert rc == H_SUCCESS
    return {k: struct.unpack(">Q", v)[0] for k, v in vals.items()}


def test_l2_runs_undisturbed(l0):
    assert run_ee_l2(l0)[GSID_NIA] == 0


def test_dpdes_doorbell_reaches_the_l2(l0):
    """DPDES=1 from the L1 is a pending doorbell: the L2 takes it (0xA00)
    and it is consumed.  It was copied to an unused spr[] slot before."""
    regs = run_ee_l2(l0, element(GSID_DPDES, u64(1)))
    assert regs[GSID_NIA] == 0xA00, regs
    assert regs[GSID_SRR1] & 0x8000          # interrupted with EE on
    assert regs[GSID_DPDES] == 0


def test_lpcr_mer_external_reaches_the_l2(l0):
    """LPCR[MER] from the L1 makes the L2 take an external interrupt at
    0x500 in the L2 (not an exit to the L1)."""
    regs = run_ee_l2(l0, element(GSID_LPCR, u64(LPCR_MER)))
    assert regs[GSID_NIA] == 0x500, regs
    assert regs[GSID_SRR1] & 0x8000
