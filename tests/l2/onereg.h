/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one-reg table of the L2 suite: every KVM_REG_PPC_* id of the upstream
 * uapi header (<asm/kvm.h>, Linux 6.12), what Book3S HV KVM is expected to
 * do with it, and a value that is legal to set.  KVM_GET_REG_LIST does not
 * exist on powerpc, so this table is the list.
 */
#ifndef NV2_ONEREG_H
#define NV2_ONEREG_H

#include <stdint.h>

enum onereg_kind {
	/* set v; reads back v before and after a run */
	OR_RW,
	/* as OR_RW, but KVM keeps only the bits in mask: reads back v & mask */
	OR_MASK,
	/* only the bits in mask are the caller's: compare (get & mask) */
	OR_BITS,
	/* counts while the L2 runs: v before the run, >= v after */
	OR_COUNT,
	/* DEC_EXPIRY: val is added to the guest timebase now; after the run
	 * it must be within ONEREG_NEAR_TICKS (re-derived from DEC by the L0) */
	OR_NEAR,
	/* readable; KVM_SET_ONE_REG is refused with EINVAL */
	OR_RO,
	/* only 0 may be set (HIOR): 0 works, anything else is EINVAL */
	OR_ZERO,
	/* Book E / PR-only id: EINVAL for get and set on Book3S HV */
	OR_NOTHV,
	/* needs an in-kernel irqchip this VM does not have: EINVAL or ENXIO */
	OR_IRQCHIP,
	/* transactional memory: EINVAL without CONFIG_PPC_TRANSACTIONAL_MEM */
	OR_TM,
};

/* LPCR bits userspace may set: DPFD, ILE, TC, AIL, LD (book3s_hv.c) */
#define ONEREG_LPCR_USER	0x0070000003820200ULL
#define ONEREG_NEAR_TICKS	(1ULL << 20)

struct onereg {
	const char *name;
	uint64_t id;
	enum onereg_kind kind;
	uint64_t val;		/* value to set (low bits for 32-bit ids) */
	uint64_t mask;		/* OR_MASK: bits expected to stick */
	uint64_t val2;		/* 128-bit ids: second doubleword */
	int group;		/* entries with the same non-zero group share a result */
};

#define OR_GROUP_FPR	1
#define OR_GROUP_VR	2
#define OR_GROUP_VSR	3
#define OR_GROUP_BOOKE	4
#define OR_GROUP_TM	5

/* Fills tab (up to max entries), returns the number of entries. */
int onereg_table(struct onereg *tab, int max);
/* Number of results (TAP lines) the table produces: groups count once. */
int onereg_results(const struct onereg *tab, int n);
const char *onereg_group_name(int group);

#endif
