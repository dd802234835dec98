// SPDX-License-Identifier: GPL-2.0-only
/*
 * l2-bench: what each L2 workload costs the L1 in hypercalls to the L0.
 *
 *   l2-bench [--trips=N] [--state-trips=N] [--mmio=N] [--cycles=N] [--cedes=N]
 *            [WORKLOAD...]
 *
 * Workloads (all by default):
 *   plain      hcall round trips, nothing else           per round trip
 *   state      round trips + a VMM-style state read      per round trip
 *              (KVM_GET_REGS, KVM_GET_SREGS, 17 ONE_REGs)
 *   mmio       4-byte MMIO store exits                   per exit
 *   pagefault  the L2 writes every 64K page of 64 MiB    per page
 *   lifecycle  create VM + vCPU, run to one hcall, destroy per VM
 *   cede       H_CEDE until a decrementer interrupt wakes   per cede
 *              the L2 (KVM blocks, then delivers the DEC)
 *
 * L1 -> L0 hcalls are counted with perf counters on the powerpc:hcall_entry
 * tracepoint, one per opcode (kvmt_hcount_*), for this process only and
 * only around the measured part; nothing is printed while counting.
 * Output, per workload W (ci/bench.py turns it into the table):
 *   FACT bench.W.units=N           what the counts are divided by
 *   FACT bench.W.us=X              wall time per unit, microseconds
 *   FACT bench.W.hc.OPCODE_NAME=N  count per opcode (non-zero ones)
 *   FACT bench.W.hc.total=N        every hcall, console included
 *   FACT bench.W=n/a: REASON       when it could not run
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>

#include "kvmt.h"

#define MiB		(1024UL * 1024)
#define CODE_GPA	0x1000UL
#define MMIO_GPA	0x40000000UL

static struct {
	long trips, state_trips, mmio, cycles, cedes;
} opt = { 2000, 200, 1000, 10, 500 };

static struct kvmt_hcount hc;

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void na(const char *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void na(const char *w, const char *fmt, ...)
{
	char key[64], why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), "bench.%s", w);
	kvmt_fact(key, "n/a: %s", why);
}

static void report(const char *w, long units, double us)
{
	char key[96];

	snprintf(key, sizeof(key), "bench.%s.units", w);
	kvmt_fact(key, "%ld", units);
	snprintf(key, sizeof(key), "bench.%s.us", w);
	kvmt_fact(key, "%.1f", units ? us / units : 0.0);
	for (int i = 0; i < hc.n; i++) {
		if (!hc.count[i])
			continue;
		snprintf(key, sizeof(key), "bench.%s.hc.%s", w, hc.name[i]);
		kvmt_fact(key, "%llu", (unsigned long long)hc.count[i]);
	}
	snprintf(key, sizeof(key), "bench.%s.hc.total", w);
	kvmt_fact(key, "%llu", (unsigned long long)hc.total);
}

struct l2 {
	struct kvmt_vm vm;
	struct kvmt_vcpu vcpu;
};

static int l2_setup(struct l2 *l, size_t mem, const struct kvmt_code *code)
{
	int rc = kvmt_vm_create(&l->vm, mem);

	if (rc)
		return rc;
	rc = kvmt_vcpu_create(&l->vm, &l->vcpu, 0);
	if (rc) {
		kvmt_vm_destroy(&l->vm);
		return rc;
	}
	rc = kvmt_code_put(&l->vm, CODE_GPA, code);
	if (!rc)
		rc = kvmt_set_pc(&l->vcpu, CODE_GPA, KVMT_MSR_REAL_LE);
	if (rc) {
		kvmt_vcpu_destroy(&l->vcpu);
		kvmt_vm_destroy(&l->vm);
	}
	return rc;
}

static void l2_teardown(struct l2 *l)
{
	kvmt_vcpu_destroy(&l->vcpu);
	kvmt_vm_destroy(&l->vm);
}

static void counter_loop(struct kvmt_code *code)
{
	kvmt_code_init(code);
	kvmt_emit_li64(code, 3, KVMT_H_TEST);
	kvmt_emit(code, KVMT_ADDI(4, 4, 1));
	kvmt_emit(code, KVMT_SC1);
	kvmt_emit(code, KVMT_B(-16));
}

/* The one-regs a VMM typically reads at every exit besides REGS/SREGS. */
static const uint64_t state_regs[17] = {
	KVM_REG_PPC_DAR, KVM_REG_PPC_DSISR, KVM_REG_PPC_AMR, KVM_REG_PPC_UAMOR,
	KVM_REG_PPC_DSCR, KVM_REG_PPC_TAR, KVM_REG_PPC_PPR, KVM_REG_PPC_FSCR,
	KVM_REG_PPC_VRSAVE, KVM_REG_PPC_IAMR, KVM_REG_PPC_PSPB, KVM_REG_PPC_CIABR,
	KVM_REG_PPC_DAWR, KVM_REG_PPC_DAWRX, KVM_REG_PPC_PURR, KVM_REG_PPC_SPURR,
	KVM_REG_PPC_VTB,
};

static int read_state(struct kvmt_vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t v;
	int rc = kvmt_get_regs(vcpu, &regs);

	if (!rc)
		rc = kvmt_get_sregs(vcpu, &sregs);
	for (int i = 0; !rc && i < 17; i++)
		rc = kvmt_get_reg64(vcpu, state_regs[i], &v);
	return rc;
}

/* plain and state: round trips, with or without the state read. */
static void w_roundtrips(const char *w, long trips, int with_state)
{
	struct kvmt_code code;
	struct l2 l;
	double t0, t1;
	long i;
	int rc;

	counter_loop(&code);
	rc = l2_setup(&l, 1 * MiB, &code);
	if (rc)
		return na(w, "cannot create a VM: %s", strerror(-rc));
	/* first exit outside the count: it includes faulting the code page in */
	if (kvmt_run_hcall(&l.vcpu, w)) {
		l2_teardown(&l);
		return na(w, "the L2 did not reach its first hcall");
	}
	kvmt_hcount_start(&hc);
	t0 = now_us();
	for (i = 0; i < trips; i++) {
		if (kvmt_run_hcall(&l.vcpu, w))
			break;
		if (with_state && read_state(&l.vcpu))
			break;
	}
	t1 = now_us();
	kvmt_hcount_stop(&hc);
	l2_teardown(&l);
	if (i < trips)
		return na(w, "stopped after %ld of %ld round trips", i, trips);
	report(w, trips, t1 - t0);
}

static void w_mmio(const char *w)
{
	struct kvmt_code code;
	struct l2 l;
	double t0, t1;
	long i;
	int rc;

	/* stw r5,0(r6) forever: every iteration is one MMIO exit */
	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, 0x5a5a5a5a);
	kvmt_emit_li64(&code, 6, MMIO_GPA);
	kvmt_emit(&code, KVMT_STW(5, 0, 6));
	kvmt_emit(&code, KVMT_B(-4));
	rc = l2_setup(&l, 1 * MiB, &code);
	if (rc)
		return na(w, "cannot create a VM: %s", strerror(-rc));
	if (kvmt_run(&l.vcpu) != KVM_EXIT_MMIO) {
		l2_teardown(&l);
		return na(w, "the L2 did not reach its first MMIO exit");
	}
	kvmt_hcount_start(&hc);
	t0 = now_us();
	for (i = 0; i < opt.mmio; i++) {
		rc = kvmt_run(&l.vcpu);
		if (rc != KVM_EXIT_MMIO || !l.vcpu.run->mmio.is_write)
			break;
	}
	t1 = now_us();
	kvmt_hcount_stop(&hc);
	l2_teardown(&l);
	if (i < opt.mmio)
		return na(w, "stopped after %ld of %ld MMIO exits (%s)", i, opt.mmio,
			  kvmt_run_str(rc));
	report(w, opt.mmio, t1 - t0);
}

#define PF_MEM	(64 * MiB)

static void w_pagefault(const char *w)
{
	struct kvmt_code code;
	struct l2 l;
	double t0, t1;
	int rc;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, 0xfff8);
	kvmt_emit_li64(&code, 6, PF_MEM + 0xfff8);
	kvmt_emit_li64(&code, 7, 0x10000);
	kvmt_emit(&code, KVMT_STD(5, 0, 5));
	kvmt_emit(&code, KVMT_ADD(5, 5, 7));
	kvmt_emit(&code, KVMT_CMPD(5, 6));
	kvmt_emit(&code, KVMT_BLT(-12));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	rc = l2_setup(&l, PF_MEM, &code);
	if (rc)
		return na(w, "cannot create a VM: %s", strerror(-rc));
	kvmt_hcount_start(&hc);
	t0 = now_us();
	rc = kvmt_run_hcall(&l.vcpu, w);
	t1 = now_us();
	kvmt_hcount_stop(&hc);
	l2_teardown(&l);
	if (rc)
		return na(w, "the L2 did not finish touching its memory");
	report(w, PF_MEM / 0x10000, t1 - t0);
}

#define H_CEDE		0xe0
#define CEDE_DEC	5000	/* timebase ticks: ~10 us at 512 MHz */

/*
 * cede: what an idle L2 costs at every timer tick.  With MSR[EE] off the
 * L2 sets DEC and cedes; KVM sets MSR[EE] (H_CEDE does), blocks the vCPU
 * until the DEC expiry, then delivers the decrementer interrupt at the
 * next entry.  The vector counts it and returns with EE off again; after
 * opt.cedes of them the L2 reports with an hcall.
 */
static void w_cede(const char *w)
{
	struct kvmt_code code, vec;
	uint64_t lpcr, loop;
	struct l2 l;
	double t0, t1;
	int rc;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_LI(8, 0));
	kvmt_emit_li64(&code, 11, opt.cedes);
	loop = kvmt_code_here(&code);
	kvmt_emit_li64(&code, 9, CEDE_DEC);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_DEC, 9));
	kvmt_emit_li64(&code, 3, H_CEDE);
	kvmt_emit(&code, KVMT_SC1);
	kvmt_emit(&code, KVMT_CMPD(8, 11));
	kvmt_emit(&code, KVMT_BLT(loop - kvmt_code_here(&code)));
	kvmt_emit(&code, KVMT_MR(4, 8));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	/* the vector: count, return to after the sc with MSR[EE] off */
	kvmt_code_init(&vec);
	kvmt_emit(&vec, KVMT_ADDI(8, 8, 1));
	kvmt_emit_li64(&vec, 5, KVMT_MSR_REAL_LE);
	kvmt_emit(&vec, KVMT_MTSPR(KVMT_SPR_SRR1, 5));
	kvmt_emit(&vec, 0x4c000024);	/* rfid */
	rc = l2_setup(&l, 1 * MiB, &code);
	if (rc)
		return na(w, "cannot create a VM: %s", strerror(-rc));
	rc = kvmt_code_put(&l.vm, KVMT_VEC_DECREMENTER, &vec);
	if (!rc)
		rc = kvmt_get_reg64(&l.vcpu, KVM_REG_PPC_LPCR_64, &lpcr);
	if (!rc)
		rc = kvmt_set_reg64(&l.vcpu, KVM_REG_PPC_LPCR_64, lpcr | KVMT_LPCR_ILE);
	if (rc) {
		l2_teardown(&l);
		return na(w, "vector/LPCR[ILE] setup: %s", strerror(-rc));
	}
	kvmt_hcount_start(&hc);
	t0 = now_us();
	rc = kvmt_run_hcall(&l.vcpu, w);
	t1 = now_us();
	kvmt_hcount_stop(&hc);
	if (!rc && l.vcpu.run->papr_hcall.args[0] != (uint64_t)opt.cedes)
		rc = -1;
	l2_teardown(&l);
	if (rc)
		return na(w, "the L2 did not come back after %ld cedes", opt.cedes);
	report(w, opt.cedes, t1 - t0);
}

static void w_lifecycle(const char *w)
{
	struct kvmt_code code;
	double t0, t1;
	long i;
	int rc = 0;

	counter_loop(&code);
	kvmt_hcount_start(&hc);
	t0 = now_us();
	for (i = 0; i < opt.cycles; i++) {
		struct l2 l;

		rc = l2_setup(&l, 1 * MiB, &code);
		if (rc)
			break;
		rc = kvmt_run_hcall(&l.vcpu, w) ? -EIO : 0;
		l2_teardown(&l);
		if (rc)
			break;
	}
	t1 = now_us();
	kvmt_hcount_stop(&hc);
	if (i < opt.cycles)
		return na(w, "cycle %ld failed: %s", i, strerror(-rc));
	report(w, opt.cycles, t1 - t0);
}

static const char *const workloads[] = {
	"plain", "state", "mmio", "pagefault", "lifecycle", "cede",
};
#define N_WORKLOADS ((int)(sizeof(workloads) / sizeof(workloads[0])))

static long num_arg(const char *a, const char *prefix)
{
	char *end;
	long v = strtol(a + strlen(prefix), &end, 0);

	if (*end || v <= 0) {
		fprintf(stderr, "l2-bench: bad number in '%s'\n", a);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int selected[N_WORKLOADS] = { 0 }, any = 0, i, j, rc;
	struct kvmt_vm probe;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--trips=", 8)) {
			opt.trips = num_arg(a, "--trips=");
		} else if (!strncmp(a, "--state-trips=", 14)) {
			opt.state_trips = num_arg(a, "--state-trips=");
		} else if (!strncmp(a, "--mmio=", 7)) {
			opt.mmio = num_arg(a, "--mmio=");
		} else if (!strncmp(a, "--cycles=", 9)) {
			opt.cycles = num_arg(a, "--cycles=");
		} else if (!strncmp(a, "--cedes=", 8)) {
			opt.cedes = num_arg(a, "--cedes=");
		} else {
			for (j = 0; j < N_WORKLOADS; j++)
				if (!strcmp(a, workloads[j]))
					break;
			if (j == N_WORKLOADS) {
				fprintf(stderr, "usage: l2-bench [--trips=N] [--state-trips=N] "
					"[--mmio=N] [--cycles=N] [--cedes=N] "
					"[plain|state|mmio|pagefault|lifecycle|cede...]\n");
				printf("NV2: not ok - l2-bench: bad argument '%s'\n", a);
				return 2;
			}
			selected[j] = any = 1;
		}
	}
	kvmt_plan(1);
	rc = kvmt_hcount_open(&hc);
	if (rc) {
		kvmt_fact("bench.counting", "n/a: powerpc:hcall_entry perf counters: %s",
			  strerror(-rc));
		kvmt_ok(0, "l2-bench: count hcalls with the powerpc:hcall_entry tracepoint");
		return 1;
	}
	kvmt_fact("bench.counting", "perf powerpc:hcall_entry, %d opcodes + total", hc.n);
	{
		struct utsname u;

		if (!uname(&u))
			kvmt_fact("bench.kernel", "%s", u.release);
	}
	rc = kvmt_vm_create(&probe, 65536);
	if (rc) {
		kvmt_fact("kvm_create_vm", "error %s", strerror(-rc));
	} else {
		kvmt_vm_destroy(&probe);
		kvmt_fact("kvm_create_vm", "ok");
	}
	for (i = 0; i < N_WORKLOADS; i++) {
		const char *w = workloads[i];

		if (any && !selected[i])
			continue;
		if (rc) {
			na(w, "this L1 cannot create a VM (KVM_CREATE_VM: %s)", strerror(-rc));
			continue;
		}
		kvmt_watchdog(120);
		if (!strcmp(w, "plain"))
			w_roundtrips(w, opt.trips, 0);
		else if (!strcmp(w, "state"))
			w_roundtrips(w, opt.state_trips, 1);
		else if (!strcmp(w, "mmio"))
			w_mmio(w);
		else if (!strcmp(w, "pagefault"))
			w_pagefault(w);
		else if (!strcmp(w, "cede"))
			w_cede(w);
		else
			w_lifecycle(w);
		kvmt_watchdog(0);
	}
	kvmt_hcount_close(&hc);
	/* The bench itself worked: counting was possible. */
	kvmt_ok(1, "l2-bench: count hcalls with the powerpc:hcall_entry tracepoint");
	return 0;
}
