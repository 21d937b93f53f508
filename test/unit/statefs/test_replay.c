/* statefs replay: CRC mismatch and truncated tails stop replay at the last valid
 * record, multi-sector records, torn batches, the record cap, torn superblock
 * writes, and garbage after a torn tail never coming back to life. */
#include "powercut.h"
#include "sfs_testutil.h"

#define HDR 32u /* record header bytes (docs/statefs.md) */

/* region_byte: pointer to byte off of journal region A of a memory device. */
static uint8_t *region_byte(struct blkdev_mem *m, uint64_t off)
{
	return m->data + 2 * (uint64_t)m->dev.info.sector_size + off;
}

/* fill10: ten one-record puts "/state/r/N" = "value-N" (17-byte records +...). */
static void fill10(struct statefs *fs)
{
	char key[32], val[32];
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/state/r/%d", i);
		snprintf(val, sizeof(val), "value-%d", i);
		ck_assert_int_eq(put_str(fs, key, val), 0);
	}
	ck_assert_int_eq(statefs_sync(fs), 0);
}

/* rec10_len: length of each record written by fill10. */
static const uint64_t rec10_len = HDR + 10 + 7;

/* test_statefs_crc_mismatch_stops_replay: a flipped bit in record 5 stops there. */
START_TEST(test_statefs_crc_mismatch_stops_replay)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	fill10(fs);
	statefs_abandon(fs);
	*region_byte(&m, 5 * rec10_len + HDR + 12) ^= 0x10; /* inside value of record 5 */
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.stop_reason, STATEFS_STOP_BAD_CRC);
	ck_assert_int_eq(rep.records_replayed, 5);
	ck_assert_int_eq(rep.bad_record_index, 5);
	ck_assert_int_eq(rep.stop_offset, 5 * rec10_len);
	ck_assert_int_eq(rep.bytes_discarded, rec10_len);
	ck_assert(!rep.clean);
	expect_str(fs, "/state/r/4", "value-4");
	ck_assert_int_eq(statefs_size(fs, "/state/r/5"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_size(fs, "/state/r/9"), CAIRN_ENOENT);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_TORN_TAIL);
	ck_assert_int_eq(cr.bad_offset, 5 * rec10_len);
	ck_assert_int_eq(statefs_truncate_tail(fs), 0);
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_OK);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_truncated_tail_stops_replay: a tail cut mid-record or mid-header. */
START_TEST(test_statefs_truncated_tail_stops_replay)
{
	static const uint64_t cut_at[] = { HDR + 3, 20, 4 };
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	fill10(fs);
	statefs_abandon(fs);
	uint64_t start = 9 * rec10_len + cut_at[_i];
	memset(region_byte(&m, start), 0, 512);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.records_replayed, 9);
	ck_assert_int_eq(rep.stop_offset, 9 * rec10_len);
	ck_assert(!rep.clean);
	ck_assert_int_eq(statefs_size(fs, "/state/r/9"), CAIRN_ENOENT);
	expect_str(fs, "/state/r/8", "value-8");
	ck_assert_int_eq(put_str(fs, "/state/r/9", "again"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert(rep.clean);
	expect_str(fs, "/state/r/9", "again");
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_record_spans_many_blocks: values spanning 3+ sectors replay fully. */
START_TEST(test_statefs_record_spans_many_blocks)
{
	uint32_t ss = _i ? 4096 : 512;
	size_t len = _i ? 20000 : 3000;
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, ss, 128), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	uint8_t *v = malloc(len), *back = malloc(len);
	fill_pattern(v, len, 99);
	ck_assert_int_eq(put_str(fs, "/state/small", "s"), 0); /* unaligned start */
	ck_assert_int_eq(statefs_put(fs, "/state/big", v, len), 0);
	ck_assert_int_eq(put_str(fs, "/state/after", "a"), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.records_replayed, 3);
	ck_assert_int_eq(statefs_get(fs, "/state/big", back, len), (int)len);
	ck_assert(memcmp(v, back, len) == 0);
	expect_str(fs, "/state/after", "a");
	statefs_abandon(fs);
	free(v);
	free(back);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_torn_batch_discarded: a batch whose last record is bad vanishes. */
START_TEST(test_statefs_torn_batch_discarded)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/b/0", "zero"), 0);
	struct statefs_op ops[] = {
		{ STATEFS_OP_PUT, "/state/b/1", "one", 3 },
		{ STATEFS_OP_PUT, "/state/b/2", "two", 3 },
		{ STATEFS_OP_PUT, "/state/b/3", "six", 3 },
	};
	ck_assert_int_eq(statefs_batch(fs, ops, 3), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	uint64_t r0 = HDR + 10 + 4, rb = HDR + 10 + 3;
	*region_byte(&m, r0 + 2 * rb + HDR + 11) ^= 1;
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.records_replayed, 1);
	ck_assert_int_eq(rep.stop_offset, r0);
	ck_assert_int_eq(rep.bad_record_index, 3);
	ck_assert_int_eq(rep.bytes_discarded, 3 * rb);
	ck_assert_int_eq(statefs_size(fs, "/state/b/1"), CAIRN_ENOENT);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_record_cap: replay stops at the configured record count. */
START_TEST(test_statefs_record_cap)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	fill10(fs);
	statefs_abandon(fs);
	struct statefs_config cfg = { .bdev = &m.dev,
				      .flags = STATEFS_MOUNT_READ_ONLY,
				      .max_records = 3 };
	struct statefs_replay_report rep;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, &rep), 0);
	ck_assert_int_eq(rep.stop_reason, STATEFS_STOP_RECORD_CAP);
	ck_assert_int_eq(rep.records_replayed, 3);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_garbage_after_torn_tail_stays_dead: the subtle case. Records B and
 * C were written, B is torn, C survived. After remount, a new record of exactly
 * B's length lands where B was, so C sits where the next record would be, with
 * the next sequence number. C must stay dead (it carries an older epoch). */
START_TEST(test_statefs_garbage_after_torn_tail_stays_dead)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/k1", "v1"), 0);
	/* k2's record ends exactly at the sector boundary, so k3 lies in a sector
	 * the rewrite of the tail sector does not touch */
	uint64_t r1 = HDR + 9 + 2;
	size_t vlen = 512 - r1 - HDR - 9;
	char a[512], b[512];
	memset(a, 'A', vlen);
	memset(b, 'B', vlen);
	b[vlen] = a[vlen] = '\0';
	ck_assert_int_eq(put_str(fs, "/state/k2", a), 0);
	ck_assert_int_eq(put_str(fs, "/state/k3", "CCCC"), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	*region_byte(&m, r1 + HDR + 10) ^= 4; /* tear k2's value */
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.stop_offset, r1);
	ck_assert_int_eq(put_str(fs, "/state/k2", b), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.stop_reason, STATEFS_STOP_STALE_EPOCH);
	ck_assert(rep.clean);
	ck_assert_int_eq(rep.records_replayed, 2);
	expect_str(fs, "/state/k2", b);
	ck_assert_int_eq(statefs_size(fs, "/state/k3"), CAIRN_ENOENT);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_corruption_after_mount_detected: get never returns bad data. */
START_TEST(test_statefs_corruption_after_mount_detected)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	fill10(fs);
	uint8_t pad[2000] = { 0 };
	ck_assert_int_eq(statefs_put(fs, "/state/pad", pad, sizeof(pad)), 0);
	ck_assert_int_eq(statefs_sync(fs), 0); /* record 2's sector is no longer buffered */
	*region_byte(&m, 2 * rec10_len + HDR + 11) ^= 0x80;
	char buf[32];
	ck_assert_int_eq(statefs_get(fs, "/state/r/2", buf, sizeof(buf)), CAIRN_EBADMSG);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), CAIRN_EBADMSG);
	ck_assert_int_eq(cr.problem, STATEFS_CHECK_RECORD);
	ck_assert_int_eq(cr.bad_offset, 2 * rec10_len);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* max_gen_copy: the superblock copy (0/1) with the higher generation field. */
static unsigned max_gen_copy(const uint8_t *img, uint32_t ss)
{
	uint64_t g[2];
	for (unsigned i = 0; i < 2; i++) {
		g[i] = 0;
		for (int b = 7; b >= 0; b--)
			g[i] = (g[i] << 8) | img[i * ss + 24 + (unsigned)b];
	}
	return g[1] > g[0];
}

/* test_statefs_torn_superblock_write: cut power right after each superblock write
 * (session start, compaction switch), tear that copy: the old state mounts. */
START_TEST(test_statefs_torn_superblock_write)
{
	struct powercut pc;
	uint32_t ss = _i ? 4096 : 512;
	ck_assert_int_eq(powercut_init(&pc, ss, 2 + 2 * 8, NULL), 0);
	struct statefs *fs = mount_dev(&pc.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/keep", "synced"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	uint64_t rbytes = 8ull * ss;
	uint8_t *v = calloc(1, rbytes / 2), *img = malloc(powercut_bytes(&pc));
	int torn = 0;
	for (uint64_t cut = 1; cut < 12; cut++) {
		struct powercut d;
		ck_assert_int_eq(powercut_init(&d, ss, 2 + 2 * 8, pc.durable), 0);
		fs = mount_dev(&d.dev, 0, NULL);
		powercut_arm(&d, cut);
		for (int i = 0; i < 4; i++) /* fills the region: forces a compaction */
			(void)statefs_put(fs, "/state/big", v, rbytes / 3);
		statefs_abandon(fs);
		bool sb_pending = false;
		for (size_t i = 0; i < d.npending; i++)
			sb_pending |= d.pending[i].lba < 2;
		powercut_image(&d, POWERCUT_KEEP, cut, img);
		if (sb_pending) {
			img[max_gen_copy(img, ss) * ss + 40] ^= 0x55; /* torn superblock */
			torn++;
		}
		struct powercut e;
		ck_assert_int_eq(powercut_init(&e, ss, 2 + 2 * 8, img), 0);
		fs = mount_dev(&e.dev, 0, NULL);
		expect_str(fs, "/state/keep", "synced");
		ck_assert_int_eq(put_str(fs, "/state/after", "ok"), 0);
		ck_assert_int_eq(statefs_unmount(fs), 0);
		powercut_fini(&e);
		powercut_fini(&d);
	}
	ck_assert_int_ge(torn, 2);
	pc.durable[40] ^= 1; /* both copies corrupt (magic intact) */
	pc.durable[ss + 40] ^= 1;
	struct statefs_config cfg = { .bdev = &pc.dev, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), CAIRN_EBADMSG);
	free(v);
	free(img);
	powercut_fini(&pc);
}
END_TEST

/* test_statefs_bit_flips_never_return_bad_data: flip one random bit of the durable
 * image (superblocks and journal) 300 times; mount either fails cleanly or every
 * key reads its exact value, is missing (replay stopped earlier) or is reported
 * corrupt -- wrong bytes are never returned. */
START_TEST(test_statefs_bit_flips_never_return_bad_data)
{
	struct powercut pc;
	ck_assert_int_eq(powercut_init(&pc, 512, 2 + 2 * 32, NULL), 0);
	struct statefs *fs = mount_dev(&pc.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	char key[32];
	uint8_t val[700], back[700];
	for (int i = 0; i < 12; i++) {
		snprintf(key, sizeof(key), "/state/f/%d", i);
		fill_pattern(val, sizeof(val), (uint32_t)i);
		ck_assert_int_eq(statefs_put(fs, key, val, 100 + (size_t)i * 50), 0);
	}
	ck_assert_int_eq(statefs_unmount(fs), 0);
	uint64_t journal_end = 2 * 512 + 9000, x = 7;
	int mounted = 0;
	for (int trial = 0; trial < 300; trial++) {
		struct powercut d;
		ck_assert_int_eq(powercut_init(&d, 512, 2 + 2 * 32, pc.durable), 0);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t off = (x >> 20) % journal_end;
		powercut_flip(&d, off < 2 * 512 ? off % 92 + (off / 512) * 512 : off,
			      (unsigned)(x >> 8));
		struct statefs_config cfg = { .bdev = &d.dev };
		if (statefs_mount(&fs, &cfg, NULL) == 0) {
			mounted++;
			for (int i = 0; i < 12; i++) {
				snprintf(key, sizeof(key), "/state/f/%d", i);
				fill_pattern(val, sizeof(val), (uint32_t)i);
				int n = statefs_get(fs, key, back, sizeof(back));
				ck_assert(n == CAIRN_ENOENT || n == CAIRN_EBADMSG ||
					  n == 100 + i * 50);
				if (n > 0)
					ck_assert(memcmp(back, val, (size_t)n) == 0);
			}
			(void)statefs_check(fs, NULL);
			statefs_abandon(fs);
		}
		powercut_fini(&d);
	}
	ck_assert_int_gt(mounted, 200); /* superblock flips are survivable too */
	powercut_fini(&pc);
}
END_TEST

/* replay_suite: the test cases of this file. */
static Suite *replay_suite(void)
{
	Suite *s = suite_create("statefs_replay");
	TCase *tc = tcase_create("replay");
	tcase_add_test(tc, test_statefs_crc_mismatch_stops_replay);
	tcase_add_loop_test(tc, test_statefs_truncated_tail_stops_replay, 0, 3);
	tcase_add_loop_test(tc, test_statefs_record_spans_many_blocks, 0, 2);
	tcase_add_test(tc, test_statefs_torn_batch_discarded);
	tcase_add_test(tc, test_statefs_record_cap);
	tcase_add_test(tc, test_statefs_garbage_after_torn_tail_stays_dead);
	tcase_add_test(tc, test_statefs_corruption_after_mount_detected);
	tcase_add_loop_test(tc, test_statefs_torn_superblock_write, 0, 2);
	tcase_add_test(tc, test_statefs_bit_flips_never_return_bad_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(replay_suite()); }
