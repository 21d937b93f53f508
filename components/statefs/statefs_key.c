/* statefs key validation: canonical UTF-8 paths under /state/. Non-canonical
 * forms are rejected, never rewritten, so one key has exactly one spelling. */
#include <string.h>

#include "statefs_internal.h"

/* utf8_seq_len: length of the well-formed UTF-8 sequence at p (at most n bytes
 * available), or 0 when it is malformed, overlong, a surrogate, > U+10FFFF or a
 * control character (C0, DEL, C1): a key reaches console and audit lines, so it
 * must not be able to start a line or an escape sequence there. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned cp, min;
	if (c < 0x80)
		return c < 0x20 || c == 0x7F ? 0 : 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	if (cp >= 0x80 && cp <= 0x9F)
		return 0; /* C1 controls, 0xC2 0x80..0x9F */
	return len;
}

/* segment_ok: a path segment is non-empty and not "." or "..". */
static bool segment_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	if (n == 1 && s[0] == '.')
		return false;
	if (n == 2 && s[0] == '.' && s[1] == '.')
		return false;
	return true;
}

/* statefs_key_check: validate a canonical key (rules in statefs.h). */
int statefs_key_check(const char *key, size_t len)
{
	const size_t plen = sizeof(STATEFS_KEY_PREFIX) - 1;
	if (!key || len <= plen || len > STATEFS_KEY_MAX)
		return CAIRN_EINVAL;
	if (memcmp(key, STATEFS_KEY_PREFIX, plen) != 0)
		return CAIRN_EINVAL;
	const unsigned char *p = (const unsigned char *)key;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return CAIRN_EINVAL;
		i += n;
	}
	size_t seg = plen;
	for (size_t i = plen; i <= len; i++) {
		if (i == len || key[i] == '/') {
			if (!segment_ok(key + seg, i - seg))
				return CAIRN_EINVAL;
			seg = i + 1;
		}
	}
	return 0;
}

/* statefs_prefix_check: validate a list prefix (rules in statefs.h). */
int statefs_prefix_check(const char *prefix, size_t len)
{
	const size_t plen = sizeof(STATEFS_KEY_PREFIX) - 1;
	if (!prefix || len < 2 || prefix[len - 1] != '/')
		return CAIRN_EINVAL;
	if (len == plen && memcmp(prefix, STATEFS_KEY_PREFIX, plen) == 0)
		return 0;
	return statefs_key_check(prefix, len - 1);
}
