/* The audit ring (cairn/audit.h): AUDIT_RING_SIZE records behind a spinlock,
 * overwritten oldest first. The marker line is printed outside the lock. */
#include "cairn/audit.h"

#include <string.h>

#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/spinlock.h"
#include "cairn/timer.h"

static struct spinlock audit_lock = SPINLOCK_INIT("audit");
/* Protected by audit_lock: */
static struct audit_rec ring[AUDIT_RING_SIZE];
static uint64_t next_seq = 1;

/* escape_byte: c as stored in a record (itself, \\ or \xNN) into out[4]; its width. */
static size_t escape_byte(unsigned char c, char out[4])
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c < 0x7f && c != '\\') {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	if (c == '\\') {
		out[1] = '\\';
		return 2;
	}
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

/* copy_mark: copy src into dst (size n >= 2) with every byte outside printable
 * ASCII (control characters, DEL, bytes >= 0x80) as \xNN and a backslash as
 * \\; when the escaped text does not fit it is cut and ends in '~'. */
static void copy_mark(char *dst, size_t n, const char *src)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	char e[4];
	size_t need = 0;
	for (const unsigned char *p = s; *p; p++)
		need += escape_byte(*p, e);
	size_t room = need < n ? n - 1 : n - 2; /* leave space for '~' when cutting */
	size_t o = 0;
	for (const unsigned char *p = s; *p; p++) {
		size_t w = escape_byte(*p, e);
		if (o + w > room)
			break;
		memcpy(dst + o, e, w);
		o += w;
	}
	if (need >= n)
		dst[o++] = '~';
	dst[o] = '\0';
}

/* print_rec: the record's marker line (formats in cairn/audit.h). */
static void print_rec(const struct audit_rec *r)
{
	const char *c = cap_comp_name(r->caller), *d = cap_comp_name(r->callee);
	switch (r->kind) {
	case AUDIT_CAP_DENIED:
		kprintf("cap: denied caller=%s callee=%s op=%s%s%s\n", c, d, r->op,
			r->subject[0] ? " subject=" : "", r->subject);
		break;
	case AUDIT_ACCESS_DENIED:
		kprintf("%s: access denied (path=%s sender=%s) op=%s\n", d, r->subject, c, r->op);
		break;
	case AUDIT_BAD_ADDR:
		kprintf("cap: bad address caller=%s callee=%s op=%s\n", c, d, r->op);
		break;
	case AUDIT_READ_ONLY:
		kprintf("blk: write refused (read-only) serial=%s caller=%s op=%s\n", r->subject, c,
			r->op);
		break;
	case AUDIT_BOOT:
		kprintf("%s: %s\n", d, r->subject);
		break;
	default:
		kprintf("%s: integrity error %s (caller=%s op=%s)\n", d, r->subject, c, r->op);
		break;
	}
}

/* Rate limiting, per (kind, caller): at most AUDIT_BURST records a second are
 * kept and printed; the rest are counted, and the count is reported by one
 * summary line when that pair next records after its second ends (or at
 * audit_flush). Protected by audit_lock. */
struct bucket {
	uint64_t second;     /* the second `kept` counts in */
	uint32_t kept;	     /* records kept in that second */
	uint64_t suppressed; /* not kept since the last summary */
};
static struct bucket buckets[AUDIT_KINDS][CAP_COMP_COUNT];
static uint64_t total_suppressed;

/* take_summary: the pending suppressed count of b (0 when none), cleared. */
static uint64_t take_summary(struct bucket *b)
{
	uint64_t n = b->suppressed;
	b->suppressed = 0;
	return n;
}

/* print_summary: the suppression line of one (kind, caller). */
static void print_summary(uint64_t n, unsigned kind, unsigned caller)
{
	if (n)
		kprintf("audit: suppressed %llu records kind=%s caller=%s\n", (unsigned long long)n,
			audit_kind_name(kind), cap_comp_name(caller));
}

const char *audit_kind_name(unsigned kind)
{
	static const char *const names[AUDIT_KINDS] = {
		[AUDIT_CAP_DENIED] = "cap-denied", [AUDIT_ACCESS_DENIED] = "access-denied",
		[AUDIT_READ_ONLY] = "read-only",   [AUDIT_INTEGRITY] = "integrity",
		[AUDIT_BAD_ADDR] = "bad-address",  [AUDIT_BOOT] = "boot",
	};
	return kind < AUDIT_KINDS && names[kind] ? names[kind] : "?";
}

uint64_t audit_append(enum audit_kind kind, uint16_t caller, uint16_t callee, const char *op,
		      const char *subject)
{
	struct audit_rec r = {
		.time_us = time_us(),
		.kind = (uint8_t)kind,
		.caller = caller,
		.callee = callee,
	};
	if ((unsigned)kind >= AUDIT_KINDS || caller >= CAP_COMP_COUNT)
		return 0;
	uint64_t sec = r.time_us / 1000000u, late = 0;
	spin_lock(&audit_lock);
	struct bucket *b = &buckets[kind][caller];
	if (b->second != sec) {
		late = take_summary(b);
		b->second = sec;
		b->kept = 0;
	}
	bool keep = b->kept < AUDIT_BURST;
	if (keep)
		b->kept++;
	else {
		b->suppressed++;
		total_suppressed++;
	}
	spin_unlock(&audit_lock);
	print_summary(late, kind, caller);
	if (!keep)
		return 0;
	copy_mark(r.op, sizeof(r.op), op);
	copy_mark(r.subject, sizeof(r.subject), subject);
	spin_lock(&audit_lock);
	r.seq = next_seq++;
	ring[r.seq % AUDIT_RING_SIZE] = r;
	spin_unlock(&audit_lock);
	print_rec(&r);
	return r.seq;
}

void audit_flush(void)
{
	for (unsigned k = 1; k < AUDIT_KINDS; k++) {
		for (unsigned c = 0; c < CAP_COMP_COUNT; c++) {
			spin_lock(&audit_lock);
			uint64_t n = take_summary(&buckets[k][c]);
			spin_unlock(&audit_lock);
			print_summary(n, k, c);
		}
	}
}

void audit_stats(struct audit_stats *out)
{
	spin_lock(&audit_lock);
	out->kept = next_seq - 1;
	out->overwritten = next_seq - 1 > AUDIT_RING_SIZE ? next_seq - 1 - AUDIT_RING_SIZE : 0;
	out->suppressed = total_suppressed;
	spin_unlock(&audit_lock);
}

size_t audit_read(uint64_t from, struct audit_rec *out, size_t max, uint64_t *missed)
{
	size_t n = 0;
	spin_lock(&audit_lock);
	uint64_t oldest = next_seq > AUDIT_RING_SIZE ? next_seq - AUDIT_RING_SIZE : 1;
	if (from < 1)
		from = 1;
	if (missed)
		*missed = from < oldest ? oldest - from : 0;
	for (uint64_t s = from < oldest ? oldest : from; s < next_seq && n < max; s++)
		out[n++] = ring[s % AUDIT_RING_SIZE];
	spin_unlock(&audit_lock);
	return n;
}

uint64_t audit_next_seq(void)
{
	spin_lock(&audit_lock);
	uint64_t s = next_seq;
	spin_unlock(&audit_lock);
	return s;
}
