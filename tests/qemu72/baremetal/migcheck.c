/*
 * migcheck: an L2 "kernel" that checks DEXCR, HASHKEYR and HASHPKEYR
 * survive a migration of the VM.
 *
 * Runs in supervisor state on a pseries machine (loaded with -kernel).
 * Talks on the first spapr-vty through H_PUT_TERM_CHAR/H_GET_TERM_CHAR:
 *
 *   1. sets DEXCR and HASHKEYR to known values (HASHPKEYR belongs to the
 *      hypervisor: it is only used, through hashstp);
 *   2. hashes a fixed value with hashst (HASHKEYR) and hashstp (HASHPKEYR);
 *   3. prints "migcheck: ready ..." and waits for a character;
 *   4. the harness migrates the VM and types 'v' on the destination;
 *   5. reads the registers again, redoes both hashes and prints
 *      "migcheck: PASS" or "migcheck: FAIL <what>".
 *
 * Memory (including the saved values) travels with the VM, so the second
 * half compares the destination's registers with the source's.
 */
#include <stdint.h>

#define H_GET_TERM_CHAR 0x54
#define H_PUT_TERM_CHAR 0x58
#define VTY             0x71000000UL  /* reg of the default spapr-vty */

/* DEXCR: PNH {NPHIE, PHIE} in the high word, PRO {IBRTPD, NPHIE} low */
#define DEXCR_WANT      0x0600000014000000ULL
#define HASHKEYR_WANT   0x0123456789abcdefULL
#define HASH_INPUT      0xfeedfacecafef00dULL
#define SENTINEL        0x5a5a5a5a5a5a5a5aULL

struct hcall_ret {
	long rc, r4, r5, r6;
};

static struct hcall_ret hcall(long op, long a1, long a2, long a3, long a4)
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

static void puts_(const char *s)
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

static void puthex(uint64_t v)
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

static int getc_(void)
{
	struct hcall_ret r = hcall(H_GET_TERM_CHAR, VTY, 0, 0, 0);

	if (r.rc != 0 || r.r4 == 0)
		return -1;
	return (int)((uint64_t)r.r5 >> 56);
}

static uint64_t mfdexcr(void)
{
	uint64_t v;

	__asm__ volatile("mfspr %0, 828" : "=r"(v));
	return v;
}

static uint64_t mfhashkeyr(void)
{
	uint64_t v;

	__asm__ volatile("mfspr %0, 468" : "=r"(v));
	return v;
}

/* hashst/hashstp store the hash at -8(RA): slot[0], with RA = &slot[1]. */
static uint64_t slot[2] __attribute__((aligned(16)));

static uint64_t hash(int privileged)
{
	uint64_t in = HASH_INPUT;

	slot[0] = SENTINEL;
	if (privileged)
		__asm__ volatile("hashstp %1, -8(%0)"
				 : : "b"(&slot[1]), "r"(in) : "memory");
	else
		__asm__ volatile("hashst %1, -8(%0)"
				 : : "b"(&slot[1]), "r"(in) : "memory");
	return slot[0];
}

struct snapshot {
	uint64_t dexcr, hashkeyr, hash, phash;
};

static void take(struct snapshot *s)
{
	s->dexcr = mfdexcr();
	s->hashkeyr = mfhashkeyr();
	s->hash = hash(0);
	s->phash = hash(1);
}

static void show(const char *tag, const struct snapshot *s)
{
	puts_("migcheck: ");
	puts_(tag);
	puts_(" dexcr=");
	puthex(s->dexcr);
	puts_(" hashkeyr=");
	puthex(s->hashkeyr);
	puts_(" hash=");
	puthex(s->hash);
	puts_(" phash=");
	puthex(s->phash);
	puts_("\n");
}

static struct snapshot before, after;

static int check(const char *what, uint64_t a, uint64_t b)
{
	if (a == b)
		return 0;
	puts_("migcheck: FAIL ");
	puts_(what);
	puts_(" before=");
	puthex(a);
	puts_(" after=");
	puthex(b);
	puts_("\n");
	return 1;
}

int main(void)
{
	int c, bad;

	puts_("migcheck: start\n");
	__asm__ volatile("mtspr 828, %0" : : "r"(DEXCR_WANT));
	__asm__ volatile("mtspr 468, %0" : : "r"(HASHKEYR_WANT));
	__asm__ volatile("isync" : : : "memory");
	take(&before);
	show("ready", &before);
	if (before.dexcr != DEXCR_WANT)
		puts_("migcheck: note: DEXCR did not take the value written\n");
	if (before.hash == SENTINEL || before.phash == SENTINEL)
		puts_("migcheck: note: a hash instruction stored nothing\n");

	for (;;) {
		c = getc_();
		if (c != 'v')
			continue;
		take(&after);
		show("after", &after);
		bad = check("dexcr", before.dexcr, after.dexcr);
		bad |= check("hashkeyr", before.hashkeyr, after.hashkeyr);
		bad |= check("hash(HASHKEYR)", before.hash, after.hash);
		bad |= check("hash(HASHPKEYR)", before.phash, after.phash);
		puts_(bad ? "migcheck: FAIL\n" : "migcheck: PASS\n");
	}
}
