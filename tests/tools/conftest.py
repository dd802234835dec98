"""Fixtures for the nvlat tests (tests/tools)."""
import os
import pathlib
import subprocess
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

sys.path.insert(0, str(HERE))


def _need(path):
    if not path.exists():
        log = RESULTS / "tools-build.log"
        pytest.fail(f"{path} was not built (make tools; log: {log})")
    return path


@pytest.fixture(scope="session")
def nvlat():
    return _need(HOST_BIN)


@pytest.fixture(scope="session")
def run(nvlat):
    """run(*args, input=bytes|None, env=dict|None) -> CompletedProcess (text)."""
    def _run(*args, input=None, env=None, binary=None, timeout=60):
        full_env = dict(os.environ)
        full_env.pop("NVLAT_TRACEFS", None)
        full_env.pop("NVLAT_SYSFS", None)
        if env:
            full_env.update(env)
        cmd = list(binary or [str(nvlat)]) + [str(a) for a in args]
        p = subprocess.run(cmd, input=input, capture_output=True,
                           env=full_env, timeout=timeout)
        p.stdout = p.stdout.decode("utf-8", "surrogateescape")
        p.stderr = p.stderr.decode("utf-8", "surrogateescape")
        return p
    return _run


@pytest.fixture(scope="session")
def golden():
    """golden(name, text): compare with golden/NAME; NVLAT_UPDATE_GOLDEN=1 rewrites."""
    def _check(name, text):
        path = GOLDEN / name
        if os.environ.get("NVLAT_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
        assert path.exists(), f"missing golden file {path} (NVLAT_UPDATE_GOLDEN=1)"
        want = path.read_text()
        assert text == want, f"output differs from {path}"
    return _check


@pytest.fixture(scope="session")
def sample_nvl():
    return DATA / "sample.nvl"


@pytest.fixture(scope="session")
def sample_txt():
    return DATA / "sample.perf.txt"
