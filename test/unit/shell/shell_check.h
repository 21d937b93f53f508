/* Shared set-up of the shell engine's Check tests: one shell over the test
 * console and the test table, checked after each test for lock, wrap and
 * unknown-sequence errors. */
#ifndef SHELL_CHECK_H
#define SHELL_CHECK_H

#include <check.h>
#include <string.h>

#include "cairn/err.h"
#include "shell_testtable.h"
#include "shell_testutil.h"

extern struct tcons tc;
extern struct shell sh;

/* shell_setup / shell_teardown: Check fixtures. */
void shell_setup(void);
void shell_teardown(void);
/* type: input bytes as if they arrived in one read. */
void type(const char *s);
/* type_n: input exactly n bytes. */
void type_n(const void *s, size_t n);

#endif
