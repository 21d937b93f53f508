/* Power-cut block device (see powercut.h). */
#include "powercut.h"

#include <stdlib.h>
#include <string.h>

/* drop_pending: free the unflushed-write list. */
static void drop_pending(struct powercut *pc)
{
	for (size_t i = 0; i < pc->npending; i++)
		free(pc->pending[i].data);
	pc->npending = 0;
}

/* tick: count one op; false when power is (now) off. */
static bool tick(struct powercut *pc)
{
	if (pc->dead)
		return false;
	if (pc->ops >= pc->cut_after) {
		pc->dead = true;
		return false;
	}
	pc->ops++;
	return true;
}

/* pc_read: durable contents overlaid by pending writes, oldest first. */
static int pc_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct powercut *pc = ctx;
	size_t ss = pc->dev.info.sector_size;
	if (pc->dead || ++pc->nread == pc->fail_read)
		return CAIRN_EIO;
	memcpy(buf, pc->durable + lba * ss, count * ss);
	for (size_t i = 0; i < pc->npending; i++) {
		const struct powercut_write *w = &pc->pending[i];
		for (uint32_t s = 0; s < w->count; s++) {
			uint64_t l = w->lba + s;
			if (l >= lba && l < lba + count)
				memcpy((uint8_t *)buf + (l - lba) * ss, w->data + s * ss, ss);
		}
	}
	return 0;
}

/* pc_write: queue the write in the volatile cache. */
static int pc_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	struct powercut *pc = ctx;
	size_t ss = pc->dev.info.sector_size;
	if (++pc->nwrite == pc->fail_write || !tick(pc))
		return CAIRN_EIO;
	if (pc->npending == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 16;
		struct powercut_write *p = realloc(pc->pending, cap * sizeof(*p));
		if (!p)
			return CAIRN_EIO;
		pc->pending = p;
		pc->cap = cap;
	}
	uint8_t *data = malloc(count * ss);
	if (!data)
		return CAIRN_EIO;
	memcpy(data, buf, count * ss);
	pc->pending[pc->npending++] = (struct powercut_write){ lba, count, data };
	pc->writes++;
	return 0;
}

/* apply: copy one pending write (or the sectors chosen by mask) onto img. */
static void apply(const struct powercut *pc, const struct powercut_write *w, uint8_t *img,
		  uint64_t *rng, bool tear)
{
	size_t ss = pc->dev.info.sector_size;
	for (uint32_t s = 0; s < w->count; s++) {
		if (tear) {
			*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
			if ((*rng >> 33) & 1)
				continue;
		}
		memcpy(img + (w->lba + s) * ss, w->data + s * ss, ss);
	}
}

/* pc_flush: make every pending write durable. */
static int pc_flush(void *ctx)
{
	struct powercut *pc = ctx;
	if (++pc->nflush == pc->fail_flush || !tick(pc))
		return CAIRN_EIO;
	for (size_t i = 0; i < pc->npending; i++)
		apply(pc, &pc->pending[i], pc->durable, NULL, false);
	drop_pending(pc);
	pc->flushes++;
	return 0;
}

static const struct blkdev_ops pc_ops = { .read = pc_read, .write = pc_write, .flush = pc_flush };

/* powercut_init: see powercut.h. */
int powercut_init(struct powercut *pc, uint32_t sector_size, uint64_t sector_count,
		  const uint8_t *image)
{
	memset(pc, 0, sizeof(*pc));
	pc->durable = calloc(sector_count, sector_size);
	if (!pc->durable)
		return CAIRN_ENOMEM;
	if (image)
		memcpy(pc->durable, image, sector_count * sector_size);
	pc->dev.ops = &pc_ops;
	pc->dev.ctx = pc;
	pc->dev.info.sector_size = sector_size;
	pc->dev.info.sector_count = sector_count;
	pc->cut_after = UINT64_MAX;
	return 0;
}

/* powercut_fini: see powercut.h. */
void powercut_fini(struct powercut *pc)
{
	drop_pending(pc);
	free(pc->pending);
	free(pc->durable);
	memset(pc, 0, sizeof(*pc));
}

/* powercut_arm: see powercut.h. */
void powercut_arm(struct powercut *pc, uint64_t n)
{
	pc->cut_after = n == UINT64_MAX ? UINT64_MAX : pc->ops + n;
}

/* powercut_image: see powercut.h. */
void powercut_image(const struct powercut *pc, enum powercut_mode mode, uint64_t seed, uint8_t *out)
{
	uint64_t rng = seed * 2654435761u + 1;
	memcpy(out, pc->durable, powercut_bytes(pc));
	if (mode == POWERCUT_DROP)
		return;
	for (size_t i = 0; i < pc->npending; i++)
		apply(pc, &pc->pending[i], out, &rng, mode == POWERCUT_TEAR);
}

/* powercut_pending_sectors: see powercut.h. */
size_t powercut_pending_sectors(const struct powercut *pc)
{
	size_t n = 0;
	for (size_t i = 0; i < pc->npending; i++)
		n += pc->pending[i].count;
	return n;
}

/* powercut_image_choice: see powercut.h. */
void powercut_image_choice(const struct powercut *pc, const uint8_t *choice, uint64_t seed,
			   uint8_t *out)
{
	size_t ss = pc->dev.info.sector_size, k = 0;
	uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
	memcpy(out, pc->durable, powercut_bytes(pc));
	for (size_t i = 0; i < pc->npending; i++) {
		const struct powercut_write *w = &pc->pending[i];
		for (uint32_t s = 0; s < w->count; s++, k++) {
			uint8_t *dst = out + (w->lba + s) * ss;
			if (choice[k] == POWERCUT_SECTOR_NEW) {
				memcpy(dst, w->data + s * ss, ss);
			} else if (choice[k] == POWERCUT_SECTOR_GARBAGE) {
				for (size_t b = 0; b < ss; b++) {
					rng = rng * 6364136223846793005ull + 1442695040888963407ull;
					dst[b] = (uint8_t)(rng >> 56);
				}
			}
		}
	}
}

/* powercut_flip: see powercut.h. */
void powercut_flip(struct powercut *pc, uint64_t off, unsigned bit)
{
	pc->durable[off] ^= (uint8_t)(1u << (bit & 7));
}

/* powercut_bytes: see powercut.h. */
uint64_t powercut_bytes(const struct powercut *pc)
{
	return pc->dev.info.sector_count * pc->dev.info.sector_size;
}
