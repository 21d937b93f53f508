/* virtio_blk ring tests: split-virtqueue layout, free-descriptor list, chaining,
 * 16-bit index wrap-around, many requests in flight completed out of order. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

/* Physical address of a host buffer in the model's address space. */
static uint64_t pa_of(const void *p) { return (uint64_t)(uintptr_t)p + VM_PHYS_OFFSET; }

/* Barrier-only ops for driving a bare virtqueue. */
static void nop_fence(void *ctx) { (void)ctx; }
static const struct virtio_ops fence_ops = { .mb = nop_fence, .wmb = nop_fence, .rmb = nop_fence };

/* A bare queue of num descriptors in fresh zeroed memory. */
static void *bare_vq(struct virtq *vq, uint16_t num)
{
	size_t a, u, bytes = virtq_layout(num, 4096, &a, &u);
	void *mem = aligned_alloc(4096, bytes);
	ck_assert_ptr_nonnull(mem);
	memset(mem, 0, bytes);
	virtq_init(vq, num, mem, pa_of(mem), 4096);
	return mem;
}

START_TEST(test_vblk_vq_layout_legacy_alignment)
{
	size_t avail, used;
	ck_assert_uint_eq(virtq_layout(128, 4096, &avail, &used), 8192);
	ck_assert_uint_eq(avail, 2048);
	ck_assert_uint_eq(used, 4096);
	ck_assert_uint_eq(virtq_layout(8, 4096, &avail, &used), 8192);
	ck_assert_uint_eq(avail, 128);
	ck_assert_uint_eq(used, 4096); /* 128 + 22 bytes of avail, then page aligned */
}
END_TEST

START_TEST(test_vblk_vq_free_list_exhaustion_and_recycling)
{
	struct virtq vq;
	void *mem = bare_vq(&vq, 8);
	struct vq_buf b[3] = { { 0x1000, 16, false }, { 0x2000, 512, true }, { 0x3000, 1, true } };

	int h1 = virtq_add_chain(&vq, b, 3), h2 = virtq_add_chain(&vq, b, 3);
	ck_assert_int_ge(h1, 0);
	ck_assert_int_ge(h2, 0);
	ck_assert_uint_eq(vq.num_free, 2);
	ck_assert_int_eq(virtq_add_chain(&vq, b, 3), -1); /* exhausted: nothing taken */
	ck_assert_uint_eq(vq.num_free, 2);
	ck_assert_int_ge(virtq_add_chain(&vq, b, 2), 0);
	ck_assert_uint_eq(vq.num_free, 0);
	ck_assert_uint_eq(virtq_free_chain(&vq, (uint16_t)h1), 3);
	ck_assert_int_eq(virtq_add_chain(&vq, b, 3), h1); /* recycled, LIFO */
	ck_assert_uint_eq(virtq_free_chain(&vq, (uint16_t)h1), 3);
	ck_assert_uint_eq(virtq_free_chain(&vq, (uint16_t)h2), 3);
	ck_assert_uint_eq(vq.num_free, 6);
	ck_assert_uint_eq(virtq_free_chain(&vq, 200), 0); /* out of range head */
	free(mem);
}
END_TEST

START_TEST(test_vblk_vq_chain_flags_and_links)
{
	struct virtq vq;
	void *mem = bare_vq(&vq, 16);
	struct vq_buf b[3] = { { 0x1000, 16, false }, { 0x2000, 4096, true }, { 0x3000, 1, true } };

	int h = virtq_add_chain(&vq, b, 3);
	ck_assert_int_ge(h, 0);
	const struct vq_desc *d0 = &vq.desc[h], *d1 = &vq.desc[d0->next], *d2 = &vq.desc[d1->next];
	ck_assert_uint_eq(d0->flags, VQ_DESC_F_NEXT);
	ck_assert_uint_eq(d0->len, 16);
	ck_assert_uint_eq(d1->flags, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE);
	ck_assert_uint_eq(d1->addr, 0x2000);
	ck_assert_uint_eq(d2->flags, VQ_DESC_F_WRITE);
	ck_assert_uint_eq(d2->len, 1);
	/* Every descriptor is on the free list or in the chain exactly once. */
	unsigned seen = 0;
	for (uint16_t i = vq.free_head, k = 0; k < vq.num_free; k++, i = vq.desc[i].next)
		seen |= 1u << i;
	seen |= 1u << h | 1u << d0->next | 1u << d1->next;
	ck_assert_uint_eq(seen, 0xffffu);
	free(mem);
}
END_TEST

START_TEST(test_vblk_vq_index_wrap_near_ffff)
{
	struct virtq vq;
	void *mem = bare_vq(&vq, 8);
	struct vq_buf b[3] = { { 0x1000, 16, false }, { 0x2000, 512, true }, { 0x3000, 1, true } };

	vq.avail_idx = vq.last_used = 0xfffd;
	vq.avail->idx = vq.used->idx = 0xfffd;
	for (unsigned k = 0; k < 10; k++) {
		uint16_t idx = vq.avail_idx;
		int h = virtq_add_chain(&vq, b, 3);
		ck_assert_int_ge(h, 0);
		virtq_publish(&vq, (uint16_t)h, &fence_ops, NULL);
		ck_assert_uint_eq(vq.avail->idx, (uint16_t)(idx + 1u));
		ck_assert_uint_eq(vq.avail->ring[idx & 7u], h);
		/* Play the device: post the chain to the used ring. */
		vq.used->ring[vq.used->idx & 7u] = (struct vq_used_elem){ (uint32_t)h, 513 };
		vq.used->idx = (uint16_t)(vq.used->idx + 1u);
		uint32_t id, len;
		ck_assert(virtq_pop_used(&vq, &fence_ops, NULL, &id, &len));
		ck_assert_uint_eq(id, (uint32_t)h);
		ck_assert(!virtq_pop_used(&vq, &fence_ops, NULL, &id, &len));
		ck_assert_uint_eq(virtq_free_chain(&vq, (uint16_t)id), 3);
	}
	ck_assert_uint_eq(vq.avail_idx, 7); /* 0xfffd + 10 mod 2^16 */
	ck_assert_uint_eq(vq.num_free, 8);
	free(mem);
}
END_TEST

/* Drive n single-sector reads through a probed device of the given version. */
static void drive_many(uint32_t version, unsigned n)
{
	struct vmodel_cfg mc = vm_default_cfg(version);
	struct th h;
	unsigned char buf[512];

	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	for (unsigned i = 0; i < n; i++) {
		h.m.disk[(i % 2048u) * 512u] = (uint8_t)i;
		ck_assert_int_eq(vblk_read(h.dev, i % 2048u, buf, sizeof(buf)), 0);
		ck_assert_uint_eq(buf[0], (uint8_t)i);
	}
	ck_assert_uint_eq(h.m.requests, n + 1u); /* + GET_ID */
	ck_assert_uint_eq(h.m.used_idx, (uint16_t)(n + 1u));
	ck_assert_uint_eq(h.dev->vq.avail_idx, (uint16_t)(n + 1u));
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}

START_TEST(test_vblk_ring_wraps_past_65536_requests_modern) { drive_many(2, 70000); }
END_TEST

START_TEST(test_vblk_ring_wraps_past_65536_requests_legacy) { drive_many(1, 66000); }
END_TEST

/* Start n reads of one sector each (sector i holds byte i) in DEFER mode. */
static void start_reads(struct th *h, unsigned n, unsigned char (*bufs)[512],
			struct vblk_slot **slots)
{
	for (unsigned i = 0; i < n; i++) {
		h->m.disk[i * 512u] = (uint8_t)(i + 1u);
		ck_assert_int_eq(vblk_start(h->dev, VBLK_T_IN, i, pa_of(bufs[i]), 512, &slots[i]),
				 0);
	}
}

START_TEST(test_vblk_many_in_flight_out_of_order)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;
	static unsigned char bufs[40][512];
	struct vblk_slot *slots[40];

	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	ck_assert_uint_ge(h.dev->nslots, 40);
	h.m.mode = VM_DEFER;
	start_reads(&h, 40, bufs, slots);
	ck_assert_uint_eq(h.m.npending, 40);
	/* Complete in a scrambled order, interrupting after every few. */
	uint32_t x = 12345;
	for (unsigned left = 40; left; left--) {
		x = x * 1103515245u + 12345u;
		vm_complete(&h.m, (x >> 16) % left);
		if (left % 3u == 0)
			ck_assert_int_eq(vblk_irq(h.dev), 1);
	}
	vblk_irq(h.dev);
	for (unsigned i = 0; i < 40; i++) {
		ck_assert(slots[i]->done);
		ck_assert_int_eq(vblk_finish(h.dev, slots[i], h.p.now + 10), 0);
		ck_assert_uint_eq(bufs[i][0], i + 1u);
	}
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num);
	ck_assert_uint_eq(h.dev->free_slots, h.dev->nslots);
	ck_assert_uint_eq(h.m.max_pending, 40);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_slots_exhausted_then_recycled)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;
	static unsigned char bufs[3][512];
	struct vblk_slot *s[3];

	mc.queue_num_max = 8; /* 8 descriptors -> 2 requests in flight */
	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	ck_assert_uint_eq(h.dev->vq.num, 8);
	ck_assert_uint_eq(h.dev->nslots, 2);
	h.m.mode = VM_DEFER;
	ck_assert_int_eq(vblk_start_try(h.dev, VBLK_T_IN, 0, pa_of(bufs[0]), 512, &s[0]), 0);
	ck_assert_int_eq(vblk_start_try(h.dev, VBLK_T_IN, 1, pa_of(bufs[1]), 512, &s[1]), 0);
	ck_assert_int_eq(vblk_start_try(h.dev, VBLK_T_IN, 2, pa_of(bufs[2]), 512, &s[2]),
			 CAIRN_EAGAIN);
	ck_assert_uint_eq(h.m.npending, 2);
	vm_complete(&h.m, 1);
	ck_assert_int_eq(vblk_irq(h.dev), 1);
	ck_assert_int_eq(vblk_finish(h.dev, s[1], h.p.now + 10), 0);
	ck_assert_int_eq(vblk_start_try(h.dev, VBLK_T_IN, 2, pa_of(bufs[2]), 512, &s[2]), 0);
	ck_assert_ptr_eq(s[2], s[1]); /* the released slot is reused */
	/* The blocking variant waits; the device completes while it sleeps. */
	ck_assert_int_eq(vblk_finish(h.dev, s[0], h.p.now + 1000), 0);
	ck_assert_int_eq(vblk_finish(h.dev, s[2], h.p.now + 1000), 0);
	ck_assert_uint_eq(h.dev->vq.num_free, 8);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

/* The device's view of descriptor i. */
static const struct vq_desc *dev_desc(struct th *h, unsigned i)
{
	return (const struct vq_desc *)vm_p2v(h->m.desc_pa + 16u * i);
}

START_TEST(test_vblk_chain_layout_seen_by_device)
{
	struct vmodel_cfg mc = vm_default_cfg(1);
	struct th h;
	static unsigned char buf[4096];
	struct vblk_slot *r, *w, *f;

	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	h.m.mode = VM_DEFER;
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_IN, 8, pa_of(buf), 4096, &r), 0);
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_OUT, 8, pa_of(buf), 4096, &w), 0);
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_FLUSH, 0, 0, 0, &f), 0);
	const struct vq_desc *d = dev_desc(&h, r->head);
	ck_assert_uint_eq(d->flags, VQ_DESC_F_NEXT);
	ck_assert_uint_eq(d->len, 16);
	d = dev_desc(&h, d->next);
	ck_assert_uint_eq(d->flags, VQ_DESC_F_NEXT | VQ_DESC_F_WRITE);
	ck_assert_uint_eq(d->len, 4096);
	ck_assert_uint_eq(d->addr, pa_of(buf));
	ck_assert_uint_eq(dev_desc(&h, d->next)->flags, VQ_DESC_F_WRITE);
	d = dev_desc(&h, dev_desc(&h, w->head)->next);
	ck_assert_uint_eq(d->flags, VQ_DESC_F_NEXT); /* write: device reads the data */
	d = dev_desc(&h, f->head);
	ck_assert_uint_eq(dev_desc(&h, d->next)->flags, VQ_DESC_F_WRITE); /* flush: 2 */
	ck_assert_uint_eq(dev_desc(&h, d->next)->len, 1);
	ck_assert_uint_eq(h.dev->vq.num_free, h.dev->vq.num - 8u);
	vm_complete_all(&h.m, false);
	vblk_irq(h.dev);
	ck_assert_int_eq(vblk_finish(h.dev, r, h.p.now + 1), 0);
	ck_assert_int_eq(vblk_finish(h.dev, w, h.p.now + 1), 0);
	ck_assert_int_eq(vblk_finish(h.dev, f, h.p.now + 1), 0);
	ck_assert_msg(h.m.violations == 0, "%s", h.m.violation);
	th_fini(&h);
}
END_TEST

START_TEST(test_vblk_bogus_used_id_fails_device)
{
	struct vmodel_cfg mc = vm_default_cfg(2);
	struct th h;
	static unsigned char buf[512];
	struct vblk_slot *s;

	th_init(&h, &mc);
	ck_assert_int_eq(th_probe(&h), 0);
	h.m.mode = VM_HOLD;
	ck_assert_int_eq(vblk_start(h.dev, VBLK_T_IN, 0, pa_of(buf), 512, &s), 0);
	/* A "device" posts a head it was never given. */
	uint64_t e = h.m.used_pa + 4u + 8u * (h.m.used_idx % h.m.queue_num);
	*(uint32_t *)vm_p2v(e) = (uint32_t)(s->head + 1u);
	h.m.used_idx++;
	*(uint16_t *)vm_p2v(h.m.used_pa + 2u) = h.m.used_idx;
	h.m.int_status = 1;
	vblk_irq(h.dev);
	ck_assert(vblk_failed(h.dev));
	ck_assert_int_eq(vblk_finish(h.dev, s, h.p.now + 10), CAIRN_ESHUTDOWN);
	ck_assert_int_eq(vblk_read(h.dev, 0, buf, 512), CAIRN_ESHUTDOWN);
	th_fini(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("ring");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vblk_vq_layout_legacy_alignment);
	tcase_add_test(tc, test_vblk_vq_free_list_exhaustion_and_recycling);
	tcase_add_test(tc, test_vblk_vq_chain_flags_and_links);
	tcase_add_test(tc, test_vblk_vq_index_wrap_near_ffff);
	tcase_add_test(tc, test_vblk_ring_wraps_past_65536_requests_modern);
	tcase_add_test(tc, test_vblk_ring_wraps_past_65536_requests_legacy);
	tcase_add_test(tc, test_vblk_many_in_flight_out_of_order);
	tcase_add_test(tc, test_vblk_slots_exhausted_then_recycled);
	tcase_add_test(tc, test_vblk_chain_layout_seen_by_device);
	tcase_add_test(tc, test_vblk_bogus_used_id_fails_device);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
