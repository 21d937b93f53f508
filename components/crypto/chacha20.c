/* ChaCha20 (RFC 8439 section 2.1-2.4): the block function and the stream cipher.
 * Written from the RFC; a 32-bit counter, a 96-bit nonce. */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"

/* load32: little-endian 32-bit load (RFC 8439 2.3 reads key and nonce as LE words). */
static uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* rotl: rotate left by n (0 < n < 32). */
static uint32_t rotl(uint32_t x, int n) { return x << n | x >> (32 - n); }

/* qround: the ChaCha quarter round on four state words (RFC 8439 2.1). */
static void qround(uint32_t *x, int a, int b, int c, int d)
{
	x[a] += x[b];
	x[d] = rotl(x[d] ^ x[a], 16);
	x[c] += x[d];
	x[b] = rotl(x[b] ^ x[c], 12);
	x[a] += x[b];
	x[d] = rotl(x[d] ^ x[a], 8);
	x[c] += x[d];
	x[b] = rotl(x[b] ^ x[c], 7);
}

/* crypto_chacha20_block: one 64-byte keystream block (RFC 8439 2.3): 10 double
 * rounds (columns, then diagonals) and the feed-forward of the input state. */
void crypto_chacha20_block(const uint8_t key[CRYPTO_CHACHA20_KEY], uint32_t counter,
			   const uint8_t nonce[CRYPTO_CHACHA20_NONCE], uint8_t out[64])
{
	uint32_t in[16], x[16];

	in[0] = 0x61707865; /* "expand 32-byte k" */
	in[1] = 0x3320646e;
	in[2] = 0x79622d32;
	in[3] = 0x6b206574;
	for (int i = 0; i < 8; i++)
		in[4 + i] = load32(key + 4 * i);
	in[12] = counter;
	for (int i = 0; i < 3; i++)
		in[13 + i] = load32(nonce + 4 * i);
	memcpy(x, in, sizeof x);
	for (int i = 0; i < 10; i++) {
		qround(x, 0, 4, 8, 12);
		qround(x, 1, 5, 9, 13);
		qround(x, 2, 6, 10, 14);
		qround(x, 3, 7, 11, 15);
		qround(x, 0, 5, 10, 15);
		qround(x, 1, 6, 11, 12);
		qround(x, 2, 7, 8, 13);
		qround(x, 3, 4, 9, 14);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + in[i];
		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
	crypto_wipe(in, sizeof in);
	crypto_wipe(x, sizeof x);
}

/* crypto_chacha20_xor: out = in XOR keystream starting at block `counter` (RFC 8439
 * 2.4). The counter is 32 bits and must not wrap: a wrapped counter would reuse
 * keystream, so such a length is refused before anything is written. */
int crypto_chacha20_xor(const uint8_t key[CRYPTO_CHACHA20_KEY], uint32_t counter,
			const uint8_t nonce[CRYPTO_CHACHA20_NONCE], const void *in, void *out,
			size_t len)
{
	const uint8_t *src = in;
	uint8_t *dst = out, ks[64];
	uint64_t blocks = len / 64 + (len % 64 != 0);

	if (blocks > (uint64_t)UINT32_MAX + 1 - counter)
		return CAIRN_EOVERFLOW;
	while (len) {
		size_t n = len < 64 ? len : 64;
		crypto_chacha20_block(key, counter++, nonce, ks);
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i] ^ ks[i];
		src += n;
		dst += n;
		len -= n;
	}
	crypto_wipe(ks, sizeof ks);
	return 0;
}
