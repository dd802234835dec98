"""L2 entries and exits, without an L1 kernel: the L2 counters of the L1's
VPA, interrupts the L1 asks the L0 to deliver (DPDES, LPCR[MER]), the
exit path.  qtest plays the L1 (registers its VPA, creates an L2, sets its
state); a small L1 program makes H_GUEST_RUN_VCPU with `sc 1` each time
the test asks for a run (the qtest hcall command refuses it: nothing would
run the vCPU in the L2), QMP lets the vCPU run until the L2 exits (its
HDEC expiry is in the past, so it exits at once, unless a test says
otherwise) and the L1 is back in its loop; then the VPA and the L2 state
are read back.  The later tests map the L2's memory (partition scope) and
run real L2 code: the time limit, the prefix bit, alignment, the C bit."""
import struct
import time


from qemu10lib import *  # noqa: F403

VPA = 0x2000000        # the L1's own VPA (1 KiB)
ROOT = 0x2010000       # L2 partition-scoped radix root, 64 KiB, all invalid
PROCTBL = 0x2020000
RUN_IN = 0x2030000
RUN_OUT = 0x2031000
L1_NIP = 0x100         # where the vCPU starts: the L1 program below
B_DOT = bytes.fromhex("48000000")
# The L1 program's mailbox (real addresses < 32 KiB: `ld rX,slot(0)`)
SLOT_GUEST, SLOT_GO, SLOT_DONE, SLOT_RC, SLOT_REASON = (
    0x7000, 0x7008, 0x7010, 0x7018, 0x7020)


def words(*insns):
    return b"".join(struct.pack(">I", i & 0xFFFFFFFF) for i in insns)


def l1_program():
    """r14 counts the runs done; whenever GO differs, H_GUEST_RUN_VCPU(0,
    GUEST, 0), store r3 (rc) and r4 (the exit reason) and count.  (r14 and
    r15: the qtest hcall command sets r3-r12 of this vCPU.)"""
    def ld(rt, ds):
        return 0xE8000000 | rt << 21 | ds

    def std(rs, ds):
        return 0xF8000000 | rs << 21 | ds

    def li(rt, v):
        return 0x38000000 | rt << 21 | (v & 0xFFFF)
    prog = [li(14, 0),
            ld(15, SLOT_GO),                # loop:
            0x7C2F7000,                     # cmpd r15,r14
            0x4182FFF8,                     # beq loop
            ld(5, SLOT_GUEST),
            li(3, H_GUEST_RUN_VCPU),
            li(4, 0),
            li(6, 0),
            0x44000022,                     # sc 1
            std(3, SLOT_RC),
            std(4, SLOT_REASON),
            0x39CE0001,                     # addi r14,r14,1
            std(14, SLOT_DONE)]
    prog.append(0x48000000 | ((4 - 4 * len(prog)) & 0x3FFFFFC))  # b loop
    return words(*prog)


def counters(l0):
    return [l0.read_u64(VPA + off) for off in
            (VPA_L1_TO_L2_CS_TB, VPA_L2_TO_L1_CS_TB, VPA_L2_RUNTIME_TB)]


def setup_l2(l0, enable=1, l2_state=()):
    l1 = NestedL1(l0)
    # the L1: waits for a run request, makes H_GUEST_RUN_VCPU, loops
    l0.write(L1_NIP, l1_program())
    l0.write(SLOT_GUEST, bytes(0x28))   # (firmware was loaded there)
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


def run_l2(l0, guest, timeout=30):
    """One H_GUEST_RUN_VCPU by the L1 program, the vCPU running until the
    L1 is back in its loop.  -> the exit reason."""
    runs = l0.read_u64(SLOT_DONE) + 1
    l0.write(SLOT_GUEST, u64(guest))
    l0.write(SLOT_GO, u64(runs))
    l0.qmp_cmd("cont")
    # the L2 exits at once; give a loaded machine time to get there
    deadline = time.monotonic() + timeout
    while l0.read_u64(SLOT_DONE) != runs and time.monotonic() < deadline:
        time.sleep(0.05)
    l0.qmp_cmd("stop")
    done = l0.read_u64(SLOT_DONE)
    assert done == runs, (f"H_GUEST_RUN_VCPU did not return to the L1 "
                          f"within {timeout} s: {l0.registers()}")
    assert l0.read_u64(SLOT_RC) == H_SUCCESS
    return l0.read_u64(SLOT_REASON)


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


# ---- L2 code in mapped memory ------------------------------------------
# The L2's first GiB is mapped onto the L1's (identity: L2 real address =
# L1 real address) by one 1 GiB partition-scoped leaf, so L2 code and
# vectors are written at their own addresses.  The L2 runs big-endian in
# real mode.  An illegal instruction (word 0) ends a run with an emulation
# assist (0xE40) at a known NIA.
L1DIR = 0x2050000
L2_CODE = 0x8000
L2_DATA = 0x1000
PTE_LEAF = 0xC000000000000000          # valid, leaf
PTE_R, PTE_C, PTE_RWX = 0x100, 0x80, 0x7
ILLEGAL = 0x00000000
GSID_SRR0 = 0x1027
GSID_DAR = 0x1029
GSID_HDSISR = 0xF001
GSID_HEIR = 0xF002
SRR1_PREFIXED = 0x20000000             # SRR1 bit 34
DSISR_ATOMIC_RC = 0x00040000


def map_l2(l0, pte_bits=PTE_R | PTE_C | PTE_RWX):
    l0.write(ROOT, u64(0x8000000000000000 | L1DIR | 9))
    l0.write(L1DIR, u64(PTE_LEAF | pte_bits))


def l2_with_code(l0, code, *state):
    l0.write(L2_CODE, code)
    l1, guest = setup_l2(l0, l2_state=(element(GSID_NIA, u64(L2_CODE)),)
                         + state)
    return l1, guest


def run_output(l0):
    """The elements of the H_GUEST_RUN_VCPU output buffer -> {id: int}."""
    n = struct.unpack(">I", l0.read(RUN_OUT, 4))[0]
    raw = l0.read(RUN_OUT + 4, 0x400)
    out, off = {}, 0
    for _ in range(n):
        gsid, size = struct.unpack(">HH", raw[off:off + 4])
        out[gsid] = int.from_bytes(raw[off + 4:off + 4 + size], "big")
        off += 4 + size
    return out


def test_time_limit_already_passed_ends_the_run(l0):
    """The L1 asks for a time limit that has passed (HDEC expiry 1) and
    the L2 spins on `b .`: the run must end at once with HDEC (0x980),
    every time.  QEMU's HDEC is edge-triggered and a negative HDEC stored
    over the stale negative one raised nothing: the L2 ran on and the L1
    never got its CPU back (SMP L2 starts stalled the L1; patch 0016)."""
    l1, guest = l2_with_code(l0, B_DOT)
    map_l2(l0)
    for _ in range(3):
        assert run_l2(l0, guest, timeout=10) == 0x980
        assert run_output(l0).get(GSID_NIA, L2_CODE) == L2_CODE


FAR = (element(GSID_HDEC_EXPIRY_TB, u64(1 << 40)),)   # no HDEC exit


def test_prefixed_illegal_instruction_keeps_srr1_34(l0):
    """An illegal prefixed instruction (MLS prefix, suffix word 0) exits
    with an emulation assist whose MSR has bit 34 (prefixed) set, as HSRR1
    has: the L1 passes it on in the program interrupt it reflects.  The
    L0 masked it away with the MSR mask (patch 0017)."""
    l1, guest = l2_with_code(l0, words(0x06000000, ILLEGAL, ILLEGAL), *FAR)
    map_l2(l0)
    assert run_l2(l0, guest) == 0xE40
    out = run_output(l0)
    assert out[GSID_NIA] == L2_CODE, out
    assert out[GSID_HEIR] == 0x0600000000000000, hex(out[GSID_HEIR])
    assert out[GSID_MSR] & SRR1_PREFIXED, hex(out[GSID_MSR])
    # a word instruction has it clear
    l0.write(L2_CODE, words(ILLEGAL))
    assert run_l2(l0, guest) == 0xE40
    out = run_output(l0)
    assert out[GSID_NIA] == L2_CODE and not out[GSID_MSR] & SRR1_PREFIXED, out
    # the L1 gives the MSR with bit 34 back: the run still works
    rc, vals = l1.get_state(guest, 0, [(GSID_MSR, 8)])
    assert rc == H_SUCCESS
    msr = struct.unpack(">Q", vals[GSID_MSR])[0]
    assert l1.set_state(guest, 0, gsb(
        element(GSID_MSR, u64(msr | SRR1_PREFIXED)),
        element(GSID_NIA, u64(L2_CODE)))) == H_SUCCESS
    assert run_l2(l0, guest) == 0xE40


def test_hcall_exit_msr_has_no_srr1_lev(l0):
    """An hcall (sc 1) exits through SRR1, where ISA 3.1 puts LEV (bits
    42:43): the MSR reported is the MSR bits only (KVM_GET_REGS in the L1
    shows it)."""
    l1, guest = l2_with_code(l0, words(0x44000022, ILLEGAL), *FAR)
    map_l2(l0)
    assert run_l2(l0, guest) == 0xC00
    out = run_output(l0)
    rc, vals = l1.get_state(guest, 0, [(GSID_MSR, 8)])
    assert rc == H_SUCCESS
    msr = struct.unpack(">Q", vals[GSID_MSR])[0]
    assert msr == 0x8000000000000000, (hex(msr), out)


def test_unaligned_stwcx_takes_the_alignment_interrupt(l0):
    """stwcx. to an address that is not a multiple of 4, with no
    reservation: an alignment interrupt in the L2 (0x600, SRR0 at the
    stwcx., DAR the address).  TCG let it fail with CR0[EQ]=0 and went on
    (patch 0018).  The L2's 0x600 vector holds an illegal instruction, so
    the run ends there."""
    l0.write(0x600, words(ILLEGAL))
    l1, guest = l2_with_code(l0, words(
        0x38C00000 | (L2_DATA + 1),    # li r6,L2_DATA+1
        0x7CA0312D,                    # stwcx. r5,0,r6
        ILLEGAL), *FAR)
    map_l2(l0)
    assert run_l2(l0, guest) == 0xE40
    out = run_output(l0)
    rc, vals = l1.get_state(guest, 0, [(GSID_SRR0, 8), (GSID_DAR, 8)])
    assert rc == H_SUCCESS
    srr0, dar = (struct.unpack(">Q", vals[i])[0] for i in (GSID_SRR0, GSID_DAR))
    assert out[GSID_NIA] == 0x600, (
        f"no alignment interrupt: the L2 went on to {out[GSID_NIA]:#x}")
    assert srr0 == L2_CODE + 4 and dar == L2_DATA + 1, (hex(srr0), hex(dar))


def test_store_after_load_sets_the_c_bit(l0):
    """The L2's memory is mapped with C (changed) clear.  A load from a
    page, then a store to it: the store must exit with an HDSI whose
    HDSISR says R/C (so that the L1 sets C, which is how KVM's dirty log
    sees the page).  The load filled the TLB with write permission and
    the store went through unseen (patch 0019)."""
    l1, guest = l2_with_code(l0, words(
        0x38C00000 | L2_DATA,          # li r6,L2_DATA
        0xE8E60000,                    # ld r7,0(r6)
        0xF8E60000,                    # std r7,0(r6)
        ILLEGAL), *FAR)
    map_l2(l0, PTE_R | PTE_RWX)
    reason = run_l2(l0, guest)
    out = run_output(l0)
    assert reason == 0xE00, (
        f"exit {reason:#x} at {out.get(GSID_NIA, 0):#x}: the store did "
        "not fault")
    assert out[GSID_NIA] == L2_CODE + 8, out
    assert out[GSID_HDSISR] & DSISR_ATOMIC_RC, hex(out[GSID_HDSISR])
    # the L1 sets C and resumes: the store goes through, the run ends at
    # the illegal word after it
    map_l2(l0)
    assert run_l2(l0, guest) == 0xE40
    assert run_output(l0)[GSID_NIA] == L2_CODE + 12
