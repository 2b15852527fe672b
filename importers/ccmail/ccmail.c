/* SPDX-License-Identifier: MIT */
/*
 * ccmail.c: the cc:Mail importer.  Reads an export set (CCMX v1, see
 * shared/formats/ccmail-export-set.md) or one message export file into the
 * staging store.
 *
 * Order of work: manifest -> directory (users get their mailboxes) ->
 * USERS.CSV (mailboxes and bulletin boards) -> LISTS.TXT -> the directory
 * is loaded into memory for address resolution -> private directories ->
 * every message file, one message parsed, staged and released at a time,
 * one transaction per MF_IMPORT_BATCH messages.
 *
 * Each file is registered by its sha256 (mf_store_file_begin): a file
 * already imported is skipped, an interrupted one resumes.  Everything
 * guessed, repaired or skipped becomes a problem row with the file and
 * byte offset (codes in docs/problems.md).
 */
#include "engine/importer.h"
#include "importers/ccmail/ccmail_dir.h"
#include "importers/ccmail/ccmail_msg.h"
#include "core/addr.h"
#include "core/alias.h"
#include "core/buf.h"
#include "core/charset.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/progress.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- problems collected while parsing ---- */

struct pending {
	enum mf_severity sev;
	const char *code;            /* static */
	uint64_t offset;
	char *text;                  /* owned */
};

/* ---- the directory in memory, for address resolution ---- */

struct dent {
	int64_t id;
	char kind[12];
	char *name, *display, *atype, *addr, *po;
	int64_t alias_of;
	uint32_t next_name, next_addr;   /* chains: index + 1, 0 = end */
};

struct dirmap {
	struct dent *e;
	size_t n, cap;
	uint32_t *by_name, *by_addr;     /* buckets: index + 1 */
	size_t nb;
	struct mf_arena strings;
};

struct imp {
	struct mf_store *st;
	const struct mf_import_opts *opts;
	struct mf_import_stats *stats;
	struct mf_diag *diag;
	char *root;                      /* realpath of the set folder (or file's folder) */
	int64_t source_id;
	char po[CCX_VALUE_MAX * 4];      /* local post office (UTF-8) */
	const char *cp;                  /* canonical code page */
	struct mf_charset *cs;
	char tz[CCX_VALUE_MAX];
	enum mf_date_order order;
	struct dirmap dir;
	struct pending *pend;
	size_t npend, cappend;
	struct mf_arena arena;           /* per message */
	struct mf_buf *bodies;           /* text buffers reused per message */
	size_t nbodies;
	struct mf_buf sample;            /* text sample for the code page check */
	char **used;                     /* files already read by this import */
	size_t nused;
};

static void pend_fn(void *payload, enum mf_severity sev, const char *code,
		    uint64_t offset, const char *text)
{
	struct imp *im = payload;
	if (im->npend == im->cappend) {
		im->cappend = im->cappend ? im->cappend * 2 : 16;
		im->pend = mf_xreallocarray(im->pend, im->cappend, sizeof(*im->pend));
	}
	im->pend[im->npend].sev = sev;
	im->pend[im->npend].code = code;
	im->pend[im->npend].offset = offset;
	im->pend[im->npend].text = mf_xstrdup(text);
	im->npend++;
}

static void pend_clear(struct imp *im)
{
	for (size_t i = 0; i < im->npend; i++)
		free(im->pend[i].text);
	im->npend = 0;
}

/* Record the pending problems against file/mailbox/message. */
static int pend_flush(struct imp *im, const char *file, int64_t mailbox_id,
		      int64_t message_id, const char *item)
{
	int rc = MF_OK;
	for (size_t i = 0; i < im->npend && rc >= 0; i++) {
		struct mf_problem p;
		memset(&p, 0, sizeof(p));
		p.severity = im->pend[i].sev;
		p.code = im->pend[i].code;
		p.file = file;
		p.offset = (int64_t)im->pend[i].offset;
		p.mailbox_id = mailbox_id;
		p.message_id = message_id;
		p.item = item;
		p.text = im->pend[i].text;
		rc = mf_store_problem(im->st, &p, im->diag);
	}
	pend_clear(im);
	return rc;
}

static int problemf(struct imp *im, enum mf_severity sev, const char *code,
		    const char *file, int64_t offset, int64_t mailbox_id,
		    const char *fmt, ...) MF_ATTR_PRINTF(7, 8);
static int problemf(struct imp *im, enum mf_severity sev, const char *code,
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
static char *to_utf8(struct imp *im, struct mf_span s, struct mf_arena *a)
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

static struct mf_span cspan(const char *s)
{
	struct mf_span r = { (const unsigned char *)s, s ? strlen(s) : 0 };
	return r;
}

/* "Lindqvist, Anna" -> "Anna Lindqvist"; other names as they are. */
static char *display_of(const char *name, struct mf_arena *a)
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

static void split_names(const char *name, struct mf_arena *a, char **given, char **sur)
{
	const char *g, *s;
	size_t gl, sl;
	mf_name_split(name, &g, &gl, &s, &sl);
	*given = gl ? mf_arena_strndup(a, g, gl) : NULL;
	*sur = sl ? mf_arena_strndup(a, s, sl) : NULL;
}

static char *strf(struct mf_arena *a, const char *fmt, ...) MF_ATTR_PRINTF(2, 3);
static char *strf(struct mf_arena *a, const char *fmt, ...)
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

/* ---- the in-memory directory ---- */

static uint32_t hash_ci(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static void dirmap_release(struct dirmap *d)
{
	free(d->e);
	free(d->by_name);
	free(d->by_addr);
	mf_arena_release(&d->strings);
	memset(d, 0, sizeof(*d));
}

static const char SQL_DIR_LOAD[] =
	"SELECT id, kind, name, ifnull(display_name, name), address_type, address, postoffice, "
	"ifnull(alias_of, 0) FROM dir_entries WHERE source_id = ?1 ORDER BY id";

static int dirmap_load(struct imp *im)
{
	struct dirmap *d = &im->dir;
	sqlite3_stmt *s;
	int rc;

	dirmap_release(d);
	s = mf_store_stmt(im->st, SQL_DIR_LOAD, im->diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, im->source_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct dent *e;
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 64;
			d->e = mf_xreallocarray(d->e, d->cap, sizeof(*d->e));
		}
		e = &d->e[d->n++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(s, 0);
		snprintf(e->kind, sizeof(e->kind), "%s", (const char *)sqlite3_column_text(s, 1));
		e->name = (char *)mf_store_col_text(s, 2, &d->strings);
		e->display = (char *)mf_store_col_text(s, 3, &d->strings);
		e->atype = (char *)mf_store_col_text(s, 4, &d->strings);
		e->addr = (char *)mf_store_col_text(s, 5, &d->strings);
		e->po = (char *)mf_store_col_text(s, 6, &d->strings);
		e->alias_of = sqlite3_column_int64(s, 7);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(im->st, im->diag, "cannot load the directory");
	d->nb = 64;
	while (d->nb < d->n * 2)
		d->nb *= 2;
	d->by_name = mf_xcalloc(d->nb, sizeof(uint32_t));
	d->by_addr = mf_xcalloc(d->nb, sizeof(uint32_t));
	for (size_t i = d->n; i-- > 0;) {   /* chains keep file order */
		struct dent *e = &d->e[i];
		uint32_t h = hash_ci(e->name ? e->name : "") & (uint32_t)(d->nb - 1);
		e->next_name = d->by_name[h];
		d->by_name[h] = (uint32_t)i + 1;
		if (e->addr && e->atype && !strcmp(e->atype, "SMTP")) {
			h = hash_ci(e->addr) & (uint32_t)(d->nb - 1);
			e->next_addr = d->by_addr[h];
			d->by_addr[h] = (uint32_t)i + 1;
		}
	}
	return MF_OK;
}

static struct dent *dirmap_by_id(struct dirmap *d, int64_t id)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (d->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->e[lo].id == id ? &d->e[lo] : NULL;
}

static int span_eq_str_ci(struct mf_span a, const char *b)
{
	return b && mf_addr_eq_ci(a, cspan(b));
}

/*
 * Resolve a name (UTF-8) with an optional post office: the entry of that
 * name at that post office, else (no post office given) the local one,
 * else any entry of that name (names are unique across a cc:Mail
 * directory); an Internet address also matches an SMTP entry's address.
 * Aliases lead to the entry they name.
 */
static struct dent *dir_lookup(struct imp *im, struct mf_span name, struct mf_span po)
{
	struct dirmap *d = &im->dir;
	struct dent *best = NULL, *any = NULL;
	uint32_t h, i;
	char key[1024];

	if (!d->n || name.len == 0 || name.len >= sizeof(key))
		return NULL;
	memcpy(key, name.p, name.len);
	key[name.len] = '\0';
	h = hash_ci(key) & (uint32_t)(d->nb - 1);
	for (i = d->by_name[h]; i; i = d->e[i - 1].next_name) {
		struct dent *e = &d->e[i - 1];
		if (!span_eq_str_ci(name, e->name))
			continue;
		if (!any)
			any = e;
		if (po.len ? span_eq_str_ci(po, e->po)
			   : (!e->po || mf_strcaseeq(e->po, im->po))) {
			best = e;
			break;
		}
	}
	if (!best)
		best = any;
	if (!best && memchr(name.p, '@', name.len)) {
		h = hash_ci(key) & (uint32_t)(d->nb - 1);
		for (i = d->by_addr[h]; i; i = d->e[i - 1].next_addr)
			if (span_eq_str_ci(name, d->e[i - 1].addr)) {
				best = &d->e[i - 1];
				break;
			}
	}
	for (int hop = 0; best && best->alias_of && hop < 4; hop++) {
		struct dent *t = dirmap_by_id(d, best->alias_of);
		if (!t)
			break;
		best = t;
	}
	return best;
}

/* ---- addresses ---- */

struct addr_out {
	const char *display, *type, *address, *raw;
	int64_t entry_id;
	int damaged;
};

/* Turn one cc:Mail address (source bytes) into staged fields. */
static void resolve_addr(struct imp *im, struct mf_span raw, struct addr_out *o,
			 struct mf_arena *a)
{
	struct mf_ccaddr ca;
	char *u = to_utf8(im, mf_span_trim(raw), a);
	struct dent *e;

	memset(o, 0, sizeof(*o));
	o->raw = u;
	if (mf_ccaddr_parse(&ca, u, strlen(u)) != MF_OK) {
		o->damaged = 1; /* the caller keeps the text as written */
		return;
	}
	e = dir_lookup(im, ca.name, ca.po);
	if (e) {
		o->entry_id = e->id;
		o->display = e->display;
		o->type = e->atype;
		o->address = e->addr;
		if (o->type || o->address)
			return;
	}
	{
		char *name = mf_arena_strndup(a, (const char *)ca.name.p, ca.name.len);
		char *po = ca.po.len ? mf_arena_strndup(a, (const char *)ca.po.p, ca.po.len) : NULL;
		if (!o->display)
			o->display = ca.internet || ca.kind == MF_CCADDR_BBOARD ? name : display_of(name, a);
		if (ca.internet) {
			o->type = "SMTP";
			o->address = name;
		} else {
			o->type = "CCMAIL";
			o->address = strf(a, "%s at %s", name, po ? po : im->po);
		}
	}
}

/* ---- folders ---- */

struct folder_map {
	const char *target;          /* NULL: skip (system folder) */
	const char *special;
	int unsent;
	int system;
};

static const struct {
	const char *source, *target, *special;
	int unsent, system;
} folder_rules[] = {
	{ "Inbox", "Inbox", "inbox", 0, 0 },
	{ "Message Log", "Sent Items", "sent", 0, 0 },
	{ "Drafts", "Drafts", "drafts", 1, 0 },
	{ "Trash", "Deleted Items", "trash", 0, 0 },
	{ "Clipboard", NULL, NULL, 0, 1 },
	{ "Stationery", NULL, NULL, 0, 1 },
	{ "Preferences", NULL, NULL, 0, 1 },
	{ "Rules", NULL, NULL, 0, 1 },
};

/* Normalise a folder value: levels separated by '\', empty levels
 * dropped.  *repaired says whether anything was dropped. */
static char *folder_path(const char *v, struct mf_arena *a, int *repaired)
{
	size_t n = strlen(v), o = 0;
	char *out = mf_arena_alloc(a, n + 1);
	int need_sep = 0;

	*repaired = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j] != '\\')
			j++;
		{
			struct mf_span lvl = mf_span_trim((struct mf_span){ (const unsigned char *)v + i, j - i });
			if (lvl.len == 0) {
				if (j < n || i < n)
					*repaired = 1;
			} else {
				if (need_sep)
					out[o++] = '\\';
				memcpy(out + o, lvl.p, lvl.len);
				o += lvl.len;
				need_sep = 1;
				if (lvl.len != j - i)
					*repaired = 1;
			}
		}
		i = j + 1;
	}
	out[o] = '\0';
	return out;
}

/* ---- message conversion ---- */

struct msg_ctx {
	struct imp *im;
	int64_t file_id, mailbox_id;
	const char *file;            /* relative path, for problems */
	struct mf_rd all;            /* the whole file */
	const char *board;           /* bulletin board folder, or NULL */
};

/* The largest value SQLite stores by default (SQLITE_MAX_LENGTH), less a margin. */
#define CCMAIL_MAX_BLOB 999000000u

/* Messages this large are hashed here, giving their pages back as it goes
 * (the store would hash them in one piece: their whole size in memory). */
#define CCMAIL_HASH_OWN ((uint64_t)64 << 20)

static int fail_text(struct imp *im, const char *file, uint64_t off, const char *what)
{
	return mf_diag_set(im->diag, MF_ETOOBIG, file, off, "%s", what);
}

static struct mf_span span_at(const struct mf_rd *all, uint64_t off, uint64_t len)
{
	struct mf_rd t = *all;
	struct mf_span s = { NULL, 0 };
	if (mf_rd_seek(&t, off) == MF_OK)
		mf_rd_bytes(&t, (size_t)len, &s);
	return s;
}

static struct mf_buf *body_buf(struct imp *im, size_t i)
{
	if (i >= im->nbodies) {
		im->bodies = mf_xreallocarray(im->bodies, i + 1, sizeof(*im->bodies));
		while (im->nbodies <= i)
			mf_buf_init(&im->bodies[im->nbodies++], MF_BUF_TEXT_MAX);
	}
	mf_buf_reset(&im->bodies[i]);
	return &im->bodies[i];
}

static void mac4(char out[5], const char in[5])
{
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)in[i];
		out[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	out[4] = '\0';
}

static int has_dot(const char *s)
{
	const char *d = strrchr(s, '.');
	return d && d[1] != '\0';
}

/* Build the staging record of a parsed message (recursively for nested
 * ones).  *nbody counts body buffers used so far. */
static int convert(struct msg_ctx *mc, const struct ccm_message *cm, int depth,
		   struct mf_message *m, size_t *nbody)
{
	struct imp *im = mc->im;
	struct mf_arena *a = &im->arena;
	const struct ccm_header *h;
	size_t nrcpt = 0, rcap = 0;
	int seen_from = 0, seen_date = 0, seen_subject = 0, seen_folder = 0;
	int seen_prio = 0, seen_status = 0, seen_receipt = 0;

	memset(m, 0, sizeof(*m));
	m->mailbox_id = mc->mailbox_id;
	m->src_file_id = mc->file_id;
	m->src_offset = (int64_t)cm->offset;
	m->src_length = (int64_t)(cm->end - cm->offset);
	m->src = span_at(&mc->all, cm->offset, cm->end - cm->offset).p;
	m->raw_header = cm->raw_header.p;
	m->raw_header_len = cm->raw_header.len;
	m->charset = im->cp;
	m->timezone = im->tz;

	for (size_t i = 0; i < cm->n_headers; i++) {
		const struct ccm_header *hd = &cm->headers[i];
		struct mf_span k = hd->keyword;
		int *seen = NULL;
		if (mf_span_eq_ci(k, "From"))
			seen = &seen_from;
		else if (mf_span_eq_ci(k, "Date"))
			seen = &seen_date;
		else if (mf_span_eq_ci(k, "Subject"))
			seen = &seen_subject;
		else if (mf_span_eq_ci(k, "Folder"))
			seen = &seen_folder;
		else if (mf_span_eq_ci(k, "Priority"))
			seen = &seen_prio;
		else if (mf_span_eq_ci(k, "Status"))
			seen = &seen_status;
		else if (mf_span_eq_ci(k, "Receipt"))
			seen = &seen_receipt;
		if (seen) {
			if (*seen)
				pend_fn(im, MF_WARNING, "ccmail.header-duplicate", hd->offset,
					"repeated header: the first one is used");
			(*seen)++;
			continue;
		}
		if (mf_span_eq_ci(k, "To") || mf_span_eq_ci(k, "Cc") || mf_span_eq_ci(k, "Bcc")) {
			struct mf_span parts[64];
			size_t n = 0;
			const char *role = mf_span_eq_ci(k, "To") ? "to" : mf_span_eq_ci(k, "Cc") ? "cc" : "bcc";
			mf_ccaddr_split(parts, MF_ARRAY_LEN(parts), &n, (const char *)hd->value.p,
					hd->value.len);
			if (n > MF_ARRAY_LEN(parts)) {
				/* too many on one line: keep the line as one raw recipient */
				parts[0] = hd->value;
				n = 1;
				pend_fn(im, MF_WARNING, "ccmail.too-many", hd->offset,
					"more than 64 addresses on one header line: kept as one");
			}
			if (n == 0) {
				pend_fn(im, MF_WARNING, "ccmail.damaged-address", hd->offset,
					"empty address line");
				continue;
			}
			for (size_t j = 0; j < n; j++) {
				struct addr_out ao;
				struct mf_recipient *rc;
				resolve_addr(im, parts[j], &ao, a);
				if (ao.damaged) {
					pend_fn(im, MF_WARNING, "ccmail.damaged-address", hd->offset,
						"address without a name (\" at PO\"): kept as written");
					if (n == 1)
						ao.raw = to_utf8(im, hd->raw_value, a);
				}
				if (nrcpt == rcap) {
					struct mf_recipient *nr;
					rcap = rcap ? rcap * 2 : 8;
					nr = mf_arena_alloc(a, rcap * sizeof(*nr));
					if (nrcpt)
						memcpy(nr, m->recipients, nrcpt * sizeof(*nr));
					m->recipients = nr;
				}
				rc = &m->recipients[nrcpt++];
				memset(rc, 0, sizeof(*rc));
				rc->role = role;
				rc->display_name = ao.display;
				rc->address_type = ao.type;
				rc->address = ao.address;
				rc->raw = ao.raw;
				rc->entry_id = ao.entry_id;
			}
		}
	}
	m->n_recipients = nrcpt;

	if ((h = ccm_header_find(cm, "From", 0))) {
		struct addr_out ao;
		resolve_addr(im, h->value, &ao, a);
		if (ao.damaged) {
			pend_fn(im, MF_WARNING, "ccmail.damaged-address", h->offset,
				"sender without a name (\" at PO\"): kept as written");
			ao.raw = to_utf8(im, h->raw_value, a);
		}
		m->sender_raw = ao.raw;
		m->sender_name = ao.display;
		m->sender_type = ao.type;
		m->sender_address = ao.address;
		m->sender_entry_id = ao.entry_id;
	} else {
		pend_fn(im, MF_WARNING, "ccmail.no-sender", cm->offset,
			"message has no From: line: sender unknown");
	}
	if ((h = ccm_header_find(cm, "Subject", 0)))
		m->subject = to_utf8(im, h->value, a);
	if ((h = ccm_header_find(cm, "Date", 0))) {
		struct mf_civil c;
		int64_t t;
		m->date_raw = to_utf8(im, h->value, a);
		if (mf_date_parse(&c, NULL, (const char *)h->value.p, h->value.len, im->order) == MF_OK &&
		    mf_tz_local_to_utc(&t, im->tz, &c) == MF_OK) {
			m->has_sent = m->has_received = 1;
			m->sent_utc = m->received_utc = t;
		} else {
			static const char *const on[] = { "mdy", "dmy", "ymd" };
			const char *other = NULL;
			for (int o = 0; o < 3 && !other; o++)
				if ((enum mf_date_order)o != im->order &&
				    mf_date_parse(&c, NULL, (const char *)h->value.p, h->value.len,
						  (enum mf_date_order)o) == MF_OK)
					other = on[o];
			pend_fn(im, MF_WARNING, "ccmail.date-invalid", h->offset,
				other ? "date is not a valid date in the set's date order (it would be in "
					"another order): staged as unknown, kept as written"
				      : "date is not a valid date: staged as unknown, kept as written");
		}
	} else if (depth == 0) {
		pend_fn(im, MF_INFO, "ccmail.no-date", cm->offset,
			"message has no Date: line: its date is unknown");
	}
	if ((h = ccm_header_find(cm, "Priority", 0))) {
		if (mf_span_eq_ci(h->value, "Urgent") || mf_span_eq_ci(h->value, "High"))
			m->priority = 1;
		else if (mf_span_eq_ci(h->value, "Low"))
			m->priority = -1;
		else if (!mf_span_eq_ci(h->value, "Normal"))
			pend_fn(im, MF_WARNING, "ccmail.bad-value", h->offset,
				"unknown Priority value: normal used");
	}
	if ((h = ccm_header_find(cm, "Status", 0))) {
		if (mf_span_eq_ci(h->value, "Unread"))
			m->unread = 1;
		else if (!mf_span_eq_ci(h->value, "Read"))
			pend_fn(im, MF_WARNING, "ccmail.bad-value", h->offset,
				"unknown Status value: read used");
	}
	if ((h = ccm_header_find(cm, "Receipt", 0))) {
		if (mf_span_eq_ci(h->value, "Yes"))
			m->receipt_requested = 1;
		else if (!mf_span_eq_ci(h->value, "No"))
			pend_fn(im, MF_WARNING, "ccmail.bad-value", h->offset,
				"unknown Receipt value: no receipt used");
	}

	/* items */
	{
		size_t nb = 0, na = 0;
		m->bodies = mf_arena_zalloc(a, (cm->n_items ? cm->n_items : 1) * sizeof(*m->bodies));
		m->attachments = mf_arena_zalloc(a, (cm->n_items ? cm->n_items : 1) * sizeof(*m->attachments));
		for (size_t i = 0; i < cm->n_items; i++) {
			const struct ccm_item *it = &cm->items[i];
			if (it->kind == CCM_ITEM_TEXT) {
				struct mf_body_part *b = &m->bodies[nb++];
				struct mf_buf *tb = body_buf(im, (*nbody)++);
				struct mf_span src = it->payload;
				size_t hl = 0, repl = 0;
				/* its UTF-8 is at least as long: say so before reading
				 * gigabytes (a 4 GiB item took minutes and its size in memory) */
				if (src.len > MF_BUF_TEXT_MAX)
					return fail_text(im, mc->file, it->payload_offset, "text item too large");
				for (size_t j = 0; j < src.len; j++)
					if (src.p[j] == 0x1E || src.p[j] == 0x1F)
						hl++;
				if (hl) {
					/* convert the runs between highlight bytes */
					size_t run = 0;
					for (size_t j = 0; j <= src.len; j++) {
						if (j == src.len || src.p[j] == 0x1E || src.p[j] == 0x1F) {
							if (j > run &&
							    mf_charset_to_utf8(im->cs, src.p + run, j - run, tb, &repl) < 0)
								return fail_text(im, mc->file, it->payload_offset,
										 "text item too large");
							run = j + 1;
						}
					}
					pend_fn(im, MF_INFO, "ccmail.highlights-removed", it->payload_offset,
						"highlight bytes (0x1E/0x1F) removed from a text item");
				} else if (mf_charset_to_utf8(im->cs, src.p, src.len, tb, &repl) < 0) {
					return fail_text(im, mc->file, it->payload_offset, "text item too large");
				}
				if (repl)
					pend_fn(im, MF_WARNING, "ccmail.charset-replacement", it->payload_offset,
						"bytes with no mapping in the code page replaced by U+FFFD; raw bytes kept");
				if (im->sample.len < 65536) {
					size_t take = src.len < 65536 - im->sample.len ? src.len : 65536 - im->sample.len;
					mf_buf_add(&im->sample, src.p, take);
				}
				b->position = (int)i;
				b->kind = mf_span_starts_ci(src, "{\\rtf") ? "rtf" : "text";
				b->title = it->title.len ? to_utf8(im, it->title, a) : NULL;
				b->text = tb->data;
				b->text_len = tb->len;
				b->raw = src.p ? (const void *)src.p : (const void *)"";
				b->raw_len = src.len;
				b->keep_raw = hl || repl;
				b->replacements = repl;
				b->highlights_removed = hl;
				b->src_offset = (int64_t)it->payload_offset;
				continue;
			}
			{
				struct mf_attachment *at = &m->attachments[na++];
				struct mf_span fname = ccm_title_filename(it->title);
				const char *name = fname.len ? to_utf8(im, fname, a) : NULL;
				at->position = (int)i;
				at->kind = ccm_item_kind_name(it->kind);
				at->title = it->title.len ? to_utf8(im, it->title, a) : NULL;
				at->body_position = -1;
				at->src_offset = (int64_t)it->payload_offset;
				if (!it->no_data) {
					at->data = it->payload.p ? (const void *)it->payload.p : (const void *)"";
					at->size = it->payload.len;
					at->has_data = 1;
				}
				switch (it->kind) {
				case CCM_ITEM_FILE: {
					struct ccm_macbin mb;
					if (at->has_data && ccm_macbin_decode(&mb, it->payload)) {
						char t4[5], c4[5];
						at->original = it->payload.p;
						at->original_size = it->payload.len;
						at->data = mb.data.p ? (const void *)mb.data.p : (const void *)"";
						at->size = mb.data.len;
						at->format = "macbinary";
						mac4(t4, mb.type);
						mac4(c4, mb.creator);
						at->mac_type = mf_arena_strdup(a, t4);
						at->mac_creator = mf_arena_strdup(a, c4);
						if (!name && mb.name.len) {
							struct mf_buf nb2;
							struct mf_charset *mac = NULL;
							mf_buf_init(&nb2, 1024);
							if (mf_charset_open(&mac, "MACINTOSH", NULL) == MF_OK) {
								mf_charset_to_utf8(mac, mb.name.p, mb.name.len, &nb2, NULL);
								mf_charset_free(&mac);
								name = mf_arena_strndup(a, nb2.data, nb2.len);
							}
							mf_buf_release(&nb2);
						}
						pend_fn(im, MF_INFO, "ccmail.macbinary", it->payload_offset,
							"MacBinary II attachment decoded: data fork staged, original kept");
					}
					if (!name)
						name = "attachment.bin";
					break;
				}
				case CCM_ITEM_FAX:
					if (!name)
						name = "fax.pcx";
					else if (!has_dot(name))
						name = strf(a, "%s.pcx", name);
					break;
				case CCM_ITEM_GRAPHICS:
					if (!name)
						name = "graphics.bin";
					break;
				case CCM_ITEM_SOUND:
					if (!name)
						name = "sound.bin";
					break;
				case CCM_ITEM_MESSAGE:
					if (it->nested) {
						struct mf_message *nm = mf_arena_zalloc(a, sizeof(*nm));
						int rc = convert(mc, it->nested, depth + 1, nm, nbody);
						if (rc < 0)
							return rc;
						at->nested = nm;
						if (!it->raw_too) {
							at->has_data = 0;
							at->data = NULL;
							at->size = 0;
						}
						if (!name)
							name = nm->subject && *nm->subject ? nm->subject
											   : "Forwarded message";
					} else if (!name) {
						name = "Forwarded message";
					}
					break;
				default:
					break;
				}
				if (at->has_data && (at->size > CCMAIL_MAX_BLOB ||
						     at->original_size > CCMAIL_MAX_BLOB)) {
					/* over SQLite's largest value: staged by name only */
					pend_fn(im, MF_ERROR, "ccmail.too-large", it->offset,
						"attachment larger than a staged value can be (999,000,000 "
						"bytes): staged without its bytes (they stay in the export)");
					at->has_data = 0;
					at->data = NULL;
					at->size = 0;
					at->original = NULL;
					at->original_size = 0;
					at->format = NULL;
				}
				at->name = name;
			}
		}
		m->n_bodies = nb;
		m->n_attachments = na;
	}
	return MF_OK;
}

/* ---- files ---- */

/* Path of f relative to the set root (for source_files.path). */
static const char *rel_of(struct imp *im, const char *real)
{
	size_t n = strlen(im->root);
	if (!strncmp(real, im->root, n) && real[n] == '/')
		return real + n + 1;
	return real;
}

static int mark_used(struct imp *im, const char *real)
{
	for (size_t i = 0; i < im->nused; i++)
		if (!strcmp(im->used[i], real))
			return 1;
	im->used = mf_xreallocarray(im->used, im->nused + 1, sizeof(*im->used));
	im->used[im->nused++] = mf_xstrdup(real);
	return 0;
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
static void hash_range(struct mf_map *map, uint64_t off, uint64_t len, char hex[MF_SHA256_HEX])
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
static int open_file(struct imp *im, const char *real, const char *role, int64_t mailbox_id,
		     struct mf_map *map_out, int64_t *file_id_out,
		     enum mf_file_state *state_out)
{
	char sha[MF_SHA256_HEX];
	const char *rel = rel_of(im, real);
	int rc;

	rc = mf_map_open(map_out, real, im->diag);
	if (rc < 0 && (!strcmp(role, "mail") || !strcmp(role, "bboard") || !strcmp(role, "pab"))) {
		/* one mailbox's file (a folder, a FIFO, unreadable): that
		 * mailbox loses its mail, recorded; the rest of the set goes on */
		char why[sizeof(im->diag->msg)];
		snprintf(why, sizeof(why), "%s", im->diag->msg);
		mf_diag_clear(im->diag);
		*state_out = MF_FILE_CHANGED;
		rc = problemf(im, MF_ERROR, "ccmail.file-unreadable", rel, -1, mailbox_id,
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
		rc = problemf(im, MF_ERROR, "ccmail.file-changed", rel, 0, mailbox_id,
			      "file differs from the one imported earlier into this database "
			      "(sha256 changed): not imported again");
		return rc < 0 ? rc : MF_SKIP;
	}
	im->stats->files++;
	im->stats->bytes += (int64_t)map_out->len;
	return MF_OK;
}

/* ---- message files ---- */

static int is_system_folder(const char *path, const char **which)
{
	for (size_t i = 0; i < MF_ARRAY_LEN(folder_rules); i++) {
		size_t n = strlen(folder_rules[i].source);
		if (folder_rules[i].system && !strncasecmp(path, folder_rules[i].source, n) &&
		    (path[n] == '\0' || path[n] == '\\')) {
			*which = folder_rules[i].source;
			return 1;
		}
	}
	return 0;
}

struct fcache {
	char *path;
	int64_t id;
};

static int folder_for(struct imp *im, struct msg_ctx *mc, const struct ccm_message *cm,
		      struct mf_message *m, struct fcache *fc, size_t *nfc, int *skip)
{
	const struct ccm_header *h = ccm_header_find(cm, "Folder", 0);
	const char *path = "Inbox", *target, *special = NULL, *source;
	int repaired = 0, rc;

	*skip = 0;
	if (mc->board) {
		path = mc->board;
	} else if (h) {
		char *v = to_utf8(im, h->value, &im->arena);
		path = folder_path(v, &im->arena, &repaired);
		if (repaired)
			pend_fn(im, MF_WARNING, "ccmail.folder-repaired", h->offset,
				"empty folder levels or blanks around '\\' removed");
		if (!*path)
			path = "Inbox";
	}
	source = path;
	target = path;
	if (!mc->board) {
		const char *sys;
		for (size_t i = 0; i < MF_ARRAY_LEN(folder_rules); i++) {
			if (!folder_rules[i].system && mf_strcaseeq(path, folder_rules[i].source)) {
				target = folder_rules[i].target;
				special = folder_rules[i].special;
				m->unsent = folder_rules[i].unsent;
				break;
			}
		}
		if (is_system_folder(path, &sys)) {
			if (!im->opts->keep_system_folders) {
				pend_fn(im, MF_INFO, "ccmail.system-folder", cm->offset,
					"message in a client system folder skipped "
					"(--keep-system-folders keeps it)");
				*skip = 1;
				return MF_OK;
			}
		}
	}
	for (size_t i = 0; i < *nfc; i++)
		if (!strcmp(fc[i].path, target)) {
			m->folder_id = fc[i].id;
			return MF_OK;
		}
	rc = mf_store_folder(im->st, &m->folder_id, mc->mailbox_id, target, source, special,
			     im->diag);
	if (rc < 0)
		return rc;
	if (*nfc < 64) {
		fc[*nfc].path = mf_xstrdup(target);
		fc[*nfc].id = m->folder_id;
		(*nfc)++;
	}
	return MF_OK;
}

/* Import one message export file for a mailbox. */
static int import_messages(struct imp *im, const char *real, const char *role,
			   int64_t mailbox_id, const char *label, const char *board)
{
	struct mf_map map;
	struct ccm_parser p;
	struct msg_ctx mc;
	struct mf_progress pg;
	enum mf_file_state state;
	struct fcache fc[64];
	size_t nfc = 0;
	int64_t file_id = 0, staged = 0, skipped = 0, in_batch = 0;
	uint64_t released = 0;
	int rc;
	const char *rel = rel_of(im, real);

	rc = open_file(im, real, role, mailbox_id, &map, &file_id, &state);
	if (rc == MF_SKIP) {
		if (state == MF_FILE_DONE)
			return mf_store_mail_file(im->st, mailbox_id, file_id, im->diag);
		return MF_OK;
	}
	if (rc < 0)
		return rc;
	if ((rc = mf_store_mail_file(im->st, mailbox_id, file_id, im->diag)) < 0)
		goto out;
	memset(&mc, 0, sizeof(mc));
	mc.im = im;
	mc.file_id = file_id;
	mc.mailbox_id = mailbox_id;
	mc.file = rel;
	mc.board = board;
	mf_rd_init(&mc.all, map.data, map.len);
	mf_buf_reset(&im->sample);
	ccm_parser_init(&p, map.data, map.len, pend_fn, im);
	mf_map_watch(&map, &p.rd);
	mf_progress_begin(&pg, label, 0, (int64_t)map.len, im->opts->quiet);
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	for (;;) {
		struct ccm_message cm;
		struct mf_message m;
		int64_t id = 0;
		size_t nbody = 0;
		int skip;
		char item[64];

		mf_arena_reset(&im->arena);
		rc = ccm_parser_next(&p, &cm, &im->arena);
		if (rc == MF_DONE)
			break;
		snprintf(item, sizeof(item), "message at offset %llu", (unsigned long long)cm.offset);
		if (rc == MF_SKIP) {
			skipped++;
			im->stats->messages_skipped++;
			if ((rc = pend_flush(im, rel, mailbox_id, 0, item)) < 0)
				goto fail;
			continue;
		}
		if (state == MF_FILE_RESUME) {
			rc = mf_store_message_exists(im->st, file_id, (int64_t)cm.offset, im->diag);
			if (rc < 0)
				goto fail;
			if (rc == 1) {
				staged++;
				pend_clear(im);
				continue;
			}
		}
		rc = convert(&mc, &cm, 0, &m, &nbody);
		if (rc < 0) {
			/* a text too large for memory: skip the message, go on */
			pend_fn(im, MF_ERROR, "ccmail.message-damaged", cm.offset, im->diag->msg);
			mf_diag_clear(im->diag);
			skipped++;
			im->stats->messages_skipped++;
			if ((rc = pend_flush(im, rel, mailbox_id, 0, item)) < 0)
				goto fail;
			continue;
		}
		if ((rc = folder_for(im, &mc, &cm, &m, fc, &nfc, &skip)) < 0)
			goto fail;
		if (skip) {
			if ((rc = pend_flush(im, rel, mailbox_id, 0, item)) < 0)
				goto fail;
			continue;
		}
		if (cm.end - cm.offset > CCMAIL_HASH_OWN) {
			char *sha = mf_arena_alloc(&im->arena, MF_SHA256_HEX);
			hash_range(&map, cm.offset, cm.end - cm.offset, sha);
			m.src_sha256 = sha;
		}
		if ((rc = mf_store_message(im->st, &id, &m, im->diag)) < 0)
			goto fail;
		if ((rc = pend_flush(im, rel, mailbox_id, id, NULL)) < 0)
			goto fail;
		staged++;
		im->stats->messages++;
		if (++in_batch >= MF_IMPORT_BATCH) {
			in_batch = 0;
			if ((rc = mf_store_commit(im->st, im->diag)) < 0 ||
			    (rc = mf_store_begin(im->st, im->diag)) < 0)
				goto fail;
			mf_progress_update(&pg, staged, (int64_t)cm.end);
		}
		if (cm.end - released > (4u << 20)) {
			mf_map_release_before(&map, cm.end);
			released = cm.end;
		}
	}
	/* what the parser reported after the last message (a file holding no
	 * message at all, trailing bytes) belongs to this file, not the next */
	if ((rc = pend_flush(im, rel, mailbox_id, 0, NULL)) < 0)
		goto fail;
	{
		const char *why = mf_charset_suspect(im->cp, im->sample.data, im->sample.len);
		if (why && (rc = problemf(im, MF_WARNING, "ccmail.codepage-suspect", rel, 0, mailbox_id,
					  "code page %s declared, but %s", im->cp, why)) < 0)
			goto fail;
	}
	if ((rc = mf_store_file_end(im->st, file_id, "done", staged, skipped, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	mf_progress_end(&pg);
	if (skipped)
		mf_progress_note(&pg, "%s: %lld messages, %lld damaged and skipped (%s)", label,
				 (long long)staged, (long long)skipped, rel);
	else
		mf_progress_note(&pg, "%s: %lld messages (%s)", label, (long long)staged, rel);
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	pend_clear(im);
	mf_progress_end(&pg);
out:
	for (size_t i = 0; i < nfc; i++)
		free(fc[i].path);
	mf_map_close(&map);
	return rc;
}

/* ---- directory ---- */

struct alias_todo {
	int64_t id;
	char *target;
	uint64_t offset;
};

static const char SQL_DIR_FIND[] =
	"SELECT id FROM dir_entries WHERE source_id = ?1 AND name = ?2 COLLATE NOCASE "
	"AND kind != 'alias' ORDER BY id LIMIT 1";
static const char SQL_DIR_EXISTS[] =
	"SELECT 1 FROM dir_entries WHERE source_id = ?1 AND name = ?2 COLLATE NOCASE "
	"AND kind IN ('user', 'custom', 'postoffice') LIMIT 1";
static const char SQL_ALIAS_SET[] = "UPDATE dir_entries SET alias_of = ?2 WHERE id = ?1";

/* 1 when a non-alias entry of that name exists, 0 when not, <0 error;
 * *id_out gets it. */
static int dir_find(struct imp *im, const char *sql, const char *name, int64_t *id_out)
{
	sqlite3_stmt *s = mf_store_stmt(im->st, sql, im->diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, im->source_id);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && id_out)
		*id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mf_store_fail(im->st, im->diag, "cannot look up directory entry");
}

/* "HQPO" / "SMTPLINK jdoe@example.com": the post office and the rest. */
static void split_addr(struct mf_span addr, struct mf_span *po, struct mf_span *rest)
{
	size_t i = 0;
	addr = mf_span_trim(addr);
	while (i < addr.len && addr.p[i] != ' ' && addr.p[i] != '\t')
		i++;
	po->p = addr.p;
	po->len = i;
	rest->p = addr.p + i;
	rest->len = addr.len - i;
	*rest = mf_span_trim(*rest);
}

static int span_has(struct mf_span s, unsigned char c)
{
	return s.len && memchr(s.p, c, s.len) != NULL;
}

static int stage_directory(struct imp *im, const char *real)
{
	struct mf_map map;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id;
	struct alias_todo *al = NULL;
	size_t nal = 0;
	char **gw = NULL;
	size_t ngw = 0;
	const char *rel = rel_of(im, real);
	int rc;

	rc = open_file(im, real, "directory", 0, &map, &file_id, &state);
	if (rc == MF_SKIP)
		return MF_OK;
	if (rc < 0)
		return rc;
	/* pass 1: gateway post offices (entries holding Internet addresses) */
	ccx_recs_init(&recs, map.data, map.len, "directory", NULL, NULL);
	mf_map_watch(&map, &recs.rd);
	while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
		const struct ccx_field *a = ccx_record_get(&rec, "Addr");
		struct mf_span po, rest;
		if (!a)
			continue;
		split_addr(a->value, &po, &rest);
		if (po.len && span_has(rest, '@')) {
			char *n = to_utf8(im, po, &ra);
			size_t i;
			for (i = 0; i < ngw; i++)
				if (mf_strcaseeq(gw[i], n))
					break;
			if (i == ngw) {
				gw = mf_xreallocarray(gw, ngw + 1, sizeof(*gw));
				gw[ngw++] = mf_xstrdup(n);
			}
		}
		mf_arena_reset(&ra);
	}
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	if ((rc = mf_store_postoffice(im->st, NULL, im->source_id, im->po, NULL, "local", NULL,
				      NULL, im->diag)) < 0)
		goto fail;
	for (size_t i = 0; i < ngw; i++)
		if ((rc = mf_store_postoffice(im->st, NULL, im->source_id, gw[i], NULL, "gateway",
					      "SMTP", NULL, im->diag)) < 0)
			goto fail;

	ccx_recs_init(&recs, map.data, map.len, "directory", pend_fn, im);
	mf_map_watch(&map, &recs.rd);
	while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
		const struct ccx_field *fn = ccx_record_get(&rec, "Name");
		const struct ccx_field *fl = ccx_record_get(&rec, "Locn");
		const struct ccx_field *fa = ccx_record_get(&rec, "Addr");
		const struct ccx_field *fc = ccx_record_get(&rec, "Comments");
		struct mf_dir_entry e;
		char *name, *given, *sur;
		int64_t eid = 0, mbid = 0;
		char c = 0;

		pend_flush(im, rel, 0, 0, NULL); /* syntax problems of the record */
		if (!fn || fn->value.len == 0) {
			problemf(im, MF_WARNING, "ccmail.dir-no-name", rel, (int64_t)rec.offset, 0,
				 "directory record without a Name: ignored");
			mf_arena_reset(&ra);
			continue;
		}
		name = to_utf8(im, fn->value, &ra);
		split_names(name, &ra, &given, &sur);
		memset(&e, 0, sizeof(e));
		e.name = name;
		e.display_name = display_of(name, &ra);
		e.given_name = given;
		e.surname = sur;
		e.location = fl ? to_utf8(im, fl->value, &ra) : NULL;
		e.comments = fc && fc->value.len ? to_utf8(im, fc->value, &ra) : NULL;
		e.src_file_id = file_id;
		e.src_offset = (int64_t)rec.offset;
		e.raw = rec.raw.p;
		e.raw_len = rec.raw.len;
		if (fl && fl->value.len == 1)
			c = (char)fl->value.p[0];
		if (!strchr("LRlr", c ? c : '-')) {
			/* post offices and aliases are not people */
			e.given_name = e.surname = NULL;
			e.display_name = name;
		}
		if ((rc = dir_find(im, SQL_DIR_EXISTS, name, NULL)) < 0)
			goto fail;
		if (rc == 1 && c != 'A' && c != 'a')
			problemf(im, MF_WARNING, "ccmail.dir-duplicate", rel, (int64_t)rec.offset, 0,
				 "name '%s' is already in the directory: both entries kept", name);
		switch (c) {
		case 'L':
		case 'R': {
			struct mf_mailbox mb;
			memset(&mb, 0, sizeof(mb));
			mb.kind = "mailbox";
			mb.name = name;
			mb.display_name = e.display_name;
			mb.given_name = given;
			mb.surname = sur;
			mb.address_type = "CCMAIL";
			mb.source_address = strf(&ra, "CCMAIL:%s at %s", name, im->po);
			mb.in_directory = 1;
			mb.comments = e.comments;
			if ((rc = mf_store_mailbox(im->st, &mbid, NULL, im->source_id, &mb, im->diag)) < 0)
				goto fail;
			e.kind = "user";
			e.address_type = "CCMAIL";
			e.address = strf(&ra, "%s at %s", name, im->po);
			e.postoffice = im->po;
			e.mailbox_id = mbid;
			break;
		}
		case 'l':
		case 'r': {
			struct mf_span po = { NULL, 0 }, rest = { NULL, 0 };
			e.kind = "custom";
			if (fa)
				split_addr(fa->value, &po, &rest);
			if (!po.len) {
				problemf(im, MF_WARNING, "ccmail.dir-bad-addr", rel, (int64_t)rec.offset, 0,
					 "user of another post office without an Addr: post office unknown");
				e.address_type = "CCMAIL";
				e.address = name;
				break;
			}
			e.postoffice = to_utf8(im, po, &ra);
			if (span_has(rest, '@')) {
				e.address_type = "SMTP";
				e.address = to_utf8(im, rest, &ra);
			} else {
				/* the foreign alias name, when there is one, is the
				 * name the user has at that post office */
				e.address_type = "CCMAIL";
				e.address = strf(&ra, "%s at %s", rest.len ? to_utf8(im, rest, &ra) : name,
						 e.postoffice);
			}
			break;
		}
		case 'P':
		case 'p': {
			int is_gw = 0;
			for (size_t i = 0; i < ngw; i++)
				if (mf_strcaseeq(gw[i], name))
					is_gw = 1;
			e.kind = "postoffice";
			e.postoffice = name;
			if (!mf_strcaseeq(name, im->po) &&
			    (rc = mf_store_postoffice(im->st, NULL, im->source_id, name, NULL,
						      is_gw ? "gateway" : "remote", is_gw ? "SMTP" : NULL,
						      e.comments, im->diag)) < 0)
				goto fail;
			break;
		}
		case 'A':
		case 'a':
			e.kind = "alias";
			e.address_type = "CCMAIL";
			e.address = strf(&ra, "%s at %s", name, im->po);
			e.postoffice = im->po;
			break;
		default:
			problemf(im, MF_WARNING, "ccmail.dir-bad-locn", rel, (int64_t)rec.offset, 0,
				 "directory entry '%s' has no known Locn code: kept as a custom recipient",
				 name);
			e.kind = "custom";
			e.address_type = "CCMAIL";
			e.address = strf(&ra, "%s at %s", name, im->po);
			break;
		}
		if ((rc = mf_store_dir_entry(im->st, &eid, im->source_id, &e, im->diag)) < 0)
			goto fail;
		im->stats->dir_entries++;
		if (c == 'A' || c == 'a') {
			al = mf_xreallocarray(al, nal + 1, sizeof(*al));
			al[nal].id = eid;
			al[nal].target = fa && fa->value.len ? to_utf8(im, fa->value, &ra) : NULL;
			if (al[nal].target)
				al[nal].target = mf_xstrdup(al[nal].target);
			al[nal].offset = rec.offset;
			nal++;
		}
		mf_arena_reset(&ra);
	}
	if ((rc = pend_flush(im, rel, 0, 0, NULL)) < 0)
		goto fail;
	for (size_t i = 0; i < nal; i++) {
		int64_t target = 0;
		sqlite3_stmt *s;
		if (al[i].target && (rc = dir_find(im, SQL_DIR_FIND, al[i].target, &target)) < 0)
			goto fail;
		if (!target) {
			problemf(im, MF_WARNING, "ccmail.alias-unresolved", rel, (int64_t)al[i].offset, 0,
				 "alias names '%s', which is not in the directory",
				 al[i].target ? al[i].target : "");
			continue;
		}
		if (!(s = mf_store_stmt(im->st, SQL_ALIAS_SET, im->diag))) {
			rc = MF_ESTORE;
			goto fail;
		}
		sqlite3_bind_int64(s, 1, al[i].id);
		sqlite3_bind_int64(s, 2, target);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			rc = mf_store_fail(im->st, im->diag, "cannot store alias");
			goto fail;
		}
	}
	if ((rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	pend_clear(im);
out:
	for (size_t i = 0; i < nal; i++)
		free(al[i].target);
	free(al);
	for (size_t i = 0; i < ngw; i++)
		free(gw[i]);
	free(gw);
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- mailing lists (LISTS.TXT) ---- */

/* Resolve a list member written as an address; 0 when not found. */
static int64_t member_entry(struct imp *im, struct mf_span raw, struct mf_arena *a)
{
	struct addr_out ao;
	resolve_addr(im, raw, &ao, a);
	return ao.entry_id;
}

static int stage_lists(struct imp *im, const char *real)
{
	struct mf_map map;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id, *ids = NULL;
	size_t nids = 0;
	const char *rel = rel_of(im, real);
	int rc;

	rc = open_file(im, real, "lists", 0, &map, &file_id, &state);
	if (rc == MF_SKIP)
		return MF_OK;
	if (rc < 0)
		return rc;
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	/* pass 1: the lists themselves, so members may name other lists */
	ccx_recs_init(&recs, map.data, map.len, "list", pend_fn, im);
	mf_map_watch(&map, &recs.rd);
	while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
		const struct ccx_field *fn = ccx_record_get(&rec, "List");
		const struct ccx_field *fc = ccx_record_get(&rec, "Comments");
		struct mf_dir_entry e;
		int64_t eid = 0;
		ids = mf_xreallocarray(ids, nids + 1, sizeof(*ids));
		ids[nids++] = 0;
		if (!fn || !fn->value.len) {
			problemf(im, MF_WARNING, "ccmail.dir-no-name", rel, (int64_t)rec.offset, 0,
				 "list record without a List: name ignored");
			mf_arena_reset(&ra);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.kind = "list";
		e.name = to_utf8(im, fn->value, &ra);
		e.display_name = e.name;
		e.address_type = "CCMAIL";
		e.address = strf(&ra, "%s at %s", e.name, im->po);
		e.postoffice = im->po;
		e.comments = fc && fc->value.len ? to_utf8(im, fc->value, &ra) : NULL;
		e.src_file_id = file_id;
		e.src_offset = (int64_t)rec.offset;
		e.raw = rec.raw.p;
		e.raw_len = rec.raw.len;
		if ((rc = mf_store_dir_entry(im->st, &eid, im->source_id, &e, im->diag)) < 0)
			goto fail;
		im->stats->dir_entries++;
		ids[nids - 1] = eid;
		mf_arena_reset(&ra);
	}
	if ((rc = pend_flush(im, rel, 0, 0, NULL)) < 0 || (rc = dirmap_load(im)) < 0)
		goto fail;
	/* pass 2: members */
	ccx_recs_init(&recs, map.data, map.len, "list", NULL, NULL);
	mf_map_watch(&map, &recs.rd);
	for (size_t k = 0; k < nids && ccx_recs_next(&recs, &rec, &ra) == MF_OK; k++) {
		int pos = 0;
		if (!ids[k]) {
			mf_arena_reset(&ra);
			continue;
		}
		for (size_t i = 0; i < rec.n_fields; i++) {
			const struct ccx_field *f = &rec.fields[i];
			int64_t eid;
			char *addr;
			if (!mf_span_eq_ci(f->label, "Member"))
				continue;
			addr = to_utf8(im, f->value, &ra);
			eid = member_entry(im, f->value, &ra);
			if (!eid)
				problemf(im, MF_WARNING, "ccmail.list-member-unresolved", rel,
					 (int64_t)f->offset, 0,
					 "list member '%s' is not in the directory: kept as written", addr);
			if ((rc = mf_store_list_member(im->st, ids[k], pos++, addr, eid, im->diag)) < 0)
				goto fail;
		}
		mf_arena_reset(&ra);
	}
	if ((rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	pend_clear(im);
out:
	free(ids);
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- private directories ---- */

struct pabname {
	char *name;
	int64_t id;
};

static int stage_pab(struct imp *im, const char *real, int64_t mailbox_id)
{
	struct mf_map map;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id;
	struct pabname *names = NULL;
	size_t nnames = 0;
	const char *rel = rel_of(im, real);
	int rc, pos, pass;

	rc = open_file(im, real, "pab", mailbox_id, &map, &file_id, &state);
	if (rc == MF_SKIP)
		return MF_OK;
	if (rc < 0)
		return rc;
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	/* pass 0: private addresses; pass 1: private mailing lists */
	for (pass = 0; pass < 2; pass++) {
		ccx_recs_init(&recs, map.data, map.len, "private directory",
			      pass == 0 ? pend_fn : NULL, im);
		mf_map_watch(&map, &recs.rd);
		pos = 0;
		while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
			const struct ccx_field *fl = ccx_record_get(&rec, "List");
			const struct ccx_field *fn = ccx_record_get(&rec, "Name");
			const struct ccx_field *fa = ccx_record_get(&rec, "Addr");
			const struct ccx_field *fc = ccx_record_get(&rec, "Comments");
			struct mf_pab_entry pe;
			int64_t id = 0;
			int mypos = pos++;

			if (pass == 0 && (rc = pend_flush(im, rel, mailbox_id, 0, NULL)) < 0)
				goto fail;
			if ((pass == 0) != (fl == NULL)) {
				mf_arena_reset(&ra);
				continue;
			}
			memset(&pe, 0, sizeof(pe));
			pe.mailbox_id = mailbox_id;
			pe.position = mypos;
			pe.src_file_id = file_id;
			pe.src_offset = (int64_t)rec.offset;
			pe.raw = rec.raw.p;
			pe.raw_len = rec.raw.len;
			pe.field[MF_PAB_NOTE] = fc && fc->value.len ? to_utf8(im, fc->value, &ra) : NULL;
			if (pass == 0) {
				char *name, *given, *sur;
				if (!fn || !fn->value.len) {
					problemf(im, MF_WARNING, "ccmail.dir-no-name", rel,
						 (int64_t)rec.offset, mailbox_id,
						 "private directory record without a Name: ignored");
					mf_arena_reset(&ra);
					continue;
				}
				name = to_utf8(im, fn->value, &ra);
				split_names(name, &ra, &given, &sur);
				pe.kind = "entry";
				pe.display_name = name;
				pe.field[MF_PAB_FIRST] = given;
				pe.field[MF_PAB_LAST] = sur;
				if (fa && fa->value.len) {
					struct mf_span po, rest;
					split_addr(fa->value, &po, &rest);
					if (span_has(rest, '@')) {
						pe.address_type = "SMTP";
						pe.address = to_utf8(im, rest, &ra);
					} else if (span_has(po, '@')) {
						pe.address_type = "SMTP";
						pe.address = to_utf8(im, po, &ra);
					} else {
						pe.address_type = "CCMAIL";
						pe.address = strf(&ra, "%s at %s",
								  rest.len ? to_utf8(im, rest, &ra) : name,
								  to_utf8(im, po, &ra));
					}
				} else {
					struct dent *e = dir_lookup(im, cspan(name), cspan(NULL));
					if (e && (e->atype || e->addr)) {
						pe.address_type = e->atype;
						pe.address = e->addr;
					} else {
						problemf(im, MF_WARNING, "ccmail.pab-no-address", rel,
							 (int64_t)rec.offset, mailbox_id,
							 "private address '%s' has no Addr and is not in the "
							 "directory: no address known", name);
					}
				}
				if ((rc = mf_store_pab_entry(im->st, &id, &pe, im->diag)) < 0)
					goto fail;
				names = mf_xreallocarray(names, nnames + 1, sizeof(*names));
				names[nnames].name = mf_xstrdup(name);
				names[nnames].id = id;
				nnames++;
			} else {
				size_t nm = 0;
				pe.kind = "dl";
				pe.display_name = to_utf8(im, fl->value, &ra);
				for (size_t i = 0; i < rec.n_fields; i++)
					nm += mf_span_eq_ci(rec.fields[i].label, "Member");
				pe.members = mf_arena_zalloc(&ra, (nm ? nm : 1) * sizeof(*pe.members));
				for (size_t i = 0; i < rec.n_fields; i++) {
					const struct ccx_field *f = &rec.fields[i];
					struct mf_pab_member *pm;
					struct mf_ccaddr ca;
					char *addr;
					if (!mf_span_eq_ci(f->label, "Member"))
						continue;
					pm = &pe.members[pe.n_members++];
					addr = to_utf8(im, f->value, &ra);
					pm->address = addr;
					if (mf_ccaddr_parse(&ca, addr, strlen(addr)) == MF_OK)
						for (size_t j = 0; j < nnames; j++)
							if (mf_addr_eq_ci(ca.name, cspan(names[j].name)) ||
							    mf_strcaseeq(addr, names[j].name)) {
								pm->member_pab_id = names[j].id;
								break;
							}
					if (!pm->member_pab_id)
						pm->entry_id = member_entry(im, f->value, &ra);
					if (!pm->member_pab_id && !pm->entry_id)
						problemf(im, MF_WARNING, "ccmail.pab-member-unresolved", rel,
							 (int64_t)f->offset, mailbox_id,
							 "private list member '%s' is neither a private address "
							 "nor in the directory: kept as written", addr);
				}
				if ((rc = mf_store_pab_entry(im->st, &id, &pe, im->diag)) < 0)
					goto fail;
				if (fl && !fl->value.len)
					problemf(im, MF_WARNING, "ccmail.dir-no-name", rel,
						 (int64_t)rec.offset, mailbox_id,
						 "private list without a name");
			}
			mf_arena_reset(&ra);
		}
	}
	if ((rc = pend_flush(im, rel, mailbox_id, 0, NULL)) < 0 ||
	    (rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	pend_clear(im);
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i].name);
	free(names);
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- USERS.CSV ---- */

struct job {
	int64_t mailbox_id;
	int board;
	char *name;                  /* UTF-8 */
	char *file, *pab;            /* real paths, or NULL */
};

struct jobs {
	struct job *j;
	size_t n;
};

static void jobs_release(struct jobs *js)
{
	for (size_t i = 0; i < js->n; i++) {
		free(js->j[i].name);
		free(js->j[i].file);
		free(js->j[i].pab);
	}
	free(js->j);
	memset(js, 0, sizeof(*js));
}

/* Resolve a file named in USERS.CSV; NULL (with a problem) when it cannot
 * be used. */
static char *resolve_listed(struct imp *im, const char *rel_users, uint64_t off,
			    const char *what, const char *name, int64_t mailbox_id)
{
	char *real = NULL;
	struct mf_diag d;
	int rc;
	mf_diag_clear(&d);
	rc = mf_path_resolve(&real, im->root, name, &d);
	if (rc == MF_ENOTFOUND) {
		problemf(im, MF_ERROR, "ccmail.file-missing", rel_users, (int64_t)off, mailbox_id,
			 "%s file '%s' does not exist in the set", what, name);
		return NULL;
	}
	if (rc < 0) {
		problemf(im, MF_ERROR, "ccmail.file-bad-path", rel_users, (int64_t)off, mailbox_id,
			 "%s file '%s' cannot be used: %s", what, name, d.msg);
		return NULL;
	}
	if (mark_used(im, real)) {
		problemf(im, MF_ERROR, "ccmail.file-reused", rel_users, (int64_t)off, mailbox_id,
			 "%s file '%s' is named twice: only its first row is imported", what, name);
		free(real);
		return NULL;
	}
	return real;
}

static int stage_users(struct imp *im, const char *real, struct jobs *js)
{
	struct mf_map map;
	struct ccx_csv csv;
	struct ccx_csv_row row;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id = 0;
	int col[4] = { 0, 1, 2, 3 }; /* kind, name, file, pab */
	int first = 1, fresh, rc;
	const char *rel = rel_of(im, real);

	rc = open_file(im, real, "users", 0, &map, &file_id, &state);
	fresh = rc == MF_OK;
	if (rc == MF_SKIP) {
		/* read again for the file list; rows were staged before */
		if ((rc = mf_map_open(&map, real, im->diag)) < 0)
			return rc;
	} else if (rc < 0) {
		return rc;
	}
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	ccx_csv_init(&csv, map.data, map.len, fresh ? pend_fn : NULL, im);
	mf_map_watch(&map, &csv.rd);
	while (ccx_csv_next(&csv, &row, &ra) == MF_OK) {
		const char *f[4] = { "", "", "", "" };
		struct mf_mailbox mb;
		struct job jb;
		int64_t mbid = 0;
		int created = 0;

		if ((rc = pend_flush(im, rel, 0, 0, NULL)) < 0)
			goto fail;
		if (first) {
			static const char *const want[4] = { "kind", "name", "file", "pab" };
			int found = 0;
			first = 0;
			for (int k = 0; k < 4; k++) {
				col[k] = -1;
				for (size_t i = 0; i < row.n_fields; i++)
					if (mf_strcaseeq(mf_span_trim(cspan(row.fields[i])).len ==
							 strlen(row.fields[i]) ? row.fields[i] : "",
							 want[k])) {
						col[k] = (int)i;
						found++;
						break;
					}
			}
			if (col[0] < 0 || col[1] < 0) {
				if (fresh)
					problemf(im, MF_WARNING, "ccmail.users-header", rel, 0, 0,
						 "USERS.CSV has no header row 'kind,name,file,pab': "
						 "columns taken in that order");
				for (int k = 0; k < 4; k++)
					col[k] = k;
				if (found == 0)
					goto data_row; /* this row is data */
			}
			mf_arena_reset(&ra);
			continue;
		}
data_row:
		if (row.has_nul) {
			/* the names would be cut at the NUL ("Holm,\0 Lars" read as
			 * "Holm,", a file name cut before "\0../..") */
			if (fresh)
				problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.nul_offset, 0,
					 "row with a NUL byte ignored");
			mf_arena_reset(&ra);
			continue;
		}
		for (int k = 0; k < 4; k++)
			if (col[k] >= 0 && (size_t)col[k] < row.n_fields)
				f[k] = row.fields[col[k]];
		memset(&mb, 0, sizeof(mb));
		memset(&jb, 0, sizeof(jb));
		{
			struct mf_span nm = mf_span_trim(cspan(f[1]));
			if (!nm.len) {
				if (fresh)
					problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.offset, 0,
						 "row without a name ignored");
				mf_arena_reset(&ra);
				continue;
			}
			jb.name = to_utf8(im, nm, &ra);
		}
		if (mf_strcaseeq(f[0], "mailbox")) {
			char *given, *sur;
			int in_dir;
			if ((in_dir = dir_find(im, SQL_DIR_EXISTS, jb.name, NULL)) < 0) {
				rc = in_dir;
				goto fail;
			}
			split_names(jb.name, &ra, &given, &sur);
			mb.kind = "mailbox";
			mb.name = jb.name;
			mb.display_name = display_of(jb.name, &ra);
			mb.given_name = given;
			mb.surname = sur;
			mb.address_type = "CCMAIL";
			mb.source_address = strf(&ra, "CCMAIL:%s at %s", jb.name, im->po);
			mb.in_directory = in_dir;
			if ((rc = mf_store_mailbox(im->st, &mbid, &created, im->source_id, &mb, im->diag)) < 0)
				goto fail;
			if (!in_dir && fresh)
				problemf(im, MF_WARNING, "ccmail.user-not-in-directory", rel,
					 (int64_t)row.offset, mbid,
					 "'%s' is not in the directory: migrated as a mailbox all the same",
					 jb.name);
		} else if (mf_strcaseeq(f[0], "bboard")) {
			char *bname = jb.name;
			if (bname[0] != '#') {
				if (fresh)
					problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.offset, 0,
						 "bulletin board name '%s' without '#': '#' added", bname);
				bname = strf(&ra, "#%s", bname);
			}
			jb.name = bname;
			jb.board = 1;
			mb.kind = "public";
			mb.name = bname;
			mb.display_name = bname + 1;
			mb.address_type = "CCMAIL";
			mb.source_address = strf(&ra, "CCMAIL:%s at %s", bname, im->po);
			mb.in_directory = 1;
			if ((rc = mf_store_mailbox(im->st, &mbid, &created, im->source_id, &mb, im->diag)) < 0)
				goto fail;
			if (fresh) {
				struct mf_dir_entry e;
				memset(&e, 0, sizeof(e));
				e.kind = "bboard";
				e.name = bname;
				e.display_name = bname + 1;
				e.address_type = "CCMAIL";
				e.address = strf(&ra, "%s at %s", bname, im->po);
				e.postoffice = im->po;
				e.mailbox_id = mbid;
				e.src_file_id = file_id;
				e.src_offset = (int64_t)row.offset;
				if ((rc = mf_store_dir_entry(im->st, NULL, im->source_id, &e, im->diag)) < 0)
					goto fail;
				im->stats->dir_entries++;
			}
		} else {
			if (fresh)
				problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.offset, 0,
					 "unknown kind '%s' (mailbox or bboard): row ignored", f[0]);
			mf_arena_reset(&ra);
			continue;
		}
		jb.mailbox_id = mbid;
		for (size_t i = 0; i < js->n; i++)
			if (js->j[i].mailbox_id == mbid) {
				if (fresh)
					problemf(im, MF_WARNING, "ccmail.users-duplicate", rel,
						 (int64_t)row.offset, mbid,
						 "'%s' has a row already: this row is ignored", jb.name);
				mbid = 0;
				break;
			}
		if (!mbid) {
			mf_arena_reset(&ra);
			continue;
		}
		{
			struct mf_span fs = mf_span_trim(cspan(f[2])), ps = mf_span_trim(cspan(f[3]));
			char *fname = mf_arena_strndup(&ra, (const char *)fs.p, fs.len);
			char *pname = mf_arena_strndup(&ra, (const char *)ps.p, ps.len);
			jb.name = mf_xstrdup(jb.name);
			jb.file = *fname ? resolve_listed(im, rel, row.offset, "message", fname, mbid) : NULL;
			jb.pab = *pname ? resolve_listed(im, rel, row.offset, "private directory", pname, mbid)
					: NULL;
		}
		js->j = mf_xreallocarray(js->j, js->n + 1, sizeof(*js->j));
		js->j[js->n++] = jb;
		mf_arena_reset(&ra);
	}
	if ((rc = pend_flush(im, rel, 0, 0, NULL)) < 0)
		goto fail;
	if (fresh && (rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0)
		goto fail;
	if ((rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	pend_clear(im);
out:
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- files nobody named ---- */

static void scan_unreferenced(struct imp *im, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p, *real;
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		p = mf_xasprintf("%s/%s", dir, de->d_name);
		real = realpath(p, NULL);
		if (real && stat(real, &sb) == 0) {
			if (S_ISDIR(sb.st_mode) && depth < 4)
				scan_unreferenced(im, real, depth + 1);
			else if (S_ISREG(sb.st_mode) && !mark_used(im, real))
				problemf(im, MF_WARNING, "ccmail.file-unreferenced", rel_of(im, real), 0, 0,
					 "file is not named in USERS.CSV: not imported");
		}
		free(real);
		free(p);
	}
	closedir(d);
}

/* ---- manifest and the whole set ---- */

static void imp_release(struct imp *im)
{
	pend_clear(im);
	free(im->pend);
	dirmap_release(&im->dir);
	mf_arena_release(&im->arena);
	for (size_t i = 0; i < im->nbodies; i++)
		mf_buf_release(&im->bodies[i]);
	free(im->bodies);
	mf_buf_release(&im->sample);
	for (size_t i = 0; i < im->nused; i++)
		free(im->used[i]);
	free(im->used);
	mf_charset_free(&im->cs);
	free(im->root);
}

static const char SQL_COUNT_MB[] = "SELECT count(*) FROM mailboxes WHERE source_id = ?1";

static int count_mailboxes(struct imp *im)
{
	sqlite3_stmt *s = mf_store_stmt(im->st, SQL_COUNT_MB, im->diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, im->source_id);
	if (sqlite3_step(s) == SQLITE_ROW)
		im->stats->mailboxes = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return MF_OK;
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
	struct jobs js = { NULL, 0 };
	struct mf_diag d;
	int rc;

	mf_diag_clear(&d);
	if ((rc = mf_path_resolve(&mreal, im->root, "CCMX.TXT", &d)) < 0) {
		rc = mf_diag_set(im->diag, rc == MF_ENOTFOUND ? MF_ENOTFOUND : rc, path, MF_NO_OFFSET,
				 "not a cc:Mail export set: CCMX.TXT not found");
		goto out;
	}
	if ((rc = mf_read_file(&manifest, &mlen, mreal, 1 << 20, im->diag)) < 0)
		goto out;
	ccx_manifest_parse(&mf, manifest, mlen, pend_fn, im);
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
			pend_fn(im, MF_ERROR, "ccmail.manifest-bad-value", 0,
				"unknown codepage in the manifest: 850 used");
	}
	snprintf(im->tz, sizeof(im->tz), "UTC");
	if (mf.have_timezone) {
		if (mf_tz_valid(mf.timezone))
			snprintf(im->tz, sizeof(im->tz), "%s", mf.timezone);
		else
			pend_fn(im, MF_ERROR, "ccmail.manifest-bad-value", 0,
				"unknown timezone in the manifest: UTC used");
	}
	im->order = MF_ORDER_MDY;
	if (mf.have_date_order && mf_date_order_parse(&im->order, mf.date_order) < 0)
		pend_fn(im, MF_ERROR, "ccmail.manifest-bad-value", 0,
			"unknown date-order in the manifest (mdy, dmy, ymd): mdy used");
	if (!mf.have_version)
		pend_fn(im, MF_ERROR, "ccmail.manifest-missing-key", 0,
			"the manifest has no ccmx-version: version 1 assumed");
	if ((rc = apply_overrides(im)) < 0)
		goto out;
	if ((rc = open_source(im, im->root, &mf, manifest, mlen)) < 0)
		goto out;
	{
		struct mf_map mm;
		int64_t fid;
		enum mf_file_state fst;
		rc = open_file(im, mreal, "manifest", 0, &mm, &fid, &fst);
		if (rc == MF_OK) {
			mf_map_close(&mm);
			if ((rc = pend_flush(im, rel_of(im, mreal), 0, 0, NULL)) < 0 ||
			    (rc = mf_store_file_end(im->st, fid, "done", 0, 0, im->diag)) < 0)
				goto out;
		} else if (rc < 0) {
			goto out;
		}
		pend_clear(im);
		mark_used(im, mreal);
	}

	/* the directory (required) */
	if ((rc = mf_path_resolve(&real, im->root, "DIRECTRY.TXT", &d)) < 0) {
		rc = mf_diag_set(im->diag, rc, path, MF_NO_OFFSET,
				 "DIRECTRY.TXT not found in the export set");
		goto out;
	}
	mark_used(im, real);
	if ((rc = stage_directory(im, real)) < 0)
		goto out;
	mf_free(&real);

	/* the users file (required) */
	if ((rc = mf_path_resolve(&real, im->root, "USERS.CSV", &d)) < 0) {
		rc = mf_diag_set(im->diag, rc, path, MF_NO_OFFSET,
				 "USERS.CSV not found in the export set");
		goto out;
	}
	mark_used(im, real);
	if ((rc = stage_users(im, real, &js)) < 0)
		goto out;
	mf_free(&real);

	/* public mailing lists (optional) */
	if ((rc = dirmap_load(im)) < 0)
		goto out;
	if (mf_path_resolve(&real, im->root, "LISTS.TXT", &d) == MF_OK) {
		mark_used(im, real);
		if ((rc = stage_lists(im, real)) < 0)
			goto out;
		mf_free(&real);
	}
	if ((rc = dirmap_load(im)) < 0)
		goto out;

	/* private directories, then mail */
	for (size_t i = 0; i < js.n; i++)
		if (js.j[i].pab && (rc = stage_pab(im, js.j[i].pab, js.j[i].mailbox_id)) < 0)
			goto out;
	for (size_t i = 0; i < js.n; i++) {
		const struct job *j = &js.j[i];
		if (!j->file)
			continue;
		rc = import_messages(im, j->file, j->board ? "bboard" : "mail", j->mailbox_id, j->name,
				     j->board ? j->name + 1 : NULL);
		if (rc < 0)
			goto out;
	}
	{
		static const char *const sub[] = { "MAIL", "BBOARDS", "PAB" };
		for (size_t i = 0; i < MF_ARRAY_LEN(sub); i++)
			if (mf_path_resolve(&real, im->root, sub[i], &d) == MF_OK) {
				scan_unreferenced(im, real, 0);
				mf_free(&real);
			}
	}
	rc = count_mailboxes(im);
out:
	jobs_release(&js);
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
	split_names(im->opts->mailbox, &ra, &given, &sur);
	memset(&mb, 0, sizeof(mb));
	mb.kind = "mailbox";
	mb.name = im->opts->mailbox;
	mb.display_name = display_of(im->opts->mailbox, &ra);
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "CCMAIL";
	mb.source_address = strf(&ra, "CCMAIL:%s at %s", im->opts->mailbox, im->po);
	mb.in_directory = 0;
	if ((rc = mf_store_mailbox(im->st, &mbid, NULL, im->source_id, &mb, im->diag)) < 0)
		goto out;
	if ((rc = import_messages(im, real, "message-file", mbid, im->opts->mailbox, NULL)) < 0)
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
	int rc;

	memset(&im, 0, sizeof(im));
	im.st = st;
	im.opts = opts;
	im.stats = stats;
	im.diag = diag;
	mf_buf_init(&im.sample, 65536);
	/* Fewer, larger WAL checkpoints while importing (each one syncs the
	 * database file); the default comes back at the end. */
	mf_store_exec(st, "PRAGMA wal_autocheckpoint = 16384", NULL);
	/* and a larger page cache: the indexes of the tables it fills stay
	 * in memory (the store's default is 2 MiB, for the exports) */
	mf_store_exec(st, "PRAGMA cache_size = -8192", NULL);
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
	mf_store_exec(st, "PRAGMA wal_autocheckpoint = 1000", NULL);
	mf_store_exec(st, "PRAGMA cache_size = -2048", NULL);
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

const struct mf_importer mf_importer_ccmail = {
	.name = "ccmail",
	.summary = "cc:Mail export set (CCMX v1): folder with CCMX.TXT",
	.probe = ccmail_probe,
	.import = ccmail_import,
};
