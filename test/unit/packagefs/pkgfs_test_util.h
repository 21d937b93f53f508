/* Shared helpers for the packagefs unit tests: build-time test keys, a generated
 * source tree on disk, images in memory devices, and an audit recorder. */
#ifndef PKGFS_TEST_UTIL_H
#define PKGFS_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "blkdev_host.h"
#include "packagefs.h"
#include "pkgfs_builder.h"

/* Keys made at build time by `mkpkgfs keygen` (paths passed in the environment). */
extern uint8_t test_seed[PKGFS_SEED_SIZE];
extern uint8_t test_pub[PKGFS_PUBLIC_KEY_SIZE];
extern uint8_t other_pub[PKGFS_PUBLIC_KEY_SIZE];
/* load_test_keys: read PKGFS_TEST_KEY, PKGFS_TEST_PUB, PKGFS_OTHER_PUB; aborts on error. */
void load_test_keys(void);

/* One generated file, remembered to compare against what the mount serves. */
struct gen_file {
	char path[256]; /* "/dir/name" inside the image */
	uint8_t *data;	/* expected content (owned) */
	size_t size;
};

/* A generated source tree on disk. */
struct gen_tree {
	char root[256]; /* host directory */
	struct gen_file files[96];
	size_t nfiles;
	size_t ndirs; /* directories below the root */
};

/* gen_tree_make: create a varied tree in a fresh temp dir; `salt` varies content,
 * `reverse` creates entries in the opposite order (same result expected). */
void gen_tree_make(struct gen_tree *g, unsigned salt, int reverse);
/* gen_tree_remove: delete the temp dir and free contents. */
void gen_tree_remove(struct gen_tree *g);
/* gen_fill: deterministic pseudo-random bytes. */
void gen_fill(uint8_t *buf, size_t len, unsigned seed);

/* build_from_dir: build and sign an image of a host directory; aborts on error. */
void build_from_dir(const char *dir, uint8_t **img, size_t *len);
/* build_tree: build and sign a hand-made tree; returns the builder's result. */
int build_tree(struct pkgfs_btree *t, int unchecked, uint8_t **img, size_t *len, char *err,
	       size_t errlen);

/* mem_device: a memory device of sector size ss holding img (zero-padded to a whole
 * number of sectors, plus extra_sectors). */
void mem_device(struct blkdev_mem *m, uint32_t ss, const uint8_t *img, size_t len,
		uint64_t extra_sectors);

/* Audit recorder for pkgfs_config.audit. */
struct audit_log {
	int count;	/* calls so far */
	char last[512]; /* last message */
};
void audit_record(void *ctx, const char *msg);

/* test_config: config with the test public key, cache size and audit log. */
struct pkgfs_config test_config(uint32_t cache_pages, struct audit_log *log);

/* read_all: read a whole file through pkgfs in chunks of `chunk` bytes into a new
 * buffer; returns the byte count or a negative error. */
long read_all(struct pkgfs *fs, const char *path, size_t chunk, uint8_t **out);

#endif
