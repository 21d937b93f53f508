/* statefs journal: byte-addressed reads over a region (with the write buffer laid
 * over the device), buffered record appends, record decoding and replay. Records
 * are packed back to back and may span any number of sectors. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "statefs_internal.h"

/* disk_read: read len region bytes at off straight from the device. Partial
 * sectors go through the one-sector cache; whole sectors land directly in buf. */
static int disk_read(struct statefs *fs, uint64_t lba0, uint64_t off, uint8_t *buf, size_t len)
{
	uint32_t ss = fs->ss;
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
int statefs_read_bytes(struct statefs *fs, const struct statefs_writer *w, uint64_t off, void *buf, size_t len)
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
		int err = disk_read(fs, w->region_lba, off, p, n);
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
 * The last partial sector stays buffered so later appends rewrite it whole. */
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
int statefs_append(struct statefs *fs, struct statefs_writer *w, const struct statefs_rec *r, const char *key,
	       const void *value, uint64_t *off)
{
	uint64_t len = statefs_rec_len(r->key_len, r->value_len);
	if (len > w->region_bytes - w->tail)
		return CAIRN_ENOSPC;
	if (w->tail - w->base + len > w->buf_size) {
		int err = statefs_writer_flush(fs, w);
		if (err)
			return err;
	}
	uint8_t *p = w->buf + (w->tail - w->base);
	encode_hdr(p, r);
	memcpy(p + STATEFS_REC_HDR, key, r->key_len);
	if (r->value_len)
		memcpy(p + STATEFS_REC_HDR + r->key_len, value, r->value_len);
	uint32_t crc = crypto_crc32c(0, p, 28);
	crc = crypto_crc32c(crc, p + STATEFS_REC_HDR, (size_t)r->key_len + r->value_len);
	statefs_put32(p + 28, crc);
	*off = w->tail;
	w->tail += len;
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
	if ((r->type != STATEFS_REC_PUT && r->type != STATEFS_REC_DEL) || (r->flags & ~STATEFS_REC_FLAG_CONT))
		return STATEFS_STOP_BAD_TYPE;
	if (r->key_len == 0 || r->key_len > STATEFS_KEY_MAX || r->value_len > STATEFS_VALUE_MAX ||
	    (r->type == STATEFS_REC_DEL && r->value_len != 0))
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
int statefs_read_record(struct statefs *fs, const struct statefs_writer *w, uint64_t off, struct statefs_rec *r)
{
	uint8_t hdr[STATEFS_REC_HDR];
	if (off > w->region_bytes || w->region_bytes - off < STATEFS_REC_HDR)
		return CAIRN_EBADMSG;
	int err = statefs_read_bytes(fs, w, off, hdr, STATEFS_REC_HDR);
	if (err)
		return err;
	if (decode_hdr(hdr, w->region_bytes - off, r) >= 0)
		return CAIRN_EBADMSG;
	err = statefs_read_bytes(fs, w, off + STATEFS_REC_HDR, fs->rbuf, (size_t)r->key_len + r->value_len);
	if (err)
		return err;
	return payload_ok(hdr, r, fs->rbuf) ? 0 : CAIRN_EBADMSG;
}

/* statefs_writer_load_tail: continue appending at tail: buffer the bytes of the
 * partial tail sector, zero everything after tail so old garbage is overwritten. */
int statefs_writer_load_tail(struct statefs *fs, struct statefs_writer *w, uint64_t tail)
{
	w->base = tail - tail % fs->ss;
	w->tail = w->written = tail;
	memset(w->buf, 0, w->buf_size);
	if (tail % fs->ss == 0)
		return 0;
	return disk_read(fs, w->region_lba, w->base, w->buf, (size_t)(tail % fs->ss));
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
	uint64_t off;         /* offset of the record being examined */
	uint64_t seq;         /* sequence it must carry */
	uint64_t min_epoch;   /* epoch of the previous record (epochs never go back) */
	uint64_t committed;   /* end of the last complete batch */
	uint64_t committed_seq;
	uint64_t records;     /* records examined */
	struct pending *pend; /* STATEFS_BATCH_MAX slots */
	size_t npend;
};

/* apply_pending: a batch's last record arrived: apply all its records to ix. */
static int apply_pending(struct replay *rp, struct statefs_index *ix, struct statefs_replay_report *rep)
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

/* replay_one: examine the record at rp->off. Returns -1 to continue, a stop
 * reason (>= 0) to stop, or a negative error below -1 (I/O, memory). */
static int replay_one(struct statefs *fs, const struct statefs_writer *w, struct replay *rp,
		      struct statefs_index *ix, struct statefs_replay_report *rep)
{
	uint8_t hdr[STATEFS_REC_HDR];
	struct statefs_rec r;
	uint64_t remain = w->region_bytes - rp->off;
	if (remain < STATEFS_REC_HDR)
		return STATEFS_STOP_END_OF_REGION;
	if (rp->records >= fs->max_records)
		return STATEFS_STOP_RECORD_CAP;
	int err = statefs_read_bytes(fs, w, rp->off, hdr, STATEFS_REC_HDR);
	if (err)
		return err < -1 ? err : CAIRN_EIO;
	int why = decode_hdr(hdr, remain, &r);
	if (why == STATEFS_STOP_NO_RECORD || why == STATEFS_STOP_BAD_TYPE)
		return why;
	if (why < 0 && (r.epoch < rp->min_epoch))
		return STATEFS_STOP_STALE_EPOCH;
	if (why < 0 && r.epoch > fs->sb.epoch)
		return STATEFS_STOP_BAD_EPOCH;
	if (why < 0 && r.seq != rp->seq)
		return STATEFS_STOP_BAD_SEQ;
	if (why >= 0)
		return why; /* BAD_LENGTH: stop before trusting the length */
	rep->bytes_discarded = statefs_rec_len(r.key_len, r.value_len); /* if it fails below */
	err = statefs_read_bytes(fs, w, rp->off + STATEFS_REC_HDR, fs->rbuf, (size_t)r.key_len + r.value_len);
	if (err)
		return err < -1 ? err : CAIRN_EIO;
	if (!payload_ok(hdr, &r, fs->rbuf))
		return STATEFS_STOP_BAD_CRC;
	if (statefs_key_check((const char *)fs->rbuf, r.key_len))
		return STATEFS_STOP_BAD_KEY;
	if (rp->npend >= STATEFS_BATCH_MAX)
		return STATEFS_STOP_BATCH_TOO_LONG;
	rep->bytes_discarded = 0;
	struct pending *p = &rp->pend[rp->npend++];
	p->type = r.type, p->key_len = r.key_len, p->value_len = r.value_len, p->off = rp->off;
	memcpy(p->key, fs->rbuf, r.key_len);
	p->key[r.key_len] = '\0';
	rp->off += statefs_rec_len(r.key_len, r.value_len);
	rp->seq++;
	rp->min_epoch = r.epoch;
	rp->records++;
	if (!(r.flags & STATEFS_REC_FLAG_CONT)) {
		err = apply_pending(rp, ix, rep);
		if (err)
			return err;
		rp->committed = rp->off;
		rp->committed_seq = rp->seq;
	}
	return -1;
}

/* statefs_replay: rebuild ix from the active region (fs->sb). Stops deterministically
 * at the first record that is not a valid continuation; an incomplete batch before
 * it is discarded. rep->stop_offset is where appends must continue; next_seq is
 * the sequence number they start with. */
int statefs_replay(struct statefs *fs, const struct statefs_writer *w, struct statefs_index *ix,
	       struct statefs_replay_report *rep, uint64_t *next_seq)
{
	struct replay rp = { 0 };
	rp.seq = rp.committed_seq = fs->sb.start_seq;
	rp.min_epoch = fs->sb.region_epoch;
	rp.pend = malloc(STATEFS_BATCH_MAX * sizeof(*rp.pend));
	if (!rp.pend)
		return CAIRN_ENOMEM;
	memset(rep, 0, sizeof(*rep));
	int why;
	do {
		why = replay_one(fs, w, &rp, ix, rep);
	} while (why == -1);
	free(rp.pend);
	if (why < -1)
		return why;
	rep->stop_reason = (enum statefs_stop_reason)why;
	rep->bad_record_index = rp.records;
	rep->bad_offset = rp.off;
	rep->bytes_discarded += rp.off - rp.committed;
	rep->stop_offset = rp.committed;
	rep->region = fs->sb.active;
	rep->region_bytes = w->region_bytes;
	rep->generation = fs->sb.generation;
	rep->clean = why <= STATEFS_STOP_STALE_EPOCH && rp.committed == rp.off;
	*next_seq = rp.committed_seq;
	return 0;
}
