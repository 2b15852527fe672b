/* SPDX-License-Identifier: MIT */
/* schedplus_rrule.c: Schedule+ conversion helpers (text, dates, iCalendar
 * properties) and recurrence patterns as RRULEs (see schedplus.h). */
#include "importers/msmail/schedplus_int.h"

/* ==== conversion helpers ==== */


void spl_report(struct conv *c, enum mf_severity sev, const char *code, uint64_t off,
		const char *fmt, ...)
{
	char text[512];
	va_list ap;
	if (!c->o->problem)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->o->problem(c->o->pctx, sev, code, off, text);
}

int spl_zone_is_utc(const char *z)
{
	static const char *const u[] = { "UTC", "GMT", "Etc/UTC", "Etc/GMT", "Etc/Universal",
		"Universal", "Zulu", "Etc/Zulu", "UCT", "Etc/UCT", NULL };
	if (!z || !*z)
		return 1;
	for (size_t i = 0; u[i]; i++)
		if (mf_strcaseeq(z, u[i]))
			return 1;
	return 0;
}

/* Calendar text (code page bytes) to UTF-8 in the arena. */
char *spl_utf8(struct conv *c, const char *s, size_t n, uint64_t off)
{
	size_t repl = 0;
	mf_buf_reset(&c->tmp);
	if (c->o->cs)
		mf_charset_to_utf8(c->o->cs, s, n, &c->tmp, &repl);
	else
		mf_utf8_sanitize(s, n, &c->tmp, &repl);
	if (repl)
		spl_report(c, MF_INFO, "msmail.cal-charset", off,
			   "%zu byte(s) with no mapping in the calendar code page became U+FFFD", repl);
	return mf_arena_strndup(c->a, c->tmp.data, c->tmp.len);
}

long spl_num(const char *s, int *ok)
{
	char *end;
	long v;
	while (*s == ' ' || *s == '\t')
		s++;
	v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	*ok = end != s && *end == '\0';
	return v;
}

int spl_truthy(const char *s)
{
	while (*s == ' ')
		s++;
	return s[0] == 'T' || s[0] == 't' || s[0] == '1' || s[0] == 'Y' || s[0] == 'y';
}

/* Parse "mm-dd-yyyy[ hh:mm]" or "hh:mm".  *has_date / *has_time say what
 * was there.  MF_OK or MF_EFORMAT. */
int spl_parse_when(struct mf_civil *c, int *has_date, int *has_time, const char *s)
{
	unsigned fl = 0;
	size_t n = strlen(s);
	memset(c, 0, sizeof(*c));
	*has_date = *has_time = 0;
	if (mf_date_parse(c, &fl, s, n, MF_ORDER_MDY) == MF_OK) {
		*has_date = 1;
		*has_time = !(fl & MF_DATE_NO_TIME);
		return MF_OK;
	}
	{
		struct mf_span t = mf_span_trim(spl_span_of(s));
		if (mf_time_parse(c, (const char *)t.p, t.len) == MF_OK) {
			*has_time = 1;
			return MF_OK;
		}
	}
	return MF_EFORMAT;
}

void spl_civil_add_days(struct mf_civil *c, int days)
{
	int64_t d = mf_days_from_civil(c->year, c->month, c->day) + days;
	struct mf_civil u;
	mf_utc_to_civil(&u, d * 86400);
	c->year = u.year;
	c->month = u.month;
	c->day = u.day;
}

static int civil_weekday(const struct mf_civil *c)
{
	int64_t d = mf_days_from_civil(c->year, c->month, c->day);
	/* 1970-01-01 was a Thursday (4) */
	return (int)(((d % 7) + 7 + 4) % 7);
}

struct icaltimetype spl_ical_time(const struct conv *c, const struct mf_civil *v, int is_date)
{
	struct icaltimetype t = is_date ? icaltime_null_date() : icaltime_null_time();
	t.year = v->year;
	t.month = v->month;
	t.day = v->day;
	if (!is_date) {
		t.hour = v->hour;
		t.minute = v->min;
		t.second = v->sec;
		if (c->utc)
			t.zone = icaltimezone_get_utc_timezone();
	}
	return t;
}

struct icaltimetype spl_ical_utc(int64_t t)
{
	struct mf_civil u;
	struct icaltimetype r = icaltime_null_time();
	mf_utc_to_civil(&u, t);
	r.year = u.year;
	r.month = u.month;
	r.day = u.day;
	r.hour = u.hour;
	r.minute = u.min;
	r.second = u.sec;
	r.zone = icaltimezone_get_utc_timezone();
	return r;
}

/* Add a date or date-time property (TZID unless date or UTC). */
void spl_add_time(const struct conv *c, icalcomponent *comp,
		  icalproperty *(*ctor)(struct icaltimetype), const struct mf_civil *v,
		  int is_date)
{
	icalproperty *p = ctor(spl_ical_time(c, v, is_date));
	if (!is_date && !c->utc)
		icalproperty_add_parameter(p, icalparameter_new_tzid(c->o->tzid));
	icalcomponent_add_property(comp, p);
}

void spl_add_text(icalcomponent *comp, icalproperty *(*ctor)(const char *), const char *v)
{
	if (v && *v)
		icalcomponent_add_property(comp, ctor(v));
}

void spl_add_x(struct conv *c, icalcomponent *comp, struct mf_span name, const char *val,
	       size_t len, uint64_t off)
{
	char xname[64] = "X-SCHEDPLUS-";
	size_t n = strlen(xname);
	icalproperty *p;
	for (size_t i = 0; i < name.len && n < sizeof(xname) - 1; i++) {
		unsigned char ch = name.p[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (unsigned char)(ch - 32);
		xname[n++] = (char)(((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) ? ch : '-');
	}
	xname[n] = '\0';
	p = icalproperty_new_x(spl_utf8(c, val, len, off));
	icalproperty_set_x_name(p, xname);
	icalcomponent_add_property(comp, p);
}

/* The component's text into the buffer c->tmp is not used: straight into arena. */
char *spl_comp_text(struct conv *c, icalcomponent *comp)
{
	char *s = icalcomponent_as_ical_string_r(comp);
	char *r = mf_arena_strdup(c->a, s ? s : "");
	free(s);
	return r;
}

void spl_make_uid(char out[80], const struct mf_cal_opts *o, uint64_t off, struct mf_span raw)
{
	struct mf_sha256 h;
	char hex[MF_SHA256_HEX], offs[32];
	mf_sha256_init(&h);
	mf_sha256_update(&h, o->owner ? o->owner : "", o->owner ? strlen(o->owner) : 0);
	snprintf(offs, sizeof(offs), "\n%llu\n", (unsigned long long)off);
	mf_sha256_update(&h, offs, strlen(offs));
	mf_sha256_update(&h, raw.p, raw.len);
	mf_sha256_final(&h, hex);
	snprintf(out, 80, "%.32s@schedplus.mailferry", hex);
}

/* ==== recurrence ==== */

static const char *const wd[7] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };

static void put_mask_days(struct mf_buf *b, long mask)
{
	int first = 1;
	mf_buf_addstr(b, ";BYDAY=");
	for (int i = 0; i < 7; i++)
		if (mask & (1L << i)) {
			mf_buf_addf(b, "%s%s", first ? "" : ",", wd[i]);
			first = 0;
		}
}

long spl_prop_num(const struct mf_sc2_obj *o, const char *name, int *present, int *ok)
{
	const struct mf_sc2_prop *p = mf_sc2_prop(o, name);
	*present = p != NULL;
	*ok = 0;
	return p ? spl_num(p->value, ok) : 0;
}

int mf_sc2_priority(long code)
{
	int hi = (int)((code >> 8) & 0xff), lo = (int)(code & 0xff);
	if (code >= 1 && code <= 9)
		return (int)code;
	if (code < 0 || code > 0xffff)
		return 0;
	if (hi == 0x20 && lo >= '1' && lo <= '9')
		return lo - '0';
	if (((hi >= 'A' && hi <= 'Z') || (hi >= 'a' && hi <= 'z')) &&
	    (lo == 0x20 || (lo >= '0' && lo <= '9')))
		return 9;
	return 0;
}

int spl_month_days_max(int m)
{
	static const int d[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m >= 1 && m <= 12 ? d[m] : 0;
}

/* The RRULE for o; start (may be NULL) gives defaults for a missing mask. */
int spl_sc2_rrule_start(char *out, size_t cap, const struct mf_sc2_obj *o,
			const struct mf_civil *start, const char **why)
{
	struct mf_buf b;
	int pr, ok, rc = MF_OK;
	long type = spl_prop_num(o, "RecurringType", &pr, &ok);
	long interval = 1, mask, dom, moy, wom;
	int pi, oki, pm, okm;

	*why = NULL;
	if (!pr || !ok) {
		*why = pr ? "RecurringType is not a number" : "no RecurringType";
		return MF_EFORMAT;
	}
	mf_buf_init(&b, cap > 0 ? cap - 1 : 0);
	switch (type) {
	case 64: /* daily */
		interval = spl_prop_num(o, "DayInterval", &pi, &oki);
		mf_buf_addstr(&b, "FREQ=DAILY");
		break;
	case 48: /* weekly */
		interval = spl_prop_num(o, "WeekInterval", &pi, &oki);
		mf_buf_addstr(&b, "FREQ=WEEKLY");
		break;
	case 12: /* monthly on a day */
	case 56: /* monthly by position */
		interval = spl_prop_num(o, "MonthInterval", &pi, &oki);
		mf_buf_addstr(&b, "FREQ=MONTHLY");
		break;
	case 7:  /* yearly on a day */
	case 51: /* yearly by position */
		pi = 0;
		oki = 1;
		interval = 1;
		mf_buf_addstr(&b, "FREQ=YEARLY");
		break;
	default:
		*why = "RecurringType is not 7, 12, 48, 51, 56 or 64";
		rc = MF_EFORMAT;
		goto out;
	}
	if (!pi)
		interval = 1;
	else if (!oki || interval < 1 || interval > 999) {
		*why = "interval is not a number from 1 to 999";
		rc = MF_EFORMAT;
		goto out;
	}
	if (interval > 1)
		mf_buf_addf(&b, ";INTERVAL=%ld", interval);
	if (type == 48 || type == 56 || type == 51) {
		mask = spl_prop_num(o, "DayOfWeekMask", &pm, &okm);
		if (!pm && start) {
			mask = 1L << civil_weekday(start);
		} else if (!pm || !okm || mask < 1 || mask > 127) {
			*why = "DayOfWeekMask missing or not 1-127";
			rc = MF_EFORMAT;
			goto out;
		}
		put_mask_days(&b, mask);
	}
	if (type == 7 || type == 51) {
		moy = spl_prop_num(o, "MonthOfYear", &pm, &okm);
		if (pm) {
			if (!okm || moy < 1 || moy > 12) {
				*why = "MonthOfYear is not 1-12";
				rc = MF_EFORMAT;
				goto out;
			}
			mf_buf_addf(&b, ";BYMONTH=%ld", moy);
		} else {
			long mm = spl_prop_num(o, "MonthOfYearMask", &pm, &okm);
			if (pm && okm && mm >= 1 && mm <= 4095) {
				int first = 1;
				mf_buf_addstr(&b, ";BYMONTH=");
				for (int i = 0; i < 12; i++)
					if (mm & (1L << i)) {
						mf_buf_addf(&b, "%s%d", first ? "" : ",", i + 1);
						first = 0;
					}
				moy = 0;
			} else if (start) {
				moy = start->month;
				mf_buf_addf(&b, ";BYMONTH=%ld", moy);
			} else {
				*why = "no MonthOfYear";
				rc = MF_EFORMAT;
				goto out;
			}
		}
	} else {
		moy = 0;
	}
	if (type == 12 || type == 7) {
		dom = spl_prop_num(o, "DayOfMonth", &pm, &okm);
		if (pm) {
			if (!okm || dom < 1 || dom > 31 || (moy && dom > spl_month_days_max((int)moy))) {
				*why = "DayOfMonth is not a day of that month";
				rc = MF_EFORMAT;
				goto out;
			}
			mf_buf_addf(&b, ";BYMONTHDAY=%ld", dom);
		} else {
			long dm = spl_prop_num(o, "DayOfMonthMask", &pm, &okm);
			if (pm && okm && dm >= 1 && dm <= 0x7fffffffL) {
				int first = 1;
				mf_buf_addstr(&b, ";BYMONTHDAY=");
				for (int i = 0; i < 31; i++)
					if (dm & (1L << i)) {
						mf_buf_addf(&b, "%s%d", first ? "" : ",", i + 1);
						first = 0;
					}
			} else if (start) {
				mf_buf_addf(&b, ";BYMONTHDAY=%d", start->day);
			} else {
				*why = "no DayOfMonth";
				rc = MF_EFORMAT;
				goto out;
			}
		}
	}
	if (type == 56 || type == 51) {
		wom = spl_prop_num(o, "WeekOfMonth", &pm, &okm);
		if (!pm || !okm || wom < 1 || wom > 5) {
			*why = "WeekOfMonth missing or not 1-5";
			rc = MF_EFORMAT;
			goto out;
		}
		mf_buf_addf(&b, ";BYSETPOS=%ld", wom == 5 ? -1L : wom);
	}
	if (type == 48) {
		long ws = spl_prop_num(o, "DayOfWeekStart", &pm, &okm);
		if (pm && okm && ws >= 0 && ws <= 6)
			mf_buf_addf(&b, ";WKST=%s", wd[ws]);
	}
	if (b.len >= cap) {
		*why = "rule too long";
		rc = MF_EFORMAT;
		goto out;
	}
	memcpy(out, b.data, b.len + 1);
out:
	mf_buf_release(&b);
	return rc;
}

int mf_sc2_rrule(char *out, size_t cap, const struct mf_sc2_obj *o, const char **why)
{
	return spl_sc2_rrule_start(out, cap, o, NULL, why);
}

int mf_sch_rrule(char *out, size_t cap, const char *trecur, const char *valid_months,
		 const char *valid_dows, const char **why)
{
	char months[12], dows[7];
	int nmonths = 0, ndows = 0, last_month = 0;
	struct mf_buf b;
	struct mf_span t, kw, a1;
	size_t i = 0, j;
	int rc = MF_OK;

	*why = NULL;
	for (int k = 0; k < 12; k++) {
		months[k] = !valid_months || !valid_months[0] ||
			    (strlen(valid_months) > (size_t)k &&
			     (valid_months[k] == 'T' || valid_months[k] == 't'));
		if (months[k]) {
			nmonths++;
			last_month = k + 1;
		}
	}
	for (int k = 0; k < 7; k++) {
		dows[k] = !valid_dows || !valid_dows[0] ||
			  (strlen(valid_dows) > (size_t)k && (valid_dows[k] == 'T' || valid_dows[k] == 't'));
		ndows += dows[k];
	}
	if (!trecur) {
		*why = "no trecur";
		return MF_EFORMAT;
	}
	t = mf_span_trim(spl_span_of(trecur));
	while (i < t.len && t.p[i] != ' ' && t.p[i] != '\t')
		i++;
	kw = spl_sub(t, 0, i);
	while (i < t.len && (t.p[i] == ' ' || t.p[i] == '\t'))
		i++;
	j = i;
	while (j < t.len && t.p[j] != ' ' && t.p[j] != '\t')
		j++;
	a1 = spl_sub(t, i, j);
	mf_buf_init(&b, cap > 0 ? cap - 1 : 0);
#define DOWS() do { int f_ = 1; mf_buf_addstr(&b, ";BYDAY="); \
	for (int k_ = 0; k_ < 7; k_++) if (dows[k_]) { mf_buf_addf(&b, "%s%s", f_ ? "" : ",", wd[k_]); f_ = 0; } } while (0)
#define MONTHS() do { int f_ = 1; mf_buf_addstr(&b, ";BYMONTH="); \
	for (int k_ = 0; k_ < 12; k_++) if (months[k_]) { mf_buf_addf(&b, "%s%d", f_ ? "" : ",", k_ + 1); f_ = 0; } } while (0)
	if (!ndows || !nmonths) {
		*why = "no valid day of the week or month";
		rc = MF_EFORMAT;
	} else if (mf_span_eq_ci(kw, "Week")) {
		int every2 = a1.len == 2 && (a1.p[0] == 'T' || a1.p[0] == 't');
		if (a1.len != 2) {
			*why = "trecur Week needs two T/F flags";
			rc = MF_EFORMAT;
		} else if (!every2 && ndows == 7) {
			mf_buf_addstr(&b, "FREQ=DAILY");
		} else {
			mf_buf_addstr(&b, every2 ? "FREQ=WEEKLY;INTERVAL=2" : "FREQ=WEEKLY");
			DOWS();
		}
	} else if (mf_span_eq_ci(kw, "IWeek")) {
		int f = 1;
		if (a1.len != 5) {
			*why = "trecur IWeek needs five T/F flags";
			rc = MF_EFORMAT;
		} else {
			mf_buf_addstr(&b, nmonths == 12 ? "FREQ=MONTHLY" : "FREQ=YEARLY");
			if (nmonths < 12)
				MONTHS();
			DOWS();
			mf_buf_addstr(&b, ";BYSETPOS=");
			for (int k = 0; k < 5; k++)
				if (a1.p[k] == 'T' || a1.p[k] == 't') {
					mf_buf_addf(&b, "%s%d", f ? "" : ",", k == 4 ? -1 : k + 1);
					f = 0;
				}
			if (f) {
				*why = "trecur IWeek has no week";
				rc = MF_EFORMAT;
			}
		}
	} else if (mf_span_eq_ci(kw, "Date")) {
		uint64_t day;
		if (mf_parse_u64(&day, (const char *)a1.p, a1.len, 31) != MF_OK || day < 1) {
			*why = "trecur Date needs a day 1-31";
			rc = MF_EFORMAT;
		} else if (nmonths == 1 && (int)day > spl_month_days_max(last_month)) {
			*why = "trecur Date names a day that month does not have";
			rc = MF_EFORMAT;
		} else {
			mf_buf_addstr(&b, nmonths == 12 ? "FREQ=MONTHLY" : "FREQ=YEARLY");
			if (nmonths < 12)
				MONTHS();
			mf_buf_addf(&b, ";BYMONTHDAY=%llu", (unsigned long long)day);
		}
	} else {
		*why = "trecur is not Week, IWeek or Date";
		rc = MF_EFORMAT;
	}
#undef DOWS
#undef MONTHS
	if (rc == MF_OK) {
		if (b.len >= cap) {
			*why = "rule too long";
			rc = MF_EFORMAT;
		} else {
			memcpy(out, b.data, b.len + 1);
		}
	}
	mf_buf_release(&b);
	return rc;
}
