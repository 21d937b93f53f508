/* ks_fixture: a test helper (not shipped) that runs the keystore engine on the
 * host against a real statefs image file, so the host tools and the QEMU tests
 * have records made by the same code as the image's.
 *   ks_fixture boot STATE DEVSECRET [--recover] [--no-entropy] [--create OWNER/NAME]
 *       boot the engine (log lines and audit records to stdout); exit 0 when
 *       the keystore came up, 1 when it failed closed, 2 usage or I/O.
 *   ks_fixture flip STATE KEY OFFSET
 *       XOR the value byte at OFFSET with 0x01 through statefs (the store
 *       stays valid; only the keystore record is damaged) and sync. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "blkdev_host.h"
#include "cairn/err.h"
#include "ks_engine.h"
#include "statefs.h"

static struct statefs *fs;
static bool no_entropy;

static int f_get(void *c, const char *k, void *b, size_t n)
{
	(void)c;
	return statefs_get(fs, k, b, n);
}

static int f_put(void *c, const char *k, const void *v, size_t n)
{
	(void)c;
	return statefs_put(fs, k, v, n);
}

static int f_del(void *c, const char *k)
{
	(void)c;
	return statefs_delete(fs, k);
}

static int f_list(void *c, const char *prefix, const char *after, char (*keys)[KS_PATH_MAX],
		  size_t max)
{
	struct statefs_dirent d[8];

	(void)c;
	int n = statefs_list(fs, prefix, after, d, max < 8 ? max : 8);
	for (int i = 0; i < n; i++)
		snprintf(keys[i], KS_PATH_MAX, "%s", d[i].key);
	return n;
}

static int f_sync(void *c)
{
	(void)c;
	return statefs_sync(fs);
}

static int f_entropy(void *c, void *buf, size_t len)
{
	(void)c;
	if (no_entropy)
		return CAIRN_ENODEV;
	return getrandom(buf, len, 0) == (ssize_t)len ? 0 : CAIRN_EIO;
}

static bool f_allowed(void *c, const char *u, const char *o, const char *n, unsigned r)
{
	(void)c, (void)u, (void)o, (void)n, (void)r;
	return false;
}

static void f_log(void *c, const char *line)
{
	(void)c;
	printf("%s\n", line);
}

static void f_audit(void *c, const char *op, const char *subject)
{
	(void)c;
	printf("AUDIT op=%s %s\n", op, subject);
}

static void f_denied(void *c, const char *caller, const char *key, const char *op)
{
	(void)c;
	printf("keystore: access denied (path=%s sender=%s) op=%s\n", key, caller, op);
}

static const struct ks_env ENV = {
	.get = f_get,
	.put = f_put,
	.del = f_del,
	.list = f_list,
	.sync = f_sync,
	.entropy = f_entropy,
	.key_allowed = f_allowed,
	.log = f_log,
	.audit = f_audit,
	.denied = f_denied,
};

/* open_state: mount the image read-write. */
static int open_state(const char *path, struct blkdev_file *f)
{
	if (blkdev_file_open(f, path, 512, false) != 0) {
		fprintf(stderr, "ks_fixture: %s: cannot open\n", path);
		return 2;
	}
	struct statefs_config cfg = { .bdev = &f->dev };
	if (statefs_mount(&fs, &cfg, NULL) != 0) {
		fprintf(stderr, "ks_fixture: %s: not a statefs image\n", path);
		blkdev_file_close(f);
		return 2;
	}
	return 0;
}

/* do_boot: the engine's boot flow, then an optional key creation. */
static int do_boot(const char *devsecret, unsigned flags, const char *create)
{
	uint8_t sec[KS_DEVSECRET_SECTOR];
	size_t n = 0;
	FILE *f = devsecret ? fopen(devsecret, "rb") : NULL;
	static struct keystore ks;

	if (f) {
		n = fread(sec, 1, sizeof sec, f);
		fclose(f);
	}
	int err = ks_boot(&ks, &ENV, f ? sec : NULL, n, 1, flags);
	if (!err && create) {
		char owner[KS_OWNER_MAX + 1];
		const char *slash = strchr(create, '/');
		if (!slash || (size_t)(slash - create) > KS_OWNER_MAX)
			return 2;
		memcpy(owner, create, (size_t)(slash - create));
		owner[slash - create] = 0;
		err = ks_create(&ks, owner, slash + 1, KS_TYPE_ED25519,
				KS_USE_SIGN | KS_USE_VERIFY);
		printf("create %s: %s\n", create, cairn_strerror(err));
	}
	ks_shutdown(&ks);
	return err ? 1 : 0;
}

/* do_flip: damage one value byte through statefs. */
static int do_flip(const char *key, long off)
{
	uint8_t v[512];
	int n = statefs_get(fs, key, v, sizeof v);

	if (n < 0 || off < 0 || off >= n) {
		fprintf(stderr, "ks_fixture: %s: %s\n", key, n < 0 ? cairn_strerror(n) : "offset");
		return 2;
	}
	v[off] ^= 0x01;
	return statefs_put(fs, key, v, (size_t)n) || statefs_sync(fs) ? 2 : 0;
}

int main(int argc, char **argv)
{
	struct blkdev_file f;
	unsigned flags = 0;
	const char *create = NULL;
	int rc;

	if (argc >= 4 && !strcmp(argv[1], "boot")) {
		for (int i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "--recover"))
				flags |= KS_BOOT_RECOVER;
			else if (!strcmp(argv[i], "--no-entropy"))
				no_entropy = true;
			else if (!strcmp(argv[i], "--create") && i + 1 < argc)
				create = argv[++i];
			else
				return 2;
		}
		if ((rc = open_state(argv[2], &f)) != 0)
			return rc;
		rc = do_boot(strcmp(argv[3], "-") ? argv[3] : NULL, flags, create);
	} else if (argc == 5 && !strcmp(argv[1], "flip")) {
		if ((rc = open_state(argv[2], &f)) != 0)
			return rc;
		rc = do_flip(argv[3], strtol(argv[4], NULL, 0));
	} else {
		fprintf(stderr, "usage: ks_fixture boot STATE DEVSECRET|- [--recover] "
				"[--no-entropy] "
				"[--create OWNER/NAME] | flip STATE KEY OFFSET\n");
		return 2;
	}
	if (statefs_unmount(fs) != 0 && rc == 0)
		rc = 2;
	blkdev_file_close(&f);
	return rc;
}
