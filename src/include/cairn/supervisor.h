/* The supervisor's hook into fault containment (docs/architecture.md, "Fault
 * containment"). The trap handler calls it for a fault it has contained in a
 * component's thread; the supervisor (src/supervisor.c) stops and restarts the
 * component. */
#ifndef CAIRN_SUPERVISOR_H
#define CAIRN_SUPERVISOR_H

#include <stdint.h>

struct thread;

/* supervisor_component_fault: thread t of component comp (non-zero) took a
 * contained fault; t->fault_cause/fault_pc/fault_addr say which. Called on the
 * faulting hart in trap context: interrupts off, on the hart's emergency trap
 * stack (HART_TRAP_STACK_SIZE bytes, part of it already used), no spinlock held
 * on entry. It must not sleep, block or switch threads; it may take spinlocks
 * and wake threads (e.g. the supervisor's own). When it returns, the trap
 * handler ends t with thread_exit_from_trap(CAIRN_EFAULT): its joiners get
 * CAIRN_EFAULT. The kernel provides a weak default (src/trap.c) that hands
 * selftest faults to ktest and panics for any other. */
void supervisor_component_fault(uint16_t comp, struct thread *t);

#endif
