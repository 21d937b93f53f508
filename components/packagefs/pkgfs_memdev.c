/* Read-only block device over a constant buffer (pkgfs_memdev.h). */
#include "pkgfs_memdev.h"

#include <string.h>

/* memdev_read: copy count sectors at lba (range already checked by blkdev_read). */
static int memdev_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	const struct pkgfs_memdev *m = ctx;
	memcpy(buf, m->data + lba * PKGFS_MEMDEV_SECTOR, (size_t)count * PKGFS_MEMDEV_SECTOR);
	return 0;
}

/* memdev_write: the buffer is constant; blkdev_write refuses before calling. */
static int memdev_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	(void)ctx;
	(void)lba;
	(void)buf;
	(void)count;
	return CAIRN_EROFS;
}

/* memdev_flush: nothing can be written, so nothing to flush; refused like writes. */
static int memdev_flush(void *ctx)
{
	(void)ctx;
	return CAIRN_EROFS;
}

static const struct blkdev_ops memdev_ops = {
	.read = memdev_read,
	.write = memdev_write,
	.flush = memdev_flush,
};

/* pkgfs_memdev_init: describe data[0..len) as a read-only device of 512-byte sectors. */
int pkgfs_memdev_init(struct pkgfs_memdev *m, const uint8_t *data, size_t len, const char *serial)
{
	if (!m || !data || len == 0 || len % PKGFS_MEMDEV_SECTOR != 0)
		return CAIRN_EINVAL;
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	m->dev.ops = &memdev_ops;
	m->dev.ctx = m;
	m->dev.info.sector_size = PKGFS_MEMDEV_SECTOR;
	m->dev.info.sector_count = len / PKGFS_MEMDEV_SECTOR;
	m->dev.info.read_only = true;
	if (serial) {
		size_t n = strlen(serial);
		if (n > BLKDEV_SERIAL_MAX)
			return CAIRN_EINVAL;
		memcpy(m->dev.info.serial, serial, n + 1);
	}
	return 0;
}
