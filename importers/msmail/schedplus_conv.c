/* SPDX-License-Identifier: MIT */
/* schedplus_conv.c: Schedule+ .sc2 objects and .sch items to iCalendar
 * components and address book entries (see schedplus.h). */
#include "importers/msmail/schedplus_int.h"

/* ==== .sc2 conversion ==== */

enum sc2_kind { K_APPT, K_ALLDAY, K_TODO, K_PROJECT, K_CONTACT, K_OTHER };

static const char *const sc2_known[] = {
	"Text", "Notes", "Private", "BusyType", "Ring", "AlarmAmount", "AlarmTypeUnit",
	"Start", "End", "StartDate", "EndDate", "Priority", "Completed",
	"StartRecurringDate", "EndRecurringDate", "StartRecurringTime", "EndRecurringTime",
	"RecurringType", "DayInterval", "WeekInterval", "MonthInterval", "DayOfWeekMask",
	"DayOfWeekStart", "DayOfMonth", "WeekOfMonth", "MonthOfYear", "DayOfMonthMask",
	"MonthOfYearMask", NULL
};

static const char *const exc_known[] = {
	"InstanceDate", "Deleted", "Start", "End", "StartDate", "EndDate", "Text", "Notes",
	"Private", "BusyType", "Ring", "AlarmAmount", "AlarmTypeUnit", NULL
};

/* Contact properties, in mf_pab_entry field order (-1: display name,
 * -2: e-mail address). */
static const struct { const char *name; int field; } contact_props[] = {
	{ "FirstName", MF_PAB_FIRST }, { "GivenName", MF_PAB_FIRST },
	{ "LastName", MF_PAB_LAST }, { "Surname", MF_PAB_LAST },
	{ "Address", MF_PAB_STREET }, { "Street", MF_PAB_STREET },
	{ "BusinessAddress", MF_PAB_STREET }, { "StreetAddress", MF_PAB_STREET },
	{ "City", MF_PAB_CITY }, { "BusinessCity", MF_PAB_CITY },
	{ "State", MF_PAB_STATE }, { "BusinessState", MF_PAB_STATE },
	{ "Zip", MF_PAB_ZIP }, { "ZipCode", MF_PAB_ZIP }, { "PostalCode", MF_PAB_ZIP },
	{ "BusinessZip", MF_PAB_ZIP },
	{ "Country", MF_PAB_COUNTRY }, { "BusinessCountry", MF_PAB_COUNTRY },
	{ "Title", MF_PAB_TITLE }, { "JobTitle", MF_PAB_TITLE },
	{ "Company", MF_PAB_COMPANY }, { "CompanyName", MF_PAB_COMPANY },
	{ "Department", MF_PAB_DEPARTMENT }, { "Office", MF_PAB_OFFICE },
	{ "OfficeLocation", MF_PAB_OFFICE },
	{ "Assistant", MF_PAB_ASSISTANT }, { "AssistantName", MF_PAB_ASSISTANT },
	{ "BusinessPhone", MF_PAB_BUS_NUM }, { "Phone", MF_PAB_BUS_NUM },
	{ "WorkPhone", MF_PAB_BUS_NUM }, { "OfficePhone", MF_PAB_BUS_NUM },
	{ "BusinessPhone2", MF_PAB_BUS2_NUM }, { "AssistantPhone", MF_PAB_ASSIST_NUM },
	{ "Fax", MF_PAB_FAX_NUM }, { "BusinessFax", MF_PAB_FAX_NUM }, { "FaxNumber", MF_PAB_FAX_NUM },
	{ "HomePhone", MF_PAB_HOME_NUM }, { "HomePhone2", MF_PAB_HOME2_NUM },
	{ "MobilePhone", MF_PAB_MOBILE_NUM }, { "CellPhone", MF_PAB_MOBILE_NUM },
	{ "Mobile", MF_PAB_MOBILE_NUM },
	{ "Pager", MF_PAB_PAGER_NUM }, { "PagerNumber", MF_PAB_PAGER_NUM },
	{ "Notes", MF_PAB_NOTE },
	{ "Text", -1 }, { "DisplayName", -1 }, { "Name", -1 }, { "FullName", -1 },
	{ "EmailAddress", -2 }, { "Email", -2 }, { "EMail", -2 }, { "EmailName", -2 },
};

static int in_names(struct mf_span n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (mf_span_eq_ci(n, list[i]))
			return 1;
	return 0;
}

static enum sc2_kind sc2_classify(struct mf_span type, int *recurring)
{
	*recurring = 0;
	if (mf_span_eq_ci(type, "SingleAppointments"))
		return K_APPT;
	if (mf_span_eq_ci(type, "RecurringAppointments"))
		return *recurring = 1, K_APPT;
	if (mf_span_eq_ci(type, "SingleEvents"))
		return K_ALLDAY;
	if (mf_span_eq_ci(type, "RecurringEvents"))
		return *recurring = 1, K_ALLDAY;
	if (mf_span_eq_ci(type, "SingleTasks"))
		return K_TODO;
	if (mf_span_eq_ci(type, "RecurringTasks"))
		return *recurring = 1, K_TODO;
	if (mf_span_eq_ci(type, "Projects"))
		return K_PROJECT;
	if (mf_span_eq_ci(type, "Contacts"))
		return K_CONTACT;
	return K_OTHER;
}

static const char *pv(const struct mf_sc2_obj *o, const char *name)
{
	const struct mf_sc2_prop *p = mf_sc2_prop(o, name);
	return p ? p->value : NULL;
}

/* A date/time property; returns 1 when present and readable. */
static int prop_when(struct conv *c, const struct mf_sc2_obj *o, const char *name,
		     struct mf_civil *v, int *has_date, int *has_time)
{
	const struct mf_sc2_prop *p = mf_sc2_prop(o, name);
	if (!p)
		return 0;
	if (spl_parse_when(v, has_date, has_time, p->value) != MF_OK) {
		spl_report(c, MF_WARNING, "msmail.sc2-bad-date", p->offset,
			   "%s: '%.40s' is not mm-dd-yyyy[ hh:mm]; ignored", name, p->value);
		return 0;
	}
	return 1;
}

static int64_t to_utc(const struct conv *c, const struct mf_civil *v)
{
	int64_t t;
	if (c->utc || mf_tz_local_to_utc(&t, c->o->tzid, v) != MF_OK)
		t = mf_civil_to_utc_naive(v);
	return t;
}

/* VALARM for Ring: T (AlarmAmount units before the start). */
static void add_alarm(struct conv *c, icalcomponent *comp, const struct mf_sc2_obj *o,
		      const char *summary, const struct mf_civil *start, int have_start,
		      int start_is_date, int relate_end)
{
	const char *ring = pv(o, "Ring");
	int pa, oka, pu, oku;
	long amount = spl_prop_num(o, "AlarmAmount", &pa, &oka);
	long unit = spl_prop_num(o, "AlarmTypeUnit", &pu, &oku);
	icalcomponent *al;
	struct icaltriggertype tr;

	if (!ring || !spl_truthy(ring))
		return;
	if (!pa || !oka || amount < 0 || amount > 99999) {
		if (pa)
			spl_report(c, MF_WARNING, "msmail.sc2-alarm", o->offset,
				   "AlarmAmount '%.20s' is not a number; 15 minutes used",
				   pv(o, "AlarmAmount"));
		amount = 15;
		unit = 0;
	} else if (!pu) {
		unit = 0;
	} else if (!oku || unit < 0 || unit > 4) {
		spl_report(c, MF_WARNING, "msmail.sc2-alarm", o->offset,
			   "AlarmTypeUnit '%.20s' is not 0-4; minutes used", pv(o, "AlarmTypeUnit"));
		unit = 0;
	}
	memset(&tr, 0, sizeof(tr));
	tr.time = icaltime_null_time();
	tr.duration = icaldurationtype_null_duration();
	if (unit == 4) {
		/* months have no fixed length: an absolute trigger */
		struct mf_civil t = *start;
		int m;
		if (!have_start) {
			spl_report(c, MF_WARNING, "msmail.sc2-alarm", o->offset,
				   "alarm in months before an unknown start dropped");
			return;
		}
		m = t.year * 12 + (t.month - 1) - (int)amount;
		t.year = m / 12;
		t.month = m % 12 + 1;
		if (t.day > 28) {
			int maxd = spl_month_days_max(t.month);
			if (t.month == 2 && !((t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0))
				maxd = 28;
			if (t.day > maxd)
				t.day = maxd;
		}
		if (start_is_date)
			t.hour = t.min = t.sec = 0;
		tr.time = spl_ical_utc(to_utc(c, &t));
	} else {
		static const int secs[] = { 60, 3600, 86400, 604800 };
		tr.duration = icaldurationtype_from_int(-(int)(amount * secs[unit]));
	}
	al = icalcomponent_new_valarm();
	icalcomponent_add_property(al, icalproperty_new_action(ICAL_ACTION_DISPLAY));
	{
		icalproperty *tp = icalproperty_new_trigger(tr);
		if (relate_end && icaltime_is_null_time(tr.time))
			icalproperty_add_parameter(tp, icalparameter_new_related(ICAL_RELATED_END));
		icalcomponent_add_property(al, tp);
	}
	icalcomponent_add_property(al, icalproperty_new_description(summary && *summary ? summary
										       : "Reminder"));
	icalcomponent_add_component(comp, al);
}

static void add_busy(struct conv *c, icalcomponent *comp, const struct mf_sc2_obj *o)
{
	int pb, okb;
	long busy = spl_prop_num(o, "BusyType", &pb, &okb);
	if (!pb)
		return;
	if (okb && busy == 0) {
		icalcomponent_add_property(comp, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
		icalcomponent_add_property(comp, icalproperty_new_status(ICAL_STATUS_TENTATIVE));
	} else if (okb && busy == 1) {
		icalcomponent_add_property(comp, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	} else {
		spl_report(c, MF_INFO, "msmail.sc2-value", o->offset,
			   "BusyType '%.20s' is not 0 or 1; left out", pv(o, "BusyType"));
	}
}

static int contact_convert(struct conv *c, struct mf_cal_result *out, const struct mf_sc2_obj *o)
{
	struct mf_pab_entry *e = &out->pab;
	const char *display = NULL, *email = NULL;

	memset(e, 0, sizeof(*e));
	e->kind = "entry";
	for (size_t i = 0; i < o->n_props; i++) {
		const struct mf_sc2_prop *p = &o->props[i];
		int found = 0;
		for (size_t k = 0; k < MF_ARRAY_LEN(contact_props); k++) {
			if (!mf_span_eq_ci(p->name, contact_props[k].name))
				continue;
			found = 1;
			if (contact_props[k].field == -1) {
				if (!display)
					display = spl_utf8(c, p->value, p->value_len, p->offset);
			} else if (contact_props[k].field == -2) {
				if (!email)
					email = spl_utf8(c, p->value, p->value_len, p->offset);
			} else if (!e->field[contact_props[k].field]) {
				e->field[contact_props[k].field] = spl_utf8(c, p->value, p->value_len, p->offset);
			}
			break;
		}
		if (!found)
			spl_report(c, MF_INFO, "msmail.sc2-unknown-property", p->offset,
				   "contact property '%.*s' kept only in the raw object",
				   (int)(p->name.len > 40 ? 40 : p->name.len), (const char *)p->name.p);
	}
	if (!display || !*display) {
		const char *f = e->field[MF_PAB_FIRST], *l = e->field[MF_PAB_LAST];
		if ((f && *f) || (l && *l)) {
			if (f && *f && l && *l) {
				size_t n = strlen(f) + strlen(l) + 2;
				char *d = mf_arena_alloc(c->a, n);
				snprintf(d, n, "%s %s", f, l);
				display = d;
			} else {
				display = (f && *f) ? f : l;
			}
		} else if (e->field[MF_PAB_COMPANY] && *e->field[MF_PAB_COMPANY]) {
			display = e->field[MF_PAB_COMPANY];
		} else if (email && *email) {
			display = email;
		} else {
			display = "(no name)";
			spl_report(c, MF_WARNING, "msmail.sc2-contact-name", o->offset,
				   "contact without a name or company staged as '(no name)'");
		}
	}
	e->display_name = display;
	if (email && *email) {
		struct mf_span t = mf_span_trim(spl_span_of(email));
		size_t k = 0;
		while (k < t.len && t.p[k] != ':' && t.p[k] != '@')
			k++;
		if (k < t.len && t.p[k] == ':' && k > 0 && k <= 16) {
			char typ[24];
			e->address_type = mf_arena_strdup(c->a, mf_addrtype_canonical(typ,
							  (const char *)t.p, k));
			e->address = mf_arena_strndup(c->a, (const char *)t.p + k + 1, t.len - k - 1);
		} else {
			e->address_type = strchr(email, '@') ? "SMTP" : NULL;
			e->address = e->address_type ? email : NULL;
			if (!e->address_type)
				spl_report(c, MF_INFO, "msmail.sc2-value", o->offset,
					   "contact e-mail '%.40s' has no type and no '@'; kept in the "
					   "raw object only", email);
		}
	}
	e->raw = o->raw.p;
	e->raw_len = o->raw.len;
	e->src_offset = (int64_t)o->offset;
	out->what = MF_CAL_CONTACT;
	return MF_OK;
}

/* Add X-SCHEDPLUS-* for every property not in known[], with a report. */
static void add_unknown_props(struct conv *c, icalcomponent *comp, const struct mf_sc2_obj *o,
			      const char *const *known)
{
	for (size_t i = 0; i < o->n_props; i++) {
		const struct mf_sc2_prop *p = &o->props[i];
		if (in_names(p->name, known))
			continue;
		spl_add_x(c, comp, p->name, p->value, p->value_len, p->offset);
		spl_report(c, MF_INFO, "msmail.sc2-unknown-property", p->offset,
			   "property '%.*s' of %.*s kept verbatim (raw object and X-SCHEDPLUS- property)",
			   (int)(p->name.len > 40 ? 40 : p->name.len), (const char *)p->name.p,
			   (int)(o->type.len > 30 ? 30 : o->type.len), (const char *)o->type.p);
	}
}

struct times {
	int have_start, start_date, have_end, end_date;
	struct mf_civil start, end;   /* end: DTEND (exclusive) or DUE */
};

int mf_sc2_convert(struct mf_cal_result *out, const struct mf_sc2_obj *o,
		   const struct mf_cal_opts *opts, struct mf_arena *arena)
{
	struct conv c;
	int recurring = 0, rc = MF_OK;
	enum sc2_kind kind;
	icalcomponent *comp = NULL;
	struct times tm;
	char uid[80], rule[512];
	const char *summary = NULL, *notes = NULL, *why = NULL;
	int private_ = 0, is_todo;
	struct mf_buf ical;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&tm, 0, sizeof(tm));
	c.o = opts;
	c.a = arena;
	c.off = o->offset;
	c.utc = spl_zone_is_utc(opts->tzid);
	mf_buf_init(&c.tmp, MF_SCHED_VALUE_MAX * 4);
	mf_buf_init(&ical, MF_BUF_UNBOUNDED);
	icalerror_set_errors_are_fatal(0);

	kind = sc2_classify(o->type, &recurring);
	if (kind == K_CONTACT) {
		rc = contact_convert(&c, out, o);
		goto done;
	}
	is_todo = kind == K_TODO || kind == K_PROJECT;
	spl_make_uid(uid, opts, o->offset, o->raw);
	if (mf_sc2_prop(o, "Text"))
		summary = spl_utf8(&c, pv(o, "Text"), mf_sc2_prop(o, "Text")->value_len, o->offset);
	if (mf_sc2_prop(o, "Notes"))
		notes = spl_utf8(&c, pv(o, "Notes"), mf_sc2_prop(o, "Notes")->value_len, o->offset);
	private_ = pv(o, "Private") && spl_truthy(pv(o, "Private"));

	comp = kind == K_OTHER ? icalcomponent_new_vjournal()
			       : is_todo ? icalcomponent_new_vtodo() : icalcomponent_new_vevent();
	icalcomponent_add_property(comp, icalproperty_new_uid(uid));
	icalcomponent_add_property(comp, icalproperty_new_dtstamp(spl_ical_utc(opts->dtstamp)));

	/* times */
	if (kind == K_APPT && !recurring) {
		int hd, ht, hd2, ht2;
		if (prop_when(&c, o, "Start", &tm.start, &hd, &ht) && hd) {
			tm.have_start = 1;
			tm.start_date = !ht;
		} else if (prop_when(&c, o, "StartDate", &tm.start, &hd, &ht) && hd) {
			tm.have_start = 1;
			tm.start_date = 1;
		}
		if (tm.have_start && prop_when(&c, o, "End", &tm.end, &hd2, &ht2)) {
			if (!hd2) { /* a time only: same day */
				struct mf_civil e = tm.start;
				e.hour = tm.end.hour;
				e.min = tm.end.min;
				tm.end = e;
				ht2 = 1;
			}
			tm.have_end = 1;
			tm.end_date = !ht2;
			if (tm.start_date != tm.end_date) {
				tm.have_end = 0;
			} else if (tm.end_date) {
				spl_civil_add_days(&tm.end, 1); /* inclusive day */
			}
			if (tm.have_end && mf_civil_to_utc_naive(&tm.end) < mf_civil_to_utc_naive(&tm.start)) {
				spl_report(&c, MF_WARNING, "msmail.sc2-bad-date", o->offset,
					   "End before Start; DTEND left out");
				tm.have_end = 0;
			}
		}
		if (!tm.have_start)
			spl_report(&c, MF_WARNING, "msmail.sc2-no-start", o->offset,
				   "appointment without a readable Start");
	} else if ((kind == K_ALLDAY || kind == K_TODO || kind == K_PROJECT) && !recurring) {
		int hd, ht;
		if ((prop_when(&c, o, "StartDate", &tm.start, &hd, &ht) && hd) ||
		    (prop_when(&c, o, "Start", &tm.start, &hd, &ht) && hd)) {
			tm.have_start = 1;
			tm.start_date = 1;
			tm.start.hour = tm.start.min = tm.start.sec = 0;
		}
		if ((prop_when(&c, o, "EndDate", &tm.end, &hd, &ht) && hd) ||
		    (prop_when(&c, o, "End", &tm.end, &hd, &ht) && hd)) {
			tm.have_end = 1;
			tm.end_date = 1;
			tm.end.hour = tm.end.min = tm.end.sec = 0;
			if (kind == K_ALLDAY)
				spl_civil_add_days(&tm.end, 1); /* EndDate is inclusive */
		} else if (kind == K_ALLDAY && tm.have_start) {
			tm.end = tm.start;
			spl_civil_add_days(&tm.end, 1);
			tm.have_end = 1;
			tm.end_date = 1;
		}
		if (kind == K_ALLDAY && !tm.have_start)
			spl_report(&c, MF_WARNING, "msmail.sc2-no-start", o->offset,
				   "event without a readable StartDate");
		if (kind == K_ALLDAY && tm.have_start && tm.have_end &&
		    mf_civil_to_utc_naive(&tm.end) <= mf_civil_to_utc_naive(&tm.start)) {
			spl_report(&c, MF_WARNING, "msmail.sc2-bad-date", o->offset,
				   "EndDate before StartDate; a one-day event is staged");
			tm.end = tm.start;
			spl_civil_add_days(&tm.end, 1);
		}
	} else if (recurring) {
		int hd, ht, hd2, ht2;
		struct mf_civil tstart, tend;
		if (prop_when(&c, o, "StartRecurringDate", &tm.start, &hd, &ht) && hd) {
			tm.have_start = 1;
			tm.start_date = 1;
			tm.start.hour = tm.start.min = tm.start.sec = 0;
		}
		if (kind == K_APPT && tm.have_start &&
		    prop_when(&c, o, "StartRecurringTime", &tstart, &hd, &ht) && ht) {
			tm.start_date = 0;
			tm.start.hour = tstart.hour;
			tm.start.min = tstart.min;
			tm.end = tm.start;
			if (prop_when(&c, o, "EndRecurringTime", &tend, &hd2, &ht2) && ht2) {
				tm.end.hour = tend.hour;
				tm.end.min = tend.min;
				if (mf_civil_to_utc_naive(&tm.end) <= mf_civil_to_utc_naive(&tm.start))
					spl_civil_add_days(&tm.end, 1); /* ends after midnight */
				tm.have_end = 1;
			}
		} else if (tm.have_start && kind != K_TODO) {
			/* all-day: one day long */
			tm.end = tm.start;
			spl_civil_add_days(&tm.end, 1);
			tm.have_end = 1;
			tm.end_date = 1;
		}
		if (!tm.have_start) {
			spl_report(&c, MF_WARNING, "msmail.sc2-no-start", o->offset,
				   "recurring item without a readable StartRecurringDate: staged "
				   "without its recurrence");
			recurring = 0;
		}
	}

	if (recurring) {
		if (spl_sc2_rrule_start(rule, sizeof(rule), o, &tm.start, &why) != MF_OK) {
			spl_report(&c, MF_WARNING, "msmail.sc2-recurrence", o->offset,
				   "recurrence not understood (%s): the first occurrence is staged alone",
				   why);
			recurring = 0;
		} else {
			struct icalrecurrencetype r = icalrecurrencetype_from_string(rule);
			struct mf_civil until;
			int hd, ht, have_until = 0;
			if (r.freq == ICAL_NO_RECURRENCE) {
				spl_report(&c, MF_WARNING, "msmail.sc2-recurrence", o->offset,
					   "recurrence rule '%s' refused by libical; first occurrence only", rule);
				recurring = 0;
			} else {
				/* DTSTART: the first real occurrence on or after the start */
				/* (as a date-time: libical 3.0 can loop for ever
				 * on a DATE start that the rule does not match) */
				struct icaltimetype st = spl_ical_time(&c, &tm.start, 0);
				icalrecur_iterator *it;
				st.zone = NULL;
				it = icalrecur_iterator_new(r, st);
				if (it) {
					struct icaltimetype first = icalrecur_iterator_next(it);
					icalrecur_iterator_free(it);
					if (!icaltime_is_null_time(first)) {
						int shift = (int)(mf_days_from_civil(first.year, first.month, first.day) -
								  mf_days_from_civil(tm.start.year, tm.start.month,
										     tm.start.day));
						if (shift > 0) {
							spl_civil_add_days(&tm.start, shift);
							if (tm.have_end)
								spl_civil_add_days(&tm.end, shift);
						}
					}
				}
				if (prop_when(&c, o, "EndRecurringDate", &until, &hd, &ht) && hd) {
					have_until = 1;
					if (tm.start_date) {
						r.until = icaltime_null_date();
						r.until.year = until.year;
						r.until.month = until.month;
						r.until.day = until.day;
					} else {
						until.hour = 23;
						until.min = 59;
						until.sec = 59;
						r.until = spl_ical_utc(to_utc(&c, &until));
					}
				}
				(void)have_until;
				icalcomponent_add_property(comp, icalproperty_new_rrule(r));
			}
		}
	}

	/* the master component's properties */
	if (tm.have_start) {
		spl_add_time(&c, comp, icalproperty_new_dtstart, &tm.start, tm.start_date);
		out->item.has_dtstart = 1;
		out->item.dtstart_utc = to_utc(&c, &tm.start);
	}
	if (tm.have_end && kind != K_OTHER)
		spl_add_time(&c, comp, is_todo ? icalproperty_new_due : icalproperty_new_dtend, &tm.end,
			     tm.end_date);
	spl_add_text(comp, icalproperty_new_summary, summary);
	spl_add_text(comp, icalproperty_new_description, notes);
	if (private_)
		icalcomponent_add_property(comp, icalproperty_new_class(ICAL_CLASS_PRIVATE));
	if (kind == K_APPT || kind == K_ALLDAY)
		add_busy(&c, comp, o);
	if (is_todo) {
		int pp, okp;
		long pr = spl_prop_num(o, "Priority", &pp, &okp);
		if (pp) {
			int ip = okp ? mf_sc2_priority(pr) : 0;
			if (ip)
				icalcomponent_add_property(comp, icalproperty_new_priority(ip));
			else
				spl_report(&c, MF_INFO, "msmail.sc2-value", o->offset,
					   "Priority '%.20s' is not a Schedule+ priority code; left out",
					   pv(o, "Priority"));
		}
		if (pv(o, "Completed") && spl_truthy(pv(o, "Completed")))
			icalcomponent_add_property(comp, icalproperty_new_status(ICAL_STATUS_COMPLETED));
	}
	if (kind != K_OTHER)
		add_alarm(&c, comp, o, summary, &tm.start, tm.have_start, tm.start_date,
			  is_todo && !tm.have_start && tm.have_end);
	if (kind == K_OTHER) {
		spl_report(&c, MF_WARNING, "msmail.sc2-unknown-object", o->offset,
			   "object type '%.*s' is not one mailferry maps; staged as a journal entry "
			   "with its properties", (int)(o->type.len > 40 ? 40 : o->type.len),
			   (const char *)o->type.p);
		add_unknown_props(&c, comp, o, (const char *const[]){ "Text", "Notes", "Private", NULL });
	} else {
		add_unknown_props(&c, comp, o, sc2_known);
	}

	/* exceptions */
	{
		struct mf_buf overrides;
		mf_buf_init(&overrides, MF_BUF_UNBOUNDED);
		for (size_t i = 0; i < o->n_children; i++) {
			const struct mf_sc2_obj *x = &o->children[i];
			struct mf_civil inst, rid;
			int hd, ht;
			if (!mf_span_eq_ci(x->type, "Exceptions") && !mf_span_eq_ci(x->type, "Exception")) {
				spl_report(&c, MF_WARNING, "msmail.sc2-unknown-object", x->offset,
					   "nested object '%.*s' kept only in the raw object",
					   (int)(x->type.len > 40 ? 40 : x->type.len), (const char *)x->type.p);
				continue;
			}
			if (!recurring) {
				spl_report(&c, MF_WARNING, "msmail.sc2-exception", x->offset,
					   "exception of an item that does not recur kept only in the raw object");
				continue;
			}
			if (!prop_when(&c, x, "InstanceDate", &inst, &hd, &ht) || !hd) {
				spl_report(&c, MF_WARNING, "msmail.sc2-exception", x->offset,
					   "exception without a readable InstanceDate kept only in the raw object");
				continue;
			}
			rid = tm.start;
			rid.year = inst.year;
			rid.month = inst.month;
			rid.day = inst.day;
			for (size_t k = 0; k < x->n_props; k++)
				if (!in_names(x->props[k].name, exc_known))
					spl_report(&c, MF_INFO, "msmail.sc2-unknown-property", x->props[k].offset,
						   "exception property '%.*s' kept only in the raw object",
						   (int)(x->props[k].name.len > 40 ? 40 : x->props[k].name.len),
						   (const char *)x->props[k].name.p);
			if (pv(x, "Deleted") && spl_truthy(pv(x, "Deleted"))) {
				spl_add_time(&c, comp, icalproperty_new_exdate, &rid, tm.start_date);
				out->n_exdates++;
			} else {
				icalcomponent *ov = is_todo ? icalcomponent_new_vtodo() : icalcomponent_new_vevent();
				struct times xt = tm;
				int hd2, ht2;
				const char *xs = summary, *xn = notes;
				char *s;
				/* the instance keeps the series' times unless told */
				xt.start = rid;
				if (tm.have_end) {
					int64_t len = mf_civil_to_utc_naive(&tm.end) - mf_civil_to_utc_naive(&tm.start);
					mf_utc_to_civil(&xt.end, mf_civil_to_utc_naive(&xt.start) + len);
				}
				if ((prop_when(&c, x, "Start", &inst, &hd, &ht) ||
				     prop_when(&c, x, "StartDate", &inst, &hd, &ht)) && hd) {
					xt.start = inst;
					xt.start_date = !ht;
					if (xt.start_date != tm.start_date) {
						xt.start_date = tm.start_date;
						if (!ht) {
							xt.start.hour = tm.start.hour;
							xt.start.min = tm.start.min;
						}
					}
					if (tm.have_end) {
						int64_t len = mf_civil_to_utc_naive(&tm.end) -
							      mf_civil_to_utc_naive(&tm.start);
						mf_utc_to_civil(&xt.end, mf_civil_to_utc_naive(&xt.start) + len);
					}
				}
				if ((prop_when(&c, x, "End", &inst, &hd2, &ht2) ||
				     prop_when(&c, x, "EndDate", &inst, &hd2, &ht2)) && hd2) {
					xt.end = inst;
					if (xt.start_date) {
						xt.end.hour = xt.end.min = xt.end.sec = 0;
						if (!is_todo)
							spl_civil_add_days(&xt.end, 1);
					} else if (!ht2) {
						xt.end.hour = tm.end.hour;
						xt.end.min = tm.end.min;
					}
					xt.have_end = 1;
				}
				if (pv(x, "Text"))
					xs = spl_utf8(&c, pv(x, "Text"), mf_sc2_prop(x, "Text")->value_len, x->offset);
				if (pv(x, "Notes"))
					xn = spl_utf8(&c, pv(x, "Notes"), mf_sc2_prop(x, "Notes")->value_len, x->offset);
				icalcomponent_add_property(ov, icalproperty_new_uid(uid));
				icalcomponent_add_property(ov, icalproperty_new_dtstamp(spl_ical_utc(opts->dtstamp)));
				spl_add_time(&c, ov, icalproperty_new_recurrenceid, &rid, tm.start_date);
				spl_add_time(&c, ov, icalproperty_new_dtstart, &xt.start, xt.start_date);
				if (xt.have_end)
					spl_add_time(&c, ov, is_todo ? icalproperty_new_due : icalproperty_new_dtend,
						     &xt.end, xt.start_date);
				spl_add_text(ov, icalproperty_new_summary, xs);
				spl_add_text(ov, icalproperty_new_description, xn);
				if (private_ || (pv(x, "Private") && spl_truthy(pv(x, "Private"))))
					icalcomponent_add_property(ov, icalproperty_new_class(ICAL_CLASS_PRIVATE));
				if (!is_todo)
					add_busy(&c, ov, mf_sc2_prop(x, "BusyType") ? x : o);
				add_alarm(&c, ov, mf_sc2_prop(x, "Ring") ? x : o, xs, &xt.start, 1,
					  xt.start_date, 0);
				s = icalcomponent_as_ical_string_r(ov);
				if (s)
					mf_buf_addstr(&overrides, s);
				free(s);
				icalcomponent_free(ov);
				out->n_overrides++;
			}
		}
		mf_buf_addstr(&ical, spl_comp_text(&c, comp));
		mf_buf_add(&ical, overrides.data, overrides.len);
		mf_buf_release(&overrides);
	}

	out->what = MF_CAL_ITEM;
	out->item.kind = kind == K_OTHER ? "journal" : is_todo ? "todo" : "event";
	out->item.uid = mf_arena_strdup(arena, uid);
	out->item.summary = summary;
	out->item.timezone = c.utc ? "UTC" : opts->tzid;
	out->item.recurring = recurring;
	out->item.ical = mf_arena_strndup(arena, ical.data, ical.len);
	out->item.raw = o->raw.p;
	out->item.raw_len = o->raw.len;
	out->item.src_offset = (int64_t)o->offset;
	out->item.source_type = mf_arena_strndup(arena, (const char *)o->type.p, o->type.len);
done:
	if (comp)
		icalcomponent_free(comp);
	mf_buf_release(&c.tmp);
	mf_buf_release(&ical);
	return rc;
}

/* ==== .sch conversion ==== */

static const char *const sch_known[] = {
	"aid", "szText", "fTask", "aidProject", "bpri", "aidParent", "aaplWorld",
	"wgrfValidMonths", "bgrfValidDows", "trecur", NULL
};

static const struct mf_sch_field *sch_field(const struct mf_sch_item *it, const char *name)
{
	for (size_t i = 0; i < it->n_fields; i++)
		if (mf_span_eq_ci(it->fields[i].name, name))
			return &it->fields[i];
	return NULL;
}

static const char *sv(const struct mf_sch_item *it, const char *name)
{
	const struct mf_sch_field *f = sch_field(it, name);
	return f ? f->value : NULL;
}

int mf_sch_convert(struct mf_cal_result *out, const struct mf_sch_item *it,
		   struct mf_sch_state *state, const struct mf_cal_opts *opts,
		   struct mf_arena *arena)
{
	struct conv c;
	char uid[80], rule[256];
	const char *summary = NULL, *why;
	int is_task, is_project;
	icalcomponent *comp;
	int ok;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.o = opts;
	c.a = arena;
	c.off = it->offset;
	c.utc = spl_zone_is_utc(opts->tzid);
	mf_buf_init(&c.tmp, MF_SCHED_VALUE_MAX * 4);
	icalerror_set_errors_are_fatal(0);

	spl_make_uid(uid, opts, it->offset, it->raw);
	if (sch_field(it, "szText"))
		summary = spl_utf8(&c, sv(it, "szText"), sch_field(it, "szText")->value_len, it->offset);
	is_task = sv(it, "fTask") && spl_truthy(sv(it, "fTask"));
	is_project = is_task && sch_field(it, "aidProject");

	comp = is_task ? icalcomponent_new_vtodo() : icalcomponent_new_vjournal();
	icalcomponent_add_property(comp, icalproperty_new_uid(uid));
	icalcomponent_add_property(comp, icalproperty_new_dtstamp(spl_ical_utc(opts->dtstamp)));
	spl_add_text(comp, icalproperty_new_summary, summary);
	if (sch_field(it, "aaplWorld"))
		icalcomponent_add_property(comp, icalproperty_new_class(ICAL_CLASS_PRIVATE));
	if (is_project) {
		long aid = spl_num(sv(it, "aidProject"), &ok);
		if (ok && state && state->n_projects < MF_ARRAY_LEN(state->project)) {
			state->project[state->n_projects].aid = aid;
			snprintf(state->project[state->n_projects].uid,
				 sizeof(state->project[0].uid), "%s", uid);
			state->n_projects++;
		}
	} else if (is_task) {
		if (sv(it, "bpri")) {
			long b = spl_num(sv(it, "bpri"), &ok);
			if (ok && b >= 1 && b <= 35)
				icalcomponent_add_property(comp, icalproperty_new_priority(b <= 9 ? (int)b : 9));
			else
				spl_report(&c, MF_INFO, "msmail.sch-value", sch_field(it, "bpri")->offset,
					   "bpri '%.20s' is not 1-35; left out", sv(it, "bpri"));
		}
		if (sv(it, "aidParent")) {
			long aid = spl_num(sv(it, "aidParent"), &ok);
			size_t k;
			for (k = 0; ok && state && k < state->n_projects; k++)
				if (state->project[k].aid == aid)
					break;
			if (ok && state && k < state->n_projects)
				icalcomponent_add_property(comp, icalproperty_new_relatedto(state->project[k].uid));
			else
				spl_report(&c, MF_INFO, "msmail.sch-value", sch_field(it, "aidParent")->offset,
					   "aidParent '%.20s' names no project exported before it",
					   sv(it, "aidParent"));
		}
	}
	if (sv(it, "trecur")) {
		if (mf_sch_rrule(rule, sizeof(rule), sv(it, "trecur"), sv(it, "wgrfValidMonths"),
				 sv(it, "bgrfValidDows"), &why) == MF_OK) {
			icalproperty *p = icalproperty_new_x(rule);
			icalproperty_set_x_name(p, "X-SCHEDPLUS-RRULE");
			icalcomponent_add_property(comp, p);
		} else {
			spl_report(&c, MF_INFO, "msmail.sch-value", sch_field(it, "trecur")->offset,
				   "recurrence not understood (%s)", why);
		}
	}
	for (size_t i = 0; i < it->n_fields; i++) {
		const struct mf_sch_field *f = &it->fields[i];
		if (in_names(f->name, sch_known))
			continue;
		spl_add_x(&c, comp, f->name, f->value, f->value_len, f->offset);
		spl_report(&c, MF_INFO, "msmail.sch-unknown-field", f->offset,
			   "field '%.*s' kept verbatim (raw item and X-SCHEDPLUS- property)",
			   (int)(f->name.len > 40 ? 40 : f->name.len), (const char *)f->name.p);
	}
	if (!is_task) {
		/* no confirmed date field: keep the whole item readable */
		const char *d = spl_utf8(&c, (const char *)it->raw.p, it->raw.len, it->offset);
		spl_add_text(comp, icalproperty_new_description, d);
		spl_report(&c, MF_WARNING, "msmail.sch-undated", it->offset,
			   "Schedule+ 1.0 item '%.*s' has no field mailferry reads a date from; staged "
			   "as a journal entry holding the whole item", (int)(it->keyword.len > 30 ? 30 :
			   it->keyword.len), (const char *)it->keyword.p);
	}

	out->what = MF_CAL_ITEM;
	out->item.kind = is_task ? "todo" : "journal";
	out->item.uid = mf_arena_strdup(arena, uid);
	out->item.summary = summary;
	out->item.timezone = c.utc ? "UTC" : opts->tzid;
	out->item.ical = spl_comp_text(&c, comp);
	out->item.raw = it->raw.p;
	out->item.raw_len = it->raw.len;
	out->item.src_offset = (int64_t)it->offset;
	out->item.source_type = mf_arena_strndup(arena, (const char *)it->keyword.p, it->keyword.len);
	icalcomponent_free(comp);
	mf_buf_release(&c.tmp);
	return MF_OK;
}
