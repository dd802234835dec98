// SPDX-License-Identifier: GPL-2.0-only
/*
 * nv2-hcount: run a command and count the L1 -> L0 hypercalls it causes,
 * per opcode (tests/l2/kvmt.c's counters on powerpc:hcall_entry, inherited
 * by the command and all its threads).  Used by the qemu72-l2boot run item
 * to price a whole L2 boot under QEMU.
 *
 *   nv2-hcount -p PREFIX [-m MARKER] [-o LOG] [-e NAME=SYS:EVENT[:FILTER]]...
 *              -- COMMAND [ARG...]
 *
 * The command's stdout and stderr go through a pipe into LOG (default
 * /dev/null); when a line contains MARKER the time since the start is
 * kept.  Prints, as "NV2: FACT" lines:
 *   PREFIX.rc             exit status of the command (128+N: signal N)
 *   PREFIX.wall_ms        start to exit
 *   PREFIX.marker_ms      start to the first MARKER line (absent: never)
 *   PREFIX.hc.NAME        hcalls of one opcode (zero counts omitted)
 *   PREFIX.hc_total       all hcalls (whatever the opcode)
 *   PREFIX.ev.NAME        hits of the tracepoint SYS:EVENT of an -e option
 *                         (with its ftrace FILTER, e.g. "reason == 19"), in
 *                         the command's tasks: e.g. kvm:kvm_userspace_exit
 *                         (KVM_RUN returns to the VMM) or
 *                         kvm_hv:kvm_hcall_enter (L2 hcalls the L1 sees)
 * Exit status: 0 when the command ran (whatever it returned), 2 when the
 * counters or the command could not be set up (a tracepoint of -e that
 * this kernel lacks, e.g. kvm_hv not loaded, or a filter it refuses).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
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
	fprintf(stderr, "usage: nv2-hcount -p PREFIX [-m MARKER] [-o LOG] "
		"[-e NAME=SYS:EVENT[:FILTER]]... -- COMMAND [ARG...]\n");
	exit(2);
}

/* One -e counter: a tracepoint (optionally filtered), inherited. */
#define MAX_EV 16
struct ev {
	char name[64];
	char tp[128];		/* SYS/EVENT */
	const char *filter;	/* NULL: none */
	int fd;
	uint64_t count;
};

/* NAME=SYS:EVENT[:FILTER] -> ev; 0, or -1 when malformed. */
static int ev_parse(struct ev *e, const char *arg)
{
	const char *eq = strchr(arg, '='), *colon, *f;
	size_t n;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(e->name))
		return -1;
	memcpy(e->name, arg, eq - arg);
	e->name[eq - arg] = 0;
	for (const char *c = e->name; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9')))
			return -1;
	colon = strchr(eq + 1, ':');
	if (!colon || colon == eq + 1)
		return -1;
	f = strchr(colon + 1, ':');
	n = f ? (size_t)(f - colon - 1) : strlen(colon + 1);
	if (!n || (size_t)(colon - eq - 1) + 1 + n >= sizeof(e->tp))
		return -1;
	snprintf(e->tp, sizeof(e->tp), "%.*s/%.*s", (int)(colon - eq - 1), eq + 1,
		 (int)n, colon + 1);
	e->filter = f ? f + 1 : NULL;
	if (e->filter && !*e->filter)
		return -1;
	e->fd = -1;
	return 0;
}

/* Open the counter of e (disabled, inherited by children); 0 or -errno
 * with a message on stderr. */
static int ev_open(struct ev *e)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events",
					     "/sys/kernel/debug/tracing/events" };
	struct perf_event_attr attr;
	char path[256], buf[32];
	int fd = -1, rc;

	for (unsigned int i = 0; i < sizeof(roots) / sizeof(roots[0]) && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/%s/id", roots[i], e->tp);
		fd = open(path, O_RDONLY);
	}
	if (fd < 0) {
		rc = -errno;
		fprintf(stderr, "nv2-hcount: tracepoint %s: %s\n", e->tp, strerror(-rc));
		return rc;
	}
	rc = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (rc <= 0) {
		fprintf(stderr, "nv2-hcount: tracepoint %s: cannot read its id\n", e->tp);
		return -EIO;
	}
	buf[rc] = 0;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = strtoull(buf, NULL, 10);
	attr.disabled = 1;
	attr.inherit = 1;
	e->fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (e->fd < 0) {
		rc = -errno;
		fprintf(stderr, "nv2-hcount: perf_event_open %s: %s\n", e->tp, strerror(-rc));
		return rc;
	}
	if (e->filter && ioctl(e->fd, PERF_EVENT_IOC_SET_FILTER, e->filter) < 0) {
		rc = -errno;
		fprintf(stderr, "nv2-hcount: filter '%s' on %s: %s\n", e->filter, e->tp,
			strerror(-rc));
		return rc;
	}
	return 0;
}

static int ev_each(struct ev *ev, int n, unsigned long req)
{
	for (int i = 0; i < n; i++)
		if (ioctl(ev[i].fd, req, 0) < 0)
			return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	const char *prefix = NULL, *marker = NULL, *logpath = "/dev/null";
	struct kvmt_hcount hc;
	struct ev ev[MAX_EV];
	int nev = 0;
	double t0, t_marker = -1, t_end;
	char line[4096];
	int pfd[2], status, rc, opt;
	FILE *in, *log;
	pid_t pid;

	while ((opt = getopt(argc, argv, "p:m:o:e:")) != -1) {
		switch (opt) {
		case 'p': prefix = optarg; break;
		case 'm': marker = optarg; break;
		case 'o': logpath = optarg; break;
		case 'e':
			if (nev == MAX_EV || ev_parse(&ev[nev], optarg)) {
				fprintf(stderr, "nv2-hcount: -e %s: want NAME=SYS:EVENT[:FILTER] "
					"(at most %d)\n", optarg, MAX_EV);
				usage();
			}
			nev++;
			break;
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
	for (int i = 0; i < nev; i++)
		if (ev_open(&ev[i]))
			return 2;
	if (pipe(pfd)) {
		perror("nv2-hcount: pipe");
		return 2;
	}
	rc = ev_each(ev, nev, PERF_EVENT_IOC_RESET);
	if (!rc)
		rc = ev_each(ev, nev, PERF_EVENT_IOC_ENABLE);
	if (!rc)
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
	if (!rc)
		rc = ev_each(ev, nev, PERF_EVENT_IOC_DISABLE);
	for (int i = 0; i < nev && !rc; i++)
		if (read(ev[i].fd, &ev[i].count, sizeof(ev[i].count)) != sizeof(ev[i].count))
			rc = -EIO;
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
	for (int i = 0; i < nev; i++) {
		printf("NV2: FACT %s.ev.%s=%" PRIu64 "\n", prefix, ev[i].name, ev[i].count);
		close(ev[i].fd);
	}
	kvmt_hcount_close(&hc);
	return 0;
}
