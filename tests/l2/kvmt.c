// SPDX-License-Identifier: GPL-2.0-only
/* kvmt: see kvmt.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "kvmt.h"

static int test_no;
static int failures;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One printf per line: lines from threads never interleave. */
	printf("NV2: %s%s\n", prefix, buf);
	fflush(stdout);
}

void kvmt_plan(int n)
{
	pthread_mutex_lock(&out_lock);
	printf("NV2: 1..%d\n", n);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

void kvmt_ok(int ok, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	pthread_mutex_lock(&out_lock);
	test_no++;
	if (!ok)
		failures++;
	snprintf(prefix, sizeof(prefix), "%s %d - ", ok ? "ok" : "not ok", test_no);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&out_lock);
}

void kvmt_skip(const char *why, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&out_lock);
	test_no++;
	printf("NV2: ok %d - %s # SKIP %s\n", test_no, buf, why);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

void kvmt_diag(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&out_lock);
}

void kvmt_fact(const char *key, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "FACT %s=", key);
	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&out_lock);
}

int kvmt_failures(void)
{
	return failures;
}

int kvmt_results(void)
{
	return test_no;
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

int kvmt_put_code(struct kvmt_vm *vm, uint64_t gpa, const uint32_t *insns, size_t n)
{
	if (gpa + n * 4 > vm->mem_size)
		return -ERANGE;
	/* Little-endian code: the L2 runs with MSR[LE] set. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = (uint8_t *)vm->mem + gpa + 4 * i;

		p[0] = insns[i];
		p[1] = insns[i] >> 8;
		p[2] = insns[i] >> 16;
		p[3] = insns[i] >> 24;
	}
	return 0;
}

int kvmt_set_pc(struct kvmt_vcpu *vcpu, uint64_t pc, uint64_t msr)
{
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		return -errno;
	regs.pc = pc;
	regs.msr = msr;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

int kvmt_load_code(struct kvmt_vcpu *vcpu, uint64_t gpa, const uint32_t *insns, size_t n)
{
	int rc = kvmt_put_code(vcpu->vm, gpa, insns, n);

	return rc ? rc : kvmt_set_pc(vcpu, gpa, KVMT_MSR_REAL_LE);
}

static volatile sig_atomic_t watchdog_fired;
static unsigned int watchdog_secs;

static void watchdog_handler(int sig)
{
	(void)sig;
	watchdog_fired = 1;
}

void kvmt_watchdog(unsigned int seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_handler;
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	sigaction(SIGALRM, &sa, NULL);
	watchdog_fired = 0;
	watchdog_secs = seconds;
	alarm(seconds);
}

int kvmt_run(struct kvmt_vcpu *vcpu)
{
	/* each KVM_RUN gets the full time (a process-wide timer: threads share it) */
	if (watchdog_secs)
		alarm(watchdog_secs);
	for (;;) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) == 0)
			return vcpu->run->exit_reason;
		if (errno == EINTR && watchdog_fired)
			return -ETIMEDOUT;
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

const char *kvmt_run_str(int rc)
{
	static __thread char buf[96];

	if (rc == -ETIMEDOUT)
		snprintf(buf, sizeof(buf), "KVM_RUN did not return (watchdog)");
	else if (rc < 0)
		snprintf(buf, sizeof(buf), "KVM_RUN error: %s", strerror(-rc));
	else
		snprintf(buf, sizeof(buf), "exit %d (%s)", rc, kvmt_exit_name(rc));
	return buf;
}

const char *kvmt_vcpu_exit_str(struct kvmt_vcpu *vcpu, int rc)
{
	static __thread char buf[128];

	if (rc == KVM_EXIT_UNKNOWN || rc == KVM_EXIT_FAIL_ENTRY) {
		snprintf(buf, sizeof(buf), "%s, hardware exit reason %#llx", kvmt_run_str(rc),
			 rc == KVM_EXIT_UNKNOWN ?
			 (unsigned long long)vcpu->run->hw.hardware_exit_reason :
			 (unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
		return buf;
	}
	return kvmt_run_str(rc);
}

int kvmt_run_hcall(struct kvmt_vcpu *vcpu, const char *what)
{
	int rc = kvmt_run(vcpu);

	if (rc != KVM_EXIT_PAPR_HCALL) {
		kvmt_diag("%s: expected our hcall, got %s", what, kvmt_vcpu_exit_str(vcpu, rc));
		return -1;
	}
	if (vcpu->run->papr_hcall.nr != KVMT_H_TEST) {
		kvmt_diag("%s: hcall %#llx (r4 %#llx), expected %#lx", what,
			  (unsigned long long)vcpu->run->papr_hcall.nr,
			  (unsigned long long)vcpu->run->papr_hcall.args[0], KVMT_H_TEST);
		return -1;
	}
	return 0;
}

static int xioctl(int fd, unsigned long req, const void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int kvmt_get_regs(struct kvmt_vcpu *vcpu, struct kvm_regs *regs)
{
	return xioctl(vcpu->fd, KVM_GET_REGS, regs);
}

int kvmt_set_regs(struct kvmt_vcpu *vcpu, const struct kvm_regs *regs)
{
	return xioctl(vcpu->fd, KVM_SET_REGS, regs);
}

int kvmt_get_sregs(struct kvmt_vcpu *vcpu, struct kvm_sregs *sregs)
{
	return xioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

int kvmt_set_sregs(struct kvmt_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return xioctl(vcpu->fd, KVM_SET_SREGS, sregs);
}

size_t kvmt_reg_size(uint64_t id)
{
	return 1UL << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

int kvmt_get_one_reg(struct kvmt_vcpu *vcpu, uint64_t id, void *buf)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)buf };

	return xioctl(vcpu->fd, KVM_GET_ONE_REG, &reg);
}

int kvmt_set_one_reg(struct kvmt_vcpu *vcpu, uint64_t id, const void *buf)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)buf };

	return xioctl(vcpu->fd, KVM_SET_ONE_REG, &reg);
}

int kvmt_get_reg64(struct kvmt_vcpu *vcpu, uint64_t id, uint64_t *val)
{
	uint32_t v32;
	int rc;

	switch (kvmt_reg_size(id)) {
	case 4:
		rc = kvmt_get_one_reg(vcpu, id, &v32);
		*val = v32;
		return rc;
	case 8:
		return kvmt_get_one_reg(vcpu, id, val);
	default:
		return -EINVAL;
	}
}

int kvmt_set_reg64(struct kvmt_vcpu *vcpu, uint64_t id, uint64_t val)
{
	uint32_t v32 = val;

	switch (kvmt_reg_size(id)) {
	case 4:
		return kvmt_set_one_reg(vcpu, id, &v32);
	case 8:
		return kvmt_set_one_reg(vcpu, id, &val);
	default:
		return -EINVAL;
	}
}

void kvmt_code_init(struct kvmt_code *c)
{
	memset(c, 0, sizeof(*c));
}

void kvmt_emit(struct kvmt_code *c, uint32_t insn)
{
	if (c->n >= KVMT_CODE_MAX) {
		c->overflow = true;
		return;
	}
	c->insn[c->n++] = insn;
}

void kvmt_emit_li64(struct kvmt_code *c, int rt, uint64_t v)
{
	int64_t sv = (int64_t)v;

	if (sv >= -32768 && sv <= 32767) {
		kvmt_emit(c, KVMT_LI(rt, sv));
		return;
	}
	if (v <= 0xffff) {
		kvmt_emit(c, KVMT_LI(rt, 0));
		kvmt_emit(c, KVMT_ORI(rt, rt, v));
		return;
	}
	/* lis/ori build the high word, sldi moves it up, oris/ori the low. */
	kvmt_emit(c, KVMT_LIS(rt, v >> 48));
	kvmt_emit(c, KVMT_ORI(rt, rt, (v >> 32) & 0xffff));
	kvmt_emit(c, KVMT_SLDI(rt, rt, 32));
	kvmt_emit(c, KVMT_ORIS(rt, rt, (v >> 16) & 0xffff));
	kvmt_emit(c, KVMT_ORI(rt, rt, v & 0xffff));
}

void kvmt_emit_hcall(struct kvmt_code *c, uint64_t nr)
{
	kvmt_emit_li64(c, 3, nr);
	kvmt_emit(c, KVMT_SC1);
}

int kvmt_code_put(struct kvmt_vm *vm, uint64_t gpa, const struct kvmt_code *c)
{
	if (c->overflow)
		return -E2BIG;
	return kvmt_put_code(vm, gpa, c->insn, c->n);
}

long kvmt_meminfo_kb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			val = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static const struct {
	unsigned long opcode;
	const char *name;
} hc_opcodes[] = {
	{ KVMT_HC_GUEST_GET_CAPABILITIES, "H_GUEST_GET_CAPABILITIES" },
	{ KVMT_HC_GUEST_SET_CAPABILITIES, "H_GUEST_SET_CAPABILITIES" },
	{ KVMT_HC_GUEST_CREATE, "H_GUEST_CREATE" },
	{ KVMT_HC_GUEST_CREATE_VCPU, "H_GUEST_CREATE_VCPU" },
	{ KVMT_HC_GUEST_GET_STATE, "H_GUEST_GET_STATE" },
	{ KVMT_HC_GUEST_SET_STATE, "H_GUEST_SET_STATE" },
	{ KVMT_HC_GUEST_RUN_VCPU, "H_GUEST_RUN_VCPU" },
	{ KVMT_HC_GUEST_COPY_MEMORY, "H_GUEST_COPY_MEMORY" },
	{ KVMT_HC_GUEST_DELETE, "H_GUEST_DELETE" },
	{ KVMT_HC_TLB_INVALIDATE, "H_TLB_INVALIDATE" },
	{ KVMT_HC_RPT_INVALIDATE, "H_RPT_INVALIDATE" },
	{ KVMT_HC_ENTER_NESTED, "H_ENTER_NESTED" },
	{ KVMT_HC_SET_PARTITION_TABLE, "H_SET_PARTITION_TABLE" },
	{ KVMT_HC_COPY_TOFROM_GUEST, "H_COPY_TOFROM_GUEST" },
	{ KVMT_HC_PUT_TERM_CHAR, "H_PUT_TERM_CHAR" },
	{ KVMT_HC_GET_TERM_CHAR, "H_GET_TERM_CHAR" },
	{ KVMT_HC_CEDE, "H_CEDE" },
};

static int perf_open(struct perf_event_attr *attr)
{
	/* This thread and its future children, kernel mode included. */
	long fd = syscall(__NR_perf_event_open, attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

int kvmt_hcount_open(struct kvmt_hcount *hc)
{
	struct perf_event_attr attr;
	char buf[32];
	long id;
	int fd, rc, i;

	memset(hc, 0, sizeof(*hc));
	hc->total_fd = -1;
	fd = open("/sys/kernel/tracing/events/powerpc/hcall_entry/id", O_RDONLY);
	if (fd < 0)
		fd = open("/sys/kernel/debug/tracing/events/powerpc/hcall_entry/id", O_RDONLY);
	if (fd < 0)
		return -errno;
	rc = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (rc <= 0)
		return -EIO;
	buf[rc] = 0;
	id = strtol(buf, NULL, 10);

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = id;
	attr.disabled = 1;
	attr.inherit = 1;
	attr.sample_period = 0;
	hc->total_fd = perf_open(&attr);
	if (hc->total_fd < 0)
		return hc->total_fd;
	for (i = 0; i < (int)(sizeof(hc_opcodes) / sizeof(hc_opcodes[0])) && i < KVMT_HC_MAX; i++) {
		char filter[48];

		fd = perf_open(&attr);
		if (fd < 0) {
			rc = fd;
			goto fail;
		}
		snprintf(filter, sizeof(filter), "opcode == %lu", hc_opcodes[i].opcode);
		if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter) < 0) {
			rc = -errno;
			close(fd);
			goto fail;
		}
		hc->fd[i] = fd;
		hc->opcode[i] = hc_opcodes[i].opcode;
		hc->name[i] = hc_opcodes[i].name;
		hc->n = i + 1;
	}
	return 0;
fail:
	kvmt_hcount_close(hc);
	return rc;
}

void kvmt_hcount_close(struct kvmt_hcount *hc)
{
	for (int i = 0; i < hc->n; i++)
		close(hc->fd[i]);
	if (hc->total_fd >= 0)
		close(hc->total_fd);
	hc->n = 0;
	hc->total_fd = -1;
}

static int hc_each(struct kvmt_hcount *hc, unsigned long req)
{
	if (ioctl(hc->total_fd, req, 0) < 0)
		return -errno;
	for (int i = 0; i < hc->n; i++)
		if (ioctl(hc->fd[i], req, 0) < 0)
			return -errno;
	return 0;
}

int kvmt_hcount_start(struct kvmt_hcount *hc)
{
	int rc = hc_each(hc, PERF_EVENT_IOC_RESET);

	return rc ? rc : hc_each(hc, PERF_EVENT_IOC_ENABLE);
}

int kvmt_hcount_stop(struct kvmt_hcount *hc)
{
	int rc = hc_each(hc, PERF_EVENT_IOC_DISABLE);

	if (rc)
		return rc;
	if (read(hc->total_fd, &hc->total, sizeof(hc->total)) != sizeof(hc->total))
		return -EIO;
	for (int i = 0; i < hc->n; i++)
		if (read(hc->fd[i], &hc->count[i], sizeof(hc->count[i])) != sizeof(hc->count[i]))
			return -EIO;
	return 0;
}

uint64_t kvmt_hcount_get(const struct kvmt_hcount *hc, unsigned long opcode)
{
	for (int i = 0; i < hc->n; i++)
		if (hc->opcode[i] == opcode)
			return hc->count[i];
	return 0;
}
