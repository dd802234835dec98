/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvmt: a tiny library for static L1 programs that drive /dev/kvm to run
 * L2 code, and print TAP on the console for the harness ("NV2: " lines).
 *
 * Pieces:
 *   TAP/FACT output       kvmt_plan/ok/skip/diag/fact (thread safe)
 *   VMs and vCPUs         kvmt_vm_create, kvmt_vcpu_create, kvmt_run, ...
 *   registers             KVM_GET/SET_REGS, SREGS and ONE_REG wrappers
 *   L2 code               struct kvmt_code: an assembler for real-mode
 *                         snippets (little-endian, MSR[LE] set)
 *   L1 host state         /proc/meminfo readers for leak checks
 *   hcall counting        perf counters on the powerpc:hcall_entry
 *                         tracepoint, one per opcode (L1 -> L0 hcalls)
 */
#ifndef NV2_KVMT_H
#define NV2_KVMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Our test hypercall: above every PAPR opcode, so KVM hands it to userspace. */
#define KVMT_H_TEST		0xf100UL
#define KVMT_H_SUCCESS		0

#define KVMT_MSR_SF		(1ULL << 63)
#define KVMT_MSR_EE		(1ULL << 15)
#define KVMT_MSR_VSX		(1ULL << 23)
#define KVMT_MSR_FP		(1ULL << 13)
#define KVMT_MSR_ME		(1ULL << 12)
#define KVMT_MSR_RI		(1ULL << 1)
#define KVMT_MSR_LE		(1ULL << 0)
#define KVMT_MSR_REAL_LE	(KVMT_MSR_SF | KVMT_MSR_ME | KVMT_MSR_LE)

/* LPCR[ILE]: interrupts are taken with MSR[LE] set. */
#define KVMT_LPCR_ILE		(1ULL << 25)

/* SPR numbers used by L2 snippets. */
#define KVMT_SPR_DEC		22
#define KVMT_SPR_SRR0		26
#define KVMT_SPR_SRR1		27

/* Interrupt vectors (real mode, offsets from 0). */
#define KVMT_VEC_EXTERNAL	0x500
#define KVMT_VEC_DECREMENTER	0x900

/* One-reg ids newer than the cross toolchain's 6.1 uapi headers. */
#ifndef KVM_REG_PPC_DEXCR
#define KVM_REG_PPC_DEXCR	(KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xc6)
#define KVM_REG_PPC_HASHKEYR	(KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xc7)
#define KVM_REG_PPC_HASHPKEYR	(KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xc8)
#endif

struct kvmt_vm {
	int kvm_fd;
	int vm_fd;
	void *mem;
	size_t mem_size;
};

struct kvmt_vcpu {
	struct kvmt_vm *vm;
	int fd;
	int id;
	struct kvm_run *run;
	size_t run_size;
};

/* TAP on the console: every line goes out prefixed with "NV2: ". */
void kvmt_plan(int n);
void kvmt_ok(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kvmt_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kvmt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvmt_fact(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kvmt_failures(void);
/* Results printed so far (kvmt_ok + kvmt_skip). */
int kvmt_results(void);

/*
 * Create a VM with mem_size bytes of guest memory at guest physical 0.
 * Returns 0 or -errno; on error nothing is left open.
 */
int kvmt_vm_create(struct kvmt_vm *vm, size_t mem_size);
void kvmt_vm_destroy(struct kvmt_vm *vm);

/* Create vCPU id, enable KVM_CAP_PPC_PAPR, map kvm_run. 0 or -errno. */
int kvmt_vcpu_create(struct kvmt_vm *vm, struct kvmt_vcpu *vcpu, int id);
void kvmt_vcpu_destroy(struct kvmt_vcpu *vcpu);

/* Copy code to guest physical gpa and point the vCPU at it (real mode, LE). */
int kvmt_load_code(struct kvmt_vcpu *vcpu, uint64_t gpa, const uint32_t *insns, size_t n);
/* Copy code to guest physical gpa only (no register change). 0 or -ERANGE. */
int kvmt_put_code(struct kvmt_vm *vm, uint64_t gpa, const uint32_t *insns, size_t n);
/* Set PC and MSR. 0 or -errno. */
int kvmt_set_pc(struct kvmt_vcpu *vcpu, uint64_t pc, uint64_t msr);

/*
 * Run until an exit userspace must handle.  Returns the exit reason or
 * -errno.  EINTR is retried, unless the watchdog fired: then -ETIMEDOUT.
 */
int kvmt_run(struct kvmt_vcpu *vcpu);
/*
 * Arm (seconds > 0) or disarm (0) a SIGALRM watchdog for this process:
 * every kvmt_run re-arms it, and a KVM_RUN that does not come back in
 * time returns -ETIMEDOUT instead of hanging the whole boot.
 */
void kvmt_watchdog(unsigned int seconds);

/* Return from a KVM_EXIT_PAPR_HCALL with ret in r3 and args in r4.. */
void kvmt_hcall_return(struct kvmt_vcpu *vcpu, uint64_t ret, const uint64_t *args, int nargs);

/*
 * Run and expect our test hcall (KVMT_H_TEST).  On anything else print a
 * diagnostic naming `what` and return -1; else 0.
 */
int kvmt_run_hcall(struct kvmt_vcpu *vcpu, const char *what);

const char *kvmt_exit_name(int reason);
/* "exit 2 (MMIO)" or "error: Invalid argument"; static buffer per thread. */
const char *kvmt_run_str(int rc);
/* As kvmt_run_str, plus the hardware exit reason for UNKNOWN/FAIL_ENTRY. */
const char *kvmt_vcpu_exit_str(struct kvmt_vcpu *vcpu, int rc);

/* Registers.  All return 0 or -errno. */
int kvmt_get_regs(struct kvmt_vcpu *vcpu, struct kvm_regs *regs);
int kvmt_set_regs(struct kvmt_vcpu *vcpu, const struct kvm_regs *regs);
int kvmt_get_sregs(struct kvmt_vcpu *vcpu, struct kvm_sregs *sregs);
int kvmt_set_sregs(struct kvmt_vcpu *vcpu, const struct kvm_sregs *sregs);
/* Raw one-reg access: buf must hold kvmt_reg_size(id) bytes. */
int kvmt_get_one_reg(struct kvmt_vcpu *vcpu, uint64_t id, void *buf);
int kvmt_set_one_reg(struct kvmt_vcpu *vcpu, uint64_t id, const void *buf);
/* 32- or 64-bit one-regs as a u64 (-EINVAL for other sizes). */
int kvmt_get_reg64(struct kvmt_vcpu *vcpu, uint64_t id, uint64_t *val);
int kvmt_set_reg64(struct kvmt_vcpu *vcpu, uint64_t id, uint64_t val);
size_t kvmt_reg_size(uint64_t id);

/*
 * L2 code builder.  Emitting past the end sets overflow (checked by
 * kvmt_code_put), so snippets need no error handling of their own.
 */
#define KVMT_CODE_MAX 1024
struct kvmt_code {
	uint32_t insn[KVMT_CODE_MAX];
	size_t n;
	bool overflow;
};

void kvmt_code_init(struct kvmt_code *c);
void kvmt_emit(struct kvmt_code *c, uint32_t insn);
/* Load a 64-bit constant into rt (1 to 5 instructions). */
void kvmt_emit_li64(struct kvmt_code *c, int rt, uint64_t value);
/* r3 = nr (our hcall numbers fit in 16 bits unsigned); sc 1. */
void kvmt_emit_hcall(struct kvmt_code *c, uint64_t nr);
/* Byte address of the next instruction relative to the code start. */
static inline uint64_t kvmt_code_here(const struct kvmt_code *c)
{
	return c->n * 4;
}
/* Copy to guest physical gpa.  0, -ERANGE or -E2BIG (overflow). */
int kvmt_code_put(struct kvmt_vm *vm, uint64_t gpa, const struct kvmt_code *c);

/* L1 host state: a /proc/meminfo field in kB, or -1. */
long kvmt_meminfo_kb(const char *field);

/*
 * Count L1 -> L0 hypercalls by opcode with perf counters on the
 * powerpc:hcall_entry tracepoint (one counter per opcode, filter
 * "opcode == N", plus one unfiltered total).  Counts the calling thread
 * and threads it creates afterwards, in kernel and user mode.
 */
#define KVMT_HC_MAX 24
struct kvmt_hcount {
	int n;				/* opcodes counted */
	unsigned long opcode[KVMT_HC_MAX];
	const char *name[KVMT_HC_MAX];
	int fd[KVMT_HC_MAX];
	int total_fd;
	uint64_t count[KVMT_HC_MAX];
	uint64_t total;
};

/* Opens counters for the nestedv2 and console opcodes.  0 or -errno. */
int kvmt_hcount_open(struct kvmt_hcount *hc);
void kvmt_hcount_close(struct kvmt_hcount *hc);
/* Reset and enable / disable and read.  0 or -errno. */
int kvmt_hcount_start(struct kvmt_hcount *hc);
int kvmt_hcount_stop(struct kvmt_hcount *hc);
/* Count of one opcode (0 when not counted). */
uint64_t kvmt_hcount_get(const struct kvmt_hcount *hc, unsigned long opcode);

/* Opcodes (decimal values as the hcall_entry tracepoint prints them). */
#define KVMT_HC_GET_TERM_CHAR		0x54
#define KVMT_HC_PUT_TERM_CHAR		0x58
#define KVMT_HC_CEDE			0xe0
#define KVMT_HC_RPT_INVALIDATE		0x448
#define KVMT_HC_GUEST_GET_CAPABILITIES	0x460
#define KVMT_HC_GUEST_SET_CAPABILITIES	0x464
#define KVMT_HC_GUEST_CREATE		0x470
#define KVMT_HC_GUEST_CREATE_VCPU	0x474
#define KVMT_HC_GUEST_GET_STATE		0x478
#define KVMT_HC_GUEST_SET_STATE		0x47c
#define KVMT_HC_GUEST_RUN_VCPU		0x480
#define KVMT_HC_GUEST_COPY_MEMORY	0x484
#define KVMT_HC_GUEST_DELETE		0x488
#define KVMT_HC_SET_PARTITION_TABLE	0xf800
#define KVMT_HC_ENTER_NESTED		0xf804
#define KVMT_HC_TLB_INVALIDATE		0xf808
#define KVMT_HC_COPY_TOFROM_GUEST	0xf80c

/*
 * Instruction encoders for real-mode L2 snippets (Power ISA 3.0 numbering;
 * the assembler mnemonics they stand for are in the comments).
 */
#define KVMT_OP(op)		((uint32_t)(op) << 26)
#define KVMT_RT(r)		((uint32_t)(r) << 21)
#define KVMT_RA(r)		((uint32_t)(r) << 16)
#define KVMT_RB(r)		((uint32_t)(r) << 11)
#define KVMT_D(d)		((uint32_t)(uint16_t)(d))
/* li rt,si  /  addi rt,ra,si  /  lis rt,si  /  addis rt,ra,si */
#define KVMT_LI(rt, si)		(KVMT_OP(14) | KVMT_RT(rt) | KVMT_D(si))
#define KVMT_ADDI(rt, ra, si)	(KVMT_OP(14) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(si))
#define KVMT_LIS(rt, si)	(KVMT_OP(15) | KVMT_RT(rt) | KVMT_D(si))
#define KVMT_ADDIS(rt, ra, si)	(KVMT_OP(15) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(si))
/* ori ra,rs,ui  /  oris ra,rs,ui  (note: ra is the target) */
#define KVMT_ORI(ra, rs, ui)	(KVMT_OP(24) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_D(ui))
#define KVMT_ORIS(ra, rs, ui)	(KVMT_OP(25) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_D(ui))
#define KVMT_NOP		KVMT_ORI(0, 0, 0)
/* mr ra,rs (or ra,rs,rs) */
#define KVMT_MR(ra, rs)		(KVMT_OP(31) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_RB(rs) | (444u << 1))
/* add rt,ra,rb */
#define KVMT_ADD(rt, ra, rb)	(KVMT_OP(31) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_RB(rb) | (266u << 1))
/* sldi ra,rs,n (rldicr ra,rs,n,63-n), 0 < n < 64 */
#define KVMT_SLDI(ra, rs, n)	(KVMT_OP(30) | KVMT_RT(rs) | KVMT_RA(ra) | \
				 (((uint32_t)(n) & 31) << 11) | \
				 (((uint32_t)(63 - (n)) & 31) << 6) | \
				 (((uint32_t)(63 - (n)) >> 5) << 5) | (1u << 2) | \
				 (((uint32_t)(n) >> 5) << 1))
/* cmpd ra,rb (cr0) */
#define KVMT_CMPD(ra, rb)	(KVMT_OP(31) | (1u << 21) | KVMT_RA(ra) | KVMT_RB(rb))
/* D-form loads and stores: op rt,d(ra) */
#define KVMT_LBZ(rt, d, ra)	(KVMT_OP(34) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_LHZ(rt, d, ra)	(KVMT_OP(40) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_LHA(rt, d, ra)	(KVMT_OP(42) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_LWZ(rt, d, ra)	(KVMT_OP(32) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_STB(rs, d, ra)	(KVMT_OP(38) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_STH(rs, d, ra)	(KVMT_OP(44) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_STW(rs, d, ra)	(KVMT_OP(36) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_D(d))
/* DS-form: ld / lwa / std rt,ds(ra), ds a multiple of 4 */
#define KVMT_LD(rt, ds, ra)	(KVMT_OP(58) | KVMT_RT(rt) | KVMT_RA(ra) | (KVMT_D(ds) & ~3u))
#define KVMT_LWA(rt, ds, ra)	(KVMT_OP(58) | KVMT_RT(rt) | KVMT_RA(ra) | (KVMT_D(ds) & ~3u) | 2u)
#define KVMT_STD(rs, ds, ra)	(KVMT_OP(62) | KVMT_RT(rs) | KVMT_RA(ra) | (KVMT_D(ds) & ~3u))
/* D-form FP: lfd / stfd frt,d(ra) */
#define KVMT_LFD(frt, d, ra)	(KVMT_OP(50) | KVMT_RT(frt) | KVMT_RA(ra) | KVMT_D(d))
#define KVMT_STFD(frs, d, ra)	(KVMT_OP(54) | KVMT_RT(frs) | KVMT_RA(ra) | KVMT_D(d))
/* xxlor xt,xa,xb for VSRs 0-31 (XX3-form, XO 146) */
#define KVMT_XXLOR(xt, xa, xb)	(KVMT_OP(60) | KVMT_RT(xt) | KVMT_RA(xa) | KVMT_RB(xb) | (146u << 3))
/* mtspr spr,rs / mfspr rt,spr */
#define KVMT_SPRF(spr)		((((uint32_t)(spr) & 31) << 16) | (((uint32_t)(spr) >> 5) << 11))
#define KVMT_MTSPR(spr, rs)	(KVMT_OP(31) | KVMT_RT(rs) | KVMT_SPRF(spr) | (467u << 1))
#define KVMT_MFSPR(rt, spr)	(KVMT_OP(31) | KVMT_RT(rt) | KVMT_SPRF(spr) | (339u << 1))
/* mfmsr rt / mtmsrd rs,l (l=1: only EE and RI) */
#define KVMT_MFMSR(rt)		(KVMT_OP(31) | KVMT_RT(rt) | (83u << 1))
#define KVMT_MTMSRD(rs, l)	(KVMT_OP(31) | KVMT_RT(rs) | ((uint32_t)(l) << 16) | (178u << 1))
/* lwarx rt,ra,rb / stwcx. rs,ra,rb / mfcr rt */
#define KVMT_LWARX(rt, ra, rb)	(KVMT_OP(31) | KVMT_RT(rt) | KVMT_RA(ra) | KVMT_RB(rb) | (20u << 1))
#define KVMT_STWCX(rs, ra, rb)	(KVMT_OP(31) | KVMT_RT(rs) | KVMT_RA(ra) | KVMT_RB(rb) | \
				 (150u << 1) | 1u)
#define KVMT_MFCR(rt)		(KVMT_OP(31) | KVMT_RT(rt) | (19u << 1))
/* sc 1 (hypervisor call) */
#define KVMT_SC1		0x44000022u
/* b off (relative, bytes) / blt off / bne off (cr0) */
#define KVMT_B(off)		(KVMT_OP(18) | ((uint32_t)(off) & 0x03fffffcu))
#define KVMT_BC(bo, bi, off)	(KVMT_OP(16) | KVMT_RT(bo) | KVMT_RA(bi) | ((uint32_t)(off) & 0xfffcu))
#define KVMT_BLT(off)		KVMT_BC(12, 0, off)
#define KVMT_BNE(off)		KVMT_BC(4, 2, off)

#endif
