/* SPDX-License-Identifier: MIT */
/*
 * date.h: legacy dates.
 *
 * cc:Mail and MS Mail write wall-clock times with no zone, in a locale's
 * field order.  mailferry parses them into civil fields (struct mf_civil),
 * checks that the date exists, and converts it to UTC with the rules of the
 * source's IANA time zone that were in force on that date (the system zone
 * database: /usr/share/zoneinfo).  Exporters turn UTC back into the source's
 * local time when a target wants local time (Exchange files, Date: headers).
 */
#ifndef MF_CORE_DATE_H
#define MF_CORE_DATE_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"

struct mf_civil {
	int year, month, day;      /* month 1-12, day 1-31 */
	int hour, min, sec;        /* 0-23, 0-59, 0-59 */
};

enum mf_date_order { MF_ORDER_MDY = 0, MF_ORDER_DMY = 1, MF_ORDER_YMD = 2 };

/* "mdy", "dmy", "ymd" (any case) -> order; MF_EFORMAT otherwise. */
int mf_date_order_parse(enum mf_date_order *out, const char *s);

/* Does the civil date/time exist (Gregorian calendar, years 1..9999)? */
int mf_civil_valid(const struct mf_civil *c);

/* Flags reported by mf_date_parse. */
enum mf_date_flags {
	MF_DATE_NO_TIME = (1 << 0),   /* the text had a date only: 00:00 used */
	MF_DATE_NO_SECONDS = (1 << 1),
	MF_DATE_TWO_DIGIT_YEAR = (1 << 2),
};

/*
 * Parse a locale date "D1/D2/D3 H:MM[:SS][ ][AM|PM]" (separators '/' or
 * '-'; 2- or 4-digit year: below 70 means 20yy, otherwise 19yy; fields in
 * `order`).  A date without a time is accepted (MF_DATE_NO_TIME).
 * Returns MF_OK with *out filled and *flags (may be NULL) set, or
 * MF_EFORMAT when the text is not a date or the date does not exist
 * (2/31/99, 13/1/97, 25:00).  Never reads past s[len-1].
 */
int mf_date_parse(struct mf_civil *out, unsigned *flags, const char *s,
		  size_t len, enum mf_date_order order);

/* Parse "hh:mm[:ss]" (24-hour) into out's time fields. */
int mf_time_parse(struct mf_civil *out, const char *s, size_t len);

/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t mf_days_from_civil(int y, int m, int d);
/* Seconds since the epoch of a civil time taken as UTC. */
int64_t mf_civil_to_utc_naive(const struct mf_civil *c);
/* Civil UTC fields of t. */
void mf_utc_to_civil(struct mf_civil *out, int64_t t);

/* Is zone a usable IANA zone name of this system ("UTC", "Europe/Paris")? */
int mf_tz_valid(const char *zone);

/*
 * Convert a wall-clock time in zone to UTC with the zone's historic rules.
 * For a time that falls twice (the hour repeated when DST ends) the first
 * (daylight) instant is taken; for a time that does not exist (the hour
 * skipped when DST starts) the clock is read as standard time, which puts
 * it one hour later.  MF_EFORMAT for an invalid zone or date.
 */
int mf_tz_local_to_utc(int64_t *out, const char *zone, const struct mf_civil *c);

/* Local civil time and UTC offset (seconds east) of instant t in zone. */
int mf_tz_utc_to_local(struct mf_civil *out, int *gmtoff_out, const char *zone,
		       int64_t t);

/* "YYYYMMDDhhmmss" of c into out[15]; MF_EFORMAT if c is invalid or the
 * year is outside 1601-9999 (the Exchange files' range). */
int mf_civil_format14(char out[15], const struct mf_civil *c);

/* RFC 5322 date ("Tue, 14 Mar 1995 09:05:00 +0100") of t in zone, into
 * out[40]. */
int mf_format_rfc5322(char out[40], int64_t t, const char *zone);

/* ISO 8601 UTC ("1995-03-14T08:05:00Z") into out[21]. */
void mf_format_iso_utc(char out[21], int64_t t);

#endif
