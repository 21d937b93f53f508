/* In-image benchmarks: the driver (command-line options, the run order) and the
 * integer formatting of figures. The measurements are in selftest_bench_crypto.c and
 * selftest_bench_blk.c.
 *
 * All figures are in MB/s = 10^6 bytes per second, computed with integers from
 * time_us() (the platform timebase). Under QEMU TCG they describe the emulator on
 * this host, not any RISC-V hardware. */
#include "selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/boot.h"
#include "cairn/cap.h" /* CAP_ENABLED_*: which benchmarks are built in */
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/timer.h"

#define BENCH_MS_DEFAULT 1000u /* per measurement */
#define BENCH_MS_MAX 60000u

/* selftest_fixed: num/den as a decimal with `decimals` fraction digits. */
void selftest_fixed(char *buf, size_t len, uint64_t num, uint64_t den, unsigned decimals)
{
	uint64_t scale = 1;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10u;
	if (den == 0) {
		snprintf(buf, len, "0");
		return;
	}
	/* Round to nearest; 128-bit so that rest * scale cannot overflow. */
	uint64_t whole = num / den, rest = num % den;
	uint64_t frac = (uint64_t)(((unsigned __int128)rest * scale + den / 2) / den);
	if (frac >= scale) {
		whole++;
		frac -= scale;
	}
	if (decimals)
		snprintf(buf, len, "%llu.%0*llu", (unsigned long long)whole, (int)decimals,
			 (unsigned long long)frac);
	else
		snprintf(buf, len, "%llu", (unsigned long long)whole);
}

/* bench_ms: the "benchms=<n>" option (milliseconds per measurement), 1..60000.
 * 0 and *ms (the default when absent); CAIRN_EINVAL for a malformed value. */
static int bench_ms(uint64_t *ms)
{
	*ms = BENCH_MS_DEFAULT;
	int err = dt_bootargs_u64(platform.bootargs, "benchms", ms);
	if (err == CAIRN_ENOENT) {
		*ms = BENCH_MS_DEFAULT;
		return 0;
	}
	if (err || *ms == 0 || *ms > BENCH_MS_MAX) {
		kprintf("bench: bad benchms value (want 1..%u milliseconds)\n", BENCH_MS_MAX);
		return CAIRN_EINVAL;
	}
	return 0;
}

/* selftest_bench_all: every benchmark in the image, then the summary line. */
int selftest_bench_all(void)
{
	uint64_t ms;
	int failed = 0;
	if (bench_ms(&ms) != 0) {
		failed = 1;
	} else {
		kprintf("bench: start ms=%llu harts=%u\n", (unsigned long long)ms, hart_count());
#ifdef CAP_ENABLED_CRYPTO
		failed += selftest_bench_crypto(ms);
#endif
#ifdef CAP_ENABLED_VIRTIO_BLK
		failed += selftest_bench_blk(ms);
#endif
	}
	kprintf("bench: done failed=%d\n", failed);
	return failed;
}
