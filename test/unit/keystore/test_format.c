/* keystore formats: the devsecret sector (every field checked), the KEK label,
 * and the sealed record (round trip; every byte flip, a move to another owner or
 * name, another KEK and a wrong length are refused; reasons name no data). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "ks_format.h"

/* secret_of: a fixed, non-zero test root secret. */
static void secret_of(uint8_t s[32], uint8_t base)
{
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)(base + 3 * i);
}

/* test_keystore_devsecret_roundtrip: build then parse gives the secret back. */
START_TEST(test_keystore_devsecret_roundtrip)
{
	uint8_t sec[512], s[32], out[32];
	const char *why = NULL;

	secret_of(s, 1);
	ks_devsecret_build(sec, s);
	ck_assert_mem_eq(sec, "CAIRNHUK", 8);
	ck_assert_int_eq(ks_devsecret_parse(sec, sizeof sec, out, &why), 0);
	ck_assert_mem_eq(out, s, 32);
	ck_assert_int_eq(ks_devsecret_parse(sec, 511, out, &why), CAIRN_EINVAL);
}
END_TEST

/* test_keystore_devsecret_malformed: every byte of the header and the padding,
 * when changed, makes the sector malformed; an all-zero secret is refused. */
START_TEST(test_keystore_devsecret_malformed)
{
	uint8_t sec[512], s[32], out[32];
	const char *why = NULL;

	secret_of(s, 1);
	ks_devsecret_build(sec, s);
	for (size_t i = 0; i < sizeof sec; i++) {
		sec[i] ^= 0x10;
		why = NULL;
		ck_assert_int_eq(ks_devsecret_parse(sec, sizeof sec, out, &why), CAIRN_EBADMSG);
		ck_assert_ptr_nonnull(why);
		sec[i] ^= 0x10;
	}
	memset(s, 0, sizeof s);
	ks_devsecret_build(sec, s);
	ck_assert_int_eq(ks_devsecret_parse(sec, sizeof sec, out, &why), CAIRN_EBADMSG);
	ck_assert_str_eq(why, "all-zero secret");
	memset(sec, 0, sizeof sec);
	ck_assert_int_eq(ks_devsecret_parse(sec, sizeof sec, out, &why), CAIRN_EBADMSG);
	ck_assert_str_eq(why, "bad magic (not a devsecret disk)");
}
END_TEST

/* test_keystore_kek_label: the KEK is HKDF-SHA256 with the documented v1 label,
 * differs per root secret and is not the root secret. */
START_TEST(test_keystore_kek_label)
{
	uint8_t s[32], k[32], want[32], k2[32];

	secret_of(s, 7);
	ck_assert_int_eq(ks_kek_derive(s, k), 0);
	ck_assert_int_eq(crypto_hkdf_sha256("cairn-keystore", 14, s, 32, "cairn keystore kek v1",
					    21, want, 32),
			 0);
	ck_assert_mem_eq(k, want, 32);
	ck_assert(memcmp(k, s, 32) != 0);
	s[0] ^= 1;
	ck_assert_int_eq(ks_kek_derive(s, k2), 0);
	ck_assert(memcmp(k, k2, 32) != 0);
}
END_TEST

/* make: a sealed Ed25519 record for owner/name under kek. */
static void make(uint8_t rec[KS_RECORD_SIZE], const uint8_t kek[32], const uint8_t secret[32],
		 const char *owner, const char *name)
{
	struct ks_meta m = { .type = KS_TYPE_ED25519,
			     .flags = KS_USE_SIGN | KS_USE_VERIFY,
			     .created_boot = 5 };

	memset(m.nonce, 0x6e, sizeof m.nonce);
	crypto_ed25519_public(secret, m.pub);
	ck_assert_int_eq(ks_record_seal(rec, kek, &m, owner, name, secret), 0);
}

/* test_keystore_record_roundtrip: seal then open; the layout is as documented. */
START_TEST(test_keystore_record_roundtrip)
{
	uint8_t kek[32], secret[32], rec[KS_RECORD_SIZE], out[32], pub[32];
	struct ks_meta m;
	const char *why;

	secret_of(kek, 40);
	secret_of(secret, 90);
	make(rec, kek, secret, "keystore", "device");
	ck_assert_mem_eq(rec, "CKSR", 4);
	ck_assert_uint_eq(rec[4], 1);
	ck_assert_uint_eq(rec[5], KS_TYPE_ED25519);
	ck_assert_uint_eq(rec[6], 3);
	ck_assert_uint_eq(rec[8], 5);
	crypto_ed25519_public(secret, pub);
	ck_assert_mem_eq(rec + 32, pub, 32);
	ck_assert(memcmp(rec + 64, secret, 32) != 0); /* sealed, not clear */
	ck_assert_uint_eq(crypto_crc32c(0, rec, 112), (uint32_t)rec[112] | (uint32_t)rec[113] << 8 |
							      (uint32_t)rec[114] << 16 |
							      (uint32_t)rec[115] << 24);
	ck_assert_int_eq(ks_record_open(rec, sizeof rec, kek, "keystore", "device", &m, out, &why),
			 0);
	ck_assert_mem_eq(out, secret, 32);
	ck_assert_uint_eq(m.created_boot, 5);
	ck_assert_mem_eq(m.pub, pub, 32);
}
END_TEST

/* test_keystore_record_tamper: every byte flipped (with and without fixing the
 * CRC, so the AEAD itself is exercised), another owner, another name, another
 * KEK and wrong lengths: nothing opens, and the secret output is zeroed. */
START_TEST(test_keystore_record_tamper)
{
	uint8_t kek[32], secret[32], rec[KS_RECORD_SIZE + 1], out[32];
	struct ks_meta m;
	const char *why;

	secret_of(kek, 40);
	secret_of(secret, 90);
	make(rec, kek, secret, "keystore", "device");
	for (size_t i = 0; i < KS_RECORD_SIZE; i++) {
		for (int fixcrc = 0; fixcrc < 2; fixcrc++) {
			uint8_t t[KS_RECORD_SIZE];
			memcpy(t, rec, sizeof t);
			t[i] ^= 0x01;
			if (fixcrc && i < 112) {
				uint32_t c = crypto_crc32c(0, t, 112);
				for (int b = 0; b < 4; b++)
					t[112 + b] = (uint8_t)(c >> (8 * b));
			}
			memset(out, 0xee, sizeof out);
			ck_assert_int_eq(ks_record_open(t, sizeof t, kek, "keystore", "device", &m,
							out, &why),
					 CAIRN_EBADMSG);
			for (int b = 0; b < 32; b++)
				ck_assert_uint_eq(out[b], 0);
		}
	}
	ck_assert_int_eq(ks_record_open(rec, KS_RECORD_SIZE, kek, "shell", "device", &m, out, &why),
			 CAIRN_EBADMSG);
	ck_assert_int_eq(ks_record_open(rec, KS_RECORD_SIZE, kek, "keystore", "devicf", &m, out,
					&why),
			 CAIRN_EBADMSG);
	ck_assert_int_eq(ks_record_open(rec, KS_RECORD_SIZE, kek, "keystor", "edevice", &m, out,
					&why),
			 CAIRN_EBADMSG);
	kek[3] ^= 4;
	ck_assert_int_eq(ks_record_open(rec, KS_RECORD_SIZE, kek, "keystore", "device", &m, out,
					&why),
			 CAIRN_EBADMSG);
	ck_assert_str_eq(why, "does not authenticate (tampered, moved, or another root secret)");
	kek[3] ^= 4;
	ck_assert_int_eq(ks_record_open(rec, KS_RECORD_SIZE - 1, kek, "keystore", "device", &m, out,
					&why),
			 CAIRN_EBADMSG);
	ck_assert_int_eq(ks_record_open(rec, KS_RECORD_SIZE + 1, kek, "keystore", "device", &m, out,
					&why),
			 CAIRN_EBADMSG);
	ck_assert_int_eq(
		ks_record_open(rec, KS_RECORD_SIZE, kek, "keystore", "device", &m, out, &why), 0);
}
END_TEST

/* test_keystore_names: owner/name rules, type/flag rules and the record path. */
START_TEST(test_keystore_names)
{
	char path[KS_OWNER_MAX + KS_NAME_MAX + 20];
	char long_name[KS_NAME_MAX + 2];

	ck_assert(ks_owner_ok("keystore"));
	ck_assert(!ks_owner_ok(""));
	ck_assert(!ks_owner_ok("Shell"));
	ck_assert(!ks_owner_ok("a/b"));
	ck_assert(!ks_owner_ok("a.b"));
	ck_assert(ks_name_ok("journal-mac.v1"));
	ck_assert(!ks_name_ok(".hidden"));
	ck_assert(!ks_name_ok("a/b"));
	ck_assert(!ks_name_ok("a\nb"));
	memset(long_name, 'a', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = 0;
	ck_assert(!ks_name_ok(long_name));
	long_name[KS_NAME_MAX] = 0;
	ck_assert(ks_name_ok(long_name));
	ck_assert(ks_type_flags_ok(KS_TYPE_ED25519, KS_USE_SIGN));
	ck_assert(!ks_type_flags_ok(KS_TYPE_ED25519, KS_USE_DERIVE));
	ck_assert(!ks_type_flags_ok(KS_TYPE_DERIVE, KS_USE_SIGN));
	ck_assert(!ks_type_flags_ok(KS_TYPE_HMAC, 0));
	ck_assert(!ks_type_flags_ok(9, KS_USE_SIGN));
	ck_assert_int_eq(ks_record_key(path, sizeof path, "shell", "k1"), 0);
	ck_assert_str_eq(path, "/state/keystore/shell/k1");
	ck_assert_int_eq(ks_record_key(path, 24, "shell", "k1"), CAIRN_EINVAL);
	ck_assert_int_eq(ks_record_key(path, 25, "shell", "k1"), 0);
	ck_assert_int_eq(ks_record_key(path, sizeof path, "shell", "../x"), CAIRN_EINVAL);
}
END_TEST

/* format_suite: the keystore format tests. */
static Suite *format_suite(void)
{
	Suite *s = suite_create("keystore");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_keystore_devsecret_roundtrip);
	tcase_add_test(tc, test_keystore_devsecret_malformed);
	tcase_add_test(tc, test_keystore_kek_label);
	tcase_add_test(tc, test_keystore_record_roundtrip);
	tcase_add_test(tc, test_keystore_record_tamper);
	tcase_add_test(tc, test_keystore_names);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(format_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
