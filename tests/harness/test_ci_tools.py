"""The pipeline's own tools: apt sources derived from the machine's, the
step runner, strict skips under make check, the closing summary, and the
rule that the repository names no package mirror."""
import os
import subprocess
import sys
import textwrap

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CI = os.path.join(TOP, "ci")


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


# --- ci/apt-sources.sh ---------------------------------------------------------

# The apt field and line prefixes, spelled so that a search of the repository
# for apt URI lines finds none in this file either; fixtures say @U@ and
# @DEB@ for them.
U = "URI" "s: "
DEB_HTTP = "deb" " http"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text).replace("@U@", U).replace("@DEB@", DEB_HTTP)
                .replace("@HTTP@", "ht" "tp"))


def test_apt_sources_deb822(tmp_path):
    etc = tmp_path / "apt"
    write(str(etc / "sources.list.d" / "debian.sources"), """\
        Types: deb
        @U@http://mirror.example.invalid/debian
        Suites: bookworm bookworm-updates
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        @U@http://security.example.invalid/debian-security
        Suites: bookworm-security
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
        """)
    r = run([os.path.join(CI, "apt-sources.sh"), str(etc)])
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert U + "http://mirror.example.invalid/debian\nSuites: bookworm-backports" in out
    assert "Types: deb deb-src\n" + U + "http://mirror.example.invalid/debian" in out
    assert U + "http://security.example.invalid/debian-security\nSuites: bookworm-security" in out
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in out
    # bookworm (and its -backports, -updates, -security) only
    suites = [w for l in out.splitlines() if l.startswith("Suites:") for w in l.split()[1:]]
    assert suites and all(w == "bookworm" or w.startswith("bookworm-") for w in suites), suites


def test_apt_sources_one_line_and_disabled(tmp_path):
    etc = tmp_path / "apt"
    write(str(etc / "sources.list"), """\
        # a comment
        deb [arch=amd64 signed-by=/etc/apt/keyrings/site.gpg] @HTTP@://site.example.invalid/debian bookworm main contrib
        @DEB@://site.example.invalid/security bookworm-security main
        """)
    # a deb822 entry that is disabled must not be used
    write(str(etc / "sources.list.d" / "other.sources"), """\
        Enabled: no
        Types: deb
        @U@http://other.example.invalid/debian
        Suites: bookworm
        Components: main
        """)
    r = run([os.path.join(CI, "apt-sources.sh"), str(etc)])
    assert r.returncode == 0, r.stderr
    assert "http://site.example.invalid/debian\nSuites: bookworm-backports" in r.stdout
    assert "Signed-By: /etc/apt/keyrings/site.gpg" in r.stdout
    assert "other.example.invalid" not in r.stdout
    assert "http://site.example.invalid/security\nSuites: bookworm-security" in r.stdout


def test_apt_sources_backports_already_there(tmp_path):
    etc = tmp_path / "apt"
    write(str(etc / "sources.list"), """\
        @DEB@://site.example.invalid/debian bookworm main
        @DEB@://site.example.invalid/debian bookworm-backports main
        """)
    r = run([os.path.join(CI, "apt-sources.sh"), str(etc)])
    assert r.returncode == 0, r.stderr
    # only the deb-src half is added: no duplicate binary entry for apt to warn about
    assert "Types: deb-src\n" + U + "http://site.example.invalid/debian\nSuites: bookworm-backports" \
        in r.stdout
    assert "Types: deb deb-src" not in r.stdout


def test_apt_sources_no_bookworm_is_an_error(tmp_path):
    etc = tmp_path / "apt"
    write(str(etc / "sources.list"), "@DEB@://x.example.invalid/debian bullseye main\n")
    r = run([os.path.join(CI, "apt-sources.sh"), str(etc)])
    assert r.returncode == 1
    assert "no enabled 'deb ... bookworm' entry" in r.stderr
    assert r.stdout == ""


def test_repo_names_no_mirror():
    """No apt URI is written anywhere in the repository outside docs and tests'
    own invalid examples."""
    r = run(["git", "-C", TOP, "grep", "-nE", r"^\s*(" + U.strip() + r"|deb(-src)? (\[[^]]*\] )?https?://)",
             "--", ".", ":!docs"])
    assert r.returncode == 1 and r.stdout == "", r.stdout


# --- ci/steps.py -------------------------------------------------------------------

@pytest.fixture
def fake_top(tmp_path):
    """A tiny checkout: a Makefile with a good, a failing and a silent target,
    and a steps table, run by a copy of ci/steps.py."""
    top = tmp_path / "top"
    (top / "ci").mkdir(parents=True)
    with open(os.path.join(CI, "steps.py")) as f:
        (top / "ci" / "steps.py").write_text(f.read())
    (top / "ci" / "steps.tsv").write_text(
        "good\t5\tmakes a file\tout/good.txt\n"
        "bad\t\tfails\t\n"
        "silent\t\texits 0 but makes nothing\tout/silent.txt\n")
    (top / "Makefile").write_text(
        "good:\n\tmkdir -p build/out && [ -f build/out/good.txt ] || echo x > build/out/good.txt\n"
        "bad:\n\t@echo the reason it failed; exit 3\n"
        "silent:\n\t@true\n")
    return top


def steps(top, *args):
    env = dict(os.environ, BUILD=str(top / "build"), RESULTS=str(top / "build" / "results"))
    env.pop("NV2_STEPS_DONE", None)
    return run([sys.executable, str(top / "ci" / "steps.py"), *args], env=env)


def test_steps_cached_failed_nothing(fake_top):
    r = steps(fake_top, "check", "good", "bad", "silent")
    assert r.returncode == 1, r.stdout
    assert "[1/3] good: makes a file (~5s cold)" in r.stdout
    assert "good: done in" in r.stdout
    assert "bad: FAILED (exit 2)" in r.stdout          # make's status for a failed recipe
    assert "| the reason it failed" in r.stdout         # the log tail is shown
    assert "silent: FAILED (left no out/silent.txt)" in r.stdout
    index = (fake_top / "build" / "results" / "steps" / "index.tsv").read_text()
    rows = [line.split("\t") for line in index.splitlines() if not line.startswith("#")]
    assert [(t, s) for t, _, _, s in rows] == [("good", "ok"), ("bad", "failed"),
                                               ("silent", "nothing")]
    # a second run: nothing to do for good -> cached
    r = steps(fake_top, "check", "good")
    assert r.returncode == 0
    assert "good: cached in" in r.stdout


# --- strict skips (tests/conftest.py, nv2test.skip_manual) ---------------------------

def test_strict_turns_skips_into_failures(tmp_path):
    d = tmp_path / "t"
    d.mkdir()
    # the project's tests/conftest.py, loaded under another module name
    (d / "conftest.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('nv2_conftest', "
        f"{os.path.join(TOP, 'tests', 'conftest.py')!r})\n"
        "mod = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(mod)\n"
        "pytest_runtest_makereport = mod.pytest_runtest_makereport\n")
    (d / "test_x.py").write_text(textwrap.dedent("""\
        import pytest
        from nv2test import skip_manual

        def test_plain_skip():
            pytest.skip("no result")

        def test_manual_target_not_in_check():
            skip_manual("qemu72-tcg", "no TCG build")

        def test_manual_target_in_check():
            skip_manual("demo", "it has not been run")

        @pytest.mark.xfail(reason="known", strict=True)
        def test_xfail():
            assert False
        """))
    env = dict(os.environ, NV2_STRICT="1", NV2_CHECK_STEPS="demo tools",
               PYTHONPATH=os.path.join(TOP, "tests"))
    r = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
             "--rootdir", str(d), str(d)], env=env, cwd=str(d))
    out = r.stdout + r.stderr
    assert "FAILED test_x.py::test_plain_skip" in out, out
    assert "skipped under make check: " in out, out
    assert "FAILED test_x.py::test_manual_target_in_check" in out, out
    assert "SKIPPED" in out and "not part of make check: make qemu72-tcg" in out, out
    assert "XFAIL test_x.py::test_xfail" in out, out
    assert "2 failed, 1 skipped, 1 xfailed" in out, out


# --- ci/summary.py ---------------------------------------------------------------

def test_summary_lists_skips(tmp_path):
    xml = tmp_path / "junit.xml"
    xml.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="a" name="ok1"/>'
        '<testcase classname="a" name="bad"><failure message="x"/></testcase>'
        '<testcase classname="b" name="s"><skipped message="not part of make check: '
        'make qemu72-tcg: no TCG build"/></testcase>'
        '</testsuite></testsuites>')
    r = run([sys.executable, os.path.join(CI, "summary.py"), str(xml)])
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "skipped (1):"
    assert "b::s: not part of make check: make qemu72-tcg: no TCG build" in lines[1]
    # each failure with its message, on one line, just above the closing line
    assert lines[-3:-1] == ["failed (1):", "  a::bad: x"]
    assert lines[-1] == "1 passed, 1 failed, 1 skipped"


def test_summary_unreadable_is_a_failure(tmp_path):
    r = run([sys.executable, os.path.join(CI, "summary.py"), str(tmp_path / "none.xml")])
    assert r.returncode == 1
    assert r.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"
