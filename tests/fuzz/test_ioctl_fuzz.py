"""The KVM ioctl fuzzer in the L1 (issue 15 item 3, docs/reliability.md):
tests/l2/ioctl-fuzz booted in our L1 in the emulated PowerVM by
ci/mk/reliability.mk.  `make ioctl-fuzz-check` (make check: 10,000
operations on the lean L1) leaves build/results/ioctl-fuzz-check.*, `make
ioctl-fuzz` (100,000 on the debug L1 by default, not in make check)
build/results/ioctl-fuzz.*.

A run passes when every result is ok (all operations done, no KVM_RUN
stalled, everything closed), the console has no Oops/BUG/WARNING/lockdep/
RCU stall/hung task, the L0 holds no nested guest afterwards, and the L1's
free memory (MemAvailable + the per-CPU free lists, slabs shrunk) after
the run is within 2 MiB of before (after a warm-up).
A step that started but left no results fails; one that did not run is a
skip only when make check does not run it."""
import re

import nv2test

RUNS = [("ioctl-fuzz-check", "ioctl-fuzz-check"), ("ioctl-fuzz", "ioctl-fuzz")]
MEM_SLACK_KB = 2048

boot = nv2test.boot_fixture(RUNS)


def requested_ops(boot):
    m = re.search(r"nv2\.ioctlfuzz=(\d+)", boot.cmd)
    assert m, f"no nv2.ioctlfuzz= in {boot.name}.cmd"
    return int(m.group(1))


def test_run_is_clean(boot):
    boot.check_clean()


def test_every_operation_done(boot):
    f = boot.facts
    assert "ioctlfuzz.seed" in f, "the fuzzer did not print its seed"
    want = requested_ops(boot)
    assert int(f.get("ioctlfuzz.ops", 0)) == want
    print(f"seed {f['ioctlfuzz.seed']}: {f['ioctlfuzz.ops']} operations in "
          f"{f.get('ioctlfuzz.seconds')} s, {f.get('ioctlfuzz.refused')} refused; "
          f"exits {f.get('ioctlfuzz.exits')}")


def test_the_fuzzer_reached_kvm(boot):
    """Every kind of operation ran, the kernel accepted some and refused
    some, and L2 code ran to hcall and MMIO exits: a fuzzer that only ever
    got EBADF would pass everything else."""
    f = boot.facts
    kinds = {k[len("ioctlfuzz.op."):]: v for k, v in f.items() if k.startswith("ioctlfuzz.op.")}
    assert len(kinds) >= 15, kinds
    for kind, v in kinds.items():
        calls, refused = (int(x) for x in re.findall(r"=(\d+)", v))
        assert calls > 0, f"{kind}: never called"
    ops, refused = int(f["ioctlfuzz.ops"]), int(f["ioctlfuzz.refused"])
    assert 0 < refused < ops
    exits = dict(kv.split("=") for kv in f["ioctlfuzz.exits"].split())
    assert int(exits["hcall"]) > 0 and int(exits["mmio"]) > 0, exits


def test_no_kvm_run_stalled(boot):
    assert boot.facts.get("ioctlfuzz.stalls") == "0"


def test_l0_holds_no_guest_afterwards(boot):
    """QEMU patch 0020's `info nested-papr`: nothing before, nothing after
    the fuzzer closed (or lost) its fds."""
    f = boot.facts
    assert (f.get("l0.fuzz-before.guests"), f.get("l0.fuzz-before.vcpus")) == ("0", "0")
    assert (f.get("l0.fuzz-after.guests"), f.get("l0.fuzz-after.vcpus")) == ("0", "0")


def test_memavailable_stable(boot):
    nv2test.assert_mem_stable(boot.facts, "fuzz", MEM_SLACK_KB)
