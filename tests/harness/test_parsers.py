"""Self-tests of the harness: console analysis, NV2/TAP and KTAP parsing,
garbled input, and the initramfs writer."""
import gzip
import os
import subprocess
import sys

import harness

CLEAN = """\
[    0.000000] Linux version 6.1.0
Run /init as init process
NV2: BOOT 6.1.0
NV2: RUN smoke
NV2: FACT kvm_create_vm=ok
NV2: 1..2
NV2: ok 1 - create vcpu
NV2: ok 2 - 200 round trips
NV2: EXIT smoke 0
NV2: END
reboot: Power down
"""


def names(results):
    return [r.name for r in results]


def test_clean_console_all_ok():
    results, facts = harness.analyse(CLEAN)
    assert all(r.ok for r in results), results
    assert names(results) == ["reached /init", "ran to the end", "smoke/create vcpu",
                              "smoke/200 round trips", "console is clean"]
    assert facts == {"kvm_create_vm": "ok"}


def test_nv2_prefix_noise_is_ignored():
    text = CLEAN.replace("NV2: ok 1", "[   1.2] kvm: junk NV2: ok 1")
    results, _ = harness.analyse(text)
    assert "smoke/create vcpu" in names(results)


def test_failing_result_fails():
    results, _ = harness.analyse(CLEAN.replace("ok 2 - 200", "not ok 2 - 200"))
    bad = [r for r in results if not r.ok]
    assert names(bad) == ["smoke/200 round trips"]


def test_skip_and_todo():
    text = CLEAN.replace("ok 2 - 200 round trips", "ok 2 - 200 round trips # SKIP no kvm") \
        .replace("ok 1 - create vcpu", "not ok 1 - create vcpu # TODO later")
    results, _ = harness.analyse(text)
    r = {x.name: x for x in results}
    assert r["smoke/200 round trips"].skip and r["smoke/200 round trips"].diag == "no kvm"
    assert r["smoke/create vcpu"].ok and r["smoke/create vcpu"].todo


def test_todo_survives_the_tap_file(tmp_path):
    """A known failure stays "not ok # TODO" in the .tap (never a plain ok), and
    pytest reports it as xfail (nv2test.check_result)."""
    text = CLEAN.replace("ok 1 - create vcpu", "not ok 1 - create vcpu # TODO stock fails")
    results, _ = harness.analyse(text)
    base = str(tmp_path / "t")
    harness.write_results(base, results, {})
    lines = open(base + ".tap").read().splitlines()
    assert "not ok 3 - smoke/create vcpu # TODO stock fails" in lines
    back = {r.name: r for r in harness.read_tap(base + ".tap")}
    assert back["smoke/create vcpu"].todo and back["smoke/create vcpu"].diag == "stock fails"
    assert not back["smoke/200 round trips"].todo


def test_plan_mismatch_fails():
    results, _ = harness.analyse(CLEAN.replace("NV2: 1..2", "NV2: 1..3"))
    assert [r.name for r in results if not r.ok] == ["smoke/plan"]


def test_nonzero_exit_without_failure_fails():
    results, _ = harness.analyse(CLEAN.replace("EXIT smoke 0", "EXIT smoke 139"))
    assert [r.name for r in results if not r.ok] == ["smoke/exit"]


def test_missing_end_and_boot():
    results, _ = harness.analyse("Linux version\nKernel panic - not syncing: VFS\n")
    bad = names([r for r in results if not r.ok])
    assert bad == ["reached /init", "ran to the end", "console is clean"]


def test_console_problems_each_kind():
    for line in ["Oops: Kernel access of bad area", "BUG: Unable to handle kernel data access",
                 "WARNING: CPU: 0 PID: 1 at arch/powerpc/kvm/x.c:1", "Kernel panic - not syncing",
                 "------------[ cut here ]------------",
                 "watchdog: BUG: soft lockup - CPU#2 stuck for 23s! [l2-soak:77]",
                 "WARNING: possible circular locking dependency detected",
                 "[   12.5] rcu: INFO: rcu_sched self-detected stall on CPU",
                 "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
                 "INFO: task ioctl-fuzz:81 blocked for more than 60 seconds.",
                 "BUG: KASAN: slab-use-after-free in kvmppc_gsb_put+0x40/0x90"]:
        probs = harness.console_problems("ok\n" + line + "\n")
        assert probs and probs[0][0] == 2, line


def test_console_problem_not_fooled_by_words():
    assert harness.console_problems("warning: something lower-case\nbugfix applied\n") == []
    # pseries nvram driver on QEMU's unformatted NVRAM: printk text, not WARN()
    assert harness.console_problems(
        "WARNING: nvram corruption detected: 0-length partition\n") == []


def test_garbled_console_is_survivable():
    blob = bytes(range(256)).decode("latin-1") * 20 + "\nNV2: ok\nNV2: 1..x\nNV2: FACT =\n"
    results, facts = harness.analyse(blob)
    assert not results[0].ok  # no BOOT
    assert isinstance(facts, dict)


KTAP = """\
[    0.5] KTAP version 1
[    0.5] 1..2
[    0.5]     KTAP version 1
[    0.5]     # Subtest: gsb
[    0.5]     1..3
[    0.5]     ok 1 gsb_put_u32
[    0.6]     not ok 2 gsb_rejects_overflow
random kernel line in between
[    0.6]     ok 3 - gsb_skip_me # SKIP not here
[    0.6] ok 1 gsb
    KTAP version 1
    # Subtest: other
    1..2
    ok 1 other_one
Kernel panic - not syncing: No working init found.
"""


def test_ktap_cases_and_crash_mid_suite():
    res = harness.parse_ktap(KTAP)
    got = {r.name: (r.ok, r.skip) for r in res}
    assert got == {
        "gsb/gsb_put_u32": (True, False),
        "gsb/gsb_rejects_overflow": (False, False),
        "gsb/gsb_skip_me": (True, True),
        "other/other_one": (True, False),
        "other/plan": (False, False),
    }


def test_ktap_nested_subtests_not_counted_as_cases():
    text = "    # Subtest: s\n    1..1\n        # Subtest: param\n        ok 1 p0\n    ok 1 case\n"
    assert [r.name for r in harness.parse_ktap(text)] == ["s/case"]


def test_write_and_read_tap_roundtrip(tmp_path):
    results, facts = harness.analyse(CLEAN.replace("ok 2 - 200", "not ok 2 - 200"))
    base = str(tmp_path / "x")
    harness.write_results(base, results, {"a": "1", "b": "x=y"})
    back = harness.read_tap(base + ".tap")
    assert [(r.name, r.ok) for r in back] == [(r.name, r.ok) for r in results]
    assert harness.read_facts(base + ".facts") == {"a": "1", "b": "x=y"}


def test_harness_refuses_missing_kernel(tmp_path, capsys):
    rc = harness.main(["boot", "x", "--kernel", str(tmp_path / "nope"), "--outdir", str(tmp_path)])
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err


def test_harness_reports_a_qemu_that_fails(tmp_path):
    fake = tmp_path / "qemu"
    fake.write_text("#!/bin/sh\necho 'qemu: could not load kernel' >&2\nexit 1\n")
    fake.chmod(0o755)
    kernel = tmp_path / "vmlinux"
    kernel.write_text("")
    rc = harness.main(["boot", "t", "--kernel", str(kernel), "--qemu", str(fake),
                       "--outdir", str(tmp_path)])
    assert rc == 1
    res = harness.read_tap(str(tmp_path / "t.tap"))
    assert res[0].name == "qemu exited cleanly" and not res[0].ok
    assert "could not load kernel" in (tmp_path / "t.console").read_text()


def test_harness_timeout_kills(tmp_path):
    fake = tmp_path / "qemu"
    fake.write_text("#!/bin/sh\necho 'NV2: BOOT x'\nexec sleep 30\n")
    fake.chmod(0o755)
    kernel = tmp_path / "vmlinux"
    kernel.write_text("")
    rc = harness.main(["boot", "t", "--kernel", str(kernel), "--qemu", str(fake),
                       "--timeout", "1", "--outdir", str(tmp_path)])
    assert rc == 1
    res = harness.read_tap(str(tmp_path / "t.tap"))
    assert res[0].name == "finished within the timeout" and not res[0].ok


def test_mkcpio_is_deterministic_and_has_nodes(tmp_path):
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    stage = tmp_path / "s"
    (stage / "bin").mkdir(parents=True)
    (stage / "bin" / "x").write_text("#!/bin/sh\n")
    (stage / "bin" / "x").chmod(0o755)
    os.symlink("x", stage / "bin" / "y")
    outs = []
    for n in (1, 2):
        out = tmp_path / f"o{n}.cpio.gz"
        subprocess.run([sys.executable, os.path.join(top, "ci", "mkcpio.py"), str(stage), str(out),
                        "--node", "dev/console:c:5:1:600"], check=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    listing = subprocess.run(["cpio", "-itv"], input=gzip.decompress(outs[0]),
                             capture_output=True, check=True).stdout.decode()
    assert "bin/y -> x" in listing and "dev/console" in listing and listing.count("root") >= 6


def test_mkcpio_rejects_bad_node(tmp_path):
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run([sys.executable, os.path.join(top, "ci", "mkcpio.py"), str(tmp_path),
                        str(tmp_path / "o.gz"), "--node", "dev/x:q:1:2:600"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "bad --node" in p.stderr
    assert not (tmp_path / "o.gz").exists()


def test_parse_nested_papr():
    """`info nested-papr` (QEMU 10.0 patch 0020) as the harness reads it."""
    text = "api: papr\nguests: 1\nvcpus: 4\nguest 1: vcpus 4\n"
    assert harness.parse_nested_papr(text) == {"guests": 1, "vcpus": 4}
    assert harness.parse_nested_papr("api: none\nguests: 0\nvcpus: 0\n") == \
        {"guests": 0, "vcpus": 0}
    # an answer without the counts (an L0 without 0020) gives nothing
    assert harness.parse_nested_papr("unknown command: 'info nested-papr'\n") == {}


def test_l0query_lines():
    assert harness.L0QUERY_RE.search("NV2: L0QUERY c3-unloaded").group(1) == "c3-unloaded"
    assert harness.L0QUERY_RE.search("NV2: L0QUERY c3 unloaded") is None


def _memfacts(**kw):
    f = {"t.memavail_before_kb": "2000000", "t.pcp_before_kb": "5000",
         "t.memavail_after_kb": "2000000", "t.pcp_after_kb": "5000",
         "t.sunreclaim_before_kb": "15000", "t.sunreclaim_after_kb": "15000",
         "t.slablive_before_kb": "9000", "t.slablive_after_kb": "9000"}
    f.update({"t." + k: str(v) for k, v in kw.items()})
    return f


def test_mem_stable_judges_live_slab_objects_not_slab_pages():
    """assert_mem_stable (the ioctl fuzzer's, the soak's and the leak hunt's
    memory check): slab pages kept by a few live objects (SUnreclaim up,
    live objects not) pass; live objects up by more than the slack fail;
    a run without live-object facts is judged by SUnreclaim."""
    import pytest
    import nv2test
    nv2test.assert_mem_stable(_memfacts(sunreclaim_after_kb=17900), "t")
    with pytest.raises(AssertionError, match="live slab objects grew 2100 kB"):
        nv2test.assert_mem_stable(_memfacts(slablive_after_kb=11100), "t")
    with pytest.raises(AssertionError, match="free memory fell 2100 kB"):
        nv2test.assert_mem_stable(_memfacts(memavail_after_kb=1997900), "t")
    old = {k: v for k, v in _memfacts(sunreclaim_after_kb=17900).items() if "slablive" not in k}
    with pytest.raises(AssertionError, match="SUnreclaim grew 2900 kB"):
        nv2test.assert_mem_stable(old, "t")
    with pytest.raises(AssertionError, match="no facts"):
        nv2test.assert_mem_stable({}, "t")
