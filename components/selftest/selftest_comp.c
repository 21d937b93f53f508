/* The selftests that need a component identity: run-time capability denial
 * with its audit record, component restart, fault containment, and (through
 * selftest_blk, selftest_statefs, selftest_pkgfs) each component's own tests.
 * They run in a thread owned by the selftest component; the denial tests run
 * threads as crypto (the run_as privilege). */
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/page.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/timer.h"
#include "selftest.h"
#ifdef CAP_ENABLED_VIRTIO_BLK
#include "virtio_blk.h"
#endif
#ifdef CAP_ENABLED_FAULTTEST
#include "faulttest.h"
#endif

unsigned selftest_audited(uint64_t seq, int kind, uint16_t caller, uint16_t callee, const char *op,
			  const char *subject, bool subject_part)
{
	struct audit_rec r[8];
	unsigned found = 0;
	size_t n;
	do {
		n = audit_read(seq, r, 8, NULL);
		for (size_t i = 0; i < n; i++) {
			bool subj = !subject ||
				    (subject_part ? strstr(r[i].subject, subject) != NULL
						  : strcmp(r[i].subject, subject) == 0);
			found += r[i].kind == kind && r[i].caller == caller &&
				 r[i].callee == callee && (!op || strcmp(r[i].op, op) == 0) && subj;
		}
		if (n)
			seq = r[n - 1].seq + 1;
	} while (n == 8);
	return found;
}

/* find_denial: whether the audit ring holds, at or after seq, a denial of kind
 * by caller of callee's op. */
static bool find_denial(uint64_t seq, int kind, uint16_t caller, uint16_t callee, const char *op)
{
	return selftest_audited(seq, kind, caller, callee, op, NULL, false) != 0;
}

struct as_job {
	int (*fn)(void);
	int rc;
};

/* as_run: thread body for selftest_run_as. */
static void as_run(void *arg)
{
	struct as_job *j = arg;
	j->rc = j->fn();
}

int selftest_run_as(unsigned comp, const char *name, int (*fn)(void))
{
	struct as_job j = { fn, 0 };
	int code = thread_run(name, (uint16_t)comp, as_run, &j);
	return code ? code : j.rc;
}

#ifdef CAP_ENABLED_FAULTTEST
/* forbidden_call: as crypto, which the table does not grant faulttest. */
static int forbidden_call(void)
{
	uint32_t gen;
	return faulttest_call(FAULTTEST_PING, &gen, 1000000);
}
#endif

/* test_forbidden_call: (from the kernel) a thread of crypto, which the table
 * does not grant faulttest, calls it: EPERM and an audit record. */
static int test_forbidden_call(void)
{
#if defined(CAP_ENABLED_FAULTTEST) && defined(CAP_ENABLED_CRYPTO)
	uint64_t seq = audit_next_seq();
	int rc = selftest_run_as(CAP_COMP_CRYPTO, "forbidden", forbidden_call);
	bool audited =
		find_denial(seq, AUDIT_CAP_DENIED, CAP_COMP_CRYPTO, CAP_COMP_FAULTTEST, "call");
	if (rc != CAIRN_EPERM || !audited) {
		kprintf("ktest: cap denial FAILED: rc=%s, audit record %s\n", cairn_strerror(rc),
			audited ? "found" : "missing");
		return 1;
	}
#endif
	return 0;
}

/* test_cap_denial: (as selftest) a component cannot pose as another when
 * creating threads, nor claim another component's disk; then the verdict
 * including test_forbidden_call's (passed in through forbidden_failures). */
static int forbidden_failures; /* failures of test_forbidden_call */

static int test_cap_denial(void)
{
	int failed = forbidden_failures;
	if (thread_create(NULL, "impostor", 0, as_run, NULL, true) != CAIRN_EPERM) {
		kprintf("ktest: cap denial FAILED: a component created a kernel thread\n");
		failed++;
	}
#if defined(CAP_ENABLED_VIRTIO_BLK) && defined(CAP_ENABLED_STATEFS)
	/* The state disk belongs to statefs alone. */
	uint64_t seq2 = audit_next_seq();
	struct blkdev *bd;
	int rc = vblk_claim("state", false, &bd);
	if (rc != CAIRN_EPERM && rc != CAIRN_ENOENT) {
		kprintf("ktest: claim of statefs' disk by selftest was not refused (%s)\n",
			cairn_strerror(rc));
		failed++;
	} else if (rc == CAIRN_EPERM && !find_denial(seq2, AUDIT_CAP_DENIED, CAP_COMP_SELFTEST,
						     CAP_COMP_VIRTIO_BLK, "claim")) {
		kprintf("ktest: refused claim of 'state' left no audit record\n");
		failed++;
	}
#endif
	if (!failed)
		kprintf("SELFTEST: cap denial audited ok\n");
	return failed;
}

#ifdef CAP_ENABLED_FAULTTEST
/* test_restart: restart faulttest and check that it serves again, from a new
 * worker (a higher generation). */
static int test_restart(void)
{
	uint32_t before = 0, after = 0;
	int rc = faulttest_call(FAULTTEST_PING, &before, 1000000);
	if (!rc)
		rc = supervisor_restart(CAP_COMP_FAULTTEST);
	if (!rc)
		rc = faulttest_call(FAULTTEST_PING, &after, 1000000);
	if (rc || after <= before) {
		kprintf("ktest: component restart FAILED: %s gen %u -> %u\n", cairn_strerror(rc),
			before, after);
		return 1;
	}
	kprintf("SELFTEST: component restart ok (faulttest gen %u -> %u)\n", before, after);
	return 0;
}
#endif

/* fault_one: have faulttest's worker take fault kind; the call must end with
 * ESHUTDOWN, the supervisor must record the fault with cause, and faulttest
 * must come back (a higher generation) and serve a ping. */
static int fault_one(const char *what, enum faulttest_kind kind, uint64_t cause)
{
	struct comp_fault before, after;
	uint32_t gen0 = supervisor_generation(CAP_COMP_FAULTTEST), gen1 = 0;
	(void)supervisor_last_fault(CAP_COMP_FAULTTEST, &before);
	int rc = faulttest_call(kind, NULL, 2000000);
	(void)supervisor_last_fault(CAP_COMP_FAULTTEST, &after);
	int up = supervisor_wait_up(CAP_COMP_FAULTTEST, gen0, 3000000);
	int ping = up ? up : faulttest_call(FAULTTEST_PING, &gen1, 1000000);
	bool addr_ok = kind != FAULTTEST_NULL_DEREF || after.addr < 4096;
	if (kind == FAULTTEST_WRITE_TEXT)
		addr_ok = after.addr == (uintptr_t)&faulttest_text_target;
	if (rc != CAIRN_ESHUTDOWN || after.count != before.count + 1 || after.cause != cause ||
	    !addr_ok || ping || gen1 <= gen0) {
		kprintf("ktest: fault %s FAILED: call=%s faults %u->%u cause=%llu/%llu addr=0x%llx "
			"ping=%s gen %u->%u\n",
			what, cairn_strerror(rc), before.count, after.count,
			(unsigned long long)after.cause, (unsigned long long)cause,
			(unsigned long long)after.addr, cairn_strerror(ping), gen0, gen1);
		return 1;
	}
	kprintf("ktest: fault %s contained (cause %llu), faulttest back (gen %u -> %u)\n", what,
		(unsigned long long)cause, gen0, gen1);
	return 0;
}

/* test_fault_contained: a null dereference, a stack overflow into the guard
 * page and a write to text in a component's thread are each contained and the
 * component restarted; a fourth fault inside the restart window exceeds the
 * bound and the supervisor gives up (faulttest stays failed) until restarted by
 * hand. Every stack page is back in the pool afterwards. */
static int test_fault_contained(void)
{
	size_t free_before = page_free_count();
	int bad = fault_one("null-deref", FAULTTEST_NULL_DEREF, 13);
	bad += fault_one("stack-overflow", FAULTTEST_STACK_OVERFLOW, 15);
	bad += fault_one("text-write", FAULTTEST_WRITE_TEXT, 15);
	if (!bad) {
		uint32_t gen0 = supervisor_generation(CAP_COMP_FAULTTEST), gen1 = 0;
		int rc = faulttest_call(FAULTTEST_NULL_DEREF, NULL, 2000000);
		bool gave_up = rc == CAIRN_ESHUTDOWN &&
			       supervisor_wait_up(CAP_COMP_FAULTTEST, gen0, 1500000) ==
				       CAIRN_ETIMEDOUT &&
			       supervisor_state(CAP_COMP_FAULTTEST) == COMP_FAILED;
		int again = supervisor_restart(CAP_COMP_FAULTTEST);
		int ping = again ? again : faulttest_call(FAULTTEST_PING, &gen1, 1000000);
		if (!gave_up || ping || gen1 <= gen0) {
			kprintf("ktest: fault bound FAILED: gave_up=%d restart=%s ping=%s\n",
				gave_up, cairn_strerror(again), cairn_strerror(ping));
			bad++;
		}
	}
	size_t free_after = page_free_count();
	if (free_after != free_before) {
		kprintf("ktest: fault FAILED: free pages %zu before, %zu after\n", free_before,
			free_after);
		bad++;
	}
	if (bad)
		return 1;
	kprintf("SELFTEST: fault contained ok\n");
	return 0;
}

#ifdef CAP_ENABLED_FAULTTEST
/* locked_caller: thread body: a faulttest call that faults holding its mutex. */
static void locked_caller(void *arg)
{
	*(int *)arg = faulttest_call(FAULTTEST_FAULT_LOCKED, NULL, 2000000);
}

/* waiting_caller: thread body: a ping that has to wait for the mutex. */
static void waiting_caller(void *arg)
{
	*(int *)arg = faulttest_call(FAULTTEST_PING, NULL, 2000000);
}

/* test_fault_locked: a component thread that faults while it holds the
 * component's mutex does not hang the machinery: a caller waiting for that
 * mutex gets CAIRN_ESHUTDOWN, a restart (by hand: the restart budget is spent
 * by test_fault_contained) completes within its bound with the lock made anew,
 * and faulttest serves again. Before robust mutexes the waiter and the restart
 * blocked forever. */
static int test_fault_locked(void)
{
	struct thread *a = NULL, *b = NULL;
	int rc_a = 1, rc_b = 1;
	uint32_t gen0 = supervisor_generation(CAP_COMP_FAULTTEST), gen1 = 0;
	int err = thread_create(&a, "ft-locked", CAP_COMP_SELFTEST, locked_caller, &rc_a, false);
	if (!err) {
		/* a sleeps only while it holds the mutex (the 400 ms before its fault):
		 * start the waiter once it does, even on a host that starves vCPUs. */
		for (unsigned i = 0;
		     i < 1000 && __atomic_load_n(&a->state, __ATOMIC_RELAXED) != T_SLEEPING; i++)
			sched_sleep_us(1000);
		err = thread_create(&b, "ft-waiter", CAP_COMP_SELFTEST, waiting_caller, &rc_b,
				    false);
	}
	int exit_a = a ? thread_join(a) : err;
	int exit_b = b ? thread_join(b) : err;
	uint64_t t0 = time_us();
	int again = supervisor_restart(CAP_COMP_FAULTTEST);
	uint64_t took = time_us() - t0;
	int ping = again ? again : faulttest_call(FAULTTEST_PING, &gen1, 1000000);
	if (err || exit_a != CAIRN_EFAULT || exit_b != 0 || rc_b != CAIRN_ESHUTDOWN || again ||
	    ping || gen1 <= gen0) {
		kprintf("ktest: fault with lock held FAILED: create=%s faulting thread exit=%s "
			"waiter exit=%s call=%s restart=%s (%llu us) ping=%s gen %u->%u\n",
			cairn_strerror(err), cairn_strerror(exit_a), cairn_strerror(exit_b),
			cairn_strerror(rc_b), cairn_strerror(again), (unsigned long long)took,
			cairn_strerror(ping), gen0, gen1);
		return 1;
	}
	kprintf("SELFTEST: fault with lock held recovered ok (restart %llu us)\n",
		(unsigned long long)took);
	return 0;
}
#endif

/* selftest_main: the component-level selftests, as the selftest component. */
static int selftest_main(void)
{
	int failed = 0;
#ifdef CAP_ENABLED_KEYSTORE
	/* First: it reads keystore's boot records from the 64-entry audit ring,
	 * which the statefs tests below fill with their denials. */
	failed += selftest_keystore();
#endif
	failed += test_cap_denial();
#ifdef CAP_ENABLED_FAULTTEST
	failed += test_restart();
	failed += test_fault_contained();
	failed += test_fault_locked();
	failed += selftest_limits();
#endif
#ifdef CAP_ENABLED_VIRTIO_BLK
	failed += selftest_blk();
#endif
#ifdef CAP_ENABLED_STATEFS
	failed += selftest_statefs();
#endif
#ifdef CAP_ENABLED_PACKAGEFS
	failed += selftest_pkgfs();
#endif
#ifdef CAP_ENABLED_BOOTCTL
	failed += selftest_bootctl();
#endif
	return failed;
}

int selftest_components(void)
{
	if (supervisor_state(CAP_COMP_SELFTEST) != COMP_UP) {
		kprintf("ktest: selftest component is not up\n");
		return 1;
	}
	forbidden_failures = test_forbidden_call();
	int extra = 0;
#ifdef CAP_ENABLED_PACKAGEFS
	extra += selftest_pkgfs_denied();
#endif
	int rc = selftest_run_as(CAP_COMP_SELFTEST, "selftest", selftest_main);
#ifdef CAP_ENABLED_STATEFS
	extra += selftest_gate();
#endif
	return (rc < 0 ? 1 : rc) + extra;
}
