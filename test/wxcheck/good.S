/* Clean: text, rodata and data in their own pages. */
	.section .text.entry, "ax"
	.globl _start
_start:
	j	_start
	.section .rodata
msg:
	.asciz	"ok"
	.data
counter:
	.dword	0
