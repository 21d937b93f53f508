/* packagefs hash tree, read side: hand out a 4096-byte page of the data region (or
 * of the tree) only after its SHA-256 matched the digest one level up, back to the
 * signed tree_root in the header.
 *
 * Trust argument: tree_root is inside the hashed and signed header, and the tree's
 * shape (levels, their offsets and sizes) is a function of the signed data_size, so
 * the digest that page (level, idx) must match is found at a position fixed by
 * signed data alone: slot idx % 128 of page idx / 128 of level + 1, or tree_root for
 * the top page. A page is only marked verified in the cache after it matched, and
 * the mark dies with the cached copy (eviction), so a page read again from the
 * device is hashed again: a device that changes under a running mount is caught.
 *
 * Order (why the digest is fetched before the page is hashed): fetching the parent
 * may evict the child from a small cache, so the expected digest is copied out first,
 * then the child is looked up again, hashed, compared and marked with no cache call
 * in between; the mark therefore lands on exactly the bytes that were hashed. */
#include <string.h>

#include "packagefs_internal.h"

/* unit_off: device byte offset of page idx of level (-1 = data region). */
static uint64_t unit_off(const struct pkgfs *fs, int level, uint64_t idx)
{
	uint64_t base = level < 0 ? fs->hdr.data_off : fs->tree.off[level];
	return base + idx * PKGFS_ALIGN;
}

/* expected_digest: the digest page (level, idx) must have, from its verified parent. */
static int expected_digest(struct pkgfs *fs, int level, uint64_t idx, uint8_t out[PKGFS_HASH_SIZE],
			   int *bad_level, uint64_t *bad_idx)
{
	if (level + 1 == (int)fs->tree.levels) {
		memcpy(out, fs->hdr.tree_root, PKGFS_HASH_SIZE);
		return 0;
	}
	const uint8_t *parent;
	int err = pkgfs_tree_page(fs, level + 1, idx / PKGFS_TREE_FANOUT, 1, &parent, bad_level,
				  bad_idx);
	if (err)
		return err;
	memcpy(out, parent + (idx % PKGFS_TREE_FANOUT) * PKGFS_HASH_SIZE, PKGFS_HASH_SIZE);
	return 0;
}

/* pkgfs_tree_page: the verified page idx of level (-1 = data), see the header. */
int pkgfs_tree_page(struct pkgfs *fs, int level, uint64_t idx, uint64_t want, const uint8_t **p,
		    int *bad_level, uint64_t *bad_idx)
{
	uint64_t limit = level < 0 ? fs->hdr.data_size / PKGFS_ALIGN : fs->tree.pages[level];
	if (level >= (int)fs->tree.levels || idx >= limit)
		return CAIRN_ERANGE; /* a caller bug: reads are bounded by validated extents */
	uint64_t off = unit_off(fs, level, idx);
	bool ok;
	int err = pkgfs_cache_unit(&fs->cache, off, want, p, &ok);
	if (err || ok)
		return err ? CAIRN_EIO : 0;
	uint8_t want_digest[PKGFS_HASH_SIZE], got[PKGFS_HASH_SIZE];
	err = expected_digest(fs, level, idx, want_digest, bad_level, bad_idx);
	if (err)
		return err;
	if (pkgfs_cache_unit(&fs->cache, off, want, p, &ok) != 0)
		return CAIRN_EIO;
	if (ok)
		return 0; /* verified meanwhile (cannot happen today; harmless) */
	crypto_sha256(*p, PKGFS_ALIGN, got);
	fs->cache.stats.hashed++;
	if (!crypto_ct_equal(got, want_digest, PKGFS_HASH_SIZE)) {
		*bad_level = level;
		*bad_idx = idx;
		return CAIRN_EBADMSG;
	}
	pkgfs_cache_mark(&fs->cache, off);
	return 0;
}
