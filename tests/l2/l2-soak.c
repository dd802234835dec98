// SPDX-License-Identifier: GPL-2.0-only
/*
 * l2-soak: VMs x vCPUs of mixed L2 load for a while, everything counted
 * on both sides (issue 15 item 5, make soak, docs/reliability.md).
 *
 *   l2-soak [--seconds N] [--vms N] [--vcpus N] [--query] [--no-plan]
 *
 * Default: 4 VMs of 4 vCPUs (16 threads) for 60 s.  Each VM runs its
 * vCPUs as 4 threads of one emulated SMT4 core (KVM_CAP_PPC_SMT 4), so
 * they can send each other doorbells.  Every vCPU loops over:
 *
 *   hcall    our test hcall with r4 = its own count of calls: userspace
 *            checks r4 is one more than the last one it saw;
 *   MMIO     a doubleword stored to and loaded from an unbacked address:
 *            userspace keeps the store and answers the load with it, the
 *            L2 counts loads that do not match;
 *   memory   a store into the next of 240 64K pages of a 15 MiB region
 *            that the main thread drops (MADV_DONTNEED) every 2 s, so the
 *            L1 keeps taking partition-scoped faults and MMU notifier
 *            invalidations;
 *   IPI      a doorbell (msgsndp) to the next thread of its core, but only
 *            once the previous one was received (a doorbell is one bit:
 *            a second one before the first is taken is not an event);
 *
 * with MSR[EE] on: a decrementer handler (0x900) counts and re-arms DEC
 * (2 ms), a doorbell handler (0xa00) clears the doorbell (msgclrp) and
 * counts.  At the end the main thread sets a stop word; each vCPU waits
 * for its last doorbell to be received, reports "done" with an hcall and
 * spins until its thread is signalled.
 *
 * Results: per VM, hcalls and MMIO counted the same by the L2 and by
 * userspace, no wrong values, decrementer interrupts on every vCPU,
 * every doorbell sent received, no unexpected interrupt, no vCPU without
 * progress for 10 s (a stall); the L1->L0 H_GUEST_RUN_VCPU count at least
 * the number of exits userspace saw.  With --query the program asks the
 * L0 (NV2: L0QUERY soak-running, the harness's --l0-monitor) how many
 * guests it holds while everything runs.  Kernel stalls and lockups are
 * on the console (the harness), the L1's memory around the program is
 * the run item's (ci/initramfs/run/soak).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvmt.h"

#define MAX_VMS		8
#define MAX_VCPUS	4
#define MiB		(1024UL * 1024)
#define VM_MEM		(16 * MiB)
#define CODE_GPA	0x2000UL
#define STOP_GPA	0xf000UL	/* nonzero: stop */
#define DATA_GPA	0x10000UL	/* + id * 0x1000: the vCPU's counters */
#define PF_GPA		0x100000UL	/* 240 64K pages up to VM_MEM */
#define PF_PAGES	240
#define MMIO_GPA	0x40000000UL
#define DEC_TICKS	(2 * 512000)	/* 2 ms of the 512 MHz timebase */
/* r4 of the "done" hcall: never a count (the counts are r4 otherwise) */
#define DONE_MAGIC	0xd0e0000000000000ULL
#define STALL_S		10
#define UNEXPECTED	0xbad00000UL

/* The vCPU's counters (doublewords at DATA_GPA + id * 0x1000). */
enum { C_HCALL, C_MMIO, C_DEC, C_DBELL_RECV, C_DBELL_SENT, C_MMIO_BAD, C_PAGES, C_N };
static const char *const c_name[C_N] = {
	"hcalls", "mmio", "dec", "doorbells_received", "doorbells_sent", "mmio_bad", "pages",
};

#define CMPDI(ra, si)	(KVMT_OP(11) | (1u << 21) | KVMT_RA(ra) | KVMT_D(si))
#define BEQ(off)	KVMT_BC(12, 2, off)
#define MSGSNDP(rb)	(KVMT_OP(31) | KVMT_RB(rb) | (142u << 1))
#define MSGCLRP(rb)	(KVMT_OP(31) | KVMT_RB(rb) | (174u << 1))
#define RFID		0x4c000024u

static struct {
	int seconds, vms, vcpus, query, no_plan;
} opt = { 60, 4, 4, 0, 0 };

struct svcpu {
	struct kvmt_vcpu vcpu;
	struct svm *vm;
	pthread_t th;
	int started;
	volatile int done;		/* reported DONE_MAGIC */
	volatile int quit;		/* main thread: leave at the next EINTR */
	volatile long hcalls;		/* test hcalls seen (not DONE) */
	volatile long mmio_w, mmio_r;
	long bad_r4, unexpected, errors, other_exits;
	uint64_t mmio_val;
	uint64_t last_unexpected;
	char err[160];
};

struct svm {
	struct kvmt_vm vm;
	int n;
	struct svcpu v[MAX_VCPUS];
};

static struct svm vms[MAX_VMS];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile uint64_t *counter(struct svm *m, int id, int c)
{
	return (volatile uint64_t *)((char *)m->vm.mem + DATA_GPA + id * 0x1000) + c;
}

/* ld r, C(base); addi r, r, 1; std r, C(base) */
static void emit_count(struct kvmt_code *c, int base, int which, int r)
{
	kvmt_emit(c, KVMT_LD(r, which * 8, base));
	kvmt_emit(c, KVMT_ADDI(r, r, 1));
	kvmt_emit(c, KVMT_STD(r, which * 8, base));
}

/*
 * Registers: the loop uses r3-r19, the handlers r20-r23 only (and no CR),
 * so an interrupt anywhere in the loop needs no save/restore:
 *   r14 my counters, r15 the counters of the thread I send doorbells to,
 *   r16 my MMIO address, r17 my column in the fault region, r18 page
 *   index, r19 the stop word, r11 the msgsndp operand;
 *   r20 my counters (handlers), r22 the DEC period, r23 msgclrp operand.
 */
static int put_code(struct svm *m)
{
	struct kvmt_code c, h;
	uint64_t loop, skip_bad, wrap, skip_send, wait;
	int rc = 0;

	/* every vector: report itself and stop */
	for (uint64_t vec = 0x100; vec < 0x1000 && !rc; vec += 0x20) {
		kvmt_code_init(&h);
		kvmt_emit(&h, KVMT_MFSPR(5, KVMT_SPR_SRR0));
		kvmt_emit(&h, KVMT_LIS(4, UNEXPECTED >> 16));
		kvmt_emit(&h, KVMT_ORI(4, 4, vec));
		kvmt_emit_hcall(&h, KVMT_H_TEST);
		kvmt_emit(&h, KVMT_B(0));
		if (vec != 0x900 && vec != 0xa00 && (vec % 0x100 == 0 || vec >= 0xe00))
			rc = kvmt_code_put(&m->vm, vec, &h);
	}
	/* 0x900: count, re-arm DEC */
	kvmt_code_init(&h);
	emit_count(&h, 20, C_DEC, 21);
	kvmt_emit(&h, KVMT_MTSPR(KVMT_SPR_DEC, 22));
	kvmt_emit(&h, RFID);
	rc = rc ?: kvmt_code_put(&m->vm, 0x900, &h);
	/* 0xa00: clear the doorbell, count */
	kvmt_code_init(&h);
	kvmt_emit(&h, MSGCLRP(23));
	emit_count(&h, 20, C_DBELL_RECV, 21);
	kvmt_emit(&h, RFID);
	rc = rc ?: kvmt_code_put(&m->vm, 0xa00, &h);

	kvmt_code_init(&c);
	kvmt_emit(&c, KVMT_MTSPR(KVMT_SPR_DEC, 22));
	kvmt_emit_li64(&c, 10, KVMT_MSR_EE | KVMT_MSR_RI);
	kvmt_emit(&c, KVMT_MTMSRD(10, 1));
	loop = kvmt_code_here(&c);
	/* hcall: r4 = ++count */
	emit_count(&c, 14, C_HCALL, 5);
	kvmt_emit(&c, KVMT_MR(4, 5));
	kvmt_emit_hcall(&c, KVMT_H_TEST);
	/* MMIO: store r5, load it back into r6 */
	kvmt_emit(&c, KVMT_STD(5, 0, 16));
	kvmt_emit(&c, KVMT_LD(6, 0, 16));
	kvmt_emit(&c, KVMT_CMPD(6, 5));
	skip_bad = kvmt_code_here(&c);
	kvmt_emit(&c, BEQ(16));
	emit_count(&c, 14, C_MMIO_BAD, 7);
	emit_count(&c, 14, C_MMIO, 7);
	/* memory: next page of the fault region */
	kvmt_emit(&c, KVMT_ADDI(18, 18, 1));
	kvmt_emit(&c, CMPDI(18, PF_PAGES));
	wrap = kvmt_code_here(&c);
	kvmt_emit(&c, KVMT_BLT(8));
	kvmt_emit(&c, KVMT_LI(18, 0));
	kvmt_emit(&c, KVMT_SLDI(8, 18, 16));
	kvmt_emit(&c, KVMT_ADD(8, 8, 17));
	kvmt_emit(&c, KVMT_STD(5, 0, 8));
	emit_count(&c, 14, C_PAGES, 7);
	/* IPI: only when the last one was received */
	kvmt_emit(&c, KVMT_LD(9, C_DBELL_RECV * 8, 15));
	kvmt_emit(&c, KVMT_LD(10, C_DBELL_SENT * 8, 14));
	kvmt_emit(&c, KVMT_CMPD(9, 10));
	skip_send = kvmt_code_here(&c);
	kvmt_emit(&c, KVMT_BNE(16));
	kvmt_emit(&c, KVMT_ADDI(10, 10, 1));
	kvmt_emit(&c, KVMT_STD(10, C_DBELL_SENT * 8, 14));
	kvmt_emit(&c, MSGSNDP(11));
	/* stop? */
	kvmt_emit(&c, KVMT_LD(9, 0, 19));
	kvmt_emit(&c, CMPDI(9, 0));
	kvmt_emit(&c, BEQ((int64_t)loop - (int64_t)kvmt_code_here(&c)));
	/* stopping: wait (bounded) until my last doorbell was received */
	kvmt_emit_li64(&c, 12, 20000000);
	wait = kvmt_code_here(&c);
	kvmt_emit(&c, KVMT_LD(9, C_DBELL_RECV * 8, 15));
	kvmt_emit(&c, KVMT_LD(10, C_DBELL_SENT * 8, 14));
	kvmt_emit(&c, KVMT_CMPD(9, 10));
	kvmt_emit(&c, BEQ(16));
	kvmt_emit(&c, KVMT_ADDI(12, 12, -1));
	kvmt_emit(&c, CMPDI(12, 0));
	kvmt_emit(&c, KVMT_BNE((int64_t)wait - (int64_t)kvmt_code_here(&c)));
	kvmt_emit_li64(&c, 4, DONE_MAGIC);
	kvmt_emit_hcall(&c, KVMT_H_TEST);
	kvmt_emit(&c, KVMT_B(0));		/* interrupts still taken */
	(void)skip_bad;
	(void)wrap;
	(void)skip_send;
	return rc ?: kvmt_code_put(&m->vm, CODE_GPA, &c);
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *vcpu_main(void *arg)
{
	struct svcpu *s = arg;
	struct kvm_run *run = s->vcpu.run;
	char name[16];

	snprintf(name, sizeof(name), "VM%d CPU %d", s->vm->n, s->vcpu.id);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		int rc = ioctl(s->vcpu.fd, KVM_RUN, 0);

		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (s->quit)
					break;
				continue;
			}
			s->errors++;
			snprintf(s->err, sizeof(s->err), "KVM_RUN: %s", strerror(errno));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_PAPR_HCALL: {
			uint64_t r4 = run->papr_hcall.args[0];

			if (run->papr_hcall.nr != KVMT_H_TEST) {
				s->other_exits++;
				snprintf(s->err, sizeof(s->err), "hcall %#llx",
					 (unsigned long long)run->papr_hcall.nr);
			} else if (r4 == DONE_MAGIC) {
				s->done = 1;
			} else if ((r4 & ~0xfffULL) == UNEXPECTED) {
				s->unexpected++;
				s->last_unexpected = r4;
				snprintf(s->err, sizeof(s->err), "interrupt at %#llx (SRR0 %#llx)",
					 (unsigned long long)(r4 & 0xfff),
					 (unsigned long long)run->papr_hcall.args[1]);
				/* stuck there: let the main thread see it */
				while (!s->quit)
					usleep(100000);
				return NULL;
			} else {
				if (r4 != (uint64_t)s->hcalls + 1 && s->bad_r4++ < 3)
					kvmt_diag("VM %d vCPU %d: hcall r4 %llu after %ld", s->vm->n,
						  s->vcpu.id, (unsigned long long)r4, s->hcalls);
				s->hcalls = r4;
			}
			run->papr_hcall.ret = KVMT_H_SUCCESS;
			break;
		}
		case KVM_EXIT_MMIO:
			if (run->mmio.is_write) {
				memcpy(&s->mmio_val, run->mmio.data, 8);
				s->mmio_w++;
			} else {
				memcpy(run->mmio.data, &s->mmio_val, 8);
				s->mmio_r++;
			}
			break;
		default:
			s->other_exits++;
			snprintf(s->err, sizeof(s->err), "%s", kvmt_vcpu_exit_str(&s->vcpu,
				 run->exit_reason));
			if (s->other_exits > 100)
				return NULL;
			break;
		}
	}
	return NULL;
}

static int vm_setup(struct svm *m, int n)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_SMT, .args = { MAX_VCPUS, 0 } };
	int rc;

	m->n = n;
	rc = kvmt_vm_create(&m->vm, VM_MEM);
	if (rc) {
		kvmt_diag("VM %d: KVM_CREATE_VM: %s", n, strerror(-rc));
		return rc;
	}
	if (ioctl(m->vm.vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		kvmt_diag("VM %d: KVM_ENABLE_CAP(KVM_CAP_PPC_SMT, %d): %s", n, MAX_VCPUS,
			  strerror(errno));
		return -errno;
	}
	rc = put_code(m);
	if (rc) {
		kvmt_diag("VM %d: code: %s", n, strerror(-rc));
		return rc;
	}
	for (int i = 0; i < opt.vcpus; i++) {
		struct svcpu *s = &m->v[i];
		struct kvm_regs regs;
		int next = (i + 1) % opt.vcpus;

		s->vm = m;
		rc = kvmt_vcpu_create(&m->vm, &s->vcpu, i);
		if (rc) {
			kvmt_diag("VM %d vCPU %d: %s", n, i, strerror(-rc));
			return rc;
		}
		s->started = 1;
		rc = kvmt_get_regs(&s->vcpu, &regs);
		if (rc)
			return rc;
		memset(regs.gpr, 0, sizeof(regs.gpr));
		regs.pc = CODE_GPA;
		regs.msr = KVMT_MSR_REAL_LE;
		regs.gpr[11] = (5ULL << 27) | next;
		regs.gpr[14] = regs.gpr[20] = DATA_GPA + i * 0x1000;
		regs.gpr[15] = DATA_GPA + next * 0x1000;
		regs.gpr[16] = MMIO_GPA + i * 0x100;
		regs.gpr[17] = PF_GPA + i * 8;
		regs.gpr[18] = 0;
		regs.gpr[19] = STOP_GPA;
		regs.gpr[22] = DEC_TICKS;
		regs.gpr[23] = 5ULL << 27;
		rc = kvmt_set_regs(&s->vcpu, &regs);
		if (!rc) {	/* LPCR[ILE]: interrupts taken little-endian */
			uint64_t lpcr;

			rc = kvmt_get_reg64(&s->vcpu, KVM_REG_PPC_LPCR_64, &lpcr);
			if (!rc)
				rc = kvmt_set_reg64(&s->vcpu, KVM_REG_PPC_LPCR_64,
						    lpcr | KVMT_LPCR_ILE);
		}
		if (rc) {
			kvmt_diag("VM %d vCPU %d registers: %s", n, i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: l2-soak [--seconds N] [--vms 1-%d] [--vcpus 2-%d] [--query] "
		"[--no-plan]\n",
		MAX_VMS, MAX_VCPUS);
	exit(2);
}

static long arg_num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "l2-soak: bad number %s (%ld-%ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long last_hcalls[MAX_VMS][MAX_VCPUS];
	double last_move[MAX_VMS][MAX_VCPUS];
	uint64_t tot[C_N] = { 0 };
	struct kvmt_hcount hc;
	struct sigaction sa;
	sigset_t usr1;
	double t0, t_end, t_drop, secs;
	long stalls = 0, drops = 0, exits = 0;
	int setup_ok = 1, hc_ok, i, j;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--query"))
			opt.query = 1;
		else if (!strcmp(argv[i], "--no-plan"))
			opt.no_plan = 1;
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			opt.seconds = arg_num(argv[++i], 1, 1000000);
		else if (!strcmp(argv[i], "--vms") && i + 1 < argc)
			opt.vms = arg_num(argv[++i], 1, MAX_VMS);
		else if (!strcmp(argv[i], "--vcpus") && i + 1 < argc)
			opt.vcpus = arg_num(argv[++i], 2, MAX_VCPUS);
		else
			usage();
	}
	if (!opt.no_plan)
		kvmt_plan(8);
	kvmt_diag("l2-soak: %d VMs x %d vCPUs for %d s", opt.vms, opt.vcpus, opt.seconds);
	hc_ok = kvmt_hcount_open(&hc) == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);

	for (i = 0; i < opt.vms && setup_ok; i++)
		setup_ok = vm_setup(&vms[i], i) == 0;
	kvmt_ok(setup_ok, "soak: %d VMs x %d vCPUs created (KVM_CAP_PPC_SMT %d)", opt.vms,
		opt.vcpus, MAX_VCPUS);
	if (!setup_ok) {
		for (i = 0; i < 7; i++)
			kvmt_ok(0, "soak: not reached (no VMs)");
		return 1;
	}
	if (hc_ok)
		kvmt_hcount_start(&hc);
	t0 = now_s();
	for (i = 0; i < opt.vms; i++)
		for (j = 0; j < opt.vcpus; j++) {
			pthread_create(&vms[i].v[j].th, NULL, vcpu_main, &vms[i].v[j]);
			last_hcalls[i][j] = 0;
			last_move[i][j] = t0;
		}
	/* SIGUSR1 is for the vCPU threads */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);

	t_end = t0 + opt.seconds;
	t_drop = t0 + 2;
	while (now_s() < t_end) {
		double now;

		usleep(200000);
		now = now_s();
		if (opt.query && now > t0 + opt.seconds / 2.0) {
			opt.query = 0;
			kvmt_diag("L0 asked while %d VMs run", opt.vms);
			printf("NV2: L0QUERY soak-running\n");
			fflush(stdout);
		}
		if (now >= t_drop) {
			for (i = 0; i < opt.vms; i++)
				madvise((char *)vms[i].vm.mem + PF_GPA, VM_MEM - PF_GPA,
					MADV_DONTNEED);
			drops++;
			t_drop = now + 2;
		}
		for (i = 0; i < opt.vms; i++)
			for (j = 0; j < opt.vcpus; j++) {
				long h = vms[i].v[j].hcalls;

				if (h != last_hcalls[i][j]) {
					last_hcalls[i][j] = h;
					last_move[i][j] = now;
				} else if (now - last_move[i][j] > STALL_S) {
					stalls++;
					kvmt_diag("VM %d vCPU %d: no hcall for %.0f s (at %ld)", i, j,
						  now - last_move[i][j], h);
					last_move[i][j] = now;
				}
			}
	}
	/* stop: every vCPU reports DONE once its last doorbell was taken */
	for (i = 0; i < opt.vms; i++)
		*(volatile uint64_t *)((char *)vms[i].vm.mem + STOP_GPA) = 1;
	for (double until = now_s() + 60; now_s() < until;) {
		int all = 1;

		for (i = 0; i < opt.vms; i++)
			for (j = 0; j < opt.vcpus; j++)
				all &= vms[i].v[j].done || vms[i].v[j].unexpected ||
				       vms[i].v[j].errors;
		if (all)
			break;
		usleep(100000);
	}
	secs = now_s() - t0;
	/* a last DEC or doorbell may still come: give the handlers a moment */
	usleep(300000);
	for (i = 0; i < opt.vms; i++)
		for (j = 0; j < opt.vcpus; j++)
			vms[i].v[j].quit = 1;
	for (i = 0; i < opt.vms; i++)
		for (j = 0; j < opt.vcpus; j++) {
			/* kick until it leaves KVM_RUN */
			struct timespec ts;

			for (;;) {
				pthread_kill(vms[i].v[j].th, SIGUSR1);
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 50000000;
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				if (!pthread_timedjoin_np(vms[i].v[j].th, NULL, &ts))
					break;
			}
		}
	if (hc_ok)
		kvmt_hcount_stop(&hc);

	{
		int ok_count = 1, ok_mmio = 1, ok_dec = 1, ok_ipi = 1, ok_clean = 1;

		for (i = 0; i < opt.vms; i++) {
			struct svm *m = &vms[i];

			for (j = 0; j < opt.vcpus; j++) {
				struct svcpu *s = &m->v[j];
				int next = (j + 1) % opt.vcpus;
				uint64_t c[C_N];

				for (int k = 0; k < C_N; k++) {
					c[k] = *counter(m, j, k);
					tot[k] += c[k];
				}
				exits += s->hcalls + s->mmio_r + s->mmio_w;
				kvmt_diag("VM %d vCPU %d: %llu hcalls (userspace %ld), %llu MMIO "
					  "round trips (userspace %ld stores, %ld loads, %llu wrong), "
					  "%llu pages, %llu DEC, doorbells %llu sent -> %llu received "
					  "by vCPU %d%s%s", i, j,
					  (unsigned long long)c[C_HCALL], s->hcalls,
					  (unsigned long long)c[C_MMIO], s->mmio_w, s->mmio_r,
					  (unsigned long long)c[C_MMIO_BAD],
					  (unsigned long long)c[C_PAGES], (unsigned long long)c[C_DEC],
					  (unsigned long long)c[C_DBELL_SENT],
					  (unsigned long long)*counter(m, next, C_DBELL_RECV), next,
					  s->err[0] ? "; " : "", s->err);
				ok_count &= c[C_HCALL] == (uint64_t)s->hcalls && !s->bad_r4 &&
					    s->hcalls > 0;
				/* the stop may fall between a store and its load */
				ok_mmio &= !c[C_MMIO_BAD] && s->mmio_r > 0 &&
					   (uint64_t)s->mmio_r == c[C_MMIO] &&
					   s->mmio_w - s->mmio_r <= 1 && s->mmio_w >= s->mmio_r;
				ok_dec &= c[C_DEC] > 0;
				ok_ipi &= c[C_DBELL_SENT] > 0 &&
					  c[C_DBELL_SENT] == *counter(m, next, C_DBELL_RECV);
				ok_clean &= !s->unexpected && !s->errors && !s->other_exits &&
					    s->done;
			}
		}
		for (int k = 0; k < C_N; k++) {
			char key[64];

			snprintf(key, sizeof(key), "soak.%s", c_name[k]);
			kvmt_fact(key, "%llu", (unsigned long long)tot[k]);
		}
		kvmt_fact("soak.seconds", "%.1f", secs);
		kvmt_fact("soak.vcpus", "%d", opt.vms * opt.vcpus);
		kvmt_fact("soak.stalls", "%ld", stalls);
		kvmt_fact("soak.dontneed_rounds", "%ld", drops);
		kvmt_fact("soak.user_exits", "%ld", exits);
		kvmt_ok(ok_count, "soak: every vCPU's hcalls counted the same by the L2 and "
			"userspace (%llu), r4 in order", (unsigned long long)tot[C_HCALL]);
		kvmt_ok(ok_mmio, "soak: MMIO stores and loads counted on both sides, every load "
			"gave the stored value (%llu round trips)", (unsigned long long)tot[C_MMIO]);
		kvmt_ok(ok_dec, "soak: decrementer interrupts on every vCPU (%llu)",
			(unsigned long long)tot[C_DEC]);
		kvmt_ok(ok_ipi, "soak: every doorbell sent was received (%llu sent, %llu received)",
			(unsigned long long)tot[C_DBELL_SENT], (unsigned long long)tot[C_DBELL_RECV]);
		kvmt_ok(ok_clean, "soak: no unexpected interrupt, exit or KVM_RUN error; every vCPU "
			"stopped when told");
		kvmt_ok(!stalls, "soak: no vCPU went %d s without an hcall (%ld stalls)", STALL_S,
			stalls);
		if (!hc_ok) {
			kvmt_ok(0, "soak: H_GUEST_RUN_VCPU counted (no hcall counters)");
		} else {
			uint64_t runs = kvmt_hcount_get(&hc, KVMT_HC_GUEST_RUN_VCPU);

			kvmt_fact("soak.l0_run_vcpu", "%llu", (unsigned long long)runs);
			kvmt_ok(runs >= (uint64_t)exits, "soak: H_GUEST_RUN_VCPU calls (%llu) >= exits "
				"to userspace (%ld)", (unsigned long long)runs, exits);
		}
	}
	for (i = 0; i < opt.vms; i++) {
		for (j = 0; j < opt.vcpus; j++)
			if (vms[i].v[j].started)
				kvmt_vcpu_destroy(&vms[i].v[j].vcpu);
		kvmt_vm_destroy(&vms[i].vm);
	}
	return kvmt_failures() ? 1 : 0;
}
