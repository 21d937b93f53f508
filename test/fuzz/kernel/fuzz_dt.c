/* libFuzzer target: the devicetree path. The input is a DTB blob (the seeds are
 * QEMU's own virt DTBs with 1-4 harts and other machine options, and the dts/test
 * fixtures); it is copied into a buffer of exactly its size and handed to
 * dt_parse, which runs libfdt over it. Beyond "nothing may crash, read out of
 * bounds or hit UB", the oracles are the promises the kernel relies on when it
 * later uses a value without checking it again:
 *   - an error is CAIRN_EBADMSG or CAIRN_ENOENT with a "dtb: " reason;
 *   - on success: memory regions non-empty and not wrapping, at least one hart,
 *     a non-zero timebase, every PLIC register plic.c touches (priorities,
 *     each context's enable words, threshold and claim, computed as plic.c does
 *     in 32 bits) inside the PLIC's reg, the UART registers inside its reg, every
 *     virtio slot's register window inside its reg with an irq the PLIC has, in
 *     address order, bootargs terminated; and the boot-argument helpers and the
 *     page pool's reservation of every reserved region stay in bounds.
 * A custom mutator rebuilds the tree with libfdt's sequential-write API and one
 * structural change (a property set to an interesting value, dropped, a node
 * dropped or added), so mutations reach past the header checks; plain byte
 * mutations are kept for the rest. A broken oracle calls abort(). */
#include <libfdt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/page_pool.h"
#include "cairn/virtio.h"

#define WORK_MAX (64u * 1024u)
#define POOL_PAGES 512u

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* oracle: abort with a message when cond is false. */
static void oracle(bool cond, const char *what)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_dt: oracle failed: %s\n", what);
	abort();
}

/* check_plic: every offset plic.c computes (uint32_t arithmetic) fits the reg. */
static void check_plic(const struct dt_platform *p)
{
	oracle(p->plic_ndev >= 1 && p->plic_ndev <= 1023, "riscv,ndev out of range");
	for (uint32_t irq = 1; irq <= p->plic_ndev; irq++)
		oracle(4ull * irq + 4 <= p->plic_size, "a priority register outside the PLIC");
	for (unsigned h = 0; h < p->nharts; h++) {
		int ctx = p->harts[h].plic_s_context;
		oracle(ctx >= -1, "bad PLIC context");
		if (ctx < 0)
			continue;
		uint64_t c = (uint64_t)ctx;
		uint32_t en = 0x2000u + 0x80u * (uint32_t)ctx + 4u * (p->plic_ndev / 32u);
		uint32_t thr = 0x200000u + 0x1000u * (uint32_t)ctx;
		uint32_t claim = 0x200004u + 0x1000u * (uint32_t)ctx;
		oracle(en == 0x2000u + 0x80u * c + 4u * (p->plic_ndev / 32u) &&
			       thr == 0x200000u + 0x1000u * c && claim == thr + 4u,
		       "a PLIC offset wraps in 32 bits");
		oracle(en <= p->plic_size && p->plic_size - en >= 4, "enable word outside the "
								     "PLIC");
		oracle(claim <= p->plic_size && p->plic_size - claim >= 4, "claim register outside "
									   "the PLIC");
	}
}

/* check_pool: reserve every reserved region in a pool over the first memory
 * region (as page.c does) and hand out every page: none may lie in a region. */
static void check_pool(const struct dt_platform *p)
{
	static uint64_t bitmap[POOL_PAGES / 64];
	struct page_pool pool;
	uint64_t base = (p->mem[0].base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	if (base == 0 || base < p->mem[0].base || base - p->mem[0].base >= p->mem[0].size)
		return;
	uint64_t npages = (p->mem[0].size - (base - p->mem[0].base)) / PAGE_SIZE;
	if (npages > POOL_PAGES)
		npages = POOL_PAGES;
	if (npages == 0 || base + npages * PAGE_SIZE < base)
		return;
	page_pool_init(&pool, (uintptr_t)base, (size_t)npages, bitmap);
	for (unsigned i = 0; i < p->nreserved; i++)
		page_pool_reserve(&pool, (uintptr_t)p->reserved[i].base,
				  (size_t)p->reserved[i].size);
	oracle(pool.free_pages <= npages, "pool counts more free pages than it has");
	size_t got = 0;
	uintptr_t pa;
	while ((pa = page_pool_alloc(&pool, 1)) != 0) {
		oracle(pa >= base && pa - base < npages * PAGE_SIZE && pa % PAGE_SIZE == 0, "pool "
											    "page "
											    "outsid"
											    "e the "
											    "pool");
		for (unsigned i = 0; i < p->nreserved; i++) {
			const struct dt_region *r = &p->reserved[i];
			bool wraps = r->base + r->size < r->base;
			oracle(!(pa + PAGE_SIZE > r->base && (wraps || pa < r->base + r->size)),
			       "pool handed out a reserved page");
		}
		oracle(++got <= npages, "pool handed out more pages than it has");
	}
}

/* check_bootargs: the helpers the kernel and components call on bootargs. */
static void check_bootargs(const struct dt_platform *p)
{
	oracle(memchr(p->bootargs, 0, sizeof(p->bootargs)) != NULL, "bootargs unterminated");
	static const char *const keys[] = { "quit", "selftest", "console", "k", "" };
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char out[16];
		uint64_t v;
		(void)dt_bootargs_has(p->bootargs, keys[i]);
		int n = dt_bootargs_value(p->bootargs, keys[i], out, sizeof(out));
		oracle(n == CAIRN_ENOENT || n == CAIRN_E2BIG ||
			       (n >= 0 && (size_t)n < sizeof(out) && strlen(out) == (size_t)n),
		       "dt_bootargs_value result");
		int rc = dt_bootargs_u64(p->bootargs, keys[i], &v);
		oracle(rc == 0 || rc == CAIRN_ENOENT || rc == CAIRN_EINVAL, "dt_bootargs_u64 "
									    "result");
	}
}

/* check_platform: the promises of a successful dt_parse (see the file comment). */
static void check_platform(const struct dt_platform *p)
{
	oracle(p->nmem >= 1 && p->nmem <= DT_MAX_MEM, "memory region count");
	for (unsigned i = 0; i < p->nmem; i++)
		oracle(p->mem[i].size && p->mem[i].base + p->mem[i].size > p->mem[i].base,
		       "empty or wrapping memory region");
	oracle(p->nreserved <= DT_MAX_RESERVED, "reserved region count");
	oracle(p->timebase_hz != 0, "zero timebase");
	oracle(p->nharts >= 1 && p->nharts <= DT_MAX_HARTS, "hart count");
	for (unsigned h = 0; h < p->nharts; h++)
		oracle(dt_find_hart(p, p->harts[h].hartid) >= 0, "a hart dt_find_hart misses");
	check_plic(p);
	oracle(p->uart_reg_shift <= 4, "UART reg-shift");
	oracle((6ull << p->uart_reg_shift) <= p->uart_size, "UART registers outside its reg");
	oracle(p->uart_irq <= p->plic_ndev, "UART irq the PLIC lacks");
	oracle(p->nvirtio <= DT_MAX_VIRTIO, "virtio slot count");
	for (unsigned i = 0; i < p->nvirtio; i++) {
		oracle(p->virtio[i].size >= VMMIO_REG_SIZE, "virtio registers outside the reg");
		oracle(p->virtio[i].irq >= 1 && p->virtio[i].irq <= p->plic_ndev, "virtio irq");
		oracle(i == 0 || p->virtio[i - 1].base <= p->virtio[i].base, "virtio slots "
									     "unsorted");
	}
	oracle(!p->has_finisher || p->finisher_size >= 4, "finisher register outside its reg");
	check_bootargs(p);
	check_pool(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes (8-aligned by malloc): any read past the blob is caught. */
	void *blob = malloc(size ? size : 1);
	if (!blob)
		return 0;
	memcpy(blob, data, size);
	struct dt_platform p;
	char err[160];
	int rc = dt_parse(blob, size, &p, err, sizeof(err));
	oracle(memchr(err, 0, sizeof(err)) != NULL, "error text unterminated");
	if (rc) {
		oracle(rc == CAIRN_EBADMSG || rc == CAIRN_ENOENT, "unexpected error code");
		oracle(strncmp(err, "dtb: ", 5) == 0, "error without a dtb: reason");
	} else {
		check_platform(&p);
	}
	/* A window shorter than the blob's totalsize is refused (at the header). */
	if (size >= 48 && rc == 0 && fdt_totalsize(blob) > size - 4) {
		struct dt_platform q;
		oracle(dt_parse(blob, size - 4, &q, NULL, 0) == CAIRN_EBADMSG, "a blob larger than "
									       "its window "
									       "accepted");
	}
	free(blob);
	return 0;
}

/* --- structure-aware mutator ---------------------------------------------- */

static uint64_t rng;

/* next: xorshift64*, seeded per call by libFuzzer's seed. */
static uint32_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

static const char *const prop_names[] = {
	"reg",	       "#address-cells", "#size-cells",	       "interrupts-extended",
	"riscv,ndev",  "status",	 "device_type",	       "compatible",
	"stdout-path", "bootargs",	 "timebase-frequency", "interrupts",
	"reg-shift",   "phandle",	 "riscv,isa",	       "interrupt-parent",
};

static const char *const strings[] = {
	"okay",
	"disabled",
	"cpu",
	"memory",
	"riscv,plic0",
	"ns16550a",
	"virtio,mmio",
	"sifive,test0",
	"/soc/serial@10000000",
	"/soc/serial@10000000:115200",
	"serial0",
	"rv64imafdc_zicsr_sstc_zbc_svpbmt",
	"quit selftest=3 k=1234567890123456789012",
	"",
};

static const uint32_t cells[] = {
	0,	    1,		2,	    3,	      4,	 5,	     9,
	11,	    0x7f,	1023,	    1024,     0x1000,	 0x200,	     0x10000000,
	0x80000000, 0xffffffff, 0x0c000000, 0x600000, 0x4000000, 0x10001000, 10000000,
};

/* rand_value: an interesting property value of at most cap bytes into v. */
static int rand_value(uint8_t *v, int cap)
{
	uint32_t k = next() % 4;
	if (k == 0) { /* a string, sometimes unterminated */
		const char *s = strings[next() % (sizeof(strings) / sizeof(strings[0]))];
		int n = (int)strlen(s) + 1;
		if (n > cap)
			n = cap;
		memcpy(v, s, (size_t)n);
		return next() % 8 == 0 && n > 0 ? n - 1 : n;
	}
	int ncells = k == 1 ? 1 : (int)(next() % 9);
	if (ncells * 4 > cap)
		ncells = cap / 4;
	for (int i = 0; i < ncells; i++) {
		fdt32_t c = cpu_to_fdt32(next() % 4 ? cells[next() % (sizeof(cells) / 4)] : next());
		memcpy(v + 4 * i, &c, 4);
	}
	return k == 3 ? (int)(next() % 7) : ncells * 4; /* k 3: an odd length */
}

struct mut {
	int target; /* DFS index of the node to change */
	int op;	    /* 0 set a property, 1 drop one, 2 drop the node, 3 add a child,
		     * 4 add a /memreserve/ entry, 5 add a /reserved-memory region */
	int seen;
};

/* rand_u64: an interesting 64-bit address or size (near RAM, page edges, the top). */
static uint64_t rand_u64(void)
{
	static const uint64_t v[] = { 0,
				      1,
				      0x1000,
				      0x80000000,
				      0x80200000,
				      0x80001000,
				      0x7ffff000,
				      0xffffffffffffffffull,
				      0xfffffffffffff000ull,
				      0x8000000000000000ull };
	uint64_t x = v[next() % (sizeof(v) / sizeof(v[0]))];
	return next() % 4 ? x : x + (next() % 0x4000) - 0x2000;
}

/* add_reserved_node: a /reserved-memory node with one region (2+2 cells). */
static int add_reserved_node(void *dst)
{
	fdt32_t reg[4];
	uint64_t base = rand_u64(), size = rand_u64();
	reg[0] = cpu_to_fdt32((uint32_t)(base >> 32));
	reg[1] = cpu_to_fdt32((uint32_t)base);
	reg[2] = cpu_to_fdt32((uint32_t)(size >> 32));
	reg[3] = cpu_to_fdt32((uint32_t)size);
	int err = fdt_begin_node(dst, "reserved-memory");
	if (!err)
		err = fdt_property_u32(dst, "#address-cells", 2);
	if (!err)
		err = fdt_property_u32(dst, "#size-cells", 2);
	if (!err)
		err = fdt_begin_node(dst, "resv@0");
	if (!err)
		err = fdt_property(dst, "reg", reg, sizeof(reg));
	if (!err)
		err = fdt_end_node(dst);
	return err ? err : fdt_end_node(dst);
}

/* copy_node: re-emit node off of src into the sequential-write tree dst,
 * applying m at its target node. Returns a libfdt error or 0. */
static int copy_node(const void *src, int off, void *dst, struct mut *m, int depth)
{
	if (depth > 16)
		return -FDT_ERR_BADSTRUCTURE;
	int me = m->seen++;
	bool hit = me == m->target;
	const char *name = fdt_get_name(src, off, NULL);
	if (!name || (hit && m->op == 2 && depth > 0))
		return name ? 0 : -FDT_ERR_BADSTRUCTURE;
	int err = fdt_begin_node(dst, depth ? name : "");
	const char *setname = hit && m->op == 0 ? prop_names[next() % 16] : NULL;
	int drop = hit && m->op == 1 ? (int)(next() % 8) : -1;
	int prop, k = 0;
	fdt_for_each_property_offset(prop, src, off)
	{
		const char *pn;
		int len;
		const void *v = fdt_getprop_by_offset(src, prop, &pn, &len);
		if (err || !v || !pn)
			break;
		if (len < 0)
			continue; /* a length libfdt hands back wrapped negative: not copyable */
		if (k++ == drop || (setname && strcmp(pn, setname) == 0))
			continue;
		err = fdt_property(dst, pn, v, len);
	}
	if (!err && setname) {
		uint8_t v[64] = { 0 };
		err = fdt_property(dst, setname, v, rand_value(v, sizeof(v)));
	}
	int child;
	fdt_for_each_subnode(child, src, off)
	{
		if (err)
			break;
		err = copy_node(src, child, dst, m, depth + 1);
	}
	if (!err && depth == 0 && m->op == 5)
		err = add_reserved_node(dst);
	if (!err && hit && m->op == 3) { /* a child like the ones dt.c looks for */
		static const char *const kids[] = { "cpu@7", "memory@0", "virtio_mmio@0",
						    "interrupt-controller", "reserved@0" };
		err = fdt_begin_node(dst, kids[next() % 5]);
		uint8_t v[64] = { 0 };
		for (int i = 0; !err && i < 3; i++) {
			int n = rand_value(v, sizeof(v));
			err = fdt_property(dst, prop_names[next() % 16], v, n);
		}
		if (!err)
			err = fdt_end_node(dst);
	}
	return err ? err : fdt_end_node(dst);
}

/* rebuild: a copy of the valid-looking tree in data with one structural change,
 * into out (cap bytes). Its size, or 0 when the input is not a readable tree. */
static size_t rebuild(const uint8_t *data, size_t size, uint8_t *out, size_t cap)
{
	static uint64_t src[WORK_MAX / 8];
	if (size > sizeof(src) || size < sizeof(struct fdt_header))
		return 0;
	memcpy(src, data, size);
	if (fdt_check_header(src) || fdt_totalsize(src) > size || (fdt_off_mem_rsvmap(src) & 7) ||
	    (fdt_off_dt_struct(src) & 3) || !dt_struct_ok(src) || fdt_path_offset(src, "/") < 0)
		return 0; /* the same gate as dt_parse: libfdt reads aligned words */
	static uint64_t dst[WORK_MAX / 8];
	size_t dcap = cap < sizeof(dst) ? cap : sizeof(dst);
	struct mut m = { (int)(next() % 48), (int)(next() % 6), 0 };
	int err = fdt_create(dst, (int)dcap);
	if (!err && m.op == 4)
		err = fdt_add_reservemap_entry(dst, rand_u64(), rand_u64());
	for (int i = 0; !err && i < fdt_num_mem_rsv(src); i++) {
		uint64_t a, s;
		if (fdt_get_mem_rsv(src, i, &a, &s) == 0)
			err = fdt_add_reservemap_entry(dst, a, s);
	}
	if (!err)
		err = fdt_finish_reservemap(dst);
	if (!err)
		err = copy_node(src, 0, dst, &m, 0);
	if (!err)
		err = fdt_finish(dst);
	if (err || fdt_totalsize(dst) > cap)
		return 0;
	memcpy(out, dst, fdt_totalsize(dst));
	return fdt_totalsize(dst);
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	rng = seed * 0x9E3779B97F4A7C15ull + 1;
	if (next() % 3 != 0) {
		size_t n = rebuild(data, size, data, max_size);
		if (n)
			return n;
	}
	return LLVMFuzzerMutate(data, size, max_size);
}
