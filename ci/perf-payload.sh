#!/usr/bin/env bash
# Debian's perf for ppc64el as an L1 initramfs overlay (make perf-payload):
# build/payload/perf/usr/bin/perf (Debian 12's linux-perf 6.1, pinned in
# ci/debs.lock) and every shared library it
# needs, with build/payload/perf.manifest.  Used by `make obs-check`
# (ci/initramfs.sh obs build/payload/perf) for `perf stat -e vpa_pmu/...`
# inside the L1.  How: ci/deb-payload.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# linux-perf's Depends and what those need in turn.
LIBS=(libbabeltrace1 libbz2-1.0 libc6 libcap2 libcrypt1 libdw1
	libelf1 libexpat1 libgcc-s1 libglib2.0-0 liblzma5
	libnuma1 libopencsd1 libpcre2-8-0 libperl5.36 libpython3.11
	libslang2 libstdc++6 libunwind8 libuuid1 libzstd1 zlib1g)
exec "$TOP/ci/deb-payload.sh" perf usr/bin/perf linux-perf "${LIBS[@]}"
