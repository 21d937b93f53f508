/* packagefs image builder (host only): an in-memory tree, filled from a directory or
 * by hand, laid out deterministically and signed into an image buffer. Used by
 * mkpkgfs and by the unit tests (which also patch and re-sign images to build
 * malformed ones). */
#ifndef PKGFS_BUILDER_H
#define PKGFS_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKGFS_SEED_SIZE 32 /* Ed25519 secret seed */

/* One entry of the tree being built. */
struct pkgfs_bnode {
	char *name;		    /* owned, not NUL-terminated in meaning; NULL for root */
	size_t name_len;	    /* bytes in name */
	bool is_dir;		    /* directory or regular file */
	uint32_t perm;		    /* 0755 or 0644 (any 0..0777 accepted) */
	uint8_t *data;		    /* file content, owned (NULL when size 0) */
	uint64_t size;		    /* file bytes */
	struct pkgfs_bnode **kids;  /* directory entries, owned */
	size_t nkids, cap;	    /* used / allocated slots in kids */
	struct pkgfs_bnode *parent; /* NULL for the root */
	uint32_t index;		    /* entry index, assigned by the layout */
};

struct pkgfs_btree {
	struct pkgfs_bnode root; /* the root directory */
	size_t count;		 /* entries including the root */
};

/* Options for pkgfs_build_image. */
struct pkgfs_build_opts {
	/* Tests only: skip the build-time name/depth/duplicate rules so a malformed
	 * image can be produced for the mount-time validator to refuse. */
	bool unchecked;
	/* The image's release number (header field, signed); 0 by default. */
	uint64_t release;
};

/* pkgfs_btree_init: an empty tree (root directory only). */
void pkgfs_btree_init(struct pkgfs_btree *t);
/* pkgfs_btree_free: free every node of the tree. */
void pkgfs_btree_free(struct pkgfs_btree *t);
/* pkgfs_btree_add: add an entry under dir (copying name and data); NULL on ENOMEM. */
struct pkgfs_bnode *pkgfs_btree_add(struct pkgfs_btree *t, struct pkgfs_bnode *dir,
				    const char *name, size_t name_len, bool is_dir, uint32_t perm,
				    const void *data, uint64_t size);
/* pkgfs_btree_from_dir: add the contents of srcdir to the root. Only regular files
 * and directories; anything else, a bad name, or a too deep/long path fails with
 * a message naming the path in err. 0, CAIRN_EINVAL (bad input), CAIRN_EIO. */
int pkgfs_btree_from_dir(struct pkgfs_btree *t, const char *srcdir, char *err, size_t errlen);

/* pkgfs_build_image: lay out and sign the tree; *img (malloc'd) and *len receive the
 * image. 0, CAIRN_EINVAL (rule broken; err says which entry), CAIRN_ENOMEM. */
int pkgfs_build_image(struct pkgfs_btree *t, const uint8_t seed[PKGFS_SEED_SIZE],
		      const struct pkgfs_build_opts *opts, uint8_t **img, size_t *len, char *err,
		      size_t errlen);
/* pkgfs_image_sign: recompute the root hash and signature of an image in place
 * (tests use it after patching bytes; after patching file data, call
 * pkgfs_tree_compute first, or the patched pages fail their hash). CAIRN_EINVAL when the header's metadata
 * size does not fit in len. */
int pkgfs_image_sign(uint8_t *img, size_t len, const uint8_t seed[PKGFS_SEED_SIZE]);

#endif
