/* Split virtqueue (cairn/virtq.h): layout, free-descriptor list, publishing
 * chains, reaping the used ring. Callers hold the device lock; nothing here
 * sleeps or touches registers. Ordering rules: cairn/virtq.h. */
#include "cairn/virtq.h"

#include "cairn/virtio.h"

/* Volatile accessors for ring fields the device reads or writes concurrently. */
static uint16_t ld16(const uint16_t *p) { return *(const volatile uint16_t *)p; }

static uint32_t ld32(const uint32_t *p) { return *(const volatile uint32_t *)p; }

static void st16(uint16_t *p, uint16_t v) { *(volatile uint16_t *)p = v; }

/* Round x up to a multiple of align (a power of two). */
static size_t align_up(size_t x, size_t align) { return (x + align - 1u) & ~(align - 1u); }

/* virtq_layout: bytes needed for a queue of num descriptors in the legacy layout
 * (descriptors, avail ring right after, used ring at the next align boundary); the
 * same layout satisfies the modern alignment rules (16/2/4). */
size_t virtq_layout(uint16_t num, size_t align, size_t *avail_off, size_t *used_off)
{
	size_t desc_bytes = sizeof(struct vq_desc) * num;
	size_t avail_bytes = sizeof(uint16_t) * (3u + (size_t)num);
	size_t used_bytes = sizeof(uint16_t) * 3u + sizeof(struct vq_used_elem) * num;

	*avail_off = desc_bytes;
	*used_off = align_up(desc_bytes + avail_bytes, align);
	return align_up(*used_off + used_bytes, align);
}

/* virtq_init: lay the queue out in zeroed memory mem (physical pa) and thread every
 * descriptor onto the free list. */
void virtq_init(struct virtq *vq, uint16_t num, void *mem, uint64_t pa, size_t align)
{
	size_t avail_off, used_off;
	unsigned char *base = mem;

	(void)virtq_layout(num, align, &avail_off, &used_off);
	vq->num = num;
	vq->desc = (struct vq_desc *)(void *)base;
	vq->avail = (struct vq_avail *)(void *)(base + avail_off);
	vq->used = (struct vq_used *)(void *)(base + used_off);
	vq->desc_pa = pa;
	vq->avail_pa = pa + avail_off;
	vq->used_pa = pa + used_off;
	for (uint16_t i = 0; i < num; i++)
		vq->desc[i].next = (uint16_t)(i + 1u < num ? i + 1u : 0u);
	vq->free_head = 0;
	vq->num_free = num;
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->event_idx = false;
	vq->no_intr = false;
	vq->kick_idx = 0;
}

/* virtq_add_chain: take n descriptors from the free list and fill them with bufs,
 * linked by NEXT. Returns the head index, or -1 when fewer than n are free (the
 * list is left untouched). Not yet visible to the device: see virtq_publish. */
int virtq_add_chain(struct virtq *vq, const struct vq_buf *bufs, unsigned n)
{
	if (n == 0 || n > vq->num_free)
		return -1;
	uint16_t head = vq->free_head;
	uint16_t i = head;
	for (unsigned k = 0; k < n; k++) {
		struct vq_desc *d = &vq->desc[i];
		uint16_t next = d->next;
		d->addr = bufs[k].pa;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((bufs[k].device_writes ? VQ_DESC_F_WRITE : 0u) |
				      (k + 1u < n ? VQ_DESC_F_NEXT : 0u));
		if (k + 1u < n)
			i = next;
		else
			vq->free_head = next;
	}
	vq->num_free = (uint16_t)(vq->num_free - n);
	return head;
}

/* virtq_free_chain: return the chain starting at head to the free list. Returns the
 * number of descriptors freed (0 if head is out of range or the chain is longer
 * than the queue, i.e. corrupt). */
unsigned virtq_free_chain(struct virtq *vq, uint16_t head)
{
	unsigned n = 1;
	uint16_t tail = head;

	if (head >= vq->num)
		return 0;
	while (vq->desc[tail].flags & VQ_DESC_F_NEXT) {
		tail = vq->desc[tail].next;
		if (tail >= vq->num || ++n > vq->num)
			return 0;
	}
	vq->desc[tail].flags = 0;
	vq->desc[tail].next = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + n);
	return n;
}

/* virtq_publish: make the chain at head available: ring entry, wmb, then the index
 * store the device polls. avail_idx is free-running; the slot is idx mod num. */
void virtq_publish(struct virtq *vq, uint16_t head, const struct virtio_ops *ops, void *ctx)
{
	uint16_t slot = (uint16_t)(vq->avail_idx & (vq->num - 1u));

	st16(&vq->avail->ring[slot], head);
	/* The device must see the descriptors and ring entry before the new index. */
	ops->wmb(ctx);
	vq->avail_idx = (uint16_t)(vq->avail_idx + 1u);
	st16(&vq->avail->idx, vq->avail_idx);
}

/* virtq_pop_used: consume one used-ring entry if the device has produced one.
 * Returns false when used->idx equals our position (nothing new). */
bool virtq_pop_used(struct virtq *vq, const struct virtio_ops *ops, void *ctx, uint32_t *id,
		    uint32_t *len)
{
	uint16_t dev_idx = ld16(&vq->used->idx);

	if (dev_idx == vq->last_used)
		return false;
	/* The entry's contents must be read after the index that published it. */
	ops->rmb(ctx);
	const struct vq_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1u)];
	*id = ld32(&e->id);
	*len = ld32(&e->len);
	vq->last_used = (uint16_t)(vq->last_used + 1u);
	return true;
}

/* The driver-written used_event word after the avail ring, and the device-written
 * avail_event word after the used ring (EVENT_IDX). */
static uint16_t *used_event(struct virtq *vq) { return &vq->avail->ring[vq->num]; }

static const uint16_t *avail_event(const struct virtq *vq)
{
	return (const uint16_t *)(const void *)&vq->used->ring[vq->num];
}

/* The used_event value for the current mode: the next completion interrupts, or
 * (no_intr) one parked just behind it, which only a full 16-bit lap reaches. */
static uint16_t used_event_value(const struct virtq *vq)
{
	return vq->no_intr ? (uint16_t)(vq->last_used - 1u) : vq->last_used;
}

/* virtq_set_no_interrupt: polled-mode hint (flags without EVENT_IDX, used_event with). */
void virtq_set_no_interrupt(struct virtq *vq, bool off)
{
	vq->no_intr = off;
	if (vq->event_idx) {
		st16(&vq->avail->flags, 0); /* must be 0 with EVENT_IDX (2.7.10) */
		st16(used_event(vq), used_event_value(vq));
		return;
	}
	st16(&vq->avail->flags, off ? (uint16_t)VQ_AVAIL_F_NO_INTERRUPT : (uint16_t)0);
}

/* virtq_need_event: event in [old, new) modulo 2^16, written as one unsigned
 * comparison of distances from new so it holds across the wrap. */
bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old_idx);
}

/* virtq_kick_needed: full barrier, then the EVENT_IDX test against the index at
 * the previous decision (so several publishes share one test and one doorbell). */
bool virtq_kick_needed(struct virtq *vq, const struct virtio_ops *ops, void *ctx)
{
	uint16_t old = vq->kick_idx;

	vq->kick_idx = vq->avail_idx;
	/* avail->idx must be visible before avail_event is read (and, when we do
	 * notify, before the doorbell): a store-load ordering, so a full fence. */
	ops->mb(ctx);
	if (!vq->event_idx)
		return true;
	return virtq_need_event(ld16(avail_event(vq)), vq->avail_idx, old);
}

/* virtq_rearm: publish used_event, full barrier, look at used->idx again. */
bool virtq_rearm(struct virtq *vq, const struct virtio_ops *ops, void *ctx)
{
	if (!vq->event_idx)
		return false;
	st16(used_event(vq), used_event_value(vq));
	/* used_event must be visible before used->idx is re-read: otherwise a
	 * completion posted in between is neither seen nor interrupted for. */
	ops->mb(ctx);
	return ld16(&vq->used->idx) != vq->last_used;
}
