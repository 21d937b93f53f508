/* Memory- and file-backed block devices for host tests, tools and benchmarks. */
#include "blkdev_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool valid_sector_size(uint32_t ss)
{
	return ss >= BLKDEV_SECTOR_MIN && ss <= BLKDEV_SECTOR_MAX && (ss & (ss - 1)) == 0;
}

static int mem_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct blkdev_mem *m = ctx;
	size_t ss = m->dev.info.sector_size;
	memcpy(buf, m->data + lba * ss, (size_t)count * ss);
	return 0;
}

static int mem_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	struct blkdev_mem *m = ctx;
	size_t ss = m->dev.info.sector_size;
	memcpy(m->data + lba * ss, buf, (size_t)count * ss);
	m->writes++;
	return 0;
}

static int mem_flush(void *ctx)
{
	struct blkdev_mem *m = ctx;
	m->flushes++;
	return 0;
}

static const struct blkdev_ops mem_ops = { .read = mem_read,
					   .write = mem_write,
					   .flush = mem_flush };

int blkdev_mem_init(struct blkdev_mem *m, uint32_t sector_size, uint64_t sector_count)
{
	memset(m, 0, sizeof(*m));
	if (!valid_sector_size(sector_size) || sector_count == 0 ||
	    sector_count > SIZE_MAX / sector_size)
		return CAIRN_EINVAL;
	m->data = calloc((size_t)sector_count, sector_size);
	if (!m->data)
		return CAIRN_ENOMEM;
	m->dev.ops = &mem_ops;
	m->dev.ctx = m;
	m->dev.info.sector_size = sector_size;
	m->dev.info.sector_count = sector_count;
	return 0;
}

void blkdev_mem_fini(struct blkdev_mem *m)
{
	free(m->data);
	m->data = NULL;
}

static int file_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct blkdev_file *f = ctx;
	size_t len = (size_t)count * f->dev.info.sector_size;
	off_t off = (off_t)(lba * f->dev.info.sector_size);
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(f->fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CAIRN_EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int file_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	struct blkdev_file *f = ctx;
	size_t len = (size_t)count * f->dev.info.sector_size;
	off_t off = (off_t)(lba * f->dev.info.sector_size);
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(f->fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return CAIRN_EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int file_flush(void *ctx)
{
	struct blkdev_file *f = ctx;
	if (f->sync_on_flush && fsync(f->fd) != 0)
		return CAIRN_EIO;
	return 0;
}

static const struct blkdev_ops file_ops = { .read = file_read,
					    .write = file_write,
					    .flush = file_flush };

static int file_setup(struct blkdev_file *f, uint32_t sector_size, bool read_only)
{
	struct stat st;
	if (fstat(f->fd, &st) != 0) {
		(void)close(f->fd);
		return CAIRN_EIO;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size % sector_size != 0) {
		(void)close(f->fd);
		return CAIRN_EINVAL;
	}
	f->dev.ops = &file_ops;
	f->dev.ctx = f;
	f->dev.info.sector_size = sector_size;
	f->dev.info.sector_count = (uint64_t)st.st_size / sector_size;
	f->dev.info.read_only = read_only;
	f->sync_on_flush = 1;
	return 0;
}

int blkdev_file_open(struct blkdev_file *f, const char *path, uint32_t sector_size, bool read_only)
{
	memset(f, 0, sizeof(*f));
	if (!valid_sector_size(sector_size))
		return CAIRN_EINVAL;
	f->fd = open(path, read_only ? O_RDONLY : O_RDWR);
	if (f->fd < 0)
		return CAIRN_EIO;
	return file_setup(f, sector_size, read_only);
}

int blkdev_file_create(struct blkdev_file *f, const char *path, uint32_t sector_size,
		       uint64_t sector_count)
{
	memset(f, 0, sizeof(*f));
	if (!valid_sector_size(sector_size) || sector_count == 0 ||
	    sector_count > (uint64_t)INT64_MAX / sector_size)
		return CAIRN_EINVAL;
	f->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (f->fd < 0)
		return CAIRN_EIO;
	if (ftruncate(f->fd, (off_t)(sector_count * sector_size)) != 0) {
		(void)close(f->fd);
		return CAIRN_EIO;
	}
	return file_setup(f, sector_size, false);
}

int blkdev_file_close(struct blkdev_file *f)
{
	int rc = close(f->fd);
	f->fd = -1;
	return rc == 0 ? 0 : CAIRN_EIO;
}
