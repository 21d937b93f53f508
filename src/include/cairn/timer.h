/* Time and the per-hart tick (dev/timer.c): SBI TIME or Sstc. */
#ifndef CAIRN_TIMER_H
#define CAIRN_TIMER_H

#include <stdbool.h>
#include <stdint.h>

extern uint64_t boot_time; /* rdtime at _start (set by arch/entry.S) */

/* time_us: microseconds since boot (from the platform timer). */
uint64_t time_us(void);
/* us_to_ticks: microseconds to timebase ticks, saturating. */
uint64_t us_to_ticks(uint64_t us);

void timer_init_hart(void); /* start this hart's periodic tick */
void timer_handle(void);    /* S timer interrupt */
bool timer_uses_sstc(void); /* the tick uses Sstc (stimecmp), not SBI TIME */

#endif
