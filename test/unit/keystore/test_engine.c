/* keystore engine over an in-memory store: first boot creates, later boots load
 * the same key, tampering / another root secret / no root secret / a malformed
 * one / a moved or missing record fail closed without writing, recovery makes a
 * new identity, no entropy refuses creation but loads, the policy (own keys,
 * keyuse grants on the device key, audited denials), and the check that no
 * secret ever reaches a log line, an audit record, a stored value in clear, or
 * an output buffer - with a fixed DRBG seed so every run is the same. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "crypto.h"
#include "ks_engine.h"

/* ---- the test environment ------------------------------------------------------ */

#define MAXREC 48
#define TEXT_CAP (1 << 16)

struct mem {
	char key[MAXREC][KS_PATH_MAX];
	uint8_t val[MAXREC][KS_RECORD_SIZE + 8];
	size_t len[MAXREC];
	bool used[MAXREC];
	int puts, dels, syncs;
	bool no_entropy;
	uint64_t rng;	     /* the fixed "raw entropy" stream */
	char text[TEXT_CAP]; /* every log line and audit record */
	size_t textlen;
	uint8_t out[TEXT_CAP]; /* every stored value and API output */
	size_t outlen;
};

static struct mem M;

/* note: append bytes to a capture buffer (bounded: the test fails if full). */
static void note(uint8_t *buf, size_t *len, size_t cap, const void *p, size_t n)
{
	ck_assert_uint_le(*len + n, cap);
	memcpy(buf + *len, p, n);
	*len += n;
}

static int slot_of(const char *key)
{
	for (int i = 0; i < MAXREC; i++)
		if (M.used[i] && !strcmp(M.key[i], key))
			return i;
	return -1;
}

static int m_get(void *ctx, const char *key, void *buf, size_t cap)
{
	(void)ctx;
	int i = slot_of(key);
	if (i < 0)
		return CAIRN_ENOENT;
	if (M.len[i] > cap)
		return CAIRN_ERANGE;
	memcpy(buf, M.val[i], M.len[i]);
	return (int)M.len[i];
}

static int m_put(void *ctx, const char *key, const void *val, size_t len)
{
	(void)ctx;
	int i = slot_of(key);
	for (int j = 0; i < 0 && j < MAXREC; j++)
		if (!M.used[j])
			i = j;
	ck_assert_int_ge(i, 0);
	ck_assert_uint_le(len, sizeof M.val[i]);
	M.used[i] = true;
	strcpy(M.key[i], key);
	memcpy(M.val[i], val, len);
	M.len[i] = len;
	M.puts++;
	note(M.out, &M.outlen, sizeof M.out, val, len);
	return 0;
}

static int m_del(void *ctx, const char *key)
{
	(void)ctx;
	int i = slot_of(key);
	if (i < 0)
		return CAIRN_ENOENT;
	M.used[i] = false;
	M.dels++;
	return 0;
}

static int m_list(void *ctx, const char *prefix, const char *after, char (*keys)[KS_PATH_MAX],
		  size_t max)
{
	(void)ctx;
	size_t n = 0;
	const char *last = after;
	/* repeated minimum selection: byte order, strictly after `after` */
	while (n < max) {
		int best = -1;
		for (int i = 0; i < MAXREC; i++)
			if (M.used[i] && !strncmp(M.key[i], prefix, strlen(prefix)) &&
			    strcmp(M.key[i], last) > 0 &&
			    (best < 0 || strcmp(M.key[i], M.key[best]) < 0))
				best = i;
		if (best < 0)
			break;
		strcpy(keys[n], M.key[best]);
		last = keys[n++];
	}
	return (int)n;
}

static int m_sync(void *ctx)
{
	(void)ctx;
	M.syncs++;
	return 0;
}

static int m_entropy(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	uint8_t *p = buf;
	if (M.no_entropy)
		return CAIRN_ENODEV;
	for (size_t i = 0; i < len; i++) {
		uint64_t z = (M.rng += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		p[i] = (uint8_t)(z ^ (z >> 31));
	}
	return 0;
}

/* m_allowed: the test's keyuse table: shell may pub+sign, selftest may pub. */
static bool m_allowed(void *ctx, const char *user, const char *owner, const char *name,
		      unsigned right)
{
	(void)ctx;
	if (strcmp(owner, "keystore") || strcmp(name, "device"))
		return false;
	if (!strcmp(user, "shell"))
		return !(right & ~(KS_RIGHT_PUB | KS_RIGHT_SIGN));
	if (!strcmp(user, "selftest"))
		return right == KS_RIGHT_PUB;
	return false;
}

static void m_log(void *ctx, const char *line)
{
	(void)ctx;
	note((uint8_t *)M.text, &M.textlen, sizeof M.text - 1, line, strlen(line));
	note((uint8_t *)M.text, &M.textlen, sizeof M.text - 1, "\n", 1);
	M.text[M.textlen] = 0;
}

static void m_audit(void *ctx, const char *op, const char *subject)
{
	m_log(ctx, "AUDIT");
	m_log(ctx, op);
	m_log(ctx, subject);
}

/* m_denied: formats the line as the image's audit printer does. */
static void m_denied(void *ctx, const char *caller, const char *key, const char *op)
{
	char line[200];

	snprintf(line, sizeof line, "keystore: access denied (path=%s sender=%s) op=%s", key,
		 caller, op);
	m_audit(ctx, op, line);
}

static const struct ks_env ENV = {
	.get = m_get,
	.put = m_put,
	.del = m_del,
	.list = m_list,
	.sync = m_sync,
	.entropy = m_entropy,
	.key_allowed = m_allowed,
	.log = m_log,
	.audit = m_audit,
	.denied = m_denied,
};

/* reset: an empty store, the fixed entropy seed, empty captures. */
static void reset(void)
{
	memset(&M, 0, sizeof M);
	M.rng = 20261202;
}

/* devsecret: a root-secret sector for test secret number n. */
static void devsecret(uint8_t sec[KS_DEVSECRET_SECTOR], uint8_t root[32], int n)
{
	for (int i = 0; i < 32; i++)
		root[i] = (uint8_t)(n * 31 + i * 7 + 1);
	ks_devsecret_build(sec, root);
}

/* logged: true when the captured text contains s. */
static bool logged(const char *s) { return strstr(M.text, s) != NULL; }

/* pub16: the first 16 hex digits of pub. */
static void pub16(char out[17], const uint8_t *pub)
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", pub[i]);
}

/* ---- the secret scan ------------------------------------------------------------ */

/* contains: true when any 8-byte window of secret occurs in hay (raw), or its
 * hex (either case) occurs in text. */
static bool leaked(const uint8_t *secret, size_t n)
{
	for (size_t off = 0; off + 8 <= n; off++) {
		const uint8_t *w = secret + off;
		for (size_t i = 0; i + 8 <= M.outlen; i++)
			if (!memcmp(M.out + i, w, 8))
				return true;
		for (size_t i = 0; i + 8 <= M.textlen; i++)
			if (!memcmp(M.text + i, w, 8))
				return true;
		char lo[17], up[17];
		for (int i = 0; i < 8; i++) {
			snprintf(lo + 2 * i, 3, "%02x", w[i]);
			snprintf(up + 2 * i, 3, "%02X", w[i]);
		}
		if (strstr(M.text, lo) || strstr(M.text, up))
			return true;
	}
	return false;
}

/* assert_no_leak: the root secret, the KEK, the DRBG state and every key in ks
 * appear nowhere in what left the keystore. */
static void assert_no_leak(const struct keystore *ks, const uint8_t root[32])
{
	uint8_t kek[32];

	ck_assert_int_eq(ks_kek_derive(root, kek), 0);
	ck_assert_msg(!leaked(root, 32), "root secret leaked");
	ck_assert_msg(!leaked(kek, 32), "KEK leaked");
	ck_assert_msg(!leaked(ks->drbg.k, 32) && !leaked(ks->drbg.v, 32), "DRBG state leaked");
	int keys = 0;
	for (size_t i = 0; i < KS_SLOTS; i++)
		if (ks->slots[i].used) {
			ck_assert_msg(!leaked(ks->slots[i].secret, 32), "key %s/%s leaked",
				      ks->slots[i].owner, ks->slots[i].name);
			keys++;
		}
	ck_assert_int_gt(keys, 0);
}

/* ---- tests ---------------------------------------------------------------------- */

/* test_keystore_first_and_later_boots: boot 1 creates (put, sync, marker with
 * the public key's hex), boots 2 and 3 load the same key without writing. */
START_TEST(test_keystore_first_and_later_boots)
{
	uint8_t sec[512], root[32], pub[32], pub2[32];
	char want[80], hex[17];
	struct keystore ks;

	reset();
	devsecret(sec, root, 1);
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 1, 0), 0);
	ck_assert_int_eq(ks.state, KS_UP);
	ck_assert_int_eq(M.puts, 1);
	ck_assert_int_ge(M.syncs, 1);
	ck_assert_int_ge(slot_of("/state/keystore/keystore/device"), 0);
	ck_assert_int_eq(ks_pub(&ks, "keystore", "device", pub), 0);
	pub16(hex, pub);
	snprintf(want, sizeof want, "keystore: device key created pub=%s\n", hex);
	ck_assert_msg(logged(want), "no creation marker in:\n%s", M.text);
	assert_no_leak(&ks, root);
	ks_shutdown(&ks);

	for (int boot = 2; boot <= 3; boot++) {
		int puts = M.puts;
		M.textlen = 0;
		M.text[0] = 0;
		ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, (uint64_t)boot, 0), 0);
		ck_assert_int_eq(M.puts, puts);
		ck_assert_int_eq(ks_pub(&ks, "keystore", "device", pub2), 0);
		ck_assert_mem_eq(pub, pub2, 32);
		snprintf(want, sizeof want, "keystore: device key loaded pub=%s\n", hex);
		ck_assert_msg(logged(want), "no load marker in:\n%s", M.text);
		ks_shutdown(&ks);
	}
}
END_TEST

/* boot_fresh: an empty store booted once with root secret n. */
static void boot_fresh(struct keystore *ks, uint8_t sec[512], uint8_t root[32], int n)
{
	reset();
	devsecret(sec, root, n);
	ck_assert_int_eq(ks_boot(ks, &ENV, sec, 512, 1, 0), 0);
}

/* assert_failed_closed: the boot failed with err, logged "fail closed" and an
 * audit record, wrote nothing, and every operation is refused. */
static void assert_failed_closed(struct keystore *ks, int got, int err, int puts, int dels)
{
	uint8_t pub[32];

	ck_assert_int_eq(got, err);
	ck_assert_int_eq(ks->state, KS_FAILED);
	ck_assert_msg(logged("fail closed") && logged("AUDIT"), "%s", M.text);
	ck_assert_int_eq(M.puts, puts);
	ck_assert_int_eq(M.dels, dels);
	ck_assert_int_eq(ks_pub(ks, "keystore", "device", pub), CAIRN_ESHUTDOWN);
	ck_assert_int_eq(ks_create(ks, "shell", "k", KS_TYPE_HMAC, KS_USE_SIGN), CAIRN_ESHUTDOWN);
	for (size_t i = 0; i < sizeof ks->kek; i++)
		ck_assert_uint_eq(ks->kek[i], 0);
}

/* test_keystore_tamper_fails_closed_then_recovery: one flipped byte anywhere in
 * the device record: fail closed, not regenerated; recovery (audited) makes a
 * new key, and later boots load the new one. */
START_TEST(test_keystore_tamper_fails_closed_then_recovery)
{
	uint8_t sec[512], root[32], pub[32], pub2[32];
	struct keystore ks;

	for (size_t at = 0; at < KS_RECORD_SIZE; at += 13) {
		boot_fresh(&ks, sec, root, 2);
		ck_assert_int_eq(ks_pub(&ks, "keystore", "device", pub), 0);
		ks_shutdown(&ks);
		int i = slot_of("/state/keystore/keystore/device");
		M.val[i][at] ^= 0x20;
		int puts = M.puts;
		ck_assert(!logged("does not open"));
		assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 2, 0), CAIRN_EBADMSG,
				     puts, 0);
		ck_assert(logged("record does not open: /state/keystore/keystore/device"));
		ck_assert(!logged("device key created pub=") || M.puts == 1);
	}
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 3, KS_BOOT_RECOVER), 0);
	ck_assert(logged("keystore: recovery requested: destroying the device identity"));
	ck_assert(logged("AUDIT\nrecover\n"));
	ck_assert(logged("new device identity created"));
	ck_assert_int_eq(ks_pub(&ks, "keystore", "device", pub2), 0);
	ck_assert(memcmp(pub, pub2, 32) != 0);
	ks_shutdown(&ks);
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 4, 0), 0);
	ck_assert_int_eq(ks_pub(&ks, "keystore", "device", pub), 0);
	ck_assert_mem_eq(pub, pub2, 32);
	ks_shutdown(&ks);
}
END_TEST

/* test_keystore_wrong_secret_fails_closed: another root secret does not open the
 * records; nothing is written or deleted. */
START_TEST(test_keystore_wrong_secret_fails_closed)
{
	uint8_t sec[512], root[32];
	struct keystore ks;

	boot_fresh(&ks, sec, root, 3);
	ks_shutdown(&ks);
	devsecret(sec, root, 4);
	int puts = M.puts;
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 2, 0), CAIRN_EBADMSG, puts,
			     0);
	ck_assert(logged("another root secret"));
}
END_TEST

/* test_keystore_no_or_malformed_secret: no disk, a bad CRC, a short read. */
START_TEST(test_keystore_no_or_malformed_secret)
{
	uint8_t sec[512], root[32];
	struct keystore ks;

	reset();
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, NULL, 0, 1, 0), CAIRN_ENODEV, 0, 0);
	ck_assert(logged("keystore: no device root secret: devsecret disk missing: fail closed"));
	reset();
	devsecret(sec, root, 1);
	sec[20] ^= 1;
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 1, 0), CAIRN_EBADMSG, 0, 0);
	ck_assert(logged("keystore: device root secret malformed: CRC mismatch: fail closed"));
	reset();
	sec[20] ^= 1;
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, 100, 1, 0), CAIRN_EBADMSG, 0, 0);
	ck_assert(logged("device root secret malformed: shorter than one sector"));
}
END_TEST

/* test_keystore_no_entropy: first boot refuses to create (fail closed, nothing
 * stored); a later boot without entropy loads, and creation is refused. */
START_TEST(test_keystore_no_entropy)
{
	uint8_t sec[512], root[32], pub[32];
	struct keystore ks;

	reset();
	M.no_entropy = true;
	devsecret(sec, root, 5);
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 1, 0), CAIRN_ENODEV, 0, 0);
	ck_assert(logged("keystore: no entropy source: refusing to create the device key: fail "
			 "closed"));
	M.no_entropy = false;
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 2, 0), 0);
	ks_shutdown(&ks);
	M.no_entropy = true;
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 3, 0), 0);
	ck_assert(logged("device key loaded"));
	ck_assert_int_eq(ks_pub(&ks, "shell", "device", pub), 0);
	ck_assert_int_eq(ks_create(&ks, "shell", "k", KS_TYPE_HMAC, KS_USE_SIGN), CAIRN_ENODEV);
	ck_assert(logged("keystore: no entropy source: refusing to create key shell/k"));
	/* recovery without entropy is refused rather than leaving no identity */
	ks_shutdown(&ks);
	int dels = M.dels, puts = M.puts;
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 4, KS_BOOT_RECOVER),
			     CAIRN_ENODEV, puts, dels);
}
END_TEST

/* test_keystore_moved_or_missing_record: the device record copied to another
 * name or owner does not open there; a store with records but no device record
 * fails closed. */
START_TEST(test_keystore_moved_or_missing_record)
{
	uint8_t sec[512], root[32];
	struct keystore ks;

	boot_fresh(&ks, sec, root, 6);
	ck_assert_int_eq(ks_create(&ks, "shell", "k1", KS_TYPE_HMAC, KS_USE_SIGN | KS_USE_VERIFY),
			 0);
	ks_shutdown(&ks);
	int d = slot_of("/state/keystore/keystore/device");
	ck_assert_int_eq(m_put(NULL, "/state/keystore/shell/device", M.val[d], M.len[d]), 0);
	int puts = M.puts;
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 2, 0), CAIRN_EBADMSG, puts,
			     0);
	ck_assert(logged("/state/keystore/shell/device: does not authenticate"));
	ck_assert_int_eq(m_del(NULL, "/state/keystore/shell/device"), 0);
	ck_assert_int_eq(m_del(NULL, "/state/keystore/keystore/device"), 0);
	M.textlen = 0;
	M.text[0] = 0;
	assert_failed_closed(&ks, ks_boot(&ks, &ENV, sec, sizeof sec, 3, 0), CAIRN_EBADMSG, puts,
			     M.dels);
	ck_assert(logged("device key record missing: other records exist: fail closed"));
}
END_TEST

/* test_keystore_api_and_policy: own keys of every type; the device key through
 * keyuse grants; denials audited; no call hands out a secret. */
START_TEST(test_keystore_api_and_policy)
{
	uint8_t sec[512], root[32], pub[32], sig[64], mac[32], d1[48], d2[48];
	char names[8][KS_NAME_MAX + 1];
	struct keystore ks;
	static const char msg[] = "attest me";

	boot_fresh(&ks, sec, root, 7);
	ck_assert_int_eq(
		ks_create(&ks, "shell", "sig", KS_TYPE_ED25519, KS_USE_SIGN | KS_USE_VERIFY), 0);
	ck_assert_int_eq(ks_create(&ks, "shell", "sig", KS_TYPE_ED25519, KS_USE_SIGN),
			 CAIRN_EEXIST);
	ck_assert_int_eq(ks_create(&ks, "shell", "mac", KS_TYPE_HMAC, KS_USE_SIGN | KS_USE_VERIFY),
			 0);
	ck_assert_int_eq(ks_create(&ks, "statefs", "journal", KS_TYPE_DERIVE, KS_USE_DERIVE), 0);
	ck_assert_int_eq(ks_create(&ks, "shell", "bad", KS_TYPE_DERIVE, KS_USE_SIGN), CAIRN_EINVAL);
	ck_assert_int_eq(ks_create(&ks, "shell", "a/b", KS_TYPE_HMAC, KS_USE_SIGN), CAIRN_EINVAL);
	ck_assert_int_eq(ks_create(&ks, "shell", "device", KS_TYPE_HMAC, KS_USE_SIGN),
			 CAIRN_EACCES);

	/* own Ed25519 key: sign, verify, refuse a forgery */
	ck_assert_int_eq(ks_sign(&ks, "shell", "sig", msg, sizeof msg, sig, sizeof sig), 64);
	note(M.out, &M.outlen, sizeof M.out, sig, 64);
	ck_assert_int_eq(ks_verify(&ks, "shell", "sig", msg, sizeof msg, sig, 64), 0);
	ck_assert_int_eq(ks_pub(&ks, "shell", "sig", pub), 0);
	ck_assert_int_eq(crypto_ed25519_verify(sig, msg, sizeof msg, pub), 0);
	sig[5] ^= 1;
	ck_assert_int_eq(ks_verify(&ks, "shell", "sig", msg, sizeof msg, sig, 64), CAIRN_EBADMSG);
	ck_assert_int_eq(ks_sign(&ks, "shell", "sig", msg, sizeof msg, sig, 63), CAIRN_ERANGE);
	/* another component's key of the same name is simply not there */
	ck_assert_int_eq(ks_sign(&ks, "bootctl", "sig", msg, sizeof msg, sig, sizeof sig),
			 CAIRN_ENOENT);

	/* HMAC key */
	ck_assert_int_eq(ks_sign(&ks, "shell", "mac", msg, sizeof msg, mac, sizeof mac), 32);
	note(M.out, &M.outlen, sizeof M.out, mac, 32);
	ck_assert_int_eq(ks_verify(&ks, "shell", "mac", msg, sizeof msg, mac, 32), 0);
	mac[0] ^= 1;
	ck_assert_int_eq(ks_verify(&ks, "shell", "mac", msg, sizeof msg, mac, 32), CAIRN_EBADMSG);
	ck_assert_int_eq(ks_pub(&ks, "shell", "mac", pub), CAIRN_ENOTSUP);

	/* derivation key: deterministic, bound to info; wrong types refused */
	ck_assert_int_eq(ks_derive(&ks, "statefs", "journal", "mac v1", 6, d1, sizeof d1), 0);
	ck_assert_int_eq(ks_derive(&ks, "statefs", "journal", "mac v1", 6, d2, sizeof d2), 0);
	ck_assert_mem_eq(d1, d2, sizeof d1);
	ck_assert_int_eq(ks_derive(&ks, "statefs", "journal", "mac v2", 6, d2, sizeof d2), 0);
	ck_assert(memcmp(d1, d2, sizeof d1) != 0);
	note(M.out, &M.outlen, sizeof M.out, d1, sizeof d1);
	note(M.out, &M.outlen, sizeof M.out, d2, sizeof d2);
	ck_assert_int_eq(ks_derive(&ks, "shell", "mac", "x", 1, d1, sizeof d1), CAIRN_ENOTSUP);
	ck_assert_int_eq(ks_sign(&ks, "statefs", "journal", msg, 1, sig, sizeof sig),
			 CAIRN_ENOTSUP);
	ck_assert_int_eq(ks_derive(&ks, "shell", "device", "x", 1, d1, sizeof d1), CAIRN_EACCES);

	/* list: own keys only */
	ck_assert_int_eq(ks_list(&ks, "shell", names, 8), 2);
	ck_assert_int_eq(ks_list(&ks, "statefs", names, 8), 1);
	ck_assert_str_eq(names[0], "journal");
	ck_assert_int_eq(ks_list(&ks, "bootctl", names, 8), 0);

	/* device key: shell may pub and sign, selftest may pub only, bootctl nothing */
	ck_assert_int_eq(ks_pub(&ks, "shell", "device", pub), 0);
	ck_assert_int_eq(ks_sign(&ks, "shell", "device", msg, sizeof msg, sig, sizeof sig), 64);
	ck_assert_int_eq(crypto_ed25519_verify(sig, msg, sizeof msg, pub), 0);
	ck_assert_int_eq(ks_verify(&ks, "selftest", "device", msg, sizeof msg, sig, 64), 0);
	ck_assert_int_eq(ks_sign(&ks, "selftest", "device", msg, sizeof msg, sig, sizeof sig),
			 CAIRN_EACCES);
	ck_assert(logged("keystore: access denied (path=keystore/device sender=selftest) op=sign"));
	ck_assert_int_eq(ks_pub(&ks, "bootctl", "device", pub), CAIRN_EACCES);
	ck_assert(logged("keystore: access denied (path=keystore/device sender=bootctl) op=pub"));
	ck_assert_int_eq(ks_destroy(&ks, "shell", "device"), CAIRN_EPERM);
	ck_assert_int_eq(ks_destroy(&ks, "keystore", "device"), CAIRN_EPERM);
	ck_assert(logged("op=destroy"));

	/* everything survives a reboot; destroy removes record and key */
	assert_no_leak(&ks, root);
	ks_shutdown(&ks);
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 2, 0), 0);
	ck_assert_int_eq(ks_derive(&ks, "statefs", "journal", "mac v1", 6, d2, sizeof d2), 0);
	ck_assert_int_eq(ks_derive(&ks, "statefs", "journal", "mac v1", 6, d1, sizeof d1), 0);
	ck_assert_mem_eq(d1, d2, sizeof d1);
	int syncs = M.syncs;
	ck_assert_int_eq(ks_destroy(&ks, "shell", "mac"), 0);
	ck_assert_int_gt(M.syncs, syncs);
	ck_assert_int_lt(slot_of("/state/keystore/shell/mac"), 0);
	ck_assert_int_eq(ks_sign(&ks, "shell", "mac", msg, 1, mac, sizeof mac), CAIRN_ENOENT);
	ck_assert_int_eq(ks_destroy(&ks, "shell", "mac"), CAIRN_ENOENT);
	assert_no_leak(&ks, root);
	ks_shutdown(&ks);
}
END_TEST

/* test_keystore_table_full: creation beyond KS_SLOTS is refused, not truncated. */
START_TEST(test_keystore_table_full)
{
	uint8_t sec[512], root[32];
	char name[16];
	struct keystore ks;
	int made = 0, err = 0;

	boot_fresh(&ks, sec, root, 8);
	for (int i = 0; i < (int)KS_SLOTS + 2 && !err; i++) {
		snprintf(name, sizeof name, "k%d", i);
		err = ks_create(&ks, "shell", name, KS_TYPE_HMAC, KS_USE_SIGN);
		made += err == 0;
	}
	ck_assert_int_eq(err, CAIRN_ENOSPC);
	ck_assert_int_eq(made, (int)KS_SLOTS - 1);
	ks_shutdown(&ks);
	ck_assert_int_eq(ks_boot(&ks, &ENV, sec, sizeof sec, 2, 0), 0);
	ks_shutdown(&ks);
}
END_TEST

/* test_keystore_reseed: when the DRBG asks for a reseed, creation reseeds from
 * the entropy source; without a source the create fails and nothing is stored. */
START_TEST(test_keystore_reseed)
{
	uint8_t sec[512], root[32];
	struct keystore ks;

	boot_fresh(&ks, sec, root, 9);
	ks.drbg.reseed_interval = 1; /* the boot's generates used it up */
	uint64_t rng = M.rng;
	ck_assert_int_eq(ks_create(&ks, "shell", "a", KS_TYPE_HMAC, KS_USE_SIGN), 0);
	ck_assert_uint_ne(M.rng, rng); /* fresh raw entropy was read */
	ck_assert_uint_eq(ks.drbg.reseed_counter, 2);
	ks.drbg.reseed_interval = 1;
	M.no_entropy = true;
	int puts = M.puts;
	ck_assert_int_eq(ks_create(&ks, "shell", "b", KS_TYPE_HMAC, KS_USE_SIGN), CAIRN_ENODEV);
	ck_assert_int_eq(M.puts, puts);
	ck_assert_int_eq(ks_sign(&ks, "shell", "b", "x", 1, sec, 32), CAIRN_ENOENT);
	ks_shutdown(&ks);
}
END_TEST

/* engine_suite: the keystore engine tests. */
static Suite *engine_suite(void)
{
	Suite *s = suite_create("keystore");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_keystore_first_and_later_boots);
	tcase_add_test(tc, test_keystore_tamper_fails_closed_then_recovery);
	tcase_add_test(tc, test_keystore_wrong_secret_fails_closed);
	tcase_add_test(tc, test_keystore_no_or_malformed_secret);
	tcase_add_test(tc, test_keystore_no_entropy);
	tcase_add_test(tc, test_keystore_moved_or_missing_record);
	tcase_add_test(tc, test_keystore_api_and_policy);
	tcase_add_test(tc, test_keystore_table_full);
	tcase_add_test(tc, test_keystore_reseed);
	suite_add_tcase(s, tc);
	return s;
}

/* main: run the suite. */
int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
