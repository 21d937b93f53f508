/* virtio-blk probe: the block-specific part of bringing a device up over the
 * core's virtio-mmio transport (cairn/virtio.h): block config space, queue and
 * request slots, GET_ID, the blkdev view. Runs in thread context during probe,
 * before the device is shared, so no lock is taken. */
#include "vblk_internal.h"

/* True when x is a power of two in [lo, hi]. */
static bool pow2_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return x >= lo && x <= hi && (x & (x - 1u)) == 0;
}

/* vblk_read_config: capacity, logical block size and transfer limits, validated.
 * max_transfer = min(128 KiB, size_max) rounded down to the logical block (or to
 * 512 when size_max is below one block). seg_max is honoured trivially: every
 * request carries exactly one data segment (seg_max 0 is treated as 1). */
int vblk_read_config(struct vblk_dev *d)
{
	int err = virtio_config64(&d->v, VBLK_CFG_CAPACITY, &d->capacity);
	if (err)
		return err;
	d->blk_size = VBLK_SECTOR_SIZE;
	if (virtio_has(&d->v, VBLK_F_BLK_SIZE)) {
		d->blk_size = virtio_config32(&d->v, VBLK_CFG_BLK_SIZE);
		if (!pow2_in(d->blk_size, BLKDEV_SECTOR_MIN, BLKDEV_SECTOR_MAX))
			return CAIRN_ENOTSUP;
	}
	uint32_t max = VBLK_MAX_TRANSFER;
	if (virtio_has(&d->v, VBLK_F_SIZE_MAX)) {
		uint32_t size_max = virtio_config32(&d->v, VBLK_CFG_SIZE_MAX);
		if (size_max < VBLK_SECTOR_SIZE)
			return CAIRN_ENOTSUP;
		if (size_max < max)
			max = size_max;
	}
	uint32_t unit = max >= d->blk_size ? d->blk_size : VBLK_SECTOR_SIZE;
	d->max_transfer = max - max % unit;
	d->dev_ro = virtio_has(&d->v, VBLK_F_RO);
	return 0;
}

/* Fill the blkdev view from the negotiated state. */
static void fill_blkdev(struct vblk_dev *d, const char *serial)
{
	d->bd.ops = &vblk_blkdev_ops;
	d->bd.ctx = d;
	d->bd.info.sector_size = d->blk_size;
	d->bd.info.sector_count = d->capacity / (d->blk_size / VBLK_SECTOR_SIZE);
	d->bd.info.read_only = d->dev_ro;
	for (unsigned i = 0; i <= BLKDEV_SERIAL_MAX; i++)
		d->bd.info.serial[i] = serial[i];
}

/* Status handshake up to DRIVER_OK, then GET_ID. */
static int bring_up(struct vblk_dev *d, const struct vblk_config *cfg)
{
	char serial[BLKDEV_SERIAL_MAX + 1];

	int err = virtio_begin(&d->v);
	if (!err)
		err = virtio_negotiate(&d->v, VBLK_WANTED_FEATURES);
	if (!err)
		err = vblk_read_config(d);
	/* At least one 3-descriptor request must fit. */
	if (!err)
		err = virtio_queue_setup(
			&d->v, 0, cfg->queue_size ? cfg->queue_size : VBLK_DEFAULT_QUEUE_SIZE, 4u,
			&d->vq);
	if (!err)
		err = vblk_alloc_slots(d);
	if (err)
		return err;
	/* Before DRIVER_OK, so used_event is in place before the device runs. */
	d->vq.event_idx = virtio_has(&d->v, VIRTIO_RING_F_EVENT_IDX);
	virtq_set_no_interrupt(&d->vq, true);
	d->polled = true; /* GET_ID is polled: the IRQ may not be attached yet */
	virtio_driver_ok(&d->v);
	err = vblk_get_id(d, serial);
	if (err)
		return err;
	fill_blkdev(d, serial);
	vblk_set_polled(d, cfg->polled);
	return 0;
}

/* vblk_probe: identify, negotiate, set up and register one virtio-mmio disk. */
int vblk_probe(const struct vblk_config *cfg, struct vblk_dev **out)
{
	if (!cfg || !out)
		return CAIRN_EINVAL;
	struct vblk_dev *d = vblk_pool_get();
	if (!d)
		return CAIRN_EBUSY;
	int err = virtio_init(&d->v, cfg->ops, cfg->ctx, cfg->mmio_base, cfg->irq);
	if (!err)
		err = virtio_identify(&d->v, VIRTIO_ID_BLOCK);
	if (err) {
		vblk_pool_put(d); /* not ours: nothing was written to the device */
		return err;
	}
	d->v.timeout_us = cfg->timeout_us ? cfg->timeout_us : VBLK_DEFAULT_TIMEOUT_US;
	d->audit = cfg->audit;
	err = bring_up(d, cfg);
	if (err) {
		/* Stop any DMA into memory we are abandoning, then say we gave up. A
		 * device that does not confirm the reset keeps its pool entry and
		 * memory for good (quarantined). */
		(void)virtio_fail(&d->v);
		if (!d->v.quarantined)
			vblk_pool_put(d);
		return err;
	}
	vblk_pool_publish(d);
	*out = d;
	return 0;
}
