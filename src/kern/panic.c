/* panic, backtraces and leaving QEMU through the finisher. */
#include "cairn/panic.h"

#include <stdarg.h>

#include "board.h"
#include "cairn/boot.h"
#include "cairn/console.h"
#include "cairn/hart.h"
#include "cairn/mmu.h"
#include "cairn/sbi.h"
#include "cairn/sched.h"

#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333
#define FINISHER_RESET 0x7777

_Noreturn void platform_exit(int code)
{
	/* The fallback finisher only while paging is off: the MMU maps only
	 * devices the DTB lists. */
	if (platform.has_finisher || !mmu_enabled()) {
		uintptr_t base = platform.has_finisher ? platform.finisher_base
						       : BOARD_FALLBACK_FINISHER;
		volatile uint32_t *fin = (volatile uint32_t *)base;
		*fin = code == 0 ? FINISHER_PASS : ((uint32_t)code << 16) | FINISHER_FAIL;
	}
	/* Finisher absent: ask the firmware. */
	(void)sbi_system_reset(code != 0);
	for (;;)
		wfi();
}

_Noreturn void platform_reboot(void)
{
	if (platform.has_finisher) {
		volatile uint32_t *fin = (volatile uint32_t *)(uintptr_t)platform.finisher_base;
		*fin = FINISHER_RESET;
	}
	(void)sbi_system_reboot();
	for (;;)
		wfi();
}

void backtrace_print(uintptr_t fp, uintptr_t lo, uintptr_t hi)
{
	kprintf("backtrace:\n");
	for (int depth = 0; depth < 32; depth++) {
		/* GCC's RISC-V frame record: ra at fp-8, caller's fp at fp-16. */
		if (fp < lo + 16 || fp > hi || (fp & 7))
			break;
		uintptr_t ra = ((uintptr_t *)fp)[-1];
		uintptr_t prev = ((uintptr_t *)fp)[-2];
		if (ra == 0)
			break;
		kprintf("  #%d ra=0x%lx\n", depth, (unsigned long)ra);
		if (prev <= fp)
			break;
		fp = prev;
	}
}

/* current_stack_bounds: the stack the calling code runs on, for backtraces. */
void current_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
	struct hart *h = hart_self();
	struct thread *t = h->current;
	if (t) {
		*lo = (uintptr_t)t->stack;
		*hi = (uintptr_t)t->stack + t->stack_size;
	} else {
		*hi = h->stack_top;
		*lo = h->stack_top - HART_STACK_SIZE;
	}
}

_Noreturn void panic(const char *fmt, ...)
{
	intr_off();
	hart_halt_others();
	console_panic_mode();
	va_list ap;
	va_start(ap, fmt);
	kprintf("cairn: PANIC hart%u: ", hart_self()->hartid);
	kvprintf(fmt, ap);
	kprintf("\n");
	va_end(ap);
	uintptr_t lo, hi;
	current_stack_bounds(&lo, &hi);
	backtrace_print(read_fp(), lo, hi);
	platform_exit(EXIT_PANIC);
}
