/* statefs benchmark in the image (boot args "selftest statefsbench"), run as the
 * selftest component. Needs a `state` disk and a `scratch` disk.
 *
 *   put+sync latency and throughput for 100-byte and 4 KiB values through the
 *   statefs service, next to raw virtio-blk write+flush of the same size on the
 *   scratch disk in the same run (100 B is rounded up to one logical block: the
 *   smallest write a disk takes), and the ratio of the means;
 *   put+sync throughput against writer threads: 1, 2, 4 and 8 threads, each
 *   putting 100-byte values to its own key and syncing after every put for
 *   BENCH_WRITERS_MS (concurrent syncs share a device flush: docs/statefs.md);
 *   the mount time of a store holding 10,000 keys: the bench writes them, then
 *   restarts statefs, whose "statefs: mounted ... mount_us=" line is the figure
 *   (bench/statefs_image/ parses it).
 *
 * Lines: BENCH: statefs put+sync size=<b> n=<n> mean_us=.. p50_us=.. p99_us=.. ops_s=..
 *        BENCH: raw write+flush size=<b> n=<n> mean_us=.. p50_us=.. p99_us=.. ops_s=..
 *        BENCH: ratio size=<b> statefs/raw mean=<x.xx> p50=<x.xx>
 *        BENCH: writers n=<threads> size=100 ops=<n> us=<t> ops_s=<x.xx>
 *        BENCH: fill keys=<n> us=<t>
 *        BENCH: statefsbench done */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/blkdev.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/timer.h"
#include "selftest.h"
#include "statefs_svc.h"
#include "virtio_blk.h"

#define BENCH_N 300u	 /* timed operations per figure */
#define BENCH_WARMUP 10u /* untimed operations first */
#define BENCH_FILL_KEYS 10000u
#define BENCH_FILL_SYNC 100u /* puts per sync while filling */
#define BENCH_WRITERS_MAX 8u
#define BENCH_WRITERS_MS 500u	      /* per writer-thread figure */
#define BENCH_WRITERS_START_US 30000u /* all threads start together, this late */

struct figure {
	uint64_t mean, p50, p99, total;
};

/* cmp_u64: qsort order for latencies. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* summarise: mean, median and 99th percentile of n latencies (sorted in place). */
static struct figure summarise(uint64_t *lat, unsigned n)
{
	struct figure f = { 0 };
	for (unsigned i = 0; i < n; i++)
		f.total += lat[i];
	qsort(lat, n, sizeof(*lat), cmp_u64);
	f.mean = f.total / n;
	f.p50 = lat[n / 2];
	f.p99 = lat[(n * 99u) / 100u];
	return f;
}

/* print_figure: one BENCH line. */
static void print_figure(const char *what, size_t size, const struct figure *f)
{
	uint64_t ops_x100 = f->total ? (uint64_t)BENCH_N * 100000000ull / f->total : 0;
	kprintf("BENCH: %s size=%u n=%u mean_us=%llu p50_us=%llu p99_us=%llu ops_s=%llu.%02llu\n",
		what, (unsigned)size, BENCH_N, (unsigned long long)f->mean,
		(unsigned long long)f->p50, (unsigned long long)f->p99,
		(unsigned long long)(ops_x100 / 100), (unsigned long long)(ops_x100 % 100));
}

/* bench_statefs: BENCH_N put+sync of size-byte values over 16 keys. */
static int bench_statefs(size_t size, uint8_t *val, uint64_t *lat, struct figure *out)
{
	char key[64];
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_N; i++) {
		(void)snprintf(key, sizeof(key), "/state/selftest/bench/s%u/v%u", (unsigned)size,
			       i % 16u);
		val[0] = (uint8_t)i;
		uint64_t t0 = time_us();
		int err = statefs_svc_put(key, val, size);
		if (!err)
			err = statefs_svc_sync();
		uint64_t t1 = time_us();
		if (err) {
			kprintf("ktest: statefs bench put FAILED: %s\n", cairn_strerror(err));
			return err;
		}
		if (i >= BENCH_WARMUP)
			lat[i - BENCH_WARMUP] = t1 - t0;
	}
	*out = summarise(lat, BENCH_N);
	print_figure("statefs put+sync", size, out);
	return 0;
}

/* bench_raw: BENCH_N write+flush of size bytes (rounded up to whole logical
 * blocks) at rotating offsets of the scratch disk. */
static int bench_raw(struct blkdev *bd, size_t size, uint8_t *buf, uint64_t *lat,
		     struct figure *out)
{
	uint32_t ss = bd->info.sector_size;
	uint32_t count = (uint32_t)((size + ss - 1) / ss);
	if (bd->info.sector_count < 64ull * count) {
		kprintf("ktest: statefs bench: scratch disk too small (FAILED)\n");
		return CAIRN_ENOSPC;
	}
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_N; i++) {
		buf[0] = (uint8_t)i;
		uint64_t t0 = time_us();
		int err = blkdev_write(bd, (uint64_t)(i % 64u) * count, buf, count);
		if (!err)
			err = blkdev_flush(bd);
		uint64_t t1 = time_us();
		if (err) {
			kprintf("ktest: statefs bench raw write FAILED: %s\n", cairn_strerror(err));
			return err;
		}
		if (i >= BENCH_WARMUP)
			lat[i - BENCH_WARMUP] = t1 - t0;
	}
	*out = summarise(lat, BENCH_N);
	print_figure("raw write+flush", (size_t)count * ss, out);
	return 0;
}

/* One writer thread of bench_writers. Written by the thread, read by the
 * coordinator after thread_join (which orders them). */
struct writer {
	unsigned id;
	uint64_t start_at, stop_at;
	uint64_t ops, started, last_done;
	int err;
};

/* writer_run: put+sync 100 bytes to this writer's own key until stop_at. */
static void writer_run(void *arg)
{
	struct writer *w = arg;
	char key[64];
	uint8_t val[100];
	memset(val, 0xa5, sizeof(val));
	(void)snprintf(key, sizeof(key), "/state/selftest/bench/w/%u", w->id);
	while (time_us() < w->start_at)
		sched_sleep_us(1000);
	w->started = time_us();
	while (time_us() < w->stop_at) {
		val[0] = (uint8_t)w->ops;
		int err = statefs_svc_put(key, val, sizeof(val));
		if (!err)
			err = statefs_svc_sync();
		if (err) {
			w->err = err;
			return;
		}
		w->ops++;
		w->last_done = time_us();
	}
}

/* bench_writers: put+sync throughput with n concurrent writer threads. */
static int bench_writers(unsigned n)
{
	static struct writer w[BENCH_WRITERS_MAX];
	struct thread *t[BENCH_WRITERS_MAX];
	uint64_t start = time_us() + BENCH_WRITERS_START_US;
	unsigned created = 0;
	struct statefs_svc_stat st0, st1;
	int err = statefs_svc_stat(&st0);
	if (err) {
		kprintf("ktest: statefs bench writers n=%u FAILED: stat: %s\n", n,
			cairn_strerror(err));
		return err;
	}
	for (unsigned i = 0; i < n; i++)
		w[i] = (struct writer){ .id = i,
					.start_at = start,
					.stop_at = start + BENCH_WRITERS_MS * 1000u };
	for (; created < n && !err; created++)
		err = thread_create(&t[created], "bench-w", thread_component(), writer_run,
				    &w[created], false);
	if (err)
		created--;
	for (unsigned i = 0; i < created; i++)
		(void)thread_join(t[i]);
	uint64_t ops = 0, first = UINT64_MAX, last = 0;
	for (unsigned i = 0; i < created && !err; i++) {
		err = w[i].err;
		ops += w[i].ops;
		first = w[i].started < first ? w[i].started : first;
		last = w[i].last_done > last ? w[i].last_done : last;
	}
	if (!err && (ops == 0 || last <= first))
		err = CAIRN_EIO;
	if (!err)
		err = statefs_svc_stat(&st1);
	if (err) {
		kprintf("ktest: statefs bench writers n=%u FAILED: %s\n", n, cairn_strerror(err));
		return err;
	}
	uint64_t us = last - first, x100 = ops * 100000000ull / us;
	/* syncs and the engine syncs (device flushes) they ran: fewer flushes than
	 * syncs is the group commit sharing them (statefs_gcommit.h) */
	kprintf("BENCH: writers n=%u size=100 ops=%llu us=%llu ops_s=%llu.%02llu syncs=%llu "
		"flushes=%llu\n",
		n, (unsigned long long)ops, (unsigned long long)us,
		(unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100),
		(unsigned long long)(st1.sync_calls - st0.sync_calls),
		(unsigned long long)(st1.sync_flushes - st0.sync_flushes));
	return 0;
}

/* bench_fill: write BENCH_FILL_KEYS 100-byte values, then restart statefs so
 * it mounts a store holding them (its mounted line carries mount_us). */
static int bench_fill(uint8_t *val)
{
	char key[64];
	uint64_t t0 = time_us();
	int err = 0;
	for (unsigned i = 0; i < BENCH_FILL_KEYS && !err; i++) {
		(void)snprintf(key, sizeof(key), "/state/selftest/bench/fill/k%05u", i);
		val[0] = (uint8_t)i;
		err = statefs_svc_put(key, val, 100);
		if (!err && (i + 1) % BENCH_FILL_SYNC == 0)
			err = statefs_svc_sync();
	}
	if (!err)
		err = statefs_svc_sync();
	uint64_t t1 = time_us();
	if (err) {
		kprintf("ktest: statefs bench fill FAILED: %s\n", cairn_strerror(err));
		return err;
	}
	kprintf("BENCH: fill keys=%u us=%llu\n", BENCH_FILL_KEYS, (unsigned long long)(t1 - t0));
	err = supervisor_restart(CAP_COMP_STATEFS);
	uint64_t t2 = time_us();
	if (err) {
		kprintf("ktest: statefs bench restart FAILED: %s\n", cairn_strerror(err));
		return err;
	}
	kprintf("BENCH: restart with %u keys us=%llu\n", BENCH_FILL_KEYS,
		(unsigned long long)(t2 - t1));
	return 0;
}

/* selftest_bench_statefs: the figures listed at the top of this file; 0 or 1 (failed). */
int selftest_bench_statefs(void)
{
	struct blkdev *bd;
	int err = vblk_claim("scratch", false, &bd);
	if (err) {
		kprintf("ktest: statefs bench needs a scratch disk (%s) (FAILED)\n",
			cairn_strerror(err));
		return 1;
	}
	uint8_t *buf = malloc(8192);
	uint64_t *lat = malloc(BENCH_N * sizeof(uint64_t));
	if (!buf || !lat)
		err = CAIRN_ENOMEM;
	if (buf)
		memset(buf, 0x5a, 8192);
	static const size_t sizes[] = { 100, 4096 };
	for (unsigned s = 0; s < 2 && !err; s++) {
		struct figure fs, raw;
		err = bench_statefs(sizes[s], buf, lat, &fs);
		if (!err)
			err = bench_raw(bd, sizes[s], buf, lat, &raw);
		if (!err) {
			uint64_t m100 = raw.mean ? fs.mean * 100u / raw.mean : 0;
			uint64_t p100 = raw.p50 ? fs.p50 * 100u / raw.p50 : 0;
			kprintf("BENCH: ratio size=%u statefs/raw mean=%llu.%02llu "
				"p50=%llu.%02llu\n",
				(unsigned)sizes[s], (unsigned long long)(m100 / 100),
				(unsigned long long)(m100 % 100), (unsigned long long)(p100 / 100),
				(unsigned long long)(p100 % 100));
		}
	}
	for (unsigned n = 1; n <= BENCH_WRITERS_MAX && !err; n *= 2)
		err = bench_writers(n);
	if (!err)
		err = bench_fill(buf);
	(void)vblk_release(bd);
	free(buf);
	free(lat);
	if (err)
		return 1;
	kprintf("BENCH: statefsbench done\n");
	return 0;
}
