"""What the KVM ioctl fuzzer leaves allocated in our L1 (docs/reliability.md
"Leaks"): `make leak-hunt` boots the leak L1 (ci/configs/l1-leak.config:
kmemleak, page_owner) and runs ci/initramfs/run/leakhunt, which leaves
build/results/leak-hunt.*.  Not part of make check (its kernel is one more
build): the tests skip until it has run.

A run passes when the item's results are ok and the console is clean,
kmemleak reports no unreferenced object after two scans, KVM's own page
allocations (page_owner stacks with a kvm function, slab pages aside) did
not grow, and the L1's free memory and unreclaimable slab are back within
2 MiB (the same judgement as make check's ioctl-fuzz-check)."""
import nv2test

boot = nv2test.boot_fixture([("leak-hunt", "leak-hunt")])


def test_run_is_clean(boot):
    boot.check_clean()


def test_kmemleak_finds_nothing(boot):
    n = int(boot.facts["leak.kmemleak_objects"])
    assert n == 0, f"{n} unreferenced objects:\n" + "\n".join(boot.data("kmemleak")[:60])


def test_kvm_holds_no_more_pages(boot):
    f = boot.facts
    top = boot.data("pagegrow")
    print(f"pages grown: {f['leak.pages_grown']}, by KVM: {f['leak.kvm_pages_grown']}")
    print("\n".join(top[:10]))
    assert int(f["leak.kvm_pages_grown"]) == 0, "\n".join(l for l in top if "<kvm" in l)


def test_free_memory_stable(boot):
    nv2test.assert_mem_stable(boot.facts, "leak", 2048)
