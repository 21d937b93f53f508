/* Harts: per-hart areas, secondary bring-up through SBI HSM, IPIs and
 * cross-hart calls. */
#include "cairn/hart.h"

#include <stddef.h>
#include <string.h>

#include "cairn/boot.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/mmu.h"
#include "cairn/page.h"
#include "cairn/panic.h"
#include "cairn/plic.h"
#include "cairn/sbi.h"
#include "cairn/sched.h"
#include "cairn/timeline.h"
#include "cairn/timer.h"
#include "cairn/trap.h"

#ifndef CAIRN_MAX_HARTS
#define CAIRN_MAX_HARTS 4
#endif
/* How long the boot hart waits for each hart it starts. Generous: under QEMU on
 * a loaded host a vCPU thread can be starved for seconds. */
#define HART_START_TIMEOUT_US 10000000
#define HART_RETRY_US 1000000 /* a started hart still STOPPED after this: start it again */
#define HART_START_RETRIES 3

extern char __tdata_start[], __tdata_end[], __tls_size[], __tbss_offset[];
extern char boot_stack_top[];
extern void hart_secondary_entry(void);
void hart_secondary_main(unsigned long hartid, uintptr_t stack_top);

/* The per-hart areas. Index 0 is the boot hart. nharts grows only during
 * bring-up (boot hart alone), and is read-only afterwards. */
static struct hart harts[CAIRN_MAX_HARTS];
static unsigned nharts;

/* Emergency trap stacks, one per hart: trap_entry switches to it for every
 * exception and for interrupts taken with the current stack nearly full. */
static _Alignas(16) uint8_t trap_stacks[CAIRN_MAX_HARTS][HART_TRAP_STACK_SIZE];

_Static_assert(offsetof(struct hart, trap_scratch) == HART_OFF_SCRATCH0, "entry.S offsets");
_Static_assert(offsetof(struct hart, trap_scratch) + 8 == HART_OFF_SCRATCH1, "entry.S offsets");
_Static_assert(offsetof(struct hart, trap_stack_top) == HART_OFF_TRAP_TOP, "entry.S offsets");
_Static_assert(offsetof(struct hart, stack_lo) == HART_OFF_STACK_LO, "entry.S offsets");
_Static_assert(offsetof(struct hart, stack_hi) == HART_OFF_STACK_HI, "entry.S offsets");

unsigned hart_count(void) { return __atomic_load_n(&nharts, __ATOMIC_ACQUIRE); }

struct hart *hart_get(unsigned index) { return index < hart_count() ? &harts[index] : NULL; }

/* hart_prepare: fill a per-hart area and its TLS block from the image template. */
static void hart_prepare(struct hart *h, unsigned index, uint32_t hartid, uintptr_t stack_top)
{
	size_t tdata = (size_t)(__tdata_end - __tdata_start);
	size_t tls = (size_t)(uintptr_t)__tls_size;
	size_t tbss_off = (size_t)(uintptr_t)__tbss_offset;
	memcpy(h->tls, __tdata_start, tdata);
	memset(h->tls + tbss_off, 0, tls - tbss_off);
	h->index = index;
	h->hartid = hartid;
	h->stack_top = stack_top;
	h->trap_stack_top = (uintptr_t)trap_stacks[index] + HART_TRAP_STACK_SIZE;
	hart_set_stack(h, stack_top - HART_STACK_SIZE, stack_top);
	h->plic_context = -1; /* plic_init_hart looks it up once the DTB is parsed */
}

void hart_boot_init(uint32_t hartid, unsigned max_harts)
{
	(void)max_harts;
	struct hart *h = &harts[0];
	hart_prepare(h, 0, hartid, (uintptr_t)boot_stack_top);
	__asm__ volatile("mv tp, %0" ::"r"(h));
	nharts = 1;
}

/* hart_online: common per-hart set-up once tp is valid; enters the scheduler. */
static _Noreturn void hart_online(void)
{
	struct hart *h = hart_self();
	trap_init_hart();
	plic_init_hart();
	timer_init_hart();
	csr_set(sie, SIE_SSIE);
	kprintf("cairn: hart%u online\n", h->hartid);
	h->up_us = time_us(); /* published by sched_run's release store of online */
	sched_run();
}

/* Secondary harts join in the order they come up, not in DTB order: each
 * takes the next logical index from join_word while the boot hart keeps it
 * open (JOIN_OPEN), so a hart that comes too late finds it closed and parks
 * instead of appearing after boot. Bits 0..30: indices handed out (the boot
 * hart's 0 included); atomic CAS by secondaries, closed once by the boot hart. */
#define JOIN_OPEN 0x80000000u
static uint32_t join_word = 1;

void hart_secondary_main(unsigned long hartid, uintptr_t stack_top)
{
	uint32_t w = __atomic_load_n(&join_word, __ATOMIC_ACQUIRE);
	while ((w & JOIN_OPEN) && (w & ~JOIN_OPEN) < CAIRN_MAX_HARTS) {
		if (__atomic_compare_exchange_n(&join_word, &w, w + 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			struct hart *h = &harts[w & ~JOIN_OPEN];
			hart_prepare(h, w & ~JOIN_OPEN, (uint32_t)hartid, stack_top);
			__asm__ volatile("mv tp, %0" ::"r"(h));
			mmu_enable_hart();
			hart_online();
		}
	}
	for (;;) /* too late, or no room: park */
		wfi();
}

#define HART_STACK_PAGES (HART_STACK_SIZE / PAGE_SIZE + 1) /* + the guard page */

/* free_stack: map a hart stack's guard page again and free the stack. */
static void free_stack(uint8_t *base)
{
	int err = mmu_guard_clear((uintptr_t)base);
	if (err)
		panic("hart stack guard at %p: cannot map it again (%s)", (void *)base,
		      cairn_strerror(err));
	page_free(base, HART_STACK_PAGES);
}

/* alloc_stack: a hart scheduler stack with an unmapped guard page below it;
 * NULL (said why) when there is none. */
static uint8_t *alloc_stack(uint32_t hartid)
{
	uint8_t *stack = page_alloc(HART_STACK_PAGES);
	if (!stack) {
		kprintf("cairn: hart%u not started: no memory for its stack\n", hartid);
		return NULL;
	}
	int gerr = mmu_guard_set((uintptr_t)stack);
	if (gerr) {
		kprintf("cairn: hart%u not started: stack guard failed (%s)\n", hartid,
			cairn_strerror(gerr));
		page_free(stack, HART_STACK_PAGES);
		return NULL;
	}
	return stack;
}

/* A secondary hart being started: its id, its stack, when hart_start was called. */
struct start {
	uint32_t hartid;
	uint8_t *stack;
	uint64_t t0;
	bool started; /* hart_start succeeded and it has not joined (yet) */
	bool joined;
	unsigned retries; /* hart_start calls again after SBI said STOPPED */
};

/* start_top: the stack top a started hart gets. */
static uintptr_t start_top(const struct start *s)
{
	return (uintptr_t)s->stack + PAGE_SIZE + HART_STACK_SIZE;
}

/* restart_stopped: a hart whose hart_start succeeded but which SBI reports
 * STOPPED again, still without an index, never ran our code (a joined hart
 * is STARTED): the start did not take, so ask again. Seen about once in 50
 * four-hart boots of QEMU's OpenSBI on a loaded host ("did not come online
 * (hsm status 1)"); each retry is said on the console. */
static void restart_stopped(struct start *st, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		if (!st[k].started || st[k].retries >= HART_START_RETRIES ||
		    sbi_hart_status(st[k].hartid) != SBI_HSM_STOPPED)
			continue;
		st[k].retries++;
		int err = sbi_hart_start(st[k].hartid, (uintptr_t)hart_secondary_entry,
					 start_top(&st[k]));
		kprintf("cairn: hart%u start did not take (hsm status stopped): started again "
			"(%s)\n",
			st[k].hartid, err ? cairn_strerror(err) : "ok");
	}
}

/* join_wait: wait until every started hart took an index or the deadline
 * passed, asking again every HART_RETRY_US for a start that did not take,
 * then close the door; returns how many indices were handed out. */
static unsigned join_wait(struct start *st, unsigned n, unsigned started)
{
	uint64_t now = time_us(), deadline = now + HART_START_TIMEOUT_US;
	uint64_t retry = now + HART_RETRY_US;
	while ((__atomic_load_n(&join_word, __ATOMIC_ACQUIRE) & ~JOIN_OPEN) < 1 + started &&
	       (now = time_us()) < deadline) {
		if (now >= retry) {
			restart_stopped(st, n);
			retry = now + HART_RETRY_US;
		}
		cpu_relax();
	}
	/* A hart may still take an index before the door closes: it counts. */
	return __atomic_and_fetch(&join_word, ~JOIN_OPEN, __ATOMIC_ACQ_REL);
}

void hart_start_secondaries(void)
{
	if (!sbi.has_hsm || !sbi.has_ipi) {
		kprintf("cairn: SBI %s missing: running on the boot hart only\n",
			sbi.has_hsm ? "IPI" : "HSM");
		__atomic_and_fetch(&join_word, ~JOIN_OPEN, __ATOMIC_ACQ_REL);
		return;
	}
	__atomic_or_fetch(&join_word, JOIN_OPEN, __ATOMIC_ACQ_REL);
	/* Every stack and guard page first, while the boot hart is the only one
	 * translating (no TLB shootdown to wake anyone), then every hart_start at
	 * once: the harts come up in parallel, so bring-up costs the slowest
	 * hart's wake-up, not the sum (docs/architecture.md, Boot timeline). */
	struct start st[CAIRN_MAX_HARTS];
	unsigned n = 0, started = 0;
	for (unsigned i = 0; i < platform.nharts && 1 + n < CAIRN_MAX_HARTS; i++) {
		uint32_t id = platform.harts[i].hartid;
		if (id != harts[0].hartid && (st[n].stack = alloc_stack(id)) != NULL) {
			st[n].hartid = id;
			st[n++].joined = false;
		}
	}
	for (unsigned k = 0; k < n; k++) {
		st[k].t0 = time_us();
		st[k].retries = 0;
		int err = sbi_hart_start(st[k].hartid, (uintptr_t)hart_secondary_entry,
					 start_top(&st[k]));
		st[k].started = err == 0;
		started += st[k].started;
		if (err)
			kprintf("cairn: hart%u failed to start: %s\n", st[k].hartid,
				cairn_strerror(err));
	}
	unsigned count = join_wait(st, n, started);
	/* Every hart that took an index runs our code: it reaches the scheduler. */
	uint64_t deadline = time_us() + HART_START_TIMEOUT_US;
	for (unsigned i = 1; i < count; i++) {
		struct hart *h = &harts[i];
		while (!__atomic_load_n(&h->online, __ATOMIC_ACQUIRE)) {
			if (time_us() > deadline)
				panic("hart index %u took its place but did not come online", i);
			cpu_relax();
		}
		for (unsigned k = 0; k < n; k++)
			if (st[k].started && st[k].hartid == h->hartid) {
				timeline_hart(h->hartid, h->up_us - st[k].t0);
				st[k].started = false;
				st[k].joined = true;
			}
	}
	__atomic_store_n(&nharts, count, __ATOMIC_RELEASE);
	/* A hart started but not joined may still come up and park on its stack:
	 * that stack stays allocated. Stacks of harts never started are freed now
	 * that every online hart counts for the guard page's TLB shootdown. */
	for (unsigned k = 0; k < n; k++) {
		if (st[k].started)
			kprintf("cairn: hart%u did not come online (hsm status %d)\n", st[k].hartid,
				sbi_hart_status(st[k].hartid));
		else if (st[k].stack && !st[k].joined)
			free_stack(st[k].stack);
	}
}

/* hart_enter_boot: the boot hart joins like any other. */
_Noreturn void hart_boot_enter(void);
_Noreturn void hart_boot_enter(void) { hart_online(); }

void hart_send_ipi(struct hart *h, uint32_t reasons)
{
	/* Release: whatever the sender wrote for this IPI is visible to h. */
	__atomic_fetch_or(&h->ipi_pending, reasons, __ATOMIC_RELEASE);
	if (sbi_send_ipi(1, h->hartid) != 0)
		panic("ipi to hart%u failed", h->hartid);
}

void hart_handle_ipi(void)
{
	struct hart *h = hart_self();
	csr_clear(sip, SIP_SSIP);
	uint32_t r = __atomic_exchange_n(&h->ipi_pending, 0, __ATOMIC_ACQUIRE);
	if (r & IPI_HALT) {
		for (;;) {
			intr_off();
			wfi();
		}
	}
	if (r & IPI_CALL) {
		h->call_fn(h->call_arg);
		__atomic_store_n(&h->call_done, 1, __ATOMIC_RELEASE);
	}
	/* IPI_RESCHED needs no work: taking the interrupt woke the idle loop. */
}

/* rate_ok: count one component call to h in the current second; false (and
 * counted as refused) when h has taken HART_CALL_RATE of them already. */
static bool rate_ok(struct hart *h)
{
	uint64_t sec = time_us() / 1000000u;
	uint64_t cur = __atomic_load_n(&h->call_rate, __ATOMIC_RELAXED), next;
	do {
		uint64_t n = (cur >> 32) == (sec & 0xffffffffu) ? (cur & 0xffffffffu) : 0;
		if (n >= HART_CALL_RATE) {
			__atomic_fetch_add(&h->call_refused, 1, __ATOMIC_RELAXED);
			return false;
		}
		next = (sec & 0xffffffffu) << 32 | (n + 1);
	} while (!__atomic_compare_exchange_n(&h->call_rate, &cur, next, true, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

uint64_t hart_calls_refused(const struct hart *h)
{
	return __atomic_load_n(&h->call_refused, __ATOMIC_RELAXED);
}

int hart_call(struct hart *h, void (*fn)(void *), void *arg, uint64_t timeout_us)
{
	if (h != hart_self() && thread_component() != 0 && !rate_ok(h))
		return CAIRN_EAGAIN;
	return hart_call_kernel(h, fn, arg, timeout_us);
}

int hart_call_kernel(struct hart *h, void (*fn)(void *), void *arg, uint64_t timeout_us)
{
	push_off();
	if (h == hart_self()) {
		fn(arg);
		pop_off();
		return 0;
	}
	pop_off();
	while (__atomic_exchange_n(&h->call_busy, 1, __ATOMIC_ACQUIRE)) {
		if (sched_in_thread())
			sched_yield();
		else
			cpu_relax();
	}
	h->call_fn = fn;
	h->call_arg = arg;
	__atomic_store_n(&h->call_done, 0, __ATOMIC_RELAXED);
	hart_send_ipi(h, IPI_CALL);
	uint64_t deadline = time_us() + timeout_us;
	while (!__atomic_load_n(&h->call_done, __ATOMIC_ACQUIRE)) {
		if (time_us() > deadline)
			return CAIRN_ETIMEDOUT; /* slot stays busy: h is not answering */
		cpu_relax();
	}
	__atomic_store_n(&h->call_busy, 0, __ATOMIC_RELEASE);
	return 0;
}

void hart_halt_others(void)
{
	struct hart *self = hart_self();
	for (unsigned i = 0; i < hart_count(); i++) {
		struct hart *h = &harts[i];
		if (h != self && __atomic_load_n(&h->online, __ATOMIC_ACQUIRE)) {
			__atomic_fetch_or(&h->ipi_pending, IPI_HALT, __ATOMIC_RELEASE);
			(void)sbi_send_ipi(1, h->hartid);
		}
	}
}
