/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvmt: a tiny library for static L1 programs that drive /dev/kvm to run
 * L2 code, and print TAP on the console for the harness ("NV2: " lines).
 */
#ifndef NV2_KVMT_H
#define NV2_KVMT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Our test hypercall: above every PAPR opcode, so KVM hands it to userspace. */
#define KVMT_H_TEST		0xf100UL
#define KVMT_H_SUCCESS		0

#define KVMT_MSR_SF		(1ULL << 63)
#define KVMT_MSR_ME		(1ULL << 12)
#define KVMT_MSR_LE		(1ULL << 0)
#define KVMT_MSR_REAL_LE	(KVMT_MSR_SF | KVMT_MSR_ME | KVMT_MSR_LE)

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

/*
 * Run until an exit userspace must handle.  Returns the exit reason or
 * -errno.  EINTR is retried.
 */
int kvmt_run(struct kvmt_vcpu *vcpu);

/* Return from a KVM_EXIT_PAPR_HCALL with ret in r3 and args in r4.. */
void kvmt_hcall_return(struct kvmt_vcpu *vcpu, uint64_t ret, const uint64_t *args, int nargs);

const char *kvmt_exit_name(int reason);

/* Instruction encoders for real-mode L2 snippets. */
#define KVMT_LI(rt, si)		(0x38000000u | ((rt) << 21) | ((uint16_t)(si)))
#define KVMT_ORI(ra, rs, ui)	(0x60000000u | ((rs) << 21) | ((ra) << 16) | ((uint16_t)(ui)))
#define KVMT_ADDI(rt, ra, si)	(0x38000000u | ((rt) << 21) | ((ra) << 16) | ((uint16_t)(si)))
#define KVMT_SC1		0x44000022u
#define KVMT_B(off)		(0x48000000u | ((uint32_t)(off) & 0x03fffffcu))

#endif
