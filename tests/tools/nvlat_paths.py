"""Paths and helpers shared by the nvlat tests (tests/tools).

Import as `from nvlat_paths import ...`: conftest.py modules of different
test directories share one module name, so `from conftest import` is not
reliable.
"""
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
TOP = HERE.parents[1]
BUILD = pathlib.Path(os.environ.get("BUILD", TOP / "build"))
RESULTS = pathlib.Path(os.environ.get("RESULTS", BUILD / "results"))
# NVLAT_BIN: test another build, e.g. build/tools/asan/nvlat (make -C tools asan)
HOST_BIN = pathlib.Path(os.environ.get("NVLAT_BIN", BUILD / "tools" / "host" / "nvlat"))
PPC_BIN = BUILD / "tools" / "ppc64el" / "nvlat"
UNIT_BIN = BUILD / "tools" / "host" / "nvlat-unit"
DATA = HERE / "data"
GOLDEN = HERE / "golden"

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _need(path):
    if not path.exists():
        log = RESULTS / "tools-build.log"
        pytest.fail(f"{path} was not built (make tools; log: {log})")
    return path
