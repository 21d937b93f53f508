/* statefs benchmark: puts/s (sync after every put and after every 100 puts, 100 B
 * and 4 KiB values), gets/s, write amplification, mount time for 1/4/16/64/256 MiB
 * journals (full replay, from a checkpoint, and the crash bound) and compaction time -- statefs over a file device with real fsync,
 * next to SQLite (WAL, synchronous=FULL) and LMDB (default durable mode) on the
 * same file system in the same run. Usage: bench_statefs [WORKDIR [DATA.json]
 * [mount]]: with DATA.json the mount figures are also written there for the
 * plots (bench/plots.py); "mount": the mount series only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_engines.h"
#include "blkdev_host.h"
#include "statefs.h"

#define NKEYS 1000
#define CASE_SECONDS 4.0
#define REGION_BYTES (32ull << 20)

static const struct bench_engine *const engines[] = {
	&bench_statefs_engine,
	&bench_sqlite_engine,
	&bench_lmdb_engine,
};
#define NENG 3
static const char *workdir = "bench-statefs-work";
static const char *datafile; /* NULL: no data file for the plots */

/* now: monotonic seconds. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* wchar: bytes this process passed to write-type syscalls (/proc/self/io). */
static unsigned long long wchar(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *fp = fopen("/proc/self/io", "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(fp);
	return v;
}

/* fresh_dir: an empty per-engine directory under the work dir. */
static const char *fresh_dir(const char *engine)
{
	static char dir[512];
	static const char *const files[] = { "statefs.img",   "sqlite.db", "sqlite.db-wal",
					     "sqlite.db-shm", "data.mdb",  "lock.mdb" };
	char path[600];
	snprintf(dir, sizeof(dir), "%s/%s", workdir, engine);
	(void)mkdir(workdir, 0755);
	(void)mkdir(dir, 0755);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	return dir;
}

/* key_of: the i-th benchmark key. */
static const char *key_of(unsigned i)
{
	static char key[40];
	snprintf(key, sizeof(key), "/state/bench/%05u", i % NKEYS);
	return key;
}

/* Result of one put workload on one engine. */
struct put_result {
	double puts_per_s;
	double write_amp; /* write() bytes per payload (key + value) byte */
	void *h;	  /* the still-open store, for the gets that follow */
};

/* run_puts: up to max_ops puts of vlen bytes, commit every `every`, time-capped. */
static struct put_result run_puts(const struct bench_engine *e, size_t vlen, unsigned every,
				  unsigned max_ops)
{
	struct put_result r = { 0 };
	static uint8_t val[4096];
	if (e->open(&r.h, fresh_dir(e->name), REGION_BYTES)) {
		fprintf(stderr, "%s: open failed\n", e->name);
		exit(2);
	}
	unsigned long long w0 = wchar(), payload = 0;
	double t0 = now(), t = t0;
	unsigned i = 0;
	for (; i < max_ops && t - t0 < CASE_SECONDS; i++) {
		memcpy(val, &i, sizeof(i));
		const char *k = key_of(i);
		if (e->put(r.h, k, val, vlen) || ((i + 1) % every == 0 && e->commit(r.h))) {
			fprintf(stderr, "%s: put/commit failed\n", e->name);
			exit(2);
		}
		payload += strlen(k) + vlen;
		if ((i + 1) % every == 0)
			t = now();
	}
	(void)e->commit(r.h);
	t = now();
	r.puts_per_s = i / (t - t0);
	r.write_amp = payload ? (double)(wchar() - w0) / (double)payload : 0;
	return r;
}

/* run_gets: random gets of existing keys for a bounded time. */
static double run_gets(const struct bench_engine *e, void *h, size_t vlen)
{
	static uint8_t buf[8192];
	uint64_t x = 12345;
	double t0 = now(), t = t0;
	unsigned n = 0;
	while (t - t0 < CASE_SECONDS / 2 && n < 400000) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if (e->get(h, key_of((unsigned)(x >> 33)), buf, sizeof(buf)) != (int)vlen) {
			fprintf(stderr, "%s: get failed\n", e->name);
			exit(2);
		}
		if (++n % 256 == 0)
			t = now();
	}
	return n / (now() - t0);
}

/* row: one metric line with statefs/peer ratios (higher_better picks the sense). */
static void row(const char *metric, const double v[NENG], const char *unit)
{
	printf("%-34s %12.1f %12.1f %12.1f  %-8s %7.2fx %7.2fx\n", metric, v[0], v[1], v[2], unit,
	       v[1] ? v[0] / v[1] : 0, v[2] ? v[0] / v[2] : 0);
}

/* bench_puts_and_gets: the four put workloads, plus gets after sync/100 ones. */
static void bench_puts_and_gets(void)
{
	static const struct {
		const char *name;
		size_t vlen;
		unsigned every, max_ops;
	} cases[] = {
		{ "100 B, sync every put", 100, 1, 5000 },
		{ "4 KiB, sync every put", 4096, 1, 5000 },
		{ "100 B, sync every 100", 100, 100, 200000 },
		{ "4 KiB, sync every 100", 4096, 100, 30000 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double rate[NENG], wa[NENG], gets[NENG];
		for (int e = 0; e < NENG; e++) {
			struct put_result r = run_puts(engines[e], cases[c].vlen, cases[c].every,
						       cases[c].max_ops);
			rate[e] = r.puts_per_s;
			wa[e] = r.write_amp;
			if (cases[c].every > 1)
				gets[e] = run_gets(engines[e], r.h, cases[c].vlen);
			engines[e]->close(r.h);
		}
		char m[64];
		snprintf(m, sizeof(m), "puts/s %s", cases[c].name);
		row(m, rate, "ops/s");
		snprintf(m, sizeof(m), "  write amp %s", cases[c].name);
		row(m, wa, "x");
		if (cases[c].every > 1) {
			snprintf(m, sizeof(m), "gets/s %zu B values", cases[c].vlen);
			row(m, gets, "ops/s");
		}
		fflush(stdout);
	}
}

/* open_sfs: open (and optionally create) the statefs image of the work dir. */
static struct statefs *open_sfs(struct blkdev_file *f, uint64_t region, bool create, uint32_t flags,
				struct statefs_replay_report *rep)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/statefs/statefs.img", workdir);
	int err = create ? blkdev_file_create(f, path, 4096, 2 + 2 * (region / 4096))
			 : blkdev_file_open(f, path, 4096, false);
	struct statefs_config cfg = { .bdev = &f->dev,
				      .flags = STATEFS_MOUNT_FORMAT_EMPTY | flags };
	struct statefs *fs = NULL;
	f->sync_on_flush = 1;
	if (err || statefs_mount(&fs, &cfg, rep)) {
		fprintf(stderr, "statefs: cannot open %s\n", path);
		exit(2);
	}
	return fs;
}

/* put_4k: put i's 4 KiB value (one of 64 keys), syncing every 100th put. */
static void put_4k(struct statefs *fs, unsigned i)
{
	static uint8_t val[4096];
	memcpy(val, &i, sizeof(i));
	if (statefs_put(fs, key_of(i % 64), val, sizeof(val)) ||
	    ((i + 1) % 100 == 0 && statefs_sync(fs)))
		exit(2);
}

/* fill_statefs: 4 KiB puts over 64 keys (sync every 100) without checkpoints until
 * the journal tail passes `until` bytes, without compacting; returns the puts. */
static unsigned fill_statefs(uint64_t region, uint64_t until)
{
	struct blkdev_file f;
	struct statefs_stats st;
	(void)fresh_dir("statefs");
	struct statefs *fs = open_sfs(&f, region, true, STATEFS_MOUNT_NO_CHECKPOINT, NULL);
	unsigned i = 0;
	do {
		put_4k(fs, i++);
		statefs_stats(fs, &st);
	} while (st.tail < until);
	(void)statefs_unmount(fs);
	(void)blkdev_file_close(&f);
	return i;
}

/* open_datafile: the plots' data file (its folder, build/bench/, may not
 * exist yet); NULL when none was asked for or it cannot be written (said). */
static FILE *open_datafile(void)
{
	if (!datafile)
		return NULL;
	char dir[600];
	snprintf(dir, sizeof(dir), "%s", datafile);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0777);
	}
	FILE *out = fopen(datafile, "w");
	if (!out)
		fprintf(stderr, "statefs: cannot write %s: %s\n", datafile, strerror(errno));
	return out;
}

/* time_mount: best of 3 read-only mounts (ms); rep from the last one. */
static double time_mount(struct statefs_replay_report *rep)
{
	double best = 1e9;
	for (int k = 0; k < 3; k++) {
		struct blkdev_file f;
		double t0 = now();
		struct statefs *fs = open_sfs(&f, 0, false, STATEFS_MOUNT_READ_ONLY, rep);
		double t = now() - t0;
		statefs_abandon(fs);
		(void)blkdev_file_close(&f);
		best = t < best ? t : best;
	}
	return best * 1e3;
}

/* time_raw_read: best of 3 reads (ms) of the first `bytes` journal bytes of the
 * image file in 1 MiB preads: the same-run reference (the bytes a full replay reads). */
static double time_raw_read(uint64_t bytes)
{
	static uint8_t buf[1 << 20];
	char path[600];
	snprintf(path, sizeof(path), "%s/statefs/statefs.img", workdir);
	double best = 1e9;
	for (int k = 0; k < 3; k++) {
		FILE *fp = fopen(path, "rb");
		if (!fp)
			exit(2);
		double t0 = now();
		for (uint64_t off = 0; off < bytes; off += sizeof(buf))
			if (pread(fileno(fp), buf, sizeof(buf), (off_t)(2 * 4096 + off)) <= 0)
				exit(2);
		double t = now() - t0;
		fclose(fp);
		best = t < best ? t : best;
	}
	return best * 1e3;
}

/* bench_mount: mount time over journal sizes, all from one fill per size (4 KiB
 * values over 64 keys, sync every 100): a full replay (no checkpoint: what every
 * mount did before format v3), a mount from a checkpoint written at unmount, and
 * the crash bound: a mount from a checkpoint with just under ckpt_interval (1 MiB)
 * of records after it and no unmount. Each next to a raw read of the same bytes. */
static void bench_mount(void)
{
	static const unsigned mib[] = { 1, 4, 16, 64, 256 };
	FILE *out = open_datafile();
	if (out)
		fprintf(out, "{\"what\": \"statefs mount, host, warm page cache\", \"mount\": [");
	printf("mount (warm page cache, 64 live keys, 4 KiB values; ratio = mount / raw read of "
	       "the journal bytes, same run)\n");
	printf("%-9s %8s %9s %10s %16s %16s %16s\n", "journal", "records", "raw read",
	       "full replay", "ckpt (unmount)", "ckpt + 1 MiB", "full/ckpt");
	for (size_t m = 0; m < sizeof(mib) / sizeof(mib[0]); m++) {
		uint64_t region = (uint64_t)mib[m] << 20;
		uint64_t room = mib[m] >= 4 ? (1u << 20) + (64u << 10) : 0;
		unsigned n = fill_statefs(region, region * 9 / 10 - room);
		struct statefs_replay_report full, ck, crash;
		struct statefs_stats st;
		struct blkdev_file f;
		double t_full = time_mount(&full);
		/* one put, then unmount: the sync or the unmount writes a checkpoint */
		struct statefs *fs = open_sfs(&f, 0, false, 0, NULL);
		put_4k(fs, n++);
		(void)statefs_unmount(fs);
		(void)blkdev_file_close(&f);
		double t_ck = time_mount(&ck);
		double t_crash = -1;
		if (room) { /* ~1 MiB more, synced, then a crash (no unmount checkpoint) */
			fs = open_sfs(&f, 0, false, 0, NULL);
			for (unsigned k = 0; k < 240; k++)
				put_4k(fs, n++);
			if (statefs_sync(fs))
				exit(2);
			statefs_stats(fs, &st);
			statefs_abandon(fs);
			(void)blkdev_file_close(&f);
			t_crash = time_mount(&crash);
		}
		double raw = time_raw_read(full.stop_offset);
		char c2[40] = "-";
		if (t_crash >= 0)
			snprintf(c2, sizeof(c2), "%.2f ms %5.2fx", t_crash, t_crash / raw);
		printf("%3u MiB  %8llu %6.2f ms %6.2f ms %5.2fx %6.2f ms %5.2fx %16s  %7.0fx\n",
		       mib[m], (unsigned long long)full.records_replayed, raw, t_full, t_full / raw,
		       t_ck, t_ck / raw, c2, t_full / t_ck);
		printf("         replayed: full %llu, ckpt %llu (%s, %llu keys), ckpt + 1 MiB "
		       "%llu\n",
		       (unsigned long long)full.records_replayed,
		       (unsigned long long)ck.records_replayed,
		       statefs_ckpt_use_name(ck.checkpoint), (unsigned long long)ck.checkpoint_keys,
		       room ? (unsigned long long)crash.records_replayed : 0ull);
		fflush(stdout);
		if (out)
			fprintf(out,
				"%s\n {\"journal_mib\": %u, \"records\": %llu, \"raw_ms\": %.3f, "
				"\"ms\": %.3f, \"ckpt_ms\": %.3f, \"crash_ms\": %.3f}",
				m ? "," : "", mib[m], (unsigned long long)full.records_replayed,
				raw, t_full, t_ck, t_crash);
	}
	if (out) {
		fprintf(out, "\n]}\n");
		if (fclose(out))
			fprintf(stderr, "statefs: cannot write %s\n", datafile);
	}
}

/* bench_compaction: time of the put that triggers a compaction of a live set of
 * 1 MiB and 8 MiB (4 KiB values) in a 16 MiB region. */
static void bench_compaction(void)
{
	static const unsigned live_keys[] = { 256, 2048 };
	static uint8_t val[4096];
	for (int c = 0; c < 2; c++) {
		struct blkdev_file f;
		struct statefs_stats st;
		char key[40];
		(void)fresh_dir("statefs");
		struct statefs *fs = open_sfs(&f, 16u << 20, true, 0, NULL);
		double worst = 0;
		for (unsigned i = 0;; i++) {
			snprintf(key, sizeof(key), "/state/c/%05u", i % live_keys[c]);
			double t0 = now();
			if (statefs_put(fs, key, val, sizeof(val)))
				exit(2);
			double t = now() - t0;
			statefs_stats(fs, &st);
			if (st.compactions) {
				worst = t;
				break;
			}
		}
		printf("compaction of %4u KiB live set (16 MiB region): %8.2f ms\n",
		       live_keys[c] * 4, worst * 1e3);
		(void)statefs_unmount(fs);
		(void)blkdev_file_close(&f);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1)
		workdir = argv[1];
	printf("statefs benchmark: work dir %s, sqlite %s, lmdb default durable mode\n", workdir,
	       "WAL+FULL");
	printf("%-34s %12s %12s %12s  %-8s %8s %8s\n", "metric", "statefs", "sqlite", "lmdb",
	       "unit", "sfs/sql", "sfs/lmdb");
	bool only_mount = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "mount") == 0)
			only_mount = true;
		else
			datafile = argv[i];
	}
	if (!only_mount)
		bench_puts_and_gets();
	bench_mount();
	if (!only_mount)
		bench_compaction();
	return 0;
}
