/* The crash campaign's workload: a seeded, deterministic sequence of statefs
 * operations (puts, deletes, batches, progress+sync points, statefs restarts)
 * over CW_KEYS keys and many value sizes. Plain C with no allocation and no I/O,
 * built both into the image (which executes the operations, components/selftest)
 * and into the host campaign (whose oracle replays the same sequence as a model).
 *
 * Progress: a SYNC operation puts CW_PROGRESS_KEY = its own operation index
 * (8 bytes LE) and then calls sync(). The store therefore records how far the
 * workload got; the oracle needs no side channel (docs/crash-testing.md). */
#ifndef CRASH_WORKLOAD_H
#define CRASH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#define CW_KEYS 48u			   /* workload keys k00..k47 */
#define CW_PROGRESS CW_KEYS		   /* key index of the progress key */
#define CW_NKEYS (CW_KEYS + 1u)		   /* every key the workload writes */
#define CW_PREFIX "/state/selftest/crash/" /* every workload key starts with this */
#define CW_PROGRESS_KEY CW_PREFIX "progress"
#define CW_KEY_LEN_MAX 40u /* buffer size for a key */
#define CW_VALUE_MAX 6144u /* largest value the workload writes */
#define CW_BATCH_MAX 6u	   /* operations in one batch */

enum cw_kind {
	CW_PUT = 1, /* one put */
	CW_DELETE,  /* one delete of a key present in the model */
	CW_BATCH,   /* 2..CW_BATCH_MAX puts/deletes on distinct keys, atomic */
	CW_SYNC,    /* put the progress key (= this op's index), then sync() */
	CW_RESTART, /* restart statefs (unmount, re-mount: a new session) */
};

struct cw_sub {
	uint8_t del;  /* 1: delete, 0: put */
	uint8_t key;  /* key index, 0..CW_NKEYS-1 */
	uint16_t len; /* value length for a put (8..CW_VALUE_MAX) */
};

struct cw_op {
	uint64_t index; /* position in the sequence, from 0 */
	enum cw_kind kind;
	unsigned n; /* sub-operations: 1 for PUT/DELETE/SYNC, 0 for RESTART */
	struct cw_sub sub[CW_BATCH_MAX];
};

/* The generator's whole state: a PRNG and which keys the model holds. */
struct cw_gen {
	uint64_t seed;
	uint64_t rng;
	uint64_t next;	  /* index of the next op */
	uint64_t present; /* bit k: key k exists after the ops generated so far */
};

/* cw_init: a generator at op 0 for seed. */
void cw_init(struct cw_gen *g, uint64_t seed);
/* cw_next: generate the next operation into op (and advance the model). */
void cw_next(struct cw_gen *g, struct cw_op *op);
/* cw_key: write key index k's name into buf (CW_KEY_LEN_MAX bytes); its length. */
size_t cw_key(unsigned k, char *buf);
/* cw_value: the value op `index` writes to key k, len bytes, into buf. The
 * progress key's value is the op index as 8 bytes LE (len must be 8). */
void cw_value(uint64_t seed, uint64_t index, unsigned k, size_t len, uint8_t *buf);
/* cw_digest: fold one key and its value into a running digest (start with 0):
 * CRC32-C over the key, its value length (4 bytes LE) and the value. The image
 * and the host fold the workload keys in byte order to compare a whole state. */
uint32_t cw_digest(uint32_t crc, const char *key, size_t klen, const void *val, size_t len);
/* cw_key_index: the key index of name[0..len), or -1 when it is not a workload key. */
int cw_key_index(const char *name, size_t len);

#endif
