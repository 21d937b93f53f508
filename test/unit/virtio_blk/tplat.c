/* Test platform: struct virtio_ops over the device model, single-threaded.
 * The lock is a depth counter that aborts on misuse (recursion, unlock without
 * lock, waiting in IRQ context); wait() lets the "device" run and delivers its
 * interrupt through vblk_irq, and advances the fake clock to the deadline when
 * nothing woke the waiter. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

/* Abort with a message: a broken contract is a test failure, not an error path. */
static void contract(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "platform contract violated: %s\n", what);
		abort();
	}
}

static uint32_t t_read32(void *ctx, uint32_t off)
{
	struct tplat *p = ctx;
	contract(off % 4u == 0 && off < 0x200u, "read32 offset");
	return vm_read(p->m, off);
}

static void t_write32(void *ctx, uint32_t off, uint32_t val)
{
	struct tplat *p = ctx;
	contract(off % 4u == 0 && off < 0x200u, "write32 offset");
	vm_write(p->m, off, val);
}

static void t_fence(void *ctx)
{
	struct tplat *p = ctx;
	p->barriers++;
	atomic_thread_fence(memory_order_seq_cst);
}

static int t_dma_alloc(void *ctx, size_t size, size_t align, void **va, uint64_t *pa)
{
	struct tplat *p = ctx;
	contract(!p->in_irq, "dma_alloc in IRQ context");
	contract(align && (align & (align - 1u)) == 0 && align <= 4096u, "dma_alloc align");
	size_t start = (p->arena_used + align - 1u) & ~(align - 1u);
	if (start > VM_ARENA_SIZE || size > VM_ARENA_SIZE - start)
		return CAIRN_ENOMEM;
	p->arena_used = start + size;
	*va = p->arena + start;
	*pa = p->arena_pa + start;
	return 0;
}

static int t_dma_addr(void *ctx, const void *va, size_t len, uint64_t *pa)
{
	struct tplat *p = ctx;
	(void)len;
	if (p->dma_addr_fail)
		return CAIRN_EFAULT;
	*pa = (uint64_t)(uintptr_t)va + VM_PHYS_OFFSET;
	return 0;
}

static uint64_t t_now(void *ctx)
{
	struct tplat *p = ctx;
	return p->now;
}

/* Polled spin: time passes, and a deferred device makes progress. */
static void t_relax(void *ctx)
{
	struct tplat *p = ctx;
	p->relaxes++;
	p->now += 10;
	if (p->m->mode == VM_DEFER)
		vm_complete_all(p->m, true);
}

static void t_lock(void *ctx)
{
	struct tplat *p = ctx;
	contract(p->lock_depth == 0, "lock taken recursively");
	p->lock_depth = 1;
}

static void t_unlock(void *ctx)
{
	struct tplat *p = ctx;
	contract(p->lock_depth == 1, "unlock without lock");
	p->lock_depth = 0;
}

/* Sleep: drop the lock, let the device run and interrupt, re-take the lock. */
static int t_wait(void *ctx, const void *chan, uint64_t deadline)
{
	struct tplat *p = ctx;
	unsigned wakes = p->wakes;
	(void)chan;
	contract(p->lock_depth == 1 && !p->in_irq, "wait without lock or in IRQ");
	p->waits++;
	p->lock_depth = 0;
	if (p->m->mode == VM_DEFER)
		vm_complete_all(p->m, true);
	if (p->irq_attached && p->m->int_status) {
		p->in_irq = true;
		vblk_irq(p->dev);
		p->in_irq = false;
	}
	p->lock_depth = 1;
	if (p->wakes != wakes)
		return 0;
	if (p->now < deadline)
		p->now = deadline;
	return CAIRN_ETIMEDOUT;
}

static void t_wake(void *ctx, const void *chan)
{
	struct tplat *p = ctx;
	(void)chan;
	contract(p->lock_depth == 1, "wake without lock");
	p->wakes++;
}

void tplat_audit(void *ctx, enum vblk_audit_kind kind, const char *op, const char *serial)
{
	struct tplat *p = ctx;
	contract(!p->in_irq, "audit in IRQ context");
	p->audits++;
	if (kind == VBLK_AUDIT_READ_ONLY)
		snprintf(p->last_audit, sizeof(p->last_audit),
			 "virtio-blk: %s refused: read-only serial=%s", op, serial);
	else
		snprintf(p->last_audit, sizeof(p->last_audit), "virtio-blk: %s refused serial=%s",
			 op, serial);
}

const struct virtio_ops tplat_ops = {
	.read32 = t_read32,
	.write32 = t_write32,
	.mb = t_fence,
	.wmb = t_fence,
	.rmb = t_fence,
	.dma_alloc = t_dma_alloc,
	.dma_addr = t_dma_addr,
	.now_us = t_now,
	.relax = t_relax,
	.lock = t_lock,
	.unlock = t_unlock,
	.wait = t_wait,
	.wake = t_wake,
};

/* Arena slots in use across live platforms. */
static bool arena_busy[VM_MAX_ARENAS];

/* tplat_init: platform over model m with its own DMA arena and fake clock. */
void tplat_init(struct tplat *p, struct vmodel *m)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
	p->now = 1000;
	p->arena_slot = -1;
	for (unsigned i = 0; i < VM_MAX_ARENAS && p->arena_slot < 0; i++)
		if (!arena_busy[i])
			p->arena_slot = (int)i;
	contract(p->arena_slot >= 0, "too many platforms");
	arena_busy[p->arena_slot] = true;
	p->arena = aligned_alloc(4096, VM_ARENA_SIZE);
	contract(p->arena != NULL, "arena allocation");
	memset(p->arena, 0, VM_ARENA_SIZE); /* dma_alloc promises zeroed memory */
	p->arena_pa = VM_ARENA_PA + (uint64_t)p->arena_slot * 0x1000000u;
	vm_arena_register(p->arena_slot, p->arena, p->arena_pa);
}

/* tplat_fini: release the arena. */
void tplat_fini(struct tplat *p)
{
	vm_arena_register(p->arena_slot, NULL, 0);
	arena_busy[p->arena_slot] = false;
	free(p->arena);
	p->arena = NULL;
}

/* th_init: model + platform; the registry is left alone so several fixtures can
 * coexist (th_fini forgets every device). */
void th_init(struct th *h, const struct vmodel_cfg *mc)
{
	vm_init(&h->m, mc);
	tplat_init(&h->p, &h->m);
	h->cfg = (struct vblk_config){
		.ops = &tplat_ops,
		.audit = tplat_audit,
		.ctx = &h->p,
		.mmio_base = 0x10001000u,
		.irq = 1,
		.timeout_us = 1000000u,
	};
	h->dev = NULL;
}

/* th_reuse: a fresh model and platform in a fixture that th_init set up, keeping
 * (and re-zeroing) its DMA arena: for fuzzing, where allocating 1 MiB per input
 * costs more than the run. Forgets every registered device. */
void th_reuse(struct th *h, const struct vmodel_cfg *mc)
{
	unsigned char *arena = h->p.arena;
	uint64_t arena_pa = h->p.arena_pa;
	int slot = h->p.arena_slot;
	memset(arena, 0, h->p.arena_used);
	vm_fini(&h->m);
	vblk_registry_reset();
	vm_init(&h->m, mc);
	memset(&h->p, 0, sizeof(h->p));
	h->p.m = &h->m;
	h->p.now = 1000;
	h->p.arena = arena;
	h->p.arena_pa = arena_pa;
	h->p.arena_slot = slot;
	struct vblk_config cfg = h->cfg;
	cfg.ctx = &h->p;
	cfg.polled = false;
	cfg.queue_size = 0;
	cfg.timeout_us = 1000000u;
	h->cfg = cfg;
	h->dev = NULL;
}

/* th_probe: probe the fixture's device; attach the "IRQ" unless polled. */
int th_probe(struct th *h)
{
	int err = vblk_probe(&h->cfg, &h->dev);
	if (!err) {
		h->p.dev = h->dev;
		h->p.irq_attached = !h->cfg.polled;
	}
	return err;
}

/* th_fini: tear the fixture down and forget every registered device. */
void th_fini(struct th *h)
{
	tplat_fini(&h->p);
	vm_fini(&h->m);
	vblk_registry_reset();
}
