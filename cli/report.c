/* SPDX-License-Identifier: MIT */
/*
 * report.c: the migration report (see report.h).  Every database is read
 * once into a joined database (core/store_report.c applies the join rules
 * of report.h while copying, and holds all the report's SQL); the JSON and
 * the HTML page are then written from that one place, so a single database
 * and a merge give the same shape.  This file only formats.
 */
#include "cli/report.h"
#include "core/charset.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/store_report.h"
#include "core/version.h"
#include "engine/exporter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_target_display(char *target)
{
	mf_report_target_cut(target);
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
	const char *alias, *display_name, *source_address, *kind;
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
	struct mf_report_db *db;              /* the joined database */
	int64_t mailboxes, publics, messages, attachments, bytes, calendar_items;
	int64_t prob[3];
	char generated[32];
};

/* A pass over target t's mailboxes: row is called with each (its strings
 * live until it returns) and its place i.  The report holds one mailbox at
 * a time, whatever the number of mailboxes. */
struct mbox_pass {
	const struct rtarget *t;
	void (*row)(void *ctx, const struct rmbox *x, size_t i);
	void *ctx;
	size_t i;
};

static int mbox_row(void *ctx, const struct mf_report_mbox *m)
{
	struct mbox_pass *p = ctx;
	struct rmbox x;
	memset(&x, 0, sizeof(x));
	x.alias = m->alias;
	x.display_name = m->display_name;
	x.source_address = m->source_address;
	x.kind = m->kind;
	x.messages = m->messages;
	x.bytes = m->bytes;
	x.delivered = m->delivered;
	x.failed = m->failed;
	x.cal = m->cal;
	x.done = m->done;
	x.cal_total = m->calendar_items;
	if (!p->t->takes_messages)
		x.messages = x.delivered = x.failed = 0;
	if (!p->t->takes_calendar)
		x.cal = x.cal_total = 0;
	x.skipped = x.messages - x.delivered - x.failed;
	if (x.skipped < 0)
		x.skipped = 0;
	p->row(p->ctx, &x, p->i++);
	return MF_OK;
}

static int each_mbox(const struct rep *r, const struct rtarget *t,
		     void (*row)(void *ctx, const struct rmbox *x, size_t i), void *ctx,
		     struct mf_diag *d)
{
	struct mbox_pass p = { t, row, ctx, 0 };
	return mf_report_db_mailboxes_each(r->db, t->name, mbox_row, &p, d);
}

static void sum_mbox(void *ctx, const struct rmbox *x, size_t i)
{
	struct rtarget *t = ctx;
	(void)i;
	t->n++;
	t->messages += x->messages;
	t->delivered += x->delivered;
	t->failed += x->failed;
	t->skipped += x->skipped;
	t->cal += x->cal;
	t->cal_total += x->cal_total;
	t->done += x->done;
	if (x->messages > t->max_messages)
		t->max_messages = x->messages;
	if (x->cal_total > t->max_cal)
		t->max_cal = x->cal_total;
}

struct load_ctx {
	struct rep *r;
	struct mf_diag *d;
};

static int add_target(void *ctx, const char *name, const char *options)
{
	struct load_ctx *c = ctx;
	struct rep *r = c->r;
	struct rtarget *t;
	const char *colon;
	r->t = mf_xreallocarray(r->t, r->nt + 1, sizeof(*r->t));
	t = &r->t[r->nt++];
	memset(t, 0, sizeof(*t));
	t->name = mf_xstrdup(name ? name : "");
	colon = strchr(t->name, ':');
	t->format = colon ? mf_xstrndup(t->name, (size_t)(colon - t->name)) : mf_xstrdup(t->name);
	t->options = options ? mf_xstrdup(options) : NULL;
	{
		/* each target counts only the items its exporter takes (an
		 * exporter this build does not know: both kinds) */
		const struct mf_exporter *e = mf_exporter_find(t->format);
		t->takes_messages = !e || (e->caps & MF_EXP_MESSAGES);
		t->takes_calendar = !e || (e->caps & MF_EXP_CALENDAR);
	}
	return each_mbox(r, t, sum_mbox, t, c->d);
}

static int rep_load(struct rep *r, struct mf_report_db *db, struct mf_diag *d)
{
	struct mf_report_totals tot;
	struct load_ctx c = { r, d };

	memset(r, 0, sizeof(*r));
	r->db = db;
	mf_report_db_totals(db, &tot);
	r->mailboxes = tot.mailboxes;
	r->publics = tot.publics;
	r->messages = tot.messages;
	r->attachments = tot.attachments;
	r->bytes = tot.bytes;
	r->calendar_items = tot.calendar_items;
	memcpy(r->prob, tot.prob, sizeof(r->prob));
	iso_time(r->generated, mf_now());
	return mf_report_db_targets_each(db, add_target, &c, d);
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
	memset(r, 0, sizeof(*r));
}

/* ---- JSON ---- */

/* The writers' context: the buffer, and whether a list has had an item. */
struct out {
	struct mf_buf *b;
	const struct rep *r;
	int first;
};

/* Begin the next object of o's list (a comma before all but the first). */
static struct mf_buf *obj_open(struct out *o)
{
	if (!o->first)
		mf_buf_addch(o->b, ',');
	o->first = 0;
	mf_buf_addch(o->b, '{');
	return o->b;
}

/* Write v, or null when absent. */
static void json_opt_int(struct mf_buf *b, const char *key, int has, int64_t v)
{
	mf_json_key(b, key, 0);
	if (!has)
		mf_buf_addstr(b, "null");
	else
		mf_buf_addf(b, "%lld", (long long)v);
}

static int json_source(void *ctx, const char *const v[MF_REPORT_SOURCE_COLS])
{
	struct out *o = ctx;
	struct mf_buf *b = obj_open(o);
	mf_json_kv_str(b, "format", v[0], 1);
	mf_json_kv_str(b, "path", v[1], 0);
	mf_json_kv_str(b, "postoffice", v[2], 0);
	mf_json_kv_str(b, "network", v[3], 0);
	mf_json_kv_str(b, "codepage", v[4], 0);
	mf_json_kv_str(b, "timezone", v[5], 0);
	mf_json_kv_str(b, "date_order", v[6], 0);
	mf_json_kv_str(b, "exported_at", v[7], 0);
	mf_buf_addch(b, '}');
	return MF_OK;
}

static void json_mbox(void *ctx, const struct rmbox *x, size_t j)
{
	struct mf_buf *b = ctx;
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

static int json_example(void *ctx, const struct mf_report_example *e)
{
	struct out *o = ctx;
	struct mf_buf *b = obj_open(o);
	mf_json_kv_str(b, "alias", e->alias, 1);
	mf_json_kv_str(b, "file", e->file, 0);
	json_opt_int(b, "offset", e->has_offset, e->offset);
	mf_json_kv_str(b, "text", e->text, 0);
	mf_buf_addch(b, '}');
	return MF_OK;
}

static int json_code(void *ctx, const char *severity, const char *code, int64_t count)
{
	struct out *o = ctx;
	struct mf_buf *b = obj_open(o);
	struct out e = { b, o->r, 1 };
	mf_json_kv_str(b, "severity", severity, 1);
	mf_json_kv_str(b, "code", code, 0);
	mf_json_kv_int(b, "count", count, 0);
	mf_json_key(b, "examples", 0);
	mf_buf_addch(b, '[');
	(void)mf_report_db_examples_each(o->r->db, severity, code, json_example, &e, NULL);
	mf_buf_addstr(b, "]}");
	return MF_OK;
}

static int json_run(void *ctx, const struct mf_report_run *x)
{
	struct out *o = ctx;
	struct mf_buf *b = obj_open(o);
	char tn[1024];
	snprintf(tn, sizeof(tn), "%s", x->target ? x->target : "");
	mf_report_target_cut(tn);
	mf_json_kv_str(b, "database", x->database, 1);
	mf_json_kv_int(b, "id", x->id, 0);
	mf_json_kv_str(b, "kind", x->kind, 0);
	mf_json_kv_str(b, "format", x->format, 0);
	mf_json_kv_str(b, "target", x->target ? tn : NULL, 0);
	mf_json_kv_str(b, "status", x->status, 0);
	mf_json_kv_int(b, "started_at", x->started_at, 0);
	json_opt_int(b, "finished_at", x->has_finished, x->finished_at);
	json_opt_int(b, "seconds", x->has_finished, x->finished_at - x->started_at);
	json_opt_int(b, "items", x->has_items, x->items);
	json_opt_int(b, "bytes", x->has_bytes, x->bytes);
	mf_buf_addch(b, '}');
	return MF_OK;
}

static void json_report(struct mf_buf *b, const struct rep *r, const char *const *dbs, size_t n)
{
	struct out o = { b, r, 1 };

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
	(void)mf_report_db_sources_each(r->db, json_source, &o, NULL);
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
		(void)each_mbox(r, t, json_mbox, b, NULL);
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
	o.first = 1;
	(void)mf_report_db_codes_each(r->db, json_code, &o, NULL);
	mf_buf_addstr(b, "]}");
	mf_json_key(b, "runs", 0);
	mf_buf_addch(b, '[');
	o.first = 1;
	(void)mf_report_db_runs_each(r->db, json_run, &o, NULL);
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
struct opt_ctx {
	struct mf_buf *b;
	int any;
};

static int option_html(void *ctx, const char *key, const char *value)
{
	struct opt_ctx *o = ctx;
	mf_buf_addstr(o->b, o->any ? ", " : "");
	html_esc(o->b, key);
	mf_buf_addstr(o->b, " <code>");
	html_esc(o->b, value);
	mf_buf_addstr(o->b, "</code>");
	o->any = 1;
	return MF_OK;
}

static void options_html(struct mf_buf *b, const struct rep *r, const char *json)
{
	struct opt_ctx o = { b, 0 };

	if (json)
		(void)mf_report_db_options_each(r->db, json, option_html, &o, NULL);
	if (!o.any)
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
enum { BAR_LABEL_W = 200, BAR_W = 640, BAR_ROW_H = 22 };

struct bars_ctx {
	struct mf_buf *b;
	int calendar;
	int64_t max;
};

static void html_mailbox_bar(void *ctx, const struct rmbox *x, size_t i)
{
	const struct bars_ctx *c = ctx;
	struct mf_buf *b = c->b;
	const int label_w = BAR_LABEL_W, bar_w = BAR_W;
	const char *colors[3] = { C_DEL, C_FAIL, C_SKIP };
	const char *names[3] = { "delivered", "failed", c->calendar ? "not delivered" : "skipped" };
	int y = (int)i * BAR_ROW_H + 4;
	double px = label_w;
	int64_t parts[3] = { x->delivered, x->failed, x->skipped };
	int64_t total = x->messages;

	if (c->calendar) {
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
		double w = (double)parts[k] / (double)c->max * bar_w;
		if (parts[k] <= 0)
			continue;
		mf_buf_addf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\">"
			    "<title>%s: %lld</title></rect>", px, y + 2, w, colors[k], names[k],
			    (long long)parts[k]);
		px += w;
	}
	if (c->calendar)
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

static void html_mailbox_bars(struct mf_buf *b, const struct rep *r, const struct rtarget *t,
			      int calendar)
{
	struct bars_ctx c = { b, calendar, calendar ? t->max_cal : t->max_messages };
	int h;

	if (c.max < 1)
		c.max = 1;
	h = (int)t->n * BAR_ROW_H + 8;
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
		    "role=\"img\" aria-label=\"%s per mailbox\">", BAR_LABEL_W + BAR_W + 230, h,
		    calendar ? "calendar items" : "messages");
	(void)each_mbox(r, t, html_mailbox_bar, &c, NULL);
	mf_buf_addstr(b, "</svg>");
}

/* A target shows only the kinds of items its exporter takes: an iCalendar
 * target has no messages to deliver or skip, a Maildir no calendar. */
static void html_target(struct mf_buf *b, const struct rep *r, const struct rtarget *t)
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
	options_html(b, r, t->options);
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

static int html_example(void *ctx, const struct mf_report_example *e)
{
	struct mf_buf *b = ctx;
	mf_buf_addstr(b, "<div>");
	if (e->alias) {
		mf_buf_addstr(b, "<b>");
		html_esc(b, e->alias);
		mf_buf_addstr(b, "</b>: ");
	}
	html_esc(b, e->text);
	if (e->file) {
		mf_buf_addstr(b, " <span class=\"muted\">(");
		html_esc(b, e->file);
		if (e->has_offset && e->offset >= 0)
			mf_buf_addf(b, ", offset %lld", (long long)e->offset);
		mf_buf_addstr(b, ")</span>");
	}
	mf_buf_addstr(b, "</div>");
	return MF_OK;
}

static int html_code(void *ctx, const char *severity, const char *code, int64_t count)
{
	const struct out *o = ctx;
	struct mf_buf *b = o->b;
	mf_buf_addstr(b, "<tr><td class=\"");
	html_esc(b, severity);
	mf_buf_addstr(b, "\">");
	html_esc(b, severity);
	mf_buf_addstr(b, "</td><td><code>");
	html_esc(b, code);
	mf_buf_addf(b, "</code></td><td class=\"n\">%lld</td><td>", (long long)count);
	(void)mf_report_db_examples_each(o->r->db, severity, code, html_example, b, NULL);
	mf_buf_addstr(b, "</td></tr>");
	return MF_OK;
}

static int html_source(void *ctx, const char *const v[MF_REPORT_SOURCE_COLS])
{
	struct mf_buf *b = ctx;
	mf_buf_addstr(b, "<tr>");
	for (int c = 0; c < MF_REPORT_SOURCE_COLS; c++) {
		mf_buf_addstr(b, c == 1 ? "<td><code>" : "<td>");
		html_esc(b, v[c] ? v[c] : "-");
		mf_buf_addstr(b, c == 1 ? "</code></td>" : "</td>");
	}
	mf_buf_addstr(b, "</tr>");
	return MF_OK;
}

/* The timings: a table row and a bar per run. */
enum { RUN_BAR_W = 420 };

struct runs_ctx {
	struct mf_buf *b, *svg;
	int64_t maxs, nruns;
};

static int html_run(void *ctx, const struct mf_report_run *x)
{
	struct runs_ctx *c = ctx;
	struct mf_buf *b = c->b;
	int64_t secs = x->has_finished ? x->finished_at - x->started_at : -1;
	char tn[1024], dur[32], rate[48] = "-", t2[32];

	snprintf(tn, sizeof(tn), "%s", x->target ? x->target : "-");
	mf_report_target_cut(tn);
	iso_time(t2, x->started_at);
	human_secs(dur, secs);
	if (x->has_items && secs >= 0)
		snprintf(rate, sizeof(rate), "%.1f/s",
			 (double)x->items / (double)(secs > 0 ? secs : 1));
	mf_buf_addstr(b, "<tr><td><code>");
	html_esc(b, x->database);
	mf_buf_addf(b, "</code></td><td class=\"n\">%lld</td><td>", (long long)x->id);
	html_esc(b, x->kind);
	mf_buf_addstr(b, "</td><td>");
	html_esc(b, x->format ? x->format : "-");
	mf_buf_addstr(b, "</td><td><code>");
	html_esc(b, tn);
	mf_buf_addstr(b, "</code></td><td>");
	html_esc(b, x->status);
	mf_buf_addf(b, "</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">", t2, dur);
	if (x->has_items)
		mf_buf_addf(b, "%lld", (long long)x->items);
	else
		mf_buf_addstr(b, "-");
	mf_buf_addf(b, "</td><td class=\"n\">%s</td></tr>", rate);
	{
		int y = (int)c->nruns * 20 + 4;
		double w = secs > 0 ? (double)secs / (double)c->maxs * RUN_BAR_W : 1.0;
		mf_buf_addf(c->svg, "<text x=\"150\" y=\"%d\" font-size=\"11\" "
			    "text-anchor=\"end\" fill=\"#1f2933\">run %lld ", y + 12, (long long)x->id);
		html_esc(c->svg, x->kind);
		mf_buf_addf(c->svg, "</text><rect x=\"158\" y=\"%d\" width=\"%.1f\" "
			    "height=\"14\" fill=\"#3b6ea5\"/><text x=\"%.1f\" y=\"%d\" "
			    "font-size=\"11\" fill=\"#52606d\">%s</text>", y + 1, w,
			    164 + w, y + 12, dur);
	}
	c->nruns++;
	return MF_OK;
}

static void html_report(struct mf_buf *b, const struct rep *r, const char *const *dbs, size_t n)
{
	char t1[32];
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
		html_target(b, r, &r->t[i]);

	mf_buf_addf(b, "<section><h2>Problems by code</h2><p><span class=\"error\">%lld errors</span>, "
		    "<span class=\"warning\">%lld warnings</span>, <span class=\"info\">%lld info</span>"
		    " (codes: docs/problems.md)</p><table><tr><th>severity</th><th>code</th>"
		    "<th class=\"n\">count</th><th>examples</th></tr>", (long long)r->prob[MF_ERROR],
		    (long long)r->prob[MF_WARNING], (long long)r->prob[MF_INFO]);
	{
		struct out o = { b, r, 1 };
		(void)mf_report_db_codes_each(r->db, html_code, &o, NULL);
	}
	mf_buf_addstr(b, "</table></section>");

	mf_buf_addstr(b, "<section><h2>Sources</h2><table><tr><th>importer</th><th>path</th>"
		      "<th>post office</th><th>network</th><th>code page</th><th>time zone</th>"
		      "<th>date order</th><th>exported</th></tr>");
	(void)mf_report_db_sources_each(r->db, html_source, b, NULL);
	mf_buf_addstr(b, "</table></section>");

	/* timings: a table and a bar per run */
	{
		struct mf_buf svg;
		struct runs_ctx c = { b, &svg, 1, 0 };
		int64_t longest = mf_report_db_longest_run(r->db);
		mf_buf_init(&svg, MF_BUF_UNBOUNDED);
		mf_buf_addstr(b, "<section><h2>Timings</h2><table><tr><th>database</th>"
			      "<th class=\"n\">run</th><th>kind</th><th>format</th><th>target</th>"
			      "<th>status</th><th>started</th><th class=\"n\">duration</th>"
			      "<th class=\"n\">items</th><th class=\"n\">rate</th></tr>");
		if (longest > 1)
			c.maxs = longest;
		(void)mf_report_db_runs_each(r->db, html_run, &c, NULL);
		mf_buf_addstr(b, "</table>");
		if (c.nruns)
			mf_buf_addf(b, "<h3>Duration of each run</h3><svg xmlns=\"http://www.w3.org/2000/svg\" "
				    "width=\"%d\" height=\"%lld\" role=\"img\" aria-label=\"run durations\">"
				    "%s</svg>", 158 + RUN_BAR_W + 80, (long long)c.nruns * 20 + 8, svg.data);
		mf_buf_addstr(b, "</section>");
		mf_buf_release(&svg);
	}
	mf_buf_addstr(b, "</main></body></html>\n");
}

int cli_report_write(const char *const *dbs, size_t n, const char *html, const char *json,
		     struct mf_buf *json_out, struct mf_diag *diag)
{
	struct mf_report_db *db = NULL;
	struct rep r;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = mf_report_db_open(&db, dbs, n, diag)) < 0)
		goto out;
	if ((rc = rep_load(&r, db, diag)) < 0)
		goto out;
	if (json && !strcmp(json, "-")) {
		struct sink k;
		memset(&k, 0, sizeof(k));
		mf_buf_init(&k.b, MF_BUF_UNBOUNDED);
		json_report(&k.b, &r, dbs, n);
		mf_buf_addch(&k.b, '\n');
		mf_buf_add(json_out, k.b.data, k.b.len);
		mf_buf_release(&k.b);
	} else if (json) {
		struct sink k;
		char tmp[4200];
		if ((rc = sink_open(&k, tmp, sizeof(tmp), json, diag)) < 0)
			goto out;
		json_report(&k.b, &r, dbs, n);
		mf_buf_addch(&k.b, '\n');
		if ((rc = sink_close(&k, tmp, json, 1, diag)) < 0)
			goto out;
	}
	if (html) {
		struct sink k;
		char tmp[4200];
		if ((rc = sink_open(&k, tmp, sizeof(tmp), html, diag)) < 0)
			goto out;
		html_report(&k.b, &r, dbs, n);
		rc = sink_close(&k, tmp, html, 1, diag);
	}
out:
	rep_release(&r);
	mf_report_db_close(&db);
	return rc;
}
