/* packagefs: the read-only, signed package filesystem mounted at pkg:/.
 *
 * An image is built on the host by `mkpkgfs` (docs/packagefs.md has the format byte
 * by byte). pkgfs_mount() validates the whole image before serving anything: header,
 * every size, count, name and extent, the tree shape, the root hash over header and
 * metadata, and the Ed25519 signature over the root hash. File contents are checked
 * against their SHA-256 before their data is first returned.
 *
 * Paths: absolute, "pkg:/bin/hello" or "/bin/hello" (the "pkg:" prefix is optional);
 * components separated by one '/', a single trailing '/' is accepted; "", ".", ".."
 * and empty components ("//") are CAIRN_EINVAL. "/" (or "pkg:/") is the root.
 *
 * Concurrency: a mount is NOT internally locked; even reads update the sector cache.
 * The caller serialises every call on one mount (one lock around the pkgfs handle).
 *
 * Errors: 0 success, negative CAIRN_E* codes (cairn/err.h), positive = byte counts. */
#ifndef PACKAGEFS_H
#define PACKAGEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/blkdev.h"

#define PKGFS_PUBLIC_KEY_SIZE 32 /* Ed25519 public key */
#define PKGFS_HASH_SIZE 32	 /* SHA-256 */
#define PKGFS_NAME_MAX 255	 /* bytes in one name (UTF-8, no '/', no NUL) */
#define PKGFS_PATH_MAX 1024	 /* bytes in "/a/b/c" form, without "pkg:" */
#define PKGFS_DEPTH_MAX 32	 /* components below the root */
#define PKGFS_NODES_MAX 65536u	 /* entries in one image, root included */
#define PKGFS_REASON_MAX 200	 /* bytes of a mount-refusal reason, NUL included */

#define PKGFS_CACHE_PAGES_DEFAULT 16u /* used when pkgfs_config.cache_pages is 0 */
#define PKGFS_CACHE_PAGES_MAX 4096u   /* larger requests are CAIRN_EINVAL */

/* Mode bits as stored in the image (POSIX values). */
#define PKGFS_S_IFMT 0170000u
#define PKGFS_S_IFDIR 0040000u
#define PKGFS_S_IFREG 0100000u

struct pkgfs;

/* Mount configuration. Zero-initialise, then set what you need. */
struct pkgfs_config {
	/* Ed25519 key the image must be signed with (32 bytes). Required. */
	const uint8_t *public_key;
	/* Sector-cache size in pages (one page = max(4096, sector size) bytes).
	 * 0 selects PKGFS_CACHE_PAGES_DEFAULT; 1..PKGFS_CACHE_PAGES_MAX allowed. */
	uint32_t cache_pages;
	/* Called (may be NULL) with one line for every integrity failure found after
	 * mount (content hash mismatch, device read error). Not called for mount
	 * refusals, which go to the mount report. */
	void (*audit)(void *ctx, const char *msg);
	void *audit_ctx; /* first argument of audit */
	/* DANGER, for the fuzzer and `mkpkgfs list` only: skip the Ed25519 check (the
	 * root hash is still checked). The image never sets this. */
	bool insecure_skip_signature_check;
};

/* Why a mount was refused. */
struct pkgfs_mount_report {
	int err;		       /* the error pkgfs_mount returned, 0 on success */
	int64_t entry;		       /* offending entry index, -1 when not per-entry */
	char reason[PKGFS_REASON_MAX]; /* e.g. "entry 17 '/bin/hello': extent overlaps
	                                  entry 12 '/bin/cat'"; "" on success */
};

/* What stat and readdir report about an entry. */
struct pkgfs_stat {
	uint32_t ino;			 /* entry index, 0 = root; stable per image */
	uint32_t mode;			 /* PKGFS_S_IFDIR|0755 or PKGFS_S_IFREG|0644/0755 */
	uint64_t size;			 /* file: bytes; directory: number of entries */
	uint8_t sha256[PKGFS_HASH_SIZE]; /* file: content hash as recorded; dir: zero */
};

/* One directory entry from pkgfs_readdir. */
struct pkgfs_dirent {
	char name[PKGFS_NAME_MAX + 1]; /* NUL-terminated */
	struct pkgfs_stat st;
};

/* An open file. Caller-allocated; valid between pkgfs_open and pkgfs_close. */
struct pkgfs_file {
	struct pkgfs *fs; /* owning mount; NULL when closed */
	uint32_t ino;	  /* entry index */
};

/* Sector-cache counters. */
struct pkgfs_cache_stats {
	uint64_t hits;	    /* page lookups served from memory */
	uint64_t misses;    /* page lookups that read the device */
	uint64_t evictions; /* misses that replaced a valid page */
	uint64_t hashed;    /* 4096-byte pages (data and hash tree) hashed to verify them */
	uint32_t pages;	    /* cache capacity in pages */
	uint32_t page_size; /* bytes per page */
};

/* pkgfs_mount: validate the image on dev and, only if all of it is valid, return a
 * mount in *out. report (may be NULL) receives the reason on failure.
 * CAIRN_EBADMSG: image corrupt or malformed (incl. root hash or signature);
 * CAIRN_EIO: device read failed; CAIRN_EINVAL: bad config; CAIRN_ENOMEM.
 * dev must stay valid until pkgfs_unmount. */
int pkgfs_mount(struct pkgfs **out, struct blkdev *dev, const struct pkgfs_config *cfg,
		struct pkgfs_mount_report *report);
/* pkgfs_unmount: release the mount; CAIRN_EBUSY (and nothing freed) while files
 * are open. NULL is accepted. */
int pkgfs_unmount(struct pkgfs *fs);

/* pkgfs_stat: describe the entry at path. CAIRN_ENOENT, CAIRN_ENOTDIR (a middle
 * component is a file), CAIRN_EINVAL (bad path), CAIRN_ENAMETOOLONG. */
int pkgfs_stat(struct pkgfs *fs, const char *path, struct pkgfs_stat *st);
/* pkgfs_open: open a regular file; CAIRN_EISDIR for a directory, else as stat. */
int pkgfs_open(struct pkgfs *fs, const char *path, struct pkgfs_file *f);
/* pkgfs_read: copy up to len bytes from offset off into buf; returns the number of
 * bytes copied (0 at or past end of file; at most 1 GiB per call). Every 4096-byte
 * page the range touches is checked against the hash tree before its bytes are
 * copied (once while it stays cached). A page that does not match makes the whole
 * read CAIRN_EIO (buf may hold bytes of earlier pages) and is reported to the audit
 * hook (once per file); reads that touch only other pages still succeed. CAIRN_EIO
 * also for device errors. */
int pkgfs_read(struct pkgfs_file *f, uint64_t off, void *buf, size_t len);
/* pkgfs_fstat: stat of an open file. */
int pkgfs_fstat(struct pkgfs_file *f, struct pkgfs_stat *st);
/* pkgfs_close: close an open file; CAIRN_EINVAL when it is not open. */
int pkgfs_close(struct pkgfs_file *f);

/* pkgfs_readdir: next entry of the directory at path, in bytewise name order.
 * *cursor is 0 to start; it is advanced past the returned entry, so a caller can
 * resume any time (the image is immutable). Returns 1 with *ent filled, 0 at the
 * end, or a negative error (CAIRN_ENOTDIR for a file, else as stat). */
int pkgfs_readdir(struct pkgfs *fs, const char *path, uint64_t *cursor, struct pkgfs_dirent *ent);

/* Totals over a whole image. */
struct pkgfs_totals {
	uint32_t files; /* regular files */
	uint32_t dirs;	/* directories, the root included */
	uint64_t bytes; /* content bytes of all files */
};

/* pkgfs_totals: count the image's files, directories and content bytes. */
void pkgfs_totals(const struct pkgfs *fs, struct pkgfs_totals *t);

/* pkgfs_extent: where the open file's content lies on the device: byte offset
 * *off (0 for an empty file) and *len content bytes. For benchmarks that read
 * the same bytes raw; CAIRN_EINVAL when f is not open. */
int pkgfs_extent(const struct pkgfs_file *f, uint64_t *off, uint64_t *len);

/* pkgfs_release: the image's release number (header field, covered by the root
 * hash and the signature, so it is as trustworthy as the content). bootctl compares
 * it with its anti-rollback floor. */
uint64_t pkgfs_release(const struct pkgfs *fs);

/* pkgfs_cache_stats: copy the sector-cache counters. */
void pkgfs_cache_stats(const struct pkgfs *fs, struct pkgfs_cache_stats *st);

#endif
