/* Console on the ns16550a UART. kprintf formats a whole message with picolibc's
 * vsnprintf and writes it under the console lock, so lines from different harts
 * never interleave. */
#ifndef CAIRN_CONSOLE_H
#define CAIRN_CONSOLE_H

#include <stdarg.h>
#include <stdint.h>

#define KPRINTF_MAX 512 /* longer messages are cut, with "..." at the end */

void console_init(uintptr_t uart_base, unsigned reg_shift);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* console_getc: a received byte, or -1 when none is waiting. */
int console_getc(void);
/* console_panic_mode: drop the lock (a panicking hart may have held it). */
void console_panic_mode(void);

#endif
