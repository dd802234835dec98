// SPDX-License-Identifier: GPL-2.0-only
/*
 * Print the exit and hcall tables that `perf kvm stat` on powerpc uses
 * (tools/perf/arch/powerpc/util/book3s_hv_exits.h, book3s_hcalls.h), one
 * "exit|hcall CODE NAME" line per entry, for tests/obs/test_perf_names.py.
 * Compiled against a kernel tree: -I <tree>/tools/perf/arch/powerpc/util.
 */
#include <stdio.h>

/* As tools/perf/util/kvm-stat.h defines them */
struct exit_reasons_table {
	unsigned long exit_code;
	const char *reason;
};

#define define_exit_reasons_table(name, symbols)	\
	static struct exit_reasons_table name[] = {	\
		symbols, { -1, NULL }			\
	}

#include "book3s_hv_exits.h"
#include "book3s_hcalls.h"

define_exit_reasons_table(hv_exit_reasons, kvm_trace_symbol_exit);
define_exit_reasons_table(hcall_reasons, kvm_trace_symbol_hcall);

static void dump(const char *what, const struct exit_reasons_table *t)
{
	for (; t->reason; t++)
		printf("%s 0x%lx %s\n", what, t->exit_code, t->reason);
}

int main(void)
{
	dump("exit", hv_exit_reasons);
	dump("hcall", hcall_reasons);
	return 0;
}
