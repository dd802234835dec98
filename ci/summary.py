#!/usr/bin/env python3
"""Print each skip with its reason, each failure with the start of its
message (CI shows the tail of the output: the reason of a failure must be
there, not only in pytest's long report above), then the closing line CI
reads: 'N passed, N failed[, N skipped]'."""
import sys
import xml.etree.ElementTree as ET

# the characters of a failure's message printed (one line each)
MAXWHY = 600


def main(path):
    passed = failed = skipped = 0
    skips, fails = [], []
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        print(f"summary: cannot read {path}: {exc}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
            el = case.find("failure")
            if el is None:
                el = case.find("error")
            why = " ".join((el.get("message") or "").split()) if el is not None else ""
            fails.append((f"{case.get('classname', '')}::{case.get('name', '')}", why[:MAXWHY]))
        elif "skipped" in tags:
            skipped += 1
            el = case.find("skipped")
            why = (el.get("message") or "").strip() if el is not None else ""
            skips.append((f"{case.get('classname', '')}::{case.get('name', '')}", why))
        else:
            passed += 1
    if skips:
        # Every skip with its reason: make check may only skip what it does
        # not run (a manual target) or an expected failure (xfail).
        print(f"skipped ({len(skips)}):")
        for name, why in skips:
            print(f"  {name}: {why}")
    if fails:
        print(f"failed ({len(fails)}):")
        for name, why in fails:
            print(f"  {name}: {why}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
