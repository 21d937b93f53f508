/* statefs service: the image component's public interface to the /state store.
 *
 * The statefs component claims the virtio-blk disk whose serial is "state" (the
 * capability table's `disk state owner=statefs` line), mounts it (formatting only a
 * blank disk, never a corrupt one) and serves the calls below to other components,
 * from any number of threads on any hart (calls are serialised on one mutex inside
 * the component; the engine itself is single-threaded).
 *
 * Every call goes through the capability gate (the caller must be granted
 * statefs) and then the per-key policy: the *calling thread's* component must
 * hold the right on the key's prefix in the table's `prefix` lines (r = get,
 * w = put/delete, l = list). Deny by default: a key under no prefix, or a prefix
 * without the right, returns CAIRN_EACCES and appends an audit record printed as
 *   statefs: access denied (path=<key> sender=<component>) op=<op>
 * Values are never printed or audited.
 *
 * Errors (besides the engine's, see statefs.h): CAIRN_EPERM the caller is not
 * granted statefs (audited by the gate), CAIRN_EAGAIN statefs is not up (no state
 * disk, or restarting), CAIRN_EACCES denied by the key policy (audited),
 * CAIRN_EINVAL a malformed key or prefix (checked before the policy),
 * CAIRN_EDQUOT a put or batch would take a prefix over the `quota=` (key plus
 * value bytes) or `keys=` (live keys) of its table line; the batch is counted as
 * a whole (net of its deletes and overwrites) and nothing is applied. ENOSPC
 * stays the engine's: the device itself is full. */
#ifndef STATEFS_SVC_H
#define STATEFS_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "statefs.h"

#define STATEFS_BOOT_COUNT_KEY "/state/statefs/boot_count" /* 8-byte LE counter */

/* statefs_svc_put: set key to value (needs w). Not durable until statefs_svc_sync. */
int statefs_svc_put(const char *key, const void *value, size_t len);

/* statefs_svc_get: copy key's value into buf (needs r); returns the value length,
 * CAIRN_ERANGE when bufsize is too small, CAIRN_ENOENT when absent. */
int statefs_svc_get(const char *key, void *buf, size_t bufsize);

/* statefs_svc_delete: remove key (needs w); CAIRN_ENOENT when absent. */
int statefs_svc_delete(const char *key);

#define STATEFS_SVC_BATCH_MAX 8u /* operations in one statefs_svc_batch */

/* statefs_svc_batch: apply n (1..STATEFS_SVC_BATCH_MAX) puts/deletes atomically
 * (statefs_batch: after a crash all or none are visible); needs w on every key.
 * Not durable until statefs_svc_sync. */
int statefs_svc_batch(const struct statefs_op *ops, size_t n);

/* statefs_svc_list: keys under prefix (a "/state/.../" path ending in '/', needs
 * l on it) strictly after `after` (NULL or "" to start), up to max, in byte
 * order; returns the count (fewer than max: the walk is done). */
int statefs_svc_list(const char *prefix, const char *after, struct statefs_dirent *out, size_t max);

/* statefs_svc_sync: make every earlier change durable (any granted caller: a sync
 * exposes nothing and changes no key). */
int statefs_svc_sync(void);

/* statefs_svc_compact: rewrite the live set into the other journal region now,
 * reclaiming what overwritten and deleted records took (statefs_compact_now; any
 * granted caller, like sync). Works on a full store. */
int statefs_svc_compact(void);

/* What statefs_svc_usage reports about one prefix rule of the table. */
struct statefs_svc_usage {
	uint64_t bytes;	      /* key plus value bytes under the prefix (when tracked) */
	uint64_t quota_bytes; /* the rule's quota=, UINT64_MAX when none */
	uint32_t keys;	      /* live keys under the prefix (when tracked) */
	uint32_t quota_keys;  /* the rule's keys=, UINT32_MAX when none */
	bool tracked;	      /* the rule has a quota, so bytes and keys are kept */
};

/* statefs_svc_usage: the usage and quotas of the table's prefix rule `prefix`
 * (exactly a rule's prefix, e.g. "/state/shell/"; needs l on it). CAIRN_EINVAL
 * for a prefix that is not a rule's. */
int statefs_svc_usage(const char *prefix, struct statefs_svc_usage *out);

/* What statefs_svc_stat reports: figures of the mounted store and the last
 * mount's replay report. Exposes no key and no value. */
struct statefs_svc_stat {
	struct statefs_stats stats;
	struct statefs_replay_report replay;
	bool read_only;	   /* served read-only (disk, or records beyond the stop) */
	uint64_t mount_us; /* how long the last mount took */
	/* Group commit since the last mount (statefs_gcommit.h): */
	uint64_t sync_calls;   /* statefs_svc_sync calls */
	uint64_t sync_flushes; /* engine syncs (write-out + device flush) they ran */
};

/* statefs_svc_stat: the store's figures (any granted caller). */
int statefs_svc_stat(struct statefs_svc_stat *out);

/* statefs_svc_check: fsck of the mounted store: both superblocks, every live
 * record re-read and CRC-checked (any granted caller: it exposes no key or
 * value; it holds the store for the duration). 0 clean or CAIRN_EBADMSG, both
 * with *out filled (out->problem says what); or the gate's errors, CAIRN_EIO. */
int statefs_svc_check(struct statefs_check_report *out);

#endif
