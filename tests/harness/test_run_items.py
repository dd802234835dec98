"""The L1 run items (ci/initramfs/run/*, tools/nvlat/nvlat-l1.sh) and
their shared helpers (ci/initramfs/lib.sh, /nv2/lib.sh in the L1) are
POSIX sh for busybox: shellcheck finds no warnings, following the
helpers they source."""
import glob
import os
import shutil
import subprocess

import pytest

from nv2test import TOP

RUN = os.path.join(TOP, "ci", "initramfs", "run")
SCRIPTS = sorted(glob.glob(os.path.join(RUN, "*"))) + [
    os.path.join(TOP, "ci", "initramfs", "lib.sh"),
    os.path.join(TOP, "tools", "nvlat", "nvlat-l1.sh")]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: os.path.relpath(p, TOP))
def test_run_item_is_clean(script):
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed (ci/deps.d/qemu72-e2e.list)")
    p = subprocess.run(["shellcheck", "-x", "-s", "sh", "-S", "warning", script],
                       capture_output=True, text=True, cwd=os.path.dirname(script))
    assert p.returncode == 0, p.stdout
