"""nvlat --by-exit: switch time by the exit that ended each run.

The data set (nvcap.exit_runs) has, per vCPU thread, kvmppc_vcpu_stats, then
kvm_guest_exit with the trap, then kvm_hcall_enter for SYSCALL exits, as the
6.1 series and the 6.12 reference emit them; plus a lost exit event, a
SYSCALL exit without its hcall event, the first event per L1 CPU (left out,
its exit unpaired) and an exit of a run the L0 did not account.
"""
import collections
import json

import pytest

import nvcap
from nvlat_paths import DATA
from test_errors import fake_tracefs

EXITS_NVL = DATA / "exits.nvl"
EXITS_TXT = DATA / "exits.perf.txt"


def test_committed_exit_samples_match_the_writer():
    assert EXITS_NVL.read_bytes() == nvcap.exits_capture()
    assert EXITS_TXT.read_text() == nvcap.exits_perf_script()
    kinds = collections.Counter(t for _, t, _ in nvcap.parse(EXITS_NVL.read_bytes()))
    assert kinds[nvcap.EVENT] == 284 and kinds[nvcap.EXIT] == 284


@pytest.mark.parametrize("name,src,args", [
    ("exits-capture-table.txt", EXITS_NVL, []),
    ("exits-capture-json.txt", EXITS_NVL, ["--json"]),
    ("exits-perf-script-table.txt", EXITS_TXT, ["--vm", "4001"]),
])
def test_golden_by_exit(run, golden, name, src, args):
    flag = "-r" if src.suffix == ".nvl" else "--perf-script"
    p = run(flag, src, "--by-exit", *args)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    golden(name, p.stdout)


def expected():
    """Pair the data set in Python, independently of nvlat's C."""
    first_cpu = set()
    pend = {}           # tid -> [state, stats tuple, trap]
    rows = collections.defaultdict(lambda: [0, 0])      # (pid, vcpu, reason)
    names = {0x980: "HV_DECREMENTER", 0xe40: "H_EMUL_ASSIST", 0x500: "EXTERNAL",
             0xc00: "SYSCALL", 0: "H_CEDE (trap 0)"}
    hnames = {0x58: "H_PUT_TERM_CHAR", 0x6c: "H_IPI", 0x108: "H_SEND_CRQ"}

    def settle(p, reason):
        _, (pid, vcpu, sw) = p[0], p[1]
        for key in ((pid, -1, reason), (pid, vcpu, reason)):
            rows[key][0] += 1
            rows[key][1] += sw
        p[0] = 0

    for kind, t, pid, tid, cpu, vcpu, a, b, c in nvcap.exit_runs():
        p = pend.setdefault(tid, [0, None, None])
        if kind == "stats":
            if p[0] == 1:
                settle(p, "(no exit event)")
            elif p[0] == 2:
                settle(p, "SYSCALL")
            if cpu in first_cpu:
                p[:] = [1, (pid, vcpu, a + b), None]
            first_cpu.add(cpu)
        elif kind == "exit" and p[0] == 1:
            if a == 0xc00:
                p[0] = 2
            else:
                settle(p, names[a])
        elif kind == "hcall" and p[0] == 2:
            settle(p, "hcall " + hnames[a])
    for p in pend.values():
        if p[0] == 1:
            settle(p, "(no exit event)")
        elif p[0] == 2:
            settle(p, "SYSCALL")
    return rows


def _by_exit(run, *args):
    p = run(*args, "--by-exit", "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_pairing_matches_an_independent_one(run):
    r = _by_exit(run, "-r", EXITS_NVL)
    got = {}
    for row in r["by_exit"]["vms"]:
        got[(row["pid"], -1, row["reason"])] = [row["count"], row["switch_sum"]]
    for row in r["by_exit"]["vcpus"]:
        got[(row["pid"], row["vcpu"], row["reason"])] = [row["count"], row["switch_sum"]]
    assert got == {k: v for k, v in expected().items()}
    # every counted event is in exactly one row, its switch time too
    for vm in r["vms"]:
        rows = [x for x in r["by_exit"]["vms"] if x["pid"] == vm["pid"]]
        assert sum(x["count"] for x in rows) == vm["events"]
        assert sum(x["switch_sum"] for x in rows) == \
            vm["l1_to_l2"]["sum"] + vm["l2_to_l1"]["sum"]
        assert sum(x["share_pct"] for x in rows) == pytest.approx(100, abs=0.05)
    assert r["by_exit"]["paired"] == 279
    assert r["by_exit"]["unpaired_exits"] == 5  # 4 after a first event, 1 unaccounted


def test_hcall_rows_carry_the_numbers(run):
    r = _by_exit(run, "-r", EXITS_NVL)
    rows = {x["reason"]: x for x in r["by_exit"]["vms"] if x["pid"] == 4001}
    assert rows["hcall H_PUT_TERM_CHAR"]["trap"] == 0xc00
    assert rows["hcall H_PUT_TERM_CHAR"]["hcall"] == 0x58
    assert rows["HV_DECREMENTER"]["trap"] == 0x980
    assert rows["HV_DECREMENTER"]["hcall"] is None
    # the costly exit costs most (the data set's +2500 ns)
    top = max(rows.values(), key=lambda x: x["switch_mean"])
    assert top["reason"] == "H_EMUL_ASSIST"


def test_capture_text_and_record_agree(run, tmp_path):
    a = _by_exit(run, "-r", EXITS_NVL)["by_exit"]
    b = _by_exit(run, "--perf-script", EXITS_TXT)["by_exit"]
    strip = [{k: v for k, v in x.items() if k not in ("vm", "thread")}
             for x in a["vms"] + a["vcpus"]]
    assert strip == [{k: v for k, v in x.items() if k not in ("vm", "thread")}
                     for x in b["vms"] + b["vcpus"]]
    cap = tmp_path / "x.nvl"
    p = run("record", "-o", cap, "--perf-script", EXITS_TXT)
    assert p.returncode == 0, p.stderr
    c = _by_exit(run, "-r", cap)["by_exit"]
    assert [{k: v for k, v in x.items() if k not in ("vm", "thread")}
            for x in c["vms"] + c["vcpus"]] == strip


def test_ftrace_text_of_the_exit_events(run, tmp_path):
    # tracefs trace_pipe with record-tgid: COMM-TID (TGID) [CPU] FLAGS SECS: NAME: TEXT
    lines = []
    for line in EXITS_TXT.read_text().splitlines():
        head, _, text = line.partition(": kvm_hv:")
        comm_pidtid, cpu, ts = head.rsplit(None, 2)
        comm, pidtid = comm_pidtid.rsplit(None, 1)
        pid, tid = pidtid.split("/")
        lines.append(f"{comm.strip()}-{tid} ({pid}) {cpu} d..2. {ts}: {text}")
    f = tmp_path / "trace.txt"
    f.write_text("\n".join(lines) + "\n")
    a = _by_exit(run, "-r", EXITS_NVL)["by_exit"]
    b = _by_exit(run, "--perf-script", f)["by_exit"]
    assert [(x["pid"], x["reason"], x["count"], x["switch_sum"]) for x in a["vms"]] == \
        [(x["pid"], x["reason"], x["count"], x["switch_sum"]) for x in b["vms"]]


def test_numeric_fields_and_unknown_values(run, tmp_path):
    # perf's name=value fallback, and values the kernel's tables do not name
    f = tmp_path / "t.txt"
    f.write_text(
        "a 1/2 [001] 1.000000: kvm_hv:kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=1 ns l2_to_l1_cs_time=1 ns l2_runtime=1 ns\n"
        "a 1/2 [001] 1.000001: kvm_hv:kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=100 ns l2_to_l1_cs_time=200 ns l2_runtime=9 ns\n"
        "a 1/2 [001] 1.000002: kvm_hv:kvm_guest_exit: vcpu_id=0 trap=3072 pc=0 msr=0 ceded=0\n"
        "a 1/2 [001] 1.000003: kvm_hv:kvm_hcall_enter: vcpu_id=0 req=0xf810 gpr4=0\n"
        "a 1/2 [001] 1.000004: kvm_hv:kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=10 ns l2_to_l1_cs_time=20 ns l2_runtime=9 ns\n"
        "a 1/2 [001] 1.000005: kvm_hv:kvm_guest_exit: VCPU 0: trap=0x1234 pc=0x0 msr=0x0, ceded=0\n")
    r = _by_exit(run, "--perf-script", f)["by_exit"]["vms"]
    assert {(x["reason"], x["count"], x["switch_sum"]) for x in r} == {
        ("hcall 0xf810", 1, 300), ("trap 0x1234", 1, 30)}


def test_bad_exit_lines_are_reported(run, tmp_path):
    f = tmp_path / "t.txt"
    f.write_text(
        "a 1/2 [001] 1.000000: kvm_hv:kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=1 ns l2_to_l1_cs_time=1 ns l2_runtime=1 ns\n"
        "a 1/2 [001] 1.000002: kvm_hv:kvm_guest_exit: VCPU 0: trap=NO_SUCH_TRAP pc=0x0 msr=0x0, ceded=0\n"
        "a 1/2 [001] 1.000003: kvm_hv:kvm_hcall_enter: VCPU 0: GPR4-7=0x0,0x0,0x0,0x0\n")
    p = run("--perf-script", f, "--by-exit")
    assert p.returncode == 3
    assert "line 2: bad trap" in p.stderr and "line 3: missing hcall=" in p.stderr


def test_input_without_exit_events_is_an_error(run, sample_nvl):
    p = run("-r", sample_nvl, "--by-exit")
    assert p.returncode == 3
    assert "no kvm_hv:kvm_guest_exit events" in p.stderr
    assert "nvlat record --by-exit" in p.stderr
    assert "no exits paired with events (no kvm_guest_exit events in the input)" in p.stdout


def test_usage(run):
    p = run("-r", EXITS_NVL, "--by-exit", "--csv")
    assert p.returncode == 2 and "--by-exit" in p.stderr
    p = run("script", "-r", EXITS_NVL, "--by-exit")
    assert p.returncode == 2


def test_without_by_exit_the_exit_events_change_nothing(run, tmp_path):
    # the stats of exits.nvl with and without the exit records: same report
    data = bytearray(nvcap.header())
    for _, t, payload in nvcap.parse(EXITS_NVL.read_bytes()):
        if t not in (nvcap.EXIT, nvcap.HCALL):
            data += nvcap.record(t, payload)
    f = tmp_path / "stats-only.nvl"
    f.write_bytes(bytes(data))
    a = run("-r", EXITS_NVL, "--json")
    b = run("-r", f, "--json")
    assert a.returncode == b.returncode == 0
    a, b = json.loads(a.stdout), json.loads(b.stdout)
    for r in (a, b):    # the time range is the input's, exit events too
        for k in ("end_s", "end_clock_s"):
            del r[k]
    assert a == b


def test_live_needs_the_exit_tracepoints(run, tmp_path):
    p = run("--by-exit", "-d", "1", env={"NVLAT_TRACEFS": str(fake_tracefs(tmp_path))})
    assert p.returncode == 4
    assert "kvm_hv:kvm_guest_exit not found" in p.stderr
