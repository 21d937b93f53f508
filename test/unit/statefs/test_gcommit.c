/* Group commit (statefs_gcommit.h) over pthread mutexes and a fake engine sync
 * that counts its flushes: concurrent syncs share one flush, each returns only
 * after a successful flush that began after its write, and a failed shared flush
 * reaches every waiter. */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cairn/err.h"
#include "statefs_gcommit.h"

#define NTHREADS 8

/* The fake engine. Protected by engine: writes, ok_begin, flushes. */
static struct {
	pthread_mutex_t lead, engine;
	struct sfs_gcommit g;
	uint64_t writes;   /* writes done */
	uint64_t ok_begin; /* most writes seen at the start of a successful flush */
	unsigned flushes;  /* fake engine syncs run */
	int fail_next;	   /* that many next flushes fail with CAIRN_EIO */
	uint64_t hold_for; /* a flush waits until this many sync calls arrived */
	unsigned sleep_us; /* a flush takes this long */
	bool lead_refused; /* lead_lock fails with CAIRN_ESHUTDOWN */
	pthread_barrier_t bar;
} fk;

static int f_lead_lock(void *ctx)
{
	(void)ctx;
	if (fk.lead_refused)
		return CAIRN_ESHUTDOWN;
	pthread_mutex_lock(&fk.lead);
	return 0;
}
static void f_lead_unlock(void *ctx)
{
	(void)ctx;
	pthread_mutex_unlock(&fk.lead);
}
static int f_engine_lock(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&fk.engine);
	return 0;
}
static void f_engine_unlock(void *ctx)
{
	(void)ctx;
	pthread_mutex_unlock(&fk.engine);
}
/* f_sync: engine lock held: note the writes it covers, wait for the callers the
 * test wants queued behind it, then succeed or fail. */
static int f_sync(void *ctx)
{
	(void)ctx;
	uint64_t begin = fk.writes;
	fk.flushes++;
	while (atomic_load(&fk.g.calls) < fk.hold_for)
		usleep(500);
	if (fk.sleep_us)
		usleep(fk.sleep_us);
	if (fk.fail_next > 0) {
		fk.fail_next--;
		return CAIRN_EIO;
	}
	if (begin > fk.ok_begin)
		fk.ok_begin = begin;
	return 0;
}
static const struct sfs_gcommit_ops ops = { f_lead_lock, f_lead_unlock, f_engine_lock,
					    f_engine_unlock, f_sync };

static void reset(void)
{
	pthread_mutex_init(&fk.lead, NULL);
	pthread_mutex_init(&fk.engine, NULL);
	sfs_gcommit_init(&fk.g);
	fk.writes = fk.ok_begin = 0;
	fk.flushes = 0;
	fk.fail_next = 0;
	fk.hold_for = 0;
	fk.sleep_us = 0;
	fk.lead_refused = false;
	pthread_barrier_init(&fk.bar, NULL, NTHREADS);
}

/* do_write: one write as the component does it; its index. */
static uint64_t do_write(void)
{
	pthread_mutex_lock(&fk.engine);
	uint64_t mine = ++fk.writes;
	sfs_gcommit_wrote(&fk.g);
	pthread_mutex_unlock(&fk.engine);
	return mine;
}

/* do_sync: sync; on success check a successful flush began after write `mine`. */
static int do_sync(uint64_t mine)
{
	int err = sfs_gcommit_sync(&fk.g, &ops, NULL);
	if (!err) {
		pthread_mutex_lock(&fk.engine);
		bool covered = fk.ok_begin >= mine;
		pthread_mutex_unlock(&fk.engine);
		if (!covered)
			return -1000; /* success before a flush covering the write */
	}
	return err;
}

START_TEST(test_gcommit_sequential)
{
	reset();
	ck_assert_int_eq(do_sync(0), 0); /* the first sync always runs the engine's */
	ck_assert_uint_eq(fk.flushes, 1);
	uint64_t w = do_write();
	ck_assert_int_eq(do_sync(w), 0);
	ck_assert_uint_eq(fk.flushes, 2);
	ck_assert_int_eq(do_sync(w), 0); /* nothing written since: covered */
	ck_assert_uint_eq(fk.flushes, 2);
	w = do_write();
	ck_assert_int_eq(do_sync(w), 0); /* a write after the last flush began */
	ck_assert_uint_eq(fk.flushes, 3);
	ck_assert_uint_eq(fk.g.shared, 1);
}
END_TEST

static void *write_wait_sync(void *arg)
{
	int *rc = arg;
	uint64_t w = do_write();
	pthread_barrier_wait(&fk.bar);
	*rc = do_sync(w);
	return NULL;
}

/* run_group: NTHREADS write, meet, sync at once; the flush is held until all
 * have called sync (the others queue behind it). */
static void run_group(int rc[NTHREADS])
{
	pthread_t t[NTHREADS];
	fk.hold_for = atomic_load(&fk.g.calls) + NTHREADS;
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, write_wait_sync, &rc[i]), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	fk.hold_for = 0;
}

START_TEST(test_gcommit_concurrent_syncs_share_one_flush)
{
	int rc[NTHREADS];
	reset();
	run_group(rc);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(rc[i], 0);
	ck_assert_uint_eq(fk.flushes, 1);
	ck_assert_uint_eq(fk.g.shared, NTHREADS - 1);
}
END_TEST

START_TEST(test_gcommit_failed_flush_reaches_every_waiter)
{
	int rc[NTHREADS];
	reset();
	fk.fail_next = 1; /* only the shared flush fails; a retry would succeed */
	run_group(rc);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(rc[i], CAIRN_EIO);
	ck_assert_uint_eq(fk.flushes, 1);
	/* a sync arriving after the failure was recorded runs a flush of its own */
	ck_assert_int_eq(do_sync(fk.writes), 0);
	ck_assert_uint_eq(fk.flushes, 2);
	/* and a failure of that one is not hidden by the earlier success */
	uint64_t w = do_write();
	fk.fail_next = 1;
	ck_assert_int_eq(do_sync(w), CAIRN_EIO);
	ck_assert_int_eq(do_sync(w), 0); /* retried: a new flush covers w */
	ck_assert_uint_eq(fk.flushes, 4);
}
END_TEST

START_TEST(test_gcommit_lock_refused)
{
	reset();
	fk.lead_refused = true;
	ck_assert_int_eq(do_sync(do_write()), CAIRN_ESHUTDOWN);
	ck_assert_uint_eq(fk.flushes, 0);
}
END_TEST

static void *stress(void *arg)
{
	int *bad = arg;
	for (int i = 0; i < 50; i++) {
		uint64_t w = do_write();
		if (do_sync(w) != 0)
			(*bad)++;
	}
	return NULL;
}

START_TEST(test_gcommit_stress_every_sync_covered)
{
	pthread_t t[NTHREADS];
	int bad[NTHREADS] = { 0 };
	reset();
	fk.sleep_us = 200;
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, stress, &bad[i]), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(bad[i], 0);
	ck_assert_uint_eq(atomic_load(&fk.g.calls), NTHREADS * 50);
	ck_assert_uint_lt(fk.flushes, NTHREADS * 50); /* some were shared */
	ck_assert_uint_eq(fk.flushes + fk.g.shared, NTHREADS * 50);
}
END_TEST

static Suite *gcommit_suite(void)
{
	Suite *s = suite_create("statefs_gcommit");
	TCase *tc = tcase_create("gcommit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_gcommit_sequential);
	tcase_add_test(tc, test_gcommit_concurrent_syncs_share_one_flush);
	tcase_add_test(tc, test_gcommit_failed_flush_reaches_every_waiter);
	tcase_add_test(tc, test_gcommit_lock_refused);
	tcase_add_test(tc, test_gcommit_stress_every_sync_covered);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gcommit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
