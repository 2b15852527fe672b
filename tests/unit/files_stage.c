/* SPDX-License-Identifier: MIT */
/* files_stage.c: staged data for the file exporters' tests (files_stage.h). */
#include "tests/unit/files_stage.h"

#include <stdio.h>
#include <string.h>

const char FS_SUBJECT[] = "R\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s f\xc3\xb6r Q2 \xe2\x80\x93 "
			  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
const char FS_ATT_NAME[] = "Bud\xc3\xa9get r\xc3\xa4k.WK4";

static const unsigned char BIN[] = { 0x00, 0x01, 0x02, 0xff, 0xfe, 'F', 'r', 'o', 'm', ' ',
				     '\r', '\n', 0x80, 0x81, 0x0a, 0x0d, 0x00, 0x7f };

struct ctx {
	struct mf_store *st;
	int64_t source_id, file_id;
	int64_t off;
	struct mf_diag *d;
	int rc;
};

static int64_t mailbox(struct ctx *c, const char *kind, const char *name, const char *alias,
		       const char *given, const char *sur, const char *addr)
{
	struct mf_mailbox mb;
	int64_t id = 0;
	memset(&mb, 0, sizeof(mb));
	mb.kind = kind;
	mb.name = name;
	mb.alias = alias;
	mb.display_name = name;
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "CCMAIL";
	mb.source_address = addr;
	mb.in_directory = 1;
	if (c->rc == MF_OK)
		c->rc = mf_store_mailbox(c->st, &id, NULL, c->source_id, &mb, c->d);
	return id;
}

static int64_t folder(struct ctx *c, int64_t mbox, const char *path, const char *special)
{
	int64_t id = 0;
	if (c->rc == MF_OK)
		c->rc = mf_store_folder(c->st, &id, mbox, path, path, special, c->d);
	return id;
}

struct msgspec {
	const char *subject;
	const char *body;
	int unread, unsent, priority, no_date;
	struct mf_attachment *att;
	size_t n_att;
};

static int64_t message(struct ctx *c, int64_t mbox, int64_t fold, const struct msgspec *s)
{
	struct mf_message m;
	struct mf_recipient r[2];
	struct mf_body_part b;
	char src[256];
	int64_t id = 0;

	if (c->rc != MF_OK)
		return 0;
	memset(&m, 0, sizeof(m));
	memset(r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	c->off += 1000;
	snprintf(src, sizeof(src), "message at %lld: %s", (long long)c->off, s->subject);
	m.mailbox_id = mbox;
	m.folder_id = fold;
	m.src_file_id = c->file_id;
	m.src_offset = c->off;
	m.src = src;
	m.src_length = (int64_t)strlen(src);
	m.raw_header = "From: Brenner, Paul\r\n";
	m.raw_header_len = 21;
	m.charset = "CP850";
	m.sender_name = "Brenner, Paul";
	m.sender_type = "CCMAIL";
	m.sender_address = "Brenner, Paul at SALES01";
	m.sender_raw = "Brenner, Paul at SALES01";
	m.subject = s->subject;
	m.date_raw = s->no_date ? "13/45/97" : "3/14/97 9:15";
	if (!s->no_date) {
		m.has_sent = m.has_received = 1;
		m.sent_utc = m.received_utc = 858330900 + c->off;
	}
	m.timezone = "Europe/Stockholm";
	m.unread = s->unread;
	m.unsent = s->unsent;
	m.priority = s->priority;
	r[0].role = "to";
	r[0].raw = "Lindqvist, Anna at SALES01";
	r[1].role = "bcc";
	r[1].raw = "jdoe@example.com at SMTPLINK";
	m.recipients = r;
	m.n_recipients = 2;
	b.kind = "text";
	b.text = s->body;
	b.text_len = strlen(s->body);
	b.raw = s->body;
	b.raw_len = b.text_len;
	b.src_offset = -1;
	m.bodies = &b;
	m.n_bodies = 1;
	m.attachments = s->att;
	m.n_attachments = s->n_att;
	c->rc = mf_store_message(c->st, &id, &m, c->d);
	return id;
}

static void calendar(struct ctx *c, int64_t mbox, const char *uid, const char *summary,
		     const char *kind, int recurring, const char *tz, const char *ical,
		     int64_t *id_out)
{
	struct mf_calendar_item ci;
	int64_t id = 0;
	if (c->rc != MF_OK)
		return;
	memset(&ci, 0, sizeof(ci));
	ci.mailbox_id = mbox;
	ci.src_file_id = 0;
	ci.src_offset = -1;
	ci.kind = kind;
	ci.uid = uid;
	ci.summary = summary;
	ci.has_dtstart = 1;
	ci.dtstart_utc = 858330900;
	ci.timezone = tz;
	ci.recurring = recurring;
	ci.ical = ical;
	ci.source_type = recurring ? "RecurringAppointments" : "SingleAppointments";
	c->rc = mf_store_calendar_item(c->st, &id, &ci, c->d);
	if (id_out)
		*id_out = id;
}

int files_stage_build(struct mf_store *st, struct files_stage *out, struct mf_diag *diag)
{
	struct ctx c;
	struct mf_source_info src;
	enum mf_file_state fs;
	static char longname[FS_LONG_NAME_LEN + 1];
	struct mf_attachment att[6];
	struct mf_message nested;
	struct mf_body_part nb;
	struct mf_attachment natt;
	int64_t f_inbox, f_sent, f_q2, f_proj, f_draft, f_qa, f_dot, f_evil, p_inbox, b_inbox;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.d = diag;
	memset(&src, 0, sizeof(src));
	src.format = "ccmail";
	src.path = "/sets/SALES01";
	src.postoffice = "SALES01";
	src.codepage = "CP850";
	src.timezone = "Europe/Stockholm";
	if ((c.rc = mf_store_begin(st, diag)) < 0)
		return c.rc;
	c.rc = mf_store_source(st, &c.source_id, &src, diag);
	out->anna = mailbox(&c, "mailbox", "Lindqvist, Anna", NULL, "Anna", "Lindqvist",
			    "CCMAIL:Lindqvist, Anna at SALES01");
	out->paul = mailbox(&c, "mailbox", "Brenner, Paul", NULL, "Paul", "Brenner",
			    "CCMAIL:Brenner, Paul at SALES01");
	out->chidi = mailbox(&c, "mailbox", "Okafor, Chidi", NULL, "Chidi", "Okafor",
			     "CCMAIL:Okafor, Chidi at SALES01");
	out->board = mailbox(&c, "public", "#Announcements", NULL, NULL, NULL,
			     "CCMAIL:#Announcements at SALES01");
	if (c.rc == MF_OK)
		c.rc = mf_store_file_begin(st, &c.file_id, &fs, c.source_id, "mail", "MAIL/ALL.TXT",
					   100000, "00", "CP850", out->anna, diag);
	if (c.rc == MF_OK)
		c.rc = mf_store_mail_file(st, out->anna, c.file_id, diag);
	if (c.rc == MF_OK)
		c.rc = mf_store_mail_file(st, out->paul, c.file_id, diag);
	if (c.rc == MF_OK)
		c.rc = mf_store_mail_file(st, out->board, c.file_id, diag);

	f_inbox = folder(&c, out->anna, "Inbox", "inbox");
	f_sent = folder(&c, out->anna, "Sent Items", "sent");
	f_proj = folder(&c, out->anna, "Projects", NULL);
	f_q2 = folder(&c, out->anna, "Projects\\Q2", NULL);
	f_draft = folder(&c, out->anna, "Entw\xc3\xbc" "rfe", "drafts");
	f_qa = folder(&c, out->anna, "Q&A", NULL);
	f_dot = folder(&c, out->anna, "Reports.1997", NULL);
	f_evil = folder(&c, out->anna, "..\\..\\etc", NULL);
	p_inbox = folder(&c, out->paul, "Inbox", "inbox");
	b_inbox = folder(&c, out->board, "Inbox", "inbox");

	/* the message with everything awkward */
	memset(att, 0, sizeof(att));
	memset(longname, 'L', FS_LONG_NAME_LEN);
	memcpy(longname + FS_LONG_NAME_LEN - 4, ".txt", 4);
	for (int i = 0; i < 5; i++) {
		att[i].position = i + 1;
		att[i].kind = "file";
		att[i].data = BIN;
		att[i].size = sizeof(BIN) - (size_t)i;
		att[i].has_data = 1;
		att[i].body_position = -1;
		att[i].src_offset = -1;
	}
	att[0].name = FS_ATT_NAME;
	att[1].name = "../../etc/passwd";
	att[2].name = "CON";
	att[3].name = longname;
	att[4].name = "..\\..\\AUTOEXEC.BAT";
	memset(&nested, 0, sizeof(nested));
	memset(&nb, 0, sizeof(nb));
	memset(&natt, 0, sizeof(natt));
	nested.src = "forwarded one";
	nested.src_length = 13;
	nested.src_offset = 1;
	nested.raw_header = "";
	nested.subject = "Forwarded \xc3\xa9t\xc3\xa9";
	nested.sender_raw = "ACMENET/HQPO/ERAMIREZ";
	nb.kind = "text";
	nb.text = "inner text\r\nFrom inside\r\n";
	nb.text_len = strlen(nb.text);
	nb.raw = nb.text;
	nb.raw_len = nb.text_len;
	nb.src_offset = -1;
	nested.bodies = &nb;
	nested.n_bodies = 1;
	natt.position = 1;
	natt.kind = "file";
	natt.name = "INNER.BIN";
	natt.data = BIN + 3;
	natt.size = sizeof(BIN) - 3;
	natt.has_data = 1;
	natt.body_position = -1;
	natt.src_offset = -1;
	nested.attachments = &natt;
	nested.n_attachments = 1;
	att[5].position = 6;
	att[5].kind = "message";
	att[5].name = "Forwarded";
	att[5].nested = &nested;
	att[5].body_position = -1;
	att[5].src_offset = -1;
	{
		struct msgspec s = { FS_SUBJECT, "Hej Anna,\r\nse bifogad budget.\r\n", 0, 0, 0, 0,
				     att, 6 };
		out->msg_hostile = message(&c, out->anna, f_inbox, &s);
	}
	{
		struct msgspec s = { "From lines", "Hello\r\nFrom the top\r\n>From quoted\r\n"
				     ">>From twice\r\nFrom\r\nFromage\r\n", 1, 0, 0, 0, NULL, 0 };
		out->msg_from = message(&c, out->anna, f_inbox, &s);
	}
	{
		struct msgspec s = { "Undated", "no date\r\n", 0, 0, 0, 1, NULL, 0 };
		message(&c, out->anna, f_inbox, &s);
	}
	{
		struct msgspec s = { "Sent one", "sent\r\n", 0, 0, 1, 0, NULL, 0 };
		message(&c, out->anna, f_sent, &s);
	}
	{
		struct msgspec s = { "Project note", "p\r\n", 0, 0, 0, 0, NULL, 0 };
		message(&c, out->anna, f_proj, &s);
	}
	for (int i = 0; i < 2; i++) {
		struct msgspec s = { i ? "Q2 plan B" : "Q2 plan A", "q2\r\n", i, 0, -1, 0, NULL, 0 };
		message(&c, out->anna, f_q2, &s);
	}
	{
		struct msgspec s = { "Draft", "unsent\r\n", 0, 1, 0, 0, NULL, 0 };
		out->msg_draft = message(&c, out->anna, f_draft, &s);
	}
	{
		struct msgspec s = { "Q and A", "qa\r\n", 0, 0, 0, 0, NULL, 0 };
		message(&c, out->anna, f_qa, &s);
	}
	{
		struct msgspec s = { "Report", "r\r\n", 0, 0, 0, 0, NULL, 0 };
		message(&c, out->anna, f_dot, &s);
	}
	{
		struct msgspec s = { "../../etc/passwd", "evil\r\n", 0, 0, 0, 0, NULL, 0 };
		message(&c, out->anna, f_evil, &s);
	}
	out->n_anna = 11;
	{
		struct msgspec s = { "For Paul", "hi\r\n", 1, 0, 0, 0, NULL, 0 };
		message(&c, out->paul, p_inbox, &s);
	}
	out->n_paul = 1;
	for (int i = 0; i < 2; i++) {
		struct msgspec s = { i ? "Board news 2" : "Board news 1", "news\r\n", 0, 0, 0, 0,
				     NULL, 0 };
		message(&c, out->board, b_inbox, &s);
	}
	out->n_board = 2;
	out->n_messages = out->n_anna + out->n_paul + out->n_board;

	/* calendars (as the MS Mail importer stages them: components, CR LF) */
	calendar(&c, out->paul, "mf-weekly-1", "Weekly status", "event", 1, "Europe/Stockholm",
		 "BEGIN:VEVENT\r\n"
		 "UID:mf-weekly-1\r\n"
		 "DTSTAMP:19970301T000000Z\r\n"
		 "DTSTART;TZID=Europe/Stockholm:19970314T091500\r\n"
		 "DTEND;TZID=Europe/Stockholm:19970314T101500\r\n"
		 "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=FR\r\n"
		 "EXDATE;TZID=Europe/Stockholm:19970321T091500\r\n"
		 "SUMMARY:Weekly status \xe2\x80\x93 r\xc3\xa4ksm\xc3\xb6rg\xc3\xa5s\r\n"
		 "END:VEVENT\r\n"
		 "BEGIN:VEVENT\r\n"
		 "UID:mf-weekly-1\r\n"
		 "DTSTAMP:19970301T000000Z\r\n"
		 "RECURRENCE-ID;TZID=Europe/Stockholm:19970328T091500\r\n"
		 "DTSTART;TZID=Europe/Stockholm:19970328T130000\r\n"
		 "DTEND;TZID=Europe/Stockholm:19970328T140000\r\n"
		 "SUMMARY:Weekly status (moved)\r\n"
		 "END:VEVENT\r\n", NULL);
	calendar(&c, out->paul, "mf-allday-1", "Midsummer", "event", 0, NULL,
		 "BEGIN:VEVENT\r\n"
		 "UID:mf-allday-1\r\n"
		 "DTSTAMP:19970301T000000Z\r\n"
		 "DTSTART;VALUE=DATE:19970620\r\n"
		 "DTEND;VALUE=DATE:19970621\r\n"
		 "SUMMARY:Midsummer\r\n"
		 "CLASS:PRIVATE\r\n"
		 "END:VEVENT\r\n", NULL);
	calendar(&c, out->paul, "mf-task-1", "File the report", "todo", 0, "Europe/Stockholm",
		 "BEGIN:VTODO\r\n"
		 "UID:mf-task-1\r\n"
		 "DTSTAMP:19970301T000000Z\r\n"
		 "DUE;TZID=Europe/Stockholm:19970401T170000\r\n"
		 "SUMMARY:File the report\r\n"
		 "PRIORITY:1\r\n"
		 "STATUS:COMPLETED\r\n"
		 "END:VTODO\r\n", NULL);
	calendar(&c, out->paul, "mf-ny-1", "Call New York", "event", 1, "America/New_York",
		 "BEGIN:VEVENT\r\n"
		 "UID:mf-ny-1\r\n"
		 "DTSTART;TZID=America/New_York:19970505T090000\r\n"
		 "DURATION:PT30M\r\n"
		 "RRULE:FREQ=MONTHLY;BYDAY=1MO;UNTIL=19971231T235959Z\r\n"
		 "SUMMARY:Call New York\r\n"
		 "BEGIN:VALARM\r\n"
		 "ACTION:DISPLAY\r\n"
		 "DESCRIPTION:Call New York\r\n"
		 "TRIGGER:-PT15M\r\n"
		 "END:VALARM\r\n"
		 "END:VEVENT\r\n", NULL);
	calendar(&c, out->paul, "mf-bad-1", "Damaged", "event", 0, NULL,
		 "BEGIN:VEVENT\r\nUID:mf-bad-1\r\nDTSTART:garbage\r\nSUMMARY:Damaged\r\n",
		 &out->cal_bad);
	out->n_calendar_ok = 4;
	if (c.rc == MF_OK)
		c.rc = mf_store_file_end(st, c.file_id, "done", out->n_messages, 0, diag);
	if (c.rc == MF_OK)
		c.rc = mf_store_commit(st, diag);
	else
		mf_store_rollback(st);
	return c.rc;
}
