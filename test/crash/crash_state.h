/* Crash-state generation over a parsed dm-log-writes log, and the campaign loop
 * that checks every state with the oracle (docs/crash-testing.md). Host only.
 *
 * State kinds (each has a recipe string that rebuilds it exactly):
 *   prefix:<k>                  the first k log entries applied in order
 *   subset:<s>:<e>:m<mask>:<f|r>  entries [0,s) applied; of the writes in [s,e) (one
 *                               flush epoch: no flush inside) those in mask, in log
 *                               order (f) or reversed (r)
 *   subset:<s>:<e>:r<seed>      the same with a random subset in a random order
 *   torn:<w>:x<idx>             entries [0,w) applied, then write w with sector i
 *                               old/new/garbage by base-3 digit i of idx
 *   torn:<w>:r<seed>            the same with a random old/new/garbage pattern
 * Garbage sectors are PRNG bytes of (w, code, sector). */
#ifndef CRASH_STATE_H
#define CRASH_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crash_check.h"
#include "crash_log.h"
#include "crash_model.h"

#define CS_SECTOR 512u
#define CS_RECIPE_MAX 96

enum cs_kind {
	CS_PREFIX = 1,
	CS_SUBSET,
	CS_TORN
};

struct cs_spec {
	enum cs_kind kind;
	uint64_t a; /* prefix: k; subset: s; torn: w */
	uint64_t b; /* subset: e */
	int mode;   /* subset: 0 mask fwd, 1 mask rev, 2 random; torn: 0 index, 1 random */
	uint64_t d; /* mask, index or seed */
};

struct cs_options {
	unsigned subset_exhaustive_max; /* epochs with at most this many writes: every subset */
	unsigned subset_samples;	/* random subsets of a larger epoch */
	unsigned torn_exhaustive_max;	/* writes of at most this many sectors: every pattern */
	unsigned torn_samples;		/* random patterns of a larger write */
	uint64_t sample_seed;		/* seeds the random choices */
	const uint64_t *boot_starts;	/* first op of each recorded boot, ascending */
	unsigned nboots;
	unsigned print_failures; /* print at most this many failing recipes */
	FILE *out;		 /* where failures go */
};

struct cs_state_rec {
	struct cs_spec spec;
	uint64_t score; /* how damaged: used to pick the states to boot */
	bool failed;
};

struct cs_camp {
	const struct clog *log;
	const struct cm_model *m;
	const uint8_t *initial; /* the device before the first logged write */
	uint64_t sectors;	/* device size in 512-byte sectors */
	struct cs_options opt;
	/* Counters. */
	uint64_t states, failed, prefix, subset, torn;
	/* What the log shows the store doing (superblock writes decoded). */
	uint64_t super_writes, region_switches, epoch_bumps;
	/* Every state checked, in order (for sampling). */
	struct cs_state_rec *rec;
	uint64_t nrec, caprec;
	/* Per entry i: the highest progress value in writes of entries [0,i), -1 none. */
	int64_t *seen;
	/* Per entry i: the same for writes before the last flush entry before i. */
	int64_t *flushed;
};

/* cs_init: prepare a campaign (precomputes the progress evidence). 0, CAIRN_ENOMEM. */
int cs_init(struct cs_camp *c, const struct clog *log, const struct cm_model *m,
	    const uint8_t *initial, uint64_t sectors, const struct cs_options *opt);
/* cs_free: free what cs_init and cs_run allocated. */
void cs_free(struct cs_camp *c);
/* cs_run: generate and check every state. 0 (see c->failed), CAIRN_ENOMEM. */
int cs_run(struct cs_camp *c);
/* cs_build: rebuild spec's state into out (sectors * 512 bytes). 0, CAIRN_EINVAL. */
int cs_build(const struct cs_camp *c, const struct cs_spec *sp, uint8_t *out);
/* cs_bounds: what spec's crash point implies (lower/upper op bounds, boot counter). */
void cs_bounds(const struct cs_camp *c, const struct cs_spec *sp, struct cc_bounds *b);
/* cs_recipe: spec as a recipe string. */
void cs_recipe(const struct cs_spec *sp, char *buf, size_t n);
/* cs_parse_recipe: parse a recipe string. 0 or CAIRN_EINVAL. */
int cs_parse_recipe(const char *s, struct cs_spec *sp);
/* cs_progress_in: the highest progress value of a complete, CRC-valid progress
 * record that starts in img[from, to) (img is size bytes), or -1. */
int64_t cs_progress_in(const uint8_t *img, uint64_t size, uint64_t from, uint64_t to);
/* cs_memdev: a read-only struct blkdev over data (sectors * 512 bytes). */
void cs_memdev(struct blkdev *bd, const uint8_t *data, uint64_t sectors);

#endif
