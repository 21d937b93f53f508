/* The packagefs component in the image: serves pkg:/ (pkg.h) from the
 * read-only virtio-blk disk with serial "pkgfs", or, when no such disk is
 * attached, from the small fixture image linked into the kernel.
 *
 * Either image must validate completely and be signed by the key built into
 * this kernel (pkgfs_pubkey.h, generated at build time from a key made by
 * `mkpkgfs keygen`; no key is committed). A disk that is present but refused
 * (corrupt, tampered, signed by another key) fails the component with the
 * reason: packagefs does NOT fall back to the fixture then, because a system
 * whose installed package image was tampered with must not quietly serve
 * something else (fail closed; docs/packagefs.md).
 *
 * Locking: pk.lock (a mutex) serialises every engine call and the open-file
 * table; the engine itself is not locked. init and stop run with the interface
 * closed (no calls in flight), so they use pk without the lock. */
#include <stdio.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/sync.h"
#include "cairn/timer.h"
#include "packagefs.h"
#include "packagefs_svc.h"
#include "pkgfs_component.h"
#include "pkgfs_memdev.h"
#include "pkgfs_pubkey.h" /* generated: pkgfs_signing_pubkey[32] */
#include "virtio_blk.h"

#define PKGFS_CACHE_PAGES 64u /* 256 KiB of sector cache for the serving mount */
#define PKGFS_PREFIX "pkg:/"
#define SLOT_BITS 5u        /* PKGFS_SVC_OPEN_MAX == 1 << SLOT_BITS */
#define SEQ_MASK 0xffffffu  /* handle = seq << SLOT_BITS | slot, stays positive */

_Static_assert(PKGFS_SVC_OPEN_MAX == 1u << SLOT_BITS, "handle encoding");

/* Generated at build time from components/packagefs/fixture/ (pkgfs_bin2c.py). */
extern const uint8_t pkgfs_fixture_image[];
extern const size_t pkgfs_fixture_image_len;

struct pkgfs_slot {
	bool used;
	uint16_t owner;     /* component that opened it */
	uint32_t seq;       /* matches the handle's upper bits */
	struct pkgfs_file f;
};

static struct {
	struct mutex lock;
	/* Set by init, cleared by stop: */
	struct pkgfs *fs;
	struct blkdev *disk; /* claimed virtio disk, NULL for the fixture */
	struct pkgfs_memdev fixture;
	enum pkgfs_source source;
	struct pkgfs_totals totals;
	uint64_t mount_us;
	/* Protected by lock: */
	struct pkgfs_slot slots[PKGFS_SVC_OPEN_MAX];
	uint32_t next_seq;
	uint16_t cur_caller; /* the call being served, for integrity records */
	const char *cur_op;
} pk;

/* integrity_hook: the engine's audit hook. Turns "packagefs: WHAT entry N 'P'"
 * into an AUDIT_INTEGRITY record "entry N 'P': WHAT" for the current caller
 * (pk.lock is held: the engine only calls this from inside a served call). */
static void integrity_hook(void *ctx, const char *msg)
{
	(void)ctx;
	char subject[AUDIT_SUBJECT_MAX * 2];
	const char *what = msg, *entry = strstr(msg, " entry ");
	if (strncmp(what, "packagefs: ", 11) == 0)
		what += 11;
	if (entry && entry > what)
		snprintf(subject, sizeof(subject), "%s: %.*s", entry + 1, (int)(entry - what), what);
	else
		snprintf(subject, sizeof(subject), "%s", what);
	(void)audit_append(AUDIT_INTEGRITY, pk.cur_caller, CAP_COMP_PACKAGEFS, pk.cur_op, subject);
}

/* pkgfs_comp_config: the mount configuration: built-in key, cache size, integrity hook. */
struct pkgfs_config pkgfs_comp_config(uint32_t cache_pages)
{
	struct pkgfs_config cfg = {
		.public_key = pkgfs_signing_pubkey,
		.cache_pages = cache_pages ? cache_pages : PKGFS_CACHE_PAGES,
		.audit = integrity_hook,
	};
	return cfg;
}

/* pkgfs_comp_disk: the claimed pkgfs disk, NULL when serving the fixture. */
struct blkdev *pkgfs_comp_disk(void)
{
	return pk.disk;
}

/* mount_dev: validate and mount dev; on refusal print the reason. */
static int mount_dev(struct blkdev *dev, const char *what)
{
	struct pkgfs_config cfg = pkgfs_comp_config(0);
	struct pkgfs_mount_report rep;
	uint64_t t0 = time_us();
	int err = pkgfs_mount(&pk.fs, dev, &cfg, &rep);
	pk.mount_us = time_us() - t0;
	if (err) {
		kprintf("pkgfs: refused image: %s: %s\n", what, rep.reason[0] ? rep.reason :
			cairn_strerror(err));
		return err;
	}
	pkgfs_totals(pk.fs, &pk.totals);
	return 0;
}

/* pkgfs_init: claim the pkgfs disk read-only and mount it, or mount the fixture
 * when there is no such disk. */
static int pkgfs_init(void)
{
	mutex_init(&pk.lock, "packagefs");
	memset(pk.slots, 0, sizeof(pk.slots));
	pk.fs = NULL;
	pk.disk = NULL;
	pk.source = PKGFS_SOURCE_NONE;
	struct blkdev *bd;
	int err = vblk_claim("pkgfs", true, &bd);
	if (err == 0 && !bd->info.read_only) {
		kprintf("pkgfs: the pkgfs claim is not read-only: refusing to use it\n");
		(void)vblk_release(bd);
		return CAIRN_EIO; /* cannot happen: the claim asked for read-only */
	}
	if (err == 0) {
		pk.disk = bd;
		err = mount_dev(bd, "virtio-blk serial=pkgfs");
		if (err) {
			(void)vblk_release(bd);
			pk.disk = NULL;
			return err; /* fail closed: never the fixture instead */
		}
		pk.source = PKGFS_SOURCE_VIRTIO;
		kprintf("pkgfs: mounted from virtio-blk ro files=%u bytes=%llu\n", pk.totals.files,
			(unsigned long long)pk.totals.bytes);
		return 0;
	}
	if (err != CAIRN_ENOENT) {
		kprintf("pkgfs: cannot claim the pkgfs disk: %s\n", cairn_strerror(err));
		return err;
	}
	kprintf("pkgfs: no disk with serial pkgfs, using the built-in fixture\n");
	err = pkgfs_memdev_init(&pk.fixture, pkgfs_fixture_image, pkgfs_fixture_image_len, "fixture");
	if (!err)
		err = mount_dev(&pk.fixture.dev, "built-in fixture");
	if (err)
		return err;
	pk.source = PKGFS_SOURCE_FIXTURE;
	kprintf("pkgfs: mounted fixture files=%u bytes=%llu\n", pk.totals.files,
		(unsigned long long)pk.totals.bytes);
	return 0;
}

/* pkgfs_stop: close every open file (their handles die), unmount, release the disk. */
static void pkgfs_stop(void)
{
	for (unsigned i = 0; i < PKGFS_SVC_OPEN_MAX; i++) {
		if (pk.slots[i].used)
			(void)pkgfs_close(&pk.slots[i].f);
		pk.slots[i].used = false;
	}
	if (pkgfs_unmount(pk.fs) != 0)
		kprintf("pkgfs: unmount refused (files open)\n"); /* cannot happen: all closed */
	pk.fs = NULL;
	if (pk.disk)
		(void)vblk_release(pk.disk);
	pk.disk = NULL;
	pk.source = PKGFS_SOURCE_NONE;
}

const struct component_desc component_packagefs = {
	.name = "packagefs",
	.init = pkgfs_init,
	.stop = pkgfs_stop,
};

/* enter: pass the gate and take the lock; 0 or the gate's error. */
static int enter(struct cap_call *call, const char *op)
{
	int err = cap_enter(call, CAP_COMP_PACKAGEFS, op);
	if (err)
		return err;
	mutex_lock(&pk.lock);
	pk.cur_caller = call->caller;
	pk.cur_op = op;
	return 0;
}

/* leave: drop the lock, leave the gate, pass rc through. */
static int leave(struct cap_call *call, int rc)
{
	mutex_unlock(&pk.lock);
	cap_leave(call);
	return rc;
}

/* check_path: the interface takes "pkg:/..." only; the engine checks the rest. */
static int check_path(const char *path)
{
	if (!path || strncmp(path, PKGFS_PREFIX, strlen(PKGFS_PREFIX)) != 0)
		return CAIRN_EINVAL;
	return 0;
}

/* slot_of: the caller's open slot for handle h, or NULL. */
static struct pkgfs_slot *slot_of(int h, uint16_t caller)
{
	if (h < 0)
		return NULL;
	struct pkgfs_slot *s = &pk.slots[(unsigned)h & (PKGFS_SVC_OPEN_MAX - 1)];
	if (!s->used || s->owner != caller || s->seq != ((unsigned)h >> SLOT_BITS))
		return NULL;
	return s;
}

/* pkgfs_svc_info: source, counts, mount time and cache counters of the mount. */
int pkgfs_svc_info(struct pkgfs_svc_info *info)
{
	struct cap_call call;
	int err = enter(&call, "info");
	if (err)
		return err;
	if (!info)
		return leave(&call, CAIRN_EINVAL);
	info->source = pk.source;
	info->files = pk.totals.files;
	info->dirs = pk.totals.dirs;
	info->bytes = pk.totals.bytes;
	info->mount_us = pk.mount_us;
	info->read_only = pk.disk ? pk.disk->info.read_only : pk.fixture.dev.info.read_only;
	pkgfs_cache_stats(pk.fs, &info->cache);
	return leave(&call, 0);
}

/* pkgfs_svc_stat: gate, check the pkg: prefix, stat through the engine. */
int pkgfs_svc_stat(const char *path, struct pkgfs_stat *st)
{
	struct cap_call call;
	int err = enter(&call, "stat");
	if (err)
		return err;
	err = check_path(path);
	if (!err && !st)
		err = CAIRN_EINVAL;
	if (!err)
		err = pkgfs_stat(pk.fs, path, st);
	return leave(&call, err);
}

/* pkgfs_svc_open: open into a free slot owned by the caller; the handle encodes slot and seq. */
int pkgfs_svc_open(const char *path)
{
	struct cap_call call;
	int err = enter(&call, "open");
	if (err)
		return err;
	err = check_path(path);
	if (err)
		return leave(&call, err);
	for (unsigned i = 0; i < PKGFS_SVC_OPEN_MAX; i++) {
		struct pkgfs_slot *s = &pk.slots[i];
		if (s->used)
			continue;
		err = pkgfs_open(pk.fs, path, &s->f);
		if (err)
			return leave(&call, err);
		pk.next_seq = (pk.next_seq + 1) & SEQ_MASK;
		s->used = true;
		s->owner = call.caller;
		s->seq = pk.next_seq;
		return leave(&call, (int)((s->seq << SLOT_BITS) | i));
	}
	return leave(&call, CAIRN_EBUSY);
}

/* pkgfs_svc_read: read through the caller's handle (the engine verifies the content first). */
int pkgfs_svc_read(int h, uint64_t off, void *buf, size_t len)
{
	struct cap_call call;
	int err = enter(&call, "read");
	if (err)
		return err;
	struct pkgfs_slot *s = slot_of(h, call.caller);
	if (!s || (!buf && len))
		return leave(&call, CAIRN_EINVAL);
	return leave(&call, pkgfs_read(&s->f, off, buf, len));
}

/* pkgfs_svc_fstat: stat of the caller's open handle. */
int pkgfs_svc_fstat(int h, struct pkgfs_stat *st)
{
	struct cap_call call;
	int err = enter(&call, "fstat");
	if (err)
		return err;
	struct pkgfs_slot *s = slot_of(h, call.caller);
	if (!s || !st)
		return leave(&call, CAIRN_EINVAL);
	return leave(&call, pkgfs_fstat(&s->f, st));
}

/* pkgfs_svc_close: close the caller's handle and free its slot. */
int pkgfs_svc_close(int h)
{
	struct cap_call call;
	int err = enter(&call, "close");
	if (err)
		return err;
	struct pkgfs_slot *s = slot_of(h, call.caller);
	if (!s)
		return leave(&call, CAIRN_EINVAL);
	err = pkgfs_close(&s->f);
	s->used = false;
	return leave(&call, err);
}

/* pkgfs_svc_readdir: gate, check the prefix, one entry from the engine's cursor. */
int pkgfs_svc_readdir(const char *path, uint64_t *cursor, struct pkgfs_dirent *ent)
{
	struct cap_call call;
	int err = enter(&call, "readdir");
	if (err)
		return err;
	err = check_path(path);
	if (!err && (!cursor || !ent))
		err = CAIRN_EINVAL;
	if (!err)
		err = pkgfs_readdir(pk.fs, path, cursor, ent);
	return leave(&call, err);
}

/* pkgfs_svc_bench: run the benchmark inside a gated call, with the lock held. */
int pkgfs_svc_bench(void)
{
	struct cap_call call;
	int err = enter(&call, "bench");
	if (err)
		return err;
	return leave(&call, pkgfs_bench_locked());
}
