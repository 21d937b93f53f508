/* virtio-rng request loop against a scripted device: partial fills assemble the
 * request, an over-long used length is clamped (the bytes past the offer are
 * never used), empty fills are bounded, a timeout or a transport error or a
 * failed health test fails the source for good, and out is written only with
 * tested bytes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "vrng_core.h"

/* The scripted device: each exchange fills `give` bytes (or claims `claim`). */
struct dev {
	uint64_t state;
	uint32_t give; /* bytes actually written per exchange (<= offer) */
	int64_t claim; /* used length reported; -1: what was written */
	int wait_err;  /* error returned by wait from exchange `err_at` on */
	unsigned err_at, exchanges;
	bool stuck; /* write a constant */
	uint8_t *last_buf;
	uint32_t last_len;
};

static struct dev D;

static int d_submit(void *ctx, void *buf, uint32_t len)
{
	(void)ctx;
	D.last_buf = buf;
	D.last_len = len;
	return 0;
}

static int d_wait(void *ctx, uint32_t *used, uint64_t timeout_us)
{
	(void)ctx;
	ck_assert_uint_eq(timeout_us, VRNG_TIMEOUT_US);
	if (D.wait_err && ++D.exchanges > D.err_at)
		return D.wait_err;
	uint32_t n = D.give < D.last_len ? D.give : D.last_len;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t z = (D.state += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		D.last_buf[i] = D.stuck ? 0x5a : (uint8_t)(z ^ (z >> 31));
	}
	*used = D.claim >= 0 ? (uint32_t)D.claim : n;
	return 0;
}

static const struct vrng_xfer XFER = { .submit = d_submit, .wait = d_wait };

static void dev_reset(uint32_t give)
{
	memset(&D, 0, sizeof D);
	D.state = 77;
	D.give = give;
	D.claim = -1;
}

/* test_vrng_partial_fills: 3-byte fills assemble a 100-byte read. */
START_TEST(test_vrng_partial_fills)
{
	static struct vrng r;
	uint8_t out[100];

	dev_reset(3);
	ck_assert_int_eq(vrng_start(&r, &XFER), 0);
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
	ck_assert_uint_eq(r.bytes, 100);
	ck_assert_uint_gt(r.partial, 0);
	dev_reset(VRNG_CHUNK);
	ck_assert_int_eq(vrng_start(&r, &XFER), 0);
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
	ck_assert_uint_eq(r.partial, 0);
}
END_TEST

/* test_vrng_used_length_clamped: a device claiming more than offered gets only
 * the offer counted; nothing past the buffer is read (ASan would see it). */
START_TEST(test_vrng_used_length_clamped)
{
	static struct vrng r;
	uint8_t out[600];

	dev_reset(VRNG_CHUNK);
	D.claim = 1u << 30;
	ck_assert_int_eq(vrng_start(&r, &XFER), 0);
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), 0);
	ck_assert_uint_gt(r.clamped, 0);
	ck_assert_uint_eq(r.bytes, sizeof out);
}
END_TEST

/* test_vrng_empty_fills_bounded: a device that answers with nothing fails
 * after VRNG_MAX_EMPTY exchanges instead of spinning. */
START_TEST(test_vrng_empty_fills_bounded)
{
	static struct vrng r;

	dev_reset(0);
	ck_assert_int_eq(vrng_start(&r, &XFER), CAIRN_EIO);
	ck_assert(r.failed);
	ck_assert_str_eq(r.why, "device returns no data");
}
END_TEST

/* test_vrng_timeout_fails_for_good: a timeout is an error, never a hang, and the
 * source stays failed even when the device recovers; out is untouched. */
START_TEST(test_vrng_timeout_fails_for_good)
{
	static struct vrng r;
	uint8_t out[64];

	dev_reset(VRNG_CHUNK);
	ck_assert_int_eq(vrng_start(&r, &XFER), 0);
	D.wait_err = CAIRN_ETIMEDOUT;
	D.err_at = 0;
	memset(out, 0xcc, sizeof out);
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_ETIMEDOUT);
	ck_assert(r.failed);
	for (size_t i = 0; i < sizeof out; i++)
		ck_assert_uint_eq(out[i], 0xcc);
	D.wait_err = 0;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_EIO);
	dev_reset(VRNG_CHUNK);
	D.wait_err = CAIRN_EIO;
	D.err_at = 2;
	ck_assert_int_eq(vrng_start(&r, &XFER), CAIRN_EIO);
	ck_assert_str_eq(r.why, "device error");
}
END_TEST

/* test_vrng_stuck_source_refused: a constant stream fails the start-up test;
 * one that goes stuck later fails the read, and is never used again. */
START_TEST(test_vrng_stuck_source_refused)
{
	static struct vrng r;
	uint8_t out[64];

	dev_reset(VRNG_CHUNK);
	D.stuck = true;
	ck_assert_int_eq(vrng_start(&r, &XFER), CAIRN_EIO);
	ck_assert_str_eq(r.why, "health test failed: repetition count");
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_EIO);
	dev_reset(VRNG_CHUNK);
	ck_assert_int_eq(vrng_start(&r, &XFER), 0);
	D.stuck = true;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_EIO);
	D.stuck = false;
	ck_assert_int_eq(vrng_read(&r, out, sizeof out), CAIRN_EIO);
	ck_assert(r.failed);
}
END_TEST

/* core_suite: the virtio_rng request-loop tests. */
static Suite *core_suite(void)
{
	Suite *s = suite_create("virtio_rng");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_vrng_partial_fills);
	tcase_add_test(tc, test_vrng_used_length_clamped);
	tcase_add_test(tc, test_vrng_empty_fills_bounded);
	tcase_add_test(tc, test_vrng_timeout_fails_for_good);
	tcase_add_test(tc, test_vrng_stuck_source_refused);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(core_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
