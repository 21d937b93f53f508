/* libFuzzer target for packagefs mount and read: the input is a device image on a
 * memory block device. Each input is mounted twice:
 *  1. as-is with the fixed build-time test key (header, sizes, root hash, signature);
 *  2. with its root hash recomputed and the signature check skipped
 *     (insecure_skip_signature_check, fuzzer only), so mutations of the metadata
 *     reach the structural validator instead of dying at the hash; for half the
 *     inputs the hash tree is recomputed first, so mutated data pages are served.
 * Whatever mounts is walked: readdir everything, stat, open and read every file,
 * skipping past a page that fails its hash so the file's other pages are read too.
 * Oracle: when the tree was recomputed (it matches the data, and the memory device
 * never fails or changes), no read may fail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "packagefs.h"
#include "packagefs_internal.h"
#include "pkgfs_fuzz_pub.h" /* generated: static const uint8_t pkgfs_signing_pubkey[32] */

#define MAX_INPUT (4u << 20)

/* no_audit: swallow audit lines. */
static void no_audit(void *ctx, const char *msg)
{
	(void)msg;
	(*(int *)ctx)++;
}

static int tree_fixed; /* the current mount's hash tree was recomputed: reads must succeed */

/* read_file: read a whole file in odd-sized chunks; a failed read skips to the next page. */
static void read_file(struct pkgfs *fs, const char *path)
{
	struct pkgfs_file f;
	uint8_t buf[1500];
	if (pkgfs_open(fs, path, &f) != 0)
		return;
	struct pkgfs_stat st;
	pkgfs_fstat(&f, &st);
	for (uint64_t off = 0;;) {
		int n = pkgfs_read(&f, off, buf, sizeof(buf));
		if (n < 0 && tree_fixed)
			abort(); /* a page that matches its recomputed tree was refused */
		if (n < 0 && off < st.size) {
			off = (off / 4096 + 1) * 4096; /* the file's other pages still read */
			continue;
		}
		if (n <= 0)
			break;
		off += (uint64_t)n;
		if (off > st.size)
			abort(); /* served more than the file holds */
	}
	pkgfs_close(&f);
}

/* walk: every entry below dir, depth first. */
static void walk(struct pkgfs *fs, const char *dir, int depth)
{
	struct pkgfs_dirent ent;
	uint64_t cursor = 0;
	char path[PKGFS_PATH_MAX + PKGFS_NAME_MAX + 2];
	if (depth > PKGFS_DEPTH_MAX)
		abort(); /* the validator bounds depth */
	while (pkgfs_readdir(fs, dir, &cursor, &ent) == 1) {
		size_t dl = strlen(dir), nl = strlen(ent.name);
		memcpy(path, dir, dl);
		size_t p = dl;
		if (dl > 1)
			path[p++] = '/';
		memcpy(path + p, ent.name, nl + 1);
		struct pkgfs_stat st;
		if (pkgfs_stat(fs, path, &st) != 0 || st.ino != ent.st.ino)
			abort(); /* every listed entry must resolve to itself */
		if ((ent.st.mode & PKGFS_S_IFMT) == PKGFS_S_IFDIR)
			walk(fs, path, depth + 1);
		else
			read_file(fs, path);
	}
}

/* try_mount: mount the device with cfg and walk it when it mounts. */
static void try_mount(struct blkdev *dev, const struct pkgfs_config *cfg)
{
	struct pkgfs *fs;
	struct pkgfs_mount_report rep;
	if (pkgfs_mount(&fs, dev, cfg, &rep) != 0) {
		if (rep.err == 0 || rep.reason[0] == '\0')
			abort(); /* a refusal always carries a reason */
		return;
	}
	walk(fs, "/", 0);
	if (pkgfs_unmount(fs) != 0)
		abort();
}

/* fix_root_hash: recompute the root hash in place when the header's metadata
 * range lies inside the input. */
static void fix_root_hash(uint8_t *img, size_t len)
{
	if (len < PKGFS_HDR_SIZE)
		return;
	uint64_t off = pkgfs_ld64(img + PKGFS_H_META_OFF),
		 size = pkgfs_ld64(img + PKGFS_H_META_SIZE);
	if (off > len || size > len - off)
		return;
	pkgfs_root_hash(img, img + off, (size_t)size, img + PKGFS_H_ROOT_HASH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blkdev_mem m;
	int audits = 0;
	if (size > MAX_INPUT)
		return 0;
	uint32_t ss = (size > 0 && (data[size - 1] & 1)) ? 4096 : 512;
	if (blkdev_mem_init(&m, ss, size / ss + 1) != 0)
		return 0;
	memcpy(m.data, data, size);
	struct pkgfs_config cfg = { .public_key = pkgfs_signing_pubkey,
				    .cache_pages = 2,
				    .audit = no_audit,
				    .audit_ctx = &audits };
	try_mount(&m.dev, &cfg);
	if (size & 4)
		tree_fixed = pkgfs_tree_compute(m.data, size) == 0;
	fix_root_hash(m.data, size);
	cfg.insecure_skip_signature_check = true;
	cfg.cache_pages = 1 + (size & 3);
	try_mount(&m.dev, &cfg);
	tree_fixed = 0;
	blkdev_mem_fini(&m);
	return 0;
}
