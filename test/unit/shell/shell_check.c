/* Shared set-up of the shell engine's Check tests (see shell_check.h). */
#include "shell_check.h"

struct tcons tc;
struct shell sh;

void shell_setup(void)
{
	tcons_init(&tc, 80);
	memset(&ttab_log, 0, sizeof(ttab_log));
	shell_init(&sh, &tc.be, ttab_cmds, &ttab_svc);
	shell_start(&sh);
}

void shell_teardown(void)
{
	ck_assert_uint_eq(tc.lock_errors, 0);
	ck_assert_uint_eq(tc.vt.wraps, 0);
	ck_assert_uint_eq(tc.vt.unknown, 0);
	ck_assert(!tc.locked);
	tcons_free(&tc);
}

void type(const char *s) { shell_input(&sh, (const uint8_t *)s, strlen(s)); }

void type_n(const void *s, size_t n) { shell_input(&sh, s, n); }
