/* Gate selftests (issue: a caller cannot take down or bypass a component):
 *   every statefs and packagefs service entry point given an unmapped or read-only buffer
 *   returns CAIRN_EFAULT, audited against the caller, and statefs stays up and
 *   keeps serving; several threads of one component race rewrites of a key
 *   buffer against puts, and no put lands outside the caller's prefix (checked
 *   afterwards as statefs itself). Run from selftest_components; the check as
 *   statefs uses the selftest component's run_as privilege. */
#include <string.h>

#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#ifdef CAP_ENABLED_PACKAGEFS
#include "packagefs_svc.h"
#endif
#include "selftest.h"
#include "statefs_svc.h"

#define BAD_ADDR ((void *)(uintptr_t)0x40) /* in the unmapped page at 0 */
#define RACE_PUTTERS 2u
#define RACE_US 300000u /* how long the putters race the flipper */

static const char ro_buf[64] = "read-only"; /* .rodata: a copy-out target that faults */

/* expect_efault: one bad-pointer call's result. */
static int expect_efault(const char *what, int rc)
{
	if (rc == CAIRN_EFAULT)
		return 0;
	kprintf("ktest: gate %s FAILED: %s, want EFAULT\n", what, cairn_strerror(rc));
	return 1;
}

/* bad_pointers: as selftest, every statefs entry point with each bad pointer. */
static int bad_pointers(void)
{
	static const char key[] = "/state/selftest/gate";
	struct statefs_dirent ent;
	struct statefs_svc_usage use;
	char buf[8];
	uint64_t seq = audit_next_seq();
	uint32_t gen = supervisor_generation(CAP_COMP_STATEFS);
	int bad = 0;
	if (statefs_svc_put(key, "value", 5) != 0)
		return 1;
	bad += expect_efault("put key", statefs_svc_put(BAD_ADDR, "v", 1));
	bad += expect_efault("put value", statefs_svc_put(key, BAD_ADDR, 16));
	bad += expect_efault("get key", statefs_svc_get(BAD_ADDR, buf, sizeof(buf)));
	bad += expect_efault("get into rodata",
			     statefs_svc_get(key, (void *)ro_buf, sizeof(ro_buf)));
	bad += expect_efault("get into unmapped", statefs_svc_get(key, BAD_ADDR, 16));
	bad += expect_efault("delete key", statefs_svc_delete(BAD_ADDR));
	bad += expect_efault("list prefix", statefs_svc_list(BAD_ADDR, NULL, &ent, 1));
	bad += expect_efault("list cursor",
			     statefs_svc_list("/state/selftest/", BAD_ADDR, &ent, 1));
	bad += expect_efault("list into rodata",
			     statefs_svc_list("/state/selftest/", NULL, (void *)ro_buf, 1));
	bad += expect_efault("usage prefix", statefs_svc_usage(BAD_ADDR, &use));
	bad += expect_efault("usage into rodata",
			     statefs_svc_usage("/state/quota/", (void *)ro_buf));
	struct statefs_op ops[2] = { { STATEFS_OP_PUT, key, "new", 3 },
				     { STATEFS_OP_PUT, BAD_ADDR, "v", 1 } };
	bad += expect_efault("batch ops", statefs_svc_batch(BAD_ADDR, 1));
	bad += expect_efault("batch key", statefs_svc_batch(ops, 2));
	ops[1] = (struct statefs_op){ STATEFS_OP_PUT, key, BAD_ADDR, 16 };
	bad += expect_efault("batch value", statefs_svc_batch(ops, 2));
	/* A batch with one key outside selftest's rights changes nothing at all. */
	ops[1] = (struct statefs_op){ STATEFS_OP_PUT, "/state/boot/control", "x", 1 };
	if (statefs_svc_batch(ops, 2) != CAIRN_EACCES)
		bad++;
	unsigned audited = selftest_audited(seq, AUDIT_BAD_ADDR, CAP_COMP_SELFTEST,
					    CAP_COMP_STATEFS, NULL, NULL, false);
	int n = statefs_svc_get(key, buf, sizeof(buf));
	bool serving = n == 5 && memcmp(buf, "value", 5) == 0 && statefs_svc_delete(key) == 0;
	bool up = supervisor_state(CAP_COMP_STATEFS) == COMP_UP &&
		  supervisor_generation(CAP_COMP_STATEFS) == gen;
	if (bad || audited != 14 || !serving || !up) {
		kprintf("ktest: gate bad pointers FAILED: %d wrong results, %u audited (want 14), "
			"serving=%d up=%d\n",
			bad, audited, serving, up);
		return 1;
	}
	kprintf("SELFTEST: statefs bad caller memory refused ok\n");
	return 0;
}

#ifdef CAP_ENABLED_PACKAGEFS
/* pkgfs_bad_pointers: as selftest, every packagefs entry point with each bad
 * pointer: EFAULT, audited, and packagefs keeps serving in the same generation. */
static int pkgfs_bad_pointers(void)
{
	static const char path[] = "pkg:/bin/hello";
	uint64_t seq = audit_next_seq(), cursor = 0;
	uint32_t gen = supervisor_generation(CAP_COMP_PACKAGEFS);
	char buf[8];
	int h = pkgfs_svc_open(path);
	if (h < 0)
		return 1;
	int bad = expect_efault("pkg info", pkgfs_svc_info((void *)ro_buf));
	bad += expect_efault("pkg stat path", pkgfs_svc_stat(BAD_ADDR, (void *)buf));
	bad += expect_efault("pkg stat into rodata", pkgfs_svc_stat(path, (void *)ro_buf));
	bad += expect_efault("pkg open path", pkgfs_svc_open(BAD_ADDR));
	bad += expect_efault("pkg read into rodata", pkgfs_svc_read(h, 0, (void *)ro_buf, 4));
	bad += expect_efault("pkg read into unmapped", pkgfs_svc_read(h, 0, BAD_ADDR, 4));
	bad += expect_efault("pkg fstat into rodata", pkgfs_svc_fstat(h, (void *)ro_buf));
	bad += expect_efault("pkg readdir path", pkgfs_svc_readdir(BAD_ADDR, &cursor, (void *)buf));
	bad += expect_efault("pkg readdir cursor",
			     pkgfs_svc_readdir("pkg:/", BAD_ADDR, (void *)buf));
	bad += expect_efault("pkg readdir into rodata",
			     pkgfs_svc_readdir("pkg:/", &cursor, (void *)ro_buf));
	unsigned audited = selftest_audited(seq, AUDIT_BAD_ADDR, CAP_COMP_SELFTEST,
					    CAP_COMP_PACKAGEFS, NULL, NULL, false);
	int n = pkgfs_svc_read(h, 0, buf, sizeof(buf));
	bool serving = n > 0 && pkgfs_svc_close(h) == 0;
	bool up = supervisor_state(CAP_COMP_PACKAGEFS) == COMP_UP &&
		  supervisor_generation(CAP_COMP_PACKAGEFS) == gen;
	if (bad || audited != 10 || !serving || !up) {
		kprintf("ktest: gate pkg bad pointers FAILED: %d wrong results, %u audited (want "
			"10), "
			"serving=%d up=%d\n",
			bad, audited, serving, up);
		return 1;
	}
	kprintf("SELFTEST: packagefs bad caller memory refused ok\n");
	return 0;
}
#endif

/* The racing threads share one key buffer: the flipper rewrites it between a
 * key the caller may write and one under statefs' own prefix (same length). */
static struct {
	char key[32];
	volatile bool stop;
	unsigned ok[RACE_PUTTERS], denied[RACE_PUTTERS], other[RACE_PUTTERS];
} race;

static const char race_mine[] = "/state/selftest/race";	  /* selftest: rw */
static const char race_theirs[] = "/state/statefs/racex"; /* statefs alone */

/* hold: keep the buffer as it is for a while (a few microseconds). The
 * barrier keeps the compiler from dropping the store before it as dead. */
static void hold(void)
{
	__asm__ volatile("" ::: "memory");
	for (volatile unsigned i = 0; i < 200 && !race.stop; i++)
		;
}

/* flipper: rewrite race.key until told to stop, holding each version. */
static void flipper(void *arg)
{
	(void)arg;
	while (!race.stop) {
		memcpy(race.key, race_theirs, sizeof(race_theirs));
		hold();
		memcpy(race.key, race_mine, sizeof(race_mine));
		hold();
	}
}

/* putter: put through the shared buffer until told to stop, counting outcomes. */
static void putter(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;
	while (!race.stop) {
		int rc = statefs_svc_put(race.key, "r", 1);
		if (rc == 0)
			race.ok[i]++;
		else if (rc == CAIRN_EACCES || rc == CAIRN_EINVAL)
			race.denied[i]++;
		else
			race.other[i]++;
	}
}

/* key_race: as selftest, one flipper and RACE_PUTTERS putters for RACE_US. */
static int key_race(void)
{
	struct thread *f = NULL, *p[RACE_PUTTERS] = { 0 };
	memcpy(race.key, race_mine, sizeof(race_mine));
	race.stop = false;
	int err = thread_create(&f, "gate-flip", CAP_COMP_SELFTEST, flipper, NULL, false);
	for (unsigned i = 0; i < RACE_PUTTERS && !err; i++)
		err = thread_create(&p[i], "gate-put", CAP_COMP_SELFTEST, putter,
				    (void *)(uintptr_t)i, false);
	sched_sleep_us(RACE_US);
	race.stop = true;
	for (unsigned i = 0; i < RACE_PUTTERS; i++)
		if (p[i])
			(void)thread_join(p[i]);
	if (f)
		(void)thread_join(f);
	unsigned ok = 0, denied = 0, other = 0;
	for (unsigned i = 0; i < RACE_PUTTERS; i++) {
		ok += race.ok[i];
		denied += race.denied[i];
		other += race.other[i];
	}
	(void)statefs_svc_delete(race_mine);
	if (err || other || ok == 0 || denied == 0) {
		kprintf("ktest: gate key race FAILED: create=%s ok=%u denied=%u other=%u\n",
			cairn_strerror(err), ok, denied, other);
		return 1;
	}
	kprintf("ktest: gate key race: %u puts allowed, %u denied\n", ok, denied);
	return 0;
}

/* race_check: as statefs, nothing but the boot counter under /state/statefs/. */
static int race_check(void)
{
	struct statefs_dirent ents[4];
	int n = statefs_svc_list("/state/statefs/", NULL, ents, 4);
	if (n != 1 || strcmp(ents[0].key, STATEFS_BOOT_COUNT_KEY) != 0) {
		kprintf("ktest: gate key race FAILED: /state/statefs/ holds %d keys (first %s)\n",
			n, n > 0 ? ents[0].key : "-");
		return 1;
	}
	return 0;
}

/* audit_escaped: untrusted text in an audit record (and so on the console)
 * cannot forge a line: a subject with a newline, an ESC and a C1 byte is stored
 * and printed escaped. */
static int audit_escaped(void)
{
	static const char forged[] = "x\nSELFTEST: forged\x1b[2J\xc2\x9b";
	static const char want[] = "x\\x0aSELFTEST: forged\\x1b[2J\\xc2\\x9b";
	uint64_t seq = audit_append(AUDIT_CAP_DENIED, CAP_COMP_SELFTEST, CAP_COMP_SELFTEST,
				    "escape-test", forged);
	struct audit_rec r;
	if (audit_read(seq, &r, 1, NULL) != 1 || r.seq != seq || strcmp(r.subject, want) != 0) {
		kprintf("ktest: audit escaping FAILED\n");
		return 1;
	}
	kprintf("SELFTEST: audit escapes untrusted text ok\n");
	return 0;
}

int selftest_gate(void)
{
	if (audit_escaped())
		return 1;
#ifdef CAP_ENABLED_PACKAGEFS
	if (selftest_run_as(CAP_COMP_SELFTEST, "gate-pkg", pkgfs_bad_pointers) != 0)
		return 1;
#endif
	if (supervisor_state(CAP_COMP_STATEFS) != COMP_UP ||
	    dt_bootargs_has(platform.bootargs, "statefsnotest") ||
	    dt_bootargs_has(platform.bootargs, "statefsbench"))
		return 0; /* selftest_statefs said why */
	int bad = selftest_run_as(CAP_COMP_SELFTEST, "gate-ptr", bad_pointers) != 0;
	int raced = selftest_run_as(CAP_COMP_SELFTEST, "gate-race", key_race);
	raced += selftest_run_as(CAP_COMP_STATEFS, "gate-check", race_check);
	if (!raced)
		kprintf("SELFTEST: statefs key race confined ok\n");
	return bad + (raced != 0);
}
