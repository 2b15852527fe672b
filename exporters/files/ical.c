/* SPDX-License-Identifier: MIT */
/*
 * ical.c: iCalendar with libical 3.0 (see ical.h); the only exporter file
 * that includes libical.
 *
 * libical ownership: icalparser_parse_string, icalcomponent_new*,
 * icalcomponent_new_clone and icalproperty_new* give the caller ownership;
 * icalcomponent_add_* hands it to the parent; *_as_ical_string_r returns
 * malloc'd text the caller frees.  Built-in time zones and their
 * components belong to libical and are only cloned.
 */
#include "exporters/files/ical.h"

#include <libical/ical.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zone_use {
	char *tzid;
	int min_year;
};

struct mf_ical_cal {
	char *name;
	icalcomponent *items;        /* a VCALENDAR holding the added components */
	struct zone_use *zones;
	size_t n_zones, cap_zones;
};

static pthread_once_t ical_once = PTHREAD_ONCE_INIT;

static void ical_start(void)
{
	icalerror_set_errors_are_fatal(0);
}

static void ical_ready(void)
{
	pthread_once(&ical_once, ical_start);
}

static int is_utc_name(const char *tzid)
{
	return !strcmp(tzid, "UTC") || !strcmp(tzid, "GMT") || !strcmp(tzid, "Etc/UTC") ||
	       !strcmp(tzid, "Etc/GMT") || !strcmp(tzid, "Z");
}

static int zone_known(const char *tzid)
{
	return is_utc_name(tzid) || icaltimezone_get_builtin_timezone(tzid) != NULL;
}

/* The year of a property's date value, or 0. */
static int prop_year(icalproperty *p)
{
	icalvalue *v = icalproperty_get_value(p);
	if (!v)
		return 0;
	switch (icalvalue_isa(v)) {
	case ICAL_DATETIME_VALUE:
	case ICAL_DATE_VALUE:
		return icalvalue_get_datetime(v).year;
	case ICAL_DATETIMEPERIOD_VALUE: {
		struct icaldatetimeperiodtype dp = icalvalue_get_datetimeperiod(v);
		return !icaltime_is_null_time(dp.time) ? dp.time.year : dp.period.start.year;
	}
	default:
		return 0;
	}
}

typedef int (*tzid_fn)(const char *tzid, int year, void *payload);

/* Call fn for every TZID parameter in c and its subcomponents. */
static int each_tzid(icalcomponent *c, tzid_fn fn, void *payload)
{
	int rc;
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
		icalparameter *par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		const char *tzid = par ? icalparameter_get_tzid(par) : NULL;
		if (tzid && (rc = fn(tzid, prop_year(p), payload)) < 0)
			return rc;
	}
	for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		if ((rc = each_tzid(s, fn, payload)) < 0)
			return rc;
	return MF_OK;
}

struct check_tz {
	struct mf_diag *diag;
};

static int check_tz(const char *tzid, int year, void *payload)
{
	struct check_tz *ct = payload;
	(void)year;
	if (!zone_known(tzid))
		return mf_diag_set(ct->diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "unknown time zone '%.100s'", tzid);
	return MF_OK;
}

/* Parse one item's text inside a VCALENDAR wrapper and check it. */
static int parse_item(icalcomponent **out, const char *ical, struct mf_diag *diag)
{
	static const char head[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mailferry//item//EN\r\n";
	static const char tail[] = "END:VCALENDAR\r\n";
	size_t n = strlen(ical);
	struct mf_buf text;
	icalcomponent *root;
	int parts = 0, rc = MF_OK;
	struct check_tz ct = { diag };

	*out = NULL;
	mf_buf_init(&text, MF_BUF_UNBOUNDED);
	mf_buf_add(&text, head, sizeof(head) - 1);
	mf_buf_add(&text, ical, n);
	if (n && ical[n - 1] != '\n')
		mf_buf_addstr(&text, "\r\n");
	mf_buf_add(&text, tail, sizeof(tail) - 1);
	ical_ready();
	root = icalparser_parse_string(text.data);
	mf_buf_release(&text);
	if (!root)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "not iCalendar text");
	if (icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
		rc = mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				 "components do not close properly");
		goto out;
	}
	if (icalcomponent_count_errors(root) > 0) {
		icalproperty *e = NULL;
		const char *why = "libical reports errors";
		for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT);
		     c && !e; c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT))
			e = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
		if (!e)
			e = icalcomponent_get_first_property(root, ICAL_XLICERROR_PROPERTY);
		if (e && icalproperty_get_xlicerror(e))
			why = icalproperty_get_xlicerror(e);
		rc = mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "%.300s", why);
		goto out;
	}
	for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c;
	     c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
		icalcomponent_kind k2 = icalcomponent_isa(c);
		if (k2 == ICAL_VTIMEZONE_COMPONENT)
			continue;
		if (k2 != ICAL_VEVENT_COMPONENT && k2 != ICAL_VTODO_COMPONENT &&
		    k2 != ICAL_VJOURNAL_COMPONENT) {
			rc = mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
					 "unexpected component %s",
					 icalcomponent_kind_to_string(k2));
			goto out;
		}
		if (!icalcomponent_get_first_property(c, ICAL_UID_PROPERTY)) {
			rc = mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "component without UID");
			goto out;
		}
		if ((rc = each_tzid(c, check_tz, &ct)) < 0)
			goto out;
		parts++;
	}
	if (!parts)
		rc = mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				 "no VEVENT, VTODO or VJOURNAL");
out:
	if (rc < 0)
		icalcomponent_free(root);
	else
		*out = root;
	return rc;
}

int mf_ical_parse_item(struct icalcomponent_impl **out, const char *ical, struct mf_diag *diag)
{
	return parse_item(out, ical ? ical : "", diag);
}

void mf_ical_item_free(struct icalcomponent_impl **item)
{
	if (*item)
		icalcomponent_free(*item);
	*item = NULL;
}

int mf_ical_check_item(const char *ical, struct mf_diag *diag)
{
	icalcomponent *root;
	int rc = parse_item(&root, ical ? ical : "", diag);
	if (rc == MF_OK)
		icalcomponent_free(root);
	return rc;
}

struct mf_ical_cal *mf_ical_cal_new(const char *name)
{
	struct mf_ical_cal *cal = mf_xcalloc(1, sizeof(*cal));
	ical_ready();
	cal->name = name ? mf_xstrdup(name) : NULL;
	cal->items = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	return cal;
}

void mf_ical_cal_free(struct mf_ical_cal **pcal)
{
	struct mf_ical_cal *cal = pcal ? *pcal : NULL;
	if (!cal)
		return;
	for (size_t i = 0; i < cal->n_zones; i++)
		free(cal->zones[i].tzid);
	free(cal->zones);
	icalcomponent_free(cal->items);
	free(cal->name);
	free(cal);
	*pcal = NULL;
}

static int note_zone(const char *tzid, int year, void *payload)
{
	struct mf_ical_cal *cal = payload;
	for (size_t i = 0; i < cal->n_zones; i++)
		if (!strcmp(cal->zones[i].tzid, tzid)) {
			if (year > 0 && (cal->zones[i].min_year == 0 || year < cal->zones[i].min_year))
				cal->zones[i].min_year = year;
			return MF_OK;
		}
	if (cal->n_zones == cal->cap_zones) {
		cal->cap_zones = cal->cap_zones ? cal->cap_zones * 2 : 4;
		cal->zones = mf_xreallocarray(cal->zones, cal->cap_zones, sizeof(*cal->zones));
	}
	cal->zones[cal->n_zones].tzid = mf_xstrdup(tzid);
	cal->zones[cal->n_zones].min_year = year > 0 ? year : 0;
	cal->n_zones++;
	return MF_OK;
}

int mf_ical_cal_add(struct mf_ical_cal *cal, const char *ical, int64_t default_stamp,
		    struct mf_diag *diag)
{
	icalcomponent *root;
	int rc = parse_item(&root, ical ? ical : "", diag);
	if (rc < 0)
		return rc;
	for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c;
	     c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
		icalcomponent *copy;
		if (icalcomponent_isa(c) == ICAL_VTIMEZONE_COMPONENT)
			continue;
		copy = icalcomponent_new_clone(c);
		if (!icalcomponent_get_first_property(copy, ICAL_DTSTAMP_PROPERTY)) {
			struct icaltimetype t = icaltime_from_timet_with_zone(
				(time_t)(default_stamp > 0 ? default_stamp : 0), 0,
				icaltimezone_get_utc_timezone());
			icalcomponent_add_property(copy, icalproperty_new_dtstamp(t));
		}
		each_tzid(copy, note_zone, cal);
		icalcomponent_add_component(cal->items, copy);
	}
	icalcomponent_free(root);
	return MF_OK;
}

static int cmp_zone(const void *a, const void *b)
{
	return strcmp(((const struct zone_use *)a)->tzid, ((const struct zone_use *)b)->tzid);
}

/* The VTIMEZONE for a zone, cut to start with the year before min_year. */
static icalcomponent *vtimezone(const struct zone_use *z)
{
	icalcomponent *vtz;
	icalproperty *p;

	if (is_utc_name(z->tzid)) {
		icalcomponent *std = icalcomponent_new(ICAL_XSTANDARD_COMPONENT);
		vtz = icalcomponent_new(ICAL_VTIMEZONE_COMPONENT);
		icalcomponent_add_property(vtz, icalproperty_new_tzid(z->tzid));
		icalcomponent_add_property(std, icalproperty_new_tzname("UTC"));
		icalcomponent_add_property(std, icalproperty_new_tzoffsetfrom(0));
		icalcomponent_add_property(std, icalproperty_new_tzoffsetto(0));
		icalcomponent_add_property(std, icalproperty_new_dtstart(
						   icaltime_from_string("19700101T000000")));
		icalcomponent_add_component(vtz, std);
		return vtz;
	}
	{
		icaltimezone *zone = icaltimezone_get_builtin_timezone(z->tzid);
		icalcomponent *src = zone ? icaltimezone_get_component(zone) : NULL;
		struct icaltimetype start, end = icaltime_null_time();
		char s[32];
		if (!src)
			return NULL;
		vtz = icalcomponent_new_clone(src);
		snprintf(s, sizeof(s), "%04d0101T000000Z",
			 z->min_year > 1900 ? z->min_year - 1 : 1970);
		start = icaltime_from_string(s);
		icaltimezone_truncate_vtimezone(vtz, start, end, 0);
	}
	/* the zone's own name, as the components' TZID parameters say it */
	p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
	if (p)
		icalproperty_set_tzid(p, z->tzid);
	else
		icalcomponent_add_property(vtz, icalproperty_new_tzid(z->tzid));
	return vtz;
}

int mf_ical_cal_write(struct mf_ical_cal *cal, struct mf_buf *out, struct mf_diag *diag)
{
	icalcomponent *vc = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	char *text;
	struct mf_ical_stats st;
	int rc;

	icalcomponent_add_property(vc, icalproperty_new_prodid("-//mailferry//mailferry//EN"));
	icalcomponent_add_property(vc, icalproperty_new_version("2.0"));
	icalcomponent_add_property(vc, icalproperty_new_calscale("GREGORIAN"));
	if (cal->name) {
		icalproperty *x = icalproperty_new_x(cal->name);
		icalproperty_set_x_name(x, "X-WR-CALNAME");
		icalcomponent_add_property(vc, x);
	}
	if (cal->n_zones > 1)
		qsort(cal->zones, cal->n_zones, sizeof(*cal->zones), cmp_zone);
	for (size_t i = 0; i < cal->n_zones; i++) {
		icalcomponent *vtz = vtimezone(&cal->zones[i]);
		if (!vtz) {
			icalcomponent_free(vc);
			return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
					   "no time zone data for '%s'", cal->zones[i].tzid);
		}
		icalcomponent_add_component(vc, vtz);
	}
	for (icalcomponent *c = icalcomponent_get_first_component(cal->items, ICAL_ANY_COMPONENT);
	     c; c = icalcomponent_get_next_component(cal->items, ICAL_ANY_COMPONENT))
		icalcomponent_add_component(vc, icalcomponent_new_clone(c));
	text = icalcomponent_as_ical_string_r(vc);
	icalcomponent_free(vc);
	if (!text)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "libical could not write the calendar");
	/* validate what we are about to write */
	rc = mf_ical_stats(&st, text, strlen(text), diag);
	if (rc == MF_OK && (st.errors || st.unknown_tzids || st.calendars != 1))
		rc = mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				 "the calendar does not read back cleanly (%zu errors, %zu "
				 "unknown zones)", st.errors, st.unknown_tzids);
	if (rc == MF_OK)
		rc = mf_buf_addstr(out, text);
	free(text);
	return rc;
}

struct walk {
	struct mf_ical_stats *st;
	char **tz;
	size_t n_tz, cap_tz;
	char **used;
	size_t n_used, cap_used;
};

static void push(char ***arr, size_t *n, size_t *cap, const char *s)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*arr = mf_xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*n)++] = mf_xstrdup(s);
}

static int note_used(const char *tzid, int year, void *payload)
{
	struct walk *w = payload;
	(void)year;
	for (size_t i = 0; i < w->n_used; i++)
		if (!strcmp(w->used[i], tzid))
			return MF_OK;
	push(&w->used, &w->n_used, &w->cap_used, tzid);
	return MF_OK;
}

static void walk(struct walk *w, icalcomponent *c)
{
	switch (icalcomponent_isa(c)) {
	case ICAL_VCALENDAR_COMPONENT:
		w->st->calendars++;
		break;
	case ICAL_VEVENT_COMPONENT:
		w->st->events++;
		break;
	case ICAL_VTODO_COMPONENT:
		w->st->todos++;
		break;
	case ICAL_VJOURNAL_COMPONENT:
		w->st->journals++;
		break;
	case ICAL_VTIMEZONE_COMPONENT: {
		icalproperty *p = icalcomponent_get_first_property(c, ICAL_TZID_PROPERTY);
		w->st->timezones++;
		if (p && icalproperty_get_tzid(p))
			push(&w->tz, &w->n_tz, &w->cap_tz, icalproperty_get_tzid(p));
		return;     /* its own DTSTART values carry no TZID */
	}
	default:
		break;
	}
	w->st->errors += (size_t)icalcomponent_count_properties(c, ICAL_XLICERROR_PROPERTY);
	w->st->rrules += (size_t)icalcomponent_count_properties(c, ICAL_RRULE_PROPERTY);
	w->st->exdates += (size_t)icalcomponent_count_properties(c, ICAL_EXDATE_PROPERTY);
	w->st->overrides += (size_t)icalcomponent_count_properties(c, ICAL_RECURRENCEID_PROPERTY);
	for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); p;
	     p = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
		icalparameter *par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
		if (par && icalparameter_get_tzid(par))
			note_used(icalparameter_get_tzid(par), 0, w);
	}
	for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
	     s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		walk(w, s);
}

int mf_ical_stats(struct mf_ical_stats *out, const char *text, size_t len,
		  struct mf_diag *diag)
{
	char *copy = mf_xstrndup(text, len);
	icalcomponent *root;
	struct walk w;

	memset(out, 0, sizeof(*out));
	ical_ready();
	root = icalparser_parse_string(copy);
	free(copy);
	if (!root)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "not iCalendar text");
	memset(&w, 0, sizeof(w));
	w.st = out;
	walk(&w, root);
	for (size_t i = 0; i < w.n_used; i++) {
		int found = 0;
		for (size_t j = 0; j < w.n_tz && !found; j++)
			found = !strcmp(w.used[i], w.tz[j]);
		if (!found)
			out->unknown_tzids++;
	}
	for (size_t i = 0; i < w.n_used; i++)
		free(w.used[i]);
	for (size_t i = 0; i < w.n_tz; i++)
		free(w.tz[i]);
	free(w.used);
	free(w.tz);
	icalcomponent_free(root);
	return MF_OK;
}

int mf_ical_components(const char *text, size_t len,
		       void (*fn)(void *arg, const char *uid, const char *comp), void *arg,
		       struct mf_diag *diag)
{
	char *copy = mf_xstrndup(text, len);
	icalcomponent *root, *cal, *c;

	ical_ready();
	root = icalparser_parse_string(copy);
	free(copy);
	if (!root)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "not iCalendar text");
	cal = root;
	if (icalcomponent_isa(root) == ICAL_XROOT_COMPONENT)
		cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
	for (c = cal ? icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT) : NULL; c;
	     c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
		icalcomponent_kind k = icalcomponent_isa(c);
		const char *uid;
		char *s;
		if (k != ICAL_VEVENT_COMPONENT && k != ICAL_VTODO_COMPONENT &&
		    k != ICAL_VJOURNAL_COMPONENT)
			continue;
		uid = icalcomponent_get_uid(c);
		s = icalcomponent_as_ical_string_r(c);
		fn(arg, uid ? uid : "", s ? s : "");
		free(s);
	}
	icalcomponent_free(root);
	return MF_OK;
}
