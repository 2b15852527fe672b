/* SPDX-License-Identifier: MIT */
/*
 * store_report.h: the joined database of the migration report
 * (cli/report.c).  One or more staging databases are read once each into a
 * private temporary SQLite database, applying the join rules of
 * cli/report.h while copying; the report is then read back from that one
 * place, so a single database and a merge give the same shape.  The file
 * is its own under TMPDIR (mode 0600, removed by mf_report_db_close) behind
 * a page cache of bounded size, so memory does not grow with the number of
 * mailboxes (issue 15).  The SQL lives here only; cli/report.c formats.
 *
 * The readers below call fn once per row; the strings of a row live until
 * fn returns, and a negative return of fn stops the pass and is returned.
 */
#ifndef MF_CORE_STORE_REPORT_H
#define MF_CORE_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"

struct mf_report_db;

/* Join the staging databases dbs[0..n) (in that order) into a new joined
 * database: their sources, mailboxes, runs, delivery ledgers and problems.
 * MF_OK, or a negative code with diag set (a database that cannot be read,
 * no temporary file). */
int mf_report_db_open(struct mf_report_db **out, const char *const *dbs, size_t n,
		      struct mf_diag *diag);
/* Close it and remove its file. */
void mf_report_db_close(struct mf_report_db **r);

/* Cut the "#<32 hex digits>" instance suffix of a file target, in place
 * (the identity targets are joined by). */
void mf_report_target_cut(char *target);

/* The staged totals and the problems by severity (prob[MF_INFO..MF_ERROR]),
 * in one pass over each table; 0 where there is nothing. */
struct mf_report_totals {
	int64_t mailboxes, publics, messages, attachments, bytes, calendar_items;
	int64_t prob[3];
};
void mf_report_db_totals(struct mf_report_db *r, struct mf_report_totals *out);

/* The targets (their instance suffix cut), in name order, each with the
 * options JSON of its last export run (NULL when none). */
int mf_report_db_targets_each(struct mf_report_db *r,
			      int (*fn)(void *ctx, const char *target, const char *options),
			      void *ctx, struct mf_diag *diag);

/* Every staged mailbox with its figures on target (0 where it has none), in
 * kind, alias (case-insensitive) and key order. */
struct mf_report_mbox {
	const char *alias, *display_name, *source_address, *kind;
	int64_t messages, bytes, delivered, failed, cal, calendar_items;
	int done;                   /* the mailbox itself was delivered */
};
int mf_report_db_mailboxes_each(struct mf_report_db *r, const char *target,
				int (*fn)(void *ctx, const struct mf_report_mbox *m), void *ctx,
				struct mf_diag *diag);

/* The sources in the order they were first seen: format, path, post
 * office, network, code page, time zone, date order, exported at (each
 * NULL when absent). */
#define MF_REPORT_SOURCE_COLS 8
int mf_report_db_sources_each(struct mf_report_db *r,
			      int (*fn)(void *ctx, const char *const v[MF_REPORT_SOURCE_COLS]),
			      void *ctx, struct mf_diag *diag);

/* Problems by severity and code: errors, then warnings, then info, each by
 * code. */
int mf_report_db_codes_each(struct mf_report_db *r,
			    int (*fn)(void *ctx, const char *severity, const char *code,
				      int64_t count),
			    void *ctx, struct mf_diag *diag);
/* Up to three examples of a severity and code, by file (none last),
 * offset and text. */
struct mf_report_example {
	const char *alias, *file, *text;
	int has_offset;
	int64_t offset;
};
int mf_report_db_examples_each(struct mf_report_db *r, const char *severity, const char *code,
			       int (*fn)(void *ctx, const struct mf_report_example *e), void *ctx,
			       struct mf_diag *diag);

/* Every run of every database, by database then id.  target is as
 * recorded (with its instance suffix); finished_at, items and bytes are
 * absent when their has_ flag is 0. */
struct mf_report_run {
	const char *database, *kind, *format, *target, *status;
	int64_t id, started_at, finished_at, items, bytes;
	int has_finished, has_items, has_bytes;
};
int mf_report_db_runs_each(struct mf_report_db *r,
			   int (*fn)(void *ctx, const struct mf_report_run *run), void *ctx,
			   struct mf_diag *diag);
/* The longest run's duration in seconds (0 when none). */
int64_t mf_report_db_longest_run(struct mf_report_db *r);

/* The options JSON of a run as key and value pairs in their order,
 * leaving out what is unset (null, 0, false, ""). */
int mf_report_db_options_each(struct mf_report_db *r, const char *json,
			      int (*fn)(void *ctx, const char *key, const char *value), void *ctx,
			      struct mf_diag *diag);

#endif
