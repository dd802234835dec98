// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-smoke: can this L1 run an L2?  Creates a VM and one vCPU, runs a
 * real-mode loop that makes our test hypercall N times, and checks the
 * values that cross in GPRs.  Prints FACT lines the host-side tests assert
 * on per kernel (the stock 6.1 baseline cannot create a VM at all) and TAP
 * for what it could try.
 *
 *   kvm-smoke [ROUND_TRIPS]      (default 200)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmt.h"

int main(int argc, char **argv)
{
	/* r3 = H_TEST; r4 += 1; sc 1; loop */
	static const uint32_t code[] = {
		KVMT_LI(3, 0),
		KVMT_ORI(3, 3, KVMT_H_TEST),
		KVMT_ADDI(4, 4, 1),
		KVMT_SC1,
		KVMT_B(-16),
	};
	long trips = argc > 1 ? strtol(argv[1], NULL, 0) : 200;
	struct kvmt_vcpu vcpu;
	struct kvmt_vm vm;
	struct timespec t0, t1;
	long i, bad = 0;
	int rc;

	rc = kvmt_vm_create(&vm, 1 << 20);
	if (rc) {
		kvmt_fact("kvm_create_vm", "error %s", strerror(-rc));
		return 0;
	}
	kvmt_fact("kvm_create_vm", "ok");
	kvmt_plan(3);
	rc = kvmt_vcpu_create(&vm, &vcpu, 0);
	kvmt_ok(rc == 0, "create vcpu 0 with KVM_CAP_PPC_PAPR%s%s",
		rc ? ": " : "", rc ? strerror(-rc) : "");
	if (rc)
		return 1;
	rc = kvmt_load_code(&vcpu, 0, code, sizeof(code) / sizeof(code[0]));
	kvmt_ok(rc == 0, "load real-mode L2 code");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i <= trips; i++) {
		uint64_t ret_args[1];

		rc = kvmt_run(&vcpu);
		if (rc != KVM_EXIT_PAPR_HCALL) {
			kvmt_diag("round trip %ld: exit %d (%s)%s%s", i, rc,
				  rc < 0 ? "error" : kvmt_exit_name(rc),
				  rc < 0 ? ": " : "", rc < 0 ? strerror(-rc) : "");
			break;
		}
		if (vcpu.run->papr_hcall.nr != KVMT_H_TEST ||
		    vcpu.run->papr_hcall.args[0] != (uint64_t)i) {
			if (bad++ < 3)
				kvmt_diag("round trip %ld: hcall nr %#llx r4 %llu", i,
					  (unsigned long long)vcpu.run->papr_hcall.nr,
					  (unsigned long long)vcpu.run->papr_hcall.args[0]);
		}
		ret_args[0] = i;	/* r4 comes back unchanged */
		kvmt_hcall_return(&vcpu, KVMT_H_SUCCESS, ret_args, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	i--;
	kvmt_ok(i == trips && !bad, "%ld L2 hcall round trips with values in GPRs", trips);
	kvmt_fact("l2_hcall_roundtrips", "%ld", bad ? 0 : i);
	kvmt_fact("l2_roundtrip_us", "%.1f",
		  i ? ((t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3) / i : 0.0);
	kvmt_vcpu_destroy(&vcpu);
	kvmt_vm_destroy(&vm);
	return kvmt_failures() ? 1 : 0;
}
