/* Page pool (mm/page_pool.c): a bitmap over one contiguous range of 4 KiB
 * pages, first-fit for contiguous runs. Pure logic, host-tested; the kernel's
 * locked allocator on top of it is cairn/page.h. */
#ifndef CAIRN_PAGE_POOL_H
#define CAIRN_PAGE_POOL_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096ul

struct page_pool {
	uintptr_t base; /* first page, page-aligned */
	size_t npages;
	uint64_t *bitmap; /* 1 = used; npages bits, caller-provided storage */
	size_t free_pages;
	size_t hint; /* first index that may be free */
};

/* page_pool_init: manage [base, base + npages*PAGE_SIZE); all pages free. */
void page_pool_init(struct page_pool *p, uintptr_t base, size_t npages, uint64_t *bitmap);
/* page_pool_reserve: mark [addr, addr+len) used (clipped to the pool; a range
 * that wraps past the top of the address space runs to the end of the pool). */
void page_pool_reserve(struct page_pool *p, uintptr_t addr, size_t len);
/* page_pool_alloc: n contiguous pages, or 0 when none. */
uintptr_t page_pool_alloc(struct page_pool *p, size_t n);
/* page_pool_free: return n pages at addr; CAIRN_EINVAL for a page that is
 * outside the pool or already free (a double free), and nothing changes. */
int page_pool_free(struct page_pool *p, uintptr_t addr, size_t n);

#endif
