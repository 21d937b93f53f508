/* Test console for the shell engine (see shell_testutil.h). */
#include "shell_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vt_newline: finish the current row. */
static void vt_newline(struct vt *vt)
{
	memcpy(vt->lines[vt->nlines % VT_LINES], vt->row, sizeof(vt->row));
	vt->nlines++;
	memset(vt->row, ' ', vt->cols);
	vt->row[vt->cols] = '\0';
	vt->col = 0;
}

/* vt_csi: a complete CSI sequence. */
static void vt_csi(struct vt *vt, char final)
{
	vt->par[vt->plen] = '\0';
	unsigned n = vt->plen ? (unsigned)atoi(vt->par) : 1;
	switch (final) {
	case 'K':
		if (vt->plen == 0 || !strcmp(vt->par, "0"))
			memset(vt->row + vt->col, ' ', vt->cols - vt->col);
		else
			vt->unknown++;
		break;
	case 'C':
		vt->col = vt->col + n >= vt->cols ? vt->cols - 1 : vt->col + n;
		break;
	case 'D':
		vt->col = n > vt->col ? 0 : vt->col - n;
		break;
	case 'H':
		vt->col = 0;
		break;
	case 'J':
		if (!strcmp(vt->par, "2")) {
			vt->clears++;
			memset(vt->row, ' ', vt->cols);
		} else {
			vt->unknown++;
		}
		break;
	default:
		vt->unknown++;
	}
}

void vt_feed(struct vt *vt, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, vt->fed++) {
		char c = s[i];
		if (vt->esc == 1) {
			vt->esc = c == '[' ? 2 : 0;
			vt->plen = 0;
			if (c != '[')
				vt->unknown++;
			continue;
		}
		if (vt->esc == 2) {
			if ((c >= '0' && c <= '9') || c == ';') {
				if (vt->plen + 1 < sizeof(vt->par))
					vt->par[vt->plen++] = c;
				else
					vt->unknown++;
				continue;
			}
			vt->esc = 0;
			vt_csi(vt, c);
			continue;
		}
		switch (c) {
		case '\x1b':
			vt->esc = 1;
			break;
		case '\r':
			vt->col = 0;
			break;
		case '\n': /* the backend's \n is \r\n on the wire */
			vt_newline(vt);
			break;
		case '\b':
			if (vt->col)
				vt->col--;
			break;
		case '\a':
			vt->bells++;
			break;
		default:
			if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
				vt->unknown++;
				break;
			}
			/* The editor must never reach the last column. */
			if (vt->col >= vt->cols - 1 && vt->editor && !vt->wraps++)
				vt->first_wrap = vt->fed;
			if (vt->col < vt->cols)
				vt->row[vt->col++] = c;
		}
	}
}

/* out_add: record bytes and show them on the model terminal. */
static void out_add(struct tcons *t, const char *s, size_t n)
{
	if (t->out_len + n <= VT_OUT_MAX) {
		memcpy(t->out + t->out_len, s, n);
		t->out_len += n;
		t->out[t->out_len] = '\0';
	}
	vt_feed(&t->vt, s, n);
}

/* t_emit: editor output; must be inside lock()/unlock(). */
static void t_emit(void *ctx, const char *s, size_t n)
{
	struct tcons *t = ctx;
	if (!t->locked)
		t->lock_errors++;
	t->vt.editor = true;
	out_add(t, s, n);
	t->vt.editor = false;
}

/* t_print: command output; must be outside the editor lock. */
static void t_print(void *ctx, const char *s, size_t n)
{
	struct tcons *t = ctx;
	if (t->locked)
		t->lock_errors++;
	t->prints++;
	out_add(t, s, n);
}

/* t_read: hand out queued input once enough prints have happened. */
static size_t t_read(void *ctx, uint8_t *buf, size_t cap)
{
	struct tcons *t = ctx;
	if (!t->in || t->prints < t->in_after_prints)
		return 0;
	size_t n = t->in_len - t->in_pos;
	if (n > cap)
		n = cap;
	if (t->read_chunk && n > t->read_chunk)
		n = t->read_chunk;
	memcpy(buf, t->in + t->in_pos, n);
	t->in_pos += n;
	return n;
}

/* t_lock / t_unlock: track the bracket; nesting is a bug. */
static void t_lock(void *ctx)
{
	struct tcons *t = ctx;
	if (t->locked)
		t->lock_errors++;
	t->locked = true;
}

/* t_unlock: see t_lock. */
static void t_unlock(void *ctx)
{
	struct tcons *t = ctx;
	if (!t->locked)
		t->lock_errors++;
	t->locked = false;
}

void tcons_init(struct tcons *t, unsigned cols)
{
	memset(t, 0, sizeof(*t));
	t->vt.cols = cols;
	memset(t->vt.row, ' ', cols);
	t->out = malloc(VT_OUT_MAX + 1);
	if (!t->out)
		abort();
	t->out[0] = '\0';
	t->be = (struct shell_backend){ .ctx = t,
					.emit = t_emit,
					.print = t_print,
					.read = t_read,
					.lock = t_lock,
					.unlock = t_unlock };
}

void tcons_free(struct tcons *t)
{
	free(t->out);
	t->out = NULL;
}

void tcons_clear_out(struct tcons *t)
{
	t->out_len = 0;
	t->out[0] = '\0';
}

/* trimmed: copy without trailing spaces. */
static const char *trimmed(const char *s, unsigned cols)
{
	static char buf[SHELL_COLS_MAX + 1];
	size_t n = strnlen(s, cols);
	memcpy(buf, s, n);
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	return buf;
}

const char *tcons_row(struct tcons *t) { return trimmed(t->vt.row, t->vt.cols); }

const char *tcons_line(struct tcons *t, unsigned k)
{
	if (k == 0 || k > t->vt.nlines || k > VT_LINES)
		return "";
	return trimmed(t->vt.lines[(t->vt.nlines - k) % VT_LINES], t->vt.cols);
}

unsigned tcons_count(const struct tcons *t, const char *needle)
{
	unsigned n = 0;
	size_t len = strlen(needle);
	for (const char *p = t->out; (p = strstr(p, needle)); p += len)
		n++;
	return n;
}
