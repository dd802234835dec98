"""Bad replay input: a clear error naming the place, exit 3, and every good
event still reported."""
import json
import re

import pytest

import nvcap

EX_BADINPUT = 3


def _boundaries(data):
    return [off for off, _, _ in nvcap.parse(data)]


def _event_offsets(data):
    """Offsets of the sample's 240 real events (after the first event of
    each L1 CPU, which nvlat leaves out)."""
    return [off for off, t, _ in nvcap.parse(data) if t == nvcap.EVENT][len(nvcap.VCPUS):]


def _json(p):
    lines = p.stdout.splitlines()
    assert len(lines) == 1, p.stdout
    return json.loads(lines[0])


def test_flipped_bit_loses_only_that_record(run, golden, tmp_path, sample_nvl):
    data = bytearray(sample_nvl.read_bytes())
    off = _event_offsets(data)[100]
    data[off + 20] ^= 0x40              # inside the payload: checksum catches it
    f = tmp_path / "flip.nvl"
    f.write_bytes(data)
    p = run("-r", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert f"offset {off}: checksum mismatch" in p.stderr
    assert f"resynchronised at offset {off + 60}" in p.stderr
    r = _json(p)
    assert r["events"] == 239 and r["bad_records"] == 1 and r["lost"] == 5
    golden("bad-flip.stderr", p.stderr.replace(str(f), "FILE"))


def test_truncated_capture_keeps_everything_before(run, tmp_path, sample_nvl):
    data = sample_nvl.read_bytes()
    offs = _event_offsets(data)
    cut = offs[200] + 33                # in the middle of event 200
    f = tmp_path / "cut.nvl"
    f.write_bytes(data[:cut])
    p = run("-r", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert re.search(rf"offset {offs[200]}: truncated record at end of file \(33 bytes left\): "
                     "the capture was cut short", p.stderr), p.stderr
    r = _json(p)
    assert r["events"] == 200 and r["bad_records"] == 1


def test_cut_in_header(run, tmp_path, sample_nvl):
    f = tmp_path / "hdr.nvl"
    f.write_bytes(sample_nvl.read_bytes()[:11])
    p = run("-r", f)
    assert p.returncode == EX_BADINPUT
    assert "truncated capture: 11 of the 16 header bytes" in p.stderr


def test_junk_between_records_is_skipped(run, tmp_path, sample_nvl):
    data = sample_nvl.read_bytes()
    b = _boundaries(data)[50]
    junk = b"\xde\xad\xbe\xef" * 25 + b"nv"     # includes a false marker
    f = tmp_path / "junk.nvl"
    f.write_bytes(data[:b] + junk + data[b:])
    p = run("-r", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert f"offset {b}: no record marker (garbled data); skipped {len(junk)} bytes" in p.stderr
    r = _json(p)
    assert r["events"] == 240 and r["bad_records"] == 1


def test_garbled_length_field(run, tmp_path, sample_nvl):
    data = bytearray(sample_nvl.read_bytes())
    off = _event_offsets(data)[10]
    data[off + 4:off + 8] = (10**6).to_bytes(4, "little")
    f = tmp_path / "len.nvl"
    f.write_bytes(data)
    p = run("-r", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert f"offset {off}: impossible record length" in p.stderr
    assert _json(p)["events"] == 239


def test_many_bad_records_are_summarised(run, tmp_path, sample_nvl):
    data = bytearray(sample_nvl.read_bytes())
    offs = _event_offsets(data)
    for off in offs[::10]:               # 24 damaged events
        data[off + 30] ^= 1
    f = tmp_path / "many.nvl"
    f.write_bytes(data)
    p = run("-r", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert p.stderr.count("checksum mismatch") == 10
    assert "14 more bad records not shown" in p.stderr
    assert _json(p)["events"] == 240 - 24
    assert _json(p)["bad_records"] == 24


def test_unknown_record_type_is_skipped_silently(run, tmp_path, sample_nvl):
    data = sample_nvl.read_bytes()
    b = _boundaries(data)[30]
    f = tmp_path / "future.nvl"
    f.write_bytes(data[:b] + nvcap.record(99, b"from a newer nvlat") + data[b:])
    p = run("-r", f, "--json")
    assert p.returncode == 0 and p.stderr == ""
    assert _json(p)["events"] == 240


def test_short_task_record_is_reported(run, tmp_path, sample_nvl):
    data = sample_nvl.read_bytes()
    b = _boundaries(data)[3]
    f = tmp_path / "task.nvl"
    f.write_bytes(data[:b] + nvcap.record(nvcap.TASK, b"\x01\x00\x00\x00\x02\x00") + data[b:])
    p = run("-r", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert f"offset {b}: record of type 2 is too short" in p.stderr
    assert _json(p)["events"] == 240


@pytest.mark.parametrize("content,why", [
    (b"", "not an nvlat capture"),
    (b"hello world\nthis is text\n", "for `perf script` text use --perf-script"),
    (b"NVLATCAP" + b"\x07\x00\x10\x00\x00\x00\x00\x00", "unsupported capture version 7"),
])
def test_not_a_capture(run, tmp_path, content, why):
    f = tmp_path / "x.nvl"
    f.write_bytes(content)
    p = run("-r", f)
    assert p.returncode == EX_BADINPUT
    assert why in p.stderr
    assert p.stdout == ""


def test_missing_file(run, tmp_path):
    p = run("-r", tmp_path / "nope.nvl")
    assert p.returncode == 1
    assert "cannot open" in p.stderr and "No such file" in p.stderr


def test_perf_script_garbled_lines(run, golden, tmp_path, sample_txt):
    lines = sample_txt.read_text().splitlines()
    # line numbers below are 1-based positions in the damaged file
    lines[10] = lines[10].replace("l2_runtime=", "l2_runtime=x")
    lines[20] = "\x01\x02garbage \xff line"
    lines[30] = lines[30].split("kvm_hv:")[0] + "kvm_hv:kvmppc_vcpu_stats: VCPU 0: l1_to_l2_cs_time=5 ns"
    lines[40] = lines[40].replace("[", "").replace("]", "").replace(": kvm_hv", " kvm_hv")
    text = "\n".join(lines) + "\n"
    text = text[:-40]                    # and the last line is cut short
    f = tmp_path / "bad.txt"
    f.write_text(text)
    p = run("--perf-script", f, "--json")
    assert p.returncode == EX_BADINPUT
    err = p.stderr.replace(str(f), "FILE")
    assert "line 11: bad value for l2_runtime" in err
    assert "line 21: not a `perf script` sample line" in err
    assert "line 31: missing l2_to_l1_cs_time" in err
    assert "line 41: no timestamp" in err
    assert f"line {len(lines)}: truncated last line" in err
    good = sum(1 for i, l in enumerate(lines[:-1])
               if "kvm_hv:kvmppc_vcpu_stats" in l and i not in (10, 30, 40))
    good -= len(nvcap.VCPUS)             # the first event of each L1 CPU
    r = _json(p)
    assert r["events"] == good and r["bad_records"] == 5
    golden("bad-perf-script.stderr", err)


def test_perf_script_nul_bytes(run, tmp_path, sample_txt):
    data = sample_txt.read_bytes().replace(b"VCPU 1: l1_to_l2_cs_time=1137",
                                           b"VCPU\x001: l1_to_l2_cs_time=1137", 1)
    f = tmp_path / "nul.txt"
    f.write_bytes(data)
    p = run("--perf-script", f, "--json")
    assert p.returncode == EX_BADINPUT
    assert "binary data (NUL byte)" in p.stderr
    assert _json(p)["events"] == 239


def test_perf_script_of_a_binary_file(run, sample_nvl):
    p = run("--perf-script", sample_nvl, "--json")
    assert p.returncode == EX_BADINPUT
    assert _json(p)["events"] == 0
    assert "bad input record" in p.stderr


def test_bad_input_in_interval_mode_is_counted_per_interval(run, tmp_path, sample_nvl):
    data = bytearray(sample_nvl.read_bytes())
    offs = _event_offsets(data)
    data[offs[5] + 30] ^= 1              # first second
    data[offs[230] + 30] ^= 1            # last half second
    f = tmp_path / "iv.nvl"
    f.write_bytes(data)
    p = run("-r", f, "--json", "-i", "1")
    assert p.returncode == EX_BADINPUT
    reps = [json.loads(x) for x in p.stdout.splitlines()]
    assert [r["bad_records"] for r in reps] == [1, 0, 1]
    assert sum(r["events"] for r in reps) == 238
