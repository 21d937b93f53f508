/* Engine adapters for the statefs benchmark (see bench_engines.h). */
#include "bench_engines.h"

#include <lmdb.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "statefs.h"

/* ---- statefs over a file device, fsync at every sync() ------------------- */

struct sfs_h {
	struct blkdev_file f;
	struct statefs *fs;
};

/* sfs_open: a file of two regions of size_hint bytes, 4096-byte sectors. */
static int sfs_open(void **hp, const char *dir, uint64_t size_hint)
{
	char path[512];
	struct sfs_h *h = calloc(1, sizeof(*h));
	snprintf(path, sizeof(path), "%s/statefs.img", dir);
	if (!h || blkdev_file_create(&h->f, path, 4096, 2 + 2 * (size_hint / 4096)))
		return -1;
	h->f.sync_on_flush = 1;
	struct statefs_config cfg = { .bdev = &h->f.dev, .flags = STATEFS_MOUNT_FORMAT_EMPTY };
	if (statefs_mount(&h->fs, &cfg, NULL))
		return -1;
	*hp = h;
	return 0;
}

static int sfs_put(void *h, const char *k, const void *v, size_t n)
{
	return statefs_put(((struct sfs_h *)h)->fs, k, v, n);
}

static int sfs_commit(void *h) { return statefs_sync(((struct sfs_h *)h)->fs); }

static int sfs_get(void *h, const char *k, void *buf, size_t cap)
{
	return statefs_get(((struct sfs_h *)h)->fs, k, buf, cap);
}

static void sfs_close(void *hp)
{
	struct sfs_h *h = hp;
	(void)statefs_unmount(h->fs);
	(void)blkdev_file_close(&h->f);
	free(h);
}

const struct bench_engine bench_statefs_engine = { "statefs",  sfs_open, sfs_put,
						   sfs_commit, sfs_get,	 sfs_close };

/* ---- SQLite: WAL, synchronous=FULL, one transaction per sync point ------- */

struct sql_h {
	sqlite3 *db;
	sqlite3_stmt *put, *get;
	int in_txn;
};

/* sql_open: kv table with a text primary key. */
static int sql_open(void **hp, const char *dir, uint64_t size_hint)
{
	char path[512];
	(void)size_hint;
	struct sql_h *h = calloc(1, sizeof(*h));
	snprintf(path, sizeof(path), "%s/sqlite.db", dir);
	if (!h || sqlite3_open(path, &h->db) != SQLITE_OK)
		return -1;
	if (sqlite3_exec(h->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE kv(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;",
			 NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO kv VALUES(?1, ?2)", -1, &h->put,
			       NULL) ||
	    sqlite3_prepare_v2(h->db, "SELECT v FROM kv WHERE k = ?1", -1, &h->get, NULL))
		return -1;
	*hp = h;
	return 0;
}

static int sql_put(void *hp, const char *k, const void *v, size_t n)
{
	struct sql_h *h = hp;
	if (!h->in_txn && sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL))
		return -1;
	h->in_txn = 1;
	sqlite3_bind_text(h->put, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_blob(h->put, 2, v, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(h->put);
	sqlite3_reset(h->put);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int sql_commit(void *hp)
{
	struct sql_h *h = hp;
	if (!h->in_txn)
		return 0;
	h->in_txn = 0;
	return sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) ? -1 : 0;
}

static int sql_get(void *hp, const char *k, void *buf, size_t cap)
{
	struct sql_h *h = hp;
	int n = -1;
	sqlite3_bind_text(h->get, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(h->get) == SQLITE_ROW) {
		n = sqlite3_column_bytes(h->get, 0);
		if ((size_t)n <= cap)
			memcpy(buf, sqlite3_column_blob(h->get, 0), (size_t)n);
	}
	sqlite3_reset(h->get);
	return n;
}

static void sql_close(void *hp)
{
	struct sql_h *h = hp;
	(void)sql_commit(h);
	sqlite3_finalize(h->put);
	sqlite3_finalize(h->get);
	sqlite3_close(h->db);
	free(h);
}

const struct bench_engine bench_sqlite_engine = { "sqlite",   sql_open, sql_put,
						  sql_commit, sql_get,	sql_close };

/* ---- LMDB: default (durable) flags, one write transaction per sync point -- */

struct lmdb_h {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *wtxn, *rtxn;
};

/* lmdb_open: 2 GiB map, default durable mode. */
static int lmdb_open(void **hp, const char *dir, uint64_t size_hint)
{
	MDB_txn *t;
	(void)size_hint;
	struct lmdb_h *h = calloc(1, sizeof(*h));
	if (!h || mdb_env_create(&h->env) || mdb_env_set_mapsize(h->env, 2ull << 30) ||
	    mdb_env_open(h->env, dir, 0, 0644) || mdb_txn_begin(h->env, NULL, 0, &t) ||
	    mdb_dbi_open(t, NULL, 0, &h->dbi) || mdb_txn_commit(t))
		return -1;
	*hp = h;
	return 0;
}

static int lmdb_put(void *hp, const char *k, const void *v, size_t n)
{
	struct lmdb_h *h = hp;
	if (!h->wtxn && mdb_txn_begin(h->env, NULL, 0, &h->wtxn))
		return -1;
	MDB_val key = { strlen(k), (void *)k }, val = { n, (void *)v };
	return mdb_put(h->wtxn, h->dbi, &key, &val, 0) ? -1 : 0;
}

static int lmdb_commit(void *hp)
{
	struct lmdb_h *h = hp;
	if (!h->wtxn)
		return 0;
	int rc = mdb_txn_commit(h->wtxn);
	h->wtxn = NULL;
	return rc ? -1 : 0;
}

/* lmdb_get: one read transaction, reset/renewed around each lookup. */
static int lmdb_get(void *hp, const char *k, void *buf, size_t cap)
{
	struct lmdb_h *h = hp;
	if (!h->rtxn ? mdb_txn_begin(h->env, NULL, MDB_RDONLY, &h->rtxn) : mdb_txn_renew(h->rtxn))
		return -1;
	MDB_val key = { strlen(k), (void *)k }, val;
	int n = -1;
	if (mdb_get(h->rtxn, h->dbi, &key, &val) == 0) {
		n = (int)val.mv_size;
		if (val.mv_size <= cap)
			memcpy(buf, val.mv_data, val.mv_size);
	}
	mdb_txn_reset(h->rtxn);
	return n;
}

static void lmdb_close(void *hp)
{
	struct lmdb_h *h = hp;
	(void)lmdb_commit(h);
	if (h->rtxn)
		mdb_txn_abort(h->rtxn);
	mdb_env_close(h->env);
	free(h);
}

const struct bench_engine bench_lmdb_engine = { "lmdb",	     lmdb_open, lmdb_put,
						lmdb_commit, lmdb_get,	lmdb_close };
