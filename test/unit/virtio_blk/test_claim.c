/* virtio_blk claim tests: GET_ID serial parsing, claim registry (missing, double,
 * duplicate serial, release, policy hook), and the marker line. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

static struct th a, b;

/* Probe fixture f as a modern disk with the given raw 20-byte serial. */
static void up(struct th *f, const char *serial, size_t n)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	memset(mc.serial, 0, sizeof(mc.serial));
	memcpy(mc.serial, serial, n);
	th_init(f, &mc);
	ck_assert_int_eq(th_probe(f), 0);
}

static void teardown(void)
{
	if (a.m.disk)
		th_fini(&a);
	if (b.m.disk)
		th_fini(&b);
}

START_TEST(test_vblk_serial_full_20_bytes_unterminated)
{
	const uint8_t raw[20] = "ABCDEFGHIJKLMNOPQRST"; /* exactly 20, no NUL */
	char out[BLKDEV_SERIAL_MAX + 1];
	memset(out, 'x', sizeof(out));
	vblk_parse_serial(raw, out);
	ck_assert_str_eq(out, "ABCDEFGHIJKLMNOPQRST");
	ck_assert_uint_eq(strlen(out), 20);
}
END_TEST

START_TEST(test_vblk_serial_short_nul_padded)
{
	const uint8_t raw[20] = { 's', 't', 'a', 't', 'e', 0, 'j', 'u', 'n', 'k' };
	char out[BLKDEV_SERIAL_MAX + 1];
	vblk_parse_serial(raw, out);
	ck_assert_str_eq(out, "state");
	for (unsigned i = 5; i <= BLKDEV_SERIAL_MAX; i++)
		ck_assert_int_eq(out[i], 0);
}
END_TEST

START_TEST(test_vblk_serial_unprintable_replaced)
{
	const uint8_t raw[20] = { 'a', ' ', 'b', '\n', 0xff, 'c' };
	char out[BLKDEV_SERIAL_MAX + 1];
	vblk_parse_serial(raw, out);
	ck_assert_str_eq(out, "a?b??c");
}
END_TEST

START_TEST(test_vblk_get_id_end_to_end)
{
	up(&a, "ABCDEFGHIJKLMNOPQRST", 20);
	ck_assert_str_eq(vblk_info(a.dev)->serial, "ABCDEFGHIJKLMNOPQRST");
	up(&b, "pkgfs", 5);
	ck_assert_str_eq(vblk_info(b.dev)->serial, "pkgfs");
	ck_assert_uint_eq(a.m.get_ids, 1);
}
END_TEST

START_TEST(test_vblk_get_id_unsupported_empty_serial)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	mc.get_id_unsupported = true;
	th_init(&a, &mc);
	ck_assert_int_eq(th_probe(&a), 0);
	ck_assert_str_eq(vblk_info(a.dev)->serial, "");
	struct blkdev *bd;
	ck_assert_int_eq(vblk_claim("", false, &bd), CAIRN_ENOENT);
}
END_TEST

START_TEST(test_vblk_get_id_timeout_fails_probe)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	th_init(&a, &mc);
	a.m.mode = VM_HOLD;
	ck_assert_int_eq(th_probe(&a), CAIRN_ETIMEDOUT);
	ck_assert(a.m.status & VMS_FAILED);
	struct blkdev *bd;
	ck_assert_int_eq(vblk_claim("test-disk", false, &bd), CAIRN_ENOENT);
}
END_TEST

START_TEST(test_vblk_claim_missing_and_double)
{
	struct blkdev *bd, *bd2;
	up(&a, "state", 5);
	up(&b, "pkgfs", 5);
	ck_assert_int_eq(vblk_claim("nope", false, &bd), CAIRN_ENOENT);
	ck_assert_int_eq(vblk_claim("stat", false, &bd), CAIRN_ENOENT);
	ck_assert_int_eq(vblk_claim("state", false, &bd), 0);
	ck_assert_ptr_eq(bd->ctx, a.dev);
	ck_assert_int_eq(vblk_claim("state", false, &bd2), CAIRN_EBUSY);
	ck_assert_int_eq(vblk_claim("pkgfs", true, &bd2), 0);
	ck_assert(bd2->info.read_only);
	ck_assert_int_eq(vblk_release(bd), 0);
	ck_assert_int_eq(vblk_release(bd), CAIRN_EINVAL);
	ck_assert_int_eq(vblk_claim("state", false, &bd), 0);
	ck_assert_int_eq(vblk_claim(NULL, false, &bd), CAIRN_EINVAL);
	ck_assert_int_eq(vblk_claim("state", false, NULL), CAIRN_EINVAL);
}
END_TEST

START_TEST(test_vblk_claim_duplicate_serial_refused)
{
	struct blkdev *bd;
	up(&a, "state", 5);
	up(&b, "state", 5);
	ck_assert_int_eq(vblk_claim("state", false, &bd), CAIRN_EEXIST);
}
END_TEST

/* Policy used by the hook test: only "state" may be claimed, by owner 7. */
static int policy(void *ctx, const char *serial, bool ro, uint32_t *owner)
{
	(void)ro;
	++*(unsigned *)ctx;
	if (strcmp(serial, "state") != 0)
		return CAIRN_EPERM;
	*owner = 7;
	return 0;
}

START_TEST(test_vblk_claim_policy_hook)
{
	unsigned calls = 0;
	struct blkdev *bd;
	up(&a, "state", 5);
	up(&b, "secret", 6);
	vblk_set_claim_check(policy, &calls);
	ck_assert_int_eq(vblk_claim("secret", false, &bd), CAIRN_EPERM);
	ck_assert_uint_eq(b.p.audits, 1);
	ck_assert_str_eq(b.p.last_audit, "virtio-blk: claim refused serial=secret");
	ck_assert_int_eq(vblk_claim("state", false, &bd), 0);
	ck_assert_uint_eq(vblk_owner(bd), 7);
	ck_assert_uint_eq(calls, 2);
	ck_assert_int_eq(vblk_claim("missing", false, &bd), CAIRN_ENOENT);
	ck_assert_uint_eq(calls, 2); /* the policy is asked only about real disks */
}
END_TEST

START_TEST(test_vblk_describe_marker)
{
	char line[VBLK_DESCRIBE_MAX];
	struct vmodel_cfg mc = vm_default_cfg(1);
	mc.blk_size = 4096;
	mc.features |= VMBIT(VMF_RO);
	memcpy(mc.serial, "pkgfs\0\0\0\0", 9);
	th_init(&a, &mc);
	a.cfg.mmio_base = 0x10008000u;
	a.cfg.irq = 8;
	ck_assert_int_eq(th_probe(&a), 0);
	int n = vblk_describe(a.dev, line, sizeof(line));
	const char *want = "virtio-blk up serial=pkgfs sectors=256 ss=4096 ro=1 mmio=0x10008000 "
			   "irq=8";
	ck_assert_str_eq(line, want);
	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_int_eq(vblk_describe(a.dev, line, 10), CAIRN_E2BIG);
	ck_assert_uint_eq(strlen(line), 9);
	ck_assert_int_eq(vblk_describe(NULL, line, sizeof(line)), CAIRN_EINVAL);
}
END_TEST

START_TEST(test_vblk_describe_longest_fits)
{
	char line[VBLK_DESCRIBE_MAX];
	struct vmodel_cfg mc = vm_default_cfg(2);
	th_init(&a, &mc);
	a.cfg.mmio_base = UINT64_MAX;
	a.cfg.irq = UINT32_MAX;
	memcpy(a.m.cfg.serial, "ABCDEFGHIJKLMNOPQRST", 20);
	a.m.cfg.capacity = UINT64_MAX; /* config only: the model's disk stays small */
	ck_assert_int_eq(th_probe(&a), 0);
	ck_assert_uint_eq(vblk_info(a.dev)->sector_count, UINT64_MAX);
	ck_assert_int_gt(vblk_describe(a.dev, line, sizeof(line)), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("claim");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_vblk_serial_full_20_bytes_unterminated);
	tcase_add_test(tc, test_vblk_serial_short_nul_padded);
	tcase_add_test(tc, test_vblk_serial_unprintable_replaced);
	tcase_add_test(tc, test_vblk_get_id_end_to_end);
	tcase_add_test(tc, test_vblk_get_id_unsupported_empty_serial);
	tcase_add_test(tc, test_vblk_get_id_timeout_fails_probe);
	tcase_add_test(tc, test_vblk_claim_missing_and_double);
	tcase_add_test(tc, test_vblk_claim_duplicate_serial_refused);
	tcase_add_test(tc, test_vblk_claim_policy_hook);
	tcase_add_test(tc, test_vblk_describe_marker);
	tcase_add_test(tc, test_vblk_describe_longest_fits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
