/* keystore: device keys that never leave the keystore. The public interface of
 * the image component; every call goes through the capability gate (the caller
 * must be granted keystore) and then the key policy:
 *
 *  - the owner of a key is the calling component, taken from the scheduler's
 *    record of the calling thread, never from an argument;
 *  - "device" names the device identity (owned by keystore); others may use it
 *    only as the table's `keyuse keystore/device NAME:pub,sign` line allows;
 *  - any other name is one of the caller's own keys.
 *
 * Refusals return CAIRN_EACCES and append an audit record printed as
 *   keystore: access denied (path=<owner>/<name> sender=<component>) op=<op>
 * There is no call that returns private key material. Formats, boot flow and
 * threat model: docs/keystore.md.
 *
 * Errors: CAIRN_EPERM not granted keystore (audited by the gate); CAIRN_EAGAIN or
 * CAIRN_ESHUTDOWN keystore not up (it fails closed); CAIRN_EFAULT a bad caller
 * pointer (audited); CAIRN_EINVAL bad name, type, flags or length; CAIRN_ENOENT
 * no such key; CAIRN_ENOTSUP wrong key type for the call; CAIRN_ENODEV no
 * entropy source (create). */
#ifndef KEYSTORE_H
#define KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#define KEYSTORE_DEVICE "device"
#define KEYSTORE_NAME_MAX 63u /* bytes, [a-z0-9_.-], not starting with '.' */
#define KEYSTORE_PUBLIC 32u
#define KEYSTORE_SIG_MAX 64u
#define KEYSTORE_MSG_MAX 4096u /* bytes signed, verified or used as derive info */

#define KEYSTORE_TYPE_ED25519 1u /* signing key */
#define KEYSTORE_TYPE_HMAC 2u	 /* HMAC-SHA256 key */
#define KEYSTORE_TYPE_DERIVE 3u	 /* 256-bit HKDF input key */
#define KEYSTORE_USE_SIGN 0x1u
#define KEYSTORE_USE_VERIFY 0x2u
#define KEYSTORE_USE_DERIVE 0x4u

/* keystore_create: a new key of the caller's (sealed and synced before use). */
int keystore_create(const char *name, unsigned type, unsigned flags);
/* keystore_pub: the 32-byte Ed25519 public key. */
int keystore_pub(const char *name, uint8_t pub[KEYSTORE_PUBLIC]);
/* keystore_sign: signature (Ed25519, 64 bytes) or MAC (HMAC, 32 bytes) of msg
 * into sig (cap bytes); returns its length. */
int keystore_sign(const char *name, const void *msg, size_t len, uint8_t *sig, size_t cap);
/* keystore_verify: 0 valid, CAIRN_EBADMSG not. */
int keystore_verify(const char *name, const void *msg, size_t len, const uint8_t *sig,
		    size_t siglen);
/* keystore_derive: HKDF output bound to the key's owner, name and info. */
int keystore_derive(const char *name, const void *info, size_t infolen, uint8_t *out,
		    size_t outlen);
/* keystore_list: the caller's key names into names[max]; returns the count. */
int keystore_list(char (*names)[KEYSTORE_NAME_MAX + 1], size_t max);
/* keystore_destroy: delete one of the caller's keys (not "device"). */
int keystore_destroy(const char *name);

#endif
