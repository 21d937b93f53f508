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
/* ktest_crash: provoke a load page fault at 0x8 in the (kernel-core) init
 * thread (tests the fatal trap report). */
_Noreturn void ktest_crash(void);

struct thread;

/* The component id the fault-containment selftest runs its faulting threads
 * under. The image has no cap table linked into the core yet, so it is a fixed
 * id that no component in components/capabilities.txt has (the generated
 * table allows ids 0..31 and uses 0..8 today). */
#define KTEST_FAULT_COMP 31

/* ktest_component_fault: the weak supervisor hook's call-out; records the
 * fault and returns true when the fault selftest is waiting for one from comp,
 * false otherwise. Trap context (see cairn/supervisor.h). */
bool ktest_component_fault(uint16_t comp, struct thread *t);

#endif
