/* The supervisor (cairn/supervisor.h).
 *
 * Locks: sup_lock (a mutex) serialises bring-up, stop and restart, so there is
 * one lifecycle operation at a time. state_lock (a spinlock, innermost but for
 * sched_lock and the console) protects the per-component state, in-flight call
 * counts and generations; state_wq is woken whenever they change.
 *
 * Every init, start and stop runs in a fresh thread owned by the component, so
 * what it does (claims, calls) is checked as the component, and a fault in it
 * ends that thread without taking the supervisor down. */
#include "cairn/supervisor.h"

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/panic.h"
#include "cairn/sched.h"
#include "cairn/sync.h"
#include "cairn/timeline.h"
#include "cairn/timer.h"

#define DRAIN_WARN_US 2000000u	  /* warn when calls take this long to leave */
#define DRAIN_LIMIT_US 10000000u  /* then give up stopping the component */
#define BACKOFF_BASE_US 50000u	  /* first restart after a fault: 50 ms, then x2 */
#define FAULT_WINDOW_US 60000000u /* restarts are counted per 60 s window */

static struct mutex sup_lock;
static struct spinlock state_lock = SPINLOCK_INIT("supervisor");
/* Protected by state_lock: */
static enum comp_state state[CAP_COMP_COUNT];
static uint32_t inflight[CAP_COMP_COUNT];
static uint32_t generation[CAP_COMP_COUNT];
static uint32_t fault_pending; /* bit c: c faulted, restart due */
static struct comp_fault last_fault[CAP_COMP_COUNT];
static int last_err[CAP_COMP_COUNT]; /* why it went down last; 0 once up */
/* Protected by sup_lock: init+start succeeded and stop has not run since, so
 * the component holds resources that a stop must release. */
static bool live[CAP_COMP_COUNT];
static struct waitq state_wq = WAITQ_INIT(state_wq);
/* Owned by the restart thread: */
static uint8_t faults[CAP_COMP_COUNT]; /* restarts within the current window */
static uint64_t window_start[CAP_COMP_COUNT];
static struct semaphore fault_sem;

enum job_kind {
	JOB_UP,
	JOB_STOP
};
struct job {
	const struct component_desc *d;
	enum job_kind kind;
	int rc;
	uint64_t init_us, start_us; /* JOB_UP: how long init and start took */
};

/* job_run: the body of a lifecycle thread, in the component's identity. */
static void job_run(void *arg)
{
	struct job *j = arg;
	if (j->kind == JOB_STOP) {
		j->d->stop();
		return;
	}
	uint64_t t0 = time_us();
	j->rc = j->d->init ? j->d->init() : 0;
	uint64_t t1 = time_us();
	j->init_us = t1 - t0;
	if (j->rc == 0 && j->d->start) {
		j->rc = j->d->start();
		j->start_us = time_us() - t1;
		if (j->rc != 0 && j->d->stop)
			j->d->stop(); /* undo init */
	}
}

/* run_as: run a lifecycle job in a new thread owned by comp; its result, or
 * the thread's exit code when it died (a contained fault). A first bring-up's
 * init and start times go to the boot timeline. */
static int run_as(unsigned comp, enum job_kind kind)
{
	struct job j = { .d = component_table[comp], .kind = kind, .rc = 0 };
	int code = thread_run(j.d->name, (uint16_t)comp, job_run, &j);
	if (kind == JOB_UP && !code)
		timeline_comp(comp, j.init_us, j.start_us);
	return code ? code : j.rc;
}

/* set_state: change comp's state and wake whoever waits on it. */
static void set_state(unsigned comp, enum comp_state s, bool up)
{
	spin_lock(&state_lock);
	state[comp] = s;
	if (up)
		generation[comp]++;
	spin_unlock(&state_lock);
	(void)waitq_wake_all(&state_wq);
}

/* set_down: comp failed with err (state_lock not held). */
static void set_down(unsigned comp, int err)
{
	spin_lock(&state_lock);
	last_err[comp] = err;
	spin_unlock(&state_lock);
	set_state(comp, COMP_FAILED, false);
}

int supervisor_last_error(unsigned comp)
{
	if (comp == 0 || comp >= CAP_COMP_COUNT)
		return 0;
	spin_lock(&state_lock);
	int err = last_err[comp];
	spin_unlock(&state_lock);
	return err;
}

enum comp_state supervisor_state(unsigned comp)
{
	if (comp == 0 || comp >= CAP_COMP_COUNT)
		return COMP_DOWN;
	spin_lock(&state_lock);
	enum comp_state s = state[comp];
	spin_unlock(&state_lock);
	return s;
}

uint32_t supervisor_generation(unsigned comp)
{
	if (comp >= CAP_COMP_COUNT)
		return 0;
	spin_lock(&state_lock);
	uint32_t g = generation[comp];
	spin_unlock(&state_lock);
	return g;
}

int supervisor_wait_up(unsigned comp, uint32_t after, uint64_t timeout_us)
{
	if (comp == 0 || comp >= CAP_COMP_COUNT)
		return CAIRN_EINVAL;
	uint64_t deadline = time_us() + timeout_us;
	spin_lock(&state_lock);
	while (!(state[comp] == COMP_UP && generation[comp] > after)) {
		uint64_t now = time_us();
		if (now >= deadline) {
			spin_unlock(&state_lock);
			return CAIRN_ETIMEDOUT;
		}
		(void)waitq_wait(&state_wq, &state_lock, deadline - now);
	}
	spin_unlock(&state_lock);
	return 0;
}

int supervisor_last_fault(unsigned comp, struct comp_fault *out)
{
	if (comp == 0 || comp >= CAP_COMP_COUNT)
		return CAIRN_EINVAL;
	spin_lock(&state_lock);
	*out = last_fault[comp];
	spin_unlock(&state_lock);
	return 0;
}

int supervisor_call_begin(unsigned comp)
{
	spin_lock(&state_lock);
	int err = state[comp] == COMP_UP ? 0 : CAIRN_EAGAIN;
	if (!err)
		inflight[comp]++;
	spin_unlock(&state_lock);
	return err;
}

void supervisor_call_end(unsigned comp)
{
	spin_lock(&state_lock);
	bool last = --inflight[comp] == 0 && state[comp] == COMP_STOPPING;
	spin_unlock(&state_lock);
	if (last)
		(void)waitq_wake_all(&state_wq);
}

/* bring_up: start comp if everything it needs is up; print the outcome. */
static void bring_up(unsigned comp, bool restart)
{
	const char *name = cap_comp_name(comp);
	uint32_t needs = cap_table.needs[comp];
	for (unsigned n = 1; n < CAP_COMP_COUNT; n++) {
		if ((needs & CAP_BIT(n)) && supervisor_state(n) != COMP_UP) {
			set_state(comp, COMP_SKIPPED, false);
			kprintf("cairn: component %s not started (needs %s)\n", name,
				cap_comp_name(n));
			return;
		}
	}
	int rc = run_as(comp, JOB_UP);
	if (rc) {
		set_down(comp, rc);
		kprintf("cairn: component %s failed err=%d (%s)\n", name, rc, cairn_strerror(rc));
		return;
	}
	live[comp] = true;
	spin_lock(&state_lock);
	last_err[comp] = 0;
	spin_unlock(&state_lock);
	set_state(comp, COMP_UP, true);
	kprintf(restart ? "cairn: component %s restarted\n" : "cairn: component %s up\n", name);
}

/* take_down: close comp's interface, wait for calls in flight to leave, stop it.
 * The wait is bounded: calls that have not left after DRAIN_LIMIT_US (a caller
 * stuck inside comp, which a dead lock owner can no longer cause, see
 * mutex_lock_live) leave comp failed with its interface closed and nothing
 * stopped: CAIRN_ETIMEDOUT. sup_lock held. */
static int take_down(unsigned comp)
{
	spin_lock(&state_lock);
	bool was_up = state[comp] == COMP_UP;
	if (was_up)
		state[comp] = COMP_STOPPING;
	uint64_t now = time_us(), warn_at = now + DRAIN_WARN_US, give_up = now + DRAIN_LIMIT_US;
	while (inflight[comp] != 0) {
		now = time_us();
		if (now >= give_up) {
			uint32_t n = inflight[comp];
			state[comp] = COMP_FAILED;
			last_err[comp] = CAIRN_ETIMEDOUT;
			spin_unlock(&state_lock);
			(void)waitq_wake_all(&state_wq);
			kprintf("cairn: component %s: %u calls did not leave in %u s; left failed, "
				"not stopped\n",
				cap_comp_name(comp), n, DRAIN_LIMIT_US / 1000000u);
			return CAIRN_ETIMEDOUT;
		}
		(void)waitq_wait(&state_wq, &state_lock, DRAIN_WARN_US);
		if (time_us() >= warn_at) {
			uint32_t n = inflight[comp];
			spin_unlock(&state_lock);
			kprintf("cairn: component %s: waiting for %u calls to leave\n",
				cap_comp_name(comp), n);
			spin_lock(&state_lock);
			warn_at = time_us() + DRAIN_WARN_US;
		}
	}
	spin_unlock(&state_lock);
	/* Only what came up is stopped: a component whose init failed (or that
	 * was never started) acquired nothing. */
	if (live[comp] && component_table[comp]->stop)
		(void)run_as(comp, JOB_STOP);
	live[comp] = false;
	set_state(comp, COMP_DOWN, false);
	return 0;
}

static void restart_thread(void *arg);

int supervisor_start_all(void)
{
	int bad = 0;
	mutex_init(&sup_lock, "supervisor");
	sem_init(&fault_sem, 0);
	if (thread_create(NULL, "restarter", 0, restart_thread, NULL, true) != 0)
		panic("supervisor: no memory for the restart thread");
	mutex_lock(&sup_lock);
	for (unsigned i = 0; i < cap_table.start_count; i++) {
		unsigned c = cap_table.start_order[i];
		bring_up(c, false);
		bad += supervisor_state(c) != COMP_UP;
	}
	mutex_unlock(&sup_lock);
	return bad;
}

/* restart_locked: the restart sequence of supervisor_restart; sup_lock held. */
static int restart_locked(unsigned comp)
{
	/* Dependents, transitively, in start order: the running ones are taken
	 * down and brought back; the ones skipped for want of comp get another go. */
	uint32_t deps = 0, retry = 0, reach = CAP_BIT(comp);
	for (unsigned i = 0; i < cap_table.start_count; i++) {
		unsigned d = cap_table.start_order[i];
		if (cap_table.needs[d] & reach) {
			reach |= CAP_BIT(d);
			enum comp_state st = supervisor_state(d);
			if (st == COMP_UP)
				deps |= CAP_BIT(d);
			else if (st == COMP_SKIPPED)
				retry |= CAP_BIT(d);
		}
	}
	for (unsigned d = 1; d < CAP_COMP_COUNT; d++) {
		if (((deps | CAP_BIT(comp)) & CAP_BIT(d)) && component_table[d]->no_restart) {
			kprintf("cairn: component %s cannot be restarted (%s cannot be stopped)\n",
				cap_comp_name(comp), cap_comp_name(d));
			return CAIRN_ENOTSUP;
		}
	}
	uint32_t stuck = 0; /* left failed by take_down: calls still inside */
	for (unsigned i = cap_table.start_count; i-- > 0;) {
		unsigned d = cap_table.start_order[i];
		if ((deps & CAP_BIT(d)) && take_down(d) != 0)
			stuck |= CAP_BIT(d);
	}
	if (take_down(comp) != 0) {
		kprintf("cairn: component %s not restarted: calls in flight did not leave\n",
			cap_comp_name(comp));
		return CAIRN_ETIMEDOUT;
	}
	deps &= ~stuck;
	bring_up(comp, true);
	/* Dependents come back (or are reported not started, if comp did not). */
	for (unsigned i = 0; i < cap_table.start_count; i++) {
		unsigned d = cap_table.start_order[i];
		if ((deps | retry) & CAP_BIT(d))
			bring_up(d, (deps & CAP_BIT(d)) != 0);
	}
	return supervisor_state(comp) == COMP_UP ? 0 : CAIRN_ESHUTDOWN;
}

int supervisor_restart(unsigned comp)
{
	uint16_t self = cap_self();
	if (comp == 0 || comp >= CAP_COMP_COUNT)
		return CAIRN_EINVAL;
	if (!cap_has_priv(self, CAP_PRIV_RESTART))
		return cap_deny(AUDIT_CAP_DENIED, 0, "restart", cap_comp_name(comp));
	/* The lifecycle work is the kernel's: run it as the kernel (it creates
	 * threads for other components), then return to the caller's identity. */
	struct thread *t = thread_current();
	t->component = 0;
	mutex_lock(&sup_lock);
	int err = restart_locked(comp);
	mutex_unlock(&sup_lock);
	t->component = self;
	return err;
}

void supervisor_ready_all(void)
{
	struct thread *t = thread_current();
	uint16_t self = t->component;
	for (unsigned i = 0; i < cap_table.start_count; i++) {
		unsigned c = cap_table.start_order[i];
		const struct component_desc *d = component_table[c];
		if (!d->ready)
			continue;
		bool up = supervisor_state(c) == COMP_UP;
		/* The hook acts as its component: its calls, claims and thread
		 * creations are checked against the table like any of its threads'. */
		t->component = (uint16_t)c;
		d->ready(up);
		t->component = self;
	}
}

void supervisor_component_fault(uint16_t comp, struct thread *t)
{
	if (comp == 0 || comp >= CAP_COMP_COUNT)
		return;
	spin_lock(&state_lock);
	struct comp_fault *lf = &last_fault[comp];
	lf->count++;
	lf->tid = t->id;
	lf->cause = t->fault_cause;
	lf->pc = t->fault_pc;
	lf->addr = t->fault_addr;
	/* The dead thread's calls in flight will never leave: uncount them. */
	for (unsigned i = 0; i < t->gate_depth; i++)
		inflight[t->gate_stack[i]]--;
	t->gate_depth = 0;
	/* A fault during init or stop is that job's result (run_as sees it);
	 * only a running component is restarted. */
	bool due = state[comp] == COMP_UP;
	if (due) {
		state[comp] = COMP_FAILED;
		last_err[comp] = CAIRN_EFAULT;
		fault_pending |= CAP_BIT(comp);
	}
	spin_unlock(&state_lock);
	(void)waitq_wake_all(&state_wq);
	if (due)
		sem_up(&fault_sem);
}

/* restart_thread: restarts components that faulted, with back-off, at most
 * SUPERVISOR_MAX_RESTARTS times each. */
static void restart_thread(void *arg)
{
	(void)arg;
	for (;;) {
		(void)sem_down(&fault_sem, 0);
		spin_lock(&state_lock);
		uint32_t due = fault_pending;
		fault_pending = 0;
		spin_unlock(&state_lock);
		for (unsigned c = 1; c < CAP_COMP_COUNT; c++) {
			if (!(due & CAP_BIT(c)))
				continue;
			uint64_t now = time_us();
			if (now - window_start[c] > FAULT_WINDOW_US) {
				window_start[c] = now;
				faults[c] = 0;
			}
			if (faults[c] >= SUPERVISOR_MAX_RESTARTS) {
				kprintf("cairn: component %s gave up after %u faults\n",
					cap_comp_name(c), faults[c] + 1u);
				continue;
			}
			sched_sleep_us((uint64_t)BACKOFF_BASE_US << faults[c]);
			faults[c]++;
			mutex_lock(&sup_lock);
			int err = restart_locked(c);
			mutex_unlock(&sup_lock);
			if (err)
				kprintf("cairn: component %s restart failed err=%d\n",
					cap_comp_name(c), err);
		}
	}
}
