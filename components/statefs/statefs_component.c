/* The statefs component in the image: claims the "state" disk, mounts it, keeps
 * the boot counter and serves statefs_svc.h to other components.
 *
 * Locking: sfs.lock (a mutex) serialises every engine call; the engine is
 * single-threaded (statefs.h). sfs.sync_lock (taken before sfs.lock) lets one
 * sync at a time lead a group commit (statefs_gcommit.h): syncs that arrive
 * while one runs wait on it and share that flush when it covers their writes.
 * sfs.fs and sfs.bd are written only by init and stop, which the supervisor runs
 * with the interface closed (no call in flight), so the service entry points
 * read them under the gate without further care. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/sync.h"
#include "cairn/timeline.h"
#include "cairn/timer.h"
#include "statefs.h"
#include "statefs_gcommit.h"
#include "statefs_svc.h"
#include "virtio_blk.h"

/* What the keys under one prefix rule hold (its quota: cap_table.prefixes[i]). */
struct sfs_usage {
	uint64_t bytes; /* key plus value bytes */
	uint32_t keys;	/* live keys */
};

static struct {
	struct mutex lock;	/* serialises every engine call */
	struct mutex sync_lock; /* one group-commit leader at a time; before lock */
	struct sfs_gcommit gc;	/* sync generations (statefs_gcommit.h) */
	struct statefs *fs;	/* mounted store; NULL when down */
	struct blkdev *bd;	/* the claimed "state" disk; NULL when down */
	/* Protected by lock; computed from the index by init, kept by every write: */
	struct sfs_usage usage[CAP_PREFIX_COUNT + 1]; /* [i]: prefix rule i */
	/* Written by init before the interface opens, read by statefs_svc_stat: */
	struct statefs_replay_report rep; /* the last mount's replay */
	bool ro;			  /* served read-only */
	uint64_t mount_us;
} sfs;

/* policy: 0 when the original caller of `call` holds `right` on key (a key, or a
 * prefix ending in '/' for list); otherwise append the audit record (the key is
 * the subject, never the value) and return CAIRN_EACCES. */
static int policy(const struct cap_call *call, const char *key, unsigned right, const char *op)
{
	if (cap_prefix_rights(call->caller, key) & right)
		return 0;
	(void)audit_append(AUDIT_ACCESS_DENIED, call->caller, CAP_COMP_STATEFS, op, key);
	return CAIRN_EACCES;
}

/* key_in: copy the caller's key into k (once: every later check and the engine
 * read only the copy) and check it is canonical. 0, CAIRN_EINVAL (malformed,
 * NULL or too long) or CAIRN_EFAULT (bad pointer; audited). */
static int key_in(const struct cap_call *call, char k[STATEFS_KEY_MAX + 1], const char *key)
{
	int n = cap_copy_str_in(call, k, key, STATEFS_KEY_MAX + 1);
	if (n == CAIRN_ENAMETOOLONG)
		return CAIRN_EINVAL;
	if (n < 0)
		return n;
	return statefs_key_check(k, (size_t)n);
}

/* prefix_in: like key_in for a list prefix (statefs_prefix_check): a canonical
 * key followed by one '/', or "/state/" itself. */
static int prefix_in(const struct cap_call *call, char p[STATEFS_KEY_MAX + 1], const char *prefix)
{
	int n = cap_copy_str_in(call, p, prefix, STATEFS_KEY_MAX + 1);
	if (n == CAIRN_ENAMETOOLONG)
		return CAIRN_EINVAL;
	if (n < 0)
		return n;
	return statefs_prefix_check(p, (size_t)n);
}

/* engine_lock: take sfs.lock; CAIRN_ESHUTDOWN when a statefs thread died
 * holding it (the component is being restarted; mutex_lock_live). */
static int engine_lock(void) { return mutex_lock_live(&sfs.lock); }

/* has_quota: prefix rule i declares quota= or keys=. */
static bool has_quota(unsigned i)
{
	const struct cap_prefix *p = &cap_table.prefixes[i];
	return p->quota_bytes != UINT64_MAX || p->quota_keys != UINT32_MAX;
}

/* A batch's net change to what one prefix holds. */
struct quota_delta {
	int rule; /* prefix rule index */
	int64_t bytes;
	int32_t keys;
};

/* delta_of: the entry for prefix rule `rule` in d[0..*nd), added when new. */
static struct quota_delta *delta_of(struct quota_delta *d, size_t *nd, int rule)
{
	for (size_t i = 0; i < *nd; i++)
		if (d[i].rule == rule)
			return &d[i];
	d[*nd] = (struct quota_delta){ rule, 0, 0 };
	return &d[(*nd)++];
}

/* last_on_key: no later op of the batch names ops[i]'s key (its op decides). */
static bool last_on_key(const struct statefs_op *ops, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (strcmp(ops[j].key, ops[i].key) == 0)
			return false;
	return true;
}

/* quota_plan: the net change of the whole batch per quota'd prefix (an overwrite
 * counts the difference, a delete gives back), from the index; CAIRN_EDQUOT when
 * it would take a prefix over its bytes or keys. A change that does not grow a
 * prefix passes even over quota (the table may have been lowered). Caller holds
 * sfs.lock; the keys are checked copies. */
static int quota_plan(const struct statefs_op *ops, size_t n, struct quota_delta *d, size_t *nd)
{
	*nd = 0;
	for (size_t i = 0; i < n; i++) {
		int rule = cap_prefix_index(ops[i].key);
		if (rule < 0 || !has_quota((unsigned)rule) || !last_on_key(ops, n, i))
			continue;
		int64_t klen = (int64_t)strlen(ops[i].key);
		int old = statefs_size(sfs.fs, ops[i].key);
		struct quota_delta *q = delta_of(d, nd, rule);
		if (old >= 0) {
			q->bytes -= klen + old;
			q->keys--;
		}
		if (ops[i].type == STATEFS_OP_PUT) {
			q->bytes += klen + (int64_t)ops[i].value_len;
			q->keys++;
		}
	}
	for (size_t i = 0; i < *nd; i++) {
		const struct cap_prefix *p = &cap_table.prefixes[d[i].rule];
		const struct sfs_usage *u = &sfs.usage[d[i].rule];
		if (d[i].bytes > 0 && u->bytes + (uint64_t)d[i].bytes > p->quota_bytes)
			return CAIRN_EDQUOT;
		if (d[i].keys > 0 && (uint64_t)u->keys + (uint64_t)d[i].keys > p->quota_keys)
			return CAIRN_EDQUOT;
	}
	return 0;
}

/* engine_write: the one write path of the service: the prefix quotas checked on
 * the batch as a whole, the engine batch, then the usage kept, all under
 * sfs.lock. ops hold checked copies. */
static int engine_write(const struct statefs_op *ops, size_t n)
{
	struct quota_delta d[STATEFS_BATCH_MAX];
	size_t nd;
	int err = engine_lock();
	if (err)
		return err;
	err = quota_plan(ops, n, d, &nd);
	if (!err)
		err = statefs_batch(sfs.fs, ops, n);
	sfs_gcommit_wrote(&sfs.gc); /* even a failed batch: a later sync covers it */
	for (size_t i = 0; !err && i < nd; i++) {
		sfs.usage[d[i].rule].bytes += (uint64_t)d[i].bytes;
		sfs.usage[d[i].rule].keys += (uint32_t)d[i].keys;
	}
	mutex_unlock(&sfs.lock);
	return err;
}

/* usage_scan: what the keys under each quota'd prefix hold, from the index (init,
 * before the interface opens). */
static int usage_scan(void)
{
	static struct statefs_dirent chunk[16];
	memset(sfs.usage, 0, sizeof(sfs.usage));
	for (unsigned i = 0; i < cap_table.prefix_count; i++) {
		const char *p = cap_table.prefixes[i].prefix;
		char after[STATEFS_KEY_MAX + 1] = "";
		int n = 0;
		if (!has_quota(i))
			continue;
		do {
			n = statefs_list(sfs.fs, p, after, chunk, 16);
			for (int k = 0; k < n; k++) {
				sfs.usage[i].bytes += strlen(chunk[k].key) + chunk[k].value_len;
				sfs.usage[i].keys++;
			}
			if (n > 0)
				memcpy(after, chunk[n - 1].key, sizeof(after));
		} while (n == 16);
		if (n < 0)
			return n;
	}
	return 0;
}

/* statefs_svc_put: gate, copy key and value in, key check and policy on the
 * copy, then the engine under sfs.lock (statefs_svc.h). */
int statefs_svc_put(const char *key, const void *value, size_t len)
{
	struct cap_call call;
	char k[STATEFS_KEY_MAX + 1];
	void *v = NULL;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "put");
	if (err)
		return err;
	err = key_in(&call, k, key);
	if (!err)
		err = policy(&call, k, CAP_W, "put");
	if (!err && len > STATEFS_VALUE_MAX)
		err = CAIRN_EFBIG;
	if (!err && !value && len)
		err = CAIRN_EINVAL;
	if (!err && len && !(v = malloc(len)))
		err = CAIRN_ENOMEM;
	if (!err)
		err = cap_copy_in(&call, v, value, len);
	if (!err) {
		struct statefs_op op = { STATEFS_OP_PUT, k, v, len };
		err = engine_write(&op, 1);
	}
	free(v);
	cap_leave(&call);
	return err;
}

/* statefs_svc_get: gate, copy the key in, key check and policy on the copy,
 * the engine under sfs.lock into a buffer of our own, then copy the value out
 * with the lock dropped (statefs_svc.h). */
int statefs_svc_get(const char *key, void *buf, size_t bufsize)
{
	struct cap_call call;
	char k[STATEFS_KEY_MAX + 1];
	size_t cap = bufsize < STATEFS_VALUE_MAX ? bufsize : STATEFS_VALUE_MAX;
	void *v = NULL;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "get");
	if (err)
		return err;
	err = key_in(&call, k, key);
	if (!err)
		err = policy(&call, k, CAP_R, "get");
	if (!err && !buf && bufsize)
		err = CAIRN_EINVAL;
	if (!err && cap && !(v = malloc(cap)))
		err = CAIRN_ENOMEM;
	int n = err;
	if (!err && !(err = engine_lock())) {
		n = statefs_get(sfs.fs, k, v, cap);
		mutex_unlock(&sfs.lock);
	}
	if (!err && n > 0)
		err = cap_copy_out(&call, buf, v, (size_t)n);
	free(v);
	cap_leave(&call);
	return err ? err : n;
}

/* statefs_svc_delete: gate, copy the key in, key check and policy on the copy,
 * then the engine under sfs.lock (statefs_svc.h). */
int statefs_svc_delete(const char *key)
{
	struct cap_call call;
	char k[STATEFS_KEY_MAX + 1];
	int err = cap_enter(&call, CAP_COMP_STATEFS, "delete");
	if (err)
		return err;
	err = key_in(&call, k, key);
	if (!err)
		err = policy(&call, k, CAP_W, "delete");
	if (!err) {
		struct statefs_op op = { STATEFS_OP_DELETE, k, NULL, 0 };
		err = engine_write(&op, 1);
	}
	cap_leave(&call);
	return err;
}

#define LIST_CHUNK 16u /* entries listed per engine call (bounce buffer: 4 KiB) */

/* list_chunks: the walk of statefs_svc_list on checked copies of prefix and
 * cursor: LIST_CHUNK entries at a time under sfs.lock, each chunk copied out with
 * the lock dropped; the count, or an error. */
static int list_chunks(const struct cap_call *call, const char *p, char *cursor,
		       struct statefs_dirent *out, size_t max)
{
	struct statefs_dirent *chunk = malloc(LIST_CHUNK * sizeof(*chunk));
	if (!chunk)
		return CAIRN_ENOMEM;
	size_t done = 0;
	int err = 0;
	while (done < max && !err) {
		size_t want = max - done < LIST_CHUNK ? max - done : LIST_CHUNK;
		int n = engine_lock();
		if (n)
			break;
		n = statefs_list(sfs.fs, p, cursor, chunk, want);
		mutex_unlock(&sfs.lock);
		if (n < 0) {
			err = n;
			break;
		}
		err = cap_copy_out(call, out + done, chunk, (size_t)n * sizeof(*chunk));
		done += (size_t)n;
		if ((size_t)n < want)
			break;
		memcpy(cursor, chunk[n - 1].key, sizeof(chunk[n - 1].key));
	}
	free(chunk);
	return err ? err : (int)done;
}

/* statefs_svc_list: gate, copy prefix and cursor in, checks and policy on the
 * copies, then list_chunks (statefs_svc.h). */
int statefs_svc_list(const char *prefix, const char *after, struct statefs_dirent *out, size_t max)
{
	struct cap_call call;
	char p[STATEFS_KEY_MAX + 1], cursor[STATEFS_KEY_MAX + 1] = "";
	int err = cap_enter(&call, CAP_COMP_STATEFS, "list");
	if (err)
		return err;
	err = prefix_in(&call, p, prefix);
	if (!err)
		err = policy(&call, p, CAP_L, "list");
	if (!err && after) {
		int n = cap_copy_str_in(&call, cursor, after, sizeof(cursor));
		err = n == CAIRN_ENAMETOOLONG ? CAIRN_EINVAL : (n < 0 ? n : 0);
	}
	if (!err && (!out || max == 0 || max > INT32_MAX))
		err = CAIRN_EINVAL;
	if (!err)
		err = list_chunks(&call, p, cursor, out, max);
	cap_leave(&call);
	return err;
}

/* One batch operation copied into statefs' own memory. */
struct op_copy {
	char key[STATEFS_KEY_MAX + 1];
	void *value; /* malloc'd, NULL for a delete or an empty value */
};

/* batch_in: copy the caller's op array, every key and every value in once, and
 * check each key and its w right on the copy. */
static int batch_in(const struct cap_call *call, const struct statefs_op *ops, size_t n,
		    struct statefs_op *o, struct op_copy *c)
{
	int err = cap_copy_in(call, o, ops, n * sizeof(*o));
	for (size_t i = 0; !err && i < n; i++) {
		err = key_in(call, c[i].key, o[i].key);
		if (!err)
			err = policy(call, c[i].key, CAP_W, "batch");
		if (!err && o[i].type != STATEFS_OP_PUT && o[i].type != STATEFS_OP_DELETE)
			err = CAIRN_EINVAL;
		if (!err && o[i].type == STATEFS_OP_PUT && o[i].value_len > STATEFS_VALUE_MAX)
			err = CAIRN_EFBIG;
		if (!err && o[i].type == STATEFS_OP_PUT && !o[i].value && o[i].value_len)
			err = CAIRN_EINVAL;
		if (!err && o[i].type == STATEFS_OP_PUT && o[i].value_len &&
		    !(c[i].value = malloc(o[i].value_len)))
			err = CAIRN_ENOMEM;
		if (!err && c[i].value)
			err = cap_copy_in(call, c[i].value, o[i].value, o[i].value_len);
		o[i].key = c[i].key;
		o[i].value = c[i].value;
		if (o[i].type != STATEFS_OP_PUT)
			o[i].value_len = 0;
	}
	return err;
}

/* statefs_svc_batch: gate, copy every op in, key checks and policy on the copies,
 * then one atomic engine batch under sfs.lock (statefs_svc.h). */
int statefs_svc_batch(const struct statefs_op *ops, size_t n)
{
	struct cap_call call;
	struct statefs_op o[STATEFS_SVC_BATCH_MAX];
	struct op_copy *c = NULL;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "batch");
	if (err)
		return err;
	if (n == 0 || n > STATEFS_SVC_BATCH_MAX)
		err = CAIRN_EINVAL;
	if (!err && !(c = calloc(n, sizeof(*c))))
		err = CAIRN_ENOMEM;
	if (!err)
		err = batch_in(&call, ops, n, o, c);
	if (!err)
		err = engine_write(o, n);
	for (size_t i = 0; c && i < n; i++)
		free(c[i].value);
	free(c);
	cap_leave(&call);
	return err;
}

/* The group-commit hooks over the component's two mutexes (ctx unused). */
static int gc_lead_lock(void *ctx)
{
	(void)ctx;
	return mutex_lock_live(&sfs.sync_lock);
}
static void gc_lead_unlock(void *ctx)
{
	(void)ctx;
	mutex_unlock(&sfs.sync_lock);
}
static int gc_engine_lock(void *ctx)
{
	(void)ctx;
	return engine_lock();
}
static void gc_engine_unlock(void *ctx)
{
	(void)ctx;
	mutex_unlock(&sfs.lock);
}
static int gc_sync(void *ctx)
{
	(void)ctx;
	return statefs_sync(sfs.fs);
}
static const struct sfs_gcommit_ops gc_ops = {
	gc_lead_lock, gc_lead_unlock, gc_engine_lock, gc_engine_unlock, gc_sync,
};

/* statefs_svc_sync: gate (no key policy: a sync exposes and changes no key),
 * then a group commit: returns after an engine sync (under sfs.lock) that began
 * after the caller's writes, led by this call or shared with another's
 * (statefs_gcommit.h; statefs_svc.h). */
int statefs_svc_sync(void)
{
	struct cap_call call;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "sync");
	if (err)
		return err;
	err = sfs_gcommit_sync(&sfs.gc, &gc_ops, NULL);
	cap_leave(&call);
	return err;
}

/* statefs_svc_compact: gate (no key policy: like sync, a compaction exposes and
 * changes no key), then the engine under sfs.lock (statefs_svc.h). */
int statefs_svc_compact(void)
{
	struct cap_call call;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "compact");
	if (err)
		return err;
	if (!(err = engine_lock())) {
		err = statefs_compact_now(sfs.fs);
		sfs_gcommit_wrote(&sfs.gc); /* the next sync runs the engine's */
		mutex_unlock(&sfs.lock);
	}
	cap_leave(&call);
	return err;
}

/* statefs_svc_usage: gate, copy the prefix in, policy (l: the count is what a
 * listing shows), the usage and quota of its rule under sfs.lock (statefs_svc.h). */
int statefs_svc_usage(const char *prefix, struct statefs_svc_usage *out)
{
	struct cap_call call;
	char p[STATEFS_KEY_MAX + 1];
	struct statefs_svc_usage u = { 0 };
	int err = cap_enter(&call, CAP_COMP_STATEFS, "usage");
	if (err)
		return err;
	err = prefix_in(&call, p, prefix);
	if (!err)
		err = policy(&call, p, CAP_L, "usage");
	int rule = err ? -1 : cap_prefix_index(p);
	if (!err && (rule < 0 || strcmp(cap_table.prefixes[rule].prefix, p) != 0))
		err = CAIRN_EINVAL; /* not a rule of the table itself */
	if (!err && !(err = engine_lock())) {
		const struct cap_prefix *r = &cap_table.prefixes[rule];
		u.quota_bytes = r->quota_bytes;
		u.quota_keys = r->quota_keys;
		u.tracked = has_quota((unsigned)rule);
		u.bytes = sfs.usage[rule].bytes;
		u.keys = sfs.usage[rule].keys;
		mutex_unlock(&sfs.lock);
	}
	if (!err)
		err = cap_copy_out(&call, out, &u, sizeof(u));
	cap_leave(&call);
	return err;
}

/* statefs_svc_stat: gate (no key policy: figures expose no key), the engine's
 * counters under sfs.lock, copied out with the lock dropped (statefs_svc.h). */
int statefs_svc_stat(struct statefs_svc_stat *out)
{
	struct cap_call call;
	struct statefs_svc_stat st;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "stat");
	if (err)
		return err;
	if (!(err = engine_lock())) {
		memset(&st, 0, sizeof(st));
		statefs_stats(sfs.fs, &st.stats);
		st.replay = sfs.rep;
		st.read_only = sfs.ro;
		st.mount_us = sfs.mount_us;
		mutex_unlock(&sfs.lock);
		st.sync_calls = atomic_load(&sfs.gc.calls);
		st.sync_flushes = atomic_load(&sfs.gc.attempts);
	}
	if (!err)
		err = cap_copy_out(&call, out, &st, sizeof(st));
	cap_leave(&call);
	return err;
}

/* statefs_svc_check: gate, the engine's check under sfs.lock, the report
 * copied out with the lock dropped (statefs_svc.h). */
int statefs_svc_check(struct statefs_check_report *out)
{
	struct cap_call call;
	struct statefs_check_report rep;
	int err = cap_enter(&call, CAP_COMP_STATEFS, "check");
	if (err)
		return err;
	if (!(err = engine_lock())) {
		memset(&rep, 0, sizeof(rep));
		err = statefs_check(sfs.fs, &rep);
		mutex_unlock(&sfs.lock);
	}
	if (!err || err == CAIRN_EBADMSG) { /* a problem found: the report says which */
		int cerr = cap_copy_out(&call, out, &rep, sizeof(rep));
		if (cerr)
			err = cerr;
	}
	cap_leave(&call);
	return err;
}

/* report_replay: print (and audit, when the journal was damaged) what the
 * mount's replay found. A damaged tail is what a crash during a write leaves;
 * the engine has already stopped at the last valid record and will append
 * after it under a fresh epoch, so the discarded bytes can never come back. */
static void report_replay(const struct statefs_replay_report *r)
{
	if (r->clean)
		return;
	char subject[AUDIT_SUBJECT_MAX];
	if (r->stop_reason == STATEFS_STOP_BAD_CRC)
		kprintf("statefs: crc mismatch (record=%llu) offset=%llu discarded=%llu bytes\n",
			(unsigned long long)r->bad_record_index, (unsigned long long)r->bad_offset,
			(unsigned long long)r->bytes_discarded);
	else
		kprintf("statefs: journal damaged (reason=%s record=%llu) offset=%llu "
			"discarded=%llu bytes\n",
			statefs_stop_reason_name(r->stop_reason),
			(unsigned long long)r->bad_record_index, (unsigned long long)r->bad_offset,
			(unsigned long long)r->bytes_discarded);
	(void)snprintf(subject, sizeof(subject), "journal record=%llu reason=%s",
		       (unsigned long long)r->bad_record_index,
		       statefs_stop_reason_name(r->stop_reason));
	(void)audit_append(AUDIT_INTEGRITY, CAP_COMP_STATEFS, CAP_COMP_STATEFS, "mount", subject);
}

/* report_ckpt: say (and audit) that a checkpoint the superblock names did not
 * load or a damaged one was stepped over: the mount fell back (to the previous
 * checkpoint or a full replay), nothing is lost, the first sync compacts it away. */
static void report_ckpt(const struct statefs_replay_report *r)
{
	char subject[96];
	if (!r->checkpoint_damaged && !r->ckpt_records_skipped)
		return;
	(void)snprintf(
		subject, sizeof(subject), "checkpoint damaged=%s%s%s skipped=%llu",
		r->checkpoint_damaged & 1 ? "newest" : "", r->checkpoint_damaged == 3 ? "," : "",
		r->checkpoint_damaged & 2 ? "previous" : (r->checkpoint_damaged ? "" : "none"),
		(unsigned long long)r->ckpt_records_skipped);
	kprintf("statefs: %s; mounted from %s, nothing lost\n", subject,
		statefs_ckpt_use_name(r->checkpoint));
	(void)audit_append(AUDIT_INTEGRITY, CAP_COMP_STATEFS, CAP_COMP_STATEFS, "mount", subject);
}

/* boot_count: once per boot (the first bring-up, not a restart): read the boot
 * counter, check it, increment it, sync, print it. A counter of the wrong size
 * or one failing its CRC is reported as an integrity error and starts over at 1. */
static int boot_count(void)
{
	uint8_t v[8];
	uint64_t count = 0;
	int n = statefs_get(sfs.fs, STATEFS_BOOT_COUNT_KEY, v, sizeof(v));
	if (n == (int)sizeof(v)) {
		for (int i = 7; i >= 0; i--)
			count = count << 8 | v[i];
	} else if (n != CAIRN_ENOENT) {
		kprintf("statefs: boot counter unreadable (%s), starting over\n",
			n < 0 ? cairn_strerror(n) : "wrong size");
		(void)audit_append(AUDIT_INTEGRITY, CAP_COMP_STATEFS, CAP_COMP_STATEFS, "boot",
				   STATEFS_BOOT_COUNT_KEY);
	}
	if (count == UINT64_MAX) {
		kprintf("statefs: boot counter at its maximum, not incremented\n");
		return CAIRN_EOVERFLOW;
	}
	count++;
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(count >> (8 * i));
	int err = statefs_put(sfs.fs, STATEFS_BOOT_COUNT_KEY, v, sizeof(v));
	if (!err)
		err = statefs_sync(sfs.fs);
	if (err == CAIRN_EROFS) {
		kprintf("statefs: boot count=%llu (read-only store: not recorded)\n",
			(unsigned long long)count);
		return 0;
	}
	if (err) {
		kprintf("statefs: boot counter not stored (%s)\n", cairn_strerror(err));
		return err;
	}
	kprintf("statefs: boot count=%llu\n", (unsigned long long)count);
	return 0;
}

/* mount_error: the operator's reason for a failed mount. */
static const char *mount_error(int err)
{
	switch (err) {
	case CAIRN_EBADMSG:
		return "corrupt: no valid superblock (not formatted: the disk is not blank)";
	case CAIRN_EIO:
		return "device I/O error";
	case CAIRN_ENOMEM:
		return "out of memory";
	case CAIRN_EINVAL:
		return "disk too small or bad geometry";
	case CAIRN_EROFS:
		return "blank disk is read-only (cannot format)";
	default:
		return "mount failed";
	}
}

/* reccap_arg: the replay record-count cap asked for by the test/diagnostic boot
 * argument "statefsreccap=<n>" (docs/operations.md): 0 in *cap when absent (the
 * engine's default); CAIRN_EINVAL (after printing why) unless n is a decimal in
 * 1..UINT32_MAX. */
static int reccap_arg(uint32_t *cap)
{
	uint64_t v = 0;
	int err = dt_bootargs_u64(platform.bootargs, "statefsreccap", &v);
	*cap = 0;
	if (err == CAIRN_ENOENT)
		return 0;
	if (err || v == 0 || v > UINT32_MAX) {
		char raw[24];
		int n = dt_bootargs_value(platform.bootargs, "statefsreccap", raw, sizeof(raw));
		kprintf("statefs: not mounted: bad boot argument statefsreccap=%s "
			"(want a record count 1..%lu)\n",
			n >= 0 ? raw : "(too long)", (unsigned long)UINT32_MAX);
		return CAIRN_EINVAL;
	}
	*cap = (uint32_t)v;
	return 0;
}

/* sfs_release: the one cleanup path of sfs_init: drop the mount without
 * syncing (nothing may be written on a failed init) and the disk claim. */
static int sfs_release(int err)
{
	if (sfs.fs)
		statefs_abandon(sfs.fs);
	if (sfs.bd)
		(void)vblk_release(sfs.bd);
	sfs.fs = NULL;
	sfs.bd = NULL;
	return err;
}

/* sfs_init: claim the state disk, mount it (formatting only a blank disk), report
 * the replay, keep the boot counter. Fails closed: without a mounted store
 * there is nothing to serve. Every failure leaves through sfs_release. */
static int sfs_init(void)
{
	/* No call is in flight (the supervisor closed the interface), so the lock
	 * can be made anew: a statefs thread that died holding it (mutex_lock_live)
	 * leaves it dead_owner, and a restart starts over. */
	mutex_init(&sfs.lock, "statefs");
	mutex_init(&sfs.sync_lock, "statefs_sync");
	sfs_gcommit_init(&sfs.gc);
	uint32_t reccap;
	int err = reccap_arg(&reccap);
	if (err)
		return err;
	err = vblk_claim("state", false, &sfs.bd);
	if (err) {
		kprintf("statefs: not mounted: %s (claim of disk serial=state: %s)\n",
			err == CAIRN_ENOENT ? "no state disk attached" : "claim refused",
			cairn_strerror(err));
		sfs.bd = NULL;
		return sfs_release(err);
	}
	struct statefs_config cfg = { .bdev = sfs.bd,
				      .flags = STATEFS_MOUNT_FORMAT_EMPTY,
				      .max_records = reccap };
	if (reccap)
		kprintf("statefs: replay record cap lowered to %u (statefsreccap)\n", reccap);
	struct statefs_replay_report rep;
	uint64_t t0 = time_us();
	err = statefs_mount(&sfs.fs, &cfg, &rep);
	uint64_t t1 = time_us();
	if (err) {
		kprintf("statefs: not mounted: %s (%s)\n", mount_error(err), cairn_strerror(err));
		sfs.fs = NULL;
		return sfs_release(err);
	}
	report_replay(&rep);
	report_ckpt(&rep);
	/* DAMAGED or ROLLED_BACK: valid records lie beyond what replayed, or a newer
	 * superblock was lost; the engine refuses every write (appending would destroy
	 * them), serves what replayed and leaves the disk to the operator. */
	bool ro = sfs.bd->info.read_only || rep.refused;
	if (rep.refused)
		kprintf("statefs: serving read-only: %s store (reason=%s); not appending, "
			"inspect with statefs-fsck\n",
			statefs_mount_class_name(rep.mount_class),
			statefs_stop_reason_name(rep.stop_reason));
	sfs.rep = rep;
	sfs.ro = ro;
	sfs.mount_us = t1 - t0;
	timeline_span("mount", t1 - t0);
	struct statefs_stats st;
	statefs_stats(sfs.fs, &st);
	kprintf("statefs: mounted serial=state ss=%u region=%c records=%llu keys=%llu "
		"formatted=%d ro=%d mount_us=%llu\n",
		sfs.bd->info.sector_size, rep.region ? 'B' : 'A',
		(unsigned long long)rep.records_replayed, (unsigned long long)st.keys,
		rep.formatted ? 1 : 0, ro ? 1 : 0, (unsigned long long)(t1 - t0));
	if (supervisor_generation(CAP_COMP_STATEFS) == 0) {
		err = boot_count();
		if (err)
			return sfs_release(err);
	}
	err = usage_scan();
	if (err) {
		kprintf("statefs: not served: prefix usage scan failed (%s)\n",
			cairn_strerror(err));
		return sfs_release(err);
	}
	kprintf("statefs: ready\n");
	return 0;
}

/* sfs_stop: sync and unmount, release the disk (no call is in flight). */
static void sfs_stop(void)
{
	if (sfs.fs) {
		int err = statefs_unmount(sfs.fs);
		if (err)
			kprintf("statefs: unmount: sync failed (%s)\n", cairn_strerror(err));
	}
	if (sfs.bd)
		(void)vblk_release(sfs.bd);
	sfs.fs = NULL;
	sfs.bd = NULL;
}

const struct component_desc component_statefs = {
	.name = "statefs",
	.init = sfs_init,
	.stop = sfs_stop,
};
