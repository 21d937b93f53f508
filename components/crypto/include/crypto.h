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
	uint64_t total;                     /* bytes hashed so far */
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
	uint64_t total;                     /* bytes hashed so far (< 2^61 supported) */
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
void crypto_ed25519_public(const uint8_t seed[CRYPTO_ED25519_SEED], uint8_t pub[CRYPTO_ED25519_PUBLIC]);
/* crypto_ed25519_sign: sign msg with seed. pub is accepted for API stability but
 * not trusted: the public key is re-derived from seed (a mismatched pub would
 * otherwise let two signatures of one message reveal the secret scalar). */
void crypto_ed25519_sign(uint8_t sig[CRYPTO_ED25519_SIG], const void *msg, size_t len,
			 const uint8_t seed[CRYPTO_ED25519_SEED], const uint8_t pub[CRYPTO_ED25519_PUBLIC]);
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

/* ---- Utilities ------------------------------------------------------------------ */

/* crypto_ct_equal: true when a and b are equal, in time independent of content. */
bool crypto_ct_equal(const void *a, const void *b, size_t len);
/* crypto_wipe: zero len bytes at p in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t len);

/* ---- Self test ---------------------------------------------------------------- */

/* crypto_selftest_kat: run the built-in known-answer tests (CRC32-C, SHA-256,
 * SHA-512, HMAC-SHA256, HKDF-SHA256, Ed25519 RFC 8032 7.1). Returns 0 when all
 * pass, CAIRN_EIO when any fails. No heap; about 4.5 KiB of stack at its deepest
 * (Ed25519 verification of the 1023-byte vector). When the Zbc CRC is active,
 * the CRC checks run through it as well as through the portable folding code. */
int crypto_selftest_kat(void);

#endif
