/* SPDX-License-Identifier: MIT */
/*
 * toolkit.h: what every importer does the same way.
 *
 *  - Problems: the parsers report through mf_problem_fn (importers/problem.h);
 *    an importer holds a message's reports in a struct mf_pending and writes
 *    them with mf_pending_flush once the message row exists (or the message
 *    was skipped).
 *  - The staged-file loop (struct mf_staged): a registered file's messages
 *    are staged MF_IMPORT_BATCH to a transaction; a resumed file skips the
 *    messages staged before; the mapped pages behind the last message are
 *    given back; the file is marked done and committed at the end, or the
 *    open batch rolled back on failure.
 *  - SQLite's settings for a bulk import (a larger page cache, fewer WAL
 *    checkpoints), raised and put back: mf_store_bulk_begin/end
 *    (core/store_import.h, included here).
 *
 *     struct mf_staged sf;
 *     mf_staged_init(&sf, st, &map, diag);
 *     sf.file_id = id; sf.state = state;        from mf_store_file_begin
 *     mf_staged_begin(&sf);
 *     for (each message at off .. end) {
 *         if (mf_staged_exists(&sf, off) == 1) continue;     resumed
 *         stage it, or mf_staged_skip(&sf, end) when damaged
 *         mf_staged_next(&sf, end);
 *     }
 *     mf_staged_end(&sf);                       or mf_staged_rollback(&sf)
 */
#ifndef MF_IMPORTERS_TOOLKIT_H
#define MF_IMPORTERS_TOOLKIT_H

#include <stdint.h>
#include "core/fsutil.h"
#include "core/store.h"
#include "core/store_import.h"
#include "importers/problem.h"

/* ---- problems held for a row ---- */

/*
 * Write the held problems as rows like *base (file, mailbox, message, item)
 * and drop them.  A problem at an offset before msg_off is about what came
 * before the message, not the message: it gets no message id and no item.
 * On failure the rest are dropped too and the store's code is returned.
 */
int mf_pending_flush(struct mf_store *st, struct mf_pending *pd, const struct mf_problem *base,
		     uint64_t msg_off, struct mf_diag *diag);

/* ---- the staged-file loop ---- */

#define MF_IMPORT_RELEASE_STEP (4u << 20)  /* give mapped pages back every 4 MiB */

struct mf_staged {
	struct mf_store *st;
	struct mf_diag *diag;
	struct mf_map *map;          /* NULL: nothing to give back */
	int64_t file_id;             /* from mf_store_file_begin */
	enum mf_file_state state;    /* MF_FILE_NEW or MF_FILE_RESUME */
	int64_t staged, skipped;     /* messages of this file (staged: found too) */
	int in_batch;
	uint64_t released;
};

void mf_staged_init(struct mf_staged *sf, struct mf_store *st, struct mf_map *map,
		    struct mf_diag *diag);
/* Open the first transaction. */
int mf_staged_begin(struct mf_staged *sf);
/* Resuming: 1 when the message at offset was staged by the run that was
 * interrupted (counted as staged), 0 when it is still to stage, < 0. */
int mf_staged_exists(struct mf_staged *sf, uint64_t offset);
/* A message was staged, the file read up to `upto`: count it, commit the
 * batch when it is full (returns 1 then, else 0), give back pages; < 0. */
int mf_staged_next(struct mf_staged *sf, uint64_t upto);
/* A damaged message was skipped, the file read up to `upto`. */
void mf_staged_skip(struct mf_staged *sf, uint64_t upto);
/* Give back the mapped pages before `upto` (every MF_IMPORT_RELEASE_STEP). */
void mf_staged_release(struct mf_staged *sf, uint64_t upto);
/* Mark the file done with its counts and commit. */
int mf_staged_end(struct mf_staged *sf);
/* Roll the open batch back. */
void mf_staged_rollback(struct mf_staged *sf);

#endif
