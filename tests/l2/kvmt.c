// SPDX-License-Identifier: GPL-2.0-only
/* kvmt: see kvmt.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmt.h"

static int test_no;
static int failures;

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	printf("NV2: %s%s\n", prefix, buf);
	fflush(stdout);
}

void kvmt_plan(int n)
{
	printf("NV2: 1..%d\n", n);
	fflush(stdout);
}

void kvmt_ok(int ok, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	test_no++;
	if (!ok)
		failures++;
	snprintf(prefix, sizeof(prefix), "%s %d - ", ok ? "ok" : "not ok", test_no);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
}

void kvmt_skip(const char *why, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	test_no++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("NV2: ok %d - %s # SKIP %s\n", test_no, buf, why);
	fflush(stdout);
}

void kvmt_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void kvmt_fact(const char *key, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "FACT %s=", key);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
}

int kvmt_failures(void)
{
	return failures;
}

int kvmt_vm_create(struct kvmt_vm *vm, size_t mem_size)
{
	struct kvm_userspace_memory_region region;
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		err = -errno;
		close(vm->kvm_fd);
		return err;
	}
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	vm->mem_size = mem_size;
	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = mem_size;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		err = -errno;
		munmap(vm->mem, mem_size);
		goto fail;
	}
	return 0;
fail:
	close(vm->vm_fd);
	close(vm->kvm_fd);
	return err;
}

void kvmt_vm_destroy(struct kvmt_vm *vm)
{
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	memset(vm, 0, sizeof(*vm));
}

int kvmt_vcpu_create(struct kvmt_vm *vm, struct kvmt_vcpu *vcpu, int id)
{
	struct kvm_enable_cap cap;
	int size, err;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0)
		return -errno;
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_PPC_PAPR;
	if (ioctl(vcpu->fd, KVM_ENABLE_CAP, &cap) < 0) {
		err = -errno;
		goto fail;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0) {
		err = -errno;
		goto fail;
	}
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	vcpu->run_size = size;
	return 0;
fail:
	close(vcpu->fd);
	return err;
}

void kvmt_vcpu_destroy(struct kvmt_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	memset(vcpu, 0, sizeof(*vcpu));
}

int kvmt_load_code(struct kvmt_vcpu *vcpu, uint64_t gpa, const uint32_t *insns, size_t n)
{
	struct kvm_regs regs;

	if (gpa + n * 4 > vcpu->vm->mem_size)
		return -ERANGE;
	/* Little-endian code: the L2 runs with MSR[LE] set. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)vcpu->vm->mem + gpa + 4 * i;

		p[0] = insns[i];
		p[1] = insns[i] >> 8;
		p[2] = insns[i] >> 16;
		p[3] = insns[i] >> 24;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return -errno;
	regs.pc = gpa;
	regs.msr = KVMT_MSR_REAL_LE;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int kvmt_run(struct kvmt_vcpu *vcpu)
{
	for (;;) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) == 0)
			return vcpu->run->exit_reason;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

void kvmt_hcall_return(struct kvmt_vcpu *vcpu, uint64_t ret, const uint64_t *args, int nargs)
{
	vcpu->run->papr_hcall.ret = ret;
	for (int i = 0; i < nargs && i < 9; i++)
		vcpu->run->papr_hcall.args[i] = args[i];
}

const char *kvmt_exit_name(int reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "UNKNOWN";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_PAPR_HCALL: return "PAPR_HCALL";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_DEBUG: return "DEBUG";
	case KVM_EXIT_INTR: return "INTR";
	default: return "other";
	}
}
