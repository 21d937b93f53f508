/* The crash oracle: mount one crash state read-only with the host statefs
 * engine and check it against the workload model (docs/crash-testing.md). */
#ifndef CRASH_CHECK_H
#define CRASH_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/blkdev.h"
#include "crash_model.h"
#include "statefs.h"

/* What the crash point implies about the state. */
struct cc_bounds {
	int64_t lo;	    /* every op <= lo is durable (-1: nothing is required) */
	int64_t hi;	    /* no op > hi was issued */
	uint64_t boots_min; /* the boot counter is >= this (0: it may be absent) */
	uint64_t boots_max; /* ... and <= this */
};

/* What the state holds, for reports and for comparing with a boot. */
struct cc_result {
	char why[320];			  /* the first violated rule */
	int mount_err;			  /* statefs_mount result */
	struct statefs_replay_report rep; /* the mount's report (mount_err == 0) */
	uint64_t keys;			  /* all live keys */
	uint64_t wkeys;			  /* workload keys */
	uint32_t digest;		  /* cw_digest of the workload keys in byte order */
	int64_t x_lo, x_hi;		  /* the state equals the workload after op X, X in here */
	uint64_t boot_count;		  /* 0 when absent */
};

/* cc_check: check the store on bd (never written) against model m and bounds b.
 * 0 when every rule holds, 1 when one fails (r->why says which), CAIRN_ENOMEM. */
int cc_check(const struct cm_model *m, struct blkdev *bd, const struct cc_bounds *b,
	     struct cc_result *r);

#endif
