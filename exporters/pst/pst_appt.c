/* SPDX-License-Identifier: MIT */
/*
 * pst_appt.c: a staged calendar event as an IPM.Appointment in the
 * store's Calendar folder ([MS-OXOCAL]).
 *
 * The event is the staged iCalendar text: the series' VEVENT and the
 * VEVENTs that override some of its occurrences (RECURRENCE-ID), times
 * with TZID parameters naming IANA zones.  libical parses it; the
 * appointment gets
 *   - start and end whole (UTC), duration, all-day (a DATE start), busy
 *     status (TRANSP, STATUS:TENTATIVE), location, the text as body,
 *     CLASS as sensitivity and PidLidPrivate, the first VALARM as reminder
 *     set, delta and signal time, the clip and common start and end;
 *   - the time zone of its start (or the post office's, for all-day and
 *     floating times) as PidLidTimeZoneStruct, a description and the
 *     TZDEFINITION blobs: the rule in force in the year the series starts,
 *     found from libical's zone by looking for the year's offset changes;
 *   - a recurring series: PidLidAppointmentRecur (pst_recur.c) from the
 *     RRULE, EXDATEs as deleted occurrences, each override as a changed
 *     occurrence with an exception attachment (a hidden embedded message
 *     with its own times, subject, location and text).
 */
#include "exporters/pst/pst_appt.h"

#include <errno.h>
#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define MAX_OCCURRENCES 100000
/* "no end" for PidLidClipEnd: 4500-08-31 23:59 */
#define CLIP_NEVER 0x0CB34557A3DD4000ull

/* Named properties: PSETID_Appointment and PSETID_Common LIDs, registered
 * in the store's name-to-ID map on first use (messaging.c); s in scope. */
#define A(lid) pst_named(s, pst_psetid_appointment, (lid))
#define C(lid) pst_named(s, pst_psetid_common, (lid))

/* ---- one VEVENT ---- */

struct ev {
	icalcomponent *c;
	const char *summary, *description, *location;
	int allday;
	time_t start, end;           /* UTC */
	icaltimezone *zone;          /* of the start */
	uint32_t busy, sensitivity;
	int has_alarm;
	int32_t alarm_min;           /* minutes before the start */
	int has_rid;
	time_t rid;                  /* RECURRENCE-ID, UTC */
	time_t stamp;
};

static icaltimezone *zone_named(const char *tzid)
{
	icaltimezone *z;
	if (!tzid || !*tzid || !strcmp(tzid, "UTC") || !strcmp(tzid, "Etc/UTC") ||
	    !strcmp(tzid, "GMT") || !strcmp(tzid, "Z"))
		return icaltimezone_get_utc_timezone();
	z = icaltimezone_get_builtin_timezone(tzid);
	return z ? z : icaltimezone_get_utc_timezone();
}

/* A time property as UTC seconds; *zone gets the zone it was written in
 * (deflt for floating times and dates). */
static int prop_time(icalproperty *p, struct icaltimetype t, icaltimezone *deflt, time_t *out,
		     icaltimezone **zone, int *is_date)
{
	icalparameter *par;
	icaltimezone *z = deflt;
	if (!p || icaltime_is_null_time(t))
		return -1;
	par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
	if (icaltime_is_utc(t))
		z = icaltimezone_get_utc_timezone();
	else if (par && !t.is_date)
		z = zone_named(icalparameter_get_tzid(par));
	if (t.is_date) {
		t.hour = t.minute = t.second = 0;
	}
	t.is_date = 0;
	t.zone = NULL;
	*out = icaltime_as_timet_with_zone(t, z);
	if (zone)
		*zone = z;
	if (is_date)
		*is_date = 0;
	if (is_date && icalproperty_get_first_parameter(p, ICAL_VALUE_PARAMETER) &&
	    icalparameter_get_value(icalproperty_get_first_parameter(p, ICAL_VALUE_PARAMETER)) ==
		    ICAL_VALUE_DATE)
		*is_date = 1;
	return 0;
}

static void ev_read(struct ev *e, icalcomponent *c, icaltimezone *deflt)
{
	icalproperty *p;
	icalcomponent *al;
	int is_date = 0;
	memset(e, 0, sizeof(*e));
	e->c = c;
	e->summary = icalcomponent_get_summary(c);
	e->description = icalcomponent_get_description(c);
	e->location = icalcomponent_get_location(c);
	e->zone = deflt;
	p = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
	if (p) {
		struct icaltimetype t = icalproperty_get_dtstart(p);
		prop_time(p, t, deflt, &e->start, &e->zone, &is_date);
		e->allday = is_date || t.is_date;
	}
	e->end = e->start + (e->allday ? 86400 : 0);
	p = icalcomponent_get_first_property(c, ICAL_DTEND_PROPERTY);
	if (p) {
		prop_time(p, icalproperty_get_dtend(p), deflt, &e->end, NULL, NULL);
	} else if ((p = icalcomponent_get_first_property(c, ICAL_DURATION_PROPERTY)) != NULL) {
		e->end = e->start + icaldurationtype_as_int(icalproperty_get_duration(p));
	}
	if (e->end < e->start)
		e->end = e->start;
	p = icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY);
	if (p)
		e->has_rid = prop_time(p, icalproperty_get_recurrenceid(p), e->zone, &e->rid, NULL,
				       NULL) == 0;
	p = icalcomponent_get_first_property(c, ICAL_DTSTAMP_PROPERTY);
	if (p)
		e->stamp = icaltime_as_timet_with_zone(icalproperty_get_dtstamp(p),
						       icaltimezone_get_utc_timezone());
	/* busy status: free, tentative, busy */
	e->busy = 2;
	p = icalcomponent_get_first_property(c, ICAL_TRANSP_PROPERTY);
	if (p && icalproperty_get_transp(p) == ICAL_TRANSP_TRANSPARENT)
		e->busy = 0;
	else if (icalcomponent_get_status(c) == ICAL_STATUS_TENTATIVE)
		e->busy = 1;
	p = icalcomponent_get_first_property(c, ICAL_CLASS_PROPERTY);
	if (p && icalproperty_get_class(p) == ICAL_CLASS_PRIVATE)
		e->sensitivity = 2;
	else if (p && icalproperty_get_class(p) == ICAL_CLASS_CONFIDENTIAL)
		e->sensitivity = 3;
	al = icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT);
	if (al && (p = icalcomponent_get_first_property(al, ICAL_TRIGGER_PROPERTY)) != NULL) {
		struct icaltriggertype tr = icalproperty_get_trigger(p);
		e->has_alarm = 1;
		if (!icaltime_is_null_time(tr.time)) {
			time_t at = icaltime_as_timet_with_zone(tr.time, icaltimezone_get_utc_timezone());
			e->alarm_min = (int32_t)((e->start - at) / 60);
		} else {
			e->alarm_min = -(int32_t)(icaldurationtype_as_int(tr.duration) / 60);
		}
		if (e->alarm_min < 0)
			e->alarm_min = 0;
	}
}

/* ---- local times ---- */

static struct icaltimetype local_of(time_t t, icaltimezone *z)
{
	return icaltime_from_timet_with_zone(t, 0, z);
}

/* Minutes since 1601 of the local time of t in z. */
static int64_t local_min(time_t t, icaltimezone *z)
{
	struct icaltimetype l = local_of(t, z);
	return pst_min1601(l.year, l.month, l.day, l.hour, l.minute);
}

/* FILETIME of the local time of t in z, as if it were UTC. */
static uint64_t local_ft(time_t t, icaltimezone *z)
{
	return (uint64_t)local_min(t, z) * 60 * 10000000ull;
}

/* ---- time zones ---- */

struct tzrule {
	int32_t bias, std_bias, dst_bias;
	uint16_t std[8], dst[8];     /* SYSTEMTIME: year, month, dow, week, hour, minute, s, ms */
};

static int utc_off(icaltimezone *z, time_t t)
{
	struct icaltimetype u = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
	int dst = 0;
	return icaltimezone_get_utc_offset_of_utc_time(z, &u, &dst);
}

static void transition(uint16_t st[8], time_t at, int old_off)
{
	struct icaltimetype l = icaltime_from_timet_with_zone(at + old_off, 0,
							    icaltimezone_get_utc_timezone());
	int64_t days = pst_days_civil(l.year, l.month, l.day);
	memset(st, 0, 16);
	st[1] = (uint16_t)l.month;
	st[2] = (uint16_t)pst_dow(days);
	st[3] = (uint16_t)((l.day - 1) / 7 + 1);
	if (l.day + 7 > icaltime_days_in_month(l.month, l.year))
		st[3] = 5;
	st[4] = (uint16_t)l.hour;
	st[5] = (uint16_t)l.minute;
}

/* The zone's rule in year: the offsets and the two changes, if any.
 * Finding them asks libical for the offset of every day of the year (about
 * 470 calls, 0.4 million instructions); a run meets few zones and years, so
 * the rules found are kept, per thread (export workers are threads), for
 * the process: every zone here is one of libical's built-in zones or UTC,
 * which live as long as the process. */
static void tz_rule_find(struct tzrule *r, icaltimezone *z, int year);

#define TZ_MEMO 16
static _Thread_local struct {
	icaltimezone *z;
	int year;
	struct tzrule r;
} tz_memo[TZ_MEMO];
static _Thread_local unsigned tz_memo_n;

static void tz_rule(struct tzrule *r, icaltimezone *z, int year)
{
	unsigned n = tz_memo_n < TZ_MEMO ? tz_memo_n : TZ_MEMO;
	for (unsigned i = 0; i < n; i++)
		if (tz_memo[i].z == z && tz_memo[i].year == year) {
			*r = tz_memo[i].r;
			return;
		}
	tz_rule_find(r, z, year);
	tz_memo[tz_memo_n % TZ_MEMO].z = z;
	tz_memo[tz_memo_n % TZ_MEMO].year = year;
	tz_memo[tz_memo_n % TZ_MEMO].r = *r;
	tz_memo_n++;
}

static void tz_rule_find(struct tzrule *r, icaltimezone *z, int year)
{
	time_t t0 = (time_t)(pst_days_civil(year, 1, 1) * 86400 + 43200);
	int prev = utc_off(z, t0), std = prev, dst = prev, seen = 0;
	memset(r, 0, sizeof(*r));
	for (int d = 1; d <= 366; d++) {
		time_t t = t0 + (time_t)d * 86400;
		int off = utc_off(z, t);
		if (off == prev)
			continue;
		/* the hour it changed */
		for (time_t h = t - 86400; h <= t; h += 900)
			if (utc_off(z, h) == off) {
				if (off > prev) {
					transition(r->dst, h, prev);
					dst = off;
					std = prev;
				} else {
					transition(r->std, h, prev);
					std = off;
					dst = prev;
				}
				seen++;
				break;
			}
		prev = off;
	}
	if (seen < 2) {
		/* no daylight saving time that year */
		memset(r->std, 0, sizeof(r->std));
		memset(r->dst, 0, sizeof(r->dst));
		std = dst = utc_off(z, t0);
	}
	r->bias = -std / 60;
	r->dst_bias = -(dst - std) / 60;
}

static void put_st(uint8_t *p, const uint16_t st[8])
{
	for (int i = 0; i < 8; i++)
		pst_w16(p + 2 * i, st[i]);
}

/* PidLidTimeZoneStruct (48 bytes). */
static void tz_struct(uint8_t out[48], const struct tzrule *r)
{
	memset(out, 0, 48);
	pst_w32(out, (uint32_t)r->bias);
	pst_w32(out + 4, (uint32_t)r->std_bias);
	pst_w32(out + 8, (uint32_t)r->dst_bias);
	put_st(out + 14, r->std);
	put_st(out + 32, r->dst);
}

/* A TZDEFINITION with one rule ([MS-OXOCAL] 2.2.1.41). */
static uint8_t *tz_definition(const char *key, const struct tzrule *r, int year, uint16_t flags,
			      size_t *len)
{
	struct mf_buf b;
	size_t kl;
	uint8_t *k = pst_utf16(key, strlen(key), &kl), h[8], rule[66];
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	h[0] = 2;
	h[1] = 1;
	pst_w16(h + 2, (uint32_t)(6 + kl));
	pst_w16(h + 4, 2);
	pst_w16(h + 6, (uint32_t)(kl / 2));
	mf_buf_add(&b, h, 8);
	mf_buf_add(&b, k, kl);
	pst_w16(h, 1);
	mf_buf_add(&b, h, 2);
	memset(rule, 0, sizeof(rule));
	rule[0] = 2;
	rule[1] = 1;
	pst_w16(rule + 2, 0x3E);
	pst_w16(rule + 4, flags);
	pst_w16(rule + 6, (uint32_t)year);
	pst_w32(rule + 22, (uint32_t)r->bias);
	pst_w32(rule + 26, (uint32_t)r->std_bias);
	pst_w32(rule + 30, (uint32_t)r->dst_bias);
	put_st(rule + 34, r->std);
	put_st(rule + 50, r->dst);
	mf_buf_add(&b, rule, sizeof(rule));
	free(k);
	return (uint8_t *)mf_buf_detach(&b, len);
}

static const char *zone_name(icaltimezone *z)
{
	const char *n = icaltimezone_get_location(z);
	if (!n || !*n)
		n = icaltimezone_get_tzid(z);
	return n && *n ? n : "UTC";
}

static void tz_props(struct pst_store *s, struct pst_pc *pc, icaltimezone *z, time_t start,
		     int recurring)
{
	struct icaltimetype l = local_of(start, z);
	struct tzrule r;
	uint8_t ts[48], *def;
	size_t n;
	const char *name = zone_name(z);
	char *desc;
	tz_rule(&r, z, l.year);
	tz_struct(ts, &r);
	pst_pc_bin(pc, A(0x8233), ts, sizeof(ts));
	desc = mf_xasprintf("(UTC%c%02d:%02d) %s", -r.bias < 0 ? '-' : '+', abs(r.bias) / 60,
			    abs(r.bias) % 60, name);
	pst_pc_str(pc, A(0x8234), desc);
	free(desc);
	def = tz_definition(name, &r, l.year, 0x0002, &n);
	pst_pc_bin(pc, A(0x825E), def, n);
	pst_pc_bin(pc, A(0x825F), def, n);
	free(def);
	if (recurring) {
		def = tz_definition(name, &r, l.year, 0x0003, &n);
		pst_pc_bin(pc, A(0x8260), def, n);
		free(def);
	}
}

/* ---- recurrence ---- */

struct series {
	struct pst_recur r;
	struct pst_recur_exc *x;
	size_t nx;
	uint32_t type;               /* PidLidRecurrenceType */
	uint64_t clip_start, clip_end;
	char *pattern;               /* PidLidRecurrencePattern */
	int ok;
};

static const char *const dayname[7] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
					"Friday", "Saturday" };

/* The occurrences of a plain rule counted by day arithmetic: DAILY with no
 * BY part (any interval), DAILY of interval 1 with BYDAY weekdays, WEEKLY
 * with no BY part, or WEEKLY of interval 1 with BYDAY weekdays; DTSTART a
 * date-time on one of those days, COUNT or an UNTIL date-time (not both)
 * or neither, every occurrence counted before 2038.  libical's iterator
 * costs about 26,000 instructions per occurrence (it keeps an ICU calendar
 * per iterator); this walk a few dozen.  Both count the same series
 * (tests/unit/test_files.c compares them on random rules).  Returns 1 with
 * *n (at most limit) and the last occurrence's date in *last, 0 when the
 * rule is not one of those (the caller iterates with libical). */
int pst_rrule_walk(const struct icalrecurrencetype *rr, const struct icaltimetype *ds,
		   uint32_t limit, uint32_t *n, struct icaltimetype *last)
{
	const short end = ICAL_RECURRENCE_ARRAY_MAX;
	int until = !icaltime_is_null_time(rr->until);
	int interval = rr->interval > 0 ? rr->interval : 1, tod, utod = 0, y, m, d;
	uint32_t mask = 0, cnt = 0;
	int64_t day, step, uday = 0, lastday, stop = pst_days_civil(2038, 1, 1);

	if (rr->rscale || rr->by_second[0] != end || rr->by_minute[0] != end ||
	    rr->by_hour[0] != end || rr->by_month_day[0] != end || rr->by_year_day[0] != end ||
	    rr->by_week_no[0] != end || rr->by_month[0] != end || rr->by_set_pos[0] != end)
		return 0;
	if (ds->is_date || (until && (rr->until.is_date || rr->count > 0)))
		return 0;
	for (int i = 0; i < ICAL_BY_DAY_SIZE && rr->by_day[i] != end; i++) {
		int dw = (int)icalrecurrencetype_day_day_of_week(rr->by_day[i]);
		if (icalrecurrencetype_day_position(rr->by_day[i]) != 0 || dw < 1 || dw > 7)
			return 0;
		mask |= 1u << (dw - 1);
	}
	if (rr->freq == ICAL_DAILY_RECURRENCE)
		step = interval;
	else if (rr->freq == ICAL_WEEKLY_RECURRENCE)
		step = 7 * (int64_t)interval;
	else
		return 0;
	if (mask) {
		if (interval != 1)
			return 0;
		step = 1;
	}
	day = pst_days_civil(ds->year, ds->month, ds->day);
	if (mask && !(mask & (1u << pst_dow(day))))
		return 0;
	tod = ds->hour * 3600 + ds->minute * 60 + ds->second;
	if (until) {
		uday = pst_days_civil(rr->until.year, rr->until.month, rr->until.day);
		utod = rr->until.hour * 3600 + rr->until.minute * 60 + rr->until.second;
	}
	lastday = day;
	for (; cnt < limit; day += step) {
		if (mask && !(mask & (1u << pst_dow(day))))
			continue;
		if (rr->count > 0 && cnt >= (uint32_t)rr->count)
			break;
		if (until && (day > uday || (day == uday && tod > utod)))
			break;
		if (day >= stop)
			return 0;
		lastday = day;
		cnt++;
	}
	*n = cnt;
	*last = *ds;
	pst_civil_days(lastday, &y, &m, &d);
	last->year = y;
	last->month = m;
	last->day = d;
	return 1;
}

/* RRULE -> pattern; occurrences counted in local time. */
static int series_of(struct series *s, const struct ev *m, icalproperty *rp)
{
	struct icalrecurrencetype rr = icalproperty_get_rrule(rp);
	struct icaltimetype ds = local_of(m->start, m->zone), last, t;
	icalrecur_iterator *it;
	uint32_t mask = 0, nth = 0, interval = rr.interval > 0 ? (uint32_t)rr.interval : 1;
	int64_t setpos = rr.by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX ? rr.by_set_pos[0] : 0;
	uint32_t n = 0;
	int bounded;
	struct mf_buf pat;

	memset(s, 0, sizeof(*s));
	if (interval > 999)
		return -1;  /* Outlook's largest is 999 */
	for (int i = 0; i < ICAL_BY_DAY_SIZE && rr.by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int dw = (int)icalrecurrencetype_day_day_of_week(rr.by_day[i]);
		int pos = icalrecurrencetype_day_position(rr.by_day[i]);
		if (dw >= 1 && dw <= 7)
			mask |= 1u << (dw - 1);
		if (pos)
			nth = pos < 0 ? 5 : (uint32_t)pos;
	}
	if (!nth && setpos)
		nth = setpos < 0 ? 5 : (uint32_t)setpos;
	if (nth > 5 || (rr.by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX &&
			 rr.by_set_pos[1] != ICAL_RECURRENCE_ARRAY_MAX))
		return -1;
	s->r.first_dow = rr.week_start >= ICAL_SUNDAY_WEEKDAY && rr.week_start <= ICAL_SATURDAY_WEEKDAY ?
			 (uint32_t)(rr.week_start - 1) : 1;
	switch (rr.freq) {
	case ICAL_DAILY_RECURRENCE:
		s->type = 1;
		s->r.freq = PST_RECUR_DAILY;
		if (mask) {
			/* every weekday: a weekly pattern */
			if (interval != 1)
				return -1;
			s->r.pattern = PST_PAT_WEEK;
			s->r.mask = mask;
			s->r.period = 1;
			s->r.freq = PST_RECUR_WEEKLY;
			s->type = 2;
		} else {
			s->r.pattern = PST_PAT_DAY;
			s->r.period = interval * 1440;
		}
		break;
	case ICAL_WEEKLY_RECURRENCE:
		s->type = 2;
		s->r.freq = PST_RECUR_WEEKLY;
		s->r.pattern = PST_PAT_WEEK;
		s->r.period = interval;
		s->r.mask = mask ? mask : 1u << pst_dow(pst_days_civil(ds.year, ds.month, ds.day));
		break;
	case ICAL_MONTHLY_RECURRENCE:
	case ICAL_YEARLY_RECURRENCE:
		if (rr.freq == ICAL_MONTHLY_RECURRENCE) {
			s->type = 3;
			s->r.freq = PST_RECUR_MONTHLY;
			s->r.period = interval;
		} else {
			s->type = 4;
			s->r.freq = PST_RECUR_YEARLY;
			s->r.period = 12 * interval;
			if (rr.by_month[0] != ICAL_RECURRENCE_ARRAY_MAX &&
			    (rr.by_month[0] != ds.month || rr.by_month[1] != ICAL_RECURRENCE_ARRAY_MAX))
				return -1;
		}
		if (mask && nth) {
			s->r.pattern = PST_PAT_MONTH_NTH;
			s->r.mask = mask;
			s->r.nth = nth;
		} else if (mask) {
			return -1;
		} else {
			int d = rr.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ? rr.by_month_day[0] :
				ds.day;
			if (rr.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX &&
			    rr.by_month_day[1] != ICAL_RECURRENCE_ARRAY_MAX)
				return -1;
			s->r.pattern = PST_PAT_MONTH;
			s->r.day = (uint32_t)(d < 0 ? 31 : d);
		}
		break;
	default:
		return -1;
	}
	/* the occurrences, in local time */
	if (!icaltime_is_null_time(rr.until) && !rr.until.is_date) {
		time_t u;
		icaltimezone *uz = icaltime_is_utc(rr.until) ? icaltimezone_get_utc_timezone() : m->zone;
		struct icaltimetype ut = rr.until;
		ut.zone = NULL;
		u = icaltime_as_timet_with_zone(ut, uz);
		rr.until = local_of(u, m->zone);
		rr.until.zone = NULL;
	}
	ds.zone = NULL;
	ds.is_date = 0;
	last = ds;
	bounded = rr.count > 0 || !icaltime_is_null_time(rr.until);
	if (!pst_rrule_walk(&rr, &ds, bounded ? MAX_OCCURRENCES : 1, &n, &last)) {
		it = icalrecur_iterator_new(rr, ds);
		if (!it)
			return -1;
		for (t = icalrecur_iterator_next(it);
		     !icaltime_is_null_time(t) && n < (bounded ? MAX_OCCURRENCES : 1);
		     t = icalrecur_iterator_next(it)) {
			if (n == 0 && icaltime_compare(t, ds) != 0) {
				/* DTSTART is not an occurrence: Outlook's series start on one */
				icalrecur_iterator_free(it);
				return -1;
			}
			last = t;
			n++;
		}
		icalrecur_iterator_free(it);
	}
	if (n == 0)
		return -1;
	s->r.start_date = (uint32_t)pst_min1601(ds.year, ds.month, ds.day, 0, 0);
	s->r.start_offset = (uint32_t)(ds.hour * 60 + ds.minute);
	s->r.end_offset = s->r.start_offset + (uint32_t)((m->end - m->start) / 60);
	if (bounded) {
		if (n >= MAX_OCCURRENCES)
			return -1;
		s->r.end_type = rr.count > 0 ? PST_END_COUNT : PST_END_DATE;
		s->r.count = n;
		s->r.end_date = (uint32_t)pst_min1601(last.year, last.month, last.day, 0, 0);
	} else {
		s->r.end_type = PST_END_NEVER;
		s->r.count = 10;
		s->r.end_date = PST_NO_END_DATE;
	}
	pst_recur_first_datetime(&s->r);
	/* clip start and end: the first and last day, midnight UTC of the local dates */
	s->clip_start = pst_filetime((time_t)(pst_days_civil(ds.year, ds.month, ds.day) * 86400));
	s->clip_end = s->r.end_type == PST_END_NEVER ? CLIP_NEVER :
		      pst_filetime((time_t)(pst_days_civil(last.year, last.month, last.day) * 86400));
	/* the pattern in words */
	mf_buf_init(&pat, MF_BUF_UNBOUNDED);
	mf_buf_addf(&pat, "every %u %s", s->r.freq == PST_RECUR_DAILY ? interval :
		    s->r.freq == PST_RECUR_YEARLY ? interval : s->r.period,
		    s->r.freq == PST_RECUR_DAILY ? "day(s)" : s->r.freq == PST_RECUR_WEEKLY ?
		    "week(s)" : s->r.freq == PST_RECUR_MONTHLY ? "month(s)" : "year(s)");
	if (s->r.pattern == PST_PAT_MONTH_NTH) {
		static const char *const pos[6] = { "", "first", "second", "third", "fourth", "last" };
		mf_buf_addf(&pat, " on the %s", pos[s->r.nth]);
	} else if (s->r.pattern == PST_PAT_MONTH) {
		mf_buf_addf(&pat, " on day %u", s->r.day);
	}
	if (s->r.pattern == PST_PAT_WEEK || s->r.pattern == PST_PAT_MONTH_NTH)
		for (int d = 0; d < 7; d++)
			if (s->r.mask & (1u << d))
				mf_buf_addf(&pat, " %s", dayname[d]);
	if (s->r.pattern != PST_PAT_DAY && s->r.freq == PST_RECUR_YEARLY)
		mf_buf_addf(&pat, " of month %d", ds.month);
	if (s->r.end_type != PST_END_NEVER)
		mf_buf_addf(&pat, " until %04d-%02d-%02d (%u times)", last.year, last.month, last.day,
			    n);
	s->pattern = mf_buf_detach(&pat, NULL);
	s->ok = 1;
	return 0;
}

static void add_exc(struct series *s, const struct pst_recur_exc *e)
{
	/* one entry per original date: a later one replaces an earlier */
	for (size_t i = 0; i < s->nx; i++)
		if (s->x[i].orig / 1440 == e->orig / 1440) {
			if (!s->x[i].deleted || e->deleted)
				s->x[i] = *e;
			return;
		}
	s->x = mf_xreallocarray(s->x, s->nx + 1, sizeof(*s->x));
	s->x[s->nx++] = *e;
}

static int same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* ---- the property context of an appointment (series or exception) ---- */

static void text_crlf(struct mf_buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n')
			mf_buf_add(out, "\r\n", 2);
		else
			mf_buf_addch(out, *s);
	}
}

static void appt_props(struct pst_store *s, struct pst_pc *pc, const struct ev *e,
		       const char *klass, uint32_t flags)
{
	uint64_t ts = pst_filetime(e->start), en = pst_filetime(e->end);
	char *subj = mf_xasprintf("\x01\x01%s", e->summary ? e->summary : "");
	struct mf_buf body;
	pst_pc_str(pc, 0x001A, klass);
	pst_pc_str(pc, 0x0037, subj);
	pst_pc_str(pc, 0x0070, e->summary ? e->summary : "");
	free(subj);
	pst_pc_i4(pc, 0x0E07, flags);
	pst_pc_i4(pc, 0x0E08, 0);
	pst_pc_i4(pc, 0x0E17, 0);
	pst_pc_i4(pc, 0x0017, 1);
	pst_pc_i4(pc, 0x0036, e->sensitivity);
	pst_pc_i8(pc, 0x0060, PT_TIME, ts);
	pst_pc_i8(pc, 0x0061, PT_TIME, en);
	pst_pc_str(pc, 0x0E04, "");
	pst_pc_str(pc, 0x0E03, "");
	pst_pc_str(pc, 0x0E02, "");
	mf_buf_init(&body, MF_BUF_UNBOUNDED);
	text_crlf(&body, e->description);
	pst_pc_str(pc, 0x1000, body.len ? body.data : "");
	mf_buf_release(&body);
	pst_pc_i4(pc, A(0x8205), e->busy);
	if (e->location)
		pst_pc_str(pc, A(0x8208), e->location);
	pst_pc_i8(pc, A(0x820D), PT_TIME, ts);
	pst_pc_i8(pc, A(0x820E), PT_TIME, en);
	pst_pc_i4(pc, A(0x8213), (uint32_t)((e->end - e->start) / 60));
	pst_pc_bool(pc, A(0x8215), e->allday);
	pst_pc_i4(pc, A(0x8217), 0);
	pst_pc_i8(pc, C(0x8516), PT_TIME, ts);
	pst_pc_i8(pc, C(0x8517), PT_TIME, en);
	pst_pc_bool(pc, C(0x8506), e->sensitivity == 2);
	pst_pc_bool(pc, C(0x8503), e->has_alarm);
	pst_pc_i4(pc, C(0x8501), e->has_alarm ? (uint32_t)e->alarm_min : 15);
	pst_pc_i8(pc, C(0x8502), PT_TIME, ts);
	if (e->has_alarm)
		pst_pc_i8(pc, C(0x8560), PT_TIME, pst_filetime(e->start - (time_t)e->alarm_min * 60));
	if (e->stamp) {
		pst_pc_i8(pc, 0x3007, PT_TIME, pst_filetime(e->stamp));
		pst_pc_i8(pc, 0x3008, PT_TIME, pst_filetime(e->stamp));
	}
}

/* An empty recipient table in subs. */
static uint64_t no_recipients(struct pst_store *s, struct pst_sublist *subs)
{
	struct pst_tc t;
	uint64_t bd, bs, bytes;
	pst_tc_begin(&t, &s->nb, &pst_tc_recip, 0, 0);
	pst_tc_end(&t, &bd, &bs, &bytes);
	pst_sub_add(subs, 0x692, bd, bs);
	return bytes;
}

/* A changed occurrence: its embedded message, and the attachment object. */
static void exception_attach(struct pst_store *s, const struct ev *m, const struct ev *o,
			     uint32_t anid, struct pst_sublist *subs, struct pst_tc *tab,
			     uint64_t *extra)
{
	struct pst_sublist esub = { 0 }, asub = { 0 };
	struct pst_pc pc, apc;
	struct pst_pc_out eo, ao;
	struct pst_cell c[3];
	uint32_t enext = 1, anext = 1, enid;
	uint64_t ebytes = no_recipients(s, &esub), ebd, ebs;

	pst_pc_init(&pc);
	appt_props(s, &pc, o, "IPM.OLE.CLASS.{00061055-0000-0000-C000-000000000046}", 0x01);
	pst_pc_i8(&pc, A(0x8228), PT_TIME, pst_filetime(o->rid));
	pst_pc_bool(&pc, A(0x8206), !same(o->description, m->description));
	{
		uint8_t key[16];
		char *k = mf_xasprintf("%s\n%lld", icalcomponent_get_uid(o->c) ?
					  icalcomponent_get_uid(o->c) : "", (long long)o->rid);
		pst_hash16(key, "search-key", k);
		pst_pc_bin(&pc, 0x300B, key, 16);
		free(k);
	}
	pst_pc_write(&s->nb, &pc, &esub, &enext, 0x0E08, ebytes, &eo);
	ebd = eo.bid_data;
	ebs = pst_ndb_subtree(&s->nb, &esub);
	ebytes += eo.bytes;
	pst_pc_release(&pc);

	enid = PST_NID(NT_LTP, anext++);
	pst_sub_add(&asub, enid, ebd, ebs);
	pst_pc_init(&apc);
	pst_pc_object(&apc, 0x3701, enid, (uint32_t)ebytes);
	pst_pc_str(&apc, 0x3001, o->summary ? o->summary : "");
	pst_pc_i4(&apc, 0x3705, 5);
	pst_pc_i4(&apc, 0x370B, 0xFFFFFFFFu);
	pst_pc_i4(&apc, 0x3714, 0);
	pst_pc_bool(&apc, 0x7FFE, 1);
	pst_pc_i4(&apc, 0x7FFD, 2);
	pst_pc_i8(&apc, 0x7FFB, PT_TIME, local_ft(o->start, m->zone));
	pst_pc_i8(&apc, 0x7FFC, PT_TIME, local_ft(o->end, m->zone));
	pst_pc_i8(&apc, 0x7FF9, PT_TIME, pst_filetime(o->rid));
	pst_pc_i4(&apc, 0x0E20, 0);
	pst_pc_write(&s->nb, &apc, &asub, &anext, 0x0E20, ebytes, &ao);
	pst_sub_add(subs, anid, ao.bid_data, pst_ndb_subtree(&s->nb, &asub));
	*extra += ao.bytes + ebytes;
	memset(c, 0, sizeof(c));
	c[0].tag = 0x0E200003, c[0].v = pst_pc_get(&apc, 0x0E20)->inl;
	c[1].tag = 0x37050003, c[1].v = 5;
	c[2].tag = 0x370B0003, c[2].v = 0xFFFFFFFFu;
	pst_tc_row(tab, anid, 1, c, 3);
	pst_pc_release(&apc);
}

/* ---- the appointment ---- */

int pst_store_appointment(struct pst_store *s, icalcomponent *root, const char *tzid,
			  uint64_t *bytes, struct mf_diag *d)
{
	icalcomponent *c, *master = NULL;
	icaltimezone *deflt = zone_named(tzid);
	struct ev m, *ov = NULL;
	size_t nov = 0;
	struct series ser;
	struct pst_sublist subs = { 0 };
	struct pst_pc pc;
	struct pst_pc_out o;
	struct pst_rowinfo ri;
	struct pst_folder *f = pst_store_folder_nid(s, s->calendar);
	uint64_t extra = 0, bd, bs;
	uint32_t nid, next = 1, flags = 0x01;
	icalproperty *rp;
	uint8_t key[16];
	size_t nchanged = 0;

	memset(&ser, 0, sizeof(ser));
	if (!root)
		return mf_diag_set(d, MF_EFORMAT, NULL, MF_NO_OFFSET, "calendar item is not iCalendar");
	if (!f) {
		icalcomponent_free(root);
		return mf_diag_set(d, MF_ERR, NULL, MF_NO_OFFSET, "no Calendar folder");
	}
	/* the series, then its overrides */
	c = icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT ? root :
	    icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
	for (; c; c = c == root ? NULL : icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
		if (!icalcomponent_get_first_property(c, ICAL_RECURRENCEID_PROPERTY)) {
			if (!master)
				master = c;
		} else {
			ov = mf_xreallocarray(ov, nov + 1, sizeof(*ov));
			ov[nov++].c = c;
		}
	}
	if (!master) {
		free(ov);
		icalcomponent_free(root);
		return mf_diag_set(d, MF_EFORMAT, NULL, MF_NO_OFFSET, "calendar item has no VEVENT");
	}
	ev_read(&m, master, deflt);
	rp = icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY);
	if (rp && series_of(&ser, &m, rp) < 0) {
		struct icalrecurrencetype rr = icalproperty_get_rrule(rp);
		free(ov);
		icalcomponent_free(root);
		return mf_diag_set(d, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "recurrence rule '%.100s' has no Outlook pattern",
				   icalrecurrencetype_as_string(&rr));
	}
	if (ser.ok) {
		/* deleted occurrences */
		for (icalproperty *p = icalcomponent_get_first_property(master, ICAL_EXDATE_PROPERTY); p;
		     p = icalcomponent_get_next_property(master, ICAL_EXDATE_PROPERTY)) {
			struct pst_recur_exc e;
			time_t t;
			memset(&e, 0, sizeof(e));
			if (prop_time(p, icalproperty_get_exdate(p), m.zone, &t, NULL, NULL) < 0)
				continue;
			e.deleted = 1;
			e.orig = e.start = local_min(t, m.zone);
			e.end = e.start + (m.end - m.start) / 60;
			add_exc(&ser, &e);
		}
		/* changed occurrences */
		for (size_t i = 0; i < nov; i++) {
			struct pst_recur_exc e;
			ev_read(&ov[i], ov[i].c, m.zone);
			if (!ov[i].has_rid)
				continue;
			memset(&e, 0, sizeof(e));
			e.orig = local_min(ov[i].rid, m.zone);
			e.start = local_min(ov[i].start, m.zone);
			e.end = local_min(ov[i].end, m.zone);
			if (!same(ov[i].summary, m.summary)) {
				e.flags |= PST_OVR_SUBJECT;
				e.subject = ov[i].summary ? ov[i].summary : "";
			}
			if (!same(ov[i].location, m.location)) {
				e.flags |= PST_OVR_LOCATION;
				e.location = ov[i].location ? ov[i].location : "";
			}
			if (ov[i].busy != m.busy) {
				e.flags |= PST_OVR_BUSY;
				e.busy = ov[i].busy;
			}
			if (ov[i].has_alarm != m.has_alarm) {
				e.flags |= PST_OVR_REMINDER;
				e.reminder_set = (uint32_t)ov[i].has_alarm;
			}
			if (ov[i].has_alarm && ov[i].alarm_min != m.alarm_min) {
				e.flags |= PST_OVR_REMINDER_DELTA;
				e.reminder_delta = (uint32_t)ov[i].alarm_min;
			}
			if (ov[i].allday != m.allday) {
				e.flags |= PST_OVR_SUBTYPE;
				e.subtype = (uint32_t)ov[i].allday;
			}
			if (!same(ov[i].description, m.description))
				e.flags |= PST_OVR_BODY;
			e.flags |= PST_OVR_ATTACHMENT;
			add_exc(&ser, &e);
		}
	}
	/* the exception attachments, in the order of the original starts */
	{
		struct pst_tc tab;
		size_t k = 0;
		for (size_t i = 0; i < ser.nx; i++)
			nchanged += !ser.x[i].deleted;
		extra += no_recipients(s, &subs);
		if (nchanged) {
			struct pst_recur_exc tmp;
			/* sort as the blob does */
			for (size_t i = 1; i < ser.nx; i++)
				for (size_t j = i; j > 0 && ser.x[j - 1].orig > ser.x[j].orig; j--) {
					tmp = ser.x[j];
					ser.x[j] = ser.x[j - 1];
					ser.x[j - 1] = tmp;
				}
			pst_tc_begin(&tab, &s->nb, &pst_tc_attach, nchanged, 0);
			for (size_t i = 0; i < ser.nx; i++) {
				if (ser.x[i].deleted)
					continue;
				for (size_t j = 0; j < nov; j++)
					if (ov[j].has_rid && local_min(ov[j].rid, m.zone) == ser.x[i].orig) {
						exception_attach(s, &m, &ov[j],
								 PST_NID(NT_ATTACHMENT, 0x401 + k), &subs,
								 &tab, &extra);
						k++;
						break;
					}
			}
			{
				uint64_t tbd, tbs, tb;
				pst_tc_end(&tab, &tbd, &tbs, &tb);
				pst_sub_add(&subs, 0x671, tbd, tbs);
				extra += tb;
			}
			flags |= 0x10;
		}
	}
	pst_pc_init(&pc);
	appt_props(s, &pc, &m, "IPM.Appointment", flags);
	pst_pc_i4(&pc, 0x1080, ser.ok ? 0x401 : 0x400);
	pst_hash16(key, "search-key", icalcomponent_get_uid(master) ? icalcomponent_get_uid(master) : "");
	pst_pc_bin(&pc, 0x300B, key, 16);
	pst_pc_bool(&pc, A(0x8223), ser.ok);
	pst_pc_i4(&pc, A(0x8231), ser.ok ? ser.type : 0);
	tz_props(s, &pc, m.zone, m.start, ser.ok);
	if (ser.ok) {
		size_t bl;
		uint8_t *blob = pst_recur_blob(&ser.r, ser.x, ser.nx, &bl);
		pst_pc_bin(&pc, A(0x8216), blob, bl);
		pst_pc_str(&pc, A(0x8232), ser.pattern);
		pst_pc_i8(&pc, A(0x8235), PT_TIME, ser.clip_start);
		pst_pc_i8(&pc, A(0x8236), PT_TIME, ser.clip_end);
		free(blob);
	} else {
		pst_pc_i8(&pc, A(0x8235), PT_TIME, pst_filetime(m.start));
		pst_pc_i8(&pc, A(0x8236), PT_TIME, pst_filetime(m.end));
	}
	pst_pc_write(&s->nb, &pc, &subs, &next, 0x0E08, extra, &o);
	bd = o.bid_data;
	bs = pst_ndb_subtree(&s->nb, &subs);
	memset(&ri, 0, sizeof(ri));
	ri.flags = flags;
	ri.importance = 1;
	ri.sensitivity = m.sensitivity;
	ri.size = pst_pc_get(&pc, 0x0E08)->inl;
	ri.modified = m.stamp ? pst_filetime(m.stamp) : 0;
	ri.klass = mf_xstrdup("IPM.Appointment");
	ri.subject = mf_xasprintf("\x01\x01%s", m.summary ? m.summary : "");
	ri.topic = mf_xstrdup(m.summary ? m.summary : "");
	ri.to = mf_xstrdup("");
	ri.cc = mf_xstrdup("");
	*bytes = o.bytes + extra;
	pst_pc_release(&pc);
	free(ser.x);
	free(ser.pattern);
	free(ov);
	icalcomponent_free(root);
	if (s->nb.err) {
		pst_rowinfo_release(&ri);
		errno = s->nb.err;
		return mf_diag_errno(d, MF_EIO, s->nb.path, "cannot write appointment");
	}
	nid = PST_NID(NT_MESSAGE, s->next_msg++);
	pst_store_row(s, f, nid, bd, bs, &ri);
	pst_rowinfo_release(&ri);
	return MF_OK;
}
