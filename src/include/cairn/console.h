/* Console on the ns16550a UART. kprintf formats a whole message with picolibc's
 * vsnprintf and writes it under the console lock, so lines from different harts
 * never interleave. */
#ifndef CAIRN_CONSOLE_H
#define CAIRN_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KPRINTF_MAX 512 /* longer messages are cut, with "..." at the end */

void console_init(uintptr_t uart_base, unsigned reg_shift);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* console_getc: a received byte, or -1 when none is waiting. */
int console_getc(void);
/* console_panic_mode: drop the lock (a panicking hart may have held it). */
void console_panic_mode(void);
/* console_write_n: write len bytes as one message (like kprintf("%.*s")). */
void console_write_n(const char *buf, size_t len);

/* ---------------------------------------------------------------------------
 * Input: the UART receive interrupt (through the PLIC) fills a ring buffer; a
 * reader sleeps until bytes arrive. While the ring is full the receive
 * interrupt is off and the bytes wait in the UART (QEMU holds back its input),
 * so a long paste is never dropped here. One reader at a time.
 * ------------------------------------------------------------------------- */
#define CONSOLE_RX_RING 1024
/* console_input_open: start interrupt-driven input (polled every 10 ms when the
 * DTB gives the UART no interrupt). 0, or CAIRN_EBUSY when already open. */
int console_input_open(void);
/* console_input_close: stop input; a sleeping reader returns CAIRN_ESHUTDOWN. */
void console_input_close(void);
/* console_read: up to cap received bytes. timeout_us: 0 = do not wait, else wait
 * up to that long (CONSOLE_FOREVER: no limit) for the first byte. Returns the
 * count (0 = none in time), or CAIRN_ESHUTDOWN once input is closed. */
#define CONSOLE_FOREVER UINT64_MAX
int console_read(uint8_t *buf, size_t cap, uint64_t timeout_us);

/* console_interactive: the boot is in run mode and the console belongs to a
 * person now (kinit, after `cairn: ready`). Returns whether a reader has input
 * open to take it. */
bool console_interactive(void);
/* console_wait_interactive: sleep until console_interactive (0) or until input
 * is closed (CAIRN_ESHUTDOWN). */
int console_wait_interactive(void);

/* ---------------------------------------------------------------------------
 * The line editor's hook: whoever prints a message (any hart) first calls
 * before() and afterwards after(), both with the console lock held, so a prompt
 * line being edited is erased and redrawn around every log line instead of
 * being torn by it. The hook writes with console_write_held. In panic mode
 * only before() is called, and only when the panicking hart got the lock.
 * ------------------------------------------------------------------------- */
struct console_hook {
	void (*before)(void *ctx);
	void (*after)(void *ctx);
	void *ctx;
};
/* console_set_hook: install hook (NULL removes it); it must stay valid until
 * removed. */
void console_set_hook(const struct console_hook *hook);
/* console_hold / console_release: take and drop the console lock around editor
 * output, so no message and no hook runs in the middle of it. */
void console_hold(void);
void console_release(void);
/* console_write_held: write bytes (\n as \r\n); the caller holds the lock. */
void console_write_held(const char *buf, size_t len);

#endif
