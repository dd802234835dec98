"""Issue 14, "wrong or empty answers with exit 0": each case that used to
give a plausible report (or none) with exit 0 and must not any more.
Run against an older build with NVLAT_BIN=... to see them fail."""
import json
import os
import struct
import subprocess

import pytest

import nvcap
from test_errors import fake_tracefs

S = 1_000_000_000
EX_FAIL, EX_USAGE, EX_BADINPUT, EX_NOTAVAIL = 1, 2, 3, 4


def _line(comm, pid, tid, cpu, t_us, vcpu, a, b=1500, c=30000, pid_field=True):
    who = f"{pid:>6}/{tid:<6}" if pid_field else f"{tid:>6}"
    return (f"{comm:>16} {who} [{cpu:03d}] {t_us // 10**6}.{t_us % 10**6:06d}: "
            f"kvm_hv:kvmppc_vcpu_stats: VCPU {vcpu}: l1_to_l2_cs_time={a} ns "
            f"l2_to_l1_cs_time={b} ns l2_runtime={c} ns")


def _two_vms(pid_field):
    """vCPU 0 of two VMs (threads 4010 and 5010) on CPUs 0 and 1."""
    lines = []
    for i in range(20):
        lines.append(_line("CPU 0/KVM", 4001, 4010, 0, 10**6 + 100 * i, 0, 1000, pid_field=pid_field))
        lines.append(_line("CPU 0/KVM", 5001, 5010, 1, 10**6 + 100 * i + 50, 0, 9000, pid_field=pid_field))
    return "\n".join(lines) + "\n"


def test_perf_script_without_pid_does_not_merge_vms(run, tmp_path):
    f = tmp_path / "nopid.txt"
    f.write_text(_two_vms(pid_field=False))
    p = run("--perf-script", f, "--json")
    # was: one row "vCPU 0 of pid 0" mixing both VMs, exit 0
    assert p.returncode == EX_BADINPUT, p.stdout
    assert p.stdout == ""
    assert "vCPU 0 appears on threads 4010 and 5010" in p.stderr
    assert "perf script -F comm,pid,tid,cpu,time,event,trace" in p.stderr


def test_perf_script_with_pid_separates_them(run, tmp_path):
    f = tmp_path / "pid.txt"
    f.write_text(_two_vms(pid_field=True))
    r = json.loads(run("--perf-script", f, "--json").stdout)
    assert [(v["pid"], v["vcpu"], v["tid"], v["events"]) for v in r["vcpus"]] == \
        [(4001, 0, 4010, 19), (5001, 0, 5010, 19)]


TRACE_PIPE = """\
# tracer: nop
#
# entries-in-buffer/entries-written: 9/9   #P:2
#
#                                _-----=> irqs-off/BH-disabled
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
       CPU 0/KVM-4010    [000] d..2.   100.000001: kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=900000000 ns l2_to_l1_cs_time=900000000 ns l2_runtime=900000000 ns
       CPU 1/KVM-4011    [001] d..2.   100.000002: kvmppc_vcpu_stats: VCPU 1: l1_to_l2_cs_time=900000000 ns l2_to_l1_cs_time=900000000 ns l2_runtime=900000000 ns
       CPU 0/KVM-4010    [000] d..2.   100.000101: kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=1000 ns l2_to_l1_cs_time=2000 ns l2_runtime=7000 ns
       CPU 1/KVM-4011    [001] ....    100.000102: kvmppc_vcpu_stats: VCPU 1: l1_to_l2_cs_time=1100 ns l2_to_l1_cs_time=2100 ns l2_runtime=7100 ns
           <...>-4010    [000] d..2.   100.000201: kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=1200 ns l2_to_l1_cs_time=2200 ns l2_runtime=7200 ns
          <idle>-0       [001] d..2.   100.000202: sched_switch: prev_comm=swapper/1 prev_pid=0 ==> next_pid=4011
"""

TRACE_CMD = """\
cpus=2
       CPU 0/KVM-4010  (4001) [000]   100.000001: kvmppc_vcpu_stats:    VCPU 0: l1_to_l2_cs_time=900000000 ns l2_to_l1_cs_time=900000000 ns l2_runtime=900000000 ns
       CPU 1/KVM-4011  (4001) [001]   100.000002: kvmppc_vcpu_stats:    VCPU 1: l1_to_l2_cs_time=900000000 ns l2_to_l1_cs_time=900000000 ns l2_runtime=900000000 ns
       CPU 0/KVM-4010  (4001) [000]   100.000101: kvmppc_vcpu_stats:    VCPU 0: l1_to_l2_cs_time=1000 ns l2_to_l1_cs_time=2000 ns l2_runtime=7000 ns
       CPU 1/KVM-4011  (4001) [001]   100.000102: kvmppc_vcpu_stats:    VCPU 1: l1_to_l2_cs_time=1100 ns l2_to_l1_cs_time=2100 ns l2_runtime=7100 ns
       CPU 0/KVM-4010  (4001) [000]   100.000201: kvmppc_vcpu_stats:    VCPU 0: l1_to_l2_cs_time=1200 ns l2_to_l1_cs_time=2200 ns l2_runtime=7200 ns
          <idle>-0     (-----) [001]   100.000202: sched_switch:         swapper/1:0 [120] R ==> CPU 1/KVM:4011 [120]
"""


@pytest.mark.parametrize("text,pid", [(TRACE_PIPE, 0), (TRACE_CMD, 4001)],
                         ids=["trace_pipe", "trace-cmd"])
def test_ftrace_and_trace_cmd_text(run, tmp_path, text, pid):
    f = tmp_path / "ftrace.txt"
    f.write_text(text)
    p = run("--perf-script", f, "--json")
    # was: every line skipped as "another event": 0 events, exit 0
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["events"] == 3 and r["bad_records"] == 0 and r["dropped_first"] == 2
    got = {(v["pid"], v["vcpu"], v["tid"], v["thread"], v["events"]) for v in r["vcpus"]}
    assert got == {(pid, 0, 4010, "CPU 0/KVM", 2), (pid, 1, 4011, "CPU 1/KVM", 1)}
    v0 = next(v for v in r["vcpus"] if v["vcpu"] == 0)
    assert v0["l1_to_l2"]["sum"] == 2200 and v0["l2_runtime"]["max"] == 7200


def test_unreadable_input_gives_no_report(run, tmp_path):
    for args in (["--perf-script", tmp_path], ["-r", tmp_path]):
        p = run(*args, "--json")
        # was (--perf-script): a message, then an empty JSON report, exit 0
        assert p.returncode == EX_FAIL, (args, p.returncode)
        assert p.stdout == ""
        assert "Is a directory" in p.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", [[], ["--json"], ["--csv"], ["--json", "-i", "1"]])
def test_report_write_error(nvlat, sample_nvl, fmt):
    with open("/dev/full", "w") as full:
        p = subprocess.run([str(nvlat), "-r", str(sample_nvl), *fmt], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=30)
    # was: exit 0
    assert p.returncode == EX_FAIL
    assert "writing the report: No space left on device" in p.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [["--help"], ["script", "-r", "SAMPLE"]])
def test_other_output_write_error(nvlat, sample_nvl, args):
    args = [str(sample_nvl) if a == "SAMPLE" else a for a in args]
    with open("/dev/full", "w") as full:
        p = subprocess.run([str(nvlat), *args], stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=30)
    assert p.returncode == EX_FAIL and "No space left on device" in p.stderr


def _capture(tmp_path, events, tasks=(), raw_tasks=()):
    data = bytearray(nvcap.header())
    for t in tasks:
        data += nvcap.task(*t)
    for pid, tid, thread, vm in raw_tasks:
        data += nvcap.record(nvcap.TASK, struct.pack("<II", pid, tid) + thread + b"\0" + vm + b"\0")
    for e in events:
        data += nvcap.event(*e)
    f = tmp_path / "c.nvl"
    f.write_bytes(data)
    return f


def test_counter_backwards_and_first_per_cpu_are_left_out(run, tmp_path):
    back = 2**64 - 300                  # the kernel's u64 delta of 0 - 300
    evs = [(S, 10, 11, 0, 0, 50 * 10**9, 60 * 10**9, 900 * 10**9),  # since boot
           (S + 1, 10, 11, 0, 0, 1100, 1600, 20000),
           (S + 2, 10, 11, 0, 0, back, 1600, 20000),
           (S + 3, 10, 11, 0, 0, 1300, 1600, 20000),
           (S + 4, 10, 11, 0, 0, 1200, 1600, back)]
    f = _capture(tmp_path, evs)
    p = run("-r", f, "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    # was: mean 433 < min 1100, p90 1.8e19, a wrong switch share
    assert r["events"] == 2 and r["dropped_first"] == 1 and r["dropped_backwards"] == 2
    (v,) = r["vcpus"]
    s = v["l1_to_l2"]
    assert (s["count"], s["sum"], s["min"], s["max"]) == (2, 2400, 1100, 1300)
    assert s["min"] <= s["mean"] <= s["p90"] <= s["max"]
    assert v["switch_pct"] == pytest.approx(100 * (2400 + 3200) / (2400 + 3200 + 40000), abs=0.01)
    t = run("-r", f).stdout
    assert "2 events" in t.splitlines()[0]
    assert "left out: 1 first per L1 CPU, 2 backwards" in t.splitlines()[0]
    c = run("-r", f, "--csv").stdout.splitlines()
    hdr = c[0].split(",")
    row = dict(zip(hdr, c[1].split(",")))
    assert row["dropped_first"] == "1" and row["dropped_backwards"] == "2"


def test_non_utf8_names_keep_json_valid(run, nvlat, tmp_path):
    evs = [(S, 10, 11, 0xFFFFFFFF, 0, 1000, 1000, 1000)]
    f = _capture(tmp_path, evs, raw_tasks=[(10, 11, b"CPU\xff0/KVM\x1b[2J", b"vm-\xc3\xa9-\xe2\x28\xa1")])
    raw = subprocess.run([str(nvlat), "-r", str(f), "--json"],
                         capture_output=True, timeout=30).stdout
    r = json.loads(raw.decode("utf-8"))          # strict UTF-8: was a UnicodeDecodeError
    assert r["vms"][0]["vm"] == "vm-\u00e9-\ufffd(\ufffd"
    assert r["vcpus"][0]["thread"] == "CPU\ufffd0/KVM\u001b[2J"
    t = run("-r", f).stdout
    assert "vm-\u00e9-\\xe2(\\xa1" in t and "CPU\\xff0/KVM\\x1b[2J" in t
    assert "\x1b" not in t                     # no terminal escapes from names


def test_failed_live_record_leaves_no_file(run, tmp_path):
    out = tmp_path / "cap.nvl"
    tfs = fake_tracefs(tmp_path / "tfs", event=False)
    p = run("record", "-o", out, "-d", "1", env={"NVLAT_TRACEFS": str(tfs)})
    assert p.returncode == EX_NOTAVAIL
    # was: "recorded 0 events" and a capture file left behind
    assert "recorded 0 events" not in p.stderr and "removed" in p.stderr
    assert not out.exists()


def test_record_matching_nothing_leaves_no_file(run, tmp_path, sample_nvl):
    out = tmp_path / "cap.nvl"
    p = run("record", "-o", out, "-r", sample_nvl, "--vm", "nosuchvm")
    assert p.returncode == EX_USAGE and not out.exists()


def test_qemu_vm_name_stays_in_bounds():
    """The C unit test puts a command line whose last element has no NUL
    right before an unreadable page: reading past its length crashes."""
    from nvlat_paths import UNIT_BIN, _need
    p = subprocess.run([str(_need(UNIT_BIN))], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    ok = [l for l in p.stdout.splitlines() if "unterminated last element" in l]
    assert len(ok) >= 2 and all(l.startswith("ok ") for l in ok), ok
