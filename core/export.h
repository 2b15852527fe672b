/* SPDX-License-Identifier: MIT */
/*
 * export.h: the export driver.  Runs one exporter over the selected
 * mailboxes with leases, the delivery ledger, progress and a summary (the
 * protocol is described in exporters/exporter.h).
 */
#ifndef MF_CORE_EXPORT_H
#define MF_CORE_EXPORT_H

#include <stdint.h>
#include "core/buf.h"
#include "core/store.h"
#include "exporters/exporter.h"

/* Per-mailbox figures of one run. */
struct mf_export_mbox_sum {
	int64_t mailbox_id;
	char alias[32];
	int64_t planned;       /* messages selected for this target */
	int64_t delivered;     /* delivered by this run */
	int64_t already;       /* delivered by earlier runs */
	int64_t failed;
	int64_t bytes;
	int64_t attachments;
	int64_t calendar_items;
	int64_t problems;
	int skipped_leased;    /* another live run holds it */
	int failed_mailbox;    /* the mailbox stopped on an error */
};

struct mf_export_summary {
	int64_t run_id;
	int started;           /* the exporter opened its target */
	int64_t mailboxes, mailboxes_failed, mailboxes_leased;
	int64_t delivered, already, failed, bytes, calendar_items;
	struct mf_export_mbox_sum *mbox;   /* owned; mf_export_summary_release */
	size_t n_mbox;
};

void mf_export_summary_release(struct mf_export_summary *s);

/*
 * Run exporter exp on st with opts.  Returns MF_OK when every selected
 * mailbox was exported (items may have been refused: summary->failed),
 * MF_EBUSY when some mailboxes were skipped because another run holds them,
 * or a negative code with diag set when the run could not start or a
 * mailbox failed.  The summary is filled in every case and stored in the
 * run row as JSON.
 */
int mf_export_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, struct mf_export_summary *summary,
		  struct mf_diag *diag);

/* The summary as JSON (appended to b). */
int mf_export_summary_json(struct mf_buf *b, const struct mf_export_summary *s,
			   const char *format, const char *target);

/* Does folder path match the glob pattern?  '\' and '/' both separate
 * levels; '*' does not cross a level, "**" does; case-insensitive. */
int mf_folder_match(const char *pattern, const char *path);

#endif
