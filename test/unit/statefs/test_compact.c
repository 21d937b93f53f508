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

/* fill_to_enospc: put 500-byte values under /state/f/ (synced each) until the
 * store refuses one; returns how many it took. The refusal must be ENOSPC. */
static int fill_to_enospc(struct statefs *fs)
{
	char key[32];
	uint8_t v[500];
	for (int i = 0;; i++) {
		snprintf(key, sizeof(key), "/state/f/%04d", i);
		fill_pattern(v, sizeof(v), (uint32_t)i);
		int err = statefs_put(fs, key, v, sizeof(v));
		if (err) {
			ck_assert_int_eq(err, CAIRN_ENOSPC);
			ck_assert_int_eq(statefs_size(fs, key), CAIRN_ENOENT);
			return i;
		}
		ck_assert_int_eq(statefs_sync(fs), 0);
	}
}

/* expect_fill: keys [0, n) of fill_to_enospc hold their values, except gone. */
static void expect_fill(struct statefs *fs, int n, int gone)
{
	char key[32];
	uint8_t v[500], back[500];
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "/state/f/%04d", i);
		if (i == gone) {
			ck_assert_int_eq(statefs_size(fs, key), CAIRN_ENOENT);
			continue;
		}
		fill_pattern(v, sizeof(v), (uint32_t)i);
		ck_assert_int_eq(statefs_get(fs, key, back, sizeof(back)), (int)sizeof(v));
		ck_assert(memcmp(v, back, sizeof(v)) == 0);
	}
}

/* test_statefs_full_device_delete_sync_compact: a small store filled to ENOSPC
 * still deletes, syncs and compacts; the refused put then fits; a remount is
 * clean with every value intact. Both sector sizes. */
START_TEST(test_statefs_full_device_delete_sync_compact)
{
	uint32_t ss = _i ? 4096 : 512;
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, ss, 2 + 2 * (16384 / ss)), 0); /* 16 KiB regions */
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	int n = fill_to_enospc(fs);
	ck_assert_int_gt(n, 4);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	/* refused because it would eat the reserve, which is still there */
	ck_assert_uint_le(st.live_bytes + statefs_reserve(fs), st.region_bytes);
	ck_assert_uint_gt(st.live_bytes + 32 + 13 + 500 + statefs_reserve(fs), st.region_bytes);
	ck_assert_int_eq(statefs_delete(fs, "/state/f/0001"), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_stats(fs, &st);
	uint64_t compactions = st.compactions, tail = st.tail;
	ck_assert_int_eq(statefs_compact_now(fs), 0);
	statefs_stats(fs, &st);
	ck_assert_uint_eq(st.compactions, compactions + 1);
	ck_assert_uint_lt(st.tail, tail); /* the space of the deleted record came back */
	uint8_t v[500];
	char key[32];
	snprintf(key, sizeof(key), "/state/f/%04d", n);
	fill_pattern(v, sizeof(v), (uint32_t)n);
	ck_assert_int_eq(statefs_put(fs, key, v, sizeof(v)), 0); /* the refused put fits now */
	ck_assert_int_eq(statefs_sync(fs), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert(rep.clean);
	ck_assert_int_eq(rep.mount_class, STATEFS_CLASS_CLEAN);
	expect_fill(fs, n + 1, 1);
	struct statefs_check_report cr;
	ck_assert_int_eq(statefs_check(fs, &cr), 0);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_reserve_boundary: a growing put may take the region up to the
 * reserve and not one byte into it; a same-size overwrite and deletes still work
 * when the rest is all reserve. */
START_TEST(test_statefs_reserve_boundary)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 32), 0); /* 16 KiB regions */
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	static uint8_t v[16384];
	fill_pattern(v, sizeof(v), 7);
	ck_assert_uint_eq(statefs_reserve(fs), 1024);
	ck_assert_uint_eq(statefs_reserve(NULL), 0);
	/* "/state/r/a" is 10 bytes: its record is 42 + value bytes */
	uint64_t room = 16384 - 1024 - 42;
	ck_assert_int_eq(statefs_put(fs, "/state/r/a", v, (size_t)room + 1), CAIRN_ENOSPC);
	ck_assert_int_eq(statefs_put(fs, "/state/r/a", v, (size_t)room), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/r/b", v, 0), CAIRN_ENOSPC); /* 42 bytes */
	for (int i = 0; i < 3; i++) /* same size: compacts, never refused */
		ck_assert_int_eq(statefs_put(fs, "/state/r/a", v, (size_t)room), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/r/a", v, (size_t)room - 100), 0);
	ck_assert_int_eq(statefs_delete(fs, "/state/r/a"), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	ck_assert_int_eq(statefs_compact_now(fs), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/r/b", v, 0), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_full_delete_every_key: filled to ENOSPC, every key can be deleted
 * (each delete synced), whatever the tail; the store ends empty and clean. */
START_TEST(test_statefs_full_delete_every_key)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 24), 0); /* 12 KiB regions */
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	int n = fill_to_enospc(fs);
	char key[32];
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "/state/f/%04d", i);
		ck_assert_int_eq(statefs_delete(fs, key), 0);
		ck_assert_int_eq(statefs_sync(fs), 0);
	}
	struct statefs_stats st;
	statefs_stats(fs, &st);
	ck_assert_uint_eq(st.keys, 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert(rep.clean);
	statefs_stats(fs, &st);
	ck_assert_uint_eq(st.keys, 0);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_compact_now_refused: read-only and refused stores never compact. */
START_TEST(test_statefs_compact_now_refused)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 2 + 2 * 16), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/x", "1"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, STATEFS_MOUNT_READ_ONLY, NULL);
	ck_assert_int_eq(statefs_compact_now(fs), CAIRN_EROFS);
	statefs_abandon(fs);
	ck_assert_int_eq(statefs_compact_now(NULL), CAIRN_EINVAL);
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
	tcase_add_loop_test(tc, test_statefs_full_device_delete_sync_compact, 0, 2);
	tcase_add_test(tc, test_statefs_reserve_boundary);
	tcase_add_test(tc, test_statefs_full_delete_every_key);
	tcase_add_test(tc, test_statefs_compact_now_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(compact_suite()); }
