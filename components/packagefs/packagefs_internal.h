/* packagefs private definitions: on-disk format constants, decoded header and node,
 * the sector cache, and the mount structure. Shared by the engine and the host
 * builder (components/packagefs/tools), never by other components.
 * The format is documented byte by byte in docs/packagefs.md. */
#ifndef PACKAGEFS_INTERNAL_H
#define PACKAGEFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/blkdev.h"
#include "cairn/le.h"
#include "crypto.h"
#include "packagefs.h"

/* ---- On-disk format (all integers little-endian) ------------------------------ */

#define PKGFS_MAGIC "CAIRNPKG" /* 8 bytes at offset 0, no NUL */
#define PKGFS_VERSION 3u       /* 3: per-page hash tree; 2: release, whole-file hashes */
#define PKGFS_HDR_SIZE 256u    /* header bytes at image offset 0 */
#define PKGFS_HDR_HASHED 128u  /* header bytes covered by the root hash */
#define PKGFS_ALIGN 4096u      /* data-region and file-extent alignment */
#define PKGFS_NODE_SIZE 64u    /* bytes per node-table entry */

/* Header field offsets. */
#define PKGFS_H_MAGIC 0
#define PKGFS_H_VERSION 8
#define PKGFS_H_HDR_SIZE 12
#define PKGFS_H_ALIGN 16
#define PKGFS_H_FLAGS 20
#define PKGFS_H_NODE_COUNT 24
#define PKGFS_H_NAME_BYTES 28
#define PKGFS_H_META_OFF 32
#define PKGFS_H_META_SIZE 40
#define PKGFS_H_DATA_OFF 48
#define PKGFS_H_DATA_SIZE 56
#define PKGFS_H_IMAGE_SIZE 64
#define PKGFS_H_RELEASE 72   /* u64, hashed and signed (since format version 2) */
#define PKGFS_H_TREE_OFF 80  /* u64: byte offset of the hash tree (= data_off + data_size) */
#define PKGFS_H_TREE_SIZE 88 /* u64: bytes of the hash tree, PKGFS_ALIGN multiple */
#define PKGFS_H_TREE_ROOT 96 /* 32 bytes: SHA-256 of the tree's top page (0 if no tree) */
#define PKGFS_H_ROOT_HASH 128
#define PKGFS_H_SIGNATURE 160
#define PKGFS_H_RESERVED2 224

/* Node field offsets. */
#define PKGFS_N_PARENT 0
#define PKGFS_N_NAME_OFF 4
#define PKGFS_N_NAME_LEN 8
#define PKGFS_N_RESERVED 10
#define PKGFS_N_MODE 12
#define PKGFS_N_SIZE 16
#define PKGFS_N_START 24
#define PKGFS_N_SHA256 32

/* Decoded header. */
struct pkgfs_hdr {
	uint32_t version;    /* PKGFS_VERSION */
	uint32_t node_count; /* entries, root included: 1..PKGFS_NODES_MAX */
	uint32_t name_bytes; /* size of the name table */
	uint64_t meta_off;   /* byte offset of the node table (== PKGFS_HDR_SIZE) */
	uint64_t meta_size;  /* node_count * PKGFS_NODE_SIZE + name_bytes */
	uint64_t data_off;   /* byte offset of the data region, PKGFS_ALIGN-aligned */
	uint64_t data_size;  /* bytes in the data region, PKGFS_ALIGN multiple */
	uint64_t image_size; /* data_off + data_size */
	uint64_t release;    /* the image's release number; any value, signed */
	uint64_t tree_off;   /* byte offset of the hash tree, == data_off + data_size */
	uint64_t tree_size;  /* bytes of the hash tree (pkgfs_tree_geom of data_size) */
	uint8_t tree_root[PKGFS_HASH_SIZE]; /* SHA-256 of the top tree page; 0 if no data */
	uint8_t root_hash[PKGFS_HASH_SIZE];
	uint8_t signature[CRYPTO_ED25519_SIG];
};

/* Decoded node. */
struct pkgfs_node {
	uint32_t parent;   /* parent entry index; the root's is 0 */
	uint32_t name_off; /* offset of the name in the name table */
	uint16_t name_len; /* 0 for the root, else 1..PKGFS_NAME_MAX */
	uint16_t reserved; /* must be 0 */
	uint32_t mode;	   /* type and permission bits */
	uint64_t size;	   /* file: bytes; directory: child count */
	uint64_t start;	   /* file: data byte offset (0 when size 0); dir: first child */
	uint8_t sha256[PKGFS_HASH_SIZE]; /* file content hash; zero for directories */
};

/* Little-endian load/store: the shared codecs in cairn/le.h. */
#define pkgfs_ld16 le_get16
#define pkgfs_ld32 le_get32
#define pkgfs_ld64 le_get64
#define pkgfs_st16 le_put16
#define pkgfs_st32 le_put32
#define pkgfs_st64 le_put64

/* pkgfs_hdr_decode: fill h from the PKGFS_HDR_SIZE bytes at p (no validation). */
void pkgfs_hdr_decode(const uint8_t *p, struct pkgfs_hdr *h);
/* pkgfs_node_decode: fill n from the PKGFS_NODE_SIZE bytes at p (no validation). */
void pkgfs_node_decode(const uint8_t *p, struct pkgfs_node *n);
/* pkgfs_node_encode: write n as PKGFS_NODE_SIZE bytes at p. */
void pkgfs_node_encode(uint8_t *p, const struct pkgfs_node *n);
/* pkgfs_root_hash: SHA-256 over the first PKGFS_HDR_HASHED header bytes and the
 * meta_size metadata bytes. */
void pkgfs_root_hash(const uint8_t *hdr, const uint8_t *meta, size_t meta_size,
		     uint8_t out[PKGFS_HASH_SIZE]);
/* ---- Hash tree (format version 3) -----------------------------------------------
 *
 * One Merkle tree over the whole data region, in 4096-byte pages (docs/packagefs.md
 * "Hash tree"). Level 0 holds the SHA-256 of every data page, 128 digests to a tree
 * page; level l+1 holds the digests of level l's pages; the top level is one page,
 * and its SHA-256 is tree_root in the signed header. The shape is a function of
 * data_size alone, so nothing about it is read from the unsigned part of the image. */

#define PKGFS_TREE_FANOUT (PKGFS_ALIGN / PKGFS_HASH_SIZE) /* 128 digests per tree page */
#define PKGFS_TREE_LEVELS_MAX 8 /* data_size < 2^63: 2^51 pages need 8 levels */

/* Where each tree level lies. Level 0 is stored first, the top level last. */
struct pkgfs_tree_geom {
	uint32_t levels;		       /* 0 when there is no data */
	uint64_t off[PKGFS_TREE_LEVELS_MAX];   /* byte offset of level l's first page */
	uint64_t pages[PKGFS_TREE_LEVELS_MAX]; /* pages in level l; pages[levels-1] == 1 */
	uint64_t size;			       /* bytes of all levels */
};

/* pkgfs_tree_geom: the tree of data_size bytes (PKGFS_ALIGN multiple, < 2^63) of data
 * stored from byte tree_off on. */
void pkgfs_tree_geom(uint64_t data_size, uint64_t tree_off, struct pkgfs_tree_geom *g);
/* pkgfs_tree_compute: write the hash tree of the image img[0..len) (whose header's
 * data_off, data_size and tree_off are set) into its tree pages and tree_root.
 * CAIRN_EINVAL when the header's data and tree ranges do not fit in len. Used by the
 * builder, by tests that patch data, and by the fuzzer. */
int pkgfs_tree_compute(uint8_t *img, size_t len);

/* pkgfs_utf8_valid: true when s[0..len) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
bool pkgfs_utf8_valid(const uint8_t *s, size_t len);
/* pkgfs_name_check: NULL when name is a valid entry name, else a short reason. */
const char *pkgfs_name_check(const uint8_t *name, size_t len);
/* pkgfs_name_cmp: bytewise order of two names (shorter prefix sorts first). */
int pkgfs_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* ---- Sector cache ---------------------------------------------------------------- */

/* A bounded LRU cache of pages (max(PKGFS_ALIGN, sector size) bytes) over a blkdev.
 * Lookup is a hash of the page number into chains of slots; recency is a doubly
 * linked list of slots (most recent first, empty slots at the tail), so a hit or
 * a miss costs O(1) whatever the cache size. */
struct pkgfs_cache {
	struct blkdev *dev;    /* the device; not owned */
	uint32_t page_size;    /* bytes per page */
	uint32_t npages;       /* capacity */
	uint32_t nbuckets;     /* hash buckets, a power of two >= npages */
	uint8_t *mem;	       /* npages * page_size bytes */
	uint64_t *tag;	       /* page number held by slot i, UINT64_MAX = empty */
	uint32_t *bucket;      /* first slot of each hash chain, UINT32_MAX = none */
	uint32_t *chain;       /* next slot in slot i's hash chain */
	uint32_t *prev, *next; /* recency list links of slot i, UINT32_MAX = none */
	uint32_t *vmask;       /* slot i: bit u set = its 4096-byte unit u was verified */
	uint32_t mru, lru;     /* list head (most recent) and tail (next victim) */
	uint32_t ra_max;       /* pages one miss may read (PKGFS_READAHEAD_BYTES), >= 1 */
	uint8_t *ra_buf;       /* ra_max pages of bounce buffer (NULL when ra_max is 1) */
	struct pkgfs_cache_stats stats;
};

/* A miss reads ahead at most PKGFS_READAHEAD_BYTES (one 128 KiB device request, the
 * raw bench's request size) and at most a quarter of the cache:
 * ra_max = max(1, min(npages / 4, PKGFS_READAHEAD_BYTES / page_size)). */
#define PKGFS_READAHEAD_BYTES (128u * 1024u)
#define PKGFS_READAHEAD_MAX (PKGFS_READAHEAD_BYTES / PKGFS_ALIGN) /* 32 pages of 4096 */

/* pkgfs_dev_bytes: device capacity in bytes, saturating at UINT64_MAX. */
static inline uint64_t pkgfs_dev_bytes(const struct blkdev *dev)
{
	uint64_t ss = dev->info.sector_size;
	if (ss == 0 || dev->info.sector_count > UINT64_MAX / ss)
		return UINT64_MAX;
	return dev->info.sector_count * ss;
}

/* pkgfs_cache_init: allocate npages pages over dev; CAIRN_ENOMEM, CAIRN_EINVAL. */
int pkgfs_cache_init(struct pkgfs_cache *c, struct blkdev *dev, uint32_t npages);
/* pkgfs_cache_fini: free the cache memory. */
void pkgfs_cache_fini(struct pkgfs_cache *c);
/* pkgfs_cache_read: copy len bytes at byte offset off of the device into buf via
 * the cache. CAIRN_ERANGE past the device end, CAIRN_EIO on a device error.
 * A miss reads ahead up to ra_max pages, but only pages inside [off, off+len)
 * that are not cached yet, in one device read (so misses still equal reads). */
int pkgfs_cache_read(struct pkgfs_cache *c, uint64_t off, void *buf, size_t len);
/* pkgfs_cache_unit: point *p at the cached PKGFS_ALIGN bytes at device offset off
 * (PKGFS_ALIGN-aligned; want = pages the caller will read from there on, the read-ahead
 * bound) and set *verified when pkgfs_cache_mark was called for them since they were
 * loaded. Valid until the next cache call. CAIRN_ERANGE, CAIRN_EIO. */
int pkgfs_cache_unit(struct pkgfs_cache *c, uint64_t off, uint64_t want, const uint8_t **p,
		     bool *verified);
/* pkgfs_cache_mark: the unit at off, just returned by pkgfs_cache_unit with no cache
 * call since, matched its hash: later pkgfs_cache_unit calls report it verified until
 * it is evicted. */
void pkgfs_cache_mark(struct pkgfs_cache *c, uint64_t off);

/* ---- Mount ----------------------------------------------------------------------- */

/* Per entry: whether an integrity failure of the file was already sent to the audit
 * hook (one line per file, so a reader retrying a damaged page cannot flood it). */
enum pkgfs_verify_state {
	PKGFS_CLEAN = 0,
	PKGFS_REPORTED = 1
};

/* pkgfs_tree_page: the verified 4096-byte page idx of tree level (-1 = the data
 * region) in *p, valid until the next cache call. want: pages the caller will read
 * from there on. CAIRN_EBADMSG when it (or a tree page above it) does not match its
 * hash, with the failing level and page in *bad_level, *bad_idx; CAIRN_EIO when the
 * device failed. */
struct pkgfs;
int pkgfs_tree_page(struct pkgfs *fs, int level, uint64_t idx, uint64_t want, const uint8_t **p,
		    int *bad_level, uint64_t *bad_idx);

/* A mounted image. Immutable after mount except the cache, verify[] and open_files,
 * which every call may update (the caller serialises calls, see packagefs.h). */
struct pkgfs {
	struct pkgfs_cache cache;		   /* sector cache over the device */
	struct pkgfs_hdr hdr;			   /* validated header */
	struct pkgfs_node *nodes;		   /* hdr.node_count validated nodes */
	uint8_t *names;				   /* hdr.name_bytes bytes of the name table */
	uint8_t *verify;			   /* per node: enum pkgfs_verify_state */
	struct pkgfs_tree_geom tree;		   /* hash tree shape, from the header */
	void (*audit)(void *ctx, const char *msg); /* from the config, may be NULL */
	void *audit_ctx;
	uint32_t open_files; /* files open on this mount */
};

/* pkgfs_validate: check decoded nodes and names of an image whose header and sizes
 * are already checked; fills report and returns CAIRN_EBADMSG on the first problem. */
int pkgfs_validate(const struct pkgfs_hdr *h, const struct pkgfs_node *nodes, const uint8_t *names,
		   struct pkgfs_mount_report *report);

/* pkgfs_path_of: write entry i's path ("/a/b") into buf (NUL-terminated; when too
 * long, "..." and the tail). Only for nodes whose parent chain has been validated. */
void pkgfs_path_of(const struct pkgfs_node *nodes, const uint8_t *names, uint32_t i, char *buf,
		   size_t len);

/* Tiny string builder used for reasons and audit lines (no stdio in the engine). */
struct pkgfs_sb {
	char *buf;  /* destination, always NUL-terminated */
	size_t cap; /* bytes in buf */
	size_t len; /* bytes used, excluding the NUL */
};
void pkgfs_sb_init(struct pkgfs_sb *sb, char *buf, size_t cap);
void pkgfs_sb_str(struct pkgfs_sb *sb, const char *s);
void pkgfs_sb_u64(struct pkgfs_sb *sb, uint64_t v);
/* pkgfs_sb_name: append name bytes, escaping non-printable bytes as \xNN. */
void pkgfs_sb_name(struct pkgfs_sb *sb, const uint8_t *s, size_t len);

#endif
