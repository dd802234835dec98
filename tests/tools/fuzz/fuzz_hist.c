// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: a tracefs hist file (nvlat --in-kernel reads the
 * kernel's ftrace hist trigger output) into inkernel_parse(), NUL-
 * terminated at the input's end as read_file() gives it. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *txt = malloc(size + 1);
	struct u64map m = { 0 };
	uint64_t dropped = 0;

	if (!txt)
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	if (inkernel_parse(txt, &m, &dropped) == 0)
		for (size_t i = 0; i < m.cap; i++)
			if (m.used[i])
				fuzz_sink += m.keys[i] ^ m.vals[i];
	fuzz_sink += dropped;
	u64map_free(&m);
	free(txt);
	return 0;
}
