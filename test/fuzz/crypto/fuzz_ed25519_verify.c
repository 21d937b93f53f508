/* libFuzzer target: Ed25519 verification on arbitrary (signature, key, message)
 * triples, cross-checked against libsodium. Both implement the same strict rules
 * (S < L, canonical A, small-order A and R refused, cofactorless equation), so
 * any disagreement is a bug and aborts. Input: sig[64] || pub[32] || msg. When
 * the first input byte is odd, the target instead signs msg with seed = the
 * first 32 bytes, mutates one bit chosen by byte 32, and cross-checks that,
 * so the fuzzer also explores near-valid signatures. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

/* check_agree: abort when the two verifiers disagree. */
static void check_agree(const uint8_t *sig, const uint8_t *msg, size_t len, const uint8_t *pub)
{
	int ours = crypto_ed25519_verify(sig, msg, len, pub) == 0;
	int theirs = crypto_sign_verify_detached(sig, msg, len, pub) == 0;

	if (ours != theirs)
		abort();
}

/* fuzz_signed: sign with a fuzzer-chosen seed, flip one chosen bit, compare. */
static void fuzz_signed(const uint8_t *data, size_t size)
{
	uint8_t pub[32], sig[64];
	const uint8_t *msg = data + 33;
	size_t len = size - 33;

	crypto_ed25519_public(data, pub);
	crypto_ed25519_sign(sig, msg, len, data, pub);
	check_agree(sig, msg, len, pub);
	if (crypto_ed25519_verify(sig, msg, len, pub) != 0)
		abort(); /* own signature must verify */
	unsigned bit = data[32];
	if (bit < 96 * 8 / 2) { /* half the time: mutate */
		uint8_t *p = bit < 256 ? sig + bit / 4 : pub + (bit - 256) / 4;
		p[0] ^= (uint8_t)(1u << (bit % 8));
		check_agree(sig, msg, len, pub);
	}
}

/* LLVMFuzzerTestOneInput: the libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		ready = 1;
	}
	if (size >= 33 && (data[0] & 1)) {
		fuzz_signed(data, size);
		return 0;
	}
	if (size < 96)
		return 0;
	check_agree(data, data + 96, size - 96, data + 64);
	return 0;
}
