/* virtio-blk benchmark on the disk with serial "scratch": sequential 128 KiB and
 * random 4 KiB reads and writes at queue depth 1 and 16, random 4 KiB at queue
 * depth 2, 4 and 8 (the curve of bench/plots.py), then flush latency.
 *
 * Queue depth N is N kernel threads, each keeping one request in flight (QD1
 * through the blocking blkdev API) on its own 1/N of the disk; the driver's single
 * virtqueue then holds up to N requests (it has room for 42). Threads run on every
 * hart. Throughput counts completed requests between the first thread's start and
 * the last completion; no request is issued after the time budget ends.
 *
 * The disk's previous contents are overwritten. Buffers are page-aligned so QEMU
 * with cache=none can hand them to O_DIRECT without bouncing. */
#include <stdlib.h>
#include <string.h>

#include "cairn/blkdev.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/timer.h"
#include "selftest.h"
#include "virtio_blk.h"

#define QD_MAX 16u
#define SEQ_BYTES (128u * 1024u)
#define RAND_BYTES 4096u
#define BUF_ALIGN 4096u
#define START_DELAY_US 30000u /* lets every worker be created before the clock starts */
#define FLUSH_SAMPLES_MAX 4096u

struct phase {
	const char *name;
	bool write;
	bool random;
	uint32_t bytes; /* per request; raised to the logical block size if smaller */
	unsigned qd;
};

static const struct phase phases[] = {
	{ "seq-write", true, false, SEQ_BYTES, 1 },
	{ "seq-read", false, false, SEQ_BYTES, 1 },
	{ "rand-write", true, true, RAND_BYTES, 1 },
	{ "rand-read", false, true, RAND_BYTES, 1 },
	{ "seq-write", true, false, SEQ_BYTES, 16 },
	{ "seq-read", false, false, SEQ_BYTES, 16 },
	{ "rand-write", true, true, RAND_BYTES, 16 },
	{ "rand-read", false, true, RAND_BYTES, 16 },
	/* The queue-depth curve between (bench/plots.py): random 4 KiB at 2, 4, 8. */
	{ "rand-write", true, true, RAND_BYTES, 2 },
	{ "rand-read", false, true, RAND_BYTES, 2 },
	{ "rand-write", true, true, RAND_BYTES, 4 },
	{ "rand-read", false, true, RAND_BYTES, 4 },
	{ "rand-write", true, true, RAND_BYTES, 8 },
	{ "rand-read", false, true, RAND_BYTES, 8 },
};

/* One I/O thread: fixed inputs, then results written by the thread before it
 * exits (thread_join orders them before the coordinator reads them). */
struct worker {
	struct blkdev *bd;
	const struct phase *ph;
	uint8_t *buf;	   /* request-sized, BUF_ALIGN-aligned */
	uint32_t count;	   /* logical blocks per request */
	uint64_t first;	   /* region start, logical blocks */
	uint64_t slots;	   /* requests that fit in the region */
	uint64_t start_at; /* time_us() to start at */
	uint64_t stop_at;  /* no request is issued at or after this time */
	uint64_t rng;
	/* results */
	uint64_t started, last_done, ops;
	int err;
};

/* xorshift64: the next pseudo-random value of *s (never 0 for a non-zero seed). */
static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* io_worker: wait for the common start, then one request at a time until stop_at. */
static void io_worker(void *arg)
{
	struct worker *w = arg;
	/* Yield rather than sleep: sleeping has tick granularity (10 ms). */
	while ((w->started = time_us()) < w->start_at)
		sched_yield();
	uint64_t pos = 0;
	do {
		uint64_t slot = w->ph->random ? xorshift64(&w->rng) % w->slots : pos++ % w->slots;
		uint64_t lba = w->first + slot * w->count;
		w->err = w->ph->write ? blkdev_write(w->bd, lba, w->buf, w->count)
				      : blkdev_read(w->bd, lba, w->buf, w->count);
		if (w->err)
			break;
		w->ops++;
		w->last_done = time_us();
	} while (w->last_done < w->stop_at);
}

/* run_phase: one measurement with ph->qd workers; prints its line. 0 or an error. */
static int run_phase(struct blkdev *bd, const struct phase *ph, uint8_t *const bufs[QD_MAX],
		     uint64_t ms)
{
	static struct worker w[QD_MAX];
	struct thread *t[QD_MAX];
	uint32_t ss = bd->info.sector_size;
	uint32_t bytes = ph->bytes < ss ? ss : ph->bytes;
	uint64_t region = bd->info.sector_count / ph->qd;
	uint64_t start = time_us() + START_DELAY_US;
	unsigned created = 0;
	int err = 0;

	for (unsigned i = 0; i < ph->qd; i++) {
		w[i] = (struct worker){ .bd = bd,
					.ph = ph,
					.buf = bufs[i],
					.count = bytes / ss,
					.first = i * region,
					.slots = region / (bytes / ss),
					.start_at = start,
					.stop_at = start + ms * 1000u,
					.rng = 0x9e3779b97f4a7c15ull * (i + 1) };
	}
	for (; created < ph->qd; created++) {
		err = thread_create(&t[created], "bench-io", thread_component(), io_worker,
				    &w[created], false);
		if (err)
			break;
	}
	for (unsigned i = 0; i < created; i++)
		(void)thread_join(t[i]);
	if (err) {
		kprintf("bench: blk %s qd=%u FAILED: thread_create: %s\n", ph->name, ph->qd,
			cairn_strerror(err));
		return err;
	}
	uint64_t ops = 0, first = UINT64_MAX, last = 0;
	for (unsigned i = 0; i < ph->qd; i++) {
		if (w[i].err && !err)
			err = w[i].err;
		ops += w[i].ops;
		first = w[i].started < first ? w[i].started : first;
		last = w[i].last_done > last ? w[i].last_done : last;
	}
	if (err || ops == 0 || last <= first) {
		kprintf("bench: blk %s qd=%u FAILED: %s\n", ph->name, ph->qd,
			cairn_strerror(err ? err : CAIRN_EIO));
		return err ? err : CAIRN_EIO;
	}
	uint64_t us = last - first;
	char mbs[32], iops[32];
	selftest_fixed(mbs, sizeof(mbs), ops * bytes, us, 1);
	selftest_fixed(iops, sizeof(iops), ops * 1000000u, us, 0);
	kprintf("bench: blk %s bs=%u qd=%u MB/s=%s IOPS=%s ops=%llu us=%llu\n", ph->name, bytes,
		ph->qd, mbs, iops, (unsigned long long)ops, (unsigned long long)us);
	return 0;
}

/* cmp_u64: qsort order for latencies. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* run_flush: write one 4 KiB block at a random place, then time the flush that
 * makes it durable; repeat for ms. Prints count, mean, median, p99 and maximum. */
static int run_flush(struct blkdev *bd, uint8_t *buf, uint64_t ms)
{
	uint32_t ss = bd->info.sector_size;
	uint32_t count = (RAND_BYTES < ss ? ss : RAND_BYTES) / ss;
	uint64_t slots = bd->info.sector_count / count, rng = 0x2545f4914f6cdd1dull;
	uint64_t *lat = malloc(FLUSH_SAMPLES_MAX * sizeof(*lat));
	if (!lat) {
		kprintf("bench: blk flush FAILED: %s\n", cairn_strerror(CAIRN_ENOMEM));
		return CAIRN_ENOMEM;
	}
	uint64_t stop = time_us() + ms * 1000u, sum = 0;
	unsigned n = 0;
	int err = 0;
	do {
		err = blkdev_write(bd, (xorshift64(&rng) % slots) * count, buf, count);
		if (err)
			break;
		uint64_t t = time_us();
		err = blkdev_flush(bd);
		if (err)
			break;
		lat[n] = time_us() - t;
		sum += lat[n++];
	} while (n < FLUSH_SAMPLES_MAX && time_us() < stop);
	if (!err) {
		qsort(lat, n, sizeof(*lat), cmp_u64);
		kprintf("bench: blk flush n=%u avg_us=%llu p50_us=%llu p99_us=%llu max_us=%llu\n",
			n, (unsigned long long)(sum / n), (unsigned long long)lat[n / 2],
			(unsigned long long)lat[(n * 99u) / 100u], (unsigned long long)lat[n - 1]);
	} else {
		kprintf("bench: blk flush FAILED: %s\n", cairn_strerror(err));
	}
	free(lat);
	return err;
}

/* selftest_bench_blk: every phase, then flush latency, on the claimed scratch disk. */
int selftest_bench_blk(uint64_t ms)
{
	struct blkdev *bd;
	int err = vblk_claim("scratch", false, &bd);
	if (err == CAIRN_ENOENT) {
		kprintf("bench: blk skipped (no disk with serial scratch)\n");
		return 0;
	}
	if (err) {
		kprintf("bench: blk FAILED: claim scratch: %s\n", cairn_strerror(err));
		return 1;
	}
	uint32_t ss = bd->info.sector_size;
	uint64_t bytes = bd->info.sector_count * ss;
	kprintf("bench: blk disk serial=scratch ss=%u bytes=%llu\n", ss, (unsigned long long)bytes);
	/* Each of QD_MAX regions must hold at least one request of every size. */
	if (bytes / QD_MAX < (SEQ_BYTES > ss ? SEQ_BYTES : ss)) {
		kprintf("bench: blk FAILED: scratch disk too small (need %u bytes)\n",
			QD_MAX * SEQ_BYTES);
		(void)vblk_release(bd);
		return 1;
	}
	uint8_t *bufs[QD_MAX] = { 0 };
	uint32_t buf_bytes = SEQ_BYTES > ss ? SEQ_BYTES : ss;
	int failed = 0;
	for (unsigned i = 0; i < QD_MAX; i++) {
		bufs[i] = aligned_alloc(BUF_ALIGN, buf_bytes);
		if (!bufs[i]) {
			kprintf("bench: blk FAILED: no memory for buffers\n");
			failed = 1;
			break;
		}
		for (uint32_t j = 0; j < buf_bytes; j++)
			bufs[i][j] = (uint8_t)(j * 131u + i * 7u + 1u);
	}
	for (unsigned p = 0; !failed && p < sizeof(phases) / sizeof(phases[0]); p++)
		failed += run_phase(bd, &phases[p], bufs, ms) != 0;
	if (!failed)
		failed += run_flush(bd, bufs[0], ms) != 0;
	for (unsigned i = 0; i < QD_MAX; i++)
		free(bufs[i]);
	if ((err = vblk_release(bd)) != 0) {
		kprintf("bench: blk FAILED: release: %s\n", cairn_strerror(err));
		failed++;
	}
	return failed;
}
