/* shell tokeniser and dispatcher: words, quotes, escapes and their refusals;
 * commands, subcommands, argument counts, unknown and absent commands, help,
 * machine-mode framing, Ctrl-C during a long listing and typeahead. */
#include <stdio.h>

#include "shell_check.h"

struct parse_case {
	const char *in;
	int want; /* word count, or an error */
	const char *words[5];
};

static const struct parse_case cases[] = {
	{ "", 0, { NULL } },
	{ "   \t ", 0, { NULL } },
	{ "a", 1, { "a" } },
	{ "  state  get\t/state/x  ", 3, { "state", "get", "/state/x" } },
	{ "put k \"two words\"", 3, { "put", "k", "two words" } },
	{ "a\" b \"c", 1, { "a b c" } },
	{ "\"\" x", 2, { "", "x" } },
	{ "a\\ b", 1, { "a b" } },
	{ "\"q\\\"uote\" \\\\", 2, { "q\"uote", "\\" } },
	{ "\\x41\\x7e\\xC3\\xA9", 1, { "A~\xc3\xa9" } },
	{ "\"unterminated", CAIRN_EINVAL, { NULL } },
	{ "end\\", CAIRN_EINVAL, { NULL } },
	{ "\\x4", CAIRN_EINVAL, { NULL } },
	{ "\\xZZ", CAIRN_EINVAL, { NULL } },
	{ "\\x00", CAIRN_EINVAL, { NULL } },
	{ "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", 16, { "1", "2", "3", "4", "5" } },
	{ "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", CAIRN_E2BIG, { NULL } },
};

/* test_shell_parse_table: every case, word by word. */
START_TEST(test_shell_parse_table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[SHELL_LINE_MAX + 1];
		char *argv[SHELL_ARGS_MAX];
		const char *why = NULL;
		strcpy(buf, cases[i].in);
		int n = shell_parse(buf, argv, SHELL_ARGS_MAX, &why);
		ck_assert_msg(n == cases[i].want, "case %zu: got %d", i, n);
		ck_assert_ptr_nonnull(why);
		if (n < 0)
			ck_assert_msg(why[0] != '\0', "case %zu has no reason", i);
		for (int k = 0; k < n && k < 5 && cases[i].words[k]; k++)
			ck_assert_msg(!strcmp(argv[k], cases[i].words[k]), "case %zu word %d: %s",
				      i, k, argv[k]);
	}
}
END_TEST

/* test_shell_run_dispatch: commands and subcommands get their words. */
START_TEST(test_shell_run_dispatch)
{
	type("state put /state/shell/k \"v 1\"\r");
	ck_assert_uint_eq(ttab_log.calls, 1);
	ck_assert_int_eq(ttab_log.argc, 3);
	ck_assert_str_eq(ttab_log.argv[0], "put");
	ck_assert_str_eq(ttab_log.argv[2], "v 1");
	type("comp\r");
	ck_assert_str_eq(ttab_log.argv[0], "comp");
	type("comp restart statefs\r");
	ck_assert_str_eq(ttab_log.argv[0], "restart");
	ck_assert_str_eq(ttab_log.argv[1], "statefs");
	ck_assert_uint_eq(ttab_log.calls, 3);
}
END_TEST

/* test_shell_run_errors: unknown command, unknown subcommand, bad argument
 * counts, a missing subcommand and a parse error run nothing and say why. */
START_TEST(test_shell_run_errors)
{
	char line[64];
	strcpy(line, "frobnicate now");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_ENOENT);
	ck_assert_uint_eq(tcons_count(&tc, "shell: unknown command 'frobnicate' (try 'help')"), 1);
	strcpy(line, "state frob");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_EINVAL);
	ck_assert_uint_eq(tcons_count(&tc, "state: unknown subcommand 'frob'"), 1);
	strcpy(line, "state");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_EINVAL);
	ck_assert_uint_eq(tcons_count(&tc, "usage: state ls|get|put ..."), 1);
	strcpy(line, "state get");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_EINVAL);
	strcpy(line, "state get a b");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_EINVAL);
	ck_assert_uint_eq(tcons_count(&tc, "usage: state get <key>"), 2);
	strcpy(line, "echo \"open");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_EINVAL);
	ck_assert_uint_eq(tcons_count(&tc, "shell: unterminated quote"), 1);
	ck_assert_uint_eq(tcons_count(&tc, "error: EINVAL (-22)"), 5);
	ck_assert_uint_eq(ttab_log.calls, 0);
}
END_TEST

/* test_shell_run_absent: a command or subcommand whose component is not built
 * in says so and fails ENOSYS; help still describes it. */
START_TEST(test_shell_run_absent)
{
	char line[32];
	strcpy(line, "boot status");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_ENOSYS);
	ck_assert_uint_eq(tcons_count(&tc, "boot: not in this image (component bootctl is not "
					   "built in)"),
			  1);
	strcpy(line, "key pub");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_ENOSYS);
	ck_assert_uint_eq(tcons_count(&tc, "key pub: not in this image (component keystore"), 1);
	ck_assert_uint_eq(ttab_log.calls, 0);
	strcpy(line, "help boot");
	ck_assert_int_eq(shell_run_line(&sh, line), 0);
	ck_assert_uint_eq(tcons_count(&tc, "bootctl (not in this image)"), 1);
}
END_TEST

/* test_shell_help: the list names every command; each command and subcommand
 * has a page; an unknown name is ENOENT. */
START_TEST(test_shell_help)
{
	char line[64];
	strcpy(line, "help");
	ck_assert_int_eq(shell_run_line(&sh, line), 0);
	for (const struct shell_cmd *c = ttab_cmds; c->name; c++) {
		char want[64];
		snprintf(want, sizeof(want), "  %-10s %s", c->name, c->summary);
		ck_assert_msg(tcons_count(&tc, want) == 1, "help lists %s", c->name);
		tcons_clear_out(&tc);
		snprintf(line, sizeof(line), "help %s", c->name);
		ck_assert_int_eq(shell_run_line(&sh, line), 0);
		snprintf(want, sizeof(want), "usage: %s\n", c->usage);
		ck_assert_msg(tcons_count(&tc, want) == 1, "help %s", c->name);
		strcpy(line, "help");
		ck_assert_int_eq(shell_run_line(&sh, line), 0);
	}
	strcpy(line, "help state get");
	ck_assert_int_eq(shell_run_line(&sh, line), 0);
	ck_assert_uint_eq(tcons_count(&tc, "usage: state get <key>\n  print a value\n"), 1);
	strcpy(line, "help nosuch");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_ENOENT);
	strcpy(line, "help state nosuch");
	ck_assert_int_eq(shell_run_line(&sh, line), CAIRN_ENOENT);
}
END_TEST

/* frames: count the machine-mode frame lines in the output. */
static unsigned frames(void)
{
	unsigned n = 0;
	for (const char *p = tc.out; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if ((len == 2 && !strncmp(p, "ok", 2)) || !strncmp(p, "err ", 4))
			n++;
		p += len + (e ? 1 : 0);
	}
	return n;
}

/* test_shell_machine_frame: with machine on, every line read (command, error,
 * blank, Ctrl-C) ends with exactly one ok / err line, and data that looks like
 * a frame cannot forge one; machine off stops the frames. */
START_TEST(test_shell_machine_frame)
{
	type("machine on\r");
	ck_assert_uint_eq(frames(), 1);
	ck_assert_uint_eq(tcons_count(&tc, "\nok\n"), 1);
	tcons_clear_out(&tc);
	type("echo ok\r");
	ck_assert_uint_eq(tcons_count(&tc, "\nok\nok\n"), 1); /* a plain print can look like one */
	tcons_clear_out(&tc);
	static const char data[] = "ok\nerr -1 EPERM\n\x1b[2J";
	shell_print_data(&sh, "value: ", data, sizeof(data) - 1);
	ck_assert_str_eq(tc.out, "value: ok\\x0aerr -1 EPERM\\x0a\\x1b[2J\n");
	ck_assert_uint_eq(frames(), 0);
	tcons_clear_out(&tc);
	type("nosuch\r\r   \rstate get\rpart\x03"
	     "echo x\r");
	ck_assert_uint_eq(frames(), 6);
	ck_assert_uint_eq(tcons_count(&tc, "err -2 ENOENT\n"), 1);
	ck_assert_uint_eq(tcons_count(&tc, "err -22 EINVAL\n"), 1);
	ck_assert_uint_eq(tcons_count(&tc, "err -125 ECANCELED\n"), 1);
	ck_assert_uint_eq(tcons_count(&tc, "error:"), 0); /* no human error lines */
	ttab_log.result = CAIRN_EACCES;
	tcons_clear_out(&tc);
	type("echo denied\r");
	ck_assert_uint_eq(tcons_count(&tc, "denied\nerr -13 EACCES\n"), 1);
	tcons_clear_out(&tc);
	type("machine off\recho y\r");
	ck_assert_uint_eq(frames(), 1); /* machine off's ok; the refusal of echo y has none... */
	ck_assert_uint_eq(tcons_count(&tc, "error: EACCES (-13)"), 1); /* ...a human line */
	type("machine\r");
	ck_assert_uint_eq(tcons_count(&tc, "machine: off"), 1);
}
END_TEST

/* test_shell_ctrl_c_listing: Ctrl-C typed while a long listing runs stops it
 * between lines with ECANCELED; what was typed before the Ctrl-C is dropped,
 * what came after runs next. */
START_TEST(test_shell_ctrl_c_listing)
{
	static const uint8_t in[] = "junk\x03"
				    "echo next\r";
	tc.in = in;
	tc.in_len = sizeof(in) - 1;
	tc.in_after_prints = 100;
	tc.read_chunk = 3; /* the Ctrl-C is not in the first read */
	type("machine on\rlonglist\r");
	ck_assert_uint_ge(ttab_log.listed, 98);
	ck_assert_uint_lt(ttab_log.listed, 200);
	ck_assert_uint_eq(tcons_count(&tc, "longlist: interrupted after"), 1);
	ck_assert_uint_eq(tcons_count(&tc, "err -125 ECANCELED\n"), 1);
	ck_assert_uint_eq(ttab_log.calls, 2);
	ck_assert_str_eq(ttab_log.argv[1], "next");
	ck_assert_uint_eq(tcons_count(&tc, "junk"), 0);
	ck_assert_str_eq(tcons_row(&tc), "cairn>");
}
END_TEST

/* test_shell_typeahead: lines typed while a command runs run afterwards, in
 * order; the typeahead takes only what it holds and the rest stays in the
 * console for the next read, so no byte is lost. */
START_TEST(test_shell_typeahead)
{
	static uint8_t in[SHELL_TYPEAHEAD + 100];
	static const char two[] = "echo a\recho b\r";
	memcpy(in, two, sizeof(two) - 1);
	memset(in + sizeof(two) - 1, 'z', sizeof(in) - (sizeof(two) - 1));
	tc.in = in;
	tc.in_len = sizeof(in);
	ttab_log.list_max = 1000;
	type("longlist\r");
	ck_assert_uint_eq(ttab_log.listed, 1000);
	ck_assert_uint_eq(ttab_log.calls, 3);
	ck_assert_str_eq(ttab_log.argv[1], "b");
	ck_assert_uint_eq(tc.in_pos, SHELL_TYPEAHEAD); /* the rest waits in the console */
	uint8_t rest[200];
	size_t n = tc.be.read(tc.be.ctx, rest, sizeof(rest)); /* the main loop's next read */
	ck_assert_uint_eq(n, 100);
	type_n(rest, n);
	size_t zs = sizeof(in) - (sizeof(two) - 1);
	ck_assert_uint_eq(sh.ed.len, SHELL_LINE_MAX); /* the z's, as typed, up to the bound */
	ck_assert_uint_eq(sh.ed.dropped, zs - SHELL_LINE_MAX);
}
END_TEST

/* test_shell_printf_bound: an over-long piece is cut with a visible "...". */
START_TEST(test_shell_printf_bound)
{
	char big[2000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	shell_printf(&sh, "%s\n", big);
	ck_assert_uint_eq(tcons_count(&tc, "qqq...\n"), 1);
}
END_TEST

/* parse_suite: the tokeniser and dispatcher tests. */
static Suite *parse_suite(void)
{
	Suite *s = suite_create("shell");
	TCase *t = tcase_create("parse");
	tcase_add_checked_fixture(t, shell_setup, shell_teardown);
	tcase_add_test(t, test_shell_parse_table);
	tcase_add_test(t, test_shell_run_dispatch);
	tcase_add_test(t, test_shell_run_errors);
	tcase_add_test(t, test_shell_run_absent);
	tcase_add_test(t, test_shell_help);
	tcase_add_test(t, test_shell_machine_frame);
	tcase_add_test(t, test_shell_ctrl_c_listing);
	tcase_add_test(t, test_shell_typeahead);
	tcase_add_test(t, test_shell_printf_bound);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
