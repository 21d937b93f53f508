/* bootctl records byte by byte: the documented layout, round trips, every single-bit
 * flip refused, and a table of records with a correct CRC but impossible contents
 * (each refused with its reason: a CRC is not a promise that the fields make sense). */
#include "bctl_testutil.h"
#include "crypto.h"

/* sample: a state with every field non-trivial. */
static struct bootctl_state sample(void)
{
	struct bootctl_state s = { .seq = 0x0102030405060708ull,
				   .min_release = 77,
				   .last_good = 1 };
	s.slot[0] = (struct bootctl_slot){ .priority = 14,
					   .tries = 2,
					   .reason = BOOTCTL_R_VERIFY,
					   .release = 0x1122334455667788ull };
	s.slot[1] = (struct bootctl_slot){ .priority = 15, .successful = true, .release = 77 };
	return s;
}

START_TEST(test_bootctl_control_layout)
{
	struct bootctl_state s = sample(), d;
	uint8_t b[BOOTCTL_CONTROL_SIZE];
	bootctl_control_encode(&s, b);
	ck_assert(memcmp(b, "CAIRNBCT", 8) == 0);
	ck_assert_int_eq(b[8] | b[9] << 8, 1);	   /* version */
	ck_assert_int_eq(b[10] | b[11] << 8, 64);  /* size */
	ck_assert_int_eq(b[12], 1);		   /* last_good */
	ck_assert_int_eq(b[16], 0x08);		   /* seq, LE */
	ck_assert_int_eq(b[24], 77);		   /* min_release */
	ck_assert_int_eq(b[32], 14);		   /* slot a priority */
	ck_assert_int_eq(b[33], 2);		   /* tries */
	ck_assert_int_eq(b[34], 0);		   /* flags */
	ck_assert_int_eq(b[35], BOOTCTL_R_VERIFY); /* reason */
	ck_assert_int_eq(b[36], 0x88);		   /* release, LE */
	ck_assert_int_eq(b[44], 15);		   /* slot b priority */
	ck_assert_int_eq(b[46], 1);		   /* successful */
	uint32_t crc = (uint32_t)b[60] | (uint32_t)b[61] << 8 | (uint32_t)b[62] << 16 |
		       (uint32_t)b[63] << 24;
	ck_assert_uint_eq(crc, crypto_crc32c(0, b, 60));
	ck_assert_ptr_null(bootctl_control_decode(b, sizeof(b), &d));
	ck_assert(d.seq == s.seq && d.min_release == s.min_release && d.last_good == 1);
	for (int i = 0; i < 2; i++)
		ck_assert(d.slot[i].priority == s.slot[i].priority &&
			  d.slot[i].tries == s.slot[i].tries &&
			  d.slot[i].successful == s.slot[i].successful &&
			  d.slot[i].reason == s.slot[i].reason &&
			  d.slot[i].release == s.slot[i].release);
}
END_TEST

START_TEST(test_bootctl_confirmed_layout)
{
	struct bootctl_confirmed c = { .seq = 9,
				       .min_release = 77,
				       .good_release = 70,
				       .last_good = 0 },
				 d;
	uint8_t b[BOOTCTL_CONFIRMED_SIZE];
	bootctl_confirmed_encode(&c, b);
	ck_assert(memcmp(b, "CAIRNBCC", 8) == 0);
	ck_assert_int_eq(b[10], 48);
	ck_assert_int_eq(b[12], 0);
	ck_assert_int_eq(b[16], 9);
	ck_assert_int_eq(b[24], 77);
	ck_assert_int_eq(b[32], 70);
	ck_assert_ptr_null(bootctl_confirmed_decode(b, sizeof(b), &d));
	ck_assert(d.seq == 9 && d.min_release == 77 && d.good_release == 70 && d.last_good == 0);
}
END_TEST

/* Every single-bit flip anywhere in either record is refused. */
START_TEST(test_bootctl_records_every_bit_flip_refused)
{
	struct bootctl_state s = sample(), d;
	struct bootctl_confirmed c = { .seq = 9,
				       .min_release = 77,
				       .good_release = 77,
				       .last_good = 1 },
				 e;
	uint8_t b[BOOTCTL_CONTROL_SIZE], f[BOOTCTL_CONFIRMED_SIZE];
	bootctl_control_encode(&s, b);
	bootctl_confirmed_encode(&c, f);
	for (size_t bit = 0; bit < sizeof(b) * 8; bit++) {
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(bootctl_control_decode(b, sizeof(b), &d), "control bit %zu accepted",
			      bit);
		b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < sizeof(f) * 8; bit++) {
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(bootctl_confirmed_decode(f, sizeof(f), &e),
			      "confirmed bit %zu accepted", bit);
		f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	ck_assert_ptr_nonnull(bootctl_control_decode(b, sizeof(b) - 1, &d));
	ck_assert_ptr_nonnull(bootctl_confirmed_decode(f, sizeof(f) - 1, &e));
	ck_assert_ptr_null(bootctl_control_decode(b, sizeof(b), &d));
}
END_TEST

/* One control record with a valid CRC and a bad field. */
struct bad_rec {
	size_t off;	    /* byte to set */
	uint8_t val;	    /* its value */
	const char *reason; /* expected reason */
};

static const struct bad_rec bad_control[] = {
	{ 8, 2, "control record version" },
	{ 10, 65, "control record version" },
	{ 13, 1, "control record reserved bytes" },
	{ 57, 1, "control record reserved bytes" },
	{ 12, 2, "last confirmed slot out of range" },
	{ 12, 0, "last confirmed slot is not successful" }, /* slot a is not successful */
	{ 32, 16, "slot priority out of range" },
	{ 33, 8, "slot tries out of range" },
	{ 34, 2, "unknown slot flags" },
	{ 35, BOOTCTL_R_COUNT, "unknown failure reason" },
	{ 34, 1, "successful slot with tries" }, /* slot a successful with tries 2 */
	{ 12, 0xff, "successful slot is not the last confirmed one" },
	{ 45, 1, "successful slot with tries" }, /* slot b successful with tries 1 */
	{ 44, 0, "successful slot with tries" }, /* slot b successful without priority */
	{ 47, BOOTCTL_R_ROLLBACK, "successful slot with tries" }, /* and a failure */
};

START_TEST(test_bootctl_control_bad_fields_refused)
{
	struct bootctl_state s = sample(), d;
	uint8_t b[BOOTCTL_CONTROL_SIZE];
	const struct bad_rec *c = &bad_control[_i];
	bootctl_control_encode(&s, b);
	b[c->off] = c->val;
	uint32_t crc = crypto_crc32c(0, b, 60);
	for (int i = 0; i < 4; i++)
		b[60 + i] = (uint8_t)(crc >> (8 * i));
	const char *why = bootctl_control_decode(b, sizeof(b), &d);
	ck_assert_msg(why && strstr(why, c->reason), "byte %zu = %u: '%s', want '%s'", c->off,
		      c->val, why ? why : "accepted", c->reason);
}
END_TEST

START_TEST(test_bootctl_confirmed_bad_fields_refused)
{
	static const struct bad_rec bad[] = {
		{ 12, 3, "confirmed slot out of range" },
		{ 12, 0xff, "confirmed release inconsistent" }, /* none, but a release */
		{ 32, 78, "confirmed release inconsistent" },	/* above the floor */
		{ 41, 1, "confirmed record reserved bytes" },
		{ 9, 1, "confirmed record version" },
	};
	struct bootctl_confirmed c = { .seq = 9,
				       .min_release = 77,
				       .good_release = 77,
				       .last_good = 1 },
				 e;
	uint8_t f[BOOTCTL_CONFIRMED_SIZE];
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		bootctl_confirmed_encode(&c, f);
		f[bad[k].off] = bad[k].val;
		uint32_t crc = crypto_crc32c(0, f, 44);
		for (int i = 0; i < 4; i++)
			f[44 + i] = (uint8_t)(crc >> (8 * i));
		const char *why = bootctl_confirmed_decode(f, sizeof(f), &e);
		ck_assert_msg(why && strstr(why, bad[k].reason), "case %zu: '%s'", k,
			      why ? why : "accepted");
	}
}
END_TEST

START_TEST(test_bootctl_names)
{
	ck_assert_str_eq(bootctl_slot_name(BOOTCTL_SLOT_A), "a");
	ck_assert_str_eq(bootctl_slot_name(BOOTCTL_SLOT_B), "b");
	ck_assert_str_eq(bootctl_slot_name(BOOTCTL_SLOT_NONE), "none");
	ck_assert_str_eq(bootctl_slot_name(BOOTCTL_SLOT_ANY), "any");
	ck_assert_str_eq(bootctl_reason_name(BOOTCTL_R_TRIES), "tries-exhausted");
	ck_assert_str_eq(bootctl_reason_name(BOOTCTL_R_COUNT), "?");
	ck_assert_str_eq(bootctl_load_name(BOOTCTL_LOAD_CONFIRMED), "control-damaged");
}
END_TEST

/* record_suite: the test cases of this file. */
static Suite *record_suite(void)
{
	Suite *s = suite_create("bootctl_record");
	TCase *tc = tcase_create("record");
	tcase_add_test(tc, test_bootctl_control_layout);
	tcase_add_test(tc, test_bootctl_confirmed_layout);
	tcase_add_test(tc, test_bootctl_records_every_bit_flip_refused);
	tcase_add_loop_test(tc, test_bootctl_control_bad_fields_refused, 0,
			    (int)(sizeof(bad_control) / sizeof(bad_control[0])));
	tcase_add_test(tc, test_bootctl_confirmed_bad_fields_refused);
	tcase_add_test(tc, test_bootctl_names);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void) { return run_suite(record_suite()); }
