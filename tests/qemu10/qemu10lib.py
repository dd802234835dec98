"""Helpers for tests/qemu10: paths, the qtest and QMP protocols, guest state
buffers (GSB) and the nested PAPR hcall numbers.

The L0 under test is build/obj/qemu-10.0/qemu-system-ppc64 (make qemu-l0).
Hypercalls are made with the "hcall" qtest command that
the qemu-patches/qemu-10.0 patch "qtest command to make a hypercall" adds;
guest memory is written and read with
qtest's write/read.  Nothing here needs an L1 kernel.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
RESULTS = os.environ.get("RESULTS", os.path.join(BUILD, "results"))
QEMU10_RESULTS = os.path.join(RESULTS, "qemu10")
SERIES_DIR = os.path.join(TOP, "qemu-patches", "qemu-10.0")
TREE = os.path.join(BUILD, "src", "qemu-10.0")
BASE = os.path.join(BUILD, "src", "qemu-10.0-base")
L0_PATH = os.path.join(BUILD, "obj", "qemu-10.0", "qemu-system-ppc64")

# hcalls (PAPR / Linux arch/powerpc/include/asm/hvcall.h)
H_REGISTER_VPA = 0xDC
H_GUEST_GET_CAPABILITIES = 0x460
H_GUEST_SET_CAPABILITIES = 0x464
H_GUEST_CREATE = 0x470
H_GUEST_CREATE_VCPU = 0x474
H_GUEST_GET_STATE = 0x478
H_GUEST_SET_STATE = 0x47C
H_GUEST_RUN_VCPU = 0x480
H_GUEST_DELETE = 0x488

# return codes
H_SUCCESS = 0
H_PARAMETER = -4
H_NO_MEM = -9
H_P2 = -55
H_P3 = -56
H_P4 = -57
H_P5 = -58
H_STATE = -75
H_IN_USE = -77
H_INVALID_ELEMENT_VALUE = -81

CAP_P9 = 0x4000000000000000
CAP_P10 = 0x2000000000000000
GUEST_WIDE = 0x8000000000000000
DELETE_ALL = 0x8000000000000000
VPA_REGISTER = 0x0000200000000000  # H_REGISTER_VPA flags: register VPA

# guest state buffer element ids (Documentation/arch/powerpc/kvm-nested.rst)
GSID_RUN_OUTPUT_MIN_SIZE = 0x0002
GSID_LOGICAL_PVR = 0x0003
GSID_TB_OFFSET = 0x0004
GSID_PARTITION_TABLE = 0x0005
GSID_PROCESS_TABLE = 0x0006
GSID_RUN_INPUT = 0x0C00
GSID_RUN_OUTPUT = 0x0C01
GSID_VPA = 0x0C02
GSID_GPR3 = 0x1003
GSID_HDEC_EXPIRY_TB = 0x1020
GSID_NIA = 0x1021
GSID_MSR = 0x1022
GSID_PURR = 0x1033
GSID_SPURR = 0x1034

# L1 VPA (lppaca) offsets of the L2 counters, upstream Linux ABI
VPA_L2_COUNTERS_ENABLE = 0xBC
VPA_L1_TO_L2_CS_TB = 0x1A0
VPA_L2_TO_L1_CS_TB = 0x1A8
VPA_L2_RUNTIME_TB = 0x1B0


def u64(v):
    return struct.pack(">Q", v & (2**64 - 1))


def u32(v):
    return struct.pack(">I", v & (2**32 - 1))


def element(gsid, value):
    return struct.pack(">HH", gsid, len(value)) + value


def gsb(*elements, count=None):
    """A guest state buffer: header (number of elements) + elements."""
    n = len(elements) if count is None else count
    return struct.pack(">I", n) + b"".join(elements)


def signed(v):
    return v - 2**64 if v >= 2**63 else v


def summary():
    """build/results/qemu10/summary as a dict (written by ci/qemu10.sh)."""
    out = {}
    try:
        with open(os.path.join(QEMU10_RESULTS, "summary")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                out[k] = v
    except OSError:
        pass
    return out


class QemuDied(Exception):
    pass


class L0:
    """One qemu-system-ppc64 -M pseries,cap-nested-papr=on, stopped (-S),
    driven through qtest on stdio and QMP on a unix socket."""

    def __init__(self, machine_extra="", ram="512M"):
        tmp_root = os.path.join(BUILD, "tmp")
        os.makedirs(tmp_root, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="qemu10-", dir=tmp_root)
        self.qmp_path = os.path.join(self.tmp, "qmp.sock")
        self.err_path = os.path.join(self.tmp, "stderr")
        self.err = open(self.err_path, "w+")
        cmd = [L0_PATH, "-M", "pseries,cap-nested-papr=on" + machine_extra,
               "-cpu", "power10", "-m", ram, "-smp", "1", "-accel", "tcg",
               "-display", "none", "-nodefaults", "-S",
               "-qtest", "stdio",
               "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=self.err,
                                  text=True, bufsize=1)
        self.qmp = None

    # -- qtest
    def cmd(self, line):
        if self.p.poll() is not None:
            raise QemuDied(self.stderr())
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        while True:
            reply = self.p.stdout.readline()
            if not reply:
                self.p.wait(timeout=10)
                raise QemuDied(f"qemu died (rc {self.p.returncode}) on "
                               f"'{line[:80]}': {self.stderr()}")
            if reply.startswith("IRQ"):
                continue
            reply = reply.strip()
            if not reply.startswith("OK"):
                raise AssertionError(f"qtest '{line[:80]}': {reply}")
            return reply

    def hcall(self, opcode, *args):
        """-> (signed r3, [r4 .. r12])"""
        words = self.cmd("hcall " + " ".join(hex(a & (2**64 - 1))
                                             for a in (opcode,) + args))
        regs = [int(w, 16) for w in words.split()[1:]]
        return signed(regs[0]), regs[1:]

    def write(self, addr, data):
        self.cmd(f"write {addr:#x} {len(data):#x} 0x{data.hex()}")

    def read(self, addr, size):
        return bytes.fromhex(self.cmd(f"read {addr:#x} {size:#x}")
                             .split()[1][2:])

    def read_u64(self, addr):
        return struct.unpack(">Q", self.read(addr, 8))[0]

    # -- QMP
    def qmp_cmd(self, execute, **arguments):
        if self.qmp is None:
            for _ in range(100):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.qmp_path)
                    break
                except OSError:
                    time.sleep(0.05)
            self.qmp = s.makefile("rw")
            json.loads(self.qmp.readline())  # greeting
            self.qmp_cmd("qmp_capabilities")
        msg = {"execute": execute}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.write(json.dumps(msg) + "\n")
        self.qmp.flush()
        while True:
            reply = json.loads(self.qmp.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise AssertionError(f"QMP {execute}: {reply['error']}")

    def registers(self):
        """GPRs and NIP of the vCPU, from 'info registers'."""
        text = self.qmp_cmd("human-monitor-command",
                            **{"command-line": "info registers"})
        regs = {}
        words = text.split()
        for i, w in enumerate(words):
            if w == "NIP" and i + 1 < len(words):
                regs["nip"] = int(words[i + 1], 16)
            if w.startswith("GPR") and w[3:].isdigit():
                n = int(w[3:])
                for j in range(4):
                    if i + 1 + j < len(words):
                        try:
                            regs[f"r{n + j}"] = int(words[i + 1 + j], 16)
                        except ValueError:
                            break
        return regs

    def run_for(self, seconds):
        self.qmp_cmd("cont")
        time.sleep(seconds)
        self.qmp_cmd("stop")

    # -- life
    def alive(self):
        return self.p.poll() is None

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait(timeout=30)
        self.err.close()
        if self.qmp is not None:
            self.qmp.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class NestedL1:
    """What an L1 hypervisor does, hcall by hcall, on top of an L0."""

    def __init__(self, l0):
        self.l0 = l0

    def set_caps(self, caps=CAP_P10):
        return self.l0.hcall(H_GUEST_SET_CAPABILITIES, 0, caps)[0]

    def create_guest(self):
        rc, out = self.l0.hcall(H_GUEST_CREATE, 0, -1)
        assert rc == H_SUCCESS, rc
        return out[0]

    def create_vcpu(self, guest, vcpu):
        return self.l0.hcall(H_GUEST_CREATE_VCPU, 0, guest, vcpu)[0]

    def set_state(self, guest, vcpu, buf, addr=0x1000000, flags=0,
                  length=None):
        self.l0.write(addr, buf)
        return self.l0.hcall(H_GUEST_SET_STATE, flags, guest, vcpu, addr,
                             len(buf) if length is None else length)[0]

    def get_state(self, guest, vcpu, ids_sizes, addr=0x1100000, flags=0):
        buf = gsb(*[element(i, bytes(s)) for i, s in ids_sizes])
        self.l0.write(addr, buf)
        rc = self.l0.hcall(H_GUEST_GET_STATE, flags, guest, vcpu, addr,
                           len(buf))[0]
        if rc != H_SUCCESS:
            return rc, None
        raw = self.l0.read(addr, len(buf))
        vals, off = {}, 4
        for i, s in ids_sizes:
            vals[i] = raw[off + 4:off + 4 + s]
            off += 4 + s
        return rc, vals
