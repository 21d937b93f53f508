/* shell commands in the image: the command table and what each command does,
 * over the kernel's read-only diagnostics and the services the capability
 * table grants the shell. A command whose component is not in this image stays
 * in the table (help describes it) and says so when run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/diag.h"
#include "cairn/err.h"
#include "cairn/panic.h"
#include "cairn/supervisor.h"
#include "cairn/timer.h"
#include "shell_internal.h"
#ifdef CAP_GRANT_SHELL_STATEFS
#include "statefs_svc.h"
#endif
#ifdef CAP_GRANT_SHELL_PACKAGEFS
#include "packagefs_svc.h"
#endif
#ifdef CAP_GRANT_SHELL_BOOTCTL
#include "bootctl.h"
#endif
#ifdef CAP_GRANT_SHELL_KEYSTORE
#include "keystore.h"
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- help, version, uptime, reboot, poweroff ------------------------------ */

/* cmd_version: the image's version. */
static int cmd_version(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_printf(sh, "cairn %s\n", CAIRN_VERSION);
	return 0;
}

/* cmd_uptime: time since boot. */
static int cmd_uptime(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t us = time_us();
	shell_printf(sh, "uptime: %llu.%03llu s\n", (unsigned long long)(us / 1000000),
		     (unsigned long long)(us / 1000 % 1000));
	return 0;
}

/* cmd_reboot: reset the machine (QEMU with -no-reboot exits). */
static int cmd_reboot(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_printf(sh, "shell: rebooting\n");
	platform_reboot();
}

/* cmd_poweroff: power off (QEMU exits with status 0). */
static int cmd_poweroff(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_printf(sh, "shell: powering off\n");
	platform_exit(0);
}

/* ---- hw --------------------------------------------------------------------- */

/* cmd_hw_smp: online harts and their tick counters. */
static int cmd_hw_smp(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct diag_hart h[8];
	size_t n = diag_harts(h, ARRAY_LEN(h));
	shell_printf(sh, "hw: smp online=%zu\n", n);
	for (size_t i = 0; i < n && i < ARRAY_LEN(h); i++)
		shell_printf(sh, "hart %u hartid=%u state=%s ticks=%llu\n", h[i].index, h[i].hartid,
			     !h[i].online ? "offline"
			     : h[i].idle  ? "idle"
					  : "busy",
			     (unsigned long long)h[i].ticks);
	return 0;
}

/* cmd_hw_mem: the page pool and the heap. */
static int cmd_hw_mem(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct diag_mem m;
	diag_mem(&m);
	shell_printf(sh, "hw: mem pages total=%zu used=%zu free=%zu page=%zu\n", m.pages_total,
		     m.pages_total - m.pages_free, m.pages_free, m.page_size);
	shell_printf(sh, "hw: heap reserved=%zu arena=%zu used=%zu free=%zu\n", m.heap_reserved,
		     m.heap_size, m.heap_used, m.heap_reserved - m.heap_used);
	return 0;
}

/* cmd_hw_vblk: each disk: serial, size, read-only, owner, transport, CRC of
 * its first block. */
static int cmd_hw_vblk(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static struct diag_disk d[8];
	size_t n = diag_disks(d, ARRAY_LEN(d));
	shell_printf(sh, "hw: vblk disks=%zu\n", n);
	for (size_t i = 0; i < n && i < ARRAY_LEN(d); i++) {
		char crc[24];
		if (d[i].crc_err)
			snprintf(crc, sizeof(crc), "%s", cairn_strerror(d[i].crc_err));
		else
			snprintf(crc, sizeof(crc), "%08x", (unsigned)d[i].crc);
		shell_print_data(sh, "disk serial=", d[i].serial, strlen(d[i].serial));
		shell_printf(sh,
			     "  sectors=%llu block=%u ro=%d owner=%s transport=virtio-mmio-%s"
			     "@0x%llx irq=%u%s crc32c0=%s\n",
			     (unsigned long long)d[i].sectors, d[i].block_size,
			     d[i].read_only ? 1 : 0,
			     d[i].owner ? cap_comp_name(d[i].owner) : "none",
			     d[i].version == 1 ? "legacy" : "modern",
			     (unsigned long long)d[i].mmio_base, d[i].irq,
			     d[i].polled ? " polled" : "", crc);
	}
	return 0;
}

/* ---- threads, comp -------------------------------------------------------- */

#define THREADS_MAX 64

/* cmd_threads: every thread: id, name, component, state, hart, stack peak. */
static int cmd_threads(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static struct diag_thread t[THREADS_MAX]; /* only the shell thread runs commands */
	size_t n = diag_threads(t, THREADS_MAX);
	shell_printf(sh, "threads: count=%zu\n", n);
	shell_printf(sh, "%6s %-15s %-10s %-10s %s %4s %s\n", "id", "name", "component", "owner",
		     "st", "hart", "stack peak/size");
	for (size_t i = 0; i < n && i < THREADS_MAX; i++) {
		char hart[12];
		if (t[i].hart >= 0)
			snprintf(hart, sizeof(hart), "%d", t[i].hart);
		else
			strcpy(hart, "-");
		shell_printf(sh, "%6llu %-15s %-10s %-10s %c  %4s %zu/%zu\n",
			     (unsigned long long)t[i].id, t[i].name, cap_comp_name(t[i].component),
			     cap_comp_name(t[i].owner), t[i].state, hart, t[i].stack_peak,
			     t[i].stack_size);
	}
	if (n > THREADS_MAX)
		shell_printf(sh, "threads: %zu more not shown\n", n - THREADS_MAX);
	return 0;
}

/* state_name: a component state for people. */
static const char *state_name(enum comp_state st)
{
	switch (st) {
	case COMP_UP:
		return "up";
	case COMP_FAILED:
		return "failed";
	case COMP_SKIPPED:
		return "skipped";
	case COMP_STOPPING:
		return "stopping";
	default:
		return "down";
	}
}

/* why_down: what keeps comp down, for `comp`. */
static void why_down(unsigned comp, char *buf, size_t len)
{
	buf[0] = '\0';
	enum comp_state st = supervisor_state(comp);
	if (st == COMP_SKIPPED) {
		size_t o = (size_t)snprintf(buf, len, " why=needs");
		for (unsigned d = 1; d < cap_table.comp_count && o < len; d++) {
			if ((cap_table.needs[comp] & CAP_BIT(d)) && supervisor_state(d) != COMP_UP)
				o += (size_t)snprintf(buf + o, len - o, " %s", cap_comp_name(d));
		}
	} else if (st == COMP_FAILED) {
		int err = supervisor_last_error(comp);
		const char *how = err == CAIRN_EFAULT	   ? "faulted"
				  : err == CAIRN_ETIMEDOUT ? "stuck"
							   : "failed";
		snprintf(buf, len, " why=%s (%s)", how, cairn_strerror(err));
	}
}

/* cmd_comp: every component: state, restarts, faults, why it is down. */
static int cmd_comp(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < cap_table.start_count; i++) {
		unsigned c = cap_table.start_order[i];
		struct comp_fault f;
		if (supervisor_last_fault(c, &f) != 0)
			memset(&f, 0, sizeof(f));
		uint32_t gen = supervisor_generation(c);
		char why[96];
		why_down(c, why, sizeof(why));
		shell_printf(sh, "comp %-10s state=%s restarts=%u faults=%u%s\n", cap_comp_name(c),
			     state_name(supervisor_state(c)), gen > 1 ? gen - 1 : 0, f.count, why);
	}
	return 0;
}

/* cmd_comp_restart: ask the supervisor to restart a component (the table's
 * `privilege shell restart` line allows it; without it the supervisor denies
 * and audits the request like any other caller's). */
static int cmd_comp_restart(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	int id = cap_comp_by_name(argv[1]);
	if (id <= 0) {
		shell_printf(sh, "comp: no component '%s' in this image\n", argv[1]);
		return CAIRN_ENOENT;
	}
	if (id == CAP_COMP_SHELL) {
		/* Stopping the shell joins this very thread. */
		shell_printf(sh, "comp: the shell cannot restart itself\n");
		return CAIRN_EBUSY;
	}
	int err = supervisor_restart((unsigned)id);
	if (err == 0)
		shell_printf(sh, "comp: %s restarted\n", argv[1]);
	else
		shell_printf(sh, "comp: restart of %s: %s\n", argv[1], cairn_strerror(err));
	return err;
}

/* ---- caps, audit ---------------------------------------------------------- */

/* rights_str: "rwl" with dashes. */
static void rights_str(uint8_t r, char out[4])
{
	out[0] = (r & CAP_R) ? 'r' : '-';
	out[1] = (r & CAP_W) ? 'w' : '-';
	out[2] = (r & CAP_L) ? 'l' : '-';
	out[3] = '\0';
}

/* cmd_caps: the compiled capability table: grants, disks, prefixes. */
static int cmd_caps(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (unsigned c = 1; c < cap_table.comp_count; c++) {
		char line[256];
		size_t o = (size_t)snprintf(line, sizeof(line), "grant %s ->", cap_comp_name(c));
		unsigned n = 0;
		for (unsigned d = 1; d < cap_table.comp_count && o < sizeof(line); d++) {
			if (d != c && (cap_table.grants[c] & CAP_BIT(d))) {
				o += (size_t)snprintf(line + o, sizeof(line) - o, "%s %s",
						      n ? "," : "", cap_comp_name(d));
				n++;
			}
		}
		shell_printf(sh, "%s%s\n", line, n ? "" : " (nothing)");
	}
	for (unsigned i = 0; i < cap_table.disk_count; i++) {
		const struct cap_disk *d = &cap_table.disks[i];
		shell_printf(sh, "disk %s owner=%s mode=%s\n", d->serial, cap_comp_name(d->owner),
			     d->rw ? "rw" : "ro");
	}
	static const struct {
		uint32_t bit;
		const char *name;
	} privs[] = { { CAP_PRIV_RUN_AS, "run_as" },
		      { CAP_PRIV_RESTART, "restart" },
		      { CAP_PRIV_CRASH, "crash" } };
	for (unsigned c = 1; c < cap_table.comp_count; c++) {
		if (!cap_table.privs[c])
			continue;
		char line[128];
		size_t o = (size_t)snprintf(line, sizeof(line), "privilege %s", cap_comp_name(c));
		unsigned n = 0;
		for (unsigned k = 0; k < ARRAY_LEN(privs) && o < sizeof(line); k++) {
			if (cap_table.privs[c] & privs[k].bit)
				o += (size_t)snprintf(line + o, sizeof(line) - o, "%s %s",
						      n++ ? "," : "", privs[k].name);
		}
		shell_printf(sh, "%s\n", line);
	}
	for (unsigned i = 0; i < cap_table.prefix_count; i++) {
		const struct cap_prefix *p = &cap_table.prefixes[i];
		char line[256];
		size_t o = (size_t)snprintf(line, sizeof(line), "prefix %s", p->prefix);
		for (unsigned c = 1; c < cap_table.comp_count && o < sizeof(line); c++) {
			if (p->rights[c]) {
				char r[4];
				rights_str(p->rights[c], r);
				o += (size_t)snprintf(line + o, sizeof(line) - o, " %s:%s",
						      cap_comp_name(c), r);
			}
		}
		shell_printf(sh, "%s\n", line);
	}
	return 0;
}

/* same_kind: two audit records of the same kind, caller, callee and op. */
static bool same_kind(const struct audit_rec *a, const struct audit_rec *b)
{
	return a->kind == b->kind && a->caller == b->caller && a->callee == b->callee &&
	       !strcmp(a->op, b->op);
}

static const char *const audit_kinds[] = { "?",	     "cap-denied", "statefs-denied",
					   "blk-ro", "integrity",  "bad-address" };

/* cmd_audit: the newest n audit records (default 10), then the counts of each
 * distinct (kind, caller, callee, op) among the records kept. */
static int cmd_audit(struct shell *sh, int argc, char **argv)
{
	unsigned long n = 10;
	if (argc == 2) {
		char *end;
		n = strtoul(argv[1], &end, 10);
		if (*end || n == 0 || n > AUDIT_RING_SIZE) {
			shell_printf(sh, "audit: n must be 1..%d\n", AUDIT_RING_SIZE);
			return CAIRN_EINVAL;
		}
	}
	static struct audit_rec recs[AUDIT_RING_SIZE];
	uint64_t next = audit_next_seq(), missed = 0;
	uint64_t from = next > AUDIT_RING_SIZE ? next - AUDIT_RING_SIZE : 1;
	size_t got = audit_read(from, recs, AUDIT_RING_SIZE, &missed);
	shell_printf(sh, "audit: records=%llu kept=%zu\n", (unsigned long long)(next - 1), got);
	for (size_t i = got > n ? got - n : 0; i < got; i++) {
		const struct audit_rec *r = &recs[i];
		if (shell_cancelled(sh))
			return CAIRN_ECANCELED;
		shell_printf(sh, "#%llu t=%llu %s caller=%s callee=%s op=%s",
			     (unsigned long long)r->seq, (unsigned long long)r->time_us,
			     r->kind < ARRAY_LEN(audit_kinds) ? audit_kinds[r->kind] : "?",
			     cap_comp_name(r->caller), cap_comp_name(r->callee), r->op);
		/* The subject is stored escaped by audit_append: safe to print. */
		shell_printf(sh, "%s%s\n", r->subject[0] ? " subject=" : "", r->subject);
	}
	for (size_t i = 0; i < got; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = same_kind(&recs[k], &recs[i]);
		if (seen)
			continue;
		unsigned count = 0;
		for (size_t k = i; k < got; k++)
			count += same_kind(&recs[k], &recs[i]);
		const struct audit_rec *r = &recs[i];
		shell_printf(sh, "count %u %s caller=%s callee=%s op=%s\n", count,
			     r->kind < ARRAY_LEN(audit_kinds) ? audit_kinds[r->kind] : "?",
			     cap_comp_name(r->caller), cap_comp_name(r->callee), r->op);
	}
	return 0;
}

/* ---- state ---------------------------------------------------------------- */
#ifdef CAP_GRANT_SHELL_STATEFS
#define STATE_DEFAULT_PREFIX "/state/shell/"
static uint8_t value_buf[STATEFS_VALUE_MAX]; /* only the shell thread runs commands */

/* say_err: a failed service call, with the name of the error. */
static int say_err(struct shell *sh, const char *what, const char *subject, int err)
{
	shell_printf(sh, "%s %s: %s\n", what, subject, cairn_strerror(err));
	return err;
}

/* cmd_state_ls: keys under a prefix (default the shell's own). */
static int cmd_state_ls(struct shell *sh, int argc, char **argv)
{
	const char *prefix = argc > 1 ? argv[1] : STATE_DEFAULT_PREFIX;
	static struct statefs_dirent ents[16];
	char after[STATEFS_KEY_MAX + 1] = "";
	unsigned total = 0;
	for (;;) {
		int n = statefs_svc_list(prefix, after, ents, ARRAY_LEN(ents));
		if (n < 0)
			return say_err(sh, "state ls", prefix, n);
		for (int i = 0; i < n; i++) {
			if (shell_cancelled(sh))
				return CAIRN_ECANCELED;
			shell_print_data(sh, "key ", ents[i].key, strlen(ents[i].key));
			shell_printf(sh, "  len=%u\n", ents[i].value_len);
			total++;
		}
		if ((size_t)n < ARRAY_LEN(ents))
			break;
		memcpy(after, ents[n - 1].key, sizeof(after));
	}
	shell_printf(sh, "state: %u keys under %s\n", total, prefix);
	return 0;
}

/* cmd_state_get: one value, escaped so it cannot drive the terminal. */
static int cmd_state_get(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	int n = statefs_svc_get(argv[1], value_buf, sizeof(value_buf));
	if (n < 0)
		return say_err(sh, "state get", argv[1], n);
	shell_printf(sh, "state: len=%d\n", n);
	shell_print_data(sh, "value: ", value_buf, (size_t)n);
	return 0;
}

/* cmd_state_put: set a value (durable after `state sync`). */
static int cmd_state_put(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	int err = statefs_svc_put(argv[1], argv[2], strlen(argv[2]));
	if (err)
		return say_err(sh, "state put", argv[1], err);
	shell_printf(sh, "state: put %zu bytes (not durable until 'state sync')\n",
		     strlen(argv[2]));
	return 0;
}

/* cmd_state_rm: delete a key. */
static int cmd_state_rm(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	int err = statefs_svc_delete(argv[1]);
	return err ? say_err(sh, "state rm", argv[1], err) : 0;
}

/* cmd_state_sync: make every earlier change durable. */
static int cmd_state_sync(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int err = statefs_svc_sync();
	if (err)
		return say_err(sh, "state sync", "", err);
	shell_printf(sh, "state: synced\n");
	return 0;
}

/* cmd_state_stat: statefs' figures and its last replay report. */
static int cmd_state_stat(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static struct statefs_svc_stat st;
	int err = statefs_svc_stat(&st);
	if (err)
		return say_err(sh, "state stat", "", err);
	const struct statefs_replay_report *r = &st.replay;
	shell_printf(sh,
		     "state: keys=%llu live_bytes=%llu region_bytes=%llu tail=%llu "
		     "compactions=%llu written=%llu ro=%d\n",
		     (unsigned long long)st.stats.keys, (unsigned long long)st.stats.live_bytes,
		     (unsigned long long)st.stats.region_bytes, (unsigned long long)st.stats.tail,
		     (unsigned long long)st.stats.compactions,
		     (unsigned long long)st.stats.device_bytes_written, st.read_only ? 1 : 0);
	shell_printf(sh,
		     "state: replay region=%c generation=%llu records=%llu stop=%s clean=%d "
		     "formatted=%d discarded=%llu mount_us=%llu\n",
		     r->region ? 'B' : 'A', (unsigned long long)r->generation,
		     (unsigned long long)r->records_replayed,
		     statefs_stop_reason_name(r->stop_reason), r->clean ? 1 : 0,
		     r->formatted ? 1 : 0, (unsigned long long)r->bytes_discarded,
		     (unsigned long long)st.mount_us);
	if (!r->clean)
		shell_printf(sh, "state: replay stopped at record %llu offset %llu\n",
			     (unsigned long long)r->bad_record_index,
			     (unsigned long long)r->bad_offset);
	return 0;
}

/* cmd_state_fsck: check the store (every live record re-read). */
static int cmd_state_fsck(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static const char *const problems[] = { "none", "torn-tail", "superblock-copy", "record",
						"index" };
	static struct statefs_check_report rep;
	int err = statefs_svc_check(&rep);
	if (err && err != CAIRN_EBADMSG)
		return say_err(sh, "state fsck", "", err);
	shell_printf(sh, "state: fsck records=%llu keys=%llu supers=%u/2 stop=%s problem=%s%s\n",
		     (unsigned long long)rep.records_checked, (unsigned long long)rep.keys,
		     (unsigned)__builtin_popcount(rep.super_valid_mask),
		     statefs_stop_reason_name(rep.stop_reason),
		     (unsigned)rep.problem < ARRAY_LEN(problems) ? problems[rep.problem] : "?",
		     rep.problem ? "" : " (clean)");
	return err;
}
#else
#define cmd_state_ls NULL
#define cmd_state_get NULL
#define cmd_state_put NULL
#define cmd_state_rm NULL
#define cmd_state_sync NULL
#define cmd_state_stat NULL
#define cmd_state_fsck NULL
#endif

/* ---- pkg ------------------------------------------------------------------ */
#ifdef CAP_GRANT_SHELL_PACKAGEFS
#define PKG_PATH_MAX 1100

/* mode_char: 'd' for a directory, '-' for a file. */
static char mode_char(uint32_t mode) { return (mode & PKGFS_S_IFMT) == PKGFS_S_IFDIR ? 'd' : '-'; }

/* cmd_pkg_ls: a directory's entries. */
static int cmd_pkg_ls(struct shell *sh, int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "pkg:/";
	uint64_t cursor = 0;
	struct pkgfs_dirent ent;
	unsigned n = 0;
	int rc;
	while ((rc = pkgfs_svc_readdir(path, &cursor, &ent)) == 1) {
		if (shell_cancelled(sh))
			return CAIRN_ECANCELED;
		shell_printf(sh, "%c%04o %10llu %s\n", mode_char(ent.st.mode), ent.st.mode & 07777,
			     (unsigned long long)ent.st.size, ent.name);
		n++;
	}
	if (rc < 0) {
		shell_printf(sh, "pkg ls %s: %s\n", path, cairn_strerror(rc));
		return rc;
	}
	shell_printf(sh, "pkg: %u entries in %s\n", n, path);
	return 0;
}

/* cmd_pkg_cat: a file's content, line by line, escaped; Ctrl-C stops it. */
static int cmd_pkg_cat(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	int h = pkgfs_svc_open(argv[1]);
	if (h < 0) {
		shell_printf(sh, "pkg cat %s: %s\n", argv[1], cairn_strerror(h));
		return h;
	}
	static uint8_t buf[4096];
	static char line[128];
	size_t ll = 0;
	uint64_t off = 0;
	int rc = 0;
	for (;;) {
		int n = pkgfs_svc_read(h, off, buf, sizeof(buf));
		if (n <= 0) {
			rc = n;
			break;
		}
		off += (uint64_t)n;
		for (int i = 0; i < n; i++) {
			bool nl = buf[i] == '\n';
			if (!nl)
				line[ll++] = (char)buf[i];
			if (nl || ll == sizeof(line)) {
				if (shell_cancelled(sh)) {
					rc = CAIRN_ECANCELED;
					goto out;
				}
				shell_print_data(sh, "", line, ll);
				ll = 0;
			}
		}
	}
	if (ll && rc == 0)
		shell_print_data(sh, "", line, ll);
out:
	(void)pkgfs_svc_close(h);
	if (rc < 0 && rc != CAIRN_ECANCELED)
		shell_printf(sh, "pkg cat %s: %s\n", argv[1], cairn_strerror(rc));
	if (rc == CAIRN_ECANCELED)
		shell_printf(sh, "pkg cat: interrupted at byte %llu\n", (unsigned long long)off);
	return rc;
}

/* cmd_pkg_stat: one entry: kind, mode, size, content hash. */
static int cmd_pkg_stat(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	struct pkgfs_stat st;
	int err = pkgfs_svc_stat(argv[1], &st);
	if (err) {
		shell_printf(sh, "pkg stat %s: %s\n", argv[1], cairn_strerror(err));
		return err;
	}
	char hex[2 * PKGFS_HASH_SIZE + 1];
	for (unsigned i = 0; i < PKGFS_HASH_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", st.sha256[i]);
	shell_printf(sh, "pkg: %s ino=%u type=%s mode=%04o size=%llu\n", argv[1], st.ino,
		     mode_char(st.mode) == 'd' ? "dir" : "file", st.mode & 07777,
		     (unsigned long long)st.size);
	if (mode_char(st.mode) != 'd')
		shell_printf(sh, "pkg: sha256=%s\n", hex);
	return 0;
}

/* verify_file: read a file through packagefs, which checks it against the
 * signed hash tree; 0 or the read's error. */
static int verify_file(const char *path)
{
	int h = pkgfs_svc_open(path);
	if (h < 0)
		return h;
	uint8_t b;
	int n = pkgfs_svc_read(h, 0, &b, 1); /* the first read hashes the whole file */
	(void)pkgfs_svc_close(h);
	return n < 0 ? n : 0;
}

struct verify {
	unsigned files, bad;
	char path[PKG_PATH_MAX];
};

/* verify_tree: every file under v->path (depth-first, bounded depth). */
static int verify_tree(struct shell *sh, struct verify *v, unsigned depth)
{
	uint64_t cursor = 0;
	struct pkgfs_dirent ent;
	size_t base = strlen(v->path);
	int rc;
	while ((rc = pkgfs_svc_readdir(v->path, &cursor, &ent)) == 1) {
		if (shell_cancelled(sh))
			return CAIRN_ECANCELED;
		size_t nl = strlen(ent.name);
		bool dir = mode_char(ent.st.mode) == 'd';
		if (base + nl + 2 > sizeof(v->path) || (dir && depth >= 16)) {
			shell_printf(sh, "pkg verify: %s%s: too deep or too long, skipped\n",
				     v->path, ent.name);
			v->bad++;
			continue;
		}
		memcpy(v->path + base, ent.name, nl + 1);
		if (dir) {
			memcpy(v->path + base + nl, "/", 2);
			rc = verify_tree(sh, v, depth + 1);
			if (rc == CAIRN_ECANCELED)
				return rc;
		} else {
			int err = verify_file(v->path);
			v->files++;
			if (err) {
				v->bad++;
				shell_printf(sh, "pkg verify: %s: %s\n", v->path,
					     cairn_strerror(err));
			}
		}
		v->path[base] = '\0';
	}
	return rc < 0 ? rc : 0;
}

/* cmd_pkg_verify: check one file, or every file under a directory. */
static int cmd_pkg_verify(struct shell *sh, int argc, char **argv)
{
	static struct verify v;
	const char *path = argc > 1 ? argv[1] : "pkg:/";
	struct pkgfs_stat st;
	int err = pkgfs_svc_stat(path, &st);
	if (err) {
		shell_printf(sh, "pkg verify %s: %s\n", path, cairn_strerror(err));
		return err;
	}
	memset(&v, 0, sizeof(v));
	if (mode_char(st.mode) != 'd') {
		err = verify_file(path);
		v.files = 1;
		v.bad = err ? 1 : 0;
	} else {
		size_t n = strlen(path);
		if (n + 2 > sizeof(v.path))
			return CAIRN_ENAMETOOLONG;
		memcpy(v.path, path, n + 1);
		if (path[n - 1] != '/')
			memcpy(v.path + n, "/", 2);
		err = verify_tree(sh, &v, 0);
	}
	shell_printf(sh, "pkg: verified files=%u bad=%u\n", v.files, v.bad);
	if (err)
		return err;
	return v.bad ? CAIRN_EIO : 0;
}
#else
#define cmd_pkg_ls NULL
#define cmd_pkg_cat NULL
#define cmd_pkg_stat NULL
#define cmd_pkg_verify NULL
#endif

/* ---- boot ------------------------------------------------------------------ */
#ifdef CAP_GRANT_SHELL_BOOTCTL
#define BOOT_ABSENT false

/* cmd_boot_status: the A/B slot state bootctl keeps, and this boot's facts. */
static int cmd_boot_status(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static struct bootctl_status st;
	int err = bootctl_status(&st);
	if (err) {
		shell_printf(sh, "boot status: %s\n", cairn_strerror(err));
		return err;
	}
	shell_printf(sh,
		     "boot: current=%s verified=%d release=%llu trial=%d confirmed=%d "
		     "writable=%d load=%s%s\n",
		     bootctl_slot_name(st.current), st.verified ? 1 : 0,
		     (unsigned long long)st.release, st.trial ? 1 : 0, st.confirmed ? 1 : 0,
		     st.writable ? 1 : 0, bootctl_load_name(st.load),
		     st.health_fail ? " health=fail" : "");
	shell_printf(sh, "boot: seq=%llu min_release=%llu last_good=%s\n",
		     (unsigned long long)st.st.seq, (unsigned long long)st.st.min_release,
		     bootctl_slot_name(st.st.last_good));
	for (uint8_t i = 0; i < BOOTCTL_NSLOTS; i++) {
		const struct bootctl_slot *s = &st.st.slot[i];
		shell_printf(sh,
			     "boot: slot %s priority=%u tries=%u successful=%d reason=%s "
			     "release=%llu\n",
			     bootctl_slot_name(i), s->priority, s->tries, s->successful ? 1 : 0,
			     bootctl_reason_name(s->reason), (unsigned long long)s->release);
	}
	return 0;
}

/* cmd_boot_set_active: give slot a or b a trial from the next boot on. */
static int cmd_boot_set_active(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	uint8_t slot;
	if (!strcmp(argv[1], "a"))
		slot = BOOTCTL_SLOT_A;
	else if (!strcmp(argv[1], "b"))
		slot = BOOTCTL_SLOT_B;
	else {
		shell_printf(sh, "boot set-active: the slot is a or b\n");
		return CAIRN_EINVAL;
	}
	int err = bootctl_set_active(slot);
	if (err)
		shell_printf(sh, "boot set-active %s: %s\n", argv[1], cairn_strerror(err));
	else
		shell_printf(sh, "boot: slot %s gets a trial from the next boot on\n", argv[1]);
	return err;
}

/* cmd_boot_confirm: the health gate by hand: confirm the running slot. */
static int cmd_boot_confirm(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int err = bootctl_mark_good();
	if (err)
		shell_printf(sh, "boot confirm: %s\n", cairn_strerror(err));
	else
		shell_printf(sh, "boot: running slot confirmed\n");
	return err;
}
#else
#define BOOT_ABSENT true
#define cmd_boot_status NULL
#define cmd_boot_set_active NULL
#define cmd_boot_confirm NULL
#endif

/* ---- key: the device key's public operations, as the table's keyuse allows ---- */
#ifdef CAP_GRANT_SHELL_KEYSTORE
#define KEY_ABSENT false

/* hex_line: print label and n bytes as lowercase hex on one line. */
static void hex_line(struct shell *sh, const char *label, const uint8_t *b, size_t n)
{
	char hex[2 * KEYSTORE_SIG_MAX + 1];
	for (size_t i = 0; i < n && i < KEYSTORE_SIG_MAX; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	hex[2 * (n < KEYSTORE_SIG_MAX ? n : KEYSTORE_SIG_MAX)] = '\0';
	shell_printf(sh, "%s%s\n", label, hex);
}

/* cmd_key_pub: the device identity's public key (never a secret). */
static int cmd_key_pub(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint8_t pub[KEYSTORE_PUBLIC];
	int err = keystore_pub(KEYSTORE_DEVICE, pub);
	if (err)
		return say_err(sh, "key pub", KEYSTORE_DEVICE, err);
	hex_line(sh, "key: device pub=", pub, sizeof(pub));
	return 0;
}

/* cmd_key_sign: sign the text with the device key, print the signature. */
static int cmd_key_sign(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	uint8_t sig[KEYSTORE_SIG_MAX];
	int n = keystore_sign(KEYSTORE_DEVICE, argv[1], strlen(argv[1]), sig, sizeof(sig));
	if (n < 0)
		return say_err(sh, "key sign", KEYSTORE_DEVICE, n);
	hex_line(sh, "key: sig=", sig, (size_t)n);
	return 0;
}
#else
#define KEY_ABSENT true
#define cmd_key_pub NULL
#define cmd_key_sign NULL
#endif

/* ---- completion over the services ---------------------------------------- */

/* complete_state: the prefixes the shell may list, and the keys under them. */
static void complete_state(const char *typed, shell_cand_fn add, void *cookie)
{
	(void)typed; /* without statefs only the prefixes are offered */
	for (unsigned i = 0; i < cap_table.prefix_count; i++) {
		const struct cap_prefix *p = &cap_table.prefixes[i];
		if (!(p->rights[CAP_COMP_SHELL] & CAP_L))
			continue;
		add(cookie, p->prefix);
#ifdef CAP_GRANT_SHELL_STATEFS
		if (strncmp(typed, p->prefix, p->len))
			continue; /* not typed that far yet */
		static struct statefs_dirent ents[SHELL_CANDS_MAX];
		int n = statefs_svc_list(p->prefix, NULL, ents, ARRAY_LEN(ents));
		for (int k = 0; k < n; k++)
			add(cookie, ents[k].key);
#endif
	}
}

#ifdef CAP_GRANT_SHELL_PACKAGEFS
/* complete_pkg: entries of the directory the typed path is in. */
static void complete_pkg(const char *typed, shell_cand_fn add, void *cookie)
{
	static char dir[PKG_PATH_MAX], full[PKG_PATH_MAX];
	if (strncmp(typed, "pkg:/", 5)) {
		add(cookie, "pkg:/");
		return;
	}
	const char *slash = strrchr(typed, '/');
	size_t dl = (size_t)(slash - typed) + 1;
	if (dl >= sizeof(dir))
		return;
	memcpy(dir, typed, dl);
	dir[dl] = '\0';
	uint64_t cursor = 0;
	struct pkgfs_dirent ent;
	for (unsigned k = 0; k < 4 * SHELL_CANDS_MAX && pkgfs_svc_readdir(dir, &cursor, &ent) == 1;
	     k++) {
		bool isdir = mode_char(ent.st.mode) == 'd';
		int n = snprintf(full, sizeof(full), "%s%s%s", dir, ent.name, isdir ? "/" : "");
		if (n > 0 && (size_t)n < sizeof(full))
			add(cookie, full);
	}
}
#endif

/* complete: the services' completion provider. */
static void complete(void *ctx, enum shell_arg_kind kind, const char *prefix, shell_cand_fn add,
		     void *cookie)
{
	(void)ctx;
	switch (kind) {
	case SHELL_ARG_STATE:
		complete_state(prefix, add, cookie);
		break;
	case SHELL_ARG_PKG:
#ifdef CAP_GRANT_SHELL_PACKAGEFS
		complete_pkg(prefix, add, cookie);
#endif
		break;
	case SHELL_ARG_COMP:
		for (unsigned c = 1; c < cap_table.comp_count; c++)
			add(cookie, cap_comp_name(c));
		break;
	default:
		break;
	}
}

const struct shell_services shell_image_services = { .complete = complete };

/* ---- the table ------------------------------------------------------------- */

#ifdef CAP_GRANT_SHELL_PACKAGEFS
#define PKG_ABSENT false
#else
#define PKG_ABSENT true
#endif
#ifdef CAP_GRANT_SHELL_STATEFS
#define STATE_ABSENT false
#else
#define STATE_ABSENT true
#endif

static const char *const onoff[] = { "on", "off", NULL };

static const struct shell_cmd hw_subs[] = {
	{ .name = "smp",
	  .usage = "hw smp",
	  .summary = "online harts, their state and tick counts",
	  .detail = "  first line: hw: smp online=<n>; then one line per hart:\n"
		    "  hart <index> hartid=<id> state=idle|busy|offline ticks=<timer interrupts>",
	  .run = cmd_hw_smp },
	{ .name = "mem",
	  .usage = "hw mem",
	  .summary = "kernel pages and heap, used and free",
	  .run = cmd_hw_mem },
	{ .name = "vblk",
	  .usage = "hw vblk",
	  .summary = "disks: serial, size, read-only, owner, transport, CRC of block 0",
	  .run = cmd_hw_vblk },
	{ .name = NULL },
};

static const struct shell_cmd comp_subs[] = {
	{ .name = "restart",
	  .usage = "comp restart <name>",
	  .summary = "ask the supervisor to restart a component",
	  .detail = "  stops its running dependents, re-runs its init, starts them again\n"
		    "  (the table's 'privilege shell restart' line; the shell itself: EBUSY)",
	  .run = cmd_comp_restart,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_COMP } },
	{ .name = NULL },
};

static const struct shell_cmd state_subs[] = {
	{ .name = "ls",
	  .usage = "state ls [prefix]",
	  .summary = "keys under a prefix (default /state/shell/)",
	  .run = cmd_state_ls,
	  .max_args = 1,
	  .args = { SHELL_ARG_STATE },
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "get",
	  .usage = "state get <key>",
	  .summary = "a key's value (escaped)",
	  .run = cmd_state_get,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_STATE },
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "put",
	  .usage = "state put <key> <value>",
	  .summary = "set a key's value",
	  .detail = "  the value is the word as parsed (quotes, \\\\, \\\", \\xHH); durable after "
		    "'state sync'",
	  .run = cmd_state_put,
	  .min_args = 2,
	  .max_args = 2,
	  .args = { SHELL_ARG_STATE },
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "rm",
	  .usage = "state rm <key>",
	  .summary = "delete a key",
	  .run = cmd_state_rm,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_STATE },
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "sync",
	  .usage = "state sync",
	  .summary = "make every change durable",
	  .run = cmd_state_sync,
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "stat",
	  .usage = "state stat",
	  .summary = "statefs figures and replay report",
	  .run = cmd_state_stat,
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "fsck",
	  .usage = "state fsck",
	  .summary = "check the store: superblocks, every live record, the index",
	  .run = cmd_state_fsck,
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = NULL },
};

static const struct shell_cmd pkg_subs[] = {
	{ .name = "ls",
	  .usage = "pkg ls [dir]",
	  .summary = "a directory (default pkg:/)",
	  .run = cmd_pkg_ls,
	  .max_args = 1,
	  .args = { SHELL_ARG_PKG },
	  .needs = "packagefs",
	  .absent = PKG_ABSENT },
	{ .name = "cat",
	  .usage = "pkg cat <file>",
	  .summary = "a file's content (escaped)",
	  .run = cmd_pkg_cat,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_PKG },
	  .needs = "packagefs",
	  .absent = PKG_ABSENT },
	{ .name = "stat",
	  .usage = "pkg stat <path>",
	  .summary = "type, mode, size, content hash",
	  .run = cmd_pkg_stat,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_PKG },
	  .needs = "packagefs",
	  .absent = PKG_ABSENT },
	{ .name = "verify",
	  .usage = "pkg verify [path]",
	  .summary = "check files against the signed hash tree",
	  .run = cmd_pkg_verify,
	  .max_args = 1,
	  .args = { SHELL_ARG_PKG },
	  .needs = "packagefs",
	  .absent = PKG_ABSENT },
	{ .name = NULL },
};

static const struct shell_cmd key_subs[] = {
	{ .name = "pub",
	  .usage = "key pub",
	  .summary = "the device's public key",
	  .run = cmd_key_pub,
	  .needs = "keystore",
	  .absent = KEY_ABSENT },
	{ .name = "sign",
	  .usage = "key sign <text>",
	  .summary = "sign text with the device key",
	  .run = cmd_key_sign,
	  .min_args = 1,
	  .max_args = 1,
	  .needs = "keystore",
	  .absent = KEY_ABSENT },
	{ .name = NULL },
};

static const char *const slots[] = { "a", "b", NULL };

static const struct shell_cmd boot_subs[] = {
	{ .name = "status",
	  .usage = "boot status",
	  .summary = "this boot's slot and the A/B state bootctl keeps",
	  .run = cmd_boot_status,
	  .needs = "bootctl",
	  .absent = BOOT_ABSENT },
	{ .name = "set-active",
	  .usage = "boot set-active <a|b>",
	  .summary = "give a slot a trial from the next boot on",
	  .run = cmd_boot_set_active,
	  .min_args = 1,
	  .max_args = 1,
	  .args = { SHELL_ARG_WORDS },
	  .words = slots,
	  .needs = "bootctl",
	  .absent = BOOT_ABSENT },
	{ .name = "confirm",
	  .usage = "boot confirm",
	  .summary = "the health gate by hand: confirm the running slot",
	  .run = cmd_boot_confirm,
	  .needs = "bootctl",
	  .absent = BOOT_ABSENT },
	{ .name = NULL },
};

const struct shell_cmd shell_commands[] = {
	{ .name = "help",
	  .usage = "help [command [subcommand]]",
	  .summary = "commands and their use",
	  .run = shell_cmd_help,
	  .max_args = 2,
	  .args = { SHELL_ARG_COMMAND, SHELL_ARG_SUBCMD } },
	{ .name = "version",
	  .usage = "version",
	  .summary = "the image's version",
	  .run = cmd_version },
	{ .name = "uptime", .usage = "uptime", .summary = "time since boot", .run = cmd_uptime },
	{ .name = "reboot", .usage = "reboot", .summary = "reset the machine", .run = cmd_reboot },
	{ .name = "poweroff", .usage = "poweroff", .summary = "power off", .run = cmd_poweroff },
	{ .name = "hw",
	  .usage = "hw smp|mem|vblk",
	  .summary = "hardware: harts, memory, disks",
	  .subs = hw_subs },
	{ .name = "threads",
	  .usage = "threads",
	  .summary = "threads: id, name, component, state, hart, stack peak",
	  .run = cmd_threads },
	{ .name = "comp",
	  .usage = "comp [restart <name>]",
	  .summary = "components: state, restarts, faults, why down",
	  .run = cmd_comp,
	  .subs = comp_subs },
	{ .name = "caps",
	  .usage = "caps",
	  .summary = "the compiled capability table: grants, disks, privileges, prefixes",
	  .run = cmd_caps },
	{ .name = "audit",
	  .usage = "audit [n]",
	  .summary = "the newest audit records, with counts",
	  .run = cmd_audit,
	  .max_args = 1 },
	{ .name = "state",
	  .usage = "state ls|get|put|rm|sync|stat|fsck ...",
	  .summary = "statefs keys, under the shell's own policy",
	  .subs = state_subs,
	  .needs = "statefs",
	  .absent = STATE_ABSENT },
	{ .name = "pkg",
	  .usage = "pkg ls|cat|stat|verify ...",
	  .summary = "packagefs (pkg:/)",
	  .subs = pkg_subs,
	  .needs = "packagefs",
	  .absent = PKG_ABSENT },
	{ .name = "key",
	  .usage = "key pub|sign ...",
	  .summary = "keystore public operations",
	  .subs = key_subs,
	  .needs = "keystore",
	  .absent = KEY_ABSENT },
	{ .name = "boot",
	  .usage = "boot status|set-active|confirm ...",
	  .summary = "boot control (A/B slots)",
	  .subs = boot_subs,
	  .needs = "bootctl",
	  .absent = BOOT_ABSENT },
	{ .name = "machine",
	  .usage = "machine [on|off]",
	  .summary = "framed output for scripts: each line ends with ok or err <code> <name>",
	  .run = shell_cmd_machine,
	  .max_args = 1,
	  .args = { SHELL_ARG_WORDS },
	  .words = onoff },
	{ .name = NULL },
};
