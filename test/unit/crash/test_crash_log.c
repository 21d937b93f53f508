/* The dm-log-writes parser on synthetic logs: writes, flushes and preflush
 * writes parse; every malformed log is refused with a reason, never read past. */
#include "crash_test_util.h"

static uint8_t sec[4][512];

/* parse: clog_parse over t with a 64-sector device. */
static int parse(struct tlog *t, struct clog *log, char *err)
{
	return clog_parse(log, t->buf, t->len, 64, false, err, 200);
}

/* test_crash_log_parses: writes and flushes come out in order with their data. */
START_TEST(test_crash_log_parses)
{
	struct tlog t;
	struct clog log;
	char err[200];
	memset(sec, 0xab, sizeof(sec));
	tlog_init(&t);
	tlog_entry(&t, 5, 2, 0, sec);
	tlog_entry(&t, 0, 0, CLOG_FLUSH, NULL);
	tlog_entry(&t, 9, 1, CLOG_FLUSH, sec); /* a preflush write: flush, then write */
	ck_assert_int_eq(parse(&t, &log, err), 0);
	ck_assert_uint_eq(log.nentries, 4);
	ck_assert_uint_eq(log.writes, 2);
	ck_assert_uint_eq(log.flushes, 2);
	ck_assert_int_eq(log.e[0].kind, CLOG_WRITE);
	ck_assert_uint_eq(log.e[0].sector, 5);
	ck_assert_uint_eq(log.e[0].nr_sectors, 2);
	ck_assert_ptr_eq(log.e[0].data, t.buf + 1024);
	ck_assert_int_eq(log.e[1].kind, CLOG_FLUSHED);
	ck_assert_int_eq(log.e[2].kind, CLOG_FLUSHED);
	ck_assert_int_eq(log.e[3].kind, CLOG_WRITE);
	ck_assert_uint_eq(log.e[3].sector, 9);
	clog_free(&log);
	free(t.buf);
}
END_TEST

/* expect_bad: parsing t fails with a reason containing what. */
static void expect_bad(struct tlog *t, const char *what)
{
	struct clog log;
	char err[200] = "";
	ck_assert_int_eq(parse(t, &log, err), CAIRN_EBADMSG);
	ck_assert_msg(strstr(err, what) != NULL, "reason '%s' lacks '%s'", err, what);
	ck_assert_ptr_null(log.e);
}

/* test_crash_log_rejects: every malformed log is refused with its reason. */
START_TEST(test_crash_log_rejects)
{
	struct tlog t;
	tlog_init(&t);
	tlog_entry(&t, 1, 1, 0, sec);
	t.buf[0] ^= 1;
	expect_bad(&t, "magic");
	t.buf[0] ^= 1;
	t.buf[8] = 2;
	expect_bad(&t, "version");
	t.buf[8] = 1;
	t.buf[25] = 3; /* 768: not a power of two */
	expect_bad(&t, "sector size");
	t.buf[25] = 2;
	put64(t.buf + 16, 99);
	expect_bad(&t, "claims 99 entries");
	put64(t.buf + 16, 1);
	t.len -= 100; /* the data is cut short */
	expect_bad(&t, "past the end");
	free(t.buf);

	static const struct {
		uint64_t sector, n, flags;
		const char *why;
	} bad[] = {
		{ 63, 2, 0, "outside" },	   { 1, 1, CLOG_FUA, "FUA" },
		{ 1, 1, CLOG_DISCARD, "discard" }, { 1, 0, CLOG_MARK, "mark" },
		{ 1, 1, 0x40, "unknown flags" },   { 1, 0, 0, "empty write" },
		{ UINT64_MAX, 1, 0, "outside" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tlog_init(&t);
		tlog_entry(&t, 0, 1, 0, sec);
		tlog_entry(&t, bad[i].sector, 0, bad[i].flags, NULL);
		/* Give the entry its data only when it claims some. */
		if (bad[i].n) {
			put64(t.buf + t.len - 512 + 8, bad[i].n);
			tlog_reserve(&t, bad[i].n * 512);
			memset(t.buf + t.len, 0, bad[i].n * 512);
			t.len += bad[i].n * 512;
		}
		expect_bad(&t, bad[i].why);
		free(t.buf);
	}
	/* A huge data count is caught before any arithmetic overflows. */
	tlog_init(&t);
	tlog_entry(&t, 0, 0, 0, NULL);
	put64(t.buf + 512 + 8, UINT64_MAX / 256);
	expect_bad(&t, "past the end");
	free(t.buf);
}
END_TEST

/* test_crash_log_truncations: every truncation of a valid log parses or is
 * refused (never read past: ASan checks it). */
START_TEST(test_crash_log_truncations)
{
	struct tlog t;
	tlog_init(&t);
	tlog_entry(&t, 3, 3, 0, sec);
	tlog_entry(&t, 0, 0, CLOG_FLUSH, NULL);
	tlog_entry(&t, 7, 1, 0, sec);
	for (size_t len = 0; len <= t.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, t.buf, len);
		struct clog log;
		char err[200];
		int rc = clog_parse(&log, copy, len, 64, false, err, sizeof(err));
		ck_assert(rc == 0 || rc == CAIRN_EBADMSG);
		ck_assert_int_eq(rc == 0, len == t.len);
		clog_free(&log);
		free(copy);
	}
	free(t.buf);
}
END_TEST

/* test_crash_log_scan: entries past the superblock's count (a killed QEMU)
 * are read only with scan, and a partial trailing entry ends the scan. */
START_TEST(test_crash_log_scan)
{
	struct tlog t;
	struct clog log;
	char err[200];
	tlog_init(&t);
	tlog_entry(&t, 1, 1, 0, sec);
	tlog_entry(&t, 0, 0, CLOG_FLUSH, NULL);
	tlog_entry(&t, 2, 2, 0, sec);
	put64(t.buf + 16, 1);
	ck_assert_int_eq(clog_parse(&log, t.buf, t.len, 64, false, err, sizeof(err)), 0);
	ck_assert_uint_eq(log.nentries, 1);
	clog_free(&log);
	ck_assert_int_eq(clog_parse(&log, t.buf, t.len, 64, true, err, sizeof(err)), 0);
	ck_assert_uint_eq(log.nentries, 3);
	ck_assert_uint_eq(log.e[2].sector, 2);
	clog_free(&log);
	ck_assert_int_eq(clog_parse(&log, t.buf, t.len - 512, 64, true, err, sizeof(err)), 0);
	ck_assert_uint_eq(log.nentries, 2); /* the cut write is not read */
	clog_free(&log);
	free(t.buf);
}
END_TEST

/* main: the parser tests. */
int main(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("log");
	tcase_add_test(tc, test_crash_log_parses);
	tcase_add_test(tc, test_crash_log_rejects);
	tcase_add_test(tc, test_crash_log_truncations);
	tcase_add_test(tc, test_crash_log_scan);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
