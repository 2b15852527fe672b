/* SPDX-License-Identifier: MIT */
/*
 * exchange_calendar.c: calendars as a Schedule+ interchange file
 * (see exchange.c and exchange_priv.h).
 */
#include "exporters/exchange/exchange_priv.h"

/* ---- calendars: a Schedule+ interchange file (contract 5.5) ---- */

static int is_sc2_object(const void *raw, size_t len)
{
	static const char *const kinds[] = { "SingleAppointments", "RecurringAppointments",
		"SingleEvents", "RecurringEvents", "SingleTasks", "RecurringTasks", "Projects",
		"Contacts", NULL };
	for (int i = 0; kinds[i]; i++) {
		size_t n = strlen(kinds[i]);
		if (len > n && !memcmp(raw, kinds[i], n) && ((const char *)raw)[n] == ':')
			return 1;
	}
	return 0;
}

/* Append an interchange line, continued with "\" when over 80 characters. */
static void sc2_line(struct mf_buf *out, const char *s, size_t n)
{
	while (n > 80) {
		mf_buf_add(out, s, 79);
		mf_buf_addstr(out, "\\\r\n");
		s += 79;
		n -= 79;
	}
	mf_buf_add(out, s, n);
	mf_buf_addstr(out, "\r\n");
}

/* The value of an iCalendar property (first occurrence, unfolded). */
static int ical_prop(const char *ical, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = ical;
	while (p && *p) {
		if (!strncmp(p, name, nl) && (p[nl] == ':' || p[nl] == ';')) {
			const char *colon = strchr(p, ':');
			size_t k = 0;
			if (!colon)
				return 0;
			for (const char *q = colon + 1; *q && k + 1 < cap; q++) {
				if (q[0] == '\r' && q[1] == '\n' && (q[2] == ' ' || q[2] == '\t')) {
					q += 2;
					continue;
				}
				if (*q == '\r' || *q == '\n')
					break;
				out[k++] = *q;
			}
			out[k] = '\0';
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* The decimal value of n digits at s, or -1. */
int exx_digits_at(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "19970321T100000" -> "03-21-1997 10:00"; date only -> "03-21-1997". */
static int ical_to_sc2_time(char *out, size_t cap, const char *v)
{
	size_t n = strlen(v);
	int y, mo, d;
	if (n < 8 || (y = exx_digits_at(v, 4)) < 0 || (mo = exx_digits_at(v + 4, 2)) < 0 ||
	    (d = exx_digits_at(v + 6, 2)) < 0)
		return 0;
	if (n >= 13 && v[8] == 'T' && exx_digits_at(v + 9, 4) >= 0)
		snprintf(out, cap, "%02d-%02d-%04d %02d:%02d", mo, d, y, exx_digits_at(v + 9, 2),
			 exx_digits_at(v + 11, 2));
	else
		snprintf(out, cap, "%02d-%02d-%04d", mo, d, y);
	return 1;
}

static void sc2_from_ical(struct mf_export_ctx *c, const struct mf_calendar_item *ci)
{
	char summary[1024] = "", start[64] = "", end[64] = "", t[64] = "", line[1200];
	struct mf_buf enc;
	int is_todo = ci->kind && !strcmp(ci->kind, "todo");

	mf_buf_init(&enc, 1u << 16);
	ical_prop(ci->ical, "SUMMARY", summary, sizeof(summary));
	if (ical_prop(ci->ical, "DTSTART", t, sizeof(t)))
		ical_to_sc2_time(start, sizeof(start), t);
	if (ical_prop(ci->ical, is_todo ? "DUE" : "DTEND", t, sizeof(t)))
		ical_to_sc2_time(end, sizeof(end), t);
	mf_buf_addstr(&c->sc2, is_todo ? "SingleTasks:\r\n{\r\n" : "SingleAppointments:\r\n{\r\n");
	/* quotes inside strings are written \" (contract 5.5) */
	{
		struct mf_buf q;
		mf_buf_init(&q, 1u << 16);
		for (const char *p = summary; *p; p++) {
			if (*p == '"' || *p == '\\')
				mf_buf_addch(&q, '\\');
			mf_buf_addch(&q, *p);
		}
		exx_enc_line(c, &enc, q.data);
		mf_buf_release(&q);
	}
	snprintf(line, sizeof(line), "    Text: \"%s\"", enc.data);
	sc2_line(&c->sc2, line, strlen(line));
	if (start[0]) {
		snprintf(line, sizeof(line), "    %s: %s", is_todo ? "StartDate" : "Start", start);
		sc2_line(&c->sc2, line, strlen(line));
	}
	if (end[0]) {
		snprintf(line, sizeof(line), "    %s: %s", is_todo ? "EndDate" : "End", end);
		sc2_line(&c->sc2, line, strlen(line));
	}
	mf_buf_addstr(&c->sc2, "}\r\n");
	mf_buf_release(&enc);
	if (ci->recurring)
		mf_export_problem(c->ex, MF_WARNING, "exchange.schedule-simplified", c->mb->id, 0,
				  "calendar item %s has no Schedule+ 7 source object; written as a "
				  "single occurrence without its recurrence", ci->uid);
}

int exx_ex_put_calendar(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			const struct mf_calendar_item *ci, struct mf_put_result *res,
			struct mf_diag *d)
{
	(void)mb;
	(void)d;
	if (ci->raw && is_sc2_object(ci->raw, ci->raw_len)) {
		/* the source object as exported, in this set's code page */
		struct mf_charset *src = NULL;
		struct mf_buf u, e;
		size_t r = 0;
		mf_buf_init(&u, MF_BUF_UNBOUNDED);
		mf_buf_init(&e, MF_BUF_UNBOUNDED);
		if (mf_charset_open(&src, c->src_cal_cp, NULL) < 0)
			mf_charset_open(&src, "1252", NULL);
		mf_charset_to_utf8(src, ci->raw, ci->raw_len, &u, NULL);
		exw_encode_text(&e, c->cs, u.data, u.len, &r);
		c->repl += (int64_t)r;
		mf_buf_add(&c->sc2, e.data, e.len);
		if (e.len < 2 || memcmp(e.data + e.len - 2, "\r\n", 2))
			mf_buf_addstr(&c->sc2, "\r\n");
		mf_charset_free(&src);
		mf_buf_release(&u);
		mf_buf_release(&e);
	} else {
		sc2_from_ical(c, ci);
	}
	c->cals = mf_xreallocarray(c->cals, c->ncals + 1, sizeof(*c->cals));
	c->cals[c->ncals++] = ci->id;
	c->content = 1;
	res->state = MF_PUT_PENDING;
	return MF_OK;
}
