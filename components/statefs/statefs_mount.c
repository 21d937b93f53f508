/* statefs lifecycle: format, mount (superblock + replay), sessions (epoch bump
 * before the first append), sync, unmount, tail repair and statistics. */
#include <stdlib.h>
#include <string.h>

#include "statefs_internal.h"

/* statefs_fail: mark the instance broken after a device error and return err. */
int statefs_fail(struct statefs *fs, int err)
{
	if (err == CAIRN_EIO)
		fs->broken = true;
	return err;
}

/* zero_sector: write one zeroed sector at lba. */
static int zero_sector(struct blkdev *bd, uint64_t lba)
{
	uint8_t *z = calloc(1, bd->info.sector_size);
	if (!z)
		return CAIRN_ENOMEM;
	int err = blkdev_write(bd, lba, z, 1);
	free(z);
	return err;
}

/* statefs_format: lay out two superblocks and two equal regions. Generation and
 * epoch continue above any previous store's so its records stay stale. */
int statefs_format(struct blkdev *bd)
{
	if (!bd)
		return CAIRN_EINVAL;
	if (bd->info.read_only)
		return CAIRN_EROFS;
	uint64_t count = bd->info.sector_count;
	if (count < STATEFS_FIRST_REGION_LBA + 2 * STATEFS_MIN_REGION_SECTORS)
		return CAIRN_EINVAL;
	struct statefs_super old, sb = { 0 };
	uint32_t mask;
	/* Generation and epoch continue above an old store's; a read or memory error
	 * here must not pass for "no old store" (its records would not be stale). */
	int rd = statefs_super_read(bd, &old, &mask);
	if (rd == CAIRN_EIO || rd == CAIRN_ENOMEM)
		return rd;
	bool had_old = rd == 0;
	sb.sector_size = bd->info.sector_size;
	sb.region_sectors = (count - STATEFS_FIRST_REGION_LBA) / 2;
	uint64_t cap = ((uint64_t)UINT32_MAX * STATEFS_REC_HDR) / sb.sector_size;
	if (sb.region_sectors > cap)
		sb.region_sectors = cap; /* keeps region bytes / 32 within 32 bits */
	sb.sector_count = STATEFS_FIRST_REGION_LBA + 2 * sb.region_sectors;
	sb.region_lba[0] = STATEFS_FIRST_REGION_LBA;
	sb.region_lba[1] = STATEFS_FIRST_REGION_LBA + sb.region_sectors;
	sb.epoch = sb.region_epoch = had_old ? old.epoch + 1 : 1;
	sb.start_seq = 1;
	uint64_t gen = had_old ? old.generation + 1 : 1;
	int err = zero_sector(bd, sb.region_lba[0]);
	if (!err)
		err = zero_sector(bd, sb.region_lba[1]);
	for (int i = 0; i < 2 && !err; i++) {
		sb.generation = gen + (uint64_t)i;
		err = statefs_super_write(bd, &sb, NULL);
	}
	if (err && err != CAIRN_ENOMEM && err != CAIRN_EROFS)
		err = CAIRN_EIO;
	return err;
}

/* alloc_instance: allocate fs and its buffers for cfg. */
static int alloc_instance(struct statefs **fsp, const struct statefs_config *cfg)
{
	struct statefs *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return CAIRN_ENOMEM;
	fs->bd = cfg->bdev;
	fs->ss = cfg->bdev->info.sector_size;
	fs->max_keys = cfg->max_keys ? cfg->max_keys : STATEFS_DEFAULT_MAX_KEYS;
	fs->read_only = (cfg->flags & STATEFS_MOUNT_READ_ONLY) || cfg->bdev->info.read_only;
	fs->no_ckpt = cfg->flags & STATEFS_MOUNT_NO_CHECKPOINT;
	fs->ckpt_interval = cfg->ckpt_interval ? cfg->ckpt_interval : STATEFS_DEFAULT_CKPT_INTERVAL;
	fs->rbuf = malloc(STATEFS_REC_MAX);
	fs->sbuf = malloc(fs->ss);
	*fsp = fs;
	return fs->rbuf && fs->sbuf ? 0 : CAIRN_ENOMEM;
}

/* read_super: find the superblock, formatting an empty device when allowed. */
static int read_super(struct statefs *fs, uint32_t flags, bool *formatted)
{
	uint32_t mask;
	int err = statefs_super_read(fs->bd, &fs->sb, &mask);
	if (err != CAIRN_ENOENT || !(flags & STATEFS_MOUNT_FORMAT_EMPTY))
		return err;
	if (fs->read_only)
		return CAIRN_EROFS;
	err = statefs_format(fs->bd);
	if (err)
		return err;
	fs->bytes_written += 4ull * fs->ss;
	*formatted = true;
	return statefs_super_read(fs->bd, &fs->sb, &mask);
}

/* check_idle: does the idle region hold a state newer than the superblock in use?
 * A compaction writes it under a fresh epoch E (greater than the superblock's) and
 * the switch makes later appends carry E + 1; so a record of a later epoch than the
 * region's first one proves the switch was committed and its superblock lost
 * (ROLLED_BACK). Records of epoch E alone are a compaction that never switched.
 * Either way epoch_hi moves above every epoch found, so no later epoch repeats one. */
static int check_idle(struct statefs *fs)
{
	uint32_t idle = 1 - fs->sb.active;
	struct statefs_writer iw = { .region_lba = fs->sb.region_lba[idle],
				     .region_bytes = fs->w.region_bytes,
				     .buf_size = fs->w.buf_size };
	struct statefs_replay_report rep;
	struct statefs_index ix = { 0 };
	struct statefs_rec r;
	uint64_t next_seq;
	int err = statefs_read_record(fs, &iw, 0, &r);
	if (err == CAIRN_EBADMSG || (!err && r.epoch <= fs->sb.epoch))
		return 0;
	if (err)
		return err;
	struct statefs_walk wk = { .start_seq = r.seq,
				   .min_epoch = r.epoch,
				   .max_epoch = STATEFS_EPOCH_LIMIT };
	struct statefs_super saved = fs->sb;
	fs->sb.active = idle; /* the walk reports against the region it reads */
	err = statefs_replay_walk(fs, &iw, &ix, &rep, &next_seq, &wk);
	fs->sb = saved;
	statefs_index_free(&ix);
	if (err)
		return err;
	if (wk.epoch_seen > fs->epoch_hi)
		fs->epoch_hi = wk.epoch_seen;
	if (wk.epoch_seen <= r.epoch || fs->replay.mount_class == STATEFS_CLASS_ROLLED_BACK)
		return 0;
	fs->idle_seq = r.seq;
	fs->idle_epoch = r.epoch;
	fs->idle_epoch_seen = wk.epoch_seen;
	fs->replay.mount_class = STATEFS_CLASS_ROLLED_BACK;
	fs->replay.clean = false;
	fs->replay.refused = true;
	fs->replay.evidence_region = idle;
	fs->replay.evidence_offset = 0;
	return 0;
}

/* load_checkpoint: start the walk from the newest checkpoint that loads (the
 * newest, else the one before it), leaving wk at a full replay when none does.
 * Every checkpoint named stays in wk->skip, so a damaged one is stepped over. */
static int load_checkpoint(struct statefs *fs, struct statefs_walk *wk)
{
	struct statefs_replay_report *rep = &fs->replay;
	for (unsigned i = 0; i < 2; i++) {
		const struct statefs_ckpt_ref *c = &fs->sb.ckpt[i];
		uint64_t epoch;
		if (!c->end)
			break;
		int err = statefs_ckpt_load(fs, c, &fs->ix, &epoch);
		if (err == CAIRN_EBADMSG) {
			statefs_index_free(&fs->ix);
			rep->checkpoint_damaged |= 1u << i;
			continue;
		}
		if (err)
			return err;
		rep->checkpoint = i ? STATEFS_CKPT_PREVIOUS : STATEFS_CKPT_NEWEST;
		rep->checkpoint_offset = c->off;
		rep->checkpoint_keys = fs->ix.n;
		wk->start_off = c->end;
		wk->start_seq = c->next_seq;
		wk->min_epoch = epoch;
		fs->ckpt_base = c->end;
		fs->ckpt_bytes = c->end - c->off;
		return 0;
	}
	if (rep->checkpoint_damaged)
		rep->checkpoint = STATEFS_CKPT_FULL_REPLAY;
	return 0;
}

/* mount_body: superblock, writer and replay for an allocated instance. */
static int mount_body(struct statefs *fs, const struct statefs_config *cfg)
{
	bool formatted = false;
	int err = read_super(fs, cfg->flags, &formatted);
	if (err)
		return err;
	const struct statefs_super *sb = &fs->sb;
	uint64_t rbytes = sb->region_sectors * fs->ss;
	err = statefs_writer_init(&fs->w, fs->ss, sb->region_lba[sb->active], rbytes);
	if (err)
		return err;
	uint64_t recs = rbytes / STATEFS_REC_HDR + 1;
	fs->max_records = cfg->max_records ? cfg->max_records
					   : (recs > UINT32_MAX ? UINT32_MAX : (uint32_t)recs);
	struct statefs_walk wk;
	statefs_walk_init(&wk, sb);
	struct statefs_replay_report ck = { 0 };
	err = load_checkpoint(fs, &wk);
	if (err)
		return err;
	ck = fs->replay; /* the walk resets the report */
	err = statefs_replay_walk(fs, &fs->w, &fs->ix, &fs->replay, &fs->next_seq, &wk);
	if (err)
		return err;
	fs->replay.checkpoint = ck.checkpoint;
	fs->replay.checkpoint_offset = ck.checkpoint_offset;
	fs->replay.checkpoint_keys = ck.checkpoint_keys;
	fs->replay.checkpoint_damaged = ck.checkpoint_damaged;
	fs->ckpt_repair = ck.checkpoint_damaged || fs->replay.ckpt_records_skipped;
	fs->tail_first = wk.tail_first;
	fs->replay.formatted = formatted;
	fs->epoch = fs->epoch_hi = sb->epoch;
	err = check_idle(fs);
	if (err)
		return err;
	fs->refused = fs->replay.refused;
	return statefs_writer_load_tail(fs, &fs->w, fs->replay.stop_offset);
}

/* statefs_mount: see statefs.h. */
int statefs_mount(struct statefs **fsp, const struct statefs_config *cfg,
		  struct statefs_replay_report *report)
{
	if (!fsp || !cfg || !cfg->bdev || !cfg->bdev->ops)
		return CAIRN_EINVAL;
	*fsp = NULL;
	struct statefs *fs = NULL;
	int err = alloc_instance(&fs, cfg);
	if (!err)
		err = mount_body(fs, cfg);
	if (err) {
		if (fs)
			statefs_abandon(fs);
		return err;
	}
	if (report)
		*report = fs->replay;
	*fsp = fs;
	return 0;
}

/* trim_ckpt: forget checkpoints that lie past durable_end (beyond what replayed):
 * a superblock names only durable checkpoints of the chain in force. */
static void trim_ckpt(struct statefs_super *sb)
{
	for (int i = 1; i >= 0; i--)
		if (sb->ckpt[i].end > sb->durable_end)
			memset(&sb->ckpt[i], 0, sizeof(sb->ckpt[i]));
	if (!sb->ckpt[0].end) {
		sb->ckpt[0] = sb->ckpt[1];
		memset(&sb->ckpt[1], 0, sizeof(sb->ckpt[1]));
	}
}

/* statefs_start_session: before this mount's first write, take a fresh epoch and make
 * it durable, so records written from now on can never be confused with garbage an
 * earlier session left beyond the replayed tail (see docs/statefs.md). */
int statefs_start_session(struct statefs *fs)
{
	if (fs->session_started)
		return 0;
	struct statefs_super sb = fs->sb;
	sb.epoch = (fs->epoch_hi > sb.epoch ? fs->epoch_hi : sb.epoch) + 1;
	sb.generation++;
	/* Everything replayed is durable now, except the records of a torn tail's
	 * sector, which the first write rewrites (statefs_writer_load_tail). */
	sb.durable_end = fs->w.end <= fs->w.base ? fs->w.end : fs->tail_first;
	trim_ckpt(&sb);
	int err = statefs_super_write(fs->bd, &sb, &fs->bytes_written);
	if (err)
		return statefs_fail(fs, err);
	fs->sb = sb;
	fs->epoch = fs->epoch_hi = sb.epoch;
	fs->session_started = true;
	fs->w.durable_next = true;
	return 0;
}

/* statefs_sync: write buffered records, then flush the device. */
int statefs_sync(struct statefs *fs)
{
	if (!fs)
		return CAIRN_EINVAL;
	if (fs->read_only || fs->refused)
		return 0;
	if (fs->broken)
		return CAIRN_EIO;
	int err = statefs_writer_commit(fs, &fs->w);
	if (err)
		return statefs_fail(fs, CAIRN_EIO);
	if (fs->need_flush && blkdev_flush(fs->bd))
		return statefs_fail(fs, CAIRN_EIO);
	fs->need_flush = false;
	if (fs->ckpt_repair && fs->session_started) {
		/* a damaged checkpoint stays in the chain until the region is rewritten:
		 * compact once, so no later full replay has to step over it. A live
		 * record that fails its CRC (EBADMSG) leaves things as they are. */
		fs->ckpt_repair = false;
		err = statefs_compact(fs, NULL, 0);
		if (err != CAIRN_EBADMSG)
			return err;
	}
	return statefs_ckpt_maybe(fs, STATEFS_CKPT_AT_SYNC);
}

/* statefs_abandon: free everything without touching the device. */
void statefs_abandon(struct statefs *fs)
{
	if (!fs)
		return;
	statefs_index_free(&fs->ix);
	statefs_writer_free(&fs->w);
	free(fs->rbuf);
	free(fs->sbuf);
	free(fs->ra);
	free(fs);
}

/* statefs_unmount: sync when writable, then free. */
int statefs_unmount(struct statefs *fs)
{
	if (!fs)
		return CAIRN_EINVAL;
	int err = (fs->read_only || fs->refused || fs->broken) ? 0 : statefs_sync(fs);
	if (!err)
		err = statefs_ckpt_maybe(fs, STATEFS_CKPT_AT_UNMOUNT);
	statefs_abandon(fs);
	return err;
}

/* statefs_truncate_tail: rewrite the tail sector with zeros after the last valid
 * record (or zero the sector at an aligned tail) so a later replay stops there
 * cleanly. Refused for DAMAGED and ROLLED_BACK mounts: their tail is not torn. */
int statefs_truncate_tail(struct statefs *fs)
{
	if (!fs)
		return CAIRN_EINVAL;
	struct statefs_writer *w = &fs->w;
	int err = statefs_may_write(fs);
	if (!err)
		err = statefs_start_session(fs);
	if (!err)
		err = statefs_writer_commit(fs, w); /* records still buffered, if any */
	if (err)
		return statefs_fail(fs, err);
	if (w->tail < w->region_bytes) {
		/* the sector at the tail: buffered prefix + zeros, or a zero sector */
		fs->sbuf_valid = false;
		fs->bytes_written += fs->ss;
		err = blkdev_write(fs->bd, w->region_lba + w->base / fs->ss, w->buf, 1);
	}
	if (!err)
		err = blkdev_flush(fs->bd);
	if (err)
		return statefs_fail(fs, CAIRN_EIO);
	fs->need_flush = false;
	if (w->tail % fs->ss)
		statefs_writer_skip(w, fs->ss);
	w->written = w->tail;
	return 0;
}

/* statefs_discard_damaged: see statefs.h. A fresh epoch above every epoch in the
 * region makes the records after the damage stale wherever they lie. */
int statefs_discard_damaged(struct statefs *fs)
{
	if (!fs)
		return CAIRN_EINVAL;
	if (fs->replay.mount_class != STATEFS_CLASS_DAMAGED)
		return CAIRN_EINVAL;
	if (fs->read_only)
		return CAIRN_EROFS;
	if (fs->broken)
		return CAIRN_EIO;
	fs->refused = false;
	int err = statefs_start_session(fs);
	if (!err)
		err = statefs_compact(fs, NULL, 0);
	if (err) {
		fs->refused = true;
		return err;
	}
	fs->replay.mount_class = STATEFS_CLASS_CLEAN;
	fs->replay.refused = false;
	return 0;
}

/* statefs_roll_forward: see statefs.h. The newer state is the idle region's chain
 * (a lost region switch) or the active chain read without the superblock's epoch
 * cap (a lost session start); its highest epoch becomes the superblock's. */
int statefs_roll_forward(struct statefs *fs)
{
	if (!fs)
		return CAIRN_EINVAL;
	if (fs->replay.mount_class != STATEFS_CLASS_ROLLED_BACK)
		return CAIRN_EINVAL;
	if (fs->read_only)
		return CAIRN_EROFS;
	struct statefs_super sb = fs->sb;
	if (fs->replay.evidence_region != fs->sb.active) {
		sb.active = fs->replay.evidence_region;
		sb.region_epoch = fs->idle_epoch;
		sb.start_seq = fs->idle_seq;
		sb.epoch = fs->idle_epoch_seen;
	} else {
		struct statefs_walk wk;
		statefs_walk_init(&wk, &sb);
		wk.max_epoch = STATEFS_EPOCH_LIMIT;
		wk.durable_end = 0;
		struct statefs_replay_report rep;
		struct statefs_index ix = { 0 };
		uint64_t next_seq;
		int err = statefs_replay_walk(fs, &fs->w, &ix, &rep, &next_seq, &wk);
		statefs_index_free(&ix);
		if (err)
			return err;
		if (wk.epoch_seen > sb.epoch)
			sb.epoch = wk.epoch_seen;
	}
	if (sb.epoch < fs->epoch_hi)
		sb.epoch = fs->epoch_hi;
	sb.generation++;
	sb.durable_end = 0;
	memset(sb.ckpt, 0, sizeof(sb.ckpt)); /* the next mount replays the whole chain */
	int err = statefs_super_write(fs->bd, &sb, &fs->bytes_written);
	return err ? statefs_fail(fs, err) : 0;
}

/* statefs_mount_class_name: stable names used by tools, the component and tests. */
const char *statefs_mount_class_name(enum statefs_mount_class c)
{
	static const char *const names[] = { "clean", "torn-tail", "damaged", "rolled-back" };
	if ((unsigned)c < sizeof(names) / sizeof(names[0]))
		return names[c];
	return "unknown";
}

/* statefs_stats: counters for tools, tests and benchmarks. */
void statefs_stats(const struct statefs *fs, struct statefs_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!fs)
		return;
	st->keys = fs->ix.n;
	st->live_bytes = fs->ix.live_bytes;
	st->region_bytes = fs->w.region_bytes;
	st->tail = fs->w.tail;
	st->compactions = fs->compactions;
	st->device_bytes_written = fs->bytes_written;
	st->checkpoints = fs->checkpoints;
}

/* statefs_ckpt_use_name: stable names used by tools, the component and tests. */
const char *statefs_ckpt_use_name(enum statefs_ckpt_use u)
{
	static const char *const names[] = { "none", "newest", "previous", "full-replay" };
	if ((unsigned)u < sizeof(names) / sizeof(names[0]))
		return names[u];
	return "unknown";
}

/* statefs_stop_reason_name: stable names used by tools and tests. */
const char *statefs_stop_reason_name(enum statefs_stop_reason r)
{
	static const char *const names[] = {
		"no-record", "end-of-region",  "stale-epoch", "bad-length",
		"bad-type",  "bad-epoch",      "bad-seq",     "bad-crc",
		"bad-key",   "batch-too-long", "record-cap",  "key-cap",
	};
	if ((unsigned)r < sizeof(names) / sizeof(names[0]))
		return names[r];
	return "unknown";
}
