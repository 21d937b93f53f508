/* bootctl boot flows over the statefs engine on a memory device: the QEMU scenarios
 * at host speed (first boot confirms A, update to B, bad signature, never confirmed,
 * rollback, damaged records), plus the rules a boot cannot show in one line:
 * saturating tries, repeated set-active, unreadable and unwritable stores. */
#include "bctl_testutil.h"

#define A BOOTCTL_SLOT_A
#define B BOOTCTL_SLOT_B
#define NONE BOOTCTL_SLOT_NONE

/* A device with statefs mounted on it and a store over it. */
struct rig {
	struct blkdev_mem m;
	struct statefs *fs;
	struct sfs_store st;
};

/* rig_up: a fresh formatted store. */
static void rig_up(struct rig *g)
{
	ck_assert_int_eq(blkdev_mem_init(&g->m, 512, 256), 0);
	struct statefs_config cfg = { .bdev = &g->m.dev, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	ck_assert_int_eq(statefs_mount(&g->fs, &cfg, NULL), 0);
	sfs_store_init(&g->st, g->fs);
}

/* rig_remount: unmount and mount again, as a reboot does. */
static void rig_remount(struct rig *g)
{
	ck_assert_int_eq(statefs_unmount(g->fs), 0);
	struct statefs_config cfg = { .bdev = &g->m.dev };
	ck_assert_int_eq(statefs_mount(&g->fs, &cfg, NULL), 0);
	g->st.fs = g->fs;
}

/* rig_down: release everything. */
static void rig_down(struct rig *g)
{
	ck_assert_int_eq(statefs_unmount(g->fs), 0);
	blkdev_mem_fini(&g->m);
}

/* boot: one simulated boot after a remount; returns the result. */
static void boot(struct rig *g, const struct sim_image img[2], uint8_t try_slot, bool health,
		 struct sim_result *r)
{
	rig_remount(g);
	ck_assert_int_eq(sim_boot(&g->st.ops, img, try_slot, health, 3, r), 0);
}

/* expect_slot: r served slot with release and trial flag. */
static void expect_slot(const struct sim_result *r, uint8_t slot, uint64_t rel, bool trial)
{
	ck_assert_msg(r->slot == slot && r->release == rel && r->trial == trial,
		      "served %s rel %llu trial %d, want %s rel %llu trial %d\n%s",
		      bootctl_slot_name(r->slot), (unsigned long long)r->release, r->trial,
		      bootctl_slot_name(slot), (unsigned long long)rel, trial, r->log);
}

/* first_boot_a: the blank first boot: A runs as a trial and is confirmed. */
static void first_boot_a(struct rig *g, const struct sim_image img[2])
{
	struct sim_result r;
	boot(g, img, NONE, true, &r);
	expect_slot(&r, A, img[A].release, true);
	ck_assert(r.confirmed);
	ck_assert_int_eq(r.load, BOOTCTL_LOAD_BLANK);
	ck_assert(has_line(&r, "bootctl: slot=a release=1 state=trial tries=2"));
	ck_assert(has_line(&r, "bootctl: confirmed slot=a release=1 min_release=1"));
}

START_TEST(test_bootctl_first_boot_confirms_a)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 1 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert(has_line(&r, "bootctl: slot=a release=1 state=good tries=0"));
	read_state(&g.st.ops, &s);
	ck_assert(s.slot[A].successful && s.last_good == A && s.min_release == 1);
	ck_assert(!s.slot[B].successful);
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_update_b_confirmed_raises_floor)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 1 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	img[B].release = 2; /* the update is written to B */
	boot(&g, img, B, true, &r);
	expect_slot(&r, B, 2, true);
	ck_assert(has_line(&r, "bootctl: set active slot=b state=trial tries=3"));
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=2"));
	ck_assert(has_line(&r, "bootctl: confirmed slot=b release=2 min_release=2"));
	read_state(&g.st.ops, &s);
	ck_assert(s.slot[B].successful && s.last_good == B && s.min_release == 2);
	/* A (release 1) is now below the floor: retired as a rollback. */
	ck_assert(!s.slot[A].successful && s.slot[A].priority == 0);
	ck_assert_int_eq(s.slot[A].reason, BOOTCTL_R_ROLLBACK);
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, B, 2, false);
	rig_down(&g);
}
END_TEST

/* Confirming B at the same release leaves A bootable, but only as a fallback trial:
 * at most one slot is successful, so an image later written into A cannot inherit
 * A's old confirmation. */
START_TEST(test_bootctl_one_successful_slot)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 1 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, true, &r);
	expect_slot(&r, B, 1, true);
	read_state(&g.st.ops, &s);
	ck_assert(s.slot[B].successful && !s.slot[A].successful && s.last_good == B);
	ck_assert(s.slot[A].priority == 14 && s.slot[A].tries == 3);
	img[B].valid = false; /* B breaks: A is tried (counted), and confirmed again */
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, true);
	ck_assert(has_line(&r, "bootctl: slot=a release=1 state=trial tries=2"));
	ck_assert(r.confirmed);
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_bad_signature_falls_back_same_boot)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, false, 2 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert(has_line(&r, "bootctl: fallback from b to a reason=verify: signature invalid"));
	read_state(&g.st.ops, &s);
	ck_assert(s.slot[B].priority == 0 && s.slot[B].reason == BOOTCTL_R_VERIFY);
	ck_assert(s.last_good == A && s.min_release == 1);
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_unconfirmed_trial_returns_after_tries)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 2 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, false, &r); /* boot.try=b boot.health=fail */
	expect_slot(&r, B, 2, true);
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=2"));
	boot(&g, img, NONE, false, &r);
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=1"));
	boot(&g, img, NONE, false, &r);
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=0"));
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert(has_line(&r, "bootctl: fallback from b to a reason=tries-exhausted"));
	read_state(&g.st.ops, &s);
	ck_assert(!s.slot[B].successful && s.slot[B].priority == 0 && s.slot[B].tries == 0);
	ck_assert(s.min_release == 1 && s.last_good == A);
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, false);
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_rollback_refused)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 2 } };
	struct sim_result r;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, true, &r);
	expect_slot(&r, B, 2, true);
	img[A].release = 1; /* an older release written to A, then tried */
	boot(&g, img, A, true, &r);
	expect_slot(&r, B, 2, false);
	ck_assert(has_line(&r, "bootctl: rollback refused slot=a release=1 min=2"));
	ck_assert(has_line(&r, "bootctl: fallback from a to b reason=rollback"));
	rig_down(&g);
}
END_TEST

/* damage: replace key's value with bytes (statefs-valid, bootctl-invalid). */
static void damage(struct rig *g, const char *key, size_t off)
{
	uint8_t buf[64];
	int n = statefs_get(g->fs, key, buf, sizeof(buf));
	ck_assert_int_gt(n, (int)off);
	buf[off] ^= 0x10;
	ck_assert_int_eq(statefs_put(g->fs, key, buf, (size_t)n), 0);
	ck_assert_int_eq(statefs_sync(g->fs), 0);
}

START_TEST(test_bootctl_damaged_control_boots_last_confirmed)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 5 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	/* B is set active but never confirmed; then the control record is damaged in
	 * the byte that says B is in trial. B must not become good, A boots. */
	boot(&g, img, B, false, &r);
	expect_slot(&r, B, 5, true);
	damage(&g, BOOTCTL_KEY_CONTROL, 44);
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert_int_eq(r.load, BOOTCTL_LOAD_CONFIRMED);
	ck_assert(has_line(&r, "bootctl: control state damaged (control record CRC mismatch): "
			       "booting the last confirmed slot a"));
	read_state(&g.st.ops, &s); /* rebuilt and intact again */
	ck_assert(s.last_good == A && s.slot[A].successful && !s.slot[B].successful);
	ck_assert_uint_eq(s.min_release, 1);
	/* Shortened, oversized and deleted control records are damage too. */
	ck_assert_int_eq(statefs_put(g.fs, BOOTCTL_KEY_CONTROL, "x", 1), 0);
	boot(&g, img, NONE, true, &r);
	ck_assert_int_eq(r.load, BOOTCTL_LOAD_CONFIRMED);
	expect_slot(&r, A, 1, false);
	ck_assert_int_eq(statefs_delete(g.fs, BOOTCTL_KEY_CONTROL), 0);
	boot(&g, img, NONE, true, &r);
	ck_assert_int_eq(r.load, BOOTCTL_LOAD_CONFIRMED);
	expect_slot(&r, A, 1, false);
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_both_damaged_boots_highest_release)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 5 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	first_boot_a(&g, img);
	damage(&g, BOOTCTL_KEY_CONTROL, 3);
	damage(&g, BOOTCTL_KEY_CONFIRMED, 20);
	boot(&g, img, NONE, false, &r);
	ck_assert_int_eq(r.load, BOOTCTL_LOAD_DAMAGED);
	expect_slot(&r, B, 5, true); /* a trial: damaged state never makes a slot good */
	ck_assert(has_line(&r, "bootctl: slot=b release=5 state=trial tries=2"));
	read_state(&g.st.ops, &s);
	ck_assert(!s.slot[A].successful && !s.slot[B].successful && s.last_good == NONE);
	/* The chosen release is the new floor: A (release 1) is not kept as a fallback. */
	ck_assert_uint_eq(s.min_release, 5);
	ck_assert(s.slot[A].priority == 0 && s.slot[A].reason == BOOTCTL_R_ROLLBACK);
	/* The highest release may be invalid: then the next valid one. */
	img[B].valid = false;
	damage(&g, BOOTCTL_KEY_CONTROL, 3);
	damage(&g, BOOTCTL_KEY_CONFIRMED, 20);
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, true);
	ck_assert(r.confirmed); /* the health gate, not the damage, made it good */
	rig_down(&g);
}
END_TEST

/* The SPIN model's BROKEN_FLOOR run: A (release 2) confirmed, an old but validly
 * signed release 1 written to B, both records lost. A is chosen; when A never
 * confirms, B must still never boot (it is below what A proved to exist). */
START_TEST(test_bootctl_lost_state_keeps_old_image_out)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 2 }, { true, true, 1 } };
	struct sim_result r;
	rig_up(&g);
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 2, true);
	damage(&g, BOOTCTL_KEY_CONTROL, 3);
	damage(&g, BOOTCTL_KEY_CONFIRMED, 20);
	for (int i = 0; i < 8; i++) {
		boot(&g, img, NONE, false, &r);
		ck_assert_msg(r.slot == A, "boot %d served %s\n%s", i, bootctl_slot_name(r.slot),
			      r.log);
	}
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_tries_saturate)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { false, false, 0 } };
	struct sim_result r;
	struct bootctl_state s;
	rig_up(&g);
	/* A lone slot A never confirmed: its tries run down to 0 and stay there; the
	 * rescue path keeps booting the only valid image rather than nothing. */
	for (int i = 0; i < 10; i++) {
		boot(&g, img, NONE, false, &r);
		ck_assert_msg(r.slot == A, "boot %d: %s\n%s", i, bootctl_slot_name(r.slot), r.log);
		ck_assert(r.trial);
		read_state(&g.st.ops, &s);
		ck_assert_uint_le(s.slot[A].tries, 3);
		ck_assert(!s.slot[A].successful && !s.slot[B].successful);
	}
	/* A record with tries 0 and a trial is never decremented below 0. */
	struct bootctl_slot t = { .priority = 15, .tries = 0 };
	ck_assert(!bootctl_slot_bootable(&t));
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_set_active_repeat_keeps_tries)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 2 } };
	struct sim_result r;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, false, &r);
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=2"));
	boot(&g, img, B, false, &r); /* boot.try=b again must not reset the counter */
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=1"));
	boot(&g, img, B, false, &r);
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=0"));
	boot(&g, img, B, false, &r); /* exhausted: a fresh request gives a fresh trial */
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=2"));
	/* A good slot set active gets the priority back without becoming a trial;
	 * asking again changes nothing. */
	boot(&g, img, A, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert(has_line(&r, "bootctl: set active slot=a state=good tries=0"));
	boot(&g, img, A, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert(!has_line(&r, "bootctl: set active"));
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_unreadable_store_no_trial)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 2 } };
	struct sim_result r;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, false, &r); /* B in trial, tries 2 */
	g.st.get_err = CAIRN_EIO;
	int before = g.st.commits;
	boot(&g, img, NONE, true, &r);
	ck_assert_int_eq(r.load, BOOTCTL_LOAD_UNREADABLE);
	/* Nothing readable: the highest valid release, as an uncounted rescue. */
	expect_slot(&r, B, 2, true);
	ck_assert(!r.confirmed);
	ck_assert_int_eq(g.st.commits, before);
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_unwritable_store_runs_good_slot)
{
	struct rig g;
	struct sim_image img[2] = { { true, true, 1 }, { true, true, 2 } };
	struct sim_result r;
	rig_up(&g);
	first_boot_a(&g, img);
	boot(&g, img, B, false, &r); /* B in trial, tries 2 */
	g.st.commit_err = CAIRN_EROFS;
	/* The try cannot be counted, so the trial does not run: A (good) does. */
	boot(&g, img, NONE, true, &r);
	expect_slot(&r, A, 1, false);
	ck_assert(has_line(&r, "bootctl: cannot write the control state"));
	g.st.commit_err = 0;
	boot(&g, img, NONE, false, &r);
	expect_slot(&r, B, 2, true); /* the trial resumes with its tries intact */
	ck_assert(has_line(&r, "bootctl: slot=b release=2 state=trial tries=1"));
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_no_disks_fail_closed)
{
	struct rig g;
	struct sim_image img[2] = { { false, false, 0 }, { true, false, 3 } };
	struct sim_result r;
	rig_up(&g);
	boot(&g, img, NONE, true, &r);
	ck_assert_int_eq(r.slot, NONE);
	ck_assert(has_line(&r, "bootctl: fallback from a to b reason=no-image: no disk"));
	ck_assert(has_line(&r, "bootctl: fallback from b to none reason=verify"));
	rig_down(&g);
}
END_TEST

START_TEST(test_bootctl_api_misuse)
{
	struct rig g;
	struct bootctl_core bc;
	struct bootctl_core_config cfg = { .boot_tries = 3 };
	uint8_t s, n;
	rig_up(&g);
	ck_assert_int_eq(bootctl_core_load(&bc, &cfg), CAIRN_EINVAL);
	cfg.store = &g.st.ops;
	cfg.boot_tries = 0;
	ck_assert_int_eq(bootctl_core_load(&bc, &cfg), CAIRN_EINVAL);
	cfg.boot_tries = BOOTCTL_TRIES_MAX + 1;
	ck_assert_int_eq(bootctl_core_load(&bc, &cfg), CAIRN_EINVAL);
	cfg.boot_tries = 3;
	ck_assert_int_eq(bootctl_core_load(&bc, &cfg), 0);
	ck_assert_int_eq(bootctl_core_confirm(&bc), CAIRN_EAGAIN); /* nothing verified */
	ck_assert_int_eq(bootctl_core_start(&bc, NONE, &s), 0);
	ck_assert_int_eq(s, A);
	ck_assert_int_eq(bootctl_core_verified(&bc, B, 1, &n), CAIRN_EINVAL); /* not current */
	ck_assert_int_eq(bootctl_core_failed(&bc, A, BOOTCTL_R_TRIES, NULL, &n), CAIRN_EINVAL);
	ck_assert_int_eq(bootctl_core_set_active(&bc, 2), CAIRN_EINVAL);
	ck_assert_int_eq(bootctl_core_pick(&bc, NULL, &n), CAIRN_EINVAL);
	ck_assert_int_eq(bootctl_core_confirm(&bc), CAIRN_EAGAIN);
	ck_assert_int_eq(bootctl_core_verified(&bc, A, 7, &n), 0);
	ck_assert_int_eq(n, A);
	ck_assert_int_eq(bootctl_core_verified(&bc, A, 7, &n), CAIRN_EINVAL); /* twice */
	ck_assert_int_eq(bootctl_core_confirm(&bc), 0);
	ck_assert_int_eq(bootctl_core_confirm(&bc), 0); /* idempotent */
	rig_down(&g);
}
END_TEST

/* flow_suite: the test cases of this file. */
static Suite *flow_suite(void)
{
	Suite *s = suite_create("bootctl_flow");
	TCase *tc = tcase_create("flow");
	tcase_add_test(tc, test_bootctl_first_boot_confirms_a);
	tcase_add_test(tc, test_bootctl_update_b_confirmed_raises_floor);
	tcase_add_test(tc, test_bootctl_one_successful_slot);
	tcase_add_test(tc, test_bootctl_bad_signature_falls_back_same_boot);
	tcase_add_test(tc, test_bootctl_unconfirmed_trial_returns_after_tries);
	tcase_add_test(tc, test_bootctl_rollback_refused);
	tcase_add_test(tc, test_bootctl_damaged_control_boots_last_confirmed);
	tcase_add_test(tc, test_bootctl_both_damaged_boots_highest_release);
	tcase_add_test(tc, test_bootctl_lost_state_keeps_old_image_out);
	tcase_add_test(tc, test_bootctl_tries_saturate);
	tcase_add_test(tc, test_bootctl_set_active_repeat_keeps_tries);
	tcase_add_test(tc, test_bootctl_unreadable_store_no_trial);
	tcase_add_test(tc, test_bootctl_unwritable_store_runs_good_slot);
	tcase_add_test(tc, test_bootctl_no_disks_fail_closed);
	tcase_add_test(tc, test_bootctl_api_misuse);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void) { return run_suite(flow_suite()); }
