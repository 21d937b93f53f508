/* Kernel-core selftests (SMP, IPI, scheduler, MMU, fault containment), run
 * from the init thread. */
#ifndef KTEST_H
#define KTEST_H

#include <stdbool.h>
#include <stdint.h>

/* ktest_ipi_boot: boot hart calls every other hart; prints the ipi markers. */
void ktest_ipi_boot(void);
/* ktest_run_all: every selftest; returns the number that failed. */
int ktest_run_all(void);
/* ktest_blk: virtio-blk selftests on the scratch/ro disks, when attached. */
int ktest_blk(void);
/* ktest_run_as: run fn in a new thread owned by comp (the kernel may start
 * threads for any component); fn's result, or the thread's exit code if it
 * died. */
int ktest_run_as(unsigned comp, const char *name, int (*fn)(void));
/* ktest_audited: how many audit records from seq on have this kind, caller,
 * callee and op (NULL: any op), and a subject equal to subject (or, with subject_part,
 * containing it; NULL: any subject). */
unsigned ktest_audited(uint64_t seq, int kind, uint16_t caller, uint16_t callee, const char *op,
		       const char *subject, bool subject_part);
/* ktest_components: the selftests run as the selftest component (capability
 * denial and audit, restart, disks); returns the number that failed. */
int ktest_components(void);
/* ktest_statefs: statefs service selftests (skip when statefs is not up). */
int ktest_statefs(void);
/* kbench_statefs: statefs vs raw virtio-blk figures ("statefsbench"). */
int kbench_statefs(void);
/* ktest_gate: bad caller pointers and key races against the statefs service. */
int ktest_gate(void);
/* ktest_pkgfs: packagefs selftests (disk or fixture); returns failures. */
int ktest_pkgfs(void);
/* ktest_pkgfs_denied: (kernel) an ungranted caller is refused by packagefs. */
int ktest_pkgfs_denied(void);
/* ktest_crash: provoke a load page fault at 0x8 in the (kernel-core) init
 * thread (tests the fatal trap report). */
_Noreturn void ktest_crash(void);

#endif
