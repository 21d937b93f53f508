/* Two statefs defects the crash campaign found (docs/crash-testing.md, "Findings"),
 * reproduced directly on the host engine. Registered with should_fail until the
 * statefs engine fixes land (the harden branch owns replay and the tail write);
 * then each must pass and should_fail goes.
 *
 * 1. crash_known_torn_tail_sector: a sync rewrites the partial tail sector, which
 *    already holds synced records, as the first sector of a multi-sector write.
 *    A power cut that leaves that sector garbage loses the synced records.
 *    Campaign recipe (seed 1, 2 boots x 300 ops, 512 sectors): torn:12:t0.
 * 2. crash_known_garbage_epoch: replay checks a record's epoch before its CRC, so
 *    a torn record whose epoch bytes are garbage stops replay as bad-epoch
 *    ("records of a newer superblock may follow") instead of a torn tail; the
 *    image then serves the store read-only for good. Recipe: torn:18:t55. */
#include "crash_test_util.h"

#define K1 "/state/selftest/crash/k01"
#define K2 "/state/selftest/crash/k02"

/* setup: a formatted store holding K1 (100 bytes), synced, on a logging device. */
static struct statefs *setup(struct logdev *l, uint8_t *v1)
{
	logdev_init(l, 64, false);
	struct statefs_config cfg = { .bdev = &l->dev, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	struct statefs *fs;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), 0);
	memset(v1, 0x11, 100);
	ck_assert_int_eq(statefs_put(fs, K1, v1, 100), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	return fs;
}

/* k1_survives: mount img read-only; K1 holds v1. */
static void k1_survives(uint8_t *img, const uint8_t *v1, struct statefs_replay_report *rep)
{
	struct blkdev bd;
	cs_memdev(&bd, img, 64);
	struct statefs_config cfg = { .bdev = &bd, .flags = STATEFS_MOUNT_READ_ONLY };
	struct statefs *fs;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, rep), 0);
	uint8_t got[100];
	int n = statefs_get(fs, K1, got, sizeof(got));
	statefs_abandon(fs);
	ck_assert_msg(n == 100 && memcmp(got, v1, 100) == 0,
		      "synced key lost after a torn write (get: %d, replay stop %s)", n,
		      statefs_stop_reason_name(rep->stop_reason));
}

/* test_crash_known_torn_tail_sector: the next sync's multi-sector write tears
 * with its first sector garbage: the synced K1 must survive. */
START_TEST(test_crash_known_torn_tail_sector)
{
	struct logdev l;
	uint8_t v1[100], v2[1500], *before = malloc(64 * 512);
	struct statefs *fs = setup(&l, v1);
	memcpy(before, l.mem.data, 64 * 512);
	size_t mark = l.log.len;
	memset(v2, 0x22, sizeof(v2));
	ck_assert_int_eq(statefs_put(fs, K2, v2, sizeof(v2)), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	/* The first entry after the mark is the sync's write. */
	const uint8_t *h = l.log.buf + mark;
	uint64_t sector = 0, n = 0;
	for (int i = 7; i >= 0; i--) {
		sector = sector << 8 | h[i];
		n = n << 8 | h[8 + i];
	}
	ck_assert_uint_ge(n, 2);
	memcpy(before + sector * 512, h + 512, n * 512);
	memset(before + sector * 512, 0x5a, 512); /* the first sector: garbage */
	struct statefs_replay_report rep;
	k1_survives(before, v1, &rep);
	free(before);
	logdev_fini(&l);
}
END_TEST

/* test_crash_known_garbage_epoch: K2's record header torn so that its epoch
 * bytes are garbage: replay must call it a torn record, not a newer epoch. */
START_TEST(test_crash_known_garbage_epoch)
{
	struct logdev l;
	uint8_t v1[100], v2[100];
	struct statefs *fs = setup(&l, v1);
	memset(v2, 0x22, sizeof(v2));
	ck_assert_int_eq(statefs_put(fs, K2, v2, sizeof(v2)), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	statefs_abandon(fs);
	uint8_t *img = malloc(64 * 512);
	memcpy(img, l.mem.data, 64 * 512);
	/* K2's record in region A: its magic "SFR1" with K2 as its key. */
	size_t off = 2 * 512;
	while (off + 32 + strlen(K2) < 64 * 512 &&
	       (memcmp(img + off, "SFR1", 4) != 0 || memcmp(img + off + 32, K2, strlen(K2)) != 0))
		off++;
	ck_assert_uint_lt(off + 32 + strlen(K2), 64 * 512);
	memset(img + off + 12, 0xee, 8); /* epoch: garbage */
	struct statefs_replay_report rep;
	k1_survives(img, v1, &rep);
	ck_assert(!rep.clean);
	ck_assert_msg(rep.stop_reason != STATEFS_STOP_BAD_EPOCH, "a torn record with garbage epoch "
								 "bytes was taken for a newer "
								 "epoch");
	free(img);
	logdev_fini(&l);
}
END_TEST

/* main: run the reproducer named by argv[1] ("tail" or "epoch"). */
int main(int argc, char **argv)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("known");
	if (argc > 1 && strcmp(argv[1], "tail") == 0)
		tcase_add_test(tc, test_crash_known_torn_tail_sector);
	else
		tcase_add_test(tc, test_crash_known_garbage_epoch);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
