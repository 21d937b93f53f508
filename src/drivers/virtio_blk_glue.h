/* Kernel side of the virtio-blk driver. */
#ifndef VIRTIO_BLK_GLUE_H
#define VIRTIO_BLK_GLUE_H

/* virtio_blk_probe_all: probe every virtio-mmio slot in the DTB, print a
 * `blk: virtio-blk up ...` marker per disk; returns how many came up. Thread
 * context (after the scheduler runs). */
int virtio_blk_probe_all(void);

#endif
