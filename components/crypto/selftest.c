/* crypto_selftest_kat: the known-answer tests the kernel runs at boot. The
 * vectors live in crypto_kat.c (shared with the host tests). No heap; the largest
 * frame is the Ed25519 check (a 1 KiB message plus the verifier's window table). */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_internal.h"
#include "crypto_kat.h"

/* hex_digit: value of one hex digit, or -1. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* crypto_kat_unhex: decode hex into out; see crypto_kat.h. */
int crypto_kat_unhex(uint8_t *out, int cap, const char *hex)
{
	int n = 0;

	for (; hex[0]; hex += 2, n++) {
		int hi = hex_digit(hex[0]), lo = hi < 0 ? -1 : hex_digit(hex[1]);
		if (lo < 0 || n >= cap)
			return -1;
		out[n] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

/* kat_crc: the CRC32-C vectors, chaining, and the long pattern through both the
 * active implementation and the folding code. */
static int kat_crc(void)
{
	uint8_t buf[CRYPTO_KAT_PATTERN_LEN];
	int err = 0;

	for (int i = 0; i < CRYPTO_KAT_NCRC; i++) {
		int n = crypto_kat_unhex(buf, (int)sizeof buf, crypto_kat_crc[i].msg_hex);
		if (n < 0 || crypto_crc32c(0, buf, (size_t)n) != crypto_kat_crc[i].crc)
			err = CAIRN_EIO;
		if (n > 3 && crypto_crc32c(crypto_crc32c(0, buf, 3), buf + 3, (size_t)n - 3) !=
				     crypto_kat_crc[i].crc)
			err = CAIRN_EIO;
	}
	for (int i = 0; i < CRYPTO_KAT_PATTERN_LEN; i++)
		buf[i] = (uint8_t)(7 * i + 3);
	if (crypto_crc32c(0, buf, sizeof buf) != crypto_kat_crc_pattern)
		err = CAIRN_EIO;
	if (~crypto_crc32c_fold_soft(~0u, buf, sizeof buf) != crypto_kat_crc_pattern)
		err = CAIRN_EIO;
	return err;
}

/* kat_digest_ok: compare a digest with the expected hex. */
static bool kat_digest_ok(const uint8_t *d, size_t len, const char *hex)
{
	uint8_t want[CRYPTO_SHA512_SIZE];
	int n = crypto_kat_unhex(want, (int)sizeof want, hex);

	return n > 0 && (size_t)n <= len && memcmp(d, want, (size_t)n) == 0;
}

/* kat_hash: SHA-256 and SHA-512 vectors, streamed (the million 'a' never sits in
 * memory). */
static int kat_hash(void)
{
	uint8_t d[CRYPTO_SHA512_SIZE];
	int err = 0;

	for (int i = 0; i < CRYPTO_KAT_NSHA256; i++) {
		const struct crypto_kat_hash *v = &crypto_kat_sha256[i];
		struct crypto_sha256 s;
		crypto_sha256_init(&s);
		for (uint32_t r = 0; r < v->repeat; r++)
			crypto_sha256_update(&s, v->msg, strlen(v->msg));
		crypto_sha256_final(&s, d);
		if (!kat_digest_ok(d, CRYPTO_SHA256_SIZE, v->digest_hex))
			err = CAIRN_EIO;
	}
	for (int i = 0; i < CRYPTO_KAT_NSHA512; i++) {
		const struct crypto_kat_hash *v = &crypto_kat_sha512[i];
		struct crypto_sha512 s;
		crypto_sha512_init(&s);
		for (uint32_t r = 0; r < v->repeat; r++)
			crypto_sha512_update(&s, v->msg, strlen(v->msg));
		crypto_sha512_final(&s, d);
		if (!kat_digest_ok(d, CRYPTO_SHA512_SIZE, v->digest_hex))
			err = CAIRN_EIO;
	}
	return err;
}

/* kat_mac: RFC 4231 HMAC and RFC 5869 HKDF vectors. */
static int kat_mac(void)
{
	uint8_t a[160], b[160], c[96], out[96];
	int err = 0;

	for (int i = 0; i < CRYPTO_KAT_NHMAC; i++) {
		int kn = crypto_kat_unhex(a, (int)sizeof a, crypto_kat_hmac[i].key_hex);
		int mn = crypto_kat_unhex(b, (int)sizeof b, crypto_kat_hmac[i].msg_hex);
		if (kn < 0 || mn < 0)
			return CAIRN_EIO;
		crypto_hmac_sha256(a, (size_t)kn, b, (size_t)mn, out);
		if (!kat_digest_ok(out, CRYPTO_SHA256_SIZE, crypto_kat_hmac[i].mac_hex))
			err = CAIRN_EIO;
	}
	for (int i = 0; i < CRYPTO_KAT_NHKDF; i++) {
		const struct crypto_kat_hkdf *v = &crypto_kat_hkdf[i];
		int in = crypto_kat_unhex(a, (int)sizeof a, v->ikm_hex);
		int sn = crypto_kat_unhex(b, (int)sizeof b, v->salt_hex);
		int fn = crypto_kat_unhex(c, (int)sizeof c, v->info_hex);
		int on = crypto_kat_unhex(out, (int)sizeof out, v->okm_hex);
		if (in < 0 || sn < 0 || fn < 0 || on < 0)
			return CAIRN_EIO;
		if (crypto_hkdf_sha256(b, (size_t)sn, a, (size_t)in, c, (size_t)fn, a,
				       (size_t)on) ||
		    memcmp(a, out, (size_t)on) != 0)
			err = CAIRN_EIO;
	}
	return err;
}

/* kat_ed25519_one: public key, signature and verification of vector i, and
 * rejection of the signature with one bit flipped. */
static int kat_ed25519_one(int i)
{
	const struct crypto_kat_ed25519 *v = &crypto_kat_ed25519[i];
	uint8_t seed[32], pub[32], sig[64], msg[1024], out[64];
	int mn = crypto_kat_unhex(msg, (int)sizeof msg, v->msg_hex);

	if (mn < 0 || crypto_kat_unhex(seed, 32, v->seed_hex) != 32 ||
	    crypto_kat_unhex(pub, 32, v->pub_hex) != 32 ||
	    crypto_kat_unhex(sig, 64, v->sig_hex) != 64)
		return CAIRN_EIO;
	crypto_ed25519_public(seed, out);
	if (memcmp(out, pub, 32) != 0)
		return CAIRN_EIO;
	crypto_ed25519_sign(out, msg, (size_t)mn, seed, pub);
	if (memcmp(out, sig, 64) != 0)
		return CAIRN_EIO;
	if (crypto_ed25519_verify(sig, msg, (size_t)mn, pub) != 0)
		return CAIRN_EIO;
	sig[i % 64] ^= 0x10;
	if (crypto_ed25519_verify(sig, msg, (size_t)mn, pub) != CAIRN_EBADMSG)
		return CAIRN_EIO;
	crypto_wipe(seed, sizeof seed);
	return 0;
}

/* crypto_selftest_kat: see crypto.h. */
int crypto_selftest_kat(void)
{
	int err = kat_crc();

	if (!err)
		err = kat_hash();
	if (!err)
		err = kat_mac();
	for (int i = 0; !err && i < CRYPTO_KAT_NED25519; i++)
		err = kat_ed25519_one(i);
	if (!err)
		err = crypto_selftest_aead_drbg();
	return err ? CAIRN_EIO : 0;
}
