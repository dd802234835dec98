#!/usr/bin/env python3
"""Run make targets as numbered steps, like a build tool shows them.

    ci/steps.py demo                the main job's steps (DEMO_STEPS), then
                                    nothing else: `make demo` prints the
                                    result after them
    ci/steps.py check TARGET...     make check's preparation steps, in order

For every step it prints one line when the step starts (number, what it is,
its expected duration on a cold 2-core box) and one when it ends (ok or
FAILED, elapsed wall time, or "cached" when none of the step's outputs
changed).  Each step's output goes to build/results/steps/TARGET.log; its
exit status and time to build/results/steps/index.tsv, which
tests/harness/test_steps.py turns into one test per step (a failed step
fails with its log tail; a step that should have left files and left none
fails too).

`check` goes on after a failed step (make -k semantics: later steps report
their own results); `demo` stops at the first failed step and shows its log
tail.  A step that runs longer than expected says so every minute.

Expected cold durations, descriptions and outputs are in ci/steps.tsv
(measured; docs/ci.md has the runs they come from).
"""
import os
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
RESULTS = os.environ.get("RESULTS", os.path.join(BUILD, "results"))
STEPS_DIR = os.path.join(RESULTS, "steps")

# The main job: what `make demo` builds before it boots (ci/demo.sh).
DEMO_STEPS = ["bases-demo", "qemu-l0-build", "sources-ours", "kernel-ours", "tools", "l2-progs",
              "initramfs"]


def load_table(path=os.path.join(TOP, "ci", "steps.tsv")):
    """target -> (expected cold seconds or None, description, [outputs])"""
    table = {}
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            while len(cols) < 4:
                cols.append("")
            target, secs, desc, outs = cols[:4]
            table[target] = (int(secs) if secs.strip() else None, desc.strip(),
                             [o for o in outs.split() if o])
    return table


def fmt(secs):
    secs = int(round(secs))
    if secs < 60:
        return f"{secs}s"
    return f"{secs // 60}m{secs % 60:02d}s"


def snapshot(outputs):
    """path -> mtime (None when missing) of each output (relative to BUILD)."""
    snap = {}
    for rel in outputs:
        path = os.path.join(BUILD, rel)
        try:
            snap[rel] = os.stat(path).st_mtime_ns
        except OSError:
            snap[rel] = None
    return snap


def run_step(i, n, target, table, log_dir, tty, done_before=()):
    expected, desc, outputs = table.get(target, (None, "", []))
    exp = f"~{fmt(expected)} cold" if expected else "no estimate"
    print(f"[{i}/{n}] {target}: {desc or 'make ' + target} ({exp})", flush=True)
    before = snapshot(outputs)
    log = os.path.join(log_dir, f"{target}.log")
    t0 = time.monotonic()
    done = threading.Event()

    def heartbeat():
        # One line a minute while a step runs, so a long cold build is
        # visibly alive (and visibly slower than expected).
        while not done.wait(60):
            el = time.monotonic() - t0
            over = f", expected ~{fmt(expected)}" if expected else ""
            print(f"      {target}: still running, {fmt(el)} elapsed{over}", flush=True)

    hb = threading.Thread(target=heartbeat, daemon=True)
    hb.start()
    with open(log, "w") as out:
        # Steps already run in this sequence count as up to date (-o), so a
        # prerequisite that many steps share is made once, as one make -k
        # run would.
        cmd = ["make", "--no-print-directory", "-C", TOP]
        for t in done_before:
            cmd += ["-o", t]
        env = dict(os.environ, NV2_STEPS_DONE=" ".join(done_before))
        rc = subprocess.call(cmd + [target], env=env,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    done.set()
    el = time.monotonic() - t0
    after = snapshot(outputs)
    missing = [o for o, m in after.items() if m is None]
    if rc == 0 and missing:
        status = "nothing"
    elif rc != 0:
        status = "failed"
    elif outputs and before == after:
        status = "cached"
    else:
        status = "ok"
    word = {"ok": "done", "cached": "cached", "failed": f"FAILED (exit {rc})",
            "nothing": "FAILED (left no " + ", ".join(missing) + ")"}[status]
    print(f"      {target}: {word} in {fmt(el)}; log {os.path.relpath(log, TOP)}", flush=True)
    if status in ("failed", "nothing"):
        with open(log, errors="replace") as f:
            tail = f.readlines()[-15:]
        for line in tail:
            print(f"      | {line.rstrip()}", flush=True)
    return rc, el, status


def main(argv):
    if len(argv) < 2 or argv[1] not in ("demo", "check"):
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        return 2
    mode = argv[1]
    targets = DEMO_STEPS if mode == "demo" else argv[2:]
    table = load_table()
    steps_dir = STEPS_DIR if mode == "check" else os.path.join(STEPS_DIR, "demo")
    os.makedirs(steps_dir, exist_ok=True)
    index = os.path.join(steps_dir, "index.tsv")
    tty = sys.stdout.isatty()
    # Start a fresh index: a step of an earlier run must not pass for this one.
    with open(index + ".new", "w") as f:
        f.write("# target\trc\tseconds\tstatus\n")
    t_all = time.monotonic()
    total_exp = sum((table.get(t, (0,))[0] or 0) for t in targets)
    print(f"== {mode}: {len(targets)} steps (a cold 2-core box needs ~{fmt(total_exp)}; "
          "a warm one seconds to minutes)", flush=True)
    worst = 0
    # `make demo` inside `make check`: what the check already ran is not
    # run again.
    outer = set(os.environ.get("NV2_STEPS_DONE", "").split())
    for i, t in enumerate(targets, 1):
        if mode == "demo" and t in outer:
            print(f"[{i}/{len(targets)}] {t}: already made in this run", flush=True)
            with open(index + ".new", "a") as f:
                f.write(f"{t}\t0\t0.0\tcached\n")
            continue
        rc, el, status = run_step(i, len(targets), t, table, steps_dir, tty, targets[:i - 1])
        with open(index + ".new", "a") as f:
            f.write(f"{t}\t{rc}\t{el:.1f}\t{status}\n")
        if status in ("failed", "nothing"):
            worst = 1
            if mode == "demo":
                break
    os.replace(index + ".new", index)
    print(f"== {mode}: steps done in {fmt(time.monotonic() - t_all)}"
          + ("" if not worst else " (some FAILED: see above)"), flush=True)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv))
