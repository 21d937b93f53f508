/* The boot timeline (cairn/timeline.h): per-phase times of this boot, one line.
 *
 * Lock: tl_lock (a spinlock) protects every field below; the records come from
 * the boot hart (marks, harts) and from the supervisor's lifecycle threads
 * (components, spans), one at a time, but a span may be recorded on any hart. */
#include "cairn/timeline.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/sched.h"
#include "cairn/spinlock.h"
#include "cairn/timer.h"

static const char *const phase_name[TL_NPHASES] = {
	[TL_DTB] = "dtb",     [TL_SBI] = "sbi",	    [TL_MEM] = "mem", [TL_MMU] = "mmu",
	[TL_PLIC] = "plic",   [TL_HARTS] = "harts", [TL_IPI] = "ipi", [TL_SCHED] = "sched",
	[TL_COMPS] = "comps", [TL_READY] = "ready",
};

static struct spinlock tl_lock = SPINLOCK_INIT("timeline");
/* Protected by tl_lock: */
static bool tl_done;		  /* printed: ignore further records */
static uint64_t mark[TL_NPHASES]; /* µs since _start at each phase's end */
static bool marked[TL_NPHASES];
static struct {
	uint32_t hartid;
	uint64_t us;
} harts[TIMELINE_MAX_HARTS];
static unsigned nharts;
static struct {
	bool seen;
	uint64_t init_us, start_us;
} comps[CAP_COMP_COUNT];
static struct {
	uint16_t comp;
	char what[16];
	uint64_t us;
} spans[TIMELINE_MAX_SPANS];
static unsigned nspans;

uint64_t timeline_mark(enum timeline_phase p)
{
	uint64_t now = time_us();
	spin_lock(&tl_lock);
	if (!tl_done && p < TL_NPHASES && !marked[p]) {
		mark[p] = now;
		marked[p] = true;
	}
	spin_unlock(&tl_lock);
	return now;
}

void timeline_hart(uint32_t hartid, uint64_t us)
{
	spin_lock(&tl_lock);
	if (!tl_done && nharts < TIMELINE_MAX_HARTS) {
		harts[nharts].hartid = hartid;
		harts[nharts].us = us;
		nharts++;
	}
	spin_unlock(&tl_lock);
}

void timeline_comp(unsigned comp, uint64_t init_us, uint64_t start_us)
{
	spin_lock(&tl_lock);
	if (!tl_done && comp > 0 && comp < CAP_COMP_COUNT && !comps[comp].seen) {
		comps[comp].seen = true;
		comps[comp].init_us = init_us;
		comps[comp].start_us = start_us;
	}
	spin_unlock(&tl_lock);
}

void timeline_span(const char *what, uint64_t us)
{
	uint16_t comp = thread_component();
	spin_lock(&tl_lock);
	if (!tl_done && nspans < TIMELINE_MAX_SPANS) {
		spans[nspans].comp = comp;
		/* A name is a token in the line: cut at a space or '='. */
		size_t n = 0;
		while (n < sizeof(spans[0].what) - 1 && what[n] && what[n] != ' ' && what[n] != '=')
			n++;
		memcpy(spans[nspans].what, what, n);
		spans[nspans].what[n] = '\0';
		spans[nspans].us = us;
		nspans++;
	}
	spin_unlock(&tl_lock);
}

/* put: append a formatted piece to buf (size cap, *len so far); a piece that
 * does not fit is left out whole and the line ends in " ..." instead. */
static void put(char *buf, size_t cap, size_t *len, bool *cut, const char *fmt, ...)
{
	if (*cut)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len - 5) { /* keep room for " ...\n" */
		buf[*len] = '\0';
		*cut = true;
		return;
	}
	*len += (size_t)n;
}

void timeline_print(uint64_t ready_us)
{
	static char line[1024]; /* kinit only, once: not on its stack */
	size_t len = 0;
	bool cut = false;
	spin_lock(&tl_lock);
	if (tl_done) {
		spin_unlock(&tl_lock);
		return;
	}
	mark[TL_READY] = ready_us;
	marked[TL_READY] = true;
	tl_done = true;
	spin_unlock(&tl_lock);
	/* Records are frozen from here: read without the lock. The firmware's
	 * share is the timer count at _start (QEMU starts it at 0 at reset). */
	uint64_t hz = platform.timebase_hz;
	uint64_t fw = boot_time / hz * 1000000u + boot_time % hz * 1000000u / hz;
	put(line, sizeof(line), &len, &cut, "cairn: timeline us fw=%llu", (unsigned long long)fw);
	/* Printed as they are, so a test sees a mark out of order (a negative
	 * phase) or a phase the boot path never marked ("?"). */
	uint64_t prev = 0;
	for (unsigned p = 0; p < TL_NPHASES; p++) {
		if (!marked[p]) {
			put(line, sizeof(line), &len, &cut, " %s=?", phase_name[p]);
			continue;
		}
		put(line, sizeof(line), &len, &cut, " %s=%lld", phase_name[p],
		    (long long)(mark[p] - prev));
		prev = mark[p];
	}
	put(line, sizeof(line), &len, &cut, " total=%llu |", (unsigned long long)ready_us);
	for (unsigned i = 0; i < nharts; i++)
		put(line, sizeof(line), &len, &cut, " hart%u=%llu", harts[i].hartid,
		    (unsigned long long)harts[i].us);
	put(line, sizeof(line), &len, &cut, " |");
	for (unsigned i = 0; i < cap_table.start_count; i++) {
		unsigned c = cap_table.start_order[i];
		if (comps[c].seen)
			put(line, sizeof(line), &len, &cut, " %s=%llu+%llu", cap_comp_name(c),
			    (unsigned long long)comps[c].init_us,
			    (unsigned long long)comps[c].start_us);
	}
	for (unsigned i = 0; i < nspans; i++)
		put(line, sizeof(line), &len, &cut, " %s.%s=%llu", cap_comp_name(spans[i].comp),
		    spans[i].what, (unsigned long long)spans[i].us);
	if (cut) {
		memcpy(line + len, " ...", 4);
		len += 4;
	}
	line[len++] = '\n';
	console_write_n(line, len);
}
