/* Known answers for the RFC 8439 AEAD and the SP 800-90A HMAC_DRBG, run in the
 * image by crypto_selftest_kat (so the rv64 build is checked, not only the host
 * build): RFC 8439 2.8.2 sealed, opened and refused after a bit flip; one NIST
 * CAVP HMAC_DRBG SHA-256 case with reseed and additional input. No heap, under
 * 1 KiB of stack. */
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "crypto_internal.h"
#include "crypto_kat.h"

static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
				"only one tip for the future, sunscreen would be it.";
static const char aead_ct_hex[] = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
				  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
				  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
				  "3ff4def08e4b7a9de576d26586cec64b6116";
static const char aead_tag_hex[] = "1ae10b594f09e26a7e902ecbd0600691";

/* kat_aead: RFC 8439 2.8.2. */
static int kat_aead(void)
{
	uint8_t key[32], nonce[12], ad[12], ct[114], want[114], tag[16], wtag[16], pt[114];
	size_t n = sizeof sunscreen - 1;
	int err = 0;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	if (crypto_kat_unhex(nonce, 12, "070000004041424344454647") != 12 ||
	    crypto_kat_unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7") != 12 ||
	    crypto_kat_unhex(want, 114, aead_ct_hex) != 114 ||
	    crypto_kat_unhex(wtag, 16, aead_tag_hex) != 16)
		return CAIRN_EIO;
	if (crypto_aead_seal(key, nonce, ad, 12, sunscreen, n, ct, tag) != 0 ||
	    memcmp(ct, want, n) != 0 || memcmp(tag, wtag, 16) != 0)
		err = CAIRN_EIO;
	if (crypto_aead_open(key, nonce, ad, 12, ct, n, tag, pt) != 0 ||
	    memcmp(pt, sunscreen, n) != 0)
		err = CAIRN_EIO;
	ct[57] ^= 4;
	if (crypto_aead_open(key, nonce, ad, 12, ct, n, tag, pt) != CAIRN_EBADMSG)
		err = CAIRN_EIO;
	return err;
}

/* kat_drbg: CAVP HMAC_DRBG.rsp [SHA-256], PredictionResistance = False, with
 * reseed and additional input, COUNT = 0. */
static int kat_drbg(void)
{
	static const char *const hex[6] = {
		"05ac9fc4c62a02e3f90840da5616218c6de5743d66b8e0fbf833759c5928b53d",
		"2791126b8b52ee1fd9392a0a13e0083bed4186dc649b739607ac70ec8dcecf9b",
		"43bac13bae715092cf7eb280a2e10a962faf7233c41412f69bc74a35a584e54c",
		"3f2fed4b68d506ecefa21f3f5bb907beb0f17dbc30f6ffbba5e5861408c53a1e",
		"529030df50f410985fde068df82b935ec23d839cb4b269414c0ede6cffea5b68",
		"02ddff5173da2fcffa10215b030d660d61179e61ecc22609b1151a75f1cbcbb4"
		"363c3a89299b4b63aca5e581e73c860491010aa35de3337cc6c09ebec8c91a62"
		"87586f3a74d9694b462d2720ea2e11bbd02af33adefb4a16e6b370fa0effd57d"
		"607547bdcfbb7831f54de7073ad2a7da987a0016a82fa958779a168674b56524",
	};
	uint8_t in[5][32], nonce[16], want[128], out[128];
	struct crypto_drbg d;

	for (int i = 0; i < 5; i++)
		if (crypto_kat_unhex(in[i], 32, hex[i]) != 32)
			return CAIRN_EIO;
	if (crypto_kat_unhex(nonce, 16, "2b89a17904922ed8f017a63044848545") != 16 ||
	    crypto_kat_unhex(want, 128, hex[5]) != 128)
		return CAIRN_EIO;
	int err = crypto_drbg_instantiate(&d, in[0], 32, nonce, 16, NULL, 0);
	if (!err)
		err = crypto_drbg_reseed(&d, in[1], 32, in[2], 32);
	if (!err)
		err = crypto_drbg_generate(&d, out, 128, in[3], 32);
	if (!err)
		err = crypto_drbg_generate(&d, out, 128, in[4], 32);
	crypto_drbg_wipe(&d);
	return err || memcmp(out, want, 128) != 0 ? CAIRN_EIO : 0;
}

/* crypto_selftest_aead_drbg: both known answers; 0 or CAIRN_EIO. */
int crypto_selftest_aead_drbg(void)
{
	int err = kat_aead();

	if (!err)
		err = kat_drbg();
	return err;
}
