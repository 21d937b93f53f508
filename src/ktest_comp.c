/* The selftest component and the selftests that need a component identity:
 * run-time capability denial with its audit record, component restart, and
 * (through ktest_blk) disk claims under the capability table. They run in a
 * thread owned by the selftest component, created by the kernel's init thread. */
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cap.h"
#include "ktest.h"
#if CAIRN_HAVE_VIRTIO_BLK
#include "virtio_blk.h"
#endif
#ifdef CAP_ENABLED_FAULTTEST
#include "faulttest.h"
#endif

/* The selftest component keeps no state of its own: its tests run in threads
 * the kernel starts for it, so there is nothing to init or release. */
const struct component_desc component_selftest = {
	.name = "selftest",
};

/* find_denial: whether the audit ring holds, at or after seq, a denial of kind
 * by caller of callee's op. */
static bool find_denial(uint64_t seq, int kind, uint16_t caller, uint16_t callee, const char *op)
{
	struct audit_rec r[8];
	size_t n = audit_read(seq, r, 8, NULL);
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind == kind && r[i].caller == caller && r[i].callee == callee &&
		    strcmp(r[i].op, op) == 0)
			return true;
	}
	return false;
}

struct as_job {
	int (*fn)(void);
	int rc;
};

/* as_run: thread body for ktest_as. */
static void as_run(void *arg)
{
	struct as_job *j = arg;
	j->rc = j->fn();
}

/* ktest_as: run fn in a new thread owned by comp (the kernel may start threads
 * for any component); fn's result, or the thread's exit code if it died. */
static int ktest_as(unsigned comp, const char *name, int (*fn)(void))
{
	struct as_job j = { fn, 0 };
	struct thread *t;
	int err = thread_create(&t, name, (uint16_t)comp, as_run, &j, false);
	if (err)
		return err;
	int code = thread_join(t);
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
	int rc = ktest_as(CAP_COMP_CRYPTO, "forbidden", forbidden_call);
	bool audited = find_denial(seq, AUDIT_CAP_DENIED, CAP_COMP_CRYPTO, CAP_COMP_FAULTTEST, "call");
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
 * including test_forbidden_call's (passed in through ktest_forbidden). */
static int ktest_forbidden; /* failures of test_forbidden_call */

static int test_cap_denial(void)
{
	int failed = ktest_forbidden;
	if (thread_create(NULL, "impostor", 0, as_run, NULL, true) != CAIRN_EPERM) {
		kprintf("ktest: cap denial FAILED: a component created a kernel thread\n");
		failed++;
	}
#if CAIRN_HAVE_VIRTIO_BLK && defined(CAP_ENABLED_STATEFS)
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

/* selftest_main: the component-level selftests, as the selftest component. */
static int selftest_main(void)
{
	int failed = test_cap_denial();
#ifdef CAP_ENABLED_FAULTTEST
	failed += test_restart();
#endif
#if CAIRN_HAVE_VIRTIO_BLK
	failed += ktest_blk();
#endif
#ifdef CAP_ENABLED_PACKAGEFS
	failed += ktest_pkgfs();
#endif
	return failed;
}

int ktest_components(void)
{
	if (supervisor_state(CAP_COMP_SELFTEST) != COMP_UP) {
		kprintf("ktest: selftest component is not up\n");
		return 1;
	}
	ktest_forbidden = test_forbidden_call();
	int extra = 0;
#ifdef CAP_ENABLED_PACKAGEFS
	extra += ktest_pkgfs_denied();
#endif
	int rc = ktest_as(CAP_COMP_SELFTEST, "selftest", selftest_main);
	return (rc < 0 ? 1 : rc) + extra;
}
