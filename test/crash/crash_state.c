/* Crash-state generation and the campaign loop (crash_state.h).
 *
 * One pass over the log keeps three images: `base` (every write before the last
 * completed flush: what a power cut cannot take away), `latest` (every write so
 * far, in log order) and `work` (the state being checked, equal to `latest`
 * between states; each state changes a few sectors and puts them back). So a
 * state costs the sectors it changes plus one read-only mount, never a copy of
 * the device.
 *
 * The oracle's bounds come from the log itself, not from a side channel: the
 * workload writes its progress key (value = the SYNC op's index) right before
 * each sync, so a write carrying progress v proves that the previous SYNC op
 * returned (the workload is sequential), and a flush after it proves v durable. */
#include "crash_state.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"

#define REC_MAGIC 0x31524653u /* "SFR1", statefs record magic (docs/statefs.md) */
#define REC_HDR 32u

/* splitmix: SplitMix64 step (deterministic choices from a recipe's seed). */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* mix: one seed out of several numbers. */
static uint64_t mix(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t s = a ^ 0x6372617368ull;
	(void)splitmix(&s);
	s ^= b;
	(void)splitmix(&s);
	s ^= c;
	return splitmix(&s);
}

/* rd32: the little-endian u32 at p. */
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* rd64: the little-endian u64 at p. */
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* cs_progress_in: the highest progress value of a complete, CRC-valid progress
 * record starting in img[from, to), or -1. */
int64_t cs_progress_in(const uint8_t *img, uint64_t size, uint64_t from, uint64_t to)
{
	static const char key[] = CW_PROGRESS_KEY;
	const uint32_t klen = sizeof(key) - 1, rlen = REC_HDR + klen + 8;
	int64_t best = -1;
	for (uint64_t off = from; off < to && off + rlen <= size; off++) {
		const uint8_t *p = img + off;
		if (rd32(p) != REC_MAGIC || p[4] != 1 || (p[6] | p[7] << 8) != klen ||
		    rd32(p + 8) != 8 || memcmp(p + REC_HDR, key, klen) != 0)
			continue;
		uint32_t crc = crypto_crc32c(0, p, 28);
		crc = crypto_crc32c(crc, p + REC_HDR, klen + 8);
		if (crc != rd32(p + 28))
			continue;
		int64_t v = (int64_t)rd64(p + REC_HDR + klen);
		if (v > best)
			best = v;
	}
	return best;
}

/* apply: write entry e into img. */
static void apply(uint8_t *img, const struct clog_entry *e)
{
	memcpy(img + e->sector * CS_SECTOR, e->data, e->nr_sectors * CS_SECTOR);
}

/* scan_write: the progress evidence a write adds (records starting in the
 * sector before it, which it may complete, or inside it). */
static int64_t scan_write(const uint8_t *img, uint64_t sectors, const struct clog_entry *e)
{
	uint64_t from = e->sector ? (e->sector - 1) * CS_SECTOR : 0;
	uint64_t to = (e->sector + e->nr_sectors) * CS_SECTOR;
	return cs_progress_in(img, sectors * CS_SECTOR, from, to);
}

/* note_super: count what a write of superblock sectors says: a new active
 * region (a compaction's switch) or a new epoch in the same region (a session
 * start). Offsets from docs/statefs.md. */
static void note_super(struct cs_camp *c, const struct clog_entry *e, uint32_t *active,
		       uint64_t *epoch, bool *any)
{
	for (uint64_t s = e->sector; s < e->sector + e->nr_sectors && s < 2; s++) {
		const uint8_t *p = e->data + (s - e->sector) * CS_SECTOR;
		if (memcmp(p, "CAIRNSFS", 8) != 0)
			continue;
		uint32_t act = rd32(p + 56);
		uint64_t ep = rd64(p + 64);
		c->super_writes++;
		if (*any && act != *active)
			c->region_switches++;
		else if (*any && ep > *epoch)
			c->epoch_bumps++;
		*active = act;
		*epoch = ep;
		*any = true;
	}
}

/* cs_init: one pass over the log for the progress evidence before each entry. */
int cs_init(struct cs_camp *c, const struct clog *log, const struct cm_model *m,
	    const uint8_t *initial, uint64_t sectors, const struct cs_options *opt)
{
	memset(c, 0, sizeof(*c));
	c->log = log;
	c->m = m;
	c->initial = initial;
	c->sectors = sectors;
	c->opt = *opt;
	c->seen = malloc((log->nentries + 1) * sizeof(*c->seen));
	c->flushed = malloc((log->nentries + 1) * sizeof(*c->flushed));
	uint8_t *img = malloc(sectors * CS_SECTOR);
	if (!c->seen || !c->flushed || !img) {
		free(img);
		cs_free(c);
		return CAIRN_ENOMEM;
	}
	memcpy(img, initial, sectors * CS_SECTOR);
	int64_t seen = -1, flushed = -1;
	uint32_t active = 0;
	uint64_t epoch = 0;
	bool any = false;
	for (uint64_t i = 0; i < log->nentries; i++) {
		c->seen[i] = seen;
		c->flushed[i] = flushed;
		const struct clog_entry *e = &log->e[i];
		if (e->kind == CLOG_FLUSHED) {
			flushed = seen;
			continue;
		}
		apply(img, e);
		note_super(c, e, &active, &epoch, &any);
		int64_t v = scan_write(img, sectors, e);
		if (v > seen)
			seen = v;
	}
	c->seen[log->nentries] = seen;
	c->flushed[log->nentries] = flushed;
	free(img);
	return 0;
}

/* cs_free: free the evidence arrays and the state records. */
void cs_free(struct cs_camp *c)
{
	free(c->seen);
	free(c->flushed);
	free(c->rec);
	c->seen = c->flushed = NULL;
	c->rec = NULL;
}

/* cs_bounds: lo/hi from the progress evidence at spec's crash point. */
void cs_bounds(const struct cs_camp *c, const struct cs_spec *sp, struct cc_bounds *b)
{
	int64_t v, fp;
	switch (sp->kind) {
	case CS_PREFIX:
		v = c->seen[sp->a];
		fp = c->flushed[sp->a];
		break;
	case CS_SUBSET:
		v = c->seen[sp->b];
		fp = c->flushed[sp->a];
		break;
	default:
		v = c->seen[sp->a + 1];
		fp = c->flushed[sp->a];
		break;
	}
	/* Progress v written: the SYNC before it returned. A flush after progress
	 * fp: fp is durable. */
	int64_t acked = v >= 0 ? cm_prev_sync(c->m, (uint64_t)v) : -1;
	b->lo = fp > acked ? fp : acked;
	b->hi = (int64_t)cm_next_sync(c->m, v) - 1;
	b->boots_min = 0;
	for (unsigned i = 0; i < c->opt.nboots; i++)
		if ((int64_t)c->opt.boot_starts[i] <= b->lo)
			b->boots_min = i + 1;
	b->boots_max = c->opt.nboots;
}

/* epoch_writes: the write entries in [s, e) into out; their number. */
static uint64_t epoch_writes(const struct clog *log, uint64_t s, uint64_t e, uint64_t *out)
{
	uint64_t n = 0;
	for (uint64_t i = s; i < e && i < log->nentries; i++)
		if (log->e[i].kind == CLOG_WRITE)
			out[n++] = i;
	return n;
}

/* subset_order: the writes (entry indices) spec applies after entry s, in order,
 * chosen from w[0..n); their number. */
static uint64_t subset_order(const struct cs_spec *sp, const uint64_t *w, uint64_t n, uint64_t *out)
{
	uint64_t k = 0;
	if (sp->mode == 2) {
		uint64_t s = sp->d;
		for (uint64_t i = 0; i < n; i++)
			if (splitmix(&s) & 1)
				out[k++] = w[i];
		for (uint64_t i = k; i > 1; i--) {
			uint64_t j = splitmix(&s) % i, t = out[i - 1];
			out[i - 1] = out[j];
			out[j] = t;
		}
		return k;
	}
	for (uint64_t i = 0; i < n && i < 64; i++)
		if (sp->d & (1ull << i))
			out[k++] = w[i];
	if (sp->mode == 1)
		for (uint64_t i = 0; i < k / 2; i++) {
			uint64_t t = out[i];
			out[i] = out[k - 1 - i];
			out[k - 1 - i] = t;
		}
	return k;
}

/* torn_choice: sector i of write w under torn spec: 0 old, 1 new, 2 garbage. */
static int torn_choice(const struct cs_spec *sp, uint64_t i)
{
	if (sp->mode == 0) {
		uint64_t x = sp->d;
		for (uint64_t j = 0; j < i; j++)
			x /= 3;
		return (int)(x % 3);
	}
	if (sp->mode == 2) /* an in-order tear: sectors before d landed, d is garbage */
		return i < sp->d ? 1 : i == sp->d ? 2 : 0;
	uint64_t s = mix(sp->d, i, 0x746f726eull);
	return (int)(splitmix(&s) % 3);
}

/* garbage: fill one sector with the garbage of (spec, sector i). */
static void garbage(const struct cs_spec *sp, uint64_t i, uint8_t *sec)
{
	uint64_t s = mix(sp->a, mix(sp->mode, sp->d, i), 0x67617262ull);
	for (unsigned o = 0; o < CS_SECTOR; o += 8) {
		uint64_t v = splitmix(&s);
		memcpy(sec + o, &v, 8);
	}
}

/* apply_torn: write w into img sector by sector as the torn spec says. */
static void apply_torn(uint8_t *img, const struct clog_entry *e, const struct cs_spec *sp)
{
	for (uint64_t i = 0; i < e->nr_sectors; i++) {
		uint8_t *dst = img + (e->sector + i) * CS_SECTOR;
		int ch = torn_choice(sp, i);
		if (ch == 1)
			memcpy(dst, e->data + i * CS_SECTOR, CS_SECTOR);
		else if (ch == 2)
			garbage(sp, i, dst);
	}
}

/* cs_build: the initial device, the entries before the state, then its own writes. */
int cs_build(const struct cs_camp *c, const struct cs_spec *sp, uint8_t *out)
{
	const struct clog *log = c->log;
	uint64_t upto = sp->a;
	if (upto > log->nentries ||
	    (sp->kind == CS_SUBSET && (sp->b > log->nentries || sp->b < sp->a)))
		return CAIRN_EINVAL;
	if (sp->kind == CS_TORN && (upto >= log->nentries || log->e[upto].kind != CLOG_WRITE))
		return CAIRN_EINVAL;
	if (sp->kind == CS_SUBSET)
		for (uint64_t i = sp->a; i < sp->b; i++)
			if (log->e[i].kind == CLOG_FLUSHED)
				return CAIRN_EINVAL; /* a subset lies inside one flush epoch */
	memcpy(out, c->initial, c->sectors * CS_SECTOR);
	for (uint64_t i = 0; i < upto; i++)
		if (log->e[i].kind == CLOG_WRITE)
			apply(out, &log->e[i]);
	if (sp->kind == CS_TORN) {
		apply_torn(out, &log->e[upto], sp);
	} else if (sp->kind == CS_SUBSET) {
		uint64_t *w = malloc(2 * (sp->b - sp->a + 1) * sizeof(*w));
		if (!w)
			return CAIRN_ENOMEM;
		uint64_t n = epoch_writes(log, sp->a, sp->b, w);
		uint64_t k = subset_order(sp, w, n, w + n);
		for (uint64_t i = 0; i < k; i++)
			apply(out, &log->e[w[n + i]]);
		free(w);
	}
	return 0;
}

/* cs_recipe: print spec in the recipe syntax of crash_state.h. */
void cs_recipe(const struct cs_spec *sp, char *buf, size_t n)
{
	unsigned long long a = sp->a, b = sp->b, d = sp->d;
	switch (sp->kind) {
	case CS_PREFIX:
		(void)snprintf(buf, n, "prefix:%llu", a);
		break;
	case CS_SUBSET:
		if (sp->mode == 2)
			(void)snprintf(buf, n, "subset:%llu:%llu:r%llu", a, b, d);
		else
			(void)snprintf(buf, n, "subset:%llu:%llu:m%llx:%c", a, b, d,
				       sp->mode ? 'r' : 'f');
		break;
	default:
		(void)snprintf(buf, n, "torn:%llu:%c%llu", a, "xrt"[sp->mode], d);
		break;
	}
}

/* num: parse an unsigned number in base at *s (advancing it). */
static int num(const char **s, int base, uint64_t *v)
{
	char *end;
	if (**s < '0' || (**s > '9' && base == 10))
		return CAIRN_EINVAL;
	unsigned long long x = strtoull(*s, &end, base);
	if (end == *s)
		return CAIRN_EINVAL;
	*s = end;
	*v = x;
	return 0;
}

/* expect: consume character ch at *s. */
static int expect(const char **s, char ch)
{
	if (**s != ch)
		return CAIRN_EINVAL;
	(*s)++;
	return 0;
}

/* cs_parse_recipe: the inverse of cs_recipe; the whole string must match. */
int cs_parse_recipe(const char *s, struct cs_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	int err;
	if (strncmp(s, "prefix:", 7) == 0) {
		s += 7;
		sp->kind = CS_PREFIX;
		err = num(&s, 10, &sp->a);
	} else if (strncmp(s, "subset:", 7) == 0) {
		s += 7;
		sp->kind = CS_SUBSET;
		err = num(&s, 10, &sp->a);
		err = err ? err : expect(&s, ':');
		err = err ? err : num(&s, 10, &sp->b);
		err = err ? err : expect(&s, ':');
		if (!err && *s == 'r') {
			s++;
			sp->mode = 2;
			err = num(&s, 10, &sp->d);
		} else if (!err) {
			err = expect(&s, 'm');
			err = err ? err : num(&s, 16, &sp->d);
			err = err ? err : expect(&s, ':');
			if (!err && (*s == 'f' || *s == 'r'))
				sp->mode = *s++ == 'r';
			else
				err = CAIRN_EINVAL;
		}
	} else if (strncmp(s, "torn:", 5) == 0) {
		s += 5;
		sp->kind = CS_TORN;
		err = num(&s, 10, &sp->a);
		err = err ? err : expect(&s, ':');
		const char *modes = "xrt", *p = *s ? strchr(modes, *s) : NULL;
		if (!err && p) {
			sp->mode = (int)(p - modes);
			s++;
			err = num(&s, 10, &sp->d);
		} else if (!err) {
			err = CAIRN_EINVAL;
		}
	} else {
		return CAIRN_EINVAL;
	}
	return err ? err : *s ? CAIRN_EINVAL : 0;
}

/* memdev ops: a read-only device over a byte array. */
static int md_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	memcpy(buf, (const uint8_t *)ctx + lba * CS_SECTOR, (size_t)count * CS_SECTOR);
	return 0;
}

/* md_write: the device is read-only. */
static int md_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	(void)ctx, (void)lba, (void)buf, (void)count;
	return CAIRN_EROFS;
}

/* md_flush: the device is read-only. */
static int md_flush(void *ctx)
{
	(void)ctx;
	return CAIRN_EROFS;
}

static const struct blkdev_ops md_ops = { .read = md_read, .write = md_write, .flush = md_flush };

/* cs_memdev: a read-only 512-byte-sector device over data. */
void cs_memdev(struct blkdev *bd, const uint8_t *data, uint64_t sectors)
{
	memset(bd, 0, sizeof(*bd));
	bd->ops = &md_ops;
	bd->ctx = (void *)(uintptr_t)data;
	bd->info.sector_size = CS_SECTOR;
	bd->info.sector_count = sectors;
	bd->info.read_only = true;
}

/* The loop's images and scratch (cs_run). */
struct loop {
	struct cs_camp *c;
	uint8_t *base, *latest, *work;
	uint64_t *pending; /* write entries since the last flush */
	uint64_t npending, epoch_start;
	uint64_t *order; /* scratch for subset orders */
	uint64_t *seen;	 /* digests of the random states taken for one write/epoch */
	uint64_t nseen_cap;
	struct blkdev dev_latest, dev_work;
};

/* record: remember one checked state (for sampling and replay). */
static int record(struct cs_camp *c, const struct cs_spec *sp, const struct cc_result *r,
		  bool failed)
{
	if (c->nrec == c->caprec) {
		uint64_t cap = c->caprec ? 2 * c->caprec : 4096;
		struct cs_state_rec *p = realloc(c->rec, cap * sizeof(*p));
		if (!p)
			return CAIRN_ENOMEM;
		c->rec = p;
		c->caprec = cap;
	}
	uint64_t score = r->mount_err ? 1ull << 62 : 0;
	if (!r->rep.clean)
		score += 1ull << 40;
	score += r->rep.bytes_discarded;
	c->rec[c->nrec++] = (struct cs_state_rec){ *sp, score, failed };
	return 0;
}

/* check_one: run the oracle on bd for spec; count it. */
static int check_one(struct loop *l, struct blkdev *bd, const struct cs_spec *sp)
{
	struct cs_camp *c = l->c;
	struct cc_bounds b;
	struct cc_result r;
	cs_bounds(c, sp, &b);
	int rc = cc_check(c->m, bd, &b, &r);
	if (rc < 0)
		return rc;
	c->states++;
	if (sp->kind == CS_PREFIX)
		c->prefix++;
	else if (sp->kind == CS_SUBSET)
		c->subset++;
	else
		c->torn++;
	if (rc) {
		c->failed++;
		if (c->failed <= c->opt.print_failures && c->opt.out) {
			char rec[CS_RECIPE_MAX];
			cs_recipe(sp, rec, sizeof(rec));
			fprintf(c->opt.out, "crash: FAIL state %s: %s (bounds lo=%lld hi=%lld)\n",
				rec, r.why, (long long)b.lo, (long long)b.hi);
		}
	}
	return record(c, sp, &r, rc != 0);
}

/* restore: put entry e's sectors of dst back from src. */
static void restore(uint8_t *dst, const uint8_t *src, const struct clog_entry *e)
{
	size_t off = e->sector * CS_SECTOR;
	memcpy(dst + off, src + off, e->nr_sectors * CS_SECTOR);
}

/* torn_hash: a digest of the torn pattern spec gives a k-sector write. */
static uint64_t torn_hash(const struct cs_spec *sp, uint64_t k)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint64_t i = 0; i < k; i++)
		h = (h ^ (uint64_t)torn_choice(sp, i)) * 0x100000001b3ull;
	return h;
}

/* seen_before: whether digest h was already taken for the current write or
 * epoch (l->seen[0..*n)); records it when not. */
static bool seen_before(struct loop *l, uint64_t h, uint64_t *n)
{
	for (uint64_t i = 0; i < *n; i++)
		if (l->seen[i] == h)
			return true;
	if (*n < l->nseen_cap)
		l->seen[(*n)++] = h;
	return false;
}

/* torn_states: the torn variants of write entry w; work == latest before w. */
static int torn_states(struct loop *l, uint64_t w)
{
	const struct clog_entry *e = &l->c->log->e[w];
	const struct cs_options *o = &l->c->opt;
	uint64_t k = e->nr_sectors, total = 1;
	if (k < 2)
		return 0;
	struct cs_spec sp = { .kind = CS_TORN, .a = w };
	int rc = 0;
	if (k <= o->torn_exhaustive_max) {
		for (uint64_t i = 0; i < k; i++)
			total *= 3;
		uint64_t all_new = (total - 1) / 2; /* digits all 1 */
		for (uint64_t idx = 1; idx < total && !rc; idx++) {
			if (idx == all_new)
				continue; /* the same as the next prefix */
			sp.mode = 0;
			sp.d = idx;
			apply_torn(l->work, e, &sp);
			rc = check_one(l, &l->dev_work, &sp);
			restore(l->work, l->latest, e);
		}
		return rc;
	}
	/* Half in-order tears at distinct, evenly spaced sectors, half random
	 * patterns; a pattern already checked for this write is skipped, so every
	 * state counted is a different one. */
	uint64_t tears = (o->torn_samples + 1) / 2, nseen = 0;
	if (tears > k)
		tears = k;
	for (uint64_t j = 0; j < tears && !rc; j++) {
		sp.mode = 2;
		sp.d = j * k / tears;
		apply_torn(l->work, e, &sp);
		rc = check_one(l, &l->dev_work, &sp);
		restore(l->work, l->latest, e);
	}
	uint64_t want = o->torn_samples - tears;
	for (uint64_t i = 0, done = 0; done < want && i < 4 * want && !rc; i++) {
		sp.mode = 1;
		sp.d = mix(o->sample_seed, w, i);
		uint64_t h = torn_hash(&sp, k);
		if (seen_before(l, h, &nseen))
			continue;
		apply_torn(l->work, e, &sp);
		rc = check_one(l, &l->dev_work, &sp);
		restore(l->work, l->latest, e);
		done++;
	}
	return rc;
}

/* overlaps: whether any two of the writes w[0..n) share a sector. */
static bool overlaps(const struct clog *log, const uint64_t *w, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = i + 1; j < n; j++) {
			const struct clog_entry *a = &log->e[w[i]], *b = &log->e[w[j]];
			if (a->sector < b->sector + b->nr_sectors &&
			    b->sector < a->sector + a->nr_sectors)
				return true;
		}
	return false;
}

/* subset_state: build spec's subset of the epoch in work, check it, put work back. */
static int subset_state(struct loop *l, const struct cs_spec *sp)
{
	const struct clog *log = l->c->log;
	for (uint64_t i = 0; i < l->npending; i++)
		restore(l->work, l->base, &log->e[l->pending[i]]);
	uint64_t k = subset_order(sp, l->pending, l->npending, l->order);
	for (uint64_t i = 0; i < k; i++)
		apply(l->work, &log->e[l->order[i]]);
	int rc = check_one(l, &l->dev_work, sp);
	for (uint64_t i = 0; i < l->npending; i++)
		restore(l->work, l->latest, &log->e[l->pending[i]]);
	return rc;
}

/* subset_states: subsets and reorderings of the epoch's writes [epoch_start, end). */
static int subset_states(struct loop *l, uint64_t end)
{
	const struct cs_options *o = &l->c->opt;
	uint64_t n = l->npending;
	struct cs_spec sp = { .kind = CS_SUBSET, .a = l->epoch_start, .b = end };
	int rc = 0;
	if (n == 0)
		return 0;
	if (n <= o->subset_exhaustive_max && n < 64) {
		uint64_t all = (1ull << n) - 1;
		for (uint64_t mask = 0; mask <= all && !rc; mask++) {
			sp.d = mask;
			sp.mode = 0;
			if (mask != all)
				rc = subset_state(l, &sp);
			uint64_t k = subset_order(&sp, l->pending, n, l->order);
			if (!rc && k > 1 && overlaps(l->c->log, l->order, k)) {
				sp.mode = 1;
				rc = subset_state(l, &sp);
			}
		}
		return rc;
	}
	sp.mode = 2;
	uint64_t nseen = 0;
	for (uint64_t i = 0, done = 0;
	     done < o->subset_samples && i < 4ull * o->subset_samples && !rc; i++) {
		sp.d = mix(o->sample_seed ^ 0x7375627365747321ull, l->epoch_start, i);
		/* The same writes in the same order is the same state: skip it. */
		uint64_t k = subset_order(&sp, l->pending, n, l->order), h = 0xcbf29ce484222325ull;
		for (uint64_t j = 0; j < k; j++)
			h = (h ^ l->order[j]) * 0x100000001b3ull;
		h ^= k;
		if (seen_before(l, h, &nseen))
			continue;
		rc = subset_state(l, &sp);
		done++;
	}
	return rc;
}

/* loop_init: allocate the images (all equal to the initial device). */
static int loop_init(struct loop *l, struct cs_camp *c)
{
	size_t size = c->sectors * CS_SECTOR;
	memset(l, 0, sizeof(*l));
	l->c = c;
	l->base = malloc(size);
	l->latest = malloc(size);
	l->work = malloc(size);
	l->pending = malloc((c->log->nentries + 1) * sizeof(uint64_t));
	l->order = malloc((c->log->nentries + 1) * sizeof(uint64_t));
	l->nseen_cap = (uint64_t)c->opt.torn_samples + c->opt.subset_samples + 1;
	l->seen = malloc(l->nseen_cap * sizeof(uint64_t));
	if (!l->base || !l->latest || !l->work || !l->pending || !l->order || !l->seen)
		return CAIRN_ENOMEM;
	memcpy(l->base, c->initial, size);
	memcpy(l->latest, c->initial, size);
	memcpy(l->work, c->initial, size);
	cs_memdev(&l->dev_latest, l->latest, c->sectors);
	cs_memdev(&l->dev_work, l->work, c->sectors);
	return 0;
}

/* loop_free: free the images. */
static void loop_free(struct loop *l)
{
	free(l->base);
	free(l->latest);
	free(l->work);
	free(l->pending);
	free(l->order);
	free(l->seen);
}

/* step: one log entry: torn variants and the prefix after a write; the epoch's
 * subsets and the new durable base at a flush. */
static int step(struct loop *l, uint64_t i)
{
	const struct clog_entry *e = &l->c->log->e[i];
	struct cs_spec sp = { .kind = CS_PREFIX, .a = i + 1 };
	int rc = 0;
	if (e->kind == CLOG_WRITE) {
		rc = torn_states(l, i);
		apply(l->latest, e);
		apply(l->work, e);
		l->pending[l->npending++] = i;
	} else {
		rc = subset_states(l, i);
		for (uint64_t j = 0; j < l->npending; j++)
			restore(l->base, l->latest, &l->c->log->e[l->pending[j]]);
		l->npending = 0;
		l->epoch_start = i + 1;
	}
	return rc ? rc : check_one(l, &l->dev_latest, &sp);
}

/* cs_run: the empty device, then every entry's states, then the last epoch's subsets. */
int cs_run(struct cs_camp *c)
{
	struct loop l;
	int rc = loop_init(&l, c);
	if (!rc) {
		struct cs_spec sp = { .kind = CS_PREFIX, .a = 0 };
		rc = check_one(&l, &l.dev_latest, &sp);
	}
	for (uint64_t i = 0; !rc && i < c->log->nentries; i++)
		rc = step(&l, i);
	if (!rc) /* the last epoch: writes no flush made durable */
		rc = subset_states(&l, c->log->nentries);
	loop_free(&l);
	return rc;
}
