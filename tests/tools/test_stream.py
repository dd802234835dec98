"""Streaming replay: `nvlat record -o - | nvlat -r - -i SECS` prints each
interval's report once the interval is over, not when the input ends or
64 KiB have come (the reader used to wait for a full record window)."""
import json
import os
import select
import subprocess
import time

import nvcap


def _readline(p, timeout):
    """A line of p.stdout within timeout seconds, or None."""
    end = time.monotonic() + timeout
    buf = b""
    fd = p.stdout.fileno()
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            c = os.read(fd, 1)
            if not c:
                return buf.decode() or None
            buf += c
            if c == b"\n":
                return buf.decode()
    return None


def test_reports_stream_from_a_pipe(nvlat):
    p = subprocess.Popen([str(nvlat), "-r", "-", "-i", "1", "--json"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        t0 = nvcap.T0
        first = nvcap.header() + nvcap.task(4001, 4010, "CPU 0/KVM", "g1")
        first += nvcap.event(t0, 4001, 4010, 0, 0, 10**9, 10**9, 10**9)   # first per CPU
        for i in range(1, 11):
            first += nvcap.event(t0 + i * 50_000_000, 4001, 4010, 0, 0, 1000 + i, 2000, 30000)
        # interval 0 is over when an event of interval 1 comes: a few hundred
        # bytes in all, the pipe stays open
        first += nvcap.event(t0 + 1_200_000_000, 4001, 4010, 0, 0, 1500, 2500, 30000)
        p.stdin.write(first)
        p.stdin.flush()
        line = _readline(p, 10)
        assert line, "no report while the pipe is open: the replay does not stream"
        r = json.loads(line)
        assert r["interval"] == 0 and r["events"] == 10 and r["dropped_first"] == 1
        p.stdin.write(nvcap.event(t0 + 1_300_000_000, 4001, 4010, 0, 0, 1600, 2600, 30000))
        p.stdin.close()
        rest = p.stdout.read().decode()
        assert p.wait(10) == 0, p.stderr.read()
        r = json.loads(rest.splitlines()[0])
        assert r["interval"] == 1 and r["events"] == 2
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_record_to_a_pipe_flushes_each_round(run, nvlat, tmp_path):
    """record -o - writes each poll round's events at once; converting a
    capture through a pipe gives the same report."""
    src = tmp_path / "in.nvl"
    src.write_bytes(nvcap.sample_capture())
    rec = subprocess.Popen([str(nvlat), "record", "-o", "-", "-r", str(src)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rep = subprocess.run([str(nvlat), "-r", "-", "--json"], stdin=rec.stdout,
                         capture_output=True, timeout=60)
    rec.stdout.close()
    assert rec.wait(10) == 0
    assert rep.returncode == 0, rep.stderr
    a = json.loads(rep.stdout)
    b = json.loads(run("-r", src, "--json").stdout)
    assert a["events"] == b["events"] == 240 and a["vms"] == b["vms"]
