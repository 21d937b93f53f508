/* packagefs mount refusals: a table of malformed images, each refused with a reason
 * that names the problem (and the entry); and corrupt file data, which mounts but
 * is never served. Images are built by the builder, patched, and re-signed where the
 * structural check (not the signature) must be what refuses them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"
#include "pkgfs_test_util.h"

/* The base image: entries by index (breadth first, names sorted):
 * 0 /, 1 /bin, 2 /etc, 3 /readme, 4 /bin/cat, 5 /bin/hello, 6 /etc/conf. */
enum {
	E_BIN = 1,
	E_ETC = 2,
	E_README = 3,
	E_CAT = 4,
	E_HELLO = 5,
	E_CONF = 6
};

/* base_image: build the base image. */
static void base_image(uint8_t **img, size_t *len)
{
	struct pkgfs_btree t;
	uint8_t data[9000];
	char err[256];
	gen_fill(data, sizeof(data), 9);
	pkgfs_btree_init(&t);
	struct pkgfs_bnode *bin = pkgfs_btree_add(&t, &t.root, "bin", 3, true, 0755, NULL, 0);
	struct pkgfs_bnode *etc = pkgfs_btree_add(&t, &t.root, "etc", 3, true, 0755, NULL, 0);
	pkgfs_btree_add(&t, &t.root, "readme", 6, false, 0644, NULL, 0);
	pkgfs_btree_add(&t, bin, "hello", 5, false, 0755, data, 9000);
	pkgfs_btree_add(&t, bin, "cat", 3, false, 0755, data + 1, 100);
	pkgfs_btree_add(&t, etc, "conf", 4, false, 0644, data + 2, 10);
	ck_assert_int_eq(build_tree(&t, 0, img, len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
}

/* node: pointer to node i's bytes in an image. */
static uint8_t *node(uint8_t *img, uint32_t i)
{
	return img + PKGFS_HDR_SIZE + (size_t)i * PKGFS_NODE_SIZE;
}

/* name_byte: pointer to the first name byte of node i. */
static uint8_t *name_byte(uint8_t *img, uint32_t i)
{
	uint32_t count = pkgfs_ld32(img + PKGFS_H_NODE_COUNT);
	return img + PKGFS_HDR_SIZE + (size_t)count * PKGFS_NODE_SIZE +
	       pkgfs_ld32(node(img, i) + PKGFS_N_NAME_OFF);
}

static void p_magic(uint8_t *img, size_t *len)
{
	(void)len;
	img[0] ^= 0x20;
}
static void p_version(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st32(img + PKGFS_H_VERSION, 4);
}
/* p_version1: a format-1 image (no release field) is refused, not read as release 0. */
static void p_version1(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st32(img + PKGFS_H_VERSION, 1);
}
/* p_release: the release is hashed: raising it without re-signing breaks the root hash. */
static void p_release(uint8_t *img, size_t *len)
{
	(void)len;
	img[PKGFS_H_RELEASE] ^= 1;
}
/* p_version2: a format-2 image (whole-file hashes, no tree) is refused. */
static void p_version2(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st32(img + PKGFS_H_VERSION, 2);
}
/* p_tree_off: the tree moved one page away from the end of the data. */
static void p_tree_off(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(img + PKGFS_H_TREE_OFF, pkgfs_ld64(img + PKGFS_H_TREE_OFF) + 4096);
}
/* p_tree_size: one tree page more than data_size calls for. */
static void p_tree_size(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(img + PKGFS_H_TREE_SIZE, pkgfs_ld64(img + PKGFS_H_TREE_SIZE) + 4096);
	pkgfs_st64(img + PKGFS_H_IMAGE_SIZE, pkgfs_ld64(img + PKGFS_H_IMAGE_SIZE) + 4096);
}
/* p_tree_root_zero: data but no tree root. */
static void p_tree_root_zero(uint8_t *img, size_t *len)
{
	(void)len;
	memset(img + PKGFS_H_TREE_ROOT, 0, PKGFS_HASH_SIZE);
}
/* p_tree_root_edit: the tree root is signed: editing it breaks the root hash. */
static void p_tree_root_edit(uint8_t *img, size_t *len)
{
	(void)len;
	img[PKGFS_H_TREE_ROOT + 31] ^= 1;
}
/* p_into_tree: /etc/conf's extent points at the hash tree's first page. */
static void p_into_tree(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(node(img, E_CONF) + PKGFS_N_START, pkgfs_ld64(img + PKGFS_H_TREE_OFF));
}
static void p_nodes(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st32(img + PKGFS_H_NODE_COUNT, 70000);
}
static void p_reserved(uint8_t *img, size_t *len)
{
	(void)len;
	img[PKGFS_H_RESERVED2 + 6] = 1;
}
static void p_truncate(uint8_t *img, size_t *len)
{
	(void)img;
	*len -= 4096;
}
static void p_metasize(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(img + PKGFS_H_META_SIZE, 9999);
}
/* p_size_past_device: header claims one more data page than the device holds. */
static void p_size_past_device(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(img + PKGFS_H_DATA_SIZE, pkgfs_ld64(img + PKGFS_H_DATA_SIZE) + 4096);
	pkgfs_st64(img + PKGFS_H_TREE_OFF, pkgfs_ld64(img + PKGFS_H_TREE_OFF) + 4096);
	pkgfs_st64(img + PKGFS_H_IMAGE_SIZE, pkgfs_ld64(img + PKGFS_H_IMAGE_SIZE) + 4096);
}
static void p_file_past_end(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(node(img, E_CONF) + PKGFS_N_SIZE, 40960);
}
/* p_overlap: hello's extent starts where cat's does. */
static void p_overlap(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(node(img, E_HELLO) + PKGFS_N_START,
		   pkgfs_ld64(node(img, E_CAT) + PKGFS_N_START));
}
/* p_overlap_partial: cat's one page runs into hello's second page. */
static void p_overlap_partial(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(node(img, E_CAT) + PKGFS_N_START,
		   pkgfs_ld64(node(img, E_HELLO) + PKGFS_N_START) + 4096);
}
static void p_in_meta(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(node(img, E_CAT) + PKGFS_N_START, 0);
}
static void p_unaligned(uint8_t *img, size_t *len)
{
	(void)len;
	node(img, E_CAT)[PKGFS_N_START] = 1;
}
static void p_utf8(uint8_t *img, size_t *len)
{
	(void)len;
	name_byte(img, E_CAT)[0] = 0xff;
}
static void p_slash(uint8_t *img, size_t *len)
{
	(void)len;
	name_byte(img, E_CAT)[1] = '/';
}
static void p_order(uint8_t *img, size_t *len)
{
	(void)len;
	name_byte(img, E_CAT)[0] = 'z';
}
static void p_cycle(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st32(node(img, E_BIN) + PKGFS_N_PARENT, E_HELLO);
}
/* p_twice: /etc lists /bin's children too (an entry reachable twice). */
static void p_twice(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st64(node(img, E_ETC) + PKGFS_N_START, E_CAT);
	pkgfs_st64(node(img, E_ETC) + PKGFS_N_SIZE, 3);
}
static void p_dir_hash(uint8_t *img, size_t *len)
{
	(void)len;
	node(img, E_ETC)[PKGFS_N_SHA256] = 1;
}
static void p_mode(uint8_t *img, size_t *len)
{
	(void)len;
	pkgfs_st32(node(img, E_CAT) + PKGFS_N_MODE, 0120777);
}
static void p_meta_byte(uint8_t *img, size_t *len)
{
	(void)len;
	name_byte(img, E_HELLO)[0] ^= 1;
}
static void p_sig(uint8_t *img, size_t *len)
{
	(void)len;
	img[PKGFS_H_SIGNATURE + 5] ^= 1;
}
static void p_padding(uint8_t *img, size_t *len)
{
	(void)len;
	img[pkgfs_ld64(img + PKGFS_H_DATA_OFF) - 1] = 7;
}

/* One malformed-image case. */
struct bad_case {
	const char *what; /* test label */
	void (*patch)(uint8_t *img, size_t *len);
	int resign;	    /* recompute root hash + signature after patch */
	int wrong_key;	    /* mount with the other public key */
	int64_t entry;	    /* expected report.entry (-1: image-level) */
	const char *reason; /* expected substring of report.reason */
};

static const struct bad_case cases[] = {
	{ "bad magic", p_magic, 0, 0, -1, "bad magic" },
	{ "bad version", p_version, 1, 0, -1, "unsupported version (4 vs 3)" },
	{ "version 1 image", p_version1, 1, 0, -1, "unsupported version (1 vs 3)" },
	{ "version 2 image", p_version2, 1, 0, -1, "unsupported version (2 vs 3)" },
	{ "release edited", p_release, 0, 0, -1, "root hash mismatch" },
	{ "tree offset", p_tree_off, 1, 0, -1, "hash tree does not follow the data region" },
	{ "tree size", p_tree_size, 1, 0, -1, "hash tree size does not match the data size" },
	{ "tree root zero", p_tree_root_zero, 1, 0, -1, "hash tree root is zero" },
	{ "tree root edited", p_tree_root_edit, 0, 0, -1, "root hash mismatch" },
	{ "extent into the tree", p_into_tree, 1, 0, E_CONF,
	  "entry 6 '/etc/conf': extent outside the data region" },
	{ "node count", p_nodes, 1, 0, -1, "node count out of range" },
	{ "reserved header", p_reserved, 1, 0, -1, "reserved header bytes" },
	{ "metadata size", p_metasize, 1, 0, -1, "metadata size does not match" },
	{ "truncated image", p_truncate, 0, 0, -1, "truncated image" },
	{ "size past device end", p_size_past_device, 1, 0, -1, "exceeds the device" },
	{ "file past data end", p_file_past_end, 1, 0, E_CONF,
	  "entry 6 '/etc/conf': extent outside the data region" },
	{ "overlapping extents", p_overlap, 1, 0, E_HELLO,
	  "entry 5 '/bin/hello': extent overlaps entry 4 '/bin/cat'" },
	{ "partial overlap", p_overlap_partial, 1, 0, E_HELLO,
	  "entry 5 '/bin/hello': extent overlaps entry 4 '/bin/cat'" },
	{ "extent in metadata", p_in_meta, 1, 0, E_CAT,
	  "entry 4 '/bin/cat': extent in the metadata region" },
	{ "unaligned extent", p_unaligned, 1, 0, E_CAT,
	  "entry 4 '/bin/cat': extent not 4096-aligned" },
	{ "bad UTF-8", p_utf8, 1, 0, E_CAT, "entry 4 '\\xffat': name is not valid UTF-8" },
	{ "slash in name", p_slash, 1, 0, E_CAT, "entry 4 'c/t': name contains '/'" },
	{ "unsorted names", p_order, 1, 0, E_HELLO,
	  "entry 5 '/bin/hello': names not in bytewise order after entry 4 '/bin/zat'" },
	{ "cycle", p_cycle, 1, 0, E_BIN, "entry 1 'bin': not a tree" },
	{ "reachable twice", p_twice, 1, 0, E_CAT, "not a tree" },
	{ "directory with hash", p_dir_hash, 1, 0, E_ETC,
	  "entry 2 'etc': directory with a content hash" },
	{ "symlink mode", p_mode, 1, 0, E_CAT, "not a regular file or directory" },
	{ "bad root hash", p_meta_byte, 0, 0, -1, "root hash mismatch" },
	{ "bad signature", p_sig, 0, 0, -1, "signature invalid" },
	{ "wrong key", NULL, 0, 1, -1, "signature invalid" },
	{ "padding not zero", p_padding, 0, 0, -1, "padding after metadata not zero" },
};

/* run_case: patch, maybe re-sign, mount on both sector sizes, expect the refusal. */
static void run_case(const struct bad_case *c, uint32_t ss)
{
	uint8_t *img;
	size_t len;
	struct blkdev_mem m;
	struct pkgfs_mount_report rep;
	struct pkgfs *fs = (struct pkgfs *)&rep; /* must be reset to NULL */
	base_image(&img, &len);
	if (c->patch)
		c->patch(img, &len);
	if (c->resign)
		ck_assert_int_eq(pkgfs_image_sign(img, len, test_seed), 0);
	mem_device(&m, ss, img, len, 0);
	struct pkgfs_config cfg = test_config(4, NULL);
	if (c->wrong_key)
		cfg.public_key = other_pub;
	int e = pkgfs_mount(&fs, &m.dev, &cfg, &rep);
	ck_assert_msg(e == CAIRN_EBADMSG, "%s: mount returned %d (%s)", c->what, e, rep.reason);
	ck_assert_ptr_null(fs);
	ck_assert_int_eq(rep.err, CAIRN_EBADMSG);
	ck_assert_msg(strstr(rep.reason, c->reason), "%s: reason '%s' lacks '%s'", c->what,
		      rep.reason, c->reason);
	ck_assert_msg(rep.entry == c->entry, "%s: entry %lld want %lld", c->what,
		      (long long)rep.entry, (long long)c->entry);
	if (c->resign) /* the structure, not the crypto, refused it */
		ck_assert(!strstr(rep.reason, "signature") && !strstr(rep.reason, "root hash"));
	blkdev_mem_fini(&m);
	free(img);
}

START_TEST(test_pkgfs_malformed_refused)
{
	run_case(&cases[_i], 512);
	run_case(&cases[_i], 4096);
}
END_TEST

/* The unpatched base image mounts (the table's baseline). */
START_TEST(test_pkgfs_base_image_mounts)
{
	uint8_t *img;
	size_t len;
	struct blkdev_mem m;
	struct pkgfs *fs;
	base_image(&img, &len);
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(4, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
}
END_TEST

/* build_unchecked_case: mount an image the builder made with its rules off. */
static void build_unchecked_case(struct pkgfs_btree *t, int64_t entry, const char *reason)
{
	uint8_t *img;
	size_t len;
	char err[256];
	struct blkdev_mem m;
	struct pkgfs_mount_report rep;
	struct pkgfs *fs;
	ck_assert_int_eq(build_tree(t, 1, &img, &len, err, sizeof(err)), 0);
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(4, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, &rep), CAIRN_EBADMSG);
	ck_assert_msg(strstr(rep.reason, reason), "reason '%s' lacks '%s'", rep.reason, reason);
	ck_assert_int_eq(rep.entry, entry);
	blkdev_mem_fini(&m);
	free(img);
	pkgfs_btree_free(t);
}

START_TEST(test_pkgfs_duplicate_names_refused)
{
	struct pkgfs_btree t;
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "a", 1, false, 0644, "1", 1);
	pkgfs_btree_add(&t, &t.root, "same", 4, false, 0644, "2", 1);
	pkgfs_btree_add(&t, &t.root, "same", 4, true, 0755, NULL, 0);
	build_unchecked_case(&t, 3,
			     "entry 3 '/same': duplicate name in directory, same as entry 2 "
			     "'/same'");
}
END_TEST

START_TEST(test_pkgfs_deep_nesting_refused)
{
	struct pkgfs_btree t;
	pkgfs_btree_init(&t);
	struct pkgfs_bnode *d = &t.root;
	for (int i = 0; i < PKGFS_DEPTH_MAX + 1; i++)
		d = pkgfs_btree_add(&t, d, "deep", 4, true, 0755, NULL, 0);
	build_unchecked_case(&t, PKGFS_DEPTH_MAX + 1, "entry 33 '.../deep/deep");
	pkgfs_btree_init(&t);
	d = &t.root;
	for (int i = 0; i < PKGFS_DEPTH_MAX + 1; i++)
		d = pkgfs_btree_add(&t, d, "deep", 4, true, 0755, NULL, 0);
	build_unchecked_case(&t, PKGFS_DEPTH_MAX + 1, "/deep/deep': nested too deep (limit 32)");
}
END_TEST

START_TEST(test_pkgfs_long_path_refused)
{
	struct pkgfs_btree t;
	char name[200];
	memset(name, 'n', sizeof(name));
	pkgfs_btree_init(&t);
	struct pkgfs_bnode *d = &t.root;
	for (int i = 0; i < 6; i++) /* 6 * 201 = 1206 > 1024 */
		d = pkgfs_btree_add(&t, d, name, sizeof(name), true, 0755, NULL, 0);
	build_unchecked_case(&t, 6, "path too long");
}
END_TEST

/* Flipped byte in one page of file data: mount ok; reads touching that page fail
 * with EIO (audited once), reads of the file's other pages and other files succeed. */
START_TEST(test_pkgfs_damaged_page_fails_only_its_reads)
{
	uint8_t *img, *got = NULL, buf[16], want[9000];
	size_t len;
	struct blkdev_mem m;
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct audit_log log = { 0 };
	gen_fill(want, sizeof(want), 9); /* /bin/hello's content (base_image) */
	base_image(&img, &len);
	uint64_t start = pkgfs_ld64(node(img, E_HELLO) + PKGFS_N_START);
	img[start + 4096 + 10] ^= 0x01; /* a byte of /bin/hello's second page */
	static const uint32_t sector[] = { 512, 4096, 8192 }; /* 8192: two units per page */
	mem_device(&m, sector[_i], img, len, 0);
	struct pkgfs_config cfg = test_config(2, &log);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_open(fs, "/bin/hello", &f), 0);
	ck_assert_int_eq(pkgfs_read(&f, 4096 + 3, buf, sizeof(buf)), CAIRN_EIO);
	ck_assert_int_eq(log.count, 1);
	ck_assert_msg(strstr(log.last, "content hash mismatch at bytes 4096..8191, refusing") &&
			      strstr(log.last, "entry 5 '/bin/hello'"),
		      "%s", log.last);
	/* the first and last pages are intact and still served */
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert_mem_eq(buf, want, sizeof(buf));
	ck_assert_int_eq(pkgfs_read(&f, 8192, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert_mem_eq(buf, want + 8192, sizeof(buf));
	ck_assert_int_eq(pkgfs_read(&f, 4090, buf, sizeof(buf)), CAIRN_EIO); /* spans into it */
	ck_assert_int_eq(pkgfs_read(&f, 8191, buf, 1), CAIRN_EIO);	     /* its last byte */
	ck_assert_int_eq(pkgfs_read(&f, 4096, buf, 1), CAIRN_EIO); /* cached, still refused */
	ck_assert_int_eq(log.count, 1);				   /* reported once per file */
	ck_assert_int_eq(pkgfs_close(&f), 0);
	ck_assert_int_eq(read_all(fs, "/bin/cat", 64, &got), 100);
	free(got);
	ck_assert_int_eq(read_all(fs, "/etc/conf", 64, &got), 10);
	free(got);
	ck_assert_int_eq(read_all(fs, "/readme", 64, &got), 0);
	free(got);
	ck_assert_int_eq(read_all(fs, "/bin/hello", 64, &got), CAIRN_EIO);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
}
END_TEST

/* A byte after a file's end in its last page is hashed too: reads of that page fail. */
START_TEST(test_pkgfs_damaged_tail_padding)
{
	uint8_t *img, buf[16];
	size_t len;
	struct blkdev_mem m;
	struct pkgfs *fs;
	struct pkgfs_file f;
	base_image(&img, &len);
	uint64_t start = pkgfs_ld64(node(img, E_CAT) + PKGFS_N_START);
	img[start + 4000] = 0x55; /* /bin/cat holds 100 bytes; the rest of the page is zero */
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(4, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_open(fs, "/bin/cat", &f), 0);
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), CAIRN_EIO);
	ck_assert_int_eq(pkgfs_close(&f), 0);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
}
END_TEST

/* A damaged hash-tree page fails the reads of the data pages it covers, with a
 * message naming the tree page; here the only level-0 page covers all data. */
START_TEST(test_pkgfs_damaged_tree_page)
{
	uint8_t *img, buf[16];
	size_t len;
	struct blkdev_mem m;
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct audit_log log = { 0 };
	base_image(&img, &len);
	img[pkgfs_ld64(img + PKGFS_H_TREE_OFF) + 40] ^= 0x80; /* digest of data page 1 */
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(4, &log);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_open(fs, "/bin/hello", &f), 0);
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), CAIRN_EIO);
	ck_assert_int_eq(log.count, 1);
	ck_assert_msg(strstr(log.last, "hash tree mismatch (level 0 page 0) at bytes 0..4095, "
				       "refusing entry 5 '/bin/hello'"),
		      "%s", log.last);
	ck_assert_int_eq(pkgfs_close(&f), 0);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
}
END_TEST

/* The device changes under a mount (the read-only disk is not trusted): a page
 * evicted and read again is hashed again, so the change is caught. */
START_TEST(test_pkgfs_changed_device_caught_after_eviction)
{
	uint8_t *img, buf[16];
	size_t len;
	struct blkdev_mem m;
	struct pkgfs *fs;
	struct pkgfs_file f;
	base_image(&img, &len);
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(2, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, NULL), 0);
	ck_assert_int_eq(pkgfs_open(fs, "/bin/hello", &f), 0);
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), (int)sizeof(buf));
	m.data[pkgfs_ld64(node(img, E_HELLO) + PKGFS_N_START) + 5] ^= 1;
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), (int)sizeof(buf)); /* cached */
	ck_assert_int_eq(pkgfs_read(&f, 4096, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert_int_eq(pkgfs_read(&f, 8192, buf, sizeof(buf)), (int)sizeof(buf)); /* evicts */
	ck_assert_int_eq(pkgfs_read(&f, 0, buf, sizeof(buf)), CAIRN_EIO);
	ck_assert_int_eq(pkgfs_close(&f), 0);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	blkdev_mem_fini(&m);
	free(img);
}
END_TEST

/* An image without file data has no tree: size 0 and a zero root, nothing else. */
START_TEST(test_pkgfs_no_data_no_tree)
{
	struct pkgfs_btree t;
	uint8_t *img;
	size_t len;
	char err[128];
	struct blkdev_mem m;
	struct pkgfs *fs;
	struct pkgfs_mount_report rep;
	pkgfs_btree_init(&t);
	pkgfs_btree_add(&t, &t.root, "empty", 5, false, 0644, NULL, 0);
	ck_assert_int_eq(build_tree(&t, 0, &img, &len, err, sizeof(err)), 0);
	pkgfs_btree_free(&t);
	ck_assert_uint_eq(pkgfs_ld64(img + PKGFS_H_TREE_SIZE), 0);
	ck_assert_uint_eq(pkgfs_ld64(img + PKGFS_H_TREE_OFF), len);
	mem_device(&m, 512, img, len, 0);
	struct pkgfs_config cfg = test_config(4, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, &rep), 0);
	ck_assert_int_eq(pkgfs_unmount(fs), 0);
	m.data[PKGFS_H_TREE_ROOT] = 1;
	ck_assert_int_eq(pkgfs_image_sign(m.data, len, test_seed), 0);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, &rep), CAIRN_EBADMSG);
	ck_assert_msg(strstr(rep.reason, "hash tree root set without data"), "%s", rep.reason);
	blkdev_mem_fini(&m);
	free(img);
}
END_TEST

/* Tree shape: levels of 128 digests per page up to one top page, level 0 first. */
START_TEST(test_pkgfs_tree_geometry)
{
	struct pkgfs_tree_geom g;
	pkgfs_tree_geom(4096, 1000 * 4096, &g); /* one data page: one level of one page */
	ck_assert_uint_eq(g.levels, 1);
	ck_assert_uint_eq(g.off[0], 1000 * 4096);
	ck_assert_uint_eq(g.size, 4096);
	pkgfs_tree_geom(128 * 4096, 0, &g); /* 128 digests fill one page */
	ck_assert_uint_eq(g.levels, 1);
	pkgfs_tree_geom(129 * 4096, 0, &g); /* one more needs a second level */
	ck_assert_uint_eq(g.levels, 2);
	ck_assert_uint_eq(g.pages[0], 2);
	ck_assert_uint_eq(g.pages[1], 1);
	ck_assert_uint_eq(g.off[1], 2 * 4096);
	pkgfs_tree_geom(8u << 20, 0, &g); /* 8 MiB: 16 level-0 pages under one */
	ck_assert_uint_eq(g.levels, 2);
	ck_assert_uint_eq(g.size, 17 * 4096);
	pkgfs_tree_geom((UINT64_MAX >> 1) / 4096 * 4096, 0, &g); /* the largest data region */
	ck_assert_uint_eq(g.levels, PKGFS_TREE_LEVELS_MAX);
	ck_assert_uint_eq(g.pages[PKGFS_TREE_LEVELS_MAX - 1], 1);
	pkgfs_tree_geom(0, 4096, &g);
	ck_assert_uint_eq(g.levels, 0);
	ck_assert_uint_eq(g.size, 0);
}
END_TEST

/* A bad config is refused before the device is touched. */
START_TEST(test_pkgfs_bad_config)
{
	struct blkdev_mem m;
	struct pkgfs *fs;
	struct pkgfs_mount_report rep;
	uint8_t img[4096] = { 0 };
	mem_device(&m, 512, img, sizeof(img), 0);
	struct pkgfs_config cfg = test_config(PKGFS_CACHE_PAGES_MAX + 1, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, &rep), CAIRN_EINVAL);
	cfg = test_config(0, NULL);
	cfg.public_key = NULL;
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, &rep), CAIRN_EINVAL);
	cfg = test_config(0, NULL);
	ck_assert_int_eq(pkgfs_mount(&fs, &m.dev, &cfg, &rep), CAIRN_EBADMSG); /* all zero */
	ck_assert(strstr(rep.reason, "bad magic"));
	blkdev_mem_fini(&m);
}
END_TEST

/* main: run the suite. */
int main(void)
{
	load_test_keys();
	Suite *s = suite_create("packagefs");
	TCase *tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pkgfs_base_image_mounts);
	tcase_add_loop_test(tc, test_pkgfs_malformed_refused, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_pkgfs_duplicate_names_refused);
	tcase_add_test(tc, test_pkgfs_deep_nesting_refused);
	tcase_add_test(tc, test_pkgfs_long_path_refused);
	tcase_add_loop_test(tc, test_pkgfs_damaged_page_fails_only_its_reads, 0, 3);
	tcase_add_test(tc, test_pkgfs_damaged_tail_padding);
	tcase_add_test(tc, test_pkgfs_damaged_tree_page);
	tcase_add_test(tc, test_pkgfs_changed_device_caught_after_eviction);
	tcase_add_test(tc, test_pkgfs_no_data_no_tree);
	tcase_add_test(tc, test_pkgfs_tree_geometry);
	tcase_add_test(tc, test_pkgfs_bad_config);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
