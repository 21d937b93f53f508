/* shell line editor: editing keys, history, escape sequences split across reads,
 * the line bound, long pastes, horizontal scrolling and log lines above the
 * prompt, checked on a model terminal (what a person would see). */
#include <stdio.h>
#include <stdlib.h>

#include "shell_check.h"

/* test_shell_edit_prompt: the first prompt, cursor after it. */
START_TEST(test_shell_edit_prompt)
{
	ck_assert_str_eq(tcons_row(&tc), "cairn>");
	ck_assert_uint_eq(tc.vt.col, 7);
}
END_TEST

/* test_shell_edit_typing: printable bytes are echoed at the cursor. */
START_TEST(test_shell_edit_typing)
{
	type("hello");
	ck_assert_str_eq(tcons_row(&tc), "cairn> hello");
	ck_assert_uint_eq(tc.vt.col, 12);
	ck_assert_str_eq(sh.ed.line, "hello");
}
END_TEST

/* test_shell_edit_keys: left/right, Ctrl-A/E/B/F, Home/End, backspace, delete,
 * Ctrl-U/K/W, each checked on the screen and in the buffer. */
START_TEST(test_shell_edit_keys)
{
	type("helo\x1b[Dl");
	ck_assert_str_eq(tcons_row(&tc), "cairn> hello");
	ck_assert_uint_eq(tc.vt.col, 11);
	type("\x01X");
	ck_assert_str_eq(tcons_row(&tc), "cairn> Xhello");
	ck_assert_uint_eq(tc.vt.col, 8);
	type("\x05!");
	ck_assert_str_eq(tcons_row(&tc), "cairn> Xhello!");
	type("\x7f");
	ck_assert_str_eq(tcons_row(&tc), "cairn> Xhello");
	type("\x01\x04"); /* Ctrl-D deletes under the cursor */
	ck_assert_str_eq(tcons_row(&tc), "cairn> hello");
	ck_assert_uint_eq(tc.vt.col, 7);
	type("\x1b[3~\x06\x06"); /* Delete, then Ctrl-F twice */
	ck_assert_str_eq(tcons_row(&tc), "cairn> ello");
	ck_assert_uint_eq(tc.vt.col, 9);
	type("\x02\x08"); /* Ctrl-B, then backspace as ^H */
	ck_assert_str_eq(sh.ed.line, "llo");
	ck_assert_uint_eq(tc.vt.col, 7);
	type("\x1b[F");
	ck_assert_uint_eq(tc.vt.col, 10);
	type("\x1b[H");
	ck_assert_uint_eq(tc.vt.col, 7);
	type("\x1b[4~");
	ck_assert_uint_eq(tc.vt.col, 10);
	type("\x1b[1~");
	ck_assert_uint_eq(tc.vt.col, 7);
	type("\x1bOF");
	ck_assert_uint_eq(tc.vt.col, 10);
	type(" two three\x17"); /* Ctrl-W: the word before the cursor */
	ck_assert_str_eq(tcons_row(&tc), "cairn> llo two");
	type("\x1b[D\x1b[D\x0b");			   /* Ctrl-K: to the end */
	ck_assert_str_eq(tcons_row(&tc), "cairn> llo tw"); /* Ctrl-W left the space */
	type("\x15");					   /* Ctrl-U: to the start */
	ck_assert_str_eq(tcons_row(&tc), "cairn>");
	ck_assert_uint_eq(sh.ed.len, 0);
	ck_assert_uint_eq(tc.vt.col, 7);
	ck_assert_uint_eq(ttab_log.calls, 0);
}
END_TEST

/* test_shell_edit_enter_runs: Enter runs the line and draws a new prompt. */
START_TEST(test_shell_edit_enter_runs)
{
	type("echo hi there\r");
	ck_assert_uint_eq(ttab_log.calls, 1);
	ck_assert_int_eq(ttab_log.argc, 3);
	ck_assert_str_eq(tcons_line(&tc, 3), "cairn> echo hi there");
	ck_assert_str_eq(tcons_line(&tc, 2), "hi");
	ck_assert_str_eq(tcons_line(&tc, 1), "there");
	ck_assert_str_eq(tcons_row(&tc), "cairn>");
}
END_TEST

/* test_shell_edit_crlf: \r\n is one Enter, \n alone is one too. */
START_TEST(test_shell_edit_crlf)
{
	type("echo a\r\necho b\n");
	ck_assert_uint_eq(ttab_log.calls, 2);
	ck_assert_uint_eq(sh.lines, 2);
	type("\r");
	type("\n"); /* \r\n split across reads: still one Enter */
	ck_assert_uint_eq(sh.lines, 3);
}
END_TEST

/* test_shell_edit_ctrl_c: Ctrl-C drops the line, shows ^C, runs nothing. */
START_TEST(test_shell_edit_ctrl_c)
{
	type("echo partial\x03");
	ck_assert_uint_eq(ttab_log.calls, 0);
	ck_assert_str_eq(tcons_line(&tc, 1), "cairn> echo partial^C");
	ck_assert_str_eq(tcons_row(&tc), "cairn>");
	type("\r"); /* nothing left over */
	ck_assert_uint_eq(ttab_log.calls, 0);
}
END_TEST

/* test_shell_edit_ctrl_c_full_row: Ctrl-C on a line that fills the row still
 * fits "^C" on it (found by fuzz_shell: the row wrapped), cursor anywhere. */
START_TEST(test_shell_edit_ctrl_c_full_row)
{
	for (size_t n = 70; n <= 74; n++) {
		char s[80];
		memset(s, 'p', n);
		s[n] = '\0';
		type(s);
		type("\x01\x1b[C\x03");
		ck_assert_uint_eq(tc.vt.wraps, 0);
		const char *l = tcons_line(&tc, 1);
		ck_assert_str_eq(l + strlen(l) - 4, "pp^C");
	}
}
END_TEST

/* test_shell_edit_ctrl_l: clear the screen, redraw the line. */
START_TEST(test_shell_edit_ctrl_l)
{
	type("abc\x0c");
	ck_assert_uint_eq(tc.vt.clears, 1);
	ck_assert_str_eq(tcons_row(&tc), "cairn> abc");
	ck_assert_uint_eq(tc.vt.col, 10);
}
END_TEST

static const char script[] = "echo one\x1b[D\x1b[Dxy\x1b[C\x1b[3~\x01\x1bOC\x1b[1;5D"
			     "z\x05 tail\x1b[A\x1b[B\x15"
			     "again \x1b[200~pasted\x1b[201~\x0c";

/* test_shell_edit_split_escapes: the same keys fed in one read, byte by byte
 * and in chunks of 2..7 bytes end in the same line, cursor and screen. */
START_TEST(test_shell_edit_split_escapes)
{
	type_n(script, sizeof(script) - 1);
	char line[SHELL_LINE_MAX + 1], row[SHELL_COLS_MAX + 1];
	strcpy(line, sh.ed.line);
	strcpy(row, tcons_row(&tc));
	size_t pos = sh.ed.pos;
	unsigned col = tc.vt.col;
	ck_assert_str_eq(line, "again pasted");
	for (size_t chunk = 1; chunk <= 7; chunk++) {
		shell_teardown();
		shell_setup();
		for (size_t i = 0; i < sizeof(script) - 1; i += chunk) {
			size_t n = sizeof(script) - 1 - i < chunk ? sizeof(script) - 1 - i : chunk;
			type_n(script + i, n);
		}
		ck_assert_str_eq(sh.ed.line, line);
		ck_assert_str_eq(tcons_row(&tc), row);
		ck_assert_uint_eq(sh.ed.pos, pos);
		ck_assert_uint_eq(tc.vt.col, col);
	}
}
END_TEST

/* test_shell_edit_broken_escapes: over-long parameters, a control byte inside a
 * sequence, Meta-x and unknown sequences never insert garbage or eat keys. */
START_TEST(test_shell_edit_broken_escapes)
{
	type("ab\x1b[99999999999999999999999D");
	ck_assert_str_eq(sh.ed.line, "ab");
	ck_assert_uint_eq(sh.ed.pos, 2);
	type("\x1bx\x1b\x1b[Z\x1b[5n");
	ck_assert_str_eq(sh.ed.line, "abx");
	type("\x1b[");
	type("\x03"); /* Ctrl-C inside an open sequence still cancels */
	ck_assert_str_eq(tcons_row(&tc), "cairn>");
	ck_assert_uint_eq(sh.ed.len, 0);
	type("\x1bO");
	type("\r"); /* Enter too */
	ck_assert_uint_eq(sh.lines, 2);
	type("\x80\xff\x01\x1f"); /* high bytes and unused controls: nothing */
	ck_assert_uint_eq(sh.ed.len, 0);
}
END_TEST

/* run_n: run "echo <i>" for i in [from, to). */
static void run_n(unsigned from, unsigned to)
{
	char buf[32];
	for (unsigned i = from; i < to; i++) {
		snprintf(buf, sizeof(buf), "echo %u\r", i);
		type(buf);
	}
}

/* test_shell_edit_history: up/down through at least 16 lines, the line being
 * typed comes back, the ends ring the bell, repeats are stored once. */
START_TEST(test_shell_edit_history)
{
	run_n(0, 20);
	type("par");
	type("\x1b[A");
	ck_assert_str_eq(sh.ed.line, "echo 19");
	ck_assert_str_eq(tcons_row(&tc), "cairn> echo 19");
	for (int i = 0; i < 15; i++)
		type("\x1b[A");
	ck_assert_str_eq(sh.ed.line, "echo 4");
	type("\x10\x10\x10\x10"); /* Ctrl-P */
	ck_assert_str_eq(sh.ed.line, "echo 0");
	unsigned bells = tc.vt.bells;
	type("\x1b[A");
	ck_assert_str_eq(sh.ed.line, "echo 0");
	ck_assert_uint_eq(tc.vt.bells, bells + 1);
	type("\x0e"); /* Ctrl-N */
	ck_assert_str_eq(sh.ed.line, "echo 1");
	for (int i = 0; i < 19; i++)
		type("\x1b[B");
	ck_assert_str_eq(sh.ed.line, "par");
	ck_assert_str_eq(tcons_row(&tc), "cairn> par");
	type("\x15\x1b[A\r\x1b[A\r"); /* run the newest twice: stored once */
	ck_assert_str_eq(shell_hist_get(&sh.hist, 1), "echo 19");
	ck_assert_str_eq(shell_hist_get(&sh.hist, 2), "echo 18");
}
END_TEST

/* test_shell_edit_history_ring: the ring keeps the newest SHELL_HIST_LINES. */
START_TEST(test_shell_edit_history_ring)
{
	run_n(0, 40);
	ck_assert_uint_eq(sh.hist.count, SHELL_HIST_LINES);
	ck_assert_str_eq(shell_hist_get(&sh.hist, SHELL_HIST_LINES), "echo 8");
	ck_assert_ptr_null(shell_hist_get(&sh.hist, SHELL_HIST_LINES + 1));
	ck_assert_ptr_null(shell_hist_get(&sh.hist, 0));
	type("   \r"); /* blank lines are not history */
	ck_assert_str_eq(shell_hist_get(&sh.hist, 1), "echo 39");
}
END_TEST

/* line_of: "echo " and x's to n bytes. */
static char *line_of(size_t n, const char *end)
{
	char *s = malloc(n + strlen(end) + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, "echo ", 5);
	memset(s + 5, 'x', n - 5);
	strcpy(s + n, end);
	return s;
}

/* test_shell_edit_line_limit: SHELL_LINE_MAX bytes run; one more is refused
 * with a message, one bell and nothing run. */
START_TEST(test_shell_edit_line_limit)
{
	char *s = line_of(SHELL_LINE_MAX, "\r");
	type(s);
	free(s);
	ck_assert_uint_eq(ttab_log.calls, 1);
	ck_assert_uint_eq(strlen(ttab_log.argv[1]), SHELL_LINE_MAX - 5);
	ck_assert_uint_eq(tc.vt.bells, 0);
	s = line_of(SHELL_LINE_MAX + 1, "\r");
	type(s);
	free(s);
	ck_assert_uint_eq(ttab_log.calls, 1);
	ck_assert_uint_eq(tc.vt.bells, 1);
	ck_assert_uint_eq(tcons_count(&tc, "line too long: 1 bytes over the limit of 256"), 1);
}
END_TEST

/* test_shell_edit_paste: a 10,000-byte line pasted (one read, and 64-byte reads
 * as from the UART ring) is refused whole, the next line still runs, the
 * output stays small and the row never wraps; machine mode frames it E2BIG. */
START_TEST(test_shell_edit_paste)
{
	type("machine on\r");
	char *s = line_of(10000, "\recho after\r");
	size_t n = strlen(s);
	for (size_t chunk = 0; chunk < 2; chunk++) {
		tcons_clear_out(&tc);
		ttab_log.calls = 0;
		size_t step = chunk ? 64 : n;
		for (size_t i = 0; i < n; i += step)
			type_n(s + i, n - i < step ? n - i : step);
		ck_assert_uint_eq(ttab_log.calls, 1);
		ck_assert_str_eq(ttab_log.argv[1], "after");
		ck_assert_uint_eq(tcons_count(&tc, "over the limit of 256 were dropped"), 1);
		ck_assert_uint_eq(tcons_count(&tc, "err -7 E2BIG\n"), 1);
		ck_assert_uint_eq(tcons_count(&tc, "\nok\n"), 1);
		ck_assert_uint_lt(tc.out_len, 8192);
	}
	free(s);
}
END_TEST

/* test_shell_edit_scroll: a line wider than the terminal scrolls on one row;
 * the cursor stays on screen at either end. */
START_TEST(test_shell_edit_scroll)
{
	char s[121];
	for (int i = 0; i < 120; i++)
		s[i] = (char)('a' + i % 26);
	s[120] = '\0';
	type(s);
	const char *row = tcons_row(&tc);
	ck_assert_uint_le(strlen(row), 79);
	ck_assert_uint_eq(tc.vt.col, strlen(row));
	ck_assert(!strncmp(row, "cairn> ", 7));
	ck_assert_str_eq(row + 7, s + 120 - (strlen(row) - 7));
	type("\x01");
	ck_assert_uint_eq(tc.vt.col, 7);
	ck_assert(!strncmp(tcons_row(&tc) + 7, s, 72));
	for (int i = 0; i < 120; i++)
		type("\x1b[C");
	ck_assert_uint_le(tc.vt.col, 79);
	ck_assert_uint_eq(sh.ed.pos, 120);
	shell_ed_set_cols(&sh.ed, 5); /* clamped to something usable */
	ck_assert_uint_ge(sh.ed.cols, SHELL_COLS_MIN);
}
END_TEST

/* test_shell_edit_log_above_prompt: a line printed by someone else between
 * hide and show lands above the prompt and the partial line is redrawn whole,
 * cursor where it was; while a command runs, hide/show print nothing. */
START_TEST(test_shell_edit_log_above_prompt)
{
	type("state get /st\x1b[D\x1b[D");
	tc.be.lock(tc.be.ctx);
	shell_ed_hide(&sh.ed);
	tc.be.emit(tc.be.ctx, "cairn: component x up\n", 22);
	shell_ed_show(&sh.ed);
	tc.be.unlock(tc.be.ctx);
	ck_assert_str_eq(tcons_line(&tc, 1), "cairn: component x up");
	ck_assert_str_eq(tcons_row(&tc), "cairn> state get /st");
	ck_assert_uint_eq(tc.vt.col, 18);
	sh.ed.visible = false; /* as while a command runs */
	size_t before = tc.out_len;
	tc.be.lock(tc.be.ctx);
	shell_ed_hide(&sh.ed);
	shell_ed_show(&sh.ed);
	tc.be.unlock(tc.be.ctx);
	ck_assert_uint_eq(tc.out_len, before);
}
END_TEST

/* edit_suite: the editor tests. */
static Suite *edit_suite(void)
{
	Suite *s = suite_create("shell");
	TCase *tc_ = tcase_create("edit");
	tcase_add_checked_fixture(tc_, shell_setup, shell_teardown);
	tcase_add_test(tc_, test_shell_edit_prompt);
	tcase_add_test(tc_, test_shell_edit_typing);
	tcase_add_test(tc_, test_shell_edit_keys);
	tcase_add_test(tc_, test_shell_edit_enter_runs);
	tcase_add_test(tc_, test_shell_edit_crlf);
	tcase_add_test(tc_, test_shell_edit_ctrl_c);
	tcase_add_test(tc_, test_shell_edit_ctrl_c_full_row);
	tcase_add_test(tc_, test_shell_edit_ctrl_l);
	tcase_add_test(tc_, test_shell_edit_split_escapes);
	tcase_add_test(tc_, test_shell_edit_broken_escapes);
	tcase_add_test(tc_, test_shell_edit_history);
	tcase_add_test(tc_, test_shell_edit_history_ring);
	tcase_add_test(tc_, test_shell_edit_line_limit);
	tcase_add_test(tc_, test_shell_edit_paste);
	tcase_add_test(tc_, test_shell_edit_scroll);
	tcase_add_test(tc_, test_shell_edit_log_above_prompt);
	suite_add_tcase(s, tc_);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(edit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
