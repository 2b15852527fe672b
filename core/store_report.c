/* SPDX-License-Identifier: MIT */
/*
 * store_report.c: the joined database of the migration report (see
 * store_report.h and cli/report.h for the join rules).  The joined
 * database is a plain SQLite file held in a struct mf_store of its own (no
 * staging schema), so its statements share the statement cache and the
 * SQL log of the query-plan guard.
 */
#include "core/store_report.h"
#include "core/store_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char AGG_SCHEMA[] =
	"CREATE TABLE src(format, path, postoffice, network, codepage, timezone, date_order,"
	"  exported_at);"
	"CREATE UNIQUE INDEX src_once ON src(ifnull(format, ''), ifnull(path, ''),"
	"  ifnull(postoffice, ''), ifnull(network, ''));"
	"CREATE TABLE mbox(key TEXT PRIMARY KEY, alias, display_name, source_address, kind,"
	"  messages INT, attachments INT, bytes INT, calendar_items INT, mail_skipped INT)"
	"  WITHOUT ROWID;"
	"CREATE TABLE tm(target TEXT, key TEXT, db INT, delivered INT, failed INT, cal INT,"
	"  done INT, PRIMARY KEY(target, key)) WITHOUT ROWID;"
	"CREATE TABLE prob(db INT, severity, code, file, offset, item, mkey, alias, text);"
	"CREATE INDEX prob_code ON prob(code, file, offset);"
	"CREATE TABLE run(db INT, dbpath, id INT, kind, format, target, status, started_at INT,"
	"  finished_at INT, options, items INT, bytes INT);";

struct mf_report_db {
	struct mf_store *agg;      /* the joined database (no staging schema) */
	int keep;                  /* MAILFERRY_REPORT_DB_KEEP: not removed */
};

/* ---- reading the staging databases ---- */

static int agg_fail(sqlite3 *db, struct mf_diag *d, const char *what)
{
	return mf_diag_set(d, MF_ESTORE, NULL, MF_NO_OFFSET, "report: %s: %s", what,
			   sqlite3_errmsg(db));
}

void mf_report_target_cut(char *t)
{
	char *h = strrchr(t, '#');
	size_t n;
	if (!h)
		return;
	n = strlen(h + 1);
	if (n != 32)
		return;
	for (size_t i = 1; i <= n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return;
	*h = '\0';
}

/* A statement of the joined database (cached), or NULL with diag set. */
static sqlite3_stmt *agg_stmt(struct mf_store *agg, const char *sql, struct mf_diag *d,
			      const char *what)
{
	sqlite3_stmt *s = mf_store_stmt(agg, sql, NULL);
	if (!s)
		agg_fail(agg->db, d, what);
	return s;
}

/* Copy every row of sel (on src) into ins (on agg): ins's ?1 is k, ?2.. the
 * columns of sel. */
static int copy_rows(struct mf_store *src, const char *sel, struct mf_store *agg,
		     const char *ins, int k, const char *what, struct mf_diag *d)
{
	sqlite3_stmt *s = NULL, *i;
	int rc = MF_OK, step;

	if (sqlite3_prepare_v2(src->db, sel, -1, &s, NULL) != SQLITE_OK)
		return agg_fail(src->db, d, what);
	if (!(i = agg_stmt(agg, ins, d, what))) {
		sqlite3_finalize(s);
		return MF_ESTORE;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(s);
		sqlite3_bind_int(i, 1, k);
		for (int c = 0; c < nc; c++)
			sqlite3_bind_value(i, c + 2, sqlite3_column_value(s, c));
		if (sqlite3_step(i) != SQLITE_DONE) {
			rc = agg_fail(agg->db, d, what);
			break;
		}
		sqlite3_reset(i);
		sqlite3_clear_bindings(i);
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = agg_fail(src->db, d, what);
	sqlite3_reset(i);
	sqlite3_finalize(s);
	return rc;
}

/* A mailbox's key across databases: its source address in lower case, or
 * its kind and name. */
#define MKEY(m) "lower(ifnull(" m ".source_address, " m ".kind || ':' || " m ".name))"

static const char SEL_SRC[] =
	"SELECT format, path, postoffice, network, codepage, timezone, date_order, exported_at "
	"FROM sources ORDER BY id";
static const char INS_SRC[] = "INSERT OR IGNORE INTO src VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SEL_MBOX[] =
	"SELECT " MKEY("m") ", s.alias, s.display_name, s.source_address, s.kind, s.messages, "
	"s.attachments, s.bytes, s.calendar_items, s.mail_skipped "
	"FROM mailbox_summary s JOIN mailboxes m ON m.id = s.mailbox_id ORDER BY m.id";
static const char INS_MBOX[] =
	"INSERT OR IGNORE INTO mbox VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
/* (the summary is read only for imports and exports: a plan's holds every
 * mailbox's decision) */
static const char SEL_RUN[] =
	"SELECT id, kind, format, target, status, started_at, finished_at, "
	"CASE WHEN json_valid(options) THEN options END, "
	"CASE WHEN kind NOT IN ('import', 'export') OR NOT json_valid(summary) THEN NULL "
	"  WHEN kind = 'import' THEN json_extract(summary, '$.messages') "
	"  WHEN kind = 'export' THEN json_extract(summary, '$.totals.delivered') END, "
	"CASE WHEN kind NOT IN ('import', 'export') OR NOT json_valid(summary) THEN NULL "
	"  WHEN kind = 'import' THEN json_extract(summary, '$.bytes') "
	"  WHEN kind = 'export' THEN json_extract(summary, '$.totals.bytes') END "
	"FROM runs ORDER BY id";
static const char INS_RUN[] =
	"INSERT INTO run VALUES(?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_RUN_DB[] = "UPDATE run SET dbpath = ?2 WHERE db = ?1";
static const char SEL_TM[] =
	"SELECT d.target, " MKEY("m") ", "
	"ifnull(sum(d.item_kind = 'message' AND d.status = 'delivered'), 0), "
	"ifnull(sum(d.item_kind = 'message' AND d.status = 'failed'), 0), "
	"ifnull(sum(d.item_kind = 'calendar' AND d.status = 'delivered'), 0), "
	"ifnull(max(d.item_kind = 'mailbox' AND d.status = 'delivered'), 0) "
	"FROM deliveries d JOIN mailboxes m ON m.id = d.mailbox_id GROUP BY d.target, m.id";
static const char SQL_TM_GET[] = "SELECT done, delivered FROM tm WHERE target = ?1 AND key = ?2";
static const char SQL_TM_PUT[] = "INSERT OR REPLACE INTO tm VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SEL_PROB[] =
	"SELECT ifnull(r.kind, 'import'), p.severity, p.code, p.file, p.offset, p.item, "
	"CASE WHEN m.id IS NULL THEN NULL ELSE " MKEY("m") " END, m.alias, p.text "
	"FROM problems p LEFT JOIN runs r ON r.id = p.run_id "
	"LEFT JOIN mailboxes m ON m.id = p.mailbox_id ORDER BY p.id";
static const char SQL_PROB_SEEN[] =
	"SELECT 1 FROM prob WHERE db <> ?1 AND code = ?3 AND file IS ?4 AND offset IS ?5 "
	"AND severity = ?2 AND item IS ?6 AND mkey IS ?7 AND text = ?8 LIMIT 1";
static const char SQL_PROB_PUT[] = "INSERT INTO prob VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/* Mailbox figures on targets: keep the database that did the most. */
static int add_targets(struct mf_store *src, struct mf_store *agg, int k, struct mf_diag *d)
{
	sqlite3_stmt *s = NULL, *get, *put;
	int rc = MF_OK, step;

	if (sqlite3_prepare_v2(src->db, SEL_TM, -1, &s, NULL) != SQLITE_OK)
		return agg_fail(src->db, d, "reading the delivery ledger");
	if (!(get = agg_stmt(agg, SQL_TM_GET, d, "joining the delivery ledgers")) ||
	    !(put = agg_stmt(agg, SQL_TM_PUT, d, "joining the delivery ledgers"))) {
		sqlite3_finalize(s);
		return MF_ESTORE;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		const char *key = (const char *)sqlite3_column_text(s, 1);
		int64_t del = sqlite3_column_int64(s, 2), done = sqlite3_column_int64(s, 5);
		char *name = mf_xstrdup(t ? t : "");
		int better = 1;
		mf_report_target_cut(name);
		sqlite3_bind_text(get, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(get, 2, key, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(get) == SQLITE_ROW) {
			int64_t odone = sqlite3_column_int64(get, 0), odel = sqlite3_column_int64(get, 1);
			better = done > odone || (done == odone && del > odel);
		}
		sqlite3_reset(get);
		if (better) {
			sqlite3_bind_text(put, 1, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(put, 2, key, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(put, 3, k);
			sqlite3_bind_int64(put, 4, del);
			sqlite3_bind_int64(put, 5, sqlite3_column_int64(s, 3));
			sqlite3_bind_int64(put, 6, sqlite3_column_int64(s, 4));
			sqlite3_bind_int64(put, 7, done);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = agg_fail(agg->db, d, "joining the delivery ledgers");
			sqlite3_reset(put);
		}
		free(name);
		if (rc < 0)
			break;
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = agg_fail(src->db, d, "reading the delivery ledger");
	sqlite3_finalize(s);
	return rc;
}

/* Problems: export and verify runs add up; the others are counted once
 * across databases. */
static int add_problems(struct mf_store *src, struct mf_store *agg, int k, struct mf_diag *d)
{
	sqlite3_stmt *s = NULL, *q, *i;
	int rc = MF_OK, step;

	if (sqlite3_prepare_v2(src->db, SEL_PROB, -1, &s, NULL) != SQLITE_OK)
		return agg_fail(src->db, d, "reading the problems");
	if (!(q = agg_stmt(agg, SQL_PROB_SEEN, d, "joining the problems")) ||
	    !(i = agg_stmt(agg, SQL_PROB_PUT, d, "joining the problems"))) {
		sqlite3_finalize(s);
		return MF_ESTORE;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 0);
		int once = !kind || (strcmp(kind, "export") && strcmp(kind, "verify"));
		if (once && k > 0) {
			int seen;
			sqlite3_bind_int(q, 1, k);
			sqlite3_bind_value(q, 2, sqlite3_column_value(s, 1));
			sqlite3_bind_value(q, 3, sqlite3_column_value(s, 2));
			sqlite3_bind_value(q, 4, sqlite3_column_value(s, 3));
			sqlite3_bind_value(q, 5, sqlite3_column_value(s, 4));
			sqlite3_bind_value(q, 6, sqlite3_column_value(s, 5));
			sqlite3_bind_value(q, 7, sqlite3_column_value(s, 6));
			sqlite3_bind_value(q, 8, sqlite3_column_value(s, 8));
			seen = sqlite3_step(q) == SQLITE_ROW;
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			if (seen)
				continue;
		}
		sqlite3_bind_int(i, 1, k);
		for (int c = 1; c < 9; c++)
			sqlite3_bind_value(i, c + 1, sqlite3_column_value(s, c));
		if (sqlite3_step(i) != SQLITE_DONE) {
			rc = agg_fail(agg->db, d, "joining the problems");
			sqlite3_reset(i);
			break;
		}
		sqlite3_reset(i);
		sqlite3_clear_bindings(i);
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = agg_fail(src->db, d, "reading the problems");
	sqlite3_finalize(s);
	return rc;
}

static int add_db(struct mf_store *agg, int k, const char *path, struct mf_diag *d)
{
	struct mf_store *src = NULL;
	sqlite3_stmt *s;
	int rc;

	if ((rc = mf_store_open(&src, path, MF_STORE_READONLY | MF_STORE_MUST_EXIST, d)) < 0)
		return rc;
	if ((rc = copy_rows(src, SEL_SRC, agg, INS_SRC, k, "reading the sources", d)) < 0 ||
	    (rc = copy_rows(src, SEL_MBOX, agg, INS_MBOX, k, "reading the mailboxes", d)) < 0 ||
	    (rc = copy_rows(src, SEL_RUN, agg, INS_RUN, k, "reading the runs", d)) < 0 ||
	    (rc = add_targets(src, agg, k, d)) < 0 ||
	    (rc = add_problems(src, agg, k, d)) < 0)
		goto out;
	if ((s = mf_store_stmt(agg, SQL_RUN_DB, NULL)) != NULL) {
		sqlite3_bind_int(s, 1, k);
		sqlite3_bind_text(s, 2, path, -1, SQLITE_TRANSIENT);
		sqlite3_step(s);
		sqlite3_reset(s);
	}
out:
	mf_store_close(&src);
	return rc;
}

int mf_report_db_open(struct mf_report_db **out, const char *const *dbs, size_t n,
		      struct mf_diag *diag)
{
	struct mf_report_db *r;
	struct mf_store *agg;
	char path[4096];
	const char *keep;
	int rc = MF_OK, fd;

	*out = NULL;
	/* a private file of its own under TMPDIR, removed when done (SQLite's
	 * own temporary databases keep a whole transaction's pages in memory).
	 * MAILFERRY_REPORT_DB_KEEP=FILE (a test hook: the query-plan guard,
	 * tests/cli/queryplan.sh, plans the statements below against it): the
	 * joined database is made anew in FILE and kept. */
	keep = getenv("MAILFERRY_REPORT_DB_KEEP");
	if (keep && *keep) {
		snprintf(path, sizeof(path), "%s", keep);
		unlink(path);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} else {
		const char *tmp = getenv("TMPDIR");
		keep = NULL;
		snprintf(path, sizeof(path), "%s/mailferry-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		fd = mkstemp(path);
	}
	if (fd < 0)
		return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "report: no temporary file: %s",
				   strerror(errno));
	close(fd);
	r = mf_xcalloc(1, sizeof(*r));
	r->keep = keep != NULL;
	r->agg = agg = mf_xcalloc(1, sizeof(*agg));
	agg->path = mf_xstrdup(path);
	if (sqlite3_open_v2(path, &agg->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = mf_diag_set(diag, MF_ESTORE, path, MF_NO_OFFSET, "report: no temporary database");
		goto out;
	}
	if (sqlite3_exec(agg->db, "PRAGMA cache_size = -4096; PRAGMA temp_store = FILE;"
			 "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(agg->db, AGG_SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
		rc = agg_fail(agg->db, diag, "schema");
		goto out;
	}
	mf_store_log_sql(agg);
	sqlite3_exec(agg->db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		if ((rc = add_db(agg, (int)i, dbs[i], diag)) < 0)
			goto out;
	sqlite3_exec(agg->db, "COMMIT", NULL, NULL, NULL);
out:
	if (rc < 0) {
		mf_report_db_close(&r);
		return rc;
	}
	*out = r;
	return MF_OK;
}

void mf_report_db_close(struct mf_report_db **pr)
{
	struct mf_report_db *r = *pr;
	char *path;
	if (!r)
		return;
	path = r->agg->path && !r->keep ? mf_xstrdup(r->agg->path) : NULL;
	mf_store_close(&r->agg);
	if (path)
		unlink(path);
	free(path);
	free(r);
	*pr = NULL;
}

/* ---- reading the joined database ---- */

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* The end of a pass of s: MF_OK at its end, rc when fn stopped it, else
 * MF_ESTORE with diag saying what failed. */
static int pass_end(struct mf_report_db *r, sqlite3_stmt *s, int step, int rc,
		    struct mf_diag *d, const char *what)
{
	sqlite3_reset(s);
	if (rc < 0)
		return rc;
	if (step != SQLITE_DONE)
		return agg_fail(r->agg->db, d, what);
	return MF_OK;
}

/* The n integer columns of sql's first row (0 for NULL or none). */
static void first_ints(struct mf_report_db *r, const char *sql, int64_t *const *out, int n)
{
	sqlite3_stmt *s = mf_store_stmt(r->agg, sql, NULL);
	for (int i = 0; i < n; i++)
		*out[i] = 0;
	if (!s)
		return;
	if (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < n; i++)
			*out[i] = sqlite3_column_int64(s, i);
	sqlite3_reset(s);
}

static const char SQL_TOTALS[] =
	"SELECT count(*), sum(kind = 'public'), sum(messages), sum(attachments), "
	"sum(bytes), sum(calendar_items) FROM mbox";
static const char SQL_PROB_TOTALS[] =
	"SELECT sum(severity = 'info'), sum(severity = 'warning'), "
	"sum(severity = 'error') FROM prob";

void mf_report_db_totals(struct mf_report_db *r, struct mf_report_totals *t)
{
	/* one pass over each table (at 100,000 mailboxes the joined database
	 * is larger than its page cache: a pass reads it all) */
	int64_t *const tot[] = { &t->mailboxes, &t->publics, &t->messages, &t->attachments,
				 &t->bytes, &t->calendar_items };
	int64_t *const pr[] = { &t->prob[MF_INFO], &t->prob[MF_WARNING], &t->prob[MF_ERROR] };
	first_ints(r, SQL_TOTALS, tot, 6);
	first_ints(r, SQL_PROB_TOTALS, pr, 3);
}

static const char SQL_TARGETS[] =
	"SELECT target, (SELECT options FROM run r WHERE r.kind = 'export' AND r.options IS NOT NULL "
	"  AND (r.target = tm.target OR r.target LIKE tm.target || '#%') "
	"  ORDER BY r.started_at DESC, r.db DESC LIMIT 1) "
	"FROM tm GROUP BY target ORDER BY target";

int mf_report_db_targets_each(struct mf_report_db *r,
			      int (*fn)(void *ctx, const char *target, const char *options),
			      void *ctx, struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_TARGETS, d, "building the report");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = fn(ctx, col(s, 0), col(s, 1))) < 0)
			break;
	return pass_end(r, s, step, rc, d, "building the report");
}

static const char SQL_TMBOX[] =
	"SELECT m.alias, m.display_name, m.source_address, m.kind, m.messages, m.bytes, "
	"ifnull(t.delivered, 0), ifnull(t.failed, 0), ifnull(t.cal, 0), ifnull(t.done, 0), "
	"m.calendar_items FROM mbox m LEFT JOIN tm t ON t.key = m.key AND t.target = ?1 "
	"ORDER BY m.kind, m.alias COLLATE NOCASE, m.key";

int mf_report_db_mailboxes_each(struct mf_report_db *r, const char *target,
				int (*fn)(void *ctx, const struct mf_report_mbox *m), void *ctx,
				struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_TMBOX, d, "building the report");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_text(s, 1, target, -1, SQLITE_TRANSIENT);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_report_mbox m;
		m.alias = col(s, 0);
		m.display_name = col(s, 1);
		m.source_address = col(s, 2);
		m.kind = col(s, 3);
		m.messages = sqlite3_column_int64(s, 4);
		m.bytes = sqlite3_column_int64(s, 5);
		m.delivered = sqlite3_column_int64(s, 6);
		m.failed = sqlite3_column_int64(s, 7);
		m.cal = sqlite3_column_int64(s, 8);
		m.done = sqlite3_column_int(s, 9) != 0;
		m.calendar_items = sqlite3_column_int64(s, 10);
		if ((rc = fn(ctx, &m)) < 0)
			break;
	}
	return pass_end(r, s, step, rc, d, "building the report");
}

static const char SQL_SOURCES[] =
	"SELECT format, path, postoffice, network, codepage, timezone, date_order, exported_at "
	"FROM src ORDER BY rowid";

int mf_report_db_sources_each(struct mf_report_db *r,
			      int (*fn)(void *ctx, const char *const v[MF_REPORT_SOURCE_COLS]),
			      void *ctx, struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_SOURCES, d, "reading the sources");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[MF_REPORT_SOURCE_COLS];
		for (int c = 0; c < MF_REPORT_SOURCE_COLS; c++)
			v[c] = col(s, c);
		if ((rc = fn(ctx, v)) < 0)
			break;
	}
	return pass_end(r, s, step, rc, d, "reading the sources");
}

static const char SQL_CODES[] =
	"SELECT severity, code, count(*) FROM prob GROUP BY severity, code "
	"ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code";
static const char SQL_EXAMPLES[] =
	"SELECT alias, file, offset, text FROM prob WHERE severity = ?1 AND code = ?2 "
	"ORDER BY file IS NULL, file, offset, text LIMIT 3";

int mf_report_db_codes_each(struct mf_report_db *r,
			    int (*fn)(void *ctx, const char *severity, const char *code,
				      int64_t count),
			    void *ctx, struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_CODES, d, "reading the problems");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = fn(ctx, col(s, 0), col(s, 1), sqlite3_column_int64(s, 2))) < 0)
			break;
	return pass_end(r, s, step, rc, d, "reading the problems");
}

int mf_report_db_examples_each(struct mf_report_db *r, const char *severity, const char *code,
			       int (*fn)(void *ctx, const struct mf_report_example *e), void *ctx,
			       struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_EXAMPLES, d, "reading the problems");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, severity);
	mf_store_bind_text(s, 2, code);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_report_example e;
		e.alias = col(s, 0);
		e.file = col(s, 1);
		e.has_offset = sqlite3_column_type(s, 2) != SQLITE_NULL;
		e.offset = sqlite3_column_int64(s, 2);
		e.text = col(s, 3);
		if ((rc = fn(ctx, &e)) < 0)
			break;
	}
	return pass_end(r, s, step, rc, d, "reading the problems");
}

static const char SQL_RUNS[] =
	"SELECT dbpath, id, kind, format, target, status, started_at, finished_at, items, bytes "
	"FROM run ORDER BY db, id";

int mf_report_db_runs_each(struct mf_report_db *r,
			   int (*fn)(void *ctx, const struct mf_report_run *run), void *ctx,
			   struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_RUNS, d, "reading the runs");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_report_run x;
		x.database = col(s, 0);
		x.id = sqlite3_column_int64(s, 1);
		x.kind = col(s, 2);
		x.format = col(s, 3);
		x.target = col(s, 4);
		x.status = col(s, 5);
		x.started_at = sqlite3_column_int64(s, 6);
		x.has_finished = sqlite3_column_type(s, 7) != SQLITE_NULL;
		x.finished_at = sqlite3_column_int64(s, 7);
		x.has_items = sqlite3_column_type(s, 8) != SQLITE_NULL;
		x.items = sqlite3_column_int64(s, 8);
		x.has_bytes = sqlite3_column_type(s, 9) != SQLITE_NULL;
		x.bytes = sqlite3_column_int64(s, 9);
		if ((rc = fn(ctx, &x)) < 0)
			break;
	}
	return pass_end(r, s, step, rc, d, "reading the runs");
}

static const char SQL_LONGEST_RUN[] = "SELECT max(finished_at - started_at) FROM run";

int64_t mf_report_db_longest_run(struct mf_report_db *r)
{
	int64_t v = 0;
	int64_t *const out[] = { &v };
	first_ints(r, SQL_LONGEST_RUN, out, 1);
	return v;
}

static const char SQL_OPTIONS[] =
	"SELECT key, value FROM json_each(?1) WHERE value IS NOT NULL "
	"AND value NOT IN (0, '') ORDER BY id";

int mf_report_db_options_each(struct mf_report_db *r, const char *json,
			      int (*fn)(void *ctx, const char *key, const char *value), void *ctx,
			      struct mf_diag *d)
{
	sqlite3_stmt *s = agg_stmt(r->agg, SQL_OPTIONS, d, "reading a run's options");
	int step, rc = MF_OK;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, json);
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = fn(ctx, col(s, 0), col(s, 1))) < 0)
			break;
	return pass_end(r, s, step, rc, d, "reading a run's options");
}
