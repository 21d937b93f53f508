/* shell component: the console shell in the image. start() opens console input
 * and starts the shell thread; the thread waits until the boot is in run mode
 * (console_interactive, after `cairn: ready`), installs the editor hook, draws
 * the prompt and then sleeps in console_read until bytes arrive. In selftest,
 * bench and quit boots it never draws anything. */
#include <string.h>

#include "cairn/boot.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "shell_internal.h"

/* The one shell; touched by the shell thread, and by the console hook with the
 * console lock held (the editor's state is changed only under that lock). */
static struct shell sh;
static struct thread *shell_thread;
static struct thread *logtest_thread;
static bool stopping; /* set by stop() before it closes input; relaxed atomics: a hint */

#define LOGTEST_LINES 400
#define LOGTEST_PERIOD_US 20000

/* logtest_main: the `shelllogtest` boot word's log source: a line every 20 ms
 * from a thread of its own (on whichever hart runs it), so tests can type while
 * log lines arrive and check that neither tears the other. */
static void logtest_main(void *arg)
{
	(void)arg;
	if (console_wait_interactive() != 0)
		return;
	for (unsigned n = 0; n < LOGTEST_LINES && !__atomic_load_n(&stopping, __ATOMIC_RELAXED);
	     n++) {
		kprintf("shell: logtest n=%u\n", n);
		sched_sleep_us(LOGTEST_PERIOD_US);
	}
}

/* be_emit: editor output; the console lock is held (console_hold or the hook). */
static void be_emit(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	console_write_held(buf, len);
}

/* be_print: command output, one message. */
static void be_print(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	console_write_n(buf, len);
}

/* be_read: bytes that already arrived (Ctrl-C during a command). */
static size_t be_read(void *ctx, uint8_t *buf, size_t cap)
{
	(void)ctx;
	int n = console_read(buf, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

/* be_lock / be_unlock: the console lock around editor changes and output. */
static void be_lock(void *ctx)
{
	(void)ctx;
	console_hold();
}

/* be_unlock: see be_lock. */
static void be_unlock(void *ctx)
{
	(void)ctx;
	console_release();
}

static const struct shell_backend backend = {
	.emit = be_emit,
	.print = be_print,
	.read = be_read,
	.lock = be_lock,
	.unlock = be_unlock,
};

/* hook_before / hook_after: erase and redraw the prompt around a message. */
static void hook_before(void *ctx) { shell_ed_hide(ctx); }

/* hook_after: see hook_before. */
static void hook_after(void *ctx) { shell_ed_show(ctx); }

static const struct console_hook hook = {
	.before = hook_before,
	.after = hook_after,
	.ctx = &sh.ed,
};

/* shell_main: the shell thread: wait for run mode, then read and handle input. */
static void shell_main(void *arg)
{
	(void)arg;
	if (console_wait_interactive() != 0)
		return;
	shell_init(&sh, &backend, shell_commands, &shell_image_services);
	console_set_hook(&hook);
	shell_start(&sh);
	for (;;) {
		uint8_t buf[64];
		int n = console_read(buf, sizeof(buf), CONSOLE_FOREVER);
		if (n < 0)
			break; /* input closed: the component is stopping */
		shell_input(&sh, buf, (size_t)n);
	}
	console_set_hook(NULL);
}

/* shell_start_comp: open console input and start the shell thread. */
static int shell_start_comp(void)
{
	int err = console_input_open();
	if (err)
		return err;
	__atomic_store_n(&stopping, false, __ATOMIC_RELAXED);
	err = thread_create(&shell_thread, "shell", CAP_COMP_SHELL, shell_main, NULL, false);
	if (err) {
		console_input_close();
		return err;
	}
	if (dt_bootargs_has(platform.bootargs, "shelllogtest") &&
	    thread_create(&logtest_thread, "shell-logtest", CAP_COMP_SHELL, logtest_main, NULL,
			  false) != 0)
		logtest_thread = NULL; /* the shell itself is fine without it */
	return 0;
}

/* shell_stop: close input (the thread's read returns), join the thread. */
static void shell_stop(void)
{
	__atomic_store_n(&stopping, true, __ATOMIC_RELAXED);
	console_input_close();
	if (shell_thread)
		(void)thread_join(shell_thread);
	if (logtest_thread)
		(void)thread_join(logtest_thread);
	shell_thread = logtest_thread = NULL;
}

const struct component_desc component_shell = {
	.name = "shell",
	.start = shell_start_comp,
	.stop = shell_stop,
};
