/* Entry points, trap vector and context switch for RISC-V S-mode. */
#include "cairn/hart.h"

	.section .text.entry, "ax"
	.globl _start
/* _start: OpenSBI jumps here on the boot hart with a0 = hartid, a1 = DTB. */
_start:
	csrw	sie, zero
	csrw	stvec, zero
	/* Boot lottery: the firmware has been seen to release a second hart here.
	 * Only the first may run; the word lives in .data so clearing BSS cannot
	 * reset it. A loser goes back to the firmware (HSM stop), from where the
	 * boot hart starts it properly later. */
	la	t0, boot_lottery
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, stray_hart
	rdtime	t2			/* boot timestamp, before anything else */
	la	sp, boot_stack_top
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	la	t0, boot_time
	sd	t2, 0(t0)
	li	s0, 0			/* frame-pointer chain ends here */
	li	ra, 0
	call	kmain
3:	wfi
	j	3b

stray_hart:
	li	a7, 0x48534D		/* SBI HSM */
	li	a6, 1			/* hart_stop: does not return on success */
	ecall
5:	wfi
	j	5b

	.section .data.boot_lottery, "aw"
	.balign 4
boot_lottery:
	.word	0

	.text
	.globl hart_secondary_entry
/* hart_secondary_entry: SBI HSM starts other harts here with a0 = hartid and
 * a1 = opaque = the top of the hart's scheduler stack. */
hart_secondary_entry:
	csrw	sie, zero
	mv	sp, a1
	li	s0, 0
	li	ra, 0
	call	hart_secondary_main
4:	wfi
	j	4b

/* Trap frame: x[0..31] (x0 slot unused), sepc, sstatus, scause, stval. */
	.equ	FRAME_SIZE, 36 * 8
/* An interrupt is taken on the current stack only when this much room is left
 * above its lowest usable address (the frame plus the handlers' C frames). */
	.equ	TRAP_ROOM, FRAME_SIZE + 1024
	.balign 4
	.globl trap_entry
/* trap_entry: every trap lands here in S-mode (tp = this hart, interrupts off).
 * Picks a stack, saves the full frame there, calls trap_handler(frame),
 * restores and returns. The frame goes on the hart's emergency trap stack for
 * every exception (the fault may be a stack overflow into a guard page) and for
 * an interrupt that finds sp outside [stack_lo + TRAP_ROOM, stack_hi]; a trap
 * taken while already on the emergency stack nests there. Otherwise the frame
 * goes on the current stack, where a handler may switch threads. Nothing
 * switches threads while a live frame is on the emergency stack: an exception
 * there is fatal or ends its thread, and an interrupt there does not preempt
 * (hart.on_trap_stack). t0/t1 wait in the per-hart scratch slots meanwhile. */
trap_entry:
	sd	t0, HART_OFF_SCRATCH0(tp)
	sd	t1, HART_OFF_SCRATCH1(tp)
	ld	t0, HART_OFF_TRAP_TOP(tp)
	sub	t0, t0, sp
	li	t1, HART_TRAP_STACK_SIZE
	bltu	t0, t1, .Lcurrent_stack		/* nested: already on the trap stack */
	csrr	t0, scause
	bgez	t0, .Ltrap_stack		/* an exception */
	ld	t1, HART_OFF_STACK_HI(tp)
	bgtu	sp, t1, .Ltrap_stack
	ld	t0, HART_OFF_STACK_LO(tp)
	li	t1, TRAP_ROOM
	add	t0, t0, t1
	bltu	sp, t0, .Ltrap_stack
.Lcurrent_stack:
	addi	sp, sp, -FRAME_SIZE
	addi	t0, sp, FRAME_SIZE
	sd	t0, 2*8(sp)		/* the interrupted sp */
	j	.Lsave
.Ltrap_stack:
	mv	t0, sp
	ld	sp, HART_OFF_TRAP_TOP(tp)
	addi	sp, sp, -FRAME_SIZE
	sd	t0, 2*8(sp)		/* the interrupted sp */
.Lsave:
	ld	t0, HART_OFF_SCRATCH0(tp)
	sd	t0, 5*8(sp)
	ld	t0, HART_OFF_SCRATCH1(tp)
	sd	t0, 6*8(sp)
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	csrr	t0, sstatus
	sd	t0, 33*8(sp)
	csrr	t0, scause
	sd	t0, 34*8(sp)
	csrr	t0, stval
	sd	t0, 35*8(sp)
	mv	a0, sp
	call	trap_handler
	ld	t0, 32*8(sp)
	csrw	sepc, t0
	ld	t0, 33*8(sp)
	csrw	sstatus, t0
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	/* tp (x4) is per-hart: a thread preempted here may resume on another hart. */
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	ld	sp, 2*8(sp)		/* back to the interrupted stack, last */
	sret

	.globl switch_context
/* switch_context(old, new): save callee-saved registers into *old, load *new.
 * Layout matches struct context: ra, sp, s0..s11. */
switch_context:
	sd	ra, 0(a0)
	sd	sp, 8(a0)
	sd	s0, 16(a0)
	sd	s1, 24(a0)
	sd	s2, 32(a0)
	sd	s3, 40(a0)
	sd	s4, 48(a0)
	sd	s5, 56(a0)
	sd	s6, 64(a0)
	sd	s7, 72(a0)
	sd	s8, 80(a0)
	sd	s9, 88(a0)
	sd	s10, 96(a0)
	sd	s11, 104(a0)
	ld	ra, 0(a1)
	ld	sp, 8(a1)
	ld	s0, 16(a1)
	ld	s1, 24(a1)
	ld	s2, 32(a1)
	ld	s3, 40(a1)
	ld	s4, 48(a1)
	ld	s5, 56(a1)
	ld	s6, 64(a1)
	ld	s7, 72(a1)
	ld	s8, 80(a1)
	ld	s9, 88(a1)
	ld	s10, 96(a1)
	ld	s11, 104(a1)
	ret

/* The boot hart's stack (later its scheduler stack), with an unmapped guard
 * page below it (mmu_init). */
	.section .bss.boot_stack, "aw", @nobits
	.balign 4096
	.globl boot_stack_guard
boot_stack_guard:
	.space 4096
boot_stack:
	.space 16384
	.globl boot_stack_top
boot_stack_top:
