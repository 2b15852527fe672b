/* SPDX-License-Identifier: MIT */
/* msmail_dir.c: MSMX.TXT, users.csv and the IMPORT/GIMPORT directory lines
 * (see msmail_dir.h). */
#include "importers/msmail/msmail_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct mf_span sub(struct mf_span s, size_t i, size_t j)
{
	struct mf_span r;
	r.p = s.p + i;
	r.len = j - i;
	return r;
}

/* ---- MSMX.TXT ---- */

static void put(char dst[MF_MSMX_VALUE_MAX], struct mf_span v)
{
	size_t n = v.len < MF_MSMX_VALUE_MAX - 1 ? v.len : MF_MSMX_VALUE_MAX - 1;
	memcpy(dst, v.p, n);
	dst[n] = '\0';
}

int mf_msmx_parse(struct mf_msmx *out, const void *data, size_t len,
		  mf_problem_fn *fn, void *ctx)
{
	struct mf_rd r;
	struct mf_span line;
	int rc = MF_OK;

	memset(out, 0, sizeof(*out));
	mf_rd_init(&r, data, len);
	if (mf_rd_at_ci(&r, "\xEF\xBB\xBF"))
		mf_rd_seek(&r, 3);
	while (mf_rd_line(&r, &line, NULL, MF_EOLS_ANY, mf_rd_left(&r) + 1) == MF_OK) {
		uint64_t off;
		struct mf_span key, val;
		size_t eq = 0;
		char *slot = NULL;

		line = mf_span_trim(line);
		off = (uint64_t)(line.p - r.base);
		if (!line.len || line.p[0] == '#')
			continue;
		while (eq < line.len && line.p[eq] != '=')
			eq++;
		if (eq == line.len) {
			mf_problem_report(fn, ctx, MF_WARNING, "msmail.manifest-syntax", off,
					  "manifest line is not key=value; ignored");
			continue;
		}
		key = mf_span_trim(sub(line, 0, eq));
		val = sub(line, eq + 1, line.len);
		/* a comment after a blank ends the value */
		for (size_t i = 1; i < val.len; i++) {
			if (val.p[i] == '#' && (val.p[i - 1] == ' ' || val.p[i - 1] == '\t')) {
				val.len = i;
				break;
			}
		}
		val = mf_span_trim(val);
		if (mf_span_eq_ci(key, "msmx-version"))
			slot = out->version;
		else if (mf_span_eq_ci(key, "network"))
			slot = out->network;
		else if (mf_span_eq_ci(key, "postoffice"))
			slot = out->postoffice;
		else if (mf_span_eq_ci(key, "source-codepage"))
			slot = out->source_codepage;
		else if (mf_span_eq_ci(key, "windows-codepage"))
			slot = out->windows_codepage;
		else if (mf_span_eq_ci(key, "timezone"))
			slot = out->timezone;
		else if (mf_span_eq_ci(key, "mmff-newline"))
			slot = out->newline;
		else if (mf_span_eq_ci(key, "exported-at"))
			slot = out->exported_at;
		else if (mf_span_eq_ci(key, "mail-version"))
			slot = out->mail_version;
		else if (mf_span_eq_ci(key, "exported-by") || mf_span_starts_ci(key, "tool."))
			continue; /* informational keys of the research's example */
		else {
			mf_problem_report(fn, ctx, MF_INFO, "msmail.manifest-unknown-key", off,
					  "unknown manifest key '%.*s' ignored",
					  (int)(key.len > 60 ? 60 : key.len), (const char *)key.p);
			continue;
		}
		if (val.len >= MF_MSMX_VALUE_MAX) {
			mf_problem_report(fn, ctx, MF_WARNING, "msmail.manifest-syntax", off,
					  "manifest value of '%.*s' longer than %d bytes; ignored",
					  (int)(key.len > 60 ? 60 : key.len), (const char *)key.p,
					  MF_MSMX_VALUE_MAX - 1);
			continue;
		}
		{
			/* the manifest is ASCII text: a NUL or another control
			 * byte would cut or garble a name ("HQ\0PO" read as "HQ") */
			size_t i = 0;
			while (i < val.len && (val.p[i] >= 0x20 || val.p[i] == '\t') && val.p[i] != 0x7f)
				i++;
			if (i < val.len) {
				mf_problem_report(fn, ctx, MF_WARNING, "msmail.manifest-syntax", off + (uint64_t)(val.p + i - line.p),
						  "manifest value of '%.*s' holds the control byte 0x%02x; ignored",
						  (int)(key.len > 60 ? 60 : key.len), (const char *)key.p, val.p[i]);
				continue;
			}
		}
		if (slot[0]) {
			mf_problem_report(fn, ctx, MF_WARNING, "msmail.manifest-syntax", off,
					  "manifest key '%.*s' given twice; the first value is used",
					  (int)(key.len > 60 ? 60 : key.len), (const char *)key.p);
			continue;
		}
		put(slot, val);
	}
	rc = MF_OK;
	if (!out->version[0] || !out->network[0] || !out->postoffice[0]) {
		mf_problem_report(fn, ctx, MF_ERROR, "msmail.manifest-missing", MF_NO_OFFSET,
				  "MSMX.TXT lacks %s", !out->version[0] ? "msmx-version" :
				  !out->network[0] ? "network" : "postoffice");
		rc = MF_EFORMAT;
	} else if (strcmp(out->version, "1") != 0 && strncmp(out->version, "1.", 2) != 0) {
		mf_problem_report(fn, ctx, MF_ERROR, "msmail.manifest-version", MF_NO_OFFSET,
				  "msmx-version=%s: mailferry reads version 1 bundles only", out->version);
		rc = MF_EFORMAT;
	}
	if (strlen(out->network) > 10 || strlen(out->postoffice) > 10)
		mf_problem_report(fn, ctx, MF_WARNING, "msmail.manifest-syntax", MF_NO_OFFSET,
				  "network or postoffice name longer than MS Mail's 10 characters");
	if (!out->source_codepage[0])
		strcpy(out->source_codepage, "850");
	if (!out->windows_codepage[0])
		strcpy(out->windows_codepage, "1252");
	if (!out->timezone[0])
		strcpy(out->timezone, "UTC");
	if (!out->newline[0]) {
		strcpy(out->newline, "CRLF");
	} else if (!mf_strcaseeq(out->newline, "CRLF") && !mf_strcaseeq(out->newline, "LF") &&
		   !mf_strcaseeq(out->newline, "CR")) {
		mf_problem_report(fn, ctx, MF_WARNING, "msmail.manifest-syntax", MF_NO_OFFSET,
				  "mmff-newline=%s is not CRLF, LF or CR; CRLF assumed (any line end "
				  "is read anyway)", out->newline);
		strcpy(out->newline, "CRLF");
	} else {
		for (char *q = out->newline; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 32);
	}
	return rc;
}

/* ---- CSV ---- */

void mf_mscsv_init(struct mf_mscsv *c, const void *data, size_t len,
		 mf_problem_fn *fn, void *ctx)
{
	memset(c, 0, sizeof(*c));
	mf_rd_init(&c->rd, data, len);
	mf_buf_init(&c->buf, MF_MSCSV_RECORD_MAX + MF_MSCSV_FIELDS_MAX + 16);
	c->problem = fn;
	c->pctx = ctx;
	if (mf_rd_at_ci(&c->rd, "\xEF\xBB\xBF"))
		mf_rd_seek(&c->rd, 3);
}

void mf_mscsv_release(struct mf_mscsv *c)
{
	mf_buf_release(&c->buf);
}

static int peek(const struct mf_rd *r)
{
	return mf_rd_left(r) ? *r->p : -1;
}

/* Skip to just after the next LF (or the end). */
static void skip_rest_of_line(struct mf_rd *r)
{
	while (!mf_rd_eof(r)) {
		if (mf_rd_u8(r) == '\n')
			break;
	}
}

int mf_mscsv_next(struct mf_mscsv *c, const char *fields[MF_MSCSV_FIELDS_MAX], size_t *n,
		uint64_t *offset)
{
	for (;;) {
		size_t nf = 0;
		uint64_t start;
		int ch, quoted, after_quote, done = 0, bad = 0;
		const char *why = NULL;

		if (mf_rd_eof(&c->rd))
			return MF_DONE;
		start = mf_rd_offset(&c->rd);
		*offset = start;
		mf_buf_reset(&c->buf);
		/* a blank line */
		ch = peek(&c->rd);
		if (ch == '\n' || ch == '\r') {
			mf_rd_skip_eol(&c->rd, MF_EOLS_ANY);
			continue;
		}
		while (!done) {
			if (nf == MF_MSCSV_FIELDS_MAX) {
				bad = 1;
				why = "more than 64 fields";
				break;
			}
			c->start[nf] = c->buf.len;
			quoted = after_quote = 0;
			if (peek(&c->rd) == '"') {
				quoted = 1;
				mf_rd_u8(&c->rd);
			}
			for (;;) {
				ch = peek(&c->rd);
				if (mf_rd_offset(&c->rd) - start > MF_MSCSV_RECORD_MAX) {
					bad = 1;
					why = "record longer than 64 KiB";
					break;
				}
				if (ch < 0) {
					if (quoted && !after_quote) {
						bad = 1;
						why = "quoted field not closed before the end of the file";
					}
					done = 1;
					break;
				}
				if (quoted && !after_quote) {
					mf_rd_u8(&c->rd);
					if (ch == '"') {
						if (peek(&c->rd) == '"') {
							mf_rd_u8(&c->rd);
							mf_buf_addch(&c->buf, '"');
						} else {
							after_quote = 1;
						}
					} else {
						mf_buf_addch(&c->buf, ch);
					}
					continue;
				}
				if (ch == ',') {
					mf_rd_u8(&c->rd);
					break;
				}
				if (ch == '\n' || ch == '\r') {
					mf_rd_skip_eol(&c->rd, MF_EOLS_ANY);
					done = 1;
					break;
				}
				mf_rd_u8(&c->rd);
				if (after_quote && (ch == ' ' || ch == '\t'))
					continue;
				if (after_quote && !why) {
					mf_problem_report(c->problem, c->pctx, MF_INFO, "msmail.csv-syntax", start,
							  "text after a closing quote kept in the field");
					why = "";
				}
				mf_buf_addch(&c->buf, ch);
			}
			if (bad)
				break;
			c->len[nf] = c->buf.len - c->start[nf];
			mf_buf_addch(&c->buf, '\0');
			nf++;
		}
		if (bad) {
			mf_problem_report(c->problem, c->pctx, MF_ERROR, "msmail.csv-damaged", start,
					  "CSV record skipped: %s", why);
			if (!mf_rd_eof(&c->rd))
				skip_rest_of_line(&c->rd);
			return MF_SKIP;
		}
		/* fields are handed on as C strings: a NUL byte would cut one
		 * short without a word (a mailbox "MLO" from "MLO\0PEZ") */
		for (size_t i = 0; i < nf; i++) {
			if (memchr(c->buf.data + c->start[i], '\0', c->len[i])) {
				mf_problem_report(c->problem, c->pctx, MF_ERROR, "msmail.csv-damaged", start,
						  "CSV record skipped: NUL byte in field %zu", i + 1);
				return MF_SKIP;
			}
		}
		for (size_t i = 0; i < nf; i++)
			fields[i] = c->buf.data + c->start[i];
		*n = nf;
		return MF_OK;
	}
}

/* ---- users.csv ---- */

void mf_msusers_init(struct mf_msusers *u, const void *data, size_t len,
		     mf_problem_fn *fn, void *ctx)
{
	memset(u, 0, sizeof(*u));
	mf_mscsv_init(&u->csv, data, len, fn, ctx);
	for (size_t i = 0; i < MF_ARRAY_LEN(u->col); i++)
		u->col[i] = -1;
}

void mf_msusers_release(struct mf_msusers *u)
{
	mf_mscsv_release(&u->csv);
}

static int name_is(const char *s, const char *const *names)
{
	struct mf_span t;
	t.p = (const unsigned char *)s;
	t.len = strlen(s);
	t = mf_span_trim(t);
	for (size_t i = 0; names[i]; i++)
		if (mf_span_eq_ci(t, names[i]))
			return 1;
	return 0;
}

static const char *field_at(const char *const *f, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? f[i] : "";
}

int mf_msusers_next(struct mf_msusers *u, struct mf_msuser *out)
{
	static const char *const c_mbx[] = { "mailbox", NULL };
	static const char *const c_name[] = { "full_name", "fullname", "full name", NULL };
	static const char *const c_del[] = { "deleted", NULL };
	static const char *const c_dir[] = { "mail_dir", "maildir", NULL };
	static const char *const c_cal[] = { "calendar", "sc2_file", "sch_file", "cal_file", NULL };
	static const char *const c_hex[] = { "hexid", NULL };
	static const char *const *const cols[] = { c_mbx, c_name, c_del, c_dir, c_cal, c_hex };
	const char *f[MF_MSCSV_FIELDS_MAX];
	size_t n;
	uint64_t off;
	int rc;

	if (u->have_header < 0)
		return MF_EFORMAT;
	while (!u->have_header) {
		rc = mf_mscsv_next(&u->csv, f, &n, &off);
		if (rc == MF_SKIP)
			continue;
		if (rc == MF_DONE) {
			mf_problem_report(u->csv.problem, u->csv.pctx, MF_ERROR, "msmail.users-header",
					  0, "users.csv is empty: no header row");
			u->have_header = -1;
			return MF_EFORMAT;
		}
		for (size_t c = 0; c < MF_ARRAY_LEN(cols); c++)
			for (size_t i = 0; i < n && u->col[c] < 0; i++)
				if (name_is(f[i], cols[c]))
					u->col[c] = (int)i;
		if (u->col[0] < 0) {
			mf_problem_report(u->csv.problem, u->csv.pctx, MF_ERROR, "msmail.users-header",
					  off, "users.csv header has no 'mailbox' column");
			u->have_header = -1;
			return MF_EFORMAT;
		}
		for (size_t c = 1; c < 5; c++)
			if (u->col[c] < 0)
				mf_problem_report(u->csv.problem, u->csv.pctx, MF_WARNING,
						  "msmail.users-header", off,
						  "users.csv header lacks the '%s' column", cols[c][0]);
		u->have_header = 1;
	}
	for (;;) {
		const char *del;
		rc = mf_mscsv_next(&u->csv, f, &n, &off);
		if (rc == MF_SKIP)
			continue;
		if (rc != MF_OK)
			return rc;
		memset(out, 0, sizeof(*out));
		out->offset = off;
		out->mailbox = field_at(f, n, u->col[0]);
		out->full_name = field_at(f, n, u->col[1]);
		del = field_at(f, n, u->col[2]);
		out->mail_dir = field_at(f, n, u->col[3]);
		out->calendar = field_at(f, n, u->col[4]);
		out->hexid = field_at(f, n, u->col[5]);
		if (!strcmp(del, "1") || mf_strcaseeq(del, "true") || mf_strcaseeq(del, "yes") ||
		    mf_strcaseeq(del, "y") || mf_strcaseeq(del, "t"))
			out->deleted = 1;
		else if (del[0] && strcmp(del, "0") && !mf_strcaseeq(del, "false") &&
			 !mf_strcaseeq(del, "no") && !mf_strcaseeq(del, "n") && !mf_strcaseeq(del, "f"))
			mf_problem_report(u->csv.problem, u->csv.pctx, MF_WARNING, "msmail.users-value",
					  off, "deleted='%.20s' is not 0 or 1; read as 0", del);
		{
			struct mf_span m = { (const unsigned char *)out->mailbox, strlen(out->mailbox) };
			m = mf_span_trim(m);
			if (!m.len) {
				mf_problem_report(u->csv.problem, u->csv.pctx, MF_WARNING,
						  "msmail.users-value", off,
						  "users.csv row without a mailbox name skipped");
				continue;
			}
		}
		return MF_OK;
	}
}

/* ---- IMPORT / GIMPORT lines ---- */

void mf_msdir_init(struct mf_msdir *d, const void *data, size_t len,
		   mf_problem_fn *fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	mf_rd_init(&d->rd, data, len);
	d->problem = fn;
	d->pctx = ctx;
	if (mf_rd_at_ci(&d->rd, "\xEF\xBB\xBF"))
		mf_rd_seek(&d->rd, 3);
}

static int is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Length of a `TYPE:` token at s[i] (type 1-16 letters, digits, '-'), or 0. */
static size_t type_at(struct mf_span s, size_t i)
{
	size_t k = i;
	while (k < s.len && k - i <= 16) {
		unsigned char c = s.p[k];
		if (c == ':')
			return k > i ? k - i : 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
		k++;
	}
	return 0;
}

static int known_type(struct mf_span s, size_t i, size_t n)
{
	static const char *const types[] = { "PCM", "CSI", "MS", "SMTP", "X400", "FAX", "MHS",
		"PROFS", "SNADS", "MCI", "MSMAIL", "MSA", "CCMAIL", "ATT", "3COM", "OV",
		"NOTES", "EX", "X500", NULL };
	struct mf_span t = sub(s, i, i + n);
	for (size_t k = 0; types[k]; k++)
		if (mf_span_eq_ci(t, types[k]))
			return 1;
	return 0;
}

void mf_msdir_split(struct mf_msdir_line *out, struct mf_span line)
{
	size_t tab = 0;

	memset(out, 0, sizeof(*out));
	out->raw = line;
	out->name = sub(line, 0, 0);
	out->address = sub(line, 0, 0);
	if (!line.len)
		return;
	out->code = (char)line.p[0];
	if (out->code == '#') {
		out->name = mf_span_trim(sub(line, 1, line.len));
		return;
	}
	while (tab < line.len && line.p[tab] != '\t')
		tab++;
	if (tab < line.len) {
		struct mf_span tok[3];
		size_t nt = 0, i = 0;
		out->layout = MF_MSDIR_TABS;
		while (i < line.len && nt < 3) {
			size_t j = i;
			struct mf_span t;
			while (j < line.len && line.p[j] != '\t')
				j++;
			t = mf_span_trim(sub(line, i, j));
			if (t.len) {
				if (nt == 2) { /* the rest is the address */
					t = mf_span_trim(sub(line, i, line.len));
				}
				tok[nt++] = t;
			}
			i = j + 1;
		}
		if (!nt)
			return;
		if (tok[0].len == 1) {
			if (nt > 1)
				out->name = tok[1];
			if (nt > 2)
				out->address = tok[2];
		} else {
			/* "A Name<TAB>TYPE:address" */
			out->name = mf_span_trim(sub(tok[0], 1, tok[0].len));
			if (nt > 1)
				out->address = nt > 2 ? mf_span_trim(sub(line, (size_t)(tok[1].p - line.p),
									  line.len))
						      : tok[1];
		}
		return;
	}
	/* fixed columns: name 3-32, type from 34 */
	if (line.len > 33 && is_blank(line.p[32]) && type_at(line, 33)) {
		out->layout = MF_MSDIR_FIXED;
		out->name = mf_span_trim(sub(line, 2 < line.len ? 2 : line.len, 32));
		out->address = mf_span_trim(sub(line, 33, line.len));
		return;
	}
	{
		size_t best = 0, generic = 0;
		for (size_t i = 2; i < line.len; i++) {
			size_t n;
			if (!is_blank(line.p[i - 1]) || is_blank(line.p[i]))
				continue;
			n = type_at(line, i);
			if (!n)
				continue;
			if (known_type(line, i, n)) {
				best = i;
				break;
			}
			if (!generic)
				generic = i;
		}
		if (!best)
			best = generic;
		out->layout = MF_MSDIR_GUESSED;
		if (best) {
			out->name = mf_span_trim(sub(line, 2, best));
			out->address = mf_span_trim(sub(line, best, line.len));
		} else {
			out->name = mf_span_trim(sub(line, line.len > 2 ? 2 : line.len, line.len));
		}
	}
}

int mf_msdir_next(struct mf_msdir *d, struct mf_msdir_line *out)
{
	struct mf_span line;
	for (;;) {
		uint64_t off = mf_rd_offset(&d->rd);
		if (mf_rd_line(&d->rd, &line, NULL, MF_EOLS_ANY, mf_rd_left(&d->rd) + 1) != MF_OK)
			return MF_DONE;
		if (line.len > 4096) {
			mf_problem_report(d->problem, d->pctx, MF_ERROR, "msmail.dir-line-too-long", off,
					  "directory line of %zu bytes skipped", line.len);
			continue;
		}
		if (!mf_span_trim(line).len)
			continue;
		mf_msdir_split(out, line);
		out->offset = off;
		if (out->code == 'A' || out->code == 'a' || out->code == 'G' || out->code == 'g') {
			/* template data lines belong to this entry */
			const unsigned char *t0 = NULL, *t1 = NULL;
			for (;;) {
				struct mf_rd r = d->rd;
				struct mf_span l;
				if (mf_rd_line(&r, &l, NULL, MF_EOLS_ANY, mf_rd_left(&r) + 1) != MF_OK ||
				    !l.len || l.p[0] != '-' || l.len > 4096)
					break;
				if (!t0)
					t0 = l.p;
				t1 = l.p + l.len;
				d->rd = r;
			}
			if (t0) {
				out->templ.p = t0;
				out->templ.len = (size_t)(t1 - t0);
			}
		}
		return MF_OK;
	}
}
