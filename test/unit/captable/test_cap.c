/* Host tests of cap.c over the real capability table, every component enabled. */
#include <check.h>
#include <stdlib.h>

#include "cairn/cap.h"
#include "cairn/err.h"

/* The generated per-pair constants exist exactly for granted pairs. */
#if !defined(CAP_GRANT_STATEFS_VIRTIO_BLK) || !defined(CAP_GRANT_KEYSTORE_STATEFS)
#error "granted pairs must have CAP_GRANT_* constants"
#endif
#if defined(CAP_GRANT_BOOTCTL_KEYSTORE) || defined(CAP_GRANT_VIRTIO_BLK_STATEFS)
#error "ungranted pairs must not have CAP_GRANT_* constants"
#endif

/* Granted calls are allowed, others (including reverse directions) are not. */
START_TEST(test_cap_may_call_follows_grants)
{
	ck_assert(cap_may_call(CAP_COMP_STATEFS, CAP_COMP_VIRTIO_BLK));
	ck_assert(cap_may_call(CAP_COMP_KEYSTORE, CAP_COMP_STATEFS));
	ck_assert(cap_may_call(CAP_COMP_SHELL, CAP_COMP_BOOTCTL));
	ck_assert(!cap_may_call(CAP_COMP_VIRTIO_BLK, CAP_COMP_STATEFS));
	ck_assert(!cap_may_call(CAP_COMP_BOOTCTL, CAP_COMP_KEYSTORE));
	ck_assert(cap_may_call(CAP_COMP_SHELL, CAP_COMP_KEYSTORE)); /* key pub, key sign */
	ck_assert(!cap_may_call(CAP_COMP_SHELL, CAP_COMP_VIRTIO_BLK));
}
END_TEST

/* Everyone may call the kernel and itself; the kernel may call everyone. */
START_TEST(test_cap_may_call_kernel_and_self)
{
	for (unsigned c = 0; c < CAP_COMP_COUNT; c++) {
		ck_assert(cap_may_call(c, CAP_COMP_KERNEL));
		ck_assert(cap_may_call(CAP_COMP_KERNEL, c));
		ck_assert(cap_may_call(c, c));
	}
}
END_TEST

/* Ids outside the table are never allowed anything. */
START_TEST(test_cap_rejects_unknown_ids)
{
	ck_assert(!cap_may_call(CAP_COMP_COUNT, CAP_COMP_KERNEL));
	ck_assert(!cap_may_call(CAP_COMP_KERNEL, CAP_COMP_COUNT));
	ck_assert(!cap_may_call(~0u, ~0u));
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_COUNT, "state", false), CAIRN_EPERM);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_COUNT, "/state/keystore/k"), 0);
	ck_assert_str_eq(cap_comp_name(CAP_COMP_COUNT), "?");
}
END_TEST

/* Disk claims: owner only, and read-only claims refuse rw. */
START_TEST(test_cap_privileges_follow_the_table)
{
	/* The table gives selftest its three privileges and nobody else any. */
	ck_assert(cap_has_priv(CAP_COMP_SELFTEST, CAP_PRIV_RUN_AS | CAP_PRIV_RESTART));
	ck_assert(cap_has_priv(CAP_COMP_SELFTEST, CAP_PRIV_CRASH));
	ck_assert(!cap_has_priv(CAP_COMP_STATEFS, CAP_PRIV_RESTART));
	ck_assert(!cap_has_priv(CAP_COMP_FAULTTEST, CAP_PRIV_RUN_AS));
	ck_assert(!cap_has_priv(CAP_COMP_COUNT, CAP_PRIV_RUN_AS));
	ck_assert(cap_has_priv(CAP_COMP_KERNEL, CAP_PRIV_RUN_AS | CAP_PRIV_CRASH));
}
END_TEST

START_TEST(test_cap_disk_claim_owner_and_mode)
{
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_STATEFS, "state", true), CAIRN_OK);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_PACKAGEFS, "pkgfs", false), CAIRN_OK);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_PACKAGEFS, "pkgfs", true), CAIRN_EROFS);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_SELFTEST, "scratch", true), CAIRN_OK);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_KEYSTORE, "state", false), CAIRN_EPERM);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_SELFTEST, "state", true), CAIRN_EPERM);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_STATEFS, "stat", true), CAIRN_EPERM);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_STATEFS, "", true), CAIRN_EPERM);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_STATEFS, NULL, true), CAIRN_EPERM);
	ck_assert_int_eq(cap_disk_claim(CAP_COMP_KERNEL, "state", false), CAIRN_EPERM);
}
END_TEST

/* Prefix rules: keystore alone in /state/keystore/, bootctl alone writes /state/boot/. */
START_TEST(test_cap_prefix_rights_per_component)
{
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore/dev0"),
			  CAP_R | CAP_W | CAP_L);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore/"),
			  CAP_R | CAP_W | CAP_L);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_SHELL, "/state/keystore/dev0"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_SELFTEST, "/state/keystore/dev0"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_BOOTCTL, "/state/boot/slot"),
			  CAP_R | CAP_W | CAP_L);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_SELFTEST, "/state/boot/slot"), CAP_R | CAP_L);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_SHELL, "/state/boot/slot"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_STATEFS, "/state/statefs/boot_count"),
			  CAP_R | CAP_W | CAP_L);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_SELFTEST, "/state/selftest/a/b"),
			  CAP_R | CAP_W | CAP_L);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KERNEL, "/state/boot/slot"), 0);
}
END_TEST

/* Keys outside every rule, near misses and dot segments get no rights. */
START_TEST(test_cap_prefix_rights_deny_by_default)
{
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystorex/k"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "state/keystore/k"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore/../boot/slot"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore/./k"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore//k"), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore/.."), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, ""), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, NULL), 0);
	ck_assert_uint_eq(cap_prefix_rights(CAP_COMP_KEYSTORE, "/state/keystore/..k"),
			  CAP_R | CAP_W | CAP_L);
}
END_TEST

/* Prefix quotas come from the table's quota=/keys= (none: the maximum). */
START_TEST(test_cap_prefix_quotas_from_the_table)
{
	int shell = cap_prefix_index("/state/shell/history");
	int quota = cap_prefix_index("/state/quota/k");
	int self = cap_prefix_index("/state/selftest/a");
	ck_assert_int_ge(shell, 0);
	ck_assert_int_ge(quota, 0);
	ck_assert_int_ge(self, 0);
	ck_assert_int_eq(cap_prefix_index("/state/nobody/k"), -1);
	ck_assert_int_eq(cap_prefix_index("/state/quot"), -1);
	ck_assert_int_eq(cap_prefix_index(NULL), -1);
	ck_assert_uint_eq(cap_table.prefixes[shell].quota_bytes, 256u * 1024u);
	ck_assert_uint_eq(cap_table.prefixes[shell].quota_keys, 1000u);
	ck_assert_uint_eq(cap_table.prefixes[quota].quota_bytes, 4096u);
	ck_assert_uint_eq(cap_table.prefixes[quota].quota_keys, 16u);
	ck_assert_uint_eq(cap_table.prefixes[self].quota_bytes, UINT64_MAX);
	ck_assert_uint_eq(cap_table.prefixes[self].quota_keys, UINT32_MAX);
}
END_TEST

/* Names, ids and the start order match the table. */
START_TEST(test_cap_names_and_start_order)
{
	static const uint8_t order[CAP_START_COUNT] = CAP_START_ORDER_INIT;
	ck_assert_uint_eq(cap_table.comp_count, CAP_COMP_COUNT);
	ck_assert_str_eq(cap_comp_name(CAP_COMP_KERNEL), "kernel");
	ck_assert_str_eq(cap_comp_name(CAP_COMP_STATEFS), "statefs");
	ck_assert_int_eq(cap_comp_by_name("keystore"), CAP_COMP_KEYSTORE);
	ck_assert_int_eq(cap_comp_by_name("statfs"), -1);
	ck_assert_int_eq(cap_comp_by_name(NULL), -1);
	ck_assert_uint_eq(cap_table.start_count, CAP_START_COUNT);
	ck_assert_uint_eq(cap_table.start_order[0], CAP_COMP_VIRTIO_BLK);
	ck_assert_uint_eq(cap_table.start_order[CAP_START_COUNT - 1], CAP_COMP_FAULTTEST);
	for (unsigned i = 0; i < CAP_START_COUNT; i++)
		ck_assert_uint_eq(cap_table.start_order[i], order[i]);
}
END_TEST

/* Every component starts after everything it needs (spot checks). */
START_TEST(test_cap_start_order_respects_needs)
{
	int pos[CAP_COMP_COUNT];
	for (unsigned i = 0; i < CAP_START_COUNT; i++)
		pos[cap_table.start_order[i]] = (int)i;
	ck_assert_int_lt(pos[CAP_COMP_VIRTIO_BLK], pos[CAP_COMP_STATEFS]);
	ck_assert_int_lt(pos[CAP_COMP_CRYPTO], pos[CAP_COMP_STATEFS]);
	ck_assert_int_lt(pos[CAP_COMP_STATEFS], pos[CAP_COMP_KEYSTORE]);
	ck_assert_int_lt(pos[CAP_COMP_STATEFS], pos[CAP_COMP_BOOTCTL]);
	ck_assert_int_lt(pos[CAP_COMP_BOOTCTL], pos[CAP_COMP_SELFTEST]);
}
END_TEST

/* Suite named after the component, as in CONVENTIONS.md. */
static Suite *cap_suite(void)
{
	Suite *s = suite_create("cap");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, test_cap_may_call_follows_grants);
	tcase_add_test(tc, test_cap_may_call_kernel_and_self);
	tcase_add_test(tc, test_cap_privileges_follow_the_table);
	tcase_add_test(tc, test_cap_rejects_unknown_ids);
	tcase_add_test(tc, test_cap_disk_claim_owner_and_mode);
	tcase_add_test(tc, test_cap_prefix_rights_per_component);
	tcase_add_test(tc, test_cap_prefix_rights_deny_by_default);
	tcase_add_test(tc, test_cap_prefix_quotas_from_the_table);
	tcase_add_test(tc, test_cap_names_and_start_order);
	tcase_add_test(tc, test_cap_start_order_respects_needs);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status is the failure count capped at 1. */
int main(void)
{
	SRunner *sr = srunner_create(cap_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
