/* shell tokeniser: split a command line into words, in place. The rules are few
 * and strict (spaces separate, double quotes group, backslash escapes), and any
 * input that does not follow them is refused with a reason instead of guessed at. */
#include "cairn/err.h"
#include "shell.h"

/* hexval: value of a hex digit, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* escape: decode the escape at *src (just after the backslash) into *dst;
 * returns 0 or CAIRN_EINVAL. */
static int escape(char **src, char **dst, const char **why)
{
	char *s = *src;
	if (*s == '\0') {
		*why = "backslash at the end of the line";
		return CAIRN_EINVAL;
	}
	if (*s == 'x') {
		int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
		if (hi < 0 || lo < 0) {
			*why = "\\x needs two hex digits";
			return CAIRN_EINVAL;
		}
		if (hi == 0 && lo == 0) {
			*why = "\\x00 is not allowed";
			return CAIRN_EINVAL;
		}
		*(*dst)++ = (char)(hi << 4 | lo);
		*src = s + 3;
		return 0;
	}
	*(*dst)++ = *s;
	*src = s + 1;
	return 0;
}

int shell_parse(char *line, char **argv, int max, const char **why)
{
	char *s = line;
	int argc = 0;
	*why = "";
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return argc;
		if (argc == max) {
			*why = "too many words";
			return CAIRN_E2BIG;
		}
		/* The decoded word is never longer than its source, so it is written over
		 * the source as we go; the separator after it becomes its NUL. */
		char *dst = s;
		argv[argc++] = s;
		bool quoted = false;
		while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
			if (*s == '"') {
				quoted = !quoted;
				s++;
			} else if (*s == '\\') {
				s++;
				int err = escape(&s, &dst, why);
				if (err)
					return err;
			} else {
				*dst++ = *s++;
			}
		}
		if (quoted) {
			*why = "unterminated quote";
			return CAIRN_EINVAL;
		}
		bool end = *s == '\0';
		*dst = '\0';
		if (end)
			return argc;
		s++;
	}
}
