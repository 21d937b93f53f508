/* virtio-blk driver: virtio-mmio transport (legacy version 1 and modern version 2),
 * one split virtqueue, exposed as a struct blkdev per disk and claimed by serial.
 *
 * The driver is pure logic: it touches the device, memory barriers, DMA memory,
 * time, locking and sleeping only through struct vblk_platform_ops, which the kernel
 * implements (and the host tests implement with a device model). The full contract
 * is in docs/virtio-blk.md; the short form is next to each op below.
 *
 * Units: the vblk_read/vblk_write API takes 512-byte virtio sectors and byte
 * lengths; both must be aligned to the disk's logical block size (info.sector_size).
 * The struct blkdev view uses logical blocks. */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blkdev.h"
#include "cairn/err.h"

#define VBLK_MAX_DEVICES 8u               /* QEMU virt has 8 virtio-mmio slots */
#define VBLK_SECTOR_SIZE 512u             /* virtio protocol unit, always */
#define VBLK_MAX_TRANSFER (128u * 1024u)  /* bytes per device request; larger I/O is split */
#define VBLK_DEFAULT_TIMEOUT_US 10000000u /* per device request, 10 s */
#define VBLK_DEFAULT_QUEUE_SIZE 128u      /* descriptors; 3 per request -> 42 in flight */
#define VBLK_DESCRIBE_MAX 160u            /* enough for the longest vblk_describe line */

struct vblk_dev; /* opaque; storage is a static pool of VBLK_MAX_DEVICES entries */

/* Platform operations, one set per device (ctx identifies the device's glue: its
 * MMIO base, its lock, its wait channels). "IRQ-safe" ops may be called from
 * vblk_irq(), i.e. in interrupt context with the device lock held. */
enum vblk_audit_kind {
	VBLK_AUDIT_READ_ONLY = 1, /* a write or flush refused: the disk or claim is read-only */
	VBLK_AUDIT_CLAIM = 2,     /* the claim policy denied a claim */
};

struct vblk_platform_ops {
	/* MMIO: 32-bit device register access at byte offset off (4-aligned, < 0x200)
	 * from the device's base. Must be a single 32-bit access (volatile). No ordering
	 * against normal memory is implied; the driver calls mb/wmb/rmb. IRQ-safe. */
	uint32_t (*read32)(void *ctx, uint32_t off);
	void (*write32)(void *ctx, uint32_t off, uint32_t val);
	/* Barriers, all also compiler barriers. IRQ-safe.
	 * mb:  all prior memory and I/O accesses before all later ones (fence iorw,iorw).
	 * wmb: prior memory stores before later memory stores (fence w,w).
	 * rmb: prior memory loads before later memory loads (fence r,r). */
	void (*mb)(void *ctx);
	void (*wmb)(void *ctx);
	void (*rmb)(void *ctx);
	/* DMA: physically contiguous, zeroed memory of size bytes aligned (virtual and
	 * physical) to align (a power of two, at most 4096); *va and *pa receive the
	 * addresses. 0 or CAIRN_ENOMEM. Thread context only (probe). Never freed: the
	 * device may hold the address until reset. */
	int (*dma_alloc)(void *ctx, size_t size, size_t align, void **va, uint64_t *pa);
	/* DMA address of a caller buffer [va, va+len): 0 and *pa when the range is
	 * physically contiguous and device-reachable, else CAIRN_EFAULT (the request
	 * then fails with CAIRN_EFAULT and nothing is sent). IRQ-safe not required. */
	int (*dma_addr)(void *ctx, const void *va, size_t len, uint64_t *pa);
	/* Monotonic clock in microseconds. IRQ-safe. */
	uint64_t (*now_us)(void *ctx);
	/* Optional: called in each polled-mode spin iteration (cpu pause hint). */
	void (*relax)(void *ctx);
	/* Device lock: a spinlock that also masks interrupts on the local hart (the IRQ
	 * path takes it). Not recursive. Protects the queue and request slots. */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
	/* Condition wait, called with the lock HELD: atomically release the lock and
	 * sleep until wake(ctx, chan) or now_us() >= deadline_us, then re-acquire the
	 * lock. Returns 0 (woken; spurious wake-ups allowed, the driver re-checks) or
	 * CAIRN_ETIMEDOUT. Thread context only; never called in polled mode. */
	int (*wait)(void *ctx, const void *chan, uint64_t deadline_us);
	/* Wake every waiter sleeping on chan. Called with the lock held, possibly from
	 * vblk_irq() (IRQ-safe, must not sleep). */
	void (*wake)(void *ctx, const void *chan);
	/* Optional audit record for a refused operation: kind says which; op is
	 * "write", "flush" or "claim"; serial the disk's. Thread context. */
	void (*audit)(void *ctx, enum vblk_audit_kind kind, const char *op, const char *serial);
};

/* Probe configuration. Every field documents its default. */
struct vblk_config {
	const struct vblk_platform_ops *ops; /* required, see above */
	void *ctx;                           /* passed to every op */
	uint64_t mmio_base;                  /* physical base, for vblk_describe only */
	uint32_t irq;                        /* IRQ number, for vblk_describe only */
	bool polled;        /* true: never wait for interrupts (early boot, panic) */
	uint32_t timeout_us; /* per device request; 0 = VBLK_DEFAULT_TIMEOUT_US */
	uint16_t queue_size; /* descriptors, 0 = VBLK_DEFAULT_QUEUE_SIZE; clamped to the
	                      * device's QueueNumMax and rounded down to a power of two */
};

/* vblk_probe: bring up the virtio-mmio device described by cfg and register it.
 * Its own GET_ID request is always polled, so the IRQ may be attached afterwards.
 * 0 and *out on success; CAIRN_ENODEV when the slot is empty (device id 0), not
 * virtio (bad magic) or not a block device (quiet: nothing written to the device);
 * CAIRN_ENOTSUP for an unknown version, refused features or bad config;
 * CAIRN_ENOMEM, CAIRN_EBUSY (queue already live, or pool full), CAIRN_ETIMEDOUT,
 * CAIRN_EINVAL (bad cfg). On any error after the device was identified as a block
 * device, its status is set to FAILED. */
int vblk_probe(const struct vblk_config *cfg, struct vblk_dev **out);

/* vblk_irq: interrupt handler body; acknowledge, reap completions, wake waiters.
 * Returns 1 if the device had an interrupt pending, 0 otherwise (shared lines). */
int vblk_irq(struct vblk_dev *dev);

/* vblk_set_polled: switch between interrupt-driven and polled completion. */
void vblk_set_polled(struct vblk_dev *dev, bool polled);

/* vblk_read/vblk_write: transfer len bytes at 512-byte sector `sector`. sector and
 * len must be multiples of the logical block (CAIRN_EINVAL, device untouched); the
 * range must lie inside the disk (CAIRN_ERANGE). Errors: CAIRN_EIO (device IOERR),
 * CAIRN_ENOTSUP (device UNSUPP), CAIRN_ETIMEDOUT (device now failed),
 * CAIRN_ESHUTDOWN (device failed earlier), CAIRN_EROFS (write on read-only),
 * CAIRN_EFAULT (buffer not DMA-reachable). */
int vblk_read(struct vblk_dev *dev, uint64_t sector, void *buf, size_t len);
int vblk_write(struct vblk_dev *dev, uint64_t sector, const void *buf, size_t len);

/* vblk_flush: make completed writes durable. Sends VIRTIO_BLK_T_FLUSH when FLUSH
 * was negotiated; without it the device is write-through and 0 is returned at once.
 * CAIRN_EROFS on a read-only disk; other errors as vblk_read. */
int vblk_flush(struct vblk_dev *dev);

/* What the kernel's diagnostics show about a disk (cairn/diag.h, `hw vblk`). */
struct vblk_status {
	uint32_t owner;     /* component id holding the claim, 0 when unclaimed */
	uint32_t version;   /* virtio-mmio transport: 1 legacy, 2 modern */
	uint64_t mmio_base;
	uint32_t irq;
	bool polled;        /* completions polled (no interrupt) */
};
/* vblk_status: a snapshot of the above. */
void vblk_status(const struct vblk_dev *dev, struct vblk_status *out);

/* vblk_info: the disk's block-device info (logical block size, count, serial). */
const struct blkdev_info *vblk_info(const struct vblk_dev *dev);

/* vblk_failed: true once a timeout or device protocol error disabled the device. */
bool vblk_failed(struct vblk_dev *dev);

/* vblk_describe: write the marker line "virtio-blk up serial=<s> sectors=<n>
 * ss=<size> ro=<0|1> mmio=<0xaddr> irq=<n>" (sectors = logical blocks of ss bytes).
 * Returns its length, or CAIRN_E2BIG when len is too small (buf is then still
 * NUL-terminated if len > 0), CAIRN_EINVAL for NULL arguments. */
int vblk_describe(const struct vblk_dev *dev, char *buf, size_t len);

/* Claim policy hook (filled in by the capability table): called by vblk_claim with
 * the serial and mode; decides from the *calling thread's* identity. Returns 0 to
 * allow (and sets *owner to the caller's component id, recorded on the claim) or a
 * negative code (CAIRN_EPERM) to deny; denials are audited. NULL = allow all,
 * owner 0. Set once at boot, before any claim. */
typedef int (*vblk_claim_check_fn)(void *ctx, const char *serial, bool read_only,
                                   uint32_t *owner);
void vblk_set_claim_check(vblk_claim_check_fn check, void *ctx);

/* vblk_claim: take exclusive use of the disk whose serial equals `serial`.
 * read_only makes this claim's blkdev read-only even if the disk is writable.
 * 0 and *out; CAIRN_ENOENT no such (or empty) serial; CAIRN_EEXIST the serial is
 * not unique (two disks report it: refuse rather than guess); CAIRN_EBUSY already
 * claimed; CAIRN_EINVAL NULL arguments; the policy's error when denied. */
int vblk_claim(const char *serial, bool read_only, struct blkdev **out);

/* vblk_release: end a claim made by vblk_claim (supervisor restart). 0 or
 * CAIRN_EINVAL if bd is not a claimed virtio-blk disk. */
int vblk_release(struct blkdev *bd);

/* vblk_owner: owner id recorded by the claim policy for a claimed blkdev. */
uint32_t vblk_owner(const struct blkdev *bd);

#endif
