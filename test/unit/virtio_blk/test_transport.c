/* The core's virtio-mmio transport (cairn/virtio.h) driven directly, as a
 * second driver such as virtio_rng uses it: handshake, one queue, the
 * one-request helper, timeouts and an unconfirmed reset. The device is the
 * block model (any device id works the same for the transport). */
#include <check.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

static struct vmodel m;
static struct tplat p;
static struct virtio_dev d;
static struct virtq vq;

/* DMA for the one request: header, 20-byte id, status. */
static struct {
	struct vblk_reqhdr hdr;
	uint8_t id[20];
	uint8_t status;
} req __attribute__((aligned(16)));

/* bring_up: the handshake a simple driver does, for model version v. */
static void bring_up(uint32_t v)
{
	struct vmodel_cfg mc = vm_default_cfg(v);
	vm_init(&m, &mc);
	tplat_init(&p, &m);
	ck_assert_int_eq(virtio_init(&d, &tplat_ops, &p, 0x10001000u, 1), 0);
	d.timeout_us = 1000u;
	ck_assert_int_eq(virtio_identify(&d, VIRTIO_ID_BLOCK), 0);
	ck_assert_int_eq(virtio_begin(&d), 0);
	ck_assert_int_eq(virtio_negotiate(&d, 0), 0);
	ck_assert_int_eq(virtio_queue_setup(&d, 0, 16, 4, &vq), 0);
	virtio_driver_ok(&d);
	ck_assert_uint_eq(m.violations, 0);
}

static void teardown(void)
{
	tplat_fini(&p);
	vm_fini(&m);
}

/* get_id: one GET_ID request through virtio_request (polled). */
static int get_id(uint32_t *used)
{
	uint64_t pa = (uintptr_t)&req + VM_PHYS_OFFSET;
	memset(&req, 0, sizeof(req));
	req.hdr.type = VBLK_T_GET_ID;
	req.status = 0xff;
	struct vq_buf bufs[3] = { { pa, 16, false }, { pa + 16, 20, true }, { pa + 36, 1, true } };
	return virtio_request(&d, &vq, bufs, 3, true, used);
}

START_TEST(test_virtio_identify_refuses_other_ids)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	vm_init(&m, &mc);
	tplat_init(&p, &m);
	ck_assert_int_eq(virtio_init(&d, &tplat_ops, &p, 0, 0), 0);
	ck_assert_int_eq(virtio_identify(&d, 4), CAIRN_ENODEV); /* an rng driver's probe */
	ck_assert_uint_eq(m.mmio_writes, 0);
	struct virtio_ops none = { 0 };
	ck_assert_int_eq(virtio_init(&d, &none, &p, 0, 0), CAIRN_EINVAL);
}
END_TEST

START_TEST(test_virtio_request_round_trip)
{
	uint32_t used = 0;
	bring_up(_i ? 2 : 1);
	ck_assert_uint_eq(d.version, _i ? 2u : 1u);
	ck_assert(_i == 0 || virtio_has(&d, VIRTIO_F_VERSION_1));
	ck_assert_int_eq(get_id(&used), 0);
	ck_assert_uint_eq(used, 21); /* 20 id bytes + status */
	ck_assert_uint_eq(req.status, 0);
	ck_assert_mem_eq(req.id, m.cfg.serial, 20);
	ck_assert_uint_eq(vq.num_free, vq.num); /* the chain came back */
	ck_assert_uint_eq(m.violations, 0);
}
END_TEST

START_TEST(test_virtio_request_timeout_fails_device)
{
	uint32_t used = 0;
	bring_up(2);
	m.mode = VM_HOLD;
	ck_assert_int_eq(get_id(&used), CAIRN_ETIMEDOUT);
	ck_assert(d.failed);
	ck_assert(!d.quarantined);
	ck_assert(m.status & VMS_FAILED);
	ck_assert_int_eq(get_id(&used), CAIRN_ESHUTDOWN);
}
END_TEST

START_TEST(test_virtio_unconfirmed_reset_quarantines)
{
	uint32_t used = 0;
	bring_up(_i ? 2 : 1);
	m.mode = VM_HOLD;
	m.ignore_reset = true;
	ck_assert_int_eq(get_id(&used), CAIRN_ETIMEDOUT);
	ck_assert(d.failed);
	ck_assert(d.quarantined);
	ck_assert_uint_eq(vq.num_free, vq.num - 3u); /* the device may still own them */
	ck_assert_int_eq(virtio_fail(&d), CAIRN_ETIMEDOUT);
	ck_assert_int_eq(virtio_reset(&d), CAIRN_ETIMEDOUT);
}
END_TEST

START_TEST(test_virtio_queue_too_small_refused)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	mc.queue_num_max = 2;
	vm_init(&m, &mc);
	tplat_init(&p, &m);
	ck_assert_int_eq(virtio_init(&d, &tplat_ops, &p, 0, 0), 0);
	ck_assert_int_eq(virtio_identify(&d, VIRTIO_ID_BLOCK), 0);
	ck_assert_int_eq(virtio_begin(&d), 0);
	ck_assert_int_eq(virtio_negotiate(&d, 0), 0);
	ck_assert_int_eq(virtio_queue_setup(&d, 0, 16, 4, &vq), CAIRN_ENOTSUP);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("virtio_transport");
	TCase *tc = tcase_create("transport");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_virtio_identify_refuses_other_ids);
	tcase_add_loop_test(tc, test_virtio_request_round_trip, 0, 2);
	tcase_add_test(tc, test_virtio_request_timeout_fails_device);
	tcase_add_loop_test(tc, test_virtio_unconfirmed_reset_quarantines, 0, 2);
	tcase_add_test(tc, test_virtio_queue_too_small_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
