/* libFuzzer target: the statefs key rules and the prefix policy. The input is a
 * component id, a selector (bit 7 clear: start the key with one of the table's
 * prefixes) and key bytes. Each is run through
 *   - statefs_key_check and statefs_prefix_check (what the statefs service
 *     applies to a caller's key or list prefix before anything else), and
 *   - cap_prefix_rights on the generated capability table (the policy lookup),
 * and each answer is compared with an independent reference model written here
 * from the rules in statefs.h and cap.h, not from the code under test:
 *   - a key is accepted iff it is "/state/" + 1..248 bytes of well-formed,
 *     control-free UTF-8 whose '/'-separated segments are none of "", ".", "..";
 *   - a list prefix is "/state/" or an accepted key plus one '/';
 *   - rights are those of the one table prefix whose segments are a proper
 *     leading run of the key's segments, 0 for a key with an empty, "." or ".."
 *     segment (a trailing '/' excepted) and for unknown components.
 * Also: an accepted key never holds a NUL, a control byte or a ".." segment, and
 * never escapes the prefix that grants it rights. There is no normaliser to test
 * for idempotence: statefs rejects every non-canonical spelling instead.
 * A broken oracle calls abort(), which libFuzzer reports as a crash. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/cap.h"
#include "cairn/err.h"
#include "statefs.h"

#define MAX_SEGS 300 /* > the segments of any key this target builds */

/* oracle: abort with a message when cond is false. */
static void oracle(bool cond, const char *what, const char *key, size_t len)
{
	if (cond)
		return;
	fprintf(stderr, "fuzz_key: oracle failed: %s; key (%zu bytes):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, " %02x", (unsigned char)key[i]);
	fprintf(stderr, "\n");
	abort();
}

/* ref_code_point: decode one UTF-8 sequence at p (n bytes left) the long way:
 * count the lead's leading ones, take the payload bits, and require the shortest
 * encoding. Its length and *cp, or 0 when it is not well-formed. */
static size_t ref_code_point(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned ones = 0;
	while (ones < 8 && (p[0] & (0x80u >> ones)))
		ones++;
	if (ones == 0) {
		*cp = p[0];
		return 1;
	}
	if (ones == 1 || ones > 4 || ones > n)
		return 0;
	uint32_t v = p[0] & (0x7Fu >> ones);
	for (unsigned i = 1; i < ones; i++) {
		if ((p[i] >> 6) != 2)
			return 0;
		v = v << 6 | (p[i] & 0x3Fu);
	}
	unsigned shortest = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
	if (shortest != ones)
		return 0;
	*cp = v;
	return ones;
}

/* ref_text_ok: every code point of s[0..n) is a valid, non-control scalar. */
static bool ref_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = ref_code_point(p + i, n - i, &cp);
		if (k == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			return false;
		i += k;
	}
	return true;
}

struct seg {
	const char *s;
	size_t n;
};

/* split: the '/'-separated segments of s[0..n) (n may be 0: one empty segment). */
static size_t split(const char *s, size_t n, struct seg *out, size_t max)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (k == max)
				return max + 1;
			out[k++] = (struct seg){ s + start, i - start };
			start = i + 1;
		}
	}
	return k;
}

/* dot_or_empty: "", "." or "..". */
static bool dot_or_empty(struct seg g)
{
	return g.n == 0 || (g.n == 1 && g.s[0] == '.') ||
	       (g.n == 2 && g.s[0] == '.' && g.s[1] == '.');
}

/* ref_key_ok: the key rule of statefs.h. */
static bool ref_key_ok(const char *k, size_t n)
{
	if (n < 8 || n > STATEFS_KEY_MAX || memcmp(k, "/state/", 7) != 0)
		return false;
	if (!ref_text_ok(k, n))
		return false;
	struct seg g[MAX_SEGS];
	size_t ns = split(k + 7, n - 7, g, MAX_SEGS);
	oracle(ns <= MAX_SEGS, "model: too many segments", k, n);
	for (size_t i = 0; i < ns; i++)
		if (dot_or_empty(g[i]))
			return false;
	return true;
}

/* ref_prefix_ok: the list-prefix rule of statefs.h. */
static bool ref_prefix_ok(const char *k, size_t n)
{
	if (n < 1 || k[n - 1] != '/')
		return false;
	return (n == 7 && memcmp(k, "/state/", 7) == 0) || ref_key_ok(k, n - 1);
}

/* seg_eq: two segments hold the same bytes. */
static bool seg_eq(struct seg a, struct seg b) { return a.n == b.n && memcmp(a.s, b.s, a.n) == 0; }

/* ref_rights: the policy rule of cap.h on C string key. */
static unsigned ref_rights(unsigned comp, const char *key)
{
	size_t n = strlen(key);
	if (comp >= cap_table.comp_count || n == 0 || key[0] != '/')
		return 0;
	struct seg g[MAX_SEGS + 1];
	size_t ns = split(key + 1, n - 1, g, MAX_SEGS);
	if (ns > MAX_SEGS)
		return 0; /* only keys of > 255 bytes get here: never accepted anyway */
	for (size_t i = 0; i < ns; i++)
		if (dot_or_empty(g[i]) && !(i + 1 == ns && g[i].n == 0))
			return 0;
	unsigned rights = 0, matches = 0;
	for (unsigned r = 0; r < cap_table.prefix_count; r++) {
		const struct cap_prefix *p = &cap_table.prefixes[r];
		struct seg pg[MAX_SEGS];
		/* "/a/b/" -> segments a, b (drop the leading and trailing '/'). */
		size_t np = split(p->prefix + 1, strlen(p->prefix) - 2, pg, MAX_SEGS);
		if (np >= ns)
			continue;
		bool same = true;
		for (size_t i = 0; same && i < np; i++)
			same = seg_eq(g[i], pg[i]);
		if (same) {
			rights = p->rights[comp];
			matches++;
		}
	}
	oracle(matches <= 1, "model: table prefixes nest", key, n);
	return rights;
}

/* check_accepted: invariants of a key statefs_key_check accepted. */
static void check_accepted(const char *k, size_t n)
{
	oracle(memchr(k, 0, n) == NULL, "accepted key holds a NUL", k, n);
	for (size_t i = 0; i < n; i++)
		oracle((unsigned char)k[i] >= 0x20 && k[i] != 0x7F,
		       "accepted key holds a control byte", k, n);
	oracle(k[n - 1] != '/', "accepted key ends in '/'", k, n);
	char c[STATEFS_KEY_MAX + 3];
	c[0] = '/';
	memcpy(c + 1, k, n);
	c[n + 1] = '/';
	c[n + 2] = 0;
	oracle(strstr(c, "/../") == NULL && strstr(c, "/./") == NULL && strstr(c + 1, "//") == NULL,
	       "accepted key has a dot or empty segment", k, n);
}

/* check_policy: the table lookup against the model, and that a grant never
 * reaches past the prefix that makes it. */
static void check_policy(unsigned comp, const char *k, size_t n)
{
	char c[STATEFS_KEY_MAX + 8];
	size_t cn = n < sizeof(c) - 1 ? n : sizeof(c) - 1;
	memcpy(c, k, cn);
	c[cn] = 0; /* what the service sees: the C string up to the first NUL */
	unsigned got = cap_prefix_rights(comp, c);
	oracle(got == ref_rights(comp, c), "cap_prefix_rights differs from the model", k, n);
	oracle((got & ~(unsigned)(CAP_R | CAP_W | CAP_L)) == 0, "unknown right bits", k, n);
	if (!got)
		return;
	bool covered = false;
	for (unsigned r = 0; r < cap_table.prefix_count; r++) {
		const struct cap_prefix *p = &cap_table.prefixes[r];
		if (strncmp(c, p->prefix, p->len) == 0 && p->rights[comp] == got)
			covered = true;
	}
	oracle(covered, "rights granted outside every prefix", k, n);
	oracle(strstr(c, "/../") == NULL && strstr(c, "/./") == NULL, "rights on a dot segment", k,
	       n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned comp = data[0] % (cap_table.comp_count + 1u); /* one unknown id too */
	unsigned sel = data[1];
	char k[STATEFS_KEY_MAX * 2 + 64];
	size_t n = 0;
	if (!(sel & 0x80) && cap_table.prefix_count) { /* start under a real prefix */
		const struct cap_prefix *p = &cap_table.prefixes[sel % cap_table.prefix_count];
		memcpy(k, p->prefix, p->len);
		n = p->len;
	}
	size_t rest = size - 2 < sizeof(k) - n ? size - 2 : sizeof(k) - n;
	memcpy(k + n, data + 2, rest);
	n += rest;

	int rc = statefs_key_check(k, n);
	oracle(rc == 0 || rc == CAIRN_EINVAL, "key_check returned an unknown code", k, n);
	oracle((rc == 0) == ref_key_ok(k, n), "key_check differs from the model", k, n);
	if (rc == 0)
		check_accepted(k, n);
	int pc = statefs_prefix_check(k, n);
	oracle(pc == 0 || pc == CAIRN_EINVAL, "prefix_check returned an unknown code", k, n);
	oracle((pc == 0) == ref_prefix_ok(k, n), "prefix_check differs from the model", k, n);
	check_policy(comp, k, n);
	return 0;
}
