/* SPDX-License-Identifier: MIT */
/*
 * mime.c: staged message -> RFC 5322 / MIME bytes with GMime 3.2 (see
 * mime.h).  The only file that includes GMime.
 *
 * GMime ownership: every *_new and g_mime_parser_construct_* result is
 * "transfer full" and is released with g_object_unref in the function that
 * made it, or handed to a container that takes its own reference (adding a
 * part to a multipart, a message to a message part): the local reference is
 * then dropped at once.  Getters (g_mime_message_get_*, *_get_content,
 * parameter lists) are "transfer none" and never released.
 *
 * Decisions (docs/decisions.md, "MIME"): no Date without a source date; no
 * From without a source sender; Bcc kept in archives; X-Priority/Importance
 * only for non-normal priority; attachments always base64 (their bytes must
 * survive any transport unchanged); RTF bodies base64 with the source bytes;
 * text bodies UTF-8 with the encoding GMime finds best for 7-bit transport.
 */
#include "core/mime.h"
#include "core/addr.h"
#include "core/alias.h"
#include "core/charset.h"
#include "core/hash.h"
#include "core/date.h"
#include "core/safename.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_DEPTH 16
#define SP(span) ((const char *)(span).p)
#define NAME_MAX_BYTES 255

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
	g_mime_init();
}

static void gmime_ready(void)
{
	pthread_once(&gmime_once, gmime_start);
}

void mf_mime_opts_init(struct mf_mime_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->bcc = 1;
	o->raw_headers = MF_MIME_RAW_NONE;
}

/* ---- identities ---- */

void mf_mime_staged_id(char out[MF_MIME_STAGED_ID_MAX], const struct mf_message *m)
{
	const char *sha = m->src_sha256 && *m->src_sha256 ? m->src_sha256 : "0";
	snprintf(out, MF_MIME_STAGED_ID_MAX, "%.64s.%lld", sha,
		 (long long)(m->src_offset >= 0 ? m->src_offset : 0));
}

/* Is s a usable msg-id "left@right" without brackets, spaces or controls? */
static int msgid_usable(const char *s, size_t n)
{
	const char *at;
	if (n < 3 || n > MF_MIME_MESSAGE_ID_MAX - 8)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\\",;:", c))
			return 0;
	}
	at = memchr(s, '@', n);
	return at && at != s && at != s + n - 1 && !memchr(at + 1, '@', (size_t)(s + n - at - 1));
}

/* The source id without surrounding space and angle brackets: span in s. */
static int source_msgid(const char *s, const char **p_out, size_t *n_out)
{
	size_t n;
	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (!msgid_usable(s, n))
		return 0;
	*p_out = s;
	*n_out = n;
	return 1;
}

void mf_mime_message_id(char out[MF_MIME_MESSAGE_ID_MAX], const struct mf_message *m)
{
	const char *p;
	size_t n;
	char hex[MF_SHA256_HEX];
	struct mf_sha256 h;

	if (source_msgid(m->message_id, &p, &n)) {
		snprintf(out, MF_MIME_MESSAGE_ID_MAX, "%.*s", (int)n, p);
		return;
	}
	mf_sha256_init(&h);
	mf_sha256_update(&h, "mailferry message-id\n", 21);
	if (m->src_sha256 && *m->src_sha256) {
		mf_sha256_update(&h, m->src_sha256, strlen(m->src_sha256));
	} else {
		/* built in code without a source: fall back on what it says */
		char t[64];
		const char *f[3] = { m->subject, m->sender_raw, m->date_raw };
		for (int i = 0; i < 3; i++) {
			if (f[i])
				mf_sha256_update(&h, f[i], strlen(f[i]));
			mf_sha256_update(&h, "\n", 1);
		}
		snprintf(t, sizeof(t), "%lld", (long long)m->src_offset);
		mf_sha256_update(&h, t, strlen(t));
	}
	mf_sha256_final(&h, hex);
	snprintf(out, MF_MIME_MESSAGE_ID_MAX, "%.32s@mailferry.invalid", hex);
}

/* ---- addresses ---- */

int mf_mime_address(struct mf_buf *name_out, struct mf_buf *addr_out,
		    const char *display, const char *type, const char *address,
		    const char *raw, const struct mf_mailbox *mb,
		    const struct mf_mime_opts *o)
{
	return mf_addr_render(name_out, addr_out, display, type, address, raw,
			      mb ? mb->source_address : NULL, o ? o->native_domain : NULL);
}

/* ---- building ---- */

struct build {
	const struct mf_mime_opts *o;
	const struct mf_mailbox *mb;
	const struct mf_message *top;
	char top_id[MF_MIME_STAGED_ID_MAX];
	unsigned counter;           /* boundaries made so far */
	struct mf_diag *diag;
};

/* Does any text body of m (or of a message nested in it) contain needle? */
static int tree_contains(const struct mf_message *m, const char *needle, int depth)
{
	size_t nl = strlen(needle);
	if (depth > 64)
		return 0;
	for (size_t i = 0; i < m->n_bodies; i++) {
		const struct mf_body_part *b = &m->bodies[i];
		if (b->text && b->text_len >= nl && memmem(b->text, b->text_len, needle, nl))
			return 1;
	}
	for (size_t i = 0; i < m->n_attachments; i++)
		if (m->attachments[i].nested &&
		    tree_contains(m->attachments[i].nested, needle, depth + 1))
			return 1;
	return 0;
}

/* A boundary derived from the top message's identity and a counter, that
 * no text part of the message holds (encoded parts cannot hold "=_"). */
static void make_boundary(struct build *b, char out[64])
{
	for (;;) {
		char seed[MF_MIME_STAGED_ID_MAX + 32], hex[MF_SHA256_HEX];
		snprintf(seed, sizeof(seed), "%s/%u", b->top_id, b->counter++);
		mf_sha256_hex(hex, seed, strlen(seed));
		snprintf(out, 64, "=_mf%.24s", hex);
		if (!tree_contains(b->top, out, 0))
			return;
	}
}

/* Text with its line ends made uniform (LF, or CR LF when crlf). */
static void text_lines(struct mf_buf *out, const char *s, size_t n, int crlf)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			if (crlf)
				mf_buf_addch(out, '\r');
			mf_buf_addch(out, '\n');
		} else {
			mf_buf_addch(out, s[i]);
		}
	}
}

static GMimePart *part_with_bytes(const char *type, const char *subtype, const void *p,
				  size_t n, GMimeContentEncoding enc)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(p ? p : "", n);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(s, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_object_unref(w);
	g_object_unref(s);
	if (enc != GMIME_CONTENT_ENCODING_DEFAULT)
		g_mime_part_set_content_encoding(part, enc);
	else
		g_mime_object_encode((GMimeObject *)part, GMIME_ENCODING_CONSTRAINT_7BIT);
	return part;
}

static void set_utf8_param(GMimeParamList *list, const char *name)
{
	GMimeParam *p = list ? g_mime_param_list_get_parameter(list, name) : NULL;
	if (p)
		g_mime_param_set_charset(p, "UTF-8");
}

/* Content-Disposition: attachment; filename=<safe name> (RFC 2231 when not
 * ASCII), and the same name on Content-Type. */
static void set_attachment_name(GMimeObject *obj, const char *name, const char *disp)
{
	GMimeContentDisposition *d = g_mime_content_disposition_new();
	g_mime_content_disposition_set_disposition(d, disp);
	if (name) {
		g_mime_content_disposition_set_parameter(d, "filename", name);
		set_utf8_param(g_mime_content_disposition_get_parameters(d), "filename");
		g_mime_content_type_set_parameter(g_mime_object_get_content_type(obj), "name", name);
		set_utf8_param(g_mime_content_type_get_parameters(g_mime_object_get_content_type(obj)),
			       "name");
	}
	g_mime_object_set_content_disposition(obj, d);
	g_object_unref(d);
}

static const struct {
	const char *ext, *type, *sub;
} ext_types[] = {
	{ "txt", "text", "plain" }, { "asc", "text", "plain" }, { "csv", "text", "csv" },
	{ "htm", "text", "html" }, { "html", "text", "html" }, { "rtf", "application", "rtf" },
	{ "doc", "application", "msword" }, { "dot", "application", "msword" },
	{ "xls", "application", "vnd.ms-excel" }, { "xlw", "application", "vnd.ms-excel" },
	{ "ppt", "application", "vnd.ms-powerpoint" }, { "pdf", "application", "pdf" },
	{ "wk1", "application", "vnd.lotus-1-2-3" }, { "wk3", "application", "vnd.lotus-1-2-3" },
	{ "wk4", "application", "vnd.lotus-1-2-3" }, { "123", "application", "vnd.lotus-1-2-3" },
	{ "wpd", "application", "vnd.wordperfect" }, { "wp", "application", "vnd.wordperfect" },
	{ "zip", "application", "zip" }, { "gz", "application", "gzip" },
	{ "gif", "image", "gif" }, { "jpg", "image", "jpeg" }, { "jpeg", "image", "jpeg" },
	{ "png", "image", "png" }, { "bmp", "image", "bmp" }, { "tif", "image", "tiff" },
	{ "tiff", "image", "tiff" }, { "pcx", "image", "x-pcx" }, { "wav", "audio", "wav" },
	{ "mid", "audio", "midi" }, { "eml", "message", "rfc822" },
};

/* Type and subtype for an attachment: its staged content type when it is
 * well formed, else by extension, else by kind, else octet-stream. */
static void attachment_type(const struct mf_attachment *a, char type[64], char sub[128])
{
	const char *ct = a->content_type, *dot;
	if (ct) {
		const char *slash = strchr(ct, '/');
		size_t tl = slash ? (size_t)(slash - ct) : 0, sl = slash ? strcspn(slash + 1, "; \t") : 0;
		int ok = tl > 0 && tl < 64 && sl > 0 && sl < 128;
		for (size_t i = 0; ok && i < tl + 1 + sl; i++) {
			unsigned char c = (unsigned char)ct[i];
			ok = c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"[]?=", c);
		}
		if (ok && !(tl == 7 && !strncasecmp(ct, "message", 7)) &&
		    !(tl == 9 && !strncasecmp(ct, "multipart", 9))) {
			snprintf(type, 64, "%.*s", (int)tl, ct);
			snprintf(sub, 128, "%.*s", (int)sl, slash + 1);
			return;
		}
	}
	dot = a->name ? strrchr(a->name, '.') : NULL;
	if (dot)
		for (size_t i = 0; i < MF_ARRAY_LEN(ext_types); i++)
			if (mf_strcaseeq(dot + 1, ext_types[i].ext) && strcmp(ext_types[i].type, "message")) {
				snprintf(type, 64, "%s", ext_types[i].type);
				snprintf(sub, 128, "%s", ext_types[i].sub);
				return;
			}
	if (a->kind && !strcmp(a->kind, "fax")) {
		snprintf(type, 64, "image");
		snprintf(sub, 128, "tiff");
		return;
	}
	snprintf(type, 64, "application");
	snprintf(sub, 128, "octet-stream");
}

/* The MIME name of a staged code page, for the raw header part. */
static const char *mime_charset(const char *cp)
{
	static const struct {
		const char *canon, *mime;
	} map[] = {
		{ "CP437", "IBM437" }, { "CP737", "IBM737" }, { "CP850", "IBM850" },
		{ "CP852", "IBM852" }, { "CP866", "IBM866" }, { "CP932", "Shift_JIS" },
		{ "CP936", "GBK" }, { "CP949", "KS_C_5601-1987" }, { "CP950", "Big5" },
		{ "CP1250", "windows-1250" }, { "CP1251", "windows-1251" },
		{ "CP1252", "windows-1252" }, { "CP1253", "windows-1253" },
		{ "CP1254", "windows-1254" }, { "MACINTOSH", "macintosh" },
		{ "ISO-8859-1", "ISO-8859-1" }, { "ASCII", "US-ASCII" }, { "UTF-8", "UTF-8" },
	};
	const char *c = mf_codepage_canonical(cp);
	for (size_t i = 0; c && i < MF_ARRAY_LEN(map); i++)
		if (!strcmp(map[i].canon, c))
			return map[i].mime;
	return NULL;
}

static GMimeMessage *build_message(struct build *b, const struct mf_message *m, int depth);

static GMimeObject *text_body(struct build *b, const struct mf_body_part *bp)
{
	struct mf_buf t, clean;
	GMimePart *part;

	mf_buf_init(&t, MF_BUF_UNBOUNDED);
	mf_buf_init(&clean, MF_BUF_UNBOUNDED);
	if (!mf_utf8_valid(bp->text, bp->text_len)) {
		mf_utf8_sanitize(bp->text, bp->text_len, &clean, NULL);
		text_lines(&t, clean.data, clean.len, b->o->crlf);
	} else {
		text_lines(&t, bp->text, bp->text_len, b->o->crlf);
	}
	part = part_with_bytes("text", "plain", t.data, t.len, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_object_set_content_type_parameter((GMimeObject *)part, "charset", "utf-8");
	if (bp->title && *bp->title)
		g_mime_object_set_header((GMimeObject *)part, "Content-Description", bp->title,
					 "UTF-8");
	mf_buf_release(&t);
	mf_buf_release(&clean);
	return (GMimeObject *)part;
}

static GMimeObject *rtf_body(struct build *b, const struct mf_message *m,
			     const struct mf_body_part *bp)
{
	struct mf_buf t;
	GMimePart *part;
	struct mf_charset *cs = NULL;

	mf_buf_init(&t, MF_BUF_UNBOUNDED);
	if (bp->keep_raw && bp->raw) {
		mf_buf_add(&t, bp->raw, bp->raw_len);
	} else if (m->charset && mf_charset_open(&cs, m->charset, NULL) == MF_OK) {
		/* the text reproduces the source bytes in the source code page */
		mf_charset_from_utf8(cs, bp->text, bp->text_len, &t, NULL, '?');
		mf_charset_free(&cs);
	} else {
		mf_buf_add(&t, bp->text, bp->text_len);
	}
	(void)b;
	part = part_with_bytes("text", "rtf", t.data, t.len, GMIME_CONTENT_ENCODING_BASE64);
	if (bp->title && *bp->title)
		g_mime_object_set_header((GMimeObject *)part, "Content-Description", bp->title,
					 "UTF-8");
	mf_buf_release(&t);
	return (GMimeObject *)part;
}

static GMimeObject *note_part(struct build *b, const char *text, const char *name)
{
	struct mf_buf t;
	GMimePart *part;
	mf_buf_init(&t, MF_BUF_UNBOUNDED);
	text_lines(&t, text, strlen(text), b->o->crlf);
	part = part_with_bytes("text", "plain", t.data, t.len, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_object_set_content_type_parameter((GMimeObject *)part, "charset", "utf-8");
	set_attachment_name((GMimeObject *)part, name, "attachment");
	mf_buf_release(&t);
	return (GMimeObject *)part;
}

static GMimeObject *attachment(struct build *b, const struct mf_attachment *a, int depth)
{
	char safe[NAME_MAX_BYTES + 1], type[64], sub[128];
	GMimeObject *obj;

	mf_safe_filename(safe, sizeof(safe), a->name, NAME_MAX_BYTES, "attachment.bin");
	if (a->nested) {
		GMimeMessage *inner;
		GMimeMessagePart *mp;
		if (depth + 1 > (b->o->max_depth > 0 ? b->o->max_depth : DEFAULT_MAX_DEPTH)) {
			char text[512], nm[NAME_MAX_BYTES + 32];
			snprintf(text, sizeof(text),
				 "[mailferry: a forwarded message \"%s\" is nested deeper than %d "
				 "levels and was left out here; it stays in the staging database]\n",
				 safe, b->o->max_depth > 0 ? b->o->max_depth : DEFAULT_MAX_DEPTH);
			snprintf(nm, sizeof(nm), "%.*s.missing.txt", 200, safe);
			return note_part(b, text, nm);
		}
		inner = build_message(b, a->nested, depth + 1);
		if (!inner)
			return NULL;
		mp = g_mime_message_part_new_with_message("rfc822", inner);
		g_object_unref(inner);
		obj = (GMimeObject *)mp;
		{
			GMimeContentDisposition *d = g_mime_content_disposition_new();
			g_mime_content_disposition_set_disposition(d, "attachment");
			if (a->name && *a->name) {
				g_mime_content_disposition_set_parameter(d, "filename", safe);
				set_utf8_param(g_mime_content_disposition_get_parameters(d), "filename");
			}
			g_mime_object_set_content_disposition(obj, d);
			g_object_unref(d);
		}
	} else if (!a->has_data || (!a->data && a->size)) {
		char text[NAME_MAX_BYTES + 256], nm[NAME_MAX_BYTES + 32];
		snprintf(text, sizeof(text),
			 "[mailferry: the attachment \"%s\" (%zu bytes) was not in the source "
			 "export; only its name was staged]\n", safe, a->size);
		snprintf(nm, sizeof(nm), "%.*s.missing.txt", 200, safe);
		return note_part(b, text, nm);
	} else {
		attachment_type(a, type, sub);
		obj = (GMimeObject *)part_with_bytes(type, sub, a->data, a->size,
						     GMIME_CONTENT_ENCODING_BASE64);
		set_attachment_name(obj, safe, "attachment");
	}
	if (a->title && *a->title && strcmp(a->title, a->name ? a->name : ""))
		g_mime_object_set_header(obj, "Content-Description", a->title, "UTF-8");
	return obj;
}

static void add_address(struct build *b, GMimeMessage *msg, GMimeAddressType t,
			const char *display, const char *type, const char *address,
			const char *raw)
{
	struct mf_buf name, addr;
	mf_buf_init(&name, MF_BUF_LINE_MAX);
	mf_buf_init(&addr, MF_BUF_LINE_MAX);
	if (mf_mime_address(&name, &addr, display, type, address, raw, b->mb, b->o) == MF_OK) {
		InternetAddress *ia = internet_address_mailbox_new(name.len ? name.data : NULL,
								   addr.data);
		internet_address_set_charset(ia, "UTF-8");
		internet_address_list_add(g_mime_message_get_addresses(msg, t), ia);
		g_object_unref(ia);
	}
	mf_buf_release(&name);
	mf_buf_release(&addr);
}

/* The source's header lines as X-Mailferry-Source-Header, in UTF-8. */
static void raw_header_lines(struct build *b, GMimeMessage *msg, const struct mf_message *m)
{
	struct mf_buf u;
	struct mf_charset *cs = NULL;
	const char *p, *end;

	(void)b;
	mf_buf_init(&u, MF_BUF_TEXT_MAX);
	if (m->charset && mf_charset_open(&cs, m->charset, NULL) == MF_OK) {
		mf_charset_to_utf8(cs, m->raw_header, m->raw_header_len, &u, NULL);
		mf_charset_free(&cs);
	} else {
		mf_utf8_sanitize(m->raw_header, m->raw_header_len, &u, NULL);
	}
	p = u.data;
	end = u.data + u.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line;
		if (n && p[n - 1] == '\r')
			n--;
		if (n) {
			line = mf_xstrndup(p, n);
			for (char *q = line; *q; q++)
				if ((unsigned char)*q < 0x20)
					*q = ' ';
			g_mime_object_append_header((GMimeObject *)msg, "X-Mailferry-Source-Header",
						    line, "UTF-8");
			free(line);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	mf_buf_release(&u);
}

struct item {
	int position;
	int order;
	const struct mf_body_part *body;
	const struct mf_attachment *att;
};

static int cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->position != b->position)
		return a->position < b->position ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static GMimeMessage *build_message(struct build *b, const struct mf_message *m, int depth)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeObject *body = NULL;
	char idbuf[MF_MIME_MESSAGE_ID_MAX], sid[MF_MIME_STAGED_ID_MAX];
	struct item *items;
	size_t n = m->n_bodies + m->n_attachments, k = 0;
	int64_t t = 0;
	int have_t = 0;

	/* Date: sent, else received; never invented */
	if (m->has_sent) {
		t = m->sent_utc;
		have_t = 1;
	} else if (m->has_received) {
		t = m->received_utc;
		have_t = 1;
	}
	if (have_t) {
		char d[40];
		const char *zone = m->timezone && *m->timezone ? m->timezone :
				   b->o->default_zone && *b->o->default_zone ? b->o->default_zone : "UTC";
		if (mf_format_rfc5322(d, t, zone) < 0 && mf_format_rfc5322(d, t, "UTC") < 0)
			d[0] = '\0';
		if (d[0])
			g_mime_object_set_header((GMimeObject *)msg, "Date", d, NULL);
	}
	if (m->sender_raw || m->sender_address)
		add_address(b, msg, GMIME_ADDRESS_TYPE_FROM, m->sender_name, m->sender_type,
			    m->sender_address, m->sender_raw);
	for (int pass = 0; pass < 3; pass++) {
		static const char *const role[3] = { "to", "cc", "bcc" };
		static const GMimeAddressType at[3] = { GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
							GMIME_ADDRESS_TYPE_BCC };
		if (pass == 2 && !b->o->bcc)
			break;
		for (size_t i = 0; i < m->n_recipients; i++) {
			const struct mf_recipient *r = &m->recipients[i];
			if (r->role && !strcmp(r->role, role[pass]))
				add_address(b, msg, at[pass], r->display_name, r->address_type,
					    r->address, r->raw);
		}
	}
	if (m->subject)
		g_mime_message_set_subject(msg, m->subject, "UTF-8");
	mf_mime_message_id(idbuf, m);
	g_mime_message_set_message_id(msg, idbuf);
	{
		const char *p;
		size_t pn;
		if (source_msgid(m->parent_message_id, &p, &pn)) {
			char *v = mf_xasprintf("<%.*s>", (int)pn, p);
			g_mime_object_set_header((GMimeObject *)msg, "In-Reply-To", v, NULL);
			free(v);
		}
	}
	mf_mime_staged_id(sid, m);
	g_mime_object_set_header((GMimeObject *)msg, MF_MIME_ID_HEADER, sid, NULL);
	if (m->priority > 0) {
		g_mime_object_set_header((GMimeObject *)msg, "X-Priority", "1 (Highest)", NULL);
		g_mime_object_set_header((GMimeObject *)msg, "Importance", "high", NULL);
	} else if (m->priority < 0) {
		g_mime_object_set_header((GMimeObject *)msg, "X-Priority", "5 (Lowest)", NULL);
		g_mime_object_set_header((GMimeObject *)msg, "Importance", "low", NULL);
	}
	if (b->o->raw_headers == MF_MIME_RAW_HEADER && m->raw_header_len)
		raw_header_lines(b, msg, m);

	/* items in source order */
	items = mf_xcalloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < m->n_bodies; i++, k++) {
		items[k].position = m->bodies[i].position;
		items[k].order = (int)k;
		items[k].body = &m->bodies[i];
	}
	for (size_t i = 0; i < m->n_attachments; i++, k++) {
		items[k].position = m->attachments[i].position;
		items[k].order = (int)k;
		items[k].att = &m->attachments[i];
	}
	qsort(items, n, sizeof(*items), cmp_item);

	{
		int raw_part = b->o->raw_headers == MF_MIME_RAW_PART && m->raw_header_len;
		size_t nparts = n + (raw_part ? 1 : 0);
		if (nparts == 0 || (nparts == 1 && n == 1 && items[0].body &&
				    (!items[0].body->kind || strcmp(items[0].body->kind, "rtf")))) {
			static const struct mf_body_part empty = { .kind = "text", .text = "" };
			body = text_body(b, n ? items[0].body : &empty);
		} else {
			GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
			char bd[64];
			make_boundary(b, bd);
			g_mime_multipart_set_boundary(mp, bd);
			for (size_t i = 0; i < n; i++) {
				GMimeObject *part;
				if (items[i].body)
					part = items[i].body->kind && !strcmp(items[i].body->kind, "rtf") ?
					       rtf_body(b, m, items[i].body) : text_body(b, items[i].body);
				else
					part = attachment(b, items[i].att, depth);
				if (!part) {
					g_object_unref(mp);
					g_object_unref(msg);
					free(items);
					return NULL;
				}
				g_mime_multipart_add(mp, part);
				g_object_unref(part);
			}
			if (raw_part) {
				const char *cs = mime_charset(m->charset);
				GMimePart *rp = part_with_bytes("text", "plain", m->raw_header,
								m->raw_header_len,
								GMIME_CONTENT_ENCODING_BASE64);
				if (cs)
					g_mime_object_set_content_type_parameter((GMimeObject *)rp,
										 "charset", cs);
				set_attachment_name((GMimeObject *)rp, "source-header.txt", "attachment");
				g_mime_object_set_header((GMimeObject *)rp, "Content-Description",
							 "header block of the source message", NULL);
				g_mime_multipart_add(mp, (GMimeObject *)rp);
				g_object_unref(rp);
			}
			body = (GMimeObject *)mp;
		}
	}
	free(items);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	return msg;
}

int mf_mime_build(struct mf_buf *out, const struct mf_message *m,
		  const struct mf_mailbox *mb, const struct mf_mime_opts *o,
		  struct mf_diag *diag)
{
	struct mf_mime_opts defaults;
	struct build b;
	GMimeMessage *msg;
	GMimeFormatOptions *fo;
	GMimeStream *s;
	GByteArray *ba;
	int rc;

	gmime_ready();
	if (!o) {
		mf_mime_opts_init(&defaults);
		o = &defaults;
	}
	memset(&b, 0, sizeof(b));
	b.o = o;
	b.mb = mb;
	b.top = m;
	b.diag = diag;
	mf_mime_staged_id(b.top_id, m);
	msg = build_message(&b, m, 0);
	if (!msg)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "message %lld cannot be built", (long long)m->id);
	fo = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fo, o->crlf ? GMIME_NEWLINE_FORMAT_DOS :
						 GMIME_NEWLINE_FORMAT_UNIX);
	g_mime_format_options_set_param_encoding_method(fo, GMIME_PARAM_ENCODING_METHOD_RFC2231);
	s = g_mime_stream_mem_new();
	g_mime_object_write_to_stream((GMimeObject *)msg, fo, s);
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)s);
	rc = mf_buf_add(out, ba->data, ba->len);
	if (rc < 0)
		mf_diag_set(diag, rc, NULL, MF_NO_OFFSET, "message %lld: %u bytes exceed the bound",
			    (long long)m->id, ba->len);
	g_object_unref(s);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	return rc;
}

/* ---- reading back ---- */

struct walk {
	struct mf_mime_info *info;
	size_t cap;
};

static char *dup_or_null(const char *s)
{
	return s ? mf_xstrdup(s) : NULL;
}

static void walk_object(struct walk *w, GMimeObject *obj, int depth);

static void walk_message(struct walk *w, GMimeMessage *msg, int depth)
{
	GMimeObject *body;
	w->info->n_messages++;
	if (depth > 64)
		return;
	body = g_mime_message_get_mime_part(msg);
	if (body)
		walk_object(w, body, depth);
}

static void walk_object(struct walk *w, GMimeObject *obj, int depth)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = (GMimeMultipart *)obj;
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			walk_object(w, g_mime_multipart_get_part(mp, i), depth);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message((GMimeMessagePart *)obj);
		if (inner)
			walk_message(w, inner, depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		GMimePart *part = (GMimePart *)obj;
		GMimeDataWrapper *dw = g_mime_part_get_content(part);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
		struct mf_mime_leaf *l;
		GMimeStream *s = g_mime_stream_mem_new();
		GByteArray *ba;

		if (w->info->n_leaves == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 8;
			w->info->leaves = mf_xreallocarray(w->info->leaves, w->cap,
							   sizeof(*w->info->leaves));
		}
		l = &w->info->leaves[w->info->n_leaves++];
		memset(l, 0, sizeof(*l));
		if (ct) {
			char *mt = g_mime_content_type_get_mime_type(ct);
			l->content_type = mf_xstrdup(mt);
			g_free(mt);
			l->charset = dup_or_null(g_mime_content_type_get_parameter(ct, "charset"));
		}
		l->filename = dup_or_null(g_mime_part_get_filename(part));
		if (cd)
			l->disposition = dup_or_null(g_mime_content_disposition_get_disposition(cd));
		if (dw)
			g_mime_data_wrapper_write_to_stream(dw, s);
		ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)s);
		mf_sha256_hex(l->sha256, ba->data, ba->len);
		l->size = ba->len;
		l->depth = depth;
		g_object_unref(s);
	}
}

int mf_mime_inspect(struct mf_mime_info *out, const void *data, size_t len,
		    struct mf_diag *diag)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *msg;
	struct walk w;
	const char *v;

	gmime_ready();
	memset(out, 0, sizeof(*out));
	s = g_mime_stream_mem_new_with_buffer(data, len);
	p = g_mime_parser_new_with_stream(s);
	msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	if (!msg)
		return mf_diag_set(diag, MF_EFORMAT, NULL, MF_NO_OFFSET, "not a MIME message");
	out->subject = dup_or_null(g_mime_message_get_subject(msg));
	out->message_id = dup_or_null(g_mime_message_get_message_id(msg));
	v = g_mime_object_get_header((GMimeObject *)msg, MF_MIME_ID_HEADER);
	out->staged_id = dup_or_null(v);
	out->date = dup_or_null(g_mime_object_get_header((GMimeObject *)msg, "Date"));
	memset(&w, 0, sizeof(w));
	w.info = out;
	walk_message(&w, msg, 0);
	g_object_unref(msg);
	return MF_OK;
}

void mf_mime_info_release(struct mf_mime_info *info)
{
	if (!info)
		return;
	free(info->subject);
	free(info->message_id);
	free(info->staged_id);
	free(info->date);
	for (size_t i = 0; i < info->n_leaves; i++) {
		free(info->leaves[i].content_type);
		free(info->leaves[i].filename);
		free(info->leaves[i].disposition);
		free(info->leaves[i].charset);
	}
	free(info->leaves);
	memset(info, 0, sizeof(*info));
}
