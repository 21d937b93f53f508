/* The "pkgfsbench" boot mode (pkgfs_svc_bench in packagefs_svc.h): packagefs against the raw
 * disk in one run, on the image attached as the pkgfs disk.
 *
 *   PKGFSBENCH: mount files=<n> dirs=<n> us_min=<n> us_max=<n>
 *   PKGFSBENCH: round <i> raw_us=<n> hash_us=<n> first_us=<n> cold_us=<n>
 *               pair_ref_us=<n> pair_cold_us=<n>            (one line per round)
 *   PKGFSBENCH: read bytes=<n> raw_us=<n> hash_us=<n> raw_hashed_us=<n> raw_first_us=<n>
 *               first_us=<n> first_max_us=<n> first_reads=<n> first_hashed=<n>
 *               cold_us=<n> cold_max_us=<n> cold_hashed=<n> warm_bytes=<n> warm_us=<n>
 *               raw_kibs=<n> cold_kibs=<n> warm_kibs=<n> cold_vs_ref_pct=<n>
 *               cold_vs_raw_hashed_pct=<n> pair_ref_us=<n> pair_cold_us=<n> pair_pct=<n>
 *               mount_us=<n>
 *
 * mount: MOUNT_RUNS fresh pkgfs_mount calls (full validation, root hash,
 * signature). read (only when pkg:/bench/big exists): READ_ROUNDS rounds, each in
 * this order, and the minimum of each time over the rounds (first_max_us and
 * cold_max_us: the maxima, to show the spread):
 *   raw         the file's extent read with blkdev_read straight from the claimed
 *               disk (CHUNK requests);
 *   hash        SHA-256 of the same bytes from memory (the hashing alone);
 *   raw_first   one raw 4 KiB read at the file's start (a first byte without the
 *               engine: one device request);
 *   raw_hashed  the extent read raw in packagefs' largest device request
 *               (PKGFS_READAHEAD_BYTES, 128 KiB),
 *               each piece hashed before the next request (the same work without
 *               the engine);
 *   first       a fresh mount, then one 1-byte read at offset 0: the latency of the
 *               first byte, its device reads and the pages it hashed (the data page
 *               and the tree pages above it);
 *   cold        another fresh mount, the whole file in CHUNK reads (every page read
 *               from the device and verified against the hash tree);
 *   warm        the file's last WARM_BYTES again through that mount (cached);
 *   paired      cold and its reference interleaved chunk by chunk on another fresh
 *               mount (bench_paired): pair_ref_us sums the raw reads + SHA-256 of
 *               each CHUNK, pair_cold_us the packagefs reads of the same chunks;
 *               pair_pct = 100 * pair_ref_us / pair_cold_us, both summed over all
 *               rounds. Under a loaded host this is the steadier ratio: both halves
 *               see the same moments.
 * The reference for cold is raw_us + hash_us ("raw read + SHA-256 of the same
 * bytes"): cold_vs_ref_pct = 100 * (raw_us + hash_us) / cold_us, the throughput of
 * cold as a share of it; cold_vs_raw_hashed_pct compares with raw_hashed the same way.
 * The SHA-256 of the bytes every raw, cold and paired pass returned must equal the
 * file's recorded hash, so every path is known to return the same, right data. The
 * buffers are two CHUNKs and the mounts' caches BENCH_CACHE_PAGES, inside packagefs'
 * heap budget. */
#include <stdlib.h>
#include <string.h>

#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/timer.h"
#include "crypto.h"
#include "packagefs.h"
#include "packagefs_internal.h" /* PKGFS_READAHEAD_BYTES */
#include "pkgfs_component.h"

#define MOUNT_RUNS 3u
#define CHUNK (128u * 1024u)		 /* bytes per read call, both paths */
#define RA_CHUNK (PKGFS_READAHEAD_BYTES) /* packagefs' device request size */
#define BIG "pkg:/bench/big"
/* Cache of the bench's mounts: 1024 pages (4 MiB + 64 KiB read-ahead), inside
 * packagefs' heap budget (components/capabilities.txt) next to the component's own
 * mount. The 8 MiB file does not fit: warm re-reads the cached tail, WARM_BYTES. */
#define BENCH_CACHE_PAGES 1024u
#define WARM_BYTES (2u << 20)
#define READ_ROUNDS 5u

/* kibs: KiB per second for bytes in us microseconds (0 when us is 0). */
static uint64_t kibs(uint64_t bytes, uint64_t us) { return us ? bytes * 1000000u / 1024u / us : 0; }

/* bench_mount: time MOUNT_RUNS fresh mounts of dev. */
static int bench_mount(struct blkdev *dev)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	struct pkgfs_totals t = { 0 };
	for (unsigned i = 0; i < MOUNT_RUNS; i++) {
		struct pkgfs_config cfg = pkgfs_comp_config(0);
		struct pkgfs_mount_report rep;
		struct pkgfs *fs;
		uint64_t t0 = time_us();
		int err = pkgfs_mount(&fs, dev, &cfg, &rep);
		uint64_t us = time_us() - t0;
		if (err) {
			kprintf("PKGFSBENCH: mount failed: %s\n", rep.reason);
			return err;
		}
		pkgfs_totals(fs, &t);
		(void)pkgfs_unmount(fs);
		lo = us < lo ? us : lo;
		hi = us > hi ? us : hi;
	}
	kprintf("PKGFSBENCH: mount files=%u dirs=%u us_min=%llu us_max=%llu\n", t.files, t.dirs,
		(unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

/* Figures of the read benchmark, in microseconds unless named otherwise. */
struct read_figs {
	uint64_t len, raw_us, hash_us, rawh_us, raw_first_us, first_us, first_max_us;
	uint64_t first_reads, first_hashed, cold_us, cold_max_us, cold_hashed, warm_bytes, warm_us;
	uint64_t cold_reads, pair_ref_us, pair_cold_us, mount_us;
};

/* raw_pass: the extent [off, off+len) straight from the disk in req-byte requests
 * into buf, each piece hashed before the next request. *read_us and *hash_us get
 * the time spent in each; the digest must equal want. */
static int raw_pass(struct blkdev *dev, uint64_t off, uint64_t len, uint32_t req, uint8_t *buf,
		    const uint8_t want[PKGFS_HASH_SIZE], uint64_t *read_us, uint64_t *hash_us)
{
	uint32_t ss = dev->info.sector_size;
	struct crypto_sha256 h;
	uint8_t got[CRYPTO_SHA256_SIZE];
	int err = off % ss ? CAIRN_EINVAL : 0;
	*read_us = *hash_us = 0;
	crypto_sha256_init(&h);
	for (uint64_t done = 0; !err && done < len;) {
		uint64_t n = len - done < req ? len - done : req;
		uint32_t count = (uint32_t)((n + ss - 1) / ss);
		uint64_t t0 = time_us();
		err = blkdev_read(dev, (off + done) / ss, buf, count);
		uint64_t t1 = time_us();
		if (!err)
			crypto_sha256_update(&h, buf, (size_t)n);
		*read_us += t1 - t0;
		*hash_us += time_us() - t1;
		done += n;
	}
	crypto_sha256_final(&h, got);
	if (err)
		return err;
	return memcmp(got, want, CRYPTO_SHA256_SIZE) == 0 ? 0 : CAIRN_EBADMSG;
}

/* pkg_pass: [from, len) of the open file through packagefs in CHUNK calls into buf;
 * *us gets the time inside pkgfs_read only. The bytes are hashed outside the timed
 * part into h (may be NULL), so the caller can prove what was returned. */
static int pkg_pass(struct pkgfs_file *f, uint64_t from, uint64_t len, uint8_t *buf,
		    struct crypto_sha256 *h, uint64_t *us)
{
	*us = 0;
	for (uint64_t done = from; done < len;) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		uint64_t t0 = time_us();
		int got = pkgfs_read(f, done, buf, n);
		*us += time_us() - t0;
		if (got < 0)
			return got;
		if ((size_t)got != n)
			return CAIRN_EIO;
		if (h)
			crypto_sha256_update(h, buf, n);
		done += n;
	}
	return 0;
}

/* open_fresh: a fresh mount of dev with BENCH_CACHE_PAGES pages, BIG open in *f. */
static int open_fresh(struct blkdev *dev, struct pkgfs **fs, struct pkgfs_file *f,
		      uint64_t *mount_us)
{
	struct pkgfs_config cfg = pkgfs_comp_config(BENCH_CACHE_PAGES);
	struct pkgfs_mount_report rep;
	uint64_t t0 = time_us();
	int err = pkgfs_mount(fs, dev, &cfg, &rep);
	if (mount_us)
		*mount_us = time_us() - t0;
	if (err) {
		kprintf("PKGFSBENCH: mount failed: %s\n", rep.reason[0] ? rep.reason : "?");
		return err;
	}
	err = pkgfs_open(*fs, BIG, f);
	if (err) {
		kprintf("PKGFSBENCH: no %s in the image (%s): read benchmark skipped\n", BIG,
			cairn_strerror(err));
		(void)pkgfs_unmount(*fs);
	}
	return err;
}

/* close_fresh: close f and unmount fs. */
static void close_fresh(struct pkgfs *fs, struct pkgfs_file *f)
{
	(void)pkgfs_close(f);
	(void)pkgfs_unmount(fs);
}

/* bench_first: a fresh mount's first 1-byte read; its time, device reads, hashes. */
static int bench_first(struct blkdev *dev, uint8_t first, struct read_figs *r)
{
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct pkgfs_cache_stats s0, s1;
	uint8_t one;
	int err = open_fresh(dev, &fs, &f, NULL);
	if (err)
		return err;
	pkgfs_cache_stats(fs, &s0);
	uint64_t t0 = time_us();
	int got = pkgfs_read(&f, 0, &one, 1);
	r->first_us = time_us() - t0;
	pkgfs_cache_stats(fs, &s1);
	r->first_reads = s1.misses - s0.misses;
	r->first_hashed = s1.hashed - s0.hashed;
	close_fresh(fs, &f);
	if (got != 1)
		return got < 0 ? got : CAIRN_EIO;
	return one == first ? 0 : CAIRN_EIO;
}

/* bench_cold_warm: a fresh mount read whole (cold; its digest must be the file's),
 * then the tail that the cache still holds read again (warm). */
static int bench_cold_warm(struct blkdev *dev, const uint8_t sha[PKGFS_HASH_SIZE], uint8_t *buf,
			   struct read_figs *r)
{
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct pkgfs_cache_stats s0, s1;
	struct crypto_sha256 h;
	uint8_t got[CRYPTO_SHA256_SIZE];
	int err = open_fresh(dev, &fs, &f, NULL);
	if (err)
		return err;
	crypto_sha256_init(&h);
	pkgfs_cache_stats(fs, &s0);
	err = pkg_pass(&f, 0, r->len, buf, &h, &r->cold_us);
	pkgfs_cache_stats(fs, &s1);
	r->cold_hashed = s1.hashed - s0.hashed;
	r->cold_reads = s1.misses - s0.misses;
	crypto_sha256_final(&h, got);
	if (!err && memcmp(got, sha, sizeof(got)) != 0)
		err = CAIRN_EBADMSG;
	r->warm_bytes = r->len < WARM_BYTES ? r->len : WARM_BYTES;
	if (!err)
		err = pkg_pass(&f, r->len - r->warm_bytes, r->len, buf, NULL, &r->warm_us);
	pkgfs_cache_stats(fs, &s0);
	if (!err && s0.misses != s1.misses)
		err = CAIRN_EAGAIN; /* the warm range was not all cached */
	close_fresh(fs, &f);
	return err;
}

/* bench_paired: the cold read and its reference interleaved chunk by chunk, so the
 * host's load falls on both alike: for each CHUNK, the raw read of it plus its
 * SHA-256, then the packagefs read of the same bytes on a fresh mount. Both
 * digests must be the file's. */
static int bench_paired(struct blkdev *dev, uint64_t off, const uint8_t sha[PKGFS_HASH_SIZE],
			uint8_t *buf, uint8_t *buf2, struct read_figs *r)
{
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct crypto_sha256 hr, hp;
	uint8_t dr[CRYPTO_SHA256_SIZE], dp[CRYPTO_SHA256_SIZE];
	uint32_t ss = dev->info.sector_size;
	int err = open_fresh(dev, &fs, &f, NULL);
	if (err)
		return err;
	crypto_sha256_init(&hr);
	crypto_sha256_init(&hp);
	r->pair_ref_us = r->pair_cold_us = 0;
	for (uint64_t done = 0; !err && done < r->len;) {
		size_t n = r->len - done < CHUNK ? (size_t)(r->len - done) : CHUNK;
		uint64_t t0 = time_us();
		err = blkdev_read(dev, (off + done) / ss, buf, (uint32_t)((n + ss - 1) / ss));
		if (!err)
			crypto_sha256_update(&hr, buf, n);
		uint64_t t1 = time_us();
		int got = err ? err : pkgfs_read(&f, done, buf2, n);
		uint64_t t2 = time_us();
		if (!err && (size_t)got != n)
			err = got < 0 ? got : CAIRN_EIO;
		if (!err)
			crypto_sha256_update(&hp, buf2, n);
		r->pair_ref_us += t1 - t0;
		r->pair_cold_us += t2 - t1;
		done += n;
	}
	crypto_sha256_final(&hr, dr);
	crypto_sha256_final(&hp, dp);
	close_fresh(fs, &f);
	if (!err && (memcmp(dr, sha, sizeof(dr)) != 0 || memcmp(dp, sha, sizeof(dp)) != 0))
		err = CAIRN_EBADMSG;
	return err;
}

/* pct: 100 * ref / us (a throughput share: us is the measured time), 0 when us is 0. */
static uint64_t pct(uint64_t ref, uint64_t us) { return us ? ref * 100u / us : 0; }

/* print_read: the PKGFSBENCH read line. */
static void print_read(const struct read_figs *r)
{
	kprintf("PKGFSBENCH: read bytes=%llu raw_us=%llu hash_us=%llu raw_hashed_us=%llu "
		"raw_first_us=%llu first_us=%llu first_max_us=%llu first_reads=%llu "
		"first_hashed=%llu cold_us=%llu cold_max_us=%llu cold_hashed=%llu "
		"warm_bytes=%llu warm_us=%llu raw_kibs=%llu cold_kibs=%llu warm_kibs=%llu "
		"cold_vs_ref_pct=%llu cold_vs_raw_hashed_pct=%llu pair_ref_us=%llu "
		"pair_cold_us=%llu pair_pct=%llu mount_us=%llu\n",
		(unsigned long long)r->len, (unsigned long long)r->raw_us,
		(unsigned long long)r->hash_us, (unsigned long long)r->rawh_us,
		(unsigned long long)r->raw_first_us, (unsigned long long)r->first_us,
		(unsigned long long)r->first_max_us, (unsigned long long)r->first_reads,
		(unsigned long long)r->first_hashed, (unsigned long long)r->cold_us,
		(unsigned long long)r->cold_max_us, (unsigned long long)r->cold_hashed,
		(unsigned long long)r->warm_bytes, (unsigned long long)r->warm_us,
		(unsigned long long)kibs(r->len, r->raw_us),
		(unsigned long long)kibs(r->len, r->cold_us),
		(unsigned long long)kibs(r->warm_bytes, r->warm_us),
		(unsigned long long)pct(r->raw_us + r->hash_us, r->cold_us),
		(unsigned long long)pct(r->rawh_us, r->cold_us), (unsigned long long)r->pair_ref_us,
		(unsigned long long)r->pair_cold_us,
		(unsigned long long)pct(r->pair_ref_us, r->pair_cold_us),
		(unsigned long long)r->mount_us);
}

/* bench_round: one round of every read figure into r, in the order of the file
 * comment. */
static int bench_round(struct blkdev *dev, uint64_t off, const uint8_t sha[PKGFS_HASH_SIZE],
		       uint8_t *buf, uint8_t *buf2, struct read_figs *r)
{
	uint32_t ss = dev->info.sector_size;
	uint32_t per_page = ss < PKGFS_ALIGN ? PKGFS_ALIGN / ss : 1;
	/* raw read and SHA-256 of the same bytes, timed apart */
	int err = raw_pass(dev, off, r->len, CHUNK, buf, sha, &r->raw_us, &r->hash_us);
	uint8_t first = 0;
	if (!err) { /* one raw 4 KiB read: what a first byte costs without packagefs */
		uint64_t t0 = time_us();
		err = blkdev_read(dev, off / ss, buf, per_page);
		r->raw_first_us = time_us() - t0;
		first = buf[0];
	}
	if (!err) {
		uint64_t rd, hs;
		err = raw_pass(dev, off, r->len, RA_CHUNK, buf, sha, &rd, &hs);
		r->rawh_us = rd + hs;
	}
	if (!err)
		err = bench_first(dev, first, r);
	if (!err)
		err = bench_cold_warm(dev, sha, buf, r);
	if (!err)
		err = bench_paired(dev, off, sha, buf, buf2, r);
	return err;
}

/* keep_min: fold round b into the running minimum a (first_max, cold_max: maxima). */
static void keep_min(struct read_figs *a, const struct read_figs *b, bool first_round)
{
	if (first_round) {
		*a = *b;
		a->first_max_us = b->first_us;
		a->cold_max_us = b->cold_us;
		return;
	}
#define MIN_OF(f) a->f = b->f < a->f ? b->f : a->f
	MIN_OF(raw_us);
	MIN_OF(hash_us);
	MIN_OF(rawh_us);
	MIN_OF(raw_first_us);
	MIN_OF(first_us);
	MIN_OF(cold_us);
	MIN_OF(warm_us);
	a->pair_ref_us += b->pair_ref_us; /* pairs are summed over the rounds, not picked */
	a->pair_cold_us += b->pair_cold_us;
#undef MIN_OF
	a->first_max_us = b->first_us > a->first_max_us ? b->first_us : a->first_max_us;
	a->cold_max_us = b->cold_us > a->cold_max_us ? b->cold_us : a->cold_max_us;
}

/* bench_read: READ_ROUNDS rounds of raw references, first byte, cold and warm reads
 * of BIG; the minimum of each figure is printed (the host's noise only adds time). */
static int bench_read(struct blkdev *dev)
{
	struct read_figs r = { 0 }, best = { 0 };
	struct pkgfs *fs;
	struct pkgfs_file f;
	struct pkgfs_stat st;
	uint64_t off;
	int err = open_fresh(dev, &fs, &f, &r.mount_us);
	if (err)
		return err == CAIRN_ENOENT ? 0 : err;
	(void)pkgfs_extent(&f, &off, &r.len);
	(void)pkgfs_fstat(&f, &st);
	close_fresh(fs, &f);
	uint8_t *buf = malloc(CHUNK), *buf2 = malloc(CHUNK);
	if (r.len == 0)
		err = CAIRN_EINVAL;
	else if (!buf || !buf2)
		err = CAIRN_ENOMEM;
	for (unsigned i = 0; !err && i < READ_ROUNDS; i++) {
		err = bench_round(dev, off, st.sha256, buf, buf2, &r);
		if (!err)
			keep_min(&best, &r, i == 0);
		if (!err)
			kprintf("PKGFSBENCH: round %u raw_us=%llu hash_us=%llu first_us=%llu "
				"cold_us=%llu pair_ref_us=%llu pair_cold_us=%llu\n",
				i, (unsigned long long)r.raw_us, (unsigned long long)r.hash_us,
				(unsigned long long)r.first_us, (unsigned long long)r.cold_us,
				(unsigned long long)r.pair_ref_us,
				(unsigned long long)r.pair_cold_us);
	}
	free(buf);
	free(buf2);
	if (err) {
		kprintf("PKGFSBENCH: read failed: %s\n", cairn_strerror(err));
		return err;
	}
	print_read(&best);
	return 0;
}

/* pkgfs_bench_locked: mount timing, then the read comparison, on the claimed disk. */
int pkgfs_bench_locked(void)
{
	struct blkdev *dev = pkgfs_comp_disk();
	if (!dev) {
		kprintf("PKGFSBENCH: no pkgfs disk attached (serving the fixture)\n");
		return CAIRN_ENODEV;
	}
	int err = bench_mount(dev);
	if (!err)
		err = bench_read(dev);
	if (!err)
		kprintf("PKGFSBENCH: done\n");
	return err;
}
