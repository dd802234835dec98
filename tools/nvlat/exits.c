// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nvlat --by-exit: switch time by the exit that ended the run.
 *
 * kvm_hv:kvmppc_vcpu_stats gives what the L0 accounted to one L2 run of a
 * vCPU; the L1 kernel emits it right after the run, and then, on the same
 * vCPU thread, kvm_hv:kvm_guest_exit with the run's trap (the interrupt
 * that ended it) and, for an hcall the L1 handles, kvm_hv:kvm_hcall_enter
 * with the hcall number (req).  Both kernels have this order (the 6.12
 * reference emits the stats inside the nestedv2 entry, our 6.1 series
 * right after guest_state_exit_irqoff(), both before kvm_guest_exit).
 *
 * So per thread, in time order: a stats event is pending until the next
 * kvm_guest_exit of that thread; a SYSCALL (0xc00) exit waits for the
 * kvm_hcall_enter that follows.  Anything else first settles what is
 * pending: a stats event followed by another one had no exit event ("no
 * exit event"); a SYSCALL exit without an hcall event stays "SYSCALL".
 * trap 0 is what the pseries path reports after handling H_CEDE itself
 * before the exit tracepoint (no hcall event follows): "H_CEDE (trap 0)".
 *
 * The trap and hcall names are those the kernel prints (trace_book3s.h
 * and trace_hv.h symbol tables, numbers from asm/hvcall.h), so the text of
 * perf script and ftrace reads back to the same numbers.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nvlat.h"

#define TRAP_SYSCALL 0xc00u
#define H_CEDE_NR "224"         /* 0xe0: what trap 0 stands for, in JSON */

static const struct { uint32_t nr; const char *name; } traps[] = {
	{ 0x100, "SYSTEM_RESET" }, { 0x200, "MACHINE_CHECK" },
	{ 0x300, "DATA_STORAGE" }, { 0x380, "DATA_SEGMENT" },
	{ 0x400, "INST_STORAGE" }, { 0x480, "INST_SEGMENT" },
	{ 0x500, "EXTERNAL" }, { 0x502, "EXTERNAL_HV" },
	{ 0x600, "ALIGNMENT" }, { 0x700, "PROGRAM" },
	{ 0x800, "FP_UNAVAIL" }, { 0x900, "DECREMENTER" },
	{ 0x980, "HV_DECREMENTER" }, { 0xc00, "SYSCALL" },
	{ 0xd00, "TRACE" }, { 0xe00, "H_DATA_STORAGE" },
	{ 0xe20, "H_INST_STORAGE" }, { 0xe40, "H_EMUL_ASSIST" },
	{ 0xea0, "H_VIRT" }, { 0xf00, "PERFMON" },
	{ 0xf20, "ALTIVEC" }, { 0xf40, "VSX" },
};

/* sorted by number (bsearch) */
static const struct { uint64_t nr; const char *name; } hcalls[] = {
	{ 0x4, "H_REMOVE" },
	{ 0x8, "H_ENTER" },
	{ 0xc, "H_READ" },
	{ 0x10, "H_CLEAR_MOD" },
	{ 0x14, "H_CLEAR_REF" },
	{ 0x18, "H_PROTECT" },
	{ 0x1c, "H_GET_TCE" },
	{ 0x20, "H_PUT_TCE" },
	{ 0x24, "H_SET_SPRG0" },
	{ 0x28, "H_SET_DABR" },
	{ 0x2c, "H_PAGE_INIT" },
	{ 0x30, "H_SET_ASR" },
	{ 0x34, "H_ASR_ON" },
	{ 0x38, "H_ASR_OFF" },
	{ 0x3c, "H_LOGICAL_CI_LOAD" },
	{ 0x40, "H_LOGICAL_CI_STORE" },
	{ 0x44, "H_LOGICAL_CACHE_LOAD" },
	{ 0x48, "H_LOGICAL_CACHE_STORE" },
	{ 0x4c, "H_LOGICAL_ICBI" },
	{ 0x50, "H_LOGICAL_DCBF" },
	{ 0x54, "H_GET_TERM_CHAR" },
	{ 0x58, "H_PUT_TERM_CHAR" },
	{ 0x5c, "H_REAL_TO_LOGICAL" },
	{ 0x60, "H_HYPERVISOR_DATA" },
	{ 0x64, "H_EOI" },
	{ 0x68, "H_CPPR" },
	{ 0x6c, "H_IPI" },
	{ 0x70, "H_IPOLL" },
	{ 0x74, "H_XIRR" },
	{ 0x78, "H_MIGRATE_DMA" },
	{ 0x7c, "H_PERFMON" },
	{ 0xdc, "H_REGISTER_VPA" },
	{ 0xe0, "H_CEDE" },
	{ 0xe4, "H_CONFER" },
	{ 0xe8, "H_PROD" },
	{ 0xec, "H_GET_PPP" },
	{ 0xf0, "H_SET_PPP" },
	{ 0xf4, "H_PURR" },
	{ 0xf8, "H_PIC" },
	{ 0xfc, "H_REG_CRQ" },
	{ 0x100, "H_FREE_CRQ" },
	{ 0x104, "H_VIO_SIGNAL" },
	{ 0x108, "H_SEND_CRQ" },
	{ 0x110, "H_COPY_RDMA" },
	{ 0x114, "H_REGISTER_LOGICAL_LAN" },
	{ 0x118, "H_FREE_LOGICAL_LAN" },
	{ 0x11c, "H_ADD_LOGICAL_LAN_BUFFER" },
	{ 0x120, "H_SEND_LOGICAL_LAN" },
	{ 0x124, "H_BULK_REMOVE" },
	{ 0x130, "H_MULTICAST_CTRL" },
	{ 0x134, "H_SET_XDABR" },
	{ 0x138, "H_STUFF_TCE" },
	{ 0x13c, "H_PUT_TCE_INDIRECT" },
	{ 0x14c, "H_CHANGE_LOGICAL_LAN_MAC" },
	{ 0x150, "H_VTERM_PARTNER_INFO" },
	{ 0x154, "H_REGISTER_VTERM" },
	{ 0x158, "H_FREE_VTERM" },
	{ 0x15c, "H_RESET_EVENTS" },
	{ 0x160, "H_ALLOC_RESOURCE" },
	{ 0x164, "H_FREE_RESOURCE" },
	{ 0x168, "H_MODIFY_QP" },
	{ 0x16c, "H_QUERY_QP" },
	{ 0x170, "H_REREGISTER_PMR" },
	{ 0x174, "H_REGISTER_SMR" },
	{ 0x178, "H_QUERY_MR" },
	{ 0x17c, "H_QUERY_MW" },
	{ 0x180, "H_QUERY_HCA" },
	{ 0x184, "H_QUERY_PORT" },
	{ 0x188, "H_MODIFY_PORT" },
	{ 0x18c, "H_DEFINE_AQP1" },
	{ 0x190, "H_GET_TRACE_BUFFER" },
	{ 0x194, "H_DEFINE_AQP0" },
	{ 0x198, "H_RESIZE_MR" },
	{ 0x19c, "H_ATTACH_MCQP" },
	{ 0x1a0, "H_DETACH_MCQP" },
	{ 0x1a4, "H_CREATE_RPT" },
	{ 0x1a8, "H_REMOVE_RPT" },
	{ 0x1ac, "H_REGISTER_RPAGES" },
	{ 0x1b0, "H_DISABLE_AND_GET" },
	{ 0x1b4, "H_ERROR_DATA" },
	{ 0x1b8, "H_GET_HCA_INFO" },
	{ 0x1bc, "H_GET_PERF_COUNT" },
	{ 0x1c0, "H_MANAGE_TRACE" },
	{ 0x1c8, "H_GET_CPU_CHARACTERISTICS" },
	{ 0x1d4, "H_FREE_LOGICAL_LAN_BUFFER" },
	{ 0x1d8, "H_POLL_PENDING" },
	{ 0x1e4, "H_QUERY_INT_STATE" },
	{ 0x244, "H_ILLAN_ATTRIBUTES" },
	{ 0x250, "H_MODIFY_HEA_QP" },
	{ 0x254, "H_QUERY_HEA_QP" },
	{ 0x258, "H_QUERY_HEA" },
	{ 0x25c, "H_QUERY_HEA_PORT" },
	{ 0x260, "H_MODIFY_HEA_PORT" },
	{ 0x264, "H_REG_BCMC" },
	{ 0x268, "H_DEREG_BCMC" },
	{ 0x26c, "H_REGISTER_HEA_RPAGES" },
	{ 0x270, "H_DISABLE_AND_GET_HEA" },
	{ 0x274, "H_GET_HEA_INFO" },
	{ 0x278, "H_ALLOC_HEA_RESOURCE" },
	{ 0x284, "H_ADD_CONN" },
	{ 0x288, "H_DEL_CONN" },
	{ 0x298, "H_JOIN" },
	{ 0x2a4, "H_VASI_STATE" },
	{ 0x2b0, "H_ENABLE_CRQ" },
	{ 0x2b8, "H_GET_EM_PARMS" },
	{ 0x2d0, "H_SET_MPP" },
	{ 0x2d4, "H_GET_MPP" },
	{ 0x2ec, "H_HOME_NODE_ASSOCIATIVITY" },
	{ 0x2f4, "H_BEST_ENERGY" },
	{ 0x2fc, "H_XIRR_X" },
	{ 0x300, "H_RANDOM" },
	{ 0x304, "H_COP" },
	{ 0x314, "H_GET_MPP_X" },
	{ 0x31c, "H_SET_MODE" },
	{ 0x37c, "H_REGISTER_PROC_TBL" },
	{ 0x398, "H_QUERY_VAS_CAPABILITIES" },
	{ 0x3a8, "H_INT_GET_SOURCE_INFO" },
	{ 0x3ac, "H_INT_SET_SOURCE_CONFIG" },
	{ 0x3b4, "H_INT_GET_QUEUE_INFO" },
	{ 0x3b8, "H_INT_SET_QUEUE_CONFIG" },
	{ 0x3c8, "H_INT_ESB" },
	{ 0x3d0, "H_INT_RESET" },
	{ 0x448, "H_RPT_INVALIDATE" },
	{ 0x450, "H_GET_ENERGY_SCALE_INFO" },
	{ 0xf000, "H_RTAS" },
	{ 0xf001, "H_LOGICAL_MEMOP" },
	{ 0xf002, "H_CAS" },
	{ 0xf003, "H_UPDATE_DT" },
	{ 0xf080, "H_GET_PERF_COUNTER_INFO" },
	{ 0xf800, "H_SET_PARTITION_TABLE" },
	{ 0xf804, "H_ENTER_NESTED" },
	{ 0xf808, "H_TLB_INVALIDATE" },
	{ 0xf80c, "H_COPY_TOFROM_GUEST" },
};

const char *trap_name(uint32_t trap)
{
	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++)
		if (traps[i].nr == trap)
			return traps[i].name;
	return NULL;
}

int trap_number(const char *name, uint32_t *trap)
{
	uint64_t v;

	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++) {
		if (!strcmp(traps[i].name, name)) {
			*trap = traps[i].nr;
			return 0;
		}
	}
	/* __print_symbolic prints values not in its table as 0x... */
	if (!parse_u64(name, &v) && v <= UINT32_MAX) {
		*trap = (uint32_t)v;
		return 0;
	}
	return -1;
}

const char *hcall_name(uint64_t nr)
{
	size_t lo = 0, hi = sizeof(hcalls) / sizeof(hcalls[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (hcalls[mid].nr == nr)
			return hcalls[mid].name;
		if (hcalls[mid].nr < nr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int hcall_number(const char *name, uint64_t *nr)
{
	for (size_t i = 0; i < sizeof(hcalls) / sizeof(hcalls[0]); i++) {
		if (!strcmp(hcalls[i].name, name)) {
			*nr = hcalls[i].nr;
			return 0;
		}
	}
	return parse_u64(name, nr);
}

/*
 * A reason is a u64: the trap in bits 0-31; R_HCALL with the hcall number
 * in bits 32-62 when the hcall is known; R_NOEXIT when no exit came.
 */
#define R_HCALL ((uint64_t)1 << 63)
#define R_NOEXIT ((uint64_t)1 << 62)

static void reason_text(uint64_t r, char *buf, size_t len)
{
	const char *n;

	if (r == R_NOEXIT) {
		snprintf(buf, len, "(no exit event)");
	} else if (r & R_HCALL) {
		uint64_t nr = (r & ~R_HCALL) >> 32;

		if ((n = hcall_name(nr)))
			snprintf(buf, len, "hcall %s", n);
		else
			snprintf(buf, len, "hcall 0x%" PRIx64, nr);
	} else if ((uint32_t)r == 0) {
		snprintf(buf, len, "H_CEDE (trap 0)");
	} else if ((n = trap_name((uint32_t)r))) {
		snprintf(buf, len, "%s", n);
	} else {
		snprintf(buf, len, "trap 0x%x", (uint32_t)r);
	}
}

struct xrow {
	uint64_t reason, n, sum[NCOMP];
	struct series sw;       /* l1_to_l2 + l2_to_l1 of each run */
};

struct xgroup {                 /* a vCPU (vcpu >= 0) or a VM (vcpu -1) */
	uint32_t pid, tid;
	int32_t vcpu;
	uint64_t swsum;         /* switch time of all its runs */
	struct xrow *rows;
	size_t nrows, caprows;
};

struct pend {                   /* per thread */
	int state;              /* 0 none, 1 stats waiting for its exit, 2 SYSCALL waiting for the hcall */
	uint32_t trap;
	struct nv_event ev;
};

static struct {
	struct u64map groups;   /* (pid << 32 | vcpu) -> xgroup * */
	struct xgroup **all;
	size_t nall, capall;
	struct u64map pend;     /* tid -> pend * */
	uint64_t seen, unpaired, paired;
} X;

static struct xgroup *group(uint32_t pid, int32_t vcpu)
{
	int isnew;
	uint64_t *slot = u64map_put(&X.groups, (uint64_t)pid << 32 | (uint32_t)vcpu, 0, &isnew);
	struct xgroup *g;

	if (!isnew)
		return (struct xgroup *)(uintptr_t)*slot;
	g = xcalloc(1, sizeof(*g));
	g->pid = pid;
	g->vcpu = vcpu;
	*slot = (uint64_t)(uintptr_t)g;
	if (X.nall == X.capall) {
		X.capall = X.capall ? 2 * X.capall : 16;
		X.all = xrealloc(X.all, X.capall * sizeof(*X.all));
	}
	X.all[X.nall++] = g;
	return g;
}

static void add(struct xgroup *g, uint64_t reason, const struct nv_event *ev)
{
	struct xrow *row = NULL;
	uint64_t sw = ev->v[C_L1L2] + ev->v[C_L2L1];

	for (size_t i = 0; i < g->nrows; i++)
		if (g->rows[i].reason == reason)
			row = &g->rows[i];
	if (!row) {
		if (g->nrows == g->caprows) {
			g->caprows = g->caprows ? 2 * g->caprows : 8;
			g->rows = xrealloc(g->rows, g->caprows * sizeof(*g->rows));
		}
		row = &g->rows[g->nrows++];
		memset(row, 0, sizeof(*row));
		row->reason = reason;
	}
	row->n++;
	for (int c = 0; c < NCOMP; c++)
		row->sum[c] += ev->v[c];
	series_add(&row->sw, sw);
	g->swsum += sw;
}

static void settle(struct pend *p, uint64_t reason)
{
	struct xgroup *v = group(p->ev.pid, p->ev.vcpu);

	v->tid = p->ev.tid;
	add(v, reason, &p->ev);
	add(group(p->ev.pid, -1), reason, &p->ev);
	if (reason != R_NOEXIT)
		X.paired++;
	p->state = 0;
}

static struct pend *pend_of(uint32_t tid, int create)
{
	int isnew;
	uint64_t *slot;
	struct pend *p;

	if (!create) {
		slot = u64map_get(&X.pend, tid);
		return slot ? (struct pend *)(uintptr_t)*slot : NULL;
	}
	slot = u64map_put(&X.pend, tid, 0, &isnew);
	if (!isnew)
		return (struct pend *)(uintptr_t)*slot;
	p = xcalloc(1, sizeof(*p));
	*slot = (uint64_t)(uintptr_t)p;
	return p;
}

static void settle_pending(struct pend *p)
{
	if (p->state == 1)
		settle(p, R_NOEXIT);
	else if (p->state == 2)
		settle(p, p->trap);
}

void exits_stats(const struct nv_event *ev, int counted)
{
	struct pend *p = pend_of(ev->tid, counted);

	if (!p)
		return;
	settle_pending(p);
	if (counted) {
		p->ev = *ev;
		p->state = 1;
	}
}

void exits_exit(const struct nv_event *ev)
{
	struct pend *p = pend_of(ev->tid, 0);
	uint32_t trap = (uint32_t)ev->v[0];

	X.seen++;
	if (!p || !p->state) {
		X.unpaired++;   /* a run the L0 did not account, or left out */
		return;
	}
	if (p->state == 2) {    /* a SYSCALL exit without its hcall event */
		settle(p, p->trap);
		X.unpaired++;
		return;
	}
	if (trap == TRAP_SYSCALL) {
		p->state = 2;
		p->trap = trap;
		return;
	}
	settle(p, trap);
}

void exits_hcall(const struct nv_event *ev)
{
	struct pend *p = pend_of(ev->tid, 0);

	X.seen++;
	if (!p || p->state != 2)
		return;         /* the exit's stats were not counted */
	settle(p, R_HCALL | (ev->v[0] & 0x7fffffffull) << 32);
}

void exits_finish(void)
{
	for (size_t i = 0; i < X.pend.cap; i++)
		if (X.pend.used[i])
			settle_pending((struct pend *)(uintptr_t)X.pend.vals[i]);
}

uint64_t exits_seen(void)
{
	return X.seen;
}

void exits_reset(void)
{
	for (size_t i = 0; i < X.nall; i++) {
		struct xgroup *g = X.all[i];

		for (size_t j = 0; j < g->nrows; j++)
			series_free(&g->rows[j].sw);
		free(g->rows);
		free(g);
	}
	X.nall = 0;
	u64map_free(&X.groups);
	X.unpaired = X.paired = 0;
}

void exits_free(void)
{
	exits_reset();
	free(X.all);
	X.all = NULL;
	X.capall = 0;
	for (size_t i = 0; i < X.pend.cap; i++)
		if (X.pend.used[i])
			free((void *)(uintptr_t)X.pend.vals[i]);
	u64map_free(&X.pend);
}

/* ---- output ---- */
static int cmp_group(const void *a, const void *b)
{
	const struct xgroup *x = *(struct xgroup *const *)a;
	const struct xgroup *y = *(struct xgroup *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/* the most switch time first; ties by reason */
static int cmp_row(const void *a, const void *b)
{
	const struct xrow *x = a, *y = b;
	uint64_t sx = x->sw.sum, sy = y->sw.sum;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

/* The groups to print, sorted; rows sorted too. */
static struct xgroup **sorted(const struct report *r, size_t *n)
{
	struct xgroup **v = xcalloc(X.nall + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; i < X.nall; i++) {
		struct xgroup *g = X.all[i];

		if (!g->nrows || (r->only_pid && g->pid != r->only_pid))
			continue;
		qsort(g->rows, g->nrows, sizeof(*g->rows), cmp_row);
		v[(*n)++] = g;
	}
	qsort(v, *n, sizeof(*v), cmp_group);
	return v;
}

static double share(const struct xgroup *g, const struct xrow *w)
{
	return g->swsum ? 100.0 * (double)w->sw.sum / (double)g->swsum : 0.0;
}

void exits_table(FILE *out, const struct report *r)
{
	static const double pq[2] = { 50, 99 };
	size_t n;
	struct xgroup **v = sorted(r, &n);
	char reason[64], vm[160];

	fprintf(out, "\nswitch time by exit reason (ns; SWITCH = l1_to_l2 + l2_to_l1 of "
		"the run the exit ended; SHARE%% = of the VM's or vCPU's switch time)\n");
	if (!n || !X.seen) {
		/* without any exit event, every row would be "(no exit event)" */
		fprintf(out, "no exits paired with events%s\n",
			X.seen ? "" : " (no kvm_guest_exit events in the input)");
		free(v);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		fprintf(out, "\n%-16s %7s %5s  %-24s %9s %9s %9s %9s %9s %9s %9s %7s\n",
			"VM", "PID", pass ? "VCPU" : "", "EXIT", "COUNT", "L1_TO_L2",
			"L2_TO_L1", "SWITCH", "SW_P50", "SW_P99", "SW_MAX", "SHARE%");
		for (size_t i = 0; i < n; i++) {
			const struct xgroup *g = v[i];
			char vc[16] = "";

			if ((g->vcpu >= 0) != pass)
				continue;
			if (pass)
				snprintf(vc, sizeof(vc), "%d", g->vcpu);
			name_printable(names_vm(g->pid), vm, sizeof(vm), 16);
			for (size_t j = 0; j < g->nrows; j++) {
				const struct xrow *w = &g->rows[j];
				uint64_t p[2];

				series_percentiles(&w->sw, pq, 2, p);
				reason_text(w->reason, reason, sizeof(reason));
				fprintf(out, "%-16s %7u %5s  %-24s %9" PRIu64 " %9.1f %9.1f %9.1f %9"
					PRIu64 " %9" PRIu64 " %9" PRIu64 " %7.2f\n",
					*vm ? vm : "-", g->pid, vc, reason, w->n,
					(double)w->sum[C_L1L2] / (double)w->n,
					(double)w->sum[C_L2L1] / (double)w->n,
					(double)w->sw.sum / (double)w->n, p[0], p[1],
					w->sw.max, share(g, w));
			}
		}
	}
	fprintf(out, "\n%" PRIu64 " events paired with their exit; %" PRIu64
		" exit events without a counted event\n", X.paired, X.unpaired);
	free(v);
}

void exits_json(FILE *out, const struct report *r)
{
	static const double pq[2] = { 50, 99 };
	size_t n;
	struct xgroup **v = sorted(r, &n);
	char reason[64];

	if (!X.seen)
		n = 0;

	fprintf(out, ",\"by_exit\":{\"paired\":%" PRIu64 ",\"unpaired_exits\":%" PRIu64
		",\"exit_events_seen\":%" PRIu64, X.paired, X.unpaired, X.seen);
	for (int pass = 0; pass < 2; pass++) {
		int first = 1;

		fprintf(out, ",\"%s\":[", pass ? "vcpus" : "vms");
		for (size_t i = 0; i < n; i++) {
			const struct xgroup *g = v[i];

			if ((g->vcpu >= 0) != pass)
				continue;
			for (size_t j = 0; j < g->nrows; j++) {
				const struct xrow *w = &g->rows[j];
				uint64_t p[2];

				series_percentiles(&w->sw, pq, 2, p);
				reason_text(w->reason, reason, sizeof(reason));
				fprintf(out, "%s{\"vm\":", first ? "" : ",");
				first = 0;
				json_str(out, names_vm(g->pid));
				fprintf(out, ",\"pid\":%u", g->pid);
				if (pass) {
					fprintf(out, ",\"vcpu\":%d,\"tid\":%u,\"thread\":", g->vcpu, g->tid);
					json_str(out, names_thread(g->tid));
				}
				fprintf(out, ",\"reason\":");
				json_str(out, reason);
				if (w->reason == R_NOEXIT)
					fprintf(out, ",\"trap\":null,\"hcall\":null");
				else if (w->reason & R_HCALL)
					fprintf(out, ",\"trap\":%u,\"hcall\":%" PRIu64, TRAP_SYSCALL,
						(uint64_t)((w->reason & ~R_HCALL) >> 32));
				else
					fprintf(out, ",\"trap\":%u,\"hcall\":%s", (uint32_t)w->reason,
						(uint32_t)w->reason == 0 ? H_CEDE_NR : "null");
				fprintf(out, ",\"count\":%" PRIu64 ",\"l1_to_l2_sum\":%" PRIu64
					",\"l2_to_l1_sum\":%" PRIu64 ",\"l2_runtime_sum\":%" PRIu64
					",\"l1_to_l2_mean\":%.1f,\"l2_to_l1_mean\":%.1f"
					",\"switch_mean\":%.1f,\"switch_p50\":%" PRIu64
					",\"switch_p99\":%" PRIu64 ",\"switch_max\":%" PRIu64
					",\"switch_sum\":%" PRIu64 ",\"share_pct\":%.2f}",
					w->n, w->sum[C_L1L2], w->sum[C_L2L1], w->sum[C_RUN],
					(double)w->sum[C_L1L2] / (double)w->n,
					(double)w->sum[C_L2L1] / (double)w->n,
					(double)w->sw.sum / (double)w->n, p[0], p[1], w->sw.max,
					w->sw.sum, share(g, w));
			}
		}
		fputc(']', out);
	}
	fputc('}', out);
	free(v);
}
