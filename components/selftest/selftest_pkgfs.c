/* packagefs selftests, run as the selftest component through packagefs_svc.h.
 *
 *   virtio disk:  known files read back exactly (test/qemu/pkgfs_boots.py
 *                 builds the image: /bin/hello and the /data/pattern formula
 *                 below), readdir with a resumed cursor, path and handle errors,
 *                 the disk cannot be claimed by anyone else
 *                 -> "SELFTEST: pkgfs virtio ro ok"
 *   fixture:      the files of components/packagefs/fixture/
 *                 -> "SELFTEST: pkgfs fixture ok"
 *   "pkgfscorrupt=<path>" on the command line: that file's first page (or the
 *                 hash-tree page above it) was altered on the disk; reading it
 *                 must fail with CAIRN_EIO (twice) and leave an AUDIT_INTEGRITY
 *                 record, while other files still read
 *                 -> "SELFTEST: pkgfs integrity refused ok"
 *   "pkgfsgoodoff=<n>" as well: the same file's page at byte n is intact and must
 *                 still read, as the repeated VICTIM_LINE of pkgfs_boots.py
 *                 -> "SELFTEST: pkgfs damaged page isolated ok"
 *   concurrency:  4 threads open and read at once, every byte exact
 *                 -> "SELFTEST: pkgfs concurrent readers ok"
 *   restart:      a handle opened before a packagefs restart is dead after it,
 *                 and the remounted image serves again
 *                 -> "SELFTEST: pkgfs restart ok"
 *   denial (from the kernel, selftest_pkgfs_denied): a thread of crypto, which the
 *                 table does not grant packagefs, is refused with EPERM and a
 *                 cap audit record -> "SELFTEST: pkgfs denied ungranted caller ok" */
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "packagefs_svc.h"
#include "selftest.h"
#include "virtio_blk.h"

#define DISK_HELLO "hello from a packagefs disk\n"
#define FIXTURE_HELLO "hello from the packagefs fixture\n"
#define PATTERN_PATH "pkg:/data/pattern"
#define PATTERN_SIZE 300001u
/* /data/victim of pkgfs_boots.py is this line, repeated. */
#define VICTIM_LINE "packagefs victim file, altered on the disk by the data boot\n"

/* pattern_byte: byte i of /data/pattern (same formula in pkgfs_boots.py). */
static uint8_t pattern_byte(uint64_t i) { return (uint8_t)((i * 131u + (i >> 12)) & 0xffu); }

/* fail: print a failure line for what, with the error; returns 1. */
static int fail(const char *what, int rc)
{
	kprintf("ktest: pkgfs %s FAILED (%d %s)\n", what, rc, rc < 0 ? cairn_strerror(rc) : "");
	return 1;
}

/* check_small: path holds exactly want. */
static int check_small(const char *path, const char *want)
{
	char buf[128];
	size_t n = strlen(want);
	int h = pkgfs_svc_open(path);
	if (h < 0)
		return fail(path, h);
	int got = pkgfs_svc_read(h, 0, buf, sizeof(buf));
	int again = pkgfs_svc_read(h, n, buf + n, 16); /* at the end: 0 */
	int rc = pkgfs_svc_close(h);
	if (got != (int)n || memcmp(buf, want, n) != 0 || again != 0 || rc != 0)
		return fail(path, got < 0 ? got : rc);
	return 0;
}

/* check_pattern: /data/pattern through odd offsets and chunk sizes. */
static int check_pattern(void)
{
	static const size_t chunks[] = { 4096, 1, 65536 + 17, 4095, 200000 };
	struct pkgfs_stat st;
	int h = pkgfs_svc_open(PATTERN_PATH);
	if (h < 0)
		return fail(PATTERN_PATH, h);
	uint8_t *buf = malloc(200000);
	int err = buf ? pkgfs_svc_fstat(h, &st) : CAIRN_ENOMEM;
	if (!err && st.size != PATTERN_SIZE)
		err = CAIRN_ERANGE;
	uint64_t off = 0;
	for (unsigned k = 0; !err && off < PATTERN_SIZE; k++) {
		size_t want = chunks[k % 5];
		if (want > PATTERN_SIZE - off)
			want = (size_t)(PATTERN_SIZE - off);
		int got = pkgfs_svc_read(h, off, buf, chunks[k % 5]);
		if (got != (int)want) {
			err = got < 0 ? got : CAIRN_EIO;
			break;
		}
		for (size_t i = 0; i < want; i++)
			if (buf[i] != pattern_byte(off + i))
				err = CAIRN_EBADMSG;
		off += want;
	}
	free(buf);
	int rc = pkgfs_svc_close(h);
	if (err || rc)
		return fail(PATTERN_PATH, err ? err : rc);
	return 0;
}

/* check_readdir: list dir twice, the second time stopping after each entry and
 * resuming from the saved cursor; same names, strictly sorted, count = size. */
static int check_readdir(const char *dir)
{
	struct pkgfs_stat st;
	struct pkgfs_dirent a, b;
	int err = pkgfs_svc_stat(dir, &st);
	if (err)
		return fail(dir, err);
	uint64_t c1 = 0, n = 0;
	char prev[PKGFS_NAME_MAX + 1] = "";
	int r;
	while ((r = pkgfs_svc_readdir(dir, &c1, &a)) == 1) {
		uint64_t c2 = c1 - 1; /* a fresh walker resuming at this entry */
		if (pkgfs_svc_readdir(dir, &c2, &b) != 1 || strcmp(a.name, b.name) != 0 || c2 != c1)
			return fail("readdir resume", 0);
		if (n && strcmp(prev, a.name) >= 0)
			return fail("readdir order", 0);
		strcpy(prev, a.name);
		n++;
	}
	if (r != 0 || n != st.size)
		return fail("readdir count", r);
	return 0;
}

/* check_errors: bad paths and handles get clear errors. */
static int check_errors(const char *file, const char *dir)
{
	struct pkgfs_stat st;
	char buf[8];
	int failed = 0;
	struct {
		const char *path;
		int want;
	} cases[] = {
		{ file + 4, CAIRN_EINVAL },	      /* no "pkg:" prefix */
		{ "pkgfs:/bin/hello", CAIRN_EINVAL }, /* another prefix */
		{ "pkg:bin/hello", CAIRN_EINVAL },    /* relative */
		{ "pkg:/bin/../bin", CAIRN_EINVAL },
		{ "pkg://bin", CAIRN_EINVAL },
		{ "pkg:/no/such/file", CAIRN_ENOENT },
		{ NULL, CAIRN_EINVAL },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = pkgfs_svc_stat(cases[i].path, &st);
		if (rc != cases[i].want)
			failed += fail(cases[i].path ? cases[i].path : "(null)", rc);
	}
	int rc = pkgfs_svc_open(dir);
	if (rc != CAIRN_EISDIR)
		failed += fail("open of a directory", rc);
	int h = pkgfs_svc_open(file);
	if (h < 0)
		return failed + fail(file, h);
	if ((rc = pkgfs_svc_close(h)) != 0)
		failed += fail("close", rc);
	if ((rc = pkgfs_svc_close(h)) != CAIRN_EINVAL)
		failed += fail("double close", rc);
	if ((rc = pkgfs_svc_read(h, 0, buf, sizeof(buf))) != CAIRN_EINVAL)
		failed += fail("read of a closed handle", rc);
	if ((rc = pkgfs_svc_read(-1, 0, buf, sizeof(buf))) != CAIRN_EINVAL)
		failed += fail("read of handle -1", rc);
	return failed;
}

/* check_good_page: the damaged file's page at off still reads, exactly. */
static int check_good_page(const char *path, uint64_t off)
{
	char buf[64];
	const size_t line = sizeof(VICTIM_LINE) - 1;
	int h = pkgfs_svc_open(path);
	if (h < 0)
		return fail(path, h);
	int got = pkgfs_svc_read(h, off, buf, sizeof(buf));
	(void)pkgfs_svc_close(h);
	if (got != (int)sizeof(buf))
		return fail("read of an intact page of the damaged file", got);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != VICTIM_LINE[(off + i) % line])
			return fail("content of an intact page of the damaged file", CAIRN_EBADMSG);
	kprintf("SELFTEST: pkgfs damaged page isolated ok\n");
	return 0;
}

/* check_corrupt: the altered file is refused with EIO and audited; with good_off
 * set (>= 0), the same file's page there still reads. */
static int check_corrupt(const char *path, int64_t good_off)
{
	char buf[64];
	uint64_t seq = audit_next_seq();
	int h = pkgfs_svc_open(path);
	if (h < 0)
		return fail(path, h);
	int r1 = pkgfs_svc_read(h, 0, buf, sizeof(buf));
	int r2 = pkgfs_svc_read(h, 0, buf, sizeof(buf));
	(void)pkgfs_svc_close(h);
	bool audited = selftest_audited(seq, AUDIT_INTEGRITY, CAP_COMP_SELFTEST, CAP_COMP_PACKAGEFS,
					"read", path + 4, true) != 0;
	if (r1 != CAIRN_EIO || r2 != CAIRN_EIO || !audited) {
		kprintf("ktest: pkgfs corrupt file FAILED: reads %d %d, audit record %s\n", r1, r2,
			audited ? "found" : "missing");
		return 1;
	}
	if (check_small("pkg:/bin/hello", DISK_HELLO))
		return 1;
	kprintf("SELFTEST: pkgfs integrity refused ok\n");
	return good_off >= 0 ? check_good_page(path, (uint64_t)good_off) : 0;
}

#define READERS 4
#define READER_ROUNDS 8

struct reader_job {
	const char *path;
	const char *want;
	bool pattern; /* also read /data/pattern (disk image) */
	int failed;
};

/* reader: one of READERS threads (as selftest) opening and reading at once. */
static void reader(void *arg)
{
	struct reader_job *j = arg;
	for (int i = 0; i < READER_ROUNDS; i++)
		j->failed += check_small(j->path, j->want);
	if (j->pattern)
		j->failed += check_pattern();
}

/* check_concurrent: READERS threads read at the same time (the component's
 * lock serialises the engine); every read must be exact. */
static int check_concurrent(const char *path, const char *want, bool pattern)
{
	struct reader_job jobs[READERS];
	struct thread *t[READERS];
	int failed = 0, started = 0;
	for (int i = 0; i < READERS; i++) {
		jobs[i] = (struct reader_job){ path, want, pattern, 0 };
		if (thread_create(&t[i], "pkgfs-reader", cap_self(), reader, &jobs[i], false) == 0)
			started++;
		else
			break;
	}
	for (int i = 0; i < started; i++) {
		failed += thread_join(t[i]) != 0;
		failed += jobs[i].failed;
	}
	if (started != READERS || failed)
		return fail("concurrent readers", -failed);
	kprintf("SELFTEST: pkgfs concurrent readers ok\n");
	return 0;
}

/* check_restart: restart packagefs (and, through the table, its dependents,
 * selftest included); the old handle is dead, a new open reads hello again. */
static int check_restart(const char *hello_path, const char *hello)
{
	char buf[8];
	int h = pkgfs_svc_open(hello_path);
	if (h < 0)
		return fail("open before restart", h);
	int rc = supervisor_restart(CAP_COMP_PACKAGEFS);
	if (rc)
		return fail("restart", rc);
	rc = pkgfs_svc_read(h, 0, buf, sizeof(buf));
	if (rc != CAIRN_EINVAL)
		return fail("read of a handle from before the restart", rc);
	if (check_small(hello_path, hello))
		return 1;
	kprintf("SELFTEST: pkgfs restart ok\n");
	return 0;
}

/* denied_stat: (as crypto) try to stat the root. */
static int denied_stat(void)
{
	struct pkgfs_stat st;
	return pkgfs_svc_stat("pkg:/", &st);
}

/* selftest_pkgfs_denied: (kernel) a thread of crypto calls pkgfs_svc_stat: EPERM and an audit record. */
int selftest_pkgfs_denied(void)
{
	uint64_t seq = audit_next_seq();
	int rc = selftest_run_as(CAP_COMP_CRYPTO, "pkgfs-denied", denied_stat);
	bool audited = selftest_audited(seq, AUDIT_CAP_DENIED, CAP_COMP_CRYPTO, CAP_COMP_PACKAGEFS,
					"stat", NULL, false) != 0;
	if (rc != CAIRN_EPERM || !audited) {
		kprintf("ktest: pkgfs denial FAILED: rc=%d audit record %s\n", rc,
			audited ? "found" : "missing");
		return 1;
	}
	kprintf("SELFTEST: pkgfs denied ungranted caller ok\n");
	return 0;
}

/* check_claims_refused: selftest cannot claim packagefs' disks (pkgfs, or the A/B
 * slots pkg_a / pkg_b): each attached one is refused, and at least one is. */
static int check_claims_refused(void)
{
	static const char *const serials[] = { "pkgfs", "pkg_a", "pkg_b" };
	int refused = 0, failed = 0;
	for (unsigned i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		struct blkdev *bd;
		int rc = vblk_claim(serials[i], false, &bd);
		if (rc == CAIRN_EPERM || rc == CAIRN_EBUSY)
			refused++;
		else if (rc != CAIRN_ENOENT)
			failed += fail("claim of a packagefs disk by selftest was not refused", rc);
	}
	if (!refused)
		failed += fail("no packagefs disk claim was refused", 0);
	return failed;
}

/* good_offset: the "pkgfsgoodoff=<n>" boot argument (decimal), or -1. */
static int64_t good_offset(void)
{
	char v[24];
	int64_t n = 0;
	if (dt_bootargs_value(platform.bootargs, "pkgfsgoodoff", v, sizeof(v)) <= 0)
		return -1;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/* selftest_pkgfs: the packagefs selftests for the mounted source (as selftest). */
int selftest_pkgfs(void)
{
	struct pkgfs_svc_info info;
	int rc = pkgfs_svc_info(&info);
	if (rc)
		return fail("info", rc);
	int failed = 0;
	char corrupt[128];
	if (!info.read_only)
		failed += fail("the device under the mount is not read-only", 0);
	/* A disk may hold the test tree of pkgfs_boots.py or, as the A/B slot
	 * disks of ./cairn run and bootctl_boots.py do, the fixture tree. */
	struct pkgfs_stat pst;
	bool disk = info.source == PKGFS_SOURCE_VIRTIO;
	bool fixture_tree = info.source == PKGFS_SOURCE_FIXTURE ||
			    (disk && pkgfs_svc_stat("pkg:/data/pattern", &pst) == CAIRN_ENOENT);
	if (disk)
		failed += check_claims_refused();
	if (disk && !fixture_tree) {
		failed += check_small("pkg:/bin/hello", DISK_HELLO);
		failed += check_pattern();
		failed += check_readdir("pkg:/");
		failed += check_readdir("pkg:/data/");
		failed += check_errors("pkg:/bin/hello", "pkg:/data");
		if (!failed)
			kprintf("SELFTEST: pkgfs virtio ro ok\n");
		failed += check_concurrent("pkg:/bin/hello", DISK_HELLO, true);
		if (dt_bootargs_value(platform.bootargs, "pkgfscorrupt", corrupt, sizeof(corrupt)) >
		    0)
			failed += check_corrupt(corrupt, good_offset());
		failed += check_restart("pkg:/bin/hello", DISK_HELLO);
	} else if (fixture_tree) {
		struct pkgfs_stat st;
		failed += check_small("pkg:/bin/hello", FIXTURE_HELLO);
		rc = pkgfs_svc_stat("pkg:/share/doc/README", &st);
		if (rc || (st.mode & PKGFS_S_IFMT) != PKGFS_S_IFREG || st.size != 131)
			failed += fail("stat of pkg:/share/doc/README", rc);
		failed += check_readdir("pkg:/");
		failed += check_readdir("pkg:/share/doc");
		failed += check_errors("pkg:/bin/hello", "pkg:/share");
		if (!failed)
			kprintf(disk ? "SELFTEST: pkgfs virtio ro ok\n"
				     : "SELFTEST: pkgfs fixture ok\n");
		failed += check_concurrent("pkg:/bin/hello", FIXTURE_HELLO, false);
		failed += check_restart("pkg:/bin/hello", FIXTURE_HELLO);
	} else {
		failed += fail("mount source", (int)info.source);
	}
	return failed;
}
