/* Private to the packagefs component: mounting the A/B slot bootctl chooses
 * (pkgfs_slots.c, docs/bootctl.md). Built only when bootctl is in the image. */
#ifndef PKGFS_SLOTS_H
#define PKGFS_SLOTS_H

#include <stdint.h>

#include "blkdev.h"
#include "packagefs.h"

/* pkgfs_slots_mount: claim pkg_a and pkg_b (or a lone pkgfs disk as slot a)
 * read-only and mount the slot bootctl settles on, falling back in the same boot.
 * 0 with the mount, its claimed disk, the slot and the disk's serial; CAIRN_ENOENT
 * when no slot disk is attached (the caller serves the fixture); CAIRN_EBADMSG
 * when every slot was refused (fail closed); or a claim or bootctl error. Nothing
 * stays claimed or mounted on an error. */
int pkgfs_slots_mount(struct pkgfs **fs, struct blkdev **disk, uint8_t *slot, const char **serial);

#endif
