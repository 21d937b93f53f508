/* SP 800-90B health tests: the cutoffs recomputed from the formulas, a good
 * source passes, a stuck source fails the repetition count test at exactly the
 * cutoff, a biased source fails the adaptive proportion test at exactly the
 * cutoff, failures are sticky, and the start-up test gates readiness. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "vrng_health.h"

/* critbinom: smallest k with P(X <= k) >= q for X ~ Binomial(n, p). */
static int critbinom(int n, double p, double q)
{
	double pmf = pow(1 - p, n), cdf = 0;

	for (int k = 0; k <= n; k++) {
		cdf += pmf;
		if (cdf >= q)
			return k;
		pmf *= (double)(n - k) / (k + 1) * p / (1 - p);
	}
	return n;
}

/* test_vrng_health_cutoffs: the header's constants are the SP 800-90B formulas. */
START_TEST(test_vrng_health_cutoffs)
{
	double alpha = ldexp(1.0, -VRNG_ALPHA_LOG2), H = VRNG_H_BITS;

	ck_assert_int_eq(VRNG_RCT_CUTOFF, 1 + (int)ceil(-log2(alpha) / H));
	ck_assert_int_eq(VRNG_APT_CUTOFF, 1 + critbinom(VRNG_APT_WINDOW, pow(2, -H), 1 - alpha));
	/* SP 800-90B table 2 values as a cross-check of critbinom itself. */
	ck_assert_int_eq(1 + critbinom(512, pow(2, -2.0), 1 - alpha), 177);
	ck_assert_int_eq(1 + critbinom(512, pow(2, -8.0), 1 - alpha), 13);
}
END_TEST

/* sm: splitmix64 byte source standing in for a healthy noise source. */
static uint64_t sm_state = 1;
static uint8_t sm_byte(void)
{
	uint64_t z = (sm_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint8_t)(z ^ (z >> 31));
}

/* test_vrng_health_good_source: 4 MiB of well-mixed bytes pass, in odd chunks. */
START_TEST(test_vrng_health_good_source)
{
	static uint8_t buf[4099];
	struct vrng_health h;

	vrng_health_init(&h);
	ck_assert(!vrng_health_ready(&h));
	for (int i = 0; i < 1024; i++) {
		for (size_t j = 0; j < sizeof buf; j++)
			buf[j] = sm_byte();
		ck_assert_int_eq(vrng_health_feed(&h, buf, 1 + (size_t)i % sizeof buf), 0);
		ck_assert_int_eq(vrng_health_feed(&h, buf, sizeof buf), 0);
	}
	ck_assert(vrng_health_ready(&h));
	ck_assert_str_eq(vrng_health_reason(&h), "ok");
}
END_TEST

/* test_vrng_health_stuck: cutoff-1 equal samples pass, the cutoff-th fails (RCT),
 * the failure is sticky and init clears it. */
START_TEST(test_vrng_health_stuck)
{
	uint8_t same[VRNG_RCT_CUTOFF], other = 0x43;
	struct vrng_health h;

	memset(same, 0x42, sizeof same);
	vrng_health_init(&h);
	ck_assert_int_eq(vrng_health_feed(&h, same, VRNG_RCT_CUTOFF - 1), 0);
	ck_assert_int_eq(vrng_health_feed(&h, &other, 1), 0); /* run broken */
	ck_assert_int_eq(vrng_health_feed(&h, same, VRNG_RCT_CUTOFF - 1), 0);
	ck_assert_int_eq(vrng_health_feed(&h, same, 1), CAIRN_EIO);
	ck_assert_str_eq(vrng_health_reason(&h), "repetition count");
	ck_assert_int_eq(vrng_health_feed(&h, &other, 1), CAIRN_EIO);
	ck_assert(!vrng_health_ready(&h));
	vrng_health_init(&h);
	ck_assert_int_eq(vrng_health_feed(&h, &other, 1), 0);
}
END_TEST

/* biased_window: 512 samples starting with 0, with `zeros` zeros in all, never
 * more than two in a row (so the RCT stays quiet), the rest distinct non-zero. */
static void biased_window(uint8_t w[VRNG_APT_WINDOW], int zeros)
{
	int count = 1;

	w[0] = 0;
	for (int i = 1; i < VRNG_APT_WINDOW; i++) {
		if (count < zeros && i % 3 != 0) {
			w[i] = 0;
			count++;
		} else {
			w[i] = (uint8_t)(1 + i % 255);
		}
	}
	ck_assert_int_eq(count, zeros);
}

/* test_vrng_health_biased: a value at cutoff-1 per window passes for many windows;
 * at the cutoff the APT fails (not the RCT). */
START_TEST(test_vrng_health_biased)
{
	uint8_t w[VRNG_APT_WINDOW];
	struct vrng_health h;

	vrng_health_init(&h);
	biased_window(w, VRNG_APT_CUTOFF - 1);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(vrng_health_feed(&h, w, sizeof w), 0);
	ck_assert(vrng_health_ready(&h));
	biased_window(w, VRNG_APT_CUTOFF);
	ck_assert_int_eq(vrng_health_feed(&h, w, sizeof w), CAIRN_EIO);
	ck_assert_str_eq(vrng_health_reason(&h), "adaptive proportion");
	ck_assert(!vrng_health_ready(&h));
}
END_TEST

/* test_vrng_health_startup: ready only after VRNG_STARTUP_SAMPLES healthy samples. */
START_TEST(test_vrng_health_startup)
{
	uint8_t b[VRNG_STARTUP_SAMPLES];
	struct vrng_health h;

	for (size_t i = 0; i < sizeof b; i++)
		b[i] = sm_byte();
	vrng_health_init(&h);
	ck_assert_int_eq(vrng_health_feed(&h, b, sizeof b - 1), 0);
	ck_assert(!vrng_health_ready(&h));
	ck_assert_int_eq(vrng_health_feed(&h, b + sizeof b - 1, 1), 0);
	ck_assert(vrng_health_ready(&h));
}
END_TEST

/* health_suite: the virtio_rng health tests. */
static Suite *health_suite(void)
{
	Suite *s = suite_create("virtio_rng");
	TCase *tc = tcase_create("health");

	tcase_add_test(tc, test_vrng_health_cutoffs);
	tcase_add_test(tc, test_vrng_health_good_source);
	tcase_add_test(tc, test_vrng_health_stuck);
	tcase_add_test(tc, test_vrng_health_biased);
	tcase_add_test(tc, test_vrng_health_startup);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(health_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
