/* Sv39 paging: one identity-mapped kernel address space shared by every hart.
 *
 * Text is R+X, rodata R, data/bss/stacks/heap/page pool R+W (never X), MMIO R+W
 * (never X) only where the DTB lists a device; nothing at address 0; an unmapped
 * guard page below every stack. Leaves are as large as their permissions allow
 * (1 GiB, 2 MiB, else 4 KiB); a large leaf is split when one of its pages has to
 * change. docs/architecture.md describes the map.
 *
 * The page-table logic itself (pt_*) is cairn/mmu_pt.h. */
#ifndef CAIRN_MMU_H
#define CAIRN_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/mmu_pt.h"

/* Kernel side (src/mm/mmu.c). */

/* mmu_init: boot hart, after page_init and before any other hart starts: build
 * the kernel table from the linker symbols, the page pool range and the DTB's
 * devices, unmap the boot stack's guard page and turn paging on for this hart.
 * Panics with a message when the platform cannot be mapped. */
void mmu_init(void);
/* mmu_enable_hart: load satp and flush this hart's TLB (secondary harts, before
 * they touch anything but their stack and per-hart area). */
void mmu_enable_hart(void);
/* mmu_guard_set: unmap the 4 KiB page at va (a stack guard) on every hart.
 * va must be a page of RAM that is mapped read+write (data, bss, page pool):
 * CAIRN_EINVAL otherwise, CAIRN_ENOMEM when a large leaf cannot be split. */
int mmu_guard_set(uintptr_t va);
/* mmu_guard_clear: map a guard page read+write again (before it is freed). */
int mmu_guard_clear(uintptr_t va);
/* mmu_lookup: the kernel table's leaf for va (see pt_lookup). */
int mmu_lookup(uintptr_t va, pte_t *pte, int *level);
/* mmu_count_wx: pt_count_wx on the kernel table. */
unsigned long mmu_count_wx(void);
/* mmu_enabled: this hart translates through the kernel table. */
bool mmu_enabled(void);
/* mmu_idle_enter / mmu_idle_leave: bracket the scheduler's idle wfi
 * (interrupts off, nothing touched in between but the hart's own area). While
 * inside, TLB shootdowns do not interrupt this hart: they mark it stale, and
 * mmu_idle_leave flushes its whole TLB before anything else runs. */
void mmu_idle_enter(void);
void mmu_idle_leave(void);

#endif
