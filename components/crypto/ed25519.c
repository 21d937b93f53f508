/* Ed25519 (RFC 8032 section 5.1): key derivation, signing, strict verification,
 * and the scalar arithmetic mod L they need. The group code is in
 * ed25519_point.c; this file holds what touches hashes and scalars. */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_internal.h"

typedef unsigned __int128 u128;

/* L, the prime order of the base point, as 64-bit limbs (least significant
 * first), and MU = floor(2^512 / L) for Barrett reduction. */
static const uint64_t SC_L[5] = { 0x5812631a5cf5d3edull, 0x14def9dea2f79cd6ull, 0,
				  0x1000000000000000ull, 0 };
static const uint64_t SC_MU[5] = { 0xed9ce5a30a2c131bull, 0x2106215d086329a7ull,
				   0xffffffffffffffebull, 0xffffffffffffffffull, 0xfull };

/* limbs_load: n little-endian 64-bit limbs from 8n bytes. */
static void limbs_load(uint64_t *w, const uint8_t *s, int n)
{
	for (int i = 0; i < n; i++) {
		w[i] = 0;
		for (int j = 7; j >= 0; j--)
			w[i] = (w[i] << 8) | s[8 * i + j];
	}
}

/* limbs_mul: out[0..na+nb) = a * b (schoolbook, no data-dependent branch). */
static void limbs_mul(uint64_t *out, const uint64_t *a, int na, const uint64_t *b, int nb)
{
	for (int i = 0; i < na + nb; i++)
		out[i] = 0;
	for (int i = 0; i < na; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < nb; j++) {
			u128 t = (u128)a[i] * b[j] + out[i + j] + carry;
			out[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> 64);
		}
		out[i + nb] = carry;
	}
}

/* sc_csub_l: r = r - L when r >= L (5 limbs), by mask rather than branch. */
static void sc_csub_l(uint64_t r[5])
{
	uint64_t t[5], borrow = 0, keep;

	for (int i = 0; i < 5; i++) {
		u128 d = (u128)r[i] - SC_L[i] - borrow;
		t[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 127);
	}
	keep = 0 - borrow; /* all ones: r < L, keep r */
	for (int i = 0; i < 5; i++)
		r[i] = (r[i] & keep) | (t[i] & ~keep);
}

/* sc_barrett: out = x mod L for x < 2^512 (HAC algorithm 14.42, b = 2^64,
 * k = 4): q3 = ((x >> 192) * MU) >> 320, r = (x - q3 L) mod 2^320 < 3L. */
static void sc_barrett(uint8_t out[32], const uint64_t x[8])
{
	uint64_t q2[10], r2[9], r[5], borrow = 0;

	limbs_mul(q2, x + 3, 5, SC_MU, 5);
	limbs_mul(r2, q2 + 5, 5, SC_L, 4);
	for (int i = 0; i < 5; i++) {
		u128 d = (u128)x[i] - r2[i] - borrow;
		r[i] = (uint64_t)d;
		borrow = (uint64_t)(d >> 127);
	}
	sc_csub_l(r);
	sc_csub_l(r);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(r[i / 8] >> (8 * (i % 8)));
	crypto_wipe(q2, sizeof q2);
	crypto_wipe(r2, sizeof r2);
	crypto_wipe(r, sizeof r);
}

/* crypto_sc_reduce64: out = in mod L. */
void crypto_sc_reduce64(uint8_t out[32], const uint8_t in[64])
{
	uint64_t x[8];

	limbs_load(x, in, 8);
	sc_barrett(out, x);
	crypto_wipe(x, sizeof x);
}

/* crypto_sc_muladd: out = (a b + c) mod L; a b + c < 2^512 for 256-bit inputs. */
void crypto_sc_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32],
		      const uint8_t c[32])
{
	uint64_t wa[4], wb[4], wc[4], x[8], carry = 0;

	limbs_load(wa, a, 4);
	limbs_load(wb, b, 4);
	limbs_load(wc, c, 4);
	limbs_mul(x, wa, 4, wb, 4);
	for (int i = 0; i < 8; i++) {
		u128 t = (u128)x[i] + (i < 4 ? wc[i] : 0) + carry;
		x[i] = (uint64_t)t;
		carry = (uint64_t)(t >> 64);
	}
	sc_barrett(out, x);
	crypto_wipe(wa, sizeof wa);
	crypto_wipe(x, sizeof x);
}

/* crypto_sc_is_canonical: s < L, compared from the top byte (public data). */
int crypto_sc_is_canonical(const uint8_t s[32])
{
	uint64_t w[4];

	limbs_load(w, s, 4);
	for (int i = 3; i >= 0; i--) {
		if (w[i] != SC_L[i])
			return w[i] < SC_L[i];
	}
	return 0; /* s == L */
}

/* expand_seed: h = SHA-512(seed); h[0..32) clamped into the secret scalar. */
static void expand_seed(uint8_t h[64], const uint8_t seed[CRYPTO_ED25519_SEED])
{
	crypto_sha512(seed, CRYPTO_ED25519_SEED, h);
	h[0] &= 248;
	h[31] &= 127;
	h[31] |= 64;
}

/* hash_reduce: out = SHA-512(a || b || msg) mod L. */
static void hash_reduce(uint8_t out[32], const uint8_t *a, size_t alen, const uint8_t *b,
			size_t blen, const void *msg, size_t len)
{
	struct crypto_sha512 s;
	uint8_t h[64];

	crypto_sha512_init(&s);
	crypto_sha512_update(&s, a, alen);
	crypto_sha512_update(&s, b, blen);
	crypto_sha512_update(&s, msg, len);
	crypto_sha512_final(&s, h);
	crypto_sc_reduce64(out, h);
	crypto_wipe(h, sizeof h);
}

/* crypto_ed25519_public: A = encode([s]B), s the clamped seed hash (5.1.5). */
void crypto_ed25519_public(const uint8_t seed[CRYPTO_ED25519_SEED],
			   uint8_t pub[CRYPTO_ED25519_PUBLIC])
{
	uint8_t h[64];

	expand_seed(h, seed);
	crypto_ed25519_base_encode(pub, h);
	crypto_wipe(h, sizeof h);
}

/* sign_finish: R = [r]B with r = H(prefix || M) mod L, S = r + H(R || A || M) a
 * mod L, given the clamped scalar a, the prefix and the public key A. When
 * need_a is set, A is computed here from a together with R (one shared
 * inversion) instead of being read. */
static void sign_finish(uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			const uint8_t a[32], const uint8_t prefix[32], uint8_t pub[32], int need_a)
{
	uint8_t r[32], k[32];

	hash_reduce(r, prefix, 32, NULL, 0, msg, len);
	if (need_a)
		crypto_ed25519_base_encode2(pub, a, sig, r);
	else
		crypto_ed25519_base_encode(sig, r);
	hash_reduce(k, sig, 32, pub, CRYPTO_ED25519_PUBLIC, msg, len);
	crypto_sc_muladd(sig + 32, k, a, r);
	crypto_wipe(r, sizeof r);
}

/* crypto_ed25519_sign: RFC 8032 5.1.6. A is re-derived from the seed rather than
 * taken from pub: r depends only on the seed and M, so two signatures of one
 * message under two different A values would reveal s = (S1 - S2) / (k1 - k2). A
 * pub that does not match the seed therefore cannot leak the key; it is simply
 * not used. A and R share one inversion. */
void crypto_ed25519_sign(uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			 const uint8_t seed[CRYPTO_ED25519_SEED],
			 const uint8_t pub[CRYPTO_ED25519_PUBLIC])
{
	uint8_t h[64], a[32];

	(void)pub;
	expand_seed(h, seed);
	sign_finish(sig, msg, len, h, h + 32, a, 1);
	crypto_wipe(h, sizeof h);
}

/* crypto_ed25519_key_from_seed: the expanded key (5.1.5 steps 1-4) computed once. */
void crypto_ed25519_key_from_seed(struct crypto_ed25519_key *k,
				  const uint8_t seed[CRYPTO_ED25519_SEED])
{
	uint8_t h[64];

	expand_seed(h, seed);
	memcpy(k->scalar, h, 32);
	memcpy(k->prefix, h + 32, 32);
	crypto_ed25519_base_encode(k->pub, h);
	crypto_wipe(h, sizeof h);
}

/* crypto_ed25519_sign_key: RFC 8032 5.1.6 with the key expanded once: no seed
 * hash and no [a]B per signature, the same work as a signer that keeps its
 * public key next to the seed (libsodium's 64-byte secret key). */
void crypto_ed25519_sign_key(uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			     const struct crypto_ed25519_key *k)
{
	uint8_t pub[CRYPTO_ED25519_PUBLIC];

	memcpy(pub, k->pub, sizeof pub);
	sign_finish(sig, msg, len, k->scalar, k->prefix, pub, 0);
}

/* crypto_ed25519_verify: strict RFC 8032 5.1.7 verification (cofactorless
 * equation; S < L; canonical, non-small-order A and R). */
int crypto_ed25519_verify(const uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			  const uint8_t pub[CRYPTO_ED25519_PUBLIC])
{
	uint8_t k[32];

	if (!crypto_sc_is_canonical(sig + 32))
		return CAIRN_EBADMSG;
	hash_reduce(k, sig, 32, pub, CRYPTO_ED25519_PUBLIC, msg, len);
	return crypto_ed25519_check(sig, sig + 32, k, pub);
}
