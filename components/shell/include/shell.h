/* shell: the interactive diagnostics console. This header is the engine: a line
 * editor, history, completion, tokeniser and command dispatcher that see only a
 * backend struct (bytes out, bytes in), so the same code runs in the image on the
 * UART and on the host against a dummy console in the unit tests and the fuzzer.
 *
 * Terminal model: the editor draws the prompt and the line on ONE terminal row and
 * scrolls the line horizontally when it is wider than the terminal, so a redraw is
 * always "\r, prompt, visible part, erase to end of line, cursor to column" and
 * never depends on where an earlier, wrapped draw left the cursor. Output bytes
 * use "\n" for a new line; the backend turns it into "\r\n" if its terminal needs
 * that (the kernel console does). */
#ifndef SHELL_H
#define SHELL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHELL_LINE_MAX 256  /* longest line the editor accepts, in bytes */
#define SHELL_HIST_LINES 32 /* history depth (the issue asks for at least 16) */
#define SHELL_ARGS_MAX 16   /* most words in one command line */
#define SHELL_PROMPT "cairn> "
#define SHELL_COLS_DEFAULT 80 /* terminal width assumed when none is known */
#define SHELL_COLS_MIN 20
#define SHELL_COLS_MAX 512
#define SHELL_CANDS_MAX 64   /* completion candidates kept; the rest are counted */
#define SHELL_CAND_POOL 2048 /* bytes for the kept candidates' text */
#define SHELL_TYPEAHEAD 512  /* input kept while a command runs */

/* ---------------------------------------------------------------------------
 * Backend: what the engine needs from its console. Every pointer except ctx is
 * required unless marked optional.
 * ------------------------------------------------------------------------- */
struct shell_backend {
	void *ctx;
	/* emit: editor output (prompt, echo, redraw). Called only between lock() and
	 * unlock(), so a log line from another hart (the console hook) can never run
	 * in the middle of a redraw. */
	void (*emit)(void *ctx, const char *buf, size_t len);
	/* print: one whole piece of command output, from the shell thread with no
	 * lock held; the backend serialises it with other console output. */
	void (*print)(void *ctx, const char *buf, size_t len);
	/* read: up to cap bytes of input that have already arrived, without waiting;
	 * returns how many (0 = none). Used to notice Ctrl-C while a command runs. */
	size_t (*read)(void *ctx, uint8_t *buf, size_t cap);
	/* lock/unlock: bracket editor state changes and emit() (optional: NULL when
	 * nothing else can print, as on the host). */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);
};

/* ---------------------------------------------------------------------------
 * Line editor
 * ------------------------------------------------------------------------- */
enum shell_ed_event {
	SHELL_ED_NONE = 0, /* keep feeding */
	SHELL_ED_LINE,	   /* Enter: the line is in ed->line (NUL-terminated) */
	SHELL_ED_CANCEL,   /* Ctrl-C: the line was dropped */
	SHELL_ED_TOOLONG,  /* Enter after more than SHELL_LINE_MAX bytes: dropped */
	SHELL_ED_TAB,	   /* Tab: the caller completes (shell_complete) */
};

enum shell_esc_state {
	ED_ESC_NONE,
	ED_ESC_ESC,
	ED_ESC_CSI,
	ED_ESC_SS3
};

struct shell_hist {
	char lines[SHELL_HIST_LINES][SHELL_LINE_MAX + 1];
	unsigned count; /* lines stored, <= SHELL_HIST_LINES */
	unsigned head;	/* index where the next line goes */
};

struct shell_ed {
	/* Immutable after shell_ed_init: */
	const struct shell_backend *be;
	const char *prompt;
	size_t plen;
	/* Owned by the shell thread; read by the console hook, both under be->lock: */
	char line[SHELL_LINE_MAX + 1];
	size_t len;	  /* bytes in line */
	size_t pos;	  /* cursor, 0..len */
	size_t off;	  /* first line byte shown on the row (horizontal scroll) */
	unsigned cols;	  /* terminal width */
	unsigned reserve; /* columns kept free after the line for one redraw (^C) */
	bool visible;	  /* the prompt is on screen (not while a command runs) */
	size_t dropped;	  /* bytes that did not fit since the line began */
	bool dirty;	  /* a full redraw is due at the end of this feed */
	bool last_cr;	  /* the previous byte was \r: swallow a following \n */
	enum shell_esc_state esc;
	char esc_buf[8]; /* CSI parameter bytes */
	size_t esc_len;
	bool esc_long; /* parameters overflowed: ignore the sequence */
	/* History browsing: */
	struct shell_hist *hist;	/* optional */
	unsigned hist_at;		/* 0 = editing the new line, k = k-th newest entry */
	char saved[SHELL_LINE_MAX + 1]; /* the new line while browsing */
};

/* shell_ed_init: an editor with the given prompt and optional history. */
void shell_ed_init(struct shell_ed *ed, const struct shell_backend *be, const char *prompt,
		   struct shell_hist *hist);
/* shell_ed_set_cols: set the terminal width (clamped to SHELL_COLS_MIN..MAX). */
void shell_ed_set_cols(struct shell_ed *ed, unsigned cols);
/* shell_ed_begin: start a new, empty line and draw the prompt. */
void shell_ed_begin(struct shell_ed *ed);
/* shell_ed_feed: process input bytes until an event; returns how many bytes were
 * consumed (the rest belongs to later lines) and sets *event. Caller holds lock. */
size_t shell_ed_feed(struct shell_ed *ed, const uint8_t *in, size_t n, enum shell_ed_event *event);
/* shell_ed_hide / shell_ed_show: erase the prompt row before someone else's line
 * and redraw it afterwards (no-ops while no prompt is shown). Caller holds lock. */
void shell_ed_hide(struct shell_ed *ed);
void shell_ed_show(struct shell_ed *ed);
/* shell_ed_insert: insert text at the cursor as if typed (completion uses it);
 * returns 0, or CAIRN_E2BIG when it does not fit (nothing inserted). */
int shell_ed_insert(struct shell_ed *ed, const char *s, size_t n);
/* shell_ed_refresh: redraw the prompt row now. */
void shell_ed_refresh(struct shell_ed *ed);

/* ---------------------------------------------------------------------------
 * History
 * ------------------------------------------------------------------------- */
/* shell_hist_add: remember a line (blank lines and a repeat of the newest are
 * skipped; the oldest line goes when full). */
void shell_hist_add(struct shell_hist *h, const char *line);
/* shell_hist_get: the k-th newest line (1 = newest), or NULL past the end. */
const char *shell_hist_get(const struct shell_hist *h, unsigned k);

/* ---------------------------------------------------------------------------
 * Tokeniser
 * ------------------------------------------------------------------------- */
/* shell_parse: split line in place into at most max words. Words are separated
 * by spaces or tabs; "double quotes" group, and a backslash escapes the next
 * byte (\\ \" \  and \xHH for any byte but NUL). Returns the word count, or
 * CAIRN_EINVAL (unterminated quote, bad escape; *why says which) or CAIRN_E2BIG
 * (more than max words). */
int shell_parse(char *line, char **argv, int max, const char **why);

/* ---------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------- */
struct shell;

/* What a command's words complete to, by position after the command words. */
enum shell_arg_kind {
	SHELL_ARG_NONE = 0,
	SHELL_ARG_STATE,   /* a /state/ key */
	SHELL_ARG_PKG,	   /* a pkg:/ path */
	SHELL_ARG_COMMAND, /* a command name (help) */
	SHELL_ARG_COMP,	   /* a component name */
	SHELL_ARG_WORDS,   /* one of cmd->words */
	SHELL_ARG_SUBCMD,  /* a subcommand of the command named by the word before (help) */
};
#define SHELL_ARG_SLOTS 3

struct shell_cmd {
	const char *name;
	const char *usage;   /* "state get <key>" */
	const char *summary; /* one line for the command list */
	const char *detail;  /* more lines for `help <command>`; may be NULL */
	/* run: argv[0] is the command word (the subcommand word for a subcommand);
	 * returns 0 or a negative CAIRN_E* code. NULL: not in this image. */
	int (*run)(struct shell *sh, int argc, char **argv);
	const struct shell_cmd *subs;  /* subcommands, ended by a NULL name; or NULL */
	uint8_t min_args, max_args;    /* words after the (sub)command word */
	uint8_t args[SHELL_ARG_SLOTS]; /* completion kind per argument position */
	const char *const *words;      /* for SHELL_ARG_WORDS, NULL-terminated */
	const char *needs;	       /* component that provides it, for "not in this image" */
	bool absent;		       /* that component is not in this image */
};
#define SHELL_ARGS_ANY 255 /* max_args: no upper bound */

/* Path completion: the provider calls add(cookie, path) for each existing path
 * that starts with prefix (full paths; the engine cuts them at the next '/'). */
typedef void (*shell_cand_fn)(void *cookie, const char *path);
struct shell_services {
	void *ctx;
	/* complete: kind is SHELL_ARG_STATE, SHELL_ARG_PKG or SHELL_ARG_COMP */
	void (*complete)(void *ctx, enum shell_arg_kind kind, const char *prefix, shell_cand_fn add,
			 void *cookie);
};

struct shell_cands {
	char pool[SHELL_CAND_POOL];
	size_t used;
	uint16_t off[SHELL_CANDS_MAX];
	unsigned n;
	unsigned more; /* matches that did not fit */
	size_t common; /* length all matches share, kept or not */
	const char *prefix;
	size_t plen;
};

struct shell {
	const struct shell_backend *be;
	const struct shell_cmd *cmds; /* ended by a NULL name */
	const struct shell_services *svc;
	struct shell_ed ed;
	struct shell_hist hist;
	struct shell_cands cands;
	char cword[SHELL_LINE_MAX + 1]; /* the word being completed */
	bool cands_ok;
	bool machine;			/* machine mode: each line ends with one ok/err line */
	bool cancelled;			/* Ctrl-C seen while a command ran */
	uint8_t ahead[SHELL_TYPEAHEAD]; /* input read while a command ran */
	size_t ahead_len;
	unsigned lines; /* lines run, for tests */
};

/* shell_init: a shell over a backend, a command table and services. */
void shell_init(struct shell *sh, const struct shell_backend *be, const struct shell_cmd *cmds,
		const struct shell_services *svc);
/* shell_start: draw the first prompt. */
void shell_start(struct shell *sh);
/* shell_input: handle input bytes: edit, complete, run whole lines. Returns once
 * every byte is used (commands run inside, from the caller's thread). */
void shell_input(struct shell *sh, const uint8_t *in, size_t n);
/* shell_run_line: run one command line as if typed (it is tokenised in place),
 * with the machine-mode frame; returns the command's result. */
int shell_run_line(struct shell *sh, char *line);
/* shell_complete: complete the word before the cursor (Tab), in two steps:
 * collect asks the services for candidates (it may sleep: no lock held), apply
 * edits the line or lists the candidates (caller holds the lock). */
void shell_complete_collect(struct shell *sh);
void shell_complete_apply(struct shell *sh);
void shell_complete(struct shell *sh); /* both, for callers without a lock */

/* Output for commands. shell_printf formats one piece (keep it to whole lines:
 * each call is written at once, so log lines from other harts fall between
 * calls, never inside one); longer output is cut with a visible "...". */
void shell_printf(struct shell *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void shell_vprintf(struct shell *sh, const char *fmt, va_list ap);
/* shell_print_data: print bytes as one line of text: printable ASCII as is,
 * everything else (and a backslash) as \xHH, so data can never move the cursor,
 * change the terminal or forge a machine-mode frame line. */
void shell_print_data(struct shell *sh, const char *label, const void *data, size_t len);
/* shell_cancelled: true once Ctrl-C arrived while the current command runs
 * (long commands check it between output lines and stop with CAIRN_ECANCELED). */
bool shell_cancelled(struct shell *sh);
/* shell_find_cmd: a command (or, with parent, a subcommand) by name, or NULL. */
const struct shell_cmd *shell_find_cmd(const struct shell_cmd *table, const char *name);
/* shell_help: print help for the command words (argc 0: the command list). */
int shell_help(struct shell *sh, int argc, char **argv);

/* The engine's own commands, for a table to list: `help [command [sub]]` and
 * `machine [on|off]`. */
int shell_cmd_help(struct shell *sh, int argc, char **argv);
int shell_cmd_machine(struct shell *sh, int argc, char **argv);

#endif
