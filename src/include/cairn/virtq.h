/* Split virtqueue (virtio 1.x section 2.6): layout, free-descriptor list,
 * publishing chains, reaping the used ring. Pure logic over memory the
 * transport allocates (cairn/virtio.h); callers hold the device's lock, and
 * nothing here sleeps or touches registers. Builds for the image and the host.
 *
 * Ordering (virtio 1.x 2.6.13 / 2.6.14):
 *   publish: write descriptors and avail->ring[] entry; wmb; store avail->idx.
 *            (the caller then does mb before the QueueNotify register write.)
 *   reap:    load used->idx; rmb; read used->ring[] entries.
 *
 * With VIRTIO_RING_F_EVENT_IDX (virtio 1.x 2.7.10 / 2.7.7.2, bit 29) the two
 * spare ring words suppress work: the device writes avail_event ("notify me once
 * avail->idx passes this") and the driver writes used_event ("interrupt me once
 * used->idx passes this"). Both sides need a full barrier between their own
 * index store and reading the other side's event word:
 *   kick:    store avail->idx; mb; load avail_event; QueueNotify only when the
 *            new index crossed it since the last kick (virtq_kick_needed).
 *   re-arm:  store used_event; mb; load used->idx again (virtq_rearm): a
 *            completion posted before the store is seen here, one after it
 *            raises an interrupt. */
#ifndef CAIRN_VIRTQ_H
#define CAIRN_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ring fields are little-endian (modern) or guest-native (legacy); both targets
 * (rv64 and the x86-64/arm64 test hosts) are little-endian, so they are stored
 * natively and the code refuses to build elsewhere. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the virtio transport assumes a little-endian CPU"
#endif

#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u
#define VQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTIO_RING_F_EVENT_IDX 29u /* used_event / avail_event (2.7.10) */
#define VIRTQ_PAGE_SIZE 4096u	    /* GuestPageSize and QueueAlign for legacy */
#define VIRTQ_SIZE_MAX 256u	    /* descriptors a queue may have (driver bookkeeping) */

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* num entries, then used_event (EVENT_IDX only) */
};

struct vq_used_elem {
	uint32_t id;  /* head descriptor of the completed chain */
	uint32_t len; /* bytes written into device-writable buffers (not trusted) */
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[]; /* num entries, then avail_event (EVENT_IDX only) */
};

/* One buffer of a descriptor chain. */
struct vq_buf {
	uint64_t pa;	    /* device (physical) address */
	uint32_t len;	    /* bytes */
	bool device_writes; /* device-writable (VQ_DESC_F_WRITE) */
};

/* Driver view of one split virtqueue. All fields: protected by the device's
 * lock (except during virtq_init, before the device is live). */
struct virtq {
	uint16_t num;	/* descriptors, power of two */
	uint16_t index; /* the queue's number on its device (QueueSel) */
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
	uint64_t desc_pa, avail_pa, used_pa;
	uint16_t free_head; /* first free descriptor, chained through desc[].next */
	uint16_t num_free;
	uint16_t avail_idx; /* driver's copy of avail->idx (free-running, wraps at 2^16) */
	uint16_t last_used; /* next used->idx position to consume */
	bool event_idx;	    /* VIRTIO_RING_F_EVENT_IDX negotiated (set before DRIVER_OK) */
	bool no_intr;	    /* interrupts not wanted (polled): the hint in flags or used_event */
	uint16_t kick_idx;  /* avail_idx at the last kick decision (virtq_kick_needed) */
};

/* virtq_layout: bytes needed for a queue of num descriptors in the legacy layout
 * (descriptors, avail ring right after, used ring at the next align boundary);
 * the same layout satisfies the modern alignment rules (16/2/4). *avail_off and
 * *used_off receive the ring offsets. */
size_t virtq_layout(uint16_t num, size_t align, size_t *avail_off, size_t *used_off);

/* virtq_init: lay the queue out in zeroed memory mem (device address pa) and
 * thread every descriptor onto the free list. */
void virtq_init(struct virtq *vq, uint16_t num, void *mem, uint64_t pa, size_t align);

/* virtq_add_chain: take n descriptors from the free list and fill them with
 * bufs, linked by NEXT. Returns the head index, or -1 when fewer than n are free
 * (the list is left untouched). Not yet visible to the device: virtq_publish. */
int virtq_add_chain(struct virtq *vq, const struct vq_buf *bufs, unsigned n);

/* virtq_free_chain: return the chain starting at head to the free list. Returns
 * the number of descriptors freed (0 if head is out of range or the chain is
 * longer than the queue, i.e. corrupt). */
unsigned virtq_free_chain(struct virtq *vq, uint16_t head);

struct virtio_ops;
/* virtq_publish: make the chain at head available: ring entry, wmb (through
 * ops), then the index store the device polls. */
void virtq_publish(struct virtq *vq, uint16_t head, const struct virtio_ops *ops, void *ctx);

/* virtq_pop_used: consume one used-ring entry if the device has produced one:
 * true and *id, *len; false when there is nothing new. */
bool virtq_pop_used(struct virtq *vq, const struct virtio_ops *ops, void *ctx, uint32_t *id,
		    uint32_t *len);

/* virtq_set_no_interrupt: ask the device not to interrupt (polled mode); a hint.
 * Without EVENT_IDX it is avail->flags' NO_INTERRUPT; with it flags stay 0 (the
 * spec requires it) and used_event is parked behind last_used, so the device's
 * next interrupt is due only 65,535 completions later (virtq_rearm keeps it
 * there). Lock held. */
void virtq_set_no_interrupt(struct virtq *vq, bool off);

/* virtq_kick_needed: after one or more virtq_publish, whether the device must be
 * notified: mb (avail->idx before avail_event), then with EVENT_IDX whether the
 * index moved past avail_event since the last decision; without EVENT_IDX always
 * true. Records the decision point. The caller writes QueueNotify when true. */
bool virtq_kick_needed(struct virtq *vq, const struct virtio_ops *ops, void *ctx);

/* virtq_rearm: after reaping, with EVENT_IDX: store used_event (last_used, or
 * parked when no_intr), mb, and return whether used->idx moved meanwhile (the
 * caller reaps again). Without EVENT_IDX: false, nothing written. */
bool virtq_rearm(struct virtq *vq, const struct virtio_ops *ops, void *ctx);

/* virtq_need_event: the ring's event test (2.7.10): true when an index moving
 * from old to new (mod 2^16) passed event, i.e. event is in [old, new). */
bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx);

#endif
