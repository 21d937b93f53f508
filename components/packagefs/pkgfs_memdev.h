/* A read-only block device over a constant buffer: how the image serves the
 * fixture package image linked into the kernel through the same engine path as
 * a disk. Image-only (the host tests have blkdev_host.h's memory device). */
#ifndef PKGFS_MEMDEV_H
#define PKGFS_MEMDEV_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/blkdev.h"

#define PKGFS_MEMDEV_SECTOR 512u

/* The device: dev is what the engine is handed; data/len are its bytes. */
struct pkgfs_memdev {
	struct blkdev dev;
	const uint8_t *data;
	size_t len;
};

/* pkgfs_memdev_init: a read-only device of 512-byte sectors over data[0..len).
 * len must be a non-zero multiple of 512 (CAIRN_EINVAL); nothing is copied, so
 * data must outlive the device. */
int pkgfs_memdev_init(struct pkgfs_memdev *m, const uint8_t *data, size_t len, const char *serial);

#endif
