/* bootctl records: the control record and the confirmed record, byte by byte as in
 * docs/bootctl.md. Decoding trusts nothing: a record is either fully valid and
 * self-consistent or refused with a reason, and a refused record never contributes a
 * single field (so damage cannot make a slot successful). */
#include <string.h>

#include "bootctl_core.h"
#include "cairn/err.h"
#include "crypto.h"

#define CONTROL_MAGIC "CAIRNBCT"
#define CONFIRMED_MAGIC "CAIRNBCC"
#define RECORD_VERSION 1u

/* Control record field offsets. */
#define C_MAGIC 0
#define C_VERSION 8
#define C_SIZE 10
#define C_LAST_GOOD 12
#define C_RESERVED1 13 /* 3 bytes */
#define C_SEQ 16
#define C_MIN_RELEASE 24
#define C_SLOTS 32     /* BOOTCTL_NSLOTS * SLOT_SIZE */
#define C_RESERVED2 56 /* 4 bytes */
#define C_CRC 60
#define SLOT_SIZE 12
#define S_PRIORITY 0
#define S_TRIES 1
#define S_FLAGS 2
#define S_REASON 3
#define S_RELEASE 4
#define S_FLAG_SUCCESSFUL 0x01u

/* Confirmed record field offsets. */
#define F_MAGIC 0
#define F_VERSION 8
#define F_SIZE 10
#define F_LAST_GOOD 12
#define F_RESERVED1 13 /* 3 bytes */
#define F_SEQ 16
#define F_MIN_RELEASE 24
#define F_GOOD_RELEASE 32
#define F_RESERVED2 40 /* 4 bytes */
#define F_CRC 44

_Static_assert(C_SLOTS + BOOTCTL_NSLOTS * SLOT_SIZE == C_RESERVED2, "control layout");
_Static_assert(C_CRC + 4 == BOOTCTL_CONTROL_SIZE, "control size");
_Static_assert(F_CRC + 4 == BOOTCTL_CONFIRMED_SIZE, "confirmed size");

/* st16/st32/st64, ld16/ld32/ld64: little-endian stores and loads. */
static void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void st64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32); }

/* zero: true when p[0..n) is all zero. */
static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* slot_ok: a valid slot byte for last_good. */
static bool slot_ok(uint8_t s)
{
	return s == BOOTCTL_SLOT_A || s == BOOTCTL_SLOT_B || s == BOOTCTL_SLOT_NONE;
}

/* bootctl_control_encode: write st as a control record. */
void bootctl_control_encode(const struct bootctl_state *st, uint8_t out[BOOTCTL_CONTROL_SIZE])
{
	memset(out, 0, BOOTCTL_CONTROL_SIZE);
	memcpy(out + C_MAGIC, CONTROL_MAGIC, 8);
	st16(out + C_VERSION, RECORD_VERSION);
	st16(out + C_SIZE, BOOTCTL_CONTROL_SIZE);
	out[C_LAST_GOOD] = st->last_good;
	st64(out + C_SEQ, st->seq);
	st64(out + C_MIN_RELEASE, st->min_release);
	for (int i = 0; i < BOOTCTL_NSLOTS; i++) {
		uint8_t *p = out + C_SLOTS + i * SLOT_SIZE;
		const struct bootctl_slot *s = &st->slot[i];
		p[S_PRIORITY] = s->priority;
		p[S_TRIES] = s->tries;
		p[S_FLAGS] = s->successful ? S_FLAG_SUCCESSFUL : 0;
		p[S_REASON] = s->reason;
		st64(p + S_RELEASE, s->release);
	}
	st32(out + C_CRC, crypto_crc32c(0, out, C_CRC));
}

/* check_slot: NULL when slot bytes p are in range and self-consistent. */
static const char *check_slot(const uint8_t *p)
{
	if (p[S_PRIORITY] > BOOTCTL_PRIO_MAX)
		return "slot priority out of range";
	if (p[S_TRIES] > BOOTCTL_TRIES_MAX)
		return "slot tries out of range";
	if (p[S_FLAGS] & ~S_FLAG_SUCCESSFUL)
		return "unknown slot flags";
	if (p[S_REASON] >= BOOTCTL_R_COUNT)
		return "unknown failure reason";
	if ((p[S_FLAGS] & S_FLAG_SUCCESSFUL) &&
	    (p[S_TRIES] != 0 || p[S_REASON] != BOOTCTL_R_NONE || p[S_PRIORITY] == 0))
		return "successful slot with tries, a failure or no priority";
	return NULL;
}

/* bootctl_control_decode: check every byte, then fill st. */
const char *bootctl_control_decode(const uint8_t *buf, size_t len, struct bootctl_state *st)
{
	if (len != BOOTCTL_CONTROL_SIZE)
		return "control record has the wrong size";
	if (memcmp(buf + C_MAGIC, CONTROL_MAGIC, 8) != 0)
		return "control record magic";
	if (ld32(buf + C_CRC) != crypto_crc32c(0, buf, C_CRC))
		return "control record CRC mismatch";
	if (ld16(buf + C_VERSION) != RECORD_VERSION || ld16(buf + C_SIZE) != BOOTCTL_CONTROL_SIZE)
		return "control record version";
	if (!zero(buf + C_RESERVED1, 3) || !zero(buf + C_RESERVED2, 4))
		return "control record reserved bytes";
	uint8_t lg = buf[C_LAST_GOOD];
	if (!slot_ok(lg))
		return "last confirmed slot out of range";
	for (int i = 0; i < BOOTCTL_NSLOTS; i++) {
		const char *why = check_slot(buf + C_SLOTS + i * SLOT_SIZE);
		if (why)
			return why;
	}
	/* Exactly the last confirmed slot is successful (confirm takes it from the
	 * other one), so a flag set on any other slot is damage. */
	for (int i = 0; i < BOOTCTL_NSLOTS; i++)
		if (((buf[C_SLOTS + i * SLOT_SIZE + S_FLAGS] & S_FLAG_SUCCESSFUL) != 0) !=
		    (lg == i))
			return lg == i ? "last confirmed slot is not successful"
				       : "successful slot is not the last confirmed one";
	/* Confirming a slot raises the floor to its release, so the last confirmed
	 * slot's release never exceeds it: a record that says otherwise is damage
	 * (and would be rewritten as a confirmed record that does not decode). */
	if (lg < BOOTCTL_NSLOTS &&
	    ld64(buf + C_SLOTS + lg * SLOT_SIZE + S_RELEASE) > ld64(buf + C_MIN_RELEASE))
		return "last confirmed release above the floor";
	st->last_good = lg;
	st->seq = ld64(buf + C_SEQ);
	st->min_release = ld64(buf + C_MIN_RELEASE);
	for (int i = 0; i < BOOTCTL_NSLOTS; i++) {
		const uint8_t *p = buf + C_SLOTS + i * SLOT_SIZE;
		st->slot[i].priority = p[S_PRIORITY];
		st->slot[i].tries = p[S_TRIES];
		st->slot[i].successful = (p[S_FLAGS] & S_FLAG_SUCCESSFUL) != 0;
		st->slot[i].reason = p[S_REASON];
		st->slot[i].release = ld64(p + S_RELEASE);
	}
	return NULL;
}

/* bootctl_confirmed_encode: write c as a confirmed record. */
void bootctl_confirmed_encode(const struct bootctl_confirmed *c,
			      uint8_t out[BOOTCTL_CONFIRMED_SIZE])
{
	memset(out, 0, BOOTCTL_CONFIRMED_SIZE);
	memcpy(out + F_MAGIC, CONFIRMED_MAGIC, 8);
	st16(out + F_VERSION, RECORD_VERSION);
	st16(out + F_SIZE, BOOTCTL_CONFIRMED_SIZE);
	out[F_LAST_GOOD] = c->last_good;
	st64(out + F_SEQ, c->seq);
	st64(out + F_MIN_RELEASE, c->min_release);
	st64(out + F_GOOD_RELEASE, c->good_release);
	st32(out + F_CRC, crypto_crc32c(0, out, F_CRC));
}

/* bootctl_confirmed_decode: check every byte, then fill c. */
const char *bootctl_confirmed_decode(const uint8_t *buf, size_t len, struct bootctl_confirmed *c)
{
	if (len != BOOTCTL_CONFIRMED_SIZE)
		return "confirmed record has the wrong size";
	if (memcmp(buf + F_MAGIC, CONFIRMED_MAGIC, 8) != 0)
		return "confirmed record magic";
	if (ld32(buf + F_CRC) != crypto_crc32c(0, buf, F_CRC))
		return "confirmed record CRC mismatch";
	if (ld16(buf + F_VERSION) != RECORD_VERSION || ld16(buf + F_SIZE) != BOOTCTL_CONFIRMED_SIZE)
		return "confirmed record version";
	if (!zero(buf + F_RESERVED1, 3) || !zero(buf + F_RESERVED2, 4))
		return "confirmed record reserved bytes";
	uint8_t lg = buf[F_LAST_GOOD];
	uint64_t good = ld64(buf + F_GOOD_RELEASE), min = ld64(buf + F_MIN_RELEASE);
	if (!slot_ok(lg))
		return "confirmed slot out of range";
	if ((lg == BOOTCTL_SLOT_NONE && good != 0) || good > min)
		return "confirmed release inconsistent with the floor";
	c->last_good = lg;
	c->seq = ld64(buf + F_SEQ);
	c->min_release = min;
	c->good_release = good;
	return NULL;
}
