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
#include <sys/utsname.h>
#include <unistd.h>

#include "nvlat.h"

#define NBUCKET 4096

static struct {
	int format, hist, record, verbose, live;
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

	struct entry *hash[NBUCKET];
	struct entry **all;
	size_t nall, capall;
} P;

/* ---- aggregation ---- */
static struct entry *get_entry(uint32_t pid, int32_t vcpu)
{
	size_t h = ((size_t)pid * 2654435761u + (size_t)(uint32_t)vcpu * 40503u) % NBUCKET;
	struct entry *e;

	for (e = P.hash[h]; e; e = e->next)
		if (e->pid == pid && e->vcpu == vcpu)
			return e;
	e = xcalloc(1, sizeof(*e));
	e->pid = pid;
	e->vcpu = vcpu;
	e->next = P.hash[h];
	P.hash[h] = e;
	if (P.nall == P.capall) {
		P.capall = P.capall ? P.capall * 2 : 64;
		P.all = xrealloc(P.all, P.capall * sizeof(*P.all));
	}
	P.all[P.nall++] = e;
	return e;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

static void flush(uint64_t start, uint64_t end, int force)
{
	struct report r;
	struct entry **vms, **vcpus;

	if (P.record)
		return;
	if (!force && !P.events && !P.lost && !P.bad)
		return;
	memset(&r, 0, sizeof(r));
	vms = xcalloc(P.nall, sizeof(*vms));
	vcpus = xcalloc(P.nall, sizeof(*vcpus));
	for (size_t i = 0; i < P.nall; i++) {
		struct entry *e = P.all[i];

		if (!e->s[0].n)
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
	r.format = P.format;
	r.hist = P.hist;
	r.source = P.source;
	r.interval = P.interval;
	r.intervals = P.interval_ns != 0;
	r.start_s = (double)(start - P.t0) / 1e9;
	r.end_s = (double)(end - P.t0) / 1e9;
	r.events = P.events;
	r.lost = P.lost;
	r.bad = P.bad;
	r.vms = vms;
	r.vcpus = vcpus;
	if (P.format == OUT_TABLE && P.reports)
		fputc('\n', stdout);
	if (P.format == OUT_CSV && !P.reports)
		output_csv_header(stdout);
	output_report(stdout, &r);
	P.reports++;
	free(vms);
	free(vcpus);
	for (size_t i = 0; i < P.nall; i++)
		for (int c = 0; c < NCOMP; c++)
			series_reset(&P.all[i]->s[c]);
	P.events = P.lost = P.bad = 0;
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

static int pl_event(const struct nv_event *ev)
{
	if (!P.live && replay_clock(ev->time_ns))
		return 1;
	if (!wanted(ev))
		return 0;
	P.events++;
	P.tot_events++;
	if (P.record) {
		cap_event(&P.cap, ev);
		return 0;
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
	if (P.interval_ns && now >= P.iv_start + P.interval_ns) {
		uint64_t k = (now - P.t0) / P.interval_ns;

		flush(P.iv_start, P.iv_start + P.interval_ns, 1);
		P.interval = (unsigned)k;
		P.iv_start = P.t0 + k * P.interval_ns;
	}
	if (final > 0 && (now > P.iv_start || !P.reports))
		flush(P.iv_start, now, 1);
}

static const struct source_ops ops = {
	.event = pl_event, .task = pl_task, .lost = pl_lost, .bad = pl_bad,
};

/* ---- command line ---- */
static const char usage_text[] =
"Usage: nvlat [OPTIONS]                      live report (kvm_hv:kvmppc_vcpu_stats)\n"
"       nvlat -r FILE [OPTIONS]              replay an nvlat capture\n"
"       nvlat --perf-script FILE [OPTIONS]   replay `perf script` text\n"
"       nvlat record -o FILE [OPTIONS]       record a capture (live, or convert -r/--perf-script)\n"
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
"                        perf script -F comm,pid,tid,cpu,time,event,trace\n"
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
"      --hist            add log2 histograms of each component\n"
"      --vm NAME|PID     only this VM: QEMU -name guest=NAME, or process id\n"
"                        (repeatable; a VM matching any is kept)\n"
"      --vcpu N          only vCPU N (vcpu_id; repeatable)\n"
"\n"
"Record:\n"
"  record -o, --output FILE\n"
"                        write the events (after --vm/--vcpu) to FILE in the\n"
"                        nvlat capture format (- = stdout), with the VM and\n"
"                        thread names; then replay with -r FILE anywhere\n"
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
"L2): COUNT, MEAN, P50, P90, P99, MAX in ns, and SWITCH% = (l1_to_l2 +\n"
"l2_to_l1) / (l1_to_l2 + l2_to_l1 + l2_runtime) over the sums.  Percentiles\n"
"are exact below 256 ns and within 0.4% above.  Every report shows the\n"
"events lost by the kernel (PERF_RECORD_LOST) and bad input records skipped.\n"
"\n"
"Exit status: 0 ok; 1 runtime error; 2 bad usage; 3 the replay input had\n"
"bad records (they are reported with their line or byte offset and\n"
"skipped, the report covers all good events); 4 tracefs, the tracepoint or\n"
"the PMU is missing; 5 permission denied (perf_event_paranoid, not root).\n"
"\n"
"Examples:\n"
"  nvlat -d 5                  5 s live report\n"
"  nvlat -i 1 --vm guest1      per-second reports for VM guest1\n"
"  nvlat -d 5 --json           what the nestedv2 harness runs in an L1\n"
"  nvlat record -o cap.nvl -d 10; nvlat -r cap.nvl --hist\n"
"  perf script -F comm,pid,tid,cpu,time,event,trace | nvlat --perf-script -\n"
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
	O_TRACEPOINT, O_FIELDS,
};

static const struct option longopts[] = {
	{ "replay", required_argument, NULL, 'r' },
	{ "perf-script", required_argument, NULL, O_PSCRIPT },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, O_JSON },
	{ "csv", no_argument, NULL, O_CSV },
	{ "hist", no_argument, NULL, O_HIST },
	{ "vm", required_argument, NULL, O_VM },
	{ "vcpu", required_argument, NULL, O_VCPU },
	{ "pmu", no_argument, NULL, O_PMU },
	{ "pid", required_argument, NULL, 'p' },
	{ "mmap-pages", required_argument, NULL, 'm' },
	{ "tracepoint", required_argument, NULL, O_TRACEPOINT },
	{ "fields", required_argument, NULL, O_FIELDS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

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

	memcpy(lo.fields, tp_default_fields, sizeof(lo.fields));
	if (argc > 1 && strcmp(argv[1], "record") == 0) {
		P.record = 1;
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
			P.hist = 1;
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
	if (P.record && !output)
		USAGE("record needs -o FILE");
	if (!P.record && output)
		USAGE("-o FILE goes with record (nvlat record -o FILE)");
	if (P.record && (nformats || P.hist || P.interval_ns))
		USAGE("record writes a capture; --json, --csv, --hist and -i apply when replaying it");
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
			rc = nbad == -2 ? EX_BADINPUT : EX_FAIL;
			if (P.record)
				cap_close(&P.cap);
			goto out;
		}
		if (!P.have_t0)
			P.t0 = P.iv_start = P.last_ts = 0;
		if (P.interval_ns)
			flush(P.iv_start, P.iv_start + P.interval_ns, !P.reports);
		else
			flush(P.t0, P.last_ts, 1);
		if (nbad)
			rc = EX_BADINPUT;
	} else {
		P.source = "live";
		P.live = 1;
		lo.interval_ns = P.interval_ns;
		lo.duration_ns = P.duration_ns;
		rc = live_run(&lo, &ops, pl_tick);
	}
	if (P.record) {
		if (cap_close(&P.cap) && !rc)
			rc = EX_FAIL;
		else
			msg("recorded %" PRIu64 " events (%" PRIu64 " lost) to %s",
			    P.tot_events, P.tot_lost, output);
	}
	if (nbad > 0)
		msg("%ld bad input record%s skipped; the report covers every good event",
		    nbad, nbad == 1 ? "" : "s");
out:
	free(fields_buf);
	free(P.vm_names);
	free(P.vm_pids);
	free(P.vcpus);
	for (size_t i = 0; i < P.nall; i++) {
		for (int k = 0; k < NCOMP; k++)
			series_free(&P.all[i]->s[k]);
		free(P.all[i]);
	}
	free(P.all);
	names_free();
	return rc;
}
