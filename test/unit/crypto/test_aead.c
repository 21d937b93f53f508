/* ChaCha20, Poly1305 and the ChaCha20-Poly1305 AEAD: the RFC 8439 vectors (2.3.2,
 * 2.4.2, 2.5.2, 2.8.2, A.3 #5-#11, A.5), a libsodium differential over random
 * lengths and split points, tamper refusal and the counter limit. */
#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_test_util.h"

static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				"only one tip for the future, sunscreen would be it.";

/* key_seq: key[i] = base + i (the RFC's 00..1f and 80..9f keys). */
static void key_seq(uint8_t key[32], uint8_t base)
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(base + i);
}

/* test_crypto_chacha20_block_rfc8439: section 2.3.2. */
START_TEST(test_crypto_chacha20_block_rfc8439)
{
	uint8_t key[32], nonce[12], out[64], want[64];

	key_seq(key, 0);
	tu_unhex(nonce, sizeof nonce, "000000090000004a00000000");
	tu_unhex(want, sizeof want,
		 "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
		 "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
	crypto_chacha20_block(key, 1, nonce, out);
	ck_assert_mem_eq(out, want, 64);
}
END_TEST

/* test_crypto_chacha20_encrypt_rfc8439: section 2.4.2 (counter 1), both ways. */
START_TEST(test_crypto_chacha20_encrypt_rfc8439)
{
	uint8_t key[32], nonce[12], want[114], out[114];
	size_t n = sizeof sunscreen - 1;

	ck_assert_uint_eq(n, 114);
	key_seq(key, 0);
	tu_unhex(nonce, sizeof nonce, "000000000000004a00000000");
	tu_unhex(want, sizeof want,
		 "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
		 "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
		 "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
		 "5af90bbf74a35be6b40b8eedf2785e42874d");
	ck_assert_int_eq(crypto_chacha20_xor(key, 1, nonce, sunscreen, out, n), 0);
	ck_assert_mem_eq(out, want, n);
	ck_assert_int_eq(crypto_chacha20_xor(key, 1, nonce, out, out, n), 0);
	ck_assert_mem_eq(out, sunscreen, n);
}
END_TEST

/* test_crypto_chacha20_counter_limit: the 32-bit block counter never wraps. */
START_TEST(test_crypto_chacha20_counter_limit)
{
	uint8_t key[32] = { 0 }, nonce[12] = { 0 }, in[65] = { 0 }, out[65];

	memset(out, 0xaa, sizeof out);
	ck_assert_int_eq(crypto_chacha20_xor(key, UINT32_MAX, nonce, in, out, 65), CAIRN_EOVERFLOW);
	for (size_t i = 0; i < sizeof out; i++)
		ck_assert_uint_eq(out[i], 0xaa); /* nothing written */
	ck_assert_int_eq(crypto_chacha20_xor(key, UINT32_MAX, nonce, in, out, 64), 0);
	ck_assert_int_eq(crypto_chacha20_xor(key, UINT32_MAX - 1, nonce, in, out, 65), 0);
}
END_TEST

/* test_crypto_poly1305_rfc8439: section 2.5.2 and the A.3 edge cases #5-#11
 * (h >= p at the end, wraparound mod 2^130-5, long carry chains), which random
 * inputs practically never reach. */
START_TEST(test_crypto_poly1305_rfc8439)
{
	static const struct {
		const char *key, *msg, *tag;
	} v[] = {
		{ "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
		  "43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
		  "a8061dc1305136c6c22b8baf0c0127a9" },
		{ "0200000000000000000000000000000000000000000000000000000000000000",
		  "ffffffffffffffffffffffffffffffff", "03000000000000000000000000000000" },
		{ "02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
		  "02000000000000000000000000000000", "03000000000000000000000000000000" },
		{ "0100000000000000000000000000000000000000000000000000000000000000",
		  "fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff"
		  "11000000000000000000000000000000",
		  "05000000000000000000000000000000" },
		{ "0100000000000000000000000000000000000000000000000000000000000000",
		  "fffffffffffffffffffffffffffffffffbfefefefefefefefefefefefefefefe"
		  "01010101010101010101010101010101",
		  "00000000000000000000000000000000" },
		{ "0200000000000000000000000000000000000000000000000000000000000000",
		  "fdffffffffffffffffffffffffffffff", "faffffffffffffffffffffffffffffff" },
		{ "0100000000000000040000000000000000000000000000000000000000000000",
		  "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
		  "0000000000000000000000000000000001000000000000000000000000000000",
		  "14000000000000005500000000000000" },
		{ "0100000000000000040000000000000000000000000000000000000000000000",
		  "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000"
		  "00000000000000000000000000000000",
		  "13000000000000000000000000000000" },
	};
	uint8_t key[32], msg[64], want[16], tag[16];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		tu_unhex(key, sizeof key, v[i].key);
		int n = tu_unhex(msg, sizeof msg, v[i].msg);
		tu_unhex(want, sizeof want, v[i].tag);
		crypto_poly1305(key, msg, (size_t)n, tag);
		ck_assert_msg(memcmp(tag, want, 16) == 0, "vector %zu", i);
	}
}
END_TEST

/* test_crypto_aead_rfc8439: 2.8.2 seal and open, A.5 open. */
START_TEST(test_crypto_aead_rfc8439)
{
	uint8_t key[32], nonce[12], ad[12], ct[300], want[300], tag[16], wtag[16], pt[300];
	size_t n = sizeof sunscreen - 1;

	key_seq(key, 0x80);
	tu_unhex(nonce, sizeof nonce, "070000004041424344454647");
	tu_unhex(ad, sizeof ad, "50515253c0c1c2c3c4c5c6c7");
	tu_unhex(want, sizeof want,
		 "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		 "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		 "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		 "3ff4def08e4b7a9de576d26586cec64b6116");
	tu_unhex(wtag, sizeof wtag, "1ae10b594f09e26a7e902ecbd0600691");
	ck_assert_int_eq(crypto_aead_seal(key, nonce, ad, 12, sunscreen, n, ct, tag), 0);
	ck_assert_mem_eq(ct, want, n);
	ck_assert_mem_eq(tag, wtag, 16);
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, 12, ct, n, tag, pt), 0);
	ck_assert_mem_eq(pt, sunscreen, n);

	/* A.5: decryption of an Internet-Draft paragraph. */
	tu_unhex(key, sizeof key,
		 "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
	tu_unhex(nonce, sizeof nonce, "000000000102030405060708");
	tu_unhex(ad, sizeof ad, "f33388860000000000004e91");
	int cn = tu_unhex(ct, sizeof ct,
			  "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
			  "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
			  "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
			  "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
			  "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
			  "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
			  "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
			  "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
			  "a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38");
	ck_assert_int_eq(cn, 265 + 16);
	int wn = tu_unhex(want, sizeof want,
			  "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
			  "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
			  "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
			  "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
			  "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
			  "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
			  "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
			  "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
			  "726573732e2fe2809d");
	ck_assert_int_eq(wn, 265);
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, 12, ct, 265, ct + 265, pt), 0);
	ck_assert_mem_eq(pt, want, 265);
}
END_TEST

/* test_crypto_aead_matches_libsodium: random key, nonce, ad and message lengths
 * (across the 16- and 64-byte boundaries) against libsodium's IETF construction;
 * Poly1305 fed in random chunks against crypto_onetimeauth_poly1305; ChaCha20 at
 * random counters against crypto_stream_chacha20_ietf_xor_ic. */
START_TEST(test_crypto_aead_matches_libsodium)
{
	static uint8_t pt[700], a[700], b[716], ad[100], back[700];
	uint8_t key[32], nonce[12], tag[16], t2[16];

	ck_assert_int_ge(sodium_init(), 0);
	tu_seed("aead_vs_libsodium", 8439);
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = tu_below(sizeof pt + 1), an = tu_below(sizeof ad + 1);
		unsigned long long blen = 0;
		tu_fill(key, 32);
		tu_fill(nonce, 12);
		tu_fill(pt, n);
		tu_fill(ad, an);
		ck_assert_int_eq(crypto_aead_seal(key, nonce, ad, an, pt, n, a, tag), 0);
		ck_assert_int_eq(crypto_aead_chacha20poly1305_ietf_encrypt(b, &blen, pt, n, ad, an,
									   NULL, nonce, key),
				 0);
		ck_assert_uint_eq(blen, n + 16);
		ck_assert_mem_eq(a, b, n);
		ck_assert_mem_eq(tag, b + n, 16);
		ck_assert_int_eq(crypto_aead_open(key, nonce, ad, an, a, n, tag, back), 0);
		ck_assert_mem_eq(back, pt, n);

		struct crypto_poly1305 p;
		crypto_poly1305_init(&p, key);
		for (size_t off = 0; off < n;) {
			size_t c = 1 + tu_below(n - off < 40 ? n - off : 40);
			crypto_poly1305_update(&p, pt + off, c);
			off += c;
		}
		crypto_poly1305_final(&p, tag);
		crypto_onetimeauth_poly1305(t2, pt, n, key);
		ck_assert_mem_eq(tag, t2, 16);

		uint32_t ctr = (uint32_t)tu_next();
		if ((uint64_t)ctr + n / 64 + 1 > UINT32_MAX)
			ctr = 7;
		ck_assert_int_eq(crypto_chacha20_xor(key, ctr, nonce, pt, a, n), 0);
		crypto_stream_chacha20_ietf_xor_ic(b, pt, n, nonce, ctr, key);
		ck_assert_mem_eq(a, b, n);
	}
}
END_TEST

/* test_crypto_aead_refuses_tamper: every single-bit flip of ciphertext, tag and
 * ad, a wrong nonce, a wrong key and a truncation are refused with EBADMSG, and a
 * refused open writes no plaintext. */
START_TEST(test_crypto_aead_refuses_tamper)
{
	uint8_t key[32], nonce[12], ad[9], pt[37], ct[37], tag[16], out[37];

	tu_seed("aead_tamper", 99);
	tu_fill(key, 32);
	tu_fill(nonce, 12);
	tu_fill(ad, sizeof ad);
	tu_fill(pt, sizeof pt);
	ck_assert_int_eq(crypto_aead_seal(key, nonce, ad, sizeof ad, pt, sizeof pt, ct, tag), 0);
	uint8_t *parts[3] = { ct, tag, ad };
	size_t lens[3] = { sizeof ct, sizeof tag, sizeof ad };
	for (int w = 0; w < 3; w++)
		for (size_t bit = 0; bit < lens[w] * 8; bit++) {
			parts[w][bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(out, 0x5a, sizeof out);
			ck_assert_int_eq(crypto_aead_open(key, nonce, ad, sizeof ad, ct, sizeof ct,
							  tag, out),
					 CAIRN_EBADMSG);
			for (size_t i = 0; i < sizeof out; i++)
				ck_assert_uint_eq(out[i], 0x5a);
			parts[w][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	nonce[11] ^= 1;
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, sizeof ad, ct, sizeof ct, tag, out),
			 CAIRN_EBADMSG);
	nonce[11] ^= 1;
	key[0] ^= 0x80;
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, sizeof ad, ct, sizeof ct, tag, out),
			 CAIRN_EBADMSG);
	key[0] ^= 0x80;
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, sizeof ad, ct, sizeof ct - 1, tag, out),
			 CAIRN_EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, sizeof ad - 1, ct, sizeof ct, tag, out),
			 CAIRN_EBADMSG);
	ck_assert_int_eq(crypto_aead_open(key, nonce, ad, sizeof ad, ct, sizeof ct, tag, out), 0);
	ck_assert_mem_eq(out, pt, sizeof pt);
}
END_TEST

/* aead_suite: the crypto AEAD tests. */
static Suite *aead_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("aead");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crypto_chacha20_block_rfc8439);
	tcase_add_test(tc, test_crypto_chacha20_encrypt_rfc8439);
	tcase_add_test(tc, test_crypto_chacha20_counter_limit);
	tcase_add_test(tc, test_crypto_poly1305_rfc8439);
	tcase_add_test(tc, test_crypto_aead_rfc8439);
	tcase_add_test(tc, test_crypto_aead_matches_libsodium);
	tcase_add_test(tc, test_crypto_aead_refuses_tamper);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(aead_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
