/* Kernel-core selftests. Each prints its SELFTEST marker only after checking
 * the fact it names. */
#include "ktest.h"

#include <string.h>

#include "cairn/console.h"
#include "cairn/hart.h"
#include "cairn/kernel.h"
#include "cairn/sched.h"
#if CAIRN_HAVE_CRYPTO
#include "crypto.h"
#endif

#define SCHED_THREADS 64
#define SCHED_ITERS 200

static int ipi_failures = -1; /* set by ktest_ipi_boot before threads run */

static void ipi_probe(void *arg)
{
	*(volatile uint32_t *)arg = hart_self()->hartid;
}

void ktest_ipi_boot(void)
{
	struct hart *self = hart_self();
	ipi_failures = 0;
	for (unsigned i = 0; i < hart_count(); i++) {
		struct hart *h = hart_get(i);
		if (h == self)
			continue;
		volatile uint32_t seen = UINT32_MAX;
		int err = hart_call(h, ipi_probe, (void *)&seen, 1000000);
		if (err == 0 && seen == h->hartid) {
			kprintf("cairn: ipi hart%u->hart%u ok\n", self->hartid, h->hartid);
		} else {
			kprintf("cairn: ipi hart%u->hart%u FAILED err=%d seen=%u\n", self->hartid,
				h->hartid, err, (unsigned)seen);
			ipi_failures++;
		}
	}
}

/* test_ticks: every online hart's tick counter advances. */
static int test_ticks(void)
{
	unsigned n = hart_count();
	uint64_t before[8] = { 0 };
	for (unsigned i = 0; i < n && i < 8; i++)
		before[i] = __atomic_load_n(&hart_get(i)->ticks, __ATOMIC_RELAXED);
	sched_sleep_us(300000);
	int bad = 0;
	for (unsigned i = 0; i < n && i < 8; i++) {
		struct hart *h = hart_get(i);
		uint64_t now = __atomic_load_n(&h->ticks, __ATOMIC_RELAXED);
		kprintf("cairn: hart%u tick n=%llu\n", h->hartid, (unsigned long long)now);
		if (now < before[i] + 2)
			bad++;
	}
	if (bad)
		return 1;
	kprintf("SELFTEST: smp per-hart ticks ok\n");
	return 0;
}

static int test_ipi(void)
{
	if (ipi_failures != 0)
		return 1;
	kprintf("SELFTEST: smp ipi ok\n");
	return 0;
}

struct sched_shared {
	struct mutex lock;
	uint64_t counter;   /* protected by lock */
	uint32_t harts_seen; /* protected by lock: bit per hart index */
};

static void sched_worker(void *arg)
{
	struct sched_shared *s = arg;
	for (int i = 0; i < SCHED_ITERS; i++) {
		mutex_lock(&s->lock);
		uint64_t v = s->counter;
		if (i % 16 == 0)
			sched_yield(); /* widen the window a lost update would need */
		s->counter = v + 1;
		push_off();
		s->harts_seen |= 1u << hart_self()->index;
		pop_off();
		mutex_unlock(&s->lock);
		if (i % 50 == 0)
			sched_sleep_us(1000);
	}
}

/* test_sched: 64 threads, mutex-protected increments with yields and sleeps;
 * the exact total and every online hart having run a worker. */
static int test_sched(void)
{
	static struct sched_shared s;
	struct thread *t[SCHED_THREADS];
	mutex_init(&s.lock, "ktest");
	s.counter = 0;
	s.harts_seen = 0;
	int created = 0;
	for (; created < SCHED_THREADS; created++) {
		if (thread_create(&t[created], "worker", 0, sched_worker, &s, false) != 0)
			break;
	}
	for (int i = 0; i < created; i++)
		(void)thread_join(t[i]);
	uint64_t want = (uint64_t)SCHED_THREADS * SCHED_ITERS;
	uint32_t all = (uint32_t)((1ull << hart_count()) - 1);
	if (created != SCHED_THREADS || s.counter != want || (s.harts_seen & all) != all) {
		kprintf("ktest: sched FAILED threads=%d total=%llu want=%llu harts=0x%x want=0x%x\n",
			created, (unsigned long long)s.counter, (unsigned long long)want,
			s.harts_seen, all);
		return 1;
	}
	kprintf("ktest: sched threads=%d total=%llu harts=0x%x\n", created,
		(unsigned long long)s.counter, s.harts_seen);
	kprintf("SELFTEST: sched ok\n");
	return 0;
}

int ktest_run_all(void)
{
	int failed = 0;
	failed += test_ticks();
	failed += test_ipi();
	failed += test_sched();
#if CAIRN_HAVE_CRYPTO
	if (crypto_selftest_kat() == 0) {
		kprintf("SELFTEST: crypto kat ok\n");
	} else {
		kprintf("ktest: crypto kat FAILED\n");
		failed++;
	}
#endif
#if CAIRN_HAVE_VIRTIO_BLK
	failed += ktest_blk();
#endif
	kprintf("SELFTEST: done failed=%d\n", failed);
	return failed;
}

_Noreturn void ktest_crash(void)
{
	kprintf("ktest: provoking a load access fault\n");
	uintptr_t addr = 0x8; /* nothing is mapped at the bottom of QEMU virt */
	__asm__ volatile("" : "+r"(addr));
	uint64_t v = *(volatile uint64_t *)addr;
	kprintf("ktest: load returned 0x%llx: no fault!\n", (unsigned long long)v);
	thread_exit(1);
}

bool ktest_component_fault(uint16_t comp, struct thread *t)
{
	(void)comp;
	(void)t;
	return false;
}
