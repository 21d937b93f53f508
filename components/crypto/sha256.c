/* SHA-256, written from FIPS 180-4 sections 4.1.2, 4.2.2, 5.1.1, 5.3.3 and 6.2. */
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"

/* K: first 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4 4.2.2). */
static const uint32_t K256[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
	0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
	0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
	0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
	0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
	0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
	0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
	0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
	0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
	0xc67178f2u,
};

/* H(0): first 32 bits of the fractional parts of the square roots of the first 8
 * primes (FIPS 180-4 5.3.3). */
static const uint32_t H256_INIT[8] = {
	0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
	0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* ror32: rotate right; n is 1..31. */
static inline uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

/* load32_be: big-endian 32-bit load. */
static inline uint32_t load32_be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The FIPS 180-4 4.1.2 functions. Ch and Maj in forms with one operation less:
 * Ch(e,f,g) = g ^ (e & (f ^ g)); Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)) (in RND). */
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define BSIG0(x) (ror32(x, 2) ^ ror32(x, 13) ^ ror32(x, 22))
#define BSIG1(x) (ror32(x, 6) ^ ror32(x, 11) ^ ror32(x, 25))
#define SSIG0(x) (ror32(x, 7) ^ ror32(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ror32(x, 17) ^ ror32(x, 19) ^ ((x) >> 10))

/* One round (FIPS 180-4 6.2.2 step 3) without moving the eight working variables:
 * the caller rotates the names instead, so a round writes only d and h. Maj uses
 * b ^ c, which is the previous round's a ^ b: each round leaves its a ^ b in ab
 * for the next one (the two temporaries swap names every round). */
#define RND(a, b, c, d, e, f, g, h, k, w, ab, bc)                                                  \
	do {                                                                                       \
		uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + (k) + (w);                           \
		(ab) = (a) ^ (b);                                                                  \
		(d) += t1_;                                                                        \
		(h) = t1_ + BSIG0(a) + ((b) ^ ((ab) & (bc)));                                      \
	} while (0)

/* The message schedule in a 16-word ring: W[t] for t >= 16 replaces W[t - 16]. */
#define WNEXT(j) (w[j] += SSIG1(w[((j) + 14) & 15]) + w[((j) + 9) & 15] + SSIG0(w[((j) + 1) & 15]))

/* Sixteen rounds from K256[t], the word of round t + j given by W(j). */
#define ROUNDS16(W)                                                                                \
	do {                                                                                       \
		RND(a, b, c, d, e, f, g, h, K256[t + 0], W(0), x, y);                              \
		RND(h, a, b, c, d, e, f, g, K256[t + 1], W(1), y, x);                              \
		RND(g, h, a, b, c, d, e, f, K256[t + 2], W(2), x, y);                              \
		RND(f, g, h, a, b, c, d, e, K256[t + 3], W(3), y, x);                              \
		RND(e, f, g, h, a, b, c, d, K256[t + 4], W(4), x, y);                              \
		RND(d, e, f, g, h, a, b, c, K256[t + 5], W(5), y, x);                              \
		RND(c, d, e, f, g, h, a, b, K256[t + 6], W(6), x, y);                              \
		RND(b, c, d, e, f, g, h, a, K256[t + 7], W(7), y, x);                              \
		RND(a, b, c, d, e, f, g, h, K256[t + 8], W(8), x, y);                              \
		RND(h, a, b, c, d, e, f, g, K256[t + 9], W(9), y, x);                              \
		RND(g, h, a, b, c, d, e, f, K256[t + 10], W(10), x, y);                            \
		RND(f, g, h, a, b, c, d, e, K256[t + 11], W(11), y, x);                            \
		RND(e, f, g, h, a, b, c, d, K256[t + 12], W(12), x, y);                            \
		RND(d, e, f, g, h, a, b, c, K256[t + 13], W(13), y, x);                            \
		RND(c, d, e, f, g, h, a, b, K256[t + 14], W(14), x, y);                            \
		RND(b, c, d, e, f, g, h, a, K256[t + 15], W(15), y, x);                            \
	} while (0)

#define WLOAD(j) (w[j])

/* sha256_block: process one 64-byte block into the state (FIPS 180-4 6.2.2),
 * the 64 rounds unrolled sixteen at a time with the schedule computed in place
 * just before each word is used (no 64-word array, no variable moves). */
static void sha256_block(uint32_t st[8], const uint8_t *blk)
{
	uint32_t w[16];
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
	uint32_t x, y = b ^ c; /* a ^ b of the last round, b ^ c of the next */
	int t = 0;

	for (int j = 0; j < 16; j++)
		w[j] = load32_be(blk + 4 * (size_t)j);
	ROUNDS16(WLOAD);
	for (t = 16; t < 64; t += 16)
		ROUNDS16(WNEXT);
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
	st[4] += e;
	st[5] += f;
	st[6] += g;
	st[7] += h;
}

/* crypto_sha256_init: start a new hash. */
void crypto_sha256_init(struct crypto_sha256 *s)
{
	memcpy(s->h, H256_INIT, sizeof s->h);
	s->total = 0;
	s->buflen = 0;
}

/* sha256_compress: sha256_block for the shared framing in crypto_util.c. */
static void sha256_compress(void *h, const uint8_t *blk) { sha256_block(h, blk); }

/* crypto_sha256_update: absorb len bytes. */
void crypto_sha256_update(struct crypto_sha256 *s, const void *data, size_t len)
{
	s->total += len;
	crypto_md_update(s->h, sha256_compress, s->buf, CRYPTO_SHA256_BLOCK, &s->buflen, data, len);
}

/* crypto_sha256_final: pad (FIPS 180-4 5.1.1), output big-endian, wipe. */
void crypto_sha256_final(struct crypto_sha256 *s, uint8_t out[CRYPTO_SHA256_SIZE])
{
	crypto_md_pad(s->h, sha256_compress, s->buf, CRYPTO_SHA256_BLOCK, s->buflen, 8, s->total);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
	crypto_wipe(s, sizeof *s);
}

/* crypto_sha256: one-shot hash. */
void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_SIZE])
{
	struct crypto_sha256 s;

	crypto_sha256_init(&s);
	crypto_sha256_update(&s, data, len);
	crypto_sha256_final(&s, out);
}
