/* HMAC_DRBG (SHA-256): NIST CAVP HMAC_DRBG.rsp vectors (no prediction resistance:
 * without and with a personalization string, with a reseed, with a reseed and
 * additional input), argument limits, the reseed interval, and separation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_test_util.h"

/* One CAVP case: instantiate(entropy, nonce, pers); [reseed(reseed, addl_reseed)];
 * generate 128 bytes (addl1); generate 128 bytes (addl2); the second output is
 * ReturnedBits. Empty strings mean the input is absent. */
struct drbg_vec {
	const char *entropy, *nonce, *pers, *reseed, *addl_reseed, *addl1, *addl2, *out;
};

static const struct drbg_vec vecs[] = {
	/* [SHA-256] no reseed, no personalization, COUNT = 0 and 1 */
	{ "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
	  "659ba96c601dc69fc902940805ec0ca8", "", "", "", "", "",
	  "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89"
	  "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1"
	  "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
	  "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8" },
	{ "79737479ba4e7642a221fcfd1b820b134e9e3540a35bb48ffae29c20f5418ea3",
	  "3593259c092bef4129bc2c6c9e19f343", "", "", "", "", "",
	  "cf5ad5984f9e43917aa9087380dac46e410ddc8a7731859c84e9d0f31bd43655"
	  "b924159413e2293b17610f211e09f770f172b8fb693a35b85d3b9e5e63b1dc25"
	  "2ac0e115002e9bedfb4b5b6fd43f33b8e0eafb2d072e1a6fee1f159df9b51e6c"
	  "8da737e60d5032dd30544ec51558c6f080bdbdab1de8a939e961e06b5f1aca37" },
	/* no reseed, with personalization, COUNT = 0 and 1 */
	{ "5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
	  "6f885496c1e63af620becd9e71ecb824",
	  "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0", "", "", "", "",
	  "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d5"
	  "3faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d"
	  "9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd72"
	  "8e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b" },
	{ "8df013b4d103523073917ddf6a869793059e9943fc8654549e7ab22f7c29f122",
	  "da2625af2ddd4abcce3cf4fa4659d84e",
	  "b571e66d7c338bc07b76ad3757bb2f9452bf7e07437ae8581ce7bc7c3ac651a9", "", "", "", "",
	  "b91cba4cc84fa25df8610b81b641402768a2097234932e37d590b1154cbd23f9"
	  "7452e310e291c45146147f0da2d81761fe90fba64f94419c0f662b28c1ed94da"
	  "487bb7e73eec798fbcf981b791d1be4f177a8907aa3c401643a5b62b87b89d66"
	  "b3a60e40d4a8e4e9d82af6d2700e6f535cdb51f75c321729103741030ccc3a56" },
	/* with reseed, no additional input, COUNT = 0 and 1 */
	{ "06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d",
	  "0e66f71edc43e42a45ad3c6fc6cdc4df", "",
	  "01920a4e669ed3a85ae8a33b35a74ad7fb2a6bb4cf395ce00334a9c9a5a5d552", "", "", "",
	  "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb"
	  "2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842"
	  "e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a802254"
	  "22918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124" },
	{ "aadcf337788bb8ac01976640726bc51635d417777fe6939eded9ccc8a378c76a",
	  "9ccc9d80c89ac55a8cfe0f99942f5a4d", "",
	  "03a57792547e0c98ea1776e4ba80c007346296a56a270a35fd9ea2845c7e81e2", "", "", "",
	  "17d09f40a43771f4a2f0db327df637dea972bfff30c98ebc8842dc7a9e3d681c"
	  "61902f71bffaf5093607fbfba9674a70d048e562ee88f027f630a78522ec6f70"
	  "6bb44ae130e05c8d7eac668bf6980d99b4c0242946452399cb032cc6f9fd9628"
	  "4709bd2fa565b9eb9f2004be6c9ea9ff9128c3f93b60dc30c5fc8587a10de68c" },
	/* with reseed and additional input, COUNT = 0 and 1 */
	{ "05ac9fc4c62a02e3f90840da5616218c6de5743d66b8e0fbf833759c5928b53d",
	  "2b89a17904922ed8f017a63044848545", "",
	  "2791126b8b52ee1fd9392a0a13e0083bed4186dc649b739607ac70ec8dcecf9b",
	  "43bac13bae715092cf7eb280a2e10a962faf7233c41412f69bc74a35a584e54c",
	  "3f2fed4b68d506ecefa21f3f5bb907beb0f17dbc30f6ffbba5e5861408c53a1e",
	  "529030df50f410985fde068df82b935ec23d839cb4b269414c0ede6cffea5b68",
	  "02ddff5173da2fcffa10215b030d660d61179e61ecc22609b1151a75f1cbcbb4"
	  "363c3a89299b4b63aca5e581e73c860491010aa35de3337cc6c09ebec8c91a62"
	  "87586f3a74d9694b462d2720ea2e11bbd02af33adefb4a16e6b370fa0effd57d"
	  "607547bdcfbb7831f54de7073ad2a7da987a0016a82fa958779a168674b56524" },
	{ "1bea3296f24e9242b96ed00648ac6255007c91f7c1a5088b2482c28c834942bf",
	  "71073136a5cc1eb5b5fa09e1790a0bed", "",
	  "d714329f3fbea1df9d0b0b0d88dfe3774beb63d011935923d048e521b710dc6f",
	  "4ef872fd211a426ea1085ab39eb220cc698fdfeabe49b8835d620ab7885de7a4",
	  "d74d1669e89875852d9ccbf11c20fe3c13a621ebcb3f7edeea39a2b3379fdcf5",
	  "0c8aa67ca310bd8e58c16aba35880f747266dbf624e88ec8f9ee9be5d08fdeb1",
	  "ce95b98f13adcdf7a32aa34709d6e02f658ae498d2ab01ce920f69e7e42c4be1"
	  "d005acf0ca6b17891dfafc620dd4cd3894f8492a5c846089b9b452483eb0b91f"
	  "3649ec0b6f98d1aaabc2e42cd39c2b25081b85ab50cb723007a0fd83550f32c2"
	  "10b7c4150b5a6bb3b0c9e3c971a09d43acb48e410a77f824b957092aa8ef98bc" },
};

/* test_crypto_drbg_nist_vectors: the CAVP procedure for every case above. */
START_TEST(test_crypto_drbg_nist_vectors)
{
	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct drbg_vec *v = &vecs[i];
		uint8_t e[64], n[32], p[64], r[64], ar[64], a1[64], a2[64], want[128], out[128];
		int en = tu_unhex(e, sizeof e, v->entropy), nn = tu_unhex(n, sizeof n, v->nonce);
		int pn = tu_unhex(p, sizeof p, v->pers), rn = tu_unhex(r, sizeof r, v->reseed);
		int arn = tu_unhex(ar, sizeof ar, v->addl_reseed);
		int a1n = tu_unhex(a1, sizeof a1, v->addl1),
		    a2n = tu_unhex(a2, sizeof a2, v->addl2);
		ck_assert_int_eq(tu_unhex(want, sizeof want, v->out), 128);
		struct crypto_drbg d;
		ck_assert_int_eq(crypto_drbg_instantiate(&d, e, (size_t)en, n, (size_t)nn, p,
							 (size_t)pn),
				 0);
		if (rn)
			ck_assert_int_eq(crypto_drbg_reseed(&d, r, (size_t)rn, ar, (size_t)arn), 0);
		ck_assert_int_eq(crypto_drbg_generate(&d, out, 128, a1, (size_t)a1n), 0);
		ck_assert_int_eq(crypto_drbg_generate(&d, out, 128, a2, (size_t)a2n), 0);
		ck_assert_msg(memcmp(out, want, 128) == 0, "CAVP case %zu", i);
		crypto_drbg_wipe(&d);
		ck_assert(!d.ready);
	}
}
END_TEST

/* test_crypto_drbg_limits: too little entropy or nonce, an oversized request or
 * input, and use before instantiate are refused; a refused request writes nothing. */
START_TEST(test_crypto_drbg_limits)
{
	static uint8_t big[CRYPTO_DRBG_MAX_REQUEST + 1];
	uint8_t e[32] = { 1 }, n[16] = { 2 }, out[8];
	struct crypto_drbg d;

	memset(&d, 0, sizeof d);
	ck_assert_int_eq(crypto_drbg_generate(&d, out, sizeof out, NULL, 0), CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_reseed(&d, e, 32, NULL, 0), CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 31, n, 16, NULL, 0), CAIRN_EINVAL);
	ck_assert(!d.ready);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 15, NULL, 0), CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, NULL, 32, n, 16, NULL, 0), CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, NULL, 1), CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, big, CRYPTO_DRBG_MAX_INPUT + 1),
			 CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, NULL, 0), 0);
	memset(big, 0x77, sizeof big);
	ck_assert_int_eq(crypto_drbg_generate(&d, big, sizeof big, NULL, 0), CAIRN_EINVAL);
	ck_assert_uint_eq(big[0], 0x77);
	ck_assert_int_eq(crypto_drbg_generate(&d, big, sizeof big - 1, NULL, 0), 0);
	ck_assert_int_eq(crypto_drbg_reseed(&d, e, 31, NULL, 0), CAIRN_EINVAL);
	ck_assert_int_eq(crypto_drbg_generate(&d, out, 0, NULL, 0), 0);
}
END_TEST

/* test_crypto_drbg_reseed_interval: after reseed_interval generates the DRBG
 * refuses (EAGAIN, nothing written) until it is reseeded. */
START_TEST(test_crypto_drbg_reseed_interval)
{
	uint8_t e[32] = { 3 }, n[16] = { 4 }, out[16];
	struct crypto_drbg d;

	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, NULL, 0), 0);
	ck_assert_uint_eq(d.reseed_interval, CRYPTO_DRBG_RESEED_INTERVAL);
	d.reseed_interval = 2;
	ck_assert_int_eq(crypto_drbg_generate(&d, out, sizeof out, NULL, 0), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, out, sizeof out, NULL, 0), 0);
	memset(out, 0x33, sizeof out);
	ck_assert_int_eq(crypto_drbg_generate(&d, out, sizeof out, NULL, 0), CAIRN_EAGAIN);
	ck_assert_uint_eq(out[0], 0x33);
	e[5] = 9;
	ck_assert_int_eq(crypto_drbg_reseed(&d, e, 32, "x", 1), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, out, sizeof out, NULL, 0), 0);
}
END_TEST

/* test_crypto_drbg_separation: one bit of entropy, nonce or personalization
 * changes the output; two successive outputs differ. */
START_TEST(test_crypto_drbg_separation)
{
	uint8_t e[32] = { 0 }, n[16] = { 0 }, base[32], o[32], o2[32];
	struct crypto_drbg d;

	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, "a", 1), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, base, 32, NULL, 0), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, o2, 32, NULL, 0), 0);
	ck_assert(memcmp(base, o2, 32) != 0);
	e[31] = 1;
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, "a", 1), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, o, 32, NULL, 0), 0);
	ck_assert(memcmp(base, o, 32) != 0);
	e[31] = 0;
	n[0] = 1;
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, "a", 1), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, o, 32, NULL, 0), 0);
	ck_assert(memcmp(base, o, 32) != 0);
	n[0] = 0;
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, "b", 1), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, o, 32, NULL, 0), 0);
	ck_assert(memcmp(base, o, 32) != 0);
	ck_assert_int_eq(crypto_drbg_instantiate(&d, e, 32, n, 16, "a", 1), 0);
	ck_assert_int_eq(crypto_drbg_generate(&d, o, 32, NULL, 0), 0);
	ck_assert_mem_eq(base, o, 32);
}
END_TEST

/* drbg_suite: the crypto DRBG tests. */
static Suite *drbg_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("drbg");

	tcase_add_test(tc, test_crypto_drbg_nist_vectors);
	tcase_add_test(tc, test_crypto_drbg_limits);
	tcase_add_test(tc, test_crypto_drbg_reseed_interval);
	tcase_add_test(tc, test_crypto_drbg_separation);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(drbg_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
