/*
 * migcheck entry: VOF (or SLOF) jumps here in supervisor state, real mode.
 * QEMU loads the ELF at an offset of its own choosing (kernel-addr), so
 * everything is position independent: the TOC and the stack are found
 * relative to where this code runs.  Then run main(); never return.
 */
	/*
	 * Name the file in the symbol table.  Without a .file directive ld gives
	 * this object's local symbols (stack_top) a file symbol named after
	 * gcc's temporary object (ccXXXXXX.o), a new random name every build:
	 * migcheck.elf then differed in each build and each clone, and as it is
	 * in the LPAR image's cache key (ci/lpar-image.sh) the image was
	 * reassembled every time.
	 */
	.file	"start.S"
	.section .text.start, "ax"
	.globl _start
_start:
	/*
	 * Firmware may enter in big-endian mode.  The first word is a no-op
	 * (tdi) in little-endian and "b .+8" in big-endian; the big-endian
	 * path runs the byte-swapped words below, which set MSR[LE] and
	 * rfid to label 2.
	 */
	tdi	0, 0, 0x48
	b	2f
	.long	0xa600607d	/* mfmsr  r11 */
	.long	0x01006b61	/* ori    r11, r11, 1 (MSR[LE]) */
	.long	0x05009f42	/* bcl    20, 31, .+4 */
	.long	0xa602887d	/* mflr   r12 */
	.long	0x14008c39	/* addi   r12, r12, 20 (label 2) */
	.long	0xa6039a7d	/* mtsrr0 r12 */
	.long	0xa6037b7d	/* mtsrr1 r11 */
	.long	0x2400004c	/* rfid */
	/* No external or decrementer interrupts: clear MSR[EE] (and RI). */
2:	li	0, 0
	mtmsrd	0, 1
	bl	0f
0:	mflr	12
	addis	2, 12, (.TOC. - 0b)@ha
	addi	2, 2, (.TOC. - 0b)@l
	addis	1, 12, (stack_top - 0b)@ha
	addi	1, 1, (stack_top - 0b)@l
	li	0, 0
	stdu	0, -32(1)
	bl	main
	nop
1:	b	1b

	.section .bss
	.balign 16
	.space	65536
stack_top:
