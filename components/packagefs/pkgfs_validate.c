/* packagefs structural validation of the node table and name table: per-entry
 * fields, names, the tree shape, depth and path length, and file extents. Runs at
 * mount after the header, sizes, root hash and signature were checked; it still
 * trusts nothing (the fuzzer runs it with the signature check off). */
#include <stdlib.h>
#include <string.h>

#include "packagefs_internal.h"

/* The reason strings below spell the limits out. */
_Static_assert(PKGFS_DEPTH_MAX == 32 && PKGFS_PATH_MAX == 1024, "update the reason strings");

/* Validation context: the image under test and where to write the verdict. */
struct vctx {
	const struct pkgfs_hdr *h;	/* checked header */
	const struct pkgfs_node *nodes; /* h->node_count decoded nodes */
	const uint8_t *names;		/* h->name_bytes bytes */
	struct pkgfs_mount_report *r;	/* may be NULL */
	bool tree_ok;			/* parent chains proven, full paths printable */
};

/* put_entry: append "entry I 'NAME-OR-PATH'" for node i; a long path keeps its
 * tail so that the problem after it still fits in the reason. */
static void put_entry(struct vctx *v, struct pkgfs_sb *sb, uint32_t i)
{
	enum {
		SHOWN = 64
	}; /* bytes of name or path shown */
	const struct pkgfs_node *n = &v->nodes[i];
	char path[SHOWN + 1];
	pkgfs_sb_str(sb, "entry ");
	pkgfs_sb_u64(sb, i);
	pkgfs_sb_str(sb, " '");
	if (v->tree_ok) {
		pkgfs_path_of(v->nodes, v->names, i, path, sizeof(path));
		pkgfs_sb_str(sb, path);
	} else if (i == 0) {
		pkgfs_sb_str(sb, "/");
	} else if (n->name_off <= v->h->name_bytes &&
		   n->name_len <= v->h->name_bytes - n->name_off) {
		pkgfs_sb_name(sb, v->names + n->name_off,
			      n->name_len > SHOWN ? SHOWN : n->name_len);
	} else {
		pkgfs_sb_str(sb, "?");
	}
	pkgfs_sb_str(sb, "'");
}

/* bad: record "entry I 'x': MSG[ entry J 'y']" and return CAIRN_EBADMSG.
 * other < 0 means no second entry. */
static int bad(struct vctx *v, uint32_t i, const char *msg, int64_t other)
{
	if (!v->r)
		return CAIRN_EBADMSG;
	struct pkgfs_sb sb;
	pkgfs_sb_init(&sb, v->r->reason, sizeof(v->r->reason));
	put_entry(v, &sb, i);
	pkgfs_sb_str(&sb, ": ");
	pkgfs_sb_str(&sb, msg);
	if (other >= 0) {
		pkgfs_sb_str(&sb, " ");
		put_entry(v, &sb, (uint32_t)other);
	}
	v->r->entry = i;
	v->r->err = CAIRN_EBADMSG;
	return CAIRN_EBADMSG;
}

/* check_fields: NULL when the node's mode and type-specific fields are valid. */
static const char *check_fields(const struct pkgfs_hdr *h, const struct pkgfs_node *n, uint32_t i)
{
	static const uint8_t zero[PKGFS_HASH_SIZE];
	uint32_t type = n->mode & PKGFS_S_IFMT;
	if (n->reserved != 0)
		return "reserved field not zero";
	if ((n->mode & ~(PKGFS_S_IFMT | 0777u)) != 0)
		return "mode has bits beyond 0777";
	if (type == PKGFS_S_IFREG) {
		if (i == 0)
			return "root is not a directory";
		if (n->size == 0 && n->start != 0)
			return "empty file with a data offset";
		return NULL;
	}
	if (type != PKGFS_S_IFDIR)
		return "not a regular file or directory";
	if (memcmp(n->sha256, zero, sizeof(zero)) != 0)
		return "directory with a content hash";
	if (n->size == 0)
		return n->start == 0 ? NULL : "empty directory with a child index";
	if (n->start <= i || n->start >= h->node_count || n->size > h->node_count - n->start)
		return "child range outside the node table";
	return NULL;
}

/* check_entries: per-entry fields and names; names must be packed in entry order. */
static int check_entries(struct vctx *v)
{
	uint64_t name_pos = 0;
	for (uint32_t i = 0; i < v->h->node_count; i++) {
		const struct pkgfs_node *n = &v->nodes[i];
		const char *why = check_fields(v->h, n, i);
		if (!why && i == 0 && (n->parent != 0 || n->name_len != 0 || n->name_off != 0))
			why = "root has a parent or a name";
		if (!why && i > 0 && n->name_off != name_pos)
			why = "name not packed in entry order";
		if (!why && i > 0 && n->name_len > v->h->name_bytes - name_pos)
			why = "name runs past the name table";
		if (!why && i > 0)
			why = pkgfs_name_check(v->names + n->name_off, n->name_len);
		if (why)
			return bad(v, i, why, -1);
		name_pos += n->name_len;
	}
	if (name_pos != v->h->name_bytes)
		return bad(v, 0, "name table has unused bytes", -1);
	return 0;
}

/* check_tree: every entry is listed exactly once, by its parent, which comes first.
 * Parents have smaller indices than children, so there can be no cycle. */
static int check_tree(struct vctx *v)
{
	const struct pkgfs_node *nodes = v->nodes;
	for (uint32_t i = 1; i < v->h->node_count; i++) {
		uint32_t p = nodes[i].parent;
		if (p >= i)
			return bad(v, i, "not a tree: parent index not below the entry", -1);
		if ((nodes[p].mode & PKGFS_S_IFMT) != PKGFS_S_IFDIR)
			return bad(v, i, "not a tree: parent is not a directory", p);
		if (i < nodes[p].start || i - nodes[p].start >= nodes[p].size)
			return bad(v, i, "not a tree: not listed by its parent", p);
	}
	/* Each successful check below consumes a distinct (child, parent) pair, so the
	 * total work is bounded by the node count even for hostile ranges. */
	for (uint32_t d = 0; d < v->h->node_count; d++) {
		if ((nodes[d].mode & PKGFS_S_IFMT) != PKGFS_S_IFDIR)
			continue;
		for (uint64_t c = nodes[d].start; c < nodes[d].start + nodes[d].size; c++)
			if (nodes[c].parent != d)
				return bad(v, (uint32_t)c,
					   "not a tree: listed by a directory that is not its "
					   "parent",
					   d);
	}
	return 0;
}

/* check_order: siblings sorted strictly by name bytes (so no duplicates). */
static int check_order(struct vctx *v)
{
	for (uint32_t i = 2; i < v->h->node_count; i++) {
		const struct pkgfs_node *a = &v->nodes[i - 1], *b = &v->nodes[i];
		if (a->parent != b->parent)
			continue;
		int c = pkgfs_name_cmp(v->names + a->name_off, a->name_len, v->names + b->name_off,
				       b->name_len);
		if (c == 0)
			return bad(v, i, "duplicate name in directory, same as", i - 1);
		if (c > 0)
			return bad(v, i, "names not in bytewise order after", i - 1);
	}
	return 0;
}

/* check_depth: bounded depth and path length (parents come first: one pass). */
static int check_depth(struct vctx *v)
{
	uint32_t n = v->h->node_count;
	uint16_t *depth = calloc(n, sizeof(*depth));
	uint16_t *plen = calloc(n, sizeof(*plen));
	int err = 0;
	if (!depth || !plen)
		err = CAIRN_ENOMEM;
	for (uint32_t i = 1; !err && i < n; i++) {
		uint32_t p = v->nodes[i].parent;
		uint32_t d = depth[p] + 1u, l = plen[p] + 1u + v->nodes[i].name_len;
		if (d > PKGFS_DEPTH_MAX)
			err = bad(v, i, "nested too deep (limit 32)", -1);
		else if (l > PKGFS_PATH_MAX)
			err = bad(v, i, "path too long (limit 1024 bytes)", -1);
		depth[i] = (uint16_t)d;
		plen[i] = (uint16_t)l;
	}
	free(depth);
	free(plen);
	return err;
}

/* One file extent: bytes [start, start + len) of the image. */
struct extent {
	uint64_t start; /* image byte offset */
	uint64_t len;	/* allocated bytes (size rounded up to PKGFS_ALIGN) */
	uint32_t ino;	/* owning entry */
};

/* extent_cmp: qsort order by start, then entry index (deterministic reports). */
static int extent_cmp(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->ino < y->ino ? -1 : (x->ino > y->ino ? 1 : 0);
}

/* check_one_extent: bounds of one file's extent; fills *e. */
static int check_one_extent(struct vctx *v, uint32_t i, struct extent *e)
{
	const struct pkgfs_node *n = &v->nodes[i];
	const struct pkgfs_hdr *h = v->h;
	if (n->start % PKGFS_ALIGN != 0)
		return bad(v, i, "extent not 4096-aligned", -1);
	if (n->start < h->data_off)
		return bad(v, i, "extent in the metadata region", -1);
	uint64_t data_end = h->data_off + h->data_size; /* the hash tree starts here */
	if (n->size > h->data_size || n->start > data_end || n->size > data_end - n->start)
		return bad(v, i, "extent outside the data region (into the hash tree or past it)",
			   -1);
	e->start = n->start;
	e->len = (n->size + PKGFS_ALIGN - 1) / PKGFS_ALIGN * PKGFS_ALIGN;
	e->ino = i;
	return 0;
}

/* check_extents: every file extent aligned, inside the data region, no overlap. */
static int check_extents(struct vctx *v)
{
	struct extent *ext = malloc((size_t)v->h->node_count * sizeof(*ext));
	size_t n = 0;
	int err = 0;
	if (!ext)
		return CAIRN_ENOMEM;
	for (uint32_t i = 1; !err && i < v->h->node_count; i++) {
		const struct pkgfs_node *nd = &v->nodes[i];
		if ((nd->mode & PKGFS_S_IFMT) == PKGFS_S_IFREG && nd->size > 0)
			err = check_one_extent(v, i, &ext[n++]);
	}
	if (!err && n > 1)
		qsort(ext, n, sizeof(*ext), extent_cmp);
	for (size_t k = 1; !err && k < n; k++) {
		const struct extent *a = &ext[k - 1], *b = &ext[k];
		if (a->start + a->len > b->start) {
			uint32_t hi = a->ino > b->ino ? a->ino : b->ino;
			uint32_t lo = a->ino > b->ino ? b->ino : a->ino;
			err = bad(v, hi, "extent overlaps", lo);
		}
	}
	free(ext);
	return err;
}

/* pkgfs_validate: run every structural check in order; first failure wins. */
int pkgfs_validate(const struct pkgfs_hdr *h, const struct pkgfs_node *nodes, const uint8_t *names,
		   struct pkgfs_mount_report *report)
{
	struct vctx v = { h, nodes, names, report, false };
	int err = check_entries(&v);
	if (!err)
		err = check_tree(&v);
	v.tree_ok = (err == 0);
	if (!err)
		err = check_order(&v);
	if (!err)
		err = check_depth(&v);
	if (!err)
		err = check_extents(&v);
	return err;
}
