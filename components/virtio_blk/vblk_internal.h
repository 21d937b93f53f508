/* virtio-blk private definitions: register map, ring layout, device state.
 * Only the driver's .c files and its unit tests include this. */
#ifndef VBLK_INTERNAL_H
#define VBLK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_blk.h"

/* Ring fields and request headers are little-endian (modern) or guest-native
 * (legacy); both targets (rv64 and the x86-64/arm64 test hosts) are little-endian,
 * so the driver stores them natively and refuses to build elsewhere. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtio-blk driver assumes a little-endian CPU"
#endif

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
#define VMMIO_QUEUE_PFN 0x040u   /* legacy only */
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

#define VMMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_ID_BLOCK 2u
#define VMMIO_INT_VRING 1u  /* InterruptStatus: used ring updated */
#define VMMIO_INT_CONFIG 2u /* InterruptStatus: configuration changed */

/* Device status bits. */
#define VSTAT_ACKNOWLEDGE 1u
#define VSTAT_DRIVER 2u
#define VSTAT_DRIVER_OK 4u
#define VSTAT_FEATURES_OK 8u
#define VSTAT_NEEDS_RESET 64u
#define VSTAT_FAILED 128u

/* Feature bits the driver accepts; nothing else is ever acknowledged. */
#define VBLK_F_SIZE_MAX 1u
#define VBLK_F_SEG_MAX 2u
#define VBLK_F_RO 5u
#define VBLK_F_BLK_SIZE 6u
#define VBLK_F_FLUSH 9u
#define VIRTIO_F_VERSION_1 32u
#define VBLK_FEATURE(b) (UINT64_C(1) << (b))
#define VBLK_WANTED_FEATURES                                                            \
	(VBLK_FEATURE(VBLK_F_SIZE_MAX) | VBLK_FEATURE(VBLK_F_SEG_MAX) |                 \
	 VBLK_FEATURE(VBLK_F_RO) | VBLK_FEATURE(VBLK_F_BLK_SIZE) |                      \
	 VBLK_FEATURE(VBLK_F_FLUSH))

/* Block config space offsets (from VMMIO_CONFIG). */
#define VBLK_CFG_CAPACITY 0x00u /* le64, 512-byte sectors */
#define VBLK_CFG_SIZE_MAX 0x08u /* le32 */
#define VBLK_CFG_SEG_MAX 0x0cu  /* le32 */
#define VBLK_CFG_BLK_SIZE 0x14u /* le32 */

/* Request types and status codes (virtio 1.x section 5.2.6). */
#define VBLK_T_IN 0u
#define VBLK_T_OUT 1u
#define VBLK_T_FLUSH 4u
#define VBLK_T_GET_ID 8u
#define VBLK_S_OK 0u
#define VBLK_S_IOERR 1u
#define VBLK_S_UNSUPP 2u
#define VBLK_ID_BYTES 20u

/* Split virtqueue layout (virtio 1.x section 2.6). */
#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u
#define VQ_AVAIL_F_NO_INTERRUPT 1u
#define VBLK_PAGE_SIZE 4096u /* GuestPageSize and QueueAlign for legacy */
#define VBLK_QSIZE_MAX 256u  /* descriptors the driver's bookkeeping can hold */
#define VBLK_SLOTS_MAX (VBLK_QSIZE_MAX / 3u)

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* num entries, then used_event (unused) */
};

struct vq_used_elem {
	uint32_t id;  /* head descriptor of the completed chain */
	uint32_t len; /* bytes written into device-writable buffers (not trusted) */
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[]; /* num entries, then avail_event (unused) */
};

struct vblk_reqhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* One buffer of a descriptor chain. */
struct vq_buf {
	uint64_t pa;
	uint32_t len;
	bool device_writes;
};

/* Driver view of one split virtqueue. All fields: protected by the device lock
 * (except during vblk_vq_init, before the device is live). */
struct vblk_vq {
	uint16_t num;       /* descriptors, power of two */
	struct vq_desc *desc;
	struct vq_avail *avail;
	struct vq_used *used;
	uint64_t desc_pa, avail_pa, used_pa;
	uint16_t free_head; /* first free descriptor, chained through desc[].next */
	uint16_t num_free;
	uint16_t avail_idx; /* driver's copy of avail->idx (free-running, wraps at 2^16) */
	uint16_t last_used; /* next used->idx position to consume */
};

/* vblk_vq.c */
size_t vblk_vq_layout(uint16_t num, size_t align, size_t *avail_off, size_t *used_off);
void vblk_vq_init(struct vblk_vq *vq, uint16_t num, void *mem, uint64_t pa, size_t align);
int vblk_vq_add_chain(struct vblk_vq *vq, const struct vq_buf *bufs, unsigned n);
unsigned vblk_vq_free_chain(struct vblk_vq *vq, uint16_t head);
void vblk_vq_publish(struct vblk_vq *vq, uint16_t head, const struct vblk_platform_ops *ops,
                void *ctx);
bool vblk_vq_pop_used(struct vblk_vq *vq, const struct vblk_platform_ops *ops, void *ctx,
                 uint32_t *id, uint32_t *len);
void vblk_vq_set_no_interrupt(struct vblk_vq *vq, bool off);

/* One request slot: the DMA header and status byte of one request in flight. */
struct vblk_slot {
	struct vblk_reqhdr *hdr; /* DMA, immutable after probe */
	uint8_t *status;         /* DMA, immutable after probe */
	uint64_t hdr_pa, status_pa;
	/* Protected by the device lock: */
	bool busy; /* owned by a requester */
	bool done; /* completion reaped */
	uint16_t head;
};

/* Per-device state. The static pool in vblk_registry.c owns the storage. */
struct vblk_dev {
	/* Immutable after probe: */
	const struct vblk_platform_ops *ops;
	void *ctx;
	uint64_t mmio_base;
	uint32_t irq;
	uint32_t version;      /* 1 legacy, 2 modern */
	uint64_t features;     /* negotiated */
	uint64_t capacity;     /* 512-byte sectors */
	uint32_t blk_size;     /* logical block, bytes */
	uint32_t max_transfer; /* bytes per request, multiple of 512 */
	uint32_t timeout_us;
	bool dev_ro;           /* device offered RO */
	unsigned nslots;
	struct vblk_slot slots[VBLK_SLOTS_MAX];
	uint8_t *id_buf; /* DMA, VBLK_ID_BYTES, used only during probe */
	uint64_t id_pa;

	/* Protected by the device lock: */
	struct vblk_vq vq;
	uint8_t head_slot[VBLK_QSIZE_MAX]; /* slot index + 1 for each live chain head */
	unsigned free_slots;
	bool polled;
	bool failed; /* timeout / protocol error: device reset, requests fail fast */
	uint32_t status; /* last value written to Status */

	/* Claim state: claimed is accessed only with __atomic builtins (no lock); the
	 * claim winner then owns owner and bd.info.read_only until vblk_release. */
	uint32_t claimed; /* word-sized: rv64 has no byte CAS */
	uint32_t owner;
	struct blkdev bd; /* info.read_only = dev_ro || the claim's read_only */
};

/* vblk_transport.c */
uint32_t vblk_rd(const struct vblk_dev *d, uint32_t off);
void vblk_wr(const struct vblk_dev *d, uint32_t off, uint32_t val);
void vblk_set_status(struct vblk_dev *d, uint32_t bits);
int vblk_identify(struct vblk_dev *d);
int vblk_negotiate(struct vblk_dev *d);
int vblk_read_config(struct vblk_dev *d);
int vblk_setup_queue(struct vblk_dev *d, uint16_t want);
void vblk_reset(struct vblk_dev *d);

/* vblk_io.c */
int vblk_alloc_slots(struct vblk_dev *d);
int vblk_start(struct vblk_dev *d, uint32_t type, uint64_t sector, uint64_t data_pa,
               uint32_t len, struct vblk_slot **out);
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
