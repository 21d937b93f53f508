/* Devicetree: the platform description parsed once at boot with libfdt. Pure
 * logic over a DTB blob, so host tests run it against dts/ files. */
#ifndef CAIRN_DT_H
#define CAIRN_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_MAX_HARTS 8
#define DT_MAX_VIRTIO 8
#define DT_MAX_MEM 4
#define DT_MAX_RESERVED 8
#define DT_BOOTARGS_MAX 128

struct dt_region {
	uint64_t base;
	uint64_t size;
};

struct dt_hart {
	uint32_t hartid;
	bool has_sstc;	    /* ISA string lists the Sstc extension */
	bool has_zbc;	    /* ISA string lists Zbc (carry-less multiply) */
	bool has_svpbmt;    /* ISA string lists Svpbmt (page-based memory types) */
	int plic_s_context; /* PLIC context for this hart's S-mode external irq, -1 if none */
};

struct dt_virtio {
	uint64_t base;
	uint64_t size;
	uint32_t irq;
};

struct dt_platform {
	unsigned nmem;
	struct dt_region mem[DT_MAX_MEM];
	unsigned nreserved; /* /memreserve/ entries and /reserved-memory children */
	struct dt_region reserved[DT_MAX_RESERVED];
	uint32_t timebase_hz;
	unsigned nharts; /* harts with status "okay" (or no status) */
	struct dt_hart harts[DT_MAX_HARTS];
	uint64_t uart_base;
	uint64_t uart_size; /* reg size; the MMU maps at least one page */
	uint32_t uart_reg_shift;
	uint32_t uart_irq; /* PLIC source of the UART, 0 when the DTB gives none */
	uint64_t plic_base;
	uint64_t plic_size;
	uint32_t plic_ndev;
	unsigned nvirtio;
	struct dt_virtio virtio[DT_MAX_VIRTIO];
	bool has_finisher;
	uint64_t finisher_base;
	uint64_t finisher_size;
	char bootargs[DT_BOOTARGS_MAX];
};

/* dt_parse: fill *p from the DTB at fdt, which must lie within max_size bytes.
 * Returns 0, or CAIRN_EBADMSG for a malformed blob and CAIRN_ENOENT for a missing
 * required node/property; err (errlen bytes) then names what is wrong, e.g.
 * "dtb: /cpus has no timebase-frequency". Required: memory, at least one hart,
 * timebase, an ns16550a UART, a PLIC. Optional: virtio-mmio slots, the finisher. */
int dt_parse(const void *fdt, size_t max_size, struct dt_platform *p, char *err, size_t errlen);

/* dt_struct_ok: the structure block of a blob that passed fdt_check_header walks
 * to its FDT_END tag moving forward at every tag, with balanced nodes and no
 * property length above 2^31 (libfdt's walks loop forever on a length of -12).
 * dt_parse checks it first; the fuzzer's mutator too. */
bool dt_struct_ok(const void *fdt);

/* dt_find_hart: index of hartid in p->harts, or -1. */
int dt_find_hart(const struct dt_platform *p, uint32_t hartid);

/* dt_isa_has_ext: true when the riscv,isa string lists multi-letter extension ext
 * (e.g. "zbc", "sstc") as a whole '_'-separated token. */
bool dt_isa_has_ext(const char *isa, const char *ext);

/* dt_bootargs_has: true when the whitespace-separated bootargs contain word. */
bool dt_bootargs_has(const char *bootargs, const char *word);

/* dt_bootargs_value: copy the value of the first "key=value" word of bootargs
 * into out (len bytes, NUL-terminated). Its length, CAIRN_ENOENT when there is
 * no such word, CAIRN_E2BIG when it does not fit (out untouched). */
int dt_bootargs_value(const char *bootargs, const char *key, char *out, size_t len);

/* dt_bootargs_u64: the decimal value of the first "key=value" word: 0 and *out,
 * CAIRN_ENOENT when absent, CAIRN_EINVAL when empty, not decimal or too big. */
int dt_bootargs_u64(const char *bootargs, const char *key, uint64_t *out);

#endif
