/* Physical page allocator: a bitmap over one contiguous range of 4 KiB pages,
 * first-fit for contiguous runs. The allocator core (struct page_pool) is pure
 * logic and host-tested; the kernel wraps one pool in a spinlock. */
#ifndef CAIRN_PAGE_H
#define CAIRN_PAGE_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096ul

struct page_pool {
	uintptr_t base;     /* first page, page-aligned */
	size_t npages;
	uint64_t *bitmap;   /* 1 = used; npages bits, caller-provided storage */
	size_t free_pages;
	size_t hint;        /* first index that may be free */
};

/* page_pool_init: manage [base, base + npages*PAGE_SIZE); all pages free. */
void page_pool_init(struct page_pool *p, uintptr_t base, size_t npages, uint64_t *bitmap);
/* page_pool_reserve: mark [addr, addr+len) used (clipped to the pool). */
void page_pool_reserve(struct page_pool *p, uintptr_t addr, size_t len);
/* page_pool_alloc: n contiguous pages, or 0 when none. */
uintptr_t page_pool_alloc(struct page_pool *p, size_t n);
/* page_pool_free: return n pages at addr; CAIRN_EINVAL for a page that is
 * outside the pool or already free (a double free), and nothing changes. */
int page_pool_free(struct page_pool *p, uintptr_t addr, size_t n);

/* Kernel allocator (locked): zeroed pages or NULL when exhausted. */
/* page_alloc_as: n zeroed pages charged to comp's page budget (cairn/budget.h);
 * NULL when the budget or the pool is exhausted. page_alloc charges the calling
 * thread's component. page_free credits whoever the pages were charged to. */
void *page_alloc_as(uint16_t comp, size_t n);
void *page_alloc(size_t n);
void page_free(void *p, size_t n);
size_t page_free_count(void);
/* page_total_count: pages the pool manages. */
size_t page_total_count(void);
/* heap_reserved_bytes: the slice of pages reserved for malloc (its sbrk limit). */
size_t heap_reserved_bytes(void);
void page_init(const void *dtb);

#endif
