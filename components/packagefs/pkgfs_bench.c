/* The "pkgfsbench" boot mode (pkgfs_svc_bench in packagefs_svc.h): packagefs against the raw
 * disk in one run, on the image attached as the pkgfs disk.
 *
 *   PKGFSBENCH: mount files=<n> dirs=<n> us_min=<n> us_max=<n>
 *   PKGFSBENCH: read bytes=<n> raw_us=<n> cold_us=<n> warm_us=<n> hash_us=<n> verify_us=<n>
 *               raw_hashed_us=<n> raw_kibs=<n> cold_kibs=<n> warm_kibs=<n>
 *               cold_vs_raw_pct=<n> mount_us=<n>
 *
 * mount: MOUNT_RUNS fresh pkgfs_mount calls (full validation, root hash,
 * signature). read (only when pkg:/bench/big exists): "raw" reads the file's
 * extent with blkdev_read straight from the claimed disk; "cold" is the first
 * read of the file through a fresh mount (device reads plus the SHA-256 check
 * of the whole content before data is returned); "warm" reads it again through
 * the same mount, whose cache holds the file; "hash" is SHA-256 of the same
 * bytes from memory (the hashing alone) and "verify" the part of the cold read
 * spent before the first byte came back (device reads plus hashing);
 * "raw_hashed" reads the extent raw in packagefs' request size (64 KiB) and
 * hashes each piece before the next request, the same pattern without the
 * engine. The cold bytes are compared with
 * the raw bytes, so both paths are known to return the same data. */
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

/* read_raw: the extent [off, off+len) straight from the disk into buf. */
static int read_raw(struct blkdev *dev, uint64_t off, uint64_t len, uint8_t *buf)
{
	uint32_t ss = dev->info.sector_size;
	uint64_t done = 0;
	if (off % ss)
		return CAIRN_EINVAL;
	while (done < len) {
		uint64_t n = len - done < CHUNK ? len - done : CHUNK;
		uint32_t count = (uint32_t)((n + ss - 1) / ss);
		int err = blkdev_read(dev, (off + done) / ss, buf + done, count);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

/* read_raw_hashed: the extent straight from the disk in RA_CHUNK requests,
 * hashing each chunk before the next request (packagefs' verification pattern
 * without packagefs); the digest must equal the file's recorded hash. */
static int read_raw_hashed(struct blkdev *dev, uint64_t off, uint64_t len, uint8_t *buf,
			   const uint8_t want[PKGFS_HASH_SIZE])
{
	uint32_t ss = dev->info.sector_size;
	uint64_t done = 0;
	struct crypto_sha256 h;
	uint8_t got[CRYPTO_SHA256_SIZE];
	crypto_sha256_init(&h);
	while (done < len) {
		uint64_t n = len - done < RA_CHUNK ? len - done : RA_CHUNK;
		uint32_t count = (uint32_t)((n + ss - 1) / ss);
		int err = blkdev_read(dev, (off + done) / ss, buf, count);
		if (err) {
			crypto_sha256_final(&h, got);
			return err;
		}
		crypto_sha256_update(&h, buf, (size_t)n);
		done += n;
	}
	crypto_sha256_final(&h, got);
	return memcmp(got, want, CRYPTO_SHA256_SIZE) == 0 ? 0 : CAIRN_EBADMSG;
}

/* read_pkg: the whole open file through packagefs into buf, CHUNK at a time. */
static int read_pkg(struct pkgfs_file *f, uint64_t len, uint8_t *buf)
{
	uint64_t done = 0;
	while (done < len) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		int got = pkgfs_read(f, done, buf + done, n);
		if (got < 0)
			return got;
		if ((size_t)got != n)
			return CAIRN_EIO;
		done += n;
	}
	return 0;
}

/* bench_read: raw, cold and warm reads of BIG. */
static int bench_read(struct blkdev *dev)
{
	uint64_t off, len;
	struct pkgfs_file f;
	struct pkgfs *fs;
	struct pkgfs_mount_report rep;
	uint32_t ss = dev->info.sector_size;
	/* A cache that holds the whole file, so the second read is warm. */
	struct pkgfs_config cfg = pkgfs_comp_config(PKGFS_CACHE_PAGES_MAX);
	uint64_t t0 = time_us();
	int err = pkgfs_mount(&fs, dev, &cfg, &rep);
	uint64_t mount_us = time_us() - t0;
	if (err) {
		kprintf("PKGFSBENCH: mount failed: %s\n", rep.reason);
		return err;
	}
	err = pkgfs_open(fs, BIG, &f);
	if (err) {
		kprintf("PKGFSBENCH: no %s in the image (%s): read benchmark skipped\n", BIG,
			cairn_strerror(err));
		(void)pkgfs_unmount(fs);
		return err == CAIRN_ENOENT ? 0 : err;
	}
	(void)pkgfs_extent(&f, &off, &len);
	struct pkgfs_cache_stats cs;
	pkgfs_cache_stats(fs, &cs);
	uint64_t raw_len = (len + ss - 1) / ss * ss;
	uint8_t *raw = malloc(raw_len ? raw_len : 1), *data = malloc(len ? len : 1);
	uint64_t raw_us = 0, cold_us = 0, warm_us = 0, hash_us = 0, verify_us = 0, rawh_us = 0;
	if (len > (uint64_t)cs.pages * cs.page_size - 2u * cs.page_size)
		err = CAIRN_EFBIG; /* warm would not be warm */
	else if (!raw || !data)
		err = CAIRN_ENOMEM;
	if (!err) {
		t0 = time_us();
		err = read_raw(dev, off, len, raw);
		raw_us = time_us() - t0;
	}
	if (!err) {
		struct pkgfs_stat st;
		(void)pkgfs_fstat(&f, &st);
		t0 = time_us();
		err = read_raw_hashed(dev, off, len, data, st.sha256);
		rawh_us = time_us() - t0;
	}
	if (!err) {
		uint8_t digest[CRYPTO_SHA256_SIZE];
		t0 = time_us();
		crypto_sha256(raw, len, digest); /* the verification alone, from memory */
		hash_us = time_us() - t0;
		t0 = time_us();
		int one = pkgfs_read(&f, 0, data, 1); /* the first read verifies the whole file */
		verify_us = time_us() - t0;
		err = one == 1 || len == 0 ? read_pkg(&f, len, data) : (one < 0 ? one : CAIRN_EIO);
		cold_us = time_us() - t0;
	}
	if (!err && memcmp(raw, data, len) != 0)
		err = CAIRN_EIO;
	if (!err) {
		memset(data, 0, len);
		t0 = time_us();
		err = read_pkg(&f, len, data);
		warm_us = time_us() - t0;
	}
	if (!err && memcmp(raw, data, len) != 0)
		err = CAIRN_EIO;
	free(raw);
	free(data);
	(void)pkgfs_close(&f);
	(void)pkgfs_unmount(fs);
	if (err) {
		kprintf("PKGFSBENCH: read failed: %s\n", cairn_strerror(err));
		return err;
	}
	uint64_t rk = kibs(len, raw_us), ck = kibs(len, cold_us), wk = kibs(len, warm_us);
	kprintf("PKGFSBENCH: read bytes=%llu raw_us=%llu cold_us=%llu warm_us=%llu "
		"hash_us=%llu verify_us=%llu raw_hashed_us=%llu raw_kibs=%llu cold_kibs=%llu "
		"warm_kibs=%llu cold_vs_raw_pct=%llu "
		"mount_us=%llu\n",
		(unsigned long long)len, (unsigned long long)raw_us, (unsigned long long)cold_us,
		(unsigned long long)warm_us, (unsigned long long)hash_us,
		(unsigned long long)verify_us, (unsigned long long)rawh_us, (unsigned long long)rk,
		(unsigned long long)ck, (unsigned long long)wk,
		(unsigned long long)(rk ? ck * 100u / rk : 0), (unsigned long long)mount_us);
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
