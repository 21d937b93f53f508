/* ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8). Written from the RFC. The
 * Poly1305 one-time key is the first 32 bytes of ChaCha20 block 0; the message
 * is encrypted from block 1; the tag covers ad || pad16 || ct || pad16 ||
 * le64(adlen) || le64(ctlen). Open verifies before it decrypts and writes no
 * plaintext when the tag is wrong. */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"

/* Longest message: ChaCha20's 32-bit block counter starts at 1 for the data. */
#define AEAD_MAX ((uint64_t)UINT32_MAX * 64)

/* aead_tag: compute the RFC 8439 2.8 tag over ad and ct. */
static void aead_tag(const uint8_t key[CRYPTO_AEAD_KEY], const uint8_t nonce[CRYPTO_AEAD_NONCE],
		     const void *ad, size_t adlen, const void *ct, size_t len,
		     uint8_t tag[CRYPTO_AEAD_TAG])
{
	static const uint8_t zero[16];
	uint8_t block0[64], lens[16];
	struct crypto_poly1305 p;

	crypto_chacha20_block(key, 0, nonce, block0);
	crypto_poly1305_init(&p, block0);
	crypto_poly1305_update(&p, ad, adlen);
	crypto_poly1305_update(&p, zero, (16 - adlen % 16) % 16);
	crypto_poly1305_update(&p, ct, len);
	crypto_poly1305_update(&p, zero, (16 - len % 16) % 16);
	for (int i = 0; i < 8; i++) {
		lens[i] = (uint8_t)((uint64_t)adlen >> (8 * i));
		lens[8 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	crypto_poly1305_update(&p, lens, sizeof lens);
	crypto_poly1305_final(&p, tag);
	crypto_wipe(block0, sizeof block0);
}

/* crypto_aead_seal: encrypt pt into ct (same length; may be the same buffer) and
 * write the tag. */
int crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY], const uint8_t nonce[CRYPTO_AEAD_NONCE],
		     const void *ad, size_t adlen, const void *pt, size_t len, void *ct,
		     uint8_t tag[CRYPTO_AEAD_TAG])
{
	if ((uint64_t)len > AEAD_MAX)
		return CAIRN_EOVERFLOW;
	int err = crypto_chacha20_xor(key, 1, nonce, pt, ct, len);
	if (err)
		return err;
	aead_tag(key, nonce, ad, adlen, ct, len, tag);
	return 0;
}

/* crypto_aead_open: check the tag over ad and ct in constant time, then decrypt. */
int crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY], const uint8_t nonce[CRYPTO_AEAD_NONCE],
		     const void *ad, size_t adlen, const void *ct, size_t len,
		     const uint8_t tag[CRYPTO_AEAD_TAG], void *pt)
{
	uint8_t want[CRYPTO_AEAD_TAG];

	if ((uint64_t)len > AEAD_MAX)
		return CAIRN_EOVERFLOW;
	aead_tag(key, nonce, ad, adlen, ct, len, want);
	bool ok = crypto_ct_equal(want, tag, sizeof want);
	crypto_wipe(want, sizeof want);
	if (!ok)
		return CAIRN_EBADMSG;
	return crypto_chacha20_xor(key, 1, nonce, ct, pt, len);
}
