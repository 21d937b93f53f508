/* The kernel's Sv39 identity map: built once on the boot hart from the linker
 * symbols, the page pool range and the DTB's devices; later changed only for
 * stack guard pages, with a TLB flush on every hart.
 *
 * Locking: mmu_lock serialises writers of the table (lock order: mmu_lock ->
 * page_lock, for the page a split needs). Readers (pt_lookup, the hardware
 * walkers) need no lock: tables are never freed and every PTE is one store. */
#include "cairn/mmu.h"

#include "cairn/boot.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/page.h"
#include "cairn/panic.h"
#include "cairn/sbi.h"
#include "cairn/spinlock.h"

#define PAGE_MASK (PAGE_SIZE - 1)
#define MMU_FLUSH_TIMEOUT_US 1000000
#ifndef CAIRN_MAX_HARTS
#define CAIRN_MAX_HARTS 4
#endif
_Static_assert(CAIRN_MAX_HARTS <= 64, "flush_page keeps the harts to flush in a 64-bit mask");

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];
extern char boot_stack_guard[];

static struct spinlock mmu_lock = SPINLOCK_INIT("mmu");
static struct pt kpt; /* writers hold mmu_lock */
/* Immutable after mmu_init: */
static uint64_t satp_value;
static uintptr_t guard_lo, guard_hi; /* RW RAM where guard pages may go */
static uint64_t device_pbmt;	     /* PTE_PBMT_IO when every hart has Svpbmt */

/* pt_page: the table allocator, one zeroed page from the pool. */
static void *pt_page(void *ctx)
{
	(void)ctx;
	return page_alloc(1);
}

/* map_or_panic: identity-map [lo, hi) with perm; the platform cannot run
 * Cairn safely without it. */
static void map_or_panic(uint64_t lo, uint64_t hi, uint64_t perm, const char *what)
{
	int rc = pt_map_range(&kpt, lo, hi - lo, perm);
	if (rc)
		panic("mmu: cannot map %s [0x%llx, 0x%llx): %s", what, (unsigned long long)lo,
		      (unsigned long long)hi, cairn_strerror(rc));
}

/* map_device: map one DTB-listed device register window read+write, never
 * executable, rounded out to whole pages (at least one). */
static void map_device(uint64_t base, uint64_t size, const char *what)
{
	if (size == 0)
		size = PAGE_SIZE;
	if (base + size < base || base + size > SV39_VA_LIMIT)
		panic("mmu: %s at 0x%llx+0x%llx is outside the Sv39 identity map", what,
		      (unsigned long long)base, (unsigned long long)size);
	uint64_t lo = base & ~PAGE_MASK;
	uint64_t hi = (base + size + PAGE_MASK) & ~PAGE_MASK;
	map_or_panic(lo, hi, PTE_R | PTE_W | device_pbmt, what);
}

/* map_pool: map [lo, hi) read+write, skipping the firmware's reserved regions
 * (no kernel code touches them; the page pool never hands them out). */
static void map_pool(uint64_t lo, uint64_t hi)
{
	uint64_t cur = lo;
	while (cur < hi) {
		uint64_t cut = hi;
		bool skipped = false;
		for (unsigned i = 0; i < platform.nreserved; i++) {
			uint64_t rlo = platform.reserved[i].base & ~PAGE_MASK;
			uint64_t rend = platform.reserved[i].base + platform.reserved[i].size;
			uint64_t rhi = rend < platform.reserved[i].base
					       ? UINT64_MAX & ~PAGE_MASK
					       : (rend + PAGE_MASK) & ~PAGE_MASK;
			if (rlo <= cur && cur < rhi) {
				cur = rhi;
				skipped = true;
				break;
			}
			if (rlo > cur && rlo < cut)
				cut = rlo;
		}
		if (skipped)
			continue;
		map_or_panic(cur, cut, PTE_R | PTE_W, "the page pool");
		cur = cut;
	}
}

/* image_ram: the /memory region holding the image. */
static const struct dt_region *image_ram(void)
{
	uintptr_t img = (uintptr_t)__image_start;
	for (unsigned i = 0; i < platform.nmem; i++) {
		if (img >= platform.mem[i].base &&
		    img - platform.mem[i].base < platform.mem[i].size)
			return &platform.mem[i];
	}
	panic("mmu: the image at 0x%lx is not inside any /memory region", (unsigned long)img);
}

/* all_harts_svpbmt: every hart in the DTB lists Svpbmt. */
static bool all_harts_svpbmt(void)
{
	bool all = platform.nharts > 0;
	for (unsigned i = 0; i < platform.nharts; i++)
		all = all && platform.harts[i].has_svpbmt;
	return all;
}

void mmu_init(void)
{
	if (pt_init(&kpt, pt_page, NULL))
		panic("mmu: no memory for the root page table");
	device_pbmt = all_harts_svpbmt() ? PTE_PBMT_IO : 0;
	const struct dt_region *ram = image_ram();
	uint64_t ram_end = (ram->base + ram->size) & ~PAGE_MASK;
	map_or_panic((uintptr_t)__image_start, (uintptr_t)__text_end, PTE_R | PTE_X, "text");
	map_or_panic((uintptr_t)__text_end, (uintptr_t)__rodata_end, PTE_R, "rodata");
	map_or_panic((uintptr_t)__rodata_end, (uintptr_t)__image_end, PTE_R | PTE_W, "data/bss");
	map_pool((uintptr_t)__image_end, ram_end);
	guard_lo = (uintptr_t)__rodata_end;
	guard_hi = ram_end;

	unsigned ndev = 0;
	map_device(platform.uart_base, platform.uart_size, "the UART");
	map_device(platform.plic_base, platform.plic_size, "the PLIC");
	ndev += 2;
	for (unsigned i = 0; i < platform.nvirtio; i++, ndev++)
		map_device(platform.virtio[i].base, platform.virtio[i].size, "a virtio-mmio slot");
	if (platform.has_finisher) {
		map_device(platform.finisher_base, platform.finisher_size, "the test finisher");
		ndev++;
	}

	int rc = pt_unmap_page(&kpt, (uintptr_t)boot_stack_guard);
	if (rc)
		panic("mmu: cannot unmap the boot stack guard: %s", cairn_strerror(rc));
	if (pt_lookup(&kpt, 0, NULL, NULL) == 0)
		panic("mmu: address 0 is mapped");
	unsigned long wx = pt_count_wx(&kpt);
	if (wx)
		panic("mmu: %lu writable+executable leaves", wx);
	satp_value = SATP_MODE_SV39 | ((uint64_t)(uintptr_t)kpt.root >> 12);
	mmu_enable_hart();
	kprintf("cairn: mmu sv39 on: text rx, rodata r, data rw nx, %u device windows%s, %u table "
		"pages\n",
		ndev, device_pbmt ? " (svpbmt io)" : "", kpt.table_pages);
}

void mmu_enable_hart(void)
{
	csr_write(satp, satp_value);
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
	if (csr_read(satp) != satp_value)
		panic("mmu: hart%u does not implement Sv39 (satp reads 0x%lx)", hart_self()->hartid,
		      csr_read(satp));
	__atomic_store_n(&hart_self()->mmu_on, 1, __ATOMIC_RELEASE);
}

bool mmu_enabled(void) { return (csr_read(satp) >> 60) == (SATP_MODE_SV39 >> 60); }

/* local_flush: hart_call target without SBI RFENCE; arg is the address. */
static void local_flush(void *arg)
{
	__asm__ volatile("sfence.vma %0, zero" ::"r"(arg) : "memory");
}

void mmu_idle_enter(void) { __atomic_store_n(&hart_self()->tlb_idle, 1, __ATOMIC_SEQ_CST); }

void mmu_idle_leave(void)
{
	struct hart *h = hart_self();
	__atomic_store_n(&h->tlb_idle, 0, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&h->tlb_stale, 0, __ATOMIC_SEQ_CST))
		__asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

/* flush_page: drop va's translation from every hart that uses the table, and
 * wait until each has; a hart idle in wfi is not interrupted but flushes
 * before it leaves idle (mmu_idle_leave): under QEMU, waking sleeping harts
 * for every guard page was most of the supervisor's cost on 4 harts
 * (docs/architecture.md, Boot timeline). Called without mmu_lock, in thread or
 * boot context.
 * With SBI RFENCE, one call per 64-hart-id window covers every hart in it:
 * the firmware interrupts them all at once and waits for all, so the cost is
 * one round trip, not one per hart (on QEMU, waking each sleeping hart in turn
 * was most of what extra harts added to boot: docs/architecture.md). */
static void flush_page(uintptr_t va)
{
	unsigned n = hart_count();
	uint64_t todo = 0; /* bit i: hart index i still to flush */
	for (unsigned i = 0; i < n; i++) {
		struct hart *h = hart_get(i);
		if (!__atomic_load_n(&h->mmu_on, __ATOMIC_ACQUIRE))
			continue;
		/* Dekker with mmu_idle_leave: stale is stored before idle is read
		 * (seq_cst both), the hart stores idle = 0 before it reads stale.
		 * So either we see it outside idle and interrupt it, or it sees
		 * stale and flushes before it touches anything the change affects.
		 * The seq_cst store also orders the PTE write before it. */
		__atomic_store_n(&h->tlb_stale, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&h->tlb_idle, __ATOMIC_SEQ_CST))
			todo |= 1ull << i;
	}
	while (todo) {
		unsigned first = (unsigned)__builtin_ctzll(todo);
		struct hart *h = hart_get(first);
		int err;
		if (sbi.has_rfence) {
			unsigned long base = h->hartid & ~63ul, mask = 0;
			for (unsigned i = first; i < n; i++) {
				uint32_t id = hart_get(i)->hartid;
				if ((todo & (1ull << i)) && (id & ~63ul) == base) {
					mask |= 1ul << (id - base);
					todo &= ~(1ull << i);
				}
			}
			err = sbi_remote_sfence_vma(mask, base, va, PAGE_SIZE);
		} else {
			todo &= ~(1ull << first);
			err = hart_call_kernel(h, local_flush, (void *)va, MMU_FLUSH_TIMEOUT_US);
		}
		if (err)
			panic("mmu: TLB flush of 0x%lx on hart%u failed: %s", (unsigned long)va,
			      h->hartid, cairn_strerror(err));
	}
	/* The caller's own hart, whichever it is now (RFENCE covered it too). */
	local_flush((void *)va);
}

/* guard_ok: va may hold a guard page (page-aligned RAM after rodata). */
static bool guard_ok(uintptr_t va) { return !(va & PAGE_MASK) && va >= guard_lo && va < guard_hi; }

int mmu_guard_set(uintptr_t va)
{
	if (!guard_ok(va))
		return CAIRN_EINVAL;
	spin_lock(&mmu_lock);
	pte_t pte;
	int rc = pt_lookup(&kpt, va, &pte, NULL);
	if (rc || (pte & (PTE_R | PTE_W | PTE_X)) != (PTE_R | PTE_W))
		rc = CAIRN_EINVAL;
	else
		rc = pt_unmap_page(&kpt, va);
	spin_unlock(&mmu_lock);
	if (!rc)
		flush_page(va);
	return rc;
}

int mmu_guard_clear(uintptr_t va)
{
	if (!guard_ok(va))
		return CAIRN_EINVAL;
	spin_lock(&mmu_lock);
	int rc = pt_lookup(&kpt, va, NULL, NULL) == 0
			 ? CAIRN_EINVAL
			 : pt_map_range(&kpt, va, PAGE_SIZE, PTE_R | PTE_W);
	spin_unlock(&mmu_lock);
	if (!rc)
		flush_page(va); /* an invalid entry may be cached: drop it before reuse */
	return rc;
}

int mmu_lookup(uintptr_t va, pte_t *pte, int *level) { return pt_lookup(&kpt, va, pte, level); }

unsigned long mmu_count_wx(void) { return pt_count_wx(&kpt); }
