/* SPDX-License-Identifier: MIT */
/* test_exchange.c: the Exchange migration files (writer, exporter, reader). */
#include "tests/harness.h"
#include "core/store_priv.h"
#include "tests/unit/tests.h"
#include "core/hash.h"
#include "exporters/exchange/exch_read.h"
#include "exporters/exchange/exch_write.h"
#include "core/fsutil.h"
#include "engine/export.h"
#include "tests/unit/fixture.h"
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_problem(void *p, const char *file, uint64_t off, const char *text)
{
	(void)p;
	fprintf(stderr, "  set problem: %s: offset %llu: %s\n", file, (unsigned long long)off, text);
}

static const struct exr_visitor print_problems = { NULL, print_problem, NULL, NULL };

/* ---- the worked example of the contract, section 9, byte for byte ---- */

struct line_field {
	const char *v;
	unsigned q;
};

static void put_line(struct mf_buf *b, const struct line_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		exw_fieldz(b, f[i].v, f[i].q, i == 0);
	exw_eol(b);
}

#define F(v) { v, EXW_PLAIN }
#define N(v) { v, EXW_NEVER }
#define D(v) { v, EXW_DOTS }
#define FOLDER(v) { v, EXW_FOLDER }

static void worked_example(void)
{
	struct mf_buf pkl, dir, pri, secb;
	struct exw_sec sec;
	FILE *f;
	char *mem = NULL;
	size_t memlen = 0;
	uint64_t o1, o2, o3, o4, off;
	char hex[MF_SHA256_HEX];
	static const char *const names[] = { "DIRECTRY.PRI", "USERS.PRI", "USERS.SEC" };

	/* USERS.SEC */
	f = open_memstream(&mem, &memlen);
	exw_sec_begin(&sec, f);
	exw_sec_section(&sec, &o1, "Body",
			"John,\r\n\r\nThe Q2 budget review has moved to Friday 10:00.\r\n\r\nJane\r\n",
			66, 1, NULL, EXW_NOPOS, NULL);
	exw_sec_section(&sec, &o2, "Body", "Jane,\r\n\r\nRevised figures attached.\r\n\r\nJohn\r\n",
			44, 0, NULL, EXW_NOPOS, NULL);
	exw_sec_section(&sec, NULL, "Attachment", "Region,Q1,Q2\r\nNorth,100,120\r\nSouth,90,95\r\n",
			42, 1, "budget.txt", 34, NULL);
	exw_sec_section(&sec, &o3, "Body", "", 0, 0, NULL, EXW_NOPOS, NULL);
	exw_sec_section(&sec, NULL, "Document", "Q2 plan: hire two sales reps.\r\n", 31, 1,
			"Q2PLAN.TXT", 0, NULL);
	exw_sec_section(&sec, &o4, "Body", "", 0, 0, NULL, EXW_NOPOS, NULL);
	{
		static const char sc2[] =
			"SCHEDULE+2 EXPORT VERSION 103\r\n"
			"SingleAppointments:\r\n"
			"{\r\n"
			"    Text: \"Budget review\"\r\n"
			"    Start: 03-21-1997 10:00\r\n"
			"    End: 03-21-1997 11:00\r\n"
			"    BusyType: 1\r\n"
			"}\r\n";
		exw_sec_section(&sec, NULL, "Schedule", sc2, sizeof(sc2) - 1, 1, "SMITHJ.SC2", -1, NULL);
	}
	fclose(f);
	T_EQ_INT(o1, 50);
	T_EQ_INT(o2, 136);
	T_EQ_INT(o3, 283);
	T_EQ_INT(o4, 369);
	T_EQ_INT(memlen, 584);
	mf_sha256_hex(hex, mem, memlen);
	T_EQ_STR(hex, "448478877197fb446ab2fb266b175054b46718cc673dc0a1dc4fc297068f565c");
	mf_buf_init(&secb, MF_BUF_UNBOUNDED);
	mf_buf_add(&secb, mem, memlen);
	free(mem);

	/* MIGDEMO.PKL */
	mf_buf_init(&pkl, 4096);
	exw_pkl(&pkl, "1252", names, "PPS", 3);
	T_EQ_INT(pkl.len, 89);
	T_EQ_STR(pkl.data, "1252\r\n\r\nFilename,Filetype\r\nDIRECTRY.PRI,Primary\r\n"
			   "USERS.PRI,Primary\r\nUSERS.SEC,Secondary\r\n");

	/* DIRECTRY.PRI */
	mf_buf_init(&dir, 4096);
	mf_buf_addstr(&dir, "! Demo extraction 1997-03-21 code page 1252\r\nDIRECTORY\r\n"
		      "Obj-Class,Mode,Common-Name,Display-Name,Given-Name,Surname,"
		      "Secondary-Proxy-Addresses,Home-Server\r\n");
	{
		const struct line_field a[] = {
			{ "mailbox", EXW_DIRECTORY }, { "create", EXW_DIRECTORY },
			{ "SmithJ", EXW_DIRECTORY }, { "John Smith", EXW_DIRECTORY },
			{ "John", EXW_DIRECTORY }, { "Smith", EXW_DIRECTORY },
			{ "MIGRATE:CCMAIL:Smith, John at SALESPO", EXW_DIRECTORY },
			{ "~Server", EXW_DIRECTORY } };
		const struct line_field b[] = {
			{ "mailbox", EXW_DIRECTORY }, { "create", EXW_DIRECTORY },
			{ "DoeJ", EXW_DIRECTORY }, { "Jane Doe", EXW_DIRECTORY },
			{ "Jane", EXW_DIRECTORY }, { "Doe", EXW_DIRECTORY },
			{ "MIGRATE:MS:CORPNET/HQPO/JDOE", EXW_DIRECTORY },
			{ "~Server", EXW_DIRECTORY } };
		put_line(&dir, a, 8);
		put_line(&dir, b, 8);
	}
	T_EQ_INT(dir.len, 323);

	/* USERS.PRI */
	mf_buf_init(&pri, 8192);
	mf_buf_addstr(&pri, "MAILMESSAGE,\"CCMAIL:Smith, John at SALESPO\"\r\n");
	mf_buf_addstr(&pri, EXW_MAILMESSAGE_HEADER);
	{
		struct mf_buf p1, p2, p3, p4;
		mf_buf_init(&p1, 64);
		mf_buf_init(&p2, 64);
		mf_buf_init(&p3, 64);
		mf_buf_init(&p4, 64);
		exw_pointer(&p1, "USERS.SEC", o1);
		exw_pointer(&p2, "USERS.SEC", o2);
		exw_pointer(&p3, "USERS.SEC", o3);
		exw_pointer(&p4, "USERS.SEC", o4);
		{
			const struct line_field l1[] = { FOLDER("Inbox"), F("Jane Doe"), F("John Smith"),
				F("Brown, Al [CCMAIL:Brown, Al at SALESPO]"), F(""), F("Budget review"),
				N("19970314091500"), N("19970314091730"), N("1"), N("TRUE"), N("FALSE"),
				N(p1.data) };
			const struct line_field l2[] = { FOLDER("Sent Items"), F("John Smith"), F("Jane Doe"),
				F(""), F(""), F("Re: Budget review, v2"), N("19970314101200"),
				N("19970314101200"), N("0"), N("FALSE"), N("FALSE"), N(p2.data) };
			const struct line_field l3[] = { FOLDER("Projects\\Q2"), F("John Smith"),
				F("John Smith"), F(""), F(""), F("Q2 plan"), N("19970320080000"),
				N("19970320080000"), N(""), N(""), N(""), N(p3.data) };
			const struct line_field l4[] = { FOLDER(""), F("John Smith"), F("John Smith"),
				F(""), F(""), F("Schedule+"), N("19970320080500"), N(""), N(""),
				N("TRUE"), N(""), N(p4.data) };
			put_line(&pri, l1, 12);
			put_line(&pri, l2, 12);
			put_line(&pri, l3, 12);
			put_line(&pri, l4, 12);
		}
		mf_buf_release(&p1);
		mf_buf_release(&p2);
		mf_buf_release(&p3);
		mf_buf_release(&p4);
	}
	exw_eol(&pri);
	mf_buf_addstr(&pri, "PAB,");
	exw_fieldz(&pri, "MIGRATE:CCMAIL:Smith, John at SALESPO", EXW_DOTS, 1);
	exw_eol(&pri);
	mf_buf_addstr(&pri, EXW_PAB_HEADER);
	{
		const char *e[24] = { "entry", "Bob Jones", "SMTP:bob@example.com", "Bob", "Jones" };
		const char *l[24] = { "dl", "Sales Team", "Bob Jones;CCMAIL:Brown, Al at SALESPO" };
		e[11] = "Example, Inc.";
		e[15] = "555-0100";
		l[23] = "Weekly sales meeting list";
		for (int i = 0; i < 24; i++)
			exw_fieldz(&pri, e[i], i == 2 ? EXW_DOTS : EXW_PLAIN, i == 0);
		exw_eol(&pri);
		for (int i = 0; i < 24; i++)
			exw_fieldz(&pri, l[i], i == 2 ? EXW_DOTS : EXW_PLAIN, i == 0);
		exw_eol(&pri);
	}
	exw_eol(&pri);
	mf_buf_addstr(&pri, "MAILMESSAGE,");
	exw_fieldz(&pri, "MS:CORPNET/HQPO/JDOE", EXW_PLAIN, 1);
	exw_eol(&pri);
	mf_buf_addstr(&pri, EXW_MAILMESSAGE_HEADER);
	T_EQ_INT(pri.len, 1127);
	{
		/* spot-check lines from the contract */
		T_ASSERT(strstr(pri.data, "Projects\\Q2,John Smith,John Smith,,,Q2 plan,"
					   "19970320080000,19970320080000,,,,#USERS.SEC(283)\r\n") != NULL);
		T_ASSERT(strstr(pri.data, "entry,Bob Jones,\"SMTP:bob@example.com\",Bob,Jones,,,,,,,"
					   "\"Example, Inc.\",,,,555-0100,,,,,,,,\r\n") != NULL);
		T_ASSERT(strstr(pri.data, "dl,Sales Team,\"Bob Jones;CCMAIL:Brown, Al at SALESPO\","
					   ",,,,,,,,,,,,,,,,,,,,Weekly sales meeting list\r\n") != NULL);
	}
	/* the reader finds the set valid and sees everything in it */
	{
		char path[512];
		struct exr_stats st;
		struct mf_diag d;
		snprintf(path, sizeof(path), "%s/MIGDEMO.PKL", t_tmpdir());
		mf_write_atomic(path, pkl.data, pkl.len, 0644, 0, &d);
		snprintf(path, sizeof(path), "%s/DIRECTRY.PRI", t_tmpdir());
		mf_write_atomic(path, dir.data, dir.len, 0644, 0, &d);
		snprintf(path, sizeof(path), "%s/USERS.PRI", t_tmpdir());
		mf_write_atomic(path, pri.data, pri.len, 0644, 0, &d);
		snprintf(path, sizeof(path), "%s/USERS.SEC", t_tmpdir());
		mf_write_atomic(path, secb.data, secb.len, 0644, 0, &d);
		T_EQ_INT(exr_walk(t_tmpdir(), &print_problems, &st, &d), MF_OK);
		T_EQ_INT(st.problems, 0);
		T_EQ_INT(st.messages, 4);
		T_EQ_INT(st.directory_lines, 2);
		T_EQ_INT(st.pab_lines, 2);
		T_EQ_INT(st.attachments, 1);
		T_EQ_INT(st.documents, 1);
		T_EQ_INT(st.schedules, 1);
		T_EQ_INT(st.sections, 4);
		T_EQ_STR(st.codepage, "1252");
	}
	off = 0;
	(void)off;
	mf_buf_release(&pkl);
	mf_buf_release(&dir);
	mf_buf_release(&pri);
	mf_buf_release(&secb);
}

static void quoting(void)
{
	struct mf_buf b;
	mf_buf_init(&b, 1024);
	exw_fieldz(&b, "plain", EXW_PLAIN, 1);
	exw_fieldz(&b, "a,b", EXW_PLAIN, 0);
	exw_fieldz(&b, "say \"hi\"", EXW_PLAIN, 0);
	exw_fieldz(&b, "#hash", EXW_PLAIN, 0);
	exw_fieldz(&b, "50%", EXW_PLAIN, 0);
	exw_fieldz(&b, "ends\\", EXW_PLAIN, 0);
	exw_fieldz(&b, " lead", EXW_PLAIN, 0);
	exw_fieldz(&b, "a.b", EXW_PLAIN, 0);
	exw_fieldz(&b, "a.b", EXW_DOTS, 0);
	exw_fieldz(&b, "C:\\DOS", EXW_DIRECTORY, 0);
	exw_fieldz(&b, "Projects\\Q2", EXW_FOLDER, 0);
	exw_fieldz(&b, "#Board", EXW_FOLDER, 0);
	exw_fieldz(&b, "!x", EXW_FOLDER, 0);
	T_EQ_STR(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"#hash\",\"50%\",\"ends\\\",\" lead\","
			 "a.b,\"a.b\",\"C:\\\\DOS\",Projects\\Q2,\"#Board\",\"!x\"");
	mf_buf_release(&b);
}

static void encoders(void)
{
	struct mf_charset *cs;
	struct mf_diag d;
	struct mf_buf b;
	size_t rep = 0;

	mf_charset_open(&cs, "1252", &d);
	mf_buf_init(&b, 4096);
	exw_encode_text(&b, cs, "a\nb\rc\r\nd€日", strlen("a\nb\rc\r\nd€日"), &rep);
	T_EQ_MEM(b.data, b.len, "a\r\nb\r\nc\r\nd\x80?", 12);
	T_EQ_INT(rep, 1);
	mf_buf_reset(&b);
	exw_encode_line(&b, cs, "sub\r\nject\t\x01x", 13, NULL);
	T_EQ_STR(b.data, "sub  ject x");
	mf_buf_reset(&b);
	exw_encode_name(&b, cs, "Doe; \"Jane\"", NULL);
	T_EQ_STR(b.data, "Doe, Jane");
	mf_buf_reset(&b);
	exw_encode_filename(&b, cs, "../../etc/pass(wd);1", "dat");
	T_EQ_STR(b.data, "pass_wd__1.dat");
	mf_buf_reset(&b);
	exw_encode_filename(&b, cs, "C:\\DOCS\\Budget 97.WK4", "dat");
	T_EQ_STR(b.data, "Budget 97.WK4");
	mf_buf_reset(&b);
	exw_encode_filename(&b, cs, "日本.txt", "dat");
	T_EQ_STR(b.data, "__.txt");
	mf_buf_reset(&b);
	exw_encode_filename(&b, cs, "", "pcx");
	T_EQ_STR(b.data, "attachment.pcx");
	mf_buf_reset(&b);
	exw_encode_folder_level(&b, cs, "Q1, \"big\"\\x", 12, NULL);
	T_EQ_STR(b.data, "Q1 bigx");
	T_EQ_STR(exw_codepage_number("CP1252"), "1252");
	T_ASSERT(exw_codepage_number("UTF-8") == NULL);
	mf_buf_release(&b);
	mf_charset_free(&cs);
}

/* ---- the exporter, read back ---- */

extern const struct mf_exporter mf_exporter_exchange;

struct seen {
	int mm_sections, pab_sections, dir_lines, messages, problems;
	char args[16][256];
	int nargs;
	char subjects[16][512];
	char senders[16][512];
	char to[16][512];
	int nmsg;
	char att_sha[16][65];
	char att_name[16][128];
	int natt;
};

static void s_problem(void *p, const char *file, uint64_t off, const char *text)
{
	struct seen *s = p;
	s->problems++;
	fprintf(stderr, "  set problem: %s: offset %llu: %s\n", file, (unsigned long long)off, text);
}

static void s_section(void *p, const char *file, const char *kind, const char *arg)
{
	struct seen *s = p;
	(void)file;
	if (!strcmp(kind, "MAILMESSAGE")) {
		s->mm_sections++;
		if (s->nargs < 16)
			snprintf(s->args[s->nargs++], 256, "%s", arg);
	} else if (!strcmp(kind, "PAB")) {
		s->pab_sections++;
	}
}

static void s_line(void *p, const struct exr_line *l)
{
	struct seen *s = p;
	if (!strcmp(l->section, "DIRECTORY"))
		s->dir_lines++;
	if (strcmp(l->section, "MAILMESSAGE") || l->n_fields != 12)
		return;
	if (s->nmsg < 16) {
		snprintf(s->subjects[s->nmsg], 512, "%s", l->field[5]);
		snprintf(s->senders[s->nmsg], 512, "%s", l->field[1]);
		snprintf(s->to[s->nmsg], 512, "%s", l->field[2]);
		s->nmsg++;
	}
	s->messages++;
	for (size_t i = 0; i < l->n_items; i++) {
		if (strcmp(l->items[i].type, "Attachment") || s->natt >= 16)
			continue;
		mf_sha256_hex(s->att_sha[s->natt], l->items[i].data, l->items[i].len);
		snprintf(s->att_name[s->natt], 128, "%s", l->items[i].name);
		s->natt++;
	}
}

static int walk_set(const char *dir, struct seen *s)
{
	struct exr_visitor v = { s, s_problem, s_section, s_line };
	struct exr_stats st;
	struct mf_diag d;
	memset(s, 0, sizeof(*s));
	if (exr_walk(dir, &v, &st, &d) < 0) {
		t_fail(__FILE__, __LINE__, "walk %s: %s", dir, d.msg);
		return -1;
	}
	return (int)st.problems;
}

static int run_export(struct mf_store *st, const char *out, int no_mail)
{
	struct mf_export_opts o;
	struct mf_export_summary sum;
	struct mf_diag d;
	int rc;
	memset(&o, 0, sizeof(o));
	o.out = out;
	o.quiet = 1;
	o.no_mail = no_mail;
	o.lease_timeout = 120;
	rc = mf_export_run(st, &mf_exporter_exchange, &o, &sum, &d);
	if (rc < 0)
		t_fail(__FILE__, __LINE__, "export: %s", d.msg);
	mf_export_summary_release(&sum);
	return rc;
}

static int exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

static void every_mailbox_has_its_section(void)
{
	struct t_fixture f;
	struct seen s;
	char out[512], set[600];
	char sha[MF_SHA256_HEX];

	t_fixture_build(&f);
	snprintf(out, sizeof(out), "%s/exch", t_tmpdir());
	T_EQ_INT(run_export(f.st, out, 0), MF_OK);
	snprintf(set, sizeof(set), "%s/SALES01.001", out);
	T_ASSERT(exists(set));
	T_EQ_INT(walk_set(set, &s), 0);
	/* one MAILMESSAGE section per mailbox, the one without mail too */
	T_EQ_INT(s.mm_sections, 3);
	T_EQ_STR(s.args[2], "CCMAIL:Okafor, Chidi at SALES01");
	T_EQ_INT(s.messages, 4);
	T_EQ_INT(s.dir_lines, 3);
	/* the attachment's bytes, read back through the pointers */
	mf_sha256_hex(sha, "\x00\x01\x02binary", 9);
	T_EQ_INT(s.natt, 2);
	T_EQ_STR(s.att_sha[0], sha);
	T_EQ_STR(s.att_name[0], "BUDGET.WK4");
	T_EQ_STR(s.att_name[1], "Forwarded.txt");
	/* a recipient not in the directory appears as Name [TYPE:address] */
	T_EQ_STR(s.to[0], "Lindqvist, Anna [CCMAIL:Lindqvist, Anna at SALES01]");
	/* layout: packing list, directory, one pair per mailbox */
	snprintf(set, sizeof(set), "%s/SALES01.001/SALES01.PKL", out);
	T_ASSERT(exists(set));
	snprintf(set, sizeof(set), "%s/SALES01.001/00000003.SEC", out);
	T_ASSERT(exists(set));

	/* --no-mail: still a section for every mailbox, no message */
	snprintf(out, sizeof(out), "%s/nomail", t_tmpdir());
	T_EQ_INT(run_export(f.st, out, 1), MF_OK);
	snprintf(set, sizeof(set), "%s/SALES01.001", out);
	T_EQ_INT(walk_set(set, &s), 0);
	T_EQ_INT(s.mm_sections, 3);
	T_EQ_INT(s.messages, 0);
	t_fixture_release(&f);
}

static void reruns_resume_and_deltas(void)
{
	struct t_fixture f;
	struct seen s;
	char out[512], p[700];
	struct mf_diag d;

	t_fixture_build(&f);
	snprintf(out, sizeof(out), "%s/exch", t_tmpdir());
	T_EQ_INT(run_export(f.st, out, 0), MF_OK);
	/* nothing new: nothing written */
	T_EQ_INT(run_export(f.st, out, 0), MF_OK);
	snprintf(p, sizeof(p), "%s/SALES01.002", out);
	T_ASSERT(!exists(p));

	/* an interrupted run: the packing list is missing and the ledger lost
	 * Paul's mailbox; the next run finishes the same set */
	snprintf(p, sizeof(p), "%s/SALES01.001/SALES01.PKL", out);
	unlink(p);
	sqlite3_exec(mf_store_db(f.st), "DELETE FROM deliveries WHERE mailbox_id = 2", NULL, NULL, NULL);
	T_EQ_INT(run_export(f.st, out, 0), MF_OK);
	snprintf(p, sizeof(p), "%s/SALES01.002", out);
	T_ASSERT(!exists(p));
	snprintf(p, sizeof(p), "%s/SALES01.001", out);
	T_EQ_INT(walk_set(p, &s), 0);
	T_EQ_INT(s.mm_sections, 3);
	T_EQ_INT(s.messages, 4);

	/* new mail after the set was finished: the next set holds only it */
	{
		static const char sql[] =
			"INSERT INTO messages(mailbox_id, folder_id, src_file_id, src_offset, src_length, "
			"src_sha256, raw_header, subject, sent_utc, imported_at) VALUES (1, 1, 1, 999, 1, 'x', "
			"x'', 'Late, \"odd\" #1; 50% C:\\dir\r\nline two日', 900000000, 0)";
		T_EQ_INT(mf_store_exec(f.st, sql, &d), MF_OK);
	}
	T_EQ_INT(run_export(f.st, out, 0), MF_OK);
	snprintf(p, sizeof(p), "%s/SALES01.002", out);
	T_EQ_INT(walk_set(p, &s), 0);
	T_EQ_INT(s.mm_sections, 1);
	T_EQ_INT(s.messages, 1);
	T_EQ_INT(s.dir_lines, 0);
	/* hostile subject: nothing broke a field or a line */
	T_EQ_STR(s.subjects[0], "Late, \"odd\" #1; 50% C:\\dir  line two?");
	t_fixture_release(&f);
}

/* Names, folders and attachments with every character that could break a
 * field or a line come back through the reader as written (with CR LF as
 * spaces, characters outside the code page as '?', and the characters the
 * format cannot carry in names replaced). */
static void hostile_values_round_trip(void)
{
	struct t_fixture f;
	struct seen s;
	struct mf_message m;
	struct mf_body_part b;
	struct mf_attachment a;
	struct mf_recipient r;
	struct mf_diag d;
	int64_t folder, id;
	char out[512], set[600];

	t_fixture_build(&f);
	mf_store_begin(f.st, &d);
	mf_store_mail_file(f.st, f.empty, f.file_id, &d);
	mf_store_folder(f.st, &folder, f.empty, "#Hash, \"x\"\\Sub;dir", "x", NULL, &d);
	memset(&m, 0, sizeof(m));
	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	m.mailbox_id = f.empty;
	m.folder_id = folder;
	m.src_file_id = f.file_id;
	m.src_offset = 5000;
	m.src_length = 1;
	m.src = "x";
	m.raw_header = "";
	m.sender_name = "O\"Brien; Pat, \\ #1";
	m.sender_type = "SMTP";
	m.sender_address = "pat;x]@example.com";
	m.sender_raw = "x";
	m.subject = "!bang, \"q\" \\ # % ; \r\nnext \xe2\x88\x9e";
	r.role = "to";
	r.display_name = "A;B";
	r.raw = "A;B";
	m.recipients = &r;
	m.n_recipients = 1;
	b.kind = "text";
	b.text = "line1\nline2\rline3";
	b.text_len = 17;
	b.raw = b.text;
	b.raw_len = 17;
	b.src_offset = -1;
	m.bodies = &b;
	m.n_bodies = 1;
	a.position = 1;
	a.kind = "file";
	a.name = "../x,y;z\"#(1).txt";
	a.data = "DATA";
	a.size = 4;
	a.has_data = 1;
	a.body_position = -1;
	a.src_offset = -1;
	m.attachments = &a;
	m.n_attachments = 1;
	T_EQ_INT(mf_store_message(f.st, &id, &m, &d), MF_OK);
	mf_store_commit(f.st, &d);

	snprintf(out, sizeof(out), "%s/exch", t_tmpdir());
	T_EQ_INT(run_export(f.st, out, 0), MF_OK);
	snprintf(set, sizeof(set), "%s/SALES01.001", out);
	T_EQ_INT(walk_set(set, &s), 0);
	T_EQ_INT(s.messages, 5);
	{
		int k = -1;
		for (int i = 0; i < s.nmsg; i++)
			if (s.subjects[i][0] == '!')
				k = i;
		T_ASSERT(k >= 0);
		if (k >= 0) {
			T_EQ_STR(s.subjects[k], "!bang, \"q\" \\ # % ;   next ?");
			T_EQ_STR(s.senders[k], "OBrien, Pat, \\ #1 [SMTP:pat,x)@example.com]");
			T_EQ_STR(s.to[k], "A,B");
		}
	}
	{
		int found = 0;
		for (int i = 0; i < s.natt; i++)
			if (!strcmp(s.att_name[i], "x_y_z___1_.txt"))
				found = 1;
		T_ASSERT(found);
	}
	t_fixture_release(&f);
}

const struct t_case t_exchange[] = {
	{ "exchange/hostile values round-trip through the reader", hostile_values_round_trip },
	{ "exchange/every mailbox gets its MAILMESSAGE section, also empty and --no-mail", every_mailbox_has_its_section },
	{ "exchange/re-runs write nothing twice, resume unfinished sets, deltas go to the next set", reruns_resume_and_deltas },
	{ "exchange/worked example of section 9 byte for byte", worked_example },
	{ "exchange/field quoting per the writer policy", quoting },
	{ "exchange/encoding of text, names, file names, folders", encoders },
	{ NULL, NULL }
};
