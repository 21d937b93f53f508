/* statefs compaction: copy the live set (with the pending operations applied) into
 * the idle region under a fresh epoch, flush it, then switch regions with a single
 * superblock write. A crash before that write is durable leaves the old region in
 * force, untouched; after it, the new region holds the complete new state. */
#include <stdlib.h>
#include <string.h>

#include "statefs_internal.h"

/* touched: some op in the batch names key. */
static bool touched(const struct statefs_op *ops, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ops[i].key, key) == 0)
			return true;
	return false;
}

/* copy_live: append every live record not touched by ops to nw; loc gets the new
 * offsets (UINT64_MAX for touched keys). */
static int copy_live(struct statefs *fs, struct statefs_writer *nw, const struct statefs_op *ops,
		     size_t n, uint64_t epoch, uint64_t *seq, uint64_t *loc)
{
	for (size_t i = 0; i < fs->ix.n; i++) {
		const struct statefs_entry *e = &fs->ix.v[i];
		struct statefs_rec r;
		loc[i] = UINT64_MAX;
		if (touched(ops, n, e->key))
			continue;
		int err = statefs_read_record(fs, &fs->w, e->off, &r);
		if (err)
			return err;
		if (r.type != STATEFS_REC_PUT || r.key_len != e->key_len ||
		    memcmp(fs->rbuf, e->key, e->key_len))
			return CAIRN_EBADMSG;
		struct statefs_rec nr = { STATEFS_REC_PUT, 0,	     r.key_len, r.value_len,
					  epoch,	   (*seq)++, 0 };
		err = statefs_append(fs, nw, &nr, (const char *)fs->rbuf, fs->rbuf + r.key_len,
				     &loc[i]);
		if (err)
			return err;
	}
	return 0;
}

/* copy_ops: append the final put of each key the batch touches. */
static int copy_ops(struct statefs *fs, struct statefs_writer *nw, const struct statefs_op *ops,
		    size_t n, uint64_t epoch, uint64_t *seq, uint64_t *offs)
{
	for (size_t i = 0; i < n; i++) {
		offs[i] = UINT64_MAX;
		if (ops[i].type != STATEFS_OP_PUT || !statefs_op_is_final(ops, n, i))
			continue;
		struct statefs_rec nr = { STATEFS_REC_PUT,
					  0,
					  (uint16_t)strlen(ops[i].key),
					  (uint32_t)ops[i].value_len,
					  epoch,
					  (*seq)++,
					  0 };
		int err = statefs_append(fs, nw, &nr, ops[i].key, ops[i].value, &offs[i]);
		if (err)
			return err;
	}
	return 0;
}

/* write_region: fill nw with the new state and make it durable (not yet live). */
static int write_region(struct statefs *fs, struct statefs_writer *nw, const struct statefs_op *ops,
			size_t n, uint64_t epoch, uint64_t *seq, uint64_t *loc, uint64_t *offs)
{
	int err = copy_live(fs, nw, ops, n, epoch, seq, loc);
	if (!err)
		err = copy_ops(fs, nw, ops, n, epoch, seq, offs);
	if (!err)
		err = statefs_writer_flush(fs, nw);
	if (!err && blkdev_flush(fs->bd))
		err = CAIRN_EIO;
	return err;
}

/* commit: the superblock switched: point the index and the writer at the new region. */
static int commit(struct statefs *fs, struct statefs_writer *nw, const struct statefs_super *sb,
		  const struct statefs_op *ops, size_t n, const uint64_t *loc, const uint64_t *offs)
{
	for (size_t i = 0; i < fs->ix.n; i++)
		if (loc[i] != UINT64_MAX)
			fs->ix.v[i].off = loc[i];
	statefs_writer_free(&fs->w);
	fs->w = *nw;
	fs->w.commit_on_full = true;
	statefs_writer_skip(&fs->w, fs->ss); /* the flushed last sector is never rewritten */
	fs->sb = *sb;
	fs->epoch = fs->epoch_hi = sb->epoch;
	fs->sbuf_valid = false;
	fs->need_flush = false;
	fs->compactions++;
	return statefs_apply_ops_index(fs, ops, n, offs);
}

/* statefs_compact: see statefs_internal.h. Precondition: the caller checked that the
 * live set with ops applied fits in one region. */
int statefs_compact(struct statefs *fs, const struct statefs_op *ops, size_t n)
{
	uint32_t target = 1 - fs->sb.active;
	struct statefs_writer nw;
	uint64_t offs[STATEFS_BATCH_MAX];
	int err = statefs_writer_init(&nw, fs->ss, fs->sb.region_lba[target], fs->w.region_bytes);
	if (err)
		return err;
	uint64_t *loc = malloc((fs->ix.n + 1) * sizeof(*loc));
	if (!loc) {
		statefs_writer_free(&nw);
		return CAIRN_ENOMEM;
	}
	uint64_t epoch = fs->epoch_hi + 1, seq = fs->next_seq;
	fs->epoch_hi = epoch + 1; /* never reuse an epoch, even if this attempt fails */
	struct statefs_super sb = fs->sb;
	err = write_region(fs, &nw, ops, n, epoch, &seq, loc, offs);
	if (!err) {
		/* Appends after the switch carry epoch + 1: a record of a later epoch
		 * than the region's first one proves the switch was committed, which is
		 * how a mount that lost this superblock tells (docs/statefs.md). */
		sb.generation++;
		sb.active = target;
		sb.region_epoch = epoch;
		sb.epoch = epoch + 1;
		sb.start_seq = fs->next_seq;
		sb.durable_end = nw.end;
		memset(sb.ckpt, 0, sizeof(sb.ckpt)); /* the old region's checkpoints */
		err = statefs_super_write(fs->bd, &sb, &fs->bytes_written);
	}
	if (!err) {
		err = commit(fs, &nw, &sb, ops, n, loc, offs);
		fs->next_seq = seq;
		fs->ckpt_base = fs->ckpt_bytes = 0;
		/* then a checkpoint of the new index, named by its own superblock write
		 * (a crash before that leaves the switch in force: a replay of the live set) */
		if (!err)
			err = statefs_ckpt_maybe(fs, STATEFS_CKPT_AT_COMPACTION);
	} else {
		statefs_writer_free(&nw);
		err = statefs_fail(fs,
				   err == CAIRN_EBADMSG || err == CAIRN_ENOMEM ? err : CAIRN_EIO);
	}
	free(loc);
	return err;
}
