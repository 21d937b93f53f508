/* Harts: per-hart areas, SMP bring-up, IPIs and cross-hart calls.
 *
 * Each online hart has a struct hart, reached through `tp` (hart_self()). Its
 * first member is the TLS block picolibc addresses through tp (errno), so tp
 * serves both. Fields are per-hart: only the owning hart writes them unless noted. */
#ifndef CAIRN_HART_H
#define CAIRN_HART_H

#define HART_TLS_RESERVE 256 /* bytes kept for picolibc's TLS block; link.ld asserts */
#define HART_STACK_SIZE 16384
#define HART_TRAP_STACK_SIZE 8192 /* per-hart emergency trap stack (arch/entry.S) */
/* Offsets of the trap-entry fields of struct hart, for arch/entry.S (hart.c
 * checks them with _Static_assert). */
#define HART_OFF_SCRATCH0 256
#define HART_OFF_SCRATCH1 264
#define HART_OFF_TRAP_TOP 272
#define HART_OFF_STACK_LO 280
#define HART_OFF_STACK_HI 288

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "cairn/riscv.h"
#include "cairn/spinlock.h"

struct thread;

struct context {
	uint64_t ra, sp;
	uint64_t s[12];
};

enum ipi_reason {
	IPI_RESCHED = 1u << 0,
	IPI_CALL = 1u << 1,
	IPI_HALT = 1u << 2,
};

struct hart {
	_Alignas(64) uint8_t tls[HART_TLS_RESERVE];

	/* Trap entry (arch/entry.S reads these at fixed offsets): */
	uintptr_t trap_scratch[2]; /* t0/t1 while trap_entry picks a stack */
	uintptr_t trap_stack_top;  /* emergency trap stack, immutable after bring-up */
	uintptr_t stack_lo;	   /* bounds of the stack this hart runs on now: the */
	uintptr_t stack_hi;	   /* current thread's or the scheduler's (interrupts off) */

	/* Immutable after bring-up: */
	unsigned index;	     /* logical index 0..nharts-1 (boot hart is 0) */
	uint32_t hartid;     /* the platform's hart id */
	int plic_context;    /* S-mode external interrupt context, -1 if none */
	uintptr_t stack_top; /* this hart's scheduler stack */

	/* Owned by this hart (interrupts off when touched): */
	int noff;   /* push_off depth */
	int intena; /* were interrupts on before the first push_off? */
	struct thread *current;
	struct context sched_ctx;
	uint64_t next_tick;	/* timer deadline in timebase ticks */
	uint32_t on_trap_stack; /* handling a trap on the emergency stack: no preemption */

	/* Written by this hart, read by others (atomics): */
	uint64_t ticks;	 /* timer interrupts taken; relaxed loads are fine */
	uint32_t online; /* 1 once in the scheduler */
	uint64_t up_us;	 /* time_us() as it entered the scheduler (before online is set) */
	uint32_t idle;	 /* 1 while waiting in wfi; protected by sched_lock */
	uint32_t mmu_on; /* 1 once this hart translates through the kernel table */
	/* 1 while in the idle wfi, where it touches nothing but its own area, the
	 * scheduler lock and text (whose mappings never change): a TLB shootdown
	 * skips it (mm/mmu.c, mmu_idle_enter); seq_cst. */
	uint32_t tlb_idle;

	/* Written by other harts: */
	uint32_t tlb_stale;	    /* a shootdown happened: flush before leaving idle; seq_cst */
	uint32_t ipi_pending;	    /* enum ipi_reason bits; atomic or/exchange */
	uint32_t call_busy;	    /* cross-hart call slot taken; atomic CAS */
	void (*call_fn)(void *arg); /* valid while call_busy */
	void *call_arg;
	uint32_t call_done; /* set (release) by this hart after call_fn */
	/* Cross-hart calls components made to this hart: (window second << 32) |
	 * calls in that second, updated by CAS; and how many were refused. */
	uint64_t call_rate;
	uint64_t call_refused;
};

#define HART_CALL_RATE 1000u /* cross-hart calls a hart takes from components per second */

/* hart_self: this hart's area. Re-read after anything that may switch threads. */
static inline struct hart *hart_self(void) { return (struct hart *)read_tp(); }

unsigned hart_count(void);	       /* harts online (stable after boot) */
struct hart *hart_get(unsigned index); /* NULL when index >= count */

/* hart_send_ipi: set reason bits on hart h and interrupt it. */
void hart_send_ipi(struct hart *h, uint32_t reasons);
/* hart_call: run fn(arg) on hart h in interrupt context and wait for it;
 * CAIRN_ETIMEDOUT if it did not run within timeout_us. Running on h itself
 * calls fn directly. A call made while the thread acts as a component is
 * rate-limited per target hart: over HART_CALL_RATE in one second it is
 * refused with CAIRN_EAGAIN and counted (hart_calls_refused), so a flood from
 * one component cannot livelock another hart. */
int hart_call(struct hart *h, void (*fn)(void *), void *arg, uint64_t timeout_us);
/* hart_call_kernel: hart_call without the rate limit, for the kernel core's
 * own needs (TLB shootdowns) whatever the thread's identity. */
int hart_call_kernel(struct hart *h, void (*fn)(void *), void *arg, uint64_t timeout_us);
/* hart_calls_refused: component calls to h refused by the rate limit so far. */
uint64_t hart_calls_refused(const struct hart *h);
/* hart_halt_others: stop every other hart (panic path). */
void hart_halt_others(void);

/* Boot-time internals. */
void hart_boot_init(uint32_t hartid, unsigned max_harts);
void hart_start_secondaries(void);
void hart_handle_ipi(void);
/* hart_set_stack: record the stack this hart runs on from now on (interrupts
 * off); trap_entry moves to the emergency stack when sp nears lo. */
static inline void hart_set_stack(struct hart *h, uintptr_t lo, uintptr_t hi)
{
	h->stack_lo = lo;
	h->stack_hi = hi;
}
/* hart_sched_stack_lo: lowest usable address of h's scheduler stack. */
static inline uintptr_t hart_sched_stack_lo(const struct hart *h)
{
	return h->stack_top - HART_STACK_SIZE;
}

#endif /* __ASSEMBLER__ */
#endif
