/* virtio-rng on the shared virtio-mmio transport (vrng_dev.h). The exchange
 * itself (descriptor, publish, notify, bounded wait, used-id check, failing the
 * device on timeout or misbehaviour) is the transport's virtio_request; this
 * file only bounds what is offered and what is copied back. */
#include "vrng_dev.h"

#include <string.h>

#include "cairn/err.h"

/* x_submit: stage the DMA buffer (len <= VRNG_CHUNK) for the next wait. */
static int x_submit(void *ctx, void *buf, uint32_t len)
{
	struct vrng_dev *r = ctx;

	if (!r->live || __atomic_load_n(&r->v.failed, __ATOMIC_RELAXED) || r->staged || len == 0 ||
	    len > VRNG_CHUNK)
		return CAIRN_EIO;
	r->dst = buf;
	r->offered = len;
	r->staged = true;
	return 0;
}

/* x_wait: one request through the transport; copy at most what was offered.
 * timeout_us is the transport's per-request budget (set at probe). */
static int x_wait(void *ctx, uint32_t *used, uint64_t timeout_us)
{
	struct vrng_dev *r = ctx;
	struct vq_buf b = { .pa = r->dma_pa, .len = r->offered, .device_writes = true };
	uint32_t len = 0;

	if (!r->staged)
		return CAIRN_EIO;
	r->staged = false;
	if (timeout_us < r->v.timeout_us)
		r->v.timeout_us = (uint32_t)timeout_us; /* serialised by the caller's lock */
	int err = virtio_request(&r->v, &r->vq, &b, 1, true, &len);
	if (err == CAIRN_ETIMEDOUT)
		return CAIRN_ETIMEDOUT; /* the transport failed the device */
	if (err)
		return CAIRN_EIO;
	memcpy(r->dst, r->dma, len < r->offered ? len : r->offered);
	memset(r->dma, 0, r->offered);
	*used = len; /* vrng_core clamps and counts */
	return 0;
}

/* vrng_dev_probe: identify, core handshake, queue 0, the DMA buffer, DRIVER_OK. */
int vrng_dev_probe(struct vrng_dev *r, const struct virtio_ops *ops, void *ctx, uint64_t base,
		   uint32_t irq)
{
	memset(r, 0, sizeof *r);
	r->xfer = (struct vrng_xfer){ .ctx = r, .submit = x_submit, .wait = x_wait };
	int err = virtio_init(&r->v, ops, ctx, base, irq);
	if (err)
		return err;
	err = virtio_identify(&r->v, VIRTIO_ID_ENTROPY);
	if (err)
		return err; /* not ours (or unknown version): nothing written */
	r->v.timeout_us = VRNG_TIMEOUT_US;
	err = virtio_begin(&r->v);
	if (!err)
		err = virtio_negotiate(&r->v, 0);
	if (!err)
		err = virtio_queue_setup(&r->v, 0, VRNG_QUEUE_MAX, 1, &r->vq);
	if (!err) {
		void *va;
		err = ops->dma_alloc(ctx, VRNG_CHUNK, 64, &va, &r->dma_pa);
		r->dma = err ? NULL : va;
	}
	if (err) {
		(void)virtio_fail(&r->v); /* tell the device we gave up on it */
		return err;
	}
	virtq_set_no_interrupt(&r->vq, true); /* polled */
	virtio_driver_ok(&r->v);
	r->live = true;
	return 0;
}
