/* Bitmap page allocator core: pure logic, host-tested (test/unit/kernel). */
#include "cairn/page_pool.h"

#include <stdbool.h>
#include <string.h>

#include "cairn/err.h"

static bool used(const struct page_pool *p, size_t i)
{
	return (p->bitmap[i / 64] >> (i % 64)) & 1;
}
static void set_used(struct page_pool *p, size_t i) { p->bitmap[i / 64] |= 1ull << (i % 64); }
static void set_free(struct page_pool *p, size_t i) { p->bitmap[i / 64] &= ~(1ull << (i % 64)); }

void page_pool_init(struct page_pool *p, uintptr_t base, size_t npages, uint64_t *bitmap)
{
	p->base = base;
	p->npages = npages;
	p->bitmap = bitmap;
	p->free_pages = npages;
	p->hint = 0;
	memset(bitmap, 0, (npages + 63) / 64 * sizeof(uint64_t));
}

void page_pool_reserve(struct page_pool *p, uintptr_t addr, size_t len)
{
	/* A range that wraps past the top reserves to the end: skipping it would
	 * hand out the pages it does cover (fail closed). */
	uintptr_t end = addr + len < addr ? UINTPTR_MAX : addr + len;
	uintptr_t pool_end = p->base + p->npages * PAGE_SIZE;
	if (len == 0 || end <= p->base || addr >= pool_end)
		return;
	if (addr < p->base)
		addr = p->base;
	if (end > pool_end)
		end = pool_end;
	size_t first = (addr - p->base) / PAGE_SIZE;
	size_t last = (end - p->base + PAGE_SIZE - 1) / PAGE_SIZE;
	for (size_t i = first; i < last; i++) {
		if (!used(p, i)) {
			set_used(p, i);
			p->free_pages--;
		}
	}
}

uintptr_t page_pool_alloc(struct page_pool *p, size_t n)
{
	if (n == 0 || n > p->free_pages)
		return 0;
	size_t run = 0;
	for (size_t i = p->hint; i < p->npages; i++) {
		run = used(p, i) ? 0 : run + 1;
		if (run == n) {
			size_t first = i + 1 - n;
			for (size_t k = first; k <= i; k++)
				set_used(p, k);
			p->free_pages -= n;
			if (first == p->hint)
				p->hint = i + 1;
			return p->base + first * PAGE_SIZE;
		}
	}
	return 0;
}

int page_pool_free(struct page_pool *p, uintptr_t addr, size_t n)
{
	if (n == 0 || addr < p->base || (addr - p->base) % PAGE_SIZE)
		return CAIRN_EINVAL;
	size_t first = (addr - p->base) / PAGE_SIZE;
	if (first >= p->npages || n > p->npages - first)
		return CAIRN_EINVAL;
	for (size_t i = first; i < first + n; i++) {
		if (!used(p, i))
			return CAIRN_EINVAL;
	}
	for (size_t i = first; i < first + n; i++)
		set_free(p, i);
	p->free_pages += n;
	if (first < p->hint)
		p->hint = first;
	return 0;
}
