/* SPDX-License-Identifier: MIT */
/*
 * exchange.c: the Exchange Migration Wizard files (.pkl/.pri/.sec) exporter.
 * Contract: /work/shared/formats/exchange-migration-files.md; decisions in
 * docs/decisions.md ("Exchange files").
 *
 * Layout, as Microsoft's extractors made it: under the output folder, one
 * folder per post office and export set, <PO>.001, <PO>.002, ...; in it a
 * packing list <PO>.PKL, DIRECTRY.PRI with the DIRECTORY sections, and one
 * 0000000N.PRI / 0000000N.SEC pair per mailbox (8.3 upper-case names).
 *
 * Every selected mailbox gets its MAILMESSAGE section, with or without
 * messages (also with --no-mail): that section is what makes the Wizard
 * turn an existing custom recipient into a mailbox.
 *
 * Crash safety: a mailbox's pair is written to temporary files and renamed
 * into the set folder when complete (the .SEC first, then the .PRI), and
 * only then are its messages confirmed in the ledger.  The packing list is
 * written last, when the run finishes: a folder without one is an
 * unfinished set, which the next run resumes (a mailbox already in it
 * keeps its number and is rewritten identically).  A finished set is never
 * touched again; a later run that has new mail writes the next set.
 */
#include "engine/exporter.h"
#include "engine/plan.h"
#include "exporters/exchange/exch_write.h"
#include "core/alias.h"
#include "core/charset.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/version.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAIR_MAX 99999999

static int digits_at(const char *s, size_t n);
#define OUT_MAX 3000       /* output folder path; derived paths fit in PATH_MAX */

struct pair {
	int number;
	char alias[32];
	int is_new;              /* first section of this mailbox on this target */
};

struct po_set {
	int64_t source_id;
	char po[128];            /* as the source names it */
	char tag[16];            /* its 8-character folder and file stem */
	char format[32];         /* the source's importer name */
	char folder[OUT_MAX + 64]; /* DIR/<tag>.NNN, "" until chosen */
	int seq;
	int exists;              /* the folder exists on disk */
	int first;               /* no finished set of this post office before it */
	struct pair *pairs;
	size_t npairs;
};

/* Display names of directory entries, by entry id (direct-mapped). */
#define NAME_CACHE 4096
struct name_slot {
	int64_t entry_id;
	char *name;              /* encoded; NULL: the entry has no name */
};

struct pending {
	int64_t id;
	int line;
	int64_t bytes;           /* section data written for it */
};

struct mf_export_ctx {
	struct mf_export *ex;
	struct mf_store *st;
	const struct mf_export_opts *opts;
	char out[OUT_MAX];
	char target[OUT_MAX + 64];
	struct mf_charset *cs;
	const char *cpnum;
	int directory_skip;
	struct po_set *sets;
	size_t nsets;

	/* the mailbox being written */
	const struct mf_mailbox *mb;
	struct po_set *set;
	int number;              /* its pair's number in the set */
	char sec_name[16];
	char tmp_pri[PATH_MAX], tmp_sec[PATH_MAX];
	FILE *pri, *secf;
	struct exw_sec sec;
	int prev_delivered;
	int lines;               /* data lines written to the MAILMESSAGE section */
	int content;             /* messages, calendar items or PAB written */
	struct pending *msgs;
	size_t nmsgs, capmsgs;
	int64_t *cals;
	size_t ncals;
	int pab_pending;
	struct mf_buf sc2;       /* Schedule+ objects of the mailbox */
	struct mf_buf pab;       /* the PAB section */
	char mb_name[512];       /* the mailbox's display name, encoded */
	char top_public[256];    /* top-level public folder for this source */
	char src_tz[64];
	char src_cal_cp[32];
	int64_t repl;
	struct name_slot names[NAME_CACHE];
};

/* ---- small helpers ---- */

static int fail_io(struct mf_diag *d, const char *path, const char *what)
{
	return mf_diag_errno(d, MF_EIO, path, "%s", what);
}

static void tag_for(char out[16], const char *po)
{
	size_t k = 0;
	for (const char *p = po ? po : ""; *p && k < 8; p++) {
		char c = *p;
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
			out[k++] = c;
	}
	if (!k)
		k = (size_t)snprintf(out, 16, "MIGRATE");
	out[k] = '\0';
}

/* Encode a one-line UTF-8 value into out (reset first). */
static const char *enc_line(struct mf_export_ctx *c, struct mf_buf *out, const char *utf8)
{
	size_t r = 0;
	mf_buf_reset(out);
	if (utf8)
		exw_encode_line(out, c->cs, utf8, strlen(utf8), &r);
	c->repl += (int64_t)r;
	return out->data;
}

static int source_info(struct mf_export_ctx *c, int64_t source_id, struct po_set *s)
{
	static const char q[] =
		"SELECT ifnull(postoffice, ''), format, ifnull(timezone, 'UTC'), "
		"ifnull(calendar_codepage, ifnull(codepage, 'CP1252')) FROM sources WHERE id = ?1";
	sqlite3_stmt *st = mf_store_stmt(c->st, q, NULL);
	int rc;
	if (!st)
		return MF_ESTORE;
	sqlite3_bind_int64(st, 1, source_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(s->po, sizeof(s->po), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(s->format, sizeof(s->format), "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(c->src_tz, sizeof(c->src_tz), "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(c->src_cal_cp, sizeof(c->src_cal_cp), "%s",
			 (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? MF_OK : MF_ENOTFOUND;
}

/* ---- sets ---- */

/* Read the first line of a pair's .PRI: "! mailferry: mailbox ALIAS new|more". */
static void scan_pair(struct po_set *s, const char *path, int number)
{
	char line[512];
	FILE *f = fopen(path, "rb");
	struct pair *p;
	char alias[64] = "", kind[16] = "";
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) &&
	    sscanf(line, "! mailferry: mailbox %63s %15s", alias, kind) == 2) {
		s->pairs = mf_xreallocarray(s->pairs, s->npairs + 1, sizeof(*s->pairs));
		p = &s->pairs[s->npairs++];
		p->number = number;
		snprintf(p->alias, sizeof(p->alias), "%s", alias);
		p->is_new = !strcmp(kind, "new");
	}
	fclose(f);
}

/* Choose the folder of a post office's set: resume an unfinished one or
 * prepare the next number (created when the first pair is written). */
static int choose_folder(struct mf_export_ctx *c, struct po_set *s, struct mf_diag *d)
{
	DIR *dir = opendir(c->out);
	struct dirent *de;
	int best = 0, finished_before = 0;
	size_t tl = strlen(s->tag);

	if (!dir)
		return fail_io(d, c->out, "cannot read output folder");
	while ((de = readdir(dir))) {
		int n;
		char pkl[PATH_MAX];
		struct stat sb;
		if (strncmp(de->d_name, s->tag, tl) != 0 || de->d_name[tl] != '.' ||
		    strlen(de->d_name) != tl + 4 || (n = digits_at(de->d_name + tl + 1, 3)) < 1)
			continue;
		snprintf(pkl, sizeof(pkl), "%s/%s/%s.PKL", c->out, de->d_name, s->tag);
		if (stat(pkl, &sb) == 0)
			finished_before = 1;
		if (n > best)
			best = n;
	}
	closedir(dir);
	if (best) {
		char pkl[PATH_MAX];
		struct stat sb;
		snprintf(s->folder, sizeof(s->folder), "%s/%s.%03d", c->out, s->tag, best);
		snprintf(pkl, sizeof(pkl), "%s/%s.PKL", s->folder, s->tag);
		if (stat(pkl, &sb) != 0) {
			/* unfinished: resume it */
			DIR *sd = opendir(s->folder);
			s->seq = best;
			s->exists = 1;
			while (sd && (de = readdir(sd))) {
				int n;
				char p[PATH_MAX];
				if (strlen(de->d_name) == 12 && (n = digits_at(de->d_name, 8)) > 0 &&
				    mf_strcaseeq(de->d_name + 8, ".PRI")) {
					snprintf(p, sizeof(p), "%s/%s", s->folder, de->d_name);
					scan_pair(s, p, n);
				}
			}
			if (sd)
				closedir(sd);
			/* "first" holds when no other set of this post office finished */
			s->first = 1;
			for (int n = 1; n < best; n++) {
				snprintf(pkl, sizeof(pkl), "%s/%s.%03d/%s.PKL", c->out, s->tag, n, s->tag);
				if (stat(pkl, &sb) == 0)
					s->first = 0;
			}
			return MF_OK;
		}
	}
	if (best >= 999)
		return mf_diag_set(d, MF_ETOOBIG, c->out, MF_NO_OFFSET,
				   "%s already holds 999 sets of %s", c->out, s->tag);
	s->seq = best + 1;
	snprintf(s->folder, sizeof(s->folder), "%s/%s.%03d", c->out, s->tag, s->seq);
	s->exists = 0;
	s->first = !finished_before;
	return MF_OK;
}

static int set_for(struct mf_export_ctx *c, const struct mf_mailbox *mb, struct po_set **out,
		   struct mf_diag *d)
{
	struct po_set *s;
	int rc;

	for (size_t i = 0; i < c->nsets; i++)
		if (c->sets[i].source_id == mb->source_id) {
			*out = &c->sets[i];
			return source_info(c, mb->source_id, &c->sets[i]);
		}
	c->sets = mf_xreallocarray(c->sets, c->nsets + 1, sizeof(*c->sets));
	s = &c->sets[c->nsets];
	memset(s, 0, sizeof(*s));
	s->source_id = mb->source_id;
	if ((rc = source_info(c, mb->source_id, s)) < 0)
		return mf_diag_set(d, rc, NULL, MF_NO_OFFSET, "mailbox %s has no source", mb->name);
	tag_for(s->tag, s->po);
	/* two sources with the same post office name share nothing: number them */
	for (size_t i = 0; i < c->nsets; i++)
		if (!strcmp(c->sets[i].tag, s->tag)) {
			char t[16];
			snprintf(t, sizeof(t), "%.6s%02zu", s->tag, c->nsets + 1);
			snprintf(s->tag, sizeof(s->tag), "%s", t);
		}
	c->nsets++;
	if ((rc = choose_folder(c, s, d)) < 0) {
		c->nsets--;
		return rc;
	}
	*out = s;
	return MF_OK;
}

/* ---- rendering of people ---- */

static const char SQL_ENTRY[] =
	"SELECT e.kind, ifnull(e.display_name, e.name), e.name, e.address_type, e.address, "
	"m.display_name FROM dir_entries e LEFT JOIN mailboxes m ON m.id = e.mailbox_id "
	"WHERE e.id = ?1";

/* X.400 in ';' form to slash form, leaving out empty attributes. */
static void x400_slash(struct mf_buf *out, const char *a)
{
	const char *p = a;
	while (*p) {
		const char *e = strchr(p, ';');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (n && !(eq && (size_t)(eq - p) == n - 1)) {
			if (*p != '/')
				mf_buf_addch(out, '/');
			mf_buf_add(out, p, n);
		}
		p += n;
		if (*p == ';')
			p++;
	}
}

/* "TYPE:address" (UTF-8) of a party, or "" when unknown. */
static void typed_address(struct mf_buf *out, const char *type, const char *address)
{
	if (!type || !*type || !address || !*address)
		return;
	mf_buf_addstr(out, type);
	mf_buf_addch(out, ':');
	if (!strcmp(type, "X400") && strchr(address, ';'))
		x400_slash(out, address);
	else
		mf_buf_addstr(out, address);
}

/*
 * One sender or recipient for a MAILMESSAGE field, encoded: the display
 * name of a directory object that will exist in the address book, else
 * "Name [TYPE:address]" (contract 4.4 "Recipients").
 */
static void render_party(struct mf_export_ctx *c, struct mf_buf *out, int64_t entry_id,
			 const char *name, const char *type, const char *address,
			 const char *raw)
{
	struct mf_buf t, u;
	size_t r = 0;

	mf_buf_init(&t, 1u << 16);
	mf_buf_init(&u, 1u << 16);
	if (entry_id > 0) {
		struct name_slot *slot = &c->names[(uint64_t)entry_id % NAME_CACHE];
		sqlite3_stmt *s;
		if (slot->entry_id == entry_id) {
			if (slot->name) {
				mf_buf_addstr(out, slot->name);
				goto done;
			}
			goto typed;
		}
		s = mf_store_stmt(c->st, SQL_ENTRY, NULL);
		if (s) {
			sqlite3_bind_int64(s, 1, entry_id);
			if (sqlite3_step(s) == SQLITE_ROW) {
				const char *mbname = (const char *)sqlite3_column_text(s, 5);
				const char *dn = (const char *)sqlite3_column_text(s, 1);
				mf_buf_addstr(&t, mbname ? mbname : dn ? dn : "");
			}
			sqlite3_reset(s);
		}
		free(slot->name);
		slot->entry_id = entry_id;
		slot->name = NULL;
		if (t.len) {
			size_t start = out->len;
			exw_encode_name(out, c->cs, t.data, &r);
			slot->name = mf_xstrndup(out->data + start, out->len - start);
			goto done;
		}
	}
typed:
	typed_address(&u, type, address);
	if (!name || !*name)
		name = address && *address ? address : raw ? raw : "";
	exw_encode_name(out, c->cs, name, &r);
	if (u.len) {
		/* ';' would split the value; ']' would end the brackets early */
		for (size_t i = 0; i < u.len; i++)
			if (u.data[i] == ';')
				u.data[i] = ',';
			else if (u.data[i] == ']')
				u.data[i] = ')';
		mf_buf_addstr(out, " [");
		exw_encode_name(out, c->cs, u.data, &r);
		mf_buf_addch(out, ']');
	}
done:
	c->repl += (int64_t)r;
	mf_buf_release(&t);
	mf_buf_release(&u);
}

/* ---- the exporter ---- */

static int ex_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		   const struct mf_export_opts *o, struct mf_diag *d)
{
	struct mf_export_ctx *c;
	char *real;
	int rc;

	*out = NULL;
	if (!o->out || !*o->out)
		return mf_diag_set(d, MF_EUSAGE, NULL, MF_NO_OFFSET, "exchange needs --out DIR");
	if ((rc = mf_mkdirs(o->out, 0755, d)) < 0)
		return rc;
	real = realpath(o->out, NULL);
	if (!real)
		return fail_io(d, o->out, "cannot resolve output folder");
	if (access(real, W_OK) != 0) {
		rc = fail_io(d, real, "output folder is not writable");
		free(real);
		return rc;
	}
	if (strlen(real) >= OUT_MAX - 64) {
		rc = mf_diag_set(d, MF_EUSAGE, real, MF_NO_OFFSET, "output folder path too long");
		free(real);
		return rc;
	}
	c = mf_xcalloc(1, sizeof(*c));
	c->ex = ex;
	c->st = st;
	c->opts = o;
	snprintf(c->out, sizeof(c->out), "%s", real);
	{
		char inst[33];
		if ((rc = mf_target_instance(inst, real, d)) < 0) {
			free(c);
			free(real);
			return rc;
		}
		snprintf(c->target, sizeof(c->target), "exchange:%s#%s", real, inst);
	}
	free(real);
	if ((rc = mf_charset_open(&c->cs, o->codepage ? o->codepage : "1252", d)) < 0) {
		free(c);
		return rc;
	}
	c->cpnum = exw_codepage_number(mf_charset_name(c->cs));
	if (!c->cpnum) {
		mf_charset_free(&c->cs);
		free(c);
		return mf_diag_set(d, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "the migration files cannot be written in %s (no Unicode; "
				   "use 1252, 850, 932, ...)", o->codepage);
	}
	c->directory_skip = o->directory_mode && !strcmp(o->directory_mode, "skip");
	mf_buf_init(&c->sc2, MF_BUF_UNBOUNDED);
	mf_buf_init(&c->pab, MF_BUF_UNBOUNDED);
	*out = c;
	return MF_OK;
}

static const char *ex_target(struct mf_export_ctx *c)
{
	return c->target;
}

static void discard_tmp(struct mf_export_ctx *c)
{
	if (c->pri) {
		fclose(c->pri);
		c->pri = NULL;
		unlink(c->tmp_pri);
	}
	if (c->secf) {
		fclose(c->secf);
		c->secf = NULL;
		unlink(c->tmp_sec);
	}
}

static int ex_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    const char *const *folders, size_t nf, struct mf_diag *d)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_buf line, v;
	int rc;

	(void)folders;
	(void)nf;
	c->mb = mb;
	c->nmsgs = c->ncals = 0;
	c->pab_pending = 0;
	c->lines = c->content = 0;
	mf_buf_reset(&c->sc2);
	mf_buf_reset(&c->pab);
	if ((rc = set_for(c, mb, &c->set, d)) < 0)
		return rc;
	c->prev_delivered = mf_export_ledger_remote_id(c->ex, "mailbox", mb->id, &a) != NULL;
	mf_arena_release(&a);
	/* the pair's number: the one this mailbox already has in an unfinished
	 * set (a resumed run rewrites it identically), else the next free one */
	c->number = 0;
	{
		int maxn = 0;
		for (size_t i = 0; i < c->set->npairs; i++) {
			if (mb->alias && !strcmp(c->set->pairs[i].alias, mb->alias))
				c->number = c->set->pairs[i].number;
			if (c->set->pairs[i].number > maxn)
				maxn = c->set->pairs[i].number;
		}
		if (!c->number)
			c->number = maxn + 1;
		if (c->number > PAIR_MAX)
			return mf_diag_set(d, MF_ETOOBIG, c->set->folder, MF_NO_OFFSET,
					   "too many mailboxes in one set");
	}
	snprintf(c->sec_name, sizeof(c->sec_name), "%08d.SEC", c->number);
	snprintf(c->top_public, sizeof(c->top_public), "%s (%s)",
		 !strcmp(c->set->format, "msmail") ? "MS Mail Shared Folders" :
		 "Lotus cc:Mail Bulletin Boards", c->set->po);

	snprintf(c->tmp_pri, sizeof(c->tmp_pri), "%s/.mf-%ld-%lld.pri.tmp", c->out,
		 (long)getpid(), (long long)mb->id);
	snprintf(c->tmp_sec, sizeof(c->tmp_sec), "%s/.mf-%ld-%lld.sec.tmp", c->out,
		 (long)getpid(), (long long)mb->id);
	c->pri = fopen(c->tmp_pri, "wb");
	c->secf = fopen(c->tmp_sec, "wb");
	if (!c->pri || !c->secf) {
		rc = fail_io(d, c->out, "cannot create temporary files");
		discard_tmp(c);
		return rc;
	}
	setvbuf(c->secf, NULL, _IOFBF, 1u << 20);
	exw_sec_begin(&c->sec, c->secf);

	mf_buf_init(&line, 1u << 20);
	mf_buf_init(&v, 1u << 20);
	fprintf(c->pri, "! mailferry: mailbox %s %s\r\n", mb->alias ? mb->alias : "-",
		c->prev_delivered ? "more" : "new");
	mf_buf_addstr(&line, "MAILMESSAGE");
	if (!strcmp(mb->kind, "public")) {
		exw_fieldz(&line, "PublicMessages", EXW_NEVER, 0);
	} else {
		enc_line(c, &v, mb->source_address);
		exw_field(&line, v.data, v.len, EXW_DOTS, 0);
	}
	exw_eol(&line);
	mf_buf_addstr(&line, EXW_MAILMESSAGE_HEADER);
	fwrite(line.data, 1, line.len, c->pri);
	mf_buf_reset(&v);
	render_party(c, &v, 0, mb->display_name, NULL, NULL, NULL);
	snprintf(c->mb_name, sizeof(c->mb_name), "%s", v.data);
	mf_buf_release(&line);
	mf_buf_release(&v);
	return MF_OK;
}

static void local14(char out[15], int64_t t, const char *tz)
{
	struct mf_civil cv;
	out[0] = '\0';
	if (mf_tz_utc_to_local(&cv, NULL, tz && *tz ? tz : "UTC", t) == MF_OK)
		mf_civil_format14(out, &cv);
}

/* The Folder column for a message. */
static void folder_field(struct mf_export_ctx *c, struct mf_buf *out, const struct mf_message *m)
{
	const char *p = m->folder_path ? m->folder_path : "";
	size_t r = 0;
	int first = 1;

	if (!strcmp(c->mb->kind, "public")) {
		exw_encode_folder_level(out, c->cs, c->top_public, strlen(c->top_public), &r);
		first = 0;
	}
	while (*p) {
		const char *e = strchr(p, '\\');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n) {
			if (!first)
				mf_buf_addch(out, '\\');
			exw_encode_folder_level(out, c->cs, p, n, &r);
			first = 0;
		}
		p += n;
		if (*p == '\\')
			p++;
	}
	c->repl += (int64_t)r;
}

/* Text of a forwarded message, for an attached .txt. */
static void nested_text(struct mf_export_ctx *c, struct mf_buf *utf8, const struct mf_message *n)
{
	char date[40];
	if (n->sender_raw || n->sender_name)
		mf_buf_addf(utf8, "From: %s\r\n", n->sender_raw ? n->sender_raw : n->sender_name);
	for (size_t i = 0; i < n->n_recipients; i++)
		mf_buf_addf(utf8, "%s: %s\r\n",
			    !strcmp(n->recipients[i].role, "cc") ? "Cc" :
			    !strcmp(n->recipients[i].role, "bcc") ? "Bcc" : "To",
			    n->recipients[i].raw ? n->recipients[i].raw : "");
	if (n->has_sent && mf_format_rfc5322(date, n->sent_utc, n->timezone ? n->timezone : c->src_tz) == MF_OK)
		mf_buf_addf(utf8, "Date: %s\r\n", date);
	else if (n->date_raw)
		mf_buf_addf(utf8, "Date: %s\r\n", n->date_raw);
	mf_buf_addf(utf8, "Subject: %s\r\n\r\n", n->subject ? n->subject : "");
	for (size_t i = 0; i < n->n_bodies; i++) {
		mf_buf_add(utf8, n->bodies[i].text, n->bodies[i].text_len);
		if (n->bodies[i].text_len && n->bodies[i].text[n->bodies[i].text_len - 1] != '\n')
			mf_buf_addstr(utf8, "\r\n");
	}
}

struct att_out {
	const void *data;
	size_t len;
	char *name;          /* encoded, owned */
	int64_t position;
	const char *format;
	struct mf_buf own;   /* storage when the data was made here */
};

static void add_att(struct att_out **v, size_t *n, const void *data, size_t len,
		    const char *name, int64_t pos, const char *format)
{
	struct att_out *a;
	*v = mf_xreallocarray(*v, *n + 1, sizeof(**v));
	a = &(*v)[(*n)++];
	memset(a, 0, sizeof(*a));
	mf_buf_init(&a->own, MF_BUF_UNBOUNDED);
	a->data = data;
	a->len = len;
	a->name = mf_xstrdup(name);
	a->position = pos;
	a->format = format;
}

static const char *default_ext(const struct mf_attachment *a)
{
	if (a->kind && !strcmp(a->kind, "fax"))
		return "pcx";
	if (a->kind && !strcmp(a->kind, "message"))
		return "txt";
	return "dat";
}

/* Attachments of a message in item order, flattening forwarded messages. */
static void collect_attachments(struct mf_export_ctx *c, const struct mf_message *m,
				int64_t body_len_at_end, struct att_out **v, size_t *n,
				const int64_t *pos_of, int depth)
{
	struct mf_buf name;
	mf_buf_init(&name, 4096);
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct mf_attachment *a = &m->attachments[i];
		int64_t pos = pos_of ? pos_of[i] : body_len_at_end;
		mf_buf_reset(&name);
		if (a->nested && depth < 16) {
			struct mf_buf t, e;
			struct att_out *o;
			size_t r = 0;
			mf_buf_init(&t, MF_BUF_UNBOUNDED);
			mf_buf_init(&e, MF_BUF_UNBOUNDED);
			nested_text(c, &t, a->nested);
			exw_encode_text(&e, c->cs, t.data, t.len, &r);
			c->repl += (int64_t)r;
			exw_encode_filename(&name, c->cs,
					    a->nested->subject && *a->nested->subject ?
					    a->nested->subject : "Forwarded message", "txt");
			if (!strrchr(name.data, '.') || mf_strcaseeq(strrchr(name.data, '.'), ".txt") == 0) {
				/* a subject like "Re: v1.2" must still end in .txt */
				mf_buf_addstr(&name, ".txt");
			}
			add_att(v, n, NULL, 0, name.data, pos, NULL);
			o = &(*v)[*n - 1];
			mf_buf_add(&o->own, e.data, e.len);
			o->data = o->own.data;
			o->len = o->own.len;
			mf_buf_release(&t);
			mf_buf_release(&e);
			collect_attachments(c, a->nested, pos, v, n, NULL, depth + 1);
			continue;
		}
		if (!a->has_data) {
			mf_export_problem(c->ex, MF_WARNING, "exchange.attachment-no-data", c->mb->id, m->id,
					  "attachment '%s' has no bytes in the export; written empty",
					  a->name ? a->name : "");
		}
		exw_encode_filename(&name, c->cs, a->name, default_ext(a));
		if (a->original && a->format && !strcmp(a->format, "macbinary"))
			add_att(v, n, a->original, a->original_size, name.data, pos, "Macbinary");
		else
			add_att(v, n, a->data ? a->data : "", a->has_data ? a->size : 0, name.data, pos, NULL);
	}
	mf_buf_release(&name);
}

static int ex_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			  const struct mf_message *m, struct mf_put_result *res,
			  struct mf_diag *d)
{
	struct mf_buf line, v, body;
	struct att_out *atts = NULL;
	size_t natts = 0;
	int64_t *pos_of = NULL;
	uint64_t off;
	char sent[15] = "", recv[15] = "";
	const char *tz = m->timezone && *m->timezone ? m->timezone : c->src_tz;
	int64_t repl_before = c->repl;
	int rc = MF_OK;

	(void)mb;
	mf_buf_init(&line, MF_BUF_UNBOUNDED);
	mf_buf_init(&v, MF_BUF_UNBOUNDED);
	mf_buf_init(&body, MF_BUF_UNBOUNDED);

	/* body: the text items in order; attachments placed after the text
	 * that preceded them; RTF bodies travel as attachments */
	if (m->n_attachments)
		pos_of = mf_xcalloc(m->n_attachments, sizeof(*pos_of));
	{
		size_t bi = 0, ai = 0;
		while (bi < m->n_bodies || ai < m->n_attachments) {
			int take_body = ai >= m->n_attachments ||
				(bi < m->n_bodies && m->bodies[bi].position <= m->attachments[ai].position);
			if (take_body) {
				const struct mf_body_part *b = &m->bodies[bi++];
				if (b->kind && !strcmp(b->kind, "rtf"))
					continue;
				if (body.len && (body.len < 2 || memcmp(body.data + body.len - 2, "\r\n", 2)))
					mf_buf_addstr(&body, "\r\n");
				{
					size_t r = 0;
					exw_encode_text(&body, c->cs, b->text, b->text_len, &r);
					c->repl += (int64_t)r;
				}
			} else {
				pos_of[ai++] = (int64_t)body.len;
			}
		}
	}
	for (size_t i = 0; i < m->n_bodies; i++) {
		const struct mf_body_part *b = &m->bodies[i];
		struct mf_buf nm;
		if (!b->kind || strcmp(b->kind, "rtf"))
			continue;
		mf_buf_init(&nm, 4096);
		exw_encode_filename(&nm, c->cs, b->title && *b->title ? b->title : "message", "rtf");
		if (!mf_strcaseeq(strrchr(nm.data, '.'), ".rtf"))
			mf_buf_addstr(&nm, ".rtf");
		add_att(&atts, &natts, b->raw && b->keep_raw ? b->raw : b->text,
			b->raw && b->keep_raw ? b->raw_len : b->text_len, nm.data, (int64_t)body.len, NULL);
		mf_buf_release(&nm);
	}
	collect_attachments(c, m, (int64_t)body.len, &atts, &natts, pos_of, 0);
	free(pos_of);
	if (natts && body.len == 0)
		mf_buf_addstr(&body, "\r\n");   /* contract 5.3: not a zero-length body */
	for (size_t i = 0; i < natts; i++)
		if (atts[i].position > (int64_t)body.len)
			atts[i].position = (int64_t)body.len;

	/* secondary sections */
	rc = exw_sec_section(&c->sec, &off, "Body", body.data, body.len, natts == 0, NULL,
			     EXW_NOPOS, NULL);
	for (size_t i = 0; i < natts && rc == MF_OK; i++)
		rc = exw_sec_section(&c->sec, NULL, "Attachment", atts[i].data, atts[i].len,
				     i + 1 == natts, atts[i].name, atts[i].position, atts[i].format);
	if (rc < 0) {
		errno = c->sec.err;
		rc = fail_io(d, c->tmp_sec, "cannot write secondary file");
		goto out;
	}

	/* the MAILMESSAGE line: 12 columns */
	folder_field(c, &v, m);
	exw_field(&line, v.data, v.len, EXW_FOLDER, 1);
	mf_buf_reset(&v);
	render_party(c, &v, m->sender_entry_id, m->sender_name, m->sender_type, m->sender_address,
		     m->sender_raw);
	exw_field(&line, v.data, v.len, EXW_PLAIN, 0);
	for (int role = 0; role < 3; role++) {
		static const char *const roles[] = { "to", "cc", "bcc" };
		int any = 0;
		mf_buf_reset(&v);
		for (size_t i = 0; i < m->n_recipients; i++) {
			const struct mf_recipient *r = &m->recipients[i];
			if (strcmp(r->role, roles[role]))
				continue;
			if (any)
				mf_buf_addch(&v, ';');
			render_party(c, &v, r->entry_id, r->display_name, r->address_type, r->address, r->raw);
			any = 1;
		}
		exw_field(&line, v.data, v.len, EXW_PLAIN | EXW_MULTI, 0);
	}
	exw_fieldz(&line, enc_line(c, &v, m->subject), EXW_PLAIN, 0);
	if (m->has_sent)
		local14(sent, m->sent_utc, tz);
	if (m->has_received)
		local14(recv, m->received_utc, tz);
	if (!sent[0] && recv[0])
		memcpy(sent, recv, sizeof(sent));
	if (!recv[0] && sent[0])
		memcpy(recv, sent, sizeof(recv));
	exw_fieldz(&line, sent, EXW_NEVER, 0);
	exw_fieldz(&line, recv, EXW_NEVER, 0);
	exw_fieldz(&line, m->priority < 0 ? "-1" : m->priority > 0 ? "1" : "0", EXW_NEVER, 0);
	exw_fieldz(&line, m->unread ? "TRUE" : "FALSE", EXW_NEVER, 0);
	exw_fieldz(&line, m->unsent ? "TRUE" : "FALSE", EXW_NEVER, 0);
	mf_buf_reset(&v);
	exw_pointer(&v, c->sec_name, off);
	exw_field(&line, v.data, v.len, EXW_NEVER, 0);
	exw_eol(&line);
	if (fwrite(line.data, 1, line.len, c->pri) != line.len) {
		rc = fail_io(d, c->tmp_pri, "cannot write primary file");
		goto out;
	}
	c->lines++;
	c->content = 1;
	if (c->nmsgs == c->capmsgs) {
		c->capmsgs = c->capmsgs ? c->capmsgs * 2 : 256;
		c->msgs = mf_xreallocarray(c->msgs, c->capmsgs, sizeof(*c->msgs));
	}
	c->msgs[c->nmsgs].id = m->id;
	c->msgs[c->nmsgs].line = c->lines;
	c->msgs[c->nmsgs].bytes = (int64_t)body.len;
	for (size_t i = 0; i < natts; i++)
		c->msgs[c->nmsgs].bytes += (int64_t)atts[i].len;
	c->nmsgs++;
	if (c->repl > repl_before)
		mf_export_problem(c->ex, MF_INFO, "exchange.lossy-text", c->mb->id, m->id,
				  "%lld characters outside code page %s were written as '?'",
				  (long long)(c->repl - repl_before), c->cpnum);
	res->state = MF_PUT_PENDING;
out:
	for (size_t i = 0; i < natts; i++) {
		free(atts[i].name);
		mf_buf_release(&atts[i].own);
	}
	free(atts);
	mf_buf_release(&line);
	mf_buf_release(&v);
	mf_buf_release(&body);
	return rc;
}

/* ---- calendars: a Schedule+ interchange file (contract 5.5) ---- */

static int is_sc2_object(const void *raw, size_t len)
{
	static const char *const kinds[] = { "SingleAppointments", "RecurringAppointments",
		"SingleEvents", "RecurringEvents", "SingleTasks", "RecurringTasks", "Projects",
		"Contacts", NULL };
	for (int i = 0; kinds[i]; i++) {
		size_t n = strlen(kinds[i]);
		if (len > n && !memcmp(raw, kinds[i], n) && ((const char *)raw)[n] == ':')
			return 1;
	}
	return 0;
}

/* Append an interchange line, continued with "\" when over 80 characters. */
static void sc2_line(struct mf_buf *out, const char *s, size_t n)
{
	while (n > 80) {
		mf_buf_add(out, s, 79);
		mf_buf_addstr(out, "\\\r\n");
		s += 79;
		n -= 79;
	}
	mf_buf_add(out, s, n);
	mf_buf_addstr(out, "\r\n");
}

/* The value of an iCalendar property (first occurrence, unfolded). */
static int ical_prop(const char *ical, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *p = ical;
	while (p && *p) {
		if (!strncmp(p, name, nl) && (p[nl] == ':' || p[nl] == ';')) {
			const char *colon = strchr(p, ':');
			size_t k = 0;
			if (!colon)
				return 0;
			for (const char *q = colon + 1; *q && k + 1 < cap; q++) {
				if (q[0] == '\r' && q[1] == '\n' && (q[2] == ' ' || q[2] == '\t')) {
					q += 2;
					continue;
				}
				if (*q == '\r' || *q == '\n')
					break;
				out[k++] = *q;
			}
			out[k] = '\0';
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* The decimal value of n digits at s, or -1. */
static int digits_at(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "19970321T100000" -> "03-21-1997 10:00"; date only -> "03-21-1997". */
static int ical_to_sc2_time(char *out, size_t cap, const char *v)
{
	size_t n = strlen(v);
	int y, mo, d;
	if (n < 8 || (y = digits_at(v, 4)) < 0 || (mo = digits_at(v + 4, 2)) < 0 ||
	    (d = digits_at(v + 6, 2)) < 0)
		return 0;
	if (n >= 13 && v[8] == 'T' && digits_at(v + 9, 4) >= 0)
		snprintf(out, cap, "%02d-%02d-%04d %02d:%02d", mo, d, y, digits_at(v + 9, 2),
			 digits_at(v + 11, 2));
	else
		snprintf(out, cap, "%02d-%02d-%04d", mo, d, y);
	return 1;
}

static void sc2_from_ical(struct mf_export_ctx *c, const struct mf_calendar_item *ci)
{
	char summary[1024] = "", start[64] = "", end[64] = "", t[64] = "", line[1200];
	struct mf_buf enc;
	int is_todo = ci->kind && !strcmp(ci->kind, "todo");

	mf_buf_init(&enc, 1u << 16);
	ical_prop(ci->ical, "SUMMARY", summary, sizeof(summary));
	if (ical_prop(ci->ical, "DTSTART", t, sizeof(t)))
		ical_to_sc2_time(start, sizeof(start), t);
	if (ical_prop(ci->ical, is_todo ? "DUE" : "DTEND", t, sizeof(t)))
		ical_to_sc2_time(end, sizeof(end), t);
	mf_buf_addstr(&c->sc2, is_todo ? "SingleTasks:\r\n{\r\n" : "SingleAppointments:\r\n{\r\n");
	/* quotes inside strings are written \" (contract 5.5) */
	{
		struct mf_buf q;
		mf_buf_init(&q, 1u << 16);
		for (const char *p = summary; *p; p++) {
			if (*p == '"' || *p == '\\')
				mf_buf_addch(&q, '\\');
			mf_buf_addch(&q, *p);
		}
		enc_line(c, &enc, q.data);
		mf_buf_release(&q);
	}
	snprintf(line, sizeof(line), "    Text: \"%s\"", enc.data);
	sc2_line(&c->sc2, line, strlen(line));
	if (start[0]) {
		snprintf(line, sizeof(line), "    %s: %s", is_todo ? "StartDate" : "Start", start);
		sc2_line(&c->sc2, line, strlen(line));
	}
	if (end[0]) {
		snprintf(line, sizeof(line), "    %s: %s", is_todo ? "EndDate" : "End", end);
		sc2_line(&c->sc2, line, strlen(line));
	}
	mf_buf_addstr(&c->sc2, "}\r\n");
	mf_buf_release(&enc);
	if (ci->recurring)
		mf_export_problem(c->ex, MF_WARNING, "exchange.schedule-simplified", c->mb->id, 0,
				  "calendar item %s has no Schedule+ 7 source object; written as a "
				  "single occurrence without its recurrence", ci->uid);
}

static int ex_put_calendar(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			   const struct mf_calendar_item *ci, struct mf_put_result *res,
			   struct mf_diag *d)
{
	(void)mb;
	(void)d;
	if (ci->raw && is_sc2_object(ci->raw, ci->raw_len)) {
		/* the source object as exported, in this set's code page */
		struct mf_charset *src = NULL;
		struct mf_buf u, e;
		size_t r = 0;
		mf_buf_init(&u, MF_BUF_UNBOUNDED);
		mf_buf_init(&e, MF_BUF_UNBOUNDED);
		if (mf_charset_open(&src, c->src_cal_cp, NULL) < 0)
			mf_charset_open(&src, "1252", NULL);
		mf_charset_to_utf8(src, ci->raw, ci->raw_len, &u, NULL);
		exw_encode_text(&e, c->cs, u.data, u.len, &r);
		c->repl += (int64_t)r;
		mf_buf_add(&c->sc2, e.data, e.len);
		if (e.len < 2 || memcmp(e.data + e.len - 2, "\r\n", 2))
			mf_buf_addstr(&c->sc2, "\r\n");
		mf_charset_free(&src);
		mf_buf_release(&u);
		mf_buf_release(&e);
	} else {
		sc2_from_ical(c, ci);
	}
	c->cals = mf_xreallocarray(c->cals, c->ncals + 1, sizeof(*c->cals));
	c->cals[c->ncals++] = ci->id;
	c->content = 1;
	res->state = MF_PUT_PENDING;
	return MF_OK;
}

/* ---- personal address books (contract 4.3) ---- */

static const char SQL_ENTRY_ADDR[] =
	"SELECT address_type, address, ifnull(display_name, name) FROM dir_entries WHERE id = ?1";

static void pab_address(struct mf_export_ctx *c, struct mf_buf *out, const char *type,
			const char *address, const char *display)
{
	struct mf_buf t;
	mf_buf_init(&t, 1u << 16);
	if (type && *type && address && *address) {
		typed_address(&t, type, address);
	} else if (address && *address) {
		/* a bare Internet address is SMTP (KB253196); a cc:Mail name is CCMAIL */
		if (strchr(address, '@') && !strstr(address, " at "))
			mf_buf_addf(&t, "SMTP:%s", address);
		else if (strchr(address, ':'))
			mf_buf_addstr(&t, address);
		else
			mf_buf_addf(&t, "CCMAIL:%s", address);
	} else {
		mf_buf_addf(&t, "USER:%s", display ? display : "");
	}
	exw_encode_name(out, c->cs, t.data, NULL);
	mf_buf_release(&t);
}

static int ex_put_pab(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		      const struct mf_pab_entry *e, size_t n, struct mf_put_result *res,
		      struct mf_diag *d)
{
	struct mf_buf v, t;
	(void)d;
	if (strcmp(mb->kind, "mailbox"))
		return MF_OK;
	mf_buf_init(&v, 1u << 20);
	mf_buf_init(&t, 1u << 20);
	mf_buf_addstr(&c->pab, "PAB");
	mf_buf_addstr(&t, "MIGRATE:");
	mf_buf_addstr(&t, mb->source_address);
	enc_line(c, &v, t.data);
	exw_field(&c->pab, v.data, v.len, EXW_DOTS, 0);
	exw_eol(&c->pab);
	mf_buf_addstr(&c->pab, EXW_PAB_HEADER);
	for (size_t i = 0; i < n; i++) {
		int dl = e[i].kind && !strcmp(e[i].kind, "dl");
		exw_fieldz(&c->pab, dl ? "dl" : "entry", EXW_NEVER, 1);
		mf_buf_reset(&v);
		exw_encode_name(&v, c->cs, e[i].display_name, NULL);
		exw_field(&c->pab, v.data, v.len, EXW_PLAIN, 0);
		mf_buf_reset(&v);
		if (dl) {
			for (size_t k = 0; k < e[i].n_members; k++) {
				const struct mf_pab_member *m = &e[i].members[k];
				if (k)
					mf_buf_addch(&v, ';');
				if (m->member_pab_id) {
					for (size_t j = 0; j < n; j++)
						if (e[j].id == m->member_pab_id)
							exw_encode_name(&v, c->cs, e[j].display_name, NULL);
				} else if (m->entry_id) {
					sqlite3_stmt *s = mf_store_stmt(c->st, SQL_ENTRY_ADDR, NULL);
					if (s) {
						sqlite3_bind_int64(s, 1, m->entry_id);
						if (sqlite3_step(s) == SQLITE_ROW)
							pab_address(c, &v, (const char *)sqlite3_column_text(s, 0),
								    (const char *)sqlite3_column_text(s, 1),
								    (const char *)sqlite3_column_text(s, 2));
						sqlite3_reset(s);
					}
				} else {
					pab_address(c, &v, NULL, m->address, m->address);
				}
			}
			if (!e[i].n_members)
				mf_export_problem(c->ex, MF_WARNING, "exchange.empty-pab-list", mb->id, 0,
						  "personal list '%s' has no members", e[i].display_name);
		} else {
			pab_address(c, &v, e[i].address_type, e[i].address, e[i].display_name);
		}
		exw_field(&c->pab, v.data, v.len, EXW_DOTS | EXW_MULTI, 0);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			exw_fieldz(&c->pab, (dl && f != MF_PAB_NOTE) ? NULL : enc_line(c, &v, e[i].field[f]),
				   EXW_PLAIN, 0);
		exw_eol(&c->pab);
	}
	c->pab_pending = 1;
	c->content = 1;
	res->state = MF_PUT_PENDING;
	mf_buf_release(&v);
	mf_buf_release(&t);
	return MF_OK;
}

/* ---- end of a mailbox: the pair goes into place ---- */

static int close_file(FILE **f, const char *path, struct mf_diag *d)
{
	int rc = MF_OK;
	if (fflush(*f) != 0 || fsync(fileno(*f)) != 0)
		rc = fail_io(d, path, "cannot write");
	if (fclose(*f) != 0 && rc == MF_OK)
		rc = fail_io(d, path, "cannot close");
	*f = NULL;
	return rc;
}

static int ex_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *d)
{
	char pri_path[PATH_MAX + 32], sec_path[PATH_MAX + 32], rid[256];
	int rc;

	if (failed) {
		discard_tmp(c);
		return MF_OK;
	}
	if (c->prev_delivered && !c->content) {
		/* nothing new for a mailbox the target already has */
		discard_tmp(c);
		return MF_OK;
	}
	if (c->sc2.len) {
		uint64_t off;
		struct mf_buf line, v, sc2;
		char nm[32];
		mf_buf_init(&line, 1u << 20);
		mf_buf_init(&v, 4096);
		mf_buf_init(&sc2, MF_BUF_UNBOUNDED);
		mf_buf_addstr(&sc2, "SCHEDULE+2 EXPORT VERSION 103\r\n");
		mf_buf_add(&sc2, c->sc2.data, c->sc2.len);
		exw_sec_section(&c->sec, &off, "Body", "", 0, 0, NULL, EXW_NOPOS, NULL);
		snprintf(nm, sizeof(nm), "%.8s.SC2", mb->alias ? mb->alias : "SCHEDULE");
		for (char *p = nm; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p -= 32;
		exw_sec_section(&c->sec, NULL, "Schedule", sc2.data, sc2.len, 1, nm, -1, NULL);
		/* the Wizard writes the message's body itself (contract 5.3) */
		exw_fieldz(&line, NULL, EXW_FOLDER, 1);
		exw_fieldz(&line, c->mb_name, EXW_PLAIN, 0);
		exw_fieldz(&line, c->mb_name, EXW_PLAIN, 0);
		exw_fieldz(&line, NULL, EXW_PLAIN, 0);
		exw_fieldz(&line, NULL, EXW_PLAIN, 0);
		exw_fieldz(&line, "Schedule+", EXW_PLAIN, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_fieldz(&line, "TRUE", EXW_NEVER, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_pointer(&v, c->sec_name, off);
		exw_field(&line, v.data, v.len, EXW_NEVER, 0);
		exw_eol(&line);
		fwrite(line.data, 1, line.len, c->pri);
		mf_buf_release(&line);
		mf_buf_release(&v);
		mf_buf_release(&sc2);
	}
	if (c->pab.len) {
		fputs("\r\n", c->pri);
		fwrite(c->pab.data, 1, c->pab.len, c->pri);
	}
	if (c->sec.err) {
		errno = c->sec.err;
		discard_tmp(c);
		return fail_io(d, c->tmp_sec, "cannot write secondary file");
	}
	if ((rc = close_file(&c->secf, c->tmp_sec, d)) < 0 ||
	    (rc = close_file(&c->pri, c->tmp_pri, d)) < 0) {
		discard_tmp(c);
		return rc;
	}
	if (!c->set->exists) {
		if (mkdir(c->set->folder, 0755) != 0 && errno != EEXIST) {
			rc = fail_io(d, c->set->folder, "cannot create set folder");
			unlink(c->tmp_pri);
			unlink(c->tmp_sec);
			return rc;
		}
		c->set->exists = 1;
	}
	snprintf(pri_path, sizeof(pri_path), "%s/%08d.PRI", c->set->folder, c->number);
	snprintf(sec_path, sizeof(sec_path), "%s/%s", c->set->folder, c->sec_name);
	if (rename(c->tmp_sec, sec_path) != 0 || rename(c->tmp_pri, pri_path) != 0) {
		rc = fail_io(d, pri_path, "cannot move the pair into place");
		unlink(c->tmp_pri);
		unlink(c->tmp_sec);
		return rc;
	}
	{
		int known = 0;
		for (size_t i = 0; i < c->set->npairs; i++)
			if (c->set->pairs[i].number == c->number)
				known = 1;
		if (!known) {
			struct pair *p;
			c->set->pairs = mf_xreallocarray(c->set->pairs, c->set->npairs + 1,
							 sizeof(*c->set->pairs));
			p = &c->set->pairs[c->set->npairs++];
			p->number = c->number;
			snprintf(p->alias, sizeof(p->alias), "%s", mb->alias ? mb->alias : "-");
			p->is_new = !c->prev_delivered;
		}
	}
	/* the files are in place: now the ledger may say so */
	for (size_t i = 0; i < c->nmsgs; i++) {
		snprintf(rid, sizeof(rid), "%s/%08d.PRI:%d", strrchr(c->set->folder, '/') + 1,
			 c->number, c->msgs[i].line);
		mf_export_confirm(c->ex, "message", c->msgs[i].id, mb->id, rid, NULL, c->msgs[i].bytes);
	}
	for (size_t i = 0; i < c->ncals; i++) {
		snprintf(rid, sizeof(rid), "%s/%08d.PRI", strrchr(c->set->folder, '/') + 1, c->number);
		mf_export_confirm(c->ex, "calendar", c->cals[i], mb->id, rid, NULL, -1);
	}
	if (c->pab_pending) {
		snprintf(rid, sizeof(rid), "%s/%08d.PRI", strrchr(c->set->folder, '/') + 1, c->number);
		mf_export_confirm(c->ex, "pab", mb->id, mb->id, rid, NULL, -1);
	}
	if (c->repl)
		c->repl = 0;
	return MF_OK;
}

/* ---- the end of the run: DIRECTRY.PRI and the packing list ---- */

/*
 * The plan decides the DIRECTORY lines (engine/plan.h): a mailbox planned
 * CREATE gets one; a mailbox the plan CONVERTs from an existing custom
 * recipient, or that EXISTS on the target, must not (Event 238, contract
 * 10.10): its MAILMESSAGE section does the rest.  Custom recipients and
 * lists planned CREATE get remote and dl lines with the plan's aliases.
 */
static int plan_creates_mailbox(struct mf_export_ctx *c, int64_t mailbox_id)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_plan_entry e;
	int creates = 1;
	if (mf_plan_mailbox_action(c->st, &e, mailbox_id, &a, NULL) == MF_OK)
		creates = e.action == MF_PLAN_CREATE;
	mf_arena_release(&a);
	return creates;
}

static void dir_field_q(struct mf_export_ctx *c, struct mf_buf *line, const char *utf8,
		       unsigned quote, int first)
{
	struct mf_buf v;
	mf_buf_init(&v, 1u << 16);
	enc_line(c, &v, utf8);
	exw_field(line, v.data, v.len, EXW_DIRECTORY | quote, first);
	mf_buf_release(&v);
}

static void dir_field(struct mf_export_ctx *c, struct mf_buf *line, const char *utf8, int first)
{
	dir_field_q(c, line, utf8, 0, first);
}

static const char SQL_MB_ALIAS[] =
	"SELECT id, kind, display_name, given_name, surname, source_address FROM mailboxes WHERE alias = ?1";
static const char SQL_ENTRY_SOURCE[] = "SELECT source_id FROM dir_entries WHERE id = ?1";
static const char SQL_MEMBERS[] =
	"SELECT m.address, e.id, b.alias FROM list_members m "
	"LEFT JOIN dir_entries e ON e.id = m.entry_id LEFT JOIN mailboxes b ON b.id = e.mailbox_id "
	"WHERE m.list_id = ?1 ORDER BY m.position";

static int64_t entry_source(struct mf_export_ctx *c, int64_t entry_id)
{
	sqlite3_stmt *q = mf_store_stmt(c->st, SQL_ENTRY_SOURCE, NULL);
	int64_t sid = 0;
	if (!q)
		return 0;
	sqlite3_bind_int64(q, 1, entry_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		sid = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return sid;
}

/* The Common-Name a list member will have on the target, or NULL. */
static const char *member_alias(struct mf_export_ctx *c, const struct mf_plan_object *objs,
				size_t n, int64_t entry_id, const char *mailbox_alias,
				struct mf_arena *a)
{
	struct mf_plan_entry e;
	if (mailbox_alias)
		return mailbox_alias;
	for (size_t i = 0; i < n; i++)
		if (objs[i].entry_id == entry_id && objs[i].action == MF_PLAN_CREATE)
			return objs[i].alias;
	if (mf_plan_recipient_action(c->st, &e, entry_id, a, NULL) == MF_OK &&
	    e.action == MF_PLAN_EXISTS && e.object_alias)
		return e.object_alias;
	return NULL;
}

static int write_directory(struct mf_export_ctx *c, struct po_set *s, int *written,
			   struct mf_diag *d)
{
	struct mf_buf out, line;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_plan_object *objs = NULL;
	size_t nobjs = 0;
	sqlite3_stmt *q;
	int rc, n = 0;
	char path[PATH_MAX + 32];

	*written = 0;
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	mf_buf_init(&line, 1u << 20);
	mf_buf_addf(&out, "! mailferry %s: %s post office %s, code page %s\r\n", MF_VERSION,
		    s->format, s->tag, c->cpnum);

	/* mailboxes whose first MAILMESSAGE section is in this set */
	for (size_t i = 0; i < s->npairs; i++) {
		if (!s->pairs[i].is_new)
			continue;
		q = mf_store_stmt(c->st, SQL_MB_ALIAS, d);
		if (!q)
			goto fail;
		sqlite3_bind_text(q, 1, s->pairs[i].alias, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(q) == SQLITE_ROW &&
		    !strcmp((const char *)sqlite3_column_text(q, 1), "mailbox") &&
		    plan_creates_mailbox(c, sqlite3_column_int64(q, 0))) {
			char *dn = mf_xstrdup((const char *)sqlite3_column_text(q, 2));
			char *gn = sqlite3_column_text(q, 3) ? mf_xstrdup((const char *)sqlite3_column_text(q, 3)) : NULL;
			char *sn = sqlite3_column_text(q, 4) ? mf_xstrdup((const char *)sqlite3_column_text(q, 4)) : NULL;
			char *proxy = mf_xasprintf("MIGRATE:%s", sqlite3_column_text(q, 5));
			sqlite3_reset(q);
			if (n++ == 0)
				mf_buf_addstr(&out, "DIRECTORY\r\nObj-Class,Mode,Common-Name,Display-Name,"
					      "Given-Name,Surname,Secondary-Proxy-Addresses,Home-Server\r\n");
			mf_buf_reset(&line);
			exw_fieldz(&line, "mailbox", EXW_NEVER, 1);
			exw_fieldz(&line, "create", EXW_NEVER, 0);
			exw_fieldz(&line, s->pairs[i].alias, EXW_DIRECTORY, 0);
			dir_field(c, &line, dn, 0);
			dir_field(c, &line, gn, 0);
			dir_field(c, &line, sn, 0);
			dir_field_q(c, &line, proxy, EXW_DOTS, 0);
			exw_fieldz(&line, "~Server", EXW_NEVER, 0);
			exw_eol(&line);
			mf_buf_add(&out, line.data, line.len);
			free(dn);
			free(gn);
			free(sn);
			free(proxy);
		} else {
			sqlite3_reset(q);
		}
	}

	/* custom recipients and lists of this post office's source, once, in
	 * its first set */
	if (s->first && mf_plan_objects(c->st, &objs, &nobjs, &a, d) < 0)
		goto fail;
	if (s->first) {
		int nr = 0, nl = 0;
		for (size_t i = 0; i < nobjs; i++) {
			const struct mf_plan_object *o = &objs[i];
			if (o->action != MF_PLAN_CREATE || strcmp(o->kind, "custom") ||
			    entry_source(c, o->entry_id) != s->source_id)
				continue;
			if (nr++ == 0)
				mf_buf_addstr(&out, "\r\nDIRECTORY\r\nObj-Class,Mode,Common-Name,Display-Name,"
					      "Given-Name,Surname,Target-Address\r\n");
			{
				struct mf_buf ta;
				const char *colon = o->address ? strchr(o->address, ':') : NULL;
				mf_buf_init(&ta, 1u << 16);
				if (colon) {
					char type[32];
					snprintf(type, sizeof(type), "%.*s", (int)(colon - o->address),
						 o->address);
					typed_address(&ta, type, colon + 1);
				}
				mf_buf_reset(&line);
				exw_fieldz(&line, "remote", EXW_NEVER, 1);
				exw_fieldz(&line, "create", EXW_NEVER, 0);
				exw_fieldz(&line, o->alias, EXW_DIRECTORY, 0);
				dir_field(c, &line, o->display_name ? o->display_name : o->name, 0);
				dir_field(c, &line, o->given_name, 0);
				dir_field(c, &line, o->surname, 0);
				dir_field_q(c, &line, ta.data, EXW_DOTS, 0);
				exw_eol(&line);
				mf_buf_add(&out, line.data, line.len);
				mf_buf_release(&ta);
			}
		}
		for (size_t i = 0; i < nobjs; i++) {
			const struct mf_plan_object *o = &objs[i];
			struct mf_buf mem;
			if (o->action != MF_PLAN_CREATE || strcmp(o->kind, "list") ||
			    entry_source(c, o->entry_id) != s->source_id)
				continue;
			mf_buf_init(&mem, 1u << 20);
			q = mf_store_stmt(c->st, SQL_MEMBERS, d);
			if (!q) {
				mf_buf_release(&mem);
				goto fail;
			}
			sqlite3_bind_int64(q, 1, o->entry_id);
			while (sqlite3_step(q) == SQLITE_ROW) {
				const char *al = NULL;
				if (sqlite3_column_type(q, 1) != SQLITE_NULL)
					al = member_alias(c, objs, nobjs, sqlite3_column_int64(q, 1),
							  (const char *)sqlite3_column_text(q, 2), &a);
				if (!al) {
					mf_export_problem(c->ex, MF_WARNING, "exchange.dl-member-unresolved",
							  0, 0, "list '%s': member '%s' will not be in the "
							  "target's directory; left out of the distribution list",
							  o->name, sqlite3_column_text(q, 0));
					continue;
				}
				if (mem.len)
					mf_buf_addch(&mem, '%');
				mf_buf_addstr(&mem, al);
			}
			sqlite3_reset(q);
			if (nl++ == 0)
				mf_buf_addstr(&out, "\r\nDIRECTORY\r\nObj-Class,Mode,Common-Name,"
					      "Display-Name,Members\r\n");
			mf_buf_reset(&line);
			exw_fieldz(&line, "dl", EXW_NEVER, 1);
			exw_fieldz(&line, "create", EXW_NEVER, 0);
			exw_fieldz(&line, o->alias, EXW_DIRECTORY, 0);
			dir_field(c, &line, o->display_name ? o->display_name : o->name, 0);
			exw_field(&line, mem.data, mem.len, EXW_NEVER, 0);
			exw_eol(&line);
			mf_buf_add(&out, line.data, line.len);
			mf_buf_release(&mem);
		}
		n += nr + nl;
	}
	rc = MF_OK;
	if (n) {
		snprintf(path, sizeof(path), "%s/DIRECTRY.PRI", s->folder);
		rc = mf_write_atomic(path, out.data, out.len, 0644, 1, d);
		*written = rc == MF_OK;
	}
	mf_arena_release(&a);
	mf_buf_release(&out);
	mf_buf_release(&line);
	return rc;
fail:
	mf_arena_release(&a);
	mf_buf_release(&out);
	mf_buf_release(&line);
	return MF_ESTORE;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return (x->number > y->number) - (x->number < y->number);
}

static int ex_finish(struct mf_export_ctx *c, struct mf_diag *d)
{
	for (size_t i = 0; i < c->nsets; i++) {
		struct po_set *s = &c->sets[i];
		struct mf_buf pkl;
		const char **names;
		char *kinds;
		size_t n = 0;
		int dir_written = 0, rc;
		char path[PATH_MAX + 32];

		if (!s->exists || !s->npairs)
			continue;
		if (!c->directory_skip && (rc = write_directory(c, s, &dir_written, d)) < 0)
			return rc;
		qsort(s->pairs, s->npairs, sizeof(*s->pairs), cmp_pair);
		names = mf_xcalloc(2 * s->npairs + 1, sizeof(*names));
		kinds = mf_xcalloc(2 * s->npairs + 2, 1);
		if (dir_written) {
			names[n] = mf_xstrdup("DIRECTRY.PRI");
			kinds[n++] = 'P';
		}
		for (size_t k = 0; k < s->npairs; k++) {
			names[n] = mf_xasprintf("%08d.PRI", s->pairs[k].number);
			kinds[n++] = 'P';
			names[n] = mf_xasprintf("%08d.SEC", s->pairs[k].number);
			kinds[n++] = 'S';
		}
		mf_buf_init(&pkl, MF_BUF_UNBOUNDED);
		exw_pkl(&pkl, c->cpnum, names, kinds, n);
		snprintf(path, sizeof(path), "%s/%s.PKL", s->folder, s->tag);
		rc = mf_write_atomic(path, pkl.data, pkl.len, 0644, 1, d);
		mf_buf_release(&pkl);
		for (size_t k = 0; k < n; k++)
			free((char *)names[k]);
		free(names);
		free(kinds);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

static void ex_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = *pc;
	if (!c)
		return;
	discard_tmp(c);
	for (size_t i = 0; i < c->nsets; i++)
		free(c->sets[i].pairs);
	free(c->sets);
	for (size_t i = 0; i < NAME_CACHE; i++)
		free(c->names[i].name);
	free(c->msgs);
	free(c->cals);
	mf_buf_release(&c->sc2);
	mf_buf_release(&c->pab);
	mf_charset_free(&c->cs);
	free(c);
	*pc = NULL;
}

const struct mf_exporter mf_exporter_exchange = {
	.name = "exchange",
	.summary = "Exchange Migration Wizard files (.pkl/.pri/.sec)",
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES | MF_EXP_CALENDAR | MF_EXP_PAB | MF_EXP_DIRECTORY,
	.open = ex_open,
	.target = ex_target,
	.check_mailbox = NULL,
	.mailbox_begin = ex_mailbox_begin,
	.put_message = ex_put_message,
	.put_calendar = ex_put_calendar,
	.put_pab = ex_put_pab,
	.mailbox_end = ex_mailbox_end,
	.finish = ex_finish,
	.close = ex_close,
};
