/* SPDX-License-Identifier: MIT */
/*
 * store_verify.h: what `mailferry verify` reads from the staging store: the
 * delivery ledger's rows for a target, the messages of a mailbox with
 * their folders, its folders and its calendar items.  Read only; the
 * statements live in core/store_verify.c (exporters run no SQL: they get
 * these through the verify driver, engine/verify.h).
 */
#ifndef MF_CORE_STORE_VERIFY_H
#define MF_CORE_STORE_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/mf.h"
#include "core/model.h"

struct mf_store;

/* One item with its ledger row on a target. */
struct mf_ledger_row {
	int64_t item_id;
	const char *folder;      /* messages: the staged folder path; else NULL */
	const char *status;      /* delivered, failed, skipped; NULL: no row */
	const char *remote_id;   /* NULL when none was recorded */
	const char *sha256;      /* NULL when none was recorded */
	int64_t bytes;           /* -1 when unknown */
};

/*
 * Every message of a mailbox that is not nested in another, in id order,
 * with its folder and its ledger row on target (status NULL when the
 * ledger has none).  *out is malloc'd (free it); strings in arena.
 */
int mf_store_verify_messages(struct mf_store *st, const char *target, int64_t mailbox_id,
			     struct mf_ledger_row **out, size_t *n_out,
			     struct mf_arena *arena, struct mf_diag *diag);

/*
 * The ledger rows of one kind ("message", "calendar", "pab", "mailbox")
 * that a mailbox has on target, in item id order (folder NULL).  *out is
 * malloc'd; strings in arena.
 */
int mf_store_verify_ledger(struct mf_store *st, const char *target, const char *item_kind,
			   int64_t mailbox_id, struct mf_ledger_row **out, size_t *n_out,
			   struct mf_arena *arena, struct mf_diag *diag);

/* The staged folder paths of a mailbox, in path order.  *out is
 * malloc'd; strings in arena. */
int mf_store_verify_folders(struct mf_store *st, int64_t mailbox_id, const char ***out,
			    size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/*
 * The calendar items of a mailbox in the order a calendar file holds
 * them (start time, unknown last, then UID), with id, uid, ical,
 * dtstart_utc/has_dtstart filled.  *out is malloc'd; strings in arena.
 */
int mf_store_verify_calendar(struct mf_store *st, int64_t mailbox_id,
			     struct mf_calendar_item **out, size_t *n_out,
			     struct mf_arena *arena, struct mf_diag *diag);

/*
 * A scratch list of what verify read back from a target, for a target of
 * one file per mailbox (Exchange: one record per .PRI section and per
 * message line of it): kept in temporary tables of the connection, in a
 * temporary file (PRAGMA temp_store = FILE, a small page cache of their
 * own), so that verify holds none of it in memory however large the set.
 * begin makes the tables empty and opens the transaction the records go
 * in; file_add and line_add add them (line_add to the last file); ready
 * commits (the reads follow); end drops the tables.
 */
int mf_store_vscratch_begin(struct mf_store *st, struct mf_diag *diag);
int mf_store_vscratch_file_add(struct mf_store *st, int64_t *id_out, const char *key,
			       const char *alias, struct mf_diag *diag);
int mf_store_vscratch_line_add(struct mf_store *st, int64_t file_id, int64_t line,
			       const char *sha256, int64_t bytes, int schedule,
			       struct mf_diag *diag);
int mf_store_vscratch_ready(struct mf_store *st, struct mf_diag *diag);
void mf_store_vscratch_end(struct mf_store *st);

/* The keys of the files whose alias is alias, in the order they were
 * added: fn(arg, key) for each (a negative return stops and is returned). */
int mf_store_vscratch_files_by_alias(struct mf_store *st, const char *alias,
				     int (*fn)(void *arg, const char *key), void *arg,
				     struct mf_diag *diag);

/* Whether a file of that key was added (*exists 1 or 0), and the lines
 * of every file of that key, files in the order added, lines in theirs:
 * fn(arg, line, sha256, bytes, schedule) for each. */
int mf_store_vscratch_lines_by_key(struct mf_store *st, const char *key, int *exists,
				   int (*fn)(void *arg, int64_t line, const char *sha256,
					     int64_t bytes, int schedule),
				   void *arg, struct mf_diag *diag);

#endif
