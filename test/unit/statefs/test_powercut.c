/* statefs power-cut harness. A deterministic workload of mixed operations (puts of
 * 0 B..64 KiB, deletes, atomic pair batches, syncs) runs on a power-cut device;
 * power is cut at every write/flush point in turn (or every Nth for the large
 * geometry). For each cut, every unflushed sector ends old, new or garbage: all
 * 3^n combinations when n <= 3 pending sectors, else drop-all, keep-all and random
 * samples. Each crash image must mount as CLEAN or TORN_TAIL (a crash is never
 * reported as damage or rollback and never makes the store read-only), hold
 * every synced value or a newer complete one and nothing else (values are checked
 * byte for byte), keep batch pairs equal, pass check, and keep working. For some
 * images the first session after the crash (session start, tail repair, puts,
 * sync, unmount) is cut again at each of its write/flush points (re-entrant cuts,
 * recovery writes included) and the result checked the same way.
 *
 * Geometries: 48 KiB regions at 512 and 4096-byte sectors (frequent compactions),
 * and 256 KiB regions (larger than the 66 KiB write buffer) at 512 with hundreds
 * of keys, values up to the 64 KiB cap, a key cap (max_keys) and a live set that
 * reaches ENOSPC. Every geometry writes index checkpoints often (a small
 * ckpt_interval, and at every compaction), so cuts land inside checkpoint writes
 * (chunks, their commit, the superblock naming them) and crash images mount from
 * a checkpoint; both are counted and required.
 *
 * Campaign: STATEFS_PC_SEEDS=<n> (workload seeds per geometry, default 1),
 * STATEFS_PC_SAMPLES=<n> (random samples per cut point, default 2),
 * STATEFS_PC_STRIDE=<n> (override the cut stride), STATEFS_PC_REENTER=<n> (every
 * nth cut point gets re-entrant cuts, default 4), STATEFS_PC_ONLY=<i> (only
 * geometry i), STATEFS_PC_FROM=<cut> (start at that cut point, for debugging);
 * docs/statefs.md gives the command that checks >= 1,000,000 crash images. */
#include "powercut.h"
#include "sfs_testutil.h"

#define MAXSINCE 512
#define MAXPEND 4096 /* pending sectors tracked per cut */
#define MAXCK 1024   /* checkpoint-writing operations remembered per workload */

struct geo {
	const char *name;
	uint32_t ss;
	uint64_t region_bytes;
	int nkeys; /* single keys; two more are always written as a pair */
	int nops;
	uint32_t max_keys;
	int big_every;		/* about one put in big_every is a big value */
	size_t big_max;		/* largest value */
	int stride;		/* check every stride-th cut point */
	uint32_t ckpt_interval; /* statefs_config.ckpt_interval: checkpoints at syncs */
};

static const struct geo geos[] = {
	{ "small-512", 512, 49152, 16, 1200, 0, 17, 8200, 1, 16384 },
	{ "small-4096", 4096, 49152, 16, 1200, 0, 17, 8200, 1, 16384 },
	{ "large-512", 512, 262144, 300, 700, 240, 40, STATEFS_VALUE_MAX, 3, 65536 },
};

/* What a key may hold after a crash: its synced version or any attempted since. */
struct model {
	int nk;	      /* keys in the model: nkeys + 2 (the pair) */
	int *synced;  /* version at the last successful sync (0 = absent) */
	int *current; /* version after the last successful operation */
	int *since;   /* [nk][MAXSINCE] versions attempted after the last sync */
	int *nsince;
	int version; /* last version handed out */
	int syncs, ops_done, enospc;
	uint64_t compactions;
	/* device op numbers [lo, hi) of each operation that wrote a checkpoint */
	uint64_t ck_lo[MAXCK], ck_hi[MAXCK];
	int nck;
};

/* Counters printed at the end: the figures in docs/statefs.md. */
struct tally {
	uint64_t cuts, drop, keep, exhaustive, sampled, reentrant_cuts, reentrant_images;
	uint64_t clean, torn;
	uint64_t ckpt_cuts; /* cut points inside an operation that wrote a checkpoint */
	uint64_t from_ckpt; /* crash images whose mount started from a checkpoint */
};

/* model_alloc / model_free: arrays for nk keys. */
static void model_alloc(struct model *m, int nk)
{
	memset(m, 0, sizeof(*m));
	m->nk = nk;
	m->synced = calloc((size_t)nk, sizeof(int));
	m->current = calloc((size_t)nk, sizeof(int));
	m->since = calloc((size_t)nk * MAXSINCE, sizeof(int));
	m->nsince = calloc((size_t)nk, sizeof(int));
	ck_assert(m->synced && m->current && m->since && m->nsince);
}

static void model_free(struct model *m)
{
	free(m->synced);
	free(m->current);
	free(m->since);
	free(m->nsince);
}

/* model_reset: a fresh workload. */
static void model_reset(struct model *m)
{
	int nk = m->nk;
	memset(m->synced, 0, (size_t)nk * sizeof(int));
	memset(m->current, 0, (size_t)nk * sizeof(int));
	memset(m->nsince, 0, (size_t)nk * sizeof(int));
	m->version = m->syncs = m->ops_done = m->enospc = 0;
	m->compactions = 0;
	m->nck = 0;
}

/* key_name: the key for slot k (the last two slots are the pair). */
static void key_name(const struct model *m, int k, char *buf, size_t n)
{
	if (k >= m->nk - 2)
		snprintf(buf, n, "/state/pair/%c", k == m->nk - 2 ? 'a' : 'b');
	else
		snprintf(buf, n, "/state/pc/%03d", k);
}

/* value_len_for: deterministic value size for (k, v); some are big. */
static size_t value_len_for(const struct geo *g, int k, int v)
{
	uint32_t h = (uint32_t)(k * 7919 + v * 104729);
	if (h % (uint32_t)g->big_every == 0)
		return 3000 + h % (g->big_max - 3000 + 1);
	return 8 + h % 700;
}

/* make_value: [k][v] header then a pattern, so any tear or mix-up is visible. */
static size_t make_value(const struct geo *g, int k, int v, uint8_t *buf)
{
	size_t len = value_len_for(g, k, v);
	fill_pattern(buf, len, (uint32_t)(k * 65537 + v));
	memcpy(buf, &k, 4);
	memcpy(buf + 4, &v, 4);
	return len;
}

/* intend: record that key k may now hold version v (0 = deleted). */
static void intend(struct model *m, int k, int v)
{
	ck_assert_int_lt(m->nsince[k], MAXSINCE);
	m->since[k * MAXSINCE + m->nsince[k]++] = v;
}

/* rng_next: the workload's deterministic generator. */
static uint32_t rng_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* do_put: one put of a fresh version; false when power failed. */
static bool do_put(const struct geo *g, struct statefs *fs, struct model *m, int k, uint8_t *buf)
{
	char key[32];
	int v = ++m->version;
	key_name(m, k, key, sizeof(key));
	size_t len = make_value(g, k, v, buf);
	intend(m, k, v);
	int err = statefs_put(fs, key, buf, len);
	if (err == CAIRN_ENOSPC) { /* live set or key cap: nothing changed */
		m->nsince[k]--;
		m->enospc++;
		return true;
	}
	if (err)
		return false;
	m->current[k] = v;
	return true;
}

/* do_pair: batch-put both pair keys with one version. */
static bool do_pair(const struct geo *g, struct statefs *fs, struct model *m, uint8_t *buf)
{
	int v = ++m->version, a = m->nk - 2, b = m->nk - 1;
	uint8_t *b2 = buf + STATEFS_VALUE_MAX;
	struct statefs_op ops[2] = {
		{ STATEFS_OP_PUT, "/state/pair/a", buf, make_value(g, a, v, buf) },
		{ STATEFS_OP_PUT, "/state/pair/b", b2, make_value(g, b, v, b2) },
	};
	intend(m, a, v);
	intend(m, b, v);
	int err = statefs_batch(fs, ops, 2);
	if (err == CAIRN_ENOSPC) {
		m->nsince[a]--, m->nsince[b]--;
		m->enospc++;
		return true;
	}
	if (err)
		return false;
	m->current[a] = m->current[b] = v;
	return true;
}

/* do_sync: sync; on success the current state becomes the synced state. */
static bool do_sync(struct statefs *fs, struct model *m)
{
	if (statefs_sync(fs))
		return false;
	for (int k = 0; k < m->nk; k++) {
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
	key_name(m, k, key, sizeof(key));
	intend(m, k, 0);
	if (statefs_delete(fs, key))
		return false;
	m->current[k] = 0;
	return true;
}

/* workload: run until done or until the device loses power. */
static void workload(const struct geo *g, struct blkdev *bd, struct model *m, uint8_t *buf,
		     uint64_t seed)
{
	struct statefs_config cfg = { .bdev = bd,
				      .flags = STATEFS_MOUNT_FORMAT_EMPTY,
				      .max_keys = g->max_keys,
				      .ckpt_interval = g->ckpt_interval };
	struct statefs *fs;
	struct powercut *pc = (struct powercut *)bd; /* dev is its first member */
	struct statefs_stats st;
	model_reset(m);
	if (statefs_mount(&fs, &cfg, NULL))
		return;
	uint64_t s = 42 + seed * 1000003;
	bool ok = true;
	int singles = m->nk - 2;
	for (int i = 0; i < g->nops && ok; i++) {
		uint32_t r = rng_next(&s) % 100;
		int k = (int)(rng_next(&s) % (uint32_t)singles);
		uint64_t ops0 = pc->ops;
		statefs_stats(fs, &st);
		uint64_t ck0 = st.checkpoints;
		if (r < 55)
			ok = do_put(g, fs, m, k, buf);
		else if (r < 66)
			ok = do_delete(fs, m, k);
		else if (r < 78)
			ok = do_pair(g, fs, m, buf);
		else
			ok = do_sync(fs, m);
		m->ops_done += ok;
		statefs_stats(fs, &st);
		if (st.checkpoints > ck0 && m->nck < MAXCK) {
			m->ck_lo[m->nck] = ops0;
			m->ck_hi[m->nck++] = pc->ops;
		}
	}
	if (ok)
		(void)do_sync(fs, m);
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
		if (m->since[k * MAXSINCE + i] == v)
			return true;
	return false;
}

/* read_version: the version key k holds (0 = absent), checking every byte: no
 * value is returned that the workload did not write in full. */
static int read_version(const struct geo *g, const struct model *m, struct statefs *fs, int k,
			uint8_t *buf)
{
	char key[32];
	key_name(m, k, key, sizeof(key));
	int n = statefs_get(fs, key, buf, STATEFS_VALUE_MAX);
	if (n == CAIRN_ENOENT)
		return 0;
	ck_assert_msg(n >= 8, "get %s: %s", key, cairn_strerror(n));
	int kk, v;
	memcpy(&kk, buf, 4);
	memcpy(&v, buf + 4, 4);
	ck_assert_int_eq(kk, k);
	uint8_t *want = buf + STATEFS_VALUE_MAX;
	ck_assert_int_eq((size_t)n, make_value(g, k, v, want));
	ck_assert_msg(memcmp(want, buf, (size_t)n) == 0, "torn value for %s", key);
	return v;
}

/* check_state: the model's oracles on a mounted crash image. */
static void check_state(const struct geo *g, const struct model *m, struct statefs *fs,
			const struct statefs_replay_report *rep, uint8_t *buf, const char *what)
{
	ck_assert_msg(rep->mount_class <= STATEFS_CLASS_TORN_TAIL && !rep->refused,
		      "%s: a crash image mounted as %s (reason %s, stop %llu, bad %llu, evidence "
		      "%llu)",
		      what, statefs_mount_class_name(rep->mount_class),
		      statefs_stop_reason_name(rep->stop_reason),
		      (unsigned long long)rep->stop_offset, (unsigned long long)rep->bad_offset,
		      (unsigned long long)rep->evidence_offset);
	for (int k = 0; k < m->nk; k++) {
		int v = read_version(g, m, fs, k, buf);
		ck_assert_msg(allowed(m, k, v), "%s: key %d holds version %d, synced %d (class %s)",
			      what, k, v, m->synced[k], statefs_mount_class_name(rep->mount_class));
	}
	ck_assert_int_eq(read_version(g, m, fs, m->nk - 2, buf),
			 read_version(g, m, fs, m->nk - 1, buf));
	struct statefs_check_report cr;
	int err = statefs_check(fs, &cr);
	ck_assert_msg(err == 0, "%s: check %s (problem %d)", what, cairn_strerror(err), cr.problem);
}

/* after_session: the first session after a crash: puts, a delete, sync,
 * unmount. 0 when its final sync (unmount) succeeded, 1 when a call failed (the
 * power went), 2 when the store was full (ENOSPC: nothing changed). */
static int after_session(struct statefs *fs)
{
	int err = put_str(fs, "/state/after/1", "one");
	if (!err)
		err = statefs_delete(fs, "/state/after/1");
	if (!err)
		err = put_str(fs, "/state/after/2", "two");
	if (err) {
		statefs_abandon(fs);
		return err == CAIRN_ENOSPC ? 2 : 1;
	}
	return statefs_unmount(fs) == 0 ? 0 : 1;
}

/* verify_keys: the key cap a verifying mount uses: room for the two keys of the
 * recovery session (replay itself honours the workload's cap). */
static uint32_t verify_keys(const struct geo *g) { return g->max_keys ? g->max_keys + 2 : 0; }

/* mount_image: mount img on a fresh power-cut device d. */
static struct statefs *mount_image(const struct geo *g, struct powercut *d, uint64_t count,
				   const uint8_t *img, struct statefs_replay_report *rep,
				   const char *what)
{
	ck_assert_int_eq(powercut_init(d, g->ss, count, img), 0);
	struct statefs_config cfg = { .bdev = &d->dev,
				      .flags = STATEFS_MOUNT_FORMAT_EMPTY,
				      .max_keys = verify_keys(g),
				      .ckpt_interval = g->ckpt_interval };
	struct statefs *fs;
	int err = statefs_mount(&fs, &cfg, rep);
	ck_assert_msg(err == 0, "%s: mount %s", what, cairn_strerror(err));
	return fs;
}

/* verify_second: an image cut during the recovery session: the workload's
 * oracles hold, /state/after/2 is there when that session's sync completed, and
 * /state/after/1 never is. */
static void verify_second(const struct geo *g, const struct model *m, uint64_t count,
			  const uint8_t *img, bool synced, uint8_t *buf, const char *what)
{
	struct powercut d;
	struct statefs_replay_report rep;
	struct statefs *fs = mount_image(g, &d, count, img, &rep, what);
	check_state(g, m, fs, &rep, buf, what);
	/* the session's records replay in order: after/2 only once after/1 is deleted */
	int n = statefs_size(fs, "/state/after/2"), n1 = statefs_size(fs, "/state/after/1");
	ck_assert_msg(n == 3 || (!synced && n == CAIRN_ENOENT), "%s: after/2 %d", what, n);
	ck_assert_msg(n1 == CAIRN_ENOENT || (n1 == 3 && n == CAIRN_ENOENT), "%s: after/1 %d", what,
		      n1);
	statefs_abandon(fs);
	powercut_fini(&d);
}

/* reenter: cut the recovery session of img at each of its write/flush points;
 * for each, check the drop, keep and all-garbage images. */
static void reenter(const struct geo *g, const struct model *m, uint64_t count, const uint8_t *img,
		    uint8_t *buf, uint8_t *img2, struct tally *t, const char *what)
{
	static uint8_t choice[MAXPEND];
	char w2[160];
	for (uint64_t cut = 0;; cut++) {
		struct powercut d;
		struct statefs_replay_report rep;
		struct statefs *fs = mount_image(g, &d, count, img, &rep, what);
		powercut_arm(&d, cut);
		int res = after_session(fs);
		bool synced = res == 0;
		bool done = !d.dead;
		if (res == 2) {
			powercut_fini(&d);
			break;
		}
		size_t np = powercut_pending_sectors(&d);
		for (int mode = 0; mode < 3 && np <= MAXPEND; mode++) {
			memset(choice, mode, np);
			powercut_image_choice(&d, choice, cut, img2);
			snprintf(w2, sizeof(w2), "%s, re-entrant cut %llu mode %d", what,
				 (unsigned long long)cut, mode);
			verify_second(g, m, count, img2, synced && done, buf, w2);
			t->reentrant_images++;
		}
		powercut_fini(&d);
		t->reentrant_cuts++;
		if (done)
			break;
	}
}

/* verify_after_crash: mount one crash image and check it against the model, then
 * the recovery session and its remount. */
static void verify_after_crash(const struct geo *g, const struct model *m, uint64_t count,
			       const uint8_t *img, uint8_t *buf, const char *what, struct tally *t)
{
	struct powercut d;
	struct statefs_replay_report rep;
	struct statefs *fs = mount_image(g, &d, count, img, &rep, what);
	check_state(g, m, fs, &rep, buf, what);
	t->clean += rep.mount_class == STATEFS_CLASS_CLEAN;
	t->torn += rep.mount_class == STATEFS_CLASS_TORN_TAIL;
	t->from_ckpt += rep.checkpoint == STATEFS_CKPT_NEWEST ||
			rep.checkpoint == STATEFS_CKPT_PREVIOUS;
	int res = after_session(fs);
	if (res == 2) { /* a full store: the oracles above are all there is */
		powercut_fini(&d);
		return;
	}
	ck_assert_msg(res == 0, "%s: recovery session failed", what);
	struct statefs_config cfg = { .bdev = &d.dev,
				      .max_keys = verify_keys(g),
				      .ckpt_interval = g->ckpt_interval };
	ck_assert_int_eq(statefs_mount(&fs, &cfg, &rep), 0);
	ck_assert_msg(rep.mount_class == STATEFS_CLASS_CLEAN, "%s: after recovery: %s", what,
		      statefs_mount_class_name(rep.mount_class));
	expect_str(fs, "/state/after/2", "two");
	ck_assert_int_eq(statefs_size(fs, "/state/after/1"), CAIRN_ENOENT);
	statefs_abandon(fs);
	powercut_fini(&d);
}

/* env_int: a positive integer from the environment, or def. */
static int env_int(const char *name, int def)
{
	const char *s = getenv(name);
	int v = s ? atoi(s) : 0;
	return v > 0 ? v : def;
}

/* check_cut: every post-crash image of one cut point. */
static void check_cut(const struct geo *g, const struct model *m, const struct powercut *pc,
		      uint64_t count, uint64_t cut, int samples, bool re, uint8_t *buf,
		      uint8_t *img, uint8_t *img2, struct tally *t)
{
	static uint8_t choice[MAXPEND];
	char what[128];
	size_t np = powercut_pending_sectors(pc);
	ck_assert_uint_le(np, MAXPEND);
	uint64_t combos = 1;
	for (size_t i = 0; i < np && combos <= 27; i++)
		combos *= 3;
	bool exhaustive = combos <= 27;
	uint64_t n = exhaustive ? combos : 2 + (uint64_t)samples;
	uint64_t rng = cut * 2654435761u + 99;
	for (uint64_t c = 0; c < n; c++) {
		if (exhaustive) {
			uint64_t x = c;
			for (size_t i = 0; i < np; i++, x /= 3)
				choice[i] = (uint8_t)(x % 3);
		} else {
			for (size_t i = 0; i < np; i++) {
				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				choice[i] = c == 0   ? POWERCUT_SECTOR_OLD
					    : c == 1 ? POWERCUT_SECTOR_NEW
						     : (uint8_t)((rng >> 33) % 3);
			}
		}
		bool all_old = true, all_new = true;
		for (size_t i = 0; i < np; i++)
			all_old &= choice[i] == POWERCUT_SECTOR_OLD,
				all_new &= choice[i] == POWERCUT_SECTOR_NEW;
		powercut_image_choice(pc, choice, cut * 31 + c, img);
		snprintf(what, sizeof(what), "%s cut %llu image %llu/%llu", g->name,
			 (unsigned long long)cut, (unsigned long long)c, (unsigned long long)n);
		verify_after_crash(g, m, count, img, buf, what, t);
		t->drop += all_old;
		t->keep += all_new && !all_old;
		t->exhaustive += exhaustive && !all_old && !all_new;
		t->sampled += !exhaustive && !all_old && !all_new;
		if (re && c + 1 == n) /* the last image: the most garbage for exhaustive sets */
			reenter(g, m, count, img, buf, img2, t, what);
	}
}

/* test_statefs_powercut_every_point: the harness run for one geometry. */
START_TEST(test_statefs_powercut_every_point)
{
	const struct geo *g = &geos[_i];
	if (getenv("STATEFS_PC_ONLY") && atoi(getenv("STATEFS_PC_ONLY")) != _i)
		return;
	uint64_t count = 2 + 2 * (g->region_bytes / g->ss);
	uint8_t *buf = malloc(4 * (size_t)STATEFS_VALUE_MAX), *img = malloc(count * g->ss),
		*img2 = malloc(count * g->ss);
	int seeds = env_int("STATEFS_PC_SEEDS", 1), samples = env_int("STATEFS_PC_SAMPLES", 2);
	int stride = env_int("STATEFS_PC_STRIDE", g->stride),
	    reenter_every = env_int("STATEFS_PC_REENTER", 4);
	struct model m;
	model_alloc(&m, g->nkeys + 2);
	struct tally t = { 0 };
	struct powercut pc;
	uint64_t total_points = 0, compactions = 0;
	int syncs = 0, enospc = 0;
	for (int seed = 0; seed < seeds; seed++) {
		ck_assert_int_eq(powercut_init(&pc, g->ss, count, NULL), 0);
		workload(g, &pc.dev, &m, buf, (uint64_t)seed);
		ck_assert_int_eq(m.ops_done, g->nops);
		uint64_t total = pc.ops;
		compactions += m.compactions, syncs += m.syncs, enospc += m.enospc;
		ck_assert_uint_ge(m.compactions, 1);
		ck_assert_int_gt(m.nck, 0);
		int nck = m.nck;
		uint64_t *ck = malloc(2 * (size_t)nck * sizeof(*ck));
		memcpy(ck, m.ck_lo, (size_t)nck * sizeof(*ck));
		memcpy(ck + nck, m.ck_hi, (size_t)nck * sizeof(*ck));
		powercut_fini(&pc);
		total_points += total;
		uint64_t from = (uint64_t)env_int("STATEFS_PC_FROM", 0);
		for (uint64_t cut = from + (uint64_t)seed % (uint64_t)stride; cut < total;
		     cut += (uint64_t)stride) {
			ck_assert_int_eq(powercut_init(&pc, g->ss, count, NULL), 0);
			powercut_arm(&pc, cut);
			workload(g, &pc.dev, &m, buf, (uint64_t)seed);
			bool re = (cut / (uint64_t)stride) % (uint64_t)reenter_every == 0;
			check_cut(g, &m, &pc, count, cut, samples, re, buf, img, img2, &t);
			t.cuts++;
			for (int i = 0; i < nck; i++)
				t.ckpt_cuts += cut >= ck[i] && cut < ck[nck + i];
			powercut_fini(&pc);
		}
		free(ck);
	}
	ck_assert_uint_gt(t.ckpt_cuts, 0);
	ck_assert_uint_gt(t.from_ckpt, 0);
	ck_assert_uint_ge(compactions, 3 * (uint64_t)seeds);
	if (g->max_keys)
		ck_assert_int_gt(enospc, 0); /* the key cap / ENOSPC paths ran */
	uint64_t images = t.drop + t.keep + t.exhaustive + t.sampled;
	printf("powercut %s (ss=%u, %llu KiB regions, %d keys, values to %zu B): %d seed(s) x %d "
	       "ops, "
	       "%d syncs, %llu compactions, %d ENOSPC; %llu of %llu cut points checked; crash "
	       "images: "
	       "%llu drop-all, %llu keep-all, %llu exhaustive old/new/garbage, %llu sampled "
	       "old/new/garbage "
	       "= %llu (%llu clean, %llu torn-tail, %llu from a checkpoint); %llu cuts in "
	       "checkpoint "
	       "writes; re-entrant: %llu cuts, %llu images; total "
	       "%llu\n",
	       g->name, g->ss, (unsigned long long)(g->region_bytes / 1024), g->nkeys, g->big_max,
	       seeds, g->nops, syncs, (unsigned long long)compactions, enospc,
	       (unsigned long long)t.cuts, (unsigned long long)total_points,
	       (unsigned long long)t.drop, (unsigned long long)t.keep,
	       (unsigned long long)t.exhaustive, (unsigned long long)t.sampled,
	       (unsigned long long)images, (unsigned long long)t.clean, (unsigned long long)t.torn,
	       (unsigned long long)t.from_ckpt, (unsigned long long)t.ckpt_cuts,
	       (unsigned long long)t.reentrant_cuts, (unsigned long long)t.reentrant_images,
	       (unsigned long long)(images + t.reentrant_images));
	fflush(stdout);
	model_free(&m);
	free(buf);
	free(img);
	free(img2);
}
END_TEST

/* powercut_suite: the test cases of this file. */
static Suite *powercut_suite(void)
{
	Suite *s = suite_create("statefs_powercut");
	TCase *tc = tcase_create("powercut");
	tcase_set_timeout(tc, getenv("STATEFS_PC_SEEDS") ? 0 : 280);
	tcase_add_loop_test(tc, test_statefs_powercut_every_point, 0,
			    sizeof(geos) / sizeof(geos[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(powercut_suite()); }
