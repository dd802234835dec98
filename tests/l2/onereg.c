// SPDX-License-Identifier: GPL-2.0-only
/*
 * onereg: the KVM_REG_PPC_* table, see onereg.h.
 *
 * Values are chosen so that setting them cannot disturb the real-mode L2
 * snippet that runs between set and get: PMU counters frozen (MMCR0[FC]),
 * watchpoints without privilege bits, CIABR disabled, a decrementer expiry
 * far in the future, VPA areas inside guest memory away from the code.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kvmt.h"
#include "onereg.h"

#define E(n, k, v)		{ #n, KVM_REG_PPC_##n, k, v, 0, 0, 0 }
#define EM(n, v, m)		{ #n, KVM_REG_PPC_##n, OR_MASK, v, m, 0, 0 }
#define EB(n)			{ #n, KVM_REG_PPC_##n, OR_NOTHV, 0, 0, 0, OR_GROUP_BOOKE }
#define ET(n, v)		{ #n, KVM_REG_PPC_##n, OR_TM, v, 0, 0, OR_GROUP_TM }

/* Guest physical layout used by the one-reg case (1 MiB VM). */
#define VPA_GPA		0x8000
#define DTL_GPA		0x9000
#define SLB_GPA		0xa000

static const struct onereg fixed[] = {
	E(HIOR, OR_ZERO, 0),
	EB(IAC1), EB(IAC2), EB(IAC3), EB(IAC4), EB(DAC1), EB(DAC2),
	E(DABR, OR_RW, 0x12345000),
	E(DSCR, OR_RW, 0x10),
	E(PURR, OR_COUNT, 0x100000000ULL),
	E(SPURR, OR_COUNT, 0x200000000ULL),
	E(DAR, OR_RW, 0xc0ffee0000ULL),
	E(DSISR, OR_RW, 0x42000000),
	E(AMR, OR_RW, 0x3000000000000000ULL),
	E(UAMOR, OR_RW, 0x3000000000000000ULL),
	/* MMCR0[FC]: the counters stay frozen while the L2 runs */
	E(MMCR0, OR_RW, 0x80000000),
	E(MMCR1, OR_RW, 0x12345678),
	E(MMCRA, OR_RW, 0x2),
	E(MMCR2, OR_RW, 0x100),
	E(MMCRS, OR_RW, 0x40),
	E(SIAR, OR_RW, 0x51a0000),
	E(SDAR, OR_RW, 0x5da0000),
	E(SIER, OR_RW, 0x1000),
	E(PMC1, OR_RW, 0x11), E(PMC2, OR_RW, 0x22), E(PMC3, OR_RW, 0x33),
	E(PMC4, OR_RW, 0x44), E(PMC5, OR_RW, 0x55), E(PMC6, OR_RW, 0x66),
	E(PMC7, OR_RW, 0x77), E(PMC8, OR_RW, 0x88),
	E(FPSCR, OR_RW, 0x3),
	E(VSCR, OR_RW, 0x10000),
	E(VPA_ADDR, OR_RW, VPA_GPA),
	/* 128-bit: address, length */
	{ "VPA_SLB", KVM_REG_PPC_VPA_SLB, OR_RW, SLB_GPA, 0, 0x100, 0 },
	/* the length is kept as a multiple of a DTL entry (48 bytes) */
	{ "VPA_DTL", KVM_REG_PPC_VPA_DTL, OR_RW, DTL_GPA, 0, 4 * 48, 0 },
	EB(EPCR), EB(EPR), EB(OR_TSR), EB(CLEAR_TSR), EB(TCR), EB(TSR),
	E(DEBUG_INST, OR_RO, 0),
	EB(MAS0), EB(MAS1), EB(MAS2), EB(MAS7_3), EB(MAS4), EB(MAS6),
	EB(MMUCFG), EB(TLB0CFG), EB(TLB1CFG), EB(TLB2CFG), EB(TLB3CFG),
	EB(TLB0PS), EB(TLB1PS), EB(TLB2PS), EB(TLB3PS), EB(EPTCFG),
	/* rounded up to a multiple of 2^24 by KVM; the L0 keeps 40 bits */
	E(TB_OFFSET, OR_RW, 0x100000000ULL),
	E(SPMC1, OR_RW, 0x5a), E(SPMC2, OR_RW, 0x5b),
	E(IAMR, OR_RW, 0x4000000000000000ULL),
	ET(TFHAR, 0x1000), ET(TFIAR, 0x2000), ET(TEXASR, 0x0),
	/* facilities the L2 may use: TAR, EBB, DSCR */
	E(FSCR, OR_RW, 0x184),
	E(PSPB, OR_RW, 0x1000),
	E(EBBHR, OR_RW, 0xebb0000),
	E(EBBRR, OR_RW, 0xebb1000),
	E(BESCR, OR_RW, 0x0),
	E(TAR, OR_RW, 0x7a0000),
	E(DPDES, OR_RW, 1),
	/* DAWRX: DW|DR, no privilege bits (never matches); HYP (0x4) is dropped */
	E(DAWR, OR_RW, 0x123456780ULL),
	EM(DAWRX, 0xc4, ~0x4ULL),
	/* CIABR[PRIV] = 0: disabled */
	E(CIABR, OR_RW, 0x123450),
	E(IC, OR_COUNT, 0x1000),
	E(VTB, OR_COUNT, 0x300000000ULL),
	E(CSIGR, OR_RW, 0xc5),
	E(TACR, OR_RW, 0xac),
	E(TCSCR, OR_RW, 0xcc),
	E(PID, OR_RW, 0x42),
	E(ACOP, OR_RW, 0xac0),
	E(VRSAVE, OR_RW, 0xdeadbeef),
	/*
	 * LPCR: set current | ILE; only the bits userspace may change (DPFD,
	 * ILE, TC, AIL, LD) are compared: the rest is the hypervisor's.
	 */
	{ "LPCR", KVM_REG_PPC_LPCR, OR_BITS, 0, ONEREG_LPCR_USER & 0xffffffffULL, 0, 0 },
	{ "LPCR_64", KVM_REG_PPC_LPCR_64, OR_BITS, 0, ONEREG_LPCR_USER, 0, 0 },
	E(PPR, OR_RW, 0x0010000000000000ULL),
	/* logical PVR: ISA 3.0 (POWER9) compatibility mode */
	E(ARCH_COMPAT, OR_RW, 0x0f000005),
	EM(DABRX, 0x7, ~0x4ULL),
	E(WORT, OR_RW, 0x17),
	EB(SPRG9), EB(DBSR),
	E(TIDR, OR_RW, 0x71d),
	/* only the guest-visible PSSCR bits stick (bit 31 is dropped) */
	EM(PSSCR, 0x10000003fULL, 0xf0000000000003ffULL),
	/* set to guest TB + 2^30 at run time; the L0 re-derives it from DEC */
	E(DEC_EXPIRY, OR_NEAR, 1ULL << 30),
	E(ONLINE, OR_RW, 1),
	E(PTCR, OR_RW, 0x2000),
	E(MMCR3, OR_RW, 0x300),
	E(SIER2, OR_RW, 0x2000),
	E(SIER3, OR_RW, 0x3000),
	E(DAWR1, OR_RW, 0x223456780ULL),
	EM(DAWRX1, 0xc4, ~0x4ULL),
	E(DEXCR, OR_RW, 0x04000000),
	E(HASHKEYR, OR_RW, 0x4a5b6c7d8e9f0011ULL),
	E(HASHPKEYR, OR_RW, 0x1100f9e8d7c6b5a4ULL),
	E(ICP_STATE, OR_IRQCHIP, 0),
	E(VP_STATE, OR_IRQCHIP, 0),
	ET(TM_CR, 0x1), ET(TM_LR, 0x2), ET(TM_CTR, 0x3), ET(TM_FPSCR, 0x4),
	ET(TM_AMR, 0x5), ET(TM_PPR, 0x6), ET(TM_VRSAVE, 0x7), ET(TM_VSCR, 0x8),
	ET(TM_DSCR, 0x9), ET(TM_TAR, 0xa), ET(TM_XER, 0xb),
};

static uint64_t fpr_val(int i)
{
	/* 1.0 * 2^i: a normal double, distinct per register */
	return 0x3ff0000000000000ULL + ((uint64_t)i << 52);
}

static int add(struct onereg *tab, int n, int max, const struct onereg *e)
{
	if (n < max)
		tab[n] = *e;
	return n + 1;
}

int onereg_table(struct onereg *tab, int max)
{
	static char names[32 * 4 + 64][16];
	int n = 0, k = 0, i;

	for (i = 0; i < (int)(sizeof(fixed) / sizeof(fixed[0])); i++)
		n = add(tab, n, max, &fixed[i]);
	for (i = 0; i < 32; i++) {
		struct onereg e = { names[k], KVM_REG_PPC_FPR(i), OR_RW, fpr_val(i),
				    0, 0, OR_GROUP_FPR };

		snprintf(names[k++], sizeof(names[0]), "FPR%d", i);
		n = add(tab, n, max, &e);
	}
	for (i = 0; i < 32; i++) {
		struct onereg e = { names[k], KVM_REG_PPC_VR(i), OR_RW,
				    0x5600000000000000ULL | i, 0, 0x0123456789abcdefULL ^ i,
				    OR_GROUP_VR };

		snprintf(names[k++], sizeof(names[0]), "VR%d", i);
		n = add(tab, n, max, &e);
	}
	/*
	 * VSR0-31 overlay FPR0-31.  The one-reg buffer holds the 128 bits in
	 * host memory order: on little-endian hosts the FPR (doubleword 0 of
	 * the VSR) is the second u64.  Keep it equal to the FPR value.
	 */
	for (i = 0; i < 32; i++) {
		struct onereg e = { names[k], KVM_REG_PPC_VSR(i), OR_RW,
				    0xa5a5000000000000ULL | i, 0, fpr_val(i), OR_GROUP_VSR };

		snprintf(names[k++], sizeof(names[0]), "VSR%d", i);
		n = add(tab, n, max, &e);
	}
	for (i = 0; i < 32; i++) {
		struct onereg e = { names[k], KVM_REG_PPC_TM_GPR(i), OR_TM, i, 0, 0,
				    OR_GROUP_TM };

		snprintf(names[k++], sizeof(names[0]), "TM_GPR%d", i);
		n = add(tab, n, max, &e);
	}
	for (i = 0; i < 64; i++) {
		struct onereg e = { names[k], KVM_REG_PPC_TM_VSR(i), OR_TM, i, 0, ~(uint64_t)i,
				    OR_GROUP_TM };

		snprintf(names[k++], sizeof(names[0]), "TM_VSR%d", i);
		n = add(tab, n, max, &e);
	}
	return n;
}

int onereg_results(const struct onereg *tab, int n)
{
	int seen[8] = { 0 }, r = 0;

	for (int i = 0; i < n; i++) {
		if (!tab[i].group) {
			r++;
		} else if (!seen[tab[i].group]) {
			seen[tab[i].group] = 1;
			r++;
		}
	}
	return r;
}

const char *onereg_group_name(int group)
{
	switch (group) {
	case OR_GROUP_FPR: return "FPR0-31";
	case OR_GROUP_VR: return "VR0-31";
	case OR_GROUP_VSR: return "VSR0-31";
	case OR_GROUP_BOOKE: return "Book E-only ids";
	case OR_GROUP_TM: return "transactional memory ids";
	default: return "?";
	}
}
