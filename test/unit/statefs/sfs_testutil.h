/* Small helpers shared by the statefs Check suites. */
#ifndef SFS_TESTUTIL_H
#define SFS_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "statefs.h"

/* mount_dev: mount bd with flags (format when empty), failing the test on error. */
static inline struct statefs *mount_dev(struct blkdev *bd, uint32_t flags,
					struct statefs_replay_report *rep)
{
	struct statefs_config cfg = { .bdev = bd, .flags = flags };
	struct statefs *fs = NULL;
	int err = statefs_mount(&fs, &cfg, rep);
	ck_assert_msg(err == 0, "mount failed: %s", cairn_strerror(err));
	return fs;
}

/* put_str: put a NUL-terminated string value. */
static inline int put_str(struct statefs *fs, const char *key, const char *val)
{
	return statefs_put(fs, key, val, strlen(val));
}

/* expect_str: key reads back as val. */
static inline void expect_str(struct statefs *fs, const char *key, const char *val)
{
	char buf[STATEFS_VALUE_MAX];
	int n = statefs_get(fs, key, buf, sizeof(buf));
	ck_assert_msg(n >= 0, "get %s: %s", key, cairn_strerror(n));
	ck_assert_int_eq((size_t)n, strlen(val));
	ck_assert(memcmp(buf, val, (size_t)n) == 0);
}

/* fill_pattern: deterministic bytes for (seed, i). */
static inline void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 12345u;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
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
