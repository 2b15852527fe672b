/* SPDX-License-Identifier: MIT */
/* schedplus.c: .sc2 and .sch readers (see schedplus.h); their conversion to
 * iCalendar is in schedplus_conv.c, recurrence rules in schedplus_rrule.c. */
#include "importers/msmail/schedplus_int.h"

/* ==== spans ==== */

struct mf_span spl_sub(struct mf_span s, size_t i, size_t j)
{
	struct mf_span r;
	r.p = s.p + i;
	r.len = j - i;
	return r;
}

struct mf_span spl_span_of(const char *s)
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
		 mf_problem_fn *fn, void *ctx)
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
			mf_problem_report(fn, ctx, MF_INFO, "msmail.sc2-header", mf_rd_offset(&p->rd),
					  "first line is '%.*s', not 'SCHEDULE+2 EXPORT VERSION 103'; "
					  "read as version 103", (int)(t.len > 60 ? 60 : t.len),
					  (const char *)t.p);
		mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
	} else if (len) {
		mf_problem_report(fn, ctx, MF_WARNING, "msmail.sc2-header", 0,
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
			struct mf_span content = spl_sub(line, 0, line.len - 1);
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
			mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-syntax", off,
					  "quoted value not closed; taken to the end of the line");
		else if (!is_blank_span(spl_sub(rest, i, rest.len)))
			mf_problem_report(p->problem, p->pctx, MF_INFO, "msmail.sc2-syntax", off,
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
			mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-syntax", off,
					  "line without 'Property:' ignored (kept in the raw object)");
			continue;
		}
		name = mf_span_trim(spl_sub(t, 0, colon));
		rest = spl_sub(t, colon + 1, t.len);
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
			type = mf_span_trim(spl_sub(t, 0, t.len - 1));
		} else {
			if (junk_from == UINT64_MAX)
				junk_from = off;
			junk_to = mf_rd_offset(&p->rd);
			continue;
		}
		if (junk_from != UINT64_MAX) {
			mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-garbage", junk_from,
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
		mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.sc2-damaged", off,
				  "calendar object skipped (%llu bytes): %s",
				  (unsigned long long)(mf_rd_offset(&p->rd) - off), why ? why : "damaged");
		*out = NULL;
		return MF_SKIP;
	}
	if (junk_from != UINT64_MAX)
		mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.sc2-garbage", junk_from,
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
		 mf_problem_fn *fn, void *ctx)
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
		if (mf_span_starts_ci(spl_sub(t, i, t.len), "BY ")) {
			size_t a = i + 3, b;
			while (a < t.len && t.p[a] == ' ')
				a++;
			b = a;
			while (b < t.len && t.p[b] != ' ' && t.p[b] != '\t')
				b++;
			p->owner = spl_sub(t, a, b);
		}
		mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_SCHED_LINE_MAX);
	} else if (len) {
		mf_problem_report(fn, ctx, MF_WARNING, "msmail.sch-header", 0,
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
			mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.sch-garbage", junk_from,
					  "%llu bytes outside any item passed over",
					  (unsigned long long)(junk_to - junk_from));
		}
		it = mf_arena_zalloc(&p->arena, sizeof(*it));
		it->keyword = mf_span_trim(spl_sub(t, 0, t.len - 1));
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
					mf_problem_report(p->problem, p->pctx, MF_INFO, "msmail.sch-syntax",
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
			f->name = mf_span_trim(spl_sub(line, i, j));
			{
				struct mf_span v = mf_span_trim(spl_sub(line, j, line.len));
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
			mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.sch-damaged", off,
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
		mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.sch-garbage", junk_from,
				  "%llu bytes outside any item passed over",
				  (unsigned long long)(junk_to - junk_from));
	return MF_DONE;
}
