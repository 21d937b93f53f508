/* Fatal errors: broken invariants only, never I/O or input. */
#ifndef CAIRN_PANIC_H
#define CAIRN_PANIC_H

#include <stdint.h>

/* Exit codes through the finisher. */
#define EXIT_PASS 0
#define EXIT_SELFTEST_FAILED 1
#define EXIT_PANIC 2
#define EXIT_BAD_PLATFORM 3

_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* platform_exit: leave QEMU with code through the finisher (or SBI SRST). */
_Noreturn void platform_exit(int code);
/* platform_reboot: reset the machine (finisher reset, else SBI SRST cold reboot). */
_Noreturn void platform_reboot(void);
/* backtrace_print: frame-pointer walk from fp, bounded to [lo, hi). */
void backtrace_print(uintptr_t fp, uintptr_t lo, uintptr_t hi);

#define kassert(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);          \
	} while (0)

#endif
