/* statefs journal: byte-addressed reads over a region (with the write buffer laid
 * over the device), buffered record appends, record decoding and replay. Records
 * are packed back to back and may span any number of sectors. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "statefs_internal.h"

/* statefs_ra_begin: a walk (replay, checkpoint load) reads the region front to
 * back: read it in windows of STATEFS_RA_BYTES instead of sector by sector (one
 * device request per window, which is what a mount costs in the image).
 * CAIRN_ENOMEM. */
int statefs_ra_begin(struct statefs *fs)
{
	if (!fs->ra)
		fs->ra = malloc(STATEFS_RA_BYTES);
	fs->ra_n = 0;
	return fs->ra ? 0 : CAIRN_ENOMEM;
}

/* statefs_ra_end: drop the window (nothing may be cached across writes). */
void statefs_ra_end(struct statefs *fs)
{
	free(fs->ra);
	fs->ra = NULL;
	fs->ra_n = 0;
}

/* ra_read: len region bytes at off through the read-ahead window; the window never
 * passes the region's end (rsec sectors from lba0). */
static int ra_read(struct statefs *fs, uint64_t lba0, uint64_t rsec, uint64_t off, uint8_t *buf,
		   size_t len)
{
	uint32_t ss = fs->ss, win = STATEFS_RA_BYTES / ss;
	while (len > 0) {
		uint64_t lba = lba0 + off / ss;
		if (fs->ra_n == 0 || lba < fs->ra_lba || lba >= fs->ra_lba + fs->ra_n) {
			uint64_t left = lba0 + rsec - lba;
			uint32_t n = left < win ? (uint32_t)left : win;
			fs->ra_n = 0;
			if (n == 0 || blkdev_read(fs->bd, lba, fs->ra, n))
				return CAIRN_EIO;
			fs->ra_lba = lba;
			fs->ra_n = n;
		}
		size_t in = (size_t)((lba - fs->ra_lba) * ss + off % ss);
		size_t n = (size_t)fs->ra_n * ss - in < len ? (size_t)fs->ra_n * ss - in : len;
		memcpy(buf, fs->ra + in, n);
		buf += n, off += n, len -= n;
	}
	return 0;
}

/* disk_read: read len region bytes at off straight from the device (through the
 * read-ahead window during a walk). Partial sectors go through the one-sector
 * cache; whole sectors land directly in buf. */
static int disk_read(struct statefs *fs, uint64_t lba0, uint64_t rsec, uint64_t off, uint8_t *buf,
		     size_t len)
{
	uint32_t ss = fs->ss;
	if (fs->ra)
		return ra_read(fs, lba0, rsec, off, buf, len);
	while (len > 0) {
		uint64_t lba = lba0 + off / ss;
		size_t in = (size_t)(off % ss);
		if (in == 0 && len >= ss) {
			uint32_t n = (uint32_t)(len / ss > 1024 ? 1024 : len / ss);
			if (blkdev_read(fs->bd, lba, buf, n))
				return CAIRN_EIO;
			buf += (size_t)n * ss, off += (uint64_t)n * ss, len -= (size_t)n * ss;
			continue;
		}
		if (!fs->sbuf_valid || fs->sbuf_lba != lba) {
			fs->sbuf_valid = false;
			if (blkdev_read(fs->bd, lba, fs->sbuf, 1))
				return CAIRN_EIO;
			fs->sbuf_lba = lba;
			fs->sbuf_valid = true;
		}
		size_t n = ss - in < len ? ss - in : len;
		memcpy(buf, fs->sbuf + in, n);
		buf += n, off += n, len -= n;
	}
	return 0;
}

/* statefs_read_bytes: read region bytes [off, off+len); bytes in the writer's
 * buffered window [base, tail) come from memory, the rest from the device. */
int statefs_read_bytes(struct statefs *fs, const struct statefs_writer *w, uint64_t off, void *buf,
		       size_t len)
{
	uint8_t *p = buf;
	if (off > w->region_bytes || len > w->region_bytes - off)
		return CAIRN_EBADMSG;
	while (len > 0) {
		if (off >= w->base && off < w->tail) {
			size_t n = (size_t)(w->tail - off) < len ? (size_t)(w->tail - off) : len;
			memcpy(p, w->buf + (off - w->base), n);
			p += n, off += n, len -= n;
			continue;
		}
		size_t n = len;
		if (off < w->base && w->base - off < n)
			n = (size_t)(w->base - off);
		int err = disk_read(fs, w->region_lba, w->region_bytes / fs->ss, off, p, n);
		if (err)
			return err;
		p += n, off += n, len -= n;
	}
	return 0;
}

/* statefs_writer_init: an empty writer at offset 0 of the region at lba. */
int statefs_writer_init(struct statefs_writer *w, uint32_t ss, uint64_t lba, uint64_t bytes)
{
	memset(w, 0, sizeof(*w));
	w->buf_size = ((STATEFS_REC_MAX + ss - 1) / ss) * ss + ss;
	w->buf = calloc(1, w->buf_size);
	if (!w->buf)
		return CAIRN_ENOMEM;
	w->region_lba = lba;
	w->region_bytes = bytes;
	return 0;
}

/* statefs_writer_free: release the buffer. */
void statefs_writer_free(struct statefs_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}

/* statefs_writer_flush: hand every buffered byte to the device (not a device flush).
 * The last partial sector stays buffered so later appends rewrite it whole: used
 * only while compaction fills the idle region, which is not live until the switch. */
int statefs_writer_flush(struct statefs *fs, struct statefs_writer *w)
{
	uint32_t ss = fs->ss;
	if (w->tail == w->written)
		return 0;
	uint64_t used = w->tail - w->base;
	uint32_t n = (uint32_t)((used + ss - 1) / ss);
	fs->sbuf_valid = false;
	fs->bytes_written += (uint64_t)n * ss;
	fs->need_flush = true;
	if (blkdev_write(fs->bd, w->region_lba + w->base / ss, w->buf, n))
		return CAIRN_EIO;
	w->written = w->tail;
	uint64_t nbase = w->tail - w->tail % ss;
	size_t keep = (size_t)(w->tail - nbase);
	if (nbase > w->base) {
		memmove(w->buf, w->buf + (nbase - w->base), keep);
		memset(w->buf + keep, 0, (size_t)n * ss - keep);
		w->base = nbase;
	}
	return 0;
}

/* statefs_writer_skip: after a device flush, continue at the next sector boundary:
 * the flushed tail sector holds durable records and is never written again (its
 * rest stays zero: padding that replay steps over). */
void statefs_writer_skip(struct statefs_writer *w, uint32_t ss)
{
	uint64_t next = (w->tail + ss - 1) / ss * ss;
	if (next > w->region_bytes)
		next = w->region_bytes;
	memset(w->buf, 0, w->buf_size);
	w->base = w->tail = w->written = next;
	w->durable_next = true;
}

/* statefs_writer_commit: see statefs_internal.h. */
int statefs_writer_commit(struct statefs *fs, struct statefs_writer *w)
{
	if (w->tail == w->written)
		return 0;
	int err = statefs_writer_flush(fs, w);
	if (!err && blkdev_flush(fs->bd))
		err = CAIRN_EIO;
	if (err)
		return err;
	fs->need_flush = false;
	statefs_writer_skip(w, fs->ss);
	return 0;
}

/* Append position of a writer, for placing records and for planning. */
struct wpos {
	uint64_t base, tail, written;
};

/* wpos_place: where a record of len bytes goes. Returns 1 when the buffer must be
 * committed first (live writer), 2 when it must be written out (compaction), else 0;
 * updates p as that step would. */
static int wpos_place(struct wpos *p, uint64_t len, uint32_t ss, size_t buf_size,
		      bool commit_on_full)
{
	int act = 0;
	if (p->tail - p->base + len > buf_size && p->tail != p->written) {
		act = commit_on_full ? 1 : 2;
		uint64_t nb = commit_on_full ? (p->tail + ss - 1) / ss * ss
					     : p->tail - p->tail % ss;
		if (commit_on_full)
			p->tail = nb;
		p->base = nb;
		p->written = p->tail;
	}
	p->tail += len;
	return act;
}

/* statefs_append_end: see statefs_internal.h. */
uint64_t statefs_append_end(const struct statefs *fs, const struct statefs_writer *w,
			    const uint64_t *lens, size_t n)
{
	struct wpos p = { w->base, w->tail, w->written };
	for (size_t i = 0; i < n; i++) {
		(void)wpos_place(&p, lens[i], fs->ss, w->buf_size, w->commit_on_full);
		if (p.tail > w->region_bytes)
			return UINT64_MAX;
	}
	return p.tail;
}

/* encode_hdr: the 28 header bytes before the CRC. */
static void encode_hdr(uint8_t *p, const struct statefs_rec *r)
{
	statefs_put32(p, STATEFS_REC_MAGIC);
	p[4] = r->type;
	p[5] = r->flags;
	statefs_put16(p + 6, r->key_len);
	statefs_put32(p + 8, r->value_len);
	statefs_put64(p + 12, r->epoch);
	statefs_put64(p + 20, r->seq);
}

/* statefs_append: see statefs_internal.h. */
int statefs_append(struct statefs *fs, struct statefs_writer *w, const struct statefs_rec *r,
		   const char *key, const void *value, uint64_t *off)
{
	uint64_t len = statefs_rec_len(r->key_len, r->value_len);
	if (len > w->region_bytes - w->tail)
		return CAIRN_ENOSPC;
	struct wpos pos = { w->base, w->tail, w->written };
	int act = wpos_place(&pos, len, fs->ss, w->buf_size, w->commit_on_full);
	int err = act == 1   ? statefs_writer_commit(fs, w)
		  : act == 2 ? statefs_writer_flush(fs, w)
			     : 0;
	if (err)
		return err;
	if (len > w->region_bytes - w->tail)
		return CAIRN_ENOSPC;
	struct statefs_rec rr = *r;
	if (w->durable_next)
		rr.flags |= STATEFS_REC_FLAG_DURABLE;
	w->durable_next = false;
	uint8_t *p = w->buf + (w->tail - w->base);
	encode_hdr(p, &rr);
	memcpy(p + STATEFS_REC_HDR, key, r->key_len);
	if (r->value_len)
		memcpy(p + STATEFS_REC_HDR + r->key_len, value, r->value_len);
	uint32_t crc = crypto_crc32c(0, p, 28);
	crc = crypto_crc32c(crc, p + STATEFS_REC_HDR, (size_t)r->key_len + r->value_len);
	statefs_put32(p + 28, crc);
	*off = w->tail;
	w->tail += len;
	w->end = w->tail;
	return 0;
}

/* decode_hdr: parse a header; returns a stop reason for structural problems or
 * -1 when the header is plausible. remain = region bytes from the record start. */
static int decode_hdr(const uint8_t *p, uint64_t remain, struct statefs_rec *r)
{
	if (statefs_get32(p) != STATEFS_REC_MAGIC)
		return STATEFS_STOP_NO_RECORD;
	r->type = p[4];
	r->flags = p[5];
	r->key_len = statefs_get16(p + 6);
	r->value_len = statefs_get32(p + 8);
	r->epoch = statefs_get64(p + 12);
	r->seq = statefs_get64(p + 20);
	r->crc = statefs_get32(p + 28);
	bool ckpt = r->type == STATEFS_REC_CKPT;
	if ((r->type != STATEFS_REC_PUT && r->type != STATEFS_REC_DEL && !ckpt) ||
	    (r->flags & ~STATEFS_REC_FLAGS) || (ckpt && (r->flags & STATEFS_REC_FLAG_CONT)))
		return STATEFS_STOP_BAD_TYPE;
	/* a checkpoint chunk has no key and at least its chunk header */
	if ((ckpt ? r->key_len != 0 || r->value_len < STATEFS_CKPT_HDR
		  : r->key_len == 0 || r->key_len > STATEFS_KEY_MAX) ||
	    r->value_len > STATEFS_VALUE_MAX || (r->type == STATEFS_REC_DEL && r->value_len != 0))
		return STATEFS_STOP_BAD_LENGTH;
	if (statefs_rec_len(r->key_len, r->value_len) > remain)
		return STATEFS_STOP_BAD_LENGTH;
	return -1;
}

/* payload_ok: CRC check of header + payload (payload already in fs->rbuf). */
static bool payload_ok(const uint8_t *hdr, const struct statefs_rec *r, const uint8_t *payload)
{
	uint32_t crc = crypto_crc32c(0, hdr, 28);
	crc = crypto_crc32c(crc, payload, (size_t)r->key_len + r->value_len);
	return crc == r->crc;
}

/* statefs_read_record: read and verify the record at off; key then value in rbuf. */
int statefs_read_record(struct statefs *fs, const struct statefs_writer *w, uint64_t off,
			struct statefs_rec *r)
{
	uint8_t hdr[STATEFS_REC_HDR];
	if (off > w->region_bytes || w->region_bytes - off < STATEFS_REC_HDR)
		return CAIRN_EBADMSG;
	int err = statefs_read_bytes(fs, w, off, hdr, STATEFS_REC_HDR);
	if (err)
		return err;
	if (decode_hdr(hdr, w->region_bytes - off, r) >= 0)
		return CAIRN_EBADMSG;
	err = statefs_read_bytes(fs, w, off + STATEFS_REC_HDR, fs->rbuf,
				 (size_t)r->key_len + r->value_len);
	if (err)
		return err;
	return payload_ok(hdr, r, fs->rbuf) ? 0 : CAIRN_EBADMSG;
}

/* all_zero: n bytes at p are zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* statefs_writer_load_tail: see statefs_internal.h. The rest of a sector is zero
 * after a commit (padding); anything else there is a torn write, and the sector's
 * records before it belong to that same unflushed write (a commit is one write of
 * whole records followed by a flush), so rewriting the sector can only lose
 * records that were never synced. */
int statefs_writer_load_tail(struct statefs *fs, struct statefs_writer *w, uint64_t tail)
{
	uint32_t ss = fs->ss;
	w->base = tail - tail % ss;
	w->tail = w->written = w->end = tail;
	w->commit_on_full = true;
	w->durable_next = false;
	memset(w->buf, 0, w->buf_size);
	if (tail % ss == 0)
		return 0;
	int err = disk_read(fs, w->region_lba, w->region_bytes / ss, w->base, w->buf, ss);
	if (err)
		return err;
	if (all_zero(w->buf + tail % ss, ss - tail % ss)) {
		statefs_writer_skip(w, ss);
		w->durable_next = false;
		return 0;
	}
	memset(w->buf + tail % ss, 0, ss - tail % ss);
	return 0;
}

/* A record of a batch seen by replay but not yet known to be complete. */
struct pending {
	uint8_t type;
	uint16_t key_len;
	uint32_t value_len;
	uint64_t off;
	char key[STATEFS_KEY_MAX + 1];
};

/* Replay cursor state. */
struct replay {
	uint64_t off;	    /* offset of the record being examined */
	uint64_t seq;	    /* sequence it must carry */
	uint64_t min_epoch; /* epoch of the previous record (epochs never go back) */
	uint64_t committed; /* end of the last complete batch */
	uint64_t committed_seq;
	uint64_t records;     /* records examined */
	struct pending *pend; /* STATEFS_BATCH_MAX slots */
	size_t npend;
	uint64_t pad_from;	  /* off was reached by stepping over padding from here */
	uint64_t cover;		  /* start of the batch holding the first record that touches
				 the sector of off */
	uint64_t committed_cover; /* cover at the last complete batch */
};

/* new_keys: keys the pending batch would add to ix (distinct puts of absent keys). */
static size_t new_keys(const struct replay *rp, const struct statefs_index *ix)
{
	size_t n = 0;
	for (size_t i = 0; i < rp->npend; i++) {
		const struct pending *p = &rp->pend[i];
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = rp->pend[j].type == STATEFS_REC_PUT &&
			      strcmp(rp->pend[j].key, p->key) == 0;
		if (p->type == STATEFS_REC_PUT && !dup &&
		    statefs_index_find(ix, p->key, p->key_len) < 0)
			n++;
	}
	return n;
}

/* apply_pending: a batch's last record arrived: apply all its records to ix. */
static int apply_pending(struct replay *rp, struct statefs_index *ix,
			 struct statefs_replay_report *rep)
{
	for (size_t i = 0; i < rp->npend; i++) {
		struct pending *p = &rp->pend[i];
		if (p->type == STATEFS_REC_PUT) {
			int err = statefs_index_set(ix, p->key, p->key_len, p->off, p->value_len);
			if (err)
				return err;
		} else {
			(void)statefs_index_remove(ix, p->key, p->key_len);
		}
		rep->records_replayed++;
	}
	rp->npend = 0;
	return 0;
}

/* read_valid: 0 when a structurally valid record with a good CRC and a valid key
 * starts at off (header in r, key and value in fs->rbuf); 1 when not; or an I/O
 * error. */
static int read_valid(struct statefs *fs, const struct statefs_writer *w, uint64_t off,
		      struct statefs_rec *r)
{
	uint8_t hdr[STATEFS_REC_HDR];
	if (off > w->region_bytes || w->region_bytes - off < STATEFS_REC_HDR)
		return 1;
	int err = statefs_read_bytes(fs, w, off, hdr, STATEFS_REC_HDR);
	if (!err && decode_hdr(hdr, w->region_bytes - off, r) >= 0)
		return 1;
	if (!err)
		err = statefs_read_bytes(fs, w, off + STATEFS_REC_HDR, fs->rbuf,
					 (size_t)r->key_len + r->value_len);
	if (err)
		return err < -1 ? err : CAIRN_EIO;
	if (!payload_ok(hdr, r, fs->rbuf) ||
	    (r->type != STATEFS_REC_CKPT && statefs_key_check((const char *)fs->rbuf, r->key_len)))
		return 1;
	return 0;
}

/* pad_jump: at a non-aligned offset without a record, the rest of the sector is
 * commit padding when it is all zero; replay then judges whatever starts the next
 * sector as the next record. Zero padding is required so replay never jumps into
 * the value of a damaged record (a value may hold record-like bytes). Returns 1
 * after jumping, 0 when this is not padding, or an I/O error. */
static int pad_jump(struct statefs *fs, const struct statefs_writer *w, struct replay *rp,
		    const struct statefs_walk *wk)
{
	uint32_t ss = fs->ss;
	uint64_t next = (rp->off / ss + 1) * ss;
	uint8_t hdr[STATEFS_REC_HDR];
	struct statefs_rec r;
	if (rp->off % ss == 0 || next + STATEFS_REC_HDR > w->region_bytes)
		return 0;
	int err = statefs_read_bytes(fs, w, rp->off, fs->rbuf, (size_t)(next - rp->off));
	if (!err && all_zero(fs->rbuf, (size_t)(next - rp->off)))
		err = statefs_read_bytes(fs, w, next, hdr, STATEFS_REC_HDR);
	else if (!err)
		return 0;
	if (err)
		return err < -1 ? err : CAIRN_EIO;
	/* a checkpoint the superblock names is stepped over even when damaged */
	bool named = (wk->skip[0].end && wk->skip[0].off == next) ||
		     (wk->skip[1].end && wk->skip[1].off == next);
	if (!named && decode_hdr(hdr, w->region_bytes - next, &r) >= 0)
		return 0;
	rp->pad_from = rp->off;
	rp->off = next;
	return 1;
}

/* take_record: the record at rp->off (header r, payload in rbuf) continues the
 * chain: queue it, and apply its batch when it is the batch's last record.
 * Returns -1 to continue, a stop reason, or an error below -1. */
static int take_record(struct statefs *fs, struct replay *rp, const struct statefs_rec *r,
		       struct statefs_index *ix, struct statefs_replay_report *rep,
		       struct statefs_walk *wk)
{
	if (rp->npend >= STATEFS_BATCH_MAX)
		return STATEFS_STOP_BATCH_TOO_LONG;
	rep->bytes_discarded = 0;
	if (r->type != STATEFS_REC_CKPT) { /* a checkpoint chunk changes no key */
		struct pending *p = &rp->pend[rp->npend++];
		p->type = r->type, p->key_len = r->key_len, p->value_len = r->value_len;
		p->off = rp->off;
		memcpy(p->key, fs->rbuf, r->key_len);
		p->key[r->key_len] = '\0';
	}
	/* cover: where the batch begins that holds the first record touching the
	 * sector of the chain's end (a batch is lost whole when any record is) */
	uint32_t ss = fs->ss;
	uint64_t start = rp->off, end = start + statefs_rec_len(r->key_len, r->value_len);
	bool last = !(r->flags & STATEFS_REC_FLAG_CONT);
	if (start % ss == 0)
		rp->cover = rp->committed;
	if (end / ss > start / ss)
		rp->cover = end % ss ? rp->committed : last ? end : rp->committed;
	rp->off = end;
	rp->pad_from = UINT64_MAX;
	rp->seq++;
	rp->min_epoch = r->epoch;
	rp->records++;
	if (r->flags & STATEFS_REC_FLAG_CONT)
		return -1;
	if (ix->n + new_keys(rp, ix) > fs->max_keys) {
		rp->off = rp->committed; /* the batch that would pass the cap is not applied */
		return STATEFS_STOP_KEY_CAP;
	}
	int err = apply_pending(rp, ix, rep);
	if (err)
		return err;
	if (r->epoch > wk->epoch_seen)
		wk->epoch_seen = r->epoch;
	rp->committed = rp->off;
	rp->committed_seq = rp->seq;
	rp->committed_cover = rp->cover;
	return -1;
}

/* skip_ckpt: step over a checkpoint the superblock names without reading it: it
 * changes no key, and one damaged after it was written must not end the chain
 * (the superblock naming it was written after it was flushed). */
static int skip_ckpt(struct replay *rp, const struct statefs_ckpt_ref *c)
{
	rp->cover = rp->committed_cover = c->end; /* the chunks are durable */
	rp->off = rp->committed = c->end;
	rp->seq = rp->committed_seq = c->next_seq;
	rp->pad_from = UINT64_MAX;
	return -1;
}

/* step_damaged_ckpt: a checkpoint chunk (header r valid) fails its payload CRC.
 * It changes no key, and everything before a checkpoint was committed before it
 * was written; so when the chain continues right after it (the next record, at
 * its end or at the next sector, is valid with the next sequence number), replay
 * steps over it and counts it, instead of stopping before durable records.
 * Otherwise it is a bad CRC like any other. */
static int step_damaged_ckpt(struct statefs *fs, const struct statefs_writer *w, struct replay *rp,
			     const struct statefs_rec *r, struct statefs_replay_report *rep,
			     const struct statefs_walk *wk)
{
	uint64_t next = rp->off + statefs_rec_len(r->key_len, r->value_len);
	for (int i = 0; i < 2; i++, next += fs->ss - next % fs->ss) {
		struct statefs_rec n;
		int err = read_valid(fs, w, next, &n);
		if (err < 0)
			return err < -1 ? err : CAIRN_EIO;
		if (err == 0 && n.seq == rp->seq + 1 && n.epoch >= r->epoch &&
		    n.epoch <= wk->max_epoch) {
			rp->off = rp->committed = rp->cover = rp->committed_cover = next;
			rp->seq = rp->committed_seq = rp->seq + 1;
			rp->min_epoch = r->epoch;
			rp->records++;
			rp->pad_from = UINT64_MAX;
			rep->ckpt_records_skipped++;
			rep->bytes_discarded = 0;
			return -1;
		}
		if (next % fs->ss == 0)
			break;
	}
	return STATEFS_STOP_BAD_CRC;
}

/* replay_one: examine the record at rp->off. Returns -1 to continue, a stop
 * reason (>= 0) to stop, or a negative error below -1 (I/O, memory). */
static int replay_one(struct statefs *fs, const struct statefs_writer *w, struct replay *rp,
		      struct statefs_index *ix, struct statefs_replay_report *rep,
		      struct statefs_walk *wk)
{
	uint8_t hdr[STATEFS_REC_HDR];
	struct statefs_rec r;
	uint64_t remain = w->region_bytes - rp->off;
	if (remain < STATEFS_REC_HDR)
		return STATEFS_STOP_END_OF_REGION;
	if (rp->records >= fs->max_records)
		return STATEFS_STOP_RECORD_CAP;
	for (unsigned i = 0; i < 2 && rp->npend == 0; i++)
		if (wk->skip[i].end && wk->skip[i].off == rp->off)
			return skip_ckpt(rp, &wk->skip[i]);
	int err = statefs_read_bytes(fs, w, rp->off, hdr, STATEFS_REC_HDR);
	if (err)
		return err < -1 ? err : CAIRN_EIO;
	int why = decode_hdr(hdr, remain, &r);
	if (why == STATEFS_STOP_NO_RECORD) {
		err = pad_jump(fs, w, rp, wk);
		return err == 1 ? -1 : err < 0 ? err : why;
	}
	if (why == STATEFS_STOP_BAD_TYPE)
		return why;
	if (why < 0 && (r.epoch < rp->min_epoch))
		return STATEFS_STOP_STALE_EPOCH;
	bool newer = why < 0 && r.epoch > wk->max_epoch;
	if (why < 0 && !newer && r.seq != rp->seq)
		return STATEFS_STOP_BAD_SEQ;
	if (why >= 0)
		return why; /* BAD_LENGTH: stop before trusting the length */
	rep->bytes_discarded = statefs_rec_len(r.key_len, r.value_len); /* if it fails below */
	err = statefs_read_bytes(fs, w, rp->off + STATEFS_REC_HDR, fs->rbuf,
				 (size_t)r.key_len + r.value_len);
	if (err)
		return err < -1 ? err : CAIRN_EIO;
	if (!payload_ok(hdr, &r, fs->rbuf))
		return r.type == STATEFS_REC_CKPT && rp->npend == 0 && !newer
			       ? step_damaged_ckpt(fs, w, rp, &r, rep, wk)
			       : STATEFS_STOP_BAD_CRC;
	/* A CRC-valid record newer than the superblock: a newer superblock was written
	 * and lost (checked after the CRC so a torn header never claims it). */
	if (newer)
		return r.seq == rp->seq ? STATEFS_STOP_BAD_EPOCH : STATEFS_STOP_BAD_SEQ;
	if (r.type == STATEFS_REC_CKPT && rp->npend)
		return STATEFS_STOP_BAD_TYPE; /* the writer never puts one inside a batch */
	if (r.type != STATEFS_REC_CKPT && statefs_key_check((const char *)fs->rbuf, r.key_len))
		return STATEFS_STOP_BAD_KEY;
	return take_record(fs, rp, &r, ix, rep, wk);
}

/* scan_ahead: after a stop at rp->off, look (bounded) for proof that records
 * after it had been synced: a valid record flagged DURABLE at a sector boundary,
 * of an epoch this chain could have written, with a later sequence number. The
 * first such record after a synced one lies within one write buffer of it, since
 * the live writer commits (write, flush, pad) whenever its buffer fills. Returns 1
 * and the offset when found (2 when that record is newer than the superblock: a
 * lost superblock), 3 when only unflagged later records were found (records of a
 * torn, unsynced tail), 0 when nothing follows, or an I/O error. */
static int scan_ahead(struct statefs *fs, const struct statefs_writer *w, const struct replay *rp,
		      const struct statefs_walk *wk, uint64_t *found)
{
	uint64_t limit = rp->off + w->buf_size + fs->ss;
	int result = 0;
	/* every byte offset: an unflagged later record may start anywhere (torn tail);
	 * the window is read in chunks that overlap by the magic's length */
	uint8_t chunk[512];
	uint64_t end = w->region_bytes - STATEFS_REC_HDR;
	if (limit > end)
		limit = end;
	for (uint64_t c = rp->off; c <= limit; c += sizeof(chunk) - 3) {
		size_t n = (size_t)(w->region_bytes - c < sizeof(chunk) ? w->region_bytes - c
									: sizeof(chunk));
		int err = statefs_read_bytes(fs, w, c, chunk, n);
		if (err)
			return err < -1 ? err : CAIRN_EIO;
		for (size_t i = 0; i + 4 <= n && i < sizeof(chunk) - 3 && c + i <= limit; i++) {
			struct statefs_rec r;
			uint64_t b = c + i;
			if (statefs_get32(chunk + i) != STATEFS_REC_MAGIC)
				continue;
			err = read_valid(fs, w, b, &r);
			if (err < 0)
				return err;
			if (err || r.seq < rp->seq || r.epoch < rp->min_epoch)
				continue;
			if (!(r.flags & STATEFS_REC_FLAG_DURABLE) || b % fs->ss) {
				result = result ? result : 3;
				continue;
			}
			*found = b;
			return r.epoch > wk->max_epoch ? 2 : 1;
		}
	}
	return result;
}

/* classify: the recovery class of a finished walk (docs/statefs.md). */
static int classify(struct statefs *fs, const struct statefs_writer *w, const struct replay *rp,
		    const struct statefs_walk *wk, int why, struct statefs_replay_report *rep)
{
	bool at_end = rp->committed == rp->off || rp->committed == rp->pad_from;
	bool clean_stop = why <= STATEFS_STOP_STALE_EPOCH && at_end;
	uint64_t at = 0;
	rep->mount_class = clean_stop ? STATEFS_CLASS_CLEAN : STATEFS_CLASS_TORN_TAIL;
	rep->evidence_offset = rp->off;
	rep->evidence_region = fs->sb.active;
	if (why == STATEFS_STOP_BAD_EPOCH) {
		rep->mount_class = STATEFS_CLASS_ROLLED_BACK;
	} else if (why == STATEFS_STOP_RECORD_CAP || why == STATEFS_STOP_KEY_CAP) {
		rep->mount_class = STATEFS_CLASS_DAMAGED;
	} else if (rp->committed < wk->durable_end) {
		rep->mount_class = STATEFS_CLASS_DAMAGED;
		rep->evidence_offset = wk->durable_end;
	} else if (why != STATEFS_STOP_END_OF_REGION) {
		int err = scan_ahead(fs, w, rp, wk, &at);
		if (err < 0)
			return err;
		if (err == 1 || err == 2) {
			rep->mount_class = err == 2 ? STATEFS_CLASS_ROLLED_BACK
						    : STATEFS_CLASS_DAMAGED;
			rep->evidence_offset = at;
		} else if (err == 3) {
			rep->mount_class = STATEFS_CLASS_TORN_TAIL;
		}
	}
	rep->clean = rep->mount_class == STATEFS_CLASS_CLEAN;
	rep->refused = rep->mount_class >= STATEFS_CLASS_DAMAGED;
	return 0;
}

static int classify_walk(struct statefs *fs, const struct statefs_writer *w, struct replay *rp,
			 struct statefs_walk *wk, int why, struct statefs_replay_report *rep,
			 uint64_t *next_seq);

/* statefs_replay_walk: rebuild ix from the region w covers, within wk's bounds.
 * Stops deterministically at the first record that is not a valid continuation;
 * an incomplete batch before it is discarded. rep->stop_offset is the end of the
 * last complete batch; next_seq the sequence number after it. */
int statefs_replay_walk(struct statefs *fs, const struct statefs_writer *w,
			struct statefs_index *ix, struct statefs_replay_report *rep,
			uint64_t *next_seq, struct statefs_walk *wk)
{
	struct replay rp = { 0 };
	rp.off = rp.committed = rp.cover = rp.committed_cover = wk->start_off;
	rp.seq = rp.committed_seq = wk->start_seq;
	rp.min_epoch = wk->min_epoch;
	rp.pad_from = UINT64_MAX;
	wk->epoch_seen = 0;
	rp.pend = malloc(STATEFS_BATCH_MAX * sizeof(*rp.pend));
	if (!rp.pend)
		return CAIRN_ENOMEM;
	memset(rep, 0, sizeof(*rep));
	int why = statefs_ra_begin(fs);
	if (why) {
		free(rp.pend);
		return why;
	}
	do {
		why = replay_one(fs, w, &rp, ix, rep, wk);
	} while (why == -1);
	free(rp.pend);
	int err = why < -1 ? why : classify_walk(fs, w, &rp, wk, why, rep, next_seq);
	statefs_ra_end(fs);
	return err;
}

/* classify_walk: fill the report of a finished walk and classify its stop. */
static int classify_walk(struct statefs *fs, const struct statefs_writer *w, struct replay *rp,
			 struct statefs_walk *wk, int why, struct statefs_replay_report *rep,
			 uint64_t *next_seq)
{
	rep->stop_reason = (enum statefs_stop_reason)why;
	rep->bad_record_index = rp->records;
	rep->bad_offset = rp->off;
	rep->bytes_discarded += rp->off - rp->committed;
	rep->stop_offset = rp->committed;
	rep->region = fs->sb.active;
	rep->region_bytes = w->region_bytes;
	rep->generation = fs->sb.generation;
	*next_seq = rp->committed_seq;
	wk->tail_first = rp->committed_cover;
	return classify(fs, w, rp, wk, why, rep);
}

/* statefs_replay: the active region under the superblock in use. */
int statefs_replay(struct statefs *fs, const struct statefs_writer *w, struct statefs_index *ix,
		   struct statefs_replay_report *rep, uint64_t *next_seq)
{
	struct statefs_walk wk;
	statefs_walk_init(&wk, &fs->sb);
	return statefs_replay_walk(fs, w, ix, rep, next_seq, &wk);
}

/* statefs_walk_init: see statefs_internal.h. */
void statefs_walk_init(struct statefs_walk *wk, const struct statefs_super *sb)
{
	memset(wk, 0, sizeof(*wk));
	wk->start_seq = sb->start_seq;
	wk->min_epoch = sb->region_epoch;
	wk->max_epoch = sb->epoch;
	wk->durable_end = sb->durable_end;
	wk->skip[0] = sb->ckpt[0];
	wk->skip[1] = sb->ckpt[1];
}
