#!/usr/bin/env bash
# Build the L1 initramfs: busybox (ppc64el, from Debian), /init, run items
# (/nv2/run) and their shared helpers (/nv2/lib.sh),
# the project's static ppc64el programs, and optional overlays.
#
#   ci/initramfs.sh NAME [OVERLAY_DIR...]  -> build/initramfs/NAME.cpio.gz
#
# Programs: every executable in build/l2/ppc64el/ and build/tools/ppc64el/
# goes to /usr/bin.  An overlay is a root tree copied over the result (e.g.
# build/payload/qemu-7.2 with a VMM and its libraries).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=${1:?usage: $0 NAME [OVERLAY_DIR...]}
shift
"$TOP/ci/fetch-target.sh"
stage=$BUILD/initramfs/$name.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,nv2/run,etc}
cp "$BUILD/target/busybox-static/bin/busybox" "$stage/bin/busybox"
cp "$TOP/ci/initramfs/init" "$stage/init"
cp "$TOP"/ci/initramfs/run/* "$stage/nv2/run/"
cp "$TOP/ci/initramfs/lib.sh" "$stage/nv2/lib.sh"
for d in "$BUILD/l2/ppc64el" "$BUILD/tools/ppc64el"; do
	[ -d "$d" ] || continue
	find "$d" -maxdepth 1 -type f -perm -u+x -exec cp {} "$stage/usr/bin/" \;
done
for o in "$@"; do
	[ -d "$o" ] || die "overlay $o does not exist"
	cp -a "$o/." "$stage/"
done
echo "root:x:0:0:root:/:/bin/sh" >"$stage/etc/passwd"
out=$BUILD/initramfs/$name.cpio.gz
/usr/bin/python3 "$TOP/ci/mkcpio.py" "$stage" "$out.new" \
	--node dev/console:c:5:1:600 --node dev/null:c:1:3:666
# An unchanged archive keeps its mtime (nothing downstream sees a change).
if cmp -s "$out.new" "$out"; then rm -f "$out.new"; else mv "$out.new" "$out"; fi
say "$name: $(du -h "$BUILD/initramfs/$name.cpio.gz" | cut -f1) $BUILD/initramfs/$name.cpio.gz"
