/* Helpers shared by the bootctl host suites: the bootctl store over the statefs
 * engine (as the image uses it: both records in one batch, then sync), a store that
 * fails on request, and a simulated boot that drives the core the way the in-image
 * packagefs component does (mount the chosen slot, report, fall back, confirm). */
#ifndef BCTL_TESTUTIL_H
#define BCTL_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "bootctl_core.h"
#include "cairn/err.h"
#include "statefs.h"

/* A store over a statefs instance; get_err/commit_err force failures. */
struct sfs_store {
	struct bootctl_store ops;
	struct statefs *fs;
	int get_err;	/* nonzero: every get returns it */
	int commit_err; /* nonzero: every commit returns it (nothing written) */
	int commits;	/* commits that reached statefs */
};

/* sfs_get: the store's get over statefs_get. */
static inline int sfs_get(void *ctx, const char *key, void *buf, size_t cap)
{
	struct sfs_store *s = ctx;
	if (s->get_err)
		return s->get_err;
	return statefs_get(s->fs, key, buf, cap);
}

/* sfs_commit: one statefs batch of every put, then sync. */
static inline int sfs_commit(void *ctx, const struct bootctl_put *puts, size_t n)
{
	struct sfs_store *s = ctx;
	struct statefs_op ops[4];
	if (s->commit_err)
		return s->commit_err;
	ck_assert_uint_le(n, 4);
	for (size_t i = 0; i < n; i++)
		ops[i] = (struct statefs_op){ STATEFS_OP_PUT, puts[i].key, puts[i].value,
					      puts[i].len };
	s->commits++;
	int err = statefs_batch(s->fs, ops, n);
	return err ? err : statefs_sync(s->fs);
}

/* sfs_store_init: a store over fs. */
static inline void sfs_store_init(struct sfs_store *s, struct statefs *fs)
{
	memset(s, 0, sizeof(*s));
	s->ops = (struct bootctl_store){ .get = sfs_get, .commit = sfs_commit, .ctx = s };
	s->fs = fs;
}

/* What one slot's disk holds in a simulated boot. */
struct sim_image {
	bool present;	  /* a disk is attached */
	bool valid;	  /* it passes verification (signature, structure) */
	uint64_t release; /* its signed release */
};

/* The outcome of a simulated boot. */
struct sim_result {
	uint8_t slot;	  /* the slot served, or NONE */
	uint64_t release; /* its release */
	bool trial;	  /* it ran as a trial */
	bool confirmed;	  /* the health gate confirmed it */
	enum bootctl_load_class load;
	char log[2048]; /* every line the core logged, '\n'-separated */
};

/* sim_log: collect the core's lines. */
static inline void sim_log(void *ctx, const char *line)
{
	struct sim_result *r = ctx;
	size_t n = strlen(r->log);
	snprintf(r->log + n, sizeof(r->log) - n, "%s\n", line);
}

/* sim_boot: one boot as the image does it: load, start (try_slot = boot.try),
 * mount loop with same-boot fallback, then confirm when health is good. Returns the
 * first error of the core's API (0 when the flow ran through). */
static inline int sim_boot(struct bootctl_store *st, const struct sim_image img[2],
			   uint8_t try_slot, bool health, uint8_t tries, struct sim_result *r)
{
	struct bootctl_core bc;
	struct bootctl_core_config cfg = {
		.store = st, .boot_tries = tries, .log = sim_log, .log_ctx = r
	};
	uint8_t s;
	memset(r, 0, sizeof(*r));
	r->slot = BOOTCTL_SLOT_NONE;
	int err = bootctl_core_load(&bc, &cfg);
	if (err)
		return err;
	r->load = bc.load;
	bootctl_core_start(&bc, try_slot, &s);
	for (int guard = 0; guard < 8 && !err; guard++) {
		uint8_t next;
		if (s == BOOTCTL_SLOT_NONE)
			return 0;
		if (s == BOOTCTL_SLOT_ANY) {
			struct bootctl_images im = { 0 };
			for (int i = 0; i < 2; i++) {
				im.valid[i] = img[i].present && img[i].valid;
				im.release[i] = img[i].release;
			}
			err = bootctl_core_pick(&bc, &im, &s);
			if (err || s == BOOTCTL_SLOT_NONE)
				return err;
			break;
		}
		if (!img[s].present)
			err = bootctl_core_failed(&bc, s, BOOTCTL_R_MISSING, "no disk", &next);
		else if (!img[s].valid)
			err = bootctl_core_failed(&bc, s, BOOTCTL_R_VERIFY, "signature invalid",
						  &next);
		else
			err = bootctl_core_verified(&bc, s, img[s].release, &next);
		if (!err && next == s)
			break;
		s = next;
	}
	if (err)
		return err;
	ck_assert_msg(s < BOOTCTL_NSLOTS, "mount loop did not settle");
	r->slot = s;
	r->release = img[s].release;
	r->trial = bc.trial;
	if (health) {
		err = bootctl_core_confirm(&bc);
		r->confirmed = err == 0;
		if (err == CAIRN_EROFS)
			err = 0; /* unwritable state: nothing is confirmed, the boot goes on */
	}
	return err;
}

/* read_state: decode the control record on the store (fails the test if bad). */
static inline void read_state(struct bootctl_store *st, struct bootctl_state *out)
{
	uint8_t buf[BOOTCTL_CONTROL_SIZE];
	int n = st->get(st->ctx, BOOTCTL_KEY_CONTROL, buf, sizeof(buf));
	ck_assert_msg(n == (int)sizeof(buf), "control record: %d", n);
	const char *why = bootctl_control_decode(buf, (size_t)n, out);
	ck_assert_msg(!why, "control record: %s", why);
}

/* has_line: the log holds a line starting with prefix. */
static inline bool has_line(const struct sim_result *r, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = r->log; *p;) {
		if (strncmp(p, prefix, n) == 0)
			return true;
		const char *e = strchr(p, '\n');
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* run_suite: run one suite and turn failures into the exit status. */
static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
