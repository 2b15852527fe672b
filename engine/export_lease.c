/* SPDX-License-Identifier: MIT */
/*
 * export_lease.c: leases and the heartbeat (see export_priv.h).
 *
 * A mailbox is exported to a target by one run at a time.  A lease held
 * by another run is taken over only when that run is provably gone: its
 * row says it finished, or it ran on this host and its pid no longer
 * exists, or its heartbeat is older than the lease timeout.  Never because
 * of anything this process believes about itself.  The heartbeat is
 * written by a thread of its own (with its own connection), every
 * lease_timeout/4 seconds (at most 2 s), so a put that takes long does not
 * make a live run look dead.  A run that finds its lease taken over (or
 * its run row marked interrupted) stops the mailbox at its next ledger
 * write (export_ledger.c).
 */
#include "engine/export_priv.h"
#include "engine/check.h"

#include <signal.h>
#include <string.h>
#include <time.h>

/* ---- heartbeat ---- */

static void *beat_main(void *arg)
{
	struct beat *b = arg;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += b->interval_ms / 1000;
		ts.tv_nsec += (long)(b->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		if (b->stop)
			break;
		pthread_mutex_unlock(&b->mu);
		if (!mf_store_beat(b->conn))
			atomic_store(&b->declared_gone, 1);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Start the heartbeat thread; without it (it could not start) the driver
 * beats from its own thread at every ledger write. */
void mf_exp_beat_start(struct mf_export *ex)
{
	struct beat *b = &ex->beat;
	int timeout = ex->opts->lease_timeout > 0 ? ex->opts->lease_timeout : 120;
	sigset_t all, old;

	memset(b, 0, sizeof(*b));
	b->interval_ms = timeout * 1000 / 4;
	if (b->interval_ms > 2000)
		b->interval_ms = 2000;
	if (b->interval_ms < 100)
		b->interval_ms = 100;
	if (mf_store_beat_open(&b->conn, mf_store_path(ex->st), ex->run_id) < 0)
		return;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	/* signals go to the caller's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	b->running = pthread_create(&b->th, NULL, beat_main, b) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!b->running) {
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
		mf_store_beat_close(&b->conn);
	}
}

void mf_exp_beat_stop(struct mf_export *ex)
{
	struct beat *b = &ex->beat;
	if (!b->running)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->th, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	mf_store_beat_close(&b->conn);
	b->running = 0;
}

/* ---- leases ---- */

int mf_exp_lease_acquire(struct mf_export *ex, int64_t mailbox_id, enum mf_exp_lease *res,
			 int64_t *owner_out, struct mf_diag *diag)
{
	struct mf_store_lease l;
	int rc, found;

	*owner_out = 0;
	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		return rc;
	if ((found = mf_store_lease_get(ex->st, &l, mailbox_id, ex->target, diag)) < 0)
		goto fail;
	*res = MF_LEASE_TAKEN;
	if (found && l.run_id != ex->run_id) {
		/* is its owner provably gone? (mf_run_owner_gone) */
		if (mf_run_owner_gone(l.has_host ? l.host : NULL, l.pid, l.heartbeat,
				      l.has_status ? l.status : NULL, ex->opts->lease_timeout))
			*res = MF_LEASE_TAKEN_OVER;
		else
			*res = MF_LEASE_BUSY;
		*owner_out = l.run_id;
	}
	if (*res == MF_LEASE_BUSY)
		return mf_store_commit(ex->st, diag);
	if (*res == MF_LEASE_TAKEN_OVER && mf_store_run_interrupt(ex->st, l.run_id, diag) < 0)
		goto fail;
	if (mf_store_lease_put(ex->st, mailbox_id, ex->target, ex->run_id, diag) < 0)
		goto fail;
	return mf_store_commit(ex->st, diag);
fail:
	mf_store_rollback(ex->st);
	return MF_ESTORE;
}

void mf_exp_lease_release(struct mf_export *ex, int64_t mailbox_id)
{
	mf_store_lease_release(ex->st, mailbox_id, ex->target, ex->run_id);
}
