/* Run-time lookups in the generated capability table. Pure functions over
 * static const data: no locks, no allocation, safe from any hart. */
#include "cairn/cap.h"

#include <string.h>

#include "cairn/err.h"

/* Whether comp is a valid id in this table. */
static bool valid(unsigned comp) { return comp < cap_table.comp_count; }

/* Whether caller may call callee (grant row lookup). */
bool cap_may_call(unsigned caller, unsigned callee)
{
	if (!valid(caller) || !valid(callee))
		return false;
	return (cap_table.grants[caller] & CAP_BIT(callee)) != 0;
}

/* Whether comp holds the privilege bits priv (kernel: all). */
bool cap_has_priv(unsigned comp, uint32_t priv)
{
	if (comp == 0)
		return true;
	return valid(comp) && (cap_table.privs[comp] & priv) == priv;
}

/* Check comp's right to claim the disk named serial, rw or ro. */
int cap_disk_claim(unsigned comp, const char *serial, bool want_rw)
{
	if (!valid(comp) || serial == NULL)
		return CAIRN_EPERM;
	for (unsigned i = 0; i < cap_table.disk_count; i++) {
		const struct cap_disk *d = &cap_table.disks[i];
		if (strcmp(d->serial, serial) != 0)
			continue;
		if (d->owner != comp)
			return CAIRN_EPERM;
		return (want_rw && !d->rw) ? CAIRN_EROFS : CAIRN_OK;
	}
	return CAIRN_EPERM;
}

/* Whether a path segment of len bytes is empty, "." or "..". */
static bool dot_or_empty(const char *seg, size_t len)
{
	return len == 0 || (len == 1 && seg[0] == '.') ||
	       (len == 2 && seg[0] == '.' && seg[1] == '.');
}

/* Whether key has an empty, "." or ".." segment after its leading '/'. A trailing
 * '/' (a list prefix) is fine. Such keys could alias another prefix if anything
 * ever normalised paths, so they are never authorised. */
static bool bad_segments(const char *key)
{
	const char *seg = key + 1;
	for (;;) {
		const char *end = strchr(seg, '/');
		if (end == NULL) {
			size_t len = strlen(seg);
			return len != 0 && dot_or_empty(seg, len);
		}
		if (dot_or_empty(seg, (size_t)(end - seg)))
			return true;
		seg = end + 1;
	}
}

/* Rights of comp on key: the one non-nesting prefix rule that covers it, if any. */
unsigned cap_prefix_rights(unsigned comp, const char *key)
{
	if (!valid(comp) || key == NULL || key[0] != '/' || bad_segments(key))
		return 0;
	for (unsigned i = 0; i < cap_table.prefix_count; i++) {
		const struct cap_prefix *p = &cap_table.prefixes[i];
		if (strncmp(key, p->prefix, p->len) == 0)
			return p->rights[comp];
	}
	return 0;
}

/* Index of the prefix rule covering key, -1 when none does. */
int cap_prefix_index(const char *key)
{
	if (key == NULL)
		return -1;
	for (unsigned i = 0; i < cap_table.prefix_count; i++) {
		if (strncmp(key, cap_table.prefixes[i].prefix, cap_table.prefixes[i].len) == 0)
			return (int)i;
	}
	return -1;
}

/* Name of comp for logs and audit records. */
const char *cap_comp_name(unsigned comp) { return valid(comp) ? cap_table.names[comp] : "?"; }

/* Id of the component called name, -1 when it is not in this image. */
int cap_comp_by_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (unsigned i = 0; i < cap_table.comp_count; i++) {
		if (strcmp(cap_table.names[i], name) == 0)
			return (int)i;
	}
	return -1;
}
