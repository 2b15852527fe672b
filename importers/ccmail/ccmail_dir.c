/* SPDX-License-Identifier: MIT */
/* ccmail_dir.c: manifest, CSV and "Label: value" record parsers of a
 * cc:Mail export set (see ccmail_dir.h). */
#include "importers/ccmail/ccmail_dir.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/buf.h"

static void prob(mf_problem_fn *fn, void *payload, enum mf_severity sev,
		 const char *code, uint64_t off, const char *fmt, ...) MF_ATTR_PRINTF(6, 7);
static void prob(mf_problem_fn *fn, void *payload, enum mf_severity sev,
		 const char *code, uint64_t off, const char *fmt, ...)
{
	char text[300];
	va_list ap;
	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fn(payload, sev, code, off, text);
}

/* ---- manifest ---- */

static void set_value(char dst[CCX_VALUE_MAX], struct mf_span v)
{
	size_t n = v.len < CCX_VALUE_MAX - 1 ? v.len : CCX_VALUE_MAX - 1;
	memcpy(dst, v.p, n);
	dst[n] = '\0';
}

void ccx_manifest_parse(struct ccx_manifest *out, const void *data, size_t len,
			mf_problem_fn *problem, void *payload)
{
	static const char *const keys[] = {
		"ccmx-version", "postoffice", "codepage", "date-order", "timezone",
		"db-version", "exported-at", NULL
	};
	struct mf_rd r;
	struct mf_span line;
	enum mf_eol eol;

	memset(out, 0, sizeof(*out));
	mf_rd_init(&r, data, len);
	for (;;) {
		uint64_t off = mf_rd_offset(&r);
		struct mf_span key, val, t;
		size_t eq = 0;
		int rc = mf_rd_line(&r, &line, &eol, MF_EOLS_LF_CRLF, 4096);
		int k;

		if (rc == MF_DONE)
			break;
		if (rc == MF_ETOOBIG) {
			prob(problem, payload, MF_ERROR, "ccmail.manifest-syntax", off,
			     "manifest line longer than 4096 bytes: the rest is ignored");
			break;
		}
		t = mf_span_trim(line);
		if (t.len == 0 || t.p[0] == '#')
			continue;
		for (size_t i = 0; i < t.len; i++)
			if (t.p[i] >= 0x80 || (t.p[i] < 0x20 && t.p[i] != '\t')) {
				prob(problem, payload, MF_WARNING, "ccmail.manifest-syntax", off,
				     "manifest line holds a byte that is not printable ASCII");
				break;
			}
		while (eq < t.len && t.p[eq] != '=')
			eq++;
		if (eq == t.len) {
			prob(problem, payload, MF_WARNING, "ccmail.manifest-syntax", off,
			     "manifest line without '=' ignored");
			continue;
		}
		key.p = t.p;
		key.len = eq;
		key = mf_span_trim(key);
		val.p = t.p + eq + 1;
		val.len = t.len - eq - 1;
		val = mf_span_trim(val);
		for (k = 0; keys[k]; k++)
			if (mf_span_eq_ci(key, keys[k]))
				break;
		if (!keys[k]) {
			prob(problem, payload, MF_WARNING, "ccmail.manifest-unknown-key", off,
			     "unknown manifest key '%.*s' ignored", (int)(key.len > 60 ? 60 : key.len),
			     (const char *)key.p);
			continue;
		}
		if (val.len >= CCX_VALUE_MAX)
			prob(problem, payload, MF_WARNING, "ccmail.manifest-syntax", off,
			     "value of '%s' is longer than %d bytes: cut", keys[k], CCX_VALUE_MAX - 1);
		{
			char *dst = NULL;
			unsigned had = 0;
			switch (k) {
			case 0: dst = out->version; had = out->have_version; out->have_version = 1; break;
			case 1: dst = out->postoffice; had = out->have_postoffice; out->have_postoffice = 1; break;
			case 2: dst = out->codepage; had = out->have_codepage; out->have_codepage = 1; break;
			case 3: dst = out->date_order; had = out->have_date_order; out->have_date_order = 1; break;
			case 4: dst = out->timezone; had = out->have_timezone; out->have_timezone = 1; break;
			case 5: dst = out->db_version; had = out->have_db_version; out->have_db_version = 1; break;
			default: dst = out->exported_at; had = out->have_exported_at; out->have_exported_at = 1; break;
			}
			if (had) {
				prob(problem, payload, MF_WARNING, "ccmail.manifest-syntax", off,
				     "manifest key '%s' repeated: the first value is used", keys[k]);
				continue;
			}
			set_value(dst, val);
		}
	}
}

/* ---- CSV ---- */

void ccx_csv_init(struct ccx_csv *c, const void *data, size_t len,
		  mf_problem_fn *problem, void *payload)
{
	mf_rd_init(&c->rd, data, len);
	c->problem = problem;
	c->payload = payload;
}

int ccx_csv_next(struct ccx_csv *c, struct ccx_csv_row *row, struct mf_arena *arena)
{
	struct mf_buf field;
	size_t cap = 0;

	memset(row, 0, sizeof(*row));
	/* skip blank lines */
	while (!mf_rd_eof(&c->rd) && mf_rd_skip_eol(&c->rd, MF_EOLS_LF_CRLF))
		;
	if (mf_rd_eof(&c->rd))
		return MF_DONE;
	row->offset = mf_rd_offset(&c->rd);
	mf_buf_init(&field, CCX_LINE_MAX);
	for (;;) {
		int quoted = 0, end_row = 0, cut = 0;
		uint64_t foff = mf_rd_offset(&c->rd);

		mf_buf_reset(&field);
		if (!mf_rd_eof(&c->rd) && mf_rd_at_ci(&c->rd, "\"")) {
			quoted = 1;
			mf_rd_u8(&c->rd);
		}
		for (;;) {
			uint8_t ch;
			if (mf_rd_eof(&c->rd)) {
				if (quoted)
					prob(c->problem, c->payload, MF_WARNING, "ccmail.csv-syntax", foff,
					     "quoted field not closed before the end of the file");
				end_row = 1;
				break;
			}
			if (!quoted && (mf_rd_at_ci(&c->rd, "\r\n") || mf_rd_at_ci(&c->rd, "\n"))) {
				mf_rd_skip_eol(&c->rd, MF_EOLS_LF_CRLF);
				end_row = 1;
				break;
			}
			ch = mf_rd_u8(&c->rd);
			if (quoted && ch == '"') {
				if (mf_rd_at_ci(&c->rd, "\"")) {
					mf_rd_u8(&c->rd);
					mf_buf_addch(&field, '"');
					continue;
				}
				quoted = 0;
				/* after the closing quote: a comma, a line end or the end */
				if (!mf_rd_eof(&c->rd) && !mf_rd_at_ci(&c->rd, ",") &&
				    !mf_rd_at_ci(&c->rd, "\r\n") && !mf_rd_at_ci(&c->rd, "\n"))
					prob(c->problem, c->payload, MF_WARNING, "ccmail.csv-syntax",
					     mf_rd_offset(&c->rd),
					     "text after a closing quote kept in the field");
				continue;
			}
			if (!quoted && ch == ',')
				break;
			if (ch == '\0' && !row->has_nul) {
				row->has_nul = 1;
				row->nul_offset = mf_rd_offset(&c->rd) - 1;
			}
			if (!quoted && ch == '"')
				prob(c->problem, c->payload, MF_WARNING, "ccmail.csv-syntax",
				     mf_rd_offset(&c->rd) - 1, "quote inside an unquoted field kept");
			if (mf_buf_addch(&field, ch) < 0 && !cut) {
				/* once per field: the rest of it is dropped (a report
				 * per byte made a 1 MB field take a minute) */
				prob(c->problem, c->payload, MF_ERROR, "ccmail.csv-syntax", foff,
				     "field longer than %u bytes: cut", CCX_LINE_MAX);
				cut = 1;
			}
		}
		if (row->n_fields >= CCX_MAX_FIELDS) {
			if (row->n_fields == CCX_MAX_FIELDS)
				prob(c->problem, c->payload, MF_WARNING, "ccmail.csv-syntax", foff,
				     "more than %d fields in a row: the rest is ignored", CCX_MAX_FIELDS);
		} else {
			if (row->n_fields == cap) {
				char **nf;
				cap = cap ? cap * 2 : 8;
				nf = mf_arena_alloc(arena, cap * sizeof(*nf));
				if (row->n_fields)
					memcpy(nf, row->fields, row->n_fields * sizeof(*nf));
				row->fields = nf;
			}
			row->fields[row->n_fields++] = mf_arena_strndup(arena, field.data, field.len);
		}
		if (end_row)
			break;
	}
	mf_buf_release(&field);
	return MF_OK;
}

/* ---- records ---- */

void ccx_recs_init(struct ccx_recs *p, const void *data, size_t len, const char *what,
		   mf_problem_fn *problem, void *payload)
{
	mf_rd_init(&p->rd, data, len);
	p->what = what;
	p->problem = problem;
	p->payload = payload;
}

/* "Label:" at the start of a line: letters, digits, '-', '_' and inner
 * spaces, at most 32 characters.  Returns its length (0: none). */
static size_t label_len(struct mf_span line)
{
	size_t i = 0;
	if (line.len == 0 || line.p[0] == ' ' || line.p[0] == '\t')
		return 0;
	while (i < line.len && i <= 32) {
		unsigned char ch = line.p[i];
		if (ch == ':')
			return i;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == ' '))
			return 0;
		i++;
	}
	return 0;
}

int ccx_recs_next(struct ccx_recs *p, struct ccx_record *out, struct mf_arena *arena)
{
	struct mf_span line;
	size_t cap = 0;
	uint64_t start = 0, end = 0;
	int any = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		uint64_t off = mf_rd_offset(&p->rd);
		int rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_LF_CRLF, CCX_LINE_MAX);
		size_t ll;

		if (rc == MF_DONE)
			break;
		if (rc == MF_ETOOBIG) {
			prob(p->problem, p->payload, MF_ERROR, "ccmail.dir-syntax", off,
			     "%s line longer than %u bytes: the rest of the file is ignored",
			     p->what, CCX_LINE_MAX);
			mf_rd_seek(&p->rd, (uint64_t)(p->rd.end - p->rd.base));
			break;
		}
		if (mf_span_trim(line).len == 0) {
			if (any)
				break;
			continue;
		}
		if (!any) {
			any = 1;
			start = off;
		}
		end = mf_rd_offset(&p->rd);
		ll = label_len(line);
		if (!ll) {
			prob(p->problem, p->payload, MF_WARNING, "ccmail.dir-syntax", off,
			     "%s line is not \"Label: value\": kept in the raw record only", p->what);
			continue;
		}
		if (out->n_fields >= CCX_MAX_FIELDS) {
			if (out->n_fields == CCX_MAX_FIELDS)
				prob(p->problem, p->payload, MF_WARNING, "ccmail.dir-syntax", off,
				     "more than %d lines in a %s record: the rest is ignored",
				     CCX_MAX_FIELDS, p->what);
			continue;
		}
		if (out->n_fields == cap) {
			struct ccx_field *nf;
			cap = cap ? cap * 2 : 8;
			nf = mf_arena_alloc(arena, cap * sizeof(*nf));
			if (out->n_fields)
				memcpy(nf, out->fields, out->n_fields * sizeof(*nf));
			out->fields = nf;
		}
		{
			struct ccx_field *f = &out->fields[out->n_fields++];
			struct mf_span l = { line.p, ll };
			struct mf_span v = { line.p + ll + 1, line.len - ll - 1 };
			f->label = mf_span_trim(l);
			f->value = mf_span_trim(v);
			f->offset = off;
		}
	}
	if (!any)
		return MF_DONE;
	out->offset = start;
	{
		struct mf_rd t = p->rd;
		mf_rd_seek(&t, start);
		mf_rd_bytes(&t, (size_t)(end - start), &out->raw);
	}
	return MF_OK;
}

const struct ccx_field *ccx_record_get(const struct ccx_record *r, const char *label)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (mf_span_eq_ci(r->fields[i].label, label))
			return &r->fields[i];
	return NULL;
}
