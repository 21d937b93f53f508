/* Device pool and claim registry (disks are claimed by serial), the blkdev ops
 * wrapper, and the marker line.
 *
 * The pool is an unavoidable singleton (vblk_claim takes no handle). It has no lock:
 * pool_state[] entries move FREE -> PROBING -> READY (or back to FREE) with atomic
 * compare-exchange / release stores, a device's fields are immutable once READY is
 * published, and each device's `claimed` flag is taken with compare-exchange. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vblk_internal.h"

enum {
	POOL_FREE = 0,
	POOL_PROBING = 1,
	POOL_READY = 2
};

static struct vblk_dev pool[VBLK_MAX_DEVICES];
static int pool_state[VBLK_MAX_DEVICES]; /* POOL_*, __atomic access only */

/* Claim policy: set once at boot before any claim (plain data after that). */
static vblk_claim_check_fn claim_check;
static void *claim_check_ctx;

/* vblk_pool_get: reserve a zeroed pool entry for a probe, or NULL when full. */
struct vblk_dev *vblk_pool_get(void)
{
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++) {
		int expect = POOL_FREE;
		if (__atomic_compare_exchange_n(&pool_state[i], &expect, POOL_PROBING, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			memset(&pool[i], 0, sizeof(pool[i]));
			return &pool[i];
		}
	}
	return NULL;
}

/* Index of d in the pool, or -1 when d is not a pool entry. */
static int pool_index(const struct vblk_dev *d)
{
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++)
		if (d == &pool[i])
			return (int)i;
	return -1;
}

/* vblk_pool_put: give back an entry whose probe failed. */
void vblk_pool_put(struct vblk_dev *d)
{
	__atomic_store_n(&pool_state[pool_index(d)], POOL_FREE, __ATOMIC_RELEASE);
}

/* vblk_pool_publish: make a probed device visible to vblk_claim. Release: every
 * field written by the probe is visible to a claimer that sees READY. */
void vblk_pool_publish(struct vblk_dev *d)
{
	__atomic_store_n(&pool_state[pool_index(d)], POOL_READY, __ATOMIC_RELEASE);
}

/* vblk_registry_reset: forget every device (host tests; not for the image). */
void vblk_registry_reset(void)
{
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++)
		__atomic_store_n(&pool_state[i], POOL_FREE, __ATOMIC_RELEASE);
	claim_check = NULL;
	claim_check_ctx = NULL;
}

/* vblk_set_claim_check: install the capability-table hook (boot, before claims). */
void vblk_set_claim_check(vblk_claim_check_fn check, void *ctx)
{
	claim_check = check;
	claim_check_ctx = ctx;
}

/* Find the one READY device with this serial: CAIRN_ENOENT / CAIRN_EEXIST. */
static int find_serial(const char *serial, struct vblk_dev **out)
{
	int found = 0;
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++) {
		if (__atomic_load_n(&pool_state[i], __ATOMIC_ACQUIRE) != POOL_READY)
			continue;
		if (strncmp(pool[i].bd.info.serial, serial, BLKDEV_SERIAL_MAX + 1) == 0) {
			*out = &pool[i];
			found++;
		}
	}
	if (found == 0)
		return CAIRN_ENOENT;
	return found == 1 ? 0 : CAIRN_EEXIST;
}

/* Ask the policy hook; audit a denial through the device's audit op. */
static int check_policy(struct vblk_dev *d, const char *serial, bool ro, uint32_t *owner)
{
	*owner = 0;
	if (!claim_check)
		return 0;
	int err = claim_check(claim_check_ctx, serial, ro, owner);
	if (err && d->audit)
		d->audit(d->v.ctx, VBLK_AUDIT_CLAIM, "claim", serial);
	return err;
}

/* vblk_claim: exclusive claim of the unique disk with this serial. */
int vblk_claim(const char *serial, bool read_only, struct blkdev **out)
{
	struct vblk_dev *d = NULL;
	uint32_t owner;

	if (!serial || !out)
		return CAIRN_EINVAL;
	if (serial[0] == '\0')
		return CAIRN_ENOENT; /* disks without a serial cannot be claimed */
	int err = find_serial(serial, &d);
	if (!err)
		err = check_policy(d, serial, read_only, &owner);
	if (err)
		return err;
	uint32_t expect = 0;
	if (!__atomic_compare_exchange_n(&d->claimed, &expect, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return CAIRN_EBUSY;
	d->owner = owner;
	d->bd.info.read_only = d->dev_ro || read_only;
	*out = &d->bd;
	return 0;
}

/* The pool entry owning a claimed blkdev, or NULL. */
static struct vblk_dev *claimed_dev(const struct blkdev *bd)
{
	if (!bd || bd->ops != &vblk_blkdev_ops)
		return NULL;
	struct vblk_dev *d = bd->ctx;
	if (pool_index(d) < 0 || !__atomic_load_n(&d->claimed, __ATOMIC_ACQUIRE))
		return NULL;
	return d;
}

/* vblk_release: end a claim; the disk returns to its own read-only state. */
int vblk_release(struct blkdev *bd)
{
	struct vblk_dev *d = claimed_dev(bd);
	if (!d)
		return CAIRN_EINVAL;
	d->bd.info.read_only = d->dev_ro;
	d->owner = 0;
	__atomic_store_n(&d->claimed, 0, __ATOMIC_RELEASE);
	return 0;
}

/* vblk_owner: owner id the policy recorded for a claimed disk (0 if none). */
uint32_t vblk_owner(const struct blkdev *bd)
{
	const struct vblk_dev *d = claimed_dev(bd);
	return d ? d->owner : 0;
}

void vblk_status(const struct vblk_dev *d, struct vblk_status *out)
{
	bool claimed = __atomic_load_n(&d->claimed, __ATOMIC_ACQUIRE) != 0;
	*out = (struct vblk_status){
		.owner = claimed ? d->owner : 0,
		.version = d->v.version,
		.mmio_base = d->v.mmio_base,
		.irq = d->v.irq,
		.polled = d->polled,
	};
}

/* vblk_info: the disk's blkdev info (immutable after probe except read_only). */
const struct blkdev_info *vblk_info(const struct vblk_dev *d) { return &d->bd.info; }

/* vblk_describe: the "virtio-blk up ..." marker line (format in docs/virtio-blk.md). */
int vblk_describe(const struct vblk_dev *d, char *buf, size_t len)
{
	if (!d || !buf)
		return CAIRN_EINVAL;
	const struct blkdev_info *in = &d->bd.info;
	int n = snprintf(buf, len,
			 "virtio-blk up serial=%s sectors=%" PRIu64 " ss=%" PRIu32
			 " ro=%d mmio=0x%" PRIx64 " irq=%" PRIu32,
			 in->serial, in->sector_count, in->sector_size, in->read_only ? 1 : 0,
			 d->v.mmio_base, d->v.irq);
	if (n < 0 || (size_t)n >= len)
		return CAIRN_E2BIG;
	return n;
}

/* blkdev op: read count logical blocks at lba. */
static int bd_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct vblk_dev *d = ctx;
	int err = blkdev_check_range(&d->bd, lba, count);
	if (err)
		return err;
	uint64_t per_block = d->blk_size / VBLK_SECTOR_SIZE;
	return vblk_read(d, lba * per_block, buf, (size_t)count * d->blk_size);
}

/* blkdev op: write count logical blocks at lba (read-only checked first). */
static int bd_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	struct vblk_dev *d = ctx;
	int err = vblk_check_writable(d, "write");
	if (!err)
		err = blkdev_check_range(&d->bd, lba, count);
	if (err)
		return err;
	uint64_t per_block = d->blk_size / VBLK_SECTOR_SIZE;
	return vblk_write(d, lba * per_block, buf, (size_t)count * d->blk_size);
}

/* blkdev op: flush. */
static int bd_flush(void *ctx) { return vblk_flush(ctx); }

/* blkdev op: the wrapper refused an operation on a read-only claim or disk. */
static void bd_refused(void *ctx, const char *op) { (void)vblk_check_writable(ctx, op); }

const struct blkdev_ops vblk_blkdev_ops = {
	.read = bd_read,
	.write = bd_write,
	.flush = bd_flush,
	.refused = bd_refused,
};
