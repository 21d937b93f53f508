/* statefs in-memory index: a sorted array of live keys and where their latest
 * record lives. Lookups are binary searches; inserts shift the tail (O(n)), which
 * is cheap for the documented key cap. */
#include <stdlib.h>
#include <string.h>

#include "statefs_internal.h"

/* key_cmp: byte-order comparison of two keys given with lengths. */
static int key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return al < bl ? -1 : (al > bl ? 1 : 0);
}

/* sfs_index_find: binary search; see statefs_internal.h. */
long sfs_index_find(const struct sfs_index *ix, const char *key, size_t klen)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sfs_entry *e = &ix->v[mid];
		int c = key_cmp(e->key, e->key_len, key, klen);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

/* grow: make room for one more entry. */
static int grow(struct sfs_index *ix)
{
	if (ix->n < ix->cap)
		return 0;
	size_t cap = ix->cap ? ix->cap * 2 : 64;
	struct sfs_entry *v = realloc(ix->v, cap * sizeof(*v));
	if (!v)
		return CAIRN_ENOMEM;
	ix->v = v;
	ix->cap = cap;
	return 0;
}

/* sfs_index_set: insert or update; live_bytes follows. */
int sfs_index_set(struct sfs_index *ix, const char *key, size_t klen, uint64_t off, uint32_t vlen)
{
	long pos = sfs_index_find(ix, key, klen);
	if (pos >= 0) {
		struct sfs_entry *e = &ix->v[pos];
		ix->live_bytes -= sfs_rec_len(e->key_len, e->value_len);
		e->off = off;
		e->value_len = vlen;
		ix->live_bytes += sfs_rec_len(klen, vlen);
		return 0;
	}
	int err = grow(ix);
	if (err)
		return err;
	char *copy = malloc(klen + 1);
	if (!copy)
		return CAIRN_ENOMEM;
	memcpy(copy, key, klen);
	copy[klen] = '\0';
	size_t at = (size_t)(-pos - 1);
	memmove(&ix->v[at + 1], &ix->v[at], (ix->n - at) * sizeof(ix->v[0]));
	ix->v[at] = (struct sfs_entry){ copy, (uint16_t)klen, vlen, off };
	ix->n++;
	ix->live_bytes += sfs_rec_len(klen, vlen);
	return 0;
}

/* sfs_index_remove: drop key when present. */
bool sfs_index_remove(struct sfs_index *ix, const char *key, size_t klen)
{
	long pos = sfs_index_find(ix, key, klen);
	if (pos < 0)
		return false;
	struct sfs_entry *e = &ix->v[pos];
	ix->live_bytes -= sfs_rec_len(e->key_len, e->value_len);
	free(e->key);
	memmove(e, e + 1, (ix->n - (size_t)pos - 1) * sizeof(*e));
	ix->n--;
	return true;
}

/* sfs_index_free: release all memory; the index is empty afterwards. */
void sfs_index_free(struct sfs_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->v[i].key);
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}
