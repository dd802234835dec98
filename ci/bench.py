#!/usr/bin/env python3
"""The hypercall cost table of `make bench`.

    bench.py [--results DIR] [--ours NAME] [--markdown FILE] [--update-doc docs/performance.md]

Reads DIR/bench-ref.facts and DIR/bench-ours.facts (written by the harness
from tests/l2/l2-bench's FACT lines), computes L1->L0 hcalls per unit of
each workload, prints the table (ours vs the 6.12 reference, ratio, target,
met?) and optionally writes it as markdown and regenerates the "Hypercall
cost" section of docs/performance.md in place (other sections untouched).

--ours NAME takes the "ours" column from DIR/bench-NAME.facts instead
(make bench-modular: NAME=modular, our series in the modular L1).

A kernel without results, or one that cannot run VMs, gets "n/a" rows with
the reason.  Malformed facts are an error naming file and line, and then
nothing is written.
"""
import argparse
import os
import re
import sys

KERNELS = (("ref", "6.12 reference"), ("ours", "6.1 + our series"))

# Console output is not the workload's cost: the L0 gaps make the L1 print
# (e.g. "TLB LPID invalidation hcall failed") from the measured task.
CONSOLE = ("H_PUT_TERM_CHAR", "H_GET_TERM_CHAR")


class Workload:
    def __init__(self, key, unit, label, ref_expect, target, exclude=()):
        self.key, self.unit, self.label = key, unit, label
        self.ref_expect, self.target, self.exclude = ref_expect, target, exclude


# target: (maximum, text) or None
WORKLOADS = [
    Workload("plain", "round trip", "L2 hcall round trip", 1.0,
             (1.05, "1.0 (<= 1.05: L1 timer exits)")),
    Workload("state", "round trip",
             "round trip + VMM state read (GET_REGS, GET_SREGS, 17 ONE_REGs)", 53.0,
             (2.0, "<= 2")),
    Workload("mmio", "MMIO exit", "4-byte MMIO store exit to userspace", None, None),
    Workload("pagefault", "64K page", "L2 page fault (64 MiB touched)", None, None),
    Workload("lifecycle", "VM", "1-vCPU VM: create, 1 run, destroy (RUN_VCPU not counted)",
             10.0, (6.0, "<= 6"), exclude=("H_GUEST_RUN_VCPU",)),
    Workload("cede", "cede",
             "idle L2: H_CEDE, KVM blocks, then delivers the decrementer interrupt",
             None, None),
]


class BenchError(Exception):
    """Malformed input: the message names the file and line."""


class Result:
    """One workload on one kernel: a value per unit, or n/a with a reason."""

    def __init__(self, value=None, reason="", counts=None, units=0, us=None):
        self.value, self.reason = value, reason
        self.counts, self.units, self.us = counts or {}, units, us

    @property
    def ok(self):
        return self.value is not None


def parse_facts(path):
    """key=value lines -> dict.  Raises BenchError on malformed lines."""
    facts = {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError as e:
        raise BenchError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or key != key.strip() or " " in key:
            raise BenchError(f"{path}:{n}: not a key=value line: {line[:80]!r}")
        if key in facts:
            raise BenchError(f"{path}:{n}: {key} given twice")
        facts[key] = value
    return facts


def _count(facts, key, path):
    value = facts[key]
    if not re.fullmatch(r"\d+", value):
        raise BenchError(f"{path}: {key}={value!r} is not a count")
    return int(value)


def workload_result(facts, w, path):
    """Result of workload w from one kernel's facts (path for messages)."""
    base = f"bench.{w.key}"
    if facts.get("bench.counting", "").startswith("n/a"):
        return Result(reason=facts["bench.counting"][3:].lstrip(": ") or "no hcall counting")
    if base in facts:
        value = facts[base]
        if not value.startswith("n/a"):
            raise BenchError(f"{path}: {base}={value!r}: expected 'n/a: reason'")
        return Result(reason=value[3:].lstrip(": ").strip() or "not run")
    if f"{base}.units" not in facts:
        return Result(reason="no result for this workload (did l2-bench run to the end?)")
    units = _count(facts, f"{base}.units", path)
    if units == 0:
        raise BenchError(f"{path}: {base}.units=0")
    counts = {}
    prefix = f"{base}.hc."
    for key in facts:
        if key.startswith(prefix):
            counts[key[len(prefix):]] = _count(facts, key, path)
    if "total" not in counts:
        raise BenchError(f"{path}: {prefix}total missing")
    total = counts.pop("total")
    if sum(counts.values()) > total:
        raise BenchError(f"{path}: {base}: per-opcode counts add up to "
                         f"{sum(counts.values())}, more than the total {total}")
    us = None
    if f"{base}.us" in facts:
        try:
            us = float(facts[f"{base}.us"])
        except ValueError:
            raise BenchError(f"{path}: {base}.us={facts[base + '.us']!r} is not a number")
    counts["other"] = total - sum(counts.values())
    cost = total - sum(counts.get(c, 0) for c in CONSOLE + w.exclude)
    return Result(value=cost / units, counts=counts, units=units, us=us)


def load(results_dir, ours="ours"):
    """{kernel: {workload key: Result}} plus {kernel: kernel release or note}.
    ours: the results name of the "ours" column (bench-OURS.facts)."""
    table, kernels = {}, {}
    for k, _ in KERNELS:
        name = ours if k == "ours" else k
        path = os.path.join(results_dir, f"bench-{name}.facts")
        if not os.path.exists(path):
            why = f"no results: {os.path.basename(path)} missing (kernel not built?)"
            table[k] = {w.key: Result(reason=why) for w in WORKLOADS}
            kernels[k] = "not run"
            continue
        facts = parse_facts(path)
        kernels[k] = facts.get("bench.kernel", "?")
        if "bench.counting" not in facts:
            why = f"l2-bench printed nothing (see bench-{name}.console)"
            table[k] = {w.key: Result(reason=why) for w in WORKLOADS}
            continue
        table[k] = {w.key: workload_result(facts, w, path) for w in WORKLOADS}
    return table, kernels


def fmt(x):
    if x is None:
        return "—"
    if x < 10:
        return f"{x:.2f}"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def rows(table):
    """One row per workload: (workload, label, ref, ours, ratio, target, met)."""
    out = []
    for w in WORKLOADS:
        ref, ours = table["ref"][w.key], table["ours"][w.key]
        ref_s = fmt(ref.value) if ref.ok else f"n/a ({ref.reason})"
        ours_s = fmt(ours.value) if ours.ok else f"n/a ({ours.reason})"
        ratio = (f"{ours.value / ref.value:.2f}" if ref.ok and ours.ok and ref.value
                 else "n/a")
        target = w.target[1] if w.target else "—"
        if not w.target:
            met = "—"
        elif not ours.ok:
            met = "n/a"
        else:
            met = "yes" if ours.value <= w.target[0] + 1e-9 else "no"
        out.append((w, f"{w.label}, per {w.unit}", ref_s, ours_s, ratio, target, met))
    return out


def breakdown(table, k):
    """Per-opcode counts per unit for one kernel: markdown lines."""
    opcodes = sorted({op for r in table[k].values() for op in r.counts
                      if r.counts[op] and op != "other"})
    if not opcodes:
        return []
    lines = ["| workload | units | µs/unit (TCG) | " + " | ".join(opcodes) + " | other |",
             "| --- | ---: | ---: | " + " | ".join("---:" for _ in opcodes) + " | ---: |"]
    for w in WORKLOADS:
        r = table[k][w.key]
        if not r.ok:
            continue
        cells = [f"{r.counts.get(op, 0) / r.units:.2f}" for op in opcodes]
        lines.append(f"| {w.key} | {r.units} | {fmt(r.us)} | " + " | ".join(cells) +
                     f" | {r.counts.get('other', 0) / r.units:.2f} |")
    return lines


def markdown(table, kernels):
    lines = ["| workload | L1→L0 hcalls | reference (6.12) | ours (6.1 + series) "
             "| ours/ref | target | met? |",
             "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for w, label, ref_s, ours_s, ratio, target, met in rows(table):
        lines.append(f"| {w.key} | {label} | {ref_s} | {ours_s} | {ratio} | {target} | {met} |")
    for k, name in KERNELS:
        b = breakdown(table, k)
        if b:
            lines += ["", f"Per opcode and unit, {name} ({kernels[k]}):", ""] + b
    return "\n".join(lines) + "\n"


SECTION_HEAD = "## Hypercall cost"


def section(table, kernels):
    return f"""{SECTION_HEAD}

`make bench` boots the 6.12 reference and our 6.1 in the emulated PowerVM
and runs `tests/l2/l2-bench` in each L1: the same L2 workloads, with every
L1→L0 hypercall counted per opcode by perf counters on the
`powerpc:hcall_entry` tracepoint (filter `opcode == N`), for the bench
process only and only around the measured part.  Costs are hcalls per unit,
console hcalls (`H_PUT_TERM_CHAR`) excluded; the lifecycle row leaves out
`H_GUEST_RUN_VCPU` (its one run is the plain row's business).  Reference
figures to reproduce: 1.0 per plain round trip, 53 with the state read,
10 per VM lifecycle.  `ci/bench.py` regenerates this section; see
docs/l2-suite.md for the workloads.

{markdown(table, kernels)}
Reading the reference column: a round trip is one `H_GUEST_RUN_VCPU`
(the extra ~1% are L1 timer exits); the state read costs one
`H_GUEST_GET_STATE` per register the L1 reloads after each run (52); an
MMIO exit also reloads two registers for instruction emulation; a VM
lifecycle is `H_GUEST_CREATE`, `H_GUEST_CREATE_VCPU`, 4 `H_GUEST_SET_STATE`,
1 `H_GUEST_GET_STATE`, `H_GUEST_DELETE` and 2 `H_TLB_INVALIDATE` that the
emulated PowerVM fails (rc -2, printed on the console).  The cede row is an
idle L2's timer tick: `H_CEDE` with MSR[EE] off and DEC set, KVM blocks the
vCPU, then delivers the decrementer interrupt; hcalls count the same
whatever a `H_GUEST_GET_STATE` carries, and ours fetches the 5 elements
of the interrupt set there (MSR, NIA, SRR0/1, DEC expiry: a 64-byte
buffer) where it fetched the whole register file (~2.4 KB) before 0026.
"""


def update_doc(path, text, head=SECTION_HEAD):
    """Replace the section of path that starts with the line head (a "## "
    heading) by text, or append text."""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else (
        "# Performance\n\nMeasured figures of the nestedv2 pieces. "
        "Each area keeps its own section.\n")
    pat = re.compile(r"^" + re.escape(head) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    if pat.search(old):
        new = pat.sub(lambda m: text + ("\n" if m.end() < len(old) else ""), old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    tmp = path + ".new"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="nestedv2 hypercall cost table")
    ap.add_argument("--results", default=os.environ.get("RESULTS", "build/results"))
    ap.add_argument("--ours", default="ours", metavar="NAME",
                    help="the ours column from bench-NAME.facts (default: ours)")
    ap.add_argument("--markdown", help="write the table here too")
    ap.add_argument("--update-doc", help="regenerate the Hypercall cost section of this file")
    args = ap.parse_args(argv)
    try:
        if not re.fullmatch(r"[a-z0-9-]+", args.ours):
            raise BenchError(f"--ours {args.ours!r}: want a results name like 'modular'")
        table, kernels = load(args.results, args.ours)
    except (BenchError, OSError) as e:
        print(f"bench.py: error: {e}", file=sys.stderr)
        print("bench.py: nothing written", file=sys.stderr)
        return 2
    md = markdown(table, kernels)
    print(md, end="")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(md)
    if args.update_doc:
        update_doc(args.update_doc, section(table, kernels))
        print(f"bench.py: updated the '{SECTION_HEAD[3:]}' section of {args.update_doc}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
