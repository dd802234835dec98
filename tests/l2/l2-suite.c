// SPDX-License-Identifier: GPL-2.0-only
/*
 * l2-suite: what an L1 KVM must do for its L2s, case by case, as TAP.
 *
 *   l2-suite [--list] [--trips=N] [--smp-trips=N] [--cycles=N] [--starts=N]
 *            [CASE...]
 *
 * Every case creates its own VM(s), runs real-mode little-endian L2 code
 * built with kvmt's assembler and checks what crosses the /dev/kvm API.
 * Each case prints a fixed list of results (so the plan is known up
 * front); a case that cannot go on prints its remaining results as
 * failures "not reached".  Diagnostics for a result are printed before
 * its ok/not ok line.  When this L1 cannot create a VM at all, every
 * result is a SKIP naming the reason, and FACT kvm_create_vm says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvmt.h"
#include "onereg.h"

#define MiB		(1024UL * 1024)
#define CODE_GPA	0x1000UL	/* main code (vectors live below) */
#define DATA_GPA	0x3000UL	/* L2 stores results here */
#define MMIO_GPA	0x40000000UL	/* not backed by any memslot */
#define WATCHDOG_S	60		/* every KVM_RUN must come back */

static struct {
	long trips;		/* roundtrips */
	long smp_trips;		/* smp4, twovm: per vCPU */
	int cycles;		/* lifecycle */
	int keep_vms;		/* lifecycle: leak on purpose (checks the check) */
	int starts;		/* smpstart: starts per kind of L2 */
} opt = { 100000, 2000, 1000, 0, 50 };

#define MAX_RESULTS 32

struct l2case {
	const char *name;
	void (*run)(struct l2case *c);
	const char *res[MAX_RESULTS];	/* result names, NULL-terminated */
	const char **names;		/* res, or built at start (onereg) */
	int n;				/* number of names */
	int next;			/* next result to print */
	int selected;
	int on_request;			/* runs only when named */
};

static int nres(const struct l2case *c)
{
	return c->n;
}

/* Print the next result of c. */
static void result(struct l2case *c, int ok)
{
	if (c->next >= nres(c)) {
		kvmt_ok(0, "%s: too many results (suite bug)", c->name);
		return;
	}
	kvmt_ok(ok, "%s: %s", c->name, c->names[c->next++]);
}

/* Print every result still missing as a failure. */
static void not_reached(struct l2case *c, const char *why)
{
	while (c->next < nres(c)) {
		kvmt_diag("%s: not reached: %s", c->name, why);
		kvmt_ok(0, "%s: %s", c->name, c->names[c->next++]);
	}
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* A VM with one vCPU and code at CODE_GPA; diagnostics on failure. */
static int setup(struct l2case *c, struct kvmt_vm *vm, struct kvmt_vcpu *vcpu,
		 size_t mem, const struct kvmt_code *code)
{
	int rc = kvmt_vm_create(vm, mem);

	if (rc) {
		kvmt_diag("%s: KVM_CREATE_VM: %s", c->name, strerror(-rc));
		return -1;
	}
	rc = kvmt_vcpu_create(vm, vcpu, 0);
	if (rc) {
		kvmt_diag("%s: vCPU 0: %s", c->name, strerror(-rc));
		kvmt_vm_destroy(vm);
		return -1;
	}
	rc = kvmt_code_put(vm, CODE_GPA, code);
	if (!rc)
		rc = kvmt_set_pc(vcpu, CODE_GPA, KVMT_MSR_REAL_LE);
	if (rc) {
		kvmt_diag("%s: loading L2 code: %s", c->name, strerror(-rc));
		kvmt_vcpu_destroy(vcpu);
		kvmt_vm_destroy(vm);
		return -1;
	}
	return 0;
}

static void teardown(struct kvmt_vm *vm, struct kvmt_vcpu *vcpu)
{
	kvmt_vcpu_destroy(vcpu);
	kvmt_vm_destroy(vm);
}

/* LPCR[ILE] so that interrupts are delivered little-endian like the code. */
static int set_ile(struct kvmt_vcpu *vcpu, uint64_t *before)
{
	uint64_t lpcr, after;
	int rc = kvmt_get_reg64(vcpu, KVM_REG_PPC_LPCR_64, &lpcr);

	if (rc)
		return rc;
	if (before)
		*before = lpcr;
	rc = kvmt_set_reg64(vcpu, KVM_REG_PPC_LPCR_64, lpcr | KVMT_LPCR_ILE);
	if (rc)
		return rc;
	rc = kvmt_get_reg64(vcpu, KVM_REG_PPC_LPCR_64, &after);
	if (rc)
		return rc;
	return after & KVMT_LPCR_ILE ? 0 : -EIO;
}

static uint64_t le_bytes(const uint8_t *p, int len)
{
	uint64_t v = 0;

	for (int i = len - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- gprs: values in r3..r12 both ways ---------------------------------- */

static uint64_t gpr_in(int r)
{
	return 0x8000000000000000ULL | (uint64_t)r << 48 | 0x123456789a00ULL | r;
}

static uint64_t gpr_out(int r)
{
	return 0xfedc000000000000ULL ^ ((uint64_t)r << 40) ^ 0x0000abcdef012300ULL ^ r;
}

static void case_gprs(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	struct kvm_regs regs;
	uint64_t args[9];
	const uint64_t *mem;
	int r, ok;

	kvmt_code_init(&code);
	for (r = 4; r <= 12; r++)
		kvmt_emit_li64(&code, r, gpr_in(r));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	/* what came back: r3..r12 -> DATA_GPA, then again to userspace */
	for (r = 3; r <= 12; r++)
		kvmt_emit(&code, KVMT_STD(r, DATA_GPA + 8 * (r - 3), 0));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");

	if (kvmt_run_hcall(&vcpu, "first hcall")) {
		teardown(&vm, &vcpu);
		return not_reached(c, "no hcall exit");
	}
	ok = 1;
	for (r = 4; r <= 12; r++) {
		uint64_t got = vcpu.run->papr_hcall.args[r - 4];

		if (got != gpr_in(r)) {
			kvmt_diag("r%d: L2 set %#llx, userspace saw %#llx", r,
				  (unsigned long long)gpr_in(r), (unsigned long long)got);
			ok = 0;
		}
	}
	result(c, ok);

	for (r = 4; r <= 12; r++)
		args[r - 4] = gpr_out(r);
	kvmt_hcall_return(&vcpu, gpr_out(3), args, 9);
	ok = kvmt_run_hcall(&vcpu, "second hcall") == 0;
	mem = (const uint64_t *)((char *)vm.mem + DATA_GPA);
	for (r = 3; ok && r <= 12; r++) {
		if (mem[r - 3] != gpr_out(r)) {
			kvmt_diag("r%d in the L2 after the hcall: %#llx, returned %#llx", r,
				  (unsigned long long)mem[r - 3], (unsigned long long)gpr_out(r));
			ok = 0;
		}
		if (r > 3 && vcpu.run->papr_hcall.args[r - 4] != gpr_out(r)) {
			kvmt_diag("r%d at the next exit: %#llx, expected %#llx", r,
				  (unsigned long long)vcpu.run->papr_hcall.args[r - 4],
				  (unsigned long long)gpr_out(r));
			ok = 0;
		}
	}
	if (ok && kvmt_get_regs(&vcpu, &regs) == 0) {
		for (r = 4; r <= 12; r++) {
			if (regs.gpr[r] != gpr_out(r)) {
				kvmt_diag("KVM_GET_REGS r%d: %#llx", r,
					  (unsigned long long)regs.gpr[r]);
				ok = 0;
			}
		}
	}
	result(c, ok);
	teardown(&vm, &vcpu);
}

/* ---- roundtrips ------------------------------------------------------------ */

static void case_roundtrips(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	double t0, t1;
	long i, bad = 0;

	/* r3 = H_TEST; r4 += 1; sc 1; loop */
	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 3, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_ADDI(4, 4, 1));
	kvmt_emit(&code, KVMT_SC1);
	kvmt_emit(&code, KVMT_B(-16));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	t0 = now_us();
	for (i = 1; i <= opt.trips; i++) {
		uint64_t arg;

		if (kvmt_run_hcall(&vcpu, "round trip"))
			break;
		arg = vcpu.run->papr_hcall.args[0];
		if (arg != (uint64_t)i && bad++ < 3)
			kvmt_diag("round trip %ld: r4 = %llu", i, (unsigned long long)arg);
		/* r4 goes back as i: the L2 increments it again */
		arg = i;
		kvmt_hcall_return(&vcpu, KVMT_H_SUCCESS, &arg, 1);
	}
	t1 = now_us();
	i--;
	kvmt_fact("l2suite_roundtrips", "%ld", bad ? 0 : i);
	kvmt_fact("l2suite_roundtrip_us", "%.1f", i ? (t1 - t0) / i : 0.0);
	kvmt_diag("%ld round trips in %.2f s", i, (t1 - t0) / 1e6);
	result(c, i == opt.trips && !bad);
	teardown(&vm, &vcpu);
}

/* ---- mmio ------------------------------------------------------------------ */

#define MMIO_STORE_VAL	0x1122334455667788ULL

static const struct mmio_step {
	int write, len, off, sign;
} mmio_steps[] = {
	{ 1, 1, 0x00, 0 }, { 1, 2, 0x10, 0 }, { 1, 4, 0x20, 0 }, { 1, 8, 0x30, 0 },
	{ 0, 1, 0x40, 0 }, { 0, 2, 0x50, 0 }, { 0, 4, 0x60, 0 }, { 0, 8, 0x70, 0 },
	{ 0, 2, 0x80, 1 }, { 0, 4, 0x90, 1 },
};

static int mmio_step(struct kvmt_vcpu *vcpu, const struct mmio_step *s)
{
	struct kvm_run *run = vcpu->run;
	uint64_t want, got;
	int rc = kvmt_run(vcpu), ok = 1;

	if (rc != KVM_EXIT_MMIO) {
		kvmt_diag("%s of %d bytes: expected an MMIO exit, got %s",
			  s->write ? "store" : "load", s->len, kvmt_vcpu_exit_str(vcpu, rc));
		return -1;
	}
	if (run->mmio.phys_addr != MMIO_GPA + s->off || run->mmio.len != (uint32_t)s->len ||
	    run->mmio.is_write != s->write) {
		kvmt_diag("exit: addr %#llx len %u is_write %u; expected %#lx len %d is_write %d",
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			  run->mmio.is_write, MMIO_GPA + s->off, s->len, s->write);
		ok = 0;
	}
	if (s->write) {
		want = s->len == 8 ? MMIO_STORE_VAL :
		       MMIO_STORE_VAL & ((1ULL << (8 * s->len)) - 1);
		got = le_bytes(run->mmio.data, s->len);
		if (got != want) {
			kvmt_diag("store %d: data %#llx, expected %#llx", s->len,
				  (unsigned long long)got, (unsigned long long)want);
			ok = 0;
		}
		return ok;
	}
	/* a load: supply bytes a1 a2 ..., the L2 hands r7 back in r4 */
	for (int i = 0; i < 8; i++)
		run->mmio.data[i] = 0xa1 + i;
	want = le_bytes(run->mmio.data, s->len);
	if (s->sign)
		want = s->len == 2 ? (uint64_t)(int64_t)(int16_t)want :
				     (uint64_t)(int64_t)(int32_t)want;
	if (kvmt_run_hcall(vcpu, "after the load"))
		return -1;
	got = run->papr_hcall.args[0];
	if (got != want) {
		kvmt_diag("load %d%s: GPR got %#llx, expected %#llx", s->len,
			  s->sign ? " (sign-extending)" : "",
			  (unsigned long long)got, (unsigned long long)want);
		ok = 0;
	}
	return ok;
}

/*
 * Run the L2 of "mmio" or "mmio-prefixed" through mmio_steps[], one result
 * each (lha and lwa share one), then tear the VM down.
 */
static void mmio_run_steps(struct l2case *c, struct kvmt_vm *vm, struct kvmt_vcpu *vcpu)
{
	int i, rc, ok = 1;

	for (i = 0; i < (int)(sizeof(mmio_steps) / sizeof(mmio_steps[0])); i++) {
		rc = mmio_step(vcpu, &mmio_steps[i]);
		if (rc < 0)
			break;
		if (!mmio_steps[i].sign) {
			result(c, rc);
		} else {
			ok &= rc;
			if (mmio_steps[i].len == 4)
				result(c, ok);
		}
	}
	not_reached(c, "an access did not exit as expected");
	teardown(vm, vcpu);
}

static void case_mmio(struct l2case *c)
{
	static const uint32_t loads[] = {
		KVMT_LBZ(7, 0x40, 6), KVMT_LHZ(7, 0x50, 6), KVMT_LWZ(7, 0x60, 6),
		KVMT_LD(7, 0x70, 6), KVMT_LHA(7, 0x80, 6), KVMT_LWA(7, 0x90, 6),
	};
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	int i;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, MMIO_STORE_VAL);
	kvmt_emit_li64(&code, 6, MMIO_GPA);
	kvmt_emit(&code, KVMT_STB(5, 0x00, 6));
	kvmt_emit(&code, KVMT_STH(5, 0x10, 6));
	kvmt_emit(&code, KVMT_STW(5, 0x20, 6));
	kvmt_emit(&code, KVMT_STD(5, 0x30, 6));
	for (i = 0; i < 6; i++) {
		kvmt_emit(&code, loads[i]);
		kvmt_emit(&code, KVMT_MR(4, 7));
		kvmt_emit_hcall(&code, KVMT_H_TEST);
	}
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	mmio_run_steps(c, &vm, &vcpu);
}

/*
 * ---- mmio-prefixed: prefixed (ISA v3.1) loads and stores to MMIO ----------
 *
 * The same accesses as "mmio", with the prefixed forms: pstb, psth, pstw
 * (MLS prefix + D-form suffix), pstd (8LS prefix), plbz, plhz, plwz
 * (MLS), pld (8LS), plha (MLS), plwa (8LS).  KVM must take both words
 * (the prefix at NIA, the suffix after it) and step over 8 bytes: taking
 * the suffix alone as an instruction, or stepping 4, shows up as a wrong
 * or an extra access.  Each has a 34-bit displacement of which the low
 * 16 bits are used here (d0 = 0), R = 0.
 */
#define PFX_8LS			(1u << 26)
#define PFX_MLS			((1u << 26) | (2u << 24))
#define PFX_SFX(op, rt, d, ra)	(KVMT_OP(op) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(d))

static void case_mmio_prefixed(struct l2case *c)
{
	static const uint32_t insn[][2] = {
		{ PFX_MLS, PFX_SFX(38, 5, 0x00, 6) },	/* pstb */
		{ PFX_MLS, PFX_SFX(44, 5, 0x10, 6) },	/* psth */
		{ PFX_MLS, PFX_SFX(36, 5, 0x20, 6) },	/* pstw */
		{ PFX_8LS, PFX_SFX(61, 5, 0x30, 6) },	/* pstd */
		{ PFX_MLS, PFX_SFX(34, 7, 0x40, 6) },	/* plbz */
		{ PFX_MLS, PFX_SFX(40, 7, 0x50, 6) },	/* plhz */
		{ PFX_MLS, PFX_SFX(32, 7, 0x60, 6) },	/* plwz */
		{ PFX_8LS, PFX_SFX(57, 7, 0x70, 6) },	/* pld */
		{ PFX_MLS, PFX_SFX(42, 7, 0x80, 6) },	/* plha */
		{ PFX_8LS, PFX_SFX(41, 7, 0x90, 6) },	/* plwa */
	};
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	int i;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, MMIO_STORE_VAL);
	kvmt_emit_li64(&code, 6, MMIO_GPA);
	/* a prefixed instruction may not cross a 64-byte boundary */
	while (code.n % 16)
		kvmt_emit(&code, KVMT_NOP);
	for (i = 0; i < 10; i++) {
		if (code.n % 16 == 15)
			kvmt_emit(&code, KVMT_NOP);
		kvmt_emit(&code, insn[i][0]);
		kvmt_emit(&code, insn[i][1]);
		if (i >= 4) {
			kvmt_emit(&code, KVMT_MR(4, 7));
			kvmt_emit_hcall(&code, KVMT_H_TEST);
		}
	}
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	mmio_run_steps(c, &vm, &vcpu);
}

/*
 * ---- mmio-fp: FP loads and stores to MMIO ----------------------------------
 *
 * The emulator reads and writes the vector register file for these, which
 * the nestedv2 state cache only fetches when the instruction needs it.
 * VSR1 = A:X1, VSR2 = 0:X2, VSR3 = C:X3 (FPR n : other half of VSR n) set
 * through ONE_REG.  The L2 copies VSR3 into VSR1 and VSR2 (xxlor), so
 * what KVM last knew of them is stale, then does stfd f1 and lfd f2 to the
 * unbacked GPA, then an hcall.  The store must carry C, and afterwards
 * VSR1 = C:X3, FPR2 = B (what userspace supplied), VSR3 = C:X3.  (The
 * other half of VSR2 is undefined after lfd f2 in the ISA; 6.12 gives
 * back X2, the value before the xxlor.)
 * KVM_REG_PPC_VSR copies the kernel's pair of doublewords as they are, and
 * the kernel keeps the FPR in the second one on little-endian hosts
 * (TS_FPROFFSET), as 6.12 does.
 */
#define FP_A	0x4009210fdaa22168ULL	/* bit patterns, not computed with */
#define FP_B	0x3ff0123456789abcULL
#define FP_C	0xc00d555555555555ULL
#define FP_X(n)	(0x5a5a000000000000ULL | (n))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FPR_DW	1
#else
#define FPR_DW	0
#endif

static int vsr_get(struct kvmt_vcpu *vcpu, int n, uint64_t v[2])
{
	return kvmt_get_one_reg(vcpu, KVM_REG_PPC_VSR(n), v);
}

static void case_mmio_fp(struct l2case *c)
{
	const uint64_t fpr[4] = { 0, FP_A, 0, FP_C };
	uint64_t init[4][2];
	struct kvm_run *run;
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t v[2];
	int i, rc, ok;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 6, MMIO_GPA);
	kvmt_emit(&code, KVMT_XXLOR(1, 3, 3));
	kvmt_emit(&code, KVMT_XXLOR(2, 3, 3));
	kvmt_emit(&code, KVMT_STFD(1, 0xa0, 6));
	kvmt_emit(&code, KVMT_LFD(2, 0xb0, 6));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	for (i = 0; i < 4; i++) {
		init[i][FPR_DW] = fpr[i];
		init[i][!FPR_DW] = FP_X(i);
	}
	run = vcpu.run;
	rc = kvmt_set_pc(&vcpu, CODE_GPA, KVMT_MSR_REAL_LE | KVMT_MSR_FP | KVMT_MSR_VSX);
	for (i = 1; i < 4 && !rc; i++)
		rc = kvmt_set_one_reg(&vcpu, KVM_REG_PPC_VSR(i), init[i]);
	if (rc) {
		kvmt_diag("mmio-fp: setting MSR[FP,VSX] and VSR1-3: %s", strerror(-rc));
		goto out;
	}

	rc = kvmt_run(&vcpu);
	if (rc != KVM_EXIT_MMIO || !run->mmio.is_write) {
		kvmt_diag("stfd: expected an MMIO store exit, got %s",
			  kvmt_vcpu_exit_str(&vcpu, rc));
		goto out;
	}
	ok = run->mmio.phys_addr == MMIO_GPA + 0xa0 && run->mmio.len == 8 &&
	     le_bytes(run->mmio.data, 8) == FP_C;
	if (!ok)
		kvmt_diag("stfd: addr %#llx len %u data %#llx, expected %#lx 8 %#llx",
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			  (unsigned long long)le_bytes(run->mmio.data, 8),
			  MMIO_GPA + 0xa0, FP_C);
	result(c, ok);

	rc = kvmt_run(&vcpu);
	if (rc != KVM_EXIT_MMIO || run->mmio.is_write || run->mmio.len != 8 ||
	    run->mmio.phys_addr != MMIO_GPA + 0xb0) {
		kvmt_diag("lfd: expected an 8-byte MMIO load exit at %#lx, got %s",
			  MMIO_GPA + 0xb0, kvmt_vcpu_exit_str(&vcpu, rc));
		goto out;
	}
	for (i = 0; i < 8; i++)
		run->mmio.data[i] = (uint8_t)(FP_B >> (8 * i));
	if (kvmt_run_hcall(&vcpu, "after the lfd"))
		goto out;
	ok = 1;
	for (i = 1; i < 4; i++) {
		uint64_t want = i == 2 ? FP_B : FP_C;

		rc = vsr_get(&vcpu, i, v);
		if (rc || v[FPR_DW] != want || (i != 2 && v[!FPR_DW] != FP_X(3))) {
			kvmt_diag("VSR%d: %s FPR %#llx other %#llx, expected %#llx %#llx", i,
				  rc ? strerror(-rc) : "", (unsigned long long)v[FPR_DW],
				  (unsigned long long)v[!FPR_DW], (unsigned long long)want,
				  (unsigned long long)FP_X(3));
			ok = 0;
		}
	}
	result(c, ok);
out:
	not_reached(c, "an access did not exit as expected");
	teardown(&vm, &vcpu);
}

/* ---- pagefault: 64 MiB, every 64K page written by the L2 ------------------ */

#define PF_MEM		(64 * MiB)
#define PF_PAGE		0x10000UL
#define PF_OFF		0xfff8UL	/* last doubleword of each page */

static void case_pagefault(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	unsigned long p, bad = 0;
	double t0, t1;

	/* for (a = PF_OFF; a < PF_MEM; a += 64K) *(u64 *)a = a; hcall */
	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, PF_OFF);
	kvmt_emit_li64(&code, 6, PF_MEM + PF_OFF);
	kvmt_emit_li64(&code, 7, PF_PAGE);
	kvmt_emit(&code, KVMT_STD(5, 0, 5));
	kvmt_emit(&code, KVMT_ADD(5, 5, 7));
	kvmt_emit(&code, KVMT_CMPD(5, 6));
	kvmt_emit(&code, KVMT_BLT(-12));
	kvmt_emit(&code, KVMT_MR(4, 5));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, PF_MEM, &code))
		return not_reached(c, "no VM");
	t0 = now_us();
	if (kvmt_run_hcall(&vcpu, "after touching 64 MiB")) {
		teardown(&vm, &vcpu);
		return not_reached(c, "the L2 did not finish");
	}
	t1 = now_us();
	for (p = 0; p < PF_MEM / PF_PAGE; p++) {
		uint64_t a = p * PF_PAGE + PF_OFF;
		uint64_t v = *(uint64_t *)((char *)vm.mem + a);

		if (v != a && bad++ < 3)
			kvmt_diag("page %lu: L1 sees %#llx at %#llx", p,
				  (unsigned long long)v, (unsigned long long)a);
	}
	kvmt_fact("l2suite_pagefault_ms", "%.0f", (t1 - t0) / 1e3);
	kvmt_diag("%lu pages in %.0f ms, %lu wrong", PF_MEM / PF_PAGE, (t1 - t0) / 1e3, bad);
	result(c, !bad);
	teardown(&vm, &vcpu);
}

/* ---- interrupts: decrementer (0x900) and external (0x500) ------------------ */

/*
 * Vector code: report the vector and SRR0/SRR1/MSR with an hcall, then
 * return to the interrupted code (sc clobbers SRR0/1, so restore them).
 */
/*
 * dirtylog: the L1's dirty log must see every page its L2 writes.  The
 * memslot logs dirty pages; in each round the L2 reads, then writes, a
 * doubleword in each of DL_PAGES 64K pages (the pattern of the round),
 * then exits; userspace harvests the log (KVM_GET_DIRTY_LOG, which also
 * clears it: how QEMU's live migration finds pages to send again) and
 * checks every page is in it, and holds the pattern.  KVM takes the log
 * from the C (changed) bits of its partition-scoped PTEs and leaves the
 * PTEs writable when it clears C: the first store after that must fault
 * for C to be set.  With the load first, an L0 that granted write
 * permission on the load's translation let the store through unseen.
 */
#define DL_PAGES	64
#define DL_ROUNDS	6
#define DL_BASE		(1 * MiB)
#define DL_STRIDE	0x10000UL
#define DL_DONE		0x1d1d

/* Turn on dirty logging for the VM's one memory slot. */
static int dirty_log_on(struct kvmt_vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) == 0)
		return 0;
	kvmt_diag("KVM_SET_USER_MEMORY_REGION(KVM_MEM_LOG_DIRTY_PAGES): %s",
		  strerror(errno));
	return -1;
}

static void case_dirtylog(struct l2case *c)
{
	struct kvm_dirty_log log;
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t *bitmap = NULL, round_at, inner_at, ret;
	long page = sysconf(_SC_PAGESIZE);
	size_t mem = DL_BASE + DL_PAGES * DL_STRIDE, nbits;
	int r, p, cap, ok = 1, missing_total = 0;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_LI(0, 0));
	kvmt_emit(&code, KVMT_LI(9, 1));		/* round 1's pattern */
	round_at = kvmt_code_here(&code);
	kvmt_emit_li64(&code, 6, DL_BASE);
	kvmt_emit(&code, KVMT_LI(10, DL_PAGES));
	inner_at = kvmt_code_here(&code);
	kvmt_emit(&code, KVMT_LD(7, 0, 6));		/* load first ... */
	kvmt_emit(&code, KVMT_STD(9, 0, 6));		/* ... then store */
	kvmt_emit(&code, KVMT_ADDIS(6, 6, DL_STRIDE >> 16));
	kvmt_emit(&code, KVMT_ADDI(10, 10, -1));
	kvmt_emit(&code, KVMT_CMPD(10, 0));
	kvmt_emit(&code, KVMT_BNE(inner_at - kvmt_code_here(&code)));
	kvmt_emit(&code, KVMT_LI(4, DL_DONE));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_MR(9, 4));		/* next pattern from userspace */
	kvmt_emit(&code, KVMT_B(round_at - kvmt_code_here(&code)));
	if (setup(c, &vm, &vcpu, mem, &code))
		return not_reached(c, "no VM");
	if (dirty_log_on(&vm)) {
		teardown(&vm, &vcpu);
		return not_reached(c, "no dirty logging");
	}
	cap = ioctl(vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	kvmt_diag("L1 page size %ld; KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 %d (so the log is "
		  "cleared by KVM_GET_DIRTY_LOG%s)", page, cap,
		  cap > 0 ? "; KVM_CLEAR_DIRTY_LOG not used" : ", no KVM_CLEAR_DIRTY_LOG");
	nbits = vm.mem_size / page;
	bitmap = calloc((nbits + 63) / 64, 8);
	if (!bitmap) {
		teardown(&vm, &vcpu);
		return not_reached(c, "out of memory");
	}
	for (r = 1; ok && r <= DL_ROUNDS; r++) {
		int missing = 0, wrong = 0;

		if (kvmt_run_hcall(&vcpu, "round done") ||
		    vcpu.run->papr_hcall.args[0] != DL_DONE) {
			kvmt_diag("round %d: the L2 did not finish its writes (r4 %#llx)", r,
				  (unsigned long long)vcpu.run->papr_hcall.args[0]);
			ok = 0;
			break;
		}
		memset(&log, 0, sizeof(log));
		log.slot = 0;
		log.dirty_bitmap = bitmap;
		memset(bitmap, 0, (nbits + 63) / 64 * 8);
		if (ioctl(vm.vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
			kvmt_diag("round %d: KVM_GET_DIRTY_LOG: %s", r, strerror(errno));
			ok = 0;
			break;
		}
		for (p = 0; p < DL_PAGES; p++) {
			uint64_t gpa = DL_BASE + p * DL_STRIDE;
			uint64_t bit = gpa / page;

			if (!(bitmap[bit / 64] & (1ULL << (bit % 64))))
				missing++;
			if (*(uint64_t *)((char *)vm.mem + gpa) != (uint64_t)r)
				wrong++;
		}
		kvmt_diag("round %d: %d of %d written pages not in the dirty log, %d without "
			  "the pattern", r, missing, DL_PAGES, wrong);
		missing_total += missing;
		if (missing || wrong)
			ok = 0;
		ret = r + 1;
		kvmt_hcall_return(&vcpu, KVMT_H_SUCCESS, &ret, 1);
	}
	result(c, ok && !missing_total);
	free(bitmap);
	teardown(&vm, &vcpu);
}

static void emit_vector(struct kvmt_code *v, uint64_t vec)
{
	kvmt_code_init(v);
	kvmt_emit(v, KVMT_MFSPR(5, KVMT_SPR_SRR0));
	kvmt_emit(v, KVMT_MFSPR(6, KVMT_SPR_SRR1));
	kvmt_emit(v, KVMT_MFMSR(7));
	kvmt_emit_li64(v, 4, vec);
	kvmt_emit_hcall(v, KVMT_H_TEST);
	kvmt_emit(v, KVMT_MTSPR(KVMT_SPR_SRR0, 5));
	kvmt_emit(v, KVMT_MTSPR(KVMT_SPR_SRR1, 6));
	kvmt_emit(v, 0x4c000024);	/* rfid */
}

/*
 * Every interrupt vector reports itself with an hcall (r4 = 0xbad00000 |
 * vector) and stops, so an unexpected interrupt is a clear diagnostic
 * instead of a jump into zeroed memory.  Expected vectors are then
 * overwritten with emit_vector() code.
 */
static const uint32_t all_vectors[] = {
	0x100, 0x200, 0x300, 0x380, 0x400, 0x480, 0x500, 0x600, 0x700, 0x800,
	0x900, 0x980, 0xa00, 0xb00, 0xc00, 0xd00, 0xe00, 0xe20, 0xe40, 0xe60,
	0xe80, 0xea0, 0xf00, 0xf20, 0xf40, 0xf60,
};

#define KVMT_UNEXPECTED	0xbad00000UL

static int put_trap_vectors(struct kvmt_vm *vm)
{
	for (size_t i = 0; i < sizeof(all_vectors) / sizeof(all_vectors[0]); i++) {
		struct kvmt_code v;
		int rc;

		/* 8 instructions: vectors at 0xf00.. are 0x20 apart */
		kvmt_code_init(&v);
		kvmt_emit(&v, KVMT_MFSPR(5, KVMT_SPR_SRR0));
		kvmt_emit(&v, KVMT_MFSPR(6, KVMT_SPR_SRR1));
		kvmt_emit(&v, KVMT_MFMSR(7));
		kvmt_emit(&v, KVMT_LIS(4, KVMT_UNEXPECTED >> 16));
		kvmt_emit(&v, KVMT_ORI(4, 4, all_vectors[i]));
		kvmt_emit_hcall(&v, KVMT_H_TEST);
		rc = kvmt_code_put(vm, all_vectors[i], &v);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_vector(struct kvmt_vcpu *vcpu, uint64_t vec, uint64_t lo, uint64_t hi)
{
	const __u64 *a = vcpu->run->papr_hcall.args;
	int ok = 1;

	if (a[0] != vec) {
		if ((a[0] & ~0xfffULL) == KVMT_UNEXPECTED)
			kvmt_diag("expected the %#llx handler, got an interrupt at %#llx "
				  "(SRR0 %#llx SRR1 %#llx)", (unsigned long long)vec,
				  (unsigned long long)(a[0] & 0xfff), (unsigned long long)a[1],
				  (unsigned long long)a[2]);
		else
			kvmt_diag("expected the %#llx handler, got hcall r4=%#llx",
				  (unsigned long long)vec, (unsigned long long)a[0]);
		return 0;
	}
	if (a[1] < lo || a[1] >= hi) {
		kvmt_diag("SRR0 %#llx outside the interrupted code [%#llx, %#llx)",
			  (unsigned long long)a[1], (unsigned long long)lo,
			  (unsigned long long)hi);
		ok = 0;
	}
	if (!(a[2] & KVMT_MSR_EE)) {
		kvmt_diag("SRR1 %#llx: interrupted with MSR[EE]=0?", (unsigned long long)a[2]);
		ok = 0;
	}
	if (!(a[3] & KVMT_MSR_LE) || (a[3] & KVMT_MSR_EE)) {
		kvmt_diag("MSR in the handler %#llx: want LE=1 EE=0", (unsigned long long)a[3]);
		ok = 0;
	}
	return ok;
}

static void case_dec(struct l2case *c)
{
	struct kvmt_code code, vec;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t lpcr, loop, end;
	int rc;

	/* DEC = 2000 ticks; MSR[EE] = 1; spin counting in r8 */
	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_LI(8, 0));
	kvmt_emit_li64(&code, 9, 2000);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_DEC, 9));
	kvmt_emit_li64(&code, 10, KVMT_MSR_EE | KVMT_MSR_RI);
	kvmt_emit(&code, KVMT_MTMSRD(10, 1));
	loop = CODE_GPA + kvmt_code_here(&code);
	kvmt_emit(&code, KVMT_ADDI(8, 8, 1));
	kvmt_emit(&code, KVMT_B(-4));
	end = CODE_GPA + kvmt_code_here(&code);
	emit_vector(&vec, KVMT_VEC_DECREMENTER);
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	rc = put_trap_vectors(&vm);
	if (!rc)
		rc = kvmt_code_put(&vm, KVMT_VEC_DECREMENTER, &vec);
	if (!rc)
		rc = set_ile(&vcpu, &lpcr);
	if (rc) {
		kvmt_diag("vector/LPCR[ILE] setup: %s", strerror(-rc));
		teardown(&vm, &vcpu);
		return not_reached(c, "setup failed");
	}
	kvmt_fact("l2suite_lpcr_default", "%#llx", (unsigned long long)lpcr);
	kvmt_diag("LPCR of a new vCPU %#llx (ILE %s); set ILE", (unsigned long long)lpcr,
		  lpcr & KVMT_LPCR_ILE ? "set" : "clear");
	if (kvmt_run_hcall(&vcpu, "waiting for the decrementer")) {
		teardown(&vm, &vcpu);
		return not_reached(c, "no interrupt");
	}
	result(c, check_vector(&vcpu, KVMT_VEC_DECREMENTER, loop, end));
	teardown(&vm, &vcpu);
}

/*
 * setup() plus the trap vectors, @vec at @vaddr, and LPCR[ILE]; on failure
 * the case is reported not reached and everything is torn down (nonzero).
 */
static int setup_vectored(struct l2case *c, struct kvmt_vm *vm, struct kvmt_vcpu *vcpu,
			  struct kvmt_code *code, uint64_t vaddr, struct kvmt_code *vec)
{
	int rc;

	if (setup(c, vm, vcpu, 1 * MiB, code)) {
		not_reached(c, "no VM");
		return -1;
	}
	rc = put_trap_vectors(vm);
	if (!rc)
		rc = kvmt_code_put(vm, vaddr, vec);
	if (!rc)
		rc = set_ile(vcpu, NULL);
	if (rc) {
		kvmt_diag("vector/LPCR[ILE] setup: %s", strerror(-rc));
		teardown(vm, vcpu);
		not_reached(c, "setup failed");
		return -1;
	}
	return 0;
}

static void case_ext(struct l2case *c)
{
	struct kvmt_code code, vec;
	struct kvm_interrupt irq;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t loop, end;
	int rc, ok;

	/*
	 * DEC = max (no decrementer interrupt: a new vCPU's DEC has already
	 * expired); MSR[EE] = 1; hcall "ready" (r4=1); spin 20000 times;
	 * hcall r4=2
	 */
	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 9, 0x7fffffff);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_DEC, 9));
	kvmt_emit_li64(&code, 10, KVMT_MSR_EE | KVMT_MSR_RI);
	kvmt_emit(&code, KVMT_MTMSRD(10, 1));
	kvmt_emit(&code, KVMT_LI(4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_LI(8, 0));
	kvmt_emit_li64(&code, 9, 20000);
	loop = CODE_GPA + kvmt_code_here(&code);
	kvmt_emit(&code, KVMT_ADDI(8, 8, 1));
	kvmt_emit(&code, KVMT_CMPD(8, 9));
	kvmt_emit(&code, KVMT_BLT(-8));
	end = CODE_GPA + kvmt_code_here(&code);
	kvmt_emit(&code, KVMT_LI(4, 2));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	emit_vector(&vec, KVMT_VEC_EXTERNAL);
	if (setup_vectored(c, &vm, &vcpu, &code, KVMT_VEC_EXTERNAL, &vec))
		return;
	ok = kvmt_run_hcall(&vcpu, "ready") == 0;
	if (ok && (vcpu.run->papr_hcall.args[0] & ~0xfffULL) == KVMT_UNEXPECTED) {
		kvmt_diag("before KVM_INTERRUPT: interrupt at %#llx (SRR0 %#llx)",
			  (unsigned long long)(vcpu.run->papr_hcall.args[0] & 0xfff),
			  (unsigned long long)vcpu.run->papr_hcall.args[1]);
		ok = 0;
	} else if (ok && vcpu.run->papr_hcall.args[0] != 1) {
		kvmt_diag("before KVM_INTERRUPT: hcall r4=%#llx, expected 1",
			  (unsigned long long)vcpu.run->papr_hcall.args[0]);
		ok = 0;
	}
	result(c, ok);
	if (!ok) {
		teardown(&vm, &vcpu);
		return not_reached(c, "the L2 did not get ready");
	}

	irq.irq = KVM_INTERRUPT_SET_LEVEL;
	rc = ioctl(vcpu.fd, KVM_INTERRUPT, &irq) < 0 ? -errno : 0;
	if (rc)
		kvmt_diag("KVM_INTERRUPT(SET_LEVEL): %s", strerror(-rc));
	ok = !rc && kvmt_run_hcall(&vcpu, "after KVM_INTERRUPT") == 0;
	/* the hcall in the spin's prologue is also "interrupted code" */
	ok = ok && check_vector(&vcpu, KVMT_VEC_EXTERNAL, CODE_GPA, end);
	if (ok && (vcpu.run->papr_hcall.args[1] < loop))
		kvmt_diag("delivered right at entry (SRR0 %#llx)",
			  (unsigned long long)vcpu.run->papr_hcall.args[1]);
	result(c, ok);
	if (!ok) {
		teardown(&vm, &vcpu);
		return not_reached(c, "no external interrupt");
	}

	irq.irq = KVM_INTERRUPT_UNSET;
	rc = ioctl(vcpu.fd, KVM_INTERRUPT, &irq) < 0 ? -errno : 0;
	if (rc)
		kvmt_diag("KVM_INTERRUPT(UNSET): %s", strerror(-rc));
	ok = !rc && kvmt_run_hcall(&vcpu, "after KVM_INTERRUPT_UNSET") == 0;
	if (ok && vcpu.run->papr_hcall.args[0] != 2) {
		kvmt_diag("after UNSET: hcall r4=%#llx, expected 2 (end of the spin)",
			  (unsigned long long)vcpu.run->papr_hcall.args[0]);
		ok = 0;
	}
	result(c, ok);
	teardown(&vm, &vcpu);
}

/*
 * illegal: an instruction the L2 may not execute must reach the L2 as a
 * program interrupt (0x700, SRR1[44] "illegal instruction"), the way
 * Book3S HV KVM reflects a hypervisor emulation assistance interrupt.
 */
#define SRR1_PROGILL	0x80000ULL

/*
 * Run @insns (an illegal instruction, one word or a prefix and its suffix)
 * in the L2 with a program interrupt vector that reports SRR0/SRR1 by
 * hcall, and check the interrupt came at the instruction with SRR1[44]
 * (illegal) and every bit of @srr1_more set.
 */
static void program_interrupt_case(struct l2case *c, const uint32_t *insns,
				   int n, uint64_t srr1_more, const char *what)
{
	uint64_t want = SRR1_PROGILL | srr1_more;
	struct kvmt_code code, vec;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t bad_pc;
	const __u64 *a;
	int i, ok;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_LI(4, 0));
	bad_pc = CODE_GPA + kvmt_code_here(&code);
	for (i = 0; i < n; i++)
		kvmt_emit(&code, insns[i]);
	kvmt_emit(&code, KVMT_B(0));
	emit_vector(&vec, 0x700);
	if (setup_vectored(c, &vm, &vcpu, &code, 0x700, &vec))
		return;
	ok = kvmt_run_hcall(&vcpu, what) == 0;
	a = vcpu.run->papr_hcall.args;
	if (ok && a[0] != 0x700) {
		kvmt_diag("expected the 0x700 handler, got r4=%#llx (SRR0 %#llx SRR1 %#llx)",
			  (unsigned long long)a[0], (unsigned long long)a[1],
			  (unsigned long long)a[2]);
		ok = 0;
	}
	if (ok && (a[1] != bad_pc || (a[2] & want) != want)) {
		kvmt_diag("program interrupt: SRR0 %#llx (want %#llx), SRR1 %#llx (want bits %#llx)",
			  (unsigned long long)a[1], (unsigned long long)bad_pc,
			  (unsigned long long)a[2], (unsigned long long)want);
		ok = 0;
	}
	result(c, ok);
	teardown(&vm, &vcpu);
}

/*
 * fac-hfscr: a hypervisor facility unavailable exit is handled for the
 * cause the L0 reports.  The L2 sends itself a doorbell with msgsndp,
 * which KVM keeps out of HFSCR to emulate it: the exit's cause (the top
 * byte of HFSCR) must say MSGP, and KVM then emulates the instruction and
 * the L2 goes on to its hcall.  Read from a stale HFSCR, the cause is
 * another and the L2 gets a program interrupt (0x700) instead.  Run only
 * when named: make l2-faults-ours boots it with an L0 that leaves HFSCR
 * out of the run output buffer of such exits (x-nested-papr-fault
 * run-vcpu:1:out-no-hfscr), so that KVM has to fetch the cause.
 */
#define KVMT_MSGSNDP(rb)	(KVMT_OP(31) | KVMT_RB(rb) | (142u << 1))
#define FAC_DONE		0xfac

static void case_fac_hfscr(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	const __u64 *a;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, 5ULL << 27);		/* doorbell to thread 0 */
	kvmt_emit(&code, KVMT_MSGSNDP(5));
	kvmt_emit(&code, KVMT_LI(4, FAC_DONE));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	if (put_trap_vectors(&vm) || set_ile(&vcpu, NULL)) {
		teardown(&vm, &vcpu);
		return not_reached(c, "no trap vectors");
	}
	if (kvmt_run_hcall(&vcpu, "after msgsndp")) {
		teardown(&vm, &vcpu);
		return not_reached(c, "no hcall");
	}
	a = vcpu.run->papr_hcall.args;
	if (a[0] != FAC_DONE)
		kvmt_diag("after msgsndp: hcall r4 %#llx (SRR0 %#llx SRR1 %#llx), want %#x: "
			  "the facility unavailable exit was not handled as MSGP",
			  (unsigned long long)a[0], (unsigned long long)a[1],
			  (unsigned long long)a[2], FAC_DONE);
	result(c, a[0] == FAC_DONE);
	teardown(&vm, &vcpu);
}

static void case_illegal(struct l2case *c)
{
	static const uint32_t insn[] = { 0x00000000 };	/* primary opcode 0 */

	program_interrupt_case(c, insn, 1, 0, "after the illegal instruction");
}

/*
 * prefixed: an illegal prefixed instruction (an MLS prefix with suffix word
 * 0) must reach the L2 as a program interrupt with SRR1[34] (prefixed)
 * set, as well as SRR1[44]: the L0 reports the bit in the exit MSR
 * (HSRR1), and the L1 copies it into the SRR1 it builds.
 */
#define SRR1_PREFIXED	0x20000000ULL

static void case_prefixed(struct l2case *c)
{
	/* MLS prefix (within one 64-byte block), suffix: primary opcode 0 */
	static const uint32_t insn[] = { 0x06000000, 0x00000000 };

	program_interrupt_case(c, insn, 2, SRR1_PREFIXED,
			       "after the illegal prefixed instruction");
}

/*
 * stwcx: a store conditional to an address that is not a multiple of 4
 * takes an alignment interrupt (0x600) in the L2, reservation or not, with
 * SRR0 at the stwcx. and DAR the address; an aligned lwarx/stwcx. pair
 * still succeeds.  The interrupt is the L2's own: only the L0's CPU
 * emulation is involved.
 */
static void case_stwcx(struct l2case *c)
{
	struct kvmt_code code, vec;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t bad_pc, dar = 0, after;
	const __u64 *a;
	uint32_t *word;
	int rc, ok;

	kvmt_code_init(&code);
	/* lwarx/stwcx. of DATA_GPA + 1, then report CR (r5) */
	kvmt_emit_li64(&code, 6, DATA_GPA);
	kvmt_emit(&code, KVMT_LWARX(7, 0, 6));
	kvmt_emit(&code, KVMT_ADDI(7, 7, 1));
	kvmt_emit(&code, KVMT_STWCX(7, 0, 6));
	kvmt_emit(&code, KVMT_MFCR(5));
	kvmt_emit(&code, KVMT_LI(4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	/* unaligned, no reservation */
	kvmt_emit_li64(&code, 6, DATA_GPA + 0x102);
	bad_pc = CODE_GPA + kvmt_code_here(&code);
	kvmt_emit(&code, KVMT_STWCX(7, 0, 6));
	after = CODE_GPA + kvmt_code_here(&code);
	kvmt_emit(&code, KVMT_MFCR(5));
	kvmt_emit(&code, KVMT_LI(4, 2));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	emit_vector(&vec, 0x600);
	if (setup_vectored(c, &vm, &vcpu, &code, 0x600, &vec))
		return;
	word = (uint32_t *)((char *)vm.mem + DATA_GPA);
	*word = 41;
	a = vcpu.run->papr_hcall.args;
	ok = kvmt_run_hcall(&vcpu, "after the aligned lwarx/stwcx.") == 0;
	if (ok && (a[0] != 1 || !(a[1] & 0x20000000) || *word != 42)) {
		kvmt_diag("aligned lwarx/stwcx.: r4 %#llx, CR %#llx (want CR0[EQ]), word %u "
			  "(want 42)", (unsigned long long)a[0], (unsigned long long)a[1],
			  *word);
		ok = 0;
	}
	result(c, ok);
	if (!ok) {
		teardown(&vm, &vcpu);
		return not_reached(c, "the aligned pair failed");
	}
	kvmt_hcall_return(&vcpu, KVMT_H_SUCCESS, NULL, 0);
	ok = kvmt_run_hcall(&vcpu, "after the unaligned stwcx.") == 0;
	if (ok && a[0] == 2) {
		kvmt_diag("no alignment interrupt: the stwcx. at %#llx went on to %#llx "
			  "with CR %#llx", (unsigned long long)bad_pc,
			  (unsigned long long)after, (unsigned long long)a[1]);
		ok = 0;
	} else if (ok && a[0] != 0x600) {
		kvmt_diag("expected the 0x600 handler, got r4=%#llx (SRR0 %#llx SRR1 %#llx)",
			  (unsigned long long)a[0], (unsigned long long)a[1],
			  (unsigned long long)a[2]);
		ok = 0;
	}
	if (ok) {
		rc = kvmt_get_reg64(&vcpu, KVM_REG_PPC_DAR, &dar);
		if (rc || a[1] != bad_pc || dar != DATA_GPA + 0x102) {
			kvmt_diag("alignment interrupt: SRR0 %#llx (want %#llx), DAR %#llx "
				  "(want %#llx) %s", (unsigned long long)a[1],
				  (unsigned long long)bad_pc, (unsigned long long)dar,
				  (unsigned long long)(DATA_GPA + 0x102),
				  rc ? strerror(-rc) : "");
			ok = 0;
		}
	}
	result(c, ok);
	teardown(&vm, &vcpu);
}

/* ---- threads: 4 vCPUs of one VM; 2 VMs at once ------------------------------ */

struct worker {
	struct kvmt_vcpu vcpu;
	uint64_t tag;		/* r5 of this vCPU */
	long trips, done, bad;
	double us;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	double t0;
	char name[16];

	/* Named like QEMU's vCPU threads, as nvlat and perf show them */
	snprintf(name, sizeof(name), "CPU %d/KVM", w->vcpu.id);
	pthread_setname_np(pthread_self(), name);
	t0 = now_us();

	for (w->done = 0; w->done < w->trips; w->done++) {
		const __u64 *a = w->vcpu.run->papr_hcall.args;
		uint64_t ret[2];

		if (kvmt_run_hcall(&w->vcpu, "worker round trip"))
			break;
		if ((a[0] != (uint64_t)w->done + 1 || a[1] != w->tag) && w->bad++ < 3)
			kvmt_diag("vCPU %d trip %ld: r4 %llu r5 %#llx (tag %#llx)",
				  w->vcpu.id, w->done + 1, (unsigned long long)a[0],
				  (unsigned long long)a[1], (unsigned long long)w->tag);
		ret[0] = w->done + 1;
		ret[1] = w->tag;
		kvmt_hcall_return(&w->vcpu, KVMT_H_SUCCESS, ret, 2);
	}
	w->us = now_us() - t0;
	return NULL;
}

/* r3 = H_TEST; r4 += 1; sc 1; loop  (r5 = per-vCPU tag, set from outside) */
static void emit_counter_loop(struct kvmt_code *code)
{
	kvmt_code_init(code);
	kvmt_emit_li64(code, 3, KVMT_H_TEST);
	kvmt_emit(code, KVMT_ADDI(4, 4, 1));
	kvmt_emit(code, KVMT_SC1);
	kvmt_emit(code, KVMT_B(-16));
}

static int worker_init(struct worker *w, struct kvmt_vm *vm, int id, uint64_t tag)
{
	struct kvm_regs regs;
	int rc;

	memset(w, 0, sizeof(*w));
	w->vcpu.fd = -1;
	rc = kvmt_vcpu_create(vm, &w->vcpu, id);
	if (rc) {
		kvmt_diag("vCPU %d: %s", id, strerror(-rc));
		return rc;
	}
	rc = kvmt_get_regs(&w->vcpu, &regs);
	if (!rc) {
		regs.pc = CODE_GPA;
		regs.msr = KVMT_MSR_REAL_LE;
		regs.gpr[4] = 0;
		regs.gpr[5] = tag;
		rc = kvmt_set_regs(&w->vcpu, &regs);
	}
	if (rc)
		kvmt_diag("vCPU %d registers: %s", id, strerror(-rc));
	w->tag = tag;
	w->trips = opt.smp_trips;
	return rc;
}

static int run_workers(struct worker *w, int n)
{
	pthread_t th[8];
	int i, ok = 1;

	sigset_t alrm;

	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, worker_main, &w[i])) {
			kvmt_diag("pthread_create failed");
			return 0;
		}
	/* the watchdog's SIGALRM must interrupt a worker, not this join */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	for (i = 0; i < n; i++) {
		kvmt_diag("vCPU %d (tag %#llx): %ld/%ld round trips, %ld wrong, %.1f us each",
			  w[i].vcpu.id, (unsigned long long)w[i].tag, w[i].done, w[i].trips,
			  w[i].bad, w[i].done ? w[i].us / w[i].done : 0.0);
		ok &= w[i].done == w[i].trips && !w[i].bad;
	}
	return ok;
}

static void case_smp4(struct l2case *c)
{
	struct worker w[4];
	struct kvmt_code code;
	struct kvmt_vm vm;
	int i, rc, made = 0;

	emit_counter_loop(&code);
	rc = kvmt_vm_create(&vm, 1 * MiB);
	if (!rc)
		rc = kvmt_code_put(&vm, CODE_GPA, &code);
	if (rc) {
		kvmt_diag("VM: %s", strerror(-rc));
		return not_reached(c, "no VM");
	}
	for (i = 0; i < 4; i++, made++)
		if (worker_init(&w[i], &vm, i, 0x5a5a0000 + i))
			break;
	result(c, made == 4 && run_workers(w, 4));
	for (i = 0; i < made; i++)
		kvmt_vcpu_destroy(&w[i].vcpu);
	kvmt_vm_destroy(&vm);
}

/*
 * smpstart: many starts in a row of an L2 with 2 vCPUs, and of one with 2
 * threads per core (KVM_CAP_PPC_SMT 2, as QEMU's -smp 2,threads=2), each
 * vCPU in its own thread.  Every vCPU reports "up" with an hcall, then
 * spins without ever exiting; a timer of its own thread (an L1 timer on
 * the CPU that runs it) interrupts KVM_RUN after SPIN_MS.  The L1 gets the
 * CPU back from its L2 only through the time limit it gives the L0 at
 * every entry (HDEC): when that limit had already passed at the entry and
 * the L0 ignored it, the L2 kept the CPU, the timer could not fire and
 * the start stalled (until an RCU stall IPI after ~20 s).  A KVM_RUN that
 * takes more than STALL_MS is a stall.
 */
#define SPIN_MS		30
#define STALL_MS	3000

struct starter {
	struct kvmt_vcpu vcpu;
	double run_ms;
	int err;		/* 0: came back with EINTR; else what went wrong */
};

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *starter_main(void *arg)
{
	struct starter *s = arg;
	/* periodic, so a signal taken before KVM_RUN is followed by another */
	struct itimerspec its = { .it_interval = { 0, SPIN_MS * 1000000L },
				  .it_value = { 0, SPIN_MS * 1000000L } };
	struct sigevent sev;
	timer_t timer;
	double t0;
	int rc;

	s->err = -1;
	if (kvmt_run_hcall(&s->vcpu, "vCPU up"))
		return NULL;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer)) {
		s->err = errno;
		return NULL;
	}
	t0 = now_us();
	timer_settime(timer, 0, &its, NULL);
	rc = ioctl(s->vcpu.fd, KVM_RUN, 0);
	s->run_ms = (now_us() - t0) / 1000;
	s->err = rc < 0 ? (errno == EINTR ? 0 : errno) : EPROTO;
	timer_delete(timer);
	return NULL;
}

/* One start: VM, 2 vCPUs, both up and spinning, both interrupted. */
static int one_start(const struct kvmt_code *code, int smt, double *max_ms, int *stalls)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_SMT, .args = { 2, 0 } };
	struct starter s[2];
	pthread_t th[2];
	struct kvmt_vm vm;
	sigset_t alrm;
	int i, rc, made = 0, started = 0, ok = 1;

	rc = kvmt_vm_create(&vm, 1 * MiB);
	if (rc) {
		kvmt_diag("KVM_CREATE_VM: %s", strerror(-rc));
		return -1;
	}
	if (smt && ioctl(vm.vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		kvmt_diag("KVM_ENABLE_CAP(KVM_CAP_PPC_SMT, 2): %s", strerror(errno));
		ok = 0;
	}
	rc = ok ? kvmt_code_put(&vm, CODE_GPA, code) : 0;
	for (; ok && !rc && made < 2; made++) {
		memset(&s[made], 0, sizeof(s[made]));
		rc = kvmt_vcpu_create(&vm, &s[made].vcpu, made);
		if (rc)
			break;
		rc = kvmt_set_pc(&s[made].vcpu, CODE_GPA, KVMT_MSR_REAL_LE);
	}
	if (rc) {
		kvmt_diag("vCPU setup: %s", strerror(-rc));
		ok = 0;
	}
	/* the threads inherit this thread's mask: SIGALRM open for them */
	for (; ok && started < 2; started++)
		if (pthread_create(&th[started], NULL, starter_main, &s[started])) {
			kvmt_diag("pthread_create failed");
			ok = 0;
			break;
		}
	/* the watchdog's SIGALRM must interrupt a vCPU thread, not the joins */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	for (i = 0; ok && i < 2; i++) {
		if (s[i].err) {
			kvmt_diag("vCPU %d: %s", i, s[i].err > 0 ? strerror(s[i].err) : "not up");
			ok = 0;
		}
		if (s[i].run_ms > *max_ms)
			*max_ms = s[i].run_ms;
		if (s[i].run_ms > STALL_MS) {
			kvmt_diag("vCPU %d: KVM_RUN came back after %.0f ms (timer at %d ms)",
				  i, s[i].run_ms, SPIN_MS);
			(*stalls)++;
		}
	}
	for (i = 0; i < made; i++)
		kvmt_vcpu_destroy(&s[i].vcpu);
	kvmt_vm_destroy(&vm);
	return ok ? 0 : -1;
}

static void case_smpstart(struct l2case *c)
{
	struct sigaction sa;
	struct kvmt_code code;
	int smt;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_LI(4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	for (smt = 0; smt < 2; smt++) {
		double max_ms = 0, t0 = now_us();
		int i, stalls = 0, failed = 0;

		for (i = 0; i < opt.starts && failed < 3; i++) {
			kvmt_watchdog(WATCHDOG_S);	/* per start, not for all */
			if (one_start(&code, smt, &max_ms, &stalls)) {
				kvmt_diag("%s start %d failed", smt ? "SMT2" : "2-vCPU", i + 1);
				failed++;
			}
		}
		kvmt_diag("%s L2: %d starts, %d stalls, %d failed, slowest KVM_RUN %.0f ms "
			  "(timer %d ms), %.1f s", smt ? "2 threads per core" : "2-vCPU",
			  i, stalls, failed, max_ms, SPIN_MS, (now_us() - t0) / 1e6);
		kvmt_fact(smt ? "l2suite_smpstart_smt2_max_ms" : "l2suite_smpstart_max_ms",
			  "%.0f", max_ms);
		result(c, i == opt.starts && !stalls && !failed);
	}
}

/*
 * dirtylog-smp: a partition-scoped PTE the L1 changes while a vCPU runs
 * must not be used afterwards.  2 vCPUs, each in its own thread, count
 * in a page of their own without ever exiting; the main thread harvests
 * the dirty log (KVM_GET_DIRTY_LOG clears the C bit of each PTE it
 * reports), waits until both counters moved on, and harvests it again:
 * both pages must be in it every round.  A store can only set C again
 * through a fault, so if the L0 still held the translation that was made
 * while C was set (nothing invalidated it: an L0 without H_RPT_INVALIDATE
 * keeps translations until the vCPU exits), the stores went through
 * unseen and the page is missing: a migration would not send it again.
 */
#define DS_VCPUS	2
#define DS_ROUNDS	200
#define DS_BASE		(1 * MiB)
#define DS_STRIDE	0x10000UL
#define DS_WAIT_US	(5 * 1e6)

struct ds_vcpu {
	struct kvmt_vcpu vcpu;
	pthread_t th;
	int err;		/* errno of KVM_RUN: EINTR when we stopped it */
	int exit_reason;
};

static void *ds_vcpu_main(void *arg)
{
	struct ds_vcpu *d = arg;
	int rc;

	rc = ioctl(d->vcpu.fd, KVM_RUN, 0);
	d->err = rc < 0 ? errno : 0;
	d->exit_reason = d->vcpu.run->exit_reason;
	return NULL;
}

static volatile uint64_t *ds_counter(struct kvmt_vm *vm, int i)
{
	return (volatile uint64_t *)((char *)vm->mem + DS_BASE + i * DS_STRIDE);
}

/* Wait until every counter is at least want[i]; 0 or -1 (timed out). */
static int ds_wait(struct kvmt_vm *vm, const uint64_t *want)
{
	double t0 = now_us();
	int i;

	for (;;) {
		for (i = 0; i < DS_VCPUS; i++)
			if (*ds_counter(vm, i) < want[i])
				break;
		if (i == DS_VCPUS)
			return 0;
		if (now_us() - t0 > DS_WAIT_US)
			return -1;
		sched_yield();
	}
}

static int ds_harvest(struct kvmt_vm *vm, uint64_t *bitmap, size_t words, long page,
		      int *missing)
{
	struct kvm_dirty_log log;
	int i;

	memset(&log, 0, sizeof(log));
	memset(bitmap, 0, words * 8);
	log.slot = 0;
	log.dirty_bitmap = bitmap;
	if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return -errno;
	for (i = 0; missing && i < DS_VCPUS; i++) {
		uint64_t bit = (DS_BASE + i * DS_STRIDE) / page;

		if (!(bitmap[bit / 64] & (1ULL << (bit % 64))))
			missing[i]++;
	}
	return 0;
}

static void case_dirtylog_smp(struct l2case *c)
{
	struct ds_vcpu d[DS_VCPUS];
	struct kvmt_code code;
	struct kvmt_vm vm;
	struct sigaction sa;
	uint64_t *bitmap = NULL, want[DS_VCPUS];
	long page = sysconf(_SC_PAGESIZE);
	size_t words;
	int i, r, rc, made = 0, started = 0, ok = 1, missing[DS_VCPUS] = { 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	/* r6 = this vCPU's page (set per vCPU): count there forever */
	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_LD(7, 0, 6));
	kvmt_emit(&code, KVMT_ADDI(7, 7, 1));
	kvmt_emit(&code, KVMT_STD(7, 0, 6));
	kvmt_emit(&code, KVMT_B(-12));
	rc = kvmt_vm_create(&vm, DS_BASE + DS_VCPUS * DS_STRIDE);
	if (!rc)
		rc = kvmt_code_put(&vm, CODE_GPA, &code);
	if (rc) {
		kvmt_diag("VM: %s", strerror(-rc));
		return not_reached(c, "no VM");
	}
	if (dirty_log_on(&vm)) {
		kvmt_vm_destroy(&vm);
		return not_reached(c, "no dirty logging");
	}
	words = (vm.mem_size / page + 63) / 64;
	bitmap = calloc(words, 8);
	for (; bitmap && made < DS_VCPUS; made++) {
		struct kvm_regs regs;

		memset(&d[made], 0, sizeof(d[made]));
		rc = kvmt_vcpu_create(&vm, &d[made].vcpu, made);
		if (rc)
			break;
		rc = kvmt_get_regs(&d[made].vcpu, &regs);
		if (!rc) {
			regs.pc = CODE_GPA;
			regs.msr = KVMT_MSR_REAL_LE;
			regs.gpr[6] = DS_BASE + made * DS_STRIDE;
			rc = kvmt_set_regs(&d[made].vcpu, &regs);
		}
		if (rc) {
			made++;
			break;
		}
	}
	if (!bitmap || rc) {
		kvmt_diag("vCPU setup: %s", bitmap ? strerror(-rc) : "out of memory");
		ok = 0;
	}
	for (; ok && started < DS_VCPUS; started++)
		if (pthread_create(&d[started].th, NULL, ds_vcpu_main, &d[started])) {
			kvmt_diag("pthread_create failed");
			ok = 0;
			break;
		}
	/* both vCPUs counting, their pages mapped writable (C set) */
	for (i = 0; i < DS_VCPUS; i++)
		want[i] = 2;
	if (ok && ds_wait(&vm, want)) {
		kvmt_diag("the vCPUs did not start counting");
		ok = 0;
	}
	rc = ok ? ds_harvest(&vm, bitmap, words, page, NULL) : 0;
	for (r = 0; ok && !rc && r < DS_ROUNDS; r++) {
		/* at least one whole store of each vCPU after the log was cleared */
		for (i = 0; i < DS_VCPUS; i++)
			want[i] = *ds_counter(&vm, i) + 2;
		if (ds_wait(&vm, want)) {
			kvmt_diag("round %d: a vCPU stopped counting", r + 1);
			ok = 0;
			break;
		}
		rc = ds_harvest(&vm, bitmap, words, page, missing);
	}
	if (rc) {
		kvmt_diag("KVM_GET_DIRTY_LOG: %s", strerror(-rc));
		ok = 0;
	}
	for (i = 0; i < started; i++) {
		pthread_kill(d[i].th, SIGUSR1);
		pthread_join(d[i].th, NULL);
		if (d[i].err != EINTR) {
			kvmt_diag("vCPU %d: KVM_RUN ended with %s (exit reason %d), not EINTR",
				  i, d[i].err ? strerror(d[i].err) : "success", d[i].exit_reason);
			ok = 0;
		}
	}
	for (i = 0; i < DS_VCPUS; i++)
		kvmt_diag("vCPU %d: its page missing from %d of %d dirty logs, counter %llu",
			  i, missing[i], r, (unsigned long long)*ds_counter(&vm, i));
	for (i = 0; i < DS_VCPUS; i++)
		ok &= !missing[i];
	result(c, ok && r == DS_ROUNDS);
	free(bitmap);
	for (i = 0; i < made; i++)
		kvmt_vcpu_destroy(&d[i].vcpu);
	kvmt_vm_destroy(&vm);
}

static void case_twovm(struct l2case *c)
{
	struct kvmt_vm vm[2];
	struct worker w[2];
	struct kvmt_code code[2];
	int i, rc, made = 0, ok = 1;

	for (i = 0; i < 2; i++) {
		/* each VM first stores its own tag at DATA_GPA, then counts */
		kvmt_code_init(&code[i]);
		kvmt_emit_li64(&code[i], 6, 0x7700000000000000ULL | i);
		kvmt_emit(&code[i], KVMT_STD(6, DATA_GPA, 0));
		kvmt_emit_li64(&code[i], 3, KVMT_H_TEST);
		kvmt_emit(&code[i], KVMT_ADDI(4, 4, 1));
		kvmt_emit(&code[i], KVMT_SC1);
		kvmt_emit(&code[i], KVMT_B(-16));
	}
	for (i = 0; i < 2; i++, made++) {
		rc = kvmt_vm_create(&vm[i], 1 * MiB);
		if (!rc)
			rc = kvmt_code_put(&vm[i], CODE_GPA, &code[i]);
		if (rc) {
			kvmt_diag("VM %d: %s", i, strerror(-rc));
			if (!rc)
				kvmt_vm_destroy(&vm[i]);
			break;
		}
		if (worker_init(&w[i], &vm[i], 0, 0xb0b0000 + i)) {
			kvmt_vm_destroy(&vm[i]);
			break;
		}
	}
	if (made == 2) {
		ok = run_workers(w, 2);
		for (i = 0; i < 2; i++) {
			uint64_t v = *(uint64_t *)((char *)vm[i].mem + DATA_GPA);

			if (v != (0x7700000000000000ULL | i)) {
				kvmt_diag("VM %d memory holds %#llx: not its own tag", i,
					  (unsigned long long)v);
				ok = 0;
			}
		}
	}
	result(c, made == 2 && ok);
	for (i = 0; i < made; i++) {
		kvmt_vcpu_destroy(&w[i].vcpu);
		kvmt_vm_destroy(&vm[i]);
	}
}

/* ---- lifecycle: create/run/destroy cycles, L1 memory before and after ------ */

/*
 * Tolerances for the whole run of cycles (docs/l2-suite.md has the
 * numbers behind them).  Slab caches fill to a plateau (~18.5 MiB in the
 * lean L1) over the first ~100 cycles: measured from a fresh boot after
 * only 20 warm-up cycles, Slab started anywhere between 12.7 and 17.5 MiB
 * and always ended near 18.5 MiB, with or without the observability
 * patches, which looked like growth; some boots reach the plateau only
 * after 100-200 cycles.  So 200 warm-up cycles run first and 1000 cycles
 * are measured (~2 s in all): flat on the plateau (1000 cycles: Slab
 * 17216 -> 17216 KiB), while a leak grows with every cycle.  And the
 * slab figure is SUnreclaim: settle() drops caches, and the dentries and
 * inodes the cycles create again (KVM's debugfs) are reclaimable slab,
 * which refilled by ~1 MiB right after the baseline; a leaked VM, vCPU or
 * buffer is kmalloc memory, i.e. unreclaimable.  Over 1000 cycles the
 * noise reached 512 KiB SUnreclaim / 2 MiB MemFree once, hence limits of
 * 1 MiB / 4 MiB: still 1 KiB of slab or 4 KiB of pages per cycle.  A leaked vCPU or VM (each several KiB of slab, plus a
 * 64K page-table page) costs 100 x that: far beyond both limits.
 */
#define LEAK_MEMFREE_KB	4096
#define LEAK_SLAB_KB	1024

static int one_cycle(const struct kvmt_code *code, int keep)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	int rc = kvmt_vm_create(&vm, 1 * MiB);

	if (rc)
		return rc;
	rc = kvmt_vcpu_create(&vm, &vcpu, 0);
	if (rc) {
		kvmt_vm_destroy(&vm);
		return rc;
	}
	rc = kvmt_code_put(&vm, CODE_GPA, code);
	if (!rc)
		rc = kvmt_set_pc(&vcpu, CODE_GPA, KVMT_MSR_REAL_LE);
	if (!rc)
		rc = kvmt_run_hcall(&vcpu, "lifecycle run") ? -EIO : 0;
	if (!keep)
		teardown(&vm, &vcpu);
	return rc;
}

static void settle(void)
{
	int fd;

	/* let RCU callbacks and deferred frees run */
	usleep(200 * 1000);
	sync();
	fd = open("/proc/sys/vm/drop_caches", 1);
	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			kvmt_diag("drop_caches: %s", strerror(errno));
		close(fd);
	}
	usleep(100 * 1000);
}

static void case_lifecycle(struct l2case *c)
{
	struct kvmt_code code;
	long free0, free1, slab0, slab1;
	int i, rc = 0, warm = 200, pinned = 0;
	cpu_set_t one, all;

	/*
	 * One L1 CPU: per-CPU slab caches of 3 other CPUs would otherwise
	 * fill at their own pace and look like growth.
	 */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_getaffinity(0, sizeof(all), &all) == 0 &&
	    sched_setaffinity(0, sizeof(one), &one) == 0)
		pinned = 1;
	emit_counter_loop(&code);
	for (i = 0; i < warm && !rc; i++)
		rc = one_cycle(&code, 0);
	if (rc) {
		kvmt_diag("warm-up cycle: %s", strerror(-rc));
		if (pinned)
			sched_setaffinity(0, sizeof(all), &all);
		return not_reached(c, "no VM");
	}
	settle();
	free0 = kvmt_meminfo_kb("MemFree");
	slab0 = kvmt_meminfo_kb("SUnreclaim");
	for (i = 0; i < opt.cycles; i++) {
		rc = one_cycle(&code, opt.keep_vms);
		if (rc) {
			kvmt_diag("cycle %d: %s", i, strerror(-rc));
			break;
		}
		if (i % 100 == 99 && i + 1 < opt.cycles)
			kvmt_diag("after %d cycles: MemFree %ld kB, SUnreclaim %ld kB", i + 1,
				  kvmt_meminfo_kb("MemFree"), kvmt_meminfo_kb("SUnreclaim"));
	}
	settle();
	free1 = kvmt_meminfo_kb("MemFree");
	slab1 = kvmt_meminfo_kb("SUnreclaim");
	if (pinned)
		sched_setaffinity(0, sizeof(all), &all);
	result(c, i == opt.cycles);
	kvmt_fact("l2suite_lifecycle_memfree_drop_kb", "%ld", free0 - free1);
	kvmt_fact("l2suite_lifecycle_slab_growth_kb", "%ld", slab1 - slab0);
	kvmt_diag("%d cycles: MemFree %ld -> %ld kB, SUnreclaim %ld -> %ld kB (tolerance %d / %d kB)",
		  i, free0, free1, slab0, slab1, LEAK_MEMFREE_KB, LEAK_SLAB_KB);
	result(c, free0 > 0 && slab0 > 0 && free0 - free1 <= LEAK_MEMFREE_KB &&
		  slab1 - slab0 <= LEAK_SLAB_KB);
}

/* ---- onereg: every KVM_REG_PPC_* id, set -> run -> get ------------------- */

#define MAX_ONEREG 400
static struct onereg oregs[MAX_ONEREG];
static int n_oregs;

struct oreg_state {
	int ok;
	int implemented;	/* get worked before anything was set */
	uint64_t want[2];
};
static struct oreg_state ostate[MAX_ONEREG];

static const char *err_name(int rc)
{
	static __thread char buf[32];

	switch (rc) {
	case 0: return "ok";
	case -EINVAL: return "EINVAL";
	case -ENXIO: return "ENXIO";
	case -EFAULT: return "EFAULT";
	case -E2BIG: return "E2BIG";
	case -EIO: return "EIO";
	default:
		snprintf(buf, sizeof(buf), "error %d", rc);
		return buf;
	}
}

static int oreg_get(struct kvmt_vcpu *vcpu, const struct onereg *e, uint64_t v[2])
{
	uint64_t buf[2] = { 0, 0 };
	int rc;

	if (kvmt_reg_size(e->id) <= 8)
		rc = kvmt_get_reg64(vcpu, e->id, &buf[0]);
	else
		rc = kvmt_get_one_reg(vcpu, e->id, buf);
	v[0] = buf[0];
	v[1] = buf[1];
	return rc;
}

static int oreg_set(struct kvmt_vcpu *vcpu, const struct onereg *e, const uint64_t v[2])
{
	if (kvmt_reg_size(e->id) <= 8)
		return kvmt_set_reg64(vcpu, e->id, v[0]);
	return kvmt_set_one_reg(vcpu, e->id, v);
}

static int is_lpcr(const struct onereg *e)
{
	return e->id == KVM_REG_PPC_LPCR || e->id == KVM_REG_PPC_LPCR_64;
}

/* Both calls must fail with one of the listed errors. */
static int expect_refused(const struct onereg *e, int rc_get, int rc_set, int alt)
{
	int ok = 1;

	if (rc_get != -EINVAL && rc_get != alt) {
		kvmt_diag("%s: get %s, expected EINVAL%s", e->name, err_name(rc_get),
			  alt ? " or ENXIO" : "");
		ok = 0;
	}
	if (rc_set != -EINVAL && rc_set != alt) {
		kvmt_diag("%s: set %s, expected EINVAL%s", e->name, err_name(rc_set),
			  alt ? " or ENXIO" : "");
		ok = 0;
	}
	return ok;
}

/* Before the run: get, set, get again. */
static void oreg_prepare(struct kvmt_vcpu *vcpu, int i)
{
	const struct onereg *e = &oregs[i];
	struct oreg_state *s = &ostate[i];
	uint64_t cur[2], back[2], v[2] = { e->val, e->val2 };
	int rc, rc_get, words = kvmt_reg_size(e->id) > 8 ? 2 : 1;

	s->ok = 1;
	rc_get = oreg_get(vcpu, e, cur);
	s->implemented = rc_get == 0;
	switch (e->kind) {
	case OR_NOTHV:
		s->ok = expect_refused(e, rc_get, oreg_set(vcpu, e, v), 0);
		return;
	case OR_IRQCHIP:
		s->ok = expect_refused(e, rc_get, oreg_set(vcpu, e, v), -ENXIO);
		return;
	case OR_TM:
		if (rc_get == -EINVAL) {
			s->ok = expect_refused(e, rc_get, oreg_set(vcpu, e, v), 0);
			return;
		}
		break;
	default:
		break;
	}
	if (rc_get) {
		kvmt_diag("%s: get %s: not implemented by this kernel", e->name,
			  err_name(rc_get));
		s->ok = 0;
		return;
	}
	if (e->kind == OR_RO) {
		rc = oreg_set(vcpu, e, cur);
		if (rc != -EINVAL) {
			kvmt_diag("%s: set %s, expected EINVAL (read-only)", e->name,
				  err_name(rc));
			s->ok = 0;
		}
		s->want[0] = cur[0];
		s->want[1] = cur[1];
		return;
	}
	if (e->kind == OR_ZERO) {
		uint64_t nz[2] = { 0x1000, 0 };

		rc = oreg_set(vcpu, e, nz);
		if (rc != -EINVAL) {
			kvmt_diag("%s = 0x1000: %s, expected EINVAL", e->name, err_name(rc));
			s->ok = 0;
		}
		v[0] = 0;
	}
	/* LPCR: userspace may set ILE (and DPFD, TC, AIL, LD); set ILE */
	if (is_lpcr(e))
		v[0] = cur[0] | KVMT_LPCR_ILE;
	/* DEC_EXPIRY: in guest timebase (host TB + TB_OFFSET) */
	if (e->kind == OR_NEAR) {
		uint64_t off = 0;

		kvmt_get_reg64(vcpu, KVM_REG_PPC_TB_OFFSET, &off);
		v[0] = __builtin_ppc_get_timebase() + off + e->val;
	}
	rc = oreg_set(vcpu, e, v);
	if (rc) {
		kvmt_diag("%s: set %#llx: %s", e->name, (unsigned long long)v[0], err_name(rc));
		s->ok = 0;
		return;
	}
	s->want[0] = v[0];
	s->want[1] = words > 1 ? v[1] : 0;
	if (kvmt_reg_size(e->id) == 4)
		s->want[0] &= 0xffffffffULL;
	if (e->kind == OR_MASK)
		s->want[0] &= e->mask;
	rc = oreg_get(vcpu, e, back);
	if (e->kind == OR_BITS) {
		s->want[0] &= e->mask;
		back[0] &= e->mask;
	}
	if (rc || back[0] != s->want[0] || back[1] != s->want[1]) {
		kvmt_diag("%s: before the run: get %s %#llx:%#llx, set %#llx:%#llx", e->name,
			  err_name(rc), (unsigned long long)back[1], (unsigned long long)back[0],
			  (unsigned long long)s->want[1], (unsigned long long)s->want[0]);
		s->ok = 0;
	}
}

/* After the run: get and compare. */
static void oreg_check(struct kvmt_vcpu *vcpu, int i)
{
	const struct onereg *e = &oregs[i];
	struct oreg_state *s = &ostate[i];
	uint64_t got[2];
	int rc, ok;

	if (!s->ok || e->kind == OR_NOTHV || e->kind == OR_IRQCHIP ||
	    (e->kind == OR_TM && !s->implemented))
		return;
	rc = oreg_get(vcpu, e, got);
	if (e->kind == OR_BITS)
		got[0] &= e->mask;
	if (e->kind == OR_COUNT)
		ok = !rc && got[0] >= s->want[0] && got[0] - s->want[0] < (1ULL << 40);
	else if (e->kind == OR_NEAR)
		ok = !rc && got[0] - s->want[0] + ONEREG_NEAR_TICKS < 2 * ONEREG_NEAR_TICKS;
	else
		ok = !rc && got[0] == s->want[0] && got[1] == s->want[1];
	if (!ok) {
		kvmt_diag("%s: after the run: get %s %#llx:%#llx, set %s%#llx:%#llx", e->name,
			  err_name(rc), (unsigned long long)got[1], (unsigned long long)got[0],
			  e->kind == OR_COUNT ? ">= " : e->kind == OR_NEAR ? "~" : "",
			  (unsigned long long)s->want[1], (unsigned long long)s->want[0]);
		s->ok = 0;
	}
}

static uint64_t sreg_val(int i)
{
	return 0x6000000000000000ULL | (uint64_t)i << 32 | (0xbeef0000 + i);
}

/* KVM_SET_REGS before, KVM_GET_REGS after (the code only changes r3). */
static void regs_prepare(struct kvmt_vcpu *vcpu, struct kvm_regs *want)
{
	kvmt_get_regs(vcpu, want);
	for (int i = 0; i < 32; i++)
		want->gpr[i] = sreg_val(i);
	want->cr = 0x24682468;
	want->ctr = sreg_val(40);
	want->lr = sreg_val(41);
	want->xer = 0x20000007;
	want->sprg0 = sreg_val(42);
	want->sprg1 = sreg_val(43);
	want->sprg2 = sreg_val(44);
	want->sprg3 = sreg_val(45);
	want->pc = CODE_GPA;
	want->msr = KVMT_MSR_REAL_LE;
	if (kvmt_set_regs(vcpu, want))
		kvmt_diag("KVM_SET_REGS failed");
}

static int regs_check(struct kvmt_vcpu *vcpu, const struct kvm_regs *want)
{
	struct kvm_regs got;
	int ok = 1;

#define CMP(f, name)							\
	do {								\
		if (got.f != want->f) {					\
			kvmt_diag("KVM_GET_REGS %s: %#llx, set %#llx", name,	\
				  (unsigned long long)got.f,		\
				  (unsigned long long)want->f);		\
			ok = 0;						\
		}							\
	} while (0)

	if (kvmt_get_regs(vcpu, &got)) {
		kvmt_diag("KVM_GET_REGS failed");
		return 0;
	}
	/* r3 is the hcall number; SRR0/1 are clobbered by sc (ISA) */
	for (int i = 0; i < 32; i++) {
		char name[8];

		if (i == 3)
			continue;
		snprintf(name, sizeof(name), "r%d", i);
		CMP(gpr[i], name);
	}
	CMP(cr, "CR");
	CMP(ctr, "CTR");
	CMP(lr, "LR");
	CMP(xer, "XER");
	/* MSR[ME] belongs to the hypervisor (forced on at entry) */
	got.msr |= want->msr & KVMT_MSR_ME;
	CMP(msr, "MSR");
	CMP(sprg0, "SPRG0");
	CMP(sprg1, "SPRG1");
	CMP(sprg2, "SPRG2");
	CMP(sprg3, "SPRG3");
#undef CMP
	return ok;
}

static void case_onereg(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	struct kvm_regs regs;
	int i, ran;

	kvmt_code_init(&code);
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	for (i = 0; i < n_oregs; i++)
		oreg_prepare(&vcpu, i);
	regs_prepare(&vcpu, &regs);
	ran = kvmt_run_hcall(&vcpu, "one-reg run") == 0;
	if (ran) {
		for (i = 0; i < n_oregs; i++)
			oreg_check(&vcpu, i);
	}
	/* results in table order; a group reports once, at its first id */
	for (i = 0; i < n_oregs; i++) {
		int g = oregs[i].group, ok = ran, j;

		if (!g) {
			result(c, ok && ostate[i].ok);
			continue;
		}
		for (j = 0; j < i; j++)
			if (oregs[j].group == g)
				break;
		if (j < i)
			continue;
		for (j = i; j < n_oregs; j++)
			if (oregs[j].group == g)
				ok &= ostate[j].ok;
		result(c, ok);
	}
	result(c, ran && regs_check(&vcpu, &regs));
	teardown(&vm, &vcpu);
}

/* ---- badreg: invalid one-reg ids and values --------------------------------- */

#define BAD_ID		(KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xfff)
#define DSCR_AS_U32	(KVM_REG_PPC | KVM_REG_SIZE_U32 | 0x9)
#define DSCR_AS_U1024	(KVM_REG_PPC | KVM_REG_SIZE_U1024 | 0x9)
#define ARM64_ID	(0x6000000000000000ULL | KVM_REG_SIZE_U64 | 0x9)

static int want_err(int rc, int err, const char *what)
{
	if (rc == -err)
		return 1;
	kvmt_diag("%s: %s, expected %s", what, err_name(rc), err_name(-err));
	return 0;
}

static void case_badreg(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	struct kvm_sregs sregs, sregs2;
	uint64_t buf[16] = { 0 }, v, dscr = 0x11, compat = 0x0f000005;
	void *unmapped;
	int ok;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_ADDI(4, 4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	/* known good state, checked at the end */
	if (kvmt_set_reg64(&vcpu, KVM_REG_PPC_DSCR, dscr) ||
	    kvmt_set_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, compat) ||
	    kvmt_get_sregs(&vcpu, &sregs)) {
		kvmt_diag("setting up DSCR/ARCH_COMPAT/SREGS failed");
		teardown(&vm, &vcpu);
		return not_reached(c, "setup failed");
	}

	ok = want_err(kvmt_get_one_reg(&vcpu, BAD_ID, buf), EINVAL, "get unknown id");
	ok &= want_err(kvmt_set_one_reg(&vcpu, BAD_ID, buf), EINVAL, "set unknown id");
	result(c, ok);

	ok = want_err(kvmt_get_one_reg(&vcpu, DSCR_AS_U32, buf), EINVAL, "get DSCR as U32");
	ok &= want_err(kvmt_set_one_reg(&vcpu, DSCR_AS_U32, buf), EINVAL, "set DSCR as U32");
	result(c, ok);

	ok = want_err(kvmt_get_one_reg(&vcpu, DSCR_AS_U1024, buf), EINVAL, "get U1024");
	ok &= want_err(kvmt_set_one_reg(&vcpu, DSCR_AS_U1024, buf), EINVAL, "set U1024");
	ok &= want_err(kvmt_get_one_reg(&vcpu, ARM64_ID, buf), EINVAL, "get arm64 id");
	ok &= want_err(kvmt_set_one_reg(&vcpu, ARM64_ID, buf), EINVAL, "set arm64 id");
	result(c, ok);

	unmapped = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, 65536);
	ok = want_err(kvmt_get_one_reg(&vcpu, KVM_REG_PPC_DSCR, unmapped), EFAULT,
		      "get DSCR into an unmapped buffer");
	ok &= want_err(kvmt_set_one_reg(&vcpu, KVM_REG_PPC_DSCR, unmapped), EFAULT,
		       "set DSCR from an unmapped buffer");
	result(c, ok);

	ok = want_err(kvmt_set_reg64(&vcpu, KVM_REG_PPC_HIOR, 0x1000), EINVAL, "HIOR = 0x1000");
	ok &= want_err(kvmt_set_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, 0x12345678), EINVAL,
		       "ARCH_COMPAT = 0x12345678");
	sregs2 = sregs;
	sregs2.pvr ^= 0x00010000;
	ok &= want_err(kvmt_set_sregs(&vcpu, &sregs2), EINVAL, "KVM_SET_SREGS with another PVR");
	result(c, ok);

	ok = 1;
	if (kvmt_get_reg64(&vcpu, KVM_REG_PPC_DSCR, &v) || v != dscr) {
		kvmt_diag("DSCR is %#llx after the failed calls, was %#llx",
			  (unsigned long long)v, (unsigned long long)dscr);
		ok = 0;
	}
	if (kvmt_get_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, &v) || v != compat) {
		kvmt_diag("ARCH_COMPAT is %#llx, was %#llx", (unsigned long long)v,
			  (unsigned long long)compat);
		ok = 0;
	}
	if (kvmt_get_reg64(&vcpu, KVM_REG_PPC_HIOR, &v) || v != 0) {
		kvmt_diag("HIOR is %#llx, was 0", (unsigned long long)v);
		ok = 0;
	}
	if (kvmt_get_sregs(&vcpu, &sregs2) || sregs2.pvr != sregs.pvr) {
		kvmt_diag("PVR is %#x, was %#x", sregs2.pvr, sregs.pvr);
		ok = 0;
	}
	if (kvmt_run_hcall(&vcpu, "after the bad calls") ||
	    vcpu.run->papr_hcall.args[0] != 1) {
		kvmt_diag("the vCPU did not run on correctly");
		ok = 0;
	}
	if (ok && (kvmt_get_reg64(&vcpu, KVM_REG_PPC_DSCR, &v) || v != dscr)) {
		kvmt_diag("DSCR after the run: %#llx", (unsigned long long)v);
		ok = 0;
	}
	result(c, ok);
	teardown(&vm, &vcpu);
}

/* ---- dec-tboffset: the DEC survives a TB_OFFSET set while stopped -------- */

/*
 * What QEMU does on every resume (virsh suspend/resume, a cancelled
 * migration): read TB_OFFSET and set it back.  The L2's decrementer must
 * go on from where it was, not from an old expiry the L1 had cached.  The
 * L2 reads the timebase after mtdec and before mfdec, so the DEC it must
 * see is known to the tick: DEC_FAR less the timebase ticks in between.
 */
#define DEC_FAR		0x7fff0000UL	/* ~2 s at 512 MHz */
#define SPR_TBRL	268
#define DEC_TOLERANCE	(1LL << 20)	/* 2 ms: the few L2 instructions around */

static void case_dec_tboffset(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t tb_offset, dec, tb0, tb1;
	long long want, off;
	int rc, ok;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 9, DEC_FAR);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_DEC, 9));
	kvmt_emit(&code, KVMT_MFSPR(5, SPR_TBRL));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_MFSPR(4, KVMT_SPR_DEC));
	kvmt_emit(&code, KVMT_MFSPR(6, SPR_TBRL));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	if (kvmt_run_hcall(&vcpu, "after mtdec")) {
		teardown(&vm, &vcpu);
		return not_reached(c, "the L2 did not set its DEC");
	}
	/* stopped for a while, as a suspended guest is */
	usleep(200 * 1000);
	rc = kvmt_get_reg64(&vcpu, KVM_REG_PPC_TB_OFFSET, &tb_offset);
	if (!rc)
		rc = kvmt_set_reg64(&vcpu, KVM_REG_PPC_TB_OFFSET, tb_offset);
	if (rc) {
		kvmt_diag("TB_OFFSET get/set back: %s", strerror(-rc));
		teardown(&vm, &vcpu);
		return not_reached(c, "TB_OFFSET not settable");
	}
	if (kvmt_run_hcall(&vcpu, "after mfdec")) {
		teardown(&vm, &vcpu);
		return not_reached(c, "the L2 did not report its DEC");
	}
	dec = vcpu.run->papr_hcall.args[0];
	tb0 = vcpu.run->papr_hcall.args[1];
	tb1 = vcpu.run->papr_hcall.args[2];
	want = (long long)DEC_FAR - (long long)(tb1 - tb0);
	off = (long long)(int32_t)(uint32_t)dec - want;
	ok = off > -DEC_TOLERANCE && off < DEC_TOLERANCE;
	kvmt_diag("TB_OFFSET %#llx set back; mfdec %#x, expected %#llx (mtdec %#lx, %llu ticks "
		  "later): off by %lld ticks%s", (unsigned long long)tb_offset, (uint32_t)dec,
		  want, DEC_FAR, (unsigned long long)(tb1 - tb0), off,
		  ok ? "" : ": the decrementer was moved to an old expiry");
	result(c, ok);
	teardown(&vm, &vcpu);
}

/*
 * tboffset-smp: the L1's own timebase stays where it is when the VMM
 * changes the guest's timebase offset while a vCPU of that guest runs.
 * vCPU 0 spins in the L2 (`b .`) in a thread on L1 CPU 1, each KVM_RUN cut
 * by a 20 ms timer of that thread; meanwhile this thread (on CPU 0) sets
 * KVM_REG_PPC_TB_OFFSET of vCPU 1 to 0 and to 4 << 24 in turn and runs
 * vCPU 1 to an hcall, which sends the offset to the L0 (it is guest-wide:
 * H_GUEST_SET_STATE of TB_OFFSET in nestedv2).  An L0 that
 * takes the new offset off when the running vCPU exits, instead of the one
 * it added at entry, moves CPU 1's timebase by a multiple of 2^24 ticks
 * (32 ms) against CPU 0's: the L1's clocks and timers break (found by the
 * ioctl fuzzer: a KVM_RUN that "took" 2^40 ns, then vCPU threads that
 * never came back; QEMU patch 0040).  The skew of CPU 1 against CPU 0 is
 * measured by ping-pong (each side reads its timebase after seeing the
 * other's value; the smallest difference each way bounds the skew).
 */
#define TBS_RUNS	30
#define TBS_TRIES	40
#define TBS_MAX_SKEW	(1LL << 23)	/* half the 2^24 granule of TB_OFFSET */
#define TBS_CODE1	(CODE_GPA + 0x1000)	/* vCPU 1: our hcall at once */
#define TBS_DEADLINE_US	(60 * 1e6)

static volatile uint64_t tbs_val[2];
static volatile int tbs_seq[2];

static uint64_t mftb(void)
{
	return __builtin_ppc_get_timebase();
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * One side of the ping-pong: side 0 (CPU 0) starts.  Each round, the side
 * whose turn it is writes its timebase; the other reads its own once it
 * saw it.  Returns min(own - other's) over the rounds it received.
 */
static long long tbs_pingpong(int side)
{
	long long best = LLONG_MAX;

	for (int i = 0; i < TBS_TRIES; i++) {
		if ((i & 1) == side) {
			tbs_val[side] = mftb();
			__atomic_store_n(&tbs_seq[side], i + 1, __ATOMIC_RELEASE);
		} else {
			double t0 = now_us();
			uint64_t mine;

			while (__atomic_load_n(&tbs_seq[!side], __ATOMIC_ACQUIRE) != i + 1)
				if (now_us() - t0 > 5e6)
					return LLONG_MIN;	/* the other side is gone */
			mine = mftb();
			if ((long long)(mine - tbs_val[!side]) < best)
				best = (long long)(mine - tbs_val[!side]);
		}
		/* both wait for the round to be seen before the next */
		while (__atomic_load_n(&tbs_seq[(i & 1)], __ATOMIC_ACQUIRE) != i + 1)
			;
	}
	return best;
}

struct tbs_thread {
	struct kvmt_vcpu *vcpu;
	int runs, err, phase;
	long long best;		/* its ping-pong result */
	volatile int go;	/* 1: start the runs, 2: ping-pong */
	volatile int done;
};

static void *tbs_main(void *arg)
{
	struct tbs_thread *t = arg;
	/* periodic, so a signal taken before KVM_RUN is followed by another */
	struct itimerspec its = { .it_interval = { 0, 20 * 1000000L },
				  .it_value = { 0, 20 * 1000000L } };
	struct sigevent sev;
	timer_t timer;
	int have_timer = 0;

	t->err = pin_cpu(1);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = gettid();
	if (!t->err) {
		if (timer_create(CLOCK_MONOTONIC, &sev, &timer))
			t->err = -errno;
		else
			have_timer = 1;
	}
	while (!t->err && t->go < 1)
		usleep(1000);
	for (; !t->err && t->runs < TBS_RUNS; t->runs++) {
		timer_settime(timer, 0, &its, NULL);
		if (ioctl(t->vcpu->fd, KVM_RUN, 0) == 0 || errno != EINTR)
			t->err = errno ? -errno : -EPROTO;
	}
	if (have_timer)
		timer_delete(timer);	/* periodic: stop it on failure too */
	t->done = 1;
	while (!t->err && t->go < 2)
		;
	if (!t->err)
		t->best = tbs_pingpong(1);
	return NULL;
}

static void case_tboffset_smp(struct l2case *c)
{
	struct sigaction sa;
	struct tbs_thread t;
	struct kvmt_code code;
	struct kvmt_vcpu vcpu0, vcpu1;
	struct kvmt_vm vm;
	pthread_t th;
	sigset_t alrm;
	long long mine, skew;
	int rc, sets = 0;
	cpu_set_t all;
	double t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_B(0));
	if (setup(c, &vm, &vcpu0, 1 * MiB, &code))
		return not_reached(c, "no VM");
	kvmt_code_init(&code);
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(0));
	rc = kvmt_code_put(&vm, TBS_CODE1, &code);
	if (!rc)
		rc = kvmt_vcpu_create(&vm, &vcpu1, 1);
	if (rc) {
		kvmt_diag("vCPU 1: %s", strerror(-rc));
		teardown(&vm, &vcpu0);
		return not_reached(c, "no second vCPU");
	}
	memset(&t, 0, sizeof(t));
	t.vcpu = &vcpu0;
	tbs_seq[0] = tbs_seq[1] = 0;
	sched_getaffinity(0, sizeof(all), &all);	/* restored at the end */
	if (pin_cpu(0) || pthread_create(&th, NULL, tbs_main, &t)) {
		kvmt_diag("pin/pthread_create failed");
		sched_setaffinity(0, sizeof(all), &all);
		kvmt_vcpu_destroy(&vcpu1);
		teardown(&vm, &vcpu0);
		return not_reached(c, "no thread");
	}
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigaddset(&alrm, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	t.go = 1;
	t0 = now_us();
	while (!t.done) {
		if (now_us() - t0 > TBS_DEADLINE_US) {
			/* stuck in KVM_RUN: nothing later in this L1 can be trusted */
			kvmt_diag("vCPU 0's thread did not come back from KVM_RUN in %.0f s "
				  "(%d runs, TB_OFFSET set %d times): the L1's timebase moved "
				  "and its timer on CPU 1 did not fire", TBS_DEADLINE_US / 1e6,
				  t.runs, sets);
			result(c, 0);
			fflush(stdout);
			_exit(1);
		}
		/* the new offset reaches the L0 when vCPU 1 next runs (to an hcall) */
		rc = kvmt_set_reg64(&vcpu1, KVM_REG_PPC_TB_OFFSET, (sets++ & 1) ? 4ULL << 24 : 0);
		if (!rc)
			rc = kvmt_set_pc(&vcpu1, TBS_CODE1, KVMT_MSR_REAL_LE);
		if (!rc)
			rc = kvmt_run_hcall(&vcpu1, "vCPU 1") ? -EIO : 0;
		if (rc) {
			kvmt_diag("TB_OFFSET set and run of vCPU 1: %s", strerror(-rc));
			break;
		}
		usleep(2000);
	}
	t.go = 2;
	mine = t.err ? LLONG_MIN : tbs_pingpong(0);
	pthread_join(th, NULL);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	kvmt_set_reg64(&vcpu1, KVM_REG_PPC_TB_OFFSET, 0);
	if (t.err || mine == LLONG_MIN || t.best == LLONG_MIN) {
		kvmt_diag("vCPU thread: %s after %d runs", strerror(-t.err), t.runs);
		result(c, 0);
	} else {
		/* mine >= lat - S, t.best >= lat + S: S <= (t.best - mine) / 2 and so on */
		skew = (t.best - mine) / 2;
		kvmt_diag("%d runs of vCPU 0 on CPU 1 while TB_OFFSET was set %d times; "
			  "timebase of CPU 1 - CPU 0: %lld ticks (ping-pong minima %lld, %lld)",
			  t.runs, sets, skew, mine, t.best);
		result(c, t.runs == TBS_RUNS && sets > 2 && skew > -TBS_MAX_SKEW &&
		       skew < TBS_MAX_SKEW);
	}
	sched_setaffinity(0, sizeof(all), &all);
	kvmt_vcpu_destroy(&vcpu1);
	teardown(&vm, &vcpu0);
}

/* ---- compat-p8: processor compatibility modes the L0 cannot run ---------- */

#define PVR_ARCH_205	0x0f000002ULL
#define PVR_ARCH_206	0x0f000003ULL
#define PVR_ARCH_207	0x0f000004ULL
#define PVR_ARCH_300	0x0f000005ULL

static void case_compat_p8(struct l2case *c)
{
	static const uint64_t old[] = { PVR_ARCH_207, PVR_ARCH_206, PVR_ARCH_205 };
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	uint64_t before, v;
	int ok = 1;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_ADDI(4, 4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(-(int)kvmt_code_here(&code)));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	if (kvmt_get_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, &before)) {
		teardown(&vm, &vcpu);
		return not_reached(c, "ARCH_COMPAT not readable");
	}
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "ARCH_COMPAT = %#llx", (unsigned long long)old[i]);
		ok &= want_err(kvmt_set_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, old[i]),
			       EINVAL, what);
	}
	if (kvmt_get_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, &v) || v != before) {
		kvmt_diag("ARCH_COMPAT is %#llx after the refused sets, was %#llx",
			  (unsigned long long)v, (unsigned long long)before);
		ok = 0;
	}
	result(c, ok);

	ok = want_err(kvmt_set_reg64(&vcpu, KVM_REG_PPC_ARCH_COMPAT, PVR_ARCH_300), 0,
		      "ARCH_COMPAT = POWER9 (ISA 3.0)");
	if (kvmt_run_hcall(&vcpu, "first run") || vcpu.run->papr_hcall.args[0] != 1 ||
	    kvmt_run_hcall(&vcpu, "second run") || vcpu.run->papr_hcall.args[0] != 2) {
		kvmt_diag("the vCPU did not run in POWER9 mode");
		ok = 0;
	}
	result(c, ok);
	teardown(&vm, &vcpu);
}

/* ---- vcpu-reject: a refused KVM_CREATE_VCPU creates nothing in the L0 ---- */

static int create_vcpu_counted(struct kvmt_hcount *hc, struct kvmt_vm *vm, int id,
			       uint64_t *created)
{
	int fd, err;

	kvmt_hcount_start(hc);
	fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	err = fd < 0 ? -errno : 0;
	kvmt_hcount_stop(hc);
	*created = kvmt_hcount_get(hc, KVMT_HC_GUEST_CREATE_VCPU);
	if (fd >= 0)
		close(fd);
	return err;
}

static void case_vcpu_reject(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu, vcpu1;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	uint64_t created;
	int rc, max_id, max_vcpus, ok;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_ADDI(4, 4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(-(int)kvmt_code_here(&code)));
	rc = kvmt_hcount_open(&hc);
	if (rc) {
		kvmt_diag("hcall counters (powerpc:hcall_entry): %s", strerror(-rc));
		return not_reached(c, "cannot count L1 -> L0 hcalls");
	}
	if (setup(c, &vm, &vcpu, 1 * MiB, &code)) {
		kvmt_hcount_close(&hc);
		return not_reached(c, "no VM");
	}
	max_id = ioctl(vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	max_vcpus = ioctl(vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	kvmt_diag("KVM_CAP_MAX_VCPU_ID %d, KVM_CAP_MAX_VCPUS %d", max_id, max_vcpus);

	/* an ID the generic code lets through and Book3S HV refuses */
	if (max_id - 1 < max_vcpus) {
		kvmt_diag("no vCPU ID between MAX_VCPUS and MAX_VCPU_ID to try");
		ok = 0;
	} else {
		rc = create_vcpu_counted(&hc, &vm, max_id - 1, &created);
		kvmt_diag("KVM_CREATE_VCPU %d: %s, %llu H_GUEST_CREATE_VCPU", max_id - 1,
			  err_name(rc), (unsigned long long)created);
		ok = rc == -EINVAL && created == 0;
	}
	result(c, ok);

	rc = create_vcpu_counted(&hc, &vm, 0, &created);
	kvmt_diag("KVM_CREATE_VCPU 0 again: %s, %llu H_GUEST_CREATE_VCPU", err_name(rc),
		  (unsigned long long)created);
	result(c, rc < 0 && created == 0);

	ok = 1;
	rc = kvmt_vcpu_create(&vm, &vcpu1, 1);
	if (!rc)
		rc = kvmt_set_pc(&vcpu1, CODE_GPA, KVMT_MSR_REAL_LE);
	if (rc) {
		kvmt_diag("vCPU 1 after the refused ones: %s", strerror(-rc));
		ok = 0;
	} else {
		if (kvmt_run_hcall(&vcpu1, "vCPU 1") || vcpu1.run->papr_hcall.args[0] != 1)
			ok = 0;
		kvmt_vcpu_destroy(&vcpu1);
	}
	if (kvmt_run_hcall(&vcpu, "vCPU 0") || vcpu.run->papr_hcall.args[0] != 1)
		ok = 0;
	result(c, ok);
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
}

/* ---- getstate-fail: a failed H_GUEST_GET_STATE reaches the VMM ----------- */

/*
 * The L2 of getstate-fail and getregs-fail, after what CODE already holds:
 * a loop of r4 += 1 and our test hcall.  Counts the hcalls of the L1 from
 * here (*COUNTING: the counter could be opened), makes the VM and runs it
 * to its first hcall; on failure reports the case not reached, cleans up
 * and returns -1.
 */
static int counted_loop_start(struct l2case *c, struct kvmt_vm *vm, struct kvmt_vcpu *vcpu,
			      struct kvmt_code *code, struct kvmt_hcount *hc, int *counting)
{
	uint64_t loop = kvmt_code_here(code);

	kvmt_emit(code, KVMT_ADDI(4, 4, 1));
	kvmt_emit_hcall(code, KVMT_H_TEST);
	kvmt_emit(code, KVMT_B(-(int)(kvmt_code_here(code) - loop)));
	*counting = !kvmt_hcount_open(hc) && !kvmt_hcount_start(hc);
	if (setup(c, vm, vcpu, 1 * MiB, code)) {
		if (*counting)
			kvmt_hcount_close(hc);
		not_reached(c, "no VM");
		return -1;
	}
	if (kvmt_run_hcall(vcpu, "first run")) {
		teardown(vm, vcpu);
		if (*counting)
			kvmt_hcount_close(hc);
		not_reached(c, "the L2 did not run");
		return -1;
	}
	return 0;
}

/*
 * Only when named: the L0 must fail the H_GUEST_GET_STATE that the
 * KVM_GET_ONE_REG below makes (x-nested-papr-fault=get-state:N:H_HARDWARE,
 * make l2-faults-ours; the case prints which N that is for the kernel).
 * The L2 sets TAR, which is not in the run output buffer, so the L1
 * fetches it for KVM_GET_ONE_REG: that fetch is the one that fails.
 */
#define TAR_SPR		815
#define TAR_VAL	0x5a5a0123456789a5ULL

static void case_getstate_fail(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	struct kvmt_hcount hc;
	uint64_t v = 0;
	int rc, ok, counting;

	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 5, TAR_VAL);
	kvmt_emit(&code, KVMT_MTSPR(TAR_SPR, 5));
	/* which H_GUEST_GET_STATE of the boot the GET_ONE_REG makes */
	if (counted_loop_start(c, &vm, &vcpu, &code, &hc, &counting))
		return;
	if (counting) {
		kvmt_hcount_stop(&hc);
		kvmt_diag("%llu H_GUEST_GET_STATE before KVM_GET_ONE_REG: the L0 must fail "
			  "call %llu (x-nested-papr-fault=get-state:%llu:H_HARDWARE)",
			  (unsigned long long)kvmt_hcount_get(&hc, KVMT_HC_GUEST_GET_STATE),
			  (unsigned long long)kvmt_hcount_get(&hc, KVMT_HC_GUEST_GET_STATE) + 1,
			  (unsigned long long)kvmt_hcount_get(&hc, KVMT_HC_GUEST_GET_STATE) + 1);
		kvmt_hcount_close(&hc);
	}
	rc = kvmt_get_reg64(&vcpu, KVM_REG_PPC_TAR, &v);
	kvmt_diag("KVM_GET_ONE_REG TAR with GET_STATE failing: %s, %#llx", err_name(rc),
		  (unsigned long long)v);
	result(c, rc == -EIO);

	rc = kvmt_get_reg64(&vcpu, KVM_REG_PPC_TAR, &v);
	ok = !rc && v == TAR_VAL;
	if (!ok)
		kvmt_diag("KVM_GET_ONE_REG TAR again: %s, %#llx (want %#llx)", err_name(rc),
			  (unsigned long long)v, TAR_VAL);
	result(c, ok);

	ok = kvmt_run_hcall(&vcpu, "after the failed fetch") == 0 &&
	     vcpu.run->papr_hcall.args[0] == 2 &&
	     !kvmt_get_reg64(&vcpu, KVM_REG_PPC_TAR, &v) && v == TAR_VAL;
	if (!ok)
		kvmt_diag("the vCPU did not run on (r4 %#llx, TAR %#llx)",
			  (unsigned long long)vcpu.run->papr_hcall.args[0],
			  (unsigned long long)v);
	result(c, ok);
	teardown(&vm, &vcpu);
}

/* ---- runout-*: the L0 spoils one run output buffer ---------------------- */

/*
 * Only when named: the L0 spoils the run output buffer of the first
 * hypercall exit of the boot (x-nested-papr-fault=run-vcpu:1:out-unknown
 * or :out-bad-size, QEMU patch 0030; make l2-faults-ours): the exit of
 * this case's first run.  The L2 counts its hcalls in r4.
 */
static int runout_setup(struct l2case *c, struct kvmt_vm *vm, struct kvmt_vcpu *vcpu,
			struct kvmt_hcount *hc)
{
	struct kvmt_code code;
	int rc;

	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_ADDI(4, 4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(-(int)kvmt_code_here(&code)));
	rc = kvmt_hcount_open(hc);
	if (rc) {
		kvmt_diag("hcall counters (powerpc:hcall_entry): %s", strerror(-rc));
		return -1;
	}
	if (setup(c, vm, vcpu, 1 * MiB, &code)) {
		kvmt_hcount_close(hc);
		return -1;
	}
	return 0;
}

/* Run to our hcall; r4 must be want.  The H_GUEST_GET_STATE it cost. */
static int runout_run(struct kvmt_vcpu *vcpu, struct kvmt_hcount *hc, const char *what,
		      uint64_t want, uint64_t *gets)
{
	int rc;

	kvmt_hcount_start(hc);
	rc = kvmt_run_hcall(vcpu, what);
	kvmt_hcount_stop(hc);
	*gets = kvmt_hcount_get(hc, KVMT_HC_GUEST_GET_STATE);
	if (rc)
		return -1;
	if (vcpu->run->papr_hcall.args[0] != want) {
		kvmt_diag("%s: r4 %#llx, want %#llx", what,
			  (unsigned long long)vcpu->run->papr_hcall.args[0],
			  (unsigned long long)want);
		return -1;
	}
	return 0;
}

static void case_runout_unknown(struct l2case *c)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	uint64_t gets, clean;
	int ok;

	if (runout_setup(c, &vm, &vcpu, &hc))
		return not_reached(c, "no VM");
	ok = !runout_run(&vcpu, &hc, "run 1, an unknown element in its output", 1, &gets);
	ok &= !runout_run(&vcpu, &hc, "run 2", 2, &clean);
	kvmt_diag("run 1: %llu H_GUEST_GET_STATE; run 2 (clean): %llu", (unsigned long long)gets,
		  (unsigned long long)clean);
	/* r3-r12 came with the buffer: nothing fetched, as for a clean exit */
	result(c, ok && gets == clean);
	ok = !runout_run(&vcpu, &hc, "run 3", 3, &gets);
	result(c, ok);
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
}

static void case_runout_bad_size(struct l2case *c)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	uint64_t gets;
	int rc;

	if (runout_setup(c, &vm, &vcpu, &hc))
		return not_reached(c, "no VM");
	rc = kvmt_run(&vcpu);
	kvmt_diag("run 1, an element of the wrong size in its output: %s%s",
		  kvmt_vcpu_exit_str(&vcpu, rc),
		  rc == KVM_EXIT_PAPR_HCALL ? " (the exit was handled from a malformed buffer)" : "");
	result(c, rc == -EIO);
	/* that exit is lost (its hcall unanswered); the L2 goes on to the next */
	result(c, !runout_run(&vcpu, &hc, "run 2", 2, &gets));
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
}

/* ---- a hostile L0 (issue 15): malformed output, busy, failed steps ------ */

/*
 * Only when named, each in a boot whose L0 misbehaves (make l2-faults-ours,
 * ci/mk/l2.mk L2_FAULTS; QEMU patches 0033 and 0034).  Every KVM call here
 * runs under the in-guest watchdog (a SIGALRM that makes a stuck ioctl come
 * back with EINTR), besides the harness's timeout.
 */
#define HOSTILE_WATCHDOG_S	20

static double secs_since(double t0)
{
	return (now_us() - t0) / 1e6;
}

/*
 * A fresh VM runs its L2 to an hcall: the L1 recovered from what the L0
 * did before.
 */
static int hostile_recovered(struct l2case *c, const char *what)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	uint64_t gets;
	int ok;

	if (runout_setup(c, &vm, &vcpu, &hc)) {
		kvmt_diag("%s: no new VM", what);
		return 0;
	}
	ok = !runout_run(&vcpu, &hc, what, 1, &gets);
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
	return ok;
}

/* Have the harness ask the L0 how many guests it holds (--l0-monitor). */
static void l0query(const char *tag)
{
	printf("NV2: L0QUERY %s\n", tag);
	fflush(stdout);
	sleep(3);
}

/*
 * runout-truncated, runout-count: the run output buffer of the first run's
 * hypercall exit is malformed (its last element runs past the end of the
 * buffer; its element count is larger than any buffer).  The L1 must refuse
 * it without reading past the buffer, and the vCPU must run on.
 */
static void case_runout_malformed(struct l2case *c)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	uint64_t gets;
	int rc;

	kvmt_watchdog(HOSTILE_WATCHDOG_S);
	if (runout_setup(c, &vm, &vcpu, &hc))
		return not_reached(c, "no VM");
	rc = kvmt_run(&vcpu);
	kvmt_diag("run 1, a malformed run output buffer (%s): %s%s", c->name,
		  kvmt_vcpu_exit_str(&vcpu, rc),
		  rc == KVM_EXIT_PAPR_HCALL ? " (the exit was handled from a malformed buffer)" : "");
	result(c, rc == -EIO);
	result(c, !runout_run(&vcpu, &hc, "run 2", 2, &gets));
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
}

/*
 * timer-lost: the run output buffer of the first run's hypercall exit is
 * malformed (KVM_RUN fails with EIO) and the L0 gives the L1 back its CPU
 * with the decrementer at its largest value (x-nested-papr-fault's
 * out-dec-lost), so the timer event the L1 had programmed never comes as an
 * interrupt.  The L1 must not lose it: the failed run re-arms its timer
 * (kernel 0047).  A lost event stops every timer of that CPU (the hrtimer
 * base waits for it), so a 20 ms sleep on the same CPU would never end:
 * before 0047 this case hangs until the harness kills the boot.  Found by
 * the KVM ioctl fuzzer (issue 15).
 */
static void case_timer_lost(struct l2case *c)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	cpu_set_t all;
	uint64_t gets;
	double t0, ms;
	int rc, cpu = sched_getcpu();

	kvmt_watchdog(HOSTILE_WATCHDOG_S);
	sched_getaffinity(0, sizeof(all), &all);	/* restored at the end */
	if (cpu < 0 || pin_cpu(cpu))
		return not_reached(c, "cannot pin to a CPU");
	if (runout_setup(c, &vm, &vcpu, &hc)) {
		sched_setaffinity(0, sizeof(all), &all);
		return not_reached(c, "no VM");
	}
	rc = kvmt_run(&vcpu);
	kvmt_diag("run 1 on CPU %d, malformed output and the L1's DEC lost: %s", cpu,
		  kvmt_vcpu_exit_str(&vcpu, rc));
	result(c, rc == -EIO);
	t0 = now_us();
	usleep(20000);
	ms = (now_us() - t0) / 1e3;
	kvmt_diag("a 20 ms sleep on CPU %d took %.1f ms", cpu, ms);
	result(c, ms < 1000);
	result(c, !runout_run(&vcpu, &hc, "run 2", 2, &gets));
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
	sched_setaffinity(0, sizeof(all), &all);
}

/*
 * runout-garbage: the run output buffer of the first hypercall exit is well
 * formed but every value in it is garbage (GPRs, NIA, MSR, ...).  The L1
 * cannot tell; it must not crash or hang on it, and a new VM must run.
 */
static void case_runout_garbage(struct l2case *c)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	int rc, i;

	kvmt_watchdog(HOSTILE_WATCHDOG_S);
	if (runout_setup(c, &vm, &vcpu, &hc))
		return not_reached(c, "no VM");
	rc = kvmt_run(&vcpu);
	kvmt_diag("run 1, garbage values in the run output buffer: %s", kvmt_vcpu_exit_str(&vcpu, rc));
	if (rc == KVM_EXIT_PAPR_HCALL) {
		kvmt_diag("  hcall %#llx r4 %#llx", (unsigned long long)vcpu.run->papr_hcall.nr,
			  (unsigned long long)vcpu.run->papr_hcall.args[0]);
		/* the L2 goes on from wherever the garbage left it: a few more runs */
		for (i = 0; i < 3 && rc != -ETIMEDOUT && rc >= 0; i++) {
			rc = kvmt_run(&vcpu);
			kvmt_diag("  run %d: %s", i + 2, kvmt_vcpu_exit_str(&vcpu, rc));
		}
	}
	result(c, rc != -ETIMEDOUT);
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
	result(c, hostile_recovered(c, "a new VM after the garbage"));
}

/*
 * busy: the L0 answers some H_GUEST_* hcall with H_BUSY or a long busy code
 * many times in a row, then behaves (the boot says which:
 * x-nested-papr-fault=HCALL:N:RC:TIMES).  The whole life of a VM must work
 * through it: create, vCPU, registers, runs, destroy.
 */
static void case_busy(struct l2case *c)
{
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvmt_vm vm;
	uint64_t v = 0, gets;
	double t0 = now_us();
	int ok, rc;

	kvmt_watchdog(HOSTILE_WATCHDOG_S * 3);
	if (runout_setup(c, &vm, &vcpu, &hc)) {
		kvmt_diag("busy: the VM or its vCPU could not be created through the busy answers "
			  "(%.2f s)", secs_since(t0));
		return not_reached(c, "no VM");
	}
	rc = kvmt_set_reg64(&vcpu, KVM_REG_PPC_TAR, TAR_VAL);
	ok = !rc;
	if (rc)
		kvmt_diag("KVM_SET_ONE_REG TAR: %s", err_name(rc));
	ok &= !runout_run(&vcpu, &hc, "run 1", 1, &gets);
	ok &= !runout_run(&vcpu, &hc, "run 2", 2, &gets);
	ok &= !runout_run(&vcpu, &hc, "run 3", 3, &gets);
	kvmt_diag("busy: VM, vCPU, one-reg and 3 runs in %.2f s", secs_since(t0));
	result(c, ok);
	rc = kvmt_get_reg64(&vcpu, KVM_REG_PPC_TAR, &v);
	if (rc || v != TAR_VAL)
		kvmt_diag("KVM_GET_ONE_REG TAR: %s, %#llx (want %#llx)", err_name(rc),
			  (unsigned long long)v, TAR_VAL);
	teardown(&vm, &vcpu);
	kvmt_hcount_close(&hc);
	result(c, !rc && v == TAR_VAL && hostile_recovered(c, "a new VM after the busy L0"));
}

/*
 * busy-long: the L0 answers a call that KVM_CREATE_VM makes with one
 * H_LONG_BUSY_ORDER_100_SEC (the boot says which: H_GUEST_CREATE, or the
 * H_GUEST_SET_STATE that gives the L0 the page tables).  100 s with the
 * ioctl stuck is a hang to the VMM, and spinning that long is a soft
 * lockup: the L1 must come back in a few seconds (at the latest when the
 * watchdog's signal arrives), with the VM or an error.
 */
#define BUSY_LONG_ALARM_S	3

static void case_busy_long(struct l2case *c)
{
	struct kvmt_vm vm;
	double t, t0;
	int rc;

	kvmt_watchdog(BUSY_LONG_ALARM_S);
	t0 = now_us();
	rc = kvmt_vm_create(&vm, 1 * MiB);
	t = secs_since(t0);
	kvmt_watchdog(HOSTILE_WATCHDOG_S);
	kvmt_diag("KVM_CREATE_VM with a 100 s long busy answer: %s after %.2f s "
		  "(a SIGALRM came after %d s)", rc ? strerror(-rc) : "created", t,
		  BUSY_LONG_ALARM_S);
	if (!rc)
		kvmt_vm_destroy(&vm);
	result(c, t < BUSY_LONG_ALARM_S + 5);
	l0query("busy-long-after");
	result(c, hostile_recovered(c, "the next VM"));
}

/*
 * create-fail: H_GUEST_CREATE works, then the next step of making a VM
 * fails in the L0 (the boot says which: the first H_GUEST_SET_STATE, the
 * page tables, or H_GUEST_CREATE_VCPU, or the vCPU's first
 * H_GUEST_GET_STATE).  The VMM must get an error (not a VM that cannot
 * run), and closing it must leave no guest in the L0: the L1 asks the L0
 * (NV2: L0QUERY, facts l0.create-fail-*.guests, checked by
 * tests/l2suite).  Then a vCPU made again in the same VM, and a new VM,
 * must run.
 */
static void case_create_fail(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	int rc, failed = 0, ok;

	kvmt_watchdog(HOSTILE_WATCHDOG_S);
	kvmt_code_init(&code);
	kvmt_emit(&code, KVMT_ADDI(4, 4, 1));
	kvmt_emit_hcall(&code, KVMT_H_TEST);
	kvmt_emit(&code, KVMT_B(-(int)kvmt_code_here(&code)));
	rc = kvmt_vm_create(&vm, 1 * MiB);
	if (rc) {
		kvmt_diag("KVM_CREATE_VM: %s", strerror(-rc));
		result(c, rc != -EINTR);
		l0query("create-fail-after");
		/* no VM to make the vCPU in again: the VM made again instead */
		result(c, hostile_recovered(c, "KVM_CREATE_VM again"));
		result(c, hostile_recovered(c, "a new VM"));
		return;
	}
	rc = kvmt_vcpu_create(&vm, &vcpu, 0);
	if (rc) {
		kvmt_diag("KVM_CREATE_VCPU 0: %s", strerror(-rc));
		failed = 1;
	} else {
		rc = kvmt_code_put(&vm, CODE_GPA, &code);
		if (!rc)
			rc = kvmt_set_pc(&vcpu, CODE_GPA, KVMT_MSR_REAL_LE);
		if (!rc)
			rc = kvmt_run(&vcpu);
		kvmt_diag("KVM_CREATE_VM and KVM_CREATE_VCPU worked; run: %s",
			  kvmt_vcpu_exit_str(&vcpu, rc));
		ok = rc == KVM_EXIT_PAPR_HCALL && vcpu.run->papr_hcall.nr == KVMT_H_TEST;
		if (!ok)
			failed = -1;	/* a VM that was made but cannot run */
		kvmt_vcpu_destroy(&vcpu);
	}
	result(c, failed == 1);
	if (failed == 1) {
		/* the same VM, the same vCPU ID again: the L0 behaves now */
		rc = kvmt_vcpu_create(&vm, &vcpu, 0);
		if (!rc) {
			rc = kvmt_code_put(&vm, CODE_GPA, &code);
			if (!rc)
				rc = kvmt_set_pc(&vcpu, CODE_GPA, KVMT_MSR_REAL_LE);
			if (!rc)
				rc = kvmt_run_hcall(&vcpu, "the vCPU made again");
			kvmt_vcpu_destroy(&vcpu);
		}
		if (rc)
			kvmt_diag("KVM_CREATE_VCPU 0 again: %s", rc < 0 ? strerror(-rc) : "did not run");
	}
	kvmt_vm_destroy(&vm);
	l0query("create-fail-after");
	result(c, failed == 1 && !rc);
	result(c, hostile_recovered(c, "a new VM"));
}

/*
 * getregs-fail: the L0 fails the H_GUEST_GET_STATE of a KVM_GET_REGS (the
 * boot says which call: x-nested-papr-fault=get-state:N:H_HARDWARE; the
 * case prints how many the vCPU creation, the first run and the
 * KVM_GET_REGS made).  r20, which no run output buffer carries, must not
 * come back stale: EIO, then the L2's values, then the vCPU runs on.  Our
 * L1 fetches all a KVM_GET_REGS needs with one call (the 6.12 reference
 * with several), so this is also the multi-call case of issue 15 on 6.12.
 */
#define CONT_R20	0x20c0ffee5eed0020ULL

static void case_getregs_fail(struct l2case *c)
{
	struct kvmt_code code;
	struct kvmt_vcpu vcpu;
	struct kvmt_hcount hc;
	struct kvm_regs regs;
	struct kvmt_vm vm;
	uint64_t gets;
	int rc, ok, counting;

	kvmt_watchdog(HOSTILE_WATCHDOG_S);
	kvmt_code_init(&code);
	kvmt_emit_li64(&code, 20, CONT_R20);
	if (counted_loop_start(c, &vm, &vcpu, &code, &hc, &counting))
		return;
	if (counting) {
		kvmt_hcount_stop(&hc);
		kvmt_diag("H_GUEST_GET_STATE so far (vCPU creation and the first run): %llu",
			  (unsigned long long)kvmt_hcount_get(&hc, KVMT_HC_GUEST_GET_STATE));
		kvmt_hcount_start(&hc);
	}
	memset(&regs, 0, sizeof(regs));
	rc = kvmt_get_regs(&vcpu, &regs);
	if (counting) {
		kvmt_hcount_stop(&hc);
		gets = kvmt_hcount_get(&hc, KVMT_HC_GUEST_GET_STATE);
		kvmt_diag("KVM_GET_REGS with the L0 failing its fetch: %s, %llu "
			  "H_GUEST_GET_STATE (r20 %#llx)", err_name(rc),
			  (unsigned long long)gets, (unsigned long long)regs.gpr[20]);
	}
	result(c, rc == -EIO);
	memset(&regs, 0, sizeof(regs));
	rc = kvmt_get_regs(&vcpu, &regs);
	/*
	 * MSR: only the bits the L1 may set (the element table's MSR mask,
	 * as upstream's: HV, S and ME are the L0's), so SF and LE; ME is
	 * whatever the L0 keeps for the L2.
	 */
	ok = !rc && regs.gpr[20] == CONT_R20 && regs.gpr[4] == 1 &&
	     (regs.msr & (KVMT_MSR_SF | KVMT_MSR_LE)) == (KVMT_MSR_SF | KVMT_MSR_LE);
	if (!ok)
		kvmt_diag("KVM_GET_REGS again: %s, r4 %#llx r20 %#llx msr %#llx", err_name(rc),
			  (unsigned long long)regs.gpr[4], (unsigned long long)regs.gpr[20],
			  (unsigned long long)regs.msr);
	result(c, ok);
	ok = kvmt_run_hcall(&vcpu, "after the failed fetch") == 0 &&
	     vcpu.run->papr_hcall.args[0] == 2;
	result(c, ok);
	teardown(&vm, &vcpu);
	if (counting)
		kvmt_hcount_close(&hc);
}

/* ---- mmio-user: MMIO from an L2 process (quadrant 0, PID 1) ------------- */

/*
 * The L2 gets a radix process table with PID 1 mapping EA 0-2 GiB 1:1 as
 * user pages (two 1 GiB leaves), sets PIDR = 1 and drops to problem state
 * with translation on.  The user code loads from and stores to
 * MMIO_GPA, then makes a system call; the 0xc00 handler reports r5 with
 * our hcall.  To emulate the access the L1 reads the instruction through
 * the guest's translation of NIA, for which it needs the L2's PIDR (which
 * no run output buffer carries).
 */
#define MU_PGD		0x10000UL	/* 8192 entries, 64K aligned */
#define MU_PUD		0x20000UL	/* 512 entries */
#define MU_PRTB		0x30000UL	/* process table, 4K: 256 PIDs */
#define MU_USER		0x2000UL	/* user code, EA == GPA */
#define MU_PID		1
#define MU_VAL		0x1234abcdU
#define R_VALID		(1ULL << 63)
#define R_LEAF		(1ULL << 62)
#define R_RC		(0x100ULL | 0x80ULL)	/* referenced, changed */
#define R_RWX		(0x4ULL | 0x2ULL | 0x1ULL)
#define MSR_IR_DR	(0x20ULL | 0x10ULL)
#define MSR_PR		(1ULL << 14)
#define SPR_PIDR	48

static void put_be64(struct kvmt_vm *vm, uint64_t gpa, uint64_t v)
{
	uint8_t *p = (uint8_t *)vm->mem + gpa;

	for (int i = 0; i < 8; i++)
		p[i] = v >> (56 - 8 * i);
}

static void case_mmio_user(struct l2case *c)
{
	struct kvm_ppc_mmuv3_cfg cfg = {
		.flags = KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE,
		.process_table = (1ULL << 63) | MU_PRTB,	/* PATB_GR; PRTS 0: 4K */
	};
	struct kvmt_code code, user, vec;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	struct kvm_run *run;
	int rc, ok;

	kvmt_code_init(&code);
	/* problem state runs with MSR[EE]=1: no decrementer for a while */
	kvmt_emit_li64(&code, 9, 0x7fffffff);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_DEC, 9));
	kvmt_emit_li64(&code, 9, MU_PID);
	kvmt_emit(&code, KVMT_MTSPR(SPR_PIDR, 9));
	kvmt_emit_li64(&code, 10, MU_USER);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_SRR0, 10));
	kvmt_emit_li64(&code, 11, KVMT_MSR_REAL_LE | MSR_IR_DR | MSR_PR | KVMT_MSR_RI);
	kvmt_emit(&code, KVMT_MTSPR(KVMT_SPR_SRR1, 11));
	kvmt_emit_li64(&code, 6, MMIO_GPA);
	kvmt_emit(&code, 0x4c000024);		/* rfid */
	kvmt_code_init(&user);
	kvmt_emit(&user, KVMT_LWZ(5, 0, 6));
	kvmt_emit(&user, KVMT_STW(5, 8, 6));
	kvmt_emit(&user, 0x44000002);		/* sc */
	kvmt_emit(&user, KVMT_B(0));
	kvmt_code_init(&vec);
	kvmt_emit(&vec, KVMT_MFSPR(7, KVMT_SPR_SRR0));
	kvmt_emit(&vec, KVMT_LI(4, 0xc00));
	kvmt_emit_hcall(&vec, KVMT_H_TEST);
	kvmt_emit(&vec, KVMT_B(0));
	if (setup(c, &vm, &vcpu, 1 * MiB, &code))
		return not_reached(c, "no VM");
	rc = put_trap_vectors(&vm);
	if (!rc)
		rc = kvmt_code_put(&vm, 0xc00, &vec);
	if (!rc)
		rc = kvmt_code_put(&vm, MU_USER, &user);
	if (!rc)
		rc = set_ile(&vcpu, NULL);
	if (!rc) {
		/* PID 1: RTS 52 bits (RTS1 2, RTS2 5), a 13-bit root */
		put_be64(&vm, MU_PRTB + 16 * MU_PID, (2ULL << 61) | MU_PGD | (5ULL << 5) | 13);
		put_be64(&vm, MU_PGD, R_VALID | MU_PUD | 9);
		put_be64(&vm, MU_PUD, R_VALID | R_LEAF | 0 | R_RC | R_RWX);
		put_be64(&vm, MU_PUD + 8, R_VALID | R_LEAF | (1ULL << 30) | R_RC | R_RWX);
		rc = ioctl(vm.vm_fd, KVM_PPC_CONFIGURE_V3_MMU, &cfg) < 0 ? -errno : 0;
	}
	if (rc) {
		kvmt_diag("vectors, page tables, KVM_PPC_CONFIGURE_V3_MMU: %s", strerror(-rc));
		teardown(&vm, &vcpu);
		return not_reached(c, "setup failed");
	}
	run = vcpu.run;
	/* a translation that never succeeds retries for ever: fail in 20 s */
	kvmt_watchdog(20);
	rc = kvmt_run(&vcpu);
	ok = rc == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_GPA && run->mmio.len == 4 &&
	     !run->mmio.is_write;
	if (rc == KVM_EXIT_MMIO)
		kvmt_diag("user load: MMIO exit addr %#llx len %u is_write %u",
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			  run->mmio.is_write);
	if (rc == KVM_EXIT_PAPR_HCALL)
		kvmt_diag("user load: expected an MMIO exit, got hcall r4 %#llx (SRR0 %#llx "
			  "SRR1 %#llx MSR %#llx)", (unsigned long long)run->papr_hcall.args[0],
			  (unsigned long long)run->papr_hcall.args[1],
			  (unsigned long long)run->papr_hcall.args[2],
			  (unsigned long long)run->papr_hcall.args[3]);
	if (rc == KVM_EXIT_PAPR_HCALL &&
	    (uint32_t)run->papr_hcall.args[0] == (uint32_t)(KVMT_UNEXPECTED | 0x900) &&
	    run->papr_hcall.args[1] == MU_USER)
		kvmt_diag("the load was never emulated: the L2 retried it until its "
			  "decrementer (~4 s) fired");
	if (rc != KVM_EXIT_MMIO && rc != KVM_EXIT_PAPR_HCALL)
		kvmt_diag("user load: expected an MMIO exit, got %s", kvmt_vcpu_exit_str(&vcpu, rc));
	result(c, ok);
	if (!ok) {
		kvmt_watchdog(WATCHDOG_S);
		teardown(&vm, &vcpu);
		return not_reached(c, "no MMIO exit for the load");
	}
	for (int i = 0; i < 4; i++)
		run->mmio.data[i] = MU_VAL >> (8 * i);
	rc = kvmt_run(&vcpu);
	ok = rc == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_GPA + 8 && run->mmio.is_write &&
	     run->mmio.len == 4 && le_bytes(run->mmio.data, 4) == MU_VAL;
	if (!ok)
		kvmt_diag("user store: %s addr %#llx len %u data %#llx", kvmt_vcpu_exit_str(&vcpu, rc),
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			  (unsigned long long)le_bytes(run->mmio.data, 4));
	if (ok && (kvmt_run_hcall(&vcpu, "after the system call") ||
		   run->papr_hcall.args[0] != 0xc00 || run->papr_hcall.args[1] != MU_VAL)) {
		kvmt_diag("system call: r4 %#llx r5 %#llx, want 0xc00 %#x",
			  (unsigned long long)run->papr_hcall.args[0],
			  (unsigned long long)run->papr_hcall.args[1], MU_VAL);
		ok = 0;
	}
	kvmt_watchdog(WATCHDOG_S);
	result(c, ok);
	teardown(&vm, &vcpu);
}

/* ---- the case list and the runner ----------------------------------------- */

static struct l2case cases[] = {
	{ .name = "gprs", .run = case_gprs, .res = {
		"r3 and r4-r12 reach userspace (hcall number and 9 arguments, 64 bits)",
		"r3 (return code) and r4-r12 come back into the L2",
	} },
	{ .name = "roundtrips", .run = case_roundtrips, .res = { "hcall round trips with r4 checked every time" } },
	{ .name = "mmio", .run = case_mmio, .res = {
		"store 1 byte to an unbacked GPA exits to userspace with the data",
		"store 2 bytes",
		"store 4 bytes",
		"store 8 bytes",
		"load 1 byte: the value userspace supplies lands in the GPR",
		"load 2 bytes",
		"load 4 bytes",
		"load 8 bytes",
		"sign-extending loads (lha, lwa)",
	} },
	{ .name = "mmio-prefixed", .run = case_mmio_prefixed, .res = {
		"pstb to an unbacked GPA exits to userspace with the data",
		"psth",
		"pstw",
		"pstd",
		"plbz: the value userspace supplies lands in the GPR",
		"plhz",
		"plwz",
		"pld",
		"sign-extending prefixed loads (plha, plwa)",
	} },
	{ .name = "mmio-fp", .run = case_mmio_fp, .res = {
		"stfd to an unbacked GPA exits to userspace with the FPR the L2 set",
		"lfd from it: the value lands in the FPR; VSR1 and VSR3 are the L2's",
	} },
	{ .name = "pagefault", .run = case_pagefault, .res = {
		"the L2 writes every 64K page of 64 MiB; the L1 sees each value",
	} },
	{ .name = "dirtylog", .run = case_dirtylog, .res = {
		"every page the L2 loads, then stores to, is in the L1's dirty log, every round",
	} },
	{ .name = "dec", .run = case_dec, .res = {
		"a decrementer interrupt is delivered at 0x900 (MSR[LE] via LPCR[ILE])",
	} },
	{ .name = "ext", .run = case_ext, .res = {
		"no external interrupt before KVM_INTERRUPT",
		"KVM_INTERRUPT delivers an external interrupt at 0x500",
		"KVM_INTERRUPT_UNSET withdraws it: the L2 runs to its next hcall",
	} },
	{ .name = "illegal", .run = case_illegal, .res = {
		"an illegal instruction gives the L2 a program interrupt at 0x700",
	} },
	{ .name = "prefixed", .run = case_prefixed, .res = {
		"an illegal prefixed instruction: program interrupt with SRR1[34] (prefixed) set",
	} },
	{ .name = "stwcx", .run = case_stwcx, .res = {
		"an aligned lwarx/stwcx. pair succeeds",
		"an unaligned stwcx. takes an alignment interrupt at 0x600 (SRR0, DAR)",
	} },
	{ .name = "smp4", .run = case_smp4, .res = { "4 vCPUs of one VM in 4 threads, values per vCPU intact" } },
	{ .name = "smpstart", .run = case_smpstart, .res = {
		"2-vCPU L2 started again and again: no vCPU keeps its L1 CPU past its timer",
		"2-threads-per-core L2 started again and again: no stall",
	} },
	{ .name = "dirtylog-smp", .run = case_dirtylog_smp, .res = {
		"2 vCPUs count in their pages while the log is harvested: both pages in every log",
	} },
	{ .name = "twovm", .run = case_twovm, .res = { "2 VMs run at once, each sees only its own memory and values" } },
	{ .name = "lifecycle", .run = case_lifecycle, .res = {
		"VM create, vCPU create, run, destroy: every cycle works",
		"no L1 memory leak across the cycles (MemFree, SUnreclaim)",
	} },
	{ .name = "onereg", .run = case_onereg, .res = { NULL } },	/* names filled from the table */
	{ .name = "badreg", .run = case_badreg, .res = {
		"unknown one-reg id: EINVAL for get and set",
		"known id with the wrong size: EINVAL",
		"oversized id and another architecture's id: EINVAL",
		"unmapped user buffer: EFAULT for get and set",
		"illegal values refused: HIOR != 0, junk ARCH_COMPAT, another PVR",
		"nothing lost: earlier values intact and the vCPU still runs",
	} },
	{ .name = "dec-tboffset", .run = case_dec_tboffset, .res = {
		"TB_OFFSET read and set back while stopped: the L2's DEC goes on, not rewound",
	} },
	{ .name = "tboffset-smp", .run = case_tboffset_smp, .res = {
		"TB_OFFSET set while another vCPU runs: the L1's timebase stays in step across CPUs",
	} },
	{ .name = "compat-p8", .run = case_compat_p8, .res = {
		"ARCH_COMPAT POWER8 and older refused at set time (EINVAL), value kept",
		"ARCH_COMPAT POWER9 accepted and the vCPU runs",
	} },
	{ .name = "vcpu-reject", .run = case_vcpu_reject, .res = {
		"KVM_CREATE_VCPU with an ID Book3S HV refuses: EINVAL, no H_GUEST_CREATE_VCPU",
		"KVM_CREATE_VCPU with an ID in use: refused, no H_GUEST_CREATE_VCPU",
		"the VM's vCPUs still get created and run",
	} },
	{ .name = "mmio-user", .run = case_mmio_user, .res = {
		"L2 user mode (quadrant 0, PID 1): a load from an unbacked GPA exits as MMIO",
		"its value lands in the GPR; a store exits with it; the process goes on",
	} },
	{ .name = "getstate-fail", .run = case_getstate_fail, .on_request = 1, .res = {
		"H_GUEST_GET_STATE failing: KVM_GET_ONE_REG gives EIO, not stale data",
		"the L0 answers again: KVM_GET_ONE_REG gives the L2's value",
		"the vCPU runs on (not dead after the failure)",
	} },
	{ .name = "fac-hfscr", .run = case_fac_hfscr, .on_request = 1, .res = {
		"msgsndp: the facility unavailable exit is emulated for its cause (MSGP)",
	} },
	{ .name = "runout-unknown", .run = case_runout_unknown, .on_request = 1, .res = {
		"an unknown element in the run output buffer is skipped: the exit is handled from it",
		"the vCPU runs on",
	} },
	{ .name = "runout-bad-size", .run = case_runout_bad_size, .on_request = 1, .res = {
		"a known element of the wrong size in the run output buffer: KVM_RUN fails (EIO)",
		"the vCPU runs on",
	} },
	{ .name = "runout-truncated", .run = case_runout_malformed, .on_request = 1, .res = {
		"the last element runs past the end of the run output buffer: KVM_RUN fails (EIO)",
		"the vCPU runs on",
	} },
	{ .name = "runout-count", .run = case_runout_malformed, .on_request = 1, .res = {
		"an element count larger than the run output buffer: KVM_RUN fails (EIO)",
		"the vCPU runs on",
	} },
	{ .name = "timer-lost", .run = case_timer_lost, .on_request = 1, .res = {
		"a malformed run output buffer and the L1's decrementer lost: KVM_RUN fails (EIO)",
		"the L1's timers work after it: a 20 ms sleep on that CPU ends",
		"the vCPU runs on",
	} },
	{ .name = "runout-garbage", .run = case_runout_garbage, .on_request = 1, .res = {
		"garbage values in a well-formed run output buffer: KVM_RUN comes back, no hang",
		"a new VM runs after it",
	} },
	{ .name = "busy", .run = case_busy, .on_request = 1, .res = {
		"the L0 busy many times in a row: VM, vCPU, one-reg and runs all work",
		"the values are intact and a new VM runs after it",
	} },
	{ .name = "busy-long", .run = case_busy_long, .on_request = 1, .res = {
		"a 100 s long busy answer during KVM_CREATE_VM: back within seconds, no hang",
		"the next VM runs",
	} },
	{ .name = "getregs-fail", .run = case_getregs_fail, .on_request = 1, .res = {
		"KVM_GET_REGS with its H_GUEST_GET_STATE failing: EIO, not stale registers",
		"KVM_GET_REGS again: the L2's values (nothing half-fetched stale)",
		"the vCPU runs on",
	} },
	{ .name = "create-fail", .run = case_create_fail, .on_request = 1, .res = {
		"a step after H_GUEST_CREATE fails: KVM_CREATE_VM or KVM_CREATE_VCPU gives an error",
		"made again (the vCPU ID in that VM, or the VM), it runs",
		"a new VM runs after it",
	} },
};

#define N_CASES ((int)(sizeof(cases) / sizeof(cases[0])))

static void fill_onereg_names(struct l2case *c)
{
	static char *big[MAX_ONEREG + 1];
	int i, k = 0;

	n_oregs = onereg_table(oregs, MAX_ONEREG);
	if (n_oregs > MAX_ONEREG)
		n_oregs = MAX_ONEREG;
	for (i = 0; i < n_oregs; i++) {
		const struct onereg *e = &oregs[i];
		int j;

		if (e->group) {
			for (j = 0; j < i; j++)
				if (oregs[j].group == e->group)
					break;
			if (j < i)
				continue;
		}
		big[k] = malloc(96);
		if (e->group == OR_GROUP_BOOKE)
			snprintf(big[k], 96, "%s: EINVAL on Book3S HV",
				 onereg_group_name(e->group));
		else if (e->group == OR_GROUP_TM)
			snprintf(big[k], 96, "%s: EINVAL without TM, else set, run, get back",
				 onereg_group_name(e->group));
		else if (e->group)
			snprintf(big[k], 96, "%s: set, run, get back",
				 onereg_group_name(e->group));
		else if (e->kind == OR_RO)
			snprintf(big[k], 96, "%s: readable, set refused (EINVAL)", e->name);
		else if (e->kind == OR_ZERO)
			snprintf(big[k], 96, "%s: only 0 accepted, kept across a run", e->name);
		else if (e->kind == OR_IRQCHIP)
			snprintf(big[k], 96, "%s: no in-kernel irqchip: EINVAL or ENXIO", e->name);
		else if (e->kind == OR_COUNT)
			snprintf(big[k], 96, "%s: set, run, get back (counts up)", e->name);
		else if (e->kind == OR_NEAR)
			snprintf(big[k], 96, "%s: set, run, get back (within %llu ticks)",
				 e->name, ONEREG_NEAR_TICKS);
		else if (e->kind == OR_BITS)
			snprintf(big[k], 96, "%s: set, run, get back (userspace bits)", e->name);
		else
			snprintf(big[k], 96, "%s: set, run, get back", e->name);
		k++;
	}
	big[k++] = "KVM_SET_REGS (GPRs, CR, CTR, LR, XER, MSR, SPRG0-3): set, run, get back";
	c->n = k;
	c->names = (const char **)big;
}

static void usage(void)
{
	fprintf(stderr, "usage: l2-suite [--list] [--trips=N] [--smp-trips=N] [--cycles=N] "
		"[--starts=N] [--keep-vms] [CASE...]\n");
	exit(2);
}

static long num_arg(const char *a, const char *prefix)
{
	char *end;
	long v = strtol(a + strlen(prefix), &end, 0);

	if (*end || v <= 0) {
		fprintf(stderr, "l2-suite: bad number in '%s'\n", a);
		usage();
	}
	return v;
}

int main(int argc, char **argv)
{
	struct kvmt_vm probe;
	int i, j, total = 0, any = 0, list = 0, rc;

	for (i = 0; i < N_CASES; i++) {
		if (cases[i].res[0]) {
			cases[i].names = cases[i].res;
			cases[i].n = 0;
			while (cases[i].n < MAX_RESULTS && cases[i].res[cases[i].n])
				cases[i].n++;
		} else {
			fill_onereg_names(&cases[i]);
		}
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--trips=", 8)) {
			opt.trips = num_arg(a, "--trips=");
		} else if (!strncmp(a, "--smp-trips=", 12)) {
			opt.smp_trips = num_arg(a, "--smp-trips=");
		} else if (!strncmp(a, "--cycles=", 9)) {
			opt.cycles = num_arg(a, "--cycles=");
		} else if (!strncmp(a, "--starts=", 9)) {
			opt.starts = num_arg(a, "--starts=");
		} else if (!strcmp(a, "--keep-vms")) {
			opt.keep_vms = 1;
		} else if (!strcmp(a, "--list")) {
			list = 1;
		} else if (a[0] == '-') {
			usage();
		} else {
			for (j = 0; j < N_CASES; j++)
				if (!strcmp(a, cases[j].name))
					break;
			if (j == N_CASES) {
				fprintf(stderr, "l2-suite: no case '%s' (--list shows them)\n", a);
				printf("NV2: not ok - l2-suite: no case '%s'\n", a);
				return 2;
			}
			cases[j].selected = 1;
			any = 1;
		}
	}
	if (list) {
		for (i = 0; i < N_CASES; i++) {
			printf("%s%s\n", cases[i].name,
			       cases[i].on_request ? " (only when named)" : "");
			for (j = 0; j < cases[i].n; j++)
				printf("    %s\n", cases[i].names[j]);
		}
		return 0;
	}
	for (i = 0; i < N_CASES; i++) {
		if (!any && !cases[i].on_request)
			cases[i].selected = 1;
		if (cases[i].selected)
			total += cases[i].n;
	}

	rc = kvmt_vm_create(&probe, 65536);
	if (rc) {
		char why[128];

		snprintf(why, sizeof(why), "this L1 cannot create a VM (KVM_CREATE_VM: %s)",
			 strerror(-rc));
		kvmt_fact("kvm_create_vm", "error %s", strerror(-rc));
		kvmt_plan(total);
		for (i = 0; i < N_CASES; i++)
			for (j = 0; cases[i].selected && j < cases[i].n; j++)
				kvmt_skip(why, "%s: %s", cases[i].name, cases[i].names[j]);
		return 0;
	}
	kvmt_vm_destroy(&probe);
	kvmt_fact("kvm_create_vm", "ok");
	kvmt_plan(total);
	for (i = 0; i < N_CASES; i++) {
		struct l2case *c = &cases[i];
		double t0;

		if (!c->selected)
			continue;
		kvmt_diag("case %s", c->name);
		t0 = now_us();
		kvmt_watchdog(WATCHDOG_S);
		c->run(c);
		kvmt_watchdog(0);
		not_reached(c, "the case ended early");
		kvmt_diag("case %s: %.2f s", c->name, (now_us() - t0) / 1e6);
	}
	return kvmt_failures() ? 1 : 0;
}
