"""nvlat top, driven in tmux (send-keys / capture-pane): the live view on
x86 through syscalls:sys_enter_write, with the fake QEMU of test_live."""
import shutil
import subprocess
import time

import pytest

from test_live import TP, FakeQemu, live_ok  # noqa: F401  (fixture)

S = "nvlat-top-test"


def tmux(*args):
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)


def screen():
    return tmux("capture-pane", "-p", "-t", S).stdout


def wait_for(pred, secs=8.0):
    end = time.time() + secs
    while time.time() < end:
        s = screen()
        if pred(s):
            return s
        time.sleep(0.1)
    pytest.fail(f"screen never matched; last screen:\n{screen()}")


@pytest.fixture
def session():
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed (ci/deps.d/tools.list)")
    tmux("kill-session", "-t", S)
    yield
    tmux("kill-session", "-t", S)


def test_top_in_tmux(live_ok, nvlat, session):  # noqa: F811
    fake = FakeQemu(writes=3000)
    try:
        cmd = " ".join([str(nvlat), "top", *TP, "-i", "1", "--vm", str(fake.pid),
                        *[a for fd in fake.fds for a in ("--vcpu", str(fd))]])
        tmux("new-session", "-d", "-s", S, "-x", "150", "-y", "30",
             f"{cmd}; echo NVLAT-EXIT=$?; sleep 30")
        s = wait_for(lambda s: "nvlat top 1.1.0" in s)
        title = s.splitlines()[0]
        assert "every 1 s" in title and "sort: pid" in title
        assert f"VM: fakevm (pid {fake.pid})" in title and "[q]uit" in title
        fake.go()
        s = wait_for(lambda s: "CPU 1/KVM" in s and "fakevm" in s)
        rows = [l for l in s.splitlines() if "CPU 0/KVM" in l or "CPU 1/KVM" in l]
        assert len(rows) == 2 and all(l.startswith("fakevm ") for l in rows), s
        assert all(len(l) <= 150 for l in s.splitlines())
        # s: the next sort column, shown at once
        tmux("send-keys", "-t", S, "s")
        wait_for(lambda s: "sort: count" in s.splitlines()[0])
        tmux("send-keys", "-t", S, "s", "s", "s")
        wait_for(lambda s: "sort: max" in s.splitlines()[0])
        # v: the next VM after this one (its pid is not the highest seen
        # for ever, but the view moves off it or back to all)
        tmux("send-keys", "-t", S, "v")
        wait_for(lambda s: f"(pid {fake.pid})" not in s.splitlines()[0])
        # q quits, exit status 0, the terminal restored
        tmux("send-keys", "-t", S, "q")
        s = wait_for(lambda s: "NVLAT-EXIT=" in s)
        assert "NVLAT-EXIT=0" in s
    finally:
        fake.close()


def test_top_usage(run):
    for args in (["top", "-r", "x"], ["top", "--json"], ["top", "--vm", "name"],
                 ["top", "--hist"]):
        p = run(*args)
        assert p.returncode == 2 and "top is a live view" in p.stderr, args
