/* Per-component heap accounting (cairn/budget.h, BUDGET_HEAP). The image is
 * linked with --wrap for malloc, calloc, realloc, free and aligned_alloc, so
 * every allocation in the image, components and picolibc alike, comes through
 * here: the block gets a header naming the component it was charged to (the
 * calling thread's, thread_component()) and its charged size, and free gives
 * the charge back to that component whoever frees it. Over budget, malloc
 * returns NULL (the component's CAIRN_ENOMEM) without touching the heap, so a
 * component can exhaust only its own share. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cairn/budget.h"
#include "cairn/panic.h"
#include "cairn/sched.h"

#define HDR_MAGIC 0x48454150u /* "HEAP" */

/* The header just below every block handed out (16 bytes keeps malloc's
 * 16-byte alignment). */
struct hdr {
	uint32_t size;	 /* bytes charged: header, padding and the block */
	uint16_t comp;	 /* component charged */
	uint16_t offset; /* from the underlying allocation's start to the block */
	uint32_t magic;
	uint32_t pad;
};
_Static_assert(sizeof(struct hdr) == 16, "heap header keeps 16-byte alignment");

void *__real_malloc(size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);
void __wrap_free(void *p);

/* charged_alloc: an allocation of n bytes aligned to align (16 or more, a power
 * of two), charged to the calling thread's component; NULL when the budget or
 * the heap is exhausted or the size overflows. */
static void *charged_alloc(size_t align, size_t n)
{
	size_t lead = align < sizeof(struct hdr) ? sizeof(struct hdr) : align;
	if (n > UINT32_MAX - lead)
		return NULL;
	uint32_t total = (uint32_t)(n + lead);
	uint16_t comp = thread_component();
	if (budget_charge(comp, BUDGET_HEAP, total) != 0)
		return NULL;
	uint8_t *base = align <= sizeof(struct hdr) ? __real_malloc(total)
						    : __real_aligned_alloc(align, total);
	if (!base) {
		budget_release(comp, BUDGET_HEAP, total);
		return NULL;
	}
	struct hdr *h = (struct hdr *)(base + lead) - 1;
	*h = (struct hdr){
		.size = total, .comp = comp, .offset = (uint16_t)lead, .magic = HDR_MAGIC
	};
	return base + lead;
}

/* hdr_of: the header of a block from charged_alloc (panics on a foreign one). */
static struct hdr *hdr_of(void *p)
{
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != HDR_MAGIC)
		panic("free of %p: not a heap block (or its header was overwritten)", p);
	return h;
}

void *__wrap_malloc(size_t n) { return charged_alloc(sizeof(struct hdr), n); }

void *__wrap_aligned_alloc(size_t align, size_t n)
{
	if (align == 0 || (align & (align - 1)) || align > 4096)
		return NULL;
	return charged_alloc(align, n);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	void *p = charged_alloc(sizeof(struct hdr), nmemb * size);
	if (p)
		memset(p, 0, nmemb * size);
	return p;
}

void __wrap_free(void *p)
{
	if (!p)
		return;
	struct hdr *h = hdr_of(p);
	uint16_t comp = h->comp;
	uint32_t size = h->size;
	uint8_t *base = (uint8_t *)p - h->offset;
	h->magic = 0; /* a second free of the same block panics */
	__real_free(base);
	budget_release(comp, BUDGET_HEAP, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (!p)
		return __wrap_malloc(n);
	struct hdr *h = hdr_of(p);
	size_t old = h->size - h->offset;
	void *q = __wrap_malloc(n);
	if (!q)
		return NULL; /* p stays valid, as realloc promises */
	memcpy(q, p, old < n ? old : n);
	__wrap_free(p);
	return q;
}
