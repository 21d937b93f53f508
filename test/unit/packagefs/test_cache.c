/* packagefs sector cache: LRU eviction under a tiny cache, hit/miss counters that
 * match real device traffic, partial last pages, and streaming verification of a
 * file far larger than the cache. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"
#include "pkgfs_test_util.h"

/* A memory device that counts read calls. */
struct counting {
	struct blkdev_mem mem; /* the real storage */
	struct blkdev dev;     /* what the engine sees */
	uint64_t reads;	       /* read ops */
	uint64_t fail_after;   /* reads beyond this many fail with CAIRN_EIO */
};

/* counting_read: count, then forward to the memory device. */
static int counting_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct counting *c = ctx;
	if (++c->reads > c->fail_after)
		return CAIRN_EIO;
	return c->mem.dev.ops->read(c->mem.dev.ctx, lba, buf, count);
}

static const struct blkdev_ops counting_ops = { .read = counting_read };

/* counting_init: wrap img in a counting device of sector size ss. */
static void counting_init(struct counting *c, uint32_t ss, const uint8_t *img, size_t len)
{
	mem_device(&c->mem, ss, img, len, 0);
	c->dev = c->mem.dev;
	c->dev.ops = &counting_ops;
	c->dev.ctx = c;
	c->reads = 0;
	c->fail_after = UINT64_MAX;
}

/* three_files: image with /a (1 page), /b (3 pages), /c (1 page); data in *out. */
static void three_files(uint8_t **img, size_t *len, uint8_t *data)
{
	struct pkgfs_btree t;
	char err[128];
	gen_fill(data, 20000, 77);
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "a", 1, false, 0644, data, 4000);
	pkgfs_btree_add(&t, &t.root, "b", 1, false, 0644, data + 4000, 12000);
	pkgfs_btree_add(&t, &t.root, "c", 1, false, 0644, data + 16000, 4000);
	ck_assert_int_eq(build_tree(&t, 0, img, len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
}

/* read_at: one read through an open file; asserts n bytes came back equal to want. */
static void read_at(struct pkgfs *fs, const char *path, uint64_t off, size_t n, const uint8_t *want)
{
	struct pkgfs_file f;
	uint8_t buf[64];
	ck_assert_int_eq(pkgfs_open(fs, path, &f), 0);
	ck_assert_int_eq(pkgfs_read(&f, off, buf, n), (int)n);
	ck_assert(memcmp(buf, want + off, n) == 0);
	pkgfs_close(&f);
}

/* LRU with two pages: the least recently used page is the one evicted. */
START_TEST(test_pkgfs_cache_lru_eviction)
{
	uint8_t *img, data[20000];
	size_t len;
	struct counting c;
	struct pkgfs *fs;
	struct pkgfs_cache_stats s0, s1;
	three_files(&img, &len, data);
	counting_init(&c, 512, img, len);
	struct pkgfs_config cfg = test_config(2, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, NULL), 0);
	read_at(fs, "/b", 0, 16, data + 4000);	/* verify b: pages touched, evictions */
	read_at(fs, "/a", 0, 16, data);		/* verify a */
	read_at(fs, "/c", 0, 16, data + 16000); /* verify c: cache = {a, c} */
	pkgfs_cache_stats(fs, &s0);
	ck_assert_uint_eq(s0.pages, 2);
	ck_assert_uint_eq(s0.page_size, 4096);
	ck_assert_uint_gt(s0.evictions, 0);
	ck_assert_uint_eq(s0.misses, c.reads);	/* one device read per miss */
	read_at(fs, "/a", 5, 16, data);		/* hit; a is now most recent */
	read_at(fs, "/b", 10, 16, data + 4000); /* miss: evicts c (LRU), not a */
	read_at(fs, "/a", 100, 16, data);	/* hit */
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.hits - s0.hits, 2);
	ck_assert_uint_eq(s1.misses - s0.misses, 1);
	read_at(fs, "/c", 0, 16, data + 16000); /* miss: c was evicted */
	pkgfs_cache_stats(fs, &s0);
	ck_assert_uint_eq(s0.misses - s1.misses, 1);
	ck_assert_uint_eq(s0.misses, c.reads);
	pkgfs_unmount(fs);
	blkdev_mem_fini(&c.mem);
	free(img);
}
END_TEST

/* A one-page cache still serves every byte correctly, at both sector sizes. */
START_TEST(test_pkgfs_cache_single_page)
{
	static const uint32_t sizes[] = { 512, 4096 };
	for (int k = 0; k < 2; k++) {
		uint8_t *img, data[20000], *got;
		size_t len;
		struct counting c;
		struct pkgfs *fs;
		three_files(&img, &len, data);
		counting_init(&c, sizes[k], img, len);
		struct pkgfs_config cfg = test_config(1, NULL);
		ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, NULL), 0);
		ck_assert_int_eq(read_all(fs, "/b", 333, &got), 12000);
		ck_assert(memcmp(got, data + 4000, 12000) == 0);
		free(got);
		ck_assert_int_eq(read_all(fs, "/a", 4096, &got), 4000);
		ck_assert(memcmp(got, data, 4000) == 0);
		free(got);
		struct pkgfs_cache_stats s;
		pkgfs_cache_stats(fs, &s);
		ck_assert_uint_eq(s.pages, 1);
		ck_assert_uint_eq(s.misses, c.reads);
		ck_assert_uint_gt(s.evictions, 3);
		pkgfs_unmount(fs);
		blkdev_mem_fini(&c.mem);
		free(img);
	}
}
END_TEST

/* Verification streams a file much larger than the cache (1 MiB through 2 pages). */
START_TEST(test_pkgfs_cache_large_file_streamed)
{
	size_t big = 1u << 20;
	uint8_t *data = malloc(big), *img, *got;
	size_t len;
	char err[128];
	struct pkgfs_btree t;
	struct blkdev_mem m;
	struct pkgfs *fs;
	gen_fill(data, big, 3);
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "big", 3, false, 0644, data, big);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(2, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, NULL), 0);
	ck_assert_int_eq(read_all(fs, "/big", 65536, &got), (long)big);
	ck_assert(memcmp(got, data, big) == 0);
	free(got);
	pkgfs_unmount(fs);
	blkdev_mem_fini(&m);
	free(img);
	free(data);
}
END_TEST

/* A page that runs past the device end is read partially and zero-filled. */
START_TEST(test_pkgfs_cache_partial_last_page)
{
	struct blkdev_mem m;
	struct pkgfs_cache c;
	uint8_t buf[600];
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 9), 0); /* 4608 bytes: 1.125 pages */
	memset(m.data + 4096, 0xab, 512);
	ck_assert_int_eq(pkgfs_cache_init(&c, &m.dev, 1), 0);
	ck_assert_int_eq(pkgfs_cache_read(&c, 4096, buf, 512), 0);
	ck_assert_uint_eq(buf[0], 0xab);
	ck_assert_uint_eq(buf[511], 0xab);
	ck_assert_int_eq(pkgfs_cache_read(&c, 4096, buf, 513), CAIRN_ERANGE);
	ck_assert_int_eq(pkgfs_cache_read(&c, 4000, buf, 600), 0);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[96], 0xab);
	ck_assert_int_eq(pkgfs_cache_init(&(struct pkgfs_cache){ 0 }, &m.dev, 0), CAIRN_EINVAL);
	pkgfs_cache_fini(&c);
	blkdev_mem_fini(&m);
}
END_TEST

/* Read-ahead: with 16 pages (4 per miss) a sequential 1 MiB file costs about a
 * quarter of the device reads, misses still equal reads, content is exact; a
 * read-ahead that runs into the device end reads the partial page only. */
START_TEST(test_pkgfs_cache_readahead)
{
	size_t big = 1u << 20;
	uint8_t *data = malloc(big), *img, *got;
	size_t len;
	char err[128];
	struct pkgfs_btree t;
	struct counting c;
	struct pkgfs *fs;
	struct pkgfs_cache_stats s0, s1;
	gen_fill(data, big, 9);
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "big", 3, false, 0644, data, big);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
	counting_init(&c, 512, img, len);
	struct pkgfs_config cfg = test_config(16, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, NULL), 0);
	pkgfs_cache_stats(fs, &s0);
	ck_assert_int_eq(read_all(fs, "/big", 65536, &got), (long)big);
	ck_assert(memcmp(got, data, big) == 0);
	free(got);
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.misses, c.reads);
	/* 256 pages hashed, then 256 copied: 4 pages per device read each time. */
	ck_assert_uint_le(s1.misses - s0.misses, 2 * 256 / 4 + 2);
	pkgfs_unmount(fs);
	blkdev_mem_fini(&c.mem);
	free(img);
	free(data);

	struct blkdev_mem m;
	struct pkgfs_cache pc;
	uint8_t buf[4608];
	ck_assert_int_eq(blkdev_mem_init(&m, 512, 9), 0); /* 1.125 pages */
	memset(m.data, 0x5a, 4096);
	memset(m.data + 4096, 0xab, 512);
	ck_assert_int_eq(pkgfs_cache_init(&pc, &m.dev, 8), 0); /* 2 pages per miss */
	ck_assert_int_eq(pkgfs_cache_read(&pc, 0, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(buf[4095], 0x5a);
	ck_assert_uint_eq(buf[4096], 0xab);
	ck_assert_uint_eq(buf[4607], 0xab);
	ck_assert_uint_eq(pc.stats.misses, 1);
	ck_assert_int_eq(pkgfs_cache_read(&pc, 4100, buf, 8), 0); /* hit */
	ck_assert_uint_eq(pc.stats.misses, 1);
	ck_assert_uint_eq(pc.stats.hits, 2); /* page 1 in the first read, then this one */
	pkgfs_cache_fini(&pc);
	blkdev_mem_fini(&m);
}
END_TEST

/* Device errors: at mount they refuse it; after mount they fail the read with
 * CAIRN_EIO and an audit line, without marking the file corrupt. */
START_TEST(test_pkgfs_cache_device_errors)
{
	uint8_t *img, data[20000], buf[16];
	size_t len;
	struct counting c;
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct pkgfs_mount_report rep;
	struct audit_log log = { 0 };
	three_files(&img, &len, data);
	counting_init(&c, 4096, img, len);
	c.fail_after = 0;
	struct pkgfs_config cfg = test_config(2, &log);
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, &rep), CAIRN_EIO);
	ck_assert_msg(strstr(rep.reason, "device read failed"), "%s", rep.reason);
	c.fail_after = UINT64_MAX;
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, &rep), 0);
	c.fail_after = c.reads;
	ck_assert_int_eq(pkgfs_open(fs, "/b", &f), 0);
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), CAIRN_EIO);
	ck_assert_int_eq(log.count, 1);
	ck_assert_msg(strstr(log.last, "device read failed") && strstr(log.last, "'/b'"), "%s",
		      log.last);
	c.fail_after = UINT64_MAX; /* the device recovers: the file is not marked corrupt */
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert(memcmp(buf, data + 4000, sizeof(buf)) == 0);
	pkgfs_close(&f);
	pkgfs_unmount(fs);
	blkdev_mem_fini(&c.mem);
	free(img);
}
END_TEST

/* main: run the suite. */
int main(void)
{
	load_test_keys();
	Suite *s = suite_create("packagefs");
	TCase *tc = tcase_create("cache");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pkgfs_cache_lru_eviction);
	tcase_add_test(tc, test_pkgfs_cache_readahead);
	tcase_add_test(tc, test_pkgfs_cache_single_page);
	tcase_add_test(tc, test_pkgfs_cache_large_file_streamed);
	tcase_add_test(tc, test_pkgfs_cache_partial_last_page);
	tcase_add_test(tc, test_pkgfs_cache_device_errors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
