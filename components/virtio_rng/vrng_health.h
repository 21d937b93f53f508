/* Continuous health tests on raw entropy samples (NIST SP 800-90B section 4.4):
 * the Repetition Count Test and the Adaptive Proportion Test, plus the start-up
 * test of 4.3 (both tests over the first VRNG_STARTUP_SAMPLES samples before any
 * output is used). Plain C, no hardware: the driver feeds every byte it receives
 * through vrng_health_feed before the bytes may be used; host tests feed patterns.
 *
 * A sample is one byte. The source is assessed conservatively at H = 1 bit of
 * min-entropy per byte (QEMU's virtio-rng forwards the host's getrandom(), but
 * the image cannot verify that), so callers that need n bits of entropy take n
 * bytes. Cutoffs for a false-positive probability alpha = 2^-20 per test:
 *   RCT: C = 1 + ceil(-log2(alpha) / H) = 21 identical samples in a row;
 *   APT: W = 512 samples, C = 1 + CRITBINOM(512, 2^-H, 1 - alpha) = 311
 *        occurrences of the window's first sample (SP 800-90B table 2, H = 1).
 * test_vrng_health recomputes both from the formulas. */
#ifndef VRNG_HEALTH_H
#define VRNG_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRNG_H_BITS 1	   /* assessed min-entropy per byte sample */
#define VRNG_ALPHA_LOG2 20 /* alpha = 2^-20 */
#define VRNG_RCT_CUTOFF 21
#define VRNG_APT_WINDOW 512
#define VRNG_APT_CUTOFF 311
#define VRNG_STARTUP_SAMPLES 1024 /* SP 800-90B 4.3 item 4: at least 1024 samples */

/* Why a source was refused. */
enum vrng_health_fail {
	VRNG_HEALTH_OK = 0,
	VRNG_HEALTH_RCT, /* too many identical samples in a row */
	VRNG_HEALTH_APT, /* one value too frequent in a window */
};

/* Health-test state for one noise source. Not locked: the driver's lock. */
struct vrng_health {
	uint8_t rct_value;	      /* RCT: the current run's value ... */
	uint32_t rct_run;	      /* ... and its length (0 before the first sample) */
	uint8_t apt_value;	      /* APT: the window's first sample ... */
	uint32_t apt_count;	      /* ... how often it occurred ... */
	uint32_t apt_seen;	      /* ... and samples of the window so far (0 = new window) */
	uint64_t samples;	      /* samples tested since init */
	enum vrng_health_fail failed; /* sticky: once failed, stays failed */
};

/* vrng_health_init: start both tests afresh (start-up test pending). */
void vrng_health_init(struct vrng_health *h);
/* vrng_health_feed: run both tests over n samples. 0 while healthy; CAIRN_EIO once
 * any test has failed (sticky until vrng_health_init). */
int vrng_health_feed(struct vrng_health *h, const uint8_t *p, size_t n);
/* vrng_health_ready: true when the start-up samples passed and nothing failed. */
bool vrng_health_ready(const struct vrng_health *h);
/* vrng_health_reason: "ok", "repetition count" or "adaptive proportion". */
const char *vrng_health_reason(const struct vrng_health *h);

#endif
