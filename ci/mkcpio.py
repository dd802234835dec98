#!/usr/bin/env python3
"""Write a deterministic newc cpio (gzip) from a staging directory.

Everything is owned by root, mtimes are 0, entries are sorted, and device
nodes given with --node are added without needing mknod on the host:

    mkcpio.py STAGING OUT.cpio.gz --node dev/console:c:5:1:600
"""
import argparse
import gzip
import os
import stat
import sys


def header(ino, mode, nlink, size, rdevmajor, rdevminor, name):
    namesize = len(name) + 1
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdevmajor, rdevminor,
              namesize, 0]
    return ("070701" + "".join(f"{v:08x}" for v in fields)).encode() + \
        name.encode() + b"\0"


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def entries(staging):
    for root, dirs, files in os.walk(staging):
        dirs.sort()
        rel = os.path.relpath(root, staging)
        if rel != ".":
            yield rel
        for f in sorted(files):
            yield os.path.normpath(os.path.join(rel, f))
        for d in dirs:
            p = os.path.join(root, d)
            if os.path.islink(p):
                yield os.path.normpath(os.path.join(rel, d))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("staging")
    ap.add_argument("out")
    ap.add_argument("--node", action="append", default=[],
                    help="PATH:c|b:MAJOR:MINOR:OCTALMODE")
    args = ap.parse_args()

    out = bytearray()
    ino = 1
    seen = set()
    for rel in entries(args.staging):
        path = os.path.join(args.staging, rel)
        st = os.lstat(path)
        mode = st.st_mode
        data = b""
        if stat.S_ISLNK(mode):
            data = os.readlink(path).encode()
            mode = stat.S_IFLNK | 0o777
        elif stat.S_ISREG(mode):
            with open(path, "rb") as f:
                data = f.read()
            mode = stat.S_IFREG | (0o755 if mode & 0o111 else 0o644)
        elif stat.S_ISDIR(mode):
            mode = stat.S_IFDIR | 0o755
        else:
            continue
        h = header(ino, mode, 2 if stat.S_ISDIR(mode) else 1, len(data), 0, 0, rel)
        out += h + pad(len(h)) + data + pad(len(data))
        seen.add(rel)
        ino += 1
    for spec in args.node:
        try:
            rel, kind, major, minor, perm = spec.split(":")
            major, minor, perm = int(major), int(minor), int(perm, 8)
            if kind not in ("c", "b"):
                raise ValueError
        except ValueError:
            sys.exit(f"mkcpio: bad --node '{spec}' (want PATH:c|b:MAJOR:MINOR:MODE)")
        if rel in seen:
            continue
        mode = (stat.S_IFCHR if kind == "c" else stat.S_IFBLK) | perm
        h = header(ino, mode, 1, 0, major, minor, rel)
        out += h + pad(len(h))
        ino += 1
    h = header(0, 0, 1, 0, 0, 0, "TRAILER!!!")
    out += h + pad(len(h))
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(filename="", fileobj=f, mode="wb", mtime=0,
                           compresslevel=6) as gz:
            gz.write(bytes(out))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
