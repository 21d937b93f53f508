/* packagefs mount: read and check the header against the device, load the
 * metadata, authenticate it (root hash, then Ed25519 signature), validate its
 * structure, and only then hand out a mount. Nothing is served from a partially
 * checked image. */
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"

#define NONE UINT64_MAX /* "no number" for refuse() */

/* refuse: record a mount-level reason (no entry) and return err. */
static int refuse(struct pkgfs_mount_report *r, int err, const char *msg, uint64_t a, uint64_t b)
{
	if (!r)
		return err;
	struct pkgfs_sb sb;
	pkgfs_sb_init(&sb, r->reason, sizeof(r->reason));
	pkgfs_sb_str(&sb, msg);
	if (a != NONE) {
		pkgfs_sb_str(&sb, " (");
		pkgfs_sb_u64(&sb, a);
		if (b != NONE) {
			pkgfs_sb_str(&sb, " vs ");
			pkgfs_sb_u64(&sb, b);
		}
		pkgfs_sb_str(&sb, ")");
	}
	r->err = err;
	r->entry = -1;
	return err;
}

/* all_zero: true when p[0..len) is zero. */
static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* check_fixed: the header fields that have exactly one valid value. */
static int check_fixed(const uint8_t *raw, const struct pkgfs_hdr *h, struct pkgfs_mount_report *r)
{
	const int E = CAIRN_EBADMSG;
	if (memcmp(raw + PKGFS_H_MAGIC, PKGFS_MAGIC, 8) != 0)
		return refuse(r, E, "bad magic: not a packagefs image", NONE, NONE);
	if (h->version != PKGFS_VERSION)
		return refuse(r, E, "unsupported version", h->version, PKGFS_VERSION);
	if (pkgfs_ld32(raw + PKGFS_H_HDR_SIZE) != PKGFS_HDR_SIZE)
		return refuse(r, E, "bad header size", pkgfs_ld32(raw + PKGFS_H_HDR_SIZE),
			      PKGFS_HDR_SIZE);
	if (pkgfs_ld32(raw + PKGFS_H_ALIGN) != PKGFS_ALIGN)
		return refuse(r, E, "bad alignment field", pkgfs_ld32(raw + PKGFS_H_ALIGN),
			      PKGFS_ALIGN);
	if (pkgfs_ld32(raw + PKGFS_H_FLAGS) != 0)
		return refuse(r, E, "unknown flags", pkgfs_ld32(raw + PKGFS_H_FLAGS), NONE);
	if (!all_zero(raw + PKGFS_H_RESERVED2, PKGFS_HDR_SIZE - PKGFS_H_RESERVED2))
		return refuse(r, E, "reserved header bytes not zero", NONE, NONE);
	return 0;
}

/* check_tree: the hash tree follows the data, has exactly the shape data_size gives
 * it, ends the image, and has a zero root exactly when there is no data. */
static int check_tree(const struct pkgfs_hdr *h, uint64_t dev_bytes, struct pkgfs_mount_report *r)
{
	const int E = CAIRN_EBADMSG;
	struct pkgfs_tree_geom g;
	if (h->tree_off != h->data_off + h->data_size)
		return refuse(r, E, "hash tree does not follow the data region", h->tree_off,
			      h->data_off + h->data_size);
	pkgfs_tree_geom(h->data_size, h->tree_off, &g);
	if (h->tree_size != g.size)
		return refuse(r, E, "hash tree size does not match the data size", h->tree_size,
			      g.size);
	if ((g.levels == 0) != all_zero(h->tree_root, PKGFS_HASH_SIZE))
		return refuse(r, E,
			      g.levels ? "hash tree root is zero"
				       : "hash tree root set without data",
			      NONE, NONE);
	if (h->image_size != h->tree_off + h->tree_size)
		return refuse(r, E, "image size is not tree offset + tree size", h->image_size,
			      h->tree_off + h->tree_size);
	if (h->image_size > dev_bytes)
		return refuse(r, E, "image size exceeds the device: truncated image", h->image_size,
			      dev_bytes);
	return 0;
}

/* check_sizes: counts and region sizes consistent with each other and the device. */
static int check_sizes(const struct pkgfs_hdr *h, uint64_t dev_bytes, struct pkgfs_mount_report *r)
{
	const int E = CAIRN_EBADMSG;
	if (h->node_count == 0 || h->node_count > PKGFS_NODES_MAX)
		return refuse(r, E, "node count out of range", h->node_count, PKGFS_NODES_MAX);
	if (h->name_bytes > (uint64_t)h->node_count * PKGFS_NAME_MAX)
		return refuse(r, E, "name table larger than the names it can hold", h->name_bytes,
			      NONE);
	if (h->meta_off != PKGFS_HDR_SIZE)
		return refuse(r, E, "metadata does not follow the header", h->meta_off,
			      PKGFS_HDR_SIZE);
	uint64_t meta = (uint64_t)h->node_count * PKGFS_NODE_SIZE + h->name_bytes;
	if (h->meta_size != meta)
		return refuse(r, E, "metadata size does not match the counts", h->meta_size, meta);
	uint64_t data_off = (h->meta_off + meta + PKGFS_ALIGN - 1) / PKGFS_ALIGN * PKGFS_ALIGN;
	if (h->data_off != data_off)
		return refuse(r, E, "data region not at the first 4096 boundary after metadata",
			      h->data_off, data_off);
	if (h->data_size % PKGFS_ALIGN != 0 || h->data_size > (UINT64_MAX >> 1))
		return refuse(r, E, "data region size invalid", h->data_size, NONE);
	return check_tree(h, dev_bytes, r);
}

/* read_metadata: load the node table and name table into fs; check padding zero. */
static int read_metadata(struct pkgfs *fs, uint8_t **meta_out, struct pkgfs_mount_report *r)
{
	const struct pkgfs_hdr *h = &fs->hdr;
	uint8_t *meta = malloc(h->meta_size);
	uint8_t pad[PKGFS_ALIGN];
	uint64_t end = h->meta_off + h->meta_size;
	if (!meta)
		return refuse(r, CAIRN_ENOMEM, "out of memory for metadata", h->meta_size, NONE);
	int err = pkgfs_cache_read(&fs->cache, h->meta_off, meta, h->meta_size);
	if (!err)
		err = pkgfs_cache_read(&fs->cache, end, pad, h->data_off - end);
	if (err) {
		free(meta);
		return refuse(r, CAIRN_EIO, "device read failed while loading metadata", NONE,
			      NONE);
	}
	if (!all_zero(pad, h->data_off - end)) {
		free(meta);
		return refuse(r, CAIRN_EBADMSG, "padding after metadata not zero", NONE, NONE);
	}
	*meta_out = meta;
	return 0;
}

/* authenticate: root hash over header+metadata, then the signature over it. */
static int authenticate(const uint8_t *raw, const uint8_t *meta, const struct pkgfs_hdr *h,
			const struct pkgfs_config *cfg, struct pkgfs_mount_report *r)
{
	uint8_t root[PKGFS_HASH_SIZE];
	pkgfs_root_hash(raw, meta, h->meta_size, root);
	if (!crypto_ct_equal(root, h->root_hash, sizeof(root)))
		return refuse(r, CAIRN_EBADMSG, "root hash mismatch: header or metadata corrupt",
			      NONE, NONE);
	if (cfg->insecure_skip_signature_check)
		return 0;
	if (crypto_ed25519_verify(h->signature, root, sizeof(root), cfg->public_key) != 0)
		return refuse(r, CAIRN_EBADMSG,
			      "signature invalid: not signed by the configured key", NONE, NONE);
	return 0;
}

/* decode_metadata: split meta into decoded nodes and the name table. */
static int decode_metadata(struct pkgfs *fs, const uint8_t *meta)
{
	const struct pkgfs_hdr *h = &fs->hdr;
	size_t table = (size_t)h->node_count * PKGFS_NODE_SIZE;
	fs->nodes = malloc((size_t)h->node_count * sizeof(*fs->nodes));
	fs->names = malloc(h->name_bytes ? h->name_bytes : 1);
	fs->verify = calloc(h->node_count, 1);
	if (!fs->nodes || !fs->names || !fs->verify)
		return CAIRN_ENOMEM;
	for (uint32_t i = 0; i < h->node_count; i++)
		pkgfs_node_decode(meta + (size_t)i * PKGFS_NODE_SIZE, &fs->nodes[i]);
	memcpy(fs->names, meta + table, h->name_bytes);
	return 0;
}

/* load: every check, in order: header, sizes, metadata, authentication, structure. */
static int load(struct pkgfs *fs, const struct pkgfs_config *cfg, struct pkgfs_mount_report *r)
{
	uint8_t raw[PKGFS_HDR_SIZE];
	uint64_t dev_bytes = pkgfs_dev_bytes(fs->cache.dev);
	if (dev_bytes < PKGFS_HDR_SIZE)
		return refuse(r, CAIRN_EBADMSG, "device too small for a header", dev_bytes,
			      PKGFS_HDR_SIZE);
	if (pkgfs_cache_read(&fs->cache, 0, raw, sizeof(raw)) != 0)
		return refuse(r, CAIRN_EIO, "device read failed on the header", NONE, NONE);
	pkgfs_hdr_decode(raw, &fs->hdr);
	int err = check_fixed(raw, &fs->hdr, r);
	if (!err)
		err = check_sizes(&fs->hdr, dev_bytes, r);
	uint8_t *meta = NULL;
	if (!err)
		err = read_metadata(fs, &meta, r);
	if (!err)
		err = authenticate(raw, meta, &fs->hdr, cfg, r);
	if (!err)
		err = decode_metadata(fs, meta);
	free(meta);
	if (err == CAIRN_ENOMEM)
		return refuse(r, err, "out of memory", NONE, NONE);
	if (!err)
		err = pkgfs_validate(&fs->hdr, fs->nodes, fs->names, r);
	if (!err)
		pkgfs_tree_geom(fs->hdr.data_size, fs->hdr.tree_off, &fs->tree);
	if (err == CAIRN_ENOMEM)
		return refuse(r, err, "out of memory", NONE, NONE);
	return err;
}

/* free_fs: release everything a (possibly half-built) mount holds. */
static void free_fs(struct pkgfs *fs)
{
	pkgfs_cache_fini(&fs->cache);
	free(fs->nodes);
	free(fs->names);
	free(fs->verify);
	free(fs);
}

/* prefetch_top: read and verify the hash tree's top page into the cache, so the
 * first read of a fresh mount costs one device read less. Its result is not the
 * mount's: a damaged top page fails (and is reported by) the reads that need it. */
static void prefetch_top(struct pkgfs *fs)
{
	const uint8_t *p;
	int level;
	uint64_t idx;
	if (fs->tree.levels)
		(void)pkgfs_tree_page(fs, (int)fs->tree.levels - 1, 0, 1, &p, &level, &idx);
}

/* pkgfs_mount: validate the whole image on dev, then return a mount. */
int pkgfs_mount(struct pkgfs **out, struct blkdev *dev, const struct pkgfs_config *cfg,
		struct pkgfs_mount_report *report)
{
	if (report) {
		memset(report, 0, sizeof(*report));
		report->entry = -1;
	}
	*out = NULL;
	if (!dev || !cfg || !cfg->public_key || cfg->cache_pages > PKGFS_CACHE_PAGES_MAX)
		return refuse(report, CAIRN_EINVAL, "bad mount configuration", NONE, NONE);
	struct pkgfs *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return refuse(report, CAIRN_ENOMEM, "out of memory", NONE, NONE);
	uint32_t pages = cfg->cache_pages ? cfg->cache_pages : PKGFS_CACHE_PAGES_DEFAULT;
	int err = pkgfs_cache_init(&fs->cache, dev, pages);
	if (err) {
		free(fs);
		return refuse(report, err, "cannot set up the sector cache", NONE, NONE);
	}
	err = load(fs, cfg, report);
	if (err) {
		free_fs(fs);
		return err;
	}
	prefetch_top(fs);
	fs->audit = cfg->audit;
	fs->audit_ctx = cfg->audit_ctx;
	*out = fs;
	return 0;
}

/* pkgfs_release: the release number from the mounted (hence signed) header. */
uint64_t pkgfs_release(const struct pkgfs *fs) { return fs->hdr.release; }

/* pkgfs_unmount: free the mount unless files are still open. */
int pkgfs_unmount(struct pkgfs *fs)
{
	if (!fs)
		return 0;
	if (fs->open_files)
		return CAIRN_EBUSY;
	free_fs(fs);
	return 0;
}
