/* DTB parsing: QEMU's own tree, a small valid tree, and broken variants that
 * must each fail with a message naming what is missing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "cairn/dt.h"
#include "cairn/err.h"

/* load: read DTB_DIR/name into a malloc'd buffer; *len gets its size. */
static void *load(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", DTB_DIR, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	void *buf = malloc((size_t)n);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

START_TEST(test_kernel_dt_qemu_virt)
{
	size_t len;
	void *fdt = load("qemu-virt-smp4.dtb", &len);
	struct dt_platform p;
	char err[160];
	ck_assert_int_eq(dt_parse(fdt, len, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.nharts, 4);
	ck_assert_uint_eq(p.timebase_hz, 10000000);
	ck_assert_uint_eq(p.uart_base, 0x10000000);
	ck_assert_uint_eq(p.plic_base, 0xc000000);
	ck_assert_uint_eq(p.plic_ndev, 96);
	ck_assert_uint_eq(p.nvirtio, 8);
	for (unsigned i = 0; i < 8; i++) {
		ck_assert_uint_eq(p.virtio[i].base, 0x10001000 + 0x1000 * i);
		ck_assert_uint_eq(p.virtio[i].irq, i + 1);
	}
	ck_assert(p.has_finisher);
	ck_assert_uint_eq(p.finisher_base, 0x100000);
	ck_assert_uint_eq(p.nmem, 1);
	ck_assert_uint_eq(p.mem[0].base, 0x80000000);
	ck_assert_uint_eq(p.mem[0].size, 256u << 20);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(p.harts[i].hartid, i);
		ck_assert(p.harts[i].has_sstc);
		ck_assert(p.harts[i].has_zbc);
		/* QEMU: context 2h is M-mode, 2h+1 S-mode. */
		ck_assert_int_eq(p.harts[i].plic_s_context, (int)(2 * i + 1));
	}
	free(fdt);
}
END_TEST

START_TEST(test_kernel_dt_minimal)
{
	size_t len;
	void *fdt = load("minimal.dtb", &len);
	struct dt_platform p;
	char err[160];
	ck_assert_int_eq(dt_parse(fdt, len, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.nharts, 1); /* cpu@5 is disabled */
	ck_assert_uint_eq(p.harts[0].hartid, 0);
	ck_assert_int_eq(p.harts[0].plic_s_context, 1);
	ck_assert_uint_eq(p.nvirtio, 2);
	ck_assert_uint_eq(p.virtio[0].base, 0x10001000); /* sorted by address */
	ck_assert_uint_eq(p.virtio[1].irq, 8);
	ck_assert_str_eq(p.bootargs, "selftest  quiet");
	ck_assert(dt_bootargs_has(p.bootargs, "selftest"));
	ck_assert(dt_bootargs_has(p.bootargs, "quiet"));
	ck_assert(!dt_bootargs_has(p.bootargs, "self"));
	free(fdt);
}
END_TEST

START_TEST(test_kernel_dt_bootargs_values)
{
	const char *args = "selftest xbenchms=9 benchms=250 seed=18446744073709551615 "
			   "big=18446744073709551616 bad=12a empty= name=pkg:/etc/motd benchms=7";
	uint64_t v = 0;
	char buf[16];
	ck_assert_int_eq(dt_bootargs_u64(args, "benchms", &v), 0);
	ck_assert_uint_eq(v, 250); /* the first whole word, not xbenchms=9 */
	ck_assert_int_eq(dt_bootargs_u64(args, "seed", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(dt_bootargs_u64(args, "big", &v), CAIRN_EINVAL);
	ck_assert_int_eq(dt_bootargs_u64(args, "bad", &v), CAIRN_EINVAL);
	ck_assert_int_eq(dt_bootargs_u64(args, "empty", &v), CAIRN_EINVAL);
	ck_assert_int_eq(dt_bootargs_u64(args, "selftest", &v), CAIRN_ENOENT);
	ck_assert_int_eq(dt_bootargs_u64(args, "", &v), CAIRN_ENOENT);
	ck_assert_int_eq(dt_bootargs_value(args, "name", buf, sizeof(buf)), 13);
	ck_assert_str_eq(buf, "pkg:/etc/motd");
	ck_assert_int_eq(dt_bootargs_value(args, "name", buf, 13), CAIRN_E2BIG);
	ck_assert_int_eq(dt_bootargs_value(args, "empty", buf, sizeof(buf)), 0);
	ck_assert_int_eq(dt_bootargs_value(args, "nope", buf, sizeof(buf)), CAIRN_ENOENT);
}
END_TEST

struct broken_case {
	const char *file;
	int code;
	const char *message;
};

static const struct broken_case broken[] = {
	{ "no-memory.dtb", CAIRN_ENOENT, "dtb: no memory node (device_type = \"memory\")" },
	{ "no-timebase.dtb", CAIRN_ENOENT, "dtb: /cpus has no (non-zero) timebase-frequency" },
	{ "no-uart.dtb", CAIRN_ENOENT, "dtb: no ns16550a UART" },
	{ "no-plic.dtb", CAIRN_ENOENT, "dtb: no PLIC (riscv,plic0)" },
	{ "no-cpus.dtb", CAIRN_ENOENT, "dtb: no /cpus node" },
	{ "no-usable-hart.dtb", CAIRN_ENOENT, "dtb: /cpus lists no usable hart" },
	{ "bad-uart-reg.dtb", CAIRN_EBADMSG, "dtb: serial@10000000 reg has bad length 12" },
	{ "bad-virtio-irq.dtb", CAIRN_EBADMSG,
	  "dtb: virtio,mmio@10001000 has no valid interrupts" },
	/* Register windows the kernel touches must fit the node's reg (issue 13 #6):
	 * with the PLIC cut to 0x1000 the boot used to end in a load page fault. */
	{ "small-plic-reg.dtb", CAIRN_EBADMSG,
	  "dtb: plic@c000000 reg size 0x1000 too small for hart0's S context 1 (needs 0x201008)" },
	{ "small-virtio-reg.dtb", CAIRN_EBADMSG,
	  "dtb: virtio_mmio@10001000 reg size 0x100 too small for the virtio-mmio registers (needs "
	  "0x200)" },
	{ "small-uart-reg.dtb", CAIRN_EBADMSG,
	  "dtb: serial@10000000 reg size 0x4 too small for the UART registers (needs 0x6)" },
	/* A reserved region that wraps past 2^64 (fuzz_dt, issue 20): the page pool
	 * skipped it whole and handed out the firmware's pages. */
	{ "wrapping-reserved.dtb", CAIRN_EBADMSG,
	  "dtb: reserved region 0x87ffe000 size 0xfffffffffffff000 wraps" },
	{ "wrapping-reserved-node.dtb", CAIRN_EBADMSG,
	  "dtb: reserved region 0x87ffe000 size 0xfffffffffffff000 wraps" },
};

START_TEST(test_kernel_dt_broken_named)
{
	const struct broken_case *c = &broken[_i];
	size_t len;
	void *fdt = load(c->file, &len);
	struct dt_platform p;
	char err[160];
	ck_assert_int_eq(dt_parse(fdt, len, &p, err, sizeof(err)), c->code);
	ck_assert_str_eq(err, c->message);
	free(fdt);
}
END_TEST

START_TEST(test_kernel_dt_corrupt_blob)
{
	size_t len;
	uint8_t *fdt = load("minimal.dtb", &len);
	struct dt_platform p;
	char err[160];
	/* Truncated: totalsize beyond the buffer we admit to. */
	ck_assert_int_eq(dt_parse(fdt, len / 2, &p, err, sizeof(err)), CAIRN_EBADMSG);
	ck_assert_msg(strstr(err, "totalsize") != NULL, "%s", err);
	/* Bad magic. */
	fdt[0] ^= 0xff;
	ck_assert_int_eq(dt_parse(fdt, len, &p, err, sizeof(err)), CAIRN_EBADMSG);
	ck_assert_msg(strstr(err, "bad header") != NULL, "%s", err);
	ck_assert_int_eq(dt_parse(NULL, 0, &p, err, sizeof(err)), CAIRN_EBADMSG);
	free(fdt);
}
END_TEST

/* A property length of -12 makes libfdt's fdt_next_tag return the tag's own
 * offset, so every libfdt walk over it loops forever: the boot hung in
 * parse_memory (found by the fuzz_dt campaign, issue 20). dt_parse walks the
 * structure block once, insisting on progress, before any libfdt search. */
START_TEST(test_kernel_dt_backwards_property_length_refused)
{
	static const uint32_t lens[] = { 0xfffffff4u, 0xfffffff5u, 0xfffffff8u, 0xffffffffu,
					 0x7fffffffu };
	for (unsigned k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t len;
		uint8_t *fdt = load("minimal.dtb", &len);
		int prop = fdt_first_property_offset(fdt, 0);
		ck_assert_int_ge(prop, 0);
		fdt32_t bad = cpu_to_fdt32(lens[k]);
		memcpy(fdt + fdt_off_dt_struct(fdt) + (uint32_t)prop + 4, &bad, 4);
		ck_assert(!dt_struct_ok(fdt));
		struct dt_platform p;
		char err[160];
		ck_assert_int_eq(dt_parse(fdt, len, &p, err, sizeof(err)), CAIRN_EBADMSG);
		ck_assert_str_eq(err, "dtb: structure block unreadable");
		free(fdt);
	}
	size_t len;
	void *fdt = load("qemu-virt-smp4.dtb", &len);
	ck_assert(dt_struct_ok(fdt));
	free(fdt);
}
END_TEST

/* Every single-byte corruption of the struct block parses or fails cleanly. */
START_TEST(test_kernel_dt_byte_flips_never_crash)
{
	size_t len;
	uint8_t *fdt = load("minimal.dtb", &len);
	uint8_t *copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, fdt, len);
		copy[i] ^= 0xa5;
		struct dt_platform p;
		char err[160];
		int rc = dt_parse(copy, len, &p, err, sizeof(err));
		ck_assert(rc == 0 || rc == CAIRN_EBADMSG || rc == CAIRN_ENOENT);
	}
	free(copy);
	free(fdt);
}
END_TEST

START_TEST(test_kernel_dt_isa_ext)
{
	ck_assert(dt_isa_has_ext("rv64imafdch_zicsr_zbc_sstc", "zbc"));
	ck_assert(dt_isa_has_ext("rv64imafdch_zicsr_zbc_sstc", "sstc"));
	ck_assert(!dt_isa_has_ext("rv64imafdch_zicsr_zbcx", "zbc"));
	ck_assert(!dt_isa_has_ext("rv64imafdch", "zbc"));
	ck_assert(!dt_isa_has_ext("rv64imafdc_zb", "zbc"));
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("dt");
	tcase_add_test(tc, test_kernel_dt_qemu_virt);
	tcase_add_test(tc, test_kernel_dt_minimal);
	tcase_add_test(tc, test_kernel_dt_bootargs_values);
	tcase_add_test(tc, test_kernel_dt_backwards_property_length_refused);
	tcase_add_loop_test(tc, test_kernel_dt_broken_named, 0, sizeof(broken) / sizeof(broken[0]));
	tcase_add_test(tc, test_kernel_dt_corrupt_blob);
	tcase_add_test(tc, test_kernel_dt_byte_flips_never_crash);
	tcase_add_test(tc, test_kernel_dt_isa_ext);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kernel_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
