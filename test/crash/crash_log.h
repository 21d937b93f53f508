/* dm-log-writes log parser (the format QEMU's blklogwrites driver writes;
 * docs/crash-testing.md has it byte by byte). Host only. */
#ifndef CRASH_LOG_H
#define CRASH_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLOG_MAGIC 0x6a736677736872ull /* WRITE_LOG_MAGIC */
#define CLOG_VERSION 1ull
#define CLOG_FLUSH 0x1ull   /* LOG_FLUSH_FLAG */
#define CLOG_FUA 0x2ull	    /* LOG_FUA_FLAG */
#define CLOG_DISCARD 0x4ull /* LOG_DISCARD_FLAG */
#define CLOG_MARK 0x8ull    /* LOG_MARK_FLAG */

enum clog_kind {
	CLOG_WRITE = 1, /* nr_sectors sectors of data at sector */
	CLOG_FLUSHED,	/* a completed flush: every earlier write is durable */
};

struct clog_entry {
	enum clog_kind kind;
	uint64_t sector;     /* first device sector (log sector units) */
	uint64_t nr_sectors; /* write length in sectors (0 for a flush) */
	const uint8_t *data; /* nr_sectors * sector_size bytes inside the log buffer */
};

struct clog {
	uint32_t sector_size; /* the log's sector size (log-sector-size) */
	uint64_t nentries;    /* entries in e[] (a preflush write counts twice) */
	uint64_t writes;      /* CLOG_WRITE entries */
	uint64_t flushes;     /* CLOG_FLUSHED entries */
	struct clog_entry *e; /* malloc'd */
};

/* clog_parse: parse buf[0..len) (the whole log file). dev_sectors bounds every
 * write (device size in log sectors). With scan, complete entries after the
 * superblock's count are read too, up to the first that does not parse: QEMU
 * rewrites the count after each entry, so a killed QEMU can leave one entry (whose
 * write may have reached the disk) beyond it. 0, or CAIRN_EBADMSG with a reason in
 * err[0..errsz) (bad magic/version/sector size, entry past the end, write
 * outside the device, FUA/discard/mark entries, which Cairn never sends and the
 * model does not cover), CAIRN_ENOMEM. The entries point into buf. */
int clog_parse(struct clog *log, const uint8_t *buf, size_t len, uint64_t dev_sectors, bool scan,
	       char *err, size_t errsz);
/* clog_free: free the entry array. */
void clog_free(struct clog *log);

#endif
