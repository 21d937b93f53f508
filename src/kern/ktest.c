/* Kernel-core selftests. Each prints its SELFTEST marker only after checking
 * the fact it names. */
#include "cairn/ktest.h"
#include <stdatomic.h>

#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/console.h"
#include "cairn/copy.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/mmu.h"
#include "cairn/page.h"
#include "cairn/sched.h"
#include "cairn/sync.h"
#include "cairn/timer.h"
#include "cairn/trap.h"

#define SCHED_THREADS 64
#define SCHED_ITERS 200
#define SCHED_ROUNDS 8 /* rounds until every hart ran a worker */

static int ipi_failures = -1; /* set by ktest_ipi_boot before threads run */

static void ipi_probe(void *arg) { *(volatile uint32_t *)arg = hart_self()->hartid; }

void ktest_ipi_boot(void)
{
	struct hart *self = hart_self();
	ipi_failures = 0;
	for (unsigned i = 0; i < hart_count(); i++) {
		struct hart *h = hart_get(i);
		if (h == self)
			continue;
		volatile uint32_t seen = UINT32_MAX;
		int err = hart_call(h, ipi_probe, (void *)&seen, 1000000);
		if (err == 0 && seen == h->hartid) {
			kprintf("cairn: ipi hart%u->hart%u ok\n", self->hartid, h->hartid);
		} else {
			kprintf("cairn: ipi hart%u->hart%u FAILED err=%d seen=%u\n", self->hartid,
				h->hartid, err, (unsigned)seen);
			ipi_failures++;
		}
	}
}

/* test_ticks: every online hart's tick counter advances. */
static int test_ticks(void)
{
	unsigned n = hart_count();
	uint64_t before[8] = { 0 };
	for (unsigned i = 0; i < n && i < 8; i++)
		before[i] = __atomic_load_n(&hart_get(i)->ticks, __ATOMIC_RELAXED);
	sched_sleep_us(300000);
	int bad = 0;
	for (unsigned i = 0; i < n && i < 8; i++) {
		struct hart *h = hart_get(i);
		uint64_t now = __atomic_load_n(&h->ticks, __ATOMIC_RELAXED);
		kprintf("cairn: hart%u tick n=%llu\n", h->hartid, (unsigned long long)now);
		if (now < before[i] + 2)
			bad++;
	}
	if (bad)
		return 1;
	kprintf("SELFTEST: smp per-hart ticks ok\n");
	return 0;
}

static int test_ipi(void)
{
	if (ipi_failures != 0)
		return 1;
	kprintf("SELFTEST: smp ipi ok\n");
	return 0;
}

struct sched_shared {
	struct mutex outer; /* taken before lock by every other iteration */
	struct mutex lock;
	uint64_t counter;	    /* protected by lock */
	uint32_t harts_seen;	    /* protected by lock: bit per hart index */
	_Atomic uint32_t held_left; /* iterations that ended with a mutex on the list */
};

static void sched_worker(void *arg)
{
	struct sched_shared *s = arg;
	for (int i = 0; i < SCHED_ITERS; i++) {
		/* nesting while other threads take lock alone: a mutex passed on to
		 * another owner must leave the old owner's held list intact */
		bool nest = (i & 1) != 0;
		if (nest)
			mutex_lock(&s->outer);
		mutex_lock(&s->lock);
		uint64_t v = s->counter;
		if (i % 16 == 0)
			sched_yield(); /* widen the window a lost update would need */
		s->counter = v + 1;
		push_off();
		s->harts_seen |= 1u << hart_self()->index;
		pop_off();
		mutex_unlock(&s->lock);
		if (nest)
			mutex_unlock(&s->outer);
		if (thread_current()->held)
			atomic_fetch_add(&s->held_left, 1);
		if (i % 50 == 0)
			sched_sleep_us(1000);
	}
}

/* sched_round: one round of SCHED_THREADS workers; how many were created. */
static int sched_round(struct sched_shared *s)
{
	struct thread *t[SCHED_THREADS];
	int created = 0;
	for (; created < SCHED_THREADS; created++) {
		if (thread_create(&t[created], "worker", thread_component(), sched_worker, s,
				  false) != 0)
			break;
	}
	for (int i = 0; i < created; i++)
		(void)thread_join(t[i]);
	return created;
}

/* test_sched: 64 threads, mutex-protected increments with yields and sleeps;
 * the exact total and every online hart having run a worker. A round lasts
 * tens of milliseconds; on a loaded host QEMU may not run one hart's vCPU for
 * that long, so rounds repeat (up to SCHED_ROUNDS) until every hart has run a
 * worker; every round's total must be exact. */
static int test_sched(void)
{
	static struct sched_shared s;
	mutex_init(&s.outer, "ktest_outer");
	mutex_init(&s.lock, "ktest");
	s.counter = 0;
	s.harts_seen = 0;
	atomic_store(&s.held_left, 0);
	uint32_t all = (uint32_t)((1ull << hart_count()) - 1);
	int created = SCHED_THREADS, rounds = 0;
	while (rounds < SCHED_ROUNDS && created == SCHED_THREADS &&
	       (rounds == 0 || (s.harts_seen & all) != all)) {
		created = sched_round(&s);
		rounds++;
	}
	uint64_t want = (uint64_t)rounds * SCHED_THREADS * SCHED_ITERS;
	uint32_t left = atomic_load(&s.held_left);
	if (created != SCHED_THREADS || s.counter != want || (s.harts_seen & all) != all || left) {
		kprintf("ktest: sched FAILED threads=%d rounds=%d total=%llu want=%llu harts=0x%x "
			"want=0x%x held_left=%u\n",
			created, rounds, (unsigned long long)s.counter, (unsigned long long)want,
			s.harts_seen, all, (unsigned)left);
		return 1;
	}
	kprintf("ktest: sched threads=%d rounds=%d total=%llu harts=0x%x\n", created, rounds,
		(unsigned long long)s.counter, s.harts_seen);
	kprintf("SELFTEST: sched ok\n");
	return 0;
}

extern char boot_stack_guard[];

static const char mmu_rodata_probe[] = "cairn rodata probe";
static volatile uint64_t mmu_data_probe = 1; /* lives in .data */

/* check_leaf: va's mapping has exactly the R/W/X bits want (0 = unmapped), and a
 * mapped leaf has V, A and D and no U. Prints and returns 1 on a mismatch. */
static int check_leaf(const char *what, uintptr_t va, uint64_t want)
{
	pte_t pte = 0;
	int level = -1;
	int rc = mmu_lookup(va, &pte, &level);
	uint64_t got = rc ? 0 : pte & (PTE_R | PTE_W | PTE_X);
	bool flags_ok = rc || ((pte & (PTE_V | PTE_A | PTE_D)) == (PTE_V | PTE_A | PTE_D) &&
			       !(pte & PTE_U));
	if (got == want && flags_ok)
		return 0;
	kprintf("ktest: mmu FAILED %s va=0x%lx pte=0x%llx level=%d want perm=0x%llx\n", what,
		(unsigned long)va, (unsigned long long)pte, level, (unsigned long long)want);
	return 1;
}

static void mmu_waiter(void *arg) { (void)sem_down(arg, 0); }

/* test_mmu: the kernel table's permissions: text RX, rodata R, data/heap/stack
 * RW, no W+X leaf anywhere, nothing at 0, the UART RW, every stack's guard page
 * unmapped (boot, secondary harts, threads) and mapped again once a thread's
 * stack is freed; every hart translates. */
static int test_mmu(void)
{
	int bad = 0;
	const uint64_t rw = PTE_R | PTE_W;
	void *heap = malloc(64);
	uint64_t local = 0;
	bad += check_leaf("text", (uintptr_t)test_mmu, PTE_R | PTE_X);
	bad += check_leaf("rodata", (uintptr_t)mmu_rodata_probe, PTE_R);
	bad += check_leaf("data", (uintptr_t)&mmu_data_probe, rw);
	bad += heap ? check_leaf("heap", (uintptr_t)heap, rw) : 1;
	free(heap);
	bad += check_leaf("stack", (uintptr_t)&local, rw);
	bad += check_leaf("address 0", 0, 0);
	bad += check_leaf("page 1", PAGE_SIZE, 0);
	bad += check_leaf("uart", (uintptr_t)platform.uart_base, rw);
	bad += check_leaf("boot stack guard", (uintptr_t)boot_stack_guard, 0);
	for (unsigned i = 0; i < hart_count(); i++) {
		struct hart *h = hart_get(i);
		if (!__atomic_load_n(&h->mmu_on, __ATOMIC_ACQUIRE)) {
			kprintf("ktest: mmu FAILED hart%u does not translate\n", h->hartid);
			bad++;
		}
		if (i > 0)
			bad += check_leaf("hart stack guard", hart_sched_stack_lo(h) - PAGE_SIZE,
					  0);
	}
	struct thread *self = thread_current();
	bad += check_leaf("own stack guard", (uintptr_t)self->stack - PAGE_SIZE, 0);
	bad += check_leaf("own stack bottom", (uintptr_t)self->stack, rw);

	static struct semaphore sem;
	sem_init(&sem, 0);
	struct thread *t;
	if (thread_create(&t, "mmu-guard", thread_component(), mmu_waiter, &sem, false) != 0) {
		bad++;
	} else {
		uintptr_t guard = (uintptr_t)t->stack - PAGE_SIZE;
		bad += check_leaf("new thread's guard", guard, 0);
		sem_up(&sem);
		(void)thread_join(t);
		bad += check_leaf("freed thread's guard", guard, rw);
	}
	unsigned long wx = mmu_count_wx();
	if (wx) {
		kprintf("ktest: mmu FAILED %lu writable+executable leaves\n", wx);
		bad++;
	}
	if (bad)
		return 1;
	kprintf("SELFTEST: mmu w^x ok\n");
	return 0;
}

/* A read of one page done on another hart (tlb_touch, through hart_call). */
struct tlb_probe {
	const void *va;
	uint64_t val;
	long rc; /* copy_bytes: 0 or CAIRN_EFAULT */
};

static void tlb_touch(void *arg)
{
	struct tlb_probe *p = arg;
	p->rc = copy_bytes(&p->val, p->va, sizeof(p->val));
}

/* test_tlb_shootdown: hart 1 reads a page (its TLB now holds the page), goes
 * back to sleep; the page is unmapped here; hart 1's next read must fault:
 * the shootdown reached it, by interrupt when busy or, when it slept in the
 * idle wfi, by the flush it does on leaving idle (mm/mmu.c). QEMU's TLB keeps
 * a translation until sfence.vma, so a missed flush shows as a read that works. */
static int test_tlb_shootdown(void)
{
	static struct tlb_probe p;
	struct hart *b = hart_get(1);
	if (!b)
		return 0; /* one hart: nothing to shoot down */
	uint8_t *pg = page_alloc(1);
	if (!pg) {
		kprintf("ktest: tlb shootdown FAILED: no page\n");
		return 1;
	}
	memset(pg, 0x5a, PAGE_SIZE);
	p.va = pg;
	int bad = hart_call_kernel(b, tlb_touch, &p, 1000000) != 0 || p.rc != 0;
	/* Let hart 1 fall asleep again (it usually does within microseconds). */
	uint64_t until = time_us() + 200000;
	while (!__atomic_load_n(&b->tlb_idle, __ATOMIC_SEQ_CST) && time_us() < until)
		sched_sleep_us(1000);
	bool idle = __atomic_load_n(&b->tlb_idle, __ATOMIC_SEQ_CST);
	if (!bad && mmu_guard_set((uintptr_t)pg) != 0)
		bad = 1;
	p.rc = 0;
	if (!bad && (hart_call_kernel(b, tlb_touch, &p, 1000000) != 0 || p.rc != CAIRN_EFAULT)) {
		kprintf("ktest: tlb shootdown FAILED: hart%u read an unmapped page (rc %ld, "
			"%s)\n",
			b->hartid, p.rc, idle ? "it was idle" : "it was busy");
		bad = 1;
	}
	if (mmu_guard_clear((uintptr_t)pg) != 0 ||
	    hart_call_kernel(b, tlb_touch, &p, 1000000) != 0 || p.rc != 0) {
		kprintf("ktest: tlb shootdown FAILED: hart%u cannot read the page mapped again\n",
			b->hartid);
		bad = 1;
	}
	page_free(pg, 1);
	if (bad)
		return 1;
	kprintf("ktest: tlb shootdown reached hart%u while it was %s\n", b->hartid,
		idle ? "idle" : "busy");
	return 0;
}

/* dive: recurse until a frame lies below floor, then spin 60 ms there with
 * interrupts on, so ticks arrive with the stack nearly full. */
static __attribute__((noinline)) uint64_t dive(uintptr_t floor, uint64_t depth)
{
	volatile uint64_t frame[16];
	frame[0] = depth;
	if ((uintptr_t)frame < floor) {
		uint64_t until = rdtime() + us_to_ticks(60000);
		while (rdtime() < until)
			cpu_relax();
		return frame[0];
	}
	return dive(floor, depth + 1) + frame[0];
}

/* near_limit: a thread that takes interrupts with < TRAP_ROOM bytes of stack
 * left above its canary (but never touches its guard page). */
static void near_limit(void *arg)
{
	*(volatile uint64_t *)arg = dive((uintptr_t)thread_current()->stack + 700, 0);
}

/* test_trap_stack: a thread spinning with its stack nearly full takes its
 * ticks on the emergency trap stack and ends normally. (The faults themselves
 * are provoked in the faulttest component, by components/selftest.) */
static int test_trap_stack(void)
{
	static volatile uint64_t ran;
	uint64_t irqs = trap_stack_interrupts();
	if (thread_run("near-limit", thread_component(), near_limit, (void *)&ran) != 0 ||
	    trap_stack_interrupts() == irqs) {
		kprintf("ktest: trap stack FAILED: interrupts near the stack limit "
			"(%llu on the trap stack)\n",
			(unsigned long long)(trap_stack_interrupts() - irqs));
		return 1;
	}
	kprintf("ktest: %llu interrupts taken on the emergency stack near the stack limit\n",
		(unsigned long long)(trap_stack_interrupts() - irqs));
	return 0;
}

int ktest_core_run(void)
{
	int failed = 0;
	failed += test_ticks();
	failed += test_ipi();
	failed += test_sched();
	failed += test_mmu();
	failed += test_tlb_shootdown();
	failed += test_trap_stack();
	return failed;
}

int ktest_crash(void)
{
	if (!cap_has_priv(cap_self(), CAP_PRIV_CRASH))
		return cap_deny(AUDIT_CAP_DENIED, 0, "crash", "");
	/* The fault must be the kernel core's own (component 0), so the trap
	 * handler reports it as fatal instead of containing it. */
	thread_current()->component = 0;
	kprintf("ktest: provoking a load page fault\n");
	uintptr_t addr = 0x8; /* nothing is mapped at the bottom of QEMU virt */
	__asm__ volatile("" : "+r"(addr));
	uint64_t v = *(volatile uint64_t *)addr;
	kprintf("ktest: load returned 0x%llx: no fault!\n", (unsigned long long)v);
	thread_exit(1);
}
