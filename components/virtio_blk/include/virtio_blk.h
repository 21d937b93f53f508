/* virtio-blk driver over the kernel core's virtio-mmio transport (cairn/virtio.h:
 * legacy version 1 and modern version 2, one split virtqueue), exposed as a
 * struct blkdev per disk and claimed by serial.
 *
 * The driver is pure logic: it touches the device, memory barriers, DMA memory,
 * time, locking and sleeping only through struct virtio_ops, which the kernel
 * implements (and the host tests implement with a device model). The full contract
 * is in docs/virtio-blk.md and docs/virtio.md.
 *
 * Units: the vblk_read/vblk_write API takes 512-byte virtio sectors and byte
 * lengths; both must be aligned to the disk's logical block size (info.sector_size).
 * The struct blkdev view uses logical blocks. */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/blkdev.h"
#include "cairn/err.h"
#include "cairn/virtio.h"

#define VBLK_MAX_DEVICES 8u		  /* QEMU virt has 8 virtio-mmio slots */
#define VBLK_SECTOR_SIZE 512u		  /* virtio protocol unit, always */
#define VBLK_MAX_TRANSFER (128u * 1024u)  /* bytes per device request; larger I/O is split */
#define VBLK_DEFAULT_TIMEOUT_US 10000000u /* per device request, 10 s */
#define VBLK_DEFAULT_QUEUE_SIZE 128u	  /* descriptors; 3 per request -> 42 in flight */
#define VBLK_DESCRIBE_MAX 160u		  /* enough for the longest vblk_describe line */

struct vblk_dev; /* opaque; storage is a static pool of VBLK_MAX_DEVICES entries */

enum vblk_audit_kind {
	VBLK_AUDIT_READ_ONLY = 1, /* a write or flush refused: the disk or claim is read-only */
	VBLK_AUDIT_CLAIM = 2,	  /* the claim policy denied a claim */
};

/* Optional audit record for a refused operation: kind says which; op is "write",
 * "flush" or "claim"; serial the disk's; ctx the device's ops ctx. Thread context. */
typedef void (*vblk_audit_fn)(void *ctx, enum vblk_audit_kind kind, const char *op,
			      const char *serial);

/* Probe configuration. Every field documents its default. */
struct vblk_config {
	const struct virtio_ops *ops; /* required (cairn/virtio.h) */
	void *ctx;		      /* passed to every op */
	vblk_audit_fn audit;	      /* optional: refused operations */
	uint64_t mmio_base;	      /* physical base, for vblk_describe only */
	uint32_t irq;		      /* IRQ number, for vblk_describe only */
	bool polled;		      /* true: never wait for interrupts (early boot, panic) */
	uint32_t timeout_us;	      /* per device request; 0 = VBLK_DEFAULT_TIMEOUT_US */
	uint16_t queue_size;	      /* descriptors, 0 = VBLK_DEFAULT_QUEUE_SIZE; clamped to the
	                      * device's QueueNumMax and rounded down to a power of two */
};

/* vblk_probe: bring up the virtio-mmio device described by cfg and register it.
 * Its own GET_ID request is always polled, so the IRQ may be attached afterwards.
 * 0 and *out on success; CAIRN_ENODEV when the slot is empty (device id 0), not
 * virtio (bad magic) or not a block device (quiet: nothing written to the device);
 * CAIRN_ENOTSUP for an unknown version, refused features or bad config;
 * CAIRN_ENOMEM, CAIRN_EBUSY (queue already live, or pool full), CAIRN_ETIMEDOUT,
 * CAIRN_EINVAL (bad cfg). On any error after the device was identified as a block
 * device, its status is set to FAILED; when its reset was not confirmed it is
 * quarantined: its pool entry and DMA memory are never reused. */
int vblk_probe(const struct vblk_config *cfg, struct vblk_dev **out);

/* vblk_irq: interrupt handler body; acknowledge, reap completions, wake waiters.
 * Returns 1 if the device had an interrupt pending, 0 otherwise (shared lines). */
int vblk_irq(struct vblk_dev *dev);

/* vblk_set_polled: switch between interrupt-driven and polled completion. */
void vblk_set_polled(struct vblk_dev *dev, bool polled);

/* vblk_read/vblk_write: transfer len bytes at 512-byte sector `sector`. sector and
 * len must be multiples of the logical block (CAIRN_EINVAL, device untouched); the
 * range must lie inside the disk (CAIRN_ERANGE). Errors: CAIRN_EIO (device IOERR,
 * or a read whose used length says the device wrote less than asked),
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
	uint32_t owner;	  /* component id holding the claim, 0 when unclaimed */
	uint32_t version; /* virtio-mmio transport: 1 legacy, 2 modern */
	uint64_t mmio_base;
	uint32_t irq;
	bool polled; /* completions polled (no interrupt) */
};
/* vblk_status: a snapshot of the above. */
void vblk_status(const struct vblk_dev *dev, struct vblk_status *out);

/* vblk_info: the disk's block-device info (logical block size, count, serial). */
const struct blkdev_info *vblk_info(const struct vblk_dev *dev);

/* vblk_failed: true once a timeout or device protocol error disabled the device. */
bool vblk_failed(struct vblk_dev *dev);

/* vblk_quarantined: true when the device did not confirm a reset: requests that
 * were in flight keep their slots for good (the device may still write them). */
bool vblk_quarantined(struct vblk_dev *dev);

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
typedef int (*vblk_claim_check_fn)(void *ctx, const char *serial, bool read_only, uint32_t *owner);
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
