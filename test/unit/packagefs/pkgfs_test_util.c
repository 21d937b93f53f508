/* Shared helpers for the packagefs unit tests. */
#include "pkgfs_test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t test_seed[PKGFS_SEED_SIZE];
uint8_t test_pub[PKGFS_PUBLIC_KEY_SIZE];
uint8_t other_pub[PKGFS_PUBLIC_KEY_SIZE];

/* die: report a broken test fixture and abort. */
static void die(const char *what, const char *detail)
{
	fprintf(stderr, "pkgfs test fixture: %s: %s\n", what, detail ? detail : "");
	abort();
}

/* read_key: exactly len bytes from the file named by environment variable env. */
static void read_key(const char *env, uint8_t *buf, size_t len)
{
	const char *path = getenv(env);
	if (!path)
		die("environment variable not set", env);
	FILE *f = fopen(path, "rb");
	if (!f || fread(buf, 1, len, f) != len)
		die("cannot read key", path);
	fclose(f);
}

/* load_test_keys: the build-time keys. */
void load_test_keys(void)
{
	read_key("PKGFS_TEST_KEY", test_seed, sizeof(test_seed));
	read_key("PKGFS_TEST_PUB", test_pub, sizeof(test_pub));
	read_key("PKGFS_OTHER_PUB", other_pub, sizeof(other_pub));
}

/* gen_fill: deterministic pseudo-random bytes (xorshift). */
void gen_fill(uint8_t *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

/* Entries of the generated tree: path (relative), size or -1 for a directory. */
static const struct {
	const char *path;
	long size;
	int exec;
} spec[] = {
	{ "bin", -1, 0 },
	{ "bin/hello", 8193, 1 },
	{ "bin/empty", 0, 0 },
	{ "bin/cat", 4096, 1 },
	{ "etc", -1, 0 },
	{ "etc/motd", 17, 0 },
	{ "lib", -1, 0 },
	{ "lib/x", -1, 0 },
	{ "lib/x/y", -1, 0 },
	{ "lib/x/y/z", -1, 0 },
	{ "lib/x/y/z/deep.bin", 30001, 0 },
	{ "empty_dir", -1, 0 },
	{ "\xc3\xbcnic\xc3\xb8"
	  "de.txt",
	  123, 0 },
	{ "Zeta", 1, 0 },
	{ "a.txt", 4095, 0 },
	{ "many", -1, 0 },
};

#define MANY 40 /* files in many/ to exercise sorting and readdir cursors */

/* add_file: write one generated file and remember it. */
static void add_file(struct gen_tree *g, const char *rel, size_t size, int exec, unsigned salt)
{
	char host[600];
	struct gen_file *f = &g->files[g->nfiles++];
	snprintf(host, sizeof(host), "%s/%s", g->root, rel);
	snprintf(f->path, sizeof(f->path), "/%s", rel);
	f->size = size;
	f->data = malloc(size ? size : 1);
	unsigned h = salt;
	for (const char *c = rel; *c; c++)
		h = h * 31u + (unsigned char)*c; /* content depends on the name, not the order */
	gen_fill(f->data, size, h);
	int fd = open(host, O_WRONLY | O_CREAT | O_TRUNC, exec ? 0755 : 0644);
	if (fd < 0 || write(fd, f->data, size) != (ssize_t)size || close(fd) != 0)
		die("cannot write", host);
}

/* add_spec: create spec entry k. */
static void add_spec(struct gen_tree *g, size_t k, unsigned salt)
{
	char host[600];
	if (spec[k].size >= 0) {
		add_file(g, spec[k].path, (size_t)spec[k].size, spec[k].exec, salt);
		return;
	}
	snprintf(host, sizeof(host), "%s/%s", g->root, spec[k].path);
	if (mkdir(host, 0755) != 0)
		die("mkdir", host);
	g->ndirs++;
}

/* gen_tree_make: create the tree; reverse changes only creation order. */
void gen_tree_make(struct gen_tree *g, unsigned salt, int reverse)
{
	size_t n = sizeof(spec) / sizeof(spec[0]);
	memset(g, 0, sizeof(*g));
	snprintf(g->root, sizeof(g->root), "/tmp/pkgfs_test_XXXXXX");
	if (!mkdtemp(g->root))
		die("mkdtemp", g->root);
	for (size_t k = 0; k < n; k++)
		add_spec(g, k, salt); /* parents first; reverse applies to many/ below */
	for (int i = 0; i < MANY; i++) {
		char rel[64];
		int j = reverse ? MANY - 1 - i : i;
		snprintf(rel, sizeof(rel), "many/f%02d", j);
		add_file(g, rel, (size_t)(j * 37), 0, salt);
	}
}

/* rm_rf: remove a host tree recursively (test temp dirs only). */
static void rm_rf(const char *root)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (strncmp(root, "/tmp/pkgfs_test_", 16) == 0 && system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", root);
}

/* gen_tree_remove: delete the temp dir and free contents. */
void gen_tree_remove(struct gen_tree *g)
{
	rm_rf(g->root);
	for (size_t i = 0; i < g->nfiles; i++)
		free(g->files[i].data);
	g->nfiles = 0;
}

/* build_from_dir: build and sign an image of a host directory. */
void build_from_dir(const char *dir, uint8_t **img, size_t *len)
{
	char err[512] = "";
	struct pkgfs_btree t;
	pkgfs_btree_init(&t);
	int e = pkgfs_btree_from_dir(&t, dir, err, sizeof(err));
	if (!e)
		e = pkgfs_build_image(&t, test_seed, NULL, img, len, err, sizeof(err));
	pkgfs_btree_free(&t);
	if (e)
		die("build failed", err);
}

/* build_tree: build and sign a hand-made tree. */
int build_tree(struct pkgfs_btree *t, int unchecked, uint8_t **img, size_t *len, char *err,
	       size_t errlen)
{
	struct pkgfs_build_opts o = { .unchecked = unchecked != 0 };
	return pkgfs_build_image(t, test_seed, &o, img, len, err, errlen);
}

/* mem_device: a memory device holding img. */
void mem_device(struct blkdev_mem *m, uint32_t ss, const uint8_t *img, size_t len,
		uint64_t extra_sectors)
{
	uint64_t sectors = (len + ss - 1) / ss + extra_sectors;
	if (blkdev_mem_init(m, ss, sectors ? sectors : 1) != 0)
		die("blkdev_mem_init", NULL);
	memcpy(m->data, img, len);
	m->dev.info.read_only = true;
}

/* audit_record: count and keep the last audit message. */
void audit_record(void *ctx, const char *msg)
{
	struct audit_log *log = ctx;
	log->count++;
	snprintf(log->last, sizeof(log->last), "%s", msg);
}

/* test_config: config with the test key. */
struct pkgfs_config test_config(uint32_t cache_pages, struct audit_log *log)
{
	struct pkgfs_config c = { 0 };
	c.public_key = test_pub;
	c.cache_pages = cache_pages;
	c.audit = log ? audit_record : NULL;
	c.audit_ctx = log;
	return c;
}

/* read_all: read a whole file through pkgfs in chunks. */
long read_all(struct pkgfs *fs, const char *path, size_t chunk, uint8_t **out)
{
	struct pkgfs_file f;
	struct pkgfs_stat st;
	int e = pkgfs_open(fs, path, &f);
	if (e)
		return e;
	pkgfs_fstat(&f, &st);
	uint8_t *buf = malloc(st.size + 1);
	uint64_t off = 0;
	for (;;) {
		size_t want = chunk;
		if (off + want > st.size + 1)
			want = (size_t)(st.size + 1 - off); /* ask one past the end */
		int n = pkgfs_read(&f, off, buf + off, want);
		if (n < 0) {
			free(buf);
			pkgfs_close(&f);
			return n;
		}
		if (n == 0)
			break;
		off += (uint64_t)n;
	}
	pkgfs_close(&f);
	*out = buf;
	return (long)off;
}
