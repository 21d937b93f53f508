/* Per-hart periodic tick: Sstc's stimecmp when every hart has it, else SBI TIME. */
#include "cairn/timer.h"
#include "cairn/boot.h"
#include "cairn/hart.h"
#include "cairn/sbi.h"
#include "cairn/sched.h"

#ifndef CAIRN_TICK_HZ
#define CAIRN_TICK_HZ 100
#endif

uint64_t boot_time;
/* Immutable after the boot hart's first timer_init_hart: */
static uint64_t tick_period;
static int use_sstc = -1;

uint64_t us_to_ticks(uint64_t us)
{
	uint64_t hz = platform.timebase_hz;
	if (us > UINT64_MAX / hz)
		return UINT64_MAX;
	return us * hz / 1000000u;
}

uint64_t time_us(void)
{
	uint64_t t = rdtime() - boot_time;
	return t / platform.timebase_hz * 1000000u +
	       t % platform.timebase_hz * 1000000u / platform.timebase_hz;
}

bool timer_uses_sstc(void) { return use_sstc == 1; }

/* program: arm this hart's timer for absolute time when (clears the pending bit). */
static void program(uint64_t when)
{
	if (use_sstc == 1)
		write_stimecmp(when);
	else
		(void)sbi_set_timer(when);
}

void timer_init_hart(void)
{
	if (use_sstc < 0) {
		bool all = platform.nharts > 0;
		for (unsigned i = 0; i < platform.nharts; i++)
			all = all && platform.harts[i].has_sstc;
		use_sstc = all ? 1 : 0;
		tick_period = platform.timebase_hz / CAIRN_TICK_HZ;
		if (tick_period == 0)
			tick_period = 1;
	}
	struct hart *h = hart_self();
	h->next_tick = rdtime() + tick_period;
	program(h->next_tick);
	csr_set(sie, SIE_STIE);
}

void timer_handle(void)
{
	struct hart *h = hart_self();
	uint64_t now = rdtime();
	h->next_tick += tick_period;
	if (h->next_tick <= now) /* fell behind (e.g. host load): skip, don't storm */
		h->next_tick = now + tick_period;
	program(h->next_tick);
	__atomic_store_n(&h->ticks, h->ticks + 1, __ATOMIC_RELAXED);
	sched_tick();
}
