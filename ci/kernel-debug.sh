#!/usr/bin/env bash
# The checking L1s: our 6.1 + series, the lean config + KUnit + one set of
# the kernel's own checkers -> build/kernels/FLAVOUR/vmlinux.
#
#   ci/kernel-debug.sh [debug]   ci/configs/l1-debug.config: soft-lockup and
#                                hung-task detectors, lockdep, KASAN
#   ci/kernel-debug.sh leak      ci/configs/l1-leak.config: kmemleak and
#                                page_owner (make leak-hunt)
#
# Built through `ci/kernel.sh build` in its own object tree
# (build/obj/linux-6.1-FLAVOUR; an unchanged tree is a quick no-op make),
# so the other flavours and their kernel cache keys stay as they are.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavour=${1:-debug}
case $flavour in
debug | leak) ;;
*) die "usage: $0 [debug|leak]" ;;
esac
"$TOP/ci/sources.sh" ours
obj=$BUILD/obj/linux-6.1-$flavour
"$TOP/ci/kernel.sh" build "$BUILD/src/linux-6.1" "$obj" "$TOP/ci/configs/l1-lean.config" \
	"$TOP/ci/configs/kunit.config" "$TOP/ci/configs/l1-$flavour.config"
"$TOP/ci/kernel.sh" install "$obj" "$flavour" "$BUILD/src/linux-6.1"
