/* SPDX-License-Identifier: MIT */
/*
 * pst_recur.c: the AppointmentRecurrencePattern blob of a recurring series
 * ([MS-OXOCAL] 2.2.1.44.1 RecurrencePattern, 2.2.1.44.5
 * AppointmentRecurrencePattern): the pattern, the range, the deleted and
 * modified instance dates, the time of day, one ExceptionInfo and one
 * ExtendedException per changed occurrence.
 *
 * Times in the blob are local times of the series' zone, in minutes since
 * 1601-01-01 00:00; dates are such minutes at midnight.  pst_appt.c turns
 * an RRULE into struct pst_recur; this file only lays the bytes out.
 */
#include "exporters/pst/pst_appt.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

int64_t pst_days_civil(int y, int m, int d)
{
	/* days since 1970-01-01 of a proleptic Gregorian date */
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void pst_civil_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t pst_min1601(int y, int mo, int d, int h, int mi)
{
	return (pst_days_civil(y, mo, d) - pst_days_civil(1601, 1, 1)) * 1440 + h * 60 + mi;
}

/* Day of week of a day count since 1970 (0 = Sunday). */
int pst_dow(int64_t days)
{
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

void pst_recur_first_datetime(struct pst_recur *r)
{
	int64_t sd = r->start_date;
	switch (r->freq) {
	case PST_RECUR_DAILY:
		if (r->pattern == PST_PAT_WEEK)
			goto weekly;
		r->first_dt = r->period ? (uint32_t)(sd % r->period) : 0;
		return;
	case PST_RECUR_WEEKLY:
weekly: {
		/* the first day of the week holding the start, modulo the period in minutes */
		int64_t day = sd / 1440;        /* days since 1601 (a Monday) */
		int dow = (int)((day + 1) % 7); /* 0 = Sunday */
		int back = (dow - (int)r->first_dow + 7) % 7;
		int64_t wk = (day - back) * 1440;
		int64_t per = (int64_t)(r->period ? r->period : 1) * 7 * 1440;
		r->first_dt = (uint32_t)(wk % per);
		return;
	}
	default: {
		/* monthly, yearly: the month of the start modulo the period in
		 * months, as the minutes of the first of that month */
		int64_t days = sd / 1440 + pst_days_civil(1601, 1, 1);
		int y, m, d;
		int64_t months, k;
		pst_civil_days(days, &y, &m, &d);
		months = (int64_t)(y - 1601) * 12 + (m - 1);
		k = r->period ? months % r->period : 0;
		r->first_dt = (uint32_t)pst_min1601(1601 + (int)(k / 12), (int)(k % 12) + 1, 1, 0, 0);
		return;
	}
	}
}

static void u16(struct mf_buf *b, uint32_t v)
{
	uint8_t x[2];
	pst_w16(x, v);
	mf_buf_add(b, x, 2);
}

static void u32(struct mf_buf *b, uint32_t v)
{
	uint8_t x[4];
	pst_w32(x, v);
	mf_buf_add(b, x, 4);
}

/* An 8-bit string of an exception: ASCII and U+00A0..U+00FF as their
 * Windows-1252 bytes, anything else '?' (the ExtendedException carries the
 * string in UTF-16); at most 255 bytes. */
static void ansi(struct mf_buf *b, const char *s)
{
	struct mf_buf a;
	mf_buf_init(&a, MF_BUF_UNBOUNDED);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t c = *p;
		int n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
		if (n == 2 && p[1])
			c = (uint32_t)(c & 0x1F) << 6 | (p[1] & 0x3F);
		mf_buf_addch(&a, n == 1 ? (char)c : n == 2 && c >= 0xA0 && c <= 0xFF ? (char)c : '?');
		for (int k = 0; k < n && *p; k++)
			p++;
	}
	if (a.len > 255)
		a.len = 255;
	u16(b, (uint32_t)a.len + 1);
	u16(b, (uint32_t)a.len);
	mf_buf_add(b, a.data ? a.data : "", a.len);
	mf_buf_release(&a);
}

static void wide(struct mf_buf *b, const char *s)
{
	size_t n;
	uint8_t *u = pst_utf16(s, strlen(s), &n);
	if (n > 2 * 0xFFFF)
		n = 2 * 0xFFFF;  /* its 16-bit length (a surrogate pair may be cut) */
	u16(b, (uint32_t)(n / 2));
	mf_buf_add(b, u, n);
	free(u);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_exc(const void *a, const void *b)
{
	const struct pst_recur_exc *x = a, *y = b;
	return (x->orig > y->orig) - (x->orig < y->orig);
}

uint8_t *pst_recur_blob(const struct pst_recur *r, struct pst_recur_exc *x, size_t nx,
			size_t *len)
{
	struct mf_buf b;
	uint32_t *del = mf_xcalloc(nx + 1, sizeof(*del)), *mod = mf_xcalloc(nx + 1, sizeof(*mod));
	size_t ndel = 0, nmod = 0;

	if (nx)
		qsort(x, nx, sizeof(*x), cmp_exc);
	for (size_t i = 0; i < nx; i++) {
		del[ndel++] = (uint32_t)(x[i].orig - x[i].orig % 1440);
		if (!x[i].deleted)
			mod[nmod++] = (uint32_t)(x[i].start - x[i].start % 1440);
	}
	qsort(del, ndel, sizeof(*del), cmp_u32);
	qsort(mod, nmod, sizeof(*mod), cmp_u32);
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	/* RecurrencePattern */
	u16(&b, 0x3004);
	u16(&b, 0x3004);
	u16(&b, r->freq);
	u16(&b, r->pattern);
	u16(&b, 0);                      /* CalendarType: Gregorian */
	u32(&b, r->first_dt);
	u32(&b, r->period);
	u32(&b, 0);                      /* SlidingFlag */
	switch (r->pattern) {
	case PST_PAT_WEEK:
		u32(&b, r->mask);
		break;
	case PST_PAT_MONTH:
		u32(&b, r->day);
		break;
	case PST_PAT_MONTH_NTH:
		u32(&b, r->mask);
		u32(&b, r->nth);
		break;
	default:
		break;
	}
	u32(&b, r->end_type);
	u32(&b, r->count);
	u32(&b, r->first_dow);
	u32(&b, (uint32_t)ndel);
	for (size_t i = 0; i < ndel; i++)
		u32(&b, del[i]);
	u32(&b, (uint32_t)nmod);
	for (size_t i = 0; i < nmod; i++)
		u32(&b, mod[i]);
	u32(&b, r->start_date);
	u32(&b, r->end_date);
	/* AppointmentRecurrencePattern */
	u32(&b, 0x3006);
	u32(&b, 0x3009);
	u32(&b, r->start_offset);
	u32(&b, r->end_offset);
	u16(&b, (uint32_t)nmod);
	for (size_t i = 0; i < nx; i++) {
		const struct pst_recur_exc *e = &x[i];
		if (e->deleted)
			continue;
		u32(&b, (uint32_t)e->start);
		u32(&b, (uint32_t)e->end);
		u32(&b, (uint32_t)e->orig);
		u16(&b, e->flags);
		if (e->flags & PST_OVR_SUBJECT)
			ansi(&b, e->subject);
		if (e->flags & PST_OVR_REMINDER_DELTA)
			u32(&b, e->reminder_delta);
		if (e->flags & PST_OVR_REMINDER)
			u32(&b, e->reminder_set);
		if (e->flags & PST_OVR_LOCATION)
			ansi(&b, e->location);
		if (e->flags & PST_OVR_BUSY)
			u32(&b, e->busy);
		if (e->flags & PST_OVR_ATTACHMENT)
			u32(&b, 1);
		if (e->flags & PST_OVR_SUBTYPE)
			u32(&b, e->subtype);
	}
	u32(&b, 0);                      /* ReservedBlock1Size */
	for (size_t i = 0; i < nx; i++) {
		const struct pst_recur_exc *e = &x[i];
		if (e->deleted)
			continue;
		u32(&b, 4);              /* ChangeHighlightSize */
		u32(&b, 0);              /* ChangeHighlightValue */
		u32(&b, 0);              /* ReservedBlockEE1Size */
		if (e->flags & (PST_OVR_SUBJECT | PST_OVR_LOCATION)) {
			u32(&b, (uint32_t)e->start);
			u32(&b, (uint32_t)e->end);
			u32(&b, (uint32_t)e->orig);
			if (e->flags & PST_OVR_SUBJECT)
				wide(&b, e->subject);
			if (e->flags & PST_OVR_LOCATION)
				wide(&b, e->location);
			u32(&b, 0);      /* ReservedBlockEE2Size */
		}
	}
	u32(&b, 0);                      /* ReservedBlock2Size */
	free(del);
	free(mod);
	return (uint8_t *)mf_buf_detach(&b, len);
}
