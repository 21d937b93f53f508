/* Helpers for the crash campaign's host tests: a dm-log-writes log builder, a
 * memory device that logs every write and flush into such a log (a host-side
 * stand-in for QEMU's blklogwrites, used only to make synthetic logs), and a
 * host runner of the workload over the statefs engine. */
#ifndef CRASH_TEST_UTIL_H
#define CRASH_TEST_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "crash_log.h"
#include "crash_state.h"
#include "crash_workload.h"
#include "statefs.h"
#include "statefs_svc.h"

/* A growing dm-log-writes log. */
struct tlog {
	uint8_t *buf;
	size_t len, cap;
	uint64_t entries;
};

/* tlog_reserve: make room for n more bytes. */
static inline void tlog_reserve(struct tlog *t, size_t n)
{
	while (t->len + n > t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1 << 16;
		t->buf = realloc(t->buf, t->cap);
		ck_assert_ptr_nonnull(t->buf);
	}
}

/* put64: store v little-endian at p. */
static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* tlog_init: an empty log: the superblock sector. */
static inline void tlog_init(struct tlog *t)
{
	memset(t, 0, sizeof(*t));
	tlog_reserve(t, 512);
	memset(t->buf, 0, 512);
	put64(t->buf, CLOG_MAGIC);
	put64(t->buf + 8, CLOG_VERSION);
	t->buf[24] = 0x00;
	t->buf[25] = 0x02; /* 512 */
	t->len = 512;
}

/* tlog_entry: append one entry (header sector + data sectors). */
static inline void tlog_entry(struct tlog *t, uint64_t sector, uint64_t n, uint64_t flags,
			      const void *data)
{
	tlog_reserve(t, 512 + n * 512);
	uint8_t *h = t->buf + t->len;
	memset(h, 0, 512);
	put64(h, sector);
	put64(h + 8, n);
	put64(h + 16, flags);
	t->len += 512;
	if (n) {
		memcpy(t->buf + t->len, data, n * 512);
		t->len += n * 512;
	}
	t->entries++;
	put64(t->buf + 16, t->entries);
}

/* A memory device that logs what it is sent. skip_flush: flushes are not logged
 * (they never reach the "disk": the broken driver the campaign must catch). */
struct logdev {
	struct blkdev_mem mem;
	struct blkdev dev;
	struct tlog log;
	bool skip_flush;
};

/* ld_read: read from the memory device. */
static inline int ld_read(void *ctx, uint64_t lba, void *buf, uint32_t count)
{
	struct logdev *l = ctx;
	return l->mem.dev.ops->read(l->mem.dev.ctx, lba, buf, count);
}

/* ld_write: log the write, then do it. */
static inline int ld_write(void *ctx, uint64_t lba, const void *buf, uint32_t count)
{
	struct logdev *l = ctx;
	tlog_entry(&l->log, lba, count, 0, buf);
	return l->mem.dev.ops->write(l->mem.dev.ctx, lba, buf, count);
}

/* ld_flush: log the flush (unless it is skipped). */
static inline int ld_flush(void *ctx)
{
	struct logdev *l = ctx;
	if (!l->skip_flush)
		tlog_entry(&l->log, 0, 0, CLOG_FLUSH, NULL);
	return 0;
}

static const struct blkdev_ops ld_ops = { .read = ld_read, .write = ld_write, .flush = ld_flush };

/* logdev_init: a blank logging device of sectors 512-byte sectors. */
static inline void logdev_init(struct logdev *l, uint64_t sectors, bool skip_flush)
{
	memset(l, 0, sizeof(*l));
	ck_assert_int_eq(blkdev_mem_init(&l->mem, 512, sectors), 0);
	l->dev = l->mem.dev;
	l->dev.ops = &ld_ops;
	l->dev.ctx = l;
	l->skip_flush = skip_flush;
	tlog_init(&l->log);
}

/* logdev_fini: free the device and its log. */
static inline void logdev_fini(struct logdev *l)
{
	blkdev_mem_fini(&l->mem);
	free(l->log.buf);
}

/* host_boot: what the statefs component does at boot: mount (formatting a blank
 * device), count the boot, sync. */
static inline struct statefs *host_boot(struct blkdev *bd)
{
	struct statefs_config cfg = { .bdev = bd, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	struct statefs *fs = NULL;
	ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), 0);
	uint8_t v[8];
	uint64_t n = 0;
	if (statefs_get(fs, STATEFS_BOOT_COUNT_KEY, v, 8) == 8)
		for (int i = 7; i >= 0; i--)
			n = n << 8 | v[i];
	n++;
	put64(v, n);
	ck_assert_int_eq(statefs_put(fs, STATEFS_BOOT_COUNT_KEY, v, 8), 0);
	ck_assert_int_eq(statefs_sync(fs), 0);
	return fs;
}

/* host_op: execute one workload op on fs (RESTART re-mounts). */
static inline struct statefs *host_op(struct statefs *fs, struct blkdev *bd, uint64_t seed,
				      const struct cw_op *op)
{
	static uint8_t val[CW_BATCH_MAX][CW_VALUE_MAX];
	char keys[CW_BATCH_MAX][CW_KEY_LEN_MAX];
	struct statefs_op b[CW_BATCH_MAX];
	if (op->kind == CW_RESTART) {
		ck_assert_int_eq(statefs_unmount(fs), 0);
		struct statefs_config cfg = { .bdev = bd };
		ck_assert_int_eq(statefs_mount(&fs, &cfg, NULL), 0);
		return fs;
	}
	for (unsigned i = 0; i < op->n; i++) {
		const struct cw_sub *s = &op->sub[i];
		(void)cw_key(s->key, keys[i]);
		cw_value(seed, op->index, s->key, s->len, val[i]);
		b[i] = (struct statefs_op){ .type = s->del ? STATEFS_OP_DELETE : STATEFS_OP_PUT,
					    .key = keys[i],
					    .value = val[i],
					    .value_len = s->len };
	}
	if (op->kind == CW_BATCH)
		ck_assert_int_eq(statefs_batch(fs, b, op->n), 0);
	else if (op->kind == CW_DELETE)
		ck_assert_int_eq(statefs_delete(fs, keys[0]), 0);
	else
		ck_assert_int_eq(statefs_put(fs, keys[0], val[0], op->sub[0].len), 0);
	if (op->kind == CW_SYNC)
		ck_assert_int_eq(statefs_sync(fs), 0);
	return fs;
}

/* host_record: run the workload for seed in `boots` boots of about `per_boot` ops
 * each over a logging device; boot starts into starts[]; returns the op count. */
static inline uint64_t host_record(struct logdev *l, uint64_t seed, unsigned boots,
				   uint64_t per_boot, uint64_t *starts)
{
	struct cw_gen g;
	struct cw_op op = { 0 };
	cw_init(&g, seed);
	for (unsigned b = 0; b < boots; b++) {
		struct statefs *fs = host_boot(&l->dev);
		starts[b] = g.next;
		uint64_t done = 0;
		do {
			cw_next(&g, &op);
			fs = host_op(fs, &l->dev, seed, &op);
			done++;
		} while (done < per_boot || op.kind != CW_SYNC);
		statefs_abandon(fs); /* like QEMU exiting: everything was synced */
	}
	return op.index + 1;
}

#endif
