/* Trap dispatch: interrupts to their handlers; exceptions in a component's
 * thread are contained (the thread ends, the supervisor is told), every other
 * exception gets a fatal report. */
#include "cairn/trap.h"

#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/copy.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/panic.h"
#include "cairn/plic.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/timer.h"

extern void trap_entry(void);
void current_stack_bounds(uintptr_t *lo, uintptr_t *hi);

void trap_init_hart(void) { csr_write(stvec, (uintptr_t)trap_entry); }

/* fatal_exception: report hart, cause, sepc, stval, ra and a backtrace, stop the
 * other harts and leave QEMU with EXIT_PANIC. */
static void trap_interrupt(struct trap_frame *f);

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

/* contained_cause: the exceptions a component's bad memory access or bad
 * code produces (misaligned, access fault, illegal instruction, page fault). */
static bool contained_cause(uint64_t scause)
{
	switch (scause) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 5:
	case 6:
	case 7:
	case 12:
	case 13:
	case 15:
		return true;
	default:
		return false;
	}
}

/* containable: may this exception end just the faulting thread? Only when the
 * thread belongs to a component (id != 0), holds no spinlock and has no
 * push_off pending (noff == 0: no kernel structure is mid-update under a lock on
 * this hart), had interrupts enabled when it faulted (SPIE: so it was not in an
 * interrupt handler, a trap handler or the scheduler's switch path), and the
 * exception is one of contained_cause's. */
static bool containable(const struct hart *h, const struct thread *t, const struct trap_frame *f)
{
	return t && t->component != 0 && h->noff == 0 && (f->sstatus & SSTATUS_SPIE) &&
	       contained_cause(f->scause);
}

/* contain_fault: report the fault, tell the supervisor, end the thread. */
static _Noreturn void contain_fault(struct hart *h, struct thread *t, struct trap_frame *f)
{
	kprintf("cairn: component fault comp=%s thread=%s cause=%lu (%s) sepc=0x%lx stval=0x%lx\n",
		cap_comp_name(t->component), t->name, (unsigned long)f->scause,
		trap_cause_name(f->scause), (unsigned long)f->sepc, (unsigned long)f->stval);
	t->fault_cause = f->scause;
	t->fault_pc = f->sepc;
	t->fault_addr = f->stval;
	supervisor_component_fault(t->component, t);
	if (h != hart_self() || h->current != t || h->noff != 0)
		panic("supervisor_component_fault switched threads or left a lock held");
	thread_exit_from_trap(CAIRN_EFAULT);
}

/* Interrupts taken on an emergency trap stack (a stack near its limit), all
 * harts; relaxed atomic, for the selftest and diagnostics. */
static uint64_t trap_stack_irqs;

uint64_t trap_stack_interrupts(void) { return __atomic_load_n(&trap_stack_irqs, __ATOMIC_RELAXED); }

/* on_trap_stack: the frame lies on this hart's emergency trap stack. */
static bool on_trap_stack(const struct hart *h, const struct trap_frame *f)
{
	uintptr_t a = (uintptr_t)f;
	return a < h->trap_stack_top && a >= h->trap_stack_top - HART_TRAP_STACK_SIZE;
}

extern char copy_text_start[], copy_text_end[], copy_fault[];

uintptr_t copy_fixup_pc(uintptr_t pc)
{
	bool inside = pc >= (uintptr_t)copy_text_start && pc < (uintptr_t)copy_text_end;
	return inside ? (uintptr_t)copy_fault : 0;
}

void trap_handler(struct trap_frame *f)
{
	struct hart *h = hart_self();
	if (!(f->scause & SCAUSE_INTR)) {
		/* A fault on caller memory inside a fault-safe copy (cairn/copy.h) is
		 * the copy's CAIRN_EFAULT, not the thread's end. */
		uintptr_t fix = contained_cause(f->scause) ? copy_fixup_pc(f->sepc) : 0;
		if (fix) {
			f->sepc = fix;
			return;
		}
		if (containable(h, h->current, f))
			contain_fault(h, h->current, f);
		fatal_exception(f);
	}
	if (!on_trap_stack(h, f)) {
		trap_interrupt(f); /* may switch threads: h is stale afterwards */
		return;
	}
	/* On the emergency stack: no thread switch (sched_tick checks), so h stays. */
	__atomic_fetch_add(&trap_stack_irqs, 1, __ATOMIC_RELAXED);
	uint32_t was = h->on_trap_stack;
	h->on_trap_stack = 1;
	trap_interrupt(f);
	h->on_trap_stack = was;
}

/* trap_interrupt: dispatch an interrupt to its handler. */
static void trap_interrupt(struct trap_frame *f)
{
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
