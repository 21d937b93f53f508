/* bootctl core: load, choose, attempt, verify, fail over, confirm, set active.
 *
 * Crash-safety argument (docs/bootctl.md has the state machine): the state on the
 * store changes only through commit(), which writes both records in one atomic
 * update and syncs; so after a power cut the store holds the state before or after
 * one transition, and every such state is a legal state of the machine. The
 * transitions are ordered so that each legal state boots a verified slot:
 *  - a trial's try is spent (committed) before the slot is handed out, so a crash
 *    while it runs is counted and a bad trial runs out of tries;
 *  - a slot becomes successful only in bootctl_core_confirm, on a boot that ran and
 *    verified it, and only from state that was read intact;
 *  - when nothing can be committed, no trial runs (it could not be counted): only a
 *    successful slot, or as a last resort the best verified image (rescue).
 * In-memory state always follows the intended transition even when the commit
 * failed, so one boot never retries what it already gave up on. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bootctl_core.h"
#include "cairn/err.h"

#define BIT(s) ((uint8_t)(1u << (s)))
#define BOTH (BIT(BOOTCTL_SLOT_A) | BIT(BOOTCTL_SLOT_B))

/* say: format one line and hand it to the log hook. */
static void say(struct bootctl_core *bc, const char *fmt, ...)
{
	char line[BOOTCTL_LINE_MAX];
	va_list ap;
	if (!bc->cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	bc->cfg.log(bc->cfg.log_ctx, line);
}

/* other: the slot that is not s. */
static uint8_t other(uint8_t s) { return s == BOOTCTL_SLOT_A ? BOOTCTL_SLOT_B : BOOTCTL_SLOT_A; }

/* bootctl_slot_bootable: priority > 0 and (successful or tries left). */
bool bootctl_slot_bootable(const struct bootctl_slot *s)
{
	return s->priority > 0 && (s->successful || s->tries > 0);
}

/* commit: make next the state: in memory always, on the store when writable (both
 * records, one atomic update + sync). A failed commit makes the instance read-only
 * for the rest of the boot: the store's content is then unknown (old or new). */
static int commit(struct bootctl_core *bc, struct bootctl_state *next)
{
	uint8_t ctl[BOOTCTL_CONTROL_SIZE], conf[BOOTCTL_CONFIRMED_SIZE];
	next->seq = bc->st.seq + 1;
	bc->st = *next;
	if (!bc->writable)
		return CAIRN_EROFS;
	struct bootctl_confirmed c = {
		.seq = next->seq,
		.min_release = next->min_release,
		.last_good = next->last_good,
		.good_release =
			next->last_good < BOOTCTL_NSLOTS ? next->slot[next->last_good].release : 0,
	};
	bootctl_control_encode(next, ctl);
	bootctl_confirmed_encode(&c, conf);
	const struct bootctl_put puts[2] = {
		{ BOOTCTL_KEY_CONTROL, ctl, sizeof(ctl) },
		{ BOOTCTL_KEY_CONFIRMED, conf, sizeof(conf) },
	};
	int err = bc->cfg.store->commit(bc->cfg.store->ctx, puts, 2);
	if (err) {
		bc->writable = false;
		say(bc,
		    "bootctl: cannot write the control state (err=%d): no trial is counted this "
		    "boot",
		    err);
	}
	return err;
}

/* blank_state: the factory state: A active, B its fallback, both untried trials. */
static void blank_state(struct bootctl_core *bc, uint64_t min_release)
{
	memset(&bc->st, 0, sizeof(bc->st));
	bc->st.last_good = BOOTCTL_SLOT_NONE;
	bc->st.min_release = min_release;
	bc->st.slot[BOOTCTL_SLOT_A] =
		(struct bootctl_slot){ .priority = BOOTCTL_PRIO_MAX, .tries = bc->cfg.boot_tries };
	bc->st.slot[BOOTCTL_SLOT_B] = (struct bootctl_slot){ .priority = BOOTCTL_PRIO_MAX - 1,
							     .tries = bc->cfg.boot_tries };
}

/* from_confirmed: rebuild the state from the confirmed record alone: the last
 * confirmed slot stays successful and active, the other becomes its fallback trial
 * (it is still verified and checked against the floor before it can run). */
static void from_confirmed(struct bootctl_core *bc, const struct bootctl_confirmed *c)
{
	blank_state(bc, c->min_release);
	bc->st.seq = c->seq;
	if (c->last_good >= BOOTCTL_NSLOTS)
		return;
	bc->st.last_good = c->last_good;
	bc->st.slot[c->last_good] = (struct bootctl_slot){ .priority = BOOTCTL_PRIO_MAX,
							   .successful = true,
							   .release = c->good_release };
	bc->st.slot[other(c->last_good)] = (struct bootctl_slot){ .priority = BOOTCTL_PRIO_MAX - 1,
								  .tries = bc->cfg.boot_tries,
								  .reason = BOOTCTL_R_LOST };
}

/* read_rec: get key into buf; 1 decoded-able bytes present, 0 absent, -1 damaged
 * (wrong size or corrupt in the store), -2 unreadable. *n receives the length. */
static int read_rec(struct bootctl_core *bc, const char *key, uint8_t *buf, size_t cap, size_t *n)
{
	int r = bc->cfg.store->get(bc->cfg.store->ctx, key, buf, cap);
	if (r >= 0) {
		*n = (size_t)r;
		return 1;
	}
	if (r == CAIRN_ENOENT)
		return 0;
	if (r == CAIRN_ERANGE || r == CAIRN_EBADMSG)
		return -1;
	return -2;
}

/* consistent: the two records were written together (same commit). */
static bool consistent(const struct bootctl_state *st, const struct bootctl_confirmed *c)
{
	uint64_t good = st->last_good < BOOTCTL_NSLOTS ? st->slot[st->last_good].release : 0;
	return st->seq == c->seq && st->last_good == c->last_good &&
	       st->min_release == c->min_release && good == c->good_release;
}

/* bootctl_core_load: read and classify; the state to run from goes to bc->st. */
int bootctl_core_load(struct bootctl_core *bc, const struct bootctl_core_config *cfg)
{
	uint8_t cb[BOOTCTL_CONTROL_SIZE], fb[BOOTCTL_CONFIRMED_SIZE];
	size_t cn = 0, fn = 0;
	struct bootctl_state st = { 0 };
	struct bootctl_confirmed c = { 0 };
	if (!cfg || !cfg->store || !cfg->store->get || !cfg->store->commit ||
	    cfg->boot_tries == 0 || cfg->boot_tries > BOOTCTL_TRIES_MAX)
		return CAIRN_EINVAL;
	memset(bc, 0, sizeof(*bc));
	bc->cfg = *cfg;
	bc->writable = true;
	bc->current = BOOTCTL_SLOT_NONE;
	int rc = read_rec(bc, BOOTCTL_KEY_CONTROL, cb, sizeof(cb), &cn);
	int rf = read_rec(bc, BOOTCTL_KEY_CONFIRMED, fb, sizeof(fb), &fn);
	const char *wc = rc < 0	   ? "control record unreadable"
			 : rc == 0 ? "control record missing"
				   : NULL;
	const char *wf = rf < 0	   ? "confirmed record unreadable"
			 : rf == 0 ? "confirmed record missing"
				   : NULL;
	if (rc == 1)
		wc = bootctl_control_decode(cb, cn, &st);
	if (rf == 1)
		wf = bootctl_confirmed_decode(fb, fn, &c);
	blank_state(bc, 0);
	if (rc == -2 || rf == -2) {
		/* Unreadable store: run from whatever decoded, but never write (and so
		 * never run an uncounted trial). */
		bc->load = BOOTCTL_LOAD_UNREADABLE;
		bc->writable = false;
		if (!wc)
			bc->st = st;
		else if (!wf)
			from_confirmed(bc, &c);
	} else if (rc == 0 && rf == 0) {
		bc->load = BOOTCTL_LOAD_BLANK;
	} else if (!wc && (wf || consistent(&st, &c))) {
		/* The control record is intact; a damaged backup is rewritten by the
		 * next commit. */
		bc->load = BOOTCTL_LOAD_OK;
		bc->st = st;
		if (wf)
			snprintf(bc->why, sizeof(bc->why), "%s", wf);
	} else if (!wf && c.last_good < BOOTCTL_NSLOTS) {
		/* Control damaged, or both intact but from different commits (only a
		 * restore of one key does that): trust only the confirmed facts. */
		bc->load = BOOTCTL_LOAD_CONFIRMED;
		from_confirmed(bc, &c);
		snprintf(bc->why, sizeof(bc->why), "%s",
			 wc ? wc : "records from different commits");
	} else {
		bc->load = BOOTCTL_LOAD_DAMAGED;
		blank_state(bc, wf ? 0 : c.min_release);
		snprintf(bc->why, sizeof(bc->why), "%s", wc ? wc : "no confirmed slot");
	}
	return 0;
}

/* choose: the bootable slot with the highest priority not tried this boot (a tie
 * goes to the last confirmed slot, then to A); when nothing can be written only
 * successful slots qualify. NONE when there is none. */
static uint8_t choose(const struct bootctl_core *bc)
{
	uint8_t best = BOOTCTL_SLOT_NONE;
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		const struct bootctl_slot *s = &bc->st.slot[i];
		if ((bc->tried & BIT(i)) || !bootctl_slot_bootable(s) ||
		    (!bc->writable && !s->successful))
			continue;
		if (best == BOOTCTL_SLOT_NONE || s->priority > bc->st.slot[best].priority ||
		    (s->priority == bc->st.slot[best].priority && i == bc->st.last_good))
			best = i;
	}
	return best;
}

/* abandon: a trial with no tries left was never confirmed: give it up
 * (priority 0, reason tries-exhausted) so the other slot boots. */
static void abandon(struct bootctl_core *bc)
{
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		const struct bootctl_slot *s = &bc->st.slot[i];
		if (s->priority == 0 || bootctl_slot_bootable(s))
			continue;
		struct bootctl_state next = bc->st;
		next.slot[i].priority = 0;
		next.slot[i].reason = BOOTCTL_R_TRIES;
		(void)commit(bc, &next); /* a failure leaves it abandoned in memory */
		uint8_t to = choose(bc);
		say(bc, "bootctl: fallback from %s to %s reason=%s", bootctl_slot_name(i),
		    bootctl_slot_name(to == BOOTCTL_SLOT_NONE ? BOOTCTL_SLOT_ANY : to),
		    bootctl_reason_name(BOOTCTL_R_TRIES));
	}
}

/* begin: choose the slot to mount and, for a trial, spend one try first. When the
 * try cannot be committed the trial is not run: choose again without trials. */
static uint8_t begin(struct bootctl_core *bc)
{
	bc->verified = false;
	for (;;) {
		abandon(bc);
		uint8_t c = choose(bc);
		if (c == BOOTCTL_SLOT_NONE) {
			/* Nothing the record allows: rescue with the best verified image,
			 * unless both were already refused this boot. */
			c = (bc->tried & BOTH) == BOTH ? BOOTCTL_SLOT_NONE : BOOTCTL_SLOT_ANY;
			bc->current = c;
			bc->trial = true;
			return c;
		}
		bc->current = c;
		bc->trial = !bc->st.slot[c].successful;
		if (!bc->trial)
			return c;
		struct bootctl_state next = bc->st;
		next.slot[c].tries--; /* bootable trial: tries > 0, no wrap */
		if (commit(bc, &next) == 0)
			return c;
	}
}

/* rewrite: commit the state as it is in memory (repairs a damaged record). */
static void rewrite(struct bootctl_core *bc)
{
	struct bootctl_state next = bc->st;
	(void)commit(bc, &next);
}

/* bootctl_core_start: repair what load found, apply a boot.try request, choose. */
int bootctl_core_start(struct bootctl_core *bc, uint8_t try_slot, uint8_t *slot)
{
	switch (bc->load) {
	case BOOTCTL_LOAD_OK:
		if (bc->why[0]) {
			say(bc, "bootctl: %s: rewritten from the control record", bc->why);
			rewrite(bc);
		}
		break;
	case BOOTCTL_LOAD_BLANK:
		say(bc, "bootctl: no control state: first boot, slot a first");
		break;
	case BOOTCTL_LOAD_CONFIRMED:
		say(bc, "bootctl: control state damaged (%s): booting the last confirmed slot %s",
		    bc->why, bootctl_slot_name(bc->st.last_good));
		rewrite(bc);
		break;
	case BOOTCTL_LOAD_DAMAGED:
		say(bc, "bootctl: control state damaged (%s): booting the highest valid release",
		    bc->why);
		bc->current = BOOTCTL_SLOT_ANY;
		bc->trial = true;
		*slot = BOOTCTL_SLOT_ANY;
		return 0;
	case BOOTCTL_LOAD_UNREADABLE:
		say(bc, "bootctl: control state unreadable: booting %s without counting",
		    bc->st.last_good < BOOTCTL_NSLOTS ? "the last confirmed slot"
						      : "the valid image with the highest release");
		break;
	}
	if (try_slot < BOOTCTL_NSLOTS)
		(void)bootctl_core_set_active(bc, try_slot);
	*slot = begin(bc);
	return 0;
}

/* accept: the current slot is verified and at or above the floor: log the marker. */
static void accept(struct bootctl_core *bc, uint64_t release)
{
	const struct bootctl_slot *s = &bc->st.slot[bc->current];
	bc->verified = true;
	bc->current_release = release;
	say(bc, "bootctl: slot=%s release=%llu state=%s tries=%u", bootctl_slot_name(bc->current),
	    (unsigned long long)release, bc->trial ? "trial" : "good", bc->trial ? s->tries : 0u);
}

/* fail_over: mark slot bad with reason (one commit), then choose the next slot. */
static uint8_t fail_over(struct bootctl_core *bc, uint8_t slot, uint8_t reason, uint64_t release,
			 const char *detail)
{
	struct bootctl_state next = bc->st;
	struct bootctl_slot *s = &next.slot[slot];
	*s = (struct bootctl_slot){ .reason = reason, .release = release };
	if (next.last_good == slot)
		next.last_good = BOOTCTL_SLOT_NONE;
	(void)commit(bc, &next);
	bc->tried |= BIT(slot);
	uint8_t to = begin(bc);
	say(bc, "bootctl: fallback from %s to %s reason=%s%s%s", bootctl_slot_name(slot),
	    bootctl_slot_name(to), bootctl_reason_name(reason), detail ? ": " : "",
	    detail ? detail : "");
	return to;
}

/* bootctl_core_verified: accept the slot, or refuse it as a rollback and fail over. */
int bootctl_core_verified(struct bootctl_core *bc, uint8_t slot, uint64_t release, uint8_t *next)
{
	if (slot >= BOOTCTL_NSLOTS || slot != bc->current || bc->verified)
		return CAIRN_EINVAL;
	if (release < bc->st.min_release) {
		say(bc, "bootctl: rollback refused slot=%s release=%llu min=%llu",
		    bootctl_slot_name(slot), (unsigned long long)release,
		    (unsigned long long)bc->st.min_release);
		*next = fail_over(bc, slot, BOOTCTL_R_ROLLBACK, release, NULL);
		return 0;
	}
	accept(bc, release);
	*next = slot;
	return 0;
}

/* bootctl_core_failed: the current slot failed verification or has no image. */
int bootctl_core_failed(struct bootctl_core *bc, uint8_t slot, enum bootctl_reason reason,
			const char *detail, uint8_t *next)
{
	if (slot >= BOOTCTL_NSLOTS || slot != bc->current || bc->verified ||
	    (reason != BOOTCTL_R_VERIFY && reason != BOOTCTL_R_MISSING))
		return CAIRN_EINVAL;
	*next = fail_over(bc, slot, (uint8_t)reason, bc->st.slot[slot].release, detail);
	return 0;
}

/* bootctl_core_pick: the state is lost (or nothing is bootable): run the valid
 * image with the highest release as a trial, the other valid one as its fallback. */
int bootctl_core_pick(struct bootctl_core *bc, const struct bootctl_images *im, uint8_t *slot)
{
	uint8_t best = BOOTCTL_SLOT_NONE;
	if (bc->current != BOOTCTL_SLOT_ANY || !im)
		return CAIRN_EINVAL;
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		if ((bc->tried & BIT(i)) || !im->valid[i])
			continue;
		if (im->release[i] < bc->st.min_release) {
			say(bc, "bootctl: rollback refused slot=%s release=%llu min=%llu",
			    bootctl_slot_name(i), (unsigned long long)im->release[i],
			    (unsigned long long)bc->st.min_release);
			continue;
		}
		if (best == BOOTCTL_SLOT_NONE || im->release[i] > im->release[best])
			best = i;
	}
	bc->current = best;
	*slot = best;
	if (best == BOOTCTL_SLOT_NONE) {
		say(bc, "bootctl: no bootable slot: no valid image at or above min_release=%llu",
		    (unsigned long long)bc->st.min_release);
		return 0;
	}
	struct bootctl_state next = bc->st;
	next.last_good = BOOTCTL_SLOT_NONE; /* nothing is successful in a rebuilt state */
	/* The floor becomes the chosen release: with the history lost, the highest
	 * signed release is the best lower bound there is, and without it an older
	 * fallback image could boot once the chosen one runs out of tries (the SPIN
	 * model's BROKEN_FLOOR variant shows that run). */
	if (next.min_release < im->release[best])
		next.min_release = im->release[best];
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		bool ok = im->valid[i] && im->release[i] >= next.min_release &&
			  !(bc->tried & BIT(i));
		next.slot[i] = (struct bootctl_slot){
			.priority = i == best ? BOOTCTL_PRIO_MAX
				    : ok      ? BOOTCTL_PRIO_MAX - 1
					      : 0,
			.tries = i == best ? bc->cfg.boot_tries - 1
				 : ok	   ? bc->cfg.boot_tries
					   : 0,
			.reason = i == best ? BOOTCTL_R_NONE
				  : !ok	    ? BOOTCTL_R_VERIFY
					    : BOOTCTL_R_LOST,
		};
		if (im->valid[i] && im->release[i] < next.min_release)
			next.slot[i].reason = BOOTCTL_R_ROLLBACK;
	}
	(void)commit(bc, &next); /* uncounted when it fails: still the best we have */
	bc->trial = true;
	accept(bc, im->release[best]);
	return 0;
}

/* bootctl_core_confirm: successful, last confirmed, floor raised. At most one slot
 * is successful, the last confirmed one: a previously successful other slot becomes
 * a fallback trial (so an image later written into it can never inherit an old
 * confirmation), or is retired as a rollback when its release is now below the
 * floor (it could never boot again). */
int bootctl_core_confirm(struct bootctl_core *bc)
{
	uint8_t c = bc->current;
	if (!bc->verified || c >= BOOTCTL_NSLOTS)
		return CAIRN_EAGAIN;
	const struct bootctl_slot *s = &bc->st.slot[c];
	if (s->successful && bc->st.last_good == c && s->release == bc->current_release &&
	    bc->st.min_release >= bc->current_release) {
		bc->confirmed = true;
		return 0;
	}
	if (!bc->writable)
		return CAIRN_EROFS;
	struct bootctl_state next = bc->st;
	next.slot[c] =
		(struct bootctl_slot){ .priority = s->priority ? s->priority : BOOTCTL_PRIO_MAX,
				       .successful = true,
				       .release = bc->current_release };
	next.last_good = c;
	if (next.min_release < bc->current_release)
		next.min_release = bc->current_release;
	struct bootctl_slot *o = &next.slot[other(c)];
	if (o->successful && o->release < next.min_release)
		*o = (struct bootctl_slot){ .reason = BOOTCTL_R_ROLLBACK, .release = o->release };
	else if (o->successful)
		*o = (struct bootctl_slot){ .priority = BOOTCTL_PRIO_MAX - 1,
					    .tries = bc->cfg.boot_tries,
					    .release = o->release };
	if (o->priority >= next.slot[c].priority && o->priority > 0)
		o->priority = next.slot[c].priority - 1;
	int err = commit(bc, &next);
	if (err)
		return err;
	bc->trial = false;
	bc->confirmed = true;
	say(bc, "bootctl: confirmed slot=%s release=%llu min_release=%llu", bootctl_slot_name(c),
	    (unsigned long long)bc->current_release, (unsigned long long)next.min_release);
	return 0;
}

/* bootctl_core_set_active: slot gets a trial (or, when successful, the priority). */
int bootctl_core_set_active(struct bootctl_core *bc, uint8_t slot)
{
	if (slot >= BOOTCTL_NSLOTS)
		return CAIRN_EINVAL;
	if (!bc->writable)
		return CAIRN_EROFS;
	struct bootctl_state next = bc->st;
	struct bootctl_slot *t = &next.slot[slot], *o = &next.slot[other(slot)];
	bool in_trial = t->priority == BOOTCTL_PRIO_MAX && !t->successful && t->tries > 0 &&
			o->priority < BOOTCTL_PRIO_MAX;
	bool top = t->priority == BOOTCTL_PRIO_MAX && o->priority < BOOTCTL_PRIO_MAX;
	if (in_trial || (t->successful && top))
		return 0; /* nothing to change: a repeat cannot reset the tries */
	t->priority = BOOTCTL_PRIO_MAX;
	if (!t->successful)
		*t = (struct bootctl_slot){ .priority = BOOTCTL_PRIO_MAX,
					    .tries = bc->cfg.boot_tries };
	if (o->priority >= BOOTCTL_PRIO_MAX)
		o->priority = BOOTCTL_PRIO_MAX - 1;
	int err = commit(bc, &next);
	if (err)
		return err;
	say(bc, "bootctl: set active slot=%s state=%s tries=%u", bootctl_slot_name(slot),
	    t->successful ? "good" : "trial", (unsigned)t->tries);
	return 0;
}

/* bootctl_slot_name: printable slot. */
const char *bootctl_slot_name(uint8_t slot)
{
	switch (slot) {
	case BOOTCTL_SLOT_A:
		return "a";
	case BOOTCTL_SLOT_B:
		return "b";
	case BOOTCTL_SLOT_ANY:
		return "any";
	default:
		return "none";
	}
}

/* bootctl_reason_name: the stable reason names used in markers and docs. */
const char *bootctl_reason_name(uint8_t reason)
{
	static const char *const names[BOOTCTL_R_COUNT] = {
		"none", "verify", "rollback", "tries-exhausted", "no-image", "state-lost",
	};
	return reason < BOOTCTL_R_COUNT ? names[reason] : "?";
}

/* bootctl_load_name: printable load class. */
const char *bootctl_load_name(enum bootctl_load_class c)
{
	switch (c) {
	case BOOTCTL_LOAD_OK:
		return "ok";
	case BOOTCTL_LOAD_BLANK:
		return "blank";
	case BOOTCTL_LOAD_CONFIRMED:
		return "control-damaged";
	case BOOTCTL_LOAD_DAMAGED:
		return "lost";
	case BOOTCTL_LOAD_UNREADABLE:
		return "unreadable";
	}
	return "?";
}
