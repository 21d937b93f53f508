/* statefs fault injection: an I/O error at every Nth read, write and flush, and an
 * allocation failure at every Nth allocation (malloc/calloc/realloc are wrapped at
 * link time, see meson.build), through a workload of puts, deletes, batches, syncs
 * compactions and index checkpoints (a 2 KiB ckpt_interval). Each case must end in an error reported to the caller or in a
 * clean run, never a crash or a silent loss: after the fault the device is mounted
 * again (healthy) and every key must hold its synced version or one attempted
 * since, byte for byte, with a CLEAN or TORN_TAIL class and a passing check. */
#include <stddef.h>

#include "powercut.h"
#include "sfs_testutil.h"

#define NK 8
#define NOPS 160
#define MAXV 64
#define CKPT_INTERVAL 2048 /* checkpoints at syncs often enough to fault inside them */

/* ---- allocation failure injection (--wrap) --------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
static bool alloc_armed;
static uint64_t alloc_count, alloc_fail_at;

/* alloc_fails: count one allocation; true when this one must fail. */
static bool alloc_fails(void) { return alloc_armed && ++alloc_count == alloc_fail_at; }

void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n) { return alloc_fails() ? NULL : __real_malloc(n); }

void *__wrap_calloc(size_t n, size_t m);
void *__wrap_calloc(size_t n, size_t m) { return alloc_fails() ? NULL : __real_calloc(n, m); }

void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n) { return alloc_fails() ? NULL : __real_realloc(p, n); }

/* ---- model ------------------------------------------------------------------ */

struct model {
	int synced[NK], current[NK];
	int since[NK][MAXV], nsince[NK];
	int version;
	int errors; /* calls that reported an error */
	uint64_t compactions, checkpoints;
};

/* key_of: key name of slot k. */
static void key_of(int k, char *buf, size_t n) { snprintf(buf, n, "/state/f/%d", k); }

/* value_of: deterministic value of (k, v): header + pattern, 20..2000 bytes. */
static size_t value_of(int k, int v, uint8_t *buf)
{
	size_t len = 20 + (size_t)((k * 131 + v * 977) % 1980);
	fill_pattern(buf, len, (uint32_t)(k * 7777 + v));
	memcpy(buf, &k, 4);
	memcpy(buf + 4, &v, 4);
	return len;
}

/* intend: key k may now hold v. */
static void intend(struct model *m, int k, int v)
{
	if (m->nsince[k] < MAXV)
		m->since[k][m->nsince[k]++] = v;
}

/* run_ops: the workload on fs until the first error (which is counted). */
static void run_ops(struct statefs *fs, struct model *m, uint8_t *buf)
{
	char key[32], key2[32];
	uint64_t s = 7;
	for (int i = 0; i < NOPS; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int k = (int)((s >> 33) % NK), r = (int)((s >> 40) % 100), err = 0;
		key_of(k, key, sizeof(key));
		if (r < 55) {
			int v = ++m->version;
			intend(m, k, v);
			err = statefs_put(fs, key, buf, value_of(k, v, buf));
			if (!err)
				m->current[k] = v;
		} else if (r < 65 && m->current[k]) {
			intend(m, k, 0);
			err = statefs_delete(fs, key);
			if (!err)
				m->current[k] = 0;
		} else if (r < 80) {
			int k2 = (k + 1) % NK, v = ++m->version;
			key_of(k2, key2, sizeof(key2));
			uint8_t *b2 = buf + 4096;
			struct statefs_op ops[2] = {
				{ STATEFS_OP_PUT, key, buf, value_of(k, v, buf) },
				{ STATEFS_OP_PUT, key2, b2, value_of(k2, v, b2) }
			};
			intend(m, k, v);
			intend(m, k2, v);
			err = statefs_batch(fs, ops, 2);
			if (!err)
				m->current[k] = m->current[k2] = v;
		} else {
			err = statefs_sync(fs);
			for (int j = 0; j < NK && !err; j++) {
				m->synced[j] = m->current[j];
				m->nsince[j] = 0;
			}
		}
		if (err) {
			ck_assert_msg(err == CAIRN_EIO || err == CAIRN_ENOMEM,
				      "op %d: unexpected %s", i, cairn_strerror(err));
			m->errors++;
			return;
		}
	}
}

/* workload: mount (formatting), run, unmount; errors are counted, never fatal. */
static void workload(struct blkdev *bd, struct model *m, uint8_t *buf)
{
	struct statefs_config cfg = { .bdev = bd,
				      .flags = STATEFS_MOUNT_FORMAT_EMPTY,
				      .ckpt_interval = CKPT_INTERVAL };
	struct statefs *fs;
	memset(m, 0, sizeof(*m));
	int err = statefs_mount(&fs, &cfg, NULL);
	if (err) {
		ck_assert_msg(err == CAIRN_EIO || err == CAIRN_ENOMEM, "mount: %s",
			      cairn_strerror(err));
		m->errors++;
		return;
	}
	run_ops(fs, m, buf);
	struct statefs_stats st;
	statefs_stats(fs, &st);
	m->compactions = st.compactions;
	m->checkpoints = st.checkpoints;
	if (m->errors) {
		statefs_abandon(fs);
		return;
	}
	err = statefs_unmount(fs);
	if (err) {
		m->errors++;
		return;
	}
	for (int j = 0; j < NK; j++) {
		m->synced[j] = m->current[j];
		m->nsince[j] = 0;
	}
}

/* allowed: v is acceptable for key k. */
static bool allowed(const struct model *m, int k, int v)
{
	if (m->synced[k] == v)
		return true;
	for (int i = 0; i < m->nsince[k]; i++)
		if (m->since[k][i] == v)
			return true;
	return false;
}

/* verify: mount the device healthy and check the model. */
static void verify(struct powercut *pc, const struct model *m, uint8_t *buf, const char *what,
		   uint64_t n)
{
	pc->fail_read = pc->fail_write = pc->fail_flush = 0;
	struct statefs_config cfg = { .bdev = &pc->dev,
				      .flags = STATEFS_MOUNT_FORMAT_EMPTY,
				      .ckpt_interval = CKPT_INTERVAL };
	struct statefs_replay_report rep;
	struct statefs *fs;
	int err = statefs_mount(&fs, &cfg, &rep);
	ck_assert_msg(err == 0, "%s %llu: remount %s", what, (unsigned long long)n,
		      cairn_strerror(err));
	ck_assert_msg(rep.mount_class <= STATEFS_CLASS_TORN_TAIL, "%s %llu: class %s", what,
		      (unsigned long long)n, statefs_mount_class_name(rep.mount_class));
	char key[32];
	uint8_t *want = buf + 8192;
	for (int k = 0; k < NK; k++) {
		key_of(k, key, sizeof(key));
		int got = statefs_get(fs, key, buf, 8192), v = 0;
		if (got != CAIRN_ENOENT) {
			ck_assert_msg(got >= 8, "%s %llu: get %s", what, (unsigned long long)n,
				      cairn_strerror(got));
			memcpy(&v, buf + 4, 4);
			ck_assert_int_eq((size_t)got, value_of(k, v, want));
			ck_assert_msg(memcmp(buf, want, (size_t)got) == 0, "%s %llu: torn value",
				      what, (unsigned long long)n);
		}
		ck_assert_msg(allowed(m, k, v), "%s %llu: key %d holds %d, synced %d", what,
			      (unsigned long long)n, k, v, m->synced[k]);
	}
	ck_assert_int_eq(statefs_check(fs, NULL), 0);
	ck_assert_int_eq(put_str(fs, "/state/f/after", "ok"), 0);
	ck_assert_int_eq(statefs_unmount(fs), 0);
}

/* test_statefs_io_error_every_nth: loop 0 reads, 1 writes, 2 flushes. */
START_TEST(test_statefs_io_error_every_nth)
{
	static const char *const kinds[] = { "read", "write", "flush" };
	uint64_t count = 2 + 2 * (32768 / 512);
	uint8_t *buf = malloc(16384);
	struct model m;
	struct powercut pc;
	ck_assert_int_eq(powercut_init(&pc, 512, count, NULL), 0);
	workload(&pc.dev, &m, buf);
	ck_assert_int_eq(m.errors, 0);
	ck_assert_uint_ge(m.compactions, 2);
	ck_assert_uint_ge(m.checkpoints, 1);
	uint64_t total = _i == 0 ? pc.nread : _i == 1 ? pc.nwrite : pc.nflush;
	powercut_fini(&pc);
	uint64_t reported = 0;
	for (uint64_t n = 1; n <= total; n++) {
		ck_assert_int_eq(powercut_init(&pc, 512, count, NULL), 0);
		if (_i == 0)
			pc.fail_read = n;
		else if (_i == 1)
			pc.fail_write = n;
		else
			pc.fail_flush = n;
		workload(&pc.dev, &m, buf);
		reported += m.errors > 0;
		ck_assert_msg(m.errors > 0, "%s %llu: an injected I/O error was not reported",
			      kinds[_i], (unsigned long long)n);
		verify(&pc, &m, buf, kinds[_i], n);
		powercut_fini(&pc);
	}
	printf("faults: I/O error at each of %llu %ss: %llu reported\n", (unsigned long long)total,
	       kinds[_i], (unsigned long long)reported);
	free(buf);
}
END_TEST

/* test_statefs_alloc_failure_every_nth: the Nth allocation of the workload fails;
 * the engine reports ENOMEM (or EIO once memory and journal could disagree). */
START_TEST(test_statefs_alloc_failure_every_nth)
{
	uint64_t count = 2 + 2 * (32768 / 512);
	uint8_t *buf = malloc(16384);
	struct model m;
	struct powercut pc;
	ck_assert_int_eq(powercut_init(&pc, 512, count, NULL), 0);
	alloc_count = 0, alloc_fail_at = 0, alloc_armed = true;
	workload(&pc.dev, &m, buf);
	alloc_armed = false;
	uint64_t total = alloc_count;
	ck_assert_int_eq(m.errors, 0);
	powercut_fini(&pc);
	uint64_t reported = 0;
	for (uint64_t n = 1; n <= total; n++) {
		ck_assert_int_eq(powercut_init(&pc, 512, count, NULL), 0);
		alloc_count = 0, alloc_fail_at = n, alloc_armed = true;
		workload(&pc.dev, &m, buf);
		alloc_armed = false;
		reported += m.errors > 0;
		ck_assert_msg(m.errors > 0, "allocation %llu: the failure was not reported",
			      (unsigned long long)n);
		verify(&pc, &m, buf, "allocation", n);
		powercut_fini(&pc);
	}
	printf("faults: allocation failure at each of %llu allocations: %llu reported\n",
	       (unsigned long long)total, (unsigned long long)reported);
	free(buf);
}
END_TEST

/* faults_suite: the test cases of this file. */
static Suite *faults_suite(void)
{
	Suite *s = suite_create("statefs_faults");
	TCase *tc = tcase_create("faults");
	tcase_set_timeout(tc, 200);
	tcase_add_loop_test(tc, test_statefs_io_error_every_nth, 0, 3);
	tcase_add_test(tc, test_statefs_alloc_failure_every_nth);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(faults_suite()); }
