/* The virtio-rng driver (vrng_dev.c) on the kernel core's shared virtio-mmio
 * transport (src/dev/virtio.c, virtq.c) against an in-process device model:
 * legacy and modern bring-up (status sequence, features, queue registers),
 * fills through vrng_core (partial fills, an over-long used length clamped and never copied
 * past the offer), a device that never answers (bounded: ETIMEDOUT, then
 * never used again), a bogus used id, wrong device IDs and versions (nothing
 * written), refused features (FAILED status set), a reset the device never
 * confirms (probe fails, device quarantined, never used). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "vrng_dev.h"

/* The model: registers, plus the queue as the driver announced it. */
struct model {
	uint32_t magic, version, device_id, queue_max;
	uint32_t status, status_writes[16], nstatus;
	uint32_t features_sel, drv_features[2], queue_num, pfn, ready, page;
	uint64_t desc_pa, avail_pa, used_pa;
	uint32_t give;	 /* bytes the device writes per request */
	int64_t claim;	 /* used length it reports; -1 = give */
	uint32_t bad_id; /* nonzero: report this used id instead of the head */
	bool silent, refuse_features;
	bool ignore_reset; /* Status = 0 is ignored: the reset never completes */
	unsigned locks;	   /* lock depth (ops->lock/unlock) */
	uint16_t last_avail;
	uint64_t clock;
	uint8_t next;
	unsigned writes;
};

static struct model M;

/* DMA memory gets fake physical addresses below 4 GiB (legacy queues need a
 * 32-bit page number), translated back by pa2va. */
#define FAKE_PA 0x80000000ull
#define DMA_SLOT 0x100000ull
static void *dma_mem[64];
static int ndma;

static void *pa2va(uint64_t pa)
{
	uint64_t i = (pa - FAKE_PA) / DMA_SLOT;

	ck_assert(pa >= FAKE_PA && i < (uint64_t)ndma);
	return (uint8_t *)dma_mem[i] + (pa - FAKE_PA) % DMA_SLOT;
}

/* process: one notify: take the avail entry, fill, publish the used element. */
static void process(void)
{
	uint16_t *avail = pa2va(M.version == 1 ? M.pfn * 4096ull + 16u * M.queue_num : M.avail_pa);
	uint16_t *used = pa2va(M.version == 1 ? M.pfn * 4096ull + 4096 : M.used_pa);
	struct vq_desc *desc = pa2va(M.version == 1 ? M.pfn * 4096ull : M.desc_pa);

	if (M.silent || avail[1] == M.last_avail)
		return;
	uint16_t head = avail[2 + (M.last_avail % M.queue_num)];
	M.last_avail++;
	ck_assert_uint_eq(desc[head].flags & 2, 2); /* device-writable */
	uint8_t *buf = pa2va(desc[head].addr);
	uint32_t n = M.give < desc[head].len ? M.give : desc[head].len;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(M.next++ * 167u + 13u);
	uint32_t *elem = (uint32_t *)(void *)(used + 2) + 2u * (used[1] % M.queue_num);
	elem[0] = M.bad_id ? M.bad_id : head;
	elem[1] = M.claim >= 0 ? (uint32_t)M.claim : n;
	used[1]++;
}

static uint32_t m_read32(void *c, uint32_t off)
{
	(void)c;
	switch (off) {
	case 0x000:
		return M.magic;
	case 0x004:
		return M.version;
	case 0x008:
		return M.device_id;
	case 0x010:
		return M.features_sel == 1 && M.version == 2 ? 1u : 0u;
	case 0x034:
		return M.queue_max;
	case 0x040:
		return M.pfn;
	case 0x044:
		return M.ready;
	case 0x060:
		return 1;
	case 0x070:
		return M.status;
	default:
		return 0;
	}
}

static void m_write32(void *c, uint32_t off, uint32_t v)
{
	(void)c;
	M.writes++;
	switch (off) {
	case 0x014:
		M.features_sel = v;
		break;
	case 0x020:
		M.drv_features[M.features_sel & 1] = v;
		break;
	case 0x028:
		M.page = v;
		break;
	case 0x038:
		M.queue_num = v;
		break;
	case 0x040:
		M.pfn = v;
		break;
	case 0x044:
		M.ready = v;
		break;
	case 0x050:
		process();
		break;
	case 0x070:
		if (M.refuse_features)
			v &= ~8u;
		if (v == 0 && M.ignore_reset)
			break;
		M.status = v;
		if (M.nstatus < 16)
			M.status_writes[M.nstatus++] = v;
		break;
	case 0x080:
		M.desc_pa = (M.desc_pa & ~0xffffffffull) | v;
		break;
	case 0x084:
		M.desc_pa = (M.desc_pa & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case 0x090:
		M.avail_pa = (M.avail_pa & ~0xffffffffull) | v;
		break;
	case 0x094:
		M.avail_pa = (M.avail_pa & 0xffffffffull) | (uint64_t)v << 32;
		break;
	case 0x0a0:
		M.used_pa = (M.used_pa & ~0xffffffffull) | v;
		break;
	case 0x0a4:
		M.used_pa = (M.used_pa & 0xffffffffull) | (uint64_t)v << 32;
		break;
	default:
		break;
	}
}

static void m_barrier(void *c)
{
	(void)c;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int m_dma_alloc(void *c, size_t size, size_t align, void **va, uint64_t *pa)
{
	(void)c;
	size = (size + align - 1) / align * align; /* aligned_alloc wants a multiple */
	void *p = aligned_alloc(align, size);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, size);
	ck_assert_int_lt(ndma, 64);
	ck_assert_uint_le(size, DMA_SLOT);
	*pa = FAKE_PA + (uint64_t)ndma * DMA_SLOT;
	dma_mem[ndma++] = p;
	*va = p;
	return 0;
}

static uint64_t m_now(void *c)
{
	(void)c;
	return M.clock += 1000; /* every look at the clock costs 1 ms */
}

/* m_dma_addr: the driver only uses its own DMA buffer; any other is a bug. */
static int m_dma_addr(void *c, const void *va, size_t len, uint64_t *pa)
{
	(void)c;
	(void)va;
	(void)len;
	(void)pa;
	return CAIRN_EFAULT;
}

/* m_lock / m_unlock: the device lock, checked for balance. */
static void m_lock(void *c)
{
	(void)c;
	ck_assert_uint_eq(M.locks, 0);
	M.locks++;
}
static void m_unlock(void *c)
{
	(void)c;
	ck_assert_uint_eq(M.locks, 1);
	M.locks--;
}

/* m_wait: the driver polls, so the transport must never sleep. */
static int m_wait(void *c, const void *chan, uint64_t deadline_us)
{
	(void)c;
	(void)chan;
	(void)deadline_us;
	ck_abort_msg("wait called in polled mode");
	return CAIRN_ETIMEDOUT;
}
static void m_wake(void *c, const void *chan)
{
	(void)c;
	(void)chan;
}

static const struct virtio_ops OPS = {
	.read32 = m_read32,
	.write32 = m_write32,
	.mb = m_barrier,
	.wmb = m_barrier,
	.rmb = m_barrier,
	.dma_alloc = m_dma_alloc,
	.dma_addr = m_dma_addr,
	.now_us = m_now,
	.lock = m_lock,
	.unlock = m_unlock,
	.wait = m_wait,
	.wake = m_wake,
};

#define BASE 0x10001000u
static int probe(struct vrng_dev *m) { return vrng_dev_probe(m, &OPS, NULL, BASE, 1); }

static void model(uint32_t version)
{
	for (int i = 0; i < ndma; i++)
		free(dma_mem[i]);
	ndma = 0;
	memset(&M, 0, sizeof M);
	M.magic = 0x74726976;
	M.version = version;
	M.device_id = 4;
	M.queue_max = 64;
	M.give = 1u << 20;
	M.claim = -1;
}

/* bring_up: probe and start on the model of the given version. */
static void bring_up(struct vrng_dev *m, struct vrng *r, uint32_t version)
{
	model(version);
	ck_assert_int_eq(probe(m), 0);
	ck_assert_uint_eq(M.status & 0x7f, version == 2 ? 0xfu : 0x7u);
	ck_assert_uint_eq(M.queue_num, VRNG_QUEUE_MAX);
	ck_assert_int_eq(vrng_start(r, &m->xfer), 0);
}

/* test_vrng_mmio_legacy_and_modern: bring-up sequences and reads on both. */
START_TEST(test_vrng_mmio_legacy_and_modern)
{
	static struct vrng_dev m;
	static struct vrng r;
	uint8_t out[1000];

	for (uint32_t v = 1; v <= 2; v++) {
		bring_up(&m, &r, v);
		ck_assert_uint_eq(M.status_writes[0], 0); /* reset first */
		ck_assert_uint_eq(M.status_writes[1], 1); /* ACKNOWLEDGE */
		ck_assert_uint_eq(M.status_writes[2], 3); /* DRIVER */
		ck_assert_uint_eq(M.drv_features[0], 0);
		ck_assert_uint_eq(M.drv_features[1], v == 2 ? 1u : 0u); /* VERSION_1 only */
		if (v == 1) {
			ck_assert_uint_eq(M.page, 4096);
			ck_assert_uint_ne(M.pfn, 0);
		} else {
			ck_assert_uint_eq(M.ready, 1);
		}
		ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
		ck_assert_uint_eq(r.bytes, sizeof out);
	}
}
END_TEST

/* test_vrng_mmio_partial_and_clamped: 5-byte fills; then a device that claims
 * 1 MiB used for a 256-byte offer: clamped, no copy past the offer. */
START_TEST(test_vrng_mmio_partial_and_clamped)
{
	static struct vrng_dev m;
	static struct vrng r;
	uint8_t out[300];

	bring_up(&m, &r, 2);
	M.give = 5;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
	ck_assert_uint_gt(r.partial, 0);
	M.give = VRNG_CHUNK;
	M.claim = 1 << 20;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
	ck_assert_uint_gt(r.clamped, 0);
}
END_TEST

/* test_vrng_mmio_silent_device: no answer: ETIMEDOUT after the bounded wait,
 * then the device is never used again. */
START_TEST(test_vrng_mmio_silent_device)
{
	static struct vrng_dev m;
	static struct vrng r;
	uint8_t out[16];

	bring_up(&m, &r, 1);
	M.silent = true;
	uint64_t t0 = M.clock;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_ETIMEDOUT);
	ck_assert_uint_ge(M.clock - t0, VRNG_TIMEOUT_US);
	ck_assert_uint_le(M.clock - t0, VRNG_TIMEOUT_US + 10000);
	ck_assert(m.v.failed);
	ck_assert_uint_eq(M.locks, 0);
	M.silent = false;
	unsigned w = M.writes;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_EIO);
	ck_assert_uint_eq(M.writes, w); /* not touched again */
	/* a device silent from the start fails the start-up read */
	model(2);
	M.silent = true;
	ck_assert_int_eq(probe(&m), 0);
	ck_assert_int_eq(vrng_start(&r, &m.xfer), CAIRN_ETIMEDOUT);
}
END_TEST

/* test_vrng_mmio_bogus_used_id: a used element for a descriptor never offered. */
START_TEST(test_vrng_mmio_bogus_used_id)
{
	static struct vrng_dev m;
	static struct vrng r;

	model(2);
	M.bad_id = 5;
	ck_assert_int_eq(probe(&m), 0);
	ck_assert_int_eq(vrng_start(&r, &m.xfer), CAIRN_EIO);
	ck_assert(m.v.failed);
	ck_assert_uint_eq(M.locks, 0);
}
END_TEST

/* test_vrng_mmio_not_ours: another device, an empty slot, bad magic: ENODEV and
 * nothing written; an unknown version ENOTSUP, nothing written. */
START_TEST(test_vrng_mmio_not_ours)
{
	static struct vrng_dev m;

	model(2);
	M.device_id = 2;
	ck_assert_int_eq(probe(&m), CAIRN_ENODEV);
	M.device_id = 0;
	ck_assert_int_eq(probe(&m), CAIRN_ENODEV);
	M.device_id = 4;
	M.magic = 0;
	ck_assert_int_eq(probe(&m), CAIRN_ENODEV);
	M.magic = 0x74726976;
	M.version = 3;
	ck_assert_int_eq(probe(&m), CAIRN_ENOTSUP);
	ck_assert_uint_eq(M.writes, 0);
}
END_TEST

/* test_vrng_mmio_failed_device_reported: refused features or no queue: FAILED
 * set, the probe fails, and reads are refused. */
START_TEST(test_vrng_mmio_failed_device_reported)
{
	static struct vrng_dev m;
	static struct vrng r;

	model(2);
	M.refuse_features = true;
	ck_assert_int_eq(probe(&m), CAIRN_ENOTSUP);
	ck_assert_uint_eq(M.status & 128, 128);
	ck_assert_int_eq(vrng_start(&r, &m.xfer), CAIRN_EIO);
	model(1);
	M.queue_max = 0;
	ck_assert_int_eq(probe(&m), CAIRN_ENOTSUP);
	ck_assert_uint_eq(M.status & 128, 128);
}
END_TEST

/* test_vrng_mmio_reset_not_confirmed: a device whose Status never reads back 0:
 * the probe fails with ETIMEDOUT, the device is quarantined and failed, and no
 * read reaches it; the same after a timeout (the transport's reset fails too). */
START_TEST(test_vrng_mmio_reset_not_confirmed)
{
	static struct vrng_dev m;
	static struct vrng r;
	uint8_t out[16];

	model(2);
	M.status = 1; /* left over from an earlier driver */
	M.ignore_reset = true;
	ck_assert_int_eq(probe(&m), CAIRN_ETIMEDOUT);
	ck_assert(m.v.quarantined);
	ck_assert(m.v.failed);
	ck_assert_uint_eq(M.status & 128, 128);
	unsigned w = M.writes;
	ck_assert_int_eq(vrng_start(&r, &m.xfer), CAIRN_EIO);
	ck_assert_uint_eq(M.writes, w);

	bring_up(&m, &r, 1);
	M.silent = true;
	M.ignore_reset = true;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_ETIMEDOUT);
	ck_assert(m.v.quarantined);
	w = M.writes;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_EIO);
	ck_assert_uint_eq(M.writes, w);
}
END_TEST

/* test_vrng_mmio_short_used_length: the device claims fewer bytes than it was
 * offered (3 of 256): only those count, the read still completes. */
START_TEST(test_vrng_mmio_short_used_length)
{
	static struct vrng_dev m;
	static struct vrng r;
	uint8_t out[63]; /* a multiple of 3: no final offer below the claim */

	bring_up(&m, &r, 2);
	M.claim = 3;
	uint64_t before = r.bytes, partial = r.partial;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
	ck_assert_uint_eq(r.bytes - before, sizeof out);
	ck_assert_uint_eq(r.partial - partial, sizeof out / 3 - 1); /* the last offer is 3 */
	ck_assert_uint_eq(r.clamped, 0);
}
END_TEST

/* mmio_suite: the virtio_rng transport tests. */
static Suite *mmio_suite(void)
{
	Suite *s = suite_create("virtio_rng");
	TCase *tc = tcase_create("mmio");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vrng_mmio_legacy_and_modern);
	tcase_add_test(tc, test_vrng_mmio_partial_and_clamped);
	tcase_add_test(tc, test_vrng_mmio_silent_device);
	tcase_add_test(tc, test_vrng_mmio_bogus_used_id);
	tcase_add_test(tc, test_vrng_mmio_not_ours);
	tcase_add_test(tc, test_vrng_mmio_failed_device_reported);
	tcase_add_test(tc, test_vrng_mmio_reset_not_confirmed);
	tcase_add_test(tc, test_vrng_mmio_short_used_length);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(mmio_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int i = 0; i < ndma; i++)
		free(dma_mem[i]);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
