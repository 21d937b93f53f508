/* keystore engine: boot flow, key table, policy and operations (ks_engine.h).
 *
 * Fail-closed rules: no root secret, a malformed one, a record that does not
 * authenticate, a device record missing while other records exist, or a device
 * key whose stored public key does not match its seed leaves the keystore
 * KS_FAILED; it never regenerates or wipes anything on its own. Only
 * KS_BOOT_RECOVER (an operator action, audited) destroys records. */
#include "ks_engine.h"

#include <stdio.h>
#include <string.h>

#include "cairn/err.h"

#define DRBG_PERS "cairn keystore drbg v1"
#define DERIVE_SALT "cairn keystore derive v1"
#define SELFCHECK_MSG "cairn keystore self-check"

/* say: format one console line (fixed text, names and public data only). */
static void say(struct keystore *ks, const char *fmt, const char *a, const char *b)
{
	char line[400];

	(void)snprintf(line, sizeof line, fmt, a ? a : "", b ? b : "");
	ks->env->log(ks->env->ctx, line);
}

/* fail_closed: log and audit the reason, wipe secrets, mark the keystore failed. */
static int fail_closed(struct keystore *ks, int err, const char *what, const char *detail)
{
	char subject[320];

	(void)snprintf(subject, sizeof subject, "%s%s%s", what, detail ? ": " : "",
		       detail ? detail : "");
	say(ks, "keystore: %s: fail closed", subject, NULL);
	ks->env->audit(ks->env->ctx, "boot", subject);
	ks_shutdown(ks);
	ks->state = KS_FAILED;
	return err;
}

/* hex16: the first 8 bytes of a public key as 16 lowercase hex digits. */
static void hex16(char out[17], const uint8_t *pub)
{
	static const char dig[] = "0123456789abcdef";

	for (int i = 0; i < 8; i++) {
		out[2 * i] = dig[pub[i] >> 4];
		out[2 * i + 1] = dig[pub[i] & 15];
	}
	out[16] = 0;
}

/* find: the slot holding owner/name, or NULL. */
static struct ks_slot *find(struct keystore *ks, const char *owner, const char *name)
{
	for (size_t i = 0; i < KS_SLOTS; i++) {
		struct ks_slot *s = &ks->slots[i];
		if (s->used && !strcmp(s->owner, owner) && !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

/* free_slot: an unused slot, or NULL when the table is full. */
static struct ks_slot *free_slot(struct keystore *ks)
{
	for (size_t i = 0; i < KS_SLOTS; i++)
		if (!ks->slots[i].used)
			return &ks->slots[i];
	return NULL;
}

/* drop: wipe a slot. */
static void drop(struct ks_slot *s) { crypto_wipe(s, sizeof *s); }

/* seed_drbg: 256 raw bytes of entropy and a 128-byte nonce (H = 1 bit/byte, so
 * 256 and 128 bits), both health-tested by the driver. */
static int seed_drbg(struct keystore *ks)
{
	uint8_t raw[KS_RAW_ENTROPY + KS_RAW_NONCE];
	int err = ks->env->entropy(ks->env->ctx, raw, sizeof raw);

	if (err == 0)
		err = crypto_drbg_instantiate(&ks->drbg, raw, KS_RAW_ENTROPY, raw + KS_RAW_ENTROPY,
					      KS_RAW_NONCE, DRBG_PERS, sizeof DRBG_PERS - 1);
	crypto_wipe(raw, sizeof raw);
	ks->have_drbg = err == 0;
	return err;
}

/* random_bytes: DRBG output, reseeding from the source when the DRBG asks. */
static int random_bytes(struct keystore *ks, void *out, size_t len)
{
	if (!ks->have_drbg)
		return CAIRN_ENODEV;
	int err = crypto_drbg_generate(&ks->drbg, out, len, NULL, 0);
	if (err == CAIRN_EAGAIN) {
		uint8_t raw[KS_RAW_ENTROPY];
		err = ks->env->entropy(ks->env->ctx, raw, sizeof raw);
		if (err == 0)
			err = crypto_drbg_reseed(&ks->drbg, raw, sizeof raw, NULL, 0);
		crypto_wipe(raw, sizeof raw);
		if (err == 0)
			err = crypto_drbg_generate(&ks->drbg, out, len, NULL, 0);
	}
	return err;
}

/* store: seal a slot into its record, put it and sync. */
static int store(struct keystore *ks, const struct ks_slot *s)
{
	char key[KS_PATH_MAX];
	uint8_t rec[KS_RECORD_SIZE];
	int err = ks_record_key(key, sizeof key, s->owner, s->name);

	if (!err)
		err = ks_record_seal(rec, ks->kek, &s->m, s->owner, s->name, s->secret);
	if (!err)
		err = ks->env->put(ks->env->ctx, key, rec, sizeof rec);
	if (!err)
		err = ks->env->sync(ks->env->ctx);
	return err;
}

/* load: read and open owner/name's record into s; *why says what failed. */
static int load(struct keystore *ks, struct ks_slot *s, const char *owner, const char *name,
		const char **why)
{
	char key[KS_PATH_MAX];
	uint8_t rec[KS_RECORD_SIZE + 1];
	int err = ks_record_key(key, sizeof key, owner, name);

	*why = "bad owner or key name";
	if (err)
		return CAIRN_EBADMSG;
	int n = ks->env->get(ks->env->ctx, key, rec, sizeof rec);
	if (n < 0) {
		*why = n == CAIRN_ERANGE ? "record too long" : "unreadable";
		return n == CAIRN_ERANGE ? CAIRN_EBADMSG : n;
	}
	memset(s, 0, sizeof *s);
	err = ks_record_open(rec, (size_t)n, ks->kek, owner, name, &s->m, s->secret, why);
	if (err)
		return err;
	s->used = true;
	memcpy(s->owner, owner, strlen(owner) + 1);
	memcpy(s->name, name, strlen(name) + 1);
	return 0;
}

/* make_key: fill a new slot's secret (and public key) from the DRBG. */
static int make_key(struct keystore *ks, struct ks_slot *s, const char *owner, const char *name,
		    uint8_t type, uint16_t flags)
{
	memset(s, 0, sizeof *s);
	memcpy(s->owner, owner, strlen(owner) + 1);
	memcpy(s->name, name, strlen(name) + 1);
	s->m.type = type;
	s->m.flags = flags;
	s->m.created_boot = ks->boot_count;
	int err = random_bytes(ks, s->secret, KS_KEY);
	if (!err)
		err = random_bytes(ks, s->m.nonce, KS_NONCE);
	if (err) {
		drop(s);
		return err;
	}
	if (type == KS_TYPE_ED25519)
		crypto_ed25519_public(s->secret, s->m.pub);
	return 0;
}

/* check_device: the stored public key matches the seed and a test signature
 * verifies: the key in memory is the one whose public key others see. */
static bool check_device(const struct ks_slot *s)
{
	uint8_t pub[KS_PUBLIC], sig[CRYPTO_ED25519_SIG];

	crypto_ed25519_public(s->secret, pub);
	if (!crypto_ct_equal(pub, s->m.pub, KS_PUBLIC))
		return false;
	crypto_ed25519_sign(sig, SELFCHECK_MSG, sizeof SELFCHECK_MSG - 1, s->secret, pub);
	return crypto_ed25519_verify(sig, SELFCHECK_MSG, sizeof SELFCHECK_MSG - 1, s->m.pub) == 0;
}

/* create_device: first boot: make, seal, put, sync, read back, open, check. */
static int create_device(struct keystore *ks, bool recovered)
{
	struct ks_slot *s = free_slot(ks);
	const char *why;

	if (!s)
		return fail_closed(ks, CAIRN_ENOSPC, "no key slot for the device key", NULL);
	if (!ks->have_drbg)
		return fail_closed(ks, CAIRN_ENODEV, "no entropy source",
				   "refusing to create the device key");
	int err = make_key(ks, s, KS_DEVICE_OWNER, KS_DEVICE_NAME, KS_TYPE_ED25519,
			   KS_USE_SIGN | KS_USE_VERIFY);
	if (!err)
		err = store(ks, s);
	if (err) {
		drop(s);
		return fail_closed(ks, err, "device key not stored", cairn_strerror(err));
	}
	uint8_t pub[KS_PUBLIC];
	memcpy(pub, s->m.pub, KS_PUBLIC);
	drop(s);
	err = load(ks, s, KS_DEVICE_OWNER, KS_DEVICE_NAME, &why);
	if (err)
		return fail_closed(ks, CAIRN_EIO, "device key read-back failed", why);
	if (!crypto_ct_equal(pub, s->m.pub, KS_PUBLIC) || !check_device(s))
		return fail_closed(ks, CAIRN_EIO, "device key read-back failed", "mismatch");
	hex16(ks->device_pub16, s->m.pub);
	if (recovered)
		ks->env->audit(ks->env->ctx, "recover", "new device identity created");
	say(ks, "keystore: device key created pub=%s", ks->device_pub16, NULL);
	return 0;
}

/* split: "/state/keystore/<owner>/<name>" into owner and name; false otherwise. */
static bool split(const char *path, char owner[KS_OWNER_MAX + 1], char name[KS_NAME_MAX + 1])
{
	size_t pn = sizeof KS_PREFIX - 1;

	if (strncmp(path, KS_PREFIX, pn) != 0)
		return false;
	const char *o = path + pn, *slash = strchr(o, '/');
	if (!slash || (size_t)(slash - o) > KS_OWNER_MAX || strlen(slash + 1) > KS_NAME_MAX)
		return false;
	memcpy(owner, o, (size_t)(slash - o));
	owner[slash - o] = 0;
	memcpy(name, slash + 1, strlen(slash + 1) + 1);
	return ks_owner_ok(owner) && ks_name_ok(name);
}

/* recover: the operator's recovery action: delete every keystore record (the
 * device identity and everything sealed with this keystore), audited. */
static int recover(struct keystore *ks)
{
	char keys[8][KS_PATH_MAX];
	int n, total = 0;

	say(ks, "keystore: recovery requested: destroying the device identity", NULL, NULL);
	ks->env->audit(ks->env->ctx, "recover", "destroying the device identity and its keys");
	if (!ks->have_drbg)
		return fail_closed(ks, CAIRN_ENODEV, "recovery refused", "no entropy source");
	do {
		n = ks->env->list(ks->env->ctx, KS_PREFIX, "", keys, 8);
		if (n < 0)
			return fail_closed(ks, n, "recovery: list failed", cairn_strerror(n));
		for (int i = 0; i < n; i++) {
			int err = ks->env->del(ks->env->ctx, keys[i]);
			if (err && err != CAIRN_ENOENT)
				return fail_closed(ks, err, "recovery: delete failed",
						   cairn_strerror(err));
		}
		total += n;
	} while (n == 8);
	int err = ks->env->sync(ks->env->ctx);
	if (err)
		return fail_closed(ks, err, "recovery: sync failed", cairn_strerror(err));
	char count[24];
	(void)snprintf(count, sizeof count, "%d", total);
	say(ks, "keystore: recovery: %s records destroyed", count, NULL);
	return 0;
}

/* load_all: open every record; the first that does not open fails closed. */
static int load_all(struct keystore *ks, int *count)
{
	char keys[8][KS_PATH_MAX], after[KS_PATH_MAX] = "";
	char owner[KS_OWNER_MAX + 1], name[KS_NAME_MAX + 1];
	const char *why;
	int n;

	*count = 0;
	do {
		n = ks->env->list(ks->env->ctx, KS_PREFIX, after, keys, 8);
		if (n < 0)
			return fail_closed(ks, n, "records not listed", cairn_strerror(n));
		for (int i = 0; i < n; i++) {
			struct ks_slot *s = free_slot(ks);
			if (!split(keys[i], owner, name))
				return fail_closed(ks, CAIRN_EBADMSG,
						   "record with a malformed path", keys[i]);
			if (!s)
				return fail_closed(ks, CAIRN_ENOSPC, "too many records", keys[i]);
			int err = load(ks, s, owner, name, &why);
			if (err) {
				char d[KS_PATH_MAX + 80];
				(void)snprintf(d, sizeof d, "%.127s: %.72s", keys[i], why);
				return fail_closed(ks, err == CAIRN_EBADMSG ? err : CAIRN_EIO,
						   "record does not open", d);
			}
			(*count)++;
		}
		if (n)
			memcpy(after, keys[n - 1], KS_PATH_MAX);
	} while (n == 8);
	return 0;
}

/* ks_boot: root secret -> KEK; DRBG; [recovery]; first boot or load. */
int ks_boot(struct keystore *ks, const struct ks_env *env, const uint8_t *secret, size_t len,
	    uint64_t boot_count, unsigned flags)
{
	uint8_t root[KS_DEVSECRET_SECRET];
	const char *why = "";
	int count, err;

	memset(ks, 0, sizeof *ks);
	ks->env = env;
	ks->boot_count = boot_count;
	if (!secret)
		return fail_closed(ks, CAIRN_ENODEV, "no device root secret",
				   "devsecret disk missing");
	err = ks_devsecret_parse(secret, len, root, &why);
	if (err)
		return fail_closed(ks, CAIRN_EBADMSG, "device root secret malformed", why);
	err = ks_kek_derive(root, ks->kek);
	crypto_wipe(root, sizeof root);
	if (err)
		return fail_closed(ks, err, "key-encryption key not derived", cairn_strerror(err));
	err = seed_drbg(ks);
	if (err)
		say(ks, "keystore: no entropy source (%s): key creation disabled",
		    cairn_strerror(err), NULL);
	if (flags & KS_BOOT_RECOVER) {
		err = recover(ks);
		if (err)
			return err;
	}
	err = load_all(ks, &count);
	if (err)
		return err;
	if (count == 0) {
		err = create_device(ks, flags & KS_BOOT_RECOVER);
		if (err)
			return err;
		ks->state = KS_UP;
		return 0;
	}
	struct ks_slot *dev = find(ks, KS_DEVICE_OWNER, KS_DEVICE_NAME);
	if (!dev)
		return fail_closed(ks, CAIRN_EBADMSG, "device key record missing",
				   "other records exist");
	if (dev->m.type != KS_TYPE_ED25519 || !check_device(dev))
		return fail_closed(ks, CAIRN_EBADMSG, "device key does not match its public key",
				   NULL);
	hex16(ks->device_pub16, dev->m.pub);
	say(ks, "keystore: device key loaded pub=%s", ks->device_pub16, NULL);
	ks->state = KS_UP;
	return 0;
}

/* ks_shutdown: wipe the KEK, the DRBG and every key. */
void ks_shutdown(struct keystore *ks)
{
	const struct ks_env *env = ks->env;

	crypto_wipe(ks, sizeof *ks);
	ks->env = env;
}

/* deny: audit a policy refusal and return CAIRN_EACCES. */
static int deny(struct keystore *ks, const char *caller, const char *owner, const char *name,
		const char *op)
{
	char key[KS_OWNER_MAX + KS_NAME_MAX + 2];

	(void)snprintf(key, sizeof key, "%s/%s", owner, name);
	ks->env->denied(ks->env->ctx, caller, key, op);
	return CAIRN_EACCES;
}

/* resolve: the slot a caller means by name, after the policy check. The owner
 * always may; for the device key another component needs a keyuse grant. */
static int resolve(struct keystore *ks, const char *caller, const char *name, unsigned right,
		   const char *op, struct ks_slot **out)
{
	if (ks->state != KS_UP)
		return CAIRN_ESHUTDOWN;
	if (!ks_owner_ok(caller) || !ks_name_ok(name))
		return CAIRN_EINVAL;
	const char *owner = caller;
	if (!strcmp(name, KS_DEVICE_NAME)) {
		owner = KS_DEVICE_OWNER;
		if (strcmp(caller, owner) != 0 &&
		    (!right || !ks->env->key_allowed(ks->env->ctx, caller, owner, name, right)))
			return deny(ks, caller, owner, name, op);
	}
	*out = find(ks, owner, name);
	return *out ? 0 : CAIRN_ENOENT;
}

/* ks_create: a new key of the caller's, sealed and synced before it is used. */
int ks_create(struct keystore *ks, const char *caller, const char *name, uint8_t type,
	      uint16_t flags)
{
	if (ks->state != KS_UP)
		return CAIRN_ESHUTDOWN;
	if (!ks_owner_ok(caller) || !ks_name_ok(name) || !ks_type_flags_ok(type, flags))
		return CAIRN_EINVAL;
	if (!strcmp(name, KS_DEVICE_NAME))
		return deny(ks, caller, caller, name, "create");
	if (find(ks, caller, name))
		return CAIRN_EEXIST;
	if (!ks->have_drbg) {
		say(ks, "keystore: no entropy source: refusing to create key %s/%s", caller, name);
		return CAIRN_ENODEV;
	}
	struct ks_slot *s = free_slot(ks);
	if (!s)
		return CAIRN_ENOSPC;
	int err = make_key(ks, s, caller, name, type, flags);
	if (!err)
		err = store(ks, s);
	if (err) {
		drop(s);
		return err;
	}
	s->used = true;
	return 0;
}

/* ks_pub: the public key of an Ed25519 key. */
int ks_pub(struct keystore *ks, const char *caller, const char *name, uint8_t pub[KS_PUBLIC])
{
	struct ks_slot *s;
	int err = resolve(ks, caller, name, KS_RIGHT_PUB, "pub", &s);

	if (err)
		return err;
	if (s->m.type != KS_TYPE_ED25519)
		return CAIRN_ENOTSUP;
	memcpy(pub, s->m.pub, KS_PUBLIC);
	return 0;
}

/* ks_sign: Ed25519 signature or HMAC-SHA256 tag under the key. */
int ks_sign(struct keystore *ks, const char *caller, const char *name, const void *msg, size_t len,
	    uint8_t *sig, size_t cap)
{
	struct ks_slot *s;
	int err = resolve(ks, caller, name, KS_RIGHT_SIGN, "sign", &s);

	if (err)
		return err;
	if (!(s->m.flags & KS_USE_SIGN))
		return CAIRN_ENOTSUP;
	if (s->m.type == KS_TYPE_ED25519) {
		if (cap < CRYPTO_ED25519_SIG)
			return CAIRN_ERANGE;
		crypto_ed25519_sign(sig, msg, len, s->secret, s->m.pub);
		return CRYPTO_ED25519_SIG;
	}
	if (cap < CRYPTO_SHA256_SIZE)
		return CAIRN_ERANGE;
	crypto_hmac_sha256(s->secret, KS_KEY, msg, len, sig);
	return CRYPTO_SHA256_SIZE;
}

/* ks_verify: Ed25519 needs only the public key (pub right); an HMAC check needs
 * the secret and so only the owner. */
int ks_verify(struct keystore *ks, const char *caller, const char *name, const void *msg,
	      size_t len, const uint8_t *sig, size_t siglen)
{
	struct ks_slot *s;
	int err = resolve(ks, caller, name, KS_RIGHT_PUB, "verify", &s);

	if (err)
		return err;
	if (!(s->m.flags & KS_USE_VERIFY))
		return CAIRN_ENOTSUP;
	if (s->m.type == KS_TYPE_ED25519) {
		if (siglen != CRYPTO_ED25519_SIG)
			return CAIRN_EBADMSG;
		return crypto_ed25519_verify(sig, msg, len, s->m.pub);
	}
	if (strcmp(s->owner, caller) != 0)
		return deny(ks, caller, s->owner, name, "verify");
	uint8_t mac[CRYPTO_SHA256_SIZE];
	crypto_hmac_sha256(s->secret, KS_KEY, msg, len, mac);
	bool ok = siglen == sizeof mac && crypto_ct_equal(mac, sig, sizeof mac);
	crypto_wipe(mac, sizeof mac);
	return ok ? 0 : CAIRN_EBADMSG;
}

/* ks_derive: HKDF(salt = label, ikm = key, info = owner 0 name 0 info). */
int ks_derive(struct keystore *ks, const char *caller, const char *name, const void *info,
	      size_t infolen, uint8_t *out, size_t outlen)
{
	struct ks_slot *s;
	int err = resolve(ks, caller, name, 0, "derive", &s);

	if (err)
		return err;
	if (s->m.type != KS_TYPE_DERIVE || !(s->m.flags & KS_USE_DERIVE))
		return CAIRN_ENOTSUP;
	if (!outlen || outlen > 255 * 32 || infolen > 256 || (infolen && !info))
		return CAIRN_EINVAL;
	uint8_t full[KS_OWNER_MAX + KS_NAME_MAX + 2 + 256];
	size_t on = strlen(s->owner), nn = strlen(s->name);
	memcpy(full, s->owner, on + 1);
	memcpy(full + on + 1, s->name, nn + 1);
	if (infolen)
		memcpy(full + on + nn + 2, info, infolen);
	return crypto_hkdf_sha256(DERIVE_SALT, sizeof DERIVE_SALT - 1, s->secret, KS_KEY, full,
				  on + nn + 2 + infolen, out, outlen);
}

/* ks_list: the caller's own key names. */
int ks_list(struct keystore *ks, const char *caller, char (*names)[KS_NAME_MAX + 1], size_t max)
{
	size_t n = 0;

	if (ks->state != KS_UP)
		return CAIRN_ESHUTDOWN;
	if (!ks_owner_ok(caller))
		return CAIRN_EINVAL;
	for (size_t i = 0; i < KS_SLOTS && n < max; i++)
		if (ks->slots[i].used && !strcmp(ks->slots[i].owner, caller))
			memcpy(names[n++], ks->slots[i].name, KS_NAME_MAX + 1);
	return (int)n;
}

/* ks_destroy: delete the record (synced), then forget the key. */
int ks_destroy(struct keystore *ks, const char *caller, const char *name)
{
	char key[KS_PATH_MAX];
	struct ks_slot *s;

	if (ks->state == KS_UP && ks_name_ok(name) && !strcmp(name, KS_DEVICE_NAME)) {
		(void)deny(ks, caller, KS_DEVICE_OWNER, name, "destroy");
		return CAIRN_EPERM;
	}
	int err = resolve(ks, caller, name, 0, "destroy", &s);
	if (err)
		return err;
	err = ks_record_key(key, sizeof key, s->owner, s->name);
	if (!err)
		err = ks->env->del(ks->env->ctx, key);
	if (!err)
		err = ks->env->sync(ks->env->ctx);
	if (err)
		return err;
	drop(s);
	return 0;
}
