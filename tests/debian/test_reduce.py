"""The reduction rule of Debian's config for CI builds
(ci/configs/debian-reduce.py) and the dropped list kept in the repository."""
import importlib.util
import os

import pytest

from nv2test import BUILD, TOP, skip_manual

spec = importlib.util.spec_from_file_location(
    "debian_reduce", os.path.join(TOP, "ci", "configs", "debian-reduce.py"))
dr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dr)

DROPPED = os.path.join(TOP, "ci", "configs", "debian-dropped.list")

TREE = {
    "Kconfig": 'source "sound/Kconfig"\nsource "drivers/net/Kconfig"\n'
               'source "drivers/hid/Kconfig"\nsource "drivers/watchdog/Kconfig"\n'
               'source "fs/Kconfig"\n',
    "sound/Kconfig": "menuconfig SND\n\ttristate \"Sound\"\n\thelp\n\t  if SND is on\n\n"
                     "if SND\nconfig SND_FOO\n\ttristate \"foo\"\n"
                     "config SND_BAR\n\ttristate \"bar\"\n"
                     "config SND_FEAT\n\tbool \"feature\"\n\tdepends on SND_BAR\n"
                     "config SND_SELD\n\ttristate\nendif\n",
    "drivers/net/Kconfig": "config E1000\n\ttristate \"e1000\"\n"
                           "config NET_SEL\n\ttristate \"sel\"\n\tselect SND_SELD\n",
    "drivers/hid/Kconfig": "config HID\n\ttristate \"hid\"\n"
                           "config HID_FOO\n\ttristate \"foo\"\n\tdepends on HID\n",
    "drivers/watchdog/Kconfig": "config PSERIES_WDT\n\ttristate \"pseries\"\n"
                                "\tdepends on PPC_PSERIES\n"
                                "config I2C_WDT\n\ttristate \"i2c\"\n",
    "fs/Kconfig": "config EXT4_FS\n\ttristate \"ext4\"\n",
}
CONFIG = {"SND": "m", "SND_FOO": "m", "SND_BAR": "m", "SND_FEAT": "y", "SND_SELD": "m",
          "E1000": "m", "NET_SEL": "m", "HID": "m", "HID_FOO": "m", "PSERIES_WDT": "m",
          "I2C_WDT": "m", "EXT4_FS": "m"}


@pytest.fixture
def tree(tmp_path):
    for path, text in TREE.items():
        p = tmp_path / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_rule_on_a_small_tree(tree):
    entries = dr.parse_kconfig(str(tree))
    assert entries["SND_FEAT"][0].deps >= {"SND", "SND_BAR"}
    dropped = dr.reduce(entries, CONFIG)
    # Leaf modules of dropped classes go ...
    assert set(dropped) == {"SND_FOO", "HID_FOO", "I2C_WDT"}
    # ... never what a kept =y needs (SND, SND_BAR for SND_FEAT=y), what a
    # kept module selects (SND_SELD), networking or filesystems, the HID
    # core, or a pseries driver.
    assert dropped["SND_FOO"] == "sound/"


def test_finish_lists_what_went(tree):
    """After olddefconfig: a promptless helper that followed its dropped
    driver is listed with it; a lost =y is a problem, and the dropped
    symbols it needs are kept in the next round."""
    entries = dr.parse_kconfig(str(tree))
    final = dict(CONFIG, SND_FOO="n", HID_FOO="n", I2C_WDT="n", SND_SELD="n")
    dropped, problems, more = dr.finish(entries, CONFIG, final)
    assert dropped == {"SND_FOO": "sound/", "HID_FOO": "drivers/hid/",
                       "I2C_WDT": "drivers/watchdog/", "SND_SELD": "sound/"}
    assert problems == []
    final = dict(final, SND_BAR="n", SND_FEAT="n")
    dropped, problems, more = dr.finish(entries, CONFIG, final)
    assert "CONFIG_SND_FEAT=y became n" in problems
    assert "SND_BAR" in more
    final = dict(CONFIG, E1000="n")
    dropped, problems, more = dr.finish(entries, CONFIG, final)
    assert problems == ["CONFIG_E1000=m became n"]


def test_verify_catches_a_lost_y():
    full = {"A": "y", "B": "m", "C": "m"}
    assert dr.verify(full, {"A": "y", "B": "m", "C": "n"}, {"C": "x"}) == []
    assert any("A=y" in b for b in dr.verify(full, {"A": "n", "B": "m"}, {"C": "x"}))
    assert any("not in the dropped list" in b for b in dr.verify(full, {"A": "y", "C": "n"}, {"C": "x"}))
    assert any("but is m" in b for b in dr.verify(full, {"A": "y", "B": "m", "C": "m"}, {"C": "x"}))
    assert any("not =m" in b for b in dr.verify(full, {"A": "y", "B": "m"}, {"A": "x", "C": "x"}))


def test_reduce_refuses_a_non_tree(tmp_path):
    cfg = tmp_path / "c"
    cfg.write_text("CONFIG_A=m\n")
    with pytest.raises(SystemExit) as e:
        dr.main(["reduce", str(tmp_path), str(cfg), str(tmp_path / "o"), str(tmp_path / "d")])
    assert "not a kernel tree" in str(e.value)


def test_dropped_list_is_well_formed():
    lines = [l for l in open(DROPPED) if not l.startswith("#") and l.strip()]
    assert lines, "ci/configs/debian-dropped.list is empty"
    syms = []
    for l in lines:
        sym, d = l.rstrip("\n").split("\t")
        assert sym.startswith("CONFIG_") and d in dr.DROP_DIRS, l
        assert sym[len("CONFIG_"):] not in dr.KEEP_SYMBOLS, l
        syms.append(sym)
    assert syms == sorted(set(syms))


def test_generated_configs_keep_every_y():
    """When make kernel-debian-config has run: the committed list is what the
    rule gives now, and the reduced config keeps every =y and every module
    the list does not name."""
    full = os.path.join(BUILD, "configs", "debian.config")
    red = os.path.join(BUILD, "configs", "debian-reduced.config")
    gen = os.path.join(BUILD, "configs", "debian-dropped.list")
    if not os.path.exists(red):
        skip_manual("kernel-debian-config", "build/configs/debian-reduced.config has not been made")
    assert open(gen).read() == open(DROPPED).read(), \
        "ci/configs/debian-dropped.list is not what the rule gives: commit the new one"
    assert dr.verify(dr.read_config(full), dr.read_config(red), dr.read_dropped(DROPPED)) == []
