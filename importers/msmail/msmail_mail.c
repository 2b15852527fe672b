/* SPDX-License-Identifier: MIT */
/*
 * msmail_mail.c: the MS Mail importer's mail (one MMFF file per folder,
 * through importers/toolkit.h's staged-file loop), calendars and contacts
 * (.sc2 / .sch), and the maildata/ cross-checks.
 */
#include "importers/msmail/msmail_imp.h"

/* ---- mail ---- */

/* Wall clock in the postoffice's zone to UTC, cached by the day: a day is
 * cached only when its first and last second have the same offset (days
 * with a DST change are converted one by one). */
static int zone_to_utc(struct msm *s, const struct mf_civil *c, int64_t *out)
{
	int64_t key = ((int64_t)c->year * 13 + c->month) * 32 + c->day;
	size_t slot = (size_t)((uint64_t)key % MF_ARRAY_LEN(s->tzc));
	struct mf_civil a = *c, z = *c;
	int64_t ta, tz;

	if (s->tzc[slot].valid && s->tzc[slot].key == key) {
		if (s->tzc[slot].valid > 0) {
			*out = mf_civil_to_utc_naive(c) + s->tzc[slot].delta;
			return MF_OK;
		}
		return mf_tz_local_to_utc(out, s->tz, c);
	}
	a.hour = a.min = a.sec = 0;
	z.hour = 23;
	z.min = z.sec = 59;
	s->tzc[slot].key = key;
	if (mf_tz_local_to_utc(&ta, s->tz, &a) == MF_OK && mf_tz_local_to_utc(&tz, s->tz, &z) == MF_OK &&
	    ta - mf_civil_to_utc_naive(&a) == tz - mf_civil_to_utc_naive(&z)) {
		s->tzc[slot].delta = ta - mf_civil_to_utc_naive(&a);
		s->tzc[slot].valid = 1;
		*out = mf_civil_to_utc_naive(c) + s->tzc[slot].delta;
		return MF_OK;
	}
	s->tzc[slot].valid = -1;
	return mf_tz_local_to_utc(out, s->tz, c);
}

static int64_t local_to_utc(struct msm *s, const char *raw, int *ok, unsigned *flags)
{
	struct mf_civil c;
	int64_t t = 0;
	*ok = mf_date_parse(&c, flags, raw, strlen(raw), MF_ORDER_YMD) == MF_OK &&
	      zone_to_utc(s, &c, &t) == MF_OK;
	return t;
}

static int is_schedule_class(const char *cls)
{
	return cls && !strncmp(cls, "IPM.Microsoft Schedule.", 23);
}

/* Build and stage one message.  *id_out is its row. */
static int stage_message(struct msm *s, const struct mf_mmff_msg *m, int64_t mailbox_id,
			 int64_t folder_id, int64_t file_id, int64_t *id_out)
{
	struct mf_message g;
	struct mf_textized tx;
	int have_tx;
	struct mf_span body = m->body;
	struct mf_body_part bp;
	size_t repl = 0, text_len;
	char *text;

	memset(&g, 0, sizeof(g));
	memset(&bp, 0, sizeof(bp));
	g.mailbox_id = mailbox_id;
	g.folder_id = folder_id;
	g.src_file_id = file_id;
	g.src_offset = (int64_t)m->offset;
	g.src_length = (int64_t)m->length;
	g.src = m->raw.p;
	g.charset = s->cp;
	g.timezone = s->tz;

	/* the textized header */
	have_tx = mf_textized_parse(&tx, body);
	g.raw_header = m->header.p;
	g.raw_header_len = m->header.len;
	if (have_tx) {
		g.raw_header_len += tx.header_len;
		body.p += tx.header_len;
		body.len -= tx.header_len;
		g.message_class = msi_span_utf8(s, tx.message_class);
		if (tx.field[MF_TXH_MESSAGE_ID].p && tx.field[MF_TXH_MESSAGE_ID].len)
			g.message_id = msi_span_utf8(s, tx.field[MF_TXH_MESSAGE_ID]);
		if (tx.field[MF_TXH_CONVERSATION_ID].p && tx.field[MF_TXH_CONVERSATION_ID].len)
			g.conversation_id = msi_span_utf8(s, tx.field[MF_TXH_CONVERSATION_ID]);
		if (tx.field[MF_TXH_PARENT_ID].p && tx.field[MF_TXH_PARENT_ID].len)
			g.parent_message_id = msi_span_utf8(s, tx.field[MF_TXH_PARENT_ID]);
		if (!tx.n_labels_known)
			msi_problem(s, MF_INFO, "msmail.textized-labels", m->body_offset,
				    "textized header with no label mailferry knows (English, German, "
				    "French, Spanish); only its message class was read");
	}
	/* subject: the full one of the header, else SUBJECT: */
	if (have_tx && tx.field[MF_TXH_SUBJECT].p && tx.field[MF_TXH_SUBJECT].len)
		g.subject = msi_span_utf8(s, tx.field[MF_TXH_SUBJECT]);
	else if (m->subject.p)
		g.subject = msi_span_utf8(s, m->subject);

	/* sender */
	if (m->from.p && m->from.len) {
		char type[24];
		struct mf_span addr;
		const struct dent *e;
		g.sender_raw = msi_span_utf8(s, m->from);
		msi_addr_split(type, &addr, g.sender_raw, strlen(g.sender_raw));
		g.sender_type = type[0] ? mf_arena_strdup(&s->arena, type) : NULL;
		g.sender_address = addr.len ? mf_arena_strndup(&s->arena, (const char *)addr.p, addr.len)
					    : NULL;
		e = msi_lookup(s, g.sender_raw);
		if (e) {
			g.sender_entry_id = e->id;
			g.sender_name = e->display;
		} else if (have_tx && tx.field[MF_TXH_FROM].p && tx.field[MF_TXH_FROM].len) {
			g.sender_name = msi_span_utf8(s, tx.field[MF_TXH_FROM]);
		}
	} else {
		msi_problem(s, MF_WARNING, "msmail.mmff-no-from", m->offset, "message without FROM:");
	}

	/* recipients */
	if (m->n_rcpt) {
		g.recipients = mf_arena_zalloc(&s->arena, m->n_rcpt * sizeof(*g.recipients));
		for (size_t i = 0; i < m->n_rcpt; i++) {
			struct mf_recipient *r = &g.recipients[i];
			char type[24];
			struct mf_span addr;
			const struct dent *e;
			r->role = m->rcpt[i].role == MF_MMFF_CC ? "cc" : "to";
			r->raw = msi_span_utf8(s, m->rcpt[i].value);
			msi_addr_split(type, &addr, r->raw, strlen(r->raw));
			r->address_type = type[0] ? mf_arena_strdup(&s->arena, type) : NULL;
			r->address = addr.len ? mf_arena_strndup(&s->arena, (const char *)addr.p, addr.len)
					      : NULL;
			e = msi_lookup(s, r->raw);
			if (e) {
				r->entry_id = e->id;
				r->display_name = e->display;
			}
		}
		g.n_recipients = m->n_rcpt;
	}

	/* date and time, in the postoffice's zone */
	{
		char raw[80];
		struct mf_span dt = m->date;
		int ok = 0;
		unsigned fl = 0;
		if (!dt.p && have_tx && tx.field[MF_TXH_DATE].p) {
			dt = tx.field[MF_TXH_DATE];
			msi_problem(s, MF_INFO, "msmail.date-from-header", m->offset,
				    "no DATE: token; the date of the textized header is used");
		}
		if (dt.p && dt.len) {
			snprintf(raw, sizeof(raw), "%.*s%s%.*s", (int)(dt.len > 40 ? 40 : dt.len),
				 (const char *)dt.p, m->time.p && m->date.p ? " " : "",
				 m->time.p && m->date.p ? (int)(m->time.len > 30 ? 30 : m->time.len) : 0,
				 m->time.p && m->date.p ? (const char *)m->time.p : "");
			g.date_raw = msi_text_utf8(s, s->cs, raw, strlen(raw), NULL);
			g.sent_utc = local_to_utc(s, raw, &ok, &fl);
			g.has_sent = ok;
			if (!ok)
				msi_problem(s, MF_WARNING, "msmail.bad-date", m->offset,
					    "date '%s' is not yyyy-mm-dd hh:mm or does not exist; sent date "
					    "unknown", g.date_raw);
			else if ((fl & MF_DATE_NO_TIME) && m->date.p)
				msi_problem(s, MF_INFO, "msmail.no-time", m->offset,
					    "DATE: without TIME:; midnight used");
		} else {
			msi_problem(s, MF_INFO, "msmail.no-date", m->offset, "message without a date");
		}
	}

	/* flags */
	if (m->priority.p) {
		int level = 0;
		switch (mf_mmff_priority(m->priority, &level)) {
		case MF_MMFF_PRIO_LEVEL: g.priority = level; break;
		case MF_MMFF_PRIO_RECEIPT: g.receipt_requested = 1; break;
		case MF_MMFF_PRIO_CONFIRM: g.is_receipt = 1; break;
		case MF_MMFF_PRIO_FILE:
			msi_problem(s, MF_INFO, "msmail.file-transfer", m->offset,
				    "automatic file-transfer message (PRIORITY:F) staged as an ordinary "
				    "message; the F stays in the raw header");
			break;
		case MF_MMFF_PRIO_EMPTY: break;
		default:
			msi_problem(s, MF_WARNING, "msmail.priority-unknown", m->offset,
				    "PRIORITY:%.*s is not 1-5, R, C or F; normal priority used",
				    (int)(m->priority.len > 10 ? 10 : m->priority.len),
				    (const char *)m->priority.p);
		}
	}
	if (m->status.p) {
		if (mf_span_eq_ci(m->status, "UNREAD"))
			g.unread = 1;
		else if (!mf_span_eq_ci(m->status, "READ"))
			msi_problem(s, MF_WARNING, "msmail.mmff-status", m->offset,
				    "STATUS:%.*s is not READ or UNREAD; read assumed",
				    (int)(m->status.len > 10 ? 10 : m->status.len), (const char *)m->status.p);
	}

	/* the body (the textized header stripped) */
	/* (converted straight into its own buffer: no copy of the body) */
	text = body.len <= MAX_BODY && msi_text_into(s, s->cs, body.p, body.len, &s->body, &repl) == MF_OK
	       ? s->body.data : NULL;
	text_len = s->body.len;
	if (!text) {
		msi_problem(s, MF_ERROR, "msmail.too-large", m->offset,
			    "a body of %zu bytes is more than mailferry stages (%u MiB); message skipped",
			    body.len, MAX_BODY >> 20);
		return MF_SKIP;
	}
	bp.keep_raw = repl > 0;
	if (have_tx && is_schedule_class(g.message_class) && tx.n_other) {
		/* a meeting's time lives only in this header: keep those lines */
		struct mf_buf b;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		for (size_t i = 0; i < tx.n_other; i++) {
			char *l = msi_span_utf8(s, tx.other[i]);
			mf_buf_addstr(&b, l);
			mf_buf_addstr(&b, "\r\n");
		}
		mf_buf_addstr(&b, "\r\n");
		mf_buf_add(&b, text, s->body.len);
		text_len = b.len;
		text = mf_arena_memdup(&s->arena, b.data, b.len + 1);
		mf_buf_release(&b);
		bp.keep_raw = 1;
	}
	if (repl)
		msi_problem(s, MF_INFO, "msmail.charset-replaced", m->body_offset,
			    "%zu byte(s) with no mapping in %s became U+FFFD; the raw body is kept",
			    repl, s->cp);
	bp.position = 0;
	bp.kind = "text";
	bp.text = text;
	bp.text_len = text_len;
	bp.raw = body.p;
	bp.raw_len = body.len;
	bp.replacements = repl;
	bp.src_offset = (int64_t)(m->body_offset + (have_tx ? tx.header_len : 0));
	g.bodies = &bp;
	g.n_bodies = 1;

	/* attachments */
	if (m->n_att) {
		g.attachments = mf_arena_zalloc(&s->arena, m->n_att * sizeof(*g.attachments));
		for (size_t i = 0; i < m->n_att; i++) {
			struct mf_attachment *a = &g.attachments[i];
			a->position = (int)i + 1;
			a->kind = "file";
			a->title = msi_span_utf8(s, m->att[i].name);
			a->name = a->title;
			if (!a->name[0]) {
				char *n = mf_arena_alloc(&s->arena, 48);
				snprintf(n, 48, "attachment-%zu.bin", i + 1);
				a->name = n;
				msi_problem(s, MF_WARNING, "msmail.attachment-name", m->att[i].offset,
					    "attachment without a name staged as %s", n);
			}
			a->data = m->att[i].data.p;
			a->size = m->att[i].data.len;
			a->has_data = 1;
			if (a->size > MAX_BLOB) {
				/* over SQLite's largest value: staged by name only */
				msi_problem(s, MF_ERROR, "msmail.too-large", m->att[i].offset,
					    "attachment %s of %zu bytes is larger than a staged value can be; "
					    "staged without its bytes (they stay in the export)", a->name, a->size);
				a->data = NULL;
				a->size = 0;
				a->has_data = 0;
			}
			a->body_position = -1;
			a->src_offset = (int64_t)m->att[i].data_offset;
		}
		g.n_attachments = m->n_att;
	}
	return mf_store_message(s->st, id_out, &g, s->diag);
}

struct folder_map { const char *file, *path, *special; };

static const struct folder_map special_folders[] = {
	{ "inbox.mmff", "Inbox", "inbox" },
	{ "sent.mmff", "Sent Items", "sent" },
	{ "deleted.mmff", "Deleted Items", "trash" },
};

/* inbox, sent, deleted first, then the others by name */
static int folder_rank(const char *name)
{
	for (size_t i = 0; i < MF_ARRAY_LEN(special_folders); i++)
		if (mf_strcaseeq(name, special_folders[i].file))
			return (int)i;
	return 3;
}

static int folder_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int rx = folder_rank(x), ry = folder_rank(y);
	return rx != ry ? rx - ry : strcmp(x, y);
}

/* One MMFF file: one folder. */
static int read_mmff(struct msm *s, struct mf_store_msuser *u, const char *abs, const char *fname,
		     int64_t *first_file, int64_t *n_msgs)
{
	struct mapped f;
	struct mf_mmff p;
	struct mf_mmff_msg m;
	int64_t file_id, folder_id = 0;
	enum mf_file_state state;
	struct mf_staged sf;
	int rc, nrc;
	const char *path = NULL, *special = NULL;
	char *folder_name = NULL;

	rc = msi_map_file(s, &f, abs);
	if (rc < 0) {
		msi_set_file(s, msi_rel_of(s, abs));
		msi_problem(s, MF_ERROR, "msmail.file-unreadable", MF_NO_OFFSET, "%s", s->diag->msg);
		return MF_OK;
	}
	mf_staged_init(&sf, s->st, &f.map, s->diag);
	if ((rc = mf_staged_begin(&sf)) < 0)
		goto out;
	if ((rc = msi_begin_file(s, &f, "mail", s->cp, u->mailbox_id, &file_id, &state)) < 0)
		goto fail;
	sf.file_id = file_id;
	sf.state = state;
	if (state == MF_FILE_CHANGED) {
		rc = mf_store_commit(s->st, s->diag);
		goto out;
	}
	if (!*first_file)
		*first_file = file_id;
	if (state == MF_FILE_DONE) {
		rc = mf_store_commit(s->st, s->diag);
		goto out;
	}
	msi_set_file(s, f.rel);
	/* the folder */
	for (size_t i = 0; i < MF_ARRAY_LEN(special_folders); i++)
		if (mf_strcaseeq(fname, special_folders[i].file)) {
			path = special_folders[i].path;
			special = special_folders[i].special;
		}
	if (!path) {
		size_t n = strlen(fname) - 5;
		if (mf_utf8_valid(fname, n)) {
			folder_name = mf_xstrndup(fname, n);
		} else {
			struct mf_buf b;
			mf_buf_init(&b, MF_BUF_LINE_MAX);
			mf_charset_to_utf8(s->cs, fname, n, &b, NULL);
			folder_name = mf_buf_detach(&b, NULL);
		}
		if (!folder_name[0]) {
			free(folder_name);
			folder_name = mf_xstrdup("Unnamed");
		}
		path = folder_name;
	}
	if ((rc = mf_store_folder(s->st, &folder_id, u->mailbox_id, path, fname, special, s->diag)) < 0)
		goto fail;
	{
		const char *why = mf_charset_suspect(s->cp, f.map.data,
						     f.map.len > (64u << 10) ? 64u << 10 : f.map.len);
		if (why)
			msi_problem(s, MF_WARNING, "msmail.codepage-suspect", MF_NO_OFFSET,
				    "%s (declared %s)", why, s->cp);
	}
	mf_mmff_init(&p, f.map.data, f.map.len, msi_on_problem, s);
	mf_map_watch(&f.map, &p.rd);
	for (;;) {
		int64_t id = 0;
		s->collecting = 1;
		mf_arena_reset(&s->arena);
		nrc = mf_mmff_next(&p, &m);
		if (nrc == MF_DONE) {
			s->collecting = 0;
			/* reports about trailing bytes */
			if ((rc = msi_flush_pending(s, 0, m.offset)) < 0)
				goto fail_p;
			break;
		}
		if (nrc == MF_SKIP) {
			mf_staged_skip(&sf, m.offset);
			s->stats->messages_skipped++;
			s->collecting = 0;
			if ((rc = msi_flush_pending(s, 0, m.offset)) < 0)
				goto fail_p;
			continue;
		}
		if ((rc = mf_staged_exists(&sf, m.offset)) < 0)
			goto fail_p;
		if (rc == 1) {
			s->collecting = 0;
			mf_pending_clear(&s->pend);
			continue;
		}
		rc = stage_message(s, &m, u->mailbox_id, folder_id, file_id, &id);
		s->collecting = 0;
		if (rc < 0)
			goto fail_p;
		if (rc == MF_SKIP) {
			mf_staged_skip(&sf, m.offset);
			s->stats->messages_skipped++;
			if ((rc = msi_flush_pending(s, 0, m.offset)) < 0)
				goto fail_p;
			continue;
		}
		if ((rc = msi_flush_pending(s, id, m.offset)) < 0)
			goto fail_p;
		s->stats->messages++;
		mf_progress_update(&s->progress, 1, (int64_t)m.length);
		if ((rc = mf_staged_next(&sf, m.offset)) < 0)
			goto fail_p;
	}
	if (p.started) {
		const char *want = s->mx.newline;
		enum mf_eol e = p.first_eol;
		const char *got = e == MF_EOL_CRLF ? "CRLF" : e == MF_EOL_LF ? "LF" : e == MF_EOL_CR ? "CR" : NULL;
		if (got && strcmp(got, want))
			msi_problem(s, MF_INFO, "msmail.mmff-newline", 0,
				    "lines end in %s, not %s as mmff-newline says; read anyway", got, want);
	}
	mf_mmff_release(&p);
	if (!strcasecmp(fname, "inbox.mmff"))
		u->inbox_messages = sf.staged;
	*n_msgs += sf.staged;
	if ((rc = mf_staged_end(&sf)) < 0)
		goto fail;
	goto out;
fail_p:
	s->collecting = 0;
	mf_pending_clear(&s->pend);
	mf_mmff_release(&p);
fail:
	mf_staged_rollback(&sf);
out:
	free(folder_name);
	mf_map_close(&f.map);
	return rc;
}

int msi_read_mail(struct msm *s, struct mf_store_msuser *u, int64_t *n_msgs, int *n_folders)
{
	char *abs;
	DIR *d;
	struct dirent *de;
	char **files = NULL;
	size_t n = 0;
	int64_t first = 0;
	int rc = MF_OK;

	msi_set_file(s, "users.csv");
	abs = msi_resolve_at(s, u->mail_dir, 1, MF_ERROR, "mail folder", u->csv_offset);
	if (!abs)
		return MF_OK;
	d = opendir(abs);
	if (!d) {
		msi_problem(s, MF_ERROR, "msmail.file-missing", u->csv_offset,
			    "mail folder '%s' of %s is not a folder", u->mail_dir, u->mailbox);
		free(abs);
		return MF_OK;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char *p;
		struct stat sb;
		int st_ok, err;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = mf_xasprintf("%s/%s", abs, de->d_name);
		if (de->d_name[0] == '.') {
			msi_set_file(s, msi_rel_of(s, p));
			msi_problem(s, MF_INFO, "msmail.file-ignored", MF_NO_OFFSET,
				    "a hidden file (its name starts with '.'); not read");
			free(p);
			continue;
		}
		st_ok = stat(p, &sb) == 0;
		err = errno;
		if (!st_ok || !S_ISREG(sb.st_mode)) {
			/* never passed over without a word: a link that leads
			 * nowhere, a FIFO or a device named like a folder file */
			msi_set_file(s, msi_rel_of(s, p));
			if (l < 5 || !mf_strcaseeq(de->d_name + l - 5, ".mmff") ||
			    (st_ok && S_ISDIR(sb.st_mode)))
				msi_problem(s, MF_INFO, "msmail.file-ignored", MF_NO_OFFSET,
					    "not a regular MMFF folder file; not read");
			else
				msi_problem(s, MF_ERROR, "msmail.file-unreadable", MF_NO_OFFSET, "%s; not read",
					    st_ok ? "not a regular file (a FIFO, device or socket)"
						  : strerror(err));
			free(p);
			continue;
		}
		if (!msi_inside_root(s, p)) {
			msi_set_file(s, msi_rel_of(s, p));
			msi_problem(s, MF_ERROR, "msmail.bad-path", MF_NO_OFFSET,
				    "a symbolic link that leads outside the bundle; not read");
			free(p);
			continue;
		}
		if (l < 5 || !mf_strcaseeq(de->d_name + l - 5, ".mmff")) {
			msi_set_file(s, msi_rel_of(s, p));
			msi_problem(s, MF_INFO, "msmail.file-ignored", MF_NO_OFFSET,
				    "not an MMFF folder file (.mmff); not read");
			free(p);
			continue;
		}
		free(p);
		files = mf_xreallocarray(files, n + 1, sizeof(*files));
		files[n++] = mf_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), folder_cmp);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		char *p = mf_xasprintf("%s/%s", abs, files[i]);
		rc = read_mmff(s, u, p, files[i], &first, n_msgs);
		free(p);
	}
	*n_folders = (int)n;
	if (rc >= 0 && first)
		rc = mf_store_mail_file(s->st, u->mailbox_id, first, s->diag);
	msi_free_list(files, n);
	free(abs);
	return rc;
}

/* ---- calendars ---- */

int msi_read_calendar(struct msm *s, struct mf_store_msuser *u, int64_t *n_items)
{
	struct mapped f;
	char *abs;
	int64_t file_id;
	enum mf_file_state state;
	int rc, is_sch;
	struct mf_cal_opts o;
	char owner[3 * MF_MSMX_VALUE_MAX + 16];
	int pab_pos = 0;
	struct mf_arena a = MF_ARENA_INIT;

	msi_set_file(s, "users.csv");
	abs = msi_resolve_at(s, u->calendar, 1, MF_ERROR, "calendar", u->csv_offset);
	if (!abs)
		return MF_OK;
	rc = msi_map_file(s, &f, abs);
	if (rc < 0) {
		msi_set_file(s, msi_rel_of(s, abs));
		free(abs);
		msi_problem(s, MF_ERROR, "msmail.file-unreadable", MF_NO_OFFSET, "%s", s->diag->msg);
		return MF_OK;
	}
	free(abs);
	{
		struct mf_rd r;
		mf_rd_init(&r, f.map.data, f.map.len);
		is_sch = mf_rd_at_ci(&r, "SCHEDULE+ EXPORT") ||
			 (!mf_rd_at_ci(&r, "SCHEDULE+2") && strlen(f.rel) > 4 &&
			  mf_strcaseeq(f.rel + strlen(f.rel) - 4, ".sch"));
	}
	if ((rc = mf_store_begin(s->st, s->diag)) < 0)
		goto out;
	if ((rc = msi_begin_file(s, &f, "calendar", s->calcp, u->mailbox_id, &file_id, &state)) < 0)
		goto fail;
	if (state != MF_FILE_NEW && state != MF_FILE_RESUME) {
		rc = mf_store_commit(s->st, s->diag);
		goto out;
	}
	msi_set_file(s, f.rel);
	if ((rc = mf_store_pab_next_position(s->st, &pab_pos, u->mailbox_id, s->diag)) < 0)
		goto fail;
	memset(&o, 0, sizeof(o));
	snprintf(owner, sizeof(owner), "MS:%s/%s/%s", s->mx.network, s->mx.postoffice, u->mailbox);
	o.tzid = s->tz;
	o.cs = s->calcs;
	o.owner = owner;
	o.dtstamp = s->dtstamp;
	o.problem = msi_on_problem;
	o.pctx = s;
	if (is_sch) {
		struct mf_sch p;
		const struct mf_sch_item *it;
		struct mf_sch_state ss;
		int nrc;
		memset(&ss, 0, sizeof(ss));
		mf_sch_init(&p, f.map.data, f.map.len, msi_on_problem, s);
		mf_map_watch(&f.map, &p.rd);
		if (p.owner.len && !mf_span_eq_ci(p.owner, u->mailbox))
			msi_problem(s, MF_WARNING, "msmail.calendar-owner", 0,
				    "Schedule+ export made by %.*s, listed for %s", (int)(p.owner.len > 20 ? 20 :
				    p.owner.len), (const char *)p.owner.p, u->mailbox);
		while ((nrc = mf_sch_next(&p, &it)) != MF_DONE) {
			struct mf_cal_result res;
			if (nrc != MF_OK)
				continue;
			mf_arena_reset(&a);
			if (mf_sch_convert(&res, it, &ss, &o, &a) != MF_OK)
				continue;
			res.item.mailbox_id = u->mailbox_id;
			res.item.src_file_id = file_id;
			if ((rc = mf_store_calendar_item(s->st, NULL, &res.item, s->diag)) < 0) {
				mf_sch_release(&p);
				goto fail;
			}
			(*n_items)++;
		}
		mf_sch_release(&p);
	} else {
		struct mf_sc2 p;
		const struct mf_sc2_obj *obj;
		int nrc;
		mf_sc2_init(&p, f.map.data, f.map.len, msi_on_problem, s);
		mf_map_watch(&f.map, &p.rd);
		while ((nrc = mf_sc2_next(&p, &obj)) != MF_DONE) {
			struct mf_cal_result res;
			if (nrc != MF_OK)
				continue;
			mf_arena_reset(&a);
			if (mf_sc2_convert(&res, obj, &o, &a) != MF_OK)
				continue;
			if (res.what == MF_CAL_CONTACT) {
				res.pab.mailbox_id = u->mailbox_id;
				res.pab.src_file_id = file_id;
				res.pab.position = pab_pos++;
				rc = mf_store_pab_entry(s->st, NULL, &res.pab, s->diag);
			} else if (res.what == MF_CAL_ITEM) {
				res.item.mailbox_id = u->mailbox_id;
				res.item.src_file_id = file_id;
				rc = mf_store_calendar_item(s->st, NULL, &res.item, s->diag);
				(*n_items)++;
			}
			if (rc < 0) {
				mf_sc2_release(&p);
				goto fail;
			}
		}
		mf_sc2_release(&p);
	}
	if (s->store_failed) {
		rc = MF_ESTORE;
		goto fail;
	}
	s->stats->calendar_items += *n_items;
	if ((rc = mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag)) < 0)
		goto fail;
	rc = mf_store_commit(s->st, s->diag);
	goto out;
fail:
	mf_store_rollback(s->st);
out:
	mf_arena_release(&a);
	mf_map_close(&f.map);
	return rc;
}

/* ---- maildata/ ---- */

static int64_t file_size(const char *dir, const char *sub, const char *name)
{
	char *p = mf_xasprintf("%s/%s/%s", dir, sub, name), *real = NULL;
	struct stat sb;
	int64_t n = -1;
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/%s", sub, name);
	if (mf_path_resolve(&real, dir, rel, NULL) == MF_OK && stat(real, &sb) == 0 &&
	    S_ISREG(sb.st_mode))
		n = (int64_t)sb.st_size;
	free(real);
	free(p);
	return n;
}

/* Live records of a mailbag: MBG records minus the deleted bits of its KEY
 * (bit order unknown: both are counted, research 5.3). */
static int mailbag_live(const char *md, const char *hexid, int64_t *lsb, int64_t *msb)
{
	char rel[64], *abs = NULL;
	int64_t mbg;
	struct mf_map m;
	snprintf(rel, sizeof(rel), "%s.MBG", hexid);
	mbg = file_size(md, "MBG", rel);
	if (mbg < 0 || mbg % 116)
		return MF_ENOTFOUND;
	*lsb = *msb = mbg / 116;
	snprintf(rel, sizeof(rel), "KEY/%s.KEY", hexid);
	if (mf_path_resolve(&abs, md, rel, NULL) != MF_OK)
		return MF_OK;
	if (mf_map_open(&m, abs, NULL) == MF_OK) {
		if (m.len == 560) {
			int64_t n = mbg / 116;
			for (int64_t i = 0; i < n && i < 4096; i++) {
				unsigned char byte = m.data[48 + i / 8];
				if (byte & (1u << (i % 8)))
					(*lsb)--;
				if (byte & (0x80u >> (i % 8)))
					(*msb)--;
			}
		}
		mf_map_close(&m);
	}
	free(abs);
	return MF_OK;
}

void msi_check_maildata(struct msm *s)
{
	static const struct { const char *sub, *name; int64_t rec, base; } rules[] = {
		{ "GLB", "ACCESS.GLB", 586, 0 }, { "GLB", "ACCESS2.GLB", 69, 0 },
		{ "GLB", "ACCESS3.GLB", 512, 0 }, { "GLB", "CONTROL.GLB", 8, -8 },
		{ "GLB", "MASTER.GLB", 176, -176 }, { "GLB", "GROUP.GLB", 51, 4 },
		{ "GLB", "NETPO.GLB", 43, 4 }, { "GLB", "NETWORK.GLB", 122, 0 },
	};
	char *md = msi_resolve(s, "maildata", 0, MF_INFO, "");
	int64_t users[3] = { -1, -1, -1 };
	if (!md)
		return;
	msi_set_file(s, "maildata");
	s->mailbox_id = 0;
	for (size_t i = 0; i < MF_ARRAY_LEN(rules); i++) {
		int64_t n = file_size(md, rules[i].sub, rules[i].name);
		int bad;
		if (n < 0)
			continue;
		if (rules[i].base < 0)
			bad = n != -rules[i].base;
		else
			bad = n < rules[i].base || (n - rules[i].base) % rules[i].rec;
		if (bad)
			msi_problem(s, MF_WARNING, "msmail.maildata-size", MF_NO_OFFSET,
				    "maildata/%s/%s is %lld bytes: not %s%lld-byte records", rules[i].sub,
				    rules[i].name, (long long)n, rules[i].base > 0 ? "a header and " : "",
				    (long long)rules[i].rec);
		if (i < 3 && !bad)
			users[i] = n / rules[i].rec;
	}
	if (users[0] >= 0 && users[1] >= 0 && users[2] >= 0 &&
	    (users[0] != users[1] || users[1] != users[2]))
		msi_problem(s, MF_WARNING, "msmail.maildata-users", MF_NO_OFFSET,
			    "ACCESS.GLB, ACCESS2.GLB and ACCESS3.GLB hold %lld, %lld and %lld user "
			    "records; they should agree", (long long)users[0], (long long)users[1],
			    (long long)users[2]);
	for (int64_t seq = 0;;) {
		struct mf_store_msuser uu, *u = &uu;
		int64_t lsb, msb;
		int rc = mf_store_msuser_next(s->st, u, seq, s->diag);
		if (rc <= 0) {
			if (rc < 0)
				s->store_failed = 1;
			break;
		}
		seq = u->seq;
		if (u->mailbox_id && u->hexid && *u->hexid &&
		    mailbag_live(md, u->hexid, &lsb, &msb) == MF_OK && u->inbox_messages >= 0 &&
		    lsb != u->inbox_messages && msb != u->inbox_messages) {
			s->mailbox_id = u->mailbox_id;
			msi_problem(s, MF_WARNING, "msmail.maildata-count", MF_NO_OFFSET,
				    "mailbag %s.MBG of %s holds %lld live headers, inbox.mmff %lld messages",
				    u->hexid, u->mailbox, (long long)lsb, (long long)u->inbox_messages);
			s->mailbox_id = 0;
		}
		mf_store_msuser_release(u);
	}
	free(md);
}
