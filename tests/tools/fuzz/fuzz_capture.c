// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the capture reader (header, records, checksums,
 * resynchronisation after damage), reading through its window. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	replay_capture(fuzz_file(data, size), &fuzz_ops);
	return 0;
}
