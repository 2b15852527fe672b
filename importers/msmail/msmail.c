/* SPDX-License-Identifier: MIT */
/*
 * msmail.c: the MS Mail importer: an export bundle (MSMX v1, see
 * docs/formats/msmail-export-bundle.md) into the staging store.
 *
 * Order of work:
 *   1. MSMX.TXT: the source row (network, postoffice, code pages, zone).
 *   2. The directory, in one transaction: users.csv (the file map),
 *      directory/pol.txt (local users become mailboxes, users elsewhere
 *      custom recipients), directory/gw-*.txt (custom recipients),
 *      directory/groups.txt (lists and their members).  users.csv rows that
 *      pol.txt does not list become mailboxes too (deleted ones only when
 *      they still hold mail or a calendar).
 *   3. Mail, one mailbox at a time, one MMFF file (= folder) at a time, one
 *      message at a time, MF_IMPORT_BATCH messages per transaction.
 *   4. Calendars (.sc2 / .sch) and their contacts, one transaction per file.
 *   5. maildata/ cross-checks, reported as warnings.
 *
 * The parsers (msmail_mmff.c, msmail_dir.c, schedplus.c) are pure; this
 * file maps the files, converts text to UTF-8, resolves addresses against
 * the directory, and turns every parser report into a problem row with the
 * file's path (relative to the bundle) and the byte offset.
 */
#include "importers/msmail/msmail_imp.h"

/* ---- single-byte code pages through a table ---- */

static void sbcs_build(struct sbcs *t, struct mf_charset *cs, const char *cp)
{
	static const char *const dbcs[] = { "CP932", "CP936", "CP949", "CP950", "UTF-8", NULL };
	struct mf_buf b;
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; dbcs[i]; i++)
		if (!strcmp(cp, dbcs[i]))
			return;
	mf_buf_init(&b, 64);
	for (int c = 0; c < 256; c++) {
		unsigned char in = (unsigned char)c;
		size_t r = 0;
		mf_buf_reset(&b);
		if (mf_charset_to_utf8(cs, &in, 1, &b, &r) < 0 || b.len < 1 || b.len > 4) {
			mf_buf_release(&b);
			return;
		}
		memcpy(t->seq[c], b.data, b.len);
		t->len[c] = (unsigned char)b.len;
		t->bad[c] = r > 0;
	}
	mf_buf_release(&b);
	t->ok = 1;
}

/* Append the UTF-8 of p[0..n) to out (the caller checked t->ok). */
static int sbcs_conv(const struct sbcs *t, const unsigned char *p, size_t n, struct mf_buf *out,
		     size_t *repl)
{
	char *o;
	size_t need = n;
	int rc;
	/* the exact output size: one buffer of the text's size, not four */
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 0x80)
			need += t->len[p[i]] - 1u;
	if ((rc = mf_buf_grow(out, need)) < 0)
		return rc;
	o = out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c < 0x80) {
			*o++ = (char)c;
			continue;
		}
		memcpy(o, t->seq[c], t->len[c]);
		o += t->len[c];
		if (t->bad[c] && repl)
			(*repl)++;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return MF_OK;
}

/* ---- the importer's state ---- */

void msi_set_file(struct msm *s, const char *rel)
{
	snprintf(s->file, sizeof(s->file), "%s", rel ? rel : "");
}

void msi_on_problem(void *ctx, enum mf_severity sev, const char *code, uint64_t off,
		    const char *text)
{
	struct msm *s = ctx;
	if (s->collecting) {
		mf_pending_add(&s->pend, sev, code, off, text);
		return;
	}
	if (mf_store_problemf(s->st, sev, code, s->file[0] ? s->file : NULL,
			      off == MF_NO_OFFSET ? -1 : (int64_t)off,
			      s->mailbox_id, 0, "%s", text) < 0)
		s->store_failed = 1;
}

/* The first warning or error with an offset (else the first error), for a
 * fatal message that says where the input went wrong. */
struct first_problem {
	uint64_t offset;
	char text[200];
};

static void remember_problem(void *ctx, enum mf_severity sev, const char *code, uint64_t off,
			     const char *text)
{
	struct first_problem *fp = ctx;
	(void)code;
	if (sev == MF_INFO || (fp->offset != MF_NO_OFFSET))
		return;
	if (off != MF_NO_OFFSET || !fp->text[0]) {
		fp->offset = off;
		snprintf(fp->text, sizeof(fp->text), "%s", text);
	}
}


void msi_problem(struct msm *s, enum mf_severity sev, const char *code, uint64_t off,
		 const char *fmt, ...)
{
	char text[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msi_on_problem(s, sev, code, off, text);
}

/* Write the held problems of one message (message_id 0 and an item for a
 * skipped one). */
int msi_flush_pending(struct msm *s, int64_t message_id, uint64_t msg_off)
{
	char item[48];
	struct mf_problem p;
	snprintf(item, sizeof(item), "message at offset %llu", (unsigned long long)msg_off);
	memset(&p, 0, sizeof(p));
	p.file = s->file[0] ? s->file : NULL;
	p.mailbox_id = s->mailbox_id;
	/* (a report about bytes before the message is not about it) */
	p.message_id = message_id;
	p.item = message_id ? NULL : item;
	return mf_pending_flush(s->st, &s->pend, &p, msg_off, s->diag) < 0 ? MF_ESTORE : MF_OK;
}

/* Code page bytes to UTF-8 into out (reset first). */
int msi_text_into(struct msm *s, struct mf_charset *cs, const void *p, size_t n,
		  struct mf_buf *out, size_t *repl)
{
	size_t r = 0;
	mf_buf_reset(out);
	if (cs == s->cs && s->table.ok) {
		if (sbcs_conv(&s->table, p, n, out, &r) < 0)
			return MF_ETOOBIG;
	} else if (mf_charset_to_utf8(cs, p, n, out, &r) < 0) {
		return MF_ETOOBIG;
	}
	if (repl)
		*repl += r;
	return MF_OK;
}

/* Code page bytes to UTF-8 in the message arena. */
char *msi_text_utf8(struct msm *s, struct mf_charset *cs, const void *p, size_t n,
		    size_t *repl)
{
	if (msi_text_into(s, cs, p, n, &s->conv, repl) < 0)
		return NULL;
	return mf_arena_strndup(&s->arena, s->conv.data, s->conv.len);
}

/* A name or header value: NUL bytes become spaces (as in the cc:Mail
 * importer), so the C string holds the whole value, not what came before
 * the first NUL (the raw header keeps the bytes as written). */
char *msi_span_utf8(struct msm *s, struct mf_span v)
{
	if (msi_text_into(s, s->cs, v.p, v.len, &s->conv, NULL) < 0)
		return NULL;
	for (size_t i = 0; i < s->conv.len; i++)
		if (s->conv.data[i] == '\0')
			s->conv.data[i] = ' ';
	return mf_arena_strndup(&s->arena, s->conv.data, s->conv.len);
}

/* UTF-8 input (users.csv): sanitised copy (owned). */
char *msi_utf8_dup(struct msm *s, const char *in, uint64_t off)
{
	struct mf_buf b;
	size_t r = 0;
	char *out;
	struct mf_span t = mf_span_trim((struct mf_span){ (const unsigned char *)in, strlen(in) });
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	mf_utf8_sanitize(t.p, t.len, &b, &r);
	if (r)
		msi_problem(s, MF_WARNING, "msmail.users-value", off,
			    "%zu byte(s) of ill-formed UTF-8 replaced by U+FFFD", r);
	/* a copy of its own size: the buffer's first growth is 64 bytes, held
	 * five times per user for the whole import */
	out = mf_xstrndup(b.alloc ? b.data : "", b.len);
	mf_buf_release(&b);
	return out;
}

/* The relative path of abs inside the bundle. */
const char *msi_rel_of(const struct msm *s, const char *abs)
{
	size_t n = strlen(s->root);
	if (!strncmp(abs, s->root, n) && abs[n] == '/')
		return abs + n + 1;
	return abs;
}

/* Upper-case ASCII copy into the directory arena: the lookup key. */
char *msi_make_key(struct mf_arena *a, const char *prefix, const char *v, size_t n)
{
	size_t pl = strlen(prefix);
	char *k = mf_arena_alloc(a, pl + n + 1);
	memcpy(k, prefix, pl);
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c == '\\')
			c = '/';
		k[pl + i] = c;
	}
	k[pl + n] = '\0';
	return k;
}

/* Split "[TYPE:]address" into canonical type (out[24], "" when untyped) and
 * address.  An untyped NET/PO/MBX is native MS Mail. */
void msi_addr_split(char type[24], struct mf_span *addr, const char *v, size_t n)
{
	struct mf_typedaddr ta;
	type[0] = '\0';
	addr->p = (const unsigned char *)v;
	addr->len = 0;
	if (mf_typedaddr_parse(&ta, v, n) != MF_OK)
		return;
	*addr = ta.address;
	if (ta.type.len) {
		mf_addrtype_canonical(type, (const char *)ta.type.p, ta.type.len);
	} else {
		struct mf_msaddr ma;
		if (mf_msaddr_parse(&ma, (const char *)ta.address.p, ta.address.len) == MF_OK)
			strcpy(type, "MS");
	}
}

/* ---- files ---- */

/* Map a file and hash it, giving the pages back as it goes. */
int msi_map_file(struct msm *s, struct mapped *f, const char *abs)
{
	struct mf_sha256 h;
	int rc = mf_map_open(&f->map, abs, s->diag);
	if (rc < 0)
		return rc;
	mf_sha256_init(&h);
	for (size_t off = 0; off < f->map.len; off += HASH_CHUNK) {
		size_t n = f->map.len - off < HASH_CHUNK ? f->map.len - off : HASH_CHUNK;
		mf_sha256_update(&h, f->map.data + off, n);
		mf_map_release_before(&f->map, off + n);
	}
	mf_sha256_final(&h, f->sha);
	f->rel = msi_rel_of(s, f->map.path);
	s->stats->files++;
	s->stats->bytes += (int64_t)f->map.len;
	return MF_OK;
}

/* Register a file; returns MF_OK with *state, or <0.  A changed file is
 * reported (it is not read again: the store holds the older one). */
int msi_begin_file(struct msm *s, struct mapped *f, const char *role, const char *cp,
		   int64_t mailbox_id, int64_t *file_id, enum mf_file_state *state)
{
	int rc = mf_store_file_begin(s->st, file_id, state, s->source_id, role, f->rel,
				     f->map.len, f->sha, cp, mailbox_id, s->diag);
	if (rc < 0)
		return rc;
	if (*state == MF_FILE_DONE)
		s->stats->files_skipped++;
	if (*state == MF_FILE_CHANGED)
		msi_problem(s, MF_ERROR, "msmail.file-changed", MF_NO_OFFSET,
			    "%s differs from the file imported before under this name into this "
			    "staging database; it was not read (import a new export into a new "
			    "database)", f->rel);
	return MF_OK;
}

/* Resolve a path inside the bundle; NULL (reported unless quiet) when it
 * is missing or leaves the bundle. */
char *msi_resolve_at(struct msm *s, const char *rel, int report, enum mf_severity sev,
		     const char *what, uint64_t off)
{
	char *abs = NULL;
	struct mf_diag d;
	mf_diag_clear(&d);
	if (mf_path_resolve(&abs, s->root, rel, &d) == MF_OK)
		return abs;
	if (report)
		msi_problem(s, sev, d.code == MF_ENOTFOUND ? "msmail.file-missing" : "msmail.bad-path",
			    off, "%s '%s': %s", what, rel, d.msg);
	return NULL;
}

char *msi_resolve(struct msm *s, const char *rel, int report, enum mf_severity sev,
		  const char *what)
{
	return msi_resolve_at(s, rel, report, sev, what, MF_NO_OFFSET);
}

/* Does path (an entry found by listing a folder of the bundle) stay inside
 * the bundle once symbolic links are followed? */
int msi_inside_root(const struct msm *s, const char *path)
{
	char *real = realpath(path, NULL);
	size_t n = strlen(s->root);
	int ok = real && !strncmp(real, s->root, n) && (real[n] == '/' || real[n] == '\0');
	free(real);
	return ok;
}

/* ---- the importer ---- */

static int msmail_probe(const char *path)
{
	struct stat sb;
	char *abs = NULL, buf[4096];
	FILE *fp;
	size_t n;
	int score = 0;

	if (!path || stat(path, &sb) != 0)
		return 0;
	if (S_ISREG(sb.st_mode)) {
		const char *b = strrchr(path, '/');
		return mf_strcaseeq(b ? b + 1 : path, "MSMX.TXT") ? 90 : 0;
	}
	if (!S_ISDIR(sb.st_mode) || mf_path_resolve(&abs, path, "MSMX.TXT", NULL) != MF_OK)
		return 0;
	fp = fopen(abs, "rb");
	free(abs);
	if (!fp)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	score = strstr(buf, "msmx-version") ? 100 : 60;
	return score;
}

static int msmail_import(struct mf_store *st, const char *path,
			 const struct mf_import_opts *opts, struct mf_import_stats *stats,
			 struct mf_diag *diag)
{
	struct msm s;
	struct mf_source_info src;
	struct mapped man;
	struct mf_store_bulk bulk;
	char *abs = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&man, 0, sizeof(man));
	s.st = st;
	s.opts = opts;
	s.stats = stats;
	s.diag = diag;
	s.run_id = mf_store_run_id(st);
	man.map.fd = -1;
	mf_buf_init(&s.conv, MF_BUF_TEXT_MAX);
	mf_buf_init(&s.body, MF_BUF_TEXT_MAX);

	/* fewer, larger WAL checkpoints (each one syncs the database file)
	 * and an 8 MiB page cache while importing: the import's memory is
	 * bounded by it (the directory lives in the store, core/store_msdir.h),
	 * and 16 MiB held 10,000 users' indexes but not 100,000 (issue 15) */
	mf_store_bulk_begin(st, &bulk, 8192, 65536);
	s.root = realpath(path, NULL);
	if (!s.root) {
		rc = mf_diag_errno(diag, MF_ENOTFOUND, path, "cannot open the bundle");
		goto out;
	}
	if (mf_path_resolve(&abs, s.root, "MSMX.TXT", NULL) != MF_OK) {
		rc = mf_diag_set(diag, MF_ENOTFOUND, path, MF_NO_OFFSET,
				 "no MSMX.TXT: not an MS Mail export bundle");
		goto out;
	}
	if ((rc = msi_map_file(&s, &man, abs)) < 0)
		goto out;
	/* read the manifest once quietly to know where problems go; when it
	 * cannot be used, say why, with the offset of the line at fault */
	{
		struct first_problem fp = { MF_NO_OFFSET, "" };
		if (mf_msmx_parse(&s.mx, man.map.data, man.map.len, remember_problem, &fp) != MF_OK) {
			rc = mf_diag_set(diag, MF_EFORMAT, "MSMX.TXT", fp.offset,
					 "MSMX.TXT is not a version 1 manifest naming network and "
					 "postoffice%s%s", fp.text[0] ? ": " : "", fp.text);
			goto out;
		}
	}
	/* code pages and zone, options first */
	s.cp = mf_codepage_canonical(opts->codepage ? opts->codepage : s.mx.source_codepage);
	s.calcp = mf_codepage_canonical(s.mx.windows_codepage);
	if (!s.cp || mf_charset_open(&s.cs, s.cp, diag) < 0) {
		rc = mf_diag_set(diag, MF_ECHARSET, "MSMX.TXT", MF_NO_OFFSET,
				 "unknown source code page '%s'", opts->codepage ? opts->codepage
				 : s.mx.source_codepage);
		goto out;
	}
	sbcs_build(&s.table, s.cs, s.cp);
	if (!s.calcp || mf_charset_open(&s.calcs, s.calcp, diag) < 0) {
		rc = mf_diag_set(diag, MF_ECHARSET, "MSMX.TXT", MF_NO_OFFSET,
				 "unknown windows code page '%s'", s.mx.windows_codepage);
		goto out;
	}
	s.tz = opts->timezone ? opts->timezone : s.mx.timezone;
	if (!mf_tz_valid(s.tz)) {
		rc = mf_diag_set(diag, MF_EFORMAT, "MSMX.TXT", MF_NO_OFFSET,
				 "unknown time zone '%s'", s.tz);
		goto out;
	}
	{
		/* DTSTAMP of calendar items: the export time when known */
		struct mf_civil c;
		unsigned fl;
		char t[MF_MSMX_VALUE_MAX];
		snprintf(t, sizeof(t), "%s", s.mx.exported_at);
		for (char *q = t; *q; q++)
			if (*q == 'T')
				*q = ' ';
		if (!t[0] || mf_date_parse(&c, &fl, t, strlen(t), MF_ORDER_YMD) != MF_OK ||
		    mf_tz_local_to_utc(&s.dtstamp, s.tz, &c) != MF_OK)
			s.dtstamp = mf_now();
	}
	memset(&src, 0, sizeof(src));
	src.format = "msmail";
	src.path = s.root;
	src.network = s.mx.network;
	src.postoffice = s.mx.postoffice;
	src.codepage = s.cp;
	src.calendar_codepage = s.calcp;
	src.timezone = s.tz;
	src.db_version = s.mx.mail_version[0] ? s.mx.mail_version : NULL;
	src.exported_at = s.mx.exported_at[0] ? s.mx.exported_at : NULL;
	src.manifest = man.map.data;
	src.manifest_len = man.map.len;
	if ((rc = mf_store_source(st, &s.source_id, &src, diag)) < 0)
		goto out;
	mf_store_set_context(st, s.run_id, s.source_id);

	/* the directory, in one transaction; what the importer knows of it
	 * is kept in the store's temporary tables (core/store_msdir.h) */
	if ((rc = mf_store_msdir_begin(st, diag)) < 0 || (rc = mf_store_begin(st, diag)) < 0)
		goto out;
	{
		int64_t fid;
		enum mf_file_state state;
		if ((rc = msi_begin_file(&s, &man, "manifest", "ASCII", 0, &fid, &state)) < 0)
			goto fail;
		if (state == MF_FILE_NEW || state == MF_FILE_RESUME) {
			msi_set_file(&s, man.rel);
			mf_msmx_parse(&s.mx, man.map.data, man.map.len, msi_on_problem, &s);
			if ((rc = mf_store_file_end(st, fid, "done", 0, 0, diag)) < 0)
				goto fail;
		}
	}
	if ((rc = msi_store_po(&s, s.mx.postoffice, s.mx.network, "local", NULL)) < 0)
		goto fail;
	if ((rc = msi_read_directory(&s)) < 0)
		goto fail;
	if (s.store_failed) {
		rc = mf_store_fail(st, diag, "cannot store a problem");
		goto fail;
	}
	if ((rc = mf_store_commit(st, diag)) < 0)
		goto out;

	/* mail and calendars, one mailbox at a time */
	mf_progress_begin(&s.progress, "msmail", 0, 0, opts->quiet);
	{
		struct mf_store_msuser uu, *u = &uu;
		int64_t seq = 0;
		while ((rc = mf_store_msuser_next(st, u, seq, diag)) == 1) {
			int64_t msgs = 0, items = 0, inbox = u->inbox_messages;
			int folders = 0;
			seq = u->seq;
			if (!u->mailbox_id) {
				mf_store_msuser_release(u);
				continue;
			}
			s.mailbox_id = u->mailbox_id;
			if (u->in_csv && u->mail_dir && *u->mail_dir)
				rc = msi_read_mail(&s, u, &msgs, &folders);
			if (rc >= 0 && u->in_csv && u->calendar && *u->calendar)
				rc = msi_read_calendar(&s, u, &items);
			/* the maildata check reads the inbox's count back */
			if (rc >= 0 && u->inbox_messages != inbox)
				rc = mf_store_msuser_update(st, u, diag);
			if (rc >= 0 && s.store_failed)
				rc = mf_store_fail(st, diag, "cannot store a problem");
			if (rc >= 0 && !opts->quiet)
				mf_progress_note(&s.progress, "%s: %lld messages in %d folders, %lld calendar "
						 "items%s", u->mailbox, (long long)msgs, folders, (long long)items,
						 !u->in_csv ? " (no users.csv row: no mail)"
						 : !u->mail_dir || !*u->mail_dir ? " (no mail exported)" : "");
			mf_store_msuser_release(u);
			if (rc < 0)
				goto out;
		}
		if (rc < 0)
			goto out;
	}
	mf_progress_end(&s.progress);
	s.mailbox_id = 0;
	msi_check_maildata(&s);
	if (s.store_failed) {
		rc = mf_store_fail(st, diag, "cannot store a problem");
		goto out;
	}
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(st);
out:
	mf_map_close(&man.map);
	free(abs);
	mf_store_msdir_drop(st);
	mf_pending_release(&s.pend);
	mf_arena_release(&s.arena);
	mf_buf_release(&s.conv);
	mf_buf_release(&s.body);
	mf_charset_free(&s.cs);
	mf_charset_free(&s.calcs);
	free(s.root);
	mf_store_bulk_end(st, &bulk);
	return rc;
}

/* Options (engine/options.h). */
static const struct mf_option msmail_options[] = {
	MF_IMPORT_OPTION_CODEPAGE,
	MF_IMPORT_OPTION_TIMEZONE,
	MF_IMPORT_OPTION_DATE_ORDER,
	{ .name = NULL }
};

const struct mf_importer mf_importer_msmail = {
	.name = "msmail",
	.summary = "MS Mail export bundle (MSMX v1): folder with MSMX.TXT",
	.caps = MF_IMP_SOURCE,
	.options = msmail_options,
	.probe = msmail_probe,
	.import = msmail_import,
};
