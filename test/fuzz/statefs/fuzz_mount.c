/* libFuzzer target: treat the input as a statefs device image (memory device),
 * mount it read-only without formatting, list every key in bounded steps, get
 * each, run check; then mount a copy writable, mutate until a compaction ran, and
 * remount. Beyond "nothing may crash, leak or hit UB", the oracles of issue 13:
 * - every value get returns is held by a CRC-valid record in the image;
 * - a DAMAGED or ROLLED_BACK mount is reported by check and never writes: a
 *   writable mount refuses every mutation and the image stays byte-identical;
 * - a CLEAN or TORN_TAIL store loses nothing it replayed when written to: after
 *   puts, a compaction and a remount, every other key still reads the same value;
 * - the writable pass writes index checkpoints (ckpt_interval 1 KiB): the newest
 *   one it wrote loads at the remount (the seeds include checkpointed images and
 *   one with a damaged checkpoint, so loading, fallback and step-over are fuzzed).
 * A broken oracle calls abort(), which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "crypto.h"
#include "statefs.h"

#define FUZZ_MAX_IMAGE (1u << 20)
#define MAX_SEEN 64

/* A key the read-only pass served, and what it held. */
struct seen {
	char key[STATEFS_KEY_MAX + 1];
	int len;      /* value length, or the error get returned */
	uint32_t crc; /* CRC32-C of the value */
};

/* oracle: abort with a message when cond is false. */
static void oracle(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "statefs fuzz oracle failed: %s\n", what);
		abort();
	}
}

/* pick_sector_size: the superblock's sector size when the input claims 4096. */
static uint32_t pick_sector_size(const uint8_t *d, size_t n)
{
	if (n >= 16 && memcmp(d, "CAIRNSFS", 8) == 0 && d[12] == 0 && d[13] == 0x10 && d[14] == 0 &&
	    d[15] == 0)
		return 4096;
	return 512;
}

/* le32: little-endian load. */
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* held_by_record: some CRC-valid record in img holds key with exactly val. Records
 * are packed, so the header sits right before the key; the CRC covers header bytes
 * 0..27, the key and the value (docs/statefs.md). */
static int held_by_record(const uint8_t *img, size_t n, const char *key, const uint8_t *val,
			  size_t vlen)
{
	size_t klen = strlen(key);
	for (size_t off = 0; off + 32 + klen + vlen <= n; off++) {
		const uint8_t *h = img + off;
		if (le32(h) != 0x31524653u || h[4] != 1 || (size_t)(h[6] | h[7] << 8) != klen ||
		    le32(h + 8) != vlen)
			continue;
		if (memcmp(h + 32, key, klen) != 0 ||
		    (vlen && memcmp(h + 32 + klen, val, vlen) != 0))
			continue;
		uint32_t crc = crypto_crc32c(0, h, 28);
		crc = crypto_crc32c(crc, h + 32, klen + vlen);
		if (crc == le32(h + 28))
			return 1;
	}
	return 0;
}

/* walk: list all keys in steps of 5 and read each one; remembers up to MAX_SEEN.
 * img (may be NULL) is the image for the record oracle. */
static int walk(struct statefs *fs, uint8_t *buf, struct seen *seen, const uint8_t *img, size_t n)
{
	struct statefs_dirent d[5];
	char after[STATEFS_KEY_MAX + 1] = "";
	int got, guard = 0, nseen = 0;
	do {
		got = statefs_list(fs, STATEFS_KEY_PREFIX, after, d, 5);
		for (int i = 0; i < got; i++) {
			int len = statefs_get(fs, d[i].key, buf, STATEFS_VALUE_MAX);
			if (len >= 0 && img)
				oracle(held_by_record(img, n, d[i].key, buf, (size_t)len),
				       "get returned a value no valid record holds");
			if (seen && nseen < MAX_SEEN) {
				memcpy(seen[nseen].key, d[i].key, sizeof(seen[nseen].key));
				seen[nseen].len = len;
				seen[nseen].crc = len > 0 ? crypto_crc32c(0, buf, (size_t)len) : 0;
				nseen++;
			}
		}
		if (got > 0)
			memcpy(after, d[got - 1].key, sizeof(after));
	} while (got == 5 && ++guard < 100000);
	return nseen;
}

/* still_there: every key of seen (except the fuzzer's own) reads as before. */
static void still_there(struct statefs *fs, uint8_t *buf, const struct seen *seen, int nseen)
{
	for (int i = 0; i < nseen; i++) {
		if (strncmp(seen[i].key, "/state/fuzz/", 12) == 0 || seen[i].len < 0)
			continue;
		int len = statefs_get(fs, seen[i].key, buf, STATEFS_VALUE_MAX);
		oracle(len == seen[i].len, "a replayed key was lost or changed by writing to the "
					   "store");
		oracle(len == 0 || crypto_crc32c(0, buf, (size_t)len) == seen[i].crc,
		       "a replayed value changed after writes and a compaction");
	}
}

/* writable_pass: mount writable; a refused class must not write at all; otherwise
 * mutate until a compaction ran, remount and compare. */
static void writable_pass(struct blkdev_mem *m, uint8_t *buf, const struct seen *seen, int nseen)
{
	size_t bytes = (size_t)m->dev.info.sector_count * m->dev.info.sector_size;
	uint8_t *before = malloc(bytes);
	struct statefs_config cfg = { .bdev = &m->dev, .ckpt_interval = 1024 }; /* checkpoints */
	struct statefs_replay_report rep;
	struct statefs *fs;
	if (!before || statefs_mount(&fs, &cfg, &rep)) {
		free(before);
		return;
	}
	memcpy(before, m->data, bytes);
	memset(buf, 0xA5, 3000);
	if (rep.refused) {
		oracle(statefs_put(fs, "/state/fuzz/a", buf, 10) == CAIRN_EROFS, "a refused store "
										 "took a put");
		oracle(statefs_truncate_tail(fs) == CAIRN_EROFS, "a refused store took a tail "
								 "repair");
		(void)statefs_unmount(fs);
		oracle(memcmp(before, m->data, bytes) == 0, "a damaged or rolled-back store was "
							    "written");
		free(before);
		return;
	}
	struct statefs_stats st;
	statefs_stats(fs, &st);
	uint64_t limit = st.region_bytes / 3000 + 4, i = 0;
	int err = 0;
	for (; i < limit && !err; i++) {
		statefs_stats(fs, &st);
		if (st.compactions > 0)
			break;
		err = statefs_put(fs, i % 2 ? "/state/fuzz/a" : "/state/fuzz/b", buf, 3000);
	}
	if (!err)
		err = statefs_delete(fs, "/state/fuzz/b");
	if (!err)
		err = statefs_sync(fs);
	if (err) { /* ENOSPC (a full store) or a broken image: the results are not compared */
		statefs_abandon(fs);
		free(before);
		return;
	}
	still_there(fs, buf, seen, nseen);
	(void)statefs_check(fs, NULL);
	statefs_stats(fs, &st);
	bool wrote_ckpt = st.checkpoints > 0; /* the unmount may add one more */
	oracle(statefs_unmount(fs) == 0, "unmount after a successful sync failed");
	cfg.flags = STATEFS_MOUNT_READ_ONLY;
	if (statefs_mount(&fs, &cfg, &rep) == 0) {
		/* bytes the fuzzer left past the new tail may still read as a torn tail */
		oracle(!rep.refused, "a store the engine wrote and synced is refused");
		oracle(!wrote_ckpt || !(rep.checkpoint_damaged & 1), "the newest checkpoint the "
								     "engine wrote does not load");
		still_there(fs, buf, seen, nseen);
		statefs_abandon(fs);
	} else {
		oracle(0, "a store the engine wrote and synced does not mount");
	}
	free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ss = pick_sector_size(data, size);
	if (size == 0 || size > FUZZ_MAX_IMAGE)
		return 0;
	struct blkdev_mem m;
	if (blkdev_mem_init(&m, ss, (size + ss - 1) / ss))
		return 0;
	memcpy(m.data, data, size);
	size_t bytes = (size_t)m.dev.info.sector_count * ss;
	uint8_t *buf = malloc(STATEFS_VALUE_MAX);
	struct seen *seen = malloc(MAX_SEEN * sizeof(*seen));
	struct statefs_config cfg = { .bdev = &m.dev, .flags = STATEFS_MOUNT_READ_ONLY };
	struct statefs_replay_report rep;
	struct statefs *fs;
	if (buf && seen && statefs_mount(&fs, &cfg, &rep) == 0) {
		int nseen = walk(fs, buf, seen, m.data, bytes);
		struct statefs_check_report cr;
		int err = statefs_check(fs, &cr);
		if (rep.refused)
			oracle(err != 0, "check passed a damaged or rolled-back store");
		(void)statefs_stop_reason_name(rep.stop_reason);
		(void)statefs_mount_class_name(rep.mount_class);
		statefs_abandon(fs);
		writable_pass(&m, buf, seen, nseen);
	}
	free(seen);
	free(buf);
	blkdev_mem_fini(&m);
	return 0;
}
