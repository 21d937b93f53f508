/* SHA-256, written from FIPS 180-4 sections 4.1.2, 4.2.2, 5.1.1, 5.3.3 and 6.2. */
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"

/* K: first 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4 4.2.2). */
static const uint32_t K256[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
	0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
	0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
	0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
	0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
	0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
	0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
	0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* H(0): first 32 bits of the fractional parts of the square roots of the first 8
 * primes (FIPS 180-4 5.3.3). */
static const uint32_t H256_INIT[8] = {
	0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
	0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* ror32: rotate right; n is 1..31. */
static inline uint32_t ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* load32_be: big-endian 32-bit load. */
static inline uint32_t load32_be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* sha256_block: process one 64-byte block into the state (FIPS 180-4 6.2.2). */
static void sha256_block(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64], v[8];

	for (int t = 0; t < 16; t++)
		w[t] = load32_be(blk + 4 * (size_t)t);
	for (int t = 16; t < 64; t++) {
		uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
	memcpy(v, h, sizeof v);
	for (int t = 0; t < 64; t++) {
		uint32_t a = v[0], e = v[4];
		uint32_t t1 = v[7] + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) +
			      ((e & v[5]) ^ (~e & v[6])) + K256[t] + w[t];
		uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) +
			      ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
		v[7] = v[6];
		v[6] = v[5];
		v[5] = e;
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = a;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

/* crypto_sha256_init: start a new hash. */
void crypto_sha256_init(struct crypto_sha256 *s)
{
	memcpy(s->h, H256_INIT, sizeof s->h);
	s->total = 0;
	s->buflen = 0;
}

/* sha256_compress: sha256_block for the shared framing in crypto_util.c. */
static void sha256_compress(void *h, const uint8_t *blk)
{
	sha256_block(h, blk);
}

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
