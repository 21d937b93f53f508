/* The workload model (crash_model.h): built once per campaign from the same
 * generator the image runs. */
#include "crash_model.h"

#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"

/* push: append x to a growing u64 array. */
static int push(uint64_t **a, uint64_t *n, uint64_t *cap, uint64_t x)
{
	if (*n == *cap) {
		uint64_t c = *cap ? 2 * *cap : 64;
		uint64_t *p = realloc(*a, c * sizeof(**a));
		if (!p)
			return CAIRN_ENOMEM;
		*a = p;
		*cap = c;
	}
	(*a)[(*n)++] = x;
	return 0;
}

/* push_write: append one write to key k. */
static int push_write(struct cm_key *k, uint64_t *cap, struct cm_write w)
{
	if (k->n == *cap) {
		uint64_t c = *cap ? 2 * *cap : 32;
		struct cm_write *p = realloc(k->w, c * sizeof(*p));
		if (!p)
			return CAIRN_ENOMEM;
		k->w = p;
		*cap = c;
	}
	k->w[k->n++] = w;
	return 0;
}

/* cm_build: run the generator and record each key's writes, the SYNC and RESTART ops. */
int cm_build(struct cm_model *m, uint64_t seed, uint64_t min_ops)
{
	memset(m, 0, sizeof(*m));
	m->seed = seed;
	uint64_t kcap[CW_NKEYS] = { 0 }, scap = 0, rcap = 0;
	struct cw_gen g;
	struct cw_op op;
	cw_init(&g, seed);
	int err = 0;
	do {
		cw_next(&g, &op);
		for (unsigned i = 0; !err && i < op.n; i++) {
			const struct cw_sub *s = &op.sub[i];
			err = push_write(&m->key[s->key], &kcap[s->key],
					 (struct cm_write){ op.index, s->len, s->del != 0 });
		}
		if (!err && op.kind == CW_SYNC)
			err = push(&m->syncs, &m->nsyncs, &scap, op.index);
		if (!err && op.kind == CW_RESTART)
			err = push(&m->restarts, &m->nrestarts, &rcap, op.index);
	} while (!err && (op.index + 1 < min_ops || op.kind != CW_SYNC));
	m->nops = op.index + 1;
	if (err)
		cm_free(m);
	return err;
}

/* cm_free: free every array of the model. */
void cm_free(struct cm_model *m)
{
	for (unsigned k = 0; k < CW_NKEYS; k++)
		free(m->key[k].w);
	free(m->syncs);
	free(m->restarts);
	memset(m, 0, sizeof(*m));
}

/* last_le: index of the last write of k at or before op x (x may be -1), or -1. */
static int64_t last_le(const struct cm_key *k, int64_t x)
{
	int64_t lo = 0, hi = (int64_t)k->n - 1, r = -1;
	while (lo <= hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if ((int64_t)k->w[mid].op <= x) {
			r = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return r;
}

/* cm_find_write: binary search of key k's writes for op j. */
int64_t cm_find_write(const struct cm_model *m, unsigned k, uint64_t j)
{
	if (k >= CW_NKEYS || j > (uint64_t)INT64_MAX)
		return -1;
	int64_t i = last_le(&m->key[k], (int64_t)j);
	return i >= 0 && m->key[k].w[i].op == j ? i : -1;
}

/* cm_present_at: key k's last write at or before x is a put. */
bool cm_present_at(const struct cm_model *m, unsigned k, int64_t x)
{
	int64_t i = last_le(&m->key[k], x);
	return i >= 0 && !m->key[k].w[i].del;
}

/* first_gt: index of the first sync strictly after v (v may be -1). */
static uint64_t first_gt(const struct cm_model *m, int64_t v)
{
	uint64_t lo = 0, hi = m->nsyncs;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if ((int64_t)m->syncs[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* cm_prev_sync: the SYNC op before v. */
int64_t cm_prev_sync(const struct cm_model *m, uint64_t v)
{
	uint64_t i = first_gt(m, (int64_t)v - 1); /* first sync >= v */
	return i == 0 ? -1 : (int64_t)m->syncs[i - 1];
}

/* cm_next_sync: the SYNC op after v. */
uint64_t cm_next_sync(const struct cm_model *m, int64_t v)
{
	uint64_t i = first_gt(m, v);
	return i < m->nsyncs ? m->syncs[i] : m->nops;
}

/* cm_is_sync: v is one of the SYNC ops. */
bool cm_is_sync(const struct cm_model *m, uint64_t v)
{
	uint64_t i = first_gt(m, (int64_t)v - 1);
	return i < m->nsyncs && m->syncs[i] == v;
}
