/* statefs basic operations: put/get/delete/list, not-found, size caps, batches,
 * crash (drop without unmount) and replay, 512- and 4096-byte sectors. */
#include "sfs_testutil.h"

static const uint32_t sector_sizes[] = { 512, 4096 };

/* test_statefs_put_get_delete: the basic cycle on both sector sizes. */
START_TEST(test_statefs_put_get_delete)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, sector_sizes[_i], 256), 0);
	struct statefs_replay_report rep;
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, &rep);
	ck_assert(rep.formatted);
	ck_assert_int_eq(put_str(fs, "/state/a", "alpha"), 0);
	ck_assert_int_eq(put_str(fs, "/state/b/c", "beta"), 0);
	expect_str(fs, "/state/a", "alpha");
	ck_assert_int_eq(put_str(fs, "/state/a", "alpha2"), 0);
	expect_str(fs, "/state/a", "alpha2");
	ck_assert_int_eq(statefs_size(fs, "/state/b/c"), 4);
	ck_assert_int_eq(statefs_put(fs, "/state/empty", NULL, 0), 0);
	ck_assert_int_eq(statefs_get(fs, "/state/empty", NULL, 0), 0);
	ck_assert_int_eq(statefs_delete(fs, "/state/a"), 0);
	char buf[16];
	ck_assert_int_eq(statefs_get(fs, "/state/a", buf, sizeof(buf)), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_delete(fs, "/state/a"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_get(fs, "/state/b/c", buf, 2), CAIRN_ERANGE);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert(rep.clean);
	ck_assert_int_eq(statefs_get(fs, "/state/a", buf, sizeof(buf)), CAIRN_ENOENT);
	expect_str(fs, "/state/b/c", "beta");
	ck_assert_int_eq(statefs_size(fs, "/state/empty"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_not_found_and_no_format: an empty device is not formatted unasked. */
START_TEST(test_statefs_not_found_and_no_format)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs_config cfg = { .bdev = &m.dev };
	struct statefs *fs;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), CAIRN_ENOENT);
	cfg.flags = STATEFS_MOUNT_FORMAT_EMPTY | STATEFS_MOUNT_READ_ONLY;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), CAIRN_EROFS);
	fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(statefs_size(fs, "/state/nope"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_size(fs, "/state/"), CAIRN_EINVAL);
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_value_too_large: an oversized put fails and keeps the old value. */
START_TEST(test_statefs_value_too_large)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 4096, 128), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	uint8_t *big = malloc(STATEFS_VALUE_MAX + 1);
	fill_pattern(big, STATEFS_VALUE_MAX + 1, 7);
	ck_assert_int_eq(put_str(fs, "/state/v", "old"), 0);
	ck_assert_int_eq(statefs_put(fs, "/state/v", big, STATEFS_VALUE_MAX + 1), CAIRN_EFBIG);
	expect_str(fs, "/state/v", "old");
	ck_assert_int_eq(statefs_put(fs, "/state/v", big, STATEFS_VALUE_MAX), 0);
	uint8_t *back = malloc(STATEFS_VALUE_MAX);
	ck_assert_int_eq(statefs_get(fs, "/state/v", back, STATEFS_VALUE_MAX),
			 (int)STATEFS_VALUE_MAX);
	ck_assert(memcmp(back, big, STATEFS_VALUE_MAX) == 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	free(big);
	free(back);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_list_order_and_cursor: byte order, prefix, bounded steps. */
START_TEST(test_statefs_list_order_and_cursor)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 512), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	char key[64];
	for (int i = 99; i >= 0; i--) {
		snprintf(key, sizeof(key), "/state/l/%02d", i);
		ck_assert_int_eq(put_str(fs, key, "x"), 0);
	}
	ck_assert_int_eq(put_str(fs, "/state/lz", "y"), 0);
	ck_assert_int_eq(put_str(fs, "/state/k", "z"), 0);
	struct statefs_dirent d[7];
	char after[STATEFS_KEY_MAX + 1] = "";
	int total = 0, n;
	do {
		n = statefs_list(fs, "/state/l/", after, d, 7);
		ck_assert_int_ge(n, 0);
		for (int i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "/state/l/%02d", total + i);
			ck_assert_str_eq(d[i].key, key);
			ck_assert_int_eq(d[i].value_len, 1);
		}
		total += n;
		if (n)
			strcpy(after, d[n - 1].key);
	} while (n == 7);
	ck_assert_int_eq(total, 100);
	ck_assert_int_eq(statefs_list(fs, "/state/", NULL, d, 2), 2);
	ck_assert_str_eq(d[0].key, "/state/k");
	ck_assert_int_eq(statefs_list(fs, "/state/lz", NULL, d, 7), 1);
	ck_assert_int_eq(statefs_list(fs, "/state/m", NULL, d, 7), 0);
	ck_assert_int_eq(statefs_list(fs, "/state/l/", "/state/l/98", d, 7), 1);
	ck_assert_str_eq(d[0].key, "/state/l/99");
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_crash_replay: synced data survives dropping the instance. */
START_TEST(test_statefs_crash_replay)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, sector_sizes[_i], 256), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	char key[64], val[64];
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "/state/c/%d", i % 10);
		snprintf(val, sizeof(val), "value-%d", i);
		ck_assert_int_eq(put_str(fs, key, val), 0);
	}
	ck_assert_int_eq(statefs_delete(fs, "/state/c/3"), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs); /* no unmount */
	struct statefs_replay_report rep;
	fs = mount_dev(&m.dev, 0, &rep);
	ck_assert_int_eq(rep.records_replayed, 51);
	ck_assert(rep.clean);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/state/c/%d", i);
		snprintf(val, sizeof(val), "value-%d", 40 + i);
		if (i == 3)
			ck_assert_int_eq(statefs_size(fs, key), CAIRN_ENOENT);
		else
			expect_str(fs, key, val);
	}
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_batch_atomic: a batch applies whole, validates whole. */
START_TEST(test_statefs_batch_atomic)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 256), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/x", "1"), 0);
	struct statefs_op ops[] = {
		{ STATEFS_OP_PUT, "/state/y", "2", 1 },
		{ STATEFS_OP_DELETE, "/state/x", NULL, 0 },
		{ STATEFS_OP_PUT, "/state/z", "3", 1 },
	};
	struct statefs_op bad[] = {
		{ STATEFS_OP_PUT, "/state/w", "2", 1 },
		{ STATEFS_OP_DELETE, "/state/missing", NULL, 0 },
	};
	ck_assert_int_eq(statefs_batch(fs, bad, 2), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_size(fs, "/state/w"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_batch(fs, ops, 3), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	fs = mount_dev(&m.dev, 0, NULL);
	ck_assert_int_eq(statefs_size(fs, "/state/x"), CAIRN_ENOENT);
	expect_str(fs, "/state/y", "2");
	expect_str(fs, "/state/z", "3");
	statefs_abandon(fs);
	blkdev_mem_fini(&m);
}
END_TEST

/* test_statefs_read_only: mutators fail with CAIRN_EROFS, reads work. */
START_TEST(test_statefs_read_only)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 64), 0);
	struct statefs *fs = mount_dev(&m.dev, STATEFS_MOUNT_FORMAT_EMPTY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/r", "v"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	uint64_t writes = m.writes;
	fs = mount_dev(&m.dev, STATEFS_MOUNT_READ_ONLY, NULL);
	ck_assert_int_eq(put_str(fs, "/state/r", "w"), CAIRN_EROFS);
	ck_assert_int_eq(statefs_delete(fs, "/state/r"), CAIRN_EROFS);
	ck_assert_int_eq(put_str(fs, "/state/bad//k", "w"), CAIRN_EINVAL);
	expect_str(fs, "/state/r", "v");
	ck_assert_int_eq(statefs_unmount(fs), 0);
	ck_assert_int_eq(m.writes, writes);
	blkdev_mem_fini(&m);
}
END_TEST

/* basic_suite: the test cases of this file. */
static Suite *basic_suite(void)
{
	Suite *s = suite_create("statefs_basic");
	TCase *tc = tcase_create("basic");
	tcase_add_loop_test(tc, test_statefs_put_get_delete, 0, 2);
	tcase_add_test(tc, test_statefs_not_found_and_no_format);
	tcase_add_test(tc, test_statefs_value_too_large);
	tcase_add_test(tc, test_statefs_list_order_and_cursor);
	tcase_add_loop_test(tc, test_statefs_crash_replay, 0, 2);
	tcase_add_test(tc, test_statefs_batch_atomic);
	tcase_add_test(tc, test_statefs_read_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(basic_suite()); }
