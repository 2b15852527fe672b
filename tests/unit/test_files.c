/* SPDX-License-Identifier: MIT */
/* test_files.c: the file exporters (maildir, mbox, eml, ics) through the
 * export driver, on the staged data of files_stage.c and fixture.c. */
#include "tests/unit/tests.h"
#include "tests/unit/files_stage.h"
#include "tests/unit/fixture.h"
#include "engine/export.h"
#include "core/fsutil.h"
#include "core/store_priv.h"
#include "exporters/files/ical.h"
#include "exporters/pst/pst.h"
#include "exporters/pst/pst_mapping.h"
#include "exporters/pst/pst_appt.h"

#include <libical/ical.h>

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct env {
	struct mf_store *st;
	struct files_stage fs;
	char db[600], out[600];
};

static void env_open(struct env *e, const char *sub)
{
	struct mf_diag d;
	snprintf(e->db, sizeof(e->db), "%s/stage.db", t_tmpdir());
	snprintf(e->out, sizeof(e->out), "%s/%s", t_tmpdir(), sub);
	if (mf_store_open(&e->st, e->db, MF_STORE_CREATE, &d) < 0 ||
	    files_stage_build(e->st, &e->fs, &d) < 0)
		t_fail(__FILE__, __LINE__, "stage: %s", d.msg);
}

static int run(struct env *e, const char *format, struct mf_export_summary *sum)
{
	struct mf_export_opts o;
	struct mf_diag d;
	struct mf_export_summary local;
	int rc;

	memset(&o, 0, sizeof(o));
	o.out = e->out;
	o.quiet = 1;
	mf_diag_clear(&d);
	rc = mf_export_run(e->st, mf_exporter_find(format), &o, sum ? sum : &local, &d);
	if (rc < 0)
		t_fail(__FILE__, __LINE__, "export %s: %s", format, d.msg);
	if (!sum)
		mf_export_summary_release(&local);
	return rc;
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *path, size_t *len)
{
	char *p = NULL;
	struct mf_diag d;
	if (mf_read_file(&p, len, path, 1u << 24, &d) < 0)
		t_fail(__FILE__, __LINE__, "read %s: %s", path, d.msg);
	return p;
}

static void maildir_layout(void)
{
	struct env e;
	struct mf_export_summary sum;
	char p[1200];
	DIR *d;
	struct dirent *de;
	int found = 0;

	env_open(&e, "md");
	run(&e, "maildir", &sum);
	T_EQ_INT(sum.delivered, e.fs.n_messages);
	T_EQ_INT(sum.mailboxes, 4);
	mf_export_summary_release(&sum);
	/* folders as Dovecot's Maildir++ reads them */
	snprintf(p, sizeof(p), "%s/LindqvistA/cur", e.out);
	T_EQ_INT(count_files(p), 3);
	snprintf(p, sizeof(p), "%s/LindqvistA/.Sent Items/cur", e.out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/LindqvistA/.Projects.Q2/cur", e.out);
	T_EQ_INT(count_files(p), 2);
	snprintf(p, sizeof(p), "%s/LindqvistA/.Entw&APw-rfe/cur", e.out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/LindqvistA/.Q&-A/cur", e.out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/LindqvistA/.Reports_1997/cur", e.out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/LindqvistA/.__.__.etc/cur", e.out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/LindqvistA/.Sent Items/maildirfolder", e.out);
	T_EQ_INT(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/public/.Announcements/cur", e.out);
	T_EQ_INT(count_files(p), 2);
	/* the empty mailbox exists */
	snprintf(p, sizeof(p), "%s/OkaforC/cur", e.out);
	T_EQ_INT(count_files(p), 0);
	/* the draft: D flag, date as mtime, deterministic name */
	snprintf(p, sizeof(p), "%s/LindqvistA/.Entw&APw-rfe/cur", e.out);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		struct stat sb;
		char f[1400];
		long long t;
		if (de->d_name[0] == '.')
			continue;
		found = 1;
		T_ASSERT(strstr(de->d_name, ".mailferry,S=") != NULL);
		T_ASSERT(strlen(de->d_name) > 4 && !strcmp(de->d_name + strlen(de->d_name) - 5, ":2,DS"));
		snprintf(f, sizeof(f), "%s/%s", p, de->d_name);
		T_EQ_INT(stat(f, &sb), 0);
		t = strtoll(de->d_name, NULL, 10);
		T_ASSERT(t > 858330900);
		T_EQ_INT((long long)sb.st_mtime, t);
	}
	if (d)
		closedir(d);
	T_ASSERT(found);
	/* nothing staged as a tmp file is left behind */
	snprintf(p, sizeof(p), "%s/LindqvistA/tmp", e.out);
	T_EQ_INT(count_files(p), 0);
	mf_store_close(&e.st);
}

static void mbox_quoting_and_resume(void)
{
	struct env e;
	char p[1200];
	char *data, *again;
	size_t len, len2;
	struct mf_diag d;
	struct mf_export_summary sum;
	FILE *f;

	env_open(&e, "mb");
	run(&e, "mbox", NULL);
	snprintf(p, sizeof(p), "%s/LindqvistA/Inbox.mbox", e.out);
	data = slurp(p, &len);
	T_ASSERT(data && !strncmp(data, "From Brenner_Paul@SALES01.ccmail.invalid ", 41));
	T_ASSERT(data && strstr(data, "\n>From the top\n") != NULL);
	T_ASSERT(data && strstr(data, "\n>>From quoted\n") != NULL);
	T_ASSERT(data && strstr(data, "\n>>>From twice\n") != NULL);
	T_ASSERT(data && strstr(data, "\nFrom\n") != NULL);
	T_ASSERT(data && strstr(data, "\nFromage\n") != NULL);
	T_ASSERT(data && strstr(data, "\nStatus: O\n") != NULL);    /* the unread one */
	T_ASSERT(data && strstr(data, "\nStatus: RO\n") != NULL);
	snprintf(p, sizeof(p), "%s/LindqvistA/Entw\xc3\xbcrfe.mbox", e.out);
	again = slurp(p, &len2);
	T_ASSERT(again && strstr(again, "\nX-Status: T\n") != NULL);
	free(again);
	/* a crash after writing the last message, before its ledger row */
	T_EQ_INT(mf_store_exec(e.st, "DELETE FROM deliveries WHERE item_kind = 'mailbox' OR "
			       "item_id = (SELECT max(id) FROM messages WHERE subject = 'From lines')",
			       &d), MF_OK);
	snprintf(p, sizeof(p), "%s/LindqvistA/Inbox.mbox", e.out);
	f = fopen(p, "a");
	T_ASSERT(f != NULL);
	if (f) {
		fputs("From x Thu Jan  1 00:00:00 1970\nSubject: torn", f);
		fclose(f);
	}
	run(&e, "mbox", &sum);
	T_EQ_INT(sum.delivered, 1);
	mf_export_summary_release(&sum);
	again = slurp(p, &len2);
	T_EQ_MEM(again, len2, data, len);
	free(again);
	free(data);
	mf_store_close(&e.st);
}

static void eml_names(void)
{
	struct env e;
	char p[1200];
	DIR *d;
	struct dirent *de;
	int n = 0;

	env_open(&e, "eml");
	run(&e, "eml", NULL);
	snprintf(p, sizeof(p), "%s/LindqvistA/Inbox", e.out);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		T_ASSERT(strlen(de->d_name) > 4 &&
			 !strcmp(de->d_name + strlen(de->d_name) - 4, ".eml"));
		if (!strncmp(de->d_name, "undated_", 8))
			continue;
		T_ASSERT(!strncmp(de->d_name, "19970314-", 9));
	}
	if (d)
		closedir(d);
	T_EQ_INT(n, 3);
	/* the subject "../../etc/passwd" in the folder "..\..\etc" */
	snprintf(p, sizeof(p), "%s/LindqvistA/_/_/etc", e.out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/public/Announcements/Inbox", e.out);
	T_EQ_INT(count_files(p), 2);
	mf_store_close(&e.st);
}

static void ics_calendars(void)
{
	struct env e;
	struct mf_export_summary sum;
	struct mf_ical_stats st;
	struct mf_diag d;
	char p[1200];
	char *data;
	size_t len;

	env_open(&e, "ics");
	run(&e, "ics", &sum);
	T_EQ_INT(sum.calendar_items, e.fs.n_calendar_ok);
	mf_export_summary_release(&sum);
	snprintf(p, sizeof(p), "%s/BrennerP.ics", e.out);
	data = slurp(p, &len);
	T_EQ_INT(mf_ical_stats(&st, data, len, &d), MF_OK);
	T_EQ_INT(st.calendars, 1);
	T_EQ_INT(st.events, 4);        /* weekly + its moved occurrence, all-day, New York */
	T_EQ_INT(st.todos, 1);
	T_EQ_INT(st.timezones, 2);
	T_EQ_INT(st.rrules, 2);
	T_EQ_INT(st.exdates, 1);
	T_EQ_INT(st.overrides, 1);
	T_EQ_INT(st.errors, 0);
	T_EQ_INT(st.unknown_tzids, 0);
	T_ASSERT(data && strstr(data, "TZID:Europe/Stockholm\r\n") != NULL);
	T_ASSERT(data && strstr(data, "BEGIN:VTIMEZONE\r\n") != NULL);
	free(data);
	/* every mailbox has its file */
	snprintf(p, sizeof(p), "%s/OkaforC.ics", e.out);
	data = slurp(p, &len);
	T_EQ_INT(mf_ical_stats(&st, data, len, &d), MF_OK);
	T_EQ_INT(st.calendars, 1);
	T_EQ_INT(st.events + st.todos, 0);
	free(data);
	snprintf(p, sizeof(p), "%s/public/Announcements.ics", e.out);
	T_EQ_INT(access(p, F_OK), 0);
	/* the damaged item is refused with a problem, the others delivered */
	{
		sqlite3_stmt *s;
		sqlite3_prepare_v2(mf_store_db(e.st),
				   "SELECT count(*) FROM problems WHERE code = 'ics.invalid-item'", -1, &s,
				   NULL);
		T_EQ_INT(sqlite3_step(s), SQLITE_ROW);
		T_EQ_INT(sqlite3_column_int(s, 0), 1);
		sqlite3_finalize(s);
	}
	mf_store_close(&e.st);
}

static void ical_check_items(void)
{
	struct mf_diag d;
	T_EQ_INT(mf_ical_check_item("BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:19970101T000000Z\r\n"
				    "DTSTART:19970101T100000Z\r\nEND:VEVENT\r\n", &d), MF_OK);
	T_EQ_INT(mf_ical_check_item("", &d), MF_EFORMAT);
	T_EQ_INT(mf_ical_check_item("BEGIN:VEVENT\r\nDTSTART:19970101T100000Z\r\nEND:VEVENT\r\n",
				    &d), MF_EFORMAT);                  /* no UID */
	T_EQ_INT(mf_ical_check_item("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Mars/Olympus:"
				    "19970101T100000\r\nEND:VEVENT\r\n", &d), MF_EFORMAT);
	T_ASSERT(strstr(d.msg, "Mars/Olympus") != NULL);
	T_EQ_INT(mf_ical_check_item("BEGIN:VEVENT\r\nUID:a\r\nDTSTART:garbage\r\nEND:VEVENT\r\n",
				    &d), MF_EFORMAT);
	T_EQ_INT(mf_ical_check_item("BEGIN:VEVENT\r\nUID:a\r\n", &d), MF_EFORMAT);
	T_EQ_INT(mf_ical_check_item("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", &d), MF_EFORMAT);
	/* a UTC TZID gets a VTIMEZONE of its own */
	{
		struct mf_ical_cal *cal = mf_ical_cal_new("x");
		struct mf_buf b;
		struct mf_ical_stats st;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		T_EQ_INT(mf_ical_cal_add(cal, "BEGIN:VEVENT\r\nUID:u\r\nDTSTART;TZID=UTC:"
					 "19970101T100000\r\nEND:VEVENT\r\n", 0, &d), MF_OK);
		T_EQ_INT(mf_ical_cal_write(cal, &b, &d), MF_OK);
		T_EQ_INT(mf_ical_stats(&st, b.data, b.len, &d), MF_OK);
		T_EQ_INT(st.timezones, 1);
		T_EQ_INT(st.unknown_tzids, 0);
		T_ASSERT(strstr(b.data, "DTSTAMP:19700101T000000Z") != NULL);
		mf_buf_release(&b);
		mf_ical_cal_free(&cal);
	}
}

/* The shared fixture: two mailboxes with mail and one without. */
static void fixture_maildir(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary sum;
	struct mf_diag d;
	char out[600], p[800];

	t_fixture_build(&f);
	snprintf(out, sizeof(out), "%s/fx", t_tmpdir());
	memset(&o, 0, sizeof(o));
	o.out = out;
	o.quiet = 1;
	T_EQ_INT(mf_export_run(f.st, mf_exporter_find("maildir"), &o, &sum, &d), MF_OK);
	T_EQ_INT(sum.delivered, 4);
	mf_export_summary_release(&sum);
	snprintf(p, sizeof(p), "%s/LindqvistA/cur", out);
	T_EQ_INT(count_files(p), 2);
	snprintf(p, sizeof(p), "%s/BrennerP/.Projects.Q2/cur", out);
	T_EQ_INT(count_files(p), 1);
	snprintf(p, sizeof(p), "%s/OkaforC/cur", out);
	T_EQ_INT(count_files(p), 0);
	t_fixture_release(&f);
}

/* A personal mailbox whose alias is "public" would share DIR/public. */
static void alias_public_refused(void)
{
	struct mf_store *st;
	struct mf_diag d;
	struct mf_mailbox mb;
	struct mf_source_info src;
	struct mf_export_opts o;
	struct mf_export_summary sum;
	int64_t sid, id;
	char db[600], out[600];

	snprintf(db, sizeof(db), "%s/p.db", t_tmpdir());
	snprintf(out, sizeof(out), "%s/p", t_tmpdir());
	T_EQ_INT(mf_store_open(&st, db, MF_STORE_CREATE, &d), MF_OK);
	memset(&src, 0, sizeof(src));
	src.format = "ccmail";
	src.path = "/x";
	mf_store_source(st, &sid, &src, &d);
	memset(&mb, 0, sizeof(mb));
	mb.kind = "mailbox";
	mb.name = "Public, Relations";
	mb.alias = "public";
	mb.display_name = mb.name;
	mb.address_type = "CCMAIL";
	mb.source_address = "CCMAIL:Public, Relations at PO";
	T_EQ_INT(mf_store_mailbox(st, &id, NULL, sid, &mb, &d), MF_OK);
	memset(&o, 0, sizeof(o));
	o.out = out;
	o.quiet = 1;
	T_ASSERT(mf_export_run(st, mf_exporter_find("maildir"), &o, &sum, &d) < 0);
	T_EQ_INT(sum.mailboxes_failed, 1);
	mf_export_summary_release(&sum);
	mf_store_close(&st);
}

/* A folder 130 levels deep: Maildir++ refuses its messages (the name
 * would pass 250 bytes), the others write it; nothing takes long. */
static void deep_folders(void)
{
	struct mf_store *st;
	struct mf_diag d;
	struct mf_source_info src;
	struct mf_mailbox mb;
	struct mf_message m;
	struct mf_body_part b;
	struct mf_export_opts o;
	struct mf_export_summary sum;
	enum mf_file_state fs;
	int64_t sid, mbid, fid, folder, id;
	char db[600], out[600], path[1000];
	static const char *const fmt[] = { "maildir", "mbox", "eml" };

	snprintf(db, sizeof(db), "%s/deep.db", t_tmpdir());
	T_EQ_INT(mf_store_open(&st, db, MF_STORE_CREATE, &d), MF_OK);
	memset(&src, 0, sizeof(src));
	src.format = "ccmail";
	src.path = "/x";
	mf_store_begin(st, &d);
	mf_store_source(st, &sid, &src, &d);
	memset(&mb, 0, sizeof(mb));
	mb.kind = "mailbox";
	mb.name = "Deep, Diver";
	mb.display_name = mb.name;
	mb.address_type = "CCMAIL";
	mb.source_address = "CCMAIL:Deep, Diver at PO";
	mf_store_mailbox(st, &mbid, NULL, sid, &mb, &d);
	mf_store_file_begin(st, &fid, &fs, sid, "mail", "M", 1, "00", "CP850", mbid, &d);
	mf_store_mail_file(st, mbid, fid, &d);
	for (int i = 0; i < 130; i++)
		memcpy(path + 2 * i, i ? "\\a" : "aa", 2);
	path[260] = '\0';
	T_EQ_INT(mf_store_folder(st, &folder, mbid, path, path, NULL, &d), MF_OK);
	memset(&m, 0, sizeof(m));
	memset(&b, 0, sizeof(b));
	m.mailbox_id = mbid;
	m.folder_id = folder;
	m.src_file_id = fid;
	m.src = "x";
	m.src_length = 1;
	m.raw_header = "";
	m.subject = "deep";
	b.kind = "text";
	b.text = b.raw = "t";
	b.text_len = b.raw_len = 1;
	m.bodies = &b;
	m.n_bodies = 1;
	T_EQ_INT(mf_store_message(st, &id, &m, &d), MF_OK);
	mf_store_file_end(st, fid, "done", 1, 0, &d);
	mf_store_commit(st, &d);
	for (int k = 0; k < 3; k++) {
		snprintf(out, sizeof(out), "%s/deep-%s", t_tmpdir(), fmt[k]);
		memset(&o, 0, sizeof(o));
		o.out = out;
		o.quiet = 1;
		o.force = 1;
		mf_export_run(st, mf_exporter_find(fmt[k]), &o, &sum, &d);
		T_EQ_INT(sum.mailboxes, 1);
		T_EQ_INT(sum.delivered + sum.failed, 1);
		if (k == 0)
			T_EQ_INT(sum.failed, 1);
		else
			T_EQ_INT(sum.delivered, 1);
		mf_export_summary_release(&sum);
	}
	mf_store_close(&st);
}

/* pst_crc (carry-less multiplication where the processor has it, else
 * slicing by 8) against the bytewise definition of [MS-PST] 5.3, at every
 * alignment and length up to 600, from a start value other than 0, on a
 * whole block, and continued across calls. */
static uint32_t crc_bytewise(uint32_t crc, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
	}
	return crc;
}

static void pst_crc_slicing(void)
{
	static uint8_t buf[8200];
	uint32_t x = 12345;
	int bad = 0;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t a = 0; a < 8; a++)
		for (size_t n = 0; n <= 600; n++)
			bad += pst_crc(0, buf + a, n) != crc_bytewise(0, buf + a, n) ||
			       pst_crc(0xDEADBEEFu, buf + a, n) != crc_bytewise(0xDEADBEEFu, buf + a, n);
	T_EQ_INT(bad, 0);
	T_EQ_INT(pst_crc(0, buf, 8176) == crc_bytewise(0, buf, 8176), 1);
	T_EQ_INT(pst_crc(pst_crc(0, buf, 3001), buf + 3001, 5175) == crc_bytewise(0, buf, 8176), 1);
	/* a known value: "123456789", zero start, no final inversion */
	T_EQ_INT(pst_crc(0, "123456789", 9) == 0x2DFD2D88u, 1);
}

/* pst_rrule_walk (the plain rules counted without libical's iterator)
 * against libical's iterator, as pst_appt.c's series_of runs it, on random
 * rules: DAILY and WEEKLY, intervals 1 to 3, BYDAY sets, COUNT, UNTIL or
 * neither, DTSTART from 1990 to 2036 (series that run past 2037 too).
 * Where the walk takes a rule, the count, the last date and "DTSTART is the
 * first occurrence" must be libical's. */
static int rnd(uint32_t *x, int k)
{
	*x = *x * 1103515245u + 12345u;
	return (int)((*x >> 8) % (uint32_t)k);
}
#define RND(k) rnd(&x, (k))

static void pst_rrule_walk_libical(void)
{
	static const char *const dn[7] = { "SU", "MO", "TU", "WE", "TH", "FR", "SA" };
	uint32_t x = 4242;
	int taken = 0, bad = 0;
	for (int i = 0; i < 3000; i++) {
		char rule[200], *p = rule;
		struct icalrecurrencetype rr;
		struct icaltimetype ds = icaltime_null_time(), wl, ll, t;
		uint32_t wn = 0, ln = 0, limit;
		icalrecur_iterator *it;
		int mask, first_ok = 1, unt, daily;
		ds.year = 1990 + RND(47);
		ds.month = 1 + RND(12);
		ds.day = 1 + RND(28);
		ds.hour = RND(24);
		ds.minute = RND(4) * 15;
		ds.second = RND(3) ? 0 : 59;
		mask = RND(4) ? RND(128) : 0;
		unt = RND(3);
		daily = RND(2);
		int interval = RND(3) ? 1 : 2 + RND(2);
		p += sprintf(p, "FREQ=%s;INTERVAL=%d", daily ? "DAILY" : "WEEKLY", interval);
		if (unt == 0) {
			int big = RND(4) == 0;
			p += sprintf(p, ";COUNT=%d", 1 + RND(big ? 700 : 60));
		} else if (unt == 1 && RND(2)) {
			int uy = 1990 + RND(50), um = 1 + RND(12), ud = 1 + RND(28), uh = RND(24);
			int umi = RND(4) * 15, us = RND(2) * 59;
			p += sprintf(p, ";UNTIL=%04d%02d%02dT%02d%02d%02d", uy, um, ud, uh, umi, us);
		} else if (unt == 1) {
			/* UNTIL at an occurrence's time, a second before or after */
			int uy, um, ud, sec = ds.hour * 3600 + ds.minute * 60 + ds.second + RND(3) - 1;
			pst_civil_days(pst_days_civil(ds.year, ds.month, ds.day) + RND(400) +
				       (sec < 0 ? -1 : sec >= 86400 ? 1 : 0), &uy, &um, &ud);
			sec = (sec + 86400) % 86400;
			p += sprintf(p, ";UNTIL=%04d%02d%02dT%02d%02d%02d", uy, um, ud, sec / 3600,
				     sec / 60 % 60, sec % 60);
		}
		for (int d = 0, first = 1; d < 7; d++)
			if (mask & (1 << d)) {
				p += sprintf(p, "%s%s", first ? ";BYDAY=" : ",", dn[d]);
				first = 0;
			}
		rr = icalrecurrencetype_from_string(rule);
		limit = rr.count > 0 || !icaltime_is_null_time(rr.until) ? 100000 : 1;
		if (!pst_rrule_walk(&rr, &ds, limit, &wn, &wl))
			continue;
		taken++;
		ll = ds;
		it = icalrecur_iterator_new(rr, ds);
		T_ASSERT(it != NULL);
		if (!it)
			return;
		for (t = icalrecur_iterator_next(it); !icaltime_is_null_time(t) && ln < limit;
		     t = icalrecur_iterator_next(it)) {
			if (ln == 0 && icaltime_compare(t, ds) != 0)
				first_ok = 0;
			ll = t;
			ln++;
		}
		icalrecur_iterator_free(it);
		if (!first_ok || wn != ln ||
		    (ln && (wl.year != ll.year || wl.month != ll.month || wl.day != ll.day))) {
			if (bad++ < 5)
				fprintf(stderr, "rrule walk: %s from %04d-%02d-%02dT%02d:%02d:%02d: "
					"%u to %04d-%02d-%02d, libical %u to %04d-%02d-%02d%s\n", rule,
					ds.year, ds.month, ds.day, ds.hour, ds.minute, ds.second, wn,
					wl.year, wl.month, wl.day, ln, ll.year, ll.month, ll.day,
					first_ok ? "" : " (DTSTART not first)");
		}
	}
	T_EQ_INT(bad, 0);
	T_ASSERT(taken > 1000);
}
#undef RND

/* ---- the PST mapping CSV (exporters/pst/pst_mapping.c) ---- */

static void put_file(const char *dir, const char *name, const char *data, size_t len)
{
	char p[700];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	T_ASSERT(f != NULL);
	if (!f)
		return;
	T_EQ_INT(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* The CSV of dir as a string (the caller frees it). */
static char *mapping_text(const char *dir, size_t *len)
{
	char p[700], *text = NULL;
	struct mf_diag d;
	snprintf(p, sizeof(p), "%s/%s", dir, PST_MAPPING_NAME);
	*len = 0;
	if (mf_read_file(&text, len, p, 64u << 20, &d) < 0)
		t_fail(__FILE__, __LINE__, "%s: %s", p, d.msg);
	return text;
}

/* One run over a folder with an earlier CSV: its rows are kept for files
 * still there that this run did not name, the later of two rows of a
 * name wins, odd lines are not rows; the same with every row spilled
 * (runs of 2) and with all in memory. */
static void pst_mapping_rows(void)
{
	static const char want[] =
		"Workload,FilePath,Name,Mailbox,IsArchive,TargetRootFolder,ContentCodePage,"
		"SPFileContainer,SPManifestContainer,SPSiteUrl\r\n"
		"Exchange,,A.pst,\"a,1\",FALSE,/,,,,\r\n"
		"Exchange,,C.pst,c-newer@x,FALSE,/,,,,\r\n"
		"Exchange,,D.pst,d2@x,FALSE,/,,,,\r\n"
		"Exchange,,E.pst,\"'=e@x\",FALSE,/,,,,\r\n"
		"Exchange,,F.pst,f@x,FALSE,/,,,,\r\n"
		"Exchange,,R0.pst,r0@x,FALSE,/,,,,\r\n"
		"Exchange,,R1.pst,r1@x,FALSE,/,,,,\r\n"
		"Exchange,,R2.pst,r2-later@x,FALSE,/,,,,\r\n"
		"Exchange,,R3.pst,,FALSE,/,,,,\r\n"
		"Exchange,,R4.pst,r4@x,FALSE,/,,,,\r\n";
	static const size_t runs[] = { 2, 3, 0 };
	for (size_t k = 0; k < MF_ARRAY_LEN(runs); k++) {
		char dir[600], *text, *old = malloc(2048 + PST_MAPPING_LINE_MAX);
		struct pst_mapping *m;
		struct mf_diag d;
		size_t len, ol = 0;
		int names_dir = -1;

		if (!old)
			abort();
		snprintf(dir, sizeof(dir), "%s/map%zu", t_tmpdir(), k);
		T_EQ_INT(mkdir(dir, 0755), 0);
		for (const char *n = "ACDEF"; *n; n++) {
			char fn[16];
			snprintf(fn, sizeof(fn), "%c.pst", *n);
			put_file(dir, fn, "x", 1);
		}
#define OLD(s) do { memcpy(old + ol, s, sizeof(s) - 1); ol += sizeof(s) - 1; } while (0)
		OLD("Workload,FilePath,Name,Mailbox,IsArchive,TargetRootFolder,ContentCodePage,"
		    "SPFileContainer,SPManifestContainer,SPSiteUrl\r\n");
		OLD("Exchange,,C.pst,c-old@x,FALSE,/,,,,\r\n");      /* a later row below */
		OLD("Exchange,,D.pst,d-old@x,FALSE,/,,,,\r\n");      /* this run names D */
		OLD("Exchange,,Gone.pst,g@x,FALSE,/,,,,\r\n");       /* no such file */
		OLD("Exchange,,\"E.pst\",e@x,FALSE,/,,,,\r\n");       /* quoted: not ours */
		OLD("\r\n\n");                                        /* empty lines */
		OLD("Exchange,,C.pst,c-newer@x,FALSE,/,,,,\r");       /* a CR alone ends it */
		OLD("Exchange,,E.pst,=e@x,FALSE,/,,,,\n");
		OLD("Exchange,,../A.pst,up@x,FALSE,/,,,,\n");         /* not a name in DIR */
		OLD("Exchange,,D.pst\n");                             /* too few fields */
		memset(old + ol, 'x', PST_MAPPING_LINE_MAX + 1);      /* too long a line */
		memcpy(old + ol, "Exchange,,F.pst,long@x,", 23);
		ol += PST_MAPPING_LINE_MAX + 1;
		OLD("\nExchange,,F.pst,f@x");                         /* at the end: a NUL */
		old[ol++] = '\0';
		OLD(",junk\nExchange,,C.pst,after-nul@x,FALSE,/,,,,\r\n");
#undef OLD
		put_file(dir, PST_MAPPING_NAME, old, ol);
		free(old);

		m = pst_mapping_new(dir, runs[k]);
		T_EQ_INT(pst_mapping_add(m, "R3.pst", NULL, &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "D.pst", "d1@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "R2.pst", "r2@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "R4.pst", "r4@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "A.pst", "a,1", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "R1.pst", "r1@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "D.pst", "d2@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "R0.pst", "r0@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_add(m, "R2.pst", "r2-later@x", &d), MF_OK);
		T_EQ_INT(pst_mapping_prepare(m, &names_dir, &d), MF_OK);
		T_EQ_INT(names_dir, 0);
		/* this run's 9 and the earlier CSV's C, D, C, E, F (D dropped
		 * when the rows are sorted) */
		T_EQ_INT(pst_mapping_count(m), 14);
		T_ASSERT(runs[k] ? pst_mapping_spilled_runs(m) > 1 : pst_mapping_spilled_runs(m) == 0);
		T_EQ_INT(pst_mapping_commit(m, &d), MF_OK);
		pst_mapping_free(m);
		text = mapping_text(dir, &len);
		T_EQ_MEM(text, len, want, sizeof(want) - 1);
		free(text);
	}
}

/* A row naming directory.pst (any case) is reported; a prepared CSV not
 * committed leaves nothing behind. */
static void pst_mapping_directory(void)
{
	char dir[600];
	struct pst_mapping *m;
	struct mf_diag d;
	int names_dir = 0;
	DIR *dp;
	struct dirent *e;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/mapdir", t_tmpdir());
	T_EQ_INT(mkdir(dir, 0755), 0);
	m = pst_mapping_new(dir, 2);
	T_EQ_INT(pst_mapping_add(m, "a.pst", "a@x", &d), MF_OK);
	T_EQ_INT(pst_mapping_add(m, "Directory.PST", "d@x", &d), MF_OK);
	T_EQ_INT(pst_mapping_add(m, "z.pst", "z@x", &d), MF_OK);
	T_EQ_INT(pst_mapping_prepare(m, &names_dir, &d), MF_OK);
	T_EQ_INT(names_dir, 1);
	pst_mapping_free(m);
	if ((dp = opendir(dir))) {
		while ((e = readdir(dp)))
			n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
		closedir(dp);
	}
	T_EQ_INT(n, 0);
}

/* Heap in use: the arenas' and the mapped blocks' (large ones). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/* Memory does not grow with the rows: 60,000 of them (about 6 MB held as
 * strings) change the heap in use by less than 1.5 MiB, and come out in
 * order. */
static void pst_mapping_flat(void)
{
	enum { N = 60000 };
	char dir[600], name[32], addr[32], *text, *p;
	struct pst_mapping *m;
	struct mf_diag d;
	size_t len, rows = 0, before, after;
	int names_dir, ok = 1;

	snprintf(dir, sizeof(dir), "%s/mapbig", t_tmpdir());
	T_EQ_INT(mkdir(dir, 0755), 0);
	before = heap_in_use();
	m = pst_mapping_new(dir, 0);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t k = (i * 7919u) % N;   /* every number once, out of order */
		snprintf(name, sizeof(name), "Mailbox%06u.pst", k);
		snprintf(addr, sizeof(addr), "mailbox%u@example.com", k);
		T_EQ_INT(pst_mapping_add(m, name, addr, &d), MF_OK);
	}
	after = heap_in_use();
	/* (an allocator that reports nothing, a sanitizer's: 0 both times) */
	T_ASSERT(after < before + (3u << 19));
	T_EQ_INT(pst_mapping_prepare(m, &names_dir, &d), MF_OK);
	T_ASSERT(heap_in_use() < before + (3u << 19));
	T_EQ_INT(pst_mapping_commit(m, &d), MF_OK);
	pst_mapping_free(m);
	text = mapping_text(dir, &len);
	p = text ? strstr(text, "\r\n") : NULL;
	for (p = p ? p + 2 : NULL; p && *p; rows++) {
		char line[128];
		char *e = strstr(p, "\r\n");
		if (!e)
			break;
		snprintf(line, sizeof(line), "Exchange,,Mailbox%06zu.pst,mailbox%zu@example.com,"
			 "FALSE,/,,,,", rows, rows);
		if ((size_t)(e - p) != strlen(line) || memcmp(p, line, strlen(line)))
			ok = 0;
		p = e + 2;
	}
	T_EQ_INT(rows, N);
	T_ASSERT(ok);
	free(text);
}

const struct t_case t_files[] = {
	{ "pst: the mapping CSV, an earlier CSV's rows, the later row of a name", pst_mapping_rows },
	{ "pst: the mapping CSV names directory.pst, nothing left behind", pst_mapping_directory },
	{ "pst: the mapping CSV's rows do not stay in memory", pst_mapping_flat },
	{ "pst: CRC by slices equals the bytewise CRC", pst_crc_slicing },
	{ "pst: plain RRULEs counted without libical's iterator count as libical", pst_rrule_walk_libical },
	{ "files: a folder 130 levels deep", deep_folders },
	{ "maildir: Maildir++ layout, names, flags, mtime", maildir_layout },
	{ "mbox: mboxrd quoting, Status, cut back on resume", mbox_quoting_and_resume },
	{ "eml: one file per message, safe names", eml_names },
	{ "ics: libical reads the calendars back", ics_calendars },
	{ "ics: items checked with libical", ical_check_items },
	{ "maildir: the shared fixture", fixture_maildir },
	{ "files: alias 'public' refused for a personal mailbox", alias_public_refused },
	{ NULL, NULL }
};
