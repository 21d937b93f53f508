/* W^X offender: a section that is writable and executable. */
	.section .evil, "awx"
	.globl _start
_start:
	nop
	j	_start
