// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: one line of ftrace (trace, trace_pipe) or `trace-cmd
 * report` text straight into pscript_parse_line(), which also reads perf
 * script lines; the seeds are ftrace/trace-cmd lines, and the line is not
 * NUL-padded beyond its end so reads past it are caught. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), comm[64];
	struct nv_event ev;
	const char *why = NULL;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (pscript_parse_line(line, &ev, comm, sizeof(comm), &why) == 1)
		f_event(&ev);
	else if (why)
		fuzz_sink += strlen(why);
	free(line);
	return 0;
}
