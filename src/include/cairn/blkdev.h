/* Block-device interface: the one contract every storage engine (statefs,
 * packagefs) is written against. An engine never touches hardware; it is handed a
 * struct blkdev whose ops are implemented by the virtio-blk driver in the image, or
 * by the memory/file devices (blkdev_host.h) and test doubles on the host.
 *
 * Units: a "sector" here is the device's logical block, info.sector_size bytes (a
 * power of two, 512..65536). lba and count are in those units. Transport-specific
 * units (virtio's fixed 512-byte sectors) are the driver's business.
 *
 * Durability: a write may sit in a volatile cache until flush() returns 0; flush is
 * the only durability boundary the layer promises. */
#ifndef BLKDEV_H
#define BLKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/err.h"

#define BLKDEV_SERIAL_MAX 20 /* virtio-blk GET_ID returns at most 20 bytes */
#define BLKDEV_SECTOR_MIN 512u
#define BLKDEV_SECTOR_MAX 65536u

struct blkdev_info {
	uint32_t sector_size;		    /* bytes per logical block: power of two, 512..65536 */
	uint64_t sector_count;		    /* capacity in logical blocks */
	bool read_only;			    /* writes and flushes fail with CAIRN_EROFS */
	char serial[BLKDEV_SERIAL_MAX + 1]; /* NUL-terminated, may be empty */
};

/* Device operations. Each returns 0 or a negative CAIRN_E* code. The wrappers
 * below have already checked bounds, alignment and read-only before calling. */
struct blkdev_ops {
	int (*read)(void *ctx, uint64_t lba, void *buf, uint32_t count);
	int (*write)(void *ctx, uint64_t lba, const void *buf, uint32_t count);
	int (*flush)(void *ctx);
	/* Optional: told when a wrapper below refuses a write or flush because the
	 * device is read-only (op is "write" or "flush"), so the refusal can be
	 * audited even though the device never sees it. */
	void (*refused)(void *ctx, const char *op);
};

struct blkdev {
	const struct blkdev_ops *ops;
	void *ctx; /* passed to every op */
	struct blkdev_info info;
};

/* blkdev_check_range: 0 when [lba, lba+count) lies inside the device and count is
 * non-zero; CAIRN_EINVAL for count 0, CAIRN_ERANGE when outside (overflow-safe). */
static inline int blkdev_check_range(const struct blkdev *bd, uint64_t lba, uint32_t count)
{
	if (count == 0)
		return CAIRN_EINVAL;
	if (lba >= bd->info.sector_count || count > bd->info.sector_count - lba)
		return CAIRN_ERANGE;
	return 0;
}

/* blkdev_read: read count blocks at lba into buf (count * sector_size bytes). */
static inline int blkdev_read(struct blkdev *bd, uint64_t lba, void *buf, uint32_t count)
{
	int err = blkdev_check_range(bd, lba, count);
	if (err)
		return err;
	return bd->ops->read(bd->ctx, lba, buf, count);
}

/* blkdev_write: write count blocks at lba; CAIRN_EROFS on a read-only device, and
 * nothing is sent to it. Not durable until blkdev_flush() returns 0. */
static inline int blkdev_write(struct blkdev *bd, uint64_t lba, const void *buf, uint32_t count)
{
	if (bd->info.read_only) {
		if (bd->ops->refused)
			bd->ops->refused(bd->ctx, "write");
		return CAIRN_EROFS;
	}
	int err = blkdev_check_range(bd, lba, count);
	if (err)
		return err;
	return bd->ops->write(bd->ctx, lba, buf, count);
}

/* blkdev_flush: make every completed write durable; CAIRN_EROFS when read-only. */
static inline int blkdev_flush(struct blkdev *bd)
{
	if (bd->info.read_only) {
		if (bd->ops->refused)
			bd->ops->refused(bd->ctx, "flush");
		return CAIRN_EROFS;
	}
	return bd->ops->flush(bd->ctx);
}

#endif
