// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: qemu_vm_name(), the -name parser of a QEMU command line
 * (NUL-separated, as in /proc/PID/cmdline), given exactly the input's
 * bytes: the last element need not end in a NUL.  This is where libFuzzer
 * found the read past the end fixed in nvlat 1.1.0. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cmd = malloc(size ? size : 1), out[32];

	if (!cmd)
		return 0;
	memcpy(cmd, data, size);
	if (qemu_vm_name(cmd, size, out, sizeof(out)) == 0)
		fuzz_sink += strlen(out);
	free(cmd);
	return 0;
}
