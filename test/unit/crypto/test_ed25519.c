/* Ed25519: RFC 8032 7.1 vectors, byte-for-byte agreement with libsodium on random
 * keys and messages, agreement on mutated signatures, and explicit vectors for
 * the strict rejections (S >= L, y >= p, small-order A and R). */
#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_internal.h"
#include "crypto_test_util.h"

/* The eight points of order dividing 8, canonically encoded. */
static const char *const SMALL_ORDER[8] = {
	"0100000000000000000000000000000000000000000000000000000000000000", /* identity */
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* order 2 */
	"0000000000000000000000000000000000000000000000000000000000000000", /* order 4 */
	"0000000000000000000000000000000000000000000000000000000000000080", /* order 4 */
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", /* order 8 */
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
};

/* Encodings with y >= p (y = p + k), and x = 0 with the sign bit set. */
static const char *const NONCANONICAL[] = {
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = p   */
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = p+1 */
	"f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = p+3, large order */
	"f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* y = p+18 */
	"0100000000000000000000000000000000000000000000000000000000000080", /* x = 0, sign 1 */
};

/* L, little-endian. */
static const char L_HEX[] = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";

/* sodium_keypair: libsodium's key pair from a seed. */
static void sodium_keypair(uint8_t pk[32], uint8_t sk[64], const uint8_t seed[32])
{
	ck_assert_int_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

/* both_verify: our result and libsodium's must agree; returns ours == 0. */
static bool both_verify(const uint8_t sig[64], const uint8_t *msg, size_t len,
			const uint8_t pub[32])
{
	int ours = crypto_ed25519_verify(sig, msg, len, pub);
	int theirs = crypto_sign_verify_detached(sig, msg, len, pub);

	ck_assert(ours == 0 || ours == CAIRN_EBADMSG);
	ck_assert_int_eq(ours == 0, theirs == 0);
	return ours == 0;
}

/* test_crypto_ed25519_rfc8032: TEST 1, 2, 3, 1024 and SHA(abc). */
START_TEST(test_crypto_ed25519_rfc8032)
{
	uint8_t seed[32], pub[32], sig[64], msg[1100], out[64];

	for (int i = 0; i < CRYPTO_KAT_NED25519; i++) {
		const struct crypto_kat_ed25519 *v = &crypto_kat_ed25519[i];
		tu_unhex(seed, 32, v->seed_hex);
		tu_unhex(pub, 32, v->pub_hex);
		tu_unhex(sig, 64, v->sig_hex);
		int n = tu_unhex(msg, sizeof msg, v->msg_hex);
		crypto_ed25519_public(seed, out);
		ck_assert_mem_eq(out, pub, 32);
		crypto_ed25519_sign(out, msg, (size_t)n, seed, pub);
		ck_assert_mem_eq(out, sig, 64);
		ck_assert_int_eq(crypto_ed25519_verify(sig, msg, (size_t)n, pub), 0);
	}
	ck_assert_int_eq(CRYPTO_KAT_NED25519, 5);
}
END_TEST

/* test_crypto_ed25519_matches_libsodium: random seeds and messages: same public
 * key, same signature bytes, both verify. */
START_TEST(test_crypto_ed25519_matches_libsodium)
{
	uint8_t seed[32], pub[32], pk[32], sk[64], msg[300], a[64], b[64];

	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("ed25519_vs_libsodium", 7);
	for (int iter = 0; iter < 300; iter++) {
		size_t len = tu_below(sizeof msg + 1);
		tu_fill(seed, 32);
		tu_fill(msg, len);
		crypto_ed25519_public(seed, pub);
		sodium_keypair(pk, sk, seed);
		ck_assert_mem_eq(pub, pk, 32);
		crypto_ed25519_sign(a, msg, len, seed, pub);
		crypto_sign_detached(b, NULL, msg, len, sk);
		ck_assert_mem_eq(a, b, 64);
		ck_assert(both_verify(a, msg, len, pub));
	}
}
END_TEST

/* test_crypto_ed25519_sign_key_matches: the expanded key holds the same public
 * key, and signing with it gives the seed path's (and libsodium's) bytes, for the
 * RFC 8032 seeds and random ones; the key is wiped by crypto_wipe. */
START_TEST(test_crypto_ed25519_sign_key_matches)
{
	uint8_t seed[32], pub[32], pk[32], sk[64], msg[300], a[64], b[64], c[64];
	struct crypto_ed25519_key k;

	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("ed25519_sign_key", 9);
	for (int iter = 0; iter < 100; iter++) {
		size_t len = tu_below(sizeof msg + 1);
		tu_fill(seed, 32);
		tu_fill(msg, len);
		crypto_ed25519_public(seed, pub);
		crypto_ed25519_key_from_seed(&k, seed);
		ck_assert_mem_eq(k.pub, pub, 32);
		crypto_ed25519_sign(a, msg, len, seed, pub);
		crypto_ed25519_sign_key(b, msg, len, &k);
		sodium_keypair(pk, sk, seed);
		crypto_sign_detached(c, NULL, msg, len, sk);
		ck_assert_mem_eq(a, b, 64);
		ck_assert_mem_eq(b, c, 64);
	}
	for (int i = 0; i < CRYPTO_KAT_NED25519; i++) {
		const struct crypto_kat_ed25519 *v = &crypto_kat_ed25519[i];
		uint8_t *m = malloc(1024);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(tu_unhex(seed, 32, v->seed_hex), 32);
		int mn = tu_unhex(m, 1024, v->msg_hex);
		ck_assert_int_ge(mn, 0);
		ck_assert_int_eq(tu_unhex(c, 64, v->sig_hex), 64);
		crypto_ed25519_key_from_seed(&k, seed);
		crypto_ed25519_sign_key(b, m, (size_t)mn, &k);
		ck_assert_mem_eq(b, c, 64);
		free(m);
	}
	crypto_wipe(&k, sizeof k);
	static const struct crypto_ed25519_key zero;
	ck_assert_mem_eq(&k, &zero, sizeof k);
}
END_TEST

/* test_crypto_ed25519_mutations_agree: flip one bit of the signature, key or
 * message; replace a field with random bytes: both reject (and agree). */
START_TEST(test_crypto_ed25519_mutations_agree)
{
	uint8_t seed[32], pub[32], sig[64], msg[64];

	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("ed25519_mutations", 8);
	for (int iter = 0; iter < 400; iter++) {
		tu_fill(seed, 32);
		tu_fill(msg, sizeof msg);
		crypto_ed25519_public(seed, pub);
		crypto_ed25519_sign(sig, msg, sizeof msg, seed, pub);
		size_t bit = tu_below(8 * (64 + 32 + sizeof msg));
		uint8_t *p = bit < 512	 ? sig + bit / 8
			     : bit < 768 ? pub + (bit - 512) / 8
					 : msg + (bit - 768) / 8;
		p[0] ^= (uint8_t)(1u << (bit % 8));
		ck_assert(!both_verify(sig, msg, sizeof msg, pub));
		p[0] ^= (uint8_t)(1u << (bit % 8));
		tu_fill(iter % 2 ? sig : pub, 32);
		(void)both_verify(sig, msg, sizeof msg, pub);
	}
}
END_TEST

/* test_crypto_ed25519_rejects_noncanonical_s: S + L and S = L satisfy the
 * equation mod L, but must be refused (libsodium refuses them too). */
START_TEST(test_crypto_ed25519_rejects_noncanonical_s)
{
	uint8_t seed[32] = { 1 }, pub[32], sig[64], l[32];
	unsigned carry = 0;

	tu_unhex(l, 32, L_HEX);
	crypto_ed25519_public(seed, pub);
	crypto_ed25519_sign(sig, "m", 1, seed, pub);
	ck_assert(both_verify(sig, (const uint8_t *)"m", 1, pub));
	for (int i = 0; i < 32; i++) { /* S += L (S < 2^253: no overflow) */
		carry += (unsigned)sig[32 + i] + l[i];
		sig[32 + i] = (uint8_t)carry;
		carry >>= 8;
	}
	ck_assert_int_eq(crypto_ed25519_verify(sig, "m", 1, pub), CAIRN_EBADMSG);
	ck_assert(!both_verify(sig, (const uint8_t *)"m", 1, pub));
	memcpy(sig + 32, l, 32);
	ck_assert(!both_verify(sig, (const uint8_t *)"m", 1, pub));
	ck_assert(!crypto_sc_is_canonical(l));
	l[0]--;
	ck_assert(crypto_sc_is_canonical(l));
}
END_TEST

/* test_crypto_ed25519_rejects_small_order: with A = identity, (R = [S]B, S) is a
 * "signature" of every message under the cofactorless equation; with R =
 * identity and S = k*a it is too. Both must be refused, for every small-order
 * A and R encoding. */
START_TEST(test_crypto_ed25519_rejects_small_order)
{
	uint8_t seed[32] = { 2 }, pub[32], sig[64], h[64], hk[64], k[32], zero[32] = { 0 },
		small[32];

	ck_assert_int_ge(sodium_init(), 0);
	for (int i = 0; i < 8; i++) {
		tu_unhex(small, 32, SMALL_ORDER[i]);
		memset(sig + 32, 0, 32);
		sig[32] = (uint8_t)(9 + i);		   /* S */
		crypto_ed25519_base_encode(sig, sig + 32); /* R = [S]B */
		ck_assert(!both_verify(sig, (const uint8_t *)"any", 3, small));
	}
	crypto_ed25519_public(seed, pub);
	crypto_sha512(seed, 32, h);
	h[0] &= 248;
	h[31] = (uint8_t)((h[31] & 127) | 64); /* a, the secret scalar */
	for (int i = 0; i < 8; i++) {
		tu_unhex(sig, 32, SMALL_ORDER[i]); /* R = small order */
		uint8_t in[64 + 32 + 3];
		memcpy(in, sig, 32);
		memcpy(in + 32, pub, 32);
		memcpy(in + 64, "msg", 3);
		crypto_sha512(in, 67, hk);
		crypto_sc_reduce64(k, hk);		/* k = H(R || A || M) */
		crypto_sc_muladd(sig + 32, k, h, zero); /* S = k a: holds for R = O */
		ck_assert(!both_verify(sig, (const uint8_t *)"msg", 3, pub));
	}
}
END_TEST

/* test_crypto_ed25519_rejects_noncanonical_points: y >= p for A or R. */
START_TEST(test_crypto_ed25519_rejects_noncanonical_points)
{
	uint8_t seed[32] = { 3 }, pub[32], sig[64], bad[32];

	crypto_ed25519_public(seed, pub);
	crypto_ed25519_sign(sig, "x", 1, seed, pub);
	for (size_t i = 0; i < sizeof NONCANONICAL / sizeof NONCANONICAL[0]; i++) {
		tu_unhex(bad, 32, NONCANONICAL[i]);
		ck_assert(!both_verify(sig, (const uint8_t *)"x", 1, bad));
		uint8_t s2[64];
		memcpy(s2, sig, 64);
		memcpy(s2, bad, 32);
		ck_assert(!both_verify(s2, (const uint8_t *)"x", 1, pub));
	}
}
END_TEST

/* test_crypto_ed25519_scalar_ops_match_libsodium: reduce mod L, multiply-add,
 * and [s]B against libsodium's core functions. */
START_TEST(test_crypto_ed25519_scalar_ops_match_libsodium)
{
	uint8_t wide[64], a[32], b[32], c[32], r1[32], r2[32], t[32];

	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("ed25519_scalars", 9);
	for (int iter = 0; iter < 500; iter++) {
		tu_fill(wide, 64);
		if (iter < 4)
			memset(wide, iter & 1 ? 0xff : 0, 64);
		crypto_sc_reduce64(r1, wide);
		crypto_core_ed25519_scalar_reduce(r2, wide);
		ck_assert_mem_eq(r1, r2, 32);
		tu_fill(a, 32);
		tu_fill(b, 32);
		tu_fill(c, 32);
		crypto_sc_muladd(r1, a, b, c);
		uint8_t ar[32], br[32], cr[32], wa[64] = { 0 };
		memcpy(wa, a, 32);
		crypto_core_ed25519_scalar_reduce(ar, wa);
		memcpy(wa, b, 32);
		crypto_core_ed25519_scalar_reduce(br, wa);
		memcpy(wa, c, 32);
		crypto_core_ed25519_scalar_reduce(cr, wa);
		crypto_core_ed25519_scalar_mul(t, ar, br);
		crypto_core_ed25519_scalar_add(r2, t, cr);
		ck_assert_mem_eq(r1, r2, 32);
		crypto_ed25519_base_encode(r1, ar);
		if (crypto_scalarmult_ed25519_base_noclamp(r2, ar) == 0)
			ck_assert_mem_eq(r1, r2, 32);
	}
}
END_TEST

/* test_crypto_ed25519_sign_ignores_wrong_pub: a wrong pub must not change the
 * signature (r depends only on seed and M, so signing under two claimed keys
 * would otherwise reveal the secret scalar). */
START_TEST(test_crypto_ed25519_sign_ignores_wrong_pub)
{
	uint8_t seed[32] = { 4 }, pub[32], wrong[32], a[64], b[64];

	crypto_ed25519_public(seed, pub);
	memcpy(wrong, pub, 32);
	wrong[0] ^= 1;
	crypto_ed25519_sign(a, "msg", 3, seed, pub);
	crypto_ed25519_sign(b, "msg", 3, seed, wrong);
	ck_assert_mem_eq(a, b, 64);
	ck_assert_int_eq(crypto_ed25519_verify(b, "msg", 3, pub), 0);
}
END_TEST

/* ed_suite: the Ed25519 cases. */
static Suite *ed_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("ed25519");

	tcase_set_timeout(tc, 110);
	tcase_add_test(tc, test_crypto_ed25519_rfc8032);
	tcase_add_test(tc, test_crypto_ed25519_matches_libsodium);
	tcase_add_test(tc, test_crypto_ed25519_sign_key_matches);
	tcase_add_test(tc, test_crypto_ed25519_mutations_agree);
	tcase_add_test(tc, test_crypto_ed25519_rejects_noncanonical_s);
	tcase_add_test(tc, test_crypto_ed25519_rejects_small_order);
	tcase_add_test(tc, test_crypto_ed25519_rejects_noncanonical_points);
	tcase_add_test(tc, test_crypto_ed25519_scalar_ops_match_libsodium);
	tcase_add_test(tc, test_crypto_ed25519_sign_ignores_wrong_pub);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(ed_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
