/* SPDX-License-Identifier: MIT */
/*
 * verify_ics.c: `mailferry verify ics`: each selected mailbox's calendar
 * file read back with libical and compared with the delivery ledger and
 * with the calendar built again from the staged items (engine/verify.h).
 *
 * The export writes a mailbox's whole file from its staged items at
 * mailbox_end (ics.c), so the file is built again the same way
 * (exporters/files/ical.h) and compared: the bytes first, then, when they
 * differ, component by component (VEVENT, VTODO, VJOURNAL grouped by UID,
 * each as libical writes it), so each line names the item.  Checked:
 * every selected mailbox has its file (an empty calendar too); every
 * staged item is delivered in the ledger, its staged text has the sha256
 * the ledger recorded, and the file holds it unchanged; the file holds
 * nothing else and as many items as the staged calendar.
 */
#include "engine/verify.h"
#include "exporters/files/files.h"
#include "exporters/files/ical.h"
#include "core/fsutil.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The components of one UID, in file order. */
struct group {
	char *uid;
	struct mf_buf text;
	int seen;
};

struct groups {
	struct group *g;
	size_t n;
};

static void on_comp(void *arg, const char *uid, const char *comp)
{
	struct groups *gs = arg;
	size_t i;
	for (i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].uid, uid))
			break;
	if (i == gs->n) {
		gs->g = mf_xreallocarray(gs->g, gs->n + 1, sizeof(*gs->g));
		gs->g[i].uid = mf_xstrdup(uid);
		mf_buf_init(&gs->g[i].text, MF_BUF_UNBOUNDED);
		gs->g[i].seen = 0;
		gs->n++;
	}
	mf_buf_addstr(&gs->g[i].text, comp);
}

static struct group *group_find(struct groups *gs, const char *uid)
{
	for (size_t i = 0; i < gs->n; i++)
		if (!strcmp(gs->g[i].uid, uid))
			return &gs->g[i];
	return NULL;
}

static void groups_free(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		free(gs->g[i].uid);
		mf_buf_release(&gs->g[i].text);
	}
	free(gs->g);
	memset(gs, 0, sizeof(*gs));
}

static const struct mf_ledger_row *row_find(const struct mf_ledger_row *rows, size_t n,
					    int64_t id)
{
	for (size_t lo = 0, hi = n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		if (rows[mid].item_id == id)
			return &rows[mid];
		if (rows[mid].item_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int verify_calendar(struct mf_verify *v, const struct mf_mailbox *mb, const char *root,
			   const char *target, struct mf_arena *arena, struct mf_diag *diag)
{
	const char *name = mf_verify_name(mb);
	struct mf_ledger_row *mrows = NULL, *crows = NULL;
	struct mf_calendar_item *items = NULL;
	size_t nm = 0, nc = 0, ni = 0;
	struct mf_ical_cal *cal = NULL;
	struct groups ref = { NULL, 0 }, got = { NULL, 0 };
	struct mf_buf rtext;
	struct mf_map map;
	char mname[128], *rel = NULL, *path = NULL;
	int *ok = NULL, rc, same;
	int delivered_mb = 0;

	mf_buf_init(&rtext, MF_BUF_UNBOUNDED);
	if ((rc = mf_verify_ledger(v, target, "mailbox", mb, &mrows, &nm, arena, diag)) < 0)
		goto out;
	for (size_t i = 0; i < nm; i++)
		delivered_mb |= mrows[i].item_id == mb->id && mrows[i].status &&
				!strcmp(mrows[i].status, "delivered");
	mf_verify_sum(v)->mailboxes++;
	if (!delivered_mb) {
		mf_verify_mismatch(v, "%s: the mailbox was never exported to this target", name);
		goto out;
	}
	if (mf_files_mailbox_name(mname, sizeof(mname), mb, diag) < 0) {
		rc = MF_OK;
		goto out;
	}
	rel = mf_xasprintf("%s%s.ics", mf_files_is_public(mb) ? "public/" : "", mname);
	path = mf_xasprintf("%s/%s", root, rel);
	if ((rc = mf_verify_ledger(v, target, "calendar", mb, &crows, &nc, arena, diag)) < 0 ||
	    (rc = mf_verify_calendar(v, mb, &items, &ni, arena, diag)) < 0)
		goto out;
	/* the calendar as the export builds it */
	cal = mf_ical_cal_new(mb->display_name ? mb->display_name : mb->name);
	ok = mf_xcalloc(ni ? ni : 1, sizeof(*ok));
	for (size_t i = 0; i < ni; i++) {
		struct mf_diag d;
		mf_diag_clear(&d);
		ok[i] = items[i].ical &&
			mf_ical_cal_add(cal, items[i].ical, items[i].has_dtstart ? items[i].dtstart_utc : 0,
					&d) == MF_OK;
	}
	{
		struct mf_diag d;
		mf_diag_clear(&d);
		if (mf_ical_cal_write(cal, &rtext, &d) < 0) {
			mf_verify_mismatch(v, "%s: the calendar cannot be built again from the staged "
					   "items: %s", name, d.msg);
			rc = MF_OK;
			goto out;
		}
	}
	if (mf_map_open(&map, path, diag) < 0) {
		mf_diag_clear(diag);
		mf_verify_mismatch(v, "%s: the calendar file %s does not exist", name, rel);
		rc = MF_OK;
		goto out;
	}
	mf_verify_sum(v)->folders++;
	same = map.len == rtext.len && !memcmp(map.data, rtext.data, rtext.len);
	if (!same) {
		struct mf_diag d;
		mf_diag_clear(&d);
		if (mf_ical_components((const char *)map.data, map.len, on_comp, &got, &d) < 0)
			mf_verify_mismatch(v, "%s: %s cannot be read as iCalendar: %s", name, rel, d.msg);
		mf_ical_components(rtext.data, rtext.len, on_comp, &ref, &d);
	}
	mf_map_close(&map);
	/* every staged item: delivered, unchanged since, in the file as built */
	for (size_t i = 0; i < ni; i++) {
		const struct mf_calendar_item *it = &items[i];
		const struct mf_ledger_row *r = row_find(crows, nc, it->id);
		const char *uid = it->uid ? it->uid : "";
		char sha[MF_SHA256_HEX];
		if (!r || !r->status || strcmp(r->status, "delivered")) {
			if (!mf_verify_opts(v)->no_mail)
				mf_verify_mismatch(v, "%s: calendar item %lld (UID %s) was not delivered "
						   "(%s)", name, (long long)it->id, uid,
						   r && r->status ? r->status : "not exported");
			continue;
		}
		mf_verify_sum(v)->items++;
		mf_sha256_hex(sha, it->ical ? it->ical : "", it->ical ? strlen(it->ical) : 0);
		if (r->sha256 && strcmp(sha, r->sha256))
			mf_verify_mismatch(v, "%s: calendar item %lld (UID %s): the staged item changed "
					   "since it was delivered (sha256 %.16s..., the ledger has "
					   "%.16s...)", name, (long long)it->id, uid, sha, r->sha256);
		if (same || !ok[i])
			continue;
		{
			struct group *gr = group_find(&ref, uid), *gf = group_find(&got, uid);
			if (gr)
				gr->seen = 1;
			if (!gf)
				mf_verify_mismatch(v, "%s: calendar item %lld (UID %s): missing from %s",
						   name, (long long)it->id, uid, rel);
			else if (!gr || gr->text.len != gf->text.len ||
				 memcmp(gr->text.data, gf->text.data, gf->text.len))
				mf_verify_mismatch(v, "%s: calendar item %lld (UID %s): %s holds it "
						   "differently from the staged item", name,
						   (long long)it->id, uid, rel);
		}
	}
	if (!same) {
		int items_ok = ref.n == got.n;
		for (size_t i = 0; i < got.n; i++) {
			struct group *gr = group_find(&ref, got.g[i].uid);
			if (!gr) {
				mf_verify_mismatch(v, "%s: %s holds a calendar item (UID %s) that is not "
						   "in the ledger (an extra item)", name, rel, got.g[i].uid);
				items_ok = 0;
			} else if (gr->text.len != got.g[i].text.len ||
				   memcmp(gr->text.data, got.g[i].text.data, gr->text.len)) {
				items_ok = 0;
				if (!gr->seen)
					mf_verify_mismatch(v, "%s: %s holds the item with UID %s differently "
							   "from the staged one", name, rel, got.g[i].uid);
			}
		}
		if (ref.n != got.n)
			mf_verify_mismatch(v, "%s: %s holds %zu calendar items, the staged calendar has "
					   "%zu", name, rel, got.n, ref.n);
		if (items_ok)
			mf_verify_mismatch(v, "%s: %s differs from the calendar built from the staged "
					   "items outside its items (calendar properties, time zones)",
					   name, rel);
	}
	rc = MF_OK;
out:
	groups_free(&ref);
	groups_free(&got);
	mf_ical_cal_free(&cal);
	mf_buf_release(&rtext);
	free(ok);
	free(items);
	free(crows);
	free(mrows);
	free(rel);
	free(path);
	return rc;
}

int mf_files_verify_ics(struct mf_verify *v, struct mf_diag *diag)
{
	size_t nmb;
	struct mf_arena arena = MF_ARENA_INIT;
	char *root = NULL, *target = NULL;
	int rc;

	if ((rc = mf_verify_out_target(v, "ics", &root, &target, diag)) < 0)
		return rc;
	nmb = mf_verify_count(v);
	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		const struct mf_mailbox *mb = mf_verify_mailbox_at(v, i);
		if (!mb)
			continue;
		mf_arena_reset(&arena);
		rc = verify_calendar(v, mb, root, target, &arena, diag);
	}
	mf_verify_walk_done(v);
	mf_arena_release(&arena);
	free(root);
	free(target);
	return rc;
}
