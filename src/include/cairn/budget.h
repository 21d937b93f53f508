/* Resource budgets: what each component may hold at a time, from the table's
 * `budget` lines (cap_table.budgets, struct cap_budget in cap.h;
 * docs/limits.md). The kernel core (id 0) is counted but never limited.
 *
 * What is charged, and to whom:
 *   BUDGET_HEAP     bytes malloc'd while the calling thread acts as the component
 *                   (header included), released by free whoever frees (heap.c)
 *   BUDGET_PAGES    page-pool pages: a thread's stack to its owner, page_alloc to
 *                   the calling thread's component (page.c)
 *   BUDGET_THREADS  live threads, to their owner (sched.c)
 *   BUDGET_HANDLES  handles a component hands out, to the component that holds
 *                   them (packagefs' open files)
 * Any thread, any hart; lock-free (atomic counters). */
#ifndef CAIRN_BUDGET_H
#define CAIRN_BUDGET_H

#include <stdint.h>

enum budget_kind {
	BUDGET_HEAP,
	BUDGET_PAGES,
	BUDGET_THREADS,
	BUDGET_HANDLES,
	BUDGET_KINDS
};

/* What one component holds now, the most it held, and how often it was refused. */
struct budget_usage {
	uint64_t used[BUDGET_KINDS];
	uint64_t peak[BUDGET_KINDS];
	uint64_t refused[BUDGET_KINDS];
	uint64_t limit[BUDGET_KINDS];
};

/* budget_charge: take n units of kind for comp: 0, or (nothing taken) the
 * budget's error, CAIRN_ENOMEM (heap, pages, threads) or CAIRN_EMFILE
 * (handles), counted as a refusal. CAIRN_EINVAL for an unknown comp. */
int budget_charge(uint16_t comp, enum budget_kind kind, uint64_t n);
/* budget_release: give back n units charged to comp (never below zero: a
 * release of more than is held panics, it is a bookkeeping bug). */
void budget_release(uint16_t comp, enum budget_kind kind, uint64_t n);
/* budget_usage: comp's counters; CAIRN_EINVAL for an unknown comp. */
int budget_usage(uint16_t comp, struct budget_usage *out);
/* budget_kind_name: "heap", "pages", "threads" or "handles". */
const char *budget_kind_name(enum budget_kind kind);

#endif
