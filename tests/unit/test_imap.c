/* SPDX-License-Identifier: MIT */
/*
 * test_imap.c: the IMAP client's bounded response parser and reader, its
 * login commands (checked on the bytes a scripted server receives over a
 * socketpair), the INTERNALDATE and UID-set parsers, and folder naming.
 */
#include "tests/unit/tests.h"
#include "exporters/imap/imap.h"
#include "exporters/imap/imap_client.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct imap_tok tok(struct imap_p *p)
{
	return imap_tok_next(p);
}

static void t_tokens(void)
{
	static const char s[] = "* 12 FETCH (UID 7 FLAGS (\\Seen \\Recent) "
				"BODY[HEADER.FIELDS (X-MAILFERRY-ID)] {5}\r\na\r\nbc "
				"X \"q\\\"u\\\\o\" NIL)\r\n";
	struct imap_resp r;
	struct imap_tok t;
	struct mf_buf b;
	uint64_t v;

	T_EQ_INT(imap_resp_parse(&r, s, sizeof(s) - 1), MF_OK);
	T_EQ_INT(r.kind, IMAP_R_UNTAGGED);
	T_EQ_INT(r.has_number, 1);
	T_EQ_INT(r.number, 12);
	T_EQ_STR(r.word, "FETCH");
	T_EQ_INT(tok(&r.rest).type, IMAP_T_LPAREN);
	t = tok(&r.rest);
	T_ASSERT(imap_tok_is(&t, "uid"));
	t = tok(&r.rest);
	T_EQ_INT(imap_tok_u64(&v, &t, UINT32_MAX), MF_OK);
	T_EQ_INT(v, 7);
	t = tok(&r.rest);
	T_ASSERT(imap_tok_is(&t, "FLAGS"));
	t = tok(&r.rest);
	T_EQ_INT(imap_tok_skip(&r.rest, &t), MF_OK);   /* the whole flag list */
	t = tok(&r.rest);
	T_EQ_MEM(t.s, t.len, "BODY[HEADER.FIELDS (X-MAILFERRY-ID)]", 36);
	t = tok(&r.rest);
	T_EQ_INT(t.type, IMAP_T_LITERAL);
	T_EQ_MEM(t.s, t.len, "a\r\nbc", 5);
	t = tok(&r.rest);
	T_ASSERT(imap_tok_is(&t, "X"));
	t = tok(&r.rest);
	T_EQ_INT(t.type, IMAP_T_QUOTED);
	mf_buf_init(&b, 100);
	T_EQ_INT(imap_tok_string(&b, &t), MF_OK);
	T_EQ_STR(b.data, "q\"u\\o");
	mf_buf_release(&b);
	T_EQ_INT(tok(&r.rest).type, IMAP_T_NIL);
	T_EQ_INT(tok(&r.rest).type, IMAP_T_RPAREN);
	T_EQ_INT(tok(&r.rest).type, IMAP_T_END);
}

static void t_tokens_hostile(void)
{
	static const char *const bad[] = {
		"* 1 FETCH (BODY[] {10}\r\nabc)\r\n",        /* literal past the end */
		"* 1 FETCH (BODY[] {99999999999999}\r\nx\r\n", /* absurd length */
		"* 1 FETCH (X \"abc\r\n",                    /* unterminated quote */
		"* 1 FETCH (X \"a\\b\")\r\n",                /* bad escape */
		"* 1 FETCH (BODY[HEADER\r\n",                 /* unterminated section */
		"* 1 FETCH ({5x}\r\n",                        /* bad literal */
	};
	for (size_t i = 0; i < MF_ARRAY_LEN(bad); i++) {
		struct imap_resp r;
		struct imap_tok t;
		int n = 0;
		T_EQ_INT(imap_resp_parse(&r, bad[i], strlen(bad[i])), MF_OK);
		do {
			t = tok(&r.rest);
			if (t.type == IMAP_T_LPAREN && imap_tok_skip(&r.rest, &t) < 0) {
				t.type = IMAP_T_ERROR;
				break;
			}
		} while (t.type != IMAP_T_END && t.type != IMAP_T_ERROR && ++n < 100);
		if (t.type != IMAP_T_ERROR)
			t_fail(__FILE__, __LINE__, "case %zu parsed without error", i);
	}
	{
		/* nesting is bounded */
		char deep[300];
		struct imap_p p;
		struct imap_tok t;
		memset(deep, '(', 200);
		memcpy(deep + 200, "x)\r\n", 5);
		imap_p_init(&p, deep, strlen(deep));
		t = tok(&p);
		T_EQ_INT(imap_tok_skip(&p, &t), MF_EFORMAT);
	}
}

static void t_responses(void)
{
	static const char a[] = "m12 OK [APPENDUID 1795278819 3:5,9] Append completed.\r\n";
	static const char b[] = "+ Ready for literal data\r\n";
	static const char c[] = "* OK [CAPABILITY IMAP4rev1 LITERAL+ MULTIAPPEND UIDPLUS "
				"AUTH=PLAIN SASL-IR SPECIAL-USE] hi\r\n";
	static const char d[] = "m3 NO [THROTTLED] slow\r\n";
	struct imap_resp r;
	uint32_t uids[8];
	size_t n;

	T_EQ_INT(imap_resp_parse(&r, a, sizeof(a) - 1), MF_OK);
	T_EQ_INT(r.kind, IMAP_R_TAGGED);
	T_EQ_STR(r.tag, "m12");
	T_EQ_INT(r.status, IMAP_OK);
	T_EQ_STR(r.code, "APPENDUID");
	T_EQ_MEM(r.code_args, r.code_args_len, "1795278819 3:5,9", 16);
	T_EQ_MEM(r.text, r.text_len, "Append completed.", 17);
	T_EQ_INT(imap_uidset_parse(uids, 8, &n, "3:5,9", 5), MF_OK);
	T_EQ_INT(n, 4);
	T_EQ_INT(uids[0], 3);
	T_EQ_INT(uids[2], 5);
	T_EQ_INT(uids[3], 9);
	T_EQ_INT(imap_uidset_parse(uids, 8, &n, "5:3", 3), MF_EFORMAT);
	T_EQ_INT(imap_uidset_parse(uids, 8, &n, "0", 1), MF_EFORMAT);
	T_EQ_INT(imap_uidset_parse(uids, 8, &n, "3,", 2), MF_EFORMAT);
	T_EQ_INT(imap_uidset_parse(uids, 2, &n, "1:3", 3), MF_ETOOBIG);
	T_EQ_INT(imap_uidset_parse(uids, 8, &n, "1:4294967296", 12), MF_EFORMAT);
	T_EQ_INT(imap_resp_parse(&r, b, sizeof(b) - 1), MF_OK);
	T_EQ_INT(r.kind, IMAP_R_CONTINUE);
	T_EQ_INT(imap_resp_parse(&r, c, sizeof(c) - 1), MF_OK);
	T_EQ_INT(r.status, IMAP_OK);
	T_EQ_STR(r.code, "CAPABILITY");
	{
		struct imap_p p;
		unsigned caps;
		imap_p_init(&p, r.code_args, r.code_args_len);
		caps = imap_caps_parse(&p);
		T_ASSERT(caps & IMAP_CAP_LITERALPLUS);
		T_ASSERT(caps & IMAP_CAP_MULTIAPPEND);
		T_ASSERT(caps & IMAP_CAP_UIDPLUS);
		T_ASSERT(caps & IMAP_CAP_AUTH_PLAIN);
		T_ASSERT(caps & IMAP_CAP_SPECIAL_USE);
		T_ASSERT(!(caps & IMAP_CAP_STARTTLS));
	}
	T_EQ_INT(imap_resp_parse(&r, d, sizeof(d) - 1), MF_OK);
	T_EQ_INT(r.status, IMAP_NO);
	T_EQ_STR(r.code, "THROTTLED");
	T_EQ_INT(imap_resp_parse(&r, "m1 MAYBE x\r\n", 12), MF_EFORMAT);
	T_EQ_INT(imap_resp_parse(&r, "m1 OK [APPENDUID 1 2\r\n", 22), MF_EFORMAT);
}

static void t_dates(void)
{
	char s[32];
	int64_t t;
	imap_date_format(s, 857567100);  /* 1997-03-05 13:05:00 UTC */
	T_EQ_STR(s, "05-Mar-1997 13:05:00 +0000");
	T_EQ_INT(imap_date_parse(&t, s, strlen(s)), MF_OK);
	T_EQ_INT(t, 857567100);
	T_EQ_INT(imap_date_parse(&t, " 5-Mar-1997 14:05:00 +0100", 26), MF_OK);
	T_EQ_INT(t, 857567100);
	T_EQ_INT(imap_date_parse(&t, "31-Feb-1997 14:05:00 +0100", 26), MF_EFORMAT);
	T_EQ_INT(imap_date_parse(&t, "05-Foo-1997 14:05:00 +0100", 26), MF_EFORMAT);
	T_EQ_INT(imap_date_parse(&t, "05-Mar-1997 14:05:00", 20), MF_EFORMAT);
	T_EQ_INT(imap_date_parse(&t, "05-Mar-1997 14:05:00 +0199", 26), MF_EFORMAT);
}

static void t_strings_and_names(void)
{
	struct mf_buf b;
	mf_buf_init(&b, 4096);
	imap_add_string(&b, "a\"b\\c", 5, 1);
	T_EQ_STR(b.data, "\"a\\\"b\\\\c\"");
	mf_buf_reset(&b);
	imap_add_string(&b, "a\r\nb", 4, 1);   /* never raw: a literal */
	T_EQ_STR(b.data, "{4+}\r\na\r\nb");
	mf_buf_reset(&b);
	mf_imap_level(&b, "Entw\xc3\xbcrfe", 9, '/');
	T_EQ_STR(b.data, "Entw&APw-rfe");
	mf_buf_reset(&b);
	mf_imap_level(&b, "a/b*c%d\x01", 8, '/');
	T_EQ_STR(b.data, "a_b_c_d_");
	mf_buf_reset(&b);
	mf_imap_level(&b, "Q&A.1", 5, '.');
	T_EQ_STR(b.data, "Q&-A_1");
	mf_buf_reset(&b);
	mf_imap_level(&b, "", 0, '/');
	T_EQ_STR(b.data, "_");
	mf_buf_reset(&b);
	{
		char longname[600];
		memset(longname, 'x', sizeof(longname));
		mf_imap_level(&b, longname, sizeof(longname), '/');
		T_EQ_INT(b.len, 200);
	}
	mf_buf_release(&b);
}

/* ---- a scripted server on the other end of a socketpair ---- */

static size_t srv_read(int fd, char *buf, size_t cap, const char *until)
{
	size_t n = 0;
	while (n + 1 < cap) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;
		if (poll(&pfd, 1, 2000) <= 0)
			break;
		r = read(fd, buf + n, cap - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, until))
			break;
	}
	buf[n] = '\0';
	return n;
}

static void t_conn_login(void)
{
	int sv[2];
	struct imap_conn *c = NULL;
	struct imap_conn_opts o = { "scripted", 0, IMAP_TLS_NONE, 0, 5000 };
	struct mf_diag d;
	char got[4096];
	static const char script[] =
		"* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN SASL-IR] ready\r\n"
		"m1 OK [CAPABILITY IMAP4rev1 LITERAL+ MULTIAPPEND] Logged in\r\n";

	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	T_ASSERT(write(sv[1], script, sizeof(script) - 1) == (ssize_t)sizeof(script) - 1);
	T_EQ_INT(imap_conn_open_fd(&c, sv[0], &o, &d), MF_OK);
	T_ASSERT(imap_conn_caps(c) & IMAP_CAP_SASL_IR);
	/* acting for alice: PLAIN with alice as the authorisation identity */
	T_EQ_INT(imap_conn_login(c, "admin", "alice", "s3cret", 0, &d), MF_OK);
	T_ASSERT(imap_conn_caps(c) & IMAP_CAP_MULTIAPPEND);
	srv_read(sv[1], got, sizeof(got), "\r\n");
	/* base64("alice\0admin\0s3cret") */
	T_EQ_STR(got, "m1 AUTHENTICATE PLAIN YWxpY2UAYWRtaW4AczNjcmV0\r\n");
	imap_conn_close(&c);
	close(sv[1]);
}

static void t_conn_login_refused(void)
{
	int sv[2];
	struct imap_conn *c = NULL;
	struct imap_conn_opts o = { "scripted", 0, IMAP_TLS_NONE, 0, 5000 };
	struct mf_diag d;
	char got[4096];
	static const char script[] =
		"* OK [CAPABILITY IMAP4rev1] ready\r\n"
		"m1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n";

	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	T_ASSERT(write(sv[1], script, sizeof(script) - 1) == (ssize_t)sizeof(script) - 1);
	T_EQ_INT(imap_conn_open_fd(&c, sv[0], &o, &d), MF_OK);
	T_EQ_INT(imap_conn_login(c, "bob*admin", NULL, "pa ss\"w", 0, &d), MF_EREMOTE);
	T_ASSERT(strstr(d.msg, "AUTHENTICATIONFAILED") != NULL);
	T_ASSERT(strstr(d.msg, "pa ss") == NULL);   /* never the password */
	srv_read(sv[1], got, sizeof(got), "\r\n");
	T_EQ_STR(got, "m1 LOGIN \"bob*admin\" \"pa ss\\\"w\"\r\n");
	imap_conn_close(&c);
	close(sv[1]);
}

struct feeder {
	int fd;
	const char *data;
	size_t len, chunk;
	size_t slow;              /* the first bytes go chunk at a time, the rest at once */
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t i = 0;
	while (i < f->len) {
		size_t n = i < f->slow ? f->chunk : f->len - i;
		ssize_t w;
		if (n > f->len - i)
			n = f->len - i;
		w = write(f->fd, f->data + i, n);
		if (w <= 0)
			break;
		i += (size_t)w;
		usleep(1000);
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

/* A response arriving a few bytes at a time, a literal holding CR LF and
 * what looks like a tagged reply, then an over-long line. */
static void t_conn_reader(void)
{
	int sv[2];
	struct imap_conn *c = NULL;
	struct imap_conn_opts o = { "scripted", 0, IMAP_TLS_NONE, 0, 5000 };
	struct mf_diag d;
	struct mf_buf resp;
	struct imap_resp r;
	struct feeder f;
	pthread_t th;
	char *script;
	size_t n = 0;
	static const char head[] =
		"* OK [CAPABILITY IMAP4rev1] ready\r\n"
		"* 1 FETCH (UID 4 BODY[] {18}\r\nm9 OK fake\r\nend\r\n)\r\n"
		"m1 OK done\r\n";

	script = malloc(sizeof(head) + IMAP_LINE_MAX + 64);
	memcpy(script, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	memcpy(script + n, "* OK ", 5);
	n += 5;
	memset(script + n, 'x', IMAP_LINE_MAX + 10);
	n += IMAP_LINE_MAX + 10;
	memcpy(script + n, "\r\n", 2);
	n += 2;
	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* the head 7 bytes at a time, then the long line */
	f = (struct feeder){ sv[1], script, n, 7, sizeof(head) - 1 };
	pthread_create(&th, NULL, feed, &f);
	T_EQ_INT(imap_conn_open_fd(&c, sv[0], &o, &d), MF_OK);
	mf_buf_init(&resp, IMAP_RESPONSE_MAX);
	T_EQ_INT(imap_conn_response(c, &resp, 1, &d), MF_OK);
	T_EQ_INT(imap_resp_parse(&r, resp.data, resp.len), MF_OK);
	T_EQ_STR(r.word, "FETCH");
	T_ASSERT(strstr(resp.data, "m9 OK fake") != NULL);   /* inside the literal */
	T_EQ_INT(imap_conn_response(c, &resp, 1, &d), MF_OK);
	T_EQ_INT(imap_resp_parse(&r, resp.data, resp.len), MF_OK);
	T_EQ_STR(r.tag, "m1");
	{
		int rr = imap_conn_response(c, &resp, 1, &d);
		if (rr != MF_EFORMAT)
			t_fail(__FILE__, __LINE__, "got %d len %zu: %.60s", rr, resp.len, resp.data);
	}
	T_ASSERT(imap_conn_broken(c));
	pthread_join(th, NULL);
	mf_buf_release(&resp);
	imap_conn_close(&c);
	close(sv[1]);
	free(script);
}

static void t_conn_closed(void)
{
	int sv[2];
	struct imap_conn *c = NULL;
	struct imap_conn_opts o = { "scripted", 0, IMAP_TLS_NONE, 0, 5000 };
	struct mf_diag d;
	struct mf_buf resp;
	static const char script[] = "* OK [CAPABILITY IMAP4rev1] ready\r\n* 1 FETCH (BODY[] {100}\r\nshort";

	T_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	T_ASSERT(write(sv[1], script, sizeof(script) - 1) == (ssize_t)sizeof(script) - 1);
	shutdown(sv[1], SHUT_WR);
	T_EQ_INT(imap_conn_open_fd(&c, sv[0], &o, &d), MF_OK);
	mf_buf_init(&resp, IMAP_RESPONSE_MAX);
	T_EQ_INT(imap_conn_response(c, &resp, 1, &d), MF_EIO);
	T_ASSERT(strstr(d.msg, "closed") != NULL);
	mf_buf_release(&resp);
	imap_conn_close(&c);
	close(sv[1]);
}

const struct t_case t_imap[] = {
	{ "imap: tokens, literals, sections, quoted strings", t_tokens },
	{ "imap: hostile responses end in an error, never past the end", t_tokens_hostile },
	{ "imap: tagged, untagged, continuation; APPENDUID sets; capabilities", t_responses },
	{ "imap: INTERNALDATE parsed and written", t_dates },
	{ "imap: strings quoted or literal; folder levels in modified UTF-7", t_strings_and_names },
	{ "imap: AUTHENTICATE PLAIN with an authorisation identity (scripted server)", t_conn_login },
	{ "imap: LOGIN refused: the server's words, never the password", t_conn_login_refused },
	{ "imap: responses split across reads; literal bytes are data; long lines refused",
	  t_conn_reader },
	{ "imap: a connection closed inside a literal", t_conn_closed },
	{ NULL, NULL }
};
