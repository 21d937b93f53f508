/* The kernel's virtio_ops (cairn/virtio_mmio.h): MMIO with bounds checks, fences,
 * DMA from the page allocator (identity-mapped), the clock, spinlocks and wait
 * queues. Shared by every virtio driver in the image. */
#include "cairn/virtio_mmio.h"

#include "cairn/boot.h"
#include "cairn/err.h"
#include "cairn/page.h"
#include "cairn/panic.h"
#include "cairn/sched.h"
#include "cairn/timer.h"

/* reg: the register at off, after checking it lies inside the slot's window. */
static volatile uint32_t *reg(const struct virtio_mmio *m, uint32_t off)
{
	if (off % 4u != 0 || off > m->size - 4u)
		panic("virtio-mmio@0x%lx: register offset 0x%x outside reg size 0x%x",
		      (unsigned long)m->base, off, m->size);
	return (volatile uint32_t *)(m->base + off);
}

static uint32_t m_read32(void *ctx, uint32_t off) { return *reg(ctx, off); }

static void m_write32(void *ctx, uint32_t off, uint32_t val) { *reg(ctx, off) = val; }

/* Fences: mb orders memory and device I/O (descriptor stores before the notify
 * register write); wmb/rmb order normal memory only. */
static void m_mb(void *ctx)
{
	(void)ctx;
	__asm__ volatile("fence iorw, iorw" ::: "memory");
}
static void m_wmb(void *ctx)
{
	(void)ctx;
	__asm__ volatile("fence w, w" ::: "memory");
}
static void m_rmb(void *ctx)
{
	(void)ctx;
	__asm__ volatile("fence r, r" ::: "memory");
}

/* m_dma_alloc: zeroed whole pages (page aligned), never freed. */
static int m_dma_alloc(void *ctx, size_t size, size_t align, void **va, uint64_t *pa)
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

/* m_dma_addr: memory is identity-mapped; any buffer inside RAM is reachable. */
static int m_dma_addr(void *ctx, const void *va, size_t len, uint64_t *pa)
{
	(void)ctx;
	uintptr_t a = (uintptr_t)va;
	for (unsigned i = 0; i < platform.nmem; i++) {
		const struct dt_region *r = &platform.mem[i];
		if (a >= r->base && len <= r->size && a - r->base <= r->size - len) {
			*pa = a;
			return 0;
		}
	}
	return CAIRN_EFAULT;
}

static uint64_t m_now_us(void *ctx)
{
	(void)ctx;
	return time_us();
}
static void m_relax(void *ctx)
{
	(void)ctx;
	cpu_relax();
}
static void m_lock(void *ctx) { spin_lock(&((struct virtio_mmio *)ctx)->lock); }
static void m_unlock(void *ctx) { spin_unlock(&((struct virtio_mmio *)ctx)->lock); }

/* bucket: the wait queue of channel chan (waiters re-check their own
 * condition, so sharing a bucket costs a spurious wake-up, never a lost one). */
static struct waitq *bucket(struct virtio_mmio *m, const void *chan)
{
	uintptr_t h = (uintptr_t)chan;
	h ^= h >> 7;
	return &m->wq[(h >> 3) % VIRTIO_MMIO_WAIT_BUCKETS];
}

static int m_wait(void *ctx, const void *chan, uint64_t deadline_us)
{
	struct virtio_mmio *m = ctx;
	uint64_t now = time_us();
	if (now >= deadline_us)
		return CAIRN_ETIMEDOUT;
	return waitq_wait(bucket(m, chan), &m->lock, deadline_us - now);
}

static void m_wake(void *ctx, const void *chan) { (void)waitq_wake_all(bucket(ctx, chan)); }

const struct virtio_ops virtio_mmio_ops = {
	.read32 = m_read32,
	.write32 = m_write32,
	.mb = m_mb,
	.wmb = m_wmb,
	.rmb = m_rmb,
	.dma_alloc = m_dma_alloc,
	.dma_addr = m_dma_addr,
	.now_us = m_now_us,
	.relax = m_relax,
	.lock = m_lock,
	.unlock = m_unlock,
	.wait = m_wait,
	.wake = m_wake,
};

unsigned virtio_mmio_slots(void) { return platform.nvirtio; }

void virtio_mmio_init(struct virtio_mmio *m, unsigned i, const char *name)
{
	if (i >= platform.nvirtio)
		panic("virtio_mmio_init: no slot %u", i);
	const struct dt_virtio *v = &platform.virtio[i];
	m->base = v->base;
	/* dt_parse guarantees VMMIO_REG_SIZE <= size; more is never touched. */
	m->size = v->size > UINT32_MAX ? UINT32_MAX : (uint32_t)v->size;
	m->irq = v->irq;
	spin_init(&m->lock, name);
	for (unsigned b = 0; b < VIRTIO_MMIO_WAIT_BUCKETS; b++)
		waitq_init(&m->wq[b]);
}
