/* The packagefs component in the image: serves pkg:/ (packagefs_svc.h) from the
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
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/budget.h"
#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/sync.h"
#include "cairn/timeline.h"
#include "cairn/timer.h"
#include "packagefs.h"
#include "packagefs_svc.h"
#include "pkgfs_component.h"
#include "pkgfs_memdev.h"
#include "pkgfs_pubkey.h" /* generated: pkgfs_signing_pubkey[32] */
#ifdef CAP_ENABLED_BOOTCTL
#include "bootctl.h"
#include "pkgfs_slots.h"
#endif
#include "virtio_blk.h"

#define PKGFS_CACHE_PAGES 64u /* 256 KiB of sector cache for the serving mount */
#define PKGFS_PREFIX "pkg:/"
#define SLOT_BITS 5u	   /* PKGFS_SVC_OPEN_MAX == 1 << SLOT_BITS */
#define SEQ_MASK 0xffffffu /* handle = seq << SLOT_BITS | slot, stays positive */

_Static_assert(PKGFS_SVC_OPEN_MAX == 1u << SLOT_BITS, "handle encoding");
/* Every component granted packagefs holds a reservation of its handles= budget
 * in the one table (capgen checks that they fit together): each can always
 * open up to its budget, whatever the others hold. Callers without a budget of
 * their own (the kernel core) share only what is left over, SPARE_SLOTS. */
_Static_assert(CAP_HANDLE_TABLE_PACKAGEFS == PKGFS_SVC_OPEN_MAX, "capgen's HANDLE_TABLES");
_Static_assert(CAP_HANDLES_GRANTED_PACKAGEFS <= PKGFS_SVC_OPEN_MAX, "handle reservations");
#define SPARE_SLOTS (PKGFS_SVC_OPEN_MAX - CAP_HANDLES_GRANTED_PACKAGEFS)

/* Generated at build time from components/packagefs/fixture/ (pkgfs_bin2c.py). */
extern const uint8_t pkgfs_fixture_image[];
extern const size_t pkgfs_fixture_image_len;

struct pkgfs_slot {
	bool used;
	uint16_t owner; /* component that opened it */
	uint32_t seq;	/* matches the handle's upper bits */
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
		snprintf(subject, sizeof(subject), "%s: %.*s", entry + 1, (int)(entry - what),
			 what);
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
struct blkdev *pkgfs_comp_disk(void) { return pk.disk; }

/* mount_dev: validate and mount dev; on refusal print the reason. */
static int mount_dev(struct blkdev *dev, const char *what)
{
	struct pkgfs_config cfg = pkgfs_comp_config(0);
	struct pkgfs_mount_report rep;
	uint64_t t0 = time_us();
	int err = pkgfs_mount(&pk.fs, dev, &cfg, &rep);
	pk.mount_us = time_us() - t0;
	if (err) {
		kprintf("pkgfs: refused image: %s: %s\n", what,
			rep.reason[0] ? rep.reason : cairn_strerror(err));
		return err;
	}
	pkgfs_totals(pk.fs, &pk.totals);
	return 0;
}

/* mount_source: claim the pkgfs disk read-only and mount it (or the slot
 * bootctl settles on), or mount the fixture when there is no such disk. */
static int mount_source(void)
{
#ifdef CAP_ENABLED_BOOTCTL
	/* A/B slots: bootctl chooses among pkg_a / pkg_b (or a lone pkgfs disk). */
	uint8_t slot;
	const char *serial = "";
	int serr = pkgfs_slots_mount(&pk.fs, &pk.disk, &slot, &serial);
	if (serr == 0) {
		pkgfs_totals(pk.fs, &pk.totals);
		pk.source = PKGFS_SOURCE_VIRTIO;
		kprintf("pkgfs: mounted from virtio-blk ro files=%u bytes=%llu\n", pk.totals.files,
			(unsigned long long)pk.totals.bytes);
		kprintf("pkgfs: slot %s serial=%s release=%llu\n", bootctl_slot_name(slot), serial,
			(unsigned long long)pkgfs_release(pk.fs));
		return 0;
	}
	if (serr != CAIRN_ENOENT)
		return serr;	/* fail closed: never the fixture instead */
	int err = CAIRN_ENOENT; /* none of pkg_a, pkg_b, pkgfs: the fixture */
	struct blkdev *bd = NULL;
#else
	struct blkdev *bd;
	int err = vblk_claim("pkgfs", true, &bd);
#endif
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
	err = pkgfs_memdev_init(&pk.fixture, pkgfs_fixture_image, pkgfs_fixture_image_len,
				"fixture");
	if (!err)
		err = mount_dev(&pk.fixture.dev, "built-in fixture");
	if (err)
		return err;
	pk.source = PKGFS_SOURCE_FIXTURE;
	kprintf("pkgfs: mounted fixture files=%u bytes=%llu\n", pk.totals.files,
		(unsigned long long)pk.totals.bytes);
	return 0;
}

/* pkgfs_init: mount the package source; the whole mount step (claims, slot
 * choice, verification, mount) goes to the boot timeline as packagefs.mount. */
static int pkgfs_init(void)
{
	mutex_init(&pk.lock, "packagefs");
	memset(pk.slots, 0, sizeof(pk.slots));
	pk.fs = NULL;
	pk.disk = NULL;
	pk.source = PKGFS_SOURCE_NONE;
	uint64_t t0 = time_us();
	int err = mount_source();
	if (!err)
		timeline_span("mount", time_us() - t0);
	return err;
}

/* pkgfs_stop: close every open file (their handles die), unmount, release the disk. */
static void pkgfs_stop(void)
{
	for (unsigned i = 0; i < PKGFS_SVC_OPEN_MAX; i++) {
		if (pk.slots[i].used) {
			(void)pkgfs_close(&pk.slots[i].f);
			budget_release(pk.slots[i].owner, BUDGET_HANDLES, 1);
		}
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

/* The longest path the interface accepts, with its NUL: "pkg:" and PKGFS_PATH_MAX
 * bytes. One byte more is copied in so an overlong path is told apart. */
#define PATH_COPY (sizeof(PKGFS_PREFIX) - 2 + PKGFS_PATH_MAX + 2)

/* A read is served through a buffer of packagefs' own, this much at a time, so
 * the caller's buffer is written only by the gate's copy, with the lock dropped. */
#define READ_CHUNK 4096u

/* enter: pass the gate; 0 or the gate's error. */
static int enter(struct cap_call *call, const char *op)
{
	return cap_enter(call, CAP_COMP_PACKAGEFS, op);
}

/* lock: take pk.lock for the call; CAIRN_ESHUTDOWN when a packagefs thread died
 * holding it (packagefs is being restarted; mutex_lock_live). */
static int lock(const struct cap_call *call, const char *op)
{
	int err = mutex_lock_live(&pk.lock);
	if (err)
		return err;
	pk.cur_caller = call->caller;
	pk.cur_op = op;
	return 0;
}

/* unlock: drop pk.lock, pass rc through. */
static int unlock(int rc)
{
	mutex_unlock(&pk.lock);
	return rc;
}

/* leave: leave the gate, pass rc through. */
static int leave(struct cap_call *call, int rc)
{
	cap_leave(call);
	return rc;
}

/* path_in: copy the caller's path into p (once: the engine reads only the copy)
 * and check its "pkg:/" prefix; the engine checks the rest. */
static int path_in(const struct cap_call *call, char p[PATH_COPY], const char *path)
{
	int n = cap_copy_str_in(call, p, path, PATH_COPY);
	if (n == CAIRN_ENAMETOOLONG)
		return CAIRN_ENAMETOOLONG;
	if (n < 0)
		return n;
	if (strncmp(p, PKGFS_PREFIX, strlen(PKGFS_PREFIX)) != 0)
		return CAIRN_EINVAL;
	return 0;
}

/* slot_of: the caller's open slot for handle h, or NULL. pk.lock held. */
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
	struct pkgfs_svc_info out;
	int err = enter(&call, "info");
	if (err)
		return err;
	if (!info)
		return leave(&call, CAIRN_EINVAL);
	if ((err = lock(&call, "info")))
		return leave(&call, err);
	out.source = pk.source;
	out.files = pk.totals.files;
	out.dirs = pk.totals.dirs;
	out.bytes = pk.totals.bytes;
	out.mount_us = pk.mount_us;
	out.read_only = pk.disk ? pk.disk->info.read_only : pk.fixture.dev.info.read_only;
	pkgfs_cache_stats(pk.fs, &out.cache);
	(void)unlock(0);
	return leave(&call, cap_copy_out(&call, info, &out, sizeof(out)));
}

/* pkgfs_svc_stat: gate, copy the path in and check its prefix, stat through the engine
 * into our own struct, copy it out. */
int pkgfs_svc_stat(const char *path, struct pkgfs_stat *st)
{
	struct cap_call call;
	char p[PATH_COPY];
	struct pkgfs_stat out;
	int err = enter(&call, "stat");
	if (err)
		return err;
	err = path_in(&call, p, path);
	if (!err && !st)
		err = CAIRN_EINVAL;
	if (!err && !(err = lock(&call, "stat")))
		err = unlock(pkgfs_stat(pk.fs, p, &out));
	if (!err)
		err = cap_copy_out(&call, st, &out, sizeof(out));
	return leave(&call, err);
}

/* reserved: caller has a handle reservation (a component the table grants
 * packagefs), not the kernel core or packagefs itself. */
static bool reserved(uint16_t caller) { return caller != 0 && caller != CAP_COMP_PACKAGEFS; }

/* spare_used: slots held by callers without a reservation. pk.lock held. */
static unsigned spare_used(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < PKGFS_SVC_OPEN_MAX; i++)
		n += pk.slots[i].used && !reserved(pk.slots[i].owner);
	return n;
}

/* free_slot: a free slot, or NULL when all PKGFS_SVC_OPEN_MAX are used. pk.lock held. */
static struct pkgfs_slot *free_slot(void)
{
	for (unsigned i = 0; i < PKGFS_SVC_OPEN_MAX; i++)
		if (!pk.slots[i].used)
			return &pk.slots[i];
	return NULL;
}

/* open_locked: open p into a free slot owned by caller; the handle encodes
 * slot and seq. The caller's handle budget is charged first (EMFILE): with
 * every other granted caller's it fits the table, so a caller under its
 * budget always finds a free slot, and a full table is never a granted
 * caller's error. A caller without a reservation gets only the spare slots
 * (EBUSY). pk.lock held. */
static int open_locked(const char *p, uint16_t caller)
{
	if (!reserved(caller) && spare_used() + 1u > SPARE_SLOTS)
		return CAIRN_EBUSY;
	int err = budget_charge(caller, BUDGET_HANDLES, 1);
	if (err)
		return err;
	struct pkgfs_slot *s = free_slot();
	err = s ? pkgfs_open(pk.fs, p, &s->f) : CAIRN_EBUSY;
	if (err) {
		budget_release(caller, BUDGET_HANDLES, 1);
		return err;
	}
	pk.next_seq = (pk.next_seq + 1) & SEQ_MASK;
	s->used = true;
	s->owner = caller;
	s->seq = pk.next_seq;
	return (int)((s->seq << SLOT_BITS) | (unsigned)(s - pk.slots));
}

/* pkgfs_svc_open: gate, copy the path in, open it into a slot of the caller's. */
int pkgfs_svc_open(const char *path)
{
	struct cap_call call;
	char p[PATH_COPY];
	int err = enter(&call, "open");
	if (err)
		return err;
	err = path_in(&call, p, path);
	if (!err && !(err = lock(&call, "open")))
		err = unlock(open_locked(p, call.caller));
	return leave(&call, err);
}

/* pkgfs_svc_read: read through the caller's handle, READ_CHUNK bytes at a time into a
 * buffer of our own under the lock (the engine verifies the content first), each
 * chunk copied out with the lock dropped. The handle is looked up again for
 * every chunk: a close or restart in between ends the read. */
int pkgfs_svc_read(int h, uint64_t off, void *buf, size_t len)
{
	struct cap_call call;
	int err = enter(&call, "read");
	if (err)
		return err;
	if ((!buf && len) || len > INT32_MAX)
		return leave(&call, CAIRN_EINVAL);
	uint8_t *chunk = malloc(READ_CHUNK);
	if (!chunk)
		return leave(&call, CAIRN_ENOMEM);
	size_t done = 0;
	do {
		size_t want = len - done < READ_CHUNK ? len - done : READ_CHUNK;
		if ((err = lock(&call, "read")))
			break;
		struct pkgfs_slot *s = slot_of(h, call.caller);
		int n = s ? pkgfs_read(&s->f, off + done, chunk, want) : CAIRN_EINVAL;
		(void)unlock(0);
		if (n < 0) {
			err = n;
			break;
		}
		err = cap_copy_out(&call, (uint8_t *)buf + done, chunk, (size_t)n);
		done += (size_t)n;
		if ((size_t)n < want)
			break;
	} while (!err && done < len);
	free(chunk);
	return leave(&call, err ? err : (int)done);
}

/* pkgfs_svc_fstat: stat of the caller's open handle. */
int pkgfs_svc_fstat(int h, struct pkgfs_stat *st)
{
	struct cap_call call;
	struct pkgfs_stat out;
	int err = enter(&call, "fstat");
	if (err)
		return err;
	if (!st)
		return leave(&call, CAIRN_EINVAL);
	if ((err = lock(&call, "fstat")))
		return leave(&call, err);
	struct pkgfs_slot *s = slot_of(h, call.caller);
	err = unlock(s ? pkgfs_fstat(&s->f, &out) : CAIRN_EINVAL);
	if (!err)
		err = cap_copy_out(&call, st, &out, sizeof(out));
	return leave(&call, err);
}

/* pkgfs_svc_close: close the caller's handle and free its slot. */
int pkgfs_svc_close(int h)
{
	struct cap_call call;
	int err = enter(&call, "close");
	if (err)
		return err;
	if ((err = lock(&call, "close")))
		return leave(&call, err);
	struct pkgfs_slot *s = slot_of(h, call.caller);
	err = CAIRN_EINVAL;
	if (s) {
		err = pkgfs_close(&s->f);
		s->used = false;
		budget_release(s->owner, BUDGET_HANDLES, 1);
	}
	return leave(&call, unlock(err));
}

/* pkgfs_svc_readdir: gate, copy path and cursor in, one entry from the engine into our
 * own struct, then cursor and entry copied out. */
int pkgfs_svc_readdir(const char *path, uint64_t *cursor, struct pkgfs_dirent *ent)
{
	struct cap_call call;
	char p[PATH_COPY];
	uint64_t cur;
	struct pkgfs_dirent out;
	int err = enter(&call, "readdir");
	if (err)
		return err;
	err = path_in(&call, p, path);
	if (!err && (!cursor || !ent))
		err = CAIRN_EINVAL;
	if (!err)
		err = cap_copy_in(&call, &cur, cursor, sizeof(cur));
	int rc = err;
	if (!err && !(err = lock(&call, "readdir")))
		rc = unlock(pkgfs_readdir(pk.fs, p, &cur, &out));
	if (!err && rc == 1)
		err = cap_copy_out(&call, ent, &out, sizeof(out));
	if (!err && rc >= 0)
		err = cap_copy_out(&call, cursor, &cur, sizeof(cur));
	return leave(&call, err ? err : rc);
}

/* pkgfs_svc_bench: run the benchmark inside a gated call, with the lock held. */
int pkgfs_svc_bench(void)
{
	struct cap_call call;
	int err = enter(&call, "bench");
	if (err)
		return err;
	if ((err = lock(&call, "bench")))
		return leave(&call, err);
	return leave(&call, unlock(pkgfs_bench_locked()));
}
