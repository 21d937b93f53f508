/* crypto: checksums, hashes, MACs, KDFs and signatures for Cairn. Plain C, builds
 * for the image and for the host. Functions that can fail return 0 or a negative
 * CAIRN_E* code (cairn/err.h). */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- CRC32-C ----------------------------------------------------------------- */

/* crypto_crc32c: CRC32-C (Castagnoli, reflected polynomial 0x82F63B78) of buf,
 * continuing from crc (pass 0 to start). crypto_crc32c(0, "123456789", 9) is
 * 0xE3069283. Pre/post inversion is done inside, so calls chain:
 * crc32c(crc32c(0, a), b) == crc32c(0, a||b). */
uint32_t crypto_crc32c(uint32_t crc, const void *buf, size_t len);
/* crypto_crc32c_use_zbc: select the Zbc (clmul) implementation when on is true.
 * The crypto component calls it at init, only when every hart's ISA string lists
 * "zbc" and Zbc measured faster than the table. Both give identical results, so
 * switching while other harts run CRCs is harmless. On a build without the Zbc
 * code (the host) it has no effect. */
void crypto_crc32c_use_zbc(bool on);
/* crypto_crc32c_zbc_active: true when crypto_crc32c is using the Zbc code. */
bool crypto_crc32c_zbc_active(void);

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------ */

#define CRYPTO_SHA256_SIZE 32
#define CRYPTO_SHA256_BLOCK 64

struct crypto_sha256 {
	uint32_t h[8];
	uint64_t total; /* bytes hashed so far */
	uint8_t buf[CRYPTO_SHA256_BLOCK];
	size_t buflen;
};

void crypto_sha256_init(struct crypto_sha256 *s);
void crypto_sha256_update(struct crypto_sha256 *s, const void *data, size_t len);
/* crypto_sha256_final: write the digest and wipe the context. */
void crypto_sha256_final(struct crypto_sha256 *s, uint8_t out[CRYPTO_SHA256_SIZE]);
void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_SHA256_SIZE]);

/* ---- SHA-512 (FIPS 180-4; needed by Ed25519, exported for reuse) ------------ */

#define CRYPTO_SHA512_SIZE 64
#define CRYPTO_SHA512_BLOCK 128

struct crypto_sha512 {
	uint64_t h[8];
	uint64_t total; /* bytes hashed so far (< 2^61 supported) */
	uint8_t buf[CRYPTO_SHA512_BLOCK];
	size_t buflen;
};

void crypto_sha512_init(struct crypto_sha512 *s);
void crypto_sha512_update(struct crypto_sha512 *s, const void *data, size_t len);
/* crypto_sha512_final: write the digest and wipe the context. */
void crypto_sha512_final(struct crypto_sha512 *s, uint8_t out[CRYPTO_SHA512_SIZE]);
void crypto_sha512(const void *data, size_t len, uint8_t out[CRYPTO_SHA512_SIZE]);

/* ---- HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) ------------------------- */

void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
			uint8_t out[CRYPTO_SHA256_SIZE]);
/* crypto_hkdf_sha256: extract-then-expand into okm; CAIRN_EINVAL when
 * okmlen > 255 * 32. salt may be NULL (treated as 32 zero bytes). */
int crypto_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm, size_t ikmlen,
		       const void *info, size_t infolen, uint8_t *okm, size_t okmlen);

/* ---- Ed25519 (RFC 8032) --------------------------------------------------------- */

#define CRYPTO_ED25519_SEED 32
#define CRYPTO_ED25519_PUBLIC 32
#define CRYPTO_ED25519_SIG 64

/* crypto_ed25519_public: derive the public key from a 32-byte secret seed. */
void crypto_ed25519_public(const uint8_t seed[CRYPTO_ED25519_SEED],
			   uint8_t pub[CRYPTO_ED25519_PUBLIC]);
/* crypto_ed25519_sign: sign msg with seed. pub is accepted for API stability but
 * not trusted: the public key is re-derived from seed (a mismatched pub would
 * otherwise let two signatures of one message reveal the secret scalar). */
void crypto_ed25519_sign(uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			 const uint8_t seed[CRYPTO_ED25519_SEED],
			 const uint8_t pub[CRYPTO_ED25519_PUBLIC]);
/* An Ed25519 signing key expanded once from its seed: the clamped secret scalar,
 * the nonce prefix (RFC 8032 5.1.5) and the public key derived from them. Made
 * only by crypto_ed25519_key_from_seed; secret: wipe it (crypto_wipe) when done.
 * Signing with it skips the per-signature seed hash and [a]B, which is about half
 * of crypto_ed25519_sign's time; pub is trusted as the one derived here, so the
 * struct must not be assembled or altered by hand. */
struct crypto_ed25519_key {
	uint8_t scalar[32];
	uint8_t prefix[32];
	uint8_t pub[CRYPTO_ED25519_PUBLIC];
};

/* crypto_ed25519_key_from_seed: expand seed into k (constant time). */
void crypto_ed25519_key_from_seed(struct crypto_ed25519_key *k,
				  const uint8_t seed[CRYPTO_ED25519_SEED]);
/* crypto_ed25519_sign_key: the same signature as crypto_ed25519_sign with k's
 * seed, from the expanded key. */
void crypto_ed25519_sign_key(uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			     const struct crypto_ed25519_key *k);
/* crypto_ed25519_verify: 0 when sig is a valid signature of msg under pub;
 * CAIRN_EBADMSG otherwise (including non-canonical S or R/A encodings and
 * small-order A or R, which are rejected). */
int crypto_ed25519_verify(const uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			  const uint8_t pub[CRYPTO_ED25519_PUBLIC]);

/* ---- Streaming HMAC-SHA256 ------------------------------------------------------ */

/* An HMAC in progress: the inner hash and the outer key block K0 ^ opad. */
struct crypto_hmac_sha256 {
	struct crypto_sha256 inner;
	uint8_t okey[CRYPTO_SHA256_BLOCK];
};

void crypto_hmac_sha256_init(struct crypto_hmac_sha256 *h, const void *key, size_t keylen);
void crypto_hmac_sha256_update(struct crypto_hmac_sha256 *h, const void *msg, size_t len);
/* crypto_hmac_sha256_final: write the MAC and wipe the context. */
void crypto_hmac_sha256_final(struct crypto_hmac_sha256 *h, uint8_t out[CRYPTO_SHA256_SIZE]);

/* ---- ChaCha20, Poly1305 and the ChaCha20-Poly1305 AEAD (RFC 8439) ------------ */

#define CRYPTO_CHACHA20_KEY 32
#define CRYPTO_CHACHA20_NONCE 12
#define CRYPTO_POLY1305_KEY 32
#define CRYPTO_POLY1305_TAG 16
#define CRYPTO_AEAD_KEY 32
#define CRYPTO_AEAD_NONCE 12
#define CRYPTO_AEAD_TAG 16

/* crypto_chacha20_block: the 64-byte keystream block for (key, counter, nonce). */
void crypto_chacha20_block(const uint8_t key[CRYPTO_CHACHA20_KEY], uint32_t counter,
			   const uint8_t nonce[CRYPTO_CHACHA20_NONCE], uint8_t out[64]);
/* crypto_chacha20_xor: out = in XOR the keystream from block counter on (in and
 * out may be the same buffer). 0, or CAIRN_EOVERFLOW (nothing written) when the
 * 32-bit block counter would wrap. */
int crypto_chacha20_xor(const uint8_t key[CRYPTO_CHACHA20_KEY], uint32_t counter,
			const uint8_t nonce[CRYPTO_CHACHA20_NONCE], const void *in, void *out,
			size_t len);

/* A Poly1305 computation in progress (one-time key: never reuse it). */
struct crypto_poly1305 {
	uint32_t r[5], h[5]; /* clamped r and accumulator, 26-bit limbs */
	uint32_t s[4];
	uint8_t buf[16];
	size_t buflen;
};

void crypto_poly1305_init(struct crypto_poly1305 *p, const uint8_t key[CRYPTO_POLY1305_KEY]);
void crypto_poly1305_update(struct crypto_poly1305 *p, const void *data, size_t len);
/* crypto_poly1305_final: write the tag and wipe the context. */
void crypto_poly1305_final(struct crypto_poly1305 *p, uint8_t tag[CRYPTO_POLY1305_TAG]);
void crypto_poly1305(const uint8_t key[CRYPTO_POLY1305_KEY], const void *msg, size_t len,
		     uint8_t tag[CRYPTO_POLY1305_TAG]);

/* crypto_aead_seal: ChaCha20-Poly1305 encryption of pt (len bytes) into ct (may
 * alias pt) with associated data ad, and its tag. A (key, nonce) pair must never
 * be used twice. 0, or CAIRN_EOVERFLOW when len exceeds the RFC's 2^32-1 blocks. */
int crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY], const uint8_t nonce[CRYPTO_AEAD_NONCE],
		     const void *ad, size_t adlen, const void *pt, size_t len, void *ct,
		     uint8_t tag[CRYPTO_AEAD_TAG]);
/* crypto_aead_open: verify tag over (ad, ct), then decrypt into pt (may alias ct).
 * 0; CAIRN_EBADMSG when the tag does not match (pt is not written);
 * CAIRN_EOVERFLOW for an impossible length. */
int crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY], const uint8_t nonce[CRYPTO_AEAD_NONCE],
		     const void *ad, size_t adlen, const void *ct, size_t len,
		     const uint8_t tag[CRYPTO_AEAD_TAG], void *pt);

/* ---- HMAC_DRBG over SHA-256 (NIST SP 800-90A Rev. 1, 10.1.2) ------------------ */

#define CRYPTO_DRBG_MIN_ENTROPY 32    /* bytes: the 256-bit security strength */
#define CRYPTO_DRBG_MIN_NONCE 16      /* bytes: half the strength (8.6.7) */
#define CRYPTO_DRBG_MAX_INPUT 4096    /* bytes per entropy/nonce/personal/additional input */
#define CRYPTO_DRBG_MAX_REQUEST 65536 /* bytes per generate (2^19 bits, table 2) */
#define CRYPTO_DRBG_RESEED_INTERVAL (1ull << 32) /* generates between reseeds (<= 2^48) */

/* DRBG working state. Not locked: the owner serialises its calls. */
struct crypto_drbg {
	uint8_t k[32], v[32];
	uint64_t reseed_counter;
	uint64_t reseed_interval; /* set by instantiate; tests may lower it */
	bool ready;
};

/* crypto_drbg_instantiate: seed from entropy (>= 32 bytes), nonce (>= 16 bytes)
 * and an optional personalization string. 0 or CAIRN_EINVAL (state left unusable). */
int crypto_drbg_instantiate(struct crypto_drbg *d, const void *entropy, size_t elen,
			    const void *nonce, size_t nlen, const void *pers, size_t plen);
/* crypto_drbg_reseed: mix in fresh entropy (>= 32 bytes) and optional additional
 * input; resets the reseed counter. 0 or CAIRN_EINVAL. */
int crypto_drbg_reseed(struct crypto_drbg *d, const void *entropy, size_t elen, const void *addl,
		       size_t alen);
/* crypto_drbg_generate: len (<= CRYPTO_DRBG_MAX_REQUEST) pseudo-random bytes.
 * 0; CAIRN_EAGAIN when a reseed is due (nothing written); CAIRN_EINVAL for a bad
 * argument or an uninstantiated state. */
int crypto_drbg_generate(struct crypto_drbg *d, void *out, size_t len, const void *addl,
			 size_t alen);
/* crypto_drbg_wipe: erase the state (uninstantiate). */
void crypto_drbg_wipe(struct crypto_drbg *d);

/* ---- Utilities ------------------------------------------------------------------ */

/* crypto_ct_equal: true when a and b are equal, in time independent of content. */
bool crypto_ct_equal(const void *a, const void *b, size_t len);
/* crypto_wipe: zero len bytes at p in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t len);

/* ---- Self test ---------------------------------------------------------------- */

/* crypto_selftest_kat: run the built-in known-answer tests (CRC32-C, SHA-256,
 * SHA-512, HMAC-SHA256, HKDF-SHA256, Ed25519 RFC 8032 7.1, ChaCha20-Poly1305
 * RFC 8439 2.8.2, HMAC_DRBG CAVP). Returns 0 when all
 * pass, CAIRN_EIO when any fails. No heap; about 4.5 KiB of stack at its deepest
 * (Ed25519 verification of the 1023-byte vector). When the Zbc CRC is active,
 * the CRC checks run through it as well as through the portable folding code. */
int crypto_selftest_kat(void);

#endif
