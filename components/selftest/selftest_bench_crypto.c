/* In-image crypto benchmark: memcpy as the same-run reference, CRC32-C with the
 * table and, when every hart has it, with Zbc, and SHA-256, each as MB/s and as a
 * ratio to memcpy. Best of three rounds of about ms/3 each over a 256 KiB buffer. */
#include <stdlib.h>
#include <string.h>

#include "cairn/boot.h"
#include "cairn/console.h"
#include "cairn/timer.h"
#include "crypto.h"
#include "selftest.h"

#define CRYPTO_BUF (256u * 1024u)
#define CRYPTO_ROUNDS 3u /* best of: the host is shared, the best round is the steadiest */

enum crypto_op {
	OP_MEMCPY,
	OP_CRC32C,
	OP_SHA256
};

static volatile uint32_t bench_sink; /* keeps every result alive */

/* ratio_milli: (a_num/a_den) / (b_num/b_den) in thousandths, rounded;
 * 0 when either rate is 0 or undefined. */
static uint64_t ratio_milli(uint64_t a_num, uint64_t a_den, uint64_t b_num, uint64_t b_den)
{
	unsigned __int128 n = (unsigned __int128)a_num * b_den * 1000u;
	unsigned __int128 d = (unsigned __int128)a_den * b_num;
	if (d == 0 || a_num == 0)
		return 0;
	n = (n + d / 2) / d;
	return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

/* run_op: one pass of op over the CRYPTO_BUF bytes at src. */
static void run_op(enum crypto_op op, const uint8_t *src, uint8_t *dst)
{
	uint8_t digest[CRYPTO_SHA256_SIZE];

	switch (op) {
	case OP_MEMCPY:
		memcpy(dst, src, CRYPTO_BUF);
		__asm__ volatile("" ::"r"(dst) : "memory"); /* the copy is observed */
		bench_sink ^= dst[CRYPTO_BUF - 1];
		break;
	case OP_CRC32C:
		bench_sink ^= crypto_crc32c(0, src, CRYPTO_BUF);
		break;
	case OP_SHA256:
		crypto_sha256(src, CRYPTO_BUF, digest);
		bench_sink ^= digest[0];
		break;
	}
}

/* measure: best-of-CRYPTO_ROUNDS throughput of op; each round repeats the pass
 * until at least round_us elapsed. *bytes and *us describe the best round. */
static void measure(enum crypto_op op, const uint8_t *src, uint8_t *dst, uint64_t round_us,
		    uint64_t *bytes, uint64_t *us)
{
	*bytes = 0;
	*us = 0;
	run_op(op, src, dst); /* warm-up: caches, TCG translation */
	for (unsigned r = 0; r < CRYPTO_ROUNDS; r++) {
		uint64_t n = 0, t0 = time_us(), el;
		do {
			run_op(op, src, dst);
			n += CRYPTO_BUF;
			el = time_us() - t0;
		} while (el < round_us);
		/* n/el > bytes/us, compared without division */
		if (*us == 0 || (unsigned __int128)n * *us > (unsigned __int128)*bytes * el) {
			*bytes = n;
			*us = el;
		}
	}
}

/* report: one "bench: <name> MB/s=<x> vs-memcpy=<r> bytes=<n> us=<t>" line. */
static void report(const char *name, uint64_t bytes, uint64_t us, uint64_t ref_bytes,
		   uint64_t ref_us)
{
	char mbs[32], ratio[32];
	selftest_fixed(mbs, sizeof(mbs), bytes, us, 1);
	selftest_fixed(ratio, sizeof(ratio), ratio_milli(bytes, us, ref_bytes, ref_us), 1000u, 3);
	kprintf("bench: %s MB/s=%s vs-memcpy=%s bytes=%llu us=%llu\n", name, mbs, ratio,
		(unsigned long long)bytes, (unsigned long long)us);
}

/* selftest_bench_crypto: memcpy, CRC32-C (table, Zbc) and SHA-256 throughput. */
int selftest_bench_crypto(uint64_t ms)
{
	uint8_t *src = aligned_alloc(64, CRYPTO_BUF), *dst = aligned_alloc(64, CRYPTO_BUF);
	if (!src || !dst) {
		kprintf("bench: crypto FAILED: no memory for %u-byte buffers\n", CRYPTO_BUF);
		free(src);
		free(dst);
		return 1;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < CRYPTO_BUF; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		src[i] = (uint8_t)x;
	}
	uint64_t round_us = ms * 1000u / CRYPTO_ROUNDS;
	if (round_us == 0)
		round_us = 1;
	int failed = 0;
	uint64_t mb, mu, b, u;

	measure(OP_MEMCPY, src, dst, round_us, &mb, &mu);
	char mbs[32];
	selftest_fixed(mbs, sizeof(mbs), mb, mu, 1);
	kprintf("bench: memcpy MB/s=%s bytes=%llu us=%llu\n", mbs, (unsigned long long)mb,
		(unsigned long long)mu);

	/* Zbc is measured whenever every hart has it, whichever code boot chose (the
	 * crypto component picks the faster by its own, shorter measurement). Both
	 * give identical results, and nothing else runs CRCs while the benchmark owns
	 * the system; the boot choice is restored afterwards. */
	bool chosen = crypto_crc32c_zbc_active(), zbc = platform.nharts > 0;
	for (unsigned i = 0; i < platform.nharts; i++)
		zbc = zbc && platform.harts[i].has_zbc;
	uint32_t crc_zbc = 0;
	if (zbc) {
		crypto_crc32c_use_zbc(true);
		crc_zbc = crypto_crc32c(0, src, CRYPTO_BUF);
		measure(OP_CRC32C, src, dst, round_us, &b, &u);
		report("crc32c-zbc", b, u, mb, mu);
	}
	crypto_crc32c_use_zbc(false);
	measure(OP_CRC32C, src, dst, round_us, &b, &u);
	report("crc32c-table", b, u, mb, mu);
	uint32_t crc_table = crypto_crc32c(0, src, CRYPTO_BUF);
	crypto_crc32c_use_zbc(chosen);
	if (zbc) {
		if (crc_table != crc_zbc) {
			kprintf("bench: crc32c FAILED: zbc 0x%08x table 0x%08x\n", crc_zbc,
				crc_table);
			failed++;
		}
	} else {
		kprintf("bench: crc32c-zbc unavailable (not every hart's ISA lists zbc)\n");
	}

	measure(OP_SHA256, src, dst, round_us, &b, &u);
	report("sha256", b, u, mb, mu);
	free(src);
	free(dst);
	return failed;
}
