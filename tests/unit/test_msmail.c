/* SPDX-License-Identifier: MIT */
/*
 * test_msmail.c: the MS Mail importer: MMFF, the directory files, the
 * Schedule+ readers and their iCalendar output (golden tests, one per rule
 * of docs/formats/msmail-export-bundle.md), and whole-bundle imports
 * into a real staging store.
 */
#include "tests/harness.h"
#include "core/store_priv.h"
#include "tests/unit/tests.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/charset.h"
#include "core/fsutil.h"
#include "core/store.h"
#include "engine/importer.h"
#include "importers/msmail/msmail_dir.h"
#include "importers/msmail/msmail_mmff.h"
#include "importers/msmail/schedplus.h"

#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct mf_importer mf_importer_msmail;

/* ---- problem collector ---- */

struct probs {
	int n;
	char code[64][48];
	enum mf_severity sev[64];
	uint64_t off[64];
};

static void collect(void *ctx, enum mf_severity sev, const char *code, uint64_t off,
		    const char *text)
{
	struct probs *p = ctx;
	(void)text;
	if (p->n < 64) {
		snprintf(p->code[p->n], sizeof(p->code[0]), "%s", code);
		p->sev[p->n] = sev;
		p->off[p->n] = off;
		p->n++;
	}
}

static int has_code(const struct probs *p, const char *code)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->code[i], code))
			return 1;
	return 0;
}

static int span_is(struct mf_span s, const char *w)
{
	return s.p && s.len == strlen(w) && memcmp(s.p, w, s.len) == 0;
}

#define T_SPAN(s, w) do { if (!span_is((s), (w))) t_fail(__FILE__, __LINE__, \
	"%s == \"%.*s\", expected \"%s\"", #s, (int)(s).len, (s).p ? (const char *)(s).p : "(null)", (w)); } while (0)

/* ---- MMFF ---- */

/* Two messages with every token of contract section 5, in CR LF. */
static const char mmff_full[] =
	"VERSION:3.00\r\n"
	"TO:PCM:ACMENET/HQPO/JWEISS\r\n"
	"To:CSI:ACMENET/HQPO/ADMIN\r\n"
	"CC:SMTP:orders@example.com\r\n"
	"FROM:PCM:ACMENET/HQPO/ERAMIREZ\r\n"
	"DATE:1995-03-14\r\n"
	"TIME:09:05\r\n"
	"SUBJECT:Q3 budget figures for the branch offices\r\n"
	"PRIORITY:4\r\n"
	"ATTACHMENT:BUDGET 1995.TXT 10\r\n"
	"ATTACHMENTS:B.DAT 3\r\n"
	"STATUS:UNREAD\r\n"
	"EXT:I:3:HEADLEN\r\n"
	"9\r\n"
	"X-FANCY:kept\r\n"
	"TEXT:14\r\n"
	"Hello\r\nWorld\r\n"
	"0123456789"
	"abc"
	"\r\n"
	"VERSION:3.00\r\n"
	"FROM:ACMENET/HQPO/JWEISS\r\n"
	"TO:ACMENET/HQPO/ERAMIREZ\r\n"
	"TEXT:0\r\n";

static void mmff_tokens(void)
{
	struct mf_mmff p;
	struct mf_mmff_msg m;
	struct probs pr = { 0 };

	mf_mmff_init(&p, mmff_full, sizeof(mmff_full) - 1, collect, &pr);
	T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
	T_EQ_INT(m.offset, 0);
	T_SPAN(m.version, "3.00");
	T_EQ_INT(m.n_rcpt, 3);
	T_SPAN(m.rcpt[0].value, "PCM:ACMENET/HQPO/JWEISS");
	T_EQ_INT(m.rcpt[0].role, MF_MMFF_TO);
	T_SPAN(m.rcpt[1].value, "CSI:ACMENET/HQPO/ADMIN");
	T_EQ_INT(m.rcpt[2].role, MF_MMFF_CC);
	T_SPAN(m.rcpt[2].value, "SMTP:orders@example.com");
	T_SPAN(m.from, "PCM:ACMENET/HQPO/ERAMIREZ");
	T_SPAN(m.date, "1995-03-14");
	T_SPAN(m.time, "09:05");
	T_SPAN(m.subject, "Q3 budget figures for the branch offices");
	T_SPAN(m.priority, "4");
	T_SPAN(m.status, "UNREAD");
	T_EQ_INT(m.n_att, 2);
	T_SPAN(m.att[0].name, "BUDGET 1995.TXT");
	T_EQ_INT(m.att[0].size, 10);
	T_SPAN(m.att[0].data, "0123456789");
	T_SPAN(m.att[1].name, "B.DAT");
	T_SPAN(m.att[1].data, "abc");
	T_EQ_INT(m.n_ext, 1);
	T_SPAN(m.ext[0].name, "HEADLEN");
	T_SPAN(m.ext[0].value, "9");
	T_EQ_INT(m.n_unknown, 1);
	T_SPAN(m.unknown[0].name, "X-FANCY");
	T_SPAN(m.unknown[0].line, "X-FANCY:kept");
	T_SPAN(m.body, "Hello\r\nWorld\r\n");
	T_EQ_INT(m.eol, MF_EOL_CRLF);
	/* the raw message runs through the last attachment byte */
	T_EQ_INT(m.length, strstr(mmff_full, "abc") + 3 - mmff_full);
	T_EQ_INT(m.header.len, strstr(mmff_full, "Hello") - mmff_full);
	T_ASSERT(has_code(&pr, "msmail.mmff-unknown-token"));
	T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
	T_SPAN(m.from, "ACMENET/HQPO/JWEISS");
	T_EQ_INT(m.body.len, 0);
	T_EQ_INT(m.n_att, 0);
	T_EQ_INT(mf_mmff_next(&p, &m), MF_DONE);
	mf_mmff_release(&p);
}

/* The same messages with each line end and lower-case tokens read alike. */
static void mmff_line_ends_and_case(void)
{
	static const char *const eols[] = { "\r\n", "\n", "\r" };
	for (int e = 0; e < 3; e++) {
		struct mf_buf b;
		struct mf_mmff p;
		struct mf_mmff_msg m;
		struct probs pr = { 0 };
		const char *nl = eols[e];
		size_t body_len = 5 + strlen(nl);

		mf_buf_init(&b, 4096);
		mf_buf_addf(&b, "version:3.00%sto:PCM:A/B/C%sfrom:PCM:A/B/D%sSubject:hi%s"
			    "attachment:x.bin 2%stext:%zu%sHello%sZZ%s", nl, nl, nl, nl, nl, body_len,
			    nl, nl, nl);
		mf_buf_addf(&b, "VERSION:3.00%sFROM:PCM:A/B/C%sTEXT:2%sok", nl, nl, nl);
		mf_mmff_init(&p, b.data, b.len, collect, &pr);
		T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
		T_SPAN(m.subject, "hi");
		T_EQ_INT(m.body.len, body_len);
		T_SPAN(m.att[0].data, "ZZ");
		T_EQ_INT(m.eol, e == 0 ? MF_EOL_CRLF : e == 1 ? MF_EOL_LF : MF_EOL_CR);
		T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
		T_SPAN(m.body, "ok");
		T_EQ_INT(mf_mmff_next(&p, &m), MF_DONE);
		T_EQ_INT(pr.n, 0);
		mf_mmff_release(&p);
		mf_buf_release(&b);
	}
}

/* A TEXT: count too small, then one too large: each damaged message is
 * skipped and reading resynchronises on the next VERSION: line. */
static void mmff_resync(void)
{
	static const char in[] =
		"VERSION:3.00\r\nFROM:A/B/C\r\nTEXT:5\r\nfirst message body\r\n"    /* 5 is too small */
		"VERSION:3.00\r\nFROM:A/B/C\r\nTEXT:6\r\nsecond\r\n"               /* good */
		"VERSION:3.00\r\nFROM:A/B/C\r\nTEXT:40\r\nthird\r\n"               /* too large */
		"VERSION:3.00\r\nFROM:A/B/D\r\nTEXT:6\r\nfourth\r\n";              /* good */
	struct mf_mmff p;
	struct mf_mmff_msg m;
	struct probs pr = { 0 };
	const char *second = strstr(in, "VERSION:3.00\r\nFROM:A/B/C\r\nTEXT:6");
	const char *fourth = strstr(in, "VERSION:3.00\r\nFROM:A/B/D");

	mf_mmff_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(mf_mmff_next(&p, &m), MF_SKIP);
	T_EQ_INT(m.offset, 0);
	T_EQ_INT(m.length, second - in);
	T_ASSERT(has_code(&pr, "msmail.mmff-count-mismatch"));
	T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
	T_SPAN(m.body, "second");
	T_EQ_INT(m.offset, second - in);
	T_EQ_INT(mf_mmff_next(&p, &m), MF_SKIP);
	T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
	T_SPAN(m.body, "fourth");
	T_EQ_INT(m.offset, fourth - in);
	T_EQ_INT(mf_mmff_next(&p, &m), MF_DONE);
	mf_mmff_release(&p);
}

static void mmff_damage(void)
{
	struct mf_mmff p;
	struct mf_mmff_msg m;
	{
		static const char in[] = "junk line\r\n\r\nVERSION:3.00\r\nTEXT:2\r\nok\r\n\r\n\r\n"
					 "VERSION:3.00\r\nFROM:A/B/C\r\n"             /* no TEXT: */
					 "VERSION:3.00\r\nTEXT:x\r\nbad count\r\n"   /* not a number */
					 "VERSION:3.00\r\nTEXT:9\r\nshort";           /* truncated */
		struct probs pr = { 0 };
		mf_mmff_init(&p, in, sizeof(in) - 1, collect, &pr);
		T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
		T_SPAN(m.body, "ok");
		T_ASSERT(has_code(&pr, "msmail.mmff-garbage"));
		T_ASSERT(has_code(&pr, "msmail.mmff-blank-lines"));
		T_EQ_INT(mf_mmff_next(&p, &m), MF_SKIP);
		T_ASSERT(has_code(&pr, "msmail.mmff-no-text"));
		T_EQ_INT(mf_mmff_next(&p, &m), MF_SKIP);
		T_ASSERT(has_code(&pr, "msmail.mmff-bad-count"));
		T_EQ_INT(mf_mmff_next(&p, &m), MF_SKIP);
		T_ASSERT(has_code(&pr, "msmail.mmff-truncated"));
		T_EQ_INT(mf_mmff_next(&p, &m), MF_DONE);
		mf_mmff_release(&p);
	}
	{
		/* a body holding a VERSION: line is not split when counts are right */
		static const char in[] = "VERSION:3.00\r\nTEXT:26\r\nquoted:\r\nVERSION:3.00\r\nx\r\n"
					 "VERSION:3.00\r\nTEXT:1\r\ny";
		struct probs pr = { 0 };
		mf_mmff_init(&p, in, sizeof(in) - 1, collect, &pr);
		T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
		T_SPAN(m.body, "quoted:\r\nVERSION:3.00\r\nx\r\n");
		T_EQ_INT(mf_mmff_next(&p, &m), MF_OK);
		T_SPAN(m.body, "y");
		T_EQ_INT(mf_mmff_next(&p, &m), MF_DONE);
		T_EQ_INT(pr.n, 0);
		mf_mmff_release(&p);
	}
}

static void mmff_priority(void)
{
	static const struct { const char *v; int kind, level; } cases[] = {
		{ "1", MF_MMFF_PRIO_LEVEL, -1 }, { "2", MF_MMFF_PRIO_LEVEL, -1 },
		{ "3", MF_MMFF_PRIO_LEVEL, 0 }, { "4", MF_MMFF_PRIO_LEVEL, 1 },
		{ "5", MF_MMFF_PRIO_LEVEL, 1 }, { "R", MF_MMFF_PRIO_RECEIPT, 0 },
		{ "r", MF_MMFF_PRIO_RECEIPT, 0 }, { "C", MF_MMFF_PRIO_CONFIRM, 0 },
		{ "F", MF_MMFF_PRIO_FILE, 0 }, { "", MF_MMFF_PRIO_EMPTY, 0 },
		{ "T", MF_MMFF_PRIO_UNKNOWN, 0 }, { "6", MF_MMFF_PRIO_UNKNOWN, 0 },
		{ "33", MF_MMFF_PRIO_UNKNOWN, 0 },
	};
	for (size_t i = 0; i < MF_ARRAY_LEN(cases); i++) {
		int level = 99;
		struct mf_span v = { (const unsigned char *)cases[i].v, strlen(cases[i].v) };
		T_EQ_INT(mf_mmff_priority(v, &level), cases[i].kind);
		T_EQ_INT(level, cases[i].level);
	}
}

static struct mf_span S(const char *s)
{
	struct mf_span r = { (const unsigned char *)s, strlen(s) };
	return r;
}

/* The textized header in the four languages (research 6.2, KB Q119356,
 * Q131523, Q175958). */
static void textized_languages(void)
{
	struct mf_textized t;
	{
		static const char b[] =
			"Microsoft Mail v3.0 IPM.Microsoft Mail.Note\r\n"
			"From: Ellen Ramirez\r\n"
			"To:  J\x81rgen Wei\xE1\r\n"
			"Subject:  Q3 budget figures for the branch offices (draft v2)\r\n"
			"Date: 1995-03-14 09:05\r\n"
			"Priority:\r\n"
			"Message ID: 4F2A91C0\r\n"
			"Parent message ID: 935DA930113BD111820200C04FC9A530\r\n"
			"Conversation ID: 4F2A91C0\r\n"
			"Attachments:\r\n"
			"  BUDGET.TXT\r\n"
			"\r\n"
			"J\x81rgen,\r\n";
		T_EQ_INT(mf_textized_parse(&t, S(b)), 1);
		T_SPAN(t.message_class, "IPM.Microsoft Mail.Note");
		T_SPAN(t.field[MF_TXH_SUBJECT], "Q3 budget figures for the branch offices (draft v2)");
		T_SPAN(t.field[MF_TXH_MESSAGE_ID], "4F2A91C0");
		T_SPAN(t.field[MF_TXH_PARENT_ID], "935DA930113BD111820200C04FC9A530");
		T_SPAN(t.field[MF_TXH_CONVERSATION_ID], "4F2A91C0");
		T_SPAN(t.field[MF_TXH_FROM], "Ellen Ramirez");
		T_SPAN(t.field[MF_TXH_DATE], "1995-03-14 09:05");
		T_EQ_INT(t.header_len, strstr(b, "J\x81rgen,") - b);
	}
	{
		static const char b[] =
			"Microsoft Mail v3.0 IPM.Microsoft Mail.Note\n"
			"Von: Administrator\n"
			"An:  Postmaster\n"
			"Betreff:  AW: Huge message header\n"
			"Datum: 1994-08-08 09:03\n"
			"Priorit\x84t:\n"
			"Nachrichten-ID: C7F3A747\n"
			"\x9A" "bergeordnete Nachrichten-ID: 11112222\n"
			"Conversation ID: C7F3A747\n"
			"\n"
			"Hallo\n";
		T_EQ_INT(mf_textized_parse(&t, S(b)), 1);
		T_SPAN(t.field[MF_TXH_SUBJECT], "AW: Huge message header");
		T_SPAN(t.field[MF_TXH_MESSAGE_ID], "C7F3A747");
		T_SPAN(t.field[MF_TXH_PARENT_ID], "11112222");
		T_SPAN(t.field[MF_TXH_CONVERSATION_ID], "C7F3A747");
		T_SPAN(t.field[MF_TXH_FROM], "Administrator");
		T_ASSERT(t.field[MF_TXH_PRIORITY].p != NULL);
	}
	{
		static const char b[] =
			"Microsoft Mail v3.0 IPM.Microsoft Mail.Read Receipt\r\n"
			"De:  John DOE (local)\r\n"
			"Date d'envoi: 1995-04-26 17:26\r\n"
			"A:   Administrator\r\n"
			"Objet:  Accus\x82 de r\x82" "ception: John DOE\r\n"
			"Identification du message: 016FA408\r\n"
			"ID de la conversation: 016FA408\r\n"
			"Ayant pour titre: return receipt\r\n"
			"Niveau de priorit\x82: C\r\n"
			"\r\n";
		T_EQ_INT(mf_textized_parse(&t, S(b)), 1);
		T_SPAN(t.message_class, "IPM.Microsoft Mail.Read Receipt");
		T_SPAN(t.field[MF_TXH_SUBJECT], "Accus\x82 de r\x82" "ception: John DOE");
		T_SPAN(t.field[MF_TXH_MESSAGE_ID], "016FA408");
		T_SPAN(t.field[MF_TXH_CONVERSATION_ID], "016FA408");
		T_SPAN(t.field[MF_TXH_DATE], "1995-04-26 17:26");
		T_SPAN(t.field[MF_TXH_PRIORITY], "C");
		T_EQ_INT(t.n_other, 1);
		T_EQ_INT(t.header_len, sizeof(b) - 1);
	}
	{
		static const char b[] =
			"Microsoft Mail v3.0 IPM.Microsoft Mail.Note\r\n"
			"De:  test\r\n"
			"Para: Administrator\r\n"
			"Asunto:  spanish version to english version\r\n"
			"Fecha: 1994-03-10 13:05\r\n"
			"Prioridad:\r\n"
			"Ident. del mensaje: DE0CFCA6\r\n"
			"Ident. del Mensaje principal: B4A878C0\r\n"
			"Ident. de la conversaci\xA2n: B4A878C0\r\n"
			"\r\n"
			"Hola\r\n";
		T_EQ_INT(mf_textized_parse(&t, S(b)), 1);
		T_SPAN(t.field[MF_TXH_SUBJECT], "spanish version to english version");
		T_SPAN(t.field[MF_TXH_MESSAGE_ID], "DE0CFCA6");
		T_SPAN(t.field[MF_TXH_PARENT_ID], "B4A878C0");
		T_SPAN(t.field[MF_TXH_CONVERSATION_ID], "B4A878C0");
		T_SPAN(t.field[MF_TXH_DATE], "1994-03-10 13:05");
	}
	/* not a header: other first line, or never closed by a blank line */
	T_EQ_INT(mf_textized_parse(&t, S("Hello\r\n\r\n")), 0);
	T_EQ_INT(mf_textized_parse(&t, S("Microsoft Mail v3.0 IPM.Note\r\nSubject: x\r\n")), 0);
	T_EQ_INT(mf_textized_parse(&t, S("Microsoft Mail v3.0\r\n\r\n")), 0);
}

/* ---- directory files ---- */

static void manifest(void)
{
	struct mf_msmx m;
	struct probs pr = { 0 };
	static const char ok[] =
		"# bundle\r\nmsmx-version=1\r\nNetwork = ACMENET\r\npostoffice=HQPO   # our PO\r\n"
		"timezone=America/New_York\r\nmmff-newline=lf\r\nexported-by=ADMIN\r\n"
		"tool.import=3.2.18\r\nfrobnicate=yes\r\n";
	T_EQ_INT(mf_msmx_parse(&m, ok, sizeof(ok) - 1, collect, &pr), MF_OK);
	T_EQ_STR(m.network, "ACMENET");
	T_EQ_STR(m.postoffice, "HQPO");
	T_EQ_STR(m.timezone, "America/New_York");
	T_EQ_STR(m.source_codepage, "850");
	T_EQ_STR(m.windows_codepage, "1252");
	T_EQ_STR(m.newline, "LF");
	T_EQ_INT(pr.n, 1);
	T_ASSERT(has_code(&pr, "msmail.manifest-unknown-key"));
	pr.n = 0;
	T_EQ_INT(mf_msmx_parse(&m, "network=A\npostoffice=B\n", 22, collect, &pr), MF_EFORMAT);
	T_ASSERT(has_code(&pr, "msmail.manifest-missing"));
	T_EQ_INT(mf_msmx_parse(&m, "msmx-version=2\nnetwork=A\npostoffice=B\n", 37, collect, &pr),
		 MF_EFORMAT);
	T_ASSERT(has_code(&pr, "msmail.manifest-version"));
}

static void csv_and_users(void)
{
	static const char in[] =
		"\xEF\xBB\xBF" "full_name,mailbox,deleted,mail_dir,calendar\r\n"
		"\"Ramirez, Ellen\",ERAMIREZ,0,mail/ERAMIREZ,calendar/ERAMIREZ/export.sc2\r\n"
		"\"Say \"\"hi\"\"\nnext line\",JWEISS,,,\r\n"
		"\r\n"
		"Old User,OLDUSER,1,mail/OLDUSER,\n"
		",,0,,\n"
		"\"never closed,X,0\n";
	struct mf_msusers u;
	struct mf_msuser r;
	struct probs pr = { 0 };

	mf_msusers_init(&u, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(mf_msusers_next(&u, &r), MF_OK);
	T_EQ_STR(r.mailbox, "ERAMIREZ");
	T_EQ_STR(r.full_name, "Ramirez, Ellen");
	T_EQ_INT(r.deleted, 0);
	T_EQ_STR(r.mail_dir, "mail/ERAMIREZ");
	T_EQ_STR(r.calendar, "calendar/ERAMIREZ/export.sc2");
	T_EQ_INT(mf_msusers_next(&u, &r), MF_OK);
	T_EQ_STR(r.full_name, "Say \"hi\"\nnext line");
	T_EQ_STR(r.mail_dir, "");
	T_EQ_INT(mf_msusers_next(&u, &r), MF_OK);
	T_EQ_STR(r.mailbox, "OLDUSER");
	T_EQ_INT(r.deleted, 1);
	T_EQ_INT(mf_msusers_next(&u, &r), MF_DONE);
	T_ASSERT(has_code(&pr, "msmail.users-value"));   /* the row without a mailbox */
	T_ASSERT(has_code(&pr, "msmail.csv-damaged"));   /* the unclosed quote */
	mf_msusers_release(&u);

	pr.n = 0;
	mf_msusers_init(&u, "name,dir\nx,y\n", 13, collect, &pr);
	T_EQ_INT(mf_msusers_next(&u, &r), MF_EFORMAT);
	T_ASSERT(has_code(&pr, "msmail.users-header"));
	mf_msusers_release(&u);
}

static void dir_lines(void)
{
	static const char in[] =
		"A Ellen Ramirez                  PCM:ACMENET/HQPO/ERAMIREZ\r\n"
		"- City//ST//Zip:/Springfield\r\n"
		"- Phone:/555-0100\r\n"
		"A\tJ\x81rgen Wei\xE1\tPCM:ACMENET/HQPO/JWEISS\r\n"
		"\r\n"
		"A A name that is much longer than thirty characters PCM:ACMENET/BR1/LONG\r\n"
		"A Order Desk\tSMTP:orders@example.com\r\n"
		"# comment\r\n"
		"G Sales Team                     PCM:ACMENET/HQPO/SALES\r\n";
	struct mf_msdir d;
	struct mf_msdir_line l;

	mf_msdir_init(&d, in, sizeof(in) - 1, NULL, NULL);
	T_EQ_INT(mf_msdir_next(&d, &l), MF_OK);
	T_EQ_INT(l.code, 'A');
	T_SPAN(l.name, "Ellen Ramirez");
	T_SPAN(l.address, "PCM:ACMENET/HQPO/ERAMIREZ");
	T_EQ_INT(l.layout, MF_MSDIR_FIXED);
	T_SPAN(l.templ, "- City//ST//Zip:/Springfield\r\n- Phone:/555-0100");
	T_EQ_INT(l.offset, 0);
	T_EQ_INT(mf_msdir_next(&d, &l), MF_OK);
	T_SPAN(l.name, "J\x81rgen Wei\xE1");
	T_SPAN(l.address, "PCM:ACMENET/HQPO/JWEISS");
	T_EQ_INT(l.layout, MF_MSDIR_TABS);
	T_EQ_INT(mf_msdir_next(&d, &l), MF_OK);
	T_SPAN(l.name, "A name that is much longer than thirty characters");
	T_SPAN(l.address, "PCM:ACMENET/BR1/LONG");
	T_EQ_INT(l.layout, MF_MSDIR_GUESSED);
	T_EQ_INT(mf_msdir_next(&d, &l), MF_OK);
	T_SPAN(l.name, "Order Desk");
	T_SPAN(l.address, "SMTP:orders@example.com");
	T_EQ_INT(mf_msdir_next(&d, &l), MF_OK);
	T_EQ_INT(l.code, '#');
	T_EQ_INT(mf_msdir_next(&d, &l), MF_OK);
	T_EQ_INT(l.code, 'G');
	T_SPAN(l.name, "Sales Team");
	T_EQ_INT(mf_msdir_next(&d, &l), MF_DONE);
}

/* ---- Schedule+ ---- */

static const struct mf_cal_opts *cal_opts(const char *tz, struct probs *pr)
{
	static struct mf_cal_opts o;
	memset(&o, 0, sizeof(o));
	o.tzid = tz;
	o.owner = "MS:ACMENET/HQPO/ERAMIREZ";
	o.dtstamp = 812764800; /* 1995-10-04 */
	o.problem = collect;
	o.pctx = pr;
	return &o;
}

/* Parse one .sc2 text and convert its first object. */
static int sc2_one(struct mf_cal_result *res, struct mf_arena *a, const char *text,
		   const char *tz, struct probs *pr)
{
	struct mf_sc2 p;
	const struct mf_sc2_obj *o;
	int rc;
	mf_sc2_init(&p, text, strlen(text), collect, pr);
	rc = mf_sc2_next(&p, &o);
	if (rc == MF_OK)
		rc = mf_sc2_convert(res, o, cal_opts(tz, pr), a);
	mf_sc2_release(&p);
	return rc;
}

/* The first component of ical parsed back by libical. */
static icalcomponent *reparse(const char *ical)
{
	char *wrapped = mf_xasprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n%s"
				     "END:VCALENDAR\r\n", ical);
	icalcomponent *c = icalparser_parse_string(wrapped);
	free(wrapped);
	return c;
}

static char *rrule_of(icalcomponent *cal)
{
	icalcomponent *c = icalcomponent_get_first_real_component(cal);
	icalproperty *p = c ? icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY) : NULL;
	struct icalrecurrencetype r;
	if (!p)
		return mf_xstrdup("(none)");
	r = icalproperty_get_rrule(p);
	return icalrecurrencetype_as_string_r(&r);
}

static const char *dtstart_of(icalcomponent *cal, char buf[64])
{
	icalcomponent *c = icalcomponent_get_first_real_component(cal);
	icalproperty *p = icalcomponent_get_first_property(c, ICAL_DTSTART_PROPERTY);
	icalparameter *tz = p ? icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER) : NULL;
	struct icaltimetype t = icalproperty_get_dtstart(p);
	char *s = icaltime_as_ical_string_r(t);
	snprintf(buf, 64, "%s%s%s", tz ? icalparameter_get_tzid(tz) : "", tz ? ":" : "", s);
	free(s);
	return buf;
}

/* Each recurrence kind round-trips through libical's parser with the
 * expected RRULE and first occurrence (contract 6 table). */
static void sc2_recurrence_kinds(void)
{
	static const struct {
		const char *props;     /* recurrence properties */
		const char *rrule;     /* as libical prints it back */
		const char *dtstart;
	} cases[] = {
		{ "RecurringType: 64\r\n   DayInterval: 2\r\n",
		  "FREQ=DAILY;UNTIL=19950701T035959Z;INTERVAL=2", "America/New_York:19950305T090000" },
		{ "RecurringType: 48\r\n   WeekInterval: 1\r\n   DayOfWeekMask: 42\r\n   DayOfWeekStart: 0\r\n",
		  "FREQ=WEEKLY;UNTIL=19950701T035959Z;BYDAY=MO,WE,FR;WKST=SU", "America/New_York:19950306T090000" },
		{ "RecurringType: 48\r\n   WeekInterval: 2\r\n   DayOfWeekMask: 4\r\n",
		  "FREQ=WEEKLY;UNTIL=19950701T035959Z;INTERVAL=2;BYDAY=TU", "America/New_York:19950314T090000" },
		{ "RecurringType: 12\r\n   MonthInterval: 1\r\n   DayOfMonth: 15\r\n",
		  "FREQ=MONTHLY;UNTIL=19950701T035959Z;BYMONTHDAY=15", "America/New_York:19950315T090000" },
		{ "RecurringType: 56\r\n   MonthInterval: 1\r\n   DayOfWeekMask: 2\r\n   WeekOfMonth: 5\r\n",
		  "FREQ=MONTHLY;UNTIL=19950701T035959Z;BYDAY=MO;BYSETPOS=-1", "America/New_York:19950327T090000" },
		{ "RecurringType: 56\r\n   MonthInterval: 2\r\n   DayOfWeekMask: 62\r\n   WeekOfMonth: 1\r\n",
		  "FREQ=MONTHLY;UNTIL=19950701T035959Z;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
		  "America/New_York:19950501T090000" },
		{ "RecurringType: 7\r\n   MonthOfYear: 4\r\n   DayOfMonth: 1\r\n",
		  "FREQ=YEARLY;UNTIL=19950701T035959Z;BYMONTHDAY=1;BYMONTH=4", "America/New_York:19950401T090000" },
		{ "RecurringType: 51\r\n   MonthOfYear: 5\r\n   DayOfWeekMask: 16\r\n   WeekOfMonth: 2\r\n",
		  "FREQ=YEARLY;UNTIL=19950701T035959Z;BYDAY=TH;BYMONTH=5;BYSETPOS=2",
		  "America/New_York:19950511T090000" },
	};
	for (size_t i = 0; i < MF_ARRAY_LEN(cases); i++) {
		struct mf_arena a = MF_ARENA_INIT;
		struct mf_cal_result res;
		struct probs pr = { 0 };
		icalcomponent *cal;
		char *text, *rr, buf[64];

		text = mf_xasprintf("SCHEDULE+2 EXPORT VERSION 103\r\nRecurringAppointments:\r\n{\r\n"
				    "   StartRecurringDate: 03-05-1995\r\n   EndRecurringDate: 06-30-1995\r\n"
				    "   StartRecurringTime: 09:00\r\n   EndRecurringTime: 10:30\r\n"
				    "   %s   Text: \"Series %zu\"\r\n}\r\n", cases[i].props, i);
		T_EQ_INT(sc2_one(&res, &a, text, "America/New_York", &pr), MF_OK);
		T_EQ_INT(res.what, MF_CAL_ITEM);
		T_EQ_STR(res.item.kind, "event");
		T_EQ_INT(res.item.recurring, 1);
		cal = reparse(res.item.ical);
		T_ASSERT(cal != NULL);
		if (cal) {
			rr = rrule_of(cal);
			T_EQ_STR(rr, cases[i].rrule);
			T_EQ_STR(dtstart_of(cal, buf), cases[i].dtstart);
			free(rr);
			icalcomponent_free(cal);
		}
		T_EQ_INT(pr.n, 0);
		free(text);
		mf_arena_release(&a);
	}
}

static const char sc2_sample[] =
	"SCHEDULE+2 EXPORT VERSION 103\r\n"
	"SingleAppointments:\r\n"
	"{\r\n"
	"   Start: 03-14-1995 09:00\r\n"
	"   End: 03-14-1995 10:00\r\n"
	"   Ring: T\r\n"
	"   AlarmAmount: 15\r\n"
	"   AlarmTypeUnit: 0\r\n"
	"   BusyType: 0\r\n"
	"   Private: T\r\n"
	"   Text: \"Budget review with \\\"HQ\\\"\"\r\n"
	"   Notes: \"Bring Q3 figures\\\r\n"
	"\\\r\n"
	"and the \\\r\n"
	"draft\"\r\n"
	"   Colour: 3\r\n"
	"}\r\n"
	"RecurringAppointments:\r\n"
	"{\r\n"
	"   StartRecurringDate: 03-06-1995\r\n"
	"   EndRecurringDate: 12-31-1995\r\n"
	"   StartRecurringTime: 10:00\r\n"
	"   EndRecurringTime: 11:00\r\n"
	"   RecurringType: 48\r\n"
	"   WeekInterval: 1\r\n"
	"   DayOfWeekMask: 2\r\n"
	"   Text: \"Staff meeting\"\r\n"
	"   Exceptions:\r\n"
	"   {\r\n"
	"      InstanceDate: 03-20-1995\r\n"
	"      Deleted: T\r\n"
	"   }\r\n"
	"   Exceptions:\r\n"
	"   {\r\n"
	"      InstanceDate: 03-27-1995\r\n"
	"      Start: 03-28-1995 14:00\r\n"
	"      End: 03-28-1995 15:00\r\n"
	"      Text: \"Staff meeting (moved)\"\r\n"
	"   }\r\n"
	"}\r\n"
	"SingleEvents:\r\n"
	"{\r\n"
	"   StartDate: 04-03-1995\r\n"
	"   EndDate: 04-05-1995\r\n"
	"   Text: \"Trade fair\"\r\n"
	"}\r\n"
	"SingleTasks:\r\n"
	"{\r\n"
	"   StartDate: 03-01-1995\r\n"
	"   EndDate: 03-31-1995\r\n"
	"   Priority: 8243\r\n"
	"   Completed: T\r\n"
	"   Text: \"File expense report\"\r\n"
	"}\r\n"
	"Contacts:\r\n"
	"{\r\n"
	"   FirstName: \"Ray\"\r\n"
	"   LastName: \"Osaka\"\r\n"
	"   Company: \"Acme Branch 1\"\r\n"
	"   BusinessPhone: \"555-0101\"\r\n"
	"   EmailAddress: \"ray@example.com\"\r\n"
	"}\r\n";

static void sc2_objects(void)
{
	struct mf_sc2 p;
	const struct mf_sc2_obj *o;
	struct probs pr = { 0 };
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_cal_result res;
	icalcomponent *cal, *c;
	const char *notes;

	mf_sc2_init(&p, sc2_sample, sizeof(sc2_sample) - 1, collect, &pr);
	/* a single appointment: alarm, tentative, private, continued notes */
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_SPAN(o->type, "SingleAppointments");
	T_EQ_INT(o->offset, strstr(sc2_sample, "SingleAppointments:") - sc2_sample);
	T_ASSERT(o->raw.len > 0 && o->raw.p[o->raw.len - 1] == '\n');
	T_ASSERT(memcmp(o->raw.p, "SingleAppointments:\r\n{", 22) == 0);
	T_EQ_STR(mf_sc2_prop(o, "Text")->value, "Budget review with \"HQ\"");
	notes = mf_sc2_prop(o, "Notes")->value;
	T_EQ_STR(notes, "Bring Q3 figures\nand the draft");
	T_EQ_INT(mf_sc2_convert(&res, o, cal_opts("America/New_York", &pr), &a), MF_OK);
	T_EQ_STR(res.item.kind, "event");
	T_EQ_STR(res.item.summary, "Budget review with \"HQ\"");
	T_EQ_STR(res.item.source_type, "SingleAppointments");
	T_EQ_INT(res.item.dtstart_utc, 795189600); /* 1995-03-14 14:00 UTC */
	T_ASSERT(strstr(res.item.ical, "DTSTART;TZID=America/New_York:19950314T090000\r\n"));
	T_ASSERT(strstr(res.item.ical, "DTEND;TZID=America/New_York:19950314T100000\r\n"));
	T_ASSERT(strstr(res.item.ical, "CLASS:PRIVATE\r\n"));
	T_ASSERT(strstr(res.item.ical, "TRANSP:TRANSPARENT\r\n"));
	T_ASSERT(strstr(res.item.ical, "STATUS:TENTATIVE\r\n"));
	T_ASSERT(strstr(res.item.ical, "BEGIN:VALARM\r\n"));
	T_ASSERT(strstr(res.item.ical, "TRIGGER:-PT15M\r\n"));
	T_ASSERT(strstr(res.item.ical, "X-SCHEDPLUS-COLOUR:3\r\n"));
	T_ASSERT(has_code(&pr, "msmail.sc2-unknown-property"));
	cal = reparse(res.item.ical);
	T_ASSERT(cal != NULL);
	if (cal) {
		c = icalcomponent_get_first_real_component(cal);
		T_EQ_STR(icalcomponent_get_description(c), "Bring Q3 figures\nand the draft");
		icalcomponent_free(cal);
	}

	/* a weekly series with a deleted and a moved instance */
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_EQ_INT(o->n_children, 2);
	T_EQ_INT(mf_sc2_convert(&res, o, cal_opts("America/New_York", &pr), &a), MF_OK);
	T_EQ_INT(res.n_exdates, 1);
	T_EQ_INT(res.n_overrides, 1);
	T_ASSERT(strstr(res.item.ical, "EXDATE;TZID=America/New_York:19950320T100000\r\n"));
	T_ASSERT(strstr(res.item.ical, "RECURRENCE-ID;TZID=America/New_York:19950327T100000\r\n"));
	T_ASSERT(strstr(res.item.ical, "DTSTART;TZID=America/New_York:19950328T140000\r\n"));
	T_ASSERT(strstr(res.item.ical, "SUMMARY:Staff meeting (moved)\r\n"));
	cal = reparse(res.item.ical);
	T_ASSERT(cal != NULL);
	if (cal) {
		int n = 0;
		for (c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); c;
		     c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
			n++;
		T_EQ_INT(n, 2);
		icalcomponent_free(cal);
	}

	/* an all-day event: EndDate inclusive */
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_EQ_INT(mf_sc2_convert(&res, o, cal_opts("America/New_York", &pr), &a), MF_OK);
	T_ASSERT(strstr(res.item.ical, "DTSTART;VALUE=DATE:19950403\r\n"));
	T_ASSERT(strstr(res.item.ical, "DTEND;VALUE=DATE:19950406\r\n"));

	/* a task: VTODO with PRIORITY from the two-byte code, DUE, completed */
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_EQ_INT(mf_sc2_convert(&res, o, cal_opts("America/New_York", &pr), &a), MF_OK);
	T_EQ_STR(res.item.kind, "todo");
	T_ASSERT(strstr(res.item.ical, "BEGIN:VTODO\r\n"));
	T_ASSERT(strstr(res.item.ical, "PRIORITY:3\r\n"));
	T_ASSERT(strstr(res.item.ical, "DUE;VALUE=DATE:19950331\r\n"));
	T_ASSERT(strstr(res.item.ical, "STATUS:COMPLETED\r\n"));

	/* a contact: the personal address book */
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_EQ_INT(mf_sc2_convert(&res, o, cal_opts("America/New_York", &pr), &a), MF_OK);
	T_EQ_INT(res.what, MF_CAL_CONTACT);
	T_EQ_STR(res.pab.display_name, "Ray Osaka");
	T_EQ_STR(res.pab.field[MF_PAB_COMPANY], "Acme Branch 1");
	T_EQ_STR(res.pab.field[MF_PAB_BUS_NUM], "555-0101");
	T_EQ_STR(res.pab.address_type, "SMTP");
	T_EQ_STR(res.pab.address, "ray@example.com");
	T_EQ_INT(mf_sc2_next(&p, &o), MF_DONE);
	mf_sc2_release(&p);
	mf_arena_release(&a);
}

static void sc2_damage_and_utc(void)
{
	static const char in[] =
		"SingleAppointments:\r\n{\r\n   Start: 03-14-1995 09:00\r\n"   /* never closed */
		"SingleEvents:\r\n{\r\n   StartDate: 05-01-1995\r\n   Text: \"May Day\"\r\n}\r\n"
		"{\r\n   StartDate: 05-08-1995\r\n}\r\n";                        /* same type again */
	struct mf_sc2 p;
	const struct mf_sc2_obj *o;
	struct probs pr = { 0 };
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_cal_result res;

	mf_sc2_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_ASSERT(has_code(&pr, "msmail.sc2-header"));
	T_EQ_INT(mf_sc2_next(&p, &o), MF_SKIP);
	T_ASSERT(has_code(&pr, "msmail.sc2-damaged"));
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_SPAN(o->type, "SingleEvents");
	T_EQ_INT(mf_sc2_next(&p, &o), MF_OK);
	T_SPAN(o->type, "SingleEvents");
	T_EQ_INT(mf_sc2_next(&p, &o), MF_DONE);
	mf_sc2_release(&p);

	/* a UTC bundle writes UTC times */
	pr.n = 0;
	T_EQ_INT(sc2_one(&res, &a, "SCHEDULE+2 EXPORT VERSION 103\r\nSingleAppointments:\r\n{\r\n"
			 "   Start: 03-14-1995 09:00\r\n   End: 03-14-1995 09:30\r\n}\r\n", "UTC", &pr),
		 MF_OK);
	T_ASSERT(strstr(res.item.ical, "DTSTART:19950314T090000Z\r\n"));
	T_EQ_STR(res.item.timezone, "UTC");
	T_EQ_INT(res.item.dtstart_utc, 795171600);
	mf_arena_release(&a);
}

static void sc2_priority_codes(void)
{
	T_EQ_INT(mf_sc2_priority(8243), 3);       /* 0x2033 "3" */
	T_EQ_INT(mf_sc2_priority(17184), 9);      /* 0x4320 "C" */
	T_EQ_INT(mf_sc2_priority(16691), 9);      /* 0x4133 "A3" */
	T_EQ_INT(mf_sc2_priority(5), 5);
	T_EQ_INT(mf_sc2_priority(70000), 0);
}

static void sch_items(void)
{
	static const char in[] =
		"SCHEDULE+ EXPORT BY ERAMIREZ ON 3/14/95 AT 9:05 AM\r\n"
		"FixedAppt:\r\n"
		"\taid\t1\r\n"
		"\tszText\r\n"
		"Budget 1996\r\n"
		"\tfTask\tT\r\n"
		"\taidProject\t1\r\n"
		"End\r\n"
		"FixedAppt:\r\n"
		"\tszText\r\n"
		"Collect branch figures\r\n"
		"\taaplWorld\tRead\r\n"
		"\tfTask\tT\r\n"
		"\tbpri\t3\r\n"
		"\taidParent\t1\r\n"
		"End\r\n"
		"FixedAppt:\r\n"
		"\tszText\r\n"
		"Staff meeting\r\n"
		"\twgrfValidMonths\tTTTTTTTTTTTT\r\n"
		"\tbgrfValidDows\tFTFTFTF\r\n"
		"\ttrecur\tWeek FF 0\r\n"
		"\tdateStart\t3/6/95 10:00\r\n"
		"End\r\n";
	struct mf_sch p;
	const struct mf_sch_item *it;
	struct probs pr = { 0 };
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_cal_result res;
	struct mf_sch_state st;
	char project_uid[80];

	memset(&st, 0, sizeof(st));
	mf_sch_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_SPAN(p.owner, "ERAMIREZ");
	T_EQ_INT(mf_sch_next(&p, &it), MF_OK);
	T_SPAN(it->keyword, "FixedAppt");
	T_EQ_INT(it->n_fields, 4);
	T_EQ_STR(it->fields[1].value, "Budget 1996");
	T_EQ_INT(mf_sch_convert(&res, it, &st, cal_opts("Europe/Berlin", &pr), &a), MF_OK);
	T_EQ_STR(res.item.kind, "todo");
	T_EQ_STR(res.item.summary, "Budget 1996");
	snprintf(project_uid, sizeof(project_uid), "%s", res.item.uid);
	T_EQ_INT(mf_sch_next(&p, &it), MF_OK);
	T_EQ_INT(mf_sch_convert(&res, it, &st, cal_opts("Europe/Berlin", &pr), &a), MF_OK);
	T_ASSERT(strstr(res.item.ical, "PRIORITY:3\r\n"));
	T_ASSERT(strstr(res.item.ical, "CLASS:PRIVATE\r\n"));
	T_ASSERT(strstr(res.item.ical, project_uid));
	T_EQ_INT(pr.n, 0);
	T_EQ_INT(mf_sch_next(&p, &it), MF_OK);
	T_EQ_INT(mf_sch_convert(&res, it, &st, cal_opts("Europe/Berlin", &pr), &a), MF_OK);
	T_EQ_STR(res.item.kind, "journal");
	T_ASSERT(strstr(res.item.ical, "X-SCHEDPLUS-RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR\r\n"));
	T_ASSERT(strstr(res.item.ical, "X-SCHEDPLUS-DATESTART:3/6/95 10:00\r\n"));
	T_ASSERT(has_code(&pr, "msmail.sch-unknown-field"));
	T_ASSERT(has_code(&pr, "msmail.sch-undated"));
	T_EQ_INT((int)res.item.raw_len, (int)(sizeof(in) - 1 - (strstr(in, "FixedAppt:\r\n\tszText\r\nStaff") - in)));
	T_EQ_INT(mf_sch_next(&p, &it), MF_DONE);
	mf_sch_release(&p);
	mf_arena_release(&a);
}

static void sch_recurrence(void)
{
	static const struct { const char *trecur, *months, *dows, *rule; } cases[] = {
		{ "Week FF 0", NULL, "TTTTTTT", "FREQ=DAILY" },
		{ "Week FF 0", NULL, "FTTTTTF", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" },
		{ "Week TF 0", NULL, "FTFFFFF", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO" },
		{ "IWeek FFFFT 0", "TTTTTTTTTTTT", "FTFFFFF", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1" },
		{ "IWeek TFFFF 0", "FFFFFFFFFTFF", "FFFFTFF", "FREQ=YEARLY;BYMONTH=10;BYDAY=TH;BYSETPOS=1" },
		{ "Date 15", "TTTTTTTTTTTT", NULL, "FREQ=MONTHLY;BYMONTHDAY=15" },
		{ "Date 1", "FFFTFFFFFFFF", NULL, "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=1" },
	};
	char out[256];
	const char *why;
	for (size_t i = 0; i < MF_ARRAY_LEN(cases); i++) {
		T_EQ_INT(mf_sch_rrule(out, sizeof(out), cases[i].trecur, cases[i].months, cases[i].dows,
				      &why), MF_OK);
		T_EQ_STR(out, cases[i].rule);
	}
	T_EQ_INT(mf_sch_rrule(out, sizeof(out), "Date 31", "FFFTFFFFFFFF", NULL, &why), MF_EFORMAT);
	T_EQ_INT(mf_sch_rrule(out, sizeof(out), "Fortnight", NULL, NULL, &why), MF_EFORMAT);
}


/* ---- whole bundles into a real staging store ---- */

/* Text of a column value for the dumps: control bytes escaped, long values
 * cut. */
static void esc(struct mf_buf *b, const unsigned char *p, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = p[i];
		if (c == '\\')
			mf_buf_addstr(b, "\\\\");
		else if (c == '\r')
			mf_buf_addstr(b, "\\r");
		else if (c == '\n')
			mf_buf_addstr(b, "\\n");
		else if (c < 0x20 || c == 0x7F)
			mf_buf_addf(b, "\\x%02x", c);
		else
			mf_buf_addch(b, c);
	}
	if (n > max)
		mf_buf_addf(b, "...(%zu bytes)", n);
}

static void dump(struct mf_buf *b, sqlite3 *db, const char *title, const char *sql, size_t max)
{
	sqlite3_stmt *q;
	mf_buf_addf(b, "== %s\n", title);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "prepare: %s: %s", sqlite3_errmsg(db), sql);
		return;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(q); i++) {
			if (i)
				mf_buf_addstr(b, " | ");
			if (sqlite3_column_type(q, i) == SQLITE_NULL)
				mf_buf_addstr(b, "-");
			else
				esc(b, sqlite3_column_text(q, i), (size_t)sqlite3_column_bytes(q, i), max);
		}
		mf_buf_addch(b, '\n');
	}
	sqlite3_finalize(q);
}

/* Everything an MS Mail import stages, as text. */
static void dump_all(struct mf_buf *b, struct mf_store *st)
{
	sqlite3 *db = mf_store_db(st);
	dump(b, db, "sources", "SELECT format, network, postoffice, codepage, calendar_codepage, "
	     "timezone, db_version, exported_at, length(manifest) FROM sources ORDER BY id", 200);
	dump(b, db, "files", "SELECT role, path, size, codepage, (SELECT name FROM mailboxes WHERE "
	     "id = f.mailbox_id), state, messages, skipped FROM source_files f ORDER BY id", 200);
	dump(b, db, "postoffices", "SELECT name, network, kind, address_type FROM postoffices "
	     "ORDER BY id", 200);
	dump(b, db, "mailboxes", "SELECT m.name, m.alias, m.display_name, m.given_name, m.surname, "
	     "m.address_type, m.source_address, m.deleted, m.in_directory, m.comments, s.mail_skipped, "
	     "s.reason, (SELECT path FROM source_files WHERE id = s.mail_file_id) FROM mailboxes m "
	     "JOIN mail_sections s ON s.mailbox_id = m.id ORDER BY m.id", 200);
	dump(b, db, "directory", "SELECT kind, name, display_name, given_name, surname, address_type, "
	     "address, postoffice, location, comments, (SELECT name FROM mailboxes WHERE id = "
	     "e.mailbox_id), (SELECT path FROM source_files WHERE id = e.src_file_id), src_offset, raw "
	     "FROM dir_entries e ORDER BY id", 200);
	dump(b, db, "list members", "SELECT l.name, m.position, m.address, e.name FROM list_members m "
	     "JOIN dir_entries l ON l.id = m.list_id LEFT JOIN dir_entries e ON e.id = m.entry_id "
	     "ORDER BY l.id, m.position", 200);
	dump(b, db, "folders", "SELECT (SELECT name FROM mailboxes WHERE id = f.mailbox_id), path, "
	     "source_name, special FROM folders f ORDER BY id", 200);
	dump(b, db, "messages", "SELECT (SELECT path FROM source_files WHERE id = g.src_file_id), "
	     "g.src_offset, g.src_length, (SELECT path FROM folders WHERE id = g.folder_id), "
	     "g.sender_raw, g.sender_name, g.sender_type, g.sender_address, "
	     "(SELECT name FROM dir_entries WHERE id = g.sender_entry_id), g.subject, g.date_raw, "
	     "strftime('%Y-%m-%dT%H:%M:%SZ', g.sent_utc, 'unixepoch'), g.received_utc, g.timezone, "
	     "g.charset, g.unread, g.priority, g.receipt_requested, g.is_receipt, g.message_class, "
	     "g.message_id, g.conversation_id, g.parent_message_id, g.size, substr(g.src_sha256, 1, 12), "
	     "g.raw_header FROM messages g ORDER BY g.src_file_id, g.src_offset", 2000);
	dump(b, db, "recipients", "SELECT g.src_offset, r.role, r.position, r.raw, r.display_name, "
	     "r.address_type, r.address, (SELECT kind || ':' || name FROM dir_entries WHERE id = "
	     "r.entry_id) FROM recipients r JOIN messages g ON g.id = r.message_id "
	     "ORDER BY g.src_file_id, g.src_offset, r.role, r.position", 200);
	dump(b, db, "bodies", "SELECT g.src_offset, p.position, p.kind, p.size, substr(p.sha256, 1, 12), "
	     "p.replacements, p.raw IS NOT NULL, p.src_offset, p.text FROM body_parts p JOIN messages g "
	     "ON g.id = p.message_id ORDER BY g.src_file_id, g.src_offset, p.position", 2000);
	dump(b, db, "attachments", "SELECT g.src_offset, a.position, a.kind, a.name, a.title, a.size, "
	     "substr(a.sha256, 1, 12), a.src_offset, quote(substr(a.data, 1, 16)) FROM attachments a "
	     "JOIN messages g ON g.id = a.message_id ORDER BY g.src_file_id, g.src_offset, a.position", 200);
	dump(b, db, "calendar", "SELECT (SELECT name FROM mailboxes WHERE id = c.mailbox_id), "
	     "c.src_offset, c.kind, c.uid, c.summary, strftime('%Y-%m-%dT%H:%M:%SZ', c.dtstart_utc, "
	     "'unixepoch'), c.timezone, c.recurring, c.source_type, length(c.raw), c.ical "
	     "FROM calendar_items c ORDER BY c.mailbox_id, c.src_offset", 4000);
	dump(b, db, "address books", "SELECT (SELECT name FROM mailboxes WHERE id = p.mailbox_id), "
	     "p.position, p.kind, p.display_name, p.address_type, p.address, p.first_name, p.last_name, "
	     "p.title, p.company, p.bus_num, p.note, p.src_offset, length(p.raw) FROM pab_entries p "
	     "ORDER BY p.mailbox_id, p.position", 200);
	dump(b, db, "problems", "SELECT severity, code, file, offset, (SELECT name FROM mailboxes "
	     "WHERE id = p.mailbox_id), (SELECT src_offset FROM messages WHERE id = p.message_id), item, "
	     "text FROM problems p ORDER BY file, offset, code, id", 400);
}

struct imp {
	struct mf_store *st;
	struct mf_import_stats stats;
	struct mf_diag d;
	int rc;
};

static void imp_open(struct imp *x, const char *name)
{
	char db[512];
	memset(x, 0, sizeof(*x));
	snprintf(db, sizeof(db), "%s/%s.db", t_tmpdir(), name);
	if (mf_store_open(&x->st, db, MF_STORE_CREATE, &x->d) != MF_OK)
		t_fail(__FILE__, __LINE__, "open %s: %s", db, x->d.msg);
}

static int imp_run(struct imp *x, const char *path, const struct mf_import_opts *opts)
{
	struct mf_import_opts o;
	int64_t run;
	memset(&o, 0, sizeof(o));
	if (opts)
		o = *opts;
	o.quiet = 1;
	memset(&x->stats, 0, sizeof(x->stats));
	mf_diag_clear(&x->d);
	mf_store_run_begin(x->st, &run, "import", "msmail", path, NULL, &x->d);
	mf_store_set_context(x->st, run, 0);
	x->rc = mf_importer_msmail.import(x->st, path, &o, &x->stats, &x->d);
	mf_store_rollback(x->st);
	return x->rc;
}

static int64_t q1(struct mf_store *st, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = -1;
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &q, NULL) != SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "prepare: %s", sql);
		return -1;
	}
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* q1 for a text value (copied into buf). */
static const char *qs(struct mf_store *st, const char *sql, char *buf, size_t cap)
{
	sqlite3_stmt *q;
	snprintf(buf, cap, "(none)");
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
		return buf;
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return buf;
}

/* Compare the dump with tests/fixtures/msmail/<name>.expected
 * (UPDATE_GOLDEN=1 rewrites it; review the diff). */
static void golden_compare(struct mf_store *st, const char *name)
{
	struct mf_buf b;
	char path[512];
	char *want = NULL;
	size_t want_len = 0;
	struct mf_diag d;

	snprintf(path, sizeof(path), "%s", t_srcpath("tests/fixtures/msmail/"));
	strncat(path, name, sizeof(path) - strlen(path) - 16);
	strcat(path, ".expected");
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	dump_all(&b, st);
	if (getenv("UPDATE_GOLDEN"))
		mf_write_atomic(path, b.data, b.len, 0644, 0, &d);
	if (mf_read_file(&want, &want_len, path, 16 << 20, &d) != MF_OK) {
		t_fail(__FILE__, __LINE__, "no %s (UPDATE_GOLDEN=1 writes it)", path);
	} else if (want_len != b.len || memcmp(want, b.data, b.len) != 0) {
		size_t i = 0, line = 1, ls = 0;
		while (i < b.len && i < want_len && want[i] == b.data[i]) {
			if (want[i] == '\n') {
				line++;
				ls = i + 1;
			}
			i++;
		}
		{
			const char *ge = memchr(b.data + ls, '\n', b.len - ls);
			const char *we = memchr(want + ls, '\n', want_len - ls);
			t_fail(__FILE__, __LINE__, "%s differs at line %zu:\n  want: %.*s\n  got:  %.*s", path,
			       line, (int)((we ? we : want + want_len) - (want + ls)), want + ls,
			       (int)((ge ? ge : b.data + b.len) - (b.data + ls)), b.data + ls);
		}
	}
	free(want);
	mf_buf_release(&b);
}

/* The sample bundle: everything staged, byte for byte. */
static void bundle_sample_golden(void)
{
	struct imp x;
	imp_open(&x, "sample");
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), NULL), MF_OK);
	T_EQ_INT(x.stats.mailboxes, 6);
	T_EQ_INT(x.stats.messages, 12);
	T_EQ_INT(x.stats.calendar_items, 15);
	golden_compare(x.st, "sample");
	mf_store_close(&x.st);
}

/* The contract's rules, one by one, on the sample. */
static void bundle_sample_rules(void)
{
	struct imp x;
	char b[512];
	imp_open(&x, "rules");
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), NULL), MF_OK);
	/* every mailbox to migrate, with its mail section; zero-message ones too */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM mailboxes"), 6);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM mail_sections"), 6);
	T_EQ_INT(q1(x.st, "SELECT mail_skipped FROM mail_sections JOIN mailboxes ON id = mailbox_id "
		     "WHERE name = 'ADMIN'"), 1);                     /* empty mail_dir */
	T_EQ_INT(q1(x.st, "SELECT in_directory FROM mailboxes WHERE name = 'KTANAKA'"), 1);
	T_EQ_INT(q1(x.st, "SELECT mail_skipped FROM mail_sections JOIN mailboxes ON id = mailbox_id "
		     "WHERE name = 'KTANAKA'"), 1);                   /* no users.csv row */
	T_EQ_INT(q1(x.st, "SELECT deleted * 10 + in_directory FROM mailboxes WHERE name = 'ODUNN'"), 10);
	T_EQ_INT(q1(x.st, "SELECT mail_skipped FROM mail_sections JOIN mailboxes ON id = mailbox_id "
		     "WHERE name = 'ODUNN'"), 0);                     /* deleted, with mail */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM mailboxes WHERE name = 'GONE'"), 0);
	T_EQ_STR(qs(x.st, "SELECT source_address FROM mailboxes WHERE name = 'ERAMIREZ'", b, sizeof(b)),
		 "MS:ACMENET/HQPO/ERAMIREZ");
	T_EQ_STR(qs(x.st, "SELECT alias FROM mailboxes WHERE name = 'MLOPEZ'", b, sizeof(b)), "LopezM");
	/* directory: other postoffices and gateways are custom recipients */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM dir_entries WHERE kind = 'user'"), 5);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM dir_entries WHERE kind = 'custom' AND address_type = 'MS'"), 2);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM dir_entries WHERE kind = 'custom' AND address_type IN "
		     "('SMTP', 'X400')"), 3);
	T_EQ_STR(qs(x.st, "SELECT name FROM dir_entries WHERE address = 'ACMENET/HQPO/JWEISS'", b, sizeof(b)),
		 "J\xC3\xBCrgen Wei\xC3\x9F");                       /* CP850 read as such */
	/* groups with members resolved by address, a group inside a group */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM list_members WHERE entry_id IS NULL"), 0);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM list_members m JOIN dir_entries l ON l.id = m.list_id "
		     "WHERE l.name = 'All HQ'"), 5);
	/* folders */
	T_EQ_STR(qs(x.st, "SELECT group_concat(path || '=' || ifnull(special, '-'), ',') FROM "
		    "(SELECT path, special FROM folders WHERE mailbox_id = (SELECT id FROM mailboxes WHERE "
		    "name = 'ERAMIREZ') ORDER BY id)", b, sizeof(b)),
		 "Inbox=inbox,Sent Items=sent,Deleted Items=trash,Projects=-");
	/* priority characters */
	T_EQ_INT(q1(x.st, "SELECT priority FROM messages WHERE subject LIKE 'Q3 budget figures for the "
		     "branch offices (draft%'"), 1);                  /* 5 */
	T_EQ_INT(q1(x.st, "SELECT priority FROM messages WHERE subject = 'Low priority: catalogue'"), -1);
	T_EQ_INT(q1(x.st, "SELECT receipt_requested * 10 + unread FROM messages WHERE subject = "
		     "'Order 4711 confirmed'"), 11);                  /* R, STATUS:UNREAD */
	T_EQ_INT(q1(x.st, "SELECT is_receipt FROM messages WHERE message_class = "
		     "'IPM.Microsoft Mail.Read Receipt'"), 1);        /* C */
	/* the textized header: German, French, Spanish and English */
	T_EQ_STR(qs(x.st, "SELECT subject FROM messages WHERE message_id = '4F2A91C0'", b, sizeof(b)),
		 "Budget f\xC3\xBCr die Filialen, 3. Quartal (Entwurf 2, bitte pr\xC3\xBC" "fen)");
	T_EQ_STR(qs(x.st, "SELECT conversation_id || '/' || parent_message_id FROM messages WHERE "
		    "message_id = 'DE0CFCA6'", b, sizeof(b)), "B4A878C0/B4A878C0");
	T_EQ_STR(qs(x.st, "SELECT parent_message_id FROM messages WHERE message_id = '4F2A91C7'", b,
		    sizeof(b)), "935DA930113BD111820200C04FC9A530");
	T_EQ_STR(qs(x.st, "SELECT conversation_id FROM messages WHERE message_id = '016FA408'", b,
		    sizeof(b)), "4F2A91C0");
	/* stripped from the body, kept in the raw header */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM body_parts WHERE text LIKE '%Microsoft Mail v3.0%'"), 0);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM messages WHERE instr(raw_header, "
		     "CAST('Microsoft Mail v3.0' AS BLOB)) > 0"), 5);
	T_EQ_STR(qs(x.st, "SELECT p.text FROM body_parts p JOIN messages g ON g.id = p.message_id WHERE "
		    "g.message_id = '4F2A91C0'", b, sizeof(b)),
		 "Ellen,\r\n\r\nanbei die Zahlen.\r\n\r\nJ\xC3\xBCrgen\r\n");
	/* a meeting request keeps its meeting time */
	T_ASSERT(q1(x.st, "SELECT instr(p.text, 'When: 1995-03-20 10:00 - 11:00') FROM body_parts p JOIN "
		     "messages g ON g.id = p.message_id WHERE g.message_class = "
		     "'IPM.Microsoft Schedule.MtgReq'") == 1);
	/* EXT: and unknown tokens stay in the raw header */
	T_ASSERT(q1(x.st, "SELECT instr(raw_header, CAST('EXT:I:3:HEADLEN' || char(13, 10) || '9' AS "
		     "BLOB)) * instr(raw_header, CAST('X-ROUTE:BR1' AS BLOB)) FROM messages WHERE subject = "
		     "'Price list transfer'") > 0);
	/* attachments: exact sizes, a name with a space */
	T_EQ_INT(q1(x.st, "SELECT size FROM attachments WHERE name = 'BUDGET V2.TXT'"), 29);
	T_EQ_INT(q1(x.st, "SELECT size FROM attachments WHERE name = 'PRICES.DBF'"), 512);
	/* dates in the manifest's zone (EST in March 1995) */
	T_EQ_STR(qs(x.st, "SELECT datetime(sent_utc, 'unixepoch') FROM messages WHERE message_id = "
		    "'4F2A91C0'", b, sizeof(b)), "1995-03-14 14:05:00");
	/* recipients resolved in the directory (but the deleted ODUNN, who is
	 * not in it) */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM recipients WHERE entry_id IS NULL AND "
		     "raw <> 'PCM:ACMENET/HQPO/ODUNN'"), 0);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM recipients WHERE role = 'cc'"), 1);
	/* calendars: items and contacts */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM calendar_items WHERE mailbox_id = (SELECT id FROM "
		     "mailboxes WHERE name = 'ERAMIREZ')"), 12);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM pab_entries"), 2);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM calendar_items WHERE recurring"), 7);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM calendar_items WHERE kind = 'todo'"), 5);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM calendar_items WHERE instr(ical, 'CLASS:PRIVATE') > 0"), 2);
	/* calendars are read in windows-codepage (CP1252: 0xFC u-umlaut, 0x96 en dash) */
	T_EQ_STR(qs(x.st, "SELECT summary FROM calendar_items WHERE source_type = 'SingleAppointments' "
		    "AND instr(ical, 'CLASS:PRIVATE') > 0", b, sizeof(b)),
		 "Zahnarzt Dr. M\xC3\xBCller \xE2\x80\x93 Kontrolle");
	T_EQ_STR(qs(x.st, "SELECT summary FROM calendar_items WHERE summary LIKE 'Collect%'", b, sizeof(b)),
		 "Collect branch figures \xE2\x80\x93 Q3");
	/* raw keeps the source object exactly */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM calendar_items WHERE source_type = 'RecurringAppointments' "
		     "AND substr(CAST(raw AS TEXT), 1, 24) = 'RecurringAppointments:' || char(13, 10)"), 4);
	mf_store_close(&x.st);
}

/* Every calendar item of the sample parses back with libical; the recurring
 * ones with the RRULE and first occurrence the contract gives. */
static void bundle_calendar_roundtrip(void)
{
	static const struct { const char *summary, *rrule, *dtstart; } want[] = {
		{ "Staff meeting", "FREQ=WEEKLY;UNTIL=19960101T045959Z;BYDAY=MO;WKST=SU",
		  "America/New_York:19950306T100000" },
		{ "Stand-up", "FREQ=DAILY;UNTIL=19950401T045959Z", "America/New_York:19950301T083000" },
		{ "Payroll run", "FREQ=MONTHLY;UNTIL=19960101T045959Z;BYMONTHDAY=15",
		  "America/New_York:19950115T160000" },
		{ "Month-end review", "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", "America/New_York:19950127T150000" },
		{ "Ray's birthday", "FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=4", "19950401" },
		{ "Thanksgiving", "FREQ=YEARLY;BYDAY=TH;BYMONTH=11;BYSETPOS=4", "19951123" },
		{ "Back up the laptop", "FREQ=WEEKLY;UNTIL=19950630;INTERVAL=2;BYDAY=FR", "19950303" },
	};
	struct imp x;
	sqlite3_stmt *q;
	int n = 0, matched = 0;

	imp_open(&x, "cal");
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), NULL), MF_OK);
	T_ASSERT(sqlite3_prepare_v2(mf_store_db(x.st), "SELECT summary, ical FROM calendar_items",
				    -1, &q, NULL) == SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *summary = (const char *)sqlite3_column_text(q, 0);
		icalcomponent *cal = reparse((const char *)sqlite3_column_text(q, 1));
		n++;
		T_ASSERT(cal != NULL);
		if (!cal)
			continue;
		T_ASSERT(icalcomponent_get_first_real_component(cal) != NULL);
		for (size_t i = 0; i < MF_ARRAY_LEN(want); i++) {
			char *rr, buf[64];
			if (!summary || strcmp(summary, want[i].summary))
				continue;
			rr = rrule_of(cal);
			T_EQ_STR(rr, want[i].rrule);
			T_EQ_STR(dtstart_of(cal, buf), want[i].dtstart);
			free(rr);
			matched++;
		}
		icalcomponent_free(cal);
	}
	sqlite3_finalize(q);
	T_EQ_INT(n, 15);
	T_EQ_INT(matched, (int)MF_ARRAY_LEN(want));
	mf_store_close(&x.st);
}

/* Damage: resynchronisation, skipped messages, TAB directory, LF files,
 * maildata/ checks. */
static void bundle_damaged_golden(void)
{
	struct imp x;
	imp_open(&x, "damaged");
	T_EQ_INT(imp_run(&x, t_srcpath("tests/fixtures/msmail/damaged"), NULL), MF_OK);
	T_EQ_INT(x.stats.messages, 2);
	T_EQ_INT(x.stats.messages_skipped, 1);
	/* the message after the wrong TEXT: count is read */
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM messages WHERE subject = 'after resync'"), 1);
	T_EQ_INT(q1(x.st, "SELECT skipped FROM source_files WHERE role = 'mail'"), 1);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM problems WHERE code = 'msmail.mmff-count-mismatch' "
		     "AND severity = 'error' AND offset IS NOT NULL"), 1);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM problems WHERE code = 'msmail.maildata-count'"), 1);
	golden_compare(x.st, "damaged");
	mf_store_close(&x.st);
}

/* Importing again stages nothing; an interrupted file is resumed. */
static void bundle_reimport_and_resume(void)
{
	struct imp x;
	int64_t msgs, probs, cal, dir;
	imp_open(&x, "again");
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), NULL), MF_OK);
	msgs = q1(x.st, "SELECT count(*) FROM messages");
	probs = q1(x.st, "SELECT count(*) FROM problems");
	cal = q1(x.st, "SELECT count(*) FROM calendar_items");
	dir = q1(x.st, "SELECT count(*) FROM dir_entries");
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), NULL), MF_OK);
	T_EQ_INT(x.stats.messages, 0);
	T_EQ_INT(x.stats.files_skipped, x.stats.files);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM messages"), msgs);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM problems"), probs);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM calendar_items"), cal);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM dir_entries"), dir);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM sources"), 1);
	/* an import stopped in the middle of inbox.mmff: the file is
	 * "importing" and its last message is missing */
	mf_store_exec(x.st, "UPDATE source_files SET state = 'importing' WHERE path = "
		      "'mail/ERAMIREZ/inbox.mmff';"
		      "DELETE FROM messages WHERE id = (SELECT max(g.id) FROM messages g JOIN "
		      "source_files f ON f.id = g.src_file_id WHERE f.path = 'mail/ERAMIREZ/inbox.mmff')",
		      &x.d);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM messages"), msgs - 1);
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), NULL), MF_OK);
	T_EQ_INT(x.stats.messages, 1);
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM messages"), msgs);
	T_EQ_STR(qs(x.st, "SELECT state || ' ' || messages FROM source_files WHERE path = "
		    "'mail/ERAMIREZ/inbox.mmff'", (char[64]){ 0 }, 64), "done 3");
	mf_store_close(&x.st);
}

static void bundle_refused(void)
{
	struct imp x;
	char dir[512], p[600];
	struct mf_diag d;
	imp_open(&x, "refused");
	snprintf(dir, sizeof(dir), "%s/nobundle", t_tmpdir());
	mf_mkdirs(dir, 0755, &d);
	T_EQ_INT(imp_run(&x, dir, NULL), MF_ENOTFOUND);           /* no MSMX.TXT */
	snprintf(p, sizeof(p), "%s/MSMX.TXT", dir);
	mf_write_atomic(p, "msmx-version=2\nnetwork=N\npostoffice=P\n", 37, 0644, 0, &d);
	T_EQ_INT(imp_run(&x, dir, NULL), MF_EFORMAT);             /* version 2 */
	mf_write_atomic(p, "msmx-version=1\nnetwork=N\npostoffice=P\n", 37, 0644, 0, &d);
	T_EQ_INT(imp_run(&x, dir, NULL), MF_ENOTFOUND);           /* no users.csv */
	snprintf(p, sizeof(p), "%s/users.csv", dir);
	mf_write_atomic(p, "mailbox\n", 8, 0644, 0, &d);
	T_EQ_INT(imp_run(&x, dir, NULL), MF_ENOTFOUND);           /* no directory/pol.txt */
	{
		struct mf_import_opts o;
		memset(&o, 0, sizeof(o));
		o.timezone = "Mars/Olympus_Mons";
		T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), &o), MF_EFORMAT);
		o.timezone = NULL;
		o.codepage = "EBCDIC-1";
		T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), &o), MF_ECHARSET);
	}
	T_EQ_INT(q1(x.st, "SELECT count(*) FROM messages"), 0);
	mf_store_close(&x.st);
	T_EQ_INT(mf_importer_msmail.probe(t_srcpath("docs/sample/msmail")), 100);
	T_EQ_INT(mf_importer_msmail.probe(t_srcpath("docs/sample/msmail/MSMX.TXT")), 90);
	T_EQ_INT(mf_importer_msmail.probe(t_srcpath("tests/fixtures/msmail")), 0);
	T_EQ_INT(mf_importer_msmail.probe(dir), 100);
	snprintf(p, sizeof(p), "%s/MSMX.TXT", dir);
	mf_write_atomic(p, "junk\n", 5, 0644, 0, &d);
	T_EQ_INT(mf_importer_msmail.probe(dir), 60);               /* a manifest without a version */
}

/* --timezone and --codepage override the manifest. */
static void bundle_overrides(void)
{
	struct imp x;
	struct mf_import_opts o;
	char b[128];
	memset(&o, 0, sizeof(o));
	o.timezone = "Europe/Berlin";
	o.codepage = "437";
	imp_open(&x, "over");
	T_EQ_INT(imp_run(&x, t_srcpath("docs/sample/msmail"), &o), MF_OK);
	T_EQ_STR(qs(x.st, "SELECT timezone || ' ' || codepage FROM sources", b, sizeof(b)),
		 "Europe/Berlin CP437");
	T_EQ_STR(qs(x.st, "SELECT datetime(sent_utc, 'unixepoch') FROM messages WHERE message_id = "
		    "'4F2A91C0'", b, sizeof(b)), "1995-03-14 08:05:00");
	mf_store_close(&x.st);
}

const struct t_case t_msmail[] = {
	{ "msmail: MMFF every token", mmff_tokens },
	{ "msmail: MMFF three line ends, tokens in any case", mmff_line_ends_and_case },
	{ "msmail: MMFF resynchronises after a wrong TEXT: count", mmff_resync },
	{ "msmail: MMFF damaged messages skipped whole", mmff_damage },
	{ "msmail: MMFF priority characters", mmff_priority },
	{ "msmail: textized header in English, German, French, Spanish", textized_languages },
	{ "msmail: MSMX.TXT manifest", manifest },
	{ "msmail: users.csv (RFC 4180)", csv_and_users },
	{ "msmail: IMPORT/GIMPORT lines, fixed columns and TABs", dir_lines },
	{ "msmail: .sc2 every recurrence kind round-trips through libical", sc2_recurrence_kinds },
	{ "msmail: .sc2 objects to VEVENT/VTODO/PAB", sc2_objects },
	{ "msmail: .sc2 damaged objects, UTC bundles", sc2_damage_and_utc },
	{ "msmail: .sc2 priority codes", sc2_priority_codes },
	{ "msmail: .sch items", sch_items },
	{ "msmail: .sch recurrence (research 10.4)", sch_recurrence },
	{ "msmail: sample bundle, everything staged (golden)", bundle_sample_golden },
	{ "msmail: sample bundle, the contract's rules", bundle_sample_rules },
	{ "msmail: sample calendars round-trip through libical", bundle_calendar_roundtrip },
	{ "msmail: damaged bundle (golden)", bundle_damaged_golden },
	{ "msmail: re-import changes nothing, an interrupted file resumes", bundle_reimport_and_resume },
	{ "msmail: bundles that cannot be read", bundle_refused },
	{ "msmail: --timezone and --codepage", bundle_overrides },
	{ NULL, NULL }
};
