/* Small core pieces: the intrusive list (the run and wait queues are built on
 * it), trap cause names and error names. */
#include <check.h>
#include <stdlib.h>

#include "cairn/err.h"
#include "cairn/list.h"
#include "cairn/trap.h"

struct item {
	int v;
	struct list_node node;
};

START_TEST(test_kernel_list_fifo_and_remove)
{
	struct list_node q = LIST_INIT(q);
	struct item it[5];
	ck_assert(list_empty(&q));
	for (int i = 0; i < 5; i++) {
		it[i].v = i;
		list_init(&it[i].node);
		ck_assert(!list_linked(&it[i].node));
		list_push_back(&q, &it[i].node);
	}
	list_remove(&it[2].node); /* a waiter that timed out leaves the middle */
	ck_assert(!list_linked(&it[2].node));
	int want[] = { 0, 1, 3, 4 };
	for (int i = 0; i < 4; i++) {
		struct list_node *n = list_pop_front(&q);
		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(list_entry(n, struct item, node)->v, want[i]);
		ck_assert(!list_linked(n));
	}
	ck_assert_ptr_null(list_pop_front(&q));
	list_push_front(&q, &it[0].node);
	list_push_front(&q, &it[1].node);
	ck_assert_int_eq(list_entry(q.next, struct item, node)->v, 1);
}
END_TEST

START_TEST(test_kernel_trap_cause_names)
{
	ck_assert_str_eq(trap_cause_name(5), "load access fault");
	ck_assert_str_eq(trap_cause_name(2), "illegal instruction");
	ck_assert_str_eq(trap_cause_name(15), "store/AMO page fault");
	ck_assert_str_eq(trap_cause_name((1ull << 63) | 5), "supervisor timer interrupt");
	ck_assert_str_eq(trap_cause_name(10), "unknown exception");
	ck_assert_str_eq(trap_cause_name(1000), "unknown exception");
	ck_assert_str_eq(trap_cause_name((1ull << 63) | 77), "unknown interrupt");
}
END_TEST

START_TEST(test_kernel_error_names)
{
	ck_assert_str_eq(cairn_strerror(0), "OK");
	ck_assert_str_eq(cairn_strerror(CAIRN_EIO), "EIO");
	ck_assert_str_eq(cairn_strerror(CAIRN_EBADMSG), "EBADMSG");
	ck_assert_str_eq(cairn_strerror(CAIRN_ETIMEDOUT), "ETIMEDOUT");
	ck_assert_str_eq(cairn_strerror(CAIRN_EDQUOT), "EDQUOT");
	ck_assert_int_ne(CAIRN_EDQUOT, CAIRN_ENOSPC);
	ck_assert_str_eq(cairn_strerror(-9999), "E?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_kernel_list_fifo_and_remove);
	tcase_add_test(tc, test_kernel_trap_cause_names);
	tcase_add_test(tc, test_kernel_error_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
