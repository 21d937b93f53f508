/* shell history: a ring of the last SHELL_HIST_LINES command lines. */
#include <string.h>

#include "shell.h"

/* blank: true for a line of nothing but spaces and tabs. */
static bool blank(const char *s)
{
	for (; *s; s++) {
		if (*s != ' ' && *s != '\t')
			return false;
	}
	return true;
}

void shell_hist_add(struct shell_hist *h, const char *line)
{
	size_t n = strlen(line);
	if (blank(line) || n > SHELL_LINE_MAX)
		return;
	const char *newest = shell_hist_get(h, 1);
	if (newest && !strcmp(newest, line))
		return; /* pressing Enter on a recalled line does not fill the ring */
	memcpy(h->lines[h->head], line, n + 1);
	h->head = (h->head + 1) % SHELL_HIST_LINES;
	if (h->count < SHELL_HIST_LINES)
		h->count++;
}

const char *shell_hist_get(const struct shell_hist *h, unsigned k)
{
	if (k == 0 || k > h->count)
		return NULL;
	return h->lines[(h->head + SHELL_HIST_LINES - k) % SHELL_HIST_LINES];
}
