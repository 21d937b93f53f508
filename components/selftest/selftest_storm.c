/* The restart-storm smoke (boot word "faultstorm", docs/limits.md): two
 * components fault again and again at the same time. faulttest's worker takes
 * a null load on request; a thread in the shell's identity (the run_as
 * privilege) takes one as the shell. The supervisor's restart thread must
 * bring each back with back-off, SUPERVISOR_MAX_RESTARTS times, and then give
 * up on both, while everything else keeps serving: a bystander's granted calls
 * (packagefs info) complete throughout, every hart keeps taking ticks, and the
 * whole storm ends within a bound. It runs in a boot of its own, so both
 * components start with no faults counted in their window. */
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/timer.h"
#include "faulttest.h"
#include "packagefs_svc.h"
#include "selftest.h"

#define STORM_ROUNDS (SUPERVISOR_MAX_RESTARTS + 1u) /* the last one is given up on */
#define STORM_UP_US 3000000u			    /* each comes back within 3 s */
#define STORM_GIVEUP_US 1500000u /* and after the last fault stays down this long */
#define STORM_BOUND_MS 15000u	 /* the whole storm */
#define STORM_HARTS 8u
/* The supervisor's first back-off (BACKOFF_BASE_US in src/sys/supervisor.c),
 * doubled per restart: a round's restart never comes sooner. */
#define STORM_BACKOFF_US 50000u
_Static_assert(SUPERVISOR_MAX_RESTARTS == 3, "the marker prints three back-off times");

static volatile bool storm_go, storm_over;

/* ft_fault: thread body: once told, ask faulttest's worker for a null load. */
static void ft_fault(void *arg)
{
	while (!storm_go)
		sched_sleep_us(500);
	*(int *)arg = faulttest_call(FAULTTEST_NULL_DEREF, NULL, 2000000);
}

/* shell_fault: thread body in the shell's identity: once told, a null load. */
static void shell_fault(void *arg)
{
	(void)arg;
	while (!storm_go)
		sched_sleep_us(500);
	(void)*(volatile uint64_t *)(uintptr_t)0;
}

struct bystander {
	unsigned ok, failed;
	int last_err;
};

/* bystander: granted calls (packagefs info) every 2 ms until the storm is over. */
static void bystander(void *arg)
{
	struct bystander *b = arg;
	while (!storm_over) {
		struct pkgfs_svc_info info;
		int rc = pkgfs_svc_info(&info);
		if (rc == 0) {
			b->ok++;
		} else {
			b->failed++;
			b->last_err = rc;
		}
		sched_sleep_us(2000);
	}
}

/* storm_round: fault both components at once; 0 when faulttest's call ended
 * with ESHUTDOWN and the shell's thread died of the fault. */
static int storm_round(void)
{
	struct thread *a = NULL, *b = NULL;
	int rc_a = 1;
	storm_go = false;
	int err = thread_create(&a, "storm-ft", CAP_COMP_SELFTEST, ft_fault, &rc_a, false);
	if (!err)
		err = thread_create(&b, "storm-shell", CAP_COMP_SHELL, shell_fault, NULL, false);
	storm_go = true;
	int exit_a = a ? thread_join(a) : err;
	int exit_b = b ? thread_join(b) : err;
	if (err || exit_a != 0 || rc_a != CAIRN_ESHUTDOWN || exit_b != CAIRN_EFAULT) {
		kprintf("ktest: fault storm FAILED: create=%s faulttest call=%s shell thread=%s\n",
			cairn_strerror(err), cairn_strerror(rc_a), cairn_strerror(exit_b));
		return 1;
	}
	return 0;
}

/* both_back: wait until faulttest and the shell are up past gen[]. */
static int both_back(const uint32_t gen[2], uint64_t timeout_us)
{
	int a = supervisor_wait_up(CAP_COMP_FAULTTEST, gen[0], timeout_us);
	int b = supervisor_wait_up(CAP_COMP_SHELL, gen[1], timeout_us);
	return a ? a : b;
}

/* ticks_of: every hart's tick count into t[]; how many harts. */
static unsigned ticks_of(uint64_t t[STORM_HARTS])
{
	unsigned n = hart_count() < STORM_HARTS ? hart_count() : STORM_HARTS;
	for (unsigned i = 0; i < n; i++)
		t[i] = __atomic_load_n(&hart_get(i)->ticks, __ATOMIC_RELAXED);
	return n;
}

/* storm: the rounds; 0 when both came back after each of the first
 * SUPERVISOR_MAX_RESTARTS, no sooner than the back-off, and stayed failed
 * after the last. back_ms[r]: how long round r took to have both back. */
static int storm(uint64_t back_ms[SUPERVISOR_MAX_RESTARTS])
{
	static const uint16_t comps[2] = { CAP_COMP_FAULTTEST, CAP_COMP_SHELL };
	for (unsigned r = 0; r < STORM_ROUNDS; r++) {
		uint32_t gen[2] = { supervisor_generation(comps[0]),
				    supervisor_generation(comps[1]) };
		uint64_t t0 = time_us();
		if (storm_round())
			return 1;
		bool last = r + 1 == STORM_ROUNDS;
		int back = both_back(gen, last ? STORM_GIVEUP_US : STORM_UP_US);
		uint64_t took = time_us() - t0;
		if (!last)
			back_ms[r] = took / 1000;
		if (!last && !back && took < (uint64_t)STORM_BACKOFF_US << r) {
			kprintf("ktest: fault storm FAILED: round %u: both back after %llu us, "
				"before the back-off\n",
				r, (unsigned long long)took);
			return 1;
		}
		bool failed = supervisor_state(comps[0]) == COMP_FAILED &&
			      supervisor_state(comps[1]) == COMP_FAILED;
		if (last ? back != CAIRN_ETIMEDOUT || !failed : back != 0) {
			kprintf("ktest: fault storm FAILED: round %u: back=%s, states %d %d\n", r,
				cairn_strerror(back), supervisor_state(comps[0]),
				supervisor_state(comps[1]));
			return 1;
		}
	}
	return 0;
}

/* selftest_fault_storm: the storm, the checks, then both restarted by hand and
 * serving again. */
int selftest_fault_storm(void)
{
	struct comp_fault f0[2], f1[2];
	uint32_t g0[2] = { supervisor_generation(CAP_COMP_FAULTTEST),
			   supervisor_generation(CAP_COMP_SHELL) };
	(void)supervisor_last_fault(CAP_COMP_FAULTTEST, &f0[0]);
	(void)supervisor_last_fault(CAP_COMP_SHELL, &f0[1]);
	uint64_t ticks0[STORM_HARTS], ticks1[STORM_HARTS];
	unsigned harts = ticks_of(ticks0);
	struct bystander by = { 0, 0, 0 };
	struct thread *bt = NULL;
	storm_over = false;
	int err = thread_create(&bt, "bystander", CAP_COMP_SELFTEST, bystander, &by, false);
	uint64_t t0 = time_us();
	uint64_t back_ms[SUPERVISOR_MAX_RESTARTS] = { 0 };
	int bad = err ? 1 : storm(back_ms);
	uint64_t ms = (time_us() - t0) / 1000;
	storm_over = true;
	if (bt)
		(void)thread_join(bt);
	(void)ticks_of(ticks1);
	bool ticking = true;
	for (unsigned i = 0; i < harts; i++)
		ticking &= ticks1[i] > ticks0[i] + 2;
	(void)supervisor_last_fault(CAP_COMP_FAULTTEST, &f1[0]);
	(void)supervisor_last_fault(CAP_COMP_SHELL, &f1[1]);
	uint32_t restarts[2] = { supervisor_generation(CAP_COMP_FAULTTEST) - g0[0],
				 supervisor_generation(CAP_COMP_SHELL) - g0[1] };
	unsigned faults[2] = { f1[0].count - f0[0].count, f1[1].count - f0[1].count };
	/* Given up on, both come back only by hand, and serve. */
	int again_ft = supervisor_restart(CAP_COMP_FAULTTEST);
	int again_sh = supervisor_restart(CAP_COMP_SHELL);
	uint32_t gen = 0;
	int ping = again_ft ? again_ft : faulttest_call(FAULTTEST_PING, &gen, 1000000);
	struct pkgfs_svc_info info;
	int granted = pkgfs_svc_info(&info);
	for (unsigned i = 0; i < 2; i++)
		bad += faults[i] != STORM_ROUNDS || restarts[i] != SUPERVISOR_MAX_RESTARTS;
	bad += err != 0 || by.ok == 0 || by.failed != 0 || !ticking || ms > STORM_BOUND_MS;
	bad += again_ft != 0 || again_sh != 0 || ping != 0 || granted != 0 ||
	       supervisor_state(CAP_COMP_SHELL) != COMP_UP;
	if (bad) {
		kprintf("ktest: fault storm FAILED: faults %u+%u restarts %u+%u in %llu ms; "
			"bystander ok=%u failed=%u (%s); ticking=%d; by hand %s/%s ping=%s "
			"call=%s\n",
			faults[0], faults[1], restarts[0], restarts[1], (unsigned long long)ms,
			by.ok, by.failed, cairn_strerror(by.last_err), ticking,
			cairn_strerror(again_ft), cairn_strerror(again_sh), cairn_strerror(ping),
			cairn_strerror(granted));
		return 1;
	}
	kprintf("SELFTEST: fault storm ok comps=faulttest,shell faults=%u+%u restarts=%u+%u "
		"gave_up=2 calls=%u harts=%u back_ms=%llu/%llu/%llu ms=%llu\n",
		faults[0], faults[1], restarts[0], restarts[1], by.ok, harts,
		(unsigned long long)back_ms[0], (unsigned long long)back_ms[1],
		(unsigned long long)back_ms[2], (unsigned long long)ms);
	return 0;
}
