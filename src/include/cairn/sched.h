/* Kernel threads on one shared run queue for all harts: preemptive on timer
 * ticks, voluntary yield, sleep, wait queues, mutexes and semaphores. Every
 * thread records the component that owns it; capability checks read it from
 * here, never from arguments. */
#ifndef CAIRN_SCHED_H
#define CAIRN_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/hart.h"
#include "cairn/list.h"
#include "cairn/spinlock.h"

struct mutex; /* cairn/sync.h */

#define THREAD_NAME_MAX 16
#define THREAD_STACK_DEFAULT 16384
#define THREAD_GATE_DEPTH 8 /* nested cross-component calls per thread */

enum thread_state {
	T_RUNNABLE,
	T_RUNNING,
	T_SLEEPING,
	T_ZOMBIE
};

struct waitq {
	struct list_node waiters; /* threads; protected by sched_lock */
};
#define WAITQ_INIT(w)                                                                              \
	{                                                                                          \
		LIST_INIT((w).waiters)                                                             \
	}

struct thread {
	struct context ctx; /* saved registers while not running */

	/* Protected by sched_lock: */
	enum thread_state state;
	struct list_node qnode; /* on the run queue or a wait queue */
	struct list_node tnode; /* on the timer list while wake_at != 0 */
	uint64_t wake_at;	/* timebase deadline, 0 = none */
	int wake_reason;	/* 0 woken, CAIRN_ETIMEDOUT */
	struct waitq joinq;	/* threads waiting in thread_join */
	bool detached;		/* freed by the scheduler at exit */
	uint64_t harts_run;	/* bit i: ran on hart index i */

	struct list_node anode; /* on the list of all threads (diag_threads); sched_lock */

	/* Immutable after thread_create: */
	uint64_t id;
	char name[THREAD_NAME_MAX];
	uint16_t owner; /* component that owns the thread (0 = kernel core) */
	void (*entry)(void *arg);
	void *arg;
	uint8_t *stack; /* lowest address; canary lives here */
	size_t stack_size;

	int exit_code; /* written before ZOMBIE */

	/* Written only by the thread itself, through the capability gate (cap_gate.h):
	 * the component whose code the thread is running now. owner at start; a
	 * granted call into another component's interface switches it for the
	 * call's duration. Every capability check reads it. */
	uint16_t component;
	/* Components this thread is inside a counted call of (cap_gate.c), innermost
	 * last, so a thread that dies mid-call can be taken out of their counts. */
	uint8_t gate_depth;
	uint16_t gate_stack[THREAD_GATE_DEPTH];
	/* Written by the trap handler on the thread's own hart before it ends the
	 * thread for a contained fault (thread_exit_from_trap); read after join: */
	bool faulted;
	uint64_t fault_cause; /* scause */
	uint64_t fault_pc;    /* sepc */
	uint64_t fault_addr;  /* stval */
	/* Written only by the thread itself (sync.c): mutexes it holds, newest first. */
	struct mutex *held;
};

/* sched_lock: protects the run queue, every wait queue and thread state. It is
 * the innermost lock but for the console lock. */
extern struct spinlock sched_lock;

/* thread_create: new runnable thread running entry(arg), owned by component.
 * Only the kernel core, and a component the table gives the run_as privilege
 * (never for the kernel's identity, id 0), may create a thread for another
 * component; any other request for an identity but the caller's own gets
 * CAIRN_EPERM. CAIRN_ENOMEM when the
 * stack or struct cannot be allocated. A detached thread is freed at exit;
 * others must be joined. */
int thread_create(struct thread **out, const char *name, uint16_t component, void (*entry)(void *),
		  void *arg, bool detached);
/* thread_run: run entry(arg) to completion in a new thread owned by component
 * (same rule as thread_create) and return its exit code: 0, or e.g.
 * CAIRN_EFAULT when a contained fault ended it; thread_create's error when it
 * could not start. */
int thread_run(const char *name, uint16_t component, void (*entry)(void *), void *arg);
/* thread_join: wait for t to exit, free it, return its exit code. */
int thread_join(struct thread *t);
/* thread_exit: end the calling thread. */
_Noreturn void thread_exit(int code);
/* thread_exit_from_trap: end the current thread from the trap handler (the
 * fault-containment path): interrupts off, no spinlock held (panics
 * otherwise). Joiners are woken and thread_join returns code (CAIRN_EFAULT for
 * a fault). The stack canary is not checked (an overflow smashes it) and the
 * trap frame is abandoned; the scheduler never returns to the thread. */
_Noreturn void thread_exit_from_trap(int code);
struct thread *thread_current(void);
/* thread_component: the component the calling thread is acting as now (its
 * owner, or the callee of a gated call in progress); 0 outside threads. */
uint16_t thread_component(void);

void sched_yield(void);
/* sched_sleep_us: sleep at least us microseconds (tick granularity). */
void sched_sleep_us(uint64_t us);

void waitq_init(struct waitq *wq);
/* waitq_wait: atomically release lk and sleep on wq until woken or timeout_us
 * passes (0 = no timeout); lk is held again on return. 0 when woken,
 * CAIRN_ETIMEDOUT on timeout. Caller must hold lk (not sched_lock). */
int waitq_wait(struct waitq *wq, struct spinlock *lk, uint64_t timeout_us);
/* waitq_wake_one/all: make the first/every waiter runnable. Returns how many. */
int waitq_wake_one(struct waitq *wq);
int waitq_wake_all(struct waitq *wq);

/* Kernel internals. */
void sched_init(void);
_Noreturn void sched_run(void); /* enter this hart's scheduler loop */
void sched_tick(void);		/* timer interrupt, interrupts off */
bool sched_in_thread(void);
/* sched_for_each_thread: call fn for every thread not yet freed, with
 * sched_lock held (fn must not sleep, print or take sched_lock). */
void sched_for_each_thread(void (*fn)(const struct thread *t, void *arg), void *arg);
#define THREAD_STACK_FILL 0xa5 /* unused stack bytes, for the high-water mark */

#endif
