/* The virtio_rng component in the image (on its own minimal
 * virtio-mmio transport, vrng_mmio.c, until the kernel core's shared one
 * exists).
 *
 * Probes the DTB's virtio-mmio slots for an entropy device (ID 4; other devices
 * are identified read-only and left alone), brings up the first one that passes
 * the start-up health test, and serves vrng_svc_read. Locking: vr.lock (a mutex)
 * serialises every read; the device state is written only by init. */
#include <string.h>

#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/page.h"
#include "cairn/riscv.h"
#include "cairn/sched.h"
#include "cairn/sync.h"
#include "cairn/timer.h"
#include "virtio_rng.h"
#include "vrng_mmio.h"

static struct {
	struct mutex lock; /* serialises reads (mutex_lock_live) */
	uintptr_t base;	   /* Immutable after init: */
	bool up;
	bool reported;	       /* Protected by lock: the failure was printed */
	struct vrng_mmio mmio; /* Protected by lock: */
	struct vrng rng;
	uint8_t tmp[VRNG_SVC_MAX];
} vr;

static uint32_t g_read32(void *ctx, uint32_t off)
{
	(void)ctx;
	return *(volatile uint32_t *)(vr.base + off);
}

static void g_write32(void *ctx, uint32_t off, uint32_t val)
{
	(void)ctx;
	*(volatile uint32_t *)(vr.base + off) = val;
}

/* Fences as in the virtio-blk glue: mb orders memory and device I/O. */
static void g_mb(void *ctx)
{
	(void)ctx;
	__asm__ volatile("fence iorw, iorw" ::: "memory");
}
static void g_wmb(void *ctx)
{
	(void)ctx;
	__asm__ volatile("fence w, w" ::: "memory");
}
static void g_rmb(void *ctx)
{
	(void)ctx;
	__asm__ volatile("fence r, r" ::: "memory");
}

static int g_dma_alloc(void *ctx, size_t size, size_t align, void **va, uint64_t *pa)
{
	(void)ctx;
	if (align > PAGE_SIZE || size == 0)
		return CAIRN_EINVAL;
	void *p = page_alloc((size + PAGE_SIZE - 1) / PAGE_SIZE); /* zeroed, page aligned */
	if (!p)
		return CAIRN_ENOMEM;
	*va = p;
	*pa = (uintptr_t)p; /* identity-mapped */
	return 0;
}

static uint64_t g_now_us(void *ctx)
{
	(void)ctx;
	return time_us();
}
static void g_relax(void *ctx)
{
	(void)ctx;
	cpu_relax();
}

static const struct vrng_platform_ops ops = {
	.read32 = g_read32,
	.write32 = g_write32,
	.mb = g_mb,
	.wmb = g_wmb,
	.rmb = g_rmb,
	.dma_alloc = g_dma_alloc,
	.now_us = g_now_us,
	.relax = g_relax,
};

/* vr_init: the first entropy device that comes up and passes the start-up test.
 * No device is not an error (the component is up without a source: callers get
 * ENODEV); a device that fails is reported and never used. */
static int vr_init(void)
{
	mutex_init(&vr.lock, "virtio_rng");
	for (unsigned i = 0; i < platform.nvirtio && !vr.up; i++) {
		const struct dt_virtio *v = &platform.virtio[i];
		vr.base = v->base;
		int err = vrng_mmio_probe(&vr.mmio, &ops, NULL);
		if (err == CAIRN_ENODEV)
			continue;
		if (!err)
			err = vrng_start(&vr.rng, &vr.mmio.xfer);
		if (err) {
			kprintf("rng: virtio-rng mmio=0x%lx failed, not used: %s (%s)\n",
				(unsigned long)v->base,
				vr.rng.why ? vr.rng.why : "bring-up refused", cairn_strerror(err));
			continue;
		}
		vr.up = true;
		kprintf("rng: virtio-rng up mmio=0x%lx version=%u health=sp800-90b\n",
			(unsigned long)v->base, vr.mmio.version);
	}
	if (!vr.up)
		kprintf("rng: no usable virtio-rng device\n");
	return 0;
}

/* vrng_svc_read: gate, bounded length, read under the lock, copy out. */
int vrng_svc_read(void *buf, size_t len)
{
	struct cap_call call;
	int err = cap_enter(&call, CAP_COMP_VIRTIO_RNG, "read");

	if (err)
		return err;
	if (len > VRNG_SVC_MAX) {
		cap_leave(&call);
		return CAIRN_E2BIG;
	}
	err = mutex_lock_live(&vr.lock);
	if (err) {
		cap_leave(&call);
		return err;
	}
	err = vr.up ? vrng_read(&vr.rng, vr.tmp, len) : CAIRN_ENODEV;
	if (!err)
		err = cap_copy_out(&call, buf, vr.tmp, len);
	memset(vr.tmp, 0, len);
	bool report = vr.up && vr.rng.failed && !vr.reported;
	vr.reported |= report;
	mutex_unlock(&vr.lock);
	if (report)
		kprintf("rng: virtio-rng failed, not used again: %s\n", vr.rng.why);
	cap_leave(&call);
	return err;
}

/* Queues stay live in the device, so no restart (as virtio_blk). */
const struct component_desc component_virtio_rng = {
	.name = "virtio_rng",
	.init = vr_init,
	.no_restart = true,
};
