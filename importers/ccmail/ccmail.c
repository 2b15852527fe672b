/* SPDX-License-Identifier: MIT */
/*
 * ccmail.c: the cc:Mail importer.  Reads an export set (CCMX v1, see
 * docs/formats/ccmail-export-set.md) or one message export file into the
 * staging store.
 *
 * Order of work: manifest -> directory (users get their mailboxes) ->
 * USERS.CSV (mailboxes and bulletin boards) -> LISTS.TXT (members resolved
 * by looking names up in the staged directory, as every address later is)
 * -> private directories ->
 * every message file, one message parsed, staged and released at a time,
 * one transaction per MF_IMPORT_BATCH messages.
 *
 * Each file is registered by its sha256 (mf_store_file_begin): a file
 * already imported is skipped, an interrupted one resumes.  Everything
 * guessed, repaired or skipped becomes a problem row with the file and
 * byte offset (codes in docs/problems.md).
 */
#include "importers/ccmail/ccmail_imp.h"

/* ---- problems ---- */

/* Record the pending problems against file/mailbox/message. */
int cci_pend_flush(struct imp *im, const char *file, int64_t mailbox_id,
		   int64_t message_id, const char *item)
{
	struct mf_problem p;
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.mailbox_id = mailbox_id;
	p.message_id = message_id;
	p.item = item;
	return mf_pending_flush(im->st, &im->pend, &p, 0, im->diag);
}

int cci_problemf(struct imp *im, enum mf_severity sev, const char *code,
		 const char *file, int64_t offset, int64_t mailbox_id,
		 const char *fmt, ...)
{
	char text[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return mf_store_problemf(im->st, sev, code, file, offset, mailbox_id, 0, "%s", text);
}

/* ---- text helpers ---- */

static int is_ascii_clean(struct mf_span s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] >= 0x80 || s.p[i] == 0)
			return 0;
	return 1;
}

/* UTF-8 copy of s (source code page) in arena; NUL bytes become spaces. */
char *cci_to_utf8(struct imp *im, struct mf_span s, struct mf_arena *a)
{
	struct mf_buf b;
	char *out;

	if (is_ascii_clean(s))
		return mf_arena_strndup(a, (const char *)s.p, s.len);
	mf_buf_init(&b, MF_BUF_LINE_MAX * 4);
	mf_charset_to_utf8(im->cs, s.p, s.len, &b, NULL);
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] == '\0')
			b.data[i] = ' ';
	out = mf_arena_strndup(a, b.data, b.len);
	mf_buf_release(&b);
	return out;
}

struct mf_span cci_cspan(const char *s)
{
	struct mf_span r = { (const unsigned char *)s, s ? strlen(s) : 0 };
	return r;
}

/* "Lindqvist, Anna" -> "Anna Lindqvist"; other names as they are. */
char *cci_display_of(const char *name, struct mf_arena *a)
{
	const char *g, *s;
	size_t gl, sl;
	if (!strchr(name, ','))
		return mf_arena_strdup(a, name);
	mf_name_split(name, &g, &gl, &s, &sl);
	if (!gl || !sl)
		return mf_arena_strdup(a, name);
	{
		char *out = mf_arena_alloc(a, gl + sl + 2);
		memcpy(out, g, gl);
		out[gl] = ' ';
		memcpy(out + gl + 1, s, sl);
		out[gl + sl + 1] = '\0';
		return out;
	}
}

void cci_split_names(const char *name, struct mf_arena *a, char **given, char **sur)
{
	const char *g, *s;
	size_t gl, sl;
	mf_name_split(name, &g, &gl, &s, &sl);
	*given = gl ? mf_arena_strndup(a, g, gl) : NULL;
	*sur = sl ? mf_arena_strndup(a, s, sl) : NULL;
}

char *cci_strf(struct mf_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *tmp, *out;
	va_start(ap, fmt);
	if (vasprintf(&tmp, fmt, ap) < 0)
		mf_oom();
	va_end(ap);
	out = mf_arena_strdup(a, tmp);
	free(tmp);
	return out;
}

/* ---- directory look-ups ---- */

/*
 * The directory is looked up in the store, one name at a time through the
 * name and address indexes (core/store_ccdir.c): nothing of it is held in
 * memory, so a directory of 100,000 users costs what one of 1,000 does
 * (issue 15; a copy of the whole directory in memory was about 53 MB at
 * 100,000 users).
 */

static int span_eq_str_ci(struct mf_span a, const char *b)
{
	return b && mf_addr_eq_ci(a, cci_cspan(b));
}

static void dent_copy(struct dent *d, const struct mf_store_dir_row *r, struct mf_arena *a)
{
	d->id = r->id;
	d->name = mf_arena_strdup(a, r->name);
	d->display = mf_arena_strdup(a, r->display_name ? r->display_name : r->name);
	d->atype = mf_arena_strdup(a, r->address_type);
	d->addr = mf_arena_strdup(a, r->address);
	d->po = mf_arena_strdup(a, r->postoffice);
	d->alias_of = r->alias_of;
}

struct dir_find {
	struct imp *im;
	struct mf_span name, po;
	struct mf_arena *a;
	struct dent any, best;
	int have_any, have_best;
};

/* rows of the name in staging order: the first at the wanted post office
 * is the answer, else the first of the name */
static int find_named(void *ctx, const struct mf_store_dir_row *r)
{
	struct dir_find *f = ctx;
	int po_ok;
	if (!span_eq_str_ci(f->name, r->name))
		return 0;
	po_ok = f->po.len ? span_eq_str_ci(f->po, r->postoffice)
			  : (!r->postoffice || mf_strcaseeq(r->postoffice, f->im->po));
	if (po_ok) {
		dent_copy(&f->best, r, f->a);
		f->have_best = 1;
		return 1;
	}
	if (!f->have_any) {
		dent_copy(&f->any, r, f->a);
		f->have_any = 1;
	}
	return 0;
}

static int find_smtp(void *ctx, const struct mf_store_dir_row *r)
{
	struct dir_find *f = ctx;
	if (!span_eq_str_ci(f->name, r->address))
		return 0;
	dent_copy(&f->best, r, f->a);
	f->have_best = 1;
	return 1;
}

static int find_id(void *ctx, const struct mf_store_dir_row *r)
{
	struct dir_find *f = ctx;
	dent_copy(&f->any, r, f->a);
	f->have_any = 1;
	return 1;
}

/*
 * Resolve a name (UTF-8) with an optional post office: the entry of that
 * name at that post office, else (no post office given) the local one,
 * else any entry of that name (names are unique across a cc:Mail
 * directory); an Internet address also matches an SMTP entry's address.
 * Aliases lead to the entry they name.  1 and *out (strings in a), 0 when
 * the directory has no such entry (or is not staged yet), < 0.
 */
int cci_dir_lookup(struct imp *im, struct dent *out, struct mf_span name, struct mf_span po,
		   struct mf_arena *a)
{
	struct dir_find f;
	char key[1024];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!im->dir_ready || name.len == 0 || name.len >= sizeof(key))
		return 0;
	memcpy(key, name.p, name.len);
	key[name.len] = '\0';
	memset(&f, 0, sizeof(f));
	f.im = im;
	f.name = name;
	f.po = po;
	f.a = a;
	if ((rc = mf_store_dir_each_named(im->st, im->source_id, key, find_named, &f, im->diag)) < 0)
		return rc;
	if (!f.have_best && f.have_any) {
		f.best = f.any;
		f.have_best = 1;
	}
	if (!f.have_best && memchr(name.p, '@', name.len) &&
	    (rc = mf_store_dir_each_smtp(im->st, im->source_id, key, find_smtp, &f, im->diag)) < 0)
		return rc;
	for (int hop = 0; f.have_best && f.best.alias_of && hop < 4; hop++) {
		f.have_any = 0;
		if ((rc = mf_store_dir_by_id(im->st, im->source_id, f.best.alias_of, find_id, &f,
					     im->diag)) < 0)
			return rc;
		if (!f.have_any)
			break;
		f.best = f.any;
	}
	if (!f.have_best)
		return 0;
	*out = f.best;
	return 1;
}

/*
 * The same answer in two steps, for a caller that resolves many names and
 * can visit them in the order of their entries (the list members): step
 * one reads the name index alone; when it holds exactly one entry of that
 * name (names are unique across a cc:Mail directory), step two, made in
 * the order of the entries' ids, reads that entry's row.  Whatever else
 * (no entry, several, another source's, an alias, a name the index folds
 * but the comparison does not) is answered by cci_dir_lookup.
 */
static int member_name(struct imp *im, struct mf_span raw, struct mf_span *name,
		       struct mf_arena *a)
{
	struct mf_ccaddr ca;
	char *u = cci_to_utf8(im, mf_span_trim(raw), a);
	if (mf_ccaddr_parse(&ca, u, strlen(u)) != MF_OK)
		return 0;
	*name = ca.name;
	return im->dir_ready && ca.name.len > 0 && ca.name.len < 1024;
}

int cci_dir_candidate(struct imp *im, struct mf_span raw, int64_t *id, struct mf_arena *a)
{
	struct mf_span name;
	char key[1024];
	int n, rc;

	*id = 0;
	if (!member_name(im, raw, &name, a))
		return 0;
	memcpy(key, name.p, name.len);
	key[name.len] = '\0';
	if ((rc = mf_store_dir_ids_named(im->st, key, id, &n, im->diag)) < 0)
		return rc;
	if (n != 1)
		*id = 0;
	return n == 1;
}

struct dir_confirm {
	struct mf_span name;
	int ok;
};

static int confirm_row(void *ctx, const struct mf_store_dir_row *r)
{
	struct dir_confirm *c = ctx;
	c->ok = !r->alias_of && span_eq_str_ci(c->name, r->name);
	return 1;
}

int cci_dir_confirm(struct imp *im, struct mf_span raw, int64_t id, struct mf_arena *a)
{
	struct dir_confirm c;
	int rc;

	memset(&c, 0, sizeof(c));
	if (!member_name(im, raw, &c.name, a))
		return 0;
	if ((rc = mf_store_dir_by_id(im->st, im->source_id, id, confirm_row, &c, im->diag)) < 0)
		return rc;
	return c.ok;
}

/* ---- addresses ---- */

/* Turn one cc:Mail address (source bytes) into staged fields. */
int cci_resolve_addr(struct imp *im, struct mf_span raw, struct addr_out *o,
		     struct mf_arena *a)
{
	struct mf_ccaddr ca;
	char *u = cci_to_utf8(im, mf_span_trim(raw), a);
	struct dent e;
	int rc;

	memset(o, 0, sizeof(*o));
	o->raw = u;
	if (mf_ccaddr_parse(&ca, u, strlen(u)) != MF_OK) {
		o->damaged = 1; /* the caller keeps the text as written */
		return MF_OK;
	}
	if ((rc = cci_dir_lookup(im, &e, ca.name, ca.po, a)) < 0)
		return rc;
	if (rc == 1) {
		o->entry_id = e.id;
		o->display = e.display;
		o->type = e.atype;
		o->address = e.addr;
		if (o->type || o->address)
			return MF_OK;
	}
	{
		char *name = mf_arena_strndup(a, (const char *)ca.name.p, ca.name.len);
		char *po = ca.po.len ? mf_arena_strndup(a, (const char *)ca.po.p, ca.po.len) : NULL;
		if (!o->display)
			o->display = ca.internet || ca.kind == MF_CCADDR_BBOARD ? name : cci_display_of(name, a);
		if (ca.internet) {
			o->type = "SMTP";
			o->address = name;
		} else {
			o->type = "CCMAIL";
			o->address = cci_strf(a, "%s at %s", name, po ? po : im->po);
		}
	}
	return MF_OK;
}

/* ---- files ---- */

/* Path of f relative to the set root (for source_files.path). */
const char *cci_rel_of(struct imp *im, const char *real)
{
	size_t n = strlen(im->root);
	if (!strncmp(real, im->root, n) && real[n] == '/')
		return real + n + 1;
	return real;
}

int cci_mark_used(struct imp *im, const char *real)
{
	return !mf_strmap_add(&im->used, real, 1);
}

/* sha256 of a mapped file, releasing pages behind the hash. */
static void hash_map(struct mf_map *map, char hex[MF_SHA256_HEX])
{
	struct mf_sha256 h;
	struct mf_rd r;
	mf_sha256_init(&h);
	mf_rd_init(&r, map->data, map->len);
	while (!mf_rd_eof(&r)) {
		struct mf_span s;
		size_t n = mf_rd_left(&r) < (8u << 20) ? mf_rd_left(&r) : (8u << 20);
		mf_rd_bytes(&r, n, &s);
		mf_sha256_update(&h, s.p, s.len);
		mf_map_release_before(map, mf_rd_offset(&r));
	}
	mf_sha256_final(&h, hex);
}

/* sha256 of map bytes [off, off + len), releasing pages behind the hash. */
void cci_hash_range(struct mf_map *map, uint64_t off, uint64_t len, char hex[MF_SHA256_HEX])
{
	struct mf_sha256 h;
	uint64_t done = 0;
	mf_sha256_init(&h);
	while (done < len) {
		size_t n = len - done < (8u << 20) ? (size_t)(len - done) : (8u << 20);
		mf_sha256_update(&h, map->data + off + done, n);
		done += n;
		mf_map_release_before(map, off + done);
	}
	mf_sha256_final(&h, hex);
}

/*
 * Open and register a file: *map_out mapped, *file_id_out and *state_out
 * from mf_store_file_begin.  Returns MF_OK, MF_SKIP when the file is done
 * or changed (handled here), or an error.
 */
int cci_open_file(struct imp *im, const char *real, const char *role, int64_t mailbox_id,
		  struct mf_map *map_out, int64_t *file_id_out,
		  enum mf_file_state *state_out)
{
	char sha[MF_SHA256_HEX];
	const char *rel = cci_rel_of(im, real);
	int rc;

	rc = mf_map_open(map_out, real, im->diag);
	if (rc < 0 && (!strcmp(role, "mail") || !strcmp(role, "bboard") || !strcmp(role, "pab"))) {
		/* one mailbox's file (a folder, a FIFO, unreadable): that
		 * mailbox loses its mail, recorded; the rest of the set goes on */
		char why[sizeof(im->diag->msg)];
		snprintf(why, sizeof(why), "%s", im->diag->msg);
		mf_diag_clear(im->diag);
		*state_out = MF_FILE_CHANGED;
		rc = cci_problemf(im, MF_ERROR, "ccmail.file-unreadable", rel, -1, mailbox_id,
				  "%s file cannot be read (%s): not imported", role, why);
		return rc < 0 ? rc : MF_SKIP;
	}
	if (rc < 0)
		return rc;
	hash_map(map_out, sha);
	rc = mf_store_file_begin(im->st, file_id_out, state_out, im->source_id, role, rel,
				 map_out->len, sha, im->cp, mailbox_id, im->diag);
	if (rc < 0) {
		mf_map_close(map_out);
		return rc;
	}
	if (*state_out == MF_FILE_DONE) {
		im->stats->files_skipped++;
		mf_map_close(map_out);
		return MF_SKIP;
	}
	if (*state_out == MF_FILE_CHANGED) {
		mf_map_close(map_out);
		rc = cci_problemf(im, MF_ERROR, "ccmail.file-changed", rel, 0, mailbox_id,
				  "file differs from the one imported earlier into this database "
				  "(sha256 changed): not imported again");
		return rc < 0 ? rc : MF_SKIP;
	}
	im->stats->files++;
	im->stats->bytes += (int64_t)map_out->len;
	return MF_OK;
}

/* ---- manifest and the whole set ---- */

static void imp_release(struct imp *im)
{
	mf_pending_release(&im->pend);
	mf_arena_release(&im->arena);
	for (size_t i = 0; i < im->nbodies; i++)
		mf_buf_release(&im->bodies[i]);
	free(im->bodies);
	mf_buf_release(&im->sample);
	mf_strmap_release(&im->used);
	mf_charset_free(&im->cs);
	free(im->root);
}

static int count_mailboxes(struct imp *im)
{
	return mf_store_mailbox_count(im->st, &im->stats->mailboxes, im->source_id, im->diag);
}

/* Apply the command line's overrides (errors are usage errors). */
static int apply_overrides(struct imp *im)
{
	const struct mf_import_opts *o = im->opts;
	if (o->codepage) {
		if (!mf_codepage_canonical(o->codepage))
			return mf_diag_set(im->diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					   "unknown code page '%s'", o->codepage);
		im->cp = mf_codepage_canonical(o->codepage);
	}
	if (o->timezone) {
		if (!mf_tz_valid(o->timezone))
			return mf_diag_set(im->diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					   "unknown time zone '%s'", o->timezone);
		snprintf(im->tz, sizeof(im->tz), "%s", o->timezone);
	}
	if (o->date_order && mf_date_order_parse(&im->order, o->date_order) < 0)
		return mf_diag_set(im->diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "unknown date order '%s' (mdy, dmy, ymd)", o->date_order);
	return MF_OK;
}

static const char *const order_names[] = { "mdy", "dmy", "ymd" };

static int open_source(struct imp *im, const char *srcpath, const struct ccx_manifest *mf,
		       const void *manifest, size_t manifest_len)
{
	struct mf_source_info si;
	int rc;
	memset(&si, 0, sizeof(si));
	si.format = "ccmail";
	si.path = srcpath;
	si.postoffice = im->po;
	si.codepage = im->cp;
	si.timezone = im->tz;
	si.date_order = order_names[im->order];
	si.db_version = mf && mf->have_db_version ? mf->db_version : NULL;
	si.exported_at = mf && mf->have_exported_at ? mf->exported_at : NULL;
	si.manifest = manifest;
	si.manifest_len = manifest_len;
	if ((rc = mf_store_source(im->st, &im->source_id, &si, im->diag)) < 0)
		return rc;
	mf_store_set_context(im->st, mf_store_run_id(im->st), im->source_id);
	return mf_charset_open(&im->cs, im->cp, im->diag);
}

static int import_set(struct imp *im, const char *path)
{
	char *manifest = NULL, *mreal = NULL, *real = NULL;
	size_t mlen = 0;
	struct ccx_manifest mf;
	struct jobs js;
	struct mf_diag d;
	int rc;

	memset(&js, 0, sizeof(js));
	mf_diag_clear(&d);
	if ((rc = mf_path_resolve(&mreal, im->root, "CCMX.TXT", &d)) < 0) {
		rc = mf_diag_set(im->diag, rc == MF_ENOTFOUND ? MF_ENOTFOUND : rc, path, MF_NO_OFFSET,
				 "not a cc:Mail export set: CCMX.TXT not found");
		goto out;
	}
	if ((rc = mf_read_file(&manifest, &mlen, mreal, 1 << 20, im->diag)) < 0)
		goto out;
	ccx_manifest_parse(&mf, manifest, mlen, mf_pending_fn, &im->pend);
	if (mf.have_version && strcmp(mf.version, "1") != 0) {
		rc = mf_diag_set(im->diag, MF_EFORMAT, mreal, MF_NO_OFFSET,
				 "ccmx-version %s is not supported (this build reads version 1)",
				 mf.version);
		goto out;
	}
	if (im->opts->postoffice && *im->opts->postoffice)
		snprintf(im->po, sizeof(im->po), "%s", im->opts->postoffice);
	else if (mf.have_postoffice && mf.postoffice[0])
		snprintf(im->po, sizeof(im->po), "%s", mf.postoffice);
	else {
		rc = mf_diag_set(im->diag, MF_EFORMAT, mreal, MF_NO_OFFSET,
				 "the manifest names no postoffice (and --postoffice was not given)");
		goto out;
	}
	im->cp = "CP850";
	if (mf.have_codepage) {
		if (mf_codepage_canonical(mf.codepage))
			im->cp = mf_codepage_canonical(mf.codepage);
		else
			mf_pending_add(&im->pend, MF_ERROR, "ccmail.manifest-bad-value", 0,
				       "unknown codepage in the manifest: 850 used");
	}
	snprintf(im->tz, sizeof(im->tz), "UTC");
	if (mf.have_timezone) {
		if (mf_tz_valid(mf.timezone))
			snprintf(im->tz, sizeof(im->tz), "%s", mf.timezone);
		else
			mf_pending_add(&im->pend, MF_ERROR, "ccmail.manifest-bad-value", 0,
				       "unknown timezone in the manifest: UTC used");
	}
	im->order = MF_ORDER_MDY;
	if (mf.have_date_order && mf_date_order_parse(&im->order, mf.date_order) < 0)
		mf_pending_add(&im->pend, MF_ERROR, "ccmail.manifest-bad-value", 0,
			       "unknown date-order in the manifest (mdy, dmy, ymd): mdy used");
	if (!mf.have_version)
		mf_pending_add(&im->pend, MF_ERROR, "ccmail.manifest-missing-key", 0,
			       "the manifest has no ccmx-version: version 1 assumed");
	if ((rc = apply_overrides(im)) < 0)
		goto out;
	if ((rc = open_source(im, im->root, &mf, manifest, mlen)) < 0)
		goto out;
	{
		struct mf_map mm;
		int64_t fid;
		enum mf_file_state fst;
		rc = cci_open_file(im, mreal, "manifest", 0, &mm, &fid, &fst);
		if (rc == MF_OK) {
			mf_map_close(&mm);
			if ((rc = cci_pend_flush(im, cci_rel_of(im, mreal), 0, 0, NULL)) < 0 ||
			    (rc = mf_store_file_end(im->st, fid, "done", 0, 0, im->diag)) < 0)
				goto out;
		} else if (rc < 0) {
			goto out;
		}
		mf_pending_clear(&im->pend);
		cci_mark_used(im, mreal);
	}

	/* the directory (required) */
	if ((rc = mf_path_resolve(&real, im->root, "DIRECTRY.TXT", &d)) < 0) {
		rc = mf_diag_set(im->diag, rc, path, MF_NO_OFFSET,
				 "DIRECTRY.TXT not found in the export set");
		goto out;
	}
	cci_mark_used(im, real);
	if ((rc = cci_stage_directory(im, real)) < 0)
		goto out;
	mf_free(&real);

	/* the users file (required) */
	if ((rc = mf_path_resolve(&real, im->root, "USERS.CSV", &d)) < 0) {
		rc = mf_diag_set(im->diag, rc, path, MF_NO_OFFSET,
				 "USERS.CSV not found in the export set");
		goto out;
	}
	cci_mark_used(im, real);
	if ((rc = cci_stage_users(im, real, &js)) < 0)
		goto out;
	mf_free(&real);

	/* public mailing lists (optional); from here on names resolve */
	im->dir_ready = 1;
	if (mf_path_resolve(&real, im->root, "LISTS.TXT", &d) == MF_OK) {
		cci_mark_used(im, real);
		if ((rc = cci_stage_lists(im, real)) < 0)
			goto out;
		mf_free(&real);
	}

	/* private directories, then mail */
	for (size_t i = 0; i < js.n; i++)
		if (js.j[i].pab && (rc = cci_stage_pab(im, js.j[i].pab, js.j[i].mailbox_id)) < 0)
			goto out;
	for (size_t i = 0; i < js.n; i++) {
		const struct job *j = &js.j[i];
		if (!j->file)
			continue;
		rc = cci_import_messages(im, j->file, j->board ? "bboard" : "mail", j->mailbox_id, j->name,
					 j->board ? j->name + 1 : NULL);
		if (rc < 0)
			goto out;
	}
	{
		static const char *const sub[] = { "MAIL", "BBOARDS", "PAB" };
		for (size_t i = 0; i < MF_ARRAY_LEN(sub); i++)
			if (mf_path_resolve(&real, im->root, sub[i], &d) == MF_OK) {
				cci_scan_unreferenced(im, real, 0);
				mf_free(&real);
			}
	}
	rc = count_mailboxes(im);
out:
	cci_jobs_release(&js);
	free(manifest);
	free(mreal);
	free(real);
	return rc;
}

static int import_single(struct imp *im, const char *path)
{
	struct mf_mailbox mb;
	struct mf_arena ra = MF_ARENA_INIT;
	char *real = realpath(path, NULL), *given, *sur, *slash;
	int64_t mbid;
	int rc;

	if (!im->opts->mailbox || !*im->opts->mailbox || !im->opts->postoffice ||
	    !*im->opts->postoffice) {
		free(real);
		return mf_diag_set(im->diag, MF_EUSAGE, path, MF_NO_OFFSET,
				   "a single message file needs --mailbox \"Last, First\" and --postoffice PO");
	}
	if (!real)
		return mf_diag_errno(im->diag, MF_EIO, path, "cannot open file");
	im->root = mf_xstrdup(real);
	slash = strrchr(im->root, '/');
	if (slash)
		*slash = '\0';
	snprintf(im->po, sizeof(im->po), "%s", im->opts->postoffice);
	im->cp = "CP850";
	snprintf(im->tz, sizeof(im->tz), "UTC");
	im->order = MF_ORDER_MDY;
	if ((rc = apply_overrides(im)) < 0 || (rc = open_source(im, real, NULL, NULL, 0)) < 0)
		goto out;
	cci_split_names(im->opts->mailbox, &ra, &given, &sur);
	memset(&mb, 0, sizeof(mb));
	mb.kind = "mailbox";
	mb.name = im->opts->mailbox;
	mb.display_name = cci_display_of(im->opts->mailbox, &ra);
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "CCMAIL";
	mb.source_address = cci_strf(&ra, "CCMAIL:%s at %s", im->opts->mailbox, im->po);
	mb.in_directory = 0;
	if ((rc = mf_store_mailbox(im->st, &mbid, NULL, im->source_id, &mb, im->diag)) < 0)
		goto out;
	if ((rc = cci_import_messages(im, real, "message-file", mbid, im->opts->mailbox, NULL)) < 0)
		goto out;
	rc = count_mailboxes(im);
out:
	mf_arena_release(&ra);
	free(real);
	return rc;
}

static int ccmail_import(struct mf_store *st, const char *path,
			 const struct mf_import_opts *opts,
			 struct mf_import_stats *stats, struct mf_diag *diag)
{
	struct imp im;
	struct stat sb;
	struct mf_store_bulk bulk;
	int rc;

	memset(&im, 0, sizeof(im));
	mf_strmap_init(&im.used, MF_STRMAP_COPY);
	im.st = st;
	im.opts = opts;
	im.stats = stats;
	im.diag = diag;
	mf_buf_init(&im.sample, 65536);
	/* fewer, larger WAL checkpoints and an 8 MiB page cache while
	 * importing (the store's default is 2 MiB, for the exports) */
	mf_store_bulk_begin(st, &bulk, 8192, 16384);
	if (stat(path, &sb) != 0) {
		rc = mf_diag_errno(diag, MF_EIO, path, "cannot open");
	} else if (S_ISDIR(sb.st_mode)) {
		im.root = realpath(path, NULL);
		rc = im.root ? import_set(&im, path) : mf_diag_errno(diag, MF_EIO, path, "cannot open");
	} else if (S_ISREG(sb.st_mode)) {
		rc = import_single(&im, path);
	} else {
		rc = mf_diag_set(diag, MF_EFORMAT, path, MF_NO_OFFSET,
				 "neither an export set folder nor a message file");
	}
	imp_release(&im);
	mf_store_bulk_end(st, &bulk);
	return rc < 0 ? rc : MF_OK;
}

/* ---- probe ---- */

static int ccmail_probe(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return 0;
	if (S_ISDIR(sb.st_mode)) {
		char *m = NULL, *data = NULL;
		size_t len = 0;
		int score = 0;
		if (mf_path_resolve(&m, path, "CCMX.TXT", NULL) == MF_OK &&
		    mf_read_file(&data, &len, m, 1 << 20, NULL) == MF_OK) {
			struct ccx_manifest mf;
			ccx_manifest_parse(&mf, data, len, NULL, NULL);
			score = mf.have_version ? 100 : 70;
		}
		free(m);
		free(data);
		return score;
	}
	if (S_ISREG(sb.st_mode)) {
		/* A message export file: recognised, but it needs --mailbox and
		 * --postoffice, so it is never chosen automatically. */
		FILE *f = fopen(path, "rb");
		char head[16] = "";
		size_t n = f ? fread(head, 1, sizeof(head) - 1, f) : 0;
		if (f)
			fclose(f);
		head[n] = '\0';
		return mf_strncaseeq(head, "Message:", 8) ? 40 : 0;
	}
	return 0;
}

/* Options (engine/options.h). */
static const struct mf_option ccmail_options[] = {
	{ .name = "mailbox", .kind = MF_OPT_STRING, .arg = "NAME", .flags = MF_OPTF_CLI_ONLY,
	  .help = "single-file import: the owner of FILE",
	  .field = MF_OPT_FIELD(struct mf_import_opts, mailbox) },
	{ .name = "postoffice", .kind = MF_OPT_STRING, .arg = "PO", .flags = MF_OPTF_CLI_ONLY,
	  .help = "single-file import: the owner's post office",
	  .field = MF_OPT_FIELD(struct mf_import_opts, postoffice) },
	MF_IMPORT_OPTION_CODEPAGE,
	MF_IMPORT_OPTION_TIMEZONE,
	MF_IMPORT_OPTION_DATE_ORDER,
	{ .name = "keep-system-folders", .kind = MF_OPT_FLAG,
	  .help = "cc:Mail: also import Clipboard, Stationery, Preferences, Rules",
	  .field = MF_OPT_FIELD(struct mf_import_opts, keep_system_folders) },
	{ .name = NULL }
};

const struct mf_importer mf_importer_ccmail = {
	.name = "ccmail",
	.summary = "cc:Mail export set (CCMX v1): folder with CCMX.TXT",
	.caps = MF_IMP_SOURCE,
	.options = ccmail_options,
	.probe = ccmail_probe,
	.import = ccmail_import,
};
