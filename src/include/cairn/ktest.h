/* Kernel-core selftests: the tests of the core itself (SMP, IPI, scheduler,
 * MMU, trap stack, the fatal trap report). They stay in the core because they
 * look at its internals (page tables, per-hart stacks, the emergency trap
 * stack) or need its rights: the IPI probe runs on the boot hart before any
 * thread, and the crash must be a fault of the kernel core itself. The selftest
 * component (components/selftest) runs them; component tests live there. */
#ifndef CAIRN_KTEST_H
#define CAIRN_KTEST_H

/* ktest_ipi_boot: boot hart calls every other hart; prints the ipi markers.
 * Called by kmain once the secondary harts are online. */
void ktest_ipi_boot(void);

/* ktest_core_run: the core's selftests (ticks, IPI verdict, scheduler, MMU,
 * trap stack), in the caller's identity; returns the number that failed. */
int ktest_core_run(void);

/* ktest_crash: provoke a load page fault at 0x8 as the kernel core (tests the
 * fatal trap report: it does not return). Only for a caller the table gives
 * the crash privilege: CAIRN_EPERM (audited) otherwise. */
int ktest_crash(void);

#endif
