/* The crash oracle (crash_check.h). A state passes when:
 *  - it mounts (or, when nothing was acknowledged yet, holds no store), and replay
 *    stopped for a reason a crash can cause (clean end, or a torn record);
 *  - fsck agrees with the mount (same stop reason and key count, torn tail iff
 *    the mount's replay was not clean, nothing else wrong);
 *  - every key is a workload key (or the boot counter) holding a value the
 *    workload wrote, byte for byte;
 *  - the whole state equals the workload's state after some op X with
 *    lo <= X <= hi: nothing acknowledged is missing (no rollback), nothing is
 *    mixed (a batch is all or nothing, keys agree on one X), nothing is invented;
 *  - the boot counter is within what the crash point allows. */
#include "crash_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statefs_svc.h"

#define LIST_BATCH 64

/* fail: record the reason and return 1. */
static int fail(struct cc_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return 1;
}

/* stop_allowed: a replay stop reason a crash (torn or missing writes) can cause.
 * A newer epoch than the superblock, a CRC-valid invalid key, an overlong batch
 * or the record cap are not crash damage. */
static bool stop_allowed(enum statefs_stop_reason s)
{
	switch (s) {
	case STATEFS_STOP_NO_RECORD:
	case STATEFS_STOP_END_OF_REGION:
	case STATEFS_STOP_STALE_EPOCH:
	case STATEFS_STOP_BAD_LENGTH:
	case STATEFS_STOP_BAD_TYPE:
	case STATEFS_STOP_BAD_SEQ:
	case STATEFS_STOP_BAD_CRC:
		return true;
	default:
		return false;
	}
}

/* le64: the little-endian u64 at p. */
static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Per-check scratch: the value buffers and which workload keys were seen. */
struct scan {
	uint8_t *val;
	uint8_t *want;
	bool seen[CW_NKEYS];
	int64_t xl, xh;
};

/* check_value: key k holds val[0..len): it must be a write of the workload; narrow
 * the X range to the ops after which k holds exactly that write. */
static int check_value(const struct cm_model *m, struct scan *s, unsigned k, const char *key,
		       uint32_t len, struct cc_result *r)
{
	if (len < 8)
		return fail(r, "key %s holds %u bytes: no workload write is that short", key, len);
	uint64_t j = le64(s->val);
	int64_t wi = cm_find_write(m, k, j);
	if (wi < 0 || m->key[k].w[wi].del || m->key[k].w[wi].len != len)
		return fail(r,
			    "key %s holds %u bytes claiming op %llu: the workload made no "
			    "such write",
			    key, len, (unsigned long long)j);
	cw_value(m->seed, j, k, len, s->want);
	if (memcmp(s->val, s->want, len) != 0)
		return fail(r, "key %s: value of op %llu is corrupt (right length, wrong bytes)",
			    key, (unsigned long long)j);
	int64_t end = (uint64_t)wi + 1 < m->key[k].n ? (int64_t)m->key[k].w[wi + 1].op - 1
						     : (int64_t)m->nops - 1;
	int64_t ol = s->xl, oh = s->xh;
	if ((int64_t)j > s->xl)
		s->xl = (int64_t)j;
	if (end < s->xh)
		s->xh = end;
	if (s->xl > s->xh)
		return fail(r,
			    "key %s holds op %llu's value (current for ops %llu..%lld) but the "
			    "rest of the state needs an op in %lld..%lld",
			    key, (unsigned long long)j, (unsigned long long)j, (long long)end,
			    (long long)ol, (long long)oh);
	return 0;
}

/* check_key: one listed key: the boot counter or a workload key. After an
 * earlier failure (count_only) the key is only counted and folded into the
 * digest, so the report still describes the whole state. */
static int check_key(const struct cm_model *m, struct statefs *fs, struct scan *s,
		     const struct statefs_dirent *d, bool count_only, struct cc_result *r)
{
	if (count_only) {
		int n = statefs_get(fs, d->key, s->val, STATEFS_VALUE_MAX);
		size_t klen = strlen(d->key);
		if (n == 8 && strcmp(d->key, STATEFS_BOOT_COUNT_KEY) == 0)
			r->boot_count = le64(s->val);
		if (n >= 0 && cw_key_index(d->key, klen) >= 0) {
			r->wkeys++;
			r->digest = cw_digest(r->digest, d->key, klen, s->val, (size_t)n);
		}
		return 0;
	}
	int n = statefs_get(fs, d->key, s->val, STATEFS_VALUE_MAX);
	if (n < 0)
		return fail(r, "get %s: %s (listed, unreadable)", d->key, cairn_strerror(n));
	if ((uint32_t)n != d->value_len)
		return fail(r, "get %s: %d bytes, list said %u", d->key, n, d->value_len);
	if (strcmp(d->key, STATEFS_BOOT_COUNT_KEY) == 0) {
		if (n != 8)
			return fail(r, "boot counter holds %d bytes", n);
		r->boot_count = le64(s->val);
		return 0;
	}
	size_t klen = strlen(d->key);
	int k = cw_key_index(d->key, klen);
	if (k < 0)
		return fail(r, "key %s: not a workload key", d->key);
	s->seen[k] = true;
	r->wkeys++;
	if (strncmp(d->key, CW_PREFIX, sizeof(CW_PREFIX) - 1) == 0)
		r->digest = cw_digest(r->digest, d->key, klen, s->val, (size_t)n);
	return check_value(m, s, (unsigned)k, d->key, (uint32_t)n, r);
}

/* walk: list every key in byte order and check each (only count them when rc
 * already records a failure). */
static int walk(const struct cm_model *m, struct statefs *fs, struct scan *s, struct cc_result *r,
		int rc)
{
	struct statefs_dirent *d = malloc(LIST_BATCH * sizeof(*d));
	if (!d)
		return CAIRN_ENOMEM;
	char after[STATEFS_KEY_MAX + 1] = "";
	for (;;) {
		int n = statefs_list(fs, STATEFS_KEY_PREFIX, after, d, LIST_BATCH);
		if (n < 0) {
			if (!rc)
				rc = fail(r, "list: %s", cairn_strerror(n));
			break;
		}
		for (int i = 0; i < n; i++) {
			r->keys++;
			int e = check_key(m, fs, s, &d[i], rc != 0, r);
			if (!rc)
				rc = e;
		}
		if (rc < 0 || n < LIST_BATCH)
			break;
		memcpy(after, d[n - 1].key, sizeof(after));
	}
	free(d);
	return rc;
}

/* absent_ok: some X in the range has every unseen workload key absent. */
static int absent_ok(const struct cm_model *m, struct scan *s, struct cc_result *r)
{
	unsigned bad = 0;
	for (int64_t x = s->xl; x <= s->xh; x++) {
		unsigned k;
		for (k = 0; k < CW_NKEYS; k++)
			if (!s->seen[k] && cm_present_at(m, k, x))
				break;
		if (k == CW_NKEYS) {
			s->xl = s->xh = x;
			/* Report the whole run of matching X, for the boot comparison. */
			while (s->xh + 1 <= r->x_hi) {
				for (k = 0; k < CW_NKEYS; k++)
					if (!s->seen[k] && cm_present_at(m, k, s->xh + 1))
						break;
				if (k != CW_NKEYS)
					break;
				s->xh++;
			}
			return 0;
		}
		bad = k;
	}
	char key[CW_KEY_LEN_MAX];
	(void)cw_key(bad, key);
	return fail(r,
		    "key %s is missing: the workload holds it after every op in %lld..%lld "
		    "that the other keys allow",
		    key, (long long)s->xl, (long long)s->xh);
}

/* check_fsck: statefs_check agrees with the mount. */
static int check_fsck(struct statefs *fs, struct cc_result *r)
{
	struct statefs_check_report ck;
	int rc = statefs_check(fs, &ck);
	if (rc)
		return fail(r, "fsck: %s (problem %d at offset %llu)", cairn_strerror(rc),
			    (int)ck.problem, (unsigned long long)ck.bad_offset);
	if (ck.stop_reason != r->rep.stop_reason)
		return fail(r, "fsck stops at %s, the mount at %s",
			    statefs_stop_reason_name(ck.stop_reason),
			    statefs_stop_reason_name(r->rep.stop_reason));
	if ((ck.problem == STATEFS_CHECK_TORN_TAIL) == r->rep.clean)
		return fail(r, "fsck says torn=%d, the mount says clean=%d",
			    ck.problem == STATEFS_CHECK_TORN_TAIL, r->rep.clean);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	if (ck.keys != st.keys)
		return fail(r, "fsck counts %llu keys, the mount %llu", (unsigned long long)ck.keys,
			    (unsigned long long)st.keys);
	return 0;
}

/* check_mounted: every rule on a mounted store. */
static int check_mounted(const struct cm_model *m, struct statefs *fs, const struct cc_bounds *b,
			 struct cc_result *r)
{
	int rc = 0;
#if CRASH_HAVE_MOUNT_CLASS
	if (r->rep.mount_class != STATEFS_CLASS_CLEAN &&
	    r->rep.mount_class != STATEFS_CLASS_TORN_TAIL)
		rc = fail(r,
			  "mount class %s (evidence at region %u offset %llu): a crash only "
			  "loses unsynced writes",
			  statefs_mount_class_name(r->rep.mount_class), r->rep.evidence_region,
			  (unsigned long long)r->rep.evidence_offset);
#endif
	if (!rc && !stop_allowed(r->rep.stop_reason))
		rc = fail(r, "replay stopped at %s (record %llu, offset %llu): not crash damage",
			  statefs_stop_reason_name(r->rep.stop_reason),
			  (unsigned long long)r->rep.bad_record_index,
			  (unsigned long long)r->rep.bad_offset);
	if (!rc)
		rc = check_fsck(fs, r);
	struct scan s = { .xl = b->lo, .xh = b->hi };
	s.val = malloc(STATEFS_VALUE_MAX);
	s.want = malloc(STATEFS_VALUE_MAX);
	if (!s.val || !s.want) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	r->x_lo = b->lo;
	r->x_hi = b->hi;
	rc = walk(m, fs, &s, r, rc);
	if (rc)
		goto out;
	r->x_hi = s.xh;
	rc = absent_ok(m, &s, r);
	if (rc)
		goto out;
	r->x_lo = s.xl;
	r->x_hi = s.xh;
	if (b->boots_min && r->boot_count < b->boots_min)
		rc = fail(r, "boot counter %llu, but boot %llu's count was acknowledged",
			  (unsigned long long)r->boot_count, (unsigned long long)b->boots_min);
	else if (r->boot_count > b->boots_max)
		rc = fail(r, "boot counter %llu, only %llu boots were recorded",
			  (unsigned long long)r->boot_count, (unsigned long long)b->boots_max);
out:
	free(s.val);
	free(s.want);
	return rc;
}

/* cc_check: mount read-only, then every rule of the oracle (crash_check.h). */
int cc_check(const struct cm_model *m, struct blkdev *bd, const struct cc_bounds *b,
	     struct cc_result *r)
{
	memset(r, 0, sizeof(*r));
	struct statefs_config cfg = { .bdev = bd, .flags = STATEFS_MOUNT_READ_ONLY };
	struct statefs *fs = NULL;
	r->mount_err = statefs_mount(&fs, &cfg, &r->rep);
	if (r->mount_err == CAIRN_ENOENT) {
		/* No superblock yet: a crash before the store was first formatted. */
		r->x_lo = r->x_hi = -1;
		if (b->lo >= 0 || b->boots_min)
			return fail(r, "no store on the device, but op %lld was acknowledged",
				    (long long)b->lo);
		return 0;
	}
	if (r->mount_err == CAIRN_ENOMEM)
		return CAIRN_ENOMEM;
	if (r->mount_err)
		return fail(r, "mount failed: %s", cairn_strerror(r->mount_err));
	int rc = check_mounted(m, fs, b, r);
	statefs_abandon(fs);
	return rc;
}
