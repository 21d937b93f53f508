/* shell completion: commands, subcommands, fixed words, /state/ and pkg:/ paths
 * one level at a time, component names, escaping of odd bytes, listing, the
 * candidate bound and a full line. */
#include <stdio.h>

#include "shell_check.h"

/* test_shell_complete_command: a unique prefix completes with a space; a shared
 * one to the common part, and a second Tab lists the choices. */
START_TEST(test_shell_complete_command)
{
	type("he\t");
	ck_assert_str_eq(tcons_row(&tc), "cairn> help");
	ck_assert_str_eq(sh.ed.line, "help ");
	type("\x15st\t");
	ck_assert_str_eq(sh.ed.line, "stat");
	type("\t");
	ck_assert_str_eq(tcons_line(&tc, 1), "state  stat");
	ck_assert_str_eq(tcons_row(&tc), "cairn> stat");
	ck_assert_uint_eq(tc.vt.col, 11);
	type("e \t");
	ck_assert_str_eq(tcons_line(&tc, 1), "get  put  ls");
	type("g\t");
	ck_assert_str_eq(sh.ed.line, "state get ");
}
END_TEST

/* test_shell_complete_state_paths: /state/ keys complete one level at a time and
 * a key with a space is escaped so it parses back to itself. */
START_TEST(test_shell_complete_state_paths)
{
	type("state get \t");
	ck_assert_str_eq(sh.ed.line, "state get /state/");
	type("\t");
	ck_assert_str_eq(sh.ed.line, "state get /state/shell/");
	type("\t");
	ck_assert_str_eq(tcons_line(&tc, 1), "/state/shell/a           /state/shell/b/          "
					     "/state/shell/with space");
	type("b\t");
	ck_assert_str_eq(sh.ed.line, "state get /state/shell/b/");
	type("c\t");
	ck_assert_str_eq(sh.ed.line, "state get /state/shell/b/c ");
	type("\x15state get /state/shell/w\t");
	ck_assert_str_eq(sh.ed.line, "state get /state/shell/with\\x20space ");
	type("\r");
	ck_assert_str_eq(ttab_log.argv[1], "/state/shell/with space");
}
END_TEST

/* test_shell_complete_pkg_paths: pkg:/ paths, also after the command's word. */
START_TEST(test_shell_complete_pkg_paths)
{
	type("pkg \t");
	ck_assert_str_eq(sh.ed.line, "pkg pkg:/");
	type("e\t");
	ck_assert_str_eq(sh.ed.line, "pkg pkg:/etc/");
	type("\t");
	ck_assert_str_eq(tcons_line(&tc, 1), "pkg:/etc/motd   pkg:/etc/hosts");
	type("h\t");
	ck_assert_str_eq(sh.ed.line, "pkg pkg:/etc/hosts ");
}
END_TEST

/* test_shell_complete_words: component names, fixed words, help's argument. */
START_TEST(test_shell_complete_words)
{
	type("comp restart s\t");
	ck_assert_str_eq(sh.ed.line, "comp restart s");
	ck_assert_str_eq(tcons_line(&tc, 1), "statefs   selftest");
	type("\x15"
	     "comp re\t");
	ck_assert_str_eq(sh.ed.line, "comp restart ");
	type("p\t");
	ck_assert_str_eq(sh.ed.line, "comp restart packagefs ");
	type("\x15machine of\t");
	ck_assert_str_eq(sh.ed.line, "machine off ");
	type("\x15help lo\t");
	ck_assert_str_eq(sh.ed.line, "help longlist ");
	type("\x15help state p\t");
	ck_assert_str_eq(sh.ed.line, "help state put ");
	type("\x15help comp \t");
	ck_assert_str_eq(sh.ed.line, "help comp restart ");
}
END_TEST

/* test_shell_complete_nothing: no match, an unknown command, an argument that
 * completes to nothing: a bell and the line as it was. */
START_TEST(test_shell_complete_nothing)
{
	type("zz\t");
	ck_assert_uint_eq(tc.vt.bells, 1);
	type("\x15nosuch \t");
	ck_assert_uint_eq(tc.vt.bells, 2);
	type("\x15"
	     "echo \t");
	ck_assert_uint_eq(tc.vt.bells, 3);
	ck_assert_str_eq(sh.ed.line, "echo ");
	ck_assert_str_eq(tcons_row(&tc), "cairn> echo");
}
END_TEST

/* test_shell_complete_many: 200 matches: 64 listed, the rest counted, nothing
 * inserted that not all of them share. */
START_TEST(test_shell_complete_many)
{
	static char names[200][32];
	static const char *paths[201];
	for (int i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "/state/shell/k%03d", i);
		paths[i] = names[i];
	}
	paths[200] = NULL;
	const char *const *saved = ttab_paths;
	ttab_paths = paths;
	type("state ls /state/shell/k\t");
	ttab_paths = saved;
	ck_assert_str_eq(sh.ed.line, "state ls /state/shell/k");
	ck_assert_str_eq(tcons_line(&tc, 1), "(136 more not shown)");
	ck_assert_uint_eq(tcons_count(&tc, "/state/shell/k063"), 1);
	ck_assert_uint_eq(tcons_count(&tc, "/state/shell/k064"), 0);
}
END_TEST

/* test_shell_complete_full_line: a completion that does not fit leaves the line
 * as typed and rings the bell. */
START_TEST(test_shell_complete_full_line)
{
	char buf[SHELL_LINE_MAX + 1];
	type("state get /state/shell/w ");
	memset(buf, 'y', 220);
	buf[220] = '\0';
	type(buf);
	type("\x01");
	for (int i = 0; i < 24; i++)
		type("\x1b[C");
	strcpy(buf, sh.ed.line);
	unsigned bells = tc.vt.bells;
	type("\t");
	ck_assert_str_eq(sh.ed.line, buf);
	ck_assert_uint_eq(tc.vt.bells, bells + 1);
	ck_assert_uint_eq(sh.ed.pos, 24);
}
END_TEST

/* narrow: a shell on a 20-column terminal (the narrowest it allows). */
static void narrow(void)
{
	tcons_free(&tc);
	tcons_init(&tc, SHELL_COLS_MIN);
	shell_init(&sh, &tc.be, ttab_cmds, &ttab_svc);
	shell_ed_set_cols(&sh.ed, SHELL_COLS_MIN);
	shell_start(&sh);
}

/* test_shell_complete_narrow: on a terminal narrower than a candidate, listed
 * rows end in a visible "..." and never reach the last column (the fixture's
 * teardown checks no row wrapped; found by fuzz_shell). */
START_TEST(test_shell_complete_narrow)
{
	narrow();
	type("state get /state/shell/\t\t");
	ck_assert_str_eq(tcons_line(&tc, 1), "/state/shell/wit...");
	ck_assert_str_eq(tcons_line(&tc, 3), "/state/shell/a");
	ck_assert_uint_eq(tc.vt.wraps, 0);
}
END_TEST

/* test_shell_complete_narrow_more: the "(N more not shown)" line fits too. */
START_TEST(test_shell_complete_narrow_more)
{
	static char names[20000][24];
	static const char *paths[20001];
	for (int i = 0; i < 20000; i++) {
		snprintf(names[i], sizeof(names[i]), "/state/k%05d", i);
		paths[i] = names[i];
	}
	paths[20000] = NULL;
	narrow();
	const char *const *saved = ttab_paths;
	ttab_paths = paths;
	type("state ls /state/k\t");
	ttab_paths = saved;
	ck_assert_str_eq(tcons_line(&tc, 1), "(19936 more not ...");
	ck_assert_uint_eq(tc.vt.wraps, 0);
}
END_TEST

/* complete_suite: the completion tests. */
static Suite *complete_suite(void)
{
	Suite *s = suite_create("shell");
	TCase *t = tcase_create("complete");
	tcase_add_checked_fixture(t, shell_setup, shell_teardown);
	tcase_add_test(t, test_shell_complete_command);
	tcase_add_test(t, test_shell_complete_state_paths);
	tcase_add_test(t, test_shell_complete_pkg_paths);
	tcase_add_test(t, test_shell_complete_words);
	tcase_add_test(t, test_shell_complete_nothing);
	tcase_add_test(t, test_shell_complete_many);
	tcase_add_test(t, test_shell_complete_full_line);
	tcase_add_test(t, test_shell_complete_narrow);
	tcase_add_test(t, test_shell_complete_narrow_more);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(complete_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
