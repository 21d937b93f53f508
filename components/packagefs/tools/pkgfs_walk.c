/* packagefs builder input: walk a host directory into a build tree. Only regular
 * files and directories are accepted; symlinks, devices, FIFOs and sockets are
 * refused by path, as are names and paths the image format cannot hold. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "packagefs_internal.h"
#include "pkgfs_builder.h"

#define SRC_PATH_MAX 4096 /* host path buffer */

/* Walk state: the tree, the error buffer, and the current host path. */
struct walk {
	struct pkgfs_btree *t;
	char *err; /* caller's message buffer */
	size_t errlen;
	char src[SRC_PATH_MAX]; /* host path of the directory being read */
};

/* fail: format a message naming a host path; returns code. */
static int fail(struct walk *w, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (w->err && w->errlen)
		vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return code;
}

/* kind_of: a word for a non-regular, non-directory file type. */
static const char *kind_of(mode_t m)
{
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device node";
	if (S_ISFIFO(m))
		return "FIFO";
	if (S_ISSOCK(m))
		return "socket";
	return "special file";
}

/* read_file: whole content of a regular file of the expected size. */
static int read_file(struct walk *w, const char *path, uint64_t size, uint8_t **out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(w, CAIRN_EIO, "'%s': cannot open: %s", path, strerror(errno));
	uint8_t *buf = malloc(size ? (size_t)size : 1);
	size_t got = buf ? fread(buf, 1, (size_t)size, f) : 0;
	int extra = fgetc(f);
	bool error = ferror(f) != 0;
	fclose(f);
	if (!buf)
		return fail(w, CAIRN_ENOMEM, "'%s': out of memory", path);
	if (error || got != size || extra != EOF) {
		free(buf);
		return fail(w, CAIRN_EIO, "'%s': read failed or file changed while reading", path);
	}
	*out = buf;
	return 0;
}

static int walk_dir(struct walk *w, struct pkgfs_bnode *dir, uint32_t depth, size_t plen);

/* add_entry: add host entry `name` of the directory w->src under dir. */
static int add_entry(struct walk *w, struct pkgfs_bnode *dir, const char *name, uint32_t depth,
		     size_t plen)
{
	size_t base = strlen(w->src), nlen = strlen(name);
	if (base + 1 + nlen >= sizeof(w->src))
		return fail(w, CAIRN_EINVAL, "'%s/%s': host path too long", w->src, name);
	w->src[base] = '/';
	memcpy(w->src + base + 1, name, nlen + 1);
	const char *why = pkgfs_name_check((const uint8_t *)name, nlen);
	struct stat st = { 0 };
	int e = 0;
	if (why)
		e = fail(w, CAIRN_EINVAL, "'%s': %s", w->src, why);
	else if (depth + 1 > PKGFS_DEPTH_MAX)
		e = fail(w, CAIRN_EINVAL, "'%s': nested deeper than %d levels", w->src,
			 PKGFS_DEPTH_MAX);
	else if (plen + 1 + nlen > PKGFS_PATH_MAX)
		e = fail(w, CAIRN_EINVAL, "'%s': image path longer than %d bytes", w->src,
			 PKGFS_PATH_MAX);
	else if (lstat(w->src, &st) != 0)
		e = fail(w, CAIRN_EIO, "'%s': cannot stat: %s", w->src, strerror(errno));
	else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		e = fail(w, CAIRN_EINVAL, "'%s': refusing %s (only regular files and directories)",
			 w->src, kind_of(st.st_mode));
	if (!e) {
		bool is_dir = S_ISDIR(st.st_mode);
		uint32_t perm = (is_dir || (st.st_mode & 0111)) ? 0755 : 0644;
		uint8_t *data = NULL;
		uint64_t size = is_dir ? 0 : (uint64_t)st.st_size;
		if (!is_dir)
			e = read_file(w, w->src, size, &data);
		struct pkgfs_bnode *n =
			e ? NULL : pkgfs_btree_add(w->t, dir, name, nlen, is_dir, perm, data, size);
		free(data);
		if (!e && !n)
			e = fail(w, CAIRN_ENOMEM, "out of memory");
		if (!e && is_dir)
			e = walk_dir(w, n, depth + 1, plen + 1 + nlen);
	}
	w->src[base] = '\0';
	return e;
}

/* walk_dir: add every entry of host directory w->src under dir. */
static int walk_dir(struct walk *w, struct pkgfs_bnode *dir, uint32_t depth, size_t plen)
{
	DIR *d = opendir(w->src);
	if (!d)
		return fail(w, CAIRN_EIO, "'%s': cannot open directory: %s", w->src,
			    strerror(errno));
	int e = 0;
	struct dirent *de;
	while (!e && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		e = add_entry(w, dir, de->d_name, depth, plen);
	}
	if (!e && errno != 0)
		e = fail(w, CAIRN_EIO, "'%s': readdir failed: %s", w->src, strerror(errno));
	closedir(d);
	return e;
}

/* pkgfs_btree_from_dir: add the contents of srcdir to the root of t. */
int pkgfs_btree_from_dir(struct pkgfs_btree *t, const char *srcdir, char *err, size_t errlen)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct stat st;
	if (!w)
		return CAIRN_ENOMEM;
	w->t = t;
	w->err = err;
	w->errlen = errlen;
	int e = 0;
	if (strlen(srcdir) >= sizeof(w->src))
		e = fail(w, CAIRN_EINVAL, "'%s': path too long", srcdir);
	else if (stat(srcdir, &st) != 0)
		e = fail(w, CAIRN_EIO, "'%s': cannot stat: %s", srcdir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		e = fail(w, CAIRN_EINVAL, "'%s': not a directory", srcdir);
	if (!e) {
		snprintf(w->src, sizeof(w->src), "%s", srcdir);
		e = walk_dir(w, &t->root, 0, 0);
	}
	free(w);
	return e;
}
