#!/usr/bin/python3
"""The reduced Debian config for CI builds: Debian's powerpc64le config with
only the `=m` hardware drivers a pseries LPAR cannot use dropped.

The rule (what `make kernel-debian-config` runs, ci/debian-kernel.sh):

* Only `=m` symbols are ever dropped: every `=y` stays, and so does every
  module a kept symbol depends on (its `depends on`, the `if`/`menu` blocks
  around it) or selects or implies, transitively.
* A module is a candidate when every Kconfig file that defines it lies in one
  of DROP_DIRS: hardware classes an LPAR under PowerVM has no device of
  (sound, video capture and TV, GPUs and framebuffers, wireless, Bluetooth,
  NFC, CAN, ISDN, ATM, sensors and hwmon chips, I2C/SPI/GPIO/W1 peripherals,
  joysticks and touchscreens, special HID devices, USB gadget side, SD/MMC,
  PCMCIA, parport, staging).
* Never a candidate: a symbol of KEEP_SYMBOLS, or one whose Kconfig entry
  mentions a pseries/PowerVM or virtualization dependency (KEEP_WORDS).
  Virtualization, networking (drivers/net outside radio links, net/),
  storage (scsi, nvme, ata, md, block, nvdimm, target, mtd), filesystems,
  crypto, pseries/PowerVM drivers (ibmvscsi, ibmvfc, ibmveth, ibmvnic, hvc,
  pseries-wdt, vtpm, nx) are outside DROP_DIRS and so always kept.

    debian-reduce.py reduce TREE FULL_CONFIG OUT_CONFIG [KEEP]
        OUT_CONFIG: FULL with the modules the rule drops "is not set" (KEEP:
        symbols earlier rounds found must stay, one a line)
    debian-reduce.py finish TREE FULL_CONFIG FINAL_CONFIG DROPPED KEEP
        after olddefconfig of OUT_CONFIG (FINAL): write DROPPED (one
        "CONFIG_X<TAB>directory" line per =m that went, the rule's and the
        helpers that followed their driver) and print the counts; or, when a
        =y changed or a =m outside DROP_DIRS went, add to KEEP what explains
        it and exit 2 (ci/debian-kernel.sh runs another round)
    debian-reduce.py verify FULL_CONFIG FINAL_CONFIG DROPPED
        every =y of FULL is =y in FINAL, every =m is =m unless DROPPED lists
        it, and every listed one is a =m of FULL that FINAL has off
"""
import os
import re
import sys

DROP_DIRS = (
    "sound/",
    "drivers/media/", "drivers/staging/", "drivers/gpu/", "drivers/video/",
    "drivers/net/wireless/", "drivers/net/wwan/", "drivers/net/ieee802154/",
    "drivers/net/can/", "drivers/net/hamradio/", "drivers/net/arcnet/",
    "drivers/net/fddi/", "drivers/net/plip/",
    "drivers/bluetooth/", "drivers/nfc/", "drivers/isdn/", "drivers/atm/",
    "drivers/iio/", "drivers/hwmon/", "drivers/leds/", "drivers/w1/",
    "drivers/spi/", "drivers/gpio/", "drivers/pinctrl/", "drivers/regulator/",
    "drivers/mfd/", "drivers/power/supply/", "drivers/extcon/", "drivers/pwm/",
    "drivers/input/joystick/", "drivers/input/touchscreen/", "drivers/input/tablet/",
    "drivers/input/misc/", "drivers/input/keyboard/", "drivers/input/mouse/",
    "drivers/input/gameport/", "drivers/input/rmi4/",
    "drivers/hid/",
    "drivers/usb/gadget/", "drivers/usb/typec/", "drivers/usb/musb/", "drivers/usb/misc/",
    "drivers/usb/atm/", "drivers/usb/image/",
    "drivers/mmc/", "drivers/memstick/", "drivers/pcmcia/", "drivers/parport/",
    "drivers/platform/", "drivers/fpga/", "drivers/counter/", "drivers/auxdisplay/",
    "drivers/ssb/", "drivers/bcma/", "drivers/thunderbolt/", "drivers/accessibility/",
    "drivers/mux/", "drivers/siox/", "drivers/slimbus/", "drivers/soundwire/",
    "drivers/phy/", "drivers/rtc/", "drivers/watchdog/", "drivers/misc/eeprom/",
    "drivers/greybus/", "drivers/comedi/",
)
# Kept whatever their directory: the HID core and generic HID (USB keyboards
# and mice of a KVM guest or an LPAR that owns a USB adapter), userspace HID.
KEEP_SYMBOLS = {"HID", "HID_GENERIC", "USB_HID", "UHID", "HID_SUPPORT"}
# An entry whose Kconfig text mentions one of these is pseries/PowerVM or
# virtualization support (e.g. PSERIES_WDT, VIRTIO_*, hvc): kept.
KEEP_WORDS = re.compile(r"\b(PPC_PSERIES|PSERIES|IBMVIO|PPC_SPLPAR|PPC_SMLPAR|IBMEBUS|"
                        r"VIRTIO\w*|VHOST\w*|VFIO\w*|KVM\w*|HVC_\w+)\b")
IDENT = re.compile(r"\b[A-Z0-9_]+\b")


class Entry:
    def __init__(self, name, path):
        self.name, self.path = name, path
        self.deps = set()      # identifiers of depends on / if / menu
        self.selects = set()   # select / imply
        self.text = []
        self.prompt = False    # user-settable (a prompt), not only selected/defaulted


def parse_kconfig(tree, arch="powerpc"):
    """symbol -> [Entry]: every definition, with the dependencies of the
    blocks around it (a simplified Kconfig reader: conservative, every
    identifier of an expression counts)."""
    entries = {}
    seen = set()

    def subst(s):
        return s.replace("$(SRCARCH)", arch).replace("$(srctree)/", "").replace("$(ARCH)", arch)

    def walk(rel, outer):
        rel = os.path.normpath(subst(rel))
        path = os.path.join(tree, rel)
        if rel in seen or not os.path.isfile(path):
            return
        seen.add(rel)
        stack = [set(outer)]        # dependency sets of the open blocks
        kinds = []
        cur = None                  # the Entry being read
        header = None               # a menu/choice collecting its depends on
        in_help = False
        help_indent = None
        for raw in open(path, encoding="utf-8", errors="replace"):
            line = raw.rstrip("\n")
            s = line.strip()
            if in_help:
                ind = len(line) - len(line.lstrip())
                if s == "" or (help_indent is not None and ind >= help_indent):
                    if s and help_indent is None:
                        help_indent = ind
                    continue
                if help_indent is None and s:
                    help_indent = ind
                    continue
                in_help = False
            if not s or s.startswith("#"):
                continue
            s = s.split("#", 1)[0].strip() if not s.startswith(("prompt", "bool", "tristate", "string")) else s
            word = s.split()[0]
            if word in ("help", "---help---"):
                in_help, help_indent = True, None
                continue
            if word in ("config", "menuconfig") and len(s.split()) > 1:
                name = s.split()[1]
                cur = Entry(name, rel)
                cur.deps |= set().union(*stack)
                entries.setdefault(name, []).append(cur)
                header = None
                continue
            if word in ("source", "osource", "rsource", "orsource"):
                m = re.search(r'"([^"]+)"', s)
                if m:
                    target = m.group(1)
                    if word.startswith(("rsource", "orsource")):
                        target = os.path.join(os.path.dirname(rel), target)
                    walk(target, set().union(*stack))
                cur = header = None
                continue
            if word == "if":
                stack.append(set(IDENT.findall(s[2:])))
                kinds.append("if")
                cur = header = None
                continue
            if word in ("menu", "choice"):
                stack.append(set())
                kinds.append(word)
                cur = None
                header = stack[-1]
                continue
            if word in ("endif", "endmenu", "endchoice"):
                if len(stack) > 1:
                    stack.pop()
                    kinds.pop()
                cur = header = None
                continue
            if word in ("comment", "mainmenu"):
                cur = header = None
                continue
            if s.startswith("depends on"):
                ids = set(IDENT.findall(s[len("depends on"):]))
                if cur is not None:
                    cur.deps |= ids
                elif header is not None:
                    header |= ids
                continue
            if cur is not None:
                cur.text.append(s)
                if word in ("bool", "tristate", "prompt") and '"' in s:
                    cur.prompt = True
                if word in ("select", "imply") and len(s.split()) > 1:
                    cur.selects.add(s.split()[1])
                elif word in ("bool", "tristate", "def_bool", "def_tristate", "prompt") and " if " in s:
                    cur.deps |= set(IDENT.findall(s.split(" if ", 1)[1]))
                elif word == "visible" and header is not None:
                    header |= set(IDENT.findall(s))
    walk("Kconfig", set())
    return entries


def read_config(path):
    vals = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^CONFIG_([A-Za-z0-9_]+)=(.*)$", line)
        if m:
            vals[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^# CONFIG_([A-Za-z0-9_]+) is not set$", line)
        if m:
            vals[m.group(1)] = "n"
    return vals


def drop_dir(path):
    for d in DROP_DIRS:
        if path.startswith(d):
            return d
    return None


def candidates(entries, config, keep=()):
    """symbol -> directory of every =m module the rule may drop: only
    symbols with a prompt (the others follow from what selects them or
    their defaults, so olddefconfig would bring them back)."""
    out = {}
    for sym, val in config.items():
        if val != "m" or sym in KEEP_SYMBOLS or sym in keep:
            continue
        defs = entries.get(sym)
        if not defs or not any(e.prompt for e in defs):
            continue
        dirs = [drop_dir(e.path) for e in defs]
        if None in dirs:
            continue
        text = " ".join(t for e in defs for t in e.text) + " " + \
            " ".join(sorted(set().union(*(e.deps for e in defs))))
        if KEEP_WORDS.search(text):
            continue
        out[sym] = dirs[0]
    return out


def selectors(entries, config):
    """symbol -> the enabled symbols that select or imply it."""
    out = {}
    for s, v in config.items():
        if v not in ("y", "m"):
            continue
        for e in entries.get(s, ()):
            for t in e.selects:
                out.setdefault(t, set()).add(s)
    return out


def reduce(entries, config, keep=()):
    """The dropped modules: the candidates no kept enabled symbol needs.
    A kept symbol needs what it depends on and selects; a kept symbol
    without a prompt (enabled only because something selects it) also
    needs one of its selectors: a kept one if there is, else the first."""
    cand = candidates(entries, config, keep)
    enabled = {s for s, v in config.items() if v in ("y", "m")}
    sel = selectors(entries, config)
    while True:
        kept = enabled - set(cand)
        need = set()
        for s in kept:
            defs = entries.get(s, ())
            for e in defs:
                need |= e.deps | e.selects
            by = sel.get(s, set())
            if defs and not any(e.prompt for e in defs) and by and not (by & kept):
                need.add(sorted(by)[0])
        back = need & set(cand)
        if not back:
            return cand
        for s in back:
            del cand[s]


def lost_symbols(config, final):
    """symbol -> old value of each enabled symbol olddefconfig turned off or
    changed."""
    return {s: v for s, v in config.items()
            if v in ("y", "m") and final.get(s, "n") != v}


def finish(entries, config, final):
    """(dropped, problems, keep_more) after olddefconfig of a reduced config.
    dropped: every =m that went, with its directory -- the ones the rule
    named and the hardware helpers that followed them (a DVB frontend whose
    default is its dropped driver).  problems: a =y that changed, or a =m
    that went from outside DROP_DIRS.  keep_more: the dropped symbols those
    depend on or are selected by, to keep in the next round."""
    sel = selectors(entries, config)
    dropped, problems, keep_more = {}, [], set()
    lost = lost_symbols(config, final)
    gone = {s for s, v in lost.items() if final.get(s, "n") == "n"}
    for s, v in sorted(lost.items()):
        defs = entries.get(s, ())
        dirs = [drop_dir(e.path) for e in defs]
        if v == "m" and s in gone and defs and None not in dirs and s not in KEEP_SYMBOLS:
            dropped[s] = dirs[0]
            continue
        problems.append(f"CONFIG_{s}={v} became {final.get(s, 'n')}")
        deps = set().union(*(e.deps for e in defs)) if defs else set()
        keep_more |= (deps | sel.get(s, set())) & gone
    return dropped, problems, keep_more


def write_reduced(full_path, out_path, dropped):
    with open(out_path, "w") as out:
        for line in open(full_path, encoding="utf-8", errors="replace"):
            m = re.match(r"^CONFIG_([A-Za-z0-9_]+)=m$", line.rstrip("\n"))
            if m and m.group(1) in dropped:
                out.write(f"# CONFIG_{m.group(1)} is not set\n")
            else:
                out.write(line)


def verify(full, final, dropped):
    """Problems of a reduced config against the full one and the dropped
    list (empty: fine): every =y kept, every =m kept unless listed, and
    every listed symbol a =m of the full config that is off."""
    bad = []
    for s, v in sorted(full.items()):
        got = final.get(s, "n")
        if v == "y" and got != "y":
            bad.append(f"CONFIG_{s}=y became {got}")
        elif v == "m" and s not in dropped and got != "m":
            bad.append(f"CONFIG_{s}=m became {got} but is not in the dropped list")
    for s in dropped:
        if full.get(s) != "m":
            bad.append(f"CONFIG_{s} is in the dropped list but is not =m in the full config")
        elif final.get(s, "n") != "n":
            bad.append(f"CONFIG_{s} is in the dropped list but is {final[s]}")
    return bad


def read_dropped(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        sym, d = line.rstrip("\n").split("\t")
        out[sym[len("CONFIG_"):]] = d
    return out


def count_m(cfg):
    return sum(1 for v in cfg.values() if v == "m")


def read_keep(path):
    if path and os.path.exists(path):
        return {l.strip() for l in open(path) if l.strip()}
    return set()


def main(argv):
    if len(argv) in (4, 5) and argv[0] == "reduce":
        tree, full_path, out_path = argv[1:4]
        keep = read_keep(argv[4] if len(argv) == 5 else None)
        if not os.path.isfile(os.path.join(tree, "Kconfig")):
            sys.exit(f"debian-reduce.py: {tree} is not a kernel tree (no Kconfig)")
        config = read_config(full_path)
        if count_m(config) == 0:
            sys.exit(f"debian-reduce.py: {full_path} has no =m symbol: not a modular config")
        entries = parse_kconfig(tree)
        if len(entries) < 1000:
            sys.exit(f"debian-reduce.py: only {len(entries)} Kconfig symbols found in {tree}")
        drop = reduce(entries, config, keep)
        write_reduced(full_path, out_path, drop)
        print(f"debian-reduce.py: the rule drops {len(drop)} of {count_m(config)} =m modules"
              f" ({len(keep)} kept by earlier rounds)")
        return 0
    if len(argv) == 6 and argv[0] == "finish":
        tree, full_path, final_path, dropped_path, keep_path = argv[1:]
        config, final = read_config(full_path), read_config(final_path)
        dropped, problems, more = finish(parse_kconfig(tree), config, final)
        if problems:
            keep = read_keep(keep_path)
            print("\n".join(problems[:20]), file=sys.stderr)
            if not more - keep:
                sys.exit(f"debian-reduce.py: {len(problems)} symbols break the rule and no "
                         "dropped symbol explains them")
            with open(keep_path, "w") as f:
                f.write("".join(f"{s}\n" for s in sorted(keep | more)))
            print(f"debian-reduce.py: {len(problems)} symbols break the rule; keeping "
                  f"{len(more - keep)} more next round: {' '.join(sorted(more - keep)[:12])}",
                  file=sys.stderr)
            return 2
        with open(dropped_path, "w") as f:
            f.write("# =m modules dropped from Debian's powerpc64le config for CI builds\n"
                    "# (ci/configs/debian-reduce.py; generated by make kernel-debian-config)\n")
            for s in sorted(dropped):
                f.write(f"CONFIG_{s}\t{dropped[s]}\n")
        print(f"=m before: {count_m(config)}  after: {count_m(final)}  dropped: {len(dropped)}  "
              f"=y: {sum(1 for v in config.values() if v == 'y')} before, "
              f"{sum(1 for v in final.values() if v == 'y')} after")
        return 0
    if len(argv) == 4 and argv[0] == "verify":
        full, final = read_config(argv[1]), read_config(argv[2])
        bad = verify(full, final, read_dropped(argv[3]))
        if bad:
            print("\n".join(bad[:50]), file=sys.stderr)
            sys.exit(f"debian-reduce.py: the reduced config breaks the rule ({len(bad)} symbols)")
        print("debian-reduce.py: every =y kept, every other =m kept")
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
