/* Group commit: concurrent syncs share one engine sync (write-out + device flush).
 *
 * A caller's sync needs a successful flush that began after its last write
 * completed. Every write bumps `written` (under the engine lock); a sync notes
 * the count it saw on arrival. One leader at a time (the lead lock) runs the
 * engine sync under the engine lock and records the count at its start: a
 * later caller whose noted count that start covers returns at once, without a
 * flush of its own. The engine is single-threaded, so writes wait while a flush
 * runs, but they proceed while syncs wait for the lead lock, and everything
 * written before the next leader starts rides on its flush.
 *
 * Errors: a failed sync is reported to every caller that was waiting when it
 * failed and whose writes it covered (no false success); a caller arriving after
 * the failure was recorded leads a sync of its own (after an I/O error the engine
 * is broken and fails it too). A later successful sync covering a caller's
 * writes answers 0: they are durable.
 *
 * Plain C over two locks the caller provides (the kernel's robust mutexes in the
 * image, pthread mutexes in the host test). Lock order: lead lock, then engine
 * lock. */
#ifndef STATEFS_GCOMMIT_H
#define STATEFS_GCOMMIT_H

#include <stdatomic.h>
#include <stdint.h>

struct sfs_gcommit_ops {
	int (*lead_lock)(void *ctx); /* 0, or an error (not taken) */
	void (*lead_unlock)(void *ctx);
	int (*engine_lock)(void *ctx); /* 0, or an error (not taken) */
	void (*engine_unlock)(void *ctx);
	int (*sync)(void *ctx); /* write-out + device flush; engine lock held */
};

struct sfs_gcommit {
	_Atomic uint64_t written;  /* writes completed; bumped under the engine lock */
	_Atomic uint64_t attempts; /* engine syncs finished (success or failure) */
	_Atomic uint64_t calls;	   /* sync calls that noted their counts */
	/* Protected by the lead lock: */
	uint64_t durable;      /* `written` at the start of the last successful sync */
	uint64_t failed;       /* `written` at the start of the last failed sync */
	uint64_t fail_attempt; /* `attempts` once that failure was recorded (0: none) */
	int fail_err;	       /* its error */
	uint64_t flushes;      /* engine syncs run */
	uint64_t shared;       /* calls answered by another caller's sync */
};

/* sfs_gcommit_init: no write done, none durable: the first sync runs the engine. */
void sfs_gcommit_init(struct sfs_gcommit *g);
/* sfs_gcommit_wrote: a write (or anything a sync must cover) completed; the
 * caller holds the engine lock. */
void sfs_gcommit_wrote(struct sfs_gcommit *g);
/* sfs_gcommit_sync: return once a sync that began after every write this thread
 * completed before the call has succeeded (0), or with the error of the one that
 * covered them and failed, or of a lock (ops). Takes neither lock held. */
int sfs_gcommit_sync(struct sfs_gcommit *g, const struct sfs_gcommit_ops *ops, void *ctx);

#endif
