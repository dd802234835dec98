// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat --in-kernel: aggregate in the kernel with ftrace hist triggers
 * (CONFIG_HIST_TRIGGERS) instead of copying every event to user space.
 *
 * Five triggers on kvm_hv:kvmppc_vcpu_stats, keyed by the vCPU thread
 * (common_pid, the thread id) and vcpu_id: two with the hit count and the
 * sums of the three fields (a trigger has at most three values), and one
 * per field with its value's log2 bucket
 * as a third key (order_base_2: bucket k holds (2^(k-1), 2^k]).  nvlat reads
 * the tracefs hist file at each report and subtracts the previous reading,
 * so nothing is cleared and nothing lost between reports; the first
 * reading, 0.2 s after the triggers went in, is the baseline, which keeps
 * most first-per-L1-CPU events out (those are deltas since the counters
 * started).  The VM is the thread's Tgid from /proc.
 *
 * Exact: counts and sums (so means and SWITCH%).  From the log2 buckets:
 * percentiles, min and max, each the upper bound of its bucket (a power of
 * two at or above the value).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvlat.h"

/* A trigger has at most 3 values, the hit count being one of them
 * (TRACING_MAP_VALS_MAX): the three sums take two triggers. */
#define NSPECS (2 + NCOMP)
static const char *const specs[NSPECS] = {
	"hist:keys=common_pid,vcpu_id:vals=hitcount,l1_to_l2_cs,l2_to_l1_cs:size=4096",
	"hist:keys=common_pid,vcpu_id:vals=hitcount,l2_runtime:size=4096",
	"hist:keys=common_pid,vcpu_id,l1_to_l2_cs.log2:vals=hitcount:size=16384",
	"hist:keys=common_pid,vcpu_id,l2_to_l1_cs.log2:vals=hitcount:size=16384",
	"hist:keys=common_pid,vcpu_id,l2_runtime.log2:vals=hitcount:size=16384",
};
static const char *const fnames[NCOMP] = { "l1_to_l2_cs", "l2_to_l1_cs", "l2_runtime" };

/* keys of the readings: tid (32) | vcpu (16) | what (8): 0-64 a log2
 * bucket of comp (2 bits above), 0xf0 + c the sum of comp c, 0xff hits */
#define W_HITS 0xffu
#define W_SUM 0xf0u
static uint64_t rkey(uint32_t tid, int32_t vcpu, unsigned comp, unsigned what)
{
	return (uint64_t)tid << 32 | (uint64_t)((uint32_t)vcpu & 0xffff) << 16 |
	       (uint64_t)(comp & 3) << 8 | what;
}

static int write_trigger(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	e = errno;
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? e : EIO);
}

/* "name: value" after "{ " ... "}" lines of the hist file (fuzz_hist) */
int inkernel_parse(const char *txt, struct u64map *m, uint64_t *dropped)
{
	*dropped = 0;
	for (const char *line = txt; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512], *p, *save = NULL, *tok;
		uint64_t tid = 0, vcpu = 0, k = 0, hits = 0, sums[NCOMP] = { 0 };
		int comp = -1, have = 0, hasv[NCOMP] = { 0 };

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : NULL;
		if (sscanf(buf, " Dropped: %" SCNu64, &k) == 1) {
			*dropped += k;
			continue;
		}
		if (buf[0] != '{')
			continue;
		/* tokens: "name:" then value ("~", "2^K" for log2 keys) */
		for (p = buf; *p; p++)
			if (*p == '{' || *p == '}' || *p == ',')
				*p = ' ';
		for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			size_t tl = strlen(tok);
			char *val;
			uint64_t v;

			if (tl < 2 || tok[tl - 1] != ':')
				continue;
			tok[tl - 1] = '\0';
			val = strtok_r(NULL, " \t", &save);
			if (!val)
				break;
			if (!strcmp(val, "~")) {                /* "~ 2^K": log2 key */
				val = strtok_r(NULL, " \t", &save);
				if (!val || strncmp(val, "2^", 2) || parse_u64(val + 2, &k) || k > 64)
					return -1;
				for (int c = 0; c < NCOMP; c++)
					if (!strcmp(tok, fnames[c]))
						comp = c;
				continue;
			}
			if (parse_u64(val, &v))
				return -1;
			if (!strcmp(tok, "common_pid")) {
				tid = v;
				have |= 1;
			} else if (!strcmp(tok, "vcpu_id")) {
				vcpu = v;
				have |= 2;
			} else if (!strcmp(tok, "hitcount")) {
				hits = v;
				have |= 4;
			} else {
				for (int c = 0; c < NCOMP; c++)
					if (!strcmp(tok, fnames[c])) {
						sums[c] = v;
						hasv[c] = 1;
					}
			}
		}
		if (have != 7)
			return -1;
		if (comp >= 0) {
			*u64map_put(m, rkey((uint32_t)tid, (int32_t)vcpu, (unsigned)comp, (unsigned)k),
				    0, NULL) += hits;
		} else {
			if (hasv[C_L1L2])       /* the hits once: from the first trigger */
				*u64map_put(m, rkey((uint32_t)tid, (int32_t)vcpu, 0, W_HITS),
					    0, NULL) += hits;
			for (int c = 0; c < NCOMP; c++)
				if (hasv[c])
					*u64map_put(m, rkey((uint32_t)tid, (int32_t)vcpu, (unsigned)c,
							    W_SUM), 0, NULL) += sums[c];
		}
	}
	return 0;
}

static uint32_t tgid_of(uint32_t tid, struct u64map *cache)
{
	uint64_t *slot = u64map_get(cache, tid);
	char path[64], *txt, *p;
	uint64_t v = 0;

	if (slot)
		return (uint32_t)*slot;
	snprintf(path, sizeof(path), "/proc/%u/status", tid);
	txt = read_file(path, NULL);
	if (txt && (p = strstr(txt, "\nTgid:")) != NULL)
		v = strtoull(p + 6, NULL, 10);
	free(txt);
	*u64map_put(cache, tid, v, NULL) = v;
	return (uint32_t)v;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

int inkernel_run(const struct live_opts *o, const struct inkernel_ops *ops)
{
	char tfs[1024], trig[1200], hist[1200], err[128];
	struct u64map prev = { 0 }, cur = { 0 }, tg = { 0 };
	uint64_t start, deadline, next, dropped = 0, prev_dropped = 0;
	int rc, nset = 0, final = 0;
	char *txt;

	rc = tracefs_dir(tfs, sizeof(tfs));
	if (rc)
		return rc;
	snprintf(trig, sizeof(trig), "%s/events/kvm_hv/kvmppc_vcpu_stats/trigger", tfs);
	snprintf(hist, sizeof(hist), "%s/events/kvm_hv/kvmppc_vcpu_stats/hist", tfs);
	if (access(trig, F_OK)) {
		msg("%s is missing: this kernel has no kvm_hv:kvmppc_vcpu_stats tracepoint "
		    "(Linux >= 6.11 or the nestedv2 6.1 series) or no event triggers", trig);
		return EX_NOTAVAIL;
	}
	for (nset = 0; nset < NSPECS; nset++) {
		int e = write_trigger(trig, specs[nset]);

		if (e == -EEXIST) {     /* left by an nvlat that was killed */
			char rm[256];

			snprintf(rm, sizeof(rm), "!%s", specs[nset]);
			write_trigger(trig, rm);
			e = write_trigger(trig, specs[nset]);
		}
		if (e) {
			snprintf(err, sizeof(err), "%s", strerror(-e));
			if (e == -EACCES || e == -EPERM) {
				msg("permission denied writing %s: run nvlat as root", trig);
				rc = EX_PERM;
			} else {
				msg("the kernel refused the hist trigger '%s' on %s (%s): it needs "
				    "CONFIG_HIST_TRIGGERS", specs[nset], trig, err);
				rc = EX_NOTAVAIL;
			}
			goto out;
		}
		if (o->verbose)
			msg("%s: %s", trig, specs[nset]);
	}
	/* the baseline: after the first event of each busy L1 CPU */
	sleep_ns(200000000);
	txt = read_file(hist, NULL);
	if (!txt || inkernel_parse(txt, &prev, &prev_dropped)) {
		msg("%s: %s", hist, txt ? "not the hist format nvlat reads" : strerror(errno));
		free(txt);
		rc = txt ? EX_FAIL : EX_NOTAVAIL;
		goto out;
	}
	free(txt);
	start = mono_ns();
	ops->tick(start, -1);
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	next = o->interval_ns ? start + o->interval_ns : deadline;
	while (!final) {
		uint64_t now = mono_ns();

		if (*stop_flag() || now >= deadline)
			final = 1;
		else if (now < next) {
			uint64_t d = next - now;

			sleep_ns(d < 250000000u ? d : 250000000u);
			continue;
		}
		txt = read_file(hist, NULL);
		if (!txt || inkernel_parse(txt, &cur, &dropped)) {
			msg("%s: %s", hist, txt ? "not the hist format nvlat reads" : strerror(errno));
			free(txt);
			rc = EX_FAIL;
			goto out;
		}
		free(txt);
		/* what came since the last reading, per thread, vCPU and bucket */
		for (size_t i = 0; i < cur.cap; i++) {
			uint64_t key, *was, d;
			uint32_t tid;
			int32_t vcpu;
			unsigned what, comp;

			if (!cur.used[i])
				continue;
			key = cur.keys[i];
			was = u64map_get(&prev, key);
			d = cur.vals[i] - (was ? *was : 0);
			if (!d)
				continue;
			tid = (uint32_t)(key >> 32);
			vcpu = (int16_t)(uint16_t)(key >> 16);
			comp = (key >> 8) & 3;
			what = key & 0xff;
			ops->agg(tgid_of(tid, &tg), tid, vcpu, what == W_HITS ? -1 : (int)comp,
				 what == W_HITS || what == W_SUM ? -1 : (int)what, d);
		}
		if (dropped > prev_dropped)
			ops->lost(dropped - prev_dropped);
		prev_dropped = dropped;
		u64map_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		now = mono_ns();
		ops->tick(final ? (deadline < UINT64_MAX && !*stop_flag() ? deadline : now) : next,
			  final);
		if (o->interval_ns)
			while (next <= now)
				next += o->interval_ns;
	}
	rc = 0;
out:
	/* take the triggers out again, whatever happened */
	while (nset-- > 0) {
		char rm[256];

		snprintf(rm, sizeof(rm), "!%s", specs[nset]);
		if (write_trigger(trig, rm) && !rc) {
			msg("could not remove the hist trigger '%s' from %s", specs[nset], trig);
			rc = EX_FAIL;
		}
	}
	u64map_free(&prev);
	u64map_free(&cur);
	u64map_free(&tg);
	return rc;
}
