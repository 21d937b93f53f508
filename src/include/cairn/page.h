/* Physical page allocator (mm/page.c): the kernel wraps one page pool
 * (cairn/page_pool.h) in a spinlock. */
#ifndef CAIRN_PAGE_H
#define CAIRN_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/page_pool.h" /* PAGE_SIZE, struct page_pool */

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
