/* SPDX-License-Identifier: MIT */
/*
 * msmail.c: the MS Mail importer: an export bundle (MSMX v1, see
 * shared/formats/msmail-export-bundle.md) into the staging store.
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
#include "engine/importer.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/addr.h"
#include "core/alias.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/charset.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/progress.h"
#include "importers/msmail/msmail_dir.h"
#include "importers/msmail/msmail_mmff.h"
#include "importers/msmail/schedplus.h"

#define RELEASE_STEP (4u << 20)   /* give mapped pages back every 4 MiB */
#define MAX_BODY (64u << 20)      /* largest body text staged */
#define MAX_BLOB 999000000u       /* under SQLite's default SQLITE_MAX_LENGTH */
#define HASH_CHUNK (8u << 20)

/* ---- the directory as a lookup table ---- */

struct dent {
	char *key;                  /* "MS:ACMENET/HQPO/ERAMIREZ", "N:ELLEN RAMIREZ" */
	int64_t id;
	const char *display;
};

struct dmap {
	struct dent *slot;
	size_t cap, n;
	struct mf_arena arena;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static void dmap_put(struct dmap *m, const char *key, int64_t id, const char *display);

static void dmap_grow(struct dmap *m)
{
	struct dent *old = m->slot;
	size_t oldcap = m->cap;
	m->cap = m->cap ? m->cap * 2 : 256;
	m->slot = mf_xcalloc(m->cap, sizeof(*m->slot));
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			dmap_put(m, old[i].key, old[i].id, old[i].display);
	free(old);
}

/* First entry wins: a later one with the same key is ignored. */
static void dmap_put(struct dmap *m, const char *key, int64_t id, const char *display)
{
	size_t i;
	if ((m->n + 1) * 2 > m->cap)
		dmap_grow(m);
	i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->slot[i].key) {
		if (!strcmp(m->slot[i].key, key))
			return;
		i = (i + 1) & (m->cap - 1);
	}
	m->slot[i].key = (char *)key;
	m->slot[i].id = id;
	m->slot[i].display = display;
	m->n++;
}

static const struct dent *dmap_get(const struct dmap *m, const char *key)
{
	size_t i;
	if (!m->cap)
		return NULL;
	i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->slot[i].key) {
		if (!strcmp(m->slot[i].key, key))
			return &m->slot[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static void dmap_release(struct dmap *m)
{
	free(m->slot);
	mf_arena_release(&m->arena);
	memset(m, 0, sizeof(*m));
}

/* ---- single-byte code pages through a table ---- */

/* The DOS and Windows code pages of MS Mail bundles are mostly single-byte:
 * their 256 mappings are taken from iconv once and applied by table, which
 * converts text with accented letters several times faster than a call of
 * iconv per run of non-ASCII bytes.  Double-byte code pages keep iconv. */
struct sbcs {
	int ok;
	unsigned char len[256];
	unsigned char bad[256];     /* no mapping: U+FFFD, counted */
	char seq[256][4];
};

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

struct msm_user {
	char *mailbox;              /* as written (UTF-8) */
	char *full_name;            /* from users.csv (UTF-8) */
	char *dir_name;             /* friendly name from pol.txt (UTF-8) */
	char *mail_dir, *calendar, *hexid;
	int deleted, in_csv, in_pol;
	uint64_t csv_offset;
	int64_t mailbox_id;
	int64_t inbox_messages;     /* for the maildata check; -1: no inbox.mmff */
};

struct pending {
	enum mf_severity sev;
	const char *code;
	uint64_t off;
	char *text;
};

struct msm {
	struct mf_store *st;
	const struct mf_import_opts *opts;
	struct mf_import_stats *stats;
	struct mf_diag *diag;
	char *root;                 /* realpath of the bundle */
	struct mf_msmx mx;
	const char *tz;
	const char *cp, *calcp;     /* canonical code pages */
	struct mf_charset *cs, *calcs;
	struct sbcs table;          /* for cs */
	int64_t source_id, run_id;
	int64_t dtstamp;
	struct msm_user *users;
	size_t n_users;
	struct dmap dir;
	/* problem routing */
	char file[1024];            /* relative path of the file being read */
	int64_t mailbox_id;
	int collecting;             /* hold problems until the message row exists */
	struct pending *pend;
	size_t n_pend, cap_pend;
	int store_failed;
	struct mf_arena arena;      /* per message */
	struct mf_buf conv;
	struct mf_buf body;         /* the current message's body text */
	struct mf_progress progress;
	/* local -> UTC offsets by hour (exact: an hour is cached only when
	 * its first and last second have the same offset) */
	struct { int64_t key, delta; int valid; } tzc[8191];
};

static void set_file(struct msm *s, const char *rel)
{
	snprintf(s->file, sizeof(s->file), "%s", rel ? rel : "");
}

static void clear_pending(struct msm *s)
{
	for (size_t i = 0; i < s->n_pend; i++)
		free(s->pend[i].text);
	s->n_pend = 0;
}

static void on_problem(void *ctx, enum mf_severity sev, const char *code, uint64_t off,
		       const char *text)
{
	struct msm *s = ctx;
	if (s->collecting) {
		if (s->n_pend == s->cap_pend) {
			s->cap_pend = s->cap_pend ? s->cap_pend * 2 : 16;
			s->pend = mf_xreallocarray(s->pend, s->cap_pend, sizeof(*s->pend));
		}
		s->pend[s->n_pend].sev = sev;
		s->pend[s->n_pend].code = code;
		s->pend[s->n_pend].off = off;
		s->pend[s->n_pend].text = mf_xstrdup(text);
		s->n_pend++;
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

static void problem(struct msm *s, enum mf_severity sev, const char *code, uint64_t off,
		    const char *fmt, ...) MF_ATTR_PRINTF(5, 6);

static void problem(struct msm *s, enum mf_severity sev, const char *code, uint64_t off,
		    const char *fmt, ...)
{
	char text[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	on_problem(s, sev, code, off, text);
}

/* Write the held problems of one message (message_id 0 and an item for a
 * skipped one). */
static int flush_pending(struct msm *s, int64_t message_id, uint64_t msg_off)
{
	char item[48];
	snprintf(item, sizeof(item), "message at offset %llu", (unsigned long long)msg_off);
	for (size_t i = 0; i < s->n_pend; i++) {
		struct mf_problem p;
		memset(&p, 0, sizeof(p));
		p.severity = s->pend[i].sev;
		p.code = s->pend[i].code;
		p.file = s->file[0] ? s->file : NULL;
		p.offset = s->pend[i].off == MF_NO_OFFSET ? -1 : (int64_t)s->pend[i].off;
		p.mailbox_id = s->mailbox_id;
		/* a report about bytes before the message is not about it */
		p.message_id = s->pend[i].off >= msg_off ? message_id : 0;
		p.item = message_id || s->pend[i].off < msg_off ? NULL : item;
		p.text = s->pend[i].text;
		if (mf_store_problem(s->st, &p, s->diag) < 0) {
			clear_pending(s);
			return MF_ESTORE;
		}
	}
	clear_pending(s);
	return MF_OK;
}

/* Code page bytes to UTF-8 into out (reset first). */
static int text_into(struct msm *s, struct mf_charset *cs, const void *p, size_t n,
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
static char *text_utf8(struct msm *s, struct mf_charset *cs, const void *p, size_t n,
		       size_t *repl)
{
	if (text_into(s, cs, p, n, &s->conv, repl) < 0)
		return NULL;
	return mf_arena_strndup(&s->arena, s->conv.data, s->conv.len);
}

/* A name or header value: NUL bytes become spaces (as in the cc:Mail
 * importer), so the C string holds the whole value, not what came before
 * the first NUL (the raw header keeps the bytes as written). */
static char *span_utf8(struct msm *s, struct mf_span v)
{
	if (text_into(s, s->cs, v.p, v.len, &s->conv, NULL) < 0)
		return NULL;
	for (size_t i = 0; i < s->conv.len; i++)
		if (s->conv.data[i] == '\0')
			s->conv.data[i] = ' ';
	return mf_arena_strndup(&s->arena, s->conv.data, s->conv.len);
}

/* UTF-8 input (users.csv): sanitised copy (owned). */
static char *utf8_dup(struct msm *s, const char *in, uint64_t off)
{
	struct mf_buf b;
	size_t r = 0;
	struct mf_span t = mf_span_trim((struct mf_span){ (const unsigned char *)in, strlen(in) });
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	mf_utf8_sanitize(t.p, t.len, &b, &r);
	if (r)
		problem(s, MF_WARNING, "msmail.users-value", off,
			"%zu byte(s) of ill-formed UTF-8 replaced by U+FFFD", r);
	return mf_buf_detach(&b, NULL);
}

/* The relative path of abs inside the bundle. */
static const char *rel_of(const struct msm *s, const char *abs)
{
	size_t n = strlen(s->root);
	if (!strncmp(abs, s->root, n) && abs[n] == '/')
		return abs + n + 1;
	return abs;
}

/* Upper-case ASCII copy into the directory arena: the lookup key. */
static char *make_key(struct mf_arena *a, const char *prefix, const char *v, size_t n)
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
static void addr_split(char type[24], struct mf_span *addr, const char *v, size_t n)
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

struct mapped {
	struct mf_map map;
	char sha[MF_SHA256_HEX];
	const char *rel;            /* into map.path */
	uint64_t released;
};

/* Map a file and hash it, giving the pages back as it goes. */
static int map_file(struct msm *s, struct mapped *f, const char *abs)
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
	f->rel = rel_of(s, f->map.path);
	f->released = 0;
	s->stats->files++;
	s->stats->bytes += (int64_t)f->map.len;
	return MF_OK;
}

static void release_behind(struct mapped *f, uint64_t off)
{
	if (off >= f->released + RELEASE_STEP) {
		mf_map_release_before(&f->map, off);
		f->released = off;
	}
}

/* Register a file; returns MF_OK with *state, or <0.  A changed file is
 * reported (it is not read again: the store holds the older one). */
static int begin_file(struct msm *s, struct mapped *f, const char *role, const char *cp,
		      int64_t mailbox_id, int64_t *file_id, enum mf_file_state *state)
{
	int rc = mf_store_file_begin(s->st, file_id, state, s->source_id, role, f->rel,
				     f->map.len, f->sha, cp, mailbox_id, s->diag);
	if (rc < 0)
		return rc;
	if (*state == MF_FILE_DONE)
		s->stats->files_skipped++;
	if (*state == MF_FILE_CHANGED)
		problem(s, MF_ERROR, "msmail.file-changed", MF_NO_OFFSET,
			"%s differs from the file imported before under this name into this "
			"staging database; it was not read (import a new export into a new "
			"database)", f->rel);
	return MF_OK;
}

/* Resolve a path inside the bundle; NULL (reported unless quiet) when it
 * is missing or leaves the bundle. */
static char *resolve_at(struct msm *s, const char *rel, int report, enum mf_severity sev,
			const char *what, uint64_t off)
{
	char *abs = NULL;
	struct mf_diag d;
	mf_diag_clear(&d);
	if (mf_path_resolve(&abs, s->root, rel, &d) == MF_OK)
		return abs;
	if (report)
		problem(s, sev, d.code == MF_ENOTFOUND ? "msmail.file-missing" : "msmail.bad-path",
			off, "%s '%s': %s", what, rel, d.msg);
	return NULL;
}

static char *resolve(struct msm *s, const char *rel, int report, enum mf_severity sev,
		     const char *what)
{
	return resolve_at(s, rel, report, sev, what, MF_NO_OFFSET);
}

/* Does path (an entry found by listing a folder of the bundle) stay inside
 * the bundle once symbolic links are followed? */
static int inside_root(const struct msm *s, const char *path)
{
	char *real = realpath(path, NULL);
	size_t n = strlen(s->root);
	int ok = real && !strncmp(real, s->root, n) && (real[n] == '/' || real[n] == '\0');
	free(real);
	return ok;
}

/* ---- directory ---- */

static struct msm_user *find_user(struct msm *s, const char *mailbox, size_t n)
{
	for (size_t i = 0; i < s->n_users; i++)
		if (strlen(s->users[i].mailbox) == n && mf_strncaseeq(s->users[i].mailbox, mailbox, n))
			return &s->users[i];
	return NULL;
}

static struct msm_user *add_user(struct msm *s)
{
	struct msm_user *u;
	s->users = mf_xreallocarray(s->users, s->n_users + 1, sizeof(*s->users));
	u = &s->users[s->n_users++];
	memset(u, 0, sizeof(*u));
	u->inbox_messages = -1;
	return u;
}

static int read_users(struct msm *s)
{
	struct mapped f;
	char *abs = resolve(s, "users.csv", 0, MF_ERROR, "users file");
	struct mf_msusers u;
	struct mf_msuser row;
	int64_t file_id;
	enum mf_file_state state;
	int rc;

	if (!abs)
		return mf_diag_set(s->diag, MF_ENOTFOUND, "users.csv", MF_NO_OFFSET,
				   "the bundle has no users.csv (required)");
	rc = map_file(s, &f, abs);
	free(abs);
	if (rc < 0)
		return rc;
	if ((rc = begin_file(s, &f, "users", "UTF-8", 0, &file_id, &state)) < 0)
		goto out;
	if (state == MF_FILE_CHANGED) {
		rc = mf_diag_set(s->diag, MF_EFORMAT, f.rel, MF_NO_OFFSET,
				 "users.csv changed since it was imported into this staging database");
		goto out;
	}
	set_file(s, f.rel);
	mf_msusers_init(&u, f.map.data, f.map.len, on_problem, s);
	mf_map_watch(&f.map, &u.csv.rd);
	while ((rc = mf_msusers_next(&u, &row)) == MF_OK) {
		char *mbx = utf8_dup(s, row.mailbox, row.offset);
		struct msm_user *x = find_user(s, mbx, strlen(mbx));
		if (x) {
			problem(s, MF_WARNING, "msmail.users-duplicate", row.offset,
				"mailbox %s listed twice in users.csv; the first row is used", mbx);
			free(mbx);
			continue;
		}
		if (strlen(mbx) > 10)
			problem(s, MF_WARNING, "msmail.users-value", row.offset,
				"mailbox name %s is longer than MS Mail's 10 characters", mbx);
		x = add_user(s);
		x->mailbox = mbx;
		x->full_name = utf8_dup(s, row.full_name, row.offset);
		x->mail_dir = utf8_dup(s, row.mail_dir, row.offset);
		x->calendar = utf8_dup(s, row.calendar, row.offset);
		x->hexid = utf8_dup(s, row.hexid, row.offset);
		x->deleted = row.deleted;
		x->in_csv = 1;
		x->csv_offset = row.offset;
	}
	mf_msusers_release(&u);
	if (rc == MF_EFORMAT) {
		rc = mf_diag_set(s->diag, MF_EFORMAT, f.rel, 0,
				 "users.csv has no header row with a 'mailbox' column");
		goto out;
	}
	rc = state == MF_FILE_DONE ? MF_OK : mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag);
out:
	mf_map_close(&f.map);
	return rc;
}

/* Stage the mailbox of u (find or create). */
static int stage_mailbox(struct msm *s, struct msm_user *u, const char *network,
			 const char *postoffice, const char *mailbox, int in_directory)
{
	struct mf_mailbox mb;
	const char *display = u->dir_name && *u->dir_name ? u->dir_name
			    : u->full_name && *u->full_name ? u->full_name : mailbox;
	const char *g, *sn;
	size_t gl, sl;
	char *given, *sur, *addr, *hexid = NULL;
	int created = 0, rc;

	memset(&mb, 0, sizeof(mb));
	mf_name_split(display, &g, &gl, &sn, &sl);
	given = gl ? mf_xstrndup(g, gl) : NULL;
	sur = sl ? mf_xstrndup(sn, sl) : NULL;
	addr = mf_xasprintf("MS:%s/%s/%s", network, postoffice, mailbox);
	mb.kind = "mailbox";
	mb.name = mailbox;
	mb.display_name = display;
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "MS";
	mb.source_address = addr;
	mb.deleted = u->deleted;
	mb.in_directory = in_directory;
	if (u->hexid && *u->hexid)
		hexid = mf_xasprintf("hexid %s", u->hexid);
	mb.comments = hexid;
	rc = mf_store_mailbox(s->st, &u->mailbox_id, &created, s->source_id, &mb, s->diag);
	free(given);
	free(sur);
	free(addr);
	free(hexid);
	if (rc == MF_OK)
		s->stats->mailboxes++;
	return rc;
}

/* Does a deleted user's export still hold mail or a calendar? */
static int has_content(struct msm *s, const struct msm_user *u)
{
	int found = 0;
	if (u->mail_dir && *u->mail_dir) {
		char *abs = resolve(s, u->mail_dir, 0, MF_INFO, "");
		DIR *d = abs ? opendir(abs) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d)) && !found) {
			size_t n = strlen(de->d_name);
			struct stat sb;
			char *p;
			if (n < 6 || !mf_strcaseeq(de->d_name + n - 5, ".mmff"))
				continue;
			p = mf_xasprintf("%s/%s", abs, de->d_name);
			if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
			    inside_root(s, p))
				found = 1;
			free(p);
		}
		if (d)
			closedir(d);
		free(abs);
	}
	if (!found && u->calendar && *u->calendar) {
		char *abs = resolve(s, u->calendar, 0, MF_INFO, "");
		found = abs != NULL;
		free(abs);
	}
	return found;
}

static int store_po(struct msm *s, const char *name, const char *network, const char *kind,
		    const char *type)
{
	return mf_store_postoffice(s->st, NULL, s->source_id, name, network, kind, type, NULL,
				   s->diag);
}

/* One IMPORT -X entry (pol.txt or gw-*.txt). */
static int dir_entry(struct msm *s, const struct mf_msdir_line *l, int64_t file_id,
		     int write, const char *gw_type)
{
	struct mf_dir_entry e;
	char type[24], *name, *addr_s = NULL, *comments = NULL, *po = NULL, *g = NULL, *sn = NULL;
	struct mf_span addr;
	const char *gp, *sp;
	size_t gl, sl;
	int rc = MF_OK;

	mf_arena_reset(&s->arena);
	memset(&e, 0, sizeof(e));
	name = span_utf8(s, l->name);
	if (!l->address.len) {
		problem(s, MF_WARNING, "msmail.dir-no-address", l->offset,
			"directory entry '%s' has no address; skipped", name);
		return MF_OK;
	}
	if (l->layout == MF_MSDIR_GUESSED)
		problem(s, MF_INFO, "msmail.dir-columns", l->offset,
			"entry not in fixed columns or TAB-separated; address taken from the first "
			"TYPE: token");
	addr_split(type, &addr, (const char *)l->address.p, l->address.len);
	if (!type[0]) {
		if (gw_type) {
			snprintf(type, sizeof(type), "%s", gw_type);
		} else {
			problem(s, MF_WARNING, "msmail.dir-address", l->offset,
				"address '%.*s' has no type and is not NET/PO/MAILBOX; staged as a "
				"custom recipient without type", (int)(l->address.len > 60 ? 60 :
				l->address.len), (const char *)l->address.p);
		}
	} else if (!memchr(l->address.p, ':', l->address.len) && !gw_type) {
		problem(s, MF_INFO, "msmail.dir-address", l->offset,
			"address without a type read as native MS Mail (PCM)");
	}
	addr_s = span_utf8(s, addr);
	if (l->templ.len)
		comments = span_utf8(s, l->templ);
	mf_name_split(name, &gp, &gl, &sp, &sl);
	g = gl ? mf_arena_strndup(&s->arena, gp, gl) : NULL;
	sn = sl ? mf_arena_strndup(&s->arena, sp, sl) : NULL;
	e.name = name;
	e.display_name = name;
	e.given_name = g;
	e.surname = sn;
	e.address_type = type[0] ? type : NULL;
	e.address = addr_s;
	e.location = mf_arena_strndup(&s->arena, &l->code, 1);
	e.comments = comments;
	e.src_file_id = file_id;
	e.src_offset = (int64_t)l->offset;
	e.raw = l->raw.p;
	e.raw_len = l->raw.len;
	e.kind = "custom";
	if (!strcmp(type, "MS")) {
		struct mf_msaddr ma;
		if (mf_msaddr_parse(&ma, (const char *)addr.p, addr.len) != MF_OK) {
			problem(s, MF_WARNING, "msmail.dir-address", l->offset,
				"MS Mail address '%s' is not NETWORK/POSTOFFICE/MAILBOX; staged as a "
				"custom recipient", addr_s);
		} else {
			char *net = mf_arena_strndup(&s->arena, (const char *)ma.network.p, ma.network.len);
			char *mbx = mf_arena_strndup(&s->arena, (const char *)ma.mailbox.p, ma.mailbox.len);
			po = mf_arena_strndup(&s->arena, (const char *)ma.postoffice.p, ma.postoffice.len);
			e.postoffice = po;
			if (ma.overlong)
				problem(s, MF_WARNING, "msmail.dir-address", l->offset,
					"a part of '%s' is longer than MS Mail's 10 characters", addr_s);
			if (mf_strcaseeq(net, s->mx.network) && mf_strcaseeq(po, s->mx.postoffice)) {
				struct msm_user *u = find_user(s, mbx, strlen(mbx));
				if (u && u->in_pol) {
					problem(s, MF_WARNING, "msmail.dir-duplicate", l->offset,
						"mailbox %s listed twice in pol.txt", mbx);
				} else {
					if (!u) {
						u = add_user(s);
						u->mailbox = mf_xstrdup(mbx);
					} else if (u->deleted) {
						problem(s, MF_WARNING, "msmail.users-deleted-listed", u->csv_offset,
							"mailbox %s is marked deleted in users.csv but listed in "
							"pol.txt; staged as deleted", mbx);
					}
					u->in_pol = 1;
					free(u->dir_name);
					u->dir_name = mf_xstrdup(name);
					if ((rc = stage_mailbox(s, u, s->mx.network, s->mx.postoffice, mbx, 1)) < 0)
						return rc;
				}
				e.kind = "user";
				e.mailbox_id = u->mailbox_id;
			} else if (write && (rc = store_po(s, po, net, "remote", NULL)) < 0) {
				return rc;
			}
		}
	} else if (write && type[0] && (rc = store_po(s, type, NULL, "gateway", type)) < 0) {
		return rc;
	}
	if (!write)
		return MF_OK;
	rc = mf_store_dir_entry(s->st, NULL, s->source_id, &e, s->diag);
	if (rc == MF_OK)
		s->stats->dir_entries++;
	return rc;
}

static int read_dir_file(struct msm *s, const char *abs, const char *role, const char *gw_type)
{
	struct mapped f;
	struct mf_msdir d;
	struct mf_msdir_line l;
	int64_t file_id;
	enum mf_file_state state;
	int rc = map_file(s, &f, abs);
	int write;

	if (rc < 0)
		return rc;
	if ((rc = begin_file(s, &f, role, s->cp, 0, &file_id, &state)) < 0)
		goto out;
	if (state == MF_FILE_CHANGED && !gw_type) {
		/* the postoffice list decides who is a mailbox: no mixing */
		rc = mf_diag_set(s->diag, MF_EFORMAT, f.rel, MF_NO_OFFSET,
				 "pol.txt changed since it was imported into this staging database");
		goto out;
	}
	write = state == MF_FILE_NEW || state == MF_FILE_RESUME;
	set_file(s, f.rel);
	mf_msdir_init(&d, f.map.data, f.map.len, write ? on_problem : NULL, s);
	mf_map_watch(&f.map, &d.rd);
	while (mf_msdir_next(&d, &l) == MF_OK) {
		if (l.code == 'A' || l.code == 'a') {
			if ((rc = dir_entry(s, &l, file_id, write, gw_type)) < 0)
				goto out;
		} else if (l.code == '#') {
			continue;
		} else if (write) {
			problem(s, MF_WARNING, "msmail.dir-code", l.offset,
				"line with transaction code '%c' is not an entry of an extract; ignored",
				l.code >= 0x20 && l.code < 0x7f ? l.code : '?');
		}
	}
	if (write && (rc = mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag)) < 0)
		goto out;
	rc = MF_OK;
out:
	mf_map_close(&f.map);
	return rc;
}

static const char SQL_DIR_LOAD[] =
	"SELECT id, kind, name, display_name, address_type, address FROM dir_entries "
	"WHERE source_id = ?1 ORDER BY id";

/* (Re)build the lookup table from the staged directory of this source. */
static int load_dir(struct msm *s)
{
	sqlite3_stmt *q = mf_store_stmt(s->st, SQL_DIR_LOAD, s->diag);
	int rc;
	dmap_release(&s->dir);
	if (!q)
		return MF_ESTORE;
	sqlite3_bind_int64(q, 1, s->source_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const char *name = (const char *)sqlite3_column_text(q, 2);
		const char *disp = (const char *)sqlite3_column_text(q, 3);
		const char *type = (const char *)sqlite3_column_text(q, 4);
		const char *addr = (const char *)sqlite3_column_text(q, 5);
		const char *d = mf_arena_strdup(&s->dir.arena, disp ? disp : name);
		if (addr) {
			char *pre = mf_xasprintf("%s:", type ? type : "");
			dmap_put(&s->dir, make_key(&s->dir.arena, pre, addr, strlen(addr)), id, d);
			free(pre);
		}
		if (name)
			dmap_put(&s->dir, make_key(&s->dir.arena, "N:", name, strlen(name)), id, d);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return mf_store_fail(s->st, s->diag, "cannot read the directory");
	return MF_OK;
}

/* Look an address ("[TYPE:]address" or a name, UTF-8) up in the directory. */
static const struct dent *lookup(struct msm *s, const char *v)
{
	char type[24], *k;
	struct mf_span addr;
	const struct dent *e = NULL;
	addr_split(type, &addr, v, strlen(v));
	if (addr.len) {
		char pre[32];
		snprintf(pre, sizeof(pre), "%s:", type);
		k = make_key(&s->arena, pre, (const char *)addr.p, addr.len);
		e = dmap_get(&s->dir, k);
		if (!e && !type[0]) {
			k = make_key(&s->arena, "N:", (const char *)addr.p, addr.len);
			e = dmap_get(&s->dir, k);
		}
	}
	return e;
}

static int read_groups(struct msm *s, const char *abs)
{
	struct mapped f;
	struct mf_msdir d;
	struct mf_msdir_line l;
	int64_t file_id, list_id = 0;
	enum mf_file_state state;
	int rc = map_file(s, &f, abs), position = 0;
	struct { int64_t list; int pos; uint64_t off; char *addr; } *mem = NULL;
	size_t n_mem = 0;

	if (rc < 0)
		return rc;
	if ((rc = begin_file(s, &f, "groups", s->cp, 0, &file_id, &state)) < 0)
		goto out;
	if (state != MF_FILE_NEW && state != MF_FILE_RESUME)
		goto out;
	set_file(s, f.rel);
	mf_msdir_init(&d, f.map.data, f.map.len, on_problem, s);
	mf_map_watch(&f.map, &d.rd);
	while (mf_msdir_next(&d, &l) == MF_OK) {
		mf_arena_reset(&s->arena);
		if (l.code == '#')
			continue;
		if (l.code == 'G' || l.code == 'g' || l.code == 'R' || l.code == 'r') {
			struct mf_dir_entry e;
			char type[24];
			struct mf_span addr;
			if (l.code == 'R' || l.code == 'r')
				problem(s, MF_WARNING, "msmail.group-code", l.offset,
					"'R' (replace group) in an extract; read as a group definition");
			memset(&e, 0, sizeof(e));
			addr_split(type, &addr, (const char *)l.address.p, l.address.len);
			e.kind = "list";
			e.name = span_utf8(s, l.name);
			e.display_name = e.name;
			e.address_type = type[0] ? type : NULL;
			e.address = addr.len ? span_utf8(s, addr) : NULL;
			if (!strcmp(type, "MS")) {
				struct mf_msaddr ma;
				if (mf_msaddr_parse(&ma, (const char *)addr.p, addr.len) == MF_OK)
					e.postoffice = mf_arena_strndup(&s->arena, (const char *)ma.postoffice.p,
									ma.postoffice.len);
			}
			e.location = mf_arena_strndup(&s->arena, &l.code, 1);
			e.src_file_id = file_id;
			e.src_offset = (int64_t)l.offset;
			e.raw = l.raw.p;
			e.raw_len = l.raw.len;
			if ((rc = mf_store_dir_entry(s->st, &list_id, s->source_id, &e, s->diag)) < 0)
				goto out;
			s->stats->dir_entries++;
			position = 0;
		} else if (l.code == 'A' || l.code == 'a') {
			if (!list_id) {
				problem(s, MF_WARNING, "msmail.group-syntax", l.offset,
					"member line before any group ('G') line; ignored");
				continue;
			}
			mem = mf_xreallocarray(mem, n_mem + 1, sizeof(*mem));
			mem[n_mem].list = list_id;
			mem[n_mem].pos = position++;
			mem[n_mem].off = l.offset;
			mem[n_mem].addr = mf_xstrdup(span_utf8(s, l.address.len ? l.address : l.name));
			n_mem++;
		} else {
			problem(s, MF_WARNING, "msmail.group-code", l.offset,
				"group line with code '%c' ignored (an extract has G, A and # lines)",
				l.code >= 0x20 && l.code < 0x7f ? l.code : '?');
		}
	}
	/* members resolve against the whole directory, groups included */
	if ((rc = load_dir(s)) < 0)
		goto out;
	for (size_t i = 0; i < n_mem; i++) {
		const struct dent *e;
		mf_arena_reset(&s->arena);
		e = lookup(s, mem[i].addr);
		if (!e)
			problem(s, MF_WARNING, "msmail.member-unresolved", mem[i].off,
				"group member '%s' is not in the directory", mem[i].addr);
		if ((rc = mf_store_list_member(s->st, mem[i].list, mem[i].pos, mem[i].addr,
					       e ? e->id : 0, s->diag)) < 0)
			goto out;
	}
	rc = mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag);
out:
	for (size_t i = 0; i < n_mem; i++)
		free(mem[i].addr);
	free(mem);
	mf_map_close(&f.map);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files in dir whose name matches prefix*suffix (case-insensitive), sorted. */
static char **list_files(const char *dir, const char *prefix, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), pl = strlen(prefix), sl = strlen(suffix);
		char *p;
		struct stat sb;
		if (de->d_name[0] == '.' || l < pl + sl || !mf_strncaseeq(de->d_name, prefix, pl) ||
		    !mf_strcaseeq(de->d_name + l - sl, suffix))
			continue;
		p = mf_xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(p);
			continue;
		}
		free(p);
		v = mf_xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = mf_xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int read_directory(struct msm *s)
{
	char *abs, *dir;
	int rc;
	char **gw;
	size_t n_gw;

	if ((rc = read_users(s)) < 0)
		return rc;
	abs = resolve(s, "directory/pol.txt", 0, MF_ERROR, "");
	if (!abs)
		return mf_diag_set(s->diag, MF_ENOTFOUND, "directory/pol.txt", MF_NO_OFFSET,
				   "the bundle has no directory/pol.txt (required)");
	rc = read_dir_file(s, abs, "directory", NULL);
	free(abs);
	if (rc < 0)
		return rc;
	/* users.csv rows that pol.txt does not list */
	set_file(s, "users.csv");
	for (size_t i = 0; i < s->n_users; i++) {
		struct msm_user *u = &s->users[i];
		if (u->in_pol)
			continue;
		if (u->deleted && !has_content(s, u)) {
			problem(s, MF_INFO, "msmail.deleted-no-mail", u->csv_offset,
				"deleted mailbox %s has no mail or calendar in the export; not migrated",
				u->mailbox);
			continue;
		}
		if (!u->deleted)
			problem(s, MF_WARNING, "msmail.user-not-in-directory", u->csv_offset,
				"mailbox %s is in users.csv but not in pol.txt; staged as a mailbox "
				"outside the directory", u->mailbox);
		if ((rc = stage_mailbox(s, u, s->mx.network, s->mx.postoffice, u->mailbox, 0)) < 0)
			return rc;
	}
	/* gateway lists */
	dir = resolve(s, "directory", 0, MF_INFO, "");
	gw = dir ? list_files(dir, "gw-", ".txt", &n_gw) : NULL;
	if (!dir)
		n_gw = 0;
	for (size_t i = 0; i < n_gw && rc >= 0; i++) {
		char type[24], *p = mf_xasprintf("%s/%s", dir, gw[i]);
		size_t tl = strlen(gw[i]) - 7;
		mf_addrtype_canonical(type, gw[i] + 3, tl);
		if (inside_root(s, p)) {
			rc = read_dir_file(s, p, "gateway", type);
		} else {
			set_file(s, rel_of(s, p));
			problem(s, MF_ERROR, "msmail.bad-path", MF_NO_OFFSET,
				"a symbolic link that leads outside the bundle; not read");
		}
		free(p);
	}
	free_list(gw, n_gw);
	free(dir);
	if (rc < 0)
		return rc;
	abs = resolve(s, "directory/groups.txt", 0, MF_INFO, "");
	if (abs) {
		rc = read_groups(s, abs);
		free(abs);
		if (rc < 0)
			return rc;
	}
	return load_dir(s);
}

/* ---- mail ---- */

/* Wall clock in the postoffice's zone to UTC, cached by the day: a day is
 * cached only when its first and last second have the same offset (days
 * with a DST change are converted one by one). */
static int zone_to_utc(struct msm *s, const struct mf_civil *c, int64_t *out)
{
	int64_t key = ((int64_t)c->year * 13 + c->month) * 32 + c->day;
	size_t slot = (size_t)((uint64_t)key % MF_ARRAY_LEN(s->tzc));
	struct mf_civil a = *c, z = *c;
	int64_t ta, tz;

	if (s->tzc[slot].valid && s->tzc[slot].key == key) {
		if (s->tzc[slot].valid > 0) {
			*out = mf_civil_to_utc_naive(c) + s->tzc[slot].delta;
			return MF_OK;
		}
		return mf_tz_local_to_utc(out, s->tz, c);
	}
	a.hour = a.min = a.sec = 0;
	z.hour = 23;
	z.min = z.sec = 59;
	s->tzc[slot].key = key;
	if (mf_tz_local_to_utc(&ta, s->tz, &a) == MF_OK && mf_tz_local_to_utc(&tz, s->tz, &z) == MF_OK &&
	    ta - mf_civil_to_utc_naive(&a) == tz - mf_civil_to_utc_naive(&z)) {
		s->tzc[slot].delta = ta - mf_civil_to_utc_naive(&a);
		s->tzc[slot].valid = 1;
		*out = mf_civil_to_utc_naive(c) + s->tzc[slot].delta;
		return MF_OK;
	}
	s->tzc[slot].valid = -1;
	return mf_tz_local_to_utc(out, s->tz, c);
}

static int64_t local_to_utc(struct msm *s, const char *raw, int *ok, unsigned *flags)
{
	struct mf_civil c;
	int64_t t = 0;
	*ok = mf_date_parse(&c, flags, raw, strlen(raw), MF_ORDER_YMD) == MF_OK &&
	      zone_to_utc(s, &c, &t) == MF_OK;
	return t;
}

static int is_schedule_class(const char *cls)
{
	return cls && !strncmp(cls, "IPM.Microsoft Schedule.", 23);
}

/* Build and stage one message.  *id_out is its row. */
static int stage_message(struct msm *s, const struct mf_mmff_msg *m, int64_t mailbox_id,
			 int64_t folder_id, int64_t file_id, int64_t *id_out)
{
	struct mf_message g;
	struct mf_textized tx;
	int have_tx;
	struct mf_span body = m->body;
	struct mf_body_part bp;
	size_t repl = 0, text_len;
	char *text;

	memset(&g, 0, sizeof(g));
	memset(&bp, 0, sizeof(bp));
	g.mailbox_id = mailbox_id;
	g.folder_id = folder_id;
	g.src_file_id = file_id;
	g.src_offset = (int64_t)m->offset;
	g.src_length = (int64_t)m->length;
	g.src = m->raw.p;
	g.charset = s->cp;
	g.timezone = s->tz;

	/* the textized header */
	have_tx = mf_textized_parse(&tx, body);
	g.raw_header = m->header.p;
	g.raw_header_len = m->header.len;
	if (have_tx) {
		g.raw_header_len += tx.header_len;
		body.p += tx.header_len;
		body.len -= tx.header_len;
		g.message_class = span_utf8(s, tx.message_class);
		if (tx.field[MF_TXH_MESSAGE_ID].p && tx.field[MF_TXH_MESSAGE_ID].len)
			g.message_id = span_utf8(s, tx.field[MF_TXH_MESSAGE_ID]);
		if (tx.field[MF_TXH_CONVERSATION_ID].p && tx.field[MF_TXH_CONVERSATION_ID].len)
			g.conversation_id = span_utf8(s, tx.field[MF_TXH_CONVERSATION_ID]);
		if (tx.field[MF_TXH_PARENT_ID].p && tx.field[MF_TXH_PARENT_ID].len)
			g.parent_message_id = span_utf8(s, tx.field[MF_TXH_PARENT_ID]);
		if (!tx.n_labels_known)
			problem(s, MF_INFO, "msmail.textized-labels", m->body_offset,
				"textized header with no label mailferry knows (English, German, "
				"French, Spanish); only its message class was read");
	}
	/* subject: the full one of the header, else SUBJECT: */
	if (have_tx && tx.field[MF_TXH_SUBJECT].p && tx.field[MF_TXH_SUBJECT].len)
		g.subject = span_utf8(s, tx.field[MF_TXH_SUBJECT]);
	else if (m->subject.p)
		g.subject = span_utf8(s, m->subject);

	/* sender */
	if (m->from.p && m->from.len) {
		char type[24];
		struct mf_span addr;
		const struct dent *e;
		g.sender_raw = span_utf8(s, m->from);
		addr_split(type, &addr, g.sender_raw, strlen(g.sender_raw));
		g.sender_type = type[0] ? mf_arena_strdup(&s->arena, type) : NULL;
		g.sender_address = addr.len ? mf_arena_strndup(&s->arena, (const char *)addr.p, addr.len)
					    : NULL;
		e = lookup(s, g.sender_raw);
		if (e) {
			g.sender_entry_id = e->id;
			g.sender_name = e->display;
		} else if (have_tx && tx.field[MF_TXH_FROM].p && tx.field[MF_TXH_FROM].len) {
			g.sender_name = span_utf8(s, tx.field[MF_TXH_FROM]);
		}
	} else {
		problem(s, MF_WARNING, "msmail.mmff-no-from", m->offset, "message without FROM:");
	}

	/* recipients */
	if (m->n_rcpt) {
		g.recipients = mf_arena_zalloc(&s->arena, m->n_rcpt * sizeof(*g.recipients));
		for (size_t i = 0; i < m->n_rcpt; i++) {
			struct mf_recipient *r = &g.recipients[i];
			char type[24];
			struct mf_span addr;
			const struct dent *e;
			r->role = m->rcpt[i].role == MF_MMFF_CC ? "cc" : "to";
			r->raw = span_utf8(s, m->rcpt[i].value);
			addr_split(type, &addr, r->raw, strlen(r->raw));
			r->address_type = type[0] ? mf_arena_strdup(&s->arena, type) : NULL;
			r->address = addr.len ? mf_arena_strndup(&s->arena, (const char *)addr.p, addr.len)
					      : NULL;
			e = lookup(s, r->raw);
			if (e) {
				r->entry_id = e->id;
				r->display_name = e->display;
			}
		}
		g.n_recipients = m->n_rcpt;
	}

	/* date and time, in the postoffice's zone */
	{
		char raw[80];
		struct mf_span dt = m->date;
		int ok = 0;
		unsigned fl = 0;
		if (!dt.p && have_tx && tx.field[MF_TXH_DATE].p) {
			dt = tx.field[MF_TXH_DATE];
			problem(s, MF_INFO, "msmail.date-from-header", m->offset,
				"no DATE: token; the date of the textized header is used");
		}
		if (dt.p && dt.len) {
			snprintf(raw, sizeof(raw), "%.*s%s%.*s", (int)(dt.len > 40 ? 40 : dt.len),
				 (const char *)dt.p, m->time.p && m->date.p ? " " : "",
				 m->time.p && m->date.p ? (int)(m->time.len > 30 ? 30 : m->time.len) : 0,
				 m->time.p && m->date.p ? (const char *)m->time.p : "");
			g.date_raw = text_utf8(s, s->cs, raw, strlen(raw), NULL);
			g.sent_utc = local_to_utc(s, raw, &ok, &fl);
			g.has_sent = ok;
			if (!ok)
				problem(s, MF_WARNING, "msmail.bad-date", m->offset,
					"date '%s' is not yyyy-mm-dd hh:mm or does not exist; sent date "
					"unknown", g.date_raw);
			else if ((fl & MF_DATE_NO_TIME) && m->date.p)
				problem(s, MF_INFO, "msmail.no-time", m->offset,
					"DATE: without TIME:; midnight used");
		} else {
			problem(s, MF_INFO, "msmail.no-date", m->offset, "message without a date");
		}
	}

	/* flags */
	if (m->priority.p) {
		int level = 0;
		switch (mf_mmff_priority(m->priority, &level)) {
		case MF_MMFF_PRIO_LEVEL: g.priority = level; break;
		case MF_MMFF_PRIO_RECEIPT: g.receipt_requested = 1; break;
		case MF_MMFF_PRIO_CONFIRM: g.is_receipt = 1; break;
		case MF_MMFF_PRIO_FILE:
			problem(s, MF_INFO, "msmail.file-transfer", m->offset,
				"automatic file-transfer message (PRIORITY:F) staged as an ordinary "
				"message; the F stays in the raw header");
			break;
		case MF_MMFF_PRIO_EMPTY: break;
		default:
			problem(s, MF_WARNING, "msmail.priority-unknown", m->offset,
				"PRIORITY:%.*s is not 1-5, R, C or F; normal priority used",
				(int)(m->priority.len > 10 ? 10 : m->priority.len),
				(const char *)m->priority.p);
		}
	}
	if (m->status.p) {
		if (mf_span_eq_ci(m->status, "UNREAD"))
			g.unread = 1;
		else if (!mf_span_eq_ci(m->status, "READ"))
			problem(s, MF_WARNING, "msmail.mmff-status", m->offset,
				"STATUS:%.*s is not READ or UNREAD; read assumed",
				(int)(m->status.len > 10 ? 10 : m->status.len), (const char *)m->status.p);
	}

	/* the body (the textized header stripped) */
	/* (converted straight into its own buffer: no copy of the body) */
	text = body.len <= MAX_BODY && text_into(s, s->cs, body.p, body.len, &s->body, &repl) == MF_OK
	       ? s->body.data : NULL;
	text_len = s->body.len;
	if (!text) {
		problem(s, MF_ERROR, "msmail.too-large", m->offset,
			"a body of %zu bytes is more than mailferry stages (%u MiB); message skipped",
			body.len, MAX_BODY >> 20);
		return MF_SKIP;
	}
	bp.keep_raw = repl > 0;
	if (have_tx && is_schedule_class(g.message_class) && tx.n_other) {
		/* a meeting's time lives only in this header: keep those lines */
		struct mf_buf b;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		for (size_t i = 0; i < tx.n_other; i++) {
			char *l = span_utf8(s, tx.other[i]);
			mf_buf_addstr(&b, l);
			mf_buf_addstr(&b, "\r\n");
		}
		mf_buf_addstr(&b, "\r\n");
		mf_buf_add(&b, text, s->body.len);
		text_len = b.len;
		text = mf_arena_memdup(&s->arena, b.data, b.len + 1);
		mf_buf_release(&b);
		bp.keep_raw = 1;
	}
	if (repl)
		problem(s, MF_INFO, "msmail.charset-replaced", m->body_offset,
			"%zu byte(s) with no mapping in %s became U+FFFD; the raw body is kept",
			repl, s->cp);
	bp.position = 0;
	bp.kind = "text";
	bp.text = text;
	bp.text_len = text_len;
	bp.raw = body.p;
	bp.raw_len = body.len;
	bp.replacements = repl;
	bp.src_offset = (int64_t)(m->body_offset + (have_tx ? tx.header_len : 0));
	g.bodies = &bp;
	g.n_bodies = 1;

	/* attachments */
	if (m->n_att) {
		g.attachments = mf_arena_zalloc(&s->arena, m->n_att * sizeof(*g.attachments));
		for (size_t i = 0; i < m->n_att; i++) {
			struct mf_attachment *a = &g.attachments[i];
			a->position = (int)i + 1;
			a->kind = "file";
			a->title = span_utf8(s, m->att[i].name);
			a->name = a->title;
			if (!a->name[0]) {
				char *n = mf_arena_alloc(&s->arena, 48);
				snprintf(n, 48, "attachment-%zu.bin", i + 1);
				a->name = n;
				problem(s, MF_WARNING, "msmail.attachment-name", m->att[i].offset,
					"attachment without a name staged as %s", n);
			}
			a->data = m->att[i].data.p;
			a->size = m->att[i].data.len;
			a->has_data = 1;
			if (a->size > MAX_BLOB) {
				/* over SQLite's largest value: staged by name only */
				problem(s, MF_ERROR, "msmail.too-large", m->att[i].offset,
					"attachment %s of %zu bytes is larger than a staged value can be; "
					"staged without its bytes (they stay in the export)", a->name, a->size);
				a->data = NULL;
				a->size = 0;
				a->has_data = 0;
			}
			a->body_position = -1;
			a->src_offset = (int64_t)m->att[i].data_offset;
		}
		g.n_attachments = m->n_att;
	}
	return mf_store_message(s->st, id_out, &g, s->diag);
}

struct folder_map { const char *file, *path, *special; };

static const struct folder_map special_folders[] = {
	{ "inbox.mmff", "Inbox", "inbox" },
	{ "sent.mmff", "Sent Items", "sent" },
	{ "deleted.mmff", "Deleted Items", "trash" },
};

/* inbox, sent, deleted first, then the others by name */
static int folder_rank(const char *name)
{
	for (size_t i = 0; i < MF_ARRAY_LEN(special_folders); i++)
		if (mf_strcaseeq(name, special_folders[i].file))
			return (int)i;
	return 3;
}

static int folder_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int rx = folder_rank(x), ry = folder_rank(y);
	return rx != ry ? rx - ry : strcmp(x, y);
}

/* One MMFF file: one folder. */
static int read_mmff(struct msm *s, struct msm_user *u, const char *abs, const char *fname,
		     int64_t *first_file, int64_t *n_msgs)
{
	struct mapped f;
	struct mf_mmff p;
	struct mf_mmff_msg m;
	int64_t file_id, folder_id = 0, staged = 0, skipped = 0, in_batch = 0;
	enum mf_file_state state;
	int rc, nrc;
	const char *path = NULL, *special = NULL;
	char *folder_name = NULL;

	rc = map_file(s, &f, abs);
	if (rc < 0) {
		set_file(s, rel_of(s, abs));
		problem(s, MF_ERROR, "msmail.file-unreadable", MF_NO_OFFSET, "%s", s->diag->msg);
		return MF_OK;
	}
	if ((rc = mf_store_begin(s->st, s->diag)) < 0)
		goto out;
	if ((rc = begin_file(s, &f, "mail", s->cp, u->mailbox_id, &file_id, &state)) < 0)
		goto fail;
	if (state == MF_FILE_CHANGED) {
		rc = mf_store_commit(s->st, s->diag);
		goto out;
	}
	if (!*first_file)
		*first_file = file_id;
	if (state == MF_FILE_DONE) {
		rc = mf_store_commit(s->st, s->diag);
		goto out;
	}
	set_file(s, f.rel);
	/* the folder */
	for (size_t i = 0; i < MF_ARRAY_LEN(special_folders); i++)
		if (mf_strcaseeq(fname, special_folders[i].file)) {
			path = special_folders[i].path;
			special = special_folders[i].special;
		}
	if (!path) {
		size_t n = strlen(fname) - 5;
		if (mf_utf8_valid(fname, n)) {
			folder_name = mf_xstrndup(fname, n);
		} else {
			struct mf_buf b;
			mf_buf_init(&b, MF_BUF_LINE_MAX);
			mf_charset_to_utf8(s->cs, fname, n, &b, NULL);
			folder_name = mf_buf_detach(&b, NULL);
		}
		if (!folder_name[0]) {
			free(folder_name);
			folder_name = mf_xstrdup("Unnamed");
		}
		path = folder_name;
	}
	if ((rc = mf_store_folder(s->st, &folder_id, u->mailbox_id, path, fname, special, s->diag)) < 0)
		goto fail;
	{
		const char *why = mf_charset_suspect(s->cp, f.map.data,
						     f.map.len > (64u << 10) ? 64u << 10 : f.map.len);
		if (why)
			problem(s, MF_WARNING, "msmail.codepage-suspect", MF_NO_OFFSET,
				"%s (declared %s)", why, s->cp);
	}
	mf_mmff_init(&p, f.map.data, f.map.len, on_problem, s);
	mf_map_watch(&f.map, &p.rd);
	for (;;) {
		int64_t id = 0;
		s->collecting = 1;
		mf_arena_reset(&s->arena);
		nrc = mf_mmff_next(&p, &m);
		if (nrc == MF_DONE) {
			s->collecting = 0;
			/* reports about trailing bytes */
			if ((rc = flush_pending(s, 0, m.offset)) < 0)
				goto fail_p;
			break;
		}
		if (nrc == MF_SKIP) {
			skipped++;
			s->stats->messages_skipped++;
			s->collecting = 0;
			if ((rc = flush_pending(s, 0, m.offset)) < 0)
				goto fail_p;
			release_behind(&f, m.offset);
			continue;
		}
		if (state == MF_FILE_RESUME) {
			int ex = mf_store_message_exists(s->st, file_id, (int64_t)m.offset, s->diag);
			if (ex < 0) {
				rc = ex;
				goto fail_p;
			}
			if (ex) {
				staged++;
				s->collecting = 0;
				clear_pending(s);
				continue;
			}
		}
		rc = stage_message(s, &m, u->mailbox_id, folder_id, file_id, &id);
		s->collecting = 0;
		if (rc < 0)
			goto fail_p;
		if (rc == MF_SKIP) {
			skipped++;
			s->stats->messages_skipped++;
			if ((rc = flush_pending(s, 0, m.offset)) < 0)
				goto fail_p;
			continue;
		}
		if ((rc = flush_pending(s, id, m.offset)) < 0)
			goto fail_p;
		staged++;
		s->stats->messages++;
		mf_progress_update(&s->progress, 1, (int64_t)m.length);
		if (++in_batch >= MF_IMPORT_BATCH) {
			in_batch = 0;
			if ((rc = mf_store_commit(s->st, s->diag)) < 0 ||
			    (rc = mf_store_begin(s->st, s->diag)) < 0)
				goto fail_p;
		}
		release_behind(&f, m.offset);
	}
	if (p.started) {
		const char *want = s->mx.newline;
		enum mf_eol e = p.first_eol;
		const char *got = e == MF_EOL_CRLF ? "CRLF" : e == MF_EOL_LF ? "LF" : e == MF_EOL_CR ? "CR" : NULL;
		if (got && strcmp(got, want))
			problem(s, MF_INFO, "msmail.mmff-newline", 0,
				"lines end in %s, not %s as mmff-newline says; read anyway", got, want);
	}
	mf_mmff_release(&p);
	if (!strcasecmp(fname, "inbox.mmff"))
		u->inbox_messages = staged;
	*n_msgs += staged;
	if ((rc = mf_store_file_end(s->st, file_id, "done", staged, skipped, s->diag)) < 0)
		goto fail;
	rc = mf_store_commit(s->st, s->diag);
	goto out;
fail_p:
	s->collecting = 0;
	clear_pending(s);
	mf_mmff_release(&p);
fail:
	mf_store_rollback(s->st);
out:
	free(folder_name);
	mf_map_close(&f.map);
	return rc;
}

static int read_mail(struct msm *s, struct msm_user *u, int64_t *n_msgs, int *n_folders)
{
	char *abs;
	DIR *d;
	struct dirent *de;
	char **files = NULL;
	size_t n = 0;
	int64_t first = 0;
	int rc = MF_OK;

	set_file(s, "users.csv");
	abs = resolve_at(s, u->mail_dir, 1, MF_ERROR, "mail folder", u->csv_offset);
	if (!abs)
		return MF_OK;
	d = opendir(abs);
	if (!d) {
		problem(s, MF_ERROR, "msmail.file-missing", u->csv_offset,
			"mail folder '%s' of %s is not a folder", u->mail_dir, u->mailbox);
		free(abs);
		return MF_OK;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char *p;
		struct stat sb;
		int st_ok, err;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = mf_xasprintf("%s/%s", abs, de->d_name);
		if (de->d_name[0] == '.') {
			set_file(s, rel_of(s, p));
			problem(s, MF_INFO, "msmail.file-ignored", MF_NO_OFFSET,
				"a hidden file (its name starts with '.'); not read");
			free(p);
			continue;
		}
		st_ok = stat(p, &sb) == 0;
		err = errno;
		if (!st_ok || !S_ISREG(sb.st_mode)) {
			/* never passed over without a word: a link that leads
			 * nowhere, a FIFO or a device named like a folder file */
			set_file(s, rel_of(s, p));
			if (l < 5 || !mf_strcaseeq(de->d_name + l - 5, ".mmff") ||
			    (st_ok && S_ISDIR(sb.st_mode)))
				problem(s, MF_INFO, "msmail.file-ignored", MF_NO_OFFSET,
					"not a regular MMFF folder file; not read");
			else
				problem(s, MF_ERROR, "msmail.file-unreadable", MF_NO_OFFSET, "%s; not read",
					st_ok ? "not a regular file (a FIFO, device or socket)"
					      : strerror(err));
			free(p);
			continue;
		}
		if (!inside_root(s, p)) {
			set_file(s, rel_of(s, p));
			problem(s, MF_ERROR, "msmail.bad-path", MF_NO_OFFSET,
				"a symbolic link that leads outside the bundle; not read");
			free(p);
			continue;
		}
		if (l < 5 || !mf_strcaseeq(de->d_name + l - 5, ".mmff")) {
			set_file(s, rel_of(s, p));
			problem(s, MF_INFO, "msmail.file-ignored", MF_NO_OFFSET,
				"not an MMFF folder file (.mmff); not read");
			free(p);
			continue;
		}
		free(p);
		files = mf_xreallocarray(files, n + 1, sizeof(*files));
		files[n++] = mf_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), folder_cmp);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		char *p = mf_xasprintf("%s/%s", abs, files[i]);
		rc = read_mmff(s, u, p, files[i], &first, n_msgs);
		free(p);
	}
	*n_folders = (int)n;
	if (rc >= 0 && first)
		rc = mf_store_mail_file(s->st, u->mailbox_id, first, s->diag);
	free_list(files, n);
	free(abs);
	return rc;
}

/* ---- calendars ---- */

static const char SQL_PAB_NEXT[] =
	"SELECT coalesce(max(position), -1) + 1 FROM pab_entries WHERE mailbox_id = ?1";

static int read_calendar(struct msm *s, struct msm_user *u, int64_t *n_items)
{
	struct mapped f;
	char *abs;
	int64_t file_id;
	enum mf_file_state state;
	int rc, is_sch;
	struct mf_cal_opts o;
	char owner[3 * MF_MSMX_VALUE_MAX + 16];
	int pab_pos = 0;
	struct mf_arena a = MF_ARENA_INIT;

	set_file(s, "users.csv");
	abs = resolve_at(s, u->calendar, 1, MF_ERROR, "calendar", u->csv_offset);
	if (!abs)
		return MF_OK;
	rc = map_file(s, &f, abs);
	if (rc < 0) {
		set_file(s, rel_of(s, abs));
		free(abs);
		problem(s, MF_ERROR, "msmail.file-unreadable", MF_NO_OFFSET, "%s", s->diag->msg);
		return MF_OK;
	}
	free(abs);
	{
		struct mf_rd r;
		mf_rd_init(&r, f.map.data, f.map.len);
		is_sch = mf_rd_at_ci(&r, "SCHEDULE+ EXPORT") ||
			 (!mf_rd_at_ci(&r, "SCHEDULE+2") && strlen(f.rel) > 4 &&
			  mf_strcaseeq(f.rel + strlen(f.rel) - 4, ".sch"));
	}
	if ((rc = mf_store_begin(s->st, s->diag)) < 0)
		goto out;
	if ((rc = begin_file(s, &f, "calendar", s->calcp, u->mailbox_id, &file_id, &state)) < 0)
		goto fail;
	if (state != MF_FILE_NEW && state != MF_FILE_RESUME) {
		rc = mf_store_commit(s->st, s->diag);
		goto out;
	}
	set_file(s, f.rel);
	{
		sqlite3_stmt *q = mf_store_stmt(s->st, SQL_PAB_NEXT, s->diag);
		if (!q) {
			rc = MF_ESTORE;
			goto fail;
		}
		sqlite3_bind_int64(q, 1, u->mailbox_id);
		if (sqlite3_step(q) == SQLITE_ROW)
			pab_pos = sqlite3_column_int(q, 0);
		sqlite3_reset(q);
	}
	memset(&o, 0, sizeof(o));
	snprintf(owner, sizeof(owner), "MS:%s/%s/%s", s->mx.network, s->mx.postoffice, u->mailbox);
	o.tzid = s->tz;
	o.cs = s->calcs;
	o.owner = owner;
	o.dtstamp = s->dtstamp;
	o.problem = on_problem;
	o.pctx = s;
	if (is_sch) {
		struct mf_sch p;
		const struct mf_sch_item *it;
		struct mf_sch_state ss;
		int nrc;
		memset(&ss, 0, sizeof(ss));
		mf_sch_init(&p, f.map.data, f.map.len, on_problem, s);
		mf_map_watch(&f.map, &p.rd);
		if (p.owner.len && !mf_span_eq_ci(p.owner, u->mailbox))
			problem(s, MF_WARNING, "msmail.calendar-owner", 0,
				"Schedule+ export made by %.*s, listed for %s", (int)(p.owner.len > 20 ? 20 :
				p.owner.len), (const char *)p.owner.p, u->mailbox);
		while ((nrc = mf_sch_next(&p, &it)) != MF_DONE) {
			struct mf_cal_result res;
			if (nrc != MF_OK)
				continue;
			mf_arena_reset(&a);
			if (mf_sch_convert(&res, it, &ss, &o, &a) != MF_OK)
				continue;
			res.item.mailbox_id = u->mailbox_id;
			res.item.src_file_id = file_id;
			if ((rc = mf_store_calendar_item(s->st, NULL, &res.item, s->diag)) < 0) {
				mf_sch_release(&p);
				goto fail;
			}
			(*n_items)++;
		}
		mf_sch_release(&p);
	} else {
		struct mf_sc2 p;
		const struct mf_sc2_obj *obj;
		int nrc;
		mf_sc2_init(&p, f.map.data, f.map.len, on_problem, s);
		mf_map_watch(&f.map, &p.rd);
		while ((nrc = mf_sc2_next(&p, &obj)) != MF_DONE) {
			struct mf_cal_result res;
			if (nrc != MF_OK)
				continue;
			mf_arena_reset(&a);
			if (mf_sc2_convert(&res, obj, &o, &a) != MF_OK)
				continue;
			if (res.what == MF_CAL_CONTACT) {
				res.pab.mailbox_id = u->mailbox_id;
				res.pab.src_file_id = file_id;
				res.pab.position = pab_pos++;
				rc = mf_store_pab_entry(s->st, NULL, &res.pab, s->diag);
			} else if (res.what == MF_CAL_ITEM) {
				res.item.mailbox_id = u->mailbox_id;
				res.item.src_file_id = file_id;
				rc = mf_store_calendar_item(s->st, NULL, &res.item, s->diag);
				(*n_items)++;
			}
			if (rc < 0) {
				mf_sc2_release(&p);
				goto fail;
			}
		}
		mf_sc2_release(&p);
	}
	if (s->store_failed) {
		rc = MF_ESTORE;
		goto fail;
	}
	s->stats->calendar_items += *n_items;
	if ((rc = mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag)) < 0)
		goto fail;
	rc = mf_store_commit(s->st, s->diag);
	goto out;
fail:
	mf_store_rollback(s->st);
out:
	mf_arena_release(&a);
	mf_map_close(&f.map);
	return rc;
}

/* ---- maildata/ ---- */

static int64_t file_size(const char *dir, const char *sub, const char *name)
{
	char *p = mf_xasprintf("%s/%s/%s", dir, sub, name), *real = NULL;
	struct stat sb;
	int64_t n = -1;
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/%s", sub, name);
	if (mf_path_resolve(&real, dir, rel, NULL) == MF_OK && stat(real, &sb) == 0 &&
	    S_ISREG(sb.st_mode))
		n = (int64_t)sb.st_size;
	free(real);
	free(p);
	return n;
}

/* Live records of a mailbag: MBG records minus the deleted bits of its KEY
 * (bit order unknown: both are counted, research 5.3). */
static int mailbag_live(const char *md, const char *hexid, int64_t *lsb, int64_t *msb)
{
	char rel[64], *abs = NULL;
	int64_t mbg;
	struct mf_map m;
	snprintf(rel, sizeof(rel), "%s.MBG", hexid);
	mbg = file_size(md, "MBG", rel);
	if (mbg < 0 || mbg % 116)
		return MF_ENOTFOUND;
	*lsb = *msb = mbg / 116;
	snprintf(rel, sizeof(rel), "KEY/%s.KEY", hexid);
	if (mf_path_resolve(&abs, md, rel, NULL) != MF_OK)
		return MF_OK;
	if (mf_map_open(&m, abs, NULL) == MF_OK) {
		if (m.len == 560) {
			int64_t n = mbg / 116;
			for (int64_t i = 0; i < n && i < 4096; i++) {
				unsigned char byte = m.data[48 + i / 8];
				if (byte & (1u << (i % 8)))
					(*lsb)--;
				if (byte & (0x80u >> (i % 8)))
					(*msb)--;
			}
		}
		mf_map_close(&m);
	}
	free(abs);
	return MF_OK;
}

static void check_maildata(struct msm *s)
{
	static const struct { const char *sub, *name; int64_t rec, base; } rules[] = {
		{ "GLB", "ACCESS.GLB", 586, 0 }, { "GLB", "ACCESS2.GLB", 69, 0 },
		{ "GLB", "ACCESS3.GLB", 512, 0 }, { "GLB", "CONTROL.GLB", 8, -8 },
		{ "GLB", "MASTER.GLB", 176, -176 }, { "GLB", "GROUP.GLB", 51, 4 },
		{ "GLB", "NETPO.GLB", 43, 4 }, { "GLB", "NETWORK.GLB", 122, 0 },
	};
	char *md = resolve(s, "maildata", 0, MF_INFO, "");
	int64_t users[3] = { -1, -1, -1 };
	if (!md)
		return;
	set_file(s, "maildata");
	s->mailbox_id = 0;
	for (size_t i = 0; i < MF_ARRAY_LEN(rules); i++) {
		int64_t n = file_size(md, rules[i].sub, rules[i].name);
		int bad;
		if (n < 0)
			continue;
		if (rules[i].base < 0)
			bad = n != -rules[i].base;
		else
			bad = n < rules[i].base || (n - rules[i].base) % rules[i].rec;
		if (bad)
			problem(s, MF_WARNING, "msmail.maildata-size", MF_NO_OFFSET,
				"maildata/%s/%s is %lld bytes: not %s%lld-byte records", rules[i].sub,
				rules[i].name, (long long)n, rules[i].base > 0 ? "a header and " : "",
				(long long)rules[i].rec);
		if (i < 3 && !bad)
			users[i] = n / rules[i].rec;
	}
	if (users[0] >= 0 && users[1] >= 0 && users[2] >= 0 &&
	    (users[0] != users[1] || users[1] != users[2]))
		problem(s, MF_WARNING, "msmail.maildata-users", MF_NO_OFFSET,
			"ACCESS.GLB, ACCESS2.GLB and ACCESS3.GLB hold %lld, %lld and %lld user "
			"records; they should agree", (long long)users[0], (long long)users[1],
			(long long)users[2]);
	for (size_t i = 0; i < s->n_users; i++) {
		struct msm_user *u = &s->users[i];
		int64_t lsb, msb;
		if (!u->mailbox_id || !u->hexid || !*u->hexid)
			continue;
		if (mailbag_live(md, u->hexid, &lsb, &msb) != MF_OK)
			continue;
		if (u->inbox_messages >= 0 && lsb != u->inbox_messages && msb != u->inbox_messages) {
			s->mailbox_id = u->mailbox_id;
			problem(s, MF_WARNING, "msmail.maildata-count", MF_NO_OFFSET,
				"mailbag %s.MBG of %s holds %lld live headers, inbox.mmff %lld messages",
				u->hexid, u->mailbox, (long long)lsb, (long long)u->inbox_messages);
			s->mailbox_id = 0;
		}
	}
	free(md);
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

static void user_free(struct msm_user *u)
{
	free(u->mailbox);
	free(u->full_name);
	free(u->dir_name);
	free(u->mail_dir);
	free(u->calendar);
	free(u->hexid);
}

static int msmail_import(struct mf_store *st, const char *path,
			 const struct mf_import_opts *opts, struct mf_import_stats *stats,
			 struct mf_diag *diag)
{
	struct msm s;
	struct mf_source_info src;
	struct mapped man;
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

	/* Fewer, larger WAL checkpoints while importing (each one syncs the
	 * database file); the default comes back at the end. */
	mf_store_exec(st, "PRAGMA wal_autocheckpoint = 65536", NULL);
	mf_store_exec(st, "PRAGMA cache_size = -16384", NULL);
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
	if ((rc = map_file(&s, &man, abs)) < 0)
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

	/* the directory, in one transaction */
	if ((rc = mf_store_begin(st, diag)) < 0)
		goto out;
	{
		int64_t fid;
		enum mf_file_state state;
		if ((rc = begin_file(&s, &man, "manifest", "ASCII", 0, &fid, &state)) < 0)
			goto fail;
		if (state == MF_FILE_NEW || state == MF_FILE_RESUME) {
			set_file(&s, man.rel);
			mf_msmx_parse(&s.mx, man.map.data, man.map.len, on_problem, &s);
			if ((rc = mf_store_file_end(st, fid, "done", 0, 0, diag)) < 0)
				goto fail;
		}
	}
	if ((rc = store_po(&s, s.mx.postoffice, s.mx.network, "local", NULL)) < 0)
		goto fail;
	if ((rc = read_directory(&s)) < 0)
		goto fail;
	if (s.store_failed) {
		rc = mf_store_fail(st, diag, "cannot store a problem");
		goto fail;
	}
	if ((rc = mf_store_commit(st, diag)) < 0)
		goto out;

	/* mail and calendars, one mailbox at a time */
	mf_progress_begin(&s.progress, "msmail", 0, 0, opts->quiet);
	for (size_t i = 0; i < s.n_users; i++) {
		struct msm_user *u = &s.users[i];
		int64_t msgs = 0, items = 0;
		int folders = 0;
		if (!u->mailbox_id)
			continue;
		s.mailbox_id = u->mailbox_id;
		if (u->in_csv && u->mail_dir && *u->mail_dir) {
			if ((rc = read_mail(&s, u, &msgs, &folders)) < 0)
				goto out;
		}
		if (u->in_csv && u->calendar && *u->calendar) {
			if ((rc = read_calendar(&s, u, &items)) < 0)
				goto out;
		}
		if (s.store_failed) {
			rc = mf_store_fail(st, diag, "cannot store a problem");
			goto out;
		}
		if (!opts->quiet)
			mf_progress_note(&s.progress, "%s: %lld messages in %d folders, %lld calendar items%s",
					 u->mailbox, (long long)msgs, folders, (long long)items,
					 !u->in_csv ? " (no users.csv row: no mail)"
					 : !u->mail_dir || !*u->mail_dir ? " (no mail exported)" : "");
	}
	mf_progress_end(&s.progress);
	s.mailbox_id = 0;
	check_maildata(&s);
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
	for (size_t i = 0; i < s.n_users; i++)
		user_free(&s.users[i]);
	free(s.users);
	dmap_release(&s.dir);
	clear_pending(&s);
	free(s.pend);
	mf_arena_release(&s.arena);
	mf_buf_release(&s.conv);
	mf_buf_release(&s.body);
	mf_charset_free(&s.cs);
	mf_charset_free(&s.calcs);
	free(s.root);
	mf_store_exec(st, "PRAGMA wal_autocheckpoint = 1000", NULL);
	mf_store_exec(st, "PRAGMA cache_size = -2048", NULL);
	return rc;
}

const struct mf_importer mf_importer_msmail = {
	.name = "msmail",
	.summary = "MS Mail export bundle (MSMX v1): folder with MSMX.TXT",
	.probe = msmail_probe,
	.import = msmail_import,
};
