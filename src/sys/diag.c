/* Read-only kernel diagnostics (cairn/diag.h): snapshots of harts, threads and
 * memory, copied out so callers never hold kernel pointers. */
#include "cairn/diag.h"

#include <malloc.h>
#include <string.h>

#include "cairn/hart.h"
#include "cairn/page.h"
#include "cairn/sched.h"

size_t diag_harts(struct diag_hart *out, size_t max)
{
	size_t n = hart_count();
	for (size_t i = 0; i < n && i < max; i++) {
		struct hart *h = hart_get((unsigned)i);
		out[i] = (struct diag_hart){
			.index = h->index,
			.hartid = h->hartid,
			.online = __atomic_load_n(&h->online, __ATOMIC_RELAXED) != 0,
			.idle = __atomic_load_n(&h->idle, __ATOMIC_RELAXED) != 0,
			.ticks = __atomic_load_n(&h->ticks, __ATOMIC_RELAXED),
		};
	}
	return n;
}

/* stack_peak: bytes of t's stack ever written, found from the bottom as the
 * first byte that is not the creation fill (the canary words count as used). */
static size_t stack_peak(const struct thread *t)
{
	size_t low = 0;
	while (low < t->stack_size && (t->stack[low] == THREAD_STACK_FILL || low < 64))
		low++;
	return t->stack_size - low;
}

struct snap {
	struct diag_thread *out;
	size_t max, n;
};

/* snap_one: copy one thread (sched_lock held). */
static void snap_one(const struct thread *t, void *arg)
{
	struct snap *s = arg;
	if (s->n < s->max) {
		struct diag_thread *d = &s->out[s->n];
		memset(d, 0, sizeof(*d));
		d->id = t->id;
		memcpy(d->name, t->name,
		       sizeof(d->name) < sizeof(t->name) ? sizeof(d->name) : sizeof(t->name));
		d->name[DIAG_NAME_MAX - 1] = '\0';
		d->owner = t->owner;
		d->component = t->component;
		static const char states[] = {
			[T_RUNNABLE] = 'R', [T_RUNNING] = 'X', [T_SLEEPING] = 'S', [T_ZOMBIE] = 'Z'
		};
		d->state = (unsigned)t->state < sizeof(states) ? states[t->state] : '?';
		d->hart = -1;
		for (unsigned i = 0; i < hart_count(); i++) {
			if (hart_get(i)->current == t)
				d->hart = (int)i;
		}
		d->stack_size = t->stack_size;
		d->stack_peak = stack_peak(t);
	}
	s->n++;
}

size_t diag_threads(struct diag_thread *out, size_t max)
{
	struct snap s = { out, max, 0 };
	sched_for_each_thread(snap_one, &s);
	return s.n;
}

void diag_mem(struct diag_mem *out)
{
	struct mallinfo mi = mallinfo();
	memset(out, 0, sizeof(*out));
	out->page_size = PAGE_SIZE;
	out->pages_total = page_total_count();
	out->pages_free = page_free_count();
	out->heap_reserved = heap_reserved_bytes();
	out->heap_size = mi.arena;
	out->heap_used = mi.uordblks;
}

/* The disk driver's answer to diag_disks; set once at its init. */
static diag_disk_source_fn disk_source;

void diag_set_disk_source(diag_disk_source_fn fn)
{
	__atomic_store_n(&disk_source, fn, __ATOMIC_RELEASE);
}

size_t diag_disks(struct diag_disk *out, size_t max)
{
	diag_disk_source_fn fn = __atomic_load_n(&disk_source, __ATOMIC_ACQUIRE);
	return fn ? fn(out, max) : 0;
}
