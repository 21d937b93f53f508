/* packagefs format helpers shared by the engine and the host builder: header and
 * node codecs, the root hash, the hash-tree geometry and computation, name rules,
 * and a small string builder. */
#include <string.h>

#include "packagefs_internal.h"

/* pkgfs_hdr_decode: fill h from the PKGFS_HDR_SIZE bytes at p. */
void pkgfs_hdr_decode(const uint8_t *p, struct pkgfs_hdr *h)
{
	h->version = pkgfs_ld32(p + PKGFS_H_VERSION);
	h->node_count = pkgfs_ld32(p + PKGFS_H_NODE_COUNT);
	h->name_bytes = pkgfs_ld32(p + PKGFS_H_NAME_BYTES);
	h->meta_off = pkgfs_ld64(p + PKGFS_H_META_OFF);
	h->meta_size = pkgfs_ld64(p + PKGFS_H_META_SIZE);
	h->data_off = pkgfs_ld64(p + PKGFS_H_DATA_OFF);
	h->data_size = pkgfs_ld64(p + PKGFS_H_DATA_SIZE);
	h->image_size = pkgfs_ld64(p + PKGFS_H_IMAGE_SIZE);
	h->release = pkgfs_ld64(p + PKGFS_H_RELEASE);
	h->tree_off = pkgfs_ld64(p + PKGFS_H_TREE_OFF);
	h->tree_size = pkgfs_ld64(p + PKGFS_H_TREE_SIZE);
	memcpy(h->tree_root, p + PKGFS_H_TREE_ROOT, PKGFS_HASH_SIZE);
	memcpy(h->root_hash, p + PKGFS_H_ROOT_HASH, PKGFS_HASH_SIZE);
	memcpy(h->signature, p + PKGFS_H_SIGNATURE, CRYPTO_ED25519_SIG);
}

/* pkgfs_node_decode: fill n from the PKGFS_NODE_SIZE bytes at p. */
void pkgfs_node_decode(const uint8_t *p, struct pkgfs_node *n)
{
	n->parent = pkgfs_ld32(p + PKGFS_N_PARENT);
	n->name_off = pkgfs_ld32(p + PKGFS_N_NAME_OFF);
	n->name_len = pkgfs_ld16(p + PKGFS_N_NAME_LEN);
	n->reserved = pkgfs_ld16(p + PKGFS_N_RESERVED);
	n->mode = pkgfs_ld32(p + PKGFS_N_MODE);
	n->size = pkgfs_ld64(p + PKGFS_N_SIZE);
	n->start = pkgfs_ld64(p + PKGFS_N_START);
	memcpy(n->sha256, p + PKGFS_N_SHA256, PKGFS_HASH_SIZE);
}

/* pkgfs_node_encode: write n as PKGFS_NODE_SIZE bytes at p. */
void pkgfs_node_encode(uint8_t *p, const struct pkgfs_node *n)
{
	pkgfs_st32(p + PKGFS_N_PARENT, n->parent);
	pkgfs_st32(p + PKGFS_N_NAME_OFF, n->name_off);
	pkgfs_st16(p + PKGFS_N_NAME_LEN, n->name_len);
	pkgfs_st16(p + PKGFS_N_RESERVED, n->reserved);
	pkgfs_st32(p + PKGFS_N_MODE, n->mode);
	pkgfs_st64(p + PKGFS_N_SIZE, n->size);
	pkgfs_st64(p + PKGFS_N_START, n->start);
	memcpy(p + PKGFS_N_SHA256, n->sha256, PKGFS_HASH_SIZE);
}

/* pkgfs_root_hash: SHA-256(header[0..128) || metadata). */
void pkgfs_root_hash(const uint8_t *hdr, const uint8_t *meta, size_t meta_size,
		     uint8_t out[PKGFS_HASH_SIZE])
{
	struct crypto_sha256 s;
	crypto_sha256_init(&s);
	crypto_sha256_update(&s, hdr, PKGFS_HDR_HASHED);
	crypto_sha256_update(&s, meta, meta_size);
	crypto_sha256_final(&s, out);
}

/* pkgfs_tree_geom: level sizes and offsets of the tree over data_size bytes. */
void pkgfs_tree_geom(uint64_t data_size, uint64_t tree_off, struct pkgfs_tree_geom *g)
{
	memset(g, 0, sizeof(*g));
	uint64_t n = data_size / PKGFS_ALIGN; /* digests the next level holds */
	uint64_t off = tree_off;
	while (n > 0 && g->levels < PKGFS_TREE_LEVELS_MAX) {
		uint32_t l = g->levels++;
		g->pages[l] = (n + PKGFS_TREE_FANOUT - 1) / PKGFS_TREE_FANOUT;
		g->off[l] = off;
		off += g->pages[l] * PKGFS_ALIGN;
		g->size += g->pages[l] * PKGFS_ALIGN;
		n = g->pages[l] == 1 ? 0 : g->pages[l];
	}
}

/* pkgfs_tree_compute: hash every data page into level 0, then each level into the
 * next, and the top page into the header's tree_root. */
int pkgfs_tree_compute(uint8_t *img, size_t len)
{
	if (len < PKGFS_HDR_SIZE)
		return CAIRN_EINVAL;
	uint64_t data_off = pkgfs_ld64(img + PKGFS_H_DATA_OFF);
	uint64_t data_size = pkgfs_ld64(img + PKGFS_H_DATA_SIZE);
	uint64_t tree_off = pkgfs_ld64(img + PKGFS_H_TREE_OFF);
	if (data_size % PKGFS_ALIGN || data_off > len || data_size > len - data_off ||
	    tree_off > len)
		return CAIRN_EINVAL;
	struct pkgfs_tree_geom g;
	pkgfs_tree_geom(data_size, tree_off, &g);
	if (g.size > len - tree_off)
		return CAIRN_EINVAL;
	memset(img + tree_off, 0, (size_t)g.size);
	memset(img + PKGFS_H_TREE_ROOT, 0, PKGFS_HASH_SIZE);
	uint64_t below_off = data_off, below_pages = data_size / PKGFS_ALIGN;
	for (uint32_t l = 0; l < g.levels; l++) {
		for (uint64_t i = 0; i < below_pages; i++)
			crypto_sha256(img + below_off + i * PKGFS_ALIGN, PKGFS_ALIGN,
				      img + g.off[l] + i * PKGFS_HASH_SIZE);
		below_off = g.off[l];
		below_pages = g.pages[l];
	}
	if (g.levels)
		crypto_sha256(img + below_off, PKGFS_ALIGN, img + PKGFS_H_TREE_ROOT);
	return 0;
}

/* utf8_seq: length of the well-formed UTF-8 sequence at s (avail bytes), 0 if bad. */
static size_t utf8_seq(const uint8_t *s, size_t avail)
{
	uint8_t c = s[0];
	size_t n;
	uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* pkgfs_utf8_valid: true when s[0..len) is well-formed UTF-8. */
bool pkgfs_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* pkgfs_name_check: NULL when name is a valid entry name, else a short reason. */
const char *pkgfs_name_check(const uint8_t *name, size_t len)
{
	if (len == 0)
		return "empty name";
	if (len > PKGFS_NAME_MAX)
		return "name too long";
	if (memchr(name, '/', len))
		return "name contains '/'";
	if (memchr(name, '\0', len))
		return "name contains NUL";
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return "name is '.' or '..'";
	if (!pkgfs_utf8_valid(name, len))
		return "name is not valid UTF-8";
	return NULL;
}

/* pkgfs_name_cmp: bytewise order of two names (shorter prefix sorts first). */
int pkgfs_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);
	if (r)
		return r;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* pkgfs_sb_init: start an empty string in buf. */
void pkgfs_sb_init(struct pkgfs_sb *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	if (cap)
		buf[0] = '\0';
}

/* sb_putc: append one char if there is room (truncates silently). */
static void sb_putc(struct pkgfs_sb *sb, char c)
{
	if (sb->len + 1 < sb->cap) {
		sb->buf[sb->len++] = c;
		sb->buf[sb->len] = '\0';
	}
}

/* pkgfs_sb_str: append a NUL-terminated string. */
void pkgfs_sb_str(struct pkgfs_sb *sb, const char *s)
{
	while (*s)
		sb_putc(sb, *s++);
}

/* pkgfs_sb_u64: append v in decimal. */
void pkgfs_sb_u64(struct pkgfs_sb *sb, uint64_t v)
{
	char tmp[21];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		sb_putc(sb, tmp[--n]);
}

/* esc_len: bytes name[0..len) takes once escaped by esc_put. */
static size_t esc_len(const uint8_t *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') ? 1 : 4;
	return n;
}

/* esc_put: write name bytes to dst, non-printable bytes as \xNN (no NUL). */
static void esc_put(char *dst, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			*dst++ = (char)s[i];
		} else {
			*dst++ = '\\';
			*dst++ = 'x';
			*dst++ = hex[s[i] >> 4];
			*dst++ = hex[s[i] & 15];
		}
	}
}

/* pkgfs_sb_name: append name bytes, escaping non-printable bytes as \xNN. */
void pkgfs_sb_name(struct pkgfs_sb *sb, const uint8_t *s, size_t len)
{
	char tmp[4];
	for (size_t i = 0; i < len; i++) {
		size_t n = esc_len(s + i, 1);
		esc_put(tmp, s + i, 1);
		for (size_t k = 0; k < n; k++)
			sb_putc(sb, tmp[k]);
	}
}

/* pkgfs_path_of: write entry i's path into buf, built right to left so that a path
 * too long for buf keeps its tail behind a "..." prefix. Parents must have smaller
 * indices than their children (checked at mount), which ends the walk. */
void pkgfs_path_of(const struct pkgfs_node *nodes, const uint8_t *names, uint32_t i, char *buf,
		   size_t len)
{
	if (len < 5) {
		if (len)
			buf[0] = '\0';
		return;
	}
	size_t pos = len - 1;
	buf[pos] = '\0';
	if (i == 0)
		buf[--pos] = '/';
	while (i != 0) {
		const struct pkgfs_node *n = &nodes[i];
		size_t need = esc_len(names + n->name_off, n->name_len) + 1;
		if (need + 3 > pos || n->parent >= i)
			break;
		pos -= need;
		buf[pos] = '/';
		esc_put(buf + pos + 1, names + n->name_off, n->name_len);
		i = n->parent;
	}
	if (i != 0) {
		pos -= 3;
		memcpy(buf + pos, "...", 3);
	}
	memmove(buf, buf + pos, len - pos);
}
