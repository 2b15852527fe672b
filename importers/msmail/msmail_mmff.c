/* SPDX-License-Identifier: MIT */
/* msmail_mmff.c: the MMFF message reader and the textized header (see
 * msmail_mmff.h). */
#include "importers/msmail/msmail_mmff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_mmff_init(struct mf_mmff *p, const void *data, size_t len,
		  mf_problem_fn *fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	mf_rd_init(&p->rd, data, len);
	p->problem = fn;
	p->pctx = ctx;
}

void mf_mmff_release(struct mf_mmff *p)
{
	mf_free(&p->rcpt);
	mf_free(&p->att);
	mf_free(&p->ext);
	mf_free(&p->unknown);
	p->rcpt_cap = p->att_cap = p->ext_cap = p->unknown_cap = 0;
}

static const char *const version_word[] = { "VERSION:", NULL };

static int at_version(const struct mf_rd *r)
{
	return mf_rd_at_ci(r, "VERSION:");
}

/* Grow *arr (element size sz) so that index n fits, up to max elements. */
static int room(void **arr, size_t *cap, size_t n, size_t sz, size_t max)
{
	size_t want;
	if (n < *cap)
		return MF_OK;
	if (n >= max)
		return MF_ETOOBIG;
	want = *cap ? *cap * 2 : 8;
	if (want > max)
		want = max;
	*arr = mf_xreallocarray(*arr, want, sz);
	*cap = want;
	return MF_OK;
}

/* A span of s from i to j (i <= j <= s.len). */
static struct mf_span sub(struct mf_span s, size_t i, size_t j)
{
	struct mf_span r;
	r.p = s.p + i;
	r.len = j - i;
	return r;
}

static size_t find_byte(struct mf_span s, size_t from, unsigned char c)
{
	for (size_t i = from; i < s.len; i++)
		if (s.p[i] == c)
			return i;
	return s.len;
}

static int is_blank_line(struct mf_span s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t')
			return 0;
	return 1;
}

/* Parse a decimal count with optional surrounding blanks. */
static int parse_count(uint64_t *out, struct mf_span v)
{
	v = mf_span_trim(v);
	if (!v.len || v.len > 19)
		return MF_EFORMAT;
	return mf_parse_u64(out, (const char *)v.p, v.len, UINT64_MAX / 4);
}

/*
 * Skip forward to the next line starting with VERSION: (searching from
 * `from`, which is a line start when at_start), report the skipped range and
 * return MF_SKIP with msg covering [start, new position).
 */
static int skip_damaged(struct mf_mmff *p, struct mf_mmff_msg *msg, uint64_t start,
			uint64_t from, int at_start)
{
	struct mf_rd r = p->rd;
	uint64_t off;
	uint64_t total = (uint64_t)(p->rd.end - p->rd.base);

	if (mf_rd_seek(&r, from) != MF_OK || mf_rd_find_line_with(&r, at_start, version_word, &off) < 0)
		off = total;
	if (off <= start) /* never stand still */
		off = total;
	mf_rd_seek(&p->rd, off);
	memset(msg, 0, sizeof(*msg));
	msg->offset = start;
	msg->length = off - start;
	return MF_SKIP;
}

static void reset_msg(struct mf_mmff_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
}

/* Set a single-valued token, reporting a repeat (the first one wins). */
static void set_single(struct mf_mmff *p, struct mf_span *slot, struct mf_span v,
		       const char *tok, uint64_t off)
{
	if (slot->p) {
		mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.mmff-duplicate-token", off,
				  "%s: given twice in one message; the first one is used "
				  "(both stay in the raw header)", tok);
		return;
	}
	*slot = v.p ? v : (struct mf_span){ (const unsigned char *)"", 0 };
}

/* Handle an EXT:<type>:<n>:<NAME> token whose value is on the next line. */
static int read_ext(struct mf_mmff *p, struct mf_mmff_msg *msg, struct mf_span line,
		    struct mf_span rest, uint64_t off)
{
	struct mf_mmff_token *t;
	struct mf_span val = { (const unsigned char *)"", 0 };
	size_t c1 = find_byte(rest, 0, ':');
	size_t c2 = c1 < rest.len ? find_byte(rest, c1 + 1, ':') : rest.len;
	uint64_t n = 0;
	int have_n = 0;

	if (room((void **)&p->ext, &p->ext_cap, msg->n_ext, sizeof(*p->ext),
		 MF_MMFF_TOKEN_MAX) < 0)
		return MF_ETOOBIG;
	t = &p->ext[msg->n_ext];
	memset(t, 0, sizeof(*t));
	t->line = line;
	t->offset = off;
	t->name = c2 < rest.len ? mf_span_trim(sub(rest, c2 + 1, rest.len)) : mf_span_trim(rest);
	if (c1 < rest.len && c2 <= rest.len && c2 > c1 + 1 &&
	    parse_count(&n, sub(rest, c1 + 1, c2)) == MF_OK)
		have_n = 1;
	/* The value: n bytes (its line end included) when that ends on a line
	 * end, else one line. */
	if (have_n && n > 0 && n <= mf_rd_left(&p->rd)) {
		struct mf_rd r = p->rd;
		struct mf_span all;
		mf_rd_bytes(&r, (size_t)n, &all);
		if (all.len && (all.p[all.len - 1] == '\n' || all.p[all.len - 1] == '\r')) {
			size_t k = all.len - 1;
			if (all.p[k] == '\n' && k > 0 && all.p[k - 1] == '\r')
				k--;
			val = sub(all, 0, k);
			p->rd = r;
			goto done;
		}
	}
	{
		struct mf_span l;
		int rc = mf_rd_line(&p->rd, &l, NULL, MF_EOLS_ANY, MF_MMFF_LINE_MAX);
		if (rc == MF_ETOOBIG)
			return rc;
		if (rc == MF_OK)
			val = l;
		if (have_n && rc == MF_OK)
			mf_problem_report(p->problem, p->pctx, MF_INFO, "msmail.mmff-ext-length", off,
					  "EXT: token declares %llu value bytes; one line of %zu "
					  "bytes was read as its value", (unsigned long long)n, l.len);
	}
done:
	t->value = val;
	msg->n_ext++;
	return MF_OK;
}

static int add_unknown(struct mf_mmff *p, struct mf_mmff_msg *msg, struct mf_span line,
		       struct mf_span tok, struct mf_span val, uint64_t off)
{
	struct mf_mmff_token *t;
	if (room((void **)&p->unknown, &p->unknown_cap, msg->n_unknown, sizeof(*p->unknown),
		 MF_MMFF_TOKEN_MAX) < 0)
		return MF_ETOOBIG;
	t = &p->unknown[msg->n_unknown++];
	t->line = line;
	t->name = tok;
	t->value = val;
	t->offset = off;
	mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.mmff-unknown-token", off,
			  "unknown token '%.*s' kept verbatim in the raw header",
			  (int)(tok.len > 40 ? 40 : tok.len), (const char *)tok.p);
	return MF_OK;
}

static int add_att(struct mf_mmff *p, struct mf_mmff_msg *msg, struct mf_span v, uint64_t off)
{
	struct mf_mmff_att *a;
	size_t end = v.len, sp;
	uint64_t size;

	/* the size is the last blank-separated field */
	while (end && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t'))
		end--;
	sp = end;
	while (sp && v.p[sp - 1] != ' ' && v.p[sp - 1] != '\t')
		sp--;
	if (parse_count(&size, sub(v, sp, end)) != MF_OK)
		return MF_EFORMAT;
	if (room((void **)&p->att, &p->att_cap, msg->n_att, sizeof(*p->att), MF_MMFF_ATT_MAX) < 0)
		return MF_ETOOBIG;
	a = &p->att[msg->n_att++];
	memset(a, 0, sizeof(*a));
	a->name = mf_span_trim(sub(v, 0, sp));
	a->size = size;
	a->offset = off;
	return MF_OK;
}

static int add_rcpt(struct mf_mmff *p, struct mf_mmff_msg *msg, enum mf_mmff_role role,
		    struct mf_span v, uint64_t off)
{
	struct mf_mmff_addr *a;
	if (room((void **)&p->rcpt, &p->rcpt_cap, msg->n_rcpt, sizeof(*p->rcpt),
		 MF_MMFF_RCPT_MAX) < 0)
		return MF_ETOOBIG;
	a = &p->rcpt[msg->n_rcpt++];
	a->role = role;
	a->value = v;
	a->offset = off;
	return MF_OK;
}

static int tok_is(struct mf_span tok, const char *w)
{
	return mf_span_eq_ci(tok, w);
}

int mf_mmff_next(struct mf_mmff *p, struct mf_mmff_msg *msg)
{
	struct mf_span line;
	enum mf_eol eol;
	uint64_t start, body_off, need, off;
	int rc, have_text = 0;
	uint64_t text_n = 0;

	reset_msg(msg);
	if (mf_rd_eof(&p->rd))
		return MF_DONE;

	/* Bytes that are not a message: pass over them to the next VERSION:. */
	if (!at_version(&p->rd)) {
		uint64_t from = mf_rd_offset(&p->rd), to;
		uint64_t total = (uint64_t)(p->rd.end - p->rd.base);
		struct mf_rd r = p->rd;
		int blank = 1;
		if (mf_rd_find_line_with(&r, 0, version_word, &to) < 0)
			to = total;
		/* only line ends and blanks? then say less */
		mf_rd_seek(&r, from);
		while (mf_rd_offset(&r) < to) {
			struct mf_span l;
			if (mf_rd_line(&r, &l, NULL, MF_EOLS_ANY, MF_MMFF_LINE_MAX) != MF_OK ||
			    !is_blank_line(l)) {
				blank = 0;
				break;
			}
		}
		if (blank)
			mf_problem_report(p->problem, p->pctx, MF_INFO, "msmail.mmff-blank-lines", from,
					  "%llu bytes of empty lines between messages passed over",
					  (unsigned long long)(to - from));
		else
			mf_problem_report(p->problem, p->pctx, MF_WARNING, "msmail.mmff-garbage", from,
					  "%llu bytes that are not a message (no VERSION: line) "
					  "passed over", (unsigned long long)(to - from));
		mf_rd_seek(&p->rd, to);
		if (mf_rd_eof(&p->rd))
			return MF_DONE;
	}

	start = mf_rd_offset(&p->rd);
	msg->offset = start;
	rc = mf_rd_line(&p->rd, &line, &eol, MF_EOLS_ANY, MF_MMFF_LINE_MAX);
	if (rc != MF_OK) {
		mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-line-too-long", start,
				  "VERSION: line longer than %u bytes; message skipped",
				  MF_MMFF_LINE_MAX);
		return skip_damaged(p, msg, start, start, 0);
	}
	msg->version = mf_span_trim(sub(line, 8, line.len));
	msg->eol = eol;
	if (!p->started) {
		p->started = 1;
		p->first_eol = eol;
	}

	/* Header tokens up to TEXT:. */
	while (!have_text) {
		struct mf_span tok, val;
		size_t colon;

		off = mf_rd_offset(&p->rd);
		if (off - start > MF_MMFF_HEADER_MAX) {
			mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-too-many", start,
					  "header longer than %u bytes without TEXT:; message skipped",
					  MF_MMFF_HEADER_MAX);
			return skip_damaged(p, msg, start, off, 1);
		}
		if (at_version(&p->rd)) {
			mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-no-text", start,
					  "message has no TEXT: line before the next VERSION:; "
					  "message skipped");
			return skip_damaged(p, msg, start, off, 1);
		}
		rc = mf_rd_line(&p->rd, &line, NULL, MF_EOLS_ANY, MF_MMFF_LINE_MAX);
		if (rc == MF_DONE) {
			mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-truncated", start,
					  "file ends before the message's TEXT: line; message skipped");
			return skip_damaged(p, msg, start, off, 1);
		}
		if (rc != MF_OK) {
			mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-line-too-long", off,
					  "header line longer than %u bytes; message skipped",
					  MF_MMFF_LINE_MAX);
			return skip_damaged(p, msg, start, off, 0);
		}
		if (is_blank_line(line))
			continue; /* kept in the raw header, nothing to read */
		colon = find_byte(line, 0, ':');
		if (colon == line.len) {
			tok = line;
			val = sub(line, line.len, line.len);
			if (add_unknown(p, msg, line, tok, val, off) < 0)
				goto too_many;
			continue;
		}
		tok = mf_span_trim(sub(line, 0, colon));
		val = mf_span_trim(sub(line, colon + 1, line.len));
		if (tok_is(tok, "TO") || tok_is(tok, "CC")) {
			if (!val.len) {
				mf_problem_report(p->problem, p->pctx, MF_INFO, "msmail.mmff-empty-address", off,
						  "empty %.*s: line ignored", (int)tok.len, (const char *)tok.p);
				continue;
			}
			if (add_rcpt(p, msg, tok_is(tok, "TO") ? MF_MMFF_TO : MF_MMFF_CC, val, off) < 0)
				goto too_many;
		} else if (tok_is(tok, "FROM")) {
			set_single(p, &msg->from, val, "FROM", off);
		} else if (tok_is(tok, "DATE")) {
			set_single(p, &msg->date, val, "DATE", off);
		} else if (tok_is(tok, "TIME")) {
			set_single(p, &msg->time, val, "TIME", off);
		} else if (tok_is(tok, "SUBJECT")) {
			set_single(p, &msg->subject, val, "SUBJECT", off);
		} else if (tok_is(tok, "PRIORITY")) {
			set_single(p, &msg->priority, val, "PRIORITY", off);
		} else if (tok_is(tok, "STATUS")) {
			set_single(p, &msg->status, val, "STATUS", off);
		} else if (tok_is(tok, "ATTACHMENT") || tok_is(tok, "ATTACHMENTS")) {
			rc = add_att(p, msg, val, off);
			if (rc == MF_ETOOBIG)
				goto too_many;
			if (rc < 0) {
				mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-bad-count", off,
						  "ATTACHMENT: line without a size (\"name size\"); "
						  "message skipped");
				return skip_damaged(p, msg, start, mf_rd_offset(&p->rd), 1);
			}
		} else if (tok_is(tok, "EXT")) {
			if (read_ext(p, msg, line, sub(line, colon + 1, line.len), off) < 0)
				goto too_many;
		} else if (tok_is(tok, "TEXT")) {
			if (parse_count(&text_n, val) != MF_OK) {
				mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-bad-count", off,
						  "TEXT: value '%.*s' is not a byte count; message skipped",
						  (int)(val.len > 20 ? 20 : val.len), (const char *)val.p);
				return skip_damaged(p, msg, start, mf_rd_offset(&p->rd), 1);
			}
			have_text = 1;
		} else if (tok_is(tok, "VERSION")) {
			/* cannot happen: at_version is checked above */
			continue;
		} else {
			if (add_unknown(p, msg, line, tok, val, off) < 0)
				goto too_many;
		}
	}

	/* The data: the body, then every attachment. */
	msg->rcpt = p->rcpt;
	msg->att = p->att;
	msg->ext = p->ext;
	msg->unknown = p->unknown;
	body_off = mf_rd_offset(&p->rd);
	msg->header.p = p->rd.base + start;
	msg->header.len = (size_t)(body_off - start);
	need = text_n;
	for (size_t i = 0; i < msg->n_att; i++) {
		if (msg->att[i].size > UINT64_MAX / 4 - need) {
			need = UINT64_MAX;
			break;
		}
		need += msg->att[i].size;
	}
	if (need > mf_rd_left(&p->rd)) {
		mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-truncated", start,
				  "TEXT: and ATTACHMENT: sizes add up to %llu bytes but only %zu are "
				  "left in the file; message skipped", (unsigned long long)need,
				  mf_rd_left(&p->rd));
		return skip_damaged(p, msg, start, body_off, 1);
	}
	msg->body_offset = body_off;
	mf_rd_bytes(&p->rd, (size_t)text_n, &msg->body);
	for (size_t i = 0; i < msg->n_att; i++) {
		msg->att[i].data_offset = mf_rd_offset(&p->rd);
		mf_rd_bytes(&p->rd, (size_t)msg->att[i].size, &msg->att[i].data);
	}
	off = mf_rd_offset(&p->rd);
	msg->length = off - start;
	msg->raw.p = p->rd.base + start;
	msg->raw.len = (size_t)msg->length;

	/* What follows must be the next message or the end. */
	{
		struct mf_rd r = p->rd;
		uint64_t after;
		int blanks = 0;
		mf_rd_skip_eol(&r, MF_EOLS_ANY);
		after = mf_rd_offset(&r);
		while (!mf_rd_eof(&r) && !at_version(&r)) {
			struct mf_span l;
			if (mf_rd_line(&r, &l, NULL, MF_EOLS_ANY, MF_MMFF_LINE_MAX) != MF_OK ||
			    !is_blank_line(l)) {
				blanks = -1;
				break;
			}
			blanks++;
		}
		if (blanks < 0) {
			mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-count-mismatch", start,
					  "the bytes after TEXT:%llu and the attachment sizes are not "
					  "the next VERSION: line: a byte count is wrong; message "
					  "skipped, reading goes on at the next VERSION: line",
					  (unsigned long long)text_n);
			return skip_damaged(p, msg, start, body_off, 1);
		}
		if (blanks > 0)
			mf_problem_report(p->problem, p->pctx, MF_INFO, "msmail.mmff-blank-lines", after,
					  "%d empty line(s) after the message passed over", blanks);
		p->rd = r;
	}
	return MF_OK;

too_many:
	mf_problem_report(p->problem, p->pctx, MF_ERROR, "msmail.mmff-too-many", start,
			  "more than %d recipients, %d attachments or %d kept tokens, or an "
			  "overlong EXT: value; message skipped", MF_MMFF_RCPT_MAX, MF_MMFF_ATT_MAX,
			  MF_MMFF_TOKEN_MAX);
	return skip_damaged(p, msg, start, mf_rd_offset(&p->rd), 1);
}

enum mf_mmff_prio_kind mf_mmff_priority(struct mf_span v, int *level)
{
	v = mf_span_trim(v);
	*level = 0;
	if (!v.len)
		return MF_MMFF_PRIO_EMPTY;
	if (v.len != 1)
		return MF_MMFF_PRIO_UNKNOWN;
	switch (v.p[0]) {
	case '1': case '2': *level = -1; return MF_MMFF_PRIO_LEVEL;
	case '3': return MF_MMFF_PRIO_LEVEL;
	case '4': case '5': *level = 1; return MF_MMFF_PRIO_LEVEL;
	case 'R': case 'r': return MF_MMFF_PRIO_RECEIPT;
	case 'C': case 'c': return MF_MMFF_PRIO_CONFIRM;
	case 'F': case 'f': return MF_MMFF_PRIO_FILE;
	default: return MF_MMFF_PRIO_UNKNOWN;
	}
}

/* ---- textized header ---- */

/* Lower-case ASCII letters of the label only ("Date d'envoi" ->
 * "datedenvoi", "Priorität" -> "prioritt"): accented letters differ between
 * code pages, so the word lists below avoid relying on them. */
static size_t label_norm(char out[65], struct mf_span label)
{
	size_t n = 0;
	for (size_t i = 0; i < label.len && n < 64; i++) {
		unsigned char c = label.p[i];
		if (c >= 'A' && c <= 'Z')
			out[n++] = (char)(c + 32);
		else if (c >= 'a' && c <= 'z')
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

static int in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int has_any(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strstr(s, list[i]))
			return 1;
	return 0;
}

enum mf_textized_field mf_textized_label(struct mf_span label)
{
	static const char *const from[] = { "from", "von", "de", "absender", "remitente",
		"expediteur", "expditeur", NULL };
	static const char *const to[] = { "to", "an", "a", "para", "destinataire",
		"destinataires", "empfanger", "empfnger", "destinatario", "destinatarios", NULL };
	static const char *const cc[] = { "cc", NULL };
	static const char *const subject[] = { "subject", "betreff", "objet", "asunto",
		"sujet", "thema", NULL };
	static const char *const date[] = { "date", "datum", "fecha", "datedenvoi", "sent",
		"gesendet", "enviado", "envoye", "envoy", NULL };
	static const char *const att[] = { "attachments", "attachment", "anlagen", "anlage",
		"anhange", "anhnge", "anhang", "piecesjointes", "picesjointes", "piecejointe",
		"picejointe", "fichiersjoints", "datosadjuntos", "adjuntos", "archivosadjuntos", NULL };
	static const char *const parent[] = { "parent", "princip", "bergeordnet", "bezug",
		"eltern", "padre", "antecedent", "vorg", NULL };
	static const char *const conv[] = { "conver", "unterhalt", "gespr", "konvers",
		"discussion", NULL };
	char s[65];
	size_t n = label_norm(s, label);

	if (!n)
		return MF_TXH_OTHER;
	if (in_list(s, subject))
		return MF_TXH_SUBJECT;
	if (in_list(s, from))
		return MF_TXH_FROM;
	if (in_list(s, to))
		return MF_TXH_TO;
	if (in_list(s, cc))
		return MF_TXH_CC;
	if (in_list(s, date))
		return MF_TXH_DATE;
	if (in_list(s, att))
		return MF_TXH_ATTACHMENTS;
	if (strstr(s, "priorit"))
		return MF_TXH_PRIORITY;
	if ((n >= 2 && s[n - 2] == 'i' && s[n - 1] == 'd') || (s[0] == 'i' && s[1] == 'd') ||
	    strstr(s, "ident") || strstr(s, "kennung")) {
		if (has_any(s, conv))
			return MF_TXH_CONVERSATION_ID;
		if (has_any(s, parent))
			return MF_TXH_PARENT_ID;
		return MF_TXH_MESSAGE_ID;
	}
	return MF_TXH_OTHER;
}

int mf_textized_parse(struct mf_textized *out, struct mf_span body)
{
	struct mf_rd r;
	struct mf_span line;
	size_t i, lines = 0;
	enum mf_textized_field last = MF_TXH_OTHER;

	memset(out, 0, sizeof(*out));
	mf_rd_init(&r, body.p, body.len);
	if (mf_rd_line(&r, &line, NULL, MF_EOLS_ANY, 4096) != MF_OK)
		return 0;
	if (!mf_span_starts_ci(line, "Microsoft Mail v"))
		return 0;
	i = 16;
	while (i < line.len && line.p[i] != ' ' && line.p[i] != '\t')
		i++;
	out->product = sub(line, 0, i);
	out->message_class = mf_span_trim(sub(line, i, line.len));
	if (!out->message_class.len)
		return 0;
	for (;;) {
		struct mf_span label, value;
		size_t colon;
		enum mf_textized_field f;

		if (++lines > MF_TEXTIZED_LINES_MAX)
			return 0;
		if (mf_rd_line(&r, &line, NULL, MF_EOLS_ANY, 4096) != MF_OK)
			return 0; /* no blank line closes it: not a header */
		if (is_blank_line(line))
			break;
		if (line.p[0] == ' ' || line.p[0] == '\t') {
			/* continuation (attachment names): belongs to the line above */
			if (last == MF_TXH_OTHER && out->n_other < MF_ARRAY_LEN(out->other))
				out->other[out->n_other++] = line;
			continue;
		}
		colon = find_byte(line, 0, ':');
		if (colon == line.len) {
			last = MF_TXH_OTHER;
			if (out->n_other < MF_ARRAY_LEN(out->other))
				out->other[out->n_other++] = line;
			continue;
		}
		label = mf_span_trim(sub(line, 0, colon));
		value = mf_span_trim(sub(line, colon + 1, line.len));
		f = mf_textized_label(label);
		last = f;
		if (f == MF_TXH_OTHER) {
			if (out->n_other < MF_ARRAY_LEN(out->other))
				out->other[out->n_other++] = line;
			continue;
		}
		out->n_labels_known++;
		if (!out->field[f].p)
			out->field[f] = value.p ? value : sub(line, line.len, line.len);
	}
	out->header_len = (size_t)mf_rd_offset(&r);
	return 1;
}
