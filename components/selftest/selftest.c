/* The selftest component: its descriptor and its ready hook, which reads the
 * kernel command line and runs the selftests or benchmarks it asks for. The
 * kernel core knows none of these boot arguments. */
#include "selftest.h"

#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/ktest.h"
#include "cairn/panic.h"
#ifdef CAP_ENABLED_CRYPTO
#include "crypto.h"
#endif
#ifdef CAP_ENABLED_PACKAGEFS
#include "packagefs_svc.h"
#endif

/* crypto_kat: the crypto known-answer tests, one marker. */
static int crypto_kat(void)
{
#ifdef CAP_ENABLED_CRYPTO
	if (crypto_selftest_kat() != 0) {
		kprintf("ktest: crypto kat FAILED\n");
		return 1;
	}
	kprintf("SELFTEST: crypto kat ok\n");
#endif
	return 0;
}

int selftest_run_all(void)
{
	int failed = ktest_core_run();
	failed += crypto_kat();
	failed += selftest_components();
#ifdef CAP_ENABLED_BOOTCTL
	if (failed == 0) /* the health gate of a selftest boot: every selftest passed */
		(void)selftest_run_as(CAP_COMP_SELFTEST, "bootctl-gate", selftest_bootctl_confirm);
#endif
	kprintf("SELFTEST: done failed=%d\n", failed);
	return failed;
}

/* exit_with: leave QEMU with the verdict of n failures. */
static _Noreturn void exit_with(int failed)
{
	platform_exit(failed ? EXIT_SELFTEST_FAILED : EXIT_PASS);
}

/* selftest_ready: the boot arguments this component acts on, checked in the
 * order the kernel used to (pkgfsbench, crashtest, selftest, bench). Asked to
 * run while it could not start (a component it needs is down), it fails the
 * run rather than leave the machine idle. */
static void selftest_ready(bool up)
{
	const char *args = platform.bootargs;
	if (!up) {
		static const char *const words[] = { "pkgfsbench", "crashtest", "crashload",
						     "faultstorm", "selftest",	"bench" };
		for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			if (dt_bootargs_has(args, words[i])) {
				kprintf("ktest: selftest component is not up\n");
				exit_with(1);
			}
		}
		return;
	}
#ifdef CAP_ENABLED_PACKAGEFS
	if (dt_bootargs_has(args, "pkgfsbench"))
		exit_with(pkgfs_svc_bench());
#endif
	if (dt_bootargs_has(args, "crashtest")) {
		int err = ktest_crash(); /* returns only when the privilege is missing */
		kprintf("ktest: crashtest refused: %s\n", cairn_strerror(err));
		exit_with(1);
	}
#ifdef CAP_ENABLED_STATEFS
	if (dt_bootargs_has(args, "crashload"))
		exit_with(selftest_crashload());
#endif
#if defined(CAP_ENABLED_FAULTTEST) && defined(CAP_ENABLED_SHELL) && defined(CAP_ENABLED_PACKAGEFS)
	if (dt_bootargs_has(args, "faultstorm"))
		exit_with(selftest_run_as(CAP_COMP_SELFTEST, "faultstorm", selftest_fault_storm));
#endif
	if (dt_bootargs_has(args, "selftest"))
		exit_with(selftest_run_all());
	/* Benchmarks run in their own selftest thread: it owns the scratch disk. */
	if (dt_bootargs_has(args, "bench"))
		exit_with(selftest_run_as(CAP_COMP_SELFTEST, "bench", selftest_bench_all));
}

/* The selftest component keeps no state of its own: its tests run from its
 * ready hook and in threads it starts, so there is nothing to init or release. */
const struct component_desc component_selftest = {
	.name = "selftest",
	.ready = selftest_ready,
};
