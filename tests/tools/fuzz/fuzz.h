/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the nvlat libFuzzer targets (tests/tools/fuzz, make fuzz-tools). */
#ifndef NVLAT_FUZZ_H
#define NVLAT_FUZZ_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvlat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A sink that looks at everything it is given, so the sanitizers see
 * every field read. */
static uint64_t fuzz_sink;

static int f_event(const struct nv_event *ev)
{
	fuzz_sink += ev->time_ns ^ ev->pid ^ ev->tid ^ ev->cpu ^ (uint32_t)ev->vcpu ^
		     ev->v[0] ^ ev->v[1] ^ ev->v[2];
	return 0;
}

static void f_task(uint32_t pid, uint32_t tid, const char *thread, const char *vm)
{
	fuzz_sink += pid + tid + strlen(thread ? thread : "") + strlen(vm ? vm : "");
}

static void f_lost(uint64_t t, uint64_t n)
{
	fuzz_sink += t + n;
}

static void f_bad(void)
{
	fuzz_sink++;
}

static void f_info(const char *k, const char *v)
{
	fuzz_sink += strlen(k) + strlen(v);
}

static const struct source_ops fuzz_ops = {
	.event = f_event, .task = f_task, .lost = f_lost, .bad = f_bad,
	.info = f_info,
};

/* The input as a file the readers can open: a memfd, by its /proc path. */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("nvlat-fuzz", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	msg_quiet = 1;
	return 0;
}

#endif
