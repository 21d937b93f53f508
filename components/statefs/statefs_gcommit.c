/* Group commit of statefs syncs (include/statefs_gcommit.h). */
#include "statefs_gcommit.h"

/* sfs_gcommit_init: nothing durable yet, one write pending, so the first sync
 * always runs the engine's (its checkpoint and repair steps). */
void sfs_gcommit_init(struct sfs_gcommit *g)
{
	atomic_store(&g->written, 1);
	atomic_store(&g->attempts, 0);
	atomic_store(&g->calls, 0);
	g->durable = 0;
	g->failed = 0;
	g->fail_attempt = 0;
	g->fail_err = 0;
	g->flushes = 0;
	g->shared = 0;
}

/* sfs_gcommit_wrote: count one completed write (engine lock held, so a leader's
 * start count either includes it or the write began after that start). */
void sfs_gcommit_wrote(struct sfs_gcommit *g)
{
	atomic_fetch_add_explicit(&g->written, 1, memory_order_release);
}

/* lead: run the engine sync for everyone whose writes completed before it took
 * the engine lock and record its outcome. Caller holds the lead lock. */
static int lead(struct sfs_gcommit *g, const struct sfs_gcommit_ops *ops, void *ctx)
{
	int err = ops->engine_lock(ctx);
	if (err)
		return err; /* no sync ran: nothing to record */
	uint64_t start = atomic_load_explicit(&g->written, memory_order_acquire);
	g->flushes++;
	err = ops->sync(ctx);
	ops->engine_unlock(ctx);
	uint64_t done = atomic_fetch_add_explicit(&g->attempts, 1, memory_order_acq_rel) + 1;
	if (err) {
		g->failed = start;
		g->fail_attempt = done;
		g->fail_err = err;
	} else if (start > g->durable) {
		g->durable = start;
	}
	return err;
}

/* sfs_gcommit_sync: note the write count (this thread's writes are in it) and the
 * finished attempts, then under the lead lock: covered by a successful sync ->
 * 0; covered by one that failed after we arrived -> its error; else lead. */
int sfs_gcommit_sync(struct sfs_gcommit *g, const struct sfs_gcommit_ops *ops, void *ctx)
{
	uint64_t mine = atomic_load_explicit(&g->written, memory_order_acquire);
	uint64_t seen = atomic_load_explicit(&g->attempts, memory_order_acquire);
	atomic_fetch_add_explicit(&g->calls, 1, memory_order_release);
	int err = ops->lead_lock(ctx);
	if (err)
		return err;
	if (g->durable >= mine) {
		g->shared++;
	} else if (g->fail_attempt > seen && g->failed >= mine) {
		g->shared++;
		err = g->fail_err;
	} else {
		err = lead(g, ops, ctx);
	}
	ops->lead_unlock(ctx);
	return err;
}
