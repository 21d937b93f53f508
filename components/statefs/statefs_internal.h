/* statefs private definitions: on-disk layout constants, little-endian codecs, the
 * in-memory index, the journal writer and the instance struct. The byte-by-byte
 * format is documented in docs/statefs.md; keep the two in step. */
#ifndef STATEFS_INTERNAL_H
#define STATEFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "statefs.h"

/* ---- On-disk constants ---------------------------------------------------- */

#define SFS_SB_MAGIC "CAIRNSFS"   /* 8 bytes at superblock offset 0 */
#define SFS_VERSION 1u
#define SFS_SB_SIZE 92u           /* encoded superblock bytes, CRC at 88 */
#define SFS_SB_COPIES 2u          /* copies at LBA 0 and LBA 1 */
#define SFS_FIRST_REGION_LBA 2u

#define SFS_REC_MAGIC 0x31524653u /* "SFR1" little-endian */
#define SFS_REC_HDR 32u           /* record header bytes, CRC at 28 */
#define SFS_REC_PUT 1u
#define SFS_REC_DEL 2u
#define SFS_REC_FLAG_CONT 0x01u   /* batch continues in the next record */
#define SFS_REC_MAX (SFS_REC_HDR + STATEFS_KEY_MAX + STATEFS_VALUE_MAX)

#define SFS_DEFAULT_MAX_KEYS 65536u

/* ---- Little-endian codecs (the format is LE whatever the host) ----------- */

/* le16/le32/le64 get and put: byte-wise so alignment never matters. */
static inline uint16_t sfs_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t sfs_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t sfs_get64(const uint8_t *p)
{
	return (uint64_t)sfs_get32(p) | ((uint64_t)sfs_get32(p + 4) << 32);
}
static inline void sfs_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void sfs_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sfs_put64(uint8_t *p, uint64_t v)
{
	sfs_put32(p, (uint32_t)v);
	sfs_put32(p + 4, (uint32_t)(v >> 32));
}

/* sfs_strnlen: strlen capped at max (strnlen is POSIX, not C17). */
static inline size_t sfs_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

/* ---- Superblock ------------------------------------------------------------ */

struct sfs_super {
	uint32_t sector_size;      /* must equal the device's */
	uint64_t sector_count;     /* sectors the store spans (<= device) */
	uint64_t generation;       /* +1 on every superblock write; copy = gen % 2 */
	uint64_t region_lba[2];    /* first LBA of regions A and B */
	uint64_t region_sectors;   /* size of each region */
	uint32_t active;           /* 0 = A, 1 = B */
	uint64_t epoch;            /* highest epoch a record may carry */
	uint64_t region_epoch;     /* lowest epoch a record of the active region may carry */
	uint64_t start_seq;        /* sequence number of the active region's first record */
};

void sfs_super_encode(const struct sfs_super *sb, uint8_t *buf);
/* sfs_super_decode: 0, or CAIRN_ENOENT (no magic) / CAIRN_EBADMSG (invalid). */
int sfs_super_decode(struct sfs_super *sb, const uint8_t *buf, uint32_t dev_ss, uint64_t dev_count);
/* sfs_super_read: pick the valid copy with the highest generation. */
int sfs_super_read(struct blkdev *bd, struct sfs_super *sb, uint32_t *valid_mask);
/* sfs_super_write: write sb into copy generation % 2 and flush. */
int sfs_super_write(struct blkdev *bd, const struct sfs_super *sb, uint64_t *bytes_written);

/* ---- Index: sorted array of live keys -> record location ------------------ */

struct sfs_entry {
	char *key;          /* NUL-terminated, malloc'd */
	uint16_t key_len;   /* strlen(key) */
	uint32_t value_len; /* value bytes */
	uint64_t off;       /* record byte offset in the active region */
};

struct sfs_index {
	struct sfs_entry *v; /* sorted by key bytes, strictly ascending */
	size_t n;            /* live entries */
	size_t cap;          /* allocated entries */
	uint64_t live_bytes; /* sum of record lengths of live entries */
};

/* sfs_rec_len: bytes a record with this key and value occupies. */
static inline uint64_t sfs_rec_len(size_t klen, size_t vlen) { return SFS_REC_HDR + klen + vlen; }

/* sfs_index_find: position of key, or -(insertion point) - 1 when absent. */
long sfs_index_find(const struct sfs_index *ix, const char *key, size_t klen);
/* sfs_index_set: insert or update key's location; CAIRN_ENOMEM. */
int sfs_index_set(struct sfs_index *ix, const char *key, size_t klen, uint64_t off, uint32_t vlen);
/* sfs_index_remove: drop key if present; returns true when it was present. */
bool sfs_index_remove(struct sfs_index *ix, const char *key, size_t klen);
/* sfs_index_free: release every key and the array. */
void sfs_index_free(struct sfs_index *ix);

/* ---- Journal writer: buffered appends to one region ------------------------ */

struct sfs_writer {
	uint64_t region_lba;  /* region's first LBA */
	uint64_t region_bytes;/* region size */
	uint64_t base;        /* sector-aligned region offset of buf[0] */
	uint64_t tail;        /* append offset; bytes [base, tail) are valid in buf */
	uint64_t written;     /* bytes [0, written) have been handed to the device */
	uint8_t *buf;         /* SFS write buffer, zero beyond tail */
	size_t buf_size;      /* round_up(SFS_REC_MAX, ss) + ss */
};

/* ---- Instance ------------------------------------------------------------- */

struct statefs {
	/* Immutable after mount: */
	struct blkdev *bd;
	uint32_t ss;              /* sector size */
	uint32_t max_keys;
	uint32_t max_records;
	bool read_only;
	/* Mutable state (single-threaded; the image component holds its lock): */
	struct sfs_super sb;      /* superblock as last written/read */
	bool session_started;     /* epoch bumped for this mount's appends */
	bool broken;              /* a device error left memory and disk out of step */
	bool need_flush;          /* writes were issued since the last device flush */
	uint64_t epoch;           /* epoch stamped on new records */
	uint64_t epoch_hi;        /* highest epoch this instance ever used */
	uint64_t next_seq;        /* sequence number of the next record */
	struct sfs_index ix;      /* live keys */
	struct sfs_writer w;      /* writer for the active region */
	uint8_t *rbuf;            /* SFS_REC_MAX bytes: record read buffer */
	uint8_t *sbuf;            /* one sector: bounce buffer / read cache */
	uint64_t sbuf_lba;        /* LBA cached in sbuf, valid when sbuf_valid */
	bool sbuf_valid;
	uint64_t compactions;
	uint64_t bytes_written;   /* device bytes written by this instance */
	struct statefs_replay_report replay; /* what mount's replay found */
};

/* Decoded record header. */
struct sfs_rec {
	uint8_t type, flags;
	uint16_t key_len;
	uint32_t value_len;
	uint64_t epoch, seq;
	uint32_t crc;
};

/* journal (statefs_journal.c) */
int sfs_read_bytes(struct statefs *fs, const struct sfs_writer *w, uint64_t off, void *buf, size_t len);
int sfs_writer_init(struct sfs_writer *w, uint32_t ss, uint64_t lba, uint64_t bytes);
void sfs_writer_free(struct sfs_writer *w);
int sfs_writer_flush(struct statefs *fs, struct sfs_writer *w);
/* sfs_append: encode a record into w; returns its offset via off. CAIRN_ENOSPC when
 * it does not fit in the region. May write full buffered sectors. */
int sfs_append(struct statefs *fs, struct sfs_writer *w, const struct sfs_rec *r, const char *key,
	       const void *value, uint64_t *off);
/* sfs_read_record: read and CRC-check the record at off; key/value land in rbuf. */
int sfs_read_record(struct statefs *fs, const struct sfs_writer *w, uint64_t off, struct sfs_rec *r);
/* sfs_replay: walk the active region from 0 into ix; fills rep. */
int sfs_replay(struct statefs *fs, const struct sfs_writer *w, struct sfs_index *ix,
	       struct statefs_replay_report *rep, uint64_t *next_seq);
/* sfs_writer_load_tail: position w at tail, loading the partial tail sector. */
int sfs_writer_load_tail(struct statefs *fs, struct sfs_writer *w, uint64_t tail);

/* engine (statefs.c) */
int sfs_start_session(struct statefs *fs);
int sfs_fail(struct statefs *fs, int err);

/* compaction (statefs_compact.c): rewrite the live set with ops applied into the
 * other region and switch to it with one superblock write. */
int sfs_compact(struct statefs *fs, const struct statefs_op *ops, size_t n);
/* sfs_apply_ops_index: apply ops (already written at offs) to the index. */
int sfs_apply_ops_index(struct statefs *fs, const struct statefs_op *ops, size_t n, const uint64_t *offs);

#endif
