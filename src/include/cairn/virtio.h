/* The virtio-mmio transport (virtio 1.x section 4.2; legacy version 1 in
 * 4.2.4): identification, the status handshake, feature negotiation, config
 * space, queue set-up in both register layouts, notification, interrupts, and
 * reset with a confirmed device status. One transport for every virtio driver
 * (virtio_blk, virtio_rng, ...): a driver keeps only its device-specific code.
 *
 * The transport is pure logic: it touches the device, barriers, DMA memory,
 * time, locking and sleeping only through struct virtio_ops, which the kernel
 * implements over MMIO (cairn/virtio_mmio.h) and host tests over a device
 * model. So it builds for the image and the host. Full contract and a driver
 * walk-through: docs/virtio.md. */
#ifndef CAIRN_VIRTIO_H
#define CAIRN_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"
#include "cairn/virtq.h"

/* virtio-mmio register offsets (virtio 1.x section 4.2.2, legacy 4.2.4). */
#define VMMIO_MAGIC 0x000u
#define VMMIO_VERSION 0x004u
#define VMMIO_DEVICE_ID 0x008u
#define VMMIO_VENDOR_ID 0x00cu
#define VMMIO_DEVICE_FEATURES 0x010u
#define VMMIO_DEVICE_FEATURES_SEL 0x014u
#define VMMIO_DRIVER_FEATURES 0x020u
#define VMMIO_DRIVER_FEATURES_SEL 0x024u
#define VMMIO_GUEST_PAGE_SIZE 0x028u /* legacy only */
#define VMMIO_QUEUE_SEL 0x030u
#define VMMIO_QUEUE_NUM_MAX 0x034u
#define VMMIO_QUEUE_NUM 0x038u
#define VMMIO_QUEUE_ALIGN 0x03cu /* legacy only */
#define VMMIO_QUEUE_PFN 0x040u	 /* legacy only */
#define VMMIO_QUEUE_READY 0x044u /* modern only */
#define VMMIO_QUEUE_NOTIFY 0x050u
#define VMMIO_INTERRUPT_STATUS 0x060u
#define VMMIO_INTERRUPT_ACK 0x064u
#define VMMIO_STATUS 0x070u
#define VMMIO_QUEUE_DESC_LOW 0x080u /* modern only, and the five below */
#define VMMIO_QUEUE_DESC_HIGH 0x084u
#define VMMIO_QUEUE_DRIVER_LOW 0x090u
#define VMMIO_QUEUE_DRIVER_HIGH 0x094u
#define VMMIO_QUEUE_DEVICE_LOW 0x0a0u
#define VMMIO_QUEUE_DEVICE_HIGH 0x0a4u
#define VMMIO_CONFIG_GENERATION 0x0fcu /* modern only */
#define VMMIO_CONFIG 0x100u
#define VMMIO_REG_SIZE 0x200u /* registers + the config space the drivers read */

#define VMMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VMMIO_INT_VRING 1u	      /* InterruptStatus: used ring updated */
#define VMMIO_INT_CONFIG 2u	      /* InterruptStatus: configuration changed */

/* Device status bits. */
#define VSTAT_ACKNOWLEDGE 1u
#define VSTAT_DRIVER 2u
#define VSTAT_DRIVER_OK 4u
#define VSTAT_FEATURES_OK 8u
#define VSTAT_NEEDS_RESET 64u
#define VSTAT_FAILED 128u

#define VIRTIO_F_VERSION_1 32u
#define VIRTIO_FEATURE(b) (UINT64_C(1) << (b))
#define VIRTIO_RESET_SPINS 1000u /* Status reads waiting for a reset to complete */

/* Platform operations, one set per device (ctx identifies the device's glue: its
 * MMIO window, its lock, its wait channels). "IRQ-safe" ops may be called from
 * an interrupt handler with the device lock held. */
struct virtio_ops {
	/* MMIO: 32-bit register access at byte offset off (4-aligned, below
	 * VMMIO_REG_SIZE) from the device's base. A single volatile 32-bit access;
	 * no ordering against normal memory is implied. IRQ-safe. */
	uint32_t (*read32)(void *ctx, uint32_t off);
	void (*write32)(void *ctx, uint32_t off, uint32_t val);
	/* Barriers, all also compiler barriers. IRQ-safe.
	 * mb:  all prior memory and I/O accesses before all later ones (fence iorw,iorw).
	 * wmb: prior memory stores before later memory stores (fence w,w).
	 * rmb: prior memory loads before later memory loads (fence r,r). */
	void (*mb)(void *ctx);
	void (*wmb)(void *ctx);
	void (*rmb)(void *ctx);
	/* DMA: physically contiguous, zeroed memory of size bytes aligned (virtual
	 * and physical) to align (a power of two, at most 4096); *va and *pa receive
	 * the addresses. 0 or CAIRN_ENOMEM. Thread context only. Never freed: the
	 * device may hold the address until a confirmed reset. */
	int (*dma_alloc)(void *ctx, size_t size, size_t align, void **va, uint64_t *pa);
	/* DMA address of a caller buffer [va, va+len): 0 and *pa when the range is
	 * physically contiguous and device-reachable, else CAIRN_EFAULT. */
	int (*dma_addr)(void *ctx, const void *va, size_t len, uint64_t *pa);
	/* Monotonic clock in microseconds. IRQ-safe. */
	uint64_t (*now_us)(void *ctx);
	/* Optional: called in each polled-mode spin iteration (cpu pause hint). */
	void (*relax)(void *ctx);
	/* Device lock: a spinlock that also masks interrupts on the local hart (the
	 * IRQ path takes it). Not recursive. Protects the queues and requests. */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
	/* Condition wait, called with the lock HELD: atomically release it, sleep
	 * until wake(ctx, chan) or now_us() >= deadline_us, re-acquire it. 0 (woken;
	 * spurious wake-ups allowed, callers re-check) or CAIRN_ETIMEDOUT. Thread
	 * context only; never called in polled mode. */
	int (*wait)(void *ctx, const void *chan, uint64_t deadline_us);
	/* Wake every waiter sleeping on chan. Lock held, possibly in IRQ context. */
	void (*wake)(void *ctx, const void *chan);
};

/* One virtio-mmio device as the transport sees it. A driver embeds it. */
struct virtio_dev {
	/* Immutable after virtio_init / virtio_identify: */
	const struct virtio_ops *ops;
	void *ctx;
	uint64_t mmio_base; /* for messages only */
	uint32_t irq;	    /* for messages only */
	uint32_t version;   /* 1 legacy, 2 modern */
	uint32_t device_id;
	uint64_t features;   /* negotiated (virtio_negotiate) */
	uint32_t timeout_us; /* per request, the driver's choice */
	/* Protected by the device lock once the device is live: */
	uint32_t status; /* last value written to Status */
	bool failed;	 /* given up: every request fails fast (read lock-free, relaxed) */
	/* quarantined: a reset was not confirmed (Status never read back 0), so the
	 * device may still read or write every buffer it was ever given: none of
	 * its DMA memory, request buffers or pool entry may be reused. Sticky. */
	bool quarantined;
};

/* virtio_init: fill d for the device at mmio_base (nothing is read or written);
 * CAIRN_EINVAL when an op the transport needs is missing. */
int virtio_init(struct virtio_dev *d, const struct virtio_ops *ops, void *ctx, uint64_t mmio_base,
		uint32_t irq);

/* virtio_rd / virtio_wr: 32-bit register access through the ops. */
uint32_t virtio_rd(const struct virtio_dev *d, uint32_t off);
void virtio_wr(const struct virtio_dev *d, uint32_t off, uint32_t val);

/* virtio_identify: check magic, version and device id without writing anything.
 * CAIRN_ENODEV for not virtio, an empty slot (id 0) or another device type;
 * CAIRN_ENOTSUP for an unknown transport version. */
int virtio_identify(struct virtio_dev *d, uint32_t device_id);

/* virtio_reset: write 0 to Status and wait, bounded (VIRTIO_RESET_SPINS reads),
 * for it to read back 0. 0 when confirmed: the device no longer touches any
 * ring or buffer. CAIRN_ETIMEDOUT when not: d->quarantined is set for good. */
int virtio_reset(struct virtio_dev *d);

/* virtio_set_status: add bits to the device status (never cleared piecemeal). */
void virtio_set_status(struct virtio_dev *d, uint32_t bits);

/* virtio_begin: the start of the handshake: confirmed reset, ACKNOWLEDGE,
 * DRIVER. virtio_reset's error (then the device is quarantined) or 0. */
int virtio_begin(struct virtio_dev *d);

/* virtio_negotiate: accept the offered subset of `wanted` (plus VERSION_1, which
 * a modern device must offer: CAIRN_ENOTSUP otherwise), write it, and on modern
 * set FEATURES_OK and confirm it stuck (CAIRN_ENOTSUP when the device refused).
 * Legacy also gets its GuestPageSize here, before any queue register. The result
 * is in d->features. */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);

/* virtio_has: whether feature bit `bit` was negotiated. */
bool virtio_has(const struct virtio_dev *d, unsigned bit);

/* virtio_config32: a 32-bit config field at byte offset off of the config space. */
uint32_t virtio_config32(const struct virtio_dev *d, uint32_t off);

/* virtio_config64: a 64-bit config field read consistently: modern retries while
 * ConfigGeneration changes, legacy (no generation) while the high word changes.
 * 0 and *out, or CAIRN_EIO when it keeps changing (16 attempts). */
int virtio_config64(const struct virtio_dev *d, uint32_t off, uint64_t *out);

/* virtio_queue_setup: size, allocate and announce queue `index`. The size is the
 * largest power of two <= min(want, QueueNumMax, VIRTQ_SIZE_MAX); CAIRN_ENOTSUP
 * when that is below min_num or a legacy queue's page frame does not fit the
 * register; CAIRN_EBUSY when the queue is already live; dma_alloc's error. */
int virtio_queue_setup(struct virtio_dev *d, uint16_t index, uint16_t want, uint16_t min_num,
		       struct virtq *vq);

/* virtio_driver_ok: finish the handshake (DRIVER_OK): the device may now use
 * its queues. */
void virtio_driver_ok(struct virtio_dev *d);

/* virtio_notify: tell the device that queue vq has new buffers: mb (the avail
 * index store before the doorbell), then QueueNotify. Lock held. */
void virtio_notify(struct virtio_dev *d, const struct virtq *vq);

/* virtio_kick: notify only when the device asked for it (virtq_kick_needed:
 * with EVENT_IDX the device's avail_event, else always). Call once after one or
 * more virtq_publish. Returns whether QueueNotify was written. Lock held. */
bool virtio_kick(struct virtio_dev *d, struct virtq *vq);

/* virtio_irq_ack: read InterruptStatus, acknowledge it, mb (ack before looking
 * at the rings, so a later completion raises a new interrupt). Returns the
 * status bits (0: not this device's interrupt). Lock held, IRQ-safe. */
uint32_t virtio_irq_ack(struct virtio_dev *d);

/* virtio_fail: give up on the device: reset it (bounded), set FAILED, mark it
 * failed. Returns virtio_reset's result: CAIRN_ETIMEDOUT means the reset was not
 * confirmed and the device is quarantined (its buffers must never be reused).
 * Idempotent. Lock held (or before the device is live); may run in IRQ context. */
int virtio_fail(struct virtio_dev *d);

/* virtio_request: for drivers with one request in flight per queue (virtio_rng):
 * hand the chain bufs[0..n) to vq, then wait until the device returns it: in
 * polled mode by spinning on the used ring, else by ops->wait on channel vq (the
 * driver's interrupt handler calls virtio_irq_ack and ops->wake(ctx, vq)). The
 * deadline is now + d->timeout_us; on expiry the device is failed
 * (virtio_fail). Takes the device lock. 0 and *used_len (bytes the device says
 * it wrote: the driver checks it); CAIRN_ESHUTDOWN (failed earlier),
 * CAIRN_ETIMEDOUT, CAIRN_EAGAIN (no free descriptors), CAIRN_EIO (the device
 * returned a chain it was not given: it is failed). */
int virtio_request(struct virtio_dev *d, struct virtq *vq, const struct vq_buf *bufs, unsigned n,
		   bool polled, uint32_t *used_len);

#endif
