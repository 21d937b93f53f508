/* Host-only block devices for tests, tools and benchmarks: a memory-backed device
 * and a file-backed device (pread/pwrite, fsync at flush). Not built into the image. */
#ifndef BLKDEV_HOST_H
#define BLKDEV_HOST_H

#include <stddef.h>

#include "cairn/blkdev.h"

struct blkdev_mem {
	struct blkdev dev; /* hand &m->dev to an engine */
	uint8_t *data;	   /* sector_size * sector_count bytes, owned */
	uint64_t flushes;  /* number of flush calls, for tests */
	uint64_t writes;   /* number of write calls, for tests */
};

/* blkdev_mem_init: allocate a zeroed memory device. CAIRN_EINVAL for a bad
 * sector size or zero count, CAIRN_ENOMEM when allocation fails. */
int blkdev_mem_init(struct blkdev_mem *m, uint32_t sector_size, uint64_t sector_count);
/* blkdev_mem_fini: free the memory of a device made by blkdev_mem_init. */
void blkdev_mem_fini(struct blkdev_mem *m);

struct blkdev_file {
	struct blkdev dev;
	int fd;
	int sync_on_flush; /* 1: flush() calls fsync(); 0: flush is a no-op */
};

/* blkdev_file_open: open path as a device of sector_size blocks. The file's size
 * must be a whole number of blocks (CAIRN_EINVAL otherwise). read_only opens it
 * O_RDONLY and marks the device read-only. CAIRN_EIO when the open fails. */
int blkdev_file_open(struct blkdev_file *f, const char *path, uint32_t sector_size, bool read_only);
/* blkdev_file_create: create (or truncate) path with sector_count zeroed blocks. */
int blkdev_file_create(struct blkdev_file *f, const char *path, uint32_t sector_size,
		       uint64_t sector_count);
/* blkdev_file_close: close the file; returns CAIRN_EIO if close fails. */
int blkdev_file_close(struct blkdev_file *f);

#endif
