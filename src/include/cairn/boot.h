/* Boot (kern/boot.c): the platform the DTB described, parsed once on the boot
 * hart before anything else runs, and read-only afterwards. */
#ifndef CAIRN_BOOT_H
#define CAIRN_BOOT_H

#include "cairn/dt.h"

/* platform: the parsed devicetree (memory, harts, UART, PLIC, virtio slots,
 * finisher, boot arguments). Written by kmain before the MMU is on; immutable
 * after that, so it is read without a lock. */
extern struct dt_platform platform;

/* kmain: the boot hart's C entry (from arch/entry.S). */
void kmain(unsigned long hartid, const void *dtb);

#endif
