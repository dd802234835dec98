// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioctl-fuzz: random sequences of KVM ioctls from L1 user space, seeded
 * and reproducible, across threads (issue 15 item 3, docs/reliability.md).
 *
 *   ioctl-fuzz [--seed N] [--ops N] [--threads N] [--run-ms N] [--no-plan]
 *              [--keep-tb-offset]
 *
 * Every thread draws its operations from its own generator (seeded with
 * seed + thread number) on a shared pool of up to 3 VMs with up to 4 vCPUs
 * each: KVM_CREATE_VM / KVM_CREATE_VCPU (valid and invalid IDs), GET/SET
 * ONE_REG (every id of the L2 suite's table with random values, and
 * invalid ids, sizes and buffers), GET/SET_REGS and SREGS (random values),
 * KVM_RUN of random real-mode L2 code, KVM_INTERRUPT, KVM_ENABLE_CAP on the
 * VM and the vCPU, a few VM ioctls (memory slots, dirty log, MMU setup,
 * KVM_CHECK_EXTENSION) and closing VM and vCPU fds in random order (a
 * vCPU may outlive the fd of its VM).  A seed gives the same draws as
 * long as the kernel answers the same (a run cut by the timer instead of
 * ending in its hcall changes what is drawn next); with 2 threads the
 * interleaving varies too.
 *
 * L2 code: random instructions from a menu (GPR arithmetic, loads and
 * stores to RAM and to unbacked MMIO addresses, random hcall numbers and
 * arguments, DEC and MSR[EE] changes, SPR moves, doorbells, rfid, sc 0,
 * whole random words), always ending in our test hcall; every interrupt
 * vector ends in that hcall too.  A KVM_RUN is bounded: a timer of the
 * calling thread interrupts it after --run-ms (default 10) and every
 * --run-ms after that (a signal that came before the thread was in
 * KVM_RUN is counted: FACT ioctlfuzz.timer_early), and one that takes
 * more than 3 s anyway is a stall (a failure).
 *
 * Output (TAP on "NV2: " lines): the seed first, then one result for the
 * operations done and one for stalls; FACT lines ioctlfuzz.* with the
 * counts.  Kernel problems (Oops, WARNING, lockdep) are found on the
 * console by the harness; the run item (ci/initramfs/run/ioctlfuzz)
 * checks the L0's guest count and MemAvailable around this program.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include "onereg.h"

#define MAX_VMS		3
#define MAX_VCPUS	4
#define MAX_THREADS	8
#define MAX_ONEREG	400
#define STALL_MS	3000
#define HANG_S		60	/* a thread without progress this long: hung */
#define MMIO_BASE	0x40000000UL
#define CODE_GPA	0x10000UL
#define DATA_GPA	0x20000UL

static struct {
	uint64_t seed;
	long ops;
	int threads;
	int run_ms;
	int no_plan;		/* a run item prints the plan for all its results */
	int keep_tb_offset;	/* never set KVM_REG_PPC_TB_OFFSET (--keep-tb-offset) */
} opt = { 0, 10000, 2, 10, 0, 0 };

static struct onereg oregs[MAX_ONEREG];
static int n_oregs;

/* ---- the pool: VMs and vCPUs shared by all threads ---- */

struct fvcpu {
	int used;		/* slot taken */
	int dead;		/* closed by an operation; freed at refs == 0 */
	int refs;		/* 1 for the pool + operations in progress */
	int fd;
	int id;
	struct kvm_run *run;
	size_t run_size;
};

struct fvm {
	int used;
	int dead;		/* VM fd closed by an operation (when refs reach 0) */
	int refs;		/* 1 for the pool + operations on vm_fd */
	int memrefs;		/* 1 for the pool + vCPUs + operations on mem */
	int kvm_fd, vm_fd;
	void *mem;
	size_t mem_size;
	struct fvcpu vcpu[MAX_VCPUS];
};

static struct fvm vms[MAX_VMS];
static pthread_mutex_t pool = PTHREAD_MUTEX_INITIALIZER;

/* Op names and counters (per kind: calls, and calls the kernel refused). */
enum op {
	OP_CREATE_VM, OP_CLOSE_VM, OP_CREATE_VCPU, OP_CLOSE_VCPU,
	OP_GET_ONE_REG, OP_SET_ONE_REG, OP_GET_REGS, OP_SET_REGS,
	OP_GET_SREGS, OP_SET_SREGS, OP_RUN, OP_INTERRUPT,
	OP_CAP_VCPU, OP_CAP_VM, OP_VM_MISC, OP_N
};

static const char *const op_name[OP_N] = {
	"create_vm", "close_vm", "create_vcpu", "close_vcpu",
	"get_one_reg", "set_one_reg", "get_regs", "set_regs",
	"get_sregs", "set_sregs", "run", "interrupt",
	"enable_cap_vcpu", "enable_cap_vm", "vm_misc",
};

/* weights out of 100 */
static const int op_weight[OP_N] = {
	4, 2, 7, 3,
	12, 14, 4, 6,
	3, 3, 24, 4,
	4, 4, 6,
};

struct stats {
	long calls[OP_N];
	long errors[OP_N];
	long exits[8];		/* hcall, mmio, intr (timer), other, error */
	long stalls;
	long run_errno[134];	/* KVM_RUN failures by errno */
	long l2_insns;
	double max_run_ms;
	long timer_early;	/* run timer fired before KVM_RUN was entered */
};

struct thread {
	int n;
	uint64_t rng;
	long ops;
	volatile long progress;	/* operations done (read by the watchdog) */
	volatile int cur_op;	/* what it is doing now */
	volatile int finished;
	pid_t tid;
	struct stats st;
	timer_t timer;
	pthread_t th;
};

static uint64_t rnd(struct thread *t)
{
	/* xorshift64* */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct thread *t, uint64_t n)
{
	return n ? rnd(t) % n : 0;
}

static int chance(struct thread *t, int percent)
{
	return (int)below(t, 100) < percent;
}

/* A random 64-bit value: edge cases, small numbers or all bits. */
static uint64_t rval(struct thread *t)
{
	static const uint64_t edge[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, ~1ULL, 0x1000, 0x10000,
	};

	switch (below(t, 4)) {
	case 0:
		return edge[below(t, sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return below(t, 0x10000);
	case 2:
		return rnd(t) & (rnd(t) | rnd(t));	/* sparse-ish */
	default:
		return rnd(t);
	}
}

/* An operation that found nothing to act on (no VM, no vCPU, no free slot). */
#define NOTHING 1

static void vm_put_locked(struct fvm *vm);

static void vm_mem_put_locked(struct fvm *vm)
{
	if (--vm->memrefs > 0)
		return;
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	vm->mem = NULL;
	if (vm->refs == 0)
		vm->used = 0;
}

static void vm_put_locked(struct fvm *vm)
{
	if (--vm->refs > 0)
		return;
	close(vm->vm_fd);
	close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	if (vm->memrefs == 0)
		vm->used = 0;
}

static void vcpu_put_locked(struct fvm *vm, struct fvcpu *v)
{
	if (--v->refs > 0)
		return;
	if (v->run)
		munmap(v->run, v->run_size);
	close(v->fd);
	memset(v, 0, sizeof(*v));
	vm_mem_put_locked(vm);
}

/* A live VM (its fd open) with a reference, or NULL. */
static struct fvm *get_vm(struct thread *t, int want_mem)
{
	struct fvm *vm = NULL;
	int start = below(t, MAX_VMS);

	pthread_mutex_lock(&pool);
	for (int i = 0; i < MAX_VMS; i++) {
		struct fvm *c = &vms[(start + i) % MAX_VMS];

		if (c->used && !c->dead && c->refs > 0 && (!want_mem || c->mem)) {
			vm = c;
			vm->refs++;
			vm->memrefs++;
			break;
		}
	}
	pthread_mutex_unlock(&pool);
	return vm;
}

static void put_vm(struct fvm *vm)
{
	pthread_mutex_lock(&pool);
	vm_mem_put_locked(vm);
	vm_put_locked(vm);
	pthread_mutex_unlock(&pool);
}

/* A live vCPU (of any VM, its VM's fd open or not) with a reference. */
static struct fvcpu *get_vcpu(struct thread *t, struct fvm **vmp)
{
	int start = below(t, MAX_VMS * MAX_VCPUS);

	pthread_mutex_lock(&pool);
	for (int i = 0; i < MAX_VMS * MAX_VCPUS; i++) {
		int k = (start + i) % (MAX_VMS * MAX_VCPUS);
		struct fvm *vm = &vms[k / MAX_VCPUS];
		struct fvcpu *v = &vm->vcpu[k % MAX_VCPUS];

		if (vm->used && v->used && !v->dead) {
			v->refs++;
			*vmp = vm;
			pthread_mutex_unlock(&pool);
			return v;
		}
	}
	pthread_mutex_unlock(&pool);
	return NULL;
}

static void put_vcpu(struct fvm *vm, struct fvcpu *v)
{
	pthread_mutex_lock(&pool);
	vcpu_put_locked(vm, v);
	pthread_mutex_unlock(&pool);
}

/* ---- L2 code ---- */

static const uint32_t vectors[] = {
	0x100, 0x200, 0x300, 0x380, 0x400, 0x480, 0x500, 0x600, 0x700, 0x800,
	0x900, 0x980, 0xa00, 0xb00, 0xc00, 0xd00, 0xe00, 0xe20, 0xe40, 0xe60,
	0xe80, 0xea0, 0xf00, 0xf20, 0xf40, 0xf60, 0xf80,
};

/* Every vector: r4 = 0xbad00000 | vector; our hcall; b . */
static void put_vectors(struct fvm *vm)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct kvmt_code v;

		kvmt_code_init(&v);
		kvmt_emit(&v, KVMT_LIS(4, 0xbad0));
		kvmt_emit(&v, KVMT_ORI(4, 4, vectors[i]));
		kvmt_emit_hcall(&v, KVMT_H_TEST);
		kvmt_emit(&v, KVMT_B(0));
		kvmt_code_put(&(struct kvmt_vm){ .mem = vm->mem, .mem_size = vm->mem_size },
			      vectors[i], &v);
	}
}

/* PAPR hcall numbers KVM handles in the kernel or passes up, plus noise. */
static const uint16_t hcalls[] = {
	0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x28, 0x2c,
	0x30, 0x38, 0x3c, 0x40, 0x44, 0x48, 0x4c, 0x54, 0x58, 0x6c, 0x70,
	0x74, 0x78, 0x7c, 0x80, 0x84, 0x88, 0x8c, 0x90, 0x94, 0xa0, 0xa4,
	0xb0, 0xb4, 0xb8, 0xbc, 0xd4, 0xd8, 0xdc, 0xe0, 0xe4, 0xe8, 0xf0,
	0x104, 0x108, 0x10c, 0x110, 0x118, 0x11c, 0x120, 0x128, 0x12c,
	0x130, 0x134, 0x140, 0x144, 0x180, 0x184, 0x188, 0x18c, 0x190,
	0x198, 0x1a0, 0x2a0, 0x2a8, 0x2b0, 0x2b4, 0x2bc, 0x2c0, 0x2e0,
	0x300, 0x31c, 0x320, 0x324, 0x330, 0x348, 0x360, 0x378, 0x390,
	0x3a0, 0x3b0, 0x3c0, 0x3c4, 0x3c8, 0x3cc, 0x3d0, 0x3e0, 0x3e4,
	0x3e8, 0x3ec, 0x3f0, 0x400, 0x404, 0x408, 0x40c, 0x41c, 0x424,
	0x434, 0x438, 0x43c, 0x440, 0x444, 0x448, 0x450, 0x454, 0x460,
	0x464, 0x470, 0x474, 0x478, 0x47c, 0x480, 0x484, 0x488, 0xef00,
	0xf000, 0xf001, 0xf002, 0xf003, 0xf004, 0xf800, 0xf804, 0xf808,
	0xf80c, 0xf810,
};

/* Load/store XOs (opcode 31) for X-form accesses to MMIO. */
static const uint16_t ls_xo[] = {
	21, 23, 55, 87, 119, 149, 151, 181, 183, 215, 247, 279, 311, 341,
	343, 373, 375, 407, 439, 534, 535, 567, 597, 599, 631, 662, 663,
	695, 727, 759, 790, 918, 983, 20, 84, 150, 214, 52, 116, 276, 310,
	438, 470, 854, 886, 918, 1014, 588, 620, 652, 684, 716, 748, 780,
	812, 844, 876, 908, 940, 972,
};

#define MSGSNDP(rb)	(KVMT_OP(31) | KVMT_RB(rb) | (142u << 1))
#define MSGCLRP(rb)	(KVMT_OP(31) | KVMT_RB(rb) | (174u << 1))
#define RFID		0x4c000024u
#define SC0		0x44000002u

static void gen_code(struct thread *t, struct kvmt_code *c, size_t mem_size)
{
	int n = 1 + below(t, 24);

	kvmt_code_init(c);
	/* r13: RAM data, r14/r15: unbacked (MMIO) addresses */
	(void)mem_size;		/* every VM has >= 1 MiB: DATA_GPA + 0x4000 is RAM */
	kvmt_emit_li64(c, 13, DATA_GPA);
	kvmt_emit_li64(c, 14, MMIO_BASE + below(t, 0x10000));
	kvmt_emit_li64(c, 15, chance(t, 80) ? MMIO_BASE + 0x800 : rval(t));
	for (int i = 0; i < n && c->n < KVMT_CODE_MAX - 40; i++) {
		int r = 4 + below(t, 9), ra;
		int16_t d = below(t, 0x1000) * 8 - 0x4000;

		switch (below(t, 20)) {
		case 0:
		case 1:
			kvmt_emit_li64(c, r, rval(t));
			break;
		case 2:
			kvmt_emit(c, KVMT_ADD(r, 4 + below(t, 9), 4 + below(t, 9)));
			break;
		case 3:	/* RAM */
			d = below(t, 0x800) * 8;
			switch (below(t, 4)) {
			case 0: kvmt_emit(c, KVMT_STD(r, d, 13)); break;
			case 1: kvmt_emit(c, KVMT_LD(r, d, 13)); break;
			case 2: kvmt_emit(c, KVMT_STW(r, d + 4 * (int)below(t, 2), 13)); break;
			default: kvmt_emit(c, KVMT_LBZ(r, d + below(t, 8), 13)); break;
			}
			break;
		case 4:
		case 5:	/* MMIO, D-form */
			ra = chance(t, 85) ? 14 : 15;
			d = below(t, 0x800) - 0x400;
			switch (below(t, 9)) {
			case 0: kvmt_emit(c, KVMT_STB(r, d, ra)); break;
			case 1: kvmt_emit(c, KVMT_STH(r, d, ra)); break;
			case 2: kvmt_emit(c, KVMT_STW(r, d, ra)); break;
			case 3: kvmt_emit(c, KVMT_STD(r, d, ra)); break;
			case 4: kvmt_emit(c, KVMT_LBZ(r, d, ra)); break;
			case 5: kvmt_emit(c, KVMT_LHA(r, d, ra)); break;
			case 6: kvmt_emit(c, KVMT_LWA(r, d, ra)); break;
			case 7: kvmt_emit(c, KVMT_LFD(below(t, 32), d, ra)); break;
			default: kvmt_emit(c, KVMT_LD(r, d, ra)); break;
			}
			break;
		case 6:	/* MMIO, X-form with a random XO (indexed, vector, ...) */
			kvmt_emit(c, KVMT_OP(31) | KVMT_RT(below(t, 32)) | KVMT_RA(14) |
				  KVMT_RB(0) | ((uint32_t)ls_xo[below(t, sizeof(ls_xo) / 2)] << 1) |
				  (uint32_t)below(t, 2));
			break;
		case 7:
		case 8:
		case 9: {	/* an hcall with random arguments */
			uint64_t nr = chance(t, 90) ? hcalls[below(t, sizeof(hcalls) / 2)] :
				      below(t, 0x10000);
			int nargs = below(t, 7);

			for (int a = 4; a < 4 + nargs; a++)
				kvmt_emit_li64(c, a, chance(t, 50) ? below(t, 0x100000) : rval(t));
			kvmt_emit_hcall(c, nr);
			break;
		}
		case 10:	/* DEC */
			kvmt_emit_li64(c, r, chance(t, 50) ? below(t, 5000) : rval(t));
			kvmt_emit(c, KVMT_MTSPR(KVMT_SPR_DEC, r));
			break;
		case 11:	/* MSR[EE]/[RI] on or off */
			kvmt_emit_li64(c, r, (chance(t, 50) ? KVMT_MSR_EE : 0) | KVMT_MSR_RI);
			kvmt_emit(c, KVMT_MTMSRD(r, 1));
			break;
		case 12: {	/* a random SPR, read or write */
			unsigned int spr = below(t, 1024);

			if (chance(t, 50))
				kvmt_emit(c, KVMT_MFSPR(r, spr));
			else
				kvmt_emit(c, KVMT_MTSPR(spr, r));
			break;
		}
		case 13:	/* doorbells */
			kvmt_emit_li64(c, r, chance(t, 70) ? (5ULL << 27) | below(t, 8) : rval(t));
			kvmt_emit(c, chance(t, 70) ? MSGSNDP(r) : MSGCLRP(r));
			break;
		case 14:	/* rfid to somewhere */
			kvmt_emit_li64(c, r, chance(t, 60) ? CODE_GPA + 4 * below(t, 64) : rval(t));
			kvmt_emit(c, KVMT_MTSPR(KVMT_SPR_SRR0, r));
			kvmt_emit_li64(c, r, chance(t, 60) ? KVMT_MSR_REAL_LE : rval(t));
			kvmt_emit(c, KVMT_MTSPR(KVMT_SPR_SRR1, r));
			kvmt_emit(c, RFID);
			break;
		case 15:
			kvmt_emit(c, SC0);
			break;
		case 16:	/* lwarx/stwcx. on RAM or MMIO */
			ra = chance(t, 50) ? 13 : 14;
			kvmt_emit(c, KVMT_LWARX(r, ra, 0));
			kvmt_emit(c, KVMT_STWCX(r, ra, 0));
			break;
		case 17:
		case 18:	/* a whole random word */
			kvmt_emit(c, (uint32_t)rnd(t));
			break;
		default:
			kvmt_emit(c, KVMT_MFMSR(r));
			break;
		}
	}
	kvmt_emit_li64(c, 4, 0x600d);
	kvmt_emit_hcall(c, KVMT_H_TEST);
	kvmt_emit(c, KVMT_B(0));
	t->st.l2_insns += c->n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* set by the run timer's signal in the thread it is for */
static __thread volatile sig_atomic_t usr1_seen;

static void on_sigusr1(int sig)
{
	(void)sig;
	usr1_seen = 1;
}

/* ---- operations ---- */

static int op_create_vm(struct thread *t)
{
	struct kvm_userspace_memory_region region;
	struct fvm *vm = NULL;
	size_t size = (1 + below(t, 4)) << 20;
	int kvm_fd, vm_fd, rc = 0;
	unsigned long type = chance(t, 90) ? 0 : (chance(t, 50) ? below(t, 4) : rnd(t));
	void *mem;

	pthread_mutex_lock(&pool);
	for (int i = 0; i < MAX_VMS; i++)
		if (!vms[i].used) {
			vm = &vms[i];
			vm->used = 1;	/* reserved; refs stay 0 until ready */
			vm->kvm_fd = vm->vm_fd = -1;
			break;
		}
	pthread_mutex_unlock(&pool);
	if (!vm)
		return NOTHING;
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		goto fail;
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
	if (vm_fd < 0) {
		rc = -errno;
		close(kvm_fd);
		goto fail;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		rc = -errno;
		close(vm_fd);
		close(kvm_fd);
		goto fail;
	}
	memset(&region, 0, sizeof(region));
	region.memory_size = size;
	region.userspace_addr = (uintptr_t)mem;
	if (chance(t, 95) && ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		rc = -errno;
	pthread_mutex_lock(&pool);
	vm->kvm_fd = kvm_fd;
	vm->vm_fd = vm_fd;
	vm->mem = mem;
	vm->mem_size = size;
	vm->dead = 0;
	vm->refs = 1;
	vm->memrefs = 1;
	put_vectors(vm);
	pthread_mutex_unlock(&pool);
	return rc;
fail:
	pthread_mutex_lock(&pool);
	vm->used = 0;
	pthread_mutex_unlock(&pool);
	return rc ? rc : -errno;
}

static int op_close_vm(struct thread *t)
{
	struct fvm *vm = get_vm(t, 0);

	if (!vm)
		return NOTHING;
	pthread_mutex_lock(&pool);
	if (!vm->dead) {
		vm->dead = 1;
		vm->refs--;	/* the pool's: the fd closes when the last user is done */
		vm->memrefs--;	/* mem stays while vCPUs use it */
	}
	vm_mem_put_locked(vm);
	vm_put_locked(vm);
	pthread_mutex_unlock(&pool);
	return 0;
}

static int op_create_vcpu(struct thread *t)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_PAPR };
	struct fvm *vm = get_vm(t, 1);
	struct fvcpu *v = NULL;
	int id, fd, size, rc = 0;

	if (!vm)
		return NOTHING;
	if (chance(t, 85))
		id = below(t, 8);
	else if (chance(t, 50))
		id = below(t, 4096);
	else
		id = (int)rnd(t);
	fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (fd < 0) {
		rc = -errno;
		put_vm(vm);
		return rc;
	}
	if (chance(t, 95) && ioctl(fd, KVM_ENABLE_CAP, &cap) < 0)
		rc = -errno;
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	pthread_mutex_lock(&pool);
	for (int i = 0; i < MAX_VCPUS; i++)
		if (!vm->vcpu[i].used) {
			v = &vm->vcpu[i];
			break;
		}
	if (v) {
		memset(v, 0, sizeof(*v));
		v->used = 1;
		v->refs = 1;
		v->fd = fd;
		v->id = id;
		vm->memrefs++;
	}
	pthread_mutex_unlock(&pool);
	if (!v) {
		close(fd);	/* no slot: closed right away, also a case */
	} else if (size > 0) {
		void *run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (run != MAP_FAILED) {
			v->run = run;
			v->run_size = size;
		}
	}
	put_vm(vm);
	return rc;
}

static int op_close_vcpu(struct thread *t)
{
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);

	if (!v)
		return NOTHING;
	pthread_mutex_lock(&pool);
	if (!v->dead) {
		v->dead = 1;
		v->refs--;
	}
	vcpu_put_locked(vm, v);
	pthread_mutex_unlock(&pool);
	return 0;
}

/* An id: from the table (valid), or something KVM must refuse. */
static uint64_t pick_reg(struct thread *t, int *valid)
{
	uint64_t id;

	*valid = chance(t, 75);
	if (*valid)
		return oregs[below(t, n_oregs)].id;
	switch (below(t, 5)) {
	case 0:		/* a table id with another size */
		id = oregs[below(t, n_oregs)].id & ~KVM_REG_SIZE_MASK;
		return id | (below(t, 16) << KVM_REG_SIZE_SHIFT);
	case 1:		/* an unknown index */
		return KVM_REG_PPC | KVM_REG_SIZE_U64 | below(t, 0x10000);
	case 2:		/* another architecture */
		return ((uint64_t)below(t, 16) << 56) | KVM_REG_SIZE_U64 | below(t, 0x200);
	case 3:		/* a huge size */
		return KVM_REG_PPC | (0xfULL << KVM_REG_SIZE_SHIFT) | below(t, 0x100);
	default:
		return rnd(t);
	}
}

static void *pick_buf(struct thread *t, uint64_t *buf)
{
	switch (below(t, 20)) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)rval(t);
	case 2: return (char *)buf + 1;		/* unaligned */
	default: return buf;
	}
}

static int op_one_reg(struct thread *t, int set)
{
	uint64_t buf[64] __attribute__((aligned(16)));
	struct kvm_one_reg reg;
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);
	int valid, rc;

	if (!v)
		return NOTHING;
	reg.id = pick_reg(t, &valid);
	for (int i = 0; i < 64; i++)
		buf[i] = rval(t);
	if (set && valid && chance(t, 30)) {
		for (int i = 0; i < n_oregs; i++)
			if (oregs[i].id == reg.id) {
				buf[0] = oregs[i].val;
				buf[1] = oregs[i].val2;
			}
	}
	if (set && opt.keep_tb_offset && reg.id == KVM_REG_PPC_TB_OFFSET)
		reg.id = KVM_REG_PPC_TAR;	/* see docs/reliability.md: open finding */
	reg.addr = (uintptr_t)pick_buf(t, buf);
	rc = ioctl(v->fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
	put_vcpu(vm, v);
	return rc;
}

static int op_regs(struct thread *t, int set)
{
	struct kvm_regs regs;
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);
	int rc;

	if (!v)
		return NOTHING;
	rc = ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ? -errno : 0;
	if (set) {
		if (rc)
			memset(&regs, 0, sizeof(regs));
		for (int i = 0; i < 32; i++)
			if (chance(t, 30))
				regs.gpr[i] = rval(t);
		if (chance(t, 50))
			regs.pc = chance(t, 70) ? CODE_GPA : rval(t);
		if (chance(t, 50))
			regs.msr = chance(t, 70) ? KVMT_MSR_REAL_LE : rval(t);
		if (chance(t, 20)) {
			regs.cr = rval(t);
			regs.ctr = rval(t);
			regs.lr = rval(t);
			regs.xer = rval(t);
			regs.srr0 = rval(t);
			regs.srr1 = rval(t);
			regs.sprg0 = rval(t);
			regs.pid = rval(t);
		}
		rc = ioctl(v->fd, KVM_SET_REGS, chance(t, 3) ? NULL : &regs) < 0 ? -errno : 0;
	}
	put_vcpu(vm, v);
	return rc;
}

static int op_sregs(struct thread *t, int set)
{
	struct kvm_sregs sregs;
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);
	int rc;

	if (!v)
		return NOTHING;
	rc = ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0 ? -errno : 0;
	if (set) {
		uint8_t *p = (uint8_t *)&sregs;

		if (rc)
			memset(&sregs, 0, sizeof(sregs));
		if (chance(t, 40))
			sregs.pvr = rval(t);
		for (int i = 0; i < 8; i++)
			if (chance(t, 40))
				p[below(t, sizeof(sregs))] = rnd(t);
		rc = ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0 ? -errno : 0;
	}
	put_vcpu(vm, v);
	return rc;
}

static int op_run(struct thread *t)
{
	/*
	 * Periodic: the first signal can come before the thread is in
	 * KVM_RUN (preempted, or its L1 CPU not run by the host, for run_ms
	 * after timer_settime) and is then taken in user space; a one-shot
	 * timer left that run unbounded, and an L2 that spins until the
	 * timer ends it never came back.  The next period ends it.
	 */
	struct timespec period = { opt.run_ms / 1000, (opt.run_ms % 1000) * 1000000L };
	struct itimerspec its = { .it_interval = period, .it_value = period };
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	struct kvmt_code code;
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);
	int rc = 0, entries = 1 + below(t, 6);

	if (!v)
		return NOTHING;
	if (vm->mem && vm->mem_size > CODE_GPA + 4 * KVMT_CODE_MAX && chance(t, 80)) {
		struct kvm_regs regs;

		gen_code(t, &code, vm->mem_size);
		kvmt_code_put(&(struct kvmt_vm){ .mem = vm->mem, .mem_size = vm->mem_size },
			      CODE_GPA, &code);
		if (chance(t, 90) && ioctl(v->fd, KVM_GET_REGS, &regs) == 0) {
			regs.pc = CODE_GPA;
			regs.msr = chance(t, 90) ? KVMT_MSR_REAL_LE : rval(t);
			ioctl(v->fd, KVM_SET_REGS, &regs);
		}
	}
	for (int e = 0; e < entries; e++) {
		double t0, ms;
		int r;

		usr1_seen = 0;
		timer_settime(t->timer, 0, &its, NULL);
		t0 = now_ms();
		if (usr1_seen)
			t->st.timer_early++;
		r = ioctl(v->fd, KVM_RUN, 0);
		ms = now_ms() - t0;
		timer_settime(t->timer, 0, &off, NULL);
		if (ms > t->st.max_run_ms)
			t->st.max_run_ms = ms;
		if (ms > STALL_MS) {
			t->st.stalls++;
			kvmt_diag("thread %d: KVM_RUN of vCPU %d took %.0f ms (timer at %d ms)",
				  t->n, v->id, ms, opt.run_ms);
		}
		if (r < 0) {
			rc = -errno;
			t->st.exits[errno == EINTR ? 2 : 4]++;
			if (errno != EINTR && errno < 134)
				t->st.run_errno[errno]++;
			if (errno != EINTR)
				break;
			continue;
		}
		if (!v->run) {
			t->st.exits[3]++;
			break;
		}
		switch (v->run->exit_reason) {
		case KVM_EXIT_PAPR_HCALL:
			t->st.exits[0]++;
			v->run->papr_hcall.ret = chance(t, 80) ? 0 : rval(t);
			for (int i = 0; i < 9; i++)
				if (chance(t, 20))
					v->run->papr_hcall.args[i] = rval(t);
			/*
			 * The code (or a vector) is done: what follows is a
			 * spin that only the timer ends.  Go on into it
			 * sometimes, for the signal path.
			 */
			if (v->run->papr_hcall.nr == KVMT_H_TEST && chance(t, 90))
				e = entries;
			break;
		case KVM_EXIT_MMIO:
			t->st.exits[1]++;
			if (!v->run->mmio.is_write) {
				uint64_t d = rval(t);

				memcpy(v->run->mmio.data, &d, sizeof(d));
			}
			break;
		default:
			t->st.exits[3]++;
			break;
		}
	}
	put_vcpu(vm, v);
	return rc;
}

static int op_interrupt(struct thread *t)
{
	static const unsigned int irqs[] = {
		KVM_INTERRUPT_SET, KVM_INTERRUPT_UNSET, KVM_INTERRUPT_SET_LEVEL,
	};
	struct kvm_interrupt irq;
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);
	int rc;

	if (!v)
		return NOTHING;
	irq.irq = chance(t, 85) ? irqs[below(t, 3)] : (unsigned int)rval(t);
	rc = ioctl(v->fd, KVM_INTERRUPT, &irq) < 0 ? -errno : 0;
	put_vcpu(vm, v);
	return rc;
}

static const uint32_t vm_caps[] = {
	KVM_CAP_PPC_SMT, KVM_CAP_PPC_ENABLE_HCALL, KVM_CAP_PPC_NESTED_HV,
	KVM_CAP_PPC_FWNMI, KVM_CAP_PPC_SECURE_GUEST, KVM_CAP_PPC_DAWR1,
	KVM_CAP_PPC_RPT_INVALIDATE, KVM_CAP_PPC_AIL_MODE_3, KVM_CAP_PPC_HTM,
	KVM_CAP_PPC_IRQ_XIVE, KVM_CAP_PPC_MMU_RADIX, KVM_CAP_PPC_PAPR,
	KVM_CAP_PPC_GUEST_DEBUG_SSTEP, KVM_CAP_HALT_POLL,
};

static void fill_cap(struct thread *t, struct kvm_enable_cap *cap, uint32_t c)
{
	memset(cap, 0, sizeof(*cap));
	cap->cap = chance(t, 85) ? c : (uint32_t)below(t, 256);
	if (chance(t, 10))
		cap->flags = rval(t);
	switch (cap->cap) {
	case KVM_CAP_PPC_SMT:
		cap->args[0] = chance(t, 80) ? 1u << below(t, 4) : rval(t);
		cap->args[1] = chance(t, 80) ? 0 : rval(t);
		break;
	case KVM_CAP_PPC_ENABLE_HCALL:
		cap->args[0] = chance(t, 80) ? hcalls[below(t, sizeof(hcalls) / 2)] : rval(t);
		cap->args[1] = chance(t, 80) ? below(t, 2) : rval(t);
		break;
	default:
		for (int i = 0; i < 4; i++)
			cap->args[i] = chance(t, 60) ? below(t, 4) : rval(t);
	}
}

static int op_cap_vcpu(struct thread *t)
{
	static const uint32_t caps[] = { KVM_CAP_PPC_PAPR, KVM_CAP_PPC_EPR,
					 KVM_CAP_PPC_OSI, KVM_CAP_PPC_BOOKE_WATCHDOG,
					 KVM_CAP_PPC_FWNMI, KVM_CAP_PPC_IRQ_XIVE };
	struct kvm_enable_cap cap;
	struct fvm *vm;
	struct fvcpu *v = get_vcpu(t, &vm);
	int rc;

	if (!v)
		return NOTHING;
	fill_cap(t, &cap, caps[below(t, sizeof(caps) / sizeof(caps[0]))]);
	rc = ioctl(v->fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
	put_vcpu(vm, v);
	return rc;
}

static int op_cap_vm(struct thread *t)
{
	struct kvm_enable_cap cap;
	struct fvm *vm = get_vm(t, 0);
	int rc;

	if (!vm)
		return NOTHING;
	fill_cap(t, &cap, vm_caps[below(t, sizeof(vm_caps) / sizeof(vm_caps[0]))]);
	rc = ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
	put_vm(vm);
	return rc;
}

static int op_vm_misc(struct thread *t)
{
	struct fvm *vm = get_vm(t, 1);
	int rc = 0;

	if (!vm)
		return NOTHING;
	switch (below(t, 7)) {
	case 0: {	/* a memory slot: move, resize, log, delete */
		struct kvm_userspace_memory_region r;
		size_t off = below(t, vm->mem_size >> 16) << 16;

		memset(&r, 0, sizeof(r));
		r.slot = chance(t, 70) ? below(t, 4) : (uint32_t)rval(t);
		r.flags = chance(t, 60) ? (chance(t, 50) ? KVM_MEM_LOG_DIRTY_PAGES : 0) :
			  (uint32_t)rval(t);
		r.guest_phys_addr = chance(t, 80) ? below(t, 64) << 16 : rval(t);
		r.memory_size = chance(t, 80) ? (vm->mem_size - off) & ~(uint64_t)(chance(t, 20) ?
				0xffff : 0) : (chance(t, 50) ? 0 : rval(t));
		r.userspace_addr = chance(t, 90) ? (uintptr_t)vm->mem + off : rval(t);
		rc = ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
		break;
	}
	case 1: {
		uint64_t bitmap[64];
		struct kvm_dirty_log log = { .slot = chance(t, 80) ? below(t, 4) : (uint32_t)rval(t) };

		log.dirty_bitmap = chance(t, 90) ? bitmap : (void *)(uintptr_t)rval(t);
		rc = ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
		break;
	}
	case 2: {
		struct kvm_ppc_mmuv3_cfg cfg = {
			.flags = chance(t, 50) ? (KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE) : rval(t),
			.process_table = chance(t, 50) ? 0 : rval(t),
		};

		rc = ioctl(vm->vm_fd, KVM_PPC_CONFIGURE_V3_MMU, &cfg) < 0 ? -errno : 0;
		break;
	}
	case 3: {
		struct kvm_ppc_rmmu_info info;

		rc = ioctl(vm->vm_fd, KVM_PPC_GET_RMMU_INFO, &info) < 0 ? -errno : 0;
		break;
	}
	case 4: {
		struct kvm_ppc_smmu_info info;

		rc = ioctl(vm->vm_fd, KVM_PPC_GET_SMMU_INFO, &info) < 0 ? -errno : 0;
		break;
	}
	case 5:
		rc = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, (unsigned long)below(t, 256));
		rc = rc < 0 ? -errno : 0;
		break;
	default: {
		uint32_t order = chance(t, 50) ? 18 + below(t, 8) : (uint32_t)rval(t);

		rc = ioctl(vm->vm_fd, KVM_PPC_ALLOCATE_HTAB, &order) < 0 ? -errno : 0;
		break;
	}
	}
	put_vm(vm);
	return rc;
}

static int do_op(struct thread *t, enum op op)
{
	switch (op) {
	case OP_CREATE_VM: return op_create_vm(t);
	case OP_CLOSE_VM: return op_close_vm(t);
	case OP_CREATE_VCPU: return op_create_vcpu(t);
	case OP_CLOSE_VCPU: return op_close_vcpu(t);
	case OP_GET_ONE_REG: return op_one_reg(t, 0);
	case OP_SET_ONE_REG: return op_one_reg(t, 1);
	case OP_GET_REGS: return op_regs(t, 0);
	case OP_SET_REGS: return op_regs(t, 1);
	case OP_GET_SREGS: return op_sregs(t, 0);
	case OP_SET_SREGS: return op_sregs(t, 1);
	case OP_RUN: return op_run(t);
	case OP_INTERRUPT: return op_interrupt(t);
	case OP_CAP_VCPU: return op_cap_vcpu(t);
	case OP_CAP_VM: return op_cap_vm(t);
	default: return op_vm_misc(t);
	}
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer)) {
		kvmt_diag("thread %d: timer_create: %s", t->n, strerror(errno));
		return NULL;
	}
	t->tid = gettid();
	for (long i = 0; i < t->ops;) {
		int w = below(t, 100), k = 0, rc;

		while (k < OP_N - 1 && w >= op_weight[k])
			w -= op_weight[k++];
		t->cur_op = k;
		rc = do_op(t, k);
		if (rc == NOTHING)
			continue;	/* not an operation: draw again */
		t->st.calls[k]++;
		if (rc)
			t->st.errors[k]++;
		t->progress = ++i;
		if (t->n == 0 && i % 2000 == 0)
			kvmt_diag("thread 0: %ld operations", i);
	}
	timer_delete(t->timer);
	t->finished = 1;
	return NULL;
}

/* Close what is left, in a random order (by a thread of its own). */
static void close_all(struct thread *t)
{
	for (int round = 0; round < 64; round++) {
		if (chance(t, 50))
			op_close_vcpu(t);
		else
			op_close_vm(t);
	}
	pthread_mutex_lock(&pool);
	for (int i = 0; i < MAX_VMS; i++) {
		struct fvm *vm = &vms[i];

		for (int j = 0; j < MAX_VCPUS; j++)
			if (vm->vcpu[j].used && !vm->vcpu[j].dead) {
				vm->vcpu[j].dead = 1;
				vcpu_put_locked(vm, &vm->vcpu[j]);
			}
		if (vm->used && !vm->dead && vm->refs > 0) {
			vm->dead = 1;
			vm_put_locked(vm);
			vm_mem_put_locked(vm);
		}
	}
	pthread_mutex_unlock(&pool);
}

static int pool_empty(void)
{
	for (int i = 0; i < MAX_VMS; i++)
		if (vms[i].used)
			return 0;
	return 1;
}

/* What a hung thread is doing, from /proc. */
static void show_task(struct thread *t)
{
	char path[64], line[256];
	FILE *f;

	kvmt_diag("thread %d (tid %d): no progress for %d s after %ld operations, in %s",
		  t->n, t->tid, HANG_S, t->progress, op_name[t->cur_op]);
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", t->tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			kvmt_diag("thread %d: wchan %s", t->n, line);
		fclose(f);
	}
	for (int k = 0; k < 4; k++) {
		static const char *const what[] = { "stat", "syscall", "stack", "status" };

		for (int w = 0; w < 4; w++) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/%s", t->tid, what[w]);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof(line), f)) {
				line[strcspn(line, "\n")] = 0;
				/* of the status, the signal masks */
				if (w == 3 && strncmp(line, "Sig", 3) && strncmp(line, "ShdPnd", 6))
					continue;
				kvmt_diag("thread %d %s: %s", t->n, what[w], line);
			}
			if (f)
				fclose(f);
		}
		usleep(300000);
	}
	/* what KVM counts for every vCPU of this process, twice */
	for (int k = 0; k < 2; k++) {
		FILE *p = popen("cd /sys/kernel/debug/kvm 2>/dev/null && for f in */vcpu*/* */*; do "
				"[ -f \"$f\" ] || continue; v=$(cat \"$f\" 2>/dev/null | head -c 80); "
				"case $v in 0|'') ;; *) echo \"$f=$v\" ;; esac; done", "r");

		while (p && fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = 0;
			kvmt_diag("kvm %d: %s", k, line);
		}
		if (p)
			pclose(p);
		/* every CPU's timer state: a lost clock event shows here */
		p = popen("grep -A1 -E '^cpu:|^now at|expires_next|next_event|posix_timer_fn|tick_stopped' "
			  "/proc/timer_list; grep -E 'LOC|CAL|^ +[0-9]+:' /proc/interrupts | head -20", "r");
		while (p && fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = 0;
			kvmt_diag("timers %d: %s", k, line);
		}
		if (p)
			pclose(p);
		sleep(2);
	}
}

/*
 * Wait for the threads; 1 when one made no progress for HANG_S (a call
 * that never came back: its kernel stack, and every blocked task's
 * through sysrq-w, go to the console).
 */
static int watch(struct thread *th)
{
	long last[MAX_THREADS] = { 0 };
	double moved[MAX_THREADS];
	int hung = 0;

	for (int i = 0; i < opt.threads; i++)
		moved[i] = now_ms();
	for (;;) {
		int running = 0;

		usleep(500000);
		for (int i = 0; i < opt.threads; i++) {
			if (th[i].finished)
				continue;
			running++;
			if (th[i].progress != last[i]) {
				last[i] = th[i].progress;
				moved[i] = now_ms();
			} else if (now_ms() - moved[i] > HANG_S * 1e3) {
				show_task(&th[i]);
				hung = 1;
			}
		}
		if (hung) {
			FILE *f = fopen("/proc/sysrq-trigger", "w");

			if (f) {
				fputs("w", f);
				fflush(f);
				fputs("l", f);	/* backtraces of the CPUs */
				fclose(f);
			}
			return 1;
		}
		if (!running)
			return 0;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: ioctl-fuzz [--seed N] [--ops N] [--threads 1-%d] [--run-ms N] "
		"[--no-plan] [--keep-tb-offset]\n",
		MAX_THREADS);
	exit(2);
}

static int num(const char *a, const char *prefix, uint64_t *out)
{
	size_t n = strlen(prefix);
	char *end;

	if (strncmp(a, prefix, n) || a[n] != '=')
		return 0;
	errno = 0;
	*out = strtoull(a + n + 1, &end, 0);
	if (errno || end == a + n + 1 || *end) {
		fprintf(stderr, "ioctl-fuzz: bad number in %s\n", a);
		exit(2);
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct thread th[MAX_THREADS];
	struct stats tot;
	struct sigaction sa;
	struct timespec ts;
	sigset_t usr1;
	double t0, secs;
	long done = 0, errs = 0;
	uint64_t v;
	int seeded = 0;

	for (int i = 1; i < argc; i++) {
		/* both --opt=N and --opt N */
		char buf[64];
		const char *a = argv[i];

		if (!strcmp(argv[i], "--no-plan")) {
			opt.no_plan = 1;
			continue;
		}
		if (!strcmp(argv[i], "--keep-tb-offset")) {
			opt.keep_tb_offset = 1;
			continue;
		}
		if (i + 1 < argc && argv[i][0] == '-' && !strchr(argv[i], '=')) {
			snprintf(buf, sizeof(buf), "%s=%s", argv[i], argv[i + 1]);
			a = buf;
			i++;
		}
		if (num(a, "--seed", &v)) {
			opt.seed = v;
			seeded = 1;
		} else if (num(a, "--ops", &v) && v > 0 && v < (1UL << 40)) {
			opt.ops = v;
		} else if (num(a, "--threads", &v) && v >= 1 && v <= MAX_THREADS) {
			opt.threads = v;
		} else if (num(a, "--run-ms", &v) && v >= 1 && v <= 1000) {
			opt.run_ms = v;
		} else {
			usage();
		}
	}
	if (!seeded) {
		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000003ULL) ^ ts.tv_nsec ^ getpid();
		opt.seed &= 0xffffffffULL;
	}
	n_oregs = onereg_table(oregs, MAX_ONEREG);
	kvmt_diag("ioctl-fuzz: seed %llu, %ld operations, %d threads (reproduce: ioctl-fuzz "
		  "--seed %llu --ops %ld --threads %d)", (unsigned long long)opt.seed, opt.ops,
		  opt.threads, (unsigned long long)opt.seed, opt.ops, opt.threads);
	kvmt_fact("ioctlfuzz.seed", "%llu", (unsigned long long)opt.seed);
	if (!opt.no_plan)
		kvmt_plan(3);
	if (access("/dev/kvm", R_OK | W_OK)) {
		kvmt_ok(0, "ioctl-fuzz: /dev/kvm is usable (%s)", strerror(errno));
		kvmt_ok(0, "ioctl-fuzz: no KVM_RUN stalled (not run)");
		kvmt_ok(0, "ioctl-fuzz: every VM and vCPU closed (not run)");
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	t0 = now_ms();
	for (int i = 0; i < opt.threads; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].n = i;
		th[i].rng = (opt.seed + 1) * 0x9e3779b97f4a7c15ULL + i * 0x632be59bd9b4e019ULL;
		if (!th[i].rng)
			th[i].rng = 1;
		th[i].ops = opt.ops / opt.threads + (i < opt.ops % opt.threads);
		if (pthread_create(&th[i].th, NULL, thread_main, &th[i])) {
			kvmt_diag("pthread_create failed");
			opt.threads = i;
			break;
		}
	}
	/* the timers' SIGUSR1 must reach the fuzzing threads, not this join */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	memset(&tot, 0, sizeof(tot));
	if (watch(th)) {
		kvmt_ok(0, "ioctl-fuzz: no thread hung (seed %llu)", (unsigned long long)opt.seed);
		kvmt_ok(0, "ioctl-fuzz: no KVM_RUN stalled (a thread hung)");
		kvmt_ok(0, "ioctl-fuzz: every VM and vCPU closed at the end (a thread hung)");
		_exit(1);
	}
	for (int i = 0; i < opt.threads; i++) {
		pthread_join(th[i].th, NULL);
		for (int k = 0; k < OP_N; k++) {
			tot.calls[k] += th[i].st.calls[k];
			tot.errors[k] += th[i].st.errors[k];
		}
		for (int k = 0; k < 8; k++)
			tot.exits[k] += th[i].st.exits[k];
		for (int k = 0; k < 134; k++)
			tot.run_errno[k] += th[i].st.run_errno[k];
		tot.stalls += th[i].st.stalls;
		tot.timer_early += th[i].st.timer_early;
		tot.l2_insns += th[i].st.l2_insns;
		if (th[i].st.max_run_ms > tot.max_run_ms)
			tot.max_run_ms = th[i].st.max_run_ms;
	}
	th[0].rng ^= 0x5bd1e995;
	close_all(&th[0]);
	secs = (now_ms() - t0) / 1e3;
	for (int k = 0; k < OP_N; k++) {
		done += tot.calls[k];
		errs += tot.errors[k];
		char key[64];

		snprintf(key, sizeof(key), "ioctlfuzz.op.%s", op_name[k]);
		kvmt_fact(key, "calls=%ld refused=%ld", tot.calls[k], tot.errors[k]);
	}
	kvmt_fact("ioctlfuzz.ops", "%ld", done);
	kvmt_fact("ioctlfuzz.refused", "%ld", errs);
	kvmt_fact("ioctlfuzz.seconds", "%.1f", secs);
	kvmt_fact("ioctlfuzz.exits", "hcall=%ld mmio=%ld eintr=%ld other=%ld error=%ld",
		  tot.exits[0], tot.exits[1], tot.exits[2], tot.exits[3], tot.exits[4]);
	kvmt_fact("ioctlfuzz.l2_insns", "%ld", tot.l2_insns);
	{
		char buf[512];
		int len = 0;

		buf[0] = 0;
		for (int k = 1; k < 134 && len < (int)sizeof(buf) - 40; k++)
			if (tot.run_errno[k])
				len += snprintf(buf + len, sizeof(buf) - len, "%s%s:%ld",
						len ? "," : "", strerrorname_np(k) ?: "?",
						tot.run_errno[k]);
		kvmt_fact("ioctlfuzz.run_errors", "%s", len ? buf : "none");
	}
	kvmt_fact("ioctlfuzz.stalls", "%ld", tot.stalls);
	kvmt_fact("ioctlfuzz.max_run_ms", "%.0f", tot.max_run_ms);
	kvmt_fact("ioctlfuzz.timer_early", "%ld", tot.timer_early);
	kvmt_diag("ioctl-fuzz: %ld operations in %.1f s (%ld refused by the kernel), %ld L2 "
		  "instructions generated; exits: %ld hcall, %ld MMIO, %ld timer, %ld other, "
		  "%ld errors; slowest KVM_RUN %.0f ms", done, secs, errs, tot.l2_insns,
		  tot.exits[0], tot.exits[1], tot.exits[2], tot.exits[3], tot.exits[4],
		  tot.max_run_ms);
	kvmt_ok(done == opt.ops, "ioctl-fuzz: %ld of %ld operations done (seed %llu)", done,
		opt.ops, (unsigned long long)opt.seed);
	kvmt_ok(tot.stalls == 0, "ioctl-fuzz: no KVM_RUN stalled (%ld over %d ms)", tot.stalls,
		STALL_MS);
	kvmt_ok(pool_empty(), "ioctl-fuzz: every VM and vCPU closed at the end");
	return kvmt_failures() ? 1 : 0;
}
