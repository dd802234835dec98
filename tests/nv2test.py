"""Shared test helpers: read the result files that `make check-prep` wrote.

Import as `from nv2test import ...` (never `from conftest import`: every
tests/ subdirectory may have a conftest.py, and they share one module name).

Heavy work (builds, boots) is done by make before pytest runs; pytest turns
each recorded result into a test, so one summary covers everything.  A
missing result file becomes one failing test that says which make target
should have produced it.
"""
import os
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "ci"))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
RESULTS = os.environ.get("RESULTS", os.path.join(BUILD, "results"))

import harness  # noqa: E402


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
    assert r.ok, r.diag or "failed"


def facts(name):
    path = os.path.join(RESULTS, name + ".facts")
    if not os.path.exists(path):
        pytest.fail(f"{path} was not produced")
    return harness.read_facts(path)
