// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-caps: what a VMM (QEMU 7.2) gets from this L1's KVM for the
 * in-kernel interrupt controllers, TCE tables and eventfds (issue 12 item
 * 4).  Asks KVM_CHECK_EXTENSION on /dev/kvm and on a VM, and
 * KVM_CREATE_DEVICE with KVM_CREATE_DEVICE_TEST for the XICS and XIVE
 * devices (nothing is created).  One FACT line each:
 *   NV2: FACT caps.<name>.sys=<value>   KVM_CHECK_EXTENSION on /dev/kvm
 *   NV2: FACT caps.<name>.vm=<value>    on the VM (what QEMU asks for most)
 *   NV2: FACT caps.dev.<xics|xive>=0|errno N (text)
 *   NV2: FACT caps.create.spapr_tce_64=0|errno N (text)
 *        KVM_CREATE_SPAPR_TCE_64 of a small table (what QEMU 7.2 does when
 *        KVM_CAP_SPAPR_TCE_64 says 1): the capability is reported whatever
 *        the config, but the ioctl only exists with SPAPR_TCE_IOMMU
 * Exit status 0 when every question got an answer (a capability of 0 is
 * an answer), 1 when KVM itself failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvmt.h"

static const struct {
	const char *name;
	int cap;
} caps[] = {
	{ "irq_xics", KVM_CAP_IRQ_XICS },
	{ "ppc_irq_xive", KVM_CAP_PPC_IRQ_XIVE },
	{ "spapr_tce", KVM_CAP_SPAPR_TCE },
	{ "spapr_tce_64", KVM_CAP_SPAPR_TCE_64 },
	{ "spapr_tce_vfio", KVM_CAP_SPAPR_TCE_VFIO },
	{ "spapr_multitce", KVM_CAP_SPAPR_MULTITCE },
	{ "ioeventfd", KVM_CAP_IOEVENTFD },
	{ "irqfd", KVM_CAP_IRQFD },
	{ "irq_routing", KVM_CAP_IRQ_ROUTING },
	{ "ppc_enable_hcall", KVM_CAP_PPC_ENABLE_HCALL },
	{ "ppc_nested_hv", KVM_CAP_PPC_NESTED_HV },
	{ "device_ctrl", KVM_CAP_DEVICE_CTRL },
};

static const struct {
	const char *name;
	unsigned int type;
} devs[] = {
	{ "xics", KVM_DEV_TYPE_XICS },
	{ "xive", KVM_DEV_TYPE_XIVE },
};

int main(void)
{
	int kvm, vm, ret = 0;
	unsigned int i;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		kvmt_fact("caps.kvm", "error %s", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		kvmt_fact("caps.vm", "error %s", strerror(errno));
		ret = 1;
	}
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int v = ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap);
		char key[64];

		snprintf(key, sizeof(key), "caps.%s.sys", caps[i].name);
		if (v < 0)
			kvmt_fact(key, "error %s", strerror(errno));
		else
			kvmt_fact(key, "%d", v);
		if (vm < 0)
			continue;
		v = ioctl(vm, KVM_CHECK_EXTENSION, caps[i].cap);
		snprintf(key, sizeof(key), "caps.%s.vm", caps[i].name);
		if (v < 0)
			kvmt_fact(key, "error %s", strerror(errno));
		else
			kvmt_fact(key, "%d", v);
	}
	for (i = 0; vm >= 0 && i < sizeof(devs) / sizeof(devs[0]); i++) {
		struct kvm_create_device cd = {
			.type = devs[i].type,
			.flags = KVM_CREATE_DEVICE_TEST,
		};
		char key[64];

		snprintf(key, sizeof(key), "caps.dev.%s", devs[i].name);
		if (ioctl(vm, KVM_CREATE_DEVICE, &cd) == 0)
			kvmt_fact(key, "0");
		else
			kvmt_fact(key, "errno %d (%s)", errno, strerror(errno));
	}
	if (vm >= 0) {
		/* 1 MiB of 4 KiB pages at a LIOBN of QEMU's VIO range; the
		 * table goes with its fd. */
		struct kvm_create_spapr_tce_64 tce = {
			.liobn = 0x1000, .page_shift = 12, .offset = 0, .size = 256,
		};
		int fd = ioctl(vm, KVM_CREATE_SPAPR_TCE_64, &tce);

		if (fd >= 0) {
			kvmt_fact("caps.create.spapr_tce_64", "0");
			close(fd);
		} else {
			kvmt_fact("caps.create.spapr_tce_64", "errno %d (%s)", errno, strerror(errno));
		}
	}
	if (vm >= 0)
		close(vm);
	close(kvm);
	return ret;
}
