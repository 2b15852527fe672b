/* SPDX-License-Identifier: MIT */
/*
 * date.c: civil dates, locale date parsing, and zone conversion.
 *
 * Zone conversion uses the C library with TZ set to the zone (mktime and
 * localtime_r read the system zone database, historic rules included).  TZ
 * is process-wide, so the conversions are serialised with a mutex and the
 * previous TZ is restored: the rest of the program never depends on TZ.
 */
#include "core/date.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int mf_date_order_parse(enum mf_date_order *out, const char *s)
{
	if (mf_strcaseeq(s, "mdy"))
		*out = MF_ORDER_MDY;
	else if (mf_strcaseeq(s, "dmy"))
		*out = MF_ORDER_DMY;
	else if (mf_strcaseeq(s, "ymd"))
		*out = MF_ORDER_YMD;
	else
		return MF_EFORMAT;
	return MF_OK;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 ? 28 + leap(y) : d[m - 1];
}

int mf_civil_valid(const struct mf_civil *c)
{
	return c->year >= 1 && c->year <= 9999 && c->month >= 1 && c->month <= 12 &&
	       c->day >= 1 && c->day <= mdays(c->year, c->month) &&
	       c->hour >= 0 && c->hour <= 23 && c->min >= 0 && c->min <= 59 &&
	       c->sec >= 0 && c->sec <= 59;
}

/* Read 1..maxd digits at s[*i]; -1 if none. */
static int digits(const char *s, size_t len, size_t *i, int maxd, int *ndig)
{
	int v = 0, n = 0;
	while (*i < len && n < maxd && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	if (ndig)
		*ndig = n;
	return n ? v : -1;
}

static void skip_spaces(const char *s, size_t len, size_t *i)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

int mf_time_parse(struct mf_civil *out, const char *s, size_t len)
{
	size_t i = 0;
	int h, m, sec = 0;

	skip_spaces(s, len, &i);
	h = digits(s, len, &i, 2, NULL);
	if (h < 0 || i >= len || s[i] != ':')
		return MF_EFORMAT;
	i++;
	m = digits(s, len, &i, 2, NULL);
	if (m < 0)
		return MF_EFORMAT;
	if (i < len && s[i] == ':') {
		i++;
		sec = digits(s, len, &i, 2, NULL);
		if (sec < 0)
			return MF_EFORMAT;
	}
	skip_spaces(s, len, &i);
	if (i != len || h > 23 || m > 59 || sec > 59)
		return MF_EFORMAT;
	out->hour = h;
	out->min = m;
	out->sec = sec;
	return MF_OK;
}

int mf_date_parse(struct mf_civil *out, unsigned *flags, const char *s,
		  size_t len, enum mf_date_order order)
{
	size_t i = 0;
	int f[3], nd[3], h = 0, m = 0, sec = 0, ydig;
	unsigned fl = 0;
	char sep;
	struct mf_civil c;

	skip_spaces(s, len, &i);
	f[0] = digits(s, len, &i, 4, &nd[0]);
	if (f[0] < 0 || i >= len || (s[i] != '/' && s[i] != '-'))
		return MF_EFORMAT;
	sep = s[i++];
	f[1] = digits(s, len, &i, 2, &nd[1]);
	if (f[1] < 0 || i >= len || s[i] != sep)
		return MF_EFORMAT;
	i++;
	f[2] = digits(s, len, &i, 4, &nd[2]);
	if (f[2] < 0)
		return MF_EFORMAT;
	if (i < len && s[i] >= '0' && s[i] <= '9')
		return MF_EFORMAT;

	switch (order) {
	case MF_ORDER_MDY: c.month = f[0]; c.day = f[1]; c.year = f[2]; ydig = nd[2]; break;
	case MF_ORDER_DMY: c.day = f[0]; c.month = f[1]; c.year = f[2]; ydig = nd[2]; break;
	default:           c.year = f[0]; c.month = f[1]; c.day = f[2]; ydig = nd[0]; break;
	}
	if (order != MF_ORDER_YMD && nd[0] > 2)
		return MF_EFORMAT;
	if (ydig == 2) {
		c.year += c.year < 70 ? 2000 : 1900;
		fl |= MF_DATE_TWO_DIGIT_YEAR;
	} else if (ydig != 4) {
		return MF_EFORMAT;
	}

	skip_spaces(s, len, &i);
	if (i >= len) {
		fl |= MF_DATE_NO_TIME | MF_DATE_NO_SECONDS;
	} else {
		int hd;
		h = digits(s, len, &i, 2, &hd);
		if (h < 0 || i >= len || s[i] != ':')
			return MF_EFORMAT;
		i++;
		m = digits(s, len, &i, 2, &hd);
		if (m < 0 || hd != 2)
			return MF_EFORMAT;
		if (i < len && s[i] == ':') {
			i++;
			sec = digits(s, len, &i, 2, &hd);
			if (sec < 0 || hd != 2)
				return MF_EFORMAT;
		} else {
			fl |= MF_DATE_NO_SECONDS;
		}
		skip_spaces(s, len, &i);
		if (i + 1 < len + 0 && (s[i] == 'A' || s[i] == 'a' || s[i] == 'P' || s[i] == 'p') &&
		    (s[i + 1] == 'M' || s[i + 1] == 'm')) {
			int pm = s[i] == 'P' || s[i] == 'p';
			if (h < 1 || h > 12)
				return MF_EFORMAT;
			if (h == 12)
				h = 0;
			if (pm)
				h += 12;
			i += 2;
		}
		skip_spaces(s, len, &i);
		if (i != len)
			return MF_EFORMAT;
	}
	c.hour = h;
	c.min = m;
	c.sec = sec;
	if (!mf_civil_valid(&c))
		return MF_EFORMAT;
	*out = c;
	if (flags)
		*flags = fl;
	return MF_OK;
}

int64_t mf_days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's days_from_civil algorithm (public domain). */
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t mf_civil_to_utc_naive(const struct mf_civil *c)
{
	return mf_days_from_civil(c->year, c->month, c->day) * 86400 +
	       c->hour * 3600 + c->min * 60 + c->sec;
}

void mf_utc_to_civil(struct mf_civil *out, int64_t t)
{
	int64_t z = (t >= 0 ? t : t - 86399) / 86400;
	int64_t secs = t - z * 86400;
	int64_t era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	out->year = (int)(y + (m <= 2));
	out->month = (int)m;
	out->day = (int)d;
	out->hour = (int)(secs / 3600);
	out->min = (int)(secs / 60 % 60);
	out->sec = (int)(secs % 60);
}

int mf_tz_valid(const char *zone)
{
	char path[512];
	const char *dir = getenv("TZDIR");
	struct stat st;

	if (!zone || !*zone || zone[0] == '/' || zone[0] == ':' || strstr(zone, ".."))
		return 0;
	for (const char *p = zone; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		      *p == '-' || *p == '+'))
			return 0;
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT"))
		return 1;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[256];

/* Caller holds tz_lock. */
static void tz_switch(const char *zone)
{
	if (strcmp(tz_current, zone) == 0)
		return;
	setenv("TZ", zone, 1);
	tzset();
	snprintf(tz_current, sizeof(tz_current), "%s", zone);
}

int mf_tz_local_to_utc(int64_t *out, const char *zone, const struct mf_civil *c)
{
	struct tm tm;
	time_t t;
	int64_t naive;

	if (!mf_civil_valid(c) || !mf_tz_valid(zone))
		return MF_EFORMAT;
	naive = mf_civil_to_utc_naive(c);
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT")) {
		*out = naive;
		return MF_OK;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = c->year - 1900;
	tm.tm_mon = c->month - 1;
	tm.tm_mday = c->day;
	tm.tm_hour = c->hour;
	tm.tm_min = c->min;
	tm.tm_sec = c->sec;
	pthread_mutex_lock(&tz_lock);
	tz_switch(zone);
	/* First try as daylight time: for a repeated hour this picks the
	 * earlier instant.  Accept it only if it maps back to the same wall
	 * clock with DST in force; otherwise read it as standard time. */
	tm.tm_isdst = 1;
	t = mktime(&tm);
	{
		struct tm back;
		int ok = t != (time_t)-1 && localtime_r(&t, &back) &&
			 back.tm_isdst > 0 && back.tm_hour == c->hour &&
			 back.tm_min == c->min && back.tm_mday == c->day;
		if (!ok) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = c->year - 1900;
			tm.tm_mon = c->month - 1;
			tm.tm_mday = c->day;
			tm.tm_hour = c->hour;
			tm.tm_min = c->min;
			tm.tm_sec = c->sec;
			tm.tm_isdst = 0;
			t = mktime(&tm);
		}
	}
	pthread_mutex_unlock(&tz_lock);
	if (t == (time_t)-1 && naive != -1)
		return MF_EFORMAT;
	*out = (int64_t)t;
	return MF_OK;
}

int mf_tz_utc_to_local(struct mf_civil *out, int *gmtoff_out, const char *zone,
		       int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	int ok;

	if (!mf_tz_valid(zone))
		return MF_EFORMAT;
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT")) {
		mf_utc_to_civil(out, t);
		if (gmtoff_out)
			*gmtoff_out = 0;
		return MF_OK;
	}
	pthread_mutex_lock(&tz_lock);
	tz_switch(zone);
	ok = localtime_r(&tt, &tm) != NULL;
	pthread_mutex_unlock(&tz_lock);
	if (!ok)
		return MF_EFORMAT;
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->min = tm.tm_min;
	out->sec = tm.tm_sec;
	if (gmtoff_out)
		*gmtoff_out = (int)tm.tm_gmtoff;
	return MF_OK;
}

int mf_civil_format14(char out[15], const struct mf_civil *c)
{
	if (!mf_civil_valid(c) || c->year < 1601) {
		out[0] = '\0';
		return MF_EFORMAT;
	}
	{
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%04d%02d%02d%02d%02d%02d", c->year, c->month,
			 c->day, c->hour, c->min, c->sec);
		memcpy(out, tmp, 15);
	}
	return MF_OK;
}

int mf_format_rfc5322(char out[40], int64_t t, const char *zone)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mn[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct mf_civil c;
	int off = 0, rc;
	int64_t days;
	int w;

	rc = mf_tz_utc_to_local(&c, &off, zone ? zone : "UTC", t);
	if (rc < 0)
		return rc;
	days = mf_days_from_civil(c.year, c.month, c.day);
	w = (int)(((days % 7) + 7) % 7);
	{
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d", wd[w],
			 c.day, mn[c.month - 1], c.year, c.hour, c.min, c.sec,
			 off < 0 ? '-' : '+', abs(off) / 3600, abs(off) / 60 % 60);
		snprintf(out, 40, "%.39s", tmp);
	}
	return MF_OK;
}

void mf_format_iso_utc(char out[21], int64_t t)
{
	struct mf_civil c;
	mf_utc_to_civil(&c, t);
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year % 10000, c.month,
		 c.day, c.hour, c.min, c.sec);
	memcpy(out, tmp, 20);
	out[20] = '\0';
}
