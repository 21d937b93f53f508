/* packagefs sector cache: a bounded LRU of device pages. Every byte the engine
 * reads from the device goes through here, so the cache's counters show exactly
 * how much device traffic a workload costs. Lookups go through a hash of the page
 * number and recency is a linked list, so the cost per page does not grow with
 * the cache size (packagefs_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"

#define NO_PAGE UINT64_MAX
#define NO_SLOT UINT32_MAX

/* hash: bucket of page pg (Fibonacci hashing; nbuckets is a power of two). */
static uint32_t hash(const struct pkgfs_cache *c, uint64_t pg)
{
	return (uint32_t)((pg * 0x9e3779b97f4a7c15ull) >> 32) & (c->nbuckets - 1);
}

/* list_unlink: take slot s out of the recency list. */
static void list_unlink(struct pkgfs_cache *c, uint32_t s)
{
	if (c->prev[s] != NO_SLOT)
		c->next[c->prev[s]] = c->next[s];
	else
		c->mru = c->next[s];
	if (c->next[s] != NO_SLOT)
		c->prev[c->next[s]] = c->prev[s];
	else
		c->lru = c->prev[s];
	c->prev[s] = c->next[s] = NO_SLOT;
}

/* list_push_mru: put slot s (unlinked) at the most-recent end. */
static void list_push_mru(struct pkgfs_cache *c, uint32_t s)
{
	c->prev[s] = NO_SLOT;
	c->next[s] = c->mru;
	if (c->mru != NO_SLOT)
		c->prev[c->mru] = s;
	c->mru = s;
	if (c->lru == NO_SLOT)
		c->lru = s;
}

/* list_push_lru: put slot s (unlinked) at the victim end. */
static void list_push_lru(struct pkgfs_cache *c, uint32_t s)
{
	c->next[s] = NO_SLOT;
	c->prev[s] = c->lru;
	if (c->lru != NO_SLOT)
		c->next[c->lru] = s;
	c->lru = s;
	if (c->mru == NO_SLOT)
		c->mru = s;
}

/* chain_remove: take slot s (holding a page) out of its hash chain. */
static void chain_remove(struct pkgfs_cache *c, uint32_t s)
{
	uint32_t *link = &c->bucket[hash(c, c->tag[s])];
	while (*link != NO_SLOT && *link != s)
		link = &c->chain[*link];
	if (*link == s)
		*link = c->chain[s];
	c->chain[s] = NO_SLOT;
}

/* pkgfs_cache_init: allocate npages pages over dev. */
int pkgfs_cache_init(struct pkgfs_cache *c, struct blkdev *dev, uint32_t npages)
{
	memset(c, 0, sizeof(*c));
	uint32_t ss = dev->info.sector_size;
	if (npages == 0 || npages > PKGFS_CACHE_PAGES_MAX || ss < BLKDEV_SECTOR_MIN ||
	    ss > BLKDEV_SECTOR_MAX || (ss & (ss - 1)) != 0)
		return CAIRN_EINVAL;
	c->dev = dev;
	c->page_size = ss > PKGFS_ALIGN ? ss : PKGFS_ALIGN;
	c->npages = npages;
	c->nbuckets = 1;
	while (c->nbuckets < npages)
		c->nbuckets <<= 1;
	uint32_t ra_bytes_pages = PKGFS_READAHEAD_BYTES / c->page_size; /* 0 for 256K+ pages */
	c->ra_max = npages / 4 < ra_bytes_pages ? npages / 4 : ra_bytes_pages;
	if (c->ra_max < 1)
		c->ra_max = 1;
	if (c->ra_max > 1) {
		c->ra_buf = malloc((size_t)c->ra_max * c->page_size);
		if (!c->ra_buf)
			return CAIRN_ENOMEM;
	}
	c->mem = malloc((size_t)npages * c->page_size);
	c->tag = malloc(npages * sizeof(*c->tag));
	c->bucket = malloc(c->nbuckets * sizeof(*c->bucket));
	c->chain = malloc(npages * sizeof(*c->chain));
	c->prev = malloc(npages * sizeof(*c->prev));
	c->next = malloc(npages * sizeof(*c->next));
	c->vmask = calloc(npages, sizeof(*c->vmask));
	if (!c->mem || !c->tag || !c->bucket || !c->chain || !c->prev || !c->next || !c->vmask) {
		pkgfs_cache_fini(c);
		return CAIRN_ENOMEM;
	}
	for (uint32_t b = 0; b < c->nbuckets; b++)
		c->bucket[b] = NO_SLOT;
	c->mru = c->lru = NO_SLOT;
	for (uint32_t i = 0; i < npages; i++) {
		c->tag[i] = NO_PAGE;
		c->chain[i] = NO_SLOT;
		list_push_lru(c, i);
	}
	c->stats.pages = npages;
	c->stats.page_size = c->page_size;
	return 0;
}

/* pkgfs_cache_fini: free the cache memory. */
void pkgfs_cache_fini(struct pkgfs_cache *c)
{
	free(c->mem);
	free(c->tag);
	free(c->bucket);
	free(c->chain);
	free(c->prev);
	free(c->next);
	free(c->vmask);
	free(c->ra_buf);
	c->ra_buf = NULL;
	c->mem = NULL;
	c->tag = NULL;
	c->bucket = c->chain = c->prev = c->next = c->vmask = NULL;
}

/* read_pages: read pages [pg, pg+k) from the device into dst; a page that runs
 * past the device end (sector sizes below the page size) is read partially and
 * the rest zeroed. k >= 1 and pg must start inside the device. */
static int read_pages(struct pkgfs_cache *c, uint64_t pg, uint32_t k, uint8_t *dst)
{
	struct blkdev *dev = c->dev;
	uint32_t ss = dev->info.sector_size;
	uint32_t per_page = c->page_size / ss;
	if (pg > UINT64_MAX / per_page)
		return CAIRN_ERANGE;
	uint64_t lba = pg * per_page;
	if (lba >= dev->info.sector_count)
		return CAIRN_ERANGE;
	uint64_t left = dev->info.sector_count - lba;
	uint64_t want = (uint64_t)k * per_page;
	uint32_t count = (uint32_t)(left < want ? left : want);
	int err = blkdev_read(dev, lba, dst, count);
	if (err)
		return err == CAIRN_ERANGE ? err : CAIRN_EIO;
	memset(dst + (size_t)count * ss, 0, (size_t)(want - count) * ss);
	return 0;
}

/* cached: slot holding page pg, or NO_SLOT. */
static uint32_t cached(const struct pkgfs_cache *c, uint64_t pg)
{
	for (uint32_t s = c->bucket[hash(c, pg)]; s != NO_SLOT; s = c->chain[s])
		if (c->tag[s] == pg)
			return s;
	return NO_SLOT;
}

/* take_victim: unlink the least recently used slot (evicting its page) and
 * return it, empty. */
static uint32_t take_victim(struct pkgfs_cache *c)
{
	uint32_t victim = c->lru;
	list_unlink(c, victim);
	if (c->tag[victim] != NO_PAGE) {
		c->stats.evictions++;
		chain_remove(c, victim);
		c->tag[victim] = NO_PAGE;
	}
	return victim;
}

/* install: slot s (unlinked, empty, filled with page pg's bytes) becomes the
 * most recent entry for pg; none of its bytes count as verified yet. */
static void install(struct pkgfs_cache *c, uint32_t s, uint64_t pg)
{
	uint32_t b = hash(c, pg);
	c->tag[s] = pg;
	c->vmask[s] = 0;
	c->chain[s] = c->bucket[b];
	c->bucket[b] = s;
	list_push_mru(c, s);
}

/* read_ahead: load pages [pg, pg+k) (k >= 2, none cached) with one device read into
 * k victim slots; pg ends up most recent. When the victims are consecutive slots
 * (the usual case in a sequential scan: LRU order is install order) the device
 * writes straight into them, else through ra_buf. Returns pg's slot or an error
 * (the victims are then left empty, at the victim end). */
static int64_t read_ahead(struct pkgfs_cache *c, uint64_t pg, uint32_t k)
{
	uint32_t slots[PKGFS_READAHEAD_MAX], lo = UINT32_MAX, hi = 0;
	for (uint32_t i = 0; i < k; i++) {
		slots[i] = take_victim(c);
		lo = slots[i] < lo ? slots[i] : lo;
		hi = slots[i] > hi ? slots[i] : hi;
	}
	bool direct = hi - lo == k - 1; /* k distinct slots spanning k indices */
	uint8_t *dst = direct ? c->mem + (size_t)lo * c->page_size : c->ra_buf;
	int err = read_pages(c, pg, k, dst);
	if (err) {
		for (uint32_t i = 0; i < k; i++)
			list_push_lru(c, slots[i]);
		return err;
	}
	for (uint32_t i = k; i-- > 0;) {
		uint32_t s = direct ? lo + i : slots[i];
		if (!direct)
			memcpy(c->mem + (size_t)s * c->page_size,
			       c->ra_buf + (size_t)i * c->page_size, c->page_size);
		install(c, s, pg + i);
	}
	return direct ? lo : slots[0]; /* the slot of pg, installed last */
}

/* get_page: slot holding page pg. On a miss, one device read loads pg and up to
 * ra_max - 1 following pages the caller will want (want counts pg itself) that are
 * not cached yet, into least recently used slots (empty ones first); pg ends up
 * most recent. Returns the slot index or a negative error. */
static int64_t get_page(struct pkgfs_cache *c, uint64_t pg, uint64_t want)
{
	uint32_t s = cached(c, pg);
	if (s != NO_SLOT) {
		c->stats.hits++;
		list_unlink(c, s);
		list_push_mru(c, s);
		return s;
	}
	c->stats.misses++;
	uint32_t k = 1;
	while (k < c->ra_max && k < want && cached(c, pg + k) == NO_SLOT)
		k++;
	if (k == 1) {
		s = take_victim(c);
		int err = read_pages(c, pg, 1, c->mem + (size_t)s * c->page_size);
		if (err) {
			list_push_lru(c, s); /* empty again: reused first */
			return err;
		}
		install(c, s, pg);
		return s;
	}
	/* Pages past the device end are not read ahead. */
	uint64_t dev_pages = (pkgfs_dev_bytes(c->dev) + c->page_size - 1) / c->page_size;
	if (pg + k > dev_pages)
		k = pg < dev_pages ? (uint32_t)(dev_pages - pg) : 1;
	return read_ahead(c, pg, k);
}

/* pkgfs_cache_unit: the PKGFS_ALIGN-byte unit at off and whether it was verified. */
int pkgfs_cache_unit(struct pkgfs_cache *c, uint64_t off, uint64_t want, const uint8_t **p,
		     bool *verified)
{
	if (off % PKGFS_ALIGN || off >= pkgfs_dev_bytes(c->dev))
		return CAIRN_ERANGE;
	uint64_t pg = off / c->page_size;
	uint32_t unit = (uint32_t)(off % c->page_size / PKGFS_ALIGN);
	/* want counts units; a page holds page_size / PKGFS_ALIGN of them. */
	uint64_t per = c->page_size / PKGFS_ALIGN;
	uint64_t pages = (unit + (want ? want : 1) + per - 1) / per;
	int64_t s = get_page(c, pg, pages);
	if (s < 0)
		return (int)s;
	*p = c->mem + (size_t)s * c->page_size + (size_t)unit * PKGFS_ALIGN;
	*verified = (c->vmask[s] >> unit) & 1u;
	return 0;
}

/* pkgfs_cache_mark: set the verified bit of the unit at off (cached, see header). */
void pkgfs_cache_mark(struct pkgfs_cache *c, uint64_t off)
{
	uint64_t pg = off / c->page_size;
	uint32_t s = cached(c, pg);
	if (s != NO_SLOT)
		c->vmask[s] |= 1u << (off % c->page_size / PKGFS_ALIGN);
}

/* pkgfs_cache_read: copy len bytes at device byte offset off into buf. */
int pkgfs_cache_read(struct pkgfs_cache *c, uint64_t off, void *buf, size_t len)
{
	uint8_t *out = buf;
	uint64_t dev_bytes = pkgfs_dev_bytes(c->dev);
	if (off > dev_bytes || len > dev_bytes - off)
		return CAIRN_ERANGE;
	while (len > 0) {
		uint64_t pg = off / c->page_size;
		size_t in = (size_t)(off % c->page_size);
		size_t n = c->page_size - in;
		if (n > len)
			n = len;
		uint64_t last = (off + len - 1) / c->page_size;
		int64_t s = get_page(c, pg, last - pg + 1);
		if (s < 0)
			return (int)s;
		memcpy(out, c->mem + (size_t)s * c->page_size + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}
