/* In-image benchmarks, run from the init thread when the kernel command line
 * contains "bench". They print figures ("bench: ..." lines, docs/benchmarks.md),
 * not pass/fail verdicts; only an error (an I/O failure, implementations that
 * disagree) counts as a failure. */
#ifndef KBENCH_H
#define KBENCH_H

#include <stddef.h>
#include <stdint.h>

/* kbench_run_all: every benchmark built into the image; prints
 * "bench: done failed=<n>" last and returns n. */
int kbench_run_all(void);

/* kbench_fixed: write num/den with `decimals` digits after the point into buf
 * (integer arithmetic: the kernel runs with the FPU off). den 0 prints "0". */
void kbench_fixed(char *buf, size_t len, uint64_t num, uint64_t den, unsigned decimals);

/* kbench_crypto: memcpy, CRC32-C (table, Zbc when active) and SHA-256 MB/s, each
 * measurement taking about ms milliseconds. Returns the number of failures. */
int kbench_crypto(uint64_t ms);

/* kbench_blk: the virtio-blk benchmark on the disk with serial "scratch" (its
 * contents are overwritten); each measurement runs for about ms milliseconds.
 * Returns the number of failed measurements (0 when no scratch disk is attached). */
int kbench_blk(uint64_t ms);

#endif
