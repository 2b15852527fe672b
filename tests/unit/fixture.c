/* SPDX-License-Identifier: MIT */
/* fixture.c: a small staging store built in code (see fixture.h). */
#include "tests/unit/fixture.h"
#include "tests/harness.h"

#include <stdio.h>
#include <string.h>

static int64_t add_mailbox(struct t_fixture *f, const char *name, const char *given,
			   const char *sur, const char *addr)
{
	struct mf_mailbox mb;
	struct mf_diag d;
	int64_t id = 0;
	memset(&mb, 0, sizeof(mb));
	mb.kind = "mailbox";
	mb.name = name;
	mb.display_name = name;
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "CCMAIL";
	mb.source_address = addr;
	mb.in_directory = 1;
	if (mf_store_mailbox(f->st, &id, NULL, f->source_id, &mb, &d) < 0)
		t_fail(__FILE__, __LINE__, "mailbox: %s", d.msg);
	return id;
}

static int64_t add_message(struct t_fixture *f, int64_t mbox, int64_t folder,
			   int64_t off, const char *subject, int with_attachment)
{
	static const char raw[] = "Message:\r\nFrom: x\r\nContents:\r\nText item:\r\nhello\r\n";
	struct mf_message m, nested;
	struct mf_recipient r[2];
	struct mf_body_part b, nb;
	struct mf_attachment a[2];
	struct mf_diag d;
	int64_t id = 0;

	memset(&m, 0, sizeof(m));
	memset(r, 0, sizeof(r));
	memset(&b, 0, sizeof(b));
	memset(a, 0, sizeof(a));
	m.mailbox_id = mbox;
	m.folder_id = folder;
	m.src_file_id = f->file_id;
	m.src_offset = off;
	m.src_length = sizeof(raw) - 1;
	m.src = raw;
	m.raw_header = "From: x\r\n";
	m.raw_header_len = 9;
	m.charset = "CP850";
	m.sender_name = "Brenner, Paul";
	m.sender_type = "CCMAIL";
	m.sender_address = "Brenner, Paul at SALES01";
	m.sender_raw = "Brenner, Paul at SALES01";
	m.subject = subject;
	m.date_raw = "3/14/97 9:15";
	m.has_sent = m.has_received = 1;
	m.sent_utc = m.received_utc = 858330900 + off;
	m.timezone = "Europe/Stockholm";
	r[0].role = "to";
	r[0].display_name = "Lindqvist, Anna";
	r[0].address_type = "CCMAIL";
	r[0].address = "Lindqvist, Anna at SALES01";
	r[0].raw = "Lindqvist, Anna at SALES01";
	r[1].role = "bcc";
	r[1].raw = "jdoe@example.com at SMTPLINK";
	m.recipients = r;
	m.n_recipients = 2;
	b.position = 0;
	b.kind = "text";
	b.text = "hello\r\n";
	b.text_len = 7;
	b.raw = "hello\r\n";
	b.raw_len = 7;
	b.src_offset = -1;
	m.bodies = &b;
	m.n_bodies = 1;
	if (with_attachment) {
		memset(&nested, 0, sizeof(nested));
		memset(&nb, 0, sizeof(nb));
		nested.src_offset = off + 1;
		nested.src_length = 5;
		nested.src = "inner";
		nested.raw_header = "";
		nested.subject = "Forwarded";
		nb.kind = "text";
		nb.text = "inner text";
		nb.text_len = 10;
		nb.raw = "inner text";
		nb.raw_len = 10;
		nb.src_offset = -1;
		nested.bodies = &nb;
		nested.n_bodies = 1;
		a[0].position = 1;
		a[0].kind = "file";
		a[0].name = "BUDGET.WK4";
		a[0].title = "BUDGET.WK4 5/6/97 3:10PM";
		a[0].data = "\x00\x01\x02binary";
		a[0].size = 9;
		a[0].has_data = 1;
		a[0].body_position = -1;
		a[0].src_offset = -1;
		a[1].position = 2;
		a[1].kind = "message";
		a[1].name = "Forwarded.txt";
		a[1].nested = &nested;
		a[1].body_position = -1;
		a[1].src_offset = -1;
		m.attachments = a;
		m.n_attachments = 2;
	}
	if (mf_store_message(f->st, &id, &m, &d) < 0)
		t_fail(__FILE__, __LINE__, "message: %s", d.msg);
	return id;
}

void t_fixture_build(struct t_fixture *f)
{
	struct mf_source_info src;
	struct mf_diag d;
	enum mf_file_state fs;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/stage.db", t_tmpdir());
	if (mf_store_open(&f->st, f->path, MF_STORE_CREATE, &d) < 0) {
		t_fail(__FILE__, __LINE__, "open: %s", d.msg);
		return;
	}
	memset(&src, 0, sizeof(src));
	src.format = "ccmail";
	src.path = "/sets/SALES01";
	src.postoffice = "SALES01";
	src.codepage = "CP850";
	src.timezone = "Europe/Stockholm";
	mf_store_begin(f->st, &d);
	mf_store_source(f->st, &f->source_id, &src, &d);
	f->anna = add_mailbox(f, "Lindqvist, Anna", "Anna", "Lindqvist",
			      "CCMAIL:Lindqvist, Anna at SALES01");
	f->paul = add_mailbox(f, "Brenner, Paul", "Paul", "Brenner",
			      "CCMAIL:Brenner, Paul at SALES01");
	f->empty = add_mailbox(f, "Okafor, Chidi", "Chidi", "Okafor",
			       "CCMAIL:Okafor, Chidi at SALES01");
	mf_store_file_begin(f->st, &f->file_id, &fs, f->source_id, "mail", "MAIL/ANNA.TXT",
			    100, "0000", "CP850", f->anna, &d);
	mf_store_mail_file(f->st, f->anna, f->file_id, &d);
	mf_store_mail_file(f->st, f->paul, f->file_id, &d);
	mf_store_folder(f->st, &f->inbox_anna, f->anna, "Inbox", "Inbox", "inbox", &d);
	mf_store_folder(f->st, &f->sent_anna, f->anna, "Sent Items", "Message Log", "sent", &d);
	mf_store_folder(f->st, &f->inbox_paul, f->paul, "Projects\\Q2", "Projects\\Q2", NULL, &d);
	f->msg[0] = add_message(f, f->anna, f->inbox_anna, 0, "Budget review", 1);
	f->msg[1] = add_message(f, f->anna, f->sent_anna, 100, "Re: Budget", 0);
	f->msg[2] = add_message(f, f->anna, f->inbox_anna, 200, "Third", 0);
	f->msg[3] = add_message(f, f->paul, f->inbox_paul, 300, "Q2 plan", 0);
	/* the import of the file finished (an unfinished one fails the preflight) */
	mf_store_file_end(f->st, f->file_id, "done", 4, 0, &d);
	if (mf_store_commit(f->st, &d) < 0)
		t_fail(__FILE__, __LINE__, "commit: %s", d.msg);
}

void t_fixture_release(struct t_fixture *f)
{
	mf_store_close(&f->st);
}
