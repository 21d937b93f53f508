/* packagefs sector cache: verified pages kept while cached and LRU eviction under a
 * tiny cache, the first-byte cost of the hash tree, hit/miss counters that match
 * real device traffic, partial last pages, and streaming verification of a file far
 * larger than the cache. */
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

/* Verified pages stay verified while cached: a read hashes only the pages it
 * touches that are not verified yet (data page + the tree pages above it), a second
 * read of them hashes nothing and reads nothing, and an evicted page is hashed again. */
START_TEST(test_pkgfs_cache_verified_pages_cached)
{
	uint8_t *img, data[20000];
	size_t len;
	struct counting c;
	struct pkgfs *fs;
	struct pkgfs_cache_stats s0, s1;
	three_files(&img, &len, data); /* 5 data pages, one tree page */
	counting_init(&c, 512, img, len);
	struct pkgfs_config cfg = test_config(4, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, NULL), 0);
	pkgfs_cache_stats(fs, &s0);
	ck_assert_uint_eq(s0.hashed, 1); /* the mount verified the tree's (only) page */
	read_at(fs, "/a", 0, 16, data);	 /* a's page, checked against the cached tree page */
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.hashed - s0.hashed, 1);
	ck_assert_uint_eq(s1.misses - s0.misses, 1);
	read_at(fs, "/a", 100, 16, data); /* verified and cached: no hash, no read */
	pkgfs_cache_stats(fs, &s0);
	ck_assert_uint_eq(s0.hashed, s1.hashed);
	ck_assert_uint_eq(s0.misses, s1.misses);
	read_at(fs, "/b", 10, 16, data + 4000); /* b's first page; the tree page is verified */
	read_at(fs, "/c", 0, 16, data + 16000); /* evicts the mount's header page */
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.hashed - s0.hashed, 2);
	ck_assert_uint_eq(s1.misses - s0.misses, 2);
	ck_assert_uint_eq(s1.evictions, 1);	       /* cache: a, tree, b0, c */
	read_at(fs, "/a", 5, 16, data);		       /* hit: a is now most recent */
	read_at(fs, "/b", 4096 + 10, 16, data + 4000); /* miss: evicts b0 (LRU), not a */
	pkgfs_cache_stats(fs, &s0);
	ck_assert_uint_eq(s0.hashed - s1.hashed, 1);
	ck_assert_uint_eq(s0.evictions, 2);
	read_at(fs, "/a", 7, 16, data);		/* still verified */
	read_at(fs, "/b", 20, 16, data + 4000); /* evicted, so read and hashed again */
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.hashed - s0.hashed, 1);
	ck_assert_uint_eq(s1.misses - s0.misses, 1);
	ck_assert_uint_eq(s1.misses, c.reads); /* one device read per miss */
	pkgfs_unmount(fs);
	blkdev_mem_fini(&c.mem);
	free(img);
}
END_TEST

/* The first byte of a large file costs the tree's depth, not the file: 1 MiB is 256
 * data pages under 2 level-0 pages under 1 top page, which the mount verified, so 2
 * device reads and 2 hashes (the data page and its level-0 page). */
START_TEST(test_pkgfs_first_byte_costs_tree_depth)
{
	size_t big = 1u << 20;
	uint8_t *data = malloc(big), *img, buf[1];
	size_t len;
	char err[128];
	struct pkgfs_btree t;
	struct counting c;
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct pkgfs_cache_stats s0, s1;
	gen_fill(data, big, 5);
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "big", 3, false, 0644, data, big);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
	counting_init(&c, 512, img, len);
	struct pkgfs_config cfg = test_config(64, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_open(fs, "/big", &f), 0);
	pkgfs_cache_stats(fs, &s0);
	uint64_t reads = c.reads;
	ck_assert_int_eq(pkgfs_read(&f, 700000, buf, 1), 1);
	ck_assert_uint_eq(buf[0], data[700000]);
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.hashed - s0.hashed, 2);
	ck_assert_uint_eq(c.reads - reads, 2);
	pkgfs_close(&f);
	pkgfs_unmount(fs);
	blkdev_mem_fini(&c.mem);
	free(img);
	free(data);
}
END_TEST

/* A three-level tree, for real: 16385 data pages (64 MiB + 4 KiB) need 129 level-0
 * pages, 2 level-1 pages and the top. The first byte costs 3 reads and 3 hashes; a
 * damaged level-1 page fails only the data under it (the last page), with a message
 * naming it, while page 0 and the page before the damaged range still read. */
START_TEST(test_pkgfs_three_level_tree)
{
	size_t big = (size_t)16385 * 4096;
	uint8_t *data = calloc(1, big), *img, buf[8];
	size_t len;
	char err[128];
	struct pkgfs_btree t;
	struct counting c;
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct pkgfs_cache_stats s0, s1;
	struct audit_log log = { 0 };
	ck_assert_ptr_nonnull(data);
	for (size_t p = 0; p < 16385; p++)
		memcpy(data + p * 4096, &p, sizeof(p)); /* every page different */
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "huge", 4, false, 0644, data, big);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
	struct pkgfs_tree_geom g;
	pkgfs_tree_geom(pkgfs_ld64(img + PKGFS_H_DATA_SIZE), pkgfs_ld64(img + PKGFS_H_TREE_OFF),
			&g);
	ck_assert_uint_eq(g.levels, 3);
	ck_assert_uint_eq(g.pages[0], 129);
	ck_assert_uint_eq(g.pages[1], 2);
	img[g.off[1] + 4096 + 7] ^= 1; /* level-1 page 1: covers level-0 page 128 only */
	counting_init(&c, 512, img, len);
	struct pkgfs_config cfg = test_config(16, &log);
	ck_assert_int_eq(pkgfs_mount(&fs, &c.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_open(fs, "/huge", &f), 0);
	pkgfs_cache_stats(fs, &s0);
	uint64_t reads = c.reads;
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, 1), 1);
	pkgfs_cache_stats(fs, &s1);
	ck_assert_uint_eq(s1.hashed - s0.hashed, 3);
	ck_assert_uint_eq(c.reads - reads, 3);
	size_t last = (size_t)16384 * 4096, before = (size_t)16383 * 4096;
	ck_assert_int_eq(pkgfs_read(&f, before, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert_mem_eq(buf, data + before, sizeof(buf));
	ck_assert_int_eq(pkgfs_read(&f, last, buf, sizeof(buf)), CAIRN_EIO);
	ck_assert_msg(strstr(log.last, "hash tree mismatch (level 1 page 1) at bytes 67108864.."),
		      "%s", log.last);
	ck_assert_int_eq(pkgfs_read(&f, before + 4090, buf, sizeof(buf)), CAIRN_EIO); /* spans */
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), (int)sizeof(buf));
	pkgfs_close(&f);
	pkgfs_unmount(fs);
	blkdev_mem_fini(&c.mem);
	free(img);
	free(data);
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
	/* 256 data pages, 4 per device read, plus the 3 tree pages (the top one read
	 * again for the second level-0 page: 16 pages do not keep it); each page is
	 * hashed once per time it is read. */
	ck_assert_uint_le(s1.misses - s0.misses, 256 / 4 + 4);
	ck_assert_uint_ge(s1.hashed - s0.hashed, 256 + 3);
	ck_assert_uint_le(s1.hashed - s0.hashed, 256 + 4);
	ck_assert_uint_eq(s1.hashed - s0.hashed, s1.misses - s0.misses - 256 / 4 + 256);
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
	tcase_add_test(tc, test_pkgfs_cache_verified_pages_cached);
	tcase_add_test(tc, test_pkgfs_first_byte_costs_tree_depth);
	tcase_add_test(tc, test_pkgfs_three_level_tree);
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
