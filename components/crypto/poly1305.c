/* Poly1305 (RFC 8439 section 2.5): the one-time authenticator. Written from the
 * RFC. The accumulator h is kept in five 26-bit limbs so every product of the
 * multiply fits a uint64_t with room for the sum (each term < 2^26 * 5 * 2^26 <
 * 2^55, five of them < 2^58), and reduction mod p = 2^130 - 5 folds the carry out
 * of bit 130 back in times 5. Constant time: no branch or index depends on data. */
#include <string.h>

#include "crypto.h"

#define M26 0x3ffffffu

/* load32: little-endian 32-bit load. */
static uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* crypto_poly1305_init: r = clamp(key[0..15]), s = key[16..31], h = 0. */
void crypto_poly1305_init(struct crypto_poly1305 *p, const uint8_t key[CRYPTO_POLY1305_KEY])
{
	/* The clamp (RFC 8439 2.5.1) clears the top 4 bits of r's bytes 3, 7, 11, 15
	 * and the low 2 bits of bytes 4, 8, 12; it is applied while splitting into
	 * 26-bit limbs. */
	p->r[0] = load32(key) & 0x3ffffff;
	p->r[1] = (load32(key + 3) >> 2) & 0x3ffff03;
	p->r[2] = (load32(key + 6) >> 4) & 0x3ffc0ff;
	p->r[3] = (load32(key + 9) >> 6) & 0x3f03fff;
	p->r[4] = (load32(key + 12) >> 8) & 0x00fffff;
	for (int i = 0; i < 4; i++)
		p->s[i] = load32(key + 16 + 4 * i);
	memset(p->h, 0, sizeof p->h);
	p->buflen = 0;
}

/* blocks: h = (h + m) * r mod p for each 16-byte block of m; hibit is 2^128 for
 * a full block and 0 for the padded final partial block (its 0x01 is in m). */
static void blocks(struct crypto_poly1305 *p, const uint8_t *m, size_t len, uint32_t hibit)
{
	const uint64_t r0 = p->r[0], r1 = p->r[1], r2 = p->r[2], r3 = p->r[3], r4 = p->r[4];
	const uint64_t s1 = r1 * 5, s2 = r2 * 5, s3 = r3 * 5, s4 = r4 * 5;
	uint64_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2], h3 = p->h[3], h4 = p->h[4];

	for (; len >= 16; m += 16, len -= 16) {
		h0 += load32(m) & M26;
		h1 += (load32(m + 3) >> 2) & M26;
		h2 += (load32(m + 6) >> 4) & M26;
		h3 += (load32(m + 9) >> 6) & M26;
		h4 += (load32(m + 12) >> 8) | hibit;
		uint64_t d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
		uint64_t d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
		uint64_t d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
		uint64_t d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
		uint64_t d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
		d1 += d0 >> 26;
		h0 = d0 & M26;
		d2 += d1 >> 26;
		h1 = d1 & M26;
		d3 += d2 >> 26;
		h2 = d2 & M26;
		d4 += d3 >> 26;
		h3 = d3 & M26;
		h0 += (d4 >> 26) * 5; /* 2^130 = 5 mod p */
		h4 = d4 & M26;
		h1 += h0 >> 26;
		h0 &= M26;
	}
	p->h[0] = (uint32_t)h0;
	p->h[1] = (uint32_t)h1;
	p->h[2] = (uint32_t)h2;
	p->h[3] = (uint32_t)h3;
	p->h[4] = (uint32_t)h4;
}

/* crypto_poly1305_update: absorb len bytes, buffering a partial block. */
void crypto_poly1305_update(struct crypto_poly1305 *p, const void *data, size_t len)
{
	const uint8_t *m = data;

	if (p->buflen) {
		size_t n = 16 - p->buflen;
		if (n > len)
			n = len;
		memcpy(p->buf + p->buflen, m, n);
		p->buflen += n;
		m += n;
		len -= n;
		if (p->buflen < 16)
			return;
		blocks(p, p->buf, 16, 1u << 24);
		p->buflen = 0;
	}
	if (len >= 16) {
		size_t full = len & ~(size_t)15;
		blocks(p, m, full, 1u << 24);
		m += full;
		len -= full;
	}
	if (len) {
		memcpy(p->buf, m, len);
		p->buflen = len;
	}
}

/* crypto_poly1305_final: pad the last block, reduce h fully mod p, add s mod
 * 2^128, write the tag and wipe the context. */
void crypto_poly1305_final(struct crypto_poly1305 *p, uint8_t tag[CRYPTO_POLY1305_TAG])
{
	if (p->buflen) {
		p->buf[p->buflen] = 1;
		memset(p->buf + p->buflen + 1, 0, 16 - p->buflen - 1);
		blocks(p, p->buf, 16, 0);
	}
	uint64_t h0 = p->h[0], h1 = p->h[1], h2 = p->h[2], h3 = p->h[3], h4 = p->h[4], c;

	/* Full carry, so every limb is below 2^26 (h0 may take one more small carry). */
	c = h1 >> 26;
	h1 &= M26;
	h2 += c;
	c = h2 >> 26;
	h2 &= M26;
	h3 += c;
	c = h3 >> 26;
	h3 &= M26;
	h4 += c;
	c = h4 >> 26;
	h4 &= M26;
	h0 += c * 5;
	c = h0 >> 26;
	h0 &= M26;
	h1 += c;
	c = h1 >> 26;
	h1 &= M26;
	h2 += c;
	/* g = h + 5 - 2^130; when g does not go negative, h >= p and g is the result. */
	uint64_t g0 = h0 + 5, g1, g2, g3, g4;
	c = g0 >> 26;
	g0 &= M26;
	g1 = h1 + c;
	c = g1 >> 26;
	g1 &= M26;
	g2 = h2 + c;
	c = g2 >> 26;
	g2 &= M26;
	g3 = h3 + c;
	c = g3 >> 26;
	g3 &= M26;
	g4 = h4 + c - (1u << 26);
	uint64_t use_g = (g4 >> 63) - 1; /* all ones when g >= 0 */
	h0 = (h0 & ~use_g) | (g0 & use_g);
	h1 = (h1 & ~use_g) | (g1 & use_g);
	h2 = (h2 & ~use_g) | (g2 & use_g);
	h3 = (h3 & ~use_g) | (g3 & use_g);
	h4 = (h4 & ~use_g) | (g4 & use_g & M26);
	/* Pack into 128 bits (the bits above 2^128 are dropped by the definition). */
	/* Added, not ORed: a limb may still be exactly 2^26 after the last carry. */
	unsigned __int128 v = (unsigned __int128)h0 + ((unsigned __int128)h1 << 26) +
			      ((unsigned __int128)h2 << 52) + ((unsigned __int128)h3 << 78) +
			      ((unsigned __int128)h4 << 104);
	unsigned __int128 s = (unsigned __int128)p->s[0] | (unsigned __int128)p->s[1] << 32 |
			      (unsigned __int128)p->s[2] << 64 | (unsigned __int128)p->s[3] << 96;
	v += s;
	for (int i = 0; i < 16; i++)
		tag[i] = (uint8_t)(v >> (8 * i));
	v = 0;
	crypto_wipe(p, sizeof *p);
}

/* crypto_poly1305: one-shot tag of msg under a one-time key. */
void crypto_poly1305(const uint8_t key[CRYPTO_POLY1305_KEY], const void *msg, size_t len,
		     uint8_t tag[CRYPTO_POLY1305_TAG])
{
	struct crypto_poly1305 p;

	crypto_poly1305_init(&p, key);
	crypto_poly1305_update(&p, msg, len);
	crypto_poly1305_final(&p, tag);
}
