/* Helpers shared by the crypto host tests: a deterministic PRNG (seed printed so a
 * failure can be replayed with CAIRN_TEST_SEED=<n>) and hex decoding. */
#ifndef CRYPTO_TEST_UTIL_H
#define CRYPTO_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto_kat.h"

/* tu_state: splitmix64 state; each test seeds it with tu_seed(). */
static uint64_t tu_state;

/* tu_seed: seed from CAIRN_TEST_SEED or the given default, and print it. */
static inline void tu_seed(const char *test, uint64_t dflt)
{
	const char *env = getenv("CAIRN_TEST_SEED");

	tu_state = env ? strtoull(env, NULL, 0) : dflt;
	printf("%s: PRNG seed %llu\n", test, (unsigned long long)tu_state);
}

/* tu_next: next 64-bit value (splitmix64). */
static inline uint64_t tu_next(void)
{
	uint64_t z = (tu_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* tu_below: uniform-enough value in [0, n), n > 0. */
static inline size_t tu_below(size_t n) { return (size_t)(tu_next() % n); }

/* tu_fill: n pseudo-random bytes. */
static inline void tu_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)tu_next();
}

/* tu_unhex: decode hex or fail the process (test data is fixed). */
static inline int tu_unhex(uint8_t *out, int cap, const char *hex)
{
	int n = crypto_kat_unhex(out, cap, hex);

	if (n < 0) {
		fprintf(stderr, "bad test hex: %s\n", hex);
		abort();
	}
	return n;
}

#endif
