/* The packagefs component's interface in the image: pkg:/ for other components.
 *
 * Only components the capability table grants packagefs may call these (today
 * selftest, shell and faulttest); every call goes through the capability gate, so a call
 * without a grant is CAIRN_EPERM plus an audit record, and a call while
 * packagefs is not up (failed, restarting) is CAIRN_EAGAIN.
 *
 * Paths must start with "pkg:/" ("pkg:/bin/hello", "pkg:/" is the root); no
 * prefix or another prefix is CAIRN_EINVAL, and so are empty components, "."
 * and "..". More than 1024 bytes after "pkg:" or a component over 255 bytes is
 * CAIRN_ENAMETOOLONG.
 *
 * Files are opened into handles (small non-negative ints) that belong to the
 * opening component: another component's handle, a closed one, or one from
 * before a packagefs restart is CAIRN_EINVAL. At most PKGFS_SVC_OPEN_MAX files are
 * open at a time. A caller holds at most its `handles` budget (CAIRN_EMFILE
 * beyond); the budgets of all callers granted packagefs fit the table together
 * (scripts/capgen.py checks), so a granted caller under its budget always gets
 * a slot. The kernel core, which has no budget, gets only the slots no budget
 * reserves (CAIRN_EBUSY beyond; none in today's table).
 *
 * Integrity: the image was validated and its signature checked against the key
 * built into the kernel before anything is served; a file's content hash is
 * checked before any of its data is returned. A mismatch is CAIRN_EIO (now and
 * on every later read of that file) and an AUDIT_INTEGRITY record; bad data is
 * never returned. */
#ifndef PACKAGEFS_SVC_H
#define PACKAGEFS_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packagefs.h"

#define PKGFS_SVC_OPEN_MAX 32u /* open files at a time, all callers together */

/* Where the mounted image came from. */
enum pkgfs_source {
	PKGFS_SOURCE_NONE = 0,	  /* not mounted */
	PKGFS_SOURCE_VIRTIO = 1,  /* the read-only virtio-blk disk with serial "pkgfs" */
	PKGFS_SOURCE_FIXTURE = 2, /* the small fixture image linked into the kernel */
};

/* What pkgfs_svc_info reports about the mount. */
struct pkgfs_svc_info {
	enum pkgfs_source source;
	uint32_t files;	   /* regular files in the image */
	uint32_t dirs;	   /* directories, the root included */
	uint64_t bytes;	   /* content bytes of all files */
	uint64_t mount_us; /* time pkgfs_mount took (validation and signature) */
	bool read_only;	   /* the device under the mount refuses writes (always) */
	struct pkgfs_cache_stats cache;
};

/* pkgfs_svc_info: describe the current mount. 0, or the gate's errors. */
int pkgfs_svc_info(struct pkgfs_svc_info *info);
/* pkgfs_svc_stat: describe the entry at path (see pkgfs_stat for the fields). */
int pkgfs_svc_stat(const char *path, struct pkgfs_stat *st);
/* pkgfs_svc_open: open the regular file at path; returns a handle >= 0, or
 * CAIRN_EISDIR, CAIRN_ENOENT, CAIRN_ENOTDIR, CAIRN_EINVAL, CAIRN_ENAMETOOLONG,
 * CAIRN_EMFILE (the caller holds as many as its `handles` budget allows),
 * CAIRN_EBUSY (a caller without a budget: the unreserved slots are taken). */
int pkgfs_svc_open(const char *path);
/* pkgfs_svc_read: copy up to len bytes at offset off of the open file h into buf;
 * returns the number of bytes copied (0 at or past the end), CAIRN_EIO when the
 * content failed its hash or the device failed, CAIRN_EINVAL for a bad handle. */
int pkgfs_svc_read(int h, uint64_t off, void *buf, size_t len);
/* pkgfs_svc_fstat: stat of the open file h. */
int pkgfs_svc_fstat(int h, struct pkgfs_stat *st);
/* pkgfs_svc_close: close h; CAIRN_EINVAL when it is not an open handle of the caller. */
int pkgfs_svc_close(int h);
/* pkgfs_svc_readdir: the entry at *cursor (0 to start) of the directory at path, in
 * bytewise name order; advances *cursor, so the caller may stop and resume at
 * any time. 1 with *ent filled, 0 at the end, or a negative error
 * (CAIRN_ENOTDIR for a file). */
int pkgfs_svc_readdir(const char *path, uint64_t *cursor, struct pkgfs_dirent *ent);

/* pkgfs_svc_bench: the "pkgfsbench" boot mode (kernel or selftest only): times a
 * fresh mount of the disk, then reads pkg:/bench/big cold and warm through
 * packagefs and raw from the same disk sectors; prints PKGFSBENCH lines.
 * 0 or a negative error (CAIRN_ENODEV without a pkgfs disk). */
int pkgfs_svc_bench(void);

#endif
