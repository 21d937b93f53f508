/* SHA-256 and SHA-512: FIPS 180-4 / NIST vectors (including one million 'a'),
 * incremental against one-shot at random split points, and differential against
 * libsodium on random inputs. */
#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "crypto_test_util.h"

/* expect_hex: assert the first n bytes of d equal the hex string. */
static void expect_hex(const uint8_t *d, const char *hex)
{
	uint8_t want[64];
	int n = tu_unhex(want, sizeof want, hex);

	ck_assert_mem_eq(d, want, (size_t)n);
}

/* test_crypto_sha256_vectors: the shared KAT table, streamed and one-shot. */
START_TEST(test_crypto_sha256_vectors)
{
	uint8_t d[32];

	for (int i = 0; i < CRYPTO_KAT_NSHA256; i++) {
		const struct crypto_kat_hash *v = &crypto_kat_sha256[i];
		struct crypto_sha256 s;
		size_t mlen = strlen(v->msg), total = mlen * v->repeat;
		char *all = malloc(total + 1);
		ck_assert_ptr_nonnull(all);
		crypto_sha256_init(&s);
		for (uint32_t r = 0; r < v->repeat; r++) {
			crypto_sha256_update(&s, v->msg, mlen);
			memcpy(all + r * mlen, v->msg, mlen);
		}
		crypto_sha256_final(&s, d);
		expect_hex(d, v->digest_hex);
		crypto_sha256(all, total, d);
		expect_hex(d, v->digest_hex);
		free(all);
	}
}
END_TEST

/* test_crypto_sha512_vectors: the shared KAT table, streamed. */
START_TEST(test_crypto_sha512_vectors)
{
	uint8_t d[64];

	for (int i = 0; i < CRYPTO_KAT_NSHA512; i++) {
		const struct crypto_kat_hash *v = &crypto_kat_sha512[i];
		struct crypto_sha512 s;
		crypto_sha512_init(&s);
		for (uint32_t r = 0; r < v->repeat; r++)
			crypto_sha512_update(&s, v->msg, strlen(v->msg));
		crypto_sha512_final(&s, d);
		expect_hex(d, v->digest_hex);
	}
}
END_TEST

/* test_crypto_sha_final_wipes: final leaves no state behind. */
START_TEST(test_crypto_sha_final_wipes)
{
	struct crypto_sha256 s;
	uint8_t d[32], zero[sizeof s];

	memset(zero, 0, sizeof zero);
	crypto_sha256_init(&s);
	crypto_sha256_update(&s, "secret", 6);
	crypto_sha256_final(&s, d);
	ck_assert_mem_eq(&s, zero, sizeof s);
}
END_TEST

/* test_crypto_sha_incremental_matches_oneshot: split messages at random points
 * (including empty pieces and block boundaries) for both hashes. */
START_TEST(test_crypto_sha_incremental_matches_oneshot)
{
	uint8_t msg[1000], a[64], b[64];

	tu_seed("sha_incremental", 3);
	for (int iter = 0; iter < 300; iter++) {
		size_t len = tu_below(sizeof msg + 1), pos = 0;
		struct crypto_sha256 s;
		struct crypto_sha512 t;
		tu_fill(msg, len);
		crypto_sha256_init(&s);
		crypto_sha512_init(&t);
		while (pos < len) {
			size_t n = tu_below(len - pos + 1);
			if (iter % 3 == 0)
				n = n % 130; /* many small pieces straddling blocks */
			crypto_sha256_update(&s, msg + pos, n);
			crypto_sha512_update(&t, msg + pos, n);
			pos += n;
		}
		crypto_sha256_final(&s, a);
		crypto_sha256(msg, len, b);
		ck_assert_mem_eq(a, b, 32);
		crypto_sha512_final(&t, a);
		crypto_sha512(msg, len, b);
		ck_assert_mem_eq(a, b, 64);
	}
}
END_TEST

/* test_crypto_sha_matches_libsodium: every length 0..600 and random long ones. */
START_TEST(test_crypto_sha_matches_libsodium)
{
	enum {
		N = 20000
	};
	uint8_t *msg = malloc(N), a[64], b[64];

	ck_assert_ptr_nonnull(msg);
	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("sha_vs_libsodium", 4);
	tu_fill(msg, N);
	for (size_t len = 0; len < 800; len++) {
		size_t l = len < 600 ? len : tu_below(N);
		crypto_sha256(msg, l, a);
		crypto_hash_sha256(b, msg, l);
		ck_assert_mem_eq(a, b, 32);
		crypto_sha512(msg, l, a);
		crypto_hash_sha512(b, msg, l);
		ck_assert_mem_eq(a, b, 64);
	}
	free(msg);
}
END_TEST

/* sha_suite: the hash cases. */
static Suite *sha_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("sha");

	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, test_crypto_sha256_vectors);
	tcase_add_test(tc, test_crypto_sha512_vectors);
	tcase_add_test(tc, test_crypto_sha_final_wipes);
	tcase_add_test(tc, test_crypto_sha_incremental_matches_oneshot);
	tcase_add_test(tc, test_crypto_sha_matches_libsodium);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(sha_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
