/* A command table for the engine tests: commands that record their calls, a
 * long listing that stops on Ctrl-C, subcommands, an absent component, and a
 * path provider with a few /state/ and pkg:/ paths. */
#ifndef SHELL_TESTTABLE_H
#define SHELL_TESTTABLE_H

#include "shell.h"

struct ttab_log {
	unsigned calls;
	int argc;
	char argv[SHELL_ARGS_MAX][SHELL_LINE_MAX + 1];
	unsigned listed;   /* lines the long listing printed */
	unsigned list_max; /* lines it prints when not interrupted (0: 100000) */
	int result;	   /* what `echo` returns */
};
extern struct ttab_log ttab_log;
extern const struct shell_cmd ttab_cmds[];
extern const struct shell_services ttab_svc;
/* ttab_paths: the provider's paths (NULL-terminated); tests may replace it. */
extern const char *const *ttab_paths;

#endif
