/* virtio-rng on virtio-mmio (vrng_mmio.h). Ordering (virtio 1.x 2.7.13): the
 * descriptor and ring entry are written before avail->idx (wmb), avail->idx
 * before the notify (mb); the used element is read after used->idx (rmb). */
#include "vrng_mmio.h"

#include <string.h>

#include "cairn/err.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtio-rng driver assumes a little-endian CPU"
#endif

/* Register offsets (virtio 1.x 4.2.2; legacy 4.2.4). */
#define R_MAGIC 0x000u
#define R_VERSION 0x004u
#define R_DEVICE_ID 0x008u
#define R_DEV_FEATURES 0x010u
#define R_DEV_FEATURES_SEL 0x014u
#define R_DRV_FEATURES 0x020u
#define R_DRV_FEATURES_SEL 0x024u
#define R_GUEST_PAGE_SIZE 0x028u
#define R_QUEUE_SEL 0x030u
#define R_QUEUE_NUM_MAX 0x034u
#define R_QUEUE_NUM 0x038u
#define R_QUEUE_ALIGN 0x03cu
#define R_QUEUE_PFN 0x040u
#define R_QUEUE_READY 0x044u
#define R_QUEUE_NOTIFY 0x050u
#define R_INT_STATUS 0x060u
#define R_INT_ACK 0x064u
#define R_STATUS 0x070u
#define R_DESC_LO 0x080u
#define R_DESC_HI 0x084u
#define R_DRIVER_LO 0x090u
#define R_DRIVER_HI 0x094u
#define R_DEVICE_LO 0x0a0u
#define R_DEVICE_HI 0x0a4u

#define MAGIC 0x74726976u /* "virt" */
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u
#define S_FAILED 128u
#define F_VERSION_1_HI 1u /* feature bit 32, in the high word */
#define DESC_F_WRITE 2u
#define PAGE 4096u
#define RESET_SPINS 1000000u

static uint32_t rd(const struct vrng_mmio *m, uint32_t off) { return m->ops->read32(m->ctx, off); }

static void wr(const struct vrng_mmio *m, uint32_t off, uint32_t v)
{
	m->ops->write32(m->ctx, off, v);
}

/* set_status: add bits (status is never cleared piecemeal). */
static void set_status(struct vrng_mmio *m, uint32_t bits)
{
	m->status |= bits;
	wr(m, R_STATUS, m->status);
}

/* reset: write 0 and wait (bounded) until the device reads back 0. */
static void reset(struct vrng_mmio *m)
{
	m->status = 0;
	wr(m, R_STATUS, 0);
	for (unsigned i = 0; i < RESET_SPINS && rd(m, R_STATUS) != 0; i++)
		if (m->ops->relax)
			m->ops->relax(m->ctx);
}

/* negotiate: take no device feature; modern devices must offer VERSION_1. */
static int negotiate(struct vrng_mmio *m)
{
	wr(m, R_DEV_FEATURES_SEL, 1);
	uint32_t hi = rd(m, R_DEV_FEATURES);
	uint32_t want_hi = 0;

	if (m->version == 2u) {
		if (!(hi & F_VERSION_1_HI))
			return CAIRN_ENOTSUP;
		want_hi = F_VERSION_1_HI;
	}
	wr(m, R_DRV_FEATURES_SEL, 0);
	wr(m, R_DRV_FEATURES, 0);
	wr(m, R_DRV_FEATURES_SEL, 1);
	wr(m, R_DRV_FEATURES, want_hi);
	if (m->version == 1u) {
		wr(m, R_GUEST_PAGE_SIZE, PAGE);
		return 0;
	}
	set_status(m, S_FEATURES_OK);
	return rd(m, R_STATUS) & S_FEATURES_OK ? 0 : CAIRN_ENOTSUP;
}

/* setup_queue: queue 0 with num descriptors in one page-aligned block: the
 * descriptors, the avail ring, the used ring at the next page (legacy layout,
 * which also meets the modern alignment), then the data buffer. */
static int setup_queue(struct vrng_mmio *m)
{
	wr(m, R_QUEUE_SEL, 0);
	if (rd(m, m->version == 1u ? R_QUEUE_PFN : R_QUEUE_READY) != 0)
		return CAIRN_ENOTSUP; /* already live: not ours to take */
	uint32_t max = rd(m, R_QUEUE_NUM_MAX), n = 1;
	if (max == 0)
		return CAIRN_ENOTSUP;
	while (n * 2 <= max && n * 2 <= VRNG_QUEUE_MAX)
		n *= 2;
	size_t used_off = PAGE, buf_off = 2 * PAGE;
	void *va;
	uint64_t pa;
	int err = m->ops->dma_alloc(m->ctx, 3 * PAGE, PAGE, &va, &pa);
	if (err)
		return err;
	m->num = (uint16_t)n;
	m->desc = va;
	m->avail = (volatile uint16_t *)(void *)((uint8_t *)va + 16u * n);
	m->used = (volatile uint16_t *)(void *)((uint8_t *)va + used_off);
	m->dma = (uint8_t *)va + buf_off;
	m->dma_pa = pa + buf_off;
	m->ring_pa = pa;
	wr(m, R_QUEUE_NUM, n);
	if (m->version == 1u) {
		if (pa / PAGE == 0 || pa / PAGE > UINT32_MAX)
			return CAIRN_ENOTSUP;
		wr(m, R_QUEUE_ALIGN, PAGE);
		wr(m, R_QUEUE_PFN, (uint32_t)(pa / PAGE));
		return 0;
	}
	uint64_t av = pa + 16u * n, us = pa + used_off;
	wr(m, R_DESC_LO, (uint32_t)pa);
	wr(m, R_DESC_HI, (uint32_t)(pa >> 32));
	wr(m, R_DRIVER_LO, (uint32_t)av);
	wr(m, R_DRIVER_HI, (uint32_t)(av >> 32));
	wr(m, R_DEVICE_LO, (uint32_t)us);
	wr(m, R_DEVICE_HI, (uint32_t)(us >> 32));
	m->ops->mb(m->ctx); /* ring addresses before QueueReady */
	wr(m, R_QUEUE_READY, 1);
	return 0;
}

/* x_submit: offer the DMA buffer (len <= VRNG_CHUNK) as descriptor 0. */
static int x_submit(void *ctx, void *buf, uint32_t len)
{
	struct vrng_mmio *m = ctx;

	if (m->broken || m->inflight || len == 0 || len > VRNG_CHUNK)
		return CAIRN_EIO;
	m->dst = buf;
	m->offered = len;
	m->desc[0].addr = m->dma_pa;
	m->desc[0].len = len;
	m->desc[0].flags = DESC_F_WRITE;
	m->desc[0].next = 0;
	m->avail[2 + (m->avail_idx & (m->num - 1u))] = 0;
	m->ops->wmb(m->ctx); /* descriptor and entry before the index */
	m->avail_idx++;
	m->avail[1] = m->avail_idx;
	m->ops->mb(m->ctx); /* the index before the notify */
	m->inflight = true;
	wr(m, R_QUEUE_NOTIFY, 0);
	return 0;
}

/* x_wait: poll the used ring until the deadline; copy at most what was offered. */
static int x_wait(void *ctx, uint32_t *used, uint64_t timeout_us)
{
	struct vrng_mmio *m = ctx;
	uint64_t deadline = m->ops->now_us(m->ctx) + timeout_us;

	if (!m->inflight)
		return CAIRN_EIO;
	for (;;) {
		if (m->used[1] != m->last_used)
			break;
		if (rd(m, R_STATUS) & S_NEEDS_RESET) {
			m->broken = true;
			return CAIRN_EIO;
		}
		if (m->ops->now_us(m->ctx) >= deadline) {
			m->broken = true; /* the buffer may still be the device's */
			return CAIRN_ETIMEDOUT;
		}
		if (m->ops->relax)
			m->ops->relax(m->ctx);
	}
	m->ops->rmb(m->ctx); /* the element after the index */
	const volatile uint32_t *e =
		(const volatile uint32_t *)(const volatile void *)(m->used + 2) +
		2u * (m->last_used & (m->num - 1u));
	uint32_t id = e[0], len = e[1];
	m->last_used++;
	m->inflight = false;
	uint32_t isr = rd(m, R_INT_STATUS);
	if (isr)
		wr(m, R_INT_ACK, isr);
	if (id != 0) { /* we only ever offer descriptor 0 */
		m->broken = true;
		return CAIRN_EIO;
	}
	memcpy(m->dst, m->dma, len < m->offered ? len : m->offered);
	memset(m->dma, 0, m->offered);
	*used = len; /* vrng_core clamps and counts */
	return 0;
}

/* vrng_mmio_probe: identify, reset, ACK, DRIVER, features, queue, DRIVER_OK. */
int vrng_mmio_probe(struct vrng_mmio *m, const struct vrng_platform_ops *ops, void *ctx)
{
	memset(m, 0, sizeof *m);
	m->ops = ops;
	m->ctx = ctx;
	m->xfer = (struct vrng_xfer){ .ctx = m, .submit = x_submit, .wait = x_wait };
	if (rd(m, R_MAGIC) != MAGIC)
		return CAIRN_ENODEV;
	m->version = rd(m, R_VERSION);
	if (rd(m, R_DEVICE_ID) != VIRTIO_ID_ENTROPY)
		return CAIRN_ENODEV;
	if (m->version != 1u && m->version != 2u)
		return CAIRN_ENOTSUP;
	reset(m);
	set_status(m, S_ACK);
	set_status(m, S_DRIVER);
	int err = negotiate(m);
	if (!err)
		err = setup_queue(m);
	if (err) {
		set_status(m, S_FAILED); /* tell the device we gave up on it */
		m->broken = true;
		return err;
	}
	set_status(m, S_DRIVER_OK);
	return 0;
}
