/* Sv39 page tables (mm/mmu_pt.c): pure logic over tables reached by physical
 * address (identity: the address is the pointer), host-tested in
 * test/unit/kernel. The kernel's address space on top of it: cairn/mmu.h. */
#ifndef CAIRN_MMU_PT_H
#define CAIRN_MMU_PT_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PBMT_IO (2ull << 61) /* Svpbmt: non-cacheable, strongly ordered I/O */
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK (((1ull << 44) - 1) << PTE_PPN_SHIFT)

#define SV39_LEVELS 3
#define SV39_VA_LIMIT (1ull << 38) /* identity map: addresses below 2^38 only */
#define SATP_MODE_SV39 (8ull << 60)

/* pt_level_size: bytes mapped by one leaf at level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
#define PT_LEVEL_SIZE(level) (1ull << (12 + 9 * (level)))

typedef uint64_t pte_t;

/* A page table under construction or in use. alloc returns one zeroed, 4 KiB
 * aligned page (its address is its physical address) or NULL. */
struct pt {
	pte_t *root;
	void *(*alloc)(void *ctx);
	void *ctx;
	unsigned table_pages; /* tables allocated so far, root included */
};

/* pt_init: allocate the root; CAIRN_ENOMEM when alloc fails. */
int pt_init(struct pt *pt, void *(*alloc)(void *ctx), void *ctx);
/* pt_map_range: identity-map [va, va+size) with perm (PTE_R/W/X, optionally
 * PTE_PBMT_IO); leaves get V, A and D. va and size must be 4 KiB multiples
 * (CAIRN_EINVAL), the range below SV39_VA_LIMIT (CAIRN_ERANGE), perm readable or
 * executable and never W+X (CAIRN_EINVAL). A page already mapped with the same
 * perm is fine; with another perm it is CAIRN_EEXIST. CAIRN_ENOMEM when a table
 * cannot be allocated (pages mapped so far stay mapped). */
int pt_map_range(struct pt *pt, uint64_t va, uint64_t size, uint64_t perm);
/* pt_unmap_page: make the 4 KiB page at va invalid, splitting a large leaf
 * first. 0, CAIRN_ENOENT when it is not mapped, CAIRN_ENOMEM, CAIRN_EINVAL. */
int pt_unmap_page(struct pt *pt, uint64_t va);
/* pt_lookup: the leaf PTE mapping va and its level; CAIRN_ENOENT if unmapped. */
int pt_lookup(const struct pt *pt, uint64_t va, pte_t *pte, int *level);
/* pt_count_wx: leaves anywhere in the table that are both writable and
 * executable (W^X demands 0). */
unsigned long pt_count_wx(const struct pt *pt);

#endif
