/* The bitmap page allocator: contiguous runs, reservations, exhaustion and
 * double-free detection. Runs on a fake address range; nothing is touched. */
#include <check.h>
#include <stdlib.h>

#include "cairn/err.h"
#include "cairn/page.h"

#define BASE 0x80400000ul
#define NPAGES 200

static uint64_t bitmap[(NPAGES + 63) / 64];
static struct page_pool pool;

static void setup(void) { page_pool_init(&pool, BASE, NPAGES, bitmap); }

START_TEST(test_kernel_page_alloc_free)
{
	uintptr_t a = page_pool_alloc(&pool, 1);
	uintptr_t b = page_pool_alloc(&pool, 4);
	ck_assert_uint_eq(a, BASE);
	ck_assert_uint_eq(b, BASE + PAGE_SIZE);
	ck_assert_uint_eq(pool.free_pages, NPAGES - 5);
	ck_assert_int_eq(page_pool_free(&pool, a, 1), 0);
	ck_assert_uint_eq(page_pool_alloc(&pool, 1), a); /* the hole is reused */
	ck_assert_int_eq(page_pool_free(&pool, b, 4), 0);
	ck_assert_int_eq(page_pool_free(&pool, a, 1), 0);
	ck_assert_uint_eq(pool.free_pages, NPAGES);
}
END_TEST

START_TEST(test_kernel_page_contiguous_skips_holes)
{
	uintptr_t p[6];
	for (int i = 0; i < 6; i++)
		p[i] = page_pool_alloc(&pool, 1);
	ck_assert_int_eq(page_pool_free(&pool, p[1], 1), 0);
	ck_assert_int_eq(page_pool_free(&pool, p[3], 1), 0);
	uintptr_t run = page_pool_alloc(&pool, 2); /* the 1-page holes are too small */
	ck_assert_uint_eq(run, BASE + 6 * PAGE_SIZE);
	ck_assert_uint_eq(page_pool_alloc(&pool, 1), p[1]);
}
END_TEST

START_TEST(test_kernel_page_exhaustion_returns_zero)
{
	ck_assert_uint_eq(page_pool_alloc(&pool, NPAGES + 1), 0);
	ck_assert_uint_eq(page_pool_alloc(&pool, 0), 0);
	ck_assert_uint_ne(page_pool_alloc(&pool, NPAGES), 0);
	ck_assert_uint_eq(page_pool_alloc(&pool, 1), 0);
	ck_assert_uint_eq(pool.free_pages, 0);
}
END_TEST

START_TEST(test_kernel_page_bad_free_rejected)
{
	uintptr_t a = page_pool_alloc(&pool, 2);
	ck_assert_int_eq(page_pool_free(&pool, a + 1, 1), CAIRN_EINVAL);	    /* unaligned */
	ck_assert_int_eq(page_pool_free(&pool, BASE - PAGE_SIZE, 1), CAIRN_EINVAL); /* below */
	ck_assert_int_eq(page_pool_free(&pool, BASE + NPAGES * PAGE_SIZE, 1), CAIRN_EINVAL);
	ck_assert_int_eq(page_pool_free(&pool, a, 3), CAIRN_EINVAL); /* third page is free */
	ck_assert_uint_eq(pool.free_pages, NPAGES - 2);		     /* nothing changed */
	ck_assert_int_eq(page_pool_free(&pool, a, 2), 0);
	ck_assert_int_eq(page_pool_free(&pool, a, 2), CAIRN_EINVAL); /* double free */
}
END_TEST

START_TEST(test_kernel_page_reserve)
{
	page_pool_reserve(&pool, BASE - PAGE_SIZE, 3 * PAGE_SIZE);	/* clipped: pages 0,1 */
	page_pool_reserve(&pool, BASE + 10 * PAGE_SIZE + 5, 10);	/* partial page 10 */
	page_pool_reserve(&pool, BASE + 10 * PAGE_SIZE, PAGE_SIZE);	/* again: no double count */
	page_pool_reserve(&pool, BASE + NPAGES * PAGE_SIZE, PAGE_SIZE); /* outside */
	ck_assert_uint_eq(pool.free_pages, NPAGES - 3);
	ck_assert_uint_eq(page_pool_alloc(&pool, 1), BASE + 2 * PAGE_SIZE);
	ck_assert_uint_eq(page_pool_alloc(&pool, 8), BASE + 11 * PAGE_SIZE);
}
END_TEST

/* A range whose end wraps past the top of the address space reserves to the end
 * of the pool (fuzz_dt, issue 20: it used to reserve nothing). */
START_TEST(test_kernel_page_reserve_wrapping_range)
{
	page_pool_reserve(&pool, BASE + (NPAGES - 2) * PAGE_SIZE, UINTPTR_MAX - PAGE_SIZE);
	ck_assert_uint_eq(pool.free_pages, NPAGES - 2);
	page_pool_reserve(&pool, UINTPTR_MAX - PAGE_SIZE, 2 * PAGE_SIZE); /* above the pool */
	ck_assert_uint_eq(pool.free_pages, NPAGES - 2);
	ck_assert_uint_eq(page_pool_alloc(&pool, NPAGES - 2), BASE);
	ck_assert_uint_eq(page_pool_alloc(&pool, 1), 0); /* the last two stay reserved */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("page_pool");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_kernel_page_alloc_free);
	tcase_add_test(tc, test_kernel_page_contiguous_skips_holes);
	tcase_add_test(tc, test_kernel_page_exhaustion_returns_zero);
	tcase_add_test(tc, test_kernel_page_bad_free_rejected);
	tcase_add_test(tc, test_kernel_page_reserve);
	tcase_add_test(tc, test_kernel_page_reserve_wrapping_range);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
