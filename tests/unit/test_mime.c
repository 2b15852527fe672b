/* SPDX-License-Identifier: MIT */
/* test_mime.c: core/mime.c (the MIME builder) and core/utf7.c. */
#include "tests/unit/tests.h"
#include "tests/unit/fixture.h"
#include "core/hash.h"
#include "core/mime.h"
#include "core/utf7.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- modified UTF-7 ---- */

static void utf7_table(void)
{
	static const struct {
		const char *utf8, *utf7;
	} t[] = {
		{ "INBOX", "INBOX" },
		{ "Sent Items", "Sent Items" },
		{ "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
		{ "Q&A", "Q&-A" },
		{ "&", "&-" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-" },
		/* RFC 3501 5.1.3's example */
		{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
		{ "\xf0\x9f\x98\x80", "&2D3eAA-" },           /* U+1F600: a surrogate pair */
		{ "R\xc3\xa4" "ksm\xc3\xb6rg\xc3\xa5s", "R&AOQ-ksm&APY-rg&AOU-s" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mf_buf b;
		mf_buf_init(&b, 4096);
		T_EQ_INT(mf_utf7_imap_encode(&b, t[i].utf8, strlen(t[i].utf8)), MF_OK);
		T_EQ_STR(b.data, t[i].utf7);
		mf_buf_reset(&b);
		T_EQ_INT(mf_utf7_imap_decode(&b, t[i].utf7, strlen(t[i].utf7)), MF_OK);
		T_EQ_STR(b.data, t[i].utf8);
		mf_buf_release(&b);
	}
}

static void utf7_bad(void)
{
	static const char *const bad[] = {
		"&",            /* unterminated */
		"&ZeVn",        /* unterminated run */
		"&AGE-",        /* 'a' encoded: not canonical */
		"&2D0-",        /* lone high surrogate */
		"&Jjo!-",       /* '!' is not base64 */
		"a\tb",         /* control byte */
		"\xc3\xa4",     /* raw 8-bit */
		"&AOR-",       /* leftover bits not zero */
	};
	struct mf_buf b;
	mf_buf_init(&b, 4096);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mf_buf_reset(&b);
		if (mf_utf7_imap_decode(&b, bad[i], strlen(bad[i])) != MF_EFORMAT)
			t_fail(__FILE__, __LINE__, "decoded bad input %zu", i);
	}
	mf_buf_reset(&b);
	T_EQ_INT(mf_utf7_imap_encode(&b, "a\xff", 2), MF_EFORMAT);
	T_EQ_INT(mf_utf7_imap_encode(&b, "\xed\xa0\x80", 3), MF_EFORMAT); /* surrogate in UTF-8 */
	mf_buf_release(&b);
}

/* ---- addresses ---- */

static void addresses(void)
{
	static const struct mf_mailbox mb = {
		.kind = "mailbox", .name = "Lindqvist, Anna",
		.source_address = "CCMAIL:Lindqvist, Anna at SALES01",
	};
	static const struct {
		const char *display, *type, *address, *raw, *name, *addr;
	} t[] = {
		{ NULL, "CCMAIL", "Lindqvist, Anna at SALES01", "x", "Lindqvist, Anna",
		  "Lindqvist_Anna@SALES01.ccmail.invalid" },
		{ NULL, NULL, NULL, "Brenner, Paul at SALES01", "Brenner, Paul",
		  "Brenner_Paul@SALES01.ccmail.invalid" },
		/* a name without a post office is in the mailbox's own */
		{ NULL, NULL, NULL, "Okafor, Chidi", "Okafor, Chidi",
		  "Okafor_Chidi@SALES01.ccmail.invalid" },
		{ NULL, NULL, NULL, "jdoe@example.com at SMTPLINK", "", "jdoe@example.com" },
		{ "Jane Doe", "SMTP", "jdoe@example.com", "x", "Jane Doe", "jdoe@example.com" },
		{ NULL, NULL, NULL, "SMTP:jdoe@example.com", "", "jdoe@example.com" },
		{ "Ram\xc3\xadrez, Elena", "MS", "ACMENET/HQPO/ERAMIREZ", "x",
		  "Ram\xc3\xadrez, Elena", "ERAMIREZ@HQPO.ACMENET.msmail.invalid" },
		{ NULL, NULL, NULL, "ACMENET/HQPO/ERAMIREZ", "ERAMIREZ",
		  "ERAMIREZ@HQPO.ACMENET.msmail.invalid" },
		{ NULL, NULL, NULL, "PCM:ACMENET/HQPO/ERAMIREZ", "ERAMIREZ",
		  "ERAMIREZ@HQPO.ACMENET.msmail.invalid" },
		{ NULL, "FAX", "+1 555 0100", "x", "+1 555 0100", "+1_555_0100@fax.invalid" },
		{ NULL, NULL, NULL, "#Announcements at SALES01", "#Announcements",
		  "Announcements@SALES01.ccmail.invalid" },
		{ NULL, NULL, NULL, "\xc3\x85ngstr\xc3\xb6m, Bj\xc3\xb6rn at HQ", "\xc3\x85ngstr\xc3\xb6m, Bj\xc3\xb6rn",
		  "Angstrom_Bjorn@HQ.ccmail.invalid" },
	};
	struct mf_buf n, a;
	mf_buf_init(&n, 4096);
	mf_buf_init(&a, 4096);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		T_EQ_INT(mf_mime_address(&n, &a, t[i].display, t[i].type, t[i].address, t[i].raw,
					 &mb, NULL), MF_OK);
		T_EQ_STR(n.data, t[i].name);
		T_EQ_STR(a.data, t[i].addr);
	}
	T_EQ_INT(mf_mime_address(&n, &a, NULL, NULL, NULL, "  ", &mb, NULL), MF_EFORMAT);
	{
		struct mf_mime_opts o;
		mf_mime_opts_init(&o);
		o.native_domain = "legacy.example.com";
		T_EQ_INT(mf_mime_address(&n, &a, NULL, NULL, NULL, "Brenner, Paul at SALES01",
					 &mb, &o), MF_OK);
		T_EQ_STR(a.data, "Brenner_Paul@SALES01.ccmail.legacy.example.com");
	}
	mf_buf_release(&n);
	mf_buf_release(&a);
}

/* ---- a message built in code ---- */

struct tmsg {
	struct mf_message m, nested;
	struct mf_recipient r[3];
	struct mf_body_part b[2], nb;
	struct mf_attachment a[4];
	char sha[4][65];
};

static const char BIN[] = "\x00\x01\x02\xff\xfe binary \r\n\r\nFrom x\n";

static void tmsg_init(struct tmsg *t)
{
	memset(t, 0, sizeof(*t));
	t->m.id = 7;
	t->m.src_sha256 = "aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233";
	t->m.src_offset = 4096;
	t->m.raw_header = "From: Brenner, Paul\r\nSubject: R\x84ksm\x94rg\x86s\r\n";
	t->m.raw_header_len = strlen(t->m.raw_header);
	t->m.charset = "CP850";
	t->m.sender_name = "Brenner, Paul";
	t->m.sender_type = "CCMAIL";
	t->m.sender_address = "Brenner, Paul at SALES01";
	t->m.sender_raw = "Brenner, Paul at SALES01";
	t->m.subject = "R\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s f\xc3\xb6r Q2 \xe2\x80\x93 \xe6\x97\xa5\xe6\x9c\xac";
	t->m.has_sent = 1;
	t->m.sent_utc = 858330900;            /* 1997-03-14 09:15:00 UTC */
	t->m.timezone = "Europe/Stockholm";
	t->r[0].role = "to";
	t->r[0].raw = "Lindqvist, Anna at SALES01";
	t->r[1].role = "cc";
	t->r[1].raw = "jdoe@example.com at SMTPLINK";
	t->r[2].role = "bcc";
	t->r[2].raw = "Okafor, Chidi at SALES01";
	t->m.recipients = t->r;
	t->m.n_recipients = 3;
	t->b[0].position = 0;
	t->b[0].kind = "text";
	t->b[0].text = "Hello,\r\nFrom the top: r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s.\r\n>From quoted\r\n";
	t->b[0].text_len = strlen(t->b[0].text);
	t->b[1].position = 2;
	t->b[1].kind = "rtf";
	t->b[1].text = "{\\rtf1\\ansi\\ansicpg1252 Hello \\'e4}\r\n";
	t->b[1].text_len = strlen(t->b[1].text);
	t->m.bodies = t->b;
	t->m.n_bodies = 2;
	t->a[0].position = 1;
	t->a[0].kind = "file";
	t->a[0].name = "Bud\xc3\xa9get r\xc3\xa4k.WK4";
	t->a[0].title = "BUDGET.WK4 5/6/97";
	t->a[0].data = BIN;
	t->a[0].size = sizeof(BIN) - 1;
	t->a[0].has_data = 1;
	mf_sha256_hex(t->sha[0], BIN, sizeof(BIN) - 1);
	t->a[0].sha256 = t->sha[0];
	t->a[1].position = 3;
	t->a[1].kind = "message";
	t->a[1].name = "Forwarded";
	t->a[1].nested = &t->nested;
	t->nested.src_sha256 = "0000000000000000000000000000000000000000000000000000000000000001";
	t->nested.src_offset = 5000;
	t->nested.subject = "Inner \xc3\xa9t\xc3\xa9";
	t->nested.sender_raw = "ACMENET/HQPO/ERAMIREZ";
	t->nb.kind = "text";
	t->nb.text = "inner text";
	t->nb.text_len = 10;
	t->nested.bodies = &t->nb;
	t->nested.n_bodies = 1;
	t->a[2].position = 4;
	t->a[2].kind = "file";
	t->a[2].name = "MISSING.DOC";
	t->a[2].size = 1234;
	t->a[2].has_data = 0;
	t->m.attachments = t->a;
	t->m.n_attachments = 3;
}

static const struct mf_mailbox MB = {
	.kind = "mailbox", .name = "Lindqvist, Anna", .alias = "LindqvistA",
	.source_address = "CCMAIL:Lindqvist, Anna at SALES01",
};

static void build(struct mf_buf *out, const struct mf_message *m, const struct mf_mime_opts *o)
{
	struct mf_diag d;
	mf_buf_init(out, MF_BUF_UNBOUNDED);
	if (mf_mime_build(out, m, &MB, o, &d) != MF_OK)
		t_fail(__FILE__, __LINE__, "build: %s", d.msg);
}

static int has(const struct mf_buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static void build_headers(void)
{
	struct tmsg t;
	struct mf_buf b;
	tmsg_init(&t);
	build(&b, &t.m, NULL);
	/* 09:15 UTC is 10:15 in Stockholm (CET, +0100) on that day */
	T_ASSERT(has(&b, "\nDate: Fri, 14 Mar 1997 10:15:00 +0100\n") ||
		 !strncmp(b.data, "Date: Fri, 14 Mar 1997 10:15:00 +0100\n", 38));
	T_ASSERT(has(&b, "From: \"Brenner, Paul\" <Brenner_Paul@SALES01.ccmail.invalid>\n"));
	T_ASSERT(has(&b, "To: \"Lindqvist, Anna\" <Lindqvist_Anna@SALES01.ccmail.invalid>\n"));
	T_ASSERT(has(&b, "Cc: jdoe@example.com\n"));
	T_ASSERT(has(&b, "Bcc: \"Okafor, Chidi\" <Okafor_Chidi@SALES01.ccmail.invalid>\n"));
	T_ASSERT(has(&b, "X-Mailferry-Id: aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233.4096\n"));
	T_ASSERT(has(&b, "Subject: =?UTF-8?"));
	T_ASSERT(!has(&b, "X-Priority"));
	T_ASSERT(!has(&b, "\r\n"));        /* LF only by default */
	T_ASSERT(!has(&b, "X-Mailferry-Source-Header"));
	T_ASSERT(!has(&b, "source-header.txt"));
	{
		char id[MF_MIME_MESSAGE_ID_MAX];
		char want[300];
		mf_mime_message_id(id, &t.m);
		T_ASSERT(strlen(id) == 32 + strlen("@mailferry.invalid"));
		snprintf(want, sizeof(want), "Message-Id: <%s>\n", id);
		T_ASSERT(has(&b, want));
	}
	mf_buf_release(&b);

	/* summer time: +0200; no Bcc when not asked; CR LF when asked */
	{
		struct mf_mime_opts o;
		mf_mime_opts_init(&o);
		o.bcc = 0;
		o.crlf = 1;
		t.m.sent_utc = 868000000;     /* 1997-07-04 07:06:40 UTC */
		t.m.priority = 1;
		build(&b, &t.m, &o);
		T_ASSERT(has(&b, "Date: Fri, 4 Jul 1997 09:06:40 +0200\r\n"));
		T_ASSERT(!has(&b, "Bcc:"));
		T_ASSERT(has(&b, "X-Priority: 1 (Highest)\r\n"));
		T_ASSERT(has(&b, "Importance: high\r\n"));
		for (size_t i = 0; i < b.len; i++)
			if (b.data[i] == '\n' && (i == 0 || b.data[i - 1] != '\r')) {
				t_fail(__FILE__, __LINE__, "bare LF at %zu", i);
				break;
			}
		mf_buf_release(&b);
	}
	/* no date, no sender: neither header is invented */
	t.m.has_sent = 0;
	t.m.sender_raw = NULL;
	t.m.sender_address = NULL;
	t.m.priority = -1;
	build(&b, &t.m, NULL);
	{
		/* the top header block only: the forwarded message has its own */
		const char *end = strstr(b.data, "\n\n");
		size_t hl = end ? (size_t)(end - b.data) : b.len;
		T_ASSERT(!memmem(b.data, hl, "Date:", 5));
		T_ASSERT(!memmem(b.data, hl, "\nFrom:", 6) && strncmp(b.data, "From:", 5) != 0);
	}
	T_ASSERT(has(&b, "X-Priority: 5 (Lowest)\n"));
	T_ASSERT(has(&b, "Importance: low\n"));
	mf_buf_release(&b);
}

static void build_roundtrip(void)
{
	struct tmsg t;
	struct mf_buf b;
	struct mf_mime_info info;
	struct mf_diag d;
	char want_rtf[65];

	tmsg_init(&t);
	build(&b, &t.m, NULL);
	T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
	T_EQ_STR(info.subject, t.m.subject);
	T_EQ_STR(info.staged_id, "aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233.4096");
	T_EQ_INT(info.n_messages, 2);
	/* text, attachment, rtf, nested text, missing note */
	T_EQ_INT(info.n_leaves, 5);
	if (info.n_leaves == 5) {
		T_EQ_STR(info.leaves[0].content_type, "text/plain");
		T_EQ_STR(info.leaves[0].charset, "utf-8");
		T_EQ_STR(info.leaves[1].filename, t.a[0].name);     /* non-ASCII name survives */
		T_EQ_STR(info.leaves[1].disposition, "attachment");
		T_EQ_STR(info.leaves[1].sha256, t.sha[0]);          /* bytes survive */
		T_EQ_STR(info.leaves[1].content_type, "application/vnd.lotus-1-2-3");
		T_EQ_STR(info.leaves[2].content_type, "text/rtf");
		/* RTF: the source bytes in the source code page (ASCII here) */
		mf_sha256_hex(want_rtf, t.b[1].text, t.b[1].text_len);
		T_EQ_STR(info.leaves[2].sha256, want_rtf);
		T_EQ_INT(info.leaves[3].depth, 1);
		T_EQ_STR(info.leaves[4].filename, "MISSING.DOC.missing.txt");
	}
	mf_mime_info_release(&info);
	/* the text decodes to the staged text (LF line ends) */
	{
		static const char want[] = "Hello,\nFrom the top: r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s.\n>From quoted\n";
		char hex[65];
		tmsg_init(&t);
		t.m.n_attachments = 0;
		t.m.n_bodies = 1;
		mf_buf_release(&b);
		build(&b, &t.m, NULL);
		T_ASSERT(has(&b, "Content-Type: text/plain; charset=utf-8\n"));
		T_ASSERT(!has(&b, "multipart"));
		T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
		mf_sha256_hex(hex, want, sizeof(want) - 1);
		T_EQ_INT(info.n_leaves, 1);
		if (info.n_leaves == 1)
			T_EQ_STR(info.leaves[0].sha256, hex);
		mf_mime_info_release(&info);
	}
	mf_buf_release(&b);
}

static void build_deterministic(void)
{
	struct tmsg t1, t2;
	struct mf_buf a, b;
	tmsg_init(&t1);
	tmsg_init(&t2);
	t2.m.id = 99;            /* another row id: same bytes */
	build(&a, &t1.m, NULL);
	build(&b, &t2.m, NULL);
	T_EQ_MEM(a.data, a.len, b.data, b.len);
	mf_buf_release(&b);
	/* a different staged identity gives other boundaries and ids */
	t2.m.src_offset = 4097;
	build(&b, &t2.m, NULL);
	T_ASSERT(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
	mf_buf_release(&a);
	mf_buf_release(&b);
}

/* A text that holds the boundary mailferry would pick gets another one. */
static void build_boundary_collision(void)
{
	struct tmsg t;
	struct mf_buf a, b;
	struct mf_mime_info info;
	struct mf_diag d;
	const char *p, *q;
	char bd[80], text[400];

	tmsg_init(&t);
	build(&a, &t.m, NULL);
	p = strstr(a.data, "boundary=\"");
	T_ASSERT(p != NULL);
	if (!p) {
		mf_buf_release(&a);
		return;
	}
	p += 10;
	q = strchr(p, '"');
	snprintf(bd, sizeof(bd), "%.*s", (int)(q - p), p);
	snprintf(text, sizeof(text), "line\n--%s\nContent-Type: text/html\n\nevil\n--%s--\n", bd, bd);
	t.b[0].text = text;
	t.b[0].text_len = strlen(text);
	build(&b, &t.m, NULL);
	T_ASSERT(!has(&b, "boundary=\"") || strstr(b.data, bd) != NULL);
	{
		char hdr[120];
		snprintf(hdr, sizeof(hdr), "boundary=\"%s\"", bd);
		T_ASSERT(!has(&b, hdr));
	}
	T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
	T_EQ_INT(info.n_leaves, 5);
	mf_mime_info_release(&info);
	mf_buf_release(&a);
	mf_buf_release(&b);
}

static void build_hostile_names(void)
{
	struct tmsg t;
	struct mf_buf b;
	struct mf_mime_info info;
	struct mf_diag d;
	char longname[400];

	memset(longname, 'x', 300);
	memcpy(longname + 296, ".doc", 5);
	tmsg_init(&t);
	t.a[0].name = "../../etc/passwd";
	t.a[1] = t.a[0];
	t.a[1].position = 5;
	t.a[1].name = "CON";
	t.a[2] = t.a[0];
	t.a[2].position = 6;
	t.a[2].name = longname;
	t.m.n_attachments = 3;
	t.m.n_bodies = 1;
	build(&b, &t.m, NULL);
	T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
	T_EQ_INT(info.n_leaves, 4);
	if (info.n_leaves == 4) {
		T_EQ_STR(info.leaves[1].filename, "passwd");
		T_EQ_STR(info.leaves[2].filename, "_CON");
		T_ASSERT(strlen(info.leaves[3].filename) <= 255);
		T_ASSERT(strstr(info.leaves[3].filename, ".doc") != NULL);
		for (size_t i = 1; i < 4; i++) {
			T_ASSERT(strchr(info.leaves[i].filename, '/') == NULL);
			T_EQ_STR(info.leaves[i].sha256, t.sha[0]);
		}
	}
	mf_mime_info_release(&info);
	mf_buf_release(&b);
}

/* CR LF inside staged text never starts a header of its own. */
static void build_no_header_injection(void)
{
	struct tmsg t;
	struct mf_buf b;
	struct mf_mime_info info;
	struct mf_diag d;

	tmsg_init(&t);
	t.m.subject = "Hi\r\nBcc: evil@example.com\r\n\r\nbody";
	t.m.sender_name = "Name\r\nX-Evil: 1";
	t.m.message_id = "<x@y>\r\nX-Evil: 2";
	t.a[0].title = "T\r\nX-Evil: 3";
	t.a[0].name = "a\r\nX-Evil: 4.txt";
	build(&b, &t.m, NULL);
	T_ASSERT(!has(&b, "\nX-Evil"));
	T_ASSERT(!has(&b, "\nBcc: evil"));
	T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
	T_EQ_STR(info.subject, t.m.subject);
	mf_mime_info_release(&info);
	mf_buf_release(&b);
}

static void build_raw_headers(void)
{
	struct tmsg t;
	struct mf_buf b;
	struct mf_mime_opts o;
	struct mf_mime_info info;
	struct mf_diag d;
	char hex[65];

	tmsg_init(&t);
	mf_mime_opts_init(&o);
	o.raw_headers = MF_MIME_RAW_PART;
	build(&b, &t.m, &o);
	T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
	T_EQ_INT(info.n_leaves, 6);
	if (info.n_leaves == 6) {
		T_EQ_STR(info.leaves[5].filename, "source-header.txt");
		T_EQ_STR(info.leaves[5].charset, "IBM850");
		mf_sha256_hex(hex, t.m.raw_header, t.m.raw_header_len);
		T_EQ_STR(info.leaves[5].sha256, hex);   /* the bytes as written */
	}
	mf_mime_info_release(&info);
	mf_buf_release(&b);
	o.raw_headers = MF_MIME_RAW_HEADER;
	build(&b, &t.m, &o);
	T_ASSERT(has(&b, "X-Mailferry-Source-Header: From: Brenner, Paul\n"));
	/* CP850 0x84 0x94 0x86 -> äöå, RFC 2047 encoded */
	T_ASSERT(has(&b, "X-Mailferry-Source-Header: Subject: =?UTF-8?B?UsOka3Ntw7ZyZ8Olcw==?=\n"));
	mf_buf_release(&b);
}

/* The fixture's stored message: attachments out of the store keep their
 * sha256, and a re-built store gives the same bytes. */
static void build_from_store(void)
{
	struct t_fixture f;
	struct mf_arena ar = MF_ARENA_INIT;
	struct mf_message *m;
	struct mf_mailbox mb;
	struct mf_diag d;
	struct mf_buf b;
	struct mf_mime_info info;

	t_fixture_build(&f);
	T_EQ_INT(mf_store_message_load(f.st, &m, f.msg[0], 1, &ar, &d), MF_OK);
	T_EQ_INT(mf_store_mailbox_load(f.st, &mb, f.anna, &ar, &d), MF_OK);
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	T_EQ_INT(mf_mime_build(&b, m, &mb, NULL, &d), MF_OK);
	T_EQ_INT(mf_mime_inspect(&info, b.data, b.len, &d), MF_OK);
	T_EQ_STR(info.subject, "Budget review");
	T_EQ_INT(info.n_messages, 2);
	for (size_t i = 0; i < info.n_leaves; i++)
		if (info.leaves[i].filename && !strcmp(info.leaves[i].filename, "BUDGET.WK4"))
			T_EQ_STR(info.leaves[i].sha256, m->attachments[0].sha256);
	T_ASSERT(has(&b, "Bcc: jdoe@example.com\n"));
	mf_mime_info_release(&info);
	mf_buf_release(&b);
	mf_arena_release(&ar);
	t_fixture_release(&f);
}

const struct t_case t_mime[] = {
	{ "utf7: encode and decode", utf7_table },
	{ "utf7: bad input refused", utf7_bad },
	{ "mime: native addresses get RFC 5322 forms", addresses },
	{ "mime: headers, zones, bcc, priority, no invented date", build_headers },
	{ "mime: subject, names and bytes read back", build_roundtrip },
	{ "mime: same staged message, same bytes", build_deterministic },
	{ "mime: boundary never inside a text part", build_boundary_collision },
	{ "mime: hostile attachment names become safe", build_hostile_names },
	{ "mime: raw header block as part or header", build_raw_headers },
	{ "mime: no header injection through staged text", build_no_header_injection },
	{ "mime: a stored message keeps its attachment sha256", build_from_store },
	{ NULL, NULL }
};
