/* libFuzzer target for the shell engine: arbitrary byte streams (escape
 * sequences, controls, pastes, Tab, Enter, Ctrl-C) fed in arbitrary chunks into
 * the editor, completion, tokeniser and dispatcher over the test console and
 * table, with more input arriving while commands run. After every chunk the
 * editor's invariants must hold and the prompt row must never wrap or tear.
 *
 * Input layout: byte 0 = terminal width seed, byte 1 = flags (bit 0 machine
 * mode, bits 1-3 chunk size class), then the stream. A 0xfe byte in the stream
 * ends the current chunk (so the fuzzer controls read boundaries). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/err.h"
#include "shell.h"
#include "shell_testtable.h"
#include "shell_testutil.h"

static struct tcons tc;
static struct shell sh;

/* fail: report a broken invariant and stop, so the crash names it. */
static void fail(const char *what)
{
	fprintf(stderr,
		"fuzz_shell: invariant broken: %s (len=%zu pos=%zu off=%zu cols=%u "
		"wraps=%u lock_errors=%u)\n",
		what, sh.ed.len, sh.ed.pos, sh.ed.off, sh.ed.cols, tc.vt.wraps, tc.lock_errors);
	if (getenv("FUZZ_SHELL_DUMP")) {
		fwrite(tc.out, 1, tc.out_len, stderr);
		fprintf(stderr, "\n--- first wrap at output byte %zu, after:\n", tc.vt.first_wrap);
		size_t from = tc.vt.first_wrap > 200 ? tc.vt.first_wrap - 200 : 0;
		fwrite(tc.out + from, 1, tc.vt.first_wrap + 1 - from, stderr);
		fprintf(stderr, "\n");
	}
	abort();
}

/* check: the invariants of the editor after a feed. */
static void check(void)
{
	const struct shell_ed *ed = &sh.ed;
	if (ed->len > SHELL_LINE_MAX || ed->pos > ed->len || ed->line[ed->len] != '\0' ||
	    strlen(ed->line) != ed->len)
		fail("line bounds");
	if (ed->off > ed->pos || ed->pos - ed->off > ed->cols - ed->plen - 1)
		fail("cursor off the row");
	if (ed->cols < SHELL_COLS_MIN || ed->cols > SHELL_COLS_MAX ||
	    ed->esc_len >= sizeof(ed->esc_buf))
		fail("editor state");
	if (tc.vt.wraps)
		fail("the prompt row wrapped");
	if (tc.lock_errors || tc.locked)
		fail("emit outside the lock or print inside it");
	if (sh.ahead_len > sizeof(sh.ahead) || sh.hist.count > SHELL_HIST_LINES)
		fail("typeahead or history bounds");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned cols = SHELL_COLS_MIN + data[0] % 200;
	uint8_t flags = data[1];
	data += 2;
	size -= 2;
	if (!tc.out)
		tcons_init(&tc, cols);
	free(tc.out);
	tcons_init(&tc, cols);
	memset(&ttab_log, 0, sizeof(ttab_log));
	ttab_log.list_max = 40;
	ttab_log.result = (flags & 0x10) ? CAIRN_EACCES : 0;
	shell_init(&sh, &tc.be, ttab_cmds, &ttab_svc);
	shell_ed_set_cols(&sh.ed, cols);
	sh.machine = flags & 1;
	shell_start(&sh);
	/* The second half of the stream is what "arrives" while commands run. */
	size_t half = size / 2;
	tc.in = data + half;
	tc.in_len = size - half;
	tc.read_chunk = 1 + ((flags >> 1) & 7);
	size_t chunk = 1u << ((flags >> 1) & 7);
	size_t i = 0;
	while (i < half) {
		size_t n = 0;
		while (i + n < half && n < chunk && data[i + n] != 0xfe)
			n++;
		shell_input(&sh, data + i, n);
		check();
		i += n + (i + n < half && data[i + n] == 0xfe);
	}
	/* And some lines of their own, parsed straight. */
	char line[SHELL_LINE_MAX + 1];
	size_t n = half < SHELL_LINE_MAX ? half : SHELL_LINE_MAX;
	memcpy(line, data, n);
	line[n] = '\0';
	char *argv[SHELL_ARGS_MAX];
	const char *why;
	int argc = shell_parse(line, argv, SHELL_ARGS_MAX, &why);
	if (argc > SHELL_ARGS_MAX || (argc < 0 && argc != CAIRN_EINVAL && argc != CAIRN_E2BIG))
		abort();
	for (int k = 0; k < argc; k++) {
		if (argv[k] < line || argv[k] > line + n)
			abort();
	}
	return 0;
}
