/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User-space stand-ins for the kernel definitions that the guest state
 * buffer library (arch/powerpc/kvm/guest-state-buffer.c and
 * asm/kvm_guest_state.h of the patched 6.1 tree) uses, so that the
 * library itself can be compiled into a libFuzzer target on the build
 * host.  Force-included (-include) ahead of everything; the kernel
 * headers the library names resolve to empty stubs that tests/fuzz/Makefile
 * generates.  The LPCR/MSR bits of the settable masks are not here: the
 * Makefile takes their #defines from the tree's asm/reg.h (gsb-reg.h).
 *
 * Kernel semantics that matter for finding bugs are kept: kmalloc memory
 * is malloc memory (ASan sees every overflow), WARN_ON_ONCE() aborts
 * (a warning the L0 can trigger is a bug), byte order is big-endian on
 * the wire whatever the host.
 */
#ifndef NV2_GSB_SHIM_H
#define NV2_GSB_SHIM_H

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
/* sparse annotations only in the kernel: plain integers here */
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint64_t __be64;
typedef unsigned int gfp_t;
typedef struct { u32 u[4]; } __attribute__((aligned(16))) vector128;

#define GFP_KERNEL	0u
#define __packed	__attribute__((packed))
#define __maybe_unused	__attribute__((unused))
#define EXPORT_SYMBOL_GPL(sym)	extern int nv2_gsb_export_##sym
#define IS_ENABLED(opt)	(opt)
#if __BYTE_ORDER == __LITTLE_ENDIAN
#define CONFIG_CPU_LITTLE_ENDIAN 1
#else
#define CONFIG_CPU_LITTLE_ENDIAN 0
#endif

#define cpu_to_be16(x)	htobe16(x)
#define cpu_to_be32(x)	htobe32(x)
#define cpu_to_be64(x)	htobe64(x)
#define be16_to_cpu(x)	be16toh(x)
#define be32_to_cpu(x)	be32toh(x)
#define be64_to_cpu(x)	be64toh(x)
static inline void be32_add_cpu(__be32 *var, u32 val)
{
	*var = cpu_to_be32(be32_to_cpu(*var) + val);
}

#define BITS_PER_BYTE	8
#define BITS_PER_LONG	(sizeof(long) * BITS_PER_BYTE)
#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define U32_MAX		((u32)~0U)
#define KMALLOC_MAX_SIZE	(1UL << 25)	/* 32 MiB: 64 KiB pages, order 9 */
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
/* A negative width is a compile error, as in the kernel. */
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int : (-!!(e)); })))

/* asm/reg.h helpers for the #defines copied out of the tree at build time */
#define ASM_CONST(x)	x##UL
#define __MASK(x)	(1UL << (x))

#define __pa(p)		((unsigned long)(p))

#define WARN_ON_ONCE(cond) ({						\
	bool __c = !!(cond);						\
	if (__c) {							\
		fprintf(stderr, "WARNING: %s:%d: WARN_ON_ONCE(%s)\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
	__c;								\
})

#define MAX_ERRNO	4095
#define IS_ERR_VALUE(x)	((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, size ? size : 1);
}
static inline void kfree(const void *p) { free((void *)p); }

/* Bitmaps: the non-atomic forms are enough in one thread. */
#define BITS_TO_LONGS(n)	DIV_ROUND_UP(n, BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits)	unsigned long name[BITS_TO_LONGS(bits)]
static inline void __set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}
static inline void __clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~(1UL << (nr % BITS_PER_LONG));
}
static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG) & 1;
}
static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}
static inline unsigned long nv2_find_next_bit(const unsigned long *addr,
					      unsigned long size,
					      unsigned long start)
{
	while (start < size && !test_bit(start, addr))
		start++;
	return start;
}
#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = nv2_find_next_bit((addr), (size), 0); (bit) < (size); \
	     (bit) = nv2_find_next_bit((addr), (size), (bit) + 1))

#endif /* NV2_GSB_SHIM_H */
