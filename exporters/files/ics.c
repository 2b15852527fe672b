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
 * is written at mailbox_end from every item of the mailbox, in start-time
 * order: the items handed over in this run and, through the driver
 * (mf_export_calendar_rest), those delivered by earlier runs, so a re-run
 * that finds new items rewrites the whole file with old and new, never
 * only the new ones.  The file is built and
 * read back with libical (exporters/files/ical.c) before it replaces the old one
 * (temporary name, rename).
 */
#include "engine/exporter.h"
#include "exporters/files/files.h"
#include "exporters/files/ical.h"
#include "core/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An item for the mailbox's file. */
struct ics_item {
	int64_t id;
	int has_dtstart;
	int64_t dtstart;
	char *uid;
	char *ical;
};

struct mf_export_ctx {
	struct mf_files f;
	struct ics_item *items;   /* the mailbox's items, handed over or delivered before */
	size_t n_items, cap_items;
};

static void items_clear(struct mf_export_ctx *c)
{
	for (size_t i = 0; i < c->n_items; i++) {
		free(c->items[i].uid);
		free(c->items[i].ical);
	}
	c->n_items = 0;
}

static void item_keep(struct mf_export_ctx *c, const struct mf_calendar_item *it)
{
	struct ics_item *k;
	if (c->n_items == c->cap_items) {
		c->cap_items = c->cap_items ? c->cap_items * 2 : 32;
		c->items = mf_xreallocarray(c->items, c->cap_items, sizeof(*c->items));
	}
	k = &c->items[c->n_items++];
	k->id = it->id;
	k->has_dtstart = it->has_dtstart;
	k->dtstart = it->has_dtstart ? it->dtstart_utc : 0;
	k->uid = it->uid ? mf_xstrdup(it->uid) : NULL;
	k->ical = it->ical ? mf_xstrdup(it->ical) : NULL;
}

/* Start time (unknown last), then UID (none first), then id. */
static int cmp_item(const void *a, const void *b)
{
	const struct ics_item *x = a, *y = b;
	int r;
	if (x->has_dtstart != y->has_dtstart)
		return x->has_dtstart ? -1 : 1;
	if (x->has_dtstart && x->dtstart != y->dtstart)
		return x->dtstart < y->dtstart ? -1 : 1;
	if (!x->uid || !y->uid) {
		if (x->uid || y->uid)
			return x->uid ? 1 : -1;
	} else if ((r = strcmp(x->uid, y->uid)) != 0) {
		return r;
	}
	return (x->id > y->id) - (x->id < y->id);
}

static int keep_rest(void *arg, const struct mf_calendar_item *it)
{
	if (it->ical)
		item_keep(arg, it);
	return MF_OK;
}

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
	c->f.barrier = 1;
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
	items_clear(c);
	rel = file_rel(mb, diag);
	if (!rel)
		return MF_EUSAGE;
	free(rel);
	if (mf_files_is_public(mb)) {
		return mf_mkdirs_at(c->f.root_fd, c->f.root, "public", 0755, diag);
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
		return MF_OK;
	}
	rel = file_rel(mb, diag);
	if (!rel)
		return MF_EUSAGE;
	item_keep(c, it);
	mf_files_pending(&c->f, res, "calendar", it->id, mb->id, rel, it->ical, strlen(it->ical));
	free(rel);
	return MF_OK;
}

static int ics_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			   struct mf_diag *diag)
{
	struct mf_ical_cal *cal;
	struct mf_buf out;
	char *rel = NULL;
	int rc = MF_OK;

	if (failed) {
		items_clear(c);
		mf_files_drop(&c->f);
		return MF_OK;
	}
	rel = file_rel(mb, diag);
	if (!rel)
		return MF_EUSAGE;
	cal = mf_ical_cal_new(mb->display_name ? mb->display_name : mb->name);
	/* what earlier runs delivered (or, with --no-mail, everything) */
	if ((rc = mf_export_calendar_rest(c->f.ex, mb->id, keep_rest, c, diag)) < 0)
		goto out;
	if (c->n_items)
		qsort(c->items, c->n_items, sizeof(*c->items), cmp_item);
	for (size_t i = 0; i < c->n_items; i++) {
		struct mf_diag d;
		if (!c->items[i].ical)
			continue;
		mf_diag_clear(&d);
		/* an item refused in an earlier run fails here again: leave it out */
		mf_ical_cal_add(cal, c->items[i].ical, c->items[i].dtstart, &d);
	}
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	rc = mf_ical_cal_write(cal, &out, diag);
	if (rc == MF_OK)
		rc = mf_files_write_rel(&c->f, rel, out.data, out.len, -1, diag);
	mf_buf_release(&out);
	if (rc == MF_OK)
		rc = mf_files_flush(&c->f, 1, diag);
	else
		mf_files_drop(&c->f);
out:
	items_clear(c);
	mf_ical_cal_free(&cal);
	free(rel);
	return rc;
}

static void ics_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_files_release(&c->f);
	items_clear(c);
	free(c->items);
	free(c);
	*pc = NULL;
}

/* The driver's sync barrier (files.h, Durability). */
static int ics_sync(struct mf_export_ctx *c, struct mf_diag *diag)
{
	return mf_files_sync(&c->f, diag);
}

const struct mf_exporter mf_exporter_ics = {
	.name = "ics",
	.summary = "iCalendar file per mailbox (libical, one VTIMEZONE per zone)",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_CALENDAR | MF_EXP_ID_ORDER,
	.open = ics_open,
	.target = ics_target,
	.mailbox_begin = ics_mailbox_begin,
	.put_calendar = ics_put_calendar,
	.mailbox_end = ics_mailbox_end,
	.close = ics_close,
	.verify = mf_files_verify_ics,
	.sync = ics_sync,
};
