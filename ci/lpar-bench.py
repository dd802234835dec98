#!/usr/bin/env python3
"""The LPAR measurement of `make lpar-bench`: ours against the 6.12 reference.

    lpar-bench.py [--results DIR] [--variant xics] [--markdown FILE]
                  [--update-doc docs/performance.md]

Reads DIR/lpar-bench-ref.facts and DIR/lpar-bench-ours.facts, written by
the harness from the LPAR's nv2-lpar-bench (ci/lpar.sh bench ref|ours: the
same Debian 12 image booted with Debian's 6.12 and with our 6.1 kernel
package), or with --variant xics DIR/lpar-bench-{ref,ours}-xics.facts
(ci/lpar.sh bench ref|ours xics: the L2 on XICS, ic-mode=xics, where it
must make XICS hypercalls in every round).  Each has, per round N, three phases counted by the LPAR's perf
on the L2's QEMU process:

    bench.rN.boot.*   virsh resume until the L2's marker (one L2 boot)
    bench.rN.idle.*   5 s of the booted, idle L2
    bench.rN.dd.*     the L2 reads 64 MiB with O_DIRECT in 4 KiB requests

with the counters s (wall seconds), exits (kvm_hv:kvm_guest_exit), l2hc
(kvm_hv:kvm_hcall_enter), hcalls (powerpc:hcall_entry: the LPAR's
hypercalls to the L0), runvcpu (of those, H_GUEST_RUN_VCPU: one per L2
exit under nestedv2), uexits (kvm:kvm_userspace_exit: returns to QEMU),
uhc (of those, the L2's hypercalls QEMU answers), tce (the L2's TCE
hypercalls) and xics (its XICS hypercalls), and bench.rN.qemu.tce64_failed
and .msgs (QEMU's "Failed to create TCE64 table" lines and all its
messages at that round's start).  A dd request's cost is the dd window's count less
the idle rate over the same time, over the 16384 requests.  Each figure is the median of the complete
rounds; the ratio is ours/ref.

Every round must be complete and every count a number: a missing or
malformed file, a counter perf did not count, or a kernel without one
complete round is an error naming file and key, and then nothing is
written (exit 2).
"""
import argparse
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import BenchError, parse_facts, update_doc  # noqa: E402

KERNELS = (("ref", "6.12 reference"), ("ours", "6.1 + our series"))
COUNTERS = ("s", "exits", "l2hc", "hcalls", "runvcpu", "uexits", "uhc", "tce", "xics")
PHASES = ("boot", "idle", "dd")
REQUESTS = 64 * 1024 * 1024 // 4096
# variant: (file suffix, the icmode fact the bench printed, section head)
VARIANTS = {
    "default": ("", "default", "## The LPAR: ours vs 6.12 under virsh"),
    "xics": ("-xics", "xics", "## The LPAR with XICS: ours vs 6.12 under virsh"),
}

# (key, label, unit, function of one round's counts -> value).  An L2 exit
# is an H_GUEST_RUN_VCPU that returned: under nestedv2 every entry of the
# L2 is one such call.  kvm_guest_exit is listed too, but does not compare:
# 6.12 fires it where no L2 exit took place (an idle L2: ~2000/s against
# ~30 H_GUEST_RUN_VCPU/s), 6.1 + ours once per exit.
ROWS = [
    ("boot.s", "L2 boot to marker (TCG wall)", "s", lambda r: r["boot"]["s"]),
    ("boot.runvcpu", "L2 exits (H_GUEST_RUN_VCPU)", "per L2 boot", lambda r: r["boot"]["runvcpu"]),
    ("boot.hcalls", "L1->L0 hypercalls", "per L2 boot", lambda r: r["boot"]["hcalls"]),
    ("boot.hpe", "L1->L0 hypercalls", "per L2 exit (boot)",
     lambda r: r["boot"]["hcalls"] / r["boot"]["runvcpu"]),
    ("boot.l2hc", "L2 hypercalls seen by the L1 (kvm_hcall_enter)", "per L2 boot",
     lambda r: r["boot"]["l2hc"]),
    ("boot.exits", "kvm_guest_exit tracepoint hits (not comparable)", "per L2 boot",
     lambda r: r["boot"]["exits"]),
    ("boot.uexits", "L2 exits to QEMU (kvm_userspace_exit)", "per L2 boot",
     lambda r: r["boot"]["uexits"]),
    ("boot.uhc", "of them, L2 hypercalls QEMU answers", "per L2 boot", lambda r: r["boot"]["uhc"]),
    ("boot.inkernel", "L2 hypercalls the L1 kernel answers (seen less QEMU's)", "per L2 boot",
     lambda r: r["boot"]["l2hc"] - r["boot"]["uhc"]),
    ("boot.tce", "L2 TCE hypercalls (H_PUT_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT)", "per L2 boot",
     lambda r: r["boot"]["tce"]),
    ("boot.xics", "L2 XICS hypercalls (H_EOI, H_CPPR, H_IPI, H_IPOLL, H_XIRR, H_XIRR_X)",
     "per L2 boot", lambda r: r["boot"]["xics"]),
    ("qemu.tce64", "QEMU's \"Failed to create TCE64 table\" lines", "per L2 start",
     lambda r: r["qemu"]["tce64_failed"]),
    ("qemu.msgs", "QEMU's messages in the domain's log", "per L2 start",
     lambda r: r["qemu"]["msgs"]),
    ("dd.runvcpu", "L2 exits (H_GUEST_RUN_VCPU)", "per 4 KiB O_DIRECT read",
     lambda r: per_request(r, "runvcpu")),
    ("dd.hcalls", "L1->L0 hypercalls", "per 4 KiB O_DIRECT read", lambda r: per_request(r, "hcalls")),
    ("dd.uexits", "L2 exits to QEMU (kvm_userspace_exit)", "per 4 KiB O_DIRECT read",
     lambda r: per_request(r, "uexits")),
    ("dd.tce", "L2 TCE hypercalls", "per 4 KiB O_DIRECT read", lambda r: per_request(r, "tce")),
    ("dd.xics", "L2 XICS hypercalls", "per 4 KiB O_DIRECT read", lambda r: per_request(r, "xics")),
    ("dd.ms", "dd wall (TCG)", "ms per 4 KiB read", lambda r: r["dd"]["s"] * 1000 / REQUESTS),
]


def per_request(r, c):
    """dd's count less the idle rate over dd's time, per request."""
    idle_rate = r["idle"][c] / r["idle"]["s"]
    return (r["dd"][c] - idle_rate * r["dd"]["s"]) / REQUESTS


def rounds(facts, path, variant="default"):
    """The rounds of one kernel: [{phase: {counter: number}}]."""
    want = VARIANTS[variant][1]
    if facts.get("icmode") != want:
        raise BenchError(f"{path}: icmode={facts.get('icmode')!r}, expected {want!r} "
                         "(a bench of another variant, or from before icmode was recorded)")
    try:
        n = int(facts.get("rounds", ""))
    except ValueError:
        raise BenchError(f"{path}: rounds={facts.get('rounds')!r} is not a number "
                         "(did the bench start?)")
    out = []
    for i in range(1, n + 1):
        r = {}
        for ph in PHASES:
            r[ph] = {}
            for c in COUNTERS:
                key = f"bench.r{i}.{ph}.{c}"
                if key not in facts:
                    raise BenchError(f"{path}: {key} missing (round {i} did not complete; "
                                     "see the .tap and .console next to it)")
                v = facts[key]
                num = r"\d+\.\d+" if c == "s" else r"\d+"
                if not re.fullmatch(num, v):
                    raise BenchError(f"{path}: {key}={v!r} is not a "
                                     f"{'time' if c == 's' else 'count'}")
                r[ph][c] = float(v)
            if r[ph]["s"] <= 0:
                raise BenchError(f"{path}: bench.r{i}.{ph}.s is 0")
        r["qemu"] = {}
        for q in ("tce64_failed", "msgs"):
            key = f"bench.r{i}.qemu.{q}"
            if not re.fullmatch(r"\d+", facts.get(key, "")):
                raise BenchError(f"{path}: {key}={facts.get(key)!r} is not a count"
                                 " (the domain's QEMU log was not read)")
            r["qemu"][q] = float(facts[key])
        if r["boot"]["runvcpu"] == 0:
            raise BenchError(f"{path}: bench.r{i}.boot.runvcpu is 0: no H_GUEST_RUN_VCPU "
                             "counted over an L2 boot (not a nestedv2 L1?)")
        l2 = facts.get(f"bench.r{i}.dd.l2", "")
        if not l2.startswith("rc=0 "):
            raise BenchError(f"{path}: bench.r{i}.dd.l2={l2!r}: the L2's dd did not succeed")
        if variant == "xics" and r["boot"]["xics"] == 0:
            raise BenchError(f"{path}: bench.r{i}.boot.xics is 0: the L2 made no XICS "
                             "hypercall (not on XICS: was ic-mode=xics given?)")
        out.append(r)
    if not out:
        raise BenchError(f"{path}: no complete round")
    return out


def load(results_dir, variant="default"):
    suffix = VARIANTS[variant][0]
    table = {}
    for k, _ in KERNELS:
        path = os.path.join(results_dir, f"lpar-bench-{k}{suffix}.facts")
        if not os.path.exists(path):
            how = f"ci/lpar.sh bench {k} xics (make lpar-bench-xics)" if suffix else \
                f"ci/lpar.sh bench {k} (make lpar-bench)"
            raise BenchError(f"{path} missing: run {how}")
        facts = parse_facts(path)
        rs = rounds(facts, path, variant)
        table[k] = {
            "kernel": facts.get("kernel", "?"),
            "rounds": len(rs),
            "rows": {key: [f(r) for r in rs] for key, _, _, f in ROWS},
        }
    return table


def fmt(x):
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(values):
    m = statistics.median(values)
    if fmt(min(values)) == fmt(max(values)):
        return fmt(m)
    return f"{fmt(m)} ({fmt(min(values))}-{fmt(max(values))})"


def ratio(ref, ours):
    r, o = statistics.median(ref), statistics.median(ours)
    if r == 0:
        return "n/a (ref 0)"
    return f"{o / r:.2f}"


def markdown(table):
    ref, ours = table["ref"], table["ours"]
    lines = [
        f"| measurement | unit | 6.12 reference ({ref['kernel']}) | "
        f"ours ({ours['kernel']}) | ours/ref |",
        "|---|---|---:|---:|---:|",
    ]
    for key, label, unit, _ in ROWS:
        lines.append(f"| {label} | {unit} | {cell(ref['rows'][key])} | "
                     f"{cell(ours['rows'][key])} | {ratio(ref['rows'][key], ours['rows'][key])} |")
    lines.append("")
    lines.append(f"Median of {ref['rounds']} (ref) and {ours['rounds']} (ours) rounds, "
                 "(min-max) over rounds.")
    return "\n".join(lines) + "\n"


XICS_TEXT = """`make lpar-bench-xics` (ci/lpar-bench.py --variant xics): the same as
the previous section with the L2 on the XICS interrupt controller.
libvirt 9.0's XML has no pseries ic-mode, so the domain gives QEMU a
second `-machine ic-mode=xics` in `<qemu:commandline>`; QEMU 7.2 then
asks KVM in the LPAR for its in-kernel XICS.  Where the LPAR's kernel
answers the L2's XICS and TCE hypercalls itself, "L2 hypercalls the L1
kernel answers" is about their sum and QEMU answers none of them.

"""


def section(table, variant="default"):
    if variant == "xics":
        return f"""{VARIANTS[variant][2]}

{XICS_TEXT}{markdown(table)}"""
    return f"""{VARIANTS[variant][2]}

`make lpar-bench` (ci/lpar-bench.py; docs/admin.md has the setting): the
Debian 12 LPAR image (make lpar-image-kernels) boots once with Debian's
6.12 kernel package (upstream nestedv2) and once with ours
(linux-image-6.1.192-nestedv2, Debian's config, make kernel-deb), 4 CPUs,
4 GiB, in the emulated PowerVM, with our QEMU 7.2 package as the VMM.  In
each, libvirt starts the plain L2 of the scenario (2 vCPUs, 1 GiB, virtio
disk, no network) paused, and the LPAR's own perf counts tracepoints on
the L2's QEMU process: the boot from `virsh resume` to the L2's marker,
5 s idle, and a `dd` of the L2's 64 MiB disk with O_DIRECT in 4 KiB
requests (its count less the idle rate over the same time, per request).
An L2 exit is an H_GUEST_RUN_VCPU that returned (`powerpc:hcall_entry`
with `opcode == 0x480`); `kvm_guest_exit` does not compare (6.12 fires it
where no exit took place).  Wall times are TCG's: compare them only with
each other, within one run.  What the figures say: the next section.

{markdown(table)}"""


def main(argv=None):
    ap = argparse.ArgumentParser(description="LPAR bench: ours vs the 6.12 reference")
    ap.add_argument("--results", default=os.environ.get("RESULTS", "build/results"))
    ap.add_argument("--markdown", help="write the table here too")
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="default",
                    help="default: the L2 as libvirt makes it (XIVE); xics: ic-mode=xics")
    ap.add_argument("--update-doc", help="regenerate this variant's section of this file "
                    f"('{VARIANTS['default'][2][3:]}' or '{VARIANTS['xics'][2][3:]}')")
    args = ap.parse_args(argv)
    head = VARIANTS[args.variant][2]
    try:
        table = load(args.results, args.variant)
    except (BenchError, OSError) as e:
        print(f"lpar-bench.py: error: {e}", file=sys.stderr)
        print("lpar-bench.py: nothing written", file=sys.stderr)
        return 2
    md = markdown(table)
    print(md, end="")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(md)
    if args.update_doc:
        update_doc(args.update_doc, section(table, args.variant), head)
        print(f"lpar-bench.py: updated the '{head[3:]}' section of {args.update_doc}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
