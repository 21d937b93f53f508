/* virtio_blk concurrency test: many threads issue I/O at once against the model
 * running in its own "device" thread that completes requests out of order and
 * calls vblk_irq, with a real mutex/condvar platform. Checks data integrity and
 * that every descriptor and slot comes back. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vblk_internal.h"
#include "vmodel.h"

#define WORKERS 8
#define ITERS 300
#define REGION 64u /* sectors per worker */

struct mt {
	struct vmodel m;
	struct tplat p;	       /* DMA arena only */
	pthread_mutex_t lock;  /* the driver's device lock */
	pthread_mutex_t mlock; /* the model's state (a device has its own) */
	pthread_cond_t cond;   /* one channel for every wait; wake broadcasts */
	struct vblk_dev *dev;
	atomic_bool stop;
	atomic_uint errors;
};

static struct mt mt;

static uint32_t m_read32(void *ctx, uint32_t off)
{
	struct mt *x = ctx;
	pthread_mutex_lock(&x->mlock);
	uint32_t v = vm_read(&x->m, off);
	pthread_mutex_unlock(&x->mlock);
	return v;
}

static void m_write32(void *ctx, uint32_t off, uint32_t val)
{
	struct mt *x = ctx;
	pthread_mutex_lock(&x->mlock);
	vm_write(&x->m, off, val);
	pthread_mutex_unlock(&x->mlock);
}

static void m_fence(void *ctx)
{
	(void)ctx;
	atomic_thread_fence(memory_order_seq_cst);
}

static int m_dma_alloc(void *ctx, size_t size, size_t align, void **va, uint64_t *pa)
{
	struct mt *x = ctx;
	return tplat_ops.dma_alloc(&x->p, size, align, va, pa);
}

static int m_dma_addr(void *ctx, const void *va, size_t len, uint64_t *pa)
{
	struct mt *x = ctx;
	return tplat_ops.dma_addr(&x->p, va, len, pa);
}

static uint64_t m_now(void *ctx)
{
	struct timespec ts;
	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void m_relax(void *ctx)
{
	(void)ctx;
	sched_yield();
}

static void m_lock(void *ctx) { pthread_mutex_lock(&((struct mt *)ctx)->lock); }

static void m_unlock(void *ctx) { pthread_mutex_unlock(&((struct mt *)ctx)->lock); }

static int m_wait(void *ctx, const void *chan, uint64_t deadline)
{
	struct mt *x = ctx;
	struct timespec ts = { (time_t)(deadline / 1000000u), (long)(deadline % 1000000u) * 1000 };
	(void)chan;
	return pthread_cond_timedwait(&x->cond, &x->lock, &ts) == 0 ? 0 : CAIRN_ETIMEDOUT;
}

static void m_wake(void *ctx, const void *chan)
{
	(void)chan;
	pthread_cond_broadcast(&((struct mt *)ctx)->cond);
}

static const struct virtio_ops mt_ops = {
	.read32 = m_read32,
	.write32 = m_write32,
	.mb = m_fence,
	.wmb = m_fence,
	.rmb = m_fence,
	.dma_alloc = m_dma_alloc,
	.dma_addr = m_dma_addr,
	.now_us = m_now,
	.relax = m_relax,
	.lock = m_lock,
	.unlock = m_unlock,
	.wait = m_wait,
	.wake = m_wake,
};

/* The device: complete whatever is pending in a scrambled order, interrupt. */
static void *device_thread(void *arg)
{
	struct mt *x = arg;
	unsigned seed = 1;
	while (!atomic_load(&x->stop)) {
		pthread_mutex_lock(&x->mlock);
		while (x->m.npending) {
			seed = seed * 1103515245u + 12345u;
			vm_complete(&x->m, (seed >> 16) % x->m.npending);
		}
		bool irq = x->m.int_status != 0;
		pthread_mutex_unlock(&x->mlock);
		if (irq)
			vblk_irq(x->dev);
		else
			sched_yield();
	}
	return NULL;
}

/* One worker: write, read back and compare inside its own region. */
static void *worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	unsigned char wbuf[8 * 512], rbuf[8 * 512];
	for (unsigned it = 0; it < ITERS; it++) {
		unsigned n = 1u + (id + it) % 8u;
		uint64_t sector = id * REGION + (it * 7u) % (REGION - n + 1u);
		memset(wbuf, (int)(id * 31u + it), n * 512u);
		if (vblk_write(mt.dev, sector, wbuf, n * 512u) ||
		    vblk_read(mt.dev, sector, rbuf, n * 512u) || memcmp(wbuf, rbuf, n * 512u) ||
		    (it % 50u == 0 && vblk_flush(mt.dev)))
			atomic_fetch_add(&mt.errors, 1);
	}
	return NULL;
}

/* Start the platform and probe with the given queue size. */
static void mt_up(uint32_t qmax)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	pthread_condattr_t ca;

	mc.queue_num_max = qmax;
	memset(&mt, 0, sizeof(mt));
	vm_init(&mt.m, &mc);
	tplat_init(&mt.p, &mt.m);
	pthread_mutex_init(&mt.lock, NULL);
	pthread_mutex_init(&mt.mlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mt.cond, &ca);
	struct vblk_config cfg = { .ops = &mt_ops, .ctx = &mt, .timeout_us = 5000000u };
	ck_assert_int_eq(vblk_probe(&cfg, &mt.dev), 0);
	mt.m.mode = VM_DEFER; /* after probe: from now on only the device thread completes */
}

START_TEST(test_vblk_concurrent_io_many_threads)
{
	pthread_t dev, w[WORKERS];
	mt_up(_i ? 256u : 8u); /* 42 slots, or 2 slots so workers queue for slots */
	pthread_create(&dev, NULL, device_thread, &mt);
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	atomic_store(&mt.stop, true);
	pthread_join(dev, NULL);
	ck_assert_uint_eq(atomic_load(&mt.errors), 0);
	ck_assert_uint_gt(mt.m.max_pending, 1); /* requests really overlapped */
	ck_assert(!vblk_failed(mt.dev));
	ck_assert_uint_eq(mt.dev->vq.num_free, mt.dev->vq.num);
	ck_assert_uint_eq(mt.dev->free_slots, mt.dev->nslots);
	ck_assert_uint_eq(mt.m.requests, 1u + WORKERS * ITERS * 2u + WORKERS * (ITERS / 50u));
	ck_assert_msg(mt.m.violations == 0, "%s", mt.m.violation);
	tplat_fini(&mt.p);
	vm_fini(&mt.m);
	vblk_registry_reset();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_vblk_concurrent_io_many_threads, 0, 2);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
