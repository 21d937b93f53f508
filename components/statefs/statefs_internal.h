/* statefs private definitions: on-disk layout constants, little-endian codecs, the
 * in-memory index, the journal writer and the instance struct. The byte-by-byte
 * format is documented in docs/statefs.md; keep the two in step. */
#ifndef STATEFS_INTERNAL_H
#define STATEFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/le.h"
#include "statefs.h"

/* ---- On-disk constants ---------------------------------------------------- */

#define STATEFS_SB_MAGIC "CAIRNSFS" /* 8 bytes at superblock offset 0 */
#define STATEFS_VERSION 3u	    /* 3: checkpoint references; 2: durable_end, DURABLE */
#define STATEFS_VERSION_V2 2u	    /* still mounted: a v2 store is a v3 one without checkpoints */
#define STATEFS_SB_SIZE 148u	    /* encoded superblock bytes, CRC at 144 */
#define STATEFS_SB_SIZE_V2 100u	    /* version 2: CRC at 96 */
#define STATEFS_SB_COPIES 2u	    /* copies at LBA 0 and LBA 1 */
#define STATEFS_FIRST_REGION_LBA 2u

#define STATEFS_REC_MAGIC 0x31524653u /* "SFR1" little-endian */
#define STATEFS_REC_HDR 32u	      /* record header bytes, CRC at 28 */
#define STATEFS_REC_PUT 1u
#define STATEFS_REC_DEL 2u
#define STATEFS_REC_CKPT 3u	    /* one chunk of an index checkpoint (no key; docs/statefs.md) */
#define STATEFS_REC_FLAG_CONT 0x01u /* batch continues in the next record */
/* Every record before this one in the region was durable (flushed) when this one
 * was written: set on the first record after each flush, which always starts at a
 * sector boundary. Replay uses it as proof that a damaged record before it had
 * been synced (damage, not a torn tail). */
#define STATEFS_REC_FLAG_DURABLE 0x02u
#define STATEFS_REC_FLAGS (STATEFS_REC_FLAG_CONT | STATEFS_REC_FLAG_DURABLE)
#define STATEFS_REC_MAX (STATEFS_REC_HDR + STATEFS_KEY_MAX + STATEFS_VALUE_MAX)

#define STATEFS_DEFAULT_MAX_KEYS 65536u

/* Checkpoint chunk payload (the value of a STATEFS_REC_CKPT record): a 24-byte
 * header, then entries of 14 bytes + the key. */
#define STATEFS_CKPT_HDR 24u
#define STATEFS_CKPT_ENTRY 14u
#define STATEFS_DEFAULT_CKPT_INTERVAL (1024u * 1024u) /* bytes of appends */
#define STATEFS_RA_BYTES (64u * 1024u)		      /* read-ahead window of a walk */

/* ---- Little-endian codecs (the format is LE whatever the host) ----------- */

/* The engine's names for the shared codecs in cairn/le.h. */
#define statefs_get16 le_get16
#define statefs_get32 le_get32
#define statefs_get64 le_get64
#define statefs_put16 le_put16
#define statefs_put32 le_put32
#define statefs_put64 le_put64

/* statefs_strnlen: strlen capped at max (strnlen is POSIX, not C17). */
static inline size_t statefs_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* ---- Superblock ------------------------------------------------------------ */

/* Where a checkpoint lies in the active region: its first chunk record starts at
 * off, its last one ends at end, and the record after it carries next_seq. end == 0:
 * no checkpoint in this slot. */
struct statefs_ckpt_ref {
	uint64_t off, end, next_seq;
};

struct statefs_super {
	uint32_t sector_size;		 /* must equal the device's */
	uint64_t sector_count;		 /* sectors the store spans (<= device) */
	uint64_t generation;		 /* +1 on every superblock write; copy = gen % 2 */
	uint64_t region_lba[2];		 /* first LBA of regions A and B */
	uint64_t region_sectors;	 /* size of each region */
	uint32_t active;		 /* 0 = A, 1 = B */
	uint64_t epoch;			 /* highest epoch a record may carry */
	uint64_t region_epoch;		 /* lowest epoch a record of the active region may carry */
	uint64_t start_seq;		 /* sequence number of the active region's first record */
	uint64_t durable_end;		 /* records in [0, durable_end) of the active region were
				      durable when this superblock was written */
	struct statefs_ckpt_ref ckpt[2]; /* [0] newest checkpoint, [1] the one before it */
	uint32_t version;		 /* version decoded (2 or 3); always 3 when encoded */
};

void statefs_super_encode(const struct statefs_super *sb, uint8_t *buf);
/* statefs_super_decode: 0, or CAIRN_ENOENT (no magic) / CAIRN_EBADMSG (invalid). */
int statefs_super_decode(struct statefs_super *sb, const uint8_t *buf, uint32_t dev_ss,
			 uint64_t dev_count);
/* statefs_super_read: pick the valid copy with the highest generation. */
int statefs_super_read(struct blkdev *bd, struct statefs_super *sb, uint32_t *valid_mask);
/* statefs_super_write: write sb into copy generation % 2 and flush. */
int statefs_super_write(struct blkdev *bd, const struct statefs_super *sb, uint64_t *bytes_written);

/* ---- Index: sorted array of live keys -> record location ------------------ */

struct statefs_entry {
	char *key;	    /* NUL-terminated, malloc'd */
	uint16_t key_len;   /* strlen(key) */
	uint32_t value_len; /* value bytes */
	uint64_t off;	    /* record byte offset in the active region */
};

struct statefs_index {
	struct statefs_entry *v; /* sorted by key bytes, strictly ascending */
	size_t n;		 /* live entries */
	size_t cap;		 /* allocated entries */
	uint64_t live_bytes;	 /* sum of record lengths of live entries */
};

/* statefs_rec_len: bytes a record with this key and value occupies. */
static inline uint64_t statefs_rec_len(size_t klen, size_t vlen)
{
	return STATEFS_REC_HDR + klen + vlen;
}

/* statefs_index_find: position of key, or -(insertion point) - 1 when absent. */
long statefs_index_find(const struct statefs_index *ix, const char *key, size_t klen);
/* statefs_index_set: insert or update key's location; CAIRN_ENOMEM. */
int statefs_index_set(struct statefs_index *ix, const char *key, size_t klen, uint64_t off,
		      uint32_t vlen);
/* statefs_index_append: add a key that sorts after every key in ix (the caller
 * checked it: a checkpoint load); CAIRN_ENOMEM. */
int statefs_index_append(struct statefs_index *ix, const char *key, size_t klen, uint64_t off,
			 uint32_t vlen);
/* statefs_index_remove: drop key if present; returns true when it was present. */
bool statefs_index_remove(struct statefs_index *ix, const char *key, size_t klen);
/* statefs_index_free: release every key and the array. */
void statefs_index_free(struct statefs_index *ix);

/* ---- Journal writer: buffered appends to one region ------------------------ */

struct statefs_writer {
	uint64_t region_lba;   /* region's first LBA */
	uint64_t region_bytes; /* region size */
	uint64_t base;	       /* sector-aligned region offset of buf[0] */
	uint64_t tail;	       /* append offset; bytes [base, tail) are valid in buf */
	uint64_t written;      /* bytes [0, written) have been handed to the device */
	uint64_t end;	       /* end of the last record (tail may be past it: padding) */
	uint8_t *buf;	       /* SFS write buffer, zero beyond tail */
	size_t buf_size;       /* round_up(STATEFS_REC_MAX, ss) + ss */
	bool commit_on_full;   /* a full buffer is committed (write + flush + pad) rather
				 than written with its partial sector kept buffered */
	bool durable_next;     /* the next record gets STATEFS_REC_FLAG_DURABLE */
};

/* ---- Instance ------------------------------------------------------------- */

struct statefs {
	/* Immutable after mount: */
	struct blkdev *bd;
	uint32_t ss; /* sector size */
	uint32_t max_keys;
	uint32_t max_records;
	uint32_t ckpt_interval; /* bytes of appends between checkpoints written at sync */
	bool no_ckpt;		/* STATEFS_MOUNT_NO_CHECKPOINT: never write checkpoints */
	bool read_only;		/* asked for or the device is read-only */
	bool refused;		/* the recovery class forbids writes (docs/statefs.md) */
	/* Mutable state (single-threaded; the image component holds its lock): */
	struct statefs_super sb; /* superblock as last written/read */
	bool session_started;	 /* epoch bumped for this mount's appends */
	bool broken;		 /* a device error left memory and disk out of step */
	bool need_flush;	 /* writes were issued since the last device flush */
	uint64_t epoch;		 /* epoch stamped on new records */
	uint64_t epoch_hi;	 /* highest epoch this instance ever used */
	uint64_t next_seq;	 /* sequence number of the next record */
	struct statefs_index ix; /* live keys */
	struct statefs_writer w; /* writer for the active region */
	uint8_t *rbuf;		 /* STATEFS_REC_MAX bytes: record read buffer */
	uint8_t *sbuf;		 /* one sector: bounce buffer / read cache */
	uint64_t sbuf_lba;	 /* LBA cached in sbuf, valid when sbuf_valid */
	bool sbuf_valid;
	uint8_t *ra;	 /* STATEFS_RA_BYTES read-ahead window, only during a walk */
	uint64_t ra_lba; /* first LBA in ra */
	uint32_t ra_n;	 /* sectors valid in ra (0: none) */
	uint64_t compactions;
	uint64_t bytes_written; /* device bytes written by this instance */
	uint64_t ckpt_base;	/* end of the newest checkpoint in the active region, or 0 */
	uint64_t ckpt_bytes;	/* size of that checkpoint (0: none) */
	uint64_t checkpoints;	/* checkpoints written by this instance */
	bool ckpt_repair;	/* mount met a damaged checkpoint: the first sync compacts */
	/* What mount found in the idle region (a newer state when ROLLED_BACK): */
	uint64_t idle_seq;		     /* sequence number of its first record */
	uint64_t idle_epoch;		     /* epoch of its first record */
	uint64_t idle_epoch_seen;	     /* highest epoch among its replayed records */
	uint64_t tail_first;		     /* statefs_walk.tail_first of the mount's replay */
	struct statefs_replay_report replay; /* what mount's replay found */
};

/* Decoded record header. */
struct statefs_rec {
	uint8_t type, flags;
	uint16_t key_len;
	uint32_t value_len;
	uint64_t epoch, seq;
	uint32_t crc;
};

/* journal (statefs_journal.c) */
int statefs_read_bytes(struct statefs *fs, const struct statefs_writer *w, uint64_t off, void *buf,
		       size_t len);
int statefs_writer_init(struct statefs_writer *w, uint32_t ss, uint64_t lba, uint64_t bytes);
void statefs_writer_free(struct statefs_writer *w);
/* statefs_writer_flush: hand the buffered bytes to the device (no device flush);
 * the partial last sector stays buffered (compaction's not-yet-live region only). */
int statefs_writer_flush(struct statefs *fs, struct statefs_writer *w);
/* statefs_writer_commit: write the buffered bytes, flush the device, and move the
 * append offset to the next sector boundary so a sector holding synced records is
 * never written again. CAIRN_EIO. */
int statefs_writer_commit(struct statefs *fs, struct statefs_writer *w);
/* statefs_writer_skip: continue at the next sector boundary after a flush. */
void statefs_writer_skip(struct statefs_writer *w, uint32_t ss);
/* statefs_append_end: the tail after appending records of lens[0..n) (padding of
 * the commits a full buffer forces included); UINT64_MAX when it passes the region. */
uint64_t statefs_append_end(const struct statefs *fs, const struct statefs_writer *w,
			    const uint64_t *lens, size_t n);
/* statefs_append: encode a record into w; returns its offset via off. CAIRN_ENOSPC when
 * it does not fit in the region. May write full buffered sectors. */
int statefs_append(struct statefs *fs, struct statefs_writer *w, const struct statefs_rec *r,
		   const char *key, const void *value, uint64_t *off);
/* statefs_read_record: read and CRC-check the record at off; key/value land in rbuf. */
int statefs_read_record(struct statefs *fs, const struct statefs_writer *w, uint64_t off,
			struct statefs_rec *r);
/* Where a replay starts and which epochs it accepts. */
struct statefs_walk {
	uint64_t start_off;		 /* where the walk starts (0, or the end of a checkpoint) */
	uint64_t start_seq;		 /* sequence number of the record at start_off */
	uint64_t min_epoch;		 /* lowest epoch a record may carry (region_epoch) */
	uint64_t max_epoch;		 /* highest epoch a record may carry (superblock epoch) */
	uint64_t durable_end;		 /* a stop before this offset is damage */
	struct statefs_ckpt_ref skip[2]; /* checkpoint extents stepped over unread: a
					    damaged one must not end the chain */
	uint64_t epoch_seen;		 /* out: highest epoch among replayed records */
	uint64_t tail_first;		 /* out: start of the first replayed record that touches the
				 sector holding the end of the chain (a tail repair rewrites
				 that sector, so only records before it stay durable) */
};
/* statefs_replay: walk the active region (fs->sb) from 0 into ix; fills rep,
 * including the recovery class. */
int statefs_replay(struct statefs *fs, const struct statefs_writer *w, struct statefs_index *ix,
		   struct statefs_replay_report *rep, uint64_t *next_seq);
/* statefs_replay_walk: the same walk with explicit bounds (idle region, roll-forward). */
int statefs_replay_walk(struct statefs *fs, const struct statefs_writer *w,
			struct statefs_index *ix, struct statefs_replay_report *rep,
			uint64_t *next_seq, struct statefs_walk *wk);
/* statefs_writer_load_tail: position w at tail (the end of the replayed chain): past
 * the zero padding of its sector when the rest of the sector is zero, else at tail
 * with the sector's prefix buffered (the torn bytes after it are rewritten). */
int statefs_writer_load_tail(struct statefs *fs, struct statefs_writer *w, uint64_t tail);

/* statefs_ra_begin / statefs_ra_end: read the region through a read-ahead window
 * between them (a walk: replay or checkpoint load; no writes in between). */
int statefs_ra_begin(struct statefs *fs);
void statefs_ra_end(struct statefs *fs);

/* statefs_walk_init: bounds of a walk of the active region under sb from offset 0,
 * stepping over the checkpoints sb names. */
void statefs_walk_init(struct statefs_walk *wk, const struct statefs_super *sb);

/* checkpoints (statefs_ckpt.c) */
/* statefs_ckpt_load: read the checkpoint ref names into ix (empty on entry); sets
 * *epoch to its records' epoch. CAIRN_EBADMSG when any chunk is missing, fails
 * its CRC or holds an entry that is not a valid, ordered, in-bounds key. */
int statefs_ckpt_load(struct statefs *fs, const struct statefs_ckpt_ref *ref,
		      struct statefs_index *ix, uint64_t *epoch);
/* statefs_ckpt_maybe: after a commit, write a checkpoint of the index when force or
 * enough was appended since the last one (docs/statefs.md), commit it and name it
 * in a new superblock. Skipped (0) when it does not fit or checkpoints are off. */
int statefs_ckpt_maybe(struct statefs *fs, int why);
#define STATEFS_CKPT_AT_SYNC 0
#define STATEFS_CKPT_AT_UNMOUNT 1
#define STATEFS_CKPT_AT_COMPACTION 2

/* engine (statefs_mount.c) */
#define STATEFS_EPOCH_LIMIT (UINT64_MAX / 2) /* superblock epochs stay below this */
int statefs_start_session(struct statefs *fs);
int statefs_fail(struct statefs *fs, int err);
/* statefs_may_write: 0, or why a write is refused: CAIRN_EROFS for a read-only
 * or refused mount, CAIRN_EIO once the store failed. */
static inline int statefs_may_write(const struct statefs *fs)
{
	if (fs->read_only || fs->refused)
		return CAIRN_EROFS;
	return fs->broken ? CAIRN_EIO : 0;
}

/* compaction (statefs_compact.c): rewrite the live set with ops applied into the
 * other region and switch to it with one superblock write. */
int statefs_compact(struct statefs *fs, const struct statefs_op *ops, size_t n);
/* statefs_apply_ops_index: apply ops (already written at offs) to the index. */
int statefs_apply_ops_index(struct statefs *fs, const struct statefs_op *ops, size_t n,
			    const uint64_t *offs);
/* statefs_op_is_final (statefs_ops.c): ops[i] is the last op of the batch on its
 * key, so its record is the one that survives. */
bool statefs_op_is_final(const struct statefs_op *ops, size_t n, size_t i);

#endif
