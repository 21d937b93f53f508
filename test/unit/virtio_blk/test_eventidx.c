/* VIRTIO_RING_F_EVENT_IDX: the ring's event test across the 16-bit wrap, kick
 * suppression and used_event re-arming on a bare queue, and the driver against
 * the device model with the feature off, on, on with a busy device that polls
 * instead of being kicked, and on with a hostile device that never updates
 * avail_event (the driver must still finish every request, well before its
 * timeout). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

static uint64_t pa_of(const void *p) { return (uint64_t)(uintptr_t)p + VM_PHYS_OFFSET; }

static unsigned fences;
static void count_fence(void *ctx)
{
	(void)ctx;
	fences++;
}
static const struct virtio_ops fence_ops = { .mb = count_fence,
					     .wmb = count_fence,
					     .rmb = count_fence };

static void *bare_vq(struct virtq *vq, uint16_t num)
{
	size_t a, u, bytes = virtq_layout(num, 4096, &a, &u);
	void *mem = aligned_alloc(4096, bytes);
	ck_assert_ptr_nonnull(mem);
	memset(mem, 0, bytes);
	virtq_init(vq, num, mem, pa_of(mem), 4096);
	return mem;
}

/* The two event words, located from the spec's layout (not the driver's helpers). */
static uint16_t *used_event_of(struct virtq *vq) { return &vq->avail->ring[vq->num]; }
static uint16_t *avail_event_of(struct virtq *vq)
{
	return (uint16_t *)(void *)((unsigned char *)vq->used + 4u + 8u * vq->num);
}

START_TEST(test_vblk_evidx_need_event_across_wrap)
{
	/* event in [old, new) modulo 2^16 */
	ck_assert(virtq_need_event(4, 5, 4));
	ck_assert(!virtq_need_event(5, 5, 4));
	ck_assert(!virtq_need_event(3, 5, 4));
	ck_assert(virtq_need_event(0xffff, 0x0002, 0xfffe));
	ck_assert(virtq_need_event(0xfffe, 0x0002, 0xfffe));
	ck_assert(virtq_need_event(0x0001, 0x0002, 0xfffe));
	ck_assert(!virtq_need_event(0x0002, 0x0002, 0xfffe));
	ck_assert(!virtq_need_event(0xfffd, 0x0002, 0xfffe));
	ck_assert(virtq_need_event(0xffff, 0x0000, 0xffff));
	ck_assert(!virtq_need_event(0x0000, 0x0000, 0xffff));
	ck_assert(!virtq_need_event(7, 7, 7)); /* nothing moved: never */
}
END_TEST

/* Publish one 1-descriptor chain and pretend the device consumed and returned it. */
static void publish_one(struct virtq *vq)
{
	struct vq_buf b = { 0x1000, 16, false };
	int h = virtq_add_chain(vq, &b, 1);
	ck_assert_int_ge(h, 0);
	virtq_publish(vq, (uint16_t)h, &fence_ops, NULL);
	ck_assert_uint_eq(virtq_free_chain(vq, (uint16_t)h), 1);
}

START_TEST(test_vblk_evidx_kick_suppression_across_wrap)
{
	struct virtq vq;
	void *mem = bare_vq(&vq, 8);
	uint16_t start = 0xfffc;

	vq.event_idx = true;
	vq.avail_idx = vq.kick_idx = vq.last_used = start;
	*avail_event_of(&vq) = start; /* the device wants to hear about entry 0xfffc */
	publish_one(&vq);
	unsigned f = fences;
	ck_assert(virtq_kick_needed(&vq, &fence_ops, NULL));
	ck_assert_uint_gt(fences, f); /* full barrier before reading avail_event */
	/* The device is busy (avail_event unchanged): three more publishes, across the
	 * wrap, one decision, no kick. */
	publish_one(&vq);
	publish_one(&vq);
	publish_one(&vq);
	ck_assert_uint_eq(vq.avail_idx, 0);
	ck_assert(!virtq_kick_needed(&vq, &fence_ops, NULL));
	/* The device caught up to index 0 and asks again: the next publish kicks. */
	*avail_event_of(&vq) = 0;
	publish_one(&vq);
	ck_assert(virtq_kick_needed(&vq, &fence_ops, NULL));
	/* Batch: two publishes, one decision, one kick (event inside the batch). */
	*avail_event_of(&vq) = 2;
	publish_one(&vq);
	publish_one(&vq);
	ck_assert(virtq_kick_needed(&vq, &fence_ops, NULL));
	ck_assert(!virtq_kick_needed(&vq, &fence_ops, NULL)); /* nothing new */
	/* Without EVENT_IDX every decision kicks. */
	vq.event_idx = false;
	ck_assert(virtq_kick_needed(&vq, &fence_ops, NULL));
	free(mem);
}
END_TEST

START_TEST(test_vblk_evidx_rearm_and_polled_parking)
{
	struct virtq vq;
	void *mem = bare_vq(&vq, 8);

	vq.event_idx = true;
	vq.last_used = 0x0001;
	vq.used->idx = 0x0001;
	vq.avail->flags = 1;
	virtq_set_no_interrupt(&vq, true);
	ck_assert_uint_eq(vq.avail->flags, 0);		/* must be 0 with EVENT_IDX */
	ck_assert_uint_eq(*used_event_of(&vq), 0x0000); /* parked behind last_used */
	ck_assert(!virtq_rearm(&vq, &fence_ops, NULL));
	ck_assert_uint_eq(*used_event_of(&vq), 0x0000);
	virtq_set_no_interrupt(&vq, false);
	ck_assert_uint_eq(*used_event_of(&vq), 0x0001);
	/* A completion lands: rearm reports it (after the barrier). */
	vq.used->ring[1] = (struct vq_used_elem){ 0, 1 };
	vq.used->idx = 0x0002;
	unsigned f = fences;
	ck_assert(virtq_rearm(&vq, &fence_ops, NULL));
	ck_assert_uint_gt(fences, f);
	uint32_t id, len;
	ck_assert(virtq_pop_used(&vq, &fence_ops, NULL, &id, &len));
	ck_assert(!virtq_rearm(&vq, &fence_ops, NULL));
	ck_assert_uint_eq(*used_event_of(&vq), 0x0002);
	/* Parking across the wrap: last_used 0 parks at 0xffff. */
	vq.last_used = 0;
	vq.used->idx = 0;
	virtq_set_no_interrupt(&vq, true);
	ck_assert_uint_eq(*used_event_of(&vq), 0xffff);
	/* Without EVENT_IDX: the flags hint, used_event never written. */
	*used_event_of(&vq) = 0x1234;
	vq.event_idx = false;
	virtq_set_no_interrupt(&vq, true);
	ck_assert_uint_eq(vq.avail->flags, 1);
	ck_assert(!virtq_rearm(&vq, &fence_ops, NULL));
	ck_assert_uint_eq(*used_event_of(&vq), 0x1234);
	free(mem);
}
END_TEST

/* n single-sector reads, each checked. */
static void reads(struct th *h, unsigned n)
{
	unsigned char buf[512];
	for (unsigned i = 0; i < n; i++) {
		h->m.disk[(i % 2048u) * 512u] = (uint8_t)(i * 7u);
		ck_assert_int_eq(vblk_read(h->dev, i % 2048u, buf, sizeof(buf)), 0);
		ck_assert_uint_eq(buf[0], (uint8_t)(i * 7u));
	}
}

/* Off and on against an idle, well-behaved device: one kick and one interrupt per
 * request either way (the device asks for every one), through the index wrap. */
static void idle_device(uint32_t version, bool evidx, unsigned n)
{
	struct vmodel_cfg mc = vm_default_cfg(version);
	struct th h;

	if (!evidx)
		mc.features &= ~VMBIT(VMF_EVENT_IDX);
	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	ck_assert_uint_eq(h.dev->vq.event_idx, evidx);
	ck_assert_uint_eq((h.m.drv_features & VMBIT(VMF_EVENT_IDX)) != 0, evidx);
	unsigned n0 = h.m.notifies, i0 = h.m.interrupts;
	reads(&h, n);
	ck_assert_uint_eq(h.m.notifies - n0, n);
	ck_assert_uint_eq(h.m.interrupts - i0, n);
	ck_assert_uint_eq(h.m.used_idx, (uint16_t)(n + 1u));
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num);
	ck_assert(!vblk_failed(h.dev));
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}

START_TEST(test_vblk_evidx_off_modern) { idle_device(2, false, 1000); }
END_TEST
START_TEST(test_vblk_evidx_off_legacy) { idle_device(1, false, 1000); }
END_TEST
START_TEST(test_vblk_evidx_on_wraps_modern) { idle_device(2, true, 66000); }
END_TEST
START_TEST(test_vblk_evidx_on_wraps_legacy) { idle_device(1, true, 66000); }
END_TEST

/* Polled with EVENT_IDX: flags stay 0 and the device raises no interrupt. */
START_TEST(test_vblk_evidx_polled_no_interrupts)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;

	th_init(&h, &mc);
	h.cfg.polled = true;
	ck_assert_int_eq(th_probe(&h), 0);
	h.m.mode = VM_DEFER; /* completes only while the driver spins */
	unsigned i0 = h.m.interrupts;
	reads(&h, 300);
	ck_assert_uint_eq(h.m.interrupts, i0);
	ck_assert_uint_eq(*(uint16_t *)vm_p2v(h.m.avail_pa), 0);
	ck_assert_uint_eq(h.p.waits, 0);
	/* Leaving polled mode re-arms used_event: the next completion interrupts. */
	vblk_set_polled(h.dev, false);
	h.p.irq_attached = true;
	reads(&h, 3);
	ck_assert_uint_eq(h.m.interrupts - i0, 3);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

/* A busy device that polls its ring while it has work: of 20 requests started
 * together only the first is kicked, and the 20 completions cost one interrupt
 * while the driver has not re-armed. Without EVENT_IDX: 20 and 20. */
static void busy_device(bool evidx, unsigned *kicks, unsigned *irqs)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;
	static unsigned char bufs[20][512];
	struct vblk_slot *slots[20];

	if (!evidx)
		mc.features &= ~VMBIT(VMF_EVENT_IDX);
	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	h.m.mode = VM_DEFER;
	h.m.busy_no_notify = true;
	unsigned n0 = h.m.notifies, i0 = h.m.interrupts;
	for (unsigned i = 0; i < 20; i++) {
		h.m.disk[i * 512u] = (uint8_t)(i + 3u);
		ck_assert_int_eq(vblk_start(h.dev, VBLK_T_IN, i, pa_of(bufs[i]), 512, &slots[i]),
				 0);
	}
	vm_complete_all(&h.m, false);
	ck_assert_int_eq(vblk_irq(h.dev), 1);
	for (unsigned i = 0; i < 20; i++) {
		ck_assert(slots[i]->done);
		ck_assert_int_eq(vblk_finish(h.dev, slots[i], h.p.now + 10), 0);
		ck_assert_uint_eq(bufs[i][0], i + 3u);
	}
	*kicks = h.m.notifies - n0;
	*irqs = h.m.interrupts - i0;
	/* Idle again: the device asked for the next kick, the driver re-armed. */
	reads(&h, 2);
	ck_assert_uint_eq(h.m.notifies - n0, *kicks + 2u);
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}

START_TEST(test_vblk_evidx_busy_device_suppresses)
{
	unsigned kicks, irqs;
	busy_device(true, &kicks, &irqs);
	ck_assert_uint_eq(kicks, 1);
	ck_assert_uint_eq(irqs, 1);
	busy_device(false, &kicks, &irqs);
	ck_assert_uint_eq(kicks, 20);
	ck_assert_uint_eq(irqs, 20);
}
END_TEST

/* Hostile: avail_event stays 0 for ever, so after the first request every kick
 * is "not needed". The driver's re-kick must finish each request, in interrupt
 * and polled mode, on both transports, through the 16-bit wrap, without failing
 * the device (each request's fake-clock cost is one re-kick step, far below the
 * 1 s timeout). */
static void stale_device(uint32_t version, bool polled, unsigned n)
{
	struct vmodel_cfg mc = vm_default_cfg(version);
	struct th h;

	th_init(&h, &mc);
	h.cfg.polled = polled;
	h.m.stale_avail_event = true;
	ck_assert_int_eq(th_probe(&h), 0);
	uint64_t t0 = h.p.now;
	reads(&h, n);
	ck_assert(!vblk_failed(h.dev));
	ck_assert_uint_eq(h.m.used_idx, (uint16_t)(n + 1u));
	ck_assert_uint_le(h.p.now - t0, (uint64_t)n * (VBLK_REKICK_US + 100u));
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}

START_TEST(test_vblk_evidx_stale_avail_event_irq_modern) { stale_device(2, false, 200); }
END_TEST
START_TEST(test_vblk_evidx_stale_avail_event_polled_legacy) { stale_device(1, true, 50); }
END_TEST
START_TEST(test_vblk_evidx_stale_avail_event_wraps_legacy) { stale_device(1, false, 66000); }
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("eventidx");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vblk_evidx_need_event_across_wrap);
	tcase_add_test(tc, test_vblk_evidx_kick_suppression_across_wrap);
	tcase_add_test(tc, test_vblk_evidx_rearm_and_polled_parking);
	tcase_add_test(tc, test_vblk_evidx_off_modern);
	tcase_add_test(tc, test_vblk_evidx_off_legacy);
	tcase_add_test(tc, test_vblk_evidx_on_wraps_modern);
	tcase_add_test(tc, test_vblk_evidx_on_wraps_legacy);
	tcase_add_test(tc, test_vblk_evidx_polled_no_interrupts);
	tcase_add_test(tc, test_vblk_evidx_busy_device_suppresses);
	tcase_add_test(tc, test_vblk_evidx_stale_avail_event_irq_modern);
	tcase_add_test(tc, test_vblk_evidx_stale_avail_event_polled_legacy);
	tcase_add_test(tc, test_vblk_evidx_stale_avail_event_wraps_legacy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
