/* HMAC_DRBG over SHA-256 (NIST SP 800-90A Rev. 1, section 10.1.2). Written from
 * the specification. Security strength 256 bits: instantiate needs at least 32
 * bytes of entropy and a 16-byte nonce; every request is at most
 * CRYPTO_DRBG_MAX_REQUEST bytes; after reseed_interval generates the DRBG refuses
 * to produce more until it is reseeded (CAIRN_EAGAIN), as 9.3.1 step 6 requires. */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"

/* A piece of provided_data; the spec concatenates up to three (entropy || nonce
 * || personalization), which are fed to HMAC in order instead of copied. */
struct piece {
	const void *p;
	size_t n;
};

/* hmac_pieces: out = HMAC(K, V || [sep] || pieces...); sep < 0 means none. */
static void hmac_pieces(const uint8_t k[32], const uint8_t v[32], int sep, const struct piece *pc,
			int npc, uint8_t out[32])
{
	struct crypto_hmac_sha256 h;
	uint8_t b = (uint8_t)sep;

	crypto_hmac_sha256_init(&h, k, 32);
	crypto_hmac_sha256_update(&h, v, 32);
	if (sep >= 0)
		crypto_hmac_sha256_update(&h, &b, 1);
	for (int i = 0; i < npc; i++)
		crypto_hmac_sha256_update(&h, pc[i].p, pc[i].n);
	crypto_hmac_sha256_final(&h, out);
}

/* drbg_update: HMAC_DRBG_Update (10.1.2.2) with provided_data = the pieces. */
static void drbg_update(struct crypto_drbg *d, const struct piece *pc, int npc)
{
	size_t total = 0;

	for (int i = 0; i < npc; i++)
		total += pc[i].n;
	hmac_pieces(d->k, d->v, 0x00, pc, npc, d->k);
	hmac_pieces(d->k, d->v, -1, NULL, 0, d->v);
	if (!total)
		return;
	hmac_pieces(d->k, d->v, 0x01, pc, npc, d->k);
	hmac_pieces(d->k, d->v, -1, NULL, 0, d->v);
}

/* crypto_drbg_instantiate: 10.1.2.3: K = 0x00.., V = 0x01.., Update(seed). */
int crypto_drbg_instantiate(struct crypto_drbg *d, const void *entropy, size_t elen,
			    const void *nonce, size_t nlen, const void *pers, size_t plen)
{
	memset(d, 0, sizeof *d);
	if (!entropy || elen < CRYPTO_DRBG_MIN_ENTROPY || !nonce || nlen < CRYPTO_DRBG_MIN_NONCE ||
	    (plen && !pers) || plen > CRYPTO_DRBG_MAX_INPUT || elen > CRYPTO_DRBG_MAX_INPUT)
		return CAIRN_EINVAL;
	const struct piece pc[3] = { { entropy, elen }, { nonce, nlen }, { pers, plen } };
	memset(d->v, 0x01, sizeof d->v);
	drbg_update(d, pc, 3);
	d->reseed_counter = 1;
	d->reseed_interval = CRYPTO_DRBG_RESEED_INTERVAL;
	d->ready = true;
	return 0;
}

/* crypto_drbg_reseed: 10.1.2.4: Update(entropy || additional), counter = 1. */
int crypto_drbg_reseed(struct crypto_drbg *d, const void *entropy, size_t elen, const void *addl,
		       size_t alen)
{
	if (!d->ready)
		return CAIRN_EINVAL;
	if (!entropy || elen < CRYPTO_DRBG_MIN_ENTROPY || elen > CRYPTO_DRBG_MAX_INPUT ||
	    (alen && !addl) || alen > CRYPTO_DRBG_MAX_INPUT)
		return CAIRN_EINVAL;
	const struct piece pc[2] = { { entropy, elen }, { addl, alen } };
	drbg_update(d, pc, 2);
	d->reseed_counter = 1;
	return 0;
}

/* crypto_drbg_generate: 10.1.2.5: [Update(addl)], V = HMAC(K, V) per 32 bytes,
 * Update(addl), counter++. */
int crypto_drbg_generate(struct crypto_drbg *d, void *out, size_t len, const void *addl,
			 size_t alen)
{
	uint8_t *o = out;

	if (!d->ready || len > CRYPTO_DRBG_MAX_REQUEST || (alen && !addl) ||
	    alen > CRYPTO_DRBG_MAX_INPUT || (len && !out))
		return CAIRN_EINVAL;
	if (d->reseed_counter > d->reseed_interval)
		return CAIRN_EAGAIN;
	const struct piece pc[1] = { { addl, alen } };
	if (alen)
		drbg_update(d, pc, 1);
	while (len) {
		size_t n = len < 32 ? len : 32;
		hmac_pieces(d->k, d->v, -1, NULL, 0, d->v);
		memcpy(o, d->v, n);
		o += n;
		len -= n;
	}
	drbg_update(d, pc, 1);
	d->reseed_counter++;
	return 0;
}

/* crypto_drbg_wipe: uninstantiate (10.1.2 / 9.4): erase the internal state. */
void crypto_drbg_wipe(struct crypto_drbg *d) { crypto_wipe(d, sizeof *d); }
