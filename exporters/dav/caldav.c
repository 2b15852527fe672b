/* SPDX-License-Identifier: MIT */
/*
 * caldav.c: `mailferry export caldav`: every mailbox's calendar into a
 * calendar collection on a CalDAV server, by default
 * <url>/<alias>/calendar/ (--dav-layout; --dav-discover: the home found
 * through /.well-known/ and the admin's calendar-home-set, then
 * calendar/), made with MKCALENDAR when it is
 * missing, also for a mailbox without calendar items.
 *
 * Each calendar item is one resource: a VCALENDAR holding the item's
 * components (the VEVENT or VTODO and the VEVENTs overriding some of its
 * occurrences, RECURRENCE-ID; RRULE and EXDATE as staged) and one
 * VTIMEZONE per zone they use, built exactly as the ICS exporter builds a
 * calendar file (exporters/ical.c), named by the sha256 of the UID and
 * sent with PUT and If-None-Match: * (412: already there, delivered).  The
 * driver's ledger row per item holds "<name> <etag>".  An item libical
 * cannot read, or that the server refuses (409 for a UID already there
 * under another name, 400, ...), is refused with a problem naming it; the
 * others go on.
 */
#include "exporters/dav/dav.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mf_export_ctx {
	struct mf_dav_exp x;
};

static int cal_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		    const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c = mf_xcalloc(1, sizeof(*c));
	int rc = mf_dav_exp_open(&c->x, MF_DAV_CAL, ex, st, opts, diag);
	if (rc < 0) {
		mf_dav_exp_release(&c->x);
		free(c);
		return rc;
	}
	*out = c;
	return MF_OK;
}

static const char *cal_target(struct mf_export_ctx *c)
{
	return c->x.t.id;
}

static int cal_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		     const char *const *folders, size_t n, struct mf_diag *diag)
{
	(void)folders;
	(void)n;
	return mf_dav_exp_begin(&c->x, mb, diag);
}

static int cal_put(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		   const struct mf_calendar_item *it, struct mf_put_result *res,
		   struct mf_diag *diag)
{
	struct mf_dav_exp *x = &c->x;
	struct mf_buf body, path;
	struct mf_diag d;
	char name[40], etag[200];
	int rc, state;

	mf_buf_init(&body, MF_BUF_UNBOUNDED);
	mf_buf_init(&path, MF_BUF_UNBOUNDED);
	mf_diag_clear(&d);
	if (mf_dav_cal_resource(&body, NULL, it->ical ? it->ical : "",
				it->has_dtstart ? it->dtstart_utc : 0, &d) < 0) {
		res->state = MF_PUT_REFUSED;
		snprintf(res->detail, sizeof(res->detail), "calendar item '%.80s': %.150s",
			 it->uid ? it->uid : "", d.msg);
		mf_export_problem(x->ex, MF_ERROR, "caldav.invalid-item", mb->id, 0,
				  "%s (kept in the staging database, calendar_items %lld)",
				  res->detail, (long long)it->id);
		rc = MF_OK;
		goto out;
	}
	mf_dav_resource_name(name, it->uid ? it->uid : "", ".ics");
	mf_buf_addf(&path, "%s%s", x->coll.data, name);
	rc = mf_dav_put(x->dav, &state, etag, sizeof(etag), res->detail, sizeof(res->detail),
			path.data, "text/calendar; charset=utf-8", body.data, body.len, diag);
	if (rc < 0)
		goto out;
	if (state == MF_DAV_PUT_REFUSED) {
		char tmp[sizeof(res->detail)];
		snprintf(tmp, sizeof(tmp), "%s", res->detail);
		snprintf(res->detail, sizeof(res->detail), "calendar item '%.60s' (%lld): %.150s",
			 it->uid ? it->uid : "", (long long)it->id, tmp);
		res->state = MF_PUT_REFUSED;
		x->put_refused++;
		goto out;
	}
	if (state == MF_DAV_PUT_NEW)
		x->put_new++;
	else
		x->put_there++;
	res->state = MF_PUT_DELIVERED;
	snprintf(res->remote_id, sizeof(res->remote_id), "%s %s", name, etag);
	mf_sha256_hex(res->sha256, body.data, body.len);
	res->bytes = (int64_t)body.len;
out:
	mf_buf_release(&body);
	mf_buf_release(&path);
	return rc;
}

static int cal_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
		   struct mf_diag *diag)
{
	(void)c;
	(void)mb;
	(void)failed;
	(void)diag;
	return MF_OK;
}

static void cal_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_dav_exp_release(&c->x);
	free(c);
	*pc = NULL;
}

static int cal_verify(struct mf_verify *v, struct mf_diag *diag)
{
	return mf_dav_verify(v, MF_DAV_CAL, diag);
}

const struct mf_exporter mf_exporter_caldav = {
	.name = "caldav",
	.summary = "CalDAV server: a calendar collection per mailbox, one resource per item",
	.options = (const struct mf_option[]){
		MF_DAV_OPTION_URL,
		MF_DAV_OPTION_ADMIN,
		MF_DAV_OPTION_PASSWORD_FILE,
		MF_DAV_OPTION_TLS_VERIFY,
		MF_DAV_OPTION_LAYOUT,
		MF_DAV_OPTION_DISCOVER,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_URL | MF_EXP_CALENDAR,
	.open = cal_open,
	.target = cal_target,
	.mailbox_begin = cal_begin,
	.put_calendar = cal_put,
	.mailbox_end = cal_end,
	.close = cal_close,
	.verify = cal_verify,
};
