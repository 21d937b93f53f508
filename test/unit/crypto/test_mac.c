/* HMAC-SHA256 (RFC 4231 cases 1-7, libsodium differential), HKDF-SHA256 (RFC 5869
 * cases 1-3, limits, NULL salt), and the constant-time helpers. */
#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_test_util.h"

/* test_crypto_hmac_rfc4231: all seven cases; case 5 compares 128 bits. */
START_TEST(test_crypto_hmac_rfc4231)
{
	uint8_t key[200], msg[200], want[32], out[32];

	for (int i = 0; i < CRYPTO_KAT_NHMAC; i++) {
		int kn = tu_unhex(key, sizeof key, crypto_kat_hmac[i].key_hex);
		int mn = tu_unhex(msg, sizeof msg, crypto_kat_hmac[i].msg_hex);
		int wn = tu_unhex(want, sizeof want, crypto_kat_hmac[i].mac_hex);
		ck_assert_int_eq(wn, i == 4 ? 16 : 32);
		crypto_hmac_sha256(key, (size_t)kn, msg, (size_t)mn, out);
		ck_assert_mem_eq(out, want, (size_t)wn);
	}
}
END_TEST

/* test_crypto_hmac_matches_libsodium: random keys (0..200 bytes, across the
 * 64-byte block size) and messages against crypto_auth_hmacsha256_*. */
START_TEST(test_crypto_hmac_matches_libsodium)
{
	uint8_t key[200], msg[500], a[32], b[32];

	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("hmac_vs_libsodium", 5);
	for (int iter = 0; iter < 2000; iter++) {
		size_t kn = tu_below(sizeof key + 1), mn = tu_below(sizeof msg + 1);
		crypto_auth_hmacsha256_state st;
		tu_fill(key, kn);
		tu_fill(msg, mn);
		crypto_hmac_sha256(key, kn, msg, mn, a);
		crypto_auth_hmacsha256_init(&st, key, kn);
		crypto_auth_hmacsha256_update(&st, msg, mn);
		crypto_auth_hmacsha256_final(&st, b);
		ck_assert_mem_eq(a, b, 32);
	}
}
END_TEST

/* test_crypto_hkdf_rfc5869: cases 1-3 (case 3 with empty salt and info). */
START_TEST(test_crypto_hkdf_rfc5869)
{
	uint8_t ikm[100], salt[100], info[100], prk[32], want[100], okm[100];

	for (int i = 0; i < CRYPTO_KAT_NHKDF; i++) {
		const struct crypto_kat_hkdf *v = &crypto_kat_hkdf[i];
		int in = tu_unhex(ikm, sizeof ikm, v->ikm_hex);
		int sn = tu_unhex(salt, sizeof salt, v->salt_hex);
		int fn = tu_unhex(info, sizeof info, v->info_hex);
		int on = tu_unhex(want, sizeof want, v->okm_hex);
		ck_assert_int_eq(crypto_hkdf_sha256(salt, (size_t)sn, ikm, (size_t)in, info,
						    (size_t)fn, okm, (size_t)on),
				 0);
		ck_assert_mem_eq(okm, want, (size_t)on);
		/* PRK = HMAC(salt, IKM): the extract step on its own. */
		tu_unhex(want, sizeof want, v->prk_hex);
		crypto_hmac_sha256(salt, (size_t)sn, ikm, (size_t)in, prk);
		ck_assert_mem_eq(prk, want, 32);
	}
}
END_TEST

/* test_crypto_hkdf_limits: 255*32 bytes allowed, one more refused, prefixes
 * consistent, NULL salt equal to 32 zero bytes. */
START_TEST(test_crypto_hkdf_limits)
{
	static uint8_t big[255 * 32 + 1], small[100];
	uint8_t zeros[32] = { 0 }, a[50], b[50];

	ck_assert_int_eq(crypto_hkdf_sha256(NULL, 0, "k", 1, "i", 1, big, sizeof big),
			 CAIRN_EINVAL);
	ck_assert_int_eq(crypto_hkdf_sha256(NULL, 0, "k", 1, "i", 1, big, sizeof big - 1), 0);
	ck_assert_int_eq(crypto_hkdf_sha256(NULL, 0, "k", 1, "i", 1, small, sizeof small), 0);
	ck_assert_mem_eq(small, big, sizeof small);
	ck_assert_int_eq(crypto_hkdf_sha256(zeros, 32, "k", 1, NULL, 0, a, sizeof a), 0);
	ck_assert_int_eq(crypto_hkdf_sha256(NULL, 0, "k", 1, NULL, 0, b, sizeof b), 0);
	ck_assert_mem_eq(a, b, sizeof a);
	ck_assert_int_eq(crypto_hkdf_sha256(NULL, 0, "k", 1, NULL, 0, NULL, 0), 0);
}
END_TEST

/* test_crypto_ct_equal_and_wipe: equality on every single-byte difference, and
 * wipe zeroes. */
START_TEST(test_crypto_ct_equal_and_wipe)
{
	uint8_t a[40], b[40], z[40] = { 0 };

	tu_seed("ct_equal", 6);
	tu_fill(a, sizeof a);
	memcpy(b, a, sizeof b);
	ck_assert(crypto_ct_equal(a, b, sizeof a));
	ck_assert(crypto_ct_equal(a, b, 0));
	for (size_t i = 0; i < sizeof a; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			ck_assert(!crypto_ct_equal(a, b, sizeof a));
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	crypto_wipe(a, sizeof a);
	ck_assert_mem_eq(a, z, sizeof a);
}
END_TEST

/* mac_suite: HMAC, HKDF and helper cases. */
static Suite *mac_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("mac");

	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, test_crypto_hmac_rfc4231);
	tcase_add_test(tc, test_crypto_hmac_matches_libsodium);
	tcase_add_test(tc, test_crypto_hkdf_rfc5869);
	tcase_add_test(tc, test_crypto_hkdf_limits);
	tcase_add_test(tc, test_crypto_ct_equal_and_wipe);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(mac_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
