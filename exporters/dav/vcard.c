/* SPDX-License-Identifier: MIT */
/*
 * vcard.c: a small vCard writer (4.0, RFC 6350; 3.0, RFC 2426, on request)
 * and a reader of content lines for comparing what a server gives back
 * (vCard and iCalendar share the line syntax).  See dav.h.
 */
#include "exporters/dav/dav.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- UUIDs ---- */

/* mailferry's namespace for name-based UUIDs (fixed forever: changing it
 * changes every UID written). */
static const unsigned char MF_NS[16] = {
	0x6d, 0x61, 0x69, 0x6c, 0x66, 0x65, 0x72, 0x72,
	0x79, 0x2d, 0x44, 0x41, 0x56, 0x2d, 0x6e, 0x73,
};

void mf_uuid5(char out[MF_UUID_LEN + 1], const char *name, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	if (!ctx)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	EVP_DigestUpdate(ctx, MF_NS, sizeof(MF_NS));
	EVP_DigestUpdate(ctx, name, n);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[md[i] >> 4];
		out[k++] = hex[md[i] & 15];
	}
	out[k] = '\0';
}

/* ---- writing ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t need;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (need == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f)))
		return 0;
	if (need == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)))
		return 0;
	return need;
}

int mf_vcard_escape(struct mf_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int rc = MF_OK;

	while (i < n && rc == MF_OK) {
		unsigned c = p[i];
		size_t k;
		if (c == '\\' || c == ',' || c == ';') {
			char e[2] = { '\\', (char)c };
			rc = mf_buf_add(out, e, 2);
			i++;
		} else if (c == '\r' || c == '\n') {
			rc = mf_buf_add(out, "\\n", 2);
			i += (c == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
		} else if (c < 0x20 && c != '\t') {
			rc = mf_buf_addch(out, ' ');
			i++;
		} else if (c == 0x7f) {
			rc = mf_buf_addch(out, ' ');
			i++;
		} else if ((k = utf8_len(p + i, n - i)) == 0) {
			rc = mf_buf_add(out, "\xef\xbf\xbd", 3);
			i++;
		} else {
			rc = mf_buf_add(out, p + i, k);
			i += k;
		}
	}
	return rc;
}

int mf_vcard_fold(struct mf_buf *out, const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i = 0, room = MF_VCARD_FOLD;
	int rc = MF_OK;

	while (i < n && rc == MF_OK) {
		size_t take = n - i, k;
		if (take > room) {
			take = room;
			/* back up to the start of a UTF-8 sequence */
			while (take > 0 && (p[i + take] & 0xc0) == 0x80)
				take--;
			if (take == 0) {
				/* a sequence longer than the room (cannot happen with
				 * valid UTF-8 and room >= 4): take it whole */
				k = 1;
				while (i + k < n && (p[i + k] & 0xc0) == 0x80)
					k++;
				take = k;
			}
		}
		rc = mf_buf_add(out, p + i, take);
		i += take;
		if (rc == MF_OK && i < n)
			rc = mf_buf_add(out, "\r\n ", 3);
		room = MF_VCARD_FOLD - 1;
	}
	if (rc == MF_OK)
		rc = mf_buf_add(out, "\r\n", 2);
	return rc;
}

struct w {
	struct mf_buf *out;
	struct mf_buf line;
	enum mf_vcard_version v;
	int rc;
};

static void emit(struct w *w)
{
	if (w->rc == MF_OK)
		w->rc = mf_vcard_fold(w->out, w->line.data, w->line.len);
	mf_buf_reset(&w->line);
}

/* NAME:value with value escaped as TEXT. */
static void prop_text(struct w *w, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	mf_buf_addstr(&w->line, name);
	mf_buf_addch(&w->line, ':');
	if (mf_vcard_escape(&w->line, value, strlen(value)) < 0)
		w->rc = MF_ETOOBIG;
	emit(w);
}

/* NAME:value written as it is (URIs, dates, values we formed). */
static void prop_raw(struct w *w, const char *name, const char *value)
{
	mf_buf_addstr(&w->line, name);
	mf_buf_addch(&w->line, ':');
	/* our own values never hold a line break; make sure of it */
	for (const char *p = value; *p; p++)
		mf_buf_addch(&w->line, (*p == '\r' || *p == '\n') ? ' ' : *p);
	emit(w);
}

/* NAME:a;b;c with each component escaped; nothing when all are empty. */
static void prop_struct(struct w *w, const char *name, const char *const *parts, size_t n)
{
	int any = 0;
	for (size_t i = 0; i < n; i++)
		any |= parts[i] && *parts[i];
	if (!any)
		return;
	mf_buf_addstr(&w->line, name);
	mf_buf_addch(&w->line, ':');
	for (size_t i = 0; i < n; i++) {
		if (i)
			mf_buf_addch(&w->line, ';');
		if (parts[i] && mf_vcard_escape(&w->line, parts[i], strlen(parts[i])) < 0)
			w->rc = MF_ETOOBIG;
	}
	emit(w);
}

static void tel(struct w *w, const char *types4, const char *types3, const char *num)
{
	char name[80];
	if (!num || !*num)
		return;
	if (w->v == MF_VCARD_40)
		snprintf(name, sizeof(name), "TEL;VALUE=text;TYPE=%s", types4);
	else
		snprintf(name, sizeof(name), "TEL;TYPE=%s", types3);
	prop_text(w, name, num);
}

const char *mf_vcard_legacy_prop(const char *type)
{
	if (type && mf_strcaseeq(type, "CCMAIL"))
		return "X-CCMAIL-ADDRESS";
	if (type && mf_strcaseeq(type, "MS"))
		return "X-MSMAIL-ADDRESS";
	return "X-MAILFERRY-ADDRESS";
}

/* Append "mailto:" and an address, percent-encoding what a URI cannot hold. */
static void mailto(struct mf_buf *b, const char *addr)
{
	static const char hex[] = "0123456789ABCDEF";
	mf_buf_addstr(b, "mailto:");
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("%\"<>\\^`{|}#?,;", *p)) {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			mf_buf_add(b, e, 3);
		} else {
			mf_buf_addch(b, (char)*p);
		}
	}
}

int mf_vcard_write(struct mf_buf *out, enum mf_vcard_version v, const struct mf_vcard_card *c)
{
	struct w w = { out, { 0 }, v, MF_OK };
	char tmp[200];

	mf_buf_init(&w.line, MF_BUF_UNBOUNDED);
	prop_raw(&w, "BEGIN", "VCARD");
	prop_raw(&w, "VERSION", v == MF_VCARD_40 ? "4.0" : "3.0");
	prop_raw(&w, "PRODID", "-//mailferry//mailferry//EN");
	snprintf(tmp, sizeof(tmp), "urn:uuid:%s", c->uuid);
	prop_raw(&w, "UID", tmp);
	if (c->group)
		prop_raw(&w, v == MF_VCARD_40 ? "KIND" : "X-ADDRESSBOOKSERVER-KIND", "group");
	prop_text(&w, "FN", c->fn && *c->fn ? c->fn : c->email ? c->email : "(no name)");
	{
		const char *n[5] = { c->surname, c->given, NULL, NULL, NULL };
		/* 3.0 requires N; 4.0 writes it when there is something to say */
		if (v == MF_VCARD_30 && !(c->surname && *c->surname) && !(c->given && *c->given)) {
			mf_buf_addstr(&w.line, "N:");
			if (c->group && c->fn)
				mf_vcard_escape(&w.line, c->fn, strlen(c->fn));
			mf_buf_addstr(&w.line, ";;;;");
			emit(&w);
		} else {
			prop_struct(&w, "N", n, 5);
		}
	}
	if (c->email && *c->email)
		prop_text(&w, v == MF_VCARD_40 ? "EMAIL;TYPE=work" : "EMAIL;TYPE=INTERNET,WORK",
			  c->email);
	if (c->legacy && *c->legacy) {
		const char *pn = mf_vcard_legacy_prop(c->legacy_type);
		if (!strcmp(pn, "X-MAILFERRY-ADDRESS") && c->legacy_type && *c->legacy_type) {
			struct mf_buf t;
			mf_buf_init(&t, MF_BUF_UNBOUNDED);
			mf_buf_addf(&t, "%s:%s", c->legacy_type, c->legacy);
			prop_text(&w, pn, t.data);
			mf_buf_release(&t);
		} else {
			prop_text(&w, pn, c->legacy);
		}
	}
	prop_text(&w, "TITLE", c->title);
	{
		const char *o[2] = { c->org, c->department };
		prop_struct(&w, "ORG", o, (c->department && *c->department) ? 2 : 1);
	}
	{
		const char *a[7] = { NULL, c->office, c->street, c->city, c->region, c->zip, c->country };
		prop_struct(&w, v == MF_VCARD_40 ? "ADR;TYPE=work" : "ADR;TYPE=WORK", a, 7);
	}
	tel(&w, "work,voice", "WORK,VOICE", c->tel_work);
	tel(&w, "work,voice", "WORK,VOICE", c->tel_work2);
	tel(&w, "x-assistant", "X-ASSISTANT", c->tel_assistant);
	tel(&w, "work,fax", "WORK,FAX", c->tel_fax);
	tel(&w, "home,voice", "HOME,VOICE", c->tel_home);
	tel(&w, "home,voice", "HOME,VOICE", c->tel_home2);
	tel(&w, "cell", "CELL", c->tel_cell);
	tel(&w, "pager", "PAGER", c->tel_pager);
	prop_text(&w, "X-ASSISTANT", c->assistant);
	prop_text(&w, "NOTE", c->note);
	for (size_t i = 0; i < c->n_members; i++) {
		const struct mf_vcard_member *m = &c->members[i];
		const char *pn = v == MF_VCARD_40 ? "MEMBER" : "X-ADDRESSBOOKSERVER-MEMBER";
		if (m->uuid) {
			snprintf(tmp, sizeof(tmp), "urn:uuid:%s", m->uuid);
			prop_raw(&w, pn, tmp);
		} else if (m->email) {
			struct mf_buf u;
			mf_buf_init(&u, MF_BUF_UNBOUNDED);
			mailto(&u, m->email);
			prop_raw(&w, pn, u.data);
			mf_buf_release(&u);
		} else if (m->legacy) {
			prop_text(&w, "X-MAILFERRY-MEMBER", m->legacy);
		}
	}
	if (c->rev >= 0) {
		struct tm t;
		time_t tt = (time_t)c->rev;
		gmtime_r(&tt, &t);
		snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ", t.tm_year + 1900,
			 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
		prop_raw(&w, "REV", tmp);
	}
	prop_raw(&w, "END", "VCARD");
	mf_buf_release(&w.line);
	return w.rc;
}

/* ---- reading ---- */

static void push_prop(struct mf_cl_doc *d, size_t *cap, struct mf_cl_prop p)
{
	if (d->n_props == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		d->props = mf_xreallocarray(d->props, *cap, sizeof(*d->props));
	}
	d->props[d->n_props++] = p;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* Undo escapes: \\ \, \; \: \n \N. */
static void unescape(struct mf_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			char c = s[++i];
			mf_buf_addch(out, (c == 'n' || c == 'N') ? '\n' : c);
		} else if (s[i] == '\r') {
			/* a raw CR inside a value is not meaningful */
		} else {
			mf_buf_addch(out, s[i]);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One logical line -> a property; MF_EFORMAT without ':'. */
static int parse_line(struct mf_cl_prop *p, const char *l, size_t n)
{
	size_t i = 0, name_end, colon = (size_t)-1;
	int quoted = 0;
	char **params = NULL;
	size_t np = 0;
	struct mf_buf norm, val;

	for (i = 0; i < n; i++) {
		if (l[i] == '"')
			quoted = !quoted;
		else if (!quoted && l[i] == ':') {
			colon = i;
			break;
		}
	}
	if (colon == (size_t)-1)
		return MF_EFORMAT;
	name_end = 0;
	while (name_end < colon && l[name_end] != ';')
		name_end++;
	{
		/* drop a group prefix ("item1.EMAIL") */
		size_t s = 0;
		for (size_t k = 0; k < name_end; k++)
			if (l[k] == '.')
				s = k + 1;
		p->name = mf_xstrndup(l + s, name_end - s);
		upper(p->name);
	}
	/* parameters: split on ';' outside quotes; a value list "a,b" sorted */
	i = name_end;
	while (i < colon) {
		size_t s = ++i;
		char *par;
		quoted = 0;
		while (i < colon && (quoted || l[i] != ';')) {
			if (l[i] == '"')
				quoted = !quoted;
			i++;
		}
		par = mf_xstrndup(l + s, i - s);
		{
			/* upper-case, quotes dropped, list values sorted */
			struct mf_buf b;
			char *eq = strchr(par, '=');
			char **vals = NULL;
			size_t nv = 0;
			mf_buf_init(&b, MF_BUF_UNBOUNDED);
			if (eq) {
				char *save = NULL;
				*eq = '\0';
				upper(par);
				mf_buf_addstr(&b, par);
				mf_buf_addch(&b, '=');
				for (char *t = strtok_r(eq + 1, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
					char *v = t;
					size_t vl = strlen(v);
					if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
						v[vl - 1] = '\0';
						v++;
					}
					vals = mf_xreallocarray(vals, nv + 1, sizeof(*vals));
					vals[nv] = mf_xstrdup(v);
					upper(vals[nv]);
					nv++;
				}
				if (nv > 1)
					qsort(vals, nv, sizeof(*vals), cmp_str);
				for (size_t k = 0; k < nv; k++) {
					if (k)
						mf_buf_addch(&b, ',');
					mf_buf_addstr(&b, vals[k]);
					free(vals[k]);
				}
				free(vals);
			} else {
				/* 2.1-style bare type */
				upper(par);
				mf_buf_addstr(&b, "TYPE=");
				mf_buf_addstr(&b, par);
			}
			free(par);
			params = mf_xreallocarray(params, np + 1, sizeof(*params));
			params[np++] = mf_buf_detach(&b, NULL);
		}
	}
	if (np > 1)
		qsort(params, np, sizeof(*params), cmp_str);
	mf_buf_init(&val, MF_BUF_UNBOUNDED);
	unescape(&val, l + colon + 1, n - colon - 1);
	mf_buf_init(&norm, MF_BUF_UNBOUNDED);
	mf_buf_addstr(&norm, p->name);
	for (size_t k = 0; k < np; k++) {
		/* VALUE=TEXT is the default for most properties; leave it out */
		if (strcmp(params[k], "VALUE=TEXT") != 0) {
			mf_buf_addch(&norm, ';');
			mf_buf_addstr(&norm, params[k]);
		}
		free(params[k]);
	}
	free(params);
	mf_buf_addch(&norm, ':');
	mf_buf_add(&norm, val.data, val.len);
	p->value = mf_buf_detach(&val, NULL);
	p->norm = mf_buf_detach(&norm, NULL);
	return MF_OK;
}

int mf_cl_parse(struct mf_cl_doc *doc, const char *text, size_t len, size_t max_lines,
		struct mf_diag *diag)
{
	struct mf_buf l;
	size_t pos = 0, cap = 0, ccap = 0, lines = 0, line_no = 0;
	size_t stack[16], depth = 0;
	int rc = MF_OK;

	memset(doc, 0, sizeof(*doc));
	mf_buf_init(&l, MF_BUF_UNBOUNDED);
	while (pos < len && rc == MF_OK) {
		size_t start = pos;
		mf_buf_reset(&l);
		/* one logical line: physical lines joined where the next starts
		 * with a space or a tab */
		for (;;) {
			size_t e = pos;
			while (e < len && text[e] != '\n')
				e++;
			{
				size_t ln = e - pos;
				if (ln && text[pos + ln - 1] == '\r')
					ln--;
				mf_buf_add(&l, text + pos, ln);
			}
			line_no++;
			pos = e < len ? e + 1 : e;
			if (pos < len && (text[pos] == ' ' || text[pos] == '\t'))
				pos++;
			else
				break;
		}
		if (!l.len)
			continue;
		if (++lines > max_lines) {
			rc = mf_diag_set(diag, MF_ETOOBIG, NULL, start, "more than %zu lines", max_lines);
			break;
		}
		{
			struct mf_cl_prop p;
			memset(&p, 0, sizeof(p));
			if (parse_line(&p, l.data, l.len) < 0) {
				rc = mf_diag_set(diag, MF_EFORMAT, NULL, start,
						 "line %zu is not a content line", line_no);
				break;
			}
			if (!strcmp(p.name, "BEGIN")) {
				char *k = mf_xstrdup(p.value);
				upper(k);
				if (depth == 16) {
					free(k);
					free(p.name);
					free(p.norm);
					free(p.value);
					rc = mf_diag_set(diag, MF_EFORMAT, NULL, start, "nested too deep");
					break;
				}
				if (doc->n_comps == ccap) {
					ccap = ccap ? ccap * 2 : 8;
					doc->comps = mf_xreallocarray(doc->comps, ccap, sizeof(*doc->comps));
				}
				doc->comps[doc->n_comps].kind = k;
				doc->comps[doc->n_comps].parent = depth ? stack[depth - 1] : (size_t)-1;
				stack[depth++] = doc->n_comps++;
				free(p.name);
				free(p.norm);
				free(p.value);
				continue;
			}
			if (!strcmp(p.name, "END")) {
				int ok = depth > 0 && mf_strcaseeq(doc->comps[stack[depth - 1]].kind, p.value);
				free(p.name);
				free(p.norm);
				free(p.value);
				if (!ok) {
					rc = mf_diag_set(diag, MF_EFORMAT, NULL, start, "END without its BEGIN");
					break;
				}
				depth--;
				continue;
			}
			if (!depth) {
				free(p.name);
				free(p.norm);
				free(p.value);
				rc = mf_diag_set(diag, MF_EFORMAT, NULL, start, "a property outside BEGIN/END");
				break;
			}
			p.depth = depth;
			p.comp = stack[depth - 1];
			push_prop(doc, &cap, p);
		}
	}
	if (rc == MF_OK && depth)
		rc = mf_diag_set(diag, MF_EFORMAT, NULL, len, "BEGIN:%s without END",
				 doc->comps[stack[depth - 1]].kind);
	mf_buf_release(&l);
	if (rc < 0)
		mf_cl_release(doc);
	return rc;
}

void mf_cl_release(struct mf_cl_doc *doc)
{
	for (size_t i = 0; i < doc->n_props; i++) {
		free(doc->props[i].name);
		free(doc->props[i].norm);
		free(doc->props[i].value);
	}
	for (size_t i = 0; i < doc->n_comps; i++)
		free(doc->comps[i].kind);
	free(doc->props);
	free(doc->comps);
	memset(doc, 0, sizeof(*doc));
}

static int in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* The key of a component: its UID and RECURRENCE-ID values. */
static char *comp_key(const struct mf_cl_doc *d, size_t comp)
{
	struct mf_buf b;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_buf_addstr(&b, d->comps[comp].kind);
	for (size_t i = 0; i < d->n_props; i++)
		if (d->props[i].comp == comp && !strcmp(d->props[i].name, "UID"))
			mf_buf_addf(&b, "|%s", d->props[i].value);
	for (size_t i = 0; i < d->n_props; i++)
		if (d->props[i].comp == comp && !strcmp(d->props[i].name, "RECURRENCE-ID"))
			mf_buf_addf(&b, "|%s", d->props[i].norm);
	return mf_buf_detach(&b, NULL);
}

/* The sorted normalised lines of a component. */
static char **comp_lines(const struct mf_cl_doc *d, size_t comp, const char *const *ignore,
			 size_t *n_out)
{
	char **v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < d->n_props; i++) {
		if (d->props[i].comp != comp || in_list(d->props[i].name, ignore))
			continue;
		v = mf_xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = d->props[i].norm;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	*n_out = n;
	return v;
}

/* One difference: prefix, the text cut to 160 bytes (a 1 MB value is not
 * printed whole), suffix. */
static void note(struct mf_buf *why, size_t *count, size_t max, const char *prefix,
		 const char *text, const char *suffix)
{
	(*count)++;
	if (*count <= max)
		mf_buf_addf(why, "%s%.160s%s\n", prefix, text, suffix);
}

size_t mf_cl_compare(const struct mf_cl_doc *want, const struct mf_cl_doc *have,
		     const char *const *kinds, const char *const *ignore,
		     struct mf_buf *why, size_t max_lines)
{
	size_t diffs = 0;
	for (size_t c = 0; c < want->n_comps; c++) {
		char *key;
		size_t match = (size_t)-1;
		if (!in_list(want->comps[c].kind, kinds))
			continue;
		key = comp_key(want, c);
		for (size_t h = 0; h < have->n_comps && match == (size_t)-1; h++) {
			char *hk;
			if (strcmp(have->comps[h].kind, want->comps[c].kind))
				continue;
			hk = comp_key(have, h);
			if (!strcmp(hk, key))
				match = h;
			free(hk);
		}
		if (match == (size_t)-1) {
			note(why, &diffs, max_lines, "", key, ": missing on the server");
		} else {
			size_t nw, nh, i = 0, j = 0;
			char **lw = comp_lines(want, c, ignore, &nw);
			char **lh = comp_lines(have, match, ignore, &nh);
			while (i < nw || j < nh) {
				int r = i == nw ? 1 : j == nh ? -1 : strcmp(lw[i], lh[j]);
				if (r == 0) {
					i++;
					j++;
				} else if (r < 0) {
					note(why, &diffs, max_lines, "missing or changed: ", lw[i++], "");
				} else {
					note(why, &diffs, max_lines, "not staged: ", lh[j++], "");
				}
			}
			free(lw);
			free(lh);
		}
		free(key);
	}
	/* components on the server that were never staged */
	for (size_t h = 0; h < have->n_comps; h++) {
		char *hk;
		int found = 0;
		if (!in_list(have->comps[h].kind, kinds))
			continue;
		hk = comp_key(have, h);
		for (size_t c = 0; c < want->n_comps && !found; c++) {
			char *k;
			if (strcmp(want->comps[c].kind, have->comps[h].kind))
				continue;
			k = comp_key(want, c);
			found = !strcmp(k, hk);
			free(k);
		}
		if (!found)
			note(why, &diffs, max_lines, "", hk, ": on the server, not staged");
		free(hk);
	}
	return diffs;
}
