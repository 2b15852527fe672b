/* SPDX-License-Identifier: MIT */
/* test_text.c: charset conversion, dates and addresses. */
#include "tests/harness.h"
#include "tests/unit/tests.h"
#include "core/addr.h"
#include "core/charset.h"
#include "core/date.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>

static void cs_names(void)
{
	T_EQ_STR(mf_codepage_canonical("850"), "CP850");
	T_EQ_STR(mf_codepage_canonical("ibm437"), "CP437");
	T_EQ_STR(mf_codepage_canonical("windows-1252"), "CP1252");
	T_EQ_STR(mf_codepage_canonical("Shift_JIS"), "CP932");
	T_ASSERT(mf_codepage_canonical("klingon") == NULL);
	T_ASSERT(mf_codepage_canonical(NULL) == NULL);
}

static void cs_to_utf8(void)
{
	struct mf_charset *cs;
	struct mf_diag d;
	struct mf_buf b;
	size_t rep = 0;

	T_EQ_INT(mf_charset_open(&cs, "klingon", &d), MF_ECHARSET);
	T_ASSERT(cs == NULL);

	mf_buf_init(&b, 1000);
	/* CP850: 0x94 o-umlaut, 0x9C pound, 0xC9 box drawing */
	T_EQ_INT(mf_charset_open(&cs, "850", &d), MF_OK);
	T_EQ_INT(mf_charset_to_utf8(cs, "K\x94ln \x9c\xc9", 7, &b, &rep), MF_OK);
	T_EQ_STR(b.data, "Köln £╔");
	T_EQ_INT(rep, 0);
	mf_charset_free(&cs);
	T_ASSERT(cs == NULL);

	/* CP437 and CP852, CP866 */
	mf_buf_reset(&b);
	mf_charset_open(&cs, "437", &d);
	mf_charset_to_utf8(cs, "\x81\xe1", 2, &b, &rep);
	T_EQ_STR(b.data, "üß");
	mf_charset_free(&cs);
	mf_buf_reset(&b);
	mf_charset_open(&cs, "852", &d);
	mf_charset_to_utf8(cs, "\xa5\x88", 2, &b, &rep);
	T_EQ_STR(b.data, "ął");
	mf_charset_free(&cs);
	mf_buf_reset(&b);
	mf_charset_open(&cs, "866", &d);
	mf_charset_to_utf8(cs, "\x8c\xa8\xe0", 3, &b, &rep);
	T_EQ_STR(b.data, "Мир");
	mf_charset_free(&cs);

	/* CP932 double-byte, and a truncated pair at the end */
	mf_buf_reset(&b);
	rep = 0;
	mf_charset_open(&cs, "932", &d);
	T_EQ_INT(mf_charset_to_utf8(cs, "\x93\xfa\x96\x7b" "a\x93", 6, &b, &rep), MF_OK);
	T_EQ_STR(b.data, "日本a\xef\xbf\xbd");
	T_EQ_INT(rep, 1);
	mf_charset_free(&cs);

	/* CP1252 undefined byte 0x81 becomes U+FFFD and is counted */
	mf_buf_reset(&b);
	rep = 0;
	mf_charset_open(&cs, "1252", &d);
	T_EQ_INT(mf_charset_to_utf8(cs, "a\x81\x80z", 4, &b, &rep), MF_OK);
	T_EQ_STR(b.data, "a\xef\xbf\xbd€z");
	T_EQ_INT(rep, 1);
	mf_charset_free(&cs);
	mf_buf_release(&b);
}

static void cs_long_input(void)
{
	/* a DBCS pair split across the 4096-byte chunk boundary */
	struct mf_charset *cs;
	struct mf_diag d;
	struct mf_buf b;
	size_t rep = 0, n = 9001;
	char *in = malloc(n);
	for (size_t i = 0; i + 1 < n; i += 2) {
		in[i] = (char)0x93;
		in[i + 1] = (char)0xfa;
	}
	in[n - 1] = 'x';
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_charset_open(&cs, "932", &d);
	T_EQ_INT(mf_charset_to_utf8(cs, in, n, &b, &rep), MF_OK);
	T_EQ_INT(rep, 0);
	T_EQ_INT(b.len, 4500 * 3 + 1);
	mf_charset_free(&cs);
	mf_buf_release(&b);
	free(in);
}

static void cs_from_utf8(void)
{
	struct mf_charset *cs;
	struct mf_diag d;
	struct mf_buf b;
	size_t rep = 0;

	mf_buf_init(&b, 1000);
	mf_charset_open(&cs, "1252", &d);
	T_EQ_INT(mf_charset_from_utf8(cs, "Köln € 日 \xff", strlen("Köln € 日 \xff"), &b, &rep, '?'), MF_OK);
	T_EQ_MEM(b.data, b.len, "K\xf6ln \x80 ? ?", 10);
	T_EQ_INT(rep, 2);
	mf_charset_free(&cs);
	mf_buf_release(&b);

	/* the bound is honoured */
	mf_buf_init(&b, 3);
	mf_charset_open(&cs, "850", &d);
	T_EQ_INT(mf_charset_to_utf8(cs, "abcdef", 6, &b, NULL), MF_ETOOBIG);
	mf_charset_free(&cs);
	mf_buf_release(&b);
}

static void cs_utf8(void)
{
	struct mf_buf b;
	size_t rep = 0;
	T_ASSERT(mf_utf8_valid("Köln", 5));
	T_ASSERT(!mf_utf8_valid("\xc0\x80", 2));       /* overlong */
	T_ASSERT(!mf_utf8_valid("\xed\xa0\x80", 3));   /* surrogate */
	T_ASSERT(!mf_utf8_valid("\xe6\x97", 2));       /* truncated */
	mf_buf_init(&b, 100);
	mf_utf8_sanitize("a\xffz", 3, &b, &rep);
	T_EQ_STR(b.data, "a\xef\xbf\xbdz");
	T_EQ_INT(rep, 1);
	mf_buf_release(&b);
}

static void cs_suspect(void)
{
	/* Windows-1252 prose declared as CP850: lots of 0xE0-0xFC accents
	 * read as box drawing?  No: 0xE9 é in 1252 is Ú in 850; box bytes
	 * 0xB0-0xDF come from 1252 capitals/accents like 0xC9 É, 0xD6 Ö. */
	static const char prose[] =
		"R\xc9SUM\xc9 DU PROJET: \xc0 REVOIR AVANT LA R\xc9UNION DE JEUDI. "
		"\xc9QUIPE \xc0 PARIS, \xc9T\xc9 \xc0 VENIR, D\xc9J\xc0 VU.";
	T_ASSERT(mf_charset_suspect("850", prose, sizeof(prose) - 1) != NULL);
	T_ASSERT(mf_charset_suspect("1252", prose, sizeof(prose) - 1) == NULL);
	T_ASSERT(mf_charset_suspect("850", "plain ascii text only", 21) == NULL);
}

static void date_parse(void)
{
	struct mf_civil c;
	unsigned fl;

	T_EQ_INT(mf_date_parse(&c, &fl, "6/2/98 8:39", 11, MF_ORDER_MDY), MF_OK);
	T_EQ_INT(c.year, 1998);
	T_EQ_INT(c.month, 6);
	T_EQ_INT(c.day, 2);
	T_EQ_INT(c.hour, 8);
	T_EQ_INT(c.min, 39);
	T_ASSERT(fl & MF_DATE_TWO_DIGIT_YEAR);
	T_EQ_INT(mf_date_parse(&c, &fl, "5/6/97 3:10PM", 13, MF_ORDER_MDY), MF_OK);
	T_EQ_INT(c.hour, 15);
	T_EQ_INT(mf_date_parse(&c, &fl, "12/1/05 12:05 AM", 16, MF_ORDER_MDY), MF_OK);
	T_EQ_INT(c.hour, 0);
	T_EQ_INT(c.year, 2005);
	T_EQ_INT(mf_date_parse(&c, &fl, "12/1/05 12:05 pm", 16, MF_ORDER_MDY), MF_OK);
	T_EQ_INT(c.hour, 12);
	T_EQ_INT(mf_date_parse(&c, &fl, "9-11-1998 23:59:58", 18, MF_ORDER_DMY), MF_OK);
	T_EQ_INT(c.day, 9);
	T_EQ_INT(c.month, 11);
	T_EQ_INT(c.sec, 58);
	T_EQ_INT(mf_date_parse(&c, &fl, "1998/11/09 07:00", 16, MF_ORDER_YMD), MF_OK);
	T_EQ_INT(c.day, 9);
	T_EQ_INT(mf_date_parse(&c, &fl, "3/14/95", 7, MF_ORDER_MDY), MF_OK);
	T_ASSERT(fl & MF_DATE_NO_TIME);
	/* impossible dates and garbage */
	T_EQ_INT(mf_date_parse(&c, &fl, "2/31/99 10:00", 13, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "13/1/99 10:00", 13, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "2/29/99 10:00", 13, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "2/29/00 10:00", 13, MF_ORDER_MDY), MF_OK);
	T_EQ_INT(mf_date_parse(&c, &fl, "1/1/99 25:00", 12, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "1/1/99 13:00 PM", 15, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "1/1/999 10:00", 13, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "1-1/99 10:00", 12, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "yesterday", 9, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "", 0, MF_ORDER_MDY), MF_EFORMAT);
	T_EQ_INT(mf_date_parse(&c, &fl, "1/1/99 10:00 extra", 18, MF_ORDER_MDY), MF_EFORMAT);
	/* the length bound is honoured: "1/1/99 10:00" cut at 9 bytes */
	T_EQ_INT(mf_date_parse(&c, &fl, "1/1/99 10:00", 9, MF_ORDER_MDY), MF_EFORMAT);
}

static void date_zones(void)
{
	struct mf_civil c = { 1997, 3, 14, 9, 15, 0 }, back;
	int64_t t;
	int off;
	char buf[40], b14[15];

	T_EQ_INT(mf_tz_local_to_utc(&t, "UTC", &c), MF_OK);
	T_EQ_INT(t, 858330900);
	/* Stockholm in March 1997: CET, UTC+1 */
	T_EQ_INT(mf_tz_local_to_utc(&t, "Europe/Stockholm", &c), MF_OK);
	T_EQ_INT(t, 858330900 - 3600);
	/* in July 1997: CEST, UTC+2 */
	c.month = 7;
	T_EQ_INT(mf_tz_local_to_utc(&t, "Europe/Stockholm", &c), MF_OK);
	T_EQ_INT(mf_tz_utc_to_local(&back, &off, "Europe/Stockholm", t), MF_OK);
	T_EQ_INT(off, 7200);
	T_EQ_INT(back.hour, 9);
	/* historic rule: US DST began on the first Sunday of April in 1995,
	 * the second Sunday of March since 2007 */
	{
		struct mf_civil a = { 1995, 3, 20, 12, 0, 0 }, b = { 2008, 3, 20, 12, 0, 0 };
		int64_t ta, tb;
		mf_tz_local_to_utc(&ta, "America/New_York", &a);
		mf_tz_local_to_utc(&tb, "America/New_York", &b);
		T_EQ_INT(ta - mf_civil_to_utc_naive(&a), 5 * 3600);
		T_EQ_INT(tb - mf_civil_to_utc_naive(&b), 4 * 3600);
	}
	/* the skipped hour reads as standard time; the repeated hour as DST */
	{
		struct mf_civil gap = { 1997, 3, 30, 2, 30, 0 }, rep = { 1997, 10, 26, 2, 30, 0 };
		int64_t tg, tr;
		mf_tz_local_to_utc(&tg, "Europe/Stockholm", &gap);
		T_EQ_INT(tg, mf_civil_to_utc_naive(&gap) - 3600);
		mf_tz_local_to_utc(&tr, "Europe/Stockholm", &rep);
		T_EQ_INT(tr, mf_civil_to_utc_naive(&rep) - 7200);
	}
	/* after the zone file's last transition its rule string decides
	 * (New York: EDT from the second Sunday of March, 02:00) */
	{
		struct mf_civil s = { 2100, 7, 1, 12, 0, 0 }, w = { 2100, 1, 15, 12, 0, 0 };
		struct mf_civil g = { 2100, 3, 14, 2, 30, 0 };   /* in the skipped hour */
		int64_t ts, tw, tg;
		T_EQ_INT(mf_tz_local_to_utc(&ts, "America/New_York", &s), MF_OK);
		T_EQ_INT(ts - mf_civil_to_utc_naive(&s), 4 * 3600);
		T_EQ_INT(mf_tz_local_to_utc(&tw, "America/New_York", &w), MF_OK);
		T_EQ_INT(tw - mf_civil_to_utc_naive(&w), 5 * 3600);
		T_EQ_INT(mf_tz_local_to_utc(&tg, "America/New_York", &g), MF_OK);
		T_EQ_INT(tg - mf_civil_to_utc_naive(&g), 5 * 3600);
		T_EQ_INT(mf_tz_utc_to_local(&back, &off, "America/New_York", ts), MF_OK);
		T_EQ_INT(off, -4 * 3600);
		T_EQ_INT(back.hour, 12);
	}
	/* half an hour of daylight time (Lord Howe Island, January 2000) */
	{
		struct mf_civil l = { 2000, 1, 10, 12, 0, 0 };
		int64_t tl;
		T_EQ_INT(mf_tz_local_to_utc(&tl, "Australia/Lord_Howe", &l), MF_OK);
		T_EQ_INT(tl - mf_civil_to_utc_naive(&l), -11 * 3600);
		T_EQ_INT(mf_tz_utc_to_local(&back, &off, "Australia/Lord_Howe", tl), MF_OK);
		T_EQ_INT(off, 11 * 3600);
	}
	/* the process environment is not touched */
	{
		const char *tz = getenv("TZ");
		char before[64];
		snprintf(before, sizeof(before), "%s", tz ? tz : "(unset)");
		mf_tz_local_to_utc(&t, "Asia/Tokyo", &c);
		tz = getenv("TZ");
		T_EQ_STR(tz ? tz : "(unset)", before);
	}
	T_EQ_INT(mf_tz_local_to_utc(&t, "Mars/Olympus", &c), MF_EFORMAT);
	T_EQ_INT(mf_tz_local_to_utc(&t, "zone1970.tab", &c), MF_EFORMAT);
	T_EQ_INT(mf_tz_local_to_utc(&t, "../../etc/passwd", &c), MF_EFORMAT);
	T_ASSERT(!mf_tz_valid(""));
	T_ASSERT(mf_tz_valid("Europe/Paris"));

	T_EQ_INT(mf_format_rfc5322(buf, 858330900, "Europe/Stockholm"), MF_OK);
	T_EQ_STR(buf, "Fri, 14 Mar 1997 10:15:00 +0100");
	c.month = 3;
	T_EQ_INT(mf_civil_format14(b14, &c), MF_OK);
	T_EQ_STR(b14, "19970314091500");
	c.year = 1600;
	T_EQ_INT(mf_civil_format14(b14, &c), MF_EFORMAT);
	{
		char iso[21];
		mf_format_iso_utc(iso, 858330900);
		T_EQ_STR(iso, "1997-03-14T09:15:00Z");
	}
	{
		struct mf_civil x;
		mf_utc_to_civil(&x, -1);
		T_EQ_INT(x.year, 1969);
		T_EQ_INT(x.sec, 59);
	}
}

static void addr_ccmail(void)
{
	struct mf_ccaddr a;
	struct mf_span parts[8];
	size_t n;
	const char *line;

	T_EQ_INT(mf_ccaddr_parse(&a, "Lindqvist, Anna at SALES01", 26), MF_OK);
	T_EQ_MEM(a.name.p, a.name.len, "Lindqvist, Anna", 15);
	T_EQ_MEM(a.po.p, a.po.len, "SALES01", 7);
	T_EQ_INT(a.kind, MF_CCADDR_USER);
	T_EQ_INT(mf_ccaddr_parse(&a, "  Brenner, Paul ", 16), MF_OK);
	T_EQ_MEM(a.name.p, a.name.len, "Brenner, Paul", 13);
	T_EQ_INT(a.po.len, 0);
	T_EQ_INT(mf_ccaddr_parse(&a, "jdoe@example.com AT SMTPLINK", 28), MF_OK);
	T_ASSERT(a.internet);
	T_EQ_MEM(a.po.p, a.po.len, "SMTPLINK", 8);
	T_EQ_INT(mf_ccaddr_parse(&a, "#Announcements at HQ", 20), MF_OK);
	T_EQ_INT(a.kind, MF_CCADDR_BBOARD);
	T_EQ_MEM(a.name.p, a.name.len, "#Announcements", 14);
	T_EQ_INT(mf_ccaddr_parse(&a, " at SALES01", 11), MF_EFORMAT);
	T_EQ_INT(a.kind, MF_CCADDR_DAMAGED);
	T_EQ_MEM(a.po.p, a.po.len, "SALES01", 7);
	T_EQ_INT(mf_ccaddr_parse(&a, "", 0), MF_EFORMAT);

	line = "Lindqvist, Anna at SALES01, Brenner, Paul at SALES01, Okafor, Chidi";
	mf_ccaddr_split(parts, 8, &n, line, strlen(line));
	T_EQ_INT(n, 3);
	T_EQ_MEM(parts[0].p, parts[0].len, "Lindqvist, Anna at SALES01", 26);
	T_EQ_MEM(parts[1].p, parts[1].len, "Brenner, Paul at SALES01", 24);
	T_EQ_MEM(parts[2].p, parts[2].len, "Okafor, Chidi", 13);
	line = "Lindqvist, Anna";
	mf_ccaddr_split(parts, 8, &n, line, strlen(line));
	T_EQ_INT(n, 1);
	line = "Ccuser at DB8, Ccuser2 at DB8";
	mf_ccaddr_split(parts, 1, &n, line, strlen(line));
	T_EQ_INT(n, 2);
	T_EQ_MEM(parts[0].p, parts[0].len, "Ccuser at DB8", 13);
}

static void addr_typed(void)
{
	struct mf_typedaddr t;
	struct mf_msaddr m;
	char canon[24];

	T_EQ_INT(mf_typedaddr_parse(&t, "SMTP:jdoe@example.com", 21), MF_OK);
	T_EQ_MEM(t.type.p, t.type.len, "SMTP", 4);
	T_EQ_MEM(t.address.p, t.address.len, "jdoe@example.com", 16);
	T_EQ_INT(mf_typedaddr_parse(&t, "ACMENET/HQPO/JWEISS", 19), MF_OK);
	T_EQ_INT(t.type.len, 0);
	T_EQ_INT(mf_typedaddr_parse(&t, "X400:c=US;a= ;p=Acme", 20), MF_OK);
	T_EQ_MEM(t.address.p, t.address.len, "c=US;a= ;p=Acme", 15);
	T_EQ_INT(mf_typedaddr_parse(&t, "SMTP:", 5), MF_EFORMAT);
	T_EQ_STR(mf_addrtype_canonical(canon, "pcm", 3), "MS");
	T_EQ_STR(mf_addrtype_canonical(canon, "CSI", 3), "MS");
	T_EQ_STR(mf_addrtype_canonical(canon, "smtp", 4), "SMTP");

	T_EQ_INT(mf_msaddr_parse(&m, "ACMENET/HQPO/ERAMIREZ", 21), MF_OK);
	T_EQ_MEM(m.network.p, m.network.len, "ACMENET", 7);
	T_EQ_MEM(m.postoffice.p, m.postoffice.len, "HQPO", 4);
	T_EQ_MEM(m.mailbox.p, m.mailbox.len, "ERAMIREZ", 8);
	T_EQ_INT(m.overlong, 0);
	T_EQ_INT(mf_msaddr_parse(&m, "net\\po\\mbx", 10), MF_OK);
	T_EQ_INT(mf_msaddr_parse(&m, "NETWORKNAME1/PO/X", 17), MF_OK);
	T_EQ_INT(m.overlong, 1);
	T_EQ_INT(mf_msaddr_parse(&m, "A/B", 3), MF_EFORMAT);
	T_EQ_INT(mf_msaddr_parse(&m, "A/B/C/D", 7), MF_EFORMAT);
	T_EQ_INT(mf_msaddr_parse(&m, "A//C", 4), MF_EFORMAT);
	T_EQ_INT(mf_msaddr_parse(&m, "A/B C/D", 7), MF_EFORMAT);
}

/* The single-byte tables give exactly what iconv gives, byte by byte and
 * character by character, for every code page mailferry reads. */
static void cs_tables_match_iconv(void)
{
	static const char *const cps[] = { "CP437", "CP737", "CP850", "CP852", "CP866",
					   "CP1250", "CP1251", "CP1252", "MACINTOSH", NULL };
	for (int k = 0; cps[k]; k++) {
		struct mf_charset *cs;
		struct mf_diag d;
		iconv_t to = iconv_open("UTF-8", cps[k]), from = iconv_open(cps[k], "UTF-8");
		T_EQ_INT(mf_charset_open(&cs, cps[k], &d), MF_OK);
		for (int b = 0x80; b < 0x100; b++) {
			char in = (char)b, ref[8], *ip = &in, *op = ref;
			size_t il = 1, ol = sizeof(ref), r, rep = 0;
			struct mf_buf got, back;
			mf_buf_init(&got, 64);
			mf_buf_init(&back, 64);
			iconv(to, NULL, NULL, NULL, NULL);
			r = iconv(to, &ip, &il, &op, &ol);
			mf_charset_to_utf8(cs, &in, 1, &got, &rep);
			if (r == (size_t)-1) {
				T_EQ_STR(got.data, "\xef\xbf\xbd");
				T_EQ_INT(rep, 1);
			} else {
				T_EQ_MEM(got.data, got.len, ref, sizeof(ref) - ol);
				/* and back to the same byte */
				mf_charset_from_utf8(cs, got.data, got.len, &back, &rep, '?');
				if (back.len != 1 || (unsigned char)back.data[0] != b) {
					/* only where iconv itself maps two bytes to one character */
					char *ip2 = got.data, out2[8], *op2 = out2;
					size_t il2 = got.len, ol2 = sizeof(out2);
					iconv(from, NULL, NULL, NULL, NULL);
					iconv(from, &ip2, &il2, &op2, &ol2);
					T_ASSERT(sizeof(out2) - ol2 == 1 && back.len == 1 && back.data[0] == out2[0]);
				}
			}
			mf_buf_release(&got);
			mf_buf_release(&back);
		}
		iconv_close(to);
		iconv_close(from);
		mf_charset_free(&cs);
	}
}

const struct t_case t_text[] = {
	{ "charset/single-byte tables equal iconv", cs_tables_match_iconv },
	{ "charset/names", cs_names },
	{ "charset/to utf8 for every source code page", cs_to_utf8 },
	{ "charset/dbcs pair across chunks", cs_long_input },
	{ "charset/from utf8 with replacements", cs_from_utf8 },
	{ "charset/utf8 validation", cs_utf8 },
	{ "charset/wrong code page heuristic", cs_suspect },
	{ "date/locale parsing and validation", date_parse },
	{ "date/zones with historic rules", date_zones },
	{ "addr/cc:Mail forms and split rule", addr_ccmail },
	{ "addr/typed and MS Mail forms", addr_typed },
	{ NULL, NULL }
};
