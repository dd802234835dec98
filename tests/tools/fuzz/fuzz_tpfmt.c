// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the tracefs "format" parser, then the raw record
 * decoder with the layout it accepted.  Input: format text, optionally
 * followed by a NUL and a raw record. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tl = nul ? (size_t)(nul - data) : size;
	char *text = malloc(tl + 1), err[256] = "";
	struct tp_format f;

	if (!text)
		return 0;
	memcpy(text, data, tl);
	text[tl] = '\0';
	if (tpfmt_parse(text, tp_default_fields, &f, err, sizeof(err)) == 0 && nul) {
		size_t rl = size - tl - 1;
		unsigned char *raw = malloc(rl ? rl : 1);
		struct nv_event ev;

		if (raw) {
			memcpy(raw, nul + 1, rl);
			if (tpfmt_decode(&f, raw, rl, &ev) == 0)
				f_event(&ev);
			free(raw);
		}
	} else {
		fuzz_sink += strlen(err);
	}
	free(text);
	return 0;
}
