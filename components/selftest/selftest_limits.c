/* Exhaustion smokes (docs/limits.md): each drives one limit to its end as one
 * component and then shows that the limit failed closed for that component
 * only: another component's normal call still works, and everything taken is
 * given back. faulttest (small budgets in the table) is the hog, through the
 * run_as privilege; selftest is the bystander. */
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/budget.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/page.h"
#include "cairn/sched.h"
#include "cairn/timer.h"
#include "faulttest.h"
#include "selftest.h"
#ifdef CAP_ENABLED_PACKAGEFS
#include "packagefs_svc.h"
#endif

#define FLOOD_CALLS 100000u
#define IPI_FLOOD_CALLS 4000u
#define IPI_FLOOD_MAX_US 3000000u

/* used_of: what comp holds of kind now. */
static uint64_t used_of(uint16_t comp, enum budget_kind kind)
{
	struct budget_usage u;
	return budget_usage(comp, &u) == 0 ? u.used[kind] : UINT64_MAX;
}

/* heap_hog: as faulttest, malloc 1 KiB blocks (chained through their first
 * word) until refused; then check that selftest's budget is untouched by
 * running one bystander allocation from this thread's view of the counters. */
static int heap_hog(void)
{
	uint64_t before = used_of(CAP_COMP_FAULTTEST, BUDGET_HEAP);
	void *head = NULL;
	unsigned n = 0;
	for (void *p; (p = malloc(1024)) != NULL; n++) {
		*(void **)p = head;
		head = p;
	}
	struct budget_usage u;
	(void)budget_usage(CAP_COMP_FAULTTEST, &u);
	bool at_limit = u.used[BUDGET_HEAP] + 1040 > u.limit[BUDGET_HEAP] && u.refused[BUDGET_HEAP];
	while (head) {
		void *next = *(void **)head;
		free(head);
		head = next;
	}
	bool back = used_of(CAP_COMP_FAULTTEST, BUDGET_HEAP) == before;
	if (n == 0 || !at_limit || !back) {
		kprintf("ktest: limits heap FAILED: blocks=%u at_limit=%d released=%d\n", n,
			at_limit, back);
		return 1;
	}
	kprintf("ktest: limits heap: faulttest got %u KiB blocks, then ENOMEM (budget %llu)\n", n,
		(unsigned long long)u.limit[BUDGET_HEAP]);
	return 0;
}

/* test_heap: the hog runs as faulttest; selftest then still allocates 1 MiB. */
static int test_heap(void)
{
	int bad = selftest_run_as(CAP_COMP_FAULTTEST, "hog-heap", heap_hog) != 0;
	void *big = malloc(1u << 20);
	bad += big == NULL;
	free(big);
	uint32_t gen;
	bad += faulttest_call(FAULTTEST_PING, &gen, 1000000) != 0;
	if (bad)
		return 1;
	kprintf("SELFTEST: limits heap ok\n");
	return 0;
}

static volatile bool parked_go, hog_at_limit, hog_release;

/* parked: a thread that waits until released. */
static void parked(void *arg)
{
	(void)arg;
	while (!parked_go)
		sched_sleep_us(2000);
}

/* thread_hog: as faulttest, create threads until refused; release them. */
static int thread_hog(void)
{
	struct thread *t[64];
	unsigned n = 0;
	int err = 0;
	parked_go = false;
	while (n < 64 &&
	       !(err = thread_create(&t[n], "hog", CAP_COMP_FAULTTEST, parked, NULL, false)))
		n++;
	struct budget_usage u;
	(void)budget_usage(CAP_COMP_FAULTTEST, &u);
	/* Hold the limit while the bystander (selftest) starts a thread of its own. */
	hog_at_limit = true;
	while (!hog_release)
		sched_sleep_us(2000);
	parked_go = true;
	for (unsigned i = 0; i < n; i++)
		(void)thread_join(t[i]);
	if (err != CAIRN_ENOMEM || u.used[BUDGET_THREADS] != u.limit[BUDGET_THREADS]) {
		kprintf("ktest: limits threads FAILED: created %u, then %s; held %llu of %llu\n", n,
			cairn_strerror(err), (unsigned long long)u.used[BUDGET_THREADS],
			(unsigned long long)u.limit[BUDGET_THREADS]);
		return 1;
	}
	kprintf("ktest: limits threads: faulttest created %u threads, then ENOMEM at %llu\n", n,
		(unsigned long long)u.limit[BUDGET_THREADS]);
	return 0;
}

/* page_hog: as faulttest, take pages one at a time until refused, while the
 * pool itself still has pages for others; release them. */
static int page_hog(void)
{
	void *pg[256];
	unsigned n = 0;
	while (n < 256 && (pg[n] = page_alloc(1)) != NULL)
		n++;
	struct budget_usage u;
	(void)budget_usage(CAP_COMP_FAULTTEST, &u);
	size_t pool_left = page_free_count();
	for (unsigned i = 0; i < n; i++)
		page_free(pg[i], 1);
	if (n == 0 || n == 256 || u.used[BUDGET_PAGES] != u.limit[BUDGET_PAGES] || pool_left == 0) {
		kprintf("ktest: limits pages FAILED: took %u, held %llu of %llu, pool left %zu\n",
			n, (unsigned long long)u.used[BUDGET_PAGES],
			(unsigned long long)u.limit[BUDGET_PAGES], pool_left);
		return 1;
	}
	kprintf("ktest: limits pages: faulttest took %u pages, then refused at %llu "
		"(pool still has %zu)\n",
		n, (unsigned long long)u.limit[BUDGET_PAGES], pool_left);
	return 0;
}

struct hog_job {
	int rc;
};

/* hog_thread: thread body running thread_hog as faulttest. */
static void hog_thread(void *arg) { ((struct hog_job *)arg)->rc = thread_hog(); }

/* quick: a bystander thread body that ends at once. */
static void quick(void *arg) { (void)arg; }

/* test_threads_pages: thread and page hogs as faulttest; while faulttest holds
 * every thread it may, selftest still starts one; selftest still gets a page
 * afterwards and every count is back. */
static int test_threads_pages(void)
{
	uint64_t thr0 = used_of(CAP_COMP_FAULTTEST, BUDGET_THREADS);
	struct hog_job job = { 1 };
	struct thread *hog = NULL;
	hog_at_limit = hog_release = false;
	int bad = thread_create(&hog, "hog-threads", CAP_COMP_FAULTTEST, hog_thread, &job, false) !=
		  0;
	int other = CAIRN_ETIMEDOUT;
	for (unsigned i = 0; !bad && i < 2500 && !hog_at_limit; i++)
		sched_sleep_us(2000);
	if (!bad && hog_at_limit)
		other = thread_run("bystander", CAP_COMP_SELFTEST, quick, NULL);
	hog_release = true;
	if (hog)
		(void)thread_join(hog);
	if (other != 0)
		kprintf("ktest: limits threads FAILED: bystander thread %s\n",
			cairn_strerror(other));
	bad += job.rc != 0 || other != 0;
	bad += selftest_run_as(CAP_COMP_FAULTTEST, "hog-pages", page_hog) != 0;
	void *pg = page_alloc(1);
	bad += pg == NULL;
	if (pg)
		page_free(pg, 1);
	bad += used_of(CAP_COMP_FAULTTEST, BUDGET_THREADS) != thr0;
	if (bad)
		return 1;
	kprintf("SELFTEST: limits threads ok\n");
	kprintf("SELFTEST: limits pages ok\n");
	return 0;
}

/* flood: as crypto (not granted faulttest), FLOOD_CALLS denied calls. */
static int flood(void)
{
	unsigned eperm = 0;
	for (unsigned i = 0; i < FLOOD_CALLS; i++)
		eperm += faulttest_call(FAULTTEST_PING, NULL, 1000) == CAIRN_EPERM;
	return eperm == FLOOD_CALLS ? 0 : 1;
}

/* test_denial_flood: 100,000 denied calls cost bounded time and console lines:
 * all but AUDIT_BURST a second are suppressed and summed up in one line; a
 * granted call completes right after. */
static int test_denial_flood(void)
{
	struct audit_stats a0, a1;
	audit_stats(&a0);
	uint64_t t0 = time_us();
	int rc = selftest_run_as(CAP_COMP_CRYPTO, "flood", flood);
	uint64_t ms = (time_us() - t0) / 1000;
	audit_flush();
	audit_stats(&a1);
	uint64_t kept = a1.kept - a0.kept, supp = a1.suppressed - a0.suppressed;
	uint64_t kept_max = (ms / 1000 + 2) * AUDIT_BURST;
	uint32_t gen;
	int ping = faulttest_call(FAULTTEST_PING, &gen, 1000000);
	if (rc || kept + supp < FLOOD_CALLS || kept > kept_max || ping) {
		kprintf("ktest: limits denial flood FAILED: rc=%d kept=%llu suppressed=%llu "
			"(max kept %llu) ping=%s\n",
			rc, (unsigned long long)kept, (unsigned long long)supp,
			(unsigned long long)kept_max, cairn_strerror(ping));
		return 1;
	}
	kprintf("SELFTEST: limits denial flood ok calls=%u kept=%llu suppressed=%llu ms=%llu\n",
		FLOOD_CALLS, (unsigned long long)kept, (unsigned long long)supp,
		(unsigned long long)ms);
	return 0;
}

static void nop(void *arg) { (void)arg; }

/* test_ipi_flood: cross-hart calls to one hart as fast as they go, for at
 * most IPI_FLOOD_CALLS calls or IPI_FLOOD_MAX_US: at most HART_CALL_RATE a
 * second get through, the rest are refused and counted, and every hart keeps
 * taking its ticks. On a host so loaded that a call's round trip is slower
 * than the limit, nothing is over it: then none may be refused, and the
 * marker says the limit was not reached (the time bound keeps such a boot
 * from crawling through all 4,000 round trips). */
static int test_ipi_flood(void)
{
	unsigned n = hart_count();
	if (n < 2) {
		kprintf("SELFTEST: limits ipi flood skipped (one hart)\n");
		return 0;
	}
	uint64_t ticks0[4] = { 0 }, refused0 = 0;
	for (unsigned i = 0; i < n && i < 4; i++) {
		ticks0[i] = __atomic_load_n(&hart_get(i)->ticks, __ATOMIC_RELAXED);
		refused0 += hart_calls_refused(hart_get(i));
	}
	uint64_t t0 = time_us();
	unsigned ok = 0, eagain = 0;
	unsigned calls = 0;
	for (; calls < IPI_FLOOD_CALLS && time_us() - t0 < IPI_FLOOD_MAX_US; calls++) {
		/* Another hart than the one this thread runs on now (it may move). */
		push_off();
		struct hart *target = hart_get((hart_self()->index + 1) % n);
		pop_off();
		int rc = hart_call(target, nop, NULL, 100000);
		ok += rc == 0;
		eagain += rc == CAIRN_EAGAIN;
	}
	uint64_t us = time_us() - t0;
	uint64_t secs = us / 1000000 + 2;
	/* Under the limit all the way: the accepted calls came slower than the
	 * rate of one target hart, over the whole flood. */
	bool below = (uint64_t)ok * 1000000 < (uint64_t)HART_CALL_RATE * (us ? us : 1);
	sched_sleep_us(50000);
	bool ticking = true;
	uint64_t refused = 0;
	for (unsigned i = 0; i < n && i < 4; i++) {
		ticking &= __atomic_load_n(&hart_get(i)->ticks, __ATOMIC_RELAXED) > ticks0[i] + 2;
		refused += hart_calls_refused(hart_get(i));
	}
	refused -= refused0;
	if (ok + eagain != calls || (eagain == 0 && !below) || refused != eagain ||
	    ok > secs * (n - 1) * HART_CALL_RATE || !ticking) {
		kprintf("ktest: limits ipi flood FAILED: calls=%u ok=%u refused=%u counted=%llu "
			"us=%llu ticking=%d\n",
			calls, ok, eagain, (unsigned long long)refused, (unsigned long long)us,
			ticking);
		return 1;
	}
	if (eagain == 0)
		kprintf("SELFTEST: limits ipi flood ok accepted=%u refused=0 (round trips "
			"slower than the limit: not reached)\n",
			ok);
	else
		kprintf("SELFTEST: limits ipi flood ok accepted=%u refused=%u\n", ok, eagain);
	return 0;
}

#ifdef CAP_ENABLED_PACKAGEFS
#define HANDLE_FILE "pkg:/bin/hello"

/* fill_handles: open HANDLE_FILE into h[PKGFS_SVC_OPEN_MAX] until refused;
 * returns how many opened, *refusal the error that stopped it (0 when the
 * table's worth opened and nothing refused). */
static unsigned fill_handles(int *h, int *refusal)
{
	unsigned n = 0;
	int rc = 0;
	while (n < PKGFS_SVC_OPEN_MAX && (rc = pkgfs_svc_open(HANDLE_FILE)) >= 0)
		h[n++] = rc;
	*refusal = rc < 0 ? rc : 0;
	return n;
}

/* close_all: close h[0..n); how many closes failed. */
static int close_all(const int *h, unsigned n)
{
	int bad = 0;
	for (unsigned i = 0; i < n; i++)
		bad += pkgfs_svc_close(h[i]) != 0;
	return bad;
}

/* What the hog (faulttest) holds between its two runs, and what the shell got. */
static int hog_h[PKGFS_SVC_OPEN_MAX];
static unsigned hog_n, shell_n;
static int hog_refusal, shell_refusal, shell_read;

/* handle_hog: as faulttest, open files until its budget refuses; keep them. */
static int handle_hog(void)
{
	hog_n = fill_handles(hog_h, &hog_refusal);
	return 0;
}

/* handle_hog_release: as faulttest, close what handle_hog opened. */
static int handle_hog_release(void) { return close_all(hog_h, hog_n); }

#ifdef CAP_GRANT_SHELL_PACKAGEFS
/* shell_share: as the shell, while faulttest and selftest hold their whole
 * budgets: open the shell's whole budget, read from one file, close them. */
static int shell_share(void)
{
	int h[PKGFS_SVC_OPEN_MAX];
	char buf[16];
	shell_n = fill_handles(h, &shell_refusal);
	shell_read = shell_n ? pkgfs_svc_read(h[0], 0, buf, sizeof(buf)) : CAIRN_EINVAL;
	return close_all(h, shell_n);
}
#endif

/* limit_of: comp's handle budget. */
static unsigned limit_of(uint16_t comp)
{
	struct budget_usage u;
	return budget_usage(comp, &u) == 0 ? (unsigned)u.limit[BUDGET_HANDLES] : 0;
}

/* test_handles: packagefs' one open-file table, shared by every component
 * granted packagefs. faulttest (the hog) opens files until refused: EMFILE at
 * its budget, never more. While it holds them, selftest opens until refused
 * (EMFILE at its own budget), and then the shell still opens its whole budget
 * and reads: the budgets are reservations that fit the table together
 * (capgen checks), so no component starves another. selftest cannot close
 * faulttest's handle; once all are closed every count is back at 0 and a
 * normal open and read works. */
static int test_handles(void)
{
	int st_h[PKGFS_SVC_OPEN_MAX], st_refusal = 0;
	unsigned st_n = 0, ft_limit = limit_of(CAP_COMP_FAULTTEST);
	unsigned st_limit = limit_of(CAP_COMP_SELFTEST), sh_limit = 0;
	hog_n = shell_n = 0;
	hog_refusal = shell_refusal = 0;
	shell_read = CAIRN_EINVAL;
	int bad = selftest_run_as(CAP_COMP_FAULTTEST, "hog-handles", handle_hog) != 0;
	bad += hog_n != ft_limit || hog_refusal != CAIRN_EMFILE;
	if (!bad) {
		st_n = fill_handles(st_h, &st_refusal);
		bad += st_n != st_limit || st_refusal != CAIRN_EMFILE;
	}
#ifdef CAP_GRANT_SHELL_PACKAGEFS
	sh_limit = limit_of(CAP_COMP_SHELL);
	if (!bad) {
		bad += selftest_run_as(CAP_COMP_SHELL, "handles-shell", shell_share) != 0;
		bad += shell_n != sh_limit || shell_refusal != CAIRN_EMFILE || shell_read <= 0;
	}
#endif
	int foreign = hog_n ? pkgfs_svc_close(hog_h[0]) : CAIRN_EINVAL;
	bad += foreign != CAIRN_EINVAL;
	bad += close_all(st_h, st_n);
	bad += selftest_run_as(CAP_COMP_FAULTTEST, "hog-handles-close", handle_hog_release) != 0;
	char buf[16];
	int h = pkgfs_svc_open(HANDLE_FILE);
	int got = h >= 0 ? pkgfs_svc_read(h, 0, buf, sizeof(buf)) : h;
	if (h >= 0)
		bad += pkgfs_svc_close(h) != 0;
	bad += got <= 0 || used_of(CAP_COMP_SELFTEST, BUDGET_HANDLES) != 0 ||
	       used_of(CAP_COMP_FAULTTEST, BUDGET_HANDLES) != 0;
	if (bad) {
		kprintf("ktest: limits handles FAILED: faulttest %u/%u then %s; selftest %u/%u "
			"then "
			"%s; shell %u/%u then %s, read %d; foreign close %s; final read %d\n",
			hog_n, ft_limit, cairn_strerror(hog_refusal), st_n, st_limit,
			cairn_strerror(st_refusal), shell_n, sh_limit,
			cairn_strerror(shell_refusal), shell_read, cairn_strerror(foreign), got);
		return 1;
	}
	kprintf("SELFTEST: limits handles ok faulttest=%u selftest=%u shell=%u of %u, each then "
		"EMFILE\n",
		hog_n, st_n, shell_n, PKGFS_SVC_OPEN_MAX);
	return 0;
}
#endif

/* budget_report: one line per component: held now / peak / limit. */
static void budget_report(void)
{
	for (unsigned c = 1; c < cap_table.comp_count; c++) {
		struct budget_usage u;
		if (budget_usage((uint16_t)c, &u))
			continue;
		kprintf("budget: %s heap=%llu/%llu/%llu pages=%llu/%llu/%llu "
			"threads=%llu/%llu/%llu "
			"handles=%llu/%llu/%llu (now/peak/limit)\n",
			cap_comp_name(c), (unsigned long long)u.used[0],
			(unsigned long long)u.peak[0], (unsigned long long)u.limit[0],
			(unsigned long long)u.used[1], (unsigned long long)u.peak[1],
			(unsigned long long)u.limit[1], (unsigned long long)u.used[2],
			(unsigned long long)u.peak[2], (unsigned long long)u.limit[2],
			(unsigned long long)u.used[3], (unsigned long long)u.peak[3],
			(unsigned long long)u.limit[3]);
	}
}

int selftest_limits(void)
{
	int bad = test_heap();
	bad += test_threads_pages();
	bad += test_denial_flood();
	bad += test_ipi_flood();
#ifdef CAP_ENABLED_PACKAGEFS
	bad += test_handles();
#endif
	budget_report();
	return bad;
}
