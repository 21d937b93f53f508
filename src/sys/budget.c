/* Resource budgets (cairn/budget.h): per component and kind, an atomic count of
 * what is held, its peak and the refusals. A charge is a compare-and-swap loop
 * that never lets the count pass the limit, so concurrent charges on several
 * harts cannot overshoot it together. Relaxed ordering: the counters order
 * nothing else; the memory they stand for is handed out by its own allocator
 * under its own lock. */
#include "cairn/budget.h"

#include "cairn/cap.h"
#include "cairn/err.h"
#include "cairn/panic.h"

static uint64_t used[CAP_COMP_COUNT][BUDGET_KINDS];
static uint64_t peak[CAP_COMP_COUNT][BUDGET_KINDS];
static uint64_t refused[CAP_COMP_COUNT][BUDGET_KINDS];

/* limit_of: comp's limit for kind (the table's budget line). */
static uint64_t limit_of(uint16_t comp, enum budget_kind kind)
{
	const struct cap_budget *b = &cap_table.budgets[comp];
	switch (kind) {
	case BUDGET_HEAP:
		return b->heap;
	case BUDGET_PAGES:
		return b->pages;
	case BUDGET_THREADS:
		return b->threads;
	default:
		return b->handles;
	}
}

const char *budget_kind_name(enum budget_kind kind)
{
	static const char *const names[BUDGET_KINDS] = { "heap", "pages", "threads", "handles" };
	return (unsigned)kind < BUDGET_KINDS ? names[kind] : "?";
}

int budget_charge(uint16_t comp, enum budget_kind kind, uint64_t n)
{
	if (comp >= CAP_COMP_COUNT || (unsigned)kind >= BUDGET_KINDS)
		return CAIRN_EINVAL;
	uint64_t lim = comp == 0 ? UINT64_MAX : limit_of(comp, kind);
	uint64_t cur = __atomic_load_n(&used[comp][kind], __ATOMIC_RELAXED);
	do {
		if (n > lim || cur > lim - n) {
			__atomic_fetch_add(&refused[comp][kind], 1, __ATOMIC_RELAXED);
			return kind == BUDGET_HANDLES ? CAIRN_EMFILE : CAIRN_ENOMEM;
		}
	} while (!__atomic_compare_exchange_n(&used[comp][kind], &cur, cur + n, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	uint64_t now = cur + n, p = __atomic_load_n(&peak[comp][kind], __ATOMIC_RELAXED);
	while (now > p && !__atomic_compare_exchange_n(&peak[comp][kind], &p, now, true,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return 0;
}

void budget_release(uint16_t comp, enum budget_kind kind, uint64_t n)
{
	if (comp >= CAP_COMP_COUNT || (unsigned)kind >= BUDGET_KINDS)
		panic("budget_release: bad component %u or kind %d", comp, (int)kind);
	uint64_t before = __atomic_fetch_sub(&used[comp][kind], n, __ATOMIC_RELAXED);
	if (before < n)
		panic("budget: %s of component %u released %llu, held %llu", budget_kind_name(kind),
		      comp, (unsigned long long)n, (unsigned long long)before);
}

int budget_usage(uint16_t comp, struct budget_usage *out)
{
	if (comp >= CAP_COMP_COUNT)
		return CAIRN_EINVAL;
	for (unsigned k = 0; k < BUDGET_KINDS; k++) {
		out->used[k] = __atomic_load_n(&used[comp][k], __ATOMIC_RELAXED);
		out->peak[k] = __atomic_load_n(&peak[comp][k], __ATOMIC_RELAXED);
		out->refused[k] = __atomic_load_n(&refused[comp][k], __ATOMIC_RELAXED);
		out->limit[k] = comp == 0 ? UINT64_MAX : limit_of(comp, (enum budget_kind)k);
	}
	return 0;
}
