/* SPDX-License-Identifier: MIT */
/*
 * report.h: the migration report (`mailferry report`), built from one
 * staging database or joined from several (the shards of one migration,
 * `--merge`).  Used by the report command, the wizard and batch.
 *
 * The figures come from the databases as they are now (the staged data,
 * the delivery ledger, the problems and the runs), so a report after a
 * resumed run counts what reached the target across all its runs.
 *
 * Joining databases (docs/decisions.md, "Report merge"): mailboxes are
 * matched by their source address (lower case); the staged figures come
 * from the first database that has the mailbox.  Targets are matched by
 * their identity without the output folder's instance suffix ("#..."), so
 * shards writing to the same path on different machines join.  A mailbox's
 * figures on a target come from the database that did the most of it
 * (completed it, then delivered the most): in a sharded migration exactly
 * one did.  Problems of import, plan and check runs appear in every shard
 * (each imported the whole source) and are counted once; problems of
 * export runs are added up.
 */
#ifndef MF_CLI_REPORT_H
#define MF_CLI_REPORT_H

#include <stddef.h>
#include "core/buf.h"
#include "core/mf.h"

/*
 * Build the report of dbs[0..n) and write it as HTML to html (when not
 * NULL) and as JSON to json (a file name when not NULL; "-" appends it with
 * a newline to json_out instead).  MF_OK, or a negative code with diag set
 * (a database that cannot be read, a file that cannot be written).
 */
int cli_report_write(const char *const *dbs, size_t n, const char *html, const char *json,
		     struct mf_buf *json_out, struct mf_diag *diag);

/* Remove the "#<32 hex digits>" instance suffix of a file target, in place. */
void cli_target_display(char *target);

#endif
