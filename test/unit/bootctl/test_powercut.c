/* bootctl under power cuts: every transition (set-active, attempt, confirm, fallback
 * on a bad image, rollback refusal, abandon, rebuild of damaged state) runs on the
 * statefs engine over the power-cut device, and power is cut after EVERY write and
 * flush it makes, in turn. Each post-crash image (unflushed writes dropped, kept, or
 * torn per sector) must then:
 *  - mount, and hold control state that is one of the legal states (before or after
 *    a transition: both records intact and from the same commit);
 *  - never show a slot successful that was not, unless the transition confirmed it;
 *    never more tries than before unless it gave a trial; never a lower floor;
 *  - boot, in a following boot, a slot whose image is valid and whose release is at
 *    or above the floor (the device is never bricked, never rolled back).
 * The devices are small so that some transitions run into statefs compaction; a pad
 * of unrelated writes moves the transition's position in the journal. */
#include "bctl_testutil.h"
#include "powercut.h"

#define A BOOTCTL_SLOT_A
#define B BOOTCTL_SLOT_B
#define NONE BOOTCTL_SLOT_NONE
#define SS 512u

/* One boot of a scenario. */
struct step {
	struct sim_image img[2];
	uint8_t try_slot;
	bool health;
	int damage; /* before booting: 1 damage the control record, 2 both records */
};

/* A scenario: boots that set the state up, then the transition under test. */
struct scenario {
	const char *name;
	struct step pre[6];
	int npre;
	struct step t;
	uint8_t may_confirm; /* slot the transition may make successful, or NONE */
	bool gives_trial;    /* the transition may raise tries (set-active, rebuild) */
};

#define IMG(ap, av, ar, bp, bv, br)                                                                \
	{                                                                                          \
		{ ap, av, ar }, { bp, bv, br }                                                     \
	}
#define GOOD2(ra, rb) IMG(true, true, ra, true, true, rb)

static const struct scenario scenarios[] = {
	{ .name = "first boot: attempt + confirm",
	  .npre = 0,
	  .t = { GOOD2(1, 1), NONE, true, 0 },
	  .may_confirm = A },
	{ "set-active b + attempt + confirm",
	  { { GOOD2(1, 1), NONE, true, 0 } },
	  1,
	  { GOOD2(1, 2), B, true, 0 },
	  B,
	  true },
	{ "attempt of a trial, no confirm",
	  { { GOOD2(1, 2), NONE, true, 0 }, { GOOD2(1, 2), B, false, 0 } },
	  2,
	  { GOOD2(1, 2), NONE, false, 0 },
	  NONE,
	  false },
	{ "fallback: b fails verification",
	  { { GOOD2(1, 1), NONE, true, 0 } },
	  1,
	  { IMG(true, true, 1, true, false, 2), B, true, 0 },
	  NONE,
	  true },
	{ "rollback refused",
	  { { GOOD2(3, 1), NONE, true, 0 } },
	  1,
	  { GOOD2(3, 2), B, true, 0 },
	  NONE,
	  true },
	{ "abandon after tries",
	  { { GOOD2(1, 2), NONE, true, 0 },
	    { GOOD2(1, 2), B, false, 0 },
	    { GOOD2(1, 2), NONE, false, 0 },
	    { GOOD2(1, 2), NONE, false, 0 } },
	  4,
	  { GOOD2(1, 2), NONE, true, 0 },
	  A,
	  false },
	{ "rebuild from the confirmed record",
	  { { GOOD2(1, 2), NONE, true, 0 }, { GOOD2(1, 2), B, false, 0 } },
	  2,
	  { GOOD2(1, 2), NONE, true, 1 },
	  A,
	  true },
	{ "rebuild of lost state (pick)",
	  { { GOOD2(1, 2), NONE, true, 0 } },
	  1,
	  { GOOD2(1, 2), NONE, true, 2 },
	  B,
	  true },
	{ "confirmed slot fails, trial takes over",
	  { { GOOD2(1, 1), NONE, true, 0 } },
	  1,
	  { IMG(true, false, 1, true, true, 1), NONE, true, 0 },
	  B,
	  false },
};

/* A powered device with statefs on it. */
struct dev {
	struct powercut pc;
	struct statefs *fs;
	struct sfs_store st;
};

/* dev_mount: statefs on the device (formatting a blank one); 0 or the error. */
static int dev_mount(struct dev *d)
{
	struct statefs_config cfg = { .bdev = &d->pc.dev, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	int err = statefs_mount(&d->fs, &cfg, NULL);
	if (!err)
		sfs_store_init(&d->st, d->fs);
	return err;
}

/* damage_rec: flip one byte of a record through statefs (valid store, bad record). */
static void damage_rec(struct statefs *fs, const char *key)
{
	uint8_t buf[64];
	int n = statefs_get(fs, key, buf, sizeof(buf));
	ck_assert_int_gt(n, 20);
	buf[20] ^= 0x40;
	ck_assert_int_eq(statefs_put(fs, key, buf, (size_t)n), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
}

/* run_step: one boot; power may fail underneath. */
static void run_step(struct dev *d, const struct step *s, struct sim_result *r)
{
	(void)sim_boot(&d->st.ops, s->img, s->try_slot, s->health, 3, r);
}

/* prepare: a durable image holding the state after the scenario's pre boots, a pad
 * of unrelated synced writes, and the damage the transition starts from. */
static void prepare(const struct scenario *sc, uint64_t sectors, int pad, uint8_t *img)
{
	struct dev d;
	struct sim_result r;
	uint8_t junk[300];
	memset(junk, 0x5a, sizeof(junk));
	ck_assert_int_eq(powercut_init(&d.pc, SS, sectors, NULL), 0);
	ck_assert_int_eq(dev_mount(&d), 0);
	for (int i = 0; i < sc->npre; i++) {
		run_step(&d, &sc->pre[i], &r);
		ck_assert_msg(r.slot != NONE, "%s: pre boot %d\n%s", sc->name, i, r.log);
	}
	for (int i = 0; i < pad; i++) {
		junk[0] = (uint8_t)i;
		ck_assert_int_eq(statefs_put(d.fs, "/state/pad/x", junk, sizeof(junk)), 0);
		ck_assert_int_eq(statefs_sync(d.fs), 0);
	}
	if (sc->t.damage >= 1)
		damage_rec(d.fs, BOOTCTL_KEY_CONTROL);
	if (sc->t.damage >= 2)
		damage_rec(d.fs, BOOTCTL_KEY_CONFIRMED);
	ck_assert_int_eq(statefs_unmount(d.fs), 0);
	powercut_image(&d.pc, POWERCUT_DROP, 0, img);
	powercut_fini(&d.pc);
}

/* The state the transition starts from: what bootctl_core_load makes of the
 * prepared image (for damaged records, the state rebuilt from what survived). */
struct before {
	enum bootctl_load_class load;
	struct bootctl_state st;
};

/* state_of: decode the control record on a mounted image, if any. */
static bool state_of(struct statefs *fs, struct bootctl_state *st)
{
	uint8_t buf[BOOTCTL_CONTROL_SIZE];
	int n = statefs_get(fs, BOOTCTL_KEY_CONTROL, buf, sizeof(buf));
	return n > 0 && !bootctl_control_decode(buf, (size_t)n, st);
}

/* check_crash: the post-crash image against the invariants, then a check boot. */
static void check_crash(const struct scenario *sc, const struct before *bf, const uint8_t *img,
			uint64_t sectors, const char *what)
{
	struct dev d;
	struct sim_result r;
	struct bootctl_state st;
	ck_assert_int_eq(powercut_init(&d.pc, SS, sectors, img), 0);
	int err = dev_mount(&d);
	ck_assert_msg(err == 0, "%s (%s): mount %s", sc->name, what, cairn_strerror(err));
	struct bootctl_core bc;
	struct bootctl_core_config cfg = { .store = &d.st.ops, .boot_tries = 3 };
	ck_assert_int_eq(bootctl_core_load(&bc, &cfg), 0);
	if (!sc->t.damage) /* atomic commits: never half a transition */
		ck_assert_msg(bc.load == BOOTCTL_LOAD_OK || bc.load == bf->load,
			      "%s (%s): state class %s (%s)", sc->name, what,
			      bootctl_load_name(bc.load), bc.why);
	if (state_of(d.fs, &st)) {
		for (int i = 0; i < BOOTCTL_NSLOTS; i++) {
			const struct bootctl_slot *o = &bf->st.slot[i], *n = &st.slot[i];
			ck_assert_msg(!n->successful || o->successful || i == sc->may_confirm,
				      "%s (%s): slot %d became successful", sc->name, what, i);
			ck_assert_msg(n->tries <= o->tries || sc->gives_trial,
				      "%s (%s): slot %d tries %u -> %u", sc->name, what, i,
				      o->tries, n->tries);
			ck_assert_uint_le(n->tries, 3);
		}
		ck_assert_msg(st.min_release >= bf->st.min_release, "%s (%s): floor fell", sc->name,
			      what);
	}
	/* The next boot serves a verified slot at or above the floor. */
	uint64_t floor = bf->st.min_release;
	ck_assert_int_eq(sim_boot(&d.st.ops, sc->t.img, NONE, true, 3, &r), 0);
	ck_assert_msg(r.slot < BOOTCTL_NSLOTS, "%s (%s): nothing boots\n%s", sc->name, what, r.log);
	ck_assert_msg(sc->t.img[r.slot].present && sc->t.img[r.slot].valid,
		      "%s (%s): bad image served", sc->name, what);
	ck_assert_msg(r.release >= floor, "%s (%s): release %llu below floor %llu", sc->name, what,
		      (unsigned long long)r.release, (unsigned long long)floor);
	ck_assert_int_eq(statefs_unmount(d.fs), 0);
	powercut_fini(&d.pc);
}

/* run_scenario: cut at every write/flush of the transition; returns crash images.
 * *compactions counts the transitions that compacted the journal. */
static uint64_t run_scenario(const struct scenario *sc, uint64_t sectors, int pad, uint64_t *points,
			     uint64_t *compactions)
{
	size_t bytes = (size_t)sectors * SS;
	uint8_t *base = malloc(bytes), *img = malloc(bytes);
	struct before bf = { 0 };
	struct dev d;
	struct sim_result r;
	uint64_t checked = 0;
	ck_assert(base && img);
	prepare(sc, sectors, pad, base);
	/* The state before, and how many device operations the transition makes. */
	ck_assert_int_eq(powercut_init(&d.pc, SS, sectors, base), 0);
	ck_assert_int_eq(dev_mount(&d), 0);
	struct bootctl_core bc;
	struct bootctl_core_config cfg = { .store = &d.st.ops, .boot_tries = 3 };
	ck_assert_int_eq(bootctl_core_load(&bc, &cfg), 0);
	bf.load = bc.load;
	bf.st = bc.st;
	run_step(&d, &sc->t, &r);
	ck_assert_msg(r.slot != NONE, "%s: transition boots nothing\n%s", sc->name, r.log);
	struct statefs_stats sst;
	statefs_stats(d.fs, &sst);
	*compactions += sst.compactions != 0;
	statefs_abandon(d.fs);
	uint64_t total = d.pc.ops;
	powercut_fini(&d.pc);
	ck_assert_msg(total > 0 || sc->t.damage, "%s: the transition wrote nothing", sc->name);
	static const char *const modes[] = { "drop", "keep", "tear" };
	for (uint64_t cut = 0; cut <= total; cut++) {
		ck_assert_int_eq(powercut_init(&d.pc, SS, sectors, base), 0);
		powercut_arm(&d.pc, cut);
		if (dev_mount(&d) == 0) {
			run_step(&d, &sc->t, &r);
			statefs_abandon(d.fs);
		}
		for (int mode = POWERCUT_DROP; mode <= POWERCUT_TEAR; mode++) {
			for (uint64_t seed = 0; seed < (mode == POWERCUT_TEAR ? 3u : 1u); seed++) {
				char what[64];
				snprintf(what, sizeof(what), "cut %llu/%llu %s pad %d",
					 (unsigned long long)cut, (unsigned long long)total,
					 modes[mode], pad);
				powercut_image(&d.pc, (enum powercut_mode)mode, cut * 7 + seed,
					       img);
				check_crash(sc, &bf, img, sectors, what);
				checked++;
			}
		}
		powercut_fini(&d.pc);
	}
	*points += total + 1;
	free(base);
	free(img);
	return checked;
}

START_TEST(test_bootctl_powercut_every_write)
{
	const struct scenario *sc = &scenarios[_i];
	uint64_t images = 0, points = 0, compactions = 0;
	/* Roomy (no compaction) and tight (6 KiB regions: some pads put a compaction
	 * inside the transition). */
	images += run_scenario(sc, 2 + 2 * 96, 0, &points, &compactions);
	for (int pad = 0; pad < 24; pad += 1)
		images += run_scenario(sc, 2 + 2 * 12, pad, &points, &compactions);
	printf("bootctl powercut '%s': %llu cut points, %llu crash images checked, %llu of 25 "
	       "transitions compacted\n",
	       sc->name, (unsigned long long)points, (unsigned long long)images,
	       (unsigned long long)compactions);
	ck_assert_uint_gt(compactions, 0);
}
END_TEST

/* powercut_suite: the test cases of this file. */
static Suite *powercut_suite(void)
{
	Suite *s = suite_create("bootctl_powercut");
	TCase *tc = tcase_create("powercut");
	tcase_set_timeout(tc, 200);
	tcase_add_loop_test(tc, test_bootctl_powercut_every_write, 0,
			    (int)(sizeof(scenarios) / sizeof(scenarios[0])));
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void) { return run_suite(powercut_suite()); }
