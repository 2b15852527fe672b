/* SPDX-License-Identifier: MIT */
/* test_dav.c: exporters/dav/: vCard escaping and folding, the card writer,
 * the content-line reader and its comparison, UUIDs, multistatus parsing,
 * URLs and collection paths. */
#include "tests/unit/tests.h"
#include "exporters/dav/dav.h"

#include <stdlib.h>
#include <string.h>

static void escape_cases(void)
{
	static const struct {
		const char *in, *out;
	} c[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "a,b;c\\d", "a\\,b\\;c\\\\d" },
		{ "l1\r\nl2\nl3\rl4", "l1\\nl2\\nl3\\nl4" },
		{ "tab\there", "tab\there" },
		{ "ctl\x01\x7f", "ctl  " },
		{ "bad \xff\xc3", "bad \xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },   /* a surrogate */
		{ "\xc3\xa5\xf0\x9f\x98\x80", "\xc3\xa5\xf0\x9f\x98\x80" },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mf_buf b;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		T_EQ_INT(mf_vcard_escape(&b, c[i].in, strlen(c[i].in)), MF_OK);
		T_EQ_STR(b.data, c[i].out);
		mf_buf_release(&b);
	}
}

/* Fold every length from 0 to 400 of a line mixing 1- to 4-byte sequences:
 * CR LF ends, at most 75 octets, no continuation starting inside a
 * sequence, and unfolding gives the line back. */
static void fold_every_length(void)
{
	static const char *const unit[] = { "a", "\xc3\xa5", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	char line[2000];
	for (size_t len = 0; len < 400; len++) {
		struct mf_buf b, back;
		size_t n = 0, start = 0;
		for (size_t k = 0; n < len; k++) {
			const char *u = unit[(k * 7 + len) % 4];
			memcpy(line + n, u, strlen(u));
			n += strlen(u);
		}
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		mf_buf_init(&back, MF_BUF_UNBOUNDED);
		T_EQ_INT(mf_vcard_fold(&b, line, n), MF_OK);
		for (size_t i = 0; i < b.len; i++) {
			if (b.data[i] != '\n')
				continue;
			T_ASSERT(i > 0 && b.data[i - 1] == '\r');
			T_ASSERT(i - 1 - start <= MF_VCARD_FOLD);
			if (i + 1 < b.len) {
				T_ASSERT(b.data[i + 1] == ' ');
				T_ASSERT(((unsigned char)b.data[i + 2] & 0xc0) != 0x80);
			}
			mf_buf_add(&back, b.data + start + (start ? 1 : 0),
				   i - 1 - start - (start ? 1 : 0));
			start = i + 1;
		}
		T_EQ_MEM(back.data, back.len, line, n);
		mf_buf_release(&b);
		mf_buf_release(&back);
	}
}

static void uuid_v5(void)
{
	char a[MF_UUID_LEN + 1], b[MF_UUID_LEN + 1];
	mf_uuid5(a, "pab\nX\n1", 7);
	mf_uuid5(b, "pab\nX\n1", 7);
	T_EQ_STR(a, b);
	T_EQ_INT(strlen(a), 36);
	T_ASSERT(a[14] == '5');
	T_ASSERT(strchr("89ab", a[19]) != NULL);
	mf_uuid5(b, "pab\nX\n2", 7);
	T_ASSERT(strcmp(a, b) != 0);
}

static void card_and_readback(void)
{
	static const struct mf_vcard_member m[] = {
		{ "11111111-1111-5111-8111-111111111111", NULL, NULL },
		{ NULL, "a b@example.com", NULL },
		{ NULL, NULL, "Nobody, Known at PO" },
	};
	struct mf_vcard_card c;
	struct mf_buf b;
	struct mf_cl_doc doc;
	struct mf_diag d;
	int seen_member = 0, seen_kind = 0, seen_fn = 0;

	memset(&c, 0, sizeof(c));
	c.group = 1;
	c.uuid = "22222222-2222-5222-8222-222222222222";
	c.fn = "Team; with, \\ and\nnewline";
	c.members = m;
	c.n_members = 3;
	c.rev = 86400;
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	T_EQ_INT(mf_vcard_write(&b, MF_VCARD_40, &c), MF_OK);
	T_ASSERT(strstr(b.data, "MEMBER:mailto:a%20b@example.com\r\n") != NULL);
	T_ASSERT(strstr(b.data, "X-MAILFERRY-MEMBER:Nobody\\, Known at PO\r\n") != NULL);
	T_ASSERT(strstr(b.data, "REV:19700102T000000Z\r\n") != NULL);
	T_EQ_INT(mf_cl_parse(&doc, b.data, b.len, 100, &d), MF_OK);
	for (size_t i = 0; i < doc.n_props; i++) {
		seen_member += !strcmp(doc.props[i].name, "MEMBER");
		seen_kind += !strcmp(doc.props[i].norm, "KIND:group");
		if (!strcmp(doc.props[i].name, "FN")) {
			T_EQ_STR(doc.props[i].value, "Team; with, \\ and\nnewline");
			seen_fn = 1;
		}
	}
	T_EQ_INT(seen_member, 2);
	T_EQ_INT(seen_kind, 1);
	T_EQ_INT(seen_fn, 1);
	mf_cl_release(&doc);
	mf_buf_reset(&b);
	T_EQ_INT(mf_vcard_write(&b, MF_VCARD_30, &c), MF_OK);
	T_ASSERT(strstr(b.data, "X-ADDRESSBOOKSERVER-KIND:group\r\n") != NULL);
	T_ASSERT(strstr(b.data, "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:1111") != NULL);
	T_ASSERT(strstr(b.data, "\r\nN:") != NULL);        /* 3.0 requires N */
	mf_buf_release(&b);
}

/* A server's rewrite (other order, other folding, other parameter case and
 * order) compares equal; a changed value does not. */
static void compare_semantic(void)
{
	static const char a[] =
		"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u1\r\nFN:Anna\r\nEMAIL;TYPE=work;PREF=1:a@x\r\n"
		"NOTE:long note text\r\nEND:VCARD\r\n";
	static const char b[] =
		"BEGIN:VCARD\nVERSION:4.0\nNOTE:long no\n te text\nemail;pref=1;type=WORK:a@x\n"
		"UID:u1\nitem1.FN:Anna\nEND:VCARD\n";
	static const char c[] =
		"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u1\r\nFN:Anna B\r\nEMAIL;TYPE=work;PREF=1:a@x\r\n"
		"NOTE:long note text\r\nEND:VCARD\r\n";
	static const char *const kinds[] = { "VCARD", NULL };
	struct mf_cl_doc da, db, dc;
	struct mf_diag d;
	struct mf_buf why;

	mf_buf_init(&why, MF_BUF_UNBOUNDED);
	T_EQ_INT(mf_cl_parse(&da, a, strlen(a), 100, &d), MF_OK);
	T_EQ_INT(mf_cl_parse(&db, b, strlen(b), 100, &d), MF_OK);
	T_EQ_INT(mf_cl_parse(&dc, c, strlen(c), 100, &d), MF_OK);
	T_EQ_INT(mf_cl_compare(&da, &db, kinds, NULL, &why, 10), 0);
	T_EQ_INT(mf_cl_compare(&da, &dc, kinds, NULL, &why, 10), 2);
	T_ASSERT(strstr(why.data, "FN:Anna B") != NULL);
	mf_cl_release(&da);
	mf_cl_release(&db);
	mf_cl_release(&dc);
	/* broken input */
	T_EQ_INT(mf_cl_parse(&da, "BEGIN:VCARD\r\nFN:x\r\n", 18, 100, &d), MF_EFORMAT);
	T_EQ_INT(mf_cl_parse(&da, "END:VCARD\r\n", 11, 100, &d), MF_EFORMAT);
	T_EQ_INT(mf_cl_parse(&da, "BEGIN:VCARD\r\nno colon\r\nEND:VCARD\r\n", 33, 100, &d), MF_EFORMAT);
	mf_buf_release(&why);
}

static void multistatus(void)
{
	static const char ms1[] =
		"<?xml version=\"1.0\"?><x:multistatus xmlns:x=\"DAV:\" "
		"xmlns:k=\"urn:ietf:params:xml:ns:carddav\"><x:response>"
		"<x:href>https://h.example:8443/a%20b/c/</x:href><x:propstat><x:prop><x:resourcetype>"
		"<x:collection/><k:addressbook/></x:resourcetype></x:prop><x:status>HTTP/1.1 200 OK"
		"</x:status></x:propstat></x:response><x:response><x:href>/a%20b/c/%C3%A5.vcf</x:href>"
		"<x:propstat><x:prop><x:getetag>\"e1\"</x:getetag><k:address-data>BEGIN:VCARD&#13;\n"
		"END:VCARD</k:address-data></x:prop><x:status>HTTP/1.1 200 OK</x:status></x:propstat>"
		"</x:response><x:response><x:href>/gone</x:href><x:status>HTTP/1.1 404 Not Found"
		"</x:status></x:response></x:multistatus>";
	/* the same names in another namespace are not DAV's */
	static const char ms2[] =
		"<multistatus xmlns=\"urn:x\"><response><href>/a</href></response></multistatus>";
	static const char ms3[] =
		"<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY a \"aaaa\">]><multistatus xmlns=\"DAV:\">"
		"<response><href>/&a;</href></response></multistatus>";
	struct mf_dav_ms ms;
	struct mf_diag d;

	T_EQ_INT(mf_dav_ms_parse(&ms, ms1, strlen(ms1), &d), MF_OK);
	T_EQ_INT(ms.n, 3);
	T_EQ_STR(ms.items[0].href, "/a b/c/");
	T_EQ_INT(ms.items[0].rtype, MF_DAV_RT_COLLECTION | MF_DAV_RT_ADDRESSBOOK);
	T_EQ_STR(ms.items[1].href, "/a b/c/\xc3\xa5.vcf");
	T_EQ_STR(ms.items[1].etag, "\"e1\"");
	T_EQ_STR(ms.items[1].data, "BEGIN:VCARD\r\nEND:VCARD");
	T_EQ_INT(ms.items[1].status, 200);
	T_EQ_INT(ms.items[2].status, 404);
	mf_dav_ms_release(&ms);
	T_EQ_INT(mf_dav_ms_parse(&ms, ms2, strlen(ms2), &d), MF_EFORMAT);
	T_EQ_INT(mf_dav_ms_parse(&ms, ms3, strlen(ms3), &d), MF_EFORMAT);
	T_EQ_INT(mf_dav_ms_parse(&ms, "", 0, &d), MF_EFORMAT);
}

static void urls_and_paths(void)
{
	struct mf_dav_target t;
	struct mf_diag d;
	struct mf_buf b;

	T_EQ_INT(mf_dav_target_parse(&t, "http://HOST.example:5232", MF_DAV_CARD, &d), MF_OK);
	T_EQ_STR(t.base, "http://host.example:5232");
	T_EQ_STR(t.path, "/");
	T_EQ_STR(t.id, "carddav:http://host.example:5232/");
	T_EQ_INT(mf_dav_target_parse(&t, "https://h/dav", MF_DAV_CAL, &d), MF_OK);
	T_EQ_STR(t.base, "https://h:443");
	T_EQ_STR(t.path, "/dav/");
	T_EQ_INT(mf_dav_target_parse(&t, "https://u:p@h/", MF_DAV_CAL, &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_target_parse(&t, "ftp://h/", MF_DAV_CAL, &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_target_parse(&t, "http://h/a/../b", MF_DAV_CAL, &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_target_parse(&t, "http://h:0/", MF_DAV_CAL, &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_target_parse(&t, "http://h/dav/", MF_DAV_CARD, &d), MF_OK);
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	T_EQ_INT(mf_dav_collection(&b, &t, NULL, "AnnaL", MF_DAV_CARD, &d), MF_OK);
	T_EQ_STR(b.data, "/dav/AnnaL/contacts/");
	mf_buf_reset(&b);
	T_EQ_INT(mf_dav_collection(&b, &t, "users/%a/my %t", "AnnaL", MF_DAV_CAL, &d), MF_OK);
	T_EQ_STR(b.data, "/dav/users/AnnaL/my%20calendar/");
	mf_buf_reset(&b);
	T_EQ_INT(mf_dav_collection(&b, &t, "shared/%t/", "AnnaL", MF_DAV_CAL, &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_collection(&b, &t, "%a/../x/", "AnnaL", MF_DAV_CAL, &d), MF_EUSAGE);
	mf_buf_release(&b);
	{
		char n1[40], n2[40];
		mf_dav_resource_name(n1, "urn:uuid:x", ".vcf");
		mf_dav_resource_name(n2, "urn:uuid:x", ".vcf");
		T_EQ_STR(n1, n2);
		T_EQ_INT(strlen(n1), 36);
	}
}

/* --dav-discover's templates: the home set with the principal's name in
 * it, as Radicale, Nextcloud and SOGo name them. */
static void home_templates(void)
{
	struct mf_dav_target t;
	struct mf_diag d;
	struct mf_buf b;

	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	{
		/* the hrefs discovery reads: decoded, by namespace, the first one */
		static const char body[] =
			"<?xml version='1.0'?><m:multistatus xmlns:m=\"DAV:\" "
			"xmlns:x=\"urn:ietf:params:xml:ns:carddav\"><m:response><m:href>/p/</m:href>"
			"<m:propstat><m:prop><m:current-user-principal><m:href>http://h/p/ad%20min/"
			"</m:href></m:current-user-principal><x:addressbook-home-set><m:href>/ab/ad%20min/"
			"</m:href><m:href>/other/</m:href></x:addressbook-home-set></m:prop>"
			"<m:status>HTTP/1.1 200 OK</m:status></m:propstat></m:response></m:multistatus>";
		struct mf_dav_ms ms;
		T_EQ_INT(mf_dav_ms_parse(&ms, body, sizeof(body) - 1, &d), MF_OK);
		T_EQ_INT(ms.n, 1);
		T_EQ_STR(ms.items[0].principal, "/p/ad min/");
		T_EQ_STR(ms.items[0].home, "/ab/ad min/");
		T_EQ_INT(mf_dav_target_parse(&t, "http://h/", MF_DAV_CARD, &d), MF_OK);
		T_EQ_INT(mf_dav_home_template(&t, ms.items[0].principal, ms.items[0].home, &d), MF_OK);
		mf_dav_ms_release(&ms);
		T_EQ_INT(mf_dav_collection(&b, &t, NULL, "AnnaL", MF_DAV_CARD, &d), MF_OK);
		T_EQ_STR(b.data, "/ab/AnnaL/contacts/");
		mf_buf_reset(&b);
	}
	T_EQ_INT(mf_dav_target_parse(&t, "http://h:5232/x/", MF_DAV_CARD, &d), MF_OK);
	T_EQ_INT(mf_dav_home_template(&t, "/mfadmin/", "/mfadmin/", &d), MF_OK);
	T_EQ_INT(mf_dav_collection(&b, &t, NULL, "AnnaL", MF_DAV_CARD, &d), MF_OK);
	T_EQ_STR(b.data, "/AnnaL/contacts/");
	T_EQ_STR(t.id, "carddav:http://h:5232/%a/");

	T_EQ_INT(mf_dav_target_parse(&t, "https://cloud.example/", MF_DAV_CAL, &d), MF_OK);
	T_EQ_INT(mf_dav_home_template(&t, "/remote.php/dav/principals/users/admin/",
				      "/remote.php/dav/calendars/users/admin/", &d), MF_OK);
	mf_buf_reset(&b);
	T_EQ_INT(mf_dav_collection(&b, &t, NULL, "AnnaL", MF_DAV_CAL, &d), MF_OK);
	T_EQ_STR(b.data, "/remote.php/dav/calendars/users/AnnaL/calendar/");
	T_EQ_STR(t.id, "caldav:https://cloud.example:443/remote.php/dav/calendars/users/%a/");

	/* the name is a whole segment, its last appearance; no trailing '/' */
	T_EQ_INT(mf_dav_target_parse(&t, "http://h/", MF_DAV_CARD, &d), MF_OK);
	T_EQ_INT(mf_dav_home_template(&t, "/SOGo/dav/ann/", "/SOGo/dav/ann/Contacts", &d), MF_OK);
	mf_buf_reset(&b);
	T_EQ_INT(mf_dav_collection(&b, &t, NULL, "AnnaL", MF_DAV_CARD, &d), MF_OK);
	T_EQ_STR(b.data, "/SOGo/dav/AnnaL/Contacts/contacts/");
	T_EQ_INT(mf_dav_target_parse(&t, "http://h/", MF_DAV_CARD, &d), MF_OK);
	T_EQ_INT(mf_dav_home_template(&t, "/p/ann/", "/ann/x/ann/", &d), MF_OK);
	T_EQ_STR(t.home_pre, "/ann/x/");
	T_EQ_STR(t.home_post, "/");

	/* a home that does not name the principal cannot be a template */
	T_EQ_INT(mf_dav_target_parse(&t, "http://h/", MF_DAV_CARD, &d), MF_OK);
	T_EQ_INT(mf_dav_home_template(&t, "/principals/admin/", "/homes/admin2/", &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_home_template(&t, "/", "/homes/a/", &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_home_template(&t, "/p/admin/", "/x/../admin/", &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_home_template(&t, "/p/admin/", "/x/admin/..", &d), MF_EUSAGE);
	T_EQ_INT(mf_dav_home_template(&t, "/p/admin/", "admin/", &d), MF_EUSAGE);
	T_EQ_INT(t.discovered, 0);
	mf_buf_release(&b);
}

const struct t_case t_dav[] = {
	{ "dav: --dav-discover home templates", home_templates },
	{ "dav: vCard escaping", escape_cases },
	{ "dav: folding at 75 octets, every length, UTF-8 kept whole", fold_every_length },
	{ "dav: name-based UUIDs", uuid_v5 },
	{ "dav: a group card in 4.0 and 3.0, read back", card_and_readback },
	{ "dav: semantic comparison of content lines", compare_semantic },
	{ "dav: multistatus by namespace, hrefs decoded, no DTD", multistatus },
	{ "dav: URLs, layouts, resource names", urls_and_paths },
	{ NULL, NULL }
};
