"""Errors that name exactly what is missing: tracefs, the tracepoint, the
PMU, permissions; and command line mistakes."""
import os
import pathlib
import shutil
import tempfile

import pytest

EX_USAGE, EX_NOTAVAIL, EX_PERM = 2, 4, 5

FORMAT = """name: kvmppc_vcpu_stats
ID: {id}
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int vcpu_id;\toffset:8;\tsize:4;\tsigned:1;
\tfield:u64 l1_to_l2_cs;\toffset:16;\tsize:8;\tsigned:0;
\tfield:u64 l2_to_l1_cs;\toffset:24;\tsize:8;\tsigned:0;
\tfield:u64 l2_runtime;\toffset:32;\tsize:8;\tsigned:0;

print fmt: "VCPU %d: l1_to_l2_cs_time=%llu ns l2_to_l1_cs_time=%llu ns l2_runtime=%llu ns", REC->vcpu_id, REC->l1_to_l2_cs, REC->l2_to_l1_cs, REC->l2_runtime
"""


def fake_tracefs(root, *, kvm_hv=True, event=True, fmt=FORMAT, id_text="4242\n"):
    (root / "events").mkdir(parents=True)
    if kvm_hv:
        (root / "events" / "kvm_hv").mkdir()
    if event:
        d = root / "events" / "kvm_hv" / "kvmppc_vcpu_stats"
        d.mkdir()
        (d / "id").write_text(id_text)
        (d / "format").write_text(fmt.format(id=id_text.strip()))
    return root


def test_tracefs_dir_without_events(run, tmp_path):
    p = run("-d", "1", env={"NVLAT_TRACEFS": str(tmp_path)})
    assert p.returncode == EX_NOTAVAIL
    assert "has no events/ directory: not a tracefs" in p.stderr


def test_no_kvm_hv(run, tmp_path):
    p = run("-d", "1", env={"NVLAT_TRACEFS": str(fake_tracefs(tmp_path, kvm_hv=False, event=False))})
    assert p.returncode == EX_NOTAVAIL
    assert "no kvm_hv tracepoints" in p.stderr and "modprobe kvm_hv" in p.stderr


def test_kernel_too_old(run, tmp_path):
    p = run("-d", "1", env={"NVLAT_TRACEFS": str(fake_tracefs(tmp_path, event=False))})
    assert p.returncode == EX_NOTAVAIL
    assert "tracepoint kvm_hv:kvmppc_vcpu_stats not found" in p.stderr
    assert "kernel is too old" in p.stderr and "6.11" in p.stderr


def test_format_without_a_field(run, tmp_path):
    fmt = FORMAT.replace("l2_runtime;", "l2_run;")
    p = run("-d", "1", env={"NVLAT_TRACEFS": str(fake_tracefs(tmp_path, fmt=fmt))})
    assert p.returncode == EX_NOTAVAIL
    assert "no field 'l2_runtime'" in p.stderr and "/format" in p.stderr


def test_garbled_id(run, tmp_path):
    p = run("-d", "1", env={"NVLAT_TRACEFS": str(fake_tracefs(tmp_path, id_text="zz\n"))})
    assert p.returncode == 1
    assert "cannot read the tracepoint id" in p.stderr and "not a number" in p.stderr


def test_kernel_rejects_the_event(run, tmp_path):
    # a well-formed tracefs whose id the running kernel does not know:
    # format parsing succeeds, perf_event_open fails and says so
    fake = fake_tracefs(tmp_path, id_text="987654\n")
    p = run("-d", "1", "-v", env={"NVLAT_TRACEFS": str(fake)})
    assert p.returncode in (1, EX_NOTAVAIL, EX_PERM), p.stderr
    assert "id 987654, fields at offsets 8/16/24/32 (record >= 40 bytes)" in p.stderr
    assert "kvm_hv:kvmppc_vcpu_stats on CPU" in p.stderr


def fake_pmu(root, type_text="98765\n", events=None):
    d = root / "bus" / "event_source" / "devices" / "vpa_pmu"
    (d / "events").mkdir(parents=True)
    (d / "format").mkdir()
    (d / "type").write_text(type_text)
    (d / "format" / "event").write_text("config:0-31\n")
    events = events or {"l1_to_l2_lat": "event=0x01\n", "l2_to_l1_lat": "event=0x02\n",
                        "l2_runtime_agg": "event=0x03\n"}
    for k, v in events.items():
        (d / "events" / k).write_text(v)
    return root


def test_pmu_missing(run, tmp_path):
    p = run("--pmu", "-d", "1", env={"NVLAT_SYSFS": str(tmp_path)})
    assert p.returncode == EX_NOTAVAIL
    assert "vpa_pmu PMU is not available" in p.stderr
    assert "6.13" in p.stderr and "CONFIG_VPA_PMU" in p.stderr


def test_pmu_encodings_and_open_failure(run, tmp_path):
    p = run("--pmu", "-d", "1", "-v", env={"NVLAT_SYSFS": str(fake_pmu(tmp_path))})
    assert "vpa_pmu/l1_to_l2_lat/: type 98765 config 0x1" in p.stderr
    assert "vpa_pmu/l2_to_l1_lat/: type 98765 config 0x2" in p.stderr
    assert "vpa_pmu/l2_runtime_agg/: type 98765 config 0x3" in p.stderr
    assert p.returncode in (1, EX_NOTAVAIL, EX_PERM)
    assert "vpa_pmu/l1_to_l2_lat/ (type 98765, config 0x1)" in p.stderr


def test_pmu_missing_event(run, tmp_path):
    root = fake_pmu(tmp_path, events={"l1_to_l2_lat": "event=0x01\n"})
    p = run("--pmu", "-d", "1", env={"NVLAT_SYSFS": str(root)})
    assert p.returncode == EX_NOTAVAIL
    assert "the PMU has no event l2_to_l1_lat" in p.stderr


def test_pmu_bad_type(run, tmp_path):
    p = run("--pmu", "-d", "1", env={"NVLAT_SYSFS": str(fake_pmu(tmp_path, type_text="abc"))})
    assert p.returncode == 1 and "cannot read the PMU type" in p.stderr


def test_pmu_no_such_pid(run, tmp_path):
    p = run("--pmu", "-p", "999999999", "-d", "1", env={"NVLAT_SYSFS": str(fake_pmu(tmp_path))})
    assert p.returncode == 1 and "no process 999999999" in p.stderr


def _as_nobody():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to drop privileges")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all"]


def test_permission_denied_names_paranoid(run, nvlat):
    pre = _as_nobody()
    # pytest's tmp_path is private to root: use a world-readable directory
    top = pathlib.Path(tempfile.mkdtemp(prefix="nvlat-perm-"))
    try:
        fake = fake_tracefs(top / "tfs")
        for q in [top, *top.rglob("*")]:
            q.chmod(0o755 if q.is_dir() else 0o644)
        p = run("-d", "1", env={"NVLAT_TRACEFS": str(fake)}, binary=pre + [str(nvlat)])
    finally:
        shutil.rmtree(top)
    paranoid = pathlib.Path("/proc/sys/kernel/perf_event_paranoid").read_text().strip()
    if int(paranoid) < 0:
        pytest.skip("perf_event_paranoid < 0 lets anyone open the event")
    assert p.returncode in (EX_PERM, EX_NOTAVAIL), p.stderr
    if p.returncode == EX_PERM:
        assert f"perf_event_paranoid is {paranoid}" in p.stderr
        assert "CAP_PERFMON" in p.stderr


def test_real_tracefs_as_nobody(run, nvlat):
    pre = _as_nobody()
    p = run("-d", "1", binary=pre + [str(nvlat)])
    assert p.returncode in (EX_PERM, EX_NOTAVAIL), p.stderr
    assert ("permission denied" in p.stderr or "tracefs is not mounted" in p.stderr
            or "no kvm_hv tracepoints" in p.stderr)


@pytest.mark.parametrize("args,why", [
    (["-i", "0"], "bad interval '0'"),
    (["-i", "x"], "bad interval"),
    (["-d", "-1"], "bad duration"),
    (["--json", "--csv"], "--json and --csv exclude each other"),
    (["-r", "a", "--perf-script", "b"], "-r and --perf-script exclude each other"),
    (["--pmu", "-r", "a"], "--pmu reads live counters"),
    (["-p", "12"], "-p PID goes with --pmu"),
    (["--pmu", "--hist"], "--pmu only counts totals"),
    (["--vcpu", "x"], "bad vCPU number 'x'"),
    (["--vm", ""], "--vm needs a name or a pid"),
    (["-m", "3"], "a power of two"),
    (["-o", "f"], "-o FILE goes with record"),
    (["record"], "record needs -o FILE"),
    (["record", "-o", "f", "--json"], "record writes a capture"),
    (["--fields", "a,b"], "--fields wants 4 names"),
    (["--bogus"], "unrecognized option"),
    (["extra"], "unexpected argument 'extra'"),
    (["-d", "1", "record", "-o", "f"], "unexpected argument 'record'"),
])
def test_usage_errors(run, args, why):
    p = run(*args)
    assert p.returncode == EX_USAGE, (args, p.stderr)
    assert why in p.stderr
    assert "Try 'nvlat --help'" in p.stderr
    assert p.stdout == ""


def test_bad_tracepoint_name(run):
    p = run("--tracepoint", "nocolon", "-d", "1")
    assert p.returncode == EX_USAGE and "want SYSTEM:EVENT" in p.stderr
