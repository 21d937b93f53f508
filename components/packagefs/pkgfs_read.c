/* packagefs read path: path lookup, stat, readdir, open/read/close, and the
 * verify-before-first-use content check. There is no write path. */
#include <string.h>

#include "packagefs_internal.h"

#define READ_MAX (1u << 30) /* bytes per pkgfs_read call; fits the int result */

/* is_dir: true when entry ino is a directory. */
static bool is_dir(const struct pkgfs *fs, uint32_t ino)
{
	return (fs->nodes[ino].mode & PKGFS_S_IFMT) == PKGFS_S_IFDIR;
}

/* find_child: index of the child of dir named name[0..len), or CAIRN_ENOENT.
 * Children are sorted bytewise (checked at mount), so binary search. */
static int64_t find_child(const struct pkgfs *fs, uint32_t dir, const char *name, size_t len)
{
	const struct pkgfs_node *d = &fs->nodes[dir];
	uint64_t lo = d->start, hi = d->start + d->size;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const struct pkgfs_node *n = &fs->nodes[mid];
		int c = pkgfs_name_cmp(fs->names + n->name_off, n->name_len, (const uint8_t *)name,
				       len);
		if (c == 0)
			return (int64_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return CAIRN_ENOENT;
}

/* strip_path: skip an optional "pkg:" prefix; check the path is absolute and
 * short enough. Returns the part after the leading '/' in *rest. */
static int strip_path(const char *path, const char **rest)
{
	if (!path)
		return CAIRN_EINVAL;
	if (strncmp(path, "pkg:", 4) == 0)
		path += 4;
	if (path[0] != '/')
		return CAIRN_EINVAL;
	for (size_t i = 0; path[i]; i++)
		if (i >= PKGFS_PATH_MAX)
			return CAIRN_ENAMETOOLONG;
	*rest = path + 1;
	return 0;
}

/* lookup: resolve path to an entry index in *ino. */
static int lookup(const struct pkgfs *fs, const char *path, uint32_t *ino)
{
	const char *p;
	int err = strip_path(path, &p);
	if (err)
		return err;
	uint32_t cur = 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return CAIRN_EINVAL;
		if (len > PKGFS_NAME_MAX)
			return CAIRN_ENAMETOOLONG;
		if (!is_dir(fs, cur))
			return CAIRN_ENOTDIR;
		int64_t child = find_child(fs, cur, p, len);
		if (child < 0)
			return (int)child;
		cur = (uint32_t)child;
		p += len;
		if (*p == '/') {
			p++;
			if (*p == '\0' && !is_dir(fs, cur))
				return CAIRN_ENOTDIR; /* "file/" */
		}
	}
	*ino = cur;
	return 0;
}

/* fill_stat: describe entry ino. */
static void fill_stat(const struct pkgfs *fs, uint32_t ino, struct pkgfs_stat *st)
{
	const struct pkgfs_node *n = &fs->nodes[ino];
	st->ino = ino;
	st->mode = n->mode;
	st->size = n->size;
	memcpy(st->sha256, n->sha256, PKGFS_HASH_SIZE);
}

/* pkgfs_stat: describe the entry at path. */
int pkgfs_stat(struct pkgfs *fs, const char *path, struct pkgfs_stat *st)
{
	uint32_t ino;
	int err = lookup(fs, path, &ino);
	if (err)
		return err;
	fill_stat(fs, ino, st);
	return 0;
}

/* pkgfs_readdir: the entry at *cursor of directory path; advance the cursor. */
int pkgfs_readdir(struct pkgfs *fs, const char *path, uint64_t *cursor, struct pkgfs_dirent *ent)
{
	uint32_t ino;
	int err = lookup(fs, path, &ino);
	if (err)
		return err;
	if (!is_dir(fs, ino))
		return CAIRN_ENOTDIR;
	const struct pkgfs_node *d = &fs->nodes[ino];
	if (*cursor >= d->size)
		return 0;
	uint32_t child = (uint32_t)(d->start + *cursor);
	const struct pkgfs_node *n = &fs->nodes[child];
	memcpy(ent->name, fs->names + n->name_off, n->name_len);
	ent->name[n->name_len] = '\0';
	fill_stat(fs, child, &ent->st);
	(*cursor)++;
	return 1;
}

/* pkgfs_open: open the regular file at path. */
int pkgfs_open(struct pkgfs *fs, const char *path, struct pkgfs_file *f)
{
	uint32_t ino;
	f->fs = NULL;
	int err = lookup(fs, path, &ino);
	if (err)
		return err;
	if (is_dir(fs, ino))
		return CAIRN_EISDIR;
	f->fs = fs;
	f->ino = ino;
	fs->open_files++;
	return 0;
}

/* audit: send "packagefs: WHAT entry I '/path'" to the audit hook. */
static void audit(struct pkgfs *fs, const char *what, uint32_t ino)
{
	char line[PKGFS_REASON_MAX + 64], path[PKGFS_REASON_MAX];
	struct pkgfs_sb sb;
	if (!fs->audit)
		return;
	pkgfs_path_of(fs->nodes, fs->names, ino, path, sizeof(path));
	pkgfs_sb_init(&sb, line, sizeof(line));
	pkgfs_sb_str(&sb, "packagefs: ");
	pkgfs_sb_str(&sb, what);
	pkgfs_sb_str(&sb, " entry ");
	pkgfs_sb_u64(&sb, ino);
	pkgfs_sb_str(&sb, " '");
	pkgfs_sb_str(&sb, path);
	pkgfs_sb_str(&sb, "'");
	fs->audit(fs->audit_ctx, line);
}

/* hash_file: SHA-256 of entry ino's content, streamed through the cache. */
static int hash_file(struct pkgfs *fs, uint32_t ino, uint8_t out[PKGFS_HASH_SIZE])
{
	const struct pkgfs_node *n = &fs->nodes[ino];
	struct crypto_sha256 s;
	uint64_t done = 0;
	crypto_sha256_init(&s);
	while (done < n->size) {
		const uint8_t *p;
		size_t avail;
		int err = pkgfs_cache_peek(&fs->cache, n->start + done, n->start + n->size, &p,
					   &avail);
		if (err) {
			crypto_sha256_final(&s, out);
			return err;
		}
		if (avail > n->size - done)
			avail = (size_t)(n->size - done);
		crypto_sha256_update(&s, p, avail);
		done += avail;
	}
	crypto_sha256_final(&s, out);
	return 0;
}

/* ensure_verified: hash entry ino once; CAIRN_EIO if it does not match (sticky). */
static int ensure_verified(struct pkgfs *fs, uint32_t ino)
{
	uint8_t got[PKGFS_HASH_SIZE];
	if (fs->verify[ino] == PKGFS_VERIFIED)
		return 0;
	if (fs->verify[ino] == PKGFS_CORRUPT)
		return CAIRN_EIO;
	if (hash_file(fs, ino, got) != 0) {
		audit(fs, "device read failed while verifying", ino);
		return CAIRN_EIO; /* maybe transient: not marked corrupt */
	}
	if (!crypto_ct_equal(got, fs->nodes[ino].sha256, PKGFS_HASH_SIZE)) {
		fs->verify[ino] = PKGFS_CORRUPT;
		audit(fs, "content hash mismatch, refusing", ino);
		return CAIRN_EIO;
	}
	fs->verify[ino] = PKGFS_VERIFIED;
	return 0;
}

/* pkgfs_read: copy up to len bytes at off, after the file's hash was verified. */
int pkgfs_read(struct pkgfs_file *f, uint64_t off, void *buf, size_t len)
{
	if (!f || !f->fs)
		return CAIRN_EINVAL;
	struct pkgfs *fs = f->fs;
	const struct pkgfs_node *n = &fs->nodes[f->ino];
	int err = ensure_verified(fs, f->ino);
	if (err)
		return err;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	if (len > READ_MAX)
		len = READ_MAX;
	if (pkgfs_cache_read(&fs->cache, n->start + off, buf, len) != 0) {
		audit(fs, "device read failed", f->ino);
		return CAIRN_EIO;
	}
	return (int)len;
}

/* pkgfs_fstat: stat of an open file. */
int pkgfs_fstat(struct pkgfs_file *f, struct pkgfs_stat *st)
{
	if (!f || !f->fs)
		return CAIRN_EINVAL;
	fill_stat(f->fs, f->ino, st);
	return 0;
}

/* pkgfs_close: close an open file. */
int pkgfs_close(struct pkgfs_file *f)
{
	if (!f || !f->fs)
		return CAIRN_EINVAL;
	f->fs->open_files--;
	f->fs = NULL;
	return 0;
}

/* pkgfs_cache_stats: copy the sector-cache counters. */
void pkgfs_cache_stats(const struct pkgfs *fs, struct pkgfs_cache_stats *st)
{
	*st = fs->cache.stats;
}

/* pkgfs_totals: one pass over the decoded node table. */
void pkgfs_totals(const struct pkgfs *fs, struct pkgfs_totals *t)
{
	t->files = 0;
	t->dirs = 0;
	t->bytes = 0;
	for (uint32_t i = 0; i < fs->hdr.node_count; i++) {
		if (is_dir(fs, i)) {
			t->dirs++;
		} else {
			t->files++;
			t->bytes += fs->nodes[i].size;
		}
	}
}

/* pkgfs_extent: the open file's data offset and length on the device. */
int pkgfs_extent(const struct pkgfs_file *f, uint64_t *off, uint64_t *len)
{
	if (!f || !f->fs)
		return CAIRN_EINVAL;
	*off = f->fs->nodes[f->ino].start;
	*len = f->fs->nodes[f->ino].size;
	return 0;
}
