/* Kernel-wide facts: the parsed platform, time, and boot state. */
#ifndef CAIRN_KERNEL_H
#define CAIRN_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/dt.h"

extern struct dt_platform platform;
extern uint64_t boot_time;        /* rdtime at _start */

/* time_us: microseconds since boot (from the platform timer). */
uint64_t time_us(void);
/* us_to_ticks: microseconds to timebase ticks, saturating. */
uint64_t us_to_ticks(uint64_t us);

void timer_init_hart(void);       /* start this hart's periodic tick */
void timer_handle(void);          /* S timer interrupt */
bool timer_uses_sstc(void);

void trap_init_hart(void);        /* install the trap vector */

#endif
