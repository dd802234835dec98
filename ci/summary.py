#!/usr/bin/env python3
"""Print the closing line CI reads: 'N passed, N failed[, N skipped]'."""
import sys
import xml.etree.ElementTree as ET


def main(path):
    passed = failed = skipped = 0
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
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
