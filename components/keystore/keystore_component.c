/* The keystore component in the image.
 * Glue between ks_engine.c and the kernel: the devsecret disk (read once at
 * init, then released), virtio-rng, the statefs service, the capability gate and
 * its fault-safe copies, the audit ring, the console, and the table's keyuse
 * rows. Locking: ksc.lock (a robust mutex) serialises every engine call; init
 * and stop run with the interface closed. Caller arguments are copied in once
 * and results copied out once (CONVENTIONS 14). */
#include <stdio.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/boot.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/riscv.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"
#include "cairn/sync.h"
#include "cairn/timer.h"
#include "keystore.h"
#include "ks_engine.h"
#include "statefs_svc.h"
#include "virtio_blk.h"
#ifdef CAP_GRANT_KEYSTORE_VIRTIO_RNG
#include "virtio_rng.h"
#endif

_Static_assert(KEYSTORE_NAME_MAX == KS_NAME_MAX, "name limits agree");
_Static_assert(KEYSTORE_TYPE_DERIVE == KS_TYPE_DERIVE, "types agree");

/* One keyuse row of the table (capgen's CAP_KEYUSE_INIT). */
struct keyuse {
	const char *owner, *key;
	unsigned user, rights;
};
#if CAP_KEYUSE_COUNT
static const struct keyuse keyuses[CAP_KEYUSE_COUNT] = CAP_KEYUSE_INIT;
#endif

static struct {
	struct mutex lock;  /* serialises every engine call (mutex_lock_live) */
	struct keystore ks; /* Protected by lock; init and stop run with the
				 * interface closed and need no lock. */
} ksc;

/* env_get .. env_sync: the statefs service, called as keystore. */
static int env_get(void *c, const char *k, void *b, size_t n)
{
	(void)c;
	return statefs_svc_get(k, b, n);
}

static int env_put(void *c, const char *k, const void *v, size_t n)
{
	(void)c;
	return statefs_svc_put(k, v, n);
}

static int env_del(void *c, const char *k)
{
	(void)c;
	return statefs_svc_delete(k);
}

static int env_list(void *c, const char *prefix, const char *after, char (*keys)[KS_PATH_MAX],
		    size_t max)
{
	struct statefs_dirent d[8];

	(void)c;
	int n = statefs_svc_list(prefix, after, d, max < 8 ? max : 8);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(d[i].key);
		if (len >= KS_PATH_MAX)
			return CAIRN_ENAMETOOLONG;
		memcpy(keys[i], d[i].key, len + 1);
	}
	return n;
}

static int env_sync(void *c)
{
	(void)c;
	return statefs_svc_sync();
}

/* env_entropy: health-tested bytes from virtio-rng (CAIRN_ENODEV without one,
 * also in an image built without the driver). */
static int env_entropy(void *c, void *buf, size_t len)
{
	(void)c;
#ifdef CAP_GRANT_KEYSTORE_VIRTIO_RNG
	return vrng_svc_read(buf, len);
#else
	(void)buf, (void)len;
	return CAIRN_ENODEV;
#endif
}

/* env_allowed: the table's keyuse rows. */
static bool env_allowed(void *c, const char *user, const char *owner, const char *name,
			unsigned right)
{
	(void)c;
#if CAP_KEYUSE_COUNT
	int id = cap_comp_by_name(user);
	for (size_t i = 0; i < CAP_KEYUSE_COUNT; i++)
		if (id >= 0 && keyuses[i].user == (unsigned)id &&
		    !strcmp(keyuses[i].owner, owner) && !strcmp(keyuses[i].key, name))
			return (keyuses[i].rights & right) == right;
#else
	(void)user, (void)owner, (void)name, (void)right;
#endif
	return false;
}

static void env_log(void *c, const char *line)
{
	(void)c;
	kprintf("%s\n", line);
}

static void env_audit(void *c, const char *op, const char *subject)
{
	(void)c;
	(void)audit_append(AUDIT_INTEGRITY, CAP_COMP_KEYSTORE, CAP_COMP_KEYSTORE, op, subject);
}

static void env_denied(void *c, const char *caller, const char *key, const char *op)
{
	(void)c;
	int id = cap_comp_by_name(caller);
	(void)audit_append(AUDIT_ACCESS_DENIED, id < 0 ? CAP_COMP_KERNEL : (uint16_t)id,
			   CAP_COMP_KEYSTORE, op, key);
}

static const struct ks_env env = {
	.get = env_get,
	.put = env_put,
	.del = env_del,
	.list = env_list,
	.sync = env_sync,
	.entropy = env_entropy,
	.key_allowed = env_allowed,
	.log = env_log,
	.audit = env_audit,
	.denied = env_denied,
};

/* read_devsecret: sector 0 of the devsecret disk into sec; false when absent. */
static bool read_devsecret(uint8_t sec[KS_DEVSECRET_SECTOR], size_t *len)
{
	struct blkdev *bd;

	*len = 0;
	if (vblk_claim("devsecret", true, &bd) != 0)
		return false;
	uint32_t ss = bd->info.sector_size;
	if (ss == KS_DEVSECRET_SECTOR && blkdev_read(bd, 0, sec, 1) == 0)
		*len = KS_DEVSECRET_SECTOR;
	(void)vblk_release(bd);
	return true; /* present; *len 0 means unreadable: malformed */
}

/* boot_count: statefs' counter (8 bytes, little-endian; the table lets keystore
 * read it) for the creation field of new records; 0 when unreadable. */
static uint64_t boot_count(void)
{
	uint8_t v[8];
	uint64_t c = 0;

	if (statefs_svc_get(STATEFS_BOOT_COUNT_KEY, v, sizeof v) != 8)
		return 0;
	for (int i = 7; i >= 0; i--)
		c = c << 8 | v[i];
	return c;
}

/* ks_init: read the root secret, boot the engine (fails closed on its own). The
 * lock is initialised afresh: a restart follows a stop with no call in flight,
 * and a lock a dead thread abandoned must not stay dead. */
static int ks_init(void)
{
	uint8_t sec[KS_DEVSECRET_SECTOR];
	size_t len;
	/* The recovery word acts once per boot: a restart (statefs restarted under
	 * keystore) must not destroy the identity recovery just made. */
	unsigned flags = supervisor_generation(CAP_COMP_KEYSTORE) == 0 &&
					 dt_bootargs_has(platform.bootargs, "keystorerecover")
				 ? KS_BOOT_RECOVER
				 : 0;

	mutex_init(&ksc.lock, "keystore");
	bool present = read_devsecret(sec, &len);
	int err = ks_boot(&ksc.ks, &env, present ? sec : NULL, len, boot_count(), flags);
	crypto_wipe(sec, sizeof sec);
	return err;
}

/* ks_stop: wipe every secret (the interface is closed: no call is in flight). */
static void ks_stop(void) { ks_shutdown(&ksc.ks); }

const struct component_desc component_keystore = {
	.name = "keystore",
	.init = ks_init,
	.stop = ks_stop,
};

/* ---- the gated interface ----------------------------------------------------- */

/* enter: gate, the caller's name, the key name copied in once, then ksc.lock
 * (CAIRN_ESHUTDOWN when a keystore thread died holding it). On error nothing is
 * held. */
static int enter(struct cap_call *call, const char *op, const char *name,
		 char copy[KS_NAME_MAX + 1], const char **caller)
{
	int err = cap_enter(call, CAP_COMP_KEYSTORE, op);
	if (err)
		return err;
	*caller = cap_comp_name(call->caller);
	err = name ? cap_copy_str_in(call, copy, name, KS_NAME_MAX + 1) : 0;
	if (err >= 0)
		err = mutex_lock_live(&ksc.lock);
	if (err < 0) {
		cap_leave(call);
		return err == CAIRN_ENAMETOOLONG ? CAIRN_EINVAL : err;
	}
	return 0;
}

/* leave: drop the lock and end the call. */
static int leave(struct cap_call *call, int err)
{
	mutex_unlock(&ksc.lock);
	cap_leave(call);
	return err;
}

/* The message of sign/verify is copied into this one buffer, so it is filled
 * under ksc.lock (4 KiB is too much for a kernel stack); the copy is still the
 * only read of the caller's memory. Protected by ksc.lock. */
static uint8_t msgbuf[KEYSTORE_MSG_MAX];

/* keystore_create: keystore.h. */
int keystore_create(const char *name, unsigned type, unsigned flags)
{
	struct cap_call call;
	char n[KS_NAME_MAX + 1];
	const char *caller;
	int err = enter(&call, "create", name, n, &caller);

	if (err)
		return err;
	err = type > 255 || flags > 0xffff
		      ? CAIRN_EINVAL
		      : ks_create(&ksc.ks, caller, n, (uint8_t)type, (uint16_t)flags);
	return leave(&call, err);
}

/* keystore_pub: keystore.h. */
int keystore_pub(const char *name, uint8_t pub[KEYSTORE_PUBLIC])
{
	struct cap_call call;
	char n[KS_NAME_MAX + 1];
	uint8_t p[KS_PUBLIC];
	const char *caller;
	int err = enter(&call, "pub", name, n, &caller);

	if (err)
		return err;
	err = ks_pub(&ksc.ks, caller, n, p);
	if (!err)
		err = cap_copy_out(&call, pub, p, sizeof p);
	return leave(&call, err);
}

/* keystore_sign: keystore.h. */
int keystore_sign(const char *name, const void *msg, size_t len, uint8_t *sig, size_t cap)
{
	struct cap_call call;
	char n[KS_NAME_MAX + 1];
	uint8_t s[KS_SIG_MAX];
	const char *caller;
	int err = enter(&call, "sign", name, n, &caller);

	if (err)
		return err;
	err = len > KEYSTORE_MSG_MAX ? CAIRN_E2BIG : cap_copy_in(&call, msgbuf, msg, len);
	if (!err)
		err = ks_sign(&ksc.ks, caller, n, msgbuf, len, s, sizeof s);
	if (err > 0) {
		int n_out = err;
		err = (size_t)n_out > cap ? CAIRN_ERANGE
					  : cap_copy_out(&call, sig, s, (size_t)n_out);
		if (!err)
			err = n_out;
	}
	return leave(&call, err);
}

/* keystore_verify: keystore.h. */
int keystore_verify(const char *name, const void *msg, size_t len, const uint8_t *sig,
		    size_t siglen)
{
	struct cap_call call;
	char n[KS_NAME_MAX + 1];
	uint8_t s[KS_SIG_MAX];
	const char *caller;
	int err = enter(&call, "verify", name, n, &caller);

	if (err)
		return err;
	if (len > KEYSTORE_MSG_MAX)
		err = CAIRN_E2BIG;
	else if (siglen > sizeof s)
		err = CAIRN_EBADMSG;
	if (!err)
		err = cap_copy_in(&call, s, sig, siglen);
	if (!err)
		err = cap_copy_in(&call, msgbuf, msg, len);
	if (!err)
		err = ks_verify(&ksc.ks, caller, n, msgbuf, len, s, siglen);
	return leave(&call, err);
}

/* keystore_derive: keystore.h (info and output at most 256 bytes here). */
int keystore_derive(const char *name, const void *info, size_t infolen, uint8_t *out, size_t outlen)
{
	struct cap_call call;
	char n[KS_NAME_MAX + 1];
	uint8_t i[256], o[256];
	const char *caller;
	int err = enter(&call, "derive", name, n, &caller);

	if (err)
		return err;
	err = infolen > sizeof i || outlen > sizeof o ? CAIRN_EINVAL
						      : cap_copy_in(&call, i, info, infolen);
	if (!err)
		err = ks_derive(&ksc.ks, caller, n, i, infolen, o, outlen);
	if (!err)
		err = cap_copy_out(&call, out, o, outlen);
	crypto_wipe(o, sizeof o);
	return leave(&call, err);
}

/* keystore_list: keystore.h. */
int keystore_list(char (*names)[KEYSTORE_NAME_MAX + 1], size_t max)
{
	static char tmp[KS_SLOTS][KS_NAME_MAX + 1]; /* Protected by ksc.lock. */
	struct cap_call call;
	const char *caller;
	int err = enter(&call, "list", NULL, NULL, &caller);

	if (err)
		return err;
	int n = ks_list(&ksc.ks, caller, tmp, max < KS_SLOTS ? max : KS_SLOTS);
	err = n < 0 ? n : cap_copy_out(&call, names, tmp, (size_t)n * sizeof tmp[0]);
	return leave(&call, err ? err : n);
}

/* keystore_destroy: keystore.h. */
int keystore_destroy(const char *name)
{
	struct cap_call call;
	char n[KS_NAME_MAX + 1];
	const char *caller;
	int err = enter(&call, "destroy", name, n, &caller);

	if (err)
		return err;
	err = ks_destroy(&ksc.ks, caller, n);
	return leave(&call, err);
}
