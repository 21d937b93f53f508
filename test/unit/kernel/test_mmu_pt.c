/* Sv39 page-table logic (src/mm/mmu_pt.c) on the host: leaf sizes chosen by
 * alignment and permissions, W^X and argument checks, splitting a large leaf to
 * unmap one page, re-mapping it, and allocation failure. Tables are host pages
 * whose addresses stand in for physical addresses. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/mmu.h"

#define MAX_TABLES 64

struct arena {
	void *pages[MAX_TABLES];
	unsigned used;
	unsigned limit; /* allocations allowed */
};

static void *arena_alloc(void *ctx)
{
	struct arena *a = ctx;
	if (a->used >= a->limit || a->used >= MAX_TABLES)
		return NULL;
	void *p = aligned_alloc(4096, 4096);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, 4096);
	a->pages[a->used++] = p;
	return p;
}

static void arena_free(struct arena *a)
{
	for (unsigned i = 0; i < a->used; i++)
		free(a->pages[i]);
}

/* perm_at: R/W/X bits and level of va's leaf; -1 level when unmapped. */
static uint64_t perm_at(const struct pt *pt, uint64_t va, int *level)
{
	pte_t e = 0;
	*level = -1;
	if (pt_lookup(pt, va, &e, level) != 0)
		return 0;
	ck_assert((e & (PTE_V | PTE_A | PTE_D)) == (PTE_V | PTE_A | PTE_D));
	ck_assert(((e >> PTE_PPN_SHIFT) << 12 & ~(PT_LEVEL_SIZE(*level) - 1)) ==
		  (va & ~(PT_LEVEL_SIZE(*level) - 1))); /* identity */
	return e & (PTE_R | PTE_W | PTE_X);
}

START_TEST(test_mmu_pt_leaf_sizes_and_perms)
{
	struct arena a = { .limit = MAX_TABLES };
	struct pt pt;
	ck_assert_int_eq(pt_init(&pt, arena_alloc, &a), 0);
	const uint64_t img = 0x80200000;
	ck_assert_int_eq(pt_map_range(&pt, img, 0x3000, PTE_R | PTE_X), 0);
	ck_assert_int_eq(pt_map_range(&pt, img + 0x3000, 0x2000, PTE_R), 0);
	ck_assert_int_eq(pt_map_range(&pt, img + 0x5000, 0x90000000 - img - 0x5000, PTE_R | PTE_W),
			 0);
	ck_assert_int_eq(pt_map_range(&pt, 0xc0000000, 0x40000000, PTE_R | PTE_W), 0);
	int level;
	ck_assert_uint_eq(perm_at(&pt, img, &level), PTE_R | PTE_X);
	ck_assert_int_eq(level, 0);
	ck_assert_uint_eq(perm_at(&pt, img + 0x3fff, &level), PTE_R);
	ck_assert_uint_eq(perm_at(&pt, img + 0x5000, &level), PTE_R | PTE_W);
	ck_assert_int_eq(level, 0);
	ck_assert_uint_eq(perm_at(&pt, 0x80400000, &level), PTE_R | PTE_W);
	ck_assert_int_eq(level, 1); /* 2 MiB aligned: a megapage */
	ck_assert_uint_eq(perm_at(&pt, 0x8fffffff, &level), PTE_R | PTE_W);
	ck_assert_uint_eq(perm_at(&pt, 0xc1234000, &level), PTE_R | PTE_W);
	ck_assert_int_eq(level, 2); /* 1 GiB aligned: a gigapage */
	ck_assert_uint_eq(perm_at(&pt, 0, &level), 0);
	ck_assert_int_eq(level, -1);
	ck_assert_uint_eq(perm_at(&pt, 0x90000000, &level), 0);
	ck_assert_uint_eq(perm_at(&pt, 0x80000000, &level), 0);
	ck_assert_uint_eq(pt_count_wx(&pt), 0);
	/* Same perm again is fine; another perm on a mapped page is not. */
	ck_assert_int_eq(pt_map_range(&pt, 0x80400000, 0x1000, PTE_R | PTE_W), 0);
	ck_assert_int_eq(pt_map_range(&pt, img, 0x1000, PTE_R), CAIRN_EEXIST);
	ck_assert_int_eq(pt_map_range(&pt, 0x80400000, 0x1000, PTE_R), CAIRN_EEXIST);
	arena_free(&a);
}
END_TEST

START_TEST(test_mmu_pt_rejects_bad_arguments)
{
	struct arena a = { .limit = MAX_TABLES };
	struct pt pt;
	ck_assert_int_eq(pt_init(&pt, arena_alloc, &a), 0);
	ck_assert_int_eq(pt_map_range(&pt, 0x1000, 0x1000, PTE_R | PTE_W | PTE_X), CAIRN_EINVAL);
	ck_assert_int_eq(pt_map_range(&pt, 0x1000, 0x1000, PTE_W), CAIRN_EINVAL);
	ck_assert_int_eq(pt_map_range(&pt, 0x1000, 0x1000, 0), CAIRN_EINVAL);
	ck_assert_int_eq(pt_map_range(&pt, 0x1000, 0x1000, PTE_R | PTE_U), CAIRN_EINVAL);
	ck_assert_int_eq(pt_map_range(&pt, 0x1001, 0x1000, PTE_R), CAIRN_EINVAL);
	ck_assert_int_eq(pt_map_range(&pt, 0x1000, 0x800, PTE_R), CAIRN_EINVAL);
	ck_assert_int_eq(pt_map_range(&pt, SV39_VA_LIMIT, 0x1000, PTE_R), CAIRN_ERANGE);
	ck_assert_int_eq(pt_map_range(&pt, SV39_VA_LIMIT - 0x1000, 0x2000, PTE_R), CAIRN_ERANGE);
	ck_assert_int_eq(pt_unmap_page(&pt, 0x1234), CAIRN_EINVAL);
	ck_assert_int_eq(pt_unmap_page(&pt, 0x1000), CAIRN_ENOENT);
	ck_assert_int_eq(pt.table_pages, 1); /* nothing was built */
	arena_free(&a);
}
END_TEST

START_TEST(test_mmu_pt_unmap_splits_and_remaps)
{
	struct arena a = { .limit = MAX_TABLES };
	struct pt pt;
	ck_assert_int_eq(pt_init(&pt, arena_alloc, &a), 0);
	ck_assert_int_eq(pt_map_range(&pt, 0x40000000, 0x40000000, PTE_R | PTE_W), 0);
	ck_assert_int_eq(pt.table_pages, 1); /* one gigapage in the root */
	const uint64_t guard = 0x40345000;
	ck_assert_int_eq(pt_unmap_page(&pt, guard), 0);
	ck_assert_int_eq(pt.table_pages, 3); /* gigapage -> megapages -> 4 KiB pages */
	int level;
	ck_assert_uint_eq(perm_at(&pt, guard, &level), 0);
	ck_assert_uint_eq(perm_at(&pt, guard - 0x1000, &level), PTE_R | PTE_W);
	ck_assert_int_eq(level, 0);
	ck_assert_uint_eq(perm_at(&pt, guard + 0x1000, &level), PTE_R | PTE_W);
	ck_assert_uint_eq(perm_at(&pt, 0x40400000, &level), PTE_R | PTE_W);
	ck_assert_int_eq(level, 1); /* the neighbouring megapage stays whole */
	ck_assert_uint_eq(perm_at(&pt, 0x7fffffff, &level), PTE_R | PTE_W);
	ck_assert_int_eq(pt_unmap_page(&pt, guard), CAIRN_ENOENT);
	ck_assert_int_eq(pt_map_range(&pt, guard, 0x1000, PTE_R | PTE_W), 0);
	ck_assert_uint_eq(perm_at(&pt, guard, &level), PTE_R | PTE_W);
	ck_assert_int_eq(level, 0);
	ck_assert_int_eq(pt.table_pages, 3);
	arena_free(&a);
}
END_TEST

START_TEST(test_mmu_pt_alloc_failure_and_wx_count)
{
	struct arena a = { .limit = 2 };
	struct pt pt;
	ck_assert_int_eq(pt_init(&pt, arena_alloc, &a), 0);
	/* A 4 KiB page needs two more tables below the root: only one is left. */
	ck_assert_int_eq(pt_map_range(&pt, 0x80000000, 0x1000, PTE_R), CAIRN_ENOMEM);
	ck_assert_int_eq(pt_map_range(&pt, 0x40000000, 0x40000000, PTE_R | PTE_W), 0);
	ck_assert_int_eq(pt_unmap_page(&pt, 0x40000000), CAIRN_ENOMEM);
	int level;
	ck_assert_uint_eq(perm_at(&pt, 0x40000000, &level), PTE_R | PTE_W); /* unchanged */
	/* A W+X leaf written behind the API's back is counted. */
	pt.root[0] = PTE_V | PTE_R | PTE_W | PTE_X;
	ck_assert_uint_eq(pt_count_wx(&pt), 1);
	arena_free(&a);
	struct arena none = { .limit = 0 };
	ck_assert_int_eq(pt_init(&pt, arena_alloc, &none), CAIRN_ENOMEM);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("mmu_pt");
	tcase_add_test(tc, test_mmu_pt_leaf_sizes_and_perms);
	tcase_add_test(tc, test_mmu_pt_rejects_bad_arguments);
	tcase_add_test(tc, test_mmu_pt_unmap_splits_and_remaps);
	tcase_add_test(tc, test_mmu_pt_alloc_failure_and_wx_count);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
