/* Known-answer test vectors for the crypto component, shared by
 * crypto_selftest_kat() and the host tests (test/unit/crypto). Private header. */
#ifndef CRYPTO_KAT_H
#define CRYPTO_KAT_H

#include <stdint.h>

#define CRYPTO_KAT_NCRC 5
#define CRYPTO_KAT_NSHA256 5
#define CRYPTO_KAT_NSHA512 3
#define CRYPTO_KAT_NHMAC 7
#define CRYPTO_KAT_NHKDF 3
#define CRYPTO_KAT_NED25519 5
#define CRYPTO_KAT_PATTERN_LEN 1000 /* byte[i] = (7 i + 3) mod 256 */

struct crypto_kat_crc {
	const char *msg_hex;
	uint32_t crc;
};

/* A hash vector: the digest of msg (ASCII) repeated `repeat` times. */
struct crypto_kat_hash {
	const char *msg;
	uint32_t repeat;
	const char *digest_hex;
};

/* mac_hex may be shorter than 32 bytes (truncated MAC): compare its length. */
struct crypto_kat_hmac {
	const char *key_hex, *msg_hex, *mac_hex;
};

struct crypto_kat_hkdf {
	const char *ikm_hex, *salt_hex, *info_hex, *prk_hex, *okm_hex;
};

struct crypto_kat_ed25519 {
	const char *seed_hex, *pub_hex, *msg_hex, *sig_hex;
};

extern const struct crypto_kat_crc crypto_kat_crc[CRYPTO_KAT_NCRC];
extern const uint32_t crypto_kat_crc_pattern;
extern const struct crypto_kat_hash crypto_kat_sha256[CRYPTO_KAT_NSHA256];
extern const struct crypto_kat_hash crypto_kat_sha512[CRYPTO_KAT_NSHA512];
extern const struct crypto_kat_hmac crypto_kat_hmac[CRYPTO_KAT_NHMAC];
extern const struct crypto_kat_hkdf crypto_kat_hkdf[CRYPTO_KAT_NHKDF];
extern const struct crypto_kat_ed25519 crypto_kat_ed25519[CRYPTO_KAT_NED25519];

/* crypto_kat_unhex: decode hex into out (at most cap bytes); returns the byte
 * count, or -1 for a bad digit, odd length or overflow. */
int crypto_kat_unhex(uint8_t *out, int cap, const char *hex);

#endif
