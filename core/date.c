/* SPDX-License-Identifier: MIT */
/*
 * date.c: civil dates, locale date parsing, and zone conversion.
 *
 * Zone conversion reads the system zone database itself (TZif files under
 * $TZDIR or /usr/share/zoneinfo, RFC 8536: the transitions, their types and
 * the rule string for the years after the last transition); the process
 * environment (TZ) is never touched.  The results are those the C library
 * gives for TZ=zone: localtime's choice of type before the first
 * transition, the rule string's changes computed for the UTC year, and
 * mktime's search (its first guess is the offset of the previous
 * conversion, as in the C library) for a wall-clock time that falls twice
 * or not at all.  Loaded zones are kept for the life of the process,
 * behind a mutex.
 */
#include "core/date.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- zone files ---- */

#define TZ_FILE_MAX (1u << 20)
#define TZ_MAX_TIMES 4096       /* zic writes at most a few hundred */
#define TZ_MAX_TYPES 256

enum tzrule_kind { TZR_J0 = 0, TZR_J1, TZR_M };

/* One change of a POSIX TZ rule string ("M3.5.0/2"). */
struct tzrule {
	enum tzrule_kind kind;
	int d, m, n;
	int64_t secs;               /* local time of day of the change */
	int64_t offset;             /* gmtoff of the time it is read in */
};

struct tzzone {
	struct tzzone *next;
	char name[256];
	int64_t *trans;
	unsigned char *idx;
	size_t ntrans;
	struct { int32_t off; int isdst; } types[TZ_MAX_TYPES];
	size_t ntypes;
	int has_rule;               /* the footer's rule string was read */
	struct tzrule rule[2];      /* [0] std->dst (std offset), [1] dst->std */
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tzzone *tz_zones;
/* mktime's first guess: the UTC instant minus the wall clock of the last
 * conversion (0 at the start, as in the C library). */
static int64_t tz_guess;

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A POSIX TZ name: letters (3+), or <...> with letters, digits, + and -. */
static int rule_name(const char **sp)
{
	const char *p = *sp;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	if (p - *sp < 3) {
		const char *q;
		p = *sp;
		if (*p++ != '<')
			return 0;
		q = p;
		while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-')
			p++;
		if (*p++ != '>' || p - q - 1 < 3)
			return 0;
	}
	*sp = p;
	return 1;
}

/* "hh[:mm[:ss]]": 1 and the fields read, 0 when there is no number. */
static int rule_hms(const char **sp, int *hh, int *mm, int *ss)
{
	const char *p = *sp;
	int *f[3] = { hh, mm, ss };
	for (int k = 0; k < 3; k++) {
		long v = 0;
		int nd = 0;
		if (k > 0) {
			if (*p != ':' || p[1] < '0' || p[1] > '9')
				break;
			p++;
		}
		while (*p >= '0' && *p <= '9' && nd < 6) {
			v = v * 10 + (*p++ - '0');
			nd++;
		}
		if (!nd)
			return 0;
		*f[k] = (int)v;
	}
	*sp = p;
	return 1;
}

/* A UTC offset, west positive as POSIX writes it; *out is east positive. */
static int rule_offset(const char **sp, int64_t *out)
{
	const char *p = *sp;
	int sign = -1, hh = 0, mm = 0, ss = 0;
	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? 1 : -1;
	if (!rule_hms(&p, &hh, &mm, &ss))
		return 0;
	*out = sign * (int64_t)((hh > 24 ? 24 : hh) * 3600 + (mm > 59 ? 59 : mm) * 60 +
				(ss > 59 ? 59 : ss));
	*sp = p;
	return 1;
}

static int rule_change(const char **sp, struct tzrule *r)
{
	const char *p = *sp;
	if (*p == ',')
		p++;
	if (*p == 'J' || (*p >= '0' && *p <= '9')) {
		long d = 0;
		int nd = 0;
		r->kind = *p == 'J' ? TZR_J1 : TZR_J0;
		if (*p == 'J')
			p++;
		while (*p >= '0' && *p <= '9' && nd < 4) {
			d = d * 10 + (*p++ - '0');
			nd++;
		}
		if (!nd || d > 365 || (r->kind == TZR_J1 && d == 0))
			return 0;
		r->d = (int)d;
	} else if (*p == 'M') {
		int v[3];
		p++;
		for (int k = 0; k < 3; k++) {
			int nd = 0;
			if (k > 0 && *p++ != '.')
				return 0;
			v[k] = 0;
			while (*p >= '0' && *p <= '9' && nd < 3) {
				v[k] = v[k] * 10 + (*p++ - '0');
				nd++;
			}
			if (!nd)
				return 0;
		}
		if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
			return 0;
		r->kind = TZR_M;
		r->m = v[0];
		r->n = v[1];
		r->d = v[2];
	} else {
		return 0;
	}
	r->secs = 2 * 3600;
	if (*p == '/') {
		int neg, hh = 2, mm = 0, ss = 0;
		p++;
		neg = *p == '-';
		p += neg;
		rule_hms(&p, &hh, &mm, &ss);
		r->secs = (neg ? -1 : 1) * ((int64_t)hh * 3600 + mm * 60 + ss);
	}
	if (*p != '\0' && *p != ',')
		return 0;
	*sp = p;
	return 1;
}

/* The footer's rule string ("CET-1CEST,M3.5.0,M10.5.0/3"). */
static void rule_parse(struct tzzone *z, const char *s)
{
	int64_t std, dst;
	memset(z->rule, 0, sizeof(z->rule));
	if (!rule_name(&s) || !rule_offset(&s, &std))
		return;
	z->rule[0].offset = z->rule[1].offset = std;
	z->has_rule = 1;
	if (!*s)
		return;                 /* no daylight time */
	if (!rule_name(&s))
		return;
	dst = std + 3600;
	rule_offset(&s, &dst);
	z->rule[1].offset = dst;
	if (rule_change(&s, &z->rule[0]))
		rule_change(&s, &z->rule[1]);
}

/* UTC instant of a rule's change in year (as the C library computes it). */
static int64_t rule_when(const struct tzrule *r, int year)
{
	static const int yday[2][13] = {
		{ 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365 },
		{ 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366 },
	};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	int64_t t = 0;

	if (year > 1970)
		t = ((int64_t)(year - 1970) * 365 + ((year - 1) / 4 - 1970 / 4) -
		     ((year - 1) / 100 - 1970 / 100) + ((year - 1) / 400 - 1970 / 400)) * 86400;
	switch (r->kind) {
	case TZR_J1:
		t += (int64_t)(r->d - 1) * 86400;
		if (r->d >= 60 && leap)
			t += 86400;
		break;
	case TZR_J0:
		t += (int64_t)r->d * 86400;
		break;
	case TZR_M: {
		const int *my = &yday[leap][r->m];
		int m1 = (r->m + 9) % 12 + 1, yy0 = r->m <= 2 ? year - 1 : year;
		int yy1 = yy0 / 100, yy2 = yy0 % 100, d, dow;
		t += (int64_t)my[-1] * 86400;
		dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
		if (dow < 0)
			dow += 7;
		d = r->d - dow;
		if (d < 0)
			d += 7;
		for (int i = 1; i < r->n; i++) {
			if (d + 7 >= my[0] - my[-1])
				break;
			d += 7;
		}
		t += (int64_t)d * 86400;
		break;
	}
	}
	return t - r->offset + r->secs;
}

static void zone_free(struct tzzone *z)
{
	if (z) {
		free(z->trans);
		free(z->idx);
		free(z);
	}
}

/* Read a TZif file (version 1, or the 64-bit data of version 2+ and its
 * rule string); NULL when it is not one. */
static struct tzzone *zone_read(const char *name)
{
	char path[512];
	const char *dir = getenv("TZDIR");
	unsigned char *d = NULL;
	size_t len = 0, pos = 0, tw = 4;
	struct tzzone *z = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	d = mf_xmalloc(TZ_FILE_MAX + 1);
	len = fread(d, 1, TZ_FILE_MAX + 1, f);
	fclose(f);
	if (len > TZ_FILE_MAX)
		goto bad;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
		size_t need;
		if (len - pos < 44 || memcmp(d + pos, "TZif", 4))
			goto bad;
		isut = be32(d + pos + 20);
		isstd = be32(d + pos + 24);
		leap = be32(d + pos + 28);
		timecnt = be32(d + pos + 32);
		typecnt = be32(d + pos + 36);
		charcnt = be32(d + pos + 40);
		if (timecnt > TZ_MAX_TIMES || typecnt == 0 || typecnt > TZ_MAX_TYPES ||
		    charcnt > 65536 || leap > 65536 || isut > typecnt || isstd > typecnt)
			goto bad;
		need = (size_t)timecnt * (tw + 1) + (size_t)typecnt * 6 + charcnt +
		       (size_t)leap * (tw + 4) + isstd + isut;
		if (pass == 0 && d[pos + 4] >= '2') {
			pos += 44 + need;   /* the 32-bit data: skipped */
			tw = 8;
			continue;
		}
		if (len - pos - 44 < need)
			goto bad;
		pos += 44;
		z = mf_xcalloc(1, sizeof(*z));
		snprintf(z->name, sizeof(z->name), "%s", name);
		z->ntrans = timecnt;
		z->trans = mf_xcalloc(timecnt ? timecnt : 1, sizeof(*z->trans));
		z->idx = mf_xcalloc(timecnt ? timecnt : 1, 1);
		for (size_t i = 0; i < timecnt; i++)
			z->trans[i] = tw == 8 ? be64(d + pos + i * 8) : (int32_t)be32(d + pos + i * 4);
		pos += timecnt * tw;
		for (size_t i = 0; i < timecnt; i++)
			if ((z->idx[i] = d[pos + i]) >= typecnt)
				goto bad;
		pos += timecnt;
		z->ntypes = typecnt;
		for (size_t i = 0; i < typecnt; i++) {
			z->types[i].off = (int32_t)be32(d + pos + i * 6);
			z->types[i].isdst = d[pos + i * 6 + 4] != 0;
		}
		pos += (size_t)typecnt * 6 + charcnt + (size_t)leap * (tw + 4) + isstd + isut;
		if (tw == 8 && pos < len && d[pos] == '\n') {
			size_t e = pos + 1;
			while (e < len && d[e] != '\n')
				e++;
			if (e < len && e > pos + 1) {
				char *rule = mf_xstrndup((const char *)d + pos + 1, e - pos - 1);
				rule_parse(z, rule);
				free(rule);
			}
		}
		break;
	}
	free(d);
	return z;
bad:
	free(d);
	zone_free(z);
	return NULL;
}

/* The loaded zone (caller holds tz_lock); NULL when it cannot be read. */
static struct tzzone *zone_get(const char *name)
{
	struct tzzone *z;
	for (z = tz_zones; z; z = z->next)
		if (!strcmp(z->name, name))
			return z;
	if (strlen(name) >= sizeof(z->name) || !(z = zone_read(name)))
		return NULL;
	z->next = tz_zones;
	tz_zones = z;
	return z;
}

/* Is zone one already loaded (so valid: only a valid name is ever loaded)?
 * Spares the stat() of mf_tz_valid on every conversion. */
static int zone_loaded(const char *zone)
{
	const struct tzzone *z;
	int found = 0;
	if (!zone)
		return 0;
	pthread_mutex_lock(&tz_lock);
	for (z = tz_zones; z && !found; z = z->next)
		found = !strcmp(z->name, zone);
	pthread_mutex_unlock(&tz_lock);
	return found;
}

/* Offset east of UTC and DST flag at instant t (localtime's choice). */
static void zone_at(const struct tzzone *z, int64_t t, int64_t *off, int *isdst)
{
	size_t i;
	if (z->ntrans == 0 || t < z->trans[0]) {
		for (i = 0; i < z->ntypes && z->types[i].isdst; i++)
			;
		if (i == z->ntypes)
			i = 0;
	} else if (t >= z->trans[z->ntrans - 1] && z->has_rule) {
		struct mf_civil u;
		int64_t c0, c1;
		int dst;
		mf_utc_to_civil(&u, t);
		c0 = rule_when(&z->rule[0], u.year);
		c1 = rule_when(&z->rule[1], u.year);
		dst = c0 > c1 ? (t < c1 || t >= c0) : (t >= c0 && t < c1);
		*off = z->rule[dst].offset;
		*isdst = dst;
		return;
	} else {
		size_t lo = 1, hi = z->ntrans;  /* the last transition <= t */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (z->trans[mid] <= t)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = z->idx[lo - 1];
	}
	*off = z->types[i].off;
	*isdst = z->types[i].isdst;
}

/* The wall clock at t, as seconds of a naive (UTC-like) count. */
static int64_t zone_wall(const struct tzzone *z, int64_t t, int *isdst, int64_t *off)
{
	int64_t o;
	zone_at(z, t, &o, isdst);
	if (off)
		*off = o;
	return t + o;
}

static int isdst_differ(int a, int b)
{
	return (!a != !b) && a >= 0 && b >= 0;
}

/* The C library's mktime for wall clock `want` (naive seconds) with
 * tm_isdst = isdst; MF_OK and *out, or MF_EFORMAT where it fails.  Caller
 * holds tz_lock. */
static int zone_mktime(const struct tzzone *z, int64_t want, int isdst, int64_t *out)
{
	int remaining = 6, dst2 = 0, tdst;
	int64_t t0 = want + tz_guess, t = t0, t1 = t0, t2 = t0, wall;

	for (;;) {
		int64_t dt;
		wall = zone_wall(z, t, &tdst, NULL);
		dt = want - wall;
		if (dt == 0)
			break;
		if (t == t1 && t != t2 && (isdst < 0 ? dst2 : (isdst != 0) != (tdst != 0)))
			goto found;
		if (--remaining == 0)
			return MF_EFORMAT;
		t1 = t2;
		t2 = t;
		t += dt;
		dst2 = tdst != 0;
	}
	if (isdst_differ(isdst, tdst)) {
		/* look for a neighbouring instant with the requested flag and
		 * use its offset; else assume a one-hour difference */
		const int64_t stride = 601200, bound = 457243200 / 2 + 601200;
		int dst_difference = (isdst == 0) - (tdst == 0);
		for (int64_t delta = stride; delta < bound; delta += stride)
			for (int dir = -1; dir <= 1; dir += 2) {
				int64_t ot = t + delta * dir, owall;
				int odst;
				owall = zone_wall(z, ot, &odst, NULL);
				if (!isdst_differ(isdst, odst)) {
					t = ot + (want - owall);
					goto found;
				}
			}
		t += 3600 * dst_difference;
	}
found:
	tz_guess = t - want;
	*out = t;
	return MF_OK;
}

int mf_tz_local_to_utc(int64_t *out, const char *zone, const struct mf_civil *c)
{
	struct tzzone *z;
	int64_t naive, t;
	int rc;

	if (!mf_civil_valid(c) || (!zone_loaded(zone) && !mf_tz_valid(zone)))
		return MF_EFORMAT;
	naive = mf_civil_to_utc_naive(c);
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT")) {
		*out = naive;
		return MF_OK;
	}
	pthread_mutex_lock(&tz_lock);
	if (!(z = zone_get(zone))) {
		pthread_mutex_unlock(&tz_lock);
		return MF_EFORMAT;
	}
	/* First try as daylight time: for a repeated hour this picks the
	 * earlier instant.  Accept it only if it maps back to the same wall
	 * clock with DST in force; otherwise read it as standard time. */
	rc = zone_mktime(z, naive, 1, &t);
	{
		struct mf_civil back;
		int dst = 0;
		int ok = 0;
		if (rc == MF_OK) {
			mf_utc_to_civil(&back, zone_wall(z, t, &dst, NULL));
			ok = dst > 0 && back.hour == c->hour && back.min == c->min &&
			     back.day == c->day;
		}
		if (!ok)
			rc = zone_mktime(z, naive, 0, &t);
	}
	pthread_mutex_unlock(&tz_lock);
	if (rc < 0)
		t = -1;
	if (t == -1 && naive != -1)   /* (mktime's -1 is its failure) */
		return MF_EFORMAT;
	*out = t;
	return MF_OK;
}

int mf_tz_utc_to_local(struct mf_civil *out, int *gmtoff_out, const char *zone,
		       int64_t t)
{
	struct tzzone *z;
	int64_t off;
	int dst;

	if (!zone_loaded(zone) && !mf_tz_valid(zone))
		return MF_EFORMAT;
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT")) {
		mf_utc_to_civil(out, t);
		if (gmtoff_out)
			*gmtoff_out = 0;
		return MF_OK;
	}
	pthread_mutex_lock(&tz_lock);
	z = zone_get(zone);
	if (z)
		zone_at(z, t, &off, &dst);
	pthread_mutex_unlock(&tz_lock);
	if (!z)
		return MF_EFORMAT;
	mf_utc_to_civil(out, t + off);
	if (gmtoff_out)
		*gmtoff_out = (int)off;
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
