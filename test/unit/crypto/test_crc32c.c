/* CRC32-C: known answers, chaining, and the clmul folding code (portable clmul,
 * the same code the Zbc build runs) against the byte table on random inputs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"
#include "crypto_test_util.h"

/* test_crypto_crc32c_vectors: the check value and the RFC 3720 B.4 vectors. */
START_TEST(test_crypto_crc32c_vectors)
{
	uint8_t buf[64];

	ck_assert_uint_eq(crypto_crc32c(0, "123456789", 9), 0xE3069283u);
	for (int i = 0; i < CRYPTO_KAT_NCRC; i++) {
		int n = tu_unhex(buf, sizeof buf, crypto_kat_crc[i].msg_hex);
		ck_assert_uint_eq(crypto_crc32c(0, buf, (size_t)n), crypto_kat_crc[i].crc);
	}
	ck_assert_uint_eq(crypto_crc32c(0, NULL, 0), 0);
}
END_TEST

/* test_crypto_crc32c_chaining: crc(crc(a), b) == crc(a || b) at every split. */
START_TEST(test_crypto_crc32c_chaining)
{
	uint8_t buf[300];

	tu_seed("crc32c_chaining", 1);
	tu_fill(buf, sizeof buf);
	uint32_t whole = crypto_crc32c(0, buf, sizeof buf);
	for (size_t k = 0; k <= sizeof buf; k++)
		ck_assert_uint_eq(crypto_crc32c(crypto_crc32c(0, buf, k), buf + k, sizeof buf - k),
				  whole);
}
END_TEST

/* crc_bitwise: reference CRC32-C register update, one bit at a time (no table). */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return crc;
}

/* test_crypto_crc32c_table_matches_bitwise: the slice-by-16 code (its 8-byte
 * alignment head, 16-byte blocks and tail, and all 16 tables) against the
 * bitwise definition on every length up to 300 at 16 alignments, and on random
 * long buffers with random start registers. */
START_TEST(test_crypto_crc32c_table_matches_bitwise)
{
	enum {
		N = 5000
	};
	uint8_t *buf = malloc(N + 16);

	ck_assert_ptr_nonnull(buf);
	tu_seed("crc32c_slice", 3);
	tu_fill(buf, N + 16);
	for (size_t len = 0; len <= 300; len++) {
		for (size_t off = 0; off < 16; off++) {
			uint32_t c = (uint32_t)tu_next();
			ck_assert_uint_eq(crypto_crc32c_table_raw(c, buf + off, len),
					  crc_bitwise(c, buf + off, len));
		}
	}
	for (int i = 0; i < 200; i++) {
		size_t len = tu_below(N), off = tu_below(16);
		uint32_t c = (uint32_t)tu_next();
		ck_assert_uint_eq(crypto_crc32c_table_raw(c, buf + off, len),
				  crc_bitwise(c, buf + off, len));
	}
	/* Every byte value in every one of the 16 positions of a block. */
	for (int pos = 0; pos < 16; pos++) {
		for (int b = 0; b < 256; b++) {
			_Alignas(16) uint8_t blk[16] = { 0 }; /* aligned: one 16-byte step */
			blk[pos] = (uint8_t)b;
			ck_assert_uint_eq(crypto_crc32c_table_raw(0xffffffffu, blk, 16),
					  crc_bitwise(0xffffffffu, blk, 16));
		}
	}
	free(buf);
}
END_TEST

/* test_crypto_crc32c_fold_matches_table: the folding math, on every length up to
 * 600 at every alignment mod 8, then random long buffers and start values. */
START_TEST(test_crypto_crc32c_fold_matches_table)
{
	enum {
		N = 5000
	};
	uint8_t *buf = malloc(N + 8);

	ck_assert_ptr_nonnull(buf);
	tu_seed("crc32c_fold", 2);
	tu_fill(buf, N + 8);
	for (size_t len = 0; len <= 600; len++) {
		for (size_t off = 0; off < 8; off++) {
			uint32_t c = (uint32_t)tu_next();
			ck_assert_uint_eq(crypto_crc32c_fold_soft(c, buf + off, len),
					  crypto_crc32c_table_raw(c, buf + off, len));
		}
	}
	for (int i = 0; i < 200; i++) {
		size_t len = tu_below(N), off = tu_below(8);
		uint32_t c = (uint32_t)tu_next();
		ck_assert_uint_eq(crypto_crc32c_fold_soft(c, buf + off, len),
				  crypto_crc32c_table_raw(c, buf + off, len));
	}
	free(buf);
}
END_TEST

/* test_crypto_crc32c_pattern: the long KAT pattern through both code paths. */
START_TEST(test_crypto_crc32c_pattern)
{
	uint8_t buf[CRYPTO_KAT_PATTERN_LEN];

	for (int i = 0; i < CRYPTO_KAT_PATTERN_LEN; i++)
		buf[i] = (uint8_t)(7 * i + 3);
	ck_assert_uint_eq(crypto_crc32c(0, buf, sizeof buf), crypto_kat_crc_pattern);
	ck_assert_uint_eq(~crypto_crc32c_fold_soft(~0u, buf, sizeof buf), crypto_kat_crc_pattern);
}
END_TEST

/* test_crypto_crc32c_zbc_host_noop: selecting Zbc on the host changes nothing. */
START_TEST(test_crypto_crc32c_zbc_host_noop)
{
	crypto_crc32c_use_zbc(true);
	ck_assert(!crypto_crc32c_zbc_active());
	ck_assert_uint_eq(crypto_crc32c(0, "123456789", 9), 0xE3069283u);
	crypto_crc32c_use_zbc(false);
}
END_TEST

/* test_crypto_selftest_kat: the boot-time self test passes on the host. */
START_TEST(test_crypto_selftest_kat) { ck_assert_int_eq(crypto_selftest_kat(), 0); }
END_TEST

/* crc_suite: the CRC32-C cases, plus the whole-component self test. */
static Suite *crc_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("crc32c");

	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, test_crypto_crc32c_vectors);
	tcase_add_test(tc, test_crypto_crc32c_chaining);
	tcase_add_test(tc, test_crypto_crc32c_table_matches_bitwise);
	tcase_add_test(tc, test_crypto_crc32c_fold_matches_table);
	tcase_add_test(tc, test_crypto_crc32c_pattern);
	tcase_add_test(tc, test_crypto_crc32c_zbc_host_noop);
	tcase_add_test(tc, test_crypto_selftest_kat);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite; exit status is the failure count (capped). */
int main(void)
{
	SRunner *sr = srunner_create(crc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
