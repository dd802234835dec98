"""pytest setup for all suites: make tests/ (nv2test, the shared helpers) and
ci/ (harness) importable from every test directory.

Test files import helpers with `from nv2test import ...`, never from
`conftest`: conftest.py files of different directories share that module
name, so `from conftest import` gets whichever was loaded last.

Under `make check` (NV2_STRICT=1) a skip is a failure unless it names a make
target that make check does not run (nv2test.skip_manual): a step that make
check runs and that failed or produced nothing must fail its tests.  A
failing test of a directory whose step failed carries that step's log tail.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
for p in (HERE, os.path.join(os.path.dirname(HERE), "ci")):
    if p not in sys.path:
        sys.path.insert(0, p)

import nv2test  # noqa: E402

# The make check steps whose results each test directory reads.
STEPS_OF = {
    "debian": ["debian-drop-in-check"],
    "harness": ["initramfs", "kunit", "boot-base", "boot-ref", "boot-ours", "demo",
                "fault-sweep"],
    "kernel": ["lint", "kunit", "kernel-modular", "kvm-modular"],
    "l2suite": ["l2-progs", "l2-suite-ref", "l2-suite-ours"],
    "libvirt": ["libvirt", "e2e-virsh"],
    "obs": ["obs-check"],
    "qemu10": ["qemu-l0"],
    "qemu72": ["qemu72"],
    "qemu72e2e": ["e2e-qemu72"],
    "tools": ["tools", "tools-l1"],
}


def failed_steps():
    """target -> status of each step of this check run that failed."""
    path = os.path.join(nv2test.RESULTS, "steps", "index.tsv")
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                t, rc, _secs, status = line.rstrip("\n").split("\t")[:4]
                if status in ("failed", "nothing"):
                    out[t] = f"{status}, exit {rc}"
    except OSError:
        pass
    return out


def log_tail(target, n=20):
    path = os.path.join(nv2test.RESULTS, "steps", f"{target}.log")
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return f"(no log: {path})\n"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not nv2test.STRICT:
        return
    if rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if nv2test.MANUAL not in reason:
            rep.outcome = "failed"
            rep.longrepr = (f"skipped under make check: {reason}\n"
                            "make check may skip only what it does not run "
                            "(nv2test.skip_manual)")
    if rep.failed and rep.when in ("setup", "call"):
        parts = os.path.relpath(str(item.fspath), HERE).split(os.sep)
        bad = failed_steps()
        for t in STEPS_OF.get(parts[0], []):
            if t in bad:
                rep.sections.append((f"make check step {t} ({bad[t]}): log tail",
                                     log_tail(t)))


# nvlat's fuzz targets (tests/tools/test_fuzz.py) take ~90 s of wall time at
# nice 19: they start as soon as collection is over and run beside the other
# tests, whose fixture then only waits for them.
def fuzz_module(session):
    for item in session.items:
        if "test_fuzz.py::test_fuzz_target" in item.nodeid:
            return item.module
    return None


def pytest_collection_finish(session):
    m = fuzz_module(session)
    if m is not None:
        m.start()


def pytest_sessionfinish(session):
    m = fuzz_module(session)
    if m is not None:
        m.stop()
