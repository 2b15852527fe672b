/* SPDX-License-Identifier: MIT */
/*
 * schedplus_int.h: what the parts of the Schedule+ readers and converters
 * share (private to importers/msmail/; the interface is schedplus.h).
 *
 *   schedplus.c        span helpers, the .sc2 and .sch readers
 *   schedplus_rrule.c  conversion helpers, recurrence rules
 *   schedplus_conv.c   .sc2 and .sch objects to iCalendar and contacts
 */
#ifndef MF_IMPORTERS_MSMAIL_SCHEDPLUS_INT_H
#define MF_IMPORTERS_MSMAIL_SCHEDPLUS_INT_H

#include "importers/msmail/schedplus.h"
#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/addr.h"
#include "core/date.h"
#include "core/hash.h"

struct conv {
	const struct mf_cal_opts *o;
	struct mf_arena *a;
	uint64_t off;                /* of the object, for reports */
	int utc;                     /* tzid is UTC: write UTC times */
	struct mf_buf tmp;
};

struct mf_span spl_sub(struct mf_span s, size_t i, size_t j);
struct mf_span spl_span_of(const char *s);
void spl_report(struct conv *c, enum mf_severity sev, const char *code, uint64_t off,
		const char *fmt, ...) MF_ATTR_PRINTF(5, 6);
int spl_zone_is_utc(const char *z);
char *spl_utf8(struct conv *c, const char *s, size_t n, uint64_t off);
long spl_num(const char *s, int *ok);
int spl_truthy(const char *s);
int spl_parse_when(struct mf_civil *c, int *has_date, int *has_time, const char *s);
void spl_civil_add_days(struct mf_civil *c, int days);
struct icaltimetype spl_ical_time(const struct conv *c, const struct mf_civil *v, int is_date);
struct icaltimetype spl_ical_utc(int64_t t);
void spl_add_time(const struct conv *c, icalcomponent *comp,
		  icalproperty *(*ctor)(struct icaltimetype), const struct mf_civil *v,
		  int is_date);
void spl_add_text(icalcomponent *comp, icalproperty *(*ctor)(const char *), const char *v);
void spl_add_x(struct conv *c, icalcomponent *comp, struct mf_span name, const char *val,
	       size_t len, uint64_t off);
char *spl_comp_text(struct conv *c, icalcomponent *comp);
void spl_make_uid(char out[80], const struct mf_cal_opts *o, uint64_t off, struct mf_span raw);
long spl_prop_num(const struct mf_sc2_obj *o, const char *name, int *present, int *ok);
int spl_month_days_max(int m);
int spl_sc2_rrule_start(char *out, size_t cap, const struct mf_sc2_obj *o,
			const struct mf_civil *start, const char **why);

#endif
