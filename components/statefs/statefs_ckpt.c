/* statefs index checkpoints: the live index written into the journal as a run of
 * CKPT records (chunks of at most STATEFS_VALUE_MAX bytes), so a mount loads it and
 * replays only the records after it. Crash safety: a checkpoint is appended and
 * committed (write + flush) like any record, and only then named by a superblock
 * write; until that write is durable the previous superblock (and checkpoint)
 * stays in force, and the chunks are records that change no key. A checkpoint that
 * fails to load is stepped over (its extent is in the superblock) and the mount
 * falls back to the previous one or to a full replay (docs/statefs.md). */
#include <stdlib.h>
#include <string.h>

#include "statefs_internal.h"

/* Chunk payload header fields (offsets in the CKPT record's value). */
#define CK_INDEX 0  /* u32 chunk number, from 0 */
#define CK_COUNT 4  /* u32 chunks in the checkpoint */
#define CK_NENT 8   /* u32 entries in this chunk */
#define CK_TOTAL 12 /* u32 entries (live keys) in the checkpoint */
#define CK_FIRST 16 /* u64 sequence number of chunk 0 */

/* Loader state across the chunks of one checkpoint. */
struct ckload {
	uint32_t count, total, index;
	uint64_t first_seq;
};

/* key_after: key (klen) sorts strictly after the last key in ix. */
static bool key_after(const struct statefs_index *ix, const uint8_t *key, size_t klen)
{
	if (ix->n == 0)
		return true;
	const struct statefs_entry *e = &ix->v[ix->n - 1];
	size_t n = klen < e->key_len ? klen : e->key_len;
	int c = memcmp(key, e->key, n);
	return c > 0 || (c == 0 && klen > e->key_len);
}

/* load_entries: parse one chunk's entries (payload p, len bytes) into ix. Every
 * entry must name a valid key, in order, whose record lies before the checkpoint. */
static int load_entries(struct ckload *st, const uint8_t *p, size_t len, uint64_t limit,
			struct statefs_index *ix)
{
	uint32_t n = statefs_get32(p + CK_NENT);
	size_t at = STATEFS_CKPT_HDR;
	for (uint32_t i = 0; i < n; i++) {
		if (len - at < STATEFS_CKPT_ENTRY)
			return CAIRN_EBADMSG;
		uint16_t klen = statefs_get16(p + at);
		uint32_t vlen = statefs_get32(p + at + 2);
		uint64_t off = statefs_get64(p + at + 6);
		const uint8_t *key = p + at + STATEFS_CKPT_ENTRY;
		if (klen == 0 || klen > STATEFS_KEY_MAX || len - at - STATEFS_CKPT_ENTRY < klen ||
		    vlen > STATEFS_VALUE_MAX || off > limit ||
		    statefs_rec_len(klen, vlen) > limit - off || ix->n >= st->total ||
		    statefs_key_check((const char *)key, klen) || !key_after(ix, key, klen))
			return CAIRN_EBADMSG;
		int err = statefs_index_append(ix, (const char *)key, klen, off, vlen);
		if (err)
			return err;
		at += STATEFS_CKPT_ENTRY + (size_t)klen;
	}
	return at == len ? 0 : CAIRN_EBADMSG;
}

/* load_chunk: the record at off is chunk st->index of this checkpoint; load it.
 * 1 when no such chunk is there, CAIRN_EBADMSG when it is malformed. */
static int load_chunk(struct statefs *fs, struct ckload *st, uint64_t off, uint64_t limit,
		      struct statefs_index *ix, struct statefs_rec *r)
{
	int err = statefs_read_record(fs, &fs->w, off, r);
	if (err == CAIRN_EBADMSG)
		return 1;
	if (err)
		return err;
	const uint8_t *p = fs->rbuf;
	if (r->type != STATEFS_REC_CKPT || r->epoch < fs->sb.region_epoch ||
	    r->epoch > fs->sb.epoch || statefs_get32(p + CK_INDEX) != st->index)
		return 1;
	if (st->index == 0) {
		st->count = statefs_get32(p + CK_COUNT);
		st->total = statefs_get32(p + CK_TOTAL);
		st->first_seq = statefs_get64(p + CK_FIRST);
		if (st->first_seq != r->seq || st->count == 0 || st->total > fs->max_keys)
			return CAIRN_EBADMSG;
	}
	if (statefs_get32(p + CK_COUNT) != st->count || statefs_get32(p + CK_TOTAL) != st->total ||
	    statefs_get64(p + CK_FIRST) != st->first_seq || r->seq != st->first_seq + st->index)
		return CAIRN_EBADMSG;
	return load_entries(st, p, r->value_len, limit, ix);
}

/* statefs_ckpt_load: see statefs_internal.h. Chunks follow each other, or the next
 * one starts at the following sector (a full write buffer was committed between
 * them); each is identified by its number and sequence, so neither is ambiguous. */
int statefs_ckpt_load(struct statefs *fs, const struct statefs_ckpt_ref *ref,
		      struct statefs_index *ix, uint64_t *epoch)
{
	struct ckload *st = calloc(1, sizeof(*st));
	if (!st)
		return CAIRN_ENOMEM;
	struct statefs_rec r = { 0 };
	uint64_t off = ref->off;
	int err = statefs_ra_begin(fs);
	for (; !err && (st->index == 0 || st->index < st->count); st->index++) {
		err = load_chunk(fs, st, off, ref->off, ix, &r);
		if (err == 1 && st->index > 0 && off % fs->ss) {
			off += fs->ss - off % fs->ss;
			err = load_chunk(fs, st, off, ref->off, ix, &r);
		}
		off += statefs_rec_len(r.key_len, r.value_len);
	}
	if (err == 1 ||
	    (!err && (off != ref->end || r.seq + 1 != ref->next_seq || ix->n != st->total)))
		err = CAIRN_EBADMSG;
	statefs_ra_end(fs);
	*epoch = r.epoch;
	free(st);
	return err;
}

/* chunk_plan: record lengths of the chunks the index packs into (lens may be NULL);
 * returns the chunk count. */
static size_t chunk_plan(const struct statefs_index *ix, uint64_t *lens)
{
	size_t chunks = 0, i = 0;
	do {
		size_t len = STATEFS_CKPT_HDR;
		while (i < ix->n &&
		       len + STATEFS_CKPT_ENTRY + ix->v[i].key_len <= STATEFS_VALUE_MAX)
			len += STATEFS_CKPT_ENTRY + ix->v[i++].key_len;
		if (lens)
			lens[chunks] = statefs_rec_len(0, len);
		chunks++;
	} while (i < ix->n);
	return chunks;
}

/* write_chunks: append the checkpoint's chunks to the live writer. */
static int write_chunks(struct statefs *fs, size_t chunks, struct statefs_ckpt_ref *ref)
{
	uint8_t *p = malloc(STATEFS_VALUE_MAX);
	if (!p)
		return CAIRN_ENOMEM;
	uint64_t first = fs->next_seq;
	size_t i = 0;
	int err = 0;
	for (size_t c = 0; c < chunks && !err; c++) {
		size_t len = STATEFS_CKPT_HDR;
		uint32_t n = 0;
		for (; i < fs->ix.n &&
		       len + STATEFS_CKPT_ENTRY + fs->ix.v[i].key_len <= STATEFS_VALUE_MAX;
		     i++, n++) {
			const struct statefs_entry *e = &fs->ix.v[i];
			statefs_put16(p + len, e->key_len);
			statefs_put32(p + len + 2, e->value_len);
			statefs_put64(p + len + 6, e->off);
			memcpy(p + len + STATEFS_CKPT_ENTRY, e->key, e->key_len);
			len += STATEFS_CKPT_ENTRY + e->key_len;
		}
		statefs_put32(p + CK_INDEX, (uint32_t)c);
		statefs_put32(p + CK_COUNT, (uint32_t)chunks);
		statefs_put32(p + CK_NENT, n);
		statefs_put32(p + CK_TOTAL, (uint32_t)fs->ix.n);
		statefs_put64(p + CK_FIRST, first);
		struct statefs_rec r = { STATEFS_REC_CKPT, 0, 0, (uint32_t)len, fs->epoch,
					 fs->next_seq,	   0 };
		uint64_t off;
		err = statefs_append(fs, &fs->w, &r, "", p, &off);
		if (!err && c == 0)
			ref->off = off;
		if (!err)
			fs->next_seq++;
	}
	free(p);
	ref->end = fs->w.end;
	ref->next_seq = fs->next_seq;
	return err;
}

/* due: is a checkpoint worth writing now? At a sync: ckpt_interval bytes of
 * records appended since the last one and at least twice its size (checkpoints
 * then take at most a third of the log). At an unmount or a compaction: when the
 * records a mount would otherwise replay are at least a quarter of the interval
 * (smaller journals replay in about the time the checkpoint takes to load) and
 * more than the checkpoint itself. */
static bool due(const struct statefs *fs, int why, uint64_t size)
{
	uint64_t appended = fs->w.end - fs->ckpt_base;
	if (why == STATEFS_CKPT_AT_SYNC)
		return appended >= fs->ckpt_interval && appended >= 2 * size;
	return appended >= fs->ckpt_interval / 4 && appended > size;
}

/* statefs_ckpt_maybe: see statefs_internal.h. Precondition: the writer is committed
 * (everything the index points at is durable) and the session has started. */
int statefs_ckpt_maybe(struct statefs *fs, int why)
{
	if (fs->no_ckpt || fs->read_only || fs->refused || fs->broken || !fs->session_started ||
	    fs->w.tail != fs->w.written || fs->ix.n > UINT32_MAX)
		return 0;
	size_t chunks = chunk_plan(&fs->ix, NULL);
	uint64_t *lens = malloc(chunks * sizeof(*lens));
	if (!lens)
		return CAIRN_ENOMEM;
	chunk_plan(&fs->ix, lens);
	uint64_t size = 0;
	for (size_t i = 0; i < chunks; i++)
		size += lens[i];
	bool fits = statefs_append_end(fs, &fs->w, lens, chunks) <= fs->w.region_bytes;
	free(lens);
	if (!fits || !due(fs, why, size))
		return 0;
	struct statefs_ckpt_ref ref = { 0 };
	int err = write_chunks(fs, chunks, &ref);
	if (!err)
		err = statefs_writer_commit(fs, &fs->w);
	if (err)
		return statefs_fail(fs, err == CAIRN_ENOMEM ? err : CAIRN_EIO);
	/* the chunks are durable: name them (everything before them is durable too) */
	struct statefs_super sb = fs->sb;
	sb.generation++;
	sb.ckpt[1] = sb.ckpt[0];
	sb.ckpt[0] = ref;
	sb.durable_end = ref.end;
	err = statefs_super_write(fs->bd, &sb, &fs->bytes_written);
	if (err)
		return statefs_fail(fs, err);
	fs->sb = sb;
	fs->ckpt_base = ref.end;
	fs->ckpt_bytes = ref.end - ref.off;
	fs->checkpoints++;
	return 0;
}
