/* shell core: feeding input to the editor, running whole lines, the machine-mode
 * frame, output helpers and noticing Ctrl-C while a command runs. */
#include <stdio.h>
#include <string.h>

#include "cairn/err.h"
#include "shell.h"

#define PRINT_MAX 512 /* one shell_printf piece */
#define KEY_CTRL_C 0x03

/* lock / unlock: the backend's editor lock, when it has one. */
static void lock(struct shell *sh)
{
	if (sh->be->lock)
		sh->be->lock(sh->be->ctx);
}

/* unlock: see lock. */
static void unlock(struct shell *sh)
{
	if (sh->be->unlock)
		sh->be->unlock(sh->be->ctx);
}

void shell_init(struct shell *sh, const struct shell_backend *be, const struct shell_cmd *cmds,
		const struct shell_services *svc)
{
	memset(sh, 0, sizeof(*sh));
	sh->be = be;
	sh->cmds = cmds;
	sh->svc = svc;
	shell_ed_init(&sh->ed, be, SHELL_PROMPT, &sh->hist);
}

void shell_start(struct shell *sh)
{
	lock(sh);
	shell_ed_begin(&sh->ed);
	unlock(sh);
}

void shell_vprintf(struct shell *sh, const char *fmt, va_list ap)
{
	char buf[PRINT_MAX];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n;
	if (len >= sizeof(buf)) {
		/* Say so rather than cut silently. */
		len = sizeof(buf) - 1;
		memcpy(buf + len - 4, "...\n", 4);
	}
	sh->be->print(sh->be->ctx, buf, len);
}

void shell_printf(struct shell *sh, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	shell_vprintf(sh, fmt, ap);
	va_end(ap);
}

void shell_print_data(struct shell *sh, const char *label, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	char buf[PRINT_MAX];
	size_t o = 0, llen = strlen(label);
	if (llen > sizeof(buf) / 4)
		llen = sizeof(buf) / 4;
	memcpy(buf, label, llen);
	o = llen;
	for (size_t i = 0; i < len; i++) {
		if (o + 6 > sizeof(buf)) { /* room for \xHH and "\n" */
			buf[o++] = '\n';
			sh->be->print(sh->be->ctx, buf, o);
			o = 0;
			memcpy(buf, "  ", 2); /* a continuation line is indented */
			o = 2;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			buf[o++] = (char)p[i];
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[p[i] >> 4];
			buf[o++] = hex[p[i] & 15];
		}
	}
	buf[o++] = '\n';
	sh->be->print(sh->be->ctx, buf, o);
}

/* take_input: read what arrived while a command runs into the typeahead,
 * watching for Ctrl-C; Ctrl-C drops what was typed before it, like a terminal's
 * INTR. Only as much is read as the typeahead holds: the rest waits in the
 * console (whose full ring holds the UART back), so nothing typed is lost. */
static void take_input(struct shell *sh)
{
	uint8_t buf[64];
	size_t room, n;
	while ((room = sizeof(sh->ahead) - sh->ahead_len) > 0 &&
	       (n = sh->be->read(sh->be->ctx, buf, room < sizeof(buf) ? room : sizeof(buf))) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == KEY_CTRL_C) {
				sh->cancelled = true;
				sh->ahead_len = 0;
			} else {
				sh->ahead[sh->ahead_len++] = buf[i];
			}
		}
	}
}

bool shell_cancelled(struct shell *sh)
{
	if (!sh->cancelled)
		take_input(sh);
	return sh->cancelled;
}

const struct shell_cmd *shell_find_cmd(const struct shell_cmd *table, const char *name)
{
	for (; table && table->name; table++) {
		if (!strcmp(table->name, name))
			return table;
	}
	return NULL;
}

/* not_here: the answer of a command whose component is not built in. */
static int not_here(struct shell *sh, const char *what, const struct shell_cmd *c)
{
	shell_printf(sh, "%s: not in this image (component %s is not built in)\n", what,
		     c->needs ? c->needs : "?");
	return CAIRN_ENOSYS;
}

/* run_cmd: check the argument count and run a (sub)command. */
static int run_cmd(struct shell *sh, const struct shell_cmd *c, int argc, char **argv)
{
	int nargs = argc - 1;
	if (c->absent)
		return not_here(sh, c->usage, c);
	if (nargs < c->min_args || (c->max_args != SHELL_ARGS_ANY && nargs > c->max_args)) {
		shell_printf(sh, "usage: %s\n", c->usage);
		return CAIRN_EINVAL;
	}
	sh->cancelled = false;
	return c->run(sh, argc, argv);
}

/* dispatch: find the command and its subcommand and run it. */
static int dispatch(struct shell *sh, int argc, char **argv)
{
	const struct shell_cmd *c = shell_find_cmd(sh->cmds, argv[0]);
	if (!c) {
		shell_printf(sh, "shell: unknown command '%s' (try 'help')\n", argv[0]);
		return CAIRN_ENOENT;
	}
	if (c->absent)
		return not_here(sh, c->name, c);
	if (c->subs) {
		const struct shell_cmd *sub = argc >= 2 ? shell_find_cmd(c->subs, argv[1]) : NULL;
		if (sub)
			return run_cmd(sh, sub, argc - 1, argv + 1);
		if (!c->run) {
			if (argc >= 2)
				shell_printf(sh, "%s: unknown subcommand '%s' (try 'help %s')\n",
					     c->name, argv[1], c->name);
			else
				shell_printf(sh, "usage: %s\n", c->usage);
			return CAIRN_EINVAL;
		}
	}
	return run_cmd(sh, c, argc, argv);
}

/* frame_line: the line that ends a command's output in machine mode. */
static void frame_line(struct shell *sh, int err)
{
	if (err == 0)
		shell_printf(sh, "ok\n");
	else
		shell_printf(sh, "err %d %s\n", err, cairn_strerror(err));
}

/* frame: the machine-mode end of a line's output, when machine mode is on. */
static void frame(struct shell *sh, int err)
{
	if (sh->machine)
		frame_line(sh, err);
}

int shell_run_line(struct shell *sh, char *line)
{
	char *argv[SHELL_ARGS_MAX];
	const char *why;
	int err = 0;
	bool framed = sh->machine; /* `machine off` is framed too, `machine on` by its end */
	int argc = shell_parse(line, argv, SHELL_ARGS_MAX, &why);
	if (argc < 0) {
		shell_printf(sh, "shell: %s\n", why);
		err = argc;
	} else if (argc > 0) {
		err = dispatch(sh, argc, argv);
	}
	if (err && !sh->machine)
		shell_printf(sh, "error: %s (%d)\n", cairn_strerror(err), err);
	if (framed || sh->machine)
		frame_line(sh, err);
	return err;
}

/* next_prompt: a fresh line after a command or a cancel. */
static void next_prompt(struct shell *sh)
{
	lock(sh);
	shell_ed_begin(&sh->ed);
	unlock(sh);
}

/* line_event: act on what the editor reported. */
static void line_event(struct shell *sh, enum shell_ed_event ev)
{
	char line[SHELL_LINE_MAX + 1];
	switch (ev) {
	case SHELL_ED_LINE:
		sh->lines++;
		memcpy(line, sh->ed.line, sh->ed.len + 1);
		shell_hist_add(&sh->hist, line);
		shell_run_line(sh, line);
		break;
	case SHELL_ED_CANCEL:
		sh->lines++;
		frame(sh, CAIRN_ECANCELED);
		break;
	case SHELL_ED_TOOLONG:
		sh->lines++;
		shell_printf(sh,
			     "shell: line too long: %zu bytes over the limit of %d were "
			     "dropped; nothing was run\n",
			     sh->ed.dropped, SHELL_LINE_MAX);
		frame(sh, CAIRN_E2BIG);
		break;
	default:
		return;
	}
	next_prompt(sh);
}

/* feed_all: run bytes through the editor until all are used. */
static void feed_all(struct shell *sh, const uint8_t *in, size_t n)
{
	while (n) {
		enum shell_ed_event ev;
		lock(sh);
		size_t used = shell_ed_feed(&sh->ed, in, n, &ev);
		unlock(sh);
		if (ev == SHELL_ED_TAB) {
			shell_complete_collect(sh); /* the services may sleep: no lock */
			lock(sh);
			shell_complete_apply(sh);
			unlock(sh);
		}
		in += used;
		n -= used;
		line_event(sh, ev);
	}
}

void shell_input(struct shell *sh, const uint8_t *in, size_t n)
{
	feed_all(sh, in, n);
	/* Then what was typed while commands ran, oldest first. */
	while (sh->ahead_len) {
		uint8_t buf[SHELL_TYPEAHEAD];
		size_t len = sh->ahead_len;
		memcpy(buf, sh->ahead, len);
		sh->ahead_len = 0;
		feed_all(sh, buf, len);
	}
}

/* help_one: the help page of one command or subcommand. */
static void help_one(struct shell *sh, const struct shell_cmd *c)
{
	shell_printf(sh, "usage: %s\n", c->usage);
	shell_printf(sh, "  %s%s\n", c->summary, c->absent ? " (not in this image)" : "");
	if (c->detail)
		shell_printf(sh, "%s\n", c->detail);
	for (const struct shell_cmd *s = c->subs; s && s->name; s++)
		shell_printf(sh, "  %-28s %s\n", s->usage, s->summary);
}

int shell_help(struct shell *sh, int argc, char **argv)
{
	if (argc == 0) {
		shell_printf(sh, "commands (help <command> for more):\n");
		for (const struct shell_cmd *c = sh->cmds; c->name; c++)
			shell_printf(sh, "  %-10s %s%s\n", c->name, c->summary,
				     c->absent ? " (not in this image)" : "");
		return 0;
	}
	const struct shell_cmd *c = shell_find_cmd(sh->cmds, argv[0]);
	if (!c) {
		shell_printf(sh, "help: no command '%s'\n", argv[0]);
		return CAIRN_ENOENT;
	}
	if (argc >= 2) {
		const struct shell_cmd *sub = shell_find_cmd(c->subs, argv[1]);
		if (!sub) {
			shell_printf(sh, "help: %s has no subcommand '%s'\n", c->name, argv[1]);
			return CAIRN_ENOENT;
		}
		c = sub;
	}
	help_one(sh, c);
	return 0;
}

int shell_cmd_help(struct shell *sh, int argc, char **argv)
{
	return shell_help(sh, argc - 1, argv + 1);
}

int shell_cmd_machine(struct shell *sh, int argc, char **argv)
{
	if (argc == 1) {
		shell_printf(sh, "machine: %s\n", sh->machine ? "on" : "off");
		return 0;
	}
	if (!strcmp(argv[1], "on"))
		sh->machine = true;
	else if (!strcmp(argv[1], "off"))
		sh->machine = false;
	else {
		shell_printf(sh, "usage: machine [on|off]\n");
		return CAIRN_EINVAL;
	}
	return 0;
}
