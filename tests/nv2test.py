"""Shared test helpers: read the result files that `make check-prep` wrote.

Import as `from nv2test import ...` (never `from conftest import`: every
tests/ subdirectory may have a conftest.py, and they share one module name).

Heavy work (builds, boots) is done by make before pytest runs; pytest turns
each recorded result into a test, so one summary covers everything.  A
missing result file becomes one failing test that says which make target
should have produced it.
"""
import json
import os
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "ci"))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
RESULTS = os.environ.get("RESULTS", os.path.join(BUILD, "results"))

import harness  # noqa: E402

# `make check` runs pytest with NV2_STRICT=1 and the list of its steps: then
# a test may skip only for a make target that is not one of them (see
# skip_manual and tests/conftest.py).
STRICT = os.environ.get("NV2_STRICT") == "1"
CHECK_STEPS = set(os.environ.get("NV2_CHECK_STEPS", "").split())
MANUAL = "not part of make check"


def skip_manual(target, reason):
    """Skip because `make TARGET` left no result, which is fine only for a
    target that make check does not run; under make check it fails."""
    if STRICT and target in CHECK_STEPS:
        pytest.fail(f"make {target} is part of make check but left no result: {reason} "
                    f"(build/results/steps/{target}.log)")
    pytest.skip(f"{MANUAL}: make {target}: {reason}")


class Missing:
    """Stands in for a result file that does not exist."""

    def __init__(self, path, target):
        self.path, self.target = path, target


def tap_params(name, target):
    """pytest params, one per result line of RESULTS/name.tap."""
    path = os.path.join(RESULTS, name + ".tap")
    if not os.path.exists(path):
        return [pytest.param(Missing(path, target), id="missing")]
    return [pytest.param(r, id=r.name) for r in harness.read_tap(path)]


def check_result(r):
    if isinstance(r, Missing):
        pytest.fail(f"{r.path} was not produced: run 'make {r.target}' and read its output")
    if r.skip:
        pytest.skip(r.diag or "skipped")
    if getattr(r, "todo", False):
        pytest.xfail("known failure (TAP TODO): " + (r.diag or r.name))
    assert r.ok, r.diag or "failed"


def facts(name):
    path = os.path.join(RESULTS, name + ".facts")
    if not os.path.exists(path):
        pytest.fail(f"{path} was not produced")
    return harness.read_facts(path)


class Boot:
    """What one harness boot left in RESULTS: NAME.tap, .facts, .console
    and, when there, .cmd (the L0 command line)."""

    def __init__(self, name):
        base = os.path.join(RESULTS, name)
        self.name = name
        self.tap = harness.read_tap(base + ".tap")
        self.facts = harness.read_facts(base + ".facts")
        with open(base + ".console", errors="replace") as f:
            self.console = f.read()
        self.cmd = ""
        if os.path.exists(base + ".cmd"):
            with open(base + ".cmd") as f:
                self.cmd = f.read()

    def data(self, tag):
        """Payloads of the 'NV2: # TAG: ...' lines, in order."""
        pre = f"# {tag}: "
        return [l[len(pre):] for l in harness.nv2_lines(self.console) if l.startswith(pre)]

    def json(self, tag):
        """The last 'NV2: # TAG: ...' line, parsed as JSON."""
        lines = self.data(tag)
        assert lines, f"no '{tag}' output in the console"
        return json.loads(lines[-1])

    def bad_results(self, skips_ok=False):
        """'name: diag' of each result that is not ok (or skipped, unless skips_ok)."""
        return [f"{r.name}: {r.diag}" for r in self.tap
                if not r.ok or (r.skip and not skips_ok)]

    def check_clean(self, skips_ok=False):
        """Every result ok, the run item got to its end, the console clean."""
        assert self.tap, f"{self.name}: no TAP results"
        bad = self.bad_results(skips_ok)
        assert not bad, "\n".join(bad)
        assert "NV2: END" in self.console, f"{self.name}: the run item did not finish"
        problems = harness.console_problems(self.console)
        assert not problems, problems


def boot(name, target):
    """The Boot of `make TARGET` (results NAME.*), for a module fixture.

    Skips when the target has not run; fails when it started (it leaves
    NAME.started) but left no results, so a broken run is not a skip."""
    base = os.path.join(RESULTS, name)
    if not os.path.exists(base + ".tap"):
        if os.path.exists(base + ".started"):
            pytest.fail(f"make {target} started but left no {name}.tap: see the make output")
        skip_manual(target, "it has not been run")
    return Boot(name)


def boot_fixture(runs):
    """A module fixture `boot` over RUNS, pairs (results name, make target):
    each test of the module runs once per Boot (see boot()).  Use as
    `boot = nv2test.boot_fixture(RUNS)`."""
    @pytest.fixture(scope="module", params=runs, ids=[r[0] for r in runs], name="boot")
    def _boot(request):
        return boot(*request.param)
    return _boot


def assert_mem_stable(facts, prefix, slack_kb=2048, free_slack_kb=None):
    """Free memory fell and the slab caches' live objects grew by at most
    SLACK_KB between the facts PREFIX.*_before_kb and PREFIX.*_after_kb
    (ci/initramfs/lib.sh memfacts).  Free memory is MemAvailable plus the
    per-CPU free lists (PREFIX.pcp_*), which MemAvailable leaves out and
    which alone move by megabytes between two readings on a 4-CPU L1
    (docs/reliability.md, "Leaks").  A leaked slab object stays live, so
    the live objects' bytes (PREFIX.slablive_*, /proc/slabinfo) are what is
    judged; SUnreclaim also counts the 64 KiB slab pages a few unrelated
    live objects keep, which two fuzzer threads scatter past 2 MiB with no
    object more (docs/reliability.md), so it is printed, not judged.  A run
    that recorded no live-object facts is judged by SUnreclaim.
    FREE_SLACK_KB (default SLACK_KB) is the limit for free memory alone."""
    def free(when):
        keys = [f"{prefix}.memavail_{when}_kb", f"{prefix}.pcp_{when}_kb"]
        missing = [k for k in keys if k not in facts]
        assert not missing, f"no facts {missing}: the run item did not record its memory"
        return tuple(int(facts[k]) for k in keys)
    (ab, pb), (aa, pa) = free("before"), free("after")
    before, after = ab + pb, aa + pa
    slab = int(facts[f"{prefix}.sunreclaim_after_kb"]) - int(facts[f"{prefix}.sunreclaim_before_kb"])
    lb, la = (int(facts.get(f"{prefix}.slablive_{w}_kb", "-1")) for w in ("before", "after"))
    live = la - lb if lb >= 0 and la >= 0 else None
    print(f"free memory (MemAvailable + per-CPU lists) {before} -> {after} kB ({after - before:+d}): "
          f"MemAvailable {aa - ab:+d}, per-CPU lists {pa - pb:+d}; SUnreclaim {slab:+d} kB"
          + (f", live slab objects {live:+d} kB" if live is not None else "")
          + (f"; slab caches that grew most (name:KiB of room:KiB live): {facts[prefix + '.slab_grew']}" if facts.get(prefix + ".slab_grew") else ""))
    free_slack = slack_kb if free_slack_kb is None else free_slack_kb
    assert before - after <= free_slack, f"free memory fell {before - after} kB (limit {free_slack})"
    if live is not None:
        assert live <= slack_kb, f"live slab objects grew {live} kB"
    else:
        assert slab <= slack_kb, f"SUnreclaim grew {slab} kB"
