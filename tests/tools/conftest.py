"""Fixtures for the nvlat tests (tests/tools)."""
import os
import subprocess

import pytest

from nvlat_paths import (  # noqa: F401  (re-exported for fixtures)
    BUILD, DATA, GOLDEN, HERE, HOST_BIN, PPC_BIN, RESULTS, TOP, UNIT_BIN, _need)


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
