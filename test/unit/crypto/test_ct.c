/* Timing-independence checks (dudect-style) for the functions that handle
 * secrets: for each, inputs of two classes (one fixed, one random) are measured
 * in random interleaved order, the slowest 10% of all samples (preemption, cache
 * misses of a loaded machine) are dropped, and Welch's t statistic compares the
 * two classes' mean time. |t| above CT_T_LEAK means the time depends on the
 * class. Noise hits both classes alike (the order is random), so on a loaded
 * machine t only loses precision; a genuine dependence grows with the sample
 * count. A function passes when one of CT_ATTEMPTS attempts stays below the
 * threshold, which bounds the chance of a spurious failure.
 *
 * The test proves it can fail: an early-exit comparison (memcmp style) must be
 * caught, and the same source built against a deliberately leaky library
 * (CRYPTO_CT_TEST_LEAK: the fixed-base multiplication skips the addition for a
 * zero digit, the classic mistake) must be caught on [a]B. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "crypto_internal.h"
#include "crypto_test_util.h"

#define CT_T_LEAK 10.0 /* dudect's threshold for "definitely not constant time" */
#define CT_ATTEMPTS 3
#define CT_CROP 0.90 /* keep the fastest 90% of the samples */

/* One measured operation on input i of a prepared set. */
typedef void (*ct_op_fn)(size_t i);

/* now_ns: monotonic time in nanoseconds. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* cmp_u64: qsort order for the crop threshold. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* ct_measure: run op on inputs 0..n-1 (class[i] says which class input i is; the
 * caller prepared the inputs in that order) and return Welch's t of the cropped
 * samples, fixed class against random class. */
static double ct_measure(ct_op_fn op, const uint8_t *cls, size_t n)
{
	uint64_t *t = malloc(n * sizeof *t), *sorted = malloc(n * sizeof *t);

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(sorted);
	for (size_t i = 0; i < n && i < 16; i++)
		op(i); /* warm-up: caches, lazy binding */
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		op(i);
		t[i] = now_ns() - t0;
	}
	memcpy(sorted, t, n * sizeof *t);
	qsort(sorted, n, sizeof *sorted, cmp_u64);
	uint64_t cut = sorted[(size_t)((double)n * CT_CROP)];
	double sum[2] = { 0, 0 }, sq[2] = { 0, 0 }, cnt[2] = { 0, 0 };
	for (size_t i = 0; i < n; i++) {
		if (t[i] > cut)
			continue;
		double x = (double)t[i];
		sum[cls[i]] += x;
		sq[cls[i]] += x * x;
		cnt[cls[i]] += 1;
	}
	free(t);
	free(sorted);
	ck_assert(cnt[0] > 10 && cnt[1] > 10);
	double m0 = sum[0] / cnt[0], m1 = sum[1] / cnt[1];
	double v0 = (sq[0] - cnt[0] * m0 * m0) / (cnt[0] - 1);
	double v1 = (sq[1] - cnt[1] * m1 * m1) / (cnt[1] - 1);
	double se = sqrt(v0 / cnt[0] + v1 / cnt[1]);
	if (se == 0)
		return m0 == m1 ? 0 : INFINITY;
	return (m0 - m1) / se;
}

/* The prepared inputs: class per sample, and per-sample buffers. */
#define CT_MAX 20000
static uint8_t ct_cls[CT_MAX];
static uint8_t *ct_in; /* n * ct_stride bytes */
static size_t ct_stride;
static uint8_t ct_ref[4096]; /* what ct_equal compares against */
static volatile uint64_t ct_sink;

/* ct_prepare: n inputs of stride bytes: class 0 gets fixed(i), class 1 random. */
static void ct_prepare(size_t n, size_t stride, void (*fixed)(uint8_t *p, size_t len))
{
	free(ct_in);
	ct_in = malloc(n * stride);
	ck_assert_ptr_nonnull(ct_in);
	ct_stride = stride;
	for (size_t i = 0; i < n; i++) {
		ct_cls[i] = (uint8_t)(tu_next() & 1);
		if (ct_cls[i] == 0)
			fixed(ct_in + i * stride, stride);
		else
			tu_fill(ct_in + i * stride, stride);
	}
}

/* ct_run: the attempt loop; true when some attempt had |t| below the threshold.
 * *best_t is the smallest |t| seen (the evidence reported on failure). */
static bool ct_run(const char *name, ct_op_fn op, size_t n, size_t stride,
		   void (*fixed)(uint8_t *p, size_t len), double *best_t)
{
	*best_t = INFINITY;
	for (int a = 0; a < CT_ATTEMPTS; a++) {
		tu_seed(name, (uint64_t)a + 1);
		ct_prepare(n, stride, fixed);
		double t = fabs(ct_measure(op, ct_cls, n));
		printf("%s: attempt %d: n=%zu |t|=%.2f (leak above %.0f)\n", name, a + 1, n, t,
		       CT_T_LEAK);
		*best_t = t < *best_t ? t : *best_t;
		if (t < CT_T_LEAK)
			return true;
	}
	return false;
}

/* fixed_zero: the fixed class is all zero bytes. */
static void fixed_zero(uint8_t *p, size_t len) { memset(p, 0, len); }

/* fixed_ref: the fixed class equals ct_ref (a comparison runs to the end). */
static void fixed_ref(uint8_t *p, size_t len) { memcpy(p, ct_ref, len); }

/* op_ct_equal: crypto_ct_equal of input i against ct_ref. */
static void op_ct_equal(size_t i)
{
	ct_sink += crypto_ct_equal(ct_in + i * ct_stride, ct_ref, ct_stride);
}

/* leaky_equal: an early-exit comparison, the kind crypto_ct_equal must not be. */
static bool leaky_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;

	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* op_leaky_equal: leaky_equal of input i against ct_ref. */
static void op_leaky_equal(size_t i)
{
	ct_sink += leaky_equal(ct_in + i * ct_stride, ct_ref, ct_stride);
}

/* op_base: encode([a]B) for the 32-byte secret scalar of input i (top bit
 * cleared: the function's domain is a < 2^255). */
static void op_base(size_t i)
{
	uint8_t a[32], out[32];

	memcpy(a, ct_in + i * ct_stride, 32);
	a[31] &= 127;
	crypto_ed25519_base_encode(out, a);
	ct_sink += out[0];
}

#if !defined(CRYPTO_CT_TEST_LEAK)
/* op_sign: sign a fixed message with the seed of input i. */
static void op_sign(size_t i)
{
	uint8_t sig[64];

	crypto_ed25519_sign(sig, "cairn", 5, ct_in + i * ct_stride, NULL);
	ct_sink += sig[0];
}

/* op_muladd: S = k a + r mod L with secret a and r from input i (k fixed). */
static void op_muladd(size_t i)
{
	static const uint8_t k[32] = { 0x5a, 0x11, 0x77 };
	uint8_t out[32];
	const uint8_t *p = ct_in + i * ct_stride;

	crypto_sc_muladd(out, k, p, p + 32);
	ct_sink += out[0];
}

/* op_hmac: HMAC-SHA256 of a fixed message under the 32-byte key of input i. */
static void op_hmac(size_t i)
{
	uint8_t mac[32];

	crypto_hmac_sha256(ct_in + i * ct_stride, 32, "cairn", 5, mac);
	ct_sink += mac[0];
}
#endif

/* ct_init_ref: a random comparison reference. */
static void ct_init_ref(void)
{
	tu_seed("ct_ref", 1);
	tu_fill(ct_ref, sizeof ct_ref);
}

/* test_ct_detects_early_exit: the statistic catches an early-exit comparison
 * (equal inputs scan 4096 bytes, random ones stop at the first byte). */
START_TEST(test_ct_detects_early_exit)
{
	double t;

	ct_init_ref();
	ck_assert_msg(!ct_run("ct_leaky_equal", op_leaky_equal, 4000, 4096, fixed_ref, &t),
		      "early-exit comparison not detected (|t| = %.1f)", t);
}
END_TEST

/* test_ct_equal: crypto_ct_equal takes the same time for equal inputs and for
 * inputs that differ from the first byte on. */
START_TEST(test_ct_equal)
{
	double t;

	ct_init_ref();
	ck_assert_msg(ct_run("ct_equal", op_ct_equal, 4000, 4096, fixed_ref, &t),
		      "crypto_ct_equal timing depends on the data (|t| = %.1f)", t);
}
END_TEST

#if !defined(CRYPTO_CT_TEST_LEAK)
/* test_ct_base: [a]B takes the same time for a = 0 (every digit zero: every
 * table scan selects the identity) as for random scalars. */
START_TEST(test_ct_base)
{
	double t;

	ck_assert_msg(ct_run("ct_base", op_base, 3000, 32, fixed_zero, &t),
		      "[a]B timing depends on a (|t| = %.1f)", t);
}
END_TEST

/* test_ct_sign: signing takes the same time for the all-zero seed as for random
 * seeds (one message). */
START_TEST(test_ct_sign)
{
	double t;

	ck_assert_msg(ct_run("ct_sign", op_sign, 1500, 32, fixed_zero, &t),
		      "signing timing depends on the seed (|t| = %.1f)", t);
}
END_TEST

/* test_ct_muladd: S = k a + r mod L takes the same time for a = r = 0. */
START_TEST(test_ct_muladd)
{
	double t;

	ck_assert_msg(ct_run("ct_muladd", op_muladd, 20000, 64, fixed_zero, &t),
		      "sc_muladd timing depends on a, r (|t| = %.1f)", t);
}
END_TEST

/* test_ct_hmac: HMAC-SHA256 takes the same time for the all-zero key. */
START_TEST(test_ct_hmac)
{
	double t;

	ck_assert_msg(ct_run("ct_hmac", op_hmac, 8000, 32, fixed_zero, &t),
		      "HMAC timing depends on the key (|t| = %.1f)", t);
}
END_TEST
#else
/* test_ct_detects_leaky_base: built against the leaky library, the statistic
 * catches [a]B skipping zero digits. */
START_TEST(test_ct_detects_leaky_base)
{
	double t;

	ck_assert_msg(!ct_run("ct_base", op_base, 3000, 32, fixed_zero, &t),
		      "leaky [a]B not detected (|t| = %.1f)", t);
}
END_TEST

#endif

/* ct_suite: the timing cases. */
static Suite *ct_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("ct");

	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, test_ct_detects_early_exit);
	tcase_add_test(tc, test_ct_equal);
#if !defined(CRYPTO_CT_TEST_LEAK)
	tcase_add_test(tc, test_ct_base);
	tcase_add_test(tc, test_ct_sign);
	tcase_add_test(tc, test_ct_muladd);
	tcase_add_test(tc, test_ct_hmac);
#else
	tcase_add_test(tc, test_ct_detects_leaky_base);
#endif
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite; exit status is the failure count (capped). */
int main(void)
{
	SRunner *sr = srunner_create(ct_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(ct_in);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
