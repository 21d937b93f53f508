/* virtio-blk selftests against disks QEMU attaches by serial:
 *   scratch  read-write: patterns across the disk, flush, read back;
 *            with "blkverify" on the command line only verifies what an
 *            earlier boot with the same "blkseed=<n>" wrote (persistence)
 *   ro       attached readonly=on: writes and flushes must fail with EROFS,
 *            and so must writes through a read-only claim of scratch. */
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/blkdev.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "selftest.h"
#include "virtio_blk.h"

#define REGION_BYTES (192u * 1024u) /* > 128 KiB: exercises request splitting */

/* fill: the pattern for byte i of the block at lba under seed. */
static void fill(uint8_t *buf, size_t len, uint64_t lba, uint32_t ss, uint64_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (lba + i / ss) * 0x9e3779b97f4a7c15ull ^ seed ^
			     (i % ss) * 0x100000001b3ull;
		buf[i] = (uint8_t)(x >> 29);
	}
}

/* regions: first, middle and last REGION_BYTES of the disk (in blocks). */
static unsigned regions(const struct blkdev *bd, uint64_t lba[3], uint32_t *count)
{
	*count = REGION_BYTES / bd->info.sector_size;
	if (bd->info.sector_count < 3ull * *count)
		return 0;
	lba[0] = 0;
	lba[1] = bd->info.sector_count / 2;
	lba[2] = bd->info.sector_count - *count;
	return 3;
}

/* blk_patterns: write (unless verify_only) then verify the three regions. */
static int blk_patterns(struct blkdev *bd, uint64_t seed, bool verify_only)
{
	uint64_t lba[3];
	uint32_t count;
	if (!regions(bd, lba, &count)) {
		kprintf("ktest: blk scratch disk too small\n");
		return CAIRN_ENOSPC;
	}
	uint8_t *want = malloc(REGION_BYTES), *got = malloc(REGION_BYTES);
	int err = (want && got) ? 0 : CAIRN_ENOMEM;
	for (unsigned r = 0; r < 3 && !err && !verify_only; r++) {
		fill(want, REGION_BYTES, lba[r], bd->info.sector_size, seed);
		err = blkdev_write(bd, lba[r], want, count);
	}
	if (!err && !verify_only)
		err = blkdev_flush(bd);
	for (unsigned r = 0; r < 3 && !err; r++) {
		fill(want, REGION_BYTES, lba[r], bd->info.sector_size, seed);
		memset(got, 0, REGION_BYTES);
		err = blkdev_read(bd, lba[r], got, count);
		if (!err && memcmp(want, got, REGION_BYTES) != 0) {
			kprintf("ktest: blk region %u (lba %llu) read back wrong data\n", r,
				(unsigned long long)lba[r]);
			err = CAIRN_EIO;
		}
	}
	free(want);
	free(got);
	return err;
}

/* blk_expect_rofs: a write and a flush through bd both fail with EROFS. */
static int blk_expect_rofs(struct blkdev *bd)
{
	uint8_t *buf = calloc(1, bd->info.sector_size);
	if (!buf)
		return CAIRN_ENOMEM;
	uint64_t seq = audit_next_seq();
	int w = blkdev_write(bd, 0, buf, 1);
	int f = blkdev_flush(bd);
	free(buf);
	if (w != CAIRN_EROFS || f != CAIRN_EROFS) {
		kprintf("ktest: blk read-only not enforced: write=%s flush=%s\n", cairn_strerror(w),
			cairn_strerror(f));
		return CAIRN_EIO;
	}
	/* Both refusals are in the audit ring, as this component, for this disk. */
	unsigned found = 0;
	for (unsigned i = 0; i < 2; i++)
		found += selftest_audited(seq, AUDIT_READ_ONLY, cap_self(), CAP_COMP_VIRTIO_BLK,
					  i ? "flush" : "write", bd->info.serial, false);
	if (found != 2) {
		kprintf("ktest: blk read-only refusals audited %u of 2\n", found);
		return CAIRN_EIO;
	}
	return 0;
}

static int test_blk_rw(void)
{
	struct blkdev *bd;
	int err = vblk_claim("scratch", false, &bd);
	if (err == CAIRN_ENOENT)
		return 0; /* no scratch disk attached: nothing to prove */
	if (!err && vblk_claim("scratch", false, &(struct blkdev *){ 0 }) != CAIRN_EBUSY) {
		kprintf("ktest: blk second claim of scratch was not refused\n");
		err = CAIRN_EIO;
	}
	bool verify = dt_bootargs_has(platform.bootargs, "blkverify");
	uint64_t seed = 1; /* the default when blkseed= is absent or malformed */
	(void)dt_bootargs_u64(platform.bootargs, "blkseed", &seed);
	if (!err)
		err = blk_patterns(bd, seed, verify);
	if (!err)
		kprintf(verify ? "SELFTEST: blk persist ok\n" : "SELFTEST: blk rw ok\n");
	else
		kprintf("ktest: blk %s FAILED: %s\n", verify ? "persist" : "rw",
			cairn_strerror(err));
	/* A read-only claim of a writable disk refuses writes too. */
	if (!err && (err = vblk_release(bd)) == 0 &&
	    (err = vblk_claim("scratch", true, &bd)) == 0) {
		err = blk_expect_rofs(bd);
		(void)vblk_release(bd);
	}
	return err ? 1 : 0;
}

static int test_blk_ro(void)
{
	struct blkdev *bd;
	int err = vblk_claim("ro", false, &bd);
	if (err == CAIRN_ENOENT)
		return 0;
	if (!err && !bd->info.read_only) {
		kprintf("ktest: blk disk 'ro' does not report read-only\n");
		err = CAIRN_EIO;
	}
	if (!err)
		err = blk_expect_rofs(bd);
	if (err) {
		kprintf("ktest: blk ro FAILED: %s\n", cairn_strerror(err));
		return 1;
	}
	kprintf("SELFTEST: blk ro enforced ok\n");
	return 0;
}

int selftest_blk(void) { return test_blk_rw() + test_blk_ro(); }
