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

/* statefs_index_find: binary search; see statefs_internal.h. */
long statefs_index_find(const struct statefs_index *ix, const char *key, size_t klen)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct statefs_entry *e = &ix->v[mid];
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
static int grow(struct statefs_index *ix)
{
	if (ix->n < ix->cap)
		return 0;
	size_t cap = ix->cap ? ix->cap * 2 : 64;
	struct statefs_entry *v = realloc(ix->v, cap * sizeof(*v));
	if (!v)
		return CAIRN_ENOMEM;
	ix->v = v;
	ix->cap = cap;
	return 0;
}

/* grow_and_copy: room for one more entry and a NUL-terminated copy of the key
 * (the caller owns *copy). */
static int grow_and_copy(struct statefs_index *ix, const char *key, size_t klen, char **copy)
{
	int err = grow(ix);
	if (err)
		return err;
	*copy = malloc(klen + 1);
	if (!*copy)
		return CAIRN_ENOMEM;
	memcpy(*copy, key, klen);
	(*copy)[klen] = '\0';
	return 0;
}

/* statefs_index_set: insert or update; live_bytes follows. */
int statefs_index_set(struct statefs_index *ix, const char *key, size_t klen, uint64_t off,
		      uint32_t vlen)
{
	long pos = statefs_index_find(ix, key, klen);
	if (pos >= 0) {
		struct statefs_entry *e = &ix->v[pos];
		ix->live_bytes -= statefs_rec_len(e->key_len, e->value_len);
		e->off = off;
		e->value_len = vlen;
		ix->live_bytes += statefs_rec_len(klen, vlen);
		return 0;
	}
	char *copy;
	int err = grow_and_copy(ix, key, klen, &copy);
	if (err)
		return err;
	size_t at = (size_t)(-pos - 1);
	memmove(&ix->v[at + 1], &ix->v[at], (ix->n - at) * sizeof(ix->v[0]));
	ix->v[at] = (struct statefs_entry){ copy, (uint16_t)klen, vlen, off };
	ix->n++;
	ix->live_bytes += statefs_rec_len(klen, vlen);
	return 0;
}

/* statefs_index_append: see statefs_internal.h. */
int statefs_index_append(struct statefs_index *ix, const char *key, size_t klen, uint64_t off,
			 uint32_t vlen)
{
	char *copy;
	int err = grow_and_copy(ix, key, klen, &copy);
	if (err)
		return err;
	ix->v[ix->n++] = (struct statefs_entry){ copy, (uint16_t)klen, vlen, off };
	ix->live_bytes += statefs_rec_len(klen, vlen);
	return 0;
}

/* statefs_index_remove: drop key when present. */
bool statefs_index_remove(struct statefs_index *ix, const char *key, size_t klen)
{
	long pos = statefs_index_find(ix, key, klen);
	if (pos < 0)
		return false;
	struct statefs_entry *e = &ix->v[pos];
	ix->live_bytes -= statefs_rec_len(e->key_len, e->value_len);
	free(e->key);
	memmove(e, e + 1, (ix->n - (size_t)pos - 1) * sizeof(*e));
	ix->n--;
	return true;
}

/* statefs_index_free: release all memory; the index is empty afterwards. */
void statefs_index_free(struct statefs_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->v[i].key);
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}
