/* Kernel-core selftests (SMP, IPI, scheduler), run from the init thread. */
#ifndef KTEST_H
#define KTEST_H

/* ktest_ipi_boot: boot hart calls every other hart; prints the ipi markers. */
void ktest_ipi_boot(void);
/* ktest_run_all: every selftest; returns the number that failed. */
int ktest_run_all(void);
/* ktest_blk: virtio-blk selftests on the scratch/ro disks, when attached. */
int ktest_blk(void);
/* ktest_components: the selftests run as the selftest component (capability
 * denial and audit, restart, disks); returns the number that failed. */
int ktest_components(void);
/* ktest_pkgfs: packagefs selftests (disk or fixture); returns failures. */
int ktest_pkgfs(void);
/* ktest_pkgfs_denied: (kernel) an ungranted caller is refused by packagefs. */
int ktest_pkgfs_denied(void);
/* ktest_crash: provoke a load access fault (tests the trap report). */
_Noreturn void ktest_crash(void);

#endif
