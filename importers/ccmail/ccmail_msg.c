/* SPDX-License-Identifier: MIT */
/*
 * ccmail_msg.c: the cc:Mail message export grammar (see ccmail_msg.h and
 * the CCMX v1 contract, sections 4.1, 4.2 and 4.5).
 *
 * Sizes are trusted only when what follows the payload is a token (an item
 * token or a message line), the end of the input, or one line end before
 * one of those; otherwise the payload is found by scanning for the next
 * token at the start of a line.  Without /ITEMSIZE every payload is found
 * by scanning, and a forwarded message (Message item) runs to the end of
 * the enclosing message (docs/decisions.md).
 */
#include "importers/ccmail/ccmail_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *token;
	enum ccm_item_kind kind;
} item_tokens[] = {
	{ "Text item:", CCM_ITEM_TEXT },
	{ "File item:", CCM_ITEM_FILE },
	{ "Fax item:", CCM_ITEM_FAX },
	{ "Graphics item:", CCM_ITEM_GRAPHICS },
	{ "Sound item:", CCM_ITEM_SOUND },
	{ "Message item:", CCM_ITEM_MESSAGE },
};

/* Words that can start a token line (for mf_rd_find_line_with). */
static const char *const token_words[] = {
	"Text item:", "File item:", "Fax item:", "Graphics item:", "Sound item:",
	"Message item:", "Message:", NULL
};

const char *ccm_item_kind_name(enum ccm_item_kind k)
{
	switch (k) {
	case CCM_ITEM_TEXT: return "text";
	case CCM_ITEM_FILE: return "file";
	case CCM_ITEM_FAX: return "fax";
	case CCM_ITEM_GRAPHICS: return "graphics";
	case CCM_ITEM_SOUND: return "sound";
	case CCM_ITEM_MESSAGE: return "message";
	}
	return "file";
}

struct ctx {
	struct ccm_parser *p;
	struct mf_arena *arena;
	/* why a message was damaged (set with MF_SKIP) */
	const char *skip_code;
	char skip_text[200];
};

static void prob(struct ctx *c, enum mf_severity sev, const char *code, uint64_t off,
		 const char *fmt, ...) MF_ATTR_PRINTF(5, 6);
static void prob(struct ctx *c, enum mf_severity sev, const char *code, uint64_t off,
		 const char *fmt, ...)
{
	char text[300];
	va_list ap;
	if (!c->p->problem)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->p->problem(c->p->payload, sev, code, off, text);
}

static int damaged(struct ctx *c, const char *code, const char *fmt, ...) MF_ATTR_PRINTF(3, 4);
static int damaged(struct ctx *c, const char *code, const char *fmt, ...)
{
	va_list ap;
	c->skip_code = code;
	va_start(ap, fmt);
	vsnprintf(c->skip_text, sizeof(c->skip_text), fmt, ap);
	va_end(ap);
	return MF_SKIP;
}

/* ---- small predicates ---- */

static int is_blank(unsigned char ch)
{
	return ch == ' ' || ch == '\t';
}

int ccm_at_message_line(const struct mf_rd *r)
{
	struct mf_rd t = *r;
	struct mf_span line;
	size_t i = 8;

	if (!mf_rd_at_ci(&t, "Message:"))
		return 0;
	/* "Message:" [SP digits] [SP] EOL: only then is it a token, so a
	 * body line such as "Message: see below" stays text. */
	if (mf_rd_line(&t, &line, NULL, MF_EOLS_LF_CRLF, 64) != MF_OK)
		return 0;
	while (i < line.len && is_blank(line.p[i]))
		i++;
	while (i < line.len && line.p[i] >= '0' && line.p[i] <= '9')
		i++;
	while (i < line.len && is_blank(line.p[i]))
		i++;
	return i == line.len;
}

/* Item token at the cursor: its index in item_tokens, or -1. */
static int item_token_at(const struct mf_rd *r)
{
	for (size_t i = 0; i < MF_ARRAY_LEN(item_tokens); i++)
		if (mf_rd_at_ci(r, item_tokens[i].token))
			return (int)i;
	return -1;
}

static int token_at(const struct mf_rd *r)
{
	return item_token_at(r) >= 0 || ccm_at_message_line(r);
}

/*
 * Offset of the next token line at or after the cursor (the cursor counts
 * as a line start when at_line_start); the end of the input when none.
 */
static uint64_t next_token_line(const struct mf_rd *r, int at_line_start)
{
	struct mf_rd t = *r;
	uint64_t off;
	int first = at_line_start;

	for (;;) {
		int w = mf_rd_find_line_with(&t, first, token_words, &off);
		if (w < 0)
			return (uint64_t)(r->end - r->base);
		mf_rd_seek(&t, off);
		if (token_words[w + 1] != NULL || ccm_at_message_line(&t))
			return off;
		first = 0; /* "Message:" followed by text: not a token */
	}
}

/* Only line ends and DOS end-of-file bytes (0x1A) up to the end? */
static int only_filler_left(const struct mf_rd *r)
{
	struct mf_rd t = *r;
	while (!mf_rd_eof(&t)) {
		uint8_t ch = mf_rd_u8(&t);
		if (ch != '\r' && ch != '\n' && ch != 0x1A)
			return 0;
	}
	return 1;
}

enum sz_class { SZ_NUM, SZ_BLANK, SZ_OTHER };

static enum sz_class size_class(struct mf_span line, uint64_t *val)
{
	struct mf_span t = mf_span_trim(line);
	if (t.len == 0)
		return SZ_BLANK;
	if (mf_parse_u64(val, (const char *)t.p, t.len, CCM_MAX_ITEM_SIZE) == MF_OK)
		return SZ_NUM;
	return SZ_OTHER;
}

/* "Keyword:" at the start of a header line: letters, digits, '-' and '_',
 * inner spaces allowed, at most 40 characters.  Returns the keyword
 * length (0: not a header line). */
static size_t header_keyword(struct mf_span line)
{
	size_t i = 0;
	if (line.len == 0 || !((line.p[0] >= 'A' && line.p[0] <= 'Z') ||
			       (line.p[0] >= 'a' && line.p[0] <= 'z') ||
			       (line.p[0] >= '0' && line.p[0] <= '9')))
		return 0;
	while (i < line.len && i <= 40) {
		unsigned char ch = line.p[i];
		if (ch == ':')
			return i;
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == ' '))
			return 0;
		i++;
	}
	return 0;
}

/*
 * Read an optional size line in a sized message, after a token line.
 * Returns 1 with *val set when a valid size was read; 0 when absent or
 * unusable (a problem says which).
 */
static int read_size(struct ctx *c, struct mf_rd *r, const char *what, uint64_t *val)
{
	struct mf_span line;
	uint64_t off = mf_rd_offset(r);
	int rc = mf_rd_peek_line(r, &line, MF_EOLS_LF_CRLF, 64);

	if (rc == MF_DONE) {
		prob(c, MF_WARNING, "ccmail.size-missing", off,
		     "%s has no size line (end of input)", what);
		return 0;
	}
	if (rc == MF_OK && token_at(r)) {
		prob(c, MF_WARNING, "ccmail.size-missing", off,
		     "%s has no size line; its payload is found by scanning", what);
		return 0;
	}
	if (rc == MF_OK) {
		switch (size_class(line, val)) {
		case SZ_NUM:
			mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, 64);
			return 1;
		case SZ_BLANK:
			mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, 64);
			prob(c, MF_WARNING, "ccmail.size-invalid", off,
			     "size line of %s is empty or blank; treated as absent", what);
			return 0;
		case SZ_OTHER:
			if (line.len <= 32) {
				mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, 64);
				prob(c, MF_WARNING, "ccmail.size-invalid", off,
				     "size line of %s is not a number; treated as absent", what);
				return 0;
			}
			break;
		}
	}
	prob(c, MF_WARNING, "ccmail.size-missing", off,
	     "%s has no size line; its payload is found by scanning", what);
	return 0;
}

/* ---- growing arrays in the arena ---- */

static void *grow(struct mf_arena *a, void *arr, size_t n, size_t *cap, size_t elem)
{
	void *na;
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 8;
	na = mf_arena_alloc(a, *cap * elem);
	if (n)
		memcpy(na, arr, n * elem);
	return na;
}

/* ---- messages ---- */

static int parse_message(struct ctx *c, struct mf_rd *r, int depth, struct ccm_message *m);

/* Offset of the next message line strictly after the cursor's line, or the
 * end of the input. */
static uint64_t next_message_line(const struct mf_rd *r)
{
	static const char *const words[] = { "Message:", NULL };
	struct mf_rd t = *r;
	uint64_t off;

	for (;;) {
		if (mf_rd_find_line_with(&t, 0, words, &off) < 0)
			return (uint64_t)(r->end - r->base);
		mf_rd_seek(&t, off);
		if (ccm_at_message_line(&t))
			return off;
	}
}

/* After a sized payload ending at the cursor: is what follows acceptable
 * (a token, the end, or one line end before either)?  Consumes that line
 * end.  Returns 1 when acceptable. */
static int accept_after_payload(struct ctx *c, struct mf_rd *r)
{
	struct mf_rd t = *r;
	uint64_t off = mf_rd_offset(r);
	int blank = 0;

	if (mf_rd_eof(&t) || token_at(&t))
		return 1;
	if (only_filler_left(&t))
		return 1; /* the item loop reports and skips it */
	if (!mf_rd_skip_eol(&t, MF_EOLS_LF_CRLF))
		return 0;
	if (mf_rd_eof(&t) || token_at(&t)) {
		*r = t;
		return 1;
	}
	/* more blank lines before the next token: tolerated */
	while (mf_rd_skip_eol(&t, MF_EOLS_LF_CRLF))
		blank++;
	if (mf_rd_eof(&t) || token_at(&t)) {
		prob(c, MF_INFO, "ccmail.blank-lines", off,
		     "%d extra blank line(s) after a payload ignored", blank);
		*r = t;
		return 1;
	}
	return 0;
}

/* Payload found by scanning: from the cursor to the next token line.  A
 * text item keeps its last line end; other items lose one line end that
 * stands before the token. */
static struct mf_span scan_payload(struct mf_rd *r, enum ccm_item_kind kind)
{
	uint64_t start = mf_rd_offset(r);
	uint64_t end = next_token_line(r, 1);
	struct mf_span s;

	mf_rd_bytes(r, (size_t)(end - start), &s);
	if (kind != CCM_ITEM_TEXT) {
		if (s.len && s.p[s.len - 1] == '\n') {
			s.len--;
			if (s.len && s.p[s.len - 1] == '\r')
				s.len--;
		}
	}
	return s;
}

static int has_only_eols(struct mf_span s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] != '\r' && s.p[i] != '\n')
			return 0;
	return 1;
}

/* Parse the payload of a Message item as a nested message; r is any
 * reader over the same input. */
static void nest(struct ctx *c, const struct mf_rd *r, struct ccm_item *it, int depth)
{
	struct mf_rd sub, t = *r;
	struct ccm_message *nm;
	int rc;

	if (depth + 1 > CCM_MAX_DEPTH) {
		prob(c, MF_WARNING, "ccmail.nested-too-deep", it->offset,
		     "forwarded message nested more than %d deep: kept as raw bytes",
		     CCM_MAX_DEPTH);
		return;
	}
	if (mf_rd_seek(&t, it->payload_offset) != MF_OK ||
	    mf_rd_sub(&t, it->payload.len, &sub) != MF_OK)
		return;
	if (!ccm_at_message_line(&sub)) {
		prob(c, MF_WARNING, "ccmail.nested-damaged", it->payload_offset,
		     "message item does not start with a message line: kept as raw bytes");
		return;
	}
	nm = mf_arena_zalloc(c->arena, sizeof(*nm));
	rc = parse_message(c, &sub, depth + 1, nm);
	if (rc != MF_OK) {
		prob(c, MF_WARNING, "ccmail.nested-damaged", it->payload_offset,
		     "forwarded message is damaged (%s): kept as raw bytes", c->skip_text);
		c->skip_code = NULL;
		return;
	}
	if (!mf_rd_eof(&sub) && !only_filler_left(&sub)) {
		prob(c, MF_WARNING, "ccmail.nested-extra", mf_rd_offset(&sub),
		     "%zu bytes after the forwarded message in its item: the item's raw bytes are kept too",
		     mf_rd_left(&sub));
		it->raw_too = 1;
	}
	it->nested = nm;
}

static int parse_item(struct ctx *c, struct mf_rd *r, struct ccm_message *m,
		      int depth, struct ccm_item *it)
{
	struct mf_span line;
	uint64_t size = 0;
	int tok = item_token_at(r), have_size = 0, rc;
	char what[64];

	memset(it, 0, sizeof(*it));
	it->offset = mf_rd_offset(r);
	it->kind = item_tokens[tok].kind;
	rc = mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, CCM_LINE_MAX);
	if (rc == MF_ETOOBIG)
		return damaged(c, "ccmail.line-too-long", "item line at offset %llu is longer than %u bytes",
			       (unsigned long long)it->offset, CCM_LINE_MAX);
	{
		size_t tl = strlen(item_tokens[tok].token);
		struct mf_span t = { line.p + tl, line.len - tl };
		it->title = mf_span_trim(t);
	}
	snprintf(what, sizeof(what), "%s item at offset %llu", ccm_item_kind_name(it->kind),
		 (unsigned long long)it->offset);
	if (m->sized)
		have_size = read_size(c, r, what, &size);
	it->payload_offset = mf_rd_offset(r);

	if (have_size) {
		if (size > mf_rd_left(r)) {
			prob(c, MF_WARNING, "ccmail.size-wrong", it->payload_offset,
			     "%s: size %llu runs past the end of the input (%zu bytes left); payload found by scanning",
			     what, (unsigned long long)size, mf_rd_left(r));
		} else {
			struct mf_rd t = *r;
			struct mf_span pl;
			mf_rd_bytes(&t, (size_t)size, &pl);
			if (accept_after_payload(c, &t)) {
				it->payload = pl;
				it->sized = 1;
				*r = t;
				if (it->kind == CCM_ITEM_MESSAGE)
					nest(c, r, it, depth);
				return MF_OK;
			}
			prob(c, MF_WARNING, "ccmail.size-wrong", it->payload_offset + size,
			     "%s: size %llu is not followed by a token; payload found by scanning",
			     what, (unsigned long long)size);
		}
	}

	/* no usable size: find the payload by scanning */
	if (it->kind == CCM_ITEM_MESSAGE && ccm_at_message_line(r) && depth + 1 <= CCM_MAX_DEPTH) {
		/* The forwarded message runs to the end of the enclosing one. */
		struct ccm_message *nm = mf_arena_zalloc(c->arena, sizeof(*nm));
		uint64_t start = mf_rd_offset(r);
		rc = parse_message(c, r, depth + 1, nm);
		{
			struct mf_rd t = *r;
			mf_rd_seek(&t, start);
			mf_rd_bytes(&t, (size_t)(mf_rd_offset(r) - start), &it->payload);
		}
		if (rc == MF_OK) {
			it->nested = nm;
		} else {
			prob(c, MF_WARNING, "ccmail.nested-damaged", start,
			     "forwarded message is damaged (%s): kept as raw bytes", c->skip_text);
			c->skip_code = NULL;
		}
		return MF_OK;
	}
	it->payload = scan_payload(r, it->kind);
	if (it->kind == CCM_ITEM_MESSAGE) {
		nest(c, r, it, depth);
	} else if (it->kind != CCM_ITEM_TEXT) {
		if (has_only_eols(it->payload)) {
			it->no_data = 1;
			it->payload.len = 0;
			prob(c, MF_WARNING, "ccmail.file-no-data", it->offset,
			     "%s has no size and no data (exported without /FILES): staged by name only",
			     what);
		} else if (!have_size && !m->sized) {
			prob(c, MF_WARNING, "ccmail.file-unsized", it->payload_offset,
			     "%s has no size: its %zu bytes up to the next token are taken as its data",
			     what, it->payload.len);
		}
	}
	return MF_OK;
}

static int parse_message(struct ctx *c, struct mf_rd *r, int depth, struct ccm_message *m)
{
	struct mf_span line;
	uint64_t msg_size = 0, cnt_size = 0, size_base = 0, cnt_base = 0;
	int have_msg_size = 0, have_cnt_size = 0, rc;
	size_t hcap = 0, icap = 0;
	uint64_t header_start, contents_off, filler = UINT64_MAX;

	memset(m, 0, sizeof(*m));
	m->offset = mf_rd_offset(r);
	m->end = m->offset;
	/* the message line */
	rc = mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, 64);
	if (rc != MF_OK)
		return damaged(c, "ccmail.message-damaged", "no message line");
	{
		struct mf_span t = { line.p + 8, line.len - 8 };
		m->number = mf_span_trim(t);
	}
	/* sized or not: decided by the line after the message line */
	rc = mf_rd_peek_line(r, &line, MF_EOLS_LF_CRLF, CCM_LINE_MAX);
	if (rc == MF_DONE) {
		m->end = mf_rd_offset(r);
		return damaged(c, "ccmail.no-contents", "message at offset %llu has no Contents: line",
			       (unsigned long long)m->offset);
	}
	if (rc == MF_OK && !token_at(r) && !header_keyword(line)) {
		uint64_t v = 0;
		enum sz_class k = size_class(line, &v);
		if (k == SZ_NUM || k == SZ_BLANK || line.len <= 32) {
			uint64_t off = mf_rd_offset(r);
			m->sized = 1;
			mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, CCM_LINE_MAX);
			if (k == SZ_NUM) {
				msg_size = v;
				have_msg_size = 1;
			} else {
				prob(c, MF_WARNING, "ccmail.size-invalid", off,
				     "message size line is %s; treated as absent",
				     k == SZ_BLANK ? "empty or blank" : "not a number");
			}
		}
	}
	size_base = mf_rd_offset(r);

	/* headers up to "Contents:" */
	header_start = mf_rd_offset(r);
	for (;;) {
		uint64_t off = mf_rd_offset(r);
		size_t kl;
		rc = mf_rd_peek_line(r, &line, MF_EOLS_LF_CRLF, CCM_LINE_MAX);
		if (rc == MF_DONE || (rc == MF_OK && token_at(r))) {
			m->end = ccm_at_message_line(r) || rc == MF_DONE ? off : next_message_line(r);
			mf_rd_seek(r, m->end);
			return damaged(c, "ccmail.no-contents",
				       "message at offset %llu has no Contents: line",
				       (unsigned long long)m->offset);
		}
		if (rc == MF_ETOOBIG) {
			mf_rd_seek(r, m->offset);
			m->end = next_message_line(r);
			mf_rd_seek(r, m->end);
			return damaged(c, "ccmail.line-too-long",
				       "header line at offset %llu is longer than %u bytes",
				       (unsigned long long)off, CCM_LINE_MAX);
		}
		if (mf_span_starts_ci(line, "Contents:"))
			break;
		mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, CCM_LINE_MAX);
		if (mf_span_trim(line).len == 0)
			continue;
		kl = header_keyword(line);
		if (!kl) {
			prob(c, MF_WARNING, "ccmail.header-syntax", off,
			     "header line is not \"Keyword: value\": kept in the raw header only");
			continue;
		}
		if (m->n_headers >= CCM_MAX_HEADERS) {
			mf_rd_seek(r, m->offset);
			m->end = next_message_line(r);
			mf_rd_seek(r, m->end);
			return damaged(c, "ccmail.too-many", "more than %d header lines",
				       CCM_MAX_HEADERS);
		}
		m->headers = grow(c->arena, m->headers, m->n_headers, &hcap, sizeof(*m->headers));
		{
			struct ccm_header *h = &m->headers[m->n_headers++];
			struct mf_span kw = { line.p, kl };
			struct mf_span v = { line.p + kl + 1, line.len - kl - 1 };
			h->keyword = mf_span_trim(kw);
			h->value = mf_span_trim(v);
			if (v.len && v.p[0] == ' ') {
				v.p++;
				v.len--;
			}
			h->raw_value = v;
			h->offset = off;
		}
	}
	contents_off = mf_rd_offset(r);
	m->raw_header.p = r->base + header_start;
	m->raw_header.len = (size_t)(contents_off - header_start);
	mf_rd_line(r, &line, NULL, MF_EOLS_LF_CRLF, CCM_LINE_MAX);
	if (m->sized) {
		char what[64];
		snprintf(what, sizeof(what), "Contents: at offset %llu", (unsigned long long)contents_off);
		have_cnt_size = read_size(c, r, what, &cnt_size);
	}
	cnt_base = mf_rd_offset(r);

	/* items up to the next message line or the end */
	for (;;) {
		uint64_t off = mf_rd_offset(r);
		if (mf_rd_eof(r) || ccm_at_message_line(r))
			break;
		if (item_token_at(r) < 0) {
			struct mf_rd t = *r;
			struct ccm_item *it;
			while (mf_rd_skip_eol(&t, MF_EOLS_LF_CRLF))
				;
			if (mf_rd_eof(&t) || token_at(&t)) {
				*r = t; /* blank lines between items */
				continue;
			}
			if (only_filler_left(&t)) {
				prob(c, MF_INFO, "ccmail.trailing-bytes", off,
				     "line ends and end-of-file bytes (0x1A) at the end ignored");
				filler = off;
				mf_rd_seek(r, (uint64_t)(r->end - r->base));
				break;
			}
			if (m->n_items >= CCM_MAX_ITEMS)
				goto too_many;
			m->items = grow(c->arena, m->items, m->n_items, &icap, sizeof(*m->items));
			it = &m->items[m->n_items++];
			memset(it, 0, sizeof(*it));
			it->kind = CCM_ITEM_TEXT;
			it->implicit = 1;
			it->offset = it->payload_offset = off;
			it->payload = scan_payload(r, CCM_ITEM_TEXT);
			prob(c, MF_WARNING, "ccmail.untokened-data", off,
			     "%zu bytes without an item token: staged as a text item", it->payload.len);
			continue;
		}
		if (m->n_items >= CCM_MAX_ITEMS)
			goto too_many;
		m->items = grow(c->arena, m->items, m->n_items, &icap, sizeof(*m->items));
		rc = parse_item(c, r, m, depth, &m->items[m->n_items]);
		if (rc != MF_OK) {
			mf_rd_seek(r, m->offset);
			m->end = next_message_line(r);
			mf_rd_seek(r, m->end);
			return rc;
		}
		m->n_items++;
	}
	m->end = mf_rd_offset(r);
	if (filler != UINT64_MAX)
		m->end = filler;
	if (m->n_items == 0)
		prob(c, MF_WARNING, "ccmail.empty-message", m->offset,
		     "message has no items after Contents:");
	if (have_msg_size && msg_size != m->end - size_base)
		prob(c, MF_WARNING, "ccmail.size-mismatch", m->offset,
		     "message size says %llu bytes, the message has %llu",
		     (unsigned long long)msg_size, (unsigned long long)(m->end - size_base));
	if (have_cnt_size && cnt_size != m->end - cnt_base)
		prob(c, MF_WARNING, "ccmail.size-mismatch", contents_off,
		     "contents size says %llu bytes, the contents have %llu",
		     (unsigned long long)cnt_size, (unsigned long long)(m->end - cnt_base));
	return MF_OK;

too_many:
	mf_rd_seek(r, m->offset);
	m->end = next_message_line(r);
	mf_rd_seek(r, m->end);
	return damaged(c, "ccmail.too-many", "more than %d items", CCM_MAX_ITEMS);
}

void ccm_parser_init(struct ccm_parser *p, const void *data, size_t len,
		     mf_problem_fn *problem, void *payload)
{
	memset(p, 0, sizeof(*p));
	mf_rd_init(&p->rd, data, len);
	p->problem = problem;
	p->payload = payload;
}

int ccm_parser_next(struct ccm_parser *p, struct ccm_message *out,
		    struct mf_arena *arena)
{
	struct ctx c = { p, arena, NULL, "" };
	int rc;

	memset(out, 0, sizeof(*out));
	if (!p->started) {
		p->started = 1;
		if (!mf_rd_eof(&p->rd) && !ccm_at_message_line(&p->rd)) {
			uint64_t first = next_message_line(&p->rd);
			if (!only_filler_left(&p->rd))
				prob(&c, MF_WARNING, "ccmail.garbage", 0,
				     "%llu bytes before the first message line ignored",
				     (unsigned long long)first);
			mf_rd_seek(&p->rd, first);
		}
	}
	if (mf_rd_eof(&p->rd))
		return MF_DONE;
	rc = parse_message(&c, &p->rd, 0, out);
	if (rc == MF_SKIP) {
		if (out->end <= out->offset) {
			/* make progress whatever happened */
			mf_rd_seek(&p->rd, out->offset);
			out->end = next_message_line(&p->rd);
			mf_rd_seek(&p->rd, out->end);
		}
		prob(&c, MF_ERROR, c.skip_code ? c.skip_code : "ccmail.message-damaged",
		     out->offset, "message skipped: %s", c.skip_text);
		return MF_SKIP;
	}
	return MF_OK;
}

const struct ccm_header *ccm_header_find(const struct ccm_message *m,
					 const char *keyword, size_t nth)
{
	for (size_t i = 0; i < m->n_headers; i++)
		if (mf_span_eq_ci(m->headers[i].keyword, keyword) && nth-- == 0)
			return &m->headers[i];
	return NULL;
}

/* ---- file item titles ---- */

static int all_digits(const unsigned char *p, size_t n, size_t lo, size_t hi)
{
	if (n < lo || n > hi)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* D/D/YY or D-D-YYYY (one or two digits, then 2 or 4 digits for the year
 * in any position: the order is the sender's locale). */
static int is_date_token(const unsigned char *p, size_t n)
{
	size_t a = 0, b, sep;
	while (a < n && p[a] >= '0' && p[a] <= '9')
		a++;
	if (a == 0 || a == n || (p[a] != '/' && p[a] != '-'))
		return 0;
	sep = p[a];
	b = a + 1;
	while (b < n && p[b] >= '0' && p[b] <= '9')
		b++;
	if (b == a + 1 || b - a - 1 > 2 || b == n || p[b] != sep)
		return 0;
	if (!(a <= 2 || a == 4))
		return 0;
	return all_digits(p + b + 1, n - b - 1, 2, 4) && n - b - 1 != 3;
}

/* H:MM[:SS][AM|PM] */
static int is_time_token(const unsigned char *p, size_t n)
{
	size_t i = 0, d;
	if (n >= 2 && (p[n - 1] == 'M' || p[n - 1] == 'm') &&
	    (p[n - 2] == 'A' || p[n - 2] == 'a' || p[n - 2] == 'P' || p[n - 2] == 'p'))
		n -= 2;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i == 0 || i > 2 || i == n || p[i] != ':')
		return 0;
	d = ++i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i - d != 2)
		return 0;
	if (i == n)
		return 1;
	if (p[i] != ':')
		return 0;
	d = ++i;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i - d == 2 && i == n;
}

/* The last blank-separated word of s: its start index. */
static size_t last_word(struct mf_span s)
{
	size_t i = s.len;
	while (i > 0 && !is_blank(s.p[i - 1]))
		i--;
	return i;
}

struct mf_span ccm_title_filename(struct mf_span title)
{
	struct mf_span s = mf_span_trim(title), w;
	size_t i;
	int have_time = 0;

	if (s.len == 0)
		return s;
	/* a separate AM/PM word ("3:10 PM") */
	i = last_word(s);
	w.p = s.p + i;
	w.len = s.len - i;
	if (i > 0 && (mf_span_eq_ci(w, "AM") || mf_span_eq_ci(w, "PM"))) {
		struct mf_span rest = { s.p, i };
		struct mf_span t;
		size_t j;
		rest = mf_span_trim(rest);
		j = last_word(rest);
		t.p = rest.p + j;
		t.len = rest.len - j;
		if (!is_time_token(t.p, t.len))
			return s;
		s.len = j;
		s = mf_span_trim(s);
		have_time = 1;
	} else if (is_time_token(w.p, w.len)) {
		s.len = i;
		s = mf_span_trim(s);
		have_time = 1;
	}
	i = last_word(s);
	if (i > 0 && is_date_token(s.p + i, s.len - i)) {
		struct mf_span name = { s.p, i };
		name = mf_span_trim(name);
		if (name.len)
			return name;
	}
	(void)have_time;
	/* no date: keep the whole title */
	return mf_span_trim(title);
}

/* ---- MacBinary II ---- */

uint16_t ccm_crc16(const unsigned char *p, size_t n)
{
	uint16_t crc = 0;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

static uint64_t pad128(uint64_t n)
{
	return (n + 127) / 128 * 128;
}

int ccm_macbin_decode(struct ccm_macbin *out, struct mf_span p)
{
	struct mf_rd r;
	struct mf_span hdr, name;
	uint32_t dlen, rlen;
	uint16_t sec, crc;
	uint64_t dstart;

	memset(out, 0, sizeof(*out));
	if (p.len < 128)
		return 0;
	mf_rd_init(&r, p.p, p.len);
	mf_rd_bytes(&r, 128, &hdr);
	if (hdr.p[0] != 0 || hdr.p[74] != 0 || hdr.p[82] != 0)
		return 0;
	if (hdr.p[1] < 1 || hdr.p[1] > 63)
		return 0;
	if (hdr.p[123] > 129)
		return 0;
	mf_rd_init(&r, hdr.p, 128);
	mf_rd_seek(&r, 124);
	crc = mf_rd_be16(&r);
	if (crc != ccm_crc16(hdr.p, 124))
		return 0;
	mf_rd_seek(&r, 83);
	dlen = mf_rd_be32(&r);
	rlen = mf_rd_be32(&r);
	mf_rd_seek(&r, 120);
	sec = mf_rd_be16(&r);
	if (r.err)
		return 0;
	dstart = 128 + pad128(sec);
	if (dstart + dlen > p.len)
		return 0;
	if (rlen && dstart + pad128(dlen) + rlen > p.len)
		return 0;
	name.p = hdr.p + 2;
	name.len = hdr.p[1];
	out->name = name;
	memcpy(out->type, hdr.p + 65, 4);
	memcpy(out->creator, hdr.p + 69, 4);
	out->data.p = p.p + dstart;
	out->data.len = dlen;
	if (rlen) {
		out->rsrc.p = p.p + dstart + pad128(dlen);
		out->rsrc.len = rlen;
	}
	return 1;
}
