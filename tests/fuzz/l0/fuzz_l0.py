#!/usr/bin/env python3
"""A hostile fake L1 for our QEMU 10.0 L0 (docs/reliability.md).

Starts qemu-system-ppc64 -M pseries,cap-nested-papr=on stopped (-S) with
qtest on stdio and makes random nested PAPR hypercalls with the qtest
"hcall" command (qemu-patches/qemu-10.0 patch 0015): H_GUEST_CREATE,
CREATE_VCPU, SET_STATE, GET_STATE, DELETE, GET/SET_CAPABILITIES, with random
flags, guest and vCPU IDs, buffer addresses and sizes, and guest state
buffers that are valid, slightly wrong (bad count, truncated, wrong lengths,
unknown or out-of-scope IDs, bad values) or random bytes, written into guest
memory with qtest "write".  H_GUEST_RUN_VCPU cannot be made from qtest (the
command refuses it); tests/qemu10/test_l2_runs.py runs L2s from guest code.

Seeded and reproducible: the same --seed gives the same calls.  Every
--check-every calls a known-good sequence (create a guest and a vCPU, set
and get GPR3) must still work.  Findings:

  crash  QEMU exited (abort, assert, signal): the qtest lines since its
         start are kept as CRASH-DIR/l0-crash-SEED-N.qtest, to replay with
         `qemu-system-ppc64 ... -qtest stdio < FILE` (--replay does it);
  hang   a call did not answer within --timeout seconds (same reproducer,
         l0-hang-*);
  bad-rc a return code that is not a PAPR H_* code, or H_SUCCESS for a call
         whose input is certainly invalid (both are reported with the call).

Prints one summary line and writes --json: executions (hcalls made),
crashes, hangs, bad return codes, per-hcall and per-return-code counts.
Exit status 0 when there were no findings, 1 otherwise, 2 on usage errors.
"""
import argparse
import collections
import json
import os
import random
import select
import struct
import subprocess
import sys
import tempfile
import time

# The hcall numbers are the ones tests/qemu10 uses (PAPR / asm/hvcall.h).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "qemu10"))
from qemu10lib import (H_GUEST_GET_CAPABILITIES, H_GUEST_SET_CAPABILITIES,  # noqa: E402
                       H_GUEST_CREATE, H_GUEST_CREATE_VCPU, H_GUEST_GET_STATE,
                       H_GUEST_SET_STATE, H_GUEST_DELETE)

NAMES = {H_GUEST_GET_CAPABILITIES: "GET_CAPABILITIES",
         H_GUEST_SET_CAPABILITIES: "SET_CAPABILITIES",
         H_GUEST_CREATE: "CREATE", H_GUEST_CREATE_VCPU: "CREATE_VCPU",
         H_GUEST_GET_STATE: "GET_STATE", H_GUEST_SET_STATE: "SET_STATE",
         H_GUEST_DELETE: "DELETE"}

CAP_P9 = 1 << 62
CAP_P10 = 1 << 61
WIDE = 1 << 63
HOST_WIDE = 1 << 62
RAM = 512 << 20
BUF = 0x1000000

# PAPR return codes (Linux asm/hvcall.h): success, the positive busy and
# progress codes, long busy, and the negative errors including the
# H_UNSUPPORTED_FLAG range (-256..-511).
GOOD_RC = ({0} | set(range(1, 19)) | set(range(9900, 9906)) |
           set(range(-81, 0)) | set(range(-511, -255)))

# Element IDs and their sizes (PAPR, as our 6.1 table has them), plus the
# L0's host-wide IDs (0x0800-0x0804, 8 bytes).
SIZES = {0x0000: 0, 0x0001: 8, 0x0002: 8, 0x0003: 4, 0x0004: 8, 0x0005: 24,
         0x0006: 16, 0x0C00: 16, 0x0C01: 16, 0x0C02: 8, 0xF000: 8, 0xF001: 4,
         0xF002: 8, 0xF003: 8}
SIZES.update({0x0800 + i: 8 for i in range(5)})
SIZES.update({0x1000 + i: 8 for i in range(0x54)})
SIZES.update({0x2000 + i: 4 for i in range(0x0F)})
SIZES.update({0x3000 + i: 16 for i in range(64)})
IDS = sorted(SIZES)
GUEST_IDS = [i for i in IDS if i <= 0x0006]
HOST_IDS = [i for i in IDS if 0x0800 <= i <= 0x0804]
THREAD_IDS = [i for i in IDS if i >= 0x0C00]
# Read-write vCPU registers the L0 keeps as they are: what H_GUEST_SET_STATE
# sets, H_GUEST_GET_STATE returns (the run buffers and the VPA are checked
# values, the 0xF000 range is read-only).
ROUNDTRIP_IDS = [i for i in IDS if 0x1000 <= i < 0xF000]


def signed(v):
    return v - 2**64 if v >= 2**63 else v


class Died(Exception):
    pass


class Hang(Exception):
    pass


class L0:
    def __init__(self, qemu, timeout):
        self.timeout = timeout
        self.lines = []
        # stderr to a file: a pipe nobody reads would fill up and stop QEMU
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            [qemu, "-M", "pseries,cap-nested-papr=on", "-cpu", "power10",
             "-m", f"{RAM >> 20}M", "-smp", "1", "-accel", "tcg", "-display", "none",
             "-nodefaults", "-S", "-qtest", "stdio", "-qtest-log", "/dev/null"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err)
        self.buf = b""

    def _readline(self):
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Hang()
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                raise Died()
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace")

    def cmd(self, line):
        self.lines.append(line)
        try:
            self.p.stdin.write(line.encode() + b"\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            raise Died()
        while True:
            reply = self._readline()
            if not reply.startswith("IRQ"):
                return reply

    def hcall(self, opcode, *args):
        reply = self.cmd("hcall " + " ".join(hex(a & (2**64 - 1)) for a in (opcode,) + args))
        words = reply.split()
        if not words or words[0] != "OK":
            raise RuntimeError(f"qtest hcall: {reply}")
        regs = [int(w, 16) for w in words[1:]]
        return signed(regs[0]), regs[1:]

    def write(self, addr, data):
        if data:
            reply = self.cmd(f"write {addr:#x} {len(data):#x} 0x{data.hex()}")
            if not reply.startswith("OK"):
                raise RuntimeError(f"qtest write: {reply}")

    def stderr(self):
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        for f in (self.p.stdin, self.p.stdout, self.err):
            try:
                f.close()
            except OSError:
                pass


def element(gsid, value):
    return struct.pack(">HH", gsid, len(value)) + value


class Fuzzer:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.stats = collections.Counter()
        self.rcs = collections.Counter()
        self.findings = []
        self.execs = 0
        self.guests = []
        self.vcpus = collections.defaultdict(set)
        self.l0 = None

    # -- random input
    def u64(self):
        r = self.rng.random()
        if r < 0.3:
            return self.rng.choice([0, 1, 2, 0x7F, 0x80, 0xFFFF, 2**31, 2**32 - 1, 2**32,
                                    2**63, 2**64 - 1, 2**64 - 2, 0x1000, 2047, 2048])
        if r < 0.6:
            return self.rng.getrandbits(self.rng.choice([8, 16, 32]))
        return self.rng.getrandbits(64)

    def flags(self, good):
        r = self.rng.random()
        if r < 0.85:
            return self.rng.choice(good)
        if r < 0.85:
            return 1 << self.rng.randrange(64)
        return self.u64()

    def guest_id(self):
        if self.guests and self.rng.random() < 0.8:
            return self.rng.choice(self.guests)
        return self.rng.choice([0, 1, 2, 4095, 4096, 2**32, 2**63, 2**64 - 1, self.u64()])

    def vcpu_id(self, guest):
        known = sorted(self.vcpus.get(guest, ()))
        if known and self.rng.random() < 0.75:
            return self.rng.choice(known)
        return self.rng.choice([0, 1, 2, 3, 2047, 2048, 2**31, 2**32, 2**64 - 1, self.u64()])

    def value(self, gsid, size):
        """A value for an element: mostly plausible, sometimes hostile."""
        rng = self.rng
        if gsid == 0x0005 and size == 24 and rng.random() < 0.6:   # partition table
            return struct.pack(">QQQ", rng.choice([0, 0x10000, 0x10001, RAM - 0x1000, 2**64 - 4096,
                                                    self.u64()]),
                               rng.choice([52, 0, 31, 53, 64, self.u64()]),
                               rng.choice([0x10000, 0, 1, 4096, 2**16 + 8, 2**63, self.u64()]))
        if gsid in (0x0006, 0x0C00, 0x0C01) and size == 16 and rng.random() < 0.6:
            return struct.pack(">QQ", rng.choice([0, BUF + 0x10000, RAM - 64, RAM, 2**63,
                                                  BUF + 1, self.u64()]),
                               rng.choice([0, 4096, 2**24, 128, 127, 16384, 16385, 2**40,
                                           self.u64()]))
        if gsid == 0x0C02 and size == 8 and rng.random() < 0.6:    # L2 VPA
            return struct.pack(">Q", rng.choice([0, 2**64 - 1, BUF + 0x20000, BUF + 0x20001,
                                                 BUF + 0x20F80, RAM - 128, RAM, self.u64()]))
        if rng.random() < 0.3:
            return bytes(size)
        return bytes(rng.getrandbits(8) for _ in range(size))

    def gsb(self, get, flags):
        """A guest state buffer: elements, then maybe spoiled.  IDs mostly
        of the scope the flags ask for, so that the calls get past the
        scope checks to the values."""
        rng = self.rng
        n = rng.choice([0, 1, 1, 2, 3, 5, 8, rng.randrange(1, 40)])
        if flags & HOST_WIDE:
            scoped = HOST_IDS
        elif flags & WIDE:
            scoped = GUEST_IDS
        else:
            scoped = THREAD_IDS
        elems = []
        for _ in range(n):
            r = rng.random()
            gsid = (rng.choice(scoped) if r < 0.8 else rng.choice(IDS) if r < 0.95
                    else rng.getrandbits(16))
            size = SIZES.get(gsid, rng.choice([0, 4, 8, 16]))
            if rng.random() < 0.08:
                size = rng.choice([0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 23, 24, 25, 255])
            elems.append(element(gsid, bytes(size) if get else self.value(gsid, size)))
        count = len(elems)
        r = rng.random()
        if r < 0.1:
            count = rng.choice([count + 1, count + 100, 2**31, 2**32 - 1, max(0, count - 1)])
        body = b"".join(elems)
        data = struct.pack(">I", count) + body
        r = rng.random()
        if r < 0.1 and len(data) > 4:
            data = data[:rng.randrange(len(data))]            # truncated
        elif r < 0.15:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
        elif r < 0.2 and elems:                                # a length field spoiled
            i = 4 + rng.randrange(len(body))
            data = data[:i] + bytes([rng.getrandbits(8)]) + data[i + 1:]
        return data

    # -- calls
    def call(self, opcode, *args):
        self.execs += 1
        self.stats[NAMES[opcode]] += 1
        rc, out = self.l0.hcall(opcode, *args)
        self.rcs[f"{NAMES[opcode]} {rc}"] += 1
        if rc not in GOOD_RC:
            self.finding("bad-rc", f"{NAMES[opcode]}{tuple(hex(a) for a in args)} -> {rc} "
                                   "(not a PAPR H_* code)")
        return rc, out

    def op_create(self):
        token = 2**64 - 1 if self.rng.random() < 0.8 else self.u64()
        flags = self.flags([0])
        rc, out = self.call(H_GUEST_CREATE, flags, token)
        if rc == 0:
            if flags or token != 2**64 - 1:
                self.finding("bad-rc", f"CREATE flags {flags:#x} token {token:#x} succeeded")
            self.guests.append(out[0])
            if len(self.guests) > 12:      # keep the L0 small: delete the oldest
                self.call(H_GUEST_DELETE, 0, self.guests.pop(0))

    def op_create_vcpu(self):
        g = self.guest_id()
        v = self.vcpu_id(g)
        rc, _ = self.call(H_GUEST_CREATE_VCPU, self.flags([0]), g, v)
        if rc == 0:
            self.vcpus[g].add(v)

    def op_state(self, get):
        rng = self.rng
        g = self.guest_id()
        v = self.vcpu_id(g)
        if get:
            flags = self.flags([0, 0, WIDE, HOST_WIDE, WIDE | HOST_WIDE])
        else:
            flags = self.flags([0, 0, WIDE])
        data = self.gsb(get, flags)
        addr = BUF if rng.random() < 0.85 else rng.choice(
            [0, 1, RAM - len(data) // 2, RAM - 4, RAM, 2**40, 2**64 - 4, BUF + 3, self.u64()])
        size = len(data)
        r = rng.random()
        if r < 0.15:
            size = rng.choice([0, 1, 3, 4, size + 1, size + 4096, 1 << 20, (1 << 20) + 1,
                               2**32, 2**64 - 1, max(0, size - 1), self.u64()])
        if 0 <= addr and addr + len(data) <= RAM:
            self.l0.write(addr, data)
        self.call(H_GUEST_GET_STATE if get else H_GUEST_SET_STATE, flags, g, v, addr, size)

    def op_delete(self):
        if self.rng.random() < 0.1:
            rc, _ = self.call(H_GUEST_DELETE, WIDE, 0)          # delete all
            if rc == 0:
                self.guests.clear()
                self.vcpus.clear()
            return
        g = self.guest_id()
        rc, _ = self.call(H_GUEST_DELETE, self.flags([0]), g)
        if rc == 0 and g in self.guests:
            self.guests.remove(g)
            self.vcpus.pop(g, None)

    def op_caps(self):
        if self.rng.random() < 0.5:
            self.call(H_GUEST_GET_CAPABILITIES, self.flags([0]))
        else:
            self.call(H_GUEST_SET_CAPABILITIES, self.flags([0]),
                      self.rng.choice([CAP_P10, CAP_P9, CAP_P9 | CAP_P10, 0, self.u64()]))

    def sanity(self):
        """A known-good sequence must still work."""
        self.call(H_GUEST_SET_CAPABILITIES, 0, CAP_P10)     # may be H_STATE with guests
        rc, out = self.call(H_GUEST_CREATE, 0, 2**64 - 1)
        if rc == -9 and self.guests:                          # H_NO_MEM: full
            self.call(H_GUEST_DELETE, WIDE, 0)
            self.guests.clear()
            self.vcpus.clear()
            rc, out = self.call(H_GUEST_CREATE, 0, 2**64 - 1)
        if rc != 0:
            self.finding("broken", f"H_GUEST_CREATE of a known-good guest: {rc}")
            return
        g = out[0]
        rc, _ = self.call(H_GUEST_CREATE_VCPU, 0, g, 0)
        val = self.rng.getrandbits(64)
        self.l0.write(BUF, struct.pack(">I", 1) + element(0x1003, struct.pack(">Q", val)))
        rc2, _ = self.call(H_GUEST_SET_STATE, 0, g, 0, BUF, 16)
        self.l0.write(BUF + 0x1000, struct.pack(">I", 1) + element(0x1003, bytes(8)))
        rc3, _ = self.call(H_GUEST_GET_STATE, 0, g, 0, BUF + 0x1000, 16)
        reply = self.l0.cmd(f"read {BUF + 0x1008:#x} 0x8")
        got = int(reply.split()[1], 16) if reply.startswith("OK") else None
        if (rc, rc2, rc3) != (0, 0, 0) or got != val:
            self.finding("broken", f"known-good vCPU/state sequence: rc {rc} {rc2} {rc3}, "
                                   f"GPR3 {got!r} != {val:#x}")
        # a few registers: GET returns what SET set
        ids = self.rng.sample(ROUNDTRIP_IDS, 4)
        vals = {i: bytes(self.rng.getrandbits(8) for _ in range(SIZES[i])) for i in ids}
        buf = struct.pack(">I", len(ids)) + b"".join(element(i, vals[i]) for i in ids)
        self.l0.write(BUF, buf)
        rc2, _ = self.call(H_GUEST_SET_STATE, 0, g, 0, BUF, len(buf))
        req = struct.pack(">I", len(ids)) + b"".join(element(i, bytes(SIZES[i])) for i in ids)
        self.l0.write(BUF + 0x1000, req)
        rc3, _ = self.call(H_GUEST_GET_STATE, 0, g, 0, BUF + 0x1000, len(req))
        reply = self.l0.cmd(f"read {BUF + 0x1000:#x} {len(req):#x}")
        back = bytes.fromhex(reply.split()[1][2:]) if reply.startswith("OK") else b""
        off = 4
        for i in ids:
            got = back[off + 4:off + 4 + SIZES[i]]
            if (rc2, rc3) != (0, 0) or got != vals[i]:
                self.finding("broken", f"element {i:#06x}: set {vals[i].hex()}, got "
                                       f"{got.hex()} (rc {rc2} {rc3})")
            off += 4 + SIZES[i]
        self.call(H_GUEST_DELETE, 0, g)

    def finding(self, kind, what):
        self.findings.append({"kind": kind, "what": what, "call": self.execs})
        print(f"fuzz_l0: {kind}: {what} (call {self.execs}, seed {self.a.seed})", flush=True)

    def keep_repro(self, kind):
        os.makedirs(self.a.crash_dir, exist_ok=True)
        path = os.path.join(self.a.crash_dir, f"l0-{kind}-{self.a.seed}-{self.execs}.qtest")
        with open(path, "w") as f:
            f.write("\n".join(self.l0.lines) + "\n")
        return path

    def start(self):
        self.l0 = L0(self.a.qemu, self.a.timeout)
        self.guests, self.vcpus = [], collections.defaultdict(set)
        if self.rng.random() < 0.95:
            self.call(H_GUEST_SET_CAPABILITIES, 0, CAP_P10)

    def run(self):
        ops = [(self.op_create, 8), (self.op_create_vcpu, 12),
               (lambda: self.op_state(False), 40), (lambda: self.op_state(True), 30),
               (self.op_delete, 4), (self.op_caps, 3)]
        funcs, weights = zip(*ops)
        deadline = time.monotonic() + self.a.seconds
        self.start()
        n_since = 0
        while time.monotonic() < deadline and (not self.a.max_calls or
                                               self.execs < self.a.max_calls):
            try:
                if n_since >= self.a.check_every:
                    n_since = 0
                    self.sanity()
                self.rng.choices(funcs, weights)[0]()
                n_since += 1
                # a fresh L0 now and then keeps reproducers short
                if len(self.l0.lines) > self.a.restart_every:
                    self.l0.close()
                    self.start()
            except Died:
                err = self.l0.stderr()
                path = self.keep_repro("crash")
                self.finding("crash", f"QEMU exited (rc {self.l0.p.returncode}): "
                                      f"{err.strip()[-600:]}; reproducer {path}")
                self.l0.close()
                self.start()
            except Hang:
                path = self.keep_repro("hang")
                self.finding("hang", f"no answer in {self.a.timeout} s to "
                                     f"'{self.l0.lines[-1][:100]}'; reproducer {path}")
                self.l0.close()
                self.start()
        self.l0.close()


def replay(args):
    """Feed a kept reproducer to the L0; exit 1 if it dies or hangs."""
    l0 = L0(args.qemu, args.timeout)
    try:
        with open(args.replay) as f:
            for line in f:
                if line.strip():
                    print(line.strip()[:120], "->", l0.cmd(line.strip())[:120])
    except (Died, Hang) as e:
        print(f"fuzz_l0: replay: QEMU {'hung' if isinstance(e, Hang) else 'died'}: "
              f"{l0.stderr().strip()[-600:] if isinstance(e, Died) else ''}")
        return 1
    finally:
        l0.close()
    print("fuzz_l0: replay: QEMU survived every line")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qemu", required=True, help="qemu-system-ppc64 (our L0)")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--max-calls", type=int, default=0, help="stop after N hcalls (0: no limit)")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock (printed)")
    ap.add_argument("--timeout", type=float, default=20, help="seconds a call may take")
    ap.add_argument("--check-every", type=int, default=200)
    ap.add_argument("--restart-every", type=int, default=20000,
                    help="qtest lines before a fresh L0")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--crash-dir", default=".")
    ap.add_argument("--replay", help="replay a kept .qtest reproducer instead of fuzzing")
    args = ap.parse_args()
    if not os.access(args.qemu, os.X_OK):
        print(f"fuzz_l0: {args.qemu} is not an executable (make qemu-l0)", file=sys.stderr)
        return 2
    if args.replay:
        return replay(args)
    if args.seconds <= 0:
        print("fuzz_l0: --seconds must be positive", file=sys.stderr)
        return 2
    if args.seed is None:
        args.seed = int(time.time())
    print(f"fuzz_l0: seed {args.seed}", flush=True)
    fz = Fuzzer(args)
    t0 = time.monotonic()
    fz.run()
    secs = time.monotonic() - t0
    kinds = collections.Counter(f["kind"] for f in fz.findings)
    res = {"seed": args.seed, "seconds": round(secs, 1), "executions": fz.execs,
           "crashes": kinds["crash"], "hangs": kinds["hang"], "bad_rc": kinds["bad-rc"],
           "broken": kinds["broken"], "per_hcall": dict(fz.stats),
           "per_rc": dict(sorted(fz.rcs.items())), "findings": fz.findings}
    print(f"fuzz_l0: seed {args.seed}: {fz.execs} hcalls in {secs:.0f} s, "
          f"{kinds['crash']} crashes, {kinds['hang']} hangs, {kinds['bad-rc']} bad return codes, "
          f"{kinds['broken']} broken sequences", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 1 if fz.findings else 0


if __name__ == "__main__":
    sys.exit(main())
