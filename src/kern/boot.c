/* Boot flow on the boot hart: platform from the DTB, console, SBI, memory,
 * interrupts, secondary harts, then the init thread and the scheduler. */
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/hart.h"
#include "cairn/ktest.h"
#include "cairn/mmu.h"
#include "cairn/page.h"
#include "cairn/panic.h"
#include "cairn/plic.h"
#include "cairn/sbi.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/timeline.h"
#include "cairn/timer.h"
#include "cairn/trap.h"

#ifndef CAIRN_MAX_HARTS
#define CAIRN_MAX_HARTS 4
#endif

struct dt_platform platform;

void kmain(unsigned long hartid, const void *dtb);
_Noreturn void hart_boot_enter(void);

/* boot_platform: parse the DTB; on failure say what is missing and exit. */
static void boot_platform(const void *dtb)
{
	char err[160];
	int rc = dt_parse(dtb, BOARD_DTB_MAX, &platform, err, sizeof(err));
	console_init(platform.uart_base ? platform.uart_base : BOARD_FALLBACK_UART,
		     platform.uart_reg_shift);
	if (rc) {
		kprintf("cairn: cannot boot: %s\n", err);
		platform_exit(EXIT_BAD_PLATFORM);
	}
}

/* boot_sbi: probe the firmware and insist on a timer. */
static void boot_sbi(void)
{
	if (sbi_probe() != 0) {
		kprintf("cairn: cannot boot: SBI base extension missing (SBI >= 0.2 needed)\n");
		platform_exit(EXIT_BAD_PLATFORM);
	}
	kprintf("sbi: spec %lu.%lu impl %s %lu.%lu ext:%s%s%s%s%s\n", sbi.spec_version >> 24,
		sbi.spec_version & 0xffffff, sbi_impl_name(sbi.impl_id), sbi.impl_version >> 16,
		sbi.impl_version & 0xffff, sbi.has_time ? " time" : "", sbi.has_ipi ? " ipi" : "",
		sbi.has_hsm ? " hsm" : "", sbi.has_srst ? " srst" : "",
		sbi.has_rfence ? " rfence" : "");
	int d = dt_find_hart(&platform, hart_self()->hartid);
	if (!sbi.has_time && !(d >= 0 && platform.harts[d].has_sstc)) {
		kprintf("cairn: cannot boot: no timer (SBI TIME absent and no Sstc)\n");
		platform_exit(EXIT_BAD_PLATFORM);
	}
}

/* kinit: the first thread. Starts the components, reports ready, then hands
 * over to the components' ready hooks (the selftest component reads its boot
 * arguments there); the core itself knows one boot argument, `quit`. */
static void kinit(void *arg)
{
	(void)arg;
	timeline_mark(TL_SCHED);
	unsigned n = hart_count();
	int down = supervisor_start_all();
	timeline_mark(TL_COMPS);
	kprintf("cairn: components up=%u down=%d\n", CAP_START_COUNT - (unsigned)down, down);
	uint64_t ready = time_us();
	kprintf("cairn: ready t=%llu harts=%u timer=%s\n", (unsigned long long)ready, n,
		timer_uses_sstc() ? "sstc" : "sbi");
	timeline_print(ready);
	supervisor_ready_all();
	if (dt_bootargs_has(platform.bootargs, "quit")) {
		kprintf("cairn: quit requested on the command line\n");
		platform_exit(EXIT_PASS);
	}
	/* Run mode: the console is the person's now; a shell, if built in, takes it. */
	if (!console_interactive())
		kprintf("cairn: idle (quit QEMU with Ctrl-A X)\n");
}

void kmain(unsigned long hartid, const void *dtb)
{
	hart_boot_init((uint32_t)hartid, CAIRN_MAX_HARTS);
	csr_clear(sstatus, 3ul << 13); /* FS=Off: a stray FP instruction traps */
	trap_init_hart();
	boot_platform(dtb);
	timeline_mark(TL_DTB);
	kprintf("\ncairn %s: booting on hart%lu\n", CAIRN_VERSION, hartid);
	boot_sbi();
	timeline_mark(TL_SBI);
	page_init(dtb);
	timeline_mark(TL_MEM);
	mmu_init(); /* the DTB is not read after this: it may lie outside the map */
	timeline_mark(TL_MMU);
	plic_init();
	timeline_mark(TL_PLIC);
	unsigned want = platform.nharts < CAIRN_MAX_HARTS ? platform.nharts : CAIRN_MAX_HARTS;
	kprintf("cairn: boot hart=%lu harts=%u\n", hartid, want);
	hart_start_secondaries();
	timeline_mark(TL_HARTS);
	ktest_ipi_boot(); /* a core check: every hart answers an IPI */
	timeline_mark(TL_IPI);
	/* Only now: kinit must see every hart online. */
	if (thread_create(NULL, "kinit", 0, kinit, NULL, true) != 0)
		panic("no memory for the init thread");
	hart_boot_enter();
}
