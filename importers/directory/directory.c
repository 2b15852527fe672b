/* SPDX-License-Identifier: MIT */
/*
 * directory.c: the target directory snapshot.
 *
 * `mailferry import directory --db STAGE GAL.csv` reads the recipients the
 * target already has (mailboxes, custom recipients, distribution lists)
 * from a CSV file (RFC 4180, a header row, UTF-8; docs/staging.md
 * "target_objects" gives the columns).  The plan (engine/plan.h) matches the
 * staged mailboxes with them.  There is one snapshot at a time: importing
 * a file replaces the previous snapshot whole, in one transaction.
 *
 * A damaged record (wrong number of fields, an unterminated quote, an
 * unknown object class) is skipped whole and recorded as a problem with the
 * file and byte offset; the rest of the file is read.
 */
#include "engine/importer.h"
#include "core/store_import.h"
#include "core/charset.h"
#include "core/csvrd.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "engine/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIR_FILE_MAX  (1ull << 30)   /* a snapshot of a very large organisation */
#define DIR_RECORD_MAX (64u << 10)
#define DIR_FIELDS_MAX 512
#define DIR_PROXIES_MAX 1000

enum col_id { C_CLASS, C_ALIAS, C_DISPLAY, C_PROXIES, C_GIVEN, C_SURNAME, C_TARGET, C_N };

/* Accepted column names, compared without case, blanks, '-' and '_'. */
static const char *const COL_NAMES[C_N][5] = {
	[C_CLASS] = { "class", "objclass", "objectclass", NULL },
	[C_ALIAS] = { "alias", "commonname", "mailnickname", NULL },
	[C_DISPLAY] = { "displayname", NULL },
	[C_PROXIES] = { "proxyaddresses", "proxies", "emailaddresses", NULL },
	[C_GIVEN] = { "givenname", "firstname", NULL },
	[C_SURNAME] = { "surname", "lastname", NULL },
	[C_TARGET] = { "targetaddress", NULL },
};

static void squeeze(char *out, size_t cap, const char *in)
{
	size_t n = 0;
	for (; *in && n + 1 < cap; in++) {
		if (*in == ' ' || *in == '-' || *in == '_' || *in == '\t')
			continue;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
}

static int column_of(const char *name)
{
	char k[64];
	squeeze(k, sizeof(k), name);
	for (int c = 0; c < C_N; c++)
		for (int i = 0; COL_NAMES[c][i]; i++)
			if (!strcmp(k, COL_NAMES[c][i]))
				return c;
	return -1;
}

/* Object class: "mailbox", "custom" or "dl"; NULL when unknown. */
static const char *class_of(const char *v)
{
	static const char *const MB[] = { "mailbox", "user", NULL };
	static const char *const CU[] = { "custom", "remote", "customrecipient", "contact", "mailcontact", NULL };
	static const char *const DL[] = { "dl", "distlist", "distributionlist", "group", NULL };
	char k[64];
	squeeze(k, sizeof(k), v);
	for (int i = 0; MB[i]; i++)
		if (!strcmp(k, MB[i]))
			return "mailbox";
	for (int i = 0; CU[i]; i++)
		if (!strcmp(k, CU[i]))
			return "custom";
	for (int i = 0; DL[i]; i++)
		if (!strcmp(k, DL[i]))
			return "dl";
	return NULL;
}

struct dirimp {
	struct mf_store *st;
	const char *path;
	int64_t source_id;
	int col[C_N];               /* field index of each column, -1: absent */
	size_t ncols;
	struct mf_charset *cs;      /* for fields that are not UTF-8 */
	int warned_charset;
	int64_t objects, damaged;
};

/* Field value as UTF-8 (converted from the fallback code page when it is
 * not UTF-8), blanks trimmed, in b. */
static const char *field(struct dirimp *d, const struct mf_csv_rec *rec, int c,
			 struct mf_buf *b, uint64_t off)
{
	const char *v;
	size_t len;

	mf_buf_reset(b);
	if (d->col[c] < 0)
		return "";
	v = mf_csv_field(rec, (size_t)d->col[c]);
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (mf_utf8_valid(v, len)) {
		mf_buf_add(b, v, len);
	} else {
		if (!d->warned_charset) {
			d->warned_charset = 1;
			mf_store_problemf(d->st, MF_WARNING, "directory.not-utf8", d->path, (int64_t)off,
					  0, 0, "the file is not UTF-8; its text was read as %s "
					  "(use --codepage to name the right one)", mf_charset_name(d->cs));
		}
		mf_charset_to_utf8(d->cs, v, len, b, NULL);
	}
	/* line ends and control characters (quoted fields may hold them) have
	 * no place in names and addresses, nor on an operator's terminal */
	for (size_t i = 0; i < b->len; i++) {
		unsigned char ch = (unsigned char)b->data[i];
		if (ch == '\t' || ch == '\r' || ch == '\n')
			b->data[i] = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			b->data[i] = '?';
	}
	return b->data;
}

/* Where does the proxy starting at s end?  At a ';' followed by another
 * "TYPE:" (X.400 addresses hold ';' of their own: "X400:c=US;a= ;p=Org"). */
static size_t proxy_end(const char *s)
{
	const char *p = s;
	for (;;) {
		const char *semi = strchr(p, ';');
		const char *q;
		if (!semi)
			return strlen(s);
		q = semi + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		{
			size_t i = 0;
			while (i <= 16 && q[i] && (isalnum((unsigned char)q[i]) || q[i] == '_' || q[i] == '-'))
				i++;
			if ((i > 0 && i <= 16 && q[i] == ':') || *q == '\0')
				return (size_t)(semi - s);
		}
		p = semi + 1;
	}
}

static int store_proxies(struct dirimp *d, int64_t obj, const char *list, uint64_t off,
			 struct mf_diag *diag)
{
	int pos = 0;
	const char *s = list;
	struct mf_buf key, loose;
	int rc = MF_OK;

	mf_buf_init(&key, MF_BUF_LINE_MAX);
	mf_buf_init(&loose, MF_BUF_LINE_MAX);
	while (*s && rc == MF_OK) {
		size_t len = proxy_end(s);
		struct mf_proxy px;
		const char *next = s[len] ? s + len + 1 : s + len;
		size_t tl = len;
		const char *t = s;

		while (tl && (*t == ' ' || *t == '\t')) {
			t++;
			tl--;
		}
		while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t'))
			tl--;
		if (tl == 0) {
			s = next;
			continue;
		}
		if (pos >= DIR_PROXIES_MAX) {
			mf_store_problemf(d->st, MF_WARNING, "directory.too-many-proxies", d->path,
					  (int64_t)off, 0, 0,
					  "an object has more than %d proxy addresses; the rest are left out",
					  DIR_PROXIES_MAX);
			break;
		}
		if (mf_proxy_parse(&px, t, tl) < 0) {
			mf_store_problemf(d->st, MF_WARNING, "directory.bad-proxy", d->path, (int64_t)off,
					  0, 0, "'%.*s' is not a proxy address (TYPE:address); left out",
					  (int)(tl > 200 ? 200 : tl), t);
			s = next;
			continue;
		}
		mf_buf_reset(&key);
		mf_buf_reset(&loose);
		mf_proxy_key(&key, &px, 0);
		mf_proxy_key(&loose, &px, 1);
		{
			struct mf_target_proxy tp;
			char *whole = mf_xstrndup(t, tl);
			char *addr = mf_xstrndup(px.address, px.address_len);
			tp.object_id = obj;
			tp.position = pos;
			tp.proxy = whole;
			tp.type = px.type;
			tp.address = addr;
			tp.is_primary = px.primary;
			tp.migrate = px.migrate;
			tp.match_key = key.data;
			tp.loose_key = loose.data;
			rc = mf_store_target_proxy(d->st, &tp, diag);
			free(whole);
			free(addr);
		}
		pos++;
		s = next;
	}
	mf_buf_release(&key);
	mf_buf_release(&loose);
	return rc;
}

static int store_record(struct dirimp *d, const struct mf_csv_rec *rec, const char *raw,
			struct mf_diag *diag)
{
	struct mf_buf f[C_N];
	const char *v[C_N], *cls;
	int64_t obj;
	int rc = MF_OK;

	for (int c = 0; c < C_N; c++) {
		mf_buf_init(&f[c], DIR_RECORD_MAX * 4);
		v[c] = field(d, rec, c, &f[c], rec->offset);
	}
	cls = class_of(v[C_CLASS]);
	if (!cls) {
		d->damaged++;
		mf_store_problemf(d->st, MF_WARNING, "directory.unknown-class", d->path,
				  (int64_t)rec->offset, 0, 0,
				  "record %llu: object class '%.60s' is not mailbox, custom or dl; "
				  "the record is skipped", (unsigned long long)rec->number, v[C_CLASS]);
		goto out;
	}
	if (!*v[C_ALIAS])
		mf_store_problemf(d->st, MF_WARNING, "directory.no-alias", d->path,
				  (int64_t)rec->offset, 0, 0,
				  "record %llu: the %s '%.80s' has no alias; it is kept for its addresses",
				  (unsigned long long)rec->number, cls, v[C_DISPLAY]);
	{
		struct mf_target_object o;
		o.source_id = d->source_id;
		o.cls = cls;
		o.alias = *v[C_ALIAS] ? v[C_ALIAS] : NULL;
		o.display_name = *v[C_DISPLAY] ? v[C_DISPLAY] : NULL;
		o.given_name = *v[C_GIVEN] ? v[C_GIVEN] : NULL;
		o.surname = *v[C_SURNAME] ? v[C_SURNAME] : NULL;
		o.target_address = *v[C_TARGET] ? v[C_TARGET] : NULL;
		o.line = (int64_t)rec->number;
		o.offset = (int64_t)rec->offset;
		o.raw = raw;
		if ((rc = mf_store_target_object(d->st, &obj, &o, diag)) < 0)
			goto out;
	}
	d->objects++;
	if (*v[C_ALIAS]) {
		int64_t other;
		int dup = mf_store_target_alias_dup(d->st, &other, v[C_ALIAS], obj, diag);
		if (dup < 0) {
			rc = dup;
			goto out;
		}
		if (dup)
			mf_store_problemf(d->st, MF_WARNING, "directory.duplicate-alias", d->path,
					  (int64_t)rec->offset, 0, 0,
					  "record %llu: alias '%s' is also used by record %lld",
					  (unsigned long long)rec->number, v[C_ALIAS], (long long)other);
	}
	rc = store_proxies(d, obj, v[C_PROXIES], rec->offset, diag);
out:
	for (int c = 0; c < C_N; c++)
		mf_buf_release(&f[c]);
	return rc;
}

static int read_header(struct dirimp *d, struct mf_csv_rec *rec, struct mf_diag *diag)
{
	static const enum col_id required[] = { C_CLASS, C_ALIAS, C_DISPLAY, C_PROXIES };

	for (int c = 0; c < C_N; c++)
		d->col[c] = -1;
	d->ncols = rec->nfields;
	for (size_t i = 0; i < rec->nfields; i++) {
		int c = column_of(mf_csv_field(rec, i));
		if (c < 0) {
			mf_store_problemf(d->st, MF_INFO, "directory.unknown-column", d->path,
					  (int64_t)rec->offset, 0, 0,
					  "column '%.60s' is not one mailferry reads; it is ignored",
					  mf_csv_field(rec, i));
			continue;
		}
		if (d->col[c] < 0)
			d->col[c] = (int)i;
	}
	for (size_t i = 0; i < MF_ARRAY_LEN(required); i++)
		if (d->col[required[i]] < 0)
			return mf_diag_set(diag, MF_EFORMAT, d->path, rec->offset,
					   "the header row has no '%s' column; it needs class, alias, "
					   "display_name and proxy_addresses (docs/staging.md, target_objects)",
					   COL_NAMES[required[i]][0]);
	return MF_OK;
}

/* The record's bytes as written, without the line end, as UTF-8 text. */
/* Does a field hold a NUL byte (its C string shorter than its bytes)? */
static int rec_has_nul(const struct mf_csv_rec *rec)
{
	for (size_t i = 0; i < rec->nfields; i++) {
		size_t end = i + 1 < rec->nfields ? rec->start[i + 1] - 1 : rec->data.len - 1;
		if (strlen(rec->data.data + rec->start[i]) != end - rec->start[i])
			return 1;
	}
	return 0;
}

static char *record_text(const struct mf_map *m, uint64_t start, uint64_t end)
{
	struct mf_rd r;
	struct mf_span sp;
	struct mf_buf b;
	size_t len;

	mf_rd_init(&r, m->data, m->len);
	if (end < start || mf_rd_seek(&r, start) < 0 || mf_rd_bytes(&r, end - start, &sp) < 0)
		return mf_xstrdup("");
	len = sp.len;
	while (len && (sp.p[len - 1] == '\n' || sp.p[len - 1] == '\r'))
		len--;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_utf8_sanitize(sp.p, len, &b, NULL);
	return mf_buf_detach(&b, NULL);
}

static int dir_import(struct mf_store *st, const char *path, const struct mf_import_opts *opts,
		      struct mf_import_stats *stats, struct mf_diag *diag)
{
	struct dirimp d;
	struct mf_map map;
	struct mf_source_info src;
	struct mf_csv_rec rec;
	struct mf_rd r;
	char sha[MF_SHA256_HEX];
	int64_t file_id = 0;
	enum mf_file_state fs;
	struct stat sb;
	int rc;

	memset(&d, 0, sizeof(d));
	d.st = st;
	d.path = path;
	if (stat(path, &sb) == 0 && (uint64_t)sb.st_size > DIR_FILE_MAX)
		return mf_diag_set(diag, MF_ETOOBIG, path, MF_NO_OFFSET,
				   "a directory snapshot larger than %llu bytes is not accepted",
				   (unsigned long long)DIR_FILE_MAX);
	if ((rc = mf_map_open(&map, path, diag)) < 0)
		return rc;
	if ((rc = mf_charset_open(&d.cs, opts->codepage ? opts->codepage : "CP1252", diag)) < 0) {
		mf_map_close(&map);
		return rc;
	}
	mf_sha256_hex(sha, map.data, map.len);
	mf_rd_init(&r, map.data, map.len);
	if (map.len >= 3 && !memcmp(map.data, "\xEF\xBB\xBF", 3))
		mf_rd_seek(&r, 3);
	mf_csv_rec_init(&rec, DIR_RECORD_MAX, DIR_FIELDS_MAX);
	stats->files++;
	stats->bytes += (int64_t)map.len;

	if ((rc = mf_store_begin(st, diag)) < 0)
		goto out;
	if ((rc = mf_store_snapshot_drop(st, diag)) < 0)
		goto fail;
	memset(&src, 0, sizeof(src));
	src.format = "directory";
	src.path = path;
	src.codepage = "UTF-8";
	if ((rc = mf_store_source(st, &d.source_id, &src, diag)) < 0)
		goto fail;
	mf_store_set_context(st, mf_store_run_id(st), d.source_id);
	if ((rc = mf_store_file_begin(st, &file_id, &fs, d.source_id, "directory", path,
				      map.len, sha, "UTF-8", 0, diag)) < 0)
		goto fail;

	rc = mf_csv_next(&r, &rec, path, diag);
	if (rc == MF_DONE) {
		rc = mf_diag_set(diag, MF_EFORMAT, path, 0, "empty file: a header row is needed");
		goto fail;
	}
	if (rc < 0 || (rc = read_header(&d, &rec, diag)) < 0)
		goto fail;
	for (;;) {
		struct mf_diag rd;
		char *raw;
		mf_diag_clear(&rd);
		rc = mf_csv_next(&r, &rec, path, &rd);
		if (rc == MF_DONE)
			break;
		if (rc < 0) {
			d.damaged++;
			mf_store_problemf(st, MF_ERROR, "directory.bad-record", path, (int64_t)rd.offset,
					  0, 0, "%s; the record is skipped", rd.msg);
			continue;
		}
		if (rec.nfields != d.ncols) {
			d.damaged++;
			mf_store_problemf(st, MF_ERROR, "directory.bad-record", path, (int64_t)rec.offset,
					  0, 0, "record %llu has %zu fields, the header %zu; the record is skipped",
					  (unsigned long long)rec.number, rec.nfields, d.ncols);
			continue;
		}
		if (rec_has_nul(&rec)) {
			/* its names would be cut at the NUL ("ev\0il" read as "ev") */
			d.damaged++;
			mf_store_problemf(st, MF_ERROR, "directory.bad-record", path, (int64_t)rec.offset,
					  0, 0, "record %llu holds a NUL byte; the record is skipped",
					  (unsigned long long)rec.number);
			continue;
		}
		raw = record_text(&map, rec.offset, mf_rd_offset(&r));
		rc = store_record(&d, &rec, raw, diag);
		free(raw);
		if (rc < 0)
			goto fail;
	}
	if ((rc = mf_store_file_end(st, file_id, "done", 0, d.damaged, diag)) < 0)
		goto fail;
	if ((rc = mf_store_commit(st, diag)) < 0)
		goto out;
	stats->dir_entries += d.objects;
	stats->messages_skipped += d.damaged;
	if (opts->strict && d.damaged)
		rc = mf_diag_set(diag, MF_EFORMAT, path, MF_NO_OFFSET,
				 "%lld damaged records were skipped", (long long)d.damaged);
	goto out;
fail:
	mf_store_rollback(st);
out:
	mf_csv_rec_release(&rec);
	mf_charset_free(&d.cs);
	mf_map_close(&map);
	return rc;
}

static int dir_probe(const char *path)
{
	struct mf_map map;
	struct mf_rd r;
	struct mf_csv_rec rec;
	struct mf_diag d;
	size_t len;
	int score = 0, have[C_N] = { 0 };
	size_t pl = strlen(path);

	if (pl < 4 || !mf_strcaseeq(path + pl - 4, ".csv"))
		return 0;
	if (mf_map_open(&map, path, &d) < 0)
		return 0;
	len = map.len < 65536 ? map.len : 65536;
	mf_rd_init(&r, map.data, len);
	if (len >= 3 && !memcmp(map.data, "\xEF\xBB\xBF", 3))
		mf_rd_seek(&r, 3);
	mf_csv_rec_init(&rec, 65536, DIR_FIELDS_MAX);
	if (mf_csv_next(&r, &rec, path, &d) == MF_OK) {
		for (size_t i = 0; i < rec.nfields; i++) {
			int c = column_of(mf_csv_field(&rec, i));
			if (c >= 0)
				have[c] = 1;
		}
		if (have[C_CLASS] && have[C_ALIAS] && have[C_PROXIES])
			score = 90;
	}
	mf_csv_rec_release(&rec);
	mf_map_close(&map);
	return score;
}

const struct mf_importer mf_importer_directory = {
	.name = "directory",
	.summary = "target directory snapshot: CSV of existing recipients",
	.caps = MF_IMP_TARGET_DIRECTORY,
	.probe = dir_probe,
	.import = dir_import,
};
