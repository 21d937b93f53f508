/* The virtio_blk component in the image: its descriptor, the disk-claim policy
 * (the capability table decides), and the glue that implements struct
 * vblk_platform_ops with the kernel's MMIO, fences, page allocator, clock,
 * spinlocks and wait queues, probes every virtio-mmio slot from the DTB and
 * routes PLIC interrupts to the driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/diag.h"
#include "cairn/err.h"
#include "cairn/kernel.h"
#include "cairn/page.h"
#include "cairn/plic.h"
#include "cairn/sched.h"
#include "cap.h"
#include "virtio_blk.h"

#define GLUE_WAIT_BUCKETS 16

struct vblk_glue {
	uintptr_t base;       /* immutable after probe */
	struct vblk_dev *dev; /* immutable after probe */
	/* lock: the driver's device lock (it guards the queue); a spinlock, so it
	 * also masks interrupts on this hart. */
	struct spinlock lock;
	/* Completion waiters, hashed by the channel the driver waits on (a request
	 * slot, or the free-slot count), so a completion wakes its own waiter and
	 * not every thread with a request in flight. Protected by sched_lock. */
	struct waitq wq[GLUE_WAIT_BUCKETS];
};

static struct vblk_glue glues[VBLK_MAX_DEVICES];

static uint32_t g_read32(void *ctx, uint32_t off)
{
	struct vblk_glue *g = ctx;
	return *(volatile uint32_t *)(g->base + off);
}

static void g_write32(void *ctx, uint32_t off, uint32_t val)
{
	struct vblk_glue *g = ctx;
	*(volatile uint32_t *)(g->base + off) = val;
}

/* Fences: mb orders memory and device I/O (descriptor stores before the notify
 * register write); wmb/rmb order normal memory only. */
static void g_mb(void *ctx) { (void)ctx; __asm__ volatile("fence iorw, iorw" ::: "memory"); }
static void g_wmb(void *ctx) { (void)ctx; __asm__ volatile("fence w, w" ::: "memory"); }
static void g_rmb(void *ctx) { (void)ctx; __asm__ volatile("fence r, r" ::: "memory"); }

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

/* g_dma_addr: memory is identity-mapped; any buffer inside RAM is reachable. */
static int g_dma_addr(void *ctx, const void *va, size_t len, uint64_t *pa)
{
	(void)ctx;
	uintptr_t a = (uintptr_t)va;
	for (unsigned i = 0; i < platform.nmem; i++) {
		const struct dt_region *m = &platform.mem[i];
		if (a >= m->base && len <= m->size && a - m->base <= m->size - len) {
			*pa = a;
			return 0;
		}
	}
	return CAIRN_EFAULT;
}

static uint64_t g_now_us(void *ctx) { (void)ctx; return time_us(); }
static void g_relax(void *ctx) { (void)ctx; cpu_relax(); }
static void g_lock(void *ctx) { spin_lock(&((struct vblk_glue *)ctx)->lock); }
static void g_unlock(void *ctx) { spin_unlock(&((struct vblk_glue *)ctx)->lock); }

/* bucket: the wait queue of channel chan (waiters re-check their own
 * condition, so sharing a bucket costs a spurious wake-up, never a lost one). */
static struct waitq *bucket(struct vblk_glue *g, const void *chan)
{
	uintptr_t h = (uintptr_t)chan;
	h ^= h >> 7;
	return &g->wq[(h >> 3) % GLUE_WAIT_BUCKETS];
}

static int g_wait(void *ctx, const void *chan, uint64_t deadline_us)
{
	struct vblk_glue *g = ctx;
	uint64_t now = time_us();
	if (now >= deadline_us)
		return CAIRN_ETIMEDOUT;
	return waitq_wait(bucket(g, chan), &g->lock, deadline_us - now);
}

static void g_wake(void *ctx, const void *chan)
{
	(void)waitq_wake_all(bucket(ctx, chan));
}

/* g_audit: a refused write or flush becomes an AUDIT_READ_ONLY record. Claim
 * denials are recorded by claim_policy itself, with the table's verdict. */
static void g_audit(void *ctx, enum vblk_audit_kind kind, const char *op, const char *serial)
{
	(void)ctx;
	if (kind == VBLK_AUDIT_READ_ONLY)
		(void)audit_append(AUDIT_READ_ONLY, cap_self(), CAP_COMP_VIRTIO_BLK, op, serial);
}

static const struct vblk_platform_ops glue_ops = {
	.read32 = g_read32, .write32 = g_write32, .mb = g_mb, .wmb = g_wmb, .rmb = g_rmb,
	.dma_alloc = g_dma_alloc, .dma_addr = g_dma_addr, .now_us = g_now_us, .relax = g_relax,
	.lock = g_lock, .unlock = g_unlock, .wait = g_wait, .wake = g_wake, .audit = g_audit,
};

static void glue_irq(void *arg)
{
	struct vblk_glue *g = arg;
	(void)vblk_irq(g->dev);
}

/* probe_all: probe every virtio-mmio slot in the DTB, print a `blk: virtio-blk
 * up ...` marker per disk; returns how many came up. Thread context. */
static int probe_all(void)
{
	int found = 0;
	for (unsigned i = 0; i < platform.nvirtio && i < VBLK_MAX_DEVICES; i++) {
		struct vblk_glue *g = &glues[i];
		const struct dt_virtio *v = &platform.virtio[i];
		g->base = v->base;
		spin_init(&g->lock, "vblk");
		for (unsigned b = 0; b < GLUE_WAIT_BUCKETS; b++)
			waitq_init(&g->wq[b]);
		struct vblk_config cfg = { .ops = &glue_ops, .ctx = g, .mmio_base = v->base,
					   .irq = v->irq, .polled = true };
		int err = vblk_probe(&cfg, &g->dev);
		if (err == CAIRN_ENODEV)
			continue; /* empty slot or another device type */
		if (err) {
			kprintf("blk: virtio-mmio@0x%lx probe failed: %s\n", (unsigned long)v->base,
				cairn_strerror(err));
			continue;
		}
		err = plic_register(v->irq, glue_irq, g);
		if (err == 0)
			vblk_set_polled(g->dev, false);
		else
			kprintf("blk: irq %u unavailable (%s): polled mode\n", v->irq, cairn_strerror(err));
		char line[VBLK_DESCRIBE_MAX];
		if (vblk_describe(g->dev, line, sizeof(line)) > 0)
			kprintf("blk: %s\n", line);
		found++;
	}
	return found;
}

/* crc32c: CRC-32C (Castagnoli), bitwise: the core does not call crypto, and a
 * diagnostic reads one block. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

/* vblk_diag_disks: the disks for diag_disks (`hw vblk`). */
static size_t vblk_diag_disks(struct diag_disk *out, size_t max)
{
	size_t n = 0;
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++) {
		struct vblk_dev *dev = __atomic_load_n(&glues[i].dev, __ATOMIC_ACQUIRE);
		if (!dev)
			continue;
		if (n < max) {
			const struct blkdev_info *in = vblk_info(dev);
			struct vblk_status st;
			vblk_status(dev, &st);
			struct diag_disk *d = &out[n];
			memset(d, 0, sizeof(*d));
			snprintf(d->serial, sizeof(d->serial), "%s", in->serial);
			d->sectors = in->sector_count;
			d->block_size = in->sector_size;
			d->read_only = in->read_only;
			d->owner = (uint16_t)st.owner;
			d->version = st.version;
			d->mmio_base = st.mmio_base;
			d->irq = st.irq;
			d->polled = st.polled;
			uint8_t *buf = malloc(in->sector_size);
			d->crc_err = buf ? vblk_read(dev, 0, buf, in->sector_size) : CAIRN_ENOMEM;
			if (d->crc_err == 0)
				d->crc = crc32c(buf, in->sector_size);
			free(buf);
		}
		n++;
	}
	return n;
}

/* claim_policy: the capability table decides disk claims, from the calling
 * thread's identity: the caller must be granted virtio_blk and own the disk
 * (rw only where the table says rw). Denials are audited. */
static int claim_policy(void *ctx, const char *serial, bool read_only, uint32_t *owner)
{
	(void)ctx;
	uint16_t self = cap_self();
	if (!cap_may_call(self, CAP_COMP_VIRTIO_BLK))
		return cap_deny(AUDIT_CAP_DENIED, CAP_COMP_VIRTIO_BLK, "claim", serial);
	int err = cap_disk_claim(self, serial, !read_only);
	if (err) {
		(void)cap_deny(AUDIT_CAP_DENIED, CAP_COMP_VIRTIO_BLK,
			       err == CAIRN_EROFS ? "claim-rw" : "claim", serial);
		return err;
	}
	*owner = self;
	return 0;
}

/* vblk_component_init: install the claim policy, then probe every slot. A
 * machine without disks is fine: the component is up with none. */
static int vblk_component_init(void)
{
	vblk_set_claim_check(claim_policy, NULL);
	(void)probe_all();
	diag_set_disk_source(vblk_diag_disks);
	return 0;
}

/* Probing cannot be undone (queues are live in the devices), so no restart. */
const struct component_desc component_virtio_blk = {
	.name = "virtio_blk",
	.init = vblk_component_init,
	.no_restart = true,
};
