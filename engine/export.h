/* SPDX-License-Identifier: MIT */
/*
 * export.h: the export driver.  Runs one exporter over the selected
 * mailboxes with leases, the delivery ledger, progress and a summary (the
 * protocol is described in engine/exporter.h).
 *
 * A run, in order:
 *   1. makes the plan current (engine/plan.h: aliases are final after it);
 *   2. selects the mailboxes (mf_export_select);
 *   3. opens the exporter (the target must be reachable);
 *   4. runs the preflight check (engine/check.h) over every selected mailbox,
 *      asking a live target about each; while it finds an error nothing
 *      moves, unless opts->force;
 *   5. exports each mailbox it can lease, in alias order.
 * A second run on the same database and target at the same time skips
 * the mailboxes the first one holds (or waits for them with opts->wait);
 * a lease is taken over only from a run that is provably gone.  A
 * heartbeat thread keeps the run's heartbeat fresh however long one item
 * takes, so a live run never looks dead.
 */
#ifndef MF_CORE_EXPORT_H
#define MF_CORE_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "core/buf.h"
#include "engine/check.h"
#include "core/store.h"
#include "engine/exporter.h"

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
	/* added with the plan: */
	char action[12];       /* the plan's action for it: create, convert, ... */
	int interrupted;       /* stopped by opts->stop; a re-run resumes it */
	int visited;           /* the run reached it (0: stopped before) */
};

struct mf_export_summary {
	int64_t run_id;
	int started;           /* the exporter opened its target */
	int64_t mailboxes, mailboxes_failed, mailboxes_leased;
	int64_t delivered, already, failed, bytes, calendar_items;
	/* the selected mailboxes; their figures are in the store
	 * (run_mailboxes, mf_export_summary_mailboxes), not in memory */
	size_t n_mbox;
	/* added with the plan: */
	int64_t planned, attachments, problems;
	int preflight_ran;     /* the preflight check ran (the target opened) */
	int preflight_failed;  /* it found errors: nothing moved (unless forced) */
	int forced;            /* errors were found and --force went on */
	int interrupted;
	char status[16];       /* the run's status: ok, problems, failed, interrupted */
	struct mf_check_report preflight;  /* owned */
};

void mf_export_summary_release(struct mf_export_summary *s);

/*
 * Run exporter exp on st with opts.  Returns MF_OK when every selected
 * mailbox was exported (items may have been refused: summary->failed),
 * MF_EBUSY when some mailboxes were skipped because another run holds them,
 * or a negative code with diag set when the run could not start, the
 * preflight check failed (summary->preflight_failed; nothing moved) or a
 * mailbox failed.  The summary is filled in every case and stored in the
 * run row as JSON.
 */
int mf_export_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, struct mf_export_summary *summary,
		  struct mf_diag *diag);

/*
 * `mailferry check`: the preflight an export runs, without exporting.
 * Makes the plan current, selects the mailboxes as an export would, and
 * when exp is given (may be NULL) opens it (a target that cannot be opened
 * is an error item, check.target-unreachable) and asks it about every
 * mailbox.  Records a run of kind 'check' with the report as its summary.
 * Returns MF_OK when the check ran (rep->errors tells whether it passed),
 * MF_EUSAGE for an unknown alias in the selection, MF_ESTORE.
 */
int mf_export_check(struct mf_store *st, const struct mf_exporter *exp,
		    const struct mf_export_opts *opts, struct mf_check_report *rep,
		    struct mf_diag *diag);

/*
 * The summary as JSON (appended to b):
 *   {"run_id","format","target","status",
 *    "mailboxes":[{"alias","mailbox_id","action","planned","delivered",
 *      "already","failed","bytes","attachments","calendar_items","problems",
 *      "state"}],            state: done, failed, leased, interrupted, not-reached
 *    "totals":{"mailboxes","mailboxes_failed","mailboxes_leased","planned",
 *      "delivered","already","failed","bytes","attachments","calendar_items",
 *      "problems"},
 *    "preflight":{...mf_check_report_json...,"forced":bool}}
 */
int mf_export_summary_json(struct mf_buf *b, const struct mf_export_summary *s,
			   const char *format, const char *target);
/* The same on f, the mailboxes read from the store one at a time (st: the
 * run's database).  What the run row keeps (runs.summary) is the same
 * document without "mailboxes": the store's run_mailboxes table holds
 * them. */
int mf_export_summary_json_print(FILE *f, struct mf_store *st, const struct mf_export_summary *s,
				 const char *format, const char *target, struct mf_diag *diag);
/* Each mailbox's figures of run s, in selection order (visit's row valid
 * during the call). */
int mf_export_summary_mailboxes(struct mf_store *st, const struct mf_export_summary *s,
				int (*visit)(void *arg, const struct mf_store_run_mailbox *r),
				void *arg, struct mf_diag *diag);

/*
 * The mailboxes opts selects (opts->mailboxes: by alias, case-insensitive;
 * opts->shard_n: those of shard opts->shard_i; none: all), in alias order,
 * as ids (*out malloc'd, 8 bytes a mailbox: the mailboxes themselves are
 * loaded one at a time, mf_store_mailbox_load).  An alias that names no
 * mailbox is a usage error (MF_EUSAGE, diag names it).
 */
int mf_export_select(struct mf_store *st, const struct mf_export_opts *opts, int64_t **out,
		     size_t *n_out, struct mf_diag *diag);

/*
 * The order exp's export and verify walk the selection ids[0..n) in:
 * NULL for the selection's own (alias) order, or (MF_EXP_ID_ORDER) a
 * malloc'd permutation, walk[k] the index in ids of the k-th mailbox
 * visited, ids[walk[k]] ascending: the store's per-mailbox rows (the
 * mailbox, its plan, folders, ledger) are then read in the order they
 * lie in, a page at a time instead of a page a mailbox once the store
 * outgrows the page cache (issue 15).  4 bytes a mailbox.
 */
uint32_t *mf_export_walk(const struct mf_exporter *exp, const int64_t *ids, size_t n);
/* The same permutation whatever the exporter (NULL when n < 2): for a
 * walk that asks no target, whose order nothing outside the store sees. */
uint32_t *mf_export_walk_ids(const int64_t *ids, size_t n);

/*
 * How many mailboxes mf_export_select would give (the same selection and
 * the same usage error), counted in one pass in id order without a list.
 */
int mf_export_select_count(struct mf_store *st, const struct mf_export_opts *opts,
			   size_t *n_out, struct mf_diag *diag);

/*
 * The messages of a mailbox opts selects (dates, folder globs), in export
 * order, with their ledger rows for target (engine/exporter.h, struct
 * mf_export_msg).  The export, `check` and `verify` all select so.
 */
int mf_export_select_messages(struct mf_store *st, const struct mf_export_opts *opts,
			      const char *target, int64_t mailbox_id, struct mf_export_msg **out,
			      size_t *n_out, struct mf_arena *arena, struct mf_diag *diag);

/* Does opts keep folder path (--folder globs, if any, match it and no
 * --skip-folder glob does)? */
int mf_export_folder_selected(const struct mf_export_opts *opts, const char *path);

/* Does folder path match the glob pattern?  '\' and '/' both separate
 * levels; '*' does not cross a level, "**" does; case-insensitive. */
int mf_folder_match(const char *pattern, const char *path);

#endif
