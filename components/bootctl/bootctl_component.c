/* The bootctl component in the image: the decision core (bootctl_core.c) over the
 * statefs service, the gated interface of include/bootctl.h, the boot arguments
 * boot.try=<a|b> and boot.health=fail, and the health gate in the ready hook.
 *
 * Order of a boot: init (after statefs, before packagefs) loads the control state
 * and parses the boot arguments; packagefs' init calls bootctl_slot_begin, which
 * repairs damaged state, applies boot.try, abandons exhausted trials, chooses, and
 * commits a trial's try, all before packagefs mounts the slot; packagefs reports
 * verified/failed (same-boot fallback); after `cairn: ready` the ready hook is
 * the health gate: it confirms the slot when every enabled component is up (in a
 * selftest boot the selftest component calls bootctl_mark_good after the
 * selftests passed).
 *
 * Locking: bc.lock (a robust mutex, taken with mutex_lock_live) serialises every
 * use of the core. The core's store calls statefs while it is held (lock order:
 * bootctl -> statefs, docs/locking.md). init runs with the interface closed. */
#include <stdio.h>
#include <string.h>

#include "bootctl.h"
#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/sync.h"
#include "statefs_svc.h"

#ifndef CAIRN_BOOT_TRIES
#define CAIRN_BOOT_TRIES BOOTCTL_TRIES_DEFAULT /* meson option boot_tries */
#endif
_Static_assert(CAIRN_BOOT_TRIES >= 1 && CAIRN_BOOT_TRIES <= BOOTCTL_TRIES_MAX, "boot_tries");

static struct {
	struct mutex lock;
	/* Protected by lock (set up by init with the interface closed): */
	struct bootctl_core core;
	bool begun;	  /* bootctl_slot_begin ran this boot */
	bool again;	  /* a packagefs restart: the slot of this boot is mounted again */
	uint8_t try_slot; /* boot.try=<a|b>, or NONE */
	bool health_fail; /* boot.health=fail */
} bc;

/* store_get: the core's reads, through the statefs service as bootctl. */
static int store_get(void *ctx, const char *key, void *buf, size_t cap)
{
	(void)ctx;
	return statefs_svc_get(key, buf, cap);
}

/* store_commit: both records in one atomic statefs batch, then sync. */
static int store_commit(void *ctx, const struct bootctl_put *puts, size_t n)
{
	struct statefs_op ops[2];
	(void)ctx;
	if (n > 2)
		return CAIRN_EINVAL;
	for (size_t i = 0; i < n; i++)
		ops[i] = (struct statefs_op){ STATEFS_OP_PUT, puts[i].key, puts[i].value,
					      puts[i].len };
	int err = statefs_svc_batch(ops, n);
	return err ? err : statefs_svc_sync();
}

static const struct bootctl_store store = { .get = store_get, .commit = store_commit };

/* log_line: every line of the core is printed and kept in the audit ring as the
 * identity on whose behalf bootctl acts (so a fallback names packagefs). */
static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	const char *what = strncmp(line, "bootctl: ", 9) == 0 ? line + 9 : line;
	(void)audit_append(AUDIT_BOOT, cap_self(), CAP_COMP_BOOTCTL, "bootctl", what);
}

/* boot_try_arg: boot.try=<a|b> into *slot (NONE when absent or, after saying
 * why, for any other value: a typo must not stop the slot choice). */
static void boot_try_arg(uint8_t *slot)
{
	char v[8];
	int n = dt_bootargs_value(platform.bootargs, "boot.try", v, sizeof(v));
	*slot = BOOTCTL_SLOT_NONE;
	if (n == CAIRN_ENOENT)
		return;
	if (n == 1 && (v[0] == 'a' || v[0] == 'b')) {
		*slot = v[0] == 'a' ? BOOTCTL_SLOT_A : BOOTCTL_SLOT_B;
		return;
	}
	kprintf("bootctl: bad boot argument boot.try=%s (want a or b): ignored\n",
		n >= 0 ? v : "(too long)");
}

/* bctl_init: load the control state (an unreadable store is not fatal: the boot
 * goes on without counting) and read the boot arguments. */
static int bctl_init(void)
{
	mutex_init(&bc.lock, "bootctl");
	bc.begun = false;
	bc.again = false;
	bc.health_fail = dt_bootargs_has(platform.bootargs, "boot.health=fail");
	boot_try_arg(&bc.try_slot);
	struct bootctl_core_config cfg = {
		.store = &store,
		.boot_tries = CAIRN_BOOT_TRIES,
		.log = log_line,
	};
	int err = bootctl_core_load(&bc.core, &cfg);
	if (err)
		return err;
	kprintf("bootctl: control state %s (boot_tries=%u%s%s%s)\n",
		bootctl_load_name(bc.core.load), (unsigned)CAIRN_BOOT_TRIES,
		bc.try_slot != BOOTCTL_SLOT_NONE ? " boot.try=" : "",
		bc.try_slot != BOOTCTL_SLOT_NONE ? bootctl_slot_name(bc.try_slot) : "",
		bc.health_fail ? " boot.health=fail" : "");
	return 0;
}

/* all_up: NULL when every enabled component is up, else the first that is not. */
static const char *all_up(void)
{
	for (unsigned c = 1; c < CAP_COMP_COUNT; c++)
		if (supervisor_state(c) != COMP_UP)
			return cap_comp_name(c);
	return NULL;
}

/* gate_locked: the health gate (bc.lock held): every component up, no
 * boot.health=fail, then the core's confirm. Ends with one `bootctl: health gate`
 * line saying what it decided. */
static int gate_locked(void)
{
	const char *down = all_up();
	const char *slot = bootctl_slot_name(bc.core.current);
	if (!bc.core.verified) {
		kprintf("bootctl: health gate: no verified slot this boot\n");
		return CAIRN_EAGAIN;
	}
	if (bc.health_fail) {
		kprintf("bootctl: health gate refused slot=%s: boot.health=fail\n", slot);
		return CAIRN_ECANCELED;
	}
	if (down) {
		kprintf("bootctl: health gate refused slot=%s: component %s is not up\n", slot,
			down);
		return CAIRN_EAGAIN;
	}
	int err = bootctl_core_confirm(&bc.core);
	if (err)
		kprintf("bootctl: health gate refused slot=%s: confirm failed: %s\n", slot,
			cairn_strerror(err));
	else
		kprintf("bootctl: health gate passed slot=%s\n", slot);
	return err;
}

/* lock: take bc.lock; CAIRN_ESHUTDOWN when a thread died holding it (the core
 * may be half-updated: serve nothing until bootctl is restarted). */
static int lock(void) { return mutex_lock_live(&bc.lock); }

/* bctl_ready: after `cairn: ready` (the supervisor has been through every
 * component), the health gate of a normal boot. A selftest boot is confirmed by
 * the selftest component once its tests passed. */
static void bctl_ready(bool up)
{
	if (!up || dt_bootargs_has(platform.bootargs, "selftest"))
		return;
	if (lock() != 0)
		return;
	(void)gate_locked(); /* it reports its verdict */
	mutex_unlock(&bc.lock);
}

const struct component_desc component_bootctl = {
	.name = "bootctl",
	.init = bctl_init,
	.ready = bctl_ready,
};

/* enter: pass the gate; packagefs_only refuses (and audits) any other caller. */
static int enter(struct cap_call *call, const char *op, bool packagefs_only)
{
	int err = cap_enter(call, CAP_COMP_BOOTCTL, op);
	if (err)
		return err;
	if (packagefs_only && call->caller != CAP_COMP_PACKAGEFS) {
		cap_leave(call);
		return cap_deny(AUDIT_CAP_DENIED, CAP_COMP_BOOTCTL, op, "packagefs only");
	}
	return 0;
}

/* out: copy a result out to the caller (after the lock is dropped), leave the gate. */
static int out(struct cap_call *call, int err, void *dst, const void *src, size_t n)
{
	if (!err)
		err = cap_copy_out(call, dst, src, n);
	cap_leave(call);
	return err;
}

/* bootctl_status: a copy of the state. */
int bootctl_status(struct bootctl_status *st)
{
	struct cap_call call;
	struct bootctl_status s;
	int err = enter(&call, "status", false);
	if (err)
		return err;
	if ((err = lock()) != 0)
		return out(&call, err, NULL, NULL, 0);
	s = (struct bootctl_status){
		.current = bc.core.current,
		.verified = bc.core.verified,
		.trial = bc.core.trial,
		.confirmed = bc.core.confirmed,
		.writable = bc.core.writable,
		.health_fail = bc.health_fail,
		.release = bc.core.current_release,
		.load = bc.core.load,
		.st = bc.core.st,
	};
	mutex_unlock(&bc.lock);
	return out(&call, 0, st, &s, sizeof(s));
}

/* bootctl_mark_good: the health gate, for the selftest component and the shell. */
int bootctl_mark_good(void)
{
	struct cap_call call;
	int err = enter(&call, "mark_good", false);
	if (err)
		return err;
	if ((err = lock()) != 0)
		return out(&call, err, NULL, NULL, 0);
	err = gate_locked();
	mutex_unlock(&bc.lock);
	return out(&call, err, NULL, NULL, 0);
}

/* bootctl_set_active: a trial for slot from the next boot on. */
int bootctl_set_active(uint8_t slot)
{
	struct cap_call call;
	int err = enter(&call, "set_active", false);
	if (err)
		return err;
	if ((err = lock()) != 0)
		return out(&call, err, NULL, NULL, 0);
	err = bootctl_core_set_active(&bc.core, slot);
	mutex_unlock(&bc.lock);
	return out(&call, err, NULL, NULL, 0);
}

/* bootctl_slot_begin: the choice of this boot, once. */
int bootctl_slot_begin(uint8_t *slot)
{
	struct cap_call call;
	uint8_t s = BOOTCTL_SLOT_NONE;
	int err = enter(&call, "slot_begin", true);
	if (err)
		return err;
	if ((err = lock()) != 0)
		return out(&call, err, NULL, NULL, 0);
	if (!bc.begun) {
		err = bootctl_core_start(&bc.core, bc.try_slot, &s);
	} else if (bc.core.verified) {
		/* packagefs restarted: the same slot again, no new attempt. */
		s = bc.core.current;
		bc.again = true;
	} else {
		err = CAIRN_EBUSY; /* the boot's choice ended without a slot */
	}
	bc.begun = true;
	mutex_unlock(&bc.lock);
	return out(&call, err, slot, &s, sizeof(s));
}

/* bootctl_slot_verified: accept, or refuse as a rollback and fall back. */
int bootctl_slot_verified(uint8_t slot, uint64_t release, uint8_t *next)
{
	struct cap_call call;
	uint8_t n = BOOTCTL_SLOT_NONE;
	int err = enter(&call, "slot_verified", true);
	if (err)
		return err;
	if ((err = lock()) != 0)
		return out(&call, err, NULL, NULL, 0);
	if (bc.again) {
		/* A restart must find the image this boot verified, or serve nothing. */
		bc.again = false;
		err = slot == bc.core.current && release == bc.core.current_release ? 0
										    : CAIRN_EBADMSG;
		n = err ? BOOTCTL_SLOT_NONE : slot;
	} else {
		err = bootctl_core_verified(&bc.core, slot, release, &n);
	}
	mutex_unlock(&bc.lock);
	return out(&call, err, next, &n, sizeof(n));
}

/* bootctl_slot_failed: mark bad, fall back. detail is copied in first (cut to 127
 * bytes: the marker names the reason, the detail only explains it). */
int bootctl_slot_failed(uint8_t slot, int reason, const char *detail, uint8_t *next)
{
	struct cap_call call;
	char d[128] = "";
	uint8_t n = BOOTCTL_SLOT_NONE;
	int err = enter(&call, "slot_failed", true);
	if (err)
		return err;
	if (detail) {
		int len = cap_copy_str_in(&call, d, detail, sizeof(d));
		if (len == CAIRN_ENAMETOOLONG)
			d[sizeof(d) - 1] = '\0';
		else if (len < 0)
			err = len;
	}
	if (!err && (err = lock()) == 0) {
		if (bc.again) /* the verified slot no longer verifies: serve nothing */
			bc.again = false;
		else
			err = bootctl_core_failed(&bc.core, slot, (enum bootctl_reason)reason,
						  detail ? d : NULL, &n);
		mutex_unlock(&bc.lock);
	}
	return out(&call, err, next, &n, sizeof(n));
}

/* bootctl_slot_pick: after ANY, choose from both verification results. */
int bootctl_slot_pick(const struct bootctl_images *im, uint8_t *slot)
{
	struct cap_call call;
	struct bootctl_images m;
	uint8_t s = BOOTCTL_SLOT_NONE;
	int err = enter(&call, "slot_pick", true);
	if (err)
		return err;
	err = cap_copy_in(&call, &m, im, sizeof(m));
	if (!err && (err = lock()) == 0) {
		err = bootctl_core_pick(&bc.core, &m, &s);
		mutex_unlock(&bc.lock);
	}
	return out(&call, err, slot, &s, sizeof(s));
}
