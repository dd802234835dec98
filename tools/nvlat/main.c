// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: command line and the event pipeline.
 *
 * Sources (live.c, capture.c, pscript.c) push events, task names and lost
 * counts through struct source_ops.  The pipeline filters them (--vm,
 * --vcpu), then either writes them to a capture (record) or aggregates
 * them per vCPU and per VM, and prints a report at the end and at every
 * interval.  In live mode the clock drives the intervals; in replay the
 * event timestamps do, so replays are deterministic.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include "nvlat.h"

#define MAXPCT 16
#define CPU_BITS 8192
#define ECACHE 256
#define BACKWARDS (1ull << 63)  /* a delta this big is a counter gone backwards */

static struct {
	int format, hist, record, script, topmode, verbose, live;
	int by_exit;                    /* --by-exit: exits.c tables */
	int inkernel;                   /* --in-kernel: hist triggers */
	int heatmap, heat_by_vcpu, heat_comp, heat_err;  /* nvlat heatmap */
	int no_reset;                   /* top: show the interval so far */
	uint32_t top_pid;               /* top: only this VM (0: all) */
	int top_sort;                   /* top: index in top_sorts[] */
	uint64_t over_ns;               /* script --over */
	const char *source;
	struct cap_writer cap;
	const char **vm_names;
	uint32_t *vm_pids;
	int32_t *vcpus;
	size_t nvm_names, nvm_pids, nvcpus;
	uint64_t interval_ns, duration_ns;

	int have_t0;
	uint64_t t0, iv_start, last_ts;
	unsigned interval, reports;
	uint64_t events, lost, bad;             /* this interval */
	uint64_t tot_events, tot_lost, tot_bad; /* whole run */

	uint64_t dropped_first, dropped_back;   /* this interval */
	uint64_t tot_first, tot_back;

	/* entries by (pid << 32 | vcpu); all of them in a list for the reports */
	struct u64map emap;
	struct entry **all;
	size_t nall, capall;

	struct u64map cpus_seen;        /* L1 CPUs >= CPU_BITS that had their first event */
	uint64_t cpu_bits[CPU_BITS / 64];       /* the others */
	struct entry *ecache[ECACHE];   /* direct-mapped cache of emap */
	struct u64map pids_seen;        /* every VM pid, before the filters */
	struct u64map pidless;          /* pid-less input: vcpu -> first tid */
	int ambiguous;
	int32_t amb_vcpu;
	uint32_t amb_tid[2];
	uint64_t matched;               /* events that passed --vm */

	int first_rule;                 /* leave out the first event per L1 CPU */

	double pct[MAXPCT];
	int npct;
	int sort_comp, sort_key, sort_pct;
	size_t top;
} P;

enum { SK_PID, SK_VM, SK_VCPU, SK_COUNT, SK_MEAN, SK_MIN, SK_MAX, SK_SUM,
       SK_SWITCH, SK_PCT };

/* ---- aggregation ---- */
static uint64_t ekey(uint32_t pid, int32_t vcpu)
{
	return (uint64_t)pid << 32 | (uint32_t)vcpu;
}

static struct entry *get_entry(uint32_t pid, int32_t vcpu)
{
	int isnew;
	struct entry **c = &P.ecache[(pid * 31u + (uint32_t)vcpu) % ECACHE], *e;
	uint64_t *slot;

	if (*c && (*c)->pid == pid && (*c)->vcpu == vcpu)
		return *c;
	slot = u64map_put(&P.emap, ekey(pid, vcpu), 0, &isnew);
	if (!isnew)
		return *c = (struct entry *)(uintptr_t)*slot;
	*c = e = xcalloc(1, sizeof(*e));
	e->pid = pid;
	e->vcpu = vcpu;
	*slot = (uint64_t)(uintptr_t)e;
	if (P.nall == P.capall) {
		P.capall = P.capall ? P.capall * 2 : 64;
		P.all = xrealloc(P.all, P.capall * sizeof(*P.all));
	}
	P.all[P.nall++] = e;
	return e;
}

static void free_entry(struct entry *e)
{
	for (int k = 0; k < NCOMP; k++)
		series_free(&e->s[k]);
	free(e);
}

/* After a report: forget the VMs and vCPUs that had no events in it, so
 * memory follows what is live, not everything ever seen. */
static void drop_idle(void)
{
	size_t j = 0;

	memset(P.ecache, 0, sizeof(P.ecache));
	u64map_free(&P.emap);
	for (size_t i = 0; i < P.nall; i++) {
		struct entry *e = P.all[i];

		if (!e->s[0].n) {
			free_entry(e);
			continue;
		}
		P.all[j++] = e;
		*u64map_put(&P.emap, ekey(e->pid, e->vcpu), 0, NULL) =
			(uint64_t)(uintptr_t)e;
	}
	P.nall = j;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

static double entry_switch(const struct entry *e)
{
	double sw = (double)e->s[C_L1L2].sum + (double)e->s[C_L2L1].sum;
	double all = sw + (double)e->s[C_RUN].sum;

	return all > 0 ? 100.0 * sw / all : 0.0;
}

static void set_sortkey(struct entry *e)
{
	const struct series *s = &e->s[P.sort_comp];
	uint64_t v;

	switch (P.sort_key) {
	case SK_COUNT: e->sortkey = (double)s->n; break;
	case SK_MEAN: e->sortkey = s->n ? (double)s->sum / (double)s->n : 0; break;
	case SK_MIN: e->sortkey = (double)s->min; break;
	case SK_MAX: e->sortkey = (double)s->max; break;
	case SK_SUM: e->sortkey = (double)s->sum; break;
	case SK_SWITCH: e->sortkey = entry_switch(e); break;
	case SK_PCT:
		series_percentiles(s, &P.pct[P.sort_pct], 1, &v);
		e->sortkey = (double)v;
		break;
	default: e->sortkey = 0; break;
	}
}

/* --sort: numbers largest first, names and ids in order; ties by pid/vcpu */
static int cmp_sorted(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (P.sort_key == SK_VM) {
		int c = strcmp(names_vm(x->pid), names_vm(y->pid));

		if (c)
			return c;
	} else if (P.sort_key == SK_VCPU) {
		if (x->vcpu != y->vcpu)
			return x->vcpu < y->vcpu ? -1 : 1;
	} else if (P.sort_key != SK_PID && x->sortkey != y->sortkey) {
		return x->sortkey > y->sortkey ? -1 : 1;
	}
	return cmp_entry(a, b);
}

/*
 * nvlat top: a live, kvm_stat-like view.  Each interval's table is drawn
 * on a cleared screen (ANSI: cursor home, erase; no curses, so a serial
 * console does), cut to the terminal's size, under a title with the keys:
 * s sorts by the next column, v shows the next VM only (then all), q quits.
 */
static const int top_sorts[] = { SK_PID, SK_COUNT, SK_MEAN, SK_PCT, SK_MAX, SK_SWITCH };
static const char *const top_sort_names[] = { "pid", "count", "mean", "p", "max", "switch%" };
static struct termios top_saved;
static int top_tty;

static void top_render(const struct report *r)
{
	char *buf = NULL, title[256], lab[32], vm[128];
	size_t len = 0;
	struct winsize ws;
	int rows = 24, cols = 80, row = 1;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return;
	output_report(m, r);
	fclose(m);
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	pct_label(lab, sizeof(lab), P.pct[P.sort_pct]);
	if (P.top_pid)
		snprintf(vm, sizeof(vm), "%.60s (pid %u)",
			 *names_vm(P.top_pid) ? names_vm(P.top_pid) : "-", P.top_pid);
	else
		snprintf(vm, sizeof(vm), "all");
	snprintf(title, sizeof(title), "nvlat top %s  every %.3g s  sort: %s%s  VM: %s  "
		 "[s]ort [v]m [q]uit", NVLAT_VERSION, (double)P.interval_ns / 1e9,
		 top_sort_names[P.top_sort], top_sorts[P.top_sort] == SK_PCT ? lab : "", vm);
	/* each line starts with its "\r\n", so the last one does not scroll
	 * the title off the screen */
	printf("\033[H\033[2J\033[7m%.*s\033[0m", cols, title);
	for (char *line = buf, *nl; line && *line && row < rows; line = nl ? nl + 1 : NULL) {
		int n;

		nl = strchr(line, '\n');
		n = nl ? (int)(nl - line) : (int)strlen(line);
		if (n > cols) {         /* cut, not inside a UTF-8 character */
			n = cols;
			while (n > 0 && ((unsigned char)line[n] & 0xc0) == 0x80)
				n--;
		}
		printf("\r\n%.*s", n, line);
		row++;
	}
	fflush(stdout);
	free(buf);
}

static void top_start(void)
{
	struct termios t;

	if (tcgetattr(0, &top_saved) == 0) {
		top_tty = 1;
		t = top_saved;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &t);
	}
	if (P.top_pid)          /* its name for the title from the start */
		names_resolve_proc(P.top_pid, 0);
	printf("\033[?25l\033[H\033[2Jnvlat top: waiting for the first interval...\r\n");
	fflush(stdout);
}

static void top_end(void)
{
	if (top_tty)
		tcsetattr(0, TCSANOW, &top_saved);
	printf("\033[?25h\n");
	fflush(stdout);
}

static void flush(uint64_t start, uint64_t end, int force);

/* Keys, read between poll rounds (<= 250 ms). */
static void top_keys(uint64_t now)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char k[32];
	ssize_t n;
	int redraw = 0;

	if (poll(&pfd, 1, 0) <= 0 || (n = read(0, k, sizeof(k))) <= 0)
		return;
	for (ssize_t i = 0; i < n; i++) {
		switch (k[i]) {
		case 'q':
		case 'Q':
			*stop_flag() = 1;
			return;
		case 's':
			P.top_sort = (P.top_sort + 1) % (int)(sizeof(top_sorts) / sizeof(top_sorts[0]));
			P.sort_key = top_sorts[P.top_sort];
			P.sort_pct = P.npct - 1;
			redraw = 1;
			break;
		case 'v': {
			/* the next VM seen (by pid), after the last one: all */
			uint32_t next = 0;

			for (size_t j = 0; j < P.pids_seen.cap; j++) {
				uint32_t pid = (uint32_t)P.pids_seen.keys[j];

				if (P.pids_seen.used[j] && pid > P.top_pid && (!next || pid < next))
					next = pid;
			}
			P.top_pid = next;
			redraw = 1;
			break;
		}
		default:
			break;
		}
	}
	if (redraw) {   /* show it now, with the interval so far */
		P.no_reset = 1;
		flush(P.iv_start, now, 1);
		P.no_reset = 0;
	}
}

static void flush(uint64_t start, uint64_t end, int force)
{
	struct report r;
	struct entry **vms, **vcpus;

	if (P.record || P.script || P.heatmap)
		return;
	if (!force && !P.events && !P.lost && !P.bad && !P.dropped_first &&
	    !P.dropped_back)
		return;
	memset(&r, 0, sizeof(r));
	vms = xcalloc(P.nall, sizeof(*vms));
	vcpus = xcalloc(P.nall, sizeof(*vcpus));
	for (size_t i = 0; i < P.nall; i++) {
		struct entry *e = P.all[i];

		if (!e->s[0].n || (P.top_pid && e->pid != P.top_pid))
			continue;
		if (e->vcpu < 0)
			vms[r.nvms++] = e;
		else
			vcpus[r.nvcpus++] = e;
	}
	qsort(vms, r.nvms, sizeof(*vms), cmp_entry);
	qsort(vcpus, r.nvcpus, sizeof(*vcpus), cmp_entry);
	for (size_t i = 0, j = 0; i < r.nvms; i++) {
		vms[i]->nvcpus = 0;
		for (; j < r.nvcpus && vcpus[j]->pid == vms[i]->pid; j++)
			vms[i]->nvcpus++;
	}
	if (P.sort_key != SK_PID) {
		for (size_t i = 0; i < r.nvms; i++)
			set_sortkey(vms[i]);
		for (size_t i = 0; i < r.nvcpus; i++)
			set_sortkey(vcpus[i]);
		qsort(vms, r.nvms, sizeof(*vms), cmp_sorted);
		qsort(vcpus, r.nvcpus, sizeof(*vcpus), cmp_sorted);
	}
	r.top_vms = r.nvms;
	r.top_vcpus = r.nvcpus;
	r.top = P.top;
	if (P.top) {
		if (r.nvms > P.top)
			r.nvms = P.top;
		if (r.nvcpus > P.top)
			r.nvcpus = P.top;
	}
	r.format = P.format;
	r.hist = P.hist;
	r.pct = P.pct;
	r.npct = P.npct;
	r.source = P.source;
	r.interval = P.interval;
	r.intervals = P.interval_ns != 0;
	r.start_s = (double)(start - P.t0) / 1e9;
	r.end_s = (double)(end - P.t0) / 1e9;
	r.start_ns = start;
	r.end_ns = end;
	r.events = P.events;
	r.lost = P.lost;
	r.bad = P.bad;
	r.dropped_first = P.dropped_first;
	r.dropped_back = P.dropped_back;
	r.vms = vms;
	r.vcpus = vcpus;
	r.by_exit = P.by_exit;
	r.inkernel = P.inkernel;
	for (size_t i = 0; i < P.nall; i++) {
		struct entry *e = P.all[i];

		if (e->has_xsum)        /* --in-kernel: exact sums over the buckets' */
			for (int c = 0; c < NCOMP; c++)
				e->s[c].sum = e->xsum[c];
	}
	r.only_pid = P.top_pid;
	if (P.topmode) {
		top_render(&r);
	} else {
		if (P.format == OUT_TABLE && P.reports)
			fputc('\n', stdout);
		if (P.format == OUT_CSV && !P.reports)
			output_csv_header(stdout, P.pct, P.npct, P.hist, P.top != 0);
		output_report(stdout, &r);
	}
	P.reports++;
	free(vms);
	free(vcpus);
	if (P.no_reset)
		return;
	if (P.interval_ns)
		drop_idle();    /* before the reset: idle = no events in this report */
	for (size_t i = 0; i < P.nall; i++) {
		for (int c = 0; c < NCOMP; c++)
			series_reset(&P.all[i]->s[c]);
		memset(P.all[i]->xsum, 0, sizeof(P.all[i]->xsum));
		P.all[i]->has_xsum = 0;
	}
	if (P.by_exit)
		exits_reset();
	P.events = P.lost = P.bad = P.dropped_first = P.dropped_back = 0;
}

static int wanted(const struct nv_event *ev)
{
	if (P.nvm_names || P.nvm_pids) {
		int ok = 0;

		for (size_t i = 0; i < P.nvm_pids && !ok; i++)
			ok = P.vm_pids[i] == ev->pid;
		if (!ok && P.nvm_names) {
			const char *name = names_vm(ev->pid);

			for (size_t i = 0; i < P.nvm_names && !ok; i++)
				ok = strcmp(P.vm_names[i], name) == 0;
		}
		if (!ok)
			return 0;
	}
	if (P.nvcpus) {
		for (size_t i = 0; i < P.nvcpus; i++)
			if (P.vcpus[i] == ev->vcpu)
				return 1;
		return 0;
	}
	return 1;
}

/*
 * Replay: the input's timestamps are the clock.  Close the interval that
 * time t has left (intervals without data are not printed), and say
 * whether t is past the duration.  Records a little out of order (live
 * captures are sorted per poll round only) count in the current interval.
 */
static int replay_clock(uint64_t t)
{
	if (!P.have_t0) {
		P.have_t0 = 1;
		P.t0 = P.iv_start = t;
	}
	if (P.duration_ns && t >= P.t0 + P.duration_ns)
		return 1;
	if (P.interval_ns && t >= P.iv_start + P.interval_ns) {
		uint64_t k = (t - P.t0) / P.interval_ns;

		flush(P.iv_start, P.iv_start + P.interval_ns, 0);
		P.interval = (unsigned)k;
		P.iv_start = P.t0 + k * P.interval_ns;
	}
	if (t > P.last_ts)
		P.last_ts = t;
	return 0;
}

/*
 * Input without the VM pid (perf script without the pid field, ftrace text
 * without tgid): each vcpu_id must belong to one thread, or vCPUs of
 * different VMs would be merged.  Remember the first conflict.
 */
static void check_pidless(const struct nv_event *ev)
{
	int isnew;
	uint64_t *tid = u64map_put(&P.pidless, (uint32_t)ev->vcpu, ev->tid, &isnew);

	if (!isnew && *tid != ev->tid && ev->tid && *tid && !P.ambiguous) {
		P.ambiguous = 1;
		P.amb_vcpu = ev->vcpu;
		P.amb_tid[0] = (uint32_t)*tid;
		P.amb_tid[1] = ev->tid;
	}
}

/*
 * nvlat script: one line per event, with its absolute timestamp (the
 * input's clock: CLOCK_MONOTONIC live, whatever perf/ftrace printed), so
 * outliers can be listed and lined up with perf or trace-cmd output.
 * NOTE says why a report would leave the event out.
 */
static void script_event(const struct nv_event *ev, const char *note)
{
	char cpu[16], vm[160], th[160];

	if (P.over_ns && ev->v[C_L1L2] < P.over_ns && ev->v[C_L2L1] < P.over_ns)
		return;
	P.events++;
	P.tot_events++;
	if (ev->cpu == NV_NOCPU)
		snprintf(cpu, sizeof(cpu), "-");
	else
		snprintf(cpu, sizeof(cpu), "%u", ev->cpu);
	if (P.format == OUT_CSV) {
		if (!P.reports++)
			fputs("time_ns,time_s,vm,pid,tid,thread,cpu,vcpu,l1_to_l2_ns,"
			      "l2_to_l1_ns,l2_runtime_ns,note\n", stdout);
		printf("%" PRIu64 ",%" PRIu64 ".%09" PRIu64 ",", ev->time_ns,
		       ev->time_ns / 1000000000u, ev->time_ns % 1000000000u);
		csv_str(stdout, names_vm(ev->pid));
		printf(",%u,%u,", ev->pid, ev->tid);
		csv_str(stdout, names_thread(ev->tid));
		printf(",%s,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s\n", ev->cpu == NV_NOCPU ? "" : cpu,
		       ev->vcpu, ev->v[0], ev->v[1], ev->v[2], note);
		return;
	}
	if (!P.reports++)
		printf("%20s %-16s %7s %7s %-12s %4s %5s %12s %12s %12s %s\n", "TIME_S", "VM",
		       "PID", "TID", "THREAD", "CPU", "VCPU", "L1_TO_L2", "L2_TO_L1",
		       "L2_RUNTIME", "NOTE");
	name_printable(names_vm(ev->pid), vm, sizeof(vm), 64);
	name_printable(names_thread(ev->tid), th, sizeof(th), 64);
	printf("%10" PRIu64 ".%09" PRIu64 " %-16s %7u %7u %-12s %4s %5d %12" PRIu64
	       " %12" PRIu64 " %12" PRIu64 "%s%s\n", ev->time_ns / 1000000000u,
	       ev->time_ns % 1000000000u, *vm ? vm : "-", ev->pid, ev->tid,
	       *th ? th : "-", cpu, ev->vcpu, ev->v[0], ev->v[1], ev->v[2],
	       *note ? " " : "", note);
}

/* kvm_guest_exit, kvm_hcall_enter (--by-exit): the filters apply; they are
 * recorded, and paired with the stats events by exits.c */
static int pl_exit_event(const struct nv_event *ev)
{
	if (!wanted(ev))
		return 0;
	if (P.record) {
		cap_event(&P.cap, ev);
		return 0;
	}
	if (!P.by_exit || P.script)
		return 0;
	if (ev->kind == EV_EXIT)
		exits_exit(ev);
	else
		exits_hcall(ev);
	return 0;
}

static int pl_event(const struct nv_event *ev)
{
	int first = 0;

	if (!P.live && replay_clock(ev->time_ns))
		return 1;
	if (ev->kind != EV_STATS)
		return pl_exit_event(ev);
	if (P.nvm_names || P.nvm_pids || P.topmode)     /* --vm message, top's v */
		u64map_put(&P.pids_seen, ev->pid, 0, NULL);
	if (!ev->pid)
		check_pidless(ev);
	/* The kernel's deltas are per L1 CPU, from the counters at that CPU's
	 * previous event: the first event of each CPU counts from whenever
	 * (boot, or the last time the tracepoint was on).  Not a latency. */
	if (ev->cpu != NV_NOCPU && P.first_rule) {
		if (ev->cpu < CPU_BITS) {
			uint64_t bit = 1ull << (ev->cpu % 64), *w = &P.cpu_bits[ev->cpu / 64];

			first = !(*w & bit);
			*w |= bit;
		} else {
			u64map_put(&P.cpus_seen, ev->cpu, 0, &first);
		}
		if (first && P.record) {
			/* keep it in the capture, whatever the filter: its
			 * replay leaves it out again */
			cap_event(&P.cap, ev);
			P.tot_events++;
			return 0;
		}
	}
	if (!wanted(ev))
		return 0;
	P.matched++;
	if (P.record) {
		P.events++;
		P.tot_events++;
		cap_event(&P.cap, ev);
		return 0;
	}
	if (P.script) {
		script_event(ev, first ? "first" :
			     (ev->v[0] | ev->v[1] | ev->v[2]) >= BACKWARDS ? "backwards" : "");
		return 0;
	}
	if (first) {
		P.dropped_first++;
		P.tot_first++;
		if (P.by_exit)
			exits_stats(ev, 0);
		return 0;
	}
	/* unsigned deltas of a counter that went backwards: ~1.8e19 */
	if ((ev->v[0] | ev->v[1] | ev->v[2]) >= BACKWARDS) {
		P.dropped_back++;
		P.tot_back++;
		if (P.by_exit)
			exits_stats(ev, 0);
		return 0;
	}
	if (P.by_exit)
		exits_stats(ev, 1);
	P.events++;
	P.tot_events++;
	if (P.heatmap) {
		if (!P.heat_err && heat_add(ev))
			P.heat_err = 1;
		return P.heat_err;
	}
	{
		struct entry *v = get_entry(ev->pid, ev->vcpu);
		struct entry *m = get_entry(ev->pid, -1);

		v->tid = ev->tid;
		for (int c = 0; c < NCOMP; c++) {
			series_add(&v->s[c], ev->v[c]);
			series_add(&m->s[c], ev->v[c]);
		}
	}
	return 0;
}

static void pl_task(uint32_t pid, uint32_t tid, const char *thread, const char *vm)
{
	names_set(pid, tid, thread, vm);
	if (P.record)
		cap_task(&P.cap, pid, tid, thread ? thread : names_thread(tid),
			 vm ? vm : names_vm(pid));
}

static void pl_lost(uint64_t time_ns, uint64_t count)
{
	if (!P.live && time_ns && replay_clock(time_ns))
		return;
	if (P.script) {
		if (P.format == OUT_CSV)
			printf("%" PRIu64 ",%" PRIu64 ".%09" PRIu64 ",,,,,,,,,,lost %" PRIu64 "\n",
			       time_ns, time_ns / 1000000000u, time_ns % 1000000000u, count);
		else
			printf("%10" PRIu64 ".%09" PRIu64 " lost %" PRIu64 " events\n",
			       time_ns / 1000000000u, time_ns % 1000000000u, count);
	}
	P.lost += count;
	P.tot_lost += count;
	if (P.record)
		cap_lost(&P.cap, time_ns, count);
}

static void pl_bad(void)
{
	P.bad++;
	P.tot_bad++;
}

/* Live mode: final < 0 at start, 0 for each poll round, 1 at the end. */
static void pl_tick(uint64_t now, int final)
{
	if (final < 0) {
		P.have_t0 = 1;
		P.t0 = P.iv_start = now;
		return;
	}
	if (P.topmode && !final)
		top_keys(now);
	/* each poll round's events reach a reader at once (record -o - |
	 * nvlat -r - -i 1 streams) */
	if (P.record && P.cap.f)
		fflush(P.cap.f);
	if (P.interval_ns && now >= P.iv_start + P.interval_ns) {
		uint64_t k = (now - P.t0) / P.interval_ns;

		flush(P.iv_start, P.iv_start + P.interval_ns, 1);
		P.interval = (unsigned)k;
		P.iv_start = P.t0 + k * P.interval_ns;
	}
	if (final > 0 && P.by_exit)
		exits_finish();
	if (final > 0 && !P.topmode && (now > P.iv_start || !P.reports))
		flush(P.iv_start, now, 1);
}

/* A capture of another tracepoint (--tracepoint, for tests): its values
 * are not the kernel's per-CPU deltas, so no first event is left out. */
static void pl_info(const char *key, const char *value)
{
	if (!strcmp(key, "tracepoint") && strcmp(value, "kvm_hv:kvmppc_vcpu_stats"))
		P.first_rule = 0;
	if (P.record && !strcmp(key, "tracepoint"))
		cap_info(&P.cap, key, value);
}

/* --in-kernel: what the hist triggers counted since the last reading */
static void ik_agg(uint32_t pid, uint32_t tid, int32_t vcpu, int comp, int k, uint64_t n)
{
	struct nv_event ev = { .pid = pid, .tid = tid, .vcpu = vcpu };
	struct entry *v, *m;

	if (P.nvm_names || P.nvm_pids)
		u64map_put(&P.pids_seen, pid, 0, NULL);
	names_resolve_proc(pid, tid);   /* VM and thread names, once */
	if (!wanted(&ev))
		return;
	if (comp < 0) {
		P.events += n;
		P.tot_events += n;
		P.matched += n;
		return;
	}
	v = get_entry(pid, vcpu);
	m = get_entry(pid, -1);
	v->tid = tid;
	if (k < 0) {
		v->xsum[comp] += n;
		m->xsum[comp] += n;
		v->has_xsum = m->has_xsum = 1;
		return;
	}
	{
		/* the upper bound of the bucket stands for its values */
		uint64_t val = k == 0 ? 1 : k >= 64 ? UINT64_MAX : (uint64_t)1 << k;

		for (uint64_t i = 0; i < n; i++) {
			series_add(&v->s[comp], val);
			series_add(&m->s[comp], val);
		}
	}
}

static void ik_lost(uint64_t n)
{
	P.lost += n;
	P.tot_lost += n;
}

static const struct inkernel_ops ik_ops = {
	.agg = ik_agg, .lost = ik_lost, .tick = pl_tick,
};

static const struct source_ops ops = {
	.event = pl_event, .task = pl_task, .lost = pl_lost, .bad = pl_bad,
	.info = pl_info,
};

/* ---- command line ---- */
static const char usage_text[] =
"Usage: nvlat [OPTIONS]                      live report (kvm_hv:kvmppc_vcpu_stats)\n"
"       nvlat -r FILE [OPTIONS]              replay an nvlat capture\n"
"       nvlat --perf-script FILE [OPTIONS]   replay `perf script`, ftrace or trace-cmd text\n"
"       nvlat record -o FILE [OPTIONS]       record a capture (live, or convert -r/--perf-script)\n"
"       nvlat script [-r FILE|--perf-script FILE] [--csv] [--over NS]\n"
"                                            print every event (live or replayed)\n"
"       nvlat top [-i SECS] [--vm PID]       live full-screen view (keys s, v, q)\n"
"       nvlat heatmap -o FILE.svg [-r FILE|--perf-script FILE] [--by vcpu]\n"
"                                            SVG latency heatmap (live or replayed)\n"
"       nvlat --pmu [-p PID] [OPTIONS]       count with the vpa_pmu PMU (Linux >= 6.13)\n";

static const char help_text[] =
"\n"
"nvlat reports, per vCPU and per VM, how long a KVM-on-PowerVM L1 spends\n"
"switching to its L2 guests and back, and how long the L2 vCPUs run.  The\n"
"data are PowerVM's VPA counters as the kernel emits them in the tracepoint\n"
"kvm_hv:kvmppc_vcpu_stats each time an L2 vCPU returns to the L1 (fields\n"
"vcpu_id, l1_to_l2_cs, l2_to_l1_cs, l2_runtime, in ns).  It runs inside the\n"
"L1 (as root) and, in replay, anywhere.\n"
"\n"
"Sources:\n"
"  (none)                read the tracepoint live: one perf event per CPU,\n"
"                        record layout from tracefs events/kvm_hv/\n"
"                        kvmppc_vcpu_stats/format; until -d SECS or SIGINT\n"
"  -r, --replay FILE     replay a capture written by `nvlat record` (- = stdin)\n"
"      --perf-script FILE\n"
"                        replay the text of `perf script` for this tracepoint\n"
"                        (- = stdin); best made with\n"
"                        perf script -F comm,pid,tid,cpu,time,event,trace;\n"
"                        also ftrace text (tracefs trace, trace_pipe) and\n"
"                        `trace-cmd report`.  Text without the VM's pid that\n"
"                        has one vCPU id on two threads is refused (exit 3)\n"
"      --pmu             read the vpa_pmu counters l1_to_l2_lat, l2_to_l1_lat,\n"
"                        l2_runtime_agg (counting mode: totals, no\n"
"                        distribution); per CPU, or per thread with -p\n"
"  -p, --pid PID         with --pmu: count the threads of process PID\n"
"\n"
"Report:\n"
"  -i, --interval SECS   print a report every SECS seconds and start over;\n"
"                        in replay, event timestamps drive the intervals and\n"
"                        intervals without events are not printed\n"
"  -d, --duration SECS   stop after SECS seconds (replay: of event time)\n"
"      --json            one JSON object per report (JSON Lines with -i)\n"
"      --csv             CSV, one row per VM/vCPU and component\n"
"      --hist[=log2|fine]\n"
"                        add histograms of each component: log2 buckets, or\n"
"                        fine: nvlat's own log-linear buckets (1 ns wide\n"
"                        below 256 ns, then 128 per power of two: 8 ns at\n"
"                        1-2 us), the same bounds in every report, so counts\n"
"                        of several reports/runs merge by adding them\n"
"      --vm NAME|PID     only this VM: QEMU -name guest=NAME, or process id\n"
"                        (repeatable; a VM matching any is kept); if none\n"
"                        matches, exit 2 naming the VMs the input has\n"
"      --vcpu N          only vCPU N (vcpu_id; repeatable)\n"
"      --percentiles LIST\n"
"                        the percentiles to print, e.g. 50,99,99.9,99.99\n"
"                        (default 50,90,99,99.9)\n"
"      --sort [COMPONENT.]COLUMN\n"
"                        order VMs and vCPUs by pid (default), vm, vcpu, or,\n"
"                        largest first, count, mean, min, max, sum, switch\n"
"                        or pNN, of l1_to_l2 unless COMPONENT. says\n"
"                        (l2_to_l1.p99.9, l2_runtime.max)\n"
"      --top N           only the first N VMs and N vCPUs of each report\n"
"      --in-kernel       live, but aggregated in the kernel by ftrace hist\n"
"                        triggers (keys: thread, vcpu_id; log2 buckets)\n"
"                        instead of copying each event: exact counts, sums,\n"
"                        means; percentiles, min, max are log2 bucket bounds\n"
"      --by-exit         also the switch time by the exit that ended each run\n"
"                        (kvm_hv:kvm_guest_exit: the trap; for hcalls\n"
"                        kvm_hv:kvm_hcall_enter: the hcall), per VM and per\n"
"                        vCPU, text or --json; live and record then read\n"
"                        those two tracepoints too\n"
"\n"
"Record:\n"
"  record -o, --output FILE\n"
"                        write the events (after --vm/--vcpu) to FILE in the\n"
"                        nvlat capture format (- = stdout), with the VM and\n"
"                        thread names; then replay with -r FILE anywhere\n"
"\n"
"Script:\n"
"  script                print one line per event instead of a report: its\n"
"                        absolute timestamp (the input's clock), VM, pid, tid,\n"
"                        thread, L1 CPU, vCPU, the three values in ns and a\n"
"                        note (first, backwards: what reports leave out), and\n"
"                        lost-event records; --csv for CSV; --vm/--vcpu/-d apply\n"
"      --over NS         script: only events with l1_to_l2 or l2_to_l1 >= NS\n"
"\n"
"Heatmap:\n"
"  heatmap -o FILE.svg   write an SVG heatmap instead of a report: time on x\n"
"                        (columns of -i SECS, or automatic), value on y in\n"
"                        quarter octaves, events per cell as colour (log\n"
"                        scale); one panel per component, or with\n"
"      --by vcpu         one panel per vCPU, of\n"
"      --component NAME  l1_to_l2 (default), l2_to_l1 or l2_runtime\n"
"                        --vm/--vcpu/-d apply; the counts are in the SVG\n"
"\n"
"Top:\n"
"  top                   a live view like kvm_stat: the report of each interval\n"
"                        (-i, default 1 s) on a cleared screen (plain ANSI, so\n"
"                        a serial console will do), cut to the terminal; keys:\n"
"                        s sort by the next column (pid, count, mean, the\n"
"                        highest percentile, max, switch%), v show the next VM\n"
"                        only (after the last: all), q quit\n"
"\n"
"Other:\n"
"  -m, --mmap-pages N    ring buffer pages per CPU, a power of two (64)\n"
"  -v, --verbose         say what is opened and how the record is decoded\n"
"      --tracepoint SYS:EVENT, --fields VCPU,L1L2,L2L1,RUN\n"
"                        debugging: read another tracepoint and map its\n"
"                        fields (tests the live path on any machine)\n"
"  -h, --help            this text;  -V, --version  the version\n"
"\n"
"Output: for each VM (QEMU process) and each vCPU, for each component\n"
"(l1_to_l2: L1->L2 switch, l2_to_l1: L2->L1 switch, l2_runtime: time in\n"
"L2): COUNT, MEAN, P50, P90, P99, P99.9, MAX in ns, and SWITCH% = (l1_to_l2\n"
"+ l2_to_l1) / (l1_to_l2 + l2_to_l1 + l2_runtime) over the sums.\n"
"Percentiles are exact below 256 ns and within 0.4% above.  Every report\n"
"shows the events lost by the kernel (PERF_RECORD_LOST), bad input records\n"
"skipped, and the events left out of the statistics: the first of each L1\n"
"CPU (the kernel's delta then counts from when the counters started) and\n"
"those whose counters went backwards (a delta of 2^63 ns or more).\n"
"\n"
"Exit status: 0 ok; 1 runtime error (input unreadable: no report; the\n"
"report could not be written; a failed record removes its file); 2 bad\n"
"usage, or --vm matched no VM; 3 the replay input had bad records (they\n"
"are reported with their line or byte offset and skipped, the report\n"
"covers all good events) or is not usable (no report); 4 tracefs, the\n"
"tracepoint or the PMU is missing; 5 permission denied\n"
"(perf_event_paranoid, not root).\n"
"\n"
"Examples:\n"
"  nvlat -d 5                  5 s live report\n"
"  nvlat -i 1 --vm guest1      per-second reports for VM guest1\n"
"  nvlat -d 5 --json           what the nestedv2 harness runs in an L1\n"
"  nvlat record -o cap.nvl -d 10; nvlat -r cap.nvl --hist\n"
"  perf script -F comm,pid,tid,cpu,time,event,trace | nvlat --perf-script -\n"
"  nvlat -r cap.nvl --sort l2_to_l1.p99.9 --top 5 --percentiles 50,99.9,99.99\n"
"  nvlat script -r cap.nvl --over 10000      every switch of 10 us or more\n"
"  nvlat -d 5 --by-exit        switch time by exit reason and hcall\n"
"  nvlat --in-kernel -d 5      the same report, aggregated by ftrace hist triggers\n"
"  nvlat heatmap -o lat.svg -r cap.nvl --by vcpu   an SVG heatmap per vCPU\n"
"  nvlat record -o - -d 60 | nvlat -r - -i 1       reports stream through a pipe\n"
"\n"
"See nvlat(1) and docs/reporter.md.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%sTry 'nvlat --help'.\n", usage_text);
	return EX_USAGE;
}

/* a command line error inside main(): message, then clean up and exit 2 */
#define USAGE(...)                                      \
	do {                                            \
		rc = usage_error(__VA_ARGS__);          \
		goto out;                               \
	} while (0)

enum {
	O_PSCRIPT = 256, O_JSON, O_CSV, O_HIST, O_VM, O_VCPU, O_PMU,
	O_TRACEPOINT, O_FIELDS, O_PCTS, O_SORT, O_TOP, O_OVER, O_BYEXIT,
	O_BY, O_COMPONENT, O_INKERNEL,
};

static const struct option longopts[] = {
	{ "replay", required_argument, NULL, 'r' },
	{ "perf-script", required_argument, NULL, O_PSCRIPT },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, O_JSON },
	{ "csv", no_argument, NULL, O_CSV },
	{ "hist", optional_argument, NULL, O_HIST },
	{ "vm", required_argument, NULL, O_VM },
	{ "vcpu", required_argument, NULL, O_VCPU },
	{ "pmu", no_argument, NULL, O_PMU },
	{ "pid", required_argument, NULL, 'p' },
	{ "mmap-pages", required_argument, NULL, 'm' },
	{ "tracepoint", required_argument, NULL, O_TRACEPOINT },
	{ "fields", required_argument, NULL, O_FIELDS },
	{ "percentiles", required_argument, NULL, O_PCTS },
	{ "sort", required_argument, NULL, O_SORT },
	{ "top", required_argument, NULL, O_TOP },
	{ "over", required_argument, NULL, O_OVER },
	{ "by-exit", no_argument, NULL, O_BYEXIT },
	{ "by", required_argument, NULL, O_BY },
	{ "in-kernel", no_argument, NULL, O_INKERNEL },
	{ "component", required_argument, NULL, O_COMPONENT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* "50,99,99.9" -> P.pct (sorted, distinct) */
static int parse_pcts(const char *arg)
{
	char *buf = xstrdup(arg), *save = NULL, *tok;
	int n = 0, ok = 1;
	size_t al = strlen(arg);

	if (!al || arg[0] == ',' || arg[al - 1] == ',' || strstr(arg, ",,"))
		ok = 0;         /* an empty item */

	for (tok = strtok_r(buf, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
		char *e;
		double v;

		errno = 0;
		v = strtod(tok, &e);
		if (errno || e == tok || *e || !(v > 0 && v <= 100) || n == MAXPCT) {
			ok = 0;
			break;
		}
		P.pct[n++] = v;
	}
	free(buf);
	if (!ok || !n)
		return -1;
	qsort(P.pct, (size_t)n, sizeof(P.pct[0]), cmp_double);
	P.npct = 0;
	for (int i = 0; i < n; i++)
		if (!P.npct || P.pct[i] != P.pct[P.npct - 1])
			P.pct[P.npct++] = P.pct[i];
	return 0;
}

/* --sort [COMPONENT.]COLUMN */
static int parse_sort(const char *arg)
{
	static const char *const keys[] = {
		[SK_PID] = "pid", [SK_VM] = "vm", [SK_VCPU] = "vcpu",
		[SK_COUNT] = "count", [SK_MEAN] = "mean", [SK_MIN] = "min",
		[SK_MAX] = "max", [SK_SUM] = "sum", [SK_SWITCH] = "switch",
	};
	const char *dot = strchr(arg, '.'), *col = arg;

	P.sort_comp = C_L1L2;
	if (dot) {
		int c;

		for (c = 0; c < NCOMP; c++)
			if (strlen(comp_name[c]) == (size_t)(dot - arg) &&
			    !strncmp(arg, comp_name[c], (size_t)(dot - arg)))
				break;
		if (c < NCOMP) {        /* else the '.' is in "p99.9" */
			P.sort_comp = c;
			col = dot + 1;
		}
	}
	if (!strcasecmp(col, "switch%") || !strcasecmp(col, "switch_pct")) {
		P.sort_key = SK_SWITCH;
		return 0;
	}
	for (int k = 0; k < SK_PCT; k++) {
		if (!strcasecmp(col, keys[k])) {
			P.sort_key = k;
			return 0;
		}
	}
	if ((col[0] == 'p' || col[0] == 'P') && col[1]) {
		char *e;
		double v = strtod(col + 1, &e);

		if (!*e && v > 0 && v <= 100) {
			P.sort_key = SK_PCT;
			P.pct[MAXPCT - 1] = v;  /* looked up after the list is known */
			return 0;
		}
	}
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* --vm matched nothing: say what the input does have. */
static void explain_no_vm(void)
{
	uint64_t *pids = xcalloc(P.pids_seen.n + 1, sizeof(*pids));
	size_t n = 0, named = 0;

	for (size_t i = 0; i < P.pids_seen.cap; i++)
		if (P.pids_seen.used[i])
			pids[n++] = P.pids_seen.keys[i];
	qsort(pids, n, sizeof(*pids), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (*names_vm((uint32_t)pids[i]))
			named++;
	fprintf(stderr, "%s: --vm ", prog);
	for (size_t i = 0; i < P.nvm_names; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", P.vm_names[i]);
	for (size_t i = 0; i < P.nvm_pids; i++)
		fprintf(stderr, "%s%u", i || P.nvm_names ? ", " : "", P.vm_pids[i]);
	fprintf(stderr, " matched no VM");
	if (P.nvcpus)
		fprintf(stderr, " (with --vcpu)");
	if (!n) {
		fprintf(stderr, "; no events were seen at all\n");
		free(pids);
		return;
	}
	if (!named && P.nvm_names)
		fprintf(stderr, "; the input has no VM names (perf script and ftrace "
			"text carry none): select by pid instead");
	fprintf(stderr, "; VMs in the input:");
	for (size_t i = 0; i < n && i < 20; i++) {
		const char *nm = names_vm((uint32_t)pids[i]);
		char buf[128];

		if (*nm) {
			name_printable(nm, buf, sizeof(buf), 40);
			fprintf(stderr, " %s (pid %" PRIu64 ")%s", buf, pids[i],
				i + 1 < n ? "," : "");
		} else {
			fprintf(stderr, " pid %" PRIu64 "%s%s", pids[i],
				pids[i] ? "" : " (no pid in the input)",
				i + 1 < n ? "," : "");
		}
	}
	if (n > 20)
		fprintf(stderr, " and %zu more", n - 20);
	fputc('\n', stderr);
	free(pids);
}

int main(int argc, char **argv)
{
	const char *replay = NULL, *pscript = NULL, *output = NULL;
	const char *fields_arg = NULL;
	struct live_opts lo = {
		.tracepoint = "kvm_hv:kvmppc_vcpu_stats",
		.mmap_pages = 64,
	};
	int pmu = 0, pid = -1, nformats = 0, c, rc = EX_OK;
	long nbad = 0;
	char *fields_buf = NULL;
	double sort_pct = 0;
	int heat_comp_set = 0;

	P.first_rule = 1;
	P.pct[0] = 50;
	P.pct[1] = 90;
	P.pct[2] = 99;
	P.pct[3] = 99.9;
	P.npct = 4;

	memcpy(lo.fields, tp_default_fields, sizeof(lo.fields));
	if (argc > 1 && (strcmp(argv[1], "record") == 0 || strcmp(argv[1], "script") == 0 ||
			 strcmp(argv[1], "top") == 0 || strcmp(argv[1], "heatmap") == 0)) {
		if (argv[1][0] == 'r')
			P.record = 1;
		else if (argv[1][0] == 's')
			P.script = 1;
		else if (argv[1][0] == 'h')
			P.heatmap = 1;
		else
			P.topmode = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	P.vm_names = xcalloc((size_t)argc, sizeof(*P.vm_names));
	P.vm_pids = xcalloc((size_t)argc, sizeof(*P.vm_pids));
	P.vcpus = xcalloc((size_t)argc, sizeof(*P.vcpus));

	while ((c = getopt_long(argc, argv, "r:o:i:d:p:m:vhV", longopts, NULL)) != -1) {
		uint64_t v;

		switch (c) {
		case 'r':
			replay = optarg;
			break;
		case O_PSCRIPT:
			pscript = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'i':
			if (parse_secs(optarg, &P.interval_ns))
				USAGE("bad interval '%s' (seconds > 0, e.g. 1 or 0.5)", optarg);
			break;
		case 'd':
			if (parse_secs(optarg, &P.duration_ns))
				USAGE("bad duration '%s' (seconds > 0, e.g. 5 or 0.5)", optarg);
			break;
		case O_JSON:
			P.format = OUT_JSON;
			nformats++;
			break;
		case O_CSV:
			P.format = OUT_CSV;
			nformats++;
			break;
		case O_HIST:
			if (!optarg || !strcmp(optarg, "log2"))
				P.hist = HIST_LOG2;
			else if (!strcmp(optarg, "fine"))
				P.hist = HIST_FINE;
			else
				USAGE("bad --hist kind '%s' (log2 or fine)", optarg);
			break;
		case O_VM:
			if (!*optarg)
				USAGE("--vm needs a name or a pid");
			if (!parse_u64(optarg, &v) && v > 0 && v <= UINT32_MAX)
				P.vm_pids[P.nvm_pids++] = (uint32_t)v;
			else
				P.vm_names[P.nvm_names++] = optarg;
			break;
		case O_VCPU: {
			char *e;
			long n;

			errno = 0;
			n = strtol(optarg, &e, 10);
			if (errno || e == optarg || *e || n < 0 || n > INT32_MAX)
				USAGE("bad vCPU number '%s'", optarg);
			P.vcpus[P.nvcpus++] = (int32_t)n;
			break;
		}
		case O_PMU:
			pmu = 1;
			break;
		case 'p':
			if (parse_u64(optarg, &v) || v == 0 || v > INT32_MAX)
				USAGE("bad pid '%s'", optarg);
			pid = (int)v;
			break;
		case 'm':
			if (parse_u64(optarg, &v) || v == 0 || v > 65536 || (v & (v - 1)))
				USAGE("bad page count '%s' (a power of two)", optarg);
			lo.mmap_pages = (unsigned)v;
			break;
		case O_TRACEPOINT:
			lo.tracepoint = optarg;
			break;
		case O_FIELDS:
			fields_arg = optarg;
			break;
		case O_PCTS:
			if (parse_pcts(optarg))
				USAGE("bad percentile list '%s' (up to %d numbers in (0, 100], e.g. 50,99,99.9)",
				      optarg, MAXPCT);
			break;
		case O_SORT:
			if (parse_sort(optarg))
				USAGE("bad sort column '%s' (pid, vm, vcpu, count, mean, min, max, sum, switch, pNN; "
				      "prefix l1_to_l2., l2_to_l1. or l2_runtime. for another component)", optarg);
			if (P.sort_key == SK_PCT)
				sort_pct = P.pct[MAXPCT - 1];
			break;
		case O_BY:
			if (!strcmp(optarg, "vcpu"))
				P.heat_by_vcpu = 1;
			else if (strcmp(optarg, "component"))
				USAGE("bad --by '%s' (component or vcpu)", optarg);
			break;
		case O_COMPONENT:
			for (P.heat_comp = 0; P.heat_comp < NCOMP; P.heat_comp++)
				if (!strcmp(optarg, comp_name[P.heat_comp]))
					break;
			if (P.heat_comp == NCOMP)
				USAGE("bad --component '%s' (l1_to_l2, l2_to_l1 or l2_runtime)", optarg);
			heat_comp_set = 1;
			break;
		case O_INKERNEL:
			P.inkernel = 1;
			break;
		case O_BYEXIT:
			P.by_exit = 1;
			break;
		case O_OVER:
			if (parse_u64(optarg, &v) || v == 0)
				USAGE("bad --over value '%s' (nanoseconds > 0)", optarg);
			P.over_ns = v;
			break;
		case O_TOP:
			if (parse_u64(optarg, &v) || v == 0 || v > UINT32_MAX)
				USAGE("bad --top count '%s' (a number > 0)", optarg);
			P.top = (size_t)v;
			break;
		case 'v':
			P.verbose = lo.verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			goto out;
		case 'V':
			printf("nvlat %s\n", NVLAT_VERSION);
			goto out;
		default:
			fprintf(stderr, "%sTry 'nvlat --help'.\n", usage_text);
			rc = EX_USAGE;
			goto out;
		}
	}
	if (optind < argc)
		USAGE("unexpected argument '%s'", argv[optind]);
	if (nformats > 1)
		USAGE("--json and --csv exclude each other");
	if (replay && pscript)
		USAGE("-r and --perf-script exclude each other");
	if (pmu && (replay || pscript || P.record))
		USAGE("--pmu reads live counters; it does not mix with -r, --perf-script or record");
	if (pid > 0 && !pmu)
		USAGE("-p PID goes with --pmu (use --vm PID to filter tracepoint events)");
	if (pmu && (P.hist || P.nvm_names || P.nvm_pids || P.nvcpus))
		USAGE("--hist, --vm and --vcpu need the tracepoint; --pmu only counts totals");
	if ((P.heat_by_vcpu || heat_comp_set) && !P.heatmap)
		USAGE("--by and --component go with nvlat heatmap");
	if (heat_comp_set && !P.heat_by_vcpu)
		USAGE("--component picks the component of --by vcpu (--by component draws all three)");
	if (P.heatmap && (!output || pmu || P.topmode || nformats || P.hist || P.by_exit ||
			  P.sort_key != SK_PID || P.top || P.npct != 4 || P.pct[3] != 99.9))
		USAGE("heatmap writes an SVG: it needs -o FILE.svg; --pmu, --json, --csv, --hist, "
		      "--by-exit, --sort, --top and --percentiles are for reports");
	if (P.record && !output)
		USAGE("record needs -o FILE");
	if (!P.record && !P.heatmap && output)
		USAGE("-o FILE goes with record (nvlat record -o FILE) or heatmap");
	if (P.record && (nformats || P.hist || P.interval_ns))
		USAGE("record writes a capture; --json, --csv, --hist and -i apply when replaying it");
	if (P.topmode && (replay || pscript || pmu || nformats || P.hist || output ||
			  P.top || P.nvm_names || P.nvm_pids > 1))
		USAGE("top is a live view: -r, --perf-script, --pmu, -o, --json, --csv, "
		      "--hist, --top and --vm NAME (use one --vm PID) do not go with it");
	if (P.topmode) {
		if (!P.interval_ns)
			P.interval_ns = 1000000000ull;
		if (P.nvm_pids) {       /* --vm PID: start on that VM */
			P.top_pid = P.vm_pids[0];
			P.nvm_pids = 0;
		}
		for (int k = 0; k < (int)(sizeof(top_sorts) / sizeof(top_sorts[0])); k++)
			if (top_sorts[k] == P.sort_key)
				P.top_sort = k;
	}
	if (P.inkernel && (replay || pscript || pmu || P.record || P.script || P.topmode ||
			   P.heatmap || P.by_exit || P.hist == HIST_FINE ||
			   strcmp(lo.tracepoint, "kvm_hv:kvmppc_vcpu_stats")))
		USAGE("--in-kernel is a live report of kvm_hv:kvmppc_vcpu_stats; not with -r, "
		      "--perf-script, --pmu, record, script, top, heatmap, --by-exit, "
		      "--hist=fine or --tracepoint");
	if (P.by_exit && (pmu || P.script || P.topmode || P.format == OUT_CSV))
		USAGE("--by-exit adds tables to reports (text or --json), and records the "
		      "exit events live; not with --pmu, script, top or --csv");
	if (P.over_ns && !P.script)
		USAGE("--over goes with nvlat script");
	if (P.script && (output || P.format == OUT_JSON || P.hist || P.interval_ns ||
			 P.sort_key != SK_PID || P.top || P.npct != 4 || P.pct[3] != 99.9))
		USAGE("script prints each event (text, or --csv); -o, --json, --hist, -i, "
		      "--sort, --top and --percentiles are for reports");
	if (P.record && (P.sort_key != SK_PID || P.top || P.npct != 4 || P.pct[3] != 99.9))
		USAGE("record writes a capture; --sort, --top and --percentiles apply when replaying it");
	if (pmu && (P.sort_key != SK_PID || P.top || P.npct != 4 || P.pct[3] != 99.9))
		USAGE("--sort, --top and --percentiles need the tracepoint; --pmu only counts totals");
	if (P.sort_key == SK_PCT) {
		/* sort by a percentile: it must be one of those printed */
		for (P.sort_pct = 0; P.sort_pct < P.npct; P.sort_pct++)
			if (P.pct[P.sort_pct] == sort_pct)
				break;
		if (P.sort_pct == P.npct) {
			if (P.npct == MAXPCT)
				USAGE("--sort p%g: not among --percentiles", sort_pct);
			P.pct[P.npct++] = sort_pct;
			qsort(P.pct, (size_t)P.npct, sizeof(P.pct[0]), cmp_double);
			for (P.sort_pct = 0; P.pct[P.sort_pct] != sort_pct; P.sort_pct++)
				;
		}
	}
	if (fields_arg) {
		char *save = NULL, *tok;
		int n = 0;

		fields_buf = xstrdup(fields_arg);
		for (tok = strtok_r(fields_buf, ",", &save); tok && n < 1 + NCOMP;
		     tok = strtok_r(NULL, ",", &save))
			lo.fields[n++] = tok;
		if (n != 1 + NCOMP || tok)
			USAGE("--fields wants 4 names: VCPU,L1L2,L2L1,RUN, not '%s'", fields_arg);
	}

	if (P.heatmap)          /* -i: the column width; else automatic */
		heat_init(P.heat_by_vcpu, P.heat_comp, P.interval_ns);
	install_signals();
	if (pmu) {
		struct pmu_opts po = {
			.pid = pid, .interval_ns = P.interval_ns,
			.duration_ns = P.duration_ns, .format = P.format,
			.verbose = P.verbose,
		};

		rc = pmu_run(&po);
		goto out;
	}

	if (P.record) {
		struct utsname u;

		if (cap_open(&P.cap, output)) {
			rc = EX_FAIL;
			goto out;
		}
		cap_info(&P.cap, "nvlat", NVLAT_VERSION);
		if (!replay && !pscript) {
			cap_info(&P.cap, "tracepoint", lo.tracepoint);
			cap_info(&P.cap, "clock", "CLOCK_MONOTONIC");
			if (uname(&u) == 0) {
				cap_info(&P.cap, "kernel", u.release);
				cap_info(&P.cap, "machine", u.machine);
			}
		} else {
			cap_info(&P.cap, "converted-from", replay ? replay : pscript);
		}
	}

	if (replay || pscript) {
		P.source = replay ? "replay" : "perf-script";
		nbad = replay ? replay_capture(replay, &ops) :
				replay_perf_script(pscript, &ops);
		if (nbad < 0) {
			/* unreadable: no report that could pass for a real one */
			rc = nbad == -2 ? EX_BADINPUT : EX_FAIL;
			goto done;
		}
		if (P.ambiguous) {
			msg("%s: this text has no VM pid (perf script without the pid "
			    "field, or ftrace without tgid) and vCPU %d appears on "
			    "threads %u and %u, which may be different VMs: nvlat "
			    "cannot tell the VMs apart; make the text with `perf script "
			    "-F comm,pid,tid,cpu,time,event,trace` (or trace-cmd/ftrace "
			    "with the tgid option)", replay ? replay : pscript, (int)P.amb_vcpu,
			    P.amb_tid[0], P.amb_tid[1]);
			rc = EX_BADINPUT;
			goto done;
		}
		if ((P.nvm_names || P.nvm_pids) && !P.matched && P.pids_seen.n) {
			explain_no_vm();
			rc = EX_USAGE;
			goto done;
		}
		if (!P.have_t0)
			P.t0 = P.iv_start = P.last_ts = 0;
		if (P.by_exit)
			exits_finish();
		if (P.script)
			;       /* the events are printed */
		else if (P.interval_ns)
			flush(P.iv_start, P.iv_start + P.interval_ns, !P.reports);
		else
			flush(P.t0, P.last_ts, 1);
		if (nbad)
			rc = EX_BADINPUT;
		if (P.by_exit && !P.script && !P.record && !exits_seen()) {
			msg("--by-exit: %s has no kvm_hv:kvm_guest_exit events to pair "
			    "with (record with `nvlat record --by-exit`, or `perf record -e "
			    "kvm_hv:kvmppc_vcpu_stats -e kvm_hv:kvm_guest_exit -e "
			    "kvm_hv:kvm_hcall_enter`)", replay ? replay : pscript);
			rc = EX_BADINPUT;
		}
	} else {
		P.source = "live";
		P.live = 1;
		P.first_rule = !strcmp(lo.tracepoint, "kvm_hv:kvmppc_vcpu_stats");
		lo.interval_ns = P.interval_ns;
		lo.duration_ns = P.duration_ns;
		if (P.topmode)
			top_start();
		lo.exits = P.by_exit;
		if (P.inkernel) {
			P.source = "in-kernel";
			P.first_rule = 0;
			rc = inkernel_run(&lo, &ik_ops);
		} else {
			rc = live_run(&lo, &ops, pl_tick);
		}
		if (P.topmode)
			top_end();
		if (!rc && P.by_exit && !P.record && P.tot_events && !exits_seen()) {
			msg("--by-exit: no kvm_hv:kvm_guest_exit events were seen, so "
			    "no switch could be paired with its exit");
			rc = EX_FAIL;
		}
		/* Live, nothing seen at all is no answer either: say so. */
		if (!rc && (P.nvm_names || P.nvm_pids) && !P.matched) {
			explain_no_vm();
			rc = EX_USAGE;
		}
	}
	if (P.heatmap && (!rc || rc == EX_BADINPUT)) {
		if (P.heat_err) {
			msg(heat_too_many_panels() ? "heatmap: more than 256 vCPUs: select "
			    "some with --vm or --vcpu" : "heatmap: more than 4096 columns of "
			    "-i SECS: give a longer -i");
			rc = EX_USAGE;
		} else if (!heat_events()) {
			msg("heatmap: no events to draw%s; nothing written",
			    replay || pscript ? " in the input" : "");
			rc = replay || pscript ? EX_BADINPUT : EX_FAIL;
		} else if (heat_write(output, P.source)) {
			rc = EX_FAIL;
		} else {
			msg("wrote %s: %" PRIu64 " events", output, heat_events());
		}
	}
done:
	if (P.record) {
		int failed = (rc && rc != EX_BADINPUT) || P.ambiguous;

		if (cap_close(&P.cap))
			failed = 1;
		if (failed) {
			/* a capture that failed is not left to look like one */
			if (strcmp(output, "-") != 0 && unlink(output) == 0)
				msg("removed %s: nothing was recorded", output);
			if (!rc)
				rc = EX_FAIL;
		} else {
			msg("recorded %" PRIu64 " events (%" PRIu64 " lost) to %s",
			    P.tot_events, P.tot_lost, output);
		}
	}
	if (nbad > 0 && rc == EX_BADINPUT)
		msg("%ld bad input record%s skipped; the report covers every good event",
		    nbad, nbad == 1 ? "" : "s");
out:
	/* a report (or help, or --pmu counts) that could not be written is a
	 * failure (> /dev/full); a capture on stdout said so already */
	if (!(P.record && output && strcmp(output, "-") == 0) &&
	    (fflush(stdout) || ferror(stdout))) {
		msg("writing the report: %s", strerror(errno ? errno : EIO));
		rc = EX_FAIL;
	}
	free(fields_buf);
	free(P.vm_names);
	free(P.vm_pids);
	free(P.vcpus);
	for (size_t i = 0; i < P.nall; i++)
		free_entry(P.all[i]);
	free(P.all);
	u64map_free(&P.emap);
	u64map_free(&P.cpus_seen);
	u64map_free(&P.pids_seen);
	u64map_free(&P.pidless);
	exits_free();
	heat_free();
	names_free();
	return rc;
}
