"""An independent writer/reader of the nvlat capture format (docs/reporter.md).

Written from the documented format, not from the C code, so the tests also
check that the documentation is true.  Also writes the equivalent
`perf script` text, and the deterministic sample data set the golden files
were made from.
"""
import struct
import zlib

MAGIC = b"NVLATCAP"
MARK = 0x766E
EVENT, TASK, LOST, INFO = 1, 2, 3, 4
EXIT, HCALL = 5, 6       # --by-exit: kvm_guest_exit, kvm_hcall_enter


def record(rtype, payload):
    body = struct.pack("<HHI", MARK, rtype, 8 + len(payload) + 4) + payload
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def header():
    return MAGIC + struct.pack("<HHI", 1, 16, 0)


def event(t_ns, pid, tid, cpu, vcpu, l1l2, l2l1, run):
    return record(EVENT, struct.pack("<QIIIiQQQ", t_ns, pid, tid, cpu, vcpu,
                                     l1l2, l2l1, run))


def exit_event(t_ns, pid, tid, cpu, vcpu, trap, ceded=0, pc=0):
    return record(EXIT, struct.pack("<QIIIiQQQ", t_ns, pid, tid, cpu, vcpu,
                                    trap, ceded, pc))


def hcall_event(t_ns, pid, tid, cpu, vcpu, req, gpr4=0, gpr5=0):
    return record(HCALL, struct.pack("<QIIIiQQQ", t_ns, pid, tid, cpu, vcpu,
                                     req, gpr4, gpr5))


def task(pid, tid, thread, vm):
    return record(TASK, struct.pack("<II", pid, tid) + thread.encode() +
                  b"\0" + vm.encode() + b"\0")


def lost(t_ns, count):
    return record(LOST, struct.pack("<QQ", t_ns, count))


def info(key, value):
    return record(INFO, f"{key}={value}".encode() + b"\0")


def parse(data):
    """Yield (offset, type, payload) for a well-formed capture."""
    assert data[:8] == MAGIC
    off = struct.unpack_from("<H", data, 10)[0]
    while off < len(data):
        mark, rtype, length = struct.unpack_from("<HHI", data, off)
        assert mark == MARK
        crc = struct.unpack_from("<I", data, off + length - 4)[0]
        assert crc == zlib.crc32(data[off:off + length - 4]) & 0xFFFFFFFF
        yield off, rtype, data[off + 8:off + length - 4]
        off += length


def perf_script_line(comm, pid, tid, cpu, t_ns, vcpu, l1l2, l2l1, run,
                     raw_fields=False):
    ts = f"{t_ns // 1_000_000_000}.{(t_ns % 1_000_000_000) // 1000:06d}"
    if raw_fields:
        text = (f"vcpu_id={vcpu} l1_to_l2_cs={l1l2} l2_to_l1_cs={l2l1} "
                f"l2_runtime={run}")
    else:
        text = (f"VCPU {vcpu}: l1_to_l2_cs_time={l1l2} ns "
                f"l2_to_l1_cs_time={l2l1} ns l2_runtime={run} ns")
    return (f"{comm:>16} {pid:>6}/{tid:<6} [{cpu:03d}] {ts}: "
            f"kvm_hv:kvmppc_vcpu_stats: {text}")


# ---- the sample data set ------------------------------------------------
# Two named VMs and one unnamed QEMU; 3 s of events starting at t=1000 s;
# timestamps are whole microseconds so the perf script text is exact.
VCPUS = [
    # pid, tid, vcpu, thread, vm, cpu
    (4001, 4010, 0, "CPU 0/KVM", "guest1", 0),
    (4001, 4011, 1, "CPU 1/KVM", "guest1", 1),
    (5001, 5010, 0, "CPU 0/KVM", "guest2", 2),
    (6001, 6010, 0, "CPU 0/KVM", "", 3),
]
T0 = 1000 * 1_000_000_000


def sample_events():
    """List of (t_ns, pid, tid, cpu, vcpu, l1l2, l2l1, run)."""
    out = []
    for i in range(240):
        pid, tid, vcpu, _, _, cpu = VCPUS[i % len(VCPUS)]
        t = T0 + i * 12_500_000 + (i % 7) * 1000     # 3 s in all
        l1l2 = 900 + (i * 37) % 500 + (pid % 3) * 100
        l2l1 = 1400 + (i * 53) % 700
        run = 20_000 + (i * 7919) % 50_000 + vcpu * 5000
        out.append((t, pid, tid, cpu, vcpu, l1l2, l2l1, run))
    return out


def boot_events():
    """The first event of each L1 CPU: the kernel's delta counts from when
    the counters started (seconds), not one switch; nvlat leaves it out."""
    out = []
    for pid, tid, vcpu, _, _, cpu in VCPUS:
        out.append((T0, pid, tid, cpu, vcpu, 5_000_000_000 + cpu,
                    7_000_000_000 + cpu, 90_000_000_000 + cpu))
    return out


def sample_capture():
    data = bytearray(header())
    data += info("nvlat", "sample")
    seen = set()
    for n, ev in enumerate(boot_events() + sample_events()):
        n -= len(VCPUS)
        t, pid, tid = ev[0], ev[1], ev[2]
        if tid not in seen:
            seen.add(tid)
            v = next(v for v in VCPUS if v[1] == tid)
            data += task(pid, tid, v[3], v[4])
        if n == 120:
            data += lost(t, 5)
        data += event(*ev)
    return bytes(data)


def sample_perf_script():
    lines = [
        "# ========",
        "# captured on    : Thu Jan  1 00:00:00 2026",
        "# ========",
        "#",
    ]
    for n, (t, pid, tid, cpu, vcpu, a, b, c) in enumerate(boot_events() + sample_events()):
        n -= len(VCPUS)
        comm = next(v[3] for v in VCPUS if v[1] == tid)
        if n % 50 == 10:   # another event in the same trace: skipped
            lines.append(f"{'qemu-system-ppc':>16} {pid:>6}/{pid:<6} [{cpu:03d}] "
                         f"{t // 10**9}.{(t % 10**9) // 1000:06d}: "
                         "sched:sched_switch: prev_comm=x prev_pid=1 ==> next_pid=2")
        lines.append(perf_script_line(comm, pid, tid, cpu, t, vcpu, a, b, c,
                                      raw_fields=(n % 9 == 4)))
    return "\n".join(lines) + "\n"


def bench_perf_script(path, n):
    """n events of 2 VMs x 4 vCPUs as `perf script` text (for the benchmark)."""
    with open(path, "w") as f:
        for i in range(n):
            v = i % 8
            pid = 7001 + v // 4
            tid = pid * 10 + v % 4
            t = T0 + i * 2000
            f.write(f"       CPU {v % 4}/KVM {pid:>6}/{tid:<6} [{v:03d}] "
                    f"{t // 10**9}.{(t % 10**9) // 1000:06d}: kvm_hv:kvmppc_vcpu_stats: "
                    f"VCPU {v % 4}: l1_to_l2_cs_time={900 + (i * 37) % 4000} ns "
                    f"l2_to_l1_cs_time={1200 + (i * 53) % 5000} ns "
                    f"l2_runtime={20000 + (i * 7919) % 900000} ns\n")


def bench_capture(path, n):
    """n events of 2 VMs x 4 vCPUs on 8 L1 CPUs as a capture (scale benchmark)."""
    with open(path, "wb") as f:
        f.write(header())
        for v in range(8):
            pid = 7001 + v // 4
            f.write(task(pid, pid * 10 + v % 4, f"CPU {v % 4}/KVM", f"bench{v // 4}"))
        buf = bytearray()
        for i in range(n):
            v = i % 8
            pid = 7001 + v // 4
            buf += event(T0 + i * 2000, pid, pid * 10 + v % 4, v, v % 4,
                         900 + (i * 37) % 4000, 1200 + (i * 53) % 5000,
                         20000 + (i * 7919) % 900000)
            if len(buf) > 1 << 20:
                f.write(buf)
                buf.clear()
        f.write(buf)


def bench_pids(path, npids, per_pid=5, live=20000):
    """npids one-vCPU VMs (QEMU processes), per_pid events each, about
    `live` of them at a time: VM k runs in second k // live of the capture
    (scale benchmark: memory must follow the live VMs, not all seen)."""
    with open(path, "wb") as f:
        f.write(header())
        buf = bytearray()
        for k in range(npids):
            pid, tid = 100000 + k, 100000 + k + 10**6
            buf += task(pid, tid, "CPU 0/KVM", f"vm{k}")
            base = T0 + (k // live) * 10**9 + (k % live) * (10**9 // live)
            for j in range(per_pid):
                buf += event(base + j, pid, tid, (k + j) % 64, 0,
                             900 + (k * 37 + j * 11) % 4000, 1200 + (k * 53) % 5000,
                             20000 + (k * 7919 + j * 131) % 900000)
            if len(buf) > 1 << 20:
                f.write(buf)
                buf.clear()
        f.write(buf)


# ---- the --by-exit data set ----------------------------------------------
# The same vCPUs; each run: kvmppc_vcpu_stats, 1 us later kvm_guest_exit
# with the run's trap, and for SYSCALL 1 us after that kvm_hcall_enter.
# Names and numbers as the kernel prints them (trace_book3s.h, trace_hv.h,
# asm/hvcall.h).
TRAPS = {0x980: "HV_DECREMENTER", 0xc00: "SYSCALL", 0xe40: "H_EMUL_ASSIST",
         0x500: "EXTERNAL", 0: "0x0"}
HCALLS = {0x58: "H_PUT_TERM_CHAR", 0x6c: "H_IPI", 0x108: "H_SEND_CRQ"}
# (trap, hcall or None, extra switch ns): what each kind of exit costs
EXIT_KINDS = [
    (0x980, None, 0), (0xc00, 0x58, 900), (0xe40, None, 2500),
    (0xc00, 0x6c, 400), (0, None, 150), (0x500, None, 700),
    (0xc00, 0x108, 1200),
]


def exit_runs():
    """List of (kind, t_ns, pid, tid, cpu, vcpu, a, b, c): kind "stats",
    "exit" (a = trap), "hcall" (a = req); time ordered per thread."""
    out = []
    for pid, tid, vcpu, _, _, cpu in VCPUS:    # first per L1 CPU: left out
        out.append(("stats", T0, pid, tid, cpu, vcpu, 5_000_000_000,
                    7_000_000_000, 90_000_000_000))
        out.append(("exit", T0 + 1000, pid, tid, cpu, vcpu, 0x980, 0, 0))
    for i in range(280):
        pid, tid, vcpu, _, _, cpu = VCPUS[i % len(VCPUS)]
        trap, hcall, extra = EXIT_KINDS[(i // len(VCPUS) + vcpu + pid) % len(EXIT_KINDS)]
        t = T0 + 10_000_000 + i * 10_000_000
        l1l2 = 800 + (i * 37) % 300 + extra // 2
        l2l1 = 1200 + (i * 53) % 400 + extra - extra // 2
        run = 15_000 + (i * 7919) % 40_000
        out.append(("stats", t, pid, tid, cpu, vcpu, l1l2, l2l1, run))
        if i == 101:            # the exit event was lost: "(no exit event)"
            continue
        out.append(("exit", t + 1000, pid, tid, cpu, vcpu, trap, 0, 0))
        if hcall is not None and i != 203:     # 203: SYSCALL, no hcall event
            out.append(("hcall", t + 2000, pid, tid, cpu, vcpu, hcall, 0, 0))
    # an exit of a run the L0 did not account (no stats before it)
    pid, tid, vcpu, _, _, cpu = VCPUS[0]
    out.append(("exit", T0 + 2_900_000_000, pid, tid, cpu, vcpu, 0x980, 0, 0))
    return sorted(out, key=lambda e: (e[1], ["stats", "exit", "hcall"].index(e[0])))


def exits_capture():
    data = bytearray(header())
    data += info("nvlat", "sample")
    seen = set()
    for kind, t, pid, tid, cpu, vcpu, a, b, c in exit_runs():
        if tid not in seen:
            seen.add(tid)
            v = next(v for v in VCPUS if v[1] == tid)
            data += task(pid, tid, v[3], v[4])
        if kind == "stats":
            data += event(t, pid, tid, cpu, vcpu, a, b, c)
        elif kind == "exit":
            data += exit_event(t, pid, tid, cpu, vcpu, a, b, 0xc000000000012340)
        else:
            data += hcall_event(t, pid, tid, cpu, vcpu, a, 0, 1)
    return bytes(data)


def exits_perf_script():
    lines = []
    for kind, t, pid, tid, cpu, vcpu, a, b, c in exit_runs():
        comm = next(v[3] for v in VCPUS if v[1] == tid)
        if kind == "stats":
            lines.append(perf_script_line(comm, pid, tid, cpu, t, vcpu, a, b, c))
            continue
        ts = f"{t // 1_000_000_000}.{(t % 1_000_000_000) // 1000:06d}"
        if kind == "exit":
            text = (f"kvm_hv:kvm_guest_exit: VCPU {vcpu}: trap={TRAPS[a]} "
                    f"pc=0xc000000000012340 msr=0x8000000000001033, ceded={b}")
        else:
            text = (f"kvm_hv:kvm_hcall_enter: VCPU {vcpu}: hcall={HCALLS[a]} "
                    "GPR4-7=0x0,0x1,0x0,0x0")
        lines.append(f"{comm:>16} {pid:>6}/{tid:<6} [{cpu:03d}] {ts}: {text}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys
    import pathlib
    if sys.argv[1] == "--bench":
        bench_perf_script(sys.argv[3], int(sys.argv[2]))
        sys.exit(0)
    if sys.argv[1] == "--bench-capture":
        bench_capture(sys.argv[3], int(sys.argv[2]))
        sys.exit(0)
    if sys.argv[1] == "--bench-pids":
        bench_pids(sys.argv[3], int(sys.argv[2]))
        sys.exit(0)
    d = pathlib.Path(sys.argv[1])
    (d / "sample.nvl").write_bytes(sample_capture())
    (d / "sample.perf.txt").write_text(sample_perf_script())
    (d / "exits.nvl").write_bytes(exits_capture())
    (d / "exits.perf.txt").write_text(exits_perf_script())
