/* ns16550a UART console. */
#include "cairn/console.h"

#include <stdio.h>
#include <string.h>

#include "cairn/hart.h"
#include "cairn/riscv.h"
#include "cairn/spinlock.h"
#include "cairn/timer.h"

#define UART_THR 0 /* transmit holding register */
#define UART_RBR 0 /* receive buffer */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
#define LSR_DR 0x01   /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */

/* Immutable after console_init: */
static volatile uint8_t *uart;
static unsigned shift;
/* console_lock: serializes whole messages; a leaf lock (nothing taken inside). */
static struct spinlock console_lock = SPINLOCK_INIT("console");
static int panic_mode;
#define PANIC_LOCK_WAIT_US 20000u /* how long a panic waits for the console */

static inline uint8_t uart_rd(unsigned reg) { return uart[reg << shift]; }
static inline void uart_wr(unsigned reg, uint8_t v) { uart[reg << shift] = v; }

void console_init(uintptr_t uart_base, unsigned reg_shift)
{
	uart = (volatile uint8_t *)uart_base;
	shift = reg_shift;
	uart_wr(UART_IER, 0x00);  /* polled: no UART interrupts */
	uart_wr(UART_FCR, 0x07);  /* enable and clear FIFOs */
	uart_wr(UART_LCR, 0x03);  /* 8N1 */
}

static void uart_putc(char c)
{
	if (!uart)
		return;
	while (!(uart_rd(UART_LSR) & LSR_THRE))
		;
	uart_wr(UART_THR, (uint8_t)c);
}

/* console_write: emit len bytes, turning \n into \r\n for terminals. */
static void console_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

/* try_lock_for: take l within about us microseconds; false when it stays held. */
static bool try_lock_for(struct spinlock *l, uint64_t us)
{
	uint64_t until = rdtime() + us_to_ticks(us);
	push_off();
	do {
		if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) {
			l->owner = hart_self();
			return true;
		}
	} while (rdtime() < until);
	pop_off();
	return false;
}

/* panic_write: a panicking hart's line. The other harts are being stopped and
 * one may have stopped while holding the console lock, so wait for it a bounded
 * time (whole lines where possible), then write regardless. */
static void panic_write(const char *buf, size_t len)
{
	push_off();
	bool mine = spin_held(&console_lock);
	pop_off();
	if (!mine && try_lock_for(&console_lock, PANIC_LOCK_WAIT_US)) {
		console_write(buf, len);
		spin_unlock(&console_lock);
		return;
	}
	console_write(buf, len);
}

void kvprintf(const char *fmt, va_list ap)
{
	char buf[KPRINTF_MAX];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n;
	if (len >= sizeof(buf)) {
		/* Say so rather than cut silently. */
		len = sizeof(buf) - 1;
		memcpy(buf + len - 4, "...\n", 4);
	}
	if (panic_mode) {
		panic_write(buf, len);
		return;
	}
	spin_lock(&console_lock);
	console_write(buf, len);
	spin_unlock(&console_lock);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

int console_getc(void)
{
	if (!uart || !(uart_rd(UART_LSR) & LSR_DR))
		return -1;
	return uart_rd(UART_RBR);
}

void console_panic_mode(void)
{
	panic_mode = 1;
}
