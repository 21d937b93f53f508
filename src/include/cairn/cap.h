/* cap: run-time lookups in the capability table generated from
 * components/capabilities.txt by scripts/capgen.py (docs/component-model.md).
 *
 * These functions only answer "does the table allow it?". The caller of every
 * authority-bearing operation passes the *calling thread's* component id as
 * recorded by the scheduler (never an id supplied by its own caller), and on a
 * denial returns the error and writes the audit record
 * "cap: denied caller=<c> callee=<d> op=<o>".
 *
 * The table is immutable after build (static const), so no lock is needed. */
#ifndef CAIRN_CAP_H
#define CAIRN_CAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap_table.h" /* generated: enum cap_comp, CAP_GRANT_*, CAP_START_ORDER_INIT */

/* statefs key rights (a bit set, as in the table's r, w, l letters). */
#define CAP_R 1u /* read a key's value */
#define CAP_W 2u /* put or delete a key */
#define CAP_L 4u /* list keys under a prefix */

/* Kernel privileges, declared per component by `privilege` lines in the table
 * (scripts/capgen.py PRIV_BITS). The kernel core asks cap_has_priv(), never a
 * component's name. */
#define CAP_PRIV_RUN_AS 1u  /* create threads owned by another component (not the kernel) */
#define CAP_PRIV_RESTART 2u /* restart components (supervisor_restart) */
#define CAP_PRIV_CRASH 4u   /* make the kernel core take a fatal fault (trap-report test) */

/* Bit of component id c in a grant row. */
#define CAP_BIT(c) (UINT32_C(1) << (c))

/* One exclusive disk claim: only `owner` may claim the disk with this serial. */
struct cap_disk {
	const char *serial; /* virtio-blk serial, NUL-terminated, <= 20 bytes */
	uint8_t owner;	    /* component id */
	bool rw;	    /* false: the owner may only claim it read-only */
};

/* One statefs key prefix rule; prefixes never nest, so a key matches at most one.
 * The quotas (`quota=`, `keys=` on the line; docs/limits.md) bound what all keys
 * under the prefix hold together; statefs refuses a change over either with
 * CAIRN_EDQUOT. No quota on the line: UINT64_MAX / UINT32_MAX. */
struct cap_prefix {
	const char *prefix;    /* "/state/.../", always ends in '/' */
	uint16_t len;	       /* strlen(prefix) */
	const uint8_t *rights; /* rights[comp], comp_count entries of CAP_R|CAP_W|CAP_L */
	uint64_t quota_bytes;  /* bytes of keys plus values under the prefix */
	uint32_t quota_keys;   /* live keys under the prefix */
};

/* The whole generated table. */
/* What one component may hold at a time (components/capabilities.txt `budget`
 * lines; docs/limits.md). Allocation is charged to the calling thread's
 * component; going over is that component's CAIRN_ENOMEM (heap, pages,
 * threads) or CAIRN_EMFILE (handles), never anybody else's. */
struct cap_budget {
	uint64_t heap;	  /* bytes of malloc'd memory (block headers included) */
	uint32_t pages;	  /* 4 KiB pages from the page pool (thread stacks included) */
	uint32_t threads; /* live threads owned by the component */
	uint32_t handles; /* open handles a component hands out (packagefs files) */
};

struct cap_table {
	unsigned comp_count;		  /* kernel + enabled components, <= 32 */
	const char *const *names;	  /* names[comp] */
	const uint32_t *grants;		  /* grants[caller] & CAP_BIT(callee): may call */
	const uint32_t *needs;		  /* needs[comp] & CAP_BIT(n): comp starts after n */
	const uint32_t *privs;		  /* privs[comp]: CAP_PRIV_* bits */
	const struct cap_budget *budgets; /* budgets[comp] */
	unsigned start_count;		  /* components in start_order */
	const uint8_t *start_order;	  /* component ids, kernel excluded */
	unsigned disk_count;
	const struct cap_disk *disks;
	unsigned prefix_count;
	const struct cap_prefix *prefixes;
};

/* The table of this image (or host test), defined in the generated cap_table.c. */
extern const struct cap_table cap_table;

/* cap_may_call: true when `caller` may call `callee`'s interface. Every component
 * may call itself and the kernel; the kernel may call every component. Unknown
 * ids are never allowed. */
bool cap_may_call(unsigned caller, unsigned callee);

/* cap_has_priv: true when `comp` holds every CAP_PRIV_* bit in `priv`. The
 * kernel (id 0) holds all; unknown ids hold none. */
bool cap_has_priv(unsigned comp, uint32_t priv);

/* cap_disk_claim: may `comp` claim the disk with virtio serial `serial`, for
 * writing when want_rw? 0 when allowed; CAIRN_EPERM when the disk is unlisted or
 * owned by another component (or an argument is invalid); CAIRN_EROFS when comp
 * owns it read-only and asked for rw. Exclusivity at run time (one claim at a
 * time) is the block-device layer's job; this checks the table only. */
int cap_disk_claim(unsigned comp, const char *serial, bool want_rw);

/* cap_prefix_rights: CAP_R|CAP_W|CAP_L bits `comp` holds on statefs key `key`
 * (a key, or a prefix ending in '/' to list). 0 when no rule covers the key, and
 * for keys with empty, "." or ".." segments, which are never authorised. */
unsigned cap_prefix_rights(unsigned comp, const char *key);

/* cap_prefix_index: index in cap_table.prefixes of the rule covering statefs key
 * `key` (byte prefix match), or -1 when none does. */
int cap_prefix_index(const char *key);

/* cap_comp_name: the component's table name, "?" for an unknown id. */
const char *cap_comp_name(unsigned comp);

/* cap_comp_by_name: the id of a named component, or -1 when not in this image. */
int cap_comp_by_name(const char *name);

#endif
