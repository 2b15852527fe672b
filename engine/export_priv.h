/* SPDX-License-Identifier: MIT */
/*
 * export_priv.h: what the parts of the export driver share.  The driver is
 * split by concern:
 *   export_run.c      a run: plan, selection, preflight, each mailbox's
 *                     items handed to the exporter, the summary
 *   export_ledger.c   the delivery ledger kept in memory and written in
 *                     short transactions; confirm/refuse/problem and the
 *                     reads an exporter asks the driver for
 *   export_lease.c    leases (one run per mailbox and target) and the
 *                     heartbeat thread
 *   export_select.c   the mailboxes and messages a run takes (aliases,
 *                     dates, folder globs)
 *   export_workers.c  several mailboxes at once (--jobs)
 * The protocol is in engine/exporter.h, the order of a run in
 * engine/export.h.
 */
#ifndef MF_ENGINE_EXPORT_PRIV_H
#define MF_ENGINE_EXPORT_PRIV_H

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include "core/progress.h"
#include "core/strmap.h"
#include "engine/export.h"

#define LEDGER_BATCH 200
#define LEDGER_MS 2000
#define RUNMB_BATCH 128
/* rows held past this many (an exporter confirming a whole mailbox at its
 * end: PST) go to a temporary spill file until the flush writes them */
#define LEDGER_SPILL 4096

struct ledger_row {
	char kind[12];
	char status[12];
	int64_t item_id, mailbox_id, bytes;
	char *remote_id, *sha256, *detail;
	int sha_shared;     /* sha256 is the previous row's (one file's many items) */
};

struct beat {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop;
	int interval_ms;
	struct mf_store_beat *conn;  /* a connection of its own */
	atomic_int declared_gone;    /* our run row is no longer 'running' */
};

struct mf_export {
	struct mf_store *st;
	const struct mf_exporter *exp;
	struct mf_export_ctx *ctx;
	const struct mf_export_opts *opts;
	int64_t run_id;
	const char *target;
	char host[256];
	struct mf_export_mbox_sum *cur;
	int64_t cur_mailbox;
	struct ledger_row *rows;
	size_t nrows, caprows;
	/* exporter with a sync barrier: the leases of finished mailboxes
	 * whose rows are not committed yet, released with them */
	int64_t *held;
	size_t nheld, capheld;
	FILE *spill;          /* older unflushed rows (tmpfile; NULL: none) */
	size_t nspill;        /* rows in it, written before the ones in rows */
	long spill_end;       /* its size */
	int64_t last_flush_ms, last_beat_ms;
	struct beat beat;
	struct mf_progress prog;
	int64_t items_done, bytes_done;
	/* --jobs: a worker's handle points at the run's own (root), which
	 * holds the progress, the heartbeat and the lock that guards them and
	 * the summary's run-wide counters while workers run */
	struct mf_export *root;
	int parallel;
	pthread_mutex_t mu;
	/* the calendar items handed to put_calendar for the current mailbox
	 * (mf_export_calendar_rest leaves them out) */
	int64_t *cal_passed;
	size_t n_cal_passed, cap_cal_passed;
	/* the figures of mailboxes this handle is through with, not yet
	 * written to run_mailboxes (a short transaction per RUNMB_BATCH) */
	struct mf_exp_done {
		size_t seq;
		struct mf_export_mbox_sum s;
	} done[RUNMB_BATCH];
	size_t ndone;
	/* the run's own handle: a bit per selected mailbox already recorded */
	unsigned char *seen;
	/* a reader (mf_export_reader_open): no run, the read calls only */
	int reader;
	char *reader_target;
};

/* The run's own handle (a worker's root), and its lock while workers run. */
struct mf_export *mf_exp_run_of(struct mf_export *ex);
void mf_exp_lock(struct mf_export *ex);
void mf_exp_unlock(struct mf_export *ex);
/* Has the caller asked the run to stop (opts->stop)? */
int mf_exp_stopping(const struct mf_export *ex);
/* diag for a run stopped by opts->stop. */
int mf_exp_stop_diag(struct mf_diag *diag);

/* ledger (export_ledger.c) */
int mf_exp_ledger_put(struct mf_export *ex, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const char *status, const char *remote_id,
		      const char *sha256, int64_t bytes, const char *detail);
/* Write the rows kept; MF_EBUSY (after writing them) when the current
 * mailbox's lease was taken over or the run was declared gone. */
int mf_exp_ledger_flush(struct mf_export *ex, struct mf_diag *diag);
/* Write when enough is kept (or force). */
int mf_exp_ledger_maybe(struct mf_export *ex, int force, struct mf_diag *diag);
/* Drop the rows kept (and release the held leases). */
void mf_exp_ledger_clear(struct mf_export *ex);
/* Keep a finished mailbox's lease until its rows are committed (an
 * exporter with a sync barrier). */
void mf_exp_lease_hold(struct mf_export *ex, int64_t mailbox_id);

/* leases and heartbeat (export_lease.c) */
enum mf_exp_lease { MF_LEASE_TAKEN, MF_LEASE_TAKEN_OVER, MF_LEASE_BUSY };
int mf_exp_lease_acquire(struct mf_export *ex, int64_t mailbox_id, enum mf_exp_lease *res,
			 int64_t *owner_out, struct mf_diag *diag);
void mf_exp_lease_release(struct mf_export *ex, int64_t mailbox_id);
void mf_exp_beat_start(struct mf_export *ex);
void mf_exp_beat_stop(struct mf_export *ex);

/* selection (export_select.c) */
struct mf_exp_msg_ref {
	int64_t id;
	int delivered;
};
/* The messages of a mailbox the options select, in export order, read
 * one at a time (export_select.c): memory stays the same for any size of
 * mailbox (an external sort spills to a temporary file past 8,192).  n and
 * already are known once open returns. */
struct mf_extsort;
struct mf_exp_refs {
	struct mf_extsort *sort;
	struct mf_strmap ord;    /* folder path -> index into paths */
	char **paths;
	size_t npaths;
	size_t n, already;       /* selected, of which delivered */
};
int mf_exp_refs_open(struct mf_export *ex, int64_t mailbox_id, struct mf_exp_refs *out,
		     struct mf_diag *diag);
/* 1 and *out, 0 at the end, < 0 on error. */
int mf_exp_refs_next(struct mf_exp_refs *r, struct mf_exp_msg_ref *out, struct mf_diag *diag);
void mf_exp_refs_close(struct mf_exp_refs *r);

/* one mailbox, seq of the selection (its place in alias order, whatever
 * the walk: run_mailboxes keeps it, the summary table is listed by it;
 * walk: see mf_export_walk) (export_run.c: loaded, exported, its
 * figures recorded), and every mailbox with the run's jobs
 * (export_workers.c).  mf_exp_run_seq returns MF_OK to go on, 1 when the
 * run was stopped, MF_ESTORE when the database failed. */
int mf_exp_run_seq(struct mf_export *ex, size_t seq, int64_t mailbox_id,
		   struct mf_export_summary *summary, int *final, struct mf_arena *arena,
		   struct mf_diag *diag);
int mf_exp_run_mailboxes(struct mf_export *ex, const int64_t *ids, const uint32_t *walk,
			 size_t nmb, struct mf_export_summary *summary, int *final, struct mf_arena *arena,
			 struct mf_diag *diag);
/* Write the figures kept in ex->done to run_mailboxes. */
int mf_exp_done_flush(struct mf_export *ex, struct mf_diag *diag);

#endif
