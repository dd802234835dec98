#!/usr/bin/env python3
"""The emulated PowerVM harness: boot an L1 under QEMU's nestedv2 L0, capture
its console, and turn what it printed into results.

    harness.py boot NAME --kernel VMLINUX --initrd CPIO [--run ITEMS]
                         [--append ARGS] [--smp N] [--timeout S] [--qemu BIN]
                         [--machine-opts OPTS] [--cpu MODEL] [--l0-monitor]
                         [--qemu-args ARGS]
                         [--expect-end]

writes build/results/NAME.console (raw console), NAME.tap (TAP 13: one line
per result, including "console is clean" and "reached /init"), NAME.facts
(key=value), and NAME.ktap (KUnit's KTAP, when the kernel printed one).

--l0-monitor gives the L0 an HMP monitor socket.  A console line
"NV2: L0QUERY TAG" (TAG: [a-z0-9_-]+) makes the harness ask the L0
`info nested-papr` (QEMU patch 0020) and record what it holds as facts
l0.TAG.guests and l0.TAG.vcpus (NAME.hmp keeps the answers).  The L1 gives
the harness time to answer (it sleeps after the line); a query the L0 did
not answer is a failed result.
Exit status: 0 when every result passed.

The parsing functions are a library for the pytest suites too.
"""
import argparse
import os
import re
import shlex
import socket
import tempfile
import subprocess
import sys
import time

# A console line matching one of these fails the boot.
BAD_PATTERNS = [
    (re.compile(r"\bOops\b"), "Oops"),
    (re.compile(r"\bBUG:"), "BUG"),
    # A WARN() splat: "WARNING: CPU: 0 PID: 1 at file:line func" (or the
    # older "WARNING: at ...").  Plain printk text that merely contains
    # "WARNING:" (the pseries nvram driver's "WARNING: nvram corruption
    # detected" on an unformatted NVRAM) is not a kernel warning.
    (re.compile(r"\bWARNING: (CPU: \d+ PID: \d+|at )"), "WARNING"),
    (re.compile(r"Kernel panic"), "panic"),
    (re.compile(r"\bcut here\b"), "cut here"),
    (re.compile(r"Unable to handle kernel"), "unhandled kernel fault"),
    (re.compile(r"\bcall trace:", re.I), "call trace"),
    # The kernel's own checkers (the debug L1, ci/configs/l1-debug.config,
    # has lockdep and the hung-task detector; every SMP L1 has RCU's CPU
    # stall warnings).  Their reports usually carry a call trace too, but
    # not always (an RCU stall on a CPU that cannot be interrupted).
    (re.compile(r"possible (circular|recursive) locking dependency|"
                r"inconsistent lock state|suspicious RCU usage|"
                r"lock held when returning to user space"), "lockdep"),
    (re.compile(r"rcu: INFO: \w+ (self-)?detected stalls?"), "RCU stall"),
    (re.compile(r"INFO: task \S+ blocked for more than \d+ seconds"), "hung task"),
]

NV2_RE = re.compile(r"NV2: (.*)$")
TAP_RE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*?)\s*$")
DIRECTIVE_RE = re.compile(r"\s+#\s*(SKIP|TODO)\b\s*(.*)$", re.I)


class Result:
    """One test result: name, ok, skip flag and diagnostic text."""

    def __init__(self, name, ok, skip=False, diag="", todo=False):
        self.name, self.ok, self.skip, self.diag = name, ok, skip, diag
        # todo: a known failure (TAP "not ok ... # TODO"): it does not fail
        # the run, and pytest reports it as xfail, never as a pass.
        self.todo = todo

    def tap(self, n):
        if self.todo:
            return [f"not ok {n} - {self.name} # TODO {self.diag}"]
        line = f"{'ok' if self.ok else 'not ok'} {n} - {self.name}"
        if self.skip:
            line += f" # SKIP {self.diag}"
        out = [line]
        if self.diag and not self.skip:
            out += ["# " + d for d in self.diag.splitlines()]
        return out

    def __repr__(self):
        return f"Result({self.name!r}, ok={self.ok}, skip={self.skip})"


def console_problems(text):
    """Return [(lineno, kind, line)] for console lines that fail a boot."""
    found = []
    for i, line in enumerate(text.splitlines(), 1):
        for rx, kind in BAD_PATTERNS:
            if rx.search(line):
                found.append((i, kind, line.strip()))
                break
    return found


def nv2_lines(text):
    """The payload of every 'NV2: ' line, in order (prefix noise ignored)."""
    out = []
    for line in text.splitlines():
        m = NV2_RE.search(line.rstrip("\r"))
        if m:
            out.append(m.group(1).rstrip())
    return out


def parse_tap_line(line):
    """Parse a TAP result line -> (ok, number, name, directive, reason) or None."""
    m = TAP_RE.match(line.strip())
    if not m:
        return None
    ok = m.group(1) == "ok"
    num = int(m.group(2)) if m.group(2) else None
    desc = m.group(3)
    directive = reason = None
    d = DIRECTIVE_RE.search(desc)
    if d:
        directive, reason = d.group(1).upper(), d.group(2).strip()
        desc = desc[:d.start()].rstrip()
    return ok, num, desc, directive, reason


def parse_nv2(text):
    """Results and facts from the NV2 lines of a console.

    Results are named "<item>/<description>" after the "RUN <item>" they
    follow; a plan "1..N" per item is checked; an item whose EXIT status is
    nonzero without having printed a failing result gets one.
    """
    results, facts = [], {}
    item, plan, count, failed = None, None, 0, False
    seen_boot = seen_end = False

    def close(status):
        nonlocal item, plan, count, failed
        if item is None:
            return
        if plan is not None and plan != count:
            results.append(Result(f"{item}/plan", False,
                                  diag=f"planned {plan} results, got {count}"))
        if status not in (None, 0) and not failed:
            results.append(Result(f"{item}/exit", False,
                                  diag=f"{item} exited with status {status}"))
        item, plan, count, failed = None, None, 0, False

    for line in nv2_lines(text):
        if line.startswith("BOOT"):
            seen_boot = True
        elif line == "END":
            close(None)
            seen_end = True
        elif line.startswith("RUN "):
            close(None)
            item = line[4:].strip()
        elif line.startswith("EXIT "):
            parts = line.split()
            try:
                status = int(parts[2])
            except (IndexError, ValueError):
                status = 1
            close(status)
        elif line.startswith("FACT "):
            key, _, value = line[5:].partition("=")
            facts[key.strip()] = value.strip()
        elif re.match(r"^1\.\.\d+", line):
            plan = int(re.match(r"^1\.\.(\d+)", line).group(1))
        else:
            t = parse_tap_line(line)
            if t is None:
                continue
            ok, num, desc, directive, reason = t
            count += 1
            prefix = f"{item}/" if item else ""
            name = prefix + (desc or f"test {num}")
            skip = directive == "SKIP"
            if not ok and directive != "TODO":
                failed = True
            todo = not ok and directive == "TODO"
            results.append(Result(name, ok or todo, skip=skip,
                                  diag=reason or "", todo=todo))
    close(None)
    return results, facts, seen_boot, seen_end


def parse_ktap(text):
    """KUnit KTAP from a kernel console -> [Result] named "suite/case".

    Tolerates kernel log noise before lines (a "[ 1.23]" stamp or any prefix
    before the KTAP indentation) and lines of other output in between.
    A suite whose plan says N but printed fewer cases gets a failing
    "suite/plan" result (a crash in the middle of a suite).
    """
    results = []
    suite, plan, cases = None, None, 0
    line_re = re.compile(r"^(?:\[\s*\d+\.\d+\]\s?)?( *)(.*)$")

    def close():
        nonlocal suite, plan, cases
        if suite and plan is not None and cases < plan:
            results.append(Result(f"{suite}/plan", False,
                                  diag=f"planned {plan} cases, got {cases}"))
        suite, plan, cases = None, None, 0

    for raw in text.splitlines():
        m = line_re.match(raw.rstrip("\r"))
        indent, body = len(m.group(1)), m.group(2)
        if indent == 0:
            if body.startswith(("ok ", "not ok ")) and suite:
                t = parse_tap_line(body)
                if t and t[2] == suite:
                    close()
            continue
        s = re.match(r"#\s*Subtest:\s*(\S+)", body)
        if s and indent == 4:
            close()
            suite = s.group(1)
            continue
        if suite is None or indent != 4:
            continue
        p = re.match(r"^1\.\.(\d+)", body)
        if p:
            plan = int(p.group(1))
            continue
        t = parse_tap_line(body)
        if t:
            ok, num, desc, directive, reason = t
            cases += 1
            results.append(Result(f"{suite}/{desc}", ok or directive == "SKIP",
                                  skip=directive == "SKIP", diag=reason or ""))
    close()
    return results


def analyse(text, ktap=False, expect_end=True):
    """All results of one boot: boot/end markers, NV2 results, KTAP, console."""
    results, facts, seen_boot, seen_end = parse_nv2(text)
    head = [Result("reached /init", seen_boot,
                   diag="" if seen_boot else "no 'NV2: BOOT' line on the console")]
    if expect_end:
        head.append(Result("ran to the end", seen_end,
                           diag="" if seen_end else "no 'NV2: END' line (hang, crash or timeout)"))
    kt = parse_ktap(text) if ktap else []
    if ktap and not kt:
        head.append(Result("kunit printed results", False, diag="no KTAP subtests found"))
    problems = console_problems(text)
    clean = Result("console is clean", not problems,
                   diag="\n".join(f"line {n}: {k}: {l}" for n, k, l in problems[:20]))
    return head + results + kt + [clean], facts


def qemu_cmd(args):
    cmd = [args.qemu,
           "-M", "pseries,cap-nested-papr=on,x-vof=on" + (f",{args.machine_opts}" if args.machine_opts else ""),
           "-cpu", args.cpu, "-m", args.mem, "-smp", str(args.smp), "-accel", "tcg",
           "-nographic", "-nodefaults", "-serial", "mon:stdio",
           "-kernel", args.kernel, "-no-reboot"]
    if args.initrd:
        cmd += ["-initrd", args.initrd]
    if args.qemu_args:
        cmd += shlex.split(args.qemu_args)
    append = "console=hvc0 disable_radix=0"
    if args.run:
        append += f" nv2.run={args.run}"
    if args.append:
        append += " " + args.append
    cmd += ["-append", append]
    return cmd


L0QUERY_RE = re.compile(r"NV2: L0QUERY ([a-z0-9_-]+)\s*$")


def hmp(path, command, timeout=30):
    """One HMP command over the monitor socket at path -> its output."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)

        def until_prompt():
            buf = b""
            while not buf.endswith(b"(qemu) "):
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("monitor closed")
                buf += chunk
            return buf.decode("utf-8", "replace")

        until_prompt()
        s.sendall(command.encode() + b"\n")
        out = until_prompt()
    out = out.replace("\r", "")
    lines = out.split("\n")
    # The monitor echoes the command line first and ends with the prompt.
    return "\n".join(l for l in lines[1:-1])


def parse_nested_papr(text):
    """`info nested-papr` -> {"guests": N, "vcpus": M} (missing: absent)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(guests|vcpus): (\d+)$", line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


class L0Monitor:
    """Answers the L1's "NV2: L0QUERY TAG" lines while the L0 runs."""

    def __init__(self, base):
        self.dir = tempfile.mkdtemp(prefix="nv2-hmp-")
        self.path = os.path.join(self.dir, "hmp.sock")
        self.log = open(base + ".hmp", "w")
        self.offset = 0
        self.results, self.facts = [], {}

    def qemu_args(self):
        return ["-monitor", f"unix:{self.path},server=on,wait=off"]

    def poll(self, console):
        with open(console, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n")
        if end < 0:
            return
        self.offset += end + 1
        for raw in data[:end].decode("utf-8", "replace").splitlines():
            m = L0QUERY_RE.search(raw.rstrip("\r"))
            if m:
                self.query(m.group(1))

    def query(self, tag):
        name = f"L0 answered info nested-papr ({tag})"
        try:
            out = hmp(self.path, "info nested-papr")
        except OSError as e:
            self.results.append(Result(name, False, diag=f"monitor: {e}"))
            return
        self.log.write(f"== {tag}\n{out}\n")
        self.log.flush()
        counts = parse_nested_papr(out)
        if set(counts) != {"guests", "vcpus"}:
            self.results.append(Result(name, False, diag=f"unexpected answer: {out!r}"))
            return
        self.facts[f"l0.{tag}.guests"] = str(counts["guests"])
        self.facts[f"l0.{tag}.vcpus"] = str(counts["vcpus"])
        self.results.append(Result(name, True))

    def close(self):
        self.log.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.rmdir(self.dir)


def boot(args):
    outdir = args.outdir
    os.makedirs(outdir, exist_ok=True)
    base = os.path.join(outdir, args.name)
    cmd = qemu_cmd(args)
    mon = L0Monitor(base) if args.l0_monitor else None
    if mon:
        cmd += mon.qemu_args()
    with open(base + ".cmd", "w") as f:
        f.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
    t0 = time.monotonic()
    timed_out = False
    with open(base + ".console", "wb") as con:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=con,
                             stderr=subprocess.STDOUT)
        try:
            if mon:
                deadline = t0 + args.timeout
                while p.poll() is None:
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(cmd, args.timeout)
                    mon.poll(base + ".console")
                    time.sleep(0.2)
            else:
                p.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            p.kill()
            p.wait()
    wall = time.monotonic() - t0
    text = open(base + ".console", "rb").read().decode("utf-8", "replace")
    results, facts = analyse(text, ktap=args.ktap,
                             expect_end=bool(args.initrd) or args.expect_end)
    if mon:
        mon.close()
        results[-1:-1] = mon.results
        facts.update(mon.facts)
    if timed_out:
        results.insert(0, Result("finished within the timeout", False,
                                 diag=f"killed after {args.timeout}s"))
    elif p.returncode != 0:
        results.insert(0, Result("qemu exited cleanly", False,
                                 diag=f"qemu exit status {p.returncode}"))
    facts["wall_seconds"] = f"{wall:.2f}"
    write_results(base, results, facts)
    if args.ktap:
        with open(base + ".ktap", "w") as f:
            f.write("\n".join(r.tap(i)[0] for i, r in enumerate(parse_ktap(text), 1)) + "\n")
    failed = [r for r in results if not r.ok]
    print(f"harness: {args.name}: {len(results) - len(failed)}/{len(results)} ok, "
          f"{wall:.1f}s wall ({base}.console)", file=sys.stderr)
    for r in failed:
        print(f"harness: {args.name}: FAILED {r.name}: {r.diag}", file=sys.stderr)
    return 1 if failed else 0


def write_results(base, results, facts):
    lines = ["TAP version 13", f"1..{len(results)}"]
    for i, r in enumerate(results, 1):
        lines += r.tap(i)
    with open(base + ".tap", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(base + ".facts", "w") as f:
        for k in sorted(facts):
            f.write(f"{k}={facts[k]}\n")


def read_tap(path):
    """Read a .tap written by write_results (or any TAP 13) -> [Result]."""
    out = []
    diag = None
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("# ") and out and diag is not None:
            out[-1].diag += ("\n" if out[-1].diag else "") + line[2:]
            continue
        t = parse_tap_line(line)
        if t:
            ok, num, desc, directive, reason = t
            todo = not ok and directive == "TODO"
            out.append(Result(desc, ok or todo, skip=directive == "SKIP", diag=reason or "",
                              todo=todo))
            diag = True
    return out


def read_facts(path):
    facts = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        k, sep, v = line.rstrip("\n").partition("=")
        if sep:
            facts[k] = v
    return facts


def main(argv=None):
    ap = argparse.ArgumentParser(description="nestedv2 emulated PowerVM harness")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("boot", help="boot an L1 and record results")
    b.add_argument("name")
    b.add_argument("--kernel", required=True)
    b.add_argument("--initrd")
    b.add_argument("--run", help="nv2.run= items (comma separated)")
    b.add_argument("--append", default="", help="extra kernel command line")
    b.add_argument("--smp", type=int, default=1)
    b.add_argument("--mem", default="2G")
    b.add_argument("--timeout", type=int, default=180)
    b.add_argument("--qemu", default=os.environ.get("L0_QEMU") or "qemu-system-ppc64")
    b.add_argument("--machine-opts", default="", help="extra -M pseries options")
    b.add_argument("--cpu", default="power10", help="the L1's processor (L0 -cpu)")
    b.add_argument("--ktap", action="store_true", help="parse KUnit output (no init expected)")
    b.add_argument("--l0-monitor", action="store_true",
                   help="answer 'NV2: L0QUERY TAG' lines with the L0's info nested-papr")
    b.add_argument("--qemu-args", default="",
                   help="extra QEMU arguments (shell words), e.g. the LPAR's disk")
    b.add_argument("--expect-end", action="store_true",
                   help="expect 'NV2: BOOT' and 'NV2: END' without an initramfs (a root disk)")
    b.add_argument("--outdir", default=os.environ.get("RESULTS", "build/results"))
    args = ap.parse_args(argv)
    for f in (args.kernel, args.initrd):
        if f and not os.path.exists(f):
            print(f"harness: {f} does not exist (build it first)", file=sys.stderr)
            return 2
    return boot(args)


if __name__ == "__main__":
    sys.exit(main())
