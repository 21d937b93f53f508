/* packagefs read path: path lookup, stat, readdir, open/read/close; every page a
 * read touches is verified against the hash tree first (pkgfs_tree.c). There is no
 * write path. */
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

/* report_bad: audit the first integrity failure of entry ino: which page of the file
 * (or which tree page above it) did not match its hash. */
static void report_bad(struct pkgfs *fs, uint32_t ino, uint64_t file_off, int level, uint64_t idx)
{
	char what[PKGFS_REASON_MAX];
	struct pkgfs_sb sb;
	if (fs->verify[ino] == PKGFS_REPORTED)
		return;
	fs->verify[ino] = PKGFS_REPORTED;
	uint64_t first = file_off / PKGFS_ALIGN * PKGFS_ALIGN;
	pkgfs_sb_init(&sb, what, sizeof(what));
	if (level < 0) {
		pkgfs_sb_str(&sb, "content hash mismatch");
	} else {
		pkgfs_sb_str(&sb, "hash tree mismatch (level ");
		pkgfs_sb_u64(&sb, (uint64_t)level);
		pkgfs_sb_str(&sb, " page ");
		pkgfs_sb_u64(&sb, idx);
		pkgfs_sb_str(&sb, ")");
	}
	pkgfs_sb_str(&sb, " at bytes ");
	pkgfs_sb_u64(&sb, first);
	pkgfs_sb_str(&sb, "..");
	pkgfs_sb_u64(&sb, first + PKGFS_ALIGN - 1);
	pkgfs_sb_str(&sb, ", refusing");
	audit(fs, what, ino);
}

/* pkgfs_read: copy up to len bytes at off, each 4096-byte page verified first. */
int pkgfs_read(struct pkgfs_file *f, uint64_t off, void *buf, size_t len)
{
	if (!f || !f->fs)
		return CAIRN_EINVAL;
	struct pkgfs *fs = f->fs;
	const struct pkgfs_node *n = &fs->nodes[f->ino];
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	if (len > READ_MAX)
		len = READ_MAX;
	uint8_t *out = buf;
	uint64_t pos = n->start + off, end = pos + len; /* device bytes, inside the extent */
	uint64_t last = (end - 1 - fs->hdr.data_off) / PKGFS_ALIGN;
	while (pos < end) {
		uint64_t idx = (pos - fs->hdr.data_off) / PKGFS_ALIGN;
		size_t in = (size_t)(pos % PKGFS_ALIGN);
		size_t k = PKGFS_ALIGN - in;
		if (k > end - pos)
			k = (size_t)(end - pos);
		const uint8_t *p;
		int bad_level = 0;
		uint64_t bad_idx = 0;
		int err = pkgfs_tree_page(fs, -1, idx, last - idx + 1, &p, &bad_level, &bad_idx);
		if (err == CAIRN_EBADMSG) {
			report_bad(fs, f->ino, pos - n->start, bad_level, bad_idx);
			return CAIRN_EIO;
		}
		if (err) {
			audit(fs, "device read failed", f->ino);
			return CAIRN_EIO; /* maybe transient: nothing is marked */
		}
		memcpy(out, p + in, k);
		out += k;
		pos += k;
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
