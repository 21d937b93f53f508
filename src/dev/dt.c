/* Devicetree parsing with libfdt: turns QEMU's (or a board's) DTB into a
 * struct dt_platform. Every length read from the blob is bounds-checked by libfdt
 * or here before use; nothing here trusts the blob. */
#include "cairn/dt.h"

#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/virtio.h" /* VMMIO_REG_SIZE: the registers a virtio driver touches */

/* Register windows the kernel touches (checked against each node's reg size):
 * PLIC priority 4*irq, enable 0x2000 + 0x80*ctx, threshold/claim 0x200000 +
 * 0x1000*ctx (plic.c); UART registers 0..5 (LSR) << reg-shift (console.c); the
 * finisher's one 32-bit register. */
#define PLIC_ENABLE_BASE 0x2000u
#define PLIC_ENABLE_STRIDE 0x80u
#define PLIC_CONTEXT_BASE 0x200000u
#define PLIC_CONTEXT_STRIDE 0x1000u
#define UART_REGS 6u

struct dt_ctx {
	const void *fdt;
	char *err;
	size_t errlen;
};

/* fail: format the reason into the caller's buffer and return code. */
static int fail(struct dt_ctx *c, int code, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* str_prop_ok: a property value that is a NUL-terminated string within len. */
static bool str_prop_ok(const char *s, int len)
{
	return s && len > 0 && memchr(s, 0, (size_t)len) != NULL;
}

/* read_cells: decode n (1 or 2) big-endian cells at p into a 64-bit value. */
static uint64_t read_cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 32) | fdt32_to_cpu(p[i]);
	return v;
}

/* node_cells: #address-cells and #size-cells that apply to children of parent. */
static int node_cells(struct dt_ctx *c, int parent, int *ac, int *sc)
{
	*ac = fdt_address_cells(c->fdt, parent);
	*sc = fdt_size_cells(c->fdt, parent);
	if (*ac < 1 || *ac > 2 || *sc < 0 || *sc > 2)
		return fail(c, CAIRN_EBADMSG,
			    "dtb: unsupported #address-cells/#size-cells under %s",
			    fdt_get_name(c->fdt, parent, NULL) ?: "?");
	return 0;
}

/* reg_fits: a register window of `need` bytes from the node's base lies inside
 * its reg size; otherwise a `dtb:` error naming the node and what needed it. */
static int reg_fits(struct dt_ctx *c, int node, uint64_t size, uint64_t need, const char *what)
{
	if (need <= size)
		return 0;
	return fail(c, CAIRN_EBADMSG, "dtb: %s reg size 0x%llx too small for %s (needs 0x%llx)",
		    fdt_get_name(c->fdt, node, NULL) ?: "?", (unsigned long long)size, what,
		    (unsigned long long)need);
}

/* node_reg: the idx-th (base, size) pair of node's "reg". */
static int node_reg(struct dt_ctx *c, int node, int idx, struct dt_region *r)
{
	int parent = fdt_parent_offset(c->fdt, node);
	int ac, sc, len;
	const char *name = fdt_get_name(c->fdt, node, NULL);
	if (parent < 0)
		return fail(c, CAIRN_EBADMSG, "dtb: %s has no parent", name ? name : "?");
	int err = node_cells(c, parent, &ac, &sc);
	if (err)
		return err;
	const fdt32_t *reg = fdt_getprop(c->fdt, node, "reg", &len);
	if (!reg)
		return fail(c, CAIRN_ENOENT, "dtb: %s has no reg", name ? name : "?");
	int stride = (ac + sc) * 4;
	if (len < 0 || len % stride != 0 || (idx + 1) * stride > len)
		return fail(c, CAIRN_EBADMSG, "dtb: %s reg has bad length %d", name ? name : "?",
			    len);
	const fdt32_t *p = reg + idx * (ac + sc);
	r->base = read_cells(p, ac);
	r->size = sc ? read_cells(p + ac, sc) : 0;
	return 0;
}

/* prop_u32: read a one-cell property. */
static int prop_u32(struct dt_ctx *c, int node, const char *prop, uint32_t *out)
{
	int len;
	const fdt32_t *v = fdt_getprop(c->fdt, node, prop, &len);
	if (!v)
		return CAIRN_ENOENT;
	if (len != 4)
		return fail(c, CAIRN_EBADMSG, "dtb: %s/%s has length %d, want 4",
			    fdt_get_name(c->fdt, node, NULL) ?: "?", prop, len);
	*out = fdt32_to_cpu(*v);
	return 0;
}

/* node_okay: a node without "status", or with "okay"/"ok", is usable. */
static bool node_okay(struct dt_ctx *c, int node)
{
	int len;
	const char *s = fdt_getprop(c->fdt, node, "status", &len);
	if (!s)
		return true;
	return str_prop_ok(s, len) && (strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0);
}

static int parse_memory(struct dt_ctx *c, struct dt_platform *p)
{
	int node = -1;
	while ((node = fdt_node_offset_by_prop_value(c->fdt, node, "device_type", "memory", 7)) >=
	       0) {
		for (int i = 0; p->nmem < DT_MAX_MEM; i++) {
			struct dt_region r;
			int len;
			const void *reg = fdt_getprop(c->fdt, node, "reg", &len);
			if (!reg)
				return fail(c, CAIRN_EBADMSG, "dtb: memory node has no reg");
			int ac, sc;
			int err = node_cells(c, fdt_parent_offset(c->fdt, node), &ac, &sc);
			if (err)
				return err;
			if (i * (ac + sc) * 4 >= len)
				break;
			err = node_reg(c, node, i, &r);
			if (err)
				return err;
			if (r.size == 0 || r.base + r.size < r.base)
				return fail(c, CAIRN_EBADMSG,
					    "dtb: memory region %d is empty or wraps", i);
			p->mem[p->nmem++] = r;
		}
	}
	if (p->nmem == 0)
		return fail(c, CAIRN_ENOENT, "dtb: no memory node (device_type = \"memory\")");
	return 0;
}

/* add_reserved: record one firmware reservation. One that wraps past 2^64 is
 * malformed and refused: every consumer (page pool, MMU map) would have to guess
 * where it ends, and the page pool once skipped it whole. */
static int add_reserved(struct dt_ctx *c, struct dt_platform *p, uint64_t base, uint64_t size)
{
	if (base + size < base)
		return fail(c, CAIRN_EBADMSG, "dtb: reserved region 0x%llx size 0x%llx wraps",
			    (unsigned long long)base, (unsigned long long)size);
	p->reserved[p->nreserved++] = (struct dt_region){ base, size };
	return 0;
}

static int parse_reserved(struct dt_ctx *c, struct dt_platform *p)
{
	int n = fdt_num_mem_rsv(c->fdt);
	for (int i = 0; i < n && p->nreserved < DT_MAX_RESERVED; i++) {
		uint64_t base, size;
		if (fdt_get_mem_rsv(c->fdt, i, &base, &size) == 0 && size) {
			int err = add_reserved(c, p, base, size);
			if (err)
				return err;
		}
	}
	int rm = fdt_path_offset(c->fdt, "/reserved-memory");
	if (rm < 0)
		return 0;
	int child;
	fdt_for_each_subnode(child, c->fdt, rm)
	{
		struct dt_region r;
		if (p->nreserved >= DT_MAX_RESERVED)
			return fail(c, CAIRN_EBADMSG, "dtb: more than %d reserved regions",
				    DT_MAX_RESERVED);
		if (node_reg(c, child, 0, &r) == 0 && r.size) {
			int err = add_reserved(c, p, r.base, r.size);
			if (err)
				return err;
		}
	}
	return 0;
}

/* cpu_intc_hartid: hart id of the cpu whose interrupt controller has phandle ph. */
static int cpu_intc_hartid(struct dt_ctx *c, uint32_t ph, uint32_t *hartid)
{
	int intc = fdt_node_offset_by_phandle(c->fdt, ph);
	if (intc < 0)
		return CAIRN_ENOENT;
	int cpu = fdt_parent_offset(c->fdt, intc);
	struct dt_region r;
	if (cpu < 0 || node_reg(c, cpu, 0, &r))
		return CAIRN_ENOENT;
	*hartid = (uint32_t)r.base;
	return 0;
}

static int parse_cpus(struct dt_ctx *c, struct dt_platform *p)
{
	int cpus = fdt_path_offset(c->fdt, "/cpus");
	if (cpus < 0)
		return fail(c, CAIRN_ENOENT, "dtb: no /cpus node");
	int err = prop_u32(c, cpus, "timebase-frequency", &p->timebase_hz);
	if (err == CAIRN_ENOENT || (!err && p->timebase_hz == 0))
		return fail(c, CAIRN_ENOENT, "dtb: /cpus has no (non-zero) timebase-frequency");
	if (err)
		return err;
	int node;
	fdt_for_each_subnode(node, c->fdt, cpus)
	{
		int len;
		const char *type = fdt_getprop(c->fdt, node, "device_type", &len);
		if (!type || len < 4 || strncmp(type, "cpu", (size_t)len) != 0 ||
		    !node_okay(c, node))
			continue;
		if (p->nharts >= DT_MAX_HARTS)
			return fail(c, CAIRN_EBADMSG, "dtb: more than %d harts", DT_MAX_HARTS);
		struct dt_region r;
		err = node_reg(c, node, 0, &r);
		if (err)
			return err;
		struct dt_hart *h = &p->harts[p->nharts++];
		h->hartid = (uint32_t)r.base;
		h->plic_s_context = -1;
		const char *isa = fdt_getprop(c->fdt, node, "riscv,isa", &len);
		if (str_prop_ok(isa, len)) {
			h->has_sstc = dt_isa_has_ext(isa, "sstc");
			h->has_zbc = dt_isa_has_ext(isa, "zbc");
			h->has_svpbmt = dt_isa_has_ext(isa, "svpbmt");
		}
	}
	if (p->nharts == 0)
		return fail(c, CAIRN_ENOENT, "dtb: /cpus lists no usable hart");
	return 0;
}

/* find_compat: first node compatible with any of the NULL-terminated names. */
static int find_compat(struct dt_ctx *c, const char *const *names)
{
	for (; *names; names++) {
		int node = fdt_node_offset_by_compatible(c->fdt, -1, *names);
		if (node >= 0)
			return node;
	}
	return -1;
}

/* plic_fits: every PLIC register the kernel touches lies inside the PLIC's reg:
 * the priorities of irq 1..ndev, and each hart's S context's enable words,
 * threshold and claim. */
static int plic_fits(struct dt_ctx *c, int node, const struct dt_platform *p)
{
	int err = reg_fits(c, node, p->plic_size, 4ull * (p->plic_ndev + 1ull), "the priorities");
	for (unsigned h = 0; !err && h < p->nharts; h++) {
		int ctx = p->harts[h].plic_s_context;
		if (ctx < 0)
			continue;
		char what[48];
		(void)snprintf(what, sizeof(what), "hart%u's S context %d", p->harts[h].hartid,
			       ctx);
		uint64_t enable = PLIC_ENABLE_BASE + (uint64_t)PLIC_ENABLE_STRIDE * (unsigned)ctx +
				  4ull * (p->plic_ndev / 32u + 1u);
		uint64_t claim =
			PLIC_CONTEXT_BASE + (uint64_t)PLIC_CONTEXT_STRIDE * (unsigned)ctx + 8u;
		err = reg_fits(c, node, p->plic_size, enable > claim ? enable : claim, what);
	}
	return err;
}

static int parse_plic(struct dt_ctx *c, struct dt_platform *p)
{
	static const char *const compat[] = { "riscv,plic0", "sifive,plic-1.0.0", NULL };
	int node = find_compat(c, compat);
	if (node < 0)
		return fail(c, CAIRN_ENOENT, "dtb: no PLIC (riscv,plic0)");
	struct dt_region r;
	int err = node_reg(c, node, 0, &r);
	if (err)
		return err;
	p->plic_base = r.base;
	p->plic_size = r.size;
	if (prop_u32(c, node, "riscv,ndev", &p->plic_ndev) || p->plic_ndev == 0 ||
	    p->plic_ndev > 1023)
		return fail(c, CAIRN_EBADMSG, "dtb: PLIC riscv,ndev missing or out of range");
	int len;
	const fdt32_t *ie = fdt_getprop(c->fdt, node, "interrupts-extended", &len);
	if (!ie || len <= 0 || len % 8 != 0)
		return fail(c, CAIRN_EBADMSG, "dtb: PLIC interrupts-extended missing or malformed");
	/* Context i is the i-th (intc phandle, irq) pair; irq 9 = S-mode external. */
	for (int i = 0; i < len / 8; i++) {
		uint32_t hartid;
		if (fdt32_to_cpu(ie[2 * i + 1]) != 9)
			continue;
		if (cpu_intc_hartid(c, fdt32_to_cpu(ie[2 * i]), &hartid))
			continue;
		int h = dt_find_hart(p, hartid);
		if (h >= 0)
			p->harts[h].plic_s_context = i;
	}
	return plic_fits(c, node, p);
}

static int parse_uart(struct dt_ctx *c, struct dt_platform *p)
{
	int node = -1;
	int chosen = fdt_path_offset(c->fdt, "/chosen");
	if (chosen >= 0) {
		int len;
		const char *path = fdt_getprop(c->fdt, chosen, "stdout-path", &len);
		if (str_prop_ok(path, len)) {
			char buf[64];
			size_t n = strcspn(path, ":");
			if (n < sizeof(buf)) {
				memcpy(buf, path, n);
				buf[n] = 0;
				node = fdt_path_offset(c->fdt, buf);
			}
		}
	}
	if (node < 0 || fdt_node_check_compatible(c->fdt, node, "ns16550a") != 0)
		node = fdt_node_offset_by_compatible(c->fdt, -1, "ns16550a");
	if (node < 0)
		return fail(c, CAIRN_ENOENT, "dtb: no ns16550a UART");
	struct dt_region r;
	int err = node_reg(c, node, 0, &r);
	if (err)
		return err;
	p->uart_base = r.base;
	p->uart_size = r.size;
	if (prop_u32(c, node, "reg-shift", &p->uart_reg_shift) == 0 && p->uart_reg_shift > 4)
		return fail(c, CAIRN_EBADMSG, "dtb: UART reg-shift %u out of range",
			    p->uart_reg_shift);
	/* Optional: without a usable interrupt the console polls for input. */
	uint32_t irq;
	if (prop_u32(c, node, "interrupts", &irq) == 0 && irq > 0 && irq <= p->plic_ndev)
		p->uart_irq = irq;
	return reg_fits(c, node, r.size, (uint64_t)UART_REGS << p->uart_reg_shift,
			"the UART registers");
}

static int parse_virtio(struct dt_ctx *c, struct dt_platform *p)
{
	int node = -1;
	while ((node = fdt_node_offset_by_compatible(c->fdt, node, "virtio,mmio")) >= 0) {
		if (!node_okay(c, node) || p->nvirtio >= DT_MAX_VIRTIO)
			continue;
		struct dt_region r;
		uint32_t irq;
		int err = node_reg(c, node, 0, &r);
		if (err)
			return err;
		if (prop_u32(c, node, "interrupts", &irq) || irq == 0 || irq > p->plic_ndev)
			return fail(c, CAIRN_EBADMSG,
				    "dtb: virtio,mmio@%llx has no valid interrupts",
				    (unsigned long long)r.base);
		err = reg_fits(c, node, r.size, VMMIO_REG_SIZE, "the virtio-mmio registers");
		if (err)
			return err;
		p->virtio[p->nvirtio++] = (struct dt_virtio){ r.base, r.size, irq };
	}
	/* Slots in address order: QEMU lists them in reverse. */
	for (unsigned i = 1; i < p->nvirtio; i++) {
		struct dt_virtio v = p->virtio[i];
		unsigned j = i;
		for (; j > 0 && p->virtio[j - 1].base > v.base; j--)
			p->virtio[j] = p->virtio[j - 1];
		p->virtio[j] = v;
	}
	return 0;
}

static int parse_misc(struct dt_ctx *c, struct dt_platform *p)
{
	static const char *const compat[] = { "sifive,test1", "sifive,test0", NULL };
	int node = find_compat(c, compat);
	struct dt_region r;
	if (node >= 0 && node_reg(c, node, 0, &r) == 0) {
		int err = reg_fits(c, node, r.size, 4, "the finisher register");
		if (err)
			return err;
		p->has_finisher = true;
		p->finisher_base = r.base;
		p->finisher_size = r.size;
	}
	int chosen = fdt_path_offset(c->fdt, "/chosen");
	int len;
	const char *args = chosen >= 0 ? fdt_getprop(c->fdt, chosen, "bootargs", &len) : NULL;
	if (args && len > 0) {
		const char *nul = memchr(args, 0, (size_t)len);
		size_t n = nul ? (size_t)(nul - args) : (size_t)len;
		if (n >= sizeof(p->bootargs))
			n = sizeof(p->bootargs) - 1;
		memcpy(p->bootargs, args, n);
		p->bootargs[n] = 0;
	}
	return 0;
}

bool dt_struct_ok(const void *fdt)
{
	int off = 0, next, depth = 0;
	for (;;) {
		uint32_t tag = fdt_next_tag(fdt, off, &next);
		if (tag == FDT_END)
			return next >= 0 && depth == 0; /* a real FDT_END, not a read error */
		if (next <= off)
			return false; /* the tag does not move the walk forward */
		if (tag == FDT_PROP) {
			const struct fdt_property *pr = fdt_offset_ptr(fdt, off, sizeof(*pr));
			if (!pr || fdt32_to_cpu(pr->len) > INT32_MAX)
				return false;
		} else if (tag == FDT_BEGIN_NODE) {
			depth++;
		} else if (tag == FDT_END_NODE && --depth < 0) {
			return false;
		}
		off = next;
	}
}

int dt_parse(const void *fdt, size_t max_size, struct dt_platform *p, char *err, size_t errlen)
{
	struct dt_ctx c = { fdt, err, errlen };
	memset(p, 0, sizeof(*p));
	if (err && errlen)
		err[0] = 0;
	if (!fdt || max_size < sizeof(struct fdt_header))
		return fail(&c, CAIRN_EBADMSG, "dtb: no blob");
	int rc = fdt_check_header(fdt);
	if (rc)
		return fail(&c, CAIRN_EBADMSG, "dtb: bad header (%s)", fdt_strerror(rc));
	if (fdt_totalsize(fdt) > max_size)
		return fail(&c, CAIRN_EBADMSG, "dtb: totalsize %u exceeds %zu", fdt_totalsize(fdt),
			    max_size);
	/* libfdt loads the reservation map as 64-bit words and the structure block
	 * as 32-bit words: refuse misaligned blocks before it touches them. */
	if (((uintptr_t)fdt & 7) || (fdt_off_mem_rsvmap(fdt) & 7) || (fdt_off_dt_struct(fdt) & 3))
		return fail(&c, CAIRN_EBADMSG, "dtb: misaligned blob or block offsets");
	/* Before any libfdt search: a tag that does not move forward (a property
	 * length of -12) makes every libfdt walk loop forever. */
	if (!dt_struct_ok(fdt) || fdt_path_offset(fdt, "/") < 0)
		return fail(&c, CAIRN_EBADMSG, "dtb: structure block unreadable");
	if ((rc = parse_memory(&c, p)) || (rc = parse_reserved(&c, p)) ||
	    (rc = parse_cpus(&c, p)) || (rc = parse_plic(&c, p)) || (rc = parse_uart(&c, p)) ||
	    (rc = parse_virtio(&c, p)) || (rc = parse_misc(&c, p)))
		return rc;
	return 0;
}

int dt_find_hart(const struct dt_platform *p, uint32_t hartid)
{
	for (unsigned i = 0; i < p->nharts; i++) {
		if (p->harts[i].hartid == hartid)
			return (int)i;
	}
	return -1;
}

bool dt_isa_has_ext(const char *isa, const char *ext)
{
	size_t n = strlen(ext);
	const char *s = strchr(isa, '_');
	while (s) {
		s++;
		size_t len = strcspn(s, "_");
		if (len == n && strncmp(s, ext, n) == 0)
			return true;
		s = strchr(s, '_');
	}
	return false;
}

bool dt_bootargs_has(const char *bootargs, const char *word)
{
	size_t n = strlen(word);
	const char *s = bootargs;
	while (*s) {
		s += strspn(s, " \t");
		size_t len = strcspn(s, " \t");
		if (len == n && n && strncmp(s, word, n) == 0)
			return true;
		s += len;
	}
	return false;
}

/* find_value: the value of the first whitespace-separated "key=value" token, and
 * its length; NULL when there is none. */
static const char *find_value(const char *bootargs, const char *key, size_t *len)
{
	size_t n = strlen(key);
	const char *s = bootargs;
	while (n && *s) {
		s += strspn(s, " \t");
		size_t tok = strcspn(s, " \t");
		if (tok > n && s[n] == '=' && strncmp(s, key, n) == 0) {
			*len = tok - n - 1;
			return s + n + 1;
		}
		s += tok;
	}
	return NULL;
}

int dt_bootargs_value(const char *bootargs, const char *key, char *out, size_t len)
{
	size_t n;
	const char *v = find_value(bootargs, key, &n);
	if (!v)
		return CAIRN_ENOENT;
	if (n >= len || n > INT32_MAX)
		return CAIRN_E2BIG;
	memcpy(out, v, n);
	out[n] = '\0';
	return (int)n;
}

int dt_bootargs_u64(const char *bootargs, const char *key, uint64_t *out)
{
	size_t n;
	const char *v = find_value(bootargs, key, &n);
	if (!v)
		return CAIRN_ENOENT;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(v[i] - '0');
		if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - d) / 10)
			return CAIRN_EINVAL;
		x = x * 10 + d;
	}
	if (n == 0)
		return CAIRN_EINVAL;
	*out = x;
	return 0;
}
