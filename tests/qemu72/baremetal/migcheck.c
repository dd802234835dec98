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
#include "console.h"

/* DEXCR: PNH {NPHIE, PHIE} in the high word, PRO {IBRTPD, NPHIE} low */
#define DEXCR_WANT      0x0600000014000000ULL
#define HASHKEYR_WANT   0x0123456789abcdefULL
#define HASH_INPUT      0xfeedfacecafef00dULL
#define SENTINEL        0x5a5a5a5a5a5a5a5aULL

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
