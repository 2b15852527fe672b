/* SPDX-License-Identifier: MIT */
/*
 * pst_task.c: staged to-dos (calendar_items of kind 'todo', a VTODO in
 * iCalendar) as IPM.Task in the store's Tasks folder ([MS-OXOTASK]).
 *
 *   SUMMARY, DESCRIPTION    subject, body
 *   DTSTART, DUE            PidLidTaskStartDate / PidLidTaskDueDate (the
 *                           day at midnight, as Outlook keeps them) and
 *                           PidLidCommonStart / PidLidCommonEnd (UTC)
 *   STATUS, PERCENT-COMPLETE, COMPLETED
 *                           PidLidTaskStatus, PidLidPercentComplete,
 *                           PidLidTaskComplete, PidLidTaskDateCompleted
 *   PRIORITY                1-4 high, 5 (or none) normal, 6-9 low
 *   CLASS PRIVATE / CONFIDENTIAL
 *                           PidTagSensitivity 2 and PidLidPrivate
 *   VALARM TRIGGER          PidLidReminderSet, PidLidReminderTime and
 *                           PidLidReminderSignalTime (when it rings)
 *   RRULE                   PidLidTaskFRecurring and PidLidTaskRecurrence,
 *                           a RecurrencePattern ([MS-OXOCAL] 2.2.1.44.1):
 *                           daily, weekly with days, monthly on a day or
 *                           by position (incl. last), yearly likewise;
 *                           end by date, after a count, or never.
 * What a RecurrencePattern cannot say (BYHOUR, several positions) leaves
 * the task as a single one and is noted in the body's last line.
 */
#include "exporters/pst/pst.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/model.h"

enum {
	LID_TASK_STATUS = 0x8101, LID_PERCENT = 0x8102, LID_TASK_START = 0x8104,
	LID_TASK_DUE = 0x8105, LID_TASK_COMPLETED_DATE = 0x810F, LID_TASK_STATE = 0x8113,
	LID_TASK_RECURRENCE = 0x8116, LID_TASK_COMPLETE = 0x811C, LID_TASK_FRECURRING = 0x8126,
	LID_TASK_OWNERSHIP = 0x8129, LID_TASK_ACCEPTANCE = 0x812A,
	LID_REMINDER_DELTA = 0x8501, LID_REMINDER_TIME = 0x8502, LID_REMINDER_SET = 0x8503,
	LID_PRIVATE = 0x8506, LID_COMMON_START = 0x8516, LID_COMMON_END = 0x8517,
	LID_TASK_MODE = 0x8518, LID_REMINDER_SIGNAL = 0x8560,
};

#define NEVER_END 0x5AE980DFu
#define MAX_OCCURRENCES 100000

static int64_t to_utc(struct icaltimetype t)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	return (int64_t)icaltime_as_timet_with_zone(t, t.zone ? t.zone : utc);
}

/* The day of t at midnight, as seconds (the date Outlook shows). */
static int64_t day_of(struct icaltimetype t)
{
	struct icaltimetype d = t;
	d.is_date = 1;
	d.hour = d.minute = d.second = 0;
	d.zone = NULL;
	return (int64_t)icaltime_as_timet_with_zone(d, icaltimezone_get_utc_timezone());
}

/* Minutes since 1601-01-01 of a day given as Unix seconds at midnight. */
static uint32_t minutes1601(int64_t t)
{
	return (uint32_t)((t + 11644473600LL) / 60);
}

/* Days from 1601-01-01 to year/month/day (proleptic Gregorian). */
static int64_t days1601(int y, int m, int d)
{
	struct icaltimetype t = icaltime_null_date();
	t.year = y;
	t.month = m;
	t.day = d;
	t.is_date = 1;
	return ((int64_t)icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone()) +
		11644473600LL) / 86400;
}

static void put16(struct mf_buf *b, uint32_t v)
{
	uint8_t x[2];
	pst_w16(x, v);
	mf_buf_add(b, x, 2);
}

static void put32(struct mf_buf *b, uint32_t v)
{
	uint8_t x[4];
	pst_w32(x, v);
	mf_buf_add(b, x, 4);
}

/* The RecurrencePattern of rule from start (a date); 0 when it cannot be
 * said as one. */
static int recurrence(struct mf_buf *b, struct icalrecurrencetype *r, struct icaltimetype start)
{
	uint32_t freq, ptype, period, first, specific[2] = { 0, 0 }, nspec = 0, end_type, count = 10,
		 end_date = NEVER_END, firstdow;
	int64_t sday = day_of(start), sdays = (sday + 11644473600LL) / 86400;
	int interval = r->interval > 0 ? r->interval : 1, ndays = 0, npos = 0;

	if (r->by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX || r->by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX)
		return 0;
	while (ndays < ICAL_BY_DAY_SIZE && r->by_day[ndays] != ICAL_RECURRENCE_ARRAY_MAX)
		ndays++;
	while (npos < ICAL_BY_SETPOS_SIZE && r->by_set_pos[npos] != ICAL_RECURRENCE_ARRAY_MAX)
		npos++;
	firstdow = r->week_start >= ICAL_SUNDAY_WEEKDAY && r->week_start <= ICAL_SATURDAY_WEEKDAY ?
		   (uint32_t)(r->week_start - ICAL_SUNDAY_WEEKDAY) : 1;
	switch (r->freq) {
	case ICAL_DAILY_RECURRENCE:
		if (ndays)
			return 0;
		freq = 0x200A, ptype = 0, period = (uint32_t)interval * 1440;
		first = minutes1601(sday) % period;
		break;
	case ICAL_WEEKLY_RECURRENCE: {
		uint32_t mask = 0;
		int64_t wk;
		for (int i = 0; i < ndays; i++) {
			if (icalrecurrencetype_day_position(r->by_day[i]) != 0)
				return 0;
			mask |= 1u << (icalrecurrencetype_day_day_of_week(r->by_day[i]) - 1);
		}
		if (!mask)
			mask = 1u << (icaltime_day_of_week(start) - 1);
		freq = 0x200B, ptype = 1, period = (uint32_t)interval;
		/* the first day of the start's week, 1601-01-01 being a Monday */
		wk = sdays - ((sdays + 1 - (int64_t)firstdow) % 7 + 7) % 7;
		first = (uint32_t)((wk * 1440) % ((int64_t)period * 10080));
		specific[nspec++] = mask;
		break;
	}
	case ICAL_MONTHLY_RECURRENCE:
	case ICAL_YEARLY_RECURRENCE: {
		int yearly = r->freq == ICAL_YEARLY_RECURRENCE;
		int64_t months = (int64_t)(start.year - 1601) * 12 + (start.month - 1), m;
		if (yearly && r->by_month[0] != ICAL_RECURRENCE_ARRAY_MAX &&
		    (r->by_month[1] != ICAL_RECURRENCE_ARRAY_MAX || r->by_month[0] != start.month))
			return 0;
		freq = yearly ? 0x200D : 0x200C;
		period = (uint32_t)interval * (yearly ? 12 : 1);
		m = months % period;
		first = (uint32_t)(days1601(1601 + (int)(m / 12), (int)(m % 12) + 1, 1) * 1440);
		if (ndays || npos) {
			/* by position: BYDAY=2TU, or BYDAY=MO,TU;BYSETPOS=-1 */
			uint32_t mask = 0;
			int pos = 0;
			for (int i = 0; i < ndays; i++) {
				int p = icalrecurrencetype_day_position(r->by_day[i]);
				if (p && pos && p != pos)
					return 0;
				if (p)
					pos = p;
				mask |= 1u << (icalrecurrencetype_day_day_of_week(r->by_day[i]) - 1);
			}
			if (npos > 1 || (npos && pos))
				return 0;
			if (npos)
				pos = r->by_set_pos[0];
			if (pos == -1)
				pos = 5;
			if (pos < 1 || pos > 5 || !mask)
				return 0;
			ptype = 3;
			specific[nspec++] = mask;
			specific[nspec++] = (uint32_t)pos;
		} else {
			int day = r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ? r->by_month_day[0] :
				  start.day;
			if (r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX &&
			    r->by_month_day[1] != ICAL_RECURRENCE_ARRAY_MAX)
				return 0;
			if (day == -1)
				day = 31, ptype = 4;
			else if (day < 1 || day > 31)
				return 0;
			else
				ptype = 2;
			specific[nspec++] = (uint32_t)day;
		}
		break;
	}
	default:
		return 0;
	}
	/* the end: the last occurrence, counted by libical */
	if (r->count > 0 || !icaltime_is_null_time(r->until)) {
		icalrecur_iterator *it = icalrecur_iterator_new(*r, start);
		struct icaltimetype t, last = icaltime_null_time();
		int n = 0;
		if (!it)
			return 0;
		while (n < MAX_OCCURRENCES && !icaltime_is_null_time(t = icalrecur_iterator_next(it))) {
			last = t;
			n++;
		}
		icalrecur_iterator_free(it);
		if (!n || n >= MAX_OCCURRENCES)
			return 0;
		end_type = r->count > 0 ? 0x2022 : 0x2021;
		count = (uint32_t)n;
		end_date = minutes1601(day_of(last));
	} else {
		end_type = 0x2023;
	}
	put16(b, 0x3004);
	put16(b, 0x3004);
	put16(b, freq);
	put16(b, ptype);
	put16(b, 0);
	put32(b, first);
	put32(b, period);
	put32(b, 0);
	for (uint32_t i = 0; i < nspec; i++)
		put32(b, specific[i]);
	put32(b, end_type);
	put32(b, count);
	put32(b, firstdow);
	put32(b, 0);        /* deleted instances */
	put32(b, 0);        /* modified instances */
	put32(b, minutes1601(sday));
	put32(b, end_date);
	return 1;
}

static icalcomponent *the_todo(icalcomponent *c)
{
	if (!c)
		return NULL;
	if (icalcomponent_isa(c) == ICAL_VTODO_COMPONENT)
		return c;
	return icalcomponent_get_first_component(c, ICAL_VTODO_COMPONENT);
}

int pst_store_task(struct pst_store *s, const struct mf_calendar_item *item, uint64_t *bytes,
		   struct mf_diag *d)
{
	struct pst_pc pc;
	struct pst_rowinfo ri;
	struct pst_folder *f = &s->f[0];
	icalcomponent *root = icalparser_parse_string(item->ical ? item->ical : "");
	icalcomponent *c = the_todo(root), *alarm;
	icalproperty *p;
	struct icaltimetype start = icaltime_null_time(), due = icaltime_null_time();
	const char *summary = item->summary, *desc = NULL;
	char *subj;
	uint32_t nid, status = 0, imp = 1;
	double pct = 0;
	int complete = 0, priv = 0, rc;
	uint8_t key[16];
	int64_t completed = 0, stamp = 0;

	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].nid == s->tasks)
			f = &s->f[i];
	if (c) {
		start = icalcomponent_get_dtstart(c);
		if ((p = icalcomponent_get_first_property(c, ICAL_DUE_PROPERTY)))
			due = icalproperty_get_due(p);
		if (icalcomponent_get_summary(c))
			summary = icalcomponent_get_summary(c);
		desc = icalcomponent_get_description(c);
		switch (icalcomponent_get_status(c)) {
		case ICAL_STATUS_COMPLETED:
			status = 2, complete = 1, pct = 1.0;
			break;
		case ICAL_STATUS_INPROCESS:
			status = 1;
			break;
		case ICAL_STATUS_CANCELLED:
			status = 4;
			break;
		default:
			break;
		}
		if ((p = icalcomponent_get_first_property(c, ICAL_PERCENTCOMPLETE_PROPERTY))) {
			int v = icalproperty_get_percentcomplete(p);
			if (v >= 0 && v <= 100 && !complete) {
				pct = v / 100.0;
				if (v == 100)
					status = 2, complete = 1;
				else if (v > 0 && status == 0)
					status = 1;
			}
		}
		if ((p = icalcomponent_get_first_property(c, ICAL_DTSTAMP_PROPERTY)))
			stamp = to_utc(icalproperty_get_dtstamp(p));
		if ((p = icalcomponent_get_first_property(c, ICAL_COMPLETED_PROPERTY)))
			completed = to_utc(icalproperty_get_completed(p));
		if ((p = icalcomponent_get_first_property(c, ICAL_PRIORITY_PROPERTY))) {
			int v = icalproperty_get_priority(p);
			imp = v >= 1 && v <= 4 ? 2 : v >= 6 && v <= 9 ? 0 : 1;
		}
		if ((p = icalcomponent_get_first_property(c, ICAL_CLASS_PROPERTY))) {
			enum icalproperty_class k = icalproperty_get_class(p);
			priv = k == ICAL_CLASS_PRIVATE || k == ICAL_CLASS_CONFIDENTIAL;
		}
	}
	if (!summary)
		summary = "";
	subj = mf_xasprintf("\x01\x01%s", summary);
	pst_pc_init(&pc);
	pst_pc_str(&pc, 0x001A, "IPM.Task");
	pst_pc_str(&pc, 0x0037, subj);
	pst_pc_str(&pc, 0x0070, summary);
	pst_pc_str(&pc, 0x0E1D, summary);
	pst_pc_i4(&pc, 0x0E07, 0x01);
	pst_pc_i4(&pc, 0x0E17, 0);
	pst_pc_i4(&pc, 0x0017, imp);
	pst_pc_i4(&pc, 0x0026, imp == 2 ? 1 : imp == 0 ? 0xFFFFFFFFu : 0);
	pst_pc_i4(&pc, 0x0036, priv ? 2 : 0);
	pst_pc_i4(&pc, 0x1080, 0x0500);
	pst_hash16(key, "task", item->uid ? item->uid : "");
	pst_pc_bin(&pc, 0x300B, key, 16);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_task, LID_TASK_STATUS), status);
	{
		uint64_t bits;
		memcpy(&bits, &pct, 8);
		pst_pc_i8(&pc, pst_named(s, pst_psetid_task, LID_PERCENT), PT_DOUBLE, bits);
	}
	pst_pc_bool(&pc, pst_named(s, pst_psetid_task, LID_TASK_COMPLETE), complete);
	if (complete)
		pst_pc_i8(&pc, pst_named(s, pst_psetid_task, LID_TASK_COMPLETED_DATE), PT_TIME,
			  pst_filetime(completed ? completed : !icaltime_is_null_time(due) ?
				       day_of(due) : !icaltime_is_null_time(start) ? day_of(start) : 0));
	pst_pc_i4(&pc, pst_named(s, pst_psetid_task, LID_TASK_STATE), 1);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_task, LID_TASK_OWNERSHIP), 0);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_task, LID_TASK_ACCEPTANCE), 0);
	pst_pc_i4(&pc, pst_named(s, pst_psetid_common, LID_TASK_MODE), 0);
	pst_pc_bool(&pc, pst_named(s, pst_psetid_common, LID_PRIVATE), priv);
	if (!icaltime_is_null_time(start)) {
		pst_pc_i8(&pc, pst_named(s, pst_psetid_task, LID_TASK_START), PT_TIME,
			  pst_filetime(day_of(start)));
		pst_pc_i8(&pc, pst_named(s, pst_psetid_common, LID_COMMON_START), PT_TIME,
			  pst_filetime(to_utc(start)));
	}
	if (!icaltime_is_null_time(due)) {
		pst_pc_i8(&pc, pst_named(s, pst_psetid_task, LID_TASK_DUE), PT_TIME,
			  pst_filetime(day_of(due)));
		pst_pc_i8(&pc, pst_named(s, pst_psetid_common, LID_COMMON_END), PT_TIME,
			  pst_filetime(to_utc(due)));
	}
	/* the reminder: when the first alarm rings */
	alarm = c ? icalcomponent_get_first_component(c, ICAL_VALARM_COMPONENT) : NULL;
	if (alarm && (p = icalcomponent_get_first_property(alarm, ICAL_TRIGGER_PROPERTY))) {
		struct icaltriggertype tr = icalproperty_get_trigger(p);
		icalparameter *rel = icalproperty_get_first_parameter(p, ICAL_RELATED_PARAMETER);
		int end = rel && icalparameter_get_related(rel) == ICAL_RELATED_END;
		struct icaltimetype base = end || icaltime_is_null_time(start) ? due : start;
		int64_t when = 0;
		int ok = 0;
		if (!icaltime_is_null_time(tr.time)) {
			when = to_utc(tr.time), ok = 1;
		} else if (!icaltime_is_null_time(base)) {
			when = to_utc(base) + icaldurationtype_as_int(tr.duration), ok = 1;
		}
		if (ok) {
			pst_pc_bool(&pc, pst_named(s, pst_psetid_common, LID_REMINDER_SET), 1);
			pst_pc_i8(&pc, pst_named(s, pst_psetid_common, LID_REMINDER_TIME), PT_TIME,
				  pst_filetime(when));
			pst_pc_i8(&pc, pst_named(s, pst_psetid_common, LID_REMINDER_SIGNAL), PT_TIME,
				  pst_filetime(when));
			pst_pc_i4(&pc, pst_named(s, pst_psetid_common, LID_REMINDER_DELTA), 0);
		}
	}
	if (!pst_pc_get(&pc, pst_named(s, pst_psetid_common, LID_REMINDER_SET)))
		pst_pc_bool(&pc, pst_named(s, pst_psetid_common, LID_REMINDER_SET), 0);
	/* recurrence */
	{
		struct mf_buf body, rb;
		int recurring = 0;
		mf_buf_init(&body, MF_BUF_UNBOUNDED);
		mf_buf_init(&rb, MF_BUF_UNBOUNDED);
		if (desc)
			mf_buf_addstr(&body, desc);
		if (c && (p = icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY))) {
			struct icalrecurrencetype r = icalproperty_get_rrule(p);
			if (!icaltime_is_null_time(start) && recurrence(&rb, &r, start)) {
				recurring = 1;
				pst_pc_bin(&pc, pst_named(s, pst_psetid_task, LID_TASK_RECURRENCE), rb.data,
					   rb.len);
			} else {
				if (body.len)
					mf_buf_addstr(&body, "\r\n");
				mf_buf_addstr(&body, "Recurrence: ");
				mf_buf_addstr(&body, icalproperty_get_value_as_string(p));
			}
		}
		pst_pc_bool(&pc, pst_named(s, pst_psetid_task, LID_TASK_FRECURRING), recurring);
		if (body.len)
			pst_pc_str(&pc, 0x1000, body.data);
		mf_buf_release(&body);
		mf_buf_release(&rb);
	}
	memset(&ri, 0, sizeof(ri));
	ri.flags = 0x01;
	ri.importance = imp;
	ri.sensitivity = priv ? 2 : 0;
	ri.klass = mf_xstrdup("IPM.Task");
	ri.subject = subj;
	ri.topic = mf_xstrdup(summary);
	ri.to = mf_xstrdup("");
	ri.cc = mf_xstrdup("");
	ri.modified = pst_filetime(stamp);
	if (root)
		icalcomponent_free(root);
	rc = pst_store_item(s, f, &pc, &ri, &nid, bytes, d);
	pst_rowinfo_release(&ri);
	return rc;
}
