#!/usr/bin/env python3
"""gsc-lint: every access to a vCPU field that the nestedv2 guest state
element table maps to an element must go through the state cache.

Usage: ci/gsc-lint.py [--allow FILE] [--list] KERNEL_TREE

Reads the element table (arch/powerpc/include/asm/kvm_guest_state_ids.h,
its "field" and "owner" columns) of KERNEL_TREE, then every .c and .h
file under arch/powerpc/kvm, and reports each `vcpu->arch.FIELD` (or
`->arch.FIELD` through another vCPU pointer) for a mapped FIELD that is
not covered by the allow file (ci/gsc-lint.allow).  The owner column
decides what needs the cache: every access to a field the L0 owns
(KVMPPC_GS_OWN_L0: the guest changes it while it runs), but only writes
to the others (L1-owned, exit information, write-only, run parameters):
KVM's copy of those is always current, and a write must still be marked
dirty to reach the L0.  The allow file names the accessor
layer and the code that never runs with nestedv2 (whole files), and the
functions that load or mark the element themselves (file, function,
field).  Exit status: 0 clean, 1 findings (one line each:
file:line: function: field), 2 usage or input errors.  --list prints
every access with its verdict.
"""
import argparse
import os
import re
import sys

TABLE = "arch/powerpc/include/asm/kvm_guest_state_ids.h"
KVM_DIR = "arch/powerpc/kvm"
# KVMPPC_GS_VCPU(arch.pid), KVM_REG_PPC_PID, KVMPPC_GS_OWN_L0)
FIELD_RE = re.compile(r"KVMPPC_GS_VCPU\(\s*arch\.([A-Za-z0-9_.\[\]]+)\s*\)\s*,"
                      r"[^,]*,\s*KVMPPC_GS_OWN_([A-Z0-9]+)\s*\)")
# an assignment, increment or address taken after the field (and any
# index or sub-member), or an increment before it
WRITE_AFTER = re.compile(r"^(?:\[[^\]]*\]|\.[A-Za-z0-9_]+)*\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)|^(?:\[[^\]]*\])*\s*(?:\+\+|--)")
WRITE_BEFORE = re.compile(r"(?:\+\+|--|(?<![&\w)\]\s])\s*&)\s*(?:\(\s*)?[A-Za-z0-9_]*\s*$")
FUNC_START = re.compile(r"^[A-Za-z_][^;=]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\([^;]*$")


def die(msg):
    print(f"gsc-lint: {msg}", file=sys.stderr)
    sys.exit(2)


def table_fields(tree):
    path = os.path.join(tree, TABLE)
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        die(f"{path}: {e.strerror} (is {tree} a kernel tree with the series applied?)")
    fields = {}
    for m in FIELD_RE.finditer(text):
        # arch.regs.gpr[3] -> regs.gpr; arch.mmcr[0] -> mmcr
        field = re.sub(r"\[.*", "", m.group(1))
        # a field that holds any L0-owned element is checked for reads too
        fields[field] = fields.get(field) == "L0" and "L0" or m.group(2)
    if not fields:
        die(f"{path}: no 'KVMPPC_GS_VCPU(arch.X), ONEREG, KVMPPC_GS_OWN_Y)' entries found: "
            "table format changed?")
    return fields


def read_allow(path):
    files, funcs = {}, {}
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        die(f"{path}: {e.strerror}")
    for n, line in enumerate(lines, 1):
        body = line.split("#", 1)[0].split()
        if not body:
            continue
        if len(body) == 1:
            files[body[0]] = n
        elif len(body) == 3:
            for field in body[2].split(","):
                funcs[(body[0], body[1], field)] = n
        else:
            die(f"{path}:{n}: expected 'FILE' or 'FILE FUNCTION FIELD', got {line!r}")
        if "#" not in line:
            die(f"{path}:{n}: every entry needs a '# reason'")
    return files, funcs


def accesses(path, rel, fields):
    """(line, function, field) of every mapped field access in one file."""
    pat = re.compile(r"->arch\.(" + "|".join(sorted((re.escape(f) for f in fields),
                                                     key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
    func, pending = None, None
    depth = 0
    out = []
    for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        code = re.sub(r"//.*|/\*.*?\*/", "", line)
        if depth == 0:
            m = FUNC_START.match(code)
            if m and not code.startswith(("#", " ", "\t")):
                pending = m.group(1)
            if code.startswith("{"):
                func = pending or "?"
        for m in pat.finditer(code):
            field = m.group(1)
            write = bool(WRITE_AFTER.match(code[m.end():]) or
                         WRITE_BEFORE.search(code[:m.start()]))
            if fields[field] != "L0" and not write:
                continue    # reading what only KVM changes needs no cache
            out.append((n, func if depth or code.startswith("{") else "-", field))
        depth += code.count("{") - code.count("}")
        if depth <= 0:
            depth = 0
            if code.startswith("}"):
                func, pending = None, None
    return out


def main():
    ap = argparse.ArgumentParser(description="nestedv2 state cache accesses check")
    ap.add_argument("tree")
    ap.add_argument("--allow", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    "gsc-lint.allow"))
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    fields = table_fields(args.tree)
    files, funcs = read_allow(args.allow)
    kdir = os.path.join(args.tree, KVM_DIR)
    if not os.path.isdir(kdir):
        die(f"{kdir}: not a directory")
    bad, used_files, used_funcs = [], set(), set()
    for name in sorted(os.listdir(kdir)):
        if not name.endswith((".c", ".h")):
            continue
        rel = f"{KVM_DIR}/{name}"
        for line, func, field in accesses(os.path.join(kdir, name), rel, fields):
            if name in files:
                verdict = "file allowed"
                used_files.add(name)
            elif (name, func, field) in funcs:
                verdict = "function allowed"
                used_funcs.add((name, func, field))
            else:
                verdict = "NOT THROUGH THE CACHE"
                bad.append(f"{rel}:{line}: {func}: vcpu->arch.{field}")
            if args.list:
                print(f"{rel}:{line}: {func}: {field}: {verdict}")
    stale = [f"{args.allow}:{n}: {k}" for k, n in funcs.items() if k not in used_funcs]
    stale += [f"{args.allow}:{n}: {k}" for k, n in files.items() if k not in used_files]
    for b in bad:
        print(b)
    for s in stale:
        print(f"{s}: allowed but no such access any more: remove the entry")
    if bad:
        print(f"gsc-lint: {len(bad)} access(es) to nestedv2 guest state outside the "
              "state cache: use the accessors (kvmppc_get_*/set_*), or kvmppc_gsc_load() "
              "before a read and kvmppc_gsc_mark_dirty() after a write, and list the "
              "function in ci/gsc-lint.allow", file=sys.stderr)
    return 1 if bad or stale else 0


if __name__ == "__main__":
    sys.exit(main())
