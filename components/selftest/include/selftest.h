/* The selftest component: the in-image selftests and benchmarks of every
 * component, run from its ready hook (after `cairn: ready`) when the kernel
 * command line asks for them (docs/operations.md):
 *
 *   selftest     the kernel core's tests (cairn/ktest.h), then every enabled
 *                component's; exits QEMU 0 when all passed, 1 otherwise
 *   bench        the in-image benchmarks ("bench: ..." figures)
 *   pkgfsbench   the packagefs benchmark (pkgfs_svc_bench)
 *   crashtest    a fatal fault of the kernel core (the trap report)
 *   crashload    the crash campaign's workload on the state disk (crashseed=...)
 *   faultstorm   the restart storm: faulttest and the shell fault at once until
 *                the supervisor gives up on both (selftest_storm.c)
 *
 * It acts with the privileges the capability table gives it (privilege
 * selftest run_as, restart, crash). Nothing calls into it: this header is the
 * interface between its own files. Tests print their SELFTEST markers only
 * after checking the fact they name; benchmarks print figures, not verdicts,
 * and only an error (an I/O failure, implementations that disagree) counts as
 * a failure. Adding the selftests of a new component: docs/component-model.md. */
#ifndef SELFTEST_H
#define SELFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* selftest_run_all: every selftest built into the image; prints
 * "SELFTEST: done failed=<n>" last and returns n. */
int selftest_run_all(void);

/* selftest_run_as: run fn in a new thread owned by comp (the run_as privilege
 * allows any component but the kernel); fn's result, or the thread's exit code
 * if it died. */
int selftest_run_as(unsigned comp, const char *name, int (*fn)(void));

/* selftest_audited: how many audit records from seq on have this kind, caller,
 * callee and op (NULL: any op), and a subject equal to subject (or, with subject_part,
 * containing it; NULL: any subject). */
unsigned selftest_audited(uint64_t seq, int kind, uint16_t caller, uint16_t callee, const char *op,
			  const char *subject, bool subject_part);

/* selftest_fault_storm: the restart-storm smoke (boot word faultstorm; needs
 * faulttest, shell and packagefs); 0 when it passed, printing
 * "SELFTEST: fault storm ok ...". */
int selftest_fault_storm(void);

/* selftest_components: the selftests of the components (capability denial and
 * audit, restart, fault containment, disks, statefs, packagefs); returns the
 * number that failed. */
int selftest_components(void);

/* selftest_blk: virtio-blk selftests on the scratch/ro disks, when attached. */
int selftest_blk(void);
/* selftest_statefs: statefs service selftests (skip when statefs is not up). */
int selftest_statefs(void);
/* selftest_statefs_limits: the prefix quota smoke, or (full) the ENOSPC smoke
 * on a small state disk ("statefsfull"); failures. */
int selftest_statefs_limits(bool full);
/* selftest_gate: bad caller pointers and key races against the statefs service
 * (threads as selftest, the check as statefs: the run_as privilege). */
int selftest_gate(void);
/* selftest_crashload: the crash campaign's workload ("crashload"; its boot
 * arguments in selftest_crashload.c); 0 when every op succeeded. */
int selftest_crashload(void);
/* selftest_limits: the exhaustion smokes (heap, threads, pages, a denial flood,
 * a cross-hart call flood, packagefs handles) and the budget report. */
int selftest_limits(void);
/* selftest_pkgfs: packagefs selftests (disk or fixture); returns failures. */
int selftest_pkgfs(void);
/* selftest_pkgfs_denied: an ungranted caller (crypto) is refused by packagefs. */
int selftest_pkgfs_denied(void);

/* selftest_keystore: device key persistence, unauthorized access through keystore
 * and statefs, and the tamper refusal (reads keystore's boot records from the
 * audit ring, so it runs first); returns failures. */
int selftest_keystore(void);
/* selftest_bootctl: bootctl selftests (persistence read back, packagefs-only calls
 * refused); returns failures. */
int selftest_bootctl(void);
/* selftest_bootctl_confirm: the health gate of a selftest boot (bootctl_mark_good),
 * as selftest, after every selftest passed; always 0 (the gate prints its verdict). */
int selftest_bootctl_confirm(void);

/* selftest_bench_all: every benchmark built into the image; prints
 * "bench: done failed=<n>" last and returns n. */
int selftest_bench_all(void);

/* selftest_fixed: write num/den with `decimals` digits after the point into buf
 * (integer arithmetic: the kernel runs with the FPU off). den 0 prints "0". */
void selftest_fixed(char *buf, size_t len, uint64_t num, uint64_t den, unsigned decimals);

/* selftest_bench_crypto: memcpy, CRC32-C (table, Zbc when active) and SHA-256
 * MB/s, each measurement taking about ms milliseconds. Returns the failures. */
int selftest_bench_crypto(uint64_t ms);

/* selftest_bench_blk: the virtio-blk benchmark on the disk with serial "scratch"
 * (its contents are overwritten); each measurement runs for about ms
 * milliseconds. Returns the failed measurements (0 without a scratch disk). */
int selftest_bench_blk(uint64_t ms);

/* selftest_bench_statefs: statefs vs raw virtio-blk figures ("statefsbench"). */
int selftest_bench_statefs(void);

#endif
