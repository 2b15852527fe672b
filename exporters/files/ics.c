/* SPDX-License-Identifier: MIT */
/*
 * ics.c: `mailferry export ics`: one iCalendar file per mailbox.
 *
 *   DIR/<alias>.ics            a personal mailbox's calendar
 *   DIR/public/<alias>.ics     a public folder's (if it has one)
 *
 * Every selected mailbox gets its file, an empty VCALENDAR when it has no
 * calendar items, so the set of files matches the set of mailboxes.
 *
 * Each calendar item is checked with libical when it is handed over
 * (a damaged one is refused with a problem, the others go on) and the file
 * is written at mailbox_end from every item of the mailbox the store holds,
 * in start-time order: a re-run that finds new items rewrites the whole
 * file with old and new, never only the new ones.  The file is built and
 * read back with libical (exporters/files/ical.c) before it replaces the old one
 * (temporary name, rename).
 */
#include "engine/exporter.h"
#include "exporters/files/files.h"
#include "exporters/files/ical.h"
#include "core/fsutil.h"
#include "core/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mf_export_ctx {
	struct mf_files f;
	int64_t *bad;             /* items refused in this mailbox */
	size_t n_bad, cap_bad;
};

static int ics_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		    const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c = mf_xcalloc(1, sizeof(*c));
	int rc = mf_files_open(&c->f, "ics", 1, ex, st, opts, diag);
	if (rc < 0) {
		mf_files_release(&c->f);
		free(c);
		return rc;
	}
	*out = c;
	return MF_OK;
}

static const char *ics_target(struct mf_export_ctx *c)
{
	return c->f.target;
}

static char *file_rel(const struct mf_mailbox *mb, struct mf_diag *diag)
{
	char name[128];
	if (mf_files_mailbox_name(name, sizeof(name), mb, diag) < 0)
		return NULL;
	return mf_xasprintf("%s%s.ics", mf_files_is_public(mb) ? "public/" : "", name);
}

static int ics_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			     const char *const *folders, size_t n, struct mf_diag *diag)
{
	char *rel;
	(void)folders;
	(void)n;
	c->n_bad = 0;
	rel = file_rel(mb, diag);
	if (!rel)
		return MF_EUSAGE;
	free(rel);
	if (mf_files_is_public(mb)) {
		char *d = mf_xasprintf("%s/public", c->f.root);
		int rc = mf_mkdirs(d, 0755, diag);
		free(d);
		return rc;
	}
	return MF_OK;
}

static int ics_put_calendar(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    const struct mf_calendar_item *it, struct mf_put_result *res,
			    struct mf_diag *diag)
{
	struct mf_diag d;
	char *rel;

	mf_diag_clear(&d);
	if (mf_ical_check_item(it->ical, &d) < 0) {
		res->state = MF_PUT_REFUSED;
		snprintf(res->detail, sizeof(res->detail), "calendar item '%.80s': %.150s",
			 it->uid ? it->uid : "", d.msg);
		mf_export_problem(c->f.ex, MF_ERROR, "ics.invalid-item", mb->id, 0,
				  "%s (kept in the staging database, calendar_items %lld)",
				  res->detail, (long long)it->id);
		if (c->n_bad == c->cap_bad) {
			c->cap_bad = c->cap_bad ? c->cap_bad * 2 : 8;
			c->bad = mf_xreallocarray(c->bad, c->cap_bad, sizeof(*c->bad));
		}
		c->bad[c->n_bad++] = it->id;
		return MF_OK;
	}
	rel = file_rel(mb, diag);
	if (!rel)
		return MF_EUSAGE;
	mf_files_pending(&c->f, res, "calendar", it->id, mb->id, rel, it->ical, strlen(it->ical));
	free(rel);
	return MF_OK;
}

static const char SQL_ITEMS[] =
	"SELECT id, ical, ifnull(dtstart_utc, 0) FROM calendar_items WHERE mailbox_id = ?1 "
	"ORDER BY dtstart_utc IS NULL, dtstart_utc, uid";

static int ics_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			   struct mf_diag *diag)
{
	struct mf_ical_cal *cal;
	struct mf_buf out;
	sqlite3_stmt *s;
	char *rel = NULL, *path = NULL;
	int rc = MF_OK, step;

	if (failed) {
		mf_files_drop(&c->f);
		return MF_OK;
	}
	rel = file_rel(mb, diag);
	if (!rel)
		return MF_EUSAGE;
	cal = mf_ical_cal_new(mb->display_name ? mb->display_name : mb->name);
	s = mf_store_stmt(c->f.st, SQL_ITEMS, diag);
	if (!s) {
		rc = MF_ESTORE;
		goto out;
	}
	sqlite3_bind_int64(s, 1, mb->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *ical = (const char *)sqlite3_column_text(s, 1);
		struct mf_diag d;
		int skip = 0;
		mf_diag_clear(&d);
		for (size_t i = 0; i < c->n_bad; i++)
			skip |= c->bad[i] == id;
		if (skip || !ical)
			continue;
		/* an item refused in an earlier run fails here again: leave it out */
		mf_ical_cal_add(cal, ical, sqlite3_column_int64(s, 2), &d);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		rc = mf_store_fail(c->f.st, diag, "cannot read calendar items");
		goto out;
	}
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	rc = mf_ical_cal_write(cal, &out, diag);
	if (rc == MF_OK) {
		path = mf_xasprintf("%s/%s", c->f.root, rel);
		rc = mf_files_write(path, NULL, out.data, out.len, -1, diag);
	}
	mf_buf_release(&out);
	if (rc == MF_OK)
		rc = mf_files_flush(&c->f, 1, diag);
	else
		mf_files_drop(&c->f);
out:
	mf_ical_cal_free(&cal);
	free(rel);
	free(path);
	return rc;
}

static void ics_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_files_release(&c->f);
	free(c->bad);
	free(c);
	*pc = NULL;
}

const struct mf_exporter mf_exporter_ics = {
	.name = "ics",
	.summary = "iCalendar file per mailbox (libical, one VTIMEZONE per zone)",
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_CALENDAR,
	.open = ics_open,
	.target = ics_target,
	.mailbox_begin = ics_mailbox_begin,
	.put_calendar = ics_put_calendar,
	.mailbox_end = ics_mailbox_end,
	.close = ics_close,
};
