/* The audit ring (cairn/audit.h): AUDIT_RING_SIZE records behind a spinlock,
 * overwritten oldest first. The marker line is printed outside the lock. */
#include "cairn/audit.h"

#include <string.h>

#include "cairn/console.h"
#include "cairn/kernel.h"
#include "cairn/spinlock.h"
#include "cap.h"

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
	default:
		kprintf("%s: integrity error %s (caller=%s op=%s)\n", d, r->subject, c, r->op);
		break;
	}
}

uint64_t audit_append(enum audit_kind kind, uint16_t caller, uint16_t callee, const char *op,
		      const char *subject)
{
	struct audit_rec r = {
		.time_us = time_us(), .kind = (uint8_t)kind, .caller = caller, .callee = callee,
	};
	copy_mark(r.op, sizeof(r.op), op);
	copy_mark(r.subject, sizeof(r.subject), subject);
	spin_lock(&audit_lock);
	r.seq = next_seq++;
	ring[r.seq % AUDIT_RING_SIZE] = r;
	spin_unlock(&audit_lock);
	print_rec(&r);
	return r.seq;
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
