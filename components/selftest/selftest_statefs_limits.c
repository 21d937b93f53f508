/* statefs exhaustion smokes (docs/limits.md), as the selftest component:
 *   quota:  /state/quota/ (quota=4K keys=16 in the table) filled to its byte quota
 *           and one byte over, then to its key quota and one key over: EDQUOT
 *           each time, nothing changed, another prefix unaffected, a batch
 *           counted as a whole, a delete gives the space back, and a restart
 *           recomputes the usage from the index;
 *   enospc: ("statefsfull", on a small state disk) /state/selftest/full/ filled
 *           until the device refuses with ENOSPC (never EDQUOT); then a delete,
 *           a sync and a compaction succeed, the refused put fits, a restart
 *           mounts cleanly with every value intact.
 * Each ends with a normal put + get that still works. */
#include <stdio.h>
#include <string.h>

#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/supervisor.h"
#include "selftest.h"
#include "statefs_svc.h"

#define QPFX "/state/quota/"
#define Q_BYTES 4096u /* the table's quota= and keys= for QPFX */
#define Q_KEYS 16u
#define Q_VAL 1008u /* "/state/quota/kNN" is 16 bytes: a key holds 1024 */

static char val[4096]; /* pattern values, written by one test thread at a time */

/* pattern: fill n bytes of val for seed. */
static void pattern(unsigned seed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		val[i] = (char)(seed * 131u + i * 7u);
}

/* holds: key reads back as pattern(seed, n). */
static bool holds(const char *key, unsigned seed, size_t n)
{
	static char buf[4096];
	int got = statefs_svc_get(key, buf, sizeof(buf));
	pattern(seed, n);
	return got == (int)n && memcmp(buf, val, n) == 0;
}

static char qkeys[Q_KEYS + 2][20]; /* "/state/quota/kNN", made by q_names */

/* q_names: the names of the quota keys. */
static void q_names(void)
{
	for (unsigned i = 0; i < Q_KEYS + 2; i++)
		(void)snprintf(qkeys[i], sizeof(qkeys[i]), QPFX "k%02u", i);
}

/* qkey: the name of quota key i (i <= Q_KEYS + 1). */
static const char *qkey(unsigned i) { return qkeys[i]; }

/* qput: put pattern(i, n) at quota key i. */
static int qput(unsigned i, size_t n)
{
	pattern(i, n);
	return statefs_svc_put(qkey(i), val, n);
}

/* usage_is: the prefix's accounted usage is exactly bytes and keys. */
static bool usage_is(uint64_t bytes, uint32_t keys)
{
	struct statefs_svc_usage u;
	return statefs_svc_usage(QPFX, &u) == 0 && u.tracked && u.bytes == bytes &&
	       u.keys == keys && u.quota_bytes == Q_BYTES && u.quota_keys == Q_KEYS;
}

/* q_clear: delete every key under QPFX (left by an earlier run on this disk). */
static int q_clear(void)
{
	static struct statefs_dirent d[Q_KEYS + 4];
	int n = statefs_svc_list(QPFX, NULL, d, Q_KEYS + 4);
	for (int i = 0; i < n; i++)
		if (statefs_svc_delete(d[i].key))
			return 1;
	return n < 0 || statefs_svc_sync() != 0;
}

/* q_bytes: the byte quota: four keys of 1024 bytes fill it; one byte more is
 * refused, so is a new empty key; a bystander prefix takes a put; a batch that
 * frees as much as it adds passes, one that adds more is refused whole; a delete
 * makes room. Returns the step that failed, 0 when all held. */
static int q_bytes(void)
{
	for (unsigned i = 0; i < 4; i++)
		if (qput(i, Q_VAL))
			return 1;
	if (!usage_is(Q_BYTES, 4))
		return 2;
	if (qput(3, Q_VAL + 1) != CAIRN_EDQUOT || !holds(qkey(3), 3, Q_VAL))
		return 3; /* quota + 1 */
	if (qput(4, 0) != CAIRN_EDQUOT || statefs_svc_get(qkey(4), NULL, 0) != CAIRN_ENOENT)
		return 4;
	pattern(99, 2000);
	if (statefs_svc_put("/state/selftest/quota_bystander", val, 2000) ||
	    !holds("/state/selftest/quota_bystander", 99, 2000) ||
	    statefs_svc_delete("/state/selftest/quota_bystander"))
		return 5; /* another prefix is unaffected */
	if (qput(3, Q_VAL - 8) || qput(3, Q_VAL))
		return 6; /* shrink, then back to exactly the quota */
	static char v4[Q_VAL];
	pattern(4, Q_VAL);
	memcpy(v4, val, Q_VAL);
	struct statefs_op ops[2] = {
		{ .type = STATEFS_OP_PUT, .key = qkey(4), .value = v4, .value_len = Q_VAL },
		{ .type = STATEFS_OP_PUT, .key = qkey(1), .value = v4, .value_len = Q_VAL - 8 },
	};
	if (statefs_svc_batch(ops, 2) != CAIRN_EDQUOT || !holds(qkey(1), 1, Q_VAL) ||
	    statefs_svc_get(qkey(4), NULL, 0) != CAIRN_ENOENT)
		return 7; /* net +1016 bytes and a key: refused whole */
	ops[1] = (struct statefs_op){ .type = STATEFS_OP_DELETE, .key = qkey(0) };
	if (statefs_svc_batch(ops, 2) != 0 || !holds(qkey(4), 4, Q_VAL) || !usage_is(Q_BYTES, 4))
		return 8; /* net zero: passes although the put alone would not */
	if (statefs_svc_delete(qkey(1)) || qput(5, Q_VAL) || !usage_is(Q_BYTES, 4))
		return 9; /* a delete frees the space */
	return 0;
}

/* q_keys: the key quota: 16 empty keys fit (256 bytes), a 17th is refused, a
 * delete makes room; a restart recomputes the usage from the index (still full). */
static int q_keys(void)
{
	if (q_clear() || !usage_is(0, 0))
		return 11;
	for (unsigned i = 0; i < Q_KEYS; i++)
		if (qput(i, 0))
			return 12;
	if (qput(Q_KEYS, 0) != CAIRN_EDQUOT || !usage_is(Q_KEYS * 16u, Q_KEYS))
		return 13;
	if (statefs_svc_delete(qkey(0)) || qput(Q_KEYS, 0) || statefs_svc_sync())
		return 14;
	if (supervisor_restart(CAP_COMP_STATEFS) || !usage_is(Q_KEYS * 16u, Q_KEYS))
		return 15; /* mount computed the same usage */
	if (qput(Q_KEYS + 1, 0) != CAIRN_EDQUOT)
		return 16;
	return q_clear() ? 17 : 0;
}

/* test_quota: both quotas, then a normal put + get. */
static int test_quota(void)
{
	q_names();
	int step = q_clear() ? 10 : q_bytes();
	if (!step)
		step = q_keys();
	if (!step) {
		pattern(7, 100);
		if (statefs_svc_put(qkey(7), val, 100) || !holds(qkey(7), 7, 100) || q_clear())
			step = 18;
	}
	if (step) {
		kprintf("ktest: limits quota FAILED at step %d\n", step);
		(void)q_clear();
		return 1;
	}
	kprintf("SELFTEST: limits quota ok bytes=%u keys=%u\n", Q_BYTES, Q_KEYS);
	return 0;
}

#define FULL_VAL 4000u
#define FULL_MAX 4096u /* puts before giving up: a disk this size is not small */

/* fkey: the name of fill key i. */
static const char *fkey(unsigned i)
{
	static char k[40];
	(void)snprintf(k, sizeof(k), "/state/selftest/full/%04u", i);
	return k;
}

/* f_fill: put FULL_VAL-byte values (synced) until refused; *n = how many fit. */
static int f_fill(unsigned *n)
{
	for (*n = 0; *n < FULL_MAX; (*n)++) {
		pattern(*n, FULL_VAL);
		int rc = statefs_svc_put(fkey(*n), val, FULL_VAL);
		if (rc)
			return rc;
		if ((rc = statefs_svc_sync()))
			return rc;
	}
	return 0;
}

/* f_intact: keys [0, n) hold their values, but for `gone`, which is absent. */
static bool f_intact(unsigned n, unsigned gone)
{
	for (unsigned i = 0; i < n; i++) {
		if (i == gone ? statefs_svc_get(fkey(i), NULL, 0) != CAIRN_ENOENT
			      : !holds(fkey(i), i, FULL_VAL))
			return false;
	}
	return true;
}

/* test_enospc: fill the state disk to ENOSPC; delete, sync and compaction
 * succeed; the refused put then fits; a restart mounts cleanly, values intact;
 * then deletes leave room and a normal put + get works. */
static int test_enospc(void)
{
	unsigned n = 0;
	struct statefs_svc_stat st0, st1, st2;
	int fill = f_fill(&n), step = 0;
	if (fill != CAIRN_ENOSPC || n < 4)
		step = 1;
	if (!step && statefs_svc_stat(&st0) != 0)
		step = 2;
	if (!step && (statefs_svc_delete(fkey(1)) || statefs_svc_sync()))
		step = 3;
	if (!step && (statefs_svc_compact() || statefs_svc_stat(&st1) ||
		      st1.stats.compactions != st0.stats.compactions + 1))
		step = 4;
	pattern(n, FULL_VAL);
	if (!step && (statefs_svc_put(fkey(n), val, FULL_VAL) || statefs_svc_sync()))
		step = 5; /* the delete and the compaction gave the space back */
	if (!step &&
	    (supervisor_restart(CAP_COMP_STATEFS) || statefs_svc_stat(&st2) || !st2.replay.clean ||
	     st2.replay.mount_class != STATEFS_CLASS_CLEAN || st2.read_only))
		step = 6;
	if (!step && !f_intact(n + 1, 1))
		step = 7;
	for (unsigned i = 0; !step && i < n + 1 && i < 8; i++)
		if (i != 1 && statefs_svc_delete(fkey(i)))
			step = 8; /* leave room for the rest of the boot */
	pattern(3, 64);
	if (!step &&
	    (statefs_svc_sync() || statefs_svc_put("/state/selftest/after_full", val, 64) ||
	     !holds("/state/selftest/after_full", 3, 64) || statefs_svc_sync()))
		step = 9;
	if (step) {
		kprintf("ktest: limits enospc FAILED at step %d: fill %s after %u puts\n", step,
			cairn_strerror(fill), n);
		return 1;
	}
	kprintf("SELFTEST: limits enospc ok puts=%u then ENOSPC; delete, sync, compact, "
		"remount clean\n",
		n);
	return 0;
}

/* selftest_statefs_limits: the quota smoke, or with "full" the ENOSPC smoke. */
int selftest_statefs_limits(bool full) { return full ? test_enospc() : test_quota(); }
