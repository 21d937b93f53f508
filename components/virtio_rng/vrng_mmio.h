/* virtio-rng over virtio-mmio (virtio 1.x section 5.4, entropy device, ID 4;
 * transport 4.2, legacy 4.2.4): one request queue, one device-writable buffer
 * in flight at a time, polled with a deadline. Implements struct vrng_xfer for
 * vrng_core.c. Like the virtio-blk driver it touches hardware only through
 * struct vrng_platform_ops, so host tests run it against a device model.
 *
 * This is the driver's own minimal transport; when the kernel core's shared
 * virtio-mmio transport (issue 12) lands, vrng_mmio.c shrinks to the entropy
 * device's part (device ID, no features, queue 0) on top of it. */
#ifndef VRNG_MMIO_H
#define VRNG_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrng_core.h"

#define VIRTIO_ID_ENTROPY 4u
#define VRNG_QUEUE_MAX 8u /* descriptors used of the device's queue */

/* What the driver needs from the platform (contracts as in virtio_blk.h). */
struct vrng_platform_ops {
	uint32_t (*read32)(void *ctx, uint32_t off);
	void (*write32)(void *ctx, uint32_t off, uint32_t val);
	void (*mb)(void *ctx);
	void (*wmb)(void *ctx);
	void (*rmb)(void *ctx);
	/* zeroed, physically contiguous, aligned DMA memory; never freed */
	int (*dma_alloc)(void *ctx, size_t size, size_t align, void **va, uint64_t *pa);
	uint64_t (*now_us)(void *ctx);
	void (*relax)(void *ctx); /* optional */
};

/* Ring layout (virtio 1.x 2.7), little-endian fields stored natively. */
struct vrng_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vrng_mmio {
	const struct vrng_platform_ops *ops;
	void *ctx;
	uint32_t version; /* 1 legacy, 2 modern */
	uint32_t status;
	uint16_t num; /* queue size (power of two) */
	struct vrng_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[num] */
	volatile uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[num] */
	uint64_t ring_pa;
	uint16_t avail_idx, last_used;
	uint8_t *dma; /* VRNG_CHUNK bytes the device writes */
	uint64_t dma_pa;
	void *dst; /* where the current fill is copied */
	uint32_t offered;
	bool inflight;
	bool broken;	       /* timed out or misbehaved: never used again */
	struct vrng_xfer xfer; /* for vrng_start/vrng_read */
};

/* vrng_mmio_probe: identify (magic, version 1 or 2, device ID 4), reset,
 * negotiate no device features (VERSION_1 on modern), set up queue 0 and go
 * DRIVER_OK. 0; CAIRN_ENODEV not an entropy device (nothing written);
 * CAIRN_ENOTSUP unknown version, refused features, unusable queue; CAIRN_ENOMEM.
 * After identification any failure sets the FAILED status bit. */
int vrng_mmio_probe(struct vrng_mmio *m, const struct vrng_platform_ops *ops, void *ctx);

#endif
