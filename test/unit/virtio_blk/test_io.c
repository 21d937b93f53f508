/* virtio_blk I/O tests: round trips, request splitting, bounds and alignment, error
 * mapping, timeouts, read-only enforcement, flush, polled mode, blkdev view. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

static struct th h;
static unsigned char buf[512 * 1024];
static unsigned char back[512 * 1024];

/* Probe a device built from mc into the file's fixture. */
static void up(struct vmodel_cfg mc)
{
	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
}

/* Fill buf with a pattern seeded by seed. */
static void pattern(size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 31u + seed);
}

static void teardown(void) { th_fini(&h); }

START_TEST(test_vblk_write_read_round_trip)
{
	up(vm_default_cfg(_i ? 2 : 1));
	pattern(8192, 7);
	ck_assert_int_eq(vblk_write(h.dev, 16, buf, 8192), 0);
	ck_assert_int_eq(memcmp(h.m.disk + 16 * 512, buf, 8192), 0);
	ck_assert_int_eq(vblk_read(h.dev, 16, back, 8192), 0);
	ck_assert_int_eq(memcmp(back, buf, 8192), 0);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
}
END_TEST

START_TEST(test_vblk_split_above_128k)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	mc.capacity = 4096;
	up(mc);
	unsigned before = h.m.requests;
	pattern(300 * 1024, 3);
	ck_assert_int_eq(vblk_write(h.dev, 8, buf, 300 * 1024), 0);
	ck_assert_uint_eq(h.m.requests - before, 3); /* 128 K + 128 K + 44 K */
	ck_assert_uint_eq(h.m.max_data_len, 128 * 1024);
	ck_assert_int_eq(vblk_read(h.dev, 8, back, 300 * 1024), 0);
	ck_assert_int_eq(memcmp(back, buf, 300 * 1024), 0);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
}
END_TEST

START_TEST(test_vblk_split_honours_size_max)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	mc.size_max = 4096 + 100; /* rounded down to whole blocks */
	up(mc);
	unsigned before = h.m.requests;
	pattern(64 * 1024, 5);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 64 * 1024), 0);
	ck_assert_uint_eq(h.m.requests - before, 16);
	ck_assert_uint_eq(h.m.max_data_len, 4096);
	ck_assert_int_eq(vblk_read(h.dev, 0, back, 64 * 1024), 0);
	ck_assert_int_eq(memcmp(back, buf, 64 * 1024), 0);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
}
END_TEST

START_TEST(test_vblk_size_max_below_logical_block_splits_in_sectors)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	mc.blk_size = 4096;
	mc.size_max = 1024;
	up(mc);
	pattern(8192, 9);
	ck_assert_int_eq(vblk_write(h.dev, 8, buf, 8192), 0);
	ck_assert_uint_eq(h.m.max_data_len, 1024);
	ck_assert_int_eq(memcmp(h.m.disk + 8 * 512, buf, 8192), 0);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
}
END_TEST

/* Every call must fail with err before reaching the device. */
static void refused(int got, int err) { ck_assert_int_eq(got, err); }

START_TEST(test_vblk_bounds_and_alignment_512)
{
	up(vm_default_cfg(2)); /* 2048 sectors */
	unsigned n = h.m.notifies;
	refused(vblk_read(h.dev, 0, buf, 0), CAIRN_EINVAL);
	refused(vblk_read(h.dev, 0, buf, 100), CAIRN_EINVAL);
	refused(vblk_read(h.dev, 0, NULL, 512), CAIRN_EINVAL);
	refused(vblk_read(h.dev, 2048, buf, 512), CAIRN_ERANGE);
	refused(vblk_read(h.dev, 2047, buf, 1024), CAIRN_ERANGE);
	refused(vblk_read(h.dev, UINT64_MAX, buf, 512), CAIRN_ERANGE);
	refused(vblk_write(h.dev, UINT64_MAX - 1u, buf, 1024), CAIRN_ERANGE);
	refused(h.dev->bd.ops->read(h.dev, 2048, buf, 1), CAIRN_ERANGE);
	refused(h.dev->bd.ops->read(h.dev, 0, buf, 0), CAIRN_EINVAL);
	ck_assert_uint_eq(h.m.notifies, n);
	ck_assert_int_eq(vblk_read(h.dev, 2047, buf, 512), 0); /* the last sector is fine */
}
END_TEST

START_TEST(test_vblk_bounds_and_alignment_4096)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	mc.blk_size = 4096; /* 2048 sectors = 256 blocks */
	up(mc);
	unsigned n = h.m.notifies;
	refused(vblk_read(h.dev, 1, buf, 4096), CAIRN_EINVAL);
	refused(vblk_read(h.dev, 8, buf, 512), CAIRN_EINVAL);
	refused(vblk_write(h.dev, 4, buf, 4096), CAIRN_EINVAL);
	refused(vblk_read(h.dev, 2048, buf, 4096), CAIRN_ERANGE);
	refused(vblk_read(h.dev, 2040, buf, 8192), CAIRN_ERANGE);
	refused(blkdev_read(&h.dev->bd, 256, buf, 1), CAIRN_ERANGE);
	ck_assert_uint_eq(h.m.notifies, n);
	pattern(4096, 1);
	ck_assert_int_eq(blkdev_write(&h.dev->bd, 255, buf, 1), 0);
	ck_assert_int_eq(memcmp(h.m.disk + 2040 * 512, buf, 4096), 0);
	ck_assert_int_eq(vblk_read(h.dev, 2040, back, 4096), 0);
	ck_assert_int_eq(memcmp(back, buf, 4096), 0);
}
END_TEST

START_TEST(test_vblk_error_mapping)
{
	up(vm_default_cfg(2));
	vm_inject(&h.m, VMT_IN, 1, 1);
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_EIO);
	vm_inject(&h.m, VMT_OUT, 2, 1);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 512), CAIRN_ENOTSUP);
	vm_inject(&h.m, VMT_FLUSH, 7, 1); /* unknown status */
	ck_assert_int_eq(vblk_flush(h.dev), CAIRN_EIO);
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), 0); /* device still usable */
	ck_assert(!vblk_failed(h.dev));
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num);
}
END_TEST

/* A used entry for a request the device has not executed (its status byte still
 * unwritten) must reset the device before the buffer goes back to the caller:
 * the device still holds the chain and would write the buffer later (found by
 * fuzz_vblk, issue 20). */
START_TEST(test_vblk_premature_completion_resets_device)
{
	up(vm_default_cfg(_i ? 2 : 1));
	h.m.mode = VM_HOLD;
	vm_post_used(&h.m, h.dev->vq.free_head, 513); /* "done" before it is even sent */
	memset(buf, 0x11, 512);
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_EIO);
	ck_assert(vblk_failed(h.dev));
	ck_assert(!vblk_quarantined(h.dev));
	vm_complete_all(&h.m, false); /* whatever the device still held */
	for (unsigned i = 0; i < 512; i++)
		ck_assert_msg(buf[i] == 0x11, "byte %u written after the read returned", i);
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_ESHUTDOWN);
}
END_TEST

START_TEST(test_vblk_device_range_error_is_eio)
{
	up(vm_default_cfg(2));
	h.m.cfg.capacity = 16; /* the device shrank under us: it answers IOERR */
	ck_assert_int_eq(vblk_read(h.dev, 64, buf, 512), CAIRN_EIO);
}
END_TEST

START_TEST(test_vblk_timeout_fails_device)
{
	struct vmodel_cfg mc = vm_default_cfg(_i ? 2 : 1);
	th_init(&h, &mc);
	h.cfg.polled = _i == 0; /* legacy polled, modern interrupt-driven */
	ck_assert_int_eq(th_probe(&h), 0);
	h.m.mode = VM_HOLD;
	unsigned resets = h.m.resets;
	uint64_t t0 = h.p.now;
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_ETIMEDOUT);
	ck_assert_uint_ge(h.p.now - t0, h.cfg.timeout_us);
	ck_assert(vblk_failed(h.dev));
	ck_assert_uint_eq(h.m.resets, resets + 1u); /* device reset: no late DMA */
	ck_assert(h.m.status & VMS_FAILED);
	unsigned n = h.m.notifies;
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_ESHUTDOWN);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 512), CAIRN_ESHUTDOWN);
	ck_assert_int_eq(vblk_flush(h.dev), CAIRN_ESHUTDOWN);
	ck_assert_uint_eq(h.m.notifies, n);
}
END_TEST

START_TEST(test_vblk_timeout_wakes_other_requests)
{
	static unsigned char b2[512];
	struct vblk_slot *s1, *s2;
	up(vm_default_cfg(2));
	h.m.mode = VM_HOLD;
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_IN, 0, (uintptr_t)buf + VM_PHYS_OFFSET, 512, &s1),
			 0);
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_IN, 1, (uintptr_t)b2 + VM_PHYS_OFFSET, 512, &s2),
			 0);
	ck_assert_int_eq(vblk_finish(h.dev, s1, h.p.now + 500), CAIRN_ETIMEDOUT);
	ck_assert_int_eq(vblk_finish(h.dev, s2, h.p.now + 500), CAIRN_ESHUTDOWN);
	ck_assert_uint_eq(h.dev->free_slots, h.dev->nslots);
}
END_TEST

START_TEST(test_vblk_short_read_is_an_error)
{
	/* The device says it wrote less than the buffer: stale bytes would be
	 * left in it, so the "successful" read must fail. Writes are unaffected. */
	up(vm_default_cfg(_i ? 2 : 1));
	pattern(1024, 3);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 1024), 0);
	h.m.short_used = 512;
	ck_assert_int_eq(vblk_read(h.dev, 0, back, 1024), CAIRN_EIO);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 1024), 0);
	h.m.short_used = 0;
	ck_assert_int_eq(vblk_read(h.dev, 0, back, 1024), 0);
	ck_assert_mem_eq(back, buf, 1024);
}
END_TEST

START_TEST(test_vblk_unconfirmed_reset_quarantines)
{
	/* A request times out and the device ignores the reset: it may still write
	 * the request's buffers, so its slot is never given back and the device
	 * stays failed; a device that confirms the reset gives every slot back
	 * (test_vblk_timeout_wakes_other_requests). */
	struct vblk_slot *s1;
	up(vm_default_cfg(_i ? 2 : 1));
	h.m.mode = VM_HOLD;
	h.m.ignore_reset = true;
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_IN, 0, (uintptr_t)buf + VM_PHYS_OFFSET, 512, &s1),
			 0);
	ck_assert_int_eq(vblk_finish(h.dev, s1, h.p.now + 500), CAIRN_ETIMEDOUT);
	ck_assert(vblk_failed(h.dev));
	ck_assert(vblk_quarantined(h.dev));
	ck_assert_uint_eq(h.dev->free_slots, h.dev->nslots - 1u);
	ck_assert(s1->busy);
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_ESHUTDOWN);
}
END_TEST

START_TEST(test_vblk_probe_unconfirmed_reset_keeps_pool_entry)
{
	/* A device that never confirms the probe's reset: the probe fails with
	 * ETIMEDOUT and its pool entry stays reserved (quarantined), so after
	 * VBLK_MAX_DEVICES - 1 good probes the pool is full. */
	static struct th more[VBLK_MAX_DEVICES - 1];
	struct vmodel_cfg mc = vm_default_cfg(2);
	th_init(&h, &mc);
	h.m.ignore_reset = true;
	h.m.status = VMS_ACK; /* whatever was left from firmware: it never clears */
	ck_assert_int_eq(th_probe(&h), CAIRN_ETIMEDOUT);
	for (unsigned i = 0; i < VBLK_MAX_DEVICES - 1; i++) {
		th_init(&more[i], &mc);
		ck_assert_int_eq(th_probe(&more[i]), 0);
	}
	vm_fini(&h.m);
	vm_init(&h.m, &mc); /* a well-behaved device now: but no entry is left */
	ck_assert_int_eq(th_probe(&h), CAIRN_EBUSY);
	for (unsigned i = 0; i < VBLK_MAX_DEVICES - 1; i++) {
		tplat_fini(&more[i].p);
		vm_fini(&more[i].m);
	}
}
END_TEST

START_TEST(test_vblk_device_read_only_sends_nothing)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	mc.features |= VMBIT(VMF_RO);
	up(mc);
	ck_assert(vblk_info(h.dev)->read_only);
	unsigned n = h.m.notifies;
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 512), CAIRN_EROFS);
	ck_assert_int_eq(vblk_flush(h.dev), CAIRN_EROFS);
	ck_assert_int_eq(h.dev->bd.ops->write(h.dev, 0, buf, 1), CAIRN_EROFS);
	ck_assert_int_eq(h.dev->bd.ops->flush(h.dev), CAIRN_EROFS);
	ck_assert_int_eq(blkdev_write(&h.dev->bd, 0, buf, 1), CAIRN_EROFS);
	ck_assert_uint_eq(h.m.notifies, n);
	ck_assert_uint_eq(h.p.audits, 5); /* the blkdev_write wrapper's refusal too */
	ck_assert_str_eq(h.p.last_audit, "virtio-blk: write refused: read-only serial=test-disk");
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), 0);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
}
END_TEST

START_TEST(test_vblk_claimed_read_only_sends_nothing)
{
	struct blkdev *bd;
	up(vm_default_cfg(1));
	ck_assert_int_eq(vblk_claim("test-disk", true, &bd), 0);
	ck_assert(bd->info.read_only);
	unsigned n = h.m.notifies;
	ck_assert_int_eq(bd->ops->write(bd->ctx, 0, buf, 1), CAIRN_EROFS);
	ck_assert_int_eq(bd->ops->flush(bd->ctx), CAIRN_EROFS);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 512), CAIRN_EROFS);
	ck_assert_uint_eq(h.m.notifies, n);
	ck_assert_uint_eq(h.p.audits, 3);
	ck_assert_int_eq(blkdev_read(bd, 0, buf, 1), 0);
	ck_assert_int_eq(vblk_release(bd), 0);
	ck_assert(!h.dev->bd.info.read_only); /* the disk itself is writable */
}
END_TEST

START_TEST(test_vblk_flush_with_and_without_feature)
{
	up(vm_default_cfg(2));
	ck_assert_int_eq(vblk_flush(h.dev), 0);
	ck_assert_uint_eq(h.m.flushes, 1);
	th_fini(&h);
	struct vmodel_cfg mc = vm_default_cfg(2);
	mc.features &= ~VMBIT(VMF_FLUSH);
	up(mc);
	unsigned n = h.m.notifies;
	ck_assert_int_eq(vblk_flush(h.dev), 0); /* write-through: nothing to do */
	ck_assert_int_eq(blkdev_flush(&h.dev->bd), 0);
	ck_assert_uint_eq(h.m.notifies, n);
	ck_assert_uint_eq(h.m.flushes, 0);
}
END_TEST

START_TEST(test_vblk_polled_mode_round_trip)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	mc.features &= ~VMBIT(VMF_EVENT_IDX); /* the flags hint; EVENT_IDX: test_eventidx.c */
	th_init(&h, &mc);
	h.cfg.polled = true;
	ck_assert_int_eq(th_probe(&h), 0);
	h.m.mode = VM_DEFER; /* completes only while the driver spins */
	pattern(4096, 11);
	ck_assert_int_eq(vblk_write(h.dev, 0, buf, 4096), 0);
	ck_assert_int_eq(vblk_read(h.dev, 0, back, 4096), 0);
	ck_assert_int_eq(memcmp(back, buf, 4096), 0);
	ck_assert_uint_gt(h.p.relaxes, 0);
	ck_assert_uint_eq(h.p.waits, 0);
	ck_assert_uint_eq(*(uint16_t *)vm_p2v(h.m.avail_pa), 1); /* NO_INTERRUPT hint */
	vblk_set_polled(h.dev, false);
	h.p.irq_attached = true; /* the kernel attaches the IRQ, then leaves polled mode */
	ck_assert_uint_eq(*(uint16_t *)vm_p2v(h.m.avail_pa), 0);
	ck_assert_int_eq(vblk_read(h.dev, 0, back, 4096), 0);
	ck_assert_uint_gt(h.p.waits, 0);
}
END_TEST

START_TEST(test_vblk_irq_reports_spurious)
{
	up(vm_default_cfg(2));
	h.m.int_status = 0;
	ck_assert_int_eq(vblk_irq(h.dev), 0);
	h.m.int_status = 2; /* config change: acknowledged, nothing to reap */
	ck_assert_int_eq(vblk_irq(h.dev), 1);
	ck_assert_uint_eq(h.m.int_status, 0);
}
END_TEST

START_TEST(test_vblk_unmappable_buffer_efault)
{
	up(vm_default_cfg(2));
	unsigned n = h.m.notifies;
	h.p.dma_addr_fail = true;
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_EFAULT);
	ck_assert_uint_eq(h.m.notifies, n);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("io");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, test_vblk_write_read_round_trip, 0, 2);
	tcase_add_test(tc, test_vblk_split_above_128k);
	tcase_add_test(tc, test_vblk_split_honours_size_max);
	tcase_add_test(tc, test_vblk_size_max_below_logical_block_splits_in_sectors);
	tcase_add_test(tc, test_vblk_bounds_and_alignment_512);
	tcase_add_test(tc, test_vblk_bounds_and_alignment_4096);
	tcase_add_test(tc, test_vblk_error_mapping);
	tcase_add_test(tc, test_vblk_device_range_error_is_eio);
	tcase_add_loop_test(tc, test_vblk_premature_completion_resets_device, 0, 2);
	tcase_add_loop_test(tc, test_vblk_timeout_fails_device, 0, 2);
	tcase_add_test(tc, test_vblk_timeout_wakes_other_requests);
	tcase_add_loop_test(tc, test_vblk_short_read_is_an_error, 0, 2);
	tcase_add_loop_test(tc, test_vblk_unconfirmed_reset_quarantines, 0, 2);
	tcase_add_test(tc, test_vblk_probe_unconfirmed_reset_keeps_pool_entry);
	tcase_add_test(tc, test_vblk_device_read_only_sends_nothing);
	tcase_add_test(tc, test_vblk_claimed_read_only_sends_nothing);
	tcase_add_test(tc, test_vblk_flush_with_and_without_feature);
	tcase_add_test(tc, test_vblk_polled_mode_round_trip);
	tcase_add_test(tc, test_vblk_irq_reports_spurious);
	tcase_add_test(tc, test_vblk_unmappable_buffer_efault);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
