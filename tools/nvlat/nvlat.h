/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nvlat: per-vCPU L1<->L2 switch latency reporter for KVM on PowerVM.
 *
 * Shared definitions.  The data model is deliberately tiny: every source
 * (live perf ring buffers, an nvlat capture, `perf script` text) produces
 * struct nv_event values plus task-name and lost-event notes, and hands
 * them to the pipeline in main.c, which filters, records or aggregates.
 */
#ifndef NVLAT_H
#define NVLAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NVLAT_VERSION "1.1.0"

/* The three components of kvm_hv:kvmppc_vcpu_stats, in record order. */
enum { C_L1L2, C_L2L1, C_RUN, NCOMP };
extern const char *const comp_name[NCOMP];

/* Exit codes (documented in --help and nvlat.1). */
enum {
	EX_OK = 0,
	EX_FAIL = 1,      /* runtime error: I/O, perf_event_open, ... */
	EX_USAGE = 2,     /* bad command line */
	EX_BADINPUT = 3,  /* replay input had bad records (report still printed) */
	EX_NOTAVAIL = 4,  /* tracefs/tracepoint/PMU missing on this system */
	EX_PERM = 5,      /* not allowed: perf_event_paranoid, capabilities */
};

#define NV_NOCPU UINT32_MAX

/* What an event is: the stats tracepoint, or (--by-exit) the vCPU's exit
 * that ended the same run.  EV_EXIT (kvm_hv:kvm_guest_exit): v[0] trap,
 * v[1] ceded, v[2] pc.  EV_HCALL (kvm_hv:kvm_hcall_enter): v[0] the
 * hcall number (req), v[1] gpr4, v[2] gpr5. */
enum { EV_STATS = 0, EV_EXIT = 1, EV_HCALL = 2 };

struct nv_event {
	uint64_t time_ns;       /* CLOCK_MONOTONIC (live) or the input's clock */
	uint32_t pid;           /* thread group (the QEMU process); 0: unknown */
	uint32_t tid;           /* the vCPU thread */
	uint32_t cpu;           /* L1 CPU the event was seen on, NV_NOCPU if unknown */
	int32_t vcpu;           /* vcpu_id from the tracepoint */
	uint64_t v[NCOMP];      /* nanoseconds: l1_to_l2, l2_to_l1, l2_runtime */
	uint32_t kind;          /* EV_* */
};

/* ---- util.c ---- */
extern const char *prog;
extern int msg_quiet;           /* fuzz targets: no messages */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Read a whole (small) file; returns malloc'd NUL-terminated text or NULL
 * with errno set.  *len gets the length if len is not NULL. */
char *read_file(const char *path, size_t *len);
int parse_u64(const char *s, uint64_t *out);   /* decimal or 0x hex, whole string */
int parse_secs(const char *s, uint64_t *ns);   /* "2", "0.5" -> ns, > 0 */

/* A growing open-addressing map u64 -> u64 (util.c). */
struct u64map {
	uint64_t *keys, *vals;
	unsigned char *used;
	size_t n, cap;
};
uint64_t *u64map_get(const struct u64map *m, uint64_t key);
/* Insert key (with val) unless present; returns the value slot. */
uint64_t *u64map_put(struct u64map *m, uint64_t key, uint64_t val, int *isnew);
void u64map_free(struct u64map *m);

/* ---- stats.c: log-linear histogram, exact below 256 ---- */
#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_NBUCKETS (2 * HIST_SUB + (64 - HIST_SUB_BITS - 1) * HIST_SUB)
#define HIST_NGROUPS (HIST_NBUCKETS / HIST_SUB)

/* Up to HIST_SPARSE distinct buckets are kept as sorted (index, count)
 * pairs; beyond that, dense groups of HIST_SUB counters, a group allocated
 * for each power of two that occurs.  A vCPU seen a few times costs ~0.1 KiB
 * per component, a busy one ~1 KiB per power of two it spans. */
#define HIST_SPARSE 24
struct hpair {
	uint64_t cnt;
	uint32_t idx;
};

struct series {
	uint64_t n, sum, min, max;
	struct hpair *sp;       /* sparse buckets, sorted by idx */
	uint32_t nsp, capsp;
	uint64_t **grp;         /* dense: HIST_NGROUPS group pointers, or NULL */
};

uint64_t series_bucket(const struct series *s, unsigned idx);

unsigned hist_index(uint64_t v);
uint64_t hist_lo(unsigned idx);
uint64_t hist_hi(unsigned idx);        /* inclusive */
void series_add(struct series *s, uint64_t v);
void series_reset(struct series *s);
void series_free(struct series *s);
/* Nearest-rank percentiles for each pct[i] (0 < pct <= 100). */
void series_percentiles(const struct series *s, const double *pct, int npct,
			uint64_t *out);
/* The log-linear buckets in order: start with *idx = *pos = 0; returns
 * the count of the next non-empty bucket at or after *idx (its bounds:
 * hist_lo/hist_hi(*idx)), 0 at the end; then ++*idx for the next. */
uint64_t series_next(const struct series *s, unsigned *idx, uint32_t *pos);
/* log2 buckets: out[0] counts zeros, out[k] counts [2^(k-1), 2^k). */
void series_log2(const struct series *s, uint64_t out[65]);

/* ---- tpfmt.c: tracefs "format" file parser and raw record decoder ---- */
struct tp_field {
	int off, size, is_signed;
};

struct tp_format {
	struct tp_field vcpu, comp[NCOMP];
	int min_size;           /* raw record must be at least this long */
};

/* Field names looked up in the format file, default: the upstream ones. */
extern const char *tp_default_fields[1 + NCOMP];
int tpfmt_parse(const char *text, const char *const names[1 + NCOMP],
		struct tp_format *f, char *err, size_t errlen);
int tpfmt_decode(const struct tp_format *f, const void *raw, size_t rawlen,
		 struct nv_event *ev);

/* ---- names.c: VM and vCPU thread names ---- */
/* Write s for a terminal/CSV: bytes that are not printable UTF-8 become
 * \xNN; at most max display characters, "..." marking a cut. */
void name_printable(const char *s, char *out, size_t outlen, size_t max);
int utf8_len(const unsigned char *p);
int qemu_vm_name(const char *cmdline, size_t len, char *out, size_t outlen);
void names_set(uint32_t pid, uint32_t tid, const char *thread, const char *vm);
const char *names_thread(uint32_t tid);
const char *names_vm(uint32_t pid);
/* Live mode: look the task up in /proc unless already known.  Returns 1 if
 * it was new (so a recorder can emit a TASK record). */
int names_resolve_proc(uint32_t pid, uint32_t tid);
void names_free(void);

/* ---- capture.c: the nvlat capture format ---- */
enum { REC_EVENT = 1, REC_TASK = 2, REC_LOST = 3, REC_INFO = 4, REC_EXIT = 5,
       REC_HCALL = 6 };

struct cap_writer {
	FILE *f;
	const char *path;
	uint64_t events, bytes;
	int err;
};

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);
int cap_open(struct cap_writer *w, const char *path);
void cap_event(struct cap_writer *w, const struct nv_event *ev);
void cap_task(struct cap_writer *w, uint32_t pid, uint32_t tid,
	      const char *thread, const char *vm);
void cap_lost(struct cap_writer *w, uint64_t time_ns, uint64_t count);
void cap_info(struct cap_writer *w, const char *key, const char *value);
int cap_close(struct cap_writer *w);

/* ---- sources: each calls back into the pipeline (main.c) ---- */
struct source_ops {
	/* returns nonzero to stop reading (duration reached) */
	int (*event)(const struct nv_event *ev);
	void (*task)(uint32_t pid, uint32_t tid, const char *thread, const char *vm);
	void (*lost)(uint64_t time_ns, uint64_t count);
	void (*bad)(void);      /* one bad record/line was skipped */
	void (*info)(const char *key, const char *value);   /* capture INFO */
};

/* Replay readers return the number of bad records/lines (>= 0), -1 if the
 * input could not be read (I/O) or -2 if it is not that kind of input at
 * all; the message is already printed. */
long replay_capture(const char *path, const struct source_ops *ops);
long replay_perf_script(const char *path, const struct source_ops *ops);
/* One `perf script` line: 1 event, 0 not ours/blank/comment, -1 garbled
 * (*why says what is wrong). */
int pscript_parse_line(char *line, struct nv_event *ev, char *comm,
		       size_t commlen, const char **why);

/* ---- live.c ---- */
struct live_opts {
	const char *tracepoint;            /* "kvm_hv:kvmppc_vcpu_stats" */
	int exits;                         /* --by-exit: kvm_guest_exit, kvm_hcall_enter too */
	const char *fields[1 + NCOMP];
	unsigned mmap_pages;
	uint64_t interval_ns, duration_ns;
	int verbose;
};
int live_run(const struct live_opts *o, const struct source_ops *ops,
	     void (*tick)(uint64_t now_ns, int final));
/* Error text for a failed perf_event_open, naming the cause. */
int perf_open_error(int err, const char *what, char *buf, size_t len);
volatile int *stop_flag(void);
void install_signals(void);
int online_cpus(int **cpus);   /* /sys/devices/system/cpu/online */
uint64_t mono_ns(void);
int tracefs_dir(char *dir, size_t len);        /* message and EX_* on failure */

/* ---- inkernel.c: --in-kernel, ftrace hist triggers ---- */
struct inkernel_ops {
	/* n more: hits (comp -1), the sum of comp (k -1), or of comp's log2
	 * bucket k (values in (2^(k-1), 2^k]) */
	void (*agg)(uint32_t pid, uint32_t tid, int32_t vcpu, int comp, int k, uint64_t n);
	void (*lost)(uint64_t n);       /* the trigger's map was full */
	void (*tick)(uint64_t now_ns, int final);
};
int inkernel_run(const struct live_opts *o, const struct inkernel_ops *ops);
/* A tracefs hist file's lines into m (keys: thread, vCPU, what); -1 if not
 * the format.  *dropped: the Totals' Dropped. */
int inkernel_parse(const char *txt, struct u64map *m, uint64_t *dropped);

/* ---- pmu.c ---- */
struct pmu_opts {
	int pid;                /* -p PID or -1: per CPU */
	uint64_t interval_ns, duration_ns;
	int format;             /* OUT_* */
	int verbose;
};

void pmu_csv_header(FILE *out);
int pmu_encode(const char *pmudir, const char *event, uint64_t cfg[3],
	       char *err, size_t errlen);
int pmu_run(const struct pmu_opts *o);

/* ---- exits.c: switch time by the exit that ended the run (--by-exit) ---- */
const char *trap_name(uint32_t trap);           /* NULL if not in the table */
int trap_number(const char *name, uint32_t *trap);
const char *hcall_name(uint64_t nr);            /* NULL if not in the table */
int hcall_number(const char *name, uint64_t *nr);
/* Feed the pairing, per vCPU thread, in time order: a stats event (counted:
 * in the statistics; else it only ends what was pending), then the
 * kvm_guest_exit of the same run, then kvm_hcall_enter for hcall exits. */
void exits_stats(const struct nv_event *ev, int counted);
void exits_exit(const struct nv_event *ev);
void exits_hcall(const struct nv_event *ev);
void exits_finish(void);        /* end of input: settle what is pending */
void exits_reset(void);         /* after a report */
void exits_free(void);
uint64_t exits_seen(void);      /* exit events seen in the whole run */
struct report;
void exits_table(FILE *out, const struct report *r);
void exits_json(FILE *out, const struct report *r);

/* ---- heatmap.c: nvlat heatmap (SVG) ---- */
unsigned heat_bucket(uint64_t v);       /* quarter octaves, exact below 8 */
uint64_t heat_lo(unsigned b);
uint64_t heat_hi(unsigned b);
void heat_init(int by_vcpu, int comp, uint64_t col_ns);
int heat_add(const struct nv_event *ev);
int heat_too_many_panels(void);
uint64_t heat_events(void);
int heat_write(const char *path, const char *source);
void heat_free(void);

/* ---- output.c ---- */
enum { OUT_TABLE, OUT_JSON, OUT_CSV };

struct entry {
	uint32_t pid, tid;
	int32_t vcpu;           /* -1 for VM entries */
	uint32_t nvcpus;        /* VM entries: vCPUs seen in this interval */
	double sortkey;
	struct series s[NCOMP];
	uint64_t xsum[NCOMP];   /* --in-kernel: the exact sums (s[] has buckets) */
	int has_xsum;
	struct entry *next;     /* hash chain */
};

enum { HIST_NONE, HIST_LOG2, HIST_FINE };

struct report {
	int format, hist;       /* HIST_* */
	int npct;               /* percentiles to print */
	const double *pct;
	uint64_t dropped_first, dropped_back;   /* left out of the statistics */
	size_t top_vms, top_vcpus;              /* rows before --top cut them */
	size_t top;                             /* --top N (0: not given) */
	const char *source;     /* "live", "replay", "perf-script" */
	unsigned interval;      /* 0-based interval number */
	int intervals;          /* interval mode on */
	double start_s, end_s;  /* relative to the first event / start */
	uint64_t start_ns, end_ns;      /* the same in the input's clock */
	uint64_t events, lost, bad;
	struct entry **vms, **vcpus;
	size_t nvms, nvcpus;
	int by_exit;            /* add the tables of exits.c */
	int inkernel;           /* --in-kernel: percentiles, min, max from log2 buckets */
	uint32_t only_pid;      /* top's VM filter (0: all) */
};

void output_report(FILE *out, const struct report *r);
void output_csv_header(FILE *out, const double *pct, int npct, int hist, int top);
void pct_label(char *buf, size_t len, double pct);
void csv_str(FILE *out, const char *s);
void json_str(FILE *out, const char *s);

#endif
