/* SPDX-License-Identifier: MIT */
/*
 * schedplus.h: Schedule+ calendar exports in an MS Mail bundle
 * (contract section 6) and their conversion to iCalendar with libical 3.
 *
 * .sc2, the Schedule+ 7 interchange (docs/formats/exchange-migration-files.md
 * section 5.5):
 *
 *   SCHEDULE+2 EXPORT VERSION 103
 *   RecurringAppointments:
 *   {
 *      StartRecurringDate: 03-06-1995
 *      RecurringType: 48
 *      Text: "Staff meeting with \"HQ\""
 *      Notes: "first line\
 *   \
 *   second line"
 *      Exceptions:
 *      {
 *         InstanceDate: 03-20-1995
 *         Deleted: T
 *      }
 *   }
 *
 * Objects are `Type:`, `{`, `Property: value` lines and nested objects,
 * `}`.  A line ending in `\` continues on the next line; a continuation
 * line that holds nothing but the `\` (two continuations in a row) is a
 * line break in the value.  Quoted values use `\"` for a quote.  A second
 * `{ ... }` block right after an object is another object of the same type.
 *
 * .sch, the Schedule+ 1.0 export (research 10.3): a header line
 * `SCHEDULE+ EXPORT BY <mailbox> ON m/dd/yy AT hh:mm AM/PM`, then items: a
 * `Keyword:` line, TAB-indented `field TAB value` lines (a field with no
 * value has its text on the following lines), and a line `End`.
 *
 * The readers are pure functions over bytes; objects and items are
 * allocated in the reader's arena and stay valid until the next call.
 * Damaged objects are reported and passed over (MF_SKIP).
 *
 * The converters build one calendar item (a VEVENT, VTODO or VJOURNAL with
 * its RECURRENCE-ID overrides) or one personal address book entry from an
 * object, in UTF-8, through libical; this file and exporters/files/ical.c are the
 * only ones that include libical.
 */
#ifndef MF_IMPORTERS_SCHEDPLUS_H
#define MF_IMPORTERS_SCHEDPLUS_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/charset.h"
#include "core/model.h"
#include "core/rd.h"
#include "importers/problem.h"

#define MF_SCHED_LINE_MAX    (64u * 1024)   /* one physical line */
#define MF_SCHED_VALUE_MAX   (1u << 20)     /* one logical value */
#define MF_SCHED_OBJECT_MAX  (16u << 20)    /* one top-level object or item */
#define MF_SCHED_DEPTH_MAX   8
#define MF_SCHED_ITEMS_MAX   4096           /* properties / children / fields of one object */

/* ---- .sc2 ---- */

struct mf_sc2_prop {
	struct mf_span name;        /* as written, trimmed */
	const char *value;          /* decoded, NUL-terminated, calendar code page bytes */
	size_t value_len;
	int quoted;
	uint64_t offset;            /* of the property line */
};

struct mf_sc2_obj {
	struct mf_span type;        /* "SingleAppointments" */
	uint64_t offset;            /* of its type line (or of its '{' line) */
	struct mf_span raw;         /* type line through the '}' line and its line end */
	struct mf_sc2_prop *props;
	size_t n_props;
	struct mf_sc2_obj *children;
	size_t n_children;
};

struct mf_sc2 {
	struct mf_rd rd;
	struct mf_arena arena;
	mf_problem_fn *problem;
	void *pctx;
	struct mf_span last_type;   /* for a further '{' block of the same type */
	struct mf_buf scratch;
};

/* Start reading; checks the `SCHEDULE+2 EXPORT VERSION 103` line (a
 * different or missing first line is reported and reading goes on). */
void mf_sc2_init(struct mf_sc2 *p, const void *data, size_t len,
		 mf_problem_fn *fn, void *ctx);
void mf_sc2_release(struct mf_sc2 *p);
/* The next top-level object: MF_OK (*out set), MF_DONE, or MF_SKIP when a
 * damaged object was passed over (reported). */
int mf_sc2_next(struct mf_sc2 *p, const struct mf_sc2_obj **out);

/* A property of o by name (case-insensitive), or NULL. */
const struct mf_sc2_prop *mf_sc2_prop(const struct mf_sc2_obj *o, const char *name);

/* ---- .sch ---- */

struct mf_sch_field {
	struct mf_span name;
	const char *value;          /* NUL-terminated; a text field's lines joined with "\n" */
	size_t value_len;
	uint64_t offset;
};

struct mf_sch_item {
	struct mf_span keyword;     /* "FixedAppt" */
	uint64_t offset;
	struct mf_span raw;         /* keyword line through the End line and its line end */
	struct mf_sch_field *fields;
	size_t n_fields;
};

struct mf_sch {
	struct mf_rd rd;
	struct mf_arena arena;
	mf_problem_fn *problem;
	void *pctx;
	struct mf_span header;      /* the first line */
	struct mf_span owner;       /* <mailbox> of the header, len 0 when unknown */
};

void mf_sch_init(struct mf_sch *p, const void *data, size_t len,
		 mf_problem_fn *fn, void *ctx);
void mf_sch_release(struct mf_sch *p);
int mf_sch_next(struct mf_sch *p, const struct mf_sch_item **out);

/* ---- conversion to iCalendar ---- */

struct mf_cal_opts {
	const char *tzid;           /* IANA zone of the wall-clock times; "UTC": times in UTC */
	struct mf_charset *cs;      /* calendar code page -> UTF-8; NULL: bytes are UTF-8 */
	const char *owner;          /* the owner's source address, part of every UID */
	int64_t dtstamp;            /* DTSTAMP of every component (UTC seconds) */
	mf_problem_fn *problem;
	void *pctx;
};

enum mf_cal_what { MF_CAL_NONE = 0, MF_CAL_ITEM = 1, MF_CAL_CONTACT = 2 };

struct mf_cal_result {
	enum mf_cal_what what;
	struct mf_calendar_item item; /* kind, uid, summary, dtstart, timezone, recurring,
				       * ical, source_type (mailbox and file left 0) */
	struct mf_pab_entry pab;      /* display_name, address, fields (mailbox left 0) */
	int n_overrides;              /* RECURRENCE-ID components in item.ical */
	int n_exdates;
};

/*
 * Convert one .sc2 top-level object.  Strings are allocated in arena; raw
 * and offsets are copied from o.  Returns MF_OK (out->what says which
 * result), or MF_SKIP when nothing usable could be made (reported).
 */
int mf_sc2_convert(struct mf_cal_result *out, const struct mf_sc2_obj *o,
		   const struct mf_cal_opts *opts, struct mf_arena *arena);

/* State carried between .sch items (projects before their tasks). */
struct mf_sch_state {
	struct { long aid; char uid[80]; } project[256];
	size_t n_projects;
};

int mf_sch_convert(struct mf_cal_result *out, const struct mf_sch_item *it,
		   struct mf_sch_state *state, const struct mf_cal_opts *opts,
		   struct mf_arena *arena);

/* ---- pieces, exposed for tests ---- */

/* The RRULE text for a .sc2 recurrence (RecurringType and its interval and
 * mask properties), without UNTIL.  Returns MF_OK with out filled, or
 * MF_EFORMAT with *why set. */
int mf_sc2_rrule(char *out, size_t cap, const struct mf_sc2_obj *o, const char **why);

/* The RRULE text for Schedule+ 1.0 recurrence fields (research 10.4). */
int mf_sch_rrule(char *out, size_t cap, const char *trecur, const char *valid_months,
		 const char *valid_dows, const char **why);

/* iCalendar PRIORITY (1-9) for a Schedule+ 7 two-byte priority code
 * (8243 = "3" -> 3, letters -> 9), or 0 when the value is not one. */
int mf_sc2_priority(long code);

#endif
