#!/usr/bin/env bash
# Make ppc64el binaries runnable on this x86_64 host through qemu-user-static
# and binfmt_misc, so mmdebstrap can run the image's maintainer scripts
# (ci/lpar-image.sh).  Idempotent: mounts binfmt_misc when it is not, and
# registers qemu-ppc64le from the rule qemu-user-static ships
# (/usr/lib/binfmt.d/qemu-ppc64le.conf; flag F, so the interpreter is opened
# now and works inside the chroot).  No binfmt-support needed.
#
#   ci/binfmt-ppc64le.sh        exit 0 when ppc64el binaries run
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BM=/proc/sys/fs/binfmt_misc
RULE=/usr/lib/binfmt.d/qemu-ppc64le.conf

[ -f "$RULE" ] || die "$RULE missing: install qemu-user-static (make deps; ci/deps.d/lpar.list)"
if [ ! -e "$BM/register" ]; then
	mount -t binfmt_misc binfmt_misc "$BM" ||
		die "cannot mount binfmt_misc on $BM (needs root or CAP_SYS_ADMIN)"
fi
[ "$(cat "$BM/status")" = enabled ] || echo 1 >"$BM/status"
if [ ! -e "$BM/qemu-ppc64le" ]; then
	interp=$(awk -F: '{print $7}' "$RULE")
	[ -x "$interp" ] || die "$interp (from $RULE) is not there"
	# The rule file's flags (OPF) are kept as qemu-user-static ships them.
	grep -v '^#' "$RULE" | head -n1 >"$BM/register" ||
		die "registering $RULE in $BM failed"
	say "registered qemu-ppc64le ($interp) in $BM"
fi
grep -qx enabled "$BM/qemu-ppc64le" || echo 1 >"$BM/qemu-ppc64le"
grep -q '^flags: .*F' "$BM/qemu-ppc64le" ||
	die "$BM/qemu-ppc64le is registered without flag F: the chroot cannot find the interpreter; unregister it (echo -1 > $BM/qemu-ppc64le) and rerun"
