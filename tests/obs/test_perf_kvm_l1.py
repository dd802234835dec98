"""perf kvm stat from our patched 6.1 tree, run in an L1: `make perf-kvm-l1`.

make perf-kvm-l1 (ci/mk/perfkvm.mk, a manual target, not in make check)
cross-builds perf from build/src/linux-6.1 (ci/perf-build.sh), boots our
6.1 L1 under our QEMU 10.0 L0 and, in ci/initramfs/run/perf-kvm-l1, records
`perf kvm stat record -a` while L2s run (l2-suite smp4 in the background;
l2-suite mmio dec ext illegal pagefault; a Linux L2 under QEMU 7.2), then
reports exits and hcalls with our perf and with Debian's stock perf from
the same file.  The reference is `perf script` of that file: what the
kernel's own trace formats call each trap and hcall (pk-traps, pk-reqs;
a hex code where the kernel has no name).  These tests skip until it has
run; test_perf_names.py checks the same tables statically.
"""
import re

import pytest

import nv2test
import test_perf_names
from test_perf_names import NEW_EXITS

NAME = "perf-kvm-l1"
# "      HV_DECREMENTER     366017    80.01%    61.20%  ..." (perf kvm stat report)
ROW = re.compile(r"^\s*(\w+)\s+(\d+)\s+([\d.]+)%")
# "  366017 HV_DECREMENTER" / "       4 0xea0" (uniq -c of the perf script names)
REF = re.compile(r"^\s*(\d+) (\S+)$")
# The fixture of test_perf_names.py: the patched tree's perf tables,
# {"exit"|"hcall": [(code, name)]}, as perf compiles them.
tables = test_perf_names.tables
# KVMT_H_TEST (tests/l2/kvmt.h): the L2 programs' own hcall, in no table
H_TEST = 0xf100


class Run(nv2test.Boot):
    """The results of make perf-kvm-l1, with its report parsers."""

    def rows(self, tag):
        """perf kvm stat report rows of TAG: [(name, samples)]."""
        return [(m.group(1), int(m.group(2))) for m in map(ROW.match, self.data(tag)) if m]

    def ref(self, tag):
        """{name or code: count} from pk-traps / pk-reqs."""
        out = {}
        for line in self.data(tag):
            m = REF.match(line)
            assert m, f"{tag}: unexpected line {line!r}"
            out[m.group(2)] = int(m.group(1))
        return out


@pytest.fixture(scope="module")
def run():
    nv2test.boot(NAME, "perf-kvm-l1")
    return Run(NAME)


def split(ref, names):
    """Reference labels -> (named: {name: count}, unnamed: {code: count}),
    a hex label turned into its name when NAMES {code: name} has one."""
    named, unnamed = {}, {}
    for label, count in ref.items():
        if not label.startswith("0x"):
            named[label] = named.get(label, 0) + count
        elif int(label, 16) in names:
            n = names[int(label, 16)]
            named[n] = named.get(n, 0) + count
        else:
            unnamed[int(label, 16)] = count
    return named, unnamed


def test_run_is_clean(run):
    """Every result ok, the run item finished, the console clean."""
    run.check_clean()


def test_our_perf_is_from_the_patched_tree(run):
    # "perf version 6.1.192.g9d3a0a39c92f": the tree's kernel version + commit
    assert re.match(r"perf version 6\.1\.\d+\.g[0-9a-f]+$", run.facts["pk.perf_version"])


def check_counts(recorded, rows):
    """Report rows against what perf script counted in the same file.

    perf kvm stat only counts an event it can pair with its counterpart
    of the same vCPU (exit -> next entry, hcall enter -> exit): one per
    vCPU may be open when the recording stops, and on a loaded host it
    skipped more (1,732 of 421,025 HV_DECREMENTER exits, 0.4 %, with a
    CI run sharing the 2 cores).  Never more than recorded; at most 1 %
    (plus the open ones) fewer."""
    for n, c in recorded.items():
        assert c * 0.99 - 8 <= rows[n] <= c, f"{n}: {rows[n]} in the report, {c} recorded"


def test_exits_by_name(run, tables):
    """Every exit recorded is a row with perf's name for it (0101's among
    them); UNKNOWN only for codes that perf's table does not have."""
    names = dict(tables["exit"])
    named, unnamed = split(run.ref("pk-traps"), names)
    rows = dict(run.rows("pk-exits"))
    assert len(named) >= 3, f"too few kinds of exit recorded: {run.ref('pk-traps')}"
    missing = sorted(set(named) - set(rows))
    assert not missing, f"exits recorded but not in the report: {missing}\n{rows}"
    unknown = [n for n, _ in run.rows("pk-exits") if n == "UNKNOWN"]
    assert len(unknown) == len(unnamed), f"UNKNOWN rows {len(unknown)}, codes no table names: " \
        f"{[hex(c) for c in unnamed]}"
    check_counts(named, rows)


def test_new_exit_names_in_report(run, tables):
    """Exits that only 0101 names (the kernel's trace format prints a hex
    code for them) are reported by name by ours, UNKNOWN by Debian's."""
    names = dict(tables["exit"])
    seen = {int(l, 16) for l in run.ref("pk-traps") if l.startswith("0x")} & set(NEW_EXITS)
    if not seen:
        nv2test.skip_manual("perf-kvm-l1", "no exit of the eight 0101 names was recorded this run")
    ours = dict(run.rows("pk-exits"))
    stock = dict(run.rows("pk-stock-exits"))
    assert stock, "no report of Debian's perf"
    for c in seen:
        assert names[c] in ours, f"{names[c]} ({c:#x}) not in our report"
        assert names[c] not in stock, f"Debian's perf already names {c:#x}"
    assert stock.get("UNKNOWN"), "Debian's perf reports no UNKNOWN exit"


def test_hcalls_by_name(run, tables):
    """Every hcall recorded that perf's table (0102: all of asm/hvcall.h)
    names is a row with that name; UNKNOWN only for codes in no table: the
    L2 programs' H_TEST, QEMU's private KVMPPC_H_* (0xf005: VOF client)."""
    names = dict(tables["hcall"])
    named, unnamed = split(run.ref("pk-reqs"), names)
    rows = dict(run.rows("pk-hcalls"))
    assert named, "no named hcall recorded"
    missing = sorted(set(named) - set(rows))
    assert not missing, f"hcalls recorded but not in the report: {missing}\n{rows}"
    unknown = [n for n, _ in run.rows("pk-hcalls") if n == "UNKNOWN"]
    assert len(unknown) == len(unnamed), f"UNKNOWN rows {len(unknown)}, codes no table names: " \
        f"{[hex(c) for c in unnamed]}"
    assert H_TEST in unnamed, "the L2 programs' own hcall (0xf100) was not recorded"
    check_counts(named, rows)


def test_stock_perf_says_unknown_where_ours_names(run):
    """Debian's perf on the same file: the same rows, more of them UNKNOWN
    (0102 names H_GUEST_*, XIVE H_INT_*, H_REGISTER_PROC_TBL, ...)."""
    if not run.data("pk-stock-hcalls"):
        nv2test.skip_manual("perf-kvm-l1", "no Debian perf in the initramfs")
    ours = [n for n, _ in run.rows("pk-hcalls")]
    stock = [n for n, _ in run.rows("pk-stock-hcalls")]
    assert len(ours) == len(stock), f"ours {len(ours)} rows, Debian's {len(stock)}"
    assert stock.count("UNKNOWN") > ours.count("UNKNOWN"), (ours, stock)
    assert set(ours) - set(stock), "our perf names no hcall that Debian's does not"
