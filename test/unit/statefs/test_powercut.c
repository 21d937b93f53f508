/* statefs power-cut harness test: a deterministic workload of 1,200 mixed
 * operations (puts of 0 B..8 KiB, deletes, atomic pair batches, syncs) on a small
 * device so compactions happen often. Power is cut at EVERY write/flush point in
 * turn; each post-crash image (unflushed writes dropped, kept, or torn per sector)
 * must mount, hold every synced value (or a newer complete one), keep batch pairs
 * equal, pass check, and keep working (puts + sync + remount). */
#include "powercut.h"
#include "sfs_testutil.h"

#define NKEYS 18        /* 16 single keys + 2 keys always written as a pair */
#define PAIR_A 16
#define PAIR_B 17
#define NOPS 1200
#define MAXSINCE 256

/* What a key may hold after a crash: its synced version or any attempted since. */
struct model {
	int synced[NKEYS];          /* version at the last successful sync (0 = absent) */
	int current[NKEYS];         /* version after the last successful operation */
	int since[NKEYS][MAXSINCE]; /* versions attempted after the last sync */
	int nsince[NKEYS];
	int version;                /* last version handed out */
	int syncs, ops_done;
	uint64_t compactions;        /* compactions the workload caused */
};

/* key_name: the key for slot k. */
static void key_name(int k, char *buf, size_t n)
{
	if (k == PAIR_A || k == PAIR_B)
		snprintf(buf, n, "/state/pair/%c", k == PAIR_A ? 'a' : 'b');
	else
		snprintf(buf, n, "/state/pc/%02d", k);
}

/* value_len_for: deterministic value size for (k, v); some span many sectors. */
static size_t value_len_for(int k, int v)
{
	uint32_t h = (uint32_t)(k * 7919 + v * 104729);
	if (h % 17 == 0)
		return 3000 + h % 5200;
	return 8 + h % 700;
}

/* make_value: [k][v] header then a pattern, so any tear or mix-up is visible. */
static size_t make_value(int k, int v, uint8_t *buf)
{
	size_t len = value_len_for(k, v);
	fill_pattern(buf, len, (uint32_t)(k * 65537 + v));
	memcpy(buf, &k, 4);
	memcpy(buf + 4, &v, 4);
	return len;
}

/* intend: record that key k may now hold version v (0 = deleted). */
static void intend(struct model *m, int k, int v)
{
	ck_assert_int_lt(m->nsince[k], MAXSINCE);
	m->since[k][m->nsince[k]++] = v;
}

/* rng_next: the workload's deterministic generator. */
static uint32_t rng_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* do_put: one put of a fresh version; false when power failed. */
static bool do_put(struct statefs *fs, struct model *m, int k, uint8_t *buf)
{
	char key[32];
	int v = ++m->version;
	key_name(k, key, sizeof(key));
	size_t len = make_value(k, v, buf);
	intend(m, k, v);
	int err = statefs_put(fs, key, buf, len);
	if (err == CAIRN_ENOSPC) {
		m->nsince[k]--;
		return true;
	}
	if (err)
		return false;
	m->current[k] = v;
	return true;
}

/* do_pair: batch-put both pair keys with one version. */
static bool do_pair(struct statefs *fs, struct model *m, uint8_t *buf)
{
	int v = ++m->version;
	uint8_t *b2 = buf + 16384;
	struct statefs_op ops[2] = {
		{ STATEFS_OP_PUT, "/state/pair/a", buf, make_value(PAIR_A, v, buf) },
		{ STATEFS_OP_PUT, "/state/pair/b", b2, make_value(PAIR_B, v, b2) },
	};
	intend(m, PAIR_A, v);
	intend(m, PAIR_B, v);
	int err = statefs_batch(fs, ops, 2);
	if (err == CAIRN_ENOSPC) {
		m->nsince[PAIR_A]--, m->nsince[PAIR_B]--;
		return true;
	}
	if (err)
		return false;
	m->current[PAIR_A] = m->current[PAIR_B] = v;
	return true;
}

/* do_sync: sync; on success the current state becomes the synced state. */
static bool do_sync(struct statefs *fs, struct model *m)
{
	if (statefs_sync(fs))
		return false;
	for (int k = 0; k < NKEYS; k++) {
		m->synced[k] = m->current[k];
		m->nsince[k] = 0;
	}
	m->syncs++;
	return true;
}

/* do_delete: delete key k when present. */
static bool do_delete(struct statefs *fs, struct model *m, int k)
{
	char key[32];
	if (m->current[k] == 0)
		return true;
	key_name(k, key, sizeof(key));
	intend(m, k, 0);
	if (statefs_delete(fs, key))
		return false;
	m->current[k] = 0;
	return true;
}

/* workload: run until done or until the device loses power. */
static void workload(struct blkdev *bd, struct model *m, uint8_t *buf)
{
	struct statefs_config cfg = { .bdev = bd, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	struct statefs *fs;
	memset(m, 0, sizeof(*m));
	if (statefs_mount(&fs, &cfg, NULL))
		return;
	uint64_t s = 42;
	bool ok = true;
	for (int i = 0; i < NOPS && ok; i++) {
		uint32_t r = rng_next(&s) % 100;
		int k = (int)(rng_next(&s) % 16);
		if (r < 55)
			ok = do_put(fs, m, k, buf);
		else if (r < 68)
			ok = do_delete(fs, m, k);
		else if (r < 80)
			ok = do_pair(fs, m, buf);
		else
			ok = do_sync(fs, m);
		m->ops_done += ok;
	}
	if (ok)
		(void)do_sync(fs, m);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	m->compactions = st.compactions;
	statefs_abandon(fs);
}

/* allowed: version v is acceptable for key k after a crash. */
static bool allowed(const struct model *m, int k, int v)
{
	if (m->synced[k] == v)
		return true;
	for (int i = 0; i < m->nsince[k]; i++)
		if (m->since[k][i] == v)
			return true;
	return false;
}

/* read_version: the version key k holds (0 = absent), checking the bytes. */
static int read_version(struct statefs *fs, int k, uint8_t *buf)
{
	char key[32];
	key_name(k, key, sizeof(key));
	int n = statefs_get(fs, key, buf, 16384);
	if (n == CAIRN_ENOENT)
		return 0;
	ck_assert_msg(n >= 8, "get %s: %s", key, cairn_strerror(n));
	int kk, v;
	memcpy(&kk, buf, 4);
	memcpy(&v, buf + 4, 4);
	ck_assert_int_eq(kk, k);
	uint8_t *want = buf + 16384;
	ck_assert_int_eq((size_t)n, make_value(k, v, want));
	ck_assert_msg(memcmp(want, buf, (size_t)n) == 0, "torn value for %s", key);
	return v;
}

/* verify_after_crash: mount the image and check it against the model. */
static void verify_after_crash(const struct model *m, uint32_t ss, uint64_t count, const uint8_t *img,
			       uint8_t *buf, const char *what, uint64_t cut)
{
	struct powercut d;
	ck_assert_int_eq(powercut_init(&d, ss, count, img), 0);
	struct statefs_config cfg = { .bdev = &d.dev, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	struct statefs *fs;
	int err = statefs_mount(&fs, &cfg, NULL);
	ck_assert_msg(err == 0, "cut %llu (%s): mount %s", (unsigned long long)cut, what, cairn_strerror(err));
	for (int k = 0; k < NKEYS; k++) {
		int v = read_version(fs, k, buf);
		ck_assert_msg(allowed(m, k, v), "cut %llu (%s): key %d holds version %d, synced %d",
			      (unsigned long long)cut, what, k, v, m->synced[k]);
	}
	ck_assert_int_eq(read_version(fs, PAIR_A, buf), read_version(fs, PAIR_B, buf));
	struct statefs_dirent de[NKEYS + 1];
	ck_assert_int_le(statefs_list(fs, "/state/", NULL, de, NKEYS + 1), NKEYS);
	ck_assert_int_eq(statefs_check(fs, NULL), 0);
	ck_assert_int_eq(put_str(fs, "/state/after/1", "one"), 0);
	ck_assert_int_eq(statefs_delete(fs, "/state/after/1"), 0);
	ck_assert_int_eq(put_str(fs, "/state/after/2", "two"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), 0);
	expect_str(fs, "/state/after/2", "two");
	ck_assert_int_eq(statefs_size(fs, "/state/after/1"), CAIRN_ENOENT);
	ck_assert_int_eq(statefs_unmount(fs), 0);
	powercut_fini(&d);
}

/* test_statefs_powercut_every_point: the harness run for one sector size. */
START_TEST(test_statefs_powercut_every_point)
{
	uint32_t ss = _i ? 4096 : 512;
	uint64_t count = 2 + 2 * (49152 / ss); /* two 48 KiB regions */
	uint8_t *buf = malloc(32768), *img = malloc(count * ss);
	struct model *m = malloc(sizeof(*m));
	struct powercut pc;
	ck_assert_int_eq(powercut_init(&pc, ss, count, NULL), 0);
	workload(&pc.dev, m, buf);
	ck_assert_int_eq(m->ops_done, NOPS);
	uint64_t total = pc.ops, compactions = m->compactions;
	ck_assert_uint_ge(compactions, 10);
	powercut_fini(&pc);
	static const char *const names[] = { "drop", "keep", "tear" };
	uint64_t cases = 0;
	for (uint64_t cut = 0; cut < total; cut++) {
		ck_assert_int_eq(powercut_init(&pc, ss, count, NULL), 0);
		powercut_arm(&pc, cut);
		workload(&pc.dev, m, buf);
		for (int mode = POWERCUT_DROP; mode <= POWERCUT_TEAR; mode++) {
			powercut_image(&pc, (enum powercut_mode)mode, cut, img);
			verify_after_crash(m, ss, count, img, buf, names[mode], cut);
			cases++;
		}
		powercut_fini(&pc);
	}
	printf("powercut ss=%u: %d ops (%d syncs, %llu compactions), %llu cut points (every write/flush), "
	       "%llu crash images checked (drop/keep/tear)\n", ss, NOPS, m->syncs,
	       (unsigned long long)compactions, (unsigned long long)total, (unsigned long long)cases);
	free(buf);
	free(img);
	free(m);
}
END_TEST

/* powercut_suite: the test cases of this file. */
static Suite *powercut_suite(void)
{
	Suite *s = suite_create("statefs_powercut");
	TCase *tc = tcase_create("powercut");
	tcase_set_timeout(tc, 280);
	tcase_add_loop_test(tc, test_statefs_powercut_every_point, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(powercut_suite());
}
