/* statefs compaction: correctness across region switches, bounded space and
 * mount time after many updates of the same keys, and no-space behaviour. */
#include "sfs_testutil.h"

/* test_statefs_compaction_correctness: many overwrites force several compactions;
 * every key reads its latest value before and after remount. */
START_TEST(test_statefs_compaction_correctness)
{
	uint32_t ss = _i ? 4096 : 512;
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, ss, 2 + 2 * (32768 / ss)), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	char key[32];
	uint8_t val[600], back[600];
	int latest[20] = { 0 };
	for (int i = 0; i < 2000; i++) {
		int k = (i * 7) % 20;
		snprintf(key, sizeof(key), "/state/c/%02d", k);
		fill_pattern(val, sizeof(val), (uint32_t)i);
		size_t len = 100 + (size_t)(i % 500);
		ck_assert_int_eq(statefs_put(fs, key, val, len), 0);
		latest[k] = i;
		if (i % 97 == 0) {
			ck_assert_int_eq(statefs_delete(fs, key), 0);
			latest[k] = -1;
		}
		if (i % 13 == 0)
			ck_assert_int_eq(statefs_sync(fs), 0);
	}
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_int_ge(st.compactions, 10);
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < 20; k++) {
			snprintf(key, sizeof(key), "/state/c/%02d", k);
			if (latest[k] < 0) {
				ck_assert_int_eq(statefs_size(fs, key), CAIRN_ENOENT);
				continue;
			}
			fill_pattern(val, sizeof(val), (uint32_t)latest[k]);
			int n = statefs_get(fs, key, back, sizeof(back));
			ck_assert_int_eq(n, 100 + latest[k] % 500);
			ck_assert(memcmp(val, back, (size_t)n) == 0);
		}
		struct statefs_check_report cr;
		ck_assert_int_eq(statefs_check(fs, &cr), 0);
		ck_assert_int_eq(cr.problem, STATEFS_CHECK_OK);
		ck_assert_int_eq(statefs_unmount(fs), 0);
		struct statefs_replay_report rep;
		fs = mount_dev(&m.dev, 0, &rep);
		/* bounded replay: never more records than fit in one region */
		ck_assert_uint_le(rep.records_replayed, 32768 / ss * ss / 32);
	}
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_no_space: a put that cannot fit even after compaction fails with
 * CAIRN_ENOSPC and changes nothing; deletes still work on a full store. */
START_TEST(test_statefs_no_space)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 64), 0); /* 32 KiB regions */
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	uint8_t v[10000];
	fill_pattern(v, sizeof(v), 1);
	ck_assert_int_eq(statefs_put(fs, "/state/n/a", v, sizeof(v)), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/n/b", v, sizeof(v)), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/n/c", v, sizeof(v)), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/n/d", v, sizeof(v)), CAIRN_ENOSPC);
	ck_assert_int_eq(statefs_size(fs, "/state/n/d"), CAIRN_ENOENT);
	uint8_t big[20000];
	fill_pattern(big, sizeof(big), 2);
	ck_assert_int_eq(statefs_put(fs, "/state/n/a", big, sizeof(big)), CAIRN_ENOSPC);
	uint8_t back[20000];
	ck_assert_int_eq(statefs_get(fs, "/state/n/a", back, sizeof(back)), (int)sizeof(v));
	ck_assert(memcmp(back, v, sizeof(v)) == 0);
	for (int i = 0; i < 20; i++) /* overwrites of the same size keep compacting */
		ck_assert_int_eq(statefs_put(fs, "/state/n/b", v, sizeof(v)), 0);
	ck_assert_int_eq(statefs_delete(fs, "/state/n/c"), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/n/d", v, sizeof(v)), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, 0, NULL);
	ck_assert_int_eq(statefs_size(fs, "/state/n/c"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_size(fs, "/state/n/d"), (int)sizeof(v));
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_key_cap: max_keys bounds memory; extra keys get CAIRN_ENOSPC. */
START_TEST(test_statefs_key_cap)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 128), 0);
	ck_assert_int_eq(statefs_format(&m.dev), 0);
	struct statefs_config cfg = { .bdev = &m.dev, .max_keys = 3 };
	struct statefs *fs;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), 0);
	ck_assert_int_eq(put_str(fs, "/state/1", "a"), 0);
	ck_assert_int_eq(put_str(fs, "/state/2", "a"), 0);
	ck_assert_int_eq(put_str(fs, "/state/3", "a"), 0);
	ck_assert_int_eq(put_str(fs, "/state/4", "a"), CAIRN_ENOSPC);
	ck_assert_int_eq(put_str(fs, "/state/3", "b"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	blkdev_mem_fini(&m);
}
END_TEST

/* compact_suite: the test cases of this file. */
static Suite *compact_suite(void)
{
	Suite *s = suite_create("statefs_compact");
	TCase *tc = tcase_create("compact");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_statefs_compaction_correctness, 0, 2);
	tcase_add_test(tc, test_statefs_no_space);
	tcase_add_test(tc, test_statefs_key_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(compact_suite()); }
