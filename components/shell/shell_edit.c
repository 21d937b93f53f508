/* shell line editor: a state machine from input bytes to terminal output bytes.
 *
 * Input is handled one byte at a time, so an escape sequence split across reads
 * (ESC in one UART burst, "[A" in the next) decodes the same as one read. A byte
 * that cannot continue a sequence (Ctrl-C, Enter inside a broken CSI) ends the
 * sequence and is then handled as itself, so no key is swallowed by garbage.
 *
 * Output: cheap cases (typing or erasing at the end of the line, moving the cursor
 * inside the visible part) emit a few bytes; everything else sets `dirty` and the
 * row is redrawn once at the end of the feed, so a pasted burst costs one redraw,
 * not one per byte. */
#include <string.h>

#include "cairn/err.h"
#include "shell.h"

#define KEY_CTRL(c) ((uint8_t)((c)&0x1f))
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

/* emit: write editor bytes to the terminal. */
static void emit(struct shell_ed *ed, const char *s, size_t n)
{
	if (n)
		ed->be->emit(ed->be->ctx, s, n);
}

/* emits: write a NUL-terminated editor string. */
static void emits(struct shell_ed *ed, const char *s) { emit(ed, s, strlen(s)); }

/* emit_num_csi: ESC [ n final, e.g. cursor right by n columns. */
static void emit_num_csi(struct shell_ed *ed, size_t n, char final)
{
	char buf[24];
	size_t i = sizeof(buf);
	buf[--i] = final;
	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n && i > 2);
	buf[--i] = '[';
	buf[--i] = KEY_ESC;
	emit(ed, buf + i, sizeof(buf) - i);
}

/* room: columns for line text on the row; one column stays free so a cursor
 * after the last shown byte never wraps to the next row. */
static size_t room(const struct shell_ed *ed) { return ed->cols - ed->plen - 1 - ed->reserve; }

/* scroll: move the window so the cursor is on it; true when the window moved. */
static bool scroll(struct shell_ed *ed)
{
	size_t r = room(ed), old = ed->off;
	if (ed->len <= r)
		ed->off = 0;
	else if (ed->pos < ed->off)
		ed->off = ed->pos;
	else if (ed->pos - ed->off > r)
		ed->off = ed->pos - r;
	return ed->off != old;
}

void shell_ed_refresh(struct shell_ed *ed)
{
	scroll(ed);
	size_t shown = ed->len - ed->off;
	if (shown > room(ed))
		shown = room(ed);
	emits(ed, "\r");
	emit(ed, ed->prompt, ed->plen);
	emit(ed, ed->line + ed->off, shown);
	emits(ed, "\x1b[K");
	if (ed->pos - ed->off != shown) {
		emits(ed, "\r");
		emit_num_csi(ed, ed->plen + ed->pos - ed->off, 'C');
	}
	ed->dirty = false;
}

void shell_ed_init(struct shell_ed *ed, const struct shell_backend *be, const char *prompt,
		   struct shell_hist *hist)
{
	memset(ed, 0, sizeof(*ed));
	ed->be = be;
	ed->prompt = prompt;
	ed->plen = strlen(prompt);
	ed->hist = hist;
	shell_ed_set_cols(ed, SHELL_COLS_DEFAULT);
}

void shell_ed_set_cols(struct shell_ed *ed, unsigned cols)
{
	if (cols < SHELL_COLS_MIN)
		cols = SHELL_COLS_MIN;
	if (cols > SHELL_COLS_MAX)
		cols = SHELL_COLS_MAX;
	/* The prompt plus at least 8 line bytes and the free column must fit. */
	if (cols < ed->plen + 9)
		cols = (unsigned)ed->plen + 9;
	ed->cols = cols;
	ed->dirty = true;
}

void shell_ed_begin(struct shell_ed *ed)
{
	ed->line[0] = '\0';
	ed->len = ed->pos = ed->off = 0;
	ed->dropped = 0;
	ed->hist_at = 0;
	ed->esc = ED_ESC_NONE;
	ed->visible = true;
	/* last_cr survives: the \n of a \r\n arrives after the line ended. */
	shell_ed_refresh(ed);
}

void shell_ed_hide(struct shell_ed *ed)
{
	if (ed->visible)
		emits(ed, "\r\x1b[K");
}

void shell_ed_show(struct shell_ed *ed)
{
	if (ed->visible)
		shell_ed_refresh(ed);
}

/* set_line: replace the line (history recall), cursor at the end. */
static void set_line(struct shell_ed *ed, const char *s)
{
	size_t n = strlen(s);
	if (n > SHELL_LINE_MAX)
		n = SHELL_LINE_MAX; /* history only holds lines that fitted */
	memcpy(ed->line, s, n);
	ed->line[n] = '\0';
	ed->len = ed->pos = n;
	ed->dirty = true;
}

int shell_ed_insert(struct shell_ed *ed, const char *s, size_t n)
{
	if (n > SHELL_LINE_MAX - ed->len)
		return CAIRN_E2BIG;
	memmove(ed->line + ed->pos + n, ed->line + ed->pos, ed->len - ed->pos + 1);
	memcpy(ed->line + ed->pos, s, n);
	ed->len += n;
	ed->pos += n;
	ed->dirty = true;
	return 0;
}

/* insert_byte: a typed printable byte; over the limit it is counted, not kept. */
static void insert_byte(struct shell_ed *ed, uint8_t c)
{
	if (ed->len == SHELL_LINE_MAX) {
		if (ed->dropped++ == 0)
			emits(ed, "\a"); /* one bell, not one per pasted byte */
		return;
	}
	bool at_end = ed->pos == ed->len;
	memmove(ed->line + ed->pos + 1, ed->line + ed->pos, ed->len - ed->pos + 1);
	ed->line[ed->pos++] = (char)c;
	ed->len++;
	if (!scroll(ed) && at_end && !ed->dirty)
		emit(ed, (const char *)&c, 1);
	else
		ed->dirty = true;
}

/* delete_range: remove line[from, to) and put the cursor at from. */
static void delete_range(struct shell_ed *ed, size_t from, size_t to)
{
	if (from >= to)
		return;
	bool at_end = to == ed->len && ed->pos == to && to - from == 1;
	memmove(ed->line + from, ed->line + to, ed->len - to + 1);
	ed->len -= to - from;
	ed->pos = from;
	if (!scroll(ed) && at_end && !ed->dirty && ed->pos > ed->off)
		emits(ed, "\b\x1b[K");
	else
		ed->dirty = true;
}

/* move_to: put the cursor at p (0..len), one column moves emitted directly. */
static void move_to(struct shell_ed *ed, size_t p)
{
	if (p == ed->pos)
		return;
	size_t from = ed->pos;
	ed->pos = p;
	if (scroll(ed) || ed->dirty)
		ed->dirty = true;
	else if (p == from + 1)
		emits(ed, "\x1b[C");
	else if (p + 1 == from)
		emits(ed, "\x1b[D");
	else
		ed->dirty = true;
}

/* word_start: where the word before the cursor begins (Ctrl-W). */
static size_t word_start(const struct shell_ed *ed)
{
	size_t p = ed->pos;
	while (p > 0 && ed->line[p - 1] == ' ')
		p--;
	while (p > 0 && ed->line[p - 1] != ' ')
		p--;
	return p;
}

/* hist_move: up (older, dir 1) or down (newer, dir -1) in the history. */
static void hist_move(struct shell_ed *ed, int dir)
{
	if (!ed->hist)
		return;
	if (dir > 0) {
		const char *e = shell_hist_get(ed->hist, ed->hist_at + 1);
		if (!e) {
			emits(ed, "\a");
			return;
		}
		if (ed->hist_at == 0)
			memcpy(ed->saved, ed->line, ed->len + 1);
		ed->hist_at++;
		set_line(ed, e);
		return;
	}
	if (ed->hist_at == 0) {
		emits(ed, "\a");
		return;
	}
	ed->hist_at--;
	set_line(ed, ed->hist_at ? shell_hist_get(ed->hist, ed->hist_at) : ed->saved);
}

/* csi_key: act on a complete ESC [ ... final or ESC O final sequence. */
static void csi_key(struct shell_ed *ed, uint8_t final)
{
	ed->esc_buf[ed->esc_len] = '\0';
	switch (final) {
	case 'A':
		hist_move(ed, 1);
		break;
	case 'B':
		hist_move(ed, -1);
		break;
	case 'C':
		if (ed->pos < ed->len)
			move_to(ed, ed->pos + 1);
		break;
	case 'D':
		if (ed->pos > 0)
			move_to(ed, ed->pos - 1);
		break;
	case 'H':
		move_to(ed, 0);
		break;
	case 'F':
		move_to(ed, ed->len);
		break;
	case '~':
		if (!strcmp(ed->esc_buf, "1") || !strcmp(ed->esc_buf, "7"))
			move_to(ed, 0);
		else if (!strcmp(ed->esc_buf, "4") || !strcmp(ed->esc_buf, "8"))
			move_to(ed, ed->len);
		else if (!strcmp(ed->esc_buf, "3") && ed->pos < ed->len)
			delete_range(ed, ed->pos, ed->pos + 1);
		break; /* others (paste brackets 200~/201~, F-keys): nothing */
	default:
		break;
	}
}

/* end_line: Enter: show the final row, move below it, hand the line over. */
static enum shell_ed_event end_line(struct shell_ed *ed)
{
	if (ed->dirty)
		shell_ed_refresh(ed);
	emits(ed, "\n");
	ed->visible = false;
	return ed->dropped ? SHELL_ED_TOOLONG : SHELL_ED_LINE;
}

/* plain_key: a byte outside any escape sequence. */
static enum shell_ed_event plain_key(struct shell_ed *ed, uint8_t c)
{
	if (c >= 0x20 && c < KEY_DEL) {
		insert_byte(ed, c);
		return SHELL_ED_NONE;
	}
	switch (c) {
	case '\r':
	case '\n':
		return end_line(ed);
	case KEY_CTRL('C'):
		/* "^C" goes after the line's end, with the window scrolled so that it
		 * fits on the row too. */
		ed->pos = ed->len;
		ed->reserve = 2;
		shell_ed_refresh(ed);
		ed->reserve = 0;
		emits(ed, "^C\n");
		ed->visible = false;
		return SHELL_ED_CANCEL;
	case '\t':
		return SHELL_ED_TAB;
	case KEY_DEL:
	case '\b':
		if (ed->pos > 0)
			delete_range(ed, ed->pos - 1, ed->pos);
		break;
	case KEY_CTRL('D'):
		if (ed->pos < ed->len)
			delete_range(ed, ed->pos, ed->pos + 1);
		break;
	case KEY_CTRL('A'):
		move_to(ed, 0);
		break;
	case KEY_CTRL('E'):
		move_to(ed, ed->len);
		break;
	case KEY_CTRL('B'):
		if (ed->pos > 0)
			move_to(ed, ed->pos - 1);
		break;
	case KEY_CTRL('F'):
		if (ed->pos < ed->len)
			move_to(ed, ed->pos + 1);
		break;
	case KEY_CTRL('U'):
		delete_range(ed, 0, ed->pos);
		ed->dirty = true;
		break;
	case KEY_CTRL('K'):
		ed->line[ed->pos] = '\0';
		ed->len = ed->pos;
		ed->dirty = true;
		break;
	case KEY_CTRL('W'):
		delete_range(ed, word_start(ed), ed->pos);
		ed->dirty = true;
		break;
	case KEY_CTRL('L'):
		emits(ed, "\x1b[H\x1b[2J");
		ed->dirty = true;
		break;
	case KEY_CTRL('P'):
		hist_move(ed, 1);
		break;
	case KEY_CTRL('N'):
		hist_move(ed, -1);
		break;
	case KEY_ESC:
		ed->esc = ED_ESC_ESC;
		break;
	default:
		break; /* other controls and bytes >= 0x80: ignored */
	}
	return SHELL_ED_NONE;
}

/* esc_byte: a byte while an escape sequence is open; false when the byte is not
 * part of it (the sequence is dropped and the byte handled as a plain key). */
static bool esc_byte(struct shell_ed *ed, uint8_t c)
{
	switch (ed->esc) {
	case ED_ESC_ESC:
		if (c == '[' || c == 'O') {
			ed->esc = c == '[' ? ED_ESC_CSI : ED_ESC_SS3;
			ed->esc_len = 0;
			ed->esc_long = false;
			return true;
		}
		if (c == KEY_ESC)
			return true;
		ed->esc = ED_ESC_NONE; /* Meta-x: x as itself */
		return false;
	case ED_ESC_CSI:
		if (c >= 0x20 && c <= 0x3f) { /* parameter and intermediate bytes */
			if (ed->esc_len + 1 < sizeof(ed->esc_buf))
				ed->esc_buf[ed->esc_len++] = (char)c;
			else
				ed->esc_long = true;
			return true;
		}
		/* fallthrough */
	case ED_ESC_SS3:
		ed->esc = ED_ESC_NONE;
		if (c < 0x40 || c > 0x7e)
			return false;
		if (!ed->esc_long)
			csi_key(ed, c);
		ed->esc_len = 0;
		return true;
	default:
		return false;
	}
}

size_t shell_ed_feed(struct shell_ed *ed, const uint8_t *in, size_t n, enum shell_ed_event *event)
{
	size_t i = 0;
	*event = SHELL_ED_NONE;
	while (i < n && *event == SHELL_ED_NONE) {
		uint8_t c = in[i++];
		bool after_cr = ed->last_cr;
		ed->last_cr = c == '\r';
		if (c == '\n' && after_cr)
			continue; /* the \n of \r\n: one Enter */
		if (ed->esc != ED_ESC_NONE && esc_byte(ed, c))
			continue;
		*event = plain_key(ed, c);
	}
	if (ed->dirty && ed->visible)
		shell_ed_refresh(ed);
	return i;
}
