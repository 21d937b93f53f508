/* libFuzzer target: the virtio-blk driver against a hostile device. The input
 * configures the host device model (test/unit/virtio_blk/vmodel.c: version,
 * features, queue size, config space, serial) and then scripts the device's
 * behaviour while the driver probes it and runs reads, writes, flushes and
 * overlapping requests: register values rewritten as the driver reads them
 * (status, interrupt status, config space, mid-request), used-ring entries with
 * other ids and lengths, dropped or posted twice, entries nobody asked for,
 * error statuses, completions deferred or never made, a device that resets
 * itself mid-request or ignores the driver's reset.
 * Oracles, beyond "no crash, no UB, no broken platform contract" (tplat.c aborts
 * on lock misuse, waiting in IRQ context, bad register offsets):
 *   - no hang: the driver's register reads, waits and relaxes per input are
 *     bounded;
 *   - every error is one of the documented codes;
 *   - a read that returns 0 holds no byte the device did not write (the buffer
 *     is poisoned first and the disk never holds the poison), and when the
 *     device played it straight during that read, exactly the disk's bytes;
 *   - the serial is printable ASCII and terminated.
 * The device is hostile but does not lie consistently: it never reports a full
 * length with status OK for data it did not move (no driver can detect that).
 * A broken oracle calls abort(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vblk_internal.h"
#include "vmodel.h"

#define POISON 0xA5u
#define MAX_SECTORS 64u
#define BUF_BYTES (MAX_SECTORS * 512u)
#define MAX_OPS 48u
#define MAX_READS 200000u /* register reads per input before it counts as a hang */

/* trace: with FUZZ_VBLK_TRACE set, say what the script does (minimising a find). */
static bool tracing;
#define trace(...) (tracing ? (void)fprintf(stderr, __VA_ARGS__) : (void)0)

/* oracle: abort with a message when cond is false. */
static void oracle(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_vblk: oracle failed: %s\n", what);
	abort();
}

/* The input, consumed front to back; zeros once it runs out. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct in *in)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | u8(in);
	return v;
}

/* The hostile device's script state. */
struct host {
	struct in *in;
	unsigned reads;
	/* register rewrites: at the at-th read of register off, return val */
	uint32_t over_off, over_val;
	unsigned over_at, over_left;
	/* used-entry rewrites for the next `left` completions */
	unsigned post_left;
	uint8_t post_mode;
	uint32_t post_arg;
	unsigned reset_at; /* device resets itself at this read (0 = never) */
	bool tampered;	   /* sticky: a rewrite, a drop, a stray entry or a reset happened */
};

static uint32_t h_read(void *ctx, struct vmodel *m, uint32_t off, uint32_t val)
{
	struct host *h = ctx;
	h->reads++;
	oracle(h->reads < MAX_READS, "driver spins on the device's registers");
	if (h->reset_at && h->reads == h->reset_at) {
		vm_device_reset(m);
		h->tampered = true;
	}
	if (h->over_left && off == h->over_off && h->reads >= h->over_at) {
		h->over_left--;
		h->tampered = true;
		return h->over_val;
	}
	return val;
}

static unsigned h_post(void *ctx, struct vmodel *m, uint16_t head, uint32_t *id, uint32_t *len,
		       uint8_t status, bool copied)
{
	struct host *h = ctx;
	(void)m;
	if (!h->post_left)
		return 1;
	h->post_left--;
	h->tampered = true;
	trace("  post head %u mode %u arg 0x%x status %u copied %d\n", head, h->post_mode % 8,
	      h->post_arg, status, copied);
	uint32_t old_len = *len;
	unsigned copies = 1;
	switch (h->post_mode % 8) {
	case 0: /* another id: random, out of range, a neighbour */
		*id = h->post_arg % 3 == 0 ? h->post_arg : head ^ (h->post_arg & 0xff);
		break;
	case 1: /* any length */
		*len = h->post_arg;
		break;
	case 2: /* short by some bytes */
		*len -= *len > h->post_arg % 600 ? h->post_arg % 600 : *len;
		break;
	case 3: /* dropped */
		copies = 0;
		break;
	case 4: /* posted twice */
		copies = 2;
		break;
	case 5: /* posted, then a stale entry for the same head */
		copies = 2;
		*len = h->post_arg;
		break;
	case 6: /* zero length */
		*len = 0;
		break;
	default: /* id and length both */
		*id = h->post_arg & 0x1ff;
		*len = h->post_arg >> 9;
		break;
	}
	/* Never lie consistently: status OK with data that did not move keeps its
	 * true (short) length. */
	if (status == 0 && !copied && *len > old_len)
		*len = old_len;
	return copies;
}

/* script: one hostile change to the device, from the input. */
static void script(struct host *h, struct vmodel *m, uint8_t op)
{
	struct in *in = h->in;
	trace("script %u\n", op % 9);
	static const uint32_t regs[] = { 0x060, 0x070, 0x100, 0x104, 0x108, 0x10c,
					 0x114, 0x0fc, 0x034, 0x044, 0x040, 0x010 };
	switch (op % 9) {
	case 0:
		h->over_off = regs[u8(in) % (sizeof(regs) / sizeof(regs[0]))];
		h->over_val = u8(in) & 1 ? u32(in) : u8(in);
		h->over_at = h->reads + u8(in) % 16;
		h->over_left = 1 + u8(in) % 4;
		break;
	case 1:
		h->post_mode = u8(in);
		h->post_arg = u32(in);
		h->post_left = 1 + u8(in) % 3;
		break;
	case 2:
		m->mode = (enum vm_mode)(u8(in) % 3);
		break;
	case 3: { /* an error status for the next requests (never 0: that would lie) */
		uint8_t st = u8(in);
		vm_inject(m, u8(in) % 2 ? VMT_ANY : u8(in) % 9, st ? st : 1, 1 + u8(in) % 3);
		break;
	}
	case 4:
		m->ignore_reset = u8(in) & 1;
		break;
	case 5: /* a stray used entry right now */
		vm_post_used(m, u8(in) % 2 ? u8(in) : u32(in), u32(in));
		h->tampered = true;
		break;
	case 6:
		h->reset_at = h->reads + 1 + u8(in) % 64;
		break;
	case 7:
		m->short_used = u8(in) % 4 ? 0 : u8(in);
		break;
	default:
		m->cap_glitches = u8(in) % 20;
		break;
	}
}

/* Read buffers, a different one for each read: once a call returns, its buffer
 * is handed back and filled with CANARY, and a device that still writes it is
 * caught by check_handed_back. */
#define NRBUF 4u
#define CANARY 0x5Au
static uint8_t rbufs[NRBUF][BUF_BYTES], wbuf[BUF_BYTES], canary[BUF_BYTES];
static size_t lent[NRBUF]; /* bytes of each buffer a request may have covered */
static unsigned cur;

/* lend: the next read buffer, its first len bytes poisoned. */
static uint8_t *lend(size_t len)
{
	cur = (cur + 1) % NRBUF;
	lent[cur] = len;
	memset(rbufs[cur], POISON, len);
	return rbufs[cur];
}

/* hand_back: the caller owns b again (and marks it, to see later writes). */
static void hand_back(uint8_t *b) { memset(b, CANARY, lent[(size_t)(b - rbufs[0]) / BUF_BYTES]); }

/* check_handed_back: no read buffer the driver returned was written since, unless
 * the device never confirmed its reset (quarantined: documented, virtio-blk.md). */
static void check_handed_back(const struct th *t)
{
	if (t->dev->v.quarantined)
		return;
	for (unsigned i = 0; i < NRBUF; i++)
		oracle(memcmp(rbufs[i], canary, lent[i]) == 0, "the device wrote a buffer the "
							       "driver had handed back");
}

/* fill: data that never holds the poison byte, a window of one pattern made
 * once (a per-byte loop here would cost more than the driver's run). */
static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	static uint8_t pattern[BUF_BYTES + 256];
	static bool made;
	if (!made) {
		for (size_t i = 0; i < sizeof(pattern); i++) {
			uint8_t v = (uint8_t)(i * 7u + (i >> 9));
			pattern[i] = v == POISON ? 0 : v;
		}
		made = true;
	}
	memcpy(b, pattern + seed, n < BUF_BYTES ? n : BUF_BYTES);
}

/* known: every error the driver documents for its I/O calls. */
static bool known(int e)
{
	return e == 0 || e == CAIRN_EINVAL || e == CAIRN_ERANGE || e == CAIRN_EIO ||
	       e == CAIRN_ENOTSUP || e == CAIRN_ETIMEDOUT || e == CAIRN_ESHUTDOWN ||
	       e == CAIRN_EROFS || e == CAIRN_EFAULT || e == CAIRN_EAGAIN;
}

/* check_read: the data oracle of a read of len bytes at sector into b. */
static void check_read(const struct th *t, const struct host *h, int err, const uint8_t *b,
		       uint64_t sector, size_t len)
{
	oracle(known(err), "read: unknown error");
	if (err)
		return;
	/* A poison byte is only fine where the disk holds one too (a stale chain a
	 * hostile device ran late may have written a poisoned buffer there). */
	bool in_disk = sector < t->m.disk_sectors && len / 512 <= t->m.disk_sectors - sector;
	for (const uint8_t *q = memchr(b, POISON, len); q;
	     q = memchr(q + 1, POISON, len - (size_t)(q + 1 - b))) {
		size_t i = (size_t)(q - b);
		oracle(in_disk && t->m.disk[sector * 512 + i] == POISON, "read returned bytes the "
									 "device never wrote");
		if (i + 1 == len)
			break;
	}
	if (!h->tampered && in_disk)
		oracle(memcmp(b, t->m.disk + sector * 512, len) == 0, "read returned other bytes "
								      "than the disk's");
}

/* io: one scripted driver operation. */
static void io(struct th *t, struct host *h, uint8_t op)
{
	struct in *in = h->in;
	uint64_t sector = u8(in) % 2 ? u8(in) % MAX_SECTORS : u32(in);
	size_t len = (size_t)(1 + u8(in) % 16) * 512u;
	if (u8(in) % 8 == 0)
		len = u8(in) * 8u; /* unaligned sometimes */
	if (len > BUF_BYTES || (sector < MAX_SECTORS && len > (MAX_SECTORS - sector) * 512u))
		len = 512;
	switch (op % 6) {
	case 0:
	case 1: {
		uint8_t *rbuf = lend(len);
		int err = vblk_read(t->dev, sector, rbuf, len);
		trace("read %llu+%zu buf %u: %d\n", (unsigned long long)sector, len, cur, err);
		check_read(t, h, err, rbuf, sector, len);
		hand_back(rbuf);
		break;
	}
	case 2:
		fill(wbuf, len, u8(in));
		oracle(known(vblk_write(t->dev, sector, wbuf, len)), "write: unknown error");
		break;
	case 3:
		oracle(known(vblk_flush(t->dev)), "flush: unknown error");
		break;
	case 4: { /* two reads in flight, finished in either order */
		struct vblk_slot *a = NULL, *b = NULL;
		uint64_t s2 = u8(in) % MAX_SECTORS;
		uint64_t pa, pb;
		uint8_t *rbuf = lend(512), *rbuf2 = lend(512);
		pa = (uint64_t)(uintptr_t)rbuf + VM_PHYS_OFFSET;
		pb = (uint64_t)(uintptr_t)rbuf2 + VM_PHYS_OFFSET;
		int ea = vblk_start(t->dev, VBLK_T_IN, sector % MAX_SECTORS, pa, 512, &a);
		int eb = vblk_start_try(t->dev, VBLK_T_IN, s2, pb, 512, &b);
		uint64_t dl = t->p.now + 1000;
		bool rev = u8(in) & 1;
		if (rev && !eb)
			eb = vblk_finish(t->dev, b, dl);
		if (!ea)
			ea = vblk_finish(t->dev, a, dl);
		if (!rev && !eb)
			eb = vblk_finish(t->dev, b, dl);
		trace("overlap: %d %d\n", ea, eb);
		check_read(t, h, ea, rbuf, sector % MAX_SECTORS, 512);
		check_read(t, h, eb, rbuf2, s2, 512);
		/* A slot a quarantined device still holds is never released: its
		 * buffer stays lent (vblk_finish). */
		if (!(ea == 0 && eb == 0) && t->dev->v.quarantined)
			break;
		hand_back(rbuf);
		hand_back(rbuf2);
		break;
	}
	default:
		vblk_set_polled(t->dev, u8(in) & 1);
		break;
	}
}

/* config: the device model's configuration, from the input. */
static struct vmodel_cfg config(struct in *in)
{
	uint8_t f = u8(in);
	struct vmodel_cfg c = vm_default_cfg(f & 1 ? 2 : 1);
	if (f & 2)
		c.version = u8(in);
	if ((f & 0x0c) == 0x0c)
		c.magic = u32(in);
	c.features ^= (uint64_t)u32(in) | (uint64_t)(u8(in) & 3) << 32;
	c.capacity = 1 + u8(in) % MAX_SECTORS;
	static const uint32_t bs[] = { 512, 1024, 4096, 0, 256, 3000, 65536, 1u << 31 };
	c.blk_size = bs[u8(in) % 8];
	c.size_max = u8(in) % 2 ? u32(in) : 1u << 20;
	c.seg_max = u8(in);
	static const uint16_t qn[] = { 0, 1, 2, 3, 4, 5, 8, 16, 64, 256, 1024, 65535 };
	c.queue_num_max = qn[u8(in) % 12];
	for (unsigned i = 0; i < 20; i++)
		c.serial[i] = u8(in) % 4 ? u8(in) : 0;
	uint8_t g = u8(in);
	c.get_id_unsupported = g & 1;
	c.refuse_features_ok = (g & 6) == 6;
	return c;
}

static struct th t;
static bool t_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	tracing = getenv("FUZZ_VBLK_TRACE") != NULL;
	struct vmodel_cfg mc = config(&in);
	static struct vm_chain snap[VM_MAX_PENDING];
	if (t_ready) {
		th_reuse(&t, &mc);
	} else {
		th_init(&t, &mc);
		t_ready = true;
		memset(canary, CANARY, sizeof(canary));
	}
	/* Nothing of an earlier input's device survives into this one: re-mark what
	 * it lent (all of each buffer, the first time). */
	cur = 0;
	for (unsigned i = 0; i < NRBUF; i++) {
		if (!lent[i])
			lent[i] = BUF_BYTES;
		hand_back(rbufs[i]);
	}
	t.m.snap = snap; /* deferred chains are read when taken, as QEMU does */
	struct host h = { .in = &in };
	struct vm_hostile hooks = { &h, h_read, h_post };
	t.m.hostile = &hooks;
	fill(t.m.disk, mc.capacity * 512u, 0x33);
	uint8_t pc = u8(&in);
	t.cfg.polled = pc & 1;
	t.cfg.queue_size = (uint16_t)(pc & 2 ? u8(&in) : 0);
	t.cfg.timeout_us = 200u + u8(&in) * 20u; /* polled: ~timeout/10 relaxes */
	/* Hostility during probe too. */
	for (unsigned k = u8(&in) % 3; k; k--)
		script(&h, &t.m, u8(&in));
	int err = th_probe(&t);
	oracle(err <= 0, "probe returned a positive value");
	if (!err) {
		const char *s = t.dev->bd.info.serial;
		oracle(memchr(s, 0, BLKDEV_SERIAL_MAX + 1) != NULL, "serial unterminated");
		for (; *s; s++)
			oracle(*s >= 0x21 && *s <= 0x7e, "serial not printable");
		for (unsigned i = 0; i < MAX_OPS && in.n; i++) {
			uint8_t op = u8(&in);
			if (op & 0x80)
				script(&h, &t.m, op);
			else
				io(&t, &h, op);
			check_handed_back(&t);
			oracle(t.p.waits + t.p.relaxes < 4000000u, "driver waits forever");
		}
	}
	return 0; /* the next input's th_reuse frees the disk and forgets the device */
}
