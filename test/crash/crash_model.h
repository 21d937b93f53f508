/* The oracle's model of the workload: for every key, each write (op index,
 * length or delete) the deterministic workload makes, so "the value of key k
 * after op X" and "the ops X at which k holds the value op j wrote" are binary
 * searches. Host only. */
#ifndef CRASH_MODEL_H
#define CRASH_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "crash_workload.h"

struct cm_write {
	uint64_t op;  /* op index */
	uint32_t len; /* value length */
	bool del;     /* a delete */
};

struct cm_key {
	struct cm_write *w; /* writes in op order */
	uint64_t n;
};

struct cm_model {
	uint64_t seed;
	uint64_t nops; /* ops 0..nops-1; the last one is a SYNC */
	struct cm_key key[CW_NKEYS];
	uint64_t *syncs; /* op indices of the SYNC ops, ascending */
	uint64_t nsyncs;
	uint64_t *restarts; /* op indices of the RESTART ops */
	uint64_t nrestarts;
};

/* cm_build: the model of seed's workload up to the first SYNC at or after op
 * min_ops - 1. 0 or CAIRN_ENOMEM. */
int cm_build(struct cm_model *m, uint64_t seed, uint64_t min_ops);
/* cm_free: free the model. */
void cm_free(struct cm_model *m);
/* cm_find_write: index in key k's writes of the write at op j, or -1. */
int64_t cm_find_write(const struct cm_model *m, unsigned k, uint64_t j);
/* cm_present_at: after op x (x = -1: before any op), whether key k exists. */
bool cm_present_at(const struct cm_model *m, unsigned k, int64_t x);
/* cm_prev_sync: the last SYNC op strictly before op v, or -1. */
int64_t cm_prev_sync(const struct cm_model *m, uint64_t v);
/* cm_next_sync: the first SYNC op strictly after op v (v = -1: the first), or nops. */
uint64_t cm_next_sync(const struct cm_model *m, int64_t v);
/* cm_is_sync: op v is a SYNC op. */
bool cm_is_sync(const struct cm_model *m, uint64_t v);

#endif
