/* SPDX-License-Identifier: MIT */
/* store_views.c: read-only queries for the commands (see store_views.h). */
#include "core/store_views.h"
#include "core/store_priv.h"

#include <stdlib.h>
#include <string.h>

static const char *col(sqlite3_stmt *s, int i, struct mf_arena *a)
{
	return mf_arena_strdup(a, (const char *)sqlite3_column_text(s, i));
}

/* Grow *arr (elements of size sz, capacity *cap) for one more row. */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz, struct mf_arena *a)
{
	void *bigger;
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	bigger = mf_arena_alloc(a, *cap * sz);
	if (n)
		memcpy(bigger, arr, n * sz);
	return bigger;
}

/* Finish a row loop: reset, and MF_OK or the error. */
static int done(struct mf_store *st, sqlite3_stmt *s, int step, struct mf_diag *diag,
		const char *what)
{
	int rc = step == SQLITE_DONE ? MF_OK : mf_store_fail(st, diag, what);
	sqlite3_reset(s);
	return rc;
}

static const char SQL_RUN_PROBLEMS[] =
	"SELECT severity, count(*) FROM problems WHERE run_id = ?1 GROUP BY severity";

int mf_store_run_problem_counts(struct mf_store *st, int64_t run_id, int64_t counts[3])
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_PROBLEMS, NULL);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (sev && !strcmp(sev, "info"))
			counts[MF_INFO] = n;
		else if (sev && !strcmp(sev, "warning"))
			counts[MF_WARNING] = n;
		else
			counts[MF_ERROR] = n;
	}
	sqlite3_reset(s);
	return MF_OK;
}

static const char SQL_STAGED[] =
	"SELECT count(*), ifnull(sum(messages), 0) FROM mailbox_summary";

int mf_store_view_staged(struct mf_store *st, int64_t *mailboxes, int64_t *messages,
			 struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_STAGED, diag);
	*mailboxes = *messages = 0;
	if (!s)
		return MF_ESTORE;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*mailboxes = sqlite3_column_int64(s, 0);
		*messages = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return MF_OK;
}

static const char SQL_MAILBOXES_BY_KIND[] =
	"SELECT mailbox_id, alias, display_name, source_address, kind, messages, attachments, "
	"calendar_items, bytes, has_mail_section, mail_skipped FROM mailbox_summary "
	"ORDER BY kind, alias COLLATE NOCASE, mailbox_id";
static const char SQL_MAILBOXES_BY_ALIAS[] =
	"SELECT mailbox_id, alias, display_name, source_address, kind, messages, attachments, "
	"calendar_items, bytes, has_mail_section, mail_skipped FROM mailbox_summary "
	"ORDER BY alias COLLATE NOCASE, mailbox_id";
static const char SQL_MAILBOXES_BY_ID[] =
	"SELECT mailbox_id, alias, display_name, source_address, kind, messages, attachments, "
	"calendar_items, bytes, has_mail_section, mail_skipped FROM mailbox_summary "
	"ORDER BY mailbox_id";

static const char *mailboxes_sql(int order)
{
	return order == MF_VIEW_BY_ID ? SQL_MAILBOXES_BY_ID
	       : order ? SQL_MAILBOXES_BY_KIND : SQL_MAILBOXES_BY_ALIAS;
}

static void mailbox_row(sqlite3_stmt *s, struct mf_view_mailbox *m, struct mf_arena *arena)
{
	m->id = sqlite3_column_int64(s, 0);
	if (arena) {
		m->alias = col(s, 1, arena);
		m->display_name = col(s, 2, arena);
		m->source_address = col(s, 3, arena);
		m->kind = col(s, 4, arena);
	} else {
		m->alias = (const char *)sqlite3_column_text(s, 1);
		m->display_name = (const char *)sqlite3_column_text(s, 2);
		m->source_address = (const char *)sqlite3_column_text(s, 3);
		m->kind = (const char *)sqlite3_column_text(s, 4);
	}
	m->messages = sqlite3_column_int64(s, 5);
	m->attachments = sqlite3_column_int64(s, 6);
	m->calendar_items = sqlite3_column_int64(s, 7);
	m->bytes = sqlite3_column_int64(s, 8);
	m->has_mail_section = sqlite3_column_int(s, 9);
	m->mail_skipped = sqlite3_column_int(s, 10);
}

int mf_store_view_mailboxes(struct mf_store *st, int by_kind, struct mf_view_mailbox **out,
			    size_t *n, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, mailboxes_sql(by_kind), diag);
	size_t cap = 0;
	int step;
	*out = NULL;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*out = grow(*out, *n, &cap, sizeof(**out), arena);
		mailbox_row(s, &(*out)[(*n)++], arena);
	}
	return done(st, s, step, diag, "cannot read mailbox summary");
}

int mf_store_view_mailboxes_each(struct mf_store *st, int by_kind,
				 int (*fn)(void *ctx, const struct mf_view_mailbox *m), void *ctx,
				 struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, mailboxes_sql(by_kind), diag);
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_mailbox m;
		mailbox_row(s, &m, NULL);
		if ((rc = fn(ctx, &m)) < 0)
			break;
	}
	if (rc < 0) {
		sqlite3_reset(s);
		return rc;
	}
	return done(st, s, step, diag, "cannot read mailbox summary");
}

static const char SQL_FOLDERS[] =
	"SELECT path, messages FROM folder_summary WHERE mailbox_id = ?1 ORDER BY path";

int mf_store_view_folders(struct mf_store *st, int64_t mailbox_id, struct mf_view_folder **out,
			  size_t *n, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FOLDERS, diag);
	size_t cap = 0;
	int step;
	*out = NULL;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_folder *f;
		*out = grow(*out, *n, &cap, sizeof(**out), arena);
		f = &(*out)[(*n)++];
		f->path = col(s, 0, arena);
		f->messages = sqlite3_column_int64(s, 1);
	}
	return done(st, s, step, diag, "cannot read folder summary");
}

static const char SQL_MAILBOX_PLAN[] =
	"SELECT action, alias_from, conflict, message FROM plan_mailboxes WHERE mailbox_id = ?1";

int mf_store_view_mailbox_plan(struct mf_store *st, int64_t mailbox_id, int *found,
			       struct mf_view_mailbox_plan *out, struct mf_arena *arena,
			       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MAILBOX_PLAN, diag);
	int step;
	*found = 0;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*found = 1;
		out->action = col(s, 0, arena);
		out->alias_from = col(s, 1, arena);
		out->conflict = col(s, 2, arena);
		out->message = col(s, 3, arena);
		step = SQLITE_DONE;
	}
	return done(st, s, step, diag, "cannot read the plan");
}

static const char SQL_TARGETS[] =
	"SELECT target, ifnull(sum(item_kind = 'message' AND status = 'delivered'), 0), "
	"ifnull(sum(item_kind = 'message' AND status = 'failed'), 0), "
	"ifnull(sum(item_kind = 'message' AND status = 'skipped'), 0), "
	"ifnull(sum(item_kind = 'calendar' AND status = 'delivered'), 0), "
	"ifnull(max(item_kind = 'mailbox' AND status = 'delivered'), 0) "
	"FROM deliveries WHERE mailbox_id = ?1 GROUP BY target ORDER BY target";

int mf_store_view_targets(struct mf_store *st, int64_t mailbox_id, struct mf_view_target **out,
			  size_t *n, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_TARGETS, diag);
	size_t cap = 0;
	int step;
	*out = NULL;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_target *t;
		*out = grow(*out, *n, &cap, sizeof(**out), arena);
		t = &(*out)[(*n)++];
		t->target = col(s, 0, arena);
		t->delivered = sqlite3_column_int64(s, 1);
		t->failed = sqlite3_column_int64(s, 2);
		t->skipped = sqlite3_column_int64(s, 3);
		t->calendar_items = sqlite3_column_int64(s, 4);
		t->completed = sqlite3_column_int(s, 5);
	}
	return done(st, s, step, diag, "cannot read the delivery ledger");
}

static const char SQL_PLAN[] =
	"SELECT m.alias, m.name, m.source_address, ifnull(p.action, 'unplanned'), o.class, o.alias, "
	"p.message FROM mailboxes m LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id "
	"LEFT JOIN target_objects o ON o.id = p.object_id ORDER BY m.alias COLLATE NOCASE, m.id";

int mf_store_view_plan_each(struct mf_store *st,
			    int (*fn)(void *ctx, const struct mf_view_plan_row *r), void *ctx,
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PLAN, diag);
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_plan_row r;
		r.alias = (const char *)sqlite3_column_text(s, 0);
		r.name = (const char *)sqlite3_column_text(s, 1);
		r.source_address = (const char *)sqlite3_column_text(s, 2);
		r.action = (const char *)sqlite3_column_text(s, 3);
		r.object_class = (const char *)sqlite3_column_text(s, 4);
		r.object_alias = (const char *)sqlite3_column_text(s, 5);
		r.message = (const char *)sqlite3_column_text(s, 6);
		if ((rc = fn(ctx, &r)) < 0)
			break;
	}
	if (rc < 0) {
		sqlite3_reset(s);
		return rc;
	}
	return done(st, s, step, diag, "cannot read the plan");
}

static const char SQL_PLAN_RECIPIENTS[] =
	"SELECT e.kind, e.name, p.address, p.action, p.alias, p.message FROM plan_recipients p "
	"JOIN dir_entries e ON e.id = p.entry_id ORDER BY e.kind, e.name COLLATE NOCASE, e.id";

int mf_store_view_plan_recipients_each(struct mf_store *st,
				       int (*fn)(void *ctx, const struct mf_view_plan_recipient *r),
				       void *ctx, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PLAN_RECIPIENTS, diag);
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_plan_recipient r;
		r.kind = (const char *)sqlite3_column_text(s, 0);
		r.name = (const char *)sqlite3_column_text(s, 1);
		r.address = (const char *)sqlite3_column_text(s, 2);
		r.action = (const char *)sqlite3_column_text(s, 3);
		r.alias = (const char *)sqlite3_column_text(s, 4);
		r.message = (const char *)sqlite3_column_text(s, 5);
		if ((rc = fn(ctx, &r)) < 0)
			break;
	}
	if (rc < 0) {
		sqlite3_reset(s);
		return rc;
	}
	return done(st, s, step, diag, "cannot read the plan");
}

static const char SQL_PLAN_MAILBOXES[] =
	"SELECT m.alias, ifnull(p.action, 'create'), s.messages, s.mail_skipped, p.message "
	"FROM mailboxes m JOIN mailbox_summary s ON s.mailbox_id = m.id "
	"LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id ORDER BY m.alias COLLATE NOCASE, m.id";

int mf_store_view_plan_mailboxes(struct mf_store *st, struct mf_view_plan_mailbox **out,
				 size_t *n, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PLAN_MAILBOXES, diag);
	size_t cap = 0;
	int step;
	*out = NULL;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_plan_mailbox *r;
		*out = grow(*out, *n, &cap, sizeof(**out), arena);
		r = &(*out)[(*n)++];
		r->alias = col(s, 0, arena);
		r->action = col(s, 1, arena);
		r->messages = sqlite3_column_int64(s, 2);
		r->mail_skipped = sqlite3_column_int(s, 3);
		r->message = col(s, 4, arena);
	}
	return done(st, s, step, diag, "cannot read the plan");
}

static const char SQL_PROBLEM_CODES[] =
	"SELECT severity, code, count, example FROM problem_summary LIMIT ?1";

int mf_store_view_problem_codes(struct mf_store *st, size_t limit,
				struct mf_view_problem_code **out, size_t *n,
				struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PROBLEM_CODES, diag);
	size_t cap = 0;
	int step;
	*out = NULL;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_problem_code *r;
		*out = grow(*out, *n, &cap, sizeof(**out), arena);
		r = &(*out)[(*n)++];
		r->severity = col(s, 0, arena);
		r->code = col(s, 1, arena);
		r->count = sqlite3_column_int64(s, 2);
		r->example = col(s, 3, arena);
	}
	return done(st, s, step, diag, "cannot read the problem summary");
}

static const char SQL_RUN_PROBLEM_LIST[] =
	"SELECT p.run_id, p.severity, p.code, m.alias, p.file, p.offset, p.text FROM problems p "
	"LEFT JOIN mailboxes m ON m.id = p.mailbox_id WHERE p.run_id = ?1 ORDER BY p.id";

int mf_store_view_run_problems(struct mf_store *st, int64_t run_id, struct mf_view_problem **out,
			       size_t *n, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_RUN_PROBLEM_LIST, diag);
	size_t cap = 0;
	int step;
	*out = NULL;
	*n = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, run_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_view_problem *r;
		*out = grow(*out, *n, &cap, sizeof(**out), arena);
		r = &(*out)[(*n)++];
		r->run_id = sqlite3_column_int64(s, 0);
		r->severity = col(s, 1, arena);
		r->code = col(s, 2, arena);
		r->alias = col(s, 3, arena);
		r->file = col(s, 4, arena);
		r->has_offset = sqlite3_column_type(s, 5) != SQLITE_NULL;
		r->offset = sqlite3_column_int64(s, 5);
		r->text = col(s, 6, arena);
	}
	return done(st, s, step, diag, "cannot read the problems");
}
