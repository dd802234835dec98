"""nvlat heatmap: the SVG's numbers against the report and against the events
(nvlat script), and the SVG rendered to PNG by ImageMagick (Debian's
imagemagick with libmagickcore-6.q16-6-extra, ci/deps.d/tools.list)."""
import collections
import csv
import io
import json
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

import nvcap
from nvlat_paths import DATA

NS = "{http://www.w3.org/2000/svg}"


def bucket(v):
    """The documented rows: exact below 8, then quarter octaves."""
    if v < 8:
        return v, v
    k = v.bit_length() - 1
    step = 1 << (k - 2)
    lo = v - (v - (1 << k)) % step
    return lo, lo + step - 1


@pytest.fixture(scope="module")
def pattern(tmp_path_factory):
    """Two vCPUs, 3 s; a slower phase in the middle, a 2 % tail."""
    rnd = random.Random(1)
    d = bytearray(nvcap.header())
    d += nvcap.task(4001, 4010, "CPU 0/KVM", "guest1")
    d += nvcap.task(4001, 4011, "CPU 1/KVM", "guest1")
    t = nvcap.T0
    for i in range(20000):
        t += 150_000
        slow = 1.8 if 7000 < i < 12000 else 1.0
        a = int(rnd.lognormvariate(7.2, 0.15) * slow) + (4000 if rnd.random() < 0.02 else 0)
        b = int(rnd.lognormvariate(7.5, 0.2) * slow)
        c = int(rnd.lognormvariate(10, 0.5))
        d += nvcap.event(t, 4001, 4010 + i % 2, i % 2, i % 2, a, b, c)
    f = tmp_path_factory.mktemp("heat") / "pattern.nvl"
    f.write_bytes(bytes(d))
    return f


def heatmap(run, tmp_path, *args, name="h.svg"):
    out = tmp_path / name
    p = run("heatmap", "-o", out, *args)
    assert p.returncode == 0, p.stderr
    return out, ET.parse(out).getroot()


def cells(panel):
    return {(int(r.get("data-col")), int(r.get("data-lo"))): int(r.get("data-count"))
            for r in panel.iter(NS + "rect") if r.get("data-count")}


@pytest.mark.parametrize("src", ["pattern", "sample"])
def test_cells_are_the_events(run, tmp_path, pattern, sample_nvl, src):
    """Every cell's count, recomputed from `nvlat script --csv` (the events a
    report counts: the first per L1 CPU is left out) with the SVG's t0 and
    column width and the documented buckets."""
    f = pattern if src == "pattern" else sample_nvl
    _, root = heatmap(run, tmp_path, "-r", f)
    t0, width = int(root.get("data-t0-ns")), int(root.get("data-col-ns"))
    assert 0 < int(root.get("data-cols")) <= 512
    p = run("script", "-r", f, "--csv")
    assert p.returncode == 0, p.stderr
    rows = [r for r in csv.DictReader(io.StringIO(p.stdout)) if not r["note"]]
    panels = root.findall(NS + "g")
    assert [g.get("data-component") for g in panels] == ["l1_to_l2", "l2_to_l1", "l2_runtime"]
    for g in panels:
        want = collections.Counter()
        for r in rows:
            v = int(r[g.get("data-component") + "_ns"])
            col = (int(r["time_ns"]) - t0) // width
            want[(col, bucket(v)[0])] += 1
        assert cells(g) == dict(want), g.get("data-component")
        assert int(g.get("data-total")) == len(rows)
        for r in g.iter(NS + "rect"):
            if r.get("data-count"):
                assert (int(r.get("data-lo")), int(r.get("data-hi"))) == \
                    bucket(int(r.get("data-lo")))


def test_per_vcpu_totals_match_the_report(run, tmp_path, sample_nvl):
    _, root = heatmap(run, tmp_path, "-r", sample_nvl, "--by", "vcpu",
                      "--component", "l2_to_l1")
    rep = json.loads(run("-r", sample_nvl, "--json").stdout)
    want = {(v["pid"], v["vcpu"]): v["l2_to_l1"]["count"] for v in rep["vcpus"]}
    got = {(int(g.get("data-pid")), int(g.get("data-vcpu"))): int(g.get("data-total"))
           for g in root.findall(NS + "g")}
    assert got == want
    assert {g.get("data-component") for g in root.findall(NS + "g")} == {"l2_to_l1"}
    for g in root.findall(NS + "g"):
        assert sum(cells(g).values()) == int(g.get("data-total"))


def test_fixed_columns_and_filters(run, tmp_path, pattern):
    _, root = heatmap(run, tmp_path, "-r", pattern, "-i", "0.5", "--vcpu", "1")
    assert int(root.get("data-col-ns")) == 500_000_000
    assert int(root.get("data-cols")) == 6
    rep = json.loads(run("-r", pattern, "--json", "--vcpu", "1").stdout)
    for g in root.findall(NS + "g"):
        assert int(g.get("data-total")) == rep["events"]


def test_renders_to_png(run, tmp_path, pattern):
    """ImageMagick draws it: the PNG has the SVG's size, and the pixel in
    the middle of the fullest cell has that cell's colour."""
    convert = shutil.which("convert")
    assert convert, "ImageMagick's convert is missing (ci/deps.d/tools.list: imagemagick)"
    svg, root = heatmap(run, tmp_path, "-r", pattern)
    png = tmp_path / "h.png"
    p = subprocess.run([convert, str(svg), str(png)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    size = subprocess.run(["identify", "-format", "%w %h", str(png)], capture_output=True,
                          text=True, check=True).stdout.split()
    assert size == [root.get("width"), root.get("height")]
    cell = max((r for r in root.iter(NS + "rect") if r.get("data-count")),
               key=lambda r: int(r.get("data-count")))
    x = int(cell.get("x")) + int(cell.get("width")) // 2
    y = int(cell.get("y")) + int(cell.get("height")) // 2
    px = subprocess.run([convert, str(png), "-format", f"%[hex:p{{{x},{y}}}]", "info:"],
                        capture_output=True, text=True, check=True).stdout
    px = px.strip().lower()
    if len(px) >= 12:       # 16 bits per channel: the high byte of each
        px = px[0:2] + px[4:6] + px[8:10]
    assert "#" + px[:6] == cell.get("fill"), (px, cell.attrib)
    colours = subprocess.run(["identify", "-format", "%k", str(png)], capture_output=True,
                             text=True, check=True).stdout
    assert int(colours) > 20        # a heatmap, not a blank page


def test_perf_script_input(run, tmp_path):
    _, root = heatmap(run, tmp_path, "--perf-script", DATA / "sample.perf.txt")
    assert all(int(g.get("data-total")) == 240 for g in root.findall(NS + "g"))


def test_no_events_writes_nothing(run, tmp_path):
    empty = tmp_path / "e.nvl"
    empty.write_bytes(nvcap.header())
    out = tmp_path / "x.svg"
    p = run("heatmap", "-o", out, "-r", empty)
    assert p.returncode == 3 and "no events to draw" in p.stderr
    assert not out.exists()


def test_usage(run, tmp_path, sample_nvl):
    assert run("heatmap", "-r", sample_nvl).returncode == 2           # no -o
    assert run("-r", sample_nvl, "--by", "vcpu").returncode == 2      # not heatmap
    p = run("heatmap", "-o", tmp_path / "x.svg", "-r", sample_nvl, "--component", "l2_to_l1")
    assert p.returncode == 2 and "--by vcpu" in p.stderr
    p = run("heatmap", "-o", tmp_path / "x.svg", "-r", sample_nvl, "--json")
    assert p.returncode == 2
    p = run("heatmap", "-o", tmp_path / "x.svg", "-r", sample_nvl, "-i", "0.0001")
    assert p.returncode == 2 and "longer -i" in p.stderr
    assert not (tmp_path / "x.svg").exists()
