/* The virtio-mmio transport (cairn/virtio.h): identification, status
 * handshake, feature negotiation, config space, queue set-up (legacy QueuePFN
 * and modern QueueDesc/Driver/Device), notification, interrupts, reset with a
 * confirmed status, and a one-request-at-a-time helper. Set-up runs in thread
 * context before the device is shared; the rest under the driver's device lock. */
#include "cairn/virtio.h"

#define CONFIG_RETRIES 16u /* attempts to get a consistent 64-bit config read */

/* True when every op the transport needs is present (relax is optional). */
static bool ops_complete(const struct virtio_ops *o)
{
	return o && o->read32 && o->write32 && o->mb && o->wmb && o->rmb && o->dma_alloc &&
	       o->dma_addr && o->now_us && o->lock && o->unlock && o->wait && o->wake;
}

int virtio_init(struct virtio_dev *d, const struct virtio_ops *ops, void *ctx, uint64_t mmio_base,
		uint32_t irq)
{
	if (!d || !ops_complete(ops))
		return CAIRN_EINVAL;
	*d = (struct virtio_dev){ .ops = ops, .ctx = ctx, .mmio_base = mmio_base, .irq = irq };
	return 0;
}

uint32_t virtio_rd(const struct virtio_dev *d, uint32_t off) { return d->ops->read32(d->ctx, off); }

void virtio_wr(const struct virtio_dev *d, uint32_t off, uint32_t val)
{
	d->ops->write32(d->ctx, off, val);
}

int virtio_identify(struct virtio_dev *d, uint32_t device_id)
{
	if (virtio_rd(d, VMMIO_MAGIC) != VMMIO_MAGIC_VALUE)
		return CAIRN_ENODEV;
	d->version = virtio_rd(d, VMMIO_VERSION);
	if (d->version != 1u && d->version != 2u)
		return CAIRN_ENOTSUP;
	d->device_id = virtio_rd(d, VMMIO_DEVICE_ID);
	if (d->device_id != device_id)
		return CAIRN_ENODEV; /* 0 = empty slot; anything else is not ours */
	return 0;
}

int virtio_reset(struct virtio_dev *d)
{
	d->status = 0;
	virtio_wr(d, VMMIO_STATUS, 0);
	for (unsigned i = 0; i < VIRTIO_RESET_SPINS; i++) {
		if (virtio_rd(d, VMMIO_STATUS) == 0)
			return 0;
		if (d->ops->relax)
			d->ops->relax(d->ctx);
	}
	/* The device may still own every buffer it was given: keep them all. */
	d->quarantined = true;
	return CAIRN_ETIMEDOUT;
}

void virtio_set_status(struct virtio_dev *d, uint32_t bits)
{
	d->status |= bits;
	virtio_wr(d, VMMIO_STATUS, d->status);
}

int virtio_begin(struct virtio_dev *d)
{
	int err = virtio_reset(d);
	if (err)
		return err;
	virtio_set_status(d, VSTAT_ACKNOWLEDGE);
	virtio_set_status(d, VSTAT_DRIVER);
	return 0;
}

/* device_features: the device's 64 feature bits. */
static uint64_t device_features(struct virtio_dev *d)
{
	virtio_wr(d, VMMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = virtio_rd(d, VMMIO_DEVICE_FEATURES);
	virtio_wr(d, VMMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = virtio_rd(d, VMMIO_DEVICE_FEATURES);
	return lo | (hi << 32);
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
	uint64_t offered = device_features(d);
	uint64_t want = wanted & ~VIRTIO_FEATURE(VIRTIO_F_VERSION_1);

	if (d->version == 2u) {
		if (!(offered & VIRTIO_FEATURE(VIRTIO_F_VERSION_1)))
			return CAIRN_ENOTSUP;
		want |= VIRTIO_FEATURE(VIRTIO_F_VERSION_1);
	}
	d->features = offered & want;
	virtio_wr(d, VMMIO_DRIVER_FEATURES_SEL, 0);
	virtio_wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)d->features);
	virtio_wr(d, VMMIO_DRIVER_FEATURES_SEL, 1);
	virtio_wr(d, VMMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	if (d->version == 1u) {
		virtio_wr(d, VMMIO_GUEST_PAGE_SIZE, VIRTQ_PAGE_SIZE);
		return 0;
	}
	virtio_set_status(d, VSTAT_FEATURES_OK);
	if (!(virtio_rd(d, VMMIO_STATUS) & VSTAT_FEATURES_OK))
		return CAIRN_ENOTSUP; /* device refused our subset */
	return 0;
}

bool virtio_has(const struct virtio_dev *d, unsigned bit)
{
	return bit < 64 && (d->features & VIRTIO_FEATURE(bit)) != 0;
}

uint32_t virtio_config32(const struct virtio_dev *d, uint32_t off)
{
	return virtio_rd(d, VMMIO_CONFIG + off);
}

int virtio_config64(const struct virtio_dev *d, uint32_t off, uint64_t *out)
{
	for (unsigned i = 0; i < CONFIG_RETRIES; i++) {
		uint32_t before = d->version == 2u ? virtio_rd(d, VMMIO_CONFIG_GENERATION)
						   : virtio_config32(d, off + 4u);
		uint32_t lo = virtio_config32(d, off);
		uint32_t hi = virtio_config32(d, off + 4u);
		uint32_t after = d->version == 2u ? virtio_rd(d, VMMIO_CONFIG_GENERATION) : hi;
		if (before == after) {
			*out = (uint64_t)lo | ((uint64_t)hi << 32);
			return 0;
		}
	}
	return CAIRN_EIO; /* config keeps changing under us */
}

/* pow2_floor: largest power of two <= x (x > 0). */
static uint32_t pow2_floor(uint32_t x)
{
	uint32_t p = 1;
	while (p <= x / 2u)
		p *= 2u;
	return p;
}

/* queue_legacy: tell a legacy device where the queue is: QueueAlign, QueuePFN. */
static int queue_legacy(struct virtio_dev *d, const struct virtq *vq)
{
	uint64_t pfn = vq->desc_pa / VIRTQ_PAGE_SIZE;
	if (pfn == 0 || pfn > UINT32_MAX)
		return CAIRN_ENOTSUP; /* PFN 0 means "no queue"; must fit the register */
	virtio_wr(d, VMMIO_QUEUE_ALIGN, VIRTQ_PAGE_SIZE);
	virtio_wr(d, VMMIO_QUEUE_PFN, (uint32_t)pfn);
	return 0;
}

/* queue_modern: tell a modern device the three ring addresses, then QueueReady. */
static int queue_modern(struct virtio_dev *d, const struct virtq *vq)
{
	virtio_wr(d, VMMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc_pa);
	virtio_wr(d, VMMIO_QUEUE_DESC_HIGH, (uint32_t)(vq->desc_pa >> 32));
	virtio_wr(d, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)vq->avail_pa);
	virtio_wr(d, VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(vq->avail_pa >> 32));
	virtio_wr(d, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)vq->used_pa);
	virtio_wr(d, VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(vq->used_pa >> 32));
	/* Ring addresses (and the zeroed ring memory) before the queue goes live. */
	d->ops->mb(d->ctx);
	virtio_wr(d, VMMIO_QUEUE_READY, 1);
	return 0;
}

int virtio_queue_setup(struct virtio_dev *d, uint16_t index, uint16_t want, uint16_t min_num,
		       struct virtq *vq)
{
	virtio_wr(d, VMMIO_QUEUE_SEL, index);
	uint32_t in_use = virtio_rd(d, d->version == 1u ? VMMIO_QUEUE_PFN : VMMIO_QUEUE_READY);
	if (in_use)
		return CAIRN_EBUSY;
	uint32_t max = virtio_rd(d, VMMIO_QUEUE_NUM_MAX);
	uint32_t n = want < max ? want : max;
	n = n < VIRTQ_SIZE_MAX ? n : VIRTQ_SIZE_MAX;
	if (n == 0 || n < min_num)
		return CAIRN_ENOTSUP;
	n = pow2_floor(n);

	size_t avail_off, used_off;
	size_t bytes = virtq_layout((uint16_t)n, VIRTQ_PAGE_SIZE, &avail_off, &used_off);
	void *mem;
	uint64_t pa;
	int err = d->ops->dma_alloc(d->ctx, bytes, VIRTQ_PAGE_SIZE, &mem, &pa);
	if (err)
		return err;
	virtq_init(vq, (uint16_t)n, mem, pa, VIRTQ_PAGE_SIZE);
	vq->index = index;
	virtio_wr(d, VMMIO_QUEUE_NUM, n);
	return d->version == 1u ? queue_legacy(d, vq) : queue_modern(d, vq);
}

void virtio_driver_ok(struct virtio_dev *d) { virtio_set_status(d, VSTAT_DRIVER_OK); }

void virtio_notify(struct virtio_dev *d, const struct virtq *vq)
{
	/* avail->idx must be visible before the device is told to look at it. */
	d->ops->mb(d->ctx);
	virtio_wr(d, VMMIO_QUEUE_NOTIFY, vq->index);
}

bool virtio_kick(struct virtio_dev *d, struct virtq *vq)
{
	if (!virtq_kick_needed(vq, d->ops, d->ctx)) /* includes the mb */
		return false;
	virtio_wr(d, VMMIO_QUEUE_NOTIFY, vq->index);
	return true;
}

uint32_t virtio_irq_ack(struct virtio_dev *d)
{
	uint32_t st = virtio_rd(d, VMMIO_INTERRUPT_STATUS);
	if (st) {
		virtio_wr(d, VMMIO_INTERRUPT_ACK, st);
		/* Ack before reading used->idx: a completion posted after our read
		 * then raises a fresh interrupt instead of being lost. */
		d->ops->mb(d->ctx);
	}
	return st;
}

int virtio_fail(struct virtio_dev *d)
{
	if (d->failed)
		return d->quarantined ? CAIRN_ETIMEDOUT : 0;
	__atomic_store_n(&d->failed, true, __ATOMIC_RELAXED); /* lock-free fast-path read */
	int err = virtio_reset(d);
	virtio_set_status(d, VSTAT_FAILED);
	return err;
}

/* wait_step: one wait for vq's used ring to move, polled or by ops->wait; the
 * lock is held on entry and on return. CAIRN_ETIMEDOUT once the deadline passed. */
static int wait_step(struct virtio_dev *d, struct virtq *vq, bool polled, uint64_t deadline)
{
	if (d->ops->now_us(d->ctx) >= deadline)
		return CAIRN_ETIMEDOUT;
	if (!polled)
		return d->ops->wait(d->ctx, vq, deadline);
	d->ops->unlock(d->ctx);
	if (d->ops->relax)
		d->ops->relax(d->ctx);
	d->ops->lock(d->ctx);
	return 0;
}

int virtio_request(struct virtio_dev *d, struct virtq *vq, const struct vq_buf *bufs, unsigned n,
		   bool polled, uint32_t *used_len)
{
	uint64_t deadline = d->ops->now_us(d->ctx) + d->timeout_us;
	uint32_t id = 0, len = 0;
	int err = 0;

	d->ops->lock(d->ctx);
	int head = d->failed ? -1 : virtq_add_chain(vq, bufs, n);
	if (head < 0) {
		err = d->failed ? CAIRN_ESHUTDOWN : CAIRN_EAGAIN;
		goto out;
	}
	virtq_publish(vq, (uint16_t)head, d->ops, d->ctx);
	virtio_notify(d, vq);
	while (!virtq_pop_used(vq, d->ops, d->ctx, &id, &len)) {
		if (d->failed) {
			err = CAIRN_ESHUTDOWN;
			goto out;
		}
		err = wait_step(d, vq, polled, deadline);
		if (err == CAIRN_ETIMEDOUT || (!err && d->ops->now_us(d->ctx) >= deadline)) {
			/* The chain stays off the free list: the device may still own it. */
			(void)virtio_fail(d);
			err = CAIRN_ETIMEDOUT;
			goto out;
		}
		err = 0;
	}
	if (id != (uint32_t)head || virtq_free_chain(vq, (uint16_t)id) == 0) {
		(void)virtio_fail(d);
		err = CAIRN_EIO;
		goto out;
	}
	*used_len = len;
out:
	d->ops->unlock(d->ctx);
	return err;
}
