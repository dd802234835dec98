// SPDX-License-Identifier: GPL-2.0-only
/*
 * nv2-hcount: run a command and count the L1 -> L0 hypercalls it causes,
 * per opcode (tests/l2/kvmt.c's counters on powerpc:hcall_entry, inherited
 * by the command and all its threads).  Used by the qemu72-l2boot run item
 * to price a whole L2 boot under QEMU.
 *
 *   nv2-hcount -p PREFIX [-m MARKER] [-o LOG] -- COMMAND [ARG...]
 *
 * The command's stdout and stderr go through a pipe into LOG (default
 * /dev/null); when a line contains MARKER the time since the start is
 * kept.  Prints, as "NV2: FACT" lines:
 *   PREFIX.rc             exit status of the command (128+N: signal N)
 *   PREFIX.wall_ms        start to exit
 *   PREFIX.marker_ms      start to the first MARKER line (absent: never)
 *   PREFIX.hc.NAME        hcalls of one opcode (zero counts omitted)
 *   PREFIX.hc_total       all hcalls (whatever the opcode)
 * Exit status: 0 when the command ran (whatever it returned), 2 when the
 * counters or the command could not be set up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../l2/kvmt.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: nv2-hcount -p PREFIX [-m MARKER] [-o LOG] -- COMMAND [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *prefix = NULL, *marker = NULL, *logpath = "/dev/null";
	struct kvmt_hcount hc;
	double t0, t_marker = -1, t_end;
	char line[4096];
	int pfd[2], status, rc, opt;
	FILE *in, *log;
	pid_t pid;

	while ((opt = getopt(argc, argv, "p:m:o:")) != -1) {
		switch (opt) {
		case 'p': prefix = optarg; break;
		case 'm': marker = optarg; break;
		case 'o': logpath = optarg; break;
		default: usage();
		}
	}
	if (!prefix || optind >= argc)
		usage();
	log = fopen(logpath, "w");
	if (!log) {
		fprintf(stderr, "nv2-hcount: %s: %s\n", logpath, strerror(errno));
		return 2;
	}
	rc = kvmt_hcount_open(&hc);
	if (rc) {
		fprintf(stderr, "nv2-hcount: hcall counters: %s\n", strerror(-rc));
		return 2;
	}
	if (pipe(pfd)) {
		perror("nv2-hcount: pipe");
		return 2;
	}
	rc = kvmt_hcount_start(&hc);
	if (rc) {
		fprintf(stderr, "nv2-hcount: start counters: %s\n", strerror(-rc));
		return 2;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("nv2-hcount: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "nv2-hcount: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (marker && t_marker < 0 && strstr(line, marker))
			t_marker = now_ms();
		fputs(line, log);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("nv2-hcount: waitpid");
		return 2;
	}
	t_end = now_ms();
	rc = kvmt_hcount_stop(&hc);
	fclose(log);
	if (rc) {
		fprintf(stderr, "nv2-hcount: read counters: %s\n", strerror(-rc));
		return 2;
	}
	printf("NV2: FACT %s.rc=%d\n", prefix,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	printf("NV2: FACT %s.wall_ms=%.0f\n", prefix, t_end - t0);
	if (t_marker >= 0)
		printf("NV2: FACT %s.marker_ms=%.0f\n", prefix, t_marker - t0);
	for (int i = 0; i < hc.n; i++)
		if (hc.count[i])
			printf("NV2: FACT %s.hc.%s=%" PRIu64 "\n", prefix, hc.name[i], hc.count[i]);
	printf("NV2: FACT %s.hc_total=%" PRIu64 "\n", prefix, hc.total);
	kvmt_hcount_close(&hc);
	return 0;
}
