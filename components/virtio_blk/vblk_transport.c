/* virtio-mmio transport: identification, status handshake, feature negotiation,
 * config space, queue setup (legacy QueuePFN and modern QueueDesc/Driver/Device),
 * reset, and the probe sequence tying them together. Runs in thread context during
 * probe, before the device is shared, so no lock is taken except where noted. */
#include "vblk_internal.h"

#define RESET_SPINS 1000u  /* reads of Status waiting for a reset to complete */
#define CONFIG_RETRIES 16u /* attempts to get a consistent 64-bit config read */

/* vblk_rd: 32-bit register read. */
uint32_t vblk_rd(const struct vblk_dev *d, uint32_t off)
{
	return d->ops->read32(d->ctx, off);
}

/* vblk_wr: 32-bit register write. */
void vblk_wr(const struct vblk_dev *d, uint32_t off, uint32_t val)
{
	d->ops->write32(d->ctx, off, val);
}

/* vblk_set_status: add bits to the device status (it is never cleared piecemeal). */
void vblk_set_status(struct vblk_dev *d, uint32_t bits)
{
	d->status |= bits;
	vblk_wr(d, VMMIO_STATUS, d->status);
}

/* vblk_reset: write 0 to Status and wait (bounded) for it to read back 0; after
 * this the device no longer reads or writes the rings or any request buffer. */
void vblk_reset(struct vblk_dev *d)
{
	d->status = 0;
	vblk_wr(d, VMMIO_STATUS, 0);
	for (unsigned i = 0; i < RESET_SPINS && vblk_rd(d, VMMIO_STATUS) != 0; i++)
		if (d->ops->relax)
			d->ops->relax(d->ctx);
}

/* vblk_identify: check magic, version and device id without writing anything.
 * CAIRN_ENODEV for not-virtio / empty slot / other device, CAIRN_ENOTSUP for an
 * unknown transport version. */
int vblk_identify(struct vblk_dev *d)
{
	if (vblk_rd(d, VMMIO_MAGIC) != VMMIO_MAGIC_VALUE)
		return CAIRN_ENODEV;
	d->version = vblk_rd(d, VMMIO_VERSION);
	if (d->version != 1u && d->version != 2u)
		return CAIRN_ENOTSUP;
	if (vblk_rd(d, VMMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
		return CAIRN_ENODEV; /* 0 = empty slot; anything else is not ours */
	return 0;
}

/* Read the device's 64 feature bits. */
static uint64_t device_features(struct vblk_dev *d)
{
	vblk_wr(d, VMMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = vblk_rd(d, VMMIO_DEVICE_FEATURES);
	vblk_wr(d, VMMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = vblk_rd(d, VMMIO_DEVICE_FEATURES);
	return lo | (hi << 32);
}

/* vblk_negotiate: accept the offered subset of the wanted features (plus VERSION_1,
 * required on modern), write them, and on modern confirm FEATURES_OK stuck.
 * Legacy also gets its GuestPageSize here, before any queue register. */
int vblk_negotiate(struct vblk_dev *d)
{
	uint64_t offered = device_features(d);
	uint64_t want = VBLK_WANTED_FEATURES;

	if (d->version == 2u) {
		if (!(offered & VBLK_FEATURE(VIRTIO_F_VERSION_1)))
			return CAIRN_ENOTSUP;
		want |= VBLK_FEATURE(VIRTIO_F_VERSION_1);
	}
	d->features = offered & want;
	vblk_wr(d, VMMIO_DRIVER_FEATURES_SEL, 0);
	vblk_wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)d->features);
	vblk_wr(d, VMMIO_DRIVER_FEATURES_SEL, 1);
	vblk_wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	if (d->version == 1u) {
		vblk_wr(d, VMMIO_GUEST_PAGE_SIZE, VBLK_PAGE_SIZE);
		return 0;
	}
	vblk_set_status(d, VSTAT_FEATURES_OK);
	if (!(vblk_rd(d, VMMIO_STATUS) & VSTAT_FEATURES_OK))
		return CAIRN_ENOTSUP; /* device refused our subset */
	return 0;
}

/* Read a 32-bit config field. */
static uint32_t cfg32(struct vblk_dev *d, uint32_t off)
{
	return vblk_rd(d, VMMIO_CONFIG + off);
}

/* Read the 64-bit capacity consistently: modern retries while ConfigGeneration
 * changes; legacy (no generation) retries while the high word changes. */
static int read_capacity(struct vblk_dev *d, uint64_t *cap)
{
	for (unsigned i = 0; i < CONFIG_RETRIES; i++) {
		uint32_t before = d->version == 2u ? vblk_rd(d, VMMIO_CONFIG_GENERATION)
		                                   : cfg32(d, VBLK_CFG_CAPACITY + 4u);
		uint32_t lo = cfg32(d, VBLK_CFG_CAPACITY);
		uint32_t hi = cfg32(d, VBLK_CFG_CAPACITY + 4u);
		uint32_t after = d->version == 2u ? vblk_rd(d, VMMIO_CONFIG_GENERATION) : hi;
		if (before == after) {
			*cap = (uint64_t)lo | ((uint64_t)hi << 32);
			return 0;
		}
	}
	return CAIRN_EIO; /* config keeps changing under us */
}

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
	int err = read_capacity(d, &d->capacity);
	if (err)
		return err;
	d->blk_size = VBLK_SECTOR_SIZE;
	if (d->features & VBLK_FEATURE(VBLK_F_BLK_SIZE)) {
		d->blk_size = cfg32(d, VBLK_CFG_BLK_SIZE);
		if (!pow2_in(d->blk_size, BLKDEV_SECTOR_MIN, BLKDEV_SECTOR_MAX))
			return CAIRN_ENOTSUP;
	}
	uint32_t max = VBLK_MAX_TRANSFER;
	if (d->features & VBLK_FEATURE(VBLK_F_SIZE_MAX)) {
		uint32_t size_max = cfg32(d, VBLK_CFG_SIZE_MAX);
		if (size_max < VBLK_SECTOR_SIZE)
			return CAIRN_ENOTSUP;
		if (size_max < max)
			max = size_max;
	}
	uint32_t unit = max >= d->blk_size ? d->blk_size : VBLK_SECTOR_SIZE;
	d->max_transfer = max - max % unit;
	d->dev_ro = (d->features & VBLK_FEATURE(VBLK_F_RO)) != 0;
	return 0;
}

/* Largest power of two <= x (x > 0). */
static uint32_t pow2_floor(uint32_t x)
{
	uint32_t p = 1;
	while (p <= x / 2u)
		p *= 2u;
	return p;
}

/* Tell a legacy device where the queue is: QueueAlign, then QueuePFN. */
static int queue_legacy(struct vblk_dev *d)
{
	uint64_t pfn = d->vq.desc_pa / VBLK_PAGE_SIZE;
	if (pfn == 0 || pfn > UINT32_MAX)
		return CAIRN_ENOTSUP; /* PFN 0 means "no queue"; must fit the register */
	vblk_wr(d, VMMIO_QUEUE_ALIGN, VBLK_PAGE_SIZE);
	vblk_wr(d, VMMIO_QUEUE_PFN, (uint32_t)pfn);
	return 0;
}

/* Tell a modern device the three ring addresses, then QueueReady. */
static int queue_modern(struct vblk_dev *d)
{
	vblk_wr(d, VMMIO_QUEUE_DESC_LOW, (uint32_t)d->vq.desc_pa);
	vblk_wr(d, VMMIO_QUEUE_DESC_HIGH, (uint32_t)(d->vq.desc_pa >> 32));
	vblk_wr(d, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)d->vq.avail_pa);
	vblk_wr(d, VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(d->vq.avail_pa >> 32));
	vblk_wr(d, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)d->vq.used_pa);
	vblk_wr(d, VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(d->vq.used_pa >> 32));
	/* Ring addresses (and the zeroed ring memory) before the queue goes live. */
	d->ops->mb(d->ctx);
	vblk_wr(d, VMMIO_QUEUE_READY, 1);
	return 0;
}

/* vblk_setup_queue: size, allocate and announce virtqueue 0. want is the caller's
 * preferred size; the result is a power of two <= min(want, QueueNumMax, 256). */
int vblk_setup_queue(struct vblk_dev *d, uint16_t want)
{
	vblk_wr(d, VMMIO_QUEUE_SEL, 0);
	uint32_t in_use = vblk_rd(d, d->version == 1u ? VMMIO_QUEUE_PFN : VMMIO_QUEUE_READY);
	if (in_use)
		return CAIRN_EBUSY;
	uint32_t max = vblk_rd(d, VMMIO_QUEUE_NUM_MAX);
	uint32_t n = want ? want : VBLK_DEFAULT_QUEUE_SIZE;
	n = n < max ? n : max;
	n = n < VBLK_QSIZE_MAX ? n : VBLK_QSIZE_MAX;
	if (n < 4u)
		return CAIRN_ENOTSUP; /* need room for one 3-descriptor request */
	n = pow2_floor(n);

	size_t avail_off, used_off;
	size_t bytes = vblk_vq_layout((uint16_t)n, VBLK_PAGE_SIZE, &avail_off, &used_off);
	void *mem;
	uint64_t pa;
	int err = d->ops->dma_alloc(d->ctx, bytes, VBLK_PAGE_SIZE, &mem, &pa);
	if (err)
		return err;
	vblk_vq_init(&d->vq, (uint16_t)n, mem, pa, VBLK_PAGE_SIZE);
	vblk_wr(d, VMMIO_QUEUE_NUM, n);
	return d->version == 1u ? queue_legacy(d) : queue_modern(d);
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

	vblk_reset(d);
	vblk_set_status(d, VSTAT_ACKNOWLEDGE);
	vblk_set_status(d, VSTAT_DRIVER);
	int err = vblk_negotiate(d);
	if (!err)
		err = vblk_read_config(d);
	if (!err)
		err = vblk_setup_queue(d, cfg->queue_size);
	if (!err)
		err = vblk_alloc_slots(d);
	if (err)
		return err;
	vblk_vq_set_no_interrupt(&d->vq, true);
	d->polled = true; /* GET_ID is polled: the IRQ may not be attached yet */
	vblk_set_status(d, VSTAT_DRIVER_OK);
	err = vblk_get_id(d, serial);
	if (err)
		return err;
	fill_blkdev(d, serial);
	vblk_set_polled(d, cfg->polled);
	return 0;
}

/* Copy the config into a fresh pool entry. */
static void dev_init(struct vblk_dev *d, const struct vblk_config *cfg)
{
	d->ops = cfg->ops;
	d->ctx = cfg->ctx;
	d->mmio_base = cfg->mmio_base;
	d->irq = cfg->irq;
	d->timeout_us = cfg->timeout_us ? cfg->timeout_us : VBLK_DEFAULT_TIMEOUT_US;
}

/* True when every mandatory op is present. */
static bool ops_complete(const struct vblk_platform_ops *o)
{
	return o && o->read32 && o->write32 && o->mb && o->wmb && o->rmb && o->dma_alloc &&
	       o->dma_addr && o->now_us && o->lock && o->unlock && o->wait && o->wake;
}

/* vblk_probe: identify, negotiate, set up and register one virtio-mmio disk. */
int vblk_probe(const struct vblk_config *cfg, struct vblk_dev **out)
{
	if (!cfg || !out || !ops_complete(cfg->ops))
		return CAIRN_EINVAL;
	struct vblk_dev *d = vblk_pool_get();
	if (!d)
		return CAIRN_EBUSY;
	dev_init(d, cfg);
	int err = vblk_identify(d);
	if (err) {
		vblk_pool_put(d); /* not ours: nothing was written to the device */
		return err;
	}
	err = bring_up(d, cfg);
	if (err) {
		/* Stop any DMA into memory we are abandoning, then say we gave up. */
		vblk_reset(d);
		vblk_set_status(d, VSTAT_FAILED);
		vblk_pool_put(d);
		return err;
	}
	vblk_pool_publish(d);
	*out = d;
	return 0;
}
