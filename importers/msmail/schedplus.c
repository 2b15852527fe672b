/* SPDX-License-Identifier: MIT */
/* schedplus.c: .sc2 and .sch readers and their conversion to iCalendar
 * (see schedplus.h). */
#include "importers/msmail/schedplus.h"

#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/date.h"
#include "core/hash.h"

static struct mf_span sub(struct mf_span s, size_t i, size_t j)
{
	struct mf_span r;
	r.p = s.p + i;
	r.len = j - i;
	return r;
}

static struct mf_span span_of(const char *s)
{
	struct mf_span r;
	r.p = (const unsigned char *)s;
	r.len = strlen(s);
	return r;
}

static struct mf_span arena_span(struct mf_arena *a, struct mf_span s)
{
	struct mf_span r;
	r.p = (const unsigned char *)mf_arena_strndup(a, (const char *)s.p, s.len);
	r.len = s.len;
	return r;
}

static int is_blank_span(struct mf_span s)
{
	return mf_span_trim(s).len == 0;
}

/* ==== .sc2 reader ==== */

static const char *const sc2_top_types[] = {
	"SingleAppointments", "RecurringAppointments", "SingleEvents", "RecurringEvents",
	"SingleTasks", "RecurringTasks", "Projects", "Contacts", NULL
};

void mf_sc2_init(struct mf_sc2 *p, const void *data, size_t len,
		 mf_msm_problem_fn fn, void *ctx)
{
	struct mf_span line;
	memset(p, 0, sizeof(*p));
	mf_rd_init(&p->rd, data, len);
	p->problem = fn;
	p->pctx = ctx;
	mf_buf_init(&p->scratch, MF_SCHED_VALUE_MAX);
	if (mf_rd_at_ci(&p->rd, "\xEF\xBB\xBF"))
		mf_rd_seek(&p->rd, 3);
	if (mf_rd_peek_line(&p->rd, &line, MF_EOLS_ANY, MF_SCHED_LINE_MAX) == MF_OK &&
	    mf_span_starts_ci(mf_span_trim(line), "SCHEDULE+2 EXPORT")) {
		struct mf_span t = mf_span_trim(line);
		if (!mf_span_eq_ci(t, "SCHEDULE+2 EXPORT VERSION 103"))
			mf_msm_report(fn, ctx, MF_INFO, "msmail.sc2-header", mf_rd_offset(&p->rd),
				      "first line is '%.*s', not 'SCHEDULE+2 EXPORT VERSION 103'; "
				      "read as version 103", (int)(t.len > 60 ? 60 : t.len),
				      (const char *)t.p);
		mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
	} else if (len) {
		mf_msm_report(fn, ctx, MF_WARNING, "msmail.sc2-header", 0,
			      "no 'SCHEDULE+2 EXPORT VERSION 103' line at the start; read anyway");
	}
}

void mf_sc2_release(struct mf_sc2 *p)
{
	mf_arena_release(&p->arena);
	mf_buf_release(&p->scratch);
}

/* Peek the next non-blank physical line: *line, and the offset after it.
 * MF_DONE when only blank lines are left. */
static int peek_nonblank(const struct mf_rd *rd, struct mf_span *line, uint64_t *line_off,
			 uint64_t *after)
{
	struct mf_rd r = *rd;
	for (;;) {
		uint64_t off = mf_rd_offset(&r);
		int rc = mf_rd_line(&r, line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
		if (rc != MF_OK)
			return rc;
		if (is_blank_span(*line))
			continue;
		if (line_off)
			*line_off = off;
		if (after)
			*after = mf_rd_offset(&r);
		return MF_OK;
	}
}

/* Read one logical line (continuations joined) into p->scratch. */
static int logical_line(struct mf_sc2 *p, uint64_t *off)
{
	struct mf_span line;
	int rc, cont_prev = 0;

	mf_buf_reset(&p->scratch);
	*off = mf_rd_offset(&p->rd);
	rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
	if (rc != MF_OK)
		return rc;
	for (;;) {
		if (line.len && line.p[line.len - 1] == '\\') {
			struct mf_span content = sub(line, 0, line.len - 1);
			if (cont_prev && content.len == 0)
				rc = mf_buf_addch(&p->scratch, '\n');
			else
				rc = mf_buf_add(&p->scratch, content.p, content.len);
			if (rc < 0)
				return MF_ETOOBIG;
			cont_prev = 1;
			rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
			if (rc == MF_DONE)
				return MF_OK; /* a continuation at the very end */
			if (rc != MF_OK)
				return rc;
			continue;
		}
		if (mf_buf_add(&p->scratch, line.p, line.len) < 0)
			return MF_ETOOBIG;
		return MF_OK;
	}
}

/* Decode a property value: quotes removed, \" -> ". */
static const char *decode_value(struct mf_sc2 *p, struct mf_span rest, size_t *len,
				int *quoted, uint64_t off)
{
	char *out;
	size_t n = 0, i;

	rest = mf_span_trim(rest);
	out = mf_arena_alloc(&p->arena, rest.len + 1);
	*quoted = 0;
	if (rest.len && rest.p[0] == '"') {
		int closed = 0;
		*quoted = 1;
		for (i = 1; i < rest.len; i++) {
			unsigned char c = rest.p[i];
			if (c == '\\' && i + 1 < rest.len && rest.p[i + 1] == '"') {
				out[n++] = '"';
				i++;
				continue;
			}
			if (c == '"') {
				closed = 1;
				i++;
				break;
			}
			out[n++] = (char)c;
		}
		if (!closed)
			mf_msm_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-syntax", off,
				      "quoted value not closed; taken to the end of the line");
		else if (!is_blank_span(sub(rest, i, rest.len)))
			mf_msm_report(p->problem, p->pctx, MF_INFO, "msmail.sc2-syntax", off,
				      "text after a closing quote ignored (kept in the raw object)");
	} else {
		memcpy(out, rest.p, rest.len);
		n = rest.len;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

struct node_list {
	void *item;
	struct node_list *next;
};

static int sc2_body(struct mf_sc2 *p, struct mf_sc2_obj *o, uint64_t start, int depth,
		    const char **why);

/* After the type line: consume the '{' line and the body.  raw starts at start. */
static int sc2_object(struct mf_sc2 *p, struct mf_sc2_obj *o, struct mf_span type,
		      uint64_t start, int depth, const char **why)
{
	struct mf_span l;
	memset(o, 0, sizeof(*o));
	o->type = type;
	o->offset = start;
	/* the '{' line */
	for (;;) {
		if (mf_rd_line(&p->rd, &l, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX) != MF_OK) {
			*why = "no '{' after the object type";
			return MF_EFORMAT;
		}
		if (!is_blank_span(l))
			break;
	}
	if (!mf_span_eq_ci(mf_span_trim(l), "{")) {
		*why = "no '{' after the object type";
		return MF_EFORMAT;
	}
	return sc2_body(p, o, start, depth, why);
}

static int sc2_body(struct mf_sc2 *p, struct mf_sc2_obj *o, uint64_t start, int depth,
		    const char **why)
{
	struct node_list *props = NULL, **ptail = &props, *kids = NULL, **ktail = &kids;
	size_t np = 0, nk = 0;

	for (;;) {
		uint64_t off;
		struct mf_span t, name, rest;
		size_t colon = 0;
		int rc = logical_line(p, &off);

		if (rc == MF_DONE) {
			*why = "object not closed by '}' before the end of the file";
			return MF_EFORMAT;
		}
		if (rc != MF_OK) {
			*why = "line or value too long";
			return MF_EFORMAT;
		}
		if (mf_rd_offset(&p->rd) - start > MF_SCHED_OBJECT_MAX) {
			*why = "object larger than 16 MiB";
			return MF_EFORMAT;
		}
		t = mf_span_trim((struct mf_span){ (const unsigned char *)p->scratch.data,
						   p->scratch.len });
		if (!t.len)
			continue;
		if (t.len == 1 && t.p[0] == '}')
			break;
		if (t.len == 1 && t.p[0] == '{') {
			*why = "'{' without an object type";
			return MF_EFORMAT;
		}
		while (colon < t.len && t.p[colon] != ':')
			colon++;
		if (colon == t.len || colon == 0) {
			mf_msm_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-syntax", off,
				      "line without 'Property:' ignored (kept in the raw object)");
			continue;
		}
		name = mf_span_trim(sub(t, 0, colon));
		rest = sub(t, colon + 1, t.len);
		if (is_blank_span(rest)) {
			struct mf_span nl;
			if (peek_nonblank(&p->rd, &nl, NULL, NULL) == MF_OK &&
			    mf_span_eq_ci(mf_span_trim(nl), "{")) {
				/* nested object(s) */
				struct mf_span ctype = arena_span(&p->arena, name);
				uint64_t cstart = off;
				if (depth + 1 > MF_SCHED_DEPTH_MAX) {
					*why = "objects nested too deep";
					return MF_EFORMAT;
				}
				for (;;) {
					struct node_list *n;
					struct mf_sc2_obj *child;
					uint64_t loff, after;
					if (nk >= MF_SCHED_ITEMS_MAX) {
						*why = "too many nested objects";
						return MF_EFORMAT;
					}
					child = mf_arena_zalloc(&p->arena, sizeof(*child));
					if (sc2_object(p, child, ctype, cstart, depth + 1, why) < 0)
						return MF_EFORMAT;
					n = mf_arena_zalloc(&p->arena, sizeof(*n));
					n->item = child;
					*ktail = n;
					ktail = &n->next;
					nk++;
					if (peek_nonblank(&p->rd, &nl, &loff, &after) != MF_OK ||
					    !mf_span_eq_ci(mf_span_trim(nl), "{"))
						break;
					cstart = loff; /* another block of the same type */
				}
				continue;
			}
		}
		{
			struct node_list *n;
			struct mf_sc2_prop *pr;
			if (np >= MF_SCHED_ITEMS_MAX) {
				*why = "too many properties";
				return MF_EFORMAT;
			}
			pr = mf_arena_zalloc(&p->arena, sizeof(*pr));
			pr->name = arena_span(&p->arena, name);
			pr->offset = off;
			pr->value = decode_value(p, rest, &pr->value_len, &pr->quoted, off);
			n = mf_arena_zalloc(&p->arena, sizeof(*n));
			n->item = pr;
			*ptail = n;
			ptail = &n->next;
			np++;
		}
	}
	o->raw.p = p->rd.base + start;
	o->raw.len = (size_t)(mf_rd_offset(&p->rd) - start);
	o->n_props = np;
	o->props = np ? mf_arena_alloc(&p->arena, np * sizeof(*o->props)) : NULL;
	np = 0;
	for (struct node_list *n = props; n; n = n->next)
		o->props[np++] = *(struct mf_sc2_prop *)n->item;
	o->n_children = nk;
	o->children = nk ? mf_arena_alloc(&p->arena, nk * sizeof(*o->children)) : NULL;
	nk = 0;
	for (struct node_list *n = kids; n; n = n->next)
		o->children[nk++] = *(struct mf_sc2_obj *)n->item;
	return MF_OK;
}

/* Is the line a known top-level `Type:` followed by a '{' line? */
static int sc2_top_start(const struct mf_rd *r, struct mf_span line)
{
	struct mf_span t = mf_span_trim(line), nl;
	int known = 0;
	if (t.len < 2 || t.p[t.len - 1] != ':')
		return 0;
	t.len--;
	for (size_t i = 0; sc2_top_types[i]; i++)
		if (mf_span_eq_ci(mf_span_trim(t), sc2_top_types[i]))
			known = 1;
	return known && peek_nonblank(r, &nl, NULL, NULL) == MF_OK &&
	       mf_span_eq_ci(mf_span_trim(nl), "{");
}

int mf_sc2_next(struct mf_sc2 *p, const struct mf_sc2_obj **out)
{
	uint64_t junk_from = UINT64_MAX, junk_to = 0;
	int rc;

	mf_arena_reset(&p->arena);
	for (;;) {
		struct mf_span line, t, nl, type;
		uint64_t off = mf_rd_offset(&p->rd);
		struct mf_sc2_obj *o;
		const char *why = NULL;

		rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
		if (rc == MF_ETOOBIG) {
			/* pass over the long line */
			struct mf_span all;
			uint64_t to;
			if (mf_rd_find_line_with(&p->rd, 0, (const char *const[]){ "", NULL }, &to) < 0)
				to = (uint64_t)(p->rd.end - p->rd.base);
			mf_rd_bytes(&p->rd, (size_t)(to - off), &all);
			if (junk_from == UINT64_MAX)
				junk_from = off;
			junk_to = to;
			continue;
		}
		if (rc == MF_DONE)
			break;
		t = mf_span_trim(line);
		if (!t.len)
			continue;
		if (t.len == 1 && t.p[0] == '{' && p->last_type.len) {
			type = p->last_type;
		} else if (t.len >= 2 && t.p[t.len - 1] == ':' &&
			   peek_nonblank(&p->rd, &nl, NULL, NULL) == MF_OK &&
			   mf_span_eq_ci(mf_span_trim(nl), "{")) {
			type = mf_span_trim(sub(t, 0, t.len - 1));
		} else {
			if (junk_from == UINT64_MAX)
				junk_from = off;
			junk_to = mf_rd_offset(&p->rd);
			continue;
		}
		if (junk_from != UINT64_MAX) {
			mf_msm_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-garbage", junk_from,
				      "%llu bytes outside any object passed over",
				      (unsigned long long)(junk_to - junk_from));
		}
		o = mf_arena_zalloc(&p->arena, sizeof(*o));
		if (t.len == 1) {
			/* a further block of the previous type: the '{' is read */
			memset(o, 0, sizeof(*o));
			o->type = type;
			o->offset = off;
			rc = sc2_body(p, o, off, 0, &why);
		} else {
			rc = sc2_object(p, o, type, off, 0, &why);
		}
		if (rc == MF_OK) {
			/* keep the type for a following '{' block (copied: the
			 * arena is reset on the next call) */
			p->last_type = type;
			*out = o;
			return MF_OK;
		}
		/* damaged: resynchronise on the next top-level `Type:` + '{' */
		mf_rd_seek(&p->rd, off);
		mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
		for (;;) {
			struct mf_rd save = p->rd;
			if (mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX) != MF_OK) {
				if (!mf_rd_eof(&p->rd)) {
					/* an overlong line: step over it */
					uint64_t to;
					struct mf_span all;
					if (mf_rd_find_line_with(&p->rd, 0, (const char *const[]){ "", NULL },
								 &to) < 0)
						to = (uint64_t)(p->rd.end - p->rd.base);
					mf_rd_bytes(&p->rd, (size_t)(to - mf_rd_offset(&p->rd)), &all);
					continue;
				}
				break;
			}
			if (sc2_top_start(&p->rd, line)) {
				p->rd = save;
				break;
			}
		}
		p->last_type.len = 0;
		mf_msm_report(p->problem, p->pctx, MF_ERROR, "msmail.sc2-damaged", off,
			      "calendar object skipped (%llu bytes): %s",
			      (unsigned long long)(mf_rd_offset(&p->rd) - off), why ? why : "damaged");
		*out = NULL;
		return MF_SKIP;
	}
	if (junk_from != UINT64_MAX)
		mf_msm_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-garbage", junk_from,
			      "%llu bytes outside any object passed over",
			      (unsigned long long)(junk_to - junk_from));
	return MF_DONE;
}

const struct mf_sc2_prop *mf_sc2_prop(const struct mf_sc2_obj *o, const char *name)
{
	for (size_t i = 0; i < o->n_props; i++)
		if (mf_span_eq_ci(o->props[i].name, name))
			return &o->props[i];
	return NULL;
}

/* ==== .sch reader ==== */

void mf_sch_init(struct mf_sch *p, const void *data, size_t len,
		 mf_msm_problem_fn fn, void *ctx)
{
	struct mf_span line;
	memset(p, 0, sizeof(*p));
	mf_rd_init(&p->rd, data, len);
	p->problem = fn;
	p->pctx = ctx;
	if (mf_rd_peek_line(&p->rd, &line, MF_EOLS_ANY, MF_SCHED_LINE_MAX) == MF_OK &&
	    mf_span_starts_ci(mf_span_trim(line), "SCHEDULE+ EXPORT")) {
		struct mf_span t = mf_span_trim(line);
		size_t i = 16;
		p->header = t;
		/* "SCHEDULE+ EXPORT BY <mailbox> ON ..." */
		while (i < t.len && (t.p[i] == ' ' || t.p[i] == '\t'))
			i++;
		if (mf_span_starts_ci(sub(t, i, t.len), "BY ")) {
			size_t a = i + 3, b;
			while (a < t.len && t.p[a] == ' ')
				a++;
			b = a;
			while (b < t.len && t.p[b] != ' ' && t.p[b] != '\t')
				b++;
			p->owner = sub(t, a, b);
		}
		mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
	} else if (len) {
		mf_msm_report(fn, ctx, MF_WARNING, "msmail.sch-header", 0,
			      "no 'SCHEDULE+ EXPORT BY ...' line at the start; read anyway");
	}
}

void mf_sch_release(struct mf_sch *p)
{
	mf_arena_release(&p->arena);
}

static int is_end_line(struct mf_span l)
{
	return mf_span_eq_ci(mf_span_trim(l), "End");
}

int mf_sch_next(struct mf_sch *p, const struct mf_sch_item **out)
{
	uint64_t junk_from = UINT64_MAX, junk_to = 0;
	struct mf_span line, t;

	mf_arena_reset(&p->arena);
	for (;;) {
		uint64_t off = mf_rd_offset(&p->rd);
		struct node_list *fields = NULL, **ftail = &fields;
		size_t nf = 0;
		struct mf_sch_item *it;
		const char *why = NULL;
		int rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);

		if (rc == MF_DONE)
			break;
		if (rc != MF_OK) {
			uint64_t to;
			struct mf_span all;
			if (mf_rd_find_line_with(&p->rd, 0, (const char *const[]){ "", NULL }, &to) < 0)
				to = (uint64_t)(p->rd.end - p->rd.base);
			mf_rd_bytes(&p->rd, (size_t)(to - off), &all);
			if (junk_from == UINT64_MAX)
				junk_from = off;
			junk_to = to;
			continue;
		}
		t = mf_span_trim(line);
		if (!t.len)
			continue;
		if (line.p[0] == '\t' || line.p[0] == ' ' || t.p[t.len - 1] != ':' || t.len < 2) {
			if (junk_from == UINT64_MAX)
				junk_from = off;
			junk_to = mf_rd_offset(&p->rd);
			continue;
		}
		if (junk_from != UINT64_MAX) {
			mf_msm_report(p->problem, p->pctx, MF_WARNING, "msmail.sch-garbage", junk_from,
				      "%llu bytes outside any item passed over",
				      (unsigned long long)(junk_to - junk_from));
		}
		it = mf_arena_zalloc(&p->arena, sizeof(*it));
		it->keyword = mf_span_trim(sub(t, 0, t.len - 1));
		it->offset = off;
		/* fields up to End */
		for (;;) {
			uint64_t foff = mf_rd_offset(&p->rd);
			struct mf_sch_field *f;
			struct node_list *n;
			size_t i, j;

			if (foff - off > MF_SCHED_OBJECT_MAX) {
				why = "item larger than 16 MiB";
				break;
			}
			rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
			if (rc != MF_OK) {
				why = rc == MF_DONE ? "no End line before the end of the file"
						    : "line too long";
				break;
			}
			if (is_end_line(line))
				break;
			if (!line.len || line.p[0] != '\t') {
				if (!is_blank_span(line))
					mf_msm_report(p->problem, p->pctx, MF_INFO, "msmail.sch-syntax",
						      foff, "line that is not a field ignored (kept in "
						      "the raw item)");
				continue;
			}
			if (nf >= MF_SCHED_ITEMS_MAX) {
				why = "too many fields";
				break;
			}
			f = mf_arena_zalloc(&p->arena, sizeof(*f));
			f->offset = foff;
			i = 1;
			while (i < line.len && line.p[i] == '\t')
				i++;
			j = i;
			while (j < line.len && line.p[j] != '\t')
				j++;
			f->name = mf_span_trim(sub(line, i, j));
			{
				struct mf_span v = mf_span_trim(sub(line, j, line.len));
				if (v.len) {
					f->value = mf_arena_strndup(&p->arena, (const char *)v.p, v.len);
					f->value_len = v.len;
				} else {
					/* a text field: the following lines that are
					 * neither fields nor End */
					struct mf_buf b;
					mf_buf_init(&b, MF_SCHED_VALUE_MAX);
					for (;;) {
						struct mf_rd save = p->rd;
						struct mf_span tl;
						if (mf_rd_line(&p->rd, &tl, NULL, MF_EOLS_ANY,
							       MF_SCHED_LINE_MAX) != MF_OK ||
						    (tl.len && tl.p[0] == '\t') || is_end_line(tl)) {
							p->rd = save;
							break;
						}
						if ((b.len && mf_buf_addch(&b, '\n') < 0) ||
						    mf_buf_add(&b, tl.p, tl.len) < 0) {
							why = "text longer than 1 MiB";
							break;
						}
					}
					f->value = mf_arena_strndup(&p->arena, b.data, b.len);
					f->value_len = b.len;
					mf_buf_release(&b);
					if (why)
						break;
				}
			}
			n = mf_arena_zalloc(&p->arena, sizeof(*n));
			n->item = f;
			*ftail = n;
			ftail = &n->next;
			nf++;
		}
		if (why) {
			/* damaged: go on at the next keyword line after this one */
			uint64_t to = (uint64_t)(p->rd.end - p->rd.base);
			struct mf_rd r;
			mf_rd_seek(&p->rd, off);
			mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
			r = p->rd;
			for (;;) {
				uint64_t lo = mf_rd_offset(&r);
				struct mf_span l, lt;
				if (mf_rd_line(&r, &l, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX) != MF_OK) {
					if (mf_rd_eof(&r))
						break;
					/* step over a long line */
					if (mf_rd_find_line_with(&r, 0, (const char *const[]){ "", NULL },
								 &lo) < 0)
						break;
					mf_rd_seek(&r, lo);
					continue;
				}
				lt = mf_span_trim(l);
				if (is_end_line(l)) {
					to = mf_rd_offset(&r);
					break;
				}
				if (l.len && l.p[0] != '\t' && l.p[0] != ' ' && lt.len >= 2 &&
				    lt.p[lt.len - 1] == ':') {
					to = lo;
					break;
				}
			}
			mf_rd_seek(&p->rd, to);
			mf_msm_report(p->problem, p->pctx, MF_ERROR, "msmail.sch-damaged", off,
				      "Schedule+ item skipped (%llu bytes): %s",
				      (unsigned long long)(to - off), why);
			*out = NULL;
			return MF_SKIP;
		}
		it->raw.p = p->rd.base + off;
		it->raw.len = (size_t)(mf_rd_offset(&p->rd) - off);
		it->n_fields = nf;
		it->fields = nf ? mf_arena_alloc(&p->arena, nf * sizeof(*it->fields)) : NULL;
		nf = 0;
		for (struct node_list *n = fields; n; n = n->next)
			it->fields[nf++] = *(struct mf_sch_field *)n->item;
		*out = it;
		return MF_OK;
	}
	if (junk_from != UINT64_MAX)
		mf_msm_report(p->problem, p->pctx, MF_WARNING, "msmail.sch-garbage", junk_from,
			      "%llu bytes outside any item passed over",
			      (unsigned long long)(junk_to - junk_from));
	return MF_DONE;
}

/* ==== conversion helpers ==== */

struct conv {
	const struct mf_cal_opts *o;
	struct mf_arena *a;
	uint64_t off;                /* of the object, for reports */
	int utc;                     /* tzid is UTC: write UTC times */
	struct mf_buf tmp;
};

static void report(struct conv *c, enum mf_severity sev, const char *code, uint64_t off,
		   const char *fmt, ...) MF_ATTR_PRINTF(5, 6);

static void report(struct conv *c, enum mf_severity sev, const char *code, uint64_t off,
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

static int zone_is_utc(const char *z)
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
static char *utf8(struct conv *c, const char *s, size_t n, uint64_t off)
{
	size_t repl = 0;
	mf_buf_reset(&c->tmp);
	if (c->o->cs)
		mf_charset_to_utf8(c->o->cs, s, n, &c->tmp, &repl);
	else
		mf_utf8_sanitize(s, n, &c->tmp, &repl);
	if (repl)
		report(c, MF_INFO, "msmail.cal-charset", off,
		       "%zu byte(s) with no mapping in the calendar code page became U+FFFD", repl);
	return mf_arena_strndup(c->a, c->tmp.data, c->tmp.len);
}

static long num(const char *s, int *ok)
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

static int truthy(const char *s)
{
	while (*s == ' ')
		s++;
	return s[0] == 'T' || s[0] == 't' || s[0] == '1' || s[0] == 'Y' || s[0] == 'y';
}

/* Parse "mm-dd-yyyy[ hh:mm]" or "hh:mm".  *has_date / *has_time say what
 * was there.  MF_OK or MF_EFORMAT. */
static int parse_when(struct mf_civil *c, int *has_date, int *has_time, const char *s)
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
		struct mf_span t = mf_span_trim(span_of(s));
		if (mf_time_parse(c, (const char *)t.p, t.len) == MF_OK) {
			*has_time = 1;
			return MF_OK;
		}
	}
	return MF_EFORMAT;
}

static void civil_add_days(struct mf_civil *c, int days)
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

static struct icaltimetype ical_time(const struct conv *c, const struct mf_civil *v, int is_date)
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

static struct icaltimetype ical_utc(int64_t t)
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
static void add_time(const struct conv *c, icalcomponent *comp,
		     icalproperty *(*ctor)(struct icaltimetype), const struct mf_civil *v,
		     int is_date)
{
	icalproperty *p = ctor(ical_time(c, v, is_date));
	if (!is_date && !c->utc)
		icalproperty_add_parameter(p, icalparameter_new_tzid(c->o->tzid));
	icalcomponent_add_property(comp, p);
}

static void add_text(icalcomponent *comp, icalproperty *(*ctor)(const char *), const char *v)
{
	if (v && *v)
		icalcomponent_add_property(comp, ctor(v));
}

static void add_x(struct conv *c, icalcomponent *comp, struct mf_span name, const char *val,
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
	p = icalproperty_new_x(utf8(c, val, len, off));
	icalproperty_set_x_name(p, xname);
	icalcomponent_add_property(comp, p);
}

/* The component's text into the buffer c->tmp is not used: straight into arena. */
static char *comp_text(struct conv *c, icalcomponent *comp)
{
	char *s = icalcomponent_as_ical_string_r(comp);
	char *r = mf_arena_strdup(c->a, s ? s : "");
	free(s);
	return r;
}

static void make_uid(char out[80], const struct mf_cal_opts *o, uint64_t off, struct mf_span raw)
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

static long prop_num(const struct mf_sc2_obj *o, const char *name, int *present, int *ok)
{
	const struct mf_sc2_prop *p = mf_sc2_prop(o, name);
	*present = p != NULL;
	*ok = 0;
	return p ? num(p->value, ok) : 0;
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

static int month_days_max(int m)
{
	static const int d[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m >= 1 && m <= 12 ? d[m] : 0;
}

/* The RRULE for o; start (may be NULL) gives defaults for a missing mask. */
static int sc2_rrule_start(char *out, size_t cap, const struct mf_sc2_obj *o,
			   const struct mf_civil *start, const char **why)
{
	struct mf_buf b;
	int pr, ok, rc = MF_OK;
	long type = prop_num(o, "RecurringType", &pr, &ok);
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
		interval = prop_num(o, "DayInterval", &pi, &oki);
		mf_buf_addstr(&b, "FREQ=DAILY");
		break;
	case 48: /* weekly */
		interval = prop_num(o, "WeekInterval", &pi, &oki);
		mf_buf_addstr(&b, "FREQ=WEEKLY");
		break;
	case 12: /* monthly on a day */
	case 56: /* monthly by position */
		interval = prop_num(o, "MonthInterval", &pi, &oki);
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
		mask = prop_num(o, "DayOfWeekMask", &pm, &okm);
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
		moy = prop_num(o, "MonthOfYear", &pm, &okm);
		if (pm) {
			if (!okm || moy < 1 || moy > 12) {
				*why = "MonthOfYear is not 1-12";
				rc = MF_EFORMAT;
				goto out;
			}
			mf_buf_addf(&b, ";BYMONTH=%ld", moy);
		} else {
			long mm = prop_num(o, "MonthOfYearMask", &pm, &okm);
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
		dom = prop_num(o, "DayOfMonth", &pm, &okm);
		if (pm) {
			if (!okm || dom < 1 || dom > 31 || (moy && dom > month_days_max((int)moy))) {
				*why = "DayOfMonth is not a day of that month";
				rc = MF_EFORMAT;
				goto out;
			}
			mf_buf_addf(&b, ";BYMONTHDAY=%ld", dom);
		} else {
			long dm = prop_num(o, "DayOfMonthMask", &pm, &okm);
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
		wom = prop_num(o, "WeekOfMonth", &pm, &okm);
		if (!pm || !okm || wom < 1 || wom > 5) {
			*why = "WeekOfMonth missing or not 1-5";
			rc = MF_EFORMAT;
			goto out;
		}
		mf_buf_addf(&b, ";BYSETPOS=%ld", wom == 5 ? -1L : wom);
	}
	if (type == 48) {
		long ws = prop_num(o, "DayOfWeekStart", &pm, &okm);
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
	return sc2_rrule_start(out, cap, o, NULL, why);
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
	t = mf_span_trim(span_of(trecur));
	while (i < t.len && t.p[i] != ' ' && t.p[i] != '\t')
		i++;
	kw = sub(t, 0, i);
	while (i < t.len && (t.p[i] == ' ' || t.p[i] == '\t'))
		i++;
	j = i;
	while (j < t.len && t.p[j] != ' ' && t.p[j] != '\t')
		j++;
	a1 = sub(t, i, j);
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
		} else if (nmonths == 1 && (int)day > month_days_max(last_month)) {
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

/* ==== .sc2 conversion ==== */

enum sc2_kind { K_APPT, K_ALLDAY, K_TODO, K_PROJECT, K_CONTACT, K_OTHER };

static const char *const sc2_known[] = {
	"Text", "Notes", "Private", "BusyType", "Ring", "AlarmAmount", "AlarmTypeUnit",
	"Start", "End", "StartDate", "EndDate", "Priority", "Completed",
	"StartRecurringDate", "EndRecurringDate", "StartRecurringTime", "EndRecurringTime",
	"RecurringType", "DayInterval", "WeekInterval", "MonthInterval", "DayOfWeekMask",
	"DayOfWeekStart", "DayOfMonth", "WeekOfMonth", "MonthOfYear", "DayOfMonthMask",
	"MonthOfYearMask", NULL
};

static const char *const exc_known[] = {
	"InstanceDate", "Deleted", "Start", "End", "StartDate", "EndDate", "Text", "Notes",
	"Private", "BusyType", "Ring", "AlarmAmount", "AlarmTypeUnit", NULL
};

/* Contact properties, in mf_pab_entry field order (-1: display name,
 * -2: e-mail address). */
static const struct { const char *name; int field; } contact_props[] = {
	{ "FirstName", MF_PAB_FIRST }, { "GivenName", MF_PAB_FIRST },
	{ "LastName", MF_PAB_LAST }, { "Surname", MF_PAB_LAST },
	{ "Address", MF_PAB_STREET }, { "Street", MF_PAB_STREET },
	{ "BusinessAddress", MF_PAB_STREET }, { "StreetAddress", MF_PAB_STREET },
	{ "City", MF_PAB_CITY }, { "BusinessCity", MF_PAB_CITY },
	{ "State", MF_PAB_STATE }, { "BusinessState", MF_PAB_STATE },
	{ "Zip", MF_PAB_ZIP }, { "ZipCode", MF_PAB_ZIP }, { "PostalCode", MF_PAB_ZIP },
	{ "BusinessZip", MF_PAB_ZIP },
	{ "Country", MF_PAB_COUNTRY }, { "BusinessCountry", MF_PAB_COUNTRY },
	{ "Title", MF_PAB_TITLE }, { "JobTitle", MF_PAB_TITLE },
	{ "Company", MF_PAB_COMPANY }, { "CompanyName", MF_PAB_COMPANY },
	{ "Department", MF_PAB_DEPARTMENT }, { "Office", MF_PAB_OFFICE },
	{ "OfficeLocation", MF_PAB_OFFICE },
	{ "Assistant", MF_PAB_ASSISTANT }, { "AssistantName", MF_PAB_ASSISTANT },
	{ "BusinessPhone", MF_PAB_BUS_NUM }, { "Phone", MF_PAB_BUS_NUM },
	{ "WorkPhone", MF_PAB_BUS_NUM }, { "OfficePhone", MF_PAB_BUS_NUM },
	{ "BusinessPhone2", MF_PAB_BUS2_NUM }, { "AssistantPhone", MF_PAB_ASSIST_NUM },
	{ "Fax", MF_PAB_FAX_NUM }, { "BusinessFax", MF_PAB_FAX_NUM }, { "FaxNumber", MF_PAB_FAX_NUM },
	{ "HomePhone", MF_PAB_HOME_NUM }, { "HomePhone2", MF_PAB_HOME2_NUM },
	{ "MobilePhone", MF_PAB_MOBILE_NUM }, { "CellPhone", MF_PAB_MOBILE_NUM },
	{ "Mobile", MF_PAB_MOBILE_NUM },
	{ "Pager", MF_PAB_PAGER_NUM }, { "PagerNumber", MF_PAB_PAGER_NUM },
	{ "Notes", MF_PAB_NOTE },
	{ "Text", -1 }, { "DisplayName", -1 }, { "Name", -1 }, { "FullName", -1 },
	{ "EmailAddress", -2 }, { "Email", -2 }, { "EMail", -2 }, { "EmailName", -2 },
};

static int in_names(struct mf_span n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (mf_span_eq_ci(n, list[i]))
			return 1;
	return 0;
}

static enum sc2_kind sc2_classify(struct mf_span type, int *recurring)
{
	*recurring = 0;
	if (mf_span_eq_ci(type, "SingleAppointments"))
		return K_APPT;
	if (mf_span_eq_ci(type, "RecurringAppointments"))
		return *recurring = 1, K_APPT;
	if (mf_span_eq_ci(type, "SingleEvents"))
		return K_ALLDAY;
	if (mf_span_eq_ci(type, "RecurringEvents"))
		return *recurring = 1, K_ALLDAY;
	if (mf_span_eq_ci(type, "SingleTasks"))
		return K_TODO;
	if (mf_span_eq_ci(type, "RecurringTasks"))
		return *recurring = 1, K_TODO;
	if (mf_span_eq_ci(type, "Projects"))
		return K_PROJECT;
	if (mf_span_eq_ci(type, "Contacts"))
		return K_CONTACT;
	return K_OTHER;
}

static const char *pv(const struct mf_sc2_obj *o, const char *name)
{
	const struct mf_sc2_prop *p = mf_sc2_prop(o, name);
	return p ? p->value : NULL;
}

/* A date/time property; returns 1 when present and readable. */
static int prop_when(struct conv *c, const struct mf_sc2_obj *o, const char *name,
		     struct mf_civil *v, int *has_date, int *has_time)
{
	const struct mf_sc2_prop *p = mf_sc2_prop(o, name);
	if (!p)
		return 0;
	if (parse_when(v, has_date, has_time, p->value) != MF_OK) {
		report(c, MF_WARNING, "msmail.sc2-bad-date", p->offset,
		       "%s: '%.40s' is not mm-dd-yyyy[ hh:mm]; ignored", name, p->value);
		return 0;
	}
	return 1;
}

static int64_t to_utc(const struct conv *c, const struct mf_civil *v)
{
	int64_t t;
	if (c->utc || mf_tz_local_to_utc(&t, c->o->tzid, v) != MF_OK)
		t = mf_civil_to_utc_naive(v);
	return t;
}

/* VALARM for Ring: T (AlarmAmount units before the start). */
static void add_alarm(struct conv *c, icalcomponent *comp, const struct mf_sc2_obj *o,
		      const char *summary, const struct mf_civil *start, int have_start,
		      int start_is_date, int relate_end)
{
	const char *ring = pv(o, "Ring");
	int pa, oka, pu, oku;
	long amount = prop_num(o, "AlarmAmount", &pa, &oka);
	long unit = prop_num(o, "AlarmTypeUnit", &pu, &oku);
	icalcomponent *al;
	struct icaltriggertype tr;

	if (!ring || !truthy(ring))
		return;
	if (!pa || !oka || amount < 0 || amount > 99999) {
		if (pa)
			report(c, MF_WARNING, "msmail.sc2-alarm", o->offset,
			       "AlarmAmount '%.20s' is not a number; 15 minutes used",
			       pv(o, "AlarmAmount"));
		amount = 15;
		unit = 0;
	} else if (!pu) {
		unit = 0;
	} else if (!oku || unit < 0 || unit > 4) {
		report(c, MF_WARNING, "msmail.sc2-alarm", o->offset,
		       "AlarmTypeUnit '%.20s' is not 0-4; minutes used", pv(o, "AlarmTypeUnit"));
		unit = 0;
	}
	memset(&tr, 0, sizeof(tr));
	tr.time = icaltime_null_time();
	tr.duration = icaldurationtype_null_duration();
	if (unit == 4) {
		/* months have no fixed length: an absolute trigger */
		struct mf_civil t = *start;
		int m;
		if (!have_start) {
			report(c, MF_WARNING, "msmail.sc2-alarm", o->offset,
			       "alarm in months before an unknown start dropped");
			return;
		}
		m = t.year * 12 + (t.month - 1) - (int)amount;
		t.year = m / 12;
		t.month = m % 12 + 1;
		if (t.day > 28) {
			int maxd = month_days_max(t.month);
			if (t.month == 2 && !((t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0))
				maxd = 28;
			if (t.day > maxd)
				t.day = maxd;
		}
		if (start_is_date)
			t.hour = t.min = t.sec = 0;
		tr.time = ical_utc(to_utc(c, &t));
	} else {
		static const int secs[] = { 60, 3600, 86400, 604800 };
		tr.duration = icaldurationtype_from_int(-(int)(amount * secs[unit]));
	}
	al = icalcomponent_new_valarm();
	icalcomponent_add_property(al, icalproperty_new_action(ICAL_ACTION_DISPLAY));
	{
		icalproperty *tp = icalproperty_new_trigger(tr);
		if (relate_end && icaltime_is_null_time(tr.time))
			icalproperty_add_parameter(tp, icalparameter_new_related(ICAL_RELATED_END));
		icalcomponent_add_property(al, tp);
	}
	icalcomponent_add_property(al, icalproperty_new_description(summary && *summary ? summary
										       : "Reminder"));
	icalcomponent_add_component(comp, al);
}

static void add_busy(struct conv *c, icalcomponent *comp, const struct mf_sc2_obj *o)
{
	int pb, okb;
	long busy = prop_num(o, "BusyType", &pb, &okb);
	if (!pb)
		return;
	if (okb && busy == 0) {
		icalcomponent_add_property(comp, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
		icalcomponent_add_property(comp, icalproperty_new_status(ICAL_STATUS_TENTATIVE));
	} else if (okb && busy == 1) {
		icalcomponent_add_property(comp, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	} else {
		report(c, MF_INFO, "msmail.sc2-value", o->offset,
		       "BusyType '%.20s' is not 0 or 1; left out", pv(o, "BusyType"));
	}
}

static int contact_convert(struct conv *c, struct mf_cal_result *out, const struct mf_sc2_obj *o)
{
	struct mf_pab_entry *e = &out->pab;
	const char *display = NULL, *email = NULL;

	memset(e, 0, sizeof(*e));
	e->kind = "entry";
	for (size_t i = 0; i < o->n_props; i++) {
		const struct mf_sc2_prop *p = &o->props[i];
		int found = 0;
		for (size_t k = 0; k < MF_ARRAY_LEN(contact_props); k++) {
			if (!mf_span_eq_ci(p->name, contact_props[k].name))
				continue;
			found = 1;
			if (contact_props[k].field == -1) {
				if (!display)
					display = utf8(c, p->value, p->value_len, p->offset);
			} else if (contact_props[k].field == -2) {
				if (!email)
					email = utf8(c, p->value, p->value_len, p->offset);
			} else if (!e->field[contact_props[k].field]) {
				e->field[contact_props[k].field] = utf8(c, p->value, p->value_len, p->offset);
			}
			break;
		}
		if (!found)
			report(c, MF_INFO, "msmail.sc2-unknown-property", p->offset,
			       "contact property '%.*s' kept only in the raw object",
			       (int)(p->name.len > 40 ? 40 : p->name.len), (const char *)p->name.p);
	}
	if (!display || !*display) {
		const char *f = e->field[MF_PAB_FIRST], *l = e->field[MF_PAB_LAST];
		if ((f && *f) || (l && *l)) {
			if (f && *f && l && *l) {
				size_t n = strlen(f) + strlen(l) + 2;
				char *d = mf_arena_alloc(c->a, n);
				snprintf(d, n, "%s %s", f, l);
				display = d;
			} else {
				display = (f && *f) ? f : l;
			}
		} else if (e->field[MF_PAB_COMPANY] && *e->field[MF_PAB_COMPANY]) {
			display = e->field[MF_PAB_COMPANY];
		} else if (email && *email) {
			display = email;
		} else {
			display = "(no name)";
			report(c, MF_WARNING, "msmail.sc2-contact-name", o->offset,
			       "contact without a name or company staged as '(no name)'");
		}
	}
	e->display_name = display;
	if (email && *email) {
		struct mf_span t = mf_span_trim(span_of(email));
		size_t k = 0;
		while (k < t.len && t.p[k] != ':' && t.p[k] != '@')
			k++;
		if (k < t.len && t.p[k] == ':' && k > 0 && k <= 16) {
			char typ[24];
			e->address_type = mf_arena_strdup(c->a, mf_addrtype_canonical(typ,
							  (const char *)t.p, k));
			e->address = mf_arena_strndup(c->a, (const char *)t.p + k + 1, t.len - k - 1);
		} else {
			e->address_type = strchr(email, '@') ? "SMTP" : NULL;
			e->address = e->address_type ? email : NULL;
			if (!e->address_type)
				report(c, MF_INFO, "msmail.sc2-value", o->offset,
				       "contact e-mail '%.40s' has no type and no '@'; kept in the "
				       "raw object only", email);
		}
	}
	e->raw = o->raw.p;
	e->raw_len = o->raw.len;
	e->src_offset = (int64_t)o->offset;
	out->what = MF_CAL_CONTACT;
	return MF_OK;
}

/* Add X-SCHEDPLUS-* for every property not in known[], with a report. */
static void add_unknown_props(struct conv *c, icalcomponent *comp, const struct mf_sc2_obj *o,
			      const char *const *known)
{
	for (size_t i = 0; i < o->n_props; i++) {
		const struct mf_sc2_prop *p = &o->props[i];
		if (in_names(p->name, known))
			continue;
		add_x(c, comp, p->name, p->value, p->value_len, p->offset);
		report(c, MF_INFO, "msmail.sc2-unknown-property", p->offset,
		       "property '%.*s' of %.*s kept verbatim (raw object and X-SCHEDPLUS- property)",
		       (int)(p->name.len > 40 ? 40 : p->name.len), (const char *)p->name.p,
		       (int)(o->type.len > 30 ? 30 : o->type.len), (const char *)o->type.p);
	}
}

struct times {
	int have_start, start_date, have_end, end_date;
	struct mf_civil start, end;   /* end: DTEND (exclusive) or DUE */
};

int mf_sc2_convert(struct mf_cal_result *out, const struct mf_sc2_obj *o,
		   const struct mf_cal_opts *opts, struct mf_arena *arena)
{
	struct conv c;
	int recurring = 0, rc = MF_OK;
	enum sc2_kind kind;
	icalcomponent *comp = NULL;
	struct times tm;
	char uid[80], rule[512];
	const char *summary = NULL, *notes = NULL, *why = NULL;
	int private_ = 0, is_todo;
	struct mf_buf ical;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&tm, 0, sizeof(tm));
	c.o = opts;
	c.a = arena;
	c.off = o->offset;
	c.utc = zone_is_utc(opts->tzid);
	mf_buf_init(&c.tmp, MF_SCHED_VALUE_MAX * 4);
	mf_buf_init(&ical, MF_BUF_UNBOUNDED);
	icalerror_set_errors_are_fatal(0);

	kind = sc2_classify(o->type, &recurring);
	if (kind == K_CONTACT) {
		rc = contact_convert(&c, out, o);
		goto done;
	}
	is_todo = kind == K_TODO || kind == K_PROJECT;
	make_uid(uid, opts, o->offset, o->raw);
	if (mf_sc2_prop(o, "Text"))
		summary = utf8(&c, pv(o, "Text"), mf_sc2_prop(o, "Text")->value_len, o->offset);
	if (mf_sc2_prop(o, "Notes"))
		notes = utf8(&c, pv(o, "Notes"), mf_sc2_prop(o, "Notes")->value_len, o->offset);
	private_ = pv(o, "Private") && truthy(pv(o, "Private"));

	comp = kind == K_OTHER ? icalcomponent_new_vjournal()
			       : is_todo ? icalcomponent_new_vtodo() : icalcomponent_new_vevent();
	icalcomponent_add_property(comp, icalproperty_new_uid(uid));
	icalcomponent_add_property(comp, icalproperty_new_dtstamp(ical_utc(opts->dtstamp)));

	/* times */
	if (kind == K_APPT && !recurring) {
		int hd, ht, hd2, ht2;
		if (prop_when(&c, o, "Start", &tm.start, &hd, &ht) && hd) {
			tm.have_start = 1;
			tm.start_date = !ht;
		} else if (prop_when(&c, o, "StartDate", &tm.start, &hd, &ht) && hd) {
			tm.have_start = 1;
			tm.start_date = 1;
		}
		if (tm.have_start && prop_when(&c, o, "End", &tm.end, &hd2, &ht2)) {
			if (!hd2) { /* a time only: same day */
				struct mf_civil e = tm.start;
				e.hour = tm.end.hour;
				e.min = tm.end.min;
				tm.end = e;
				ht2 = 1;
			}
			tm.have_end = 1;
			tm.end_date = !ht2;
			if (tm.start_date != tm.end_date) {
				tm.have_end = 0;
			} else if (tm.end_date) {
				civil_add_days(&tm.end, 1); /* inclusive day */
			}
			if (tm.have_end && mf_civil_to_utc_naive(&tm.end) < mf_civil_to_utc_naive(&tm.start)) {
				report(&c, MF_WARNING, "msmail.sc2-bad-date", o->offset,
				       "End before Start; DTEND left out");
				tm.have_end = 0;
			}
		}
		if (!tm.have_start)
			report(&c, MF_WARNING, "msmail.sc2-no-start", o->offset,
			       "appointment without a readable Start");
	} else if ((kind == K_ALLDAY || kind == K_TODO || kind == K_PROJECT) && !recurring) {
		int hd, ht;
		if ((prop_when(&c, o, "StartDate", &tm.start, &hd, &ht) && hd) ||
		    (prop_when(&c, o, "Start", &tm.start, &hd, &ht) && hd)) {
			tm.have_start = 1;
			tm.start_date = 1;
			tm.start.hour = tm.start.min = tm.start.sec = 0;
		}
		if ((prop_when(&c, o, "EndDate", &tm.end, &hd, &ht) && hd) ||
		    (prop_when(&c, o, "End", &tm.end, &hd, &ht) && hd)) {
			tm.have_end = 1;
			tm.end_date = 1;
			tm.end.hour = tm.end.min = tm.end.sec = 0;
			if (kind == K_ALLDAY)
				civil_add_days(&tm.end, 1); /* EndDate is inclusive */
		} else if (kind == K_ALLDAY && tm.have_start) {
			tm.end = tm.start;
			civil_add_days(&tm.end, 1);
			tm.have_end = 1;
			tm.end_date = 1;
		}
		if (kind == K_ALLDAY && !tm.have_start)
			report(&c, MF_WARNING, "msmail.sc2-no-start", o->offset,
			       "event without a readable StartDate");
		if (kind == K_ALLDAY && tm.have_start && tm.have_end &&
		    mf_civil_to_utc_naive(&tm.end) <= mf_civil_to_utc_naive(&tm.start)) {
			report(&c, MF_WARNING, "msmail.sc2-bad-date", o->offset,
			       "EndDate before StartDate; a one-day event is staged");
			tm.end = tm.start;
			civil_add_days(&tm.end, 1);
		}
	} else if (recurring) {
		int hd, ht, hd2, ht2;
		struct mf_civil tstart, tend;
		if (prop_when(&c, o, "StartRecurringDate", &tm.start, &hd, &ht) && hd) {
			tm.have_start = 1;
			tm.start_date = 1;
			tm.start.hour = tm.start.min = tm.start.sec = 0;
		}
		if (kind == K_APPT && tm.have_start &&
		    prop_when(&c, o, "StartRecurringTime", &tstart, &hd, &ht) && ht) {
			tm.start_date = 0;
			tm.start.hour = tstart.hour;
			tm.start.min = tstart.min;
			tm.end = tm.start;
			if (prop_when(&c, o, "EndRecurringTime", &tend, &hd2, &ht2) && ht2) {
				tm.end.hour = tend.hour;
				tm.end.min = tend.min;
				if (mf_civil_to_utc_naive(&tm.end) <= mf_civil_to_utc_naive(&tm.start))
					civil_add_days(&tm.end, 1); /* ends after midnight */
				tm.have_end = 1;
			}
		} else if (tm.have_start && kind != K_TODO) {
			/* all-day: one day long */
			tm.end = tm.start;
			civil_add_days(&tm.end, 1);
			tm.have_end = 1;
			tm.end_date = 1;
		}
		if (!tm.have_start) {
			report(&c, MF_WARNING, "msmail.sc2-no-start", o->offset,
			       "recurring item without a readable StartRecurringDate: staged "
			       "without its recurrence");
			recurring = 0;
		}
	}

	if (recurring) {
		if (sc2_rrule_start(rule, sizeof(rule), o, &tm.start, &why) != MF_OK) {
			report(&c, MF_WARNING, "msmail.sc2-recurrence", o->offset,
			       "recurrence not understood (%s): the first occurrence is staged alone",
			       why);
			recurring = 0;
		} else {
			struct icalrecurrencetype r = icalrecurrencetype_from_string(rule);
			struct mf_civil until;
			int hd, ht, have_until = 0;
			if (r.freq == ICAL_NO_RECURRENCE) {
				report(&c, MF_WARNING, "msmail.sc2-recurrence", o->offset,
				       "recurrence rule '%s' refused by libical; first occurrence only", rule);
				recurring = 0;
			} else {
				/* DTSTART: the first real occurrence on or after the start */
				/* (as a date-time: libical 3.0 can loop for ever
				 * on a DATE start that the rule does not match) */
				struct icaltimetype st = ical_time(&c, &tm.start, 0);
				icalrecur_iterator *it;
				st.zone = NULL;
				it = icalrecur_iterator_new(r, st);
				if (it) {
					struct icaltimetype first = icalrecur_iterator_next(it);
					icalrecur_iterator_free(it);
					if (!icaltime_is_null_time(first)) {
						int shift = (int)(mf_days_from_civil(first.year, first.month, first.day) -
								  mf_days_from_civil(tm.start.year, tm.start.month,
										     tm.start.day));
						if (shift > 0) {
							civil_add_days(&tm.start, shift);
							if (tm.have_end)
								civil_add_days(&tm.end, shift);
						}
					}
				}
				if (prop_when(&c, o, "EndRecurringDate", &until, &hd, &ht) && hd) {
					have_until = 1;
					if (tm.start_date) {
						r.until = icaltime_null_date();
						r.until.year = until.year;
						r.until.month = until.month;
						r.until.day = until.day;
					} else {
						until.hour = 23;
						until.min = 59;
						until.sec = 59;
						r.until = ical_utc(to_utc(&c, &until));
					}
				}
				(void)have_until;
				icalcomponent_add_property(comp, icalproperty_new_rrule(r));
			}
		}
	}

	/* the master component's properties */
	if (tm.have_start) {
		add_time(&c, comp, icalproperty_new_dtstart, &tm.start, tm.start_date);
		out->item.has_dtstart = 1;
		out->item.dtstart_utc = to_utc(&c, &tm.start);
	}
	if (tm.have_end && kind != K_OTHER)
		add_time(&c, comp, is_todo ? icalproperty_new_due : icalproperty_new_dtend, &tm.end,
			 tm.end_date);
	add_text(comp, icalproperty_new_summary, summary);
	add_text(comp, icalproperty_new_description, notes);
	if (private_)
		icalcomponent_add_property(comp, icalproperty_new_class(ICAL_CLASS_PRIVATE));
	if (kind == K_APPT || kind == K_ALLDAY)
		add_busy(&c, comp, o);
	if (is_todo) {
		int pp, okp;
		long pr = prop_num(o, "Priority", &pp, &okp);
		if (pp) {
			int ip = okp ? mf_sc2_priority(pr) : 0;
			if (ip)
				icalcomponent_add_property(comp, icalproperty_new_priority(ip));
			else
				report(&c, MF_INFO, "msmail.sc2-value", o->offset,
				       "Priority '%.20s' is not a Schedule+ priority code; left out",
				       pv(o, "Priority"));
		}
		if (pv(o, "Completed") && truthy(pv(o, "Completed")))
			icalcomponent_add_property(comp, icalproperty_new_status(ICAL_STATUS_COMPLETED));
	}
	if (kind != K_OTHER)
		add_alarm(&c, comp, o, summary, &tm.start, tm.have_start, tm.start_date,
			  is_todo && !tm.have_start && tm.have_end);
	if (kind == K_OTHER) {
		report(&c, MF_WARNING, "msmail.sc2-unknown-object", o->offset,
		       "object type '%.*s' is not one mailferry maps; staged as a journal entry "
		       "with its properties", (int)(o->type.len > 40 ? 40 : o->type.len),
		       (const char *)o->type.p);
		add_unknown_props(&c, comp, o, (const char *const[]){ "Text", "Notes", "Private", NULL });
	} else {
		add_unknown_props(&c, comp, o, sc2_known);
	}

	/* exceptions */
	{
		struct mf_buf overrides;
		mf_buf_init(&overrides, MF_BUF_UNBOUNDED);
		for (size_t i = 0; i < o->n_children; i++) {
			const struct mf_sc2_obj *x = &o->children[i];
			struct mf_civil inst, rid;
			int hd, ht;
			if (!mf_span_eq_ci(x->type, "Exceptions") && !mf_span_eq_ci(x->type, "Exception")) {
				report(&c, MF_WARNING, "msmail.sc2-unknown-object", x->offset,
				       "nested object '%.*s' kept only in the raw object",
				       (int)(x->type.len > 40 ? 40 : x->type.len), (const char *)x->type.p);
				continue;
			}
			if (!recurring) {
				report(&c, MF_WARNING, "msmail.sc2-exception", x->offset,
				       "exception of an item that does not recur kept only in the raw object");
				continue;
			}
			if (!prop_when(&c, x, "InstanceDate", &inst, &hd, &ht) || !hd) {
				report(&c, MF_WARNING, "msmail.sc2-exception", x->offset,
				       "exception without a readable InstanceDate kept only in the raw object");
				continue;
			}
			rid = tm.start;
			rid.year = inst.year;
			rid.month = inst.month;
			rid.day = inst.day;
			for (size_t k = 0; k < x->n_props; k++)
				if (!in_names(x->props[k].name, exc_known))
					report(&c, MF_INFO, "msmail.sc2-unknown-property", x->props[k].offset,
					       "exception property '%.*s' kept only in the raw object",
					       (int)(x->props[k].name.len > 40 ? 40 : x->props[k].name.len),
					       (const char *)x->props[k].name.p);
			if (pv(x, "Deleted") && truthy(pv(x, "Deleted"))) {
				add_time(&c, comp, icalproperty_new_exdate, &rid, tm.start_date);
				out->n_exdates++;
			} else {
				icalcomponent *ov = is_todo ? icalcomponent_new_vtodo() : icalcomponent_new_vevent();
				struct times xt = tm;
				int hd2, ht2;
				const char *xs = summary, *xn = notes;
				char *s;
				/* the instance keeps the series' times unless told */
				xt.start = rid;
				if (tm.have_end) {
					int64_t len = mf_civil_to_utc_naive(&tm.end) - mf_civil_to_utc_naive(&tm.start);
					mf_utc_to_civil(&xt.end, mf_civil_to_utc_naive(&xt.start) + len);
				}
				if ((prop_when(&c, x, "Start", &inst, &hd, &ht) ||
				     prop_when(&c, x, "StartDate", &inst, &hd, &ht)) && hd) {
					xt.start = inst;
					xt.start_date = !ht;
					if (xt.start_date != tm.start_date) {
						xt.start_date = tm.start_date;
						if (!ht) {
							xt.start.hour = tm.start.hour;
							xt.start.min = tm.start.min;
						}
					}
					if (tm.have_end) {
						int64_t len = mf_civil_to_utc_naive(&tm.end) -
							      mf_civil_to_utc_naive(&tm.start);
						mf_utc_to_civil(&xt.end, mf_civil_to_utc_naive(&xt.start) + len);
					}
				}
				if ((prop_when(&c, x, "End", &inst, &hd2, &ht2) ||
				     prop_when(&c, x, "EndDate", &inst, &hd2, &ht2)) && hd2) {
					xt.end = inst;
					if (xt.start_date) {
						xt.end.hour = xt.end.min = xt.end.sec = 0;
						if (!is_todo)
							civil_add_days(&xt.end, 1);
					} else if (!ht2) {
						xt.end.hour = tm.end.hour;
						xt.end.min = tm.end.min;
					}
					xt.have_end = 1;
				}
				if (pv(x, "Text"))
					xs = utf8(&c, pv(x, "Text"), mf_sc2_prop(x, "Text")->value_len, x->offset);
				if (pv(x, "Notes"))
					xn = utf8(&c, pv(x, "Notes"), mf_sc2_prop(x, "Notes")->value_len, x->offset);
				icalcomponent_add_property(ov, icalproperty_new_uid(uid));
				icalcomponent_add_property(ov, icalproperty_new_dtstamp(ical_utc(opts->dtstamp)));
				add_time(&c, ov, icalproperty_new_recurrenceid, &rid, tm.start_date);
				add_time(&c, ov, icalproperty_new_dtstart, &xt.start, xt.start_date);
				if (xt.have_end)
					add_time(&c, ov, is_todo ? icalproperty_new_due : icalproperty_new_dtend,
						 &xt.end, xt.start_date);
				add_text(ov, icalproperty_new_summary, xs);
				add_text(ov, icalproperty_new_description, xn);
				if (private_ || (pv(x, "Private") && truthy(pv(x, "Private"))))
					icalcomponent_add_property(ov, icalproperty_new_class(ICAL_CLASS_PRIVATE));
				if (!is_todo)
					add_busy(&c, ov, mf_sc2_prop(x, "BusyType") ? x : o);
				add_alarm(&c, ov, mf_sc2_prop(x, "Ring") ? x : o, xs, &xt.start, 1,
					  xt.start_date, 0);
				s = icalcomponent_as_ical_string_r(ov);
				if (s)
					mf_buf_addstr(&overrides, s);
				free(s);
				icalcomponent_free(ov);
				out->n_overrides++;
			}
		}
		mf_buf_addstr(&ical, comp_text(&c, comp));
		mf_buf_add(&ical, overrides.data, overrides.len);
		mf_buf_release(&overrides);
	}

	out->what = MF_CAL_ITEM;
	out->item.kind = kind == K_OTHER ? "journal" : is_todo ? "todo" : "event";
	out->item.uid = mf_arena_strdup(arena, uid);
	out->item.summary = summary;
	out->item.timezone = c.utc ? "UTC" : opts->tzid;
	out->item.recurring = recurring;
	out->item.ical = mf_arena_strndup(arena, ical.data, ical.len);
	out->item.raw = o->raw.p;
	out->item.raw_len = o->raw.len;
	out->item.src_offset = (int64_t)o->offset;
	out->item.source_type = mf_arena_strndup(arena, (const char *)o->type.p, o->type.len);
done:
	if (comp)
		icalcomponent_free(comp);
	mf_buf_release(&c.tmp);
	mf_buf_release(&ical);
	return rc;
}

/* ==== .sch conversion ==== */

static const char *const sch_known[] = {
	"aid", "szText", "fTask", "aidProject", "bpri", "aidParent", "aaplWorld",
	"wgrfValidMonths", "bgrfValidDows", "trecur", NULL
};

static const struct mf_sch_field *sch_field(const struct mf_sch_item *it, const char *name)
{
	for (size_t i = 0; i < it->n_fields; i++)
		if (mf_span_eq_ci(it->fields[i].name, name))
			return &it->fields[i];
	return NULL;
}

static const char *sv(const struct mf_sch_item *it, const char *name)
{
	const struct mf_sch_field *f = sch_field(it, name);
	return f ? f->value : NULL;
}

int mf_sch_convert(struct mf_cal_result *out, const struct mf_sch_item *it,
		   struct mf_sch_state *state, const struct mf_cal_opts *opts,
		   struct mf_arena *arena)
{
	struct conv c;
	char uid[80], rule[256];
	const char *summary = NULL, *why;
	int is_task, is_project;
	icalcomponent *comp;
	int ok;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.o = opts;
	c.a = arena;
	c.off = it->offset;
	c.utc = zone_is_utc(opts->tzid);
	mf_buf_init(&c.tmp, MF_SCHED_VALUE_MAX * 4);
	icalerror_set_errors_are_fatal(0);

	make_uid(uid, opts, it->offset, it->raw);
	if (sch_field(it, "szText"))
		summary = utf8(&c, sv(it, "szText"), sch_field(it, "szText")->value_len, it->offset);
	is_task = sv(it, "fTask") && truthy(sv(it, "fTask"));
	is_project = is_task && sch_field(it, "aidProject");

	comp = is_task ? icalcomponent_new_vtodo() : icalcomponent_new_vjournal();
	icalcomponent_add_property(comp, icalproperty_new_uid(uid));
	icalcomponent_add_property(comp, icalproperty_new_dtstamp(ical_utc(opts->dtstamp)));
	add_text(comp, icalproperty_new_summary, summary);
	if (sch_field(it, "aaplWorld"))
		icalcomponent_add_property(comp, icalproperty_new_class(ICAL_CLASS_PRIVATE));
	if (is_project) {
		long aid = num(sv(it, "aidProject"), &ok);
		if (ok && state && state->n_projects < MF_ARRAY_LEN(state->project)) {
			state->project[state->n_projects].aid = aid;
			snprintf(state->project[state->n_projects].uid,
				 sizeof(state->project[0].uid), "%s", uid);
			state->n_projects++;
		}
	} else if (is_task) {
		if (sv(it, "bpri")) {
			long b = num(sv(it, "bpri"), &ok);
			if (ok && b >= 1 && b <= 35)
				icalcomponent_add_property(comp, icalproperty_new_priority(b <= 9 ? (int)b : 9));
			else
				report(&c, MF_INFO, "msmail.sch-value", sch_field(it, "bpri")->offset,
				       "bpri '%.20s' is not 1-35; left out", sv(it, "bpri"));
		}
		if (sv(it, "aidParent")) {
			long aid = num(sv(it, "aidParent"), &ok);
			size_t k;
			for (k = 0; ok && state && k < state->n_projects; k++)
				if (state->project[k].aid == aid)
					break;
			if (ok && state && k < state->n_projects)
				icalcomponent_add_property(comp, icalproperty_new_relatedto(state->project[k].uid));
			else
				report(&c, MF_INFO, "msmail.sch-value", sch_field(it, "aidParent")->offset,
				       "aidParent '%.20s' names no project exported before it",
				       sv(it, "aidParent"));
		}
	}
	if (sv(it, "trecur")) {
		if (mf_sch_rrule(rule, sizeof(rule), sv(it, "trecur"), sv(it, "wgrfValidMonths"),
				 sv(it, "bgrfValidDows"), &why) == MF_OK) {
			icalproperty *p = icalproperty_new_x(rule);
			icalproperty_set_x_name(p, "X-SCHEDPLUS-RRULE");
			icalcomponent_add_property(comp, p);
		} else {
			report(&c, MF_INFO, "msmail.sch-value", sch_field(it, "trecur")->offset,
			       "recurrence not understood (%s)", why);
		}
	}
	for (size_t i = 0; i < it->n_fields; i++) {
		const struct mf_sch_field *f = &it->fields[i];
		if (in_names(f->name, sch_known))
			continue;
		add_x(&c, comp, f->name, f->value, f->value_len, f->offset);
		report(&c, MF_INFO, "msmail.sch-unknown-field", f->offset,
		       "field '%.*s' kept verbatim (raw item and X-SCHEDPLUS- property)",
		       (int)(f->name.len > 40 ? 40 : f->name.len), (const char *)f->name.p);
	}
	if (!is_task) {
		/* no confirmed date field: keep the whole item readable */
		const char *d = utf8(&c, (const char *)it->raw.p, it->raw.len, it->offset);
		add_text(comp, icalproperty_new_description, d);
		report(&c, MF_WARNING, "msmail.sch-undated", it->offset,
		       "Schedule+ 1.0 item '%.*s' has no field mailferry reads a date from; staged "
		       "as a journal entry holding the whole item", (int)(it->keyword.len > 30 ? 30 :
		       it->keyword.len), (const char *)it->keyword.p);
	}

	out->what = MF_CAL_ITEM;
	out->item.kind = is_task ? "todo" : "journal";
	out->item.uid = mf_arena_strdup(arena, uid);
	out->item.summary = summary;
	out->item.timezone = c.utc ? "UTC" : opts->tzid;
	out->item.ical = comp_text(&c, comp);
	out->item.raw = it->raw.p;
	out->item.raw_len = it->raw.len;
	out->item.src_offset = (int64_t)it->offset;
	out->item.source_type = mf_arena_strndup(arena, (const char *)it->keyword.p, it->keyword.len);
	icalcomponent_free(comp);
	mf_buf_release(&c.tmp);
	return MF_OK;
}
