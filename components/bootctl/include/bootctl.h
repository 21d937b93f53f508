/* bootctl service: which A/B package slot this device runs (docs/bootctl.md).
 *
 * bootctl starts before packagefs (table order) and loads its control state from
 * /state/boot/ (it alone may write there). packagefs asks it for the slot to mount
 * and reports what verification found; the health gate confirms the running slot;
 * an update gives the other slot a trial.
 *
 * Every call passes the capability gate (CAP_COMP_BOOTCTL): an ungranted caller gets
 * CAIRN_EPERM (audited), a call while bootctl is not up CAIRN_EAGAIN. The slot_*
 * calls drive the mount and are packagefs' alone: another granted caller gets
 * CAIRN_EPERM and a `cap: denied` record. Transitions are printed and kept in the
 * audit ring (AUDIT_BOOT), e.g. `bootctl: fallback from b to a reason=verify: ...`.
 *
 * Errors: 0 success, negative CAIRN_E* codes (cairn/err.h). */
#ifndef BOOTCTL_H
#define BOOTCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "bootctl_core.h"

/* What bootctl_status reports. */
struct bootctl_status {
	uint8_t current;	      /* slot mounted this boot, or NONE / ANY */
	bool verified;		      /* current passed verification and the floor */
	bool trial;		      /* current runs as a trial */
	bool confirmed;		      /* confirmed this boot (or already good) */
	bool writable;		      /* the control state can be written */
	bool health_fail;	      /* boot.health=fail: the gate refuses */
	uint64_t release;	      /* current's release when verified */
	enum bootctl_load_class load; /* how the state was found at boot */
	struct bootctl_state st;      /* the state in memory (as last committed) */
};

/* bootctl_status: a copy of the boot's slot state. */
int bootctl_status(struct bootctl_status *out);

/* bootctl_mark_good: the health gate. Confirms the running slot (successful,
 * min_release raised to its release) when every enabled component is up and the
 * test-only boot argument boot.health=fail is absent. In a selftest boot the
 * selftest component calls it after the selftests passed; otherwise bootctl's ready
 * hook does. 0, CAIRN_EAGAIN (no verified slot this boot, or a component is not
 * up), CAIRN_ECANCELED (boot.health=fail), CAIRN_EROFS (state not writable), or the
 * store's error. */
int bootctl_mark_good(void);

/* bootctl_set_active: give slot (BOOTCTL_SLOT_A or _B) a trial of boot_tries boots
 * from the next boot on (the boot argument boot.try=<a|b> does this at boot, before
 * the choice). CAIRN_EINVAL for another slot, CAIRN_EROFS, or the store's error. */
int bootctl_set_active(uint8_t slot);

/* ---- packagefs only -------------------------------------------------------- */

/* bootctl_slot_begin: choose the slot to mount (A, B, ANY = verify both and call
 * bootctl_slot_pick, NONE = nothing may boot), spending a trial's try first. Once
 * per boot (CAIRN_EBUSY after). */
int bootctl_slot_begin(uint8_t *slot);
/* bootctl_slot_verified: slot passed verification with release: *next == slot when
 * accepted, else (rollback) the next slot to mount, already attempted, or NONE. */
int bootctl_slot_verified(uint8_t slot, uint64_t release, uint8_t *next);
/* bootctl_slot_failed: slot failed verification (BOOTCTL_R_VERIFY) or has no disk
 * (BOOTCTL_R_MISSING); detail (may be NULL, at most 127 bytes used) is logged.
 * *next as above. */
int bootctl_slot_failed(uint8_t slot, int reason, const char *detail, uint8_t *next);
/* bootctl_slot_pick: after ANY, the verification results of both slots. */
int bootctl_slot_pick(const struct bootctl_images *im, uint8_t *slot);

#endif
