/* packagefs round trip: build from a generated directory tree, mount on 512- and
 * 4096-byte sector devices, read every file back; determinism; the path API. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packagefs_internal.h"
#include "pkgfs_test_util.h"

/* mount_ok: mount img on a fresh device of sector size ss; fails the test on error. */
static struct pkgfs *mount_ok(struct blkdev_mem *m, uint32_t ss, const uint8_t *img, size_t len,
			      uint32_t pages)
{
	struct pkgfs_config cfg = test_config(pages, NULL);
	struct pkgfs_mount_report rep;
	struct pkgfs *fs = NULL;
	mem_device(m, ss, img, len, 3);
	int e = pkgfs_mount(&fs, &m->dev, &cfg, &rep);
	ck_assert_msg(e == 0, "mount failed: %d %s", e, rep.reason);
	ck_assert_int_eq(rep.err, 0);
	return fs;
}

/* check_all_files: every generated file reads back identical, in several chunkings. */
static void check_all_files(struct pkgfs *fs, const struct gen_tree *g)
{
	static const size_t chunks[] = { 1 << 20, 4096, 1000, 7 };
	for (size_t i = 0; i < g->nfiles; i++) {
		const struct gen_file *f = &g->files[i];
		size_t c = chunks[i % 4];
		uint8_t *got = NULL;
		long n = read_all(fs, f->path, c, &got);
		ck_assert_msg(n == (long)f->size, "%s: got %ld want %zu", f->path, n, f->size);
		ck_assert_msg(memcmp(got, f->data, f->size) == 0, "%s: content differs", f->path);
		free(got);
	}
}

/* count_tree: entries below dir via readdir, recursively. */
static size_t count_tree(struct pkgfs *fs, const char *dir, size_t *files)
{
	struct pkgfs_dirent ent;
	uint64_t cur = 0;
	size_t n = 0;
	int r;
	char prev[PKGFS_NAME_MAX + 1] = "";
	while ((r = pkgfs_readdir(fs, dir, &cur, &ent)) == 1) {
		char path[PKGFS_PATH_MAX + 2];
		snprintf(path, sizeof(path), "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			 ent.name);
		ck_assert_msg(strcmp(prev, ent.name) < 0, "readdir order: %s then %s", prev,
			      ent.name);
		strcpy(prev, ent.name);
		n++;
		if ((ent.st.mode & PKGFS_S_IFMT) == PKGFS_S_IFDIR)
			n += count_tree(fs, path, files);
		else
			(*files)++;
	}
	ck_assert_int_eq(r, 0);
	return n;
}

/* roundtrip: the whole cycle for one sector size. */
static void roundtrip(uint32_t ss)
{
	struct gen_tree g;
	struct blkdev_mem m;
	uint8_t *img;
	size_t len, files = 0;
	gen_tree_make(&g, 1, 0);
	build_from_dir(g.root, &img, &len);
	ck_assert_uint_eq(len % 4096, 0);
	struct pkgfs *fs = mount_ok(&m, ss, img, len, 8);
	check_all_files(fs, &g);
	ck_assert_uint_eq(count_tree(fs, "pkg:/", &files), g.nfiles + g.ndirs);
	ck_assert_uint_eq(files, g.nfiles);
	struct pkgfs_totals t;
	uint64_t bytes = 0;
	for (size_t i = 0; i < g.nfiles; i++)
		bytes += g.files[i].size;
	pkgfs_totals(fs, &t);
	ck_assert_uint_eq(t.files, g.nfiles);
	ck_assert_uint_eq(t.dirs, g.ndirs + 1);
	ck_assert_uint_eq(t.bytes, bytes);
	/* The extent of a file holds its bytes, raw on the device. */
	struct pkgfs_file f;
	uint64_t off, flen;
	ck_assert_int_eq(pkgfs_open(fs, g.files[0].path, &f), 0);
	ck_assert_int_eq(pkgfs_extent(&f, &off, &flen), 0);
	ck_assert_uint_eq(flen, g.files[0].size);
	ck_assert(flen == 0 || (off % 4096 == 0 && memcmp(img + off, g.files[0].data, flen) == 0));
	ck_assert_int_eq(pkgfs_close(&f), 0);
	ck_assert_int_eq(pkgfs_extent(&f, &off, &flen), CAIRN_EINVAL);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
	gen_tree_remove(&g);
}

START_TEST(test_pkgfs_roundtrip_512) { roundtrip(512); }
END_TEST

START_TEST(test_pkgfs_roundtrip_4096) { roundtrip(4096); }
END_TEST

START_TEST(test_pkgfs_roundtrip_8192_sectors)
{
	roundtrip(8192); /* page = sector when sectors exceed the 4096 alignment */
}
END_TEST

/* Same tree (created in a different order, in a different temp dir) twice. */
START_TEST(test_pkgfs_deterministic)
{
	struct gen_tree a, b;
	uint8_t *ia, *ib, *ia2;
	size_t la, lb, la2;
	gen_tree_make(&a, 5, 0);
	gen_tree_make(&b, 5, 1);
	build_from_dir(a.root, &ia, &la);
	build_from_dir(a.root, &ia2, &la2);
	build_from_dir(b.root, &ib, &lb);
	ck_assert_uint_eq(la, la2);
	ck_assert(memcmp(ia, ia2, la) == 0);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(ia, ib, la) == 0);
	free(ia);
	free(ia2);
	free(ib);
	gen_tree_remove(&a);
	gen_tree_remove(&b);
}
END_TEST

/* The release number given to the builder is what a mount reports, up to 2^64-1;
 * two images differing only in release differ in their signed header. */
START_TEST(test_pkgfs_release_roundtrip)
{
	static const uint64_t rels[] = { 0, 1, 42, UINT64_MAX };
	uint8_t *img[4];
	size_t len[4];
	char err[256];
	for (int i = 0; i < 4; i++) {
		struct pkgfs_btree t;
		struct pkgfs_build_opts o = { .release = rels[i] };
		struct blkdev_mem m;
		pkgfs_btree_init(&t);
		pkgfs_btree_add(&t, &t.root, "VERSION", 7, false, 0644, "x\n", 2);
		ck_assert_int_eq(pkgfs_build_image(&t, test_seed, &o, &img[i], &len[i], err,
						   sizeof(err)),
				 0);
		pkgfs_btree_free(&t);
		struct pkgfs *fs = mount_ok(&m, 512, img[i], len[i], 4);
		ck_assert_uint_eq(pkgfs_release(fs), rels[i]);
		ck_assert_int_eq(pkgfs_unmount(fs), 0);
		blkdev_mem_fini(&m);
		if (i > 0) {
			ck_assert_uint_eq(len[i], len[0]);
			ck_assert(memcmp(img[i], img[0], PKGFS_HDR_HASHED) != 0);
		}
	}
	for (int i = 0; i < 4; i++)
		free(img[i]);
}
END_TEST

/* Lookups: prefix forms, errors, stat, readdir cursors, open/close rules. */
START_TEST(test_pkgfs_paths_and_api)
{
	struct gen_tree g;
	struct blkdev_mem m;
	struct pkgfs_stat st, st2;
	struct pkgfs_file f;
	uint8_t *img;
	size_t len;
	gen_tree_make(&g, 2, 0);
	build_from_dir(g.root, &img, &len);
	struct pkgfs *fs = mount_ok(&m, 512, img, len, 4);
	ck_assert_int_eq(pkgfs_stat(fs, "pkg:/bin/hello", &st), 0);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin/hello", &st2), 0);
	ck_assert_uint_eq(st.ino, st2.ino);
	ck_assert_uint_eq(st.size, 8193);
	ck_assert_uint_eq(st.mode, PKGFS_S_IFREG | 0755);
	ck_assert_int_eq(pkgfs_stat(fs, "/etc/motd", &st), 0);
	ck_assert_uint_eq(st.mode, PKGFS_S_IFREG | 0644);
	ck_assert_int_eq(pkgfs_stat(fs, "/", &st), 0);
	ck_assert_uint_eq(st.ino, 0);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin/", &st), 0);
	ck_assert_uint_eq(st.mode, PKGFS_S_IFDIR | 0755);
	ck_assert_uint_eq(st.size, 3);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin/nope", &st), CAIRN_ENOENT);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin/hello/x", &st), CAIRN_ENOTDIR);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin/hello/", &st), CAIRN_ENOTDIR);
	ck_assert_int_eq(pkgfs_stat(fs, "bin/hello", &st), CAIRN_EINVAL);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin//hello", &st), CAIRN_EINVAL);
	ck_assert_int_eq(pkgfs_stat(fs, "/bin/../bin", &st), CAIRN_EINVAL);
	ck_assert_int_eq(pkgfs_stat(fs, "", &st), CAIRN_EINVAL);
	char longp[PKGFS_PATH_MAX + 10];
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(pkgfs_stat(fs, longp, &st), CAIRN_ENAMETOOLONG);
	ck_assert_int_eq(pkgfs_open(fs, "/bin", &f), CAIRN_EISDIR);
	ck_assert_int_eq(pkgfs_open(fs,
				    "/\xc3\xbcnic\xc3\xb8"
				    "de.txt",
				    &f),
			 0);
	ck_assert_int_eq(pkgfs_unmount(fs), CAIRN_EBUSY);
	ck_assert_int_eq(pkgfs_close(&f), 0);
	ck_assert_int_eq(pkgfs_close(&f), CAIRN_EINVAL);
	ck_assert_int_eq(pkgfs_readdir(fs, "/bin/hello", &(uint64_t){ 0 },
				       &(struct pkgfs_dirent){ 0 }),
			 CAIRN_ENOTDIR);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
	gen_tree_remove(&g);
}
END_TEST

/* readdir resumes from a saved cursor and returns the same sequence. */
START_TEST(test_pkgfs_readdir_resume)
{
	struct gen_tree g;
	struct blkdev_mem m;
	struct pkgfs_dirent ent;
	uint8_t *img;
	size_t len;
	char names[40][PKGFS_NAME_MAX + 1];
	gen_tree_make(&g, 3, 1);
	build_from_dir(g.root, &img, &len);
	struct pkgfs *fs = mount_ok(&m, 4096, img, len, 2);
	uint64_t cur = 0;
	int n = 0;
	while (pkgfs_readdir(fs, "/many", &cur, &ent) == 1)
		strcpy(names[n++], ent.name);
	ck_assert_int_eq(n, 40);
	ck_assert_str_eq(names[0], "f00");
	ck_assert_str_eq(names[39], "f39");
	cur = 17;
	ck_assert_int_eq(pkgfs_readdir(fs, "/many", &cur, &ent), 1);
	ck_assert_str_eq(ent.name, names[17]);
	ck_assert_uint_eq(cur, 18);
	cur = 40;
	ck_assert_int_eq(pkgfs_readdir(fs, "/many", &cur, &ent), 0);
	cur = 0;
	ck_assert_int_eq(pkgfs_readdir(fs, "/empty_dir", &cur, &ent), 0);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
	gen_tree_remove(&g);
}
END_TEST

/* The builder refuses symlinks and FIFOs, naming the path. */
START_TEST(test_pkgfs_build_refuses_special_files)
{
	struct gen_tree g;
	char p[600], err[512];
	struct pkgfs_btree t;
	gen_tree_make(&g, 4, 0);
	snprintf(p, sizeof(p), "%s/etc/link", g.root);
	ck_assert_int_eq(symlink("motd", p), 0);
	pkgfs_btree_init(&t);
	ck_assert_int_eq(pkgfs_btree_from_dir(&t, g.root, err, sizeof(err)), CAIRN_EINVAL);
	ck_assert_msg(strstr(err, "etc/link") && strstr(err, "symlink"), "%s", err);
	pkgfs_btree_free(&t);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bin/fifo", g.root);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	pkgfs_btree_init(&t);
	ck_assert_int_eq(pkgfs_btree_from_dir(&t, g.root, err, sizeof(err)), CAIRN_EINVAL);
	ck_assert_msg(strstr(err, "bin/fifo") && strstr(err, "FIFO"), "%s", err);
	pkgfs_btree_free(&t);
	gen_tree_remove(&g);
}
END_TEST

/* Build-time rules: bad UTF-8, too deep, duplicates in a hand-made tree. */
START_TEST(test_pkgfs_build_rules)
{
	struct pkgfs_btree t;
	uint8_t *img = NULL;
	size_t len;
	char err[512];
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "ok\xff", 3, false, 0644, "x", 1);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), CAIRN_EINVAL);
	ck_assert_msg(strstr(err, "UTF-8"), "%s", err);
	pkgfs_btree_free(&t);
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "d", 1, false, 0644, "x", 1);
	pkgfs_btree_add(&t, &t.root, "d", 1, true, 0755, NULL, 0);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), CAIRN_EINVAL);
	ck_assert_msg(strstr(err, "'/d': duplicate"), "%s", err);
	pkgfs_btree_free(&t);
	pkgfs_btree_init(&t);
	struct pkgfs_bnode *d = &t.root;
	for (int i = 0; i < PKGFS_DEPTH_MAX + 1; i++)
		d = pkgfs_btree_add(&t, d, "d", 1, true, 0755, NULL, 0);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), CAIRN_EINVAL);
	ck_assert_msg(strstr(err, "deeper"), "%s", err);
	pkgfs_btree_free(&t);
}
END_TEST

/* main: run the suite. */
int main(void)
{
	load_test_keys();
	Suite *s = suite_create("packagefs");
	TCase *tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pkgfs_roundtrip_512);
	tcase_add_test(tc, test_pkgfs_roundtrip_4096);
	tcase_add_test(tc, test_pkgfs_roundtrip_8192_sectors);
	tcase_add_test(tc, test_pkgfs_deterministic);
	tcase_add_test(tc, test_pkgfs_release_roundtrip);
	tcase_add_test(tc, test_pkgfs_paths_and_api);
	tcase_add_test(tc, test_pkgfs_readdir_resume);
	tcase_add_test(tc, test_pkgfs_build_refuses_special_files);
	tcase_add_test(tc, test_pkgfs_build_rules);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
