/* Requests: slot allocation, submission, completion (IRQ and polled), timeouts,
 * status mapping, and the byte-level read/write/flush/GET_ID built on them.
 *
 * Locking: every field under "Protected by the device lock" in vblk_dev and
 * vblk_slot is touched only between ops->lock and ops->unlock (ops->wait drops and
 * re-takes it atomically). Functions named *_locked require the lock held. The IRQ
 * path (vblk_irq) only acknowledges, pops used entries, frees their descriptors
 * and wakes: O(completions), no allocation, no sleeping. */
#include <stdio.h>

#include "vblk_internal.h"

#define SLOT_DMA_BYTES 32u /* per slot: 16-byte header, status byte, padding */

/* Read the status byte the device wrote (DMA memory). */
static uint8_t ld_status(const struct vblk_slot *s) { return *(const volatile uint8_t *)s->status; }

/* vblk_alloc_slots: one DMA block for every slot's header and status byte plus the
 * GET_ID buffer. The number of slots makes descriptor exhaustion impossible while a
 * slot is held: 3 * nslots <= queue size. Call after vblk_setup_queue. */
int vblk_alloc_slots(struct vblk_dev *d)
{
	unsigned n = d->vq.num / 3u;
	void *va;
	uint64_t pa;

	n = n < VBLK_SLOTS_MAX ? n : VBLK_SLOTS_MAX;
	int err = d->v.ops->dma_alloc(d->v.ctx, (size_t)(n + 1u) * SLOT_DMA_BYTES, 16u, &va, &pa);
	if (err)
		return err;
	unsigned char *mem = va;
	for (unsigned i = 0; i < n; i++) {
		struct vblk_slot *s = &d->slots[i];
		s->hdr = (struct vblk_reqhdr *)(void *)(mem + i * SLOT_DMA_BYTES);
		s->status = mem + i * SLOT_DMA_BYTES + sizeof(struct vblk_reqhdr);
		s->hdr_pa = pa + i * SLOT_DMA_BYTES;
		s->status_pa = s->hdr_pa + sizeof(struct vblk_reqhdr);
	}
	d->id_buf = mem + n * SLOT_DMA_BYTES;
	d->id_pa = pa + n * SLOT_DMA_BYTES;
	d->nslots = n;
	d->free_slots = n;
	return 0;
}

/* vblk_map_status: device status byte -> error code. UNSUPP is CAIRN_ENOTSUP (the
 * device does not implement that request type); unknown values are CAIRN_EIO. */
int vblk_map_status(uint8_t status)
{
	switch (status) {
	case VBLK_S_OK:
		return 0;
	case VBLK_S_UNSUPP:
		return CAIRN_ENOTSUP;
	default:
		return CAIRN_EIO;
	}
}

/* Give up on the device: reset it so it stops touching our rings and buffers
 * (a reset it does not confirm quarantines it: virtio_fail), mark it FAILED,
 * and wake every waiter (they return CAIRN_ESHUTDOWN). Lock held; may run in
 * IRQ context (bounded). */
static void fail_locked(struct vblk_dev *d)
{
	if (d->v.failed)
		return;
	(void)virtio_fail(&d->v);
	for (unsigned i = 0; i < d->nslots; i++)
		if (d->slots[i].busy)
			d->v.ops->wake(d->v.ctx, &d->slots[i]);
	d->v.ops->wake(d->v.ctx, &d->free_slots);
}

/* Complete the chain with head id: free its descriptors, mark its slot done, wake
 * its waiter. An id we did not hand out means a broken device: fail it. Lock held. */
static void complete_locked(struct vblk_dev *d, uint32_t id, uint32_t len)
{
	if (id >= d->vq.num || d->head_slot[id] == 0) {
		fail_locked(d);
		return;
	}
	struct vblk_slot *s = &d->slots[d->head_slot[id] - 1u];
	d->head_slot[id] = 0;
	if (virtq_free_chain(&d->vq, (uint16_t)id) == 0) {
		fail_locked(d);
		return;
	}
	s->used_len = len;
	s->done = true;
	d->v.ops->wake(d->v.ctx, s);
}

/* Reap every used-ring entry the device has produced; with EVENT_IDX re-arm
 * used_event and reap again if the device posted meanwhile. Lock held. */
static void reap_locked(struct vblk_dev *d)
{
	uint32_t id, len;

	do {
		while (!d->v.failed && virtq_pop_used(&d->vq, d->v.ops, d->v.ctx, &id, &len))
			complete_locked(d, id, len);
	} while (!d->v.failed && virtq_rearm(&d->vq, d->v.ops, d->v.ctx));
}

/* EVENT_IDX safety net, only while a kick was skipped (d->unkicked): reap, then
 * notify unconditionally if requests are still out (a device that never updates
 * avail_event would otherwise never hear of them). Without EVENT_IDX, or when
 * every submission was notified (QEMU asks for every kick), nothing runs. Lock
 * held, thread context. */
static void rekick_locked(struct vblk_dev *d)
{
	if (!d->unkicked || d->v.failed)
		return;
	reap_locked(d);
	if (!d->v.failed && d->vq.num_free != d->vq.num)
		virtio_notify(&d->v, &d->vq);
	d->unkicked = false;
	d->rekick_at = d->v.ops->now_us(d->v.ctx) + VBLK_REKICK_US;
}

/* Interrupt-mode wait on chan until deadline. While a kick was skipped the sleep
 * is cut into VBLK_REKICK_US steps, a timed-out step ending in rekick_locked and
 * returning 0 (a spurious wake-up: callers re-check). Lock held. */
static int wait_locked(struct vblk_dev *d, const void *chan, uint64_t deadline)
{
	if (!d->unkicked)
		return d->v.ops->wait(d->v.ctx, chan, deadline);
	uint64_t step = d->v.ops->now_us(d->v.ctx) + VBLK_REKICK_US;
	if (step >= deadline)
		return d->v.ops->wait(d->v.ctx, chan, deadline);
	int err = d->v.ops->wait(d->v.ctx, chan, step);
	if (err != CAIRN_ETIMEDOUT)
		return err;
	rekick_locked(d);
	return 0;
}

/* vblk_irq: interrupt handler body: ack, then reap and wake (see header). */
int vblk_irq(struct vblk_dev *d)
{
	d->v.ops->lock(d->v.ctx);
	uint32_t st = virtio_irq_ack(&d->v); /* ack, then look at the ring */
	if (st)
		reap_locked(d);
	d->v.ops->unlock(d->v.ctx);
	return st != 0;
}

/* vblk_set_polled: switch completion mode; polled also sets the NO_INTERRUPT hint. */
void vblk_set_polled(struct vblk_dev *d, bool polled)
{
	d->v.ops->lock(d->v.ctx);
	d->polled = polled;
	virtq_set_no_interrupt(&d->vq, polled);
	d->v.ops->unlock(d->v.ctx);
}

/* vblk_failed: whether a timeout or protocol error disabled the device. */
bool vblk_failed(struct vblk_dev *d)
{
	d->v.ops->lock(d->v.ctx);
	bool f = d->v.failed;
	d->v.ops->unlock(d->v.ctx);
	return f;
}

/* vblk_quarantined: whether the device failed without confirming its reset. */
bool vblk_quarantined(struct vblk_dev *d)
{
	d->v.ops->lock(d->v.ctx);
	bool q = d->v.quarantined;
	d->v.ops->unlock(d->v.ctx);
	return q;
}

/* One polled-mode step: reap; if still not done, check the deadline, then drop the
 * lock for one relax so other harts (and the IRQ path) can get in. Lock held. */
static int poll_step_locked(struct vblk_dev *d, const struct vblk_slot *s, uint64_t deadline)
{
	reap_locked(d);
	if (s == NULL ? d->free_slots != 0 : s->done)
		return 0;
	uint64_t now = d->v.ops->now_us(d->v.ctx);
	if (now >= deadline)
		return CAIRN_ETIMEDOUT;
	if (d->unkicked && now >= d->rekick_at)
		rekick_locked(d);
	d->v.ops->unlock(d->v.ctx);
	if (d->v.ops->relax)
		d->v.ops->relax(d->v.ctx);
	d->v.ops->lock(d->v.ctx);
	return 0;
}

/* Take a free slot, waiting up to deadline unless try_only. Lock held. */
static int acquire_slot_locked(struct vblk_dev *d, bool try_only, uint64_t deadline,
			       struct vblk_slot **out)
{
	while (!d->v.failed && d->free_slots == 0) {
		if (try_only)
			return CAIRN_EAGAIN;
		int err = d->polled ? poll_step_locked(d, NULL, deadline)
				    : wait_locked(d, &d->free_slots, deadline);
		if (!err && !d->polled && d->v.ops->now_us(d->v.ctx) >= deadline)
			err = CAIRN_ETIMEDOUT;
		if (err == CAIRN_ETIMEDOUT && d->free_slots == 0)
			return CAIRN_ETIMEDOUT; /* the holders' own timeouts fail the device */
	}
	if (d->v.failed)
		return CAIRN_ESHUTDOWN;
	for (unsigned i = 0; i < d->nslots; i++) {
		if (!d->slots[i].busy) {
			d->slots[i].busy = true;
			d->slots[i].done = false;
			d->free_slots--;
			*out = &d->slots[i];
			return 0;
		}
	}
	return CAIRN_EAGAIN; /* unreachable: free_slots counts non-busy slots */
}

/* Build the chain header [data] status for slot s and hand it to the device:
 * descriptors, wmb, avail->idx (virtq_publish), mb, QueueNotify (virtio_kick:
 * skipped when EVENT_IDX's avail_event says the device is still going). Lock held.
 * CAIRN_EIO only if the descriptor accounting is broken (cannot happen). */
static int submit_locked(struct vblk_dev *d, struct vblk_slot *s, uint32_t type, uint64_t sector,
			 uint64_t data_pa, uint32_t len)
{
	struct vq_buf bufs[3];
	unsigned n = 0;

	s->type = type;
	s->len = len;
	s->used_len = 0;
	s->hdr->type = type;
	s->hdr->reserved = 0;
	s->hdr->sector = sector;
	*(volatile uint8_t *)s->status = VBLK_S_UNWRITTEN; /* see vblk_finish */
	bufs[n++] = (struct vq_buf){ s->hdr_pa, sizeof(struct vblk_reqhdr), false };
	if (len)
		bufs[n++] = (struct vq_buf){ data_pa, len, type != VBLK_T_OUT };
	bufs[n++] = (struct vq_buf){ s->status_pa, 1u, true };
	int head = virtq_add_chain(&d->vq, bufs, n); /* 3 * nslots <= num: never -1 */
	if (head < 0)
		return CAIRN_EIO;
	s->head = (uint16_t)head;
	d->head_slot[head] = (uint8_t)(s - d->slots + 1);
	virtq_publish(&d->vq, s->head, d->v.ops, d->v.ctx);
	/* mb, then QueueNotify unless EVENT_IDX says the device will see it anyway. */
	if (virtio_kick(&d->v, &d->vq)) {
		d->unkicked = false; /* the device now looks at everything published */
	} else if (!d->unkicked) {
		d->unkicked = true;
		d->rekick_at = d->v.ops->now_us(d->v.ctx) + VBLK_REKICK_US;
	}
	return 0;
}

/* Shared body of vblk_start / vblk_start_try. */
static int start(struct vblk_dev *d, bool try_only, uint32_t type, uint64_t sector,
		 uint64_t data_pa, uint32_t len, struct vblk_slot **out)
{
	uint64_t deadline = d->v.ops->now_us(d->v.ctx) + d->v.timeout_us;
	struct vblk_slot *s = NULL;

	d->v.ops->lock(d->v.ctx);
	int err = d->v.failed ? CAIRN_ESHUTDOWN : acquire_slot_locked(d, try_only, deadline, &s);
	if (!err)
		err = submit_locked(d, s, type, sector, data_pa, len);
	if (err && s) { /* give the slot back: nothing was submitted */
		s->busy = false;
		d->free_slots++;
		d->v.ops->wake(d->v.ctx, &d->free_slots);
		s = NULL;
	}
	d->v.ops->unlock(d->v.ctx);
	*out = s;
	return err;
}

/* vblk_start: submit one request (len bytes at data_pa, len 0 = no data segment),
 * waiting for a free slot if all are in flight. 0 and *out, or an error with
 * nothing submitted. Pair every success with vblk_finish. */
int vblk_start(struct vblk_dev *d, uint32_t type, uint64_t sector, uint64_t data_pa, uint32_t len,
	       struct vblk_slot **out)
{
	return start(d, false, type, sector, data_pa, len, out);
}

/* vblk_start_try: as vblk_start, but CAIRN_EAGAIN instead of waiting for a slot. */
int vblk_start_try(struct vblk_dev *d, uint32_t type, uint64_t sector, uint64_t data_pa,
		   uint32_t len, struct vblk_slot **out)
{
	return start(d, true, type, sector, data_pa, len, out);
}

/* Wait until s completes, the device fails, or the deadline passes (which fails the
 * device). Returns 0 when s completed. Lock held. */
static int await_locked(struct vblk_dev *d, struct vblk_slot *s, uint64_t deadline)
{
	while (!s->done && !d->v.failed) {
		int err = d->polled ? poll_step_locked(d, s, deadline)
				    : wait_locked(d, s, deadline);
		/* Also trust the clock: a wait that keeps waking spuriously cannot hang us. */
		if (!err && !d->polled && d->v.ops->now_us(d->v.ctx) >= deadline)
			err = CAIRN_ETIMEDOUT;
		if (err == CAIRN_ETIMEDOUT && !s->done) {
			fail_locked(d);
			return CAIRN_ETIMEDOUT;
		}
	}
	return s->done ? 0 : CAIRN_ESHUTDOWN;
}

/* check_used: a successful read must say the device wrote the whole data
 * buffer and the status byte; a shorter used length would leave stale bytes in
 * the caller's buffer, so it is an error (the length is the device's claim, not
 * trusted to be larger than the buffer either: only "too short" is checked). */
static int check_used(const struct vblk_slot *s)
{
	if (s->type == VBLK_T_IN && s->used_len < s->len + 1u)
		return CAIRN_EIO;
	return 0;
}

/* vblk_finish: wait for the request in slot s, release the slot, and return the
 * mapped device status (or CAIRN_ETIMEDOUT / CAIRN_ESHUTDOWN; CAIRN_EIO for a
 * short read). A used entry for a request whose status byte the device never
 * wrote means it reported work it has not done and may still do: the device is
 * failed (reset) before the caller gets its buffer back, and CAIRN_EIO. A slot
 * whose request never completed (or never ran) on a quarantined device is never
 * released: the device may still write its header, status and data. */
int vblk_finish(struct vblk_dev *d, struct vblk_slot *s, uint64_t deadline_us)
{
	d->v.ops->lock(d->v.ctx);
	int err = await_locked(d, s, deadline_us);
	bool ran = true;
	if (!err && ld_status(s) == VBLK_S_UNWRITTEN) {
		fail_locked(d);
		ran = false;
		err = CAIRN_EIO;
	}
	if (!err)
		err = vblk_map_status(ld_status(s));
	if (!err)
		err = check_used(s);
	if ((!s->done || !ran) && d->v.quarantined) {
		d->v.ops->unlock(d->v.ctx);
		return err;
	}
	s->busy = false;
	d->free_slots++;
	d->v.ops->wake(d->v.ctx, &d->free_slots);
	d->v.ops->unlock(d->v.ctx);
	return err;
}

/* One request, start to finish. */
static int request(struct vblk_dev *d, uint32_t type, uint64_t sector, uint64_t pa, uint32_t len)
{
	struct vblk_slot *s;
	int err = vblk_start(d, type, sector, pa, len, &s);
	if (err)
		return err;
	return vblk_finish(d, s, d->v.ops->now_us(d->v.ctx) + d->v.timeout_us);
}

/* vblk_parse_serial: GET_ID bytes -> C string. The 20 bytes are NUL-padded and
 * unterminated when full; bytes outside printable ASCII (0x21..0x7e) become '?' so
 * a serial can never break a marker line or a log. */
void vblk_parse_serial(const uint8_t raw[VBLK_ID_BYTES], char out[BLKDEV_SERIAL_MAX + 1])
{
	unsigned i = 0;
	for (; i < VBLK_ID_BYTES && raw[i] != 0; i++)
		out[i] = (raw[i] >= 0x21u && raw[i] <= 0x7eu) ? (char)raw[i] : '?';
	for (; i <= BLKDEV_SERIAL_MAX; i++)
		out[i] = '\0';
}

/* vblk_get_id: read the serial with VIRTIO_BLK_T_GET_ID. A device that rejects it
 * (UNSUPP or IOERR) simply has an empty serial; timeouts and failures (also an
 * EIO that failed the device, see vblk_finish) propagate. */
int vblk_get_id(struct vblk_dev *d, char serial[BLKDEV_SERIAL_MAX + 1])
{
	uint8_t raw[VBLK_ID_BYTES];

	for (unsigned i = 0; i < VBLK_ID_BYTES; i++)
		((volatile uint8_t *)d->id_buf)[i] = 0;
	int err = request(d, VBLK_T_GET_ID, 0, d->id_pa, VBLK_ID_BYTES);
	if ((err == CAIRN_EIO || err == CAIRN_ENOTSUP) && !d->v.failed) {
		serial[0] = '\0';
		return 0;
	}
	if (err)
		return err;
	for (unsigned i = 0; i < VBLK_ID_BYTES; i++)
		raw[i] = ((const volatile uint8_t *)d->id_buf)[i];
	vblk_parse_serial(raw, serial);
	return 0;
}

/* Record a refused operation through the optional audit op. */
static void audit(struct vblk_dev *d, const char *op)
{
	if (d->audit)
		d->audit(d->v.ctx, VBLK_AUDIT_READ_ONLY, op, d->bd.info.serial);
}

/* Validate a byte-level request: alignment to the logical block, then range. */
static int check_io(const struct vblk_dev *d, uint64_t sector, const void *buf, size_t len)
{
	uint64_t per_block = d->blk_size / VBLK_SECTOR_SIZE;
	uint64_t usable = d->bd.info.sector_count * per_block; /* whole blocks only */

	if (!buf || len == 0)
		return CAIRN_EINVAL;
	if (sector % per_block != 0 || len % d->blk_size != 0)
		return CAIRN_EINVAL;
	uint64_t sectors = (uint64_t)len / VBLK_SECTOR_SIZE;
	if (sector >= usable || sectors > usable - sector)
		return CAIRN_ERANGE;
	return 0;
}

/* Checked transfer split into max_transfer-sized device requests, one at a time. */
static int xfer(struct vblk_dev *d, uint32_t type, uint64_t sector, unsigned char *buf, size_t len)
{
	if (__atomic_load_n(&d->v.failed, __ATOMIC_RELAXED))
		return CAIRN_ESHUTDOWN;
	int err = check_io(d, sector, buf, len);
	while (!err && len) {
		uint32_t chunk = len < d->max_transfer ? (uint32_t)len : d->max_transfer;
		uint64_t pa;
		err = d->v.ops->dma_addr(d->v.ctx, buf, chunk, &pa);
		if (err)
			return CAIRN_EFAULT;
		err = request(d, type, sector, pa, chunk);
		sector += chunk / VBLK_SECTOR_SIZE;
		buf += chunk;
		len -= chunk;
	}
	return err;
}

/* vblk_read: checked, split read of len bytes at 512-byte sector. */
int vblk_read(struct vblk_dev *d, uint64_t sector, void *buf, size_t len)
{
	if (!d)
		return CAIRN_EINVAL;
	return xfer(d, VBLK_T_IN, sector, buf, len);
}

/* vblk_check_writable: CAIRN_EROFS (audited, nothing sent) on a read-only disk. */
int vblk_check_writable(struct vblk_dev *d, const char *op)
{
	if (!d->bd.info.read_only)
		return 0;
	audit(d, op);
	return CAIRN_EROFS;
}

/* vblk_write: checked, split write; read-only disks refuse before anything is sent. */
int vblk_write(struct vblk_dev *d, uint64_t sector, const void *buf, size_t len)
{
	if (!d)
		return CAIRN_EINVAL;
	int err = vblk_check_writable(d, "write");
	if (err)
		return err;
	/* The device only reads this buffer; the cast serves the shared xfer path. */
	return xfer(d, VBLK_T_OUT, sector, (unsigned char *)(uintptr_t)buf, len);
}

/* vblk_flush: durability barrier (FLUSH request, or nothing on write-through). */
int vblk_flush(struct vblk_dev *d)
{
	if (!d)
		return CAIRN_EINVAL;
	int err = vblk_check_writable(d, "flush");
	if (err)
		return err;
	if (__atomic_load_n(&d->v.failed, __ATOMIC_RELAXED))
		return CAIRN_ESHUTDOWN;
	if (!virtio_has(&d->v, VBLK_F_FLUSH))
		return 0; /* no FLUSH negotiated: the device is write-through (spec 5.2.5) */
#ifdef VBLK_TEST_SKIP_FLUSH
	/* Deliberately broken test build (cairn-noflush.elf, option
	 * crash_noflush_image): report the flush done without sending it, so the crash
	 * campaign can prove it catches a sync that returns before its data is durable. */
	return 0;
#else
	return request(d, VBLK_T_FLUSH, 0, 0, 0);
#endif
}
