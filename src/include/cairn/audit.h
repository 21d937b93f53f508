/* The audit ring: a fixed-size in-memory log of security-relevant events
 * (denied calls, denied statefs keys, writes refused on read-only disks,
 * integrity failures). Appending prints the event's marker line; readers walk
 * the ring by sequence number. When the ring is full the oldest records are
 * overwritten and a reader learns how many it missed. Any thread, any hart;
 * not from interrupt handlers. */
#ifndef CAIRN_AUDIT_H
#define CAIRN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_RING_SIZE 64 /* records kept */
#define AUDIT_OP_MAX 24	   /* bytes of operation name, NUL included */
#define AUDIT_SUBJECT_MAX 96

enum audit_kind {
	AUDIT_CAP_DENIED = 1,	 /* a call the capability table does not grant */
	AUDIT_ACCESS_DENIED = 2, /* a key or path outside the caller's rights (statefs prefixes) */
	AUDIT_READ_ONLY = 3,	 /* a write or flush refused on a read-only claim or disk */
	AUDIT_INTEGRITY = 4,	 /* data failed its checksum or signature */
	AUDIT_BAD_ADDR = 5,	 /* a caller passed memory the gate's copy could not touch */
	AUDIT_BOOT = 6,		 /* a boot-control transition (slot chosen, refused, confirmed) */
	AUDIT_KINDS
};

#define AUDIT_BURST 32 /* records kept per (kind, caller) per second; more are counted */

struct audit_rec {
	uint64_t seq;			 /* 1, 2, 3, ... in append order */
	uint64_t time_us;		 /* time_us() at append */
	uint8_t kind;			 /* enum audit_kind */
	uint16_t caller;		 /* component acting when it happened */
	uint16_t callee;		 /* component whose authority was asked */
	char op[AUDIT_OP_MAX];		 /* operation, e.g. "put" (truncated with '~') */
	char subject[AUDIT_SUBJECT_MAX]; /* key, disk serial or path; may be empty */
};

/* audit_append: record an event and print its line:
 *   AUDIT_CAP_DENIED     cap: denied caller=<c> callee=<d> op=<o>
 *   AUDIT_ACCESS_DENIED  <callee>: access denied (path=<subject> sender=<c>) op=<o>
 *   AUDIT_READ_ONLY      blk: write refused (read-only) serial=<subject> caller=<c> op=<o>
 * (`blk:` is the core's block-device contract, whichever driver refused.)
 *   AUDIT_INTEGRITY      <callee>: integrity error <subject> (caller=<c> op=<o>)
 *   AUDIT_BAD_ADDR       cap: bad address caller=<c> callee=<d> op=<o>
 *   AUDIT_BOOT           <callee>: <subject>   (bootctl's markers, docs/bootctl.md)
 * Overlong op/subject strings are cut and end in '~' (never silently); bytes
 * other than printable ASCII are stored as \xNN, so untrusted text (a denied
 * key, a path) can never forge or tear a console line. Never
 * put secrets in subject. Returns the record's sequence number, or 0 when the
 * rate limit below suppressed it. */
uint64_t audit_append(enum audit_kind kind, uint16_t caller, uint16_t callee, const char *op,
		      const char *subject);

/* Rate limit: per (kind, caller), the first AUDIT_BURST records of each second
 * are kept and printed; further ones are only counted (audit_append returns 0
 * for them), and the count is printed once, when that pair next records in a
 * later second or at audit_flush:
 *   audit: suppressed <n> records kind=<kind name> caller=<c>
 * so a flood of denials costs bounded time, ring slots and console lines. */

/* audit_flush: print every pending suppression summary now. */
void audit_flush(void);

/* What the audit log has seen: records kept (given a sequence number), kept
 * records already overwritten in the ring, records suppressed by the limit. */
struct audit_stats {
	uint64_t kept, overwritten, suppressed;
};
void audit_stats(struct audit_stats *out);

/* audit_kind_name: "cap-denied", "access-denied", "read-only", "integrity",
 * "bad-address" ("?" for anything else). */
const char *audit_kind_name(unsigned kind);

/* audit_read: copy up to max records with seq >= from, oldest first, into out.
 * Returns how many were copied; *missed (if not NULL) gets how many records
 * with seq >= from were already overwritten. */
size_t audit_read(uint64_t from, struct audit_rec *out, size_t max, uint64_t *missed);

/* audit_next_seq: the sequence number the next record will get. */
uint64_t audit_next_seq(void);

#endif
