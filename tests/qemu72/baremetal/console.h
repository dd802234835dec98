/*
 * Console and hypercalls for the bare-metal L2 test payloads (migcheck,
 * sprcheck): they run as the "kernel" of a pseries VM and talk on the
 * first spapr-vty through H_PUT_TERM_CHAR/H_GET_TERM_CHAR.
 */
#ifndef BAREMETAL_CONSOLE_H
#define BAREMETAL_CONSOLE_H

#include <stdint.h>

#define H_GET_TERM_CHAR 0x54
#define H_PUT_TERM_CHAR 0x58
#define VTY             0x71000000UL  /* reg of the default spapr-vty */

struct hcall_ret {
	long rc, r4, r5, r6;
};

static inline struct hcall_ret hcall(long op, long a1, long a2, long a3, long a4)
{
	register long r3 __asm__("r3") = op;
	register long r4 __asm__("r4") = a1;
	register long r5 __asm__("r5") = a2;
	register long r6 __asm__("r6") = a3;
	register long r7 __asm__("r7") = a4;
	struct hcall_ret ret;

	__asm__ volatile("sc 1"
			 : "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7)
			 :
			 : "r0", "r8", "r9", "r10", "r11", "r12", "cr0",
			   "cr1", "cr5", "cr6", "cr7", "ctr", "xer", "memory");
	ret.rc = r3;
	ret.r4 = r4;
	ret.r5 = r5;
	ret.r6 = r6;
	return ret;
}

static inline void puts_(const char *s)
{
	while (*s) {
		uint64_t w[2] = { 0, 0 };
		long n = 0;

		while (*s && n < 16) {
			w[n / 8] |= (uint64_t)(unsigned char)*s++ << (56 - 8 * (n % 8));
			n++;
		}
		while (hcall(H_PUT_TERM_CHAR, VTY, n, w[0], w[1]).rc != 0)
			;
	}
}

static inline void puthex(uint64_t v)
{
	char b[19];
	int i;

	b[0] = '0';
	b[1] = 'x';
	for (i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	b[18] = 0;
	puts_(b);
}

static inline int getc_(void)
{
	struct hcall_ret r = hcall(H_GET_TERM_CHAR, VTY, 0, 0, 0);

	if (r.rc != 0 || r.r4 == 0)
		return -1;
	return (int)((uint64_t)r.r5 >> 56);
}

#endif
