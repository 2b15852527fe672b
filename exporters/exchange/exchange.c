/* SPDX-License-Identifier: MIT */
/*
 * exchange.c: the Exchange Migration Wizard files (.pkl/.pri/.sec) exporter.
 * Contract: docs/formats/exchange-migration-files.md; decisions in
 * docs/decisions.md ("Exchange files").  The parts: exchange.c the sets
 * and the callbacks, exchange_people.c senders, recipients and address
 * books, exchange_calendar.c the Schedule+ file, exchange_finish.c the end
 * of a mailbox and of the run; exchange_priv.h their shared state.
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
#include "exporters/exchange/exchange_priv.h"

#include <fcntl.h>

/* ---- small helpers ---- */

int exx_fail_io(struct mf_diag *d, const char *path, const char *what)
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
const char *exx_enc_line(struct mf_export_ctx *c, struct mf_buf *out, const char *utf8)
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
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_source_info si;
	int rc = mf_export_source(c->ex, source_id, &si, &a, NULL);
	if (rc == MF_OK) {
		snprintf(s->po, sizeof(s->po), "%s", si.postoffice);
		snprintf(s->format, sizeof(s->format), "%s", si.format);
		snprintf(c->src_tz, sizeof(c->src_tz), "%s", si.timezone);
		snprintf(c->src_cal_cp, sizeof(c->src_cal_cp), "%s", si.calendar_codepage);
	}
	mf_arena_release(&a);
	return rc == MF_OK ? MF_OK : rc == MF_ENOTFOUND ? MF_ENOTFOUND : MF_ESTORE;
}

/* ---- sets ---- */

int exx_pair_head(const char *path, char alias[64], int *is_new)
{
	char line[512], kind[16] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok = 0;
	ssize_t got;
	alias[0] = '\0';
	if (fd < 0)
		return 0;
	/* the first line only: one read of its first bytes */
	got = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "! mailferry: mailbox %63s %15s", alias, kind) == 2) {
		*is_new = !strcmp(kind, "new");
		ok = 1;
	}
	return ok;
}

/* A pair an unfinished set already holds (resumed: its mailbox keeps the
 * number). */
static void scan_pair(struct po_set *s, const char *path, int number)
{
	char alias[64];
	int is_new;
	if (!exx_pair_head(path, alias, &is_new))
		return;
	/* the alias's last pair wins, as it was written last */
	mf_strmap_set(&s->resumed, alias, (uint64_t)number);
	if (number > s->maxn)
		s->maxn = number;
	s->npairs++;
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
		return exx_fail_io(d, c->out, "cannot read output folder");
	while ((de = readdir(dir))) {
		int n;
		char pkl[PATH_MAX];
		struct stat sb;
		if (strncmp(de->d_name, s->tag, tl) != 0 || de->d_name[tl] != '.' ||
		    strlen(de->d_name) != tl + 4 || (n = exx_digits_at(de->d_name + tl + 1, 3)) < 1)
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
				if (strlen(de->d_name) == 12 && (n = exx_digits_at(de->d_name, 8)) > 0 &&
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
	mf_strmap_init(&s->resumed, MF_STRMAP_COPY);
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
		mf_strmap_release(&s->resumed);
		c->nsets--;
		return rc;
	}
	*out = s;
	return MF_OK;
}

/* ---- the exporter ---- */

int exx_ex_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
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
		return exx_fail_io(d, o->out, "cannot resolve output folder");
	if (access(real, W_OK) != 0) {
		rc = exx_fail_io(d, real, "output folder is not writable");
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

const char *exx_ex_target(struct mf_export_ctx *c)
{
	return c->target;
}

void exx_discard_tmp(struct mf_export_ctx *c)
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

int exx_ex_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
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
		uint64_t n;
		if (mb->alias && mf_strmap_get(&c->set->resumed, mb->alias, &n))
			c->number = (int)n;
		if (!c->number)
			c->number = c->set->maxn + 1;
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
		rc = exx_fail_io(d, c->out, "cannot create temporary files");
		exx_discard_tmp(c);
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
		exx_enc_line(c, &v, mb->source_address);
		exw_field(&line, v.data, v.len, EXW_DOTS, 0);
	}
	exw_eol(&line);
	mf_buf_addstr(&line, EXW_MAILMESSAGE_HEADER);
	fwrite(line.data, 1, line.len, c->pri);
	mf_buf_reset(&v);
	exx_render_party(c, &v, 0, mb->display_name, NULL, NULL, NULL);
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

int exx_ex_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
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
		rc = exx_fail_io(d, c->tmp_sec, "cannot write secondary file");
		goto out;
	}

	/* the MAILMESSAGE line: 12 columns */
	folder_field(c, &v, m);
	exw_field(&line, v.data, v.len, EXW_FOLDER, 1);
	mf_buf_reset(&v);
	exx_render_party(c, &v, m->sender_entry_id, m->sender_name, m->sender_type, m->sender_address,
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
			exx_render_party(c, &v, r->entry_id, r->display_name, r->address_type, r->address, r->raw);
			any = 1;
		}
		exw_field(&line, v.data, v.len, EXW_PLAIN | EXW_MULTI, 0);
	}
	exw_fieldz(&line, exx_enc_line(c, &v, m->subject), EXW_PLAIN, 0);
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
		rc = exx_fail_io(d, c->tmp_pri, "cannot write primary file");
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
	{
		struct mf_sha256 h;
		mf_sha256_init(&h);
		mf_sha256_update(&h, body.data, body.len);
		for (size_t i = 0; i < natts; i++)
			mf_sha256_update(&h, atts[i].data, atts[i].len);
		mf_sha256_final(&h, c->msgs[c->nmsgs].sha256);
	}
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
