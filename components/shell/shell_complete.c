/* shell completion (Tab): the word before the cursor is completed from the
 * command table (commands, subcommands, fixed words) or from the services' path
 * provider (statefs keys, pkg:/ paths, component names). Candidates are kept in a
 * fixed pool; any number of matches is safe, extra ones are only counted. */
#include <string.h>

#include "cairn/err.h"
#include "shell.h"

/* cands_reset: start collecting candidates for prefix. */
static void cands_reset(struct shell_cands *cs, const char *prefix, size_t plen)
{
	cs->used = 0;
	cs->n = 0;
	cs->more = 0;
	cs->common = 0;
	cs->prefix = prefix;
	cs->plen = plen;
}

/* cand_at: the i-th kept candidate. */
static const char *cand_at(const struct shell_cands *cs, unsigned i)
{
	return cs->pool + cs->off[i];
}

/* cand_add_len: keep s[0..n) if it matches the prefix and is new. */
static void cand_add_len(struct shell_cands *cs, const char *s, size_t n)
{
	if (n < cs->plen || memcmp(s, cs->prefix, cs->plen))
		return;
	if (cs->n) { /* shrink the shared part, for matches kept or not */
		const char *first = cand_at(cs, 0);
		size_t k = 0;
		while (k < cs->common && k < n && first[k] == s[k])
			k++;
		cs->common = k;
	}
	for (unsigned i = 0; i < cs->n; i++) {
		const char *c = cand_at(cs, i);
		if (strlen(c) == n && !memcmp(c, s, n))
			return;
	}
	if (cs->n == SHELL_CANDS_MAX || n + 1 > sizeof(cs->pool) - cs->used) {
		cs->more++;
		return;
	}
	if (cs->n == 0)
		cs->common = n;
	cs->off[cs->n++] = (uint16_t)cs->used;
	memcpy(cs->pool + cs->used, s, n);
	cs->pool[cs->used + n] = '\0';
	cs->used += n + 1;
}

/* cand_add_word: a table word. */
static void cand_add_word(void *cookie, const char *s) { cand_add_len(cookie, s, strlen(s)); }

/* cand_add_path: a path, cut after the first '/' beyond what is typed, so
 * completion goes one level at a time like a file shell's. */
static void cand_add_path(void *cookie, const char *s)
{
	struct shell_cands *cs = cookie;
	size_t n = strlen(s);
	if (n < cs->plen)
		return;
	size_t from = cs->plen ? cs->plen : 1; /* a leading '/' is not a level */
	const char *slash = n > from ? memchr(s + from, '/', n - from) : NULL;
	cand_add_len(cs, s, slash ? (size_t)(slash - s) + 1 : n);
}

/* bell: nothing to complete. */
static void bell(struct shell *sh) { sh->be->emit(sh->be->ctx, "\a", 1); }

/* split: the words before the current one (spaces separate; quotes are not
 * interpreted here); returns the count or -1 when there are too many. */
static int split(char *s, char **w, int max)
{
	int n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max)
			return -1;
		w[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = '\0';
	}
}

/* collect: fill sh->cands for the word before the cursor; false when the
 * position completes to nothing. */
static bool collect(struct shell *sh, char **w, int nw)
{
	struct shell_cands *cs = &sh->cands;
	if (nw == 0) {
		for (const struct shell_cmd *c = sh->cmds; c->name; c++)
			cand_add_word(cs, c->name);
		return true;
	}
	const struct shell_cmd *c = shell_find_cmd(sh->cmds, w[0]);
	if (!c)
		return false;
	if (c->subs && nw == 1) {
		for (const struct shell_cmd *s = c->subs; s->name; s++)
			cand_add_word(cs, s->name);
		if (!c->run)
			return true; /* else the command's own first argument too */
	}
	const struct shell_cmd *t = c;
	int argi = nw - 1;
	if (c->subs && nw >= 2) {
		const struct shell_cmd *sub = shell_find_cmd(c->subs, w[1]);
		if (sub) {
			t = sub;
			argi = nw - 2;
		}
	}
	uint8_t kind = argi < SHELL_ARG_SLOTS ? t->args[argi] : SHELL_ARG_NONE;
	switch (kind) {
	case SHELL_ARG_COMMAND:
		for (const struct shell_cmd *k = sh->cmds; k->name; k++)
			cand_add_word(cs, k->name);
		break;
	case SHELL_ARG_SUBCMD: {
		const struct shell_cmd *of = shell_find_cmd(sh->cmds, w[nw - 1]);
		for (const struct shell_cmd *k = of ? of->subs : NULL; k && k->name; k++)
			cand_add_word(cs, k->name);
		break;
	}
	case SHELL_ARG_WORDS:
		for (const char *const *k = t->words; k && *k; k++)
			cand_add_word(cs, *k);
		break;
	case SHELL_ARG_STATE:
	case SHELL_ARG_PKG:
		if (sh->svc && sh->svc->complete)
			sh->svc->complete(sh->svc->ctx, kind, cs->prefix, cand_add_path, cs);
		break;
	case SHELL_ARG_COMP:
		if (sh->svc && sh->svc->complete)
			sh->svc->complete(sh->svc->ctx, kind, cs->prefix, cand_add_word, cs);
		break;
	default:
		break;
	}
	return true;
}

/* insert_escaped: insert a completion, escaping what the tokeniser would split
 * or decode, so the completed word parses back to the candidate. All or nothing:
 * when it does not fit, the line stays as typed. */
static int insert_escaped(struct shell_ed *ed, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char buf[SHELL_LINE_MAX + 1];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (len + 4 > sizeof(buf))
			return CAIRN_E2BIG;
		if (c <= 0x20 || c >= 0x7f) {
			buf[len++] = '\\';
			buf[len++] = 'x';
			buf[len++] = hex[c >> 4];
			buf[len++] = hex[c & 15];
		} else {
			if (c == '"' || c == '\\')
				buf[len++] = '\\';
			buf[len++] = (char)c;
		}
	}
	return shell_ed_insert(ed, buf, len);
}

/* emit_fit: emit a list entry of n bytes in at most max columns; one that is
 * wider than the terminal ends in a visible "..." instead of wrapping. */
static void emit_fit(const struct shell_backend *be, const char *s, size_t n, size_t max)
{
	if (n <= max) {
		be->emit(be->ctx, s, n);
		return;
	}
	be->emit(be->ctx, s, max - 3);
	be->emit(be->ctx, "...", 3);
}

/* list: show the candidates in columns below the line, then redraw it. No list
 * row reaches the last column (the editor's rule for every row it writes). */
static void list(struct shell *sh)
{
	struct shell_cands *cs = &sh->cands;
	const struct shell_backend *be = sh->be;
	size_t width = 1;
	for (unsigned i = 0; i < cs->n; i++) {
		size_t n = strlen(cand_at(cs, i));
		if (n + 2 > width)
			width = n + 2;
	}
	size_t max = sh->ed.cols - 1; /* cols >= SHELL_COLS_MIN, so max > 3 */
	size_t per_row = sh->ed.cols / width ? sh->ed.cols / width : 1;
	be->emit(be->ctx, "\n", 1);
	for (unsigned i = 0; i < cs->n; i++) {
		const char *c = cand_at(cs, i);
		size_t n = strlen(c);
		emit_fit(be, c, n, max);
		bool last = i + 1 == cs->n || (i + 1) % per_row == 0;
		if (last) {
			be->emit(be->ctx, "\n", 1);
		} else {
			for (size_t k = n; k < width; k++)
				be->emit(be->ctx, " ", 1);
		}
	}
	if (cs->more) {
		char buf[48];
		unsigned m = cs->more, i = sizeof(buf);
		const char tail[] = " more not shown)\n";
		i -= sizeof(tail) - 1;
		memcpy(buf + i, tail, sizeof(tail) - 1);
		do {
			buf[--i] = (char)('0' + m % 10);
			m /= 10;
		} while (m);
		buf[--i] = '(';
		emit_fit(be, buf + i, sizeof(buf) - i - 1, max);
		be->emit(be->ctx, "\n", 1);
	}
	shell_ed_refresh(&sh->ed);
}

/* word_start: where the word before the cursor begins. */
static size_t word_start(const struct shell_ed *ed)
{
	size_t ws = ed->pos;
	while (ws > 0 && ed->line[ws - 1] != ' ' && ed->line[ws - 1] != '\t')
		ws--;
	return ws;
}

void shell_complete_collect(struct shell *sh)
{
	const struct shell_ed *ed = &sh->ed;
	char before[SHELL_LINE_MAX + 1];
	char *w[SHELL_ARGS_MAX];
	size_t ws = word_start(ed);
	memcpy(before, ed->line, ws);
	before[ws] = '\0'; /* before: the words ahead of the one being completed */
	memcpy(sh->cword, ed->line + ws, ed->pos - ws);
	sh->cword[ed->pos - ws] = '\0';
	cands_reset(&sh->cands, sh->cword, ed->pos - ws);
	int nw = split(before, w, SHELL_ARGS_MAX - 1);
	sh->cands_ok = nw >= 0 && collect(sh, w, nw);
}

void shell_complete_apply(struct shell *sh)
{
	struct shell_ed *ed = &sh->ed;
	struct shell_cands *cs = &sh->cands;
	/* The line cannot have changed in between: only this thread edits it. */
	if (!sh->cands_ok || cs->n == 0 || word_start(ed) + cs->plen != ed->pos) {
		bell(sh);
		return;
	}
	size_t common = cs->common;
	int err = 0;
	if (cs->n == 1 && !cs->more) {
		const char *c = cand_at(cs, 0);
		size_t n = strlen(c);
		err = insert_escaped(ed, c + cs->plen, n - cs->plen);
		/* A finished word gets its separator; a directory waits for more. */
		if (!err && c[n - 1] != '/' && ed->pos == ed->len)
			(void)shell_ed_insert(ed, " ", 1); /* a full line just lacks it */
	} else if (common > cs->plen) {
		err = insert_escaped(ed, cand_at(cs, 0) + cs->plen, common - cs->plen);
	} else {
		list(sh);
		return;
	}
	if (err)
		bell(sh); /* the line is full: leave it as it was typed */
	shell_ed_refresh(ed);
}

void shell_complete(struct shell *sh)
{
	shell_complete_collect(sh);
	shell_complete_apply(sh);
}
