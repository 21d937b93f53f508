/* The virtio-rng device (virtio 1.x section 5.4, entropy device, ID 4) on the
 * kernel core's shared virtio-mmio transport (cairn/virtio.h): no features, no
 * config, queue 0 of device-writable buffers, one request in flight, polled with
 * the transport's bounded wait (virtio_request). Implements struct vrng_xfer for
 * vrng_core.c. Hardware is reached only through struct virtio_ops, so host
 * tests run the driver against a device model. */
#ifndef VRNG_DEV_H
#define VRNG_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/virtio.h"
#include "cairn/virtq.h"
#include "vrng_core.h"

#define VIRTIO_ID_ENTROPY 4u
#define VRNG_QUEUE_MAX 8u /* descriptors used of the device's queue */

struct vrng_dev {
	struct virtio_dev v; /* the transport's view of the device */
	struct virtq vq;     /* queue 0 */
	uint8_t *dma;	     /* VRNG_CHUNK bytes the device writes, never the caller's */
	uint64_t dma_pa;
	void *dst; /* where the current fill is copied */
	uint32_t offered;
	bool live;	       /* DRIVER_OK reached: x_submit refuses before */
	bool staged;	       /* submit called, wait not yet */
	struct vrng_xfer xfer; /* for vrng_start/vrng_read */
};

/* vrng_dev_probe: identify (magic, version 1 or 2, device ID 4), then the core
 * handshake: confirmed reset, no device features (VERSION_1 on modern), queue 0,
 * DRIVER_OK. 0; CAIRN_ENODEV not an entropy device (nothing written);
 * CAIRN_ENOTSUP unknown version, refused features, unusable queue; CAIRN_EBUSY
 * queue already live; CAIRN_ETIMEDOUT reset not confirmed; CAIRN_ENOMEM;
 * CAIRN_EINVAL incomplete ops. After identification any failure fails the
 * device (virtio_fail: reset, FAILED status) and it is never used. */
int vrng_dev_probe(struct vrng_dev *r, const struct virtio_ops *ops, void *ctx, uint64_t base,
		   uint32_t irq);

#endif
