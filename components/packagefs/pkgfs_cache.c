/* packagefs sector cache: a small, bounded LRU of device pages. Every byte the
 * engine reads from the device goes through here, so the cache's counters show
 * exactly how much device traffic a workload costs. */
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"

#define NO_PAGE UINT64_MAX

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
	c->mem = malloc((size_t)npages * c->page_size);
	c->tag = malloc(npages * sizeof(*c->tag));
	c->used = calloc(npages, sizeof(*c->used));
	if (!c->mem || !c->tag || !c->used) {
		pkgfs_cache_fini(c);
		return CAIRN_ENOMEM;
	}
	for (uint32_t i = 0; i < npages; i++)
		c->tag[i] = NO_PAGE;
	c->stats.pages = npages;
	c->stats.page_size = c->page_size;
	return 0;
}

/* pkgfs_cache_fini: free the cache memory. */
void pkgfs_cache_fini(struct pkgfs_cache *c)
{
	free(c->mem);
	free(c->tag);
	free(c->used);
	c->mem = NULL;
	c->tag = NULL;
	c->used = NULL;
}

/* fill_slot: read page pg from the device into slot s; a page that runs past the
 * device end (sector sizes below the page size) is read partially, rest zeroed. */
static int fill_slot(struct pkgfs_cache *c, uint32_t s, uint64_t pg)
{
	struct blkdev *dev = c->dev;
	uint32_t ss = dev->info.sector_size;
	uint32_t per_page = c->page_size / ss;
	uint8_t *dst = c->mem + (size_t)s * c->page_size;
	c->tag[s] = NO_PAGE;
	if (pg > UINT64_MAX / per_page)
		return CAIRN_ERANGE;
	uint64_t lba = pg * per_page;
	if (lba >= dev->info.sector_count)
		return CAIRN_ERANGE;
	uint64_t left = dev->info.sector_count - lba;
	uint32_t count = left < per_page ? (uint32_t)left : per_page;
	int err = blkdev_read(dev, lba, dst, count);
	if (err)
		return err == CAIRN_ERANGE ? err : CAIRN_EIO;
	memset(dst + (size_t)count * ss, 0, (size_t)(per_page - count) * ss);
	c->tag[s] = pg;
	return 0;
}

/* get_page: slot holding page pg, loading it into the least recently used slot on
 * a miss. Returns the slot index or a negative error. */
static int64_t get_page(struct pkgfs_cache *c, uint64_t pg)
{
	uint32_t victim = 0;
	for (uint32_t i = 0; i < c->npages; i++) {
		if (c->tag[i] == pg) {
			c->stats.hits++;
			c->used[i] = ++c->tick;
			return i;
		}
		if (c->tag[victim] != NO_PAGE &&
		    (c->tag[i] == NO_PAGE || c->used[i] < c->used[victim]))
			victim = i;
	}
	c->stats.misses++;
	if (c->tag[victim] != NO_PAGE)
		c->stats.evictions++;
	int err = fill_slot(c, victim, pg);
	if (err)
		return err;
	c->used[victim] = ++c->tick;
	return victim;
}

/* pkgfs_cache_peek: point *p at the cached bytes at device offset off; *n gets
 * how many follow contiguously in that page (at least 1). */
int pkgfs_cache_peek(struct pkgfs_cache *c, uint64_t off, const uint8_t **p, size_t *n)
{
	if (off >= pkgfs_dev_bytes(c->dev))
		return CAIRN_ERANGE;
	int64_t s = get_page(c, off / c->page_size);
	if (s < 0)
		return (int)s;
	size_t in = (size_t)(off % c->page_size);
	*p = c->mem + (size_t)s * c->page_size + in;
	*n = c->page_size - in;
	return 0;
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
		int64_t s = get_page(c, pg);
		if (s < 0)
			return (int)s;
		memcpy(out, c->mem + (size_t)s * c->page_size + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}
