/* HMAC-SHA256 (RFC 2104, FIPS 198-1) and HKDF-SHA256 (RFC 5869). */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"

/* hmac_init: K0 = key (hashed when longer than a block), then start H(K0^ipad). */
static void hmac_init(struct crypto_hmac_sha256 *c, const void *key, size_t keylen)
{
	uint8_t k0[CRYPTO_SHA256_BLOCK] = { 0 };

	if (keylen > CRYPTO_SHA256_BLOCK)
		crypto_sha256(key, keylen, k0);
	else if (keylen)
		memcpy(k0, key, keylen);
	for (size_t i = 0; i < sizeof k0; i++) {
		c->okey[i] = k0[i] ^ 0x5c;
		k0[i] ^= 0x36;
	}
	crypto_sha256_init(&c->inner);
	crypto_sha256_update(&c->inner, k0, sizeof k0);
	crypto_wipe(k0, sizeof k0);
}

/* hmac_final: out = H(K0^opad || H(K0^ipad || text)); wipes the context. */
static void hmac_final(struct crypto_hmac_sha256 *c, uint8_t out[CRYPTO_SHA256_SIZE])
{
	uint8_t ih[CRYPTO_SHA256_SIZE];
	struct crypto_sha256 outer;

	crypto_sha256_final(&c->inner, ih);
	crypto_sha256_init(&outer);
	crypto_sha256_update(&outer, c->okey, sizeof c->okey);
	crypto_sha256_update(&outer, ih, sizeof ih);
	crypto_sha256_final(&outer, out);
	crypto_wipe(ih, sizeof ih);
	crypto_wipe(c, sizeof *c);
}

/* crypto_hmac_sha256: one-shot HMAC-SHA256 of msg under key. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
			uint8_t out[CRYPTO_SHA256_SIZE])
{
	struct crypto_hmac_sha256 c;

	hmac_init(&c, key, keylen);
	crypto_sha256_update(&c.inner, msg, msglen);
	hmac_final(&c, out);
}

/* crypto_hmac_sha256_init: start a streaming HMAC-SHA256 under key. */
void crypto_hmac_sha256_init(struct crypto_hmac_sha256 *h, const void *key, size_t keylen)
{
	hmac_init(h, key, keylen);
}

/* crypto_hmac_sha256_update: absorb len bytes of the message. */
void crypto_hmac_sha256_update(struct crypto_hmac_sha256 *h, const void *msg, size_t len)
{
	crypto_sha256_update(&h->inner, msg, len);
}

/* crypto_hmac_sha256_final: write the MAC and wipe the context. */
void crypto_hmac_sha256_final(struct crypto_hmac_sha256 *h, uint8_t out[CRYPTO_SHA256_SIZE])
{
	hmac_final(h, out);
}

/* crypto_hkdf_sha256: RFC 5869 extract (2.2) then expand (2.3) into okm. */
int crypto_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
		       const void *info, size_t infolen, uint8_t *okm, size_t okmlen)
{
	static const uint8_t zero_salt[CRYPTO_SHA256_SIZE];
	uint8_t prk[CRYPTO_SHA256_SIZE], t[CRYPTO_SHA256_SIZE];
	struct crypto_hmac_sha256 c;
	size_t tlen = 0;

	if (okmlen > (size_t)255 * CRYPTO_SHA256_SIZE)
		return CAIRN_EINVAL;
	if (!salt) {
		salt = zero_salt;
		saltlen = sizeof zero_salt;
	}
	crypto_hmac_sha256(salt, saltlen, ikm, ikmlen, prk);
	for (uint8_t i = 1; okmlen; i++) {
		size_t n = okmlen < sizeof t ? okmlen : sizeof t;
		hmac_init(&c, prk, sizeof prk);
		crypto_sha256_update(&c.inner, t, tlen);
		crypto_sha256_update(&c.inner, info, infolen);
		crypto_sha256_update(&c.inner, &i, 1);
		hmac_final(&c, t);
		tlen = sizeof t;
		memcpy(okm, t, n);
		okm += n;
		okmlen -= n;
	}
	crypto_wipe(prk, sizeof prk);
	crypto_wipe(t, sizeof t);
	return 0;
}
