"""The modular L1 (issue 12, docs/ci.md "The modular L1"): `make
kvm-modular` builds our 6.1 + series with KVM as modules the way Debian's
powerpc64le kernel has it (ci/configs/l1-modular.config; modpost must be
clean: ci/kernel.sh fails on any modpost warning such as an undefined
symbol), boots it in the emulated PowerVM, loads kvm_hv and vpa_pmu with
modprobe, runs the L2 suite and then unloads and reloads kvm_hv 10 times
with an L2 VM created and run each time (no memory lost per cycle).  The L0 (QEMU patch 0020, `info
nested-papr`) says how many nested guests and vCPUs it holds: 4 vCPUs
while the VM runs, none after each unload.  make check runs it; outside
make check these tests skip until it has been run.
"""
import os
import re

import pytest

import nv2test

NAME = "kvm-modular"


@pytest.fixture(scope="module")
def boot():
    return nv2test.boot(NAME, "kvm-modular")


def test_run_is_clean(boot):
    """Every result ok (loading, the L2 suite, each cycle, the L0's
    answers), the run items finished, no Oops/BUG/WARNING on the console."""
    boot.check_clean()


def test_the_kernel_is_the_modular_one(boot):
    # 6.1.<n>-nestedv2, "+" when built from a git tree not at a release tag
    assert re.search(r"-nestedv2\+?$", boot.facts.get("mod.kernel", "")), boot.facts.get("mod.kernel")
    assert "/kernels/modular/vmlinux" in boot.cmd


def test_l2_suite_ran(boot):
    cases = [r for r in boot.tap if r.name.startswith("l2suite/")]
    assert len(cases) >= 20, f"only {len(cases)} l2suite results"


def test_in_kernel_irqchip_and_tce_are_built(boot):
    """Debian's config has KVM_XICS, KVM_XIVE and SPAPR_TCE_IOMMU: the code
    is in the kernel the cycles ran on."""
    for s in ("kvmppc_xics_create", "kvmppc_xive_create", "kvm_vm_ioctl_create_spapr_tce",
              "kvm_irqfd"):
        assert boot.facts.get(f"mod.sym.{s}") == "1", s


def test_l0_holds_no_guest_after_each_unload(boot):
    """Before/after counts of the L0: one guest with 4 vCPUs while the VM
    runs, 0 and 0 once kvm_hv is unloaded, every cycle."""
    cycles = int(boot.facts["mod.cycles"])
    assert cycles >= 10
    f = boot.facts
    assert (f.get("l0.boot.guests"), f.get("l0.boot.vcpus")) == ("0", "0")
    rows = []
    for i in range(1, cycles + 1):
        run = (f.get(f"l0.c{i}-running.guests"), f.get(f"l0.c{i}-running.vcpus"))
        after = (f.get(f"l0.c{i}-unloaded.guests"), f.get(f"l0.c{i}-unloaded.vcpus"))
        rows.append(f"cycle {i}: running {run} unloaded {after}")
        assert run == ("1", "4"), rows[-1]
        assert after == ("0", "0"), rows[-1]
    print("\n".join(rows))


def test_memavailable_comes_back(boot):
    """No memory lost per cycle: the mean MemAvailable after unloads 8-10
    is within 1 MiB of the mean after unloads 3-5 (cycles 1-2 grow caches
    that kvm.ko, which stays loaded, keeps; single readings scatter by up
    to ~1 MiB in 64 KiB pages).  A leak of ~200 kB or more per cycle
    fails."""
    f = boot.facts
    cycles = int(f["mod.cycles"])
    kb = [int(f[f"mod.c{i}.memavail_kb"]) for i in range(1, cycles + 1)]
    print("MemAvailable kB after each unload:", kb)
    early = sum(kb[2:5]) / 3
    late = sum(kb[7:10]) / 3
    assert early - late <= 1024, \
        f"MemAvailable fell {early - late:.0f} kB from cycles 3-5 to 8-10: {kb}"


def test_the_l0_answers_were_recorded(boot):
    with open(os.path.join(nv2test.RESULTS, NAME + ".hmp")) as f:
        text = f.read()
    assert len(re.findall(r"^guests: \d+$", text, re.M)) >= 21
