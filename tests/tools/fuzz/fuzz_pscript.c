// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: `perf script` text through the whole text reader
 * (replay_perf_script: line splitting, NUL detection, the line parser). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	replay_perf_script(fuzz_file(data, size), &fuzz_ops);
	names_free();
	return 0;
}
