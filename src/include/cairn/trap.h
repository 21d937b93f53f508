/* Traps: the saved frame and cause names. */
#ifndef CAIRN_TRAP_H
#define CAIRN_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/trapname.h"

struct trap_frame {
	uint64_t x[32]; /* x[0] unused; x[2] is the interrupted sp */
	uint64_t sepc, sstatus, scause, stval;
};

void trap_handler(struct trap_frame *f);
/* trap_init_hart: install the trap vector on this hart. */
void trap_init_hart(void);
/* trap_stack_interrupts: interrupts so far that found their stack nearly full
 * and were handled on the hart's emergency trap stack. */
uint64_t trap_stack_interrupts(void);

#endif
