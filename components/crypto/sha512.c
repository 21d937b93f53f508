/* SHA-512, written from FIPS 180-4 sections 4.1.3, 4.2.3, 5.1.2, 5.3.5 and 6.4. */
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"

/* K: first 64 bits of the fractional parts of the cube roots of the first 80
 * primes (FIPS 180-4 4.2.3). */
static const uint64_t K512[80] = {
	0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
	0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
	0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
	0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
	0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
	0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
	0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
	0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
	0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
	0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
	0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
	0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
	0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
	0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
	0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
	0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
	0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
	0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
	0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
	0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

/* H(0): first 64 bits of the fractional parts of the square roots of the first 8
 * primes (FIPS 180-4 5.3.5). */
static const uint64_t H512_INIT[8] = {
	0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
	0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

/* ror64: rotate right; n is 1..63. */
static inline uint64_t ror64(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

/* load64_be: big-endian 64-bit load, written as one expression so the compiler
 * can turn it into a single load and byte swap where the target has them. */
static inline uint64_t load64_be(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | p[7];
}

/* The FIPS 180-4 4.1.3 functions. Ch and Maj in forms with one operation less:
 * Ch(e,f,g) = g ^ (e & (f ^ g)); Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)) (in RND). */
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define BSIG0(x) (ror64(x, 28) ^ ror64(x, 34) ^ ror64(x, 39))
#define BSIG1(x) (ror64(x, 14) ^ ror64(x, 18) ^ ror64(x, 41))
#define SSIG0(x) (ror64(x, 1) ^ ror64(x, 8) ^ ((x) >> 7))
#define SSIG1(x) (ror64(x, 19) ^ ror64(x, 61) ^ ((x) >> 6))

/* One round (FIPS 180-4 6.4.2 step 3) without moving the eight working variables:
 * the caller rotates the names instead, so a round writes only d and h. Maj uses
 * b ^ c, which is the previous round's a ^ b: each round leaves its a ^ b in ab
 * for the next one (the two temporaries swap names every round). */
#define RND(a, b, c, d, e, f, g, h, k, w, ab, bc)                                                  \
	do {                                                                                       \
		uint64_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + (k) + (w);                           \
		(ab) = (a) ^ (b);                                                                  \
		(d) += t1_;                                                                        \
		(h) = t1_ + BSIG0(a) + ((b) ^ ((ab) & (bc)));                                      \
	} while (0)

/* The message schedule in a 16-word ring: W[t] for t >= 16 replaces W[t - 16]. */
#define WNEXT(j) (w[j] += SSIG1(w[((j) + 14) & 15]) + w[((j) + 9) & 15] + SSIG0(w[((j) + 1) & 15]))

/* Sixteen rounds from K512[t], the word of round t + j given by W(j). */
#define ROUNDS16(W)                                                                                \
	do {                                                                                       \
		RND(a, b, c, d, e, f, g, h, K512[t + 0], W(0), x, y);                              \
		RND(h, a, b, c, d, e, f, g, K512[t + 1], W(1), y, x);                              \
		RND(g, h, a, b, c, d, e, f, K512[t + 2], W(2), x, y);                              \
		RND(f, g, h, a, b, c, d, e, K512[t + 3], W(3), y, x);                              \
		RND(e, f, g, h, a, b, c, d, K512[t + 4], W(4), x, y);                              \
		RND(d, e, f, g, h, a, b, c, K512[t + 5], W(5), y, x);                              \
		RND(c, d, e, f, g, h, a, b, K512[t + 6], W(6), x, y);                              \
		RND(b, c, d, e, f, g, h, a, K512[t + 7], W(7), y, x);                              \
		RND(a, b, c, d, e, f, g, h, K512[t + 8], W(8), x, y);                              \
		RND(h, a, b, c, d, e, f, g, K512[t + 9], W(9), y, x);                              \
		RND(g, h, a, b, c, d, e, f, K512[t + 10], W(10), x, y);                            \
		RND(f, g, h, a, b, c, d, e, K512[t + 11], W(11), y, x);                            \
		RND(e, f, g, h, a, b, c, d, K512[t + 12], W(12), x, y);                            \
		RND(d, e, f, g, h, a, b, c, K512[t + 13], W(13), y, x);                            \
		RND(c, d, e, f, g, h, a, b, K512[t + 14], W(14), x, y);                            \
		RND(b, c, d, e, f, g, h, a, K512[t + 15], W(15), y, x);                            \
	} while (0)

#define WLOAD(j) (w[j])

/* sha512_block: process one 128-byte block into the state (FIPS 180-4 6.4.2),
 * the 80 rounds unrolled sixteen at a time with the schedule computed in place
 * just before each word is used (no 80-word array, no variable moves). */
static void sha512_block(uint64_t st[8], const uint8_t *blk)
{
	uint64_t w[16];
	uint64_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint64_t e = st[4], f = st[5], g = st[6], h = st[7];
	uint64_t x, y = b ^ c; /* a ^ b of the last round, b ^ c of the next */
	int t = 0;

	for (int j = 0; j < 16; j++)
		w[j] = load64_be(blk + 8 * (size_t)j);
	ROUNDS16(WLOAD);
	for (t = 16; t < 80; t += 16)
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

/* crypto_sha512_init: start a new hash. */
void crypto_sha512_init(struct crypto_sha512 *s)
{
	memcpy(s->h, H512_INIT, sizeof s->h);
	s->total = 0;
	s->buflen = 0;
}

/* sha512_compress: sha512_block for the shared framing in crypto_util.c. */
static void sha512_compress(void *h, const uint8_t *blk) { sha512_block(h, blk); }

/* crypto_sha512_update: absorb len bytes. */
void crypto_sha512_update(struct crypto_sha512 *s, const void *data, size_t len)
{
	s->total += len;
	crypto_md_update(s->h, sha512_compress, s->buf, CRYPTO_SHA512_BLOCK, &s->buflen, data, len);
}

/* crypto_sha512_final: pad (FIPS 180-4 5.1.2), output big-endian, wipe. */
void crypto_sha512_final(struct crypto_sha512 *s, uint8_t out[CRYPTO_SHA512_SIZE])
{
	crypto_md_pad(s->h, sha512_compress, s->buf, CRYPTO_SHA512_BLOCK, s->buflen, 16, s->total);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			out[8 * i + j] = (uint8_t)(s->h[i] >> (56 - 8 * j));
	crypto_wipe(s, sizeof *s);
}

/* crypto_sha512: one-shot hash. */
void crypto_sha512(const void *data, size_t len, uint8_t out[CRYPTO_SHA512_SIZE])
{
	struct crypto_sha512 s;

	crypto_sha512_init(&s);
	crypto_sha512_update(&s, data, len);
	crypto_sha512_final(&s, out);
}
