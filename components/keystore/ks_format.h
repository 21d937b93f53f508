/* keystore on-disk formats (docs/keystore.md has the byte tables): the device
 * root secret disk ("devsecret", the stand-in for a fused hardware unique key)
 * and the sealed key record stored under /state/keystore/<owner>/<name>. Plain C
 * shared by the component, mkdevsecret, keystore-inspect and the host tests.
 * All integers are little-endian. */
#ifndef KS_FORMAT_H
#define KS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- device root secret (sector 0 of the devsecret disk) ------------------- */

#define KS_DEVSECRET_MAGIC "CAIRNHUK" /* 8 bytes, no NUL */
#define KS_DEVSECRET_VERSION 1u
#define KS_DEVSECRET_SECRET 32u
#define KS_DEVSECRET_HEADER 52u	 /* magic..crc */
#define KS_DEVSECRET_SECTOR 512u /* the format occupies sector 0 */
#define KS_DEVSECRET_IMAGE 4096u /* what mkdevsecret writes (8 sectors) */

/* ks_devsecret_parse: check a devsecret sector (len >= 512: magic, version,
 * zero flags, CRC32-C, zero padding, not an all-zero secret) and copy the
 * secret. 0; CAIRN_EINVAL len too short; CAIRN_EBADMSG malformed, with *why
 * (if not NULL) set to a short reason that names no secret byte. */
int ks_devsecret_parse(const uint8_t *buf, size_t len, uint8_t secret[KS_DEVSECRET_SECRET],
		       const char **why);
/* ks_devsecret_build: the 512-byte sector 0 holding secret. */
void ks_devsecret_build(uint8_t sector[KS_DEVSECRET_SECTOR],
			const uint8_t secret[KS_DEVSECRET_SECRET]);

/* ---- key-encryption key ------------------------------------------------------ */

/* The KEK is HKDF-SHA256(salt = KS_KEK_SALT, ikm = root secret, info = KS_KEK_INFO):
 * derived at boot, kept only in keystore's memory, never stored. A new label
 * version means a new KEK (records would need re-sealing: none exists yet). */
#define KS_KEK_SALT "cairn-keystore"
#define KS_KEK_INFO "cairn keystore kek v1"
#define KS_KEY 32u

/* ks_kek_derive: kek = HKDF-SHA256 over the root secret with the v1 label; 0. */
int ks_kek_derive(const uint8_t secret[KS_DEVSECRET_SECRET], uint8_t kek[KS_KEY]);

/* ---- sealed key record ---------------------------------------------------------- */

#define KS_RECORD_MAGIC "CKSR"
#define KS_RECORD_VERSION 1u
#define KS_RECORD_SIZE 116u
#define KS_RECORD_HEADER 64u /* bytes 0..63: bound as associated data */
#define KS_NONCE 12u
#define KS_PUBLIC 32u

/* Key types (byte 5). */
#define KS_TYPE_ED25519 1u /* signing key: 32-byte seed, public key stored */
#define KS_TYPE_HMAC 2u	   /* HMAC-SHA256 key: 32 bytes */
#define KS_TYPE_DERIVE 3u  /* 256-bit HKDF input key */

/* Usage flags (bytes 6-7); each type allows exactly the flags below. */
#define KS_USE_SIGN 0x1u   /* ed25519: sign; hmac: MAC */
#define KS_USE_VERIFY 0x2u /* ed25519: verify; hmac: MAC check */
#define KS_USE_DERIVE 0x4u /* derive: HKDF output */

#define KS_OWNER_MAX 31u /* bytes: a component name [a-z0-9_] */
#define KS_NAME_MAX 63u	 /* bytes: [a-z0-9_.-], not starting with '.' */

/* Decoded, non-secret part of a record. */
struct ks_meta {
	uint8_t type;
	uint16_t flags;
	uint64_t created_boot; /* statefs boot count at creation */
	uint8_t nonce[KS_NONCE];
	uint8_t pub[KS_PUBLIC]; /* ed25519 public key; zeros for other types */
};

/* ks_type_flags_ok: true when type is known and flags are allowed for it. */
bool ks_type_flags_ok(uint8_t type, uint16_t flags);
/* ks_owner_ok / ks_name_ok: the character and length rules above. */
bool ks_owner_ok(const char *owner);
bool ks_name_ok(const char *name);
/* ks_record_key: "/state/keystore/<owner>/<name>" into out (cap bytes); 0 or
 * CAIRN_EINVAL (bad owner or name, or cap too small). */
int ks_record_key(char *out, size_t cap, const char *owner, const char *name);

/* ks_record_seal: build a record sealing secret (32 bytes) under kek with the
 * given metadata (nonce must be fresh: the caller draws it from the DRBG). The
 * associated data binds the whole header (type, flags, boot count, nonce, public
 * key) plus owner and name. 0 or CAIRN_EINVAL (bad owner/name/type/flags). */
int ks_record_seal(uint8_t rec[KS_RECORD_SIZE], const uint8_t kek[KS_KEY], const struct ks_meta *m,
		   const char *owner, const char *name, const uint8_t secret[KS_KEY]);
/* ks_record_parse: check length, magic, version, reserved bytes, type/flags and
 * CRC, and decode the metadata; needs no key. 0 or CAIRN_EBADMSG with *why. */
int ks_record_parse(const uint8_t *rec, size_t len, struct ks_meta *m, const char **why);
/* ks_record_open: parse, then authenticate and decrypt under kek for this owner
 * and name. 0; CAIRN_EBADMSG (damaged, tampered, moved, or another root secret;
 * secret is zeroed). */
int ks_record_open(const uint8_t *rec, size_t len, const uint8_t kek[KS_KEY], const char *owner,
		   const char *name, struct ks_meta *m, uint8_t secret[KS_KEY], const char **why);

#endif
