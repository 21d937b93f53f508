/* packagefs A/B slots: which package disk to mount, decided by bootctl
 * (docs/bootctl.md). The disks with serials pkg_a and pkg_b are the slots; a lone
 * "pkgfs" disk (the single-disk setup) is slot a with no slot b. bootctl chooses
 * and spends a trial's try before anything is mounted; every verification result
 * goes back to it, and a refused slot (bad image, missing disk, release below the
 * floor) makes it choose the other one in the same boot. Only when no slot disk at
 * all is attached does the caller fall back to the built-in fixture.
 *
 * Runs inside packagefs' init (interface closed, no lock needed). */
#include <stdio.h>
#include <string.h>

#include "bootctl.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "pkgfs_component.h"
#include "pkgfs_slots.h"
#include "virtio_blk.h"

/* The slot disks of this boot. */
struct slots {
	struct blkdev *disk[BOOTCTL_NSLOTS]; /* claimed read-only, NULL when absent */
	const char *serial[BOOTCTL_NSLOTS];  /* the serial each slot was found under */
	struct pkgfs *fs[BOOTCTL_NSLOTS];    /* a verified mount (ANY: both may be) */
	char reason[BOOTCTL_NSLOTS][PKGFS_REASON_MAX];
};

/* claim: the read-only claim of serial into *bd; ENOENT leaves it NULL. */
static int claim(const char *serial, struct blkdev **bd)
{
	*bd = NULL;
	int err = vblk_claim(serial, true, bd);
	if (err == CAIRN_ENOENT)
		return 0;
	if (err) {
		kprintf("pkgfs: cannot claim the %s disk: %s\n", serial, cairn_strerror(err));
		return err;
	}
	if (!(*bd)->info.read_only) { /* cannot happen: the claim asked for read-only */
		(void)vblk_release(*bd);
		*bd = NULL;
		return CAIRN_EIO;
	}
	return 0;
}

/* claim_all: pkg_a and pkg_b, or else a lone pkgfs disk as slot a. */
static int claim_all(struct slots *s)
{
	int err = claim("pkg_a", &s->disk[BOOTCTL_SLOT_A]);
	if (!err)
		err = claim("pkg_b", &s->disk[BOOTCTL_SLOT_B]);
	s->serial[BOOTCTL_SLOT_A] = "pkg_a";
	s->serial[BOOTCTL_SLOT_B] = "pkg_b";
	if (!err && !s->disk[BOOTCTL_SLOT_A] && !s->disk[BOOTCTL_SLOT_B]) {
		err = claim("pkgfs", &s->disk[BOOTCTL_SLOT_A]);
		s->serial[BOOTCTL_SLOT_A] = "pkgfs";
	}
	return err;
}

/* verify: mount (= validate completely, signature included) slot i's disk. */
static int verify(struct slots *s, uint8_t i)
{
	struct pkgfs_config cfg = pkgfs_comp_config(0);
	struct pkgfs_mount_report rep;
	if (!s->disk[i]) {
		snprintf(s->reason[i], sizeof(s->reason[i]), "no disk with serial %s",
			 s->serial[i]);
		return CAIRN_ENOENT;
	}
	int err = pkgfs_mount(&s->fs[i], s->disk[i], &cfg, &rep);
	if (err) {
		snprintf(s->reason[i], sizeof(s->reason[i]), "%s",
			 rep.reason[0] ? rep.reason : cairn_strerror(err));
		kprintf("pkgfs: refused image: virtio-blk serial=%s: %s\n", s->serial[i],
			s->reason[i]);
	}
	return err;
}

/* drop: unmount and release everything except slot keep. */
static void drop(struct slots *s, uint8_t keep)
{
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		if (i == keep)
			continue;
		(void)pkgfs_unmount(s->fs[i]);
		s->fs[i] = NULL;
		if (s->disk[i])
			(void)vblk_release(s->disk[i]);
		s->disk[i] = NULL;
	}
}

/* pick: bootctl lost its state: verify both, let it choose the highest release. */
static int pick(struct slots *s, uint8_t *slot)
{
	struct bootctl_images im = { 0 };
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		im.valid[i] = s->fs[i] || verify(s, i) == 0;
		im.release[i] = im.valid[i] ? pkgfs_release(s->fs[i]) : 0;
	}
	return bootctl_slot_pick(&im, slot);
}

/* run: the mount loop; 0 with *slot mounted in s->fs[*slot]. */
static int run(struct slots *s, uint8_t *slot)
{
	uint8_t cur;
	int err = bootctl_slot_begin(&cur);
	for (int guard = 0; !err && guard < 2 * BOOTCTL_NSLOTS + 2; guard++) {
		uint8_t next = BOOTCTL_SLOT_NONE;
		if (cur == BOOTCTL_SLOT_ANY) {
			err = pick(s, &cur);
			if (!err && cur < BOOTCTL_NSLOTS)
				*slot = cur;
			return err ? err : cur < BOOTCTL_NSLOTS ? 0 : CAIRN_EBADMSG;
		}
		if (cur >= BOOTCTL_NSLOTS)
			return CAIRN_EBADMSG; /* nothing may boot: fail closed */
		int v = s->fs[cur] ? 0 : verify(s, cur);
		if (v == 0)
			err = bootctl_slot_verified(cur, pkgfs_release(s->fs[cur]), &next);
		else
			err = bootctl_slot_failed(
				cur, v == CAIRN_ENOENT ? BOOTCTL_R_MISSING : BOOTCTL_R_VERIFY,
				s->reason[cur], &next);
		if (!err && v == 0 && next == cur) {
			*slot = cur;
			return 0;
		}
		if (s->fs[cur]) { /* verified but refused (rollback) */
			(void)pkgfs_unmount(s->fs[cur]);
			s->fs[cur] = NULL;
		}
		cur = next;
	}
	return err ? err : CAIRN_EBADMSG;
}

/* pkgfs_slots_mount: claim the slot disks and mount the one bootctl settles on. */
int pkgfs_slots_mount(struct pkgfs **fs, struct blkdev **disk, uint8_t *slot, const char **serial)
{
	struct slots s;
	memset(&s, 0, sizeof(s));
	*fs = NULL;
	*disk = NULL;
	*slot = BOOTCTL_SLOT_NONE;
	int err = claim_all(&s);
	if (!err && !s.disk[BOOTCTL_SLOT_A] && !s.disk[BOOTCTL_SLOT_B])
		return CAIRN_ENOENT;
	uint8_t got = BOOTCTL_SLOT_NONE;
	if (!err)
		err = run(&s, &got);
	if (err == CAIRN_EBADMSG)
		kprintf("pkgfs: no bootable slot: every package disk was refused\n");
	else if (err)
		kprintf("pkgfs: boot control failed: %s\n", cairn_strerror(err));
	drop(&s, err ? BOOTCTL_SLOT_NONE : got);
	if (err)
		return err;
	*fs = s.fs[got];
	*disk = s.disk[got];
	*slot = got;
	*serial = s.serial[got];
	return 0;
}
