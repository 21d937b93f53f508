/* bootctl core: the A/B slot decision logic as plain C over an abstract store.
 *
 * The control state (two records under /state/boot/, docs/bootctl.md byte by byte)
 * says, per slot, its priority, the tries it has left, whether it was confirmed
 * (successful) and why it last failed; plus the last confirmed slot and the
 * anti-rollback floor min_release. Every change is ONE atomic update of both records
 * followed by a sync (store->commit), so a power cut leaves either the old or the new
 * state, never a mix.
 *
 * A boot, driven by the caller (the in-image component, or a host test):
 *   bootctl_core_load      read and classify the state (nothing written)
 *   bootctl_core_start     abandon exhausted trials, choose a slot and, for a trial,
 *                          spend one try BEFORE the slot is mounted (a crash during
 *                          the attempt still counts); or say BOOTCTL_SLOT_ANY: the
 *                          state is lost, verify both images and call
 *                          bootctl_core_pick with their releases
 *   bootctl_core_verified  the chosen image passed verification with this release:
 *                          accepted, or refused as a rollback (below min_release)
 *                          and the other slot chosen in the same boot
 *   bootctl_core_failed    the chosen image failed verification (or is missing):
 *                          marked bad with the reason, the other slot chosen
 *   bootctl_core_confirm   the health gate passed: the running slot becomes
 *                          successful, min_release rises to its release
 *   bootctl_core_set_active  give a slot a trial of boot_tries boots
 *
 * At most one slot is successful: the last confirmed one (last_good).
 *
 * Safety rules the code keeps (checked by the host tests, the power-cut test and the
 * SPIN model in test/model/): damaged or unreadable state never makes a slot
 * successful; tries saturate at 0 and never wrap; a slot is only successful after
 * bootctl_core_confirm on a boot that ran it; no image below min_release is accepted;
 * when no record can be written, no trial is attempted (it could not be counted).
 *
 * Not internally locked: the caller serialises calls on one struct bootctl_core.
 * Errors: 0 success, negative CAIRN_E* codes (cairn/err.h). */
#ifndef BOOTCTL_CORE_H
#define BOOTCTL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTCTL_KEY_CONTROL "/state/boot/control"     /* the full control record */
#define BOOTCTL_KEY_CONFIRMED "/state/boot/confirmed" /* the confirmed facts, a backup */
#define BOOTCTL_CONTROL_SIZE 64u		      /* bytes of the control record */
#define BOOTCTL_CONFIRMED_SIZE 48u		      /* bytes of the confirmed record */

#define BOOTCTL_NSLOTS 2
#define BOOTCTL_SLOT_A 0
#define BOOTCTL_SLOT_B 1
#define BOOTCTL_SLOT_NONE 0xff /* no slot (no last confirmed slot; nothing bootable) */
#define BOOTCTL_SLOT_ANY 0xfe  /* state lost: choose the valid image with the highest release */

#define BOOTCTL_PRIO_MAX 15	/* priority of the active slot; 0 = never boot */
#define BOOTCTL_TRIES_MAX 7	/* most tries a trial may be given */
#define BOOTCTL_TRIES_DEFAULT 3 /* the boot_tries option's default */
#define BOOTCTL_LINE_MAX 240	/* bytes of one log line, NUL included */

/* Why a slot last failed (stored as one byte; names in bootctl_reason_name). */
enum bootctl_reason {
	BOOTCTL_R_NONE = 0,	/* "none" */
	BOOTCTL_R_VERIFY = 1,	/* "verify": the image failed verification */
	BOOTCTL_R_ROLLBACK = 2, /* "rollback": release below min_release */
	BOOTCTL_R_TRIES = 3,	/* "tries-exhausted": a trial never confirmed */
	BOOTCTL_R_MISSING = 4,	/* "no-image": no disk for the slot */
	BOOTCTL_R_LOST = 5,	/* "state-lost": rebuilt after damaged state */
	BOOTCTL_R_COUNT
};

/* One slot of the control state. */
struct bootctl_slot {
	uint8_t priority; /* 0..BOOTCTL_PRIO_MAX; 0 never boots */
	uint8_t tries;	  /* trial boots left, 0..BOOTCTL_TRIES_MAX; 0 when successful */
	bool successful;  /* confirmed by the health gate on a boot that ran it */
	uint8_t reason;	  /* enum bootctl_reason of the last failure, NONE otherwise */
	uint64_t release; /* release last confirmed or refused in this slot, 0 unknown */
};

/* The whole control state (what the control record encodes). */
struct bootctl_state {
	uint64_t seq;	      /* +1 on every commit; the confirmed record carries it too */
	uint64_t min_release; /* anti-rollback floor: the highest confirmed release */
	uint8_t last_good;    /* last confirmed slot, or BOOTCTL_SLOT_NONE */
	struct bootctl_slot slot[BOOTCTL_NSLOTS];
};

/* The facts the confirmed record keeps (a backup for a damaged control record). */
struct bootctl_confirmed {
	uint64_t seq;	       /* the seq of the control record written with it */
	uint64_t min_release;  /* as in the control state */
	uint64_t good_release; /* release of last_good when it was confirmed */
	uint8_t last_good;     /* BOOTCTL_SLOT_A, _B or _NONE */
};

/* bootctl_control_encode: the BOOTCTL_CONTROL_SIZE bytes of st (docs/bootctl.md). */
void bootctl_control_encode(const struct bootctl_state *st, uint8_t out[BOOTCTL_CONTROL_SIZE]);
/* bootctl_control_decode: parse and check a control record of len bytes. NULL when
 * valid (st filled), else a short reason (st untouched). */
const char *bootctl_control_decode(const uint8_t *buf, size_t len, struct bootctl_state *st);
/* bootctl_confirmed_encode: the BOOTCTL_CONFIRMED_SIZE bytes of c. */
void bootctl_confirmed_encode(const struct bootctl_confirmed *c,
			      uint8_t out[BOOTCTL_CONFIRMED_SIZE]);
/* bootctl_confirmed_decode: as bootctl_control_decode, for the confirmed record. */
const char *bootctl_confirmed_decode(const uint8_t *buf, size_t len, struct bootctl_confirmed *c);

/* One key to write in a commit. */
struct bootctl_put {
	const char *key;
	const void *value;
	size_t len;
};

/* Where the state lives. The image uses statefs through its service API; the host
 * tests use the statefs engine on memory and power-cut devices. */
struct bootctl_store {
	/* get: copy key's value into buf; returns its length, CAIRN_ENOENT when absent,
	 * CAIRN_ERANGE when larger than cap, any other negative error when unreadable. */
	int (*get)(void *ctx, const char *key, void *buf, size_t cap);
	/* commit: replace puts[0..n) atomically (all or none after a crash) and sync. */
	int (*commit)(void *ctx, const struct bootctl_put *puts, size_t n);
	void *ctx;
};

/* How bootctl_core_load found the state. */
enum bootctl_load_class {
	BOOTCTL_LOAD_OK = 0,	 /* both records valid and consistent */
	BOOTCTL_LOAD_BLANK,	 /* neither record exists: first boot */
	BOOTCTL_LOAD_CONFIRMED,	 /* control record damaged; confirmed record valid */
	BOOTCTL_LOAD_DAMAGED,	 /* both damaged (or the confirmed one gone): state lost */
	BOOTCTL_LOAD_UNREADABLE, /* the store could not be read at all */
};

struct bootctl_core_config {
	const struct bootctl_store *store; /* required; must outlive the instance */
	uint8_t boot_tries;		   /* tries a trial gets: 1..BOOTCTL_TRIES_MAX */
	/* Called (may be NULL) with each marker and report line, e.g.
	 * "bootctl: fallback from b to a reason=verify: signature invalid". */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
};

/* The engine instance for one boot. */
struct bootctl_core {
	struct bootctl_core_config cfg;
	struct bootctl_state st;      /* the state in memory (what was last committed) */
	enum bootctl_load_class load; /* how bootctl_core_load found it */
	bool writable;		      /* false once a commit failed or was refused */
	uint8_t current;	      /* the slot being attempted/run, or NONE/ANY */
	uint8_t tried;		      /* bit i: slot i already failed or was tried in ANY */
	uint64_t current_release;     /* release of current once verified */
	bool verified;		      /* current passed verification and the floor */
	bool trial;		      /* current runs as a trial (not successful) */
	bool confirmed;		      /* bootctl_core_confirm succeeded this boot */
	char why[96];		      /* why the state was damaged, for the report */
};

/* bootctl_core_load: read both records and classify them (bc->load). Never writes.
 * 0, or CAIRN_EINVAL for a bad config. An unreadable store is not an error here
 * (class UNREADABLE): the boot goes on without counting. */
int bootctl_core_load(struct bootctl_core *bc, const struct bootctl_core_config *cfg);

/* bootctl_core_start: choose this boot's slot into *slot: A, B, ANY (state lost:
 * verify both images and call bootctl_core_pick) or NONE (nothing can boot). Before
 * that it commits, each as its own transition: the rebuild of damaged state, the
 * set-active of try_slot (a boot.try request; BOOTCTL_SLOT_NONE for none), the
 * abandon of exhausted trials, and for a trial the attempt (tries - 1). A failed
 * commit is not returned: it makes the instance read-only (bc->writable false) and
 * the choice falls back to a successful slot or ANY. Always returns 0. */
int bootctl_core_start(struct bootctl_core *bc, uint8_t try_slot, uint8_t *slot);

/* What the caller learnt about both images when bootctl_core_start said ANY. */
struct bootctl_images {
	bool valid[BOOTCTL_NSLOTS];	  /* present and passed verification */
	uint64_t release[BOOTCTL_NSLOTS]; /* its release when valid */
};

/* bootctl_core_pick: after ANY, choose the valid image with the highest release (a
 * tie goes to A) that is not below the known floor; it runs as a trial (committed
 * when writable). *slot is the choice or NONE. The choice counts as verified. */
int bootctl_core_pick(struct bootctl_core *bc, const struct bootctl_images *im, uint8_t *slot);

/* bootctl_core_verified: slot (the current one) passed verification with release.
 * When release >= min_release it is accepted (*next = slot) and the slot marker is
 * logged; otherwise it is refused as a rollback (marked bad, logged) and *next is
 * the other slot to mount, already attempted, or NONE. CAIRN_EINVAL when slot is not
 * the current slot. */
int bootctl_core_verified(struct bootctl_core *bc, uint8_t slot, uint64_t release, uint8_t *next);

/* bootctl_core_failed: the current slot failed (reason VERIFY or MISSING; detail is
 * logged, may be NULL): marked bad, committed, and *next is the other slot to mount
 * (already attempted) or NONE. CAIRN_EINVAL for a bad slot or reason. */
int bootctl_core_failed(struct bootctl_core *bc, uint8_t slot, enum bootctl_reason reason,
			const char *detail, uint8_t *next);

/* bootctl_core_confirm: the health gate passed for the running, verified slot: it
 * becomes successful, last_good, and min_release rises to its release (one commit).
 * 0 (also when it already was), CAIRN_EAGAIN when no slot was verified this boot,
 * CAIRN_EROFS when the state cannot be written, or the commit's error. */
int bootctl_core_confirm(struct bootctl_core *bc);

/* bootctl_core_set_active: give slot a trial of boot_tries boots from the next boot
 * on (priority above the other slot, which stays as the fallback). A slot already in
 * trial keeps its remaining tries (a repeated request cannot reset the counter
 * forever); a successful slot just gets the priority. CAIRN_EINVAL for a bad slot,
 * CAIRN_EROFS when the state cannot be written, or the commit's error. */
int bootctl_core_set_active(struct bootctl_core *bc, uint8_t slot);

/* bootctl_slot_name: "a", "b", "none" or "any". */
const char *bootctl_slot_name(uint8_t slot);
/* bootctl_reason_name: the stable name of a reason ("verify", ...), "?" if unknown. */
const char *bootctl_reason_name(uint8_t reason);
/* bootctl_load_name: "ok", "blank", "control-damaged", "lost" or "unreadable". */
const char *bootctl_load_name(enum bootctl_load_class c);
/* bootctl_slot_bootable: the rule the chooser uses: priority > 0 and (successful or
 * tries > 0). */
bool bootctl_slot_bootable(const struct bootctl_slot *s);

#endif
