/* Test console for the shell engine: a backend that records every output byte
 * and feeds a small terminal model (one row, cursor, erase, cursor moves), so
 * tests check what a person would see, plus an input queue that "arrives" while
 * a command runs. Shared by the Check tests and the fuzz target. */
#ifndef SHELL_TESTUTIL_H
#define SHELL_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shell.h"

#define VT_LINES 64 /* finished rows kept */
#define VT_OUT_MAX (1u << 20)

struct vt {
	unsigned cols;
	char row[SHELL_COLS_MAX + 1];		  /* the current row, space-padded */
	unsigned col;				  /* cursor column */
	char lines[VT_LINES][SHELL_COLS_MAX + 1]; /* finished rows, oldest first */
	unsigned nlines;   /* total finished rows (ring index = n % VT_LINES) */
	unsigned wraps;	   /* editor bytes written in the last column: a torn row */
	bool editor;	   /* the bytes being fed come from emit() */
	size_t fed;	   /* bytes fed so far */
	size_t first_wrap; /* fed count at the first wrap, for debugging */
	unsigned bells;
	unsigned clears;  /* ESC [ 2 J */
	unsigned unknown; /* escape sequences the model does not know */
	/* escape parsing */
	int esc; /* 0 none, 1 after ESC, 2 in CSI */
	char par[16];
	size_t plen;
};

struct tcons {
	struct vt vt;
	char *out; /* every byte, emit and print alike */
	size_t out_len;
	bool locked;	      /* inside lock()/unlock() */
	unsigned lock_errors; /* emit outside the lock, nested or unbalanced locks */
	/* Input that read() hands out, at most read_chunk bytes per call: */
	const uint8_t *in;
	size_t in_len, in_pos, read_chunk;
	/* after_prints: make in[] readable only after this many print() calls */
	unsigned prints, in_after_prints;
	struct shell_backend be;
};

void tcons_init(struct tcons *t, unsigned cols);
void tcons_free(struct tcons *t);
/* tcons_clear_out: forget recorded output (the terminal model stays). */
void tcons_clear_out(struct tcons *t);
/* tcons_row: the current row without trailing spaces (static buffer). */
const char *tcons_row(struct tcons *t);
/* tcons_line: the k-th newest finished row (1 = newest), trailing spaces cut. */
const char *tcons_line(struct tcons *t, unsigned k);
/* tcons_count: how often needle occurs in the recorded output. */
unsigned tcons_count(const struct tcons *t, const char *needle);
/* vt_feed: run bytes through the terminal model. */
void vt_feed(struct vt *vt, const char *s, size_t n);

#endif
