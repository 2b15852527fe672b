/* SPDX-License-Identifier: MIT */
/* imap_client.c: mailferry's IMAP client (see imap_client.h). */
#include "exporters/imap/imap_client.h"
#include "core/date.h"
#include "core/progress.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* ---- tokenizer ---- */

void imap_p_init(struct imap_p *p, const char *data, size_t len)
{
	p->p = data;
	p->n = len;
	p->i = 0;
	p->err = NULL;
}

static struct imap_tok tok_err(struct imap_p *p, const char *why)
{
	struct imap_tok t = { IMAP_T_ERROR, NULL, 0 };
	p->err = why;
	p->i = p->n;
	return t;
}

/* Characters that end an atom. */
static int atom_end(unsigned char c)
{
	return c <= ' ' || c == 0x7f || c == '(' || c == ')' || c == '{' || c == '"' ||
	       c == ']' || c == '[';
}

struct imap_tok imap_tok_next(struct imap_p *p)
{
	struct imap_tok t = { IMAP_T_END, NULL, 0 };
	const char *s = p->p;
	size_t n = p->n;

	while (p->i < n && s[p->i] == ' ')
		p->i++;
	/* a response ends at its last CRLF: that is the end */
	if (p->i < n && (s[p->i] == '\r' || s[p->i] == '\n')) {
		size_t j = p->i;
		while (j < n && (s[j] == '\r' || s[j] == '\n'))
			j++;
		if (j == n) {
			p->i = n;
			return t;
		}
		return tok_err(p, "line break inside a response");
	}
	if (p->i >= n)
		return t;
	switch (s[p->i]) {
	case '(':
		p->i++;
		t.type = IMAP_T_LPAREN;
		return t;
	case ')':
		p->i++;
		t.type = IMAP_T_RPAREN;
		return t;
	case '[':
		p->i++;
		t.type = IMAP_T_LBRACKET;
		return t;
	case ']':
		p->i++;
		t.type = IMAP_T_RBRACKET;
		return t;
	case '"': {
		size_t j = p->i + 1;
		while (j < n && s[j] != '"') {
			if (s[j] == '\r' || s[j] == '\n')
				return tok_err(p, "line break in a quoted string");
			if (s[j] == '\\') {
				if (j + 1 >= n || (s[j + 1] != '"' && s[j + 1] != '\\'))
					return tok_err(p, "bad escape in a quoted string");
				j++;
			}
			j++;
		}
		if (j >= n)
			return tok_err(p, "unterminated quoted string");
		t.type = IMAP_T_QUOTED;
		t.s = s + p->i + 1;
		t.len = j - p->i - 1;
		p->i = j + 1;
		return t;
	}
	case '{': {
		/* {N}CRLF then N bytes; also accept {N+} (a client form) */
		size_t j = p->i + 1;
		uint64_t v = 0;
		if (j >= n || !isdigit((unsigned char)s[j]))
			return tok_err(p, "bad literal length");
		while (j < n && isdigit((unsigned char)s[j])) {
			if (v > (uint64_t)IMAP_LITERAL_MAX)
				return tok_err(p, "literal too long");
			v = v * 10 + (uint64_t)(s[j] - '0');
			j++;
		}
		if (j < n && s[j] == '+')
			j++;
		if (j >= n || s[j] != '}')
			return tok_err(p, "bad literal length");
		j++;
		if (j < n && s[j] == '\r')
			j++;
		if (j >= n || s[j] != '\n')
			return tok_err(p, "no line break after a literal length");
		j++;
		if (v > n - j)
			return tok_err(p, "literal runs past the response");
		t.type = IMAP_T_LITERAL;
		t.s = s + j;
		t.len = (size_t)v;
		p->i = j + (size_t)v;
		return t;
	}
	default:
		break;
	}
	{
		size_t j = p->i;
		/* an atom; "BODY[...]" and "BODY[...]<n>" keep their section,
		 * which may hold spaces and parentheses */
		while (j < n && !atom_end((unsigned char)s[j]))
			j++;
		if (j < n && s[j] == '[' && j > p->i) {
			int depth = 0;
			while (j < n) {
				if (s[j] == '[')
					depth++;
				else if (s[j] == ']' && --depth == 0)
					break;
				else if (s[j] == '\r' || s[j] == '\n')
					return tok_err(p, "unterminated section");
				j++;
			}
			if (j >= n)
				return tok_err(p, "unterminated section");
			j++;
			while (j < n && !atom_end((unsigned char)s[j]))
				j++;
		}
		if (j == p->i)
			return tok_err(p, "unexpected character");
		t.type = IMAP_T_ATOM;
		t.s = s + p->i;
		t.len = j - p->i;
		p->i = j;
		if (t.len == 3 && !strncasecmp(t.s, "NIL", 3))
			t.type = IMAP_T_NIL;
		return t;
	}
}

int imap_tok_skip(struct imap_p *p, const struct imap_tok *first)
{
	int depth = 0;
	struct imap_tok t = *first;

	for (;;) {
		if (t.type == IMAP_T_ERROR || (t.type == IMAP_T_END && depth > 0))
			return MF_EFORMAT;
		if (t.type == IMAP_T_LPAREN) {
			if (++depth > 64)
				return MF_EFORMAT;
		} else if (t.type == IMAP_T_RPAREN) {
			if (depth == 0)
				return MF_EFORMAT;
			depth--;
		}
		if (depth == 0)
			return MF_OK;
		t = imap_tok_next(p);
	}
}

void imap_p_rest(struct imap_p *p, const char **s, size_t *len)
{
	size_t i = p->i, e = p->n;
	while (i < e && p->p[i] == ' ')
		i++;
	while (e > i && (p->p[e - 1] == '\n' || p->p[e - 1] == '\r'))
		e--;
	*s = p->p + i;
	*len = e - i;
}

int imap_tok_string(struct mf_buf *out, const struct imap_tok *t)
{
	switch (t->type) {
	case IMAP_T_ATOM:
	case IMAP_T_LITERAL:
		return mf_buf_add(out, t->s, t->len);
	case IMAP_T_NIL:
		return MF_OK;
	case IMAP_T_QUOTED:
		for (size_t i = 0; i < t->len; i++) {
			if (t->s[i] == '\\' && i + 1 < t->len)
				i++;
			if (mf_buf_addch(out, (unsigned char)t->s[i]) < 0)
				return MF_ETOOBIG;
		}
		return MF_OK;
	default:
		return MF_EFORMAT;
	}
}

int imap_tok_is(const struct imap_tok *t, const char *word)
{
	size_t n = strlen(word);
	return t->type == IMAP_T_ATOM && t->len == n && !strncasecmp(t->s, word, n);
}

int imap_tok_u64(uint64_t *out, const struct imap_tok *t, uint64_t max)
{
	if (t->type != IMAP_T_ATOM)
		return MF_EFORMAT;
	return mf_parse_u64(out, t->s, t->len, max);
}

static enum imap_status status_of(const struct imap_tok *t)
{
	if (imap_tok_is(t, "OK"))
		return IMAP_OK;
	if (imap_tok_is(t, "NO"))
		return IMAP_NO;
	if (imap_tok_is(t, "BAD"))
		return IMAP_BAD;
	if (imap_tok_is(t, "PREAUTH"))
		return IMAP_PREAUTH;
	if (imap_tok_is(t, "BYE"))
		return IMAP_BYE;
	return IMAP_NONE;
}

static void upcopy(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		dst[k++] = (char)toupper((unsigned char)s[i]);
	dst[k] = '\0';
}

/* After a status word: "[CODE args] text". */
static int parse_resp_text(struct imap_resp *r, struct imap_p *p)
{
	size_t i = p->i;
	while (i < p->n && p->p[i] == ' ')
		i++;
	p->i = i;
	if (i < p->n && p->p[i] == '[') {
		size_t j = i + 1, k;
		while (j < p->n && p->p[j] != ']' && p->p[j] != ' ' && p->p[j] != '\r' &&
		       p->p[j] != '\n')
			j++;
		upcopy(r->code, sizeof(r->code), p->p + i + 1, j - i - 1);
		k = j;
		while (k < p->n && p->p[k] != ']' && p->p[k] != '\r' && p->p[k] != '\n')
			k++;
		if (k >= p->n || p->p[k] != ']')
			return MF_EFORMAT;
		if (j < k && p->p[j] == ' ')
			j++;
		r->code_args = p->p + j;
		r->code_args_len = k - j;
		p->i = k + 1;
	}
	imap_p_rest(p, &r->text, &r->text_len);
	return MF_OK;
}

int imap_resp_parse(struct imap_resp *r, const char *data, size_t len)
{
	struct imap_p p;
	struct imap_tok t;

	memset(r, 0, sizeof(*r));
	r->status = IMAP_NONE;
	r->code_args = r->text = "";
	imap_p_init(&p, data, len);
	if (len >= 1 && data[0] == '+') {
		r->kind = IMAP_R_CONTINUE;
		p.i = 1;
		imap_p_rest(&p, &r->text, &r->text_len);
		r->rest = p;
		return MF_OK;
	}
	if (len >= 2 && data[0] == '*' && data[1] == ' ') {
		r->kind = IMAP_R_UNTAGGED;
		p.i = 2;
		t = imap_tok_next(&p);
		if (t.type != IMAP_T_ATOM)
			return MF_EFORMAT;
		if (imap_tok_u64(&r->number, &t, UINT32_MAX) == MF_OK) {
			r->has_number = 1;
			t = imap_tok_next(&p);
			if (t.type != IMAP_T_ATOM)
				return MF_EFORMAT;
		}
		upcopy(r->word, sizeof(r->word), t.s, t.len);
		r->status = status_of(&t);
		if (r->status != IMAP_NONE && !r->has_number) {
			if (parse_resp_text(r, &p) < 0)
				return MF_EFORMAT;
		}
		r->rest = p;
		return MF_OK;
	}
	/* tagged: tag is an atom without '+' */
	t = imap_tok_next(&p);
	if (t.type != IMAP_T_ATOM || t.len >= sizeof(r->tag))
		return MF_EFORMAT;
	for (size_t i = 0; i < t.len; i++)
		if (t.s[i] == '+' || t.s[i] == '*')
			return MF_EFORMAT;
	r->kind = IMAP_R_TAGGED;
	memcpy(r->tag, t.s, t.len);
	r->tag[t.len] = '\0';
	t = imap_tok_next(&p);
	r->status = status_of(&t);
	if (r->status != IMAP_OK && r->status != IMAP_NO && r->status != IMAP_BAD)
		return MF_EFORMAT;
	upcopy(r->word, sizeof(r->word), t.s, t.len);
	if (parse_resp_text(r, &p) < 0)
		return MF_EFORMAT;
	r->rest = p;
	return MF_OK;
}

unsigned imap_caps_parse(struct imap_p *p)
{
	static const struct {
		const char *w;
		unsigned bit;
	} k[] = {
		{ "IMAP4rev1", IMAP_CAP_IMAP4REV1 }, { "LITERAL+", IMAP_CAP_LITERALPLUS },
		{ "LITERAL-", IMAP_CAP_LITERALMINUS }, { "MULTIAPPEND", IMAP_CAP_MULTIAPPEND },
		{ "UIDPLUS", IMAP_CAP_UIDPLUS }, { "SPECIAL-USE", IMAP_CAP_SPECIAL_USE },
		{ "NAMESPACE", IMAP_CAP_NAMESPACE }, { "STARTTLS", IMAP_CAP_STARTTLS },
		{ "LOGINDISABLED", IMAP_CAP_LOGINDISABLED }, { "AUTH=PLAIN", IMAP_CAP_AUTH_PLAIN },
		{ "AUTH=XOAUTH2", IMAP_CAP_AUTH_XOAUTH2 }, { "SASL-IR", IMAP_CAP_SASL_IR },
		{ "LIST-EXTENDED", IMAP_CAP_LIST_EXTENDED },
		{ "CREATE-SPECIAL-USE", IMAP_CAP_CREATE_SPECIAL_USE }, { "ENABLE", IMAP_CAP_ENABLE },
	};
	unsigned caps = 0;
	for (;;) {
		struct imap_tok t = imap_tok_next(p);
		if (t.type != IMAP_T_ATOM)
			break;
		for (size_t i = 0; i < MF_ARRAY_LEN(k); i++)
			if (imap_tok_is(&t, k[i].w))
				caps |= k[i].bit;
	}
	return caps;
}

int imap_uidset_parse(uint32_t *out, size_t cap, size_t *n_out, const char *s, size_t len)
{
	size_t i = 0, n = 0;

	*n_out = 0;
	if (len == 0)
		return MF_EFORMAT;
	while (i < len) {
		uint64_t a, b;
		size_t j = i;
		while (j < len && isdigit((unsigned char)s[j]))
			j++;
		if (mf_parse_u64(&a, s + i, j - i, UINT32_MAX) < 0 || a == 0)
			return MF_EFORMAT;
		b = a;
		if (j < len && s[j] == ':') {
			size_t k = ++j;
			while (j < len && isdigit((unsigned char)s[j]))
				j++;
			if (mf_parse_u64(&b, s + k, j - k, UINT32_MAX) < 0 || b < a)
				return MF_EFORMAT;
		}
		if (b - a + 1 > cap - n)
			return MF_ETOOBIG;
		for (uint64_t u = a; u <= b; u++)
			out[n++] = (uint32_t)u;
		if (j < len) {
			if (s[j] != ',' || j + 1 == len)
				return MF_EFORMAT;
			j++;
		}
		i = j;
	}
	*n_out = n;
	return MF_OK;
}

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int imap_date_parse(int64_t *out, const char *s, size_t len)
{
	/* "dd-Mon-yyyy hh:mm:ss +zzzz", day may be " d" or "d" */
	char b[40];
	struct mf_civil c;
	uint64_t v;
	size_t i = 0;
	int mon = -1, sign, off;

	if (len >= sizeof(b))
		return MF_EFORMAT;
	memcpy(b, s, len);
	b[len] = '\0';
	while (b[i] == ' ')
		i++;
	memset(&c, 0, sizeof(c));
	{
		size_t j = i;
		while (isdigit((unsigned char)b[j]))
			j++;
		if (mf_parse_u64(&v, b + i, j - i, 31) < 0 || b[j] != '-')
			return MF_EFORMAT;
		c.day = (int)v;
		i = j + 1;
	}
	for (int m = 0; m < 12; m++)
		if (!strncasecmp(b + i, months[m], 3))
			mon = m;
	if (mon < 0 || b[i + 3] != '-')
		return MF_EFORMAT;
	c.month = mon + 1;
	i += 4;
	if (strlen(b + i) != 4 + 1 + 8 + 1 + 5)
		return MF_EFORMAT;
	if (mf_parse_u64(&v, b + i, 4, 9999) < 0 || b[i + 4] != ' ')
		return MF_EFORMAT;
	c.year = (int)v;
	i += 5;
	if (mf_parse_u64(&v, b + i, 2, 23) < 0 || b[i + 2] != ':')
		return MF_EFORMAT;
	c.hour = (int)v;
	if (mf_parse_u64(&v, b + i + 3, 2, 59) < 0 || b[i + 5] != ':')
		return MF_EFORMAT;
	c.min = (int)v;
	if (mf_parse_u64(&v, b + i + 6, 2, 60) < 0 || b[i + 8] != ' ')
		return MF_EFORMAT;
	c.sec = (int)v;
	i += 9;
	if (b[i] != '+' && b[i] != '-')
		return MF_EFORMAT;
	sign = b[i] == '-' ? -1 : 1;
	if (mf_parse_u64(&v, b + i + 1, 4, 9999) < 0 || v % 100 > 59)
		return MF_EFORMAT;
	off = (int)(v / 100 * 3600 + v % 100 * 60);
	if (!mf_civil_valid(&c))
		return MF_EFORMAT;
	*out = mf_civil_to_utc_naive(&c) - sign * off;
	return MF_OK;
}

void imap_date_format(char out[32], int64_t t)
{
	struct mf_civil c;
	mf_utc_to_civil(&c, t);
	snprintf(out, 32, "%02d-%s-%04d %02d:%02d:%02d +0000", c.day % 100,
		 months[(c.month - 1) % 12], c.year % 10000, c.hour % 100, c.min % 100,
		 c.sec % 100);
}

int imap_quotable(const char *s, size_t len)
{
	if (len > 1024)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			return 0;
	}
	return 1;
}

void imap_add_string(struct mf_buf *b, const char *s, size_t len, int lit_plus)
{
	if (imap_quotable(s, len)) {
		mf_buf_addch(b, '"');
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '"' || s[i] == '\\')
				mf_buf_addch(b, '\\');
			mf_buf_addch(b, (unsigned char)s[i]);
		}
		mf_buf_addch(b, '"');
		return;
	}
	mf_buf_addf(b, "{%zu%s}\r\n", len, lit_plus ? "+" : "");
	mf_buf_add(b, s, len);
}

void imap_base64(struct mf_buf *out, const void *data, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		char q[4] = { a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63] };
		mf_buf_add(out, q, 4);
	}
	if (len - i == 1) {
		unsigned v = (unsigned)p[i] << 16;
		char q[4] = { a[v >> 18], a[(v >> 12) & 63], '=', '=' };
		mf_buf_add(out, q, 4);
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		char q[4] = { a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '=' };
		mf_buf_add(out, q, 4);
	}
}

/* ---- connection ---- */

#define RBUF_SIZE (256u << 10)

struct imap_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int broken;
	int eof;
	unsigned caps;
	unsigned tagn;
	int timeout_ms;
	char host[256];
	int verify;
	/* input */
	char *rbuf;
	size_t rstart, rend;
	/* the response being assembled */
	struct mf_buf cur;
	uint64_t lit_left;        /* bytes of a literal still to come */
	int cur_has;              /* cur holds a partial response */
	/* output */
	struct mf_buf out;
	size_t out_off;
	uint64_t written;
};

static int conn_fail(struct imap_conn *c, struct mf_diag *diag, int code, const char *fmt, ...)
	MF_ATTR_PRINTF(4, 5);
static int conn_fail(struct imap_conn *c, struct mf_diag *diag, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->broken = 1;
	return mf_diag_set(diag, code, NULL, MF_NO_OFFSET, "IMAP %s:%s", c->host, msg);
}

static const char *ssl_err(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();
	if (!e)
		return "TLS failure";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static struct imap_conn *conn_new(int fd, const struct imap_conn_opts *o)
{
	struct imap_conn *c = mf_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
	snprintf(c->host, sizeof(c->host), "%s", o->host ? o->host : "?");
	c->verify = o->verify;
	c->rbuf = mf_xmalloc(RBUF_SIZE);
	mf_buf_init(&c->cur, IMAP_RESPONSE_MAX);
	mf_buf_init(&c->out, MF_BUF_UNBOUNDED);
	return c;
}

void imap_conn_close(struct imap_conn **pc)
{
	struct imap_conn *c = pc ? *pc : NULL;
	if (!c)
		return;
	if (c->ssl) {
		if (!c->broken)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->rbuf);
	mf_buf_release(&c->cur);
	/* the queue may have held a password */
	if (c->out.alloc)
		memset(c->out.data, 0, c->out.alloc);
	mf_buf_release(&c->out);
	free(c);
	*pc = NULL;
}

unsigned imap_conn_caps(const struct imap_conn *c)
{
	return c->caps;
}

void imap_conn_set_caps(struct imap_conn *c, unsigned caps)
{
	c->caps = caps;
}

int imap_conn_broken(const struct imap_conn *c)
{
	return c->broken;
}

void imap_conn_tag(struct imap_conn *c, char tag[16])
{
	snprintf(tag, 16, "m%u", ++c->tagn);
}

struct mf_buf *imap_conn_out(struct imap_conn *c)
{
	return &c->out;
}

size_t imap_conn_unsent(const struct imap_conn *c)
{
	return c->out.len - c->out_off;
}

uint64_t imap_conn_written(const struct imap_conn *c)
{
	return c->written;
}

/* One write attempt.  1: progress, 0: would block, <0 failure. */
static int try_write(struct imap_conn *c, int *want_read, struct mf_diag *diag)
{
	size_t left = c->out.len - c->out_off;
	if (!left)
		return 0;
	if (left > (1u << 20))
		left = 1u << 20;
	if (c->ssl) {
		int w = SSL_write(c->ssl, c->out.data + c->out_off, (int)left);
		if (w <= 0) {
			int e = SSL_get_error(c->ssl, w);
			if (e == SSL_ERROR_WANT_WRITE)
				return 0;
			if (e == SSL_ERROR_WANT_READ) {
				*want_read = 1;
				return 0;
			}
			return conn_fail(c, diag, MF_EIO, " TLS write failed: %s", ssl_err());
		}
		c->out_off += (size_t)w;
		c->written += (uint64_t)w;
	} else {
		ssize_t w = send(c->fd, c->out.data + c->out_off, left, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return conn_fail(c, diag, MF_EIO, " write failed: %s", strerror(errno));
		}
		c->out_off += (size_t)w;
		c->written += (uint64_t)w;
	}
	if (c->out_off == c->out.len) {
		/* keep the buffer, forget its content */
		c->out.len = 0;
		c->out_off = 0;
		if (c->out.alloc)
			c->out.data[0] = '\0';
	}
	return 1;
}

/* One read attempt.  1: progress, 0: would block, <0 failure. */
static int try_read(struct imap_conn *c, int *want_write, struct mf_diag *diag)
{
	size_t room;
	if (c->rstart == c->rend)
		c->rstart = c->rend = 0;
	if (c->rend == RBUF_SIZE && c->rstart > 0) {
		memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
		c->rend -= c->rstart;
		c->rstart = 0;
	}
	room = RBUF_SIZE - c->rend;
	if (!room)
		return 0;   /* the parser must take bytes first */
	if (c->ssl) {
		int r = SSL_read(c->ssl, c->rbuf + c->rend, (int)room);
		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				return 0;
			if (e == SSL_ERROR_WANT_WRITE) {
				*want_write = 1;
				return 0;
			}
			if (e == SSL_ERROR_ZERO_RETURN) {
				c->eof = 1;
				return 0;
			}
			return conn_fail(c, diag, MF_EIO, " TLS read failed: %s", ssl_err());
		}
		c->rend += (size_t)r;
	} else {
		ssize_t r = recv(c->fd, c->rbuf + c->rend, room, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			return conn_fail(c, diag, MF_EIO, " read failed: %s", strerror(errno));
		}
		if (r == 0) {
			c->eof = 1;
			return 0;
		}
		c->rend += (size_t)r;
	}
	return 1;
}

int imap_conn_pump(struct imap_conn *c, int wait_ms, struct mf_diag *diag)
{
	int64_t deadline;

	if (c->broken)
		return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "IMAP %s: connection lost",
				   c->host);
	if (wait_ms < 0)
		wait_ms = c->timeout_ms;
	deadline = mf_now_ms() + wait_ms;
	for (;;) {
		int progress = 0, want_read = 0, want_write = 0, r;
		struct pollfd pfd;
		int64_t left;

		while ((r = try_write(c, &want_read, diag)) > 0)
			progress = 1;
		if (r < 0)
			return r;
		while ((r = try_read(c, &want_write, diag)) > 0) {
			progress = 1;
			if (c->rend == RBUF_SIZE)
				break;
		}
		if (r < 0)
			return r;
		if (progress || (c->ssl && SSL_pending(c->ssl) > 0))
			return MF_OK;
		if (c->eof)
			return conn_fail(c, diag, MF_EIO, " the server closed the connection");
		left = deadline - mf_now_ms();
		if (left <= 0) {
			if (wait_ms == 0)
				return MF_OK;
			return conn_fail(c, diag, MF_EIO, " no answer for %d s", wait_ms / 1000);
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (imap_conn_unsent(c) || want_write)
			pfd.events |= POLLOUT;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR)
			return conn_fail(c, diag, MF_EIO, " poll failed: %s", strerror(errno));
		if (r > 0 && (pfd.revents & (POLLERR | POLLNVAL)) && !(pfd.revents & POLLIN))
			return conn_fail(c, diag, MF_EIO, " connection error");
	}
}

/* Take what is buffered into the response being assembled.  1: a whole
 * response is in c->cur; 0: more is needed; <0: bounds exceeded. */
static int take_response(struct imap_conn *c, struct mf_diag *diag)
{
	for (;;) {
		size_t avail = c->rend - c->rstart;
		const char *s = c->rbuf + c->rstart;
		if (c->lit_left) {
			size_t k = avail < c->lit_left ? avail : (size_t)c->lit_left;
			if (!k)
				return 0;
			if (mf_buf_add(&c->cur, s, k) < 0)
				return conn_fail(c, diag, MF_EFORMAT, " response longer than %u bytes",
						 IMAP_RESPONSE_MAX);
			c->rstart += k;
			c->lit_left -= k;
			continue;
		}
		{
			const char *nl = memchr(s, '\n', avail);
			size_t linelen, k;
			const char *line;
			if (!nl) {
				/* the line so far goes to cur; its length is bounded */
				size_t since = 0;
				/* length of the current line already in cur */
				for (size_t i = c->cur.len; i > 0 && c->cur.data[i - 1] != '\n'; i--)
					since++;
				if (since + avail > IMAP_LINE_MAX)
					return conn_fail(c, diag, MF_EFORMAT,
							 " a response line longer than %u bytes",
							 IMAP_LINE_MAX);
				if (avail && mf_buf_add(&c->cur, s, avail) < 0)
					return conn_fail(c, diag, MF_EFORMAT, " response too long");
				c->rstart += avail;
				c->cur_has = c->cur_has || avail;
				return 0;
			}
			k = (size_t)(nl - s) + 1;
			if (mf_buf_add(&c->cur, s, k) < 0)
				return conn_fail(c, diag, MF_EFORMAT, " response too long");
			c->rstart += k;
			c->cur_has = 1;
			/* the whole line (it may have started in an earlier read) */
			{
				size_t st = c->cur.len - 1;
				while (st > 0 && c->cur.data[st - 1] != '\n')
					st--;
				line = c->cur.data + st;
				linelen = c->cur.len - st;
			}
			if (linelen > IMAP_LINE_MAX)
				return conn_fail(c, diag, MF_EFORMAT, " a response line longer than %u bytes",
						 IMAP_LINE_MAX);
			/* does it end in {N}? (a literal follows) */
			{
				size_t e = linelen - 1;   /* at '\n' */
				if (e > 0 && line[e - 1] == '\r')
					e--;
				if (e > 0 && line[e - 1] == '}') {
					size_t b = e - 1;
					while (b > 0 && isdigit((unsigned char)line[b - 1]))
						b--;
					if (b > 0 && line[b - 1] == '{' && b < e - 1) {
						uint64_t v;
						if (mf_parse_u64(&v, line + b, e - 1 - b, IMAP_LITERAL_MAX) < 0)
							return conn_fail(c, diag, MF_EFORMAT,
									 " a literal longer than %u bytes",
									 IMAP_LITERAL_MAX);
						if (v > 0) {
							c->lit_left = v;
							continue;
						}
						continue;   /* {0}: the line goes on */
					}
				}
			}
			return 1;
		}
	}
}

int imap_conn_response(struct imap_conn *c, struct mf_buf *resp, int block,
		       struct mf_diag *diag)
{
	int64_t deadline = mf_now_ms() + c->timeout_ms;
	/* what is queued goes out first, whatever is already here */
	if (imap_conn_unsent(c) && !c->broken) {
		int r = imap_conn_pump(c, 0, diag);
		if (r < 0 && !c->eof)
			return r;
	}
	for (;;) {
		int r = take_response(c, diag);
		if (r < 0)
			return r;
		if (r > 0) {
			mf_buf_reset(resp);
			if (mf_buf_add(resp, c->cur.data, c->cur.len) < 0)
				return conn_fail(c, diag, MF_EFORMAT, " response too long");
			mf_buf_reset(&c->cur);
			c->cur_has = 0;
			return MF_OK;
		}
		if (c->broken)
			return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "IMAP %s: connection lost",
					   c->host);
		if (!block) {
			if ((r = imap_conn_pump(c, 0, diag)) < 0)
				return r;
			r = take_response(c, diag);
			if (r < 0)
				return r;
			if (r > 0) {
				mf_buf_reset(resp);
				mf_buf_add(resp, c->cur.data, c->cur.len);
				mf_buf_reset(&c->cur);
				c->cur_has = 0;
				return MF_OK;
			}
			return MF_DONE;
		}
		{
			int64_t left = deadline - mf_now_ms();
			if (left <= 0)
				return conn_fail(c, diag, MF_EIO, " no answer for %d s", c->timeout_ms / 1000);
			if ((r = imap_conn_pump(c, (int)left, diag)) < 0)
				return r;
		}
	}
}

static void resp_diag(struct mf_diag *diag, const char *host, const struct imap_resp *r,
		      const char *what)
{
	mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET, "IMAP %s: %s: %s%s%s%s %.*s", host, what,
		    r->status == IMAP_NO ? "NO" : r->status == IMAP_BAD ? "BAD" : r->word,
		    r->code[0] ? " [" : "", r->code, r->code[0] ? "]" : "",
		    (int)(r->text_len > 300 ? 300 : r->text_len), r->text);
}

int imap_conn_cmd_raw(struct imap_conn *c, imap_untagged_cb cb, void *arg,
		      struct mf_buf *final_buf, struct imap_resp *final,
		      const char *cmd, size_t cmd_len, struct mf_diag *diag)
{
	char tag[16];
	int rc;
	struct imap_resp r;

	/* what a caller reads when no tagged response came (rc < 0) */
	memset(final, 0, sizeof(*final));
	final->status = IMAP_NONE;
	final->text = "";
	imap_conn_tag(c, tag);
	mf_buf_addf(&c->out, "%s ", tag);
	mf_buf_add(&c->out, cmd, cmd_len);
	mf_buf_add(&c->out, "\r\n", 2);
	for (;;) {
		if ((rc = imap_conn_response(c, final_buf, 1, diag)) < 0)
			return rc;
		if (imap_resp_parse(&r, final_buf->data, final_buf->len) < 0)
			return conn_fail(c, diag, MF_EFORMAT, " unreadable response: %.80s",
					 final_buf->data);
		if (r.kind == IMAP_R_UNTAGGED) {
			if (r.status == IMAP_BYE) {
				c->broken = 1;
				resp_diag(diag, c->host, &r, "the server said goodbye");
				return MF_EIO;
			}
			if (!strcmp(r.word, "CAPABILITY"))
				c->caps = imap_caps_parse(&r.rest);
			else if (r.status == IMAP_OK && !strcmp(r.code, "CAPABILITY")) {
				struct imap_p p;
				imap_p_init(&p, r.code_args, r.code_args_len);
				c->caps = imap_caps_parse(&p);
			}
			if (cb)
				cb(arg, &r);
			continue;
		}
		if (r.kind == IMAP_R_CONTINUE)
			return conn_fail(c, diag, MF_EFORMAT, " unexpected continuation");
		if (strcmp(r.tag, tag) != 0)
			continue;   /* a reply to an earlier command nobody waits for */
		*final = r;
		if (r.status == IMAP_OK) {
			if (!strcmp(r.code, "CAPABILITY")) {
				struct imap_p p;
				imap_p_init(&p, r.code_args, r.code_args_len);
				c->caps = imap_caps_parse(&p);
			}
			return MF_OK;
		}
		{
			char what[64];
			size_t k = 0;
			while (k < cmd_len && k < 30 && cmd[k] != ' ')
				k++;
			snprintf(what, sizeof(what), "%.*s", (int)k, cmd);
			resp_diag(diag, c->host, &r, what);
		}
		return MF_EREMOTE;
	}
}

int imap_conn_cmd(struct imap_conn *c, imap_untagged_cb cb, void *arg,
		  struct mf_buf *final_buf, struct imap_resp *final, struct mf_diag *diag,
		  const char *fmt, ...)
{
	struct mf_buf b;
	va_list ap;
	int rc;
	mf_buf_init(&b, IMAP_LINE_MAX);
	va_start(ap, fmt);
	mf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	rc = imap_conn_cmd_raw(c, cb, arg, final_buf, final, b.data, b.len, diag);
	mf_buf_release(&b);
	return rc;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int tls_start(struct imap_conn *c, struct mf_diag *diag)
{
	int64_t deadline = mf_now_ms() + c->timeout_ms;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return conn_fail(c, diag, MF_EIO, " cannot set up TLS: %s", ssl_err());
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (c->verify) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_set_default_verify_paths(c->ctx) != 1)
			return conn_fail(c, diag, MF_EIO, " cannot load the trusted certificates: %s",
					 ssl_err());
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl)
		return conn_fail(c, diag, MF_EIO, " cannot set up TLS: %s", ssl_err());
	SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_set_tlsext_host_name(c->ssl, c->host);
	if (c->verify && SSL_set1_host(c->ssl, c->host) != 1)
		return conn_fail(c, diag, MF_EIO, " cannot set the host name to verify");
	SSL_set_fd(c->ssl, c->fd);
	for (;;) {
		int r = SSL_connect(c->ssl), e;
		struct pollfd pfd;
		int64_t left;
		if (r == 1)
			return MF_OK;
		e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			long v = SSL_get_verify_result(c->ssl);
			if (v != X509_V_OK)
				return conn_fail(c, diag, MF_EIO,
						 " the server's certificate is not trusted (%s); give the CA "
						 "with SSL_CERT_FILE, or --tls-verify=no for a test server",
						 X509_verify_cert_error_string(v));
			return conn_fail(c, diag, MF_EIO, " TLS handshake failed: %s", ssl_err());
		}
		left = deadline - mf_now_ms();
		if (left <= 0)
			return conn_fail(c, diag, MF_EIO, " TLS handshake timed out");
		pfd.fd = c->fd;
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return conn_fail(c, diag, MF_EIO, " poll failed: %s", strerror(errno));
	}
}

static int greet(struct imap_conn *c, enum imap_tls tls, struct mf_diag *diag)
{
	struct mf_buf b;
	struct imap_resp r;
	int rc;

	mf_buf_init(&b, IMAP_RESPONSE_MAX);
	if ((rc = imap_conn_response(c, &b, 1, diag)) < 0)
		goto out;
	if (imap_resp_parse(&r, b.data, b.len) < 0 || r.kind != IMAP_R_UNTAGGED) {
		rc = conn_fail(c, diag, MF_EREMOTE, " not an IMAP server (greeting %.60s)", b.data);
		goto out;
	}
	if (r.status == IMAP_BYE) {
		resp_diag(diag, c->host, &r, "the server refused the connection");
		c->broken = 1;
		rc = MF_EREMOTE;
		goto out;
	}
	if (r.status != IMAP_OK && r.status != IMAP_PREAUTH) {
		rc = conn_fail(c, diag, MF_EREMOTE, " not an IMAP server (greeting %.60s)", b.data);
		goto out;
	}
	if (!strcmp(r.code, "CAPABILITY")) {
		struct imap_p p;
		imap_p_init(&p, r.code_args, r.code_args_len);
		c->caps = imap_caps_parse(&p);
	} else if ((rc = imap_conn_cmd(c, NULL, NULL, &b, &r, diag, "CAPABILITY")) < 0) {
		goto out;
	}
	if (tls == IMAP_TLS_STARTTLS) {
		if (!(c->caps & IMAP_CAP_STARTTLS)) {
			rc = conn_fail(c, diag, MF_EREMOTE, " the server does not offer STARTTLS");
			goto out;
		}
		if ((rc = imap_conn_cmd(c, NULL, NULL, &b, &r, diag, "STARTTLS")) < 0)
			goto out;
		if (c->rend != c->rstart) {
			rc = conn_fail(c, diag, MF_EREMOTE, " data after STARTTLS (injection?)");
			goto out;
		}
		if ((rc = tls_start(c, diag)) < 0)
			goto out;
		c->caps = 0;
		if ((rc = imap_conn_cmd(c, NULL, NULL, &b, &r, diag, "CAPABILITY")) < 0)
			goto out;
	}
	rc = MF_OK;
out:
	mf_buf_release(&b);
	return rc;
}

int imap_conn_open_fd(struct imap_conn **out, int fd, const struct imap_conn_opts *o,
		      struct mf_diag *diag)
{
	struct imap_conn *c;
	int rc;

	*out = NULL;
	if (set_nonblock(fd) < 0) {
		close(fd);
		return mf_diag_errno(diag, MF_EIO, NULL, "cannot set up the socket");
	}
	c = conn_new(fd, o);
	if (o->tls == IMAP_TLS_IMPLICIT && (rc = tls_start(c, diag)) < 0) {
		imap_conn_close(&c);
		return rc;
	}
	if ((rc = greet(c, o->tls, diag)) < 0) {
		imap_conn_close(&c);
		return rc;
	}
	*out = c;
	return MF_OK;
}

int imap_conn_open(struct imap_conn **out, const struct imap_conn_opts *o, struct mf_diag *diag)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int fd = -1, gai, err = 0;
	int64_t deadline = mf_now_ms() + (o->timeout_ms > 0 ? o->timeout_ms : 60000);

	*out = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", o->port);
	gai = getaddrinfo(o->host, port, &hints, &res);
	if (gai != 0)
		return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "IMAP %s: cannot resolve: %s",
				   o->host, gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		int r, one = 1;
		socklen_t sl = sizeof(err);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r < 0 && errno != EINPROGRESS) {
			err = errno;
			close(fd);
			fd = -1;
			continue;
		}
		if (r < 0) {
			int64_t left = deadline - mf_now_ms();
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			r = poll(&pfd, 1, left > 0 ? (int)left : 0);
			if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
				if (r == 0)
					err = ETIMEDOUT;
				close(fd);
				fd = -1;
				continue;
			}
		}
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "IMAP %s:%d: cannot connect: %s",
				   o->host, o->port, strerror(err ? err : ECONNREFUSED));
	return imap_conn_open_fd(out, fd, o, diag);
}

/* Wait for a continuation, answering nothing else; MF_OK or an error. */
static int wait_continue(struct imap_conn *c, const char *tag, struct mf_buf *b,
			 struct imap_resp *r, struct mf_diag *diag)
{
	int rc;
	for (;;) {
		if ((rc = imap_conn_response(c, b, 1, diag)) < 0)
			return rc;
		if (imap_resp_parse(r, b->data, b->len) < 0)
			return conn_fail(c, diag, MF_EFORMAT, " unreadable response");
		if (r->kind == IMAP_R_CONTINUE)
			return MF_OK;
		if (r->kind == IMAP_R_TAGGED && !strcmp(r->tag, tag))
			return MF_DONE;
	}
}

int imap_conn_login(struct imap_conn *c, const char *user, const char *authzid,
		    const char *secret, int oauth2, struct mf_diag *diag)
{
	struct mf_buf b, cmd, sasl;
	struct imap_resp r;
	char tag[16];
	int rc;

	mf_buf_init(&b, IMAP_RESPONSE_MAX);
	mf_buf_init(&cmd, MF_BUF_LINE_MAX);
	mf_buf_init(&sasl, MF_BUF_LINE_MAX);
	if (oauth2 || (authzid && *authzid)) {
		const char *mech = oauth2 ? "XOAUTH2" : "PLAIN";
		if (oauth2 && !(c->caps & IMAP_CAP_AUTH_XOAUTH2)) {
			rc = mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
					 "IMAP %s: the server does not offer AUTH=XOAUTH2", c->host);
			goto out;
		}
		if (!oauth2 && !(c->caps & IMAP_CAP_AUTH_PLAIN)) {
			rc = mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
					 "IMAP %s: the server does not offer AUTH=PLAIN, needed to act "
					 "for a user (use --login-format for a master-user login)", c->host);
			goto out;
		}
		if (oauth2) {
			struct mf_buf raw;
			mf_buf_init(&raw, MF_BUF_LINE_MAX);
			mf_buf_addf(&raw, "user=%s\001auth=Bearer %s\001\001", user, secret);
			imap_base64(&sasl, raw.data, raw.len);
			memset(raw.data, 0, raw.len);
			mf_buf_release(&raw);
		} else {
			struct mf_buf raw;
			mf_buf_init(&raw, MF_BUF_LINE_MAX);
			mf_buf_addstr(&raw, authzid);
			mf_buf_addch(&raw, 0);
			mf_buf_addstr(&raw, user);
			mf_buf_addch(&raw, 0);
			mf_buf_addstr(&raw, secret);
			imap_base64(&sasl, raw.data, raw.len);
			memset(raw.data, 0, raw.len);
			mf_buf_release(&raw);
		}
		imap_conn_tag(c, tag);
		if (c->caps & IMAP_CAP_SASL_IR) {
			mf_buf_addf(&c->out, "%s AUTHENTICATE %s ", tag, mech);
			mf_buf_add(&c->out, sasl.data, sasl.len);
			mf_buf_addstr(&c->out, "\r\n");
		} else {
			mf_buf_addf(&c->out, "%s AUTHENTICATE %s\r\n", tag, mech);
			rc = wait_continue(c, tag, &b, &r, diag);
			if (rc < 0)
				goto out;
			if (rc == MF_DONE)
				goto answered;
			mf_buf_add(&c->out, sasl.data, sasl.len);
			mf_buf_addstr(&c->out, "\r\n");
		}
		for (;;) {
			if ((rc = imap_conn_response(c, &b, 1, diag)) < 0)
				goto out;
			if (imap_resp_parse(&r, b.data, b.len) < 0) {
				rc = conn_fail(c, diag, MF_EFORMAT, " unreadable response");
				goto out;
			}
			if (r.kind == IMAP_R_CONTINUE) {
				/* XOAUTH2 error details: answer with an empty line */
				mf_buf_addstr(&c->out, "\r\n");
				continue;
			}
			if (r.kind == IMAP_R_TAGGED && !strcmp(r.tag, tag))
				break;
			if (r.kind == IMAP_R_UNTAGGED && !strcmp(r.word, "CAPABILITY"))
				c->caps = imap_caps_parse(&r.rest);
		}
answered:
		if (r.status == IMAP_OK && !strcmp(r.code, "CAPABILITY")) {
			struct imap_p p;
			imap_p_init(&p, r.code_args, r.code_args_len);
			c->caps = imap_caps_parse(&p);
		}
		if (r.status != IMAP_OK) {
			resp_diag(diag, c->host, &r, "authentication refused");
			rc = MF_EREMOTE;
			goto out;
		}
	} else {
		if (c->caps & IMAP_CAP_LOGINDISABLED) {
			rc = mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
					 "IMAP %s: the server does not allow LOGIN here (use TLS: "
					 "imaps:// or --starttls)", c->host);
			goto out;
		}
		if (!imap_quotable(user, strlen(user)) || !imap_quotable(secret, strlen(secret))) {
			/* literals need LITERAL+ here (no continuation handling) */
			if (!(c->caps & IMAP_CAP_LITERALPLUS)) {
				rc = mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
						 "IMAP %s: the user name or password holds characters "
						 "LOGIN cannot carry on this server", c->host);
				goto out;
			}
		}
		mf_buf_addstr(&cmd, "LOGIN ");
		imap_add_string(&cmd, user, strlen(user), 1);
		mf_buf_addch(&cmd, ' ');
		imap_add_string(&cmd, secret, strlen(secret), 1);
		rc = imap_conn_cmd_raw(c, NULL, NULL, &b, &r, cmd.data, cmd.len, diag);
		if (rc == MF_EREMOTE) {
			resp_diag(diag, c->host, &r, "login refused");
			goto out;
		}
		if (rc < 0)
			goto out;
	}
	/* capabilities may change after login */
	if (strcmp(r.code, "CAPABILITY") != 0) {
		rc = imap_conn_cmd(c, NULL, NULL, &b, &r, diag, "CAPABILITY");
		if (rc < 0)
			goto out;
	}
	rc = MF_OK;
out:
	if (cmd.alloc)
		memset(cmd.data, 0, cmd.alloc);
	if (sasl.alloc)
		memset(sasl.data, 0, sasl.alloc);
	mf_buf_release(&cmd);
	mf_buf_release(&sasl);
	mf_buf_release(&b);
	return rc;
}
