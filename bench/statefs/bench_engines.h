/* statefs benchmark: one small interface over the three stores compared (statefs
 * on a file-backed device, SQLite in WAL mode with synchronous=FULL, LMDB in its
 * default durable mode), so every workload runs the same code on each. */
#ifndef BENCH_ENGINES_H
#define BENCH_ENGINES_H

#include <stddef.h>
#include <stdint.h>

struct bench_engine {
	const char *name;
	/* open: create a fresh store in dir (journal/region size hint in bytes). */
	int (*open)(void **h, const char *dir, uint64_t size_hint);
	/* put: insert or replace, inside the current transaction / sync interval. */
	int (*put)(void *h, const char *key, const void *val, size_t len);
	/* commit: a sync point: everything put so far is durable on return. */
	int (*commit)(void *h);
	/* get: read key into buf; returns the length or a negative value. */
	int (*get)(void *h, const char *key, void *buf, size_t cap);
	/* close: release the store (after a final commit). */
	void (*close)(void *h);
};

extern const struct bench_engine bench_statefs_engine;
extern const struct bench_engine bench_sqlite_engine;
extern const struct bench_engine bench_lmdb_engine;

#endif
