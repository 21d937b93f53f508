/* The virtio_blk component in the image: its descriptor, the disk-claim policy
 * (the capability table decides), probing every virtio-mmio slot over the
 * kernel's transport glue (cairn/virtio_mmio.h), and routing PLIC interrupts
 * to the driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/diag.h"
#include "cairn/err.h"
#include "cairn/plic.h"
#include "cairn/virtio_mmio.h"
#include "virtio_blk.h"

/* One probed disk: its slot's MMIO glue and the driver's device. */
struct vblk_glue {
	struct virtio_mmio mmio; /* the kernel's virtio_ops context */
	struct vblk_dev *dev;	 /* immutable after probe */
};

static struct vblk_glue glues[VBLK_MAX_DEVICES];

/* g_audit: a refused write or flush becomes an AUDIT_READ_ONLY record. Claim
 * denials are recorded by claim_policy itself, with the table's verdict. */
static void g_audit(void *ctx, enum vblk_audit_kind kind, const char *op, const char *serial)
{
	(void)ctx;
	if (kind == VBLK_AUDIT_READ_ONLY)
		(void)audit_append(AUDIT_READ_ONLY, cap_self(), CAP_COMP_VIRTIO_BLK, op, serial);
}

static void glue_irq(void *arg)
{
	struct vblk_glue *g = arg;
	(void)vblk_irq(g->dev);
}

/* probe_all: probe every virtio-mmio slot in the DTB, print a `blk: virtio-blk
 * up ...` marker per disk; returns how many came up. Thread context. */
static int probe_all(void)
{
	int found = 0;
	for (unsigned i = 0; i < virtio_mmio_slots() && i < VBLK_MAX_DEVICES; i++) {
		struct vblk_glue *g = &glues[i];
		virtio_mmio_init(&g->mmio, i, "vblk");
		struct vblk_config cfg = { .ops = &virtio_mmio_ops,
					   .ctx = &g->mmio,
					   .audit = g_audit,
					   .mmio_base = g->mmio.base,
					   .irq = g->mmio.irq,
					   .polled = true };
		int err = vblk_probe(&cfg, &g->dev);
		if (err == CAIRN_ENODEV)
			continue; /* empty slot or another device type */
		if (err) {
			kprintf("blk: virtio-mmio@0x%lx probe failed: %s\n",
				(unsigned long)g->mmio.base, cairn_strerror(err));
			continue;
		}
		err = plic_register(g->mmio.irq, glue_irq, g);
		if (err == 0)
			vblk_set_polled(g->dev, false);
		else
			kprintf("blk: irq %u unavailable (%s): polled mode\n", g->mmio.irq,
				cairn_strerror(err));
		char line[VBLK_DESCRIBE_MAX];
		if (vblk_describe(g->dev, line, sizeof(line)) > 0)
			kprintf("blk: %s\n", line);
		found++;
	}
	return found;
}

/* crc32c: CRC-32C (Castagnoli), bitwise: the core does not call crypto, and a
 * diagnostic reads one block. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

/* vblk_diag_disks: the disks for diag_disks (`hw vblk`). */
static size_t vblk_diag_disks(struct diag_disk *out, size_t max)
{
	size_t n = 0;
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++) {
		struct vblk_dev *dev = __atomic_load_n(&glues[i].dev, __ATOMIC_ACQUIRE);
		if (!dev)
			continue;
		if (n < max) {
			const struct blkdev_info *in = vblk_info(dev);
			struct vblk_status st;
			vblk_status(dev, &st);
			struct diag_disk *d = &out[n];
			memset(d, 0, sizeof(*d));
			snprintf(d->serial, sizeof(d->serial), "%s", in->serial);
			d->sectors = in->sector_count;
			d->block_size = in->sector_size;
			d->read_only = in->read_only;
			d->owner = (uint16_t)st.owner;
			d->version = st.version;
			d->mmio_base = st.mmio_base;
			d->irq = st.irq;
			d->polled = st.polled;
			uint8_t *buf = malloc(in->sector_size);
			d->crc_err = buf ? vblk_read(dev, 0, buf, in->sector_size) : CAIRN_ENOMEM;
			if (d->crc_err == 0)
				d->crc = crc32c(buf, in->sector_size);
			free(buf);
		}
		n++;
	}
	return n;
}

/* claim_policy: the capability table decides disk claims, from the calling
 * thread's identity: the caller must be granted virtio_blk and own the disk
 * (rw only where the table says rw). Denials are audited. */
static int claim_policy(void *ctx, const char *serial, bool read_only, uint32_t *owner)
{
	(void)ctx;
	uint16_t self = cap_self();
	if (!cap_may_call(self, CAP_COMP_VIRTIO_BLK))
		return cap_deny(AUDIT_CAP_DENIED, CAP_COMP_VIRTIO_BLK, "claim", serial);
	int err = cap_disk_claim(self, serial, !read_only);
	if (err) {
		(void)cap_deny(AUDIT_CAP_DENIED, CAP_COMP_VIRTIO_BLK,
			       err == CAIRN_EROFS ? "claim-rw" : "claim", serial);
		return err;
	}
	*owner = self;
	return 0;
}

/* vblk_component_init: install the claim policy, then probe every slot. A
 * machine without disks is fine: the component is up with none. */
static int vblk_component_init(void)
{
	vblk_set_claim_check(claim_policy, NULL);
	(void)probe_all();
	diag_set_disk_source(vblk_diag_disks);
	return 0;
}

/* Probing cannot be undone (queues are live in the devices), so no restart. */
const struct component_desc component_virtio_blk = {
	.name = "virtio_blk",
	.init = vblk_component_init,
	.no_restart = true,
};
