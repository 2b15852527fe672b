/* SPDX-License-Identifier: MIT */
/*
 * pst_appt.h: appointments in a PST (pst_appt.c) and their recurrence
 * blob (pst_recur.c), [MS-OXOCAL].
 */
#ifndef MF_EXPORTERS_PST_PST_APPT_H
#define MF_EXPORTERS_PST_PST_APPT_H

#include "exporters/pst/pst.h"

/* RecurFrequency, PatternType, EndType */
enum { PST_RECUR_DAILY = 0x200A, PST_RECUR_WEEKLY = 0x200B, PST_RECUR_MONTHLY = 0x200C,
       PST_RECUR_YEARLY = 0x200D };
enum { PST_PAT_DAY = 0, PST_PAT_WEEK = 1, PST_PAT_MONTH = 2, PST_PAT_MONTH_NTH = 3 };
enum { PST_END_DATE = 0x2021, PST_END_COUNT = 0x2022, PST_END_NEVER = 0x2023 };
#define PST_NO_END_DATE 0x5AE980DFu

/* ExceptionInfo OverrideFlags */
enum { PST_OVR_SUBJECT = 0x0001, PST_OVR_MEETING = 0x0002, PST_OVR_REMINDER_DELTA = 0x0004,
       PST_OVR_REMINDER = 0x0008, PST_OVR_LOCATION = 0x0010, PST_OVR_BUSY = 0x0020,
       PST_OVR_ATTACHMENT = 0x0040, PST_OVR_SUBTYPE = 0x0080, PST_OVR_BODY = 0x0200 };

struct pst_recur {
	uint16_t freq, pattern;
	uint32_t first_dt, period;     /* period: minutes (daily), weeks, months */
	uint32_t mask;                 /* days: Sunday 0x01 ... Saturday 0x40 */
	uint32_t day;                  /* day of the month */
	uint32_t nth;                  /* 1..4, 5 = last */
	uint32_t end_type, count, first_dow;
	uint32_t start_date, end_date; /* local midnight, minutes since 1601 */
	uint32_t start_offset, end_offset; /* minutes after midnight */
};

/* A deleted or changed occurrence; times local, minutes since 1601. */
struct pst_recur_exc {
	int64_t orig;                  /* its original start */
	int64_t start, end;            /* changed: its own times */
	int deleted;
	uint16_t flags;
	const char *subject, *location;
	uint32_t reminder_delta, reminder_set, busy, subtype;
};

/* FirstDateTime from start_date, period, first_dow ([MS-OXOCAL] 2.2.1.44.1.1). */
void pst_recur_first_datetime(struct pst_recur *r);
/* The blob (malloc'd).  x is sorted by original start here. */
uint8_t *pst_recur_blob(const struct pst_recur *r, struct pst_recur_exc *x, size_t nx,
			size_t *len);

/* Calendar arithmetic: days since 1970 of a Gregorian date and back,
 * minutes since 1601 of a local date and time, day of week (0 Sunday). */
int64_t pst_days_civil(int y, int m, int d);
/* The occurrences of a plain RRULE from a floating DTSTART, counted
 * without libical's iterator (pst_appt.c); 0 when the rule is not plain. */
struct icalrecurrencetype;
struct icaltimetype;
int pst_rrule_walk(const struct icalrecurrencetype *rr, const struct icaltimetype *ds,
		   uint32_t limit, uint32_t *n, struct icaltimetype *last);
void pst_civil_days(int64_t days, int *y, int *m, int *d);
int64_t pst_min1601(int y, int mo, int d, int h, int mi);
int pst_dow(int64_t days);

#endif
