/* The crash campaign's deterministic workload generator (crash_workload.h).
 * Everything derives from the seed through splitmix64, so the image and the
 * host produce the identical sequence; op i depends on ops 0..i-1 only through
 * the generator state (which keys exist, so deletes always name a present key). */
#include "crash_workload.h"

#include <string.h>

#include "crypto.h"

/* splitmix: the next 64-bit PRNG output (Steele, Lea, Flood: SplitMix64). */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* below: a PRNG draw in 0..n-1 (n > 0; the modulo bias is irrelevant here). */
static unsigned below(struct cw_gen *g, unsigned n) { return (unsigned)(splitmix(&g->rng) % n); }

/* cw_init: seed the PRNG; no key exists yet. */
void cw_init(struct cw_gen *g, uint64_t seed)
{
	g->seed = seed;
	g->rng = seed ^ 0x63726173686c6f64ull; /* "crashlod" */
	g->next = 0;
	g->present = 0;
}

/* value_len: a value size: mostly small, some medium, a few large. */
static uint16_t value_len(struct cw_gen *g)
{
	unsigned r = below(g, 100);
	if (r < 55)
		return (uint16_t)(8 + below(g, 200));
	if (r < 88)
		return (uint16_t)(208 + below(g, 1800));
	return (uint16_t)(2008 + below(g, CW_VALUE_MAX - 2008 + 1));
}

/* gen_batch: 2..CW_BATCH_MAX sub-operations on distinct keys. */
static void gen_batch(struct cw_gen *g, struct cw_op *op)
{
	unsigned want = 2 + below(g, CW_BATCH_MAX - 1);
	uint64_t used = 0;
	op->n = 0;
	while (op->n < want) {
		unsigned k = below(g, CW_KEYS);
		if (used & (1ull << k))
			continue;
		used |= 1ull << k;
		struct cw_sub *s = &op->sub[op->n++];
		s->key = (uint8_t)k;
		s->del = (g->present & (1ull << k)) && below(g, 4) == 0;
		s->len = s->del ? 0 : value_len(g);
		if (s->del)
			g->present &= ~(1ull << k);
		else
			g->present |= 1ull << k;
	}
}

/* pick_present: a key present in the model, or -1 when none is. */
static int pick_present(struct cw_gen *g)
{
	if (!g->present)
		return -1;
	for (;;) {
		unsigned k = below(g, CW_KEYS);
		if (g->present & (1ull << k))
			return (int)k;
	}
}

/* cw_next: draw the op kind, then its keys and sizes, and update the model. */
void cw_next(struct cw_gen *g, struct cw_op *op)
{
	memset(op, 0, sizeof(*op));
	op->index = g->next++;
	unsigned r = below(g, 100);
	int k = r >= 50 && r < 64 ? pick_present(g) : -1;
	if (r < 9) {
		op->kind = CW_SYNC;
		op->n = 1;
		op->sub[0] = (struct cw_sub){ .del = 0, .key = CW_PROGRESS, .len = 8 };
	} else if (r < 10) {
		op->kind = CW_RESTART;
	} else if (k >= 0) {
		op->kind = CW_DELETE;
		op->n = 1;
		op->sub[0] = (struct cw_sub){ .del = 1, .key = (uint8_t)k, .len = 0 };
		g->present &= ~(1ull << k);
	} else if (r < 78) {
		op->kind = CW_PUT;
		op->n = 1;
		k = (int)below(g, CW_KEYS);
		op->sub[0] = (struct cw_sub){ .del = 0, .key = (uint8_t)k, .len = value_len(g) };
		g->present |= 1ull << k;
	} else {
		op->kind = CW_BATCH;
		gen_batch(g, op);
	}
}

/* cw_key: "<prefix>kNN" or "<prefix>progress". */
size_t cw_key(unsigned k, char *buf)
{
	static const char pre[] = CW_PREFIX;
	size_t n = sizeof(pre) - 1;
	memcpy(buf, pre, n);
	if (k == CW_PROGRESS) {
		memcpy(buf + n, "progress", 9);
		return n + 8;
	}
	buf[n++] = 'k';
	buf[n++] = (char)('0' + k / 10);
	buf[n++] = (char)('0' + k % 10);
	buf[n] = 0;
	return n;
}

/* cw_key_index: the inverse of cw_key. */
int cw_key_index(const char *name, size_t len)
{
	size_t n = sizeof(CW_PREFIX) - 1;
	if (len < n || memcmp(name, CW_PREFIX, n) != 0)
		return -1;
	name += n;
	len -= n;
	if (len == 8 && memcmp(name, "progress", 8) == 0)
		return CW_PROGRESS;
	if (len != 3 || name[0] != 'k' || name[1] < '0' || name[1] > '9' || name[2] < '0' ||
	    name[2] > '9')
		return -1;
	unsigned k = (unsigned)(name[1] - '0') * 10 + (unsigned)(name[2] - '0');
	return k < CW_KEYS ? (int)k : -1;
}

/* cw_value: the op index, then the PRNG stream of (seed, op, key). */
void cw_value(uint64_t seed, uint64_t index, unsigned k, size_t len, uint8_t *buf)
{
	if (k == CW_PROGRESS) {
		for (size_t i = 0; i < len; i++)
			buf[i] = i < 8 ? (uint8_t)(index >> (8 * i)) : 0;
		return;
	}
	/* The first 8 bytes carry the op index, so two writes of one key never look
	 * alike; the rest is a PRNG stream of (seed, index, key). */
	uint64_t s = seed ^ (index * 0x100000001b3ull) ^ ((uint64_t)k << 56);
	uint64_t w = 0;
	for (size_t i = 0; i < len; i++) {
		if (i < 8) {
			buf[i] = (uint8_t)(index >> (8 * i));
			continue;
		}
		if ((i & 7) == 0)
			w = splitmix(&s);
		buf[i] = (uint8_t)(w >> (8 * (i & 7)));
	}
}

/* cw_digest: CRC32-C of key, length (LE32) and value, continuing crc. */
uint32_t cw_digest(uint32_t crc, const char *key, size_t klen, const void *val, size_t len)
{
	uint8_t l[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
			 (uint8_t)(len >> 24) };
	crc = crypto_crc32c(crc, key, klen);
	crc = crypto_crc32c(crc, l, sizeof(l));
	return crypto_crc32c(crc, val, len);
}
