/* statefs damage classes (issue 13 findings 3, 4, 5, 7, 9): mid-log damage with
 * synced records after it is DAMAGED and served read-only, never overwritten; a
 * lost newest superblock after a region switch or a session start is ROLLED_BACK
 * and served read-only; the operator actions repair them; a sync never rewrites a
 * sector holding synced records; superblock geometry with sector_count < 2 is
 * refused; replay honours max_keys. */
#include "crypto.h"
#include "powercut.h"
#include "sfs_testutil.h"

#define HDR 32u
#define NREC 12

/* region_a: byte off of journal region A of a memory device. */
static uint8_t *region_a(struct blkdev_mem *m, uint64_t off)
{
	return m->data + 2 * (uint64_t)m->dev.info.sector_size + off;
}

/* fill_synced: NREC keys "/state/d/NN" = "value-NN", a sync after each put, so
 * every record but the first follows a flush (DURABLE) at a sector boundary. */
static void fill_synced(struct statefs *fs)
{
	char key[32], val[32];
	for (int i = 0; i < NREC; i++) {
		snprintf(key, sizeof(key), "/state/d/%02d", i);
		snprintf(val, sizeof(val), "value-%02d", i);
		ck_assert_int_eq(put_str(fs, key, val), 0);
		ck_assert_int_eq(statefs_sync(fs), 0);
	}
}

/* Where a mid-log flip lands in record 5 (at region offset 5 * 512). */
static const struct {
	const char *what;
	unsigned off;
	uint8_t bit;
} flips[] = {
	{ "magic", 0, 0x01 }, { "epoch", 12, 0x01 },	       { "epoch-high", 19, 0x40 },
	{ "seq", 20, 0x02 },  { "key_len", 6, 0x10 },	       { "value_len", 9, 0x01 },
	{ "crc", 28, 0x80 },  { "value", HDR + 11 + 3, 0x04 },
};

/* test_statefs_midlog_damage_is_reported: finding 3. One flipped bit in a synced
 * record in the middle of the journal: the mount is DAMAGED (not clean), served
 * read-only, check fails, the disk is never written, and later keys are not
 * replaced by older values. --discard-damaged (statefs_discard_damaged) then keeps
 * what replayed and the store is clean and writable. */
START_TEST(test_statefs_midlog_damage_is_reported)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	fill_synced(fs);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	*region_a(&m, 5 * 512 + flips[_i].off) ^= flips[_i].bit;
	size_t bytes = 512 * (size_t)m.dev.info.sector_count;
	uint8_t *before = malloc(bytes);
	memcpy(before, m.data, bytes);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_msg(!rep.clean, "%s: replay called mid-log damage clean", flips[_i].what);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_DAMAGED, "%s: class %s", flips[_i].what,
		      statefs_mount_class_name(rep.mount_class));
	ck_assert(rep.refused);
	ck_assert_int_eq(rep.records_replayed, 5);
	ck_assert_int_eq(put_str(fs, "/state/d/new", "x"), CAIRN_EROFS);
	ck_assert_int_eq(statefs_delete(fs, "/state/d/00"), CAIRN_EROFS);
	ck_assert_int_eq(statefs_truncate_tail(fs), CAIRN_EROFS);
	ck_assert_int_eq(statefs_sync(fs), 0);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), CAIRN_EBADMSG);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_DAMAGED);
	expect_str(fs, "/state/d/04", "value-04");
	ck_assert_int_eq(statefs_size(fs, "/state/d/05"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	ck_assert_msg(memcmp(before, m.data, bytes) == 0, "%s: a damaged store was written",
		      flips[_i].what);
	/* the explicit operator action */
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(statefs_discard_damaged(fs), 0);
	ck_assert_int_eq(put_str(fs, "/state/d/new", "x"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_CLEAN, "after discard: %s",
		      statefs_mount_class_name(rep.mount_class));
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_OK);
	expect_str(fs, "/state/d/04", "value-04");
	expect_str(fs, "/state/d/new", "x");
	statefs_abandon(fs);
	free(before);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_unsynced_tear_is_torn_tail: the same byte damage in records that
 * were never synced (one sync at the end is missing) is a torn tail: read-write,
 * and the store keeps working -- damage detection must not turn every crash into
 * a read-only store. */
START_TEST(test_statefs_unsynced_tear_is_torn_tail)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	char key[32];
	for (int i = 0; i < NREC; i++) {
		snprintf(key, sizeof(key), "/state/u/%02d", i);
		ck_assert_int_eq(put_str(fs, key, "v"), 0);
	}
	ck_assert_int_eq(statefs_unmount(fs), 0);
	*region_a(&m, 5 * (HDR + 11 + 1) + 1) ^= 1; /* record 5's magic */
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.mount_class, STATEFS_CLASS_TORN_TAIL);
	ck_assert(!rep.clean && !rep.refused);
	ck_assert_int_eq(rep.records_replayed, 5);
	ck_assert_int_eq(put_str(fs, "/state/u/99", "w"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.mount_class, STATEFS_CLASS_CLEAN);
	expect_str(fs, "/state/u/99", "w");
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* newest_copy: the superblock copy (0/1) with the higher generation. */
static unsigned newest_copy(const uint8_t *img, uint32_t ss)
{
	uint64_t g[2] = { 0, 0 };
	for (unsigned i = 0; i < 2; i++)
		for (int b = 7; b >= 0; b--)
			g[i] = (g[i] << 8) | img[i * ss + 24 + (unsigned)b];
	return g[1] > g[0];
}

/* test_statefs_lost_super_after_switch_rolled_back: finding 4. After compactions
 * and writes in the new region, the newest superblock copy is damaged: mount
 * falls back to the older copy, which names the superseded region. It must be
 * ROLLED_BACK, read-only and never written; --roll-forward brings the newest
 * state back. Loop 1 damages the newest copy right after a session start instead
 * (records newer than the superblock in the same region). */
START_TEST(test_statefs_lost_super_rolled_back)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 16), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	uint8_t v[1500];
	char key[32];
	int ver = 0;
	struct statefs_stats st;
	do { /* 16-sector regions: a few 1.5 KB puts force a switch */
		ver++;
		for (int k = 0; k < 3; k++) {
			snprintf(key, sizeof(key), "/state/r/%d", k);
			memset(v, 'a' + ver % 26, sizeof(v));
			ck_assert_int_eq(statefs_put(fs, key, v, sizeof(v)), 0);
		}
		ck_assert_int_eq(statefs_sync(fs), 0);
		statefs_stats(fs, &st);
	} while (st.compactions < 2);
	ck_assert_int_eq(put_str(fs, "/state/r/last", "after-switch"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	if (_i == 1) { /* one more session, so the newest copy is a session start */
		fs = mount_dev(&m.dev, 0, NULL);
		ck_assert_int_eq(put_str(fs, "/state/r/last", "new-session"), 0);
		ck_assert_int_eq(statefs_unmount(fs), 0);
	}
	m.data[newest_copy(m.data, 512) * 512 + 40] ^= 0x20;
	size_t bytes = 512 * (size_t)m.dev.info.sector_count;
	uint8_t *before = malloc(bytes);
	memcpy(before, m.data, bytes);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_ROLLED_BACK, "class %s (reason %s)",
		      statefs_mount_class_name(rep.mount_class),
		      statefs_stop_reason_name(rep.stop_reason));
	ck_assert(!rep.clean && rep.refused);
	ck_assert_int_eq(put_str(fs, "/state/r/x", "x"), CAIRN_EROFS);
	ck_assert_int_eq(statefs_truncate_tail(fs), CAIRN_EROFS);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), CAIRN_EBADMSG);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_ROLLED_BACK);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	ck_assert_msg(memcmp(before, m.data, bytes) == 0, "a rolled-back store was written");
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(statefs_discard_damaged(fs), CAIRN_EINVAL); /* wrong action */
	ck_assert_int_eq(statefs_roll_forward(fs), 0);
	statefs_abandon(fs);
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_CLEAN, "after roll-forward: %s",
		      statefs_mount_class_name(rep.mount_class));
	expect_str(fs, "/state/r/last", _i ? "new-session" : "after-switch");
	memset(v, 'a' + ver % 26, sizeof(v));
	uint8_t back[1500];
	ck_assert_int_eq(statefs_get(fs, "/state/r/2", back, sizeof(back)), (int)sizeof(back));
	ck_assert(memcmp(v, back, sizeof(v)) == 0);
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(put_str(fs, "/state/r/x", "x"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	free(before);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_damage_after_compaction_reported: corruption of a record that a
 * compaction copied (before the superblock's durable_end) is DAMAGED even with
 * nothing flagged after it, at either end of the copied live set. */
START_TEST(test_statefs_damage_after_compaction_reported)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 16), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	uint8_t v[700];
	char key[32];
	struct statefs_stats st;
	for (int i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "/state/a/%d", i % 5);
		memset(v, 'a' + i % 26, sizeof(v));
		ck_assert_int_eq(statefs_put(fs, key, v, sizeof(v)), 0);
		statefs_stats(fs, &st);
		if (st.compactions >= 3 && st.tail <= 4096)
			break; /* just after a compaction: the region is mostly the copied set */
	}
	ck_assert_uint_ge(st.compactions, 3);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, STATEFS_MOUNT_READ_ONLY, &rep);
	uint32_t region = rep.region;
	statefs_abandon(fs);
	uint64_t at = _i ? 4 * (HDR + 9 + 700) - 100
			 : 40; /* in the first or the fourth copied record */
	m.data[(2 + (uint64_t)region * 16) * 512 + at] ^= 0x08;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_DAMAGED, "class %s (reason %s)",
		      statefs_mount_class_name(rep.mount_class),
		      statefs_stop_reason_name(rep.stop_reason));
	ck_assert(rep.refused && !rep.clean);
	ck_assert_int_eq(put_str(fs, "/state/a/x", "x"), CAIRN_EROFS);
	ck_assert_int_eq(statefs_check(fs, NULL), CAIRN_EBADMSG);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_crashed_compaction_not_rollback: a compaction that never switched
 * (power cut before its superblock write) leaves a newer epoch in the idle region;
 * that is not a rollback: the mount is clean and writable. */
START_TEST(test_statefs_crashed_compaction_not_rollback)
{
	struct powercut pc;
	ck_assert_int_eq(powercut_init(&pc, 512, 2 + 2 * 16, NULL), 0);
	struct statefs *fs = mount_dev(&pc.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	uint8_t v[1500];
	memset(v, 'q', sizeof(v));
	int cut_found = 0;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(statefs_put(fs, i ? "/state/c/b" : "/state/c/a", v, sizeof(v)), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	uint8_t *img = malloc(powercut_bytes(&pc));
	for (uint64_t cut = 1; cut < 12; cut++) {
		struct powercut d;
		ck_assert_int_eq(powercut_init(&d, 512, 2 + 2 * 16, pc.durable), 0);
		fs = mount_dev(&d.dev, 0, NULL);
		powercut_arm(&d, cut);
		for (int i = 0; i < 6; i++)
			(void)statefs_put(fs, "/state/c/a", v, sizeof(v));
		statefs_abandon(fs);
		bool sb_pending = false;
		for (size_t i = 0; i < d.npending; i++)
			sb_pending |= d.pending[i].lba < 2;
		powercut_image(&d, POWERCUT_DROP, cut, img);
		struct powercut e;
		ck_assert_int_eq(powercut_init(&e, 512, 2 + 2 * 16, img), 0);
		struct statefs_replay_report rep;
		fs = mount_dev(&e.dev, 0, &rep);
		ck_assert_msg(rep.mount_class <= STATEFS_CLASS_TORN_TAIL, "cut %llu: class %s",
			      (unsigned long long)cut, statefs_mount_class_name(rep.mount_class));
		ck_assert_int_eq(statefs_put(fs, "/state/c/z", v, 10), 0);
		ck_assert_int_eq(statefs_unmount(fs), 0);
		cut_found += sb_pending;
		powercut_fini(&e);
		powercut_fini(&d);
	}
	ck_assert_int_gt(cut_found, 0);
	free(img);
	powercut_fini(&pc);
}
END_TEST

/* test_statefs_sync_never_rewrites_synced_sector: finding 5. 40 small puts, each
 * synced: a sector of region A that held synced records keeps exactly those
 * bytes in every later durable image; and a sync whose write lands as garbage
 * never loses a record synced before it. */
START_TEST(test_statefs_sync_never_rewrites_synced_sector)
{
	struct powercut pc;
	uint32_t ss = 512;
	uint64_t count = 2 + 2 * 64;
	ck_assert_int_eq(powercut_init(&pc, ss, count, NULL), 0);
	struct statefs *fs = mount_dev(&pc.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	size_t bytes = powercut_bytes(&pc);
	uint8_t *prev = calloc(1, bytes), *img = malloc(bytes);
	char key[32];
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "/state/s/%02d", i);
		ck_assert_int_eq(put_str(fs, key, "synced-value"), 0);
		ck_assert_int_eq(statefs_sync(fs), 0);
		for (uint64_t lba = 2; lba < 2 + 64; lba++) {
			bool held = false;
			for (uint32_t b = 0; b < ss && !held; b++)
				held = prev[lba * ss + b] != 0;
			ck_assert_msg(
				!held || memcmp(prev + lba * ss, pc.durable + lba * ss, ss) == 0,
				"sync %d rewrote synced sector %llu", i, (unsigned long long)lba);
		}
		memcpy(prev, pc.durable, bytes);
	}
	/* the next sync's write lands as garbage */
	ck_assert_int_eq(put_str(fs, "/state/s/zz", "unsynced"), 0);
	powercut_arm(&pc, 1); /* the write goes through, its flush fails */
	(void)statefs_sync(fs);
	statefs_abandon(fs);
	ck_assert_uint_ge(powercut_pending_sectors(&pc), 1);
	uint8_t choice[64];
	memset(choice, POWERCUT_SECTOR_GARBAGE, sizeof(choice));
	powercut_image_choice(&pc, choice, 7, img);
	struct powercut d;
	ck_assert_int_eq(powercut_init(&d, ss, count, img), 0);
	struct statefs_replay_report rep;
	fs = mount_dev(&d.dev, 0, &rep);
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "/state/s/%02d", i);
		expect_str(fs, key, "synced-value");
	}
	ck_assert_int_le(rep.mount_class, STATEFS_CLASS_TORN_TAIL);
	statefs_abandon(fs);
	powercut_fini(&d);
	free(prev);
	free(img);
	powercut_fini(&pc);
}
END_TEST

/* put_super: encode a superblock (docs/statefs.md layout) into copy `copy`. */
static void put_super(uint8_t *img, uint32_t ss, unsigned copy, uint64_t count, uint64_t rs,
		      uint64_t gen)
{
	uint8_t *p = img + copy * ss;
	memset(p, 0, ss);
	memcpy(p, "CAIRNSFS", 8);
	uint64_t f[] = { 2, ss, count, gen, 2, 2 + rs, rs, 0, 1, 1, 1, 0 };
	p[8] = (uint8_t)f[0];
	for (int b = 0; b < 4; b++)
		p[12 + b] = (uint8_t)(f[1] >> (8 * b));
	for (int i = 0; i < 6; i++)
		for (int b = 0; b < 8; b++)
			p[16 + 8 * i + b] = (uint8_t)(f[2 + i] >> (8 * b));
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 8; b++)
			p[64 + 8 * i + b] = (uint8_t)(f[8 + i] >> (8 * b));
	uint32_t crc = crypto_crc32c(0, p, 96);
	for (int b = 0; b < 4; b++)
		p[96 + b] = (uint8_t)(crc >> (8 * b));
}

/* test_statefs_super_geometry_underflow: finding 7. sector_count 0 or 1 with huge
 * regions on a 12-sector device must not decode as valid (it wrapped to a huge
 * bound); the mount reports corruption (EBADMSG), not an I/O error. Loop 2 is
 * the control: a sane superblock built the same way mounts. */
START_TEST(test_statefs_super_geometry_underflow)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 12), 0);
	uint64_t count = _i == 2 ? 12 : (uint64_t)_i, rs = _i == 2 ? 5 : 1000;
	put_super(m.data, 512, 0, count, rs, 1);
	put_super(m.data, 512, 1, count, rs, 2);
	struct statefs_config cfg = { .bdev = &m.dev };
	struct statefs *fs = NULL;
	int err = statefs_mount(&fs, &cfg, NULL);
	if (_i == 2) {
		ck_assert_msg(err == 0, "control superblock: %s", cairn_strerror(err));
		statefs_abandon(fs);
	} else {
		ck_assert_msg(err == CAIRN_EBADMSG, "sector_count=%llu: %s",
			      (unsigned long long)count, cairn_strerror(err));
	}
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_replay_honours_max_keys: finding 9. A journal with 40 keys mounted
 * with max_keys 25: replay indexes at most 25 (key-cap), the mount is DAMAGED and
 * read-only (valid records follow), and check says so. */
START_TEST(test_statefs_replay_honours_max_keys)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	char key[32];
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "/state/k/%02d", i);
		ck_assert_int_eq(put_str(fs, key, "v"), 0);
	}
	ck_assert_int_eq(statefs_unmount(fs), 0);
	struct statefs_config cfg = { .bdev = &m.dev, .max_keys = 25 };
	struct statefs_replay_report rep;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, &rep), 0);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_uint_le(st.keys, 25);
	ck_assert_int_eq(rep.stop_reason, STATEFS_STOP_KEY_CAP);
	ck_assert_int_eq(rep.mount_class, STATEFS_CLASS_DAMAGED);
	ck_assert(rep.refused);
	ck_assert_int_eq(put_str(fs, "/state/k/00", "w"), CAIRN_EROFS);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* damage_suite: the test cases of this file. */
static Suite *damage_suite(void)
{
	Suite *s = suite_create("statefs_damage");
	TCase *tc = tcase_create("damage");
	tcase_add_loop_test(tc, test_statefs_midlog_damage_is_reported, 0,
			    sizeof(flips) / sizeof(flips[0]));
	tcase_add_test(tc, test_statefs_unsynced_tear_is_torn_tail);
	tcase_add_loop_test(tc, test_statefs_lost_super_rolled_back, 0, 2);
	tcase_add_test(tc, test_statefs_crashed_compaction_not_rollback);
	tcase_add_loop_test(tc, test_statefs_damage_after_compaction_reported, 0, 2);
	tcase_add_test(tc, test_statefs_sync_never_rewrites_synced_sector);
	tcase_add_loop_test(tc, test_statefs_super_geometry_underflow, 0, 3);
	tcase_add_test(tc, test_statefs_replay_honours_max_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(damage_suite()); }
