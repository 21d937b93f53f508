/* libFuzzer target: ChaCha20-Poly1305 against libsodium. Input: key[32] ||
 * nonce[12] || adlen[1] || ad[adlen] || msg. Sealing must agree byte for byte
 * with libsodium's IETF construction and open back; opening the raw input as
 * ciphertext || tag (under the same key, nonce and ad) must agree with libsodium
 * on accept/refuse and on the plaintext. Any disagreement aborts. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* LLVMFuzzerTestOneInput: the libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static uint8_t ct[4096 + 16], ref[4096 + 16], pt[4096], pt2[4096];
	uint8_t tag[16];

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		ready = 1;
	}
	if (size < 45)
		return 0;
	const uint8_t *key = data, *nonce = data + 32;
	size_t adlen = data[44];
	if (size < 45 + adlen)
		return 0;
	const uint8_t *ad = data + 45, *msg = ad + adlen;
	size_t len = size - 45 - adlen;
	if (len > 4096)
		len = 4096;

	unsigned long long rlen = 0;
	if (crypto_aead_seal(key, nonce, ad, adlen, msg, len, ct, tag) != 0)
		abort();
	crypto_aead_chacha20poly1305_ietf_encrypt(ref, &rlen, msg, len, ad, adlen, NULL, nonce,
						  key);
	if (rlen != len + 16 || memcmp(ct, ref, len) || memcmp(tag, ref + len, 16))
		abort();
	if (crypto_aead_open(key, nonce, ad, adlen, ct, len, tag, pt) != 0 || memcmp(pt, msg, len))
		abort();

	/* The message bytes themselves as a candidate ciphertext || tag. */
	if (len >= 16) {
		size_t clen = len - 16;
		unsigned long long plen = 0;
		int ours = crypto_aead_open(key, nonce, ad, adlen, msg, clen, msg + clen, pt);
		int theirs = crypto_aead_chacha20poly1305_ietf_decrypt(pt2, &plen, NULL, msg, len,
								       ad, adlen, nonce, key);
		if ((ours == 0) != (theirs == 0))
			abort();
		if (ours == 0 && (plen != clen || memcmp(pt, pt2, clen)))
			abort();
	}
	return 0;
}
