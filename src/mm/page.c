/* Kernel page allocator and heap: one page pool over the RAM after the image,
 * minus firmware-reserved memory and the DTB; the heap (picolibc malloc through
 * sbrk) is a contiguous slice of it. */
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include "cairn/boot.h"
#include "cairn/budget.h"
#include "cairn/console.h"
#include "cairn/page.h"
#include "cairn/panic.h"
#include "cairn/sched.h"
#include "cairn/spinlock.h"

#define HEAP_MAX (64ul << 20)

extern char __image_start[], __image_end[];

/* page_lock protects pool. */
static struct spinlock page_lock = SPINLOCK_INIT("page");
static struct page_pool pool;

/* heap_lock protects heap_brk. */
static struct spinlock heap_lock = SPINLOCK_INIT("heap");
static uintptr_t heap_base, heap_brk, heap_end;

/* Protected by page_lock: the component each allocation's pages are charged to,
 * by page index in the pool (recorded on every page of it, so a free of any
 * run knows whom to credit). */
static uint8_t *page_owner;

/* owner_slot: &page_owner[] for the page at address p. page_lock held. */
static uint8_t *owner_slot(uintptr_t p) { return &page_owner[(p - pool.base) / PAGE_SIZE]; }

void *page_alloc_as(uint16_t comp, size_t n)
{
	if (n == 0 || budget_charge(comp, BUDGET_PAGES, n) != 0)
		return NULL;
	spin_lock(&page_lock);
	uintptr_t p = page_pool_alloc(&pool, n);
	if (p && page_owner)
		memset(owner_slot(p), comp, n);
	spin_unlock(&page_lock);
	if (!p) {
		budget_release(comp, BUDGET_PAGES, n);
		return NULL;
	}
	memset((void *)p, 0, n * PAGE_SIZE);
	return (void *)p;
}

void *page_alloc(size_t n) { return page_alloc_as(thread_component(), n); }

void page_free(void *p, size_t n)
{
	spin_lock(&page_lock);
	uint8_t comp = page_owner ? *owner_slot((uintptr_t)p) : 0;
	int err = page_pool_free(&pool, (uintptr_t)p, n);
	spin_unlock(&page_lock);
	if (err)
		panic("page_free: bad free of %zu pages at %p", n, p);
	budget_release(comp, BUDGET_PAGES, n);
}

size_t page_free_count(void)
{
	spin_lock(&page_lock);
	size_t n = pool.free_pages;
	spin_unlock(&page_lock);
	return n;
}

size_t page_total_count(void)
{
	spin_lock(&page_lock);
	size_t n = pool.npages;
	spin_unlock(&page_lock);
	return n;
}

size_t heap_reserved_bytes(void)
{
	spin_lock(&heap_lock);
	size_t n = heap_end - heap_base;
	spin_unlock(&heap_lock);
	return n;
}

/* page_setup: build the pool over the RAM region holding the image. */
static void page_setup(const void *dtb)
{
	uintptr_t img = (uintptr_t)__image_start;
	const struct dt_region *ram = NULL;
	for (unsigned i = 0; i < platform.nmem; i++) {
		if (img >= platform.mem[i].base &&
		    img - platform.mem[i].base < platform.mem[i].size)
			ram = &platform.mem[i];
	}
	if (!ram)
		panic("memory: the image at 0x%lx is not inside any /memory region",
		      (unsigned long)img);
	uintptr_t start = (uintptr_t)__image_end;
	uintptr_t end = (uintptr_t)(ram->base + ram->size) & ~(PAGE_SIZE - 1);
	size_t npages = (end - start) / PAGE_SIZE;
	size_t bitmap_pages = ((npages + 63) / 64 * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	if (npages <= bitmap_pages + 64)
		panic("memory: only %zu pages after the image", npages);
	page_pool_init(&pool, start, npages, (uint64_t *)start);
	page_pool_reserve(&pool, start, bitmap_pages * PAGE_SIZE);
	page_pool_reserve(&pool, (uintptr_t)dtb, fdt_totalsize(dtb));
	for (unsigned i = 0; i < platform.nreserved; i++)
		page_pool_reserve(&pool, platform.reserved[i].base, platform.reserved[i].size);
}

void page_init(const void *dtb)
{
	page_setup(dtb);
	size_t heap_pages = pool.free_pages / 2;
	if (heap_pages * PAGE_SIZE > HEAP_MAX)
		heap_pages = HEAP_MAX / PAGE_SIZE;
	heap_base = page_pool_alloc(&pool, heap_pages);
	if (!heap_base)
		panic("memory: no contiguous %zu pages for the heap", heap_pages);
	heap_brk = heap_base;
	heap_end = heap_base + heap_pages * PAGE_SIZE;
	size_t owner_pages = (pool.npages + PAGE_SIZE - 1) / PAGE_SIZE;
	uintptr_t owners = page_pool_alloc(&pool, owner_pages);
	if (!owners)
		panic("memory: no %zu pages for the page owner map", owner_pages);
	memset((void *)owners, 0, owner_pages * PAGE_SIZE);
	page_owner = (uint8_t *)owners; /* pages handed out so far stay the kernel's */
	kprintf("cairn: memory %lu KiB free, heap %lu KiB\n",
		(unsigned long)(pool.free_pages * PAGE_SIZE / 1024),
		(unsigned long)(heap_pages * PAGE_SIZE / 1024));
}

/* sbrk: picolibc's malloc grows the heap through this; (void *)-1 and ENOMEM
 * when the heap slice is exhausted, so malloc returns NULL. */
void *sbrk(ptrdiff_t incr);
void *sbrk(ptrdiff_t incr)
{
	spin_lock(&heap_lock);
	uintptr_t old = heap_brk;
	bool ok = incr >= 0 ? (uintptr_t)incr <= heap_end - heap_brk
			    : (uintptr_t)-incr <= heap_brk - heap_base;
	if (ok)
		heap_brk += (uintptr_t)incr;
	spin_unlock(&heap_lock);
	if (!ok) {
		errno = ENOMEM;
		return (void *)-1;
	}
	return (void *)old;
}
