/* SPDX-License-Identifier: MIT */
/*
 * ical.h: iCalendar files with libical 3.0.  exporters/files/ical.c is the only
 * exporter file that includes libical (a later port to libical 4 touches
 * that file alone).
 *
 * A calendar is built from staged calendar items: each item's text is one
 * or more components (a VEVENT or VTODO and the VEVENTs that override some
 * of its occurrences, RECURRENCE-ID), CR LF lines, TZID parameters naming
 * IANA zones.  The calendar gets one VTIMEZONE per zone its items use,
 * made from the system zone database by libical and cut to start a year
 * before the earliest time that uses the zone (older history only makes
 * the file large and trips some readers).
 */
#ifndef MF_EXPORTERS_ICAL_H
#define MF_EXPORTERS_ICAL_H

#include <stddef.h>
#include "core/buf.h"
#include "core/mf.h"

struct mf_ical_cal;

/*
 * Check one item's text: it must parse without errors, hold at least one
 * VEVENT, VTODO or VJOURNAL and nothing else but VTIMEZONEs (ignored: the
 * calendar makes its own), every such component with a UID, and every TZID
 * must name a zone libical knows.  MF_OK, or MF_EFORMAT with diag saying
 * why.
 */
int mf_ical_check_item(const char *ical, struct mf_diag *diag);
/* The same check, keeping what it parsed: on MF_OK *out is the item as the
 * children of a VCALENDAR (free it with mf_ical_item_free), else NULL.
 * For an exporter that reads the item with libical next (export pst),
 * which then parses it once instead of twice. */
struct icalcomponent_impl;
int mf_ical_parse_item(struct icalcomponent_impl **out, const char *ical, struct mf_diag *diag);
void mf_ical_item_free(struct icalcomponent_impl **item);

/* A new, empty calendar named name (X-WR-CALNAME; may be NULL). */
struct mf_ical_cal *mf_ical_cal_new(const char *name);
void mf_ical_cal_free(struct mf_ical_cal **cal);

/* Add the components of one item (checked as mf_ical_check_item does).
 * A component without DTSTAMP gets one at default_stamp (UTC seconds). */
int mf_ical_cal_add(struct mf_ical_cal *cal, const char *ical, int64_t default_stamp,
		    struct mf_diag *diag);

/*
 * Append the whole calendar (VCALENDAR with PRODID, VERSION, CALSCALE, the
 * VTIMEZONEs in TZID order, then the components in the order added) to
 * out, then parse the result again and fail with MF_EFORMAT if libical
 * finds any error in it.
 */
int mf_ical_cal_write(struct mf_ical_cal *cal, struct mf_buf *out, struct mf_diag *diag);

/* What a calendar file holds, as libical reads it (tests, verify). */
struct mf_ical_stats {
	size_t calendars, events, todos, journals, timezones;
	size_t rrules, exdates, overrides;   /* overrides: RECURRENCE-ID */
	size_t errors;                       /* X-LIC-ERROR properties */
	size_t unknown_tzids;                /* TZIDs with no VTIMEZONE in the file */
};
int mf_ical_stats(struct mf_ical_stats *out, const char *text, size_t len,
		  struct mf_diag *diag);

/*
 * Each VEVENT, VTODO and VJOURNAL of a calendar text, in file order, to fn
 * with its UID ("" when it has none) and its text as libical writes it
 * (verify compares a file with the calendar built again this way).
 * MF_EFORMAT when the text is not iCalendar.
 */
int mf_ical_components(const char *text, size_t len,
		       void (*fn)(void *arg, const char *uid, const char *comp), void *arg,
		       struct mf_diag *diag);

#endif
