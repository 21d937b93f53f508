/* Fault-safe copies of caller memory (cairn/copy.h).
 *
 * Each routine's loads and stores of caller memory lie between copy_text_start
 * and copy_text_end. When one of them faults (access fault, page fault,
 * misaligned access), the trap handler does not end the thread: it resumes at
 * copy_fault, which returns CAIRN_EFAULT (-14) to the routine's caller
 * (copy_fixup in trap.c). The routines use only argument and temporary
 * registers and no stack, so resuming at copy_fault from any instruction in
 * the range is a plain return. */

	.section .text.copy, "ax"
	.globl copy_text_start, copy_text_end, copy_fault
	.globl copy_bytes, copy_string

copy_text_start:
/* long copy_bytes(void *dst, const void *src, size_t n): 0 or -14. Whole
 * doublewords while both pointers are 8-byte aligned, bytes otherwise. */
copy_bytes:
	or	t0, a0, a1
	andi	t0, t0, 7
	bnez	t0, 2f
1:	li	t1, 8
	bltu	a2, t1, 2f
	ld	t2, 0(a1)
	sd	t2, 0(a0)
	addi	a0, a0, 8
	addi	a1, a1, 8
	addi	a2, a2, -8
	j	1b
2:	beqz	a2, 3f
	lbu	t2, 0(a1)
	sb	t2, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, 1
	addi	a2, a2, -1
	j	2b
3:	li	a0, 0
	ret

/* long copy_string(char *dst, const char *src, size_t max): copies bytes up to
 * and including the first NUL among src[0..max); returns the string's length,
 * max when no NUL was found in max bytes (dst then holds max bytes and no
 * NUL), or -14. */
copy_string:
	li	t0, 0
4:	beq	t0, a2, 5f
	add	t1, a1, t0
	lbu	t2, 0(t1)
	add	t1, a0, t0
	sb	t2, 0(t1)
	beqz	t2, 5f
	addi	t0, t0, 1
	j	4b
5:	mv	a0, t0
	ret
copy_text_end:

/* copy_fault: where a faulting copy resumes (outside the range on purpose). */
copy_fault:
	li	a0, -14
	ret
