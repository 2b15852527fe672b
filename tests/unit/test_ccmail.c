/* SPDX-License-Identifier: MIT */
/*
 * test_ccmail.c: the cc:Mail importer.
 *
 * Parser tests run the pure parsers (importers/ccmail/ccmail_msg.c, ccmail_dir.c)
 * on bytes in the test.  Golden tests import the hand-made fixtures in
 * tests/fixtures/ccmail/ (and the bundled sample docs/sample/ccmail) into a
 * real staging store and compare a text dump of everything staged, the
 * problems included, with tests/fixtures/ccmail/NAME.expected.  To refresh
 * the expected files after a deliberate change:
 *     UPDATE_GOLDEN=1 build/run-unit -C . -s ccmail
 * and review the diff.
 */
#include "tests/harness.h"
#include "core/store_priv.h"
#include "tests/unit/tests.h"
#include "importers/ccmail/ccmail_dir.h"
#include "importers/ccmail/ccmail_msg.h"
#include "engine/importer.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/store_import.h"
#include "core/store_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const struct mf_importer mf_importer_ccmail;

/* ---- parser helpers ---- */

struct probs {
	char codes[64][48];
	uint64_t offs[64];
	int n;
};

static void collect(void *payload, enum mf_severity sev, const char *code, uint64_t off,
		    const char *text)
{
	struct probs *p = payload;
	(void)sev;
	(void)text;
	if (p->n < 64) {
		snprintf(p->codes[p->n], sizeof(p->codes[0]), "%s", code);
		p->offs[p->n] = off;
		p->n++;
	}
}

static int has_code(const struct probs *p, const char *code)
{
	for (int i = 0; i < p->n; i++)
		if (!strcmp(p->codes[i], code))
			return 1;
	return 0;
}

#define SPAN_EQ(s, lit) T_EQ_MEM((s).p, (s).len, lit, sizeof(lit) - 1)

/* ---- message grammar ---- */

static void msg_binary_tokens_and_direct_token(void)
{
	/* a binary payload holding "Message:" and "Text item:" at line
	 * starts, followed directly by the next token */
	static const char in[] =
		"Message:\r\n" "74\r\n"
		"Subject: s\r\n"
		"Contents:\r\n" "47\r\n"
		"File item: A.BIN\r\n" "25\r\n"
		"x\r\nMessage:\r\nText item:\r\n"
		"Message:\r\n" "32\r\n"
		"Contents:\r\n" "17\r\n"
		"Text item:\r\n" "2\r\n" "ok";
	struct ccm_parser p;
	struct ccm_message m;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccm_parser_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	T_EQ_INT(m.n_items, 1);
	T_EQ_INT(m.items[0].kind, CCM_ITEM_FILE);
	T_ASSERT(m.items[0].sized);
	SPAN_EQ(m.items[0].payload, "x\r\nMessage:\r\nText item:\r\n");
	SPAN_EQ(m.items[0].title, "A.BIN");
	T_EQ_INT(m.offset, 0);
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	T_EQ_INT(m.n_items, 1);
	SPAN_EQ(m.items[0].payload, "ok");
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_DONE);
	T_EQ_INT(pr.n, 0);
	mf_arena_release(&a);
}

static void msg_size_line_of_spaces(void)
{
	static const char in[] =
		"Message:\r\n" "   \r\n"
		"Contents:\r\n" "\r\n"
		"Text item:\r\n" "    \r\n"
		"scanned text\r\n"
		"Text item:\r\n" "3\r\n" "abc";
	struct ccm_parser p;
	struct ccm_message m;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccm_parser_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	T_ASSERT(m.sized);
	T_EQ_INT(m.n_items, 2);
	SPAN_EQ(m.items[0].payload, "scanned text\r\n");
	T_ASSERT(!m.items[0].sized);
	SPAN_EQ(m.items[1].payload, "abc");
	T_EQ_INT(pr.n, 3); /* message, contents and item size lines */
	T_ASSERT(has_code(&pr, "ccmail.size-invalid"));
	mf_arena_release(&a);
}

static void msg_size_wrong_falls_back(void)
{
	static const char in[] =
		"Message:\r\n" "10\r\n"
		"Contents:\r\n" "10\r\n"
		"Text item:\r\n" "4\r\n"
		"longer than four\r\n"
		"File item: B\r\n" "999\r\n" "xy";
	struct ccm_parser p;
	struct ccm_message m;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccm_parser_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	T_EQ_INT(m.n_items, 2);
	SPAN_EQ(m.items[0].payload, "longer than four\r\n");
	SPAN_EQ(m.items[1].payload, "xy");
	T_ASSERT(has_code(&pr, "ccmail.size-wrong"));
	T_ASSERT(has_code(&pr, "ccmail.size-mismatch"));
	mf_arena_release(&a);
}

static void msg_without_contents_is_skipped(void)
{
	static const char in[] =
		"Message:\r\nSubject: damaged\r\nText item:\r\nlost\r\n"
		"Message:\r\nSubject: fine\r\nContents:\r\nText item:\r\nkept\r\n";
	struct ccm_parser p;
	struct ccm_message m;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccm_parser_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_SKIP);
	T_EQ_INT(m.offset, 0);
	T_ASSERT(has_code(&pr, "ccmail.no-contents"));
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	T_ASSERT(!m.sized);
	SPAN_EQ(ccm_header_find(&m, "subject", 0)->value, "fine");
	SPAN_EQ(m.items[0].payload, "kept\r\n");
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_DONE);
	mf_arena_release(&a);
}

static void msg_unsized_nested_and_file_without_data(void)
{
	static const char in[] =
		"Message:\nFrom: A at PO\nContents:\n"
		"Text item:\nMessage: see below\n1997\n"
		"File item: X.DOC\n"
		"Message item: fwd\n"
		"Message:\nSubject: inner\nContents:\nText item:\ninner\n"
		"Message:\nContents:\nText item:\nlast\n";
	struct ccm_parser p;
	struct ccm_message m;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccm_parser_init(&p, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	T_EQ_INT(m.n_items, 3);
	SPAN_EQ(m.items[0].payload, "Message: see below\n1997\n");
	T_ASSERT(m.items[1].no_data);
	T_ASSERT(has_code(&pr, "ccmail.file-no-data"));
	T_EQ_INT(m.items[2].kind, CCM_ITEM_MESSAGE);
	T_ASSERT(m.items[2].nested != NULL);
	if (m.items[2].nested) {
		SPAN_EQ(ccm_header_find(m.items[2].nested, "Subject", 0)->value, "inner");
		SPAN_EQ(m.items[2].nested->items[0].payload, "inner\n");
	}
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_OK);
	SPAN_EQ(m.items[0].payload, "last\n");
	T_EQ_INT(ccm_parser_next(&p, &m, &a), MF_DONE);
	mf_arena_release(&a);
}

static void msg_truncation_sweep(void)
{
	/* every prefix of a fixture parses without reading outside it */
	char *data = NULL;
	size_t len = 0;
	struct mf_diag d;
	struct mf_arena a = MF_ARENA_INIT;
	T_EQ_INT(mf_read_file(&data, &len, t_srcpath("tests/fixtures/ccmail/msg/e05-nested-macbinary.txt"),
			      1 << 20, &d), MF_OK);
	for (size_t n = 0; data && n <= len; n++) {
		char *copy = malloc(n ? n : 1);
		struct ccm_parser p;
		struct ccm_message m;
		int rc, guard = 0;
		memcpy(copy, data, n);
		ccm_parser_init(&p, copy, n, NULL, NULL);
		while ((rc = ccm_parser_next(&p, &m, &a)) != MF_DONE && guard++ < 100) {
			T_ASSERT(rc == MF_OK || rc == MF_SKIP);
			mf_arena_reset(&a);
		}
		T_ASSERT(guard < 100);
		free(copy);
	}
	free(data);
	mf_arena_release(&a);
}

static void title_dates_stripped(void)
{
	static const struct { const char *in, *out; } t[] = {
		{ "ABC.WK4 5/6/97 3:10PM", "ABC.WK4" },
		{ "MY FILE.TXT 12-31-1999 11:59 PM", "MY FILE.TXT" },
		{ "REPORT.DOC 9-11-1998 9:58AM", "REPORT.DOC" },
		{ "DATA.BIN 5/6/97", "DATA.BIN" },
		{ "X.TXT 5/6/97 13:10:05", "X.TXT" },
		{ "PLAN 1-2-3", "PLAN 1-2-3" },
		{ "5/6/97 3:10PM", "5/6/97 3:10PM" },
		{ "NOTES 3:10PM", "NOTES 3:10PM" },
		{ "  PRICES.CSV  ", "PRICES.CSV" },
		{ "", "" },
	};
	for (size_t i = 0; i < MF_ARRAY_LEN(t); i++) {
		struct mf_span in = { (const unsigned char *)t[i].in, strlen(t[i].in) };
		struct mf_span out = ccm_title_filename(in);
		T_EQ_MEM(out.p, out.len, t[i].out, strlen(t[i].out));
	}
}

static void macbinary_decoding(void)
{
	unsigned char f[128 + 128 + 128];
	struct ccm_macbin mb;
	struct mf_span s = { f, sizeof(f) };
	uint16_t crc;

	memset(f, 0, sizeof(f));
	f[1] = 5;
	memcpy(f + 2, "Chart", 5);
	memcpy(f + 65, "GIFf8BIM", 8);
	f[86] = 10;   /* data fork 10 bytes */
	f[90] = 4;    /* resource fork 4 bytes */
	f[122] = f[123] = 129;
	crc = ccm_crc16(f, 124);
	f[124] = (unsigned char)(crc >> 8);
	f[125] = (unsigned char)crc;
	memcpy(f + 128, "0123456789", 10);
	memcpy(f + 256, "RSRC", 4);
	T_EQ_INT(ccm_macbin_decode(&mb, s), 1);
	SPAN_EQ(mb.data, "0123456789");
	SPAN_EQ(mb.rsrc, "RSRC");
	SPAN_EQ(mb.name, "Chart");
	T_EQ_STR(mb.type, "GIFf");
	T_EQ_STR(mb.creator, "8BIM");
	f[125] ^= 1; /* CRC wrong: not MacBinary */
	T_EQ_INT(ccm_macbin_decode(&mb, s), 0);
	f[125] ^= 1;
	f[86] = 200; /* data fork longer than the payload */
	T_EQ_INT(ccm_macbin_decode(&mb, s), 0);
	s.len = 100;
	T_EQ_INT(ccm_macbin_decode(&mb, s), 0);
}

/* ---- set files ---- */

static void manifest_parsing(void)
{
	static const char in[] =
		"# comment\r\nccmx-version = 1\r\npostoffice=SALES01\r\ncodepage=850\n"
		"Date-Order=dmy\r\ntimezone=Europe/Stockholm\r\nfrobnicate=yes\r\nno equals\r\n"
		"postoffice=OTHER\r\n";
	struct ccx_manifest mf;
	struct probs pr = { .n = 0 };
	ccx_manifest_parse(&mf, in, sizeof(in) - 1, collect, &pr);
	T_EQ_STR(mf.version, "1");
	T_EQ_STR(mf.postoffice, "SALES01");
	T_EQ_STR(mf.codepage, "850");
	T_EQ_STR(mf.date_order, "dmy");
	T_EQ_STR(mf.timezone, "Europe/Stockholm");
	T_ASSERT(!mf.have_db_version && !mf.have_exported_at);
	T_EQ_INT(pr.n, 3);
	T_ASSERT(has_code(&pr, "ccmail.manifest-unknown-key"));
	T_ASSERT(has_code(&pr, "ccmail.manifest-syntax"));
}

static void csv_parsing(void)
{
	static const char in[] =
		"kind,name,file,pab\r\n"
		"mailbox,\"Lindqvist, Anna\",MAIL/A.TXT,\r\n"
		"\r\n"
		"bboard,\"#Say \"\"hi\"\"\",\"BB\r\nX\",\n"
		"mailbox,\"open";
	struct ccx_csv c;
	struct ccx_csv_row r;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccx_csv_init(&c, in, sizeof(in) - 1, collect, &pr);
	T_EQ_INT(ccx_csv_next(&c, &r, &a), MF_OK);
	T_EQ_INT(r.n_fields, 4);
	T_EQ_STR(r.fields[3], "pab");
	T_EQ_INT(ccx_csv_next(&c, &r, &a), MF_OK);
	T_EQ_INT(r.n_fields, 4);
	T_EQ_STR(r.fields[1], "Lindqvist, Anna");
	T_EQ_STR(r.fields[3], "");
	T_EQ_INT(ccx_csv_next(&c, &r, &a), MF_OK);
	T_EQ_STR(r.fields[1], "#Say \"hi\"");
	T_EQ_STR(r.fields[2], "BB\r\nX");
	T_EQ_INT(ccx_csv_next(&c, &r, &a), MF_OK);
	T_EQ_STR(r.fields[1], "open");
	T_ASSERT(has_code(&pr, "ccmail.csv-syntax"));
	T_EQ_INT(ccx_csv_next(&c, &r, &a), MF_DONE);
	mf_arena_release(&a);
}

static void records_parsing(void)
{
	static const char in[] =
		"\r\nName: Lindqvist, Anna\r\nLocn: L\r\nAddr:\r\nComments: Sales; ext 4411\r\n"
		"\r\n\r\n"
		"Name: Doe, Jane\nLocn: r\nAddr: SMTPLINK jdoe@example.com\nnot a label line\n";
	struct ccx_recs rs;
	struct ccx_record r;
	struct mf_arena a = MF_ARENA_INIT;
	struct probs pr = { .n = 0 };

	ccx_recs_init(&rs, in, sizeof(in) - 1, "directory", collect, &pr);
	T_EQ_INT(ccx_recs_next(&rs, &r, &a), MF_OK);
	T_EQ_INT(r.offset, 2);
	T_EQ_INT(r.n_fields, 4);
	SPAN_EQ(ccx_record_get(&r, "name")->value, "Lindqvist, Anna");
	SPAN_EQ(ccx_record_get(&r, "Addr")->value, "");
	SPAN_EQ(ccx_record_get(&r, "Comments")->value, "Sales; ext 4411");
	T_EQ_INT(ccx_recs_next(&rs, &r, &a), MF_OK);
	SPAN_EQ(ccx_record_get(&r, "Addr")->value, "SMTPLINK jdoe@example.com");
	SPAN_EQ(r.raw, "Name: Doe, Jane\nLocn: r\nAddr: SMTPLINK jdoe@example.com\nnot a label line\n");
	T_ASSERT(has_code(&pr, "ccmail.dir-syntax"));
	T_EQ_INT(ccx_recs_next(&rs, &r, &a), MF_DONE);
	mf_arena_release(&a);
}

/* ---- golden tests: import, dump, compare ---- */

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

/* Append every row of sql, columns separated by " | ". */
static void dump_query(struct mf_buf *b, sqlite3 *db, const char *title, const char *sql)
{
	sqlite3_stmt *s;
	mf_buf_addf(b, "== %s\n", title);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "prepare: %s: %s", sqlite3_errmsg(db), sql);
		return;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *v = sqlite3_column_text(s, i);
			if (i)
				mf_buf_addstr(b, " | ");
			if (sqlite3_column_type(s, i) == SQLITE_NULL)
				mf_buf_addstr(b, "-");
			else
				esc(b, v, (size_t)sqlite3_column_bytes(s, i), 160);
		}
		mf_buf_addch(b, '\n');
	}
	sqlite3_finalize(s);
}

static void dump_store(struct mf_buf *b, struct mf_store *st)
{
	sqlite3 *db = mf_store_db(st);
	dump_query(b, db, "sources",
		   "SELECT format, postoffice, codepage, timezone, date_order, db_version, exported_at "
		   "FROM sources ORDER BY id");
	dump_query(b, db, "files",
		   "SELECT role, path, size, codepage, (SELECT name FROM mailboxes WHERE id = f.mailbox_id), "
		   "state, messages, skipped FROM source_files f ORDER BY id");
	dump_query(b, db, "postoffices", "SELECT name, kind, address_type, comments FROM postoffices ORDER BY name");
	dump_query(b, db, "mailboxes",
		   "SELECT m.kind, m.name, m.alias, m.display_name, m.given_name, m.surname, m.address_type, "
		   "m.source_address, m.in_directory, m.comments, s.mail_skipped, s.reason, "
		   "(SELECT path FROM source_files WHERE id = s.mail_file_id) "
		   "FROM mailboxes m JOIN mail_sections s ON s.mailbox_id = m.id ORDER BY m.id");
	dump_query(b, db, "directory",
		   "SELECT e.kind, e.name, e.display_name, e.given_name, e.surname, e.address_type, e.address, "
		   "e.postoffice, e.location, e.comments, (SELECT name FROM dir_entries WHERE id = e.alias_of), "
		   "(SELECT alias FROM mailboxes WHERE id = e.mailbox_id), e.src_offset, length(e.raw) "
		   "FROM dir_entries e ORDER BY e.id");
	dump_query(b, db, "list members",
		   "SELECT l.name, m.position, m.address, e.name FROM list_members m "
		   "JOIN dir_entries l ON l.id = m.list_id LEFT JOIN dir_entries e ON e.id = m.entry_id "
		   "ORDER BY l.id, m.position");
	dump_query(b, db, "personal address books",
		   "SELECT (SELECT alias FROM mailboxes WHERE id = p.mailbox_id), p.position, p.kind, "
		   "p.display_name, p.address_type, p.address, p.first_name, p.last_name, p.note, "
		   "(SELECT group_concat(m.address || ' -> ' || ifnull((SELECT display_name FROM pab_entries "
		   "WHERE id = m.member_pab_id), ifnull((SELECT name FROM dir_entries WHERE id = m.entry_id), "
		   "'?')), '; ') FROM pab_members m WHERE m.pab_id = p.id) "
		   "FROM pab_entries p ORDER BY p.mailbox_id, p.position");
	dump_query(b, db, "folders",
		   "SELECT (SELECT alias FROM mailboxes WHERE id = f.mailbox_id), f.path, f.source_name, "
		   "f.special FROM folders f ORDER BY f.id");
	dump_query(b, db, "messages",
		   "SELECT g.src_offset, g.src_length, (SELECT alias FROM mailboxes WHERE id = g.mailbox_id), "
		   "(SELECT path FROM folders WHERE id = g.folder_id), "
		   "(SELECT src_offset FROM messages WHERE id = g.parent_id), g.sender_raw, g.sender_name, "
		   "g.sender_type, g.sender_address, (SELECT name FROM dir_entries WHERE id = g.sender_entry_id), "
		   "g.subject, g.date_raw, strftime('%Y-%m-%dT%H:%M:%SZ', g.sent_utc, 'unixepoch'), "
		   "g.sent_utc = g.received_utc, g.timezone, g.charset, g.unread, g.unsent, g.priority, "
		   "g.receipt_requested, g.size, g.raw_header "
		   "FROM messages g ORDER BY g.src_file_id, g.src_offset");
	dump_query(b, db, "recipients",
		   "SELECT g.src_offset, r.role, r.position, r.raw, r.display_name, r.address_type, r.address, "
		   "(SELECT kind || ':' || name FROM dir_entries WHERE id = r.entry_id) "
		   "FROM recipients r JOIN messages g ON g.id = r.message_id "
		   "ORDER BY g.src_file_id, g.src_offset, r.role, r.position");
	dump_query(b, db, "bodies",
		   "SELECT g.src_offset, p.position, p.kind, p.title, p.size, substr(p.sha256, 1, 12), "
		   "p.replacements, p.highlights_removed, p.raw IS NOT NULL, p.src_offset, p.text "
		   "FROM body_parts p JOIN messages g ON g.id = p.message_id "
		   "ORDER BY g.src_file_id, g.src_offset, p.position");
	dump_query(b, db, "attachments",
		   "SELECT g.src_offset, a.position, a.kind, a.name, a.title, a.size, substr(a.sha256, 1, 12), "
		   "a.data IS NOT NULL, a.format, a.mac_type, a.mac_creator, a.original_size, "
		   "substr(a.original_sha256, 1, 12), (SELECT src_offset FROM messages WHERE id = a.nested_message_id), "
		   "a.src_offset, quote(substr(a.data, 1, 24)) "
		   "FROM attachments a JOIN messages g ON g.id = a.message_id "
		   "ORDER BY g.src_file_id, g.src_offset, a.position");
	dump_query(b, db, "problems",
		   "SELECT severity, code, file, offset, (SELECT alias FROM mailboxes WHERE id = p.mailbox_id), "
		   "(SELECT src_offset FROM messages WHERE id = p.message_id), item, text "
		   "FROM problems p ORDER BY file, offset, code, id");
}

/* Import path with opts into a new store; dump and compare with
 * tests/fixtures/ccmail/<name>.expected. */
static struct mf_store *golden(const char *name, const char *path,
			       const struct mf_import_opts *opts, int *rc_out)
{
	struct mf_store *st = NULL;
	struct mf_import_stats stats;
	struct mf_diag d;
	struct mf_buf b;
	char db[512], exp_path[512];
	char *want = NULL;
	size_t want_len = 0;
	int64_t run;
	int rc;

	snprintf(db, sizeof(db), "%s/%s.db", t_tmpdir(), name);
	snprintf(exp_path, sizeof(exp_path), "%s",
		 t_srcpath("tests/fixtures/ccmail/"));
	strncat(exp_path, name, sizeof(exp_path) - strlen(exp_path) - 10);
	strcat(exp_path, ".expected");
	if (mf_store_open(&st, db, MF_STORE_CREATE, &d) != MF_OK) {
		t_fail(__FILE__, __LINE__, "open: %s", d.msg);
		return NULL;
	}
	memset(&stats, 0, sizeof(stats));
	mf_diag_clear(&d);
	mf_store_run_begin(st, &run, "import", "ccmail", path, NULL, &d);
	mf_store_set_context(st, run, 0);
	rc = mf_importer_ccmail.import(st, path, opts, &stats, &d);
	if (rc_out)
		*rc_out = rc;
	if (rc != MF_OK && !rc_out)
		t_fail(__FILE__, __LINE__, "import %s: %s", path, d.msg);
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	dump_store(&b, st);
	if (getenv("UPDATE_GOLDEN")) {
		struct mf_diag wd;
		mf_write_atomic(exp_path, b.data, b.len, 0644, 0, &wd);
	}
	if (mf_read_file(&want, &want_len, exp_path, 16 << 20, &d) != MF_OK) {
		t_fail(__FILE__, __LINE__, "no expected file %s (UPDATE_GOLDEN=1 writes it)", exp_path);
	} else if (want_len != b.len || memcmp(want, b.data, b.len) != 0) {
		/* show the first line that differs */
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
			t_fail(__FILE__, __LINE__, "%s differs at line %zu:\n  want: %.*s\n  got:  %.*s",
			       exp_path, line, (int)((we ? we : want + want_len) - (want + ls)), want + ls,
			       (int)((ge ? ge : b.data + b.len) - (b.data + ls)), b.data + ls);
		}
	}
	free(want);
	mf_buf_release(&b);
	return st;
}

static void golden_msg(const char *file, const struct mf_import_opts *extra)
{
	struct mf_import_opts o;
	struct mf_store *st;
	char name[128];
	memset(&o, 0, sizeof(o));
	if (extra)
		o = *extra;
	o.quiet = 1;
	if (!o.mailbox)
		o.mailbox = "Lindqvist, Anna";
	if (!o.postoffice)
		o.postoffice = "SALES01";
	snprintf(name, sizeof(name), "%.*s", (int)(strlen(file) - 4), file);
	{
		char rel[256];
		snprintf(rel, sizeof(rel), "tests/fixtures/ccmail/msg/%s", file);
		st = golden(name, t_srcpath(rel), &o, NULL);
	}
	mf_store_close(&st);
}

static void golden_binary_tokens(void) { golden_msg("e01-binary-tokens.txt", NULL); }
static void golden_sizes(void) { golden_msg("e02-sizes.txt", NULL); }
static void golden_no_contents(void) { golden_msg("e03-no-contents.txt", NULL); }
static void golden_unsized(void) { golden_msg("e04-unsized.txt", NULL); }
static void golden_nested_macbinary(void) { golden_msg("e05-nested-macbinary.txt", NULL); }
static void golden_headers(void) { golden_msg("e06-headers.txt", NULL); }
static void golden_dates(void)
{
	struct mf_import_opts o;
	memset(&o, 0, sizeof(o));
	o.timezone = "Europe/Stockholm";
	golden_msg("e07-dates.txt", &o);
}
static void golden_folders(void) { golden_msg("e08-folders.txt", NULL); }
static void golden_folders_kept(void)
{
	struct mf_import_opts o;
	struct mf_store *st;
	memset(&o, 0, sizeof(o));
	o.quiet = 1;
	o.keep_system_folders = 1;
	o.mailbox = "Lindqvist, Anna";
	o.postoffice = "SALES01";
	st = golden("e08-folders-kept", t_srcpath("tests/fixtures/ccmail/msg/e08-folders.txt"), &o, NULL);
	mf_store_close(&st);
}
static void golden_items(void) { golden_msg("e09-items.txt", NULL); }
static void golden_cp932(void)
{
	struct mf_import_opts o;
	memset(&o, 0, sizeof(o));
	o.codepage = "932";
	o.date_order = "ymd";
	o.timezone = "Asia/Tokyo";
	o.mailbox = "Tanaka, Yuki";
	o.postoffice = "TOKYO01";
	golden_msg("e10-cp932.txt", &o);
}

static void golden_codepage_suspect(void) { golden_msg("e11-codepage-suspect.txt", NULL); }

static int64_t q1(struct mf_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void golden_sample_and_reimport(void)
{
	struct mf_import_opts o;
	struct mf_import_stats stats;
	struct mf_store *st;
	struct mf_diag d;
	int64_t run, before[4];
	static const char *const counts[4] = {
		"SELECT count(*) FROM messages", "SELECT count(*) FROM problems",
		"SELECT count(*) FROM dir_entries", "SELECT count(*) FROM pab_entries",
	};

	memset(&o, 0, sizeof(o));
	o.quiet = 1;
	st = golden("sample", t_srcpath("docs/sample/ccmail"), &o, NULL);
	if (!st)
		return;
	for (int i = 0; i < 4; i++)
		before[i] = q1(st, counts[i]);
	/* importing the same set again changes nothing */
	memset(&stats, 0, sizeof(stats));
	mf_store_run_begin(st, &run, "import", "ccmail", "again", NULL, &d);
	mf_store_set_context(st, run, 0);
	T_EQ_INT(mf_importer_ccmail.import(st, t_srcpath("docs/sample/ccmail"), &o, &stats, &d), MF_OK);
	T_EQ_INT(stats.messages, 0);
	T_EQ_INT(stats.files, 0);
	T_EQ_INT(stats.files_skipped, 11);
	for (int i = 0; i < 4; i++)
		T_EQ_INT(q1(st, counts[i]), before[i]);
	T_EQ_INT(q1(st, "SELECT count(*) FROM sources"), 1);
	mf_store_close(&st);
}

/* Copy file name of the sample set into dir. */
static void sample_file(const char *dir, const char *name)
{
	char src[256], dst[512], *data = NULL;
	size_t len = 0;
	struct mf_diag d;
	snprintf(src, sizeof(src), "docs/sample/ccmail/%s", name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	T_EQ_INT(mf_read_file(&data, &len, t_srcpath(src), 1 << 20, &d), MF_OK);
	T_EQ_INT(mf_write_atomic(dst, data, len, 0644, 0, &d), MF_OK);
	free(data);
}

/*
 * List members are looked up in name order and stored unresolved first
 * (ccmail_stage.c): every kind of member - local, remote, by alias, by
 * Internet address, another list, in another case, unknown, empty,
 * damaged, longer than the queued key (looked up at once), a list without
 * a name - gets the entry it got when each was looked up as it was read,
 * and the warnings come in the lists' order (the expected file was
 * written by that version).
 */
static void golden_list_members(void)
{
	static const char lists[] =
		"List: Marketing Team\r\nComments: Weekly campaign list\r\n"
		"Member: Lindqvist, Anna at SALES01\r\nMember: Brenner, Paul\r\n"
		"Member: jdoe@example.com at SMTPLINK\r\nMember: Ghost, Casper\r\n"
		"\r\nList: All Sales\r\n"
		"Member: Lindqvist, Anna\r\nMember: Okafor, Chidi\r\nMember: Berg, \x8fsa\r\n"
		"Member: Holm, Lars\r\nMember: Nilsson, Erik\r\nMember: Marketing Team\r\n"
		"\r\nList: Extra One\r\nComments: x\r\nMember: Ghost, Casper\r\nMember: SALES DESK\r\n"
		"Member: VerylongnameVerylongnameVerylongnameVerylongnameVerylongnameVerylongname"
		"VerylongnameVerylongnameVerylongname, Someone at SALES01\r\n"
		"Member: Nobody, Here at HQPO\r\nMember: anna l\r\nMember: All Sales\r\n"
		"Member: jdoe@example.com\r\nMember: doe, jane at SMTPLINK\r\nMember: Sato, Kenji at TOKYO01\r\n"
		"\r\nList:\r\nMember: Ghost, Casper\r\n"
		"\r\nList: Extra Two\r\nMember: Ghost, Casper\r\n"
		"Member: Weber, Hans                                                  "
		"                                    \r\n"
		"Member: Zed, Zack\r\nMember: Okafor, Chidi\r\nMember: Extra One\r\nMember: \r\n"
		"Member: <>bad@@ at\r\nMember: Extra Two\r\nMember: WEBER, HANS at HQPO\r\n";
	static const char users[] = "kind,name,file,pab\r\nmailbox,\"Lindqvist, Anna\",,\r\n"
				    "mailbox,\"Okafor, Chidi\",,\r\n";
	struct mf_import_opts o;
	struct mf_store *st;
	struct mf_diag d;
	char dir[512], path[600];

	snprintf(dir, sizeof(dir), "%s/lists-set", t_tmpdir());
	T_ASSERT(mkdir(dir, 0755) == 0 || errno == EEXIST);
	sample_file(dir, "CCMX.TXT");
	sample_file(dir, "DIRECTRY.TXT");
	snprintf(path, sizeof(path), "%s/LISTS.TXT", dir);
	T_EQ_INT(mf_write_atomic(path, lists, sizeof(lists) - 1, 0644, 0, &d), MF_OK);
	snprintf(path, sizeof(path), "%s/USERS.CSV", dir);
	T_EQ_INT(mf_write_atomic(path, users, sizeof(users) - 1, 0644, 0, &d), MF_OK);
	memset(&o, 0, sizeof(o));
	o.quiet = 1;
	st = golden("lists", dir, &o, NULL);
	if (!st)
		return;
	T_EQ_INT(q1(st, "SELECT count(*) FROM list_members"), 28);
	T_EQ_INT(q1(st, "SELECT count(*) FROM list_members WHERE entry_id IS NULL"), 8);
	T_EQ_INT(q1(st, "SELECT count(*) FROM problems WHERE code = 'ccmail.list-member-unresolved'"), 8);
	/* written in the lists' order (the dump above is in offset order) */
	T_EQ_INT(q1(st, "SELECT count(*) FROM problems a JOIN problems b ON b.id > a.id "
			"WHERE a.code = 'ccmail.list-member-unresolved' AND b.code = a.code "
			"AND b.offset < a.offset"), 0);
	mf_store_close(&st);
}

static void resume_after_interruption(void)
{
	/* a file left "importing" with some messages staged is read again and
	 * only the missing messages are added */
	struct mf_import_opts o;
	struct mf_import_stats stats;
	struct mf_store *st;
	struct mf_diag d;
	int64_t run;
	char db[512];

	snprintf(db, sizeof(db), "%s/resume.db", t_tmpdir());
	memset(&o, 0, sizeof(o));
	o.quiet = 1;
	o.mailbox = "Lindqvist, Anna";
	o.postoffice = "SALES01";
	T_EQ_INT(mf_store_open(&st, db, MF_STORE_CREATE, &d), MF_OK);
	memset(&stats, 0, sizeof(stats));
	mf_store_run_begin(st, &run, "import", "ccmail", "x", NULL, &d);
	mf_store_set_context(st, run, 0);
	T_EQ_INT(mf_importer_ccmail.import(st, t_srcpath("tests/fixtures/ccmail/msg/e03-no-contents.txt"),
					   &o, &stats, &d), MF_OK);
	T_EQ_INT(stats.messages, 2);
	T_EQ_INT(stats.messages_skipped, 2);
	/* simulate an interruption after the first message */
	T_EQ_INT(mf_store_exec(st, "DELETE FROM messages WHERE src_offset > 0; "
			       "UPDATE source_files SET state = 'importing'", &d), MF_OK);
	memset(&stats, 0, sizeof(stats));
	T_EQ_INT(mf_importer_ccmail.import(st, t_srcpath("tests/fixtures/ccmail/msg/e03-no-contents.txt"),
					   &o, &stats, &d), MF_OK);
	T_EQ_INT(stats.messages, 1);
	T_EQ_INT(q1(st, "SELECT count(*) FROM messages"), 2);
	T_EQ_INT(q1(st, "SELECT messages FROM source_files"), 2);
	T_EQ_INT(q1(st, "SELECT count(*) FROM source_files WHERE state = 'done'"), 1);
	mf_store_close(&st);
}

static int count_steps(void *ctx)
{
	(*(long *)ctx)++;
	return 0;
}

/* SQLite instructions of the directory look-ups of stage_directory on a
 * directory of n users and n custom recipients. */
static long lookup_steps(int n)
{
	struct mf_store *st;
	struct mf_source_info si;
	struct mf_diag d;
	int64_t src, id = 0;
	long steps = 0;
	char db[512], name[64];

	snprintf(db, sizeof(db), "%s/lookups-%d.db", t_tmpdir(), n);
	remove(db);
	T_EQ_INT(mf_store_open(&st, db, MF_STORE_CREATE, &d), MF_OK);
	memset(&si, 0, sizeof(si));
	si.format = "ccmail";
	si.path = db;
	si.postoffice = "PO";
	T_EQ_INT(mf_store_source(st, &src, &si, &d), MF_OK);
	T_EQ_INT(mf_store_begin(st, &d), MF_OK);
	for (int i = 0; i < 2 * n; i++) {
		struct mf_dir_entry e;
		memset(&e, 0, sizeof(e));
		snprintf(name, sizeof(name), "User%d, Test", i);
		e.kind = i % 2 ? "custom" : "user";
		e.name = name;
		T_EQ_INT(mf_store_dir_entry(st, NULL, src, &e, &d), MF_OK);
	}
	T_EQ_INT(mf_store_commit(st, &d), MF_OK);
	sqlite3_progress_handler(mf_store_db(st), 1, count_steps, &steps);
	T_EQ_INT(mf_store_dir_name_taken(st, src, "user7, TEST", &d), 1);
	T_EQ_INT(mf_store_dir_name_taken(st, src, "Nobody, Known", &d), 0);
	T_EQ_INT(mf_store_dir_named(st, &id, src, "USER8, test", &d), 1);
	T_ASSERT(id > 0);
	sqlite3_progress_handler(mf_store_db(st), 0, NULL, NULL);
	mf_store_close(&st);
	return steps;
}

/* issue 15: the look-ups made once per directory record went through every
 * user of the source (quadratic staging); they must not grow with it */
static void directory_lookups_flat(void)
{
	long small = lookup_steps(200), big = lookup_steps(2000);
	T_ASSERT(small > 0);
	T_ASSERT(big <= 2 * small);
}

static void missing_manifest_is_fatal(void)
{
	struct mf_import_opts o;
	struct mf_import_stats stats;
	struct mf_store *st;
	struct mf_diag d;
	char db[512];
	snprintf(db, sizeof(db), "%s/none.db", t_tmpdir());
	memset(&o, 0, sizeof(o));
	memset(&stats, 0, sizeof(stats));
	o.quiet = 1;
	T_EQ_INT(mf_store_open(&st, db, MF_STORE_CREATE, &d), MF_OK);
	T_ASSERT(mf_importer_ccmail.import(st, t_srcpath("tests/fixtures/ccmail/msg"), &o, &stats, &d) < 0);
	T_ASSERT(strstr(d.msg, "CCMX.TXT") != NULL);
	/* a single file needs its owner */
	T_EQ_INT(mf_importer_ccmail.import(st, t_srcpath("tests/fixtures/ccmail/msg/e01-binary-tokens.txt"),
					   &o, &stats, &d), MF_EUSAGE);
	mf_store_close(&st);
	T_EQ_INT(mf_importer_ccmail.probe(t_srcpath("docs/sample/ccmail")), 100);
	T_EQ_INT(mf_importer_ccmail.probe(t_srcpath("tests/fixtures/ccmail/msg")), 0);
	T_EQ_INT(mf_importer_ccmail.probe(t_srcpath("tests/fixtures/ccmail/msg/e01-binary-tokens.txt")), 40);
}

const struct t_case t_ccmail[] = {
	{ "ccmail: binary payload with tokens, next token right after it", msg_binary_tokens_and_direct_token },
	{ "ccmail: size line of spaces", msg_size_line_of_spaces },
	{ "ccmail: wrong sizes fall back to scanning", msg_size_wrong_falls_back },
	{ "ccmail: message without Contents: skipped", msg_without_contents_is_skipped },
	{ "ccmail: no /ITEMSIZE: nested message, file without data", msg_unsized_nested_and_file_without_data },
	{ "ccmail: truncation sweep", msg_truncation_sweep },
	{ "ccmail: file item titles lose their dates", title_dates_stripped },
	{ "ccmail: MacBinary II", macbinary_decoding },
	{ "ccmail: manifest", manifest_parsing },
	{ "ccmail: USERS.CSV", csv_parsing },
	{ "ccmail: directory records", records_parsing },
	{ "ccmail golden: binary payloads and tokens", golden_binary_tokens },
	{ "ccmail golden: size lines", golden_sizes },
	{ "ccmail golden: messages without Contents:", golden_no_contents },
	{ "ccmail golden: without /ITEMSIZE", golden_unsized },
	{ "ccmail golden: nested messages, MacBinary II", golden_nested_macbinary },
	{ "ccmail golden: headers and addresses", golden_headers },
	{ "ccmail golden: dates", golden_dates },
	{ "ccmail golden: folders", golden_folders },
	{ "ccmail golden: folders, --keep-system-folders", golden_folders_kept },
	{ "ccmail golden: items", golden_items },
	{ "ccmail golden: code page 932", golden_cp932 },
	{ "ccmail golden: text in another code page than declared", golden_codepage_suspect },
	{ "ccmail golden: the sample set, imported twice", golden_sample_and_reimport },
	{ "ccmail golden: list members of every kind", golden_list_members },
	{ "ccmail: resume after an interruption", resume_after_interruption },
	{ "ccmail: missing manifest, single file without owner, probe", missing_manifest_is_fatal },
	{ "ccmail: directory look-ups do not grow with the directory", directory_lookups_flat },
	{ NULL, NULL }
};
