/* Sv39 page-table logic: build, split, unmap and look up identity mappings.
 * Pure logic (no CSRs), host-tested in test/unit/kernel. In the kernel the
 * caller serialises writers (mmu_lock); hardware walkers on other harts may read
 * concurrently, so every PTE is written with one 64-bit store, and a new table
 * is filled before the store that links it (release). */
#include "cairn/mmu_pt.h"

#include <stddef.h>

#include "cairn/err.h"

#define PTE_LEAF_BITS (PTE_R | PTE_W | PTE_X)
#define PTE_FLAG_MASK (~PTE_PPN_MASK) /* everything but the PPN: low bits, PBMT */

/* pte_is_leaf: a valid entry with any of R/W/X is a leaf (else a pointer). */
static bool pte_is_leaf(pte_t e) { return (e & PTE_V) && (e & PTE_LEAF_BITS); }

/* pte_addr: the physical address an entry points at (table or leaf base). */
static uint64_t pte_addr(pte_t e) { return ((e & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << 12; }

/* pte_make: an entry for physical address pa with flag bits. */
static pte_t pte_make(uint64_t pa, uint64_t flags) { return ((pa >> 12) << PTE_PPN_SHIFT) | flags; }

/* vpn: the index of va in a table at level. */
static unsigned vpn(uint64_t va, int level) { return (unsigned)((va >> (12 + 9 * level)) & 511); }

static pte_t *table_of(pte_t e) { return (pte_t *)(uintptr_t)pte_addr(e); }

static void pte_store(pte_t *p, pte_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static pte_t pte_load(const pte_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* new_table: one zeroed table from the allocator, or NULL. */
static pte_t *new_table(struct pt *pt)
{
	pte_t *t = pt->alloc(pt->ctx);
	if (t)
		pt->table_pages++;
	return t;
}

int pt_init(struct pt *pt, void *(*alloc)(void *ctx), void *ctx)
{
	pt->alloc = alloc;
	pt->ctx = ctx;
	pt->table_pages = 0;
	pt->root = new_table(pt);
	return pt->root ? 0 : CAIRN_ENOMEM;
}

/* split_leaf: replace the large leaf *slot (at level > 0) by a table of 512
 * leaves one level down with the same flags. The translation of every address
 * is unchanged, so no TLB flush is needed for the split itself. */
static int split_leaf(struct pt *pt, pte_t *slot, int level)
{
	pte_t old = pte_load(slot);
	pte_t *t = new_table(pt);
	if (!t)
		return CAIRN_ENOMEM;
	uint64_t base = pte_addr(old);
	uint64_t flags = old & PTE_FLAG_MASK;
	for (unsigned i = 0; i < 512; i++)
		t[i] = pte_make(base + i * PT_LEVEL_SIZE(level - 1), flags);
	pte_store(slot, pte_make((uint64_t)(uintptr_t)t, PTE_V));
	return 0;
}

/* set_leaf: make va's entry at level a leaf with flags, creating tables on the
 * way and splitting larger leaves whose flags differ. CAIRN_EAGAIN when a table
 * already hangs at that level (the caller maps smaller pieces instead). */
static int set_leaf(struct pt *pt, uint64_t va, int level, pte_t leaf_flags)
{
	pte_t *table = pt->root;
	for (int l = SV39_LEVELS - 1; l > level; l--) {
		pte_t *slot = &table[vpn(va, l)];
		pte_t e = pte_load(slot);
		if (!(e & PTE_V)) {
			pte_t *t = new_table(pt);
			if (!t)
				return CAIRN_ENOMEM;
			pte_store(slot, pte_make((uint64_t)(uintptr_t)t, PTE_V));
		} else if (pte_is_leaf(e)) {
			if ((e & PTE_FLAG_MASK) == leaf_flags)
				return 0; /* already covered by a larger leaf with the same flags */
			return CAIRN_EEXIST;
		}
		table = table_of(pte_load(slot));
	}
	pte_t *slot = &table[vpn(va, level)];
	pte_t e = pte_load(slot);
	pte_t want = pte_make(va, leaf_flags);
	if (e == want)
		return 0;
	if (e & PTE_V)
		return pte_is_leaf(e) ? CAIRN_EEXIST : CAIRN_EAGAIN;
	pte_store(slot, want);
	return 0;
}

/* perm_ok: readable or executable, never writable and executable, never
 * write-only (a reserved encoding), and nothing but permission/PBMT bits. */
static bool perm_ok(uint64_t perm)
{
	if (perm & ~(PTE_LEAF_BITS | PTE_PBMT_IO))
		return false;
	if ((perm & PTE_W) && (perm & PTE_X))
		return false;
	if ((perm & PTE_W) && !(perm & PTE_R))
		return false;
	return (perm & (PTE_R | PTE_X)) != 0;
}

int pt_map_range(struct pt *pt, uint64_t va, uint64_t size, uint64_t perm)
{
	if ((va | size) & 0xfff || !perm_ok(perm))
		return CAIRN_EINVAL;
	if (va >= SV39_VA_LIMIT || size > SV39_VA_LIMIT - va)
		return CAIRN_ERANGE;
	pte_t flags = perm | PTE_V | PTE_A | PTE_D;
	while (size) {
		int level = SV39_LEVELS - 1;
		while (level > 0 &&
		       ((va & (PT_LEVEL_SIZE(level) - 1)) || size < PT_LEVEL_SIZE(level)))
			level--;
		int rc;
		while ((rc = set_leaf(pt, va, level, flags)) == CAIRN_EAGAIN && level > 0)
			level--;
		if (rc)
			return rc;
		va += PT_LEVEL_SIZE(level);
		size -= PT_LEVEL_SIZE(level);
	}
	return 0;
}

int pt_unmap_page(struct pt *pt, uint64_t va)
{
	if ((va & 0xfff) || va >= SV39_VA_LIMIT)
		return CAIRN_EINVAL;
	pte_t *table = pt->root;
	for (int l = SV39_LEVELS - 1; l > 0; l--) {
		pte_t *slot = &table[vpn(va, l)];
		pte_t e = pte_load(slot);
		if (!(e & PTE_V))
			return CAIRN_ENOENT;
		if (pte_is_leaf(e)) {
			int rc = split_leaf(pt, slot, l);
			if (rc)
				return rc;
		}
		table = table_of(pte_load(slot));
	}
	pte_t *slot = &table[vpn(va, 0)];
	if (!(pte_load(slot) & PTE_V))
		return CAIRN_ENOENT;
	pte_store(slot, 0);
	return 0;
}

int pt_lookup(const struct pt *pt, uint64_t va, pte_t *pte, int *level)
{
	if (va >= SV39_VA_LIMIT)
		return CAIRN_ENOENT;
	const pte_t *table = pt->root;
	for (int l = SV39_LEVELS - 1; l >= 0; l--) {
		pte_t e = pte_load(&table[vpn(va, l)]);
		if (!(e & PTE_V))
			return CAIRN_ENOENT;
		if (pte_is_leaf(e)) {
			if (pte)
				*pte = e;
			if (level)
				*level = l;
			return 0;
		}
		if (l == 0)
			return CAIRN_ENOENT; /* a pointer at level 0 is malformed */
		table = table_of(e);
	}
	return CAIRN_ENOENT;
}

/* count_wx: W+X leaves in the table at level and below. */
static unsigned long count_wx(const pte_t *table, int level)
{
	unsigned long n = 0;
	for (unsigned i = 0; i < 512; i++) {
		pte_t e = pte_load(&table[i]);
		if (!(e & PTE_V))
			continue;
		if (pte_is_leaf(e))
			n += (e & PTE_W) && (e & PTE_X);
		else if (level > 0)
			n += count_wx(table_of(e), level - 1);
	}
	return n;
}

unsigned long pt_count_wx(const struct pt *pt) { return count_wx(pt->root, SV39_LEVELS - 1); }
