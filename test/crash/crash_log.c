/* dm-log-writes log parser. Layout (all little-endian, in log sectors):
 * sector 0 holds the superblock {u64 magic, u64 version, u64 nr_entries,
 * u32 sectorsize}; entries follow from sector 1, each one sector holding
 * {u64 sector, u64 nr_sectors, u64 flags, u64 data_len} and then, for a write,
 * nr_sectors sectors of data. A flush is an entry with the FLUSH flag and no
 * data. Every length read from the file is checked against the file before use. */
#include "crash_log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"

/* le64: the little-endian u64 at p. */
static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* bad: format the reason into err and return CAIRN_EBADMSG. */
static int bad(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (errsz)
		(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return CAIRN_EBADMSG;
}

/* parse_super: check the superblock and return its entry count and sector size. */
static int parse_super(const uint8_t *buf, size_t len, uint64_t *n, uint32_t *ss, char *err,
		       size_t errsz)
{
	if (len < 28)
		return bad(err, errsz, "log too short for a superblock (%zu bytes)", len);
	if (le64(buf) != CLOG_MAGIC)
		return bad(err, errsz, "bad log magic 0x%llx", (unsigned long long)le64(buf));
	if (le64(buf + 8) != CLOG_VERSION)
		return bad(err, errsz, "unsupported log version %llu",
			   (unsigned long long)le64(buf + 8));
	uint32_t s = (uint32_t)buf[24] | (uint32_t)buf[25] << 8 | (uint32_t)buf[26] << 16 |
		     (uint32_t)buf[27] << 24;
	if (s < 512 || s > 65536 || (s & (s - 1)))
		return bad(err, errsz, "bad log sector size %u", s);
	if (len < s)
		return bad(err, errsz, "log shorter than its superblock sector");
	*n = le64(buf + 16);
	*ss = s;
	/* Every entry takes at least one sector: a count above that is a lie. */
	if (*n > len / s - 1)
		return bad(err, errsz, "log claims %llu entries, file holds at most %zu",
			   (unsigned long long)*n, len / s - 1);
	return 0;
}

/* entry_fits: whether a complete, well-formed entry starts at off (used only
 * past the superblock's count, where the end of the log is not recorded). */
static bool entry_fits(const uint8_t *buf, size_t len, size_t off, uint32_t ss,
		       uint64_t dev_sectors)
{
	if (len - off < ss)
		return false;
	const uint8_t *h = buf + off;
	uint64_t sector = le64(h), cnt = le64(h + 8), flags = le64(h + 16);
	if (flags & ~CLOG_FLUSH)
		return false;
	if (cnt == 0)
		return flags == CLOG_FLUSH && sector == 0;
	return cnt <= (len - off - ss) / ss && sector < dev_sectors && cnt <= dev_sectors - sector;
}

/* add: append one entry (capacity was reserved by the caller). */
static void add(struct clog *log, enum clog_kind k, uint64_t sector, uint64_t n,
		const uint8_t *data)
{
	log->e[log->nentries++] = (struct clog_entry){ k, sector, n, data };
	if (k == CLOG_WRITE)
		log->writes++;
	else
		log->flushes++;
}

/* clog_parse: the superblock, then each entry, every length checked first. */
int clog_parse(struct clog *log, const uint8_t *buf, size_t len, uint64_t dev_sectors, bool scan,
	       char *err, size_t errsz)
{
	memset(log, 0, sizeof(*log));
	uint64_t n;
	uint32_t ss;
	int rc = parse_super(buf, len, &n, &ss, err, errsz);
	if (rc)
		return rc;
	log->sector_size = ss;
	uint64_t counted = n;
	if (scan)
		n = len / ss - 1; /* every entry takes a sector at least */
	/* A preflush write becomes a flush plus a write: at most 2n entries. */
	log->e = calloc(n ? 2 * n : 1, sizeof(*log->e));
	if (!log->e)
		return CAIRN_ENOMEM;
	size_t off = ss;
	for (uint64_t i = 0; i < n; i++) {
		if (i >= counted && !entry_fits(buf, len, off, ss, dev_sectors))
			break; /* scanning past the count: the log ends here */
		if (len - off < ss) {
			rc = bad(err, errsz, "entry %llu: header past the end of the log",
				 (unsigned long long)i);
			break;
		}
		const uint8_t *h = buf + off;
		uint64_t sector = le64(h), cnt = le64(h + 8), flags = le64(h + 16);
		off += ss;
		if (flags & ~(CLOG_FLUSH | CLOG_FUA | CLOG_DISCARD | CLOG_MARK)) {
			rc = bad(err, errsz, "entry %llu: unknown flags 0x%llx",
				 (unsigned long long)i, (unsigned long long)flags);
			break;
		}
		if (flags & (CLOG_FUA | CLOG_DISCARD | CLOG_MARK)) {
			rc = bad(err, errsz, "entry %llu: %s entry (not modelled)",
				 (unsigned long long)i,
				 flags & CLOG_FUA	? "FUA"
				 : flags & CLOG_DISCARD ? "discard"
							: "mark");
			break;
		}
		if (flags & CLOG_FLUSH)
			add(log, CLOG_FLUSHED, 0, 0, NULL);
		if (cnt == 0) {
			if (!(flags & CLOG_FLUSH)) {
				rc = bad(err, errsz, "entry %llu: empty write",
					 (unsigned long long)i);
				break;
			}
			continue;
		}
		if (cnt > (len - off) / ss) {
			rc = bad(err, errsz,
				 "entry %llu: %llu data sectors past the end of the log",
				 (unsigned long long)i, (unsigned long long)cnt);
			break;
		}
		if (sector >= dev_sectors || cnt > dev_sectors - sector) {
			rc = bad(err, errsz,
				 "entry %llu: write %llu+%llu outside the %llu-sector device",
				 (unsigned long long)i, (unsigned long long)sector,
				 (unsigned long long)cnt, (unsigned long long)dev_sectors);
			break;
		}
		add(log, CLOG_WRITE, sector, cnt, buf + off);
		off += (size_t)cnt * ss;
	}
	if (rc)
		clog_free(log);
	return rc;
}

/* clog_free: free the entries and forget them. */
void clog_free(struct clog *log)
{
	free(log->e);
	log->e = NULL;
	log->nentries = 0;
}
