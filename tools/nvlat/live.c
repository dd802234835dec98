// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat: live capture of kvm_hv:kvmppc_vcpu_stats with perf_event_open.
 *
 * One sampling event per online CPU (pid -1), period 1, with RAW, TID,
 * TIME and CPU in each sample and CLOCK_MONOTONIC timestamps.  Each CPU has
 * its own mmap'ed ring; every poll round drains all rings, sorts the batch
 * by time and hands it to the pipeline.  The raw record is decoded with the
 * offsets from the tracefs format file (tpfmt.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nvlat.h"

static volatile int stop_requested;

volatile int *stop_flag(void)
{
	return &stop_requested;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long perf_open(struct perf_event_attr *a, int pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int perf_open_error(int err, const char *what, char *buf, size_t len)
{
	char *par;
	int paranoid = 99;

	switch (err) {
	case EACCES:
	case EPERM:
		par = read_file("/proc/sys/kernel/perf_event_paranoid", NULL);
		if (par)
			paranoid = atoi(par);
		free(par);
		snprintf(buf, len,
			 "permission denied opening %s (%s): perf_event_paranoid is %d; "
			 "system-wide tracepoint and PMU events need root or "
			 "CAP_PERFMON (CAP_SYS_ADMIN before Linux 5.8), or "
			 "kernel.perf_event_paranoid=-1", what, strerror(err),
			 paranoid);
		return EX_PERM;
	case ENOSYS:
		snprintf(buf, len, "perf_event_open is not available: the kernel "
			 "was built without CONFIG_PERF_EVENTS");
		return EX_NOTAVAIL;
	case EMFILE:
	case ENFILE:
		snprintf(buf, len, "cannot open %s: too many open files (one "
			 "event per CPU is needed; raise ulimit -n)", what);
		return EX_FAIL;
	case ENOENT:
	case EINVAL:
	case EOPNOTSUPP:
		snprintf(buf, len, "the kernel rejected %s (%s): the event is "
			 "not supported in this mode or the id/type is stale",
			 what, strerror(err));
		return EX_NOTAVAIL;
	default:
		snprintf(buf, len, "cannot open %s: %s", what, strerror(err));
		return EX_FAIL;
	}
}

static int is_dir(const char *path, int *eacces)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode);
	if (errno == EACCES)
		*eacces = 1;
	return 0;
}

/* Find tracefs; on failure print what is missing and return an EX_ code. */
int tracefs_dir(char *dir, size_t len)
{
	static const char *const cand[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	const char *env = getenv("NVLAT_TRACEFS");
	char path[PATH_MAX];
	int eacces = 0;

	if (env && *env) {
		snprintf(path, sizeof(path), "%s/events", env);
		if (is_dir(path, &eacces)) {
			snprintf(dir, len, "%s", env);
			return 0;
		}
		msg("NVLAT_TRACEFS=%s has no events/ directory: not a tracefs", env);
		return eacces ? EX_PERM : EX_NOTAVAIL;
	}
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", cand[i]);
		if (is_dir(path, &eacces)) {
			snprintf(dir, len, "%s", cand[i]);
			return 0;
		}
	}
	if (eacces) {
		msg("permission denied reading tracefs (/sys/kernel/tracing): "
		    "run nvlat as root");
		return EX_PERM;
	}
	msg("tracefs is not mounted: neither /sys/kernel/tracing/events nor "
	    "/sys/kernel/debug/tracing/events exists; mount it with "
	    "'mount -t tracefs nodev /sys/kernel/tracing' (kernel needs "
	    "CONFIG_FTRACE/CONFIG_EVENT_TRACING)");
	return EX_NOTAVAIL;
}

/* Resolve SYS:NAME to its id and decoded format. */
static int load_tracepoint(const struct live_opts *o, const char *tp,
			   const char *const *fields, uint64_t *id,
			   struct tp_format *fmt)
{
	char tfs[1024], path[1024 + 256], sys[64], name[128], err[256];
	const char *colon = strchr(tp, ':');
	char *txt;
	int rc, eacces = 0;

	if (!colon || colon == tp || !colon[1] ||
	    (size_t)(colon - tp) >= sizeof(sys) ||
	    strlen(colon + 1) >= sizeof(name)) {
		msg("bad tracepoint name '%s' (want SYSTEM:EVENT)", tp);
		return EX_USAGE;
	}
	memcpy(sys, tp, (size_t)(colon - tp));
	sys[colon - tp] = '\0';
	snprintf(name, sizeof(name), "%s", colon + 1);
	rc = tracefs_dir(tfs, sizeof(tfs));
	if (rc)
		return rc;

	snprintf(path, sizeof(path), "%s/events/%s", tfs, sys);
	if (!is_dir(path, &eacces)) {
		if (eacces) {
			msg("permission denied reading %s: run nvlat as root", path);
			return EX_PERM;
		}
		if (strcmp(sys, "kvm_hv") == 0)
			msg("no kvm_hv tracepoints (%s is missing): the kvm_hv "
			    "module is not loaded (modprobe kvm_hv) or this kernel "
			    "has no KVM-HV support (CONFIG_KVM_BOOK3S_64_HV)", path);
		else
			msg("no '%s' tracepoints: %s is missing", sys, path);
		return EX_NOTAVAIL;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s", tfs, sys, name);
	if (!is_dir(path, &eacces)) {
		if (eacces) {
			msg("permission denied reading %s: run nvlat as root", path);
			return EX_PERM;
		}
		if (strcmp(tp, "kvm_hv:kvmppc_vcpu_stats") == 0)
			msg("tracepoint kvm_hv:kvmppc_vcpu_stats not found (%s is "
			    "missing): the kernel is too old; it needs Linux >= 6.11 "
			    "(CONFIG_PPC_PSERIES, KVM on PowerVM) or the nestedv2 "
			    "6.1 series", path);
		else
			msg("tracepoint %s not found (%s is missing)", tp,
			    path);
		return EX_NOTAVAIL;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", tfs, sys, name);
	txt = read_file(path, NULL);
	if (!txt || parse_u64(strtok(txt, "\n") ? txt : "", id)) {
		int e = errno;

		free(txt);
		if (!txt && (e == EACCES || e == EPERM)) {
			msg("permission denied reading %s: run nvlat as root", path);
			return EX_PERM;
		}
		msg("cannot read the tracepoint id from %s: %s", path,
		    txt ? "not a number" : strerror(e));
		return EX_FAIL;
	}
	free(txt);
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tfs, sys, name);
	txt = read_file(path, NULL);
	if (!txt) {
		int e = errno;

		msg("cannot read %s: %s%s", path, strerror(e),
		    e == EACCES ? " (run nvlat as root)" : "");
		return e == EACCES ? EX_PERM : EX_FAIL;
	}
	if (tpfmt_parse(txt, fields, fmt, err, sizeof(err))) {
		msg("%s: %s: the event does not have the fields nvlat decodes",
		    path, err);
		free(txt);
		return EX_NOTAVAIL;
	}
	if (o->verbose)
		msg("%s: id %llu, fields at offsets %d/%d/%d/%d (record >= %d bytes)",
		    tp, (unsigned long long)*id, fmt->vcpu.off,
		    fmt->comp[0].off, fmt->comp[1].off, fmt->comp[2].off,
		    fmt->min_size);
	free(txt);
	return 0;
}

/* Parse /sys/devices/system/cpu/online ("0-3,6"). */
int online_cpus(int **cpus)
{
	char *txt = read_file("/sys/devices/system/cpu/online", NULL), *p;
	int n = 0, cap = 16;

	*cpus = xmalloc((size_t)cap * sizeof(int));
	if (!txt) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);

		for (int c = 0; c < nc; c++) {
			if (n == cap)
				*cpus = xrealloc(*cpus, (size_t)(cap *= 2) * sizeof(int));
			(*cpus)[n++] = c;
		}
		return n;
	}
	for (p = txt; *p;) {
		char *e;
		long a = strtol(p, &e, 10), b = a;

		if (e == p)
			break;
		if (*e == '-')
			b = strtol(e + 1, &e, 10);
		for (long c = a; c <= b; c++) {
			if (n == cap)
				*cpus = xrealloc(*cpus, (size_t)(cap *= 2) * sizeof(int));
			(*cpus)[n++] = (int)c;
		}
		p = e;
		while (*p == ',' || *p == '\n')
			p++;
	}
	free(txt);
	return n;
}

struct ring {
	int fd, cpu;
	uint32_t kind;          /* EV_* of its tracepoint */
	const struct tp_format *fmt;
	void *base;
	const unsigned char *data;
	size_t size;    /* data area */
};

/* events this recent wait for the next poll round (see live_run) */
#define HOLD_NS 100000000ull

struct batch {
	struct nv_event *ev;
	size_t n, cap;
	uint64_t bad;
};

static void copy_ring(const struct ring *r, uint64_t pos, void *dst, size_t len)
{
	const unsigned char *data = r->data;
	size_t off = (size_t)(pos % r->size), first = r->size - off;

	if (first >= len) {
		memcpy(dst, data + off, len);
	} else {
		memcpy(dst, data + off, first);
		memcpy((unsigned char *)dst + first, data, len - first);
	}
}

static void drain(struct ring *r, struct batch *b, const struct source_ops *ops)
{
	struct perf_event_mmap_page *mp = r->base;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = mp->data_tail;
	static unsigned char rec[65536];

	while (tail < head) {
		struct perf_event_header h;

		copy_ring(r, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || h.size > head - tail) {
			b->bad++;
			tail = head;    /* cannot happen with a sane kernel */
			break;
		}
		copy_ring(r, tail, rec, h.size);
		tail += h.size;
		if (h.type == PERF_RECORD_SAMPLE) {
			/* TID, TIME, CPU, RAW in this order (perf_event.h) */
			const unsigned char *p = rec + sizeof(h);
			struct nv_event ev;
			uint32_t u32[2], rawsz;

			if (h.size < sizeof(h) + 28) {
				b->bad++;
				continue;
			}
			memcpy(u32, p, 8);
			ev.pid = u32[0];
			ev.tid = u32[1];
			memcpy(&ev.time_ns, p + 8, 8);
			memcpy(u32, p + 16, 8);
			ev.cpu = u32[0];
			memcpy(&rawsz, p + 24, 4);
			ev.kind = r->kind;
			if ((size_t)rawsz > h.size - sizeof(h) - 28 ||
			    tpfmt_decode(r->fmt, p + 28, rawsz, &ev)) {
				b->bad++;
				continue;
			}
			if (b->n == b->cap) {
				b->cap = b->cap ? b->cap * 2 : 4096;
				b->ev = xrealloc(b->ev, b->cap * sizeof(*b->ev));
			}
			b->ev[b->n++] = ev;
		} else if (h.type == PERF_RECORD_LOST) {
			uint64_t lost;

			memcpy(&lost, rec + sizeof(h) + 8, 8);
			ops->lost(mono_ns(), lost);
		} else if (h.type == PERF_RECORD_LOST_SAMPLES) {
			uint64_t lost;

			memcpy(&lost, rec + sizeof(h), 8);
			ops->lost(mono_ns(), lost);
		}
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

static int by_time(const void *a, const void *b)
{
	const struct nv_event *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	/* one run's stats, then its exit, then its hcall */
	return x->kind < y->kind ? -1 : x->kind > y->kind;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int live_run(const struct live_opts *o, const struct source_ops *ops,
	     void (*tick)(uint64_t now_ns, int final))
{
	/* --by-exit: the exit of each run, and the hcall of hcall exits */
	static const char *const tps[] = {
		[EV_EXIT] = "kvm_hv:kvm_guest_exit", [EV_HCALL] = "kvm_hv:kvm_hcall_enter",
	};
	static const char *const tpfields[][1 + NCOMP] = {
		[EV_EXIT] = { "vcpu_id", "trap", "ceded", "pc" },
		[EV_HCALL] = { "vcpu_id", "req", "gpr4", "gpr5" },
	};
	struct perf_event_attr attr;
	struct tp_format fmt[3];
	uint64_t ids[3];
	struct ring *rings;
	struct pollfd *pfd;
	struct batch b = { 0 };
	uint64_t start, deadline;
	size_t pgsz = (size_t)sysconf(_SC_PAGESIZE);
	int *cpus, ncpu, nr = 0, rc, nkinds = o->exits ? 3 : 1;
	int stopped = 0;

	rc = load_tracepoint(o, o->tracepoint, o->fields, &ids[EV_STATS], &fmt[EV_STATS]);
	for (int k = EV_EXIT; !rc && k < nkinds; k++)
		rc = load_tracepoint(o, tps[k], tpfields[k], &ids[k], &fmt[k]);
	if (rc)
		return rc;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			   PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
	attr.disabled = 1;
	attr.watermark = 1;
	attr.wakeup_watermark = (uint32_t)(o->mmap_pages * pgsz / 4);
	attr.use_clockid = 1;
	attr.clockid = CLOCK_MONOTONIC;

	ncpu = online_cpus(&cpus);
	rings = xcalloc((size_t)(ncpu * nkinds), sizeof(*rings));
	pfd = xcalloc((size_t)(ncpu * nkinds), sizeof(*pfd));
	for (int i = 0; i < ncpu * nkinds; i++) {
		int kind = i / ncpu, cpu = cpus[i % ncpu];
		long fd;
		char what[128], err[512];

		attr.config = ids[kind];
		fd = perf_open(&attr, -1, cpu);
		if (fd < 0 && errno == ENODEV)
			continue;       /* went offline meanwhile */
		if (fd < 0) {
			snprintf(what, sizeof(what), "%s on CPU %d",
				 kind ? tps[kind] : o->tracepoint, cpu);
			rc = perf_open_error(errno, what, err, sizeof(err));
			msg("%s", err);
			goto out;
		}
		rings[nr].fd = (int)fd;
		rings[nr].cpu = cpu;
		rings[nr].kind = (uint32_t)kind;
		rings[nr].fmt = &fmt[kind];
		rings[nr].size = o->mmap_pages * pgsz;
		rings[nr].base = mmap(NULL, (1 + o->mmap_pages) * pgsz,
				      PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
		if (rings[nr].base == MAP_FAILED) {
			msg("cannot mmap the ring buffer of CPU %d (%u pages): %s%s",
			    cpu, o->mmap_pages, strerror(errno),
			    errno == EPERM ? " (raise kernel.perf_event_mlock_kb or use fewer -m pages)" : "");
			close((int)fd);
			rc = EX_FAIL;
			goto out;
		}
		rings[nr].data = (const unsigned char *)rings[nr].base + pgsz;
		pfd[nr].fd = (int)fd;
		pfd[nr].events = POLLIN;
		nr++;
	}
	if (o->verbose)
		msg("reading %s%s on %d CPUs, %u pages per ring", o->tracepoint,
		    o->exits ? " and kvm_hv:kvm_guest_exit, kvm_hv:kvm_hcall_enter" : "",
		    nr / nkinds, o->mmap_pages);
	for (int i = 0; i < nr; i++)
		ioctl(rings[i].fd, PERF_EVENT_IOC_ENABLE, 0);

	start = mono_ns();
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	tick(start, -1);        /* tells the pipeline when we started */
	while (!stopped) {
		uint64_t now = mono_ns();
		int timeout = 250;

		if (stop_requested || now >= deadline) {
			for (int i = 0; i < nr; i++)
				ioctl(rings[i].fd, PERF_EVENT_IOC_DISABLE, 0);
			stopped = 1;
		} else {
			if (deadline - now < 250000000ull)
				timeout = (int)((deadline - now) / 1000000) + 1;
			if (o->interval_ns) {
				uint64_t next = start + ((now - start) / o->interval_ns + 1) *
					o->interval_ns;

				if (next - now < (uint64_t)timeout * 1000000)
					timeout = (int)((next - now) / 1000000) + 1;
			}
			if (poll(pfd, (nfds_t)nr, timeout) < 0 && errno != EINTR) {
				msg("poll: %s", strerror(errno));
				rc = EX_FAIL;
				goto out;
			}
		}
		/*
		 * Rings are drained one after the other, so an event of one
		 * CPU can come a round later than a newer one of another CPU
		 * (a vCPU thread that moved between its exit and its hcall
		 * event).  Events newer than HOLD_NS before this round's start
		 * wait for the next round, so each round hands them on in time
		 * order across rounds too (--by-exit pairs them per thread).
		 * 100 ms, as an L1 vCPU can stall that long under a TCG L0.
		 */
		{
			uint64_t horizon = mono_ns() - HOLD_NS;
			size_t ready;

			for (int i = 0; i < nr; i++)
				drain(&rings[i], &b, ops);
			qsort(b.ev, b.n, sizeof(*b.ev), by_time);
			for (ready = 0; ready < b.n && (stopped || b.ev[ready].time_ns <= horizon);
			     ready++)
				;
			for (size_t i = 0; i < ready; i++) {
				struct nv_event *ev = &b.ev[i];

				if (names_resolve_proc(ev->pid, ev->tid))
					ops->task(ev->pid, ev->tid, names_thread(ev->tid),
						  names_vm(ev->pid));
				if (ops->event(ev))
					stopped = 1;
			}
			memmove(b.ev, b.ev + ready, (b.n - ready) * sizeof(*b.ev));
			b.n -= ready;
		}
		tick(stopped ? (deadline < UINT64_MAX && !stop_requested ? deadline : mono_ns())
			     : mono_ns(), stopped);
	}
	if (b.bad)
		msg("%llu malformed samples could not be decoded",
		    (unsigned long long)b.bad);
	rc = 0;
out:
	for (int i = 0; i < nr; i++) {
		munmap(rings[i].base, (1 + o->mmap_pages) * pgsz);
		close(rings[i].fd);
	}
	free(b.ev);
	free(rings);
	free(pfd);
	free(cpus);
	return rc;
}
