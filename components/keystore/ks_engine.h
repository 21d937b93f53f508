/* keystore engine: the boot flow (first boot creates the device identity, later
 * boots load it, anything unopenable fails closed), the key table, the usage
 * policy and the operations behind keystore.h. Plain C with no hardware and no
 * kernel: the component (keystore_component.c) plugs statefs, virtio-rng, the
 * capability table's keyuse lines, the console and the audit ring into struct
 * ks_env; host tests plug in memory and capture every line.
 *
 * Secrets (the root secret, the KEK, key material, the DRBG state) live only in
 * struct keystore and on the stack of its functions, and leave it only sealed
 * (ks_record_seal) into env->put. No log or audit line carries more than
 * component names, key names, types, error names and the first 8 bytes of a
 * public key. */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "ks_format.h"

#define KS_PREFIX "/state/keystore/"
#define KS_PATH_MAX 128u /* >= len(prefix) + owner + '/' + name + NUL */
#define KS_SLOTS 32u	 /* keys held in memory (all owners) */
#define KS_DEVICE_OWNER "keystore"
#define KS_DEVICE_NAME "device"
#define KS_RAW_ENTROPY 256u /* raw bytes for 256 bits at H = 1 bit/byte */
#define KS_RAW_NONCE 128u   /* raw bytes for the 128-bit DRBG nonce */
#define KS_SIG_MAX 64u

/* Rights of a keyuse grant on another component's key. */
#define KS_RIGHT_PUB 0x1u
#define KS_RIGHT_SIGN 0x2u

/* What the engine needs from its host. ctx is passed back to every call. */
struct ks_env {
	void *ctx;
	/* storage under /state/keystore/ (statefs service semantics) */
	int (*get)(void *ctx, const char *key, void *buf, size_t cap);
	int (*put)(void *ctx, const char *key, const void *val, size_t len);
	int (*del)(void *ctx, const char *key);
	/* list: keys under prefix strictly after `after` ("" to start), up to max,
	 * in byte order, each a NUL-terminated path in keys[i]; returns the count. */
	int (*list)(void *ctx, const char *prefix, const char *after, char (*keys)[KS_PATH_MAX],
		    size_t max);
	int (*sync)(void *ctx);
	/* entropy: len health-tested raw bytes; CAIRN_ENODEV without a source,
	 * another negative code when the source failed. */
	int (*entropy)(void *ctx, void *buf, size_t len);
	/* key_allowed: the table's keyuse lines: may user use owner/name with right? */
	bool (*key_allowed)(void *ctx, const char *user, const char *owner, const char *name,
			    unsigned right);
	/* log: one console line (no newline). audit: an integrity or recovery event
	 * (op "boot" or "recover") with a short subject. denied: a policy refusal
	 * of caller's op on key ("owner/name"); the host prints and records it as
	 *   keystore: access denied (path=<key> sender=<caller>) op=<op> */
	void (*log)(void *ctx, const char *line);
	void (*audit)(void *ctx, const char *op, const char *subject);
	void (*denied)(void *ctx, const char *caller, const char *key, const char *op);
};

enum ks_state {
	KS_DOWN = 0,
	KS_UP,
	KS_FAILED, /* fail closed: every operation ESHUTDOWN */
};

/* One key held in memory. */
struct ks_slot {
	bool used;
	char owner[KS_OWNER_MAX + 1];
	char name[KS_NAME_MAX + 1];
	struct ks_meta m;
	uint8_t secret[KS_KEY];
};

/* The keystore instance. Not locked: the component serialises calls on its mutex. */
struct keystore {
	const struct ks_env *env;
	enum ks_state state;
	bool have_drbg;	     /* false: no entropy, creation refused */
	uint64_t boot_count; /* recorded in new records */
	struct crypto_drbg drbg;
	uint8_t kek[KS_KEY];
	struct ks_slot slots[KS_SLOTS];
	char device_pub16[17]; /* first 16 hex digits of the device public key */
};

/* Boot options. */
#define KS_BOOT_RECOVER 0x1u /* the audited recovery action (boot argument) */

/* ks_boot: bring the keystore up. secret/len is sector 0 of the devsecret disk
 * (NULL when there is none). Returns 0 (KS_UP) or a negative code with the
 * keystore KS_FAILED and the reason logged and audited: CAIRN_ENODEV no root
 * secret, or no entropy where a key must be made; CAIRN_EBADMSG malformed root
 * secret, or a record that does not open; CAIRN_EIO storage errors. */
int ks_boot(struct keystore *ks, const struct ks_env *env, const uint8_t *secret, size_t len,
	    uint64_t boot_count, unsigned flags);
/* ks_shutdown: wipe every secret; the instance is KS_DOWN. */
void ks_shutdown(struct keystore *ks);

/* Operations. caller is the calling component's name, as the scheduler recorded
 * it (the component glue takes it from the calling thread, never from an
 * argument). name "device" is the device identity (owner keystore, usable by
 * others only as the table's keyuse lines allow); any other name is one of the
 * caller's own keys. Common errors: CAIRN_ESHUTDOWN keystore failed or down,
 * CAIRN_EINVAL bad name/type/flags/length, CAIRN_ENOENT no such key,
 * CAIRN_EACCES denied by policy (audited), CAIRN_ENOTSUP wrong key type. */
int ks_create(struct keystore *ks, const char *caller, const char *name, uint8_t type,
	      uint16_t flags);
int ks_pub(struct keystore *ks, const char *caller, const char *name, uint8_t pub[KS_PUBLIC]);
/* ks_sign: Ed25519 signature (64 bytes) or HMAC-SHA256 (32 bytes) into sig
 * (cap bytes); returns the length. */
int ks_sign(struct keystore *ks, const char *caller, const char *name, const void *msg, size_t len,
	    uint8_t *sig, size_t cap);
/* ks_verify: 0 when sig is valid, CAIRN_EBADMSG when not. */
int ks_verify(struct keystore *ks, const char *caller, const char *name, const void *msg,
	      size_t len, const uint8_t *sig, size_t siglen);
/* ks_derive: HKDF-SHA256 output (1..255*32 bytes) from a derivation key, bound to
 * owner, name and info. */
int ks_derive(struct keystore *ks, const char *caller, const char *name, const void *info,
	      size_t infolen, uint8_t *out, size_t outlen);
/* ks_list: the caller's key names (in slot order) into names; returns the count. */
int ks_list(struct keystore *ks, const char *caller, char (*names)[KS_NAME_MAX + 1], size_t max);
/* ks_destroy: delete one of the caller's keys (record and memory); the device
 * identity is refused (CAIRN_EPERM: only recovery replaces it). */
int ks_destroy(struct keystore *ks, const char *caller, const char *name);

#endif
