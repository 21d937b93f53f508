/* statefs: a journaled, crash-safe key/value store over the block-device interface.
 *
 * Keys are UTF-8 paths under "/state/"; values are opaque byte strings of at most
 * STATEFS_VALUE_MAX bytes. put/delete/batch replace atomically; sync() is the only
 * durability boundary. The on-disk format and the crash-safety argument are in
 * docs/statefs.md.
 *
 * Threading: an instance is single-threaded; the caller (the image component)
 * serialises every call on one struct statefs with its own lock.
 *
 * Return values: 0 is success, positive values carry sizes or counts, negative
 * values are CAIRN_E* codes, each with ONE meaning in this API:
 *   CAIRN_ENOENT   no such key
 *   CAIRN_EINVAL   invalid key (see statefs_key_check) or invalid argument
 *   CAIRN_EFBIG    value larger than STATEFS_VALUE_MAX
 *   CAIRN_ENOSPC   no space: the live set plus the change does not fit in one
 *                  journal region (after compaction) -- for a change that grows
 *                  the live set, with statefs_reserve() bytes to spare -- or the
 *                  key cap is reached. A delete never gets it.
 *   CAIRN_EIO      the device reported an error; the instance is then "broken" and
 *                  every later mutating call fails with CAIRN_EIO until re-mounted
 *   CAIRN_EBADMSG  corrupt: a superblock, record or index failed a check
 *   CAIRN_EROFS    the store is mounted read-only (or the device is read-only)
 *   CAIRN_EACCES   permission denied: reserved for the image component layer, which
 *                  checks the caller's key-prefix grant before calling the engine
 *   CAIRN_ERANGE   the caller's buffer is smaller than the value (statefs_get)
 *   CAIRN_ENOMEM   memory allocation failed
 */
#ifndef STATEFS_H
#define STATEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/blkdev.h"
#include "cairn/err.h"

#define STATEFS_KEY_PREFIX "/state/"  /* every key starts with this */
#define STATEFS_KEY_MAX 255u	      /* bytes, excluding the NUL terminator */
#define STATEFS_VALUE_MAX 65536u      /* bytes; 0-byte values are allowed */
#define STATEFS_BATCH_MAX 64u	      /* operations in one statefs_batch() */
#define STATEFS_MIN_REGION_SECTORS 4u /* smallest journal region mkfs accepts */

/* Mount flags (statefs_config.flags). */
#define STATEFS_MOUNT_FORMAT_EMPTY 0x1u	 /* format when neither superblock exists */
#define STATEFS_MOUNT_READ_ONLY 0x2u	 /* never write; mutators return CAIRN_EROFS */
#define STATEFS_MOUNT_NO_CHECKPOINT 0x4u /* write no checkpoints (valid ones are still used) */

struct statefs; /* opaque instance, created by statefs_mount */

struct statefs_config {
	struct blkdev *bdev;	/* device holding the store; must outlive the mount */
	uint32_t flags;		/* STATEFS_MOUNT_* bits; default 0 */
	uint32_t max_keys;	/* cap on live keys (memory bound); 0 = 65536 */
	uint32_t max_records;	/* replay record-count cap; 0 = region bytes / 32 */
	uint32_t ckpt_interval; /* bytes of appends after which a sync writes an index
				   checkpoint (at least twice the checkpoint's size);
				   0 = 1 MiB (docs/statefs.md, "Checkpoints") */
};

/* Which index checkpoint a mount started from (docs/statefs.md, "Checkpoints"). */
enum statefs_ckpt_use {
	STATEFS_CKPT_NONE = 0,	  /* the superblock names none: full replay */
	STATEFS_CKPT_NEWEST,	  /* the newest one; only the records after it replayed */
	STATEFS_CKPT_PREVIOUS,	  /* the newest one was damaged: the one before it */
	STATEFS_CKPT_FULL_REPLAY, /* every checkpoint named was damaged: full replay */
};

/* Why replay stopped. "Clean" reasons mean the journal simply ended. */
enum statefs_stop_reason {
	STATEFS_STOP_NO_RECORD = 0,  /* clean: no record magic (zeroed/never written) */
	STATEFS_STOP_END_OF_REGION,  /* clean: fewer than a header's bytes remain */
	STATEFS_STOP_STALE_EPOCH,    /* clean: record from an older epoch (old garbage) */
	STATEFS_STOP_BAD_LENGTH,     /* torn/corrupt: key/value length out of range */
	STATEFS_STOP_BAD_TYPE,	     /* torn/corrupt: unknown type or flag bits */
	STATEFS_STOP_BAD_EPOCH,	     /* torn/corrupt: epoch newer than the superblock's */
	STATEFS_STOP_BAD_SEQ,	     /* torn/corrupt: sequence does not continue */
	STATEFS_STOP_BAD_CRC,	     /* torn/corrupt: CRC32-C mismatch */
	STATEFS_STOP_BAD_KEY,	     /* corrupt: CRC ok but the key is invalid */
	STATEFS_STOP_BATCH_TOO_LONG, /* corrupt: more than STATEFS_BATCH_MAX linked records */
	STATEFS_STOP_RECORD_CAP,     /* replay hit the configured record-count cap */
	STATEFS_STOP_KEY_CAP,	     /* the next batch would index more than max_keys keys */
};

/* Recovery class of a mount: what replay found and what the engine does about it
 * (docs/statefs.md, "Recovery classes"). Every class but CLEAN is reported by the
 * image component (marker + audit) and makes statefs-fsck exit 1. */
enum statefs_mount_class {
	STATEFS_CLASS_CLEAN = 0,   /* the journal simply ended: nothing lost; read-write */
	STATEFS_CLASS_TORN_TAIL,   /* an unsynced, torn or incomplete tail was discarded and
				       nothing shows it had been synced; read-write: the next
				       write (or statefs_truncate_tail) repairs the tail */
	STATEFS_CLASS_DAMAGED,	   /* replay stopped before records known to be durable
				       (valid records follow the stop, or the stop is before
				       the superblock's durable end, or a record/key cap was
				       reached): served read-only, nothing is written */
	STATEFS_CLASS_ROLLED_BACK, /* the superblock in use is older than the newest one
				       written (records newer than it in the active region, or
				       the idle region holds a committed newer state): served
				       read-only; statefs-fsck --roll-forward adopts the newer state */
};

struct statefs_replay_report {
	uint64_t records_replayed; /* records applied to the index */
	uint64_t stop_offset;	   /* byte offset in the region where appends continue */
	enum statefs_stop_reason stop_reason;
	uint64_t bytes_discarded;	      /* bytes of records seen but not applied (torn batch,
	                               bad record's claimed length when in range) */
	uint64_t bad_record_index;	      /* index (from 0) of the record that stopped replay */
	uint64_t bad_offset;		      /* byte offset of that record */
	uint32_t region;		      /* active journal region, 0 (A) or 1 (B) */
	uint64_t region_bytes;		      /* size of each journal region in bytes */
	uint64_t generation;		      /* superblock generation in use */
	bool clean;			      /* the journal ended cleanly and nothing was found
	                               beyond it: mount_class == STATEFS_CLASS_CLEAN */
	bool formatted;			      /* mount formatted an empty device */
	enum statefs_mount_class mount_class; /* recovery class, see above */
	bool refused;			      /* the class makes the engine refuse writes: mutators
	                               return CAIRN_EROFS (DAMAGED, ROLLED_BACK) */
	uint64_t evidence_offset;	  /* DAMAGED/ROLLED_BACK: region offset of the record that
	                               proves it (a durable record after the stop, the
	                               newer record, or the idle region's first record);
	                               for a stop before durable_end: durable_end */
	uint32_t evidence_region;	  /* the region evidence_offset is in, 0 (A) or 1 (B) */
	enum statefs_ckpt_use checkpoint; /* the checkpoint mount started from */
	uint64_t checkpoint_offset;	  /* its region offset (NEWEST, PREVIOUS) */
	uint64_t checkpoint_keys;	  /* keys it held */
	uint32_t checkpoint_damaged;	  /* bit 0: the newest, bit 1: the previous one
					     was named by the superblock but failed to
					     load (CRC, structure, bounds); damaged ones
					     are stepped over, never trusted */
	uint64_t ckpt_records_skipped;	  /* damaged checkpoint chunks the replay stepped
					  over (the chain continued after them) */
};

/* Problems statefs_check can report, first one wins. */
enum statefs_check_problem {
	STATEFS_CHECK_OK = 0,
	STATEFS_CHECK_TORN_TAIL,   /* replay stopped on a torn record (repairable) */
	STATEFS_CHECK_SUPER_COPY,  /* one superblock copy is invalid (warning) */
	STATEFS_CHECK_RECORD,	   /* an indexed record fails its CRC or key match */
	STATEFS_CHECK_INDEX,	   /* in-memory index disagrees with a fresh replay */
	STATEFS_CHECK_DAMAGED,	   /* class DAMAGED: records beyond the stop (read-only) */
	STATEFS_CHECK_ROLLED_BACK, /* class ROLLED_BACK: a newer superblock was lost */
	STATEFS_CHECK_CHECKPOINT,  /* a checkpoint the superblock names does not load
				       (warning: mount fell back; the next one replaces it) */
};

struct statefs_check_report {
	enum statefs_check_problem problem;
	uint64_t records_checked; /* records re-read and CRC-verified */
	uint64_t keys;		  /* live keys */
	uint64_t bad_offset;	  /* byte offset (in the region) of the first bad record */
	enum statefs_stop_reason stop_reason; /* replay stop reason of the fresh walk */
	uint32_t super_valid_mask;	      /* bit i set when superblock copy i is valid */
};

struct statefs_dirent {
	char key[STATEFS_KEY_MAX + 1]; /* NUL-terminated key */
	uint32_t value_len;	       /* value size in bytes */
};

#define STATEFS_OP_PUT 1
#define STATEFS_OP_DELETE 2

struct statefs_op {
	int type;	   /* STATEFS_OP_PUT or STATEFS_OP_DELETE */
	const char *key;   /* NUL-terminated key */
	const void *value; /* PUT only */
	size_t value_len;  /* PUT only, <= STATEFS_VALUE_MAX */
};

struct statefs_stats {
	uint64_t keys;		       /* live keys */
	uint64_t live_bytes;	       /* bytes the live records occupy in a fresh region */
	uint64_t region_bytes;	       /* journal region size */
	uint64_t tail;		       /* append offset in the active region */
	uint64_t compactions;	       /* compactions done by this instance */
	uint64_t device_bytes_written; /* bytes handed to blkdev_write by this instance */
	uint64_t checkpoints;	       /* index checkpoints written by this instance */
};

/* statefs_format: write an empty store over the whole device (two superblocks,
 * two journal regions). 0, CAIRN_EINVAL when the device is too small, CAIRN_EROFS,
 * CAIRN_EIO. Flushes before returning. */
int statefs_format(struct blkdev *bd);

/* statefs_mount: read the superblocks, replay the journal and build the index.
 * report (may be NULL) says where and why replay stopped. Formats first only when
 * STATEFS_MOUNT_FORMAT_EMPTY is set and no superblock magic is found. Errors:
 * CAIRN_ENOENT no store on the device, CAIRN_EBADMSG corrupt superblocks,
 * CAIRN_EINVAL bad config, CAIRN_EIO, CAIRN_ENOMEM. */
int statefs_mount(struct statefs **fsp, const struct statefs_config *cfg,
		  struct statefs_replay_report *report);

/* statefs_unmount: sync (when writable) and free. Returns the sync result; the
 * instance is freed either way. */
int statefs_unmount(struct statefs *fs);

/* statefs_abandon: free the instance WITHOUT writing anything: unsynced changes
 * are lost as if power had failed (tests, error paths). */
void statefs_abandon(struct statefs *fs);

/* statefs_put: set key to value (atomic replace). Not durable until sync. */
int statefs_put(struct statefs *fs, const char *key, const void *value, size_t len);

/* statefs_get: copy key's value into buf; returns the value length. CAIRN_ERANGE
 * (nothing copied) when bufsize is smaller than the value. */
int statefs_get(struct statefs *fs, const char *key, void *buf, size_t bufsize);

/* statefs_size: the value length of key, or CAIRN_ENOENT / CAIRN_EINVAL. */
int statefs_size(struct statefs *fs, const char *key);

/* statefs_delete: remove key; CAIRN_ENOENT when absent. Not durable until sync. */
int statefs_delete(struct statefs *fs, const char *key);

/* statefs_batch: apply n (1..STATEFS_BATCH_MAX) puts/deletes atomically: after a
 * crash either all or none are visible. Validated fully before anything changes;
 * deleting an absent key fails the whole batch with CAIRN_ENOENT. */
int statefs_batch(struct statefs *fs, const struct statefs_op *ops, size_t n);

/* statefs_list: fill out[0..max) with keys starting with prefix (a byte prefix,
 * at most STATEFS_KEY_MAX bytes), in byte order, strictly after the cursor `after`
 * (NULL or "" to start). Returns the count; fewer than max means the walk is done.
 * Resume by passing the last returned key as `after`. */
int statefs_list(struct statefs *fs, const char *prefix, const char *after,
		 struct statefs_dirent *out, size_t max);

/* statefs_sync: write buffered records and flush the device. After 0, every
 * earlier change survives any crash. */
int statefs_sync(struct statefs *fs);

/* statefs_compact_now: rewrite the live set into the other region now (the same
 * crash-safe switch a full region triggers), reclaiming the space of overwritten
 * and deleted records. Needs no free space: the other region is always kept for
 * it. CAIRN_EROFS, CAIRN_EIO, CAIRN_EBADMSG (a live record failed its check),
 * CAIRN_ENOMEM. */
int statefs_compact_now(struct statefs *fs);

/* statefs_reserve: journal bytes of a region that a change growing the live set
 * may not take (ENOSPC instead): what a delete and the sync after it need right
 * after a compaction, so that on a full store a delete always succeeds and
 * frees space. round_up(32 + STATEFS_KEY_MAX, ss) + ss: 1 KiB at 512-byte
 * sectors, 8 KiB at 4096. 0 for NULL. */
uint64_t statefs_reserve(const struct statefs *fs);

/* statefs_check: fsck: verify both superblocks, re-read every live record (CRC,
 * key) and compare the index with a fresh replay. 0 clean, CAIRN_EBADMSG when a
 * problem (other than a torn tail or one bad superblock copy) is found -- a bad
 * record, an index mismatch, a DAMAGED or ROLLED_BACK store -- CAIRN_EIO. */
int statefs_check(struct statefs *fs, struct statefs_check_report *report);

/* statefs_truncate_tail: repair a torn tail: zero the journal after the last valid
 * record so later replays stop cleanly there; flushes. CAIRN_EROFS when read-only. */
int statefs_truncate_tail(struct statefs *fs);

/* statefs_discard_damaged: operator repair of a DAMAGED mount (statefs-fsck
 * --discard-damaged): keep what replayed and compact it into the other region
 * under a fresh epoch, abandoning the records after the damage. The instance is
 * writable afterwards. CAIRN_EINVAL when the class is not DAMAGED, CAIRN_EROFS
 * for a read-only mount, CAIRN_EIO, CAIRN_ENOMEM. */
int statefs_discard_damaged(struct statefs *fs);

/* statefs_roll_forward: operator repair of a ROLLED_BACK mount (statefs-fsck
 * --roll-forward): write a superblock naming the newest state the lost superblock
 * named (the idle region, or the active one with its newer records) and flush.
 * The instance is unchanged; unmount it and mount again. CAIRN_EINVAL when the class
 * is not ROLLED_BACK, CAIRN_EROFS, CAIRN_EIO, CAIRN_ENOMEM. */
int statefs_roll_forward(struct statefs *fs);

/* statefs_mount_class_name: stable short name of a recovery class. */
const char *statefs_mount_class_name(enum statefs_mount_class c);

/* statefs_stats: fill st with counters; never fails. */
void statefs_stats(const struct statefs *fs, struct statefs_stats *st);

/* statefs_key_check: 0 when key[0..len) is a valid canonical key, else CAIRN_EINVAL.
 * Valid: starts with "/state/", 1..STATEFS_KEY_MAX bytes, well-formed UTF-8 (no
 * overlongs, surrogates or code points above U+10FFFF), no control character (C0
 * including NUL, DEL, C1 U+0080..U+009F), no empty, "." or ".."
 * segment (so no "//"), no trailing "/". Non-canonical forms are REJECTED, never
 * rewritten. */
int statefs_key_check(const char *key, size_t len);

/* statefs_prefix_check: 0 when prefix[0..len) is a valid list prefix, else
 * CAIRN_EINVAL: "/state/" itself, or a valid key (statefs_key_check) followed by
 * exactly one '/'. */
int statefs_prefix_check(const char *prefix, size_t len);

/* statefs_stop_reason_name: stable short name of a replay stop reason. */
const char *statefs_stop_reason_name(enum statefs_stop_reason r);

/* statefs_ckpt_use_name: stable short name of a checkpoint use ("none", "newest",
 * "previous", "full-replay"). */
const char *statefs_ckpt_use_name(enum statefs_ckpt_use u);

#endif
