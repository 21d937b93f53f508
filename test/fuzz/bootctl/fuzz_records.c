/* libFuzzer target for bootctl's state: the input is split into a control record
 * and a confirmed record (either may be absent, short or long) served by a fake
 * store. Checked on every input:
 *  - a record that decodes re-encodes to exactly its bytes (one canonical form,
 *    nothing ignored);
 *  - load + start never makes a slot successful that an intact record did not say
 *    was successful, never yields a slot with more tries than BOOTCTL_TRIES_MAX,
 *    and every commit the core makes decodes again (it never writes garbage);
 *  - the core then survives a verified/failed/confirm sequence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootctl_core.h"
#include "cairn/err.h"

/* The fake store: the two records as given, replaced by commits. */
struct fstore {
	uint8_t ctl[256], conf[256];
	int ctl_len, conf_len; /* -1 absent */
	int fail_get;	       /* return this error from get (0: none) */
};

/* fget: serve a record; ERANGE when it does not fit. */
static int fget(void *ctx, const char *key, void *buf, size_t cap)
{
	struct fstore *s = ctx;
	const bool c = strcmp(key, BOOTCTL_KEY_CONTROL) == 0;
	int len = c ? s->ctl_len : s->conf_len;
	if (s->fail_get)
		return s->fail_get;
	if (len < 0)
		return CAIRN_ENOENT;
	if ((size_t)len > cap)
		return CAIRN_ERANGE;
	memcpy(buf, c ? s->ctl : s->conf, (size_t)len);
	return len;
}

/* fcommit: every commit must be two records that decode; store them. */
static int fcommit(void *ctx, const struct bootctl_put *p, size_t n)
{
	struct fstore *s = ctx;
	struct bootctl_state st;
	struct bootctl_confirmed cf;
	if (n != 2 || bootctl_control_decode(p[0].value, p[0].len, &st) ||
	    bootctl_confirmed_decode(p[1].value, p[1].len, &cf))
		abort(); /* the core wrote something it cannot read back */
	memcpy(s->ctl, p[0].value, p[0].len);
	s->ctl_len = (int)p[0].len;
	memcpy(s->conf, p[1].value, p[1].len);
	s->conf_len = (int)p[1].len;
	return 0;
}

/* canonical: a decoded record must re-encode to the same bytes. */
static void canonical(const uint8_t *c, size_t cl, const uint8_t *f, size_t fl)
{
	struct bootctl_state st;
	struct bootctl_confirmed cf;
	uint8_t out[BOOTCTL_CONTROL_SIZE];
	if (!bootctl_control_decode(c, cl, &st)) {
		bootctl_control_encode(&st, out);
		if (memcmp(out, c, BOOTCTL_CONTROL_SIZE) != 0)
			abort();
	}
	if (!bootctl_confirmed_decode(f, fl, &cf)) {
		bootctl_confirmed_encode(&cf, out);
		if (memcmp(out, f, BOOTCTL_CONFIRMED_SIZE) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fstore s = { .ctl_len = -1, .conf_len = -1 };
	if (size < 4)
		return 0;
	/* Header: control length, confirmed length, flags, a release. */
	size_t cl = data[0] % 80, fl = data[1] % 64;
	uint8_t flags = data[2], rel = data[3];
	data += 4;
	size -= 4;
	if (cl > size)
		cl = size;
	memcpy(s.ctl, data, cl);
	if (!(flags & 1))
		s.ctl_len = (int)cl;
	if (fl > size - cl)
		fl = size - cl;
	memcpy(s.conf, data + cl, fl);
	if (!(flags & 2))
		s.conf_len = (int)fl;
	if (flags & 4)
		s.fail_get = CAIRN_EIO;
	canonical(s.ctl, cl, s.conf, fl);

	/* What an intact control record says is successful. */
	struct bootctl_state before;
	bool intact = s.ctl_len >= 0 && !bootctl_control_decode(s.ctl, (size_t)s.ctl_len, &before);
	struct bootctl_confirmed cf;
	int backup = -1; /* the slot an intact confirmed record names */
	if (s.conf_len >= 0 && !s.fail_get &&
	    !bootctl_confirmed_decode(s.conf, (size_t)s.conf_len, &cf))
		backup = cf.last_good;
	struct bootctl_store store = { .get = fget, .commit = fcommit, .ctx = &s };
	struct bootctl_core_config cfg = { .store = &store, .boot_tries = 1 + (flags >> 5) % 7 };
	struct bootctl_core bc;
	uint8_t slot, next;
	if (bootctl_core_load(&bc, &cfg) != 0)
		abort();
	bootctl_core_start(&bc, (flags & 8) ? (flags >> 4) % 3 : BOOTCTL_SLOT_NONE, &slot);
	for (int i = 0; i < BOOTCTL_NSLOTS; i++) {
		if (bc.st.slot[i].tries > BOOTCTL_TRIES_MAX)
			abort();
		/* Only an intact record (or its confirmed backup) makes a slot good. */
		if (bc.st.slot[i].successful && !(intact && before.slot[i].successful) &&
		    backup != i)
			abort();
	}
	if (slot == BOOTCTL_SLOT_ANY) {
		struct bootctl_images im = { { true, (flags & 16) != 0 },
					     { rel, (uint64_t)rel + 1 } };
		(void)bootctl_core_pick(&bc, &im, &slot);
	} else if (slot < BOOTCTL_NSLOTS) {
		if (flags & 16)
			(void)bootctl_core_failed(&bc, slot, BOOTCTL_R_VERIFY, "fuzz", &next);
		else
			(void)bootctl_core_verified(&bc, slot, rel, &next);
	}
	if (flags & 32)
		(void)bootctl_core_confirm(&bc);
	if (bc.verified && bc.current < BOOTCTL_NSLOTS && bc.st.min_release > bc.current_release &&
	    !bc.confirmed)
		abort(); /* a served slot below the floor */
	return 0;
}
