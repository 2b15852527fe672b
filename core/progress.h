/* SPDX-License-Identifier: MIT */
/*
 * progress.h: progress of long work.  On a terminal (stderr is a tty) one
 * line is redrawn at most 5 times a second with items and bytes done, the
 * rate and, when a total is known, a bar, the share done and the time left:
 *     maildir: [#########...........]  45% 1364/3030 items, 2.1 MB, 1.0 MB/s, 0:02 left
 * otherwise nothing is drawn and callers print one line per mailbox with
 * mf_progress_note.  --quiet silences both (commands with --json print
 * their result on stdout and no progress).
 */
#ifndef MF_CORE_PROGRESS_H
#define MF_CORE_PROGRESS_H

#include <stdint.h>
#include "core/mf.h"

struct mf_progress {
	const char *label;
	int64_t total_items, total_bytes;   /* 0: unknown */
	int64_t items, bytes;
	int64_t start_ms, last_ms;
	int tty, quiet, drawn;
	int ended;          /* after mf_progress_end: notes no longer redraw the line */
};

void mf_progress_begin(struct mf_progress *p, const char *label,
		       int64_t total_items, int64_t total_bytes, int quiet);
void mf_progress_update(struct mf_progress *p, int64_t items, int64_t bytes);
/* Set (or correct) the totals once they are known: the line then shows a
 * bar, the share done and the time left. */
void mf_progress_set_totals(struct mf_progress *p, int64_t total_items, int64_t total_bytes);
/* A line that stays (clears the bar first on a tty). */
void mf_progress_note(struct mf_progress *p, const char *fmt, ...) MF_ATTR_PRINTF(2, 3);
void mf_progress_end(struct mf_progress *p);
/* Milliseconds of a monotonic clock. */
int64_t mf_now_ms(void);

#endif
