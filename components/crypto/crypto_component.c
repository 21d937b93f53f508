/* The crypto component in the image: picks the CRC32-C implementation at init by
 * MEASURING it. The Zbc (carry-less multiply) code is a candidate only when every
 * hart's ISA string lists zbc (threads migrate between harts); it is then timed
 * against the slice-by-16 table code on the same buffer and chosen only when it is
 * faster, because an ISA string says nothing about speed: QEMU's TCG emulates each
 * clmul with a C helper call, which makes the table code faster there, while a
 * core with a one-cycle clmul is the other way round. The algorithms keep no
 * state, so there is nothing to stop and a restart simply measures again. */
#include <stdlib.h>

#include "cairn/boot.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/timer.h"
#include "crypto.h"
#include "crypto_internal.h"

#define CRC_PROBE_BYTES 4096u /* one buffer, in the cache for both candidates */
#define CRC_PROBE_PASSES 4u   /* passes per round: ~50-250 us per round under TCG */
#define CRC_PROBE_ROUNDS 3u   /* best of, alternating the candidates */

typedef uint32_t (*crc_raw_fn)(uint32_t crc, const uint8_t *p, size_t len);

/* crc_time_us: microseconds for CRC_PROBE_PASSES passes of fn over buf; the
 * result is folded into *sink so the work cannot be dropped. */
static uint64_t crc_time_us(crc_raw_fn fn, const uint8_t *buf, uint32_t *sink)
{
	uint64_t t0 = time_us();
	uint32_t c = *sink;

	for (unsigned i = 0; i < CRC_PROBE_PASSES; i++)
		c = fn(c, buf, CRC_PROBE_BYTES);
	*sink = c;
	return time_us() - t0;
}

/* crc_mbs: MB/s (10^6 B/s) for CRC_PROBE_PASSES buffers in us microseconds. */
static uint64_t crc_mbs(uint64_t us)
{
	return (uint64_t)CRC_PROBE_PASSES * CRC_PROBE_BYTES / (us ? us : 1);
}

#if defined(__riscv)
/* crc_zbc_fn: the Zbc folding code (riscv only). */
static const crc_raw_fn crc_zbc_fn = crypto_crc32c_fold_zbc;
#else
static const crc_raw_fn crc_zbc_fn = crypto_crc32c_table_raw;
#endif

/* crypto_component_init: measure the CRC32-C candidates, select the faster, and
 * print the choice with both figures (docs/markers.md). */
static int crypto_component_init(void)
{
	bool zbc = platform.nharts > 0;
	for (unsigned i = 0; i < platform.nharts; i++)
		zbc = zbc && platform.harts[i].has_zbc;
#if !defined(__riscv)
	zbc = false;
#endif
	uint8_t *buf = aligned_alloc(64, CRC_PROBE_BYTES);
	if (!buf) {
		/* Cannot measure: the table is correct everywhere, so it is the safe pick. */
		crypto_crc32c_use_zbc(false);
		kprintf("crypto: crc32c table (not measured: no memory)\n");
		return 0;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < CRC_PROBE_BYTES; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	uint64_t best_table = UINT64_MAX, best_zbc = UINT64_MAX;
	uint32_t sink_table = 0, sink_zbc = 0;
	(void)crc_time_us(crypto_crc32c_table_raw, buf, &sink_table); /* warm-up */
	if (zbc)
		(void)crc_time_us(crc_zbc_fn, buf, &sink_zbc);
	for (unsigned r = 0; r < CRC_PROBE_ROUNDS; r++) {
		uint64_t t = crc_time_us(crypto_crc32c_table_raw, buf, &sink_table);
		best_table = t < best_table ? t : best_table;
		if (zbc) {
			t = crc_time_us(crc_zbc_fn, buf, &sink_zbc);
			best_zbc = t < best_zbc ? t : best_zbc;
		}
	}
	/* Both ran the same passes from the same start: their registers must agree. */
	bool agree = !zbc || sink_table == sink_zbc;
	free(buf);
	uint64_t mbs_table = crc_mbs(best_table), mbs_zbc = zbc ? crc_mbs(best_zbc) : 0;
	bool use = zbc && agree && best_zbc < best_table;
	crypto_crc32c_use_zbc(use);
	if (!agree) {
		kprintf("crypto: crc32c table (zbc FAILED: 0x%08x, table 0x%08x) table=%lluMB/s\n",
			sink_zbc, sink_table, (unsigned long long)mbs_table);
	} else if (zbc) {
		kprintf("crypto: crc32c %s table=%lluMB/s zbc=%lluMB/s\n",
			crypto_crc32c_zbc_active() ? "zbc (clmul)" : "table",
			(unsigned long long)mbs_table, (unsigned long long)mbs_zbc);
	} else {
		kprintf("crypto: crc32c table table=%lluMB/s zbc=none\n",
			(unsigned long long)mbs_table);
	}
	return 0;
}

const struct component_desc component_crypto = {
	.name = "crypto",
	.init = crypto_component_init,
};
