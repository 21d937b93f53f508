/* The crash campaign's generator and oracle on synthetic logs recorded from the
 * host statefs engine: the workload is deterministic, recipes round-trip and
 * rebuild exactly the state the campaign checked, a correct store passes every
 * prefix and subset state, and the oracle catches a device that drops flushes,
 * rollbacks, invented, mixed and foreign values. */
#include "crash_test_util.h"

#define SECTORS 512u
#define SEED 7u

/* test_crash_workload_deterministic: same seed, same ops; deletes name present
 * keys; batch keys are distinct; values carry their op index; keys round-trip. */
START_TEST(test_crash_workload_deterministic)
{
	struct cw_gen a, b, c;
	struct cw_op x, y, z;
	cw_init(&a, 42);
	cw_init(&b, 42);
	cw_init(&c, 43);
	uint64_t present = 0, differ = 0, kinds[6] = { 0 };
	for (unsigned i = 0; i < 3000; i++) {
		cw_next(&a, &x);
		cw_next(&b, &y);
		cw_next(&c, &z);
		ck_assert(memcmp(&x, &y, sizeof(x)) == 0);
		differ += memcmp(&x, &z, sizeof(x)) != 0;
		ck_assert_uint_eq(x.index, i);
		kinds[x.kind]++;
		uint64_t used = 0;
		for (unsigned j = 0; j < x.n; j++) {
			const struct cw_sub *s = &x.sub[j];
			ck_assert(!(used & (1ull << s->key)));
			used |= 1ull << s->key;
			if (s->del) {
				ck_assert(present & (1ull << s->key));
				present &= ~(1ull << s->key);
			} else {
				ck_assert(s->len >= 8 && s->len <= CW_VALUE_MAX);
				if (s->key < CW_KEYS)
					present |= 1ull << s->key;
			}
		}
	}
	ck_assert_uint_gt(differ, 2000);
	for (int k = CW_PUT; k <= CW_RESTART; k++)
		ck_assert_uint_gt(kinds[k], 10);
	uint8_t v1[64], v2[64];
	cw_value(1, 77, 3, 64, v1);
	cw_value(1, 78, 3, 64, v2);
	ck_assert_uint_eq(v1[0], 77);
	ck_assert(memcmp(v1 + 8, v2 + 8, 56) != 0);
	char key[CW_KEY_LEN_MAX];
	for (unsigned k = 0; k < CW_NKEYS; k++) {
		size_t n = cw_key(k, key);
		ck_assert_uint_eq(n, strlen(key));
		ck_assert_int_eq(statefs_key_check(key, n), 0);
		ck_assert_int_eq(cw_key_index(key, n), (int)k);
	}
	ck_assert_int_eq(cw_key_index("/state/selftest/crash/k48", 25), -1);
	ck_assert_int_eq(cw_key_index("/state/selftest/crash/x01", 25), -1);
}
END_TEST

/* test_crash_recipes: recipes print and parse back; malformed ones are refused. */
START_TEST(test_crash_recipes)
{
	static const char *good[] = { "prefix:0",
				      "prefix:123",
				      "subset:4:9:m1f:f",
				      "subset:4:9:m1f:r",
				      "subset:10:99:r12345",
				      "torn:7:x80",
				      "torn:7:r99",
				      "torn:7:t3" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cs_spec sp;
		char buf[CS_RECIPE_MAX];
		ck_assert_int_eq(cs_parse_recipe(good[i], &sp), 0);
		cs_recipe(&sp, buf, sizeof(buf));
		ck_assert_str_eq(buf, good[i]);
	}
	static const char *bad[] = { "",	   "prefix:",	      "prefix:-1",     "prefix:1x",
				     "subset:1:2", "subset:1:2:m3:x", "subset:1:2:q3", "torn:1",
				     "torn:1:y2",  "torn:1:x",	      "other:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cs_spec sp;
		ck_assert_msg(cs_parse_recipe(bad[i], &sp) == CAIRN_EINVAL, "%s accepted", bad[i]);
	}
}
END_TEST

/* A recorded host campaign: log, model and campaign state. */
struct rec {
	struct logdev dev;
	struct clog log;
	struct cm_model m;
	uint8_t *blank;
	uint64_t starts[4];
	struct cs_camp c;
};

/* rec_make: record 2 boots of the workload on a logging device and set up the
 * campaign (torn states only when torn). */
static void rec_make(struct rec *r, bool skip_flush, bool torn)
{
	char err[200];
	logdev_init(&r->dev, SECTORS, skip_flush);
	uint64_t nops = host_record(&r->dev, SEED, 2, 150, r->starts);
	ck_assert_int_eq(clog_parse(&r->log, r->dev.log.buf, r->dev.log.len, SECTORS, false, err,
				    sizeof(err)),
			 0);
	ck_assert_int_eq(cm_build(&r->m, SEED, nops), 0);
	ck_assert_uint_eq(r->m.nops, nops);
	r->blank = calloc(SECTORS, 512);
	struct cs_options o = { .subset_exhaustive_max = 8,
				.subset_samples = 8,
				.torn_exhaustive_max = torn ? 3 : 0,
				.torn_samples = torn ? 16 : 0,
				.sample_seed = 1,
				.boot_starts = r->starts,
				.nboots = 2,
				.print_failures = 5,
				.out = stdout };
	ck_assert_int_eq(cs_init(&r->c, &r->log, &r->m, r->blank, SECTORS, &o), 0);
}

/* rec_free: free a recorded campaign. */
static void rec_free(struct rec *r)
{
	cs_free(&r->c);
	cm_free(&r->m);
	clog_free(&r->log);
	logdev_fini(&r->dev);
	free(r->blank);
}

/* test_crash_host_campaign_passes: every prefix and subset state of a correct
 * store passes the oracle; the log replays to exactly the device's bytes. */
START_TEST(test_crash_host_campaign_passes)
{
	struct rec r;
	rec_make(&r, false, false);
	ck_assert_int_eq(cs_run(&r.c), 0);
	ck_assert_uint_eq(r.c.failed, 0);
	ck_assert_uint_gt(r.c.prefix, 50);
	ck_assert_uint_gt(r.c.subset, 20);
	ck_assert_uint_eq(r.c.states, r.c.prefix + r.c.subset);
	uint8_t *img = malloc(SECTORS * 512);
	struct cs_spec all = { .kind = CS_PREFIX, .a = r.log.nentries };
	ck_assert_int_eq(cs_build(&r.c, &all, img), 0);
	ck_assert(memcmp(img, r.dev.mem.data, SECTORS * 512) == 0);
	free(img);
	rec_free(&r);
}
END_TEST

/* test_crash_rebuild_matches: a recipe rebuilds the state the loop checked: the
 * oracle gives the same verdict on the rebuilt image (torn states included). */
START_TEST(test_crash_rebuild_matches)
{
	struct rec r;
	rec_make(&r, false, true);
	ck_assert_int_eq(cs_run(&r.c), 0);
	ck_assert_uint_gt(r.c.torn, 100);
	uint8_t *img = malloc(SECTORS * 512);
	uint64_t checked = 0;
	for (uint64_t i = 0; i < r.c.nrec; i += 5, checked++) {
		const struct cs_state_rec *s = &r.c.rec[i];
		struct cc_bounds b;
		struct cc_result res;
		struct blkdev bd;
		ck_assert_int_eq(cs_build(&r.c, &s->spec, img), 0);
		cs_bounds(&r.c, &s->spec, &b);
		cs_memdev(&bd, img, SECTORS);
		int rc = cc_check(&r.m, &bd, &b, &res);
		ck_assert_int_ge(rc, 0);
		ck_assert_int_eq(rc != 0, s->failed);
	}
	ck_assert_uint_gt(checked, 50);
	/* Every torn state of a write is a different pattern: the written sectors
	 * of no two of them are equal. */
	uint64_t *h = calloc(r.c.nrec, sizeof(*h)), dups = 0, torn = 0;
	for (uint64_t i = 0; i < r.c.nrec; i++) {
		const struct cs_spec *sp = &r.c.rec[i].spec;
		if (sp->kind != CS_TORN)
			continue;
		const struct clog_entry *e = &r.log.e[sp->a];
		ck_assert_int_eq(cs_build(&r.c, sp, img), 0);
		uint64_t x = 0xcbf29ce484222325ull;
		for (uint64_t b = 0; b < e->nr_sectors * 512; b++)
			x = (x ^ img[e->sector * 512 + b]) * 0x100000001b3ull;
		h[i] = x;
		torn++;
		for (uint64_t j = 0; j < i; j++)
			dups += r.c.rec[j].spec.kind == CS_TORN && r.c.rec[j].spec.a == sp->a &&
				h[j] == x;
	}
	ck_assert_uint_gt(torn, 100);
	ck_assert_uint_eq(dups, 0);
	free(h);
	free(img);
	rec_free(&r);
}
END_TEST

/* test_crash_noflush_caught: a device whose flushes never happen (a driver that
 * acknowledges sync before its flush) fails the campaign. */
START_TEST(test_crash_noflush_caught)
{
	struct rec r;
	rec_make(&r, true, false);
	ck_assert_uint_eq(r.log.flushes, 0);
	ck_assert_int_eq(cs_run(&r.c), 0);
	ck_assert_uint_gt(r.c.failed, 0);
	rec_free(&r);
}
END_TEST

/* oracle_on: run the oracle on img with bounds b; its verdict and reason. */
static int oracle_on(struct rec *r, uint8_t *img, const struct cc_bounds *b, struct cc_result *res)
{
	struct blkdev bd;
	cs_memdev(&bd, img, SECTORS);
	return cc_check(&r->m, &bd, b, res);
}

/* mutate: mount a copy of the final image writable, put key=val, sync. */
static uint8_t *mutate(struct rec *r, const char *key, const void *val, size_t len)
{
	struct blkdev_mem m;
	ck_assert_int_eq(blkdev_mem_init(&m, 512, SECTORS), 0);
	memcpy(m.data, r->dev.mem.data, SECTORS * 512);
	struct statefs_config cfg = { .bdev = &m.dev };
	struct statefs *fs;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), 0);
	ck_assert_int_eq(statefs_put(fs, key, val, len), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	uint8_t *img = malloc(SECTORS * 512);
	memcpy(img, m.data, SECTORS * 512);
	blkdev_mem_fini(&m);
	return img;
}

/* test_crash_oracle_catches: rollback, an invented value, an older value mixed
 * in, a foreign key and an impossible boot count all fail; the final state passes. */
START_TEST(test_crash_oracle_catches)
{
	struct rec r;
	rec_make(&r, false, false);
	struct cs_spec end = { .kind = CS_PREFIX, .a = r.log.nentries };
	struct cc_bounds b;
	struct cc_result res;
	cs_bounds(&r.c, &end, &b);
	ck_assert_int_eq(b.lo, (int64_t)r.m.nops - 1);
	ck_assert_int_eq(oracle_on(&r, r.dev.mem.data, &b, &res), 0);
	ck_assert_int_eq(res.x_lo, b.lo);
	ck_assert_uint_eq(res.boot_count, 2);

	/* Rollback: the state at the middle of the log, judged at its end. */
	uint8_t *img = malloc(SECTORS * 512);
	struct cs_spec mid = { .kind = CS_PREFIX, .a = r.log.nentries / 2 };
	ck_assert_int_eq(cs_build(&r.c, &mid, img), 0);
	ck_assert_int_eq(oracle_on(&r, img, &b, &res), 1);
	free(img);

	/* An invented value of the right shape (op index of a real write). */
	const struct cm_key *k0 = &r.m.key[0];
	const struct cm_write *last = &k0->w[k0->n - 1];
	char key[CW_KEY_LEN_MAX];
	(void)cw_key(0, key);
	uint8_t val[CW_VALUE_MAX];
	cw_value(SEED, last->op, 0, 100, val);
	val[50] ^= 1;
	img = mutate(&r, key, val, 100);
	ck_assert_int_eq(oracle_on(&r, img, &b, &res), 1);
	free(img);

	/* An older write of key 0, exactly as the workload made it: a mix. */
	const struct cm_write *old = &k0->w[0];
	ck_assert(!old->del);
	cw_value(SEED, old->op, 0, old->len, val);
	img = mutate(&r, key, val, old->len);
	ck_assert_int_eq(oracle_on(&r, img, &b, &res), 1);
	ck_assert_msg(strstr(res.why, "needs an op") != NULL, "%s", res.why);
	free(img);

	img = mutate(&r, "/state/selftest/crash/zz", "12345678", 8);
	ck_assert_int_eq(oracle_on(&r, img, &b, &res), 1);
	ck_assert_msg(strstr(res.why, "not a workload key") != NULL, "%s", res.why);
	free(img);

	uint8_t count[8] = { 9 };
	img = mutate(&r, STATEFS_BOOT_COUNT_KEY, count, 8);
	ck_assert_int_eq(oracle_on(&r, img, &b, &res), 1);
	ck_assert_msg(strstr(res.why, "boot counter") != NULL, "%s", res.why);
	free(img);
	rec_free(&r);
}
END_TEST

/* main: the generator and oracle tests. */
int main(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("states");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crash_workload_deterministic);
	tcase_add_test(tc, test_crash_recipes);
	tcase_add_test(tc, test_crash_host_campaign_passes);
	tcase_add_test(tc, test_crash_rebuild_matches);
	tcase_add_test(tc, test_crash_noflush_caught);
	tcase_add_test(tc, test_crash_oracle_catches);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
