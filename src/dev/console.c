/* ns16550a UART console. */
#include "cairn/console.h"

#include <stdio.h>
#include <string.h>

#include "cairn/boot.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/panic.h"
#include "cairn/plic.h"
#include "cairn/riscv.h"
#include "cairn/sched.h"
#include "cairn/spinlock.h"
#include "cairn/sync.h"
#include "cairn/timer.h"

#define UART_THR 0 /* transmit holding register */
#define UART_RBR 0 /* receive buffer */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
#define IER_RDI 0x01  /* receive data available interrupt */
#define LSR_DR 0x01   /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */

/* Immutable after console_init: */
static volatile uint8_t *uart;
static unsigned shift;
/* console_lock: serializes whole messages; a leaf lock (nothing taken inside). */
static struct spinlock console_lock = SPINLOCK_INIT("console");
static int panic_mode;
/* Protected by console_lock: the line editor's hook (console_set_hook). */
static const struct console_hook *hook;
#define PANIC_LOCK_WAIT_US 20000u /* how long a panic waits for the console */

static inline uint8_t uart_rd(unsigned reg) { return uart[reg << shift]; }
static inline void uart_wr(unsigned reg, uint8_t v) { uart[reg << shift] = v; }

void console_init(uintptr_t uart_base, unsigned reg_shift)
{
	uart = (volatile uint8_t *)uart_base;
	shift = reg_shift;
	uart_wr(UART_IER, 0x00); /* polled: no UART interrupts */
	uart_wr(UART_FCR, 0x07); /* enable and clear FIFOs */
	uart_wr(UART_LCR, 0x03); /* 8N1 */
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
		if (hook)
			hook->before(hook->ctx); /* erase a prompt row; no redraw after a panic */
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
	console_write_n(buf, len);
}

void console_write_n(const char *buf, size_t len)
{
	if (panic_mode) {
		panic_write(buf, len);
		return;
	}
	spin_lock(&console_lock);
	if (hook)
		hook->before(hook->ctx);
	console_write(buf, len);
	if (hook)
		hook->after(hook->ctx);
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

void console_panic_mode(void) { panic_mode = 1; }

void console_set_hook(const struct console_hook *h)
{
	spin_lock(&console_lock);
	hook = h;
	spin_unlock(&console_lock);
}

void console_hold(void) { spin_lock(&console_lock); }

void console_release(void) { spin_unlock(&console_lock); }

void console_write_held(const char *buf, size_t len)
{
	if (!panic_mode)
		kassert(spin_held(&console_lock));
	console_write(buf, len);
}

/* ---------------------------------------------------------------------------
 * Input. rx_lock is taken by the reader and the UART interrupt handler
 * (spin_lock turns interrupts off, so the handler cannot preempt a holder on its
 * own hart); it wakes the reader under it, so it comes before sched_lock
 * (docs/locking.md). The ring counters run freely; head - tail is the fill
 * level.
 * ------------------------------------------------------------------------- */
#define RX_POLL_US 10000u /* input polling period without a UART interrupt */
static struct spinlock rx_lock = SPINLOCK_INIT("console_rx");
/* Protected by rx_lock: */
static uint8_t rx_ring[CONSOLE_RX_RING];
static size_t rx_head, rx_tail;
static bool rx_open, rx_irq, rx_held_back; /* held back: ring full, RX interrupt off */
static bool interactive;
static struct waitq rx_wait = WAITQ_INIT(rx_wait);     /* the reader, for bytes or close */
static struct waitq mode_wait = WAITQ_INIT(mode_wait); /* the reader, for run mode */

/* rx_fill_locked: move waiting UART bytes into the ring; when it is full, turn
 * the receive interrupt off so the rest waits in the UART. Caller holds rx_lock. */
static void rx_fill_locked(void)
{
	while (rx_head - rx_tail < CONSOLE_RX_RING && (uart_rd(UART_LSR) & LSR_DR))
		rx_ring[rx_head++ % CONSOLE_RX_RING] = uart_rd(UART_RBR);
	bool full = rx_head - rx_tail == CONSOLE_RX_RING;
	if (rx_irq && full != rx_held_back) {
		rx_held_back = full;
		uart_wr(UART_IER, full ? 0x00 : IER_RDI);
	}
}

/* rx_interrupt: the UART's PLIC handler (interrupt context). */
static void rx_interrupt(void *arg)
{
	(void)arg;
	spin_lock(&rx_lock);
	rx_fill_locked();
	if (rx_head != rx_tail)
		waitq_wake_all(&rx_wait);
	spin_unlock(&rx_lock);
}

int console_input_open(void)
{
	spin_lock(&rx_lock);
	if (rx_open) {
		spin_unlock(&rx_lock);
		return CAIRN_EBUSY;
	}
	rx_open = true;
	rx_head = rx_tail = 0;
	rx_held_back = false;
	spin_unlock(&rx_lock);
	if (!uart || !platform.uart_irq)
		return 0; /* polled */
	int err = plic_register(platform.uart_irq, rx_interrupt, NULL);
	if (err) {
		kprintf("console: uart irq %u unavailable (%s): polled input\n", platform.uart_irq,
			cairn_strerror(err));
		return 0;
	}
	spin_lock(&rx_lock);
	rx_irq = true;
	uart_wr(UART_IER, IER_RDI);
	rx_fill_locked(); /* bytes that came before the interrupt was on */
	spin_unlock(&rx_lock);
	return 0;
}

void console_input_close(void)
{
	spin_lock(&rx_lock);
	bool had_irq = rx_irq;
	if (rx_irq)
		uart_wr(UART_IER, 0x00);
	rx_open = false;
	rx_irq = false;
	waitq_wake_all(&rx_wait);
	waitq_wake_all(&mode_wait);
	spin_unlock(&rx_lock);
	if (had_irq)
		plic_unregister(platform.uart_irq);
}

int console_read(uint8_t *buf, size_t cap, uint64_t timeout_us)
{
	uint64_t start = time_us();
	spin_lock(&rx_lock);
	for (;;) {
		if (!rx_open) {
			spin_unlock(&rx_lock);
			return CAIRN_ESHUTDOWN;
		}
		if (!rx_irq || rx_held_back)
			rx_fill_locked();
		if (rx_head != rx_tail || timeout_us == 0)
			break;
		uint64_t waited = time_us() - start;
		if (timeout_us != CONSOLE_FOREVER && waited >= timeout_us)
			break;
		uint64_t left = timeout_us == CONSOLE_FOREVER ? 0 : timeout_us - waited;
		if (!rx_irq && (left == 0 || left > RX_POLL_US))
			left = RX_POLL_US; /* polled: look again soon */
		(void)waitq_wait(&rx_wait, &rx_lock, left);
	}
	size_t n = 0;
	while (n < cap && rx_tail != rx_head)
		buf[n++] = rx_ring[rx_tail++ % CONSOLE_RX_RING];
	if (rx_held_back)
		rx_fill_locked(); /* room again: take what waited and turn RX back on */
	spin_unlock(&rx_lock);
	return (int)n;
}

bool console_interactive(void)
{
	spin_lock(&rx_lock);
	interactive = true;
	bool reader = rx_open;
	waitq_wake_all(&mode_wait);
	spin_unlock(&rx_lock);
	return reader;
}

int console_wait_interactive(void)
{
	spin_lock(&rx_lock);
	while (rx_open && !interactive)
		(void)waitq_wait(&mode_wait, &rx_lock, 0);
	int err = rx_open ? 0 : CAIRN_ESHUTDOWN;
	spin_unlock(&rx_lock);
	return err;
}
