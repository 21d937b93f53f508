/* crashload: the crash campaign's workload in the image (docs/crash-testing.md),
 * run by the selftest component's ready hook for the boot word "crashload":
 *   crashseed=<n>   the workload's seed (required)
 *   crashops=<n>    run at least n ops, then on to the next SYNC op (default 200)
 *   crashfrom=<n>   first op (default: the stored progress + 1, or 0 on a blank store)
 *   crashverify     only print the state's digest (no op is run)
 * The ops come from test/crash/crash_workload.c, the generator the host oracle
 * models. Every SYNC op puts the progress key and syncs, so the store records how
 * far the workload got. Exits QEMU with 0 when every op succeeded. */
#include <stdio.h>
#include <string.h>

#include "cairn/boot.h" /* platform (the parsed DTB) */
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/dt.h"
#include "cairn/err.h"
#include "cairn/supervisor.h"
#include "crash_workload.h"
#include "selftest.h"
#include "statefs_svc.h"

#define CRASH_DEFAULT_OPS 200u

_Static_assert(CW_BATCH_MAX <= STATEFS_SVC_BATCH_MAX, "a workload batch is one service batch");

static struct {
	uint64_t seed, ops, from;
	bool have_from, verify;
	uint8_t val[CW_BATCH_MAX * CW_VALUE_MAX]; /* a whole batch's values */
	char keys[CW_BATCH_MAX][CW_KEY_LEN_MAX];
} cl;

/* arg_u64: the value of "word=<decimal>" in the command line; false when absent. */
static bool arg_u64(const char *word, uint64_t *v)
{
	size_t n = strlen(word);
	for (const char *s = platform.bootargs; (s = strstr(s, word)) != NULL; s += n) {
		if ((s != platform.bootargs && s[-1] != ' ') || s[n] != '=')
			continue;
		const char *p = s + n + 1;
		uint64_t x = 0;
		bool any = false;
		while (*p >= '0' && *p <= '9' && x <= (UINT64_MAX - 9) / 10) {
			x = x * 10 + (uint64_t)(*p++ - '0');
			any = true;
		}
		if (!any || (*p && *p != ' '))
			return false;
		*v = x;
		return true;
	}
	return false;
}

/* digest: fold every workload key (in byte order) into one CRC and print it
 * with the progress value; the host compares it with its own mount. */
static int digest(void)
{
	struct statefs_dirent d[16];
	char after[STATEFS_KEY_MAX + 1] = "";
	uint32_t crc = 0;
	unsigned keys = 0;
	long long progress = -1;
	for (;;) {
		int n = statefs_svc_list(CW_PREFIX, after, d, 16);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			int len = statefs_svc_get(d[i].key, cl.val, sizeof(cl.val));
			if (len < 0)
				return len;
			crc = cw_digest(crc, d[i].key, strlen(d[i].key), cl.val, (size_t)len);
			keys++;
			if (strcmp(d[i].key, CW_PROGRESS_KEY) == 0 && len == 8) {
				uint64_t p = 0;
				for (int b = 7; b >= 0; b--)
					p = p << 8 | cl.val[b];
				progress = (long long)p;
			}
		}
		if (n < 16)
			break;
		memcpy(after, d[n - 1].key, sizeof(after));
	}
	kprintf("crashload: state keys=%u digest=%08x progress=%lld\n", keys, (unsigned)crc,
		progress);
	if (!cl.have_from) {
		cl.from = progress >= 0 ? (uint64_t)progress + 1 : 0;
		cl.have_from = true;
	}
	return 0;
}

/* run_op: execute one workload op through the statefs service. */
static int run_op(const struct cw_op *op)
{
	struct statefs_op b[CW_BATCH_MAX];
	if (op->kind == CW_RESTART) {
		return supervisor_restart(CAP_COMP_STATEFS); /* returns once it is back up */
	}
	for (unsigned i = 0; i < op->n; i++) {
		const struct cw_sub *s = &op->sub[i];
		(void)cw_key(s->key, cl.keys[i]);
		b[i] = (struct statefs_op){ .type = s->del ? STATEFS_OP_DELETE : STATEFS_OP_PUT,
					    .key = cl.keys[i] };
	}
	if (op->kind == CW_BATCH) {
		/* Each put of the batch gets its own slice of cl.val. */
		size_t off = 0;
		for (unsigned i = 0; i < op->n; i++) {
			const struct cw_sub *s = &op->sub[i];
			if (s->del)
				continue;
			cw_value(cl.seed, op->index, s->key, s->len, cl.val + off);
			b[i].value = cl.val + off;
			b[i].value_len = s->len;
			off += s->len;
		}
		return statefs_svc_batch(b, op->n);
	}
	const struct cw_sub *s = &op->sub[0];
	if (op->kind == CW_DELETE)
		return statefs_svc_delete(cl.keys[0]);
	cw_value(cl.seed, op->index, s->key, s->len, cl.val);
	int err = statefs_svc_put(cl.keys[0], cl.val, s->len);
	if (!err && op->kind == CW_SYNC)
		err = statefs_svc_sync();
	return err;
}

/* crashload_main: the workload, as the selftest component. */
static int crashload_main(void)
{
	int err = digest();
	if (err) {
		kprintf("crashload: FAILED reading the state: %s\n", cairn_strerror(err));
		return 1;
	}
	if (cl.verify)
		return 0;
	struct cw_gen g;
	struct cw_op op;
	cw_init(&g, cl.seed);
	do
		cw_next(&g, &op);
	while (op.index + 1 < cl.from);
	kprintf("crashload: start seed=%llu from=%llu\n", (unsigned long long)cl.seed,
		(unsigned long long)cl.from);
	uint64_t first = cl.from, syncs = 0, restarts = 0, done = 0;
	if (cl.from > 0)
		cw_next(&g, &op);
	for (;; cw_next(&g, &op)) {
		err = run_op(&op);
		if (err) {
			kprintf("crashload: FAILED op=%llu kind=%d: %s\n",
				(unsigned long long)op.index, (int)op.kind, cairn_strerror(err));
			return 1;
		}
		done++;
		syncs += op.kind == CW_SYNC;
		restarts += op.kind == CW_RESTART;
		if (done >= cl.ops && op.kind == CW_SYNC)
			break;
	}
	kprintf("crashload: done ops=%llu..%llu syncs=%llu restarts=%llu\n",
		(unsigned long long)first, (unsigned long long)op.index, (unsigned long long)syncs,
		(unsigned long long)restarts);
	return 0;
}

/* selftest_crashload: read the boot arguments, then run the workload as selftest. */
int selftest_crashload(void)
{
	memset(&cl, 0, sizeof(cl));
	if (!arg_u64("crashseed", &cl.seed)) {
		kprintf("crashload: FAILED: needs crashseed=<n>\n");
		return 1;
	}
	if (!arg_u64("crashops", &cl.ops))
		cl.ops = CRASH_DEFAULT_OPS;
	cl.have_from = arg_u64("crashfrom", &cl.from);
	cl.verify = dt_bootargs_has(platform.bootargs, "crashverify");
	if (supervisor_state(CAP_COMP_STATEFS) != COMP_UP) {
		kprintf("crashload: FAILED: statefs is not up\n");
		return 1;
	}
	return selftest_run_as(CAP_COMP_SELFTEST, "crashload", crashload_main);
}
