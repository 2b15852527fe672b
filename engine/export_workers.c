/* SPDX-License-Identifier: MIT */
/* export_workers.c: several mailboxes at once (see export_priv.h). */
#include "engine/export_priv.h"
#include "core/date.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- several mailboxes at once (--jobs) ---- */

/*
 * Threads, not processes: each worker has its own database connection, its
 * own exporter ctx (opened for it) and its own driver handle (ledger rows,
 * current mailbox), and takes the next mailbox of the selection from a
 * shared index; the run's thread is worker 0.  Leases work as for separate
 * runs, under the one run id.  Shared by all and guarded by the run's
 * lock: the progress, the item counters and the summary's run-wide
 * figures; each per-mailbox summary entry is written by the one worker
 * that exports that mailbox.  Signals go to the run's thread only (workers
 * block them); the caller's stop flag (opts->stop) stops every worker
 * before its next mailbox or item.  core/date.c changes TZ under its own lock, and TZ is
 * set before the workers start, so that setenv() never grows the
 * environment while another thread reads it; GMime starts once
 * (pthread_once in core/mime.c).
 */
struct par {
	const int64_t *ids;
	const uint32_t *walk;     /* NULL: the selection's order */
	size_t nmb, next;
	struct mf_export_summary *summary;
	int *final;
	int stop;                 /* the database failed: no new mailbox */
	int stop_rc;
	struct mf_diag stop_diag;
};

struct worker {
	pthread_t th;
	struct mf_export ex;
	struct mf_arena arena;
	struct par *par;
	int started;
};

static void worker_loop(struct mf_export *ex, struct par *par, struct mf_arena *arena,
			struct mf_diag *diag)
{
	for (;;) {
		size_t i;
		int rc;
		mf_exp_lock(ex);
		if (par->stop || mf_exp_stopping(ex) || par->next >= par->nmb) {
			mf_exp_unlock(ex);
			return;
		}
		i = par->next++;
		if (par->walk)
			i = par->walk[i];
		mf_exp_unlock(ex);
		rc = mf_exp_run_seq(ex, i, par->ids[i], par->summary, par->final, arena, diag);
		if (rc == 1)
			return;
		if (rc < 0) {
			mf_exp_lock(ex);
			if (!par->stop) {
				par->stop = 1;
				par->stop_rc = rc;
				par->stop_diag = *diag;
			}
			mf_exp_unlock(ex);
			return;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mf_diag d;
	mf_diag_clear(&d);
	worker_loop(&w->ex, w->par, &w->arena, &d);
	return NULL;
}

static void worker_release(struct worker *w)
{
	struct mf_diag d;
	if (w->ex.st && mf_exp_ledger_flush(&w->ex, &d) == MF_ESTORE)
		mf_exp_ledger_clear(&w->ex);
	if (w->ex.st && mf_exp_done_flush(&w->ex, &d) < 0) {
		/* their mailboxes are recorded as not reached, by the run's handle */
		for (size_t i = 0; i < w->ex.ndone; i++)
			w->ex.root->seen[w->ex.done[i].seq / 8] &=
				(unsigned char)~(1u << (w->ex.done[i].seq % 8));
		w->ex.ndone = 0;
	}
	mf_exp_ledger_clear(&w->ex);
	free(w->ex.rows);
	free(w->ex.held);
	free(w->ex.cal_passed);
	if (w->ex.ctx)
		w->ex.exp->close(&w->ex.ctx);
	mf_store_close(&w->ex.st);
	mf_arena_release(&w->arena);
}

/* Start a worker: its database connection and exporter.  MF_OK or an
 * error (the run goes on with fewer workers). */
static int worker_start(struct worker *w, struct mf_export *run, struct par *par)
{
	struct mf_diag d;
	sigset_t all, old;

	memset(w, 0, sizeof(*w));
	w->par = par;
	w->ex.exp = run->exp;
	w->ex.opts = run->opts;
	w->ex.run_id = run->run_id;
	w->ex.target = run->target;
	memcpy(w->ex.host, run->host, sizeof(w->ex.host));
	w->ex.root = run;
	w->ex.last_flush_ms = w->ex.last_beat_ms = mf_now_ms();
	mf_diag_clear(&d);
	if (mf_store_open(&w->ex.st, mf_store_path(run->st), 0, &d) < 0)
		return MF_ESTORE;
	mf_store_set_context(w->ex.st, run->run_id, 0);
	if (run->exp->open(&w->ex.ctx, &w->ex, w->ex.st, run->opts, &d) < 0) {
		w->ex.ctx = NULL;
		worker_release(w);
		return MF_EIO;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	w->started = pthread_create(&w->th, NULL, worker_main, w) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!w->started) {
		worker_release(w);
		return MF_EIO;
	}
	return MF_OK;
}

static int jobs_for(const struct mf_export *ex, size_t nmb)
{
	long j = ex->opts->jobs;
	if (!(ex->exp->caps & MF_EXP_PARALLEL))
		return 1;
	if (j <= 0) {
		j = sysconf(_SC_NPROCESSORS_ONLN);
		if (j < 1)
			j = 1;
	}
	if ((size_t)j > nmb)
		j = (long)nmb;
	return j < 1 ? 1 : (int)j;
}

/* Export every selected mailbox, with the run's jobs.  MF_OK, or
 * MF_ESTORE (diag set) when the database failed. */
int mf_exp_run_mailboxes(struct mf_export *ex, const int64_t *ids, const uint32_t *walk,
			 size_t nmb, struct mf_export_summary *summary, int *final, struct mf_arena *arena,
			 struct mf_diag *diag)
{
	int jobs = jobs_for(ex, nmb);
	struct par par;
	struct worker *w;
	int rc = MF_OK;

	if (jobs <= 1) {
		for (size_t k = 0; k < nmb && !mf_exp_stopping(ex); k++) {
			size_t i = walk ? walk[k] : k;
			rc = mf_exp_run_seq(ex, i, ids[i], summary, final, arena, diag);
			if (rc == 1)
				return MF_OK;
			if (rc < 0)
				return rc;
		}
		return MF_OK;
	}
	if (!getenv("TZ")) {
		/* see above: TZ exists before any worker reads the environment */
		struct mf_civil c;
		mf_tz_utc_to_local(&c, NULL, "Etc/UTC", 0);
	}
	memset(&par, 0, sizeof(par));
	par.ids = ids;
	par.walk = walk;
	par.nmb = nmb;
	par.summary = summary;
	par.final = final;
	pthread_mutex_init(&ex->mu, NULL);
	ex->parallel = 1;
	w = mf_xcalloc((size_t)jobs, sizeof(*w));
	for (int k = 1; k < jobs; k++)
		if (worker_start(&w[k], ex, &par) < 0)
			break;
	worker_loop(ex, &par, arena, diag);
	for (int k = 1; k < jobs; k++) {
		if (w[k].started)
			pthread_join(w[k].th, NULL);
		if (w[k].started)
			worker_release(&w[k]);
	}
	free(w);
	ex->parallel = 0;
	pthread_mutex_destroy(&ex->mu);
	if (par.stop) {
		*diag = par.stop_diag;
		rc = par.stop_rc;
	}
	return rc;
}
