/* statefs index checkpoints (issue 18): a mount starts from the newest checkpoint
 * and replays only the records after it, with the same index as a full replay; a
 * damaged or hostile (CRC-valid but inconsistent) checkpoint falls back to the
 * previous one or a full replay and says so; a damaged checkpoint nobody names
 * is stepped over, never ends the chain; damage after a checkpoint is still
 * DAMAGED, damage before it is never returned (get fails, check reports it); a
 * lost checkpoint superblock loses nothing; version-2 superblocks still mount
 * and are upgraded, version 1 is refused. */
#include "crypto.h"
#include "sfs_testutil.h"

#define HDR 32u
#define RS 4096u /* region sectors */

/* Device under test: a memory device and the store's geometry. */
struct tdev {
	struct blkdev_mem m;
	uint32_t ss;
};

/* mount_ck: mount with a small checkpoint interval (flags as given). */
static struct statefs *mount_ck(struct tdev *t, uint32_t flags, uint32_t interval,
				struct statefs_replay_report *rep)
{
	struct statefs_config cfg = { .bdev = &t->m.dev,
				      .flags = flags,
				      .ckpt_interval = interval };
	struct statefs *fs = NULL;
	int err = statefs_mount(&fs, &cfg, rep);
	ck_assert_msg(err == 0, "mount: %s", cairn_strerror(err));
	return fs;
}

/* key_of / val_of: the workload's key i and its value at round r. */
static void key_of(int i, char *k, size_t n) { snprintf(k, n, "/state/ck/key-%05d", i); }
static void val_of(int i, int r, char *v, size_t n)
{
	snprintf(v, n, "v%d-%d-%0*d", i, r, i % 40, 0);
}

/* fill: rounds of puts over nkeys keys, a sync every 50 puts. */
static void fill(struct statefs *fs, int nkeys, int rounds)
{
	char k[64], v[96];
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < nkeys; i++) {
			key_of(i, k, sizeof(k));
			val_of(i, r, v, sizeof(v));
			ck_assert_int_eq(put_str(fs, k, v), 0);
			if (i % 50 == 49)
				ck_assert_int_eq(statefs_sync(fs), 0);
		}
	ck_assert_int_eq(statefs_sync(fs), 0);
}

/* expect_all: every key holds its value of the last round. */
static void expect_all(struct statefs *fs, int nkeys, int round)
{
	char k[64], v[96];
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_uint_eq(st.keys, (uint64_t)nkeys);
	for (int i = 0; i < nkeys; i++) {
		key_of(i, k, sizeof(k));
		val_of(i, round, v, sizeof(v));
		expect_str(fs, k, v);
	}
}

/* region: byte at offset off of journal region r. */
static uint8_t *region(struct tdev *t, uint32_t r, uint64_t off)
{
	return t->m.data + (2 + (uint64_t)r * RS) * t->ss + off;
}

/* recrc: recompute the CRC of the record at p (after a deliberate edit). */
static void recrc(uint8_t *p)
{
	uint32_t klen = (uint32_t)p[6] | (uint32_t)p[7] << 8;
	uint32_t vlen = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
			(uint32_t)p[11] << 24;
	uint32_t crc = crypto_crc32c(0, p, 28);
	crc = crypto_crc32c(crc, p + HDR, klen + vlen);
	for (int b = 0; b < 4; b++)
		p[28 + b] = (uint8_t)(crc >> (8 * b));
}

/* build: a store of nkeys keys, `rounds` rounds, checkpoints every 16 KiB. */
static void build(struct tdev *t, uint32_t ss, int nkeys, int rounds)
{
	t->ss = ss;
	ck_assert_int_eq(blkdev_mem_init(&t->m, ss, 2 + 2 * RS), 0);
	struct statefs *fs = mount_ck(t, STATEFS_MOUNT_FORMAT_EMPTY, 16384, NULL);
	fill(fs, nkeys, rounds);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_uint_ge(st.checkpoints, 1);
	ck_assert_int_eq(statefs_unmount(fs), 0);
}

/* test_statefs_ckpt_mount_replays_only_after: 3,000 keys (a checkpoint of two
 * chunks, with a committed full buffer between them at 512-byte sectors): the
 * mount starts from the newest checkpoint, replays fewer records than were
 * written, serves every value, and check (a full replay) finds the same index. */
START_TEST(test_statefs_ckpt_mount_replays_only_after)
{
	struct tdev t;
	uint32_t ss = _i ? 4096 : 512;
	build(&t, ss, 3000, 2);
	struct statefs_replay_report rep;
	struct statefs *fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	ck_assert_uint_eq(rep.checkpoint_damaged, 0);
	ck_assert_uint_eq(rep.checkpoint_keys, 3000);
	ck_assert_uint_lt(rep.records_replayed * 4, 6000);
	ck_assert(rep.clean);
	expect_all(fs, 3000, 1);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_OK);
	ck_assert_uint_ge(cr.records_checked, 6000);
	/* and the store keeps working from there */
	ck_assert_int_eq(put_str(fs, "/state/ck/new", "n"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_ck(&t, 0, 16384, &rep);
	expect_str(fs, "/state/ck/new", "n");
	ck_assert_int_eq(statefs_check(fs, NULL), 0);
	statefs_abandon(fs);
	blkdev_mem_fini(&t.m);
}
END_TEST

/* Edits of the newest checkpoint's first chunk (offsets from its record start). */
static const struct {
	const char *what;
	unsigned off;
	uint8_t bit;
	bool fix_crc; /* recompute the CRC: a hostile, self-consistent chunk */
} edits[] = {
	{ "magic", 0, 0x01, false },
	{ "crc", 28, 0x80, false },
	{ "chunk-count", HDR + 4, 0x01, false },
	{ "entry-key", HDR + 24 + 14 + 9, 0x02, false },
	{ "entry-off-hostile", HDR + 24 + 6 + 3, 0x7f, true },
	{ "entry-key-order-hostile", HDR + 24 + 14 + 14, 0x01, true },
	{ "entry-key-invalid-hostile", HDR + 24 + 14 + 1, 0x20, true },
	{ "total-hostile", HDR + 12, 0x01, true },
	{ "chunk-seq-hostile", HDR + 16, 0x01, true },
};

/* test_statefs_ckpt_damaged_falls_back: one damaged (or hostile, CRC-valid) newest
 * checkpoint: the mount says so (damaged bit 0, checkpoint "previous"), serves
 * every value, and check reports the checkpoint; both damaged: a full replay that
 * steps over them, still clean and complete. Never a stale or wrong value. */
START_TEST(test_statefs_ckpt_damaged_falls_back)
{
	struct tdev t;
	build(&t, 512, 400, 6);
	struct statefs_replay_report rep;
	struct statefs *fs = mount_ck(&t, STATEFS_MOUNT_READ_ONLY, 16384, &rep);
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	uint64_t newest = rep.checkpoint_offset;
	uint32_t r = rep.region;
	statefs_abandon(fs);
	uint8_t *p = region(&t, r, newest);
	p[edits[_i].off] ^= edits[_i].bit;
	if (edits[_i].fix_crc)
		recrc(p);
	fs = mount_ck(&t, STATEFS_MOUNT_READ_ONLY, 16384, &rep);
	ck_assert_msg(rep.checkpoint == STATEFS_CKPT_PREVIOUS, "%s: checkpoint %s", edits[_i].what,
		      statefs_ckpt_use_name(rep.checkpoint));
	ck_assert_uint_eq(rep.checkpoint_damaged, 1);
	ck_assert_uint_lt(rep.checkpoint_offset, newest);
	ck_assert_msg(rep.clean, "%s: class %s", edits[_i].what,
		      statefs_mount_class_name(rep.mount_class));
	expect_all(fs, 400, 5);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_CHECKPOINT);
	uint64_t prev = rep.checkpoint_offset;
	statefs_abandon(fs);
	/* the previous one too: a full replay */
	region(&t, r, prev)[28] ^= 0x04;
	fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_FULL_REPLAY);
	ck_assert_uint_eq(rep.checkpoint_damaged, 3);
	ck_assert_msg(rep.clean, "%s: full replay class %s (%s)", edits[_i].what,
		      statefs_mount_class_name(rep.mount_class),
		      statefs_stop_reason_name(rep.stop_reason));
	expect_all(fs, 400, 5);
	/* the store stays writable; new checkpoints replace the damaged ones */
	fill(fs, 400, 1);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	ck_assert_uint_eq(rep.checkpoint_damaged, 0);
	expect_all(fs, 400, 0);
	ck_assert_int_eq(statefs_check(fs, NULL), 0);
	statefs_abandon(fs);
	blkdev_mem_fini(&t.m);
}
END_TEST

/* test_statefs_ckpt_record_damage_classes: a flipped value byte in a synced record
 * after the newest checkpoint, with synced records after it, is DAMAGED as
 * without checkpoints (refused, never written); the same flip in a live record
 * before the checkpoint is not read by the mount: get fails with EBADMSG (the
 * corrupt value is never returned), other keys are served and check reports
 * DAMAGED (its full replay stops there). */
START_TEST(test_statefs_ckpt_record_damage_classes)
{
	struct tdev t;
	build(&t, 512, 300, 1); /* round 0: one checkpoint or more, at syncs */
	struct statefs_replay_report rep;
	struct statefs *fs = mount_ck(&t, 0, 1u << 30, &rep); /* no more checkpoints at syncs */
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	uint64_t ck = rep.checkpoint_offset;
	uint32_t r = rep.region;
	char k[64], v[96];
	for (int i = 0; i < 20; i++) { /* synced records after the checkpoint */
		key_of(1000 + i, k, sizeof(k));
		ck_assert_int_eq(put_str(fs, k, "after"), 0);
		ck_assert_int_eq(statefs_sync(fs), 0);
	}
	statefs_abandon(fs);
	/* the key of the first record after the checkpoint's sector run */
	uint8_t *base = region(&t, r, 0);
	uint64_t after = 0, before = 0;
	for (uint64_t o = ck; o < RS * 512 - 64 && !after; o += 512)
		if (memcmp(base + o + HDR, "/state/ck/key-01005", 19) == 0)
			after = o;
	for (uint64_t o = 0; o < ck && !before; o++)
		if (memcmp(base + o, "/state/ck/key-00007", 19) == 0)
			before = o - HDR;
	ck_assert(after && before);
	size_t bytes = (size_t)t.m.dev.info.sector_count * 512;
	uint8_t *img = malloc(bytes);
	memcpy(img, t.m.data, bytes);
	base[after + HDR + 20] ^= 0x01; /* the value of key-01005 */
	fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_DAMAGED, "after: class %s",
		      statefs_mount_class_name(rep.mount_class));
	ck_assert(rep.refused);
	ck_assert_int_eq(put_str(fs, "/state/ck/x", "x"), CAIRN_EROFS);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_uint_eq(st.keys, 305); /* the checkpoint's 300 and key-01000..01004 */
	expect_str(fs, "/state/ck/key-01004", "after");
	ck_assert_int_eq(statefs_size(fs, "/state/ck/key-01005"), CAIRN_ENOENT);
	statefs_abandon(fs);
	memcpy(t.m.data, img, bytes);
	base[before + HDR + 19 + 1] ^= 0x01; /* the value of key-00007 */
	fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert(rep.clean && rep.checkpoint == STATEFS_CKPT_NEWEST);
	key_of(7, k, sizeof(k));
	ck_assert_int_eq(statefs_get(fs, k, v, sizeof(v)), CAIRN_EBADMSG);
	expect_str(fs, "/state/ck/key-00006", "v6-0-000000");
	expect_str(fs, "/state/ck/key-01019", "after");
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), CAIRN_EBADMSG);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_RECORD); /* the live record itself */
	ck_assert_uint_eq(cr.bad_offset, before);
	statefs_abandon(fs);
	free(img);
	blkdev_mem_fini(&t.m);
}
END_TEST

/* sb_gen: generation of superblock copy c. */
static uint64_t sb_gen(struct tdev *t, unsigned c)
{
	uint64_t g = 0;
	for (int b = 7; b >= 0; b--)
		g = g << 8 | t->m.data[(size_t)c * t->ss + 24 + (unsigned)b];
	return g;
}

/* test_statefs_ckpt_lost_super_loses_nothing: the superblock naming the newest
 * checkpoint is lost (bit rot): the other copy is in force, its checkpoint (or a
 * full replay) plus the records after it give every synced value, clean; the
 * chunks of the unnamed checkpoint replay as records that change no key. */
START_TEST(test_statefs_ckpt_lost_super_loses_nothing)
{
	struct tdev t;
	build(&t, 512, 400, 6);
	unsigned newest = sb_gen(&t, 0) > sb_gen(&t, 1) ? 0 : 1;
	t.m.data[(size_t)newest * 512 + 100] ^= 0x10; /* a checkpoint field of the newest */
	struct statefs_replay_report rep;
	struct statefs *fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert_msg(rep.clean, "class %s", statefs_mount_class_name(rep.mount_class));
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST); /* the older copy's newest */
	expect_all(fs, 400, 5);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_SUPER_COPY);
	statefs_abandon(fs);
	blkdev_mem_fini(&t.m);
}
END_TEST

/* test_statefs_ckpt_unnamed_damaged_stepped_over: a damaged checkpoint the
 * superblock does not name (here: the newest superblock forgets it) with synced
 * records after it: the walk steps over it (it changes no key) instead of ending
 * the chain, counts it, the mount is clean with every value, check reports the
 * checkpoint, and the first sync of a writable session compacts it away. */
START_TEST(test_statefs_ckpt_unnamed_damaged_stepped_over)
{
	struct tdev t;
	build(&t, 512, 400, 6);
	struct statefs_replay_report rep;
	struct statefs *fs = mount_ck(&t, 0, 1u << 30, &rep);
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	uint64_t newest = rep.checkpoint_offset;
	uint32_t r = rep.region;
	char k[64], v[96];
	for (int i = 0; i < 400; i++) { /* round 6, synced, after the checkpoint */
		key_of(i, k, sizeof(k));
		val_of(i, 6, v, sizeof(v));
		ck_assert_int_eq(put_str(fs, k, v), 0);
	}
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	/* the newest superblock: slot 1 moves to slot 0, the newest checkpoint is unnamed */
	unsigned c = sb_gen(&t, 0) > sb_gen(&t, 1) ? 0 : 1;
	uint8_t *sb = t.m.data + (size_t)c * 512;
	memmove(sb + 96, sb + 120, 24);
	memset(sb + 120, 0, 24);
	uint32_t crc = crypto_crc32c(0, sb, 144);
	for (int b = 0; b < 4; b++)
		sb[144 + b] = (uint8_t)(crc >> (8 * b));
	region(&t, r, newest)[HDR + 24 + 5] ^= 0x01; /* its payload: the CRC fails */
	fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert_msg(rep.clean, "class %s (%s)", statefs_mount_class_name(rep.mount_class),
		      statefs_stop_reason_name(rep.stop_reason));
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	ck_assert_uint_lt(rep.checkpoint_offset, newest);
	ck_assert_uint_eq(rep.ckpt_records_skipped, 1);
	expect_all(fs, 400, 6);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_CHECKPOINT);
	ck_assert_int_eq(put_str(fs, "/state/ck/new", "n"), 0);
	ck_assert_int_eq(statefs_sync(fs), 0); /* compacts the damaged one away */
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_uint_eq(st.compactions, 1);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_ck(&t, 0, 16384, &rep);
	ck_assert(rep.clean && rep.ckpt_records_skipped == 0 && rep.checkpoint_damaged == 0);
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_OK);
	expect_str(fs, "/state/ck/new", "n");
	statefs_abandon(fs);
	blkdev_mem_fini(&t.m);
}
END_TEST

/* to_v2: rewrite superblock copy c in the version-2 layout (100 bytes, CRC at 96). */
static void to_v2(struct tdev *t, unsigned c, uint32_t version)
{
	uint8_t *p = t->m.data + (size_t)c * t->ss;
	p[8] = (uint8_t)version;
	memset(p + 96, 0, 52);
	uint32_t crc = crypto_crc32c(0, p, 96);
	for (int b = 0; b < 4; b++)
		p[96 + b] = (uint8_t)(crc >> (8 * b));
}

/* test_statefs_ckpt_v2_store_mounts: a version-2 store (no checkpoint fields)
 * mounts with a full replay and the first session writes version-3 superblocks;
 * a version-1 superblock is refused (corrupt, EBADMSG). */
START_TEST(test_statefs_ckpt_v2_store_mounts)
{
	struct tdev t = { .ss = 512 };
	ck_assert_int_eq(blkdev_mem_init(&t.m, 512, 2 + 2 * RS), 0);
	struct statefs *fs =
		mount_ck(&t, STATEFS_MOUNT_FORMAT_EMPTY | STATEFS_MOUNT_NO_CHECKPOINT, 0, NULL);
	fill(fs, 100, 1);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	to_v2(&t, 0, 2);
	to_v2(&t, 1, 2);
	struct statefs_replay_report rep;
	fs = mount_ck(&t, 0, 4096, &rep);
	ck_assert(rep.clean && rep.checkpoint == STATEFS_CKPT_NONE);
	ck_assert_uint_eq(rep.records_replayed, 100);
	expect_all(fs, 100, 0);
	fill(fs, 100, 1);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	unsigned newest = sb_gen(&t, 0) > sb_gen(&t, 1) ? 0 : 1;
	ck_assert_int_eq(t.m.data[(size_t)newest * 512 + 8], 3);
	fs = mount_ck(&t, 0, 4096, &rep);
	ck_assert_int_eq(rep.checkpoint, STATEFS_CKPT_NEWEST);
	expect_all(fs, 100, 0);
	statefs_abandon(fs);
	to_v2(&t, 0, 1);
	to_v2(&t, 1, 1);
	struct statefs_config cfg = { .bdev = &t.m.dev };
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), CAIRN_EBADMSG);
	blkdev_mem_fini(&t.m);
}
END_TEST

/* ckpt_suite: the test cases of this file. */
static Suite *ckpt_suite(void)
{
	Suite *s = suite_create("statefs_ckpt");
	TCase *tc = tcase_create("ckpt");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_statefs_ckpt_mount_replays_only_after, 0, 2);
	tcase_add_loop_test(tc, test_statefs_ckpt_damaged_falls_back, 0,
			    sizeof(edits) / sizeof(edits[0]));
	tcase_add_test(tc, test_statefs_ckpt_record_damage_classes);
	tcase_add_test(tc, test_statefs_ckpt_lost_super_loses_nothing);
	tcase_add_test(tc, test_statefs_ckpt_unnamed_damaged_stepped_over);
	tcase_add_test(tc, test_statefs_ckpt_v2_store_mounts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(ckpt_suite()); }
