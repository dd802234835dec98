/*
 * sprcheck: TCG semantics of the POWER10 DEXCR/HDEXCR SPRs as QEMU 7.2
 * implements them with qemu-patches/qemu-7.2 (patch 1), seen from a
 * pseries guest: supervisor state (no hypervisor) and problem state.
 *
 * Prints one "sprcheck: ok NAME" or "sprcheck: FAIL NAME got=.. want=.."
 * line per check and ends with "sprcheck: PASS" or "sprcheck: FAIL".
 * Run with -M pseries,x-vof=on -cpu power10 -accel tcg -kernel sprcheck.elf.
 *
 * Interrupts: after H_SET_MODE (little-endian interrupts) the program
 * copies a stub to the program (0x700), hypervisor emulation assistance
 * (0xe40) and system call (0xc00) vectors.  The trap stub records where it
 * was entered and returns past the faulting instruction; the system call
 * stub returns to supervisor state, real mode, which is how problem-state
 * snippets come back.  A decrementer stub (0x900) pushes DEC far out.
 *
 * Problem state always runs with translation on (MSR[PR]=1 forces IR, DR
 * and EE), so the program first maps itself and page 0 1:1 in the hashed
 * page table the machine starts with: segment 0 with VSID 0 in SLB entry
 * 0, one H_ENTER per 4 KiB page.
 */
#include "console.h"

#define H_ENTER                 0x08
#define H_SET_MODE              0x31C
#define H_SET_MODE_RESOURCE_LE  4
#define H_SET_MODE_ENDIAN_LE    1

#define DEXCR_MASK   0x9e0000009c000000ULL  /* writable bits of DEXCR */
#define TRAP_FLAG    ((volatile uint64_t *)0x3000)
#define NO_TRAP      0
#define NOT_SET      0xdeadbeefdeadbeefULL

extern const uint32_t trap_stub[], trap_stub_end[];
extern const uint32_t sc_stub[], sc_stub_end[];
extern const uint32_t dec_stub[], dec_stub_end[];
extern char _image_start[], _image_end[];

__asm__(
"	.pushsection .text\n"
"	.balign 4\n"
"	.globl trap_stub, trap_stub_end, sc_stub, sc_stub_end\n"
"trap_stub:\n"			/* r11, r12, lr are scratch for the tests */
"	mfsrr0	11\n"
"	addi	11, 11, 4\n"
"	mtsrr0	11\n"
"	bcl	20, 31, 1f\n"
"1:	mflr	12\n"
"	std	12, 0x3000(0)\n"
"	rfid\n"
"trap_stub_end:\n"
"sc_stub:\n"
"	mfsrr1	11\n"
"	li	12, 0\n"
"	ori	12, 12, 0xc030\n"	/* MSR[PR, EE, IR, DR] */
"	andc	11, 11, 12\n"
"	mtsrr1	11\n"
"	rfid\n"
"sc_stub_end:\n"
"dec_stub:\n"
"	lis	11, 0x7fff\n"
"	mtdec	11\n"
"	rfid\n"
"dec_stub_end:\n"
"	.popsection\n");

static void install(unsigned long vector, const uint32_t *from,
		    const uint32_t *to)
{
	volatile uint32_t *dst = (volatile uint32_t *)vector;
	unsigned long i, n = to - from;

	for (i = 0; i < n; i++)
		dst[i] = from[i];
	for (i = 0; i < n; i++)
		__asm__ volatile("dcbst 0, %0; sync; icbi 0, %0"
				 : : "r"(&dst[i]) : "memory");
	__asm__ volatile("sync; isync" : : : "memory");
}

/* Map [start, end) 1:1 with 4 KiB pages in segment 0 (VSID 0). */
static int map_1to1(uint64_t start, uint64_t end)
{
	uint64_t ea;

	for (ea = start & ~0xfffULL; ea < end; ea += 0x1000) {
		uint64_t hash = (ea & 0x0fffffffULL) >> 12;   /* VSID 0 ^ page */
		uint64_t pteh = (((ea & 0x0fffffffULL) >> 16) & ~0x7fULL) | 1;
		uint64_t ptel = ea | 0x180 | 0x10 | 0x2;      /* R C M, PP=10 */

		if (hcall(H_ENTER, 0, hash * 8, pteh, ptel).rc != 0)
			return -1;
	}
	return 0;
}

static int failed;

static void expect(const char *name, uint64_t got, uint64_t want)
{
	if (got == want) {
		puts_("sprcheck: ok ");
		puts_(name);
		puts_("\n");
		return;
	}
	failed = 1;
	puts_("sprcheck: FAIL ");
	puts_(name);
	puts_(" got=");
	puthex(got);
	puts_(" want=");
	puthex(want);
	puts_("\n");
}

/* The vector a trap went to since the last call, or NO_TRAP. */
static uint64_t trapped(void)
{
	uint64_t v = *TRAP_FLAG;

	*TRAP_FLAG = NO_TRAP;
	return v ? v - 16 : NO_TRAP;  /* the stub records its address + 16 */
}

#define CLOBBERS "r11", "r12", "lr", "memory"

static void dec_far(void)
{
	__asm__ volatile("mtdec %0" : : "r"(0x7fffffffUL));
}

/* Supervisor-state accessors (SPR numbers must be constants). */
#define MFSPR(n) ({ uint64_t v_ = NOT_SET;				\
	__asm__ volatile("mfspr %0, " #n : "+r"(v_) : : CLOBBERS);	\
	v_; })
#define MTSPR(n, v) __asm__ volatile("mtspr " #n ", %0"			\
				     : : "r"((uint64_t)(v)) : CLOBBERS)

/*
 * Run INSN in problem state: rfid there with MSR[PR] set, run it, and
 * come back with "sc".  %0 is the in/out register of INSN.
 */
#define IN_PROBLEM_STATE(insn, val) ({					\
	uint64_t v_ = (val), t_;					\
	dec_far();							\
	__asm__ volatile("bcl 20, 31, 1f\n"				\
			 "1: mflr %1\n"					\
			 "addi %1, %1, 2f - 1b\n"			\
			 "mtsrr0 %1\n"					\
			 "mfmsr %1\n"					\
			 "ori %1, %1, 0x4030\n"				\
			 "mtsrr1 %1\n"					\
			 "rfid\n"					\
			 "2: " insn "\n"				\
			 "sc\n"						\
			 : "+r"(v_), "=&b"(t_) : : CLOBBERS);		\
	v_; })

int main(void)
{
	uint64_t v;

	puts_("sprcheck: start\n");
	if (hcall(H_SET_MODE, H_SET_MODE_ENDIAN_LE, H_SET_MODE_RESOURCE_LE,
		  0, 0).rc != 0) {
		puts_("sprcheck: FAIL H_SET_MODE(LE)\nsprcheck: FAIL\n");
		for (;;)
			;
	}
	install(0x700, trap_stub, trap_stub_end);
	install(0xe40, trap_stub, trap_stub_end);
	install(0xc00, sc_stub, sc_stub_end);
	install(0x900, dec_stub, dec_stub_end);
	*TRAP_FLAG = NO_TRAP;
	if (map_1to1(0, 0x4000) ||
	    map_1to1((uint64_t)_image_start, (uint64_t)_image_end)) {
		puts_("sprcheck: FAIL H_ENTER\nsprcheck: FAIL\n");
		for (;;)
			;
	}
	/* SLB entry 0: ESID 0, valid, VSID 0, keys 0 */
	__asm__ volatile("slbmte %0, %1; isync"
			 : : "r"(0UL), "r"(0x08000000UL) : "memory");

	/* Reset values. */
	expect("dexcr-reset", MFSPR(828), 0);
	expect("uhdexcr-reset", MFSPR(455), 0);
	expect("no-trap", trapped(), NO_TRAP);

	/* DEXCR: only the defined aspect bits are writable. */
	MTSPR(828, ~0ULL);
	expect("dexcr-write-mask", MFSPR(828), DEXCR_MASK);
	/* UDEXCR shows the problem-state (low) word, also to the kernel. */
	expect("udexcr-supervisor", MFSPR(812), DEXCR_MASK & 0xffffffffULL);
	expect("no-trap", trapped(), NO_TRAP);
	/* The views cannot be written. */
	MTSPR(812, 0);
	expect("mtspr-udexcr-supervisor-traps", trapped(), 0x700);
	expect("udexcr-unchanged", MFSPR(812), DEXCR_MASK & 0xffffffffULL);
	/* HDEXCR belongs to the hypervisor. */
	v = MFSPR(471);
	expect("mfspr-hdexcr-supervisor-traps", trapped() != NO_TRAP, 1);
	expect("hdexcr-not-read", v, NOT_SET);

	/* Problem state: the views read, nothing else. */
	v = IN_PROBLEM_STATE("mfspr %0, 812", NOT_SET);
	expect("udexcr-problem", v, DEXCR_MASK & 0xffffffffULL);
	v = IN_PROBLEM_STATE("mfspr %0, 455", NOT_SET);
	expect("uhdexcr-problem", v, 0);
	expect("no-trap", trapped(), NO_TRAP);
	v = IN_PROBLEM_STATE("mfspr %0, 828", NOT_SET);
	expect("mfspr-dexcr-problem-traps", trapped(), 0x700);
	expect("dexcr-not-read", v, NOT_SET);
	IN_PROBLEM_STATE("mtspr 812, %0", 0);
	expect("mtspr-udexcr-problem-traps", trapped(), 0x700);
	IN_PROBLEM_STATE("mtspr 828, %0", 0);
	expect("mtspr-dexcr-problem-traps", trapped(), 0x700);
	expect("dexcr-unchanged", MFSPR(828), DEXCR_MASK);

	/* Clearing works; a single aspect shows up in the view. */
	MTSPR(828, 0x04000000ULL);
	expect("dexcr-nphie", MFSPR(828), 0x04000000ULL);
	v = IN_PROBLEM_STATE("mfspr %0, 812", NOT_SET);
	expect("udexcr-nphie-problem", v, 0x04000000ULL);
	MTSPR(828, 0x0200000000000000ULL);
	expect("dexcr-phie-privileged-only", MFSPR(812), 0);

	/* HASHKEYR (7.2 already had it): privileged read/write. */
	MTSPR(468, 0x0123456789abcdefULL);
	expect("hashkeyr", MFSPR(468), 0x0123456789abcdefULL);
	expect("no-trap", trapped(), NO_TRAP);

	puts_(failed ? "sprcheck: FAIL\n" : "sprcheck: PASS\n");
	for (;;)
		;
}
