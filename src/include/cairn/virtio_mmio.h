/* The kernel's side of the virtio-mmio transport: struct virtio_ops over real
 * MMIO (bounds-checked against the slot's devicetree reg size in every build),
 * fences, the page allocator, the clock, a per-device spinlock and hashed wait
 * queues. A virtio driver in the image fills one struct virtio_mmio per slot
 * it drives and passes &virtio_mmio_ops and it to the transport (cairn/virtio.h).
 * docs/virtio.md walks through a driver. */
#ifndef CAIRN_VIRTIO_MMIO_H
#define CAIRN_VIRTIO_MMIO_H

#include <stdint.h>

#include "cairn/dt.h"
#include "cairn/sched.h"
#include "cairn/spinlock.h"
#include "cairn/virtio.h"

#define VIRTIO_MMIO_WAIT_BUCKETS 16

struct virtio_mmio {
	uintptr_t base; /* immutable after virtio_mmio_init */
	uint32_t size;	/* reg size from the DTB (at least VMMIO_REG_SIZE) */
	uint32_t irq;
	/* lock: the driver's device lock (it guards the queues); a spinlock, so it
	 * also masks interrupts on this hart. */
	struct spinlock lock;
	/* Completion waiters, hashed by the channel a driver waits on, so a
	 * completion wakes its own waiter and not every thread with a request in
	 * flight. Protected by sched_lock. */
	struct waitq wq[VIRTIO_MMIO_WAIT_BUCKETS];
};

/* The kernel's virtio_ops; ctx is a struct virtio_mmio. read32/write32 panic on
 * an offset outside the slot's reg (a driver bug, never device input). */
extern const struct virtio_ops virtio_mmio_ops;

/* virtio_mmio_slots: how many virtio-mmio slots the DTB lists (address order). */
unsigned virtio_mmio_slots(void);

/* virtio_mmio_init: set m up for slot i (0 <= i < virtio_mmio_slots()), lock
 * named name. The DTB parser already refused slots smaller than VMMIO_REG_SIZE. */
void virtio_mmio_init(struct virtio_mmio *m, unsigned i, const char *name);

#endif
