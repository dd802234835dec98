#!/usr/bin/env bash
# Debian's bpftrace for ppc64el as an L1 initramfs overlay (make
# bpftrace-payload): build/payload/bpftrace/usr/bin/bpftrace (Debian 12's
# bpftrace 0.17, pinned in ci/debs.lock) and
# every shared library it needs (LLVM 14 and clang 14 are most of it), with
# build/payload/bpftrace.manifest.  Used by `make bpftrace-l1`
# (ci/mk/bpftrace.mk) to run tools/bpftrace/*.bt on the live tracepoint.
# How: ci/deb-payload.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# bpftrace's Depends and what those need in turn.
LIBS=(libbpf1 libbpfcc libbsd0 libbz2-1.0 libc6
	libclang1-14 libdw1 libedit2 libelf1 libffi8 libgcc-s1 libicu72
	libllvm14 liblzma5 libmd0 libstdc++6 libtinfo6 libxml2 libz3-4
	zlib1g)
exec "$TOP/ci/deb-payload.sh" bpftrace usr/bin/bpftrace \
	bpftrace "${LIBS[@]}"
