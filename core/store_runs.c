/* SPDX-License-Identifier: MIT */
/* store_runs.c: runs and problems (see store.h). */
#include "core/store_priv.h"
#include <stdarg.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- problems ---- */

static const char SQL_PROB_INS[] =
	"INSERT INTO problems(run_id, source_id, severity, code, file, offset, mailbox_id, "
	"message_id, item, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	"ON CONFLICT DO NOTHING";

int mf_store_problem(struct mf_store *st, const struct mf_problem *p,
		     struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PROB_INS, diag);
	if (!s)
		return MF_ESTORE;
	mf_store_bind_id(s, 1, st->run_id);
	mf_store_bind_id(s, 2, st->source_id);
	mf_store_bind_text(s, 3, mf_severity_name(p->severity));
	mf_store_bind_text(s, 4, p->code);
	mf_store_bind_text(s, 5, p->file);
	mf_store_bind_off(s, 6, p->offset);
	mf_store_bind_id(s, 7, p->mailbox_id);
	mf_store_bind_id(s, 8, p->message_id);
	mf_store_bind_text(s, 9, p->item);
	mf_store_bind_text(s, 10, p->text ? p->text : "");
	sqlite3_bind_int64(s, 11, mf_now());
	return mf_store_step_done(st, s, diag, "cannot store problem");
}

int mf_store_problemf(struct mf_store *st, enum mf_severity sev, const char *code,
		      const char *file, int64_t offset, int64_t mailbox_id,
		      int64_t message_id, const char *fmt, ...)
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
	p.file = file;
	p.offset = offset;
	p.mailbox_id = mailbox_id;
	p.message_id = message_id;
	p.text = text;
	return mf_store_problem(st, &p, NULL);
}

static const char SQL_PROB_COUNT[] =
	"SELECT severity, count(*) FROM problems GROUP BY severity";

int mf_store_problem_counts(struct mf_store *st, int64_t counts[3],
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PROB_COUNT, diag);
	int rc;
	counts[0] = counts[1] = counts[2] = 0;
	if (!s)
		return MF_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (sev && !strcmp(sev, "info"))
			counts[MF_INFO] = n;
		else if (sev && !strcmp(sev, "warning"))
			counts[MF_WARNING] = n;
		else
			counts[MF_ERROR] += n;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? MF_OK : mf_store_fail(st, diag, "cannot count problems");
}

/* ---- runs ---- */

static const char SQL_RUN_INS[] =
	"INSERT INTO runs(kind, format, target, host, pid, started_at, heartbeat_at, options) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)";
static const char SQL_RUN_BEAT[] = "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1";
static const char SQL_RUN_END[] =
	"UPDATE runs SET status = ?2, summary = ?3, finished_at = ?4, heartbeat_at = ?4 WHERE id = ?1";

int mf_store_run_begin(struct mf_store *st, int64_t *id_out, const char *kind,
		       const char *format, const char *target,
		       const char *options_json, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_INS, diag);
	char host[256];
	int rc;
	if (!s)
		return MF_ESTORE;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	mf_store_bind_text(s, 1, kind);
	mf_store_bind_text(s, 2, format);
	mf_store_bind_text(s, 3, target);
	mf_store_bind_text(s, 4, host);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)getpid());
	sqlite3_bind_int64(s, 6, mf_now());
	mf_store_bind_text(s, 7, options_json);
	if ((rc = mf_store_step_done(st, s, diag, "cannot start run")) < 0)
		return rc;
	*id_out = sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

int mf_store_run_heartbeat(struct mf_store *st, int64_t run_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_BEAT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, mf_now());
	return mf_store_step_done(st, s, diag, "cannot update run heartbeat");
}

int mf_store_run_end(struct mf_store *st, int64_t run_id, const char *status,
		     const char *summary_json, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_END, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	mf_store_bind_text(s, 2, status);
	mf_store_bind_text(s, 3, summary_json);
	sqlite3_bind_int64(s, 4, mf_now());
	return mf_store_step_done(st, s, diag, "cannot finish run");
}

static const char SQL_RUN_TARGET[] = "UPDATE runs SET target = ?2 WHERE id = ?1";
static const char SQL_RUN_PROBLEMS[] = "SELECT count(*) FROM problems WHERE run_id = ?1";
static const char SQL_RUN_INTERRUPTED[] =
	"UPDATE runs SET status = 'interrupted', finished_at = ?2 WHERE id = ?1 AND status = 'running'";

int mf_store_run_target(struct mf_store *st, int64_t run_id, const char *target,
			struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_TARGET, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	mf_store_bind_text(s, 2, target);
	return mf_store_step_done(st, s, diag, "cannot record the run's target");
}

int mf_store_run_problems(struct mf_store *st, int64_t *n_out, int64_t run_id,
			  struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_PROBLEMS, diag);
	int rc;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*n_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? MF_OK : mf_store_fail(st, diag, "cannot count the run's problems");
}

int mf_store_run_interrupt(struct mf_store *st, int64_t run_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_INTERRUPTED, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, mf_now());
	return mf_store_step_done(st, s, diag, "cannot mark run interrupted");
}

/* ---- the heartbeat's own connection ---- */

struct mf_store_beat {
	sqlite3 *db;
	sqlite3_stmt *upd;
	int64_t run_id;
};

int mf_store_beat_open(struct mf_store_beat **out, const char *path, int64_t run_id)
{
	struct mf_store_beat *b = mf_xcalloc(1, sizeof(*b));

	*out = NULL;
	b->run_id = run_id;
	if (sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(b->db);
		free(b);
		return MF_ESTORE;
	}
	sqlite3_busy_timeout(b->db, 30000);
	if (sqlite3_prepare_v2(b->db, "UPDATE runs SET heartbeat_at = ?2 WHERE id = ?1 AND status = 'running'",
			       -1, &b->upd, NULL) != SQLITE_OK) {
		sqlite3_close(b->db);
		free(b);
		return MF_ESTORE;
	}
	*out = b;
	return MF_OK;
}

int mf_store_beat(struct mf_store_beat *b)
{
	int gone;
	sqlite3_bind_int64(b->upd, 1, b->run_id);
	sqlite3_bind_int64(b->upd, 2, mf_now());
	gone = sqlite3_step(b->upd) == SQLITE_DONE && sqlite3_changes(b->db) == 0;
	sqlite3_reset(b->upd);
	return gone ? 0 : 1;
}

void mf_store_beat_close(struct mf_store_beat **pb)
{
	struct mf_store_beat *b = *pb;
	if (!b)
		return;
	sqlite3_finalize(b->upd);
	sqlite3_close(b->db);
	free(b);
	*pb = NULL;
}

/* ---- leases ---- */

static const char SQL_LEASE_GET[] =
	"SELECT l.run_id, r.host, r.pid, r.heartbeat_at, r.status FROM leases l "
	"JOIN runs r ON r.id = l.run_id WHERE l.mailbox_id = ?1 AND l.target = ?2";
static const char SQL_LEASE_OWNER[] =
	"SELECT run_id FROM leases WHERE mailbox_id = ?1 AND target = ?2";
static const char SQL_LEASE_PUT[] =
	"INSERT INTO leases(mailbox_id, target, run_id, acquired_at) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT(mailbox_id, target) DO UPDATE SET run_id = excluded.run_id, "
	"acquired_at = excluded.acquired_at";
static const char SQL_LEASE_DEL[] =
	"DELETE FROM leases WHERE mailbox_id = ?1 AND target = ?2 AND run_id = ?3";

int mf_store_lease_get(struct mf_store *st, struct mf_store_lease *out, int64_t mailbox_id,
		       const char *target, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LEASE_GET, diag);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *host = (const char *)sqlite3_column_text(s, 1);
		const char *status = (const char *)sqlite3_column_text(s, 4);
		out->run_id = sqlite3_column_int64(s, 0);
		out->has_host = host != NULL;
		snprintf(out->host, sizeof(out->host), "%s", host ? host : "");
		out->pid = sqlite3_column_int64(s, 2);
		out->heartbeat = sqlite3_column_int64(s, 3);
		out->has_status = status != NULL;
		snprintf(out->status, sizeof(out->status), "%s", status ? status : "");
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read lease");
}

int mf_store_lease_owner(struct mf_store *st, int64_t *run_id_out, int64_t mailbox_id,
			 const char *target, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LEASE_OWNER, diag);
	int rc;

	*run_id_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*run_id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : mf_store_fail(st, diag, "cannot read lease");
}

int mf_store_lease_put(struct mf_store *st, int64_t mailbox_id, const char *target,
		       int64_t run_id, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LEASE_PUT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	sqlite3_bind_int64(s, 3, run_id);
	sqlite3_bind_int64(s, 4, mf_now());
	return mf_store_step_done(st, s, diag, "cannot take lease");
}

void mf_store_lease_release(struct mf_store *st, int64_t mailbox_id, const char *target,
			    int64_t run_id)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_LEASE_DEL, NULL);
	if (!s)
		return;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	sqlite3_bind_int64(s, 3, run_id);
	sqlite3_step(s);
	sqlite3_reset(s);
}

/* ---- an export run's figures per mailbox ---- */

static const char SQL_RUN_MB_PUT[] =
	"INSERT OR REPLACE INTO run_mailboxes(run_id, seq, mailbox_id, alias, action, planned, "
	"delivered, already, failed, bytes, attachments, calendar_items, problems, state) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

int mf_store_run_mailbox_put(struct mf_store *st, int64_t run_id,
			     const struct mf_store_run_mailbox *r, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_MB_PUT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, r->seq);
	sqlite3_bind_int64(s, 3, r->mailbox_id);
	mf_store_bind_text(s, 4, r->alias ? r->alias : "");
	mf_store_bind_text(s, 5, r->action);
	sqlite3_bind_int64(s, 6, r->planned);
	sqlite3_bind_int64(s, 7, r->delivered);
	sqlite3_bind_int64(s, 8, r->already);
	sqlite3_bind_int64(s, 9, r->failed);
	sqlite3_bind_int64(s, 10, r->bytes);
	sqlite3_bind_int64(s, 11, r->attachments);
	sqlite3_bind_int64(s, 12, r->calendar_items);
	sqlite3_bind_int64(s, 13, r->problems);
	mf_store_bind_text(s, 14, r->state);
	return mf_store_step_done(st, s, diag, "cannot record a mailbox of the run");
}

static const char SQL_RUN_MB_LIST[] =
	"SELECT seq, mailbox_id, alias, action, planned, delivered, already, failed, bytes, "
	"attachments, calendar_items, problems, state FROM run_mailboxes WHERE run_id = ?1 "
	"ORDER BY seq";

int mf_store_run_mailboxes(struct mf_store *st, int64_t run_id,
			   int (*visit)(void *arg, const struct mf_store_run_mailbox *r),
			   void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_MB_LIST, diag);
	int rc, vr = MF_OK;

	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_run_mailbox r;
		r.seq = sqlite3_column_int64(s, 0);
		r.mailbox_id = sqlite3_column_int64(s, 1);
		r.alias = (const char *)sqlite3_column_text(s, 2);
		r.action = (const char *)sqlite3_column_text(s, 3);
		r.planned = sqlite3_column_int64(s, 4);
		r.delivered = sqlite3_column_int64(s, 5);
		r.already = sqlite3_column_int64(s, 6);
		r.failed = sqlite3_column_int64(s, 7);
		r.bytes = sqlite3_column_int64(s, 8);
		r.attachments = sqlite3_column_int64(s, 9);
		r.calendar_items = sqlite3_column_int64(s, 10);
		r.problems = sqlite3_column_int64(s, 11);
		r.state = (const char *)sqlite3_column_text(s, 12);
		if ((vr = visit(arg, &r)) < 0)
			break;
	}
	sqlite3_reset(s);
	if (vr < 0)
		return vr;
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read the mailboxes of a run");
	return MF_OK;
}
