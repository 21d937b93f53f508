/* Trap dispatch: interrupts to their handlers, exceptions to a fatal report. */
#include "cairn/trap.h"

#include "cairn/console.h"
#include "cairn/hart.h"
#include "cairn/kernel.h"
#include "cairn/panic.h"
#include "cairn/plic.h"
#include "cairn/sched.h"

extern void trap_entry(void);
void current_stack_bounds(uintptr_t *lo, uintptr_t *hi);

void trap_init_hart(void)
{
	csr_write(stvec, (uintptr_t)trap_entry);
}

/* fatal_exception: report hart, cause, sepc, stval, ra and a backtrace, stop the
 * other harts and leave QEMU with EXIT_PANIC. */
static _Noreturn void fatal_exception(struct trap_frame *f)
{
	hart_halt_others();
	console_panic_mode();
	struct hart *h = hart_self();
	struct thread *t = h->current;
	kprintf("cairn: TRAP hart%u cause=%lu (%s) sepc=0x%lx stval=0x%lx ra=0x%lx thread=%s\n",
		h->hartid, (unsigned long)f->scause, trap_cause_name(f->scause),
		(unsigned long)f->sepc, (unsigned long)f->stval, (unsigned long)f->x[1],
		t ? t->name : "-");
	uintptr_t lo, hi;
	current_stack_bounds(&lo, &hi);
	kprintf("  #-1 pc=0x%lx\n", (unsigned long)f->sepc);
	backtrace_print(f->x[8], lo, hi);
	platform_exit(EXIT_PANIC);
}

void trap_handler(struct trap_frame *f)
{
	if (!(f->scause & SCAUSE_INTR)) {
		fatal_exception(f);
	}
	switch (f->scause & 0xff) {
	case IRQ_S_TIMER:
		timer_handle();
		break;
	case IRQ_S_SOFT:
		hart_handle_ipi();
		break;
	case IRQ_S_EXT:
		plic_dispatch();
		break;
	default:
		panic("unexpected interrupt scause=0x%lx", (unsigned long)f->scause);
	}
}
