/* SPDX-License-Identifier: MIT */
/*
 * export.c: the export driver (protocol in engine/exporter.h, the order
 * of a run in engine/export.h).
 *
 * Leases: a mailbox is exported to a target by one run at a time.  A lease
 * held by another run is taken over only when that run is provably gone:
 * its row says it finished, or it ran on this host and its pid no longer
 * exists, or its heartbeat is older than the lease timeout.  Never because
 * of anything this process believes about itself.  The heartbeat is
 * written by a thread of its own (with its own connection), every
 * lease_timeout/4 seconds (at most 2 s), so a put that takes long does not
 * make a live run look dead.  A run that finds its lease taken over (or
 * its run row marked interrupted) stops the mailbox at its next ledger
 * write.
 *
 * Ledger: deliveries(target, item_kind, item_id) records what the target
 * holds.  Rows are kept in memory and written in one short transaction
 * every 200 items, every two seconds and at the end of each mailbox, so no
 * write lock is held while the target works and a second run is never
 * kept waiting.  A crash loses at most the rows not yet written; the items
 * behind them are on the target and their re-delivery is harmless
 * (engine/exporter.h, "Idempotency").
 */
#include "engine/export.h"
#include "core/json.h"
#include "engine/plan.h"
#include "core/progress.h"
#include "core/date.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LEDGER_BATCH 200
#define LEDGER_MS 2000

struct ledger_row {
	char kind[12];
	char status[12];
	int64_t item_id, mailbox_id, bytes;
	char *remote_id, *sha256, *detail;
};

struct beat {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop;
	int interval_ms;
	sqlite3 *db;
	sqlite3_stmt *upd;
	int64_t run_id;
	atomic_int declared_gone;   /* our run row is no longer 'running' */
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
	int cur_resumed;
	struct ledger_row *rows;
	size_t nrows, caprows;
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
};

static struct mf_export *run_of(struct mf_export *ex)
{
	return ex->root ? ex->root : ex;
}

static void run_lock(struct mf_export *ex)
{
	struct mf_export *r = run_of(ex);
	if (r->parallel)
		pthread_mutex_lock(&r->mu);
}

static void run_unlock(struct mf_export *ex)
{
	struct mf_export *r = run_of(ex);
	if (r->parallel)
		pthread_mutex_unlock(&r->mu);
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void mf_export_summary_release(struct mf_export_summary *s)
{
	free(s->mbox);
	mf_check_report_release(&s->preflight);
	memset(s, 0, sizeof(*s));
}

int mf_folder_match(const char *pattern, const char *path)
{
	char p[1024], q[1024];
	size_t i;

	snprintf(p, sizeof(p), "%s", pattern);
	snprintf(q, sizeof(q), "%s", path);
	for (i = 0; p[i]; i++)
		if (p[i] == '/')
			p[i] = '\\';
	for (i = 0; q[i]; i++)
		if (q[i] == '/')
			q[i] = '\\';
	/* "**" crosses levels: fnmatch without FNM_PATHNAME treats '*' so;
	 * a pattern without "**" must not cross '\'. */
	if (strstr(p, "**")) {
		char r[1024];
		size_t k = 0;
		for (i = 0; p[i] && k + 1 < sizeof(r); i++) {
			if (p[i] == '*' && p[i + 1] == '*')
				i++;
			r[k++] = p[i];
		}
		r[k] = '\0';
		return fnmatch(r, q, FNM_CASEFOLD | FNM_NOESCAPE) == 0;
	}
	/* emulate FNM_PATHNAME with '\' as the separator: compare level by level */
	{
		char *ps = NULL, *qs = NULL;
		char *pt = strtok_r(p, "\\", &ps), *qt = strtok_r(q, "\\", &qs);
		while (pt && qt) {
			if (fnmatch(pt, qt, FNM_CASEFOLD | FNM_NOESCAPE) != 0)
				return 0;
			pt = strtok_r(NULL, "\\", &ps);
			qt = strtok_r(NULL, "\\", &qs);
		}
		return pt == NULL && qt == NULL;
	}
}

/* ---- heartbeat ---- */

static void beat_once(struct beat *b)
{
	sqlite3_bind_int64(b->upd, 1, b->run_id);
	sqlite3_bind_int64(b->upd, 2, mf_now());
	if (sqlite3_step(b->upd) == SQLITE_DONE && sqlite3_changes(b->db) == 0)
		atomic_store(&b->declared_gone, 1);
	sqlite3_reset(b->upd);
}

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
		beat_once(b);
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

/* Start the heartbeat thread; without it (it could not start) the driver
 * beats from its own thread at every ledger write. */
static void beat_start(struct mf_export *ex)
{
	struct beat *b = &ex->beat;
	int timeout = ex->opts->lease_timeout > 0 ? ex->opts->lease_timeout : 120;
	sigset_t all, old;

	memset(b, 0, sizeof(*b));
	b->run_id = ex->run_id;
	b->interval_ms = timeout * 1000 / 4;
	if (b->interval_ms > 2000)
		b->interval_ms = 2000;
	if (b->interval_ms < 100)
		b->interval_ms = 100;
	if (sqlite3_open_v2(mf_store_path(ex->st), &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(b->db);
		b->db = NULL;
		return;
	}
	sqlite3_busy_timeout(b->db, 30000);
	if (sqlite3_prepare_v2(b->db, "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1 AND status = 'running'",
			       -1, &b->upd, NULL) != SQLITE_OK) {
		sqlite3_close(b->db);
		b->db = NULL;
		return;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	/* signals go to the driver's thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	b->running = pthread_create(&b->th, NULL, beat_main, b) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!b->running) {
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
		sqlite3_finalize(b->upd);
		sqlite3_close(b->db);
		b->db = NULL;
	}
}

static void beat_stop(struct mf_export *ex)
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
	sqlite3_finalize(b->upd);
	sqlite3_close(b->db);
	b->db = NULL;
	b->running = 0;
}

/* ---- ledger ---- */

static const char SQL_LEDGER_PUT[] =
	"INSERT INTO deliveries(target, item_kind, item_id, mailbox_id, run_id, status, remote_id, "
	"sha256, bytes, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT(target, item_kind, item_id) DO UPDATE SET mailbox_id = excluded.mailbox_id, "
	"run_id = excluded.run_id, status = excluded.status, remote_id = excluded.remote_id, "
	"sha256 = excluded.sha256, bytes = excluded.bytes, detail = excluded.detail, at = excluded.at";
static const char SQL_LEASE_OWNER[] =
	"SELECT run_id FROM leases WHERE mailbox_id = ?1 AND target = ?2";

static void rows_clear(struct mf_export *ex)
{
	for (size_t i = 0; i < ex->nrows; i++) {
		free(ex->rows[i].remote_id);
		free(ex->rows[i].sha256);
		free(ex->rows[i].detail);
	}
	ex->nrows = 0;
}

static int ledger_put(struct mf_export *ex, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const char *status, const char *remote_id,
		      const char *sha256, int64_t bytes, const char *detail)
{
	struct ledger_row *r;
	if (ex->nrows == ex->caprows) {
		ex->caprows = ex->caprows ? ex->caprows * 2 : 256;
		ex->rows = mf_xreallocarray(ex->rows, ex->caprows, sizeof(*ex->rows));
	}
	r = &ex->rows[ex->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->status, sizeof(r->status), "%s", status);
	r->item_id = item_id;
	r->mailbox_id = mailbox_id;
	r->bytes = bytes;
	r->remote_id = remote_id && *remote_id ? mf_xstrdup(remote_id) : NULL;
	r->sha256 = sha256 && *sha256 ? mf_xstrdup(sha256) : NULL;
	r->detail = detail ? mf_xstrdup(detail) : NULL;
	return MF_OK;
}

/*
 * Write the rows kept in memory, in one transaction.  Returns MF_EBUSY
 * (after writing them: they are facts) when the current mailbox's lease
 * was taken over or the run was declared gone, so the mailbox stops.
 */
static int ledger_flush(struct mf_export *ex, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, lost = 0;

	ex->last_flush_ms = mf_now_ms();
	if (!run_of(ex)->beat.running && ex->last_flush_ms - ex->last_beat_ms >= 1000) {
		if ((rc = mf_store_run_heartbeat(ex->st, ex->run_id, diag)) < 0)
			return rc;
		ex->last_beat_ms = ex->last_flush_ms;
	}
	if (ex->nrows == 0 && !ex->cur_mailbox)
		return MF_OK;
	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		return rc;
	if (ex->cur_mailbox) {
		if (!(s = mf_store_stmt(ex->st, SQL_LEASE_OWNER, diag)))
			goto fail;
		sqlite3_bind_int64(s, 1, ex->cur_mailbox);
		mf_store_bind_text(s, 2, ex->target);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW || sqlite3_column_int64(s, 0) != ex->run_id)
			lost = 1;
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			mf_store_fail(ex->st, diag, "cannot read lease");
			goto fail;
		}
	}
	for (size_t i = 0; i < ex->nrows; i++) {
		const struct ledger_row *r = &ex->rows[i];
		if (!(s = mf_store_stmt(ex->st, SQL_LEDGER_PUT, diag)))
			goto fail;
		mf_store_bind_text(s, 1, ex->target);
		mf_store_bind_text(s, 2, r->kind);
		sqlite3_bind_int64(s, 3, r->item_id);
		sqlite3_bind_int64(s, 4, r->mailbox_id);
		mf_store_bind_id(s, 5, ex->run_id);
		mf_store_bind_text(s, 6, r->status);
		mf_store_bind_text(s, 7, r->remote_id);
		mf_store_bind_text(s, 8, r->sha256);
		if (r->bytes >= 0)
			sqlite3_bind_int64(s, 9, r->bytes);
		mf_store_bind_text(s, 10, r->detail);
		sqlite3_bind_int64(s, 11, mf_now());
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			mf_store_fail(ex->st, diag, "cannot record delivery");
			goto fail;
		}
	}
	if ((rc = mf_store_commit(ex->st, diag)) < 0)
		return rc;
	rows_clear(ex);
	if (lost || atomic_load(&run_of(ex)->beat.declared_gone))
		return mf_diag_set(diag, MF_EBUSY, NULL, MF_NO_OFFSET,
				   "another run took over mailbox %lld (this run was presumed gone: "
				   "raise --lease-timeout?); it stops here",
				   (long long)ex->cur_mailbox);
	return MF_OK;
fail:
	mf_store_rollback(ex->st);
	return MF_ESTORE;
}

/* Write the ledger when enough is kept, or when force is set. */
static int maybe_commit(struct mf_export *ex, int force, struct mf_diag *diag)
{
	if (!force && ex->nrows < LEDGER_BATCH && mf_now_ms() - ex->last_flush_ms < LEDGER_MS)
		return MF_OK;
	return ledger_flush(ex, diag);
}

int mf_export_confirm(struct mf_export *ex, const char *item_kind, int64_t item_id,
		      int64_t mailbox_id, const char *remote_id, const char *sha256,
		      int64_t bytes)
{
	int rc = ledger_put(ex, item_kind, item_id, mailbox_id, "delivered", remote_id,
			    sha256, bytes, NULL);
	if (rc == MF_OK && ex->cur && ex->cur_mailbox == mailbox_id) {
		if (!strcmp(item_kind, "message")) {
			ex->cur->delivered++;
			ex->cur->bytes += bytes > 0 ? bytes : 0;
		} else if (!strcmp(item_kind, "calendar")) {
			ex->cur->calendar_items++;
		}
	}
	return rc;
}

int mf_export_refuse(struct mf_export *ex, const char *item_kind, int64_t item_id,
		     int64_t mailbox_id, const char *detail)
{
	int rc = ledger_put(ex, item_kind, item_id, mailbox_id, "failed", NULL, NULL, -1,
			    detail);
	mf_export_problem(ex, MF_ERROR, "export.refused", mailbox_id,
			  !strcmp(item_kind, "message") ? item_id : 0,
			  "%s %lld refused by the target: %s", item_kind, (long long)item_id,
			  detail ? detail : "no reason given");
	if (ex->cur && ex->cur_mailbox == mailbox_id && !strcmp(item_kind, "message"))
		ex->cur->failed++;
	return rc;
}

void mf_export_problem(struct mf_export *ex, enum mf_severity sev, const char *code,
		       int64_t mailbox_id, int64_t message_id, const char *fmt, ...)
{
	char text[1024];
	struct mf_problem p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&p, 0, sizeof(p));
	p.severity = sev;
	p.code = code;
	p.offset = -1;
	p.mailbox_id = mailbox_id;
	p.message_id = message_id;
	p.text = text;
	mf_store_problem(ex->st, &p, NULL);
	if (ex->cur && ex->cur_mailbox == mailbox_id)
		ex->cur->problems++;
	if (sev == MF_ERROR && !ex->opts->quiet) {
		run_lock(ex);
		mf_progress_note(&run_of(ex)->prog, "mailferry: %s: %s", code, text);
		run_unlock(ex);
	}
}

static const char SQL_LEDGER_GET[] =
	"SELECT remote_id FROM deliveries WHERE target = ?1 AND item_kind = ?2 AND item_id = ?3 "
	"AND status = 'delivered'";

const char *mf_export_ledger_remote_id(struct mf_export *ex, const char *item_kind,
				       int64_t item_id, struct mf_arena *arena)
{
	sqlite3_stmt *s;
	const char *r = NULL;

	/* rows kept in memory first (newest wins) */
	for (size_t i = ex->nrows; i-- > 0;) {
		const struct ledger_row *w = &ex->rows[i];
		if (w->item_id == item_id && !strcmp(w->kind, item_kind))
			return !strcmp(w->status, "delivered") ? mf_arena_strdup(arena, w->remote_id ? w->remote_id : "") : NULL;
	}
	s = mf_store_stmt(ex->st, SQL_LEDGER_GET, NULL);
	if (!s)
		return NULL;
	mf_store_bind_text(s, 1, ex->target);
	mf_store_bind_text(s, 2, item_kind);
	sqlite3_bind_int64(s, 3, item_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = mf_store_col_text(s, 0, arena);
	sqlite3_reset(s);
	return r;
}

static const char SQL_RESUMED[] =
	"SELECT EXISTS (SELECT 1 FROM deliveries WHERE target = ?1 AND mailbox_id = ?2 "
	"AND item_kind <> 'mailbox') AND NOT EXISTS (SELECT 1 FROM deliveries WHERE target = ?1 "
	"AND item_kind = 'mailbox' AND item_id = ?2 AND status = 'delivered')";

int mf_export_mailbox_resumed(struct mf_export *ex, int64_t mailbox_id)
{
	sqlite3_stmt *s;
	int r = 0;
	if (ex->cur_mailbox == mailbox_id && ex->cur_resumed)
		return 1;
	s = mf_store_stmt(ex->st, SQL_RESUMED, NULL);
	if (!s)
		return 1; /* when in doubt, look before appending */
	mf_store_bind_text(s, 1, ex->target);
	sqlite3_bind_int64(s, 2, mailbox_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return r;
}

/* ---- leases ---- */

static const char SQL_LEASE_GET[] =
	"SELECT l.run_id, r.host, r.pid, r.heartbeat_at, r.status FROM leases l "
	"JOIN runs r ON r.id = l.run_id WHERE l.mailbox_id = ?1 AND l.target = ?2";
static const char SQL_LEASE_PUT[] =
	"INSERT INTO leases(mailbox_id, target, run_id, acquired_at) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT(mailbox_id, target) DO UPDATE SET run_id = excluded.run_id, "
	"acquired_at = excluded.acquired_at";
static const char SQL_LEASE_DEL[] =
	"DELETE FROM leases WHERE mailbox_id = ?1 AND target = ?2 AND run_id = ?3";
static const char SQL_RUN_INTERRUPTED[] =
	"UPDATE runs SET status = 'interrupted', finished_at = ?2 WHERE id = ?1 AND status = 'running'";

enum lease_result { LEASE_TAKEN, LEASE_TAKEN_OVER, LEASE_BUSY };

/* Is the owner of a lease provably gone?  (mf_run_owner_gone) */
static int owner_gone(struct mf_export *ex, const char *host, int64_t pid,
		      int64_t heartbeat, const char *status)
{
	return mf_run_owner_gone(host, pid, heartbeat, status, ex->opts->lease_timeout);
}

static int lease_acquire(struct mf_export *ex, int64_t mailbox_id,
			 enum lease_result *res, int64_t *owner_out, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	int64_t owner = 0;

	*owner_out = 0;
	if ((rc = mf_store_begin(ex->st, diag)) < 0)
		return rc;
	s = mf_store_stmt(ex->st, SQL_LEASE_GET, diag);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	step = sqlite3_step(s);
	*res = LEASE_TAKEN;
	if (step == SQLITE_ROW) {
		owner = sqlite3_column_int64(s, 0);
		if (owner != ex->run_id) {
			const char *host = (const char *)sqlite3_column_text(s, 1);
			const char *status = (const char *)sqlite3_column_text(s, 4);
			if (owner_gone(ex, host, sqlite3_column_int64(s, 2),
				       sqlite3_column_int64(s, 3), status))
				*res = LEASE_TAKEN_OVER;
			else
				*res = LEASE_BUSY;
			*owner_out = owner;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		mf_store_fail(ex->st, diag, "cannot read lease");
		goto fail;
	}
	if (*res == LEASE_BUSY)
		return mf_store_commit(ex->st, diag);
	if (*res == LEASE_TAKEN_OVER) {
		s = mf_store_stmt(ex->st, SQL_RUN_INTERRUPTED, diag);
		if (!s)
			goto fail;
		sqlite3_bind_int64(s, 1, owner);
		sqlite3_bind_int64(s, 2, mf_now());
		step = sqlite3_step(s);
		sqlite3_reset(s);
		if (step != SQLITE_DONE) {
			mf_store_fail(ex->st, diag, "cannot mark run interrupted");
			goto fail;
		}
	}
	s = mf_store_stmt(ex->st, SQL_LEASE_PUT, diag);
	if (!s)
		goto fail;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	sqlite3_bind_int64(s, 3, ex->run_id);
	sqlite3_bind_int64(s, 4, mf_now());
	step = sqlite3_step(s);
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		mf_store_fail(ex->st, diag, "cannot take lease");
		goto fail;
	}
	return mf_store_commit(ex->st, diag);
fail:
	mf_store_rollback(ex->st);
	return MF_ESTORE;
}

static void lease_release(struct mf_export *ex, int64_t mailbox_id)
{
	sqlite3_stmt *s = mf_store_stmt(ex->st, SQL_LEASE_DEL, NULL);
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	sqlite3_bind_int64(s, 3, ex->run_id);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/* ---- selection ---- */

static int folder_selected(const struct mf_export_opts *o, const char *path)
{
	if (o->n_folders) {
		int any = 0;
		for (size_t i = 0; i < o->n_folders && !any; i++)
			any = mf_folder_match(o->folders[i], path);
		if (!any)
			return 0;
	}
	for (size_t i = 0; i < o->n_skip_folders; i++)
		if (mf_folder_match(o->skip_folders[i], path))
			return 0;
	return 1;
}

static const char SQL_FOLDERS[] = "SELECT path FROM folders WHERE mailbox_id = ?1 ORDER BY path";
static const char SQL_MSG_SELECT[] =
	"SELECT g.id, f.path, EXISTS (SELECT 1 FROM deliveries d WHERE d.target = ?2 AND "
	"d.item_kind = 'message' AND d.item_id = g.id AND d.status = 'delivered') "
	"FROM messages g JOIN folders f ON f.id = g.folder_id "
	"WHERE g.mailbox_id = ?1 AND g.parent_id IS NULL "
	"AND (?3 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) >= ?3) "
	"AND (?4 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) < ?4) "
	"ORDER BY f.path, coalesce(g.sent_utc, g.received_utc), g.id";
static const char SQL_CAL_SELECT[] =
	"SELECT c.id, c.mailbox_id, ifnull(c.src_file_id, 0), ifnull(c.src_offset, -1), c.kind, c.uid, "
	"c.summary, c.dtstart_utc, c.timezone, c.recurring, c.ical, c.raw, c.source_type "
	"FROM calendar_items c WHERE c.mailbox_id = ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d "
	"WHERE d.target = ?2 AND d.item_kind = 'calendar' AND d.item_id = c.id AND d.status = 'delivered') "
	"ORDER BY c.id";
static const char SQL_PAB_SELECT[] =
	"SELECT id, position, kind, display_name, address_type, address, first_name, last_name, "
	"street, city, state, zip, country, title, company, department, office, assistant, bus_num, "
	"bus2_num, assist_num, fax_num, home_num, home2_num, mobile_num, pager_num, note, "
	"ifnull(src_file_id, 0), ifnull(src_offset, -1) FROM pab_entries WHERE mailbox_id = ?1 ORDER BY position";
static const char SQL_PABM_SELECT[] =
	"SELECT address, ifnull(member_pab_id, 0), ifnull(entry_id, 0) FROM pab_members "
	"WHERE pab_id = ?1 ORDER BY position";

struct msg_ref {
	int64_t id;
	int delivered;
};

static int select_messages(struct mf_export *ex, int64_t mailbox_id,
			   struct msg_ref **out, size_t *n_out, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(ex->st, SQL_MSG_SELECT, diag);
	struct msg_ref *arr = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, ex->target);
	if (ex->opts->has_since)
		sqlite3_bind_int64(s, 3, ex->opts->since);
	if (ex->opts->has_until)
		sqlite3_bind_int64(s, 4, ex->opts->until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 1);
		if (!folder_selected(ex->opts, path ? path : ""))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			arr = mf_xreallocarray(arr, cap, sizeof(*arr));
		}
		arr[n].id = sqlite3_column_int64(s, 0);
		arr[n].delivered = sqlite3_column_int(s, 2);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(arr);
		return mf_store_fail(ex->st, diag, "cannot select messages");
	}
	*out = arr;
	*n_out = n;
	return MF_OK;
}

static int stop_interrupted(struct mf_diag *diag)
{
	return mf_diag_set(diag, MF_ERR, NULL, MF_NO_OFFSET,
			   "interrupted; run the same command again to resume");
}

static int handle_put(struct mf_export *ex, int rc, const char *kind, int64_t item_id,
		      int64_t mailbox_id, const struct mf_put_result *res)
{
	if (rc < 0)
		return rc;
	switch (res->state) {
	case MF_PUT_DELIVERED:
		return mf_export_confirm(ex, kind, item_id, mailbox_id, res->remote_id,
					 res->sha256, res->bytes);
	case MF_PUT_REFUSED:
		return mf_export_refuse(ex, kind, item_id, mailbox_id, res->detail);
	case MF_PUT_PENDING:
		return MF_OK;
	}
	return MF_OK;
}

static int export_calendar(struct mf_export *ex, const struct mf_mailbox *mb,
			   struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	int rc, step;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;

	/* collect ids first: the ledger is written while we go */
	s = mf_store_stmt(ex->st, SQL_CAL_SELECT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	mf_store_bind_text(s, 2, ex->target);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = mf_xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		free(ids);
		return mf_store_fail(ex->st, diag, "cannot select calendar items");
	}
	for (size_t i = 0; i < n; i++) {
		static const char one[] =
			"SELECT c.id, c.mailbox_id, ifnull(c.src_file_id, 0), ifnull(c.src_offset, -1), "
			"c.kind, c.uid, c.summary, c.dtstart_utc, c.timezone, c.recurring, c.ical, c.raw, "
			"c.source_type FROM calendar_items c WHERE c.id = ?1";
		struct mf_calendar_item c;
		struct mf_put_result res;

		if (interrupted) {
			free(ids);
			return stop_interrupted(diag);
		}
		mf_arena_reset(arena);
		s = mf_store_stmt(ex->st, one, diag);
		if (!s) {
			free(ids);
			return MF_ESTORE;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.id = sqlite3_column_int64(s, 0);
		c.mailbox_id = sqlite3_column_int64(s, 1);
		c.src_file_id = sqlite3_column_int64(s, 2);
		c.src_offset = sqlite3_column_int64(s, 3);
		c.kind = mf_store_col_text(s, 4, arena);
		c.uid = mf_store_col_text(s, 5, arena);
		c.summary = mf_store_col_text(s, 6, arena);
		c.has_dtstart = sqlite3_column_type(s, 7) != SQLITE_NULL;
		c.dtstart_utc = sqlite3_column_int64(s, 7);
		c.timezone = mf_store_col_text(s, 8, arena);
		c.recurring = sqlite3_column_int(s, 9);
		c.ical = mf_store_col_text(s, 10, arena);
		c.raw_len = (size_t)sqlite3_column_bytes(s, 11);
		c.raw = c.raw_len ? mf_arena_memdup(arena, sqlite3_column_blob(s, 11), c.raw_len) : NULL;
		c.source_type = mf_store_col_text(s, 12, arena);
		sqlite3_reset(s);
		memset(&res, 0, sizeof(res));
		rc = ex->exp->put_calendar(ex->ctx, mb, &c, &res, diag);
		if ((rc = handle_put(ex, rc, "calendar", c.id, mb->id, &res)) < 0) {
			free(ids);
			return rc;
		}
		if ((rc = maybe_commit(ex, 0, diag)) < 0) {
			free(ids);
			return rc;
		}
	}
	free(ids);
	return MF_OK;
}

static int export_pab(struct mf_export *ex, const struct mf_mailbox *mb,
		      struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	struct mf_pab_entry *e = NULL;
	size_t n = 0, cap = 0;
	int step, rc;
	struct mf_put_result res;

	if (mf_export_ledger_remote_id(ex, "pab", mb->id, arena))
		return MF_OK;
	mf_arena_reset(arena);
	s = mf_store_stmt(ex->st, SQL_PAB_SELECT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_pab_entry *p;
		if (n == cap) {
			struct mf_pab_entry *ne;
			cap = cap ? cap * 2 : 16;
			ne = mf_arena_alloc(arena, cap * sizeof(*ne));
			if (n)
				memcpy(ne, e, n * sizeof(*ne));
			e = ne;
		}
		p = &e[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(s, 0);
		p->mailbox_id = mb->id;
		p->position = sqlite3_column_int(s, 1);
		p->kind = mf_store_col_text(s, 2, arena);
		p->display_name = mf_store_col_text(s, 3, arena);
		p->address_type = mf_store_col_text(s, 4, arena);
		p->address = mf_store_col_text(s, 5, arena);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			p->field[f] = mf_store_col_text(s, 6 + f, arena);
		p->src_file_id = sqlite3_column_int64(s, 27);
		p->src_offset = sqlite3_column_int64(s, 28);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(ex->st, diag, "cannot load address book");
	if (n == 0)
		return MF_OK;
	for (size_t i = 0; i < n; i++) {
		size_t m = 0, mcap = 0;
		s = mf_store_stmt(ex->st, SQL_PABM_SELECT, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, e[i].id);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (m == mcap) {
				struct mf_pab_member *nm;
				mcap = mcap ? mcap * 2 : 8;
				nm = mf_arena_alloc(arena, mcap * sizeof(*nm));
				if (m)
					memcpy(nm, e[i].members, m * sizeof(*nm));
				e[i].members = nm;
			}
			e[i].members[m].address = mf_store_col_text(s, 0, arena);
			e[i].members[m].member_pab_id = sqlite3_column_int64(s, 1);
			e[i].members[m].entry_id = sqlite3_column_int64(s, 2);
			m++;
		}
		sqlite3_reset(s);
		if (step != SQLITE_DONE)
			return mf_store_fail(ex->st, diag, "cannot load address book members");
		e[i].n_members = m;
	}
	memset(&res, 0, sizeof(res));
	rc = ex->exp->put_pab(ex->ctx, mb, e, n, &res, diag);
	return handle_put(ex, rc, "pab", mb->id, mb->id, &res);
}

static int export_mailbox(struct mf_export *ex, struct mf_mailbox *mb,
			  struct mf_export_mbox_sum *sum, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	struct msg_ref *refs = NULL;
	size_t nrefs = 0;
	const char **folders = NULL;
	size_t nf = 0, fcap = 0;
	sqlite3_stmt *s;
	int rc = MF_OK, step;
	struct mf_arena farena = MF_ARENA_INIT;

	if (ex->opts->no_mail)
		mb->mail_skipped = 1;
	/* folders */
	s = mf_store_stmt(ex->st, SQL_FOLDERS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(s, 0);
		if (!p || !folder_selected(ex->opts, p))
			continue;
		if (nf == fcap) {
			fcap = fcap ? fcap * 2 : 16;
			folders = mf_xreallocarray(folders, fcap, sizeof(*folders));
		}
		folders[nf++] = mf_arena_strdup(&farena, p);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		rc = mf_store_fail(ex->st, diag, "cannot list folders");
		goto out;
	}
	/* an exporter of calendars only (ics) reads no message: the selection
	 * would walk the whole messages table for nothing */
	if (!mb->mail_skipped && ex->exp->put_message &&
	    (rc = select_messages(ex, mb->id, &refs, &nrefs, diag)) < 0)
		goto out;
	for (size_t i = 0; i < nrefs; i++) {
		sum->planned++;
		if (refs[i].delivered)
			sum->already++;
	}
	rc = ex->exp->mailbox_begin(ex->ctx, mb, folders, nf, diag);
	if (rc < 0)
		goto end;
	for (size_t i = 0; i < nrefs && ex->exp->put_message; i++) {
		struct mf_message *m;
		struct mf_put_result res;
		if (refs[i].delivered)
			continue;
		if (interrupted) {
			rc = stop_interrupted(diag);
			goto end;
		}
		mf_arena_reset(arena);
		if ((rc = mf_store_message_load(ex->st, &m, refs[i].id, 1, arena, diag)) < 0)
			goto end;
		memset(&res, 0, sizeof(res));
		res.bytes = -1;
		rc = ex->exp->put_message(ex->ctx, mb, m, &res, diag);
		if ((rc = handle_put(ex, rc, "message", m->id, mb->id, &res)) < 0)
			goto end;
		sum->attachments += (int64_t)m->n_attachments;
		run_lock(ex);
		run_of(ex)->items_done++;
		run_of(ex)->bytes_done += m->size;
		mf_progress_update(&run_of(ex)->prog, run_of(ex)->items_done, run_of(ex)->bytes_done);
		run_unlock(ex);
		if ((rc = maybe_commit(ex, 0, diag)) < 0)
			goto end;
	}
	/* --no-mail: accounts and mailboxes only, so no calendar or address
	 * book either; the mail section stays empty (docs/decisions.md) */
	if (ex->exp->put_calendar && !ex->opts->no_mail &&
	    (rc = export_calendar(ex, mb, arena, diag)) < 0)
		goto end;
	if (ex->exp->put_pab && !ex->opts->no_mail && (rc = export_pab(ex, mb, arena, diag)) < 0)
		goto end;
end:
	{
		struct mf_diag d2;
		int failed = rc < 0;
		int erc;
		mf_diag_clear(&d2);
		erc = ex->exp->mailbox_end(ex->ctx, mb, failed, failed ? &d2 : diag);
		if (!failed && erc < 0)
			rc = erc;
		if (rc == MF_OK)
			rc = ledger_put(ex, "mailbox", mb->id, mb->id, "delivered", mb->alias,
					NULL, -1, mb->mail_skipped ? "mail skipped" : NULL);
		if (rc < 0) {
			/* keep what was confirmed: ledger rows are true facts */
			struct mf_diag d3;
			if (ledger_flush(ex, &d3) == MF_ESTORE)
				rows_clear(ex);
		} else {
			rc = ledger_flush(ex, diag);
		}
	}
out:
	free(refs);
	free(folders);
	mf_arena_release(&farena);
	return rc;
}

/* The messages the run will deliver (selected, not yet on the target), so
 * the progress line can show a bar and the time left.  Only when a
 * terminal shows it. */
static void progress_totals(struct mf_export *ex, struct mf_mailbox *mbs, size_t nmb)
{
	int64_t items = 0;

	if (ex->prog.quiet || !ex->prog.tty || ex->opts->no_mail || !ex->exp->put_message)
		return;
	for (size_t i = 0; i < nmb; i++) {
		struct msg_ref *refs = NULL;
		size_t n = 0;
		struct mf_diag d;
		if (mbs[i].mail_skipped || select_messages(ex, mbs[i].id, &refs, &n, &d) < 0)
			continue;
		for (size_t k = 0; k < n; k++)
			items += !refs[k].delivered;
		free(refs);
	}
	mf_progress_set_totals(&ex->prog, items, 0);
}

/*
 * Export mailbox i of the selection (lease, export, release) and count it
 * in the summary.  Returns MF_OK to go on, 1 when the run was interrupted,
 * MF_ESTORE when the database failed (the run stops); *final takes a
 * mailbox's failure.
 */
/* Tell opts->mailbox_done (under the run's lock) that the driver is
 * through with a mailbox. */
static void mailbox_event(struct mf_export *ex, const struct mf_export_mbox_sum *sum)
{
	if (ex->opts->mailbox_done)
		ex->opts->mailbox_done(ex->opts->mailbox_done_arg, sum);
}

static int run_one(struct mf_export *ex, struct mf_mailbox *mb, struct mf_export_mbox_sum *sum,
		   struct mf_export_summary *summary, int *final, struct mf_arena *arena,
		   struct mf_diag *diag)
{
	struct mf_export *run = run_of(ex);
	const struct mf_export_opts *opts = ex->opts;
	enum lease_result lr;
	int64_t owner = 0;
	int waited = 0, rc;

	sum->visited = 1;
	for (;;) {
		if ((rc = lease_acquire(ex, mb->id, &lr, &owner, diag)) < 0)
			return rc;
		if (lr != LEASE_BUSY || !opts->wait || interrupted)
			break;
		if (!waited++) {
			run_lock(ex);
			mf_progress_note(&run->prog, "%s: waiting for run %lld, which is exporting it",
					 sum->alias, (long long)owner);
			run_unlock(ex);
		}
		usleep(200 * 1000);
	}
	if (lr == LEASE_BUSY) {
		run_lock(ex);
		sum->skipped_leased = 1;
		summary->mailboxes_leased++;
		mf_progress_note(&run->prog, "%s: skipped, run %lld is exporting it",
				 sum->alias, (long long)owner);
		mailbox_event(ex, sum);
		run_unlock(ex);
		return MF_OK;
	}
	if (lr == LEASE_TAKEN_OVER) {
		run_lock(ex);
		mf_progress_note(&run->prog, "%s: taken over from run %lld, which is gone",
				 sum->alias, (long long)owner);
		run_unlock(ex);
	}
	ex->cur = sum;
	ex->cur_mailbox = mb->id;
	ex->cur_resumed = lr == LEASE_TAKEN_OVER;
	rc = export_mailbox(ex, mb, sum, arena, diag);
	lease_release(ex, mb->id);
	ex->cur = NULL;
	ex->cur_mailbox = 0;
	if (rc == MF_ESTORE)
		return rc;
	if (rc < 0 && interrupted) {
		sum->interrupted = 1;
		mf_diag_clear(diag);
		run_lock(ex);
		mailbox_event(ex, sum);
		run_unlock(ex);
		return 1;
	}
	if (rc < 0) {
		char line[1200];
		sum->failed_mailbox = 1;
		mf_export_problem(ex, MF_ERROR, "export.mailbox-failed", mb->id, 0,
				  "%s", mf_diag_format(diag, line, sizeof(line)));
		run_lock(ex);
		summary->mailboxes_failed++;
		*final = rc;
		mailbox_event(ex, sum);
		run_unlock(ex);
		mf_diag_clear(diag);
		return MF_OK;
	}
	run_lock(ex);
	summary->mailboxes++;
	mf_progress_note(&run->prog, "%s: %lld delivered, %lld already there, %lld failed",
			 sum->alias, (long long)sum->delivered, (long long)sum->already,
			 (long long)sum->failed);
	mailbox_event(ex, sum);
	run_unlock(ex);
	return MF_OK;
}

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
 * block them); the flag they set stops every worker before its next
 * mailbox or item.  core/date.c changes TZ under its own lock, and TZ is
 * set before the workers start, so that setenv() never grows the
 * environment while another thread reads it; GMime starts once
 * (pthread_once in core/mime.c).
 */
struct par {
	struct mf_mailbox *mbs;
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
		run_lock(ex);
		if (par->stop || interrupted || par->next >= par->nmb) {
			run_unlock(ex);
			return;
		}
		i = par->next++;
		run_unlock(ex);
		rc = run_one(ex, &par->mbs[i], &par->summary->mbox[i], par->summary, par->final,
			     arena, diag);
		if (rc == 1)
			return;
		if (rc < 0) {
			run_lock(ex);
			if (!par->stop) {
				par->stop = 1;
				par->stop_rc = rc;
				par->stop_diag = *diag;
			}
			run_unlock(ex);
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
	if (w->ex.st && ledger_flush(&w->ex, &d) == MF_ESTORE)
		rows_clear(&w->ex);
	rows_clear(&w->ex);
	free(w->ex.rows);
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
static int run_mailboxes(struct mf_export *ex, struct mf_mailbox *mbs, size_t nmb,
			 struct mf_export_summary *summary, int *final, struct mf_arena *arena,
			 struct mf_diag *diag)
{
	int jobs = jobs_for(ex, nmb);
	struct par par;
	struct worker *w;
	int rc = MF_OK;

	if (jobs <= 1) {
		for (size_t i = 0; i < nmb && !interrupted; i++) {
			rc = run_one(ex, &mbs[i], &summary->mbox[i], summary, final, arena, diag);
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
	par.mbs = mbs;
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

static int cmp_alias(const void *a, const void *b)
{
	const struct mf_mailbox *x = a, *y = b;
	const char *p = x->alias ? x->alias : x->name, *q = y->alias ? y->alias : y->name;
	int c = strcasecmp(p, q);
	return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

static const char *mbox_state(const struct mf_export_mbox_sum *m)
{
	if (m->skipped_leased)
		return "leased";
	if (m->interrupted)
		return "interrupted";
	if (m->failed_mailbox)
		return "failed";
	return m->visited ? "done" : "not-reached";
}

int mf_export_summary_json(struct mf_buf *b, const struct mf_export_summary *s,
			   const char *format, const char *target)
{
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "run_id", s->run_id, 1);
	mf_json_kv_str(b, "format", format, 0);
	mf_json_kv_str(b, "target", target, 0);
	mf_json_kv_str(b, "status", s->status[0] ? s->status : "failed", 0);
	mf_json_key(b, "mailboxes", 0);
	mf_buf_addch(b, '[');
	for (size_t i = 0; i < s->n_mbox; i++) {
		const struct mf_export_mbox_sum *m = &s->mbox[i];
		if (i)
			mf_buf_addch(b, ',');
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "alias", m->alias, 1);
		mf_json_kv_int(b, "mailbox_id", m->mailbox_id, 0);
		mf_json_kv_str(b, "action", m->action[0] ? m->action : NULL, 0);
		mf_json_kv_int(b, "planned", m->planned, 0);
		mf_json_kv_int(b, "delivered", m->delivered, 0);
		mf_json_kv_int(b, "already", m->already, 0);
		mf_json_kv_int(b, "failed", m->failed, 0);
		mf_json_kv_int(b, "bytes", m->bytes, 0);
		mf_json_kv_int(b, "attachments", m->attachments, 0);
		mf_json_kv_int(b, "calendar_items", m->calendar_items, 0);
		mf_json_kv_int(b, "problems", m->problems, 0);
		mf_json_kv_str(b, "state", mbox_state(m), 0);
		mf_buf_addch(b, '}');
	}
	mf_buf_addch(b, ']');
	mf_json_key(b, "totals", 0);
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "mailboxes", s->mailboxes, 1);
	mf_json_kv_int(b, "mailboxes_failed", s->mailboxes_failed, 0);
	mf_json_kv_int(b, "mailboxes_leased", s->mailboxes_leased, 0);
	mf_json_kv_int(b, "planned", s->planned, 0);
	mf_json_kv_int(b, "delivered", s->delivered, 0);
	mf_json_kv_int(b, "already", s->already, 0);
	mf_json_kv_int(b, "failed", s->failed, 0);
	mf_json_kv_int(b, "bytes", s->bytes, 0);
	mf_json_kv_int(b, "attachments", s->attachments, 0);
	mf_json_kv_int(b, "calendar_items", s->calendar_items, 0);
	mf_json_kv_int(b, "problems", s->problems, 0);
	mf_buf_addch(b, '}');
	mf_json_key(b, "preflight", 0);
	if (!s->preflight_ran) {
		mf_buf_addstr(b, "null");
	} else {
		mf_check_report_json(b, &s->preflight);
		mf_buf_truncate(b, b->len - 1);   /* reopen the object */
		mf_json_key(b, "forced", 0);
		mf_buf_addstr(b, s->forced ? "true" : "false");
		mf_buf_addch(b, '}');
	}
	return mf_buf_addch(b, '}');
}

int mf_export_select(struct mf_store *st, const struct mf_export_opts *opts,
		     struct mf_mailbox **out, size_t *n_out, struct mf_arena *arena,
		     struct mf_diag *diag)
{
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if ((rc = mf_store_mailbox_list(st, &mbs, &nmb, arena, diag)) < 0)
		return rc;
	if (opts->n_mailboxes) {
		size_t k = 0;
		for (size_t j = 0; j < opts->n_mailboxes; j++) {
			int found = 0;
			for (size_t i = 0; i < nmb && !found; i++)
				found = mbs[i].alias && mf_strcaseeq(mbs[i].alias, opts->mailboxes[j]);
			if (!found)
				return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
						   "no mailbox with alias '%s' (see 'mailferry status')",
						   opts->mailboxes[j]);
		}
		for (size_t i = 0; i < nmb; i++) {
			int keep = 0;
			for (size_t j = 0; j < opts->n_mailboxes && !keep; j++)
				keep = mbs[i].alias && mf_strcaseeq(mbs[i].alias, opts->mailboxes[j]);
			if (keep)
				mbs[k++] = mbs[i];
		}
		nmb = k;
	}
	if (nmb)
		qsort(mbs, nmb, sizeof(*mbs), cmp_alias);
	*out = mbs;
	*n_out = nmb;
	return MF_OK;
}

static const char SQL_RUN_TARGET[] = "UPDATE runs SET target = ?2 WHERE id = ?1";
static const char SQL_RUN_PROBLEMS[] = "SELECT count(*) FROM problems WHERE run_id = ?1";

/* Record the preflight's errors as problems of the run. */
static void preflight_problems(struct mf_export *ex, const struct mf_check_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].severity == MF_ERROR)
			mf_export_problem(ex, MF_ERROR, r->items[i].code, r->items[i].mailbox_id, 0,
					  "%s", r->items[i].text);
}

static void options_json(struct mf_buf *b, const struct mf_export_opts *o)
{
	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "out", o->out, 1);
	mf_json_kv_str(b, "url", o->url, 0);
	mf_json_kv_int(b, "no_mail", o->no_mail, 0);
	mf_json_kv_int(b, "mailboxes", (int64_t)o->n_mailboxes, 0);
	if (o->has_since)
		mf_json_kv_int(b, "since", o->since, 0);
	if (o->has_until)
		mf_json_kv_int(b, "until", o->until, 0);
	mf_json_kv_int(b, "folders", (int64_t)o->n_folders, 0);
	mf_json_kv_int(b, "skip_folders", (int64_t)o->n_skip_folders, 0);
	mf_json_kv_int(b, "wait", o->wait, 0);
	mf_json_kv_int(b, "force", o->force, 0);
	mf_json_kv_int(b, "lease_timeout", o->lease_timeout, 0);
	mf_buf_addch(b, '}');
}

int mf_export_run(struct mf_store *st, const struct mf_exporter *exp,
		  const struct mf_export_opts *opts, struct mf_export_summary *summary,
		  struct mf_diag *diag)
{
	struct mf_export ex;
	struct mf_arena arena = MF_ARENA_INIT, marena = MF_ARENA_INIT;
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0;
	int rc, final = MF_OK, opened = 0;
	struct mf_buf opts_json, sum_json;
	struct sigaction sa, old_int, old_term;
	struct mf_plan_totals pt;
	sqlite3_stmt *s;

	memset(summary, 0, sizeof(*summary));
	mf_check_report_init(&summary->preflight);
	snprintf(summary->status, sizeof(summary->status), "failed");
	memset(&ex, 0, sizeof(ex));
	ex.st = st;
	ex.exp = exp;
	ex.opts = opts;
	if (gethostname(ex.host, sizeof(ex.host)) != 0)
		snprintf(ex.host, sizeof(ex.host), "localhost");
	ex.host[sizeof(ex.host) - 1] = '\0';
	if (!exp->open)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "exporter '%s' is not built", exp->name);

	/* 1. the plan; 2. the selection (by the plan's final aliases) */
	if ((rc = mf_plan_ensure(st, &pt, diag)) < 0)
		goto out_arena;
	if ((rc = mf_export_select(st, opts, &mbs, &nmb, &marena, diag)) < 0)
		goto out_arena;

	mf_buf_init(&opts_json, 1 << 20);
	options_json(&opts_json, opts);
	rc = mf_store_run_begin(st, &ex.run_id, "export", exp->name, NULL, opts_json.data, diag);
	mf_buf_release(&opts_json);
	if (rc < 0)
		goto out_arena;
	summary->run_id = ex.run_id;
	mf_store_set_context(st, ex.run_id, 0);
	ex.last_flush_ms = ex.last_beat_ms = mf_now_ms();
	beat_start(&ex);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	interrupted = 0;

	summary->mbox = mf_xcalloc(nmb ? nmb : 1, sizeof(*summary->mbox));
	summary->n_mbox = nmb;
	for (size_t i = 0; i < nmb; i++) {
		struct mf_plan_entry pe;
		summary->mbox[i].mailbox_id = mbs[i].id;
		snprintf(summary->mbox[i].alias, sizeof(summary->mbox[i].alias), "%s",
			 mbs[i].alias ? mbs[i].alias : mbs[i].name);
		mf_arena_reset(&arena);
		if (mf_plan_mailbox_action(st, &pe, mbs[i].id, &arena, NULL) == MF_OK)
			snprintf(summary->mbox[i].action, sizeof(summary->mbox[i].action), "%s",
				 mf_plan_action_name(pe.action));
	}

	/* 3. the target */
	if ((rc = exp->open(&ex.ctx, &ex, st, opts, diag)) < 0) {
		final = rc;
		goto stop;
	}
	opened = 1;
	summary->started = 1;
	ex.target = exp->target(ex.ctx);
	if ((s = mf_store_stmt(st, SQL_RUN_TARGET, NULL)) != NULL) {
		sqlite3_bind_int64(s, 1, ex.run_id);
		mf_store_bind_text(s, 2, ex.target);
		sqlite3_step(s);
		sqlite3_reset(s);
	}

	/* 4. preflight: nothing moves while it finds an error */
	if ((rc = mf_check_run(st, mbs, nmb, exp, ex.ctx, ex.target, opts,
			       &summary->preflight, diag)) < 0) {
		final = rc;
		goto stop;
	}
	summary->preflight_ran = 1;
	if (summary->preflight.errors) {
		preflight_problems(&ex, &summary->preflight);
		if (!opts->force) {
			const struct mf_check_item *first = NULL;
			for (size_t i = 0; i < summary->preflight.n && !first; i++)
				if (summary->preflight.items[i].severity == MF_ERROR)
					first = &summary->preflight.items[i];
			summary->preflight_failed = 1;
			final = mf_diag_set(diag, MF_ERR, NULL, MF_NO_OFFSET,
					    "the preflight check found %lld errors, so nothing was exported "
					    "(first: %s); fix them (see 'mailferry check'), or use --force",
					    (long long)summary->preflight.errors,
					    first ? first->text : "?");
			goto stop;
		}
		summary->forced = 1;
		mf_progress_begin(&ex.prog, exp->name, 0, 0, opts->quiet || opts->json);
		mf_progress_note(&ex.prog, "mailferry: the preflight check found %lld errors; "
				 "exporting anyway (--force)", (long long)summary->preflight.errors);
		mf_progress_end(&ex.prog);
	}

	/* 5. the mailboxes */
	mf_progress_begin(&ex.prog, exp->name, 0, 0, opts->quiet || opts->json);
	progress_totals(&ex, mbs, nmb);
	if ((rc = run_mailboxes(&ex, mbs, nmb, summary, &final, &arena, diag)) < 0)
		goto stop_progress;
	rc = MF_OK;
	if (exp->finish && !interrupted)
		rc = exp->finish(ex.ctx, diag);
stop_progress:
	mf_progress_end(&ex.prog);
	if (rc < 0)
		final = rc;
stop:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	{
		struct mf_diag d4;
		if (ledger_flush(&ex, &d4) == MF_ESTORE && final == MF_OK)
			final = mf_diag_set(diag, MF_ESTORE, d4.file, d4.offset, "%s", d4.msg);
		rows_clear(&ex);
	}
	beat_stop(&ex);
	summary->interrupted = interrupted != 0;
	for (size_t i = 0; i < summary->n_mbox; i++) {
		summary->planned += summary->mbox[i].planned;
		summary->delivered += summary->mbox[i].delivered;
		summary->already += summary->mbox[i].already;
		summary->failed += summary->mbox[i].failed;
		summary->bytes += summary->mbox[i].bytes;
		summary->attachments += summary->mbox[i].attachments;
		summary->calendar_items += summary->mbox[i].calendar_items;
	}
	if ((s = mf_store_stmt(st, SQL_RUN_PROBLEMS, NULL)) != NULL) {
		sqlite3_bind_int64(s, 1, ex.run_id);
		if (sqlite3_step(s) == SQLITE_ROW)
			summary->problems = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	snprintf(summary->status, sizeof(summary->status), "%s",
		 interrupted ? "interrupted" : final < 0 ? "failed" :
		 (summary->failed || summary->mailboxes_leased) ? "problems" : "ok");
	mf_buf_init(&sum_json, MF_BUF_UNBOUNDED);
	mf_export_summary_json(&sum_json, summary, exp->name, ex.target);
	mf_store_run_end(st, ex.run_id, summary->status, sum_json.data, NULL);
	mf_buf_release(&sum_json);
	if (opened)
		exp->close(&ex.ctx);
	free(ex.rows);
	if (interrupted && final == MF_OK)
		final = stop_interrupted(diag);
	if (final == MF_OK && summary->mailboxes_leased)
		final = MF_EBUSY;
	rc = final;
out_arena:
	mf_arena_release(&arena);
	mf_arena_release(&marena);
	return rc;
}

int mf_export_check(struct mf_store *st, const struct mf_exporter *exp,
		    const struct mf_export_opts *opts, struct mf_check_report *rep,
		    struct mf_diag *diag)
{
	struct mf_export ex;
	struct mf_arena marena = MF_ARENA_INIT;
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0;
	struct mf_buf js;
	struct mf_plan_totals pt;
	int rc, opened = 0;

	memset(&ex, 0, sizeof(ex));
	ex.st = st;
	ex.exp = exp;
	ex.opts = opts;
	if (gethostname(ex.host, sizeof(ex.host)) != 0)
		snprintf(ex.host, sizeof(ex.host), "localhost");
	ex.host[sizeof(ex.host) - 1] = '\0';
	if ((rc = mf_plan_ensure(st, &pt, diag)) < 0)
		goto out;
	if ((rc = mf_export_select(st, opts, &mbs, &nmb, &marena, diag)) < 0)
		goto out;
	mf_buf_init(&js, 1 << 20);
	options_json(&js, opts);
	rc = mf_store_run_begin(st, &ex.run_id, "check", exp ? exp->name : NULL, NULL, js.data, diag);
	mf_buf_release(&js);
	if (rc < 0)
		goto out;
	mf_store_set_context(st, ex.run_id, 0);
	mf_progress_begin(&ex.prog, "check", 0, 0, 1);
	if (exp && exp->open) {
		struct mf_diag d;
		mf_diag_clear(&d);
		if (exp->open(&ex.ctx, &ex, st, opts, &d) < 0) {
			char line[1200];
			mf_check_report_add(rep, MF_ERROR, "check.target-unreachable", NULL,
					    "the %s target cannot be used: %s; fix it before exporting",
					    exp->name, mf_diag_format(&d, line, sizeof(line)));
		} else {
			opened = 1;
			ex.target = exp->target(ex.ctx);
		}
	} else if (exp) {
		mf_check_report_add(rep, MF_ERROR, "check.target-unreachable", NULL,
				    "exporter '%s' is not built in this mailferry", exp->name);
	}
	rc = mf_check_run(st, mbs, nmb, opened ? exp : NULL, opened ? ex.ctx : NULL, ex.target,
			  opts, rep, diag);
	if (opened)
		exp->close(&ex.ctx);
	mf_buf_init(&js, MF_BUF_UNBOUNDED);
	mf_check_report_json(&js, rep);
	mf_store_run_end(st, ex.run_id, rc < 0 ? "failed" : rep->errors ? "problems" : "ok",
			 js.data, NULL);
	mf_buf_release(&js);
out:
	mf_arena_release(&marena);
	return rc;
}
