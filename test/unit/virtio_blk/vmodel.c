/* virtio-mmio block device model for the driver's host tests. See vmodel.h. */
#include "vmodel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Register offsets (virtio 1.x 4.2.2 and legacy 4.2.4), written out independently
 * of the driver's header so a wrong constant there cannot pass here. */
enum {
	R_MAGIC = 0x000,
	R_VERSION = 0x004,
	R_DEVICE_ID = 0x008,
	R_VENDOR = 0x00c,
	R_DEV_FEAT = 0x010,
	R_DEV_FEAT_SEL = 0x014,
	R_DRV_FEAT = 0x020,
	R_DRV_FEAT_SEL = 0x024,
	R_PAGE_SIZE = 0x028,
	R_QSEL = 0x030,
	R_QNUM_MAX = 0x034,
	R_QNUM = 0x038,
	R_QALIGN = 0x03c,
	R_QPFN = 0x040,
	R_QREADY = 0x044,
	R_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_QDESC_LO = 0x080,
	R_QDESC_HI = 0x084,
	R_QDRV_LO = 0x090,
	R_QDRV_HI = 0x094,
	R_QDEV_LO = 0x0a0,
	R_QDEV_HI = 0x0a4,
	R_CFG_GEN = 0x0fc,
	R_CONFIG = 0x100,
};

/* Record a protocol violation (the first one's text is kept). */
static void violate(struct vmodel *m, const char *fmt, ...)
{
	if (m->violations++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->violation, sizeof(m->violation), fmt, ap);
		va_end(ap);
	}
}

/* Registered DMA arenas (test-global; tests are single-threaded). */
static void *arena_va[VM_MAX_ARENAS];
static uint64_t arena_pa[VM_MAX_ARENAS];

/* vm_arena_register: map (or unmap, va NULL) a platform's DMA arena. */
void vm_arena_register(int slot, void *va, uint64_t pa)
{
	arena_va[slot] = va;
	arena_pa[slot] = pa;
}

/* Model physical address -> host pointer; aborts on an address nobody owns. */
void *vm_p2v(uint64_t pa)
{
	for (unsigned i = 0; i < VM_MAX_ARENAS; i++)
		if (arena_va[i] && pa >= arena_pa[i] && pa - arena_pa[i] < VM_ARENA_SIZE)
			return (unsigned char *)arena_va[i] + (pa - arena_pa[i]);
	if (pa < VM_PHYS_OFFSET) {
		fprintf(stderr, "vmodel: DMA to unmapped physical address 0x%llx\n",
			(unsigned long long)pa);
		abort();
	}
	return (void *)(uintptr_t)(pa - VM_PHYS_OFFSET);
}

/* Little-endian field access in guest memory. */
static uint16_t g16(uint64_t pa)
{
	uint16_t v;
	memcpy(&v, vm_p2v(pa), sizeof(v));
	return v;
}

static uint32_t g32(uint64_t pa)
{
	uint32_t v;
	memcpy(&v, vm_p2v(pa), sizeof(v));
	return v;
}

static uint64_t g64(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, vm_p2v(pa), sizeof(v));
	return v;
}

static void p16(uint64_t pa, uint16_t v) { memcpy(vm_p2v(pa), &v, sizeof(v)); }

static void p32(uint64_t pa, uint32_t v) { memcpy(vm_p2v(pa), &v, sizeof(v)); }

/* vm_default_cfg: a 1 MiB disk like QEMU's, offering a few features the driver must not take. */
struct vmodel_cfg vm_default_cfg(uint32_t version)
{
	struct vmodel_cfg c = {
		.magic = 0x74726976u,
		.version = version,
		.device_id = 2,
		.features = VMBIT(VMF_FLUSH) | VMBIT(VMF_BLK_SIZE) | VMBIT(VMF_SEG_MAX) |
			    VMBIT(VMF_SIZE_MAX) | VMBIT(VMF_GEOMETRY) | VMBIT(VMF_TOPOLOGY) |
			    VMBIT(VMF_INDIRECT) | VMBIT(VMF_EVENT_IDX),
		.capacity = 2048,
		.blk_size = 512,
		.size_max = 1u << 20,
		.seg_max = 126,
		.queue_num_max = 256,
		.serial = "test-disk",
	};
	if (version == 2)
		c.features |= VMBIT(VMF_VERSION_1);
	return c;
}

/* vm_init: power-on state and a zeroed disk. */
void vm_init(struct vmodel *m, const struct vmodel_cfg *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->disk = calloc((size_t)cfg->capacity ? (size_t)cfg->capacity * 512u : 1u, 1);
	m->disk_sectors = m->disk ? cfg->capacity : 0;
	m->min_data_len = UINT32_MAX;
}

/* vm_fini: free the disk. */
void vm_fini(struct vmodel *m)
{
	free(m->disk);
	m->disk = NULL;
}

/* Device reset: forget the queue and negotiation; disk and config survive. */
static void vm_reset(struct vmodel *m)
{
	m->status = m->dev_sel = m->drv_sel = m->queue_sel = m->queue_num = 0;
	m->queue_align = m->page_size = m->queue_pfn = m->queue_ready = m->int_status = 0;
	m->drv_features = m->desc_pa = m->avail_pa = m->used_pa = 0;
	m->last_avail = m->used_idx = 0;
	m->signalled_used = 0;
	m->signalled_valid = false;
	m->npending = 0;
	m->resets++;
}

/* Config space read (32-bit, 4-aligned). */
static uint32_t cfg_read(struct vmodel *m, uint32_t off)
{
	switch (off) {
	case 0x00:
		if (m->cap_glitches) { /* the config changes between the driver's reads */
			m->cap_glitches--;
			m->cfg.capacity += UINT64_C(1) << 32;
			m->config_gen++;
		}
		return (uint32_t)m->cfg.capacity;
	case 0x04:
		return (uint32_t)(m->cfg.capacity >> 32);
	case 0x08:
		return m->cfg.size_max;
	case 0x0c:
		return m->cfg.seg_max;
	case 0x14:
		return m->cfg.blk_size;
	default:
		return 0;
	}
}

static uint32_t reg_read(struct vmodel *m, uint32_t off);

/* vm_read: MMIO register read (through the hostile hook, when there is one). */
uint32_t vm_read(struct vmodel *m, uint32_t off)
{
	uint32_t v = reg_read(m, off);
	if (m->hostile && m->hostile->read)
		v = m->hostile->read(m->hostile->ctx, m, off, v);
	return v;
}

/* reg_read: what an honest device's register holds. */
static uint32_t reg_read(struct vmodel *m, uint32_t off)
{
	bool modern = m->cfg.version == 2;
	if (off >= R_CONFIG)
		return cfg_read(m, off - R_CONFIG);
	switch (off) {
	case R_MAGIC:
		return m->cfg.magic;
	case R_VERSION:
		return m->cfg.version;
	case R_DEVICE_ID:
		return m->cfg.device_id;
	case R_VENDOR:
		return 0x554d4551u;
	case R_DEV_FEAT:
		return m->dev_sel == 0	 ? (uint32_t)m->cfg.features
		       : m->dev_sel == 1 ? (uint32_t)(m->cfg.features >> 32)
					 : 0;
	case R_QNUM_MAX:
		return m->queue_sel == 0 ? m->cfg.queue_num_max : 0;
	case R_QPFN:
		if (modern)
			violate(m, "QueuePFN read on modern");
		return m->queue_pfn;
	case R_QREADY:
		if (!modern)
			violate(m, "QueueReady read on legacy");
		return m->queue_ready;
	case R_INT_STATUS:
		return m->int_status;
	case R_STATUS:
		return m->status;
	case R_CFG_GEN:
		if (!modern)
			violate(m, "ConfigGeneration read on legacy");
		return m->config_gen;
	default:
		violate(m, "read of register 0x%x", off);
		return 0;
	}
}

/* Legacy QueuePFN write: derive the three ring addresses from the legacy layout. */
static void legacy_queue(struct vmodel *m, uint32_t pfn)
{
	m->queue_pfn = pfn;
	if (pfn == 0)
		return;
	if (m->page_size == 0 || m->queue_align == 0 || m->queue_num == 0)
		violate(m, "QueuePFN before GuestPageSize/QueueAlign/QueueNum");
	uint64_t n = m->queue_num, align = m->queue_align ? m->queue_align : 4096;
	m->desc_pa = (uint64_t)pfn * (m->page_size ? m->page_size : 4096);
	m->avail_pa = m->desc_pa + 16u * n;
	m->used_pa = (m->avail_pa + 6u + 2u * n + align - 1u) & ~(align - 1u);
}

/* Status register write: reset, monotonic bits, FEATURES_OK acceptance. */
static void status_write(struct vmodel *m, uint32_t val)
{
	if (m->nstatus < 32)
		m->status_log[m->nstatus++] = val;
	if (val == 0) {
		if (!m->ignore_reset)
			vm_reset(m);
		return;
	}
	if ((val & m->status) != m->status)
		violate(m, "status bits cleared without reset: 0x%x -> 0x%x", m->status, val);
	if ((val & VMS_FEATURES_OK) && !(m->status & VMS_FEATURES_OK)) {
		bool ok = (m->drv_features & ~m->cfg.features) == 0 && !m->cfg.refuse_features_ok;
		if (m->cfg.version == 1)
			violate(m, "FEATURES_OK written on legacy");
		if (!(m->drv_features & VMBIT(VMF_VERSION_1)))
			ok = false;
		if (!ok)
			val &= ~VMS_FEATURES_OK;
	}
	if ((val & VMS_DRIVER_OK) && !(m->status & VMS_DRIVER_OK)) {
		bool live = m->cfg.version == 1 ? m->queue_pfn != 0 : m->queue_ready != 0;
		if (!live)
			violate(m, "DRIVER_OK without a live queue");
	}
	m->status = val;
}

/* Queue registers that differ between legacy and modern. */
static void queue_write(struct vmodel *m, uint32_t off, uint32_t val)
{
	bool modern = m->cfg.version == 2;
	if ((off == R_PAGE_SIZE || off == R_QALIGN || off == R_QPFN) == modern)
		violate(m, "register 0x%x not valid for version %u", off, m->cfg.version);
	switch (off) {
	case R_PAGE_SIZE:
		m->page_size = val;
		break;
	case R_QALIGN:
		m->queue_align = val;
		break;
	case R_QPFN:
		legacy_queue(m, val);
		break;
	case R_QREADY:
		m->queue_ready = val;
		break;
	case R_QDESC_LO:
		m->desc_pa = (m->desc_pa & ~UINT64_C(0xffffffff)) | val;
		break;
	case R_QDESC_HI:
		m->desc_pa = (m->desc_pa & UINT64_C(0xffffffff)) | (uint64_t)val << 32;
		break;
	case R_QDRV_LO:
		m->avail_pa = (m->avail_pa & ~UINT64_C(0xffffffff)) | val;
		break;
	case R_QDRV_HI:
		m->avail_pa = (m->avail_pa & UINT64_C(0xffffffff)) | (uint64_t)val << 32;
		break;
	case R_QDEV_LO:
		m->used_pa = (m->used_pa & ~UINT64_C(0xffffffff)) | val;
		break;
	case R_QDEV_HI:
		m->used_pa = (m->used_pa & UINT64_C(0xffffffff)) | (uint64_t)val << 32;
		break;
	default:
		violate(m, "write of register 0x%x", off);
	}
}

static void notify(struct vmodel *m);

/* vm_write: MMIO register write. */
void vm_write(struct vmodel *m, uint32_t off, uint32_t val)
{
	m->mmio_writes++;
	switch (off) {
	case R_DEV_FEAT_SEL:
		m->dev_sel = val;
		break;
	case R_DRV_FEAT_SEL:
		m->drv_sel = val;
		break;
	case R_DRV_FEAT:
		if (m->drv_sel == 0)
			m->drv_features = (m->drv_features & ~UINT64_C(0xffffffff)) | val;
		else if (m->drv_sel == 1)
			m->drv_features = (m->drv_features & UINT64_C(0xffffffff)) | (uint64_t)val
											     << 32;
		break;
	case R_QSEL:
		m->queue_sel = val;
		break;
	case R_QNUM:
		if (val == 0 || val > m->cfg.queue_num_max || (val & (val - 1u)))
			violate(m, "bad QueueNum %u", val);
		m->queue_num = val;
		break;
	case R_NOTIFY:
		notify(m);
		break;
	case R_INT_ACK:
		m->int_status &= ~val;
		break;
	case R_STATUS:
		status_write(m, val);
		break;
	default:
		queue_write(m, off, val);
	}
}

/* Walk the chain at head into out[]; returns its length, 0 if malformed. */
static unsigned walk(struct vmodel *m, uint16_t head, struct vm_desc *out, unsigned max)
{
	unsigned n = 0;
	uint16_t i = head;
	for (;;) {
		if (i >= m->queue_num || n >= max) {
			violate(m, "chain from %u: index %u or length %u out of range", head, i, n);
			return 0;
		}
		uint64_t d = m->desc_pa + 16u * i;
		out[n] = (struct vm_desc){ g64(d), g32(d + 8), g16(d + 12) };
		uint16_t next = g16(d + 14);
		if (out[n++].flags & 1u)
			i = next;
		else
			return n;
	}
}

/* Check the data segments' direction and limits for request type t. */
static void check_data(struct vmodel *m, uint32_t t, const struct vm_desc *d, unsigned nd)
{
	bool negotiated_size = m->drv_features & VMBIT(VMF_SIZE_MAX);
	bool negotiated_seg = m->drv_features & VMBIT(VMF_SEG_MAX);
	if (negotiated_seg && nd > m->cfg.seg_max)
		violate(m, "%u segments > seg_max %u", nd, m->cfg.seg_max);
	if (t == VMT_FLUSH && nd)
		violate(m, "flush with data");
	for (unsigned k = 0; k < nd; k++) {
		bool dev_writes = d[k].flags & 2u;
		if (dev_writes != (t != VMT_OUT))
			violate(m, "type %u data segment with WRITE=%d", t, dev_writes);
		if ((t == VMT_IN || t == VMT_OUT) && d[k].len % 512u)
			violate(m, "data length %u not a multiple of 512", d[k].len);
		if (negotiated_size && d[k].len > m->cfg.size_max)
			violate(m, "segment %u > size_max %u", d[k].len, m->cfg.size_max);
		if (d[k].len > m->max_data_len)
			m->max_data_len = d[k].len;
		if (d[k].len < m->min_data_len)
			m->min_data_len = d[k].len;
	}
}

/* Move data between the disk and the data segments; returns a status byte. */
static uint8_t do_rw(struct vmodel *m, uint32_t t, uint64_t sector, const struct vm_desc *d,
		     unsigned nd, uint32_t *written, bool *copied)
{
	uint64_t total = 0;
	for (unsigned k = 0; k < nd; k++)
		total += d[k].len;
	/* The device's size now (a test may shrink it), never beyond the disk held
	 * (the config may glitch upwards). */
	uint64_t cap = m->cfg.capacity < m->disk_sectors ? m->cfg.capacity : m->disk_sectors;
	if (sector > cap || (total + 511u) / 512u > cap - sector)
		return 1;
	if (t == VMT_OUT && (m->drv_features & VMBIT(VMF_RO))) {
		violate(m, "write sent to a read-only device");
		return 1;
	}
	uint8_t *p = m->disk + sector * 512u;
	for (unsigned k = 0; k < nd; k++) {
		if (t == VMT_IN)
			memcpy(vm_p2v(d[k].addr), p, d[k].len);
		else
			memcpy(p, vm_p2v(d[k].addr), d[k].len);
		p += d[k].len;
	}
	if (t == VMT_IN)
		*written = (uint32_t)total;
	*copied = true;
	return 0;
}

/* Execute request type t; returns the status byte. */
static uint8_t execute(struct vmodel *m, uint32_t t, uint64_t sector, const struct vm_desc *d,
		       unsigned nd, uint32_t *written, bool *copied)
{
	if (m->inject_count && (m->inject_type == VMT_ANY || m->inject_type == t)) {
		m->inject_count--;
		return m->inject_status;
	}
	switch (t) {
	case VMT_IN:
		m->reads++;
		return do_rw(m, t, sector, d, nd, written, copied);
	case VMT_OUT:
		m->writes++;
		return do_rw(m, t, sector, d, nd, written, copied);
	case VMT_FLUSH:
		m->flushes++;
		if (!(m->drv_features & VMBIT(VMF_FLUSH)))
			violate(m, "flush without FLUSH negotiated");
		return 0;
	case VMT_GET_ID:
		m->get_ids++;
		if (m->cfg.get_id_unsupported || nd != 1)
			return 2;
		memcpy(vm_p2v(d[0].addr), m->cfg.serial, d[0].len < 20 ? d[0].len : 20);
		*written = d[0].len < 20 ? d[0].len : 20;
		*copied = true;
		return 0;
	default:
		return 2;
	}
}

/* EVENT_IDX negotiated? */
static bool evidx(const struct vmodel *m) { return (m->drv_features & VMBIT(VMF_EVENT_IDX)) != 0; }

/* Spec 2.7.10's test, written out here independently: has the index moved from
 * old to new_idx past event (all modulo 2^16)? */
static bool crossed(uint16_t event, uint16_t new_idx, uint16_t old)
{
	uint16_t moved = (uint16_t)(new_idx - old);
	uint16_t since_event = (uint16_t)(new_idx - (uint16_t)(event + 1u));
	return since_event < moved;
}

/* Word offsets of used_event (after the avail ring) and avail_event (after the
 * used ring). */
static uint64_t used_event_pa(const struct vmodel *m)
{
	return m->avail_pa + 4u + 2u * m->queue_num;
}
static uint64_t avail_event_pa(const struct vmodel *m)
{
	return m->used_pa + 4u + 8u * m->queue_num;
}

/* Interrupt after posting: always without EVENT_IDX (the NO_INTERRUPT flag is a
 * hint the model ignores); with it only when used_event was crossed since the last
 * decision. With EVENT_IDX the avail flags must be 0. */
static void raise_used(struct vmodel *m)
{
	if (!evidx(m)) {
		m->int_status |= 1u;
		m->interrupts++;
		return;
	}
	if (g16(m->avail_pa) != 0)
		violate(m, "avail flags 0x%x with EVENT_IDX", g16(m->avail_pa));
	uint16_t old = m->signalled_used;
	bool valid = m->signalled_valid;
	m->signalled_used = m->used_idx;
	m->signalled_valid = true;
	if (!valid || crossed(g16(used_event_pa(m)), m->used_idx, old)) {
		m->int_status |= 1u;
		m->interrupts++;
	}
}

/* take: read the chain at head and its request header, as the device takes it. */
static void take(struct vmodel *m, uint16_t head, struct vm_chain *c)
{
	const struct vm_desc *d = c->d;
	c->head = head;
	c->n = walk(m, head, c->d, 8);
	unsigned n = c->n;
	if (n < 2 || d[0].len != 16 || (d[0].flags & 2u) || !(d[n - 1].flags & 2u) ||
	    d[n - 1].len < 1) {
		violate(m, "malformed chain at %u (n=%u)", head, n);
		c->n = 0;
		return;
	}
	c->type = g32(d[0].addr);
	c->sector = g64(d[0].addr + 8);
}

static void process_chain(struct vmodel *m, const struct vm_chain *c);

/* Process the chain at head now and post it to the used ring. */
static void process(struct vmodel *m, uint16_t head)
{
	struct vm_chain c;
	take(m, head, &c);
	process_chain(m, &c);
}

/* Execute a taken chain and post it to the used ring, raising the interrupt. */
static void process_chain(struct vmodel *m, const struct vm_chain *c)
{
	const struct vm_desc *d = c->d;
	unsigned n = c->n;
	uint16_t head = c->head;
	uint32_t written = 0;
	uint8_t st = 0xff;
	bool copied = false;

	m->requests++;
	if (n) {
		uint32_t t = c->type;
		uint64_t sector = c->sector;
		check_data(m, t, d + 1, n - 2);
		st = execute(m, t, sector, d + 1, n - 2, &written, &copied);
		*(uint8_t *)vm_p2v(d[n - 1].addr) = st;
		written++;
		if (t == VMT_IN && m->short_used)
			written -= written > m->short_used ? m->short_used : written;
	}
	uint32_t id = head;
	unsigned copies = 1;
	if (m->hostile && m->hostile->post)
		copies = m->hostile->post(m->hostile->ctx, m, head, &id, &written, st, copied);
	for (unsigned i = 0; i < copies; i++)
		vm_post_used(m, id, written);
}

/* vm_post_used: write one used entry, publish the index, raise the interrupt. */
void vm_post_used(struct vmodel *m, uint32_t id, uint32_t len)
{
	if (m->queue_num == 0 || m->used_pa == 0)
		return; /* no live queue to post to */
	uint64_t e = m->used_pa + 4u + 8u * (m->used_idx % m->queue_num);
	p32(e, id);
	p32(e + 4, len);
	m->used_idx++;
	p16(m->used_pa + 2u, m->used_idx);
	raise_used(m);
}

/* vm_device_reset: a device-side reset, as if the device fell over. */
void vm_device_reset(struct vmodel *m) { vm_reset(m); }

/* Take every newly available head; run it (SYNC) or queue it. */
static void take_avail(struct vmodel *m)
{
	uint16_t idx = g16(m->avail_pa + 2u);
	while (m->last_avail != idx) {
		uint16_t head = g16(m->avail_pa + 4u + 2u * (m->last_avail % m->queue_num));
		m->last_avail++;
		if (m->mode == VM_SYNC) {
			process(m, head);
		} else if (m->npending < VM_MAX_PENDING) {
			if (m->snap)
				take(m, head, &m->snap[m->npending]);
			m->pending[m->npending++] = head;
		}
	}
	if (m->npending > m->max_pending)
		m->max_pending = m->npending;
}

/* With EVENT_IDX, ask for the next notification: avail_event = what we have
 * consumed (unless hostile or busy), then look again for entries published
 * before the driver could see it. */
static void want_notify(struct vmodel *m)
{
	if (!evidx(m) || m->stale_avail_event || (m->busy_no_notify && m->npending))
		return;
	p16(avail_event_pa(m), m->last_avail);
	take_avail(m);
}

/* QueueNotify: take every newly available head; run it or queue it. */
static void notify(struct vmodel *m)
{
	m->notifies++;
	if (!(m->status & VMS_DRIVER_OK))
		violate(m, "notify before DRIVER_OK");
	if (m->queue_num == 0 || m->desc_pa == 0)
		return;
	take_avail(m);
	want_notify(m);
}

/* vm_complete: process the k-th pending request now. */
void vm_complete(struct vmodel *m, unsigned k)
{
	if (k >= m->npending)
		return;
	uint16_t head = m->pending[k];
	struct vm_chain c;
	if (m->snap)
		c = m->snap[k];
	memmove(&m->pending[k], &m->pending[k + 1], (m->npending - k - 1u) * sizeof(uint16_t));
	if (m->snap)
		memmove(&m->snap[k], &m->snap[k + 1], (m->npending - k - 1u) * sizeof(c));
	m->npending--;
	if (m->snap)
		process_chain(m, &c);
	else
		process(m, head);
	if (m->busy_no_notify && evidx(m) && m->queue_num) {
		take_avail(m); /* a busy device polls the ring instead of being kicked */
		want_notify(m);
	}
}

/* vm_complete_all: process every pending request, oldest or newest first. */
void vm_complete_all(struct vmodel *m, bool reverse)
{
	while (m->npending)
		vm_complete(m, reverse ? m->npending - 1u : 0u);
}

/* vm_inject: answer the next count requests of type with status. */
void vm_inject(struct vmodel *m, uint32_t type, uint8_t status, unsigned count)
{
	m->inject_type = type;
	m->inject_status = status;
	m->inject_count = count;
}
