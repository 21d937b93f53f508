/* The engine tests' command table (see shell_testtable.h). */
#include "shell_testtable.h"

#include <string.h>

#include "cairn/err.h"

struct ttab_log ttab_log;

static const char *const default_paths[] = {
	"/state/shell/a", "/state/shell/b/c", "/state/shell/b/d", "/state/shell/with space",
	"pkg:/bin/tool",  "pkg:/etc/motd",    "pkg:/etc/hosts",	  NULL,
};
const char *const *ttab_paths = default_paths;

/* record: keep the call's words for the test to look at. */
static int record(struct shell *sh, int argc, char **argv)
{
	(void)sh;
	ttab_log.calls++;
	ttab_log.argc = argc;
	for (int i = 0; i < argc && i < SHELL_ARGS_MAX; i++) {
		strncpy(ttab_log.argv[i], argv[i], SHELL_LINE_MAX);
		ttab_log.argv[i][SHELL_LINE_MAX] = '\0';
	}
	return ttab_log.result;
}

/* echo: print the words, one per line, and return ttab_log.result. */
static int echo(struct shell *sh, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		shell_printf(sh, "%s\n", argv[i]);
	return record(sh, argc, argv);
}

/* longlist: print up to list_max lines, stopping on Ctrl-C. */
static int longlist(struct shell *sh, int argc, char **argv)
{
	unsigned max = ttab_log.list_max ? ttab_log.list_max : 100000;
	record(sh, argc, argv);
	for (unsigned i = 0; i < max; i++) {
		if (shell_cancelled(sh)) {
			shell_printf(sh, "longlist: interrupted after %u lines\n", i);
			return CAIRN_ECANCELED;
		}
		shell_printf(sh, "line %u\n", i);
		ttab_log.listed++;
	}
	return 0;
}

static const char *const onoff[] = { "on", "off", NULL };

static const struct shell_cmd state_subs[] = {
	{ .name = "get",
	  .usage = "state get <key>",
	  .summary = "print a value",
	  .run = record,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_STATE } },
	{ .name = "put",
	  .usage = "state put <key> <value>",
	  .summary = "store a value",
	  .run = record,
	  .min_args = 2,
	  .max_args = 2,
	  .args = { SHELL_ARG_STATE } },
	{ .name = "ls",
	  .usage = "state ls [prefix]",
	  .summary = "list keys",
	  .run = record,
	  .max_args = 1,
	  .args = { SHELL_ARG_STATE } },
	{ .name = NULL },
};

static const struct shell_cmd key_subs[] = {
	{ .name = "pub",
	  .usage = "key pub",
	  .summary = "public key",
	  .run = record,
	  .needs = "keystore",
	  .absent = true },
	{ .name = NULL },
};

static const struct shell_cmd comp_subs[] = {
	{ .name = "restart",
	  .usage = "comp restart <name>",
	  .summary = "restart a component",
	  .run = record,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_COMP } },
	{ .name = NULL },
};

const struct shell_cmd ttab_cmds[] = {
	{ .name = "help",
	  .usage = "help [command [subcommand]]",
	  .summary = "this list",
	  .run = shell_cmd_help,
	  .max_args = 2,
	  .args = { SHELL_ARG_COMMAND, SHELL_ARG_SUBCMD } },
	{ .name = "machine",
	  .usage = "machine [on|off]",
	  .summary = "framed output for scripts",
	  .detail = "  every line then ends with one line: ok, or err <code> <name>",
	  .run = shell_cmd_machine,
	  .max_args = 1,
	  .args = { SHELL_ARG_WORDS },
	  .words = onoff },
	{ .name = "echo",
	  .usage = "echo [word...]",
	  .summary = "print words",
	  .run = echo,
	  .max_args = SHELL_ARGS_ANY },
	{ .name = "state",
	  .usage = "state ls|get|put ...",
	  .summary = "statefs keys",
	  .subs = state_subs },
	{ .name = "stat", .usage = "stat", .summary = "a name sharing a prefix", .run = record },
	{ .name = "pkg",
	  .usage = "pkg cat <path>",
	  .summary = "packagefs",
	  .run = record,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_PKG } },
	{ .name = "key", .usage = "key pub", .summary = "keystore", .subs = key_subs },
	{ .name = "boot",
	  .usage = "boot status",
	  .summary = "bootctl",
	  .run = record,
	  .needs = "bootctl",
	  .absent = true },
	{ .name = "comp",
	  .usage = "comp [restart <name>]",
	  .summary = "components",
	  .run = record,
	  .subs = comp_subs },
	{ .name = "longlist", .usage = "longlist", .summary = "a long listing", .run = longlist },
	{ .name = NULL },
};

/* complete: every known path (or component name) for the kind. */
static void complete(void *ctx, enum shell_arg_kind kind, const char *prefix, shell_cand_fn add,
		     void *cookie)
{
	(void)ctx;
	static const char *const comps[] = { "statefs", "packagefs", "selftest", NULL };
	if (kind == SHELL_ARG_COMP) {
		for (const char *const *c = comps; *c; c++)
			add(cookie, *c);
		return;
	}
	const char *want = kind == SHELL_ARG_PKG ? "pkg:/" : "/state/";
	for (const char *const *p = ttab_paths; *p; p++) {
		if (!strncmp(*p, want, strlen(want)) && !strncmp(*p, prefix, strlen(prefix)))
			add(cookie, *p);
	}
}

const struct shell_services ttab_svc = { .ctx = NULL, .complete = complete };
