/* statefs check (fsck): both superblocks, a fresh replay of the active region
 * compared with the live index, and a CRC re-read of every live record. */
#include <stdlib.h>
#include <string.h>

#include "statefs_internal.h"

/* super_mask: which superblock copies decode as valid. */
static int super_mask(struct statefs *fs, uint32_t *mask)
{
	struct statefs_super sb;
	*mask = 0;
	for (uint32_t i = 0; i < STATEFS_SB_COPIES; i++) {
		if (blkdev_read(fs->bd, i, fs->sbuf, 1))
			return CAIRN_EIO;
		if (statefs_super_decode(&sb, fs->sbuf, fs->ss, fs->bd->info.sector_count) == 0)
			*mask |= 1u << i;
	}
	fs->sbuf_valid = false;
	return 0;
}

/* same_index: the fresh replay's index equals the live one entry for entry. */
static bool same_index(const struct statefs_index *a, const struct statefs_index *b)
{
	if (a->n != b->n || a->live_bytes != b->live_bytes)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct statefs_entry *x = &a->v[i], *y = &b->v[i];
		if (x->key_len != y->key_len || x->off != y->off || x->value_len != y->value_len ||
		    memcmp(x->key, y->key, x->key_len) != 0)
			return false;
	}
	return true;
}

/* check_records: re-read every live record; first failure goes in rep. */
static int check_records(struct statefs *fs, struct statefs_check_report *rep)
{
	for (size_t i = 0; i < fs->ix.n; i++) {
		const struct statefs_entry *e = &fs->ix.v[i];
		struct statefs_rec r;
		int err = statefs_read_record(fs, &fs->w, e->off, &r);
		if (err == CAIRN_EIO || err == CAIRN_ENOMEM)
			return err;
		if (err || r.type != STATEFS_REC_PUT || r.key_len != e->key_len ||
		    r.value_len != e->value_len || memcmp(fs->rbuf, e->key, e->key_len) != 0 ||
		    statefs_key_check(e->key, e->key_len)) {
			rep->problem = STATEFS_CHECK_RECORD;
			rep->bad_offset = e->off;
			return 0;
		}
	}
	return 0;
}

/* checkpoints_ok: every checkpoint the superblock names loads (chunks, CRCs,
 * ordered in-bounds keys). The mount's index, whichever checkpoint it started
 * from, is compared with a full replay separately. */
static int checkpoints_ok(struct statefs *fs, bool *ok)
{
	*ok = true;
	for (unsigned i = 0; i < 2 && fs->sb.ckpt[i].end; i++) {
		struct statefs_index ix = { 0 };
		uint64_t epoch;
		int err = statefs_ckpt_load(fs, &fs->sb.ckpt[i], &ix, &epoch);
		statefs_index_free(&ix);
		if (err == CAIRN_EBADMSG)
			*ok = false;
		else if (err)
			return err;
	}
	return 0;
}

/* statefs_check: see statefs.h. */
int statefs_check(struct statefs *fs, struct statefs_check_report *rep)
{
	struct statefs_check_report local;
	struct statefs_replay_report rr = { 0 };
	struct statefs_index fresh = { 0 };
	uint64_t next_seq;
	bool ckpt_ok = true;
	if (!fs)
		return CAIRN_EINVAL;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	int err = super_mask(fs, &rep->super_valid_mask);
	if (!err)
		err = statefs_replay(fs, &fs->w, &fresh, &rr, &next_seq);
	if (!err)
		err = check_records(fs, rep);
	if (!err)
		err = checkpoints_ok(fs, &ckpt_ok);
	if (!err && rep->problem == STATEFS_CHECK_OK) {
		rep->stop_reason = rr.stop_reason;
		enum statefs_mount_class cls = rr.mount_class > fs->replay.mount_class
						       ? rr.mount_class
						       : fs->replay.mount_class;
		/* a mount from a checkpoint never read the records before it; the full
		 * replay's class (damage there) is reported before the index mismatch */
		if (cls < STATEFS_CLASS_DAMAGED &&
		    (!same_index(&fresh, &fs->ix) || rr.stop_offset != fs->w.end)) {
			rep->problem = STATEFS_CHECK_INDEX;
		} else if (cls == STATEFS_CLASS_ROLLED_BACK) {
			rep->problem = STATEFS_CHECK_ROLLED_BACK;
			rep->bad_offset = fs->replay.evidence_offset;
		} else if (cls == STATEFS_CLASS_DAMAGED) {
			rep->problem = STATEFS_CHECK_DAMAGED;
			rep->bad_offset = rr.bad_offset;
		} else if (!rr.clean) {
			rep->problem = STATEFS_CHECK_TORN_TAIL;
			rep->bad_offset = rr.bad_offset;
		} else if (rep->super_valid_mask != 3) {
			rep->problem = STATEFS_CHECK_SUPER_COPY;
		} else if (!ckpt_ok || rr.ckpt_records_skipped) {
			rep->problem = STATEFS_CHECK_CHECKPOINT;
		}
	}
	rep->records_checked = rr.records_replayed;
	rep->keys = fs->ix.n;
	statefs_index_free(&fresh);
	if (err)
		return err;
	return rep->problem == STATEFS_CHECK_RECORD || rep->problem == STATEFS_CHECK_INDEX ||
			       rep->problem == STATEFS_CHECK_DAMAGED ||
			       rep->problem == STATEFS_CHECK_ROLLED_BACK
		       ? CAIRN_EBADMSG
		       : 0;
}
