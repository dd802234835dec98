"""Fixtures of the QEMU 10.0 L0 tests."""
import pytest

import qemu10lib


@pytest.fixture
def l0():
    """An L0 under qtest; after the test it must still be alive and must not
    have hit an assertion or dumped core."""
    q = qemu10lib.L0()
    yield q
    alive = q.alive()
    err = q.stderr()
    q.close()
    assert alive, f"the L0 died: {err[-2000:]}"
    assert "Assertion" not in err and "core dumped" not in err, err
