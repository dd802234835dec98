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


def record(rtype, payload):
    body = struct.pack("<HHI", MARK, rtype, 8 + len(payload) + 4) + payload
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def header():
    return MAGIC + struct.pack("<HHI", 1, 16, 0)


def event(t_ns, pid, tid, cpu, vcpu, l1l2, l2l1, run):
    return record(EVENT, struct.pack("<QIIIiQQQ", t_ns, pid, tid, cpu, vcpu,
                                     l1l2, l2l1, run))


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
