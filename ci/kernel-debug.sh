#!/usr/bin/env bash
# The debug L1: our 6.1 + series, the lean config + KUnit + the kernel's
# checkers (ci/configs/l1-debug.config: soft-lockup and hung-task
# detectors, lockdep, KASAN) -> build/kernels/debug/vmlinux.
#
#   ci/kernel-debug.sh
#
# Built through `ci/kernel.sh build` in its own object tree
# (build/obj/linux-6.1-debug; an unchanged tree is a quick no-op make), so
# the other flavours and their kernel cache keys stay as they are.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/ci/sources.sh" ours
obj=$BUILD/obj/linux-6.1-debug
"$TOP/ci/kernel.sh" build "$BUILD/src/linux-6.1" "$obj" "$TOP/ci/configs/l1-lean.config" \
	"$TOP/ci/configs/kunit.config" "$TOP/ci/configs/l1-debug.config"
"$TOP/ci/kernel.sh" install "$obj" debug "$BUILD/src/linux-6.1"
