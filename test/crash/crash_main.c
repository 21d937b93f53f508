/* crash-campaign: the host side of the crash campaign (docs/crash-testing.md).
 *
 *   crash-campaign run    COMMON [--subset-max N] [--subset-samples N] [--torn-max N]
 *                         [--torn-samples N] [--sample-seed N] [--samples DIR:N]
 *   crash-campaign replay COMMON RECIPE OUT      rebuild one state into file OUT
 *   crash-campaign check  COMMON --data FILE [--lo-min N] [--from N] [--count-min N]
 *                         [--count-max N]
 *                         the oracle on FILE at the log's end; --lo-min: ops known
 *                         durable before the log began; --from: the boot's first
 *                         op (the log began there); --count-*: boot counter range
 * COMMON: --log LOG (dm-log-writes) --sectors N (the device) [--initial FILE (the
 *         device before the log; default blank)] --seed S --ops N (the workload's
 *         length) --boots A,B,... (the first op of each recorded boot).
 * run prints "crash-host: states=<n> failed=<m> prefix=<a> subset=<b> torn=<c>
 * seconds=<s>" and exits 1 when m > 0; failures print their recipe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crash_state.h"

struct args {
	const char *mode, *log, *data, *recipe, *out, *samples, *initial;
	uint64_t sectors, seed, ops, count_min, count_max, from;
	int64_t lo_min;
	bool have_from;
	uint64_t boots[64];
	unsigned nboots, nsamples;
	struct cs_options opt;
};

/* usage: print the synopsis and return the usage exit status. */
static int usage(const char *why)
{
	fprintf(stderr,
		"crash-campaign: %s\nusage: crash-campaign run|replay|check --log LOG "
		"--sectors N --seed S --ops N --boots A,B,.. [options] (see crash_main.c)\n",
		why);
	return 2;
}

/* parse_u64: a decimal number, whole string. */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return -1;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/* parse_boots: "A,B,..." ascending op indices. */
static int parse_boots(struct args *a, const char *s)
{
	char buf[1024];
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	a->nboots = 0;
	for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
		if (a->nboots == 64 || parse_u64(t, &a->boots[a->nboots]))
			return -1;
		if (a->nboots && a->boots[a->nboots] < a->boots[a->nboots - 1])
			return -1;
		a->nboots++;
	}
	return a->nboots ? 0 : -1;
}

/* parse_args: the command line into a. 0 or the usage status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->lo_min = -1;
	a->opt = (struct cs_options){ .subset_exhaustive_max = 8,
				      .subset_samples = 16,
				      .torn_exhaustive_max = 4,
				      .torn_samples = 16,
				      .print_failures = 20,
				      .out = stdout };
	if (argc < 2)
		return usage("no mode");
	a->mode = argv[1];
	int pos = 0;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x = 0;
		bool num = v && parse_u64(v, &x) == 0;
		if (o[0] != '-' || o[1] != '-') {
			if (pos == 0)
				a->recipe = o;
			else if (pos == 1)
				a->out = o;
			else
				return usage("too many arguments");
			pos++;
			continue;
		}
		i++;
		if (!v)
			return usage("option without a value");
		if (!strcmp(o, "--log"))
			a->log = v;
		else if (!strcmp(o, "--data"))
			a->data = v;
		else if (!strcmp(o, "--samples"))
			a->samples = v;
		else if (!strcmp(o, "--initial"))
			a->initial = v;
		else if (!strcmp(o, "--boots")) {
			if (parse_boots(a, v))
				return usage("bad --boots");
		} else if (!num)
			return usage("bad number or unknown option");
		else if (!strcmp(o, "--sectors"))
			a->sectors = x;
		else if (!strcmp(o, "--seed"))
			a->seed = x;
		else if (!strcmp(o, "--ops"))
			a->ops = x;
		else if (!strcmp(o, "--subset-max"))
			a->opt.subset_exhaustive_max = (unsigned)x;
		else if (!strcmp(o, "--subset-samples"))
			a->opt.subset_samples = (unsigned)x;
		else if (!strcmp(o, "--torn-max"))
			a->opt.torn_exhaustive_max = (unsigned)x;
		else if (!strcmp(o, "--torn-samples"))
			a->opt.torn_samples = (unsigned)x;
		else if (!strcmp(o, "--lo-min"))
			a->lo_min = (int64_t)(x & INT64_MAX);
		else if (!strcmp(o, "--from")) {
			a->from = x;
			a->have_from = true;
		} else if (!strcmp(o, "--count-min"))
			a->count_min = x;
		else if (!strcmp(o, "--count-max"))
			a->count_max = x;
		else if (!strcmp(o, "--print-failures"))
			a->opt.print_failures = (unsigned)x;
		else if (!strcmp(o, "--sample-seed"))
			a->opt.sample_seed = x;
		else
			return usage("unknown option");
	}
	if (!a->log || !a->sectors || !a->ops || !a->nboots)
		return usage("--log, --sectors, --ops and --boots are required");
	if (a->sectors > (1ull << 24) || a->opt.subset_exhaustive_max > 16 ||
	    a->opt.torn_exhaustive_max > 12)
		return usage("a limit is too large");
	a->opt.boot_starts = a->boots;
	a->opt.nboots = a->nboots;
	return 0;
}

/* slurp: read a whole file. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "crash-campaign: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = p;
		cap *= 2;
	}
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* spit: write a whole file. */
static int spit(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(buf, 1, len, f);
	return (fclose(f) != 0 || n != len) ? -1 : 0;
}

/* describe: one line of what the host sees in a state (compared with a boot). */
static void describe(FILE *f, const struct cc_result *r)
{
	fprintf(f,
		"mount=%d reason=%s clean=%d region=%c records=%llu keys=%llu "
		"bad_record=%llu bad_offset=%llu discarded=%llu wkeys=%llu digest=%08x "
		"x=%lld..%lld boots=%llu",
		r->mount_err, statefs_stop_reason_name(r->rep.stop_reason), r->rep.clean,
		r->rep.region ? 'B' : 'A', (unsigned long long)r->rep.records_replayed,
		(unsigned long long)r->keys, (unsigned long long)r->rep.bad_record_index,
		(unsigned long long)r->rep.bad_offset, (unsigned long long)r->rep.bytes_discarded,
		(unsigned long long)r->wkeys, r->digest, (long long)r->x_lo, (long long)r->x_hi,
		(unsigned long long)r->boot_count);
}

/* pick: choose n states to boot: the most damaged, then evenly spread. */
static uint64_t pick(const struct cs_camp *c, uint64_t n, uint64_t *out)
{
	uint64_t k = 0, damaged = n / 3;
	if (n > c->nrec)
		n = c->nrec;
	for (uint64_t t = 0; t < damaged && k < n; t++) {
		uint64_t best = UINT64_MAX;
		for (uint64_t i = 0; i < c->nrec; i++) {
			bool taken = false;
			for (uint64_t j = 0; j < k && !taken; j++)
				taken = out[j] == i;
			if (!taken && (best == UINT64_MAX || c->rec[i].score > c->rec[best].score))
				best = i;
		}
		out[k++] = best;
	}
	for (uint64_t t = 0; k < n; t++) {
		uint64_t i = (t * 7919u) % c->nrec, tries = 0;
		for (;;) {
			bool taken = false;
			for (uint64_t j = 0; j < k && !taken; j++)
				taken = out[j] == i;
			if (!taken || ++tries > c->nrec)
				break;
			i = (i + 1) % c->nrec;
		}
		out[k++] = i;
	}
	return k;
}

/* write_samples: rebuild the chosen states into DIR/state-<i>.img and describe
 * each in DIR/samples.txt. */
static int write_samples(const struct cs_camp *c, const char *dir, uint64_t n)
{
	char path[2048];
	uint64_t *idx = malloc((n + 1) * sizeof(*idx));
	uint8_t *img = malloc(c->sectors * CS_SECTOR);
	(void)snprintf(path, sizeof(path), "%s/samples.txt", dir);
	FILE *f = idx && img ? fopen(path, "w") : NULL;
	int rc = f ? 0 : -1;
	uint64_t k = f ? pick(c, n, idx) : 0;
	for (uint64_t i = 0; i < k && !rc; i++) {
		const struct cs_spec *sp = &c->rec[idx[i]].spec;
		struct cc_bounds b;
		struct cc_result r;
		struct blkdev bd;
		char recipe[CS_RECIPE_MAX];
		rc = cs_build(c, sp, img);
		if (rc)
			break;
		cs_bounds(c, sp, &b);
		cs_memdev(&bd, img, c->sectors);
		if (cc_check(c->m, &bd, &b, &r) < 0) {
			rc = -1;
			break;
		}
		cs_recipe(sp, recipe, sizeof(recipe));
		(void)snprintf(path, sizeof(path), "%s/state-%llu.img", dir, (unsigned long long)i);
		rc = spit(path, img, c->sectors * CS_SECTOR);
		fprintf(f, "state-%llu.img %s ", (unsigned long long)i, recipe);
		describe(f, &r);
		fprintf(f, "\n");
	}
	if (f && fclose(f))
		rc = -1;
	free(idx);
	free(img);
	return rc;
}

/* run: the whole host campaign. */
static int run(struct cs_camp *c, const struct args *a)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = cs_run(c);
	if (rc) {
		fprintf(stderr, "crash-campaign: %s\n", cairn_strerror(rc));
		return 2;
	}
	if (a->samples) {
		char dir[1024];
		const char *colon = strrchr(a->samples, ':');
		uint64_t n = 0;
		if (!colon || (size_t)(colon - a->samples) >= sizeof(dir) ||
		    parse_u64(colon + 1, &n))
			return usage("--samples DIR:N");
		memcpy(dir, a->samples, (size_t)(colon - a->samples));
		dir[colon - a->samples] = 0;
		if (write_samples(c, dir, n)) {
			fprintf(stderr, "crash-campaign: cannot write the samples to %s\n", dir);
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("crash-host: log writes=%llu flushes=%llu superblock_writes=%llu "
	       "region_switches=%llu session_starts=%llu\n",
	       (unsigned long long)c->log->writes, (unsigned long long)c->log->flushes,
	       (unsigned long long)c->super_writes, (unsigned long long)c->region_switches,
	       (unsigned long long)c->epoch_bumps);
	printf("crash-host: states=%llu failed=%llu prefix=%llu subset=%llu torn=%llu "
	       "seconds=%.1f\n",
	       (unsigned long long)c->states, (unsigned long long)c->failed,
	       (unsigned long long)c->prefix, (unsigned long long)c->subset,
	       (unsigned long long)c->torn, s);
	return c->failed ? 1 : 0;
}

/* replay: rebuild one recipe's state into a file, and say what the oracle sees. */
static int replay(const struct cs_camp *c, const struct args *a)
{
	struct cs_spec sp;
	if (!a->recipe || !a->out)
		return usage("replay needs RECIPE OUT");
	if (cs_parse_recipe(a->recipe, &sp))
		return usage("bad recipe");
	uint8_t *img = malloc(c->sectors * CS_SECTOR);
	if (!img || cs_build(c, &sp, img)) {
		free(img);
		fprintf(stderr, "crash-campaign: recipe %s does not fit this log\n", a->recipe);
		return 2;
	}
	struct cc_bounds b;
	struct cc_result r;
	struct blkdev bd;
	cs_bounds(c, &sp, &b);
	cs_memdev(&bd, img, c->sectors);
	int rc = cc_check(c->m, &bd, &b, &r);
	if (rc >= 0 && spit(a->out, img, c->sectors * CS_SECTOR))
		rc = -1;
	free(img);
	if (rc < 0)
		return 2;
	printf("crash-replay: %s %s lo=%lld hi=%lld ", a->recipe, rc ? "FAIL" : "ok",
	       (long long)b.lo, (long long)b.hi);
	describe(stdout, &r);
	printf("%s%s\n", rc ? " why=" : "", rc ? r.why : "");
	return rc;
}

/* unlogged_progress: QEMU's blklogwrites starts the data write and its log entry
 * together, so a killed QEMU can leave the one write in flight on the disk but
 * not in the log. The sectors where the disk differs from the replayed log are
 * that write; its progress records are evidence like a logged write's. Counts
 * the differing sectors into *n; returns the highest progress found or -1. */
static int64_t unlogged_progress(const struct cs_camp *c, const struct cs_spec *all,
				 const uint8_t *disk, uint64_t *n)
{
	uint8_t *img = malloc(c->sectors * CS_SECTOR);
	int64_t best = -1;
	if (!img || cs_build(c, all, img)) {
		free(img);
		return -1;
	}
	for (uint64_t s = 0; s < c->sectors; s++) {
		size_t off = s * CS_SECTOR;
		if (memcmp(img + off, disk + off, CS_SECTOR) == 0)
			continue;
		(*n)++;
		int64_t v = cs_progress_in(disk, c->sectors * CS_SECTOR, s ? off - CS_SECTOR : 0,
					   off + CS_SECTOR);
		if (v > best)
			best = v;
	}
	free(img);
	return best;
}

/* check: the oracle on a disk file left by a killed QEMU: the crash point is
 * the end of the log. */
static int check(const struct cs_camp *c, const struct args *a)
{
	size_t len;
	uint8_t *img = a->data ? slurp(a->data, &len) : NULL;
	if (!img)
		return a->data ? 2 : usage("check needs --data");
	if (len != c->sectors * CS_SECTOR) {
		free(img);
		fprintf(stderr, "crash-campaign: %s is not %llu sectors\n", a->data,
			(unsigned long long)c->sectors);
		return 2;
	}
	struct cs_spec sp = { .kind = CS_PREFIX, .a = c->log->nentries };
	struct cc_bounds b;
	struct cc_result r;
	struct blkdev bd;
	cs_bounds(c, &sp, &b);
	uint64_t unlogged = 0;
	int64_t v = unlogged_progress(c, &sp, img, &unlogged);
	if (v > c->seen[c->log->nentries]) {
		int64_t acked = cm_prev_sync(c->m, (uint64_t)v);
		if (acked > b.lo)
			b.lo = acked;
		b.hi = (int64_t)cm_next_sync(c->m, v) - 1;
	}
	if (a->have_from) {
		/* The log began with this boot: ops from `from` on may be on the disk
		 * before any progress record of this boot is. */
		int64_t seen = c->seen[c->log->nentries] > v ? c->seen[c->log->nentries] : v;
		int64_t first = (int64_t)a->from - 1;
		int64_t hi = (int64_t)cm_next_sync(c->m, seen > first ? seen : first) - 1;
		if (hi > b.hi)
			b.hi = hi;
	}
	if (a->lo_min > b.lo)
		b.lo = a->lo_min;
	if (a->count_min > b.boots_min)
		b.boots_min = a->count_min;
	if (a->count_max)
		b.boots_max = a->count_max;
	cs_memdev(&bd, img, c->sectors);
	int rc = cc_check(c->m, &bd, &b, &r);
	free(img);
	if (rc < 0)
		return 2;
	printf("crash-check: %s lo=%lld hi=%lld unlogged=%llu ", rc ? "FAIL" : "ok",
	       (long long)b.lo, (long long)b.hi, (unsigned long long)unlogged);
	describe(stdout, &r);
	printf("%s%s\n", rc ? " why=" : "", rc ? r.why : "");
	return rc;
}

/* main: parse the arguments, load the log and the model, run the mode. */
int main(int argc, char **argv)
{
	struct args a;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	size_t len;
	uint8_t *buf = slurp(a.log, &len);
	if (!buf)
		return 2;
	char err[256];
	struct clog log;
	if (clog_parse(&log, buf, len, a.sectors, !strcmp(a.mode, "check"), err, sizeof(err))) {
		fprintf(stderr, "crash-campaign: %s: %s\n", a.log, err);
		free(buf);
		return 2;
	}
	struct cm_model m;
	uint8_t *blank = NULL;
	struct cs_camp c;
	if (a.initial) {
		size_t ilen;
		blank = slurp(a.initial, &ilen);
		if (blank && ilen != a.sectors * CS_SECTOR) {
			fprintf(stderr, "crash-campaign: %s is not %llu sectors\n", a.initial,
				(unsigned long long)a.sectors);
			return 2;
		}
	} else {
		blank = calloc(a.sectors, CS_SECTOR);
	}
	if (!blank || cm_build(&m, a.seed, a.ops)) {
		fprintf(stderr, "crash-campaign: out of memory\n");
		return 2;
	}
	if (cs_init(&c, &log, &m, blank, a.sectors, &a.opt)) {
		fprintf(stderr, "crash-campaign: out of memory\n");
		return 2;
	}
	if (!strcmp(a.mode, "run"))
		rc = run(&c, &a);
	else if (!strcmp(a.mode, "replay"))
		rc = replay(&c, &a);
	else if (!strcmp(a.mode, "check"))
		rc = check(&c, &a);
	else
		rc = usage("unknown mode");
	cs_free(&c);
	cm_free(&m);
	clog_free(&log);
	free(blank);
	free(buf);
	return rc;
}
