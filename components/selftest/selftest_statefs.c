/* statefs selftests, run as the selftest component (selftest_comp.c):
 *   put+sync+get; per-key policy (denied keys: error code AND audit record);
 *   concurrent put/sync/get from several threads on different harts; persistence
 *   across a statefs restart (re-open and replay) and, with "stateseed=<n>",
 *   across reboots (boot 1 writes, boot 2 with "stateverify" reads back).
 * "statefsbench" runs the benchmark (selftest_bench_statefs.c) instead.
 * "statefsnotest" skips them (boots that must leave the boot counter as the
 * journal's last record); "statefsquota" runs only the prefix quota smoke and
 * "statefsfull" only the ENOSPC smoke (selftest_statefs_limits.c). Without a
 * state disk statefs is not up: they skip. */
#include <stdio.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/timer.h"
#include "selftest.h"
#include "statefs_svc.h"

#define CONC_THREADS_MIN 4u
#define CONC_ITERS 24u
#define CONC_KEYS 4u /* distinct keys per thread, rewritten in turn */
#define CONC_VAL_MAX 300u

/* find_sfs_denial: the audit ring holds, at or after seq, a statefs denial of
 * selftest's op on key. */
static bool find_sfs_denial(uint64_t seq, const char *op, const char *key)
{
	return selftest_audited(seq, AUDIT_ACCESS_DENIED, CAP_COMP_SELFTEST, CAP_COMP_STATEFS, op,
				key, false) != 0;
}

/* put_sync_get: put value, sync, read it back; 0 when it matches. */
static int put_sync_get(const char *key, const void *val, size_t len)
{
	char buf[CONC_VAL_MAX + 64];
	int rc = statefs_svc_put(key, val, len);
	if (!rc)
		rc = statefs_svc_sync();
	if (!rc) {
		rc = statefs_svc_get(key, buf, sizeof(buf));
		if (rc >= 0)
			rc = ((size_t)rc == len && memcmp(buf, val, len) == 0) ? 0 : CAIRN_EBADMSG;
	}
	return rc;
}

/* test_put: put+sync+get and list. */
static int test_put(void)
{
	char val[64];
	int len = snprintf(val, sizeof(val), "put-%llu", (unsigned long long)time_us());
	int rc = put_sync_get("/state/selftest/put", val, (size_t)len);
	/* Walk the whole prefix with the cursor, a few keys at a time. */
	static struct statefs_dirent d[4];
	static char after[STATEFS_KEY_MAX + 1];
	bool listed = false;
	int n = 0;
	after[0] = 0;
	do {
		n = rc ? 0 : statefs_svc_list("/state/selftest/", after, d, 4);
		for (int i = 0; i < n; i++)
			listed = listed || (strcmp(d[i].key, "/state/selftest/put") == 0 &&
					    d[i].value_len == (uint32_t)len);
		if (n > 0)
			memcpy(after, d[n - 1].key, sizeof(after));
	} while (n == 4);
	if (rc || n < 0 || !listed) {
		kprintf("ktest: statefs put FAILED: %s, list %d %s\n", cairn_strerror(rc), n,
			listed ? "found" : "missing");
		return 1;
	}
	kprintf("SELFTEST: statefs put ok\n");
	return 0;
}

/* denied: op on key must fail with CAIRN_EACCES and leave an audit record. */
static int denied(const char *op, const char *key)
{
	uint64_t seq = audit_next_seq();
	char buf[16];
	struct statefs_dirent d[1];
	int rc;
	if (strcmp(op, "put") == 0)
		rc = statefs_svc_put(key, "x", 1);
	else if (strcmp(op, "delete") == 0)
		rc = statefs_svc_delete(key);
	else if (strcmp(op, "list") == 0)
		rc = statefs_svc_list(key, NULL, d, 1);
	else
		rc = statefs_svc_get(key, buf, sizeof(buf));
	bool audited = find_sfs_denial(seq, op, key);
	if (rc != CAIRN_EACCES || !audited) {
		kprintf("ktest: statefs %s %s not rejected: %s, audit record %s (FAILED)\n", op,
			key, cairn_strerror(rc), audited ? "found" : "missing");
		return 1;
	}
	return 0;
}

/* test_unauthorized: selftest holds no rights on /state/keystore/, only r and l
 * on /state/boot/, none on keys outside every prefix. */
static int test_unauthorized(void)
{
	int failed = denied("get", "/state/keystore/device_key");
	failed += denied("put", "/state/keystore/device_key");
	failed += denied("list", "/state/keystore/");
	failed += denied("put", "/state/boot/slot");
	failed += denied("delete", "/state/boot/slot");
	failed += denied("put", "/state/nobody/key");
	failed += denied("put", "/state/statefs/boot_count");
	/* Allowed reads still work: r on /state/boot/ (absent key), rl on selftest. */
	char buf[8];
	int rc = statefs_svc_get("/state/boot/slot", buf, sizeof(buf));
	if (rc != CAIRN_ENOENT) {
		kprintf("ktest: statefs read of /state/boot/slot: %s, want ENOENT (FAILED)\n",
			cairn_strerror(rc));
		failed++;
	}
	if (!failed)
		kprintf("SELFTEST: statefs unauthorized access rejected\n");
	return failed;
}

/* Harts any concurrency worker ran on (bit = hart index), and how many harts
 * the test wants covered: a worker goes on past CONC_ITERS (up to
 * CONC_ITERS_MAX) until they are, so a briefly starved vCPU on a loaded host
 * does not fail the test. Relaxed atomics: a hint for when to stop. */
static uint64_t conc_seen;
static unsigned conc_want;

#define CONC_ITERS_MAX (CONC_ITERS * 16u)

struct conc_job {
	unsigned id;
	unsigned iters; /* iterations done */
	int rc;
	uint64_t harts; /* bit i: ran on hart index i */
	uint32_t last_len[CONC_KEYS];
	uint32_t last_iter[CONC_KEYS];
};

/* conc_value: the deterministic value of thread id's iteration it. */
static size_t conc_value(unsigned id, unsigned it, uint8_t *out)
{
	size_t len = 1 + (id * 97u + it * 31u) % CONC_VAL_MAX;
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(id * 13u + it * 7u + i);
	return len;
}

/* conc_key: the key of thread id's k-th slot. */
static void conc_key(unsigned id, unsigned k, char *key, size_t size)
{
	(void)snprintf(key, size, "/state/selftest/conc/t%u/k%u", id, k);
}

/* conc_worker: put+sync+get distinct keys in a loop, noting the harts it ran on. */
static void conc_worker(void *arg)
{
	struct conc_job *j = arg;
	uint8_t val[CONC_VAL_MAX];
	char key[64];
	for (unsigned it = 0; !j->rc && it < CONC_ITERS_MAX; it++) {
		if (it >= CONC_ITERS &&
		    (unsigned)__builtin_popcountll(__atomic_load_n(&conc_seen, __ATOMIC_RELAXED)) >=
			    conc_want)
			break;
		j->harts |= UINT64_C(1) << hart_self()->index;
		unsigned k = it % CONC_KEYS;
		conc_key(j->id, k, key, sizeof(key));
		size_t len = conc_value(j->id, it, val);
		j->rc = put_sync_get(key, val, len);
		j->last_len[k] = (uint32_t)len;
		j->last_iter[k] = it;
		j->iters = it + 1;
		j->harts |= UINT64_C(1) << hart_self()->index;
		__atomic_fetch_or(&conc_seen, j->harts, __ATOMIC_RELAXED);
		sched_yield();
	}
}

/* test_concurrent: max(4, harts) threads at once; afterwards every key holds
 * exactly its thread's last value. */
static int test_concurrent(void)
{
	unsigned nh = hart_count();
	unsigned nt = nh > CONC_THREADS_MIN ? nh : CONC_THREADS_MIN;
	static struct conc_job jobs[8];
	struct thread *t[8];
	if (nt > 8)
		nt = 8;
	unsigned started = 0, ops = 0;
	int failed = 0;
	memset(jobs, 0, sizeof(jobs));
	conc_seen = 0;
	conc_want = nh < CONC_THREADS_MIN ? nh : CONC_THREADS_MIN;
	for (unsigned i = 0; i < nt; i++) {
		jobs[i].id = i;
		if (thread_create(&t[i], "sfs-conc", CAP_COMP_SELFTEST, conc_worker, &jobs[i],
				  false) != 0) {
			failed++;
			break;
		}
		started++;
	}
	uint64_t harts = 0;
	for (unsigned i = 0; i < started; i++) {
		if (thread_join(t[i]) != 0 || jobs[i].rc)
			failed++;
		harts |= jobs[i].harts;
		ops += jobs[i].iters;
	}
	uint8_t want[CONC_VAL_MAX], got[CONC_VAL_MAX];
	char key[64];
	for (unsigned i = 0; i < started && !failed; i++) {
		for (unsigned k = 0; k < CONC_KEYS; k++) {
			conc_key(i, k, key, sizeof(key));
			size_t len = conc_value(i, jobs[i].last_iter[k], want);
			int rc = statefs_svc_get(key, got, sizeof(got));
			if (rc < 0 || (size_t)rc != len || memcmp(got, want, len) != 0)
				failed++;
		}
	}
	unsigned nharts = (unsigned)__builtin_popcountll(harts);
	if (failed || started != nt || nharts < conc_want) {
		kprintf("ktest: statefs concurrent FAILED: threads=%u/%u harts=%u errors=%d\n",
			started, nt, nharts, failed);
		for (unsigned i = 0; i < started; i++)
			if (jobs[i].rc)
				kprintf("ktest:   thread %u: %s\n", i, cairn_strerror(jobs[i].rc));
		return 1;
	}
	kprintf("SELFTEST: statefs concurrent ok threads=%u harts=%u ops=%u\n", nt, nharts, ops);
	return 0;
}

/* test_restart_persist: write and sync, restart statefs (unmount, release,
 * re-claim, re-mount, replay), then read the value back. */
static int test_restart_persist(void)
{
	char val[64];
	int len = snprintf(val, sizeof(val), "persist-%llu", (unsigned long long)time_us());
	const char *key = "/state/selftest/persist";
	uint32_t gen = supervisor_generation(CAP_COMP_STATEFS);
	int rc = put_sync_get(key, val, (size_t)len);
	if (!rc)
		rc = supervisor_restart(CAP_COMP_STATEFS);
	char buf[64];
	int n = rc ? rc : statefs_svc_get(key, buf, sizeof(buf));
	uint32_t gen2 = supervisor_generation(CAP_COMP_STATEFS);
	if (n != len || memcmp(buf, val, (size_t)len) != 0 || gen2 <= gen) {
		kprintf("ktest: statefs persist FAILED: %s (gen %u -> %u)\n",
			n < 0 ? cairn_strerror(n) : "value differs", gen, gen2);
		return 1;
	}
	kprintf("SELFTEST: statefs persist ok (gen %u -> %u)\n", gen, gen2);
	return 0;
}

#define LOAD_ITERS 60u
#define LOAD_RETRY_US 1000u
#define LOAD_DEADLINE_US 20000000u

struct load_job {
	unsigned id;
	int rc;
	unsigned eagain; /* calls refused while statefs was restarting */
	unsigned last;	 /* last iteration whose put+sync+get succeeded */
};

/* load_step: one put+sync+get of thread j's key for iteration it; 0 when the
 * value read back is the one written. */
static int load_step(struct load_job *j, unsigned it)
{
	char key[48], val[32], buf[32];
	(void)snprintf(key, sizeof(key), "/state/selftest/load/t%u", j->id);
	int len = snprintf(val, sizeof(val), "t%u-it%u", j->id, it);
	int rc = statefs_svc_put(key, val, (size_t)len);
	if (!rc)
		rc = statefs_svc_sync();
	if (!rc) {
		rc = statefs_svc_get(key, buf, sizeof(buf));
		if (rc >= 0)
			rc = (rc == len && memcmp(buf, val, (size_t)len) == 0) ? 0 : CAIRN_EBADMSG;
	}
	return rc;
}

/* load_worker: put+sync+get its key in a loop while statefs restarts under it;
 * a refused call (EAGAIN) is retried, anything else is an error. */
static void load_worker(void *arg)
{
	struct load_job *j = arg;
	uint64_t deadline = time_us() + LOAD_DEADLINE_US;
	for (unsigned it = 1; it <= LOAD_ITERS && !j->rc; it++) {
		int rc;
		while ((rc = load_step(j, it)) == CAIRN_EAGAIN && time_us() < deadline) {
			j->eagain++;
			sched_sleep_us(LOAD_RETRY_US);
		}
		if (rc)
			j->rc = rc;
		else
			j->last = it;
	}
}

/* test_restart_under_load: four threads keep writing while statefs is
 * restarted twice; no call fails except with EAGAIN during the restart, and
 * every thread's last value reads back afterwards. */
static int test_restart_under_load(void)
{
	static struct load_job jobs[4];
	struct thread *t[4];
	unsigned started = 0;
	int failed = 0, rrc = 0;
	memset(jobs, 0, sizeof(jobs));
	for (unsigned i = 0; i < 4; i++) {
		jobs[i].id = i;
		if (thread_create(&t[i], "sfs-load", CAP_COMP_SELFTEST, load_worker, &jobs[i],
				  false) != 0) {
			failed++;
			break;
		}
		started++;
	}
	for (unsigned r = 0; r < 2 && !rrc; r++) {
		sched_sleep_us(20000);
		rrc = supervisor_restart(CAP_COMP_STATEFS);
	}
	unsigned eagain = 0;
	for (unsigned i = 0; i < started; i++) {
		if (thread_join(t[i]) != 0 || jobs[i].rc || jobs[i].last != LOAD_ITERS)
			failed++;
		eagain += jobs[i].eagain;
	}
	for (unsigned i = 0; i < started && !failed; i++) {
		char key[48], want[32], got[32];
		(void)snprintf(key, sizeof(key), "/state/selftest/load/t%u", i);
		int len = snprintf(want, sizeof(want), "t%u-it%u", i, LOAD_ITERS);
		int n = statefs_svc_get(key, got, sizeof(got));
		if (n != len || memcmp(got, want, (size_t)len) != 0)
			failed++;
	}
	if (failed || rrc) {
		kprintf("ktest: statefs restart under load FAILED: restart %s, errors=%d\n",
			cairn_strerror(rrc), failed);
		for (unsigned i = 0; i < started; i++)
			kprintf("ktest:   thread %u: %s last=%u\n", i, cairn_strerror(jobs[i].rc),
				jobs[i].last);
		return 1;
	}
	kprintf("SELFTEST: statefs restart under load ok threads=4 restarts=2 eagain=%u\n", eagain);
	return 0;
}

/* test_reboot: with stateseed=<n>, write "seed=<n>" (first boot) or, with
 * stateverify, read it back (second boot on the same disk). */
static int test_reboot(void)
{
	uint64_t seed;
	if (dt_bootargs_u64(platform.bootargs, "stateseed", &seed) != 0)
		return 0;
	char val[40], buf[40];
	int len = snprintf(val, sizeof(val), "seed=%llu", (unsigned long long)seed);
	const char *key = "/state/selftest/reboot";
	if (!dt_bootargs_has(platform.bootargs, "stateverify")) {
		int rc = statefs_svc_put(key, val, (size_t)len);
		if (!rc)
			rc = statefs_svc_sync();
		if (rc) {
			kprintf("ktest: statefs reboot seed write FAILED: %s\n",
				cairn_strerror(rc));
			return 1;
		}
		kprintf("SELFTEST: statefs reboot seed written\n");
		return 0;
	}
	int n = statefs_svc_get(key, buf, sizeof(buf));
	if (n != len || memcmp(buf, val, (size_t)len) != 0) {
		kprintf("ktest: statefs reboot persist FAILED: %s\n",
			n < 0 ? cairn_strerror(n) : "value differs");
		return 1;
	}
	kprintf("SELFTEST: statefs reboot persist ok\n");
	return 0;
}

#define BATCH_BAD ((void *)(uintptr_t)0x40) /* in the unmapped page at 0 */

/* batch_holds: key reads back as val (or is absent when val is NULL). */
static bool batch_holds(const char *key, const char *val)
{
	char buf[16];
	int n = statefs_svc_get(key, buf, sizeof(buf));
	if (!val)
		return n == CAIRN_ENOENT;
	return n == (int)strlen(val) && memcmp(buf, val, (size_t)n) == 0;
}

/* test_batch: statefs_svc_batch applies puts and a delete together; a batch
 * naming one key outside the caller's grant, a bad count, an unknown type, an
 * unmapped op array, key or value are refused whole (nothing applied) and the
 * denial and the bad addresses are audited. */
static int test_batch(void)
{
	static const char a[] = "/state/selftest/batch/a", b[] = "/state/selftest/batch/b";
	struct statefs_op ops[3] = {
		{ .type = STATEFS_OP_PUT, .key = a, .value = "one", .value_len = 3 },
		{ .type = STATEFS_OP_PUT, .key = b, .value = "two", .value_len = 3 },
	};
	int rc = statefs_svc_batch(ops, 2);
	bool ok = rc == 0 && batch_holds(a, "one") && batch_holds(b, "two");
	ops[0] = (struct statefs_op){
		.type = STATEFS_OP_PUT, .key = a, .value = "new", .value_len = 3
	};
	ops[1] = (struct statefs_op){ .type = STATEFS_OP_DELETE, .key = b };
	ops[2] = (struct statefs_op){
		.type = STATEFS_OP_PUT, .key = "/state/statefs/batchx", .value = "x", .value_len = 1
	};
	uint64_t seq = audit_next_seq();
	int denied = statefs_svc_batch(ops, 3);
	unsigned denials = selftest_audited(seq, AUDIT_ACCESS_DENIED, CAP_COMP_SELFTEST,
					    CAP_COMP_STATEFS, "batch", "/state/statefs/batchx",
					    false);
	ok = ok && denied == CAIRN_EACCES && denials == 1 && batch_holds(a, "one") &&
	     batch_holds(b, "two");
	int zero = statefs_svc_batch(ops, 0),
	    many = statefs_svc_batch(ops, STATEFS_SVC_BATCH_MAX + 1);
	ops[2] = (struct statefs_op){ .type = 7, .key = a };
	int type = statefs_svc_batch(ops, 3);
	seq = audit_next_seq();
	int fault_ops = statefs_svc_batch(BATCH_BAD, 1);
	ops[2] = (struct statefs_op){ .type = STATEFS_OP_PUT, .key = BATCH_BAD };
	int fault_key = statefs_svc_batch(ops, 3);
	ops[2] = (struct statefs_op){
		.type = STATEFS_OP_PUT, .key = a, .value = BATCH_BAD, .value_len = 8
	};
	int fault_val = statefs_svc_batch(ops, 3);
	unsigned faults = selftest_audited(seq, AUDIT_BAD_ADDR, CAP_COMP_SELFTEST, CAP_COMP_STATEFS,
					   NULL, NULL, false);
	ok = ok && zero == CAIRN_EINVAL && many == CAIRN_EINVAL && type == CAIRN_EINVAL &&
	     fault_ops == CAIRN_EFAULT && fault_key == CAIRN_EFAULT && fault_val == CAIRN_EFAULT &&
	     faults == 3 && batch_holds(a, "one") && batch_holds(b, "two");
	ops[2] = (struct statefs_op){
		.type = STATEFS_OP_PUT, .key = a, .value = "last", .value_len = 4
	};
	/* Two ops on one key: the later one wins, the delete of b applies with it. */
	ok = ok && statefs_svc_batch(ops, 3) == 0 && batch_holds(a, "last") &&
	     batch_holds(b, NULL) && statefs_svc_delete(a) == 0 && statefs_svc_sync() == 0;
	if (!ok) {
		kprintf("ktest: statefs batch FAILED: rc=%d denied=%d (%u audited) zero=%d "
			"many=%d type=%d faults=%d/%d/%d (%u audited)\n",
			rc, denied, denials, zero, many, type, fault_ops, fault_key, fault_val,
			faults);
		return 1;
	}
	kprintf("SELFTEST: statefs batch ok\n");
	return 0;
}

/* selftest_statefs: every statefs selftest as the selftest component; failures. */
int selftest_statefs(void)
{
	if (supervisor_state(CAP_COMP_STATEFS) != COMP_UP) {
		/* A restart of a component whose init failed runs init again (and no
		 * stop: it holds nothing) and reports the same failure. */
		int rc = supervisor_restart(CAP_COMP_STATEFS);
		if (rc != CAIRN_ESHUTDOWN || supervisor_state(CAP_COMP_STATEFS) != COMP_FAILED) {
			kprintf("ktest: restart of failed statefs FAILED: %s\n",
				cairn_strerror(rc));
			return 1;
		}
		kprintf("SELFTEST: statefs skipped (statefs not up)\n");
		return 0;
	}
	if (dt_bootargs_has(platform.bootargs, "statefsbench"))
		return selftest_bench_statefs();
	if (dt_bootargs_has(platform.bootargs, "statefsnotest")) {
		kprintf("SELFTEST: statefs tests skipped (statefsnotest)\n");
		return 0;
	}
	if (dt_bootargs_has(platform.bootargs, "statefsfull"))
		return selftest_statefs_limits(true); /* a small disk: the ENOSPC smoke alone */
	if (dt_bootargs_has(platform.bootargs, "statefsquota"))
		return selftest_statefs_limits(false);
	int failed = test_put();
	failed += test_batch();
	failed += test_unauthorized();
	failed += test_concurrent();
	failed += test_restart_persist();
	failed += test_restart_under_load();
	failed += test_reboot();
	failed += selftest_statefs_limits(false);
	return failed;
}
