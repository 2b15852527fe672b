/* SPDX-License-Identifier: MIT */
/*
 * report.c: the migration report (see report.h).  Every database is read
 * once into a private temporary SQLite database (the join rules of report.h
 * are applied while copying); the JSON and the HTML page are then written
 * from that one place, so a single database and a merge give the same
 * shape.  The temporary database is a file of its own under TMPDIR (mode
 * 0600, removed when done) behind a page cache of bounded size, so memory
 * does not grow with the number of mailboxes (issue 15).
 */
#include "cli/report.h"
#include "core/charset.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/store.h"
#include "core/version.h"
#include "engine/exporter.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* ---- reading the databases ---- */

static int agg_fail(sqlite3 *db, struct mf_diag *d, const char *what)
{
	return mf_diag_set(d, MF_ESTORE, NULL, MF_NO_OFFSET, "report: %s: %s", what,
			   sqlite3_errmsg(db));
}

static void cut_instance(char *t)
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

void cli_target_display(char *target)
{
	cut_instance(target);
}

/* Copy every row of sel (on src) into ins (on agg): ins's ?1 is k, ?2.. the
 * columns of sel. */
static int copy_rows(sqlite3 *src, const char *sel, sqlite3 *agg, const char *ins, int k,
		     const char *what, struct mf_diag *d)
{
	sqlite3_stmt *s = NULL, *i = NULL;
	int rc = MF_OK, step;

	if (sqlite3_prepare_v2(src, sel, -1, &s, NULL) != SQLITE_OK)
		return agg_fail(src, d, what);
	if (sqlite3_prepare_v2(agg, ins, -1, &i, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return agg_fail(agg, d, what);
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(s);
		sqlite3_bind_int(i, 1, k);
		for (int c = 0; c < nc; c++)
			sqlite3_bind_value(i, c + 2, sqlite3_column_value(s, c));
		if (sqlite3_step(i) != SQLITE_DONE) {
			rc = agg_fail(agg, d, what);
			break;
		}
		sqlite3_reset(i);
		sqlite3_clear_bindings(i);
	}
	if (rc == MF_OK && step != SQLITE_DONE)
		rc = agg_fail(src, d, what);
	sqlite3_finalize(s);
	sqlite3_finalize(i);
	return rc;
}

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
static const char SEL_TM[] =
	"SELECT d.target, " MKEY("m") ", "
	"ifnull(sum(d.item_kind = 'message' AND d.status = 'delivered'), 0), "
	"ifnull(sum(d.item_kind = 'message' AND d.status = 'failed'), 0), "
	"ifnull(sum(d.item_kind = 'calendar' AND d.status = 'delivered'), 0), "
	"ifnull(max(d.item_kind = 'mailbox' AND d.status = 'delivered'), 0) "
	"FROM deliveries d JOIN mailboxes m ON m.id = d.mailbox_id GROUP BY d.target, m.id";
static const char SEL_PROB[] =
	"SELECT ifnull(r.kind, 'import'), p.severity, p.code, p.file, p.offset, p.item, "
	"CASE WHEN m.id IS NULL THEN NULL ELSE " MKEY("m") " END, m.alias, p.text "
	"FROM problems p LEFT JOIN runs r ON r.id = p.run_id "
	"LEFT JOIN mailboxes m ON m.id = p.mailbox_id ORDER BY p.id";

/* Mailbox figures on targets: keep the database that did the most. */
static int add_targets(sqlite3 *src, sqlite3 *agg, int k, struct mf_diag *d)
{
	sqlite3_stmt *s = NULL, *get = NULL, *put = NULL;
	int rc = MF_OK, step;

	if (sqlite3_prepare_v2(src, SEL_TM, -1, &s, NULL) != SQLITE_OK)
		return agg_fail(src, d, "reading the delivery ledger");
	if (sqlite3_prepare_v2(agg, "SELECT done, delivered FROM tm WHERE target = ?1 AND key = ?2",
			       -1, &get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(agg, "INSERT OR REPLACE INTO tm VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			       -1, &put, NULL) != SQLITE_OK) {
		rc = agg_fail(agg, d, "joining the delivery ledgers");
		goto out;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		const char *key = (const char *)sqlite3_column_text(s, 1);
		int64_t del = sqlite3_column_int64(s, 2), done = sqlite3_column_int64(s, 5);
		char *name = mf_xstrdup(t ? t : "");
		int better = 1;
		cut_instance(name);
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
				rc = agg_fail(agg, d, "joining the delivery ledgers");
			sqlite3_reset(put);
		}
		free(name);
		if (rc < 0)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = agg_fail(src, d, "reading the delivery ledger");
out:
	sqlite3_finalize(s);
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	return rc;
}

/* Problems: export and verify runs add up; the others are counted once
 * across databases. */
static int add_problems(sqlite3 *src, sqlite3 *agg, int k, struct mf_diag *d)
{
	static const char dup[] =
		"SELECT 1 FROM prob WHERE db <> ?1 AND code = ?3 AND file IS ?4 AND offset IS ?5 "
		"AND severity = ?2 AND item IS ?6 AND mkey IS ?7 AND text = ?8 LIMIT 1";
	static const char ins[] =
		"INSERT INTO prob VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *s = NULL, *q = NULL, *i = NULL;
	int rc = MF_OK, step;

	if (sqlite3_prepare_v2(src, SEL_PROB, -1, &s, NULL) != SQLITE_OK)
		return agg_fail(src, d, "reading the problems");
	if (sqlite3_prepare_v2(agg, dup, -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(agg, ins, -1, &i, NULL) != SQLITE_OK) {
		rc = agg_fail(agg, d, "joining the problems");
		goto out;
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
			rc = agg_fail(agg, d, "joining the problems");
			goto out;
		}
		sqlite3_reset(i);
		sqlite3_clear_bindings(i);
	}
	if (step != SQLITE_DONE)
		rc = agg_fail(src, d, "reading the problems");
out:
	sqlite3_finalize(s);
	sqlite3_finalize(q);
	sqlite3_finalize(i);
	return rc;
}

static int add_db(sqlite3 *agg, int k, const char *path, struct mf_diag *d)
{
	struct mf_store *st = NULL;
	sqlite3 *src;
	sqlite3_stmt *s;
	int rc;

	if ((rc = mf_store_open(&st, path, MF_STORE_READONLY | MF_STORE_MUST_EXIST, d)) < 0)
		return rc;
	src = mf_store_db(st);
	if ((rc = copy_rows(src, SEL_SRC, agg, INS_SRC, k, "reading the sources", d)) < 0 ||
	    (rc = copy_rows(src, SEL_MBOX, agg, INS_MBOX, k, "reading the mailboxes", d)) < 0 ||
	    (rc = copy_rows(src, SEL_RUN, agg, INS_RUN, k, "reading the runs", d)) < 0 ||
	    (rc = add_targets(src, agg, k, d)) < 0 ||
	    (rc = add_problems(src, agg, k, d)) < 0)
		goto out;
	if (sqlite3_prepare_v2(agg, "UPDATE run SET dbpath = ?2 WHERE db = ?1", -1, &s, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int(s, 1, k);
		sqlite3_bind_text(s, 2, path, -1, SQLITE_TRANSIENT);
		sqlite3_step(s);
		sqlite3_finalize(s);
	}
out:
	mf_store_close(&st);
	return rc;
}

/* ---- output helpers ---- */

static void html_esc(struct mf_buf *b, const char *s)
{
	struct mf_buf clean;

	if (!s)
		return;
	mf_buf_init(&clean, MF_BUF_UNBOUNDED);
	if (!mf_utf8_valid(s, strlen(s))) {
		mf_utf8_sanitize(s, strlen(s), &clean, NULL);
		s = clean.data;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': mf_buf_addstr(b, "&amp;"); break;
		case '<': mf_buf_addstr(b, "&lt;"); break;
		case '>': mf_buf_addstr(b, "&gt;"); break;
		case '"': mf_buf_addstr(b, "&quot;"); break;
		case '\'': mf_buf_addstr(b, "&#39;"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				mf_buf_addch(b, *p == '\t' || *p == '\n' ? ' ' : '?');
			else
				mf_buf_addch(b, *p);
		}
	}
	mf_buf_release(&clean);
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static void iso_time(char out[32], int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(out, 32, "-");
		return;
	}
	strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void human_bytes(char out[32], int64_t v)
{
	const char *u[] = { "B", "KB", "MB", "GB", "TB" };
	double x = (double)v;
	int i = 0;
	while (x >= 1000 && i < 4) {
		x /= 1000;
		i++;
	}
	snprintf(out, 32, i ? "%.1f %s" : "%.0f %s", x, u[i]);
}

static void human_secs(char out[32], int64_t s)
{
	if (s < 0)
		snprintf(out, 32, "-");
	else if (s < 60)
		snprintf(out, 32, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 32, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, 32, "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
}

/* The n integer columns of sql's first row (0 for NULL or none): totals
 * taken in one pass over a table instead of one pass each. */
static void q_ints(sqlite3 *db, const char *sql, int64_t *const *out, int n)
{
	sqlite3_stmt *s;
	for (int i = 0; i < n; i++)
		*out[i] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(s) == SQLITE_ROW)
		for (int i = 0; i < n; i++)
			*out[i] = sqlite3_column_int64(s, i);
	sqlite3_finalize(s);
}

/* ---- output written as it is made ---- */

/* The report is written to its file as it is made (a report of 100,000
 * mailboxes is tens of megabytes): the writers add to sink.b, and
 * sink_flush, called once per mailbox, hands what is there to the file
 * when it passes 256 KiB.  Without a file (JSON on standard output) the
 * text stays in the buffer for the caller. */
struct sink {
	struct mf_buf b;    /* first: the writers' struct mf_buf * is the sink */
	FILE *f;
	int err;            /* errno of a failed write */
};

static void sink_out(struct sink *k)
{
	if (k->f && k->b.len && !k->err && fwrite(k->b.data, 1, k->b.len, k->f) != k->b.len)
		k->err = errno ? errno : EIO;
	if (k->f)
		k->b.len = 0;
}

static void sink_flush(struct mf_buf *b)
{
	struct sink *k = (struct sink *)b;
	if (k->f && b->len >= 256 * 1024)
		sink_out(k);
}

/* Write the report into path through a temporary file beside it
 * ("<dir>/.<name>.tmp.<pid>", as mf_write_atomic), renamed into place when
 * complete: a failed or killed run leaves no half report under the name. */
static int sink_open(struct sink *k, char *tmp, size_t tmpsz, const char *path,
		     struct mf_diag *diag)
{
	const char *slash = strrchr(path, '/');
	int fd;
	memset(k, 0, sizeof(*k));
	mf_buf_init(&k->b, MF_BUF_UNBOUNDED);
	if (slash)
		snprintf(tmp, tmpsz, "%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1,
			 (long)getpid());
	else
		snprintf(tmp, tmpsz, ".%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(k->f = fdopen(fd, "w"))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return mf_diag_set(diag, MF_EIO, path, MF_NO_OFFSET, "cannot write the report: %s",
				   strerror(e));
	}
	return MF_OK;
}

static int sink_close(struct sink *k, const char *tmp, const char *path, int ok,
		      struct mf_diag *diag)
{
	int rc = MF_OK;
	sink_out(k);
	if (k->f && fclose(k->f) != 0 && !k->err)
		k->err = errno ? errno : EIO;
	k->f = NULL;
	mf_buf_release(&k->b);
	if (ok && k->err)
		rc = mf_diag_set(diag, MF_EIO, path, MF_NO_OFFSET, "cannot write the report: %s",
				 strerror(k->err));
	else if (ok && rename(tmp, path) != 0)
		rc = mf_diag_set(diag, MF_EIO, path, MF_NO_OFFSET, "cannot write the report: %s",
				 strerror(errno));
	if (!ok || rc < 0)
		unlink(tmp);
	return rc;
}

/* ---- the report's data, read back from the joined database ---- */

struct rmbox {
	char *alias, *display_name, *source_address, *kind;
	int64_t messages, bytes, delivered, failed, skipped, cal, cal_total;
	int done;
};

struct rtarget {
	char *name, *format, *options;
	size_t n;                             /* its mailboxes (every staged one) */
	int64_t max_messages, max_cal;        /* the longest bars */
	int64_t messages, delivered, failed, skipped, cal, cal_total, done;
	int takes_messages, takes_calendar;   /* the exporter's capability bits */
};

struct rep {
	struct rtarget *t;
	size_t nt;
	sqlite3_stmt *tm;                     /* SQL_TMBOX: one target's mailboxes */
	int64_t mailboxes, publics, messages, attachments, bytes, calendar_items;
	int64_t prob[3];
	char generated[32];
};

static char *dupcol(sqlite3_stmt *s, int i)
{
	const char *v = col(s, i);
	return v ? mf_xstrdup(v) : NULL;
}

static const char SQL_TARGETS[] =
	"SELECT target, (SELECT options FROM run r WHERE r.kind = 'export' AND r.options IS NOT NULL "
	"  AND (r.target = tm.target OR r.target LIKE tm.target || '#%') "
	"  ORDER BY r.started_at DESC, r.db DESC LIMIT 1) "
	"FROM tm GROUP BY target ORDER BY target";
static const char SQL_TMBOX[] =
	"SELECT m.alias, m.display_name, m.source_address, m.kind, m.messages, m.bytes, "
	"ifnull(t.delivered, 0), ifnull(t.failed, 0), ifnull(t.cal, 0), ifnull(t.done, 0), "
	"m.calendar_items FROM mbox m LEFT JOIN tm t ON t.key = m.key AND t.target = ?1 "
	"ORDER BY m.kind, m.alias COLLATE NOCASE, m.key";

/* The next of target t's mailboxes (r->tm bound by tm_start), or 0 at the
 * end.  The strings are SQLite's, valid until the next call: the report
 * holds one mailbox at a time, whatever the number of mailboxes. */
static void tm_start(const struct rep *r, const struct rtarget *t)
{
	sqlite3_reset(r->tm);
	sqlite3_bind_text(r->tm, 1, t->name, -1, SQLITE_TRANSIENT);
}

static int tm_next(const struct rep *r, const struct rtarget *t, struct rmbox *x)
{
	sqlite3_stmt *m = r->tm;
	if (sqlite3_step(m) != SQLITE_ROW) {
		sqlite3_reset(m);
		return 0;
	}
	memset(x, 0, sizeof(*x));
	x->alias = (char *)col(m, 0);
	x->display_name = (char *)col(m, 1);
	x->source_address = (char *)col(m, 2);
	x->kind = (char *)col(m, 3);
	x->messages = sqlite3_column_int64(m, 4);
	x->bytes = sqlite3_column_int64(m, 5);
	x->delivered = sqlite3_column_int64(m, 6);
	x->failed = sqlite3_column_int64(m, 7);
	x->cal = sqlite3_column_int64(m, 8);
	x->done = sqlite3_column_int(m, 9) != 0;
	x->cal_total = sqlite3_column_int64(m, 10);
	if (!t->takes_messages)
		x->messages = x->delivered = x->failed = 0;
	if (!t->takes_calendar)
		x->cal = x->cal_total = 0;
	x->skipped = x->messages - x->delivered - x->failed;
	if (x->skipped < 0)
		x->skipped = 0;
	return 1;
}

static int rep_load(struct rep *r, sqlite3 *agg, struct mf_diag *d)
{
	sqlite3_stmt *s = NULL;
	int rc = MF_OK;

	memset(r, 0, sizeof(*r));
	{
		/* one pass over each table (at 100,000 mailboxes the joined
		 * database is larger than its page cache: a pass reads it all) */
		int64_t *const tot[] = { &r->mailboxes, &r->publics, &r->messages, &r->attachments,
					 &r->bytes, &r->calendar_items };
		int64_t *const pr[] = { &r->prob[MF_INFO], &r->prob[MF_WARNING], &r->prob[MF_ERROR] };
		q_ints(agg, "SELECT count(*), sum(kind = 'public'), sum(messages), sum(attachments), "
		       "sum(bytes), sum(calendar_items) FROM mbox", tot, 6);
		q_ints(agg, "SELECT sum(severity = 'info'), sum(severity = 'warning'), "
		       "sum(severity = 'error') FROM prob", pr, 3);
	}
	iso_time(r->generated, mf_now());
	if (sqlite3_prepare_v2(agg, SQL_TARGETS, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(agg, SQL_TMBOX, -1, &r->tm, NULL) != SQLITE_OK) {
		rc = agg_fail(agg, d, "building the report");
		goto out;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct rtarget *t;
		const char *colon;
		r->t = mf_xreallocarray(r->t, r->nt + 1, sizeof(*r->t));
		t = &r->t[r->nt++];
		memset(t, 0, sizeof(*t));
		t->name = dupcol(s, 0);
		if (!t->name)
			t->name = mf_xstrdup("");
		colon = strchr(t->name, ':');
		t->format = colon ? mf_xstrndup(t->name, (size_t)(colon - t->name)) : mf_xstrdup(t->name);
		t->options = dupcol(s, 1);
		{
			/* each target counts only the items its exporter takes (an
			 * exporter this build does not know: both kinds) */
			const struct mf_exporter *e = mf_exporter_find(t->format);
			t->takes_messages = !e || (e->caps & MF_EXP_MESSAGES);
			t->takes_calendar = !e || (e->caps & MF_EXP_CALENDAR);
		}
		{
			struct rmbox x;
			tm_start(r, t);
			while (tm_next(r, t, &x)) {
				t->n++;
				t->messages += x.messages;
				t->delivered += x.delivered;
				t->failed += x.failed;
				t->skipped += x.skipped;
				t->cal += x.cal;
				t->cal_total += x.cal_total;
				t->done += x.done;
				if (x.messages > t->max_messages)
					t->max_messages = x.messages;
				if (x.cal_total > t->max_cal)
					t->max_cal = x.cal_total;
			}
		}
	}
out:
	sqlite3_finalize(s);
	return rc;
}

static void rep_release(struct rep *r)
{
	for (size_t i = 0; i < r->nt; i++) {
		struct rtarget *t = &r->t[i];
		free(t->name);
		free(t->format);
		free(t->options);
	}
	free(r->t);
	sqlite3_finalize(r->tm);
	memset(r, 0, sizeof(*r));
}

static const char SQL_CODES[] =
	"SELECT severity, code, count(*) FROM prob GROUP BY severity, code "
	"ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code";
static const char SQL_EXAMPLES[] =
	"SELECT alias, file, offset, text FROM prob WHERE severity = ?1 AND code = ?2 "
	"ORDER BY file IS NULL, file, offset, text LIMIT 3";
static const char SQL_RUNS[] =
	"SELECT dbpath, id, kind, format, target, status, started_at, finished_at, items, bytes "
	"FROM run ORDER BY db, id";
static const char SQL_SOURCES[] =
	"SELECT format, path, postoffice, network, codepage, timezone, date_order, exported_at "
	"FROM src ORDER BY rowid";

/* ---- JSON ---- */

static void json_report(struct mf_buf *b, sqlite3 *agg, const struct rep *r,
			const char *const *dbs, size_t n)
{
	sqlite3_stmt *s, *e;

	mf_buf_addch(b, '{');
	mf_json_kv_str(b, "report", "mailferry", 1);
	mf_json_kv_int(b, "version", 1, 0);
	mf_json_kv_str(b, "generated_at", r->generated, 0);
	mf_json_key(b, "databases", 0);
	mf_buf_addch(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			mf_buf_addch(b, ',');
		mf_json_str(b, dbs[i]);
	}
	mf_buf_addch(b, ']');
	mf_json_key(b, "sources", 0);
	mf_buf_addch(b, '[');
	if (sqlite3_prepare_v2(agg, SQL_SOURCES, -1, &s, NULL) == SQLITE_OK) {
		int first = 1;
		while (sqlite3_step(s) == SQLITE_ROW) {
			if (!first)
				mf_buf_addch(b, ',');
			first = 0;
			mf_buf_addch(b, '{');
			mf_json_kv_str(b, "format", col(s, 0), 1);
			mf_json_kv_str(b, "path", col(s, 1), 0);
			mf_json_kv_str(b, "postoffice", col(s, 2), 0);
			mf_json_kv_str(b, "network", col(s, 3), 0);
			mf_json_kv_str(b, "codepage", col(s, 4), 0);
			mf_json_kv_str(b, "timezone", col(s, 5), 0);
			mf_json_kv_str(b, "date_order", col(s, 6), 0);
			mf_json_kv_str(b, "exported_at", col(s, 7), 0);
			mf_buf_addch(b, '}');
		}
		sqlite3_finalize(s);
	}
	mf_buf_addch(b, ']');
	mf_json_key(b, "staged", 0);
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "mailboxes", r->mailboxes, 1);
	mf_json_kv_int(b, "public", r->publics, 0);
	mf_json_kv_int(b, "messages", r->messages, 0);
	mf_json_kv_int(b, "attachments", r->attachments, 0);
	mf_json_kv_int(b, "bytes", r->bytes, 0);
	mf_json_kv_int(b, "calendar_items", r->calendar_items, 0);
	mf_buf_addch(b, '}');
	mf_json_key(b, "targets", 0);
	mf_buf_addch(b, '[');
	for (size_t i = 0; i < r->nt; i++) {
		const struct rtarget *t = &r->t[i];
		if (i)
			mf_buf_addch(b, ',');
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "target", t->name, 1);
		mf_json_kv_str(b, "format", t->format, 0);
		mf_json_key(b, "options", 0);
		mf_buf_addstr(b, t->options ? t->options : "null");
		mf_json_key(b, "totals", 0);
		mf_buf_addch(b, '{');
		mf_json_kv_int(b, "mailboxes", (int64_t)t->n, 1);
		mf_json_kv_int(b, "mailboxes_done", t->done, 0);
		mf_json_kv_int(b, "messages", t->messages, 0);
		mf_json_kv_int(b, "delivered", t->delivered, 0);
		mf_json_kv_int(b, "failed", t->failed, 0);
		mf_json_kv_int(b, "skipped", t->skipped, 0);
		mf_json_kv_int(b, "calendar_delivered", t->cal, 0);
		mf_buf_addch(b, '}');
		mf_json_key(b, "mailboxes", 0);
		mf_buf_addch(b, '[');
		struct rmbox xm;
		const struct rmbox *x = &xm;
		tm_start(r, t);
		for (size_t j = 0; tm_next(r, t, &xm); j++) {
			if (j)
				mf_buf_addch(b, ',');
			mf_buf_addch(b, '{');
			mf_json_kv_str(b, "alias", x->alias, 1);
			mf_json_kv_str(b, "display_name", x->display_name, 0);
			mf_json_kv_str(b, "source_address", x->source_address, 0);
			mf_json_kv_str(b, "kind", x->kind, 0);
			mf_json_kv_int(b, "messages", x->messages, 0);
			mf_json_kv_int(b, "delivered", x->delivered, 0);
			mf_json_kv_int(b, "failed", x->failed, 0);
			mf_json_kv_int(b, "skipped", x->skipped, 0);
			mf_json_kv_int(b, "calendar_items", x->cal_total, 0);
			mf_json_kv_int(b, "calendar_delivered", x->cal, 0);
			mf_json_key(b, "done", 0);
			mf_buf_addstr(b, x->done ? "true" : "false");
			mf_buf_addch(b, '}');
			sink_flush(b);
		}
		mf_buf_addstr(b, "]}");
	}
	mf_buf_addch(b, ']');
	mf_json_key(b, "problems", 0);
	mf_buf_addch(b, '{');
	mf_json_kv_int(b, "error", r->prob[MF_ERROR], 1);
	mf_json_kv_int(b, "warning", r->prob[MF_WARNING], 0);
	mf_json_kv_int(b, "info", r->prob[MF_INFO], 0);
	mf_json_key(b, "codes", 0);
	mf_buf_addch(b, '[');
	if (sqlite3_prepare_v2(agg, SQL_CODES, -1, &s, NULL) == SQLITE_OK) {
		int first = 1;
		if (sqlite3_prepare_v2(agg, SQL_EXAMPLES, -1, &e, NULL) != SQLITE_OK)
			e = NULL;
		while (sqlite3_step(s) == SQLITE_ROW) {
			int fe = 1;
			if (!first)
				mf_buf_addch(b, ',');
			first = 0;
			mf_buf_addch(b, '{');
			mf_json_kv_str(b, "severity", col(s, 0), 1);
			mf_json_kv_str(b, "code", col(s, 1), 0);
			mf_json_kv_int(b, "count", sqlite3_column_int64(s, 2), 0);
			mf_json_key(b, "examples", 0);
			mf_buf_addch(b, '[');
			if (e) {
				sqlite3_bind_value(e, 1, sqlite3_column_value(s, 0));
				sqlite3_bind_value(e, 2, sqlite3_column_value(s, 1));
				while (sqlite3_step(e) == SQLITE_ROW) {
					if (!fe)
						mf_buf_addch(b, ',');
					fe = 0;
					mf_buf_addch(b, '{');
					mf_json_kv_str(b, "alias", col(e, 0), 1);
					mf_json_kv_str(b, "file", col(e, 1), 0);
					mf_json_key(b, "offset", 0);
					if (sqlite3_column_type(e, 2) == SQLITE_NULL)
						mf_buf_addstr(b, "null");
					else
						mf_buf_addf(b, "%lld", (long long)sqlite3_column_int64(e, 2));
					mf_json_kv_str(b, "text", col(e, 3), 0);
					mf_buf_addch(b, '}');
				}
				sqlite3_reset(e);
			}
			mf_buf_addstr(b, "]}");
		}
		sqlite3_finalize(e);
		sqlite3_finalize(s);
	}
	mf_buf_addstr(b, "]}");
	mf_json_key(b, "runs", 0);
	mf_buf_addch(b, '[');
	if (sqlite3_prepare_v2(agg, SQL_RUNS, -1, &s, NULL) == SQLITE_OK) {
		int first = 1;
		while (sqlite3_step(s) == SQLITE_ROW) {
			int64_t st = sqlite3_column_int64(s, 6), fin = sqlite3_column_int64(s, 7);
			char tn[1024];
			snprintf(tn, sizeof(tn), "%s", col(s, 4) ? col(s, 4) : "");
			cut_instance(tn);
			if (!first)
				mf_buf_addch(b, ',');
			first = 0;
			mf_buf_addch(b, '{');
			mf_json_kv_str(b, "database", col(s, 0), 1);
			mf_json_kv_int(b, "id", sqlite3_column_int64(s, 1), 0);
			mf_json_kv_str(b, "kind", col(s, 2), 0);
			mf_json_kv_str(b, "format", col(s, 3), 0);
			mf_json_kv_str(b, "target", col(s, 4) ? tn : NULL, 0);
			mf_json_kv_str(b, "status", col(s, 5), 0);
			mf_json_kv_int(b, "started_at", st, 0);
			mf_json_key(b, "finished_at", 0);
			if (sqlite3_column_type(s, 7) == SQLITE_NULL)
				mf_buf_addstr(b, "null");
			else
				mf_buf_addf(b, "%lld", (long long)fin);
			mf_json_key(b, "seconds", 0);
			if (sqlite3_column_type(s, 7) == SQLITE_NULL)
				mf_buf_addstr(b, "null");
			else
				mf_buf_addf(b, "%lld", (long long)(fin - st));
			mf_json_key(b, "items", 0);
			if (sqlite3_column_type(s, 8) == SQLITE_NULL)
				mf_buf_addstr(b, "null");
			else
				mf_buf_addf(b, "%lld", (long long)sqlite3_column_int64(s, 8));
			mf_json_key(b, "bytes", 0);
			if (sqlite3_column_type(s, 9) == SQLITE_NULL)
				mf_buf_addstr(b, "null");
			else
				mf_buf_addf(b, "%lld", (long long)sqlite3_column_int64(s, 9));
			mf_buf_addch(b, '}');
		}
		sqlite3_finalize(s);
	}
	mf_buf_addstr(b, "]}");
}

/* ---- HTML ---- */

static const char CSS[] =
	"body{font:14px/1.45 \"DejaVu Sans\",\"Segoe UI\",Arial,sans-serif;margin:0;"
	"background:#f3f4f6;color:#1f2933}"
	"header{background:#16324f;color:#fff;padding:18px 32px}"
	"header h1{margin:0;font-size:22px;font-weight:600}"
	"header p{margin:4px 0 0;color:#c9d6e3}"
	"main{padding:20px 32px;max-width:1180px}"
	"section{background:#fff;border:1px solid #d9dee4;border-radius:6px;padding:14px 20px;"
	"margin:0 0 18px}"
	"h2{font-size:17px;margin:0 0 10px}h3{font-size:15px;margin:14px 0 8px}"
	".cards{display:flex;flex-wrap:wrap;gap:10px}"
	".card{flex:1 1 120px;border:1px solid #d9dee4;border-radius:6px;padding:8px 12px;"
	"background:#f8fafc}"
	".card b{display:block;font-size:22px}.card span{color:#52606d;font-size:12px}"
	".ok b{color:#2e7d32}.bad b{color:#c62828}.skip b{color:#6b7785}"
	"table{border-collapse:collapse;width:100%;margin:4px 0}"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e8ebef;vertical-align:top}"
	"th{font-weight:600;background:#f5f7f9}td.n,th.n{text-align:right;white-space:nowrap}"
	".error{color:#b42318;font-weight:600}.warning{color:#a15c07}.info{color:#52606d}"
	".legend i{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;"
	"vertical-align:-1px;border-radius:2px}"
	"code{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:12px}"
	".muted{color:#6b7785}svg text{font-family:\"DejaVu Sans\",Arial,sans-serif}";

#define C_DEL "#2e7d32"
#define C_FAIL "#c62828"
#define C_SKIP "#b8c0ca"

static void card(struct mf_buf *b, const char *cls, const char *label, int64_t v)
{
	mf_buf_addf(b, "<div class=\"card %s\"><b>%lld</b><span>%s</span></div>", cls,
		    (long long)v, label);
}

/* The options JSON of a run as "key value" pairs, leaving out what is
 * unset (null, 0, false). */
static void options_html(struct mf_buf *b, sqlite3 *agg, const char *json)
{
	sqlite3_stmt *s;
	int any = 0;

	if (json && sqlite3_prepare_v2(agg, "SELECT key, value FROM json_each(?1) WHERE value IS NOT NULL "
				       "AND value NOT IN (0, '') ORDER BY id", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, json, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(s) == SQLITE_ROW) {
			mf_buf_addstr(b, any ? ", " : "");
			html_esc(b, col(s, 0));
			mf_buf_addstr(b, " <code>");
			html_esc(b, col(s, 1));
			mf_buf_addstr(b, "</code>");
			any = 1;
		}
		sqlite3_finalize(s);
	}
	if (!any)
		mf_buf_addstr(b, "-");
}

/* One bar for all of a target's items of one kind: delivered, failed,
 * skipped (parts[0..2]), and the share delivered. */
static void html_total_bar(struct mf_buf *b, const char *title, const char *none,
			   const int64_t parts[3], const char *const names[3])
{
	const int label_w = 200, bar_w = 640;
	const char *colors[3] = { C_DEL, C_FAIL, C_SKIP };
	double tot = (double)(parts[0] + parts[1] + parts[2]);

	mf_buf_addf(b, "<h3>%s</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		    "height=\"26\" role=\"img\" aria-label=\"%s, %s, %s\">", title,
		    label_w + bar_w + 120, names[0], names[1], names[2]);
	if (tot <= 0) {
		mf_buf_addf(b, "<rect x=\"0\" y=\"3\" width=\"%d\" height=\"20\" fill=\"none\" "
			    "stroke=\"#c5ccd3\"/><text x=\"8\" y=\"18\" font-size=\"12\" "
			    "fill=\"#6b7785\">%s</text>", label_w + bar_w, none);
	} else {
		double x = 0, w;
		for (int i = 0; i < 3; i++) {
			w = (double)parts[i] / tot * (label_w + bar_w);
			if (parts[i] > 0)
				mf_buf_addf(b, "<rect x=\"%.1f\" y=\"3\" width=\"%.1f\" height=\"20\" "
					    "fill=\"%s\"><title>%s: %lld</title></rect>", x, w, colors[i],
					    names[i], (long long)parts[i]);
			x += w;
		}
		mf_buf_addf(b, "<text x=\"%d\" y=\"18\" font-size=\"12\" fill=\"#1f2933\">%.1f%% "
			    "delivered</text>", label_w + bar_w + 8, 100.0 * (double)parts[0] / tot);
	}
	mf_buf_addstr(b, "</svg>");
}

/* A bar per mailbox: its messages (calendar = 0) or its calendar items. */
static void html_mailbox_bars(struct mf_buf *b, const struct rep *r, const struct rtarget *t,
			      int calendar)
{
	const int label_w = 200, bar_w = 640, row_h = 22;
	const char *colors[3] = { C_DEL, C_FAIL, C_SKIP };
	const char *names[3] = { "delivered", "failed", calendar ? "not delivered" : "skipped" };
	int64_t max = calendar ? t->max_cal : t->max_messages;
	struct rmbox xm;
	const struct rmbox *x = &xm;
	int h;

	if (max < 1)
		max = 1;
	h = (int)t->n * row_h + 8;
	if (calendar)
		mf_buf_addf(b, "<h3>Mailboxes: calendar items</h3><p class=\"legend\"><i style=\""
			    "background:%s\"></i>delivered<i style=\"background:%s\"></i>not delivered "
			    "(outside the selection, failed, or not reached yet)</p>", C_DEL, C_SKIP);
	else
		mf_buf_addf(b, "<h3>Mailboxes</h3><p class=\"legend\"><i style=\"background:%s\"></i>"
			    "delivered<i style=\"background:%s\"></i>failed<i style=\"background:%s\">"
			    "</i>skipped (outside the selection, or not reached yet)</p>", C_DEL, C_FAIL,
			    C_SKIP);
	mf_buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "role=\"img\" aria-label=\"%s per mailbox\">", label_w + bar_w + 230, h,
		    calendar ? "calendar items" : "messages");
	tm_start(r, t);
	for (size_t i = 0; tm_next(r, t, &xm); i++) {
		int y = (int)i * row_h + 4;
		double px = label_w;
		int64_t parts[3] = { x->delivered, x->failed, x->skipped };
		int64_t total = x->messages;
		if (calendar) {
			parts[0] = x->cal;
			parts[1] = 0;
			parts[2] = x->cal_total > x->cal ? x->cal_total - x->cal : 0;
			total = x->cal_total;
		}
		mf_buf_addf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\" "
			    "fill=\"#1f2933\">", label_w - 8, y + 14);
		html_esc(b, x->alias ? x->alias : x->display_name ? x->display_name : "(no alias)");
		mf_buf_addstr(b, "<title>");
		html_esc(b, x->display_name);
		mf_buf_addstr(b, " &lt;");
		html_esc(b, x->source_address);
		mf_buf_addstr(b, "&gt;</title></text>");
		if (total == 0)
			mf_buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"2\" height=\"16\" fill=\"#c5ccd3\"/>",
				    label_w, y + 2);
		for (int k = 0; k < 3; k++) {
			double w = (double)parts[k] / (double)max * bar_w;
			if (parts[k] <= 0)
				continue;
			mf_buf_addf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\">"
				    "<title>%s: %lld</title></rect>", px, y + 2, w, colors[k], names[k],
				    (long long)parts[k]);
			px += w;
		}
		if (calendar)
			mf_buf_addf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#52606d\">%lld of "
				    "%lld calendar items delivered%s</text>", label_w + bar_w + 10, y + 14,
				    (long long)parts[0], (long long)total, x->done ? "" : " (not completed)");
		else
			mf_buf_addf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#52606d\">%lld "
				    "delivered, %lld failed, %lld skipped%s</text>", label_w + bar_w + 10,
				    y + 14, (long long)x->delivered, (long long)x->failed,
				    (long long)x->skipped, x->done ? "" : " (not completed)");
		sink_flush(b);
	}
	mf_buf_addstr(b, "</svg>");
}

/* A target shows only the kinds of items its exporter takes: an iCalendar
 * target has no messages to deliver or skip, a Maildir no calendar. */
static void html_target(struct mf_buf *b, const struct rep *r, const struct rtarget *t,
			sqlite3 *agg)
{
	mf_buf_addstr(b, "<section><h2>Target: <code>");
	html_esc(b, t->name);
	mf_buf_addstr(b, "</code></h2><table><tr><th>exporter</th><td>");
	html_esc(b, t->format);
	mf_buf_addstr(b, "</td></tr><tr><th>takes</th><td>");
	mf_buf_addstr(b, t->takes_messages && t->takes_calendar ? "messages and calendar items"
		      : t->takes_messages ? "messages" : t->takes_calendar ? "calendar items"
		      : "mailboxes only");
	mf_buf_addstr(b, "</td></tr><tr><th>options of the last run</th><td>");
	options_html(b, agg, t->options);
	mf_buf_addstr(b, "</td></tr></table><div class=\"cards\">");
	card(b, "", "mailboxes", (int64_t)t->n);
	card(b, "ok", "mailboxes completed", t->done);
	if (t->takes_messages) {
		card(b, "ok", "messages delivered", t->delivered);
		card(b, "bad", "messages failed", t->failed);
		card(b, "skip", "messages skipped", t->skipped);
	}
	if (t->takes_calendar) {
		card(b, "ok", "calendar items delivered", t->cal);
		card(b, "skip", "calendar items not delivered",
		     t->cal_total > t->cal ? t->cal_total - t->cal : 0);
	}
	mf_buf_addstr(b, "</div>");

	if (t->takes_messages) {
		const int64_t parts[3] = { t->delivered, t->failed, t->skipped };
		const char *const names[3] = { "delivered", "failed", "skipped" };
		html_total_bar(b, "All messages", "no messages", parts, names);
	}
	if (t->takes_calendar) {
		const int64_t parts[3] = { t->cal, 0, t->cal_total > t->cal ? t->cal_total - t->cal : 0 };
		const char *const names[3] = { "delivered", "failed", "not delivered" };
		html_total_bar(b, "All calendar items", "no calendar items", parts, names);
	}
	if (t->takes_messages)
		html_mailbox_bars(b, r, t, 0);
	else if (t->takes_calendar)
		html_mailbox_bars(b, r, t, 1);
	mf_buf_addstr(b, "</section>");
}

static void html_report(struct mf_buf *b, sqlite3 *agg, const struct rep *r,
			const char *const *dbs, size_t n)
{
	sqlite3_stmt *s, *e;
	char t1[32], t2[32];
	int64_t del = 0, fail = 0, skip = 0;

	for (size_t i = 0; i < r->nt; i++) {
		del += r->t[i].delivered;
		fail += r->t[i].failed;
		skip += r->t[i].skipped;
	}
	mf_buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		      "<title>mailferry migration report</title><style>");
	mf_buf_addstr(b, CSS);
	mf_buf_addstr(b, "</style></head><body><header><h1>mailferry migration report</h1><p>");
	mf_buf_addf(b, "generated %s by mailferry %s from ", r->generated, MF_VERSION);
	for (size_t i = 0; i < n; i++) {
		if (i)
			mf_buf_addstr(b, ", ");
		mf_buf_addstr(b, "<code>");
		html_esc(b, dbs[i]);
		mf_buf_addstr(b, "</code>");
	}
	mf_buf_addstr(b, "</p></header><main>");

	mf_buf_addstr(b, "<section><h2>Totals</h2><div class=\"cards\">");
	card(b, "", "mailboxes staged", r->mailboxes);
	card(b, "", "messages staged", r->messages);
	card(b, "ok", r->nt > 1 ? "messages delivered (all targets)" : "messages delivered", del);
	card(b, "bad", r->nt > 1 ? "messages failed (all targets)" : "messages failed", fail);
	card(b, "skip", r->nt > 1 ? "messages skipped (all targets)" : "messages skipped", skip);
	card(b, "bad", "error problems", r->prob[MF_ERROR]);
	card(b, "", "warnings", r->prob[MF_WARNING]);
	human_bytes(t1, r->bytes);
	mf_buf_addf(b, "</div><p class=\"muted\">%lld public folders among the mailboxes; %lld "
		    "attachments, %lld calendar items, %s of bodies and attachments staged; %zu "
		    "target%s.</p></section>", (long long)r->publics, (long long)r->attachments,
		    (long long)r->calendar_items, t1, r->nt, r->nt == 1 ? "" : "s");

	if (!r->nt)
		mf_buf_addstr(b, "<section><h2>Targets</h2><p>Nothing has been exported yet.</p></section>");
	for (size_t i = 0; i < r->nt; i++)
		html_target(b, r, &r->t[i], agg);

	mf_buf_addf(b, "<section><h2>Problems by code</h2><p><span class=\"error\">%lld errors</span>, "
		    "<span class=\"warning\">%lld warnings</span>, <span class=\"info\">%lld info</span>"
		    " (codes: docs/problems.md)</p><table><tr><th>severity</th><th>code</th>"
		    "<th class=\"n\">count</th><th>examples</th></tr>", (long long)r->prob[MF_ERROR],
		    (long long)r->prob[MF_WARNING], (long long)r->prob[MF_INFO]);
	if (sqlite3_prepare_v2(agg, SQL_CODES, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_prepare_v2(agg, SQL_EXAMPLES, -1, &e, NULL) != SQLITE_OK)
			e = NULL;
		while (sqlite3_step(s) == SQLITE_ROW) {
			mf_buf_addstr(b, "<tr><td class=\"");
			html_esc(b, col(s, 0));
			mf_buf_addstr(b, "\">");
			html_esc(b, col(s, 0));
			mf_buf_addstr(b, "</td><td><code>");
			html_esc(b, col(s, 1));
			mf_buf_addf(b, "</code></td><td class=\"n\">%lld</td><td>",
				    (long long)sqlite3_column_int64(s, 2));
			if (e) {
				sqlite3_bind_value(e, 1, sqlite3_column_value(s, 0));
				sqlite3_bind_value(e, 2, sqlite3_column_value(s, 1));
				while (sqlite3_step(e) == SQLITE_ROW) {
					mf_buf_addstr(b, "<div>");
					if (col(e, 0)) {
						mf_buf_addstr(b, "<b>");
						html_esc(b, col(e, 0));
						mf_buf_addstr(b, "</b>: ");
					}
					html_esc(b, col(e, 3));
					if (col(e, 1)) {
						mf_buf_addstr(b, " <span class=\"muted\">(");
						html_esc(b, col(e, 1));
						if (sqlite3_column_type(e, 2) != SQLITE_NULL &&
						    sqlite3_column_int64(e, 2) >= 0)
							mf_buf_addf(b, ", offset %lld",
								    (long long)sqlite3_column_int64(e, 2));
						mf_buf_addstr(b, ")</span>");
					}
					mf_buf_addstr(b, "</div>");
				}
				sqlite3_reset(e);
			}
			mf_buf_addstr(b, "</td></tr>");
		}
		sqlite3_finalize(e);
		sqlite3_finalize(s);
	}
	mf_buf_addstr(b, "</table></section>");

	mf_buf_addstr(b, "<section><h2>Sources</h2><table><tr><th>importer</th><th>path</th>"
		      "<th>post office</th><th>network</th><th>code page</th><th>time zone</th>"
		      "<th>date order</th><th>exported</th></tr>");
	if (sqlite3_prepare_v2(agg, SQL_SOURCES, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			mf_buf_addstr(b, "<tr>");
			for (int c = 0; c < 8; c++) {
				mf_buf_addstr(b, c == 1 ? "<td><code>" : "<td>");
				html_esc(b, col(s, c) ? col(s, c) : "-");
				mf_buf_addstr(b, c == 1 ? "</code></td>" : "</td>");
			}
			mf_buf_addstr(b, "</tr>");
		}
		sqlite3_finalize(s);
	}
	mf_buf_addstr(b, "</table></section>");

	/* timings: a table and a bar per run */
	{
		int64_t maxs = 1, nruns = 0;
		const int bar_w = 420;
		struct mf_buf svg;
		mf_buf_init(&svg, MF_BUF_UNBOUNDED);
		mf_buf_addstr(b, "<section><h2>Timings</h2><table><tr><th>database</th>"
			      "<th class=\"n\">run</th><th>kind</th><th>format</th><th>target</th>"
			      "<th>status</th><th>started</th><th class=\"n\">duration</th>"
			      "<th class=\"n\">items</th><th class=\"n\">rate</th></tr>");
		if (sqlite3_prepare_v2(agg, "SELECT max(finished_at - started_at) FROM run", -1, &s,
				       NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) > 1)
				maxs = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		if (sqlite3_prepare_v2(agg, SQL_RUNS, -1, &s, NULL) == SQLITE_OK) {
			while (sqlite3_step(s) == SQLITE_ROW) {
				int64_t st = sqlite3_column_int64(s, 6), fin = sqlite3_column_int64(s, 7);
				int finished = sqlite3_column_type(s, 7) != SQLITE_NULL;
				int64_t secs = finished ? fin - st : -1;
				char tn[1024], dur[32], rate[48] = "-";
				snprintf(tn, sizeof(tn), "%s", col(s, 4) ? col(s, 4) : "-");
				cut_instance(tn);
				iso_time(t2, st);
				human_secs(dur, secs);
				if (sqlite3_column_type(s, 8) != SQLITE_NULL && secs >= 0) {
					int64_t items = sqlite3_column_int64(s, 8);
					snprintf(rate, sizeof(rate), "%.1f/s",
						 (double)items / (double)(secs > 0 ? secs : 1));
				}
				mf_buf_addstr(b, "<tr><td><code>");
				html_esc(b, col(s, 0));
				mf_buf_addf(b, "</code></td><td class=\"n\">%lld</td><td>",
					    (long long)sqlite3_column_int64(s, 1));
				html_esc(b, col(s, 2));
				mf_buf_addstr(b, "</td><td>");
				html_esc(b, col(s, 3) ? col(s, 3) : "-");
				mf_buf_addstr(b, "</td><td><code>");
				html_esc(b, tn);
				mf_buf_addstr(b, "</code></td><td>");
				html_esc(b, col(s, 5));
				mf_buf_addf(b, "</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">", t2, dur);
				if (sqlite3_column_type(s, 8) != SQLITE_NULL)
					mf_buf_addf(b, "%lld", (long long)sqlite3_column_int64(s, 8));
				else
					mf_buf_addstr(b, "-");
				mf_buf_addf(b, "</td><td class=\"n\">%s</td></tr>", rate);
				{
					int y = (int)nruns * 20 + 4;
					double w = secs > 0 ? (double)secs / (double)maxs * bar_w : 1.0;
					mf_buf_addf(&svg, "<text x=\"150\" y=\"%d\" font-size=\"11\" "
						    "text-anchor=\"end\" fill=\"#1f2933\">run %lld ", y + 12,
						    (long long)sqlite3_column_int64(s, 1));
					html_esc(&svg, col(s, 2));
					mf_buf_addf(&svg, "</text><rect x=\"158\" y=\"%d\" width=\"%.1f\" "
						    "height=\"14\" fill=\"#3b6ea5\"/><text x=\"%.1f\" y=\"%d\" "
						    "font-size=\"11\" fill=\"#52606d\">%s</text>", y + 1, w,
						    164 + w, y + 12, dur);
				}
				nruns++;
			}
			sqlite3_finalize(s);
		}
		mf_buf_addstr(b, "</table>");
		if (nruns)
			mf_buf_addf(b, "<h3>Duration of each run</h3><svg xmlns=\"http://www.w3.org/2000/svg\" "
				    "width=\"%d\" height=\"%lld\" role=\"img\" aria-label=\"run durations\">"
				    "%s</svg>", 158 + bar_w + 80, (long long)nruns * 20 + 8, svg.data);
		mf_buf_addstr(b, "</section>");
		mf_buf_release(&svg);
	}
	mf_buf_addstr(b, "</main></body></html>\n");
}

int cli_report_write(const char *const *dbs, size_t n, const char *html, const char *json,
		     struct mf_buf *json_out, struct mf_diag *diag)
{
	sqlite3 *agg = NULL;
	struct rep r;
	int rc = MF_OK;
	char aggpath[4096] = "";

	memset(&r, 0, sizeof(r));
	/* a private file of its own under TMPDIR, removed when done (SQLite's
	 * own temporary databases keep a whole transaction's pages in memory) */
	{
		const char *tmp = getenv("TMPDIR");
		int fd;
		snprintf(aggpath, sizeof(aggpath), "%s/mailferry-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if ((fd = mkstemp(aggpath)) < 0) {
			aggpath[0] = '\0';
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "report: no temporary file: %s",
					 strerror(errno));
			goto out;
		}
		close(fd);
	}
	if (sqlite3_open_v2(aggpath, &agg, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = mf_diag_set(diag, MF_ESTORE, aggpath, MF_NO_OFFSET, "report: no temporary database");
		goto out;
	}
	if (sqlite3_exec(agg, "PRAGMA cache_size = -4096; PRAGMA temp_store = FILE;"
			 "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(agg, AGG_SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
		rc = agg_fail(agg, diag, "schema");
		goto out;
	}
	sqlite3_exec(agg, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		if ((rc = add_db(agg, (int)i, dbs[i], diag)) < 0)
			goto out;
	sqlite3_exec(agg, "COMMIT", NULL, NULL, NULL);
	if ((rc = rep_load(&r, agg, diag)) < 0)
		goto out;
	if (json && !strcmp(json, "-")) {
		struct sink k;
		memset(&k, 0, sizeof(k));
		mf_buf_init(&k.b, MF_BUF_UNBOUNDED);
		json_report(&k.b, agg, &r, dbs, n);
		mf_buf_addch(&k.b, '\n');
		mf_buf_add(json_out, k.b.data, k.b.len);
		mf_buf_release(&k.b);
	} else if (json) {
		struct sink k;
		char tmp[4200];
		if ((rc = sink_open(&k, tmp, sizeof(tmp), json, diag)) < 0)
			goto out;
		json_report(&k.b, agg, &r, dbs, n);
		mf_buf_addch(&k.b, '\n');
		if ((rc = sink_close(&k, tmp, json, 1, diag)) < 0)
			goto out;
	}
	if (html) {
		struct sink k;
		char tmp[4200];
		if ((rc = sink_open(&k, tmp, sizeof(tmp), html, diag)) < 0)
			goto out;
		html_report(&k.b, agg, &r, dbs, n);
		rc = sink_close(&k, tmp, html, 1, diag);
	}
out:
	rep_release(&r);
	if (agg)
		sqlite3_close(agg);
	if (aggpath[0])
		unlink(aggpath);
	return rc;
}
