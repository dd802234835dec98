"""The soak (issue 15 item 5, docs/reliability.md): tests/l2/l2-soak, 4 VMs
x 4 vCPUs in a 4-CPU L1, hcalls, MMIO, page faults, decrementer interrupts
and doorbells between the vCPUs of each VM, all counted on both sides.
`make soak-check` (make check: 60 s on the lean L1) leaves
build/results/soak-check.*, `make soak` (SOAK_SECONDS, 600 by default, on
the debug L1 with the soft-lockup detector) build/results/soak.*.

A run passes when every result of the program is ok (counts agree, every
doorbell sent was received, no stall), the console is clean (no soft
lockup, RCU stall, hung task, lockdep, Oops), the L0 held the 4 guests and
16 vCPUs while they ran and none afterwards, the unreclaimable slab
caches' live objects came back within 2 MiB, and free memory (MemAvailable
+ the per-CPU free lists, slabs shrunk) within 3 MiB.

Why 3 MiB for free memory: after 60 s of 16 busy vCPUs it moved by
+1280, -1344, -2496 (CI24-26) and -1280 kB, and after the 600 s soak on
the debug L1 by -1536 kB: ten times the work, no more memory, so no
per-operation leak; what moves is kernel-thread stacks (+256 KiB in
CI26), page tables and the per-CPU lists.  3 MiB is still less than 3
bytes per L2 exit of the 60 s run (1.18 million in CI26), so a leak in
the exit path shows."""
import re

import nv2test

RUNS = [("soak-check", "soak-check"), ("soak", "soak")]
MEM_SLACK_KB = 2048
FREE_SLACK_KB = 3072

boot = nv2test.boot_fixture(RUNS)


def test_run_is_clean(boot):
    boot.check_clean()


def test_ran_as_long_as_asked(boot):
    f = boot.facts
    want = int(re.search(r"nv2\.soak=(\d+)", boot.cmd).group(1))
    assert float(f["soak.seconds"]) >= want
    assert f.get("soak.l1_cpus") == "4" and f.get("soak.vcpus") == "16"
    print({k: v for k, v in f.items() if k.startswith("soak.")})


def test_every_kind_of_load_happened(boot):
    f = boot.facts
    for k in ("hcalls", "mmio", "pages", "dec", "doorbells_sent", "dontneed_rounds"):
        assert int(f[f"soak.{k}"]) > 0, k
    assert f["soak.doorbells_sent"] == f["soak.doorbells_received"]
    assert f["soak.mmio_bad"] == "0" and f["soak.stalls"] == "0"
    assert int(f["soak.l0_run_vcpu"]) >= int(f["soak.user_exits"])


def test_l0_guest_count(boot):
    f = boot.facts
    assert (f.get("l0.soak-before.guests"), f.get("l0.soak-before.vcpus")) == ("0", "0")
    assert (f.get("l0.soak-running.guests"), f.get("l0.soak-running.vcpus")) == ("4", "16")
    assert (f.get("l0.soak-after.guests"), f.get("l0.soak-after.vcpus")) == ("0", "0")


def test_memavailable_stable(boot):
    nv2test.assert_mem_stable(boot.facts, "soak", MEM_SLACK_KB, FREE_SLACK_KB)
