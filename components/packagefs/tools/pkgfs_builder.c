/* packagefs image builder (host only): breadth-first layout with bytewise-sorted
 * siblings, packed names, 4096-aligned file data in entry order, the hash tree of
 * the data after it, zero padding and no timestamps, so the same tree always gives
 * a byte-identical image. */
#include "pkgfs_builder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"

/* set_err: printf into the caller's error buffer. */
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* pkgfs_btree_init: an empty tree (root directory only). */
void pkgfs_btree_init(struct pkgfs_btree *t)
{
	memset(t, 0, sizeof(*t));
	t->root.is_dir = true;
	t->root.perm = 0755;
	t->count = 1;
}

/* free_node: free a node's children recursively, then its own buffers. */
static void free_node(struct pkgfs_bnode *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		free_node(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->name);
	free(n->data);
}

/* pkgfs_btree_free: free every node of the tree. */
void pkgfs_btree_free(struct pkgfs_btree *t)
{
	free_node(&t->root);
	pkgfs_btree_init(t);
}

/* pkgfs_btree_add: add an entry under dir, copying name and data. */
struct pkgfs_bnode *pkgfs_btree_add(struct pkgfs_btree *t, struct pkgfs_bnode *dir,
				    const char *name, size_t name_len, bool is_dir, uint32_t perm,
				    const void *data, uint64_t size)
{
	if (dir->nkids == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		struct pkgfs_bnode **k = realloc(dir->kids, cap * sizeof(*k));
		if (!k)
			return NULL;
		dir->kids = k;
		dir->cap = cap;
	}
	struct pkgfs_bnode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = malloc(name_len ? name_len : 1);
	n->data = size ? malloc(size) : NULL;
	if (!n->name || (size && !n->data)) {
		free(n->name);
		free(n->data);
		free(n);
		return NULL;
	}
	memcpy(n->name, name, name_len);
	if (size)
		memcpy(n->data, data, size);
	n->name_len = name_len;
	n->is_dir = is_dir;
	n->perm = perm;
	n->size = is_dir ? 0 : size;
	n->parent = dir;
	dir->kids[dir->nkids++] = n;
	t->count++;
	return n;
}

/* kid_cmp: qsort order of sibling pointers by name bytes. */
static int kid_cmp(const void *a, const void *b)
{
	const struct pkgfs_bnode *x = *(struct pkgfs_bnode *const *)a;
	const struct pkgfs_bnode *y = *(struct pkgfs_bnode *const *)b;
	return pkgfs_name_cmp((const uint8_t *)x->name, x->name_len, (const uint8_t *)y->name,
			      y->name_len);
}

/* node_path: "/a/b" of n into buf, for messages. */
static void node_path(const struct pkgfs_bnode *n, char *buf, size_t len)
{
	const struct pkgfs_bnode *chain[PKGFS_DEPTH_MAX + 2];
	size_t d = 0, pos = 0;
	for (; n->parent && d < PKGFS_DEPTH_MAX + 2; n = n->parent)
		chain[d++] = n;
	snprintf(buf, len, "%s", d == 0 ? "/" : (n->parent ? "/..." : ""));
	pos = strlen(buf);
	while (d) {
		const struct pkgfs_bnode *c = chain[--d];
		int w = snprintf(buf + pos, len - pos, "/%.*s", (int)c->name_len, c->name);
		if (w < 0 || (size_t)w >= len - pos)
			break;
		pos += (size_t)w;
	}
}

/* check_rules: the build-time rules for one placed entry (names already sorted). */
static int check_rules(struct pkgfs_bnode *n, size_t k, uint32_t depth, size_t plen, char *err,
		       size_t errlen)
{
	char path[PKGFS_PATH_MAX * 4 + 8];
	node_path(n, path, sizeof(path));
	const char *why = pkgfs_name_check((const uint8_t *)n->name, n->name_len);
	if (!why && k > 0 && kid_cmp(&n->parent->kids[k - 1], &n) == 0)
		why = "duplicate name";
	if (!why && depth > PKGFS_DEPTH_MAX)
		why = "nested deeper than 32 levels";
	if (!why && plen > PKGFS_PATH_MAX)
		why = "path longer than 1024 bytes";
	if (!why && n->perm > 0777)
		why = "permission bits beyond 0777";
	if (why) {
		set_err(err, errlen, "'%s': %s", path, why);
		return CAIRN_EINVAL;
	}
	return 0;
}

/* Layout state shared by the build steps. */
struct layout {
	struct pkgfs_bnode **order; /* entries in index order (breadth first) */
	uint32_t *depth;	    /* per index: components below the root */
	size_t *plen;		    /* per index: length of "/a/b" */
	size_t count;		    /* entries placed */
	uint64_t name_bytes;	    /* name table size */
};

/* place: breadth-first order with sorted siblings; checks rules unless unchecked. */
static int place(struct pkgfs_btree *t, struct layout *l, bool unchecked, char *err, size_t errlen)
{
	l->order[0] = &t->root;
	l->count = 1;
	for (size_t q = 0; q < l->count; q++) {
		struct pkgfs_bnode *d = l->order[q];
		d->index = (uint32_t)q;
		if (!d->is_dir)
			continue;
		if (d->nkids > 1)
			qsort(d->kids, d->nkids, sizeof(*d->kids), kid_cmp);
		for (size_t k = 0; k < d->nkids; k++) {
			struct pkgfs_bnode *c = d->kids[k];
			size_t i = l->count++;
			l->order[i] = c;
			l->depth[i] = l->depth[q] + 1;
			l->plen[i] = l->plen[q] + 1 + c->name_len;
			l->name_bytes += c->name_len;
			int e = unchecked ? 0
					  : check_rules(c, k, l->depth[i], l->plen[i], err, errlen);
			if (e)
				return e;
		}
	}
	return 0;
}

/* align_up: round v up to PKGFS_ALIGN. */
static uint64_t align_up(uint64_t v) { return (v + PKGFS_ALIGN - 1) / PKGFS_ALIGN * PKGFS_ALIGN; }

/* write_header: the header fields (root hash and signature come later). */
static void write_header(uint8_t *img, const struct pkgfs_hdr *h)
{
	memcpy(img + PKGFS_H_MAGIC, PKGFS_MAGIC, 8);
	pkgfs_st32(img + PKGFS_H_VERSION, PKGFS_VERSION);
	pkgfs_st32(img + PKGFS_H_HDR_SIZE, PKGFS_HDR_SIZE);
	pkgfs_st32(img + PKGFS_H_ALIGN, PKGFS_ALIGN);
	pkgfs_st32(img + PKGFS_H_FLAGS, 0);
	pkgfs_st32(img + PKGFS_H_NODE_COUNT, h->node_count);
	pkgfs_st32(img + PKGFS_H_NAME_BYTES, h->name_bytes);
	pkgfs_st64(img + PKGFS_H_META_OFF, h->meta_off);
	pkgfs_st64(img + PKGFS_H_META_SIZE, h->meta_size);
	pkgfs_st64(img + PKGFS_H_DATA_OFF, h->data_off);
	pkgfs_st64(img + PKGFS_H_DATA_SIZE, h->data_size);
	pkgfs_st64(img + PKGFS_H_IMAGE_SIZE, h->image_size);
	pkgfs_st64(img + PKGFS_H_RELEASE, h->release);
	pkgfs_st64(img + PKGFS_H_TREE_OFF, h->tree_off);
	pkgfs_st64(img + PKGFS_H_TREE_SIZE, h->tree_size);
}

/* node_of: the on-disk node for placed entry i; data offset in *cursor. */
static void node_of(const struct layout *l, size_t i, uint64_t *name_pos, uint64_t *cursor,
		    struct pkgfs_node *n)
{
	const struct pkgfs_bnode *b = l->order[i];
	memset(n, 0, sizeof(*n));
	n->parent = b->parent ? b->parent->index : 0;
	n->name_off = i ? (uint32_t)*name_pos : 0;
	n->name_len = (uint16_t)b->name_len;
	*name_pos += b->name_len;
	n->mode = (b->is_dir ? PKGFS_S_IFDIR : PKGFS_S_IFREG) | (b->perm & 0777u);
	if (b->is_dir) {
		n->size = b->nkids;
		n->start = b->nkids ? b->kids[0]->index : 0;
		return;
	}
	n->size = b->size;
	crypto_sha256(b->data ? b->data : (const uint8_t *)"", (size_t)b->size, n->sha256);
	if (b->size) {
		n->start = *cursor;
		*cursor += align_up(b->size);
	}
}

/* emit: allocate the image and write header, nodes, names and data. */
static int emit(const struct layout *l, uint64_t release, uint8_t **img, size_t *len)
{
	struct pkgfs_hdr h = { 0 };
	h.release = release;
	h.node_count = (uint32_t)l->count;
	h.name_bytes = (uint32_t)l->name_bytes;
	h.meta_off = PKGFS_HDR_SIZE;
	h.meta_size = (uint64_t)h.node_count * PKGFS_NODE_SIZE + h.name_bytes;
	h.data_off = align_up(h.meta_off + h.meta_size);
	for (size_t i = 1; i < l->count; i++)
		if (!l->order[i]->is_dir)
			h.data_size += align_up(l->order[i]->size);
	struct pkgfs_tree_geom g;
	h.tree_off = h.data_off + h.data_size;
	pkgfs_tree_geom(h.data_size, h.tree_off, &g);
	h.tree_size = g.size;
	h.image_size = h.tree_off + h.tree_size;
	uint8_t *out = calloc(1, (size_t)h.image_size);
	if (!out)
		return CAIRN_ENOMEM;
	write_header(out, &h);
	uint64_t name_pos = 0, cursor = h.data_off;
	uint8_t *names = out + h.meta_off + (size_t)h.node_count * PKGFS_NODE_SIZE;
	for (size_t i = 0; i < l->count; i++) {
		struct pkgfs_node n;
		node_of(l, i, &name_pos, &cursor, &n);
		pkgfs_node_encode(out + h.meta_off + i * PKGFS_NODE_SIZE, &n);
		if (i)
			memcpy(names + n.name_off, l->order[i]->name, n.name_len);
		if (!l->order[i]->is_dir && n.size)
			memcpy(out + n.start, l->order[i]->data, (size_t)n.size);
	}
	if (pkgfs_tree_compute(out, (size_t)h.image_size) != 0) {
		free(out);
		return CAIRN_EINVAL; /* cannot happen: the header was just laid out */
	}
	*img = out;
	*len = (size_t)h.image_size;
	return 0;
}

/* pkgfs_build_image: lay out, write and sign the tree into a new image buffer. */
int pkgfs_build_image(struct pkgfs_btree *t, const uint8_t seed[PKGFS_SEED_SIZE],
		      const struct pkgfs_build_opts *opts, uint8_t **img, size_t *len, char *err,
		      size_t errlen)
{
	struct layout l = { 0 };
	bool unchecked = opts && opts->unchecked;
	if (t->count > PKGFS_NODES_MAX && !unchecked) {
		set_err(err, errlen, "too many entries: %zu (limit %u)", t->count, PKGFS_NODES_MAX);
		return CAIRN_EINVAL;
	}
	l.order = calloc(t->count, sizeof(*l.order));
	l.depth = calloc(t->count, sizeof(*l.depth));
	l.plen = calloc(t->count, sizeof(*l.plen));
	int e = (!l.order || !l.depth || !l.plen) ? CAIRN_ENOMEM : 0;
	if (!e)
		e = place(t, &l, unchecked, err, errlen);
	if (!e)
		e = emit(&l, opts ? opts->release : 0, img, len);
	if (!e)
		e = pkgfs_image_sign(*img, *len, seed);
	free(l.order);
	free(l.depth);
	free(l.plen);
	if (e == CAIRN_ENOMEM)
		set_err(err, errlen, "out of memory");
	return e;
}

/* pkgfs_image_sign: recompute the root hash and signature in place. */
int pkgfs_image_sign(uint8_t *img, size_t len, const uint8_t seed[PKGFS_SEED_SIZE])
{
	if (len < PKGFS_HDR_SIZE)
		return CAIRN_EINVAL;
	uint64_t off = pkgfs_ld64(img + PKGFS_H_META_OFF),
		 size = pkgfs_ld64(img + PKGFS_H_META_SIZE);
	if (off > len || size > len - off)
		return CAIRN_EINVAL;
	uint8_t root[PKGFS_HASH_SIZE], pub[CRYPTO_ED25519_PUBLIC];
	pkgfs_root_hash(img, img + off, (size_t)size, root);
	memcpy(img + PKGFS_H_ROOT_HASH, root, sizeof(root));
	crypto_ed25519_public(seed, pub);
	crypto_ed25519_sign(img + PKGFS_H_SIGNATURE, root, sizeof(root), seed, pub);
	return 0;
}
