/* faulttest (faulttest.h): one worker thread serving one request at a time.
 *
 * Locking: ft.lk (a spinlock) protects the request slot and the flags; the
 * caller waits on ft.done_wq, the worker on ft.req_wq. A call holds ft.call
 * (a mutex) for its whole duration, so requests never overlap. */
#include "faulttest.h"

#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/sync.h"
#include "cairn/timer.h"

#define POLL_US 10000u		      /* how often a waiting caller checks the worker is alive */
#define FAULT_LOCKED_DELAY_US 400000u /* FAULTTEST_FAULT_LOCKED holds ft.call this long first */

static struct {
	struct mutex call;
	struct spinlock lk;
	struct waitq req_wq, done_wq;
	/* Protected by lk: */
	bool pending, done, stopping;
	enum faulttest_kind kind;
	int rc;
	uint32_t gen;
	/* Owned by init/stop: */
	struct thread *worker;
} ft;

/* overflow: recursion that keeps a frame alive per level, so it cannot be
 * turned into a loop, until the stack guard stops it (the depth bound, 4 GiB
 * of frames, is never reached; it only keeps the compiler from calling this
 * infinite recursion). */
static __attribute__((noinline)) uint64_t overflow(volatile uint8_t *prev, uint64_t depth)
{
	volatile uint8_t frame[256];
	if (depth > (UINT64_C(1) << 24))
		return 0;
	frame[0] = (uint8_t)depth;
	frame[255] = prev ? prev[0] : 0;
	return overflow(frame, depth + 1) + frame[255];
}

/* text_target: a function whose first instruction the write-to-text fault
 * tries to overwrite. */
__attribute__((noinline)) uint32_t faulttest_text_target(uint32_t x) { return x * 3u + 1u; }

/* do_fault: the faults themselves; each ends the thread via the trap handler. */
static void do_fault(enum faulttest_kind kind)
{
	switch (kind) {
	case FAULTTEST_NULL_DEREF:
		(void)*(volatile uint64_t *)(uintptr_t)0;
		break;
	case FAULTTEST_STACK_OVERFLOW:
		(void)overflow(NULL, 0);
		break;
	case FAULTTEST_WRITE_TEXT:
		*(volatile uint32_t *)(uintptr_t)&faulttest_text_target = 0;
		break;
	default:
		break;
	}
}

/* worker: waits for a request, serves it, reports back. */
static void worker(void *arg)
{
	uint32_t gen = (uint32_t)(uintptr_t)arg;
	spin_lock(&ft.lk);
	for (;;) {
		while (!ft.pending && !ft.stopping)
			(void)waitq_wait(&ft.req_wq, &ft.lk, 0);
		if (ft.stopping)
			break;
		enum faulttest_kind kind = ft.kind;
		spin_unlock(&ft.lk);
		if (kind != FAULTTEST_PING)
			do_fault(kind); /* returns only when the fault did not happen */
		spin_lock(&ft.lk);
		ft.rc = kind == FAULTTEST_PING ? 0 : CAIRN_EFAULT;
		ft.gen = gen;
		ft.pending = false;
		ft.done = true;
		(void)waitq_wake_all(&ft.done_wq);
	}
	spin_unlock(&ft.lk);
}

int faulttest_call(enum faulttest_kind kind, uint32_t *gen, uint64_t timeout_us)
{
	struct cap_call call;
	int err = cap_enter(&call, CAP_COMP_FAULTTEST, "call");
	if (err)
		return err;
	err = mutex_lock_live(&ft.call);
	if (err) {
		cap_leave(&call); /* a caller died holding it: faulttest is restarting */
		return err;
	}
	if (kind == FAULTTEST_FAULT_LOCKED) {
		/* In the caller's own thread, acting as faulttest, holding ft.call: a
		 * component that faults with a lock held. */
		sched_sleep_us(FAULT_LOCKED_DELAY_US);
		do_fault(FAULTTEST_NULL_DEREF);
	}
	spin_lock(&ft.lk);
	ft.kind = kind;
	ft.pending = true;
	ft.done = false;
	(void)waitq_wake_all(&ft.req_wq);
	uint64_t deadline = time_us() + timeout_us;
	err = 0;
	/* Poll the component's state too: a worker that faulted never answers,
	 * and the supervisor cannot stop us while this call is in flight. */
	bool dead = false;
	while (!ft.done && !ft.stopping && !dead && !err) {
		uint64_t now = time_us();
		if (now >= deadline) {
			err = CAIRN_ETIMEDOUT;
			break;
		}
		uint64_t slice = deadline - now < POLL_US ? deadline - now : POLL_US;
		(void)waitq_wait(&ft.done_wq, &ft.lk, slice);
		dead = supervisor_state(CAP_COMP_FAULTTEST) != COMP_UP;
	}
	if (ft.done) {
		err = ft.rc;
		if (gen)
			*gen = ft.gen;
	} else if (ft.stopping || dead) {
		err = CAIRN_ESHUTDOWN;
	}
	ft.pending = false;
	spin_unlock(&ft.lk);
	mutex_unlock(&ft.call);
	cap_leave(&call);
	return err;
}

/* ft_init: fresh state and a worker that knows its generation. */
static int ft_init(void)
{
	mutex_init(&ft.call, "faulttest");
	spin_init(&ft.lk, "faulttest");
	waitq_init(&ft.req_wq);
	waitq_init(&ft.done_wq);
	ft.pending = ft.done = ft.stopping = false;
	uint32_t gen = supervisor_generation(CAP_COMP_FAULTTEST) + 1;
	return thread_create(&ft.worker, "faulttest", CAP_COMP_FAULTTEST, worker,
			     (void *)(uintptr_t)gen, false);
}

/* ft_stop: fail a waiting caller, end the worker (or reap it if it faulted). */
static void ft_stop(void)
{
	spin_lock(&ft.lk);
	ft.stopping = true;
	(void)waitq_wake_all(&ft.req_wq);
	(void)waitq_wake_all(&ft.done_wq);
	spin_unlock(&ft.lk);
	(void)thread_join(ft.worker);
	ft.worker = NULL;
}

const struct component_desc component_faulttest = {
	.name = "faulttest",
	.init = ft_init,
	.stop = ft_stop,
};
