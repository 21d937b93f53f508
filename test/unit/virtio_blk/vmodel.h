/* Host model of a virtio-mmio block device (legacy v1 or modern v2) plus the
 * struct virtio_ops the driver runs on in the tests. The model defines its
 * own register map and ring offsets from the spec (it does not reuse the driver's
 * constants), checks every access, and counts protocol violations. */
#ifndef VMODEL_H
#define VMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_blk.h"

/* Model "physical" addresses: caller buffers are host address + VM_PHYS_OFFSET;
 * DMA allocations come from per-platform arenas placed at VM_ARENA_PA + n * 16 MiB
 * so their page frame numbers fit the legacy 32-bit QueuePFN register. */
#define VM_PHYS_OFFSET (UINT64_C(1) << 62)
#define VM_ARENA_PA UINT64_C(0x80000000)
#define VM_ARENA_SIZE (1u << 20)
#define VM_MAX_ARENAS 8u
#define VM_MAX_PENDING 1024u

/* Feature bit numbers as the model knows them. */
#define VMF_SIZE_MAX 1u
#define VMF_SEG_MAX 2u
#define VMF_GEOMETRY 4u
#define VMF_RO 5u
#define VMF_BLK_SIZE 6u
#define VMF_FLUSH 9u
#define VMF_TOPOLOGY 10u
#define VMF_INDIRECT 28u
#define VMF_EVENT_IDX 29u
#define VMF_VERSION_1 32u
#define VMF_ACCESS_PLATFORM 33u
#define VMBIT(b) (UINT64_C(1) << (b))

/* Status bits and request types as the model knows them. */
#define VMS_ACK 1u
#define VMS_DRIVER 2u
#define VMS_DRIVER_OK 4u
#define VMS_FEATURES_OK 8u
#define VMS_FAILED 128u
#define VMT_IN 0u
#define VMT_OUT 1u
#define VMT_FLUSH 4u
#define VMT_GET_ID 8u
#define VMT_ANY 0xffffffffu

enum vm_mode {
	VM_SYNC,  /* process each request when notified */
	VM_DEFER, /* queue requests; complete when the test (or a wait/relax) says so */
	VM_HOLD,  /* queue requests and never complete them (timeouts) */
};

struct vmodel_cfg {
	uint32_t magic, version, device_id;
	uint64_t features; /* offered */
	uint64_t capacity; /* 512-byte sectors */
	uint32_t blk_size, size_max, seg_max;
	uint32_t queue_num_max;
	uint8_t serial[20];
	bool get_id_unsupported;
	bool refuse_features_ok;
};

struct vmodel;

/* One descriptor, and one chain as the device took it off the ring. */
struct vm_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};
struct vm_chain {
	uint16_t head;
	unsigned n; /* descriptors in d, 0 when the chain was malformed */
	uint32_t type;
	uint64_t sector;
	struct vm_desc d[8];
};

/* Hostile device hooks (fuzz_vblk): each optional; NULL hooks leave the model as
 * it is. read sees every register value before the driver does and returns what
 * the driver reads instead. post runs as the completion of head is posted: it
 * may rewrite the used entry's id and len, and returns how many copies to post
 * (0 drops the completion); status is the byte the model wrote and copied says
 * whether the request's data really moved. */
struct vm_hostile {
	void *ctx;
	uint32_t (*read)(void *ctx, struct vmodel *m, uint32_t off, uint32_t val);
	unsigned (*post)(void *ctx, struct vmodel *m, uint16_t head, uint32_t *id, uint32_t *len,
			 uint8_t status, bool copied);
};

struct vmodel {
	struct vmodel_cfg cfg;
	const struct vm_hostile *hostile; /* NULL: an honest device */
	uint8_t *disk;
	uint64_t disk_sectors; /* what disk holds: cfg.capacity at vm_init (the config may glitch) */
	enum vm_mode mode;
	/* registers */
	uint32_t status, dev_sel, drv_sel, queue_sel, queue_num, queue_align, page_size;
	uint32_t queue_pfn, queue_ready, int_status, config_gen;
	uint64_t drv_features;
	uint64_t desc_pa, avail_pa, used_pa;
	/* ring state */
	uint16_t last_avail, used_idx;
	uint16_t pending[VM_MAX_PENDING];
	uint16_t signalled_used; /* used_idx at the last interrupt decision (EVENT_IDX) */
	bool signalled_valid;
	unsigned npending;
	/* Fuzzing, optional (caller-owned, VM_MAX_PENDING entries): a deferred chain's
	 * descriptors and header are read when the device takes it, as QEMU does, and
	 * used when it completes; without it they are read at completion. */
	struct vm_chain *snap;
	/* fault injection */
	uint8_t inject_status;
	unsigned inject_count;
	uint32_t inject_type;
	unsigned cap_glitches; /* capacity reads that see the config change under them */
	bool ignore_reset;     /* Status = 0 is ignored: the reset never completes */
	uint32_t short_used;   /* IN requests report this many bytes fewer as used */
	/* EVENT_IDX behaviour (when the driver negotiated it): */
	bool stale_avail_event; /* never write avail_event (hostile: kicks stay suppressed) */
	bool busy_no_notify;	/* DEFER: while requests are pending, leave avail_event
				 * alone and pick up new avail entries when completing
				 * (a device that polls while busy, like QEMU) */
	/* observations */
	unsigned notifies, requests, reads, writes, flushes, get_ids, resets, mmio_writes;
	unsigned violations, max_pending;
	unsigned interrupts; /* times int_status's used-ring bit was raised */
	uint32_t max_data_len, min_data_len;
	uint32_t status_log[32];
	unsigned nstatus;
	char violation[160]; /* first violation, for failure messages */
};

/* Test platform: implements struct virtio_ops over a vmodel. */
struct tplat {
	struct vmodel *m;
	struct vblk_dev *dev;
	bool irq_attached; /* wait() delivers pending interrupts via vblk_irq */
	uint64_t now;
	int lock_depth;
	bool in_irq;
	bool dma_addr_fail;
	unsigned waits, wakes, audits, relaxes, barriers;
	char last_audit[160];
	unsigned char *arena; /* DMA memory, VM_ARENA_SIZE bytes, page aligned */
	uint64_t arena_pa;
	size_t arena_used;
	int arena_slot;
};

struct vmodel_cfg vm_default_cfg(uint32_t version);
void vm_init(struct vmodel *m, const struct vmodel_cfg *cfg);
void vm_fini(struct vmodel *m);
uint32_t vm_read(struct vmodel *m, uint32_t off);
void vm_write(struct vmodel *m, uint32_t off, uint32_t val);
void vm_complete(struct vmodel *m, unsigned k);	      /* k-th pending request */
void vm_complete_all(struct vmodel *m, bool reverse); /* every pending request */
void vm_inject(struct vmodel *m, uint32_t type, uint8_t status, unsigned count);
/* vm_post_used: post a used entry (id, len) the driver never asked for (fuzzing). */
void vm_post_used(struct vmodel *m, uint32_t id, uint32_t len);
/* vm_device_reset: the device resets itself (forgets its queue and pending work). */
void vm_device_reset(struct vmodel *m);
void *vm_p2v(uint64_t pa);
void vm_arena_register(int slot, void *va, uint64_t pa); /* va NULL: unregister */

extern const struct virtio_ops tplat_ops;
/* tplat_audit: the audit hook (counts and records the last refusal). */
void tplat_audit(void *ctx, enum vblk_audit_kind kind, const char *op, const char *serial);
void tplat_init(struct tplat *p, struct vmodel *m);
void tplat_fini(struct tplat *p);

/* One model + platform + probed device: the usual test fixture. */
struct th {
	struct vmodel m;
	struct tplat p;
	struct vblk_config cfg;
	struct vblk_dev *dev;
};
void th_init(struct th *h, const struct vmodel_cfg *mc);
void th_reuse(struct th *h, const struct vmodel_cfg *mc);
int th_probe(struct th *h);
void th_fini(struct th *h);

#endif
