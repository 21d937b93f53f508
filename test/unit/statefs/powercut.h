/* Power-cut block device for statefs tests: writes sit in a volatile cache until
 * flush; power can be cut after the Nth write-or-flush, after which every call
 * fails with CAIRN_EIO; the post-crash image keeps the durable data plus all,
 * none or a random sector-granular subset of the unflushed writes; bits can be
 * flipped in the durable image. */
#ifndef POWERCUT_H
#define POWERCUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/blkdev.h"

/* What happens to writes not yet flushed when power fails. */
enum powercut_mode {
	POWERCUT_DROP, /* none of them reach the medium */
	POWERCUT_KEEP, /* all of them do, in order */
	POWERCUT_TEAR, /* each sector of each write lands or not, at random */
};

struct powercut_write {
	uint64_t lba;	/* first sector */
	uint32_t count; /* sectors */
	uint8_t *data;	/* count * sector_size bytes, owned */
};

struct powercut {
	struct blkdev dev;		/* hand &pc->dev to the engine */
	uint8_t *durable;		/* flushed contents, sector_size * sector_count */
	struct powercut_write *pending; /* unflushed writes, oldest first */
	size_t npending, cap;
	uint64_t ops;		  /* writes + flushes attempted so far */
	uint64_t cut_after;	  /* power fails on op number cut_after + 1 */
	bool dead;		  /* power is off: every call fails */
	uint64_t writes, flushes; /* successful calls, for statistics */
	/* Fault injection: call number n (from 1) of each kind fails once with
	 * CAIRN_EIO, without losing power (0: never). */
	uint64_t fail_read, fail_write, fail_flush;
	uint64_t nread, nwrite, nflush; /* calls of each kind so far */
};

/* What one pending (unflushed) sector holds after the power cut. */
enum powercut_sector {
	POWERCUT_SECTOR_OLD = 0, /* the write never reached the medium */
	POWERCUT_SECTOR_NEW,	 /* it did */
	POWERCUT_SECTOR_GARBAGE, /* it tore: neither old nor new bytes */
};

/* powercut_init: a zeroed device (image NULL) or a copy of image. 0 or CAIRN_ENOMEM. */
int powercut_init(struct powercut *pc, uint32_t sector_size, uint64_t sector_count,
		  const uint8_t *image);
/* powercut_fini: free everything. */
void powercut_fini(struct powercut *pc);
/* powercut_arm: cut power after n more successful write/flush calls (UINT64_MAX: never). */
void powercut_arm(struct powercut *pc, uint64_t n);
/* powercut_image: fill out (device-sized) with the post-crash medium for mode. */
void powercut_image(const struct powercut *pc, enum powercut_mode mode, uint64_t seed,
		    uint8_t *out);
/* powercut_pending_sectors: sectors in the unflushed writes (counted per write). */
size_t powercut_pending_sectors(const struct powercut *pc);
/* powercut_image_choice: the post-crash medium where pending sector i (in write
 * order, counted as powercut_pending_sectors does) ends as choice[i]; garbage
 * bytes come from seed. */
void powercut_image_choice(const struct powercut *pc, const uint8_t *choice, uint64_t seed,
			   uint8_t *out);
/* powercut_flip: flip one bit of the durable image at byte offset off. */
void powercut_flip(struct powercut *pc, uint64_t off, unsigned bit);
/* powercut_bytes: device size in bytes. */
uint64_t powercut_bytes(const struct powercut *pc);

#endif
