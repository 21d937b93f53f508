/* The scheduler: one run queue shared by every hart, FIFO, one-tick time slices.
 *
 * Locking: sched_lock protects the run queue, the timer list, every wait queue
 * and every thread's scheduling fields. A thread gives up its hart only in
 * sched(), holding sched_lock and nothing else; the hart's scheduler loop
 * releases it after the switch (xv6's discipline), so a thread is never seen
 * RUNNABLE on a queue while its registers are still live on some hart. */
#include "cairn/sched.h"
#include "cairn/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/budget.h"
#include "cairn/cap.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/mmu.h"
#include "cairn/page.h"
#include "cairn/panic.h"
#include "cairn/timer.h"

#define STACK_CANARY 0x5354414b43414952ull /* "RIACKATS" */
#define CANARY_WORDS 8

extern void switch_context(struct context *old, struct context *new);

struct spinlock sched_lock = SPINLOCK_INIT("sched");
/* Protected by sched_lock: */
static struct list_node runq = LIST_INIT(runq);
static struct list_node timers = LIST_INIT(timers); /* sorted by wake_at */
static struct list_node all_threads = LIST_INIT(all_threads);
static uint64_t next_tid;

struct thread *thread_current(void)
{
	push_off();
	struct thread *t = hart_self()->current;
	pop_off();
	return t;
}

bool sched_in_thread(void) { return thread_current() != NULL; }

uint16_t thread_component(void)
{
	struct thread *t = thread_current();
	return t ? t->component : 0;
}

/* canary_ok: the words at the bottom of t's stack are intact. */
static bool canary_ok(const struct thread *t)
{
	const uint64_t *w = (const uint64_t *)t->stack;
	for (int i = 0; i < CANARY_WORDS; i++) {
		if (w[i] != STACK_CANARY)
			return false;
	}
	return true;
}

/* kick_idle_hart: wake one idle hart other than this one. sched_lock held. */
static void kick_idle_hart(void)
{
	struct hart *self = hart_self();
	for (unsigned i = 0; i < hart_count(); i++) {
		struct hart *h = hart_get(i);
		if (h != self && h->idle) {
			h->idle = 0;
			hart_send_ipi(h, IPI_RESCHED);
			return;
		}
	}
}

/* make_runnable: queue t at the tail and wake an idle hart for it. sched_lock held. */
static void make_runnable(struct thread *t)
{
	t->state = T_RUNNABLE;
	list_push_back(&runq, &t->qnode);
	kick_idle_hart();
}

/* make_runnable_next: for a caller whose own hart looks at the run queue next
 * (it blocks or exits right after): when the queue is empty, t is queued
 * without waking an idle hart, and this hart runs it next; otherwise as
 * make_runnable, so t never waits behind others while a hart sleeps. Under
 * QEMU, waking a sleeping hart is a host thread wake-up that a loaded host can
 * delay by milliseconds (docs/architecture.md, Boot timeline). sched_lock held. */
static void make_runnable_next(struct thread *t)
{
	bool alone = list_empty(&runq);
	t->state = T_RUNNABLE;
	list_push_back(&runq, &t->qnode);
	if (!alone)
		kick_idle_hart();
}

/* wake_one: take t off any wait queue and timer, make it runnable with reason
 * (make_runnable, or make_runnable_next when next). sched_lock held; t must be
 * sleeping. */
static void wake_one(struct thread *t, int reason, bool next)
{
	if (list_linked(&t->qnode))
		list_remove(&t->qnode);
	if (list_linked(&t->tnode))
		list_remove(&t->tnode);
	t->wake_at = 0;
	t->wake_reason = reason;
	if (next)
		make_runnable_next(t);
	else
		make_runnable(t);
}

/* wake_thread: wake t with reason (sched_lock held; t sleeping). */
static void wake_thread(struct thread *t, int reason) { wake_one(t, reason, false); }

/* timer_insert: put t on the timer list in deadline order. sched_lock held. */
static void timer_insert(struct thread *t)
{
	struct list_node *n = timers.next;
	while (n != &timers && list_entry(n, struct thread, tnode)->wake_at <= t->wake_at)
		n = n->next;
	list_insert_between(&t->tnode, n->prev, n);
}

/* sched: switch from the current thread to this hart's scheduler loop. Caller
 * holds sched_lock and no other spinlock, and has set the thread's state. */
static void sched(void)
{
	struct hart *h = hart_self();
	struct thread *t = h->current;
	if (!spin_held(&sched_lock) || h->noff != 1)
		panic("sched: called with %d locks held (thread %s)", h->noff, t ? t->name : "-");
	if (t->state == T_RUNNING)
		panic("sched: thread %s still RUNNING", t->name);
	if (intr_enabled())
		panic("sched: interrupts enabled");
	if (!t->faulted && !canary_ok(t))
		panic("stack overflow: thread %s (id %llu) smashed its stack canary", t->name,
		      (unsigned long long)t->id);
	int intena = h->intena;
	switch_context(&t->ctx, &h->sched_ctx);
	hart_self()->intena = intena; /* possibly another hart now */
}

/* wait_locked: sleep on wq (may be NULL) with an optional timeout. sched_lock
 * held on entry and exit. Returns 0 when woken, CAIRN_ETIMEDOUT on timeout. */
static int wait_locked(struct waitq *wq, uint64_t timeout_us)
{
	struct thread *t = hart_self()->current;
	t->wake_reason = 0;
	if (wq)
		list_push_back(&wq->waiters, &t->qnode);
	if (timeout_us) {
		t->wake_at = rdtime() + us_to_ticks(timeout_us);
		timer_insert(t);
	}
	t->state = T_SLEEPING;
	sched();
	return t->wake_reason;
}

static void thread_trampoline(void)
{
	/* First run: the scheduler switched here holding sched_lock. */
	spin_unlock(&sched_lock);
	intr_on();
	struct thread *t = thread_current();
	t->entry(t->arg);
	thread_exit(0);
}

/* stack_pages: pages of t's stack allocation, the guard page included. */
static size_t stack_pages(const struct thread *t) { return t->stack_size / PAGE_SIZE + 1; }

/* create: thread_create; next: the caller joins the new thread at once (thread_run),
 * freeing its own hart for it (make_runnable_next). */
static int create(struct thread **out, const char *name, uint16_t component, void (*entry)(void *),
		  void *arg, bool detached, bool next)
{
	uint16_t self = thread_component();
	if (self != 0 && component != self &&
	    (component == 0 || !cap_has_priv(self, CAP_PRIV_RUN_AS)))
		return CAIRN_EPERM;
	/* The new thread and its stack count against its owner's budget. */
	int err = budget_charge(component, BUDGET_THREADS, 1);
	if (err)
		return err;
	struct thread *t = calloc(1, sizeof(*t));
	if (!t) {
		budget_release(component, BUDGET_THREADS, 1);
		return CAIRN_ENOMEM;
	}
	t->stack_size = THREAD_STACK_DEFAULT;
	uint8_t *base = page_alloc_as(component, stack_pages(t));
	if (!base) {
		free(t);
		budget_release(component, BUDGET_THREADS, 1);
		return CAIRN_ENOMEM;
	}
	err = mmu_guard_set((uintptr_t)base);
	if (err) {
		page_free(base, stack_pages(t));
		free(t);
		budget_release(component, BUDGET_THREADS, 1);
		return err;
	}
	t->stack = base + PAGE_SIZE;
	/* A known fill, so diag_threads can tell how deep the stack ever got. */
	memset(t->stack, THREAD_STACK_FILL, t->stack_size);
	for (int i = 0; i < CANARY_WORDS; i++)
		((uint64_t *)t->stack)[i] = STACK_CANARY;
	(void)snprintf(t->name, sizeof(t->name), "%s", name);
	t->owner = component;
	t->component = component;
	t->entry = entry;
	t->arg = arg;
	t->detached = detached;
	t->ctx.ra = (uintptr_t)thread_trampoline;
	t->ctx.sp = (uintptr_t)t->stack + t->stack_size;
	list_init(&t->qnode);
	list_init(&t->tnode);
	waitq_init(&t->joinq);
	if (out)
		*out = t;
	spin_lock(&sched_lock);
	t->id = ++next_tid;
	list_push_back(&all_threads, &t->anode);
	if (next)
		make_runnable_next(t);
	else
		make_runnable(t);
	spin_unlock(&sched_lock);
	return 0;
}

int thread_create(struct thread **out, const char *name, uint16_t component, void (*entry)(void *),
		  void *arg, bool detached)
{
	return create(out, name, component, entry, arg, detached, false);
}

int thread_run(const char *name, uint16_t component, void (*entry)(void *), void *arg)
{
	struct thread *t;
	int err = create(&t, name, component, entry, arg, false, true);
	return err ? err : thread_join(t);
}

/* thread_free: release a ZOMBIE's stack (its guard page mapped again first)
 * and struct; it no longer runs. */
static void thread_free(struct thread *t)
{
	uint8_t *base = t->stack - PAGE_SIZE;
	spin_lock(&sched_lock);
	list_remove(&t->anode);
	spin_unlock(&sched_lock);
	int err = mmu_guard_clear((uintptr_t)base);
	if (err)
		panic("thread %s: cannot map its stack guard again (%s)", t->name,
		      cairn_strerror(err));
	page_free(base, stack_pages(t));
	uint16_t owner = t->owner;
	free(t);
	budget_release(owner, BUDGET_THREADS, 1);
}

int thread_join(struct thread *t)
{
	spin_lock(&sched_lock);
	if (t->detached)
		panic("thread_join: %s is detached", t->name);
	while (t->state != T_ZOMBIE)
		(void)wait_locked(&t->joinq, 0);
	spin_unlock(&sched_lock);
	int code = t->exit_code;
	thread_free(t);
	return code;
}

/* exit_locked: make the current thread t a zombie with code, wake its joiners
 * and leave for good. sched_lock held. */
static _Noreturn void exit_locked(struct thread *t, int code)
{
	t->exit_code = code;
	t->state = T_ZOMBIE;
	struct list_node *n;
	/* This hart is free as soon as sched() returns to its loop: the first
	 * joiner may run here (make_runnable_next); any more wake idle harts. */
	bool first = true;
	while ((n = list_pop_front(&t->joinq.waiters)) != NULL) {
		wake_one(list_entry(n, struct thread, qnode), 0, first);
		first = false;
	}
	sched();
	panic("zombie %s ran again", t->name);
}

_Noreturn void thread_exit(int code)
{
	struct thread *self = thread_current();
	if (self && self->held)
		panic("thread %s exits holding mutex %s", self->name, self->held->lk.name);
	spin_lock(&sched_lock);
	exit_locked(hart_self()->current, code);
}

_Noreturn void thread_exit_from_trap(int code)
{
	struct hart *h = hart_self();
	struct thread *t = h->current;
	if (!t || h->noff != 0 || intr_enabled())
		panic("thread_exit_from_trap: thread %s, %d locks held, interrupts %s",
		      t ? t->name : "-", h->noff, intr_enabled() ? "on" : "off");
	/* Its stack may be overflowed (canary gone): sched() must not judge it.
	 * Whatever frame it leaves on this hart's trap stack is dead once we switch. */
	t->faulted = true;
	h->on_trap_stack = 0;
	mutex_abandon_held(t);
	spin_lock(&sched_lock);
	exit_locked(t, code);
}

void sched_yield(void)
{
	spin_lock(&sched_lock);
	struct thread *t = hart_self()->current;
	t->state = T_RUNNABLE;
	list_push_back(&runq, &t->qnode);
	sched();
	spin_unlock(&sched_lock);
}

void sched_sleep_us(uint64_t us)
{
	spin_lock(&sched_lock);
	(void)wait_locked(NULL, us ? us : 1);
	spin_unlock(&sched_lock);
}

void waitq_init(struct waitq *wq) { list_init(&wq->waiters); }

int waitq_wait(struct waitq *wq, struct spinlock *lk, uint64_t timeout_us)
{
	spin_lock(&sched_lock);
	spin_unlock(lk);
	int r = wait_locked(wq, timeout_us);
	spin_unlock(&sched_lock);
	spin_lock(lk);
	return r;
}

static int wake(struct waitq *wq, int max)
{
	int n = 0;
	spin_lock(&sched_lock);
	struct list_node *node;
	while (n < max && (node = list_pop_front(&wq->waiters)) != NULL) {
		wake_thread(list_entry(node, struct thread, qnode), 0);
		n++;
	}
	spin_unlock(&sched_lock);
	return n;
}

int waitq_wake_one(struct waitq *wq) { return wake(wq, 1); }
int waitq_wake_all(struct waitq *wq) { return wake(wq, 1 << 30); }

void sched_tick(void)
{
	struct hart *h = hart_self();
	spin_lock(&sched_lock);
	uint64_t now = rdtime();
	while (!list_empty(&timers)) {
		struct thread *t = list_entry(timers.next, struct thread, tnode);
		if (t->wake_at > now)
			break;
		wake_thread(t, CAIRN_ETIMEDOUT);
	}
	/* Never from the emergency trap stack: the frame there is per-hart. */
	bool preempt = h->current && h->current->state == T_RUNNING && !list_empty(&runq) &&
		       !h->on_trap_stack;
	spin_unlock(&sched_lock);
	if (preempt)
		sched_yield();
}

void sched_init(void) {}

void sched_for_each_thread(void (*fn)(const struct thread *t, void *arg), void *arg)
{
	spin_lock(&sched_lock);
	for (struct list_node *n = all_threads.next; n != &all_threads; n = n->next)
		fn(list_entry(n, struct thread, anode), arg);
	spin_unlock(&sched_lock);
}

_Noreturn void sched_run(void)
{
	struct hart *h = hart_self();
	__atomic_store_n(&h->online, 1, __ATOMIC_RELEASE);
	for (;;) {
		intr_off();
		spin_lock(&sched_lock);
		h->idle = 0;
		struct list_node *n = list_pop_front(&runq);
		if (!n) {
			/* wfi wakes on a pending interrupt even with SIE off; the
			 * interrupt itself is taken once intr_on() runs. */
			h->idle = 1;
			spin_unlock(&sched_lock);
			/* TLB shootdowns skip this hart until mmu_idle_leave,
			 * which flushes before the first interrupt handler runs. */
			mmu_idle_enter();
			wfi();
			mmu_idle_leave();
			intr_on();
			continue;
		}
		struct thread *t = list_entry(n, struct thread, qnode);
		t->state = T_RUNNING;
		t->harts_run |= 1ull << h->index;
		h->current = t;
		hart_set_stack(h, (uintptr_t)t->stack, (uintptr_t)t->stack + t->stack_size);
		switch_context(&h->sched_ctx, &t->ctx);
		h = hart_self();
		hart_set_stack(h, hart_sched_stack_lo(h), h->stack_top);
		h->current = NULL;
		bool reap = t->state == T_ZOMBIE && t->detached;
		spin_unlock(&sched_lock);
		if (reap)
			thread_free(t);
	}
}
