// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat --pmu: counting mode on the vpa_pmu PMU (Linux >= 6.13).
 *
 * The PMU type comes from /sys/bus/event_source/devices/vpa_pmu/type and
 * each event's encoding from its events/ file ("event=0x01"), mapped onto
 * perf_event_attr bits through the PMU's format/ files ("config:0-31"),
 * so nothing about the encoding is compiled in.  Counters count
 * nanoseconds.  Per CPU by default (system wide), or per thread of one
 * process with -p PID (the vCPU threads of a QEMU).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nvlat.h"

static const char *const pmu_events[NCOMP] = {
	"l1_to_l2_lat", "l2_to_l1_lat", "l2_runtime_agg",
};

/* Place the low bits of val into cfg according to "config1:0-7,16-23". */
static int apply_format(const char *fmt, uint64_t val, uint64_t cfg[3],
			char *err, size_t errlen)
{
	const char *p = fmt, *colon = strchr(fmt, ':');
	int which;
	unsigned used = 0;

	if (!colon) {
		snprintf(err, errlen, "bad format '%s'", fmt);
		return -1;
	}
	if (!strncmp(fmt, "config:", 7))
		which = 0;
	else if (!strncmp(fmt, "config1:", 8))
		which = 1;
	else if (!strncmp(fmt, "config2:", 8))
		which = 2;
	else {
		snprintf(err, errlen, "unsupported format field '%.*s'",
			 (int)(colon - fmt), fmt);
		return -1;
	}
	for (p = colon + 1; *p && *p != '\n';) {
		char *e;
		long lo = strtol(p, &e, 10), hi = lo;

		if (e == p || lo < 0 || lo > 63)
			goto bad;
		if (*e == '-') {
			p = e + 1;
			hi = strtol(p, &e, 10);
			if (e == p || hi < lo || hi > 63)
				goto bad;
		}
		for (long b = lo; b <= hi; b++, used++) {
			if (used < 64 && (val >> used) & 1)
				cfg[which] |= 1ull << b;
		}
		p = e;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto bad;
	}
	if (used < 64 && val >> used) {
		snprintf(err, errlen, "value 0x%" PRIx64 " does not fit in '%s'",
			 val, fmt);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad format '%s'", fmt);
	return -1;
}

int pmu_encode(const char *pmudir, const char *event, uint64_t cfg[3],
	       char *err, size_t errlen)
{
	char path[PATH_MAX], *txt, *tok, *save = NULL;

	cfg[0] = cfg[1] = cfg[2] = 0;
	snprintf(path, sizeof(path), "%s/events/%s", pmudir, event);
	txt = read_file(path, NULL);
	if (!txt) {
		snprintf(err, errlen, "%s: %s (the PMU has no event %s)", path,
			 strerror(errno), event);
		return -1;
	}
	for (tok = strtok_r(txt, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		char *eq = strchr(tok, '='), *fmt;
		uint64_t val = 1;
		int r;

		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		if (eq) {
			*eq = '\0';
			if (parse_u64(eq + 1, &val)) {
				snprintf(err, errlen, "%s: bad value '%s' for %s", path,
					 eq + 1, tok);
				free(txt);
				return -1;
			}
		}
		if (strchr(tok, '/') || strchr(tok, '.')) {
			snprintf(err, errlen, "%s: bad term '%s'", path, tok);
			free(txt);
			return -1;
		}
		snprintf(path, sizeof(path), "%s/format/%s", pmudir, tok);
		fmt = read_file(path, NULL);
		if (!fmt) {
			snprintf(err, errlen, "%s: %s (event %s uses term '%s')", path,
				 strerror(errno), event, tok);
			free(txt);
			return -1;
		}
		fmt[strcspn(fmt, "\n")] = '\0';
		r = apply_format(fmt, val, cfg, err, errlen);
		free(fmt);
		if (r) {
			free(txt);
			return -1;
		}
	}
	free(txt);
	return 0;
}

struct target {
	int cpu;                /* -1 for threads */
	uint32_t tid;
	int fd[NCOMP];
	uint64_t prev[NCOMP], cur[NCOMP];
};

static uint64_t read_counter(int fd)
{
	uint64_t v[3] = { 0 };  /* value, time enabled, time running */

	if (read(fd, v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	if (v[2] && v[2] < v[1])     /* multiplexed: scale */
		return (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]);
	return v[0];
}

static int list_threads(int pid, struct target **t)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0, cap = 16;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	*t = xcalloc((size_t)cap, sizeof(**t));
	while ((de = readdir(d))) {
		uint64_t tid;

		if (parse_u64(de->d_name, &tid))
			continue;
		if (n == cap) {
			*t = xrealloc(*t, (size_t)(cap *= 2) * sizeof(**t));
			memset(*t + n, 0, (size_t)(cap - n) * sizeof(**t));
		}
		(*t)[n].cpu = -1;
		(*t)[n++].tid = (uint32_t)tid;
		names_resolve_proc((uint32_t)pid, (uint32_t)tid);
	}
	closedir(d);
	return n;
}

static int cpu_targets(struct target **t)
{
	int *cpus, n = online_cpus(&cpus);

	*t = xcalloc((size_t)n, sizeof(**t));
	for (int i = 0; i < n; i++)
		(*t)[i].cpu = cpus[i];
	free(cpus);
	return n;
}

static double pct(const uint64_t v[NCOMP])
{
	double sw = (double)v[0] + (double)v[1], all = sw + (double)v[2];

	return all > 0 ? 100.0 * sw / all : 0.0;
}

static void label(const struct target *t, char *buf, size_t len)
{
	if (t->cpu >= 0)
		snprintf(buf, len, "cpu %d", t->cpu);
	else
		snprintf(buf, len, "tid %u", t->tid);
}

void pmu_csv_header(FILE *out)
{
	fprintf(out, "interval,start_s,end_s,target,cpu,tid,thread,"
		"l1_to_l2_lat_ns,l2_to_l1_lat_ns,l2_runtime_agg_ns,switch_pct\n");
}

static void report(const struct pmu_opts *o, struct target *t, int n,
		   unsigned interval, double s0, double s1)
{
	uint64_t tot[NCOMP] = { 0 };
	FILE *out = stdout;

	for (int i = 0; i < n; i++)
		for (int c = 0; c < NCOMP; c++)
			tot[c] += t[i].cur[c] - t[i].prev[c];
	if (o->format == OUT_JSON) {
		fprintf(out, "{\"tool\":\"nvlat\",\"version\":\"%s\",\"source\":\"vpa_pmu\","
			"\"interval\":%u,\"start_s\":%.6f,\"end_s\":%.6f,\"targets\":[",
			NVLAT_VERSION, interval, s0, s1);
		for (int i = 0; i < n; i++) {
			uint64_t d[NCOMP];

			for (int c = 0; c < NCOMP; c++)
				d[c] = t[i].cur[c] - t[i].prev[c];
			if (t[i].cpu >= 0) {
				fprintf(out, "%s{\"cpu\":%d", i ? "," : "", t[i].cpu);
			} else {
				fprintf(out, "%s{\"tid\":%u,\"thread\":", i ? "," : "", t[i].tid);
				json_str(out, names_thread(t[i].tid));
			}
			for (int c = 0; c < NCOMP; c++)
				fprintf(out, ",\"%s\":%" PRIu64, pmu_events[c], d[c]);
			fprintf(out, ",\"switch_pct\":%.2f}", pct(d));
		}
		fprintf(out, "],\"total\":{");
		for (int c = 0; c < NCOMP; c++)
			fprintf(out, "\"%s\":%" PRIu64 ",", pmu_events[c], tot[c]);
		fprintf(out, "\"switch_pct\":%.2f}}\n", pct(tot));
	} else if (o->format == OUT_CSV) {
		for (int i = 0; i <= n; i++) {
			uint64_t d[NCOMP];

			for (int c = 0; c < NCOMP; c++)
				d[c] = i < n ? t[i].cur[c] - t[i].prev[c] : tot[c];
			fprintf(out, "%u,%.6f,%.6f,", interval, s0, s1);
			if (i == n)
				fprintf(out, "total,,,");
			else if (t[i].cpu >= 0)
				fprintf(out, "cpu,%d,,", t[i].cpu);
			else {
				fprintf(out, "thread,,%u,", t[i].tid);
				csv_str(out, names_thread(t[i].tid));
			}
			fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.2f\n",
				d[0], d[1], d[2], pct(d));
		}
	} else {
		char lab[64];

		fprintf(out, "nvlat %s: vpa_pmu", NVLAT_VERSION);
		if (o->interval_ns)
			fprintf(out, ", interval %u", interval);
		fprintf(out, ", %.3f-%.3f s, %s (counters in ns)\n", s0, s1,
			o->pid > 0 ? "per thread" : "per CPU");
		fprintf(out, "%-12s %-16s %16s %16s %16s %8s\n", "TARGET", "THREAD",
			"L1_TO_L2_LAT", "L2_TO_L1_LAT", "L2_RUNTIME_AGG", "SWITCH%");
		for (int i = 0; i < n; i++) {
			uint64_t d[NCOMP];

			for (int c = 0; c < NCOMP; c++)
				d[c] = t[i].cur[c] - t[i].prev[c];
			label(&t[i], lab, sizeof(lab));
			fprintf(out, "%-12s %-16.16s %16" PRIu64 " %16" PRIu64 " %16"
				PRIu64 " %8.2f\n", lab,
				t[i].cpu >= 0 ? "-" : names_thread(t[i].tid),
				d[0], d[1], d[2], pct(d));
		}
		fprintf(out, "%-12s %-16s %16" PRIu64 " %16" PRIu64 " %16" PRIu64
			" %8.2f\n", "total", "", tot[0], tot[1], tot[2], pct(tot));
	}
	fflush(out);
}

int pmu_run(const struct pmu_opts *o)
{
	const char *root = getenv("NVLAT_SYSFS");
	char dir[PATH_MAX], path[PATH_MAX + 16], err[512], *txt;
	uint64_t type, cfg[NCOMP][3], start, deadline, last;
	struct target *t = NULL;
	struct stat st;
	int n, rc = 0;
	unsigned interval = 0;

	snprintf(dir, sizeof(dir), "%s/bus/event_source/devices/vpa_pmu",
		 root && *root ? root : "/sys");
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		msg("the vpa_pmu PMU is not available (%s is missing): it needs "
		    "Linux >= 6.13 built with CONFIG_VPA_PMU (modprobe vpa_pmu), "
		    "running in a PowerVM LPAR (not in a KVM guest); use the "
		    "tracepoint mode (nvlat without --pmu) instead", dir);
		return EX_NOTAVAIL;
	}
	snprintf(path, sizeof(path), "%s/type", dir);
	txt = read_file(path, NULL);
	if (!txt || parse_u64(strtok(txt, "\n") ? txt : "", &type) || type > INT_MAX) {
		msg("cannot read the PMU type from %s: %s", path,
		    txt ? "not a number" : strerror(errno));
		free(txt);
		return EX_FAIL;
	}
	free(txt);
	for (int c = 0; c < NCOMP; c++) {
		if (pmu_encode(dir, pmu_events[c], cfg[c], err, sizeof(err))) {
			msg("%s", err);
			return EX_NOTAVAIL;
		}
		if (o->verbose)
			msg("vpa_pmu/%s/: type %" PRIu64 " config 0x%" PRIx64
			    " config1 0x%" PRIx64 " config2 0x%" PRIx64,
			    pmu_events[c], type, cfg[c][0], cfg[c][1], cfg[c][2]);
	}

	if (o->pid > 0) {
		n = list_threads(o->pid, &t);
		if (n < 0) {
			msg("no process %d (/proc/%d/task: %s)", o->pid, o->pid,
			    strerror(errno));
			return EX_FAIL;
		}
	} else {
		n = cpu_targets(&t);
	}

	for (int i = 0; i < n; i++) {
		for (int c = 0; c < NCOMP; c++) {
			struct perf_event_attr a;
			long fd;

			memset(&a, 0, sizeof(a));
			a.size = sizeof(a);
			a.type = (uint32_t)type;
			a.config = cfg[c][0];
			a.config1 = cfg[c][1];
			a.config2 = cfg[c][2];
			a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
					PERF_FORMAT_TOTAL_TIME_RUNNING;
			fd = syscall(SYS_perf_event_open, &a,
				     t[i].cpu >= 0 ? -1 : (int)t[i].tid,
				     t[i].cpu, -1, PERF_FLAG_FD_CLOEXEC);
			if (fd < 0) {
				char what[160];

				if (errno == ENODEV && t[i].cpu >= 0)
					continue;
				snprintf(what, sizeof(what), "vpa_pmu/%s/ (type %" PRIu64
					 ", config 0x%" PRIx64 ") on %s %d", pmu_events[c],
					 type, cfg[c][0], t[i].cpu >= 0 ? "CPU" : "thread",
					 t[i].cpu >= 0 ? t[i].cpu : (int)t[i].tid);
				rc = perf_open_error(errno, what, err, sizeof(err));
				msg("%s", err);
				goto out;
			}
			t[i].fd[c] = (int)fd;
		}
	}

	if (o->format == OUT_CSV)
		pmu_csv_header(stdout);
	start = last = mono_ns();
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	for (;;) {
		uint64_t now = mono_ns(), next = deadline;
		int final;

		if (o->interval_ns && start + (interval + 1) * o->interval_ns < next)
			next = start + (interval + 1) * o->interval_ns;
		if (!*stop_flag() && now < next) {
			uint64_t ms = (next - now) / 1000000 + 1;

			poll(NULL, 0, ms > 250 ? 250 : (int)ms);
			continue;
		}
		final = *stop_flag() || now >= deadline;
		for (int i = 0; i < n; i++)
			for (int c = 0; c < NCOMP; c++)
				t[i].cur[c] = t[i].fd[c] ? read_counter(t[i].fd[c]) : 0;
		if (o->interval_ns || final)
			report(o, t, n, interval++, (double)(last - start) / 1e9,
			       (double)(now - start) / 1e9);
		for (int i = 0; i < n; i++)
			memcpy(t[i].prev, t[i].cur, sizeof(t[i].prev));
		last = now;
		if (final)
			break;
	}
out:
	for (int i = 0; i < n; i++)
		for (int c = 0; c < NCOMP; c++)
			if (t[i].fd[c] > 0)
				close(t[i].fd[c]);
	free(t);
	return rc;
}
