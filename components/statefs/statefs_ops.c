/* statefs operations: put, delete and batch (validated in full before anything is
 * written), get, size and list. */
#include <stdlib.h>
#include <string.h>

#include "statefs_internal.h"

/* key_len_checked: length of key when it is a valid key, else CAIRN_EINVAL. */
static int key_len_checked(const char *key)
{
	if (!key)
		return CAIRN_EINVAL;
	size_t len = statefs_strnlen(key, STATEFS_KEY_MAX + 1);
	if (statefs_key_check(key, len))
		return CAIRN_EINVAL;
	return (int)len;
}

/* last_op_before: index of the last op before i on the same key, or -1. */
static long last_op_before(const struct statefs_op *ops, size_t i)
{
	for (size_t j = i; j-- > 0;)
		if (strcmp(ops[j].key, ops[i].key) == 0)
			return (long)j;
	return -1;
}

/* statefs_op_is_final: no later op in the batch touches the same key (the op
 * whose record survives; compaction writes only those). */
bool statefs_op_is_final(const struct statefs_op *ops, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++)
		if (strcmp(ops[j].key, ops[i].key) == 0)
			return false;
	return true;
}

/* Sizes a validated batch implies. */
struct plan {
	uint64_t live_after;		  /* live bytes once the batch is applied */
	uint64_t append_len;		  /* journal bytes the batch's records take */
	size_t new_keys;		  /* keys the batch adds */
	uint64_t lens[STATEFS_BATCH_MAX]; /* each record's length */
};

/* check_op: validate one op in its batch context (keys, sizes, existence). */
static int check_op(const struct statefs *fs, const struct statefs_op *ops, size_t i)
{
	const struct statefs_op *op = &ops[i];
	int klen = key_len_checked(op->key);
	if (klen < 0)
		return klen;
	if (op->type == STATEFS_OP_PUT) {
		if (op->value_len > STATEFS_VALUE_MAX)
			return CAIRN_EFBIG;
		return (!op->value && op->value_len) ? CAIRN_EINVAL : 0;
	}
	if (op->type != STATEFS_OP_DELETE)
		return CAIRN_EINVAL;
	long prev = last_op_before(ops, i);
	if (prev >= 0)
		return ops[prev].type == STATEFS_OP_PUT ? 0 : CAIRN_ENOENT;
	return statefs_index_find(&fs->ix, op->key, (size_t)klen) >= 0 ? 0 : CAIRN_ENOENT;
}

/* plan_ops: validate every op and compute the batch's space needs. */
static int plan_ops(const struct statefs *fs, const struct statefs_op *ops, size_t n,
		    struct plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->live_after = fs->ix.live_bytes;
	for (size_t i = 0; i < n; i++) {
		int err = check_op(fs, ops, i);
		if (err)
			return err;
		size_t klen = strlen(ops[i].key);
		bool put = ops[i].type == STATEFS_OP_PUT;
		pl->lens[i] = statefs_rec_len(klen, put ? ops[i].value_len : 0);
		pl->append_len += pl->lens[i];
		if (!statefs_op_is_final(ops, n, i))
			continue;
		long pos = statefs_index_find(&fs->ix, ops[i].key, klen);
		if (pos >= 0)
			pl->live_after -= statefs_rec_len(klen, fs->ix.v[pos].value_len);
		if (put)
			pl->live_after += statefs_rec_len(klen, ops[i].value_len);
		if (put && pos < 0)
			pl->new_keys++;
	}
	return 0;
}

/* statefs_apply_ops_index: make the index follow ops whose records are at offs. */
int statefs_apply_ops_index(struct statefs *fs, const struct statefs_op *ops, size_t n,
			    const uint64_t *offs)
{
	for (size_t i = 0; i < n; i++) {
		size_t klen = strlen(ops[i].key);
		if (ops[i].type == STATEFS_OP_DELETE) {
			(void)statefs_index_remove(&fs->ix, ops[i].key, klen);
			continue;
		}
		if (offs[i] == UINT64_MAX)
			continue; /* compaction wrote only the key's final op */
		int err = statefs_index_set(&fs->ix, ops[i].key, klen, offs[i],
					    (uint32_t)ops[i].value_len);
		if (err)
			return statefs_fail(fs,
					    CAIRN_EIO); /* index no longer matches the journal */
	}
	return 0;
}

/* append_ops: write the batch as linked records (CONT on all but the last). */
static int append_ops(struct statefs *fs, const struct statefs_op *ops, size_t n)
{
	uint64_t offs[STATEFS_BATCH_MAX];
	for (size_t i = 0; i < n; i++) {
		bool put = ops[i].type == STATEFS_OP_PUT;
		struct statefs_rec r = {
			.type = put ? STATEFS_REC_PUT : STATEFS_REC_DEL,
			.flags = i + 1 < n ? STATEFS_REC_FLAG_CONT : 0,
			.key_len = (uint16_t)strlen(ops[i].key),
			.value_len = put ? (uint32_t)ops[i].value_len : 0,
			.epoch = fs->epoch,
			.seq = fs->next_seq++,
		};
		int err = statefs_append(fs, &fs->w, &r, ops[i].key, ops[i].value, &offs[i]);
		if (err)
			return statefs_fail(fs, CAIRN_EIO);
	}
	return statefs_apply_ops_index(fs, ops, n, offs);
}

/* statefs_reserve: see statefs.h. Two sectors at every sector size the engine
 * supports (a DEL record is at most 287 bytes): a compaction leaves the tail at the
 * sector boundary after the live set, so with this much free after it a delete
 * record and the padding of the sync that commits it fit without compacting again. */
uint64_t statefs_reserve(const struct statefs *fs)
{
	uint64_t del = statefs_rec_len(STATEFS_KEY_MAX, 0);
	return fs ? (del + fs->ss - 1) / fs->ss * fs->ss + fs->ss : 0;
}

/* fits: the live set after the change fits one region; a change that grows it must
 * also leave the reserve free (deletes and shrinking overwrites may use it). */
static bool fits(const struct statefs *fs, const struct plan *pl)
{
	if (pl->live_after > fs->w.region_bytes)
		return false;
	return pl->live_after <= fs->ix.live_bytes ||
	       pl->live_after <= fs->w.region_bytes - statefs_reserve(fs);
}

/* do_ops: the one mutation path behind put, delete and batch. */
static int do_ops(struct statefs *fs, const struct statefs_op *ops, size_t n)
{
	struct plan pl;
	if (!fs || !ops || n == 0 || n > STATEFS_BATCH_MAX)
		return CAIRN_EINVAL;
	int err = plan_ops(fs, ops, n, &pl);
	if (err)
		return err;
	err = statefs_may_write(fs);
	if (err)
		return err;
	if (fs->ix.n + pl.new_keys > fs->max_keys || !fits(fs, &pl))
		return CAIRN_ENOSPC;
	err = statefs_start_session(fs);
	if (err)
		return err;
	/* the padding of the commits a full buffer forces counts too */
	if (statefs_append_end(fs, &fs->w, pl.lens, n) != UINT64_MAX)
		return append_ops(fs, ops, n);
	return statefs_compact(fs, ops, n);
}

/* statefs_compact_now: see statefs.h. */
int statefs_compact_now(struct statefs *fs)
{
	if (!fs)
		return CAIRN_EINVAL;
	int err = statefs_may_write(fs);
	if (!err)
		err = statefs_start_session(fs);
	return err ? err : statefs_compact(fs, NULL, 0);
}

/* statefs_put: one-op batch. */
int statefs_put(struct statefs *fs, const char *key, const void *value, size_t len)
{
	struct statefs_op op = { STATEFS_OP_PUT, key, value, len };
	return do_ops(fs, &op, 1);
}

/* statefs_delete: one-op batch. */
int statefs_delete(struct statefs *fs, const char *key)
{
	struct statefs_op op = { STATEFS_OP_DELETE, key, NULL, 0 };
	return do_ops(fs, &op, 1);
}

/* statefs_batch: several ops, all or nothing. */
int statefs_batch(struct statefs *fs, const struct statefs_op *ops, size_t n)
{
	return do_ops(fs, ops, n);
}

/* lookup: validate key and find its entry. */
static int lookup(struct statefs *fs, const char *key, struct statefs_entry **e)
{
	if (!fs)
		return CAIRN_EINVAL;
	int klen = key_len_checked(key);
	if (klen < 0)
		return klen;
	long pos = statefs_index_find(&fs->ix, key, (size_t)klen);
	if (pos < 0)
		return CAIRN_ENOENT;
	*e = &fs->ix.v[pos];
	return 0;
}

/* statefs_size: value length of key. */
int statefs_size(struct statefs *fs, const char *key)
{
	struct statefs_entry *e;
	int err = lookup(fs, key, &e);
	return err ? err : (int)e->value_len;
}

/* statefs_get: read the key's record from the journal and re-verify its CRC, so
 * data corrupted on the device after mount is reported, never returned. */
int statefs_get(struct statefs *fs, const char *key, void *buf, size_t bufsize)
{
	struct statefs_entry *e;
	struct statefs_rec r;
	int err = lookup(fs, key, &e);
	if (err)
		return err;
	if (bufsize < e->value_len)
		return CAIRN_ERANGE;
	if (e->value_len && !buf)
		return CAIRN_EINVAL;
	err = statefs_read_record(fs, &fs->w, e->off, &r);
	if (err)
		return err == CAIRN_EBADMSG ? err : CAIRN_EIO;
	if (r.type != STATEFS_REC_PUT || r.key_len != e->key_len || r.value_len != e->value_len ||
	    memcmp(fs->rbuf, e->key, e->key_len) != 0)
		return CAIRN_EBADMSG;
	if (r.value_len)
		memcpy(buf, fs->rbuf + r.key_len, r.value_len);
	return (int)r.value_len;
}

/* statefs_list: keys with a byte prefix, in order, strictly after `after`. */
int statefs_list(struct statefs *fs, const char *prefix, const char *after,
		 struct statefs_dirent *out, size_t max)
{
	if (!fs || !prefix || (max && !out))
		return CAIRN_EINVAL;
	size_t plen = statefs_strnlen(prefix, STATEFS_KEY_MAX + 1);
	if (plen > STATEFS_KEY_MAX)
		return CAIRN_EINVAL;
	long pos = statefs_index_find(&fs->ix, prefix, plen);
	size_t i = pos >= 0 ? (size_t)pos : (size_t)(-pos - 1);
	if (after && after[0]) {
		size_t alen = statefs_strnlen(after, STATEFS_KEY_MAX + 1);
		long apos = statefs_index_find(&fs->ix, after, alen);
		size_t ai = apos >= 0 ? (size_t)apos + 1 : (size_t)(-apos - 1);
		if (ai > i)
			i = ai;
	}
	size_t count = 0;
	for (; i < fs->ix.n && count < max && count < (size_t)INT32_MAX; i++) {
		const struct statefs_entry *e = &fs->ix.v[i];
		if (e->key_len < plen || memcmp(e->key, prefix, plen) != 0)
			break;
		memcpy(out[count].key, e->key, (size_t)e->key_len + 1);
		out[count].value_len = e->value_len;
		count++;
	}
	return (int)count;
}
