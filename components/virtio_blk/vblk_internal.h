/* virtio-blk private definitions: block feature bits, config layout, request
 * format, device state (the transport and ring are the core's: cairn/virtio.h).
 * Only the driver's .c files and its unit tests include this. */
#ifndef VBLK_INTERNAL_H
#define VBLK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/virtio.h"
#include "virtio_blk.h"

#define VIRTIO_ID_BLOCK 2u

/* Feature bits the driver accepts; nothing else is ever acknowledged. */
#define VBLK_F_SIZE_MAX 1u
#define VBLK_F_SEG_MAX 2u
#define VBLK_F_RO 5u
#define VBLK_F_BLK_SIZE 6u
#define VBLK_F_FLUSH 9u
#define VBLK_FEATURE(b) VIRTIO_FEATURE(b)
#define VBLK_WANTED_FEATURES                                                                       \
	(VBLK_FEATURE(VBLK_F_SIZE_MAX) | VBLK_FEATURE(VBLK_F_SEG_MAX) | VBLK_FEATURE(VBLK_F_RO) |  \
	 VBLK_FEATURE(VBLK_F_BLK_SIZE) | VBLK_FEATURE(VBLK_F_FLUSH) |                              \
	 VBLK_FEATURE(VIRTIO_RING_F_EVENT_IDX))

/* With EVENT_IDX, while a kick was skipped because the device's avail_event said
 * so, a waiter that sees no progress for this long re-reads the used ring and
 * notifies unconditionally: a device that never updates avail_event costs
 * latency, never a hang. */
#define VBLK_REKICK_US 4000u

/* Block config space offsets (from VMMIO_CONFIG). */
#define VBLK_CFG_CAPACITY 0x00u /* le64, 512-byte sectors */
#define VBLK_CFG_SIZE_MAX 0x08u /* le32 */
#define VBLK_CFG_SEG_MAX 0x0cu	/* le32 */
#define VBLK_CFG_BLK_SIZE 0x14u /* le32 */

/* Request types and status codes (virtio 1.x section 5.2.6). */
#define VBLK_T_IN 0u
#define VBLK_T_OUT 1u
#define VBLK_T_FLUSH 4u
#define VBLK_T_GET_ID 8u
#define VBLK_S_OK 0u
#define VBLK_S_IOERR 1u
#define VBLK_S_UNSUPP 2u
#define VBLK_S_UNWRITTEN 0xffu /* set before submission: the device never wrote it */
#define VBLK_ID_BYTES 20u

#define VBLK_SLOTS_MAX (VIRTQ_SIZE_MAX / 3u)

struct vblk_reqhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* One request slot: the DMA header and status byte of one request in flight. */
struct vblk_slot {
	struct vblk_reqhdr *hdr; /* DMA, immutable after probe */
	uint8_t *status;	 /* DMA, immutable after probe */
	uint64_t hdr_pa, status_pa;
	/* Protected by the device lock: */
	bool busy; /* owned by a requester */
	bool done; /* completion reaped */
	uint16_t head;
	uint32_t type;	   /* request type (VBLK_T_*) */
	uint32_t len;	   /* data bytes */
	uint32_t used_len; /* bytes the device says it wrote (used ring; not trusted) */
};

/* Per-device state. The static pool in vblk_registry.c owns the storage. */
struct vblk_dev {
	/* The transport: ops, ctx, version, negotiated features, timeout, and
	 * (protected by the device lock) status, failed, quarantined. */
	struct virtio_dev v;
	/* Immutable after probe: */
	vblk_audit_fn audit;   /* optional, cfg->audit */
	uint64_t capacity;     /* 512-byte sectors */
	uint32_t blk_size;     /* logical block, bytes */
	uint32_t max_transfer; /* bytes per request, multiple of 512 */
	bool dev_ro;	       /* device offered RO */
	unsigned nslots;
	struct vblk_slot slots[VBLK_SLOTS_MAX];
	uint8_t *id_buf; /* DMA, VBLK_ID_BYTES, used only during probe */
	uint64_t id_pa;

	/* Protected by the device lock: */
	struct virtq vq;
	uint8_t head_slot[VIRTQ_SIZE_MAX]; /* slot index + 1 for each live chain head */
	unsigned free_slots;
	bool polled;
	bool unkicked;	    /* EVENT_IDX skipped a kick since the last QueueNotify */
	uint64_t rekick_at; /* polled mode: when to re-notify without progress (EVENT_IDX) */

	/* Claim state: claimed is accessed only with __atomic builtins (no lock); the
	 * claim winner then owns owner and bd.info.read_only until vblk_release. */
	uint32_t claimed; /* word-sized: rv64 has no byte CAS */
	uint32_t owner;
	struct blkdev bd; /* info.read_only = dev_ro || the claim's read_only */
};

/* vblk_transport.c */
int vblk_read_config(struct vblk_dev *d);

/* vblk_io.c */
int vblk_alloc_slots(struct vblk_dev *d);
int vblk_start(struct vblk_dev *d, uint32_t type, uint64_t sector, uint64_t data_pa, uint32_t len,
	       struct vblk_slot **out);
int vblk_start_try(struct vblk_dev *d, uint32_t type, uint64_t sector, uint64_t data_pa,
		   uint32_t len, struct vblk_slot **out);
int vblk_finish(struct vblk_dev *d, struct vblk_slot *s, uint64_t deadline_us);
int vblk_get_id(struct vblk_dev *d, char serial[BLKDEV_SERIAL_MAX + 1]);
void vblk_parse_serial(const uint8_t raw[VBLK_ID_BYTES], char out[BLKDEV_SERIAL_MAX + 1]);
int vblk_map_status(uint8_t status);
int vblk_check_writable(struct vblk_dev *d, const char *op);

/* vblk_registry.c */
struct vblk_dev *vblk_pool_get(void);
void vblk_pool_put(struct vblk_dev *d);
void vblk_pool_publish(struct vblk_dev *d);
void vblk_registry_reset(void); /* host tests only: forget every device */
extern const struct blkdev_ops vblk_blkdev_ops;

#endif
