/* virtio_blk negotiation tests: identification, status handshake, feature subsets,
 * legacy vs modern queue setup, config space (capacity, blk_size, generation). */
#include <check.h>
#include <stdlib.h>

#include "vblk_internal.h"
#include "vmodel.h"

/* Probe a model built from mc; returns the probe result, fixture left live. */
static int probe(struct th *h, const struct vmodel_cfg *mc)
{
	th_init(h, mc);
	return th_probe(h);
}

START_TEST(test_vblk_modern_accepts_only_wanted_features)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.features |= VMBIT(VMF_ACCESS_PLATFORM) | VMBIT(VMF_RO);
	ck_assert_int_eq(probe(&h, &mc), 0);
	uint64_t want = VMBIT(VMF_VERSION_1) | VMBIT(VMF_FLUSH) | VMBIT(VMF_BLK_SIZE) |
			VMBIT(VMF_SEG_MAX) | VMBIT(VMF_SIZE_MAX) | VMBIT(VMF_RO) |
			VMBIT(VMF_EVENT_IDX);
	ck_assert_uint_eq(h.m.drv_features, want); /* no INDIRECT, TOPOLOGY, ACCESS_PLATFORM */
	ck_assert_uint_eq(h.m.status, VMS_ACK | VMS_DRIVER | VMS_FEATURES_OK | VMS_DRIVER_OK);
	ck_assert(vblk_info(h.dev)->read_only);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_modern_status_sequence)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;
	const uint32_t seq[] = { 0, VMS_ACK, VMS_ACK | VMS_DRIVER,
				 VMS_ACK | VMS_DRIVER | VMS_FEATURES_OK,
				 VMS_ACK | VMS_DRIVER | VMS_FEATURES_OK | VMS_DRIVER_OK };

	ck_assert_int_eq(probe(&h, &mc), 0);
	ck_assert_uint_eq(h.m.nstatus, 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_uint_eq(h.m.status_log[i], seq[i]);
	ck_assert_uint_eq(h.m.queue_ready, 1);
	ck_assert_uint_eq(h.m.queue_num, 128);
	ck_assert_uint_eq(h.m.get_ids, 1);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_legacy_setup_and_features)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	struct th h;

	mc.features |= VMBIT(VMF_VERSION_1); /* even if offered, legacy must not take it */
	ck_assert_int_eq(probe(&h, &mc), 0);
	ck_assert_uint_eq(h.m.drv_features & VMBIT(VMF_VERSION_1), 0);
	ck_assert_uint_eq(h.m.page_size, 4096);
	ck_assert_uint_eq(h.m.queue_align, 4096);
	ck_assert_uint_ne(h.m.queue_pfn, 0);
	ck_assert_uint_eq(h.m.used_pa % 4096u, 0);
	ck_assert_uint_eq(h.m.desc_pa, h.dev->vq.desc_pa);
	ck_assert_uint_eq(h.m.used_pa, h.dev->vq.used_pa);
	ck_assert_uint_eq(h.m.status, VMS_ACK | VMS_DRIVER | VMS_DRIVER_OK);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_modern_without_version_1_refused)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.features &= ~VMBIT(VMF_VERSION_1);
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	ck_assert(h.m.status & VMS_FAILED);
	ck_assert_uint_eq(h.m.status & VMS_DRIVER_OK, 0);
	ck_assert_uint_eq(h.m.notifies, 0);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_features_ok_refused_fails)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.refuse_features_ok = true;
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	ck_assert(h.m.status & VMS_FAILED);
	ck_assert_uint_eq(h.m.queue_ready, 0);
	th_fini(&h);
}
END_TEST

/* A probe that must return err without writing a single register. */
static void quiet_refusal(struct vmodel_cfg mc, int err)
{
	struct th h;
	ck_assert_int_eq(probe(&h, &mc), err);
	ck_assert_uint_eq(h.m.mmio_writes, 0);
	th_fini(&h);
}

START_TEST(test_vblk_empty_slot_and_foreign_devices_quiet)
{
	struct vmodel_cfg mc = vm_default_cfg(2);

	mc.device_id = 0;
	quiet_refusal(mc, CAIRN_ENODEV);
	mc.device_id = 1; /* virtio-net */
	quiet_refusal(mc, CAIRN_ENODEV);
	mc = vm_default_cfg(1);
	mc.magic = 0x12345678u;
	quiet_refusal(mc, CAIRN_ENODEV);
	mc = vm_default_cfg(2);
	mc.version = 3;
	quiet_refusal(mc, CAIRN_ENOTSUP);
}
END_TEST

START_TEST(test_vblk_blk_size_4096_sets_logical_block)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.blk_size = 4096;
	mc.capacity = 2048 + 7; /* a trailing partial block is not usable */
	ck_assert_int_eq(probe(&h, &mc), 0);
	ck_assert_uint_eq(vblk_info(h.dev)->sector_size, 4096);
	ck_assert_uint_eq(vblk_info(h.dev)->sector_count, 256);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_blk_size_ignored_unless_offered)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	struct th h;

	mc.features &= ~VMBIT(VMF_BLK_SIZE);
	mc.blk_size = 4096;
	ck_assert_int_eq(probe(&h, &mc), 0);
	ck_assert_uint_eq(vblk_info(h.dev)->sector_size, 512);
	ck_assert_uint_eq(vblk_info(h.dev)->sector_count, 2048);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_bad_blk_size_refused)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.blk_size = 1000;
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	ck_assert(h.m.status & VMS_FAILED);
	th_fini(&h);
	mc.blk_size = 256;
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_capacity_read_retries_on_generation_change)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.capacity = 2048;
	th_init(&h, &mc);
	h.m.cap_glitches = 2; /* capacity grows by 2^32 sectors twice while being read */
	ck_assert_int_eq(th_probe(&h), 0);
	ck_assert_uint_eq(h.dev->capacity, 2048u + (UINT64_C(2) << 32));
	ck_assert_uint_eq(vblk_info(h.dev)->sector_count, 2048u + (UINT64_C(2) << 32));
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_legacy_capacity_read_retries_on_high_word_change)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	struct th h;

	th_init(&h, &mc);
	h.m.cap_glitches = 1;
	ck_assert_int_eq(th_probe(&h), 0);
	ck_assert_uint_eq(h.dev->capacity, 2048u + (UINT64_C(1) << 32));
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_queue_size_clamped)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.queue_num_max = 100; /* not a power of two: round down */
	ck_assert_int_eq(probe(&h, &mc), 0);
	ck_assert_uint_eq(h.m.queue_num, 64);
	ck_assert_uint_eq(h.dev->nslots, 21);
	th_fini(&h);
	mc.queue_num_max = 2; /* too small for one request */
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	ck_assert(h.m.status & VMS_FAILED);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_queue_unavailable_refused)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	struct th h;

	mc.queue_num_max = 0; /* queue 0 does not exist */
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	ck_assert(h.m.status & VMS_FAILED);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_size_max_below_sector_refused)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	mc.size_max = 100;
	ck_assert_int_eq(probe(&h, &mc), CAIRN_ENOTSUP);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_probe_rejects_bad_config)
{
	struct vblk_config cfg = { 0 };
	struct vblk_dev *d;

	ck_assert_int_eq(vblk_probe(NULL, &d), CAIRN_EINVAL);
	ck_assert_int_eq(vblk_probe(&cfg, &d), CAIRN_EINVAL); /* no ops */
}
END_TEST

START_TEST(test_vblk_pool_full_ebusy)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	static struct th h[VBLK_MAX_DEVICES + 1];

	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++) {
		vm_init(&h[i].m, &mc);
		tplat_init(&h[i].p, &h[i].m);
		h[i].cfg = (struct vblk_config){ .ops = &tplat_ops, .ctx = &h[i].p };
		ck_assert_int_eq(th_probe(&h[i]), 0);
	}
	ck_assert_int_eq(vblk_probe(&h[0].cfg, &h[VBLK_MAX_DEVICES].dev), CAIRN_EBUSY);
	for (unsigned i = 0; i < VBLK_MAX_DEVICES; i++) {
		tplat_fini(&h[i].p);
		vm_fini(&h[i].m);
	}
	vblk_registry_reset();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("negotiate");
	tcase_add_test(tc, test_vblk_modern_accepts_only_wanted_features);
	tcase_add_test(tc, test_vblk_modern_status_sequence);
	tcase_add_test(tc, test_vblk_legacy_setup_and_features);
	tcase_add_test(tc, test_vblk_modern_without_version_1_refused);
	tcase_add_test(tc, test_vblk_features_ok_refused_fails);
	tcase_add_test(tc, test_vblk_empty_slot_and_foreign_devices_quiet);
	tcase_add_test(tc, test_vblk_blk_size_4096_sets_logical_block);
	tcase_add_test(tc, test_vblk_blk_size_ignored_unless_offered);
	tcase_add_test(tc, test_vblk_bad_blk_size_refused);
	tcase_add_test(tc, test_vblk_capacity_read_retries_on_generation_change);
	tcase_add_test(tc, test_vblk_legacy_capacity_read_retries_on_high_word_change);
	tcase_add_test(tc, test_vblk_queue_size_clamped);
	tcase_add_test(tc, test_vblk_queue_unavailable_refused);
	tcase_add_test(tc, test_vblk_size_max_below_sector_refused);
	tcase_add_test(tc, test_vblk_probe_rejects_bad_config);
	tcase_add_test(tc, test_vblk_pool_full_ebusy);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
