/* Layout offender: code in an input section named like data, which link.ld's
 * *(.data.*) pulls into .data: executable code on pages the MMU maps RW, NX. */
	.section .text.entry, "ax"
	.globl _start
_start:
	la	t0, code	/* referenced, so --gc-sections keeps it */
	j	_start
	.section .data.code, "ax"
code:
	ret
